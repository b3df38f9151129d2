/* repscope - MIT licence, see COPYING.
 *
 * linalg.h: dense linear algebra for the probes, on top of LAPACKE (the
 * only file that includes <lapacke.h>) and CBLAS: singular values of a
 * float feature matrix, eigenvalues of a symmetric double matrix, and a
 * double-precision covariance.
 *
 * Matrices are row-major as everywhere in repscope: x (rows, cols), x[i *
 * cols + j]. Each call allocates its LAPACK copy and workspace on the heap
 * and frees it before returning (about 1 MiB for a 1024x256 matrix; a
 * rank probe of that size measured within run-to-run noise, 0.9-1.09x, of
 * a bare LAPACKE_sgesdd call), so the functions are reentrant: any thread
 * may call them on its own buffers. They run inside OpenBLAS's thread pool,
 * which busy-waits (core/blas.h: one spinning pool at a time).
 *
 * Errors (doc/design.md, "Errors"): bad sizes are RS_EINVAL, a non-finite
 * input element RS_ENONFINITE naming its row and column, a failed
 * allocation RS_ENOMEM, and LAPACK info > 0 (no convergence) RS_ELAPACK
 * with the value in the message; info < 0 is a bug here and asserts.
 */
#ifndef RS_CORE_LINALG_H
#define RS_CORE_LINALG_H

#include <stdbool.h>

#include "core/base.h"

/* Singular values of x (rows, cols), descending, into s_out (min(rows,
 * cols) floats). With centre_columns, the column means (computed in
 * double) are subtracted first, as for a covariance. Float32 throughout:
 * LAPACKE_sgesdd with jobz = 'N' on a tall column-major copy (x itself when
 * rows >= cols, its transpose otherwise; same singular values), which is
 * the fastest layout (measured on Debian 12's OpenBLAS 0.3.21 and LAPACK
 * 3.11: passing row-major data as its wide transpose cost 1.3-2.7x).
 * x is not modified. */
RS_NODISCARD int rs_linalg_svd_values(const float *x, int rows, int cols,
                                      bool centre_columns, float *s_out,
                                      struct rs_error *err);

/* Eigenvalues of the symmetric n x n matrix a (only its lower triangle in
 * row-major order is read), descending, into w_out (n doubles), through
 * LAPACKE_dsyevd with jobz = 'N'. a is not modified. */
RS_NODISCARD int rs_linalg_sym_eigvals_double(const double *a, int n,
                                              double *w_out,
                                              struct rs_error *err);

/* The sample covariance of the columns of x (rows, cols), rows >= 2, in
 * double precision as torch.cov(x.T) in float64 computes it: centre each
 * column with its mean, then cov = xc^T xc / (rows - 1) (cblas_dsyrk).
 * Fills the full symmetric cols x cols matrix cov_out (row-major). */
RS_NODISCARD int rs_linalg_cov_double(const float *x, int rows, int cols,
                                      double *cov_out, struct rs_error *err);

/* Solve A X = B for a symmetric positive definite n x n A (row-major;
 * overwritten by its Cholesky factor) and B (n, nrhs) row-major
 * (overwritten by X), through LAPACKE_dposv in double. RS_ELAPACK when A
 * is not positive definite (*bad_col, if not NULL, gets the 0-based column
 * whose pivot failed; else -1), RS_EINVAL on bad sizes. */
RS_NODISCARD int rs_linalg_solve_spd_double(double *a, int n, double *b,
                                            int nrhs, int *bad_col,
                                            struct rs_error *err);

#endif /* RS_CORE_LINALG_H */
