/* repscope - MIT licence, see COPYING.
 *
 * pool.h: the engine's one thread pool. rs_pool_set_threads(n) keeps
 * n - 1 helper threads; rs_pool_run hands them and the calling thread the
 * chunks of one job (a GEMM from core/blas.c, an optimiser update, an
 * elementwise loop) and returns when every chunk is done.
 *
 * The count comes from rs_blas_set_threads (core/blas.h), which decides
 * whether this pool or OpenBLAS's runs the GEMMs; other code only posts
 * jobs. Between jobs a helper spins for a couple of milliseconds (a training
 * step posts jobs every few microseconds to a few hundred), then sleeps.
 * It is the only pool that spins: core/blas.c holds OpenBLAS at one
 * thread while this one has helpers (two spinning pools on 2 cores are
 * slower than one thread).
 *
 * Results never depend on the pool: a job's chunks must write disjoint
 * memory and compute the same values whichever thread runs them, in any
 * order. (Reductions therefore use a fixed split, not one per thread.)
 *
 * Threads: any thread may call rs_pool_run and rs_pool_for. One job runs
 * at a time; a call that finds the pool taken (another thread's job, or a
 * call from inside a chunk) runs its chunks itself, in order. The pool
 * also runs jobs alone for a while when the helpers cost more time than
 * they saved, which happens when other programs occupy the cores (see
 * pool.c).
 */
#ifndef RS_CORE_POOL_H
#define RS_CORE_POOL_H

#include <stdbool.h>
#include <stddef.h>

/* Chunk c (0 <= c < nchunks) of a job; ctx is the caller's. */
typedef void (*rs_pool_fn)(void *ctx, int c);
/* Elements [lo, hi) of a parallel for. */
typedef void (*rs_pool_range_fn)(void *ctx, size_t lo, size_t hi);

/* Use n threads in all (the caller and n - 1 helpers; values below 1 mean
 * 1, above RS_POOL_MAX mean RS_POOL_MAX). Lowering the count stops the
 * helpers; they start again on the first job that wants them. Ends a
 * back-off. Waits for a running job to finish. */
#define RS_POOL_MAX 8
void rs_pool_set_threads(int n);
/* The count set by rs_pool_set_threads (1 until it is called). */
int rs_pool_threads(void);
/* The threads a job posted now would get: rs_pool_threads(), or 1 when
 * the pool is taken or backing off. For planning a split; a job may still
 * end up on fewer threads. */
int rs_pool_width(void);

/* Run fn(ctx, c) for every c in [0, nchunks) on this thread and the
 * helpers; returns when all have returned. nchunks may be 0. */
void rs_pool_run(int nchunks, rs_pool_fn fn, void *ctx);

/* fn(ctx, lo, hi) over pieces covering [0, n) exactly once. In parallel
 * when the pool has helpers and n holds at least two grains (grain
 * rounded up to a multiple of 16): at most two pieces per thread, each of
 * at least grain elements, every boundary but n a multiple of 16 elements
 * (no two pieces share a 64-byte line of floats). Otherwise one call
 * fn(ctx, 0, n) on this thread. n may be 0 (no call). grain >= 1: the
 * fewest elements worth handing to another thread.
 *
 * An elementwise node runs its kernel on the pool like this (the kernel
 * being a pure loop over (out, in, n)):
 *
 *     struct unary_job { float *out; const float *in; };
 *     static void
 *     relu_piece(void *ctx, size_t lo, size_t hi)
 *     {
 *         const struct unary_job *j = ctx;
 *         relu_forward(j->out + lo, j->in + lo, hi - lo);
 *     }
 *     ...
 *     struct unary_job j = {n->out->data, n->src[0]->data};
 *     rs_pool_for(n->out->numel, RS_POOL_GRAIN_MEM, relu_piece, &j);
 *
 * Grains: handing a piece to a helper costs about a microsecond; a piece
 * should hold a few microseconds of work. */
#define RS_POOL_GRAIN_MEM 16384 /* loads and stores only: add, relu, copy */
#define RS_POOL_GRAIN_MATH 4096 /* exp, tanh, gelu, ...: ~1 ns an element */
void rs_pool_for(size_t n, size_t grain, rs_pool_range_fn fn, void *ctx);

/* Whether the pool backs off under contention (true, the default); false
 * keeps handing jobs to the helpers whatever they cost, for benchmarks
 * that measure the pool itself. */
void rs_pool_set_backoff(bool on);

/* What the pool did since the last reset, for benchmarks: jobs handed to
 * helpers, jobs of several chunks run alone (one thread, pool taken, or
 * backing off), back-offs begun, chunks the helpers ran, times a helper
 * woke from sleep, seconds from posting a job to its end, of those the
 * seconds the poster waited for helpers' chunks after its own, and the
 * seconds the helpers saved (estimated from the poster's pace on its own
 * chunks; negative when they cost time). */
struct rs_pool_stats {
    long jobs, alone, backoffs, helped, wakes;
    double job_s, wait_s, gain_s;
};
/* Copy the counters out (waits for a running job to finish). */
void rs_pool_stats(struct rs_pool_stats *st);
void rs_pool_stats_reset(void);

#endif /* RS_CORE_POOL_H */
