/* repscope - MIT licence, see COPYING.
 *
 * t_algo_demp_noise.c: DemP's live-only noise on a learner's update
 * (rs_learner_set_noise, learner.h). With the optimiser's rate 0 a step
 * changes the parameters by the noise alone, so: a hidden unit built dead
 * (its weights in and out have zero gradient) gets no noise, every live
 * entry gets some, of about sigma; thr = 0 (the authors' latest mask,
 * |g| >= 0) puts noise on the dead unit too; eta 0 changes nothing; the
 * changes of a wide net's live entries are N(0, eta^2). The
 * noise stream is deterministic per seed (two learners alike end equal,
 * another seed differs) and is in the checkpoint state: a learner that
 * loads a checkpoint continues bit for bit. reg/sigma is logged.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo/demp.h"
#include "algo/learner.h"
#include "nn/module.h"
#include "run/ckpt.h"
#include "run/ckpt_learner.h"
#include "tests/learn_fixture.h"
#include "tests/tap.h"

enum { P = 13, IN = 2 * P, W = 8, OUT = P };

static rs_learner *
learner(rs_source *src, rs_objective *ce, rs_nn_module *m, uint64_t seed,
        bool frozen)
{
    struct rs_learner_config lc;
    rs_learner_config_default(&lc);
    snprintf(lc.name, sizeof lc.name, "n");
    lc.batch = 16;
    lc.eval_every = 0;
    lc.log_every = 2;
    lc.seed = seed;
    if (frozen) { /* plain SGD at rate 0: the update is the noise alone */
        rs_optim_config_default(&lc.optim, RS_OPTIM_SGD);
        lc.optim.lr = 0.0f;
        lc.sched.lr = 0.0f;
    } else {
        lc.optim.lr = 1e-2f;
        lc.sched.lr = 1e-2f;
    }
    return tap_learner(&lc, m, ce, src);
}

static void
set_noise(rs_learner *l, double eta, double thr)
{
    struct rs_learner_noise nz;
    rs_learner_noise_default(&nz);
    nz.eta = eta;
    nz.thr = thr;
    nz.total = 1; /* end 1, peak at step 0: sigma = eta at step 0 */
    nz.zero_end = false;
    struct rs_error err = {0};
    if (rs_learner_set_noise(l, &nz, &err) != RS_OK)
        tap_bail("set_noise: %s", err.msg);
}

/* Hidden unit 0 of l1 dead on every input: weights 0, bias -1. */
static void
kill_unit0(rs_learner *l)
{
    rs_nn_model *pm = rs_learner_params(l);
    rs_tensor *w1 = rs_nn_model_lookup(pm, "l1.weight");
    rs_tensor *b1 = rs_nn_model_lookup(pm, "l1.bias");
    memset(w1->data, 0, IN * sizeof(float));
    b1->data[0] = -1.0f;
}

/* A heap copy of every parameter (numel floats). */
static float *
snapshot(rs_learner *l)
{
    rs_nn_model *pm = rs_learner_params(l);
    float *s = malloc(rs_nn_model_numel(pm) * sizeof *s), *o = s;
    for (int i = 0; i < rs_nn_model_count(pm); i++) {
        const rs_tensor *t = rs_nn_model_param(pm, i);
        memcpy(o, t->data, t->numel * sizeof *o);
        o += t->numel;
    }
    return s;
}

/* Offset of parameter name in a snapshot. */
static size_t
offset_of(rs_learner *l, const char *name)
{
    rs_nn_model *pm = rs_learner_params(l);
    size_t o = 0;
    for (int i = 0; i < rs_nn_model_count(pm); i++) {
        if (strcmp(rs_nn_model_param_name(pm, i), name) == 0)
            return o;
        o += rs_nn_model_param(pm, i)->numel;
    }
    tap_bail("no parameter %s", name);
}

