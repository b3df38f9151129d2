/* repscope - MIT licence, see COPYING.
 *
 * learner_probe.c: a learner as the probe runner's target (learner.h,
 * probe/runner.h). The runner sits below algo, so it sees a learner only
 * through these callbacks; probes bound to (learner, layer) publish under
 * the learner's name. Worker thread only.
 */
#include "config.h"

#include "algo/learner.h"

#include <math.h>
#include <string.h>

static int
target_forward(void *ud, enum rs_split split, int n, int *rows,
               struct rs_error *err)
{
    return rs_learner_probe_forward(ud, split, n, rows, err);
}

/* The labels of the first n examples of split. The runner may ask for
 * them after a forward on the other split, so a finite source is read
 * again; a generator has no splits: the rows of the last forward. */
static int
target_labels(void *ud, enum rs_split split, int n, int *y,
              struct rs_error *err)
{
    rs_learner *l = ud;
    rs_source *src = rs_learner_source(l);
    if (n < 1)
        return RS_OK;
    if (rs_source_is_generator(src)) {
        const struct rs_batch *b = rs_learner_probe_batch(l);
        if (b == NULL || b->y == NULL || n > b->n)
            return rs_error_set(err, RS_EINVAL,
                                "learner '%s': no labels for %d probe rows",
                                rs_learner_name(l), n);
        memcpy(y, b->y, (size_t)n * sizeof *y);
        return RS_OK;
    }
    struct rs_batch b;
    rs_batch_init(&b);
    int rc = rs_source_fetch(src, split, NULL, n, &b, err);
    if (rc == RS_OK && b.y == NULL)
        rc = rs_error_set(err, RS_EINVAL,
                          "learner '%s': the source gives no labels to fit a "
                          "linear probe on",
                          rs_learner_name(l));
    if (rc == RS_OK)
        memcpy(y, b.y, (size_t)n * sizeof *y);
    rs_batch_fini(&b);
    return rc;
}

void
rs_learner_probe_target(rs_learner *l, struct rs_probe_target *t)
{
    const struct rs_learner_stats *st = rs_learner_last(l);
    struct rs_source_info si;
    rs_source_info(rs_learner_source(l), &si);
    *t = (struct rs_probe_target){
        .owner = rs_learner_name(l),
        .module = rs_learner_module(l, 0),
        .params = rs_learner_params(l),
        .step = rs_learner_steps(l),
        .grad_norm = st->step > 0 ? st->optim.grad_norm : (double)NAN,
        .forward = target_forward,
        .labels = target_labels,
        .classes = si.classes,
        .ud = l,
    };
}
