/* repscope - MIT licence, see COPYING.
 *
 * mlp.c: the MLP builder and forward (see mlp.h). The MLP owns its model;
 * the Linear layers and norm parameters are addressed by model index.
 * preact[]/act[] hold arena pointers from the last forward and are
 * cleared at the start of each forward, so a failed forward never leaves
 * a stale tensor from an earlier step. Worker thread only.
 */
#include "config.h"

#include "nn/mlp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ops.h"

struct rs_nn_mlp {
    struct rs_nn_mlp_config cfg;
    rs_nn_model *model;
    struct rs_nn_linear *lin; /* depth + 1 layers */
    int *gain, *shift;        /* depth: norm parameter indices, or -1 */
    rs_tensor **preact;       /* depth: last forward, arena-borrowed */
    rs_tensor **act;          /* depth */
};

static const char *const act_names[RS_NN_MLP_ACT_COUNT] = {
    [RS_NN_MLP_ACT_RELU] = "relu",
    [RS_NN_MLP_ACT_LEAKY_RELU] = "leaky_relu",
    [RS_NN_MLP_ACT_GELU] = "gelu",
    [RS_NN_MLP_ACT_TANH] = "tanh",
    [RS_NN_MLP_ACT_SIGMOID] = "sigmoid",
    [RS_NN_MLP_ACT_IDENTITY] = "identity",
};

static const char *const norm_names[RS_NN_MLP_NORM_COUNT] = {
    [RS_NN_MLP_NORM_NONE] = "none",
    [RS_NN_MLP_NORM_LAYERNORM] = "layernorm",
    [RS_NN_MLP_NORM_RMSNORM] = "rmsnorm",
};

const char *
rs_nn_mlp_act_name(enum rs_nn_mlp_act act)
{
    return (unsigned)act < RS_NN_MLP_ACT_COUNT ? act_names[act] : "?";
}

int
rs_nn_mlp_act_parse(const char *name)
{
    for (int i = 0; i < RS_NN_MLP_ACT_COUNT; i++)
        if (strcmp(name, act_names[i]) == 0)
            return i;
    return -1;
}

const char *
rs_nn_mlp_norm_name(enum rs_nn_mlp_norm norm)
{
    return (unsigned)norm < RS_NN_MLP_NORM_COUNT ? norm_names[norm] : "?";
}

int
rs_nn_mlp_norm_parse(const char *name)
{
    for (int i = 0; i < RS_NN_MLP_NORM_COUNT; i++)
        if (strcmp(name, norm_names[i]) == 0)
            return i;
    return -1;
}

void
rs_nn_mlp_config_default(struct rs_nn_mlp_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->depth = 2;
    cfg->act = RS_NN_MLP_ACT_RELU;
    cfg->leaky_slope = 0.01f;
    cfg->norm = RS_NN_MLP_NORM_NONE;
    cfg->norm_affine = true;
    cfg->norm_eps = 1e-5f;
    cfg->bias = true;
    cfg->init = RS_INIT_TORCH_DEFAULT;
    cfg->init_scale = 1.0f;
}

int
rs_nn_mlp_config_check(const struct rs_nn_mlp_config *cfg, struct rs_error *err)
{
    if (cfg->input < 1)
        return rs_error_set(err, RS_EINVAL, "input = %d (must be >= 1)",
                            cfg->input);
    if (cfg->output < 1)
        return rs_error_set(err, RS_EINVAL, "output = %d (must be >= 1)",
                            cfg->output);
    if (cfg->depth < 0 || cfg->depth > RS_NN_MLP_MAX_DEPTH)
        return rs_error_set(err, RS_EINVAL,
                            "depth = %d (must be in 0..%d)", cfg->depth,
                            RS_NN_MLP_MAX_DEPTH);
    if (cfg->depth > 0 && cfg->width < 1)
        return rs_error_set(err, RS_EINVAL, "width = %d (must be >= 1)",
                            cfg->width);
    if ((unsigned)cfg->act >= RS_NN_MLP_ACT_COUNT)
        return rs_error_set(err, RS_EINVAL,
                            "act = %d (unknown activation)",
                            (int)cfg->act);
    if (cfg->act == RS_NN_MLP_ACT_LEAKY_RELU && !isfinite(cfg->leaky_slope))
        return rs_error_set(err, RS_EINVAL,
                            "leaky_slope = %g (must be finite)",
                            (double)cfg->leaky_slope);
    if ((unsigned)cfg->norm >= RS_NN_MLP_NORM_COUNT)
        return rs_error_set(err, RS_EINVAL, "norm = %d (unknown norm)",
                            (int)cfg->norm);
    if (cfg->norm != RS_NN_MLP_NORM_NONE &&
        !(cfg->norm_eps > 0.0f && isfinite(cfg->norm_eps)))
        return rs_error_set(err, RS_EINVAL,
                            "norm_eps = %g (must be finite and > 0)",
                            (double)cfg->norm_eps);
    if ((unsigned)cfg->init > RS_INIT_TORCH_DEFAULT)
        return rs_error_set(err, RS_EINVAL,
                            "init = %d (unknown init kind)",
                            (int)cfg->init);
    if (!(cfg->init_scale >= 0.0f && isfinite(cfg->init_scale)))
        return rs_error_set(err, RS_EINVAL,
                            "init_scale = %g (must be finite and >= 0)",
                            (double)cfg->init_scale);
    return RS_OK;
}

