/* repscope - MIT licence, see COPYING.
 *
 * t_nn_mlp.c: the parameter registry, the Linear layer and the MLP:
 * construction (names, shapes, counts, init ranges), config errors naming
 * field and value, forward shapes, recorded pre-activations/activations
 * against an independent double-precision forward for every activation and
 * norm, structured pruning through rs_nn_model_replace, and finite
 * difference gradients through whole tiny MLPs.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "core/ops.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "nn/linear.h"
#include "nn/mlp.h"
#include "nn/model.h"
#include "tests/gradcheck.h"
#include "tests/tap.h"

static struct rs_nn_mlp_config
small_config(int input, int width, int depth, int output)
{
    struct rs_nn_mlp_config cfg;
    rs_nn_mlp_config_default(&cfg);
    cfg.input = input;
    cfg.width = width;
    cfg.depth = depth;
    cfg.output = output;
    return cfg;
}

static rs_nn_mlp *
build(const struct rs_nn_mlp_config *cfg, uint64_t seed)
{
    struct rs_rng rng;
    rs_rng_seed(&rng, seed);
    struct rs_error err = {0};
    rs_nn_mlp *m = rs_nn_mlp_new(cfg, "test", &rng, &err);
    if (m == NULL)
        tap_bail("rs_nn_mlp_new: %s", err.msg);
    return m;
}

static void
fill_random(rs_tensor *t, struct rs_rng *rng, float lo, float hi)
{
    for (size_t i = 0; i < t->numel; i++)
        t->data[i] = lo + (hi - lo) * rs_rng_uniform(rng);
}

/* ---- construction --------------------------------------------------- */

static void
test_construction(void)
{
    struct rs_nn_mlp_config cfg = small_config(3, 4, 2, 2);
    rs_nn_mlp *m = build(&cfg, 1);
    rs_nn_model *model = rs_nn_mlp_model(m);
    static const char *const names[] = {"l1.weight", "l1.bias",   "l2.weight",
                                        "l2.bias",   "l3.weight", "l3.bias"};
    static const int shapes[][2] = {{4, 3}, {4, 1}, {4, 4},
                                    {4, 1}, {2, 4}, {2, 1}};
    static const int ndims[] = {2, 1, 2, 1, 2, 1};
    tap_is_int(rs_nn_model_count(model), 6, "3-4-4-2 MLP has 6 parameters");
    bool names_ok = true, shapes_ok = true;
    for (int i = 0; i < 6 && i < rs_nn_model_count(model); i++) {
        rs_tensor *t = rs_nn_model_param(model, i);
        names_ok = names_ok &&
                   strcmp(rs_nn_model_param_name(model, i), names[i]) == 0 &&
                   t->name != NULL && strcmp(t->name, names[i]) == 0;
        shapes_ok = shapes_ok && t->ndim == ndims[i] &&
                    t->shape[0] == shapes[i][0] &&
                    t->shape[1] == shapes[i][1] && t->is_param &&
                    t->requires_grad && t->grad != NULL;
    }
    tap_ok(names_ok, "names l1.weight .. l3.bias in order, set on tensors");
    tap_ok(shapes_ok, "shapes (OUT, IN) and (OUT), parameters with grads");
    tap_is_int((long)rs_nn_model_numel(model), 12 + 4 + 16 + 4 + 8 + 2,
               "parameter count 46");
    tap_is_int(rs_nn_mlp_depth(m), 2, "depth 2");
    tap_ok(rs_nn_linear_in(rs_nn_mlp_linear(m, 1)) == 3 &&
               rs_nn_linear_out(rs_nn_mlp_linear(m, 1)) == 4 &&
               rs_nn_linear_in(rs_nn_mlp_linear(m, 3)) == 4 &&
               rs_nn_linear_out(rs_nn_mlp_linear(m, 3)) == 2 &&
               rs_nn_mlp_linear(m, 4) == NULL && rs_nn_mlp_linear(m, 0) == NULL,
           "linear layers 1..3 with their in/out; 0 and 4 are NULL");
    tap_ok(rs_nn_mlp_preact(m, 1) == NULL && rs_nn_mlp_act(m, 2) == NULL &&
               rs_nn_mlp_preact(m, 3) == NULL,
           "nothing recorded before a forward");
    tap_is_str(rs_nn_model_name(model), "test", "model name");
    rs_nn_mlp_free(m);

    /* LayerNorm with affine params, no biases. */
    cfg = small_config(3, 4, 2, 2);
    cfg.norm = RS_NN_MLP_NORM_LAYERNORM;
    cfg.bias = false;
    m = build(&cfg, 1);
    model = rs_nn_mlp_model(m);
    static const char *const ln_names[] = {
        "l1.weight",      "l1.norm.weight", "l1.norm.bias", "l2.weight",
        "l2.norm.weight", "l2.norm.bias",   "l3.weight"};
    names_ok = rs_nn_model_count(model) == 7;
    for (int i = 0; names_ok && i < 7; i++)
        names_ok = strcmp(rs_nn_model_param_name(model, i), ln_names[i]) == 0;
    tap_ok(names_ok, "layernorm, no bias: 7 parameters named as expected");
    rs_tensor *gain = rs_nn_model_lookup(model, "l2.norm.weight");
    rs_tensor *shift = rs_nn_model_lookup(model, "l2.norm.bias");
    bool init_ok = gain != NULL && shift != NULL && gain->numel == 4;
    for (int i = 0; init_ok && i < 4; i++)
        init_ok = gain->data[i] == 1.0f && shift->data[i] == 0.0f;
    tap_ok(init_ok, "norm gain starts at 1, shift at 0");
    rs_nn_mlp_free(m);

    cfg.norm = RS_NN_MLP_NORM_RMSNORM;
    cfg.bias = true;
    m = build(&cfg, 1);
    model = rs_nn_mlp_model(m);
    tap_ok(rs_nn_model_count(model) == 8 &&
               rs_nn_model_find(model, "l1.norm.weight") == 2 &&
               rs_nn_model_find(model, "l1.norm.bias") == -1,
           "rmsnorm: a gain but no shift");
    rs_nn_mlp_free(m);

    cfg.norm = RS_NN_MLP_NORM_LAYERNORM;
    cfg.norm_affine = false;
    m = build(&cfg, 1);
    tap_is_int(rs_nn_model_count(rs_nn_mlp_model(m)), 6,
               "non-affine layernorm adds no parameters");
    rs_nn_mlp_free(m);

    cfg = small_config(5, 0, 0, 3);
    m = build(&cfg, 1);
    model = rs_nn_mlp_model(m);
    tap_ok(rs_nn_model_count(model) == 2 &&
               rs_nn_model_lookup(model, "l1.weight")->shape[0] == 3 &&
               rs_nn_model_lookup(model, "l1.weight")->shape[1] == 5,
           "depth 0: a single 5 -> 3 linear map, width ignored");
    rs_nn_mlp_free(m);
}

