/* repscope - MIT licence, see COPYING.
 *
 * t_algo_retention.c: the knowledge-retention terms of RL fine-tuning
 * ("Fine-tuning Reinforcement Learning Models is Secretly a Forgetting
 * Mitigation Problem", arXiv 2402.02868) against direct computations:
 *   - kickstarting (KS): kl_teacher on the base's own rows adds
 *     beta tau^2 mean KL(teacher || student), computed here in double from
 *     the two modules' logits, and not the reverse KL;
 *   - behavioural cloning (BC): kl_teacher with a buffer scores the rows
 *     its seeded stream draws (replayed here), whatever the batch;
 *   - the schedule: the weight decays per `every` steps down to its floor,
 *     in the loss too;
 *   - EWC's Fisher: the empirical Fisher of a softmax-linear model,
 *     known in closed form ((p - onehot(y))^2 x^2 per example), from
 *     rs_learner_fisher with rows 1, and its square-of-the-mean form for
 *     a whole batch; a preset Fisher normalised by its mean or maximum;
 *   - the tensors dataset the scene's pre-training data comes from.
 * Each total gradient passes a finite-difference check.
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
#include "data/tensors.h"
#include "nn/module.h"
#include "tests/learn_fixture.h"
#include "tests/obj_fixture.h"
#include "tests/tap.h"

enum { IN = 4, C = 3 };

/* m's logits on rows (n, IN) into out (n, C), gradients off. */
static void
logits(rs_nn_module *m, const float *rows, int n, double *out)
{
    rs_graph *g = rs_graph_new();
    rs_graph_set_grad(g, false);
    rs_tensor *x = rs_graph_tensor(g, 2, (int[]){n, IN});
    memcpy(x->data, rows, (size_t)n * IN * sizeof(float));
    struct rs_nn_input in = {
        .kind = RS_NN_INPUT_FEATURES, .x = x, .B = n, .T = IN};
    rs_tensor *y = rs_nn_module_forward_input(m, g, &in);
    if (y == NULL)
        tap_bail("forward: %s", rs_graph_error(g)->msg);
    for (int i = 0; i < n * C; i++)
        out[i] = (double)y->data[i];
    rs_graph_free(g);
}

/* log softmax(z / tau) of one row of C. */
static void
log_softmax_row(const double *z, double tau, double *out)
{
    double top = z[0] / tau, s = 0.0;
    for (int k = 1; k < C; k++)
        top = fmax(top, z[k] / tau);
    for (int k = 0; k < C; k++)
        s += exp(z[k] / tau - top);
    for (int k = 0; k < C; k++)
        out[k] = z[k] / tau - top - log(s);
}

/* Mean over n rows of KL(softmax(a/tau) || softmax(b/tau)). */
static double
mean_kl(const double *a, const double *b, int n, double tau)
{
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        double la[C], lb[C];
        log_softmax_row(a + i * C, tau, la);
        log_softmax_row(b + i * C, tau, lb);
        for (int k = 0; k < C; k++)
            sum += exp(la[k]) * (la[k] - lb[k]);
    }
    return sum / n;
}

/* ---- KS: the base's rows ----------------------------------------------- */

