/* repscope - MIT licence, see COPYING.
 *
 * ops_softcap.c: the logit soft cap of RecurrentGemma (arXiv 2404.07839,
 * griffin.py: logits = tanh(logits / c) c, c = 30), any shape:
 *
 *     y = cap tanh(x / cap),   dy/dx = 1 - tanh(x / cap)^2
 *
 * so |y| < cap, y ~ x for |x| << cap. The backward recomputes tanh from x
 * (the same function, so the forward's bits) rather than dividing the
 * output by cap. Elementwise on the pool (rs_pool_for, disjoint ranges);
 * core/vecmath.h's tanh keeps every vector width on the same bits. Worker
 * thread only.
 */
#include "config.h"

#include "core/ops.h"

#include <math.h>

#include "core/ops_impl.h"
#include "core/pool.h"
#include "core/vecmath.h"

RS_VEC_CLONES static void
softcap_forward(float *restrict out, const float *restrict x, size_t n,
                float cap)
{
    size_t i, nv = rs_vec_floor(n);
    for (i = 0; i < nv; i++)
        out[i] = rs_vecmath_tanhf(x[i] / cap) * cap;
    for (; i < n; i++)
        out[i] = rs_vecmath_tanhf(x[i] / cap) * cap;
}

/* dx += dout (1 - t^2), t = tanh(x / cap) */
RS_VEC_CLONES static void
softcap_backward(float *restrict dx, const float *restrict dout,
                 const float *restrict x, size_t n, float cap)
{
    size_t i, nv = rs_vec_floor(n);
    for (i = 0; i < nv; i++) {
        float t = rs_vecmath_tanhf(x[i] / cap);
        dx[i] += dout[i] * (1.0f - t * t);
    }
    for (; i < n; i++) {
        float t = rs_vecmath_tanhf(x[i] / cap);
        dx[i] += dout[i] * (1.0f - t * t);
    }
}

struct softcap_job {
    float *out;
    const float *a, *b;
    float cap;
};

static void
softcap_fwd_piece(void *ctx, size_t lo, size_t hi)
{
    const struct softcap_job *j = ctx;
    softcap_forward(j->out + lo, j->a + lo, hi - lo, j->cap);
}

static void
softcap_bwd_piece(void *ctx, size_t lo, size_t hi)
{
    const struct softcap_job *j = ctx;
    softcap_backward(j->out + lo, j->a + lo, j->b + lo, hi - lo, j->cap);
}

static void
node_softcap_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    struct softcap_job j = {
        .out = n->out->data, .a = n->src[0]->data, .cap = n->p.scalar.v};
    rs_pool_for(n->out->numel, RS_POOL_GRAIN_MATH, softcap_fwd_piece, &j);
}

static void
node_softcap_backward(rs_graph *g, struct rs_node *n)
{
    struct softcap_job j = {.out = rs_graph_grad(g, n->src[0]),
                            .a = n->out->grad,
                            .b = n->src[0]->data,
                            .cap = n->p.scalar.v};
    rs_pool_for(n->out->numel, RS_POOL_GRAIN_MATH, softcap_bwd_piece, &j);
}

const struct rs_op_def rs_op_def_softcap = {
    .name = "softcap",
    .forward = node_softcap_forward,
    .backward = node_softcap_backward,
};

rs_tensor *
rs_op_softcap(rs_graph *g, rs_tensor *x, float cap)
{
    if (rs_graph_skip(g, 1, &x))
        return NULL;
    /* !(cap > 0) also catches NaN. */
    if (!(cap > 0.0f) || isinf(cap)) {
        rs_graph_fail(g, RS_EINVAL, "softcap: cap %g is not finite and > 0",
                      (double)cap);
        return NULL;
    }
    rs_tensor *out = rs_graph_tensor(g, x->ndim, x->shape);
    if (out == NULL)
        return NULL;
    struct rs_node *n = rs_graph_node(g, RS_OP_SOFTCAP, out, 1, &x);
    n->p.scalar.v = cap;
    return rs_graph_record(g, n);
}
