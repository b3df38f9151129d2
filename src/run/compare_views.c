/* repscope - MIT licence, see COPYING.
 *
 * compare_views.c: what a comparison of runs (compare.h) publishes
 * besides its members' series and matrices: the view specs that overlay
 * the runs (rebuilt as JSON text after every poll), the table of final
 * values and a status for them all. Also the view spec helpers the grid
 * (compare_grid.c) shares. The feeder's thread.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/attach.h"
#include "run/compare.h"
#include "run/compare_impl.h"
#include "run/json.h"

#define FINAL_NAME "compare/final"

/* ---- the view specs ------------------------------------------------------ */

/* "<label>/<name>" as a JSON string, cut as the bus cuts names. */
void
rs_compare_prefixed(struct rs_json_buf *b, const char *label, const char *name)
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
void
rs_compare_series_from_bus(rs_compare *c)
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
 * each group, cut into pieces of RS_COMPARE_OVERLAY. By group: groups
 * [lo[k], hi[k]), RS_COMPARE_OVERLAY a panel. Returns the count. */
static int
chunks(const rs_compare *c, int *lo, int *hi, int max)
{
    int k = 0;
    if (c->by_group) {
        for (int i = 0; i < c->ngroups && k < max; i += RS_COMPARE_OVERLAY) {
            lo[k] = i;
            hi[k++] = i + RS_COMPARE_OVERLAY < c->ngroups
                          ? i + RS_COMPARE_OVERLAY
                          : c->ngroups;
        }
        return k;
    }
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
const rs_json *
rs_compare_view_of(const rs_json *views, const char *name)
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

/* One overlay panel: series s of runs [lo, hi), or of groups [lo, hi)
 * by group (with their bands). */
static void
overlay(const rs_compare *c, struct rs_json_buf *b, const rs_json *views,
        const char *s, int lo, int hi, bool grouped)
{
    rs_compare_lit(b, "{\"kind\":\"curves\",\"markers\":false,\"title\":");
    char title[160];
    if (c->by_group)
        snprintf(title, sizeof title, "%s \xc2\xb7 mean, min-max", s);
    else
        snprintf(title, sizeof title, "%s%s%s", s,
                 grouped ? " \xc2\xb7 " : "", grouped ? c->runs[lo].group : "");
    rs_compare_str(b, title);
    if (c->by_group)
        rs_compare_lit(b, ",\"band\":true");
    /* the scene's axes for it */
    const rs_json *v = rs_compare_view_of(views, s);
    static const char *const keep[] = {"x",    "y",     "ymin",
                                       "ymax", "xfrom", "xlabel"};
    for (size_t k = 0; v != NULL && k < RS_ARRAY_LEN(keep); k++) {
        const rs_json *m = rs_json_get(v, keep[k]);
        size_t len = 0;
        const char *t = m != NULL ? rs_json_text(m, &len) : NULL;
        if (t == NULL)
            continue;
        rs_compare_lit(b, ",");
        rs_compare_str(b, keep[k]);
        rs_compare_lit(b, ":");
        rs_json_buf_raw(b, t, len);
    }
    rs_compare_lit(b, ",\"series\":[");
    for (int i = lo; i < hi; i++) {
        if (i > lo)
            rs_compare_lit(b, ",");
        rs_compare_prefixed(b,
                            c->by_group ? rs_compare_group_prefix(c, i)
                                        : c->runs[i].label,
                            s);
    }
    rs_compare_lit(b, "]}");
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
    const char *kind = rs_compare_str_or(rs_json_get(v, "kind"), "");
    bool layer_view =
        strcmp(kind, "spectrum") == 0 || strcmp(kind, "neurons") == 0;
    rs_compare_lit(b, "{");
    for (int i = 0; i < rs_json_len(v); i++) {
        const char *key = rs_json_key(v, i, NULL);
        const rs_json *m = rs_json_at(v, i);
        if (i > 0)
            rs_compare_lit(b, ",");
        rs_compare_str(b, key);
        rs_compare_lit(b, ":");
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
                         rs_compare_str_or(m, ""));
            rs_compare_str(b, t);
        } else if (name && rs_json_str(m, NULL) != NULL) {
            rs_compare_prefixed(b, r->label, rs_json_str(m, NULL));
        } else if (list && rs_json_typeof(m) == RS_JSON_ARRAY) {
            rs_compare_lit(b, "[");
            for (int k = 0; k < rs_json_len(m); k++) {
                if (k > 0)
                    rs_compare_lit(b, ",");
                rs_compare_prefixed(b, r->label,
                                    rs_compare_str_or(rs_json_at(m, k), ""));
            }
            rs_compare_lit(b, "]");
        } else {
            size_t len = 0;
            const char *t = rs_json_text(m, &len);
            rs_json_buf_raw(b, t, len);
        }
    }
    const char *layer = rs_json_str(rs_json_get(v, "layer"), NULL);
    if (rs_json_get(v, "title") == NULL) {
        rs_compare_lit(b, rs_json_len(v) > 0 ? ",\"title\":" : "\"title\":");
        char t[200];
        if (layer_view)
            snprintf(t, sizeof t, "%s", r->label);
        else
            snprintf(t, sizeof t, "%s \xc2\xb7 %s", r->label, kind);
        rs_compare_str(b, t);
    }
    bool spectrum = strcmp(kind, "spectrum") == 0;
    if ((spectrum || strcmp(kind, "neurons") == 0) && layer != NULL &&
        rs_json_get(v, "matrix") == NULL) {
        char m[RS_BUS_NAME_MAX];
        snprintf(m, sizeof m, "%s/%s", spectrum ? "spectrum" : "neurons",
                 layer);
        rs_compare_lit(b, ",\"matrix\":");
        rs_compare_prefixed(b, r->label, m);
    }
    const rs_json *layers = rs_json_get(v, "layers");
    if (strcmp(kind, "rank_heatmap") == 0 && rs_json_get(v, "series") == NULL &&
        rs_json_len(layers) > 0) {
        const char *metric =
            rs_compare_str_or(rs_json_get(v, "metric"), "srank");
        rs_compare_lit(b, ",\"series\":[");
        for (int k = 0; k < rs_json_len(layers); k++) {
            char s[RS_BUS_NAME_MAX];
            snprintf(s, sizeof s, "probe/%s/%s", metric,
                     rs_compare_str_or(rs_json_at(layers, k), ""));
            if (k > 0)
                rs_compare_lit(b, ",");
            rs_compare_prefixed(b, r->label, s);
        }
        rs_compare_lit(b, "]");
    }
    rs_compare_lit(b, "}");
}

