/* repscope - MIT licence, see COPYING.
 *
 * blas.c: row-major SGEMM: OpenBLAS, or on AVX-512 CPUs our own kernel
 * (blas_kernel.c) for the small shapes the engine runs every step, on
 * the engine's thread pool (pool.c).
 *
 * Why a kernel of our own: on the engine's shapes ((512, 128) x (128, 128)
 * and the like) OpenBLAS spends a fifth of its time packing both operands,
 * and a linear layer needs a separate pass for its bias. The kernel here
 * packs nothing for NN and TN (B's rows are already contiguous; op(A)'s
 * elements are broadcast straight from A), transposes B one L1-sized
 * panel at a time for NT/TT, and can start its accumulators at a bias
 * row. Register tile: 6 rows x 64 columns (24 zmm accumulators), k
 * innermost; tails use masked loads and stores. It reaches ~93% of the
 * measured FMA peak (150 of 161 GF/s on one core). Results are not
 * bitwise equal to OpenBLAS's (other summation blocking) but depend only
 * on the shape: not on the thread count, the split, or timing.
 *
 * Threads: rs_blas_set_threads sets the pool's count too. With AVX-512,
 * GEMMs from POOL_MIN_MACS up are cut into chunks of C run by the calling
 * thread and the pool's helpers, while OpenBLAS is held at one thread so
 * that its own pool (which busy-waits) never spins against ours. Without
 * AVX-512 (or with OpenBLAS forced) the pool keeps no helpers and
 * OpenBLAS's pool is used per call from PAR_MIN_MACS up. OpenBLAS keeps
 * one process-wide thread count; this file remembers the count last
 * handed to it and calls openblas_set_num_threads only on a change. One
 * thread sets the counts (the worker); GEMMs may run on any thread, but
 * only one at a time goes to the pool (pool.h).
 */
#include "config.h"

#include "core/blas.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "core/base.h"
#include "core/blas_kernel.h"
#include "core/cpu.h"
#include "core/pool.h"


static int max_threads; /* 0: not set yet, which means 1 */
static int cur_threads; /* what OpenBLAS was last told; 0 unknown */
static bool force_openblas;

/* Below this many multiply-adds a second OpenBLAS thread costs more than
 * it saves (2 cores, SkylakeX kernels: 1.3-1.8x from 4M up, a loss at 2M). */
#define PAR_MIN_MACS (1L << 22)
/* From this many multiply-adds our kernel is split over the pool (1.7-1.9x
 * at 1M-2M on 2 cores). */
#define POOL_MIN_MACS (1L << 20)

static void
use_threads(int n)
{
#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
    if (n != cur_threads) {
        openblas_set_num_threads(n);
        cur_threads = n;
    }
#else
    (void)n;
#endif
}

static bool use_own_kernel(void);

/* The pool gets max_threads while our kernel runs the GEMMs, one thread
 * (none of its own) while OpenBLAS's pool may run them. */
static void
apply_threads(void)
{
    rs_pool_set_threads(use_own_kernel() ? rs_blas_threads() : 1);
}

void
rs_blas_set_threads(int n)
{
    if (n < 1)
        n = 1;
    max_threads = n;
    cur_threads = 0;
    use_threads(1); /* raised per call in openblas_sgemm when it pays */
    apply_threads();
}

int
rs_blas_threads(void)
{
    return max_threads > 0 ? max_threads : 1;
}

const char *
rs_blas_corename(void)
{
#ifdef HAVE_OPENBLAS_GET_CORENAME
    const char *s = openblas_get_corename();
    return s != NULL ? s : "unknown";
#else
    return "unknown";
#endif
}

void
rs_blas_force_openblas(bool on)
{
    force_openblas = on;
    apply_threads();
}

/* C = beta * C over an (M, N) block with row stride ldc. */
static void
scale_rows(float *C, int M, int N, int ldc, float beta)
{
    for (int i = 0; i < M; i++) {
        float *c = C + (size_t)i * (size_t)ldc;
        if (beta == 0.0f)
            memset(c, 0, (size_t)N * sizeof(float));
        else
            for (int j = 0; j < N; j++)
                c[j] *= beta;
    }
}

#if RS_HAVE_AVX512_KERNEL

/* Up to GEMM_MANY GEMMs on the pool as one job: GEMM i owns chunks
 * [first[i], first[i + 1]) of the job, chunk c - first[i] of its plan. */
#define GEMM_MANY 4

struct gemm_job {
    int n;
    struct rs_gemm g[GEMM_MANY];
    struct rs_gemm_plan pl[GEMM_MANY];
    int first[GEMM_MANY + 1];
};

