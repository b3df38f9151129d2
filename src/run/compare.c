/* repscope - MIT licence, see COPYING.
 *
 * compare.c: several run directories read onto one bus (compare.h).
 * Each run is an attach member that prefixes its names with the run's
 * label; this file finds the runs (the arguments, or a sweep's
 * manifest), names them by the params that differ, and after every poll
 * publishes what no single run has: the view specs that overlay the runs
 * (rebuilt as JSON text, published only when it changed), the table of
 * final values and a status for them all. The feeder (the caller's
 * thread, or the thread of rs_compare_start) is the bus's one writer.
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
#include "run/json.h"
#include "run/thread.h"

#define PARAMS_MAX 32
#define LABEL_MAX 40    /* bytes of a label, so that names stay short */
#define META_MAX 262144 /* bytes of a meta line read at most */
#define FINAL_NAME "compare/final"

struct param {
    char *key, *val;
};

struct run {
    int index; /* its place: the argument's, or the sweep point's */
    char *dir;
    char label[LABEL_MAX + 8];
    char group[LABEL_MAX + 8]; /* the label without the seed */
    struct param params[PARAMS_MAX];
    int nparams;
    rs_attach *a;
    int exit_code; /* the sweep's record of it (exit/INDEX); -1: none */
};

struct rs_compare {
    rs_bus *bus;
    struct run *runs; /* (n) */
    int n;
    int missing; /* sweep points with no run yet (pending) */
    struct run *pending; /* (missing) those points, in sweep order */
    bool sweep;  /* the runs are a sweep's points */
    bool grid;   /* rs_compare_new_grid: small multiples */
    char gseries[RS_BUS_NAME_MAX]; /* the grid's series ("": not yet) */
    bool gseries_given;            /* named by the caller */
    double ylo, yhi;               /* the grid's shared y range */
    char *home;  /* the sweep directory, or the first run's */
    char *views; /* the view specs last published */
    /* overlaid series (the table's columns are the first of them) */
    char (*series)[RS_BUS_NAME_MAX];
    int nseries;
    /* the feeder thread */
    pthread_t thread;
    bool running, stop;
    double interval;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

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
        c->runs =
            rs_xreallocarray(c->runs, (size_t)c->n + 1, sizeof *c->runs);
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
             struct rs_error *err)
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
    }
    if (rc != RS_OK) {
        rs_compare_free(c);
        return NULL;
    }
    return c;
}

rs_compare *
rs_compare_new(const char *const *dirs, int n, struct rs_error *err)
{
    if (n < 1)
        return rs_error_set(err, RS_EINVAL, "name the runs to compare"), NULL;
    if (n > RS_COMPARE_RUNS_MAX)
        return rs_error_set(err, RS_EINVAL, "more than %d runs to compare",
                            RS_COMPARE_RUNS_MAX),
               NULL;
    return compare_open(dirs, n, false, NULL, err);
}

