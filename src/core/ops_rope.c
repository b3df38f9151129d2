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
 * transpose of a rotation being its inverse.
 *
 * rs_op_rope_half is RecurrentGemma's variant (Botev et al., arXiv
 * 2404.07839; layers.py::apply_rope): a single tensor of heads (queries, or
 * the one shared key head of multi-query attention), only the first r dims
 * of each head rotated, with the rotate-half pairing (i, i + r/2) and
 * absolute positions pos0 + t, so a decoder can rotate one new row with
 * rs_rope_half_row and get the same bits. Worker thread only (the raw row
 * kernel: any thread).
 */
#include "config.h"

#include "core/ops.h"

#include <limits.h>
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

/* ---- rope_half --------------------------------------------------------- */

/* cs[0], cs[1] = cos, sin of pos base^(-2i/r), computed in double and
 * rounded once: the one formula both the op's table and the row kernel
 * use, so the two give the same bits. */
static void
rope_half_angle(float *cs, double pos, int i, int r, float base)
{
    double a = pos * pow((double)base, -2.0 * i / (double)r);
    cs[0] = (float)cos(a);
    cs[1] = (float)sin(a);
}

/* Pairs i0 .. i1 - 1 (of P = r/2) in each of the heads of one row
 * (heads, hd), pair i at (i, i + P) rotated by (c, sgn s) = cs[2 (i - i0)]:
 * y_i = c x_i - s x_{i+P}, y_{i+P} = s x_i + c x_{i+P}. Both inputs of a
 * pair are read before either output is written, so y may be x; with acc
 * the results are added to y (then y must not be x). */
static void
rope_half_pairs(float *y, const float *x, const float *cs, int heads, int hd,
                int P, int i0, int i1, float sgn, bool acc)
{
    for (int h = 0; h < heads; h++) {
        const float *xh = x + (size_t)h * (size_t)hd;
        float *yh = y + (size_t)h * (size_t)hd;
        for (int i = i0; i < i1; i++) {
            float c = cs[2 * (i - i0)], s = sgn * cs[2 * (i - i0) + 1];
            float x0 = xh[i], x1 = xh[i + P];
            float y0 = c * x0 - s * x1, y1 = s * x0 + c * x1;
            if (acc) {
                yh[i] += y0;
                yh[i + P] += y1;
            } else {
                yh[i] = y0;
                yh[i + P] = y1;
            }
        }
    }
}

/* Dims r .. hd of each head: copied (acc: added). */
static void
rope_half_rest(float *y, const float *x, int heads, int hd, int r, bool acc)
{
    if (r == hd || (y == x && !acc))
        return;
    for (int h = 0; h < heads; h++) {
        size_t o = (size_t)h * (size_t)hd + (size_t)r;
        if (acc)
            rs_vec_acc(y + o, x + o, (size_t)(hd - r));
        else
            memcpy(y + o, x + o, (size_t)(hd - r) * sizeof(float));
    }
}

void
rs_rope_half_row(float *y, const float *x, int heads, int hd, int rot_dims,
                 float base, int pos)
{
    int P = rot_dims / 2;
    for (int i = 0; i < P; i++) {
        float cs[2];
        rope_half_angle(cs, (double)pos, i, rot_dims, base);
        rope_half_pairs(y, x, cs, heads, hd, P, i, i + 1, 1.0f, false);
    }
    rope_half_rest(y, x, heads, hd, rot_dims, false);
}

/* y = R(theta) x on the rotated dims, the rest copied: per row of
 * (B, T, heads hd), row t with the angles cs[t] of position pos0 + t. */
static void
rope_half_forward(float *restrict out,      /* (B, T, H hd) */
                  const float *restrict x,  /* (B, T, H hd) */
                  const float *restrict cs, /* (T, r/2, 2) */
                  int B, int T, int H, int hd, int r)
{
    int P = r / 2;
    size_t C = (size_t)H * (size_t)hd;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            size_t row = ((size_t)b * (size_t)T + (size_t)t) * C;
            const float *cst = cs + (size_t)t * (size_t)r;
            rope_half_pairs(out + row, x + row, cst, H, hd, P, 0, P, 1.0f,
                            false);
            rope_half_rest(out + row, x + row, H, hd, r, false);
        }
}