/* ---- init ------------------------------------------------------------- */

static double
max_abs(const rs_tensor *t)
{
    double m = 0.0;
    for (size_t i = 0; i < t->numel; i++)
        m = fmax(m, fabs((double)t->data[i]));
    return m;
}

static void
test_init(void)
{
    /* PyTorch default, times alpha = 8 (deep grokking): U(+-8/sqrt(fan_in))
     * for weights and biases alike. */
    struct rs_nn_mlp_config cfg = small_config(16, 25, 1, 4);
    cfg.init_scale = 8.0f;
    rs_nn_mlp *m = build(&cfg, 7);
    rs_nn_model *model = rs_nn_mlp_model(m);
    double b1 = 8.0 / 4.0, b2 = 8.0 / 5.0; /* fan_in 16 and 25 */
    rs_tensor *w1 = rs_nn_model_lookup(model, "l1.weight");
    rs_tensor *bias1 = rs_nn_model_lookup(model, "l1.bias");
    rs_tensor *w2 = rs_nn_model_lookup(model, "l2.weight");
    tap_ok(max_abs(w1) <= b1 && max_abs(bias1) <= b1 && max_abs(w2) <= b2,
           "torch init * 8: |w| <= 8/sqrt(fan_in) (%.3f, %.3f, %.3f)",
           max_abs(w1), max_abs(bias1), max_abs(w2));
    tap_ok(max_abs(w1) > 0.8 * b1 && max_abs(bias1) > 0.5 * b1 &&
               max_abs(w2) > 0.8 * b2,
           "torch init * 8: the scaled range is used, biases too");
    /* Same seed, same weights; another seed, others. */
    rs_nn_mlp *same = build(&cfg, 7), *other = build(&cfg, 8);
    rs_tensor *ws = rs_nn_model_lookup(rs_nn_mlp_model(same), "l2.weight");
    rs_tensor *wo = rs_nn_model_lookup(rs_nn_mlp_model(other), "l2.weight");
    tap_ok(memcmp(ws->data, w2->data, w2->numel * sizeof(float)) == 0 &&
               memcmp(wo->data, w2->data, w2->numel * sizeof(float)) != 0,
           "init is a function of the seed");
    rs_nn_mlp_free(same);
    rs_nn_mlp_free(other);
    rs_nn_mlp_free(m);

    /* Kaiming normal: std sqrt(2/fan_in), zero biases. */
    cfg = small_config(200, 100, 1, 3);
    cfg.init = RS_INIT_KAIMING_NORMAL;
    m = build(&cfg, 9);
    model = rs_nn_mlp_model(m);
    w1 = rs_nn_model_lookup(model, "l1.weight");
    double ss = 0.0;
    for (size_t i = 0; i < w1->numel; i++)
        ss += (double)w1->data[i] * (double)w1->data[i];
    double std = sqrt(ss / (double)w1->numel);
    tap_is_float(std, sqrt(2.0 / 200.0), 0.0, 0.03,
                 "kaiming: weight std %.4f ~ sqrt(2/200)", std);
    tap_ok(max_abs(rs_nn_model_lookup(model, "l1.bias")) == 0.0 &&
               max_abs(rs_nn_model_lookup(model, "l2.bias")) == 0.0,
           "kaiming: biases are zero");
    rs_nn_mlp_free(m);
}

