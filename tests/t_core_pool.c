/* repscope - MIT licence, see COPYING.
 *
 * t_core_pool.c: the thread pool (core/pool.h) under stress, with known
 * answers: every chunk of every job runs exactly once and its writes are
 * visible when rs_pool_run returns, over thousands of jobs of 1 to 37
 * chunks at 1, 2, 3 and 8 threads; rs_pool_for covers [0, n) exactly once
 * with aligned pieces of at least grain; a job posted from inside a
 * chunk, or by a second thread while a job runs, runs inline and still
 * complete; thread counts go up and down between jobs. No timing: the
 * iteration counts are fixed. Under --enable-tsan this is the pool's race
 * test.
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "core/pool.h"
#include "tests/tap.h"

#define MAX_CHUNKS 37
#define JOBS 3000

/* A job whose chunk c adds c + 1 to hits[c] (plain memory: the pool must
 * make it visible) and counts itself. */
struct count_job {
    long hits[MAX_CHUNKS];
    atomic_int calls;
    atomic_int elsewhere; /* chunks run on another thread than main's */
};

static pthread_t main_thread;

/* A few microseconds of work, so that helpers get to take chunks. */
static unsigned long
busy_work(int c)
{
    volatile unsigned long acc = (unsigned long)c;
    for (unsigned long i = 0; i < 4000; i++)
        acc = acc * 3 + i;
    return acc;
}

static void
count_chunk(void *ctx, int c)
{
    struct count_job *j = ctx;
    (void)busy_work(c);
    j->hits[c] += c + 1;
    atomic_fetch_add(&j->calls, 1);
    if (!pthread_equal(pthread_self(), main_thread))
        atomic_fetch_add(&j->elsewhere, 1);
}

/* JOBS jobs of 1..MAX_CHUNKS chunks at `threads` threads; each chunk must
 * have run exactly once per job. */
static void
test_run(int threads)
{
    rs_pool_set_threads(threads);
    tap_is_int(rs_pool_threads(), threads, "rs_pool_set_threads(%d)",
               threads);
    struct count_job j;
    memset(&j, 0, sizeof j);
    long want[MAX_CHUNKS] = {0};
    long calls = 0;
    for (int k = 0; k < JOBS; k++) {
        int n = 1 + k % MAX_CHUNKS;
        rs_pool_set_threads(threads); /* ends a back-off: keep helpers in */
        rs_pool_run(n, count_chunk, &j);
        for (int c = 0; c < n; c++)
            want[c] += c + 1;
        calls += n;
    }
    int bad = 0;
    for (int c = 0; c < MAX_CHUNKS; c++)
        bad += j.hits[c] != want[c];
    tap_is_int(bad, 0, "%d threads: %d jobs, every chunk ran once", threads,
               JOBS);
    tap_is_int(atomic_load(&j.calls), calls, "%d threads: %ld chunk calls",
               threads, calls);
    /* How many the helpers took depends on timing: a diagnostic only. */
    tap_diag("%d threads: %d of %ld chunks ran on helpers", threads,
             atomic_load(&j.elsewhere), calls);
}

/* rs_pool_for: x[i] += 1 over each piece; pieces recorded. */
struct for_job {
    int *x;
    size_t grain;
    atomic_int pieces;
    atomic_int short_pieces; /* shorter than grain, not ending at n */
    atomic_int unaligned;    /* a start that is not a multiple of 16 */
    size_t n;
};

static void
for_piece(void *ctx, size_t lo, size_t hi)
{
    struct for_job *f = ctx;
    for (size_t i = lo; i < hi; i++)
        f->x[i]++;
    atomic_fetch_add(&f->pieces, 1);
    if (hi - lo < f->grain && hi != f->n)
        atomic_fetch_add(&f->short_pieces, 1);
    if (lo % 16 != 0)
        atomic_fetch_add(&f->unaligned, 1);
}

