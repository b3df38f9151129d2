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
 *
 * PPO: the rollout statistics on constructed values (ratios in and
 * outside the band, none outside; dead ReLU and tanh units); the builder
 * refuses what does not fit (naming it) and frees the env; a CartPole
 * run of a few updates (truncations, capacity every 2 updates) logs
 * every instrument and publishes the matrices, and is deterministic (two
 * runs agree bit for bit, parameters and metrics); with lr 0 the policy
 * does not move, so every ratio is 1; checkpoint: save after k updates,
 * load into a fresh learner, continue -> bit-identical parameters,
 * metrics and env state against an uninterrupted run; the env state
 * round trip inside the learner state; live changes (epochs, steps,
 * minibatch) apply from the next update and bad ones change nothing;
 * networks the collection forward leaves to the graph (LayerNorm, GELU)
 * give ratios of 1 at lr 0 too; Breakout (400 inputs) runs and
 * publishes its frame.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo/learner.h"
#include "algo/objective.h"
#include "algo/ppo.h"
#include "algo/rollout.h"
#include "core/optim.h"
#include "core/rng.h"
#include "data/source.h"
#include "env/env.h"
#include "nn/mlp.h"
#include "nn/module.h"
#include "run/ckpt.h"
#include "run/ckpt_learner.h"
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

/* ---- rollout statistics ------------------------------------------------ */

static void
stats_cases(void)
{
    /* logp_old in column 0 of rows of 3 */
    const float old[15] = {0, 9, 9, 0, 9, 9, 0, 9, 9, 0, 9, 9, 0, 9, 9};
    /* ratios 0.5, 0.9, 1, 1.5, 2 */
    const float nw[5] = {logf(0.5f), logf(0.9f), 0.0f, logf(1.5f), logf(2.0f)};
    struct rs_rollout_ratio r;
    rs_rollout_ratio_stats(&r, nw, old, 3, 5, 0.2);
    tap_ok(fabs(r.below - 0.5) < 1e-6 && fabs(r.above - 1.75) < 1e-6 &&
               r.frac_below == 0.2 && r.frac_above == 0.4,
           "ratios 0.5 .9 1 1.5 2, eps 0.2: below %g (0.5, 1 of 5), above %g "
           "(1.75, 2 of 5)",
           r.below, r.above);
    double kl = 0.0;
    for (int k = 0; k < 5; k++)
        kl -= (double)nw[k] / 5.0;
    tap_is_float(r.kl, kl, 1e-12, 0, "kl: the mean of logp_old - logp_new");
    const float inside[2] = {logf(0.95f), logf(1.05f)};
    rs_rollout_ratio_stats(&r, inside, old, 3, 2, 0.1);
    tap_ok(r.below == 0.9 && r.above == 1.1 && r.frac_below == 0.0 &&
               r.frac_above == 0.0,
           "none outside [0.9, 1.1]: below = 1 - eps, above = 1 + eps, "
           "fractions 0");
    /* 3 rows x 4 units: relu unit 1 never > 0; tanh unit 2 constant,
     * unit 3 varying by 1e-4 only */
    const float x[12] = {1, 0, 0.3f, 5e-4f, 0, -1, 0.3f, 0, 2, 0, 0.3f, 1e-4f};
    tap_is_float(rs_rollout_dead_fraction(x, 3, 4, true), 0.25, 0, 0,
                 "relu: one unit of 4 never active");
    tap_is_float(rs_rollout_dead_fraction(x, 3, 4, false), 0.5, 0, 0,
                 "tanh: two units of 4 with std < 1e-3");
}

/* ---- PPO --------------------------------------------------------------- */

enum { PPO_COPIES = 4 };

static rs_env *
cartpole_env(uint64_t seed)
{
    struct rs_env_config ec;
    rs_env_config_default(&ec);
    ec.copies = PPO_COPIES;
    ec.seed = seed;
    ec.horizon = 40; /* truncations within a few rollouts */
    ec.time_obs = true;
    ec.norm_steps = 20;
    struct rs_env_cartpole_config kc;
    rs_env_cartpole_config_default(&kc);
    struct rs_error err = {0};
    rs_env *e = rs_env_cartpole(&kc, &ec, &err);
    if (e == NULL)
        tap_bail("cartpole: %s", err.msg);
    return e;
}

