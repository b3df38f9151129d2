/* repscope - MIT licence, see COPYING.
 *
 * viewspec.c: view specs from JSON or from bus names (viewspec.h). The
 * text is parsed by the project's JSON reader (run/json.h) and the specs
 * read off its tree. Pure; any thread.
 */
#include "config.h"

#include "ui/viewspec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "run/json.h"

/* ---- reading the tree ---------------------------------------------------- */

static void
jcopy_str(const rs_json *o, const char *key, char *dst, size_t cap)
{
    const char *s = rs_json_str(rs_json_get(o, key), NULL);
    if (s != NULL)
        snprintf(dst, cap, "%s", s);
}

/* A number, or a boolean as 0/1 ("log": true), or def. */
static double
jnum(const rs_json *o, const char *key, double def)
{
    const rs_json *v = rs_json_get(o, key);
    if (rs_json_typeof(v) == RS_JSON_BOOL)
        return rs_json_bool(v, false) ? 1 : 0;
    return rs_json_num(v, def);
}

/* ---- specs ------------------------------------------------------------- */

static bool
kind_of(const char *s, enum rs_viewspec_kind *k)
{
    static const struct {
        const char *name;
        enum rs_viewspec_kind kind;
    } kinds[] = {{"curves", RS_VIEWSPEC_CURVES},
                 {"spectrum", RS_VIEWSPEC_SPECTRUM},
                 {"rank_heatmap", RS_VIEWSPEC_RANK},
                 {"neurons", RS_VIEWSPEC_NEURONS},
                 {"heatmap", RS_VIEWSPEC_HEATMAP}};
    for (size_t i = 0; i < RS_ARRAY_LEN(kinds); i++)
        if (strcmp(s, kinds[i].name) == 0) {
            *k = kinds[i].kind;
            return true;
        }
    return false;
}

static void
spec_init(struct rs_viewspec *v, enum rs_viewspec_kind kind)
{
    memset(v, 0, sizeof *v);
    v->kind = kind;
    v->ymin = v->ymax = NAN;
    v->vmin = v->vmax = NAN;
    v->markers = true;
    snprintf(v->metric, sizeof v->metric, "srank");
}

static void
spec_from(struct rs_viewspec *v, const rs_json *o)
{
    jcopy_str(o, "title", v->title, sizeof v->title);
    jcopy_str(o, "matrix", v->matrix, sizeof v->matrix);
    jcopy_str(o, "layer", v->layer, sizeof v->layer);
    jcopy_str(o, "metric", v->metric, sizeof v->metric);
    jcopy_str(o, "rows", v->rows, sizeof v->rows);
    jcopy_str(o, "cols", v->cols, sizeof v->cols);
    /* rs_json_len is 0 for anything but an array or object */
    const rs_json *s = rs_json_get(o, "series");
    for (int i = 0; rs_json_typeof(s) == RS_JSON_ARRAY && i < rs_json_len(s) &&
                    v->nseries < RS_VIEWSPEC_SERIES_MAX;
         i++) {
        const char *name = rs_json_str(rs_json_at(s, i), NULL);
        if (name != NULL)
            snprintf(v->series[v->nseries++], RS_BUS_NAME_MAX, "%s", name);
    }
    const rs_json *l = rs_json_get(o, "layers");
    for (int i = 0; rs_json_typeof(l) == RS_JSON_ARRAY && i < rs_json_len(l) &&
                    v->nlayers < RS_VIEWSPEC_LAYERS_MAX;
         i++) {
        const char *name = rs_json_str(rs_json_at(l, i), NULL);
        if (name != NULL)
            snprintf(v->layers[v->nlayers++], RS_VIEWSPEC_NAME_MAX, "%s", name);
    }
    char axis[16] = "";
    jcopy_str(o, "x", axis, sizeof axis);
    v->log_x = strcmp(axis, "log") == 0;
    jcopy_str(o, "xlabel", v->xlabel, sizeof v->xlabel);
    axis[0] = '\0';
    jcopy_str(o, "y", axis, sizeof axis);
    v->log_y = strcmp(axis, "log") == 0;
    if (v->kind == RS_VIEWSPEC_SPECTRUM)
        v->log_y = jnum(o, "log", 1) != 0;
    v->markers = jnum(o, "markers", 1) != 0;
    v->ymin = jnum(o, "ymin", NAN);
    v->ymax = jnum(o, "ymax", NAN);
    v->vmin = jnum(o, "vmin", NAN);
    v->vmax = jnum(o, "vmax", NAN);
}

struct rs_viewspec_set *
rs_viewspec_parse(const char *json, struct rs_error *err)
{
    struct rs_error jerr = {0};
    rs_json *root = rs_json_parse(json, strlen(json), &jerr);
    if (root == NULL) {
        rs_error_set(err, RS_EFORMAT, "view specs: %s", jerr.msg);
        return NULL;
    }
    const rs_json *views = rs_json_get(root, "views");
    if (rs_json_typeof(views) != RS_JSON_ARRAY) {
        rs_error_set(err, RS_EFORMAT,
                     "view specs: an object with a \"views\" array "
                     "expected");
        rs_json_free(root);
        return NULL;
    }
    struct rs_viewspec_set *set = rs_xcalloc(1, sizeof *set);
    jcopy_str(root, "title", set->title, sizeof set->title);
    const char *notes = rs_json_str(rs_json_get(root, "notes"), NULL);
    set->notes = rs_xstrdup(notes != NULL ? notes : "");
    int n = rs_json_len(views);
    set->v = rs_xcalloc(n > 0 ? (size_t)n : 1, sizeof *set->v);
    for (int i = 0; i < n; i++) {
        const rs_json *o = rs_json_at(views, i);
        const char *k = rs_json_str(rs_json_get(o, "kind"), NULL);
        enum rs_viewspec_kind kind;
        if (k == NULL || !kind_of(k, &kind))
            continue;
        struct rs_viewspec *v = &set->v[set->n++];
        spec_init(v, kind);
        spec_from(v, o);
    }
    rs_json_free(root);
    return set;
}

