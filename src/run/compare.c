/* repscope - MIT licence, see COPYING.
 *
 * compare.c: several run directories read onto one bus (compare.h).
 * Each run is an attach member that prefixes its names with the run's
 * label; this file finds the runs (the arguments, or a sweep's
 * manifest, and the points that start later), names them by the params
 * that differ, and holds the life cycle and the polling: after every
 * poll, compare_views.c (or compare_grid.c for the grid) builds what no
 * single run has, and the view specs are published only when they
 * changed. The feeder (the caller's thread, or the thread of
 * rs_compare_start) is the bus's one writer.
 */
#include "config.h"

#include "run/compare.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "run/attach.h"
#include "run/compare_impl.h"
#include "run/json.h"
#include "run/thread.h"

#define META_MAX 262144 /* bytes of a meta line read at most */

/* ---- finding the runs ---------------------------------------------------- */

static bool
is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* A whole file as a new string (NUL-terminated; *len bytes), at most max
 * bytes; NULL when it cannot be read. */
static char *
slurp(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = rs_xmalloc(max + 1);
    size_t n = fread(buf, 1, max, f);
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* The text of a JSON value as a label shows it: a string's content, any
 * other value as written. A new string. */
static char *
value_text(const rs_json *v)
{
    const char *s = rs_json_str(v, NULL);
    if (s != NULL)
        return rs_xstrdup(s);
    size_t len = 0;
    const char *t = rs_json_text(v, &len);
    return rs_xasprintf("%.*s", (int)len, t != NULL ? t : "");
}

static void
add_param(struct run *r, const char *key, const rs_json *v)
{
    if (r->nparams >= PARAMS_MAX || v == NULL ||
        rs_json_typeof(v) == RS_JSON_NULL)
        return;
    r->params[r->nparams].key = rs_xstrdup(key);
    r->params[r->nparams++].val = value_text(v);
}

/* The params object's members, then the seed. */
static void
add_params(struct run *r, const rs_json *params, const rs_json *seed)
{
    for (int i = 0;
         rs_json_typeof(params) == RS_JSON_OBJECT && i < rs_json_len(params);
         i++)
        add_param(r, rs_json_key(params, i, NULL), rs_json_at(params, i));
    add_param(r, "seed", seed);
}

/* Run r's params from the meta line of its run.jsonl (none when it has
 * none yet or it is no meta line: the label falls back to the name). */
static void
read_meta(struct run *r)
{
    char *path = rs_xasprintf("%s/run.jsonl", r->dir);
    size_t len = 0;
    char *text = slurp(path, META_MAX, &len);
    free(path);
    if (text == NULL)
        return;
    char *nl = memchr(text, '\n', len);
    if (nl != NULL) {
        rs_json *v = rs_json_parse(text, (size_t)(nl - text), NULL);
        const char *type = rs_json_str(rs_json_get(v, "type"), NULL);
        if (type != NULL && strcmp(type, "meta") == 0)
            add_params(r, rs_json_get(v, "params"), rs_json_get(v, "seed"));
        rs_json_free(v);
    }
    free(text);
}

static struct run *
add_run(rs_compare *c, const char *dir)
{
    c->runs = rs_xreallocarray(c->runs, (size_t)c->n + 1, sizeof *c->runs);
    struct run *r = &c->runs[c->n++];
    memset(r, 0, sizeof *r);
    r->dir = rs_xstrdup(dir);
    r->exit_code = -1;
    return r;
}

/* The points of sweep directory dir (its sweep.json) as runs, all of
 * them, in order (adopt() later moves those without a run.jsonl aside);
 * RS_EFORMAT + err when the manifest cannot be read. */
static int
read_sweep(rs_compare *c, const char *dir, struct rs_error *err)
{
    char *path = rs_xasprintf("%s/sweep.json", dir);
    size_t len = 0;
    char *text = slurp(path, 64u << 20, &len);
    rs_json *v = text != NULL ? rs_json_parse(text, len, err) : NULL;
    const rs_json *pts = rs_json_get(v, "points");
    int rc = RS_OK;
    if (rs_json_typeof(pts) != RS_JSON_ARRAY) {
        if (text == NULL || v != NULL)
            rs_error_set(err, RS_EFORMAT, "%s: %s", path,
                         text == NULL ? "cannot be read"
                                      : "no \"points\" array");
        else
            rs_error_set(err, RS_EFORMAT, "%s: %s", path, err->msg);
        rc = RS_EFORMAT;
    }
    for (int i = 0; rc == RS_OK && i < rs_json_len(pts); i++) {
        const rs_json *p = rs_json_at(pts, i);
        const char *name = rs_json_str(rs_json_get(p, "name"), NULL);
        if (name == NULL || strchr(name, '/') != NULL)
            continue;
        if (c->n >= RS_COMPARE_RUNS_MAX) {
            rc =
                rs_error_set(err, RS_EINVAL, "%s: more than %d runs to compare",
                             dir, RS_COMPARE_RUNS_MAX);
            break;
        }
        /* the run is beside the manifest, wherever the sweep moved */
        char *rd = rs_xasprintf("%s/%s", dir, name);
        struct run *r = add_run(c, rd);
        free(rd);
        long long idx = -1;
        if (!rs_json_integer(rs_json_get(p, "index"), &idx) || idx < 0 ||
            idx > 1000000)
            idx = i;
        r->index = (int)idx;
        add_params(r, rs_json_get(p, "params"), rs_json_get(p, "seed"));
    }
    rs_json_free(v);
    free(text);
    free(path);
    return rc;
}

/* Point r's exit code as the sweep recorded it (DIR/exit/INDEX, written
 * by run-point.sh when the point ends), or -1 while there is none. */
static int
read_exit(const rs_compare *c, const struct run *r)
{
    char *path = rs_xasprintf("%s/exit/%d", c->home, r->index);
    FILE *f = fopen(path, "r");
    free(path);
    int code = -1;
    if (f != NULL) {
        if (fscanf(f, "%d", &code) != 1)
            code = -1;
        fclose(f);
    }
    return code;
}

static bool
has_log(const struct run *r)
{
    char *log = rs_xasprintf("%s/run.jsonl", r->dir);
    bool yes = is_file(log);
    free(log);
    return yes;
}

/* Move the sweep's runs without a run.jsonl from runs to pending (both
 * stay in sweep order). */
static void
set_aside(rs_compare *c)
{
    int k = 0;
    for (int i = 0; i < c->n; i++) {
        if (has_log(&c->runs[i])) {
            c->runs[k++] = c->runs[i];
            continue;
        }
        c->pending = rs_xreallocarray(c->pending, (size_t)c->missing + 1,
                                      sizeof *c->pending);
        c->pending[c->missing++] = c->runs[i];
    }
    c->n = k;
}

/* Make the pending points that have started members, each at its place
 * in sweep order. Returns how many, or a negative rs_status + err. */
static int
adopt(rs_compare *c, struct rs_error *err)
{
    int got = 0;
    for (int i = 0; i < c->missing;) {
        struct run *p = &c->pending[i];
        if (!has_log(p)) {
            i++;
            continue;
        }
        p->a = rs_attach_new_member(p->dir, c->bus, p->label, err);
        if (p->a == NULL)
            return err->code;
        if (c->by_group)
            rs_compare_groups_tap(c, p);
        c->runs = rs_xreallocarray(c->runs, (size_t)c->n + 1, sizeof *c->runs);
        int at = c->n;
        while (at > 0 && c->runs[at - 1].index > p->index)
            at--;
        memmove(&c->runs[at + 1], &c->runs[at],
                (size_t)(c->n - at) * sizeof *c->runs);
        c->runs[at] = *p;
        c->n++;
        memmove(p, p + 1, (size_t)(c->missing - i - 1) * sizeof *p);
        c->missing--;
        got++;
    }
    return got;
}

/* The sweep's exit codes as they stand; true when one changed. */
static bool
read_exits(rs_compare *c)
{
    bool changed = false;
    for (int i = 0; i < c->n + c->missing; i++) {
        struct run *r = i < c->n ? &c->runs[i] : &c->pending[i - c->n];
        if (r->exit_code >= 0)
            continue;
        r->exit_code = read_exit(c, r);
        changed |= r->exit_code >= 0;
    }
    return changed;
}

/* ---- labels -------------------------------------------------------------- */

static const char *
param_of(const struct run *r, const char *key)
{
    for (int i = 0; i < r->nparams; i++)
        if (strcmp(r->params[i].key, key) == 0)
            return r->params[i].val;
    return NULL;
}

/* Whether key has other values in some runs (absent counts as one). */
static bool
differs(const rs_compare *c, const char *key)
{
    const char *v0 = param_of(&c->runs[0], key);
    for (int i = 1; i < c->n; i++) {
        const char *v = param_of(&c->runs[i], key);
        if ((v == NULL) != (v0 == NULL) || (v != NULL && strcmp(v, v0) != 0))
            return true;
    }
    return false;
}

/* Append "key=val" to dst (cap bytes, space-separated). */
static void
append_kv(char *dst, size_t cap, const char *key, const char *val)
{
    size_t k = strlen(dst);
    if (k + 1 < cap)
        snprintf(dst + k, cap - k, "%s%s=%s", k > 0 ? " " : "", key,
                 val != NULL ? val : "-");
}

static void
sanitise(char *s)
{
    for (; *s != '\0'; s++)
        if (*s == '/' || (unsigned char)*s < 0x20)
            *s = '_';
}

/* Every run's label and group from the params that differ, in the order
 * they first appear, the seed last. */
static void
make_labels(rs_compare *c)
{
    const char *keys[PARAMS_MAX * 2];
    int nk = 0;
    for (int i = 0; i < c->n; i++)
        for (int k = 0; k < c->runs[i].nparams; k++) {
            const char *key = c->runs[i].params[k].key;
            bool seen = strcmp(key, "seed") == 0;
            for (int j = 0; j < nk && !seen; j++)
                seen = strcmp(keys[j], key) == 0;
            if (!seen && nk < (int)RS_ARRAY_LEN(keys) - 1 && differs(c, key))
                keys[nk++] = key;
        }
    bool seed = differs(c, "seed");
    for (int i = 0; i < c->n; i++) {
        struct run *r = &c->runs[i];
        char buf[256] = "";
        for (int k = 0; k < nk; k++)
            append_kv(buf, sizeof buf, keys[k], param_of(r, keys[k]));
        snprintf(r->group, sizeof r->group, "%.*s", LABEL_MAX, buf);
        if (seed)
            append_kv(buf, sizeof buf, "seed", param_of(r, "seed"));
        if (buf[0] == '\0') {
            const char *base = strrchr(r->dir, '/');
            while (base != NULL && base[1] == '\0' && base > r->dir) {
                /* "dir/": the name before the slash */
                const char *p = base - 1;
                while (p > r->dir && *p != '/')
                    p--;
                snprintf(buf, sizeof buf, "%.*s", (int)(base - p - (*p == '/')),
                         p + (*p == '/'));
                base = NULL;
            }
            if (buf[0] == '\0')
                snprintf(buf, sizeof buf, "%s",
                         base != NULL ? base + 1 : r->dir);
        }
        snprintf(r->label, sizeof r->label, "%.*s", LABEL_MAX, buf);
        sanitise(r->label);
        sanitise(r->group);
    }
    /* a label twice: the later ones get "#k" */
    for (int i = 1; i < c->n; i++) {
        int k = 1;
        for (int j = 0; j < i; j++)
            if (strcmp(c->runs[j].label, c->runs[i].label) == 0)
                k++;
        if (k > 1) {
            size_t len = strlen(c->runs[i].label);
            snprintf(c->runs[i].label + len, sizeof c->runs[i].label - len,
                     "#%d", k);
        }
    }
}

/* ---- life cycle ---------------------------------------------------------- */

/* A new comparison of n dirs (a sweep's when n is 1 and it holds
 * sweep.json): the runs found, labelled, the started ones members. */
static rs_compare *
compare_open(const char *const *dirs, int n, bool grid, const char *series,
             enum rs_compare_by by, struct rs_error *err)
{
    rs_compare *c = rs_xcalloc(1, sizeof *c);
    c->bus = rs_bus_new();
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    c->home = rs_xstrdup(dirs[0]);
    c->grid = grid;
    c->ylo = NAN;
    c->yhi = NAN;
    if (series != NULL) {
        snprintf(c->gseries, sizeof c->gseries, "%s", series);
        c->gseries_given = true;
    }
    char *manifest = rs_xasprintf("%s/sweep.json", dirs[0]);
    c->sweep = n == 1 && is_file(manifest);
    free(manifest);
    int rc = RS_OK;
    if (c->sweep) {
        rc = read_sweep(c, dirs[0], err);
        if (rc == RS_OK && c->n == 0)
            rc = rs_error_set(err, RS_EFORMAT, "%s/sweep.json: no points",
                              dirs[0]);
    } else {
        for (int i = 0; i < n; i++) {
            struct run *r = add_run(c, dirs[i]);
            r->index = i;
            read_meta(r);
        }
    }
    if (rc == RS_OK) {
        /* a sweep's labels from all its points, started or not, so that
         * they stay the same as the points start */
        make_labels(c);
        rs_compare_groups_init(c);
        c->by_group = !grid && (by == RS_COMPARE_BY_GROUP ||
                                (by == RS_COMPARE_BY_AUTO &&
                                 rs_compare_groups_useful(c)));
        if (c->sweep)
            set_aside(c);
        if (c->sweep && c->n == 0 && !grid)
            rc = rs_error_set(err, RS_EIO,
                              "%s: none of the sweep's %d points has "
                              "started",
                              dirs[0], c->missing);
    }
    for (int i = 0; rc == RS_OK && i < c->n; i++) {
        struct run *r = &c->runs[i];
        r->a = rs_attach_new_member(r->dir, c->bus, r->label, err);
        if (r->a == NULL)
            rc = err->code;
        else if (c->by_group)
            rs_compare_groups_tap(c, r);
    }
    if (rc != RS_OK) {
        rs_compare_free(c);
        return NULL;
    }
    return c;
}

rs_compare *
rs_compare_new(const char *const *dirs, int n, enum rs_compare_by by,
               struct rs_error *err)
{
    if (n < 1)
        return rs_error_set(err, RS_EINVAL, "name the runs to compare"), NULL;
    if (n > RS_COMPARE_RUNS_MAX)
        return rs_error_set(err, RS_EINVAL, "more than %d runs to compare",
                            RS_COMPARE_RUNS_MAX),
               NULL;
    return compare_open(dirs, n, false, NULL, by, err);
}

rs_compare *
rs_compare_new_grid(const char *dir, const char *series, struct rs_error *err)
{
    if (series != NULL &&
        (series[0] == '\0' || strlen(series) >= RS_BUS_NAME_MAX)) {
        rs_error_set(err, RS_EINVAL, "--series '%s': expected a series name",
                     series);
        return NULL;
    }
    char *manifest = rs_xasprintf("%s/sweep.json", dir);
    bool sweep = is_file(manifest);
    free(manifest);
    if (!sweep) {
        rs_error_set(err, RS_EIO,
                     "%s/sweep.json: no such file (not a sweep "
                     "directory?)",
                     dir);
        return NULL;
    }
    return compare_open(&dir, 1, true, series, RS_COMPARE_BY_RUN, err);
}

void
rs_compare_free(rs_compare *c)
{
    if (c == NULL)
        return;
    if (c->running) {
        pthread_mutex_lock(&c->mu);
        c->stop = true;
        pthread_cond_signal(&c->cv);
        pthread_mutex_unlock(&c->mu);
        pthread_join(c->thread, NULL);
    }
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    for (int i = 0; i < c->n + c->missing; i++) {
        struct run *r = i < c->n ? &c->runs[i] : &c->pending[i - c->n];
        rs_attach_free(r->a);
        for (int k = 0; k < r->nparams; k++) {
            free(r->params[k].key);
            free(r->params[k].val);
        }
        free(r->dir);
    }
    rs_compare_groups_free(c);
    free(c->runs);
    free(c->pending);
    rs_bus_free(c->bus);
    free(c->home);
    free(c->views);
    free(c->series);
    free(c);
}

rs_bus *
rs_compare_bus(rs_compare *c)
{
    return c->bus;
}

int
rs_compare_count(const rs_compare *c)
{
    return c->n;
}

const char *
rs_compare_label(const rs_compare *c, int i)
{
    return c->runs[i].label;
}

const char *
rs_compare_dir(const rs_compare *c, int i)
{
    return c->runs[i].dir;
}

/* ---- polling ------------------------------------------------------------- */

int
rs_compare_poll(rs_compare *c, struct rs_error *err)
{
    int lines = 0;
    if (c->sweep) {
        /* points that started since, and their ends (counted as lines
         * taken: the views change with them) */
        int got = adopt(c, err);
        if (got < 0)
            return got;
        lines += got + read_exits(c);
    }
    for (int i = 0; i < c->n; i++) {
        int n = rs_attach_poll(c->runs[i].a, err);
        if (n < 0)
            return n;
        lines += n;
    }
    if (lines == 0 && c->views != NULL)
        return 0;
    if (c->by_group)
        rs_compare_groups_publish(c);
    char *views =
        c->grid ? rs_compare_build_grid(c) : rs_compare_build_views(c);
    if (c->views == NULL || strcmp(views, c->views) != 0) {
        rs_bus_set_views(c->bus, views);
        free(c->views);
        c->views = views;
    } else {
        free(views);
    }
    if (c->grid) {
        rs_compare_publish_grid_status(c);
    } else {
        rs_compare_publish_table(c);
        rs_compare_publish_status(c);
    }
    rs_bus_flush(c->bus);
    return lines;
}

int
rs_compare_read_all(rs_compare *c, struct rs_error *err)
{
    int n;
    while ((n = rs_compare_poll(c, err)) > 0)
        ;
    return n < 0 ? n : RS_OK;
}

static void *
feeder(void *arg)
{
    rs_compare *c = arg;
    pthread_mutex_lock(&c->mu);
    while (!c->stop) {
        pthread_mutex_unlock(&c->mu);
        struct rs_error err = {0};
        if (rs_compare_poll(c, &err) < 0) {
            rs_bus_print(c->bus, err.msg);
            rs_bus_flush(c->bus);
        }
        pthread_mutex_lock(&c->mu);
        if (c->stop)
            break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        double t = (double)ts.tv_nsec * 1e-9 + c->interval;
        ts.tv_sec += (time_t)t;
        ts.tv_nsec = (long)((t - floor(t)) * 1e9);
        pthread_cond_timedwait(&c->cv, &c->mu, &ts);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

int
rs_compare_start(rs_compare *c, double interval_s, struct rs_error *err)
{
    if (c->running)
        return rs_error_set(err, RS_EINVAL, "already following");
    c->interval = interval_s > 0 ? interval_s : 0.2;
    int rc = rs_thread_start(&c->thread, feeder, c);
    if (rc != 0)
        return rs_error_set(err, RS_ENOMEM, "cannot start the feeder: %s",
                            strerror(rc));
    c->running = true;
    return RS_OK;
}
