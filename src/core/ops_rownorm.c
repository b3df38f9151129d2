/* repscope - MIT licence, see COPYING.
 *
 * ops_rownorm.c: normalisations of each row (the last dimension, C wide)
 * and the threshold, the pieces fine-grained alignment weights are built
 * from (SPARC, "Improving fine-grained understanding in image-text
 * pre-training", arXiv 2401.09865, eqs. (2)-(5)):
 *
 *   minmax_norm    y_p = (x_p - min x) / (max x - min x + eps)
 *   threshold      y = x where x >= s, else 0
 *   normalize_sum  y_p = x_p / (sum_r x_r + eps)
 *   normalize_l2   y_p = x_p / sqrt(sum_r x_r^2 + eps)
 *
 * Row sums accumulate in double. The max and min of a row are not
 * differentiable where several entries tie; the backward shares their
 * gradient equally among the tied entries (as PyTorch's amax/amin do),
 * which is also what a central difference sees at a tie. A row whose
 * entries are all equal gives y = 0 (the eps keeps it finite), and every
 * entry is then both an argmax and an argmin. No op keeps scratch: the
 * backward recomputes the row statistics from x and y. The kernels are
 * compiled once per vector width (RS_VEC_CLONES); their elementwise loops
 * run in blocks of 16 so gcc -O2 vectorises them, and normalize_l2 sums 8
 * rows side by side, each row in its own fixed order: every result is
 * bit for bit the plain one-row loop's (-std=c11 contracts no FMA).
 * Worker thread only.
 */
#include "config.h"

#include "core/ops.h"

#include <math.h>
#include <stddef.h>

#include "core/ops_impl.h"

/* ---- minmax_norm ------------------------------------------------------ */

/* max, min and their tie counts of one row. */
static RS_VEC_INLINE void
row_range(const float *restrict x, int C, float *mx, float *mn, int *nmx,
          int *nmn)
{
    float hi = x[0], lo = x[0];
    for (int j = 1; j < C; j++) {
        hi = x[j] > hi ? x[j] : hi;
        lo = x[j] < lo ? x[j] : lo;
    }
    int a = 0, b = 0;
    for (int j = 0; j < C; j++) {
        a += x[j] == hi;
        b += x[j] == lo;
    }
    *mx = hi;
    *mn = lo;
    *nmx = a;
    *nmn = b;
}

/* y_p = (x_p - m) / (M - m + eps) per row. */
RS_VEC_CLONES static void
minmax_forward(float *restrict out,     /* (rows, C) */
               const float *restrict x, /* (rows, C) */
               size_t rows, int C, float eps)
{
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * (size_t)C;
        float *yr = out + r * (size_t)C;
        float M, m;
        int nM, nm;
        row_range(xr, C, &M, &m, &nM, &nm);
        double den = (double)M - (double)m + (double)eps;
        size_t j, nv = rs_vec_floor((size_t)C);
        for (j = 0; j < nv; j += 16) /* blocks of 16 vectorise */
            for (int k = 0; k < 16; k++)
                yr[j + k] = (float)(((double)xr[j + k] - (double)m) / den);
        for (; j < (size_t)C; j++)
            yr[j] = (float)(((double)xr[j] - (double)m) / den);
    }
}

/* One entry of the backward below: dy / D less the argmin's and the
 * argmax's shares (selects, not branches, so the loop vectorises). */
static RS_VEC_INLINE float
minmax_grad(float dy, float x, double den, float m, float M, double cmin,
            double cmax)
{
    double d = (double)dy / den;
    d = x == m ? d - cmin : d;
    d = x == M ? d - cmax : d;
    return (float)d;
}

/* With D = M - m + eps, y_p = (x_p - m) / D:
 *   dy_p/dx_q = delta_pq / D - dm/dx_q / D - y_p (dM/dx_q - dm/dx_q) / D
 * and dM/dx_q = [q in argmax] / nM, dm/dx_q = [q in argmin] / nm. With
 * G = sum_p dy_p and A = sum_p dy_p y_p:
 *   dx_q += dy_q / D - [q in argmin] / nm (G - A) / D - [q in argmax] / nM
 *           A / D */