static void
test_ks_direction(void)
{
    enum { N = 6 };
    const double beta = 0.7, tau = 1.5;
    struct rs_error err = {0};
    rs_nn_module *s = tap_linear(IN, C, RS_INIT_NORMAL, 1.5f, 3);
    rs_nn_module *t = tap_linear(IN, C, RS_INIT_NORMAL, 1.5f, 4);
    struct rs_batch b;
    tap_features_batch(&b, N, IN, C, 21);
    struct rs_source_info si = tap_obj_info(&b, 0, C);
    rs_objective *base = tap_classify();
    rs_objective *kl = rs_objective_kl_teacher(base, t, beta, tau, &err);
    tap_ok(kl != NULL && tap_obj_check(kl, s, &si, &err) == RS_OK,
           "KS: kl_teacher on the base's rows checks (%s)", err.msg);
    double zs[N * C], zt[N * C];
    logits(s, b.in[0].x, N, zs);
    logits(t, b.in[0].x, N, zt);
    double fwd = beta * tau * tau * mean_kl(zt, zs, N, tau);
    double rev = beta * tau * tau * mean_kl(zs, zt, N, tau);
    double got = tap_obj_loss(kl, s, &b) - tap_obj_loss(base, s, &b);
    tap_is_float(got, fwd, 1e-6, 1e-5,
                 "KS adds beta tau^2 mean KL(teacher || student) = %.6g", fwd);
    tap_ok(fabs(rev - fwd) > 1e-3 && fabs(got - rev) > 1e-3,
           "KS: the reverse KL(student || teacher) = %.6g is not what it adds",
           rev);
    rs_graph *g = rs_graph_new();
    struct rs_obj_stats st = {0};
    tap_obj_run(kl, g, s, &b, &st, NULL);
    tap_ok(st.nextra == 1 && strcmp(st.extra[0].name, "kl") == 0 &&
               fabs(st.extra[0].value - fwd / (beta * tau * tau)) < 1e-5,
           "KS reports the mean KL as the extra \"kl\"");
    rs_graph_free(g);
    tap_obj_gradcheck("KS total", kl, s, &b);
    rs_objective_release(kl);
    rs_objective_release(base);
    rs_nn_module_release(s);
    rs_nn_module_release(t);
    rs_batch_fini(&b);
}

/* ---- BC: a static buffer ----------------------------------------------- */

