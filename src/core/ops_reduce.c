/* repscope - MIT licence, see COPYING.
 *
 * ops_reduce.c: reductions to a scalar (sum, mean, mse, cross_entropy) and
 * the row ops softmax / log_softmax over the last dimension.
 *
 * Invariants: every reduction accumulates in double and every row op
 * subtracts the row maximum before exponentiating, so large logits neither
 * overflow nor lose the small terms. Scalar outputs have ndim 0.
 * cross_entropy keeps its softmax probabilities (rows, V) in node->saved
 * for backward, and only when a gradient can flow. Worker thread only.
 */
#include "config.h"

#include "core/ops.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#include "core/ops_impl.h"
#include "core/tensor.h"
#include "core/vecmath.h"

/* A scalar (ndim 0) output tensor. */
static rs_tensor *
scalar_tensor(rs_graph *g)
{
    int shape[1] = {1};
    return rs_graph_tensor(g, 0, shape);
}

/* ---- sum and mean ----------------------------------------------------- */

/* out[0] = scale * sum(x), x (N), accumulated in double. */
static void
sum_forward(float *out, const float *restrict x, size_t n, double scale)
{
    out[0] = (float)(rs_vec_sum_double(x, n) * scale);
}

/* dx += scale * dout (every element weighs the same) */
RS_VEC_CLONES static void
sum_backward(float *restrict dx, float dout, size_t n, float scale)
{
    const float d = dout * scale;
    size_t i, nv = rs_vec_floor(n);
    for (i = 0; i < nv; i++)
        dx[i] += d;
    for (; i < n; i++)
        dx[i] += d;
}

static void
sum_node_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    const rs_tensor *x = n->src[0];
    sum_forward(n->out->data, x->data, x->numel, 1.0);
}

static void
sum_node_backward(rs_graph *g, struct rs_node *n)
{
    rs_tensor *x = n->src[0];
    sum_backward(rs_graph_grad(g, x), n->out->grad[0], x->numel, 1.0f);
}

static void
mean_node_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    const rs_tensor *x = n->src[0];
    sum_forward(n->out->data, x->data, x->numel, 1.0 / (double)x->numel);
}

static void
mean_node_backward(rs_graph *g, struct rs_node *n)
{
    rs_tensor *x = n->src[0];
    sum_backward(rs_graph_grad(g, x), n->out->grad[0], x->numel,
                 (float)(1.0 / (double)x->numel));
}

const struct rs_op_def rs_op_def_sum = {
    .name = "sum",
    .forward = sum_node_forward,
    .backward = sum_node_backward,
};
const struct rs_op_def rs_op_def_mean = {
    .name = "mean",
    .forward = mean_node_forward,
    .backward = mean_node_backward,
};

static rs_tensor *
reduce_build(rs_graph *g, enum rs_op op, rs_tensor *x)
{
    if (rs_graph_skip(g, 1, &x))
        return NULL;
    rs_tensor *out = scalar_tensor(g);
    if (out == NULL)
        return NULL;
    return rs_graph_record(g, rs_graph_node(g, op, out, 1, &x));
}

rs_tensor *
rs_op_sum(rs_graph *g, rs_tensor *x)
{
    return reduce_build(g, RS_OP_SUM, x);
}

rs_tensor *
rs_op_mean(rs_graph *g, rs_tensor *x)
{
    return reduce_build(g, RS_OP_MEAN, x);
}

/* ---- softmax and log_softmax ------------------------------------------ */

/* Row kernels over (rows, V): each row is independent, so any [lo, hi)
 * range of rows can run on its own thread. The exponentials are
 * rs_vecmath_expf in loops to rs_vec_floor(V), compiled per vector width
 * (RS_VEC_CLONES); the row sums go through rs_vec_sum_double's fixed
 * order, so every width gives the same bits. */

/* The largest of x[0..V), V >= 1: 16 running maxima (a fixed order), then
 * the tail. Only which of several equal maxima (+0 and -0) is picked can
 * differ from a left-to-right scan, and x - max is the same then. */
