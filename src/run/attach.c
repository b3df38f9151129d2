/* repscope - MIT licence, see COPYING.
 *
 * attach.c: a run directory read back onto a bus (attach.h). Two tails
 * (run.jsonl, matrices.jsonl) each keep a read offset and the partial
 * line after it; every complete line is parsed into a tree by the JSON
 * codec (rs_json_parse, run/json.h: numbers read in the "C" locale, so
 * a decimal comma in LC_NUMERIC changes nothing) and published. A line
 * that is no JSON object, or a matrix whose payload is missing, is
 * skipped and counted; the status names the file and line of the first.
 * The status is rebuilt from what the lines say. Feeder thread (or the
 * caller's) only, apart from the stop flag.
 */
#include "config.h"

#include "run/attach.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "run/json.h"
#include "run/thread.h"

#define READ_CHUNK 65536
/* A longer line is skipped unread (the longest a run writes, a matrix's
 * labels, is far shorter): a log without newlines holds no memory. */
#define TAIL_LINE_MAX ((size_t)64 << 20) /* 64 MiB, as the message says */

struct tail {
    char *path;
    const char *name; /* the file's name in the run directory (static) */
    int fd;
    off_t off;
    long lineno; /* complete lines read so far */
    char *buf;   /* the partial line read so far */
    size_t len, cap;
    bool skip; /* in a line longer than TAIL_LINE_MAX: drop to its end */
};

struct rs_attach {
    char *dir;
    rs_bus *bus;
    struct tail log, mats;
    int bin_fd;
    char *bin_path;
    struct rs_bus_status st;
    long bad_lines;
    char bad_first[400]; /* "file:line: why" of the first bad line */
    atomic_bool finished;
    /* the feeder thread */
    pthread_t thread;
    bool running;
    double interval;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    /* rs_attach_replay: records up to step upto only, nothing else */
    bool replay;
    long upto;
    /* rs_attach_new_member: names prefixed, the bus borrowed, the
     * status and views kept here */
    bool member;
    char *prefix; /* "<prefix>/" */
    char *views;
    rs_attach_tap_fn tap; /* rs_attach_set_tap */
    void *tap_ud;
};

/* name as published: with the member's prefix (cut at the bus's length). */
static const char *
pub_name(const rs_attach *a, const char *name, char buf[RS_BUS_NAME_MAX])
{
    if (!a->member)
        return name;
    snprintf(buf, RS_BUS_NAME_MAX, "%s%s", a->prefix, name);
    return buf;
}

/* ---- tails --------------------------------------------------------------- */

static void
tail_init(struct tail *t, const char *dir, const char *name)
{
    t->path = rs_xasprintf("%s/%s", dir, name);
    t->name = name;
    t->fd = -1;
}

static void
tail_fini(struct tail *t)
{
    if (t->fd >= 0)
        close(t->fd);
    free(t->path);
    free(t->buf);
}

/* Line number lineno of t could not be used: count it, and keep why
 * ("run.jsonl:7: JSON offset 12: ...") if it is the first. */
static void
bad_line(rs_attach *a, const struct tail *t, long lineno, const char *why)
{
    if (a->bad_lines++ == 0)
        snprintf(a->bad_first, sizeof a->bad_first, "%s:%ld: %.360s", t->name,
                 lineno, why);
}

/* Room for n more bytes after the partial line (and a NUL). */
static void
tail_reserve(struct tail *t, size_t n)
{
    if (t->cap - t->len < n + 1) {
        t->cap = t->len + n + 1;
        t->buf = rs_xreallocarray(t->buf, t->cap, 1);
    }
}

/* The n bytes just added after t's partial line: call fn on each
 * complete line among them and keep what follows the last newline, or
 * drop it once it is longer than TAIL_LINE_MAX (the line is then a bad
 * one, counted at its newline). Returns the count of complete lines
 * (empty ones included). */
