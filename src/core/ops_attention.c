/* repscope - MIT licence, see COPYING.
 *
 * ops_attention.c: fused causal multi-head self-attention (llm.c's
 * attention_forward/backward, with an optional local window and ALiBi).
 *
 * Layout: qkv (B, T, 3C) holds [q | k | v] per position, head h owning
 * columns [h D, (h + 1) D) of each third, D = C / H. Query t attends to keys
 * lo(t) .. t with lo(t) = max(0, t - window + 1) (window <= 0: lo = 0). The
 * output (B, T, C) concatenates the heads; no output projection here.
 *
 * ALiBi (Press et al.) adds -slope_h (t - s) to the score of key s for
 * query t before the softmax. The bias is a constant, so given the saved
 * probabilities the backward is the same with or without it; the slopes
 * (an arena copy in node->p) are read by the forward only.
 *
 * The forward keeps the softmax probabilities as a (B, H, T, T) arena tensor
 * in node->saved, zero outside the band, for the backward and for
 * rs_op_attention_probs.
 *
 * Speed: per (b, h), blocks of QB queries run every product as one GEMM
 * (core/blas.h) over the block's rectangle of the band, straight on the
 * strided q/k/v columns of qkv; the mask, window and bias are applied to
 * the scores in between, and probabilities outside the band are exact
 * zeros, so the rectangle's extra entries contribute nothing. Against the
 * earlier row-by-row kernels (one core, best of 7): B = 1, T = 2048,
 * D = 64 forward 37 -> 13 ms, backward 105 -> 11 ms; B = 64, T = 64, H = 4
 * forward 4.7 -> 3.7 ms, backward 4.3 -> 2.9 ms; no slower at B = 64,
 * T = 32, D = 4. The (b, h) pairs run on the thread pool (core/pool.h).
 * Worker thread only.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "core/blas.h"
#include "core/ops.h"
#include "core/ops_impl.h"
#include "core/pool.h"

/* Key range of query t: lo(t) .. t. */
static inline int
band_lo(int t, int window)
{
    return window > 0 && t - window + 1 > 0 ? t - window + 1 : 0;
}

/* Probabilities below P_MIN = 2^-100 are stored as 0, and exp is not even
 * called for scores more than -ln P_MIN ~ 69.3 below their row max. With
 * ALiBi or large scores most of a long row is that small, and subnormal
 * products (p v, p dP, ...) made the forward and backward 3-4x slower
 * (microcode assists). A dropped term is < 1e-30 next to the row max's
 * share >= 1/T, far below float resolution of any row sum or output. */
#define P_MIN 0x1p-100f
#define P_MIN_LOG (-69.0f)

/* Both written so that a NaN score stays NaN (and shows in the loss). */
static inline float
softmax_exp(float x)
{
    return x < P_MIN_LOG ? 0.0f : expf(x);
}

/* p, or 0 below P_MIN (p >= 0 here). */
static inline float
flush_tiny(float p)
{
    return p < P_MIN ? 0.0f : p;
}

/* ALiBi: s[j] -= slope (t - j) for the keys j in lo..t of query t. */
static inline void
add_alibi(float *restrict s, float slope, int lo, int t)
{
    for (int j = lo; j <= t; j++)
        s[j] -= slope * (float)(t - j);
}

/* ---- softmax over a band row ------------------------------------------ */

/* max of x[0..n), n >= 1: eight running maxima in a constant-trip loop
 * (one vector register at -O2; a single running max is a latency chain). */
static inline float
row_max(const float *restrict x, int n)
{
    float m8[8];
    for (int i = 0; i < 8; i++)
        m8[i] = x[0];
    int j = 0;
    for (; j + 8 <= n; j += 8)
        for (int i = 0; i < 8; i++)
            m8[i] = x[j + i] > m8[i] ? x[j + i] : m8[i];
    float m = m8[0];
    for (int i = 1; i < 8; i++)
        m = m8[i] > m ? m8[i] : m;
    for (; j < n; j++)
        m = x[j] > m ? x[j] : m;
    return m;
}

