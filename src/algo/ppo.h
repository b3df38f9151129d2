/* repscope - MIT licence, see COPYING.
 *
 * ppo.h: proximal policy optimisation (Schulman et al., "Proximal Policy
 * Optimization Algorithms", arXiv 1707.06347) as a learner driver
 * (algo/learner.h), with the instruments of "No Representation, No
 * Trust: Connecting Representation, Collapse, and Trust Issues in PPO"
 * (Moalla et al., arXiv 2405.00662). Separate actor and critic networks,
 * one learner training both (the ppo objective, algo/objective.h, with
 * PFO), Adam with each network's gradients clipped by their own norm.
 *
 * One session step (rs_learner_update) is one PPO update:
 *   1. collect steps vectorised steps of the env's N copies: no-grad
 *      forwards of actor and critic on the N observations, an action per
 *      copy sampled from softmax(logits) with the driver's RNG; recorded
 *      per transition: observation, action, log pi_old(a|s), V(s), the
 *      actor's penultimate pre-activation (the PFO anchor) and both
 *      networks' penultimate activations (the rank instruments);
 *   2. GAE(gamma, lambda) per copy (algo/rollout.h): a terminated episode
 *      does not bootstrap, a truncated one bootstraps from V of its final
 *      observation, the rollout's last step from V of the next one;
 *   3. the rollout (N * steps transitions, time-major) becomes the
 *      learner's source again (its permutation restarts), then epochs
 *      passes of minibatch-sized steps without replacement;
 *   4. the instruments, logged under the learner's name (exact
 *      definitions in the manual):
 *        rl/return, rl/ep_len (episodes finished in this rollout: not
 *        logged when none did), rl/env_steps (cumulative);
 *        actor/approx_rank, actor/srank, actor/erank, actor/feature_rank,
 *        critic/approx_rank (singular values of the rollout's
 *        penultimate activations, not centred, delta 0.01);
 *        actor/preact_norm, critic/preact_norm, actor/dead, critic/dead;
 *        ppo/ratio_below, ppo/ratio_above, ppo/frac_below,
 *        ppo/frac_above, ppo/kl (the policy after the epochs against the
 *        one that collected, on the whole rollout);
 *        capacity/actor, capacity/critic (every capacity_every updates);
 *        time/env_steps_per_s (wall clock of the update);
 *      and the matrices spectrum/<layer> (1, D; <layer> the actor's last
 *      hidden layer) and env/frame (copy 0).
 * The learner's own train/ metrics (loss and the objective's extras
 * loss_pi, loss_v, entropy, pfo) are the means over the update's steps.
 * An update that fails (a non-finite loss or gradient, a graph error)
 * stops where it failed: the env has taken the steps it took and the
 * learner the minibatch steps it took; the update is not counted.
 *
 * The driver owns the env and its buffers (allocated when the learner is
 * built: collection allocates nothing); the learner retains the actor,
 * the critic, the objective and the rollout. Checkpoints: the driver's
 * words hold its RNG, the env's state and the first rollouts'
 * observations (the capacity data), so a resumed run continues bit for
 * bit. Worker thread only.
 */
#ifndef RS_ALGO_PPO_H
#define RS_ALGO_PPO_H

#include <stdbool.h>
#include <stdint.h>

#include "algo/learner.h"
#include "algo/objective.h"
#include "core/base.h"
#include "env/env.h"
#include "nn/module.h"

/* Transitions per rollout at most (N * steps; a typo guard). */
#define RS_PPO_MAX_ROLLOUT (1 << 20)
/* Epochs per update at most (a typo guard). */
#define RS_PPO_MAX_EPOCHS 10000

struct rs_ppo_config {
    int steps;                    /* T: steps per copy per rollout, >= 1; 128 */
    int minibatch;                /* >= 1, divides copies * steps; 256 */
    int epochs;                   /* >= 1; 4 */
    double gamma;                 /* [0, 1]; 0.99 */
    double lambda;                /* [0, 1]; 0.95 */
    struct rs_obj_ppo_config obj; /* clip, ent, vf, pfo; its defaults */
    int capacity_every;           /* 0: off; else every K updates; 0 */
    int capacity_rows;            /* capacity data: the first rollouts' */
                                  /* observations, this many; 4096 */
    int capacity_minibatch;       /* the capacity fit's minibatch; 64 */
    uint64_t seed;                /* the action-sampling stream; 1 */
    bool instruments;             /* false: log only rl/ (no trust,    */
                                  /* rank, dead, norm, capacity, frame */
                                  /* or time: many learners); true     */
};

/* The values after ';' above. */
void rs_ppo_config_default(struct rs_ppo_config *cfg);

/* A learner named lcfg->name training actor and critic (retained) with
 * PPO on env (OWNED from here on, also on error): builds the rollout
 * source (N * steps transitions), the ppo objective, the learner (from
 * lcfg with batch = minibatch, eval_every 0 and clip_per_module true;
 * log_every counts updates) and attaches the driver. actor: an "mlp"
 * module of depth >= 1 from the observation to one logit per action;
 * critic: an "mlp" module from the observation to one value. NULL + err
 * (RS_EINVAL naming the field or the module) otherwise. */
rs_learner *rs_ppo_learner(const struct rs_learner_config *lcfg,
                           rs_nn_module *actor, rs_nn_module *critic,
                           rs_env *env, const struct rs_ppo_config *cfg,
                           struct rs_error *err);
/* The same with the learner's objective given: obj (retained) is a chain
 * of wrappers (kl_teacher, ewc, l2_anchor, ...) over a ppo objective,
 * whose config becomes cfg->obj, so the driver's fields stay the one
 * place the PPO loss is set. RS_EINVAL (env freed) when obj's innermost
 * objective is not ppo. NULL obj: rs_ppo_learner. */
rs_learner *rs_ppo_learner_with(const struct rs_learner_config *lcfg,
                                rs_nn_module *actor, rs_nn_module *critic,
                                rs_env *env, const struct rs_ppo_config *cfg,
                                rs_objective *obj, struct rs_error *err);
/* Live change (epochs, minibatch, steps, gamma, lambda, coefficients,
 * capacity cadence; the seed is ignored: the stream goes on): applies
 * from the next update. A new steps rebuilds the rollout (a checkpoint
 * then loads only into a learner set to the same steps). RS_EINVAL
 * naming the field (nothing changed), also for a learner without the
 * ppo driver. */
RS_NODISCARD int rs_ppo_set_config(rs_learner *l,
                                   const struct rs_ppo_config *cfg,
                                   struct rs_error *err);
/* The driver's config (borrowed), NULL if l is not a ppo learner. */
const struct rs_ppo_config *rs_ppo_config(const rs_learner *l);
/* The env (borrowed while l lives), NULL if l is not a ppo learner. */
rs_env *rs_ppo_env(const rs_learner *l);

#endif /* RS_ALGO_PPO_H */