static int
tail_take(rs_attach *a, struct tail *t, size_t n,
          int (*fn)(rs_attach *, const char *line, size_t len,
                    struct rs_error *err))
{
    int lines = 0;
    size_t start = 0, end = t->len + n;
    for (size_t i = t->len; i < end; i++) {
        if (t->buf[i] != '\n')
            continue;
        t->buf[i] = '\0';
        t->lineno++;
        struct rs_error why = {0};
        if (t->skip) {
            t->skip = false;
            bad_line(a, t, t->lineno,
                     "a line longer than 64 MiB, skipped");
        } else if (i > start &&
                   fn(a, t->buf + start, i - start, &why) != RS_OK) {
            bad_line(a, t, t->lineno, why.msg);
        }
        lines++;
        start = i + 1;
    }
    size_t rest = end - start;
    if (t->skip || rest > TAIL_LINE_MAX) {
        t->skip = true;
        rest = 0;
    }
    memmove(t->buf, t->buf + start, rest);
    t->len = rest;
    return lines;
}

/* Read what is new and call fn on each complete non-empty line
 * (line[0..len) without its newline, NUL-terminated there; a NUL byte
 * may come before len); a line fn refuses (non-zero, err saying why) is
 * skipped and counted by bad_line. Returns the count of lines (empty
 * ones included), or RS_EIO. A file that does not exist yet has no
 * lines. */
static int
tail_read(rs_attach *a, struct tail *t,
          int (*fn)(rs_attach *, const char *line, size_t len,
                    struct rs_error *err),
          struct rs_error *err)
{
    if (t->fd < 0) {
        t->fd = open(t->path, O_RDONLY | O_CLOEXEC);
        if (t->fd < 0)
            return errno == ENOENT
                       ? 0
                       : rs_error_set(err, RS_EIO, "cannot open %s: %s",
                                      t->path, strerror(errno));
    }
    int lines = 0;
    for (;;) {
        tail_reserve(t, READ_CHUNK);
        ssize_t n = pread(t->fd, t->buf + t->len, READ_CHUNK, t->off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return rs_error_set(err, RS_EIO, "cannot read %s: %s", t->path,
                                strerror(errno));
        }
        if (n == 0)
            break;
        t->off += n;
        lines += tail_take(a, t, (size_t)n, fn);
    }
    return lines;
}

/* ---- JSON values --------------------------------------------------------- */

/* The object that line[0..len) holds: a new tree, or NULL + err
 * (RS_EFORMAT: the codec's message with its offset, or what the line
 * holds instead of an object). */
static rs_json *
parse_object(const char *line, size_t len, struct rs_error *err)
{
    rs_json *v = rs_json_parse(line, len, err);
    if (v != NULL && rs_json_typeof(v) != RS_JSON_OBJECT) {
        static const char *const what[] = {
            [RS_JSON_NULL] = "null",       [RS_JSON_BOOL] = "a boolean",
            [RS_JSON_NUMBER] = "a number", [RS_JSON_STRING] = "a string",
            [RS_JSON_ARRAY] = "an array",  [RS_JSON_OBJECT] = "an object"};
        rs_error_set(err, RS_EFORMAT, "a JSON object expected, found %s",
                     what[rs_json_typeof(v)]);
        rs_json_free(v);
        v = NULL;
    }
    return v;
}

/* A JSON number in [lo, hi] as an integer: exact when written as one,
 * else the double truncated toward zero. False for anything else (not
 * a number, null, out of range). */
static bool
integer_in(const rs_json *v, long long lo, long long hi, long long *out)
{
    long long i;
    if (!rs_json_integer(v, &i)) {
        double d = rs_json_num(v, NAN);
        if (!(d > -0x1p63 && d < 0x1p63)) /* +-2^63: beyond long long */
            return false;
        i = (long long)d;
    }
    if (i < lo || i > hi)
        return false;
    *out = i;
    return true;
}

/* The string member key of object v, or def when it is absent or no
 * string. Borrowed from the tree. */
static const char *
str_of(const rs_json *v, const char *key, const char *def)
{
    const char *s = rs_json_str(rs_json_get(v, key), NULL);
    return s != NULL ? s : def;
}

/* ---- run.jsonl ----------------------------------------------------------- */

static void
copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src != NULL ? src : "");
}