static RS_VEC_INLINE float
row_max(const float *restrict x, size_t V)
{
    if (V < 16) {
        float m = x[0];
        for (size_t j = 1; j < V; j++)
            m = x[j] > m ? x[j] : m;
        return m;
    }
    float acc[16];
    memcpy(acc, x, sizeof acc);
    size_t j = 16;
    for (; j + 16 <= V; j += 16)
        for (size_t i = 0; i < 16; i++)
            acc[i] = x[j + i] > acc[i] ? x[j + i] : acc[i];
    float m = acc[0];
    for (size_t i = 1; i < 16; i++)
        m = acc[i] > m ? acc[i] : m;
    for (; j < V; j++)
        m = x[j] > m ? x[j] : m;
    return m;
}

/* e[j] = exp(x[j] - max) for one row; returns their sum (double). The
 * last V mod 16 go through one zero-padded block of 16, so a short row (10
 * classes) is vectorised too. */
static RS_VEC_INLINE double
row_exp(float *restrict e, const float *restrict x, float max, size_t V)
{
    size_t j, nv = rs_vec_floor(V);
    for (j = 0; j < nv; j++)
        e[j] = rs_vecmath_expf(x[j] - max);
    if (j < V) {
        float b[16] = {0};
        memcpy(b, x + j, (V - j) * sizeof(float));
        for (size_t i = 0; i < 16; i++)
            b[i] = rs_vecmath_expf(b[i] - max);
        memcpy(e + j, b, (V - j) * sizeof(float));
    }
    return rs_vec_sum_double(e, V);
}

/* y *= s over one row. */
static RS_VEC_INLINE void
row_scale(float *restrict y, float s, size_t V)
{
    size_t j, nv = rs_vec_floor(V);
    for (j = 0; j < nv; j++)
        y[j] *= s;
    for (; j < V; j++)
        y[j] *= s;
}

/* out (rows, V) = exp(x - max) / sum exp(x - max), row by row. */
RS_VEC_CLONES static void
softmax_forward(float *restrict out, const float *restrict x, size_t rows,
                size_t V)
{
    for (size_t r = 0; r < rows; r++) {
        const float *restrict xr = x + r * V;
        float *restrict yr = out + r * V;
        double s = row_exp(yr, xr, row_max(xr, V), V);
        row_scale(yr, (float)(1.0 / s), V);
    }
}

/* dx_j += y_j (d_j - sum_k d_k y_k), per row */
RS_VEC_CLONES static void
softmax_backward(float *restrict dx, const float *restrict dout,
                 const float *restrict y, size_t rows, size_t V)
{
    size_t nv = rs_vec_floor(V);
    for (size_t r = 0; r < rows; r++) {
        const float *restrict dr = dout + r * V;
        const float *restrict yr = y + r * V;
        float *restrict xr = dx + r * V;
        double dot = 0.0;
        for (size_t j = 0; j < V; j++)
            dot += (double)dr[j] * (double)yr[j];
        const float fdot = (float)dot;
        size_t j;
        for (j = 0; j < nv; j++)
            xr[j] += yr[j] * (dr[j] - fdot);
        for (; j < V; j++)
            xr[j] += yr[j] * (dr[j] - fdot);
    }
}

/* out (rows, V) = x - max - log(sum exp(x - max)), row by row; the
 * exponentials go through the output row first. */
RS_VEC_CLONES static void
log_softmax_forward(float *restrict out, const float *restrict x, size_t rows,
                    size_t V)
{
    size_t nv = rs_vec_floor(V);
    for (size_t r = 0; r < rows; r++) {
        const float *restrict xr = x + r * V;
        float *restrict yr = out + r * V;
        float max = row_max(xr, V);
        const float lse = (float)log(row_exp(yr, xr, max, V));
        size_t j;
        for (j = 0; j < nv; j++)
            yr[j] = (xr[j] - max) - lse;
        for (; j < V; j++)
            yr[j] = (xr[j] - max) - lse;
    }
}

