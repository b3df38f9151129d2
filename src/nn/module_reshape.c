/* repscope - MIT licence, see COPYING.
 *
 * module_reshape.c: a parameter-free module splitting the last dim (see
 * module.h): x (..., IN) -> (..., shape[0], ..., shape[k - 1]) with IN
 * the product of shape, through rs_op_reshape (same data, gradient passed
 * through). The patch view of an image: (B, P * q) -> (B, P, q). Worker
 * thread only.
 */
#include "config.h"

#include "nn/module.h"

#include <limits.h>
#include <stdlib.h>

#include "core/ops.h"

struct reshape_impl {
    int ndim;               /* 1 .. RS_MAX_DIMS - 1 */
    int shape[RS_MAX_DIMS]; /* the new trailing dims */
    int in;                 /* their product */
};

static rs_tensor *
reshape_forward(rs_nn_module *m, rs_graph *g, rs_tensor *x)
{
    const struct reshape_impl *r = rs_nn_module_impl(m);
    int lead = x->ndim > 0 ? x->ndim - 1 : 0;
    int last = x->ndim > 0 ? x->shape[x->ndim - 1] : 1;
    if (last != r->in) {
        rs_graph_fail(g, RS_ESHAPE,
                      "reshape: input has %d features, expected %d", last,
                      r->in);
        return NULL;
    }
    if (lead + r->ndim > RS_MAX_DIMS) {
        rs_graph_fail(g, RS_ESHAPE,
                      "reshape: input has %d dims, expected at most %d",
                      x->ndim, RS_MAX_DIMS - r->ndim + 1);
        return NULL;
    }
    int shape[RS_MAX_DIMS];
    for (int i = 0; i < lead; i++)
        shape[i] = x->shape[i];
    for (int i = 0; i < r->ndim; i++)
        shape[lead + i] = r->shape[i];
    return rs_op_reshape(g, x, lead + r->ndim, shape);
}

static int
reshape_in(const rs_nn_module *m)
{
    return ((const struct reshape_impl *)rs_nn_module_impl(m))->in;
}

static int
reshape_out(const rs_nn_module *m)
{
    const struct reshape_impl *r = rs_nn_module_impl(m);
    return r->shape[r->ndim - 1];
}

static const struct rs_nn_module_class reshape_class = {
    .kind = "reshape",
    .forward = reshape_forward,
    .in = reshape_in,
    .out = reshape_out,
    .destroy = free,
};

rs_nn_module *
rs_nn_module_reshape(int ndim, const int *shape, struct rs_error *err)
{
    if (ndim < 1 || ndim > RS_MAX_DIMS - 1 || shape == NULL) {
        rs_error_set(err, RS_EINVAL, "reshape to %d dims (must be 1..%d)", ndim,
                     RS_MAX_DIMS - 1);
        return NULL;
    }
    long long in = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 1) {
            rs_error_set(err, RS_EINVAL, "reshape dim %d = %d (must be >= 1)",
                         i + 1, shape[i]);
            return NULL;
        }
        in *= shape[i];
        if (in > INT_MAX) {
            rs_error_set(err, RS_EINVAL,
                         "reshape to more than %d features per row", INT_MAX);
            return NULL;
        }
    }
    struct reshape_impl *r = rs_xcalloc(1, sizeof *r);
    r->ndim = ndim;
    for (int i = 0; i < ndim; i++)
        r->shape[i] = shape[i];
    r->in = (int)in;
    return rs_nn_module_new(&reshape_class, r, rs_nn_model_new(NULL), true);
}