/* ---- config errors ---------------------------------------------------- */

/* rs_nn_mlp_new refuses cfg with RS_EINVAL and a message containing want
 * (the field and its value). */
static void
expect_bad(const struct rs_nn_mlp_config *cfg, const char *want)
{
    struct rs_rng rng;
    rs_rng_seed(&rng, 1);
    struct rs_error err = {0};
    rs_nn_mlp *m = rs_nn_mlp_new(cfg, NULL, &rng, &err);
    tap_ok(m == NULL && err.code == RS_EINVAL && strstr(err.msg, want) != NULL,
           "bad config (%s): \"%s\"", want, err.msg);
    rs_nn_mlp_free(m);
}

static void
test_config_errors(void)
{
    struct rs_nn_mlp_config good = small_config(3, 4, 2, 2), cfg;
    struct rs_error err = {0};
    tap_is_int(rs_nn_mlp_config_check(&good, &err), RS_OK,
               "good config passes");
    cfg = good;
    cfg.input = 0;
    expect_bad(&cfg, "input = 0");
    cfg = good;
    cfg.output = -2;
    expect_bad(&cfg, "output = -2");
    cfg = good;
    cfg.width = 0;
    expect_bad(&cfg, "width = 0");
    cfg = good;
    cfg.depth = -1;
    expect_bad(&cfg, "depth = -1");
    cfg = good;
    cfg.depth = RS_NN_MLP_MAX_DEPTH + 1;
    expect_bad(&cfg, "depth = 257");
    cfg = good;
    cfg.act = (enum rs_nn_mlp_act)17;
    expect_bad(&cfg, "act = 17");
    cfg = good;
    cfg.norm = (enum rs_nn_mlp_norm)9;
    expect_bad(&cfg, "norm = 9");
    cfg = good;
    cfg.norm = RS_NN_MLP_NORM_RMSNORM;
    cfg.norm_eps = 0.0f;
    expect_bad(&cfg, "norm_eps = 0");
    cfg = good;
    cfg.init = (enum rs_init_kind)42;
    expect_bad(&cfg, "init = 42");
    cfg = good;
    cfg.init_scale = -1.0f;
    expect_bad(&cfg, "init_scale = -1");
    cfg = good;
    cfg.init_scale = NAN;
    expect_bad(&cfg, "init_scale = nan");
    cfg = good;
    cfg.act = RS_NN_MLP_ACT_LEAKY_RELU;
    cfg.leaky_slope = INFINITY;
    expect_bad(&cfg, "leaky_slope = inf");
    cfg = good;
    cfg.depth = 0;
    cfg.width = 0;
    tap_is_int(rs_nn_mlp_config_check(&cfg, NULL), RS_OK,
               "width may be 0 when depth is 0");
    cfg = good;
    cfg.norm_eps = 0.0f;
    tap_is_int(rs_nn_mlp_config_check(&cfg, NULL), RS_OK,
               "norm_eps is not checked without a norm");

    tap_ok(rs_nn_mlp_act_parse("leaky_relu") == RS_NN_MLP_ACT_LEAKY_RELU &&
               rs_nn_mlp_act_parse("identity") == RS_NN_MLP_ACT_IDENTITY &&
               rs_nn_mlp_act_parse("swish") == -1 &&
               strcmp(rs_nn_mlp_act_name(RS_NN_MLP_ACT_GELU), "gelu") == 0,
           "activation names parse and print");
    tap_ok(rs_nn_mlp_norm_parse("rmsnorm") == RS_NN_MLP_NORM_RMSNORM &&
               rs_nn_mlp_norm_parse("batchnorm") == -1 &&
               strcmp(rs_nn_mlp_norm_name(RS_NN_MLP_NORM_NONE), "none") == 0,
           "norm names parse and print");
}

