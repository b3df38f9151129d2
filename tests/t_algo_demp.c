/* repscope - MIT licence, see COPYING.
 *
 * t_algo_demp.c: DemP's pieces (algo/demp.h). The death check: on
 * constructed activations over three batches, a unit whose sum is <= 0 on
 * every batch is dead and one that fires on any single batch is live; on
 * a learner whose hidden units are built by hand (always off, always on,
 * zero, firing on one example of the first or the last covered batch,
 * firing only on the first example past the covered ceil(N / 25)) the
 * check finds exactly the units a direct computation says never fire on
 * the covered examples, and leaves the learner's state alone.
 */
#include "config.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo/demp.h"
#include "algo/learner.h"
#include "core/graph.h"
#include "core/rng.h"
#include "data/source.h"
#include "nn/module.h"
#include "tests/gradcheck.h"
#include "tests/learn_fixture.h"
#include "tests/tap.h"

/* ---- the death check on constructed activations ------------------------ */

static void
test_live_update(void)
{
    /* three batches of (2 rows, 5 units):
     *   unit 0  zero everywhere                     dead
     *   unit 1  fires in batch 3 only               live
     *   unit 2  fires in batch 1 only               live
     *   unit 3  negative everywhere                 dead
     *   unit 4  +1 and -1 in every batch (sum 0)    dead (sum <= 0) */
    static const float x[3][2][5] = {
        {{0, 0, 2, -1, 1}, {0, 0, 0, -3, -1}},
        {{0, 0, 0, -1, -1}, {0, 0, 0, -2, 1}},
        {{0, 0, 0, -1, 1}, {0, 5, 0, -1, -1}},
    };
    unsigned char live[5] = {0};
    for (int b = 0; b < 3; b++)
        rs_demp_live_update(&x[b][0][0], 2, 5, live);
    static const unsigned char want[5] = {0, 1, 1, 0, 0};
    for (int j = 0; j < 5; j++)
        tap_is_int(live[j], want[j], "unit %d is %s", j,
                   want[j] ? "live" : "dead");
    /* one batch alone: unit 1 is dead on batch 1, live over all three */
    unsigned char one[5] = {0};
    rs_demp_live_update(&x[0][0][0], 2, 5, one);
    tap_ok(one[1] == 0 && live[1] == 1,
           "unit 1 is dead on batch 1 but not on all batches: live");
}

/* ---- the death check on a learner --------------------------------------- */

enum { P = 23, IN = 2 * P, W = 6, B = 8, OUT = P };

/* pre = x . w + b > 0 for the example x only (binary features: any other
 * example has at least one feature fewer in common) */
static void
fire_on(float *w, float *b, const float *x)
{
    double sq = 0.0;
    for (int k = 0; k < IN; k++) {
        w[k] = x[k];
        sq += (double)x[k] * (double)x[k];
    }
    *b = (float)(0.5 - sq);
}

