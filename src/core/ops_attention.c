/* repscope - MIT licence, see COPYING.
 *
 * ops_attention.c: fused causal multi-head self-attention (llm.c's
 * attention_forward/backward, with an optional local window).
 *
 * Layout: qkv (B, T, 3C) holds [q | k | v] per position, head h owning
 * columns [h D, (h + 1) D) of each third, D = C / H. Query t attends to keys
 * lo(t) .. t with lo(t) = max(0, t - window + 1) (window <= 0: lo = 0). The
 * output (B, T, C) concatenates the heads; no output projection here.
 *
 * The forward keeps the softmax probabilities as a (B, H, T, T) arena tensor
 * in node->saved, zero outside the band, for the backward and for
 * rs_op_attention_probs. Only the band is computed.
 *
 * Speed: every product is a weighted sum of rows (wsum) whose columns are
 * head dims or key positions (keys through a transposed, zero-padded copy),
 * in register blocks of 32/16/8 columns with constant-trip inner loops: the
 * shape gcc -O2's "very cheap" vectoriser accepts, without -ffast-math.
 * Each output column still sums its terms in order, so results do not
 * depend on the blocking. Worker thread only.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "core/ops.h"
#include "core/ops_impl.h"

/* out[0..W) += sum_j w[j ws] x[j xs + 0..W) for a fixed block width W of
 * 32, 16 or 8 columns. Each accumulator is an 8-float array with its own
 * constant-trip loop: gcc -O2 then keeps them all in vector registers
 * across j (one 16-float array would stay in memory). */
static inline void
wsum32(float *restrict out, const float *restrict w, size_t ws,
       const float *restrict x, size_t xs, int n)
{
    float a0[8] = {0}, a1[8] = {0}, a2[8] = {0}, a3[8] = {0};
    for (int j = 0; j < n; j++) {
        const float *xj = x + (size_t)j * xs;
        float wj = w[(size_t)j * ws];
        for (int i = 0; i < 8; i++)
            a0[i] += wj * xj[i];
        for (int i = 0; i < 8; i++)
            a1[i] += wj * xj[8 + i];
        for (int i = 0; i < 8; i++)
            a2[i] += wj * xj[16 + i];
        for (int i = 0; i < 8; i++)
            a3[i] += wj * xj[24 + i];
    }
    for (int i = 0; i < 8; i++) {
        out[i] += a0[i];
        out[8 + i] += a1[i];
        out[16 + i] += a2[i];
        out[24 + i] += a3[i];
    }
}

static inline void
wsum16(float *restrict out, const float *restrict w, size_t ws,
       const float *restrict x, size_t xs, int n)
{
    float a0[8] = {0}, a1[8] = {0};
    for (int j = 0; j < n; j++) {
        const float *xj = x + (size_t)j * xs;
        float wj = w[(size_t)j * ws];
        for (int i = 0; i < 8; i++)
            a0[i] += wj * xj[i];
        for (int i = 0; i < 8; i++)
            a1[i] += wj * xj[8 + i];
    }
    for (int i = 0; i < 8; i++) {
        out[i] += a0[i];
        out[8 + i] += a1[i];
    }
}

static inline void
wsum8(float *restrict out, const float *restrict w, size_t ws,
      const float *restrict x, size_t xs, int n)
{
    float a0[8] = {0};
    for (int j = 0; j < n; j++) {
        const float *xj = x + (size_t)j * xs;
        float wj = w[(size_t)j * ws];
        for (int i = 0; i < 8; i++)
            a0[i] += wj * xj[i];
    }
    for (int i = 0; i < 8; i++)
        out[i] += a0[i];
}

/* out[0..width) += sum_{j < n} w[j ws] x[j xs + 0..width): a weighted sum
 * of n rows (a transposed matrix-vector product), in register blocks of
 * 32, 16 and 8 columns and a scalar remainder. */
static void
wsum(float *restrict out, const float *restrict w, size_t ws,
     const float *restrict x, size_t xs, int n, int width)
{
    int c = 0;
    for (; c + 32 <= width; c += 32)
        wsum32(out + c, w, ws, x + c, xs, n);
    if (c + 16 <= width) {
        wsum16(out + c, w, ws, x + c, xs, n);
        c += 16;
    }
    if (c + 8 <= width) {
        wsum8(out + c, w, ws, x + c, xs, n);
        c += 8;
    }
    for (; c < width; c++) {
        float acc = 0.0f;
        for (int j = 0; j < n; j++)
            acc += w[(size_t)j * ws] * x[(size_t)j * xs + (size_t)c];
        out[c] += acc;
    }
}

/* Key range of query t: lo(t) .. t. */
static inline int
band_lo(int t, int window)
{
    return window > 0 && t - window + 1 > 0 ? t - window + 1 : 0;
}

