/* repscope - MIT licence, see COPYING.
 *
 * module.h: one interface over every network building block, so the
 * supervised loop, the probes and the Lua binding work with any model
 * (htop's class tables: a const vtable per kind, reached through inline
 * wrappers). A module has:
 *   - a forward x (..., IN) -> (..., OUT) on a graph;
 *   - a parameter registry (nn/model.h) holding every trainable tensor
 *     under a stable name ("l2.weight", "3.bias");
 *   - zero or more probe-able hidden layers, each with a name, and after a
 *     forward its pre-activation (the tensor fed to the activation) and
 *     activation, arena tensors borrowed until the graph is reset.
 *
 * Kinds: linear, activation (relu, leaky_relu, gelu, tanh, sigmoid,
 * identity), norm (layernorm, rmsnorm), mlp (an adapter over nn/mlp.h)
 * and sequential. An activation is itself one probe-able layer (its input
 * is the pre-activation, its output the activation); a sequential's layers
 * are its children's, named "<child>" for an activation child and
 * "<child>.<layer>" for a container child ("2", "enc.l1").
 *
 * A sequential's registry holds the children's parameter tensors under
 * "<child>.<name>" (shared, one reference each), so an optimiser built
 * from it updates the same tensors the children compute with. Replacing a
 * parameter (structured pruning) must therefore go through the module
 * that computes with it. Modules are refcounted (plain int: worker thread
 * only, like everything they hold).
 */
#ifndef RS_NN_MODULE_H
#define RS_NN_MODULE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/base.h"
#include "core/graph.h"
#include "core/init.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "nn/mlp.h"
#include "nn/model.h"
#include "nn/transformer.h"

typedef struct rs_nn_module rs_nn_module;

/* What a module eats: float features (..., IN) or token ids (B, T). */
enum rs_nn_input_kind { RS_NN_INPUT_FEATURES, RS_NN_INPUT_TOKENS };

/* One batch fed to a module. FEATURES: x, a (B, IN) graph or heap tensor
 * (ids, B, T unused). TOKENS: ids (B, T) row-major, borrowed for the
 * call (x unused). */
struct rs_nn_input {
    enum rs_nn_input_kind kind;
    rs_tensor *x;   /* FEATURES: (B, IN) */
    const int *ids; /* TOKENS: (B, T) */
    int B, T;
};

/* A kind of module (one const instance per kind, designated initialisers).
 * Layer callbacks may be NULL for a kind without probe-able layers; in/out
 * return 0 for "any size". destroy frees impl (not the model). */
struct rs_nn_module_class {
    const char *kind;
    rs_tensor *(*forward)(rs_nn_module *m, rs_graph *g, rs_tensor *x);
    int (*in)(const rs_nn_module *m);
    int (*out)(const rs_nn_module *m);
    int (*layers)(const rs_nn_module *m);
    const char *(*layer_name)(const rs_nn_module *m, int i);
    rs_tensor *(*preact)(const rs_nn_module *m, int i);
    rs_tensor *(*act)(const rs_nn_module *m, int i);
    void (*destroy)(void *impl);
    /* Optional (NULL for feature modules): */
    /* ids (B, T) -> output (B, T, OUT), or NULL with g's error set. */
    rs_tensor *(*forward_ids)(rs_nn_module *m, rs_graph *g, const int *ids,
                              int B, int T);
    /* The input the module takes (NULL: RS_NN_INPUT_FEATURES). */
    enum rs_nn_input_kind (*input_kind)(const rs_nn_module *m);
    /* A named tensor of the last forward (arena-borrowed), or NULL. */
    rs_tensor *(*recorded)(const rs_nn_module *m, const char *name);
    /* Floats of activations one example of T tokens (1 for features)
     * needs in a forward, to size evaluation chunks (NULL or 0:
     * unknown). */
    size_t (*act_floats)(const rs_nn_module *m, int T);
};

/* Wrap impl (ownership taken: freed by cls->destroy) and a registry as a
 * module with one reference; with owns_model the registry is freed with
 * the module, otherwise it is borrowed from impl (the MLP case). For new
 * kinds in other files; the builders below use it. Never fails. */
rs_nn_module *rs_nn_module_new(const struct rs_nn_module_class *cls, void *impl,
                               rs_nn_model *model, bool owns_model);
/* The impl pointer given to rs_nn_module_new (borrowed). */
void *rs_nn_module_impl(const rs_nn_module *m);
/* The class given to rs_nn_module_new, so a member file can tell its own
 * modules apart (m's class == &its_class). */
const struct rs_nn_module_class *rs_nn_module_class_of(const rs_nn_module *m);

/* The layer number l of a recorded name "<prefix><l>" ("h3", "a1") with
 * l in 1..layers, else 0: for the recorded callbacks of layered kinds. */
int rs_nn_layer_number(const char *name, const char *prefix, int layers);