static void
test_learner(void)
{
    struct rs_error err = {0};
    rs_source *src = tap_modular_source(P, '+', 0.9f, 4);
    rs_objective *ce = tap_classify();
    rs_nn_module *m = tap_mlp(IN, W, 1, OUT, 7);
    struct rs_learner_config lc;
    rs_learner_config_default(&lc);
    lc.batch = B;
    lc.eval_every = 0;
    rs_learner *l = tap_learner(&lc, m, ce, src);
    tap_learner_steps(l, 2);

    int n = rs_source_count(src, RS_SPLIT_TRAIN);
    int cover = rs_demp_cover(n);
    tap_is_int(cover, (n + 24) / 25, "the check covers ceil(%d / 25)", n);
    if (cover <= B || cover + 1 > n)
        tap_bail("need more than one batch: cover %d, batch %d", cover, B);
    struct rs_batch xb;
    rs_batch_init(&xb);
    if (rs_source_fetch(src, RS_SPLIT_TRAIN, NULL, cover + 1, &xb, &err))
        tap_bail("fetch: %s", err.msg);
    const float *x = xb.in[0].x;

    /* the hidden units, by hand */
    rs_nn_model *pm = rs_learner_params(l);
    rs_tensor *w1 = rs_nn_model_lookup(pm, "l1.weight");
    rs_tensor *b1 = rs_nn_model_lookup(pm, "l1.bias");
    if (w1 == NULL || b1 == NULL || w1->shape[0] != W || w1->shape[1] != IN)
        tap_bail("unexpected l1");
    memset(w1->data, 0, w1->numel * sizeof(float));
    b1->data[0] = -1.0f; /* always off */
    b1->data[1] = 1.0f;  /* always on */
    b1->data[2] = 0.0f;  /* exactly zero: sum 0, dead */
    int last = cover - 1;
    fire_on(w1->data + 3 * IN, b1->data + 3, x + (size_t)last * IN);
    fire_on(w1->data + 4 * IN, b1->data + 4, x + (size_t)cover * IN);
    fire_on(w1->data + 5 * IN, b1->data + 5, x); /* example 0 */

    /* reference: relu(pre) over the covered examples, per batch */
    int fired[W] = {0}, fired_first[W] = {0};
    for (int i = 0; i < cover; i++)
        for (int u = 0; u < W; u++) {
            double p = b1->data[u];
            for (int k = 0; k < IN; k++)
                p += (double)w1->data[u * IN + k] *
                     (double)x[(size_t)i * IN + k];
            if (p > 0.0) {
                fired[u] = 1;
                fired_first[u] |= i < B;
            }
        }
    tap_ok(fired[3] && !fired_first[3],
           "unit 3 is dead on the first batch, fires on the last");
    tap_ok(fired[5] && fired_first[5], "unit 5 fires on the first batch");
    tap_ok(!fired[4], "unit 4 fires on none of the covered examples");

    size_t nw = rs_learner_state_words(l);
    uint64_t *before = calloc(nw + 1, sizeof *before);
    uint64_t *after = calloc(nw + 1, sizeof *after);
    rs_learner_state_save(l, before);
    int dead[W], ndead = -1, units = 0;
    tap_ok(rs_demp_dead_units(l, "l1", 0, dead, W, &ndead, &units, &err) ==
               RS_OK,
           "death check runs: %s", err.msg);
    int want[W], nwant = 0;
    for (int u = 0; u < W; u++)
        if (!fired[u])
            want[nwant++] = u;
    tap_is_int(units, W, "layer width");
    tap_is_int(ndead, nwant, "dead units: %d", nwant);
    for (int i = 0; i < nwant && i < ndead; i++)
        tap_is_int(dead[i], want[i], "dead unit %d is %d", i + 1, want[i]);
    tap_is_int(nwant, 3, "dead: always off, zero, fires past the cover");
    /* covering one more example: unit 4 fires on it, so it is live */
    tap_ok(rs_demp_dead_units(l, "l1", cover + 1, dead, W, &ndead, NULL,
                              &err) == RS_OK &&
               ndead == 2 && dead[0] == 0 && dead[1] == 2,
           "cover + 1 examples: unit 4 is live, 0 and 2 dead");
    tap_is_int(rs_learner_state_words(l), (long)nw, "state size unchanged");
    rs_learner_state_save(l, after);
    tap_ok(memcmp(before, after, nw * sizeof *before) == 0,
           "steps, sampler and RNG unchanged");

    /* refusals */
    tap_ok(rs_demp_dead_units(l, "l7", 0, dead, W, &ndead, NULL, &err) ==
               RS_EINVAL,
           "an unknown layer is refused: %s", err.msg);
    tap_ok(rs_demp_dead_units(l, "l1", 0, dead, W - 1, &ndead, NULL, &err) ==
               RS_EINVAL,
           "too small a buffer is refused: %s", err.msg);

    free(before);
    free(after);
    rs_batch_fini(&xb);
    rs_learner_free(l);
    rs_nn_module_release(m);
    rs_objective_release(ce);
    rs_source_release(src);
}

/* ---- the one-cycle schedule ---------------------------------------------- */