/* Last query that sees key t2: the band's other edge. */
static inline int
band_hi(int t2, int window, int T)
{
    return window > 0 && window - 1 < T - 1 - t2 ? t2 + window - 1 : T - 1;
}

/* Row length of the transposed scratch: T padded to a multiple of 16, so
 * 8-column blocks never run off a row and rows stay 64-byte aligned. */
static inline int
pad16(int T)
{
    return (T + 15) / 16 * 16;
}

/* One row of scores: s[c] = sum_d w[d] xt[d Tp + c] for the keys c in
 * lo..t, computed over the 8-aligned superset [lo8, hi8) so every block is
 * whole (xt is zero-padded to Tp columns). Only s[lo..t] is meaningful. */
static void
band_row(float *restrict s, const float *restrict w, const float *restrict xt,
         int D, int Tp, int lo, int t)
{
    int lo8 = lo / 8 * 8, hi8 = (t + 8) / 8 * 8;
    memset(s + lo8, 0, (size_t)(hi8 - lo8) * sizeof(float));
    wsum(s + lo8, w, 1, xt + lo8, (size_t)Tp, D, hi8 - lo8);
}

/* Copy the head's (T, D) slice of a (T, 3C) block into a zero-padded
 * (D, Tp) transpose, times scale. */
static void
gather_t(float *restrict xt, const float *restrict x, size_t xs, int T, int D,
         int Tp, float scale)
{
    memset(xt, 0, (size_t)D * (size_t)Tp * sizeof(float));
    for (int t = 0; t < T; t++) {
        const float *xr = x + (size_t)t * xs;
        for (int d = 0; d < D; d++)
            xt[(size_t)d * (size_t)Tp + (size_t)t] = xr[d] * scale;
    }
}

/* Per (b, h): S = scale q k^T on the band (scores of one row as D-long
 * weighted sums of the transposed keys), P = softmax over lo..t,
 * out_t = sum_t2 P[t, t2] v_t2. scratch holds (D + 1) pad16(T) floats. */
static void
attention_forward(float *restrict out,       /* (B, T, C) */
                  float *restrict probs,     /* (B, H, T, T) */
                  float *restrict scratch,   /* ((D + 1), pad16(T)) */
                  const float *restrict qkv, /* (B, T, 3C) */
                  int B, int T, int C, int H, int window)
{
    int D = C / H, Tp = pad16(T);
    size_t C3 = 3 * (size_t)C;
    float scale = 1.0f / sqrtf((float)D);
    float *kt = scratch, *s = scratch + (size_t)D * (size_t)Tp;
    for (int b = 0; b < B; b++) {
        const float *qkv_b = qkv + (size_t)b * (size_t)T * C3;
        for (int h = 0; h < H; h++) {
            size_t hd = (size_t)h * (size_t)D;
            size_t bh = (size_t)b * (size_t)H + (size_t)h;
            gather_t(kt, qkv_b + (size_t)C + hd, C3, T, D, Tp, scale);
            for (int t = 0; t < T; t++) {
                int lo = band_lo(t, window), n = t - lo + 1;
                band_row(s, qkv_b + (size_t)t * C3 + hd, kt, D, Tp, lo, t);
                float m = s[lo];
                for (int j = lo + 1; j <= t; j++)
                    m = s[j] > m ? s[j] : m;
                float sum = 0.0f;
                for (int j = lo; j <= t; j++) {
                    s[j] = expf(s[j] - m);
                    sum += s[j];
                }
                float inv = 1.0f / sum;
                float *prow = probs + (bh * (size_t)T + (size_t)t) * (size_t)T;
                memset(prow, 0, (size_t)T * sizeof(float));
                for (int j = lo; j <= t; j++)
                    prow[j] = s[j] * inv;
                float *o =
                    out + ((size_t)b * (size_t)T + (size_t)t) * (size_t)C + hd;
                memset(o, 0, (size_t)D * sizeof(float));
                wsum(o, prow + lo, 1,
                     qkv_b + (size_t)lo * C3 + 2 * (size_t)C + hd, C3, n, D);
            }
        }
    }
}

/* With o_t = sum_t2 P v_t2, P = softmax(S), S = scale q_t . k_t2:
 * dP = dO_t . v_t2; dS = P (dP - sum(dP P)); dq_t += scale sum dS k_t2;
 * dk_t2 += scale sum_t dS q_t; dv_t2 += sum_t P dO_t. The key-side sums
 * run per key over the column of dS / P, so every output row is written
 * once per (b, h). scratch holds (D + 1) pad16(T) + T T floats. */
