/* repscope - MIT licence, see COPYING.
 *
 * blas_kernel.h: the AVX-512 SGEMM kernel of blas_kernel.c as blas.c's
 * dispatcher and thread pool see it: one GEMM described by struct
 * rs_gemm, cut into chunks by a plan; each chunk is a block of C any
 * thread can compute. Internal to src/core.
 */
#ifndef RS_CORE_BLAS_KERNEL_H
#define RS_CORE_BLAS_KERNEL_H

#include <stdbool.h>
#include <stddef.h>

#if defined(__GNUC__) && defined(__x86_64__)
#define RS_HAVE_AVX512_KERNEL 1
#else
#define RS_HAVE_AVX512_KERNEL 0
#endif

#if RS_HAVE_AVX512_KERNEL

/* One GEMM for the tiles: op(A) element (i, k) at A[i si + k sk]; B as
 * the caller passed it (trans_b: stored (N, K), transposed strip by strip
 * into the running thread's packing space); bias or NULL. */
struct rs_gemm {
    int M, N, K;
    float alpha, beta;
    const float *A;
    size_t si, sk;
    const float *B;
    size_t ldb;
    bool tb;
    const float *bias;
    float *C;
    size_t ldc;
};

/* How C is cut for `threads` threads. Cutting rows makes every chunk
 * read all of B (and, for trans_b, transpose it again); cutting 16-column
 * strips makes every chunk read all of op(A). So: strips for trans_b
 * (weights are small; each chunk transposes only its own strip) unless
 * op(A) is large and M dwarfs N; rows otherwise, unless B is large and N
 * is at least M (dW = dY^T X of a long batch). "Large" is more than
 * POOL_BIG_BYTES, about what stays in a core's L2 next to the rest. A
 * couple of chunks per thread, taken first come first served, absorb a
 * late helper. */
struct rs_gemm_plan {
    bool by_rows;
    int units; /* row tiles or column strips */
    int chunks;
};

/* The plan for `threads` threads. */
void rs_gemm_plan_for(const struct rs_gemm *g, int threads,
                      struct rs_gemm_plan *pl);
/* Chunk c (0 <= c < pl->chunks) of the plan; chunks write disjoint parts
 * of C, and any split gives bitwise the same C. Needs AVX-512F. */
void rs_gemm_chunk(const struct rs_gemm *g, const struct rs_gemm_plan *pl,
                   int c);

/* dst (cols, rows) = src (rows, cols)^T, or dst += it when add; both
 * packed row-major. Needs AVX-512F. */
void rs_kernel_transpose(float *dst, const float *src, int rows, int cols,
                         bool add);

#endif /* RS_HAVE_AVX512_KERNEL */
#endif /* RS_CORE_BLAS_KERNEL_H */
