/* repscope - MIT licence, see COPYING.
 *
 * t_algo_learner.c: the learner against the loops it replaced. Their
 * values are recorded (they were compared live, bit for bit, until the
 * loops were deleted): classify on a modular dataset takes the supervised
 * loop's steps (losses over 60 steps, evaluations, log cadence;
 * cross-entropy with AdamW, and mse_onehot with SGD momentum, a warm-up
 * cosine schedule and clipping); last_token on a seqtask source over the
 * transformer module takes the sequence trainer's (losses, accuracies,
 * lengths over 50 steps, logs, and its evaluations). Then: state save into a
 * new learner continues bit for bit (finite and generator); two learners named
 * a and b log only a/... and b/... keys, the unnamed one bare keys; set_source
 * mid-run (and a refused one that changes nothing); the diagonal Fisher equals
 * squared gradients computed by hand and leaves the run untouched; the
 * transformer module's forward_input on ids equals
 * rs_nn_transformer_forward, with its recorded tensors; and bad configs
 * are refused with messages naming the value.
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
#include "data/seqtask.h"
#include "data/source.h"
#include "nn/module.h"
#include "nn/transformer.h"
#include "tests/learn_fixture.h"
#include "tests/tap.h"

/* The transformer of these tests: 2 layers, windows of 24, 10 classes. */
static struct rs_nn_transformer_config
tf_config(void)
{
    return tap_transformer_config(RS_SEQ_VOCAB, 24, 2, 10);
}

static rs_nn_module *
tf_module(uint64_t seed)
{
    struct rs_nn_transformer_config c = tf_config();
    return tap_transformer(&c, seed);
}

/* ---- classify = the supervised loop ------------------------------------ */

/* Values of the supervised loop (src/algo/supervised.c) on these exact
 * configurations, recorded at commit f90e1bf, where this test compared
 * the two live and found them equal bit for bit, before that loop was
 * deleted. Compared to 1e-6 relative: another machine's BLAS kernels may
 * round the last bits differently. */
struct sup_ref {
    double loss[4]; /* steps 1, 10, 30, 60 */
    double eval_loss, eval_acc;
};
static const int sup_steps[4] = {1, 10, 30, 60};

static bool
near(double got, double want)
{
    return fabs(got - want) <= 1e-6 * (fabs(want) > 1.0 ? fabs(want) : 1.0);
}

static void
sup_case(const char *what, enum rs_obj_classify_loss ol,
         const struct rs_optim_config *oc, const struct rs_sched *sched,
         const struct sup_ref *ref)
{
    enum { STEPS = 60 };
    rs_source *src = tap_modular_source(11, '+', 0.5f, 7);
    rs_nn_module *m2 = tap_mlp(22, 24, 2, 11, 5);
    struct rs_error err = {0};
    struct rs_learner_config lc;
    rs_learner_config_default(&lc);
    lc.batch = 24; /* 60 train examples: epochs wrap inside a batch */
    lc.eval_every = 7;
    lc.eval_n = 0;
    lc.log_every = 4;
    lc.seed = 99;
    lc.optim = *oc;
    lc.sched = *sched;
    rs_objective *obj = rs_objective_classify(ol, &err);
    rs_learner *l = tap_learner(&lc, m2, obj, src);

    struct tap_log *lb = calloc(1, sizeof *lb);
    rs_learner_set_log(l, tap_log_record, lb);
    bool same = true;
    int evals = 0, k = 0;
    for (int s = 0; s < STEPS; s++) {
        struct rs_learner_stats b;
        if (rs_learner_step(l, &b, &err) != RS_OK)
            tap_bail("%s: step %d: %s", what, s + 1, err.msg);
        evals += b.evaluated;
        if (k < 4 && s + 1 == sup_steps[k]) {
            if (!near(b.loss, ref->loss[k])) {
                tap_diag("step %d: loss %.17g, the loop's %.17g", s + 1, b.loss,
                         ref->loss[k]);
                same = false;
            }
            k++;
        }
    }
    tap_ok(same, "%s: the losses of steps 1, 10, 30, 60 are the loop's", what);
    tap_is_int(evals, 9, "%s: evaluations at 1, 7, ..., 56", what);
    int nloss = 0, nacc = 0;
    for (int i = 0; i < lb->n; i++) {
        nloss += strcmp(lb->name[i], "train/loss") == 0;
        nacc += strcmp(lb->name[i], "test/acc") == 0;
    }
    tap_ok(lb->n == 2 * 15 + 3 * 9 && nloss == 15 && nacc == 9,
           "%s: the loop's log entries (%d: train/loss and train/lr every 4, "
           "train/acc, test/loss, test/acc with each evaluation)",
           what, lb->n);
    double l2, a2;
    int rc = rs_learner_eval(l, RS_SPLIT_TEST, 17, 0, &l2, &a2, &err);
    tap_ok(rc == RS_OK && near(l2, ref->eval_loss) && a2 == ref->eval_acc,
           "%s: eval(test, 17) = (%.6f, %.4f), the loop's, loss first", what,
           l2, a2);
    int r2 = 0;
    rc = rs_learner_probe_forward(l, RS_SPLIT_TRAIN, 9, &r2, &err);
    const rs_tensor *p2 = rs_nn_module_layer_act(m2, 1);
    tap_ok(rc == RS_OK && r2 == 9 && p2 != NULL && rs_tensor_rows(p2) == 9,
           "%s: probe_forward records 9 rows of the layers", what);
    free(lb);
    rs_learner_free(l);
    rs_objective_release(obj);
    rs_source_release(src);
    rs_nn_module_release(m2);
}

