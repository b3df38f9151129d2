/* repscope - MIT licence, see COPYING.
 *
 * ops_mqa.c: causal multi-query attention with a local window (Shazeer,
 * "Fast Transformer Decoding: One Write-Head is All You Need", arXiv
 * 1911.02150; as Griffin uses it, De et al., arXiv 2402.19427, and
 * RecurrentGemma, arXiv 2404.07839).
 *
 * Layout: q (B, T, H hd), head h owning columns [h hd, (h + 1) hd); k and v
 * (B, T, hd), one head shared by all H query heads. Query t attends to keys
 * lo(t) .. t, lo(t) = max(0, t - window + 1) (window <= 0: lo = 0), with
 * scores q.k hd^-0.5 and a float softmax. The output (B, T, H hd)
 * concatenates the heads; no output projection here.
 *
 * Never a T x T buffer. Queries run in blocks of QB positions; a block
 * r0 .. r1 - 1 sees the keys k0 = lo(r0) .. r1 - 1, at most QB + window - 1
 * of them. Seen as a (T H, hd) matrix, q holds the H heads of a position in
 * consecutive rows, so a block's scores for all heads are one GEMM,
 * S (QB H, nk) = Q K^T, and its output one more, O = P V, straight into the
 * output rows. The probabilities are not kept: the forward saves the
 * per-row log-sum-exp lse (B, H, T) and the backward recomputes each
 * block's P = exp(S - lse) (FlashAttention's recomputation, Dao et al.,
 * arXiv 2205.14135). Memory: O(B T H) saved plus per-thread scratch
 * O(QB H (QB + window)).
 *
 * Threads: the forward's (b, block) pairs and the backward's batch rows go
 * to the pool in fixed chunks (each writes disjoint memory; dk and dv of a
 * batch row sum over its blocks in order in one chunk), so results never
 * depend on the thread count. The backward of a single sequence (B = 1)
 * runs on one thread.
 *
 * rs_mqa_decode is the one-query kernel for a decoder's KV cache.
 * Worker thread only (rs_mqa_decode: any thread).
 */
#include "config.h"

#include "core/ops.h"

#include <limits.h>
#include <math.h>
#include <string.h>

#include "core/blas.h"
#include "core/ops_impl.h"
#include "core/pool.h"

/* Key range of query t: lo(t) .. t. */
static inline int
band_lo(int t, int window)
{
    return window > 0 && t - window + 1 > 0 ? t - window + 1 : 0;
}

/* Probabilities below 2^-100 (a score more than 69 below the row's
 * log-sum-exp) count as exact zeros, as in ops_attention.c: they are far
 * below float resolution of any sum they enter, and subnormal products
 * are slow. Written so that a NaN score stays NaN. */
#define P_MIN_LOG (-69.0f)

static inline float
softmax_exp(float x)
{
    return x < P_MIN_LOG ? 0.0f : expf(x);
}

/* max of x[0..n), n >= 1: eight running maxima (one vector register). */
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

/* Query positions per block: QB_LOCAL for windows up to 64, else QB_MAX.
 * A block's scores are a QB x (QB + window - 1) rectangle of which
 * QB x window is the band, so small blocks waste less; below 16 rows the
 * GEMMs are too small to gain. Measured (valgrind callgrind, forward +
 * backward, B = 32, T = 128, H = 2, hd = 32): window 32, QB 8 / 16 / 32 /
 * 64: 66.9 / 68.8 / 74.3 / 88.0 M instructions a step; window 64, QB
 * 16 / 32 / 64: 98.3 / 102.0 / 115.6 M; B = 8, T = 512, H = 4, hd = 16,
 * window 64, QB 16 / 32: 184.9 / 195.0 M. Wall times (best of 3-5
 * interleaved runs, one thread) agree: QB 16 and 32 within noise, 64 about
 * 1.2x slower at window 32. Global attention keeps 64-row blocks (the
 * waste is QB / T). */
#define QB_LOCAL 16
#define QB_MAX 64

