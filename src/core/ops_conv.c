/* repscope - MIT licence, see COPYING.
 *
 * ops_conv.c: the depthwise causal temporal convolution of the Griffin /
 * Hawk recurrent block ("Griffin", De et al., arXiv 2402.19427; the
 * RecurrentGemma code, arXiv 2404.07839, layers.py Conv1D), K taps per
 * channel over (B, T, C):
 *
 *     out_t = sum_{s=0..K-1} w[K-1-s] x_{t-s} + b        (per channel)
 *
 * w (K, C), so w[K-1] weighs the current position. A position t - s < 0
 * reads the cache (B, K-1, C), the last K-1 inputs before this chunk,
 * oldest first (cache row K-1+(t-s)), or 0 without one. A document start
 * at t' (reset flag) cuts the taps: an output at t >= t' reads 0 for every
 * position < t' (the cache included). A cut tap still adds w * 0 (so the
 * sums are those of a decoder whose cache was zeroed at the reset, bit for
 * bit); its gradient is 0.
 *
 * Per element the order is fixed: out = w[K-1] x_t, then += w[K-1-s]
 * x_{t-s} for s = 1 .. K-1, then += b; rs_conv_causal_step does the same,
 * so it gives the op's bits at that position. Backward:
 *
 *     dx_{t-s} += w[K-1-s] dout_t       (t - s >= 0 and not cut)
 *     dw[K-1-s] += dout_t x_{t-s}       (the cache's values too)
 *     db += dout_t
 *
 * No gradient goes to the cache (it is the previous chunk's data).
 * Loops run over C (vectorised, RS_VEC_CLONES); dw and db are sums over
 * (b, t) in order, so the backward is one sequential pass. Worker thread
 * only.
 */
#include "config.h"

#include "core/ops.h"

#include <stdint.h>
#include <string.h>

#include "core/ops_impl.h"

/* Channels per vector block (see LRU_BLOCK in ops_rglru.c): blocks with a
 * constant-trip inner loop vectorise inside the (b, t) loops; a scalar tail
 * runs the same code. */
#define CONV_BLOCK 16

/* y += a b over n floats */
static RS_VEC_INLINE void
row_addmul(float *restrict y, const float *restrict a, const float *restrict b,
           size_t n)
{
    size_t c;
    for (c = 0; c + CONV_BLOCK <= n; c += CONV_BLOCK)
        for (size_t j = c; j < c + CONV_BLOCK; j++)
            y[j] += a[j] * b[j];
    for (; c < n; c++)
        y[c] += a[c] * b[c];
}

/* y += a over n floats */
static RS_VEC_INLINE void
row_add(float *restrict y, const float *restrict a, size_t n)
{
    size_t c;
    for (c = 0; c + CONV_BLOCK <= n; c += CONV_BLOCK)
        for (size_t j = c; j < c + CONV_BLOCK; j++)
            y[j] += a[j];
    for (; c < n; c++)
        y[c] += a[c];
}

/* Where tap s of position t of sequence b reads: x, the cache, or the zero
 * row when it is cut or before the start without a cache. lowest is the
 * first readable position: the last document start <= t, else -(K-1) with
 * a cache, else 0. */
static const float *
conv_tap(const float *x, const float *cache, const float *zero, int b, int t,
         int s, int lowest, int T, int K, int C)
{
    int pos = t - s;
    if (pos < lowest)
        return zero;
    if (pos >= 0)
        return x + ((size_t)b * (size_t)T + (size_t)pos) * (size_t)C;
    return cache +
           ((size_t)b * (size_t)(K - 1) + (size_t)(K - 1 + pos)) * (size_t)C;
}

static int
conv_lowest(int last_reset, bool has_cache, int K)
{
    if (last_reset >= 0)
        return last_reset;
    return has_cache ? -(K - 1) : 0;
}