static void
test_mask(rs_source *src, rs_objective *ce)
{
    const double eta = 1e-2;
    for (int mode = 0; mode < 3; mode++) { /* thr 1e-8, thr 0, eta 0 */
        rs_nn_module *m = tap_mlp(IN, W, 1, OUT, 5);
        rs_learner *l = learner(src, ce, m, 3, true);
        kill_unit0(l);
        if (mode < 2)
            set_noise(l, eta, mode == 0 ? 1e-8 : 0.0);
        float *a = snapshot(l);
        tap_learner_steps(l, 1);
        float *b = snapshot(l);
        size_t w1 = offset_of(l, "l1.weight"), b1 = offset_of(l, "l1.bias");
        size_t w2 = offset_of(l, "l2.weight");
        size_t n = rs_nn_model_numel(rs_learner_params(l));
        /* the dead unit: row 0 of l1.weight, bias 0, column 0 of
         * l2.weight (OUT, W) */
        bool dead_same = a[b1] == b[b1];
        for (int k = 0; k < IN; k++)
            dead_same &= a[w1 + (size_t)k] == b[w1 + (size_t)k];
        for (int r = 0; r < OUT; r++)
            dead_same &= a[w2 + (size_t)r * W] == b[w2 + (size_t)r * W];
        /* live entries: everything else of l1's other rows' biases, l2's
         * other columns and l2's bias (nonzero gradients) */
        long live = 0, moved = 0;
        double sq = 0.0;
        for (size_t i = 0; i < n; i++) {
            bool dead =
                (i >= w1 && i < w1 + IN) || i == b1 ||
                (i >= w2 && i < w2 + (size_t)OUT * W && (i - w2) % W == 0);
            bool l1w = i >= w1 && i < w1 + (size_t)W * IN;
            if (dead || l1w) /* l1's inputs are sparse: skip its weights */
                continue;
            live++;
            moved += a[i] != b[i];
            double d = (double)b[i] - (double)a[i];
            sq += d * d;
        }
        double rms = live > 0 ? sqrt(sq / (double)live) : 0.0;
        if (mode == 0) {
            tap_ok(dead_same, "thr 1e-8: the dead unit's weights in and out "
                              "get no noise");
            tap_is_int(moved, live,
                       "thr 1e-8: every live bias and output "
                       "weight moved");
            tap_is_float(rms, eta, 0, 0.25, "their rms change is about eta");
        } else if (mode == 1) {
            tap_ok(!dead_same, "thr 0 (|g| >= 0 masks nothing): the dead "
                               "unit gets noise too");
        } else {
            tap_ok(dead_same && moved == 0, "eta 0: nothing moves");
        }
        free(a);
        free(b);
        rs_learner_free(l);
        rs_nn_module_release(m);
    }
}

/* The noise is N(0, sigma^2): with rate 0 the changes of a wide net's
 * live entries, divided by eta, have mean 0, variance 1 and the normal's
 * two-sided 2-sigma tail. */
static void
test_distribution(rs_source *src, rs_objective *ce)
{
    const double eta = 1e-2;
    rs_nn_module *m = tap_mlp(IN, 256, 1, OUT, 5);
    rs_learner *l = learner(src, ce, m, 11, true);
    set_noise(l, eta, 1e-8);
    float *a = snapshot(l);
    tap_learner_steps(l, 1);
    float *b = snapshot(l);
    size_t n = rs_nn_model_numel(rs_learner_params(l));
    double s1 = 0.0, s2 = 0.0, tail = 0.0, k = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (a[i] == b[i])
            continue;
        double z = ((double)b[i] - (double)a[i]) / eta;
        s1 += z;
        s2 += z * z;
        tail += fabs(z) > 2.0;
        k += 1.0;
    }
    double mean = s1 / k, var = s2 / k - mean * mean;
    tap_ok(k > 3000, "%.0f live entries moved", k);
    tap_is_float(mean, 0.0, 0.05, 0, "their mean / eta is about 0 (%.4f)",
                 mean);
    tap_is_float(var, 1.0, 0.08, 0, "their variance / eta^2 about 1 (%.4f)",
                 var);
    tap_is_float(tail / k, 0.0455, 0.01, 0,
                 "%.4f of them beyond 2 sigma (normal: 0.0455)", tail / k);
    free(a);
    free(b);
    rs_learner_free(l);
    rs_nn_module_release(m);
}