/* Longest child / layer name accepted, without the NUL. */
#define RS_NN_MODULE_NAME_MAX 31

/* ---- builders: each returns a new module (one reference) or NULL with
 * err filled (RS_EINVAL naming the builder and the bad value). ---------- */

/* y = x W^T + b with W (out, in) "weight" and b (out) "bias"; weights
 * drawn from rng (borrowed) as rs_nn_linear_reinit does. */
rs_nn_module *rs_nn_module_linear(int in, int out, bool bias,
                                  enum rs_init_kind init, float scale,
                                  struct rs_rng *rng, struct rs_error *err);
/* An activation; slope is leaky_relu's negative slope. Never fails for a
 * valid enum value (NULL + err otherwise). */
rs_nn_module *rs_nn_module_act(enum rs_nn_mlp_act act, float slope,
                               struct rs_error *err);
/* LayerNorm or RMSNorm over the last dim (width); affine adds "weight"
 * (ones) and, for LayerNorm, "bias" (zeros). eps > 0. */
rs_nn_module *rs_nn_module_norm(enum rs_nn_mlp_norm kind, int width,
                                bool affine, float eps, struct rs_error *err);
/* An MLP (nn/mlp.h) as a module; its layers are "l1".."l<depth>". */
rs_nn_module *rs_nn_module_mlp(const struct rs_nn_mlp_config *cfg,
                               struct rs_rng *rng, struct rs_error *err);
/* Children run in order. children[i] are retained; names[i] (may be NULL,
 * or any entry NULL: the 1-based position "1", "2", ...) are copied and
 * must be unique, non-empty, without '.', at most RS_NN_MODULE_NAME_MAX
 * bytes. Errors: n < 1, a bad or duplicate name, neighbouring feature
 * sizes that cannot match (an OUT followed by a different IN), or the
 * same parameter tensor reached twice. A sequential takes what its first
 * child takes: with a TOKENS first child (an embedding), forward_input
 * runs that child's forward_ids and feeds its output to the rest, and
 * in() is 0. */
rs_nn_module *rs_nn_module_sequential(rs_nn_module *const *children,
                                      const char *const *names, int n,
                                      struct rs_error *err);

void rs_nn_module_retain(rs_nn_module *m);
/* Drop one reference; frees at zero (releasing children). NULL is a no-op. */
void rs_nn_module_release(rs_nn_module *m);

/* "linear", "relu", ..., "layernorm", "rmsnorm", "mlp", "sequential".
 * Static string. */
const char *rs_nn_module_kind(const rs_nn_module *m);
/* True for the activation kinds. */
bool rs_nn_module_is_act(const rs_nn_module *m);

/* x (..., IN) -> (..., OUT) on g; NULL with g's sticky error set on a
 * shape mismatch (message naming the module). Records the layers' tensors
 * and bumps rs_nn_module_forwards. */
rs_tensor *rs_nn_module_forward(rs_nn_module *m, rs_graph *g, rs_tensor *x);
/* One batch of either kind: FEATURES goes to rs_nn_module_forward,
 * TOKENS to the class's forward_ids. NULL with g's sticky error set when
 * the kinds do not match (message naming the module kind and the input
 * kind) or on the forward's own errors. Counts as a forward. */
rs_tensor *rs_nn_module_forward_input(rs_nn_module *m, rs_graph *g,
                                      const struct rs_nn_input *in);
/* The kind of input m takes. */
enum rs_nn_input_kind rs_nn_module_input_kind(const rs_nn_module *m);
/* "features", "tokens" ("?" outside the enum). */
const char *rs_nn_input_kind_name(enum rs_nn_input_kind k);
/* A tensor recorded by the last forward under name (see each kind; the
 * transformer: "embed", "h<l>", "final", "attn<l>", "logits"), borrowed
 * until that forward's graph is reset; NULL if m records no such tensor
 * or before a forward. Kinds without recorded tensors fall back to the
 * probe-able layers: "<layer>" is the activation, "<layer>.pre" the
 * pre-activation. */
rs_tensor *rs_nn_module_recorded(const rs_nn_module *m, const char *name);
/* See struct rs_nn_module_class act_floats (0: unknown). */
size_t rs_nn_module_act_floats(const rs_nn_module *m, int T);

/* Number of forwards run through this module (as the top-level module or
 * as a child), so a caller can tell whether recorded tensors are its own. */
unsigned long rs_nn_module_forwards(const rs_nn_module *m);

/* The parameter registry; borrowed while m lives. */
rs_nn_model *rs_nn_module_model(const rs_nn_module *m);
/* Feature sizes in and out of the current parameters, 0 when the module
 * takes any size (activations, a sequential of activations). */
int rs_nn_module_in(const rs_nn_module *m);
int rs_nn_module_out(const rs_nn_module *m);

/* Probe-able layers: count, name (borrowed while m lives), index of a
 * name (-1 if none), and the pre-activation / activation of layer i
 * (0-based) from the last forward: arena tensors borrowed until that
 * forward's graph is reset, NULL before any forward. */
