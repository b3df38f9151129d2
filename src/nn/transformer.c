/* repscope - MIT licence, see COPYING.
 *
 * transformer.c: the decoder-only transformer (see transformer.h). The
 * transformer owns its model; layers address their parameters by model
 * index (nn/linear.h), so nothing here caches a tensor pointer across
 * forwards. The sinusoidal table is a fixed heap buffer, not a parameter.
 * The recorded tensors (v0, v_l, y, attention probabilities) are arena
 * pointers of the last forward's graph, cleared at the start of every
 * forward so a failed forward never leaves a stale one. Worker thread only.
 */
#include "config.h"

#include "nn/transformer.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/init.h"
#include "core/ops.h"
#include "nn/linear.h"

/* Parameter indices of one block. */
struct tf_block {
    int ln1_w, ln1_b, ln2_w, ln2_b;
    struct rs_nn_linear qkv, proj, fc, mproj;
};

struct rs_nn_transformer {
    struct rs_nn_transformer_config cfg;
    rs_nn_model *model;
    int tok, pos;     /* tok.weight (V, d), pos.weight (ctx, d) or -1 */
    int lnf_w, lnf_b; /* pre-norm only, else -1 */
    struct rs_nn_linear head;
    struct tf_block *blk; /* layers */
    float *sin_table;     /* (ctx, d) for "sinusoidal", else NULL */
    float *slopes;        /* (heads) ALiBi slopes for "alibi", else NULL */
    /* Last forward, arena-borrowed. */
    rs_tensor *v0, *y;
    rs_tensor **vout;  /* layers: v_l */
    rs_tensor **probs; /* layers: (B, heads, T, T) */
};

static const char *const pos_names[RS_NN_POS_COUNT] = {
    [RS_NN_POS_NONE] = "none",
    [RS_NN_POS_LEARNED] = "learned",
    [RS_NN_POS_SINUSOIDAL] = "sinusoidal",
    [RS_NN_POS_ROPE] = "rope",
    [RS_NN_POS_ALIBI] = "alibi",
};

static const char *const norm_names[RS_NN_TF_NORM_COUNT] = {
    [RS_NN_TF_PRE] = "pre",
    [RS_NN_TF_POST] = "post",
};

const char *
rs_nn_pos_name(enum rs_nn_pos pos)
{
    return (unsigned)pos < RS_NN_POS_COUNT ? pos_names[pos] : "?";
}

int
rs_nn_pos_parse(const char *name)
{
    for (int i = 0; i < RS_NN_POS_COUNT; i++)
        if (strcmp(name, pos_names[i]) == 0)
            return i;
    return -1;
}

const char *
rs_nn_tf_norm_name(enum rs_nn_tf_norm norm)
{
    return (unsigned)norm < RS_NN_TF_NORM_COUNT ? norm_names[norm] : "?";
}

int
rs_nn_tf_norm_parse(const char *name)
{
    for (int i = 0; i < RS_NN_TF_NORM_COUNT; i++)
        if (strcmp(name, norm_names[i]) == 0)
            return i;
    return -1;
}

void
rs_nn_transformer_config_default(struct rs_nn_transformer_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->heads = 1;
    cfg->layers = 2;
    cfg->pos = RS_NN_POS_ROPE;
    cfg->norm = RS_NN_TF_PRE;
    cfg->rope_base = 10000.0f;
    cfg->ln_eps = 1e-5f;
}

