/* repscope - MIT licence, see COPYING.
 *
 * t_algo_learner_par.c: rs_learners_update. Learners that share nothing
 * update side by side and the run is the sequential loop's bit for bit:
 * the same parameters, and the same metrics and matrices in the same
 * order; learners that share a module, a teacher (kl_teacher) or run
 * outside themselves (a Lua objective) are never put side by side.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo/learner.h"
#include "algo/objective.h"
#include "algo/ppo.h"
#include "env/env.h"
#include "nn/module.h"
#include "tests/learn_fixture.h"
#include "tests/tap.h"

enum { NL = 3, STEPS = 12 };

/* Matrices seen, by name and checksum, in order. */
struct seen {
    int n;
    char name[256][64];
    double sum[256];
};

static void
seen_matrix(void *ud, const char *name, int rows, int cols, const float *data)
{
    struct seen *s = ud;
    if (s->n >= 256)
        return;
    snprintf(s->name[s->n], sizeof s->name[0], "%s", name);
    double sum = 0.0;
    for (int i = 0; i < rows * cols; i++)
        sum += (double)data[i] * (double)(i + 1);
    s->sum[s->n++] = sum;
}

/* Three classify learners a, b, c on one modular source (shared: sources
 * are read-only), each with its own module, logging into one log. */
struct trio {
    rs_source *src;
    rs_objective *obj[NL];
    rs_nn_module *m[NL];
    rs_learner *l[NL];
    struct tap_log *log;
};

static void
trio_open(struct trio *t, bool share_module)
{
    memset(t, 0, sizeof *t);
    t->src = tap_modular_source(11, '+', 0.5f, 4);
    t->log = calloc(1, sizeof *t->log);
    for (int i = 0; i < NL; i++) {
        struct rs_learner_config cfg;
        rs_learner_config_default(&cfg);
        snprintf(cfg.name, sizeof cfg.name, "%c", 'a' + i);
        cfg.batch = 16;
        cfg.eval_every = 5;
        cfg.log_every = 1;
        cfg.seed = (uint64_t)(10 + i);
        t->obj[i] = tap_classify();
        t->m[i] = share_module && i > 0
                      ? t->m[0]
                      : tap_mlp(22, 8 + 4 * i, 2, 11, (uint64_t)(20 + i));
        if (share_module && i > 0)
            rs_nn_module_retain(t->m[0]);
        t->l[i] = tap_learner(&cfg, t->m[i], t->obj[i], t->src);
        rs_learner_set_log(t->l[i], tap_log_record, t->log);
    }
}

static void
trio_close(struct trio *t)
{
    for (int i = 0; i < NL; i++) {
        rs_learner_free(t->l[i]);
        rs_objective_release(t->obj[i]);
        rs_nn_module_release(t->m[i]);
    }
    rs_source_release(t->src);
    free(t->log);
}

static bool
trio_run(struct trio *t, bool together)
{
    struct rs_error err = {0};
    struct rs_learner_stats st[NL];
    for (int k = 0; k < STEPS; k++)
        if (rs_learners_update(t->l, NL, together, st, &err) != RS_OK) {
            tap_diag("update %d: %s", k, err.msg);
            return false;
        }
    return st[NL - 1].step == STEPS;
}

static bool
logs_same(const struct tap_log *a, const struct tap_log *b)
{
    if (a->n != b->n) {
        tap_diag("%d metrics vs %d", a->n, b->n);
        return false;
    }
    for (int i = 0; i < a->n; i++)
        if (strcmp(a->name[i], b->name[i]) != 0 ||
            !tap_same_double(a->v[i], b->v[i])) {
            tap_diag("metric %d: %s %.17g vs %s %.17g", i, a->name[i], a->v[i],
                     b->name[i], b->v[i]);
            return false;
        }
    return true;
}

static void
test_classify(bool share_module)
{
    struct trio serial, side;
    trio_open(&serial, share_module);
    trio_open(&side, share_module);
    const char *what = share_module ? "a shared module" : "own modules";
    tap_ok(rs_learners_can_run_together(side.l, NL) == !share_module,
           "three learners with %s can%s run side by side", what,
           share_module ? "not" : "");
    tap_ok(trio_run(&serial, false), "%s: %d sequential steps", what, STEPS);
    tap_ok(trio_run(&side, true), "%s: %d steps side by side", what, STEPS);
    tap_ok(serial.log->n > 3 * STEPS, "%s: %d metrics logged", what,
           serial.log->n);
    tap_ok(logs_same(serial.log, side.log),
           "%s: the same metrics in the same order, bit for bit", what);
    bool same = true;
    for (int i = 0; i < NL; i++)
        same = same && tap_params_equal(rs_learner_params(serial.l[i]),
                                        rs_learner_params(side.l[i]));
    tap_ok(same, "%s: every learner's parameters bit for bit", what);
    trio_close(&serial);
    trio_close(&side);
}

/* ---- PPO learners: metrics and matrices --------------------------------- */

struct pair {
    rs_nn_module *net[4];
    rs_learner *l[2];
    struct tap_log *log;
    struct seen *mats;
};

