/* repscope - MIT licence, see COPYING.
 *
 * t_probe_linprobe.c: the ridge linear probe against a naive solve of the
 * full augmented normal equations written here (explicit [Z 1], bias row
 * in the system, Gauss-Jordan elimination with partial pivoting, scores
 * in double), on tiny cases including a constant column; on features
 * that are linearly separable by construction (100% train and test); on
 * noise with random labels (test accuracy is then a binomial draw around
 * chance whatever the fit); invariance to a per-column affine change of
 * scale; and every argument error, word for word.
 */
#include "config.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "probe/linprobe.h"
#include "tests/tap.h"

/* ---- the naive reference ------------------------------------------------ */

/* Solve a x = b for a (n, n), b (n, c), both row-major, in place (b gets
 * x) by Gauss-Jordan elimination with partial pivoting. */
static void
naive_solve(double *a, double *b, int n, int c)
{
    for (int col = 0; col < n; col++) {
        int piv = col;
        for (int r = col + 1; r < n; r++)
            if (fabs(a[r * n + col]) > fabs(a[piv * n + col]))
                piv = r;
        for (int k = 0; k < n; k++) {
            double t = a[col * n + k];
            a[col * n + k] = a[piv * n + k];
            a[piv * n + k] = t;
        }
        for (int k = 0; k < c; k++) {
            double t = b[col * c + k];
            b[col * c + k] = b[piv * c + k];
            b[piv * c + k] = t;
        }
        double d = a[col * n + col];
        for (int k = 0; k < n; k++)
            a[col * n + k] /= d;
        for (int k = 0; k < c; k++)
            b[col * c + k] /= d;
        for (int r = 0; r < n; r++) {
            if (r == col)
                continue;
            double f = a[r * n + col];
            for (int k = 0; k < n; k++)
                a[r * n + k] -= f * a[col * n + k];
            for (int k = 0; k < c; k++)
                b[r * c + k] -= f * b[col * c + k];
        }
    }
}

/* Standardisation as documented: train mean, sample std (N - 1), z = 0
 * for a column with no spread. Two-pass, double. */
static void
naive_stats(const float *h, int n, int w, double *mean, double *inv)
{
    for (int j = 0; j < w; j++) {
        double s = 0;
        for (int i = 0; i < n; i++)
            s += (double)h[i * w + j];
        mean[j] = s / n;
        double ss = 0;
        for (int i = 0; i < n; i++) {
            double dv = (double)h[i * w + j] - mean[j];
            ss += dv * dv;
        }
        double sd = sqrt(ss / (n - 1));
        inv[j] =
            sd > 0 && sd > (double)FLT_EPSILON * fabs(mean[j]) ? 1 / sd : 0;
    }
}

/* W (w + 1, c) of min ||X W - Y||^2 + lambda ||W||^2, X = [Z 1]. */
static void
naive_fit(const float *h, const int *y, int n, int w, int c, double lambda,
          const double *mean, const double *inv, double *wout)
{
    int d = w + 1;
    double *x = calloc((size_t)n * d, sizeof *x);
    double *a = calloc((size_t)d * d, sizeof *a);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < w; j++)
            x[i * d + j] = ((double)h[i * w + j] - mean[j]) * inv[j];
        x[i * d + w] = 1;
    }
    for (int p = 0; p < d; p++)
        for (int q = 0; q < d; q++) {
            double s = p == q ? lambda : 0;
            for (int i = 0; i < n; i++)
                s += x[i * d + p] * x[i * d + q];
            a[p * d + q] = s;
        }
    memset(wout, 0, (size_t)d * c * sizeof *wout);
    for (int p = 0; p < d; p++)
        for (int i = 0; i < n; i++)
            wout[p * c + y[i]] += x[i * d + p];
    naive_solve(a, wout, d, c);
    free(a);
    free(x);
}

