/* repscope - MIT licence, see COPYING.
 *
 * demp.h: the pieces of DemP ("Maxwell's Demon at Work: Efficient Pruning
 * by Leveraging Saturation of Neurons", Dufort-Labbe et al., arXiv
 * 2403.07688) that are not a loss term or an update hook, as the authors'
 * code computes them:
 *
 *   death check   a unit of a ReLU-family layer is dead iff the sum of its
 *                 post-activation over a batch (and over positions, for
 *                 token models) is <= 0 on EVERY batch of a set covering
 *                 ceil(N / 25) training examples (N the train split's
 *                 size). The batches are the learner's batch size, taken
 *                 in order from the start of the train split (the last
 *                 one may be shorter), so the check never touches the
 *                 learner's sampler, RNG or step count and is the same
 *                 set every time it runs.
 *   one-cycle     optax.cosine_onecycle_schedule(transition_steps = end,
 *                 peak) with its defaults (pct_start 0.3, div_factor 25,
 *                 final_div_factor 1e4): a cosine from peak / 25 at step
 *                 0 up to peak at step b = floor(0.3 end), then a cosine
 *                 down to peak / 25 / 1e4 at step end, held after it:
 *                   t < b         c(peak / 25, peak, t / b)
 *                   b <= t < end  c(peak, peak / 25e4, (t - b) / (end - b))
 *                 with c(s, e, p) = e + (s - e) (cos(pi p) + 1) / 2. With
 *                 zero_end, end = floor(0.9 total) and the value is 0 from
 *                 step end on (the authors' zero_end_reg_param); without,
 *                 end = total. This is not core/sched.h's onecycle (torch
 *                 OneCycleLR peaks at step pct_start total - 1, not
 *                 floor(pct_start total), and ends at total - 1): the two
 *                 are a step apart, and DemP's code uses optax.
 *
 * The regulariser (cdg_l2) is an objective (algo/objective.h) and the
 * live-only noise a learner setting (algo/learner.h); both follow the
 * one-cycle above. Worker thread only (the death check runs forwards on
 * the learner's graph); the schedule and rs_demp_live_update are pure.
 */
#ifndef RS_ALGO_DEMP_H
#define RS_ALGO_DEMP_H

#include <stdbool.h>

#include "algo/learner.h"
#include "core/base.h"

/* The fraction of the train split the death check covers: 1 / 25. */
#define RS_DEMP_COVER_DIV 25

/* One batch of the death check: x (rows, cols) row-major, rows = samples
 * (and positions), cols = units; live[j] becomes 1 when sum_i x[i, j] >
 * 0 (left as it is otherwise). A unit is dead over several batches iff
 * live[j] stays 0 through all of them (the AND of "sum <= 0"). */
void rs_demp_live_update(const float *x, int rows, int cols,
                         unsigned char *live);

/* The death check (above) on layer `layer` (a probe-able layer name,
 * e.g. "l2" of an mlp) of l's modules[0], over the first `cover` train
 * examples (<= 0: DemP's ceil(N / 25); more than N: all N). A unit dead
 * on the covered examples may fire on others: only cover = N makes
 * pruning it exact on every train input. dead receives the dead units'
 * indices (0-based, ascending) and must hold cap ints; *ndead their
 * number, *units (may be NULL) the layer's width. The learner's
 * parameters, optimiser, sampler and steps are unchanged; its probe
 * cache is dropped. RS_EINVAL for a generator source (no train split to
 * cover), an unknown layer, or cap smaller than the layer's width. */
RS_NODISCARD int rs_demp_dead_units(rs_learner *l, const char *layer, int cover,
                                    int *dead, int cap, int *ndead, int *units,
                                    struct rs_error *err);

/* Train examples the death check covers for a split of n: ceil(n / 25). */
int rs_demp_cover(int n);

/* The one-cycle value (above) at step t (t < 0 counts as 0) of a run of
 * total steps (total < 1: 0 everywhere). */
double rs_demp_onecycle(double peak, long total, bool zero_end, long t);

#endif /* RS_ALGO_DEMP_H */
