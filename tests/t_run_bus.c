/* repscope - MIT licence, see COPYING.
 *
 * t_run_bus.c: the metric bus. Series downsampling is checked bucket by
 * bucket against a brute-force reference over the raw points (the span is
 * the smallest power of two that fits the points in RS_BUS_SERIES_CAP
 * buckets; min, max, last, count and step range exact, mean to float
 * rounding); version counters; matrix copies and labels; event and line
 * sequence numbers and the rings dropping the oldest; the wake pipe; a
 * deterministic backlog test (a reader holds the bus while the writer
 * publishes); and a bounded two-thread stress run in which the writer
 * only ever try-locks (publishes + deferred = writer calls) and readers
 * never see a torn series or matrix.
 */
#include "config.h"

#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "run/bus.h"
#include "tests/tap.h"

static double
value_at(long i)
{
    /* Values with some structure and both signs. */
    return sin((double)i * 0.37) * (double)(i % 101) + 0.25 * (double)(i % 7);
}

/* Smallest power-of-two span s with ceil(n / s) <= CAP. */
static long
expected_span(long n)
{
    long s = 1;
    while ((n + s - 1) / s > RS_BUS_SERIES_CAP)
        s *= 2;
    return s;
}

/* Check the series against the raw points 1..n (value_at). */
static void
check_series(rs_bus *b, const char *name, long n)
{
    struct rs_bus_point *pt = rs_xcalloc(RS_BUS_SERIES_CAP + 1, sizeof(*pt));
    uint64_t ver = 0;
    size_t got = rs_bus_series_copy(b, name, pt, RS_BUS_SERIES_CAP + 1, &ver);
    long span = expected_span(n);
    size_t want = (size_t)((n + span - 1) / span);
    tap_is_int((long)got, (long)want,
               "%s: %ld points -> %zu buckets (span %ld)", name, n, want, span);
    tap_is_int((long)ver, n, "%s: version = number of pushes", name);
    long bad_range = 0, bad_minmax = 0, bad_last = 0, bad_mean = 0;
    double worst_mean = 0;
    long total = 0;
    for (size_t k = 0; k < got; k++) {
        long lo = (long)k * span + 1;
        long hi = lo + span - 1 < n ? lo + span - 1 : n;
        if (pt[k].step_lo != (double)lo || pt[k].step_hi != (double)hi ||
            pt[k].count != (uint32_t)(hi - lo + 1))
            bad_range++;
        float mn = INFINITY, mx = -INFINITY;
        double sum = 0;
        for (long i = lo; i <= hi; i++) {
            float v = (float)value_at(i);
            mn = v < mn ? v : mn;
            mx = v > mx ? v : mx;
            sum += value_at(i);
        }
        if (pt[k].min != mn || pt[k].max != mx)
            bad_minmax++;
        if (pt[k].last != (float)value_at(hi))
            bad_last++;
        double mean = sum / (double)(hi - lo + 1);
        double e = fabs((double)pt[k].mean - mean);
        worst_mean = e > worst_mean ? e : worst_mean;
        if (e > 1e-5 + 1e-6 * fabs(mean))
            bad_mean++;
        total += pt[k].count;
    }
    tap_is_int(total, n, "%s: counts add up to the points pushed", name);
    tap_is_int(bad_range, 0, "%s: every bucket covers its exact step range",
               name);
    tap_is_int(bad_minmax, 0, "%s: min and max exact in every bucket", name);
    tap_is_int(bad_last, 0, "%s: last value exact in every bucket", name);
    tap_ok(bad_mean == 0, "%s: means exact to float rounding (worst %.3g)",
           name, worst_mean);
    double st, v;
    tap_ok(rs_bus_series_last(b, name, &st, &v) && st == (double)n &&
               (float)v == (float)value_at(n),
           "%s: series_last is the newest point", name);
    free(pt);
}

