/* repscope - MIT licence, see COPYING.
 *
 * t_ui_band.c: a series' band in the line chart (ui/chart.h). A series at
 * 0.5 with a band from 0.25 to 0.75 on a fixed 0..1 axis: the rows of
 * the three values are found from charts of a lone line at each, and the
 * band must fill exactly the rows between the lo and hi rows (a stipple
 * of braille dots in 256 colours and in monochrome, dim there; a tint
 * behind the cells in true colour, under the line too; '.' in ASCII),
 * leave every other cell as the chart without a band has it, and keep
 * the legend's entry per series (a "lo–hi" note added, no _lo or _hi). A
 * band missing a side draws nothing. The band follows the line's
 * downsampling (bucket means of lo and hi, not their minima) and joins
 * sparse points as the line does; it widens an automatic y range. The
 * SVG export draws it as a translucent polygon. The curves panel reads
 * S_lo and S_hi for each series with "band": true (and not without),
 * follows a sibling that appears later; the view spec carries "band" and
 * "labels".
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/bus.h"
#include "tests/tap.h"
#include "tests/ui_fixture.h"
#include "ui/chart.h"
#include "ui/chart_impl.h"
#include "ui/colormap.h"
#include "ui/svg.h"
#include "ui/views.h"
#include "ui/viewspec.h"

#define W 60
#define H 24
#define NPTS 2000

static const struct rs_ui_ctx ctx_true = {RS_COLOR_TRUE, false, NULL, false};
static const uint32_t STIPPLE = 0x2821; /* ⠡: dots (0, 0) and (1, 2) */

/* n buckets of one step each from step 1, every `every` steps: value
 * even in the even ones, odd in the odd ones. */
static void
fill(struct rs_bus_point *p, int n, int every, double even, double odd)
{
    for (int k = 0; k < n; k++) {
        float x = (float)(k % 2 ? odd : even);
        double s = 1.0 + (double)k * every;
        p[k] = (struct rs_bus_point){s, s, x, x, x, x, 1};
    }
}

static struct rs_bus_point mid[NPTS], lo[NPTS], hi[NPTS];

/* A chart of series "a/eval/far" (pts, n) with band b (may be NULL) on
 * a fixed 0..1 y axis and x 0..xmax, drawn W x H in ctx. */
static struct rs_canvas *
draw(const struct rs_bus_point *pts, size_t n, const struct rs_chart_band *b,
     double xmax, const struct rs_ui_ctx *ctx)
{
    struct rs_chart_series s = {"a/eval/far", pts, n, RS_COLOR_DEFAULT};
    struct rs_chart c;
    rs_chart_init(&c);
    c.title = "far";
    c.series = &s;
    c.nseries = 1;
    c.bands = b;
    c.x_min = 0;
    c.x_max = xmax;
    c.y_min = 0;
    c.y_max = 1;
    struct rs_canvas *cv = rs_canvas_new(W, H);
    rs_chart_draw(cv, (struct rs_rect){0, 0, W, H}, &c, ctx);
    return cv;
}

static bool
is_braille(uint32_t g)
{
    return g >= 0x2800 && g <= 0x28ff;
}

/* The row of the lone line of constant value v in column x. */
static int
row_of(double v, int x)
{
    static struct rs_bus_point pts[100];
    fill(pts, 100, 1, v, v);
    struct rs_canvas *cv = draw(pts, 100, NULL, 100, &fx_utf8);
    int row = -1;
    for (int y = 0; y < H && row < 0; y++)
        if (is_braille(rs_canvas_cell(cv, x, y)->glyph))
            row = y;
    rs_canvas_free(cv);
    return row;
}

static bool
same_cell(const struct rs_cell *a, const struct rs_cell *b)
{
    return a->glyph == b->glyph && a->fg == b->fg && a->bg == b->bg &&
           a->attr == b->attr;
}

static bool
same_canvas(const struct rs_canvas *a, const struct rs_canvas *b)
{
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            if (!same_cell(rs_canvas_cell(a, x, y), rs_canvas_cell(b, x, y)))
                return false;
    return true;
}

