/* repscope - MIT licence, see COPYING.
 *
 * t_algo_objectives.c: next_token and the regularisers (l2_anchor, ewc,
 * kl_teacher) against known answers. next_token equals a hand loop of -log
 * softmax over every position but the last of a tiny transformer's logits
 * and its gradient passes a finite-difference check; l2_anchor adds
 * nothing at the anchor and lambda/2 |d|^2 off it, with gradient lambda d;
 * ewc adds lambda/2 sum F d^2 (gradient lambda F d) for a Fisher given by
 * hand, also after keep_units cut anchor and Fisher like a surgery cut the
 * parameters; kl_teacher adds nothing for a teacher equal to the student
 * (features and tokens, directly and through a wrapper), beta tau^2 KL in
 * closed form for a two-class case, and something positive for another
 * teacher; each total gradient passes a finite-difference check. Then
 * learners: next_token trains a tiny transformer on a corpus (the test
 * loss falls), and ewc (Fisher from rs_objective_prepare) keeps an MLP
 * closer to its task-A parameters than plain classify while it learns task
 * B (and forgets less of task A); a learner on kl_teacher(ewc(classify))
 * resumes from a checkpoint bit for bit. Also: checkpoint tensor names and
 * state words, and refusals with messages naming the problem.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo/learner.h"
#include "algo/objective.h"
#include "core/graph.h"
#include "core/rng.h"
#include "data/dataset.h"
#include "data/source.h"
#include "nn/module.h"
#include "nn/transformer.h"
#include "run/ckpt.h"
#include "run/ckpt_learner.h"
#include "tests/gradcheck.h"
#include "tests/learn_fixture.h"
#include "tests/obj_fixture.h"
#include "tests/tap.h"

/* ---- fixtures ---------------------------------------------------------- */

/* The transformers of these tests: one layer, out = vocab. */
static rs_nn_module *
transformer(int vocab, int ctx, uint64_t seed)
{
    struct rs_nn_transformer_config c =
        tap_transformer_config(vocab, ctx, 1, 0);
    return tap_transformer(&c, seed);
}

/* An unlabelled tokens batch of n windows of W ids < vocab. */
static void
tokens_batch(struct rs_batch *b, int n, int W, int vocab, uint64_t seed)
{
    struct rs_rng r;
    rs_rng_seed(&r, seed);
    struct rs_error err = {0};
    rs_batch_init(b);
    if (rs_batch_reserve(b, 0, RS_NN_INPUT_TOKENS, n, W, false, &err) != RS_OK)
        tap_bail("batch: %s", err.msg);
    for (int i = 0; i < n * W; i++)
        b->in[0].ids[i] = (int)rs_rng_below(&r, (uint32_t)vocab);
}

/* Every parameter of m moved by d = uniform [-s, s); d kept in out
 * (numel floats in registry order). */
static void
perturb(rs_nn_module *m, float s, uint64_t seed, float *out)
{
    struct rs_rng r;
    rs_rng_seed(&r, seed);
    const rs_nn_model *p = rs_nn_module_model(m);
    size_t o = 0;
    for (int i = 0; i < rs_nn_model_count(p); i++) {
        rs_tensor *t = rs_nn_model_param(p, i);
        for (size_t j = 0; j < t->numel; j++, o++) {
            float d = s * (2.0f * rs_rng_uniform(&r) - 1.0f);
            t->data[j] += d;
            out[o] = d;
        }
    }
}

/* Gradients of every parameter of m after backward of o's loss, into
 * grad (numel floats). */
static int
grads_of(rs_objective *o, rs_nn_module *m, const struct rs_batch *b,
         float *grad)
{
    rs_nn_model *p = rs_nn_module_model(m);
    rs_nn_model_zero_grad(p);
    rs_graph *g = rs_graph_new();
    struct rs_error err = {0};
    rs_tensor *l = tap_obj_run(o, g, m, b, NULL, NULL);
    int rc = l != NULL ? rs_graph_backward(g, l, &err) : RS_EINVAL;
    size_t k = 0;
    for (int i = 0; i < rs_nn_model_count(p); i++) {
        const rs_tensor *t = rs_nn_model_param(p, i);
        for (size_t j = 0; j < t->numel; j++)
            grad[k++] = t->grad[j];
    }
    rs_nn_model_zero_grad(p);
    rs_graph_free(g);
    return rc;
}

/* ---- next_token -------------------------------------------------------- */

