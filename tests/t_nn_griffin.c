/* repscope - MIT licence, see COPYING.
 *
 * t_nn_griffin.c: Hawk / Griffin / the MQA transformer (nn/griffin.h):
 * config defaults and errors, parameter names and count against a
 * formula, the init's a_param range, the recorded gate a_t in (0, 1), a
 * reset flag against a cut sequence, the decoder's logits against the
 * graph forward position by position (1e-5) for Hawk, Griffin (a ring
 * that wraps) and the global transformer (a cache that grows), state
 * bytes (flat for the recurrent and windowed layers, linear for window
 * 0), finite differences of a cross-entropy w.r.t. every parameter of
 * tiny models of each kind, sampling (greedy at temperature 0,
 * frequencies at 1 and 1/4) and the module interface.
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
#include "core/vecmath.h"
#include "nn/griffin.h"
#include "nn/model.h"
#include "nn/module.h"
#include "tests/gradcheck.h"
#include "tests/tap.h"

/* vocab 11, d 8, 2 heads of 4, lru 8, 3 layers, mlp x2, 3 taps. */
static struct rs_nn_griffin_config
tiny(const char *pattern, int window)
{
    struct rs_nn_griffin_config c;
    rs_nn_griffin_config_default(&c);
    c.vocab = 11;
    c.d = 8;
    c.heads = 2;
    c.layers = 3;
    c.mlp_mult = 2;
    c.conv_width = 3;
    c.window = window;
    snprintf(c.pattern, sizeof c.pattern, "%s", pattern);
    return c;
}

static rs_nn_griffin *
build(const struct rs_nn_griffin_config *c, uint64_t seed)
{
    struct rs_rng rng;
    rs_rng_seed(&rng, seed);
    struct rs_error err = {0};
    rs_nn_griffin *gf = rs_nn_griffin_new(c, &rng, &err);
    if (gf == NULL)
        tap_bail("rs_nn_griffin_new: %s", err.msg);
    return gf;
}

/* Noise on every parameter so biases and norm scales are not zero (a
 * decoder that skipped one would still agree at init). */
static void
scramble(rs_nn_griffin *gf, float amp, uint64_t seed)
{
    struct rs_rng rng;
    rs_rng_seed(&rng, seed);
    rs_nn_model *m = rs_nn_griffin_model(gf);
    for (int i = 0; i < rs_nn_model_count(m); i++) {
        rs_tensor *t = rs_nn_model_param(m, i);
        for (size_t k = 0; k < t->numel; k++)
            t->data[k] += amp * (rs_rng_uniform(&rng) - 0.5f);
    }
}

/* ---- config ------------------------------------------------------------ */

