/* repscope - MIT licence, see COPYING.
 *
 * griffin.c: Hawk / Griffin / the MQA transformer (see griffin.h): the
 * config, the parameters and the forward on a graph. The model owns its
 * registry; layers address their parameters by index (nn/linear.h), so
 * nothing caches a tensor pointer across forwards. The records (x0, the
 * layer outputs, the gates a_t, y, logits) are arena pointers of the last
 * forward's graph, cleared at the start of every forward. The gate a_t is
 * recomputed from the gate linear's output into a plain arena tensor, off
 * the tape. Worker thread only.
 */
#include "config.h"

#include "nn/griffin.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/init.h"
#include "core/ops.h"
#include "core/vecmath.h"
#include "nn/griffin_impl.h"
#include "nn/linear.h"

void
rs_nn_griffin_config_default(struct rs_nn_griffin_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->vocab = 256;
    cfg->d = 64;
    cfg->layers = 3;
    strcpy(cfg->pattern, "RRA");
    cfg->heads = 2;
    cfg->window = 32;
    cfg->mlp_mult = 3;
    cfg->conv_width = 4;
    cfg->rope_base = 10000.0f;
    cfg->embed_scale = true;
}

int
rs_nn_griffin_config_resolve(struct rs_nn_griffin_config *cfg,
                             struct rs_error *err)
{
    if (cfg->vocab < 1)
        return rs_error_set(err, RS_EINVAL, "vocab = %d (must be >= 1)",
                            cfg->vocab);
    if (cfg->d < 1 || cfg->d > INT_MAX / 64)
        return rs_error_set(err, RS_EINVAL, "d = %d (must be in 1..%d)", cfg->d,
                            INT_MAX / 64);
    if (cfg->layers < 1 || cfg->layers > RS_NN_GRIFFIN_MAX_LAYERS)
        return rs_error_set(err, RS_EINVAL, "layers = %d (must be in 1..%d)",
                            cfg->layers, RS_NN_GRIFFIN_MAX_LAYERS);
    size_t np = strnlen(cfg->pattern, sizeof cfg->pattern);
    if (np == 0 || np > RS_NN_GRIFFIN_PATTERN_MAX)
        return rs_error_set(err, RS_EINVAL,
                            "pattern has %zu letters (must be 1..%d)", np,
                            RS_NN_GRIFFIN_PATTERN_MAX);
    bool attn = false;
    for (size_t i = 0; i < np; i++) {
        char c = cfg->pattern[i];
        if (c != 'R' && c != 'A')
            return rs_error_set(err, RS_EINVAL,
                                "pattern \"%s\": letter %zu is '%c' "
                                "(R or A expected)",
                                cfg->pattern, i + 1, c);
        attn = attn || (c == 'A' && (int)i < cfg->layers);
    }
    if (cfg->heads < 1)
        return rs_error_set(err, RS_EINVAL, "heads = %d (must be >= 1)",
                            cfg->heads);
    if (cfg->d % cfg->heads != 0)
        return rs_error_set(err, RS_EINVAL, "heads = %d does not divide d = %d",
                            cfg->heads, cfg->d);
    if (cfg->lru_width == 0)
        cfg->lru_width = cfg->d;
    if (cfg->lru_width < 1 || cfg->lru_width > INT_MAX / 64)
        return rs_error_set(err, RS_EINVAL,
                            "lru_width = %d (must be in 1..%d, or 0 for d)",
                            cfg->lru_width, INT_MAX / 64);
    if (cfg->lru_width % cfg->heads != 0)
        return rs_error_set(err, RS_EINVAL,
                            "heads = %d does not divide lru_width = %d",
                            cfg->heads, cfg->lru_width);
    if (attn && (cfg->d / cfg->heads) % 4 != 0)
        return rs_error_set(err, RS_EINVAL,
                            "head size d / heads = %d / %d = %d is not a "
                            "multiple of 4 (RoPE rotates pairs in the first "
                            "half of each head)",
                            cfg->d, cfg->heads, cfg->d / cfg->heads);
    if (cfg->window < 0)
        return rs_error_set(err, RS_EINVAL,
                            "window = %d (must be >= 0; 0: global)",
                            cfg->window);
    if (cfg->mlp_mult < 1 || cfg->mlp_mult > 64)
        return rs_error_set(err, RS_EINVAL, "mlp_mult = %d (must be in 1..64)",
                            cfg->mlp_mult);
    if (cfg->conv_width < 1 || cfg->conv_width > RS_CONV_MAX_TAPS)
        return rs_error_set(err, RS_EINVAL,
                            "conv_width = %d (must be in 1..%d)",
                            cfg->conv_width, RS_CONV_MAX_TAPS);
    if (!(cfg->rope_base > 1.0f && isfinite(cfg->rope_base)))
        return rs_error_set(err, RS_EINVAL,
                            "rope_base = %g (must be finite and > 1)",
                            (double)cfg->rope_base);
    if (!(cfg->soft_cap >= 0.0f && isfinite(cfg->soft_cap)))
        return rs_error_set(err, RS_EINVAL,
                            "soft_cap = %g (must be finite and >= 0; 0: off)",
                            (double)cfg->soft_cap);
    return RS_OK;
}

