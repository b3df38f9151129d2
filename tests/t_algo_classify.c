/* repscope - MIT licence, see COPYING.
 *
 * t_algo_classify.c: a learner (algo/learner.h) with the classify
 * objective on a dataset source -- the supervised loop it replaced --
 * on a recording dataset: epochs visit every example once (also when a
 * batch spans epochs), the metric callback's cadence, evaluation against
 * hand-computed loss and accuracy, a non-finite loss leaving the
 * parameters alone, state save/load giving a bit-identical continuation
 * and refusing foreign or corrupt state; plus the module interface's
 * sequential bookkeeping (shared parameter names restored when the
 * container goes).
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo/learner.h"
#include "algo/objective.h"
#include "core/rng.h"
#include "data/dataset.h"
#include "data/source.h"
#include "nn/module.h"
#include "tests/learn_fixture.h"
#include "tests/tap.h"

/* ---- a dataset that records what it is asked for ------------------------ */

struct rec {
    int n[2];
    int in, classes;
    bool nan;
    int seen[4096];
    int nseen;
};

static int
rec_count(const void *impl, enum rs_split split)
{
    return ((const struct rec *)impl)->n[split];
}

/* Example i: one-hot of (i % classes) in the first classes features,
 * label i % classes. */
static void
rec_batch(const void *impl, enum rs_split split, const int *idx, int n,
          float *x, int *y)
{
    struct rec *r = (struct rec *)(uintptr_t)impl; /* records draws */
    for (int k = 0; k < n; k++) {
        int i = idx != NULL ? idx[k] : k;
        if (split == RS_SPLIT_TRAIN && r->nseen < 4096)
            r->seen[r->nseen++] = i;
        memset(x + (size_t)k * (size_t)r->in, 0, (size_t)r->in * sizeof *x);
        x[(size_t)k * (size_t)r->in + (size_t)(i % r->classes)] =
            r->nan ? NAN : 1.0f;
        if (y != NULL)
            y[k] = i % r->classes;
    }
}

static const struct rs_dataset_class rec_class = {
    .kind = "recording",
    .count = rec_count,
    .batch = rec_batch,
    .destroy = NULL,
};

static rs_dataset *
rec_dataset(struct rec *r, int ntrain, int ntest, int in, int classes)
{
    memset(r, 0, sizeof *r);
    r->n[RS_SPLIT_TRAIN] = ntrain;
    r->n[RS_SPLIT_TEST] = ntest;
    r->in = in;
    r->classes = classes;
    return rs_dataset_new(&rec_class, r, in, classes);
}

/* A learner of m on d with cross-entropy (NULL + err when refused). */
static rs_learner *
learner_of(const struct rs_learner_config *c, rs_nn_module *m, rs_dataset *d,
           struct rs_error *err)
{
    rs_objective *o = rs_objective_classify(RS_OBJ_CROSS_ENTROPY, err);
    rs_source *s = rs_source_dataset(d);
    rs_learner *l = o != NULL ? rs_learner_new(c, &m, 1, o, s, err) : NULL;
    rs_objective_release(o);
    rs_source_release(s);
    return l;
}

static rs_learner *
trainer(rs_nn_module *m, rs_dataset *d, int batch, long eval_every)
{
    struct rs_learner_config c;
    rs_learner_config_default(&c);
    c.batch = batch;
    c.eval_every = eval_every;
    c.log_every = 1;
    c.seed = 3;
    c.optim.lr = 0.05f;
    c.sched.lr = 0.05f;
    struct rs_error err = {0};
    rs_learner *tr = learner_of(&c, m, d, &err);
    if (tr == NULL)
        tap_bail("trainer: %s", err.msg);
    return tr;
}

/* Each block of n consecutive draws is a permutation of 0..n-1. */
static bool
epochs_ok(const int *seen, int count, int n)
{
    for (int start = 0; start + n <= count; start += n) {
        int hits[64] = {0};
        for (int k = 0; k < n; k++) {
            int v = seen[start + k];
            if (v < 0 || v >= n || hits[v]++)
                return false;
        }
    }
    return true;
}