rs_json *
rs_compare_recorded_views(const rs_compare *c)
{
    const char *text = NULL;
    for (int i = 0; i < c->n && text == NULL; i++)
        text = rs_attach_views(c->runs[i].a);
    return text != NULL ? rs_json_parse(text, strlen(text), NULL) : NULL;
}

/* Whether v is a curves view (or no object: never shown per run). */
static bool
is_curves(const rs_json *v)
{
    return rs_json_typeof(v) != RS_JSON_OBJECT ||
           strcmp(rs_compare_str_or(rs_json_get(v, "kind"), ""), "curves") == 0;
}

/* The view specs for the runs as they stand (a new string). */
char *
rs_compare_build_views(rs_compare *c)
{
    rs_json *root = rs_compare_recorded_views(c);
    const rs_json *views = rs_json_get(root, "views");
    for (int i = 0; i < rs_json_len(views); i++) {
        const rs_json *v = rs_json_at(views, i);
        const rs_json *s = rs_json_get(v, "series");
        if (strcmp(rs_compare_str_or(rs_json_get(v, "kind"), ""), "curves") !=
            0)
            continue;
        for (int k = 0; k < rs_json_len(s); k++) {
            const char *n = rs_json_str(rs_json_at(s, k), NULL);
            if (n != NULL)
                add_series(c, n);
        }
    }
    if (views == NULL)
        rs_compare_series_from_bus(c);

    struct rs_json_buf b = {0};
    struct rs_bus_status st;
    rs_attach_status(c->runs[0].a, &st);
    const char *title = rs_compare_str_or(rs_json_get(root, "title"), st.title);
    char t[200];
    snprintf(t, sizeof t, "compare: %s", title);
    rs_compare_lit(&b, "{\"version\":1,\"title\":");
    rs_compare_str(&b, t);
    rs_compare_lit(&b, ",\"views\":[");
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
                rs_compare_lit(&b, ",");
            overlay(c, &b, views, c->series[s], lo[k], hi[k], nch > 1);
            panels++;
        }
        /* the table early enough to be seen: after the second series,
         * or the first one's when it takes a panel per group */
        if (!table && (s == 1 || nch > 1 || s == c->nseries - 1) &&
            panels < RS_COMPARE_PANELS) {
            rs_compare_lit(&b,
                           ",{\"kind\":\"table\",\"title\":\"final values\","
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
                rs_compare_lit(&b, ",");
            member_view(&c->runs[r], &b, v);
        }
    }
    rs_compare_lit(&b, "]}");
    rs_json_free(root);
    return rs_json_buf_take(&b);
}

/* ---- the table and the status -------------------------------------------- */

void
rs_compare_publish_table(rs_compare *c)
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

void
rs_compare_publish_status(rs_compare *c)
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
    int t = snprintf(all.title, sizeof all.title, "compare: %d runs of %s",
                     c->n, all.scene);
    if (done < c->n + c->missing && t > 0 && (size_t)t < sizeof all.title)
        snprintf(all.title + t, sizeof all.title - (size_t)t,
                 " \xc2\xb7 %d/%d done", done, c->n + c->missing);
    all.runs = c->n;
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