/* y = R x  =>  dx = R^T dy = R(-theta) dy on the rotated dims; the copied
 * dims pass dy through. */
static void
rope_half_backward(float *restrict dx,         /* (B, T, H hd) */
                   const float *restrict dout, /* (B, T, H hd) */
                   const float *restrict cs,   /* (T, r/2, 2) */
                   int B, int T, int H, int hd, int r)
{
    int P = r / 2;
    size_t C = (size_t)H * (size_t)hd;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            size_t row = ((size_t)b * (size_t)T + (size_t)t) * C;
            const float *cst = cs + (size_t)t * (size_t)r;
            rope_half_pairs(dx + row, dout + row, cst, H, hd, P, 0, P, -1.0f,
                            true);
            rope_half_rest(dx + row, dout + row, H, hd, r, true);
        }
}

static void
node_rope_half_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    const rs_tensor *x = n->src[0];
    int H = n->p.rope_half.heads;
    rope_half_forward(n->out->data, x->data, n->saved, x->shape[0], x->shape[1],
                      H, x->shape[2] / H, n->p.rope_half.rot_dims);
}

static void
node_rope_half_backward(rs_graph *g, struct rs_node *n)
{
    rs_tensor *x = n->src[0];
    if (!x->requires_grad)
        return;
    int H = n->p.rope_half.heads;
    rope_half_backward(rs_graph_grad(g, x), n->out->grad, n->saved, x->shape[0],
                       x->shape[1], H, x->shape[2] / H,
                       n->p.rope_half.rot_dims);
}

const struct rs_op_def rs_op_def_rope_half = {
    .name = "rope_half",
    .forward = node_rope_half_forward,
    .backward = node_rope_half_backward,
};

rs_tensor *
rs_op_rope_half(rs_graph *g, rs_tensor *x, int heads, int rot_dims, float base,
                int pos0)
{
    if (rs_graph_skip(g, 1, &x))
        return NULL;
    char buf[64];
    if (x->ndim != 3) {
        rs_graph_fail(g, RS_ESHAPE, "rope_half: x %s is not (B, T, H hd)",
                      rs_tensor_shape_str(x, buf, sizeof buf));
        return NULL;
    }
    int T = x->shape[1], C = x->shape[2];
    if (heads < 1 || C % heads != 0) {
        rs_graph_fail(g, RS_EINVAL,
                      "rope_half: heads %d is not >= 1 and a divisor of %d",
                      heads, C);
        return NULL;
    }
    int hd = C / heads;
    if (rot_dims < 2 || rot_dims % 2 != 0 || rot_dims > hd) {
        rs_graph_fail(g, RS_EINVAL,
                      "rope_half: rot_dims %d is not even, >= 2 and <= the "
                      "head size %d",
                      rot_dims, hd);
        return NULL;
    }
    /* !(base > 1) also catches NaN. */
    if (!(base > 1.0f) || isinf(base)) {
        rs_graph_fail(g, RS_EINVAL, "rope_half: base %g is not finite and > 1",
                      (double)base);
        return NULL;
    }
    if (pos0 < 0 || pos0 > INT_MAX - T) {
        rs_graph_fail(g, RS_EINVAL,
                      "rope_half: pos0 %d is negative or pos0 + T overflows",
                      pos0);
        return NULL;
    }
    rs_tensor *out = rs_graph_tensor(g, 3, x->shape);
    if (out == NULL)
        return NULL;
    /* cs (T, r/2, 2): the angles of positions pos0 .. pos0 + T - 1. */
    float *cs = rs_graph_alloc(g, (size_t)T * (size_t)rot_dims * sizeof(float));
    for (int t = 0; t < T; t++)
        for (int i = 0; i < rot_dims / 2; i++)
            rope_half_angle(cs + (size_t)t * (size_t)rot_dims + 2 * (size_t)i,
                            (double)pos0 + (double)t, i, rot_dims, base);
    struct rs_node *n = rs_graph_node(g, RS_OP_ROPE_HALF, out, 1, &x);
    n->p.rope_half.heads = heads;
    n->p.rope_half.rot_dims = rot_dims;
    n->saved = cs;
    return rs_graph_record(g, n);
}