static void
test_config(void)
{
    struct rs_nn_griffin_config c;
    rs_nn_griffin_config_default(&c);
    struct rs_error err = {0};
    tap_is_str(c.pattern, "RRA", "pattern defaults to RRA");
    tap_ok(rs_nn_griffin_config_resolve(&c, &err) == RS_OK, "defaults resolve");
    tap_is_int(c.lru_width, 64, "lru_width defaults to d");
    tap_is_int(c.window, 32, "window defaults to 32");
    tap_ok(c.embed_scale && c.soft_cap == 0.0f, "embed_scale on, soft_cap off");

    c = tiny("RQ", 4);
    tap_ok(rs_nn_griffin_config_resolve(&c, &err) == RS_EINVAL &&
               strcmp(err.msg, "pattern \"RQ\": letter 2 is 'Q' (R or A "
                               "expected)") == 0,
           "bad pattern letter: %s", err.msg);
    c = tiny("R", 4);
    c.heads = 3;
    tap_ok(rs_nn_griffin_config_resolve(&c, &err) == RS_EINVAL &&
               strcmp(err.msg, "heads = 3 does not divide d = 8") == 0,
           "heads: %s", err.msg);
    c = tiny("R", 4);
    c.lru_width = 6;
    c.heads = 4;
    tap_ok(rs_nn_griffin_config_resolve(&c, &err) == RS_EINVAL &&
               strcmp(err.msg, "heads = 4 does not divide lru_width = 6") == 0,
           "lru_width: %s", err.msg);
    c = tiny("RA", 4);
    c.heads = 4;
    tap_ok(rs_nn_griffin_config_resolve(&c, &err) == RS_EINVAL &&
               strcmp(err.msg, "head size d / heads = 8 / 4 = 2 is not a "
                               "multiple of 4 (RoPE rotates pairs in the "
                               "first half of each head)") == 0,
           "attention head size: %s", err.msg);
    c = tiny("RRRA", 4);
    c.heads = 4;
    tap_ok(rs_nn_griffin_config_resolve(&c, &err) == RS_OK,
           "an A past the last layer is not used: any head size");
    c = tiny("R", 4);
    c.conv_width = 17;
    tap_ok(rs_nn_griffin_config_resolve(&c, &err) == RS_EINVAL &&
               strcmp(err.msg, "conv_width = 17 (must be in 1..16)") == 0,
           "conv_width: %s", err.msg);
    c = tiny("R", 4);
    c.soft_cap = -1.0f;
    tap_ok(rs_nn_griffin_config_resolve(&c, &err) == RS_EINVAL &&
               strstr(err.msg, "soft_cap = -1") == err.msg,
           "soft_cap: %s", err.msg);
}

/* ---- parameters -------------------------------------------------------- */

static void
test_params(void)
{
    struct rs_nn_griffin_config c = tiny("R", 4);
    c.lru_width = 12;
    c.heads = 2;
    rs_nn_griffin *gf = build(&c, 1);
    rs_nn_model *m = rs_nn_griffin_model(gf);
    size_t d = 8, L = 12, K = 3, w = 6, M = 16, V = 11;
    size_t rec =
        2 * (L * d + L) + K * L + L + 2 * (2 * w * w + L) + L + d * L + d;
    size_t layer = 2 * d + rec + 2 * (M * d + M) + d * M + d;
    tap_is_int((int)rs_nn_model_numel(m), (int)(V * d + 3 * layer + d),
               "hawk: parameter count by the formula");
    tap_ok(rs_nn_model_find(m, "h2.rec.gate_a.weight") >= 0 &&
               rs_nn_model_lookup(m, "h2.rec.gate_a.weight")->ndim == 3,
           "gate_a weight (heads, w, w)");
    tap_ok(rs_nn_model_find(m, "fnorm.scale") >= 0, "fnorm.scale");
    /* a = sqrt(u), u in [0.81, 0.998]: -log a = softplus(a_param) */
    const rs_tensor *ap = rs_nn_model_lookup(m, "h1.rec.a_param");
    bool in = true;
    for (size_t k = 0; k < ap->numel; k++) {
        double a = exp(-log1p(exp((double)ap->data[k])));
        in = in && a >= 0.9 - 1e-6 && a <= sqrt(0.998) + 1e-6;
    }
    tap_ok(in, "a_param: a = sigmoid(-a_param) in [0.9, sqrt(0.998)]");
    tap_ok(rs_nn_model_lookup(m, "h1.tnorm.scale")->data[0] == 0.0f &&
               rs_nn_model_lookup(m, "h1.rec.conv.bias")->data[0] == 0.0f,
           "norm scales and biases start at 0");
    rs_nn_griffin_free(gf);
}

/* ---- forward records ---------------------------------------------------- */