/* Row y of the canvas as UTF-8 (the caller frees). */
static char *
row_text(const struct rs_canvas *cv, int y)
{
    char *s = rs_canvas_dump_string(cv, false);
    char *line = s;
    for (int i = 0; i < y && line != NULL; i++) {
        line = strchr(line, '\n');
        line = line != NULL ? line + 1 : NULL;
    }
    char *out = NULL;
    if (line != NULL) {
        size_t k = strcspn(line, "\n");
        out = malloc(k + 1);
        memcpy(out, line, k);
        out[k] = '\0';
    }
    free(s);
    return out;
}

/* ---- where the band is drawn ------------------------------------------ */

static void
test_rows(void)
{
    const int x = W / 2;
    int rhi = row_of(0.75, x), rmid = row_of(0.5, x), rlo = row_of(0.25, x);
    if (!tap_ok(rhi > 0 && rhi + 2 < rmid && rmid + 2 < rlo,
                "the rows of 0.75, 0.5, 0.25 are apart (%d %d %d)", rhi, rmid,
                rlo))
        return;
    fill(mid, 100, 1, 0.5, 0.5);
    fill(lo, 100, 1, 0.25, 0.25);
    fill(hi, 100, 1, 0.75, 0.75);
    struct rs_chart_band b = {lo, hi, 100, 100};
    struct rs_canvas *none = draw(mid, 100, NULL, 100, &fx_utf8);

    /* 256 colours: the stipple in the rows inside, in dim series colour */
    struct rs_canvas *cv = draw(mid, 100, &b, 100, &fx_utf8);
    bool inside = true, outside = true;
    int px0 = 0; /* the plot's first column: the line's first cell */
    while (px0 < W && !is_braille(rs_canvas_cell(none, px0, rmid)->glyph))
        px0++;
    uint32_t col = rs_theme_series(&rs_theme_dark, 0);
    for (int y = rhi + 1; y < rlo; y++) {
        const struct rs_cell *c = rs_canvas_cell(cv, x, y);
        if (y == rmid)
            inside &= same_cell(c, rs_canvas_cell(none, x, y));
        else
            inside &= c->glyph == STIPPLE && c->fg != col &&
                      c->fg != RS_COLOR_DEFAULT;
    }
    for (int y = 0; y < H; y++)
        for (int k = 0; k < W; k++) {
            bool band_row = y >= rhi && y <= rlo && k >= px0 && k < W - 1;
            if (!band_row && y != 1 && /* the legend: below */
                !same_cell(rs_canvas_cell(cv, k, y),
                           rs_canvas_cell(none, k, y))) {
                tap_diag("cell %d, %d differs", k, y);
                outside = false;
            }
        }
    tap_ok(inside, "256 colours: the stipple fills the rows between hi and "
                   "lo, the line's row as without a band");
    tap_ok(outside, "256 colours: every cell off the band's rows as without "
                    "a band");
    tap_ok(rs_canvas_cell(cv, x, rhi - 1)->glyph == ' ' &&
               rs_canvas_cell(cv, x, rlo + 1)->glyph == ' ',
           "nothing above hi or below lo");

    /* the legend: one entry per series and a note, no _lo or _hi */
    char *with = row_text(cv, 1), *without = row_text(none, 1);
    const char *at = strstr(with, "a/eval/far");
    tap_ok(at != NULL && strstr(at + 1, "a/eval/far") == NULL &&
               strstr(with, "_lo") == NULL && strstr(with, "_hi") == NULL &&
               strstr(with, "lo\u2013hi") != NULL,
           "legend: the series once, a lo\u2013hi note: %s", with);
    const char *entry = "\u2501 a/eval/far 0.500";
    tap_ok(strstr(with, entry) != NULL &&
               strstr(with, entry) - with == strstr(without, entry) - without,
           "legend: the series' entry as without a band");
    free(with);
    free(without);
    rs_canvas_free(cv);

    /* true colour: a tint behind the rows, under the line too */
    cv = draw(mid, 100, &b, 100, &ctx_true);
    struct rs_canvas *none_tc = draw(mid, 100, NULL, 100, &ctx_true);
    uint32_t tint = rs_chart_band_tint(col);
    inside = true;
    for (int y = rhi + 1; y < rlo; y++)
        inside &= rs_canvas_cell(cv, x, y)->bg == tint;
    tap_ok(inside, "true colour: the tint behind the rows between hi and lo");
    tap_ok(is_braille(rs_canvas_cell(cv, x, rmid)->glyph) &&
               rs_canvas_cell(cv, x, rmid)->fg ==
                   rs_canvas_cell(none_tc, x, rmid)->fg,
           "true colour: the line drawn over the tint in its own colour");
    tap_ok(rs_canvas_cell(cv, x, rhi - 1)->bg == RS_COLOR_DEFAULT &&
               rs_canvas_cell(cv, x, rlo + 1)->bg == RS_COLOR_DEFAULT,
           "true colour: no tint above hi or below lo");
    rs_canvas_free(none_tc);
    rs_canvas_free(cv);

    /* monochrome: the same stipple, dim; ASCII: '.' */
    cv = draw(mid, 100, &b, 100, &fx_mono);
    const struct rs_cell *c = rs_canvas_cell(cv, x, rmid + 1);
    tap_ok(c->glyph == STIPPLE && c->attr == RS_ATTR_DIM,
           "monochrome: the stipple, dim");
    rs_canvas_free(cv);
    cv = draw(mid, 100, &b, 100, &fx_ascii);
    tap_ok(rs_canvas_cell(cv, x, rmid + 1)->glyph == '.' &&
               rs_canvas_cell(cv, x, rlo + 1)->glyph == ' ',
           "ASCII: '.' between hi and lo");
    with = row_text(cv, 1);
    tap_ok(strstr(with, ". lo..hi") != NULL, "ASCII legend: %s", with);
    free(with);
    rs_canvas_free(cv);

    /* a side missing: no band */
    struct rs_chart_band half = {lo, hi, 100, 0};
    cv = draw(mid, 100, &half, 100, &fx_utf8);
    tap_ok(same_canvas(cv, none), "without hi: as without a band");
    rs_canvas_free(cv);
    half = (struct rs_chart_band){lo, hi, 0, 100};
    cv = draw(mid, 100, &half, 100, &ctx_true);
    none_tc = draw(mid, 100, NULL, 100, &ctx_true);
    tap_ok(same_canvas(cv, none_tc), "without lo: as without a band");
    rs_canvas_free(none_tc);
    rs_canvas_free(cv);
    rs_canvas_free(none);
}