static void
test_next_token(void)
{
    enum { N = 3, W = 6, V = 7 };
    struct rs_error err = {0};
    rs_nn_module *m = transformer(V, W, 11);
    struct rs_batch b;
    tokens_batch(&b, N, W, V, 5);
    struct rs_source_info si = tap_obj_info(&b, V, 0);
    rs_objective *o = rs_objective_next_token(&err);
    tap_ok(o != NULL && tap_obj_check(o, m, &si, &err) == RS_OK,
           "next_token accepts a transformer on %d-token windows (%s)", W,
           err.msg);

    rs_graph *g = rs_graph_new();
    struct rs_obj_stats st;
    rs_tensor *out = NULL;
    rs_tensor *l = tap_obj_run(o, g, m, &b, &st, &out);
    tap_ok(l != NULL && out != NULL && out->ndim == 3 && out->shape[0] == N &&
               out->shape[1] == W - 1 && out->shape[2] == V,
           "next_token: c->out is the scored logits (%d, %d, %d)", N, W - 1, V);
    double got = l != NULL ? (double)l->data[0] : (double)NAN;

    /* By hand: the whole window through the module, -log softmax of the
     * next id at every position but the last, in double. */
    rs_graph *h = rs_graph_new();
    rs_graph_set_grad(h, false);
    struct rs_nn_input in = {
        .kind = RS_NN_INPUT_TOKENS, .ids = b.in[0].ids, .B = N, .T = W};
    rs_tensor *lg = rs_nn_module_forward_input(m, h, &in);
    double want = 0.0;
    int correct = 0;
    for (int i = 0; lg != NULL && i < N; i++)
        for (int t = 0; t < W - 1; t++) {
            const float *row = lg->data + ((size_t)i * W + (size_t)t) * V;
            int next = b.in[0].ids[i * W + t + 1], best = 0;
            double mx = row[0], s = 0.0;
            for (int v = 1; v < V; v++) {
                mx = fmax(mx, (double)row[v]);
                best = row[v] > row[best] ? v : best;
            }
            for (int v = 0; v < V; v++)
                s += exp((double)row[v] - mx);
            want += mx + log(s) - (double)row[next];
            correct += best == next;
        }
    want /= (double)(N * (W - 1));
    tap_is_float(got, want, 1e-5, 1e-5,
                 "next_token loss = mean -log softmax over %d positions",
                 N * (W - 1));
    tap_ok(st.count == N * (W - 1) && st.correct == correct,
           "next_token scores %g predictions, %g right (by hand %d)", st.count,
           st.correct, correct);
    rs_graph_free(h);
    rs_graph_free(g);
    tap_obj_gradcheck("next_token", o, m, &b);

    /* Refusals: a feature source, a window of one token, a small ctx. */
    struct rs_source_info bad = si;
    bad.kind[0] = RS_NN_INPUT_FEATURES;
    int rc = tap_obj_check(o, m, &bad, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "features") != NULL,
           "next_token refuses a feature source: %s", err.msg);
    bad = si;
    bad.width[0] = 1;
    rc = tap_obj_check(o, m, &bad, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "1 token") != NULL,
           "next_token refuses 1-token windows: %s", err.msg);
    bad = si;
    bad.width[0] = W + 1;
    rc = tap_obj_check(o, m, &bad, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "ctx is 6") != NULL,
           "next_token refuses windows longer than ctx: %s", err.msg);
    rs_objective_release(o);
    rs_batch_fini(&b);
    rs_nn_module_release(m);
}

/* ---- l2_anchor and ewc ------------------------------------------------- */

static void
test_l2_anchor(void)
{
    enum { IN = 3, C = 4, N = 5 };
    const double lambda = 0.7;
    struct rs_error err = {0};
    rs_nn_module *m = tap_linear(IN, C, RS_INIT_NORMAL, 0.5f, 3);
    struct rs_batch b;
    tap_features_batch(&b, N, IN, C, 9);
    struct rs_source_info si = tap_obj_info(&b, 0, C);
    rs_objective *base = tap_classify();
    rs_objective *o = rs_objective_l2_anchor(base, lambda, &err);
    tap_ok(o != NULL && tap_obj_check(o, m, &si, &err) == RS_OK &&
               tap_obj_check(base, m, &si, &err) == RS_OK,
           "l2_anchor over classify checks (%s)", err.msg);
    double lb = tap_obj_loss(base, m, &b), lt = tap_obj_loss(o, m, &b);
    tap_ok(lt == lb, "l2_anchor at the anchor: the base loss exactly (%.9g)",
           lt);

    size_t n = rs_nn_model_numel(rs_nn_module_model(m));
    float *d = calloc(n, sizeof *d), *gt = calloc(n, sizeof *gt),
          *gb = calloc(n, sizeof *gb);
    perturb(m, 0.3f, 17, d);
    double sq = 0.0;
    for (size_t i = 0; i < n; i++)
        sq += (double)d[i] * (double)d[i];
    lb = tap_obj_loss(base, m, &b);
    lt = tap_obj_loss(o, m, &b);
    tap_is_float(lt - lb, lambda / 2.0 * sq, 1e-5, 1e-4,
                 "l2_anchor off the anchor adds lambda/2 |d|^2");
    int rc = grads_of(o, m, &b, gt) | grads_of(base, m, &b, gb);
    double worst = 0.0;
    for (size_t i = 0; i < n; i++)
        worst =
            fmax(worst, fabs((double)(gt[i] - gb[i]) - lambda * (double)d[i]));
    tap_ok(rc == RS_OK && worst < 1e-5,
           "l2_anchor adds lambda d to the gradient (max error %.2g)", worst);
    tap_obj_gradcheck("l2_anchor total", o, m, &b);

    /* Re-anchoring makes the term vanish again. */
    rc = rs_objective_reanchor(o, rs_nn_module_model(m), &err);
    tap_ok(rc == RS_OK && tap_obj_loss(o, m, &b) == tap_obj_loss(base, m, &b),
           "reanchor: the anchor is the current parameters");
    rc = rs_objective_reanchor(base, rs_nn_module_model(m), &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "no anchor") != NULL,
           "reanchor of classify refused: %s", err.msg);

    /* A model of other shapes no longer fits the anchor. */
    rs_nn_module *m2 = tap_linear(IN, C + 1, RS_INIT_NORMAL, 0.5f, 3);
    si.classes = C + 1;
    rc = tap_obj_check(o, m2, &si, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "re-anchor") != NULL &&
               strstr(err.msg, "weight") != NULL,
           "l2_anchor refuses parameters of other shapes: %s", err.msg);
    free(d);
    free(gt);
    free(gb);
    rs_objective_release(o);
    rs_objective_release(base);
    rs_batch_fini(&b);
    rs_nn_module_release(m);
    rs_nn_module_release(m2);
}

