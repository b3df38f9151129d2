/* repscope - MIT licence, see COPYING.
 *
 * ops_rope.c: rotary position embedding (RoFormer, Su et al.) on a packed
 * qkv (B, T, 3C) = [q | k | v], C = H D, D even.
 *
 * In every head of the q and k thirds, the interleaved pair (2i, 2i + 1) at
 * position t is rotated by theta(t, i) = t base^(-2i/D); v is copied. Then
 * q_t . k_s depends on t and s only through t - s, which is the point.
 *
 * The forward computes a (T, D/2) table of (cos, sin) in double (t up to
 * thousands times a float frequency would lose ~1e-4 rad in float) and keeps
 * it in node->saved: the backward rotates the gradient back by -theta, the
 * transpose of a rotation being its inverse. Worker thread only.
 */
#include "config.h"

#include "core/ops.h"

#include <math.h>
#include <string.h>

#include "core/ops_impl.h"

/* cs[(t (D/2) + i) 2 + {0, 1}] = cos, sin of t base^(-2i/D). */
static void
rope_table(float *restrict cs, /* (T, D/2, 2) */
           int T, int D, float base)
{
    int P = D / 2;
    for (int i = 0; i < P; i++) {
        double freq = pow((double)base, -2.0 * i / (double)D);
        for (int t = 0; t < T; t++) {
            double a = (double)t * freq;
            float *c = cs + ((size_t)t * (size_t)P + (size_t)i) * 2;
            c[0] = (float)cos(a);
            c[1] = (float)sin(a);
        }
    }
}

/* y = R(sgn theta) x on the D/2 pairs of each of the 2H (q and k) heads of
 * one row: y0 = c x0 - sgn s x1, y1 = sgn s x0 + c x1. With acc the result
 * is added to y. */
static void
rope_row(float *restrict y, const float *restrict x, const float *restrict cs,
         int n_heads2, int D, float sgn, bool acc)
{
    int P = D / 2;
    for (int h = 0; h < n_heads2; h++) {
        const float *xh = x + (size_t)h * (size_t)D;
        float *yh = y + (size_t)h * (size_t)D;
        for (int i = 0; i < P; i++) {
            float c = cs[2 * i], s = sgn * cs[2 * i + 1];
            float x0 = xh[2 * i], x1 = xh[2 * i + 1];
            float y0 = c * x0 - s * x1, y1 = s * x0 + c * x1;
            if (acc) {
                yh[2 * i] += y0;
                yh[2 * i + 1] += y1;
            } else {
                yh[2 * i] = y0;
                yh[2 * i + 1] = y1;
            }
        }
    }
}

/* out = rotate(q), rotate(k), v per position. */
static void
rope_forward(float *restrict out,       /* (B, T, 3C) */
             const float *restrict qkv, /* (B, T, 3C) */
             const float *restrict cs,  /* (T, D/2, 2) */
             int B, int T, int C, int H)
{
    int D = C / H;
    size_t C3 = 3 * (size_t)C;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            size_t row = ((size_t)b * (size_t)T + (size_t)t) * C3;
            const float *cst = cs + (size_t)t * (size_t)D;
            rope_row(out + row, qkv + row, cst, 2 * H, D, 1.0f, false);
            memcpy(out + row + 2 * (size_t)C, qkv + row + 2 * (size_t)C,
                   (size_t)C * sizeof(float));
        }
}

/* y = R x  =>  dx = R^T dy = R(-theta) dy on q and k; dv = dy. */
static void
rope_backward(float *restrict dqkv,       /* (B, T, 3C) */
              const float *restrict dout, /* (B, T, 3C) */
              const float *restrict cs,   /* (T, D/2, 2) */
              int B, int T, int C, int H)
{
    int D = C / H;
    size_t C3 = 3 * (size_t)C;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            size_t row = ((size_t)b * (size_t)T + (size_t)t) * C3;
            const float *cst = cs + (size_t)t * (size_t)D;
            rope_row(dqkv + row, dout + row, cst, 2 * H, D, -1.0f, true);
            rs_vec_acc(dqkv + row + 2 * (size_t)C, dout + row + 2 * (size_t)C,
                       (size_t)C);
        }
}

static void
node_rope_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    const rs_tensor *qkv = n->src[0];
    int B = qkv->shape[0], T = qkv->shape[1], C = qkv->shape[2] / 3;
    rope_forward(n->out->data, qkv->data, n->saved, B, T, C, n->p.rope.heads);
}

static void
node_rope_backward(rs_graph *g, struct rs_node *n)
{
    rs_tensor *qkv = n->src[0];
    if (!qkv->requires_grad)
        return;
    int B = qkv->shape[0], T = qkv->shape[1], C = qkv->shape[2] / 3;
    rope_backward(rs_graph_grad(g, qkv), n->out->grad, n->saved, B, T, C,
                  n->p.rope.heads);
}

const struct rs_op_def rs_op_def_rope = {
    .name = "rope",
    .forward = node_rope_forward,
    .backward = node_rope_backward,
};

rs_tensor *
rs_op_rope(rs_graph *g, rs_tensor *qkv, int heads, float base)
{
    if (rs_graph_skip(g, 1, &qkv))
        return NULL;
    char buf[64];
    if (qkv->ndim != 3 || qkv->shape[2] % 3 != 0) {
        rs_graph_fail(g, RS_ESHAPE, "rope: qkv %s is not (B, T, 3C)",
                      rs_tensor_shape_str(qkv, buf, sizeof buf));
        return NULL;
    }
    int T = qkv->shape[1], C = qkv->shape[2] / 3;
    if (heads < 1) {
        rs_graph_fail(g, RS_EINVAL, "rope: heads %d is not >= 1", heads);
        return NULL;
    }
    if (C % heads != 0 || (C / heads) % 2 != 0) {
        rs_graph_fail(g, RS_EINVAL,
                      "rope: C %d is not heads %d times an even head size", C,
                      heads);
        return NULL;
    }
    /* !(base > 1) also catches NaN. */
    if (!(base > 1.0f) || isinf(base)) {
        rs_graph_fail(g, RS_EINVAL, "rope: base %g is not finite and > 1",
                      (double)base);
        return NULL;
    }
    rs_tensor *out = rs_graph_tensor(g, 3, qkv->shape);
    if (out == NULL)
        return NULL;
    int D = C / heads;
    float *cs = rs_graph_alloc(g, (size_t)T * (size_t)D * sizeof(float));
    rope_table(cs, T, D, base);
    struct rs_node *n = rs_graph_node(g, RS_OP_ROPE, out, 1, &qkv);
    n->p.rope.heads = heads;
    n->saved = cs;
    return rs_graph_record(g, n);
}