/* ---- construction ------------------------------------------------------ */

/* Register name with the given shape (zeros); its index, or -1 with err
 * set. */
static int
add_param(rs_nn_model *m, const char *name, int ndim, const int *shape,
          struct rs_error *err)
{
    if (rs_nn_model_add(m, name, ndim, shape, err) == NULL)
        return -1;
    return rs_nn_model_count(m) - 1;
}

/* A parameter "h<l>.<what>" (l = 0: "<what>"). */
static int
add_named(rs_nn_model *m, int l, const char *what, int ndim, const int *shape,
          struct rs_error *err)
{
    char name[RS_NN_MODEL_NAME_MAX + 1];
    if (l > 0)
        snprintf(name, sizeof name, "h%d.%s", l, what);
    else
        snprintf(name, sizeof name, "%s", what);
    return add_param(m, name, ndim, shape, err);
}

static int
add_linear(struct rs_nn_linear *lin, rs_nn_model *m, int l, const char *what,
           int in, int out, bool bias, struct rs_error *err)
{
    char name[RS_NN_MODEL_NAME_MAX + 1];
    snprintf(name, sizeof name, "h%d.%s", l, what);
    return rs_nn_linear_init(lin, m, name, in, out, bias, err);
}

static int
build_layer(rs_nn_griffin *gf, int l, struct rs_error *err)
{
    const struct rs_nn_griffin_config *c = &gf->cfg;
    struct gf_layer *y = &gf->lay[l - 1];
    rs_nn_model *m = gf->model;
    int d = c->d, L = c->lru_width, H = c->heads, hd = d / H;
    int M = c->mlp_mult * d;
    y->kind = c->pattern[(l - 1) % (int)strlen(c->pattern)];
    if ((y->tnorm = add_named(m, l, "tnorm.scale", 1, &d, err)) < 0)
        return err->code;
    if (y->kind == 'R') {
        struct gf_rec *r = &y->rec;
        int w = L / H;
        if (add_linear(&r->linear_y, m, l, "rec.linear_y", d, L, true, err) ||
            add_linear(&r->linear_x, m, l, "rec.linear_x", d, L, true, err))
            return err->code;
        if ((r->conv_w = add_named(m, l, "rec.conv.weight", 2,
                                   (int[]){c->conv_width, L}, err)) < 0 ||
            (r->conv_b = add_named(m, l, "rec.conv.bias", 1, &L, err)) < 0 ||
            (r->gate_a_w = add_named(m, l, "rec.gate_a.weight", 3,
                                     (int[]){H, w, w}, err)) < 0 ||
            (r->gate_a_b = add_named(m, l, "rec.gate_a.bias", 1, &L, err)) <
                0 ||
            (r->gate_x_w = add_named(m, l, "rec.gate_x.weight", 3,
                                     (int[]){H, w, w}, err)) < 0 ||
            (r->gate_x_b = add_named(m, l, "rec.gate_x.bias", 1, &L, err)) <
                0 ||
            (r->a_param = add_named(m, l, "rec.a_param", 1, &L, err)) < 0)
            return err->code;
        if (add_linear(&r->linear_out, m, l, "rec.linear_out", L, d, true, err))
            return err->code;
    } else {
        struct gf_attn *a = &y->attn;
        if (add_linear(&a->q, m, l, "attn.q", d, d, false, err) ||
            add_linear(&a->k, m, l, "attn.k", d, hd, false, err) ||
            add_linear(&a->v, m, l, "attn.v", d, hd, false, err) ||
            add_linear(&a->out, m, l, "attn.out", d, d, true, err))
            return err->code;
    }
    if ((y->cnorm = add_named(m, l, "cnorm.scale", 1, &d, err)) < 0)
        return err->code;
    if (add_linear(&y->up1, m, l, "mlp.up1", d, M, true, err) ||
        add_linear(&y->up2, m, l, "mlp.up2", d, M, true, err) ||
        add_linear(&y->down, m, l, "mlp.down", M, d, true, err))
        return err->code;
    return RS_OK;
}