/* out = w[K-1] rows[0]; out += w[K-1-s] rows[s]; out += bias. */
static RS_VEC_INLINE void
conv_row(float *restrict out, const float *const *rows, const float *restrict w,
         const float *restrict bias, int K, int C)
{
    size_t c, n = (size_t)C;
    const float *r0 = rows[0], *w0 = w + (size_t)(K - 1) * n;
    for (c = 0; c + CONV_BLOCK <= n; c += CONV_BLOCK)
        for (size_t j = c; j < c + CONV_BLOCK; j++)
            out[j] = w0[j] * r0[j];
    for (; c < n; c++)
        out[c] = w0[c] * r0[c];
    for (int s = 1; s < K; s++)
        row_addmul(out, w + (size_t)(K - 1 - s) * n, rows[s], n);
    if (bias != NULL)
        row_add(out, bias, n);
}

RS_VEC_CLONES static void
conv_forward(float *restrict out,           /* (B, T, C) */
             const float *restrict x,       /* (B, T, C) */
             const float *restrict w,       /* (K, C) */
             const float *restrict bias,    /* (C) or NULL */
             const float *restrict cache,   /* (B, K-1, C) or NULL */
             const uint8_t *restrict reset, /* (B, T) or NULL */
             const float *restrict zero,    /* (C) zeros */
             int B, int T, int C, int K)
{
    const float *rows[RS_CONV_MAX_TAPS];
    for (int b = 0; b < B; b++) {
        int last = -1;
        for (int t = 0; t < T; t++) {
            size_t bt = (size_t)b * (size_t)T + (size_t)t;
            if (reset != NULL && reset[bt] != 0)
                last = t;
            int lo = conv_lowest(last, cache != NULL, K);
            for (int s = 0; s < K; s++)
                rows[s] = conv_tap(x, cache, zero, b, t, s, lo, T, K, C);
            conv_row(out + bt * (size_t)C, rows, w, bias, K, C);
        }
    }
}

RS_VEC_CLONES static void
conv_backward(float *restrict dx,            /* (B, T, C) or NULL */
              float *restrict dw,            /* (K, C) or NULL */
              float *restrict dbias,         /* (C) or NULL */
              const float *restrict dout,    /* (B, T, C) */
              const float *restrict x,       /* (B, T, C) */
              const float *restrict w,       /* (K, C) */
              const float *restrict cache,   /* (B, K-1, C) or NULL */
              const uint8_t *restrict reset, /* (B, T) or NULL */
              const float *restrict zero,    /* (C) zeros */
              int B, int T, int C, int K)
{
    size_t n = (size_t)C;
    for (int b = 0; b < B; b++) {
        int last = -1;
        for (int t = 0; t < T; t++) {
            size_t bt = (size_t)b * (size_t)T + (size_t)t;
            if (reset != NULL && reset[bt] != 0)
                last = t;
            int lo = conv_lowest(last, cache != NULL, K);
            const float *g = dout + bt * n;
            if (dbias != NULL)
                row_add(dbias, g, n);
            for (int s = 0; s < K && t - s >= lo; s++) {
                const float *ws = w + (size_t)(K - 1 - s) * n;
                if (dw != NULL)
                    row_addmul(dw + (size_t)(K - 1 - s) * n, g,
                               conv_tap(x, cache, zero, b, t, s, lo, T, K, C),
                               n);
                if (dx != NULL && t - s >= 0)
                    row_addmul(dx + (bt - (size_t)s) * n, ws, g, n);
            }
        }
    }
}

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

/* The sources: x, w, bias (or NULL), cache (or NULL). */
static void
node_conv_forward(rs_graph *g, struct rs_node *n)
{
    const rs_tensor *x = n->src[0], *w = n->src[1];
    int C = x->shape[2];
    float *zero = rs_graph_calloc(g, (size_t)C * sizeof(float));
    n->saved = zero;
    conv_forward(n->out->data, x->data, w->data, data_or_null(n->src[2]),
                 data_or_null(n->src[3]), n->p.conv.reset, zero, x->shape[0],
                 x->shape[1], C, w->shape[0]);
}

static void
node_conv_backward(rs_graph *g, struct rs_node *n)
{
    rs_tensor *x = n->src[0], *w = n->src[1];
    conv_backward(grad_or_null(g, x), grad_or_null(g, w),
                  grad_or_null(g, n->src[2]), n->out->grad, x->data, w->data,
                  data_or_null(n->src[3]), n->p.conv.reset, n->saved,
                  x->shape[0], x->shape[1], x->shape[2], w->shape[0]);
}

