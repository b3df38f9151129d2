/* repscope - MIT licence, see COPYING.
 *
 * bus.h: the metric bus, the one road from the worker to its readers (the
 * UI, the headless progress line). The worker publishes named scalar
 * series, named matrices (spectra, heatmaps, neuron maps), events (live
 * changes: a param set, a pause, a restart), console output, the session
 * status and, once, the scene's view specs. Readers copy out.
 *
 * Threads: exactly one writer (the worker) and any number of readers.
 * Writers never block on readers: every writer call records its change in
 * writer-private state (the backlog: a replica of each series with the
 * index of its first unpublished bucket, the newest matrix per name,
 * pending events and lines, the newest status), then tries the lock once
 * (pthread_mutex_trylock); if a reader holds it, the backlog goes out with
 * the next writer call (or rs_bus_try_flush / rs_bus_flush). The backlog
 * is bounded: series replicas are bounded like the series, matrices and
 * status keep only the newest, events and lines keep the newest
 * RS_BUS_EVENTS_CAP / RS_BUS_LINES_CAP. Readers lock, copy, unlock.
 * Every entry carries a version that grows on each change, and the bus a
 * global version, so a reader can tell cheaply whether to redraw.
 *
 * Series history is bounded: at most RS_BUS_SERIES_CAP buckets per series;
 * when full, neighbouring buckets merge pairwise (the bucket span doubles),
 * each keeping min, max, mean (from a double sum), last value and count,
 * so a million steps fit and an envelope can still be drawn honestly.
 * Every bucket but the newest holds exactly `span` points.
 */
#ifndef RS_RUN_BUS_H
#define RS_RUN_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base.h"

#define RS_BUS_SERIES_CAP 2048 /* buckets per series (even) */
#define RS_BUS_NAME_MAX 96     /* longer names are truncated */
#define RS_BUS_EVENTS_CAP 256  /* newest events kept */
#define RS_BUS_LINES_CAP 512   /* newest console lines kept */
#define RS_BUS_LINE_MAX 512    /* bytes per console line, NUL included */

enum rs_session_state {
    RS_SESSION_LOADING,
    RS_SESSION_RUNNING,
    RS_SESSION_PAUSED,
    RS_SESSION_DONE,
    RS_SESSION_FAILED
};

/* "loading", "running", "paused", "done", "failed". */
const char *rs_session_state_name(enum rs_session_state st);

struct rs_bus_status {
    enum rs_session_state state;
    long step;           /* steps completed */
    long total;          /* planned steps, or -1 (open-ended) */
    double steps_per_s;  /* recent throughput */
    double eta_s;        /* -1 when unknown */
    double probe_ms;     /* mean cost of the probes that ran last */
    double probe_frac;   /* probe time / (step + probe time), recent */
    double speed;        /* steps/s limit, 0 = unthrottled */
    unsigned long seed;
    int runs;            /* runs this status sums up (compare, a sweep's
                            grid), 0 for one run: then seed is theirs */
    size_t lua_bytes;    /* memory held by the scene's Lua state */
    char scene[64];      /* scene name (file stem) */
    char title[128];     /* scene title */
    char kernel[96];     /* BLAS kernels in use (rs_cpu_kernel_desc) */
    char run_dir[256];   /* where the run is recorded, "" if nowhere */
    char message[512];   /* failure text (file:line: msg) or last notice */
    char nonfinite[96];  /* where a NaN/Inf first appeared, "" if none */
    bool write_fault;    /* a write into run_dir failed and is queued: a UI
                            run is paused, message names the file */
};

/* One downsampled bucket of a series. */
struct rs_bus_point {
    double step_lo, step_hi; /* steps covered (inclusive) */
    float min, max, mean, last;
    uint32_t count;
};

struct rs_bus_event {
    double step;
    char text[160];
};

typedef struct rs_bus rs_bus;

rs_bus *rs_bus_new(void);
/* Frees everything; no thread may use the bus any more. */
void rs_bus_free(rs_bus *b);

/* ---- writer (worker thread) ----------------------------------------- */
/* Append (step, value) to series name (created on first use). Steps are
 * expected non-decreasing per series. A non-finite value is not stored
 * (it would poison min/max/mean); the session reports it in the status. */
void rs_bus_push(rs_bus *b, const char *name, double step, double value);
/* Publish a copy of a (rows, cols) row-major matrix under name, replacing
 * the previous one. labels_rows/labels_cols (may be NULL) are arrays of
 * rows/cols strings, copied. */
void rs_bus_put_matrix(rs_bus *b, const char *name, double step, int rows,
                       int cols, const float *data,
                       const char *const *row_labels,
                       const char *const *col_labels);
/* A live change, drawn as a marker on curves and recorded in run.jsonl by
 * the session. */