static void
test_supervised(void)
{
    static const struct sup_ref ce = {{2.4046921730041504, 2.4151716232299805,
                                       2.3351955413818359, 2.2057032585144043},
                                      2.5449891090393066,
                                      0.0};
    static const struct sup_ref mse = {
        {0.10464895516633987, 0.090601280331611633, 0.081464052200317383,
         0.078837074339389801},
        0.084467783570289612,
        0.0};
    struct rs_optim_config oc;
    rs_optim_config_default(&oc, RS_OPTIM_ADAMW);
    oc.lr = 3e-3f;
    struct rs_sched s;
    rs_sched_init(&s, RS_SCHED_CONSTANT, oc.lr, -1);
    sup_case("classify/cross_entropy/adamw", RS_OBJ_CROSS_ENTROPY, &oc, &s,
             &ce);
    rs_optim_config_default(&oc, RS_OPTIM_SGD);
    oc.lr = 0.5f;
    oc.momentum = 0.9f;
    oc.clip_norm = 0.5f;
    rs_sched_init(&s, RS_SCHED_COSINE, oc.lr, 60);
    s.warmup = 10;
    s.lr_min = 0.01f;
    sup_case("classify/mse_onehot/sgd+cosine+clip", RS_OBJ_MSE_ONEHOT, &oc, &s,
             &mse);
}

/* ---- last_token = the sequence trainer --------------------------------- */

static struct rs_seqtask_config
task(void)
{
    struct rs_seqtask_config t;
    rs_seqtask_config_default(&t);
    t.min_len = 3;
    t.max_len = 7;
    t.sep_every = 3;
    return t;
}