static void
gemm_job_chunk(void *ctx, int c)
{
    const struct gemm_job *j = ctx;
    int i = 0;
    while (c >= j->first[i + 1])
        i++;
    rs_gemm_chunk(&j->g[i], &j->pl[i], c - j->first[i]);
}

/* Plan every GEMM of j for `threads` threads (one chunk each when 1) and
 * run the job. */
static void
gemm_job_run(struct gemm_job *j, int threads)
{
    if (threads > 1)
        threads = rs_pool_width();
    j->first[0] = 0;
    for (int i = 0; i < j->n; i++) {
        rs_gemm_plan_for(&j->g[i], threads, &j->pl[i]);
        if (threads == 1)
            j->pl[i].chunks = 1;
        j->first[i + 1] = j->first[i] + j->pl[i].chunks;
    }
    rs_pool_run(j->first[j->n], gemm_job_chunk, j);
}

static struct rs_gemm
gemm_desc(bool ta, bool tb, int M, int N, int K, float alpha, const float *A,
          int lda, const float *B, int ldb, const float *bias, float beta,
          float *C, int ldc)
{
    return (struct rs_gemm){
        .M = M,
        .N = N,
        .K = K,
        .alpha = alpha,
        .beta = beta,
        .A = A,
        .si = ta ? 1 : (size_t)lda,
        .sk = ta ? (size_t)lda : 1,
        .B = B,
        .ldb = (size_t)ldb,
        .tb = tb,
        .bias = bias,
        .C = C,
        .ldc = (size_t)ldc,
    };
}

/* C = alpha op(A) op(B) + beta C (+ bias (N) on every row, with alpha 1)
 * with the register tiles above, on `threads` threads (the pool). B is
 * read in place (its rows are contiguous) or, for trans_b, transposed by
 * each thread for its own columns; op(A)'s elements are broadcast straight
 * from A in either layout. */
static void
gemm_avx512(bool ta, bool tb, int M, int N, int K, float alpha, const float *A,
            int lda, const float *B, int ldb, const float *bias, float beta,
            float *C, int ldc, int threads)
{
    RS_ASSERT(bias == NULL || alpha == 1.0f);
    struct gemm_job j = {.n = 1};
    j.g[0] = gemm_desc(ta, tb, M, N, K, alpha, A, lda, B, ldb, bias, beta, C,
                       ldc);
    gemm_job_run(&j, threads);
}

#endif /* RS_HAVE_AVX512_KERNEL */

/* Our kernel whenever the CPU has AVX-512 and the caller did not force
 * OpenBLAS: on these shapes it is level with OpenBLAS SkylakeX or ahead
 * (no packing for NN/TN, no bias pass) at one thread, well ahead with the
 * pool, and its results do not depend on the thread count. */
static bool
use_own_kernel(void)
{
#if RS_HAVE_AVX512_KERNEL
    return !force_openblas && rs_cpu_has(RS_CPU_AVX512F);
#else
    return false;
#endif
}

/* Threads for our kernel on this shape: the pool only from POOL_MIN_MACS
 * (below it waking a helper costs more than half the work). */
static int
own_threads_macs(long macs)
{
    return max_threads > 1 && macs >= POOL_MIN_MACS ? max_threads : 1;
}

static int
own_threads(int M, int N, int K)
{
    return own_threads_macs((long)M * N * K);
}

const char *
rs_blas_sgemm_path(bool trans_a, bool trans_b, int M, int N, int K)
{
    (void)trans_a;
    (void)trans_b;
    if (!use_own_kernel())
        return "openblas";
    return own_threads(M, N, K) > 1 ? "avx512-pool" : "avx512";
}

void
rs_blas_transpose(float *restrict dst, const float *restrict src, int rows,
                  int cols, bool add)
{
#if RS_HAVE_AVX512_KERNEL
    if (rs_cpu_has(RS_CPU_AVX512F)) {
        rs_kernel_transpose(dst, src, rows, cols, add);
        return;
    }
#endif
    enum { T = 32 }; /* tiles: both sides stay in L1 */
    for (int r0 = 0; r0 < rows; r0 += T) {
        int r1 = r0 + T < rows ? r0 + T : rows;
        for (int c0 = 0; c0 < cols; c0 += T) {
            int c1 = c0 + T < cols ? c0 + T : cols;
            for (int r = r0; r < r1; r++)
                for (int c = c0; c < c1; c++) {
                    float v = src[(size_t)r * (size_t)cols + (size_t)c];
                    float *d = dst + (size_t)c * (size_t)rows + (size_t)r;
                    *d = add ? *d + v : v;
                }
        }
    }
}