static void
test_ewc(void)
{
    enum { IN = 3, C = 4, N = 5 };
    const double lambda = 1.3;
    struct rs_error err = {0};
    rs_nn_module *m = tap_linear(IN, C, RS_INIT_NORMAL, 0.5f, 4);
    rs_nn_model *p = rs_nn_module_model(m);
    struct rs_batch b;
    tap_features_batch(&b, N, IN, C, 10);
    struct rs_source_info si = tap_obj_info(&b, 0, C);
    rs_objective *base = tap_classify();
    rs_objective *o = rs_objective_ewc(base, lambda, 0, &err);
    int rc = tap_obj_check(o, m, &si, &err);
    tap_ok(rc == RS_OK, "ewc over classify checks (%s)", err.msg);

    /* No Fisher yet: the loss says so. */
    rs_graph *g = rs_graph_new();
    rs_tensor *l = tap_obj_run(o, g, m, &b, NULL, NULL);
    tap_ok(l == NULL && tap_graph_failed_with(g, "no Fisher", NULL),
           "ewc without a Fisher fails with a message");
    rs_graph_free(g);

    int np = rs_nn_model_count(p);
    rs_tensor **f = calloc((size_t)np, sizeof *f);
    struct rs_rng r;
    rs_rng_seed(&r, 23);
    for (int i = 0; i < np; i++)
        f[i] = tap_filled(&r, rs_nn_model_param(p, i)->ndim,
                          rs_nn_model_param(p, i)->shape, 0.0f, 2.0f);
    rc = rs_objective_ewc_set_fisher(o, f, np, &err);
    tap_ok(rc == RS_OK, "ewc: a Fisher set by hand (%s)", err.msg);
    double lb = tap_obj_loss(base, m, &b);
    tap_ok(tap_obj_loss(o, m, &b) == lb, "ewc at the anchor: the base loss exactly");

    size_t n = rs_nn_model_numel(p);
    float *d = calloc(n, sizeof *d), *gt = calloc(n, sizeof *gt),
          *gb = calloc(n, sizeof *gb), *fl = calloc(n, sizeof *fl);
    perturb(m, 0.4f, 29, d);
    double want = 0.0;
    size_t k = 0;
    for (int i = 0; i < np; i++)
        for (size_t j = 0; j < f[i]->numel; j++, k++) {
            fl[k] = f[i]->data[j];
            want += (double)fl[k] * (double)d[k] * (double)d[k];
        }
    want *= lambda / 2.0;
    lb = tap_obj_loss(base, m, &b);
    tap_is_float(tap_obj_loss(o, m, &b) - lb, want, 1e-5, 1e-4,
                 "ewc adds lambda/2 sum F d^2 (%.6g)", want);
    rc = grads_of(o, m, &b, gt) | grads_of(base, m, &b, gb);
    double worst = 0.0;
    for (size_t i = 0; i < n; i++)
        worst = fmax(worst, fabs((double)(gt[i] - gb[i]) -
                                 lambda * (double)fl[i] * (double)d[i]));
    tap_ok(rc == RS_OK && worst < 1e-5,
           "ewc adds lambda F d to the gradient (max error %.2g)", worst);
    tap_obj_gradcheck("ewc total", o, m, &b);

    /* Checkpoint tensors and words. */
    int nt = rs_objective_tensors(o);
    const char *name0 = NULL, *name_f = NULL;
    rs_tensor *t0 = rs_objective_tensor(o, 0, &name0);
    rs_tensor *tf = rs_objective_tensor(o, np, &name_f);
    tap_ok(nt == 2 * np && t0 != NULL && tf != NULL &&
               strcmp(name0, "ewc.anchor.weight") == 0 &&
               strcmp(name_f, "ewc.fisher.weight") == 0 &&
               memcmp(tf->data, f[0]->data, tf->numel * sizeof(float)) == 0,
           "ewc tensors: %d, \"%s\", \"%s\"", nt, name0 ? name0 : "?",
           name_f ? name_f : "?");
    rs_objective *o2 = rs_objective_ewc(base, lambda, 0, &err);
    rs_objective *o3 = rs_objective_ewc(o2, lambda, 0, &err);
    rc = tap_obj_check(o3, m, &si, &err);
    const char *nn = NULL;
    rs_objective_tensor(o3, 0, &nn);
    tap_ok(rc == RS_OK && rs_objective_tensors(o3) == 4 * np && nn != NULL &&
               strcmp(nn, "ewc2.anchor.weight") == 0,
           "ewc over ewc: the outer one's tensors are \"%s\"", nn ? nn : "?");
    size_t nw = rs_objective_state_words(o);
    uint64_t *w = calloc(nw, sizeof *w);
    rs_objective_state_save(o, w);
    rc = rs_objective_state_load(o2, w, nw, &err);
    g = rs_graph_new();
    l = tap_obj_run(o2, g, m, &b, NULL, NULL);
    tap_ok(rc == RS_OK && l != NULL,
           "ewc state words carry \"the Fisher is set\" (%zu words)", nw);
    rs_graph_free(g);
    w[0] ^= 1;
    rc = rs_objective_state_load(o2, w, nw, &err);
    tap_ok(rc == RS_EFORMAT && strstr(err.msg, "ewc") != NULL,
           "ewc refuses another state: %s", err.msg);
    rc = rs_objective_ewc_set_fisher(base, f, np, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "not ewc") != NULL,
           "set_fisher on classify refused: %s", err.msg);
    f[0]->data[0] = -1.0f;
    rc = rs_objective_ewc_set_fisher(o, f, np, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, ">= 0") != NULL,
           "a negative Fisher refused: %s", err.msg);
    for (int i = 0; i < np; i++)
        rs_tensor_release(f[i]);
    free(f);
    free(w);
    free(d);
    free(gt);
    free(gb);
    free(fl);
    rs_objective_release(o3);
    rs_objective_release(o2);
    rs_objective_release(o);
    rs_objective_release(base);
    rs_batch_fini(&b);
    rs_nn_module_release(m);
}

