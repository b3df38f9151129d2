/* repscope - MIT licence, see COPYING.
 *
 * linalg.c: singular values, symmetric eigenvalues and covariance (see
 * linalg.h). The only LAPACKE user in the tree.
 *
 * SVD path: one pass for the column means when centring (double
 * accumulators), then one copy pass that writes the tall column-major
 * matrix LAPACK wants (a cache-blocked transpose when rows >= cols, a
 * straight copy of the row-major data, which *is* its column-major
 * transpose, otherwise), subtracting the means and catching non-finite
 * values on the way. Workspace comes from the heap per call; a workspace
 * query fixes its size. Reentrant: any thread.
 */
#include "config.h"

#include "core/linalg.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>

/* Tile edge of the blocked transpose (floats): 32x32 tiles are 4 KiB. */
#define TILE 32

static int
check_dims(const char *fn, int rows, int cols, struct rs_error *err)
{
    if (rows < 1 || cols < 1)
        return rs_error_set(err, RS_EINVAL,
                            "%s: %d x %d matrix (both sizes must be >= 1)", fn,
                            rows, cols);
    if ((size_t)rows * (size_t)cols > (size_t)INT_MAX)
        return rs_error_set(err, RS_EINVAL,
                            "%s: %d x %d matrix is too large for LAPACK", fn,
                            rows, cols);
    return RS_OK;
}

/* Report the first non-finite element of x (rows, cols). */
static int
nonfinite_error(const char *fn, const float *x, int rows, int cols,
                struct rs_error *err)
{
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) {
            float v = x[(size_t)i * (size_t)cols + (size_t)j];
            if (!isfinite(v))
                return rs_error_set(err, RS_ENONFINITE,
                                    "%s: element (%d, %d) is %g", fn, i, j,
                                    (double)v);
        }
    return rs_error_set(err, RS_ENONFINITE, "%s: non-finite input", fn);
}

/* Column means of x (rows, cols) in double into mean (cols). */
static void
column_means(const float *x, int rows, int cols, double *mean)
{
    for (int j = 0; j < cols; j++)
        mean[j] = 0.0;
    for (int i = 0; i < rows; i++) {
        const float *row = x + (size_t)i * (size_t)cols;
        for (int j = 0; j < cols; j++)
            mean[j] += (double)row[j];
    }
    for (int j = 0; j < cols; j++)
        mean[j] /= rows;
}

/* a (rows x cols, column-major, lda = rows) = x - mean (mean may be NULL).
 * Returns a value that is NaN iff some x element is not finite. */
static float
copy_transpose(float *a, const float *x, int rows, int cols, const float *mean)
{
    float chk = 0.0f;
    for (int i0 = 0; i0 < rows; i0 += TILE) {
        int i1 = i0 + TILE < rows ? i0 + TILE : rows;
        for (int j0 = 0; j0 < cols; j0 += TILE) {
            int j1 = j0 + TILE < cols ? j0 + TILE : cols;
            for (int j = j0; j < j1; j++) {
                float mj = mean != NULL ? mean[j] : 0.0f;
                float *dst = a + (size_t)j * (size_t)rows;
                for (int i = i0; i < i1; i++) {
                    float v = x[(size_t)i * (size_t)cols + (size_t)j];
                    chk += v * 0.0f; /* inf * 0 and NaN * 0 are NaN */
                    dst[i] = v - mj;
                }
            }
        }
    }
    return chk;
}

/* a (rows, cols) row-major = x - mean (mean may be NULL); see above. */
static float
copy_straight(float *a, const float *x, int rows, int cols, const float *mean)
{
    float chk = 0.0f;
    for (int i = 0; i < rows; i++) {
        const float *src = x + (size_t)i * (size_t)cols;
        float *dst = a + (size_t)i * (size_t)cols;
        for (int j = 0; j < cols; j++) {
            chk += src[j] * 0.0f;
            dst[j] = src[j] - (mean != NULL ? mean[j] : 0.0f);
        }
    }
    return chk;
}