/* OpenBLAS, on several threads only when our kernel and its pool are out
 * of the picture (no AVX-512, or forced) and the shape is big enough. */
static void
openblas_sgemm(bool ta, bool tb, int M, int N, int K, float alpha,
               const float *A, int lda, const float *B, int ldb, float beta,
               float *C, int ldc)
{
    int n = 1;
    if (max_threads > 1 && (long)M * N * K >= PAR_MIN_MACS &&
        (force_openblas || !rs_cpu_has(RS_CPU_AVX512F)))
        n = max_threads;
    use_threads(n);
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
                tb ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B, ldb,
                beta, C, ldc);
}

void
rs_blas_sgemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha,
              const float *A, int lda, const float *B, int ldb, float beta,
              float *C, int ldc)
{
    RS_ASSERT(M >= 0 && N >= 0 && K >= 0);
    if (M == 0 || N == 0)
        return;
    if (K == 0 || alpha == 0.0f) {
        if (beta != 1.0f)
            scale_rows(C, M, N, ldc, beta);
        return;
    }
    RS_ASSERT(lda >= (trans_a ? M : K) && ldb >= (trans_b ? K : N) && ldc >= N);
#if RS_HAVE_AVX512_KERNEL
    if (use_own_kernel()) {
        gemm_avx512(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, NULL,
                    beta, C, ldc, own_threads(M, N, K));
        return;
    }
#endif
    openblas_sgemm(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C,
                   ldc);
}

void
rs_blas_sgemm_bias(bool trans_a, bool trans_b, int M, int N, int K,
                   const float *A, int lda, const float *B, int ldb,
                   const float *bias, float *C, int ldc)
{
    RS_ASSERT(M >= 0 && N >= 0 && K >= 0);
    if (M == 0 || N == 0)
        return;
    if (bias == NULL) {
        rs_blas_sgemm(trans_a, trans_b, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C,
                      ldc);
        return;
    }
    RS_ASSERT(K == 0 || (lda >= (trans_a ? M : K) && ldb >= (trans_b ? K : N)));
    RS_ASSERT(ldc >= N);
#if RS_HAVE_AVX512_KERNEL
    if (K > 0 && use_own_kernel()) {
        gemm_avx512(trans_a, trans_b, M, N, K, 1.0f, A, lda, B, ldb, bias, 0.0f,
                    C, ldc, own_threads(M, N, K));
        return;
    }
#endif
    for (int i = 0; i < M; i++)
        memcpy(C + (size_t)i * (size_t)ldc, bias, (size_t)N * sizeof(float));
    if (K > 0)
        openblas_sgemm(trans_a, trans_b, M, N, K, 1.0f, A, lda, B, ldb, 1.0f, C,
                       ldc);
}

void
rs_blas_sgemm_many(const struct rs_blas_gemm *gs, int n)
{
    RS_ASSERT(n >= 0);
#if RS_HAVE_AVX512_KERNEL
    if (use_own_kernel()) {
        struct gemm_job j = {.n = 0};
        long macs = 0;
        for (int i = 0; i < n; i++) {
            const struct rs_blas_gemm *q = &gs[i];
            if (q->M == 0 || q->N == 0 || q->K == 0 || q->alpha == 0.0f) {
                rs_blas_sgemm(q->trans_a, q->trans_b, q->M, q->N, q->K,
                              q->alpha, q->A, q->lda, q->B, q->ldb, q->beta,
                              q->C, q->ldc); /* the degenerate cases */
                continue;
            }
            RS_ASSERT(q->M > 0 && q->N > 0 && q->K > 0);
            RS_ASSERT(q->lda >= (q->trans_a ? q->M : q->K) &&
                      q->ldb >= (q->trans_b ? q->K : q->N) && q->ldc >= q->N);
            if (j.n == GEMM_MANY) {
                gemm_job_run(&j, own_threads_macs(macs));
                j.n = 0;
                macs = 0;
            }
            j.g[j.n++] = gemm_desc(q->trans_a, q->trans_b, q->M, q->N, q->K,
                                   q->alpha, q->A, q->lda, q->B, q->ldb, NULL,
                                   q->beta, q->C, q->ldc);
            macs += (long)q->M * q->N * q->K;
        }
        if (j.n > 0)
            gemm_job_run(&j, own_threads_macs(macs));
        return;
    }
#endif
    for (int i = 0; i < n; i++) {
        const struct rs_blas_gemm *q = &gs[i];
        rs_blas_sgemm(q->trans_a, q->trans_b, q->M, q->N, q->K, q->alpha, q->A,
                      q->lda, q->B, q->ldb, q->beta, q->C, q->ldc);
    }
}