static void
test_for(int threads)
{
    rs_pool_set_threads(threads);
    static const size_t ns[] = {0, 1, 15, 16, 17, 100, 1000, 4097, 65536};
    static const size_t grains[] = {1, 16, 100, 4096};
    int bad_cover = 0, bad_short = 0, bad_align = 0, bad_count = 0;
    for (int rep = 0; rep < 20; rep++)
        for (size_t a = 0; a < RS_ARRAY_LEN(ns); a++)
            for (size_t b = 0; b < RS_ARRAY_LEN(grains); b++) {
                size_t n = ns[a];
                struct for_job f = {.grain = grains[b], .n = n};
                f.x = rs_xcalloc(n + 1, sizeof *f.x);
                rs_pool_for(n, grains[b], for_piece, &f);
                for (size_t i = 0; i < n; i++)
                    bad_cover += f.x[i] != 1;
                bad_short += atomic_load(&f.short_pieces);
                bad_align += atomic_load(&f.unaligned);
                int p = atomic_load(&f.pieces);
                /* no call for n = 0; one piece below 2 grain; never more
                 * than two per thread */
                if (n == 0 ? p != 0
                           : (n < 2 * grains[b] ? p != 1
                                                : p < 1 || p > 2 * threads) ||
                                 (threads == 1 && p != 1))
                    bad_count++;
                free(f.x);
            }
    tap_is_int(bad_cover, 0, "%d threads: rs_pool_for covers [0, n) once",
               threads);
    tap_is_int(bad_short, 0, "%d threads: no piece shorter than grain",
               threads);
    tap_is_int(bad_align, 0, "%d threads: pieces start on 16 elements",
               threads);
    tap_is_int(bad_count, 0, "%d threads: piece counts in bounds", threads);
}

/* A chunk that posts a job of its own: it runs inline, in full. */
struct nest_job {
    struct count_job inner[8];
};

static void
nest_chunk(void *ctx, int c)
{
    struct nest_job *j = ctx;
    rs_pool_run(5, count_chunk, &j->inner[c]);
}

static void
test_nested(void)
{
    rs_pool_set_threads(2);
    struct nest_job j;
    memset(&j, 0, sizeof j);
    for (int k = 0; k < 200; k++)
        rs_pool_run(8, nest_chunk, &j);
    int bad = 0;
    for (int c = 0; c < 8; c++)
        for (int i = 0; i < 5; i++)
            bad += j.inner[c].hits[i] != 200L * (i + 1);
    tap_is_int(bad, 0, "jobs posted from inside chunks run in full");
}

/* Two threads posting at once: whichever finds the pool taken runs its
 * job itself; both answers stay exact. */
static void *
poster_main(void *arg)
{
    struct count_job *j = arg;
    for (int k = 0; k < 1000; k++)
        rs_pool_run(1 + k % 9, count_chunk, j);
    return NULL;
}

static void
test_two_posters(void)
{
    rs_pool_set_threads(2);
    struct count_job a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    pthread_t t;
    bool started = pthread_create(&t, NULL, poster_main, &b) == 0;
    poster_main(&a);
    if (started)
        pthread_join(t, NULL);
    else
        poster_main(&b);
    long want[9] = {0};
    for (int k = 0; k < 1000; k++)
        for (int c = 0; c < 1 + k % 9; c++)
            want[c] += c + 1;
    int bad = 0;
    for (int c = 0; c < 9; c++)
        bad += a.hits[c] != want[c] || b.hits[c] != want[c];
    tap_is_int(bad, 0, "two threads posting jobs at once: both exact");
}

/* Counts that change between jobs: the helpers stop and start again. */
static void
test_resize(void)
{
    static const int counts[] = {1, 3, 2, 1, 4, 8, 2, 0, 2};
    struct count_job j;
    memset(&j, 0, sizeof j);
    long want = 0;
    for (int r = 0; r < 5; r++)
        for (size_t i = 0; i < RS_ARRAY_LEN(counts); i++) {
            rs_pool_set_threads(counts[i]);
            for (int k = 0; k < 50; k++) {
                rs_pool_run(6, count_chunk, &j);
                want += 6;
            }
        }
    tap_is_int(atomic_load(&j.calls), want,
               "thread counts up and down between jobs: every chunk ran");
    rs_pool_set_threads(0);
    tap_is_int(rs_pool_threads(), 1, "counts below 1 clamp to 1");
    rs_pool_set_threads(RS_POOL_MAX + 5);
    tap_is_int(rs_pool_threads(), RS_POOL_MAX, "counts above the most clamp");
    tap_ok(rs_pool_width() >= 1 && rs_pool_width() <= RS_POOL_MAX,
           "rs_pool_width in [1, threads]");
    rs_pool_set_threads(1);
    tap_is_int(rs_pool_width(), 1, "one thread: width 1");
}

int
main(void)
{
    tap_plan_lazy();
    main_thread = pthread_self();
    static const int threads[] = {1, 2, 3, 8};
    for (size_t i = 0; i < RS_ARRAY_LEN(threads); i++) {
        test_run(threads[i]);
        test_for(threads[i]);
    }
    test_nested();
    test_two_posters();
    test_resize();
    rs_pool_set_threads(1);
    return tap_done();
}
