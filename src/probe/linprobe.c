/* repscope - MIT licence, see COPYING.
 *
 * linprobe.c: the ridge linear probe of linprobe.h. Double precision from
 * the column statistics to the weights; float only for the scores (an
 * sgemm over the standardised rows, argmax only). The Gram matrix comes
 * from rs_linalg_cov_double (cblas_dsyrk, the O(N w^2) part) and is
 * solved by LAPACK's Cholesky (rs_linalg_solve_spd_double, dposv). Pure
 * over caller buffers; the scratch is allocated and freed
 * inside each call. Any thread.
 */
#include "config.h"

#include "probe/linprobe.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/blas.h"
#include "core/linalg.h"
#include "core/linalg.h"

/* Rows standardised and scored per sgemm (bounds the float scratch). */
#define CHUNK 1024

static int
check_labels(const char *split, const int *y, int n, int classes,
             struct rs_error *err)
{
    for (int i = 0; i < n; i++)
        if (y[i] < 0 || y[i] >= classes)
            return rs_error_set(err, RS_EINVAL,
                                "%s label y[%d] = %d is outside "
                                "[0, %d)",
                                split, i, y[i], classes);
    return RS_OK;
}

static int
check_finite(const char *split, const float *h, int n, int w,
             struct rs_error *err)
{
    size_t numel = (size_t)n * (size_t)w;
    float chk = 0.0f;
    for (size_t k = 0; k < numel; k++)
        chk += h[k] * 0.0f; /* NaN iff some element is NaN or Inf */
    if (!isnan(chk))
        return RS_OK;
    for (size_t k = 0; k < numel; k++)
        if (!isfinite(h[k]))
            return rs_error_set(err, RS_ENONFINITE,
                                "%s features: element (%d, %d) is "
                                "%g",
                                split, (int)(k / (size_t)w),
                                (int)(k % (size_t)w), (double)h[k]);
    return RS_OK;
}

static void *
scratch(size_t n, size_t size, const char *what, struct rs_error *err)
{
    void *p = n > 0 && n <= SIZE_MAX / size ? malloc(n * size) : NULL;
    if (p == NULL)
        rs_error_set(err, RS_ENOMEM,
                     "cannot allocate %s (%zu x %zu bytes)", what, n,
                     size);
    return p;
}

/* The standardised weights and what scoring needs, in float. */
struct model {
    int w, c;
    const double *mean, *inv; /* (w) */
    const float *wf;          /* (w, c) */
    const float *bf;          /* (c) */
    float *z;                 /* (CHUNK, w) scratch */
    float *scores;            /* (CHUNK, c) scratch */
};

/* Share of the rows of h (n, w) whose argmax class (first on a tie) is
 * their label. */
static double
accuracy(const struct model *m, const float *h, const int *y, int n)
{
    long hits = 0;
    for (int r0 = 0; r0 < n; r0 += CHUNK) {
        int rows = n - r0 < CHUNK ? n - r0 : CHUNK;
        for (int i = 0; i < rows; i++) {
            const float *src = h + (size_t)(r0 + i) * (size_t)m->w;
            float *dst = m->z + (size_t)i * (size_t)m->w;
            for (int j = 0; j < m->w; j++)
                dst[j] = (float)(((double)src[j] - m->mean[j]) * m->inv[j]);
        }
        rs_blas_sgemm_bias(false, false, rows, m->c, m->w, m->z, m->w, m->wf,
                           m->c, m->bf, m->scores, m->c);
        for (int i = 0; i < rows; i++) {
            const float *s = m->scores + (size_t)i * (size_t)m->c;
            int best = 0;
            for (int k = 1; k < m->c; k++)
                if (s[k] > s[best])
                    best = k;
            hits += best == y[r0 + i];
        }
    }
    return (double)hits / (double)n;
}

int
rs_probe_linprobe_fit(const float *h_train, const int *y_train, int n_train,
                      const float *h_test, const int *y_test, int n_test,
                      int width, int classes, double lambda,
                      struct rs_probe_linprobe *res, double *w_out,
                      struct rs_error *err)
{
    RS_ASSERT(h_train != NULL && y_train != NULL && h_test != NULL &&
              y_test != NULL && res != NULL);
    if (width < 1)
        return rs_error_set(err, RS_EINVAL, "width %d is not >= 1",
                            width);
    if (classes < 1)
        return rs_error_set(err, RS_EINVAL, "classes %d is not >= 1",
                            classes);
    if (n_train < 2)
        return rs_error_set(err, RS_EINVAL, "n_train %d is not >= 2",
                            n_train);
    if (n_test < 1)
        return rs_error_set(err, RS_EINVAL, "n_test %d is not >= 1",
                            n_test);
    if (!(lambda > 0.0) || !isfinite(lambda))
        return rs_error_set(err, RS_EINVAL,
                            "lambda %g is not a finite number > 0",
                            lambda);
    int nmax = n_train > n_test ? n_train : n_test;
    if ((size_t)nmax * (size_t)width > (size_t)INT_MAX ||
        (size_t)width * (size_t)width > (size_t)INT_MAX ||
        (size_t)width * (size_t)classes > (size_t)INT_MAX)
        return rs_error_set(err, RS_EINVAL,
                            "%d rows x %d features x %d classes is "
                            "too large",
                            nmax, width, classes);
    int rc;
    if ((rc = check_labels("train", y_train, n_train, classes, err)) != RS_OK ||
        (rc = check_labels("test", y_test, n_test, classes, err)) != RS_OK ||
        (rc = check_finite("train", h_train, n_train, width, err)) != RS_OK ||
        (rc = check_finite("test", h_test, n_test, width, err)) != RS_OK)
        return rc;