static void
test_epochs(void)
{
    struct rec r;
    rs_dataset *d = rec_dataset(&r, 7, 3, 4, 4);
    rs_nn_module *m = tap_linear(4, 4, RS_INIT_TORCH_DEFAULT, 1.0f, 1);
    rs_learner *tr = trainer(m, d, 3, 0);
    tap_learner_steps(tr, 7);
    tap_is_int(r.nseen, 21, "7 steps of 3 draws");
    tap_ok(epochs_ok(r.seen, 21, 7), "every epoch visits each example once");
    bool differ = memcmp(r.seen, r.seen + 7, 7 * sizeof(int)) != 0;
    tap_ok(differ, "epochs are reshuffled");
    rs_learner_free(tr);

    r.nseen = 0;
    r.n[RS_SPLIT_TRAIN] = 5;
    tr = trainer(m, d, 12, 0);
    tap_learner_steps(tr, 1);
    tap_ok(r.nseen == 12 && epochs_ok(r.seen, 10, 5),
           "a batch larger than the split wraps into the next epoch");
    rs_learner_free(tr);
    rs_nn_module_release(m);
    rs_dataset_release(d);
}

static int
count_name(const struct tap_log *l, const char *name, long *steps)
{
    int c = 0;
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->name[i], name) == 0)
            steps[c++] = l->step[i];
    return c;
}

static void
test_logging_and_eval(void)
{
    struct rec r;
    rs_dataset *d = rec_dataset(&r, 12, 6, 3, 3);
    rs_nn_module *m = tap_linear(3, 3, RS_INIT_TORCH_DEFAULT, 1.0f, 2);
    struct rs_learner_config c;
    rs_learner_config_default(&c);
    c.batch = 4;
    c.eval_every = 3;
    c.log_every = 2;
    struct rs_error err = {0};
    rs_learner *tr = learner_of(&c, m, d, &err);
    struct tap_log *l = calloc(1, sizeof *l);
    l->learner = tr;
    rs_learner_set_log(tr, tap_log_record, l);
    tap_learner_steps(tr, 6);
    long st[16];
    tap_is_int(count_name(l, "train/loss", st), 3, "train/loss 3 times");
    tap_ok(st[0] == 2 && st[1] == 4 && st[2] == 6, "at steps 2, 4, 6");
    tap_is_int(count_name(l, "test/acc", st), 3, "test/acc 3 times");
    tap_ok(st[0] == 1 && st[1] == 3 && st[2] == 6, "at steps 1, 3, 6");
    tap_is_int(count_name(l, "train/acc", st), 3, "train/acc with them");
    free(l);

    /* W = identity, b = 0: logits are the one-hot inputs, every argmax is
     * the label, and the loss is -log(e / (e + 2)). */
    rs_nn_model *model = rs_nn_module_model(m);
    rs_tensor *w = rs_nn_model_lookup(model, "weight");
    rs_tensor *bias = rs_nn_model_lookup(model, "bias");
    rs_tensor_fill(w, 0.0f);
    for (int i = 0; i < 3; i++)
        w->data[i * 3 + i] = 1.0f;
    rs_tensor_fill(bias, 0.0f);
    double loss = 0, acc = 0;
    tap_is_int(rs_learner_eval(tr, RS_SPLIT_TEST, 0, 0, &loss, &acc, &err),
               RS_OK, "eval");
    tap_is_float(acc, 1.0, 0, 0, "accuracy 1 with the identity");
    tap_is_float(loss, -log(exp(1.0) / (exp(1.0) + 2.0)), 1e-6, 0,
                 "cross-entropy of one-hot logits");
    rs_learner_free(tr);
    rs_nn_module_release(m);
    rs_dataset_release(d);
}

static void
test_nonfinite(void)
{
    struct rec r;
    rs_dataset *d = rec_dataset(&r, 8, 4, 4, 4);
    rs_nn_module *m = tap_linear(4, 4, RS_INIT_TORCH_DEFAULT, 1.0f, 3);
    rs_learner *tr = trainer(m, d, 4, 0);
    rs_tensor *w = rs_nn_model_lookup(rs_nn_module_model(m), "weight");
    float before[16];
    memcpy(before, w->data, sizeof before);
    r.nan = true;
    struct rs_error err = {0};
    tap_is_int(rs_learner_step(tr, NULL, &err), RS_ENONFINITE,
               "a NaN loss is RS_ENONFINITE");
    tap_is_str(err.msg, "train/loss is nan", "naming the value");
    tap_ok(memcmp(before, w->data, sizeof before) == 0,
           "the parameters are unchanged");
    tap_is_int(rs_learner_steps(tr), 0, "no step counted");
    rs_learner_free(tr);
    rs_nn_module_release(m);
    rs_dataset_release(d);
}

