/* repscope - MIT licence, see COPYING.
 *
 * compare_grid.c: the grid of a sweep (rs_compare_new_grid, `repscope
 * attach SWEEPDIR`, compare.h): small multiples of one series, a small
 * curves panel per point in sweep order on one shared y range, each
 * titled by how its point stands, and the status that counts the points
 * that way. The feeder's thread.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/attach.h"
#include "run/compare.h"
#include "run/compare_impl.h"
#include "run/json.h"

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

/* The smallest and largest value any run logged of the grid's series
 * (NaN, NaN: none yet), from the bus's buckets (their min and max). */
static void
data_range(rs_compare *c, double *lo, double *hi)
{
    *lo = NAN;
    *hi = NAN;
    struct rs_bus_point *pts = rs_xcalloc(RS_BUS_SERIES_CAP, sizeof *pts);
    rs_bus_flush(c->bus);
    for (int i = 0; i < c->n; i++) {
        /* the name as the member published it: cut as the bus cuts */
        char name[2 * RS_BUS_NAME_MAX + 64];
        snprintf(name, sizeof name, "%s/%s", c->runs[i].label, c->gseries);
        name[RS_BUS_NAME_MAX - 1] = '\0';
        uint64_t ver;
        size_t m =
            rs_bus_series_copy(c->bus, name, pts, RS_BUS_SERIES_CAP, &ver);
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
    rs_compare_lit(b, t);
}

/* The grid's series (when the caller named none: the first series of the
 * first curves view a run recorded, else the first series any run
 * logged, time/ left out), its scene view (NULL if none) in *view. */
static void
grid_series(rs_compare *c, const rs_json *views, const rs_json **view)
{
    for (int i = 0; c->gseries[0] == '\0' && i < rs_json_len(views); i++) {
        const rs_json *v = rs_json_at(views, i);
        const char *s =
            rs_json_str(rs_json_at(rs_json_get(v, "series"), 0), NULL);
        if (strcmp(rs_compare_str_or(rs_json_get(v, "kind"), ""), "curves") ==
                0 &&
            s != NULL)
            snprintf(c->gseries, sizeof c->gseries, "%s", s);
    }
    if (c->gseries[0] == '\0' && views == NULL) {
        rs_compare_series_from_bus(c);
        if (c->nseries > 0)
            snprintf(c->gseries, sizeof c->gseries, "%s", c->series[0]);
    }
    *view =
        c->gseries[0] != '\0' ? rs_compare_view_of(views, c->gseries) : NULL;
}

/* The grid's view specs (a new string): a small curves panel per point
 * in sweep order (the first RS_COMPARE_PANELS), titled by its label and
 * how it stands, all on one y range. */
char *
rs_compare_build_grid(rs_compare *c)
{
    rs_json *root = rs_compare_recorded_views(c);
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
                        strcmp(rs_compare_str_or(rs_json_get(view, "y"), ""),
                               "log") == 0);
    }
    c->ylo = lo;
    c->yhi = hi;

    struct rs_json_buf b = {0};
    char t[200];
    snprintf(t, sizeof t, "sweep: %s",
             rs_compare_str_or(rs_json_get(root, "title"), "runs"));
    rs_compare_lit(&b, "{\"version\":1,\"title\":");
    rs_compare_str(&b, t);
    rs_compare_lit(&b, ",\"views\":[");
    const struct run **pts = all_points(c);
    int n = c->n + c->missing;
    for (int k = 0; k < n && k < RS_COMPARE_PANELS; k++) {
        const struct run *r = pts[k];
        static const char *const said[] = {
            " \xc2\xb7 not started", "", " \xc2\xb7 done", " \xc2\xb7 FAILED"};
        enum point_state ps = point_state(r);
        char title[160];
        if (ps == PT_FAILED && r->exit_code > 0)
            snprintf(title, sizeof title, "%s \xc2\xb7 FAILED, exit %d",
                     r->label, r->exit_code);
        else
            snprintf(title, sizeof title, "%s%s", r->label, said[ps]);
        rs_compare_lit(&b, k > 0 ? ",{" : "{");
        rs_compare_lit(&b,
                       "\"kind\":\"curves\",\"markers\":false,\"small\":true,"
                       "\"title\":");
        rs_compare_str(&b, title);
        static const char *const keep[] = {"x", "y", "xfrom", "xlabel"};
        for (size_t j = 0; view != NULL && j < RS_ARRAY_LEN(keep); j++) {
            size_t len = 0;
            const rs_json *m = rs_json_get(view, keep[j]);
            const char *tx = m != NULL ? rs_json_text(m, &len) : NULL;
            if (tx == NULL)
                continue;
            rs_compare_lit(&b, ",");
            rs_compare_str(&b, keep[j]);
            rs_compare_lit(&b, ":");
            rs_json_buf_raw(&b, tx, len);
        }
        if (lo < hi) {
            rs_compare_lit(&b, ",\"ymin\":");
            num(&b, lo);
            rs_compare_lit(&b, ",\"ymax\":");
            num(&b, hi);
        }
        rs_compare_lit(&b, ",\"series\":[");
        if (c->gseries[0] != '\0')
            rs_compare_prefixed(&b, r->label, c->gseries);
        rs_compare_lit(&b, "]}");
    }
    free(pts);
    rs_compare_lit(&b, "]}");
    rs_json_free(root);
    return rs_json_buf_take(&b);
}

void
rs_compare_publish_grid_status(rs_compare *c)
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
    /* the counts a glance needs, short enough for 80 columns; the
     * message below has them in full */
    int t = snprintf(all.title, sizeof all.title, "%s \xc2\xb7 %d/%d done",
                     c->gseries[0] != '\0' ? c->gseries : "?",
                     count[PT_DONE], n);
    if (count[PT_RUNNING] > 0 && t > 0 && (size_t)t < sizeof all.title)
        t += snprintf(all.title + t, sizeof all.title - (size_t)t,
                      ", %d running", count[PT_RUNNING]);
    if (count[PT_FAILED] > 0 && t > 0 && (size_t)t < sizeof all.title)
        snprintf(all.title + t, sizeof all.title - (size_t)t, ", %d failed",
                 count[PT_FAILED]);
    all.runs = n;
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