/* After a surgery: rs_objective_keep_units cuts anchor and Fisher like
 * the parameters were cut, and the term is computed on the smaller
 * parameters (rows 0 and 2 of a (4, 3) weight and its bias kept). */
static void
test_keep_units(void)
{
    enum { IN = 3, C = 4, N = 5 };
    const double lambda = 0.9;
    struct rs_error err = {0};
    rs_nn_module *m = tap_linear(IN, C, RS_INIT_NORMAL, 0.5f, 14);
    rs_nn_model *p = rs_nn_module_model(m);
    struct rs_batch b;
    tap_features_batch(&b, N, IN, C, 15);
    struct rs_source_info si = tap_obj_info(&b, 0, C);
    rs_objective *base = tap_classify();
    rs_objective *o = rs_objective_ewc(base, lambda, 0, &err);
    int rc = tap_obj_check(o, m, &si, &err);
    rs_tensor *f[2];
    struct rs_rng r;
    rs_rng_seed(&r, 16);
    for (int i = 0; i < 2; i++)
        f[i] = tap_filled(&r, rs_nn_model_param(p, i)->ndim,
                          rs_nn_model_param(p, i)->shape, 0.5f, 1.5f);
    if (rc == RS_OK)
        rc = rs_objective_ewc_set_fisher(o, f, 2, &err);
    const int keep[2] = {0, 2};
    int iw = rs_nn_model_find(p, "weight"), ib = rs_nn_model_find(p, "bias");
    if (rc == RS_OK)
        rc = rs_objective_keep_units(o, iw, 0, keep, 2, &err);
    if (rc == RS_OK)
        rc = rs_objective_keep_units(o, ib, 0, keep, 2, &err);
    tap_ok(rc == RS_OK, "keep_units on weight rows and bias (%s)", err.msg);

    /* The cut parameters, moved by 0.1 each. */
    rs_nn_model *cut = rs_nn_model_new("cut");
    rs_tensor *w = rs_nn_model_add(cut, "weight", 2, (int[]){2, IN}, &err);
    rs_tensor *bi = rs_nn_model_add(cut, "bias", 1, (int[]){2}, &err);
    const rs_tensor *w0 = rs_nn_model_param(p, iw),
                    *b0 = rs_nn_model_param(p, ib);
    double want = 0.0;
    for (int k = 0; k < 2; k++) {
        for (int j = 0; j < IN; j++) {
            w->data[k * IN + j] = w0->data[keep[k] * IN + j] + 0.1f;
            want += (double)f[iw]->data[keep[k] * IN + j];
        }
        bi->data[k] = b0->data[keep[k]] + 0.1f;
        want += (double)f[ib]->data[keep[k]];
    }
    want *= lambda / 2.0 * 0.1 * 0.1;
    rs_nn_module *mods[1] = {m};
    struct rs_obj_ctx c = {.g = rs_graph_new(),
                           .modules = mods,
                           .nmodules = 1,
                           .params = cut,
                           .batch = &b,
                           .train = true};
    struct rs_obj_stats st;
    rs_tensor *lt = rs_objective_loss(o, &c, &st);
    double got = lt != NULL ? (double)lt->data[0] : (double)NAN;
    rs_graph_reset(c.g);
    c.params = p;
    rs_tensor *lb = rs_objective_loss(base, &c, &st);
    got -= lb != NULL ? (double)lb->data[0] : (double)NAN;
    tap_is_float(got, want, 1e-6, 1e-3,
                 "ewc on the cut parameters: lambda/2 sum F d^2 over the kept "
                 "rows (%.6g)",
                 want);
    const int bad[1] = {4};
    rc = rs_objective_keep_units(o, iw, 0, bad, 1, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "outside 0..1") != NULL,
           "keep_units refuses a slice out of range: %s", err.msg);
    rc = rs_objective_keep_units(base, 0, 0, keep, 2, &err);
    tap_ok(rc == RS_OK, "keep_units on classify: nothing to cut");
    rs_graph_free(c.g);
    rs_nn_model_free(cut);
    for (int i = 0; i < 2; i++)
        rs_tensor_release(f[i]);
    rs_objective_release(o);
    rs_objective_release(base);
    rs_batch_fini(&b);
    rs_nn_module_release(m);
}