static void
test_series(void)
{
    rs_bus *b = rs_bus_new();
    struct rs_bus_point pt[4];
    uint64_t ver = 7;
    tap_is_int((long)rs_bus_series_copy(b, "nope", pt, 4, &ver), 0,
               "absent series: 0 points");
    tap_is_int((long)ver, 0, "absent series: version 0");
    uint64_t g0 = rs_bus_version(b);
    /* Just under, exactly at, and well past the cap. */
    long sizes[] = {10, RS_BUS_SERIES_CAP, RS_BUS_SERIES_CAP + 1,
                    3 * RS_BUS_SERIES_CAP + 17, 200000};
    const char *names[] = {"a/small", "a/cap", "a/cap1", "a/three", "a/big"};
    for (int s = 0; s < 5; s++)
        for (long i = 1; i <= sizes[s]; i++)
            rs_bus_push(b, names[s], (double)i, value_at(i));
    tap_ok(rs_bus_version(b) > g0, "global version grew");
    for (int s = 0; s < 5; s++)
        check_series(b, names[s], sizes[s]);

    /* Non-finite values are not stored. */
    rs_bus_push(b, "a/small", 11, NAN);
    rs_bus_push(b, "a/small", 12, INFINITY);
    size_t n = rs_bus_series_copy(b, "a/small", pt, 4, &ver);
    tap_ok(n == 4 && ver == 10, "NaN and Inf pushes change nothing");
    double st, v;
    tap_ok(rs_bus_writer_last(b, "a/small", &st, &v) && st == 10 &&
               (float)v == (float)value_at(10),
           "writer_last: newest finite value and its step");
    tap_ok(!rs_bus_writer_last(b, "none", &st, &v),
           "writer_last: absent series");

    char names_out[3][RS_BUS_NAME_MAX];
    int count = rs_bus_series_names(b, names_out, 3);
    tap_is_int(count, 5, "series_names counts all series");
    tap_ok(strcmp(names_out[0], "a/big") == 0 &&
               strcmp(names_out[1], "a/cap") == 0 &&
               strcmp(names_out[2], "a/cap1") == 0,
           "series_names sorted, truncated to max");

    /* Long names are truncated consistently on both sides. */
    char longname[200];
    memset(longname, 'x', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    rs_bus_push(b, longname, 1, 2.0);
    tap_ok(rs_bus_series_copy(b, longname, pt, 4, NULL) == 1 &&
               pt[0].last == 2.0f,
           "a name longer than RS_BUS_NAME_MAX works (truncated)");
    rs_bus_free(b);
}

static void
test_matrices(void)
{
    rs_bus *b = rs_bus_new();
    float m1[12];
    for (int i = 0; i < 12; i++)
        m1[i] = (float)i * 0.5f - 1.0f;
    const char *rl[] = {"r0", "r1", "r2"};
    const char *cl[] = {"c0", "c1", "c2", "c3"};
    rs_bus_put_matrix(b, "spec/l1", 10, 3, 4, m1, rl, cl);
    float *data = NULL;
    size_t cap = 0;
    int rows = 0, cols = 0;
    double step = 0;
    uint64_t ver = 0;
    tap_ok(rs_bus_matrix_copy(b, "spec/l1", &data, &cap, &rows, &cols, &step,
                              &ver),
           "matrix copy");
    tap_ok(rows == 3 && cols == 4 && step == 10 && ver == 1 && cap >= 12,
           "shape, step, version 1, buffer grown");
    tap_is_floats(data, m1, 12, 0, 0, "matrix data copied exactly");
    char lab[16];
    tap_ok(rs_bus_matrix_label(b, "spec/l1", true, 2, lab, sizeof(lab)) &&
               strcmp(lab, "r2") == 0,
           "row label 2");
    tap_ok(rs_bus_matrix_label(b, "spec/l1", false, 3, lab, sizeof(lab)) &&
               strcmp(lab, "c3") == 0,
           "column label 3");
    tap_ok(!rs_bus_matrix_label(b, "spec/l1", false, 4, lab, sizeof(lab)),
           "label out of range: false");

    /* The writer's source may change after the call: the bus copied it. */
    m1[0] = 99;
    float m2[30];
    for (int i = 0; i < 30; i++)
        m2[i] = (float)(i * i);
    rs_bus_put_matrix(b, "spec/l1", 20, 5, 6, m2, NULL, NULL);
    tap_ok(rs_bus_matrix_copy(b, "spec/l1", &data, &cap, &rows, &cols, &step,
                              &ver) &&
               rows == 5 && cols == 6 && step == 20 && ver == 2 && cap >= 30,
           "replaced matrix: new shape, version 2, buffer regrown");
    tap_is_floats(data, m2, 30, 0, 0, "replaced matrix data");
    tap_ok(!rs_bus_matrix_label(b, "spec/l1", true, 0, lab, sizeof(lab)),
           "no labels after a put without labels");
    tap_ok(
        !rs_bus_matrix_copy(b, "absent", &data, &cap, &rows, &cols, NULL, NULL),
        "absent matrix: false");
    rs_bus_put_matrix(b, "a/first", 1, 1, 1, m2, NULL, NULL);
    char nm[4][RS_BUS_NAME_MAX];
    tap_ok(rs_bus_matrix_names(b, nm, 4) == 2 &&
               strcmp(nm[0], "a/first") == 0 && strcmp(nm[1], "spec/l1") == 0,
           "matrix_names sorted");
    rs_bus_put_matrix(b, "empty", 1, 0, 5, NULL, NULL, NULL);
    tap_ok(
        rs_bus_matrix_copy(b, "empty", &data, &cap, &rows, &cols, NULL, NULL) &&
            rows == 0 && cols == 5,
        "an empty (0, 5) matrix");
    free(data);
    rs_bus_free(b);
}

static void
test_events_lines(void)
{
    rs_bus *b = rs_bus_new();
    for (int i = 1; i <= 5; i++)
        rs_bus_event(b, i * 10, "event %d", i);
    struct rs_bus_event ev[RS_BUS_EVENTS_CAP];
    uint64_t last = 0;
    int n = rs_bus_events(b, 0, ev, 10, &last);
    tap_ok(n == 5 && last == 5 && strcmp(ev[0].text, "event 1") == 0 &&
               ev[4].step == 50,
           "5 events, sequence 1..5, oldest first");
    n = rs_bus_events(b, 3, ev, 10, &last);
    tap_ok(n == 2 && last == 5 && strcmp(ev[0].text, "event 4") == 0,
           "events after 3: 4 and 5");
    n = rs_bus_events(b, 0, ev, 2, &last);
    tap_ok(n == 2 && last == 2, "max 2: the first two, last = 2");
    n = rs_bus_events(b, 5, ev, 10, &last);
    tap_ok(n == 0 && last == 5, "nothing new: 0, last unchanged");
    for (int i = 6; i <= 300; i++)
        rs_bus_event(b, i, "event %d", i);
    n = rs_bus_events(b, 0, ev, RS_BUS_EVENTS_CAP, &last);
    char want[32];
    snprintf(want, sizeof(want), "event %d", 300 - RS_BUS_EVENTS_CAP + 1);
    tap_ok(n == RS_BUS_EVENTS_CAP && last == 300 &&
               strcmp(ev[0].text, want) == 0,
           "the ring keeps the newest %d events", RS_BUS_EVENTS_CAP);

    static char lines[8][RS_BUS_LINE_MAX];
    rs_bus_print(b, "hello");
    rs_bus_print(b, "world");
    n = rs_bus_lines(b, 0, lines, 8, &last);
    tap_ok(n == 2 && last == 2 && strcmp(lines[1], "world") == 0,
           "console lines in order with their own sequence");
    char big[1200] = "";
    for (int i = 0; i < 300; i++)
        strcat(big, "\xc3\xa9"); /* e acute, 2 bytes */
    rs_bus_print(b, big);
    n = rs_bus_lines(b, 2, lines, 8, &last);
    size_t len = n == 1 ? strlen(lines[0]) : 0;
    tap_ok(n == 1 && len == RS_BUS_LINE_MAX - 2 && len % 2 == 0 &&
               memcmp(lines[0], big, len) == 0,
           "a long line is cut at a UTF-8 boundary (%zu bytes)", len);
    char *views = rs_bus_views(b);
    tap_ok(views == NULL, "no views yet");
    rs_bus_set_views(b, "[{\"kind\":\"chart\"}]");
    views = rs_bus_views(b);
    tap_is_str(views, "[{\"kind\":\"chart\"}]", "views copied out");
    free(views);
    struct rs_bus_status st = {.state = RS_SESSION_PAUSED, .step = 42};
    snprintf(st.message, sizeof(st.message), "hi");
    rs_bus_set_status(b, &st);
    struct rs_bus_status out;
    rs_bus_status(b, &out);
    tap_ok(out.state == RS_SESSION_PAUSED && out.step == 42 &&
               strcmp(out.message, "hi") == 0,
           "status copied out");
    tap_is_str(rs_session_state_name(RS_SESSION_FAILED), "failed",
               "state names");
    rs_bus_free(b);
}

static bool
readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0;
}