/* Register the norm parameters of hidden layer k (1-based); err is
 * required. */
static int
add_norm(rs_nn_mlp *m, int k, struct rs_error *err)
{
    m->gain[k - 1] = m->shift[k - 1] = -1;
    if (m->cfg.norm == RS_NN_MLP_NORM_NONE || !m->cfg.norm_affine)
        return RS_OK;
    char name[32];
    int width = m->cfg.width;
    snprintf(name, sizeof name, "l%d.norm.weight", k);
    rs_tensor *g = rs_nn_model_add(m->model, name, 1, &width, err);
    if (g == NULL)
        return err->code;
    rs_tensor_fill(g, 1.0f);
    m->gain[k - 1] = rs_nn_model_count(m->model) - 1;
    if (m->cfg.norm == RS_NN_MLP_NORM_LAYERNORM) {
        snprintf(name, sizeof name, "l%d.norm.bias", k);
        if (rs_nn_model_add(m->model, name, 1, &width, err) == NULL)
            return err->code;
        m->shift[k - 1] = rs_nn_model_count(m->model) - 1;
    }
    return RS_OK;
}

rs_nn_mlp *
rs_nn_mlp_new(const struct rs_nn_mlp_config *cfg, const char *model_name,
              struct rs_rng *rng, struct rs_error *err)
{
    if (rs_nn_mlp_config_check(cfg, err) != RS_OK)
        return NULL;
    rs_nn_mlp *m = rs_xcalloc(1, sizeof *m);
    m->cfg = *cfg;
    m->model = rs_nn_model_new(model_name);
    int depth = cfg->depth;
    m->lin = rs_xcalloc((size_t)depth + 1, sizeof *m->lin);
    if (depth > 0) {
        m->gain = rs_xcalloc((size_t)depth, sizeof *m->gain);
        m->shift = rs_xcalloc((size_t)depth, sizeof *m->shift);
        m->preact = rs_xcalloc((size_t)depth, sizeof *m->preact);
        m->act = rs_xcalloc((size_t)depth, sizeof *m->act);
    }
    struct rs_error e = {0};
    for (int k = 1; k <= depth + 1; k++) {
        int in = k == 1 ? cfg->input : cfg->width;
        int out = k == depth + 1 ? cfg->output : cfg->width;
        char name[16];
        snprintf(name, sizeof name, "l%d", k);
        if (rs_nn_linear_init(&m->lin[k - 1], m->model, name, in, out,
                              cfg->bias, &e) != RS_OK)
            goto fail;
        rs_nn_linear_reinit(&m->lin[k - 1], cfg->init, cfg->init_scale, rng);
        if (k <= depth && add_norm(m, k, &e) != RS_OK)
            goto fail;
    }
    return m;
fail:
    rs_error_set(err, e.code, "%s", e.msg);
    rs_nn_mlp_free(m);
    return NULL;
}

void
rs_nn_mlp_free(rs_nn_mlp *m)
{
    if (m == NULL)
        return;
    rs_nn_model_free(m->model);
    free(m->lin);
    free(m->gain);
    free(m->shift);
    free(m->preact);
    free(m->act);
    free(m);
}