static void
test_seqtrain(void)
{
    enum { STEPS = 50 };
    /* The sequence trainer's (src/algo/seqtrain.c) values at steps 1, 10,
     * 25, 50 and of eval(len 10, 300), recorded as sup_ref's were. */
    static const int at[4] = {1, 10, 25, 50};
    static const double want_loss[4] = {3.1915977001190186, 2.4539361000061035,
                                        1.8927596807479858, 1.7974345684051514};
    static const double want_acc[4] = {0.0, 0.0, 0.625, 0.25};
    static const int want_T[4] = {7, 10, 6, 6};
    struct rs_nn_transformer_config tc = tf_config();
    struct rs_rng r;
    rs_rng_seed(&r, 21);
    struct rs_error err = {0};
    rs_nn_transformer *tf = rs_nn_transformer_new(&tc, &r, &err);
    rs_nn_module *m = tf_module(21);
    tap_ok(tf != NULL && tap_params_equal(rs_nn_transformer_model(tf),
                                          rs_nn_module_model(m)),
           "transformer module: the same initial weights from the same rng");
    rs_nn_transformer_free(tf);

    struct rs_learner_config lc;
    rs_learner_config_default(&lc);
    lc.batch = 8;
    lc.eval_every = 0;
    lc.log_every = 5;
    lc.seed = 77;
    lc.optim.clip_norm = 1.0f;
    lc.optim.lr = 3e-3f;
    rs_sched_init(&lc.sched, RS_SCHED_LINEAR, 3e-3f, 50);
    lc.sched.warmup = 5;
    struct rs_seqtask_config t = task();
    rs_source *src = rs_source_seqtask(&t, &err);
    rs_objective *obj = rs_objective_last_token(&err);
    rs_learner *l = tap_learner(&lc, m, obj, src);

    struct tap_log *lb = calloc(1, sizeof *lb);
    rs_learner_set_log(l, tap_log_record, lb);
    bool same = true;
    double first = 0.0, last = 0.0;
    for (int s = 0, k = 0; s < STEPS; s++) {
        struct rs_learner_stats b;
        if (rs_learner_step(l, &b, &err) != RS_OK)
            tap_bail("last_token: step %d: %s", s + 1, err.msg);
        if (k < 4 && s + 1 == at[k]) {
            if (!near(b.loss, want_loss[k]) || b.acc != want_acc[k] ||
                b.T != want_T[k]) {
                tap_diag("step %d: loss %.17g acc %g T %d, the trainer's "
                         "%.17g %g %d",
                         s + 1, b.loss, b.acc, b.T, want_loss[k], want_acc[k],
                         want_T[k]);
                same = false;
            }
            k++;
        }
        if (s == 0)
            first = b.loss;
        last = b.loss;
    }
    tap_ok(same, "last_token: loss, acc and T of steps 1, 10, 25, 50 are the "
                 "sequence trainer's");
    tap_ok(lb->n == 3 * STEPS / 5 && strcmp(lb->name[0], "train/loss") == 0 &&
               strcmp(lb->name[1], "train/acc") == 0 &&
               strcmp(lb->name[2], "train/lr") == 0,
           "last_token: %d log entries (train/loss, train/acc, train/lr)",
           lb->n);
    double l2, a2;
    int rc = rs_learner_eval(l, RS_SPLIT_TEST, 300, 10, &l2, &a2, &err);
    tap_ok(rc == RS_OK && near(l2, 2.006955623626709) &&
               fabs(a2 - 0.22333333333333333) < 1e-12,
           "last_token: eval at len 10 beyond training = (%.6f, %.4f), the "
           "trainer's (loss first)",
           l2, a2);
    tap_diag("last_token: loss %.4f at step 1, %.4f at step %d", first, last,
             STEPS);

    /* It trains: a fresh learner at a fixed rate on the same module. */
    rs_learner_config_default(&lc);
    lc.batch = 16;
    lc.eval_every = 0;
    lc.optim.lr = 3e-3f;
    rs_sched_init(&lc.sched, RS_SCHED_CONSTANT, 3e-3f, -1);
    rs_learner *fresh = tap_learner(&lc, m, obj, src);
    double before = 0.0, after = 0.0, acc = 0.0;
    int rc2 =
        rs_learner_eval(fresh, RS_SPLIT_TEST, 200, 5, &before, NULL, &err);
    for (int s = 0; s < 150 && rc2 == RS_OK; s++)
        rc2 = rs_learner_step(fresh, NULL, &err);
    rc2 |= rs_learner_eval(fresh, RS_SPLIT_TEST, 200, 5, &after, &acc, &err);
    tap_ok(rc2 == RS_OK && after < 0.8 * before,
           "last_token on the transformer module trains: eval loss %.4f -> "
           "%.4f (acc %.3f)",
           before, after, acc);
    rs_learner_free(fresh);

    free(lb);
    rs_learner_free(l);
    rs_objective_release(obj);
    rs_source_release(src);
    rs_nn_module_release(m);
}

/* ---- state ------------------------------------------------------------- */

/* Run a for k steps, copy its state, parameters and optimiser buffers
 * into b (built the same way), then step both n more times. */
static bool
resume_case(rs_learner *a, rs_learner *b, int k, int n)
{
    struct rs_error err = {0};
    for (int s = 0; s < k; s++)
        if (rs_learner_step(a, NULL, &err) != RS_OK)
            return false;
    size_t nw = rs_learner_state_words(a);
    uint64_t *w = calloc(nw, sizeof *w);
    rs_learner_state_save(a, w);
    rs_nn_model *pa = rs_learner_params(a), *pb = rs_learner_params(b);
    for (int i = 0; i < rs_nn_model_count(pa); i++) {
        const rs_tensor *p = rs_nn_model_param(pa, i);
        memcpy(rs_nn_model_param(pb, i)->data, p->data,
               p->numel * sizeof(float));
        for (int which = 0; which < 2; which++) {
            float *sa = rs_optim_state(rs_learner_optim(a), i, which);
            float *sb = rs_optim_state(rs_learner_optim(b), i, which);
            if (sa != NULL)
                memcpy(sb, sa, p->numel * sizeof(float));
        }
    }
    int rc = rs_learner_state_load(b, w, nw, &err);
    free(w);
    if (rc != RS_OK) {
        tap_diag("load: %s", err.msg);
        return false;
    }
    bool same = rs_learner_steps(b) == k;
    for (int s = 0; s < n && same; s++) {
        struct rs_learner_stats x, y;
        same = rs_learner_step(a, &x, &err) == RS_OK &&
               rs_learner_step(b, &y, &err) == RS_OK &&
               tap_same_double(x.loss, y.loss) && x.evaluated == y.evaluated &&
               tap_same_double(x.test_acc, y.test_acc);
    }
    return same && tap_params_equal(pa, pb);
}