/* dx_j += d_j - exp(y_j) sum_k d_k, per row (exp(y) is the softmax) */
RS_VEC_CLONES static void
log_softmax_backward(float *restrict dx, const float *restrict dout,
                     const float *restrict y, size_t rows, size_t V)
{
    size_t nv = rs_vec_floor(V);
    for (size_t r = 0; r < rows; r++) {
        const float *restrict dr = dout + r * V;
        const float *restrict yr = y + r * V;
        float *restrict xr = dx + r * V;
        const float fsd = (float)rs_vec_sum_double(dr, V);
        size_t j;
        for (j = 0; j < nv; j++)
            xr[j] += dr[j] - rs_vecmath_expf(yr[j]) * fsd;
        for (; j < V; j++)
            xr[j] += dr[j] - rs_vecmath_expf(yr[j]) * fsd;
    }
}

static void
softmax_node_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    const rs_tensor *x = n->src[0];
    softmax_forward(n->out->data, x->data, rs_tensor_rows(x),
                    (size_t)rs_tensor_cols(x));
}

static void
softmax_node_backward(rs_graph *g, struct rs_node *n)
{
    rs_tensor *x = n->src[0];
    softmax_backward(rs_graph_grad(g, x), n->out->grad, n->out->data,
                     rs_tensor_rows(x), (size_t)rs_tensor_cols(x));
}

static void
log_softmax_node_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    const rs_tensor *x = n->src[0];
    log_softmax_forward(n->out->data, x->data, rs_tensor_rows(x),
                        (size_t)rs_tensor_cols(x));
}

static void
log_softmax_node_backward(rs_graph *g, struct rs_node *n)
{
    rs_tensor *x = n->src[0];
    log_softmax_backward(rs_graph_grad(g, x), n->out->grad, n->out->data,
                         rs_tensor_rows(x), (size_t)rs_tensor_cols(x));
}

const struct rs_op_def rs_op_def_softmax = {
    .name = "softmax",
    .forward = softmax_node_forward,
    .backward = softmax_node_backward,
};
const struct rs_op_def rs_op_def_log_softmax = {
    .name = "log_softmax",
    .forward = log_softmax_node_forward,
    .backward = log_softmax_node_backward,
};

static rs_tensor *
row_build(rs_graph *g, enum rs_op op, rs_tensor *x)
{
    if (rs_graph_skip(g, 1, &x))
        return NULL;
    if (x->ndim < 1) {
        rs_graph_fail(g, RS_ESHAPE,
                      "%s: needs at least one dimension, got a scalar",
                      rs_ops[op]->name);
        return NULL;
    }
    rs_tensor *out = rs_graph_tensor(g, x->ndim, x->shape);
    if (out == NULL)
        return NULL;
    return rs_graph_record(g, rs_graph_node(g, op, out, 1, &x));
}

rs_tensor *
rs_op_softmax(rs_graph *g, rs_tensor *x)
{
    return row_build(g, RS_OP_SOFTMAX, x);
}

rs_tensor *
rs_op_log_softmax(rs_graph *g, rs_tensor *x)
{
    return row_build(g, RS_OP_LOG_SOFTMAX, x);
}

/* ---- cross-entropy ---------------------------------------------------- */

/* out[0] = sum_r m_r (lse(x_r) - x_r[t_r]) / weight over rows with m_r != 0
 * (m_r = 1 without a mask). probs (rows, V), may be NULL, receives the
 * softmax of those rows for backward; without it the exponentials of a row
 * go to row (V) scratch. */
RS_VEC_CLONES static void
cross_entropy_forward(float *out, float *restrict probs, float *restrict row,
                      const float *restrict logits, const int *restrict targets,
                      const float *restrict mask, double weight, size_t rows,
                      size_t V)
{
    double total = 0.0;
    for (size_t r = 0; r < rows; r++) {
        double m = mask != NULL ? (double)mask[r] : 1.0;
        if (m == 0.0)
            continue;
        const float *restrict xr = logits + r * V;
        float *restrict pr = probs != NULL ? probs + r * V : row;
        float max = row_max(xr, V);
        double s = row_exp(pr, xr, max, V);
        if (probs != NULL)
            row_scale(pr, (float)(1.0 / s), V);
        double lse = (double)max + log(s);
        total += m * (lse - (double)xr[targets[r]]);
    }
    out[0] = (float)(total / weight);
}