static void
test_onecycle(void)
{
    /* T = 1000 with zero_end: end 900, peak at floor(0.3 * 900) = 270 */
    const double e = 1e-12;
    tap_is_float(rs_demp_onecycle(1.0, 1000, true, 0), 0.04, e, 0,
                 "t 0: peak / 25");
    tap_is_float(rs_demp_onecycle(1.0, 1000, true, -5), 0.04, e, 0,
                 "t < 0 counts as 0");
    tap_is_float(rs_demp_onecycle(1.0, 1000, true, 135), 0.52, e, 0,
                 "t 135 (half the rise): (1 + 1/25) / 2");
    tap_is_float(rs_demp_onecycle(1.0, 1000, true, 100), 0.3298817123012048, e,
                 0, "t 100: c(1/25, 1, 100/270)");
    tap_is_float(rs_demp_onecycle(1.0, 1000, true, 270), 1.0, e, 0,
                 "t 270: the peak");
    tap_is_float(rs_demp_onecycle(1.0, 1000, true, 585), 0.500002, e, 0,
                 "t 585 (half the decay): (1 + 1/25e4) / 2");
    tap_is_float(rs_demp_onecycle(1.0, 1000, true, 899), 1.0216644287392204e-05,
                 e, 0, "t 899: c(1, 1/25e4, 629/630)");
    tap_is_float(rs_demp_onecycle(1.0, 1000, true, 900), 0.0, 0, 0,
                 "t 900 = 0.9 T: zero");
    tap_is_float(rs_demp_onecycle(1.0, 1000, true, 5000), 0.0, 0, 0,
                 "past T: zero");
    /* without zero_end: end = T, peak at 300, then peak / 25 / 1e4 held */
    tap_is_float(rs_demp_onecycle(2.0, 1000, false, 300), 2.0, e, 0,
                 "no zero_end, t 300: the peak");
    tap_is_float(rs_demp_onecycle(2.0, 1000, false, 1000), 8e-6, e, 0,
                 "no zero_end, t T: peak / 25 / 1e4");
    tap_is_float(rs_demp_onecycle(2.0, 1000, false, 4000), 8e-6, e, 0,
                 "no zero_end, past T: held");
    /* short runs: T 10 zero_end -> end 9, peak at 2; T 3 -> peak at 0 */
    tap_is_float(rs_demp_onecycle(1.0, 10, true, 1), 0.52, e, 0,
                 "T 10, t 1: half the rise");
    tap_is_float(rs_demp_onecycle(1.0, 10, true, 9), 0.0, 0, 0,
                 "T 10, t 9: zero");
    tap_is_float(rs_demp_onecycle(2.5e-3, 3, false, 0), 2.5e-3, e, 0,
                 "T 3: floor(0.9) = 0, the peak at step 0 (as optax)");
    tap_is_float(rs_demp_onecycle(1.0, 0, false, 0), 0.0, 0, 0, "T 0: zero");
    /* shape: rising up to the peak, falling after it */
    bool up = true, down = true;
    for (long t = 1; t <= 270; t++)
        up &= rs_demp_onecycle(1.0, 1000, true, t) >
              rs_demp_onecycle(1.0, 1000, true, t - 1);
    for (long t = 271; t < 900; t++)
        down &= rs_demp_onecycle(1.0, 1000, true, t) <
                rs_demp_onecycle(1.0, 1000, true, t - 1);
    tap_ok(up && down, "strictly up over [0, 270], down over [270, 900)");
}

/* ---- cdg_l2 ----------------------------------------------------------- */

/* o's loss of m on b at learner step `step` on g (not reset). */
static rs_tensor *
run(rs_objective *o, rs_graph *g, rs_nn_module *m, const struct rs_batch *b,
    long step, bool train)
{
    rs_nn_module *mods[1] = {m};
    struct rs_obj_ctx c = {.g = g,
                           .modules = mods,
                           .nmodules = 1,
                           .params = rs_nn_module_model(m),
                           .batch = b,
                           .step = step,
                           .train = train};
    struct rs_obj_stats st;
    return rs_objective_loss(o, &c, &st);
}

static double
loss_of(rs_objective *o, rs_nn_module *m, const struct rs_batch *b, long step,
        bool train)
{
    rs_graph *g = rs_graph_new();
    rs_tensor *l = run(o, g, m, b, step, train);
    double v = l != NULL ? (double)l->data[0] : (double)NAN;
    rs_graph_free(g);
    return v;
}