/* x[0..n) = flush_tiny(x inv), in blocks of 8 for the vectoriser. */
static inline void
scale_flush(float *restrict x, int n, float inv)
{
    int j = 0;
    for (; j + 8 <= n; j += 8)
        for (int i = 0; i < 8; i++)
            x[j + i] = flush_tiny(x[j + i] * inv);
    for (; j < n; j++)
        x[j] = flush_tiny(x[j] * inv);
}

/* In place over prow[lo..t] (scores in, probabilities out), the rest of
 * the T-long row zeroed. */
static void
softmax_band(float *restrict prow, int lo, int t, int T)
{
    int n = t - lo + 1;
    float *x = prow + lo;
    float m = row_max(x, n), sum = 0.0f;
    for (int j = 0; j < n; j++) {
        x[j] = softmax_exp(x[j] - m);
        sum += x[j];
    }
    scale_flush(x, n, 1.0f / sum);
    memset(prow, 0, (size_t)lo * sizeof(float));
    memset(prow + t + 1, 0, (size_t)(T - 1 - t) * sizeof(float));
}

/* ---- kernels ----------------------------------------------------------- */

/* Query rows per block. A block's scores cover keys lo(r0) .. r1 - 1, a
 * rectangle around its part of the band: the causal triangle inside it is
 * wasted work, about QB / T of the total. */
#define QB 64

/* Per (b, h) and block of QB queries r0 .. r1 - 1 with keys k0 = lo(r0)
 * .. r1 - 1: S = scale Q K^T straight into the probs rows (ldc T), the
 * band softmax in place, then out = P V over the block's keys (P is zero
 * outside the band, so the rectangle is exact). */
static void
attention_forward(float *restrict out,         /* (B, T, C) */
                  float *restrict probs,       /* (B, H, T, T) */
                  const float *restrict qkv,   /* (B, T, 3C) */
                  const float *restrict alibi, /* (H) or NULL */
                  int T, int C, int H, int window, int bh0, int bh1)
{
    int D = C / H, C3 = 3 * C;
    size_t TT = (size_t)T * (size_t)T;
    float scale = 1.0f / sqrtf((float)D);
    for (int bh = bh0; bh < bh1; bh++) {
        int b = bh / H, h = bh % H;
        const float *qkv_b = qkv + (size_t)b * (size_t)T * (size_t)C3;
        float *out_b = out + (size_t)b * (size_t)T * (size_t)C;
        {
            const float *q = qkv_b + (size_t)h * (size_t)D;
            const float *k = q + C, *v = q + 2 * (size_t)C;
            float *p = probs + ((size_t)b * (size_t)H + (size_t)h) * TT;
            for (int r0 = 0; r0 < T; r0 += QB) {
                int r1 = r0 + QB < T ? r0 + QB : T;
                int k0 = band_lo(r0, window), nr = r1 - r0, nk = r1 - k0;
                float *blk = p + (size_t)r0 * (size_t)T + (size_t)k0;
                rs_blas_sgemm(false, true, nr, nk, D, scale,
                              q + (size_t)r0 * (size_t)C3, C3,
                              k + (size_t)k0 * (size_t)C3, C3, 0.0f, blk, T);
                for (int t = r0; t < r1; t++) {
                    int lo = band_lo(t, window);
                    float *prow = p + (size_t)t * (size_t)T;
                    if (alibi != NULL)
                        add_alibi(prow, alibi[h], lo, t);
                    softmax_band(prow, lo, t, T);
                }
                rs_blas_sgemm(false, false, nr, D, nk, 1.0f, blk, T,
                              v + (size_t)k0 * (size_t)C3, C3, 0.0f,
                              out_b + (size_t)r0 * (size_t)C + (size_t)h * D,
                              C);
            }
        }
    }
}

/* The backward of attention_forward, block by block of queries: dP =
 * dO V^T; dS = P (dP - sum(dP P)) scale on the band, 0 elsewhere in the
 * rectangle; dQ += dS K, dK += dS^T Q, dV += P^T dO, each one GEMM
 * accumulating (beta 1) into the strided rows of dqkv. scratch holds
 * QB T floats. */