/* ---- kl_teacher -------------------------------------------------------- */

static void
test_kl_teacher(void)
{
    enum { IN = 3, C = 4, N = 5 };
    const double beta = 0.8, tau = 2.0;
    struct rs_error err = {0};
    rs_nn_module *m = tap_linear(IN, C, RS_INIT_NORMAL, 0.5f, 6),
                 *copy = tap_linear(IN, C, RS_INIT_NORMAL, 0.5f, 6),
                 *other = tap_linear(IN, C, RS_INIT_NORMAL, 0.5f, 7);
    struct rs_batch b;
    tap_features_batch(&b, N, IN, C, 12);
    struct rs_source_info si = tap_obj_info(&b, 0, C);
    rs_objective *base = tap_classify();
    rs_objective *same = rs_objective_kl_teacher(base, copy, beta, tau, &err);
    rs_objective *diff = rs_objective_kl_teacher(base, other, beta, tau, &err);
    int rc = tap_obj_check(same, m, &si, &err) | tap_obj_check(diff, m, &si, &err);
    tap_ok(rc == RS_OK, "kl_teacher checks (%s)", err.msg);
    double lb = tap_obj_loss(base, m, &b);
    tap_ok(tap_obj_loss(same, m, &b) == lb,
           "kl_teacher with the student's copy: the base loss exactly");
    double extra = tap_obj_loss(diff, m, &b) - lb;
    tap_ok(extra > 1e-4, "kl_teacher with another teacher adds %.4g > 0",
           extra);
    tap_obj_gradcheck("kl_teacher total", diff, m, &b);

    /* Through a wrapper: kl_teacher(l2_anchor(classify)) at the anchor. */
    rs_objective *l2 = rs_objective_l2_anchor(base, 0.5, &err);
    rs_objective *kl2 = rs_objective_kl_teacher(l2, copy, beta, tau, &err);
    rc = tap_obj_check(kl2, m, &si, &err);
    tap_ok(rc == RS_OK && tap_obj_loss(kl2, m, &b) == lb,
           "kl_teacher over l2_anchor: the teacher runs through classify");
    const char *name = NULL;
    rs_objective_tensor(kl2, 0, &name);
    tap_ok(rs_objective_tensors(kl2) == 4 && name != NULL &&
               strcmp(name, "kl_teacher.teacher.weight") == 0,
           "kl_teacher tensors: the teacher's, then the anchor (\"%s\")",
           name ? name : "?");

    /* Closed form: student all zeros (q uniform), teacher logits (0, a):
     * KL = log 2 + p log p + (1 - p) log (1 - p), p = 1 / (1 + e^(a/tau)). */
    rs_nn_module *s2 = tap_linear(IN, 2, RS_INIT_NORMAL, 0.5f, 1),
                 *t2 = tap_linear(IN, 2, RS_INIT_NORMAL, 0.5f, 2);
    const float a = 1.7f;
    for (int i = 0; i < 2; i++) {
        rs_tensor *w = rs_nn_model_param(rs_nn_module_model(s2), i);
        memset(w->data, 0, w->numel * sizeof(float));
        w = rs_nn_model_param(rs_nn_module_model(t2), i);
        memset(w->data, 0, w->numel * sizeof(float));
    }
    rs_nn_model_lookup(rs_nn_module_model(t2), "bias")->data[1] = a;
    struct rs_batch b2;
    tap_features_batch(&b2, N, IN, 2, 13);
    struct rs_source_info si2 = tap_obj_info(&b2, 0, 2);
    rs_objective *kl = rs_objective_kl_teacher(base, t2, beta, tau, &err);
    rc = tap_obj_check(kl, s2, &si2, &err);
    double p = 1.0 / (1.0 + exp((double)a / tau));
    double want =
        beta * tau * tau * (log(2.0) + p * log(p) + (1.0 - p) * log(1.0 - p));
    tap_is_float(tap_obj_loss(kl, s2, &b2) - tap_obj_loss(base, s2, &b2), want, 1e-6,
                 1e-4, "kl_teacher = beta tau^2 KL in closed form (%.6g)",
                 want);

    /* The teacher must not be trained by the learner. */
    rs_objective *self = rs_objective_kl_teacher(base, m, beta, tau, &err);
    rc = tap_obj_check(self, m, &si, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "frozen") != NULL,
           "kl_teacher refuses the student as teacher: %s", err.msg);
    rs_objective *bad = rs_objective_kl_teacher(base, copy, 1.0, 0.0, &err);
    tap_ok(bad == NULL && strstr(err.msg, "tau = 0") != NULL,
           "kl_teacher refuses tau = 0: %s", err.msg);

    /* Tokens: next_token base, a transformer and its copy. */
    rs_nn_module *tm = transformer(7, 6, 31), *tc = transformer(7, 6, 31);
    struct rs_batch bt;
    tokens_batch(&bt, 3, 6, 7, 8);
    struct rs_source_info sit = tap_obj_info(&bt, 7, 0);
    rs_objective *nt = rs_objective_next_token(&err);
    rs_objective *klt = rs_objective_kl_teacher(nt, tc, beta, tau, &err);
    rc = tap_obj_check(klt, tm, &sit, &err);
    double ln = tap_obj_loss(nt, tm, &bt);
    tap_ok(rc == RS_OK && tap_obj_loss(klt, tm, &bt) == ln && isfinite(ln),
           "kl_teacher over next_token with the model's copy adds nothing");
    rs_objective_release(klt);
    rs_objective_release(nt);
    rs_batch_fini(&bt);
    rs_nn_module_release(tm);
    rs_nn_module_release(tc);
    rs_objective_release(self);
    rs_objective_release(kl);
    rs_batch_fini(&b2);
    rs_nn_module_release(s2);
    rs_nn_module_release(t2);
    rs_objective_release(kl2);
    rs_objective_release(l2);
    rs_objective_release(same);
    rs_objective_release(diff);
    rs_objective_release(base);
    rs_batch_fini(&b);
    rs_nn_module_release(m);
    rs_nn_module_release(copy);
    rs_nn_module_release(other);
}