static void
test_gate_record(void)
{
    struct rs_nn_griffin_config c = tiny("R", 4);
    rs_nn_griffin *gf = build(&c, 2);
    scramble(gf, 0.5f, 3);
    enum { B = 2, T = 5 };
    int ids[B * T] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    rs_graph *g = rs_graph_new();
    rs_tensor *lg = rs_nn_griffin_forward(gf, g, ids, B, T, NULL);
    tap_ok(lg != NULL && lg->ndim == 3 && lg->shape[2] == 11,
           "forward: logits (B, T, V)");
    rs_tensor *a = rs_nn_griffin_gate(gf, 2);
    tap_ok(a != NULL && a->shape[0] == B && a->shape[1] == T &&
               a->shape[2] == 8,
           "a2 (B, T, lru)");
    bool ok = a != NULL;
    for (size_t i = 0; ok && i < a->numel; i++)
        ok = a->data[i] > 0.0f && a->data[i] < 1.0f;
    tap_ok(ok, "a_t in (0, 1)");
    tap_ok(rs_nn_griffin_layer_out(gf, 3) != NULL &&
               rs_nn_griffin_final(gf) != NULL &&
               rs_nn_griffin_embed(gf) != NULL &&
               rs_nn_griffin_gate(gf, 4) == NULL,
           "records h<l>, final, embed; none past the last layer");
    rs_graph_reset(g);
    ids[3] = 11;
    tap_ok(
        rs_nn_griffin_forward(gf, g, ids, B, T, NULL) == NULL &&
            tap_graph_failed_with(g, "id 11 at (0, 3) out of range", "[0, 11)"),
        "a bad id names its position");
    rs_graph_free(g);
    rs_nn_griffin_free(gf);
}

/* ---- decode against forward -------------------------------------------- */

/* Max |decode - forward| / max(1, |forward|) over every position of B
 * rows of T random ids; the state bytes after each position in sb[T]. */
static double
decode_gap(rs_nn_griffin *gf, int B, int T, uint64_t seed, size_t *sb)
{
    const struct rs_nn_griffin_config *c = rs_nn_griffin_config(gf);
    int V = c->vocab;
    int *ids = rs_xmalloc((size_t)B * T * sizeof *ids);
    struct rs_rng rng;
    rs_rng_seed(&rng, seed);
    for (int i = 0; i < B * T; i++)
        ids[i] = (int)rs_rng_below(&rng, (uint32_t)V);
    rs_graph *g = rs_graph_new();
    rs_graph_set_grad(g, false);
    rs_tensor *lg = rs_nn_griffin_forward(gf, g, ids, B, T, NULL);
    if (lg == NULL)
        tap_bail("forward: %s", rs_graph_error(g)->msg);
    struct rs_error err = {0};
    rs_nn_griffin_decoder *dec = rs_nn_griffin_decoder_new(gf, B, &err);
    int *col = rs_xmalloc((size_t)B * sizeof *col);
    double worst = 0.0;
    for (int t = 0; t < T; t++) {
        for (int b = 0; b < B; b++)
            col[b] = ids[b * T + t];
        if (rs_nn_griffin_decoder_step(dec, col, &err) != RS_OK)
            tap_bail("step: %s", err.msg);
        const float *dl = rs_nn_griffin_decoder_logits(dec);
        for (int b = 0; b < B; b++)
            for (int v = 0; v < V; v++) {
                double f = lg->data[((size_t)b * T + t) * V + v];
                double e = fabs((double)dl[(size_t)b * V + v] - f) /
                           fmax(1.0, fabs(f));
                worst = fmax(worst, e);
            }
        if (sb != NULL)
            sb[t] = rs_nn_griffin_decoder_state_bytes(dec);
    }
    free(col);
    rs_nn_griffin_decoder_free(dec);
    rs_graph_free(g);
    free(ids);
    return worst;
}

