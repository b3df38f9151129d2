/* repscope - MIT licence, see COPYING.
 *
 * ops_norm.c: LayerNorm and RMSNorm over the last dimension (llm.c's
 * layernorm_forward/backward, extended with optional affine parameters).
 *
 * x is viewed as N rows of C. Statistics are float, computed in two passes
 * (mean, then the mean of squared deviations: the biased variance, as
 * torch.nn.LayerNorm), each sum over 8 partial sums. The forward saves per-row
 * statistics in node->saved (an arena array: mean[N] then rstd[N] for
 * layernorm, rstd[N] for rmsnorm) for the backward. gamma/beta are (C) or NULL;
 * a NULL source has no grad. The kernels are compiled once per vector width
 * (RS_VEC_CLONES): the 8 partial sums are one AVX register or two SSE ones,
 * each lane adds in source order, so every width gives the same bits.
 * Rows are independent: a [lo, hi) range of rows can run on its own thread
 * (the backward's dgamma/dbeta sums over rows are the exception). Worker
 * thread only.
 */
#include "config.h"

#include <limits.h>
#include <math.h>
#include <stddef.h>

#include "core/ops.h"
#include "core/ops_impl.h"

/* Row helpers. Each works on n floats in blocks of 8 with a constant-trip
 * inner loop (gcc -O2 vectorises those and keeps the 8 partial sums in
 * registers), then a scalar tail. Partial sums combine in a fixed order, so
 * results are deterministic. */

static RS_VEC_INLINE float
hsum8(const float *a)
{
    return ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]));
}

/* sum x */
static RS_VEC_INLINE float
row_sum(const float *restrict x, int n)
{
    float acc[8] = {0};
    int j = 0;
    for (; j + 8 <= n; j += 8)
        for (int i = 0; i < 8; i++)
            acc[i] += x[j + i];
    float s = hsum8(acc);
    for (; j < n; j++)
        s += x[j];
    return s;
}

/* sum a (x - m) */
static RS_VEC_INLINE float
row_dot_dev(const float *restrict a, const float *restrict x, float m, int n)
{
    float acc[8] = {0};
    int j = 0;
    for (; j + 8 <= n; j += 8)
        for (int i = 0; i < 8; i++)
            acc[i] += a[j + i] * (x[j + i] - m);
    float s = hsum8(acc);
    for (; j < n; j++)
        s += a[j] * (x[j] - m);
    return s;
}

/* sum (x - m)^2 */
static RS_VEC_INLINE float
row_sq_dev(const float *restrict x, float m, int n)
{
    float acc[8] = {0};
    int j = 0;
    for (; j + 8 <= n; j += 8)
        for (int i = 0; i < 8; i++)
            acc[i] += (x[j + i] - m) * (x[j + i] - m);
    float s = hsum8(acc);
    for (; j < n; j++)
        s += (x[j] - m) * (x[j] - m);
    return s;
}

/* y = (x - m) r */
static RS_VEC_INLINE void
row_norm(float *restrict y, const float *restrict x, float m, float r, int n)
{
    int j = 0;
    for (; j + 8 <= n; j += 8)
        for (int i = 0; i < 8; i++)
            y[j + i] = (x[j + i] - m) * r;
    for (; j < n; j++)
        y[j] = (x[j] - m) * r;
}

/* y *= a */
static RS_VEC_INLINE void
row_mul(float *restrict y, const float *restrict a, int n)
{
    int j = 0;
    for (; j + 8 <= n; j += 8)
        for (int i = 0; i < 8; i++)
            y[j + i] *= a[j + i];
    for (; j < n; j++)
        y[j] *= a[j];
}

/* y = a b */
static RS_VEC_INLINE void
row_prod(float *restrict y, const float *restrict a, const float *restrict b,
         int n)
{
    int j = 0;
    for (; j + 8 <= n; j += 8)
        for (int i = 0; i < 8; i++)
            y[j + i] = a[j + i] * b[j + i];
    for (; j < n; j++)
        y[j] = a[j] * b[j];
}