/* The gradients of every parameter of m (numel floats) after backward. */
static void
grads_of(rs_objective *o, rs_nn_module *m, const struct rs_batch *b, long step,
         float *grad)
{
    rs_nn_model *p = rs_nn_module_model(m);
    rs_nn_model_zero_grad(p);
    rs_graph *g = rs_graph_new();
    struct rs_error err = {0};
    rs_tensor *l = run(o, g, m, b, step, true);
    if (l == NULL || rs_graph_backward(g, l, &err) != RS_OK)
        tap_bail("backward: %s", err.msg);
    size_t k = 0;
    for (int i = 0; i < rs_nn_model_count(p); i++) {
        const rs_tensor *t = rs_nn_model_param(p, i);
        for (size_t j = 0; j < t->numel; j++)
            grad[k++] = t->grad[j];
    }
    rs_nn_model_zero_grad(p);
    rs_graph_free(g);
}

struct fd {
    rs_objective *o;
    rs_nn_module *m;
    const struct rs_batch *b;
    long step;
};

static rs_tensor *
fd_build(rs_graph *g, rs_tensor *const *in, void *ud)
{
    (void)in;
    struct fd *f = ud;
    return run(f->o, g, f->m, f->b, f->step, true);
}

static void
test_cdg_l2(void)
{
    enum { CIN = 3, C = 4, N = 5, T = 100 };
    const double peak = 0.8;
    const long tpeak = 27; /* floor(0.3 floor(0.9 T)) */
    struct rs_error err = {0};
    rs_nn_module *m = tap_linear(CIN, C, RS_INIT_NORMAL, 0.7f, 3);
    rs_nn_model *pm = rs_nn_module_model(m);
    struct rs_batch b;
    rs_batch_init(&b);
    if (rs_batch_reserve(&b, 0, RS_NN_INPUT_FEATURES, N, CIN, true, &err))
        tap_bail("batch: %s", err.msg);
    struct rs_rng r;
    rs_rng_seed(&r, 9);
    for (int i = 0; i < N * CIN; i++)
        b.in[0].x[i] = 2.0f * rs_rng_uniform(&r) - 1.0f;
    for (int i = 0; i < N; i++)
        b.y[i] = (int)rs_rng_below(&r, C);
    rs_tensor *bias = rs_nn_model_lookup(pm, "bias");
    if (bias == NULL)
        tap_bail("no bias");
    bias->data[0] = 0.9f; /* a positive bias: it is regularised too */
    bias->data[1] = -0.4f;

    rs_objective *base = tap_classify();
    rs_objective *o = rs_objective_cdg_l2(base, peak, T, true, &err);
    struct rs_source_info si;
    memset(&si, 0, sizeof si);
    si.ninputs = 1;
    si.kind[0] = RS_NN_INPUT_FEATURES;
    si.width[0] = CIN;
    si.classes = C;
    rs_nn_module *mods[1] = {m};
    struct rs_obj_env env = {
        .modules = mods, .nmodules = 1, .params = pm, .si = &si};
    tap_ok(o != NULL && strcmp(rs_objective_kind(o), "cdg_l2") == 0 &&
               rs_objective_base(o) == base &&
               rs_objective_check(o, &env, &err) == RS_OK,
           "cdg_l2 over classify checks (%s)", err.msg);
    size_t n = rs_nn_model_numel(pm);
    double r2 = 0.0; /* sum max(theta, 0)^2 */
    int npos = 0, nneg = 0;
    for (int i = 0; i < rs_nn_model_count(pm); i++) {
        const rs_tensor *t = rs_nn_model_param(pm, i);
        for (size_t j = 0; j < t->numel; j++) {
            double v = (double)t->data[j];
            r2 += v > 0.0 ? v * v : 0.0;
            npos += v > 0.0;
            nneg += v < 0.0;
        }
    }
    if (npos == 0 || nneg == 0)
        tap_bail("need parameters of both signs");
    double lb = loss_of(base, m, &b, tpeak, true);
    tap_is_float(loss_of(o, m, &b, tpeak, true) - lb, peak / 2.0 * r2, 1e-6,
                 1e-5, "at the peak: + peak / 2 sum max(theta, 0)^2");
    double lam = rs_demp_onecycle(peak, T, true, 10);
    tap_is_float(loss_of(o, m, &b, 10, true) - lb, lam / 2.0 * r2, 1e-6, 1e-5,
                 "at step 10: + lambda_10 / 2 sum max(theta, 0)^2");
    tap_is_float(rs_objective_cdg_l2_lambda(o, 10), lam, 0, 0,
                 "cdg_l2_lambda gives the schedule's value");
    tap_ok(isnan(rs_objective_cdg_l2_lambda(base, 10)),
           "no cdg_l2 in the chain: NaN");
    tap_ok(loss_of(o, m, &b, 90, true) == lb &&
               loss_of(o, m, &b, 99, true) == lb,
           "from 0.9 T on: the base loss exactly");
    tap_ok(loss_of(o, m, &b, tpeak, false) == lb,
           "evaluating: the base loss exactly");

    float *gt = calloc(n, sizeof *gt), *gb = calloc(n, sizeof *gb);
    grads_of(o, m, &b, tpeak, gt);
    grads_of(base, m, &b, tpeak, gb);
    double worst = 0.0;
    size_t k = 0;
    for (int i = 0; i < rs_nn_model_count(pm); i++) {
        const rs_tensor *t = rs_nn_model_param(pm, i);
        for (size_t j = 0; j < t->numel; j++, k++) {
            double v = (double)t->data[j], want = peak * (v > 0.0 ? v : 0.0);
            worst = fmax(worst, fabs((double)(gt[k] - gb[k]) - want));
        }
    }
    tap_ok(worst < 1e-5,
           "gradient: base + peak max(theta, 0), biases included (max error "
           "%.2g)",
           worst);
    struct fd f = {o, m, &b, tpeak};
    tap_gradcheck("cdg_l2 total (finite differences)", rs_nn_model_count(pm),
                  rs_nn_model_params(pm), fd_build, &f, 1e-2, 1e-2);
    tap_is_int((long)rs_objective_state_words(o),
               (long)rs_objective_state_words(base), "state words: the base's");
    tap_is_int(rs_objective_tensors(o), 0, "no tensors");

    /* refusals */
    tap_ok(rs_objective_cdg_l2(NULL, peak, T, true, &err) == NULL,
           "no base refused: %s", err.msg);
    tap_ok(rs_objective_cdg_l2(base, -1.0, T, true, &err) == NULL &&
               strstr(err.msg, "peak") != NULL,
           "negative peak refused: %s", err.msg);
    tap_ok(rs_objective_cdg_l2(base, peak, 0, true, &err) == NULL &&
               strstr(err.msg, "total") != NULL,
           "total 0 refused: %s", err.msg);
    free(gt);
    free(gb);
    rs_batch_fini(&b);
    rs_objective_release(o);
    rs_objective_release(base);
    rs_nn_module_release(m);
}

