/* repscope - MIT licence, see COPYING.
 *
 * preact.h: the distribution of per-unit pre-activation means of a layer,
 * as Lyle et al. ("Disentangling the Causes of Plasticity Loss in Neural
 * Networks", arXiv 2402.18762) plot it right after a task switch: for
 * each unit j of a layer's (N, C) pre-activation x (rows = samples, cols
 * = units, row-major), its mean m_j = (1/N) sum_i x[i, j] (in double);
 * then a histogram of the C means over `bins` equal bins of [-r, r]:
 *
 *   r = range when range > 0, else max_j |m_j| (and 1 when that is 0)
 *   w = 2r / bins;  bin b (0-based) holds [-r + b w, -r + (b + 1) w),
 *   the last one also r itself
 *   a mean below -r counts in bin 0, one above r in bin bins - 1
 *
 * The bin index is floor((m - lo) / w) in double, clamped to [0, bins).
 * A unit whose mean is not finite is an error (RS_ENONFINITE naming it).
 * Pure functions over caller buffers; any thread.
 */
#ifndef RS_PROBE_PREACT_H
#define RS_PROBE_PREACT_H

#include "core/base.h"
#include "core/tensor.h"
#include "nn/module.h"

/* Most bins of a histogram (a typo guard). */
#define RS_PROBE_PREACT_BINS_MAX 4096

/* means (cols floats) = the column means of x (rows, cols), accumulated in
 * double. RS_EINVAL for a size < 1. */
RS_NODISCARD int rs_probe_preact_means(const float *x, int rows, int cols,
                                       float *means, struct rs_error *err);

/* counts (bins floats) = the histogram of v[0..n) described above, over
 * [*lo, *hi] = [-r, r]; range <= 0 (or NaN) picks r from the data.
 * RS_EINVAL for n < 1, bins outside 1..RS_PROBE_PREACT_BINS_MAX or an
 * infinite range; RS_ENONFINITE for a value that is not finite ("unit 3
 * has mean nan"). On error counts, lo and hi are untouched. */
RS_NODISCARD int rs_probe_preact_hist(const float *v, int n, int bins,
                                      double range, float *counts, double *lo,
                                      double *hi, struct rs_error *err);

/* The centre of bin b of bins over [lo, hi]: lo + (b + 0.5) (hi - lo) /
 * bins. */
double rs_probe_preact_bin_centre(double lo, double hi, int bins, int b);

/* Both on the recorded pre-activation of layer `layer` (0-based) of m
 * after a forward, rows = the product of its leading dimensions (every
 * token of a sequence model); *units (may be NULL) gets the layer's
 * width. RS_EINVAL when the layer does not exist or recorded nothing
 * (naming it); errors as above. */
RS_NODISCARD int rs_probe_preact_layer(const rs_nn_module *m, int layer,
                                       int bins, double range, float *counts,
                                       double *lo, double *hi, int *units,
                                       struct rs_error *err);

#endif /* RS_PROBE_PREACT_H */