static int
mqa_qb(int window)
{
    return window > 0 && window <= 64 ? QB_LOCAL : QB_MAX;
}

/* Most keys a block sees. */
static int
mqa_nk_max(int T, int window, int qb)
{
    if (window <= 0 || qb + window - 1 >= T)
        return T;
    return qb + window - 1;
}

/* ---- kernels ----------------------------------------------------------- */

/* One batch row's block of query positions r0 .. r1 - 1, keys k0 = lo(r0)
 * .. r1 - 1 (nk of them): S = hd^-0.5 Q K^T (nr = (r1 - r0) H rows, row
 * (t - r0) H + h for head h of position t), the softmax of each row over
 * its band lo(t) .. t (zero elsewhere in the rectangle), lse = m + log sum,
 * then out = P V over the block's keys. */
static void
mqa_forward_block(float *restrict out,     /* (T, H hd) of this b */
                  float *restrict lse,     /* (H, T) of this b */
                  float *restrict s,       /* scratch (QB H, nk) */
                  const float *restrict q, /* (T, H hd) */
                  const float *restrict k, /* (T, hd) */
                  const float *restrict v, /* (T, hd) */
                  int T, int H, int hd, int window, int r0, int r1)
{
    int k0 = band_lo(r0, window), nk = r1 - k0, nr = (r1 - r0) * H;
    size_t Hhd = (size_t)H * (size_t)hd;
    float scale = 1.0f / sqrtf((float)hd);
    rs_blas_sgemm(false, true, nr, nk, hd, scale, q + (size_t)r0 * Hhd, hd,
                  k + (size_t)k0 * (size_t)hd, hd, 0.0f, s, nk);
    for (int t = r0; t < r1; t++) {
        int lo = band_lo(t, window) - k0, hi = t - k0, n = hi - lo + 1;
        for (int h = 0; h < H; h++) {
            float *row =
                s + ((size_t)(t - r0) * (size_t)H + (size_t)h) * (size_t)nk;
            float *x = row + lo;
            float m = row_max(x, n), sum = 0.0f;
            for (int j = 0; j < n; j++) {
                x[j] = softmax_exp(x[j] - m);
                sum += x[j];
            }
            float inv = 1.0f / sum;
            for (int j = 0; j < n; j++)
                x[j] *= inv;
            memset(row, 0, (size_t)lo * sizeof(float));
            memset(row + hi + 1, 0, (size_t)(nk - 1 - hi) * sizeof(float));
            lse[(size_t)h * (size_t)T + (size_t)t] = m + logf(sum);
        }
    }
    rs_blas_sgemm(false, false, nr, hd, nk, 1.0f, s, nk,
                  v + (size_t)k0 * (size_t)hd, hd, 0.0f, out + (size_t)r0 * Hhd,
                  hd);
}

/* The backward of one batch row, block by block in order. Per block, with
 * P recomputed as exp(S - lse) on the band (0 elsewhere):
 *   dP = dO V^T,  dS = P (dP - rowsum(dP P)) hd^-0.5   (softmax backward,
 *   rowsum over the band; the scale folded in),
 *   dQ += dS K,  dK += dS^T Q,  dV += P^T dO,
 * each one GEMM accumulating (beta 1) into the gradient rows; dK and dV
 * sum over the heads through the (QB H) rows of dS and P. dq, dk, dv may
 * be NULL (no gradient wanted). s and dp hold (QB H, nk) each. */
