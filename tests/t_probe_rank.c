/* repscope - MIT licence, see COPYING.
 *
 * t_probe_rank.c: singular values (rs_linalg_svd_values) against an
 * independent double-precision Jacobi eigen-solver on X^T X; rank metrics
 * on spectra with hand-computed values; matrices of known rank (products
 * of random factors); column centring; the deep-grokking covariance rank;
 * errors for bad sizes and non-finite input.
 */
#include "config.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/linalg.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "probe/rank.h"
#include "tests/tap.h"

/* Eigenvalues of the symmetric n x n matrix a (destroyed) by cyclic
 * Jacobi rotations in double, sorted descending into w. */
static void
jacobi_eigvals(double *a, int n, double *w)
{
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0.0;
        for (int p = 0; p < n; p++)
            for (int q = p + 1; q < n; q++)
                off += a[p * n + q] * a[p * n + q];
        if (off < 1e-30)
            break;
        for (int p = 0; p < n; p++)
            for (int q = p + 1; q < n; q++) {
                double apq = a[p * n + q];
                if (fabs(apq) < 1e-300)
                    continue;
                double theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                double t = (theta >= 0 ? 1.0 : -1.0) /
                           (fabs(theta) + sqrt(theta * theta + 1.0));
                double c = 1.0 / sqrt(t * t + 1.0), s = t * c;
                for (int k = 0; k < n; k++) { /* columns p, q */
                    double akp = a[k * n + p], akq = a[k * n + q];
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for (int k = 0; k < n; k++) { /* rows p, q */
                    double apk = a[p * n + k], aqk = a[q * n + k];
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
            }
    }
    for (int i = 0; i < n; i++)
        w[i] = a[i * n + i];
    for (int i = 0; i < n; i++) /* insertion sort, descending */
        for (int j = i; j > 0 && w[j] > w[j - 1]; j--) {
            double t = w[j];
            w[j] = w[j - 1];
            w[j - 1] = t;
        }
}

/* Singular values of x (rows, cols) via Jacobi on the smaller Gram matrix
 * (centred first if asked), in double, descending, into s. */
static void
ref_svd_values(const float *x, int rows, int cols, bool centre, double *s)
{
    double *xc = malloc((size_t)rows * cols * sizeof *xc);
    for (int j = 0; j < cols; j++) {
        double m = 0.0;
        for (int i = 0; i < rows; i++)
            m += (double)x[i * cols + j];
        m /= rows;
        for (int i = 0; i < rows; i++)
            xc[i * cols + j] = (double)x[i * cols + j] - (centre ? m : 0.0);
    }
    int n = rows < cols ? rows : cols;
    double *g = malloc((size_t)n * n * sizeof *g);
    for (int p = 0; p < n; p++)
        for (int q = 0; q < n; q++) {
            double acc = 0.0;
            if (rows >= cols) /* X^T X */
                for (int i = 0; i < rows; i++)
                    acc += xc[i * cols + p] * xc[i * cols + q];
            else /* X X^T */
                for (int j = 0; j < cols; j++)
                    acc += xc[p * cols + j] * xc[q * cols + j];
            g[p * n + q] = acc;
        }
    jacobi_eigvals(g, n, s);
    for (int i = 0; i < n; i++)
        s[i] = sqrt(s[i] > 0.0 ? s[i] : 0.0);
    free(g);
    free(xc);
}

/* One assertion that a call returned RS_OK, showing its message if not. */
static void
status_ok(int rc, const struct rs_error *err, const char *what)
{
    tap_ok(rc == RS_OK, "%s: status ok%s%s", what, rc != RS_OK ? ": " : "",
           rc != RS_OK ? err->msg : "");
}

static float *
random_matrix(struct rs_rng *r, int rows, int cols)
{
    float *x = malloc((size_t)rows * cols * sizeof *x);
    for (int i = 0; i < rows * cols; i++)
        x[i] = rs_rng_normal(r);
    return x;
}

/* a (m, k) @ b (k, n) in double, rounded to float. */
static float *
product(const float *a, const float *b, int m, int k, int n)
{
    float *c = malloc((size_t)m * n * sizeof *c);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double acc = 0.0;
            for (int t = 0; t < k; t++)
                acc += (double)a[i * k + t] * (double)b[t * n + j];
            c[i * n + j] = (float)acc;
        }
    return c;
}