int
rs_nn_transformer_config_resolve(struct rs_nn_transformer_config *cfg,
                                 struct rs_error *err)
{
    if (cfg->vocab < 1)
        return rs_error_set(err, RS_EINVAL, "vocab = %d (must be >= 1)",
                            cfg->vocab);
    if (cfg->ctx < 1)
        return rs_error_set(err, RS_EINVAL, "ctx = %d (must be >= 1)",
                            cfg->ctx);
    /* 4d (the default MLP width) and 3d (qkv rows) must fit an int. */
    if (cfg->d < 1 || cfg->d > INT_MAX / 4)
        return rs_error_set(err, RS_EINVAL, "d = %d (must be in 1..%d)",
                            cfg->d, INT_MAX / 4);
    if (cfg->heads < 1)
        return rs_error_set(err, RS_EINVAL, "heads = %d (must be >= 1)",
                            cfg->heads);
    if (cfg->d % cfg->heads != 0)
        return rs_error_set(err, RS_EINVAL,
                            "heads = %d does not divide d = %d",
                            cfg->heads, cfg->d);
    if (cfg->layers < 1 || cfg->layers > RS_NN_TRANSFORMER_MAX_LAYERS)
        return rs_error_set(err, RS_EINVAL,
                            "layers = %d (must be in 1..%d)",
                            cfg->layers, RS_NN_TRANSFORMER_MAX_LAYERS);
    if (cfg->mlp == 0)
        cfg->mlp = 4 * cfg->d;
    if (cfg->mlp < 1)
        return rs_error_set(err, RS_EINVAL,
                            "mlp = %d (must be >= 1, or 0 for 4d)",
                            cfg->mlp);
    if (cfg->out == 0)
        cfg->out = cfg->vocab;
    if (cfg->out < 1)
        return rs_error_set(err, RS_EINVAL,
                            "out = %d (must be >= 1, or 0 for vocab)",
                            cfg->out);
    if ((unsigned)cfg->pos >= RS_NN_POS_COUNT)
        return rs_error_set(err, RS_EINVAL, "pos = %d (unknown kind)",
                            (int)cfg->pos);
    if ((unsigned)cfg->norm >= RS_NN_TF_NORM_COUNT)
        return rs_error_set(err, RS_EINVAL, "norm = %d (unknown kind)",
                            (int)cfg->norm);
    if (cfg->pos == RS_NN_POS_ROPE && (cfg->d / cfg->heads) % 2 != 0)
        return rs_error_set(err, RS_EINVAL,
                            "head size d / heads = %d / %d = %d is odd "
                            "(rope rotates pairs)",
                            cfg->d, cfg->heads, cfg->d / cfg->heads);
    if (cfg->window < 0)
        return rs_error_set(err, RS_EINVAL,
                            "window = %d (must be >= 0; 0: full causal)",
                            cfg->window);
    if (cfg->init_std == 0.0f)
        cfg->init_std = 1.0f / sqrtf((float)cfg->d);
    if (!(cfg->init_std > 0.0f && isfinite(cfg->init_std)))
        return rs_error_set(err, RS_EINVAL,
                            "init_std = %g (must be finite and > 0)",
                            (double)cfg->init_std);
    if (!(cfg->rope_base > 1.0f && isfinite(cfg->rope_base)))
        return rs_error_set(err, RS_EINVAL,
                            "rope_base = %g (must be finite and > 1)",
                            (double)cfg->rope_base);
    if (!(cfg->ln_eps > 0.0f && isfinite(cfg->ln_eps)))
        return rs_error_set(err, RS_EINVAL,
                            "ln_eps = %g (must be finite and > 0)",
                            (double)cfg->ln_eps);
    return RS_OK;
}

/* ---- construction ------------------------------------------------------ */

/* Register name with the given shape; its index, or -1 with err set. */
static int
add_param(rs_nn_model *m, const char *name, int ndim, const int *shape,
          struct rs_error *err)
{
    if (rs_nn_model_add(m, name, ndim, shape, err) == NULL)
        return -1;
    return rs_nn_model_count(m) - 1;
}

/* A LayerNorm's gain (1) and shift (0) under prefix. */
static int
add_norm(rs_nn_model *m, const char *prefix, int d, int *w, int *b,
         struct rs_error *err)
{
    char name[RS_NN_MODEL_NAME_MAX + 1];
    snprintf(name, sizeof name, "%s.weight", prefix);
    if ((*w = add_param(m, name, 1, &d, err)) < 0)
        return err->code;
    rs_tensor_fill(rs_nn_model_param(m, *w), 1.0f);
    snprintf(name, sizeof name, "%s.bias", prefix);
    if ((*b = add_param(m, name, 1, &d, err)) < 0)
        return err->code;
    return RS_OK;
}

static int
add_linear(struct rs_nn_linear *l, rs_nn_model *m, const char *name, int in,
           int out, struct rs_error *err)
{
    return rs_nn_linear_init(l, m, name, in, out, true, err);
}

