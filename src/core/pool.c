/* repscope - MIT licence, see COPYING.
 *
 * pool.c: the thread pool of pool.h.
 *
 * A job is (fn, ctx, nchunks) and a number. Its chunks are cut into one
 * share per thread (the caller's first, then each helper's), and each
 * share has a 64-bit ticket: the job's number in the high 32 bits, the
 * next chunk of the share in the low 32. A thread takes chunks of its own
 * share by compare-and-swap on its ticket, then steals what is left of
 * the others'. So consecutive jobs over the same data give each thread the
 * same part of it while the threads keep pace (activations stay in that
 * core's cache), and a helper that wakes late, after its job is over,
 * finds other numbers in the tickets and takes nothing: the caller never
 * waits for a helper to arrive, only for the chunks that were taken to
 * finish (a count). When they are all done the caller closes every share
 * (low half all ones, so no compare-and-swap on the old number can
 * succeed) before it writes the next job; a helper that read a
 * half-written job description therefore never runs a chunk of it.
 *
 * A helper spins for the next job number for POOL_SPIN_S, then sleeps on
 * a condition variable; the poster broadcasts only when some helper
 * sleeps (both sides sequentially consistent: the poster stores the
 * job number then reads the sleeper count, a helper counts itself then
 * reads the number, so one of them sees the other).
 *
 * Contention back-off: when another program keeps a core busy, a helper
 * can be descheduled in the middle of a chunk and the caller waits a
 * whole time slice for it, or share the caller's core and slow it down.
 * So every job is judged: had the caller run all n chunks at the pace of
 * its own m, the job would have taken (its time for them) n / m; the
 * difference to the real time is what the pool gained (negative: lost).
 * Over each POOL_WINDOW_S of job time the gains are added up; a window
 * that lost time overall sends jobs to the caller alone for a back-off
 * (POOL_BACKOFF_S, doubling up to POOL_BACKOFF_MAX_S while the windows
 * after it also lose), and the helpers go to sleep. A single late chunk
 * (a helper descheduled for a moment) costs less than the window gained,
 * so a quiet machine does not back off. Since a split never changes a
 * result, neither does this.
 *
 * The "busy" flag makes one job at a time: a poster takes it with an
 * atomic exchange and runs the job alone when it is taken (another
 * thread's job, or a chunk posting a job of its own).
 */
#include "config.h"

#include "core/pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h> /* _mm_pause */
#define cpu_relax() _mm_pause()
#else
#define cpu_relax() ((void)0)
#endif

#include "core/base.h"

#define POOL_SPIN_S 2e-3    /* a helper's spin for a job before sleeping */
#define POOL_PAUSE_S 200e-6 /* the caller's spin for chunks; then yield */
#define POOL_WINDOW_S 20e-3 /* job time over which the pool is judged */
#define POOL_BACKOFF_S 0.1  /* first back-off; doubles while retries fail */
#define POOL_BACKOFF_MAX_S 3.2
#define CLOSED 0xFFFFFFFFu /* ticket low half: the share is closed */
#define PIECE_ALIGN 16     /* rs_pool_for boundaries: floats per line */

/* Thread i's share of a job: chunks [i n / S, (i + 1) n / S) of n for S
 * threads, taken from the front by compare-and-swap on the ticket (the
 * job's number << 32 | the next chunk). One cache line each. */
struct share {
    _Alignas(64) _Atomic uint64_t ticket;
};

struct pool {
    atomic_int threads; /* the count set, 1..RS_POOL_MAX; written under busy */
    /* Written by the thread holding busy (or before helpers exist). */
    int nhelpers;
    bool start_failed; /* pthread_create failed: alone until a new count */
    pthread_t tid[RS_POOL_MAX];
    /* The back-off, also under busy. */
    double win_gain;  /* this window: time the pool saved (or lost) */
    double win_time;  /* this window: time in jobs so far */
    double off_until; /* rs_time_now() before which jobs run alone */
    double backoff;   /* the next back-off, doubling while it fails */
    struct rs_pool_stats st; /* under busy */
    bool no_backoff;         /* under busy */