static void
test_wake(void)
{
    rs_bus *b = rs_bus_new();
    int fd = rs_bus_wake_fd(b);
    tap_ok(!readable(fd), "wake pipe idle at first");
    rs_bus_push(b, "x", 1, 1);
    tap_ok(readable(fd), "readable after a publish");
    for (int i = 0; i < 10000; i++)
        rs_bus_push(b, "x", i + 2, 1); /* would fill a pipe if unchecked */
    rs_bus_drain_wake(b);
    tap_ok(!readable(fd), "drained");
    rs_bus_event(b, 1, "e");
    tap_ok(readable(fd), "readable again after the next publish");
    rs_bus_drain_wake(b);
    rs_bus_free(b);
}

/* A reader thread that holds the bus until told to let go. */
struct holder {
    rs_bus *b;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int phase;    /* 1: holding, 2: release */
    size_t inner; /* points seen by a nested reader call */
};

static void *
hold_bus(void *arg)
{
    struct holder *h = arg;
    rs_bus_read_begin(h->b);
    /* Reader calls nest inside the held section. */
    struct rs_bus_point pt[4];
    h->inner = rs_bus_series_copy(h->b, "held", pt, 4, NULL);
    pthread_mutex_lock(&h->mu);
    h->phase = 1;
    pthread_cond_broadcast(&h->cv);
    while (h->phase != 2)
        pthread_cond_wait(&h->cv, &h->mu);
    pthread_mutex_unlock(&h->mu);
    rs_bus_read_end(h->b);
    return NULL;
}

