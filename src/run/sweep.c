/* repscope - MIT licence, see COPYING.
 *
 * sweep.c: a sweep's grid and its manifest (sweep.h): expanding the --set
 * lists and seeds into points, each point's name, run directory and
 * command, and sweep.json written (as .tmp, renamed) and read back with
 * the JSON codec. Running the points (GNU parallel, Slurm) is in
 * sweep_exec.c. A sweep owns every string it holds. Main thread only.
 */
#include "config.h"

#include "run/sweep.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run/json.h"
#include "run/runlog.h"
#include "run/sweep_impl.h"

#define MAX_POINTS 100000

void
rs_sweep_free(rs_sweep *sw)
{
    if (sw == NULL)
        return;
    for (int i = 0; i < sw->n; i++) {
        struct sweep_point *p = &sw->pts[i];
        free(p->name);
        for (int k = 0; k < p->nparams; k++) {
            free(p->keys[k]);
            free(p->vals[k]);
        }
        free(p->keys);
        free(p->vals);
        free(p->run_dir);
        free(p->log);
        rs_sweep_argv_free(p->argv);
        free(p->command);
    }
    free(sw->pts);
    free(sw->dir);
    free(sw->scene);
    free(sw->grid_json);
    free(sw);
}

int
rs_sweep_parse_seeds(const char *s, long **out, int *n, struct rs_error *err)
{
    *out = NULL;
    *n = 0;
    char *copy = rs_xstrdup(s);
    int rc = RS_OK;
    char *save = NULL;
    long *v = NULL;
    int nv = 0;
    if (s[0] == '\0' || s[strlen(s) - 1] == ',')
        rc = rs_error_set(err, RS_EINVAL, "--seeds '%s': an empty item", s);
    for (char *it = strtok_r(copy, ",", &save); it != NULL && rc == RS_OK;
         it = strtok_r(NULL, ",", &save)) {
        char *end;
        errno = 0;
        long lo = strtol(it, &end, 10), hi = lo;
        if (*end == '-' && end != it) {
            char *dash = end;
            hi = strtol(dash + 1, &end, 10);
            if (end == dash + 1)
                end = dash;
        }
        if (errno != 0 || end == it || *end != '\0' || lo < 0 ||
            hi > 4294967295L) {
            rc = rs_error_set(err, RS_EINVAL,
                              "--seeds '%s': '%s' is not a seed (0..4294967295)"
                              " or a range of them like 1-8",
                              s, it);
            break;
        }
        if (hi < lo) {
            rc = rs_error_set(err, RS_EINVAL,
                              "--seeds '%s': the range '%s' runs backwards "
                              "(write %ld-%ld)",
                              s, it, hi, lo);
            break;
        }
        if (hi - lo >= MAX_POINTS || nv + (hi - lo) >= MAX_POINTS) {
            rc =
                rs_error_set(err, RS_EINVAL, "--seeds '%s': more than %d seeds",
                             s, MAX_POINTS);
            break;
        }
        v = rs_xreallocarray(v, (size_t)(nv + (hi - lo) + 1), sizeof *v);
        for (long x = lo; x <= hi; x++)
            v[nv++] = x;
    }
    if (rc == RS_OK && strstr(s, ",,") != NULL)
        rc = rs_error_set(err, RS_EINVAL, "--seeds '%s': an empty item", s);
    free(copy);
    if (rc != RS_OK) {
        free(v);
        return rc;
    }
    *out = v;
    *n = nv;
    return RS_OK;
}

/* One --set: its key and its list of values. */
struct set_list {
    char *key;
    char **vals;
    int n;
};

static void
set_lists_free(struct set_list *s, int n)
{
    for (int i = 0; i < n; i++) {
        free(s[i].key);
        for (int k = 0; k < s[i].n; k++)
            free(s[i].vals[k]);
        free(s[i].vals);
    }
    free(s);
}

