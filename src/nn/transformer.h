/* repscope - MIT licence, see COPYING.
 *
 * transformer.h: a small decoder-only (causal) transformer, GPT-2 shaped:
 *
 *   v0 = tok[ids] (+ pos)                       (B, T, d)  "embed"
 *   pre-norm:  z = v + proj(attn(ln1(v)))       layer l = 1..L
 *              v' = z + mlp(ln2(z))             (B, T, d)  "h<l>"
 *   post-norm: z = ln1(v + proj(attn(v)))
 *              v' = ln2(z + mlp(z))
 *   y = lnf(v_L) (pre-norm; post-norm: y = v_L) (B, T, d)  "final"
 *   logits = y head^T + b                       (B, T, out)
 *
 * attn is causal multi-head self-attention (core/ops.h rs_op_attention)
 * over a fused qkv projection; mlp is Linear(d, mlp) -> GELU ->
 * Linear(mlp, d). Positions: "none" (NoPE), "learned" (a (ctx, d) table
 * added to v0), "sinusoidal" (the fixed table of Vaswani et al. added to
 * v0), "rope" (q and k rotated per head, base rope_base, on every layer)
 * or "alibi" (per-head linear distance penalty in the scores, the slopes
 * of Press et al.: 2^(-8 h / heads), h = 1..heads).
 *
 * Parameters (all in the transformer's model, nn/model.h):
 *   tok.weight (vocab, d), pos.weight (ctx, d) for "learned",
 *   h<l>.ln1.weight/bias, h<l>.attn.qkv.weight (3d, d)/bias (3d),
 *   h<l>.attn.proj.weight (d, d)/bias, h<l>.ln2.weight/bias,
 *   h<l>.mlp.fc.weight (mlp, d)/bias, h<l>.mlp.proj.weight (d, mlp)/bias,
 *   lnf.weight/bias (pre-norm only), head.weight (out, d)/bias (out).
 * Init: every weight matrix and the embedding tables ~ N(0, init_std^2),
 * biases 0, norm gains 1 and shifts 0.
 *
 * Each forward records, for probes, the tensors named above: v0, every
 * layer's output v_l, y and every layer's attention probabilities
 * (B, heads, T, T). All are arena tensors of the forward's graph, borrowed
 * until that graph is reset. The graph's precision (rs_graph_set_precision)
 * rounds every op output, so a forward on a bf16 graph emulates a bf16
 * model (the parameters themselves are not rounded: see
 * rs_nn_transformer_round_params). Worker thread only.
 */
#ifndef RS_NN_TRANSFORMER_H
#define RS_NN_TRANSFORMER_H

#include <stdbool.h>

#include "core/base.h"
#include "core/graph.h"
#include "core/prec.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "nn/model.h"

#define RS_NN_TRANSFORMER_MAX_LAYERS 64

enum rs_nn_pos {
    RS_NN_POS_NONE,
    RS_NN_POS_LEARNED,
    RS_NN_POS_SINUSOIDAL,
    RS_NN_POS_ROPE,
    RS_NN_POS_ALIBI,
    RS_NN_POS_COUNT
};

enum rs_nn_tf_norm { RS_NN_TF_PRE, RS_NN_TF_POST, RS_NN_TF_NORM_COUNT };

struct rs_nn_transformer_config {
    int vocab;      /* token ids 0..vocab-1, >= 1 */
    int ctx;        /* longest sequence a forward accepts, >= 1 */
    int d;          /* model width, a multiple of heads */
    int heads;      /* >= 1; d / heads even for "rope" */
    int layers;     /* 1..RS_NN_TRANSFORMER_MAX_LAYERS */
    int mlp;        /* hidden units of each MLP, >= 1 */
    int out;        /* logits per position, >= 1 */
    enum rs_nn_pos pos;
    enum rs_nn_tf_norm norm;
    int window;        /* local attention window; 0: full causal */
    float init_std;    /* > 0 */
    float rope_base;   /* > 1 */
    float ln_eps;      /* > 0 */
};

