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

/* ---- names --------------------------------------------------------------- */

/* The start of the last part of name (after its last '/'). */
static const char *
last_part(const char *name)
{
    const char *slash = strrchr(name, '/');
    return slash != NULL ? slash + 1 : name;
}

bool
rs_viewspec_relayer(char out[RS_BUS_NAME_MAX], const char *name,
                    const char *layer, const char *other)
{
    const char *last = last_part(name);
    if (strcmp(last, layer) != 0) {
        snprintf(out, RS_BUS_NAME_MAX, "%s", name);
        return false;
    }
    snprintf(out, RS_BUS_NAME_MAX, "%.*s%s", (int)(last - name), name, other);
    return true;
}

const char *
rs_viewspec_layer_of(const char *name, const char *tmpl, const char *tmpl_layer)
{
    const char *last = last_part(tmpl);
    size_t k = (size_t)(last - tmpl);
    if (strcmp(last, tmpl_layer) != 0 || strncmp(name, tmpl, k) != 0)
        return NULL;
    const char *rest = name + k;
    return rest[0] != '\0' && strchr(rest, '/') == NULL ? rest : NULL;
}

/* The bare layout (core/names.h builds the same for owner "" or "a"):
 * "<o>probe/<metric>/<layer>" and "<o>spectrum/<layer>",
 * "<o>neurons/<layer>", where <o> is "" or "<owner>/". Used only to
 * complete specs that leave names out. */

/* <o> of name into pre when name is "<o><part>/<layer>" (part may hold
 * a '/'), else false with pre "". */
static bool
owner_of(char pre[RS_BUS_NAME_MAX], const char *name, const char *part,
         const char *layer)
{
    char tail[RS_BUS_NAME_MAX];
    snprintf(tail, sizeof tail, "%s/%s", part, layer);
    size_t n = strlen(name), k = strlen(tail);
    pre[0] = '\0';
    if (n < k || strcmp(name + n - k, tail) != 0 ||
        (n > k && name[n - k - 1] != '/'))
        return false;
    snprintf(pre, RS_BUS_NAME_MAX, "%.*s", (int)(n - k), name);
    return true;
}

/* out = pre part "/" layer, cut at RS_BUS_NAME_MAX - 1 bytes (as the bus
 * cuts names). */
static void
layout_name(char out[RS_BUS_NAME_MAX], const char *pre, const char *part,
            const char *layer)
{
    const char *const pieces[] = {pre, part, "/", layer};
    size_t k = 0;
    for (size_t i = 0; i < RS_ARRAY_LEN(pieces); i++)
        for (const char *c = pieces[i]; *c != '\0' && k + 1 < RS_BUS_NAME_MAX;
             c++)
            out[k++] = *c;
    out[k] = '\0';
}

/* A spectrum or neurons spec: the matrix and the series from the layer,
 * the owner taken from the matrix when it has one. */
static void
complete_layer_view(struct rs_viewspec *v, const char *mpart,
                    const char *const *sparts, int ns)
{
    char pre[RS_BUS_NAME_MAX] = "";
    if (v->layer[0] == '\0')
        return;
    if (v->matrix[0] == '\0')
        layout_name(v->matrix, "", mpart, v->layer);
    else
        owner_of(pre, v->matrix, mpart, v->layer); /* "" if not the layout */
    for (int i = v->nseries; i < ns; i++)
        layout_name(v->series[v->nseries++], pre, sparts[i], v->layer);
}

/* A rank spec's per-layer names: layer_series from series[] where the
 * JSON's ran out, else swapped from the first layer's, else the layout;
 * layer_matrix beside them; series[] the first of them. */
static void
complete_rank(struct rs_viewspec *v)
{
    char part[32], pre[RS_BUS_NAME_MAX] = "";
    snprintf(part, sizeof part, "probe/%s", v->metric);
    for (int l = 0; l < v->nlayers; l++) {
        char *s = v->layer_series[l];
        if (s[0] == '\0' && l < v->nseries)
            snprintf(s, RS_BUS_NAME_MAX, "%s", v->series[l]);
        if (s[0] == '\0' && !(l > 0 && v->layer_series[0][0] != '\0' &&
                              rs_viewspec_relayer(s, v->layer_series[0],
                                                  v->layers[0], v->layers[l])))
            layout_name(s, pre, part, v->layers[l]);
        if (l == 0)
            owner_of(pre, s, part, v->layers[0]);
        char lpre[RS_BUS_NAME_MAX];
        owner_of(lpre, s, part, v->layers[l]);
        layout_name(v->layer_matrix[l], lpre, "spectrum", v->layers[l]);
    }
    v->nseries = v->nlayers < RS_VIEWSPEC_SERIES_MAX ? v->nlayers
                                                     : RS_VIEWSPEC_SERIES_MAX;
    for (int l = 0; l < v->nseries; l++)
        snprintf(v->series[l], RS_BUS_NAME_MAX, "%s", v->layer_series[l]);
}

