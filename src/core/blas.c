/* repscope - MIT licence, see COPYING.
 *
 * blas.c: row-major SGEMM: OpenBLAS, or on AVX-512 CPUs our own kernel
 * (blas_kernel.c) for the small shapes the engine runs every step, on
 * this file's thread pool.
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
 * Threads: with AVX-512 and more than one thread allowed, GEMMs from
 * POOL_MIN_MACS up are cut into chunks of C run by the calling thread and
 * this file's helper threads (the pool below), while OpenBLAS is held at
 * one thread so that its own pool never spins against ours. Without
 * AVX-512, OpenBLAS's pool is used per call from PAR_MIN_MACS up. OpenBLAS
 * keeps one process-wide thread count; this file remembers the count last
 * handed to it and calls openblas_set_num_threads only on a change. Worker
 * thread only (the packing space is per thread, the pool is not).
 */
#include "config.h"

#include "core/blas.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#if defined(__x86_64__)
#include <immintrin.h> /* _mm_pause */
#endif

#include "core/base.h"
#include "core/blas_kernel.h"
#include "core/cpu.h"


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

#if RS_HAVE_AVX512_KERNEL
static void pool_stop(void);
#endif

void
rs_blas_set_threads(int n)
{
    if (n < 1)
        n = 1;
    max_threads = n;
    cur_threads = 0;
    use_threads(1); /* raised per call in openblas_sgemm when it pays */
#if RS_HAVE_AVX512_KERNEL
    if (n == 1)
        pool_stop(); /* the helpers exit; started again on demand */
#endif
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

/* ---- the GEMM pool --------------------------------------------------------
 * max_threads - 1 helper threads and the calling thread take the chunks of
 * one GEMM from a shared counter. OpenBLAS is held at one thread meanwhile,
 * so only this pool ever spins (OpenBLAS's own pool busy-waits; measured
 * on Debian 12's OpenBLAS 0.3.21 on 2 cores, a second spinning pool made
 * 2 threads slower than 1: PyTorch's grokking MLP ran 35.6 steps/s at 1
 * thread, 15.0 at 2). A helper spins for work POOL_SPIN_S after its last
 * job (a training step issues GEMMs every few hundred microseconds), then
 * sleeps on a condition variable. Jobs are numbered; the caller waits for
 * every helper to report the number back. One thread posts jobs (the
 * GEMM-issuing worker). */

#define POOL_MAX 8
#define POOL_SPIN_S 2e-3    /* a helper's spin for work before sleeping */
#define POOL_PAUSE_S 200e-6 /* the caller's spin for helpers; then yield */
#define POOL_SLOW_JOBS 3    /* late-helper jobs in a row before backing off */
#define POOL_BACKOFF_S 0.1  /* first back-off; doubles while retries fail */
#define POOL_BACKOFF_MAX_S 3.2

struct pool {
    int nhelpers;
    pthread_t tid[POOL_MAX];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_uint seq;            /* last job posted */
    atomic_uint done[POOL_MAX]; /* last job finished, per helper */
    atomic_int sleepers;        /* helpers blocked (or about to) */
    atomic_bool quit;
    atomic_int next; /* next chunk of the current job */
    const struct rs_gemm *job;
    const struct rs_gemm_plan *plan;
    /* Contention back-off (caller's thread only): see pool_run. */
    int slow;         /* consecutive jobs that waited on a late helper */
    double off_until; /* rs_time_now() before which GEMMs run alone */
    double backoff;   /* the next back-off, doubling while it fails */
};

static struct pool pool = {
    .mu = PTHREAD_MUTEX_INITIALIZER,
    .cv = PTHREAD_COND_INITIALIZER,
    .backoff = POOL_BACKOFF_S,
};

/* Take chunks of the current job until none is left; returns how many
 * this thread ran. */
static int
run_chunks(const struct rs_gemm *g, const struct rs_gemm_plan *pl)
{
    int c, n = 0;
    while ((c = atomic_fetch_add(&pool.next, 1)) < pl->chunks) {
        rs_gemm_chunk(g, pl, c);
        n++;
    }
    return n;
}

/* Wait until *word equals v (until_equal: the caller waiting for a helper
 * to finish job v) or differs from v (a helper waiting for a job after v).
 * Pause-spin for the first `pause` seconds, then yield the core between
 * looks (a descheduled partner gets it back), for at most `limit` seconds.
 * (sched_yield while the partner is about to post work costs 2x on this
 * VM, so helpers only pause.) Returns false on timeout or when the pool is
 * told to quit. */
static bool
pool_wait(atomic_uint *word, unsigned v, bool until_equal, double pause,
          double limit)
{
    double t0 = rs_time_now(), t = 0.0;
    for (int spins = 0;; spins++) {
        unsigned w = atomic_load(word);
        if (until_equal ? w == v : w != v)
            return true;
        if (atomic_load(&pool.quit))
            return false;
        if (spins % 64 == 63) {
            t = rs_time_now() - t0;
            if (t > limit)
                return false;
        }
        if (t < pause)
            _mm_pause();
        else
            sched_yield();
    }
}

static void *
pool_main(void *arg)
{
    int me = (int)(intptr_t)arg; /* helper index */
    /* The job number when this helper was created (pool_start sets it
     * before pthread_create; pool.seq may have moved on already). */
    unsigned seen = atomic_load(&pool.done[me]);
    for (;;) {
        if (!pool_wait(&pool.seq, seen, false, POOL_SPIN_S, POOL_SPIN_S) &&
            !atomic_load(&pool.quit)) {
            pthread_mutex_lock(&pool.mu);
            atomic_fetch_add(&pool.sleepers, 1);
            while (atomic_load(&pool.seq) == seen && !atomic_load(&pool.quit))
                pthread_cond_wait(&pool.cv, &pool.mu);
            atomic_fetch_sub(&pool.sleepers, 1);
            pthread_mutex_unlock(&pool.mu);
        }
        if (atomic_load(&pool.quit))
            return NULL; /* pack_key's destructor frees the packing space */
        seen = atomic_load(&pool.seq);
        (void)run_chunks(pool.job, pool.plan);
        atomic_store(&pool.done[me], seen);
    }
}

/* Stop and join the helpers (rs_blas_set_threads lowering the count, and
 * at exit). */
static void
pool_stop(void)
{
    if (pool.nhelpers == 0)
        return;
    pthread_mutex_lock(&pool.mu);
    atomic_store(&pool.quit, true);
    pthread_cond_broadcast(&pool.cv);
    pthread_mutex_unlock(&pool.mu);
    for (int i = 0; i < pool.nhelpers; i++)
        pthread_join(pool.tid[i], NULL);
    pool.nhelpers = 0;
    atomic_store(&pool.quit, false);
}

/* Make sure n helpers run; false if threads cannot be created (then the
 * caller computes alone). */
static bool
pool_start(int n)
{
    if (n > POOL_MAX)
        n = POOL_MAX;
    if (pool.nhelpers == n)
        return true;
    pool_stop();
    unsigned s = atomic_load(&pool.seq);
    for (int i = 0; i < n; i++) {
        atomic_store(&pool.done[i], s);
        if (pthread_create(&pool.tid[i], NULL, pool_main,
                           (void *)(intptr_t)i) != 0) {
            pool.nhelpers = i;
            pool_stop();
            return false;
        }
        pool.nhelpers = i + 1;
    }
    static bool registered;
    if (!registered)
        registered = atexit(pool_stop) == 0;
    return true;
}

/* Run g's chunks on this thread and the helpers; wait for all.
 *
 * When another program keeps a core busy, a helper can be descheduled in
 * the middle of a chunk and the caller waits a whole time slice for it,
 * or share the caller's core and take none of the work while its spinning
 * eats the caller's time: two threads then run slower than one. So the
 * caller watches: after POOL_SLOW_JOBS jobs in a row that either waited
 * longer for helpers than the caller's own share of the work took, or
 * left every chunk to the caller, GEMMs run on the calling thread alone
 * for a back-off (POOL_BACKOFF_S, doubling up to POOL_BACKOFF_MAX_S while
 * the retries also fail) and the helpers go to sleep. The split never
 * changes a result, so neither does this. */
static void
pool_run(const struct rs_gemm *g, const struct rs_gemm_plan *pl)
{
    pool.job = g;
    pool.plan = pl;
    atomic_store(&pool.next, 0);
    unsigned s = atomic_load(&pool.seq) + 1;
    double t0 = rs_time_now();
    atomic_store(&pool.seq, s); /* seq_cst: pairs with the sleepers count */
    if (atomic_load(&pool.sleepers) > 0) {
        pthread_mutex_lock(&pool.mu);
        pthread_cond_broadcast(&pool.cv);
        pthread_mutex_unlock(&pool.mu);
    }
    int mine = run_chunks(g, pl);
    double t1 = rs_time_now();
    for (int i = 0; i < pool.nhelpers; i++)
        pool_wait(&pool.done[i], s, true, POOL_PAUSE_S, 1e30);
    double t2 = rs_time_now();
    if (t2 - t1 <= (t1 - t0) + 20e-6 && mine < pl->chunks) {
        pool.slow = 0;
        pool.backoff = POOL_BACKOFF_S;
    } else if (++pool.slow >= POOL_SLOW_JOBS) {
        pool.slow = 0;
        pool.off_until = t2 + pool.backoff;
        pool.backoff = pool.backoff * 2 < POOL_BACKOFF_MAX_S
                           ? pool.backoff * 2
                           : POOL_BACKOFF_MAX_S;
    }
}

/* Whether the pool is in a contention back-off (see pool_run). */
static bool
pool_backing_off(void)
{
    return pool.off_until > 0.0 && rs_time_now() < pool.off_until;
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
    struct rs_gemm g = {
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
    struct rs_gemm_plan pl;
    if (threads > 1 && !pool_backing_off() && pool_start(threads - 1)) {
        rs_gemm_plan_for(&g, threads, &pl);
        pool_run(&g, &pl);
    } else {
        rs_gemm_plan_for(&g, 1, &pl);
        pl.chunks = 1;
        rs_gemm_chunk(&g, &pl, 0);
    }
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
own_threads(int M, int N, int K)
{
    return max_threads > 1 && (long)M * N * K >= POOL_MIN_MACS ? max_threads
                                                               : 1;
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