static void
test_svd_vs_jacobi(struct rs_rng *r)
{
    static const int dims[][2] = {{7, 5}, {5, 7}, {12, 12}, {1, 6}, {6, 1}};
    for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++) {
        int rows = dims[d][0], cols = dims[d][1];
        int n = rows < cols ? rows : cols;
        float *x = random_matrix(r, rows, cols);
        for (int c = 0; c < 2; c++) {
            bool centre = c == 1;
            if (centre && rows == 1)
                continue;
            float s[12];
            double ref[12];
            float want[12];
            struct rs_error err = {0};
            int rc = rs_linalg_svd_values(x, rows, cols, centre, s, &err);
            status_ok(rc, &err, "svd");
            ref_svd_values(x, rows, cols, centre, ref);
            for (int i = 0; i < n; i++)
                want[i] = (float)ref[i];
            tap_is_floats(s, want, (size_t)n, 2e-5 * ref[0], 0.0,
                          "svd %dx%d%s: values match Jacobi on the Gram "
                          "matrix",
                          rows, cols, centre ? " centred" : "");
            bool sorted = true;
            for (int i = 1; i < n; i++)
                sorted = sorted && s[i] <= s[i - 1] && s[i] >= 0.0f;
            tap_ok(sorted, "svd %dx%d: descending and >= 0", rows, cols);
        }
        free(x);
    }
}

static void
test_metrics_by_hand(void)
{
    /* A 6x4 matrix with singular values 4, 3, 2, 1 planted off the
     * diagonal (rows permuted, one sign flipped). */
    float x[6 * 4] = {0};
    x[1 * 4 + 2] = 2.0f;
    x[3 * 4 + 0] = -4.0f;
    x[4 * 4 + 3] = 1.0f;
    x[5 * 4 + 1] = 3.0f;
    struct rs_probe_rank r;
    rs_probe_rank_init(&r);
    struct rs_error err = {0};
    int rc = rs_probe_rank_features(&r, x, 6, 4, false, &err);
    status_ok(rc, &err, "planted spectrum");
    const float want[4] = {4, 3, 2, 1};
    tap_is_floats(r.s, want, 4, 1e-6, 0.0, "planted spectrum: 4 3 2 1");
    tap_is_int(r.n, 4, "planted: n = min(rows, cols)");
    tap_is_int(r.srank, 4, "planted: srank_0.01 = 4 (9.9 of 10)");
    tap_is_int(rs_probe_rank_srank(want, 4, 0.1), 3,
               "srank_0.1 of 4 3 2 1 = 3 (9 of 10, a tie)");
    tap_is_int(rs_probe_rank_srank(want, 4, 0.35), 2,
               "srank_0.35 of 4 3 2 1 = 2 (7 >= 6.5)");
    tap_is_int(rs_probe_rank_srank(want, 4, 0.0), 4, "srank_0 = 4");
    /* (1 - 0.7) * 10 is 3.0000000000000004 in double: an exact tie at
     * s_1 = 3 that a naive comparison misses. */
    const float tie[4] = {3, 3, 2, 2};
    tap_is_int(rs_probe_rank_srank(tie, 4, 0.7), 1,
               "srank_0.7 of 3 3 2 2 = 1 (tie despite rounding)");
    tap_is_int(r.approx, 4, "planted: PCA rank_0.01 = 4 (29.7 of 30)");
    tap_is_int(rs_probe_rank_approx(want, 4, 0.1), 3,
               "PCA rank_0.1 = 3 (29 >= 27)");
    tap_is_int(rs_probe_rank_approx(want, 4, 0.2), 2,
               "PCA rank_0.2 = 2 (25 >= 24)");
    /* exp(-(.4 ln .4 + .3 ln .3 + .2 ln .2 + .1 ln .1)) */
    tap_is_float(r.effective, 3.5961154666243216, 1e-6, 0.0,
                 "planted: effective rank 3.59612");
    tap_is_float(r.stable, 30.0 / 16.0, 1e-6, 0.0,
                 "planted: stable rank 30/16");
    tap_is_float(r.s_max, 4.0, 1e-6, 0.0, "planted: s_max");
    tap_is_float(r.s_sum, 10.0, 1e-5, 0.0, "planted: s_sum");
    tap_is_float(r.tol, 4.0 * 6 * (double)FLT_EPSILON, 1e-12, 1e-5,
                 "planted: default tol = s_max * 6 * FLT_EPSILON");
    tap_is_int(r.numerical, 4, "planted: numerical rank 4");
    rs_probe_rank_fini(&r);

    const float flat[5] = {2, 2, 2, 2, 2};
    tap_is_float(rs_probe_rank_effective(flat, 5), 5.0, 1e-9, 0.0,
                 "equal spectrum: effective rank = n");
    tap_is_float(rs_probe_rank_stable(flat, 5), 5.0, 1e-9, 0.0,
                 "equal spectrum: stable rank = n");
    const float one[3] = {7, 0, 0};
    tap_is_float(rs_probe_rank_effective(one, 3), 1.0, 1e-12, 0.0,
                 "one nonzero value: effective rank 1 (0 ln 0 = 0)");
    tap_is_int(rs_probe_rank_srank(one, 3, 0.0), 1,
               "one nonzero value: srank_0 = 1");
    const float tail[4] = {1.0f, 0.5f, 1e-3f, 1e-9f};
    tap_is_int(rs_probe_rank_numerical(tail, 4, 1e-6), 3,
               "numerical rank counts s > tol");
    tap_is_int(rs_probe_rank_numerical(tail, 4, 0.5), 1,
               "numerical rank: s == tol does not count");
    const float zero[3] = {0, 0, 0};
    tap_ok(rs_probe_rank_srank(zero, 3, 0.01) == 0 &&
               rs_probe_rank_approx(zero, 3, 0.01) == 0 &&
               rs_probe_rank_effective(zero, 3) == 0.0 &&
               rs_probe_rank_stable(zero, 3) == 0.0 &&
               rs_probe_rank_srank(zero, 0, 0.01) == 0 &&
               rs_probe_rank_default_tol(zero, 0, 3, 3) == 0.0,
           "zero or empty spectrum: every metric is 0");
}