static void
test_bc_buffer(void)
{
    enum { N = 5, S = 7, B = 6 };
    const double beta = 1.3, tau = 1.0;
    struct rs_error err = {0};
    rs_nn_module *s = tap_linear(IN, C, RS_INIT_NORMAL, 1.5f, 5);
    rs_nn_module *t = tap_linear(IN, C, RS_INIT_NORMAL, 1.5f, 6);
    struct rs_batch b;
    tap_features_batch(&b, N, IN, C, 22);
    struct rs_source_info si = tap_obj_info(&b, 0, C);
    rs_tensor *states = rs_tensor_new2(S, IN, &err);
    struct rs_rng r;
    rs_rng_seed(&r, 5);
    for (size_t i = 0; i < states->numel; i++)
        states->data[i] = 2.0f * rs_rng_uniform(&r) - 1.0f;
    rs_objective *base = tap_classify();
    rs_objective *bc = rs_objective_kl_teacher(base, t, beta, tau, &err);
    tap_is_int(rs_objective_kl_teacher_buffer(bc, states, B, 9, &err), RS_OK,
               "BC: a buffer of %d states (%s)", S, err.msg);
    tap_is_int(tap_obj_check(bc, s, &si, &err), RS_OK, "BC checks (%s)",
               err.msg);
    /* replay the objective's draws: seed 9, B rows below S per step */
    struct rs_rng draw;
    rs_rng_seed(&draw, 9);
    double lb = tap_obj_loss(base, s, &b);
    bool all = true;
    for (int step = 0; step < 3; step++) {
        float rows[B * IN];
        for (int i = 0; i < B; i++) {
            int k = (int)rs_rng_below(&draw, S);
            memcpy(rows + i * IN, states->data + k * IN, IN * sizeof(float));
        }
        double zs[B * C], zt[B * C];
        logits(s, rows, B, zs);
        logits(t, rows, B, zt);
        double want = beta * tau * tau * mean_kl(zt, zs, B, tau);
        double got = tap_obj_loss(bc, s, &b) - lb;
        if (fabs(got - want) > 1e-5 * (1.0 + fabs(want))) {
            tap_diag("step %d: %.8g, want %.8g", step, got, want);
            all = false;
        }
    }
    tap_ok(all, "BC adds beta tau^2 mean KL(teacher || student) over the "
                "rows its stream draws, 3 steps");
    /* words: the stream, so a resume draws the same rows */
    size_t nw = rs_objective_state_words(bc);
    uint64_t *w = calloc(nw, sizeof *w);
    rs_objective_state_save(bc, w);
    double next = tap_obj_loss(bc, s, &b);
    tap_is_int(rs_objective_state_load(bc, w, nw, &err), RS_OK,
               "BC state loads (%s)", err.msg);
    tap_ok(tap_obj_loss(bc, s, &b) == next,
           "BC: after a state load the same rows are drawn again");
    w[1] = S + 1;
    tap_ok(rs_objective_state_load(bc, w, nw, &err) == RS_EFORMAT &&
               strstr(err.msg, "buffer of 8 states, this one has 7") != NULL,
           "a state of another buffer is refused: %s", err.msg);
    free(w);

    /* a one-row buffer draws the same row every time: gradcheck */
    rs_tensor *one = rs_tensor_new2(1, IN, &err);
    memcpy(one->data, states->data, IN * sizeof(float));
    rs_objective *bc1 = rs_objective_kl_teacher(base, t, beta, 2.0, &err);
    tap_ok(rs_objective_kl_teacher_buffer(bc1, one, 3, 1, &err) == RS_OK &&
               tap_obj_check(bc1, s, &si, &err) == RS_OK,
           "BC on a one-row buffer (%s)", err.msg);
    tap_obj_gradcheck("BC total", bc1, s, &b);

    /* refusals */
    rs_tensor *wide = rs_tensor_new2(2, IN + 1, &err);
    rs_objective *bad = rs_objective_kl_teacher(base, t, beta, tau, &err);
    tap_ok(rs_objective_kl_teacher_buffer(bad, wide, 4, 1, &err) == RS_OK &&
               tap_obj_check(bad, s, &si, &err) == RS_EINVAL &&
               strstr(err.msg, "states have 5 features, the model takes 4") !=
                   NULL,
           "a buffer the model cannot take: %s", err.msg);
    tap_ok(rs_objective_kl_teacher_buffer(bad, one, 0, 1, &err) == RS_EINVAL &&
               strstr(err.msg, "batch = 0") != NULL,
           "batch 0: %s", err.msg);
    tap_ok(rs_objective_kl_teacher_buffer(base, one, 4, 1, &err) ==
                   RS_EINVAL &&
               strstr(err.msg, "classify") != NULL,
           "a buffer on classify: %s", err.msg);
    one->data[2] = NAN;
    tap_ok(rs_objective_kl_teacher_buffer(bad, one, 4, 1, &err) == RS_EINVAL &&
               strstr(err.msg, "state 1 has a non-finite") != NULL,
           "a NaN state: %s", err.msg);
    rs_tensor_release(wide);
    rs_tensor_release(one);
    rs_tensor_release(states);
    rs_objective_release(bad);
    rs_objective_release(bc1);
    rs_objective_release(bc);
    rs_objective_release(base);
    rs_nn_module_release(s);
    rs_nn_module_release(t);
    rs_batch_fini(&b);
}

/* ---- the schedule ------------------------------------------------------ */