/* ---- learners ---------------------------------------------------------- */

static void
test_learner_next_token(void)
{
    enum { V = 8, T = 8, LEN = 1200 };
    struct rs_error err = {0};
    /* A corpus where each id fixes the next: x -> (3 x + 1) mod 8. */
    int ids[LEN];
    ids[0] = 0;
    for (int i = 1; i < LEN; i++)
        ids[i] = (3 * ids[i - 1] + 1) % V;
    rs_source *src = rs_source_corpus(ids, LEN, V, T, 0.2, &err);
    if (src == NULL)
        tap_bail("corpus: %s", err.msg);
    rs_nn_module *m = transformer(V, T + 1, 41);
    rs_objective *o = rs_objective_next_token(&err);
    struct rs_learner_config lc;
    rs_learner_config_default(&lc);
    lc.batch = 16;
    lc.eval_every = 0;
    lc.optim.lr = 1e-2f;
    lc.sched.lr = 1e-2f;
    rs_learner *l = tap_learner(&lc, m, o, src);
    double l0, a0, l1, a1;
    int rc = rs_learner_eval(l, RS_SPLIT_TEST, 0, 0, &l0, &a0, &err);
    for (int s = 0; s < 150 && rc == RS_OK; s++)
        rc = rs_learner_step(l, NULL, &err);
    if (rc == RS_OK)
        rc = rs_learner_eval(l, RS_SPLIT_TEST, 0, 0, &l1, &a1, &err);
    tap_ok(rc == RS_OK && l1 < 0.25 * l0 && a1 > 0.9,
           "next_token trains a transformer on a corpus: test loss %.3f -> "
           "%.3f, acc %.2f -> %.2f (%s)",
           l0, l1, a0, a1, err.msg);
    rs_learner_free(l);
    rs_objective_release(o);
    rs_nn_module_release(m);
    rs_source_release(src);
}

