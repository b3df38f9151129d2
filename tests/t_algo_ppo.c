/* repscope - MIT licence, see COPYING.
 *
 * t_algo_ppo.c: the learner's driver hook (algo/learner.h) and the PPO
 * driver (algo/ppo.h).
 *
 * The hook, with a toy driver that takes k steps per update: without a
 * driver rs_learner_update is rs_learner_step bit for bit; with one an
 * update takes the driver's steps, counts one update, logs train/loss
 * once per update (the mean over its steps) and never evaluates; the
 * driver's words travel in the learner state (a fresh learner continues
 * bit for bit) and a state of another driver, of none, or for a learner
 * without one is refused with a message, changing nothing; replacing a
 * driver frees the old one; log_value and publish_matrix reach the sinks
 * under the learner's name; clip_per_module puts each module's
 * parameters in its own clip group.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo/learner.h"
#include "algo/objective.h"
#include "core/optim.h"
#include "data/source.h"
#include "nn/module.h"
#include "tests/learn_fixture.h"
#include "tests/tap.h"

/* ---- the hook, with a toy driver --------------------------------------- */

/* k steps per update; a counter of steps it took (its one state word);
 * fail_load makes its state_load refuse. */
struct toy {
    int k;
    uint64_t taken;
    bool fail_load;
    int *destroyed; /* incremented by destroy (may be NULL) */
};

static int
toy_update(void *impl, rs_learner *l, struct rs_learner_stats *st,
           struct rs_error *err)
{
    struct toy *t = impl;
    for (int i = 0; i < t->k; i++) {
        int rc = rs_learner_step(l, st, err);
        if (rc != RS_OK)
            return rc;
        t->taken++;
    }
    return RS_OK;
}

static size_t
toy_state_words(const void *impl)
{
    (void)impl;
    return 1;
}

static void
toy_state_save(const void *impl, uint64_t *w)
{
    const struct toy *t = impl;
    w[0] = t->taken;
}

static int
toy_state_load(void *impl, const uint64_t *w, size_t n, struct rs_error *err)
{
    struct toy *t = impl;
    if (n != 1 || t->fail_load)
        return rs_error_set(err, RS_EFORMAT, "toy: refused");
    t->taken = w[0];
    return RS_OK;
}

static void
toy_destroy(void *impl)
{
    struct toy *t = impl;
    if (t->destroyed != NULL)
        (*t->destroyed)++;
    free(t);
}

static const struct rs_learner_driver_class toy_class = {
    .kind = "toy",
    .update = toy_update,
    .state_words = toy_state_words,
    .state_save = toy_state_save,
    .state_load = toy_state_load,
    .destroy = toy_destroy,
};

static const struct rs_learner_driver_class other_class = {
    .kind = "other",
    .update = toy_update,
    .state_words = toy_state_words,
    .state_save = toy_state_save,
    .state_load = toy_state_load,
    .destroy = toy_destroy,
};

static struct toy *
toy_new(int k, int *destroyed)
{
    struct toy *t = calloc(1, sizeof *t);
    t->k = k;
    t->destroyed = destroyed;
    return t;
}

static struct rs_learner_config
hook_config(void)
{
    struct rs_learner_config c;
    rs_learner_config_default(&c);
    snprintf(c.name, sizeof c.name, "%s", "h");
    c.batch = 16;
    c.eval_every = 1;
    c.log_every = 1;
    c.seed = 5;
    return c;
}

/* Without a driver an update is a step. */
static void
hook_plain(rs_source *src, rs_objective *obj)
{
    struct rs_learner_config c = hook_config();
    rs_nn_module *m1 = tap_mlp(14, 16, 1, 7, 3), *m2 = tap_mlp(14, 16, 1, 7, 3);
    rs_learner *a = tap_learner(&c, m1, obj, src);
    rs_learner *b = tap_learner(&c, m2, obj, src);
    struct rs_error err = {0};
    bool same = true;
    for (int i = 0; i < 5; i++) {
        struct rs_learner_stats sa, sb;
        int ra = rs_learner_step(a, &sa, &err);
        int rb = rs_learner_update(b, &sb, &err);
        same = same && ra == RS_OK && rb == RS_OK &&
               tap_same_double(sa.loss, sb.loss) && sa.evaluated &&
               sb.evaluated;
    }
    tap_ok(same, "no driver: update = step, bit for bit (evaluations too)");
    tap_ok(rs_learner_updates(b) == 5 && rs_learner_steps(b) == 5 &&
               rs_learner_driver_kind(b) == NULL &&
               rs_learner_driver(b, "toy") == NULL,
           "no driver: updates = steps, no kind");
    rs_learner_free(a);
    rs_learner_free(b);
    rs_nn_module_release(m1);
    rs_nn_module_release(m2);
}

/* A toy driver of 3 steps: one update is 3 steps, one log, no eval; its
 * words in the state. */
