/* repscope - MIT licence, see COPYING.
 *
 * dead.h: dead, linearised and dormant units of a layer on a probe batch,
 * as DemP ("Maxwell's Demon at Work: Efficient Pruning by Leveraging
 * Saturation of Neurons", arXiv 2403.07688), PFO ("No Representation, No
 * Trust", arXiv 2405.00662) and Lyle et al. ("Disentangling the Causes of
 * Plasticity Loss in Neural Networks", arXiv 2402.18762) count them. The
 * input is the layer's (N, C) matrix of one kind of value, rows =
 * samples, cols = units, row-major:
 *
 *   never active   x[i, j] <= 0 for every row i. On ReLU-family
 *                  activations (or their pre-activations) this is a dead
 *                  unit: DemP's "sum of relu over the batch <= 0", PFO's
 *                  "all zeros", Lyle's "pre-activation < 0 on all inputs"
 *                  up to the boundary value 0.
 *   always active  x[i, j] > 0 for every row: on a ReLU pre-activation, a
 *                  linearised ("zombie") unit.
 *   saturated      |x[i, j]| >= 1 - eps for every row (tanh; DemP).
 *   tau-dormant    score_j = mean_i |x[i, j]| / (mean over units of that
 *                  quantity) <= tau (Sokar et al.'s dormant neurons), for
 *                  any activation. When every unit's mean is 0 all scores
 *                  are 0 and every unit is dormant.
 *
 * Frequencies are per-unit fractions of rows with x > 0: the dead-neuron
 * map's cells (0 = dead, 1 = always on). To AND the check over several
 * batches (DemP), keep the per-batch frequencies and combine: a unit is
 * dead over all batches iff its frequency is 0 in each. Pure functions
 * over caller buffers; any thread.
 */
#ifndef RS_PROBE_DEAD_H
#define RS_PROBE_DEAD_H

#include "core/base.h"
#include "core/tensor.h"
#include "nn/mlp.h"

/* Counts for x (rows, cols): never/always active units, and optionally
 * the per-unit frequency freq (cols floats, may be NULL). never/always may
 * be NULL. RS_EINVAL for a size < 1. */
RS_NODISCARD int rs_probe_dead_activity(const float *x, int rows, int cols,
                                        float *freq, int *never, int *always,
                                        struct rs_error *err);
/* Never-active fraction of the units of x (as above) into *frac; freq
 * (may be NULL) as rs_probe_dead_activity. */
RS_NODISCARD int rs_probe_dead_fraction(const float *x, int rows, int cols,
                                        float *freq, double *frac,
                                        struct rs_error *err);
/* Units whose |x| >= 1 - eps on every row into *count. */
RS_NODISCARD int rs_probe_dead_saturated(const float *x, int rows, int cols,
                                         float eps, int *count,
                                         struct rs_error *err);
/* tau-dormant units of x into *count; score (cols floats, may be NULL)
 * receives each unit's normalised mean |x|. tau >= 0. RS_EINVAL for a size
 * < 1 or a negative / non-finite tau. */
RS_NODISCARD int rs_probe_dead_dormant(const float *x, int rows, int cols,
                                       double tau, float *score, int *count,
                                       struct rs_error *err);

/* Per-layer summary of one hidden layer of an MLP from its last forward
 * (rs_nn_mlp_preact / rs_nn_mlp_act). */
struct rs_probe_dead_layer {
    int units;   /* C */
    int rows;    /* N */
    int dead;    /* activation never > 0 (ReLU family) */
    int linear;  /* pre-activation always > 0 */
    int dormant; /* tau-dormant activations */
    double dead_frac, linear_frac, dormant_frac;
};

/* Fill out for hidden layer `layer` (1..depth) of m, with dormancy
 * threshold tau; freq (C floats, may be NULL) gets the activation
 * frequencies. RS_EINVAL if the layer is out of range or has no recorded
 * forward (run rs_nn_mlp_forward first, on the probe batch). */
RS_NODISCARD int rs_probe_dead_mlp_layer(const rs_nn_mlp *m, int layer,
                                         double tau, float *freq,
                                         struct rs_probe_dead_layer *out,
                                         struct rs_error *err);

#endif /* RS_PROBE_DEAD_H */