static int
build_params(rs_nn_transformer *tf, struct rs_error *err)
{
    const struct rs_nn_transformer_config *c = &tf->cfg;
    rs_nn_model *m = tf->model;
    int shape[2] = {c->vocab, c->d};
    if ((tf->tok = add_param(m, "tok.weight", 2, shape, err)) < 0)
        return err->code;
    tf->pos = -1;
    if (c->pos == RS_NN_POS_LEARNED) {
        shape[0] = c->ctx;
        if ((tf->pos = add_param(m, "pos.weight", 2, shape, err)) < 0)
            return err->code;
    }
    for (int l = 1; l <= c->layers; l++) {
        struct tf_block *b = &tf->blk[l - 1];
        char name[32];
        snprintf(name, sizeof name, "h%d.ln1", l);
        if (add_norm(m, name, c->d, &b->ln1_w, &b->ln1_b, err) != RS_OK)
            return err->code;
        snprintf(name, sizeof name, "h%d.attn.qkv", l);
        if (add_linear(&b->qkv, m, name, c->d, 3 * c->d, err) != RS_OK)
            return err->code;
        snprintf(name, sizeof name, "h%d.attn.proj", l);
        if (add_linear(&b->proj, m, name, c->d, c->d, err) != RS_OK)
            return err->code;
        snprintf(name, sizeof name, "h%d.ln2", l);
        if (add_norm(m, name, c->d, &b->ln2_w, &b->ln2_b, err) != RS_OK)
            return err->code;
        snprintf(name, sizeof name, "h%d.mlp.fc", l);
        if (add_linear(&b->fc, m, name, c->d, c->mlp, err) != RS_OK)
            return err->code;
        snprintf(name, sizeof name, "h%d.mlp.proj", l);
        if (add_linear(&b->mproj, m, name, c->mlp, c->d, err) != RS_OK)
            return err->code;
    }
    tf->lnf_w = tf->lnf_b = -1;
    if (c->norm == RS_NN_TF_PRE &&
        add_norm(m, "lnf", c->d, &tf->lnf_w, &tf->lnf_b, err) != RS_OK)
        return err->code;
    return add_linear(&tf->head, m, "head", c->d, c->out, err);
}

/* Matrices and tables ~ N(0, init_std^2) in registration order; biases,
 * gains and shifts keep the values add_norm / rs_nn_model_add gave. */
static void
init_params(rs_nn_transformer *tf, struct rs_rng *rng)
{
    rs_nn_model *m = tf->model;
    for (int i = 0; i < rs_nn_model_count(m); i++) {
        rs_tensor *t = rs_nn_model_param(m, i);
        if (t->ndim == 2)
            rs_init_fill(t, RS_INIT_NORMAL, t->shape[1], t->shape[0],
                         tf->cfg.init_std, rng);
    }
}

/* Vaswani et al.: PE(p, 2i) = sin(p w_i), PE(p, 2i + 1) = cos(p w_i),
 * w_i = 10000^(-2i / d); computed in double. */
static void
fill_sinusoidal(float *table, int ctx, int d)
{
    for (int p = 0; p < ctx; p++)
        for (int j = 0; j < d; j++) {
            double w = pow(10000.0, -(double)(j - j % 2) / d);
            double a = p * w;
            table[(size_t)p * d + j] = (float)(j % 2 == 0 ? sin(a) : cos(a));
        }
}

rs_nn_transformer *
rs_nn_transformer_new(const struct rs_nn_transformer_config *cfg,
                      struct rs_rng *rng, struct rs_error *err)
{
    struct rs_nn_transformer_config c = *cfg;
    if (rs_nn_transformer_config_resolve(&c, err) != RS_OK)
        return NULL;
    rs_nn_transformer *tf = rs_xcalloc(1, sizeof *tf);
    tf->cfg = c;
    tf->model = rs_nn_model_new("transformer");
    tf->blk = rs_xcalloc((size_t)c.layers, sizeof *tf->blk);
    tf->vout = rs_xcalloc((size_t)c.layers, sizeof *tf->vout);
    tf->probs = rs_xcalloc((size_t)c.layers, sizeof *tf->probs);
    struct rs_error e = {0};
    if (build_params(tf, &e) != RS_OK) {
        rs_error_set(err, e.code, "%s", e.msg);
        rs_nn_transformer_free(tf);
        return NULL;
    }
    if (c.pos == RS_NN_POS_SINUSOIDAL) {
        size_t n = (size_t)c.ctx * (size_t)c.d;
        tf->sin_table = malloc(n * sizeof *tf->sin_table);
        if (tf->sin_table == NULL) {
            rs_error_set(err, RS_ENOMEM,
                         "no memory for the (%d, %d) "
                         "sinusoidal table",
                         c.ctx, c.d);
            rs_nn_transformer_free(tf);
            return NULL;
        }
        fill_sinusoidal(tf->sin_table, c.ctx, c.d);
    }
    if (c.pos == RS_NN_POS_ALIBI) {
        tf->slopes = rs_xcalloc((size_t)c.heads, sizeof *tf->slopes);
        for (int h = 1; h <= c.heads; h++)
            tf->slopes[h - 1] = (float)exp2(-8.0 * h / c.heads);
    }
    init_params(tf, rng);
    return tf;
}

void
rs_nn_transformer_free(rs_nn_transformer *tf)
{
    if (tf == NULL)
        return;
    rs_nn_model_free(tf->model);
    free(tf->blk);
    free(tf->vout);
    free(tf->probs);
    free(tf->sin_table);
    free(tf->slopes);
    free(tf);
}