static void
hook_toy(rs_source *src, rs_objective *obj)
{
    struct rs_learner_config c = hook_config();
    rs_nn_module *m1 = tap_mlp(14, 16, 1, 7, 3), *m2 = tap_mlp(14, 16, 1, 7, 3);
    rs_learner *ref = tap_learner(&c, m1, obj, src);
    rs_learner *l = tap_learner(&c, m2, obj, src);
    int destroyed = 0;
    rs_learner_set_driver(l, &toy_class, toy_new(3, &destroyed));
    struct tap_log *log = calloc(1, sizeof *log);
    rs_learner_set_log(l, tap_log_record, log);
    struct rs_error err = {0};
    double sum = 0.0;
    bool ok = true;
    for (int i = 0; i < 3; i++) {
        struct rs_learner_stats st;
        ok = ok && rs_learner_step(ref, &st, &err) == RS_OK;
        sum += st.loss;
    }
    struct rs_learner_stats st = {0};
    ok = ok && rs_learner_update(l, &st, &err) == RS_OK;
    tap_ok(ok && rs_learner_updates(l) == 1 && rs_learner_steps(l) == 3,
           "toy driver: one update took 3 steps (%s)", err.msg);
    tap_ok(!st.evaluated &&
               tap_same_double(st.loss, rs_learner_last(ref)->loss),
           "toy driver: no evaluation; the same steps as a plain learner");
    int nloss = 0, ntest = 0;
    double logged = NAN;
    for (int i = 0; i < log->n; i++) {
        if (strcmp(log->name[i], "h/train/loss") == 0) {
            nloss++;
            logged = log->v[i];
        }
        ntest += strncmp(log->name[i], "h/test/", 7) == 0;
    }
    tap_ok(nloss == 1 && ntest == 0 && fabs(logged - sum / 3.0) < 1e-12,
           "toy driver: train/loss logged once, the mean of 3 steps (%g vs "
           "%g), no test/ metric",
           logged, sum / 3.0);
    tap_ok(rs_learner_driver(l, "toy") != NULL &&
               rs_learner_driver(l, "other") == NULL &&
               strcmp(rs_learner_driver_kind(l), "toy") == 0,
           "toy driver: found by kind");

    /* save, continue, and continue a fresh learner from the save */
    size_t nw = rs_learner_state_words(l);
    uint64_t *w = calloc(nw, sizeof *w);
    rs_learner_state_save(l, w);
    rs_nn_module *m3 = tap_mlp(14, 16, 1, 7, 3);
    rs_learner *r = tap_learner(&c, m3, obj, src);
    struct toy *rt = toy_new(3, &destroyed);
    rs_learner_set_driver(r, &toy_class, rt);
    tap_learner_copy_weights(l, r);
    int rc = rs_learner_state_load(r, w, nw, &err);
    tap_ok(rc == RS_OK && rs_learner_updates(r) == 1 && rt->taken == 3 &&
               rs_learner_steps(r) == 3,
           "state: the update count and the driver's words load (%s)", err.msg);
    struct rs_learner_stats s1, s2;
    ok = rs_learner_update(l, &s1, &err) == RS_OK &&
         rs_learner_update(r, &s2, &err) == RS_OK;
    tap_ok(ok && tap_same_double(s1.loss, s2.loss) &&
               tap_params_equal(rs_learner_params(l), rs_learner_params(r)),
           "state: the loaded learner continues bit for bit");

    /* refusals change nothing */
    rs_nn_module *m4 = tap_mlp(14, 16, 1, 7, 3);
    rs_learner *plain = tap_learner(&c, m4, obj, src);
    rc = rs_learner_state_load(plain, w, nw, &err);
    tap_ok(rc == RS_EFORMAT && strstr(err.msg, "'toy' driver") != NULL &&
               strstr(err.msg, "no driver") != NULL &&
               rs_learner_steps(plain) == 0,
           "a learner without a driver refuses: %s", err.msg);
    size_t pn = rs_learner_state_words(plain);
    uint64_t *pw = calloc(pn, sizeof *pw);
    rs_learner_state_save(plain, pw);
    rc = rs_learner_state_load(r, pw, pn, &err);
    tap_ok(rc == RS_EFORMAT && strstr(err.msg, "no driver words") != NULL &&
               rs_learner_steps(r) == 6,
           "a learner with a driver refuses a state without: %s", err.msg);
    rs_learner_set_driver(plain, &other_class, toy_new(1, &destroyed));
    rc = rs_learner_state_load(plain, w, nw, &err);
    tap_ok(rc == RS_EFORMAT && strstr(err.msg, "'toy'") != NULL &&
               strstr(err.msg, "'other'") != NULL,
           "a driver of another kind refuses: %s", err.msg);
    rt->fail_load = true;
    rc = rs_learner_state_load(r, w, nw, &err);
    tap_ok(rc == RS_EFORMAT && rs_learner_steps(r) == 6 && rt->taken == 6 &&
               rs_learner_updates(r) == 2,
           "a driver's refusal changes nothing: %s", err.msg);

    /* replacing and freeing drivers */
    int before = destroyed;
    rs_learner_set_driver(plain, &toy_class, toy_new(1, &destroyed));
    tap_is_int(destroyed - before, 1, "replacing a driver frees the old one");
    rs_learner_set_driver(plain, NULL, NULL);
    tap_ok(destroyed - before == 2 && rs_learner_driver_kind(plain) == NULL,
           "detaching frees it too");
    rs_learner_free(l);
    rs_learner_free(r);
    tap_is_int(destroyed - before, 4, "rs_learner_free frees the driver");
    free(w);
    free(pw);
    free(log);
    rs_learner_free(ref);
    rs_learner_free(plain);
    rs_nn_module_release(m1);
    rs_nn_module_release(m2);
    rs_nn_module_release(m3);
    rs_nn_module_release(m4);
}