static void
test_schedule(void)
{
    struct rs_obj_schedule sc = {.decay = 0.5, .floor = 0.2, .every = 4};
    const long steps[] = {0, 3, 4, 7, 8, 11, 12, 400};
    const double want[] = {1, 1, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2};
    bool ok = true;
    for (int i = 0; i < 8; i++)
        ok = ok && rs_obj_schedule_weight(&sc, 1.0, steps[i]) == want[i];
    tap_ok(ok, "w = max(w0 0.5^floor(step / 4), 0.2) at steps 0..400");
    struct rs_error err = {0};
    struct rs_obj_schedule bad = sc;
    bad.floor = 2.0;
    tap_ok(rs_obj_schedule_check("ewc", 1.0, &bad, &err) == RS_EINVAL &&
               strstr(err.msg, "floor = 2") != NULL,
           "a floor above the weight: %s", err.msg);
    bad = sc;
    bad.decay = 0.0;
    tap_ok(rs_obj_schedule_check("ewc", 1.0, &bad, &err) == RS_EINVAL &&
               strstr(err.msg, "decay = 0") != NULL,
           "decay 0: %s", err.msg);

    /* in the loss: kl_teacher's term at step 8 is a quarter of step 0's */
    rs_nn_module *s = tap_linear(IN, C, RS_INIT_NORMAL, 1.5f, 7);
    rs_nn_module *t = tap_linear(IN, C, RS_INIT_NORMAL, 1.5f, 8);
    struct rs_batch b;
    tap_features_batch(&b, 4, IN, C, 23);
    struct rs_source_info si = tap_obj_info(&b, 0, C);
    rs_objective *base = tap_classify();
    rs_objective *kl = rs_objective_kl_teacher(base, t, 1.0, 1.0, &err);
    tap_ok(rs_objective_set_schedule(kl, &sc, &err) == RS_OK &&
               tap_obj_check(kl, s, &si, &err) == RS_OK,
           "kl_teacher takes the schedule (%s)", err.msg);
    double v[3];
    const long at[3] = {0, 8, 400};
    for (int i = 0; i < 3; i++) {
        rs_graph *g = rs_graph_new();
        rs_tensor *l = tap_obj_run_at(kl, g, s, &b, at[i], NULL, NULL);
        rs_graph *h = rs_graph_new();
        rs_tensor *l0 = tap_obj_run_at(base, h, s, &b, at[i], NULL, NULL);
        v[i] = (double)l->data[0] - (double)l0->data[0];
        rs_graph_free(g);
        rs_graph_free(h);
    }
    tap_is_float(v[1], 0.25 * v[0], 1e-6, 1e-5,
                 "kl_teacher at step 8: a quarter of its step-0 term");
    tap_is_float(v[2], 0.2 * v[0], 1e-6, 1e-5,
                 "kl_teacher at step 400: the floor, 0.2 of it");
    tap_ok(rs_objective_weight(kl, 8) == 0.25 &&
               isnan(rs_objective_weight(base, 8)),
           "rs_objective_weight: 0.25 at step 8, NaN for classify");
    tap_ok(rs_objective_set_schedule(base, &sc, &err) == RS_EINVAL,
           "classify has no schedule: %s", err.msg);
    rs_objective_release(kl);
    rs_objective_release(base);
    rs_nn_module_release(s);
    rs_nn_module_release(t);
    rs_batch_fini(&b);
}

/* ---- EWC's Fisher ------------------------------------------------------ */

/* The empirical Fisher of softmax(W x + b) on (x, y), in closed form: per
 * example g_W = (p - e_y) x^T, g_b = p - e_y; F = mean of g^2 (rows 1) or
 * (mean g)^2 (one batch of all). fw (C, IN), fb (C). */
static void
fisher_closed(rs_nn_module *m, const float *x, const int *y, int n,
              bool per_example, double *fw, double *fb)
{
    double z[16 * C];
    logits(m, x, n, z);
    double gw[C * IN] = {0}, gb[C] = {0};
    memset(fw, 0, C * IN * sizeof *fw);
    memset(fb, 0, C * sizeof *fb);
    for (int i = 0; i < n; i++) {
        double lp[C];
        log_softmax_row(z + i * C, 1.0, lp);
        for (int c = 0; c < C; c++) {
            double d = exp(lp[c]) - (c == y[i] ? 1.0 : 0.0);
            for (int j = 0; j < IN; j++) {
                double g = d * (double)x[i * IN + j];
                if (per_example)
                    fw[c * IN + j] += g * g / n;
                else
                    gw[c * IN + j] += g / n;
            }
            if (per_example)
                fb[c] += d * d / n;
            else
                gb[c] += d / n;
        }
    }
    if (!per_example) {
        for (int k = 0; k < C * IN; k++)
            fw[k] = gw[k] * gw[k];
        for (int c = 0; c < C; c++)
            fb[c] = gb[c] * gb[c];
    }
}