static int
build_params(rs_nn_griffin *gf, struct rs_error *err)
{
    const struct rs_nn_griffin_config *c = &gf->cfg;
    if ((gf->embed = add_named(gf->model, 0, "embed.weight", 2,
                               (int[]){c->vocab, c->d}, err)) < 0)
        return err->code;
    for (int l = 1; l <= c->layers; l++)
        if (build_layer(gf, l, err) != RS_OK)
            return err->code;
    if ((gf->fnorm =
             add_named(gf->model, 0, "fnorm.scale", 1, &gf->cfg.d, err)) < 0)
        return err->code;
    return RS_OK;
}

/* N(0, var) into parameter i. */
static void
fill_normal(rs_nn_griffin *gf, int i, double var, struct rs_rng *rng)
{
    rs_tensor *t = rs_nn_model_param(gf->model, i);
    rs_init_fill(t, RS_INIT_NORMAL, 1, 1, (float)sqrt(var), rng);
}

/* a_param = log(1/a - 1), a = sqrt(u), u ~ U[0.81, 0.998]: RecurrentGemma's
 * rnn_param_init(min_rad 0.9, max_rad 0.999), in double. */
static void
fill_a_param(rs_nn_griffin *gf, int i, struct rs_rng *rng)
{
    rs_tensor *t = rs_nn_model_param(gf->model, i);
    for (size_t k = 0; k < t->numel; k++) {
        double u = 0.81 + (0.998 - 0.81) * rs_rng_uniform_double(rng);
        double a = sqrt(u);
        t->data[k] = (float)log(1.0 / a - 1.0);
    }
}

/* The init of griffin.h, layer by layer in registration order; biases and
 * norm scales keep the zeros rs_nn_model_add gave them. */
static void
init_params(rs_nn_griffin *gf, struct rs_rng *rng)
{
    const struct rs_nn_griffin_config *c = &gf->cfg;
    double d = c->d, L = c->lru_width, M = (double)c->mlp_mult * c->d;
    double fin = 2.0 / c->layers; /* final_w_init_variance_scale */
    fill_normal(gf, gf->embed, 1.0 / d, rng);
    for (int l = 1; l <= c->layers; l++) {
        const struct gf_layer *y = &gf->lay[l - 1];
        if (y->kind == 'R') {
            const struct gf_rec *r = &y->rec;
            double w = L / c->heads;
            fill_normal(gf, r->linear_y.weight, 1.0 / d, rng);
            fill_normal(gf, r->linear_x.weight, 1.0 / d, rng);
            fill_normal(gf, r->conv_w, 0.01 / c->conv_width, rng);
            fill_normal(gf, r->gate_a_w, 1.0 / w, rng);
            fill_normal(gf, r->gate_x_w, 1.0 / w, rng);
            fill_a_param(gf, r->a_param, rng);
            fill_normal(gf, r->linear_out.weight, fin / L, rng);
        } else {
            const struct gf_attn *a = &y->attn;
            fill_normal(gf, a->q.weight, 1.0 / d, rng);
            fill_normal(gf, a->k.weight, 1.0 / d, rng);
            fill_normal(gf, a->v.weight, 1.0 / d, rng);
            fill_normal(gf, a->out.weight, fin / d, rng);
        }
        fill_normal(gf, y->up1.weight, 1.0 / d, rng);
        fill_normal(gf, y->up2.weight, 1.0 / d, rng);
        fill_normal(gf, y->down.weight, fin / M, rng);
    }
}

