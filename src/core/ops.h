/* repscope - MIT licence, see COPYING.
 *
 * ops.h: differentiable op builders. Each computes its output eagerly into
 * the graph's arena and records a tape node when gradients flow (graph.h).
 * All take the graph first and return the new arena tensor, or NULL with the
 * graph's sticky error set (bad shape/argument) or when an input is NULL.
 *
 * Broadcasting (binary elementwise ops): b's shape must equal a's, equal a
 * trailing suffix of a's shape (a (B,T,C) with b (C) or (T,C)), or b must
 * have numel 1. The output has a's shape. Bias add is rs_op_add(x, b(C)).
 *
 * Reductions and row ops act on the last dimension; "rows" means the
 * product of the other dimensions. Worker thread only.
 */
#ifndef RS_CORE_OPS_H
#define RS_CORE_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/graph.h"
#include "core/rng.h"
#include "core/tensor.h"

/* ---- ops_matmul.c ------------------------------------------------------ */
/* a (..., M, K) @ b (K, N) or batched b (..., K, N) with the same leading
 * dims -> (..., M, N). trans_a/trans_b take the last two dims of that
 * operand transposed (a stored (..., K, M), b stored (N, K) or (..., N, K)). */
rs_tensor *rs_op_matmul(rs_graph *g, rs_tensor *a, rs_tensor *b, bool trans_a,
                        bool trans_b);
/* x (..., IN) @ w(OUT, IN)^T + bias(OUT) -> (..., OUT); bias may be NULL.
 * PyTorch's nn.Linear layout, so weights copy across unchanged. */
rs_tensor *rs_op_linear(rs_graph *g, rs_tensor *x, rs_tensor *w,
                        rs_tensor *bias);

/* ---- ops_elementwise.c ------------------------------------------------- */
rs_tensor *rs_op_add(rs_graph *g, rs_tensor *a, rs_tensor *b);
rs_tensor *rs_op_sub(rs_graph *g, rs_tensor *a, rs_tensor *b);
rs_tensor *rs_op_mul(rs_graph *g, rs_tensor *a, rs_tensor *b);
rs_tensor *rs_op_div(rs_graph *g, rs_tensor *a, rs_tensor *b);

/* ---- ops_unary.c ------------------------------------------------------- */
rs_tensor *rs_op_scale(rs_graph *g, rs_tensor *x, float s);
/* x + s, elementwise. */
rs_tensor *rs_op_add_scalar(rs_graph *g, rs_tensor *x, float s);
rs_tensor *rs_op_relu(rs_graph *g, rs_tensor *x);
rs_tensor *rs_op_leaky_relu(rs_graph *g, rs_tensor *x, float slope);
/* tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
rs_tensor *rs_op_gelu(rs_graph *g, rs_tensor *x);
rs_tensor *rs_op_tanh(rs_graph *g, rs_tensor *x);
rs_tensor *rs_op_sigmoid(rs_graph *g, rs_tensor *x);
rs_tensor *rs_op_softplus(rs_graph *g, rs_tensor *x);
rs_tensor *rs_op_exp(rs_graph *g, rs_tensor *x);
rs_tensor *rs_op_log(rs_graph *g, rs_tensor *x);
rs_tensor *rs_op_sqrt(rs_graph *g, rs_tensor *x);
rs_tensor *rs_op_square(rs_graph *g, rs_tensor *x);

/* ---- ops_reduce.c ------------------------------------------------------ */
/* Sum / mean of all elements -> scalar (ndim 0). */
rs_tensor *rs_op_sum(rs_graph *g, rs_tensor *x);
rs_tensor *rs_op_mean(rs_graph *g, rs_tensor *x);
/* Softmax / log-softmax over the last dim, numerically stable. */
rs_tensor *rs_op_softmax(rs_graph *g, rs_tensor *x);
rs_tensor *rs_op_log_softmax(rs_graph *g, rs_tensor *x);
/* Mean cross-entropy of logits (..., V) against integer targets (one per
 * row, each in [0, V)); mask (one float per row, may be NULL) weights rows
 * and the mean is over the mask's sum. targets/mask are copied. -> scalar.
 * A target outside [0, V) is an error naming the row and value. */
rs_tensor *rs_op_cross_entropy(rs_graph *g, rs_tensor *logits,
                               const int *targets, const float *mask);
/* Mean squared error mean((a - b)^2) over all elements, a and b the same
 * shape; b is differentiable too. -> scalar. */
