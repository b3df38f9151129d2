/* repscope - MIT licence, see COPYING.
 *
 * t_nn_modules_more.c: the embedding, position, reshape and scalar
 * modules (nn/module.h) and a sequential whose first child takes tokens:
 * forward values against loops written here, init statistics, finite
 * difference gradients (tap_gradcheck) w.r.t. every parameter and every
 * float input, builder errors naming the value, and graph errors for bad
 * shapes and ids. Ends with the two encoders of the image-text scene
 * (patches and captions) as sequentials.
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
#include "nn/model.h"
#include "nn/module.h"
#include "tests/gradcheck.h"
#include "tests/tap.h"

#define FD_H 1e-2
#define FD_TOL 1e-2

static struct rs_rng rng;

static rs_tensor *
param0(const rs_nn_module *m)
{
    return rs_nn_model_param(rs_nn_module_model(m), 0);
}

static rs_tensor *
tokens_forward(rs_graph *g, rs_nn_module *m, const int *ids, int B, int T)
{
    struct rs_nn_input in = {
        .kind = RS_NN_INPUT_TOKENS, .ids = ids, .B = B, .T = T};
    return rs_nn_module_forward_input(m, g, &in);
}

static bool
builder_fails(rs_nn_module *m, const struct rs_error *err, const char *want)
{
    if (m != NULL) {
        rs_nn_module_release(m);
        return tap_ok(false, "builder refuses (%s)", want);
    }
    tap_diag("  error: %s", err->msg);
    return tap_ok(strstr(err->msg, want) != NULL, "builder refuses: %s", want);
}

/* ---- embedding --------------------------------------------------------- */

struct ids_ud {
    rs_nn_module *m;
    const int *ids;
    int B, T;
};

static rs_tensor *
build_tokens(rs_graph *g, rs_tensor *const *in, void *ud)
{
    (void)in; /* the module's parameters, perturbed in place */
    const struct ids_ud *u = ud;
    return tokens_forward(g, u->m, u->ids, u->B, u->T);
}