void rs_bus_event(rs_bus *b, double step, const char *fmt, ...)
    RS_PRINTF(3, 4);
/* A line of console output (results of :eval, errors, notices); longer
 * than RS_BUS_LINE_MAX - 1 bytes is truncated (at a UTF-8 boundary). */
void rs_bus_print(rs_bus *b, const char *text);
void rs_bus_set_status(rs_bus *b, const struct rs_bus_status *st);
/* Publish the scene's view specs once (opaque to the bus: a JSON text the
 * UI parses; copied). */
void rs_bus_set_views(rs_bus *b, const char *views_json);
/* Try once to push out the writer backlog without waiting; true when
 * nothing is left (the worker calls it while idle). */
bool rs_bus_try_flush(rs_bus *b);
/* Push out the writer backlog, waiting for the lock if need be (used at
 * shutdown and by tests). */
void rs_bus_flush(rs_bus *b);
/* The newest finite value pushed to series name and its step, from the
 * writer's own replica (backlog included, no lock). False if none. */
bool rs_bus_writer_last(const rs_bus *b, const char *name, double *step,
                        double *value);

/* Writer statistics (any thread; atomics). Every writer call that
 * changes something makes exactly one lock attempt, and so does
 * rs_bus_try_flush with a backlog: publishes + deferred counts them all
 * (rs_bus_flush, the one call that waits, counts as a publish). */
struct rs_bus_stats {
    uint64_t publishes;     /* lock taken, backlog published */
    uint64_t deferred;      /* lock busy: change left in the backlog */
    uint64_t events_lost;   /* events/lines dropped from a full backlog */
};
void rs_bus_stats(const rs_bus *b, struct rs_bus_stats *out);

/* ---- readers (any thread) ------------------------------------------- */
/* Global version: grows with every published change (no lock). */
uint64_t rs_bus_version(const rs_bus *b);
/* Hold the bus across several reader calls (one consistent frame: no
 * change lands between them). Reader calls nest inside; the writer's
 * changes wait in its backlog meanwhile. Keep the section short. */
void rs_bus_read_begin(rs_bus *b);
void rs_bus_read_end(rs_bus *b);
void rs_bus_status(const rs_bus *b, struct rs_bus_status *out);
/* Names of all series (or matrices), sorted; returns the count and fills
 * up to max names into out (each RS_BUS_NAME_MAX bytes). */
int rs_bus_series_names(const rs_bus *b, char (*out)[RS_BUS_NAME_MAX],
                        int max);
int rs_bus_matrix_names(const rs_bus *b, char (*out)[RS_BUS_NAME_MAX],
                        int max);
/* Copy up to max buckets of series name into out, oldest first; returns
 * the number copied (0 if no such series) and its version in *version. */
size_t rs_bus_series_copy(const rs_bus *b, const char *name,
                          struct rs_bus_point *out, size_t max,
                          uint64_t *version);
/* The newest published point of series name (its last value and step);
 * false if absent or empty. */
bool rs_bus_series_last(const rs_bus *b, const char *name, double *step,
                        double *value);
/* Copy matrix name into *data (grown with realloc as needed, *cap floats,
 * caller-owned). Returns false if absent. Labels are not copied here:
 * rs_bus_matrix_label returns one into buf. */
bool rs_bus_matrix_copy(const rs_bus *b, const char *name, float **data,
                        size_t *cap, int *rows, int *cols, double *step,
                        uint64_t *version);
bool rs_bus_matrix_label(const rs_bus *b, const char *name, bool row,
                         int i, char *buf, size_t len);
/* Events and console lines with sequence number > after (oldest first,
 * up to max); return the count; *last gets the sequence number of the
 * last one copied (or `after` when none). Sequence numbers start at 1 and
 * have no gaps in the writer; a reader that falls more than the cap
 * behind sees a jump (the oldest were dropped). */
int rs_bus_events(const rs_bus *b, uint64_t after, struct rs_bus_event *out,
                  int max, uint64_t *last);
int rs_bus_lines(const rs_bus *b, uint64_t after,
                 char (*out)[RS_BUS_LINE_MAX], int max, uint64_t *last);
/* The view specs (a new string the caller frees), or NULL if not set. */
char *rs_bus_views(const rs_bus *b);
/* Read end of a non-blocking pipe that becomes readable after a publish
 * (the UI polls it with stdin, mpv's wakeup pipe); rs_bus_drain_wake
 * empties it. At most one byte is in flight: drain, then read the bus.
 * Writes never block: a full pipe already means "wake". */
int rs_bus_wake_fd(const rs_bus *b);
void rs_bus_drain_wake(rs_bus *b);

#endif /* RS_RUN_BUS_H */