/* What the matrix sink saw last. */
struct matrix_seen {
    char name[64];
    int rows, cols, calls;
    float first;
};

static void
matrix_record(void *ud, const char *name, int rows, int cols, const float *data)
{
    struct matrix_seen *m = ud;
    snprintf(m->name, sizeof m->name, "%s", name);
    m->rows = rows;
    m->cols = cols;
    m->first = data[0];
    m->calls++;
}

static void
hook_sinks(rs_source *src, rs_objective *obj)
{
    struct rs_learner_config c = hook_config();
    rs_nn_module *m = tap_mlp(14, 16, 1, 7, 3);
    rs_learner *l = tap_learner(&c, m, obj, src);
    struct matrix_seen seen = {0};
    const float data[6] = {7, 1, 2, 3, 4, 5};
    rs_learner_publish_matrix(l, "env/frame", 2, 3, data);
    tap_is_int(seen.calls, 0, "no matrix sink: nothing published");
    rs_learner_set_matrix(l, matrix_record, &seen);
    rs_learner_publish_matrix(l, "env/frame", 2, 3, data);
    tap_ok(seen.calls == 1 && strcmp(seen.name, "h/env/frame") == 0 &&
               seen.rows == 2 && seen.cols == 3 && seen.first == 7.0f,
           "publish_matrix: '%s' (%d x %d)", seen.name, seen.rows, seen.cols);
    struct tap_log *log = calloc(1, sizeof *log);
    rs_learner_set_log(l, tap_log_record, log);
    rs_learner_log_value(l, "rl/return", 195.5);
    tap_ok(log->n == 1 && strcmp(log->name[0], "h/rl/return") == 0 &&
               log->v[0] == 195.5,
           "log_value: '%s'", log->name[0]);
    free(log);
    rs_learner_free(l);
    rs_nn_module_release(m);
}

/* Two modules with clip_per_module: groups 0 and 1. */
static void
hook_clip_groups(rs_source *src)
{
    struct rs_learner_config c = hook_config();
    c.clip_per_module = true;
    c.optim.clip_norm = 0.5f;
    rs_nn_module *mods[2] = {tap_mlp(14, 16, 1, 7, 3), tap_mlp(14, 8, 1, 7, 4)};
    rs_objective *obj = tap_classify();
    struct rs_error err = {0};
    rs_learner *l = rs_learner_new(&c, mods, 2, obj, src, &err);
    tap_ok(l != NULL, "a learner of two modules, clip per module (%s)",
           err.msg);
    rs_optim *o = rs_learner_optim(l);
    bool ok = rs_optim_nparams(o) == 8;
    for (int j = 0; j < rs_optim_nparams(o); j++)
        ok = ok && rs_optim_clip_group(o, j) == (j < 4 ? 0 : 1);
    tap_ok(ok, "clip_per_module: the first module's 4 parameters in group "
               "0, the second's in group 1");
    c.clip_per_module = false;
    rs_learner *g = rs_learner_new(&c, mods, 2, obj, src, &err);
    ok = g != NULL;
    for (int j = 0; ok && j < rs_optim_nparams(rs_learner_optim(g)); j++)
        ok = rs_optim_clip_group(rs_learner_optim(g), j) == 0;
    tap_ok(ok, "without it: one global group");
    rs_learner_free(l);
    rs_learner_free(g);
    rs_objective_release(obj);
    rs_nn_module_release(mods[0]);
    rs_nn_module_release(mods[1]);
}

static void
hook_cases(void)
{
    rs_source *src = tap_modular_source(7, '+', 0.6f, 2);
    rs_objective *obj = tap_classify();
    hook_plain(src, obj);
    hook_toy(src, obj);
    hook_sinks(src, obj);
    hook_clip_groups(src);
    rs_objective_release(obj);
    rs_source_release(src);
}

int
main(void)
{
    tap_plan_lazy();
    hook_cases();
    return tap_done();
}