rs_nn_griffin *
rs_nn_griffin_new(const struct rs_nn_griffin_config *cfg, struct rs_rng *rng,
                  struct rs_error *err)
{
    struct rs_nn_griffin_config c = *cfg;
    c.pattern[RS_NN_GRIFFIN_PATTERN_MAX] = '\0';
    if (rs_nn_griffin_config_resolve(&c, err) != RS_OK)
        return NULL;
    rs_nn_griffin *gf = rs_xcalloc(1, sizeof *gf);
    gf->cfg = c;
    gf->model = rs_nn_model_new("griffin");
    gf->lay = rs_xcalloc((size_t)c.layers, sizeof *gf->lay);
    gf->hout = rs_xcalloc((size_t)c.layers, sizeof *gf->hout);
    gf->gate = rs_xcalloc((size_t)c.layers, sizeof *gf->gate);
    struct rs_error e = {0};
    if (build_params(gf, &e) != RS_OK) {
        rs_error_set(err, e.code, "%s", e.msg);
        rs_nn_griffin_free(gf);
        return NULL;
    }
    init_params(gf, rng);
    return gf;
}

void
rs_nn_griffin_free(rs_nn_griffin *gf)
{
    if (gf == NULL)
        return;
    rs_nn_model_free(gf->model);
    free(gf->lay);
    free(gf->hout);
    free(gf->gate);
    free(gf);
}

/* ---- forward ----------------------------------------------------------- */

static rs_tensor *
param(const rs_nn_griffin *gf, int i)
{
    return rs_nn_model_param(gf->model, i);
}

static void
clear_records(rs_nn_griffin *gf)
{
    gf->x0 = gf->y = gf->logits = NULL;
    for (int l = 0; l < gf->cfg.layers; l++)
        gf->hout[l] = gf->gate[l] = NULL;
}

/* x / sqrt(mean(x^2) + 1e-6) * (1 + scale) over the last dim. */
static rs_tensor *
norm(rs_nn_griffin *gf, rs_graph *g, rs_tensor *x, int scale)
{
    rs_tensor *gamma = rs_op_add_scalar(g, param(gf, scale), 1.0f);
    return rs_op_rmsnorm(g, x, gamma, RS_NN_GRIFFIN_NORM_EPS);
}

/* a_t = exp(-8 sigmoid(pa) softplus(a_param)) (B, T, C), off the tape:
 * the vecmath array kernels the op uses, softplus once per channel. */
static rs_tensor *
gate_record(rs_graph *g, const rs_tensor *pa, const rs_tensor *a_param)
{
    rs_tensor *a = rs_graph_tensor(g, pa->ndim, pa->shape);
    if (a == NULL)
        return NULL;
    size_t C = a_param->numel, rows = pa->numel / C;
    float *sp = rs_arena_alloc(rs_graph_arena(g), C * sizeof *sp);
    float *la = rs_arena_alloc(rs_graph_arena(g), pa->numel * sizeof *la);
    rs_vecmath_softplus(sp, a_param->data, C);
    rs_vecmath_sigmoid(la, pa->data, pa->numel);
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < C; c++)
            la[r * C + c] *= -8.0f * sp[c]; /* log a_t */
    rs_vecmath_exp(a->data, la, a->numel);
    return a;
}