/* ---- downsampling and joining ------------------------------------------ */

static void
test_bins(void)
{
    const int x = W / 2;
    int r02 = row_of(0.2, x), r03 = row_of(0.3, x);
    if (!tap_ok(r02 > r03, "0.2 lies below 0.3 (%d, %d)", r02, r03))
        return;
    /* 2000 steps in about 100 dot columns: lo alternates 0.2 / 0.4 */
    fill(mid, NPTS, 1, 0.5, 0.5);
    fill(lo, NPTS, 1, 0.2, 0.4); /* means 0.3 */
    fill(hi, NPTS, 1, 0.7, 0.9); /* means 0.8 */
    struct rs_chart_band b = {lo, hi, NPTS, NPTS};
    struct rs_canvas *cv = draw(mid, NPTS, &b, NPTS, &fx_utf8);
    int bottom = -1;
    for (int y = 0; y < H; y++)
        if (rs_canvas_cell(cv, x, y)->glyph == STIPPLE)
            bottom = y;
    tap_ok(bottom >= 0 && bottom <= r03,
           "downsampled: the band reaches the bucket means (row %d), not "
           "the minima (row %d): %d",
           r03, r02, bottom);
    rs_canvas_free(cv);

    /* sparse points: every 10 steps over 100; the band has no holes */
    fill(mid, 11, 10, 0.5, 0.5);
    fill(lo, 11, 10, 0.25, 0.25);
    fill(hi, 11, 10, 0.75, 0.75);
    b = (struct rs_chart_band){lo, hi, 11, 11};
    cv = draw(mid, 11, &b, 110, &fx_utf8);
    int first = -1, last = -1, holes = 0;
    for (int k = 0; k < W; k++) {
        bool any = false;
        for (int y = 0; y < H; y++)
            any |= rs_canvas_cell(cv, k, y)->glyph == STIPPLE;
        if (any && first < 0)
            first = k;
        if (any)
            last = k;
    }
    for (int k = first; first >= 0 && k <= last; k++) {
        bool any = false;
        for (int y = 0; y < H; y++)
            any |= rs_canvas_cell(cv, k, y)->glyph == STIPPLE;
        holes += !any;
    }
    tap_ok(first >= 0 && last - first > W / 2 && holes == 0,
           "sparse points: joined column to column (%d..%d, %d holes)", first,
           last, holes);
    rs_canvas_free(cv);

    /* an automatic y range takes the band in */
    fill(mid, 100, 1, 0.5, 0.5);
    fill(lo, 100, 1, 0.2, 0.2);
    fill(hi, 100, 1, 0.7, 0.9);
    b = (struct rs_chart_band){lo, hi, 100, 100};
    struct rs_chart_series s = {"s", mid, 100, RS_COLOR_DEFAULT};
    struct rs_chart c;
    rs_chart_init(&c);
    c.series = &s;
    c.nseries = 1;
    struct rs_scale sx, sy;
    rs_chart_ranges(&c, 5, &sx, &sy);
    tap_ok(sy.hi < 0.7, "no band: y around the line (%g..%g)", sy.lo, sy.hi);
    c.bands = &b;
    rs_chart_ranges(&c, 5, &sx, &sy);
    tap_ok(sy.lo <= 0.2 && sy.hi >= 0.9, "band: y takes it in (%g..%g)", sy.lo,
           sy.hi);
}