static rs_nn_module *
net(int in, int width, int out, enum rs_nn_mlp_act act, uint64_t seed)
{
    struct rs_nn_mlp_config mc;
    rs_nn_mlp_config_default(&mc);
    mc.input = in;
    mc.width = width;
    mc.depth = 2;
    mc.output = out;
    mc.act = act;
    struct rs_rng rng;
    rs_rng_seed(&rng, seed);
    struct rs_error err = {0};
    rs_nn_module *m = rs_nn_module_mlp(&mc, &rng, &err);
    if (m == NULL)
        tap_bail("mlp: %s", err.msg);
    return m;
}

static struct rs_ppo_config
ppo_config(void)
{
    struct rs_ppo_config pc;
    rs_ppo_config_default(&pc);
    pc.steps = 32;
    pc.minibatch = 32;
    pc.epochs = 2;
    pc.capacity_every = 2;
    pc.obj.pfo_coef = 1.0;
    pc.seed = 9;
    return pc;
}

/* One PPO learner on CartPole and what it logs. */
struct run {
    rs_nn_module *actor, *critic;
    rs_learner *l;
    struct tap_log *log;
    struct matrix_seen spectrum, frame;
};

static void
run_matrix(void *ud, const char *name, int rows, int cols, const float *data)
{
    struct run *r = ud;
    matrix_record(strstr(name, "spectrum") != NULL ? &r->spectrum : &r->frame,
                  name, rows, cols, data);
}

static void
run_open(struct run *r, float lr, const struct rs_ppo_config *pc)
{
    memset(r, 0, sizeof *r);
    r->actor = net(5, 16, 2, RS_NN_MLP_ACT_TANH, 31);
    r->critic = net(5, 16, 1, RS_NN_MLP_ACT_TANH, 32);
    struct rs_learner_config lc;
    rs_learner_config_default(&lc);
    snprintf(lc.name, sizeof lc.name, "%s", "cp");
    lc.log_every = 1;
    rs_optim_config_default(&lc.optim, RS_OPTIM_ADAM);
    lc.optim.lr = lr;
    lc.optim.clip_norm = 0.5f;
    rs_sched_init(&lc.sched, RS_SCHED_CONSTANT, lr, -1);
    struct rs_error err = {0};
    r->l = rs_ppo_learner(&lc, r->actor, r->critic, cartpole_env(3), pc, &err);
    if (r->l == NULL)
        tap_bail("ppo learner: %s", err.msg);
    r->log = calloc(1, sizeof *r->log);
    rs_learner_set_log(r->l, tap_log_record, r->log);
    rs_learner_set_matrix(r->l, run_matrix, r);
}

static bool
run_updates(struct run *r, int n)
{
    struct rs_error err = {0};
    for (int i = 0; i < n; i++)
        if (rs_learner_update(r->l, NULL, &err) != RS_OK) {
            tap_diag("update: %s", err.msg);
            return false;
        }
    return true;
}

static void
run_close(struct run *r)
{
    rs_learner_free(r->l);
    rs_nn_module_release(r->actor);
    rs_nn_module_release(r->critic);
    free(r->log);
}

/* The value of the last metric called name (NaN if none). */
static double
last_value(const struct tap_log *log, const char *name)
{
    for (int i = log->n - 1; i >= 0; i--)
        if (strcmp(log->name[i], name) == 0)
            return log->v[i];
    return (double)NAN;
}

/* Entries [a0, a0 + n) of a and [b0, b0 + n) of b agree (names, and
 * values bit for bit but for the wall-clock metric). */
static bool
logs_equal(const struct tap_log *a, int a0, const struct tap_log *b, int b0,
           int n)
{
    for (int i = 0; i < n; i++) {
        const char *na = a->name[a0 + i];
        if (strcmp(na, b->name[b0 + i]) != 0) {
            tap_diag("metric %d: %s vs %s", i, na, b->name[b0 + i]);
            return false;
        }
        if (strstr(na, "time/") == NULL &&
            !tap_same_double(a->v[a0 + i], b->v[b0 + i])) {
            tap_diag("metric %d %s: %.17g vs %.17g", i, na, a->v[a0 + i],
                     b->v[b0 + i]);
            return false;
        }
    }
    return true;
}