static void
test_decode_hawk(void)
{
    struct rs_nn_griffin_config c = tiny("R", 4);
    rs_nn_griffin *gf = build(&c, 4);
    scramble(gf, 0.5f, 5);
    enum { B = 2, T = 24 };
    size_t sb[T];
    double e = decode_gap(gf, B, T, 6, sb);
    tap_ok(e <= 1e-5, "hawk: decode logits = forward logits (worst %.2e)", e);
    size_t want = (size_t)B * 3 * (8 + 2 * 8) * 4;
    bool flat = true;
    for (int t = 0; t < T; t++)
        flat = flat && sb[t] == want;
    tap_ok(flat, "hawk: state bytes %zu at every position (want %zu)", sb[0],
           want);
    rs_nn_griffin_free(gf);

    c.soft_cap = 2.0f;
    c.embed_scale = false;
    gf = build(&c, 7);
    scramble(gf, 1.0f, 8);
    e = decode_gap(gf, 3, 9, 9, NULL);
    tap_ok(e <= 1e-5,
           "hawk, soft cap 2, no embed scale: decode = forward "
           "(worst %.2e)",
           e);
    rs_graph *g = rs_graph_new();
    rs_tensor *lg = rs_nn_griffin_forward(gf, g, (int[]){1, 2, 3}, 1, 3, NULL);
    bool capped = lg != NULL;
    for (size_t i = 0; capped && i < lg->numel; i++)
        capped = fabsf(lg->data[i]) < 2.0f;
    tap_ok(capped, "soft cap: |logits| < 2");
    rs_graph_free(g);
    rs_nn_griffin_free(gf);
}

/* Griffin with window 4 over 20 positions (the ring wraps 4 times) and
 * the global transformer over 70 (its cache grows past 64). */
static void
test_decode_attention(void)
{
    struct rs_nn_griffin_config c = tiny("RRA", 4);
    c.layers = 4; /* R R A R */
    rs_nn_griffin *gf = build(&c, 40);
    scramble(gf, 0.5f, 41);
    enum { B = 2, T = 20, TT = 70 };
    size_t sb[TT];
    double e = decode_gap(gf, B, T, 42, sb);
    tap_ok(e <= 1e-5,
           "griffin, window 4: decode logits = forward logits over %d "
           "positions (worst %.2e)",
           T, e);
    size_t rec = 3 * (8 + 2 * 8), hd = 4;
    bool ok = true;
    for (int t = 0; t < T; t++) {
        size_t keys = t + 1 < 4 ? (size_t)t + 1 : 4;
        ok = ok && sb[t] == (size_t)B * 4 * (rec + 2 * keys * hd);
    }
    tap_ok(ok, "griffin: state bytes grow for 4 positions, then stay at %zu",
           sb[T - 1]);
    tap_ok(sb[3] == sb[T - 1] && sb[2] < sb[3],
           "griffin: flat from position window on");
    rs_nn_griffin_free(gf);

    c = tiny("A", 0);
    c.layers = 2;
    gf = build(&c, 43);
    scramble(gf, 0.5f, 44);
    e = decode_gap(gf, B, TT, 45, sb);
    tap_ok(e <= 1e-5,
           "transformer, window 0: decode logits = forward logits over %d "
           "positions (worst %.2e)",
           TT, e);
    ok = true;
    for (int t = 0; t < TT; t++)
        ok = ok && sb[t] == (size_t)B * 2 * 2 * ((size_t)t + 1) * hd * 4;
    tap_ok(ok,
           "transformer: state bytes 2 layers x 2 (t + 1) hd floats, "
           "%zu at %d",
           sb[TT - 1], TT);
    rs_nn_griffin_free(gf);

    /* a window wider than the sequence is global attention */
    c = tiny("RA", 100);
    gf = build(&c, 46);
    scramble(gf, 0.5f, 47);
    e = decode_gap(gf, 1, 12, 48, NULL);
    tap_ok(e <= 1e-5,
           "window 100 over 12 positions: decode = forward "
           "(worst %.2e)",
           e);
    rs_nn_griffin_free(gf);
}

/* A reset flag at t restarts the recurrence there: the logits from t on
 * equal those of the sequence cut at t (Hawk: recurrent layers only). */
