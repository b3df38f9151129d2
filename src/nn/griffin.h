/* repscope - MIT licence, see COPYING.
 *
 * griffin.h: Hawk, Griffin and the multi-query transformer as one model
 * ("Griffin: Mixing Gated Linear Recurrences with Local Attention for
 * Efficient Language Models", De et al., arXiv 2402.19427; the blocks as
 * RecurrentGemma's code has them, Botev et al., arXiv 2404.07839). They
 * differ only in the temporal mixing of each layer, chosen by a pattern
 * repeated over the layers: 'R' a recurrent block, 'A' a local MQA block.
 * Hawk is "R", Griffin "RRA", the transformer "A" with window 0.
 *
 *   x0 = embed[ids] (* sqrt(d) with embed_scale)        (B, T, d) "embed"
 *   layer l:  r = x + temporal(rmsnorm(x))
 *             x' = r + mlp(rmsnorm(r))                  (B, T, d) "h<l>"
 *   y = rmsnorm(x_L)                                    (B, T, d) "final"
 *   logits = y embed^T (tied, unscaled), soft-capped    (B, T, V) "logits"
 *
 *   rmsnorm(x) = x / sqrt(mean(x^2) + 1e-6) * (1 + scale), scale init 0
 *   mlp(x)     = down(gelu(up1 x) * up2 x), hidden mlp_mult d
 *   recurrent: y = gelu(linear_y x); u = conv(linear_x x) (causal,
 *              depthwise, conv_width taps); a_t = rg-lru(u) with
 *              block-diagonal gate linears of `heads` blocks (core/ops.h
 *              rs_op_rglru, rs_op_blockdiag); out = linear_out(h * y)
 *              (lru_width channels); records a_t as "a<l>" (B, T, lru)
 *   attention: q (heads heads), k, v (one head of hd = d / heads) without
 *              bias; RoPE on the first hd / 2 dims of each head
 *              (rs_op_rope_half, absolute positions); rs_op_mqa with
 *              `window` keys (0: global); out = linear_out(o)
 *   gelu is the tanh approximation throughout.
 *
 * A sequence starts a document: position 0 of every row is an RG-LRU and
 * conv reset (a_0 = 0, multiplier 1), as RecurrentGemma's segment_pos 0.
 * Optional reset flags mark further document starts for the recurrent
 * layers; attention layers do not see them (windows of a training source
 * never cross a document).
 *
 * Parameters (the model's registry, nn/model.h), layer l from 1:
 *   embed.weight (V, d)
 *   h<l>.tnorm.scale (d), h<l>.cnorm.scale (d)
 *   R: h<l>.rec.linear_y.weight (lru, d)/bias, h<l>.rec.linear_x.*,
 *      h<l>.rec.conv.weight (K, lru)/bias (lru),
 *      h<l>.rec.gate_a.weight (heads, lru/heads, lru/heads)/bias (lru),
 *      h<l>.rec.gate_x.weight/bias, h<l>.rec.a_param (lru),
 *      h<l>.rec.linear_out.weight (d, lru)/bias (d)
 *   A: h<l>.attn.q.weight (d, d), h<l>.attn.k.weight (hd, d),
 *      h<l>.attn.v.weight (hd, d), h<l>.attn.out.weight (d, d)/bias (d)
 *   h<l>.mlp.up1.weight (M, d)/bias, h<l>.mlp.up2.*, h<l>.mlp.down.weight
 *      (d, M)/bias (d), M = mlp_mult d
 *   fnorm.scale (d)
 * Init as RecurrentGemma's code, not PyTorch's defaults: every input
 * linear and the embedding ~ N(0, 1/fan_in); the output linears of a
 * block (rec.linear_out, attn.out, mlp.down) ~ N(0, (2 / layers) /
 * fan_in); the conv ~ N(0, 0.01 / K); the gate blocks ~ N(0, 1 / block
 * width); every bias and norm scale 0; a_param = log(1/a - 1) with
 * a = sqrt(u), u ~ U[0.81, 0.998] (so softplus(a_param) = -log a, and a,
 * not a^8, lies in [0.9, 0.999]: the released code's rule, where the
 * paper's text puts a^c in [0.9, 0.999]).
 *
 * Recorded tensors are arena pointers of the last forward's graph,
 * borrowed until that graph is reset, cleared at the start of every
 * forward. Worker thread only.
 */