/* The recurrent temporal block of layer l on x (B, T, d) -> (B, T, d). */
static rs_tensor *
recurrent(rs_nn_griffin *gf, rs_graph *g, int l, rs_tensor *x,
          const uint8_t *reset)
{
    const struct gf_rec *r = &gf->lay[l - 1].rec;
    rs_tensor *y = rs_op_gelu(g, rs_nn_linear_forward(&r->linear_y, g, x));
    rs_tensor *u = rs_nn_linear_forward(&r->linear_x, g, x);
    u = rs_op_conv_causal(g, u, param(gf, r->conv_w), param(gf, r->conv_b),
                          NULL, reset);
    rs_tensor *pa =
        rs_op_blockdiag(g, u, param(gf, r->gate_a_w), param(gf, r->gate_a_b));
    rs_tensor *px =
        rs_op_blockdiag(g, u, param(gf, r->gate_x_w), param(gf, r->gate_x_b));
    rs_tensor *h =
        rs_op_rglru(g, u, pa, px, param(gf, r->a_param), NULL, reset);
    if (h == NULL)
        return NULL;
    gf->gate[l - 1] = gate_record(g, pa, param(gf, r->a_param));
    return rs_nn_linear_forward(&r->linear_out, g, rs_op_mul(g, h, y));
}

/* The local MQA temporal block of layer l on x (B, T, d). */
static rs_tensor *
attention(rs_nn_griffin *gf, rs_graph *g, int l, rs_tensor *x)
{
    const struct rs_nn_griffin_config *c = &gf->cfg;
    const struct gf_attn *a = &gf->lay[l - 1].attn;
    int H = c->heads, hd = c->d / H;
    rs_tensor *q = rs_nn_linear_forward(&a->q, g, x); /* (B, T, d) */
    rs_tensor *k = rs_nn_linear_forward(&a->k, g, x); /* (B, T, hd) */
    rs_tensor *v = rs_nn_linear_forward(&a->v, g, x); /* (B, T, hd) */
    q = rs_op_rope_half(g, q, H, hd / 2, c->rope_base, 0);
    k = rs_op_rope_half(g, k, 1, hd / 2, c->rope_base, 0);
    rs_tensor *o = rs_op_mqa(g, q, k, v, H, c->window);
    return rs_nn_linear_forward(&a->out, g, o);
}

static rs_tensor *
mlp(rs_nn_griffin *gf, rs_graph *g, int l, rs_tensor *x)
{
    const struct gf_layer *y = &gf->lay[l - 1];
    rs_tensor *u1 = rs_op_gelu(g, rs_nn_linear_forward(&y->up1, g, x));
    rs_tensor *u2 = rs_nn_linear_forward(&y->up2, g, x);
    return rs_nn_linear_forward(&y->down, g, rs_op_mul(g, u1, u2));
}

static rs_tensor *
layer(rs_nn_griffin *gf, rs_graph *g, int l, rs_tensor *x, const uint8_t *reset)
{
    const struct gf_layer *y = &gf->lay[l - 1];
    rs_tensor *n = norm(gf, g, x, y->tnorm);
    rs_tensor *t =
        y->kind == 'R' ? recurrent(gf, g, l, n, reset) : attention(gf, g, l, n);
    rs_tensor *r = rs_op_add(g, x, t);
    return rs_op_add(g, r, mlp(gf, g, l, norm(gf, g, r, y->cnorm)));
}