rs_tensor *rs_op_mse(rs_graph *g, rs_tensor *a, rs_tensor *b);

/* ---- ops_norm.c -------------------------------------------------------- */
/* LayerNorm over the last dim (C); gamma/beta (C) may be NULL (no affine). */
rs_tensor *rs_op_layernorm(rs_graph *g, rs_tensor *x, rs_tensor *gamma,
                           rs_tensor *beta, float eps);
/* RMSNorm over the last dim: x / sqrt(mean(x^2) + eps) * gamma (or none). */
rs_tensor *rs_op_rmsnorm(rs_graph *g, rs_tensor *x, rs_tensor *gamma,
                         float eps);

/* ---- ops_index.c ------------------------------------------------------- */
/* Rows of table (V, C) picked by ids (n = ndim/shape numel, each in [0,V))
 * -> (shape..., C). ids are copied. */
rs_tensor *rs_op_embedding(rs_graph *g, rs_tensor *table, const int *ids,
                           int ndim, const int *shape);
/* Concatenate along the last dim; leading dims must match. */
rs_tensor *rs_op_concat(rs_graph *g, rs_tensor *a, rs_tensor *b);
/* Columns [start, start + len) of the last dim (split = several slices). */
rs_tensor *rs_op_slice(rs_graph *g, rs_tensor *x, int start, int len);
/* Same data, new shape (numel must match); gradient passes through. */
rs_tensor *rs_op_reshape(rs_graph *g, rs_tensor *x, int ndim,
                         const int *shape);
/* Inverted dropout: zero with probability p, scale survivors by 1/(1-p);
 * p = 0 is the identity (evaluation). Draws one uniform per element. */
rs_tensor *rs_op_dropout(rs_graph *g, rs_tensor *x, float p,
                         struct rs_rng *rng);

/* ---- ops_attention.c --------------------------------------------------- */
/* Fused causal multi-head self-attention: qkv (B, T, 3C) packed as
 * [q | k | v], C = heads * head_dim -> (B, T, C). Position t attends to
 * positions max(0, t - window + 1) .. t (window <= 0: all of 0..t).
 * Scale 1/sqrt(head_dim). The softmax probabilities (B, H, T, T) are kept
 * for backward and for probes: rs_op_attention_probs. */
rs_tensor *rs_op_attention(rs_graph *g, rs_tensor *qkv, int heads,
                           int window);
/* Options of rs_op_attention_ex. window as rs_op_attention; alibi: NULL,
 * or one slope per head: head h's score of key s for query t gets
 * -alibi[h] * (t - s) added before the softmax (Press et al.). */
struct rs_attention_opts {
    int window;
    const float *alibi; /* copied */
};
rs_tensor *rs_op_attention_ex(rs_graph *g, rs_tensor *qkv, int heads,
                              const struct rs_attention_opts *opts);
/* The attention probabilities saved by the rs_op_attention(_ex) that
 * produced out, as a (B, H, T, T) arena tensor (zeros above the diagonal),
 * or NULL if out did not come from one. Borrowed until rs_graph_reset. */
rs_tensor *rs_op_attention_probs(rs_graph *g, rs_tensor *out);

/* ---- ops_rope.c -------------------------------------------------------- */
/* Rotary position embedding on the q and k thirds of a packed qkv
 * (B, T, 3C), C = heads * hd, hd even: in each head, the pair
 * (2i, 2i + 1) at position t is rotated by the angle t * base^(-2i/hd)
 * (RoFormer's interleaved pairs); the v third is copied unchanged.
 * -> (B, T, 3C). base > 1. */
rs_tensor *rs_op_rope(rs_graph *g, rs_tensor *qkv, int heads, float base);

/* ---- ops_rglru.c ------------------------------------------------------- */
/* The RG-LRU of Hawk / Griffin (De et al., arXiv 2402.19427), as the
 * RecurrentGemma code computes it, elementwise over channels: with
 * gx = sigmoid(px), ga = sigmoid(pa), log a = -8 ga softplus(a_param),
 *     h_t = a_t h_{t-1} + sqrt(1 - a_t^2) (x_t gx_t),   y_t = h_t.
 * x, pa, px (B, T, C); a_param (C); h0 (B, C): h_{-1}, or NULL for zeros;
 * reset: one flag per (b, t) (B*T, copied) or NULL: a nonzero flag starts
 * a document there (a_t = 0, sqrt(..) = 1: h_t = x_t gx_t). -> h (B, T, C);
 * the state to keep for decoding is its last position h[:, T-1, :].
 * Gradients reach x, pa, px, a_param and h0; the sqrt's derivative is
 * bounded by 1000 (1 / sqrt(max(4 z, 1e-6))) as in the code. */