static double
naive_acc(const float *h, const int *y, int n, int w, int c, const double *mean,
          const double *inv, const double *wm)
{
    int hits = 0;
    for (int i = 0; i < n; i++) {
        int best = 0;
        double bs = -INFINITY;
        for (int k = 0; k < c; k++) {
            double s = wm[w * c + k];
            for (int j = 0; j < w; j++)
                s += ((double)h[i * w + j] - mean[j]) * inv[j] * wm[j * c + k];
            if (s > bs) {
                bs = s;
                best = k;
            }
        }
        hits += best == y[i];
    }
    return (double)hits / n;
}

/* ---- cases -------------------------------------------------------------- */

static void
fill_normal(struct rs_rng *rng, float *x, int n)
{
    for (int i = 0; i < n; i++)
        x[i] = rs_rng_normal(rng);
}

/* A tiny case against the naive solve; column `flat` (or -1) is made
 * constant. */
static void
check_tiny(const char *what, int flat, double lambda)
{
    enum { N = 9, NT = 6, W = 4, C = 3 };
    struct rs_rng rng;
    rs_rng_seed(&rng, 17);
    float h[N * W], ht[NT * W];
    int y[N], yt[NT];
    fill_normal(&rng, h, N * W);
    fill_normal(&rng, ht, NT * W);
    for (int i = 0; i < N; i++) {
        y[i] = i % C;
        /* different scales and offsets per column, some signal */
        for (int j = 0; j < W; j++)
            h[i * W + j] = h[i * W + j] * (float)(j + 1) + 3.0f * (float)j +
                           (j == y[i] ? 1.5f : 0.0f);
        if (flat >= 0)
            h[i * W + flat] = 3.25f;
    }
    for (int i = 0; i < NT; i++) {
        yt[i] = (int)rs_rng_below(&rng, C);
        for (int j = 0; j < W; j++)
            ht[i * W + j] = ht[i * W + j] * (float)(j + 1) + 3.0f * (float)j +
                            (j == yt[i] ? 1.5f : 0.0f);
    }
    double mean[W], inv[W], want[(W + 1) * C], got[(W + 1) * C];
    naive_stats(h, N, W, mean, inv);
    naive_fit(h, y, N, W, C, lambda, mean, inv, want);
    struct rs_probe_linprobe res;
    struct rs_error err = {0};
    int rc = rs_probe_linprobe_fit(h, y, N, ht, yt, NT, W, C, lambda, &res, got,
                                   &err);
    tap_is_int(rc, RS_OK, "%s: status (%s)", what, err.msg);
    double maxd = 0, maxw = 0;
    for (int k = 0; k < (W + 1) * C; k++) {
        maxd = fmax(maxd, fabs(got[k] - want[k]));
        maxw = fmax(maxw, fabs(want[k]));
    }
    tap_ok(maxd <= 1e-10 * fmax(1, maxw),
           "%s: W equals the naive augmented solve (max diff %g)", what, maxd);
    tap_is_float(res.train_acc, naive_acc(h, y, N, W, C, mean, inv, want), 0, 0,
                 "%s: train accuracy", what);
    tap_is_float(res.test_acc, naive_acc(ht, yt, NT, W, C, mean, inv, want), 0,
                 0, "%s: test accuracy", what);
    tap_is_int(res.constant, flat >= 0 ? 1 : 0, "%s: constant columns", what);
    tap_is_int(res.n_train * 100 + res.n_test, N * 100 + NT, "%s: sizes", what);
    if (flat >= 0) {
        bool zero = true;
        for (int k = 0; k < C; k++)
            zero = zero && got[flat * C + k] == 0.0;
        tap_ok(zero, "%s: the constant column weighs nothing", what);
    }
}

/* Class k sits at 5 e_k plus noise, on shifted and scaled columns: the
 * classes are linearly separable with a wide margin. */
static void
make_clusters(struct rs_rng *rng, float *h, int *y, int n, int w, int c)
{
    for (int i = 0; i < n; i++) {
        y[i] = (int)rs_rng_below(rng, (uint32_t)c);
        for (int j = 0; j < w; j++) {
            float v = 0.3f * rs_rng_normal(rng) + (j == y[i] ? 5.0f : 0.0f);
            h[i * w + j] = v * (float)(1 + j % 5) - 2.0f * (float)j;
        }
    }
}