static void
test_state(void)
{
    struct rs_error err = {0};
    rs_source *src = tap_modular_source(11, '+', 0.5f, 7);
    rs_objective *obj = tap_classify();
    struct rs_learner_config lc;
    rs_learner_config_default(&lc);
    lc.batch = 16;
    lc.eval_every = 5;
    lc.log_every = 3;
    rs_nn_module *m1 = tap_mlp(22, 24, 2, 11, 5),
                 *m2 = tap_mlp(22, 24, 2, 11, 6);
    rs_learner *a = tap_learner(&lc, m1, obj, src);
    rs_learner *b = tap_learner(&lc, m2, obj, src);
    tap_ok(resume_case(a, b, 13, 20),
           "state: a dataset learner restored after 13 steps continues bit "
           "for bit for 20");
    /* A load that does not fit changes nothing. */
    uint64_t w[3] = {1, 2, 3};
    int rc = rs_learner_state_load(b, w, 3, &err);
    tap_ok(rc == RS_EFORMAT && strstr(err.msg, "not a learner state") &&
               rs_learner_steps(b) == 33,
           "state: garbage refused: %s", err.msg);
    rs_learner_free(a);
    rs_learner_free(b);

    /* Before its first draw a learner's permutation is the identity and
     * is not stored: its state is ntrain words shorter, and restores. */
    a = tap_learner(&lc, m1, obj, src);
    b = tap_learner(&lc, m2, obj, src);
    size_t fresh = rs_learner_state_words(a);
    tap_ok(resume_case(a, b, 0, 20),
           "state: a learner restored before its first step continues bit "
           "for bit for 20");
    tap_is_int((int)(rs_learner_state_words(a) - fresh),
               rs_source_count(src, RS_SPLIT_TRAIN),
               "state: the permutation is stored once drawn, not before");
    rs_learner_free(a);
    rs_learner_free(b);
    rs_nn_module_release(m1);
    rs_nn_module_release(m2);
    rs_objective_release(obj);
    rs_source_release(src);

    struct rs_seqtask_config t = task();
    src = rs_source_seqtask(&t, &err);
    obj = rs_objective_last_token(&err);
    lc.batch = 4;
    lc.eval_n = 16;
    lc.eval_len = 5;
    m1 = tf_module(3);
    m2 = tf_module(4);
    a = tap_learner(&lc, m1, obj, src);
    b = tap_learner(&lc, m2, obj, src);
    tap_ok(resume_case(a, b, 7, 8),
           "state: a seqtask learner restored after 7 steps continues bit "
           "for bit for 8 (with evaluations at len 5)");
    rs_learner_free(a);
    rs_learner_free(b);
    rs_nn_module_release(m1);
    rs_nn_module_release(m2);
    rs_objective_release(obj);
    rs_source_release(src);
}

/* ---- names ------------------------------------------------------------- */

static bool
all_owned(const struct tap_log *lg, const char *prefix)
{
    size_t k = strlen(prefix);
    for (int i = 0; i < lg->n; i++)
        if (strncmp(lg->name[i], prefix, k) != 0)
            return false;
    return lg->n > 0;
}

