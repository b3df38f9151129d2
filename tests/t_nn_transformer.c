/* repscope - MIT licence, see COPYING.
 *
 * t_nn_transformer.c: the decoder-only transformer: config defaults and
 * errors naming field and value, parameter names/shapes/count against a
 * formula, init statistics, recorded tensor shapes, a forward (every
 * recorded tensor) against an independent double-precision reference
 * written here for every position kind, both norms and a local window,
 * causality, the relative-position properties of rope and alibi, finite
 * difference gradients of a last-position cross-entropy w.r.t. every
 * parameter and w.r.t. v0, bf16 rounding of forwards and parameters, and
 * bad ids.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "core/ops.h"
#include "core/prec.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "nn/model.h"
#include "nn/transformer.h"
#include "tests/gradcheck.h"
#include "tests/tap.h"

static const enum rs_nn_pos all_pos[] = {RS_NN_POS_NONE, RS_NN_POS_LEARNED,
                                         RS_NN_POS_SINUSOIDAL, RS_NN_POS_ROPE,
                                         RS_NN_POS_ALIBI};
#define NPOS ((int)(sizeof all_pos / sizeof all_pos[0]))

/* vocab 5, ctx 6, d 4, 2 heads of 2, 2 layers, mlp 8, out 3. */
static struct rs_nn_transformer_config
tiny(enum rs_nn_pos pos, enum rs_nn_tf_norm norm)
{
    struct rs_nn_transformer_config c;
    rs_nn_transformer_config_default(&c);
    c.vocab = 5;
    c.ctx = 6;
    c.d = 4;
    c.heads = 2;
    c.layers = 2;
    c.mlp = 8;
    c.out = 3;
    c.pos = pos;
    c.norm = norm;
    return c;
}

static rs_nn_transformer *
build(const struct rs_nn_transformer_config *c, uint64_t seed)
{
    struct rs_rng rng;
    rs_rng_seed(&rng, seed);
    struct rs_error err = {0};
    rs_nn_transformer *tf = rs_nn_transformer_new(c, &rng, &err);
    if (tf == NULL)
        tap_bail("rs_nn_transformer_new: %s", err.msg);
    return tf;
}

/* Add noise to every parameter so biases, shifts and gains are not their
 * trivial init values (the reference would not see a bias/gain mix-up). */
static void
scramble(rs_nn_transformer *tf, uint64_t seed)
{
    struct rs_rng rng;
    rs_rng_seed(&rng, seed);
    rs_nn_model *m = rs_nn_transformer_model(tf);
    for (int i = 0; i < rs_nn_model_count(m); i++) {
        rs_tensor *t = rs_nn_model_param(m, i);
        for (size_t k = 0; k < t->numel; k++)
            t->data[k] += 0.6f * (rs_rng_uniform(&rng) - 0.5f);
    }
}

/* ---- names, construction ---------------------------------------------- */

static void
test_names(void)
{
    bool ok = true;
    for (int i = 0; i < RS_NN_POS_COUNT; i++)
        ok = ok && rs_nn_pos_parse(rs_nn_pos_name((enum rs_nn_pos)i)) == i;
    for (int i = 0; i < RS_NN_TF_NORM_COUNT; i++)
        ok = ok && rs_nn_tf_norm_parse(
                       rs_nn_tf_norm_name((enum rs_nn_tf_norm)i)) == i;
    tap_ok(ok, "pos and norm names parse back");
    tap_ok(strcmp(rs_nn_pos_name(RS_NN_POS_SINUSOIDAL), "sinusoidal") == 0 &&
               strcmp(rs_nn_pos_name(RS_NN_POS_ALIBI), "alibi") == 0 &&
               strcmp(rs_nn_tf_norm_name(RS_NN_TF_POST), "post") == 0 &&
               rs_nn_pos_parse("absolute") == -1 &&
               rs_nn_tf_norm_parse("sandwich") == -1 &&
               strcmp(rs_nn_pos_name((enum rs_nn_pos)42), "?") == 0,
           "names are the documented strings; unknown parse to -1");
}

static void
test_defaults(void)
{
    struct rs_nn_transformer_config c;
    rs_nn_transformer_config_default(&c);
    tap_ok(c.vocab == 0 && c.ctx == 0 && c.d == 0 && c.heads == 1 &&
               c.layers == 2 && c.mlp == 0 && c.out == 0 &&
               c.pos == RS_NN_POS_ROPE && c.norm == RS_NN_TF_PRE &&
               c.window == 0 && c.init_std == 0.0f && c.rope_base == 10000.0f &&
               c.ln_eps == 1e-5f,
           "config defaults as documented");
    c.vocab = 7;
    c.ctx = 9;
    c.d = 16;
    struct rs_error err = {0};
    int rc = rs_nn_transformer_config_resolve(&c, &err);
    tap_ok(rc == RS_OK && c.mlp == 64 && c.out == 7 &&
               fabsf(c.init_std - 0.25f) < 1e-7f,
           "resolve: mlp 4d = 64, out = vocab = 7, init_std 1/sqrt(16) %s",
           err.msg);
}