static void
ppo_refusals(void)
{
    struct rs_learner_config lc;
    rs_learner_config_default(&lc);
    struct rs_ppo_config pc = ppo_config();
    struct rs_error err = {0};
    rs_nn_module *a = net(5, 8, 2, RS_NN_MLP_ACT_TANH, 1);
    rs_nn_module *c = net(5, 8, 1, RS_NN_MLP_ACT_TANH, 2);
    rs_nn_module *bad = net(5, 8, 3, RS_NN_MLP_ACT_TANH, 3);
    rs_learner *l = rs_ppo_learner(&lc, bad, c, cartpole_env(1), &pc, &err);
    tap_ok(l == NULL && strstr(err.msg, "actor") != NULL &&
               strstr(err.msg, "5 features to 3") != NULL,
           "an actor with 3 outputs for 2 actions: %s", err.msg);
    l = rs_ppo_learner(&lc, a, a, cartpole_env(1), &pc, &err);
    tap_ok(l == NULL && strstr(err.msg, "critic") != NULL,
           "a critic with 2 outputs: %s", err.msg);
    pc.minibatch = 48;
    l = rs_ppo_learner(&lc, a, c, cartpole_env(1), &pc, &err);
    tap_ok(l == NULL && strstr(err.msg, "minibatch = 48") != NULL &&
               strstr(err.msg, "128") != NULL,
           "a minibatch that does not divide 4 x 32: %s", err.msg);
    pc = ppo_config();
    pc.gamma = 1.5;
    l = rs_ppo_learner(&lc, a, c, cartpole_env(1), &pc, &err);
    tap_ok(l == NULL && strstr(err.msg, "gamma = 1.5") != NULL, "gamma 1.5: %s",
           err.msg);
    pc = ppo_config();
    pc.obj.clip = 0.0;
    l = rs_ppo_learner(&lc, a, c, cartpole_env(1), &pc, &err);
    tap_ok(l == NULL && strstr(err.msg, "clip") != NULL,
           "clip 0 (the objective's check): %s", err.msg);
    rs_nn_module_release(a);
    rs_nn_module_release(c);
    rs_nn_module_release(bad);
}

static void
ppo_run_cases(void)
{
    struct rs_ppo_config pc = ppo_config();
    struct run a, b;
    run_open(&a, 3e-3f, &pc);
    run_open(&b, 3e-3f, &pc);
    bool ok = run_updates(&a, 4) && run_updates(&b, 4);
    tap_ok(ok && rs_learner_updates(a.l) == 4 && rs_learner_steps(a.l) == 32,
           "4 updates of 2 epochs x 4 minibatches: 32 steps");
    tap_ok(ok && a.log->n == b.log->n &&
               logs_equal(a.log, 0, b.log, 0, a.log->n) &&
               tap_params_equal(rs_learner_params(a.l), rs_learner_params(b.l)),
           "deterministic: two runs agree bit for bit (%d metrics)", a.log->n);
    static const char *const names[] = {
        "cp/rl/return",
        "cp/rl/ep_len",
        "cp/rl/env_steps",
        "cp/actor/approx_rank",
        "cp/actor/srank",
        "cp/actor/erank",
        "cp/actor/feature_rank",
        "cp/critic/approx_rank",
        "cp/actor/preact_norm",
        "cp/critic/preact_norm",
        "cp/actor/dead",
        "cp/critic/dead",
        "cp/ppo/ratio_below",
        "cp/ppo/ratio_above",
        "cp/ppo/frac_below",
        "cp/ppo/frac_above",
        "cp/ppo/kl",
        "cp/capacity/actor",
        "cp/capacity/critic",
        "cp/time/env_steps_per_s",
        "cp/train/loss",
        "cp/train/loss_pi",
        "cp/train/loss_v",
        "cp/train/entropy",
        "cp/train/pfo",
    };
    int missing = 0;
    for (size_t i = 0; i < RS_ARRAY_LEN(names); i++)
        if (isnan(last_value(a.log, names[i]))) {
            tap_diag("missing %s", names[i]);
            missing++;
        }
    tap_is_int(missing, 0, "every instrument is logged");
    int ncap = 0, nloss = 0;
    for (int i = 0; i < a.log->n; i++) {
        ncap += strcmp(a.log->name[i], "cp/capacity/actor") == 0;
        nloss += strcmp(a.log->name[i], "cp/train/loss") == 0;
    }
    tap_ok(ncap == 2 && nloss == 4,
           "capacity every 2 updates (%d of 4), train/loss once per update "
           "(%d)",
           ncap, nloss);
    tap_is_float(last_value(a.log, "cp/rl/env_steps"), 4 * 4 * 32, 0, 0,
                 "rl/env_steps: 4 updates x 4 copies x 32 steps");
    double rank = last_value(a.log, "cp/actor/approx_rank");
    tap_ok(rank >= 1 && rank <= 16 && a.spectrum.rows == 1 &&
               a.spectrum.cols == 16 && a.spectrum.first > 0.0f,
           "actor/approx_rank %g in 1..16; actor/spectrum 1 x %d", rank,
           a.spectrum.cols);
    tap_ok(a.frame.rows > 1 && a.frame.cols > 1 &&
               strcmp(a.frame.name, "cp/env/frame") == 0,
           "env/frame published (%d x %d)", a.frame.rows, a.frame.cols);
    double len = last_value(a.log, "cp/rl/ep_len");
    tap_ok(len >= 1 && len <= 40, "episodes end by the horizon 40 (ep_len %g)",
           len);
    run_close(&a);
    run_close(&b);

    /* lr 0: the policy after the epochs is the one that collected */
    run_open(&a, 0.0f, &pc);
    ok = run_updates(&a, 1);
    double below = last_value(a.log, "cp/ppo/ratio_below");
    double fb = last_value(a.log, "cp/ppo/frac_below");
    double fa = last_value(a.log, "cp/ppo/frac_above");
    double kl = last_value(a.log, "cp/ppo/kl");
    tap_ok(ok && fb == 0.0 && fa == 0.0 && fabs(below - 0.8) < 1e-12 &&
               fabs(kl) < 1e-6,
           "lr 0: no ratio outside the band, ratio_below = 1 - eps, kl %.2g",
           kl);
    run_close(&a);
}