    atomic_bool busy; /* a thread is posting or running a job */
    atomic_bool quit; /* helpers exit */
    atomic_uint job;  /* the current job's number; helpers wait for news */
    struct share share[RS_POOL_MAX];
    atomic_int finished; /* chunks of the current job done */
    /* The current job. Atomic (relaxed) only because a late helper may
     * read them while the next job is written; see take_chunks. */
    _Atomic(rs_pool_fn) fn;
    _Atomic(void *) ctx;
    atomic_int nchunks;
    atomic_int nshares;
    atomic_int sleepers; /* helpers blocked on cv, or about to be */
    atomic_long helped;  /* chunks run by helpers, for rs_pool_stats */
    atomic_long wakes;   /* helpers woken from sleep, for rs_pool_stats */
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

static struct pool pool = {
    .threads = 1,
    .backoff = POOL_BACKOFF_S,
    .mu = PTHREAD_MUTEX_INITIALIZER,
    .cv = PTHREAD_COND_INITIALIZER,
};

static uint32_t
ticket_job(uint64_t t)
{
    return (uint32_t)(t >> 32);
}

/* First chunk of share i of S over n chunks. */
static uint32_t
share_start(uint32_t n, uint32_t S, uint32_t i)
{
    return (uint32_t)((uint64_t)n * i / S);
}

/* Take and run chunks of job `job` (whose description this thread read
 * after seeing the number): thread `me`'s own share first, front to back,
 * then what is left of the others' (so a thread keeps working on the same
 * part of consecutive jobs' data while the threads keep pace, and no
 * thread idles while chunks remain). Returns how many this thread ran.
 * A successful swap happens before the caller's close of that share
 * (release here, acquire there), and the close before the next
 * description is written: so a thread whose swap succeeds read this
 * job's fn, ctx and counts, not a mix. */
static int
take_chunks(uint32_t job, int me)
{
    rs_pool_fn fn = atomic_load_explicit(&pool.fn, memory_order_relaxed);
    void *ctx = atomic_load_explicit(&pool.ctx, memory_order_relaxed);
    uint32_t n =
        (uint32_t)atomic_load_explicit(&pool.nchunks, memory_order_relaxed);
    uint32_t S =
        (uint32_t)atomic_load_explicit(&pool.nshares, memory_order_relaxed);
    if (S < 1 || S > RS_POOL_MAX)
        return 0; /* a description being rewritten: not our job */
    int ran = 0;
    for (uint32_t k = 0; k < S; k++) {
        uint32_t i = ((uint32_t)me + k) % S;
        uint32_t end = share_start(n, S, i + 1);
        _Atomic uint64_t *tk = &pool.share[i].ticket;
        uint64_t t = atomic_load_explicit(tk, memory_order_acquire);
        while (ticket_job(t) == job && (uint32_t)t < end) {
            if (!atomic_compare_exchange_weak_explicit(
                    tk, &t, t + 1, memory_order_acq_rel, memory_order_acquire))
                continue; /* t holds the new value */
            fn(ctx, (int)(uint32_t)t);
            atomic_fetch_add_explicit(&pool.finished, 1, memory_order_release);
            ran++;
            t = t + 1; /* the likely value; a failed swap corrects it */
        }
    }
    return ran;
}

/* A helper: wait for a job number after `seen` (spin, then sleep), take
 * its chunks, repeat until told to quit. */
static void *
helper_main(void *arg)
{
    int me = (int)(intptr_t)arg; /* 1.., the caller is 0 */
    uint32_t seen = atomic_load(&pool.job); /* helpers_start: no job runs */
    for (;;) {
        double t0 = rs_time_now();
        uint32_t job;
        for (int spins = 0;; spins++) {
            job = atomic_load_explicit(&pool.job, memory_order_acquire);
            if (job != seen || atomic_load(&pool.quit))
                break;
            if (spins % 64 == 63 && rs_time_now() - t0 > POOL_SPIN_S) {
                pthread_mutex_lock(&pool.mu);
                atomic_fetch_add(&pool.sleepers, 1);
                while (atomic_load(&pool.job) == seen &&
                       !atomic_load(&pool.quit))
                    pthread_cond_wait(&pool.cv, &pool.mu);
                atomic_fetch_sub(&pool.sleepers, 1);
                pthread_mutex_unlock(&pool.mu);
                atomic_fetch_add_explicit(&pool.wakes, 1, memory_order_relaxed);
                t0 = rs_time_now();
            }
            cpu_relax();
        }
        if (atomic_load(&pool.quit))
            return NULL;
        seen = job;
        int ran = take_chunks(job, me);
        if (ran > 0)
            atomic_fetch_add_explicit(&pool.helped, ran, memory_order_relaxed);
    }
}

/* Stop and join the helpers (with busy held, or at exit). */
static void
helpers_stop(void)
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

static void
stop_at_exit(void)
{
    /* Only when no job runs: exit() from inside a chunk leaves them. */
    if (!atomic_exchange(&pool.busy, true))
        helpers_stop();
}

/* Make sure pool.threads - 1 helpers run (busy held); false if threads
 * cannot be created (then jobs run on the caller alone). */
static bool
helpers_start(void)
{
    int n = atomic_load(&pool.threads) - 1;
    if (pool.nhelpers == n)
        return true;
    if (pool.start_failed)
        return false;
    helpers_stop();
    for (int i = 0; i < n; i++) {
        if (pthread_create(&pool.tid[i], NULL, helper_main,
                           (void *)(intptr_t)(i + 1)) != 0) {
            helpers_stop();
            pool.start_failed = true;
            return false;
        }
        pool.nhelpers = i + 1;
    }
    static bool registered;
    if (!registered)
        registered = atexit(stop_at_exit) == 0;
    return true;
}

/* Take the busy flag, waiting for a job of another thread to end. */
static void
busy_wait_take(void)
{
    while (atomic_exchange(&pool.busy, true))
        sched_yield();
}

void
rs_pool_set_threads(int n)
{
    if (n < 1)
        n = 1;
    if (n > RS_POOL_MAX)
        n = RS_POOL_MAX;
    busy_wait_take();
    if (n < atomic_load(&pool.threads) || n == 1)
        helpers_stop(); /* started again on demand */
    atomic_store(&pool.threads, n);
    pool.start_failed = false;
    pool.win_gain = pool.win_time = 0.0;
    pool.off_until = 0.0;
    pool.backoff = POOL_BACKOFF_S;
    atomic_store(&pool.busy, false);
}

int
rs_pool_threads(void)
{
    return atomic_load_explicit(&pool.threads, memory_order_relaxed);
}

/* Whether a job now should run on the caller alone (busy held). */
static bool
backing_off(void)
{
    return pool.off_until > 0.0 && rs_time_now() < pool.off_until;
}

int
rs_pool_width(void)
{
    if (atomic_exchange(&pool.busy, true))
        return 1;
    int n = backing_off() ? 1 : atomic_load(&pool.threads);
    atomic_store(&pool.busy, false);
    return n;
}

/* Judge a job for the back-off: t0 posted, t1 the caller found no chunk
 * left, t2 all done; mine of n chunks ran on the caller. */
static void
account(double t0, double t1, double t2, int mine, int n)
{
    double real = t2 - t0;
    double alone = mine > 0 ? (t1 - t0) * n / mine : real;
    pool.st.gain_s += alone - real;
    if (pool.no_backoff)
        return;
    pool.win_gain += alone - real;
    pool.win_time += real;
    if (pool.win_time < POOL_WINDOW_S)
        return;
    if (pool.win_gain < 0.0) {
        pool.st.backoffs++;
        pool.off_until = t2 + pool.backoff;
        pool.backoff = pool.backoff * 2 < POOL_BACKOFF_MAX_S
                           ? pool.backoff * 2
                           : POOL_BACKOFF_MAX_S;
    } else {
        pool.backoff = POOL_BACKOFF_S;
    }
    pool.win_gain = pool.win_time = 0.0;
}

void
rs_pool_run(int nchunks, rs_pool_fn fn, void *ctx)
{
    RS_ASSERT(nchunks >= 0);
    if (nchunks == 0)
        return;
    bool taken = atomic_exchange(&pool.busy, true);
    if (taken || nchunks == 1 || atomic_load(&pool.threads) == 1 ||
        backing_off() ||
        !helpers_start()) {
        for (int c = 0; c < nchunks; c++)
            fn(ctx, c);
        if (!taken) {
            pool.st.alone += nchunks > 1;
            atomic_store(&pool.busy, false);
        }
        return;
    }
    /* The old job's shares are closed (see the end); describe the new
     * job, open its shares, then publish its number. */
    uint32_t job = atomic_load(&pool.job) + 1;
    int S = atomic_load(&pool.threads);
    atomic_store_explicit(&pool.fn, fn, memory_order_relaxed);
    atomic_store_explicit(&pool.ctx, ctx, memory_order_relaxed);
    atomic_store_explicit(&pool.nchunks, nchunks, memory_order_relaxed);
    atomic_store_explicit(&pool.nshares, S, memory_order_relaxed);
    atomic_store_explicit(&pool.finished, 0, memory_order_relaxed);
    for (int i = 0; i < S; i++)
        atomic_store_explicit(
            &pool.share[i].ticket,
            (uint64_t)job << 32 |
                share_start((uint32_t)nchunks, (uint32_t)S, (uint32_t)i),
            memory_order_relaxed);
    double t0 = rs_time_now();
    atomic_store(&pool.job, job); /* seq_cst: pairs with the sleepers */
    if (atomic_load(&pool.sleepers) > 0) {
        pthread_mutex_lock(&pool.mu);
        pthread_cond_broadcast(&pool.cv);
        pthread_mutex_unlock(&pool.mu);
    }
    int mine = take_chunks(job, 0);
    double t1 = rs_time_now(), t = t1;
    for (int spins = 0; atomic_load_explicit(&pool.finished,
                                             memory_order_acquire) < nchunks;
         spins++) {
        if (spins % 64 == 63)
            t = rs_time_now();
        if (t - t1 < POOL_PAUSE_S)
            cpu_relax();
        else
            sched_yield(); /* a descheduled helper gets the core back */
    }
    /* Close: every successful swap on this job is now before these. */
    for (int i = 0; i < S; i++)
        (void)atomic_exchange_explicit(&pool.share[i].ticket,
                                       (uint64_t)job << 32 | CLOSED,
                                       memory_order_acq_rel);
    double t2 = rs_time_now();
    account(t0, t1, t2, mine, nchunks);
    pool.st.jobs++;
    pool.st.job_s += t2 - t0;
    pool.st.wait_s += t2 - t1;
    atomic_store(&pool.busy, false);
}

void
rs_pool_set_backoff(bool on)
{
    busy_wait_take();
    pool.no_backoff = !on;
    if (!on)
        pool.off_until = 0.0;
    atomic_store(&pool.busy, false);
}

void
rs_pool_stats(struct rs_pool_stats *st)
{
    busy_wait_take();
    *st = pool.st;
    st->helped = atomic_load(&pool.helped);
    st->wakes = atomic_load(&pool.wakes);
    atomic_store(&pool.busy, false);
}

void
rs_pool_stats_reset(void)
{
    busy_wait_take();
    memset(&pool.st, 0, sizeof pool.st);
    atomic_store(&pool.helped, 0);
    atomic_store(&pool.wakes, 0);
    atomic_store(&pool.busy, false);
}

/* ---- parallel for ------------------------------------------------------ */

struct range_job {
    rs_pool_range_fn fn;
    void *ctx;
    size_t n;
    size_t blocks; /* whole PIECE_ALIGN blocks in n */
    int pieces;
};

/* Start of piece c of p over [0, n): an even share of the whole blocks
 * (the last piece also takes the partial block at the end). */
static size_t
piece_start(const struct range_job *r, int c)
{
    if (c >= r->pieces)
        return r->n;
    size_t uc = (size_t)c, up = (size_t)r->pieces;
    size_t b = r->blocks / up * uc + r->blocks % up * uc / up;
    return b * PIECE_ALIGN;
}

static void
range_chunk(void *ctx, int c)
{
    const struct range_job *r = ctx;
    size_t lo = piece_start(r, c), hi = piece_start(r, c + 1);
    if (lo < hi)
        r->fn(r->ctx, lo, hi);
}

void
rs_pool_for(size_t n, size_t grain, rs_pool_range_fn fn, void *ctx)
{
    RS_ASSERT(grain >= 1);
    if (n == 0)
        return;
    /* Pieces of whole blocks, at least ceil(grain / PIECE_ALIGN) each. */
    size_t blocks = n / PIECE_ALIGN;
    size_t most = blocks / ((grain + PIECE_ALIGN - 1) / PIECE_ALIGN);
    int threads = most >= 2 ? rs_pool_width() : 1;
    if (threads == 1) {
        fn(ctx, 0, n);
        return;
    }
    int pieces = 2 * threads;
    if ((size_t)pieces > most)
        pieces = (int)most;
    struct range_job r = {
        .fn = fn, .ctx = ctx, .n = n, .blocks = blocks, .pieces = pieces};
    rs_pool_run(pieces, range_chunk, &r);
}