/* |theta - a| over every parameter of l. */
static double
distance(const rs_learner *l, const float *a)
{
    const rs_nn_model *p = rs_learner_params(l);
    double s = 0.0;
    size_t k = 0;
    for (int i = 0; i < rs_nn_model_count(p); i++) {
        const rs_tensor *t = rs_nn_model_param(p, i);
        for (size_t j = 0; j < t->numel; j++, k++) {
            double d = (double)t->data[j] - (double)a[k];
            s += d * d;
        }
    }
    return sqrt(s);
}

static void
test_learner_ewc(void)
{
    enum { STEPS_A = 300, STEPS_B = 150 };
    struct rs_error err = {0};
    rs_source *ta = tap_modular_source(11, '+', 0.8f, 3),
              *tb = tap_modular_source(11, '-', 0.8f, 3);
    rs_nn_module *m1 = tap_mlp(22, 32, 2, 11, 8),
                 *m2 = tap_mlp(22, 32, 2, 11, 8);
    rs_objective *cls = tap_classify();
    struct rs_learner_config lc;
    rs_learner_config_default(&lc);
    lc.batch = 32;
    lc.eval_every = 0;
    lc.optim.lr = 3e-3f;
    lc.sched.lr = 3e-3f;
    rs_learner *plain = tap_learner(&lc, m1, cls, ta);
    rs_learner *ewc = tap_learner(&lc, m2, cls, ta);
    int rc = RS_OK;
    for (int s = 0; s < STEPS_A && rc == RS_OK; s++)
        rc = rs_learner_step(plain, NULL, &err) |
             rs_learner_step(ewc, NULL, &err);
    double acc_a = NAN;
    if (rc == RS_OK)
        rc = rs_learner_eval(plain, RS_SPLIT_TRAIN, 0, 0, NULL, &acc_a, &err);
    size_t n = rs_nn_model_numel(rs_learner_params(plain));
    float *anchor = calloc(n, sizeof *anchor);
    size_t k = 0;
    for (int i = 0; i < rs_nn_model_count(rs_learner_params(plain)); i++) {
        const rs_tensor *t = rs_nn_model_param(rs_learner_params(plain), i);
        memcpy(anchor + k, t->data, t->numel * sizeof(float));
        k += t->numel;
    }

    /* Task B: ewc prepared on task A first (its Fisher), then the switch. */
    rs_objective *o = rs_objective_ewc(cls, 1e5, 8, &err);
    if (rc == RS_OK)
        rc = rs_learner_set_objective(ewc, o, &err);
    if (rc == RS_OK)
        rc = rs_objective_prepare(o, ewc, &err);
    const char *fname = NULL;
    int np = rs_nn_model_count(rs_learner_params(ewc));
    rs_tensor *f0 = rs_objective_tensor(o, np, &fname);
    double fsum = 0.0;
    for (size_t j = 0; f0 != NULL && j < f0->numel; j++)
        fsum += (double)f0->data[j];
    tap_ok(rc == RS_OK && rs_learner_objective(ewc) == o && fsum > 0.0 &&
               distance(ewc, anchor) == 0.0,
           "prepare: the ewc learner keeps its objective, the anchor is the "
           "task-A parameters, %s sums to %.3g (%s)",
           fname ? fname : "?", fsum, err.msg);
    if (rc == RS_OK)
        rc = rs_learner_set_source(plain, tb, &err) |
             rs_learner_set_source(ewc, tb, &err);
    for (int s = 0; s < STEPS_B && rc == RS_OK; s++)
        rc = rs_learner_step(plain, NULL, &err) |
             rs_learner_step(ewc, NULL, &err);
    double dp = distance(plain, anchor), de = distance(ewc, anchor);
    double lp = NAN, le = NAN;
    if (rc == RS_OK)
        rc = rs_learner_eval(plain, RS_SPLIT_TRAIN, 0, 0, &lp, NULL, &err) |
             rs_learner_eval(ewc, RS_SPLIT_TRAIN, 0, 0, &le, NULL, &err);
    tap_ok(rc == RS_OK && de < 0.5 * dp,
           "ewc stays closer to the task-A parameters than plain classify: "
           "%.3f vs %.3f (%s)",
           de, dp, err.msg);
    /* And it forgets less of task A. */
    double ap = NAN, ae = NAN;
    if (rc == RS_OK)
        rc = rs_learner_set_source(plain, ta, &err) |
             rs_learner_set_source(ewc, ta, &err);
    if (rc == RS_OK)
        rc = rs_learner_eval(plain, RS_SPLIT_TRAIN, 0, 0, NULL, &ap, &err) |
             rs_learner_eval(ewc, RS_SPLIT_TRAIN, 0, 0, NULL, &ae, &err);
    tap_ok(rc == RS_OK && ae > ap,
           "task A train acc after task B: ewc %.3f, plain %.3f (before: "
           "%.3f)",
           ae, ap, acc_a);
    tap_diag("task B train loss: plain %.3f, ewc %.3f", lp, le);
    free(anchor);
    rs_learner_free(plain);
    rs_learner_free(ewc);
    rs_objective_release(o);
    rs_objective_release(cls);
    rs_nn_module_release(m1);
    rs_nn_module_release(m2);
    rs_source_release(ta);
    rs_source_release(tb);
}