/* A learner on cdg_l2 logs reg/lambda of its last step every log_every. */
static void
test_cdg_l2_log(void)
{
    struct rs_error err = {0};
    rs_source *src = tap_modular_source(P, '+', 0.9f, 4);
    rs_objective *ce = tap_classify();
    rs_objective *o = rs_objective_cdg_l2(ce, 1e-3, 40, true, &err);
    rs_nn_module *m = tap_mlp(IN, W, 1, OUT, 7);
    struct rs_learner_config lc;
    rs_learner_config_default(&lc);
    snprintf(lc.name, sizeof lc.name, "demp");
    lc.batch = B;
    lc.eval_every = 0;
    lc.log_every = 5;
    rs_learner *l = tap_learner(&lc, m, o, src);
    struct tap_log *lg = calloc(1, sizeof *lg);
    lg->learner = l;
    rs_learner_set_log(l, tap_log_record, lg);
    tap_learner_steps(l, 40);
    int seen = 0, right = 0;
    for (int i = 0; i < lg->n; i++) {
        if (strcmp(lg->name[i], "demp/reg/lambda") != 0)
            continue;
        seen++;
        double want = rs_demp_onecycle(1e-3, 40, true, lg->step[i] - 1);
        right += lg->v[i] == want;
    }
    tap_is_int(seen, 8, "demp/reg/lambda logged every 5 of 40 steps");
    tap_is_int(right, seen, "each the lambda of the last step");
    free(lg);
    rs_learner_free(l);
    rs_nn_module_release(m);
    rs_objective_release(o);
    rs_objective_release(ce);
    rs_source_release(src);
}

int
main(void)
{
    tap_plan_lazy();
    test_live_update();
    test_learner();
    test_onecycle();
    test_cdg_l2();
    test_cdg_l2_log();
    return tap_done();
}