/* Checkpoint after k updates, a fresh learner resumes: bit for bit. */
static void
ppo_ckpt_cases(void)
{
    enum { K = 3, J = 3 };
    struct rs_ppo_config pc = ppo_config();
    struct run full, part, resumed;
    run_open(&full, 3e-3f, &pc);
    run_open(&part, 3e-3f, &pc);
    run_open(&resumed, 3e-3f, &pc);
    bool ok = run_updates(&full, K) && run_updates(&part, K);
    int mark = full.log->n;
    rs_ckpt *ck = rs_ckpt_new();
    rs_ckpt_learner_save(ck, part.l);
    struct rs_error err = {0};
    int rc = rs_ckpt_learner_load(ck, resumed.l, &err);
    tap_ok(ok && rc == RS_OK && rs_learner_updates(resumed.l) == K,
           "a fresh learner loads the checkpoint of %d updates (%s)", K,
           err.msg);
    rs_env *pe = rs_ppo_env(part.l), *re = rs_ppo_env(resumed.l);
    size_t nw = rs_env_state_words(pe);
    uint64_t *w1 = calloc(nw, sizeof *w1), *w2 = calloc(nw, sizeof *w2);
    rs_env_state_save(pe, w1);
    rs_env_state_save(re, w2);
    tap_ok(rs_env_state_words(re) == nw &&
               memcmp(w1, w2, nw * sizeof *w1) == 0 &&
               rs_env_steps(re) == rs_env_steps(pe),
           "the env's state came back with the learner's (%zu words)", nw);
    free(w1);
    free(w2);
    ok = run_updates(&full, J) && run_updates(&resumed, J);
    int n = full.log->n - mark;
    tap_ok(ok && resumed.log->n == n &&
               logs_equal(full.log, mark, resumed.log, 0, n),
           "the resumed run logs what the uninterrupted one does (%d "
           "metrics)",
           n);
    tap_ok(tap_params_equal(rs_learner_params(full.l),
                            rs_learner_params(resumed.l)),
           "and ends with the same parameters, bit for bit");
    /* a learner with another rollout refuses, unchanged */
    struct run other;
    run_open(&other, 3e-3f, &pc);
    struct rs_ppo_config p2 = pc;
    p2.steps = 16;
    rc = rs_ppo_set_config(other.l, &p2, &err);
    tap_ok(rc == RS_OK, "steps 32 -> 16 (%s)", err.msg);
    rc = rs_ckpt_learner_load(ck, other.l, &err);
    tap_ok(rc == RS_EFORMAT && rs_learner_updates(other.l) == 0,
           "a learner with another rollout size refuses: %s", err.msg);
    rs_ckpt_free(ck);
    run_close(&other);
    run_close(&full);
    run_close(&part);
    run_close(&resumed);
}