static void
test_backlog(void)
{
    rs_bus *b = rs_bus_new();
    rs_bus_push(b, "held", 0, 5);
    struct holder h = {.b = b};
    pthread_mutex_init(&h.mu, NULL);
    pthread_cond_init(&h.cv, NULL);
    pthread_t th;
    pthread_create(&th, NULL, hold_bus, &h);
    pthread_mutex_lock(&h.mu);
    while (h.phase != 1)
        pthread_cond_wait(&h.cv, &h.mu);
    pthread_mutex_unlock(&h.mu);
    tap_is_int((long)h.inner, 1, "a reader call nests in read_begin");

    struct rs_bus_stats s0, s1;
    rs_bus_stats(b, &s0);
    uint64_t v0 = rs_bus_version(b);
    /* The writer goes on while a reader holds the bus. */
    for (int i = 1; i <= 100; i++)
        rs_bus_push(b, "held", i, i);
    float m[4] = {1, 2, 3, 4};
    rs_bus_put_matrix(b, "m", 1, 2, 2, m, NULL, NULL);
    rs_bus_event(b, 1, "while held");
    tap_ok(!rs_bus_try_flush(b), "try_flush fails while a reader holds");
    rs_bus_stats(b, &s1);
    tap_is_int((long)(s1.deferred - s0.deferred), 103,
               "102 writer calls + 1 try_flush deferred, none waited");
    tap_is_int((long)(s1.publishes - s0.publishes), 0, "nothing published");
    tap_ok(rs_bus_version(b) == v0, "global version unchanged");

    pthread_mutex_lock(&h.mu);
    h.phase = 2;
    pthread_cond_broadcast(&h.cv);
    pthread_mutex_unlock(&h.mu);
    pthread_join(th, NULL);

    struct rs_bus_point pt[4];
    uint64_t ver;
    tap_is_int((long)rs_bus_series_copy(b, "held", pt, 4, &ver), 1,
               "readers still see the old state before the writer returns");
    tap_ok(rs_bus_try_flush(b), "try_flush publishes the backlog");
    tap_ok(rs_bus_try_flush(b), "and then has nothing left");
    tap_is_int((long)rs_bus_series_copy(b, "held", pt, 4, &ver), 4,
               "then all 101 points are there (4 buckets copied)");
    tap_is_int((long)ver, 101, "with version 101");
    struct rs_bus_point *all = rs_xcalloc(200, sizeof(*all));
    size_t n = rs_bus_series_copy(b, "held", all, 200, NULL);
    tap_ok(n == 101 && all[100].last == 100.0f && all[0].last == 5.0f,
           "every deferred point published in order");
    free(all);
    float *data = NULL;
    size_t cap = 0;
    int r, c;
    tap_ok(rs_bus_matrix_copy(b, "m", &data, &cap, &r, &c, NULL, NULL) &&
               r == 2 && data[3] == 4.0f,
           "deferred matrix published");
    free(data);
    struct rs_bus_event ev[4];
    uint64_t last;
    tap_ok(rs_bus_events(b, 0, ev, 4, &last) == 1 &&
               strcmp(ev[0].text, "while held") == 0,
           "deferred event published");
    pthread_cond_destroy(&h.cv);
    pthread_mutex_destroy(&h.mu);
    rs_bus_free(b);
}