static void
attention_backward(float *restrict dqkv,        /* (B, T, 3C) */
                   float *restrict scratch,     /* (QB, T) */
                   const float *restrict dout,  /* (B, T, C) */
                   const float *restrict qkv,   /* (B, T, 3C) */
                   const float *restrict probs, /* (B, H, T, T) */
                   int T, int C, int H, int window, int bh0, int bh1)
{
    int D = C / H, C3 = 3 * C;
    size_t TT = (size_t)T * (size_t)T;
    float scale = 1.0f / sqrtf((float)D);
    for (int bh = bh0; bh < bh1; bh++) {
        int b = bh / H, h = bh % H;
        size_t off3 = (size_t)b * (size_t)T * (size_t)C3;
        const float *dout_b = dout + (size_t)b * (size_t)T * (size_t)C;
        {
            size_t hd = (size_t)h * (size_t)D;
            const float *q = qkv + off3 + hd, *k = q + C, *v = q + 2 * C;
            float *dq = dqkv + off3 + hd, *dk = dq + C, *dv = dq + 2 * C;
            const float *p = probs + ((size_t)b * (size_t)H + (size_t)h) * TT;
            for (int r0 = 0; r0 < T; r0 += QB) {
                int r1 = r0 + QB < T ? r0 + QB : T;
                int k0 = band_lo(r0, window), nr = r1 - r0, nk = r1 - k0;
                const float *pblk = p + (size_t)r0 * (size_t)T + (size_t)k0;
                const float *dob = dout_b + (size_t)r0 * (size_t)C + hd;
                float *ds = scratch; /* (nr, nk), row stride T */
                rs_blas_sgemm(false, true, nr, nk, D, 1.0f, dob, C,
                              v + (size_t)k0 * (size_t)C3, C3, 0.0f, ds, T);
                for (int t = r0; t < r1; t++) {
                    int lo = band_lo(t, window) - k0, hi = t - k0;
                    const float *pr = pblk + (size_t)(t - r0) * (size_t)T;
                    float *dsr = ds + (size_t)(t - r0) * (size_t)T;
                    float rowsum = 0.0f;
                    for (int j = lo; j <= hi; j++)
                        rowsum += dsr[j] * pr[j];
                    memset(dsr, 0, (size_t)lo * sizeof(float));
                    for (int j = lo; j <= hi; j++)
                        dsr[j] = pr[j] * (dsr[j] - rowsum) * scale;
                    memset(dsr + hi + 1, 0,
                           (size_t)(nk - 1 - hi) * sizeof(float));
                }
                rs_blas_sgemm(false, false, nr, D, nk, 1.0f, ds, T,
                              k + (size_t)k0 * (size_t)C3, C3, 1.0f,
                              dq + (size_t)r0 * (size_t)C3, C3);
                rs_blas_sgemm(true, false, nk, D, nr, 1.0f, ds, T,
                              q + (size_t)r0 * (size_t)C3, C3, 1.0f,
                              dk + (size_t)k0 * (size_t)C3, C3);
                rs_blas_sgemm(true, false, nk, D, nr, 1.0f, pblk, T, dob, C,
                              1.0f, dv + (size_t)k0 * (size_t)C3, C3);
            }
        }
    }
}

/* The (b, h) pairs go to the thread pool in ATTN_CHUNKS chunks (fewer
 * when there are fewer pairs). Pairs are independent: each writes its own
 * probabilities and its own head's columns of out or dqkv, so the split
 * never changes a result. */
#define ATTN_CHUNKS 16

struct attn_job {
    const struct rs_node *n;
    float *dqkv;    /* backward: (B, T, 3C) */
    float *scratch; /* backward: chunks x (QB, T) */
    int pairs, chunks, T, C;
};

static void
attn_job_init(struct attn_job *j, const struct rs_node *n)
{
    const rs_tensor *qkv = n->src[0];
    j->n = n;
    j->T = qkv->shape[1];
    j->C = qkv->shape[2] / 3;
    j->pairs = qkv->shape[0] * n->p.attn.heads;
    j->chunks = j->pairs < ATTN_CHUNKS ? j->pairs : ATTN_CHUNKS;
}

static int
attn_pair(const struct attn_job *j, int c)
{
    return (int)((long)j->pairs * c / j->chunks);
}

static void
attn_forward_chunk(void *ctx, int c)
{
    const struct attn_job *j = ctx;
    const struct rs_node *n = j->n;
    const rs_tensor *probs = n->saved;
    attention_forward(n->out->data, probs->data, n->src[0]->data,
                      n->p.attn.alibi, j->T, j->C, n->p.attn.heads,
                      n->p.attn.window, attn_pair(j, c), attn_pair(j, c + 1));
}