/* ---- forward against a reference --------------------------------------- */

static double
ref_act(enum rs_nn_mlp_act act, double slope, double z)
{
    switch (act) {
    case RS_NN_MLP_ACT_RELU:
        return z > 0 ? z : 0.0;
    case RS_NN_MLP_ACT_LEAKY_RELU:
        return z > 0 ? z : slope * z;
    case RS_NN_MLP_ACT_GELU: {
        double k = 0.7978845608028654; /* sqrt(2 / pi) */
        return 0.5 * z * (1.0 + tanh(k * (z + 0.044715 * z * z * z)));
    }
    case RS_NN_MLP_ACT_TANH:
        return tanh(z);
    case RS_NN_MLP_ACT_SIGMOID:
        return 1.0 / (1.0 + exp(-z));
    default:
        return z;
    }
}

/* Data of parameter "l<k>.<what>", or NULL. */
static const float *
pdata(const rs_nn_model *model, int k, const char *what)
{
    char name[64];
    snprintf(name, sizeof name, "l%d.%s", k, what);
    rs_tensor *t = rs_nn_model_lookup(model, name);
    return t != NULL ? t->data : NULL;
}

/* Independent double-precision forward of m on x (rows, input); compares
 * every recorded pre-activation/activation and the output. */
static void
check_forward(rs_nn_mlp *m, const float *x, int rows, const char *what)
{
    const struct rs_nn_mlp_config *cfg = rs_nn_mlp_config(m);
    rs_nn_model *model = rs_nn_mlp_model(m);
    rs_graph *g = rs_graph_new();
    int shape[2] = {rows, cfg->input};
    rs_tensor *out = rs_nn_mlp_forward(m, g, rs_graph_input(g, 2, shape, x));
    if (out == NULL) {
        tap_ok(false, "%s: forward failed: %s", what, rs_graph_error(g)->msg);
        rs_graph_free(g);
        return;
    }
    int maxw = cfg->input > cfg->width ? cfg->input : cfg->width;
    maxw = maxw > cfg->output ? maxw : cfg->output;
    double *h = malloc((size_t)rows * maxw * sizeof *h);
    double *z = malloc((size_t)rows * maxw * sizeof *z);
    float *zf = malloc((size_t)rows * maxw * sizeof *zf);
    float *af = malloc((size_t)rows * maxw * sizeof *af);
    for (int i = 0; i < rows * cfg->input; i++)
        h[i] = (double)x[i];
    int in = cfg->input;
    bool all_ok = true;
    for (int k = 1; k <= cfg->depth + 1; k++) {
        bool last = k == cfg->depth + 1;
        int outw = last ? cfg->output : cfg->width;
        const float *w = pdata(model, k, "weight");
        const float *b = pdata(model, k, "bias");
        for (int i = 0; i < rows; i++)
            for (int o = 0; o < outw; o++) {
                double acc = b != NULL ? (double)b[o] : 0.0;
                for (int j = 0; j < in; j++)
                    acc += h[i * in + j] * (double)w[o * in + j];
                z[i * outw + o] = acc;
            }
        if (last) {
            for (int i = 0; i < rows * outw; i++)
                zf[i] = (float)z[i];
            all_ok &= tap_is_floats(out->data, zf, (size_t)rows * outw, 1e-5,
                                    1e-4, "%s: output", what);
            break;
        }
        if (cfg->norm != RS_NN_MLP_NORM_NONE) {
            const float *gain = pdata(model, k, "norm.weight");
            const float *shift = pdata(model, k, "norm.bias");
            for (int i = 0; i < rows; i++) {
                double *r = z + i * outw, mean = 0.0, var = 0.0;
                if (cfg->norm == RS_NN_MLP_NORM_LAYERNORM) {
                    for (int o = 0; o < outw; o++)
                        mean += r[o];
                    mean /= outw;
                }
                for (int o = 0; o < outw; o++)
                    var += (r[o] - mean) * (r[o] - mean);
                var /= outw;
                double inv = 1.0 / sqrt(var + (double)cfg->norm_eps);
                for (int o = 0; o < outw; o++) {
                    double v = (r[o] - mean) * inv;
                    if (gain != NULL)
                        v *= (double)gain[o];
                    if (shift != NULL)
                        v += (double)shift[o];
                    r[o] = v;
                }
            }
        }
        for (int i = 0; i < rows * outw; i++) {
            zf[i] = (float)z[i];
            h[i] = ref_act(cfg->act, (double)cfg->leaky_slope, z[i]);
            af[i] = (float)h[i];
        }
        rs_tensor *pre = rs_nn_mlp_preact(m, k), *act = rs_nn_mlp_act(m, k);
        if (pre == NULL || act == NULL || pre->numel != (size_t)rows * outw ||
            act->numel != (size_t)rows * outw) {
            all_ok = tap_ok(false, "%s: layer %d not recorded", what, k);
            break;
        }
        all_ok &= tap_is_floats(pre->data, zf, (size_t)rows * outw, 1e-5, 1e-4,
                                "%s: l%d pre-activation", what, k);
        all_ok &= tap_is_floats(act->data, af, (size_t)rows * outw, 1e-5, 1e-4,
                                "%s: l%d activation", what, k);
        in = outw;
    }
    (void)all_ok;
    free(af);
    free(zf);
    free(z);
    free(h);
    rs_graph_free(g);
}