static void
test_names(void)
{
    struct rs_error err = {0};
    rs_source *src = tap_modular_source(7, '*', 0.5f, 1);
    rs_objective *obj = tap_classify();
    struct rs_learner_config lc;
    rs_learner_config_default(&lc);
    lc.batch = 8;
    lc.eval_every = 2;
    lc.log_every = 2;
    rs_nn_module *m1 = tap_mlp(14, 24, 2, 7, 1), *m2 = tap_mlp(14, 24, 2, 7, 2),
                 *m3 = tap_mlp(14, 24, 2, 7, 3);
    snprintf(lc.name, sizeof lc.name, "a");
    rs_learner *a = tap_learner(&lc, m1, obj, src);
    snprintf(lc.name, sizeof lc.name, "b");
    rs_learner *b = tap_learner(&lc, m2, obj, src);
    lc.name[0] = '\0';
    rs_learner *u = tap_learner(&lc, m3, obj, src);
    struct tap_log *la = calloc(1, sizeof *la), *lb = calloc(1, sizeof *lb),
                   *lu = calloc(1, sizeof *lu);
    rs_learner_set_log(a, tap_log_record, la);
    rs_learner_set_log(b, tap_log_record, lb);
    rs_learner_set_log(u, tap_log_record, lu);
    int rc = RS_OK;
    for (int s = 0; s < 4 && rc == RS_OK; s++) {
        rc = rs_learner_step(a, NULL, &err);
        rc |= rs_learner_step(b, NULL, &err);
        rc |= rs_learner_step(u, NULL, &err);
    }
    tap_ok(rc == RS_OK && all_owned(la, "a/") && all_owned(lb, "b/"),
           "names: learner a logs only a/... (%s), b only b/... (%s)",
           la->name[0], lb->name[0]);
    bool bare = lu->n > 0;
    for (int i = 0; i < lu->n; i++)
        bare = bare && strchr(lu->name[i], '/') != NULL &&
               (strncmp(lu->name[i], "train/", 6) == 0 ||
                strncmp(lu->name[i], "test/", 5) == 0);
    tap_ok(bare, "names: the unnamed learner logs bare names (%s, %s)",
           lu->name[0], lu->name[lu->n - 1]);
    tap_ok(la->n == 13 && strcmp(la->name[0], "a/train/acc") == 0 &&
               strcmp(la->name[3], "a/train/loss") == 0 &&
               strcmp(la->name[4], "a/train/lr") == 0,
           "names: step 1 evaluates (a/train/acc, a/test/loss, a/test/acc), "
           "step 2 logs a/train/loss, a/train/lr first (%d entries in 4 "
           "steps)",
           la->n);
    snprintf(lc.name, sizeof lc.name, "train");
    struct rs_error e2 = {0};
    rs_nn_module *mm = m1;
    rs_learner *bad = rs_learner_new(&lc, &mm, 1, obj, src, &e2);
    tap_ok(bad == NULL && strstr(e2.msg, "train") != NULL,
           "names: a reserved learner name is refused: %s", e2.msg);
    free(la);
    free(lb);
    free(lu);
    rs_learner_free(a);
    rs_learner_free(b);
    rs_learner_free(u);
    rs_nn_module_release(m1);
    rs_nn_module_release(m2);
    rs_nn_module_release(m3);
    rs_objective_release(obj);
    rs_source_release(src);
}

/* ---- set_source -------------------------------------------------------- */

static void
test_set_source(void)
{
    struct rs_error err = {0};
    rs_source *s1 = tap_modular_source(11, '+', 0.5f, 7);
    rs_source *s2 = tap_modular_source(11, '-', 0.5f, 8);
    rs_source *s3 = tap_modular_source(13, '+', 0.5f, 7);
    rs_objective *obj = tap_classify();
    struct rs_learner_config lc;
    rs_learner_config_default(&lc);
    lc.batch = 16;
    lc.eval_every = 0;
    rs_nn_module *m = tap_mlp(22, 24, 2, 11, 5);
    rs_learner *l = tap_learner(&lc, m, obj, s1);
    int rc = RS_OK;
    for (int s = 0; s < 10 && rc == RS_OK; s++)
        rc = rs_learner_step(l, NULL, &err);
    double before = 0.0, acc;
    rc |= rs_learner_eval(l, RS_SPLIT_TEST, 0, 0, &before, &acc, &err);
    rc |= rs_learner_set_source(l, s2, &err);
    tap_ok(rc == RS_OK && rs_learner_source(l) == s2 &&
               rs_learner_steps(l) == 10,
           "set_source: a new task after 10 steps, the step count kept");
    double other = 0.0;
    rc = rs_learner_eval(l, RS_SPLIT_TEST, 0, 0, &other, &acc, &err);
    for (int s = 0; s < 10 && rc == RS_OK; s++)
        rc = rs_learner_step(l, NULL, &err);
    tap_ok(rc == RS_OK && rs_learner_steps(l) == 20 && other != before,
           "set_source: evaluation and steps read the new task (test loss "
           "%.4f on the old, %.4f on the new)",
           before, other);
    size_t nw = rs_learner_state_words(l);
    rc = rs_learner_set_source(l, s3, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "gives 26") != NULL &&
               rs_learner_source(l) == s2 && rs_learner_state_words(l) == nw,
           "set_source: a source that does not fit is refused, nothing "
           "changes: %s",
           err.msg);
    rs_learner_free(l);
    rs_nn_module_release(m);
    rs_objective_release(obj);
    rs_source_release(s1);
    rs_source_release(s2);
    rs_source_release(s3);
}