static void
test_embedding(void)
{
    struct rs_error err = {0};
    rs_nn_module *m = rs_nn_module_embedding(7, 3, 0.5f, &rng, &err);
    tap_ok(m != NULL, "embedding(7, 3) builds: %s", err.msg);
    tap_is_str(rs_nn_module_kind(m), "embedding", "kind");
    tap_ok(rs_nn_module_input_kind(m) == RS_NN_INPUT_TOKENS, "takes tokens");
    tap_is_int(rs_nn_module_in(m), 0, "in() is 0 (ids)");
    tap_is_int(rs_nn_module_out(m), 3, "out() is d");
    rs_nn_model *model = rs_nn_module_model(m);
    tap_is_int(rs_nn_model_count(model), 1, "one parameter");
    tap_is_str(rs_nn_model_param_name(model, 0), "weight", "named weight");
    rs_tensor *w = param0(m);
    tap_ok(w->ndim == 2 && w->shape[0] == 7 && w->shape[1] == 3,
           "weight is (vocab, d)");

    /* (2, 3) ids with a repeat: rows of the table */
    static const int ids[6] = {0, 6, 2, 2, 5, 0};
    rs_graph *g = rs_graph_new();
    rs_tensor *y = tokens_forward(g, m, ids, 2, 3);
    tap_ok(y != NULL && y->ndim == 3 && y->shape[0] == 2 && y->shape[1] == 3 &&
               y->shape[2] == 3,
           "ids (2, 3) -> (2, 3, 3)");
    float want[18];
    for (int i = 0; i < 6; i++)
        for (int c = 0; c < 3; c++)
            want[i * 3 + c] = w->data[ids[i] * 3 + c];
    tap_ok(y != NULL && memcmp(y->data, want, sizeof want) == 0,
           "each position is its id's row");

    /* the float forward reads ids stored as floats */
    float fid[6];
    for (int i = 0; i < 6; i++)
        fid[i] = (float)ids[i];
    rs_tensor *x = rs_graph_input(g, 2, (int[]){2, 3}, fid);
    rs_tensor *y2 = rs_nn_module_forward(m, g, x);
    tap_ok(y2 != NULL && memcmp(y2->data, want, sizeof want) == 0,
           "forward on float ids = forward_ids");

    struct ids_ud u = {m, ids, 2, 3};
    tap_gradcheck("embedding weight (repeated ids)", 1, &w, build_tokens, &u,
                  FD_H, FD_TOL);

    /* errors */
    rs_graph_reset(g);
    static const int bad[6] = {0, 1, 2, 3, 7, 0};
    tap_ok(tokens_forward(g, m, bad, 2, 3) == NULL &&
               tap_graph_failed_with(g, "embedding: id 7 at (1, 1)", "[0, 7)"),
           "an id out of range names it, its place and the range");
    rs_graph_reset(g);
    fid[4] = 1.5f;
    x = rs_graph_input(g, 2, (int[]){2, 3}, fid);
    tap_ok(rs_nn_module_forward(m, g, x) == NULL &&
               tap_graph_failed_with(g, "id 1.5 at (1, 1)", "not an integer"),
           "a float id that is not an integer is refused");
    rs_graph_reset(g);
    x = rs_graph_input(g, 1, (int[]){6}, fid);
    tap_ok(rs_nn_module_forward(m, g, x) == NULL &&
               tap_graph_failed_with(g, "embedding: ids have 1 dims", "(B, T)"),
           "ids must be (B, T)");
    rs_graph_reset(g);
    tap_ok(tokens_forward(g, m, ids, 0, 3) == NULL &&
               tap_graph_failed_with(g, "embedding: 0 x 3 ids", NULL),
           "an empty batch is refused");
    rs_graph_free(g);
    rs_nn_module_release(m);

    /* init statistics: N(0, std^2) */
    m = rs_nn_module_embedding(100, 50, 0.5f, &rng, &err);
    w = param0(m);
    double s1 = 0, s2 = 0;
    for (size_t i = 0; i < w->numel; i++) {
        s1 += (double)w->data[i];
        s2 += (double)w->data[i] * (double)w->data[i];
    }
    double mean = s1 / (double)w->numel;
    double sd = sqrt(s2 / (double)w->numel - mean * mean);
    tap_is_float(mean, 0.0, 0.03, 0.0, "init mean ~ 0");
    tap_is_float(sd, 0.5, 0.0, 0.05, "init std ~ 0.5");
    rs_nn_module_release(m);

    builder_fails(rs_nn_module_embedding(0, 3, 1.0f, &rng, &err), &err,
                  "vocab = 0");
    builder_fails(rs_nn_module_embedding(5, 0, 1.0f, &rng, &err), &err,
                  "d = 0");
    builder_fails(rs_nn_module_embedding(5, 3, -1.0f, &rng, &err), &err,
                  "std = -1");
    builder_fails(rs_nn_module_embedding(5, 3, NAN, &rng, &err), &err,
                  "must be finite");
}

/* ---- position ---------------------------------------------------------- */

struct feat_ud {
    rs_nn_module *m;
};

static rs_tensor *
build_feat(rs_graph *g, rs_tensor *const *in, void *ud)
{
    const struct feat_ud *u = ud;
    return rs_nn_module_forward(u->m, g, in[0]);
}