#ifndef RS_NN_GRIFFIN_H
#define RS_NN_GRIFFIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base.h"
#include "core/graph.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "nn/model.h"
#include "nn/module.h"

#define RS_NN_GRIFFIN_MAX_LAYERS 64
/* Longest pattern, without the NUL. */
#define RS_NN_GRIFFIN_PATTERN_MAX 16

struct rs_nn_griffin_config {
    int vocab;  /* token ids 0..vocab-1, >= 1 */
    int d;      /* model width, a multiple of heads */
    int layers; /* 1..RS_NN_GRIFFIN_MAX_LAYERS */
    char pattern[RS_NN_GRIFFIN_PATTERN_MAX + 1]; /* of 'R' and 'A' */
    int heads;        /* attention heads and gate blocks, >= 1 */
    int lru_width;    /* recurrent channels, a multiple of heads */
    int window;       /* keys an attention query sees; 0: all */
    int mlp_mult;     /* MLP hidden width / d, >= 1 */
    int conv_width;   /* taps, 1..RS_CONV_MAX_TAPS */
    float rope_base;  /* > 1 */
    float soft_cap;   /* > 0, or 0: off */
    bool embed_scale; /* input embedding times sqrt(d) */
};

/* Defaults: vocab 256, d 64, layers 3, pattern "RRA", heads 2, lru_width
 * 0 (means d), window 32, mlp_mult 3, conv_width 4, rope_base 1e4,
 * soft_cap 0, embed_scale true. */
void rs_nn_griffin_config_default(struct rs_nn_griffin_config *cfg);
/* Fill lru_width 0 with d, then check: RS_OK or RS_EINVAL with err naming
 * the field and value ("heads = 3 does not divide d = 64"). An attention
 * layer needs hd = d / heads a multiple of 4 (RoPE rotates pairs in the
 * first half of each head). */
RS_NODISCARD int rs_nn_griffin_config_resolve(struct rs_nn_griffin_config *cfg,
                                              struct rs_error *err);

typedef struct rs_nn_griffin rs_nn_griffin;

/* Build and initialise (cfg copied and resolved), weights drawn from rng
 * (borrowed) in parameter order. NULL with err filled on a bad config. */
rs_nn_griffin *rs_nn_griffin_new(const struct rs_nn_griffin_config *cfg,
                                 struct rs_rng *rng, struct rs_error *err);
void rs_nn_griffin_free(rs_nn_griffin *gf); /* NULL: no-op */

/* ids (B, T) row-major, each in [0, vocab) -> logits (B, T, vocab).
 * reset: NULL, or one flag per (b, t) (B*T, copied) marking further
 * document starts for the recurrent layers (position 0 always is one).
 * NULL with g's sticky error set on a bad id (naming its position and
 * value), B or T < 1. */
rs_tensor *rs_nn_griffin_forward(rs_nn_griffin *gf, rs_graph *g, const int *ids,
                                 int B, int T, const uint8_t *reset);
/* The same from a given x0 (B, T, d) (the scaled embedding, or anything
 * for gradient tests: mark x0->requires_grad). */
rs_tensor *rs_nn_griffin_forward_from(rs_nn_griffin *gf, rs_graph *g,
                                      rs_tensor *x0, const uint8_t *reset);

/* Recorded by the last forward (NULL before one, for l outside
 * 1..layers, or "a" of an attention layer): x0, layer l's output, layer
 * l's RG-LRU gate a_t (B, T, lru_width), the final norm's output y and
 * the logits. */
rs_tensor *rs_nn_griffin_embed(const rs_nn_griffin *gf);
rs_tensor *rs_nn_griffin_layer_out(const rs_nn_griffin *gf, int l);
rs_tensor *rs_nn_griffin_gate(const rs_nn_griffin *gf, int l);
rs_tensor *rs_nn_griffin_final(const rs_nn_griffin *gf);
rs_tensor *rs_nn_griffin_logits(const rs_nn_griffin *gf);

