/* repscope - MIT licence, see COPYING.
 *
 * t_algo_last_token.c: a learner (algo/learner.h) with the last_token
 * objective on a sequence-task source and the transformer module -- the
 * sequence trainer it replaced. The first step's loss and accuracy are
 * recomputed outside the learner (the same batch redrawn from the seed,
 * an own forward, cross-entropy at the query in double); an all-zero
 * head gives eval loss log(out) exactly; a tiny transformer (d 16, one
 * layer) learns copy_first at lengths 4..6 to >= 90% with a falling
 * loss; evaluation repeats bit for bit and training is reproducible from
 * the seeds; a new task's separators change the sequence length; state
 * save/load continues bit for bit; bad configs, tasks and eval arguments
 * are refused with messages naming the value. (The Lua handle,
 * rs.train.seq over rs.learner: tests/lua/t_seq.lua.)
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
#include "data/seqtask.h"
#include "data/source.h"
#include "nn/module.h"
#include "nn/transformer.h"
#include "tests/learn_fixture.h"
#include "tests/tap.h"

/* A one-layer transformer on the sequence tasks' vocabulary. */
static rs_nn_module *
tiny(uint64_t seed, int out, int ctx)
{
    struct rs_nn_transformer_config c =
        tap_transformer_config(RS_SEQ_VOCAB, ctx, 1, out);
    return tap_transformer(&c, seed);
}

/* What the sequence trainer was configured with: a task and the rest. */
struct cfg {
    struct rs_seqtask_config task;
    struct rs_learner_config l;
};

static void
copy_cfg(struct cfg *c)
{
    rs_seqtask_config_default(&c->task);
    c->task.kind = RS_SEQTASK_COPY_FIRST;
    c->task.min_len = 4;
    c->task.max_len = 6;
    rs_learner_config_default(&c->l);
    c->l.batch = 32;
    c->l.seed = 7;
    c->l.eval_every = 0;
    c->l.log_every = 10;
    c->l.optim.lr = 3e-3f;
    c->l.sched.lr = 3e-3f;
}

/* A learner of m on c's task with last_token, or NULL + err. */
static rs_learner *
seq_new(const struct cfg *c, rs_nn_module *m, struct rs_error *err)
{
    rs_source *s = rs_source_seqtask(&c->task, err);
    rs_objective *o = s != NULL ? rs_objective_last_token(err) : NULL;
    rs_learner *l = o != NULL ? rs_learner_new(&c->l, &m, 1, o, s, err) : NULL;
    rs_objective_release(o);
    rs_source_release(s);
    return l;
}

/* Swap in a new task (copied), as set_task did. */
static int
set_task(rs_learner *l, const struct rs_seqtask_config *t, struct rs_error *err)
{
    rs_source *s = rs_source_seqtask(t, err);
    if (s == NULL)
        return err->code;
    int rc = rs_learner_set_source(l, s, err);
    rs_source_release(s);
    return rc;
}

static const struct rs_seqtask_config *
task_of(const rs_learner *l)
{
    return rs_source_as_seqtask(rs_learner_source(l));
}

/* Accuracy and loss over n samples of len (the old eval's order). */
static int
eval(rs_learner *l, int len, int n, double *acc, double *loss,
     struct rs_error *err)
{
    return rs_learner_eval(l, RS_SPLIT_TEST, n, len, loss, acc, err);
}

/* The first step's batch redrawn as the source documents it (len, then
 * the rows, from an RNG seeded with the learner's seed), run through the
 * untrained model on an own graph; loss at the query in double. */
static void
test_first_step(void)
{
    rs_nn_module *m = tiny(1, 10, 16);
    rs_nn_transformer *tf = rs_nn_module_as_transformer(m);
    struct cfg c;
    copy_cfg(&c);
    struct rs_error err = {0};
    enum { B = 32 };
    struct rs_rng r;
    rs_rng_seed(&r, c.l.seed);
    int len = 4 + (int)rs_rng_below(&r, 3);
    int T = rs_seqtask_seq_len(&c.task, len);
    int *ids = calloc((size_t)B * T, sizeof *ids), y[B];
    int rc = rs_seqtask_sample(&c.task, &r, B, len, ids, y, &err);
    rs_graph *g = rs_graph_new();
    rs_graph_set_grad(g, false);
    rs_tensor *lg =
        rc == RS_OK ? rs_nn_transformer_forward(tf, g, ids, B, T) : NULL;
    double want_loss = 0.0;
    int correct = 0;
    for (int b = 0; lg != NULL && b < B; b++) {
        const float *row = lg->data + ((size_t)b * T + (size_t)(T - 1)) * 10;
        double mx = row[0];
        int best = 0;
        for (int k = 1; k < 10; k++) {
            if ((double)row[k] > mx)
                mx = row[k];
            if (row[k] > row[best])
                best = k;
        }
        double s = 0.0;
        for (int k = 0; k < 10; k++)
            s += exp((double)row[k] - mx);
        want_loss += (mx + log(s) - (double)row[y[b]]) / B;
        correct += best == y[b];
    }
    tap_ok(lg != NULL, "own forward of the redrawn batch");
    rs_graph_free(g);

    rs_learner *st = seq_new(&c, m, &err);
    struct rs_learner_stats s = {0};
    rc = st != NULL ? rs_learner_step(st, &s, &err) : RS_EINVAL;
    tap_is_int(rc, RS_OK, "first step runs: %s", err.msg);
    tap_is_int(s.T, T, "T = seq_len(len) of the drawn len %d", len);
    tap_is_float(s.loss, want_loss, 1e-5, 1e-5,
                 "first loss = cross-entropy at the query (%.6f)", want_loss);
    tap_is_float(s.acc, (double)correct / B, 1e-12, 0.0,
                 "first accuracy = argmax at the query");
    tap_is_int(rs_learner_steps(st), 1, "one step counted");
    rs_learner_free(st);
    rs_nn_module_release(m);
    free(ids);
}

