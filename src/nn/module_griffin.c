/* repscope - MIT licence, see COPYING.
 *
 * module_griffin.c: Hawk / Griffin / the MQA transformer (nn/griffin.h)
 * as a module of kind "griffin" taking TOKENS (see module.h). The module
 * owns the model; the registry is borrowed from it. forward_ids runs
 * rs_nn_griffin_forward (logits (B, T, vocab), no reset flags besides
 * position 0); the plain forward takes x0 (B, T, d). Probe-able layers
 * "h1".."h<L>" with pre-activation = activation = the layer output;
 * recorded tensors "embed", "h<l>", "a<l>", "final", "logits", all
 * arena-borrowed from the last forward. Worker thread only.
 */
#include "config.h"

#include "nn/griffin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gf_impl {
    rs_nn_griffin *gf;
    int layers;
    char (*names)[16]; /* "h1".."h<L>" */
};

static rs_tensor *
gf_forward(rs_nn_module *m, rs_graph *g, rs_tensor *x)
{
    struct gf_impl *t = rs_nn_module_impl(m);
    return rs_nn_griffin_forward_from(t->gf, g, x, NULL);
}

static rs_tensor *
gf_forward_ids(rs_nn_module *m, rs_graph *g, const int *ids, int B, int T)
{
    struct gf_impl *t = rs_nn_module_impl(m);
    return rs_nn_griffin_forward(t->gf, g, ids, B, T, NULL);
}

static enum rs_nn_input_kind
gf_input_kind(const rs_nn_module *m)
{
    (void)m;
    return RS_NN_INPUT_TOKENS;
}

static int
gf_out(const rs_nn_module *m)
{
    const struct gf_impl *t = rs_nn_module_impl(m);
    return rs_nn_griffin_config(t->gf)->vocab;
}

static int
gf_layers(const rs_nn_module *m)
{
    return ((const struct gf_impl *)rs_nn_module_impl(m))->layers;
}

static const char *
gf_layer_name(const rs_nn_module *m, int i)
{
    return ((const struct gf_impl *)rs_nn_module_impl(m))->names[i];
}

static rs_tensor *
gf_layer_out(const rs_nn_module *m, int i)
{
    const struct gf_impl *t = rs_nn_module_impl(m);
    return rs_nn_griffin_layer_out(t->gf, i + 1);
}

static rs_tensor *
gf_recorded(const rs_nn_module *m, const char *name)
{
    const struct gf_impl *t = rs_nn_module_impl(m);
    if (strcmp(name, "embed") == 0)
        return rs_nn_griffin_embed(t->gf);
    if (strcmp(name, "final") == 0)
        return rs_nn_griffin_final(t->gf);
    if (strcmp(name, "logits") == 0)
        return rs_nn_griffin_logits(t->gf);
    int l = rs_nn_layer_number(name, "h", t->layers);
    if (l > 0)
        return rs_nn_griffin_layer_out(t->gf, l);
    l = rs_nn_layer_number(name, "a", t->layers);
    return l > 0 ? rs_nn_griffin_gate(t->gf, l) : NULL;
}

/* Floats of activations one sequence of T tokens needs in a forward, per
 * token: a recurrent block about 12 lru + 8 d, an attention block about
 * 8 d (its scores are blocked: window x 64 per head, not T x T), the MLP
 * about 6 M + 4 d; plus the embedding and the logits (3 V). */
static size_t
gf_act_floats(const rs_nn_module *m, int T)
{
    const struct gf_impl *ti = rs_nn_module_impl(m);
    const rs_nn_griffin *gf = ti->gf;
    const struct rs_nn_griffin_config *c = rs_nn_griffin_config(gf);
    size_t d = (size_t)c->d, L = (size_t)c->lru_width;
    size_t M = (size_t)c->mlp_mult * d, per = 0;
    for (int l = 1; l <= c->layers; l++)
        per +=
            (rs_nn_griffin_layer_kind(gf, l) == 'R' ? 12 * L + 8 * d : 8 * d) +
            6 * M + 4 * d;
    return (size_t)T * (per + 2 * d + 3 * (size_t)c->vocab);
}

static void
gf_destroy(void *impl)
{
    struct gf_impl *t = impl;
    rs_nn_griffin_free(t->gf);
    free(t->names);
    free(t);
}

static const struct rs_nn_module_class griffin_class = {
    .kind = "griffin",
    .forward = gf_forward,
    .out = gf_out,
    .layers = gf_layers,
    .layer_name = gf_layer_name,
    .preact = gf_layer_out,
    .act = gf_layer_out,
    .destroy = gf_destroy,
    .forward_ids = gf_forward_ids,
    .input_kind = gf_input_kind,
    .recorded = gf_recorded,
    .act_floats = gf_act_floats,
};

rs_nn_module *
rs_nn_module_griffin(const struct rs_nn_griffin_config *cfg, struct rs_rng *rng,
                     struct rs_error *err)
{
    rs_nn_griffin *gf = rs_nn_griffin_new(cfg, rng, err);
    if (gf == NULL)
        return NULL;
    struct gf_impl *t = rs_xcalloc(1, sizeof *t);
    t->gf = gf;
    t->layers = rs_nn_griffin_config(gf)->layers;
    t->names = rs_xcalloc((size_t)t->layers, sizeof *t->names);
    for (int l = 0; l < t->layers; l++)
        snprintf(t->names[l], sizeof t->names[l], "h%d", l + 1);
    return rs_nn_module_new(&griffin_class, t, rs_nn_griffin_model(gf), false);
}

rs_nn_griffin *
rs_nn_module_as_griffin(const rs_nn_module *m)
{
    if (rs_nn_module_class_of(m) != &griffin_class)
        return NULL;
    return ((const struct gf_impl *)rs_nn_module_impl(m))->gf;
}