/* ---- forward ----------------------------------------------------------- */

static rs_tensor *
param(const rs_nn_transformer *tf, int i)
{
    return rs_nn_model_param(tf->model, i);
}

static void
clear_records(rs_nn_transformer *tf)
{
    tf->v0 = tf->y = NULL;
    for (int l = 0; l < tf->cfg.layers; l++)
        tf->vout[l] = tf->probs[l] = NULL;
}

static bool
check_bt(const rs_nn_transformer *tf, rs_graph *g, int B, int T)
{
    if (B < 1)
        return rs_graph_fail(g, RS_EINVAL, "B = %d (must be >= 1)",
                             B);
    if (T < 1 || T > tf->cfg.ctx)
        return rs_graph_fail(g, RS_EINVAL,
                             "T = %d (must be in 1..ctx = %d)", T,
                             tf->cfg.ctx);
    return true;
}

rs_tensor *
rs_nn_transformer_embed_ids(rs_nn_transformer *tf, rs_graph *g, const int *ids,
                            int B, int T)
{
    if (rs_graph_error(g)->code != RS_OK || !check_bt(tf, g, B, T))
        return NULL;
    if (ids == NULL) {
        rs_graph_fail(g, RS_EINVAL, "ids is NULL");
        return NULL;
    }
    int V = tf->cfg.vocab, d = tf->cfg.d;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            int id = ids[(size_t)b * T + t];
            if (id < 0 || id >= V) {
                rs_graph_fail(g, RS_EINVAL,
                              "id %d at (%d, %d) out of range "
                              "[0, %d)",
                              id, b, t, V);
                return NULL;
            }
        }
    int shape[2] = {B, T};
    rs_tensor *v = rs_op_embedding(g, param(tf, tf->tok), ids, 2, shape);
    switch (tf->cfg.pos) {
    case RS_NN_POS_LEARNED: {
        int *iota = rs_arena_alloc(rs_graph_arena(g), (size_t)T * sizeof *iota);
        for (int t = 0; t < T; t++)
            iota[t] = t;
        rs_tensor *p = rs_op_embedding(g, param(tf, tf->pos), iota, 1, &T);
        return rs_op_add(g, v, p); /* (B, T, d) + (T, d) */
    }
    case RS_NN_POS_SINUSOIDAL: {
        int pshape[2] = {T, d};
        rs_tensor *p = rs_graph_input(g, 2, pshape, tf->sin_table);
        return rs_op_add(g, v, p);
    }
    case RS_NN_POS_NONE:
    case RS_NN_POS_ROPE:
    case RS_NN_POS_ALIBI:
    case RS_NN_POS_COUNT:
        break;
    }
    return v;
}

/* Causal self-attention of one block over x (B, T, d), recording layer l's
 * probabilities; the output before the projection. */
static rs_tensor *
self_attention(rs_nn_transformer *tf, rs_graph *g, int l, rs_tensor *x)
{
    const struct rs_nn_transformer_config *c = &tf->cfg;
    rs_tensor *qkv = rs_nn_linear_forward(&tf->blk[l - 1].qkv, g, x);
    rs_tensor *a;
    switch (c->pos) {
    case RS_NN_POS_ROPE:
        qkv = rs_op_rope(g, qkv, c->heads, c->rope_base);
        a = rs_op_attention(g, qkv, c->heads, c->window);
        break;
    case RS_NN_POS_ALIBI:
        a = rs_op_attention_ex(g, qkv, c->heads,
                               &(struct rs_attention_opts){
                                   .window = c->window, .alibi = tf->slopes});
        break;
    default:
        a = rs_op_attention(g, qkv, c->heads, c->window);
        break;
    }
    if (a != NULL)
        tf->probs[l - 1] = rs_op_attention_probs(g, a);
    return a;
}

static rs_tensor *
mlp(rs_nn_transformer *tf, rs_graph *g, int l, rs_tensor *x)
{
    const struct tf_block *b = &tf->blk[l - 1];
    rs_tensor *h = rs_op_gelu(g, rs_nn_linear_forward(&b->fc, g, x));
    return rs_nn_linear_forward(&b->mproj, g, h);
}

static rs_tensor *
layernorm(rs_nn_transformer *tf, rs_graph *g, rs_tensor *x, int w, int b)
{
    return rs_op_layernorm(g, x, param(tf, w), param(tf, b), tf->cfg.ln_eps);
}

