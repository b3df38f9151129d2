/* repscope - MIT licence, see COPYING.
 *
 * rank.c: rank metrics of a singular-value spectrum and the feature-matrix
 * probes (see rank.h). The SVD is rs_linalg_svd_values (float32 LAPACKE);
 * everything here is O(n) on its output, except the paper's covariance
 * rank, which is deliberately double precision. Metric functions are pure;
 * a struct rs_probe_rank belongs to one thread.
 */
#include "config.h"

#include "probe/rank.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/linalg.h"

/* min k with sum_{i<k} v(s_i) >= (1 - delta) * total, v = s or s^2. */
static int
cumulative_rank(const float *s, int n, double delta, bool squares)
{
    double total = 0.0;
    for (int i = 0; i < n; i++)
        total += squares ? (double)s[i] * (double)s[i] : (double)s[i];
    if (!(total > 0.0))
        return 0;
    /* Slack of n ulps of the total so exact ties survive rounding. */
    double cut = (1.0 - delta) * total - (double)n * DBL_EPSILON * total;
    double acc = 0.0;
    for (int k = 0; k < n; k++) {
        acc += squares ? (double)s[k] * (double)s[k] : (double)s[k];
        if (acc >= cut)
            return k + 1;
    }
    return n;
}

int
rs_probe_rank_srank(const float *s, int n, double delta)
{
    return cumulative_rank(s, n, delta, false);
}

int
rs_probe_rank_approx(const float *s, int n, double delta)
{
    return cumulative_rank(s, n, delta, true);
}

double
rs_probe_rank_effective(const float *s, int n)
{
    double total = 0.0;
    for (int i = 0; i < n; i++)
        total += (double)s[i];
    if (!(total > 0.0))
        return 0.0;
    double h = 0.0;
    for (int i = 0; i < n; i++) {
        double p = (double)s[i] / total;
        if (p > 0.0)
            h -= p * log(p);
    }
    return exp(h);
}

double
rs_probe_rank_stable(const float *s, int n)
{
    if (n < 1 || !(s[0] > 0.0f))
        return 0.0;
    double sq = 0.0;
    for (int i = 0; i < n; i++)
        sq += (double)s[i] * (double)s[i];
    return sq / ((double)s[0] * (double)s[0]);
}

int
rs_probe_rank_numerical(const float *s, int n, double tol)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        if ((double)s[i] > tol)
            k++;
    return k;
}

double
rs_probe_rank_default_tol(const float *s, int n, int rows, int cols)
{
    if (n < 1)
        return 0.0;
    return (double)s[0] * (double)(rows > cols ? rows : cols) *
           (double)FLT_EPSILON;
}

void
rs_probe_rank_init(struct rs_probe_rank *r)
{
    memset(r, 0, sizeof *r);
}

void
rs_probe_rank_fini(struct rs_probe_rank *r)
{
    free(r->s);
    memset(r, 0, sizeof *r);
}

int
rs_probe_rank_features(struct rs_probe_rank *r, const float *x, int rows,
                       int cols, bool centre, struct rs_error *err)
{
    r->n = 0;
    if (rows < 1 || cols < 1)
        return rs_error_set(err, RS_EINVAL,
                            "%d x %d feature matrix (both sizes must "
                            "be >= 1)",
                            rows, cols);
    int n = rows < cols ? rows : cols;
    if (n > r->cap) {
        r->s = rs_xreallocarray(r->s, (size_t)n, sizeof *r->s);
        r->cap = n;
    }
    int rc = rs_linalg_svd_values(x, rows, cols, centre, r->s, err);
    if (rc != RS_OK)
        return rc;
    r->rows = rows;
    r->cols = cols;
    r->centred = centre;
    r->n = n;
    double sum = 0.0;
    for (int i = 0; i < n; i++)
        sum += (double)r->s[i];
    r->s_max = (double)r->s[0];
    r->s_sum = sum;
    r->srank = rs_probe_rank_srank(r->s, n, RS_PROBE_RANK_DELTA);
    r->approx = rs_probe_rank_approx(r->s, n, RS_PROBE_RANK_DELTA);
    r->effective = rs_probe_rank_effective(r->s, n);
    r->stable = rs_probe_rank_stable(r->s, n);
    r->tol = rs_probe_rank_default_tol(r->s, n, rows, cols);
    r->numerical = rs_probe_rank_numerical(r->s, n, r->tol);
    return RS_OK;
}

/* Rows and columns of t as a (rows, C) matrix, range-checked. */
static int
tensor_dims(const rs_tensor *t, int *rows, int *cols, struct rs_error *err)
{
    if (t == NULL)
        return rs_error_set(err, RS_EINVAL, "no tensor");
    size_t r = rs_tensor_rows(t);
    if (r > (size_t)INT_MAX)
        return rs_error_set(err, RS_EINVAL, "%zu rows is too many", r);
    *rows = (int)r;
    *cols = rs_tensor_cols(t);
    return RS_OK;
}

int
rs_probe_rank_tensor(struct rs_probe_rank *r, const rs_tensor *t, bool centre,
                     struct rs_error *err)
{
    int rows = 0, cols = 0;
    int rc = tensor_dims(t, &rows, &cols, err);
    if (rc != RS_OK)
        return rc;
    return rs_probe_rank_features(r, t->data, rows, cols, centre, err);
}

int
rs_probe_rank_cov(const float *x, int rows, int cols, int *rank, double *eig,
                  struct rs_error *err)
{
    *rank = 0;
    if (rows < 2 || cols < 1)
        return rs_error_set(err, RS_EINVAL,
                            "covariance of a %d x %d matrix (needs >= 2 "
                            "rows and >= 1 column)",
                            rows, cols);
    size_t cc = (size_t)cols * (size_t)cols;
    double *cov = malloc(cc * sizeof *cov);
    double *w = malloc((size_t)cols * sizeof *w);
    int rc = RS_OK;
    if (cov == NULL || w == NULL) {
        rc = rs_error_set(err, RS_ENOMEM,
                          "cannot allocate a %d x %d covariance", cols,
                          cols);
        goto out;
    }
    rc = rs_linalg_cov_double(x, rows, cols, cov, err);
    if (rc != RS_OK)
        goto out;
    rc = rs_linalg_sym_eigvals_double(cov, cols, w, err);
    if (rc != RS_OK)
        goto out;
    /* matrix_rank uses singular values, i.e. |lambda| for a symmetric
     * matrix; tiny negative eigenvalues of a PSD covariance count by size. */
    double amax = 0.0;
    for (int i = 0; i < cols; i++)
        if (fabs(w[i]) > amax)
            amax = fabs(w[i]);
    double tol = amax * (double)cols * DBL_EPSILON;
    int k = 0;
    for (int i = 0; i < cols; i++)
        if (fabs(w[i]) > tol)
            k++;
    *rank = k;
    if (eig != NULL)
        memcpy(eig, w, (size_t)cols * sizeof *w);
out:
    free(w);
    free(cov);
    return rc;
}