/* A learner on kl_teacher(ewc(classify)) saved mid-run (run/ckpt_learner)
 * and loaded into a learner built from other seeds (model and teacher)
 * continues bit for bit: the anchor, the Fisher, "the Fisher is set" and
 * the teacher travel in the checkpoint. */
static rs_objective *
kl_ewc(rs_nn_module *teacher)
{
    struct rs_error err = {0};
    rs_objective *c = tap_classify();
    rs_objective *e = rs_objective_ewc(c, 1e3, 4, &err);
    rs_objective *k = rs_objective_kl_teacher(e, teacher, 0.5, 2.0, &err);
    if (k == NULL)
        tap_bail("kl_ewc: %s", err.msg);
    rs_objective_release(e);
    rs_objective_release(c);
    return k;
}

static void
test_resume(void)
{
    struct rs_error err = {0};
    rs_source *ta = tap_modular_source(11, '+', 0.8f, 3),
              *tb = tap_modular_source(11, '-', 0.8f, 3);
    rs_nn_module *ma = tap_mlp(22, 32, 2, 11, 1),
                 *mb = tap_mlp(22, 32, 2, 11, 2);
    rs_nn_module *tea = tap_mlp(22, 32, 2, 11, 3),
                 *teb = tap_mlp(22, 32, 2, 11, 4);
    rs_objective *cls = tap_classify();
    rs_objective *oa = kl_ewc(tea), *ob = kl_ewc(teb);
    struct rs_learner_config lc;
    rs_learner_config_default(&lc);
    lc.batch = 16;
    lc.eval_every = 0;
    rs_learner *a = tap_learner(&lc, ma, cls, ta);
    rs_learner *b = tap_learner(&lc, mb, ob, tb);
    int rc = RS_OK;
    for (int s = 0; s < 20 && rc == RS_OK; s++)
        rc = rs_learner_step(a, NULL, &err);
    if (rc == RS_OK)
        rc = rs_learner_set_objective(a, oa, &err);
    if (rc == RS_OK)
        rc = rs_objective_prepare(oa, a, &err);
    if (rc == RS_OK)
        rc = rs_learner_set_source(a, tb, &err);
    for (int s = 0; s < 5 && rc == RS_OK; s++)
        rc = rs_learner_step(a, NULL, &err);
    rs_ckpt *ck = rs_ckpt_new();
    rs_ckpt_learner_save(ck, a);
    if (rc == RS_OK)
        rc = rs_ckpt_learner_load(ck, b, &err);
    tap_ok(rc == RS_OK,
           "kl_teacher(ewc(classify)) learner saved and loaded "
           "into another (%s)",
           err.msg);
    bool same = rc == RS_OK;
    for (int s = 0; s < 10 && same; s++) {
        struct rs_learner_stats x, y;
        same = rs_learner_step(a, &x, &err) == RS_OK &&
               rs_learner_step(b, &y, &err) == RS_OK &&
               memcmp(&x.loss, &y.loss, sizeof x.loss) == 0;
        if (!same)
            tap_diag("step %d: %.9g vs %.9g (%s)", s, x.loss, y.loss, err.msg);
    }
    tap_ok(same, "the loaded learner continues bit for bit (anchor, Fisher "
                 "and teacher restored)");
    rs_ckpt_free(ck);
    rs_learner_free(a);
    rs_learner_free(b);
    rs_objective_release(oa);
    rs_objective_release(ob);
    rs_objective_release(cls);
    rs_nn_module_release(ma);
    rs_nn_module_release(mb);
    rs_nn_module_release(tea);
    rs_nn_module_release(teb);
    rs_source_release(ta);
    rs_source_release(tb);
}

int
main(void)
{
    tap_plan_lazy();
    test_next_token();
    test_l2_anchor();
    test_ewc();
    test_keep_units();
    test_kl_teacher();
    test_learner_next_token();
    test_learner_ewc();
    test_resume();
    return tap_done();
}
