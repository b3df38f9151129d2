/* repscope - MIT licence, see COPYING.
 *
 * preact.c: per-unit pre-activation means and their histogram (see
 * preact.h). One pass over the (N, C) matrix, row by row, with a double
 * accumulator per unit; the histogram is O(C). Pure functions; any
 * thread.
 */
#include "config.h"

#include "probe/preact.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int
rs_probe_preact_means(const float *x, int rows, int cols, float *means,
                      struct rs_error *err)
{
    if (rows < 1 || cols < 1)
        return rs_error_set(err, RS_EINVAL,
                            "%d x %d matrix (both sizes must be >= 1)", rows,
                            cols);
    double *acc = rs_xcalloc((size_t)cols, sizeof *acc);
    for (int i = 0; i < rows; i++) {
        const float *row = x + (size_t)i * (size_t)cols;
        for (int j = 0; j < cols; j++)
            acc[j] += (double)row[j];
    }
    for (int j = 0; j < cols; j++)
        means[j] = (float)(acc[j] / rows);
    free(acc);
    return RS_OK;
}

int
rs_probe_preact_hist(const float *v, int n, int bins, double range,
                     float *counts, double *lo, double *hi,
                     struct rs_error *err)
{
    if (n < 1)
        return rs_error_set(err, RS_EINVAL, "%d values (must be >= 1)", n);
    if (bins < 1 || bins > RS_PROBE_PREACT_BINS_MAX)
        return rs_error_set(err, RS_EINVAL, "bins = %d (must be in 1..%d)",
                            bins, RS_PROBE_PREACT_BINS_MAX);
    if (isinf(range))
        return rs_error_set(err, RS_EINVAL, "range = %g (must be finite)",
                            range);
    double amax = 0.0;
    for (int j = 0; j < n; j++) {
        if (!isfinite(v[j]))
            return rs_error_set(err, RS_ENONFINITE, "unit %d has mean %g",
                                j + 1, (double)v[j]);
        double a = fabs((double)v[j]);
        amax = a > amax ? a : amax;
    }
    double r = range > 0.0 ? range : amax > 0.0 ? amax : 1.0;
    double l = -r, w = 2.0 * r / bins;
    memset(counts, 0, (size_t)bins * sizeof *counts);
    for (int j = 0; j < n; j++) {
        /* bin floor((v - lo) / w), the ends taking what lies outside */
        double t = floor(((double)v[j] - l) / w);
        int b = t < 0.0 ? 0 : t >= (double)bins ? bins - 1 : (int)t;
        counts[b] += 1.0f;
    }
    *lo = l;
    *hi = r;
    return RS_OK;
}

double
rs_probe_preact_bin_centre(double lo, double hi, int bins, int b)
{
    return lo + ((double)b + 0.5) * (hi - lo) / bins;
}

int
rs_probe_preact_layer(const rs_nn_module *m, int layer, int bins, double range,
                      float *counts, double *lo, double *hi, int *units,
                      struct rs_error *err)
{
    if (layer < 0 || layer >= rs_nn_module_layers(m))
        return rs_error_set(err, RS_EINVAL,
                            "layer %d does not exist (the model has %d "
                            "probe-able layers)",
                            layer, rs_nn_module_layers(m));
    const rs_tensor *x = rs_nn_module_layer_preact(m, layer);
    if (x == NULL || x->ndim < 1 || rs_tensor_rows(x) > (size_t)INT_MAX)
        return rs_error_set(err, RS_EINVAL,
                            "layer '%s' recorded no pre-activation",
                            rs_nn_module_layer_name(m, layer));
    int rows = (int)rs_tensor_rows(x), cols = rs_tensor_cols(x);
    if (rows < 1 || cols < 1)
        return rs_error_set(err, RS_EINVAL,
                            "layer '%s' recorded a %d x %d pre-activation",
                            rs_nn_module_layer_name(m, layer), rows, cols);
    float *means = rs_xcalloc((size_t)cols, sizeof *means);
    int rc = rs_probe_preact_means(x->data, rows, cols, means, err);
    if (rc == RS_OK)
        rc =
            rs_probe_preact_hist(means, cols, bins, range, counts, lo, hi, err);
    free(means);
    if (rc == RS_OK && units != NULL)
        *units = cols;
    return rc;
}