static void
test_known_rank(struct rs_rng *rng)
{
    static const int ranks[] = {1, 5, 17};
    struct rs_probe_rank r;
    rs_probe_rank_init(&r);
    for (size_t k = 0; k < sizeof ranks / sizeof ranks[0]; k++) {
        int rk = ranks[k];
        float *a = random_matrix(rng, 200, rk);
        float *b = random_matrix(rng, rk, 40);
        float *x = product(a, b, 200, rk, 40);
        struct rs_error err = {0};
        int rc = rs_probe_rank_features(&r, x, 200, 40, false, &err);
        status_ok(rc, &err, "rank-r product");
        tap_is_int(r.numerical, rk, "200x40 product of rank %d: numerical", rk);
        tap_ok(r.srank >= 1 && r.srank <= rk,
               "rank %d product: srank %d in 1..%d", rk, r.srank, rk);
        tap_ok(r.effective >= 1.0 && r.effective <= rk + 1e-3,
               "rank %d product: effective %.3f in [1, %d]", rk, r.effective,
               rk);
        tap_ok(r.stable >= 1.0 && r.stable <= rk + 1e-3,
               "rank %d product: stable %.3f in [1, %d]", rk, r.stable, rk);
        if (rk < 40)
            tap_ok(r.s[rk] < 1e-5f * r.s[0] && r.s[rk - 1] > 1e-2f * r.s[0],
                   "rank %d product: gap after s_%d (%g vs %g)", rk, rk,
                   (double)r.s[rk], (double)r.s[0]);
        /* The transpose has the same spectrum (wide path). */
        float *xt = malloc(200 * 40 * sizeof *xt);
        for (int i = 0; i < 200; i++)
            for (int j = 0; j < 40; j++)
                xt[j * 200 + i] = x[i * 40 + j];
        float s_tall[40];
        memcpy(s_tall, r.s, sizeof s_tall);
        rc = rs_probe_rank_features(&r, xt, 40, 200, false, &err);
        tap_ok(rc == RS_OK && r.numerical == rk,
               "rank %d: the 40x200 transpose has numerical rank %d", rk,
               r.numerical);
        tap_is_floats(r.s, s_tall, 40, 1e-4 * (double)s_tall[0], 0.0,
                      "rank %d: transpose has the same singular values", rk);
        int crank = -1;
        rc = rs_probe_rank_cov(x, 200, 40, &crank, NULL, &err);
        tap_ok(rc == RS_OK && crank == rk,
               "rank %d product: covariance rank %d", rk, crank);
        free(xt);
        free(x);
        free(b);
        free(a);
    }
    rs_probe_rank_fini(&r);
}