RS_VEC_CLONES static void
minmax_backward(float *restrict dx,         /* (rows, C) */
                const float *restrict dout, /* (rows, C) */
                const float *restrict x,    /* (rows, C) */
                const float *restrict y,    /* (rows, C) */
                size_t rows, int C, float eps)
{
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * (size_t)C, *yr = y + r * (size_t)C;
        const float *dr = dout + r * (size_t)C;
        float *gr = dx + r * (size_t)C;
        float M, m;
        int nM, nm;
        row_range(xr, C, &M, &m, &nM, &nm);
        double den = (double)M - (double)m + (double)eps;
        double G = 0.0, A = 0.0;
        for (int j = 0; j < C; j++) {
            G += (double)dr[j];
            A += (double)dr[j] * (double)yr[j];
        }
        double cmin = (G - A) / den / nm, cmax = A / den / nM;
        size_t j, nv = rs_vec_floor((size_t)C);
        for (j = 0; j < nv; j += 16) /* blocks of 16 vectorise */
            for (int k = 0; k < 16; k++)
                gr[j + k] +=
                    minmax_grad(dr[j + k], xr[j + k], den, m, M, cmin, cmax);
        for (; j < (size_t)C; j++)
            gr[j] += minmax_grad(dr[j], xr[j], den, m, M, cmin, cmax);
    }
}

static void
node_minmax_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    const rs_tensor *x = n->src[0];
    minmax_forward(n->out->data, x->data, rs_tensor_rows(x), rs_tensor_cols(x),
                   n->p.norm.eps);
}

static void
node_minmax_backward(rs_graph *g, struct rs_node *n)
{
    rs_tensor *x = n->src[0];
    if (!x->requires_grad)
        return;
    minmax_backward(rs_graph_grad(g, x), n->out->grad, x->data, n->out->data,
                    rs_tensor_rows(x), rs_tensor_cols(x), n->p.norm.eps);
}

const struct rs_op_def rs_op_def_minmax_norm = {
    .name = "minmax_norm",
    .forward = node_minmax_forward,
    .backward = node_minmax_backward,
};

/* ---- threshold -------------------------------------------------------- */

/* y = x >= s ? x : 0 */
RS_VEC_CLONES static void
threshold_forward(float *restrict out, const float *restrict x, size_t n,
                  float s)
{
    size_t i, nv = rs_vec_floor(n);
    for (i = 0; i < nv; i += 16) /* blocks of 16 vectorise */
        for (int k = 0; k < 16; k++)
            out[i + k] = x[i + k] >= s ? x[i + k] : 0.0f;
    for (; i < n; i++)
        out[i] = x[i] >= s ? x[i] : 0.0f;
}

/* dx += x >= s ? dy : 0 (the jump at x = s has no derivative; the kept
 * side's 1 is taken) */
RS_VEC_CLONES static void
threshold_backward(float *restrict dx, const float *restrict dout,
                   const float *restrict x, size_t n, float s)
{
    size_t i, nv = rs_vec_floor(n);
    for (i = 0; i < nv; i += 16) /* blocks of 16 vectorise */
        for (int k = 0; k < 16; k++)
            dx[i + k] = x[i + k] >= s ? dx[i + k] + dout[i + k] : dx[i + k];
    for (; i < n; i++)
        dx[i] = x[i] >= s ? dx[i] + dout[i] : dx[i];
}

static void
node_threshold_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    const rs_tensor *x = n->src[0];
    threshold_forward(n->out->data, x->data, x->numel, n->p.scalar.v);
}

static void
node_threshold_backward(rs_graph *g, struct rs_node *n)
{
    rs_tensor *x = n->src[0];
    if (!x->requires_grad)
        return;
    threshold_backward(rs_graph_grad(g, x), n->out->grad, x->data, x->numel,
                       n->p.scalar.v);
}

const struct rs_op_def rs_op_def_threshold = {
    .name = "threshold",
    .forward = node_threshold_forward,
    .backward = node_threshold_backward,
};

/* ---- normalize_sum ---------------------------------------------------- */

/* y_p = x_p / (sum_r x_r + eps) per row. */
RS_VEC_CLONES static void
normsum_forward(float *restrict out, const float *restrict x, size_t rows,
                int C, float eps)
{
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * (size_t)C;
        float *yr = out + r * (size_t)C;
        double S = rs_vec_sum_double(xr, (size_t)C) + (double)eps;
        size_t j, nv = rs_vec_floor((size_t)C);
        for (j = 0; j < nv; j += 16) /* blocks of 16 vectorise */
            for (int k = 0; k < 16; k++)
                yr[j + k] = (float)((double)xr[j + k] / S);
        for (; j < (size_t)C; j++)
            yr[j] = (float)((double)xr[j] / S);
    }
}

/* With S = sum_r x_r + eps, y_p = x_p / S: dy_p/dx_q = delta_pq / S -
 * x_p / S^2, so dx_q += (dy_q - sum_p dy_p y_p) / S */