static void
test_forward(void)
{
    struct rs_rng rng;
    rs_rng_seed(&rng, 42);
    float x[6 * 5];
    for (int i = 0; i < 6 * 5; i++)
        x[i] = 2.0f * rs_rng_uniform(&rng) - 1.0f;
    static const struct {
        enum rs_nn_mlp_act act;
        enum rs_nn_mlp_norm norm;
        bool affine, bias;
        enum rs_init_kind init;
        int depth;
    } cases[] = {
        {RS_NN_MLP_ACT_RELU, RS_NN_MLP_NORM_NONE, true, true,
         RS_INIT_TORCH_DEFAULT, 2},
        {RS_NN_MLP_ACT_TANH, RS_NN_MLP_NORM_LAYERNORM, true, true,
         RS_INIT_TORCH_DEFAULT, 2},
        {RS_NN_MLP_ACT_GELU, RS_NN_MLP_NORM_RMSNORM, true, true,
         RS_INIT_KAIMING_NORMAL, 3},
        {RS_NN_MLP_ACT_LEAKY_RELU, RS_NN_MLP_NORM_NONE, true, false,
         RS_INIT_KAIMING_NORMAL, 2},
        {RS_NN_MLP_ACT_SIGMOID, RS_NN_MLP_NORM_LAYERNORM, false, true,
         RS_INIT_XAVIER_UNIFORM, 1},
        {RS_NN_MLP_ACT_IDENTITY, RS_NN_MLP_NORM_NONE, true, true,
         RS_INIT_TORCH_DEFAULT, 3},
        {RS_NN_MLP_ACT_RELU, RS_NN_MLP_NORM_NONE, true, true,
         RS_INIT_TORCH_DEFAULT, 0},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        struct rs_nn_mlp_config cfg = small_config(5, 7, cases[c].depth, 3);
        cfg.act = cases[c].act;
        cfg.leaky_slope = 0.1f;
        cfg.norm = cases[c].norm;
        cfg.norm_affine = cases[c].affine;
        cfg.bias = cases[c].bias;
        cfg.init = cases[c].init;
        rs_nn_mlp *m = build(&cfg, 100 + c);
        /* Random norm parameters, so their wiring is checked too. */
        rs_nn_model *model = rs_nn_mlp_model(m);
        for (int i = 0; i < rs_nn_model_count(model); i++)
            if (strstr(rs_nn_model_param_name(model, i), ".norm.") != NULL)
                fill_random(rs_nn_model_param(model, i), &rng, 0.5f, 1.5f);
        char what[96];
        snprintf(what, sizeof what, "%s/%s%s%s depth %d",
                 rs_nn_mlp_act_name(cfg.act), rs_nn_mlp_norm_name(cfg.norm),
                 cfg.norm != RS_NN_MLP_NORM_NONE && !cfg.norm_affine
                     ? " (no affine)"
                     : "",
                 cfg.bias ? "" : " no bias", cfg.depth);
        check_forward(m, x, 6, what);
        rs_nn_mlp_free(m);
    }
}