static void
test_config_errors(void)
{
    static const struct {
        const char *field;
        int value;
        const char *want;
    } cases[] = {
        {"vocab", 0, "vocab = 0 (must be >= 1)"},
        {"ctx", -1, "ctx = -1 (must be >= 1)"},
        {"d", 0, "d = 0"},
        {"heads", 3, "heads = 3 does not divide d = 4"},
        {"heads", 0, "heads = 0 (must be >= 1)"},
        {"layers", 0, "layers = 0 (must be in 1..64)"},
        {"layers", 65, "layers = 65 (must be in 1..64)"},
        {"mlp", -2, "mlp = -2"},
        {"out", -1, "out = -1"},
        {"pos", 9, "pos = 9 (unknown kind)"},
        {"norm", 5, "norm = 5 (unknown kind)"},
        {"window", -1, "window = -1"},
        {"init_std", -1, "init_std = -1"},
        {"rope_base", 1, "rope_base = 1"},
        {"ln_eps", 0, "ln_eps = 0"},
        {"rope_odd", 0, "head size d / heads = 4 / 4 = 1 is odd"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct rs_nn_transformer_config c =
            tiny(RS_NN_POS_LEARNED, RS_NN_TF_PRE);
        const char *f = cases[i].field;
        int v = cases[i].value;
        if (strcmp(f, "vocab") == 0)
            c.vocab = v;
        else if (strcmp(f, "ctx") == 0)
            c.ctx = v;
        else if (strcmp(f, "d") == 0)
            c.d = v;
        else if (strcmp(f, "heads") == 0)
            c.heads = v;
        else if (strcmp(f, "layers") == 0)
            c.layers = v;
        else if (strcmp(f, "mlp") == 0)
            c.mlp = v;
        else if (strcmp(f, "out") == 0)
            c.out = v;
        else if (strcmp(f, "pos") == 0)
            c.pos = (enum rs_nn_pos)v;
        else if (strcmp(f, "norm") == 0)
            c.norm = (enum rs_nn_tf_norm)v;
        else if (strcmp(f, "window") == 0)
            c.window = v;
        else if (strcmp(f, "init_std") == 0)
            c.init_std = (float)v;
        else if (strcmp(f, "rope_base") == 0)
            c.rope_base = (float)v;
        else if (strcmp(f, "ln_eps") == 0)
            c.ln_eps = (float)v;
        else {
            c.pos = RS_NN_POS_ROPE;
            c.heads = 4;
        }
        struct rs_error err = {0};
        struct rs_rng rng;
        rs_rng_seed(&rng, 1);
        rs_nn_transformer *tf = rs_nn_transformer_new(&c, &rng, &err);
        tap_ok(tf == NULL && err.code == RS_EINVAL &&
                   strstr(err.msg, cases[i].want) != NULL,
               "bad %s = %d: \"%s\"", f, v, err.msg);
        rs_nn_transformer_free(tf);
    }
    rs_nn_transformer_free(NULL);
    tap_ok(true, "rs_nn_transformer_free(NULL) is a no-op");
}

struct expect {
    char names[128][40];
    int shapes[128][2], nd[128], n;
};

static void
add_expect(struct expect *e, const char *name, int rows, int cols, int ndim)
{
    RS_ASSERT(e->n < 128);
    snprintf(e->names[e->n], sizeof e->names[e->n], "%s", name);
    e->shapes[e->n][0] = rows;
    e->shapes[e->n][1] = cols;
    e->nd[e->n++] = ndim;
}

static void
expect_params(rs_nn_transformer *tf, const char *what)
{
    const struct rs_nn_transformer_config *c = rs_nn_transformer_config(tf);
    rs_nn_model *m = rs_nn_transformer_model(tf);
    int d = c->d, V = c->vocab, M = c->mlp, O = c->out;
    struct expect e = {0};
    add_expect(&e, "tok.weight", V, d, 2);
    if (c->pos == RS_NN_POS_LEARNED)
        add_expect(&e, "pos.weight", c->ctx, d, 2);
    for (int l = 1; l <= c->layers; l++) {
        static const struct {
            const char *suffix;
            int which; /* 0: d, 1: 3d, 2: mlp */
            int cols;  /* 0: 1-D, 1: d, 2: mlp */
        } blk[] = {
            {"ln1.weight", 0, 0},       {"ln1.bias", 0, 0},
            {"attn.qkv.weight", 1, 1},  {"attn.qkv.bias", 1, 0},
            {"attn.proj.weight", 0, 1}, {"attn.proj.bias", 0, 0},
            {"ln2.weight", 0, 0},       {"ln2.bias", 0, 0},
            {"mlp.fc.weight", 2, 1},    {"mlp.fc.bias", 2, 0},
            {"mlp.proj.weight", 0, 2},  {"mlp.proj.bias", 0, 0},
        };
        for (size_t k = 0; k < sizeof blk / sizeof blk[0]; k++) {
            char p[40];
            snprintf(p, sizeof p, "h%d.%s", l, blk[k].suffix);
            int rows = blk[k].which == 0 ? d : blk[k].which == 1 ? 3 * d : M;
            int cols = blk[k].cols == 1 ? d : M;
            add_expect(&e, p, rows, cols, blk[k].cols == 0 ? 1 : 2);
        }
    }
    if (c->norm == RS_NN_TF_PRE) {
        add_expect(&e, "lnf.weight", d, 1, 1);
        add_expect(&e, "lnf.bias", d, 1, 1);
    }
    add_expect(&e, "head.weight", O, d, 2);
    add_expect(&e, "head.bias", O, 1, 1);
    int n = e.n;
    bool ok = rs_nn_model_count(m) == n;
    for (int i = 0; ok && i < n; i++) {
        rs_tensor *t = rs_nn_model_param(m, i);
        if (strcmp(rs_nn_model_param_name(m, i), e.names[i]) != 0 ||
            t->ndim != e.nd[i] || t->shape[0] != e.shapes[i][0] ||
            (e.nd[i] == 2 && t->shape[1] != e.shapes[i][1]) || !t->is_param) {
            tap_diag("param %d: got %s, want %s", i,
                     rs_nn_model_param_name(m, i), e.names[i]);
            ok = false;
        }
    }
    tap_ok(ok, "%s: %d parameters with the documented names and shapes", what,
           n);
    /* numel by the formula */
    size_t per_layer = 4 * (size_t)d + 3 * (size_t)d * d + 3 * (size_t)d +
                       (size_t)d * d + d + (size_t)d * M + M + (size_t)M * d +
                       d;
    size_t want =
        (size_t)V * d + (size_t)c->layers * per_layer + (size_t)O * d + O;
    if (c->pos == RS_NN_POS_LEARNED)
        want += (size_t)c->ctx * d;
    if (c->norm == RS_NN_TF_PRE)
        want += 2 * (size_t)d;
    tap_is_int((long)rs_nn_model_numel(m), (long)want, "%s: numel by formula",
               what);
}

static void
test_params(void)
{
    struct rs_nn_transformer_config c = tiny(RS_NN_POS_LEARNED, RS_NN_TF_PRE);
    rs_nn_transformer *tf = build(&c, 1);
    expect_params(tf, "learned pre-norm");
    rs_nn_transformer_free(tf);
    c = tiny(RS_NN_POS_ROPE, RS_NN_TF_POST);
    c.layers = 3;
    tf = build(&c, 1);
    expect_params(tf, "rope post-norm 3 layers");
    rs_nn_transformer_free(tf);
    c = tiny(RS_NN_POS_SINUSOIDAL, RS_NN_TF_PRE);
    c.layers = 1;
    tf = build(&c, 1);
    expect_params(tf, "sinusoidal pre-norm 1 layer");
    rs_nn_transformer_free(tf);
}

static void
test_init(void)
{
    struct rs_nn_transformer_config c;
    rs_nn_transformer_config_default(&c);
    c.vocab = 64;
    c.ctx = 32;
    c.d = 32;
    c.heads = 4;
    c.pos = RS_NN_POS_LEARNED;
    rs_nn_transformer *tf = build(&c, 3);
    rs_nn_model *m = rs_nn_transformer_model(tf);
    float std = rs_nn_transformer_config(tf)->init_std;
    bool mats = true, vecs = true;
    for (int i = 0; i < rs_nn_model_count(m); i++) {
        rs_tensor *t = rs_nn_model_param(m, i);
        const char *name = rs_nn_model_param_name(m, i);
        if (t->ndim == 2) {
            double s = 0, ss = 0;
            for (size_t k = 0; k < t->numel; k++) {
                double x = t->data[k];
                s += x;
                ss += x * x;
            }
            double mean = s / (double)t->numel;
            double sd = sqrt(ss / (double)t->numel - mean * mean);
            /* n >= 1024 draws: the sample sd is within 10% (> 4 sigma) */
            if (fabs(sd / (double)std - 1.0) > 0.1 ||
                fabs(mean) > 4.0 * (double)std / 32) {
                tap_diag("%s: mean %g sd %g (init_std %g)", name, mean, sd,
                         (double)std);
                mats = false;
            }
        } else {
            float want =
                strstr(name, ".ln") != NULL && strstr(name, ".weight") != NULL
                    ? 1.0f
                    : 0.0f;
            if (strcmp(name, "lnf.weight") == 0)
                want = 1.0f;
            for (size_t k = 0; k < t->numel; k++)
                if (t->data[k] != want) {
                    tap_diag("%s[%zu] = %g, want %g", name, k,
                             (double)t->data[k], (double)want);
                    vecs = false;
                    break;
                }
        }
    }
    tap_ok(mats, "weight matrices and tables ~ N(0, (1/sqrt(d))^2)");
    tap_ok(vecs, "biases and norm shifts 0, norm gains 1");
    rs_nn_transformer *same = build(&c, 3), *other = build(&c, 4);
    rs_tensor *a = rs_nn_model_lookup(m, "h2.mlp.fc.weight");
    rs_tensor *b =
        rs_nn_model_lookup(rs_nn_transformer_model(same), "h2.mlp.fc.weight");
    rs_tensor *o =
        rs_nn_model_lookup(rs_nn_transformer_model(other), "h2.mlp.fc.weight");
    tap_ok(memcmp(a->data, b->data, a->numel * sizeof(float)) == 0 &&
               memcmp(a->data, o->data, a->numel * sizeof(float)) != 0,
           "same seed, same weights; another seed, other weights");
    rs_nn_transformer_free(same);
    rs_nn_transformer_free(other);
    rs_nn_transformer_free(tf);
}

/* ---- an independent reference forward (one sequence, double) ---------- */

enum { RT = 8, RD = 8, RM = 16, RO = 8, RL = 3, RH = 4 };

struct ref {
    double v[RL + 1][RT][RD]; /* v0 .. vL */
    double y[RT][RD];
    double logits[RT][RO];
    double probs[RL][RH][RT][RT];
};

/* Parameter "h<l>.<suffix>" (l >= 1) or "<suffix>" (l = 0). */
static const float *
P(const rs_nn_transformer *tf, const char *suffix, int l)
{
    char name[64];
    if (l > 0)
        snprintf(name, sizeof name, "h%d.%s", l, suffix);
    else
        snprintf(name, sizeof name, "%s", suffix);
    rs_tensor *t = rs_nn_model_lookup(rs_nn_transformer_model(tf), name);
    if (t == NULL)
        tap_bail("no parameter %s", name);
    return t->data;
}

/* y[o] = sum_i W[o][i] x[i] + b[o] */
static void
ref_linear(const double *x, const float *W, const float *b, int in, int out,
           double *y)
{
    for (int o = 0; o < out; o++) {
        double s = b[o];
        for (int i = 0; i < in; i++)
            s += (double)W[o * in + i] * x[i];
        y[o] = s;
    }
}

static void
ref_ln(const double *x, const float *w, const float *b, int d, double eps,
       double *y)
{
    double mu = 0, var = 0;
    for (int i = 0; i < d; i++)
        mu += x[i];
    mu /= d;
    for (int i = 0; i < d; i++)
        var += (x[i] - mu) * (x[i] - mu);
    var /= d;
    for (int i = 0; i < d; i++)
        y[i] = (x[i] - mu) / sqrt(var + eps) * (double)w[i] + (double)b[i];
}

static double
ref_gelu(double x)
{
    return 0.5 * x *
           (1.0 + tanh(sqrt(2.0 / 3.14159265358979323846) *
                       (x + 0.044715 * x * x * x)));
}

/* a[t] = causal attention of x (T, d) in layer l (1-based). */
static void
ref_attention(const rs_nn_transformer *tf, int l, int T, double x[][RD],
              double a[][RD], struct ref *r)
{
    const struct rs_nn_transformer_config *c = rs_nn_transformer_config(tf);
    int d = c->d, H = c->heads, D = d / H;
    double qkv[RT][3 * RD];
    for (int t = 0; t < T; t++)
        ref_linear(x[t], P(tf, "attn.qkv.weight", l), P(tf, "attn.qkv.bias", l),
                   d, 3 * d, qkv[t]);
    if (c->pos == RS_NN_POS_ROPE)
        for (int t = 0; t < T; t++)
            for (int part = 0; part < 2; part++) /* q, k */
                for (int h = 0; h < H; h++)
                    for (int i = 0; i < D / 2; i++) {
                        double *p = &qkv[t][part * d + h * D + 2 * i];
                        double th = t / pow(c->rope_base, 2.0 * i / D);
                        double x0 = p[0], x1 = p[1];
                        p[0] = cos(th) * x0 - sin(th) * x1;
                        p[1] = sin(th) * x0 + cos(th) * x1;
                    }
    for (int h = 0; h < H; h++) {
        double slope = pow(2.0, -8.0 * (h + 1) / H);
        for (int t = 0; t < T; t++) {
            double s[RT], mx = -INFINITY, z = 0;
            int lo = c->window > 0 ? t - c->window + 1 : 0;
            if (lo < 0)
                lo = 0;
            for (int u = 0; u < T; u++)
                r->probs[l - 1][h][t][u] = 0.0;
            for (int u = lo; u <= t; u++) {
                double dot = 0;
                for (int i = 0; i < D; i++)
                    dot += qkv[t][h * D + i] * qkv[u][d + h * D + i];
                s[u] = dot / sqrt((double)D);
                if (c->pos == RS_NN_POS_ALIBI)
                    s[u] -= slope * (t - u);
                mx = fmax(mx, s[u]);
            }
            for (int u = lo; u <= t; u++)
                z += exp(s[u] - mx);
            for (int i = 0; i < D; i++)
                a[t][h * D + i] = 0;
            for (int u = lo; u <= t; u++) {
                double p = exp(s[u] - mx) / z;
                r->probs[l - 1][h][t][u] = p;
                for (int i = 0; i < D; i++)
                    a[t][h * D + i] += p * qkv[u][2 * d + h * D + i];
            }
        }
    }
}

/* out[t] = proj2(gelu(fc(x[t]))) of layer l. */
static void
ref_mlp(const rs_nn_transformer *tf, int l, const double *x, double *out)
{
    const struct rs_nn_transformer_config *c = rs_nn_transformer_config(tf);
    double h[RM];
    ref_linear(x, P(tf, "mlp.fc.weight", l), P(tf, "mlp.fc.bias", l), c->d,
               c->mlp, h);
    for (int i = 0; i < c->mlp; i++)
        h[i] = ref_gelu(h[i]);
    ref_linear(h, P(tf, "mlp.proj.weight", l), P(tf, "mlp.proj.bias", l),
               c->mlp, c->d, out);
}

static void
ref_forward(const rs_nn_transformer *tf, const int *ids, int T, struct ref *r)
{
    const struct rs_nn_transformer_config *c = rs_nn_transformer_config(tf);
    int d = c->d;
    RS_ASSERT(T <= RT && d <= RD && c->mlp <= RM && c->out <= RO &&
              c->layers <= RL && c->heads <= RH);
    double eps = c->ln_eps;
    const float *tok = P(tf, "tok.weight", 0);
    for (int t = 0; t < T; t++)
        for (int j = 0; j < d; j++) {
            double v = tok[ids[t] * d + j];
            if (c->pos == RS_NN_POS_LEARNED)
                v += (double)P(tf, "pos.weight", 0)[t * d + j];
            if (c->pos == RS_NN_POS_SINUSOIDAL) {
                int i2 = j - j % 2; /* 2i */
                double ang = t / pow(10000.0, (double)i2 / d);
                v += j % 2 == 0 ? sin(ang) : cos(ang);
            }
            r->v[0][t][j] = v;
        }
    for (int l = 1; l <= c->layers; l++) {
        double(*v)[RD] = r->v[l - 1];
        double in[RT][RD], a[RT][RD], z[RT][RD], m[RT][RD], u[RD];
        bool pre = c->norm == RS_NN_TF_PRE;
        for (int t = 0; t < T; t++) {
            if (pre)
                ref_ln(v[t], P(tf, "ln1.weight", l), P(tf, "ln1.bias", l), d,
                       eps, in[t]);
            else
                memcpy(in[t], v[t], sizeof in[t]);
        }
        ref_attention(tf, l, T, in, a, r);
        for (int t = 0; t < T; t++) {
            ref_linear(a[t], P(tf, "attn.proj.weight", l),
                       P(tf, "attn.proj.bias", l), d, d, u);
            for (int j = 0; j < d; j++)
                z[t][j] = v[t][j] + u[j];
            if (!pre) {
                ref_ln(z[t], P(tf, "ln1.weight", l), P(tf, "ln1.bias", l), d,
                       eps, u);
                memcpy(z[t], u, sizeof u);
            }
            if (pre)
                ref_ln(z[t], P(tf, "ln2.weight", l), P(tf, "ln2.bias", l), d,
                       eps, m[t]);
            else
                memcpy(m[t], z[t], sizeof m[t]);
            ref_mlp(tf, l, m[t], u);
            for (int j = 0; j < d; j++)
                r->v[l][t][j] = z[t][j] + u[j];
            if (!pre) {
                ref_ln(r->v[l][t], P(tf, "ln2.weight", l), P(tf, "ln2.bias", l),
                       d, eps, u);
                memcpy(r->v[l][t], u, sizeof u);
            }
        }
    }
    for (int t = 0; t < T; t++) {
        if (c->norm == RS_NN_TF_PRE)
            ref_ln(r->v[c->layers][t], P(tf, "lnf.weight", 0),
                   P(tf, "lnf.bias", 0), d, eps, r->y[t]);
        else
            memcpy(r->y[t], r->v[c->layers][t], sizeof r->y[t]);
        ref_linear(r->y[t], P(tf, "head.weight", 0), P(tf, "head.bias", 0), d,
                   c->out, r->logits[t]);
    }
}

/* Max |got - want| / (1 + |want|) over a (T, n) block. */
static double
max_err(const float *got, const double *want, int n, int stride_want, int T)
{
    double e = 0;
    for (int t = 0; t < T; t++)
        for (int i = 0; i < n; i++) {
            double w = want[t * stride_want + i];
            double x = fabs((double)got[t * n + i] - w) / (1.0 + fabs(w));
            if (!(x <= e))
                e = x;
        }
    return e;
}

static void
test_reference(void)
{
    static const int ids[6] = {3, 1, 4, 1, 0, 2};
    int T = 6;
    for (int pi = 0; pi < NPOS; pi++)
        for (int norm = 0; norm < RS_NN_TF_NORM_COUNT; norm++)
            for (int window = 0; window <= 2; window += 2) {
                struct rs_nn_transformer_config c =
                    tiny(all_pos[pi], (enum rs_nn_tf_norm)norm);
                c.window = window;
                c.rope_base = 3.0f; /* large angles at T = 6 */
                rs_nn_transformer *tf = build(&c, 10 + (uint64_t)pi);
                scramble(tf, 20 + (uint64_t)pi);
                rs_graph *g = rs_graph_new();
                rs_tensor *lg = rs_nn_transformer_forward(tf, g, ids, 1, T);
                char what[80];
                snprintf(what, sizeof what, "%s %s-norm window %d",
                         rs_nn_pos_name(c.pos), rs_nn_tf_norm_name(c.norm),
                         window);
                if (lg == NULL) {
                    tap_ok(false, "%s: forward failed: %s", what,
                           rs_graph_error(g)->msg);
                    tap_ok(false, "%s: records", what);
                    rs_graph_free(g);
                    rs_nn_transformer_free(tf);
                    continue;
                }
                struct ref *r = calloc(1, sizeof *r);
                ref_forward(tf, ids, T, r);
                double e = max_err(lg->data, &r->logits[0][0], c.out, RO, T);
                tap_ok(e < 1e-5, "%s: logits match the reference (err %.2g)",
                       what, e);
                double er = 0;
                er = fmax(er, max_err(rs_nn_transformer_embed(tf)->data,
                                      &r->v[0][0][0], c.d, RD, T));
                for (int l = 1; l <= c.layers; l++)
                    er = fmax(er,
                              max_err(rs_nn_transformer_layer_out(tf, l)->data,
                                      &r->v[l][0][0], c.d, RD, T));
                er = fmax(er, max_err(rs_nn_transformer_final(tf)->data,
                                      &r->y[0][0], c.d, RD, T));
                for (int l = 1; l <= c.layers; l++)
                    for (int h = 0; h < c.heads; h++)
                        er = fmax(er,
                                  max_err(rs_nn_transformer_attn(tf, l)->data +
                                              (size_t)h * T * T,
                                          &r->probs[l - 1][h][0][0], T, RT, T));
                tap_ok(er < 1e-5,
                       "%s: v0, v_l, y and attention match (err %.2g)", what,
                       er);
                free(r);
                rs_graph_free(g);
                rs_nn_transformer_free(tf);
            }
}

/* ---- shapes, records, errors ------------------------------------------ */

static bool
has_shape(const rs_tensor *t, int ndim, int a, int b, int c, int d)
{
    int want[4] = {a, b, c, d};
    if (t == NULL || t->ndim != ndim)
        return false;
    for (int i = 0; i < ndim; i++)
        if (t->shape[i] != want[i])
            return false;
    return true;
}

static void
test_shapes(void)
{
    struct rs_nn_transformer_config c = tiny(RS_NN_POS_ROPE, RS_NN_TF_PRE);
    rs_nn_transformer *tf = build(&c, 5);
    tap_ok(rs_nn_transformer_embed(tf) == NULL &&
               rs_nn_transformer_layer_out(tf, 1) == NULL &&
               rs_nn_transformer_final(tf) == NULL &&
               rs_nn_transformer_attn(tf, 1) == NULL,
           "no records before a forward");
    int ids[2 * 5] = {0, 1, 2, 3, 4, 4, 3, 2, 1, 0};
    rs_graph *g = rs_graph_new();
    rs_tensor *lg = rs_nn_transformer_forward(tf, g, ids, 2, 5);
    tap_ok(has_shape(lg, 3, 2, 5, 3, 0), "logits (B, T, out) = (2, 5, 3)");
    tap_ok(has_shape(rs_nn_transformer_embed(tf), 3, 2, 5, 4, 0) &&
               has_shape(rs_nn_transformer_layer_out(tf, 1), 3, 2, 5, 4, 0) &&
               has_shape(rs_nn_transformer_layer_out(tf, 2), 3, 2, 5, 4, 0) &&
               has_shape(rs_nn_transformer_final(tf), 3, 2, 5, 4, 0),
           "v0, v1, v2, y are (B, T, d) = (2, 5, 4)");
    tap_ok(has_shape(rs_nn_transformer_attn(tf, 1), 4, 2, 2, 5, 5) &&
               has_shape(rs_nn_transformer_attn(tf, 2), 4, 2, 2, 5, 5),
           "attention (B, heads, T, T) = (2, 2, 5, 5)");
    tap_ok(rs_nn_transformer_layer_out(tf, 0) == NULL &&
               rs_nn_transformer_layer_out(tf, 3) == NULL &&
               rs_nn_transformer_attn(tf, 0) == NULL &&
               rs_nn_transformer_attn(tf, 3) == NULL,
           "layers outside 1..2 give NULL");
    /* rows of the attention sum to 1 and are causal */
    rs_tensor *a = rs_nn_transformer_attn(tf, 2);
    bool rows = true;
    for (int bh = 0; bh < 4; bh++)
        for (int t = 0; t < 5; t++) {
            double s = 0;
            for (int u = 0; u < 5; u++) {
                float p = a->data[((size_t)bh * 5 + t) * 5 + u];
                if (u > t && p != 0.0f)
                    rows = false;
                s += (double)p;
            }
            rows = rows && fabs(s - 1.0) < 1e-5;
        }
    tap_ok(rows, "attention rows sum to 1, zero above the diagonal");
    /* batch rows are independent: row 1 equals a B = 1 forward */
    float keep[5 * 3];
    memcpy(keep, lg->data + 5 * 3, sizeof keep);
    rs_graph_reset(g);
    lg = rs_nn_transformer_forward(tf, g, ids + 5, 1, 5);
    tap_is_floats(lg->data, keep, 15, 1e-6, 1e-6,
                  "batch row 1 equals a forward of that sequence alone");
    /* forward == forward_from(embed_ids) */
    rs_graph_reset(g);
    rs_tensor *v0 = rs_nn_transformer_embed_ids(tf, g, ids, 2, 5);
    rs_tensor *lg2 = rs_nn_transformer_forward_from(tf, g, v0);
    rs_graph *g2 = rs_graph_new();
    rs_tensor *lg1 = rs_nn_transformer_forward(tf, g2, ids, 2, 5);
    tap_ok(lg2 != NULL && lg1 != NULL &&
               memcmp(lg1->data, lg2->data, lg1->numel * sizeof(float)) == 0 &&
               rs_nn_transformer_embed(tf) != v0,
           "forward(ids) == forward_from(embed_ids(ids)); records follow "
           "the last forward");

    /* errors */
    int bad[5] = {0, 1, 5, 2, 3};
    rs_graph_reset(g);
    tap_ok(rs_nn_transformer_forward(tf, g, bad, 1, 5) == NULL &&
               strstr(rs_graph_error(g)->msg,
                      "id 5 at (0, 2) out of range [0, 5)") !=
                   NULL,
           "bad id named with position: \"%s\"", rs_graph_error(g)->msg);
    tap_ok(rs_nn_transformer_embed(tf) == NULL &&
               rs_nn_transformer_final(tf) == NULL,
           "a failed forward clears the records");
    int neg[4] = {0, 1, 2, -1};
    rs_graph_reset(g);
    tap_ok(rs_nn_transformer_forward(tf, g, neg, 2, 2) == NULL &&
               strstr(rs_graph_error(g)->msg, "id -1 at (1, 1)") != NULL,
           "negative id: \"%s\"", rs_graph_error(g)->msg);
    int many[7] = {0};
    rs_graph_reset(g);
    tap_ok(rs_nn_transformer_forward(tf, g, many, 1, 7) == NULL &&
               strstr(rs_graph_error(g)->msg,
                      "T = 7 (must be in 1..ctx = 6)") != NULL,
           "T > ctx: \"%s\"", rs_graph_error(g)->msg);
    rs_graph_reset(g);
    tap_ok(rs_nn_transformer_forward(tf, g, many, 0, 3) == NULL &&
               strstr(rs_graph_error(g)->msg, "B = 0") != NULL,
           "B = 0: \"%s\"", rs_graph_error(g)->msg);
    rs_graph_reset(g);
    int vs[3] = {1, 3, 5};
    rs_tensor *wrong = rs_graph_tensor(g, 3, vs);
    rs_tensor_fill(wrong, 0.0f);
    tap_ok(rs_nn_transformer_forward_from(tf, g, wrong) == NULL &&
               strstr(rs_graph_error(g)->msg,
                      "v0 (1, 3, 5) is not (B, T, d = 4)") != NULL,
           "v0 of the wrong width: \"%s\"", rs_graph_error(g)->msg);
    rs_graph_free(g);
    rs_graph_free(g2);
    rs_nn_transformer_free(tf);
}

/* ---- causality and positions ------------------------------------------ */

/* Is row t of every recorded (1, T, n) tensor and the logits bit-equal
 * between two runs' copies? */
struct snap {
    float v[RL + 2][RT * RD]; /* v0 .. vL, y */
    float logits[RT * RO];
};

static void
take(const rs_nn_transformer *tf, const rs_tensor *lg, struct snap *s)
{
    const struct rs_nn_transformer_config *c = rs_nn_transformer_config(tf);
    int T = lg->shape[1];
    memcpy(s->logits, lg->data, (size_t)T * c->out * sizeof(float));
    memcpy(s->v[0], rs_nn_transformer_embed(tf)->data,
           (size_t)T * c->d * sizeof(float));
    for (int l = 1; l <= c->layers; l++)
        memcpy(s->v[l], rs_nn_transformer_layer_out(tf, l)->data,
               (size_t)T * c->d * sizeof(float));
    memcpy(s->v[c->layers + 1], rs_nn_transformer_final(tf)->data,
           (size_t)T * c->d * sizeof(float));
}

static bool
row_equal(const struct rs_nn_transformer_config *c, const struct snap *a,
          const struct snap *b, int t)
{
    if (memcmp(a->logits + t * c->out, b->logits + t * c->out,
               (size_t)c->out * sizeof(float)) != 0)
        return false;
    for (int l = 0; l <= c->layers + 1; l++)
        if (memcmp(a->v[l] + t * c->d, b->v[l] + t * c->d,
                   (size_t)c->d * sizeof(float)) != 0)
            return false;
    return true;
}

static void
test_causality(void)
{
    for (int pi = 0; pi < NPOS; pi++)
        for (int norm = 0; norm < RS_NN_TF_NORM_COUNT; norm++) {
            struct rs_nn_transformer_config c =
                tiny(all_pos[pi], (enum rs_nn_tf_norm)norm);
            rs_nn_transformer *tf = build(&c, 30 + (uint64_t)pi);
            scramble(tf, 40);
            int ids[6] = {1, 2, 3, 4, 0, 1};
            rs_graph *g = rs_graph_new();
            rs_graph_set_grad(g, false);
            struct snap *base = malloc(sizeof *base), *s = malloc(sizeof *s);
            take(tf, rs_nn_transformer_forward(tf, g, ids, 1, 6), base);
            bool before = true, after = true;
            for (int t = 0; t < 6; t++) {
                int changed[6];
                memcpy(changed, ids, sizeof changed);
                changed[t] = (ids[t] + 2) % 5;
                rs_graph_reset(g);
                take(tf, rs_nn_transformer_forward(tf, g, changed, 1, 6), s);
                for (int u = 0; u < t; u++)
                    before = before && row_equal(&c, base, s, u);
                after = after && !row_equal(&c, base, s, t);
            }
            tap_ok(before && after,
                   "%s %s-norm: changing token t leaves every output at "
                   "positions < t bit-identical and changes position t",
                   rs_nn_pos_name(c.pos), rs_nn_tf_norm_name(c.norm));
            free(base);
            free(s);
            rs_graph_free(g);
            rs_nn_transformer_free(tf);
        }
}

/* Max |a - b| over the last position's logits of two forwards. */
static double
last_diff(rs_nn_transformer *tf, const int *a, int Ta, const int *b, int Tb)
{
    rs_graph *g = rs_graph_new();
    int O = rs_nn_transformer_config(tf)->out;
    rs_tensor *la = rs_nn_transformer_forward(tf, g, a, 1, Ta);
    float keep[RO];
    memcpy(keep, la->data + (size_t)(Ta - 1) * O, (size_t)O * sizeof(float));
    rs_graph_reset(g);
    rs_tensor *lb = rs_nn_transformer_forward(tf, g, b, 1, Tb);
    double e = 0;
    for (int i = 0; i < O; i++)
        e = fmax(e, fabs(keep[i] - lb->data[(size_t)(Tb - 1) * O + i]));
    rs_graph_free(g);
    return e;
}

static void
test_positions(void)
{
    /* Constant input: every position sees only copies of one vector, so
     * without an additive position table the outputs cannot differ. */
    for (int pi = 0; pi < NPOS; pi++) {
        struct rs_nn_transformer_config c = tiny(all_pos[pi], RS_NN_TF_PRE);
        c.rope_base = 3.0f;
        rs_nn_transformer *tf = build(&c, 50);
        scramble(tf, 51);
        int ids[6] = {2, 2, 2, 2, 2, 2};
        rs_graph *g = rs_graph_new();
        rs_tensor *lg = rs_nn_transformer_forward(tf, g, ids, 1, 6);
        double spread = 0;
        for (int t = 1; t < 6; t++)
            for (int i = 0; i < c.out; i++)
                spread =
                    fmax(spread, fabs(lg->data[t * c.out + i] - lg->data[i]));
        /* rope and alibi reweight the keys by distance, but a mix of
         * identical values is still that value: also invariant */
        bool invariant = c.pos == RS_NN_POS_NONE || c.pos == RS_NN_POS_ROPE ||
                         c.pos == RS_NN_POS_ALIBI;
        if (invariant)
            tap_ok(spread < 1e-5,
                   "%s: a constant input gives the same output at every "
                   "position (spread %.2g)",
                   rs_nn_pos_name(c.pos), spread);
        else
            tap_ok(spread > 1e-3,
                   "%s: a constant input gives position-dependent outputs "
                   "(spread %.2g)",
                   rs_nn_pos_name(c.pos), spread);
        rs_graph_free(g);
        rs_nn_transformer_free(tf);
    }

    /* Translation: 2 layers with window 2 see tokens t-2..t at the last
     * position. Prefixing two tokens shifts absolute positions only: rope,
     * alibi and none are unchanged, learned and sinusoidal move. */
    for (int pi = 0; pi < NPOS; pi++) {
        struct rs_nn_transformer_config c = tiny(all_pos[pi], RS_NN_TF_POST);
        c.window = 2;
        c.rope_base = 3.0f;
        rs_nn_transformer *tf = build(&c, 60);
        scramble(tf, 61);
        int s[4] = {1, 4, 0, 3}, ps[6] = {2, 0, 1, 4, 0, 3};
        double e = last_diff(tf, s, 4, ps, 6);
        bool relative = c.pos == RS_NN_POS_NONE || c.pos == RS_NN_POS_ROPE ||
                        c.pos == RS_NN_POS_ALIBI;
        if (relative)
            tap_ok(e < 1e-5,
                   "%s: shifting a sequence by 2 leaves the last output "
                   "unchanged (diff %.2g)",
                   rs_nn_pos_name(c.pos), e);
        else
            tap_ok(e > 1e-3,
                   "%s: shifting a sequence by 2 changes the last output "
                   "(diff %.2g)",
                   rs_nn_pos_name(c.pos), e);
        rs_nn_transformer_free(tf);
    }

    /* Rope and alibi do see relative order: with the same weights as a
     * NoPE model (the parameter lists coincide), the outputs differ. */
    struct rs_nn_transformer_config cn = tiny(RS_NN_POS_NONE, RS_NN_TF_PRE);
    rs_nn_transformer *none = build(&cn, 70);
    int ids[5] = {1, 4, 0, 3, 2};
    for (int k = 0; k < 2; k++) {
        struct rs_nn_transformer_config c =
            tiny(k == 0 ? RS_NN_POS_ROPE : RS_NN_POS_ALIBI, RS_NN_TF_PRE);
        rs_nn_transformer *tf = build(&c, 70);
        rs_graph *g = rs_graph_new();
        rs_tensor *a = rs_nn_transformer_forward(tf, g, ids, 1, 5);
        rs_graph *g2 = rs_graph_new();
        rs_tensor *b = rs_nn_transformer_forward(none, g2, ids, 1, 5);
        double e0 = 0, e4 = 0;
        for (int i = 0; i < c.out; i++) {
            e0 = fmax(e0, fabs(a->data[i] - b->data[i]));
            e4 =
                fmax(e4, fabs(a->data[4 * c.out + i] - b->data[4 * c.out + i]));
        }
        tap_ok(e0 < 1e-6 && e4 > 1e-4,
               "%s vs none, same weights: equal at t = 0 (%.2g), different "
               "at t = 4 (%.2g)",
               rs_nn_pos_name(c.pos), e0, e4);
        rs_graph_free(g);
        rs_graph_free(g2);
        rs_nn_transformer_free(tf);
    }
    rs_nn_transformer_free(none);
}

/* ---- gradients ---------------------------------------------------------- */

struct grad_case {
    rs_nn_transformer *tf;
    const int *ids;
    const int *targets;
    const float *mask;
    int B, T;
    bool from_v0;
};

/* Mean cross-entropy at the last position of each sequence. */
static rs_tensor *
build_loss(rs_graph *g, rs_tensor *const *in, void *ud)
{
    struct grad_case *c = ud;
    rs_tensor *lg =
        c->from_v0 ? rs_nn_transformer_forward_from(c->tf, g, in[0])
                   : rs_nn_transformer_forward(c->tf, g, c->ids, c->B, c->T);
    return rs_op_cross_entropy(g, lg, c->targets, c->mask);
}

static void
test_gradients(void)
{
    enum { B = 2, T = 4 };
    static const int ids[B * T] = {1, 3, 0, 4, 2, 2, 4, 1};
    static const int targets[B * T] = {0, 0, 0, 2, 0, 0, 0, 1};
    static const float mask[B * T] = {0, 0, 0, 1, 0, 0, 0, 1};
    for (int pi = 0; pi < NPOS; pi++)
        for (int norm = 0; norm < RS_NN_TF_NORM_COUNT; norm++) {
            struct rs_nn_transformer_config c =
                tiny(all_pos[pi], (enum rs_nn_tf_norm)norm);
            c.window = pi == 3 ? 3 : 0; /* one windowed case */
            c.rope_base = 3.0f;
            rs_nn_transformer *tf = build(&c, 80 + (uint64_t)pi);
            scramble(tf, 90);
            rs_nn_model *m = rs_nn_transformer_model(tf);
            struct grad_case gc = {tf, ids, targets, mask, B, T, false};
            char name[96];
            snprintf(name, sizeof name, "%s %s-norm: d CE(last) / d params",
                     rs_nn_pos_name(c.pos), rs_nn_tf_norm_name(c.norm));
            tap_gradcheck(name, rs_nn_model_count(m), rs_nn_model_params(m),
                          build_loss, &gc, 1e-2, 1e-2);

            /* d loss / d v0: v0 is the embedding of ids, as a leaf. */
            rs_graph *g = rs_graph_new();
            rs_tensor *e = rs_nn_transformer_embed_ids(tf, g, ids, B, T);
            int shape[3] = {B, T, c.d};
            rs_tensor *v0 = rs_tensor_new_param(3, shape, NULL);
            rs_tensor_copy_data(v0, e);
            rs_graph_free(g);
            gc.from_v0 = true;
            snprintf(name, sizeof name, "%s %s-norm: d CE(last) / d v0",
                     rs_nn_pos_name(c.pos), rs_nn_tf_norm_name(c.norm));
            tap_gradcheck(name, 1, &v0, build_loss, &gc, 1e-2, 1e-2);

            /* v0 gradient is zero at positions that cannot reach the loss:
             * none here (the loss reads the last position, which sees all
             * earlier ones), but it is nonzero at every position. */
            bool all = true;
            for (int t = 0; t < B * T; t++) {
                double ss = 0;
                for (int j = 0; j < c.d; j++)
                    ss += (double)v0->grad[t * c.d + j] *
                          (double)v0->grad[t * c.d + j];
                all = all && ss > 0;
            }
            tap_ok(all, "%s %s-norm: gradient reaches every position of v0",
                   rs_nn_pos_name(c.pos), rs_nn_tf_norm_name(c.norm));
            rs_tensor_release(v0);
            rs_nn_transformer_free(tf);
        }
}

/* ---- precision ----------------------------------------------------------- */

static bool
representable(const float *x, size_t n, enum rs_prec p)
{
    for (size_t i = 0; i < n; i++)
        if (rs_prec_round(x[i], p) != x[i])
            return false;
    return true;
}

static void
test_precision(void)
{
    struct rs_nn_transformer_config c = tiny(RS_NN_POS_ROPE, RS_NN_TF_PRE);
    rs_nn_transformer *tf = build(&c, 100);
    scramble(tf, 101);
    rs_nn_model *m = rs_nn_transformer_model(tf);
    size_t n = rs_nn_model_numel(m);
    float *orig = malloc(n * sizeof *orig), *save = malloc(n * sizeof *save);
    size_t off = 0;
    for (int i = 0; i < rs_nn_model_count(m); i++) {
        rs_tensor *t = rs_nn_model_param(m, i);
        memcpy(orig + off, t->data, t->numel * sizeof(float));
        off += t->numel;
    }
    int ids[6] = {0, 4, 1, 3, 2, 2};
    rs_graph *g = rs_graph_new();
    rs_graph_set_grad(g, false);
    rs_tensor *lg = rs_nn_transformer_forward(tf, g, ids, 1, 6);
    float f32[6 * 3];
    memcpy(f32, lg->data, sizeof f32);

    for (int k = 0; k < 2; k++) {
        enum rs_prec p = k == 0 ? RS_PREC_BF16 : RS_PREC_F16;
        const char *pn = rs_prec_name(p);
        rs_nn_transformer_round_params(tf, p, save);
        bool rep = true, changed = false;
        off = 0;
        for (int i = 0; i < rs_nn_model_count(m); i++) {
            rs_tensor *t = rs_nn_model_param(m, i);
            rep = rep && representable(t->data, t->numel, p);
            changed = changed || memcmp(t->data, orig + off,
                                        t->numel * sizeof(float)) != 0;
            off += t->numel;
        }
        tap_ok(rep && changed && memcmp(save, orig, n * sizeof(float)) == 0,
               "round_params(%s): every weight representable, the saved "
               "buffer holds the float32 originals",
               pn);
        rs_graph_reset(g);
        rs_graph_set_precision(g, p);
        lg = rs_nn_transformer_forward(tf, g, ids, 1, 6);
        bool out_rep = representable(lg->data, lg->numel, p);
        for (int l = 1; l <= c.layers; l++) {
            rs_tensor *v = rs_nn_transformer_layer_out(tf, l);
            out_rep = out_rep && representable(v->data, v->numel, p);
        }
        rs_tensor *y = rs_nn_transformer_final(tf);
        out_rep = out_rep && representable(y->data, y->numel, p);
        tap_ok(out_rep, "%s forward: logits, v_l and y are %s values", pn, pn);
        double e = 0, ef = 0;
        for (int i = 0; i < 18; i++) {
            e = fmax(e, fabs(lg->data[i] - f32[i]));
            ef = fmax(ef, fabs(f32[i]));
        }
        tap_ok(e > 0 && e < 0.1 * (1 + ef),
               "%s forward is close to but not equal to float32 (diff %.3g)",
               pn, e);
        rs_nn_transformer_restore_params(tf, save);
        off = 0;
        bool back = true;
        for (int i = 0; i < rs_nn_model_count(m); i++) {
            rs_tensor *t = rs_nn_model_param(m, i);
            back = back &&
                   memcmp(t->data, orig + off, t->numel * sizeof(float)) == 0;
            off += t->numel;
        }
        tap_ok(back,
               "restore_params after %s gives back the exact float32 "
               "weights",
               pn);
        rs_graph_set_precision(g, RS_PREC_F32);
    }
    /* save = NULL rounds without saving */
    rs_nn_transformer_round_params(tf, RS_PREC_BF16, NULL);
    rs_tensor *w = rs_nn_model_lookup(m, "tok.weight");
    tap_ok(representable(w->data, w->numel, RS_PREC_BF16),
           "round_params with save = NULL still rounds");
    free(orig);
    free(save);
    rs_graph_free(g);
    rs_nn_transformer_free(tf);
}

int
main(void)
{
    tap_plan_lazy();
    test_names();
    test_defaults();
    test_config_errors();
    test_params();
    test_init();
    test_shapes();
    test_reference();
    test_causality();
    test_positions();
    test_gradients();
    test_precision();
    return tap_done();
}
