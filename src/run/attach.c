/* repscope - MIT licence, see COPYING.
 *
 * attach.c: a run directory read back onto a bus (attach.h). Two tails
 * (run.jsonl, matrices.jsonl) each keep a read offset and the partial
 * line after it; every complete line is parsed with rs_json_object_each
 * (run/json.h) and published. The status is rebuilt from what the lines
 * say. Feeder thread (or the caller's) only, apart from the stop flag.
 */
#include "config.h"

#include "run/attach.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "run/json.h"
#include "run/thread.h"

#define READ_CHUNK 65536
#define MEMBERS_MAX 512

struct tail {
    char *path;
    int fd;
    off_t off;
    char *buf; /* the partial line read so far */
    size_t len, cap;
};

struct rs_attach {
    char *dir;
    rs_bus *bus;
    struct tail log, mats;
    int bin_fd;
    char *bin_path;
    struct rs_bus_status st;
    long bad_lines;
    atomic_bool finished;
    /* the feeder thread */
    pthread_t thread;
    bool running;
    double interval;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
};

/* ---- tails --------------------------------------------------------------- */

static void
tail_init(struct tail *t, const char *dir, const char *name)
{
    t->path = rs_xasprintf("%s/%s", dir, name);
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

/* Read what is new and call fn on each complete line (NUL-terminated, no
 * newline). Returns the count of lines, or RS_EIO. A file that does not
 * exist yet has no lines. */
static int
tail_read(rs_attach *a, struct tail *t, void (*fn)(rs_attach *, char *),
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
        if (t->cap - t->len < READ_CHUNK + 1) {
            t->cap = t->len + READ_CHUNK + 1;
            t->buf = rs_xreallocarray(t->buf, t->cap, 1);
        }
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
        size_t start = 0, end = t->len + (size_t)n;
        for (size_t i = t->len; i < end; i++) {
            if (t->buf[i] != '\n')
                continue;
            t->buf[i] = '\0';
            if (i > start)
                fn(a, t->buf + start);
            lines++;
            start = i + 1;
        }
        memmove(t->buf, t->buf + start, end - start);
        t->len = end - start;
    }
    return lines;
}

/* ---- JSON members -------------------------------------------------------- */

struct members {
    int n;
    char *key[MEMBERS_MAX], *val[MEMBERS_MAX];
    bool str[MEMBERS_MAX];
};

static int
member(const char *key, const char *value, bool is_string, void *ud)
{
    struct members *m = ud;
    if (m->n == MEMBERS_MAX)
        return 0;
    m->key[m->n] = rs_xstrdup(key);
    m->val[m->n] = rs_xstrdup(value);
    m->str[m->n++] = is_string;
    return 0;
}

static void
members_free(struct members *m)
{
    for (int i = 0; i < m->n; i++) {
        free(m->key[i]);
        free(m->val[i]);
    }
    m->n = 0;
}

static const char *
get(const struct members *m, const char *key, bool want_string)
{
    for (int i = 0; i < m->n; i++)
        if (strcmp(m->key[i], key) == 0 && m->str[i] == want_string)
            return m->val[i];
    return NULL;
}

/* A JSON number as written by rs_json_number ('.' whatever the locale:
 * repscope never sets LC_NUMERIC); NaN for null or anything else. */
static double
number(const char *s)
{
    if (s == NULL || strcmp(s, "null") == 0)
        return NAN;
    char *end;
    double v = strtod(s, &end);
    return end != s && *end == '\0' ? v : (double)NAN;
}

/* ---- run.jsonl ----------------------------------------------------------- */

static void
copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src != NULL ? src : "");
}

static int
views_title(const char *key, const char *value, bool is_string, void *ud)
{
    if (is_string && strcmp(key, "title") == 0) {
        copy(ud, sizeof(((struct rs_bus_status *)0)->title), value);
        return 1;
    }
    return 0;
}

