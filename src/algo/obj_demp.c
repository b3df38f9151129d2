/* repscope - MIT licence, see COPYING.
 *
 * obj_demp.c: DemP's regulariser (objective.h, algo/demp.h): cdg_l2 wraps
 * any base objective and adds, while training,
 *
 *   lambda_t R(theta),   R = 1/2 sum_i max(theta_i, 0)^2
 *
 * over every parameter the learner trains, weights and biases alike (the
 * authors' ce_loss_given_model applies it to the whole parameter tree),
 * with lambda_t = rs_demp_onecycle(peak, total, zero_end, t) at the
 * learner's step t (c->step: the steps taken before this one). Only
 * positive parameters are pushed down (towards 0), so pre-activations
 * drift negative and ReLU units die: the "cdg" (constrained-gradient)
 * one-sided L2 of "Maxwell's Demon at Work: Efficient Pruning by
 * Leveraging Saturation of Neurons" (arXiv 2403.07688).
 *
 * The term is relu, square, sum and scale (the ops' own gradients:
 * lambda_t max(theta, 0)); a step whose lambda_t is 0 adds nothing and
 * builds nothing. Evaluations report the base's loss. The wrapper has no
 * state of its own (lambda_t is a function of the step): its checkpoint
 * words and tensors are the base's. Worker thread only.
 */
#include "config.h"

#include "algo/objective.h"

#include <math.h>
#include <stdlib.h>

#include "algo/demp.h"
#include "core/ops.h"

struct cdg {
    rs_objective *base; /* retained */
    double peak;
    long total;
    bool zero_end;
};

static const struct rs_objective_class cdg_class;

static struct cdg *
as_cdg(const rs_objective *o)
{
    return rs_objective_class(o) == &cdg_class ? rs_objective_impl(o) : NULL;
}

static int
cdg_check(rs_objective *o, const struct rs_obj_env *env, struct rs_error *err)
{
    struct cdg *r = rs_objective_impl(o);
    return rs_objective_check(r->base, env, err);
}

/* lambda_t / 2 * sum_i sum relu(theta_i)^2 on c->g, or NULL with the
 * graph's error set. */
static rs_tensor *
cdg_term(struct rs_obj_ctx *c, double lambda)
{
    rs_graph *g = c->g;
    rs_tensor *acc = NULL;
    for (int i = 0; i < rs_nn_model_count(c->params); i++) {
        rs_tensor *p = rs_nn_model_param(c->params, i);
        rs_tensor *s = rs_op_sum(g, rs_op_square(g, rs_op_relu(g, p)));
        acc = acc == NULL ? s : rs_op_add(g, acc, s);
        if (acc == NULL)
            return NULL;
    }
    if (acc == NULL) {
        rs_graph_fail(g, RS_EINVAL, "cdg_l2: the learner has no parameters");
        return NULL;
    }
    return rs_op_scale(g, acc, (float)(lambda / 2.0));
}

static rs_tensor *
cdg_loss(rs_objective *o, struct rs_obj_ctx *c, struct rs_obj_stats *st)
{
    struct cdg *r = rs_objective_impl(o);
    rs_tensor *lb = rs_objective_loss(r->base, c, st);
    if (lb == NULL || !c->train)
        return lb;
    double lambda = rs_demp_onecycle(r->peak, r->total, r->zero_end, c->step);
    if (lambda == 0.0)
        return lb;
    return rs_op_add(c->g, lb, cdg_term(c, lambda));
}

/* ---- state: the base's ------------------------------------------------- */

static size_t
cdg_state_words(const rs_objective *o)
{
    const struct cdg *r = rs_objective_impl(o);
    return rs_objective_state_words(r->base);
}

static void
cdg_state_save(const rs_objective *o, uint64_t *w)
{
    const struct cdg *r = rs_objective_impl(o);
    rs_objective_state_save(r->base, w);
}

static int
cdg_state_load(rs_objective *o, const uint64_t *w, size_t n,
               struct rs_error *err)
{
    struct cdg *r = rs_objective_impl(o);
    return rs_objective_state_load(r->base, w, n, err);
}

static int
cdg_tensors(const rs_objective *o)
{
    const struct cdg *r = rs_objective_impl(o);
    return rs_objective_tensors(r->base);
}

static rs_tensor *
cdg_tensor(const rs_objective *o, int i, const char **name)
{
    const struct cdg *r = rs_objective_impl(o);
    return rs_objective_tensor(r->base, i, name);
}

static void
cdg_destroy(void *impl)
{
    struct cdg *r = impl;
    rs_objective_release(r->base);
    free(r);
}

static const struct rs_objective_class cdg_class = {
    .kind = "cdg_l2",
    .check = cdg_check,
    .loss = cdg_loss,
    .state_words = cdg_state_words,
    .state_save = cdg_state_save,
    .state_load = cdg_state_load,
    .tensors = cdg_tensors,
    .tensor = cdg_tensor,
    .destroy = cdg_destroy,
};

rs_objective *
rs_objective_cdg_l2(rs_objective *base, double peak, long total, bool zero_end,
                    struct rs_error *err)
{
    if (base == NULL) {
        rs_error_set(err, RS_EINVAL, "cdg_l2: no base objective");
        return NULL;
    }
    if (!isfinite(peak) || peak < 0.0) {
        rs_error_set(err, RS_EINVAL,
                     "cdg_l2: peak = %g (must be finite and >= 0)", peak);
        return NULL;
    }
    if (total < 1) {
        rs_error_set(err, RS_EINVAL, "cdg_l2: total = %ld (must be >= 1)",
                     total);
        return NULL;
    }
    struct cdg *r = rs_xcalloc(1, sizeof *r);
    r->base = base;
    rs_objective_retain(base);
    r->peak = peak;
    r->total = total;
    r->zero_end = zero_end;
    return rs_objective_new(&cdg_class, r);
}

rs_objective *
rs_objective_cdg_l2_base(const rs_objective *o)
{
    const struct cdg *r = as_cdg(o);
    return r != NULL ? r->base : NULL;
}

double
rs_objective_cdg_l2_lambda(const rs_objective *o, long step)
{
    for (; o != NULL; o = rs_objective_base(o)) {
        const struct cdg *r = as_cdg(o);
        if (r != NULL)
            return rs_demp_onecycle(r->peak, r->total, r->zero_end, step);
    }
    return (double)NAN;
}