/* ---- Fisher ------------------------------------------------------------ */

static void
test_fisher(void)
{
    struct rs_error err = {0};
    rs_source *src = tap_modular_source(11, '+', 0.5f, 7);
    rs_objective *obj = tap_classify();
    struct rs_learner_config lc;
    rs_learner_config_default(&lc);
    lc.batch = 16;
    lc.eval_every = 0;
    rs_nn_module *m1 = tap_mlp(22, 24, 2, 11, 5),
                 *m2 = tap_mlp(22, 24, 2, 11, 5);
    rs_learner *a = tap_learner(&lc, m1, obj, src);
    rs_learner *b = tap_learner(&lc, m2, obj, src);
    int rc = RS_OK;
    for (int s = 0; s < 3; s++) {
        rc |= rs_learner_step(a, NULL, &err);
        rc |= rs_learner_step(b, NULL, &err);
    }
    int np = rs_nn_model_count(rs_learner_params(a));
    rs_tensor **f = calloc((size_t)np, sizeof *f);
    rc |= rs_learner_fisher(a, 2, 0, f, &err);
    tap_ok(rc == RS_OK && f[0] != NULL, "fisher over 2 batches (%s)", err.msg);

    /* By hand on b: the next two batches (from a copy of b's sampler, by
     * drawing and then restoring b from a's state words). */
    size_t nw = rs_learner_state_words(b);
    uint64_t *w = calloc(nw, sizeof *w);
    rs_learner_state_save(b, w);
    rs_nn_model *pb = rs_learner_params(b);
    double *acc = calloc(rs_nn_model_numel(pb), sizeof *acc);
    rs_graph *g = rs_graph_new();
    for (int k = 0; k < 2 && rc == RS_OK; k++) {
        const struct rs_batch *bt;
        rc = rs_learner_next_batch(b, &bt, &err);
        struct rs_obj_ctx c = {.g = g, .batch = bt, .train = true};
        rs_nn_module *mods[1] = {m2};
        c.modules = mods;
        c.nmodules = 1;
        c.params = pb;
        struct rs_obj_stats st;
        rs_tensor *loss = rs_objective_loss(obj, &c, &st);
        rc |= loss == NULL ? RS_EINVAL : rs_graph_backward(g, loss, &err);
        size_t o = 0;
        for (int i = 0; i < rs_nn_model_count(pb); i++) {
            rs_tensor *p = rs_nn_model_param(pb, i);
            for (size_t j = 0; j < p->numel; j++)
                acc[o++] += (double)p->grad[j] * (double)p->grad[j];
        }
        rs_optim_zero_grad(rs_learner_optim(b));
        rs_graph_reset(g);
    }
    rs_graph_free(g);
    rc |= rs_learner_state_load(b, w, nw, &err);
    double maxerr = 0.0, total = 0.0;
    size_t o = 0;
    for (int i = 0; i < np; i++)
        for (size_t j = 0; j < f[i]->numel; j++, o++) {
            double want = acc[o] / 2.0;
            double e = fabs((double)f[i]->data[j] - want);
            maxerr = e > maxerr ? e : maxerr;
            total += want;
        }
    tap_ok(rc == RS_OK && maxerr <= 1e-6 * (1.0 + total / (double)o) &&
               total > 0.0,
           "fisher = mean of squared per-batch gradients (max error %.3g, "
           "mean %.3g)",
           maxerr, total / (double)o);
    /* a computed a Fisher, b did not: both continue alike. */
    bool same = true;
    for (int s = 0; s < 5 && same; s++) {
        struct rs_learner_stats x, y;
        same = rs_learner_step(a, &x, &err) == RS_OK &&
               rs_learner_step(b, &y, &err) == RS_OK &&
               tap_same_double(x.loss, y.loss);
    }
    tap_ok(same && tap_params_equal(rs_learner_params(a), pb),
           "fisher leaves parameters, optimiser and sampler untouched");
    rc = rs_learner_fisher(a, 0, 0, f, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "batches = 0") != NULL,
           "fisher: 0 batches refused: %s", err.msg);
    for (int i = 0; i < np; i++)
        rs_tensor_release(f[i]);
    free(f);
    free(w);
    free(acc);
    rs_learner_free(a);
    rs_learner_free(b);
    rs_nn_module_release(m1);
    rs_nn_module_release(m2);
    rs_objective_release(obj);
    rs_source_release(src);
}

