/* repscope - MIT licence, see COPYING.
 *
 * rank.h: feature-rank instruments, with the definitions of "Deep
 * Grokking: Would Deep Neural Networks Generalize Better?" (arXiv
 * 2405.19454) and of PFO ("No Representation, No Trust: Connecting
 * Representation, Collapse, and Trust Issues in PPO", arXiv 2405.00662).
 * A feature matrix has rows = samples (N) and cols = units (C); its
 * singular values s_1 >= ... >= s_n >= 0, n = min(N, C), come from
 * rs_linalg_svd_values in float32, optionally with the columns centred
 * (PFO does not centre; a covariance does).
 *
 * Metrics of a spectrum (all take s descending, n >= 0 entries):
 *   srank_delta   min k with s_1 + .. + s_k >= (1 - delta) sum s (Kumar)
 *   approx rank   min k with s_1^2 + .. + s_k^2 >= (1 - delta) sum s^2 (PCA)
 *   effective     exp(-sum p_i ln p_i), p = s / sum s, 0 ln 0 = 0 (Roy)
 *   stable        sum s^2 / s_1^2
 *   numerical     #{s_i > tol}, default tol = s_1 max(N, C) FLT_EPSILON
 * A zero spectrum (all s = 0, or n = 0) has every metric 0. Sums are
 * accumulated in double; the threshold comparisons of srank/approx allow
 * n ulps of the total so exact ties are not lost to rounding.
 *
 * The deep-grokking paper's rank (rs_probe_rank_cov) is different: the
 * numerical rank of the C x C covariance of the pre-activations in double
 * precision, counting |eigenvalues| > |lambda|_max * C * DBL_EPSILON
 * (torch.linalg.matrix_rank(torch.cov(H.T)) in float64).
 *
 * Metric functions are pure (any thread); the struct filler allocates
 * (its spectrum buffer) and belongs to its caller's thread.
 */
#ifndef RS_PROBE_RANK_H
#define RS_PROBE_RANK_H

#include <stdbool.h>

#include "core/base.h"
#include "core/tensor.h"

#define RS_PROBE_RANK_DELTA 0.01

/* The metrics above. s has n entries, descending and >= 0; delta in
 * [0, 1). */
int rs_probe_rank_srank(const float *s, int n, double delta);
int rs_probe_rank_approx(const float *s, int n, double delta);
double rs_probe_rank_effective(const float *s, int n);
double rs_probe_rank_stable(const float *s, int n);
int rs_probe_rank_numerical(const float *s, int n, double tol);
/* s_1 * max(rows, cols) * FLT_EPSILON (0 when n = 0). */
double rs_probe_rank_default_tol(const float *s, int n, int rows, int cols);

/* Everything about one feature matrix. Caller-embedded: zero it with
 * rs_probe_rank_init, fill it with rs_probe_rank_features as often as
 * needed (the spectrum buffer is reused and grows), release it with
 * rs_probe_rank_fini. */
struct rs_probe_rank {
    int rows, cols; /* N samples, C units of the last matrix */
    bool centred;   /* columns were centred before the SVD */
    int n;          /* singular values: min(rows, cols) */
    float *s;       /* (n) descending; owned, valid until the next fill */
    int cap;        /* allocated entries of s */
    double s_max;   /* s[0] */
    double s_sum;   /* sum of s */
    int srank;      /* srank_delta with delta = RS_PROBE_RANK_DELTA */
    int approx;     /* PCA rank with delta = RS_PROBE_RANK_DELTA */
    double effective;
    double stable;
    int numerical; /* at tol */
    double tol;    /* the default tolerance */
};

void rs_probe_rank_init(struct rs_probe_rank *r);
void rs_probe_rank_fini(struct rs_probe_rank *r);
/* Spectrum and metrics of x (rows, cols), row-major (N, C). Returns RS_OK,
 * or RS_EINVAL (a size < 1), RS_ENONFINITE, RS_ENOMEM or RS_ELAPACK with
 * err filled (rs_linalg_svd_values); r keeps no result on error (n = 0). */
RS_NODISCARD int rs_probe_rank_features(struct rs_probe_rank *r, const float *x,
                                        int rows, int cols, bool centre,
                                        struct rs_error *err);
/* The same for a tensor (..., C): rows = product of the leading dims. */
RS_NODISCARD int rs_probe_rank_tensor(struct rs_probe_rank *r,
                                      const rs_tensor *t, bool centre,
                                      struct rs_error *err);

/* The deep-grokking paper's rank of x (rows, cols) (N, C), rows >= 2:
 * covariance in double (rs_linalg_cov_double), its eigenvalues
 * (rs_linalg_sym_eigvals_double), and the count of |lambda| > |lambda|_max
 * * C * DBL_EPSILON into *rank. eig (C doubles, descending) may be NULL.
 * Errors as rs_probe_rank_features, plus RS_EINVAL for rows < 2. */
RS_NODISCARD int rs_probe_rank_cov(const float *x, int rows, int cols,
                                   int *rank, double *eig,
                                   struct rs_error *err);

#endif /* RS_PROBE_RANK_H */