static void
mqa_backward_row(float *restrict dq,         /* (T, H hd) or NULL */
                 float *restrict dk,         /* (T, hd) or NULL */
                 float *restrict dv,         /* (T, hd) or NULL */
                 float *restrict s,          /* scratch (QB H, nk) */
                 float *restrict dp,         /* scratch (QB H, nk) */
                 const float *restrict dout, /* (T, H hd) */
                 const float *restrict q,    /* (T, H hd) */
                 const float *restrict k,    /* (T, hd) */
                 const float *restrict v,    /* (T, hd) */
                 const float *restrict lse,  /* (H, T) */
                 int T, int H, int hd, int window, int qb)
{
    size_t Hhd = (size_t)H * (size_t)hd;
    float scale = 1.0f / sqrtf((float)hd);
    for (int r0 = 0; r0 < T; r0 += qb) {
        int r1 = r0 + qb < T ? r0 + qb : T;
        int k0 = band_lo(r0, window), nk = r1 - k0, nr = (r1 - r0) * H;
        const float *qb0 = q + (size_t)r0 * Hhd;
        const float *dob = dout + (size_t)r0 * Hhd;
        const float *kb = k + (size_t)k0 * (size_t)hd;
        rs_blas_sgemm(false, true, nr, nk, hd, scale, qb0, hd, kb, hd, 0.0f, s,
                      nk);
        rs_blas_sgemm(false, true, nr, nk, hd, 1.0f, dob, hd,
                      v + (size_t)k0 * (size_t)hd, hd, 0.0f, dp, nk);
        for (int t = r0; t < r1; t++) {
            int lo = band_lo(t, window) - k0, hi = t - k0;
            for (int h = 0; h < H; h++) {
                size_t ro =
                    ((size_t)(t - r0) * (size_t)H + (size_t)h) * (size_t)nk;
                float *pr = s + ro, *dpr = dp + ro;
                float l = lse[(size_t)h * (size_t)T + (size_t)t];
                float rowsum = 0.0f;
                for (int j = lo; j <= hi; j++) {
                    pr[j] = softmax_exp(pr[j] - l);
                    rowsum += dpr[j] * pr[j];
                }
                for (int j = lo; j <= hi; j++)
                    dpr[j] = pr[j] * (dpr[j] - rowsum) * scale;
                memset(pr, 0, (size_t)lo * sizeof(float));
                memset(dpr, 0, (size_t)lo * sizeof(float));
                size_t tail = (size_t)(nk - 1 - hi) * sizeof(float);
                memset(pr + hi + 1, 0, tail);
                memset(dpr + hi + 1, 0, tail);
            }
        }
        if (dq != NULL)
            rs_blas_sgemm(false, false, nr, hd, nk, 1.0f, dp, nk, kb, hd, 1.0f,
                          dq + (size_t)r0 * Hhd, hd);
        if (dk != NULL)
            rs_blas_sgemm(true, false, nk, hd, nr, 1.0f, dp, nk, qb0, hd, 1.0f,
                          dk + (size_t)k0 * (size_t)hd, hd);
        if (dv != NULL)
            rs_blas_sgemm(true, false, nk, hd, nr, 1.0f, s, nk, dob, hd, 1.0f,
                          dv + (size_t)k0 * (size_t)hd, hd);
    }
}

/* ---- the node ---------------------------------------------------------- */

/* Work goes to the pool in at most MQA_CHUNKS chunks of consecutive units
 * (forward: (b, block) pairs; backward: batch rows), a split fixed by the
 * shape alone. */
#define MQA_CHUNKS 16

struct mqa_job {
    const struct rs_node *n;
    float *scratch; /* chunks x per */
    float *dq, *dk, *dv;
    size_t per; /* scratch floats per chunk: (QB H, nk_max), twice back */
    int B, T, H, hd, window, qb, nblk, nkmax, units, chunks;
};

static void
mqa_job_init(struct mqa_job *j, const struct rs_node *n, bool backward)
{
    const rs_tensor *q = n->src[0];
    j->n = n;
    j->B = q->shape[0];
    j->T = q->shape[1];
    j->H = n->p.mqa.heads;
    j->hd = q->shape[2] / j->H;
    j->window = n->p.mqa.window;
    j->qb = mqa_qb(j->window);
    j->nblk = (j->T + j->qb - 1) / j->qb;
    j->nkmax = mqa_nk_max(j->T, j->window, j->qb);
    j->units = backward ? j->B : j->B * j->nblk;
    j->chunks = j->units < MQA_CHUNKS ? j->units : MQA_CHUNKS;
    j->per =
        (backward ? 2 : 1) * (size_t)j->qb * (size_t)j->H * (size_t)j->nkmax;
    j->scratch = NULL;
    j->dq = j->dk = j->dv = NULL;
}