rs_compare *
rs_compare_new_grid(const char *dir, const char *series, struct rs_error *err)
{
    if (series != NULL && (series[0] == '\0' ||
                           strlen(series) >= RS_BUS_NAME_MAX)) {
        rs_error_set(err, RS_EINVAL, "--series '%s': expected a series name",
                     series);
        return NULL;
    }
    char *manifest = rs_xasprintf("%s/sweep.json", dir);
    bool sweep = is_file(manifest);
    free(manifest);
    if (!sweep) {
        rs_error_set(err, RS_EIO, "%s/sweep.json: no such file (not a sweep "
                                  "directory?)",
                     dir);
        return NULL;
    }
    return compare_open(&dir, 1, true, series, err);
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

/* ---- the view specs ------------------------------------------------------ */

static void
lit(struct rs_json_buf *b, const char *s)
{
    rs_json_buf_raw(b, s, strlen(s));
}

static void
str(struct rs_json_buf *b, const char *s)
{
    rs_json_buf_string(b, s, strlen(s));
}

/* v's string, or def when it is none. */
static const char *
str_or(const rs_json *v, const char *def)
{
    const char *s = rs_json_str(v, NULL);
    return s != NULL ? s : def;
}

/* "<label>/<name>" as a JSON string, cut as the bus cuts names. */
static void
prefixed(struct rs_json_buf *b, const char *label, const char *name)
{
    char buf[2 * RS_BUS_NAME_MAX + 64];
    int n = snprintf(buf, sizeof buf, "%s/%.*s", label, RS_BUS_NAME_MAX, name);
    size_t len = n < 0 ? 0 : (size_t)n;
    rs_json_buf_string(b, buf,
                       len < RS_BUS_NAME_MAX ? len : RS_BUS_NAME_MAX - 1);
}

static bool
has_series(const rs_compare *c, const char *name)
{
    for (int i = 0; i < c->nseries; i++)
        if (strcmp(c->series[i], name) == 0)
            return true;
    return false;
}

static void
add_series(rs_compare *c, const char *name)
{
    if (has_series(c, name) || strlen(name) >= RS_BUS_NAME_MAX)
        return;
    c->series =
        rs_xreallocarray(c->series, (size_t)c->nseries + 1, sizeof *c->series);
    snprintf(c->series[c->nseries++], RS_BUS_NAME_MAX, "%s", name);
}

/* The overlaid series when no run recorded its views: every series name
 * on the bus without its run's prefix (time/ left out), sorted. */
static void
series_from_bus(rs_compare *c)
{
    rs_bus_flush(c->bus);
    int n = rs_bus_series_names(c->bus, NULL, 0);
    char(*names)[RS_BUS_NAME_MAX] =
        rs_xcalloc(n > 0 ? (size_t)n : 1, sizeof *names);
    int m = rs_bus_series_names(c->bus, names, n);
    n = m < n ? m : n;
    for (int i = 0; i < n; i++)
        for (int r = 0; r < c->n; r++) {
            size_t k = strlen(c->runs[r].label);
            if (strncmp(names[i], c->runs[r].label, k) == 0 &&
                names[i][k] == '/' && strncmp(names[i] + k + 1, "time/", 5))
                add_series(c, names[i] + k + 1);
        }
    free(names);
}

/* Runs [lo[k], hi[k]) of each overlay panel: all (when they fit), else
 * each group, cut into pieces of RS_COMPARE_OVERLAY. Returns the count. */
static int
chunks(const rs_compare *c, int *lo, int *hi, int max)
{
    int k = 0;
    for (int i = 0; i < c->n && k < max;) {
        int j = i + 1;
        if (c->n <= RS_COMPARE_OVERLAY)
            j = c->n;
        else
            while (j < c->n && j - i < RS_COMPARE_OVERLAY &&
                   strcmp(c->runs[j].group, c->runs[i].group) == 0)
                j++;
        lo[k] = i;
        hi[k++] = j;
        i = j;
    }
    return k;
}

/* The curves view of the scene that shows series name, for its axes. */
static const rs_json *
view_of(const rs_json *views, const char *name)
{
    for (int i = 0; i < rs_json_len(views); i++) {
        const rs_json *v = rs_json_at(views, i);
        const rs_json *s = rs_json_get(v, "series");
        for (int k = 0; k < rs_json_len(s); k++) {
            const char *n = rs_json_str(rs_json_at(s, k), NULL);
            if (n != NULL && strcmp(n, name) == 0)
                return v;
        }
    }
    return NULL;
}

/* One overlay panel: series s of runs [lo, hi). */
static void
overlay(const rs_compare *c, struct rs_json_buf *b, const rs_json *views,
        const char *s, int lo, int hi, bool grouped)
{
    lit(b, "{\"kind\":\"curves\",\"markers\":false,\"title\":");
    char title[160];
    snprintf(title, sizeof title, "%s%s%s", s, grouped ? " \xc2\xb7 " : "",
             grouped ? c->runs[lo].group : "");
    str(b, title);
    /* the scene's axes for it */
    const rs_json *v = view_of(views, s);
    static const char *const keep[] = {"x",    "y",     "ymin",
                                       "ymax", "xfrom", "xlabel"};
    for (size_t k = 0; v != NULL && k < RS_ARRAY_LEN(keep); k++) {
        const rs_json *m = rs_json_get(v, keep[k]);
        size_t len = 0;
        const char *t = m != NULL ? rs_json_text(m, &len) : NULL;
        if (t == NULL)
            continue;
        lit(b, ",");
        str(b, keep[k]);
        lit(b, ":");
        rs_json_buf_raw(b, t, len);
    }
    lit(b, ",\"series\":[");
    for (int i = lo; i < hi; i++) {
        if (i > lo)
            lit(b, ",");
        prefixed(b, c->runs[i].label, s);
    }
    lit(b, "]}");
}

/* View v (not curves) for run r: its names prefixed with r's label, its
 * title led by it; a spectrum or neuron map that names only its layer
 * gets its matrix, a rank heatmap that names only its layers its series
 * (the owner's names then follow from them, ui/viewspec.h). */
static void
member_view(const struct run *r, struct rs_json_buf *b, const rs_json *v)
{
    static const char *const names[] = {"matrix", "truth"};
    static const char *const lists[] = {"series", "yseries", "matrices"};
    const char *kind = str_or(rs_json_get(v, "kind"), "");
    bool layer_view =
        strcmp(kind, "spectrum") == 0 || strcmp(kind, "neurons") == 0;
    lit(b, "{");
    for (int i = 0; i < rs_json_len(v); i++) {
        const char *key = rs_json_key(v, i, NULL);
        const rs_json *m = rs_json_at(v, i);
        if (i > 0)
            lit(b, ",");
        str(b, key);
        lit(b, ":");
        bool name = false, list = false;
        for (size_t k = 0; k < RS_ARRAY_LEN(names); k++)
            name |= strcmp(key, names[k]) == 0;
        for (size_t k = 0; k < RS_ARRAY_LEN(lists); k++)
            list |= strcmp(key, lists[k]) == 0;
        if (strcmp(key, "title") == 0) {
            /* a spectrum's or neuron map's title shares its line with the
             * layer and ranks, and is kept only when short: the label */
            char t[200];
            if (layer_view)
                snprintf(t, sizeof t, "%s", r->label);
            else
                snprintf(t, sizeof t, "%s \xc2\xb7 %s", r->label,
                         str_or(m, ""));
            str(b, t);
        } else if (name && rs_json_str(m, NULL) != NULL) {
            prefixed(b, r->label, rs_json_str(m, NULL));
        } else if (list && rs_json_typeof(m) == RS_JSON_ARRAY) {
            lit(b, "[");
            for (int k = 0; k < rs_json_len(m); k++) {
                if (k > 0)
                    lit(b, ",");
                prefixed(b, r->label, str_or(rs_json_at(m, k), ""));
            }
            lit(b, "]");
        } else {
            size_t len = 0;
            const char *t = rs_json_text(m, &len);
            rs_json_buf_raw(b, t, len);
        }
    }
    const char *layer = rs_json_str(rs_json_get(v, "layer"), NULL);
    if (rs_json_get(v, "title") == NULL) {
        lit(b, rs_json_len(v) > 0 ? ",\"title\":" : "\"title\":");
        char t[200];
        if (layer_view)
            snprintf(t, sizeof t, "%s", r->label);
        else
            snprintf(t, sizeof t, "%s \xc2\xb7 %s", r->label, kind);
        str(b, t);
    }
    bool spectrum = strcmp(kind, "spectrum") == 0;
    if ((spectrum || strcmp(kind, "neurons") == 0) && layer != NULL &&
        rs_json_get(v, "matrix") == NULL) {
        char m[RS_BUS_NAME_MAX];
        snprintf(m, sizeof m, "%s/%s", spectrum ? "spectrum" : "neurons",
                 layer);
        lit(b, ",\"matrix\":");
        prefixed(b, r->label, m);
    }
    const rs_json *layers = rs_json_get(v, "layers");
    if (strcmp(kind, "rank_heatmap") == 0 && rs_json_get(v, "series") == NULL &&
        rs_json_len(layers) > 0) {
        const char *metric = str_or(rs_json_get(v, "metric"), "srank");
        lit(b, ",\"series\":[");
        for (int k = 0; k < rs_json_len(layers); k++) {
            char s[RS_BUS_NAME_MAX];
            snprintf(s, sizeof s, "probe/%s/%s", metric,
                     str_or(rs_json_at(layers, k), ""));
            if (k > 0)
                lit(b, ",");
            prefixed(b, r->label, s);
        }
        lit(b, "]");
    }
    lit(b, "}");
}

/* Whether v is a curves view (or no object: never shown per run). */
static bool
is_curves(const rs_json *v)
{
    return rs_json_typeof(v) != RS_JSON_OBJECT ||
           strcmp(str_or(rs_json_get(v, "kind"), ""), "curves") == 0;
}

/* The view specs for the runs as they stand (a new string). */
static char *
build_views(rs_compare *c)
{
    const char *text = NULL;
    for (int i = 0; i < c->n && text == NULL; i++)
        text = rs_attach_views(c->runs[i].a);
    rs_json *root =
        text != NULL ? rs_json_parse(text, strlen(text), NULL) : NULL;
    const rs_json *views = rs_json_get(root, "views");
    for (int i = 0; i < rs_json_len(views); i++) {
        const rs_json *v = rs_json_at(views, i);
        const rs_json *s = rs_json_get(v, "series");
        if (strcmp(str_or(rs_json_get(v, "kind"), ""), "curves") != 0)
            continue;
        for (int k = 0; k < rs_json_len(s); k++) {
            const char *n = rs_json_str(rs_json_at(s, k), NULL);
            if (n != NULL)
                add_series(c, n);
        }
    }
    if (views == NULL)
        series_from_bus(c);

    struct rs_json_buf b = {0};
    struct rs_bus_status st;
    rs_attach_status(c->runs[0].a, &st);
    const char *title = str_or(rs_json_get(root, "title"), st.title);
    char t[200];
    snprintf(t, sizeof t, "compare: %s", title);
    lit(&b, "{\"version\":1,\"title\":");
    str(&b, t);
    lit(&b, ",\"views\":[");
    int lo[RS_COMPARE_PANELS], hi[RS_COMPARE_PANELS];
    int nch = chunks(c, lo, hi, RS_COMPARE_PANELS);
    int panels = 0;
    bool table = false;
    /* overlays (and the table) take half the panels when the scene has
     * matrix views to show per run, else all */
    int overlays = RS_COMPARE_PANELS;
    for (int i = 0; i < rs_json_len(views); i++)
        if (!is_curves(rs_json_at(views, i)))
            overlays = RS_COMPARE_PANELS / 2;
    /* the first series' overlays, the table, the other overlays */
    for (int s = 0; s < c->nseries; s++) {
        for (int k = 0; k < nch && panels < overlays; k++) {
            if (panels > 0)
                lit(&b, ",");
            overlay(c, &b, views, c->series[s], lo[k], hi[k], nch > 1);
            panels++;
        }
        /* the table early enough to be seen: after the second series,
         * or the first one's when it takes a panel per group */
        if (!table && (s == 1 || nch > 1 || s == c->nseries - 1) &&
            panels < RS_COMPARE_PANELS) {
            lit(&b, ",{\"kind\":\"table\",\"title\":\"final values\","
                    "\"matrix\":\"" FINAL_NAME "\"}");
            table = true;
            panels++;
        }
    }
    /* every other view once per run, the panels left shared between
     * the views (each shows its first runs, at least two) */
    int left = 0;
    for (int i = 0; i < rs_json_len(views); i++)
        left += !is_curves(rs_json_at(views, i));
    for (int i = 0; i < rs_json_len(views); i++) {
        const rs_json *v = rs_json_at(views, i);
        if (is_curves(v))
            continue;
        int share = (RS_COMPARE_PANELS - panels) / (left > 0 ? left : 1);
        share = share < 2 ? 2 : share;
        left--;
        for (int r = 0; r < c->n && r < share && panels < RS_COMPARE_PANELS;
             r++) {
            if (panels++ > 0)
                lit(&b, ",");
            member_view(&c->runs[r], &b, v);
        }
    }
    lit(&b, "]}");
    rs_json_free(root);
    return rs_json_buf_take(&b);
}

/* ---- the table and the status -------------------------------------------- */

static void
publish_table(rs_compare *c)
{
    int cols =
        1 + (c->nseries < RS_COMPARE_COLUMNS ? c->nseries : RS_COMPARE_COLUMNS);
    float *data = rs_xcalloc((size_t)c->n * (size_t)cols, sizeof *data);
    const char **rl = rs_xcalloc((size_t)c->n, sizeof *rl);
    const char **cl = rs_xcalloc((size_t)cols, sizeof *cl);
    cl[0] = "step";
    for (int j = 1; j < cols; j++)
        cl[j] = c->series[j - 1];
    for (int i = 0; i < c->n; i++) {
        struct rs_bus_status st;
        rs_attach_status(c->runs[i].a, &st);
        rl[i] = c->runs[i].label;
        float *row = data + (size_t)i * (size_t)cols;
        row[0] = st.state == RS_SESSION_LOADING ? NAN : (float)st.step;
        for (int j = 1; j < cols; j++) {
            char name[RS_BUS_NAME_MAX];
            double step, v;
            snprintf(name, sizeof name, "%s/%s", c->runs[i].label, cl[j]);
            row[j] =
                rs_bus_writer_last(c->bus, name, &step, &v) ? (float)v : NAN;
        }
    }
    rs_bus_put_matrix(c->bus, FINAL_NAME, 0, c->n, cols, data, rl, cl);
    free(data);
    free(rl);
    free(cl);
}

static void
publish_status(rs_compare *c)
{
    struct rs_bus_status all = {
        .state = RS_SESSION_DONE, .eta_s = -1, .total = -1};
    int running = 0, failed = -1, done = 0;
    for (int i = 0; i < c->n; i++) {
        struct rs_bus_status st;
        rs_attach_status(c->runs[i].a, &st);
        if (i == 0) {
            snprintf(all.scene, sizeof all.scene, "%s", st.scene);
            snprintf(all.kernel, sizeof all.kernel, "%s", st.kernel);
        }
        all.step = st.step > all.step ? st.step : all.step;
        all.total = st.total > all.total ? st.total : all.total;
        if (st.state == RS_SESSION_FAILED && failed < 0)
            failed = i;
        else if (st.state == RS_SESSION_DONE)
            done++;
        else
            running++;
    }
    snprintf(all.title, sizeof all.title, "compare: %d runs of %s", c->n,
             all.scene);
    snprintf(all.run_dir, sizeof all.run_dir, "%s", c->home);
    int k = snprintf(all.message, sizeof all.message,
                     "%d runs: %d done, %d running", c->n, done, running);
    if (c->missing > 0 && k > 0 && (size_t)k < sizeof all.message)
        k += snprintf(all.message + k, sizeof all.message - (size_t)k,
                      ", %d not started", c->missing);
    if (failed >= 0) {
        struct rs_bus_status st;
        rs_attach_status(c->runs[failed].a, &st);
        all.state = RS_SESSION_FAILED;
        snprintf(all.message, sizeof all.message, "%s failed: %.400s",
                 c->runs[failed].label, st.message);
    } else if (running > 0) {
        all.state = RS_SESSION_RUNNING;
    }
    rs_bus_set_status(c->bus, &all);
}

/* ---- the grid of a sweep -------------------------------------------- */

enum point_state { PT_WAITING, PT_RUNNING, PT_DONE, PT_FAILED };

/* Where point r stands: its log's state, corrected by the exit code the
 * sweep recorded (a run killed before its log said so ended all the
 * same). */
static enum point_state
point_state(const struct run *r)
{
    if (r->a == NULL)
        return r->exit_code < 0   ? PT_WAITING
               : r->exit_code > 0 ? PT_FAILED
                                  : PT_DONE;
    struct rs_bus_status st;
    rs_attach_status(r->a, &st);
    if (st.state == RS_SESSION_FAILED || r->exit_code > 0)
        return PT_FAILED;
    if (st.state == RS_SESSION_DONE || r->exit_code == 0)
        return PT_DONE;
    return PT_RUNNING;
}

/* Every point, started or not, in sweep order (n + missing pointers into
 * runs and pending; a new array). */
static const struct run **
all_points(const rs_compare *c)
{
    int n = c->n + c->missing;
    const struct run **p = rs_xcalloc(n > 0 ? (size_t)n : 1, sizeof *p);
    int i = 0, j = 0;
    for (int k = 0; k < n; k++)
        if (j >= c->missing ||
            (i < c->n && c->runs[i].index < c->pending[j].index))
            p[k] = &c->runs[i++];
        else
            p[k] = &c->pending[j++];
    return p;
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

/* The smallest and largest value any run logged of the grid's series
 * (NaN, NaN: none yet), from the bus's buckets (their min and max). */
static void
data_range(rs_compare *c, double *lo, double *hi)
{
    *lo = NAN;
    *hi = NAN;
    struct rs_bus_point *pts =
        rs_xcalloc(RS_BUS_SERIES_CAP, sizeof *pts);
    rs_bus_flush(c->bus);
    for (int i = 0; i < c->n; i++) {
        /* the name as the member published it: cut as the bus cuts */
        char name[2 * RS_BUS_NAME_MAX + 64];
        snprintf(name, sizeof name, "%s/%s", c->runs[i].label, c->gseries);
        name[RS_BUS_NAME_MAX - 1] = '\0';
        uint64_t ver;
        size_t m = rs_bus_series_copy(c->bus, name, pts, RS_BUS_SERIES_CAP,
                                      &ver);
        for (size_t k = 0; k < m; k++) {
            double mn = (double)pts[k].min, mx = (double)pts[k].max;
            if (!(mn >= *lo))
                *lo = mn;
            if (!(mx <= *hi))
                *hi = mx;
        }
    }
    free(pts);
}

/* [lo, hi] widened to round numbers, so that the panels' shared range
 * (and so the view specs) changes seldom as the runs go on: decades on a
 * log axis, else multiples of a 1-2-5 step near a quarter of the span. */
static void
round_range(double *lo, double *hi, bool log_y)
{
    if (log_y && *lo > 0) {
        *lo = pow(10, floor(log10(*lo)));
        *hi = pow(10, ceil(log10(*hi)));
        if (*hi <= *lo)
            *hi = *lo * 10;
        return;
    }
    double span = *hi - *lo;
    if (!(span > 0))
        span = fabs(*lo) > 0 ? fabs(*lo) : 1;
    double step = pow(10, floor(log10(span / 4)));
    double f = span / 4 / step;
    step *= f > 5 ? 10 : f > 2 ? 5 : f > 1 ? 2 : 1;
    *lo = floor(*lo / step) * step;
    *hi = ceil(*hi / step) * step;
    if (*hi <= *lo)
        *hi = *lo + step;
}

/* A number as a JSON value (null when not finite). */
static void
num(struct rs_json_buf *b, double v)
{
    char t[40];
    rs_json_number(t, sizeof t, v);
    lit(b, t);
}

/* The grid's series (when the caller named none: the first series of the
 * first curves view a run recorded, else the first series any run
 * logged, time/ left out), its scene view (NULL if none) in *view. */
static void
grid_series(rs_compare *c, const rs_json *views, const rs_json **view)
{
    for (int i = 0; c->gseries[0] == '\0' && i < rs_json_len(views); i++) {
        const rs_json *v = rs_json_at(views, i);
        const char *s = rs_json_str(rs_json_at(rs_json_get(v, "series"), 0),
                                    NULL);
        if (strcmp(str_or(rs_json_get(v, "kind"), ""), "curves") == 0 &&
            s != NULL)
            snprintf(c->gseries, sizeof c->gseries, "%s", s);
    }
    if (c->gseries[0] == '\0' && views == NULL) {
        series_from_bus(c);
        if (c->nseries > 0)
            snprintf(c->gseries, sizeof c->gseries, "%s", c->series[0]);
    }
    *view = c->gseries[0] != '\0' ? view_of(views, c->gseries) : NULL;
}

/* The grid's view specs (a new string): a small curves panel per point
 * in sweep order (the first RS_COMPARE_PANELS), titled by its label and
 * how it stands, all on one y range. */
static char *
build_grid(rs_compare *c)
{
    const char *text = NULL;
    for (int i = 0; i < c->n && text == NULL; i++)
        text = rs_attach_views(c->runs[i].a);
    rs_json *root =
        text != NULL ? rs_json_parse(text, strlen(text), NULL) : NULL;
    const rs_json *views = rs_json_get(root, "views");
    const rs_json *view = NULL;
    grid_series(c, views, &view);

    /* the shared y range: the scene's when it gives both ends, else the
     * data's, rounded */
    double lo = rs_json_num(rs_json_get(view, "ymin"), NAN);
    double hi = rs_json_num(rs_json_get(view, "ymax"), NAN);
    if (!(lo < hi) && c->gseries[0] != '\0') {
        data_range(c, &lo, &hi);
        if (lo <= hi)
            round_range(&lo, &hi,
                        strcmp(str_or(rs_json_get(view, "y"), ""), "log") ==
                            0);
    }
    c->ylo = lo;
    c->yhi = hi;

    struct rs_json_buf b = {0};
    char t[200];
    snprintf(t, sizeof t, "sweep: %s",
             str_or(rs_json_get(root, "title"), "runs"));
    lit(&b, "{\"version\":1,\"title\":");
    str(&b, t);
    lit(&b, ",\"views\":[");
    const struct run **pts = all_points(c);
    int n = c->n + c->missing;
    for (int k = 0; k < n && k < RS_COMPARE_PANELS; k++) {
        const struct run *r = pts[k];
        static const char *const said[] = {" \xc2\xb7 not started", "",
                                           " \xc2\xb7 done", " \xc2\xb7 FAILED"};
        enum point_state ps = point_state(r);
        char title[160];
        if (ps == PT_FAILED && r->exit_code > 0)
            snprintf(title, sizeof title, "%s \xc2\xb7 FAILED, exit %d",
                     r->label, r->exit_code);
        else
            snprintf(title, sizeof title, "%s%s", r->label, said[ps]);
        lit(&b, k > 0 ? ",{" : "{");
        lit(&b, "\"kind\":\"curves\",\"markers\":false,\"small\":true,"
                "\"title\":");
        str(&b, title);
        static const char *const keep[] = {"x", "y", "xfrom", "xlabel"};
        for (size_t j = 0; view != NULL && j < RS_ARRAY_LEN(keep); j++) {
            size_t len = 0;
            const rs_json *m = rs_json_get(view, keep[j]);
            const char *tx = m != NULL ? rs_json_text(m, &len) : NULL;
            if (tx == NULL)
                continue;
            lit(&b, ",");
            str(&b, keep[j]);
            lit(&b, ":");
            rs_json_buf_raw(&b, tx, len);
        }
        if (lo < hi) {
            lit(&b, ",\"ymin\":");
            num(&b, lo);
            lit(&b, ",\"ymax\":");
            num(&b, hi);
        }
        lit(&b, ",\"series\":[");
        if (c->gseries[0] != '\0')
            prefixed(&b, r->label, c->gseries);
        lit(&b, "]}");
    }
    free(pts);
    lit(&b, "]}");
    rs_json_free(root);
    return rs_json_buf_take(&b);
}

static void
publish_grid_status(rs_compare *c)
{
    struct rs_bus_status all = {
        .state = RS_SESSION_LOADING, .eta_s = -1, .total = -1};
    int count[4] = {0};
    const struct run *failed = NULL;
    const struct run **pts = all_points(c);
    int n = c->n + c->missing;
    for (int k = 0; k < n; k++) {
        enum point_state ps = point_state(pts[k]);
        count[ps]++;
        if (ps == PT_FAILED && failed == NULL)
            failed = pts[k];
        if (pts[k]->a == NULL)
            continue;
        struct rs_bus_status st;
        rs_attach_status(pts[k]->a, &st);
        if (all.scene[0] == '\0')
            snprintf(all.scene, sizeof all.scene, "%s", st.scene);
        all.step = st.step > all.step ? st.step : all.step;
        all.total = st.total > all.total ? st.total : all.total;
    }
    free(pts);
    if (count[PT_FAILED] > 0)
        all.state = RS_SESSION_FAILED;
    else if (count[PT_RUNNING] > 0)
        all.state = RS_SESSION_RUNNING;
    else if (count[PT_DONE] == n)
        all.state = RS_SESSION_DONE;
    snprintf(all.title, sizeof all.title, "sweep of %d: %s", n,
             c->gseries[0] != '\0' ? c->gseries : "?");
    snprintf(all.run_dir, sizeof all.run_dir, "%s", c->home);
    int k = snprintf(all.message, sizeof all.message,
                     "%d points: %d done, %d running, %d failed, "
                     "%d not started",
                     n, count[PT_DONE], count[PT_RUNNING], count[PT_FAILED],
                     count[PT_WAITING]);
    if (n > RS_COMPARE_PANELS && k > 0 && (size_t)k < sizeof all.message)
        k += snprintf(all.message + k, sizeof all.message - (size_t)k,
                      "; panels for the first %d", RS_COMPARE_PANELS);
    if (failed != NULL && k > 0 && (size_t)k < sizeof all.message) {
        struct rs_bus_status st = {0};
        if (failed->a != NULL)
            rs_attach_status(failed->a, &st);
        k += snprintf(all.message + k, sizeof all.message - (size_t)k,
                      "; %s failed", failed->label);
        if (failed->exit_code > 0 && k > 0 && (size_t)k < sizeof all.message)
            k += snprintf(all.message + k, sizeof all.message - (size_t)k,
                          " (exit %d)", failed->exit_code);
        if (st.state == RS_SESSION_FAILED && k > 0 &&
            (size_t)k < sizeof all.message)
            snprintf(all.message + k, sizeof all.message - (size_t)k,
                     ": %.300s", st.message);
    }
    rs_bus_set_status(c->bus, &all);
}

const char *
rs_compare_grid_series(const rs_compare *c)
{
    return c->gseries;
}

void
rs_compare_grid_range(const rs_compare *c, double *lo, double *hi)
{
    *lo = c->ylo;
    *hi = c->yhi;
}

int
rs_compare_grid_check(rs_compare *c, struct rs_error *err)
{
    if (!c->grid || !c->gseries_given || c->n == 0)
        return RS_OK;
    rs_bus_flush(c->bus);
    int n = rs_bus_series_names(c->bus, NULL, 0);
    if (n == 0)
        return RS_OK; /* nothing logged yet: nothing to judge */
    char(*names)[RS_BUS_NAME_MAX] = rs_xcalloc((size_t)n, sizeof *names);
    int m = rs_bus_series_names(c->bus, names, n);
    m = m < n ? m : n;
    char known[200] = "";
    bool found = false;
    const char *l0 = c->runs[0].label;
    size_t k0 = strlen(l0);
    for (int i = 0; i < m && !found; i++) {
        const char *slash = strchr(names[i], '/');
        for (int r = 0; r < c->n && slash != NULL && !found; r++) {
            size_t k = strlen(c->runs[r].label);
            found = strncmp(names[i], c->runs[r].label, k) == 0 &&
                    names[i][k] == '/' &&
                    strcmp(names[i] + k + 1, c->gseries) == 0;
        }
        /* the first run's series, to name a few */
        size_t kn = strlen(known);
        if (strncmp(names[i], l0, k0) == 0 && names[i][k0] == '/' &&
            strncmp(names[i] + k0 + 1, "time/", 5) != 0 &&
            kn + strlen(names[i] + k0 + 1) + 3 < sizeof known - 4)
            snprintf(known + kn, sizeof known - kn, "%s%s", kn ? ", " : "",
                     names[i] + k0 + 1);
    }
    free(names);
    if (found)
        return RS_OK;
    return rs_error_set(err, RS_EINVAL,
                        "--series '%s': no run of the sweep logs it (%s)",
                        c->gseries, known[0] != '\0' ? known : "none");
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
    char *views = c->grid ? build_grid(c) : build_views(c);
    if (c->views == NULL || strcmp(views, c->views) != 0) {
        rs_bus_set_views(c->bus, views);
        free(c->views);
        c->views = views;
    } else {
        free(views);
    }
    if (c->grid) {
        publish_grid_status(c);
    } else {
        publish_table(c);
        publish_status(c);
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