static void
on_event(rs_attach *a, const rs_json *v, long step)
{
    const char *kind = str_of(v, "kind", "");
    const char *text = str_of(v, "text", "");
    struct rs_bus_status *st = &a->st;
    if (strcmp(kind, "views") == 0) {
        if (a->member) {
            free(a->views);
            a->views = rs_xstrdup(text);
        } else {
            rs_bus_set_views(a->bus, text);
        }
        rs_json *views = rs_json_parse(text, strlen(text), NULL);
        const char *title = str_of(views, "title", "");
        if (title[0] != '\0')
            copy(st->title, sizeof st->title, title);
        rs_json_free(views);
        return;
    }
    bool finished = false;
    if (strcmp(kind, "pause") == 0) {
        st->state = RS_SESSION_PAUSED;
    } else if (strcmp(kind, "resume") == 0) {
        st->state = RS_SESSION_RUNNING;
    } else if (strcmp(kind, "done") == 0 || strcmp(kind, "quit") == 0) {
        st->state = RS_SESSION_DONE;
        finished = true;
    } else if (strcmp(kind, "error") == 0 || strcmp(kind, "nonfinite") == 0) {
        st->state = RS_SESSION_FAILED;
        copy(st->message, sizeof st->message, text);
        finished = true;
    } else if (strcmp(kind, "restart") == 0) {
        st->state = RS_SESSION_LOADING;
        st->nonfinite[0] = '\0';
    }
    atomic_store(&a->finished, finished);
    if (a->member) /* a comparison shows no one run's markers */
        return;
    /* a console command is not a live change to mark; its code goes to
     * the console (the UI logs the events there itself) */
    if (strcmp(kind, "eval") == 0) {
        char line[RS_BUS_LINE_MAX];
        snprintf(line, sizeof line, "step %ld: > %s", step, text);
        rs_bus_print(a->bus, line);
    } else {
        rs_bus_event(a->bus, (double)step, "%s", text);
    }
}

static void
on_meta(rs_attach *a, const rs_json *v)
{
    struct rs_bus_status *st = &a->st;
    const char *scene = str_of(v, "scene", NULL);
    if (scene != NULL) {
        copy(st->scene, sizeof st->scene, scene);
        if (st->title[0] == '\0')
            copy(st->title, sizeof st->title, scene);
    }
    /* the seed is written with %lu: exact below 2^63, beyond that the
     * nearest double */
    const rs_json *seed = rs_json_get(v, "seed");
    long long i;
    double d = rs_json_num(seed, NAN);
    if (integer_in(seed, 0, LLONG_MAX, &i) &&
        (unsigned long long)i <= ULONG_MAX)
        st->seed = (unsigned long)i;
    else if (d >= 0 && d < (double)ULONG_MAX)
        st->seed = (unsigned long)d;
    st->total =
        integer_in(rs_json_get(v, "steps"), 1, LONG_MAX, &i) ? (long)i : -1;
    copy(st->kernel, sizeof st->kernel, str_of(v, "kernel", NULL));
}

/* Every member but "step" is a series: a number is its point at step;
 * null (how the log writes NaN and +-inf) or a number beyond the double
 * range names it as non-finite; strings, booleans, arrays and objects
 * are no series. */
static void
on_record(rs_attach *a, const rs_json *v, long step)
{
    struct rs_bus_status *st = &a->st;
    for (int i = 0; i < rs_json_len(v); i++) {
        const char *key = rs_json_key(v, i, NULL);
        const rs_json *val = rs_json_at(v, i);
        enum rs_json_type type = rs_json_typeof(val);
        if (strcmp(key, "step") == 0 ||
            (type != RS_JSON_NUMBER && type != RS_JSON_NULL))
            continue;
        double x = rs_json_num(val, NAN);
        if (!isfinite(x)) {
            if (st->nonfinite[0] == '\0')
                copy(st->nonfinite, sizeof st->nonfinite, key);
            continue;
        }
        char buf[RS_BUS_NAME_MAX];
        rs_bus_push(a->bus, pub_name(a, key, buf), (double)step, x);
        if (a->tap != NULL)
            a->tap(a->tap_ud, key, step, x);
        if (strcmp(key, "time/steps_per_s") == 0)
            st->steps_per_s = x;
    }
    st->step = step;
    if (st->state != RS_SESSION_PAUSED)
        st->state = RS_SESSION_RUNNING;
    atomic_store(&a->finished, false);
}

