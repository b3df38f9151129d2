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
    char *dir;
    char label[LABEL_MAX + 8];
    char group[LABEL_MAX + 8]; /* the label without the seed */
    struct param params[PARAMS_MAX];
    int nparams;
    rs_attach *a;
};

struct rs_compare {
    rs_bus *bus;
    struct run *runs; /* (n) */
    int n;
    int missing; /* sweep points with no run yet */
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
    return r;
}

/* The points of sweep directory dir (its sweep.json) as runs, those with
 * a run.jsonl; RS_EFORMAT + err when the manifest cannot be read. */
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
        /* the run is beside the manifest, wherever the sweep moved */
        char *rd = rs_xasprintf("%s/%s", dir, name);
        char *log = rs_xasprintf("%s/run.jsonl", rd);
        if (!is_file(log)) {
            c->missing++;
        } else if (c->n >= RS_COMPARE_RUNS_MAX) {
            rc =
                rs_error_set(err, RS_EINVAL, "%s: more than %d runs to compare",
                             dir, RS_COMPARE_RUNS_MAX);
        } else {
            struct run *r = add_run(c, rd);
            add_params(r, rs_json_get(p, "params"), rs_json_get(p, "seed"));
        }
        free(log);
        free(rd);
    }
    rs_json_free(v);
    free(text);
    free(path);
    return rc;
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

rs_compare *
rs_compare_new(const char *const *dirs, int n, struct rs_error *err)
{
    if (n < 1)
        return rs_error_set(err, RS_EINVAL, "name the runs to compare"), NULL;
    if (n > RS_COMPARE_RUNS_MAX)
        return rs_error_set(err, RS_EINVAL, "more than %d runs to compare",
                            RS_COMPARE_RUNS_MAX),
               NULL;
    rs_compare *c = rs_xcalloc(1, sizeof *c);
    c->bus = rs_bus_new();
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    c->home = rs_xstrdup(dirs[0]);
    char *manifest = rs_xasprintf("%s/sweep.json", dirs[0]);
    bool sweep = n == 1 && is_file(manifest);
    free(manifest);
    int rc = RS_OK;
    if (sweep) {
        rc = read_sweep(c, dirs[0], err);
        if (rc == RS_OK && c->n == 0)
            rc = rs_error_set(err, RS_EIO,
                              "%s: none of the sweep's %d points has "
                              "started",
                              dirs[0], c->missing);
    } else {
        for (int i = 0; i < n; i++)
            read_meta(add_run(c, dirs[i]));
    }
    if (rc == RS_OK)
        make_labels(c);
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
    for (int i = 0; i < c->n; i++) {
        struct run *r = &c->runs[i];
        rs_attach_free(r->a);
        for (int k = 0; k < r->nparams; k++) {
            free(r->params[k].key);
            free(r->params[k].val);
        }
        free(r->dir);
    }
    free(c->runs);
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

/* ---- polling ------------------------------------------------------------- */

int
rs_compare_poll(rs_compare *c, struct rs_error *err)
{
    int lines = 0;
    for (int i = 0; i < c->n; i++) {
        int n = rs_attach_poll(c->runs[i].a, err);
        if (n < 0)
            return n;
        lines += n;
    }
    if (lines == 0 && c->views != NULL)
        return 0;
    char *views = build_views(c);
    if (c->views == NULL || strcmp(views, c->views) != 0) {
        rs_bus_set_views(c->bus, views);
        free(c->views);
        c->views = views;
    } else {
        free(views);
    }
    publish_table(c);
    publish_status(c);
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