/* ---- SVG ---------------------------------------------------------------- */

static void
test_svg(void)
{
    fill(mid, 100, 1, 0.5, 0.5);
    fill(lo, 100, 1, 0.25, 0.25);
    fill(hi, 100, 1, 0.75, 0.75);
    struct rs_chart_band b = {lo, hi, 100, 100};
    struct rs_chart_series s = {"a/eval/far", mid, 100, RS_COLOR_DEFAULT};
    struct rs_chart c;
    rs_chart_init(&c);
    c.title = "far";
    c.series = &s;
    c.nseries = 1;
    for (int with = 0; with < 2; with++) {
        c.bands = with ? &b : NULL;
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        struct rs_error err = {0};
        int rc = rs_svg_chart(f, &c, NULL, &err);
        fclose(f);
        const char *p = strstr(buf, "class=\"band\"");
        if (with) {
            char hex[16];
            snprintf(hex, sizeof hex, "fill=\"#%06x\"",
                     (unsigned)rs_theme_series(&rs_theme_dark, 0));
            tap_ok(rc == RS_OK && p != NULL && strstr(p, hex) != NULL &&
                       strstr(p, "fill-opacity=\"0.15\"") != NULL &&
                       strstr(p, "Z\"") != NULL,
                   "SVG: the band a closed translucent polygon in the "
                   "series' colour");
            /* 100 points along hi, 100 back along lo */
            int pts = 0;
            for (const char *q = p; *q != '\0' && *q != '>'; q++)
                pts += *q == 'L' || *q == 'M';
            tap_is_int(pts, 200, "SVG: along hi and back along lo");
            tap_ok(p < strstr(buf, "class=\"series\""),
                   "SVG: the band under the line");
        } else {
            tap_ok(rc == RS_OK && p == NULL, "SVG: no band without one");
        }
        free(buf);
    }
}

/* ---- the curves panel and the spec ------------------------------------ */

static struct rs_views *
panel(const char *json, struct rs_viewspec_set **setp)
{
    struct rs_error err = {0};
    struct rs_viewspec_set *set = rs_viewspec_parse(json, &err);
    if (set == NULL) {
        tap_diag("%s", err.msg);
        return NULL;
    }
    *setp = set;
    return rs_views_new(set);
}