/* With the head zeroed every logit is 0: loss log(out), prediction 0. */
static void
test_zero_head(void)
{
    rs_nn_module *tf = tiny(2, 10, 16);
    rs_nn_model *m = rs_nn_module_model(tf);
    rs_tensor *w = rs_nn_model_lookup(m, "head.weight");
    rs_tensor *b = rs_nn_model_lookup(m, "head.bias");
    tap_ok(w != NULL && b != NULL, "head.weight and head.bias exist");
    if (w == NULL || b == NULL) {
        rs_nn_module_release(tf);
        return;
    }
    memset(w->data, 0, w->numel * sizeof(float));
    memset(b->data, 0, b->numel * sizeof(float));
    struct cfg c;
    copy_cfg(&c);
    c.task.symbols = 1; /* every answer is 0 = the argmax of equal logits */
    struct rs_error err = {0};
    rs_learner *st = seq_new(&c, tf, &err);
    double acc = -1, loss = -1;
    int rc = eval(st, 9, 50, &acc, &loss, &err);
    tap_is_int(rc, RS_OK, "eval beyond max_len (9 > 6): %s", err.msg);
    tap_is_float(loss, log(10.0), 1e-6, 0.0, "zero head: eval loss log(10)");
    tap_is_float(acc, 1.0, 0.0, 0.0, "zero head, symbols 1: all correct");
    b->data[3] = 1.0f; /* now every prediction is 3 */
    rc = eval(st, 5, 50, &acc, &loss, &err);
    double want = log(9.0 + exp(1.0)) - 0.0;
    tap_ok(rc == RS_OK && acc == 0.0, "bias on 3: no answer is right");
    tap_is_float(loss, want, 1e-6, 0.0, "bias on 3: loss log(9 + e)");
    rs_learner_free(st);
    rs_nn_module_release(tf);
}

static void
train(rs_learner *st, int n, double *losses, struct rs_error *err, int *rc)
{
    for (int i = 0; i < n && *rc == RS_OK; i++) {
        struct rs_learner_stats s;
        *rc = rs_learner_step(st, &s, err);
        losses[i] = s.loss;
    }
}

static void
test_learns(void)
{
    rs_nn_module *tf = tiny(3, 10, 16);
    struct cfg c;
    copy_cfg(&c);
    c.l.log_every = 100;
    c.l.optim.clip_norm = 1.0f;
    struct rs_error err = {0};
    rs_learner *st = seq_new(&c, tf, &err);
    tap_ok(st != NULL, "learner made: %s", err.msg);
    if (st == NULL) {
        rs_nn_module_release(tf);
        return;
    }
    struct tap_log *lg = calloc(1, sizeof *lg);
    rs_learner_set_log(st, tap_log_record, lg);
    double acc0 = 0, loss0 = 0, acc1 = 0, loss1 = 0;
    int rc = eval(st, 5, 256, &acc0, &loss0, &err);
    enum { N = 300 };
    double losses[N];
    train(st, N, losses, &err, &rc);
    tap_is_int(rc, RS_OK, "%d steps: %s", N, err.msg);
    double first = 0, last = 0;
    for (int i = 0; i < 20; i++) {
        first += losses[i] / 20;
        last += losses[N - 20 + i] / 20;
    }
    tap_ok(last < 0.5 * first, "loss falls: first 20 steps %.4f, last 20 %.4f",
           first, last);
    tap_is_int(lg->n, 9, "3 metrics at steps 100, 200, 300");
    tap_ok(lg->n >= 3 && strcmp(lg->name[0], "train/loss") == 0 &&
               strcmp(lg->name[1], "train/acc") == 0 &&
               strcmp(lg->name[2], "train/lr") == 0,
           "metric names train/loss, train/acc, train/lr");
    for (int len = 4; len <= 6; len++) {
        rc = eval(st, len, 256, &acc1, &loss1, &err);
        tap_ok(rc == RS_OK && acc1 >= 0.9,
               "copy_first len %d: accuracy %.3f >= 0.9 (untrained %.3f)", len,
               acc1, acc0);
    }
    tap_ok(loss1 < loss0, "eval loss %.4f below the untrained %.4f", loss1,
           loss0);
    /* Evaluation is repeatable and leaves training alone. */
    double a2, l2, a3, l3;
    rc = eval(st, 5, 300, &a2, &l2, &err);
    rc |= eval(st, 5, 300, &a3, &l3, &err);
    tap_ok(rc == RS_OK && a2 == a3 && l2 == l3,
           "two evals of len 5 agree bit for bit");
    rc = eval(st, 5, 600, &a3, &l3, &err);
    tap_ok(rc == RS_OK, "an eval larger than one chunk runs");
    rs_learner_free(st);
    rs_nn_module_release(tf);
    free(lg);
}