static void
test_position(void)
{
    struct rs_error err = {0};
    rs_nn_module *m = rs_nn_module_position(4, 3, 0.7f, &rng, &err);
    tap_ok(m != NULL, "position(4, 3) builds: %s", err.msg);
    tap_is_str(rs_nn_module_kind(m), "position", "kind");
    tap_ok(rs_nn_module_input_kind(m) == RS_NN_INPUT_FEATURES,
           "takes features");
    tap_ok(rs_nn_module_in(m) == 3 && rs_nn_module_out(m) == 3,
           "in() = out() = d");
    tap_is_str(rs_nn_model_param_name(rs_nn_module_model(m), 0), "weight",
               "named weight");
    rs_tensor *w = param0(m);
    tap_ok(w->ndim == 2 && w->shape[0] == 4 && w->shape[1] == 3,
           "weight is (n, d)");

    for (int T = 4; T >= 2; T -= 2) {
        rs_tensor *x = tap_param(&rng, 3, (int[]){2, T, 3}, -1, 1);
        rs_graph *g = rs_graph_new();
        rs_tensor *y = rs_nn_module_forward(m, g, x);
        bool ok = y != NULL && y->ndim == 3 && y->shape[1] == T;
        for (int b = 0; ok && b < 2; b++)
            for (int t = 0; t < T; t++)
                for (int c = 0; c < 3; c++) {
                    size_t i = ((size_t)b * (size_t)T + (size_t)t) * 3 + c;
                    float want = x->data[i] + w->data[t * 3 + c];
                    ok = ok && y->data[i] == want;
                }
        tap_ok(ok, "(2, %d, 3): x + weight[0:%d] per example", T, T);
        rs_graph_free(g);
        rs_tensor *in[2] = {x, w};
        char name[64];
        snprintf(name, sizeof name, "position x and weight, T = %d", T);
        tap_gradcheck(name, 2, in, build_feat, &(struct feat_ud){m}, FD_H,
                      FD_TOL);
        if (T == 2) {
            /* rows past T get no gradient */
            bool zero = true;
            for (int i = 2 * 3; i < 4 * 3; i++)
                zero = zero && w->grad[i] == 0.0f;
            tap_ok(zero, "rows T..n-1 of the table get no gradient");
        }
        rs_tensor_release(x);
    }

    rs_graph *g = rs_graph_new();
    rs_tensor *x = rs_graph_tensor(g, 3, (int[]){2, 5, 3});
    tap_ok(rs_nn_module_forward(m, g, x) == NULL &&
               tap_graph_failed_with(g, "position: input is (..., 5, 3)",
                                     "T <= 4"),
           "T > n is refused");
    rs_graph_reset(g);
    x = rs_graph_tensor(g, 3, (int[]){2, 4, 2});
    tap_ok(rs_nn_module_forward(m, g, x) == NULL &&
               tap_graph_failed_with(g, "(..., 4, 2)", "(..., T, 3)"),
           "another width is refused");
    rs_graph_reset(g);
    x = rs_graph_tensor(g, 1, (int[]){3});
    tap_ok(rs_nn_module_forward(m, g, x) == NULL &&
               tap_graph_failed_with(g, "position: input has 1 dims", NULL),
           "a vector is refused");
    rs_graph_free(g);
    rs_nn_module_release(m);

    builder_fails(rs_nn_module_position(0, 3, 1.0f, &rng, &err), &err, "n = 0");
    builder_fails(rs_nn_module_position(4, 3, INFINITY, &rng, &err), &err,
                  "position std = inf");
}

/* ---- reshape ----------------------------------------------------------- */

static void
test_reshape(void)
{
    struct rs_error err = {0};
    rs_nn_module *m = rs_nn_module_reshape(2, (int[]){4, 3}, &err);
    tap_ok(m != NULL, "reshape{4, 3} builds: %s", err.msg);
    tap_is_str(rs_nn_module_kind(m), "reshape", "kind");
    tap_ok(rs_nn_module_in(m) == 12 && rs_nn_module_out(m) == 3,
           "in() = 12, out() = 3");
    tap_is_int(rs_nn_model_count(rs_nn_module_model(m)), 0, "no parameters");

    rs_tensor *x = tap_param(&rng, 2, (int[]){5, 12}, -1, 1);
    rs_graph *g = rs_graph_new();
    rs_tensor *y = rs_nn_module_forward(m, g, x);
    tap_ok(y != NULL && y->ndim == 3 && y->shape[0] == 5 && y->shape[1] == 4 &&
               y->shape[2] == 3 && memcmp(y->data, x->data, 60 * 4) == 0,
           "(5, 12) -> (5, 4, 3), the same data");
    rs_graph_reset(g);
    rs_tensor *x3 = rs_graph_tensor(g, 3, (int[]){2, 5, 12});
    y = rs_nn_module_forward(m, g, x3);
    tap_ok(y != NULL && y->ndim == 4 && y->shape[0] == 2 && y->shape[1] == 5 &&
               y->shape[2] == 4 && y->shape[3] == 3,
           "(2, 5, 12) -> (2, 5, 4, 3)");
    rs_graph_reset(g);
    x3 = rs_graph_tensor(g, 2, (int[]){5, 10});
    tap_ok(rs_nn_module_forward(m, g, x3) == NULL &&
               tap_graph_failed_with(g, "reshape: input has 10 features",
                                     "expected 12"),
           "another last dim is refused");
    rs_graph_reset(g);
    x3 = rs_graph_tensor(g, 4, (int[]){1, 2, 5, 12});
    tap_ok(
        rs_nn_module_forward(m, g, x3) == NULL &&
            tap_graph_failed_with(g, "input has 4 dims", "expected at most 3"),
        "a result of more than 4 dims is refused");
    rs_graph_free(g);
    /* gradient passes through (checked through a following op) */
    tap_gradcheck("reshape x", 1, &x, build_feat, &(struct feat_ud){m}, FD_H,
                  FD_TOL);
    rs_tensor_release(x);
    rs_nn_module_release(m);

    builder_fails(rs_nn_module_reshape(0, (int[]){1}, &err), &err,
                  "reshape to 0 dims");
    builder_fails(rs_nn_module_reshape(4, (int[]){1, 1, 1, 1}, &err), &err,
                  "must be 1..3");
    builder_fails(rs_nn_module_reshape(2, (int[]){4, 0}, &err), &err,
                  "reshape dim 2 = 0");
    builder_fails(rs_nn_module_reshape(2, (int[]){65536, 65536}, &err), &err,
                  "more than");
}