static void
test_stream(rs_source *src, rs_objective *ce)
{
    struct rs_error err = {0};
    rs_nn_module *ma = tap_mlp(IN, W, 1, OUT, 5);
    rs_nn_module *mb = tap_mlp(IN, W, 1, OUT, 5);
    rs_nn_module *mc = tap_mlp(IN, W, 1, OUT, 5);
    rs_learner *a = learner(src, ce, ma, 3, false);
    rs_learner *b = learner(src, ce, mb, 3, false);
    rs_learner *c = learner(src, ce, mc, 3, false);
    set_noise(a, 1e-3, 1e-8);
    set_noise(b, 1e-3, 1e-8);
    tap_learner_steps(a, 5);
    tap_learner_steps(b, 5);
    tap_learner_steps(c, 5);
    tap_ok(tap_params_equal(rs_learner_params(a), rs_learner_params(b)),
           "the same seed: the same noise, bit for bit");
    tap_ok(!tap_params_equal(rs_learner_params(a), rs_learner_params(c)),
           "without noise the parameters differ");

    /* a checkpoint of a after 5 steps into a fresh learner d */
    rs_ckpt *ck = rs_ckpt_new();
    rs_ckpt_learner_save(ck, a);
    rs_nn_module *md = tap_mlp(IN, W, 1, OUT, 77);
    rs_learner *d = learner(src, ce, md, 3, false);
    set_noise(d, 1e-3, 1e-8);
    tap_ok(rs_ckpt_learner_load(ck, d, &err) == RS_OK,
           "a noisy learner's checkpoint loads: %s", err.msg);
    tap_learner_steps(a, 4);
    tap_learner_steps(d, 4);
    tap_ok(tap_params_equal(rs_learner_params(a), rs_learner_params(d)),
           "the resumed learner continues bit for bit");
    /* (d's own stream had drawn nothing: the continued noise came from
     * the state) */
    size_t nw = rs_learner_state_words(a);
    tap_is_int((long)nw, (long)rs_learner_state_words(c) + 5,
               "the noise section is 5 words");
    rs_ckpt_free(ck);

    /* another seed: other noise */
    rs_nn_module *mf = tap_mlp(IN, W, 1, OUT, 5);
    rs_learner *f = learner(src, ce, mf, 4, false);
    rs_nn_module *mg = tap_mlp(IN, W, 1, OUT, 5);
    rs_learner *g = learner(src, ce, mg, 4, false);
    set_noise(f, 1e-3, 1e-8);
    tap_learner_steps(f, 3);
    tap_learner_steps(g, 3);
    tap_ok(!tap_params_equal(rs_learner_params(f), rs_learner_params(g)),
           "the noise changes the run");

    rs_learner *all[] = {a, b, c, d, f, g};
    rs_nn_module *mods[] = {ma, mb, mc, md, mf, mg};
    for (int i = 0; i < 6; i++) {
        rs_learner_free(all[i]);
        rs_nn_module_release(mods[i]);
    }
}

static void
test_log_and_refusals(rs_source *src, rs_objective *ce)
{
    struct rs_error err = {0};
    rs_nn_module *m = tap_mlp(IN, W, 1, OUT, 5);
    rs_learner *l = learner(src, ce, m, 3, false);
    struct rs_learner_noise nz;
    rs_learner_noise_default(&nz);
    tap_ok(nz.eta == 0.0 && nz.thr == 1e-8 && nz.zero_end,
           "defaults: off, thr 1e-8, zero_end");
    nz.eta = 5e-3;
    nz.total = 20;
    tap_ok(rs_learner_set_noise(l, &nz, &err) == RS_OK &&
               rs_learner_noise(l)->eta == 5e-3,
           "set_noise");
    struct tap_log *lg = calloc(1, sizeof *lg);
    lg->learner = l;
    rs_learner_set_log(l, tap_log_record, lg);
    tap_learner_steps(l, 20);
    int seen = 0, right = 0;
    for (int i = 0; i < lg->n; i++)
        if (strcmp(lg->name[i], "n/reg/sigma") == 0) {
            seen++;
            right +=
                lg->v[i] == rs_demp_onecycle(5e-3, 20, true, lg->step[i] - 1);
        }
    tap_is_int(seen, 10, "n/reg/sigma every log_every (2) of 20 steps");
    tap_is_int(right, seen, "each sigma of the last step");
    nz.eta = -1.0;
    tap_ok(rs_learner_set_noise(l, &nz, &err) == RS_EINVAL &&
               strstr(err.msg, "noise_eta") != NULL,
           "negative eta refused: %s", err.msg);
    nz.eta = 1.0;
    nz.thr = (double)NAN;
    tap_ok(rs_learner_set_noise(l, &nz, &err) == RS_EINVAL &&
               strstr(err.msg, "noise_thr") != NULL,
           "NaN thr refused: %s", err.msg);
    nz.thr = 0.0;
    nz.total = 0;
    tap_ok(rs_learner_set_noise(l, &nz, &err) == RS_EINVAL &&
               rs_learner_noise(l)->eta == 5e-3,
           "total 0 refused, setting unchanged: %s", err.msg);
    free(lg);
    rs_learner_free(l);
    rs_nn_module_release(m);
}

int
main(void)
{
    tap_plan_lazy();
    rs_source *src = tap_modular_source(P, '+', 0.8f, 2);
    rs_objective *ce = tap_classify();
    test_mask(src, ce);
    test_distribution(src, ce);
    test_stream(src, ce);
    test_log_and_refusals(src, ce);
    rs_objective_release(ce);
    rs_source_release(src);
    return tap_done();
}