static int
parse_set(const char *spec, struct set_list *out, struct rs_error *err)
{
    *out = (struct set_list){0};
    const char *eq = strchr(spec, '=');
    if (eq == NULL || eq == spec)
        return rs_error_set(err, RS_EINVAL,
                            "--set '%s': expected KEY=V1,V2,...", spec);
    if (eq[1] == '\0')
        return rs_error_set(err, RS_EINVAL,
                            "--set '%s': an empty list of values", spec);
    out->key = rs_xasprintf("%.*s", (int)(eq - spec), spec);
    const char *p = eq + 1;
    for (int item = 1;; item++) {
        size_t len = strcspn(p, ",");
        if (len == 0) {
            for (int k = 0; k < out->n; k++)
                free(out->vals[k]);
            free(out->vals);
            free(out->key);
            *out = (struct set_list){0};
            return rs_error_set(err, RS_EINVAL, "--set '%s': value %d is empty",
                                spec, item);
        }
        out->vals =
            rs_xreallocarray(out->vals, (size_t)out->n + 1, sizeof *out->vals);
        out->vals[out->n++] = rs_xasprintf("%.*s", (int)len, p);
        if (p[len] == '\0')
            break;
        p += len + 1;
    }
    return RS_OK;
}

/* s with every character outside [A-Za-z0-9._+=,-] as '_' (in place). */
static void
name_clean(char *s)
{
    for (; *s != '\0'; s++) {
        char c = *s;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || strchr("._+=,-", c) != NULL;
        if (!ok)
            *s = '_';
    }
}