static void
ppo_live_cases(void)
{
    struct rs_ppo_config pc = ppo_config();
    struct run r;
    run_open(&r, 3e-3f, &pc);
    bool ok = run_updates(&r, 1);
    long s0 = rs_learner_steps(r.l);
    struct rs_ppo_config c = *rs_ppo_config(r.l);
    c.epochs = 3;
    c.minibatch = 64;
    struct rs_error err = {0};
    ok = ok && rs_ppo_set_config(r.l, &c, &err) == RS_OK && run_updates(&r, 1);
    tap_ok(ok && rs_learner_steps(r.l) - s0 == 3 * 2,
           "epochs 3, minibatch 64: the next update takes 6 steps (%ld)",
           rs_learner_steps(r.l) - s0);
    c.steps = 8;
    c.minibatch = 16;
    s0 = rs_learner_steps(r.l);
    long e0 = rs_env_steps(rs_ppo_env(r.l));
    ok = rs_ppo_set_config(r.l, &c, &err) == RS_OK && run_updates(&r, 1);
    tap_ok(ok && rs_learner_steps(r.l) - s0 == 3 * 2 &&
               rs_env_steps(rs_ppo_env(r.l)) - e0 == 4 * 8 &&
               rs_source_count(rs_learner_source(r.l), RS_SPLIT_TRAIN) == 32,
           "steps 8: a rollout of 32 transitions");
    struct rs_ppo_config bad = c;
    bad.minibatch = 7;
    int rc = rs_ppo_set_config(r.l, &bad, &err);
    tap_ok(rc == RS_EINVAL && rs_ppo_config(r.l)->minibatch == 16 &&
               strstr(err.msg, "minibatch = 7") != NULL,
           "minibatch 7 refused, nothing changed: %s", err.msg);
    bad = c;
    bad.steps = 64;
    bad.obj.ent_coef = -1.0;
    rc = rs_ppo_set_config(r.l, &bad, &err);
    tap_ok(rc == RS_EINVAL && rs_ppo_config(r.l)->steps == 8 &&
               rs_objective_ppo_config(rs_learner_objective(r.l))->ent_coef ==
                   c.obj.ent_coef,
           "a bad coefficient refused before the rollout changes: %s", err.msg);
    run_close(&r);
    /* a learner without the ppo driver */
    rs_source *src = tap_modular_source(7, '+', 0.6f, 2);
    rs_objective *obj = tap_classify();
    rs_nn_module *m = tap_mlp(14, 16, 1, 7, 3);
    struct rs_learner_config lc = hook_config();
    rs_learner *plain = tap_learner(&lc, m, obj, src);
    rc = rs_ppo_set_config(plain, &c, &err);
    tap_ok(rc == RS_EINVAL && rs_ppo_config(plain) == NULL &&
               rs_ppo_env(plain) == NULL && strstr(err.msg, "no ppo") != NULL,
           "not a ppo learner: %s", err.msg);
    rs_learner_free(plain);
    rs_nn_module_release(m);
    rs_objective_release(obj);
    rs_source_release(src);
}

/* Networks the collection forward leaves to the graph (a LayerNorm
 * actor, a GELU critic): with lr 0 the ratios are 1 as well. */