/* One line of run.jsonl: the meta line, an event, or a record (a line
 * with a step and no type); anything else that is an object is passed
 * over. RS_EFORMAT + err when it is no JSON object. */
static int
on_log_line(rs_attach *a, const char *line, size_t len, struct rs_error *err)
{
    rs_json *v = parse_object(line, len, err);
    if (v == NULL)
        return RS_EFORMAT;
    const char *type = str_of(v, "type", "");
    long long step;
    bool has_step =
        integer_in(rs_json_get(v, "step"), LONG_MIN, LONG_MAX, &step);
    if (a->replay) {
        if (strcmp(type, "meta") != 0 && strcmp(type, "event") != 0 &&
            has_step && step <= a->upto)
            on_record(a, v, (long)step);
    } else if (strcmp(type, "meta") == 0)
        on_meta(a, v);
    else if (strcmp(type, "event") == 0)
        on_event(a, v, has_step ? (long)step : a->st.step);
    else if (has_step)
        on_record(a, v, (long)step);
    rs_json_free(v);
    return RS_OK;
}

/* ---- matrices ------------------------------------------------------------ */

/* The n strings of a JSON array into out (borrowed from the tree); false
 * when v is not an array of exactly n strings (null: no labels). */
static bool
labels(const rs_json *v, int n, const char **out)
{
    if (rs_json_typeof(v) != RS_JSON_ARRAY || rs_json_len(v) != n)
        return false;
    for (int i = 0; i < n; i++)
        if ((out[i] = rs_json_str(rs_json_at(v, i), NULL)) == NULL)
            return false;
    return true;
}

/* One line of matrices.jsonl: name, step, rows, cols, the byte offset of
 * its rows * cols floats in matrices.bin, and the labels (arrays of rows
 * and cols strings, or null). RS_EFORMAT + err when it is not one or
 * its payload is not there. */
static int
on_matrix_line(rs_attach *a, const char *line, size_t len, struct rs_error *err)
{
    rs_json *v = parse_object(line, len, err);
    if (v == NULL)
        return RS_EFORMAT;
    const char **rl = NULL, **cl = NULL;
    float *data = NULL;
    int rc = RS_EFORMAT;
    const char *name = str_of(v, "name", NULL);
    double step = rs_json_num(rs_json_get(v, "step"), 0);
    long long r, c, off;
    if (name == NULL) {
        rs_error_set(err, RS_EFORMAT, "no \"name\" string");
        goto out;
    }
    if (!integer_in(rs_json_get(v, "rows"), 1, INT_MAX, &r) ||
        !integer_in(rs_json_get(v, "cols"), 1, INT_MAX, &c) ||
        r * c >= 100000000) {
        rs_error_set(err, RS_EFORMAT,
                     "%s: \"rows\" and \"cols\" are no whole numbers >= 1 "
                     "(of fewer than 1e8 cells)",
                     name);
        goto out;
    }
    if (!integer_in(rs_json_get(v, "offset"), 0, LLONG_MAX, &off)) {
        rs_error_set(err, RS_EFORMAT, "%s: \"offset\" is no whole number >= 0",
                     name);
        goto out;
    }
    size_t bytes = (size_t)r * (size_t)c * sizeof(float);
    if (a->bin_fd < 0)
        a->bin_fd = open(a->bin_path, O_RDONLY | O_CLOEXEC);
    if (a->bin_fd < 0) {
        rs_error_set(err, RS_EFORMAT, "%s: cannot open matrices.bin: %s", name,
                     strerror(errno));
        goto out;
    }
    /* the file must hold the payload before any room is made for it: a
     * line may claim up to 1e8 cells (400 MB) */
    struct stat st;
    if (fstat(a->bin_fd, &st) != 0 || st.st_size < 0 ||
        (unsigned long long)off > (unsigned long long)st.st_size ||
        bytes > (unsigned long long)st.st_size - (unsigned long long)off) {
        rs_error_set(err, RS_EFORMAT,
                     "%s: matrices.bin has no %zu bytes at offset %lld", name,
                     bytes, off);
        goto out;
    }
    data = rs_xmalloc(bytes);
    if (pread(a->bin_fd, data, bytes, (off_t)off) != (ssize_t)bytes) {
        rs_error_set(err, RS_EFORMAT,
                     "%s: matrices.bin has no %zu bytes at offset %lld", name,
                     bytes, off);
        goto out;
    }
    rl = rs_xcalloc((size_t)r, sizeof *rl);
    cl = rs_xcalloc((size_t)c, sizeof *cl);
    bool have_r = labels(rs_json_get(v, "row_labels"), (int)r, rl);
    bool have_c = labels(rs_json_get(v, "col_labels"), (int)c, cl);
    char buf[RS_BUS_NAME_MAX];
    rs_bus_put_matrix(a->bus, pub_name(a, name, buf),
                      isfinite(step) ? step : 0, (int)r, (int)c, data,
                      have_r ? (const char *const *)rl : NULL,
                      have_c ? (const char *const *)cl : NULL);
    rc = RS_OK;
out:
    free(rl);
    free(cl);
    free(data);
    rs_json_free(v);
    return rc;
}