/* ---- scalar ------------------------------------------------------------ */

/* exp(scalar) * x: how a temperature is used. */
static rs_tensor *
build_scaled(rs_graph *g, rs_tensor *const *in, void *ud)
{
    const struct feat_ud *u = ud;
    rs_tensor *s = rs_nn_module_forward(u->m, g, in[0]);
    return rs_op_mul(g, in[0], rs_op_exp(g, s));
}

static void
test_scalar(void)
{
    struct rs_error err = {0};
    rs_nn_module *m = rs_nn_module_scalar(-0.25f, &err);
    tap_ok(m != NULL, "scalar(-0.25) builds: %s", err.msg);
    tap_is_str(rs_nn_module_kind(m), "scalar", "kind");
    tap_ok(rs_nn_module_in(m) == 0 && rs_nn_module_out(m) == 1,
           "in() 0, out() 1");
    rs_tensor *v = rs_nn_module_scalar_param(m);
    tap_ok(v != NULL && v == param0(m) && v->numel == 1 && v->data[0] == -0.25f,
           "scalar_param is \"value\" (1) = -0.25");
    tap_is_str(rs_nn_model_param_name(rs_nn_module_model(m), 0), "value",
               "named value");
    rs_tensor *x = tap_param(&rng, 2, (int[]){2, 3}, -1, 1);
    rs_graph *g = rs_graph_new();
    rs_tensor *y = rs_nn_module_forward(m, g, x);
    tap_ok(y != NULL && y->ndim == 1 && y->numel == 1 && y->data[0] == -0.25f,
           "forward ignores x and gives (1) = value");
    rs_graph_free(g);
    rs_tensor *in[2] = {x, v};
    tap_gradcheck("x * exp(scalar)", 2, in, build_scaled, &(struct feat_ud){m},
                  FD_H, FD_TOL);
    rs_tensor_release(x);
    rs_nn_module_release(m);

    m = rs_nn_module_act(RS_NN_MLP_ACT_RELU, 0, &err);
    tap_ok(rs_nn_module_scalar_param(m) == NULL,
           "scalar_param of another kind is NULL");
    rs_nn_module_release(m);
    builder_fails(rs_nn_module_scalar(NAN, &err), &err, "must be finite");
}

/* ---- sequentials: the two encoders ------------------------------------- */

static rs_nn_module *
seq(rs_nn_module **c, int n)
{
    struct rs_error err = {0};
    rs_nn_module *m = rs_nn_module_sequential(c, NULL, n, &err);
    if (m == NULL)
        tap_diag("  sequential: %s", err.msg);
    for (int i = 0; i < n; i++)
        rs_nn_module_release(c[i]);
    return m;
}

/* Every parameter of m plus the first extra inputs. */
static int
all_params(const rs_nn_module *m, rs_tensor **out, int max)
{
    rs_nn_model *model = rs_nn_module_model(m);
    int n = rs_nn_model_count(model);
    RS_ASSERT(n <= max);
    for (int i = 0; i < n; i++)
        out[i] = rs_nn_model_param(model, i);
    return n;
}