int
rs_linalg_svd_values(const float *x, int rows, int cols, bool centre_columns,
                     float *s_out, struct rs_error *err)
{
    static const char fn[] = "svd";
    int rc = check_dims(fn, rows, cols, err);
    if (rc != RS_OK)
        return rc;
    /* LAPACK sees a tall m x n column-major matrix, m >= n. */
    bool tall = rows >= cols;
    lapack_int m = tall ? rows : cols, n = tall ? cols : rows;
    size_t numel = (size_t)rows * (size_t)cols;
    float *a = NULL, *work = NULL, *fmean = NULL;
    lapack_int *iwork = NULL;
    a = rs_aligned_alloc(numel * sizeof *a);
    iwork = malloc(8 * (size_t)n * sizeof *iwork);
    if (a == NULL || iwork == NULL) {
        rc = rs_error_set(err, RS_ENOMEM, "%s: cannot allocate a %d x %d copy",
                          fn, rows, cols);
        goto out;
    }
    if (centre_columns) {
        double *mean = rs_xmalloc((size_t)cols * sizeof *mean);
        column_means(x, rows, cols, mean);
        fmean = rs_xmalloc((size_t)cols * sizeof *fmean);
        for (int j = 0; j < cols; j++)
            fmean[j] = (float)mean[j];
        free(mean);
    }
    float chk = tall ? copy_transpose(a, x, rows, cols, fmean)
                     : copy_straight(a, x, rows, cols, fmean);
    if (isnan(chk)) {
        rc = nonfinite_error(fn, x, rows, cols, err);
        goto out;
    }
    float du = 0.0f, dvt = 0.0f, wq = 0.0f;
    lapack_int info =
        LAPACKE_sgesdd_work(LAPACK_COL_MAJOR, 'N', m, n, a, m, s_out, &du, 1,
                            &dvt, 1, &wq, -1, iwork);
    RS_ASSERT(info == 0);
    lapack_int lwork = (lapack_int)wq + 1;
    work = malloc((size_t)lwork * sizeof *work);
    if (work == NULL) {
        rc = rs_error_set(err, RS_ENOMEM,
                          "%s: cannot allocate %ld floats of workspace", fn,
                          (long)lwork);
        goto out;
    }
    info = LAPACKE_sgesdd_work(LAPACK_COL_MAJOR, 'N', m, n, a, m, s_out, &du, 1,
                               &dvt, 1, work, lwork, iwork);
    RS_ASSERT(info >= 0);
    if (info > 0)
        rc = rs_error_set(err, RS_ELAPACK,
                          "%s: sgesdd did not converge on a %d x %d matrix "
                          "(info %ld)",
                          fn, rows, cols, (long)info);
out:
    free(work);
    free(fmean);
    free(iwork);
    rs_aligned_free(a);
    return rc;
}

int
rs_linalg_sym_eigvals_double(const double *a, int n, double *w_out,
                             struct rs_error *err)
{
    static const char fn[] = "eigvals";
    int rc = check_dims(fn, n, n, err);
    if (rc != RS_OK)
        return rc;
    size_t numel = (size_t)n * (size_t)n;
    double *c = NULL, *work = NULL;
    lapack_int *iwork = NULL;
    /* Row-major lower triangle == column-major upper triangle. */
    for (int i = 0; i < n; i++)
        for (int j = 0; j <= i; j++)
            if (!isfinite(a[(size_t)i * (size_t)n + (size_t)j])) {
                return rs_error_set(err, RS_ENONFINITE,
                                    "%s: element (%d, %d) is %g", fn, i, j,
                                    a[(size_t)i * (size_t)n + (size_t)j]);
            }
    c = rs_aligned_alloc(numel * sizeof *c);
    if (c == NULL) {
        rc = rs_error_set(err, RS_ENOMEM, "%s: cannot allocate a %d x %d copy",
                          fn, n, n);
        goto out;
    }
    memcpy(c, a, numel * sizeof *c);
    double wq = 0.0;
    lapack_int iwq = 0;
    lapack_int info = LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, 'N', 'U', n, c, n,
                                          w_out, &wq, -1, &iwq, -1);
    RS_ASSERT(info == 0);
    lapack_int lwork = (lapack_int)wq + 1, liwork = iwq > 1 ? iwq : 1;
    work = malloc((size_t)lwork * sizeof *work);
    iwork = malloc((size_t)liwork * sizeof *iwork);
    if (work == NULL || iwork == NULL) {
        rc = rs_error_set(err, RS_ENOMEM,
                          "%s: cannot allocate workspace for n = %d", fn, n);
        goto out;
    }
    info = LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, 'N', 'U', n, c, n, w_out, work,
                               lwork, iwork, liwork);
    RS_ASSERT(info >= 0);
    if (info > 0) {
        rc = rs_error_set(err, RS_ELAPACK,
                          "%s: dsyevd did not converge for n = %d (info %ld)",
                          fn, n, (long)info);
        goto out;
    }
    /* LAPACK returns ascending order. */
    for (int i = 0, j = n - 1; i < j; i++, j--) {
        double t = w_out[i];
        w_out[i] = w_out[j];
        w_out[j] = t;
    }