static void
test_shapes(void)
{
    struct rs_nn_mlp_config cfg = small_config(5, 7, 2, 3);
    cfg.act = RS_NN_MLP_ACT_IDENTITY;
    rs_nn_mlp *m = build(&cfg, 3);
    rs_graph *g = rs_graph_new();
    int s3[3] = {2, 4, 5};
    rs_tensor *x = rs_graph_tensor(g, 3, s3);
    rs_tensor_fill(x, 0.5f);
    rs_tensor *y = rs_nn_mlp_forward(m, g, x);
    tap_ok(y != NULL && y->ndim == 3 && y->shape[0] == 2 && y->shape[1] == 4 &&
               y->shape[2] == 3,
           "x (2, 4, 5) -> (2, 4, 3)");
    rs_tensor *p = rs_nn_mlp_preact(m, 2);
    tap_ok(p != NULL && p->ndim == 3 && p->shape[2] == 7,
           "recorded pre-activation (2, 4, 7)");
    tap_ok(rs_nn_mlp_act(m, 1) == rs_nn_mlp_preact(m, 1),
           "identity: activation is the pre-activation tensor");

    rs_graph_reset(g);
    int s2[2] = {4, 6};
    x = rs_graph_tensor(g, 2, s2);
    rs_tensor_fill(x, 0.5f);
    y = rs_nn_mlp_forward(m, g, x);
    tap_ok(y == NULL && rs_graph_error(g)->code != RS_OK,
           "x with 6 features for a 5-input MLP fails: %s",
           rs_graph_error(g)->msg);
    tap_ok(rs_nn_mlp_preact(m, 1) == NULL && rs_nn_mlp_act(m, 2) == NULL,
           "a failed forward leaves no stale recordings");
    rs_graph_reset(g);
    tap_ok(rs_nn_mlp_forward(m, g, NULL) == NULL &&
               rs_graph_error(g)->code != RS_OK,
           "NULL input sets the graph error");
    rs_graph_free(g);
    rs_nn_mlp_free(m);
}

/* ---- model registry and pruning ---------------------------------------- */

static void
test_model(void)
{
    rs_nn_model *model = rs_nn_model_new(NULL);
    struct rs_error err = {0};
    tap_is_str(rs_nn_model_name(model), "", "unnamed model has name \"\"");
    struct rs_nn_linear l;
    int rc = rs_nn_linear_init(&l, model, "enc", 3, 2, true, &err);
    tap_ok(rc == RS_OK && rs_nn_model_count(model) == 2 &&
               rs_nn_model_find(model, "enc.weight") == 0 &&
               rs_nn_model_find(model, "enc.bias") == 1 &&
               rs_nn_linear_bias(&l) == rs_nn_model_param(model, 1),
           "linear registers enc.weight and enc.bias");
    rc = rs_nn_linear_init(&l, model, "enc", 3, 2, true, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "duplicate") != NULL &&
               strstr(err.msg, "enc.weight") != NULL,
           "a second 'enc' is refused: %s", err.msg);
    rc = rs_nn_linear_init(&l, model, "bad", 0, 2, true, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "in = 0") != NULL,
           "linear in = 0 is refused: %s", err.msg);
    int one = 1;
    tap_ok(rs_nn_model_add(model, "", 1, &one, &err) == NULL &&
               err.code == RS_EINVAL,
           "empty name is refused");
    char longname[80];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    tap_ok(rs_nn_model_add(model, longname, 1, &one, &err) == NULL &&
               err.code == RS_EINVAL,
           "an over-long name is refused");
    int zero = 0;
    tap_ok(rs_nn_model_add(model, "z", 1, &zero, &err) == NULL &&
               err.code != RS_OK && strstr(err.msg, "'z'") != NULL,
           "a bad shape is refused naming the parameter: %s", err.msg);
    tap_is_int(rs_nn_model_count(model), 2, "failed adds leave no trace");

    rs_tensor *w = rs_nn_linear_weight(&l), *b = rs_nn_linear_bias(&l);
    for (int i = 0; i < 6; i++)
        w->data[i] = (float)(i + 1); /* 1..6: sum of squares 91 */
    b->data[0] = 3.0f;
    b->data[1] = -4.0f; /* 25 */
    int s2[2] = {2, 2};
    rs_tensor *extra = rs_nn_model_add(model, "enc2.weight", 2, s2, &err);
    rs_tensor_fill(extra, 2.0f); /* 16 */
    tap_is_float(rs_nn_model_weight_norm(model), sqrt(91.0 + 25.0 + 16.0),
                 1e-12, 0.0, "weight norm sqrt(132)");
    tap_is_float(rs_nn_model_layer_norm(model, "enc"), sqrt(116.0), 1e-12, 0.0,
                 "layer norm of 'enc' excludes enc2");
    tap_is_float(rs_nn_model_layer_norm(model, "enc.bias"), 5.0, 1e-12, 0.0,
                 "layer norm of one parameter");
    tap_is_float(rs_nn_model_layer_norm(model, "en"), 0.0, 0.0, 0.0,
                 "a partial name matches nothing");
    tap_ok(rs_nn_model_lookup(model, "nope") == NULL &&
               rs_nn_model_find(model, "nope") == -1,
           "unknown names: NULL and -1");
    tap_ok(rs_nn_model_params(model)[2] == extra, "params array");
    w->grad[0] = 5.0f;
    extra->grad[3] = 1.0f;
    rs_nn_model_zero_grad(model);
    tap_ok(w->grad[0] == 0.0f && extra->grad[3] == 0.0f, "zero_grad");
    rs_nn_model_free(model);
}