static void
test_centring(struct rs_rng *rng)
{
    /* Rank 3 plus a per-column constant offset: rank 4 raw, 3 centred. */
    int rows = 60, cols = 10;
    float *a = random_matrix(rng, rows, 3);
    float *b = random_matrix(rng, 3, cols);
    float *x = product(a, b, rows, 3, cols);
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++)
            x[i * cols + j] += 5.0f + (float)j;
    struct rs_probe_rank r;
    rs_probe_rank_init(&r);
    struct rs_error err = {0};
    int rc = rs_probe_rank_features(&r, x, rows, cols, false, &err);
    tap_ok(rc == RS_OK && r.numerical == 4,
           "offset rank-3 matrix: numerical rank %d uncentred (want 4)",
           r.numerical);
    tap_ok(!r.centred, "uncentred flag");
    rc = rs_probe_rank_features(&r, x, rows, cols, true, &err);
    tap_ok(rc == RS_OK && r.numerical == 3 && r.centred,
           "offset rank-3 matrix: numerical rank %d centred (want 3)",
           r.numerical);
    double ref[10];
    ref_svd_values(x, rows, cols, true, ref);
    float want[10];
    for (int i = 0; i < cols; i++)
        want[i] = (float)ref[i];
    tap_is_floats(r.s, want, 3, 1e-4 * ref[0], 0.0,
                  "centred spectrum matches an explicitly centred copy");

    /* A matrix whose rows are all equal centres to exactly zero. */
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++)
            x[i * cols + j] = 0.25f * (float)j - 1.0f;
    rc = rs_probe_rank_features(&r, x, rows, cols, true, &err);
    tap_ok(rc == RS_OK && r.s_max == 0.0 && r.srank == 0 && r.numerical == 0 &&
               r.effective == 0.0 && r.stable == 0.0,
           "constant columns centred: zero spectrum, all ranks 0");
    rc = rs_probe_rank_features(&r, x, rows, cols, false, &err);
    tap_ok(rc == RS_OK && r.numerical == 1 && r.srank == 1,
           "constant columns uncentred: rank 1 (numerical %d, srank %d)",
           r.numerical, r.srank);
    rs_probe_rank_fini(&r);
    free(x);
    free(b);
    free(a);
}

static void
test_cov_rank(struct rs_rng *rng)
{
    /* Pre-activations of a layer that sees a 6-dim input: H = Z W^T + b,
     * (300, 32); the covariance (bias centred away) has rank 6. */
    int n = 300, d = 32, k = 6;
    float *z = random_matrix(rng, n, k);
    float *wt = random_matrix(rng, k, d);
    float *h = product(z, wt, n, k, d);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++)
            h[i * d + j] += 0.1f * (float)(j % 7) - 3.0f;
    int rank = -1;
    double eig[32];
    struct rs_error err = {0};
    int rc = rs_probe_rank_cov(h, n, d, &rank, eig, &err);
    status_ok(rc, &err, "cov rank");
    tap_is_int(rank, k, "cov rank of a rank-6 pre-activation layer");
    /* Independent covariance and eigenvalues. */
    double *c = malloc((size_t)d * d * sizeof *c), ref[32];
    double mean[32];
    for (int j = 0; j < d; j++) {
        mean[j] = 0.0;
        for (int i = 0; i < n; i++)
            mean[j] += (double)h[i * d + j];
        mean[j] /= n;
    }
    for (int p = 0; p < d; p++)
        for (int q = 0; q < d; q++) {
            double acc = 0.0;
            for (int i = 0; i < n; i++)
                acc += ((double)h[i * d + p] - mean[p]) *
                       ((double)h[i * d + q] - mean[q]);
            c[p * d + q] = acc / (n - 1);
        }
    double cov[32 * 32];
    rc = rs_linalg_cov_double(h, n, d, cov, &err);
    double worst = 0.0;
    for (int i = 0; i < d * d; i++)
        worst = fmax(worst, fabs(cov[i] - c[i]));
    tap_ok(rc == RS_OK && worst < 1e-9,
           "cov_double matches a naive covariance (max err %g)", worst);
    jacobi_eigvals(c, d, ref);
    worst = 0.0;
    for (int i = 0; i < d; i++)
        worst = fmax(worst, fabs(eig[i] - ref[i]));
    tap_ok(worst < 1e-9 * ref[0], "cov eigenvalues match Jacobi (max err %g)",
           worst);
    double w[32];
    rc = rs_linalg_sym_eigvals_double(cov, d, w, &err);
    tap_ok(rc == RS_OK && w[0] >= w[1] && w[1] >= w[d - 1],
           "sym_eigvals: descending");

    /* Full rank: random 100 x 20. */
    float *full = random_matrix(rng, 100, 20);
    rc = rs_probe_rank_cov(full, 100, 20, &rank, NULL, &err);
    tap_ok(rc == RS_OK && rank == 20, "cov rank of random 100x20: %d", rank);
    /* Fewer samples than units: rank <= rows - 1 after centring. */
    rc = rs_probe_rank_cov(full, 8, 20, &rank, NULL, &err);
    tap_ok(rc == RS_OK && rank == 7, "cov rank of 8 samples x 20: %d (7)",
           rank);
    free(full);
    free(c);
    free(h);
    free(wt);
    free(z);
}