static void
test_reset(void)
{
    struct rs_nn_griffin_config c = tiny("R", 4);
    rs_nn_griffin *gf = build(&c, 10);
    scramble(gf, 0.5f, 11);
    int ids[8] = {3, 1, 4, 1, 5, 9, 2, 6};
    uint8_t reset[8] = {0, 0, 0, 1, 0, 0, 0, 0};
    rs_graph *g = rs_graph_new();
    rs_graph_set_grad(g, false);
    rs_tensor *a = rs_nn_griffin_forward(gf, g, ids, 1, 8, reset);
    rs_tensor *b = rs_nn_griffin_forward(gf, g, ids + 3, 1, 5, NULL);
    tap_ok(a != NULL && b != NULL, "forwards with and without reset");
    tap_is_floats(a->data + 3 * 11, b->data, 5 * 11, 1e-6, 1e-6,
                  "a reset at 3 = a sequence starting at 3");
    rs_graph_free(g);
    rs_nn_griffin_free(gf);
}

/* ---- gradients ---------------------------------------------------------- */

struct grad_case {
    rs_nn_griffin *gf;
    const int *ids, *targets;
    int B, T;
};

static rs_tensor *
build_loss(rs_graph *g, rs_tensor *const *in, void *ud)
{
    (void)in;
    struct grad_case *c = ud;
    rs_tensor *lg = rs_nn_griffin_forward(c->gf, g, c->ids, c->B, c->T, NULL);
    return rs_op_cross_entropy(g, lg, c->targets, NULL);
}

static void
gradcheck_model(const char *name, struct rs_nn_griffin_config *c, uint64_t seed)
{
    enum { B = 2, T = 5 };
    static const int ids[B * T] = {1, 3, 0, 4, 2, 2, 4, 1, 7, 10};
    static const int tgt[B * T] = {3, 0, 4, 2, 9, 4, 1, 7, 10, 5};
    rs_nn_griffin *gf = build(c, seed);
    scramble(gf, 0.6f, seed + 1);
    rs_nn_model *m = rs_nn_griffin_model(gf);
    struct grad_case gc = {gf, ids, tgt, B, T};
    tap_gradcheck(name, rs_nn_model_count(m), rs_nn_model_params(m), build_loss,
                  &gc, 1e-2, 2e-2);
    rs_nn_griffin_free(gf);
}

static void
test_gradients(void)
{
    struct rs_nn_griffin_config c = tiny("R", 4);
    c.layers = 2;
    c.d = 4;
    c.lru_width = 4;
    c.soft_cap = 3.0f;
    gradcheck_model("hawk: d CE / d every parameter", &c, 20);
    c = tiny("RA", 2);
    c.layers = 2;
    c.rope_base = 3.0f;
    gradcheck_model("griffin (R, A window 2): d CE / d every parameter", &c,
                    21);
    c = tiny("A", 0);
    c.layers = 1;
    c.embed_scale = false;
    gradcheck_model("transformer (A, global): d CE / d every parameter", &c,
                    22);
}

/* ---- sampling ----------------------------------------------------------- */

static void
test_sample(void)
{
    struct rs_rng rng;
    rs_rng_seed(&rng, 1);
    float lg[4] = {0.5f, 2.0f, 2.0f, -1.0f};
    tap_is_int(rs_nn_griffin_sample(lg, 4, 0.0f, &rng), 1,
               "temperature 0: the first maximum");
    float two[2] = {0.0f, logf(3.0f)};
    int n1 = 0, N = 4000;
    for (int i = 0; i < N; i++)
        n1 += rs_nn_griffin_sample(two, 2, 1.0f, &rng);
    tap_ok(fabs(n1 / (double)N - 0.75) < 0.03,
           "temperature 1: p(1) = 3/4 (drew %d of %d)", n1, N);
    n1 = 0;
    for (int i = 0; i < N; i++)
        n1 += rs_nn_griffin_sample(two, 2, 0.25f, &rng);
    /* p(1) = 3^4 / (1 + 3^4) = 81/82 */
    tap_ok(fabs(n1 / (double)N - 81.0 / 82.0) < 0.01,
           "temperature 1/4 sharpens: p(1) = 81/82 (drew %d of %d)", n1, N);
}