/* Remove hidden unit `unit` of a 1-hidden-layer MLP through replace. */
static void
prune_unit(rs_nn_mlp *m, int unit)
{
    rs_nn_model *model = rs_nn_mlp_model(m);
    const struct rs_nn_linear *l1 = rs_nn_mlp_linear(m, 1);
    const struct rs_nn_linear *l2 = rs_nn_mlp_linear(m, 2);
    rs_tensor *w1 = rs_nn_linear_weight(l1), *b1 = rs_nn_linear_bias(l1);
    rs_tensor *w2 = rs_nn_linear_weight(l2);
    int in = w1->shape[1], width = w1->shape[0], out = w2->shape[0];
    int sw1[2] = {width - 1, in}, sw2[2] = {out, width - 1}, sb1 = width - 1;
    rs_tensor *nw1 = rs_tensor_new_param(2, sw1, NULL);
    rs_tensor *nb1 = rs_tensor_new_param(1, &sb1, NULL);
    rs_tensor *nw2 = rs_tensor_new_param(2, sw2, NULL);
    for (int o = 0, r = 0; o < width; o++) {
        if (o == unit)
            continue;
        memcpy(nw1->data + r * in, w1->data + o * in, in * sizeof(float));
        nb1->data[r] = b1->data[o];
        for (int k = 0; k < out; k++)
            nw2->data[k * (width - 1) + r] = w2->data[k * width + o];
        r++;
    }
    rs_nn_model_replace(model, l1->weight, nw1);
    rs_nn_model_replace(model, l1->bias, nb1);
    rs_nn_model_replace(model, l2->weight, nw2);
}

static void
test_pruning(void)
{
    /* Kill hidden unit 2 with a large negative bias: removing it must not
     * change the output, and the layer shrinks. */
    struct rs_nn_mlp_config cfg = small_config(4, 5, 1, 2);
    rs_nn_mlp *m = build(&cfg, 11);
    rs_nn_model *model = rs_nn_mlp_model(m);
    rs_nn_model_lookup(model, "l1.bias")->data[2] = -1000.0f;
    struct rs_rng rng;
    rs_rng_seed(&rng, 12);
    float x[8 * 4];
    for (int i = 0; i < 8 * 4; i++)
        x[i] = 2.0f * rs_rng_uniform(&rng) - 1.0f;
    int shape[2] = {8, 4};
    rs_graph *g = rs_graph_new();
    rs_tensor *y = rs_nn_mlp_forward(m, g, rs_graph_input(g, 2, shape, x));
    float before[16];
    memcpy(before, y->data, sizeof before);
    size_t numel_before = rs_nn_model_numel(model);
    rs_tensor *old = rs_nn_model_lookup(model, "l1.weight");
    rs_tensor_retain(old); /* as an optimiser would */
    prune_unit(m, 2);
    rs_tensor *neww = rs_nn_model_lookup(model, "l1.weight");
    tap_ok(neww != old && neww->shape[0] == 4 && neww->name != NULL &&
               strcmp(neww->name, "l1.weight") == 0 &&
               rs_nn_model_find(model, "l1.weight") == 0,
           "replace keeps name and index, new shape (4, 4)");
    tap_ok(old->name == NULL && old->refs == 1,
           "the old tensor is released by the model and loses its name");
    rs_tensor_release(old);
    tap_is_int((long)(numel_before - rs_nn_model_numel(model)), 4 + 1 + 2,
               "pruning one unit removes 7 parameters");
    rs_graph_reset(g);
    y = rs_nn_mlp_forward(m, g, rs_graph_input(g, 2, shape, x));
    tap_ok(y != NULL && rs_nn_mlp_preact(m, 1)->shape[1] == 4,
           "forward after pruning: hidden width 4");
    if (y != NULL)
        tap_is_floats(y->data, before, 16, 1e-6, 1e-6,
                      "pruning a dead unit leaves the output unchanged");
    else
        tap_ok(false, "forward after pruning failed: %s",
               rs_graph_error(g)->msg);
    rs_graph_free(g);
    rs_nn_mlp_free(m);
}