    size_t w = (size_t)width, c = (size_t)classes;
    int chunk = nmax < CHUNK ? nmax : CHUNK;
    double *stats = NULL, *g = NULL, *rhs = NULL;
    float *fbuf = NULL;
    rc = RS_ENOMEM;
    /* stats: mean (w), inv (w), count (c); fbuf: wf, bf, z, scores */
    if ((stats = scratch(2 * w + c, sizeof *stats, "column statistics", err)) ==
            NULL ||
        (g = scratch(w * w, sizeof *g, "the Gram matrix", err)) == NULL ||
        (rhs = scratch(w * c, sizeof *rhs, "the right-hand side", err)) ==
            NULL ||
        (fbuf = scratch(w * c + c + (size_t)chunk * (w + c), sizeof *fbuf,
                        "the scoring buffers", err)) == NULL)
        goto out;
    double *mean = stats, *inv = stats + w, *count = stats + 2 * w;

    /* column means, class counts and per-class sums of h (into rhs) */
    memset(stats, 0, (2 * w + c) * sizeof *stats);
    memset(rhs, 0, w * c * sizeof *rhs);
    for (int i = 0; i < n_train; i++) {
        const float *row = h_train + (size_t)i * w;
        size_t y = (size_t)y_train[i];
        count[y] += 1.0;
        for (size_t j = 0; j < w; j++) {
            mean[j] += (double)row[j];
            rhs[j * c + y] += (double)row[j];
        }
    }
    for (size_t j = 0; j < w; j++)
        mean[j] /= (double)n_train;

    /* Gram of the standardised columns: (N - 1) cov_ij / (std_i std_j) */
    struct rs_error sub = {0};
    if ((rc = rs_linalg_cov_double(h_train, n_train, width, g, &sub)) !=
        RS_OK) {
        rs_error_set(err, rc, "train features: %s", sub.msg);
        goto out;
    }
    int constant = 0;
    for (size_t j = 0; j < w; j++) {
        double sd = sqrt(g[j * w + j]);
        bool spread = sd > 0.0 && sd > (double)FLT_EPSILON * fabs(mean[j]);
        inv[j] = spread ? 1.0 / sd : 0.0;
        constant += !spread;
    }
    for (size_t i = 0; i < w; i++) {
        for (size_t j = 0; j < w; j++)
            g[i * w + j] *= (double)(n_train - 1) * inv[i] * inv[j];
        g[i * w + i] += lambda;
    }
    /* Z^T Y: sum over class k of z_j = inv_j (S_jk - n_k mean_j) */
    for (size_t j = 0; j < w; j++)
        for (size_t k = 0; k < c; k++)
            rhs[j * c + k] = inv[j] * (rhs[j * c + k] - count[k] * mean[j]);

    /* LAPACK's Cholesky solve (dposv) */
    int bad = -1;
    struct rs_error lerr = {0};
    if (rs_linalg_solve_spd_double(g, width, rhs, classes, &bad, &lerr) !=
        RS_OK) {
        rc = rs_error_set(err, RS_EINVAL,
                          "the Gram matrix plus lambda %g is not "
                          "positive definite at column %d (raise lambda)",
                          lambda, bad);
        goto out;
    }

    float *wf = fbuf, *bf = fbuf + w * c, *z = bf + c;
    for (size_t k = 0; k < w * c; k++)
        wf[k] = (float)rhs[k];
    /* the bias decouples: (N + lambda) b_k = n_k */
    for (size_t k = 0; k < c; k++)
        bf[k] = (float)(count[k] / ((double)n_train + lambda));
    if (w_out != NULL) {
        memcpy(w_out, rhs, w * c * sizeof *w_out);
        for (size_t k = 0; k < c; k++)
            w_out[w * c + k] = count[k] / ((double)n_train + lambda);
    }
    struct model m = {.w = width,
                      .c = classes,
                      .mean = mean,
                      .inv = inv,
                      .wf = wf,
                      .bf = bf,
                      .z = z,
                      .scores = z + (size_t)chunk * w};
    res->width = width;
    res->classes = classes;
    res->n_train = n_train;
    res->n_test = n_test;
    res->constant = constant;
    res->train_acc = accuracy(&m, h_train, y_train, n_train);
    res->test_acc = accuracy(&m, h_test, y_test, n_test);
    rc = RS_OK;
out:
    free(fbuf);
    free(rhs);
    free(g);
    free(stats);
    return rc;
}