static void
test_views(void)
{
    static const char json[] =
        "{\"views\":[{\"kind\":\"curves\",\"series\":[\"a/eval/far\","
        "\"b/eval/far\"],\"band\":true,\"ymin\":0,\"ymax\":1},"
        "{\"kind\":\"curves\",\"series\":[\"a/eval/far\"]},"
        "{\"kind\":\"frame\",\"matrix\":\"strip\",\"labels\":[\"layout\","
        "\"vanilla\",\"a label far too long for a row\",3,\"\","
        "\"6\",\"7\",\"8\",\"9\",\"10\",\"11\",\"12\",\"13\",\"14\",\"15\","
        "\"16\",\"17\"]}]}";
    struct rs_viewspec_set *set = NULL;
    rs_views *vw = panel(json, &set);
    if (!tap_ok(vw != NULL && set->n == 3, "curves and frame specs parse"))
        return;
    tap_ok(set->v[0].band && !set->v[1].band,
           "spec: band true, false when absent");
    const struct rs_viewspec *fs = &set->v[2];
    tap_ok(fs->nrowlabels == RS_VIEWSPEC_ROWLABELS_MAX &&
               strcmp(fs->rowlabels[0], "layout") == 0 &&
               strcmp(fs->rowlabels[1], "vanilla") == 0 &&
               strcmp(fs->rowlabels[2], "a label far too long for a row") ==
                   0 &&
               fs->rowlabels[3][0] == '\0' && fs->rowlabels[4][0] == '\0' &&
               strcmp(fs->rowlabels[15], "16") == 0,
           "spec: labels in order, a non-string blank, 16 at most");
    rs_viewspec_free(set);

    rs_bus *bus = rs_bus_new();
    for (int s = 1; s <= 50; s++) {
        rs_bus_push(bus, "a/eval/far", s, 0.5);
        rs_bus_push(bus, "a/eval/far_lo", s, 0.3);
        rs_bus_push(bus, "a/eval/far_hi", s, 0.7);
        rs_bus_push(bus, "b/eval/far", s, 0.2);
        rs_bus_push(bus, "b/eval/far_lo", s, 0.1);
    }
    rs_bus_flush(bus);
    struct rs_bus_status st = {.total = 100, .step = 50};
    struct rs_views_frame fr = {.st = &st};
    for (int i = 0; i < 2; i++)
        rs_views_widget(vw, i)->r = (struct rs_rect){0, 0, W, H};
    rs_views_fill(vw, bus, &fr);
    const struct rs_chart *c = rs_chart_widget_data(rs_views_widget(vw, 0));
    tap_ok(c->bands != NULL && c->nseries == 2 && c->bands[0].nlo == 50 &&
               c->bands[0].nhi == 50 && c->bands[0].lo[0].mean == 0.3f &&
               c->bands[0].hi[0].mean == 0.7f,
           "panel: a's band from a/eval/far_lo and a/eval/far_hi");
    tap_ok(c->bands[1].nlo == 50 && c->bands[1].nhi == 0,
           "panel: b has no _hi, so no band");
    const struct rs_chart *c2 = rs_chart_widget_data(rs_views_widget(vw, 1));
    tap_ok(c2->bands == NULL, "panel without band: no band read");
    rs_views_fill(vw, bus, &fr);
    tap_ok(!rs_views_changed(vw, 0), "panel: unchanged on a refill");
    rs_bus_push(bus, "b/eval/far_hi", 50, 0.4);
    rs_bus_flush(bus);
    rs_views_fill(vw, bus, &fr);
    c = rs_chart_widget_data(rs_views_widget(vw, 0));
    tap_ok(rs_views_changed(vw, 0) && c->bands[1].nhi == 1,
           "panel: a sibling that appears is read");
    struct rs_canvas *cv = rs_canvas_new(W, H);
    rs_widget_draw(rs_views_widget(vw, 0), cv, &fx_utf8);
    char *s = rs_canvas_dump_string(cv, false);
    tap_ok(strstr(s, "\u2821") != NULL && strstr(s, "_lo") == NULL,
           "panel draws the band, no _lo in sight");
    free(s);
    rs_canvas_free(cv);
    rs_views_free(vw);
    rs_bus_free(bus);
}

int
main(void)
{
    tap_plan_lazy();
    test_rows();
    test_bins();
    test_svg();
    test_views();
    return tap_done();
}
