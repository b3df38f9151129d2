/* repscope - MIT licence, see COPYING.
 *
 * mlp.h: a multilayer perceptron built from a config struct:
 *
 *   x (..., input) -> [l_k: Linear -> norm? -> act] for k = 1..depth
 *                  -> l_{depth+1}: Linear -> (..., output)
 *
 * Layers are named "l1" .. "l<depth+1>" (parameters "l1.weight",
 * "l1.bias", and "l1.norm.weight" / "l1.norm.bias" when the norm is
 * affine), all registered in the MLP's own model. Layer numbers are
 * 1-based everywhere in this API, matching the names. Norms sit between
 * each hidden Linear and its activation (pre-activation normalisation, as
 * in the plasticity paper); the output layer has neither.
 *
 * Each forward records, per hidden layer, the pre-activation (the tensor
 * fed to the activation: the Linear output, after the norm if any) and the
 * activation, so probes can read them; with act = identity both are the
 * same tensor. Widths come from the current parameter shapes, so a layer
 * resized through the model (structured pruning) just works, provided the
 * neighbouring layer is resized to match (nn/surgery.h does both, and the
 * norm, in one call). Worker thread only.
 */
#ifndef RS_NN_MLP_H
#define RS_NN_MLP_H

#include <stdbool.h>

#include "core/base.h"
#include "core/graph.h"
#include "core/init.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "nn/linear.h"
#include "nn/model.h"

/* Upper bound on depth, to catch garbage configs early. */
#define RS_NN_MLP_MAX_DEPTH 256

enum rs_nn_mlp_act {
    RS_NN_MLP_ACT_RELU,
    RS_NN_MLP_ACT_LEAKY_RELU,
    RS_NN_MLP_ACT_GELU, /* tanh approximation (rs_op_gelu) */
    RS_NN_MLP_ACT_TANH,
    RS_NN_MLP_ACT_SIGMOID,
    RS_NN_MLP_ACT_IDENTITY,
    RS_NN_MLP_ACT_COUNT
};

enum rs_nn_mlp_norm {
    RS_NN_MLP_NORM_NONE,
    RS_NN_MLP_NORM_LAYERNORM,
    RS_NN_MLP_NORM_RMSNORM,
    RS_NN_MLP_NORM_COUNT
};

struct rs_nn_mlp_config {
    int input;                /* features in, >= 1 */
    int width;                /* units per hidden layer, >= 1 if depth > 0 */
    int depth;                /* hidden layers, 0..RS_NN_MLP_MAX_DEPTH */
    int output;               /* features out, >= 1 */
    enum rs_nn_mlp_act act;   /* hidden activation */
    float leaky_slope;        /* leaky_relu negative slope (default 0.01) */
    enum rs_nn_mlp_norm norm; /* before each hidden activation */
    bool norm_affine;         /* learnable gain (LayerNorm: and shift) */
    float norm_eps;           /* > 0 (default 1e-5) */
    bool bias;                /* Linear biases */
    enum rs_init_kind init;   /* weight init of every Linear (linear.h) */
    float init_scale;         /* alpha: multiplies the init, >= 0 */
};

/* Defaults: input/width/output 0 (must be set), depth 2, ReLU, slope 0.01,
 * no norm (affine when enabled, eps 1e-5), biases, PyTorch's default init
 * (U(+-1/sqrt(fan_in)) for weights and biases) at scale 1. For deep ReLU
 * nets RS_INIT_KAIMING_NORMAL (zero biases) trains more reliably. */
void rs_nn_mlp_config_default(struct rs_nn_mlp_config *cfg);
/* RS_OK, or RS_EINVAL with err naming the field and its value
 * ("mlp: width = 0 (must be >= 1)"). */
RS_NODISCARD int rs_nn_mlp_config_check(const struct rs_nn_mlp_config *cfg,
                                        struct rs_error *err);

/* "relu", "leaky_relu", "gelu", "tanh", "sigmoid", "identity";
 * "none", "layernorm", "rmsnorm". Parse returns -1 if unknown. */
const char *rs_nn_mlp_act_name(enum rs_nn_mlp_act act);
int rs_nn_mlp_act_parse(const char *name);
const char *rs_nn_mlp_norm_name(enum rs_nn_mlp_norm norm);
int rs_nn_mlp_norm_parse(const char *name);

typedef struct rs_nn_mlp rs_nn_mlp;

/* Build and initialise an MLP (cfg is copied), drawing the weights from rng
 * (borrowed) layer by layer; norm gains start at 1 and shifts at 0. NULL
 * with err filled on a bad config (rs_nn_mlp_config_check) or when a
 * parameter cannot be allocated. model_name (may be NULL) names its model. */
rs_nn_mlp *rs_nn_mlp_new(const struct rs_nn_mlp_config *cfg,
                         const char *model_name, struct rs_rng *rng,
                         struct rs_error *err);
/* Frees the MLP and its model. NULL is a no-op. */
void rs_nn_mlp_free(rs_nn_mlp *m);

/* x (..., input) -> (..., output) on graph g. NULL with g's sticky error
 * set on a shape mismatch (the message comes from the failing op) or NULL
 * input. Records the hidden pre-activations and activations (below). */
rs_tensor *rs_nn_mlp_forward(rs_nn_mlp *m, rs_graph *g, rs_tensor *x);

/* Hidden layer (1..depth) pre-activation / activation (..., width) of the
 * last forward: arena tensors borrowed until rs_graph_reset of the graph
 * that forward used. NULL for a layer outside 1..depth, before any
 * forward, or when the last forward failed before reaching that layer. */
rs_tensor *rs_nn_mlp_preact(const rs_nn_mlp *m, int layer);
rs_tensor *rs_nn_mlp_act(const rs_nn_mlp *m, int layer);

/* The model holding every parameter (borrowed while m lives). */
rs_nn_model *rs_nn_mlp_model(const rs_nn_mlp *m);
/* The config it was built from (borrowed), with width kept up to date by
 * rs_nn_mlp_sync_width after a resize: per-layer widths are
 * rs_nn_mlp_width. */
const struct rs_nn_mlp_config *rs_nn_mlp_config(const rs_nn_mlp *m);
/* Current width of hidden layer 1..depth (its Linear's OUT); 0 outside. */
int rs_nn_mlp_width(const rs_nn_mlp *m, int layer);
/* After hidden layers were resized through the model (nn/surgery.h), set
 * the config's width to the hidden layers' common width, or to 0 when
 * they differ (such an MLP cannot be rebuilt from its config: a config
 * with width 0 fails rs_nn_mlp_config_check rather than build a
 * different network). */
void rs_nn_mlp_sync_width(rs_nn_mlp *m);
/* Hidden layers (cfg depth); Linear layers are depth + 1. */
int rs_nn_mlp_depth(const rs_nn_mlp *m);
/* Linear layer 1..depth+1 (the last is the output layer), borrowed; NULL
 * outside that range. */
const struct rs_nn_linear *rs_nn_mlp_linear(const rs_nn_mlp *m, int layer);

#endif /* RS_NN_MLP_H */