rs_tensor *rs_op_rglru(rs_graph *g, rs_tensor *x, rs_tensor *pa,
                       rs_tensor *px, rs_tensor *a_param, rs_tensor *h0,
                       const uint8_t *reset);
/* One decoding step, no graph: h (C), the state, becomes h_t from x, pa,
 * px (C) and a_param (C), a document start when reset. The same bits as
 * rs_op_rglru at that position. Any thread; arrays must not overlap. */
void rs_rglru_step(float *h, const float *x, const float *pa,
                   const float *px, const float *a_param, int C, bool reset);

/* ---- ops_conv.c -------------------------------------------------------- */
/* The most taps of rs_op_conv_causal. */
#define RS_CONV_MAX_TAPS 16
/* Depthwise causal temporal convolution: x (B, T, C), w (K, C), K <=
 * RS_CONV_MAX_TAPS, b (C) or NULL -> (B, T, C) with
 *     out_t = sum_{s=0..K-1} w[K-1-s] x_{t-s} + b   (per channel).
 * x_{t-s} for t-s < 0 comes from cache (B, K-1, C), the previous inputs
 * oldest first, or is 0 when cache is NULL. reset: one flag per (b, t)
 * (B*T, copied) or NULL; a document start at t' hides every position
 * < t' (cache included) from the outputs at t >= t'. Gradients reach x, w
 * and b, not the cache. */
rs_tensor *rs_op_conv_causal(rs_graph *g, rs_tensor *x, rs_tensor *w,
                             rs_tensor *b, rs_tensor *cache,
                             const uint8_t *reset);
/* One decoding step, no graph: out (C) from x (C) and cache (K-1, C), the
 * last K-1 inputs oldest first (zeros at the start); a reset zeroes the
 * cache first. Then the cache shifts by one and takes x. w (K, C), b (C)
 * or NULL. The same bits as rs_op_conv_causal at that position. Any
 * thread; the arrays must not overlap. */
void rs_conv_causal_step(float *out, float *cache, const float *x,
                         const float *w, const float *b, int K, int C,
                         bool reset);
/* The cache (K-1, C) a decoder holds after the op's positions of one
 * sequence: x (T, C), reset (T) or NULL, cache0 (K-1, C) the cache before
 * them or NULL (zeros). The last K-1 inputs oldest first, zeros for
 * positions before the last document start (and before the start without
 * cache0), so decoding can continue from a prompt run through the op.
 * cache must not overlap the others. */
void rs_conv_causal_cache(float *cache, const float *cache0, const float *x,
                          const uint8_t *reset, int T, int K, int C);

/* ---- ops_blockdiag.c --------------------------------------------------- */
/* Block-diagonal linear: x (..., H w), W (H, w, w), b (H w) or NULL ->
 * (..., H w), y[.., h, j] = sum_i x[.., h, i] W[h, i, j] + b[h w + j]
 * (the layout of RecurrentGemma's BlockDiagonalLinear: x W, not x W^T). */
rs_tensor *rs_op_blockdiag(rs_graph *g, rs_tensor *x, rs_tensor *W,
                           rs_tensor *b);

/* ---- ops_softcap.c ----------------------------------------------------- */
/* cap tanh(x / cap) elementwise, any shape; cap finite and > 0. */
rs_tensor *rs_op_softcap(rs_graph *g, rs_tensor *x, float cap);

/* ---- ops_rownorm.c ---------------------------------------------------- */
/* Row ops over the last dim (C), same shape out. The max and min of a row
 * share their gradient equally among tied entries. eps > 0. */
/* (x - min x) / (max x - min x + eps): 0 where x is the row's minimum,
 * about 1 at its maximum, all 0 for a row of equal entries. */
rs_tensor *rs_op_minmax_norm(rs_graph *g, rs_tensor *x, float eps);
/* Elementwise x where x >= s, else 0 (s finite). */
rs_tensor *rs_op_threshold(rs_graph *g, rs_tensor *x, float s);
/* x / (sum of the row + eps): rows of non-negative x sum to about 1. */
rs_tensor *rs_op_normalize_sum(rs_graph *g, rs_tensor *x, float eps);
/* x / sqrt(sum of the row's squares + eps): unit rows (cosine). */
rs_tensor *rs_op_normalize_l2(rs_graph *g, rs_tensor *x, float eps);