static void
attention_backward(float *restrict dqkv,        /* (B, T, 3C) */
                   float *restrict scratch,     /* see above */
                   const float *restrict dout,  /* (B, T, C) */
                   const float *restrict qkv,   /* (B, T, 3C) */
                   const float *restrict probs, /* (B, H, T, T) */
                   int B, int T, int C, int H, int window)
{
    int D = C / H, Tp = pad16(T);
    size_t C3 = 3 * (size_t)C, TT = (size_t)T * (size_t)T;
    float scale = 1.0f / sqrtf((float)D);
    float *vt = scratch, *dp = scratch + (size_t)D * (size_t)Tp;
    float *ds = dp + Tp; /* (T, T), only the band is written and read */
    for (int b = 0; b < B; b++) {
        const float *qkv_b = qkv + (size_t)b * (size_t)T * C3;
        float *dqkv_b = dqkv + (size_t)b * (size_t)T * C3;
        const float *dout_b = dout + (size_t)b * (size_t)T * (size_t)C;
        for (int h = 0; h < H; h++) {
            size_t hd = (size_t)h * (size_t)D;
            const float *p = probs + ((size_t)b * (size_t)H + (size_t)h) * TT;
            gather_t(vt, qkv_b + 2 * (size_t)C + hd, C3, T, D, Tp, 1.0f);
            for (int t = 0; t < T; t++) {
                int lo = band_lo(t, window), n = t - lo + 1;
                const float *prow = p + (size_t)t * (size_t)T;
                band_row(dp, dout_b + (size_t)t * (size_t)C + hd, vt, D, Tp, lo,
                         t);
                float rowsum = 0.0f;
                for (int j = lo; j <= t; j++)
                    rowsum += dp[j] * prow[j];
                float *dsrow = ds + (size_t)t * (size_t)T;
                for (int j = lo; j <= t; j++)
                    dsrow[j] = prow[j] * (dp[j] - rowsum) * scale;
                wsum(dqkv_b + (size_t)t * C3 + hd, dsrow + lo, 1,
                     qkv_b + (size_t)lo * C3 + (size_t)C + hd, C3, n, D);
            }
            for (int t2 = 0; t2 < T; t2++) {
                int n = band_hi(t2, window, T) - t2 + 1;
                size_t diag = (size_t)t2 * (size_t)T + (size_t)t2;
                float *drow = dqkv_b + (size_t)t2 * C3 + hd;
                wsum(drow + C, ds + diag, (size_t)T,
                     qkv_b + (size_t)t2 * C3 + hd, C3, n, D);
                wsum(drow + 2 * (size_t)C, p + diag, (size_t)T,
                     dout_b + (size_t)t2 * (size_t)C + hd, (size_t)C, n, D);
            }
        }
    }
}

static void
node_attention_forward(rs_graph *g, struct rs_node *n)
{
    const rs_tensor *qkv = n->src[0];
    int B = qkv->shape[0], T = qkv->shape[1], C = qkv->shape[2] / 3;
    int H = n->p.attn.heads;
    rs_tensor *probs = n->saved;
    size_t nscratch = (size_t)(C / H + 1) * (size_t)pad16(T);
    float *scratch = rs_graph_alloc(g, nscratch * sizeof(float));
    attention_forward(n->out->data, probs->data, scratch, qkv->data, B, T, C, H,
                      n->p.attn.window);
}

static void
node_attention_backward(rs_graph *g, struct rs_node *n)
{
    rs_tensor *qkv = n->src[0];
    if (!qkv->requires_grad)
        return;
    int B = qkv->shape[0], T = qkv->shape[1], C = qkv->shape[2] / 3;
    int H = n->p.attn.heads;
    const rs_tensor *probs = n->saved;
    size_t nscratch =
        (size_t)(C / H + 1) * (size_t)pad16(T) + (size_t)T * (size_t)T;
    float *scratch = rs_graph_alloc(g, nscratch * sizeof(float));
    attention_backward(rs_graph_grad(g, qkv), scratch, n->out->grad, qkv->data,
                       probs->data, B, T, C, H, n->p.attn.window);
}

const struct rs_op_def rs_op_def_attention = {
    .name = "attention",
    .forward = node_attention_forward,
    .backward = node_attention_backward,
};

rs_tensor *
rs_op_attention(rs_graph *g, rs_tensor *qkv, int heads, int window)
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
    int oshape[3] = {B, T, C};
    rs_tensor *out = rs_graph_tensor(g, 3, oshape);
    int pshape[4] = {B, heads, T, T};
    rs_tensor *probs = out != NULL ? rs_graph_tensor(g, 4, pshape) : NULL;
    if (probs == NULL)
        return NULL;
    struct rs_node *n = rs_graph_node(g, RS_OP_ATTENTION, out, 1, &qkv);
    n->p.attn.heads = heads;
    n->p.attn.window = window;
    n->saved = probs;
    return rs_graph_record(g, n);
}

rs_tensor *
rs_op_attention_probs(rs_graph *g, rs_tensor *out)
{
    (void)g;
    if (out == NULL || out->node == NULL || out->node->op != RS_OP_ATTENTION)
        return NULL;
    return out->node->saved;
}
