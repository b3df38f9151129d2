/* repscope - MIT licence, see COPYING.
 *
 * blas.h: the engine's only door to BLAS (with core/linalg.h for LAPACKE).
 * Row-major float32 GEMM plus the OpenBLAS thread and kernel queries, so no
 * other file includes <cblas.h>.
 *
 * Threads: OpenBLAS's own pool is the only pool in the process (a second
 * spinning pool on 2 cores makes everything slower; see FACTS.md).
 * rs_blas_set_threads sets the most it may use; each call then decides
 * from its size whether a second thread pays. Worker thread only (the
 * thread count is process-global state inside OpenBLAS).
 */
#ifndef RS_CORE_BLAS_H
#define RS_CORE_BLAS_H

#include <stdbool.h>

/* C (M, N) = alpha * op(A) op(B) + beta * C, all row-major, where op(A) is
 * (M, K): A stored (M, K) with lda >= K, or (K, M) with lda >= M when
 * trans_a; op(B) is (K, N): B stored (K, N) with ldb >= N, or (N, K) with
 * ldb >= K when trans_b; ldc >= N. beta = 0 ignores C's old contents (NaN
 * included). M, N or K of 0 is allowed (K = 0 scales C by beta). */
void rs_blas_sgemm(bool trans_a, bool trans_b, int M, int N, int K,
                   float alpha, const float *A, int lda, const float *B,
                   int ldb, float beta, float *C, int ldc);

/* The most threads a GEMM may use (>= 1; values above the core count are
 * clamped by OpenBLAS). Without openblas_set_num_threads it only records n. */
void rs_blas_set_threads(int n);
/* The value set by rs_blas_set_threads, or OpenBLAS's startup count. */
int rs_blas_threads(void);
/* OpenBLAS's name for its loaded kernels ("SkylakeX", "Prescott", ...), or
 * "unknown". Static string. */
const char *rs_blas_corename(void);

/* The GEMM path a call of this shape takes: "openblas" or "avx512"
 * (this file's own small-matrix kernel). For tests and the bench. */
const char *rs_blas_sgemm_path(bool trans_a, bool trans_b, int M, int N,
                               int K);
/* Force every GEMM through OpenBLAS (on = true) or let the size-based
 * choice decide (false, default). Tests compare the two paths. */
void rs_blas_force_openblas(bool on);

#endif /* RS_CORE_BLAS_H */