/* ---- ops_select.c ----------------------------------------------------- */
/* One entry per row: x (..., C) -> (...), y_r = x[r, idx[r]] (a vector
 * (C) gives a scalar); idx has one index per row, each in [0, C), and is
 * copied. The gradient goes to the picked entries only. */
rs_tensor *rs_op_pick(rs_graph *g, rs_tensor *x, const int *idx);
/* min(max(x, lo), hi) elementwise, lo <= hi; the gradient passes where
 * lo <= x <= hi (torch.clamp). */
rs_tensor *rs_op_clamp(rs_graph *g, rs_tensor *x, float lo, float hi);
/* min(a, b) elementwise, a and b the same shape; the gradient goes to the
 * smaller input, half to each on a tie (torch.minimum). */
rs_tensor *rs_op_minimum(rs_graph *g, rs_tensor *a, rs_tensor *b);

/* ---- ops_rope.c (RecurrentGemma) --------------------------------------- */
/* RoPE as RecurrentGemma applies it (arXiv 2404.07839, layers.py::
 * apply_rope): x (B, T, heads hd), one tensor of heads (the H query heads,
 * or the single key head of multi-query attention). In each head only the
 * first rot_dims dims (r: even, 2 <= r <= hd; RecurrentGemma uses hd / 2)
 * rotate, pair (i, i + r/2) for i < r/2 by the angle
 * (pos0 + t) * base^(-2i/r) (base 1e4 there), the "rotate-half" pairing;
 * dims r .. hd are copied. Positions are absolute: pos0 >= 0 is the
 * position of row t = 0. -> (B, T, heads hd). base > 1. */
rs_tensor *rs_op_rope_half(rs_graph *g, rs_tensor *x, int heads, int rot_dims,
                           float base, int pos0);
/* The same rotation of one row x (heads hd) at position pos, into y (may
 * be x), with no graph: for decoding, where each new query and key is
 * rotated once (keys are cached already rotated). Gives the same bits as
 * rs_op_rope_half's row of position pos. Arguments as the op's, unchecked.
 * Any thread. */
void rs_rope_half_row(float *y, const float *x, int heads, int hd, int rot_dims,
                      float base, int pos);

/* ---- ops_mqa.c --------------------------------------------------------- */
/* Causal multi-query attention: q (B, T, heads hd), one shared key and
 * value head k, v (B, T, hd) -> (B, T, heads hd), the heads concatenated.
 * Position t attends to positions max(0, t - window + 1) .. t, `window`
 * keys including itself (window <= 0: all of 0..t), with scores
 * q.k hd^-0.5 and a float softmax. Computed in blocks of QB query
 * positions (16 for windows up to 64, else 64) against only the keys in
 * their window, never a T x T buffer: the arena gets the output, the
 * per-row log-sum-exp (B, heads, T) that the backward recomputes the
 * probabilities from, and scratch of at most 16 x (QB heads, keys) floats,
 * keys = min(T, QB + window - 1) (global: T). */
rs_tensor *rs_op_mqa(rs_graph *g, rs_tensor *q, rs_tensor *k, rs_tensor *v,
                     int heads, int window);
/* The log-sum-exp of the scores of every row (B, heads, T) saved by the
 * rs_op_mqa that produced out, or NULL if out did not come from one.
 * Borrowed until rs_graph_reset. */
float *rs_op_mqa_lse(rs_graph *g, rs_tensor *out);
/* One decoding step with no graph: the query row q (heads hd) of a new
 * position against the n >= 1 keys and values k, v (n, hd) it may see
 * (already rotated; in any order, as softmax and sum do not care),
 * -> out (heads hd). scores: caller scratch of n floats. A ring buffer of
 * `window` slots written at slot = position % window holds the visible
 * keys in slots 0 .. min(count, window) - 1, so it can be passed as is.
 * Not bitwise rs_op_mqa's row (the sums are blocked differently) but
 * within float rounding of it. Unchecked arguments. Any thread. */
void rs_mqa_decode(float *out, float *scores, const float *q, const float *k,
                   const float *v, int n, int heads, int hd);

#endif /* RS_CORE_OPS_H */
