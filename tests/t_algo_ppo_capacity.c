/* repscope - MIT licence, see COPYING.
 *
 * t_algo_ppo_capacity.c: the capacity instrument of the PPO learner
 * (algo/ppo_metrics.c) on networks with a known answer. The fit's target
 * is a freshly initialised network, whose outputs are nearly constant
 * (small logits, small values), so what the instrument measures is how
 * far a network is from being able to return there: the same network
 * with its output layer scaled by 30 (peaked policies, large values,
 * what a collapsing PPO agent drifts to) cannot get back within an
 * epoch of Adam steps of bounded size, and must end with the larger
 * capacity/actor and capacity/critic. (A network with dead units is no
 * such case: it fits a near-constant target as well as a live one.)
 * Bad capacity settings are refused naming the field.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo/learner.h"
#include "algo/ppo.h"
#include "core/optim.h"
#include "core/rng.h"
#include "core/sched.h"
#include "env/env.h"
#include "nn/linear.h"
#include "nn/mlp.h"
#include "nn/module.h"
#include "tests/learn_fixture.h"
#include "tests/tap.h"

static rs_env *
cartpole(void)
{
    struct rs_env_config ec;
    rs_env_config_default(&ec);
    ec.copies = 4;
    ec.seed = 3;
    ec.horizon = 100;
    struct rs_env_cartpole_config kc;
    rs_env_cartpole_config_default(&kc);
    struct rs_error err = {0};
    rs_env *e = rs_env_cartpole(&kc, &ec, &err);
    if (e == NULL)
        tap_bail("cartpole: %s", err.msg);
    return e;
}

/* A 2 x 32 ReLU MLP; peaked: its output layer scaled by 30. */
static rs_nn_module *
net(int in, int out, uint64_t seed, bool peaked)
{
    struct rs_nn_mlp_config mc;
    rs_nn_mlp_config_default(&mc);
    mc.input = in;
    mc.width = 32;
    mc.depth = 2;
    mc.output = out;
    mc.act = RS_NN_MLP_ACT_RELU;
    struct rs_rng rng;
    rs_rng_seed(&rng, seed);
    struct rs_error err = {0};
    rs_nn_module *m = rs_nn_module_mlp(&mc, &rng, &err);
    if (m == NULL)
        tap_bail("mlp: %s", err.msg);
    if (peaked) {
        const rs_nn_mlp *mlp = rs_nn_module_as_mlp(m);
        const struct rs_nn_linear *lin = rs_nn_mlp_linear(mlp, 3);
        const rs_tensor *w = rs_nn_linear_weight(lin);
        const rs_tensor *b = rs_nn_linear_bias(lin);
        for (size_t i = 0; i < w->numel; i++)
            w->data[i] *= 30.0f;
        for (size_t i = 0; b != NULL && i < b->numel; i++)
            b->data[i] = 30.0f * b->data[i] + 1.0f;
    }
    return m;
}

struct capacity_run {
    double actor, critic;
    int ncap;
};

/* Four updates with capacity at the 4th over 4 rollouts' observations. */
static bool
run(bool peaked, struct capacity_run *out)
{
    struct rs_learner_config lc;
    rs_learner_config_default(&lc);
    snprintf(lc.name, sizeof lc.name, "%s", "cp");
    lc.log_every = 1;
    rs_optim_config_default(&lc.optim, RS_OPTIM_ADAM);
    lc.optim.lr = 3e-3f;
    rs_sched_init(&lc.sched, RS_SCHED_CONSTANT, 3e-3f, -1);
    struct rs_ppo_config pc;
    rs_ppo_config_default(&pc);
    pc.steps = 32;
    pc.minibatch = 32;
    pc.epochs = 1;
    pc.capacity_every = 4;
    pc.capacity_rows = 4 * 4 * 32;
    pc.capacity_minibatch = 16;
    rs_env *e = cartpole();
    int in = rs_env_obs_dim(e);
    rs_nn_module *a = net(in, rs_env_actions(e), 11, peaked);
    rs_nn_module *c = net(in, 1, 12, peaked);
    struct rs_error err = {0};
    rs_learner *l = rs_ppo_learner(&lc, a, c, e, &pc, &err);
    if (l == NULL)
        tap_bail("ppo learner: %s", err.msg);
    struct tap_log *log = calloc(1, sizeof *log);
    rs_learner_set_log(l, tap_log_record, log);
    bool ok = true;
    for (int i = 0; i < 4 && ok; i++)
        ok = rs_learner_update(l, NULL, &err) == RS_OK;
    out->actor = out->critic = (double)NAN;
    out->ncap = 0;
    for (int i = 0; i < log->n; i++) {
        if (strcmp(log->name[i], "cp/capacity/actor") == 0) {
            out->actor = log->v[i];
            out->ncap++;
        }
        if (strcmp(log->name[i], "cp/capacity/critic") == 0)
            out->critic = log->v[i];
    }
    if (!ok)
        tap_diag("update: %s", err.msg);
    free(log);
    rs_learner_free(l);
    rs_nn_module_release(a);
    rs_nn_module_release(c);
    return ok;
}

static void
refusals(void)
{
    static const struct {
        int rows, mb;
        const char *field;
    } bad[] = {{0, 64, "capacity_rows"}, {4096, 0, "capacity_minibatch"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct rs_learner_config lc;
        rs_learner_config_default(&lc);
        struct rs_ppo_config pc;
        rs_ppo_config_default(&pc);
        pc.steps = 32;
        pc.minibatch = 32;
        pc.capacity_rows = bad[i].rows;
        pc.capacity_minibatch = bad[i].mb;
        rs_env *e = cartpole();
        int in = rs_env_obs_dim(e);
        rs_nn_module *a = net(in, rs_env_actions(e), 1, false);
        rs_nn_module *c = net(in, 1, 2, false);
        struct rs_error err = {0};
        rs_learner *l = rs_ppo_learner(&lc, a, c, e, &pc, &err);
        tap_ok(l == NULL && strstr(err.msg, bad[i].field) != NULL,
               "%s refused: %s", bad[i].field, err.msg);
        rs_learner_free(l);
        rs_nn_module_release(a);
        rs_nn_module_release(c);
    }
}

int
main(void)
{
    tap_plan_lazy();
    struct capacity_run plain, peaked;
    bool ok = run(false, &plain) && run(true, &peaked);
    tap_ok(ok && plain.ncap == 1 && peaked.ncap == 1 &&
               isfinite(plain.actor) && isfinite(peaked.actor),
           "capacity logged once in 4 updates (every 4), finite");
    tap_diag("capacity/actor: plain %.4g, peaked %.4g; capacity/critic: "
             "plain %.4g, peaked %.4g",
             plain.actor, peaked.actor, plain.critic, peaked.critic);
    tap_ok(peaked.actor > 10.0 * plain.actor,
           "an output layer x30 fits a fresh actor worse (KL %.3g > "
           "10 x %.3g)",
           peaked.actor, plain.actor);
    tap_ok(peaked.critic > 10.0 * plain.critic,
           "an output layer x30 fits a fresh critic worse (MSE %.3g > "
           "10 x %.3g)",
           peaked.critic, plain.critic);
    refusals();
    return tap_done();
}