/* y += a */
static RS_VEC_INLINE void
row_add(float *restrict y, const float *restrict a, int n)
{
    int j = 0;
    for (; j + 8 <= n; j += 8)
        for (int i = 0; i < 8; i++)
            y[j + i] += a[j + i];
    for (; j < n; j++)
        y[j] += a[j];
}

/* y += a (x - m) r */
static RS_VEC_INLINE void
row_add_dev(float *restrict y, const float *restrict a, const float *restrict x,
            float m, float r, int n)
{
    int j = 0;
    for (; j + 8 <= n; j += 8)
        for (int i = 0; i < 8; i++)
            y[j + i] += a[j + i] * (x[j + i] - m) * r;
    for (; j < n; j++)
        y[j] += a[j] * (x[j] - m) * r;
}

/* y += r (g - gm - (x - m) r gn): the layernorm / rmsnorm input grad. */
static RS_VEC_INLINE void
row_dnorm(float *restrict y, const float *restrict g, const float *restrict x,
          float m, float r, float gm, float gn, int n)
{
    int j = 0;
    for (; j + 8 <= n; j += 8)
        for (int i = 0; i < 8; i++)
            y[j + i] += r * (g[j + i] - gm - (x[j + i] - m) * r * gn);
    for (; j < n; j++)
        y[j] += r * (g[j] - gm - (x[j] - m) * r * gn);
}

/* y = (x - mean) * rstd * gamma + beta, with gamma/beta optional. */
RS_VEC_CLONES static void
layernorm_forward(float *restrict out,         /* (N, C) */
                  float *restrict mean,        /* (N) */
                  float *restrict rstd,        /* (N) */
                  const float *restrict x,     /* (N, C) */
                  const float *restrict gamma, /* (C) or NULL */
                  const float *restrict beta,  /* (C) or NULL */
                  int N, int C, float eps)
{
    for (int i = 0; i < N; i++) {
        const float *xi = x + (size_t)i * (size_t)C;
        float *yi = out + (size_t)i * (size_t)C;
        float m = row_sum(xi, C) / (float)C;
        float v = row_sq_dev(xi, m, C) / (float)C;
        float r = 1.0f / sqrtf(v + eps);
        row_norm(yi, xi, m, r, C);
        if (gamma != NULL)
            row_mul(yi, gamma, C);
        if (beta != NULL)
            row_add(yi, beta, C);
        mean[i] = m;
        rstd[i] = r;
    }
}

/* With n = (x - mean) rstd and g = dy * gamma:
 * dx = rstd (g - mean(g) - n mean(g n)); dgamma = sum dy n; dbeta = sum dy.
 * Any of dx, dgamma, dbeta may be NULL (no grad wanted); gbuf (C) is
 * scratch for g. */
RS_VEC_CLONES static void
layernorm_backward(float *restrict dx,          /* (N, C) or NULL */
                   float *restrict dgamma,      /* (C) or NULL */
                   float *restrict dbeta,       /* (C) or NULL */
                   float *restrict gbuf,        /* (C) scratch */
                   const float *restrict dout,  /* (N, C) */
                   const float *restrict x,     /* (N, C) */
                   const float *restrict gamma, /* (C) or NULL */
                   const float *restrict mean,  /* (N) */
                   const float *restrict rstd,  /* (N) */
                   int N, int C)
{
    for (int i = 0; i < N; i++) {
        const float *xi = x + (size_t)i * (size_t)C;
        const float *dyi = dout + (size_t)i * (size_t)C;
        float m = mean[i], r = rstd[i];
        if (dgamma != NULL)
            row_add_dev(dgamma, dyi, xi, m, r, C);
        if (dbeta != NULL)
            row_add(dbeta, dyi, C);
        if (dx == NULL)
            continue;
        const float *gi = dyi;
        if (gamma != NULL) {
            row_prod(gbuf, dyi, gamma, C);
            gi = gbuf;
        }
        float gm = row_sum(gi, C) / (float)C;
        float gn = row_dot_dev(gi, xi, m, C) * r / (float)C;
        row_dnorm(dx + (size_t)i * (size_t)C, gi, xi, m, r, gm, gn, C);
    }
}