/* ---- decoder errors, module --------------------------------------------- */

static void
test_decoder_api(void)
{
    struct rs_nn_griffin_config c = tiny("R", 4);
    rs_nn_griffin *gf = build(&c, 30);
    struct rs_error err = {0};
    tap_ok(rs_nn_griffin_decoder_new(gf, 0, &err) == NULL &&
               strcmp(err.msg, "batch = 0 (must be in 1..1048576)") == 0,
           "decoder: batch 0: %s", err.msg);
    rs_nn_griffin_decoder *dec = rs_nn_griffin_decoder_new(gf, 2, &err);
    tap_ok(rs_nn_griffin_decoder_logits(dec) == NULL &&
               rs_nn_griffin_decoder_pos(dec) == 0,
           "a new decoder: no logits, position 0");
    tap_ok(rs_nn_griffin_decoder_step(dec, (int[]){1, 11}, &err) == RS_EINVAL &&
               strcmp(err.msg, "id 11 of row 1 out of range [0, 11)") == 0 &&
               rs_nn_griffin_decoder_pos(dec) == 0,
           "step: a bad id: %s", err.msg);
    int ids[6] = {1, 2, 3, 4, 5, 6};
    tap_ok(rs_nn_griffin_decoder_prompt(dec, ids, 3, &err) == RS_OK &&
               rs_nn_griffin_decoder_pos(dec) == 3,
           "prompt of 3 tokens: position 3");
    float keep[11];
    memcpy(keep, rs_nn_griffin_decoder_logits(dec) + 11, sizeof keep);
    rs_nn_griffin_decoder_reset(dec);
    tap_ok(rs_nn_griffin_decoder_pos(dec) == 0, "reset: position 0");
    tap_ok(rs_nn_griffin_decoder_prompt(dec, ids, 3, &err) == RS_OK,
           "prompt again");
    tap_is_floats(rs_nn_griffin_decoder_logits(dec) + 11, keep, 11, 0.0, 0.0,
                  "after a reset the same prompt gives the same logits");
    rs_nn_griffin_decoder_free(dec);
    rs_nn_griffin_free(gf);

    struct rs_rng rng;
    rs_rng_seed(&rng, 1);
    rs_nn_module *m = rs_nn_module_griffin(&c, &rng, &err);
    tap_ok(m != NULL && strcmp(rs_nn_module_kind(m), "griffin") == 0 &&
               rs_nn_module_input_kind(m) == RS_NN_INPUT_TOKENS &&
               rs_nn_module_out(m) == 11 && rs_nn_module_layers(m) == 3,
           "module: kind griffin, tokens, out = vocab, 3 layers");
    rs_graph *g = rs_graph_new();
    struct rs_nn_input in = {
        .kind = RS_NN_INPUT_TOKENS, .ids = ids, .B = 2, .T = 3};
    rs_tensor *lg = rs_nn_module_forward_input(m, g, &in);
    tap_ok(lg != NULL && rs_nn_module_recorded(m, "logits") == lg &&
               rs_nn_module_recorded(m, "a1") != NULL &&
               rs_nn_module_recorded(m, "h3") != NULL &&
               rs_nn_module_recorded(m, "a4") == NULL &&
               rs_nn_module_layer_act(m, 0) == rs_nn_module_recorded(m, "h1"),
           "module: recorded logits, a1, h3, layer h1");
    tap_ok(rs_nn_module_as_griffin(m) != NULL, "module: as_griffin");
    rs_graph_free(g);
    rs_nn_module_release(m);
}

int
main(void)
{
    tap_plan_lazy();
    test_config();
    test_params();
    test_gate_record();
    test_decode_hawk();
    test_decode_attention();
    test_reset();
    test_gradients();
    test_sample();
    test_decoder_api();
    return tap_done();
}