static void
pair_open(struct pair *p)
{
    memset(p, 0, sizeof *p);
    p->log = calloc(1, sizeof *p->log);
    p->mats = calloc(1, sizeof *p->mats);
    for (int i = 0; i < 2; i++) {
        struct rs_env_config ec;
        rs_env_config_default(&ec);
        ec.copies = 2;
        ec.seed = (uint64_t)(5 + i);
        ec.horizon = 30;
        struct rs_env_cartpole_config kc;
        rs_env_cartpole_config_default(&kc);
        struct rs_error err = {0};
        rs_env *env = rs_env_cartpole(&kc, &ec, &err);
        if (env == NULL)
            tap_bail("cartpole: %s", err.msg);
        struct rs_learner_config lc;
        rs_learner_config_default(&lc);
        snprintf(lc.name, sizeof lc.name, "%s", i == 0 ? "base" : "pfo");
        lc.log_every = 1;
        rs_optim_config_default(&lc.optim, RS_OPTIM_ADAM);
        lc.optim.lr = 1e-3f;
        rs_sched_init(&lc.sched, RS_SCHED_CONSTANT, 1e-3f, -1);
        struct rs_ppo_config pc;
        rs_ppo_config_default(&pc);
        pc.steps = 16;
        pc.minibatch = 16;
        pc.epochs = 3;
        pc.capacity_every = 2;
        pc.obj.pfo_coef = i;
        pc.seed = 77;
        p->net[2 * i] = tap_mlp(4, 12, 2, 2, 40);
        p->net[2 * i + 1] = tap_mlp(4, 12, 2, 1, 41);
        p->l[i] = rs_ppo_learner(&lc, p->net[2 * i], p->net[2 * i + 1], env,
                                 &pc, &err);
        if (p->l[i] == NULL)
            tap_bail("ppo: %s", err.msg);
        rs_learner_set_log(p->l[i], tap_log_record, p->log);
        rs_learner_set_matrix(p->l[i], seen_matrix, p->mats);
    }
}

static void
pair_close(struct pair *p)
{
    for (int i = 0; i < 2; i++)
        rs_learner_free(p->l[i]);
    for (int i = 0; i < 4; i++)
        rs_nn_module_release(p->net[i]);
    free(p->log);
    free(p->mats);
}

/* Wall-clock metrics differ between any two runs: blank them. */
static void
blank_clock(struct tap_log *log)
{
    for (int i = 0; i < log->n; i++)
        if (strstr(log->name[i], "time/") != NULL)
            log->v[i] = 0.0;
}

static void
test_ppo(void)
{
    struct pair serial, side;
    pair_open(&serial);
    pair_open(&side);
    struct rs_error err = {0};
    bool ok = true;
    for (int k = 0; k < 4 && ok; k++)
        ok = rs_learners_update(serial.l, 2, false, NULL, &err) == RS_OK &&
             rs_learners_update(side.l, 2, true, NULL, &err) == RS_OK;
    tap_ok(ok, "two PPO learners: 4 updates each way (%s)", err.msg);
    blank_clock(serial.log);
    blank_clock(side.log);
    tap_ok(logs_same(serial.log, side.log),
           "PPO: the same %d metrics in the same order", serial.log->n);
    bool mats = serial.mats->n == side.mats->n && serial.mats->n > 0;
    for (int i = 0; mats && i < serial.mats->n; i++)
        mats = strcmp(serial.mats->name[i], side.mats->name[i]) == 0 &&
               tap_same_double(serial.mats->sum[i], side.mats->sum[i]);
    tap_ok(mats, "PPO: the same %d matrices in the same order",
           serial.mats->n);
    tap_ok(tap_params_equal(rs_learner_params(serial.l[1]),
                            rs_learner_params(side.l[1])),
           "PPO: pfo's parameters bit for bit");
    pair_close(&serial);
    pair_close(&side);
}

/* ---- who may run side by side ------------------------------------------- */

static void
test_refusals(void)
{
    struct trio t;
    trio_open(&t, false);
    tap_ok(!rs_learners_can_run_together(t.l, 1), "one learner: no threads");
    rs_learner *twice[2] = {t.l[0], t.l[0]};
    tap_ok(!rs_learners_can_run_together(twice, 2),
           "the same learner twice: not side by side");
    struct rs_error err = {0};
    rs_nn_module *teacher = tap_mlp(22, 8, 2, 11, 99);
    rs_objective *base = tap_classify();
    rs_objective *kl = rs_objective_kl_teacher(base, teacher, 1.0, 2.0, &err);
    rs_objective_release(base);
    tap_ok(kl != NULL, "kl_teacher built: %s", err.msg);
    tap_is_int(rs_learner_set_objective(t.l[1], kl, &err), RS_OK,
               "b takes kl_teacher: %s", err.msg);
    tap_ok(rs_learners_can_run_together(t.l, NL),
           "a kl_teacher whose teacher no other learner runs: side by side");
    tap_ok(rs_learners_update(t.l, NL, true, NULL, &err) == RS_OK,
           "they step side by side: %s", err.msg);
    tap_is_int(rs_learner_set_objective(t.l[2], kl, &err), RS_OK,
               "c takes a kl_teacher of the same teacher: %s", err.msg);
    tap_ok(!rs_learners_can_run_together(t.l, NL),
           "two learners with one teacher: not side by side");
    rs_objective *base2 = tap_classify();
    rs_objective *kl_a =
        rs_objective_kl_teacher(base2, t.m[0], 1.0, 1.0, &err);
    rs_objective_release(base2);
    tap_is_int(rs_learner_set_objective(t.l[2], kl_a, &err), RS_OK,
               "c takes a's module as its teacher: %s", err.msg);
    rs_learner *bc[2] = {t.l[1], t.l[2]};
    tap_ok(rs_learners_can_run_together(bc, 2),
           "b and c alone (the teacher is a's): side by side");
    tap_ok(!rs_learners_can_run_together(t.l, NL),
           "with a, whose module is c's teacher: not side by side");
    tap_ok(rs_learners_update(t.l, NL, true, NULL, &err) == RS_OK,
           "they still step, one after the other: %s", err.msg);
    rs_objective_release(kl_a);
    rs_objective_release(kl);
    rs_nn_module_release(teacher);
    trio_close(&t);
}

int
main(void)
{
    tap_plan_lazy();
    test_classify(false);
    test_classify(true);
    test_ppo();
    test_refusals();
    return tap_done();
}