void
rs_viewspec_free(struct rs_viewspec_set *set)
{
    if (set == NULL)
        return;
    free(set->notes);
    free(set->v);
    free(set);
}

/* ---- views from names ---------------------------------------------------- */

static bool
starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool
ends(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static struct rs_viewspec *
add_view(struct rs_viewspec_set *set, int cap, enum rs_viewspec_kind kind,
         const char *title)
{
    if (set->n >= cap)
        return NULL;
    struct rs_viewspec *v = &set->v[set->n++];
    spec_init(v, kind);
    snprintf(v->title, sizeof v->title, "%s", title);
    return v;
}

static void
add_series(struct rs_viewspec *v, const char *name)
{
    if (v != NULL && v->nseries < RS_VIEWSPEC_SERIES_MAX)
        snprintf(v->series[v->nseries++], RS_BUS_NAME_MAX, "%s", name);
}

struct rs_viewspec_set *
rs_viewspec_default(const char (*series)[RS_BUS_NAME_MAX], int nseries,
                    const char (*matrices)[RS_BUS_NAME_MAX], int nmatrices)
{
    enum { CAP = 8 };
    struct rs_viewspec_set *set = rs_xcalloc(1, sizeof *set);
    set->notes = rs_xstrdup("");
    set->v = rs_xcalloc(CAP, sizeof *set->v);
    struct rs_viewspec *loss = NULL, *acc = NULL, *rank = NULL;
    /* loss first, then accuracy (train/, test/, val/ series) */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < nseries; i++) {
            const char *s = series[i];
            if (!starts(s, "train/") && !starts(s, "test/") &&
                !starts(s, "val/"))
                continue;
            if (pass == 0 && ends(s, "/loss")) {
                if (loss == NULL &&
                    (loss = add_view(set, CAP, RS_VIEWSPEC_CURVES, "loss")) !=
                        NULL)
                    loss->log_x = loss->log_y = true;
                add_series(loss, s);
            } else if (pass == 1 && ends(s, "/acc")) {
                if (acc == NULL && (acc = add_view(set, CAP, RS_VIEWSPEC_CURVES,
                                                   "accuracy")) != NULL) {
                    acc->log_x = true;
                    acc->ymin = 0;
                    acc->ymax = 1;
                }
                add_series(acc, s);
            }
        }
    for (int i = 0; i < nseries; i++) {
        if (!starts(series[i], "probe/srank/"))
            continue;
        if (rank == NULL)
            rank = add_view(set, CAP, RS_VIEWSPEC_RANK, "srank by layer");
        if (rank != NULL && rank->nlayers < RS_VIEWSPEC_LAYERS_MAX) {
            snprintf(rank->layers[rank->nlayers++], RS_VIEWSPEC_NAME_MAX, "%s",
                     series[i] + strlen("probe/srank/"));
            add_series(rank, series[i]);
        }
    }
    static const struct {
        const char *prefix, *title;
        enum rs_viewspec_kind kind;
    } mats[] = {{"spectrum/", "spectrum", RS_VIEWSPEC_SPECTRUM},
                {"neurons/", "neurons", RS_VIEWSPEC_NEURONS}};
    for (size_t m = 0; m < RS_ARRAY_LEN(mats); m++) {
        for (int i = 0; i < nmatrices; i++) {
            if (!starts(matrices[i], mats[m].prefix))
                continue;
            struct rs_viewspec *v =
                add_view(set, CAP, mats[m].kind, mats[m].title);
            if (v != NULL) {
                snprintf(v->matrix, sizeof v->matrix, "%s", matrices[i]);
                snprintf(v->layer, sizeof v->layer, "%s",
                         matrices[i] + strlen(mats[m].prefix));
                v->log_y = true;
            }
            break;
        }
    }
    /* One curve panel per remaining prefix ("norm/weight" -> "norm"). */
    for (int i = 0; i < nseries; i++) {
        const char *s = series[i];
        const char *slash = strchr(s, '/');
        if (starts(s, "train/") || starts(s, "test/") || starts(s, "val/") ||
            starts(s, "probe/") || starts(s, "time/"))
            continue;
        size_t plen = slash != NULL ? (size_t)(slash - s) : strlen(s);
        struct rs_viewspec *v = NULL;
        for (int k = 0; k < set->n && v == NULL; k++)
            if (set->v[k].kind == RS_VIEWSPEC_CURVES &&
                strlen(set->v[k].title) == plen &&
                strncmp(set->v[k].title, s, plen) == 0)
                v = &set->v[k];
        if (v == NULL &&
            (v = add_view(set, CAP, RS_VIEWSPEC_CURVES, "")) != NULL) {
            snprintf(v->title, sizeof v->title, "%.*s", (int)plen, s);
            v->log_x = true;
        }
        add_series(v, s);
    }
    return set;
}