static void
test_text_encoder(void)
{
    /* embedding(V 6, h 4) -> tanh -> linear(4, 4) -> tanh -> linear(4, 3) */
    struct rs_error err = {0};
    rs_nn_module *c[5] = {
        rs_nn_module_embedding(6, 4, 1.0f, &rng, &err),
        rs_nn_module_act(RS_NN_MLP_ACT_TANH, 0, &err),
        rs_nn_module_linear(4, 4, true, RS_INIT_TORCH_DEFAULT, 1, &rng, &err),
        rs_nn_module_act(RS_NN_MLP_ACT_TANH, 0, &err),
        rs_nn_module_linear(4, 3, true, RS_INIT_TORCH_DEFAULT, 1, &rng, &err),
    };
    rs_nn_module *m = seq(c, 5);
    tap_ok(m != NULL, "embedding -> ... -> linear is a sequential");
    tap_ok(rs_nn_module_input_kind(m) == RS_NN_INPUT_TOKENS, "it takes tokens");
    tap_ok(rs_nn_module_in(m) == 0 && rs_nn_module_out(m) == 3,
           "in() 0 (ids), out() 3");
    tap_is_str(rs_nn_model_param_name(rs_nn_module_model(m), 0), "1.weight",
               "the table is \"1.weight\"");
    static const int ids[8] = {1, 2, 3, 0, 5, 5, 4, 0}; /* (2, 4) */
    rs_graph *g = rs_graph_new();
    unsigned long f0 = rs_nn_module_forwards(rs_nn_module_child(m, 0));
    rs_tensor *y = tokens_forward(g, m, ids, 2, 4);
    tap_ok(y != NULL && y->ndim == 3 && y->shape[0] == 2 && y->shape[1] == 4 &&
               y->shape[2] == 3,
           "ids (2, 4) -> (2, 4, 3)");
    tap_ok(rs_nn_module_forwards(rs_nn_module_child(m, 0)) == f0 + 1,
           "the embedding ran once");
    /* the same through the children by hand */
    rs_tensor *h = tokens_forward(g, rs_nn_module_child(m, 0), ids, 2, 4);
    for (int i = 1; i < 5; i++)
        h = rs_nn_module_forward(rs_nn_module_child(m, i), g, h);
    tap_ok(y != NULL && h != NULL && memcmp(y->data, h->data, 24 * 4) == 0,
           "= the children one after another");
    tap_ok(rs_nn_module_recorded(m, "2") != NULL,
           "the activations are recorded (layer \"2\")");
    rs_graph_free(g);

    rs_tensor *p[8];
    int np = all_params(m, p, 8);
    tap_is_int(np, 5, "five parameters");
    struct ids_ud u = {m, ids, 2, 4};
    tap_gradcheck("text encoder, every parameter", np, p, build_tokens, &u,
                  FD_H, FD_TOL);

    /* a feature sequential refuses tokens, naming itself */
    rs_nn_module *f[2] = {
        rs_nn_module_linear(4, 4, true, RS_INIT_TORCH_DEFAULT, 1, &rng, &err),
        rs_nn_module_act(RS_NN_MLP_ACT_RELU, 0, &err)};
    rs_nn_module *fm = seq(f, 2);
    g = rs_graph_new();
    tap_ok(tokens_forward(g, fm, ids, 2, 4) == NULL &&
               tap_graph_failed_with(g, "sequential: takes features",
                                     "was given tokens"),
           "a feature sequential refuses tokens");
    tap_ok(rs_nn_module_input_kind(fm) == RS_NN_INPUT_FEATURES &&
               rs_nn_module_in(fm) == 4,
           "and keeps its kind and in()");
    rs_graph_reset(g);
    static const int bad[8] = {1, 2, 3, 0, 5, 9, 4, 0};
    tap_ok(tokens_forward(g, m, bad, 2, 4) == NULL &&
               tap_graph_failed_with(g, "embedding: id 9 at (1, 1)", NULL),
           "a bad id through the sequential names the embedding");
    rs_graph_free(g);
    rs_nn_module_release(fm);
    rs_nn_module_release(m);

    /* sizes checked at construction: embedding d 4 then linear(5, ..) */
    rs_nn_module *bc[2] = {
        rs_nn_module_embedding(6, 4, 1.0f, &rng, &err),
        rs_nn_module_linear(5, 3, true, RS_INIT_TORCH_DEFAULT, 1, &rng, &err)};
    struct rs_error serr = {0};
    rs_nn_module *bm = rs_nn_module_sequential(bc, NULL, 2, &serr);
    tap_ok(bm == NULL && strstr(serr.msg, "takes 5 features but child 1 "
                                          "('1') gives 4") != NULL,
           "embedding d = 4 then linear(5, ...) is refused: %s", serr.msg);
    rs_nn_module_release(bc[0]);
    rs_nn_module_release(bc[1]);
}