static rs_tensor *
block(rs_nn_transformer *tf, rs_graph *g, int l, rs_tensor *v)
{
    const struct tf_block *b = &tf->blk[l - 1];
    if (tf->cfg.norm == RS_NN_TF_PRE) {
        rs_tensor *a =
            self_attention(tf, g, l, layernorm(tf, g, v, b->ln1_w, b->ln1_b));
        rs_tensor *z = rs_op_add(g, v, rs_nn_linear_forward(&b->proj, g, a));
        rs_tensor *h = mlp(tf, g, l, layernorm(tf, g, z, b->ln2_w, b->ln2_b));
        return rs_op_add(g, z, h);
    }
    rs_tensor *a = self_attention(tf, g, l, v);
    rs_tensor *z =
        layernorm(tf, g, rs_op_add(g, v, rs_nn_linear_forward(&b->proj, g, a)),
                  b->ln1_w, b->ln1_b);
    return layernorm(tf, g, rs_op_add(g, z, mlp(tf, g, l, z)), b->ln2_w,
                     b->ln2_b);
}

rs_tensor *
rs_nn_transformer_forward_from(rs_nn_transformer *tf, rs_graph *g,
                               rs_tensor *v0)
{
    clear_records(tf);
    if (rs_graph_error(g)->code != RS_OK)
        return NULL;
    if (v0 == NULL) {
        rs_graph_fail(g, RS_EINVAL, "v0 is NULL");
        return NULL;
    }
    const struct rs_nn_transformer_config *c = &tf->cfg;
    if (v0->ndim != 3 || v0->shape[2] != c->d) {
        char buf[64];
        rs_graph_fail(g, RS_ESHAPE, "v0 %s is not (B, T, d = %d)",
                      rs_tensor_shape_str(v0, buf, sizeof buf), c->d);
        return NULL;
    }
    if (!check_bt(tf, g, v0->shape[0], v0->shape[1]))
        return NULL;
    tf->v0 = v0;
    rs_tensor *v = v0; /* (B, T, d) */
    for (int l = 1; l <= c->layers; l++) {
        v = block(tf, g, l, v);
        if (v == NULL)
            return NULL;
        tf->vout[l - 1] = v;
    }
    rs_tensor *y =
        c->norm == RS_NN_TF_PRE ? layernorm(tf, g, v, tf->lnf_w, tf->lnf_b) : v;
    if (y == NULL)
        return NULL;
    tf->y = y;
    return rs_nn_linear_forward(&tf->head, g, y); /* (B, T, out) */
}

rs_tensor *
rs_nn_transformer_forward(rs_nn_transformer *tf, rs_graph *g, const int *ids,
                          int B, int T)
{
    clear_records(tf);
    rs_tensor *v0 = rs_nn_transformer_embed_ids(tf, g, ids, B, T);
    if (v0 == NULL)
        return NULL;
    return rs_nn_transformer_forward_from(tf, g, v0);
}

/* ---- records and accessors --------------------------------------------- */

rs_tensor *
rs_nn_transformer_embed(const rs_nn_transformer *tf)
{
    return tf->v0;
}

rs_tensor *
rs_nn_transformer_layer_out(const rs_nn_transformer *tf, int l)
{
    return l >= 1 && l <= tf->cfg.layers ? tf->vout[l - 1] : NULL;
}

rs_tensor *
rs_nn_transformer_final(const rs_nn_transformer *tf)
{
    return tf->y;
}

rs_tensor *
rs_nn_transformer_attn(const rs_nn_transformer *tf, int l)
{
    return l >= 1 && l <= tf->cfg.layers ? tf->probs[l - 1] : NULL;
}

void
rs_nn_transformer_round_params(rs_nn_transformer *tf, enum rs_prec prec,
                               float *save)
{
    size_t off = 0;
    for (int i = 0; i < rs_nn_model_count(tf->model); i++) {
        rs_tensor *t = param(tf, i);
        if (save != NULL)
            memcpy(save + off, t->data, t->numel * sizeof *save);
        off += t->numel;
        rs_prec_round_inplace(t->data, t->numel, prec);
    }
}

void
rs_nn_transformer_restore_params(rs_nn_transformer *tf, const float *save)
{
    size_t off = 0;
    for (int i = 0; i < rs_nn_model_count(tf->model); i++) {
        rs_tensor *t = param(tf, i);
        memcpy(t->data, save + off, t->numel * sizeof *save);
        off += t->numel;
    }
}

rs_nn_model *
rs_nn_transformer_model(const rs_nn_transformer *tf)
{
    return tf->model;
}

const struct rs_nn_transformer_config *
rs_nn_transformer_config(const rs_nn_transformer *tf)
{
    return &tf->cfg;
}