static void
test_separable(void)
{
    enum { N = 200, W = 12, C = 4 };
    struct rs_rng rng;
    rs_rng_seed(&rng, 3);
    static float h[N * W], ht[N * W];
    int y[N], yt[N];
    make_clusters(&rng, h, y, N, W, C);
    make_clusters(&rng, ht, yt, N, W, C);
    struct rs_probe_linprobe res;
    struct rs_error err = {0};
    int rc = rs_probe_linprobe_fit(h, y, N, ht, yt, N, W, C,
                                   RS_PROBE_LINPROBE_LAMBDA, &res, NULL, &err);
    tap_is_int(rc, RS_OK, "separable: status (%s)", err.msg);
    tap_is_float(res.train_acc, 1.0, 0, 0, "separable: 100%% train");
    tap_is_float(res.test_acc, 1.0, 0, 0, "separable: 100%% test");

    /* the same features on another scale and offset per column: the
     * standardisation makes the fit the same */
    static float h2[N * W], ht2[N * W];
    for (int k = 0; k < N * W; k++) {
        float s = (float)(1 << (k % W)), o = (float)(k % W) * 100.0f - 300.0f;
        h2[k] = h[k] * s + o;
        ht2[k] = ht[k] * s + o;
    }
    double w1[(W + 1) * C], w2[(W + 1) * C];
    struct rs_probe_linprobe res2;
    rc = rs_probe_linprobe_fit(h, y, N, ht, yt, N, W, C, 1.0, &res, w1, &err);
    rc |=
        rs_probe_linprobe_fit(h2, y, N, ht2, yt, N, W, C, 1.0, &res2, w2, &err);
    tap_is_int(rc, RS_OK, "rescaled: status");
    double maxd = 0;
    for (int k = 0; k < (W + 1) * C; k++)
        maxd = fmax(maxd, fabs(w1[k] - w2[k]));
    tap_ok(maxd < 1e-4, "rescaled columns: same W (max diff %g)", maxd);
    tap_is_float(res2.test_acc, res.test_acc, 0, 0, "rescaled: same test acc");
}

static void
test_noise(void)
{
    enum { N = 300, NT = 4000, W = 20, C = 5 };
    struct rs_rng rng;
    rs_rng_seed(&rng, 8);
    static float h[N * W], ht[NT * W];
    static int y[N], yt[NT];
    fill_normal(&rng, h, N * W);
    fill_normal(&rng, ht, NT * W);
    for (int i = 0; i < N; i++)
        y[i] = (int)rs_rng_below(&rng, C);
    for (int i = 0; i < NT; i++)
        yt[i] = (int)rs_rng_below(&rng, C);
    struct rs_probe_linprobe res;
    struct rs_error err = {0};
    int rc = rs_probe_linprobe_fit(h, y, N, ht, yt, NT, W, C,
                                   RS_PROBE_LINPROBE_LAMBDA, &res, NULL, &err);
    tap_is_int(rc, RS_OK, "noise: status (%s)", err.msg);
    /* independent labels: hits ~ Binomial(4000, 0.2), sd 0.0063 */
    tap_ok(fabs(res.test_acc - 0.2) < 0.04,
           "noise: test accuracy %.4f is near chance 0.2", res.test_acc);
    tap_ok(res.train_acc > res.test_acc,
           "noise: it fits the train noise (train %.4f > test %.4f)",
           res.train_acc, res.test_acc);
}

/* rc and err.msg of a failed call, checked word for word. */
static void
expect(int rc, const struct rs_error *err, int code, const char *msg,
       const char *what)
{
    tap_is_int(rc, code, "error %s: code", what);
    tap_is_str(err->msg, msg, "error %s: message", what);
}