static void
test_tensor_and_errors(struct rs_rng *rng)
{
    int shape[3] = {2, 5, 4};
    rs_tensor *t = rs_tensor_new(3, shape, NULL);
    for (size_t i = 0; i < t->numel; i++)
        t->data[i] = rs_rng_normal(rng);
    struct rs_probe_rank r;
    rs_probe_rank_init(&r);
    struct rs_error err = {0};
    int rc = rs_probe_rank_tensor(&r, t, false, &err);
    tap_ok(rc == RS_OK && r.rows == 10 && r.cols == 4 && r.n == 4,
           "tensor (2, 5, 4) probes as a 10 x 4 matrix");
    float s2[4];
    rc = rs_linalg_svd_values(t->data, 10, 4, false, s2, &err);
    tap_ok(rc == RS_OK && memcmp(s2, r.s, sizeof s2) == 0,
           "tensor probe = matrix probe");
    rs_tensor_release(t);

    float x[12] = {0};
    float s[4];
    rc = rs_probe_rank_features(&r, x, 0, 4, false, &err);
    tap_is_int(rc, RS_EINVAL, "rank: 0 rows is EINVAL");
    tap_ok(strstr(err.msg, "0 x 4") != NULL, "message names the size: %s",
           err.msg);
    tap_is_int(r.n, 0, "failed probe leaves n = 0");
    rc = rs_linalg_svd_values(x, 3, -1, false, s, &err);
    tap_is_int(rc, RS_EINVAL, "svd: negative cols is EINVAL");
    int rank = 0;
    rc = rs_probe_rank_cov(x, 1, 4, &rank, NULL, &err);
    tap_is_int(rc, RS_EINVAL, "cov rank: 1 row is EINVAL (%s)", err.msg);
    rc = rs_linalg_cov_double(x, 1, 4, NULL, &err);
    tap_is_int(rc, RS_EINVAL, "cov_double: 1 row is EINVAL");
    rc = rs_linalg_sym_eigvals_double(NULL, 0, NULL, &err);
    tap_is_int(rc, RS_EINVAL, "sym_eigvals: n = 0 is EINVAL");
    x[2 * 4 + 1] = NAN;
    rc = rs_probe_rank_features(&r, x, 3, 4, true, &err);
    tap_is_int(rc, RS_ENONFINITE, "NaN input is ENONFINITE");
    tap_ok(strstr(err.msg, "(2, 1)") != NULL, "message names the element: %s",
           err.msg);
    x[2 * 4 + 1] = INFINITY;
    rc = rs_linalg_svd_values(x, 4, 3, false, s, &err);
    tap_is_int(rc, RS_ENONFINITE, "Inf input is ENONFINITE (tall path)");
    rc = rs_probe_rank_cov(x, 3, 4, &rank, NULL, &err);
    tap_is_int(rc, RS_ENONFINITE, "cov rank: Inf input is ENONFINITE");
    double a[4] = {1, 0, NAN, 1};
    double w[2];
    rc = rs_linalg_sym_eigvals_double(a, 2, w, &err);
    tap_is_int(rc, RS_ENONFINITE, "sym_eigvals: NaN is ENONFINITE");
    rc = rs_probe_rank_features(&r, x, 3, 4, false, NULL);
    tap_is_int(rc, RS_ENONFINITE, "errors work with err = NULL");
    rs_probe_rank_fini(&r);
}

int
main(void)
{
    tap_plan_lazy();
    struct rs_rng rng;
    rs_rng_seed(&rng, 20240519);
    test_svd_vs_jacobi(&rng);
    test_metrics_by_hand();
    test_known_rank(&rng);
    test_centring(&rng);
    test_cov_rank(&rng);
    test_tensor_and_errors(&rng);
    return tap_done();
}