static void
attn_backward_chunk(void *ctx, int c)
{
    const struct attn_job *j = ctx;
    const struct rs_node *n = j->n;
    float *ds = j->scratch + (size_t)c * QB * (size_t)j->T;
    const rs_tensor *probs = n->saved;
    attention_backward(j->dqkv, ds, n->out->grad, n->src[0]->data,
                       probs->data, j->T, j->C, n->p.attn.heads,
                       n->p.attn.window, attn_pair(j, c), attn_pair(j, c + 1));
}

static void
node_attention_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    struct attn_job j;
    attn_job_init(&j, n);
    rs_pool_run(j.chunks, attn_forward_chunk, &j);
}

static void
node_attention_backward(rs_graph *g, struct rs_node *n)
{
    rs_tensor *qkv = n->src[0];
    if (!qkv->requires_grad)
        return;
    struct attn_job j;
    attn_job_init(&j, n);
    j.scratch = rs_graph_alloc(g, (size_t)j.chunks * QB * (size_t)j.T *
                                      sizeof(float));
    j.dqkv = rs_graph_grad(g, qkv);
    rs_pool_run(j.chunks, attn_backward_chunk, &j);
}

const struct rs_op_def rs_op_def_attention = {
    .name = "attention",
    .forward = node_attention_forward,
    .backward = node_attention_backward,
};

rs_tensor *
rs_op_attention_ex(rs_graph *g, rs_tensor *qkv, int heads,
                   const struct rs_attention_opts *opts)
{
    if (rs_graph_skip(g, 1, &qkv))
        return NULL;
    char buf[64];
    if (qkv->ndim != 3 || qkv->shape[2] % 3 != 0) {
        rs_graph_fail(g, RS_ESHAPE, "attention: qkv %s is not (B, T, 3C)",
                      rs_tensor_shape_str(qkv, buf, sizeof buf));
        return NULL;
    }
    int B = qkv->shape[0], T = qkv->shape[1], C = qkv->shape[2] / 3;
    if (heads < 1) {
        rs_graph_fail(g, RS_EINVAL, "attention: heads %d is not >= 1", heads);
        return NULL;
    }
    if (C % heads != 0) {
        rs_graph_fail(g, RS_EINVAL, "attention: heads %d does not divide C %d",
                      heads, C);
        return NULL;
    }
    const float *alibi = opts != NULL ? opts->alibi : NULL;
    for (int h = 0; alibi != NULL && h < heads; h++)
        if (!isfinite(alibi[h])) {
            rs_graph_fail(g, RS_EINVAL,
                          "attention: alibi slope %g of head %d is not finite",
                          (double)alibi[h], h);
            return NULL;
        }
    int oshape[3] = {B, T, C};
    rs_tensor *out = rs_graph_tensor(g, 3, oshape);
    int pshape[4] = {B, heads, T, T};
    rs_tensor *probs = out != NULL ? rs_graph_tensor(g, 4, pshape) : NULL;
    if (probs == NULL)
        return NULL;
    float *slopes = NULL;
    if (alibi != NULL) {
        slopes = rs_graph_alloc(g, (size_t)heads * sizeof(float));
        memcpy(slopes, alibi, (size_t)heads * sizeof(float));
    }
    struct rs_node *n = rs_graph_node(g, RS_OP_ATTENTION, out, 1, &qkv);
    n->p.attn.heads = heads;
    n->p.attn.window = opts != NULL ? opts->window : 0;
    n->p.attn.alibi = slopes;
    n->saved = probs;
    return rs_graph_record(g, n);
}

rs_tensor *
rs_op_attention(rs_graph *g, rs_tensor *qkv, int heads, int window)
{
    struct rs_attention_opts opts = {.window = window, .alibi = NULL};
    return rs_op_attention_ex(g, qkv, heads, &opts);
}

rs_tensor *
rs_op_attention_probs(rs_graph *g, rs_tensor *out)
{
    (void)g;
    if (out == NULL || out->node == NULL || out->node->op != RS_OP_ATTENTION)
        return NULL;
    return out->node->saved;
}