/* ---- gradients ----------------------------------------------------------- */

struct grad_case {
    rs_nn_mlp *m;
    const float *x;
    int rows;
};

static rs_tensor *
build_mlp(rs_graph *g, rs_tensor *const *in, void *ud)
{
    (void)in; /* the MLP reads its parameters from its model */
    struct grad_case *c = ud;
    int shape[2] = {c->rows, rs_nn_mlp_config(c->m)->input};
    return rs_nn_mlp_forward(c->m, g, rs_graph_input(g, 2, shape, c->x));
}

static void
test_gradients(void)
{
    struct rs_rng rng;
    rs_rng_seed(&rng, 77);
    float x[4 * 3];
    for (int i = 0; i < 12; i++)
        x[i] = 2.0f * rs_rng_uniform(&rng) - 1.0f;
    static const struct {
        enum rs_nn_mlp_act act;
        enum rs_nn_mlp_norm norm;
        const char *name;
    } cases[] = {
        {RS_NN_MLP_ACT_TANH, RS_NN_MLP_NORM_NONE, "tanh MLP 3-4-4-2"},
        {RS_NN_MLP_ACT_TANH, RS_NN_MLP_NORM_LAYERNORM,
         "tanh + layernorm MLP 3-4-4-2"},
        {RS_NN_MLP_ACT_SIGMOID, RS_NN_MLP_NORM_RMSNORM,
         "sigmoid + rmsnorm MLP 3-4-4-2"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        struct rs_nn_mlp_config cfg = small_config(3, 4, 2, 2);
        cfg.act = cases[c].act;
        cfg.norm = cases[c].norm;
        rs_nn_mlp *m = build(&cfg, 200 + c);
        rs_nn_model *model = rs_nn_mlp_model(m);
        for (int i = 0; i < rs_nn_model_count(model); i++)
            if (strstr(rs_nn_model_param_name(model, i), ".norm.") != NULL)
                fill_random(rs_nn_model_param(model, i), &rng, 0.5f, 1.5f);
        struct grad_case gc = {m, x, 4};
        tap_gradcheck(cases[c].name, rs_nn_model_count(model),
                      rs_nn_model_params(model), build_mlp, &gc, 1e-2, 1e-2);

        /* Every parameter receives a nonzero gradient from an MSE loss. */
        rs_nn_model_zero_grad(model);
        rs_graph *g = rs_graph_new();
        rs_tensor *y = build_mlp(g, NULL, &gc);
        int ts[2] = {4, 2};
        rs_tensor *target = rs_graph_tensor(g, 2, ts);
        rs_tensor_fill(target, 0.3f);
        struct rs_error err = {0};
        int rc = rs_graph_backward(g, rs_op_mse(g, y, target), &err);
        bool all = rc == RS_OK;
        for (int i = 0; all && i < rs_nn_model_count(model); i++) {
            rs_tensor *p = rs_nn_model_param(model, i);
            double ss = 0.0;
            for (size_t k = 0; k < p->numel; k++)
                ss += (double)p->grad[k] * (double)p->grad[k];
            if (!(ss > 0.0)) {
                tap_diag("no gradient reached %s",
                         rs_nn_model_param_name(model, i));
                all = false;
            }
        }
        tap_ok(all, "%s: gradients reach all %d parameters %s", cases[c].name,
               rs_nn_model_count(model), err.msg);
        rs_graph_free(g);
        rs_nn_mlp_free(m);
    }
}

int
main(void)
{
    tap_plan_lazy();
    test_construction();
    test_init();
    test_config_errors();
    test_forward();
    test_shapes();
    test_model();
    test_pruning();
    test_gradients();
    return tap_done();
}