out:
    free(iwork);
    free(work);
    rs_aligned_free(c);
    return rc;
}

int
rs_linalg_cov_double(const float *x, int rows, int cols, double *cov_out,
                     struct rs_error *err)
{
    static const char fn[] = "cov";
    int rc = check_dims(fn, rows, cols, err);
    if (rc != RS_OK)
        return rc;
    if (rows < 2)
        return rs_error_set(err, RS_EINVAL, "%s: %d sample (rows must be >= 2)",
                            fn, rows);
    size_t numel = (size_t)rows * (size_t)cols;
    double *xc = rs_aligned_alloc(numel * sizeof *xc);
    if (xc == NULL)
        return rs_error_set(err, RS_ENOMEM,
                            "%s: cannot allocate a %d x %d double copy", fn,
                            rows, cols);
    double *mean = rs_xmalloc((size_t)cols * sizeof *mean);
    column_means(x, rows, cols, mean);
    double chk = 0.0;
    for (int i = 0; i < rows; i++) {
        const float *src = x + (size_t)i * (size_t)cols;
        double *dst = xc + (size_t)i * (size_t)cols;
        for (int j = 0; j < cols; j++) {
            chk += (double)src[j] * 0.0;
            dst[j] = (double)src[j] - mean[j];
        }
    }
    if (isnan(chk)) {
        rc = nonfinite_error(fn, x, rows, cols, err);
        goto out;
    }
    /* cov = xc^T xc / (rows - 1): lower triangle, then mirrored. */
    cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, cols, rows,
                1.0 / (double)(rows - 1), xc, cols, 0.0, cov_out, cols);
    for (int i = 0; i < cols; i++)
        for (int j = i + 1; j < cols; j++)
            cov_out[(size_t)i * (size_t)cols + (size_t)j] =
                cov_out[(size_t)j * (size_t)cols + (size_t)i];
out:
    free(mean);
    rs_aligned_free(xc);
    return rc;
}

int
rs_linalg_solve_spd_double(double *a, int n, double *b, int nrhs,
                           int *bad_col, struct rs_error *err)
{
    static const char fn[] = "solve_spd";
    if (bad_col != NULL)
        *bad_col = -1;
    if (n < 1 || nrhs < 1)
        return rs_error_set(err, RS_EINVAL, "%s: n = %d, nrhs = %d (must be >= 1)",
                            fn, n, nrhs);
    /* Row-major A is its own transpose (symmetric): hand LAPACK the
     * column-major upper triangle, which is the row-major lower one. */
    lapack_int info = LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', n, nrhs, a, n, b,
                                    nrhs);
    RS_ASSERT(info >= 0);
    if (info > 0 && bad_col != NULL)
        *bad_col = (int)info - 1;
    if (info > 0)
        return rs_error_set(err, RS_ELAPACK,
                            "%s: the matrix is not positive definite (the "
                            "leading minor of order %ld is not)",
                            fn, (long)info);
    return RS_OK;
}