/* ---- API ----------------------------------------------------------------- */

static rs_attach *
attach_new(const char *dir, rs_bus *bus, const char *prefix,
           struct rs_error *err)
{
    char *log = rs_xasprintf("%s/run.jsonl", dir);
    if (access(log, R_OK) != 0) {
        rs_error_set(err, RS_EIO, "%s: %s (not a run directory?)", log,
                     strerror(errno));
        free(log);
        return NULL;
    }
    free(log);
    rs_attach *a = rs_xcalloc(1, sizeof *a);
    a->dir = rs_xstrdup(dir);
    a->member = bus != NULL;
    a->bus = bus != NULL ? bus : rs_bus_new();
    if (a->member)
        a->prefix = rs_xasprintf("%s/", prefix);
    tail_init(&a->log, dir, "run.jsonl");
    tail_init(&a->mats, dir, "matrices.jsonl");
    a->bin_path = rs_xasprintf("%s/matrices.bin", dir);
    a->bin_fd = -1;
    atomic_init(&a->finished, false);
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv, NULL);
    a->st.state = RS_SESSION_LOADING;
    a->st.total = -1;
    a->st.eta_s = -1;
    copy(a->st.run_dir, sizeof a->st.run_dir, dir);
    const char *base = strrchr(dir, '/');
    copy(a->st.scene, sizeof a->st.scene,
         base != NULL && base[1] != '\0' ? base + 1 : dir);
    copy(a->st.title, sizeof a->st.title, a->st.scene);
    if (!a->member)
        rs_bus_set_status(a->bus, &a->st);
    return a;
}

rs_attach *
rs_attach_new(const char *dir, struct rs_error *err)
{
    return attach_new(dir, NULL, NULL, err);
}

rs_attach *
rs_attach_new_member(const char *dir, rs_bus *bus, const char *prefix,
                     struct rs_error *err)
{
    RS_ASSERT(bus != NULL && prefix != NULL);
    return attach_new(dir, bus, prefix, err);
}

void
rs_attach_set_tap(rs_attach *a, rs_attach_tap_fn fn, void *ud)
{
    a->tap = fn;
    a->tap_ud = ud;
}

void
rs_attach_status(const rs_attach *a, struct rs_bus_status *out)
{
    *out = a->st;
}

const char *
rs_attach_views(const rs_attach *a)
{
    return a->views;
}

void
rs_attach_free(rs_attach *a)
{
    if (a == NULL)
        return;
    if (a->running) {
        pthread_mutex_lock(&a->mu);
        a->stop = true;
        pthread_cond_signal(&a->cv);
        pthread_mutex_unlock(&a->mu);
        pthread_join(a->thread, NULL);
    }
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->cv);
    tail_fini(&a->log);
    tail_fini(&a->mats);
    if (a->bin_fd >= 0)
        close(a->bin_fd);
    free(a->bin_path);
    if (!a->member)
        rs_bus_free(a->bus);
    free(a->prefix);
    free(a->views);
    free(a->dir);
    free(a);
}