static int
mqa_unit(const struct mqa_job *j, int c)
{
    return (int)((long)j->units * c / j->chunks);
}

static float *
mqa_scratch(const struct mqa_job *j, int c)
{
    return j->scratch + (size_t)c * j->per;
}

static void
mqa_forward_chunk(void *ctx, int c)
{
    const struct mqa_job *j = ctx;
    const struct rs_node *n = j->n;
    size_t Hhd = (size_t)j->H * (size_t)j->hd, T = (size_t)j->T;
    float *s = mqa_scratch(j, c);
    for (int u = mqa_unit(j, c); u < mqa_unit(j, c + 1); u++) {
        int b = u / j->nblk, r0 = (u % j->nblk) * j->qb;
        int r1 = r0 + j->qb < j->T ? r0 + j->qb : j->T;
        mqa_forward_block(n->out->data + (size_t)b * T * Hhd,
                          (float *)n->saved + (size_t)b * (size_t)j->H * T, s,
                          n->src[0]->data + (size_t)b * T * Hhd,
                          n->src[1]->data + (size_t)b * T * (size_t)j->hd,
                          n->src[2]->data + (size_t)b * T * (size_t)j->hd, j->T,
                          j->H, j->hd, j->window, r0, r1);
    }
}

static void
mqa_backward_chunk(void *ctx, int c)
{
    const struct mqa_job *j = ctx;
    const struct rs_node *n = j->n;
    size_t Hhd = (size_t)j->H * (size_t)j->hd, T = (size_t)j->T;
    size_t off = T * Hhd, offk = T * (size_t)j->hd;
    float *s = mqa_scratch(j, c);
    float *dp = s + (size_t)j->qb * (size_t)j->H * (size_t)j->nkmax;
    for (int b = mqa_unit(j, c); b < mqa_unit(j, c + 1); b++)
        mqa_backward_row(j->dq != NULL ? j->dq + b * off : NULL,
                         j->dk != NULL ? j->dk + b * offk : NULL,
                         j->dv != NULL ? j->dv + b * offk : NULL, s, dp,
                         n->out->grad + b * off, n->src[0]->data + b * off,
                         n->src[1]->data + b * offk, n->src[2]->data + b * offk,
                         (const float *)n->saved + (size_t)b * (size_t)j->H * T,
                         j->T, j->H, j->hd, j->window, j->qb);
}

static void
node_mqa_forward(rs_graph *g, struct rs_node *n)
{
    struct mqa_job j;
    mqa_job_init(&j, n, false);
    j.scratch = rs_graph_alloc(g, (size_t)j.chunks * j.per * sizeof(float));
    rs_pool_run(j.chunks, mqa_forward_chunk, &j);
}

static void
node_mqa_backward(rs_graph *g, struct rs_node *n)
{
    rs_tensor *q = n->src[0], *k = n->src[1], *v = n->src[2];
    if (!q->requires_grad && !k->requires_grad && !v->requires_grad)
        return;
    struct mqa_job j;
    mqa_job_init(&j, n, true);
    j.scratch = rs_graph_alloc(g, (size_t)j.chunks * j.per * sizeof(float));
    j.dq = q->requires_grad ? rs_graph_grad(g, q) : NULL;
    j.dk = k->requires_grad ? rs_graph_grad(g, k) : NULL;
    j.dv = v->requires_grad ? rs_graph_grad(g, v) : NULL;
    rs_pool_run(j.chunks, mqa_backward_chunk, &j);
}

const struct rs_op_def rs_op_def_mqa = {
    .name = "mqa",
    .forward = node_mqa_forward,
    .backward = node_mqa_backward,
};