static void
test_errors(void)
{
    /* two identical columns of exact spread (mean 0, variance 1): the
     * standardised Gram is [[4, 4], [4, 4]] exactly, singular */
    float h[10] = {-1, -1, -1, -1, 1, 1, 1, 1, 0, 0};
    int y[5] = {0, 1, 0, 1, 0};
    float ht[4] = {0, 0, 1, 1};
    int yt[2] = {1, 0};
    struct rs_probe_linprobe res;
    struct rs_error e;
#define FIT(ytr, ntr, hte, yte, nte, w, c, lam)                                \
    (rs_error_clear(&e), rs_probe_linprobe_fit(h, ytr, ntr, hte, yte, nte, w,  \
                                               c, lam, &res, NULL, &e))
    expect(FIT(y, 5, ht, yt, 2, 0, 2, 1), &e, RS_EINVAL,
           "width 0 is not >= 1", "width");
    expect(FIT(y, 5, ht, yt, 2, 2, 0, 1), &e, RS_EINVAL,
           "classes 0 is not >= 1", "classes");
    expect(FIT(y, 1, ht, yt, 2, 2, 2, 1), &e, RS_EINVAL,
           "n_train 1 is not >= 2", "n_train");
    expect(FIT(y, 5, ht, yt, 0, 2, 2, 1), &e, RS_EINVAL,
           "n_test 0 is not >= 1", "n_test");
    expect(FIT(y, 5, ht, yt, 2, 2, 2, 0), &e, RS_EINVAL,
           "lambda 0 is not a finite number > 0", "lambda 0");
    expect(FIT(y, 5, ht, yt, 2, 2, 2, -1), &e, RS_EINVAL,
           "lambda -1 is not a finite number > 0", "lambda < 0");
    expect(FIT(y, 5, ht, yt, 2, 2, 2, INFINITY), &e, RS_EINVAL,
           "lambda inf is not a finite number > 0", "lambda inf");
    expect(FIT(y, 5, ht, yt, 2, 2, 2, NAN), &e, RS_EINVAL,
           "lambda nan is not a finite number > 0", "lambda nan");
    expect(FIT(y, 5, ht, yt, 2, 2, 1, 1), &e, RS_EINVAL,
           "train label y[1] = 1 is outside [0, 1)", "train label");
    int ybad[2] = {0, -3};
    expect(FIT(y, 5, ht, ybad, 2, 2, 2, 1), &e, RS_EINVAL,
           "test label y[1] = -3 is outside [0, 2)", "test label");
    h[7] = NAN;
    expect(FIT(y, 5, ht, yt, 2, 2, 2, 1), &e, RS_ENONFINITE,
           "train features: element (3, 1) is nan", "train nan");
    h[7] = 1;
    ht[2] = -INFINITY;
    expect(FIT(y, 5, ht, yt, 2, 2, 2, 1), &e, RS_ENONFINITE,
           "test features: element (1, 0) is -inf", "test inf");
    ht[2] = 1;
    expect(FIT(y, 5, ht, yt, 2, 2, 2, 1e-300), &e, RS_EINVAL,
           "the Gram matrix plus lambda 1e-300 is not positive "
           "definite at column 1 (raise lambda)",
           "not positive definite");
    /* the same singular features with a real lambda: fine, and the two
     * equal columns share the weight */
    double w[3 * 2];
    int rc = rs_probe_linprobe_fit(h, y, 5, ht, yt, 2, 2, 2, 1.0, &res, w, &e);
    tap_is_int(rc, RS_OK, "duplicate columns with lambda 1: status");
    tap_is_float(w[0], w[2], 1e-12, 0, "duplicate columns: equal weights");
#undef FIT
}

int
main(void)
{
    tap_plan_lazy();
    check_tiny("tiny", -1, 0.5);
    check_tiny("tiny, constant column", 2, 0.5);
    check_tiny("tiny, small lambda", -1, 1e-6);
    test_separable();
    test_noise();
    test_errors();
    return tap_done();
}