/* ---- the transformer module -------------------------------------------- */

static void
test_transformer_module(void)
{
    struct rs_nn_transformer_config tc = tf_config();
    struct rs_rng r;
    rs_rng_seed(&r, 8);
    struct rs_error err = {0};
    rs_nn_transformer *tf = rs_nn_transformer_new(&tc, &r, &err);
    rs_nn_module *m = tf_module(8);
    int ids[2 * 6] = {1, 2, 3, 12, 4, 5, 9, 9, 11, 0, 7, 12};
    rs_graph *g1 = rs_graph_new(), *g2 = rs_graph_new();
    rs_tensor *a = rs_nn_transformer_forward(tf, g1, ids, 2, 6);
    struct rs_nn_input in = {
        .kind = RS_NN_INPUT_TOKENS, .ids = ids, .B = 2, .T = 6};
    rs_tensor *b = rs_nn_module_forward_input(m, g2, &in);
    tap_ok(a != NULL && b != NULL && a->numel == b->numel &&
               memcmp(a->data, b->data, a->numel * sizeof(float)) == 0,
           "transformer module: forward_input(ids) = "
           "rs_nn_transformer_forward, bit for bit");
    tap_ok(rs_nn_module_input_kind(m) == RS_NN_INPUT_TOKENS &&
               strcmp(rs_nn_module_kind(m), "transformer") == 0 &&
               rs_nn_module_out(m) == 10 && rs_nn_module_layers(m) == 2 &&
               strcmp(rs_nn_module_layer_name(m, 1), "h2") == 0,
           "transformer module: tokens in, 10 out, layers h1 h2");
    rs_nn_transformer *mt = rs_nn_module_as_transformer(m);
    tap_ok(rs_nn_module_recorded(m, "logits") == b &&
               rs_nn_module_recorded(m, "h2") ==
                   rs_nn_transformer_layer_out(mt, 2) &&
               rs_nn_module_layer_act(m, 0) ==
                   rs_nn_transformer_layer_out(mt, 1) &&
               rs_nn_module_recorded(m, "attn1") ==
                   rs_nn_transformer_attn(mt, 1) &&
               rs_nn_module_recorded(m, "embed") != NULL &&
               rs_nn_module_recorded(m, "final") != NULL &&
               rs_nn_module_recorded(m, "h3") == NULL &&
               rs_nn_module_recorded(m, "h0") == NULL,
           "transformer module: recorded embed, h<l>, final, attn<l>, logits");
    rs_graph_reset(g2);
    rs_nn_module *lin = tap_mlp(6, 24, 2, 3, 1);
    struct rs_nn_input tin = {
        .kind = RS_NN_INPUT_TOKENS, .ids = ids, .B = 2, .T = 6};
    tap_ok(rs_nn_module_forward_input(lin, g2, &tin) == NULL &&
               strstr(rs_graph_error(g2)->msg, "takes features, was given "
                                               "tokens") != NULL,
           "forward_input: ids into a feature module fail: %s",
           rs_graph_error(g2)->msg);
    rs_nn_module_release(lin);
    rs_graph_free(g1);
    rs_graph_free(g2);
    rs_nn_transformer_free(tf);
    rs_nn_module_release(m);
}

/* ---- refusals ---------------------------------------------------------- */