static void
ppo_graph_path_case(void)
{
    struct rs_nn_mlp_config mc;
    rs_nn_mlp_config_default(&mc);
    mc.input = 5;
    mc.width = 8;
    mc.output = 2;
    mc.act = RS_NN_MLP_ACT_TANH;
    mc.norm = RS_NN_MLP_NORM_LAYERNORM;
    struct rs_rng rng;
    rs_rng_seed(&rng, 8);
    struct rs_error err = {0};
    rs_nn_module *a = rs_nn_module_mlp(&mc, &rng, &err);
    rs_nn_module *c = net(5, 8, 1, RS_NN_MLP_ACT_GELU, 9);
    struct rs_learner_config lc;
    rs_learner_config_default(&lc);
    lc.log_every = 1;
    rs_optim_config_default(&lc.optim, RS_OPTIM_ADAM);
    lc.optim.lr = 0.0f;
    rs_sched_init(&lc.sched, RS_SCHED_CONSTANT, 0.0f, -1);
    struct rs_ppo_config pc = ppo_config();
    rs_learner *l = rs_ppo_learner(&lc, a, c, cartpole_env(2), &pc, &err);
    struct tap_log *log = calloc(1, sizeof *log);
    if (l != NULL)
        rs_learner_set_log(l, tap_log_record, log);
    bool ok = l != NULL && rs_learner_update(l, NULL, &err) == RS_OK;
    double kl = last_value(log, "ppo/kl");
    tap_ok(ok && last_value(log, "ppo/frac_below") == 0.0 &&
               last_value(log, "ppo/frac_above") == 0.0 && fabs(kl) < 1e-6,
           "LayerNorm actor, GELU critic (graph forwards): lr 0 gives ratios "
           "of 1 (kl %.2g; %s)",
           kl, err.msg);
    free(log);
    rs_learner_free(l);
    rs_nn_module_release(a);
    rs_nn_module_release(c);
}

static void
ppo_breakout_case(void)
{
    struct rs_env_config ec;
    rs_env_config_default(&ec);
    ec.copies = 2;
    ec.seed = 4;
    struct rs_env_breakout_config kc;
    rs_env_breakout_config_default(&kc);
    struct rs_error err = {0};
    rs_env *e = rs_env_breakout(&kc, &ec, &err);
    if (e == NULL)
        tap_bail("breakout: %s", err.msg);
    int in = rs_env_obs_dim(e), A = rs_env_actions(e);
    rs_nn_module *a = net(in, 16, A, RS_NN_MLP_ACT_RELU, 5);
    rs_nn_module *c = net(in, 16, 1, RS_NN_MLP_ACT_RELU, 6);
    /* lr 0: the frames take the packed first layer (core/sparse.h) in
     * the rollout and in the update alike, so every ratio is exactly 1 */
    struct rs_learner_config lc;
    rs_learner_config_default(&lc);
    snprintf(lc.name, sizeof lc.name, "%s", "bo");
    lc.log_every = 1;
    rs_optim_config_default(&lc.optim, RS_OPTIM_ADAM);
    lc.optim.lr = 0.0f;
    rs_sched_init(&lc.sched, RS_SCHED_CONSTANT, 0.0f, -1);
    struct rs_ppo_config pc = ppo_config();
    pc.steps = 16;
    pc.capacity_every = 1;
    rs_learner *l = rs_ppo_learner(&lc, a, c, e, &pc, &err);
    struct run r = {0};
    r.log = calloc(1, sizeof *r.log);
    rs_learner_set_log(l, tap_log_record, r.log);
    rs_learner_set_matrix(l, run_matrix, &r);
    bool ok = l != NULL && rs_learner_update(l, NULL, &err) == RS_OK &&
              rs_learner_update(l, NULL, &err) == RS_OK;
    struct rs_env_info info;
    rs_env_info(rs_ppo_env(l), &info);
    tap_ok(ok && r.frame.rows == info.frame_h && r.frame.cols == info.frame_w &&
               r.spectrum.cols == 16,
           "breakout (%d inputs, %d actions): two updates, frame %d x %d "
           "(%s)",
           in, A, r.frame.rows, r.frame.cols, err.msg);
    tap_ok(last_value(r.log, "bo/ppo/frac_below") == 0.0 &&
               last_value(r.log, "bo/ppo/frac_above") == 0.0 &&
               last_value(r.log, "bo/ppo/kl") == 0.0,
           "breakout at lr 0: every ratio exactly 1 (kl %g)",
           last_value(r.log, "bo/ppo/kl"));
    free(r.log);
    rs_learner_free(l);
    rs_nn_module_release(a);
    rs_nn_module_release(c);
}

int
main(void)
{
    tap_plan_lazy();
    hook_cases();
    stats_cases();
    ppo_refusals();
    ppo_run_cases();
    ppo_ckpt_cases();
    ppo_live_cases();
    ppo_graph_path_case();
    ppo_breakout_case();
    return tap_done();
}