rs_tensor *
rs_op_mqa(rs_graph *g, rs_tensor *q, rs_tensor *k, rs_tensor *v, int heads,
          int window)
{
    rs_tensor *in[3] = {q, k, v};
    if (rs_graph_skip(g, 3, in))
        return NULL;
    char b1[64], b2[64], b3[64];
    if (q->ndim != 3 || k->ndim != 3 || v->ndim != 3) {
        rs_graph_fail(g, RS_ESHAPE, "mqa: q %s, k %s, v %s are not 3-d",
                      rs_tensor_shape_str(q, b1, sizeof b1),
                      rs_tensor_shape_str(k, b2, sizeof b2),
                      rs_tensor_shape_str(v, b3, sizeof b3));
        return NULL;
    }
    int B = q->shape[0], T = q->shape[1], C = q->shape[2];
    if (heads < 1 || C % heads != 0) {
        rs_graph_fail(g, RS_EINVAL,
                      "mqa: heads %d is not >= 1 and a divisor of q's %d "
                      "columns",
                      heads, C);
        return NULL;
    }
    int hd = C / heads;
    for (int i = 1; i < 3; i++) {
        const rs_tensor *t = in[i];
        if (t->shape[0] != B || t->shape[1] != T || t->shape[2] != hd) {
            rs_graph_fail(g, RS_ESHAPE,
                          "mqa: %s %s is not (B, T, hd) = (%d, %d, %d) "
                          "for q %s and %d heads",
                          i == 1 ? "k" : "v",
                          rs_tensor_shape_str(t, b2, sizeof b2), B, T, hd,
                          rs_tensor_shape_str(q, b1, sizeof b1), heads);
            return NULL;
        }
    }
    /* Block rows (QB H) and (B T H) lse entries index in int GEMM dims. */
    if ((long)QB_MAX * heads > INT_MAX / 4 || (long)B * T * heads > INT_MAX) {
        rs_graph_fail(g, RS_ESHAPE, "mqa: q %s with %d heads is too large",
                      rs_tensor_shape_str(q, b1, sizeof b1), heads);
        return NULL;
    }
    rs_tensor *out = rs_graph_tensor(g, 3, q->shape);
    if (out == NULL)
        return NULL;
    float *lse = rs_graph_alloc(g, (size_t)B * (size_t)heads * (size_t)T *
                                       sizeof(float));
    struct rs_node *n = rs_graph_node(g, RS_OP_MQA, out, 3, in);
    n->p.mqa.heads = heads;
    n->p.mqa.window = window > 0 ? window : 0;
    n->saved = lse;
    return rs_graph_record(g, n);
}

float *
rs_op_mqa_lse(rs_graph *g, rs_tensor *out)
{
    (void)g;
    if (out == NULL || out->node == NULL || out->node->op != RS_OP_MQA)
        return NULL;
    return out->node->saved;
}

/* ---- decoding ---------------------------------------------------------- */

/* Per head h: s_j = hd^-0.5 q_h . k_j, p = softmax(s) over the n keys
 * (same cutoff as the op), out_h = sum_j p_j v_j. Dot products and sums in
 * float, in key order. */
void
rs_mqa_decode(float *out, float *scores, const float *q, const float *k,
              const float *v, int n, int heads, int hd)
{
    float scale = 1.0f / sqrtf((float)hd);
    for (int h = 0; h < heads; h++) {
        const float *qh = q + (size_t)h * (size_t)hd;
        float *oh = out + (size_t)h * (size_t)hd;
        for (int j = 0; j < n; j++) {
            const float *kj = k + (size_t)j * (size_t)hd;
            float d = 0.0f;
            for (int i = 0; i < hd; i++)
                d += qh[i] * kj[i];
            scores[j] = d * scale;
        }
        float m = row_max(scores, n), sum = 0.0f;
        for (int j = 0; j < n; j++) {
            scores[j] = softmax_exp(scores[j] - m);
            sum += scores[j];
        }
        float inv = 1.0f / sum;
        memset(oh, 0, (size_t)hd * sizeof(float));
        for (int j = 0; j < n; j++) {
            float p = scores[j] * inv;
            const float *vj = v + (size_t)j * (size_t)hd;
            for (int i = 0; i < hd; i++)
                oh[i] += p * vj[i];
        }
    }
}