static rs_tensor *
model_param_or_null(const rs_nn_mlp *m, int index)
{
    return index >= 0 ? rs_nn_model_param(m->model, index) : NULL;
}

static rs_tensor *
apply_norm(const rs_nn_mlp *m, rs_graph *g, int k, rs_tensor *z)
{
    rs_tensor *gain = model_param_or_null(m, m->gain[k - 1]);
    switch (m->cfg.norm) {
    case RS_NN_MLP_NORM_LAYERNORM:
        return rs_op_layernorm(g, z, gain,
                               model_param_or_null(m, m->shift[k - 1]),
                               m->cfg.norm_eps);
    case RS_NN_MLP_NORM_RMSNORM:
        return rs_op_rmsnorm(g, z, gain, m->cfg.norm_eps);
    case RS_NN_MLP_NORM_NONE:
    case RS_NN_MLP_NORM_COUNT:
        break;
    }
    return z;
}

static rs_tensor *
apply_act(const rs_nn_mlp *m, rs_graph *g, rs_tensor *z)
{
    switch (m->cfg.act) {
    case RS_NN_MLP_ACT_RELU:
        return rs_op_relu(g, z);
    case RS_NN_MLP_ACT_LEAKY_RELU:
        return rs_op_leaky_relu(g, z, m->cfg.leaky_slope);
    case RS_NN_MLP_ACT_GELU:
        return rs_op_gelu(g, z);
    case RS_NN_MLP_ACT_TANH:
        return rs_op_tanh(g, z);
    case RS_NN_MLP_ACT_SIGMOID:
        return rs_op_sigmoid(g, z);
    case RS_NN_MLP_ACT_IDENTITY:
    case RS_NN_MLP_ACT_COUNT:
        break;
    }
    return z;
}

rs_tensor *
rs_nn_mlp_forward(rs_nn_mlp *m, rs_graph *g, rs_tensor *x)
{
    int depth = m->cfg.depth;
    for (int k = 0; k < depth; k++)
        m->preact[k] = m->act[k] = NULL;
    rs_tensor *h = x; /* (..., C) */
    for (int k = 1; k <= depth; k++) {
        rs_tensor *z = rs_nn_linear_forward(&m->lin[k - 1], g, h);
        if (z == NULL)
            return NULL;
        z = apply_norm(m, g, k, z);
        if (z == NULL)
            return NULL;
        h = apply_act(m, g, z);
        if (h == NULL)
            return NULL;
        m->preact[k - 1] = z;
        m->act[k - 1] = h;
    }
    return rs_nn_linear_forward(&m->lin[depth], g, h);
}

rs_tensor *
rs_nn_mlp_preact(const rs_nn_mlp *m, int layer)
{
    if (layer < 1 || layer > m->cfg.depth)
        return NULL;
    return m->preact[layer - 1];
}

rs_tensor *
rs_nn_mlp_act(const rs_nn_mlp *m, int layer)
{
    if (layer < 1 || layer > m->cfg.depth)
        return NULL;
    return m->act[layer - 1];
}

rs_nn_model *
rs_nn_mlp_model(const rs_nn_mlp *m)
{
    return m->model;
}

const struct rs_nn_mlp_config *
rs_nn_mlp_config(const rs_nn_mlp *m)
{
    return &m->cfg;
}

int
rs_nn_mlp_depth(const rs_nn_mlp *m)
{
    return m->cfg.depth;
}

const struct rs_nn_linear *
rs_nn_mlp_linear(const rs_nn_mlp *m, int layer)
{
    if (layer < 1 || layer > m->cfg.depth + 1)
        return NULL;
    return &m->lin[layer - 1];
}

int
rs_nn_mlp_width(const rs_nn_mlp *m, int layer)
{
    if (layer < 1 || layer > m->cfg.depth)
        return 0;
    return rs_nn_linear_out(&m->lin[layer - 1]);
}

void
rs_nn_mlp_sync_width(rs_nn_mlp *m)
{
    if (m->cfg.depth < 1)
        return;
    int w = rs_nn_mlp_width(m, 1);
    for (int k = 2; k <= m->cfg.depth; k++)
        if (rs_nn_mlp_width(m, k) != w)
            w = 0;
    m->cfg.width = w;
}