static void
complete(struct rs_viewspec *v)
{
    static const char *const spectrum[] = {"probe/srank", "probe/erank"};
    static const char *const neurons[] = {"probe/dead"};
    switch (v->kind) {
    case RS_VIEWSPEC_SPECTRUM:
        complete_layer_view(v, "spectrum", spectrum, 2);
        break;
    case RS_VIEWSPEC_NEURONS:
        complete_layer_view(v, "neurons", neurons, 1);
        break;
    case RS_VIEWSPEC_RANK:
        complete_rank(v);
        break;
    default:
        break;
    }
}

void
rs_viewspec_set_layers(struct rs_viewspec *v,
                       const char (*layers)[RS_VIEWSPEC_NAME_MAX], int n)
{
    char tmpl[RS_BUS_NAME_MAX] = "", tlayer[RS_VIEWSPEC_NAME_MAX] = "";
    if (v->nlayers > 0) {
        snprintf(tmpl, sizeof tmpl, "%s", v->layer_series[0]);
        snprintf(tlayer, sizeof tlayer, "%s", v->layers[0]);
    }
    n = n < RS_VIEWSPEC_LAYERS_MAX ? n : RS_VIEWSPEC_LAYERS_MAX;
    v->nlayers = n;
    v->nseries = 0;
    for (int l = 0; l < n; l++) {
        snprintf(v->layers[l], RS_VIEWSPEC_NAME_MAX, "%s", layers[l]);
        v->layer_series[l][0] = '\0';
        if (tmpl[0] != '\0' &&
            !rs_viewspec_relayer(v->layer_series[l], tmpl, tlayer, layers[l]))
            v->layer_series[l][0] = '\0';
    }
    complete_rank(v);
}

/* ---- specs ------------------------------------------------------------- */

static bool
kind_of(const char *s, enum rs_viewspec_kind *k)
{
    static const struct {
        const char *name;
        enum rs_viewspec_kind kind;
    } kinds[] = {
        {"curves", RS_VIEWSPEC_CURVES},     {"spectrum", RS_VIEWSPEC_SPECTRUM},
        {"rank_heatmap", RS_VIEWSPEC_RANK}, {"neurons", RS_VIEWSPEC_NEURONS},
        {"heatmap", RS_VIEWSPEC_HEATMAP},   {"image", RS_VIEWSPEC_IMAGE},
        {"align", RS_VIEWSPEC_ALIGN},       {"patches", RS_VIEWSPEC_PATCHES},
        {"frame", RS_VIEWSPEC_FRAME},       {"profile", RS_VIEWSPEC_PROFILE},
        {"bars", RS_VIEWSPEC_BARS},         {"text", RS_VIEWSPEC_TEXT},
        {"scatter", RS_VIEWSPEC_SCATTER},   {"table", RS_VIEWSPEC_TABLE}};
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
    v->mark = NAN;
    v->xmin = v->xmax = NAN;
    v->markers = true;
    snprintf(v->metric, sizeof v->metric, "srank");
    v->grid = 2;
}

/* A scatter's y series and learner names, one per x series (series[]):
 * learners past the shorter list are dropped, a learner without a name
 * is called by its y series. */