const struct rs_op_def rs_op_def_conv_causal = {
    .name = "conv_causal",
    .forward = node_conv_forward,
    .backward = node_conv_backward,
};

rs_tensor *
rs_op_conv_causal(rs_graph *g, rs_tensor *x, rs_tensor *w, rs_tensor *b,
                  rs_tensor *cache, const uint8_t *reset)
{
    rs_tensor *req[2] = {x, w};
    if (rs_graph_skip(g, 2, req))
        return NULL;
    char buf[64];
    if (x->ndim != 3) {
        rs_graph_fail(g, RS_ESHAPE, "conv_causal: x %s is not (B, T, C)",
                      rs_tensor_shape_str(x, buf, sizeof buf));
        return NULL;
    }
    int B = x->shape[0], T = x->shape[1], C = x->shape[2];
    if (w->ndim != 2 || w->shape[1] != C) {
        rs_graph_fail(g, RS_ESHAPE, "conv_causal: w %s is not (K, C = %d)",
                      rs_tensor_shape_str(w, buf, sizeof buf), C);
        return NULL;
    }
    int K = w->shape[0];
    if (K > RS_CONV_MAX_TAPS) {
        rs_graph_fail(g, RS_EINVAL, "conv_causal: %d taps exceed %d", K,
                      RS_CONV_MAX_TAPS);
        return NULL;
    }
    if (b != NULL && b->numel != (size_t)C) {
        rs_graph_fail(g, RS_ESHAPE,
                      "conv_causal: b has %zu elements, expected C = %d",
                      b->numel, C);
        return NULL;
    }
    if (cache != NULL &&
        (K < 2 || cache->numel != (size_t)B * (size_t)(K - 1) * (size_t)C)) {
        rs_graph_fail(g, RS_ESHAPE,
                      "conv_causal: cache %s is not (B, K-1, C) = "
                      "(%d, %d, %d)",
                      rs_tensor_shape_str(cache, buf, sizeof buf), B, K - 1, C);
        return NULL;
    }
    rs_tensor *out = rs_graph_tensor(g, 3, x->shape);
    if (out == NULL)
        return NULL;
    uint8_t *rs = NULL;
    if (reset != NULL) {
        size_t BT = (size_t)B * (size_t)T;
        rs = rs_graph_alloc(g, BT);
        memcpy(rs, reset, BT);
    }
    rs_tensor *src[4] = {x, w, b, cache};
    struct rs_node *n = rs_graph_node(g, RS_OP_CONV_CAUSAL, out, 4, src);
    n->p.conv.reset = rs;
    return rs_graph_record(g, n);
}

RS_VEC_CLONES void
rs_conv_causal_step(float *restrict out, float *restrict cache,
                    const float *restrict x, const float *restrict w,
                    const float *restrict b, int K, int C, bool reset)
{
    size_t n = (size_t)C, nc = (size_t)(K - 1) * n;
    if (reset)
        memset(cache, 0, nc * sizeof(float));
    const float *rows[RS_CONV_MAX_TAPS];
    rows[0] = x;
    for (int s = 1; s < K; s++)
        rows[s] = cache + (size_t)(K - 1 - s) * n;
    conv_row(out, rows, w, b, K, C);
    if (K > 1) {
        memmove(cache, cache + n, (nc - n) * sizeof(float));
        memcpy(cache + nc - n, x, n * sizeof(float));
    }
}

void
rs_conv_causal_cache(float *cache, const float *cache0, const float *x,
                     const uint8_t *reset, int T, int K, int C)
{
    int last = -1;
    for (int t = 0; reset != NULL && t < T; t++)
        if (reset[t] != 0)
            last = t;
    int lo = conv_lowest(last, cache0 != NULL, K);
    size_t n = (size_t)C;
    for (int j = 0; j < K - 1; j++) {
        int pos = T - (K - 1) + j;
        float *dst = cache + (size_t)j * n;
        if (pos < lo)
            memset(dst, 0, n * sizeof(float));
        else if (pos >= 0)
            memcpy(dst, x + (size_t)pos * n, n * sizeof(float));
        else
            memcpy(dst, cache0 + (size_t)(K - 1 + pos) * n, n * sizeof(float));
    }
}
