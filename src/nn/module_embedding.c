/* repscope - MIT licence, see COPYING.
 *
 * module_embedding.c: the token embedding as a module of the TOKENS kind
 * (see module.h): ids (B, T) -> rows of "weight" (V, d), (B, T, d), through
 * rs_op_embedding (its backward scatters into the rows used). The ids are
 * checked here first so the message names the example and position. The
 * feature forward reads ids stored as floats. The module owns its
 * registry. Worker thread only.
 */
#include "config.h"

#include "nn/module.h"

#include <math.h>
#include <stdlib.h>

#include "core/ops.h"

struct emb_impl {
    rs_nn_model *model; /* the module's: "weight" (V, d) */
};

static rs_tensor *
emb_weight(const struct emb_impl *e)
{
    return rs_nn_model_param(e->model, 0);
}

/* Every id in [0, V), else fail g naming the first bad (b, t). */
static bool
check_ids(const struct emb_impl *e, rs_graph *g, const int *ids, int B, int T)
{
    int V = emb_weight(e)->shape[0];
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            int id = ids[(size_t)b * (size_t)T + (size_t)t];
            if (id < 0 || id >= V)
                return rs_graph_fail(g, RS_EINVAL,
                                     "embedding: id %d at (%d, %d) out of "
                                     "range [0, %d)",
                                     id, b, t, V);
        }
    return true;
}

static rs_tensor *
emb_forward_ids(rs_nn_module *m, rs_graph *g, const int *ids, int B, int T)
{
    const struct emb_impl *e = rs_nn_module_impl(m);
    if (ids == NULL || B < 1 || T < 1) {
        rs_graph_fail(g, RS_EINVAL, "embedding: %d x %d ids%s (need >= 1 x 1)",
                      B, T, ids == NULL ? " (NULL)" : "");
        return NULL;
    }
    if (!check_ids(e, g, ids, B, T))
        return NULL;
    int shape[2] = {B, T};
    return rs_op_embedding(g, emb_weight(e), ids, 2, shape); /* (B, T, d) */
}

/* x (B, T) of ids as floats -> (B, T, d); x gets no gradient. */
static rs_tensor *
emb_forward(rs_nn_module *m, rs_graph *g, rs_tensor *x)
{
    const struct emb_impl *e = rs_nn_module_impl(m);
    if (x->ndim != 2) {
        rs_graph_fail(g, RS_ESHAPE,
                      "embedding: ids have %d dims, expected 2 (B, T)",
                      x->ndim);
        return NULL;
    }
    int B = x->shape[0], T = x->shape[1], V = emb_weight(e)->shape[0];
    int *ids = rs_arena_alloc(rs_graph_arena(g), x->numel * sizeof *ids);
    for (size_t i = 0; i < x->numel; i++) {
        float v = x->data[i];
        if (!(v >= 0.0f && v < (float)V && v == floorf(v))) {
            rs_graph_fail(g, RS_EINVAL,
                          "embedding: id %g at (%d, %d) is not an integer "
                          "in [0, %d)",
                          (double)v, (int)(i / (size_t)T), (int)(i % (size_t)T),
                          V);
            return NULL;
        }
        ids[i] = (int)v;
    }
    return emb_forward_ids(m, g, ids, B, T);
}

static enum rs_nn_input_kind
emb_input_kind(const rs_nn_module *m)
{
    (void)m;
    return RS_NN_INPUT_TOKENS;
}

static int
emb_out(const rs_nn_module *m)
{
    return emb_weight(rs_nn_module_impl(m))->shape[1];
}

/* The output and its gradient (2 d per token). */
static size_t
emb_act_floats(const rs_nn_module *m, int T)
{
    return (size_t)T * 2 * (size_t)emb_out(m);
}

static const struct rs_nn_module_class embedding_class = {
    .kind = "embedding",
    .forward = emb_forward,
    .out = emb_out,
    .destroy = free,
    .forward_ids = emb_forward_ids,
    .input_kind = emb_input_kind,
    .act_floats = emb_act_floats,
};

rs_nn_module *
rs_nn_module_embedding(int vocab, int d, float std, struct rs_rng *rng,
                       struct rs_error *err)
{
    if (vocab < 1 || d < 1) {
        rs_error_set(err, RS_EINVAL,
                     "embedding vocab = %d, d = %d (must be "
                     ">= 1)",
                     vocab, d);
        return NULL;
    }
    if (!(std >= 0.0f && isfinite(std))) {
        rs_error_set(err, RS_EINVAL,
                     "embedding std = %g (must be finite and >= 0)",
                     (double)std);
        return NULL;
    }
    rs_nn_model *model = rs_nn_model_new("embedding");
    rs_tensor *w = rs_nn_model_add(model, "weight", 2, (int[]){vocab, d}, err);
    if (w == NULL) {
        rs_nn_model_free(model);
        return NULL;
    }
    rs_init_fill(w, RS_INIT_NORMAL, d, vocab, std, rng);
    struct emb_impl *e = rs_xcalloc(1, sizeof *e);
    e->model = model;
    return rs_nn_module_new(&embedding_class, e, model, true);
}