RS_VEC_CLONES static void
normsum_backward(float *restrict dx, const float *restrict dout,
                 const float *restrict x, const float *restrict y, size_t rows,
                 int C, float eps)
{
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * (size_t)C, *yr = y + r * (size_t)C;
        const float *dr = dout + r * (size_t)C;
        float *gr = dx + r * (size_t)C;
        double S = rs_vec_sum_double(xr, (size_t)C) + (double)eps;
        double A = 0.0;
        for (int j = 0; j < C; j++)
            A += (double)dr[j] * (double)yr[j];
        size_t j, nv = rs_vec_floor((size_t)C);
        for (j = 0; j < nv; j += 16) /* blocks of 16 vectorise */
            for (int k = 0; k < 16; k++)
                gr[j + k] += (float)(((double)dr[j + k] - A) / S);
        for (; j < (size_t)C; j++)
            gr[j] += (float)(((double)dr[j] - A) / S);
    }
}

static void
node_normsum_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    const rs_tensor *x = n->src[0];
    normsum_forward(n->out->data, x->data, rs_tensor_rows(x), rs_tensor_cols(x),
                    n->p.norm.eps);
}

static void
node_normsum_backward(rs_graph *g, struct rs_node *n)
{
    rs_tensor *x = n->src[0];
    if (!x->requires_grad)
        return;
    normsum_backward(rs_graph_grad(g, x), n->out->grad, x->data, n->out->data,
                     rs_tensor_rows(x), rs_tensor_cols(x), n->p.norm.eps);
}

const struct rs_op_def rs_op_def_normalize_sum = {
    .name = "normalize_sum",
    .forward = node_normsum_forward,
    .backward = node_normsum_backward,
};

/* ---- normalize_l2 ----------------------------------------------------- */

/* sqrt(sum_r x_r^2 + eps) of one row, in double. */
static RS_VEC_INLINE double
row_l2(const float *restrict x, int C, float eps)
{
    double s = (double)eps;
    for (int j = 0; j < C; j++)
        s += (double)x[j] * (double)x[j];
    return sqrt(s);
}

/* The kernels take rows ROW_BLOCK at a time: each row's sum keeps the
 * one-row order above (so every result is bit for bit the one-row
 * loop's), but the block's chains of dependent double adds overlap
 * instead of costing C add latencies per row one after another. */
#define ROW_BLOCK 8

/* nrm[k] = row_l2 of row k of the block x (ROW_BLOCK rows of C). */
static RS_VEC_INLINE void
block_l2(double *restrict nrm, const float *restrict x, int C, float eps)
{
    double s[ROW_BLOCK];
    for (int k = 0; k < ROW_BLOCK; k++)
        s[k] = (double)eps;
    for (int j = 0; j < C; j++)
        for (int k = 0; k < ROW_BLOCK; k++) {
            double v = (double)x[(size_t)k * (size_t)C + (size_t)j];
            s[k] += v * v;
        }
    for (int k = 0; k < ROW_BLOCK; k++)
        nrm[k] = sqrt(s[k]);
}

/* dot[k] = sum_j a_kj b_kj in double, j in order, over a block. */
static RS_VEC_INLINE void
block_dot(double *restrict dot, const float *restrict a,
          const float *restrict b, int C)
{
    double s[ROW_BLOCK];
    for (int k = 0; k < ROW_BLOCK; k++)
        s[k] = 0.0;
    for (int j = 0; j < C; j++)
        for (int k = 0; k < ROW_BLOCK; k++) {
            size_t i = (size_t)k * (size_t)C + (size_t)j;
            s[k] += (double)a[i] * (double)b[i];
        }
    for (int k = 0; k < ROW_BLOCK; k++)
        dot[k] = s[k];
}

/* y_p = x_p / nrm over one row. */
static RS_VEC_INLINE void
norml2_row(float *restrict yr, const float *restrict xr, int C, double nrm)
{
    size_t j, nv = rs_vec_floor((size_t)C);
    for (j = 0; j < nv; j += 16) /* blocks of 16 vectorise */
        for (int k = 0; k < 16; k++)
            yr[j + k] = (float)((double)xr[j + k] / nrm);
    for (; j < (size_t)C; j++)
        yr[j] = (float)((double)xr[j] / nrm);
}

/* y_p = x_p / sqrt(sum_r x_r^2 + eps) per row. */
RS_VEC_CLONES static void
norml2_forward(float *restrict out, const float *restrict x, size_t rows, int C,
               float eps)
{
    size_t r = 0;
    for (; r + ROW_BLOCK <= rows; r += ROW_BLOCK) {
        double nrm[ROW_BLOCK];
        block_l2(nrm, x + r * (size_t)C, C, eps);
        for (int k = 0; k < ROW_BLOCK; k++) {
            size_t o = (r + (size_t)k) * (size_t)C;
            norml2_row(out + o, x + o, C, nrm[k]);
        }
    }
    for (; r < rows; r++) {
        size_t o = r * (size_t)C;
        norml2_row(out + o, x + o, C, row_l2(x + o, C, eps));
    }
}