static int
cmp_name(const void *a, const void *b)
{
    const struct sweep_point *const *x = a;
    const struct sweep_point *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

/* The points' names are distinct, or RS_EINVAL naming two that are not. */
static int
check_names(const rs_sweep *sw, struct rs_error *err)
{
    const struct sweep_point **by = rs_xcalloc((size_t)sw->n, sizeof *by);
    for (int i = 0; i < sw->n; i++)
        by[i] = &sw->pts[i];
    qsort(by, (size_t)sw->n, sizeof *by, cmp_name);
    int rc = RS_OK;
    for (int i = 1; i < sw->n && rc == RS_OK; i++)
        if (strcmp(by[i - 1]->name, by[i]->name) == 0)
            rc = rs_error_set(err, RS_EINVAL,
                              "two points of the grid would share the run "
                              "directory '%s' (points %d and %d): make the "
                              "values differ in letters, digits or ._+=-",
                              by[i]->name, by[i - 1]->index, by[i]->index);
    free(by);
    return rc;
}

/* An absolute, slash-trimmed form of dir (a new string). */
static char *
absolute_dir(const char *dir)
{
    char *d;
    if (dir[0] == '/') {
        d = rs_xstrdup(dir);
    } else {
        char cwd[PATH_MAX];
        if (getcwd(cwd, sizeof cwd) == NULL)
            d = rs_xstrdup(dir);
        else
            d = rs_xasprintf("%s/%s", cwd, dir);
    }
    size_t n = strlen(d);
    while (n > 1 && d[n - 1] == '/')
        d[--n] = '\0';
    return d;
}

/* The grid as JSON: {"sets":[{"key":k,"values":[...]}],"seeds":[...]}. */
static char *
grid_json(const struct set_list *sets, int nsets, const long *seeds, int nseeds)
{
    struct rs_json_buf b = {0};
    rs_json_buf_raw(&b, "{\"sets\":[", 9);
    for (int i = 0; i < nsets; i++) {
        rs_json_buf_raw(&b, i > 0 ? ",{\"key\":" : "{\"key\":", i > 0 ? 8 : 7);
        rs_json_buf_string(&b, sets[i].key, strlen(sets[i].key));
        rs_json_buf_raw(&b, ",\"values\":[", 11);
        for (int k = 0; k < sets[i].n; k++) {
            if (k > 0)
                rs_json_buf_raw(&b, ",", 1);
            rs_json_buf_string(&b, sets[i].vals[k], strlen(sets[i].vals[k]));
        }
        rs_json_buf_raw(&b, "]}", 2);
    }
    rs_json_buf_raw(&b, "],\"seeds\":", 10);
    if (seeds == NULL) {
        rs_json_buf_raw(&b, "null", 4);
    } else {
        rs_json_buf_raw(&b, "[", 1);
        for (int i = 0; i < nseeds; i++) {
            if (i > 0)
                rs_json_buf_raw(&b, ",", 1);
            rs_json_buf_integer(&b, seeds[i]);
        }
        rs_json_buf_raw(&b, "]", 1);
    }
    rs_json_buf_raw(&b, "}", 1);
    return rs_json_buf_take(&b);
}

/* Point p's argv and command, from its params, seed and run directory. */
static void
point_command(rs_sweep *sw, struct sweep_point *p, const char *exe)
{
    int cap = 9 + 2 * p->nparams;
    char **av = rs_xcalloc((size_t)cap + 1, sizeof *av);
    int n = 0;
    av[n++] = rs_xstrdup(exe);
    av[n++] = rs_xstrdup("--headless");
    av[n++] = rs_xstrdup(sw->scene);
    for (int k = 0; k < p->nparams; k++) {
        av[n++] = rs_xstrdup("--set");
        av[n++] = rs_xasprintf("%s=%s", p->keys[k], p->vals[k]);
    }
    if (p->has_seed) {
        av[n++] = rs_xstrdup("--seed");
        av[n++] = rs_xasprintf("%ld", p->seed);
    }
    if (sw->steps > 0) {
        av[n++] = rs_xstrdup("--steps");
        av[n++] = rs_xasprintf("%ld", sw->steps);
    }
    av[n++] = rs_xstrdup("--out");
    av[n++] = rs_xstrdup(p->run_dir);
    RS_ASSERT(n <= cap);
    p->argv = av;
    struct rs_json_buf b = {0};
    for (int i = 0; i < n; i++) {
        if (i > 0)
            rs_json_buf_raw(&b, " ", 1);
        rs_sweep_shell_quote(&b, av[i]);
    }
    rs_json_buf_raw(&b, " >", 2);
    rs_sweep_shell_quote(&b, p->log);
    rs_json_buf_raw(&b, " 2>&1", 5);
    p->command = rs_json_buf_take(&b);
}

rs_sweep *
rs_sweep_new(const struct rs_sweep_spec *spec, struct rs_error *err)
{
    struct set_list *sets = rs_xcalloc((size_t)spec->nsets + 1, sizeof *sets);
    long *seeds = NULL;
    int nseeds = 0;
    long total = 1;
    for (int i = 0; i < spec->nsets; i++) {
        if (parse_set(spec->sets[i], &sets[i], err) != RS_OK)
            goto fail;
        for (int j = 0; j < i; j++)
            if (strcmp(sets[j].key, sets[i].key) == 0) {
                rs_error_set(err, RS_EINVAL,
                             "--set '%s': %s is set twice: give all its "
                             "values in one list",
                             spec->sets[i], sets[i].key);
                goto fail;
            }
        total *= sets[i].n;
        if (total > MAX_POINTS) {
            rs_error_set(err, RS_EINVAL, "the grid has more than %d points",
                         MAX_POINTS);
            goto fail;
        }
    }
    if (spec->seeds != NULL) {
        if (rs_sweep_parse_seeds(spec->seeds, &seeds, &nseeds, err) != RS_OK)
            goto fail;
        total *= nseeds;
        if (total > MAX_POINTS) {
            rs_error_set(err, RS_EINVAL, "the grid has more than %d points",
                         MAX_POINTS);
            goto fail;
        }
    }
    rs_sweep *sw = rs_xcalloc(1, sizeof *sw);
    sw->dir = absolute_dir(spec->dir);
    sw->scene = rs_xstrdup(spec->scene);
    sw->steps = spec->steps > 0 ? spec->steps : 0;
    sw->grid_json = grid_json(sets, spec->nsets, seeds, nseeds);
    sw->n = (int)total;
    sw->pts = rs_xcalloc((size_t)sw->n, sizeof *sw->pts);
    int per_seed = seeds != NULL ? nseeds : 1;
    for (int i = 0; i < sw->n; i++) {
        struct sweep_point *p = &sw->pts[i];
        p->index = i;
        p->exit = -1;
        p->nparams = spec->nsets;
        p->keys = rs_xcalloc((size_t)spec->nsets + 1, sizeof *p->keys);
        p->vals = rs_xcalloc((size_t)spec->nsets + 1, sizeof *p->vals);
        /* mixed radix, seeds fastest, the first --set slowest */
        int rest = i / per_seed;
        for (int k = spec->nsets - 1; k >= 0; k--) {
            p->keys[k] = rs_xstrdup(sets[k].key);
            p->vals[k] = rs_xstrdup(sets[k].vals[rest % sets[k].n]);
            rest /= sets[k].n;
        }
        p->has_seed = seeds != NULL;
        p->seed = seeds != NULL ? seeds[i % per_seed] : 0;
        struct rs_json_buf b = {0};
        for (int k = 0; k < spec->nsets; k++) {
            char *kv = rs_xasprintf("%s%s=%s", k > 0 ? "," : "", p->keys[k],
                                    p->vals[k]);
            rs_json_buf_raw(&b, kv, strlen(kv));
            free(kv);
        }
        if (p->has_seed) {
            char *kv =
                rs_xasprintf("%sseed=%ld", spec->nsets > 0 ? "," : "", p->seed);
            rs_json_buf_raw(&b, kv, strlen(kv));
            free(kv);
        }
        p->name = b.n > 0 ? rs_json_buf_take(&b) : rs_xstrdup("default");
        rs_json_buf_fini(&b);
        name_clean(p->name);
        p->run_dir = rs_xasprintf("%s/%s", sw->dir, p->name);
        p->log = rs_xasprintf("%s/logs/%s.log", sw->dir, p->name);
        point_command(sw, p, spec->exe);
    }
    set_lists_free(sets, spec->nsets);
    free(seeds);
    if (check_names(sw, err) != RS_OK) {
        rs_sweep_free(sw);
        return NULL;
    }
    return sw;
fail:
    set_lists_free(sets, spec->nsets);
    free(seeds);
    return NULL;
}

int
rs_sweep_npoints(const rs_sweep *sw)
{
    return sw->n;
}

const char *
rs_sweep_point_name(const rs_sweep *sw, int i)
{
    RS_ASSERT(i >= 0 && i < sw->n);
    return sw->pts[i].name;
}

const char *
rs_sweep_point_dir(const rs_sweep *sw, int i)
{
    RS_ASSERT(i >= 0 && i < sw->n);
    return sw->pts[i].run_dir;
}

const char *
rs_sweep_point_command(const rs_sweep *sw, int i)
{
    RS_ASSERT(i >= 0 && i < sw->n);
    return sw->pts[i].command;
}

int
rs_sweep_point_exit(const rs_sweep *sw, int i)
{
    RS_ASSERT(i >= 0 && i < sw->n);
    return sw->pts[i].exit;
}

/* ---- sweep.json ------------------------------------------------------ */

static void
buf_str(struct rs_json_buf *b, const char *s)
{
    rs_json_buf_string(b, s, strlen(s));
}

static void
buf_lit(struct rs_json_buf *b, const char *s)
{
    rs_json_buf_raw(b, s, strlen(s));
}

static char *
manifest_text(const rs_sweep *sw)
{
    struct rs_json_buf b = {0};
    buf_lit(&b, "{\"repscope_sweep\":1,\"scene\":");
    buf_str(&b, sw->scene);
    buf_lit(&b, ",\"steps\":");
    if (sw->steps > 0)
        rs_json_buf_integer(&b, sw->steps);
    else
        buf_lit(&b, "null");
    buf_lit(&b, ",\n\"grid\":");
    buf_lit(&b, sw->grid_json);
    buf_lit(&b, ",\n\"points\":[\n");
    for (int i = 0; i < sw->n; i++) {
        const struct sweep_point *p = &sw->pts[i];
        buf_lit(&b, "{\"index\":");
        rs_json_buf_integer(&b, p->index);
        buf_lit(&b, ",\"name\":");
        buf_str(&b, p->name);
        buf_lit(&b, ",\"params\":{");
        for (int k = 0; k < p->nparams; k++) {
            if (k > 0)
                buf_lit(&b, ",");
            buf_str(&b, p->keys[k]);
            buf_lit(&b, ":");
            buf_str(&b, p->vals[k]);
        }
        buf_lit(&b, "},\"seed\":");
        if (p->has_seed)
            rs_json_buf_integer(&b, p->seed);
        else
            buf_lit(&b, "null");
        buf_lit(&b, ",\"run_dir\":");
        buf_str(&b, p->run_dir);
        buf_lit(&b, ",\"log\":");
        buf_str(&b, p->log);
        buf_lit(&b, ",\"argv\":[");
        for (int k = 0; p->argv[k] != NULL; k++) {
            if (k > 0)
                buf_lit(&b, ",");
            buf_str(&b, p->argv[k]);
        }
        buf_lit(&b, "],\"command\":");
        buf_str(&b, p->command);
        buf_lit(&b, ",\"exit\":");
        if (p->exit >= 0)
            rs_json_buf_integer(&b, p->exit);
        else
            buf_lit(&b, "null");
        buf_lit(&b, i + 1 < sw->n ? "},\n" : "}\n");
    }
    buf_lit(&b, "]}\n");
    return rs_json_buf_take(&b);
}

int
rs_sweep_save(rs_sweep *sw, struct rs_error *err)
{
    char *text = manifest_text(sw);
    char *path = rs_xasprintf("%s/sweep.json", sw->dir);
    int rc = rs_sweep_write_file(path, text, 0644, err);
    free(path);
    free(text);
    return rc;
}

int
rs_sweep_create(rs_sweep *sw, struct rs_error *err)
{
    char *path = rs_xasprintf("%s/sweep.json", sw->dir);
    struct stat st;
    bool taken = stat(path, &st) == 0;
    free(path);
    if (taken)
        return rs_error_set(err, RS_EINVAL,
                            "%s holds a sweep already (sweep.json): rerun "
                            "its failed points with `repscope sweep --resume "
                            "%s`, or choose another --out",
                            sw->dir, sw->dir);
    for (int i = 0; i < sw->n; i++)
        if (stat(sw->pts[i].run_dir, &st) == 0)
            return rs_error_set(err, RS_EINVAL,
                                "%s exists already: choose another --out",
                                sw->pts[i].run_dir);
    char *logs = rs_xasprintf("%s/logs", sw->dir);
    char *exits = rs_xasprintf("%s/exit", sw->dir);
    int rc = rs_runlog_make_dirs(logs, err);
    if (rc == RS_OK)
        rc = rs_runlog_make_dirs(exits, err);
    free(logs);
    free(exits);
    if (rc == RS_OK)
        rc = rs_sweep_write_scripts(sw, err);
    if (rc == RS_OK)
        rc = rs_sweep_save(sw, err);
    return rc;
}

/* ---- reading it back ------------------------------------------------- */

/* The string member key of object v as a new string, or NULL. */
static char *
get_str(const rs_json *v, const char *key)
{
    const char *s = rs_json_str(rs_json_get(v, key), NULL);
    return s != NULL ? rs_xstrdup(s) : NULL;
}

static int
load_point(rs_sweep *sw, int i, const rs_json *v, const char *path,
           struct rs_error *err)
{
    struct sweep_point *p = &sw->pts[i];
    p->index = i;
    p->exit = -1;
    p->name = get_str(v, "name");
    p->run_dir = get_str(v, "run_dir");
    p->log = get_str(v, "log");
    p->command = get_str(v, "command");
    const rs_json *av = rs_json_get(v, "argv");
    const rs_json *params = rs_json_get(v, "params");
    long long x;
    if (p->name == NULL || p->run_dir == NULL || p->log == NULL ||
        p->command == NULL || rs_json_typeof(av) != RS_JSON_ARRAY ||
        rs_json_len(av) < 1 || rs_json_typeof(params) != RS_JSON_OBJECT)
        return rs_error_set(err, RS_EFORMAT,
                            "%s: point %d lacks its name, run_dir, log, "
                            "command, argv or params",
                            path, i);
    p->argv = rs_xcalloc((size_t)rs_json_len(av) + 1, sizeof *p->argv);
    for (int k = 0; k < rs_json_len(av); k++) {
        const char *s = rs_json_str(rs_json_at(av, k), NULL);
        p->argv[k] = rs_xstrdup(s != NULL ? s : "");
    }
    p->nparams = rs_json_len(params);
    p->keys = rs_xcalloc((size_t)p->nparams + 1, sizeof *p->keys);
    p->vals = rs_xcalloc((size_t)p->nparams + 1, sizeof *p->vals);
    for (int k = 0; k < p->nparams; k++) {
        const char *s = rs_json_str(rs_json_at(params, k), NULL);
        p->keys[k] = rs_xstrdup(rs_json_key(params, k, NULL));
        p->vals[k] = rs_xstrdup(s != NULL ? s : "");
    }
    if (rs_json_integer(rs_json_get(v, "seed"), &x)) {
        p->has_seed = true;
        p->seed = (long)x;
    }
    if (rs_json_integer(rs_json_get(v, "exit"), &x) && x >= 0 && x < 256)
        p->exit = (int)x;
    if (!rs_json_integer(rs_json_get(v, "index"), &x) || x != i)
        return rs_error_set(err, RS_EFORMAT, "%s: point %d has index %s", path,
                            i, "missing or out of order");
    return RS_OK;
}

rs_sweep *
rs_sweep_load(const char *dir, struct rs_error *err)
{
    char *path = rs_xasprintf("%s/sweep.json", dir);
    size_t len = 0;
    char *text = rs_read_file(path, &len, err);
    rs_json *v = NULL;
    rs_sweep *sw = NULL;
    if (text == NULL)
        goto out;
    struct rs_error perr = {0};
    v = rs_json_parse(text, len, &perr);
    long long ver = 0;
    const rs_json *pts = rs_json_get(v, "points");
    const char *scene = rs_json_str(rs_json_get(v, "scene"), NULL);
    if (v == NULL) {
        rs_error_set(err, RS_EFORMAT, "%s: %s", path, perr.msg);
        goto out;
    }
    if (!rs_json_integer(rs_json_get(v, "repscope_sweep"), &ver) || ver != 1 ||
        scene == NULL || rs_json_typeof(pts) != RS_JSON_ARRAY) {
        rs_error_set(err, RS_EFORMAT,
                     "%s: not a repscope sweep manifest (version 1 with "
                     "scene and points)",
                     path);
        goto out;
    }
    sw = rs_xcalloc(1, sizeof *sw);
    sw->dir = absolute_dir(dir);
    sw->scene = rs_xstrdup(scene);
    long long steps = 0;
    if (rs_json_integer(rs_json_get(v, "steps"), &steps) && steps > 0)
        sw->steps = (long)steps;
    sw->grid_json = rs_json_encode(rs_json_get(v, "grid"));
    sw->n = rs_json_len(pts);
    sw->pts = rs_xcalloc((size_t)sw->n + 1, sizeof *sw->pts);
    for (int i = 0; i < sw->n; i++)
        if (load_point(sw, i, rs_json_at(pts, i), path, err) != RS_OK) {
            rs_sweep_free(sw);
            sw = NULL;
            goto out;
        }
    rs_sweep_collect(sw);
out:
    rs_json_free(v);
    free(text);
    free(path);
    return sw;
}
