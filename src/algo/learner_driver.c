/* repscope - MIT licence, see COPYING.
 *
 * learner_driver.c: the session step of a learner (rs_learner_update),
 * the driver that may own it (see learner.h: an algorithm such as PPO
 * that takes its own steps), and the two sinks a driver publishes
 * through: scalar values to the log callback, matrices to the matrix
 * sink. The driver's checkpoint words are in learner_state.c.
 *
 * The learner owns the driver's impl from rs_learner_set_driver on and
 * frees it through the class's destroy. Worker thread only.
 */
#include "config.h"

#include "algo/learner.h"

#include <string.h>

#include "algo/learner_impl.h"

void
rs_learner_set_driver(rs_learner *l, const struct rs_learner_driver_class *cls,
                      void *impl)
{
    RS_ASSERT(cls != NULL || impl == NULL);
    if (l->drv != NULL)
        l->drv->destroy(l->drv_impl);
    l->drv = cls;
    l->drv_impl = impl;
    l->updates = 0;
}

void *
rs_learner_driver(const rs_learner *l, const char *kind)
{
    if (l->drv == NULL || strcmp(l->drv->kind, kind) != 0)
        return NULL;
    return l->drv_impl;
}

const char *
rs_learner_driver_kind(const rs_learner *l)
{
    return l->drv != NULL ? l->drv->kind : NULL;
}

int
rs_learner_update(rs_learner *l, struct rs_learner_stats *st,
                  struct rs_error *err)
{
    if (l->drv == NULL)
        return rs_learner_step(l, st, err);
    int rc = l->drv->update(l->drv_impl, l, st, err);
    if (rc != RS_OK)
        return rc;
    l->updates++;
    /* a driver that takes no learner steps (dyneval) logs its own */
    if (l->updates % l->cfg.log_every == 0 && l->loss_count > 0)
        rs_learner_flush_log(l, (float)l->last.lr);
    return RS_OK;
}

long
rs_learner_updates(const rs_learner *l)
{
    return l->drv != NULL ? l->updates : l->steps;
}

void
rs_learner_set_matrix(rs_learner *l, rs_learner_matrix_fn fn, void *ud)
{
    l->matrix = fn;
    l->matrix_ud = ud;
}

void
rs_learner_publish_matrix(rs_learner *l, const char *name, int rows, int cols,
                          const float *data)
{
    if (l->matrix == NULL)
        return;
    char full[RS_NAME_MAX];
    l->matrix(l->matrix_ud, rs_learner_metric(l, full, name, NULL, NULL), rows,
              cols, data);
}

void
rs_learner_log_value(rs_learner *l, const char *name, double v)
{
    if (l->log == NULL)
        return;
    char full[RS_NAME_MAX];
    l->log(l->log_ud, rs_learner_metric(l, full, name, NULL, NULL), v);
}