rs_bus *
rs_attach_bus(rs_attach *a)
{
    return a->bus;
}

bool
rs_attach_finished(const rs_attach *a)
{
    return atomic_load(&a->finished);
}

/* After new lines: the status they make (ETA, the malformed-line note)
 * published and the bus flushed, unless a is a member (its caller does
 * that for all members). */
static void
publish(rs_attach *a)
{
    struct rs_bus_status *st = &a->st;
    st->eta_s =
        st->state == RS_SESSION_RUNNING && st->total > 0 && st->steps_per_s > 0
            ? (double)(st->total - st->step) / st->steps_per_s
            : -1;
    if (a->bad_lines == 1 && st->state != RS_SESSION_FAILED)
        snprintf(st->message, sizeof st->message,
                 "1 malformed line skipped: %s", a->bad_first);
    else if (a->bad_lines > 1 && st->state != RS_SESSION_FAILED)
        snprintf(st->message, sizeof st->message,
                 "%ld malformed lines skipped; the first, %s", a->bad_lines,
                 a->bad_first);
    if (!a->member) {
        rs_bus_set_status(a->bus, st);
        rs_bus_flush(a->bus);
    }
}

int
rs_attach_poll(rs_attach *a, struct rs_error *err)
{
    /* matrices first: their payloads are older than the records that
     * follow them in the log */
    int nm = tail_read(a, &a->mats, on_matrix_line, err);
    if (nm < 0)
        return nm;
    int n = tail_read(a, &a->log, on_log_line, err);
    if (n < 0)
        return n;
    if (n + nm > 0)
        publish(a);
    return n + nm;
}

int
rs_attach_feed(rs_attach *a, bool matrices, const char *data, size_t len)
{
    struct tail *t = matrices ? &a->mats : &a->log;
    tail_reserve(t, len);
    memcpy(t->buf + t->len, data, len);
    int n = tail_take(a, t, len, matrices ? on_matrix_line : on_log_line);
    if (n > 0)
        publish(a);
    return n;
}

int
rs_attach_replay(const char *dir, rs_bus *bus, long upto, struct rs_error *err)
{
    rs_attach *a = rs_xcalloc(1, sizeof *a);
    a->bus = bus;
    a->replay = true;
    a->upto = upto;
    atomic_init(&a->finished, false);
    tail_init(&a->log, dir, "run.jsonl");
    int n = tail_read(a, &a->log, on_log_line, err);
    tail_fini(&a->log);
    free(a);
    if (n < 0)
        return n;
    rs_bus_flush(bus);
    return RS_OK;
}

int
rs_attach_read_all(rs_attach *a, struct rs_error *err)
{
    int n;
    while ((n = rs_attach_poll(a, err)) > 0)
        ;
    return n < 0 ? n : RS_OK;
}

static void *
feeder(void *arg)
{
    rs_attach *a = arg;
    pthread_mutex_lock(&a->mu);
    while (!a->stop) {
        pthread_mutex_unlock(&a->mu);
        struct rs_error err = {0};
        if (rs_attach_poll(a, &err) < 0) {
            rs_bus_print(a->bus, err.msg);
            rs_bus_flush(a->bus);
        }
        pthread_mutex_lock(&a->mu);
        if (a->stop)
            break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        double t = (double)ts.tv_nsec * 1e-9 + a->interval;
        ts.tv_sec += (time_t)t;
        ts.tv_nsec = (long)((t - floor(t)) * 1e9);
        pthread_cond_timedwait(&a->cv, &a->mu, &ts);
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

int
rs_attach_start(rs_attach *a, double interval_s, struct rs_error *err)
{
    if (a->running)
        return rs_error_set(err, RS_EINVAL, "already following");
    a->interval = interval_s > 0 ? interval_s : 0.1;
    /* signals go to the caller's thread (the UI loop acts on them) */
    int rc = rs_thread_start(&a->thread, feeder, a);
    if (rc != 0)
        return rs_error_set(err, RS_ENOMEM, "cannot start the feeder: %s",
                            strerror(rc));
    a->running = true;
    return RS_OK;
}