static void
test_image_encoder(void)
{
    /* reshape(P 4, q 3) -> linear(3, 5) -> position(4, 5) -> tanh ->
     * linear(5, 5) -> tanh -> linear(5, 2): (B, 12) -> (B, 4, 2) */
    struct rs_error err = {0};
    rs_nn_module *c[7] = {
        rs_nn_module_reshape(2, (int[]){4, 3}, &err),
        rs_nn_module_linear(3, 5, true, RS_INIT_TORCH_DEFAULT, 1, &rng, &err),
        rs_nn_module_position(4, 5, 0.5f, &rng, &err),
        rs_nn_module_act(RS_NN_MLP_ACT_TANH, 0, &err),
        rs_nn_module_linear(5, 5, true, RS_INIT_TORCH_DEFAULT, 1, &rng, &err),
        rs_nn_module_act(RS_NN_MLP_ACT_TANH, 0, &err),
        rs_nn_module_linear(5, 2, true, RS_INIT_TORCH_DEFAULT, 1, &rng, &err),
    };
    rs_nn_module *m = seq(c, 7);
    tap_ok(m != NULL, "reshape -> linear -> position -> ... is a sequential");
    tap_ok(rs_nn_module_input_kind(m) == RS_NN_INPUT_FEATURES &&
               rs_nn_module_in(m) == 12 && rs_nn_module_out(m) == 2,
           "features, in() 12, out() 2");
    rs_tensor *x = tap_param(&rng, 2, (int[]){3, 12}, -1, 1);
    rs_graph *g = rs_graph_new();
    struct rs_nn_input in = {.kind = RS_NN_INPUT_FEATURES, .x = x};
    rs_tensor *y = rs_nn_module_forward_input(m, g, &in);
    tap_ok(y != NULL && y->ndim == 3 && y->shape[0] == 3 && y->shape[1] == 4 &&
               y->shape[2] == 2,
           "(3, 12) -> (3, 4, 2)");
    rs_graph_free(g);
    rs_tensor *p[16]; /* x first: build_feat feeds in[0] */
    p[0] = x;
    int np = 1 + all_params(m, p + 1, 15);
    tap_gradcheck("image encoder, every parameter and x", np, p, build_feat,
                  &(struct feat_ud){m}, FD_H, FD_TOL);
    rs_tensor_release(x);
    rs_nn_module_release(m);

    /* a patch size that does not fit the next linear */
    rs_nn_module *bc[2] = {
        rs_nn_module_reshape(2, (int[]){4, 3}, &err),
        rs_nn_module_linear(4, 5, true, RS_INIT_TORCH_DEFAULT, 1, &rng, &err)};
    struct rs_error serr = {0};
    rs_nn_module *bm = rs_nn_module_sequential(bc, NULL, 2, &serr);
    tap_ok(bm == NULL && strstr(serr.msg, "takes 4 features but child 1 "
                                          "('1') gives 3") != NULL,
           "reshape to (4, 3) then linear(4, ...) is refused: %s", serr.msg);
    rs_nn_module_release(bc[0]);
    rs_nn_module_release(bc[1]);
}

int
main(void)
{
    tap_plan_lazy();
    rs_rng_seed(&rng, 11);
    test_embedding();
    test_position();
    test_reshape();
    test_scalar();
    test_text_encoder();
    test_image_encoder();
    return tap_done();
}
