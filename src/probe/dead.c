/* repscope - MIT licence, see COPYING.
 *
 * dead.c: dead / linearised / saturated / dormant unit counts (see dead.h).
 * Each pass walks the (N, C) matrix row by row (contiguous) with per-unit
 * accumulators, so a probe costs one read of the batch. Pure functions;
 * any thread.
 */
#include "config.h"

#include "probe/dead.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>

static int
check_dims(int rows, int cols, struct rs_error *err)
{
    if (rows < 1 || cols < 1)
        return rs_error_set(err, RS_EINVAL,
                            "%d x %d matrix (both sizes must be >= 1)", rows,
                            cols);
    return RS_OK;
}

int
rs_probe_dead_activity(const float *x, int rows, int cols, float *freq,
                       int *never, int *always, struct rs_error *err)
{
    int rc = check_dims(rows, cols, err);
    if (rc != RS_OK)
        return rc;
    int *on = rs_xcalloc((size_t)cols, sizeof *on);
    for (int i = 0; i < rows; i++) {
        const float *row = x + (size_t)i * (size_t)cols;
        for (int j = 0; j < cols; j++)
            on[j] += row[j] > 0.0f;
    }
    int nn = 0, na = 0;
    for (int j = 0; j < cols; j++) {
        nn += on[j] == 0;
        na += on[j] == rows;
        if (freq != NULL)
            freq[j] = (float)((double)on[j] / (double)rows);
    }
    free(on);
    if (never != NULL)
        *never = nn;
    if (always != NULL)
        *always = na;
    return RS_OK;
}

int
rs_probe_dead_fraction(const float *x, int rows, int cols, float *freq,
                       double *frac, struct rs_error *err)
{
    int never = 0;
    int rc = rs_probe_dead_activity(x, rows, cols, freq, &never, NULL, err);
    if (rc != RS_OK)
        return rc;
    *frac = (double)never / (double)cols;
    return RS_OK;
}

int
rs_probe_dead_saturated(const float *x, int rows, int cols, float eps,
                        int *count, struct rs_error *err)
{
    int rc = check_dims(rows, cols, err);
    if (rc != RS_OK)
        return rc;
    if (!isfinite(eps))
        return rs_error_set(err, RS_EINVAL, "eps = %g (must be finite)",
                            (double)eps);
    float lim = 1.0f - eps;
    int *sat = rs_xcalloc((size_t)cols, sizeof *sat);
    for (int i = 0; i < rows; i++) {
        const float *row = x + (size_t)i * (size_t)cols;
        for (int j = 0; j < cols; j++)
            sat[j] += fabsf(row[j]) >= lim;
    }
    int n = 0;
    for (int j = 0; j < cols; j++)
        n += sat[j] == rows;
    free(sat);
    *count = n;
    return RS_OK;
}

int
rs_probe_dead_dormant(const float *x, int rows, int cols, double tau,
                      float *score, int *count, struct rs_error *err)
{
    int rc = check_dims(rows, cols, err);
    if (rc != RS_OK)
        return rc;
    if (!(tau >= 0.0 && isfinite(tau)))
        return rs_error_set(err, RS_EINVAL,
                            "tau = %g (must be finite and >= 0)", tau);
    double *m = rs_xcalloc((size_t)cols, sizeof *m);
    for (int i = 0; i < rows; i++) {
        const float *row = x + (size_t)i * (size_t)cols;
        for (int j = 0; j < cols; j++)
            m[j] += fabs((double)row[j]);
    }
    /* Per-unit mean |x| and the layer mean of those. */
    double layer = 0.0;
    for (int j = 0; j < cols; j++) {
        m[j] /= rows;
        layer += m[j];
    }
    layer /= cols;
    int n = 0;
    for (int j = 0; j < cols; j++) {
        double s = layer > 0.0 ? m[j] / layer : 0.0;
        n += s <= tau;
        if (score != NULL)
            score[j] = (float)s;
    }
    free(m);
    *count = n;
    return RS_OK;
}

/* t as a (rows, cols) matrix, range-checked. */
static int
tensor_dims(const rs_tensor *t, int *rows, int *cols, struct rs_error *err)
{
    size_t r = rs_tensor_rows(t);
    if (r > (size_t)INT_MAX)
        return rs_error_set(err, RS_EINVAL, "%zu rows is too many", r);
    *rows = (int)r;
    *cols = rs_tensor_cols(t);
    return RS_OK;
}

int
rs_probe_dead_mlp_layer(const rs_nn_mlp *m, int layer, double tau, float *freq,
                        struct rs_probe_dead_layer *out, struct rs_error *err)
{
    int depth = rs_nn_mlp_depth(m);
    if (layer < 1 || layer > depth)
        return rs_error_set(err, RS_EINVAL,
                            "layer = %d (the MLP has hidden layers "
                            "1..%d)",
                            layer, depth);
    rs_tensor *pre = rs_nn_mlp_preact(m, layer);
    rs_tensor *act = rs_nn_mlp_act(m, layer);
    if (pre == NULL || act == NULL)
        return rs_error_set(err, RS_EINVAL,
                            "layer %d has no recorded forward", layer);
    int rows = 0, cols = 0;
    int rc = tensor_dims(act, &rows, &cols, err);
    if (rc != RS_OK)
        return rc;
    int dead = 0, linear = 0, dormant = 0;
    rc = rs_probe_dead_activity(act->data, rows, cols, freq, &dead, NULL, err);
    if (rc == RS_OK)
        rc = rs_probe_dead_activity(pre->data, rows, cols, NULL, NULL, &linear,
                                    err);
    if (rc == RS_OK)
        rc = rs_probe_dead_dormant(act->data, rows, cols, tau, NULL, &dormant,
                                   err);
    if (rc != RS_OK)
        return rc;
    out->units = cols;
    out->rows = rows;
    out->dead = dead;
    out->linear = linear;
    out->dormant = dormant;
    out->dead_frac = (double)dead / cols;
    out->linear_frac = (double)linear / cols;
    out->dormant_frac = (double)dormant / cols;
    return RS_OK;
}