static void
test_state(void)
{
    struct rec r;
    rs_dataset *d = rec_dataset(&r, 9, 3, 4, 4);
    rs_nn_module *ma = tap_linear(4, 4, RS_INIT_TORCH_DEFAULT, 1.0f, 5),
                 *mb = tap_linear(4, 4, RS_INIT_TORCH_DEFAULT, 1.0f, 6);
    rs_learner *a = trainer(ma, d, 4, 0), *b = trainer(mb, d, 4, 0);
    struct rs_error err = {0};
    tap_learner_steps(a, 5);
    size_t n = rs_learner_state_words(a);
    tap_is_int((long)n, 14 + 9, "state words: fixed part + permutation");
    uint64_t *w = calloc(n, sizeof *w);
    rs_learner_state_save(a, w);
    tap_learner_copy_weights(a, b);
    tap_is_int(rs_learner_state_load(b, w, n, &err), RS_OK, "load");
    tap_is_int(rs_learner_steps(b), 5, "steps restored");
    for (int i = 0; i < 5; i++)
        if (rs_learner_step(a, NULL, &err) != RS_OK ||
            rs_learner_step(b, NULL, &err) != RS_OK)
            tap_bail("step: %s", err.msg);
    rs_nn_model *pa = rs_nn_module_model(ma), *pb = rs_nn_module_model(mb);
    bool same = true;
    for (int i = 0; i < rs_nn_model_count(pa); i++)
        same = same && memcmp(rs_nn_model_param(pa, i)->data,
                              rs_nn_model_param(pb, i)->data,
                              rs_nn_model_param(pa, i)->numel * 4) == 0;
    tap_ok(same, "the restored trainer continues bit for bit");

    uint64_t saved = w[0];
    w[0] ^= 1;
    tap_is_int(rs_learner_state_load(b, w, n, &err), RS_EFORMAT,
               "a foreign magic is refused");
    w[0] = saved;
    w[14] = w[15]; /* a repeated index: not a permutation */
    tap_is_int(rs_learner_state_load(b, w, n, &err), RS_EFORMAT,
               "a corrupt permutation is refused");
    tap_is_str(err.msg, "corrupt learner state (not a permutation)",
               "saying so");
    tap_is_int(rs_learner_steps(b), 10, "a refused load changes nothing");
    struct rec r2;
    rs_dataset *d2 = rec_dataset(&r2, 10, 3, 4, 4);
    rs_nn_module *mc = tap_linear(4, 4, RS_INIT_TORCH_DEFAULT, 1.0f, 7);
    rs_learner *c = trainer(mc, d2, 4, 0);
    rs_learner_state_save(a, w);
    tap_is_int(rs_learner_state_load(c, w, n, &err), RS_EFORMAT,
               "state of another dataset is refused");
    tap_is_str(err.msg,
               "the learner state has 9 train examples, this source has 10",
               "naming the sizes");
    free(w);
    rs_learner_free(a);
    rs_learner_free(b);
    rs_learner_free(c);
    rs_nn_module_release(ma);
    rs_nn_module_release(mb);
    rs_nn_module_release(mc);
    rs_dataset_release(d);
    rs_dataset_release(d2);
}

static void
test_mismatch_and_modules(void)
{
    struct rec r;
    rs_dataset *d = rec_dataset(&r, 4, 2, 4, 4);
    rs_nn_module *m = tap_linear(5, 4, RS_INIT_TORCH_DEFAULT, 1.0f, 1);
    struct rs_learner_config c;
    rs_learner_config_default(&c);
    struct rs_error err = {0};
    tap_ok(learner_of(&c, m, d, &err) == NULL, "input mismatch refused");
    tap_is_str(err.msg,
               "the model takes 5 inputs but the dataset "
               "gives 4",
               "naming both sizes");

    /* A sequential shares its children's tensors under prefixed names and
     * gives the names back when it goes. */
    rs_tensor *wt = rs_nn_model_lookup(rs_nn_module_model(m), "weight");
    rs_nn_module *act = rs_nn_module_act(RS_NN_MLP_ACT_RELU, 0.0f, &err);
    rs_nn_module *kids[] = {m, act};
    const char *names[] = {"fc", NULL};
    rs_nn_module *seq = rs_nn_module_sequential(kids, names, 2, &err);
    tap_ok(seq != NULL, "sequential built");
    tap_ok(rs_nn_model_lookup(rs_nn_module_model(seq), "fc.weight") == wt,
           "the sequential holds the child's tensor");
    tap_is_str(rs_nn_module_layer_name(seq, 0), "2", "activation layer name");
    tap_is_int(rs_nn_module_in(seq), 5, "in from the first sized child");
    rs_nn_module_release(seq);
    tap_is_str(wt->name, "weight", "the child's name is back");
    rs_nn_module_release(act);
    rs_nn_module_release(m);
    rs_dataset_release(d);
}

int
main(void)
{
    test_epochs();
    test_logging_and_eval();
    test_nonfinite();
    test_state();
    test_mismatch_and_modules();
    return tap_done();
}