/* Defaults: vocab/ctx/d must be set (0), heads 1, layers 2, mlp 0 (means
 * 4d), out 0 (means vocab), pos rope, pre-norm, window 0, init_std 0
 * (means 1/sqrt(d)), rope_base 10000, ln_eps 1e-5. */
void rs_nn_transformer_config_default(struct rs_nn_transformer_config *cfg);
/* Fill the "0 means" fields, then check: RS_OK or RS_EINVAL with err naming
 * the field and value ("transformer: heads = 3 does not divide d = 64"). */
RS_NODISCARD int
rs_nn_transformer_config_resolve(struct rs_nn_transformer_config *cfg,
                                 struct rs_error *err);

/* "none", "learned", "sinusoidal", "rope", "alibi"; "pre", "post".
 * Parse returns -1 if unknown. */
const char *rs_nn_pos_name(enum rs_nn_pos pos);
int rs_nn_pos_parse(const char *name);
const char *rs_nn_tf_norm_name(enum rs_nn_tf_norm norm);
int rs_nn_tf_norm_parse(const char *name);

typedef struct rs_nn_transformer rs_nn_transformer;

/* Build and initialise (cfg copied and resolved), weights drawn from rng
 * (borrowed) in parameter order. NULL with err filled on a bad config. */
rs_nn_transformer *rs_nn_transformer_new(
    const struct rs_nn_transformer_config *cfg, struct rs_rng *rng,
    struct rs_error *err);
void rs_nn_transformer_free(rs_nn_transformer *tf); /* NULL: no-op */

/* ids (B, T) row-major, each in [0, vocab), 1 <= T <= ctx -> logits
 * (B, T, out). NULL with g's sticky error set on a bad id (naming its
 * position and value) or a bad T. */
rs_tensor *rs_nn_transformer_forward(rs_nn_transformer *tf, rs_graph *g,
                                     const int *ids, int B, int T);
/* The same from a given v0 (B, T, d) (additive positions already in it;
 * rope and alibi are applied inside). For probes and gradient tests: mark
 * v0->requires_grad to get d(anything)/d v0. */
rs_tensor *rs_nn_transformer_forward_from(rs_nn_transformer *tf, rs_graph *g,
                                          rs_tensor *v0);
/* v0 for ids without running the layers (token embedding + additive
 * positions), (B, T, d). */
rs_tensor *rs_nn_transformer_embed_ids(rs_nn_transformer *tf, rs_graph *g,
                                       const int *ids, int B, int T);

/* Recorded by the last forward (NULL before one, or for l outside
 * 1..layers): v0, layer l's output v_l, the final representation y, and
 * layer l's attention probabilities (B, heads, T, T). */
rs_tensor *rs_nn_transformer_embed(const rs_nn_transformer *tf);
rs_tensor *rs_nn_transformer_layer_out(const rs_nn_transformer *tf, int l);
rs_tensor *rs_nn_transformer_final(const rs_nn_transformer *tf);
rs_tensor *rs_nn_transformer_attn(const rs_nn_transformer *tf, int l);

/* round_params: round every parameter to prec in place, first copying the
 * float32 values into save when it is not NULL (rs_nn_model_numel floats,
 * parameters in registration order). restore_params: copy such a saved
 * buffer back, exactly. Lets a probe run a true bf16/fp16 model and put
 * the master weights back. */
void rs_nn_transformer_round_params(rs_nn_transformer *tf, enum rs_prec prec,
                                    float *save);
void rs_nn_transformer_restore_params(rs_nn_transformer *tf,
                                      const float *save);

rs_nn_model *rs_nn_transformer_model(const rs_nn_transformer *tf);
const struct rs_nn_transformer_config *
rs_nn_transformer_config(const rs_nn_transformer *tf);

#endif /* RS_NN_TRANSFORMER_H */