rs_tensor *
rs_nn_griffin_forward_from(rs_nn_griffin *gf, rs_graph *g, rs_tensor *x0,
                           const uint8_t *reset)
{
    clear_records(gf);
    if (rs_graph_error(g)->code != RS_OK)
        return NULL;
    if (x0 == NULL) {
        rs_graph_fail(g, RS_EINVAL, "x0 is NULL");
        return NULL;
    }
    const struct rs_nn_griffin_config *c = &gf->cfg;
    if (x0->ndim != 3 || x0->shape[2] != c->d) {
        char buf[64];
        rs_graph_fail(g, RS_ESHAPE, "x0 %s is not (B, T, d = %d)",
                      rs_tensor_shape_str(x0, buf, sizeof buf), c->d);
        return NULL;
    }
    int B = x0->shape[0], T = x0->shape[1];
    /* Every row starts a document at t = 0, plus the caller's flags. */
    uint8_t *rs = rs_arena_alloc(rs_graph_arena(g), (size_t)B * (size_t)T);
    for (size_t i = 0; i < (size_t)B * (size_t)T; i++)
        rs[i] = (uint8_t)(i % (size_t)T == 0 || (reset != NULL && reset[i]));
    gf->x0 = x0;
    rs_tensor *x = x0;
    for (int l = 1; l <= c->layers; l++) {
        x = layer(gf, g, l, x, rs);
        if (x == NULL)
            return NULL;
        gf->hout[l - 1] = x;
    }
    rs_tensor *y = norm(gf, g, x, gf->fnorm);
    if (y == NULL)
        return NULL;
    gf->y = y;
    /* tied: y (B, T, d) embed (V, d)^T -> (B, T, V) */
    rs_tensor *lg = rs_op_linear(g, y, param(gf, gf->embed), NULL);
    if (lg != NULL && c->soft_cap > 0.0f)
        lg = rs_op_softcap(g, lg, c->soft_cap);
    gf->logits = lg;
    return lg;
}

rs_tensor *
rs_nn_griffin_forward(rs_nn_griffin *gf, rs_graph *g, const int *ids, int B,
                      int T, const uint8_t *reset)
{
    clear_records(gf);
    if (rs_graph_error(g)->code != RS_OK)
        return NULL;
    if (B < 1 || T < 1) {
        rs_graph_fail(g, RS_EINVAL, "B = %d, T = %d (both must be >= 1)", B, T);
        return NULL;
    }
    if (ids == NULL) {
        rs_graph_fail(g, RS_EINVAL, "ids is NULL");
        return NULL;
    }
    int V = gf->cfg.vocab;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            int id = ids[(size_t)b * T + t];
            if (id < 0 || id >= V) {
                rs_graph_fail(g, RS_EINVAL,
                              "id %d at (%d, %d) out of range [0, %d)", id, b,
                              t, V);
                return NULL;
            }
        }
    rs_tensor *x0 =
        rs_op_embedding(g, param(gf, gf->embed), ids, 2, (int[]){B, T});
    if (gf->cfg.embed_scale)
        x0 = rs_op_scale(g, x0, sqrtf((float)gf->cfg.d));
    if (x0 == NULL)
        return NULL;
    return rs_nn_griffin_forward_from(gf, g, x0, reset);
}

/* ---- records and accessors --------------------------------------------- */

rs_tensor *
rs_nn_griffin_embed(const rs_nn_griffin *gf)
{
    return gf->x0;
}

rs_tensor *
rs_nn_griffin_layer_out(const rs_nn_griffin *gf, int l)
{
    return l >= 1 && l <= gf->cfg.layers ? gf->hout[l - 1] : NULL;
}

rs_tensor *
rs_nn_griffin_gate(const rs_nn_griffin *gf, int l)
{
    return l >= 1 && l <= gf->cfg.layers ? gf->gate[l - 1] : NULL;
}

rs_tensor *
rs_nn_griffin_final(const rs_nn_griffin *gf)
{
    return gf->y;
}

rs_tensor *
rs_nn_griffin_logits(const rs_nn_griffin *gf)
{
    return gf->logits;
}

char
rs_nn_griffin_layer_kind(const rs_nn_griffin *gf, int l)
{
    RS_ASSERT(l >= 1 && l <= gf->cfg.layers);
    return gf->lay[l - 1].kind;
}

rs_nn_model *
rs_nn_griffin_model(const rs_nn_griffin *gf)
{
    return gf->model;
}

const struct rs_nn_griffin_config *
rs_nn_griffin_config(const rs_nn_griffin *gf)
{
    return &gf->cfg;
}
