/* repscope - MIT licence, see COPYING.
 *
 * linprobe.h: a closed-form ridge linear probe on a layer's features (the
 * deep-grokking paper's per-layer linear-probe accuracy, arXiv
 * 2405.19454). Given train features H (N, w) with integer labels y in
 * [0, C) and test features with labels, fit
 *
 *     W = argmin ||[Z 1] W - Y||^2 + lambda ||W||^2,   W (w + 1, C)
 *
 * where Y (N, C) is one-hot(y) and Z is H standardised per column with
 * the train split's mean and sample standard deviation (divisor N - 1):
 * z_j = (h_j - mean_j) / std_j, and z_j = 0 for a column that is constant
 * on the train split (std_j <= FLT_EPSILON |mean_j|: a dead unit, or
 * spread at rounding level). Standardising makes lambda mean the same on
 * every layer whatever its scale. The bias row is regularised too, as in
 * the formula. Train and test accuracy are the share of rows whose argmax
 * over [z 1] W (first index on a tie) equals the label.
 *
 * Method: the normal equations ([Z 1]^T [Z 1] + lambda I) W = [Z 1]^T Y
 * in double precision. Z's columns have zero mean on the train split, so
 * Z^T 1 = 0 and the system splits: (Z^T Z + lambda I) W_z = Z^T Y, with
 * Z^T Z = (N - 1) D^-1 cov(H) D^-1 (D = diag(std); the covariance comes
 * from rs_linalg_cov_double, cblas_dsyrk), solved by a Cholesky
 * factorisation (positive definite: Z^T Z is semidefinite and lambda >
 * 0), and (N + lambda) b = Y^T 1, the class counts. Z^T Y is per-class
 * sums of z. Cost O(N w^2) for the Gram (BLAS), O(w^3 / 3 + w^2 C) for
 * the solve, O(N w C) (sgemm, float) for the scores. Note that lambda is
 * not divided by N: the same lambda regularises less as N grows.
 *
 * Pure function over caller buffers; allocates its scratch and frees it
 * before returning. Any thread.
 */
#ifndef RS_PROBE_LINPROBE_H
#define RS_PROBE_LINPROBE_H

#include "core/base.h"

/* The default ridge strength of rs.probe.linear. */
#define RS_PROBE_LINPROBE_LAMBDA 1e-2

/* The outcome of one fit. */
struct rs_probe_linprobe {
    int width;        /* w features per row */
    int classes;      /* C */
    int n_train;      /* N rows fitted */
    int n_test;       /* rows scored for test_acc */
    int constant;     /* train columns with no spread (their weights are 0) */
    double train_acc; /* in [0, 1] */
    double test_acc;  /* in [0, 1] */
};

/* Fit the probe on h_train (n_train, width) row-major with labels y_train
 * (n_train), score it on h_train and on h_test (n_test, width) with
 * y_test (n_test), and fill *res. w_out (may be NULL) receives W (width +
 * 1, classes) row-major: rows 0..width-1 weigh the standardised features
 * z, row width is the bias. Nothing is modified but *res and w_out.
 * Returns RS_OK, or with err filled: RS_EINVAL for width, classes < 1,
 * n_train < 2, n_test < 1, lambda not a finite number > 0, a label
 * outside [0, classes) (naming its split and index), too many elements,
 * or a Gram matrix that is not numerically positive definite (lambda
 * tiny against N); RS_ENONFINITE for a NaN or Inf feature (naming split,
 * row and column); RS_ENOMEM if a scratch buffer cannot be allocated. */
RS_NODISCARD int rs_probe_linprobe_fit(const float *h_train, const int *y_train,
                                       int n_train, const float *h_test,
                                       const int *y_test, int n_test, int width,
                                       int classes, double lambda,
                                       struct rs_probe_linprobe *res,
                                       double *w_out, struct rs_error *err);

#endif /* RS_PROBE_LINPROBE_H */