/* dx_rj += dout m_r / weight (p_rj - [j == t_r]) */
RS_VEC_CLONES static void
cross_entropy_backward(float *restrict dx, float dout,
                       const float *restrict probs, const int *restrict targets,
                       const float *restrict mask, double weight, size_t rows,
                       size_t V)
{
    size_t nv = rs_vec_floor(V);
    for (size_t r = 0; r < rows; r++) {
        double m = mask != NULL ? (double)mask[r] : 1.0;
        if (m == 0.0)
            continue;
        const float c = (float)((double)dout * m / weight);
        float *restrict dr = dx + r * V;
        const float *restrict pr = probs + r * V;
        size_t j;
        for (j = 0; j < nv; j++)
            dr[j] += c * pr[j];
        for (; j < V; j++)
            dr[j] += c * pr[j];
        dr[targets[r]] -= c;
    }
}

static void
cross_entropy_node_forward(rs_graph *g, struct rs_node *n)
{
    const rs_tensor *x = n->src[0];
    size_t rows = rs_tensor_rows(x), V = (size_t)rs_tensor_cols(x);
    float *probs = NULL, *row = NULL;
    if (rs_graph_grad_enabled(g) && x->requires_grad) {
        probs = rs_graph_alloc(g, x->numel * sizeof(float));
        n->saved = probs;
    } else {
        row = rs_graph_alloc(g, V * sizeof(float));
    }
    cross_entropy_forward(n->out->data, probs, row, x->data, n->p.ce.targets,
                          n->p.ce.mask, n->p.ce.weight, rows, V);
}

static void
cross_entropy_node_backward(rs_graph *g, struct rs_node *n)
{
    rs_tensor *x = n->src[0];
    RS_ASSERT(n->saved != NULL);
    cross_entropy_backward(rs_graph_grad(g, x), n->out->grad[0], n->saved,
                           n->p.ce.targets, n->p.ce.mask, n->p.ce.weight,
                           rs_tensor_rows(x), (size_t)rs_tensor_cols(x));
}

const struct rs_op_def rs_op_def_cross_entropy = {
    .name = "cross_entropy",
    .forward = cross_entropy_node_forward,
    .backward = cross_entropy_node_backward,
};

rs_tensor *
rs_op_cross_entropy(rs_graph *g, rs_tensor *logits, const int *targets,
                    const float *mask)
{
    if (rs_graph_skip(g, 1, &logits))
        return NULL;
    if (logits->ndim < 1) {
        rs_graph_fail(g, RS_ESHAPE,
                      "cross_entropy: logits need a class dimension, got a "
                      "scalar");
        return NULL;
    }
    if (targets == NULL) {
        rs_graph_fail(g, RS_EINVAL, "cross_entropy: targets is NULL");
        return NULL;
    }
    size_t rows = rs_tensor_rows(logits);
    int V = rs_tensor_cols(logits);
    double weight = 0.0;
    for (size_t r = 0; r < rows; r++) {
        if (targets[r] < 0 || targets[r] >= V) {
            rs_graph_fail(g, RS_EINVAL,
                          "cross_entropy: target %d at row %zu is outside "
                          "[0, %d)",
                          targets[r], r, V);
            return NULL;
        }
        if (mask == NULL) {
            weight += 1.0;
        } else if (!(mask[r] >= 0.0f) || isinf(mask[r])) {
            rs_graph_fail(g, RS_EINVAL,
                          "cross_entropy: mask %g at row %zu is not a finite "
                          "weight >= 0",
                          (double)mask[r], r);
            return NULL;
        } else {
            weight += (double)mask[r];
        }
    }
    if (!(weight > 0.0)) {
        rs_graph_fail(g, RS_EINVAL,
                      "cross_entropy: mask is all zero (%zu rows), nothing "
                      "to average",
                      rows);
        return NULL;
    }
    rs_tensor *out = scalar_tensor(g);
    if (out == NULL)
        return NULL;
    struct rs_node *n = rs_graph_node(g, RS_OP_CROSS_ENTROPY, out, 1, &logits);
    n->p.ce.targets = rs_graph_alloc(g, rows * sizeof(int));
    memcpy(n->p.ce.targets, targets, rows * sizeof(int));
    if (mask != NULL) {
        n->p.ce.mask = rs_graph_alloc(g, rows * sizeof(float));
        memcpy(n->p.ce.mask, mask, rows * sizeof(float));
    }
    n->p.ce.weight = weight;
    return rs_graph_record(g, n);
}