/* Same seeds, same run; an eval in between changes nothing. */
static void
test_reproducible(void)
{
    struct cfg c;
    copy_cfg(&c);
    struct rs_error err = {0};
    double la[15], lb[15];
    int rc = RS_OK;
    for (int run = 0; run < 2; run++) {
        rs_nn_module *tf = tiny(4, 10, 16);
        rs_learner *st = seq_new(&c, tf, &err);
        double *l = run == 0 ? la : lb;
        train(st, 5, l, &err, &rc);
        if (run == 1) {
            double a, lo;
            rc |= eval(st, 6, 64, &a, &lo, &err);
        }
        train(st, 10, l + 5, &err, &rc);
        rs_learner_free(st);
        rs_nn_module_release(tf);
    }
    tap_ok(rc == RS_OK && memcmp(la, lb, sizeof la) == 0,
           "two runs from the same seeds give the same 15 losses");
}

static void
test_set_task(void)
{
    rs_nn_module *tf = tiny(5, 10, 16);
    struct cfg c;
    copy_cfg(&c);
    c.task.min_len = c.task.max_len = 5;
    struct rs_error err = {0};
    rs_learner *st = seq_new(&c, tf, &err);
    struct rs_learner_stats s = {0};
    int rc = rs_learner_step(st, &s, &err);
    tap_ok(rc == RS_OK && s.T == 6, "no separators: T = 5 + 1 (got %d)", s.T);
    struct rs_seqtask_config t = c.task;
    t.sep_every = 2;
    rc = set_task(st, &t, &err);
    rc |= rs_learner_step(st, &s, &err);
    /* ab,cd,e? : C + ceil(C / k) = 5 + 3 */
    tap_ok(rc == RS_OK && s.T == 8, "sep_every 2: T = 8 (got %d)", s.T);
    tap_is_int(task_of(st)->sep_every, 2, "the task is copied");

    t.max_len = 20; /* 21 tokens > ctx 16 */
    rc = set_task(st, &t, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "ctx is 16") != NULL,
           "a task longer than ctx is refused: %s", err.msg);
    t = c.task;
    t.kind = RS_SEQTASK_COUNT;
    t.max_len = 12; /* 13 classes > out 10 */
    rc = set_task(st, &t, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "out = 10") != NULL &&
               strstr(err.msg, "13 classes") != NULL,
           "more classes than logits are refused: %s", err.msg);
    t.max_len = 0;
    rc = set_task(st, &t, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "max_len = 0") != NULL,
           "the task is checked: %s", err.msg);
    tap_is_int(task_of(st)->sep_every, 2, "a refused task leaves the old one");
    /* Counting: eval answers must fit the logits. */
    t.max_len = 8;
    rc = set_task(st, &t, &err);
    tap_is_int(rc, RS_OK, "count 1..8 fits out = 10");
    double a, l;
    rc = eval(st, 9, 10, &a, &l, &err);
    tap_is_int(rc, RS_OK, "count eval len 9 (answers <= 9) fits");
    rc = eval(st, 10, 10, &a, &l, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "answer 10") != NULL &&
               strstr(err.msg, "out = 10") != NULL,
           "count eval len 10 does not fit out = 10: %s", err.msg);
    rs_learner_free(st);
    rs_nn_module_release(tf);
}