/* ---- stress ---------------------------------------------------------- */

#define STRESS_STEPS 60000
#define STRESS_READERS 2

struct stress {
    rs_bus *b;
    atomic_bool done;
    long writer_calls;
};

struct reader {
    struct stress *st;
    long reads, torn_series, torn_matrix, bad_version, bad_events;
};

static double
stress_value(long i)
{
    return (double)(i % 17);
}

static void *
stress_writer(void *arg)
{
    struct stress *st = arg;
    float *m = rs_xmalloc(64 * sizeof(float));
    long calls = 0;
    for (long i = 1; i <= STRESS_STEPS; i++) {
        rs_bus_push(st->b, "s/a", (double)i, stress_value(i));
        rs_bus_push(st->b, "s/b", (double)i, -stress_value(i));
        calls += 2;
        if (i % 50 == 0) {
            /* A matrix whose every entry and shape encode one version. */
            int rows = 1 + (int)(i % 7), cols = 1 + (int)(i % 5);
            for (int k = 0; k < rows * cols; k++)
                m[k] = (float)i;
            char lab[32];
            snprintf(lab, sizeof(lab), "%ld", i);
            const char *rl[8];
            for (int k = 0; k < rows; k++)
                rl[k] = lab;
            rs_bus_put_matrix(st->b, "m", (double)i, rows, cols, m, rl, NULL);
            calls++;
        }
        if (i % 500 == 0) {
            rs_bus_event(st->b, (double)i, "e%ld", i);
            rs_bus_print(st->b, "line");
            calls += 2;
        }
    }
    free(m);
    st->writer_calls = calls;
    atomic_store(&st->done, true);
    return NULL;
}