/* ---- mse -------------------------------------------------------------- */

/* out[0] = mean((a - b)^2), a and b (N), accumulated in double. */
static void
mse_forward(float *out, const float *restrict a, const float *restrict b,
            size_t n)
{
    double s0 = 0.0, s1 = 0.0;
    size_t i, n2 = n & ~(size_t)1;
    for (i = 0; i < n2; i += 2) {
        double d0 = (double)a[i] - (double)b[i];
        double d1 = (double)a[i + 1] - (double)b[i + 1];
        s0 += d0 * d0;
        s1 += d1 * d1;
    }
    for (; i < n; i++) {
        double d = (double)a[i] - (double)b[i];
        s0 += d * d;
    }
    out[0] = (float)((s0 + s1) / (double)n);
}

/* da += 2 (a - b) dout / N; db -= 2 (a - b) dout / N. da/db may be NULL;
 * they never alias (a == b has a zero gradient and is skipped). */
RS_VEC_CLONES static void
mse_backward(float *restrict da, float *restrict db, float dout,
             const float *restrict a, const float *restrict b, size_t n)
{
    const float c = (float)(2.0 * (double)dout / (double)n);
    size_t i, nv = rs_vec_floor(n);
    if (da != NULL) {
        for (i = 0; i < nv; i++)
            da[i] += c * (a[i] - b[i]);
        for (; i < n; i++)
            da[i] += c * (a[i] - b[i]);
    }
    if (db != NULL) {
        for (i = 0; i < nv; i++)
            db[i] -= c * (a[i] - b[i]);
        for (; i < n; i++)
            db[i] -= c * (a[i] - b[i]);
    }
}

static void
mse_node_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    const rs_tensor *a = n->src[0], *b = n->src[1];
    mse_forward(n->out->data, a->data, b->data, a->numel);
}

static void
mse_node_backward(rs_graph *g, struct rs_node *n)
{
    rs_tensor *a = n->src[0], *b = n->src[1];
    float *da = a->requires_grad ? rs_graph_grad(g, a) : NULL;
    float *db = b->requires_grad ? rs_graph_grad(g, b) : NULL;
    if (a == b)
        return; /* d/dx mean((x - x)^2) = 0 */
    mse_backward(da, db, n->out->grad[0], a->data, b->data, a->numel);
}

const struct rs_op_def rs_op_def_mse = {
    .name = "mse",
    .forward = mse_node_forward,
    .backward = mse_node_backward,
};

rs_tensor *
rs_op_mse(rs_graph *g, rs_tensor *a, rs_tensor *b)
{
    rs_tensor *src[2] = {a, b};
    if (rs_graph_skip(g, 2, src))
        return NULL;
    if (!rs_tensor_same_shape(a, b)) {
        char sa[64], sb[64];
        rs_graph_fail(g, RS_ESHAPE, "mse: shapes %s and %s differ",
                      rs_tensor_shape_str(a, sa, sizeof sa),
                      rs_tensor_shape_str(b, sb, sizeof sb));
        return NULL;
    }
    rs_tensor *out = scalar_tensor(g);
    if (out == NULL)
        return NULL;
    return rs_graph_record(g, rs_graph_node(g, RS_OP_MSE, out, 2, src));
}