static double
max_rel(const rs_tensor *t, const double *want, size_t n)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++)
        worst = fmax(worst, fabs((double)t->data[i] - want[i]) /
                                (1e-7 + fabs(want[i])));
    return worst;
}

static void
test_fisher(void)
{
    enum { N = 6 };
    struct rs_error err = {0};
    float x[N * IN];
    int y[N];
    struct rs_rng r;
    rs_rng_seed(&r, 31);
    for (int i = 0; i < N * IN; i++)
        x[i] = 2.0f * rs_rng_uniform(&r) - 1.0f;
    for (int i = 0; i < N; i++)
        y[i] = (int)rs_rng_below(&r, C);
    struct rs_data_tensors_split tr = {.x = x, .y = y, .n = N};
    rs_dataset *d = rs_data_tensors_new(&tr, NULL, IN, C, &err);
    tap_ok(d != NULL && rs_dataset_count(d, RS_SPLIT_TRAIN) == N &&
               rs_dataset_count(d, RS_SPLIT_TEST) == 0,
           "a tensors dataset of %d examples, no test split (%s)", N,
           err.msg);
    rs_source *src = rs_source_dataset(d);
    rs_nn_module *m = tap_linear(IN, C, RS_INIT_NORMAL, 1.0f, 9);
    rs_objective *cls = tap_classify();
    struct rs_learner_config cfg;
    rs_learner_config_default(&cfg);
    cfg.batch = 2;
    cfg.eval_every = 0;
    rs_learner *l = tap_learner(&cfg, m, cls, src);

    double fw[C * IN], fb[C];
    rs_tensor *f[2] = {NULL, NULL};
    /* rows 1 over N batches: one epoch, every example once */
    tap_is_int(rs_learner_fisher(l, N, 1, f, &err), RS_OK,
               "per-example Fisher over %d batches of 1 (%s)", N, err.msg);
    fisher_closed(m, x, y, N, true, fw, fb);
    double ew = max_rel(f[0], fw, C * IN), eb = max_rel(f[1], fb, C);
    tap_ok(ew < 1e-4 && eb < 1e-4,
           "empirical Fisher = mean (p - e_y)^2 x^2 in closed form (relative "
           "error %.2g, %.2g)",
           ew, eb);
    rs_tensor_release(f[0]);
    rs_tensor_release(f[1]);
    /* one batch of all N: the square of the mean gradient */
    tap_is_int(rs_learner_fisher(l, 1, N, f, &err), RS_OK,
               "batch Fisher over 1 batch of %d (%s)", N, err.msg);
    double bw[C * IN], bb[C];
    fisher_closed(m, x, y, N, false, bw, bb);
    ew = max_rel(f[0], bw, C * IN);
    double sum_batch = 0.0, sum_ex = 0.0;
    for (int k = 0; k < C * IN; k++) {
        sum_batch += (double)f[0]->data[k];
        sum_ex += fw[k];
    }
    tap_ok(ew < 1e-4 && sum_batch < sum_ex,
           "batch Fisher = (mean g)^2 (error %.2g), smaller in sum than the "
           "per-example one (%.3g < %.3g)",
           ew, sum_batch, sum_ex);

    /* a preset Fisher, normalised by its mean, on a learner of 2 params */
    rs_objective *ewc = rs_objective_ewc(cls, 2.0, 0, &err);
    rs_tensor *pre[1] = {f[0]};
    tap_is_int(rs_objective_ewc_preset_fisher(ewc, pre, 1, RS_OBJ_FISHER_MEAN,
                                              &err),
               RS_OK, "ewc takes a preset Fisher for its first parameter");
    rs_learner_free(l);
    l = tap_learner(&cfg, m, ewc, src);
    rs_tensor *w = rs_nn_model_param(rs_nn_module_model(m), 0);
    rs_tensor *bias = rs_nn_model_param(rs_nn_module_model(m), 1);
    float dw = 0.1f;
    w->data[5] += dw;
    bias->data[1] += 0.3f; /* no Fisher: no term */
    struct rs_batch b;
    tap_features_batch(&b, 3, IN, C, 40);
    double got = tap_obj_loss(ewc, m, &b) - tap_obj_loss(cls, m, &b);
    double want = 2.0 / 2.0 * ((double)f[0]->data[5] * C * IN / sum_batch) *
                  (double)dw * (double)dw;
    tap_is_float(got, want, 1e-7, 1e-4,
                 "ewc term = lambda/2 (F_5 / mean F) d^2 = %.4g; the bias, "
                 "without a Fisher, adds nothing",
                 want);
    rs_objective *ewc2 = rs_objective_ewc(cls, 2.0, 0, &err);
    rs_tensor *two[2] = {f[0], f[0]};
    tap_ok(rs_objective_ewc_preset_fisher(ewc2, two, 2, RS_OBJ_FISHER_MAX,
                                          &err) == RS_OK &&
               tap_obj_check(ewc2, m, &(struct rs_source_info){0}, &err) ==
                   RS_EINVAL,
           "a preset Fisher of the wrong shape is refused at check: %s",
           err.msg);
    memset(f[0]->data, 0, f[0]->numel * sizeof(float));
    tap_ok(rs_objective_ewc_preset_fisher(ewc2, pre, 1, RS_OBJ_FISHER_MEAN,
                                          &err) == RS_EINVAL &&
               strstr(err.msg, "0 everywhere") != NULL,
           "a zero Fisher cannot be normalised: %s", err.msg);
    rs_batch_fini(&b);
    rs_tensor_release(f[0]);
    rs_tensor_release(f[1]);
    rs_objective_release(ewc);
    rs_objective_release(ewc2);
    rs_learner_free(l);
    rs_objective_release(cls);
    rs_nn_module_release(m);
    rs_source_release(src);
    rs_dataset_release(d);
}

