/* repscope - MIT licence, see COPYING.
 *
 * rollout.h: what one PPO update trains on, generalised advantage
 * estimation (GAE: Schulman et al., "High-Dimensional Continuous Control
 * Using Generalized Advantage Estimation", arXiv 1506.02438) and two
 * statistics of a rollout that PPO's instruments report (trust region,
 * dead units).
 *
 * A rollout source (kind "rollout") is a finite source (data/source.h)
 * over three buffers its owner fills between updates: the one source
 * whose examples change after creation. Example r is one transition:
 *   input 0  FEATURES (n, obs): the observation the action was taken on;
 *   input 1  FEATURES (n, cols): the per-transition columns the objective
 *            reads (algo/objective.h: the PPO layout, RS_PPO_COLS + D);
 *   label    the action, in 0..actions-1.
 * A vectorised collection of N copies over T steps lays its transitions
 * out time-major: row t * N + i is copy i's step t. The test split is
 * empty: a rollout is never evaluated, and a learner with a driver never
 * evaluates anyway (algo/learner.h).
 *
 * Buffers are owned by the source; the owner writes them while no fetch
 * runs (worker thread only, like every source).
 */
#ifndef RS_ALGO_ROLLOUT_H
#define RS_ALGO_ROLLOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base.h"
#include "data/source.h"

/* A rollout source of n transitions (one reference; buffers zeroed).
 * NULL + err (RS_EINVAL naming the value) when n, obs, cols or actions
 * is < 1 or n * max(obs, cols) overflows an int. */
rs_source *rs_rollout_source(int n, int obs, int cols, int actions,
                             struct rs_error *err);
/* The buffers of a rollout source (borrowed while s lives), NULL for
 * other kinds: observations (n, obs), columns (n, cols), actions (n). */
float *rs_rollout_obs(const rs_source *s);
float *rs_rollout_cols(const rs_source *s);
int *rs_rollout_actions(const rs_source *s);
/* True for a rollout source. */
bool rs_rollout_is(const rs_source *s);

/* GAE(gamma, lambda) over N copies and T steps, every array (T, N)
 * time-major. At step t copy i got reward[t, i] after the state of value
 * value[t, i]; terminated[t, i] (the episode ended in a terminal state:
 * no bootstrap) or truncated[t, i] (it was cut: bootstrap) ends its
 * episode there. next_value[t, i] is the value of the state that follows
 * within the same episode: V(s_{t+1}) while the episode goes on, the
 * value of the episode's final observation when truncated, and V of the
 * observation after the last step at t = T - 1 (ignored when
 * terminated). Then
 *   delta_t = r_t + gamma (1 - terminated_t) next_value_t - value_t
 *   adv_t   = delta_t + gamma lambda (1 - done_t) adv_{t+1},  adv_T = 0
 *   ret_t   = adv_t + value_t   (the value target)
 * with done = terminated or truncated; accumulated in double. gamma and
 * lambda in [0, 1]. */
void rs_rollout_gae(float *adv, float *ret, const float *reward,
                    const float *value, const float *next_value,
                    const uint8_t *terminated, const uint8_t *truncated, int T,
                    int N, double gamma, double lambda);

/* Trust-region statistics of a policy update on n transitions: r =
 * exp(logp_new[k] - logp_old[k * stride]) (logp_old strided: the
 * rollout's column 0); below / above the mean of the r < 1 - eps / the
 * r > 1 + eps (1 - eps / 1 + eps when there is none, so a curve has no
 * holes), frac_below / frac_above their fractions, kl the mean of
 * logp_old - logp_new. n >= 1, eps in (0, 1). */
struct rs_rollout_ratio {
    double below, above;
    double frac_below, frac_above;
    double kl;
};
void rs_rollout_ratio_stats(struct rs_rollout_ratio *out, const float *logp_new,
                            const float *logp_old, size_t stride, int n,
                            double eps);

/* Fraction of dead units of the activations x (rows, cols), rows the
 * samples: with relu (the ReLU family) the units never > 0, else the
 * units whose (biased) standard deviation over the rows is below 1e-3
 * (tanh and other saturating units). rows, cols >= 1. */
double rs_rollout_dead_fraction(const float *x, int rows, int cols, bool relu);

#endif /* RS_ALGO_ROLLOUT_H */