/* y = x * rstd * gamma with rstd = 1 / sqrt(mean(x^2) + eps). */
RS_VEC_CLONES static void
rmsnorm_forward(float *restrict out,         /* (N, C) */
                float *restrict rstd,        /* (N) */
                const float *restrict x,     /* (N, C) */
                const float *restrict gamma, /* (C) or NULL */
                int N, int C, float eps)
{
    for (int i = 0; i < N; i++) {
        const float *xi = x + (size_t)i * (size_t)C;
        float *yi = out + (size_t)i * (size_t)C;
        float r = 1.0f / sqrtf(row_sq_dev(xi, 0.0f, C) / (float)C + eps);
        row_norm(yi, xi, 0.0f, r, C);
        if (gamma != NULL)
            row_mul(yi, gamma, C);
        rstd[i] = r;
    }
}

/* With n = x rstd and g = dy * gamma (d rstd / dx_j = -rstd^3 x_j / C):
 * dx = rstd (g - n mean(g n)); dgamma = sum dy n. gbuf (C) is scratch. */
RS_VEC_CLONES static void
rmsnorm_backward(float *restrict dx,          /* (N, C) or NULL */
                 float *restrict dgamma,      /* (C) or NULL */
                 float *restrict gbuf,        /* (C) scratch */
                 const float *restrict dout,  /* (N, C) */
                 const float *restrict x,     /* (N, C) */
                 const float *restrict gamma, /* (C) or NULL */
                 const float *restrict rstd,  /* (N) */
                 int N, int C)
{
    for (int i = 0; i < N; i++) {
        const float *xi = x + (size_t)i * (size_t)C;
        const float *dyi = dout + (size_t)i * (size_t)C;
        float r = rstd[i];
        if (dgamma != NULL)
            row_add_dev(dgamma, dyi, xi, 0.0f, r, C);
        if (dx == NULL)
            continue;
        const float *gi = dyi;
        if (gamma != NULL) {
            row_prod(gbuf, dyi, gamma, C);
            gi = gbuf;
        }
        float gn = row_dot_dev(gi, xi, 0.0f, C) * r / (float)C;
        row_dnorm(dx + (size_t)i * (size_t)C, gi, xi, 0.0f, r, 0.0f, gn, C);
    }
}

/* Grad buffer of src if it exists and wants one, else NULL. */
static float *
grad_or_null(rs_graph *g, rs_tensor *t)
{
    return t != NULL && t->requires_grad ? rs_graph_grad(g, t) : NULL;
}

static const float *
data_or_null(const rs_tensor *t)
{
    return t != NULL ? t->data : NULL;
}

static void
node_layernorm_forward(rs_graph *g, struct rs_node *n)
{
    const rs_tensor *x = n->src[0];
    int N = (int)rs_tensor_rows(x), C = rs_tensor_cols(x);
    float *stats = rs_graph_alloc(g, 2 * (size_t)N * sizeof(float));
    n->saved = stats;
    layernorm_forward(n->out->data, stats, stats + N, x->data,
                      data_or_null(n->src[1]), data_or_null(n->src[2]), N, C,
                      n->p.norm.eps);
}

static void
node_layernorm_backward(rs_graph *g, struct rs_node *n)
{
    rs_tensor *x = n->src[0];
    int N = (int)rs_tensor_rows(x), C = rs_tensor_cols(x);
    const float *stats = n->saved;
    float *gbuf = rs_graph_alloc(g, (size_t)C * sizeof(float));
    layernorm_backward(grad_or_null(g, x), grad_or_null(g, n->src[1]),
                       grad_or_null(g, n->src[2]), gbuf, n->out->grad, x->data,
                       data_or_null(n->src[1]), stats, stats + N, N, C);
}