/* 'R' or 'A': the temporal block of layer l (1..layers). */
char rs_nn_griffin_layer_kind(const rs_nn_griffin *gf, int l);
rs_nn_model *rs_nn_griffin_model(const rs_nn_griffin *gf);
const struct rs_nn_griffin_config *
rs_nn_griffin_config(const rs_nn_griffin *gf);

/* ---- decoding (griffin_decode.c) -------------------------------------
 * A decoder runs the model one token at a time for B rows in lockstep,
 * with no graph: per recurrent layer the RG-LRU state h (lru_width
 * floats) and the conv taps (conv_width - 1 rows of lru_width); per
 * attention layer a ring buffer of `window` already-rotated keys and
 * values written at slot pos % window, or for window 0 a growing cache of
 * every key (capacity doubled on demand). Its logits follow the graph
 * forward's position by position (to float rounding: the sums are blocked
 * differently). It borrows gf, which must outlive it and keep its
 * parameter shapes. Worker thread only. */
typedef struct rs_nn_griffin_decoder rs_nn_griffin_decoder;

/* A decoder of B >= 1 rows at position 0, or NULL + err (RS_EINVAL for
 * B < 1, RS_ENOMEM). */
rs_nn_griffin_decoder *rs_nn_griffin_decoder_new(rs_nn_griffin *gf, int B,
                                                 struct rs_error *err);
void rs_nn_griffin_decoder_free(rs_nn_griffin_decoder *dec); /* NULL ok */
/* Back to position 0 with an empty state (keeps the allocations). */
void rs_nn_griffin_decoder_reset(rs_nn_griffin_decoder *dec);
/* Feed one token per row (ids (B)); the logits of the next token are then
 * rs_nn_griffin_decoder_logits. RS_EINVAL naming the row for an id
 * outside [0, vocab) (nothing changes), RS_ENOMEM when a growing cache
 * cannot grow (the decoder is then reset). */
RS_NODISCARD int rs_nn_griffin_decoder_step(rs_nn_griffin_decoder *dec,
                                            const int *ids,
                                            struct rs_error *err);
/* Feed ids (B, T) row-major, T >= 1, token by token (each id checked
 * before any is fed). */
RS_NODISCARD int rs_nn_griffin_decoder_prompt(rs_nn_griffin_decoder *dec,
                                              const int *ids, int T,
                                              struct rs_error *err);
/* The logits (B, vocab) after the last step, borrowed until the next
 * step or reset; NULL at position 0. */
const float *rs_nn_griffin_decoder_logits(const rs_nn_griffin_decoder *dec);
/* Tokens fed since the last reset; rows. */
long rs_nn_griffin_decoder_pos(const rs_nn_griffin_decoder *dec);
int rs_nn_griffin_decoder_batch(const rs_nn_griffin_decoder *dec);
/* The live state in bytes, all rows, as the RecurrentGemma paper counts
 * it: per recurrent layer (lru_width + (conv_width - 1) lru_width) floats;
 * per attention layer 2 min(pos, window) hd floats (2 pos hd for window
 * 0). Allocated but unused slots do not count. */
size_t rs_nn_griffin_decoder_state_bytes(const rs_nn_griffin_decoder *dec);

/* A token drawn from logits (V) at temperature: the first maximum when
 * temperature is 0, else from softmax(logits / temperature) (in double)
 * with one uniform from rng. temperature >= 0 and finite, V >= 1. */
int rs_nn_griffin_sample(const float *logits, int V, float temperature,
                         struct rs_rng *rng);

/* ---- as a module (module_griffin.c) ----------------------------------
 * A new model wrapped as a module of kind "griffin" taking TOKENS:
 * forward_ids gives the logits (B, T, vocab); rs_nn_module_forward takes
 * x0 (B, T, d). Probe-able layers "h1".."h<L>" (preact = act = the layer
 * output); recorded names "embed", "h<l>", "a<l>" (recurrent layers),
 * "final", "logits". in() 0, out() vocab. NULL + err on a bad config. */
rs_nn_module *rs_nn_module_griffin(const struct rs_nn_griffin_config *cfg,
                                   struct rs_rng *rng, struct rs_error *err);
/* The model of a "griffin" module (borrowed), else NULL. */
rs_nn_griffin *rs_nn_module_as_griffin(const rs_nn_module *m);

#endif /* RS_NN_GRIFFIN_H */
