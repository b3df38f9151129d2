/* repscope - MIT licence, see COPYING.
 *
 * entk.h: the empirical neural tangent kernel of a learner's model on a
 * few examples, the instrument Lyle et al. ("Disentangling the Causes of
 * Plasticity Loss in Neural Networks", arXiv 2402.18762) watch collapse
 * toward "diagonal plus low rank" as a network loses plasticity.
 *
 * For n examples x_1..x_n and a scalar f per example,
 *
 *   K[i][j] = <grad_theta f(x_i), grad_theta f(x_j)> = (J J^T)[i][j]
 *
 * over every parameter the learner trains (rs_learner_params, in its
 * order; a parameter modules[0] does not use contributes 0; with
 * weights_only the biases contribute 0 too), where J (n,
 * P) holds one gradient per row. f is modules[0]'s output row for the
 * example, summed (RS_ENTK_SUM) or its column c (0-based). The model must
 * give one output row per example (features in, (n, outputs) out); a
 * sequence model's (n, T, V) is refused.
 *
 * How: J row i is one backward of a no-batch forward (example i alone,
 * seeded with ones or the one-hot of c through rs_graph_backward_seed).
 * Every module kind here treats the rows of a batch independently, so
 * that row is the gradient of f(x_i) in the batched model too. K = J J^T
 * by GEMM (core/blas.h). Measured on an MLP 784-256-256-10 (P 269,322,
 * n 64, one thread, workspace reused): 40 ms a call, about 14 ms of
 * passes and 27 ms of GEMM; one batched forward with n backwards seeded
 * on one row each (each a whole batch's work) took 61 ms. At most
 * `budget` floats of J are held: when n rows do not fit, J goes in
 * blocks of h = budget / (2P) rows, a block against each later one,
 * recomputing the later blocks' gradients (about n + n^2 / (2h) passes;
 * n 256 of that MLP: 0.53 s).
 *
 * Summaries, from the eigenvalues lambda of K (symmetric PSD: computed in
 * double by rs_linalg_sym_eigvals_double, negatives from rounding clamped
 * to 0):
 *   trace    sum_i K_ii
 *   erank    exp(-sum p_k ln p_k), p_k = lambda_k / sum lambda (0 ln 0 =
 *            0); 0 when every eigenvalue is 0
 *   offdiag  mean over i != j of |K_ij|, over the mean of K_ii; 0 for n = 1
 *            or a zero K
 *
 * The learner is left as it was: parameters untouched, their gradients
 * restored (zero between steps; a Lua backward's pending gradients come
 * back as they were), its sampler (RNG, permutation, position), step
 * count and optimiser untouched; examples come from the first n of the
 * split (finite sources) or from the evaluation stream (generators:
 * rs_learner_probe_forward's draw), never from the batch stream. It ends
 * any cached probe forward and resets the graph. Worker thread only.
 */
#ifndef RS_ALGO_ENTK_H
#define RS_ALGO_ENTK_H

#include <stdbool.h>
#include <stddef.h>

#include "algo/learner.h"
#include "core/base.h"
#include "data/modular.h"

/* f = the sum of the output row. */
#define RS_ENTK_SUM (-1)
/* Most examples (K is n x n; a typo guard). */
#define RS_ENTK_MAX_N 4096
/* Floats of J held at once by default (128 MiB): n = 64 of a 784-256-
 * 256-10 MLP (269,322 parameters) in one block. */
#define RS_ENTK_BUDGET ((size_t)1 << 25)

struct rs_entk_spec {
    int n;               /* examples, 1..RS_ENTK_MAX_N; a finite split with
                            fewer gives them all */
    enum rs_split split; /* finite sources */
    int output;          /* RS_ENTK_SUM or a column 0..outputs-1 */
    bool weights_only;   /* leave out the parameters named "bias" or
                            "*.bias": their gradient is the same for
                            every example fed forward the same way, a
                            constant block in K that can hide the rest */
    size_t budget;       /* floats of J held at once; 0: RS_ENTK_BUDGET */
};

/* n 64, split train, output RS_ENTK_SUM, every parameter, budget 0. */
void rs_entk_spec_default(struct rs_entk_spec *s);

/* A kernel and the workspace that made it. Caller-embedded: zero it with
 * rs_entk_init, fill it with rs_entk as often as needed (K, eig and the
 * blocks of J are reused and grow: a fresh 69 MB J costs about as much
 * in page faults as the kernel itself), release it with rs_entk_fini. */
struct rs_entk {
    int n;       /* examples used */
    long params; /* P */
    float *K;    /* (n, n) row-major, symmetric; valid until the next fill */
    double *eig; /* (n) eigenvalues of K, descending, unclamped */
    double trace, erank, offdiag;
    /* workspace */
    float *work;     /* blocks of J */
    size_t work_cap; /* floats of work */
    int cap;         /* n that K and eig hold */
};

void rs_entk_init(struct rs_entk *e);
void rs_entk_fini(struct rs_entk *e);
/* The kernel of l on spec's examples into e (initialised). RS_EINVAL
 * naming the field for a bad spec ("n = 0 (must be in 1..4096)", "output
 * = 12 (the model has 10 outputs)"), an empty split, or a model without
 * one output row per example; RS_ENOMEM when a block of J cannot be
 * allocated; graph errors of the forward or backward; RS_ENONFINITE /
 * RS_ELAPACK from the eigenvalues. On error e keeps no result (n = 0)
 * and the learner is left as on success. */
RS_NODISCARD int rs_entk(rs_learner *l, const struct rs_entk_spec *spec,
                         struct rs_entk *e, struct rs_error *err);

/* The summaries of a symmetric K (n, n), n >= 1 (only the lower triangle
 * is read for the eigenvalues; offdiag reads every entry); eig (n
 * doubles, may be NULL) gets the eigenvalues, descending. Errors as
 * rs_linalg_sym_eigvals_double. */
RS_NODISCARD int rs_entk_summary(const float *K, int n, double *trace,
                                 double *erank, double *offdiag, double *eig,
                                 struct rs_error *err);

/* "<name>/probe/entk/erank" and "<name>/probe/entk/offdiag" through l's
 * log callback, and K as the matrix "<name>/entk" (n x n) through its
 * matrix sink (the unnamed learner: the bare names). */
void rs_entk_log(rs_learner *l, const struct rs_entk *e);

#endif /* RS_ALGO_ENTK_H */