static void
test_bad(void)
{
    rs_nn_module *tf = tiny(6, 10, 16);
    struct cfg c, d;
    copy_cfg(&d);
    struct rs_error err = {0};
    struct {
        const char *want;
        int what;
    } cases[] = {{"batch = 0", 0}, {"log_every = 0", 1}, {"max_len = 3", 2},
                 {"ctx is 16", 3}, {"warmup = -1", 4},   {"lr = -1", 5}};
    for (size_t i = 0; i < RS_ARRAY_LEN(cases); i++) {
        c = d;
        switch (cases[i].what) {
        case 0:
            c.l.batch = 0;
            break;
        case 1:
            c.l.log_every = 0;
            break;
        case 2:
            c.task.max_len = 3;
            break;
        case 3:
            c.task.max_len = 16;
            break;
        case 4:
            c.l.sched.warmup = -1;
            break;
        default:
            c.l.sched.lr = -1.0f;
            break;
        }
        rs_learner *st = seq_new(&c, tf, &err);
        tap_ok(st == NULL && strstr(err.msg, cases[i].want) != NULL,
               "refused, names '%s': %s", cases[i].want, err.msg);
        rs_learner_free(st);
    }
    rs_nn_module *small = NULL;
    {
        struct rs_nn_transformer_config tc;
        rs_nn_transformer_config_default(&tc);
        tc.vocab = 10;
        tc.ctx = 16;
        tc.d = 8;
        tc.layers = 1;
        struct rs_rng r;
        rs_rng_seed(&r, 1);
        small = rs_nn_module_transformer(&tc, &r, &err);
    }
    rs_learner *st = seq_new(&d, small, &err);
    tap_ok(st == NULL && strstr(err.msg, "vocab = 10") != NULL,
           "a vocabulary without ',' and '?' is refused: %s", err.msg);
    rs_nn_module_release(small);

    st = seq_new(&d, tf, &err);
    double a, l;
    int rc = eval(st, 16, 10, &a, &l, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "ctx = 16") != NULL,
           "eval beyond ctx: %s", err.msg);
    /* n <= 0: eval_n, else the batch (the learner's rule) */
    rc = eval(st, 5, 0, &a, &l, &err);
    tap_ok(rc == RS_OK && a >= 0.0 && a <= 1.0, "eval n 0 takes the batch");
    rc = eval(st, 5, (1 << 20) + 1, &a, &l, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "n = ") != NULL,
           "eval n too large: %s", err.msg);
    rs_learner_free(st);
    rs_nn_module_release(tf);
}

/* The state words carry steps, the batch stream and the log
 * accumulators; the task is the source's (set by the caller, as a scene
 * rebuilds it), so a restored learner on the same task continues bit for
 * bit. */
static void
test_state(void)
{
    struct cfg c;
    copy_cfg(&c);
    c.l.sched.warmup = 10; /* the rate depends on the restored step count */
    c.l.log_every = 7;
    struct rs_error err = {0};
    rs_nn_module *ta = tiny(8, 10, 16), *tb = tiny(9, 10, 16);
    rs_learner *a = seq_new(&c, ta, &err);
    struct cfg cb = c;
    cb.l.seed = 12345; /* the state carries the stream */
    rs_learner *b = seq_new(&cb, tb, &err);
    double la[8], lb[8];
    int rc = RS_OK;
    train(a, 5, la, &err, &rc);
    struct rs_seqtask_config t = c.task;
    t.sep_every = 3;
    rc |= set_task(a, &t, &err);
    rc |= set_task(b, &t, &err);
    size_t nw = rs_learner_state_words(a);
    uint64_t *w = calloc(nw, sizeof *w);
    rs_learner_state_save(a, w);
    tap_learner_copy_weights(a, b);
    rc |= rs_learner_state_load(b, w, nw, &err);
    tap_is_int(rc, RS_OK, "save after 5 steps, load into another learner");
    tap_ok(rs_learner_steps(b) == 5 && task_of(b)->sep_every == 3,
           "steps restored, the task is the new one");
    train(a, 8, la, &err, &rc);
    train(b, 8, lb, &err, &rc);
    tap_ok(rc == RS_OK && memcmp(la, lb, sizeof la) == 0,
           "8 more steps agree bit for bit");
    w[0] ^= 1;
    rc = rs_learner_state_load(b, w, nw, &err);
    tap_ok(rc == RS_EFORMAT && strstr(err.msg, "not a learner state") != NULL &&
               rs_learner_steps(b) == 13,
           "a foreign state is refused, nothing changes: %s", err.msg);
    w[0] ^= 1;
    rc = rs_learner_state_load(b, w, nw - 1, &err);
    tap_is_int(rc, RS_EFORMAT, "a short state is refused");
    free(w);
    rs_learner_free(a);
    rs_learner_free(b);
    rs_nn_module_release(ta);
    rs_nn_module_release(tb);
}

int
main(void)
{
    tap_plan_lazy();
    test_first_step();
    test_zero_head();
    test_learns();
    test_reproducible();
    test_set_task();
    test_bad();
    test_state();
    return tap_done();
}