static void
scatter_from(struct rs_viewspec *v, const rs_json *o)
{
    const rs_json *ys = rs_json_get(o, "yseries");
    const rs_json *ln = rs_json_get(o, "learners");
    int n = 0;
    for (; n < v->nseries && rs_json_typeof(ys) == RS_JSON_ARRAY &&
           n < rs_json_len(ys);
         n++) {
        const char *y = rs_json_str(rs_json_at(ys, n), NULL);
        if (y == NULL)
            break;
        snprintf(v->yseries[n], RS_BUS_NAME_MAX, "%s", y);
        const char *lab = rs_json_str(rs_json_at(ln, n), NULL);
        snprintf(v->mat_labels[n], sizeof v->mat_labels[n], "%s",
                 lab != NULL ? lab : y);
    }
    v->nseries = n;
    v->xmin = jnum(o, "xmin", NAN);
    v->xmax = jnum(o, "xmax", NAN);
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
    /* a rank view's series, one per layer: as many as it has layers */
    for (int i = 0;
         v->kind == RS_VIEWSPEC_RANK && rs_json_typeof(s) == RS_JSON_ARRAY &&
         i < rs_json_len(s) && i < RS_VIEWSPEC_LAYERS_MAX;
         i++) {
        const char *name = rs_json_str(rs_json_at(s, i), NULL);
        if (name != NULL)
            snprintf(v->layer_series[i], RS_BUS_NAME_MAX, "%s", name);
    }
    const rs_json *l = rs_json_get(o, "layers");
    for (int i = 0; rs_json_typeof(l) == RS_JSON_ARRAY && i < rs_json_len(l) &&
                    v->nlayers < RS_VIEWSPEC_LAYERS_MAX;
         i++) {
        const char *name = rs_json_str(rs_json_at(l, i), NULL);
        if (name != NULL)
            snprintf(v->layers[v->nlayers++], RS_VIEWSPEC_NAME_MAX, "%s", name);
    }
    /* align, patches: a matrix per learner, labelled by the learner */
    const rs_json *m = rs_json_get(o, "matrices");
    const rs_json *ln = rs_json_get(o, "learners");
    for (int i = 0; rs_json_typeof(m) == RS_JSON_ARRAY && i < rs_json_len(m) &&
                    v->nmats < RS_VIEWSPEC_SERIES_MAX;
         i++) {
        const char *name = rs_json_str(rs_json_at(m, i), NULL);
        if (name == NULL)
            continue;
        const char *lab = rs_json_str(rs_json_at(ln, i), NULL);
        snprintf(v->mats[v->nmats], RS_BUS_NAME_MAX, "%s", name);
        snprintf(v->mat_labels[v->nmats++], sizeof v->mat_labels[0], "%s",
                 lab != NULL ? lab : name);
    }
    jcopy_str(o, "truth", v->truth, sizeof v->truth);
    jcopy_str(o, "glyphs", v->glyphs, sizeof v->glyphs);
    jcopy_str(o, "colors", v->colors, sizeof v->colors);
    v->wide = jnum(o, "wide", 0) != 0;
    const rs_json *rl = rs_json_get(o, "labels");
    for (int i = 0;
         rs_json_typeof(rl) == RS_JSON_ARRAY && i < rs_json_len(rl) &&
         v->nrowlabels < RS_VIEWSPEC_ROWLABELS_MAX;
         i++) {
        const char *lab = rs_json_str(rs_json_at(rl, i), NULL);
        snprintf(v->rowlabels[v->nrowlabels++], RS_VIEWSPEC_ROWLABEL_MAX, "%s",
                 lab != NULL ? lab : "");
    }
    v->band = jnum(o, "band", 0) != 0;
    double grid = jnum(o, "grid", 2);
    v->grid = grid >= 1 && grid <= 16 ? (int)grid : 2;
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
    v->small = jnum(o, "small", 0) != 0;
    axis[0] = '\0';
    jcopy_str(o, "xfrom", axis, sizeof axis);
    v->x_from_data = strcmp(axis, "data") == 0;
    v->ymin = jnum(o, "ymin", NAN);
    v->ymax = jnum(o, "ymax", NAN);
    v->vmin = jnum(o, "vmin", NAN);
    v->vmax = jnum(o, "vmax", NAN);
    v->mark = jnum(o, "mark", NAN);
    jcopy_str(o, "mark_label", v->mark_label, sizeof v->mark_label);
    jcopy_str(o, "ylabel", v->ylabel, sizeof v->ylabel);
    if (v->kind == RS_VIEWSPEC_SCATTER)
        scatter_from(v, o);
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
    const rs_json *tour = rs_json_get(root, "tour");
    if (rs_json_typeof(tour) == RS_JSON_ARRAY) {
        size_t len = 0;
        const char *text = rs_json_text(tour, &len);
        set->tour = rs_xmalloc(len + 1);
        memcpy(set->tour, text, len);
        set->tour[len] = '\0';
    }
    /* room for the views of a known kind only, and at most
     * RS_VIEWSPEC_VIEWS_MAX of them: a spec is ~11 KB, so a text of a
     * million tiny entries ("0,0,...") must not become gigabytes */
    int n = rs_json_len(views), known = 0;
    enum rs_viewspec_kind kind;
    for (int i = 0; i < n && known < RS_VIEWSPEC_VIEWS_MAX; i++) {
        const char *k =
            rs_json_str(rs_json_get(rs_json_at(views, i), "kind"), NULL);
        known += k != NULL && kind_of(k, &kind);
    }
    set->v = rs_xcalloc(known > 0 ? (size_t)known : 1, sizeof *set->v);
    for (int i = 0; i < n && set->n < known; i++) {
        const rs_json *o = rs_json_at(views, i);
        const char *k = rs_json_str(rs_json_get(o, "kind"), NULL);
        if (k == NULL || !kind_of(k, &kind))
            continue;
        struct rs_viewspec *v = &set->v[set->n++];
        spec_init(v, kind);
        spec_from(v, o);
        complete(v);
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
    free(set->tour);
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
    for (int i = 0; i < set->n; i++)
        complete(&set->v[i]);
    return set;
}
