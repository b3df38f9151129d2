/* repscope - MIT licence, see COPYING.
 *
 * module_transformer.c: the decoder-only transformer (nn/transformer.h)
 * as a module of the TOKENS kind (see module.h). The module owns the
 * rs_nn_transformer; the registry is borrowed from it. forward_ids runs
 * rs_nn_transformer_forward (logits (B, T, out)); the plain forward takes
 * v0 (B, T, d) through rs_nn_transformer_forward_from. Probe-able layers
 * are "h1".."h<L>" with pre-activation = activation = the layer output
 * v_l (B, T, d); recorded tensors are the transformer's plus the logits,
 * all arena-borrowed from the last forward. Worker thread only.
 */
#include "config.h"

#include "nn/module.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tf_impl {
    rs_nn_transformer *tf;
    int layers;
    char (*names)[16]; /* "h1".."h<L>" */
    rs_tensor *logits; /* last forward, arena-borrowed */
};

static rs_tensor *
tf_forward(rs_nn_module *m, rs_graph *g, rs_tensor *x)
{
    struct tf_impl *t = rs_nn_module_impl(m);
    t->logits = rs_nn_transformer_forward_from(t->tf, g, x);
    return t->logits;
}

static rs_tensor *
tf_forward_ids(rs_nn_module *m, rs_graph *g, const int *ids, int B, int T)
{
    struct tf_impl *t = rs_nn_module_impl(m);
    t->logits = rs_nn_transformer_forward(t->tf, g, ids, B, T);
    return t->logits;
}

static enum rs_nn_input_kind
tf_input_kind(const rs_nn_module *m)
{
    (void)m;
    return RS_NN_INPUT_TOKENS;
}

static int
tf_out(const rs_nn_module *m)
{
    const struct tf_impl *t = rs_nn_module_impl(m);
    return rs_nn_transformer_config(t->tf)->out;
}

static int
tf_layers(const rs_nn_module *m)
{
    return ((const struct tf_impl *)rs_nn_module_impl(m))->layers;
}

static const char *
tf_layer_name(const rs_nn_module *m, int i)
{
    return ((const struct tf_impl *)rs_nn_module_impl(m))->names[i];
}

static rs_tensor *
tf_layer_out(const rs_nn_module *m, int i)
{
    const struct tf_impl *t = rs_nn_module_impl(m);
    return rs_nn_transformer_layer_out(t->tf, i + 1);
}

static rs_tensor *
tf_recorded(const rs_nn_module *m, const char *name)
{
    const struct tf_impl *t = rs_nn_module_impl(m);
    if (strcmp(name, "embed") == 0)
        return rs_nn_transformer_embed(t->tf);
    if (strcmp(name, "final") == 0)
        return rs_nn_transformer_final(t->tf);
    if (strcmp(name, "logits") == 0)
        return t->logits;
    int l = rs_nn_layer_number(name, "h", t->layers);
    if (l > 0)
        return rs_nn_transformer_layer_out(t->tf, l);
    l = rs_nn_layer_number(name, "attn", t->layers);
    return l > 0 ? rs_nn_transformer_attn(t->tf, l) : NULL;
}

/* Floats of activations one sequence of T tokens needs in a forward:
 * attention probabilities (heads T^2, twice) and about 16 d + 3 mlp per
 * token and layer, plus the embedding and the head (the sequence
 * trainer's estimate). */
static size_t
tf_act_floats(const rs_nn_module *m, int T)
{
    const struct tf_impl *ti = rs_nn_module_impl(m);
    const struct rs_nn_transformer_config *tc =
        rs_nn_transformer_config(ti->tf);
    size_t t = (size_t)T;
    return (size_t)tc->layers *
               ((size_t)tc->heads * t * t * 2 +
                t * ((size_t)tc->d * 16 + (size_t)tc->mlp * 3)) +
           t * ((size_t)tc->d * 4 + (size_t)tc->out * 3);
}

static void
tf_destroy(void *impl)
{
    struct tf_impl *t = impl;
    rs_nn_transformer_free(t->tf);
    free(t->names);
    free(t);
}

static const struct rs_nn_module_class transformer_class = {
    .kind = "transformer",
    .forward = tf_forward,
    .out = tf_out,
    .layers = tf_layers,
    .layer_name = tf_layer_name,
    .preact = tf_layer_out,
    .act = tf_layer_out,
    .destroy = tf_destroy,
    .forward_ids = tf_forward_ids,
    .input_kind = tf_input_kind,
    .recorded = tf_recorded,
    .act_floats = tf_act_floats,
};

rs_nn_module *
rs_nn_module_transformer(const struct rs_nn_transformer_config *cfg,
                         struct rs_rng *rng, struct rs_error *err)
{
    rs_nn_transformer *tf = rs_nn_transformer_new(cfg, rng, err);
    if (tf == NULL)
        return NULL;
    struct tf_impl *t = rs_xcalloc(1, sizeof *t);
    t->tf = tf;
    t->layers = rs_nn_transformer_config(tf)->layers;
    t->names = rs_xcalloc((size_t)t->layers, sizeof *t->names);
    for (int l = 0; l < t->layers; l++)
        snprintf(t->names[l], sizeof t->names[l], "h%d", l + 1);
    return rs_nn_module_new(&transformer_class, t, rs_nn_transformer_model(tf),
                            false);
}

rs_nn_transformer *
rs_nn_module_as_transformer(const rs_nn_module *m)
{
    if (strcmp(rs_nn_module_kind(m), "transformer") != 0)
        return NULL;
    return ((const struct tf_impl *)rs_nn_module_impl(m))->tf;
}
