/* repscope - MIT licence, see COPYING.
 *
 * module_position.c: learned position embeddings as a module (see
 * module.h): x (..., T, d) + weight[0:T], "weight" (n, d) drawn
 * N(0, std^2), T <= n. With T = n the table is added by broadcasting;
 * shorter inputs take its first T rows through rs_op_embedding, so only
 * those rows get gradient. The module owns its registry. Worker thread
 * only.
 */
#include "config.h"

#include "nn/module.h"

#include <math.h>
#include <stdlib.h>

#include "core/ops.h"

struct pos_impl {
    rs_nn_model *model; /* the module's: "weight" (n, d) */
};

static rs_tensor *
pos_weight(const rs_nn_module *m)
{
    const struct pos_impl *p = rs_nn_module_impl(m);
    return rs_nn_model_param(p->model, 0);
}

static rs_tensor *
pos_forward(rs_nn_module *m, rs_graph *g, rs_tensor *x)
{
    rs_tensor *w = pos_weight(m); /* (n, d) */
    int n = w->shape[0], d = w->shape[1];
    if (x->ndim < 2) {
        rs_graph_fail(g, RS_ESHAPE,
                      "position: input has %d dims, expected (..., T, %d)",
                      x->ndim, d);
        return NULL;
    }
    int T = x->shape[x->ndim - 2], C = x->shape[x->ndim - 1];
    if (C != d || T > n) {
        rs_graph_fail(g, RS_ESHAPE,
                      "position: input is (..., %d, %d), expected "
                      "(..., T, %d) with T <= %d",
                      T, C, d, n);
        return NULL;
    }
    if (T == n)
        return rs_op_add(g, x, w); /* (..., n, d) + (n, d) */
    int *iota = rs_arena_alloc(rs_graph_arena(g), (size_t)T * sizeof *iota);
    for (int t = 0; t < T; t++)
        iota[t] = t;
    rs_tensor *p = rs_op_embedding(g, w, iota, 1, &T); /* (T, d) */
    return rs_op_add(g, x, p);
}

static int
pos_width(const rs_nn_module *m)
{
    return pos_weight(m)->shape[1];
}

static const struct rs_nn_module_class position_class = {
    .kind = "position",
    .forward = pos_forward,
    .in = pos_width,
    .out = pos_width,
    .destroy = free,
};

rs_nn_module *
rs_nn_module_position(int n, int d, float std, struct rs_rng *rng,
                      struct rs_error *err)
{
    if (n < 1 || d < 1) {
        rs_error_set(err, RS_EINVAL, "position n = %d, d = %d (must be >= 1)",
                     n, d);
        return NULL;
    }
    if (!(std >= 0.0f && isfinite(std))) {
        rs_error_set(err, RS_EINVAL,
                     "position std = %g (must be finite and >= 0)",
                     (double)std);
        return NULL;
    }
    rs_nn_model *model = rs_nn_model_new("position");
    rs_tensor *w = rs_nn_model_add(model, "weight", 2, (int[]){n, d}, err);
    if (w == NULL) {
        rs_nn_model_free(model);
        return NULL;
    }
    rs_init_fill(w, RS_INIT_NORMAL, d, n, std, rng);
    struct pos_impl *p = rs_xcalloc(1, sizeof *p);
    p->model = model;
    return rs_nn_module_new(&position_class, p, model, true);
}