static void
node_rmsnorm_forward(rs_graph *g, struct rs_node *n)
{
    const rs_tensor *x = n->src[0];
    int N = (int)rs_tensor_rows(x), C = rs_tensor_cols(x);
    float *rstd = rs_graph_alloc(g, (size_t)N * sizeof(float));
    n->saved = rstd;
    rmsnorm_forward(n->out->data, rstd, x->data, data_or_null(n->src[1]), N, C,
                    n->p.norm.eps);
}

static void
node_rmsnorm_backward(rs_graph *g, struct rs_node *n)
{
    rs_tensor *x = n->src[0];
    int N = (int)rs_tensor_rows(x), C = rs_tensor_cols(x);
    float *gbuf = rs_graph_alloc(g, (size_t)C * sizeof(float));
    rmsnorm_backward(grad_or_null(g, x), grad_or_null(g, n->src[1]), gbuf,
                     n->out->grad, x->data, data_or_null(n->src[1]), n->saved,
                     N, C);
}

const struct rs_op_def rs_op_def_layernorm = {
    .name = "layernorm",
    .forward = node_layernorm_forward,
    .backward = node_layernorm_backward,
};
const struct rs_op_def rs_op_def_rmsnorm = {
    .name = "rmsnorm",
    .forward = node_rmsnorm_forward,
    .backward = node_rmsnorm_backward,
};

/* Shared validation: x has a last dim, rows fit an int, eps >= 0, each
 * affine parameter given has C elements. Fails the graph and returns false
 * otherwise. */
static bool
norm_check(rs_graph *g, const char *op, const rs_tensor *x,
           const rs_tensor *gamma, const rs_tensor *beta, float eps)
{
    if (x->ndim < 1)
        return rs_graph_fail(g, RS_ESHAPE, "%s: input is a scalar", op);
    if (rs_tensor_rows(x) > INT_MAX)
        return rs_graph_fail(g, RS_ESHAPE, "%s: %zu rows exceed INT_MAX", op,
                             rs_tensor_rows(x));
    if (!(eps >= 0.0f) || !isfinite(eps))
        return rs_graph_fail(g, RS_EINVAL, "%s: eps %g is not >= 0", op,
                             (double)eps);
    int C = rs_tensor_cols(x);
    if (gamma != NULL && gamma->numel != (size_t)C)
        return rs_graph_fail(g, RS_ESHAPE,
                             "%s: gamma has %zu elements, expected %d", op,
                             gamma->numel, C);
    if (beta != NULL && beta->numel != (size_t)C)
        return rs_graph_fail(g, RS_ESHAPE,
                             "%s: beta has %zu elements, expected %d", op,
                             beta->numel, C);
    return true;
}

rs_tensor *
rs_op_layernorm(rs_graph *g, rs_tensor *x, rs_tensor *gamma, rs_tensor *beta,
                float eps)
{
    if (rs_graph_skip(g, 1, &x) ||
        !norm_check(g, "layernorm", x, gamma, beta, eps))
        return NULL;
    rs_tensor *out = rs_graph_tensor(g, x->ndim, x->shape);
    if (out == NULL)
        return NULL;
    rs_tensor *src[3] = {x, gamma, beta};
    struct rs_node *n = rs_graph_node(g, RS_OP_LAYERNORM, out, 3, src);
    n->p.norm.eps = eps;
    return rs_graph_record(g, n);
}

rs_tensor *
rs_op_rmsnorm(rs_graph *g, rs_tensor *x, rs_tensor *gamma, float eps)
{
    if (rs_graph_skip(g, 1, &x) ||
        !norm_check(g, "rmsnorm", x, gamma, NULL, eps))
        return NULL;
    rs_tensor *out = rs_graph_tensor(g, x->ndim, x->shape);
    if (out == NULL)
        return NULL;
    rs_tensor *src[2] = {x, gamma};
    struct rs_node *n = rs_graph_node(g, RS_OP_RMSNORM, out, 2, src);
    n->p.norm.eps = eps;
    return rs_graph_record(g, n);
}