static void
test_refusals(void)
{
    struct rs_error err = {0};
    rs_source *ds = tap_modular_source(7, '+', 0.5f, 1);
    struct rs_seqtask_config t = task();
    rs_source *ss = rs_source_seqtask(&t, &err);
    rs_objective *cl = tap_classify();
    rs_objective *lt = rs_objective_last_token(&err);
    rs_nn_module *fm = tap_mlp(14, 24, 2, 7, 1), *tm = tf_module(1),
                 *wrong = tap_mlp(14, 24, 2, 5, 1);
    struct rs_learner_config lc;
    rs_learner_config_default(&lc);
    rs_learner *l = rs_learner_new(&lc, &tm, 1, cl, ds, &err);
    tap_ok(l == NULL && strstr(err.msg, "takes tokens, the source gives "
                                        "features") != NULL,
           "refused: a token model on a dataset: %s", err.msg);
    l = rs_learner_new(&lc, &fm, 1, lt, ds, &err);
    tap_ok(l == NULL && strstr(err.msg, "last_token") != NULL,
           "refused: last_token on features: %s", err.msg);
    l = rs_learner_new(&lc, &wrong, 1, cl, ds, &err);
    tap_ok(l == NULL && strstr(err.msg, "5 outputs") != NULL,
           "refused: 5 outputs for 7 classes: %s", err.msg);
    lc.batch = 0;
    l = rs_learner_new(&lc, &fm, 1, cl, ds, &err);
    tap_ok(l == NULL && strstr(err.msg, "batch = 0") != NULL, "refused: %s",
           err.msg);
    rs_learner_config_default(&lc);
    lc.log_every = 0;
    l = rs_learner_new(&lc, &fm, 1, cl, ds, &err);
    tap_ok(l == NULL && strstr(err.msg, "log_every = 0") != NULL, "refused: %s",
           err.msg);
    rs_learner_config_default(&lc);
    l = rs_learner_new(&lc, &tm, 1, lt, ss, &err);
    tap_ok(l != NULL, "accepted: last_token on seqtask (%s)", err.msg);
    int rc = rs_learner_eval(l, RS_SPLIT_TEST, 4, -1, NULL, NULL, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "len = -1") != NULL,
           "refused: %s", err.msg);
    struct rs_seqtask_config ct = task();
    ct.kind = RS_SEQTASK_COUNT;
    rs_source *cs = rs_source_seqtask(&ct, &err);
    rc = rs_learner_set_source(l, cs, &err);
    rc |= rs_learner_eval(l, RS_SPLIT_TEST, 64, 12, NULL, NULL, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "gives out = 10 logits"),
           "refused: counting answers beyond the logits: %s", err.msg);
    rs_source_release(cs);
    rc = rs_learner_set_eval(l, -1, 0, 0, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "eval_every = -1") != NULL,
           "refused: %s", err.msg);
    rs_learner_free(l);
    rs_nn_module_release(fm);
    rs_nn_module_release(tm);
    rs_nn_module_release(wrong);
    rs_objective_release(cl);
    rs_objective_release(lt);
    rs_source_release(ds);
    rs_source_release(ss);
}

/* ---- several modules --------------------------------------------------- */

static void
test_modules(void)
{
    struct rs_error err = {0};
    rs_source *src = tap_modular_source(7, '+', 0.5f, 1);
    rs_objective *obj = tap_classify();
    rs_nn_module *ms[2] = {tap_mlp(14, 24, 2, 7, 1), tap_mlp(14, 24, 2, 7, 2)};
    struct rs_learner_config lc;
    rs_learner_config_default(&lc);
    lc.batch = 8;
    rs_learner *l = rs_learner_new(&lc, ms, 2, obj, src, &err);
    rs_nn_model *p = l != NULL ? rs_learner_params(l) : NULL;
    int n1 = rs_nn_model_count(rs_nn_module_model(ms[0]));
    tap_ok(p != NULL && rs_nn_model_count(p) == 2 * n1 &&
               strcmp(rs_nn_model_param_name(p, n1), "2.l1.weight") == 0 &&
               rs_nn_model_param(p, n1) ==
                   rs_nn_model_param(rs_nn_module_model(ms[1]), 0),
           "two modules: one registry \"<i>.<name>\" sharing the tensors "
           "(%s)",
           err.msg);
    int rc = rs_learner_step(l, NULL, &err);
    tap_ok(rc == RS_OK && rs_learner_nmodules(l) == 2 &&
               rs_learner_module(l, 1) == ms[1],
           "two modules: a step (%s)", err.msg);
    rs_learner_free(l);
    rs_nn_model *m1 = rs_nn_module_model(ms[1]);
    tap_is_str(rs_nn_model_param(m1, 0)->name, rs_nn_model_param_name(m1, 0),
               "two modules: the tensors get their own names back");
    rs_nn_module *twice[2] = {ms[0], ms[0]};
    l = rs_learner_new(&lc, twice, 2, obj, src, &err);
    tap_ok(l == NULL && strstr(err.msg, "shares parameter") != NULL,
           "the same module twice is refused: %s", err.msg);
    rs_nn_model *m0 = rs_nn_module_model(ms[0]);
    tap_is_str(rs_nn_model_param(m0, 0)->name, rs_nn_model_param_name(m0, 0),
               "a refused learner gives the names back too");
    rs_nn_module_release(ms[0]);
    rs_nn_module_release(ms[1]);
    rs_objective_release(obj);
    rs_source_release(src);
}

int
main(void)
{
    tap_plan_lazy();
    test_supervised();
    test_seqtrain();
    test_state();
    test_names();
    test_set_source();
    test_fisher();
    test_transformer_module();
    test_refusals();
    test_modules();
    return tap_done();
}
