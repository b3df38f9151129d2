/* repscope - MIT licence, see COPYING.
 *
 * blas.h: the engine's only door to BLAS (with core/linalg.h for LAPACKE).
 * Row-major float32 GEMM plus the OpenBLAS thread and kernel queries, so no
 * other file includes <cblas.h>.
 *
 * GEMMs run on this module's AVX-512 kernel when the CPU has it (and
 * otherwise on OpenBLAS), chosen from the shape and the thread count only,
 * so results never depend on timing.
 *
 * Threads: one spinning pool at a time (OpenBLAS's busy-waits too, and
 * two spinning pools on 2 cores are slower than one thread). With AVX-512
 * and rs_blas_set_threads(n > 1), the kernel splits C (never a sum, so
 * the result is bitwise the one-thread result) over the engine's pool
 * (core/pool.h, n threads in all), and OpenBLAS is held at one thread.
 * Without AVX-512, the pool keeps no helpers and OpenBLAS's pool is used,
 * per call, for shapes big enough to gain. The thread counts are
 * process-wide: one thread (the worker) sets them.
 */
#ifndef RS_CORE_BLAS_H
#define RS_CORE_BLAS_H

#include <stdbool.h>

/* C (M, N) = alpha * op(A) op(B) + beta * C, all row-major, where op(A) is
 * (M, K): A stored (M, K) with lda >= K, or (K, M) with lda >= M when
 * trans_a; op(B) is (K, N): B stored (K, N) with ldb >= N, or (N, K) with
 * ldb >= K when trans_b; ldc >= N. beta = 0 ignores C's old contents (NaN
 * included). M, N or K of 0 is allowed (K = 0 scales C by beta). */
void rs_blas_sgemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha,
                   const float *A, int lda, const float *B, int ldb, float beta,
                   float *C, int ldc);

/* dst (cols, rows) = src (rows, cols)^T, or dst += src^T when add; both
 * packed row-major and not overlapping. On the AVX-512 kernel when the
 * CPU has it; every path gives the same bits (a copy, or one addition
 * per element). */
void rs_blas_transpose(float *dst, const float *src, int rows, int cols,
                       bool add);

/* C (M, N) = op(A) op(B) + bias, bias (N) added to every row (NULL: no
 * bias); C's old contents are ignored. The fused form of a linear layer's
 * forward: no separate pass to copy or add the bias. */
void rs_blas_sgemm_bias(bool trans_a, bool trans_b, int M, int N, int K,
                        const float *A, int lda, const float *B, int ldb,
                        const float *bias, float *C, int ldc);

/* One GEMM of rs_blas_sgemm_many: the arguments of rs_blas_sgemm. */
struct rs_blas_gemm {
    bool trans_a, trans_b;
    int M, N, K;
    float alpha;
    const float *A;
    int lda;
    const float *B;
    int ldb;
    float beta;
    float *C;
    int ldc;
};

/* rs_blas_sgemm on each of gs[0 .. n), run as one job on the pool (the
 * threads take chunks of all of them; one hand-over instead of n). The
 * GEMMs must be independent: no C may overlap another GEMM's A, B or C.
 * Results are bitwise those of the calls one by one. */
void rs_blas_sgemm_many(const struct rs_blas_gemm *gs, int n);

/* The most threads a GEMM may use (values below 1 mean 1), and the pool's
 * count (rs_pool_set_threads: n, or 1 when OpenBLAS runs the GEMMs). n = 1
 * stops the helper threads; they start again on the first job that wants
 * them. Also sets OpenBLAS to one thread (raised per call where used). */
void rs_blas_set_threads(int n);
/* The value set by rs_blas_set_threads (1 until it is called). */
int rs_blas_threads(void);
/* OpenBLAS's name for its loaded kernels ("SkylakeX", "Prescott", ...), or
 * "unknown". Static string. */
const char *rs_blas_corename(void);

/* The GEMM path a call of this shape takes now: "openblas", "avx512"
 * (this module's kernel, calling thread only) or "avx512-pool" (split over
 * the helper threads). Static string. For tests and the bench. */
const char *rs_blas_sgemm_path(bool trans_a, bool trans_b, int M, int N, int K);
/* Force every GEMM through OpenBLAS (on = true) or let the size-based
 * choice decide (false, default). Tests compare the two paths. */
void rs_blas_force_openblas(bool on);

#endif /* RS_CORE_BLAS_H */