/* dx_q += (dy_q - y_q A) / nrm over one row. */
static RS_VEC_INLINE void
norml2_row_grad(float *restrict gr, const float *restrict dr,
                const float *restrict yr, int C, double A, double nrm)
{
    size_t j, nv = rs_vec_floor((size_t)C);
    for (j = 0; j < nv; j += 16) /* blocks of 16 vectorise */
        for (int k = 0; k < 16; k++)
            gr[j + k] +=
                (float)(((double)dr[j + k] - (double)yr[j + k] * A) / nrm);
    for (; j < (size_t)C; j++)
        gr[j] += (float)(((double)dr[j] - (double)yr[j] * A) / nrm);
}

/* With N = sqrt(sum x^2 + eps), y_p = x_p / N: dy_p/dx_q = delta_pq / N -
 * x_p x_q / N^3, so dx_q += (dy_q - y_q sum_p dy_p y_p) / N */
RS_VEC_CLONES static void
norml2_backward(float *restrict dx, const float *restrict dout,
                const float *restrict x, const float *restrict y, size_t rows,
                int C, float eps)
{
    size_t r = 0;
    for (; r + ROW_BLOCK <= rows; r += ROW_BLOCK) {
        size_t o = r * (size_t)C;
        double nrm[ROW_BLOCK], A[ROW_BLOCK];
        block_l2(nrm, x + o, C, eps);
        block_dot(A, dout + o, y + o, C);
        for (int k = 0; k < ROW_BLOCK; k++) {
            size_t ok = o + (size_t)k * (size_t)C;
            norml2_row_grad(dx + ok, dout + ok, y + ok, C, A[k], nrm[k]);
        }
    }
    for (; r < rows; r++) {
        size_t o = r * (size_t)C;
        const float *dr = dout + o, *yr = y + o;
        double A = 0.0;
        for (int j = 0; j < C; j++)
            A += (double)dr[j] * (double)yr[j];
        norml2_row_grad(dx + o, dr, yr, C, A, row_l2(x + o, C, eps));
    }
}

static void
node_norml2_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    const rs_tensor *x = n->src[0];
    norml2_forward(n->out->data, x->data, rs_tensor_rows(x), rs_tensor_cols(x),
                   n->p.norm.eps);
}

static void
node_norml2_backward(rs_graph *g, struct rs_node *n)
{
    rs_tensor *x = n->src[0];
    if (!x->requires_grad)
        return;
    norml2_backward(rs_graph_grad(g, x), n->out->grad, x->data, n->out->data,
                    rs_tensor_rows(x), rs_tensor_cols(x), n->p.norm.eps);
}

const struct rs_op_def rs_op_def_normalize_l2 = {
    .name = "normalize_l2",
    .forward = node_norml2_forward,
    .backward = node_norml2_backward,
};

/* ---- builders --------------------------------------------------------- */

/* A row op of x with parameter v (eps, or the threshold): checks x has a
 * last dimension and v is finite (and > 0 when positive). */
static rs_tensor *
row_build(rs_graph *g, enum rs_op op, const char *name, rs_tensor *x, float v,
          bool positive)
{
    if (rs_graph_skip(g, 1, &x))
        return NULL;
    if (x->ndim < 1) {
        rs_graph_fail(g, RS_ESHAPE,
                      "%s: x needs a last dimension, got a "
                      "scalar",
                      name);
        return NULL;
    }
    if (!isfinite(v) || (positive && !(v > 0.0f))) {
        rs_graph_fail(g, RS_EINVAL, "%s: %s %g is not finite%s", name,
                      positive ? "eps" : "s", (double)v,
                      positive ? " and > 0" : "");
        return NULL;
    }
    rs_tensor *out = rs_graph_tensor(g, x->ndim, x->shape);
    if (out == NULL)
        return NULL;
    struct rs_node *n = rs_graph_node(g, op, out, 1, &x);
    if (op == RS_OP_THRESHOLD)
        n->p.scalar.v = v;
    else
        n->p.norm.eps = v;
    return rs_graph_record(g, n);
}

rs_tensor *
rs_op_minmax_norm(rs_graph *g, rs_tensor *x, float eps)
{
    return row_build(g, RS_OP_MINMAX_NORM, "minmax_norm", x, eps, true);
}

rs_tensor *
rs_op_threshold(rs_graph *g, rs_tensor *x, float s)
{
    return row_build(g, RS_OP_THRESHOLD, "threshold", x, s, false);
}

rs_tensor *
rs_op_normalize_sum(rs_graph *g, rs_tensor *x, float eps)
{
    return row_build(g, RS_OP_NORMALIZE_SUM, "normalize_sum", x, eps, true);
}

rs_tensor *
rs_op_normalize_l2(rs_graph *g, rs_tensor *x, float eps)
{
    return row_build(g, RS_OP_NORMALIZE_L2, "normalize_l2", x, eps, true);
}