/* ---- the tensors dataset ----------------------------------------------- */

static void
test_tensors_dataset(void)
{
    struct rs_error err = {0};
    float x[6] = {1, 2, 3, 4, 5, 6};
    int y[3] = {2, 0, 1};
    struct rs_data_tensors_split tr = {.x = x, .y = y, .n = 3};
    rs_dataset *d = rs_data_tensors_new(&tr, NULL, 2, 3, &err);
    x[0] = 99.0f; /* copied at creation */
    float out[4];
    int lab[2];
    rs_dataset_batch(d, RS_SPLIT_TRAIN, (int[]){2, 0}, 2, out, lab);
    tap_ok(out[0] == 5 && out[1] == 6 && out[2] == 1 && out[3] == 2 &&
               lab[0] == 1 && lab[1] == 2 &&
               strcmp(rs_dataset_kind(d), "tensors") == 0,
           "tensors: rows 3 and 1 back with their labels (a copy)");
    rs_dataset_release(d);
    y[1] = 3;
    tap_ok(rs_data_tensors_new(&tr, NULL, 2, 3, &err) == NULL &&
               strstr(err.msg, "train label 2 is 3 (must be in 0..2)") != NULL,
           "a label out of range: %s", err.msg);
    y[1] = 0;
    x[3] = INFINITY;
    tap_ok(rs_data_tensors_new(&tr, NULL, 2, 3, &err) == NULL &&
               strstr(err.msg, "train example 2 has a non-finite feature 2") !=
                   NULL,
           "a non-finite feature: %s", err.msg);
    tr.n = 0;
    tap_ok(rs_data_tensors_new(&tr, NULL, 2, 3, &err) == NULL &&
               strstr(err.msg, "train split has 0 examples") != NULL,
           "an empty train split: %s", err.msg);
}

int
main(void)
{
    tap_plan_lazy();
    test_ks_direction();
    test_bc_buffer();
    test_schedule();
    test_fisher();
    test_tensors_dataset();
    return tap_done();
}