int rs_nn_module_layers(const rs_nn_module *m);
const char *rs_nn_module_layer_name(const rs_nn_module *m, int i);
int rs_nn_module_find_layer(const rs_nn_module *m, const char *name);
rs_tensor *rs_nn_module_layer_preact(const rs_nn_module *m, int i);
rs_tensor *rs_nn_module_layer_act(const rs_nn_module *m, int i);

/* Children of a sequential (0 for other kinds), the i-th child (borrowed)
 * and its name; index of a child name or -1. */
int rs_nn_module_children(const rs_nn_module *m);
rs_nn_module *rs_nn_module_child(const rs_nn_module *m, int i);
const char *rs_nn_module_child_name(const rs_nn_module *m, int i);
int rs_nn_module_find_child(const rs_nn_module *m, const char *name);

/* The wrapped MLP of an "mlp" module (borrowed), else NULL. */
rs_nn_mlp *rs_nn_module_as_mlp(const rs_nn_module *m);

/* ---- the transformer as a module (module_transformer.c) -------------- */

/* A new transformer (nn/transformer.h; cfg copied and resolved, weights
 * from rng) wrapped as a module taking TOKENS: forward_ids gives the
 * logits (B, T, out); rs_nn_module_forward takes v0 (B, T, d) instead
 * (rs_nn_transformer_forward_from). Its registry is the transformer's.
 * Probe-able layers "h1".."h<L>" (preact = act = v_l, (B, T, d));
 * recorded names "embed", "h<l>", "final", "attn<l>", "logits". in() is
 * 0 (ids), out() the logits per position. NULL + err on a bad config. */
rs_nn_module *
rs_nn_module_transformer(const struct rs_nn_transformer_config *cfg,
                         struct rs_rng *rng, struct rs_error *err);
/* The transformer of a "transformer" module (borrowed), else NULL. */
rs_nn_transformer *rs_nn_module_as_transformer(const rs_nn_module *m);

/* Structured pruning (nn/surgery.h): a norm module's width, after its
 * affine parameters (if any) were replaced by ones of `width` entries.
 * A module that is not a norm, or a parameter of another size, is a bug. */
void rs_nn_module_norm_set_width(rs_nn_module *m, int width);

/* ---- tables, shapes and scalars (module_embedding.c, module_position.c,
 * module_reshape.c, module_scalar.c) ----------------------------------- */

/* Token embedding: ids (B, T) -> (B, T, d), rows of a parameter "weight"
 * (vocab, d) drawn N(0, std^2) from rng (borrowed). Kind "embedding",
 * input kind TOKENS; in() 0, out() d. An id outside [0, vocab) fails the
 * graph: "embedding: id 12 at (0, 3) out of range [0, 10)". The feature
 * forward takes x (B, T) holding the ids as exact integer floats (for
 * callers with float tensors only, such as Lua's m:forward); x gets no
 * gradient. NULL + err: vocab or d < 1, std not finite or < 0. */
rs_nn_module *rs_nn_module_embedding(int vocab, int d, float std,
                                     struct rs_rng *rng, struct rs_error *err);
/* Learned positions: x (..., T, d) -> x + weight[0:T] with a parameter
 * "weight" (n, d) drawn N(0, std^2), T <= n. Kind "position"; in() = out()
 * = d. The graph fails on x with fewer than 2 dims, another width or
 * T > n. NULL + err: n or d < 1, std not finite or < 0. */
rs_nn_module *rs_nn_module_position(int n, int d, float std,
                                    struct rs_rng *rng, struct rs_error *err);
/* x (..., IN) -> (..., shape[0], ..., shape[ndim - 1]) with IN the
 * product of shape (the same data; gradients pass through). No
 * parameters. Kind "reshape"; in() = IN, out() = shape[ndim - 1]. The
 * graph fails on a last dim other than IN or a result of more than
 * RS_MAX_DIMS dims. NULL + err: ndim outside 1..RS_MAX_DIMS - 1, an entry
 * < 1, or IN above INT_MAX. */
rs_nn_module *rs_nn_module_reshape(int ndim, const int *shape,
                                   struct rs_error *err);
/* A learned scalar (a log-temperature): one parameter "value" (1) set to
 * value. Its forward ignores x (any tensor; rs_nn_module_forward still
 * returns NULL for a NULL x) and returns a (1) graph tensor equal to the
 * parameter, through which gradients reach it. Kind "scalar"; in() 0,
 * out() 1. NULL + err: value not finite. */
rs_nn_module *rs_nn_module_scalar(float value, struct rs_error *err);
/* The "value" parameter (1) of a "scalar" module (borrowed while m
 * lives), else NULL. */
rs_tensor *rs_nn_module_scalar_param(const rs_nn_module *m);

#endif /* RS_NN_MODULE_H */