static void
on_event(rs_attach *a, const struct members *m, long step)
{
    const char *kind = get(m, "kind", true);
    const char *text = get(m, "text", true);
    struct rs_bus_status *st = &a->st;
    kind = kind != NULL ? kind : "";
    text = text != NULL ? text : "";
    if (strcmp(kind, "views") == 0) {
        rs_bus_set_views(a->bus, text);
        char title[sizeof st->title] = "";
        if (rs_json_object_each(text, views_title, title, NULL) == 1 &&
            title[0] != '\0')
            copy(st->title, sizeof st->title, title);
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
on_meta(rs_attach *a, const struct members *m)
{
    struct rs_bus_status *st = &a->st;
    const char *scene = get(m, "scene", true);
    if (scene != NULL) {
        copy(st->scene, sizeof st->scene, scene);
        if (st->title[0] == '\0')
            copy(st->title, sizeof st->title, scene);
    }
    double seed = number(get(m, "seed", false));
    double steps = number(get(m, "steps", false));
    if (seed >= 0)
        st->seed = (unsigned long)seed;
    st->total = steps > 0 ? (long)steps : -1;
    copy(st->kernel, sizeof st->kernel, get(m, "kernel", true));
}

static void
on_record(rs_attach *a, const struct members *m, long step)
{
    struct rs_bus_status *st = &a->st;
    for (int i = 0; i < m->n; i++) {
        if (m->str[i] || strcmp(m->key[i], "step") == 0)
            continue;
        double v = number(m->val[i]);
        if (!isfinite(v)) {
            if (st->nonfinite[0] == '\0')
                copy(st->nonfinite, sizeof st->nonfinite, m->key[i]);
            continue;
        }
        rs_bus_push(a->bus, m->key[i], (double)step, v);
        if (strcmp(m->key[i], "time/steps_per_s") == 0)
            st->steps_per_s = v;
    }
    st->step = step;
    if (st->state != RS_SESSION_PAUSED)
        st->state = RS_SESSION_RUNNING;
    atomic_store(&a->finished, false);
}

static void
on_log_line(rs_attach *a, char *line)
{
    struct members *m = rs_xcalloc(1, sizeof *m);
    if (rs_json_object_each(line, member, m, NULL) != RS_OK) {
        a->bad_lines++; /* a torn or foreign line: skip it */
        goto out;
    }
    const char *type = get(m, "type", true);
    double step = number(get(m, "step", false));
    long k = isfinite(step) ? (long)step : a->st.step;
    if (type != NULL && strcmp(type, "meta") == 0)
        on_meta(a, m);
    else if (type != NULL && strcmp(type, "event") == 0)
        on_event(a, m, k);
    else if (isfinite(step))
        on_record(a, m, k);
out:
    members_free(m);
    free(m);
}

/* ---- matrices -------------------------------------------------------------
 */

/* A JSON array of strings (as rs_json_object_each hands nested values:
 * the text as written) into n new strings; false when it is not one of
 * n strings ("null": no labels). */
static bool
string_array(const char *s, int n, char **out)
{
    int k = 0;
    while (*s == ' ')
        s++;
    if (*s++ != '[')
        return false;
    for (;;) {
        while (*s == ' ' || *s == ',')
            s++;
        if (*s == ']')
            return k == n;
        if (*s != '"' || k == n)
            return false;
        s++;
        const char *end = s;
        while (*end != '\0' && *end != '"')
            end += *end == '\\' && end[1] != '\0' ? 2 : 1;
        size_t len = 0;
        char *str = rs_xmalloc((size_t)(end - s) + 1);
        while (s < end) {
            if (*s != '\\') {
                str[len++] = *s++;
                continue;
            }
            char e = s[1];
            s += 2;
            unsigned cp = 0;
            int nd = 0;
            switch (e) {
            case 'n':
                str[len++] = '\n';
                break;
            case 't':
                str[len++] = '\t';
                break;
            case 'r':
                str[len++] = '\r';
                break;
            case 'b':
                str[len++] = '\b';
                break;
            case 'f':
                str[len++] = '\f';
                break;
            case 'u':
                /* \uXXXX (rs_json_escape writes control characters and
                 * U+FFFD this way): as UTF-8, a surrogate as U+FFFD */
                for (; nd < 4 && s < end && isxdigit((unsigned char)*s); nd++) {
                    int d = isdigit((unsigned char)*s) ? *s - '0'
                                                       : (*s | 0x20) - 'a' + 10;
                    cp = cp * 16 + (unsigned)d;
                    s++;
                }
                if (cp >= 0xd800 && cp < 0xe000)
                    cp = 0xfffd;
                if (cp < 0x80) {
                    str[len++] = (char)cp;
                } else if (cp < 0x800) {
                    str[len++] = (char)(0xc0 | (cp >> 6));
                    str[len++] = (char)(0x80 | (cp & 0x3f));
                } else {
                    str[len++] = (char)(0xe0 | (cp >> 12));
                    str[len++] = (char)(0x80 | ((cp >> 6) & 0x3f));
                    str[len++] = (char)(0x80 | (cp & 0x3f));
                }
                break;
            default:
                str[len++] = e;
                break; /* " \ / */
            }
        }
        str[len] = '\0';
        out[k++] = str;
        if (*s != '"')
            return false;
        s++;
    }
}

static void
free_strings(char **s, int n)
{
    for (int i = 0; s != NULL && i < n; i++)
        free(s[i]);
    free(s);
}

static void
on_matrix_line(rs_attach *a, char *line)
{
    struct members *m = rs_xcalloc(1, sizeof *m);
    char **rl = NULL, **cl = NULL;
    float *data = NULL;
    int r = 0, c = 0;
    if (rs_json_object_each(line, member, m, NULL) != RS_OK)
        goto bad;
    const char *name = get(m, "name", true);
    double step = number(get(m, "step", false));
    double rows = number(get(m, "rows", false));
    double cols = number(get(m, "cols", false));
    double off = number(get(m, "offset", false));
    if (name == NULL || !(rows >= 1 && cols >= 1 && rows * cols < 1e8) ||
        !(off >= 0))
        goto bad;
    r = (int)rows;
    c = (int)cols;
    size_t bytes = (size_t)r * (size_t)c * sizeof(float);
    if (a->bin_fd < 0)
        a->bin_fd = open(a->bin_path, O_RDONLY | O_CLOEXEC);
    data = rs_xmalloc(bytes);
    if (a->bin_fd < 0 ||
        pread(a->bin_fd, data, bytes, (off_t)off) != (ssize_t)bytes)
        goto bad;
    const char *rj = get(m, "row_labels", false);
    const char *cj = get(m, "col_labels", false);
    rl = rs_xcalloc((size_t)r, sizeof *rl);
    cl = rs_xcalloc((size_t)c, sizeof *cl);
    bool have_r = rj != NULL && string_array(rj, r, rl);
    bool have_c = cj != NULL && string_array(cj, c, cl);
    rs_bus_put_matrix(a->bus, name, isfinite(step) ? step : 0, r, c, data,
                      have_r ? (const char *const *)rl : NULL,
                      have_c ? (const char *const *)cl : NULL);
    goto out;
bad:
    a->bad_lines++;
out:
    free_strings(rl, r);
    free_strings(cl, c);
    free(data);
    members_free(m);
    free(m);
}

/* ---- API ----------------------------------------------------------------- */

rs_attach *
rs_attach_new(const char *dir, struct rs_error *err)
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
    a->bus = rs_bus_new();
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
    rs_bus_set_status(a->bus, &a->st);
    return a;
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
    rs_bus_free(a->bus);
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
    if (n + nm == 0)
        return 0;
    struct rs_bus_status *st = &a->st;
    st->eta_s =
        st->state == RS_SESSION_RUNNING && st->total > 0 && st->steps_per_s > 0
            ? (double)(st->total - st->step) / st->steps_per_s
            : -1;
    if (a->bad_lines > 0 && st->state != RS_SESSION_FAILED)
        snprintf(st->message, sizeof st->message,
                 "%ld malformed line%s skipped", a->bad_lines,
                 a->bad_lines == 1 ? "" : "s");
    rs_bus_set_status(a->bus, st);
    rs_bus_flush(a->bus);
    return n + nm;
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