static void *
stress_reader(void *arg)
{
    struct reader *r = arg;
    rs_bus *b = r->st->b;
    struct rs_bus_point *pt = rs_xcalloc(RS_BUS_SERIES_CAP, sizeof(*pt));
    float *data = NULL;
    size_t cap = 0;
    uint64_t last_ver = 0, ev_after = 0;
    bool stop = false;
    while (!stop) {
        stop = atomic_load(&r->st->done);
        uint64_t ver;
        size_t n = rs_bus_series_copy(b, "s/a", pt, RS_BUS_SERIES_CAP, &ver);
        r->reads++;
        if (ver < last_ver)
            r->bad_version++;
        last_ver = ver;
        /* Consistent: contiguous steps 1..N, counts match ranges, every
         * bucket but the last full, values within 0..16. */
        double next = 1;
        uint64_t total = 0;
        for (size_t k = 0; k < n; k++) {
            bool ok =
                pt[k].step_lo == next &&
                pt[k].count == (uint32_t)(pt[k].step_hi - pt[k].step_lo + 1) &&
                (k + 1 == n || pt[k].count == pt[0].count) && pt[k].min >= 0 &&
                pt[k].max <= 16 && pt[k].min <= pt[k].mean &&
                pt[k].mean <= pt[k].max &&
                pt[k].last == (float)stress_value((long)pt[k].step_hi);
            if (!ok) {
                r->torn_series++;
                break;
            }
            next = pt[k].step_hi + 1;
            total += pt[k].count;
        }
        if (n > 0 && total != ver)
            r->torn_series++;
        int rows, cols;
        double step;
        if (rs_bus_matrix_copy(b, "m", &data, &cap, &rows, &cols, &step,
                               NULL)) {
            long i = (long)step;
            bool ok = rows == 1 + (int)(i % 7) && cols == 1 + (int)(i % 5);
            for (int k = 0; ok && k < rows * cols; k++)
                ok = data[k] == (float)i;
            if (!ok)
                r->torn_matrix++;
        }
        struct rs_bus_event ev[8];
        uint64_t last;
        int ne = rs_bus_events(b, ev_after, ev, 8, &last);
        for (int k = 0; k < ne; k++) {
            long want = (long)ev[k].step;
            char txt[32];
            snprintf(txt, sizeof(txt), "e%ld", want);
            if (strcmp(txt, ev[k].text) != 0 || want % 500 != 0)
                r->bad_events++;
        }
        if (ne > 0 && last <= ev_after)
            r->bad_events++;
        ev_after = last;
    }
    free(pt);
    free(data);
    return NULL;
}

static void
test_stress(void)
{
    struct stress st = {.b = rs_bus_new()};
    atomic_init(&st.done, false);
    struct rs_bus_stats s0, s1;
    rs_bus_stats(st.b, &s0);
    struct reader rd[STRESS_READERS];
    pthread_t th[STRESS_READERS + 1];
    for (int i = 0; i < STRESS_READERS; i++) {
        rd[i] = (struct reader){.st = &st};
        pthread_create(&th[i], NULL, stress_reader, &rd[i]);
    }
    pthread_create(&th[STRESS_READERS], NULL, stress_writer, &st);
    for (int i = 0; i <= STRESS_READERS; i++)
        pthread_join(th[i], NULL);
    rs_bus_stats(st.b, &s1);
    long reads = 0, torn_s = 0, torn_m = 0, bad_v = 0, bad_e = 0;
    for (int i = 0; i < STRESS_READERS; i++) {
        reads += rd[i].reads;
        torn_s += rd[i].torn_series;
        torn_m += rd[i].torn_matrix;
        bad_v += rd[i].bad_version;
        bad_e += rd[i].bad_events;
    }
    uint64_t attempts =
        (s1.publishes - s0.publishes) + (s1.deferred - s0.deferred);
    tap_is_int((long)attempts, st.writer_calls,
               "every writer call made exactly one lock attempt (no wait)");
    tap_diag("%ld writer calls, %llu deferred to the backlog, %ld reads",
             st.writer_calls, (unsigned long long)(s1.deferred - s0.deferred),
             reads);
    tap_ok(reads > 0, "readers ran");
    tap_is_int(torn_s, 0, "readers never saw a torn series");
    tap_is_int(torn_m, 0, "readers never saw a torn matrix");
    tap_is_int(bad_v, 0, "series versions never went back");
    tap_is_int(bad_e, 0, "events arrive intact with growing sequence");
    rs_bus_flush(st.b);
    struct rs_bus_point *pt = rs_xcalloc(RS_BUS_SERIES_CAP, sizeof(*pt));
    uint64_t ver;
    size_t n = rs_bus_series_copy(st.b, "s/b", pt, RS_BUS_SERIES_CAP, &ver);
    long span = expected_span(STRESS_STEPS);
    tap_ok(ver == STRESS_STEPS &&
               n == (size_t)((STRESS_STEPS + span - 1) / span) &&
               pt[n - 1].step_hi == STRESS_STEPS,
           "after flush the reader sees the writer's final series");
    free(pt);
    rs_bus_free(st.b);
}

int
main(void)
{
    tap_plan_lazy();
    test_series();
    test_matrices();
    test_events_lines();
    test_wake();
    test_backlog();
    test_stress();
    return tap_done();
}
