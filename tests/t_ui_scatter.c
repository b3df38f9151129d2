/* repscope - MIT licence, see COPYING.
 *
 * t_ui_scatter.c: the scatter view (ui/scatter.h). The pairing by step on
 * constructed series: the same cadence, y logged more often than x (an x
 * repeats), x more often than y (sampled at y's steps), y before any x
 * and non-finite values left out, merged buckets by their last step. The
 * drawing: golden screens in colour (ANSI 256), monochrome and ASCII at a
 * fixed size, the latest points bigger (a disc; reverse video in glyph
 * modes), a glyph per learner, the legend's latest (x, y), log axes,
 * fixed bounds, "no data" when empty, the l key. The view: the JSON spec
 * parses (x series, y series, learners, bounds, log axes), a panel fills
 * from a bus and says when it changed, it mentions its y series too, it
 * exports as SVG.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/bus.h"
#include "tests/tap.h"
#include "tests/ui_fixture.h"
#include "ui/scatter.h"
#include "ui/views.h"
#include "ui/viewspec.h"

static bool
has(const struct rs_canvas *cv, const char *text)
{
    char *s = rs_canvas_dump_string(cv, false);
    bool r = strstr(s, text) != NULL;
    free(s);
    return r;
}

static int
count_glyph(const struct rs_canvas *cv, uint32_t g, uint16_t attr)
{
    int n = 0;
    for (int y = 0; y < cv->h; y++)
        for (int x = 0; x < cv->w; x++) {
            const struct rs_cell *c = rs_canvas_cell(cv, x, y);
            n += c->glyph == g && (c->attr & attr) == attr;
        }
    return n;
}

/* A bus point of one step. */
static struct rs_bus_point
pt(double step, float v)
{
    return (struct rs_bus_point){step, step, v, v, v, v, 1};
}

/* ---- pairing ------------------------------------------------------------- */

static void
test_pair(void)
{
    double x[16], y[16], st[16];
    /* the same cadence: pairs step by step */
    struct rs_bus_point xs[4] = {pt(10, 100), pt(20, 90), pt(30, 80),
                                 pt(40, 70)};
    struct rs_bus_point ys[4] = {pt(10, .1f), pt(20, .2f), pt(30, .3f),
                                 pt(40, .4f)};
    int n = rs_scatter_pair(xs, 4, ys, 4, x, y, st, 16);
    tap_ok(n == 4 && x[0] == 100 && y[0] == (double).1f && x[3] == 70 &&
               y[3] == (double).4f && st[2] == 30,
           "pair: the same steps pair one to one");
    /* y every 5 steps, x every 20 from step 10: each y takes the latest x
     * at or before its step; y at step 5 has none and is left out */
    struct rs_bus_point xs2[2] = {pt(10, 1000), pt(30, 500)};
    struct rs_bus_point ys2[7] = {pt(5, 1),  pt(10, 2), pt(15, 3), pt(20, 4),
                                  pt(30, 5), pt(35, 6), pt(40, 7)};
    n = rs_scatter_pair(xs2, 2, ys2, 7, x, y, st, 16);
    tap_ok(n == 6 && st[0] == 10 && x[0] == 1000 && x[1] == 1000 &&
               x[2] == 1000 && x[3] == 500 && st[3] == 30 && x[5] == 500 &&
               y[5] == 7,
           "pair: a y logged more often repeats the latest x at or before "
           "its step");
    /* x every step, y every 10: y's steps pick x at those steps */
    struct rs_bus_point xs3[25];
    for (int i = 0; i < 25; i++)
        xs3[i] = pt(i + 1, (float)(1000 - i));
    struct rs_bus_point ys3[2] = {pt(10, .5f), pt(20, .6f)};
    n = rs_scatter_pair(xs3, 25, ys3, 2, x, y, NULL, 16);
    tap_ok(n == 2 && x[0] == 991 && x[1] == 981,
           "pair: an x logged more often is sampled at y's steps");
    /* non-finite on either side is left out; max caps */
    struct rs_bus_point xs4[3] = {pt(1, 1), pt(2, NAN), pt(3, 3)};
    struct rs_bus_point ys4[3] = {pt(1, INFINITY), pt(2, 2), pt(3, 3)};
    n = rs_scatter_pair(xs4, 3, ys4, 3, x, y, NULL, 16);
    tap_ok(n == 1 && x[0] == 3 && y[0] == 3,
           "pair: non-finite values on either side are left out");
    n = rs_scatter_pair(xs, 4, ys, 4, x, y, NULL, 2);
    tap_ok(n == 2 && x[1] == 90, "pair: at most max pairs, oldest first");
    /* a merged bucket counts at its last step with its last value */
    struct rs_bus_point xs5[2] = {{1, 8, 10, 40, 25, 40, 8}, pt(12, 50)};
    struct rs_bus_point ys5[2] = {pt(8, 1), {9, 16, 2, 3, 2.5f, 3, 8}};
    n = rs_scatter_pair(xs5, 2, ys5, 2, x, y, st, 16);
    tap_ok(n == 2 && x[0] == 40 && x[1] == 50 && y[1] == 3 && st[1] == 16,
           "pair: merged buckets pair by their last step and value");
    tap_is_int(rs_scatter_pair(xs, 0, ys, 4, x, y, NULL, 16), 0,
               "pair: no x, no points");
}

/* ---- drawing ------------------------------------------------------------- */

/* A pruned learner shrinks while its accuracy climbs, the base stays at
 * its size: accuracy by parameters. */
static double base_x[5] = {570e3, 570e3, 570e3, 570e3, 570e3};
static double base_y[5] = {0.62, 0.78, 0.84, 0.87, 0.88};
static double demp_x[6] = {570e3, 480e3, 390e3, 300e3, 250e3, 230e3};
static double demp_y[6] = {0.60, 0.76, 0.82, 0.85, 0.86, 0.87};
static double hot_x[4] = {570e3, 560e3, 540e3, 520e3};
static double hot_y[4] = {0.55, 0.70, 0.79, 0.83};

static void
scatter_fixture(struct rs_scatter *s, struct rs_scatter_set *sets)
{
    rs_scatter_init(s);
    sets[0] = (struct rs_scatter_set){"base", base_x, base_y, 5};
    sets[1] = (struct rs_scatter_set){"demp", demp_x, demp_y, 6};
    sets[2] = (struct rs_scatter_set){"hot", hot_x, hot_y, 4};
    s->title = "frontier";
    s->xlabel = "params";
    s->ylabel = "test/acc";
    s->sets = sets;
    s->nsets = 3;
}

static void
test_draw(void)
{
    struct rs_scatter s;
    struct rs_scatter_set sets[3];
    scatter_fixture(&s, sets);
    struct rs_canvas *cv = rs_canvas_new(50, 14);
    rs_scatter_draw(cv, (struct rs_rect){0, 0, 50, 14}, &s, &fx_utf8);
    tap_ok(has(cv, "frontier") && has(cv, "test/acc by params"),
           "scatter: the title and the axis names");
    tap_ok(has(cv, "demp (230k, 0.870)") && has(cv, "base (570k, 0.880)") &&
               has(cv, "hot (520k, 0.830)"),
           "scatter: the legend names each learner with its latest point");
    tap_is_int(count_glyph(cv, 0x25cf, RS_ATTR_BOLD), 6,
               "scatter: a disc per learner in the legend and at its latest "
               "point");
    golden_check(cv, false, "scatter_utf8");
    char *ansi = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&ansi, &len);
    rs_canvas_dump_ansi(cv, f, RS_COLOR_256, false);
    fclose(f);
    golden_check_text(ansi, "scatter_ansi256");
    free(ansi);

    rs_canvas_clear(cv);
    rs_scatter_draw(cv, (struct rs_rect){0, 0, 50, 14}, &s, &fx_mono);
    tap_ok(count_glyph(cv, 0x25cf, 0) == 0 &&
               count_glyph(cv, 'x', RS_ATTR_REVERSE) == 1 &&
               count_glyph(cv, 'o', RS_ATTR_REVERSE) == 1 &&
               count_glyph(cv, '+', RS_ATTR_REVERSE) == 1,
           "scatter in monochrome: a glyph per learner, the latest in "
           "reverse video");
    golden_check(cv, false, "scatter_mono");
    rs_canvas_clear(cv);
    rs_scatter_draw(cv, (struct rs_rect){0, 0, 50, 14}, &s, &fx_ascii);
    golden_check(cv, true, "scatter_ascii");

    /* log x, fixed y bounds: a point outside them is not drawn */
    s.log_x = true;
    s.y_min = 0.7;
    s.y_max = 0.9;
    rs_canvas_clear(cv);
    rs_scatter_draw(cv, (struct rs_rect){0, 0, 50, 14}, &s, &fx_mono);
    /* hot's 0.55 is below: its three others and its legend marker */
    tap_ok(has(cv, "test/acc by log params") && has(cv, "0.9") &&
               has(cv, "0.7") && count_glyph(cv, '+', 0) == 4,
           "scatter: log x, fixed y bounds; points below them left out");

    /* empty: no learner has a point */
    rs_scatter_init(&s);
    struct rs_scatter_set none[2] = {{"a", NULL, NULL, 0},
                                     {"b", NULL, NULL, 0}};
    s.title = "empty";
    s.sets = none;
    s.nsets = 2;
    rs_canvas_clear(cv);
    rs_scatter_draw(cv, (struct rs_rect){0, 0, 50, 14}, &s, &fx_utf8);
    tap_ok(has(cv, "no data"), "scatter: no points, no data");
    s.nsets = 0;
    rs_canvas_clear(cv);
    rs_scatter_draw(cv, (struct rs_rect){0, 0, 50, 14}, &s, &fx_ascii);
    tap_ok(has(cv, "no data"), "scatter: no learners, no data");
    rs_canvas_free(cv);

    struct rs_widget *w = rs_scatter_widget_new();
    tap_ok(rs_widget_key(w, 'l') == (RS_UI_HANDLED | RS_UI_REDRAW) &&
               rs_scatter_widget_data(w)->log_y && rs_widget_key(w, 'q') == 0,
           "scatter key l: log y; other keys not taken");
    rs_widget_free(w);
}

/* ---- the view ------------------------------------------------------------ */

static void
test_views(void)
{
    static const char json[] =
        "{\"views\":[{\"kind\":\"scatter\",\"title\":\"frontier\","
        "\"series\":[\"a/params\",\"b/params\"],"
        "\"yseries\":[\"a/test/acc\",\"b/test/acc\"],"
        "\"learners\":[\"a\",\"b\"],\"x\":\"log\",\"xmin\":1,\"xmax\":1e6,"
        "\"ymin\":0,\"xlabel\":\"params\",\"ylabel\":\"test/acc\"},"
        "{\"kind\":\"scatter\",\"series\":[\"n\",\"m\"],"
        "\"yseries\":[\"acc\"]}]}";
    struct rs_error err = {0};
    struct rs_viewspec_set *set = rs_viewspec_parse(json, &err);
    if (!tap_ok(set != NULL && set->n == 2, "scatter specs parse")) {
        tap_diag("%s", err.msg);
        rs_viewspec_free(set);
        return;
    }
    const struct rs_viewspec *v = set->v;
    tap_ok(v[0].kind == RS_VIEWSPEC_SCATTER && v[0].nseries == 2 &&
               strcmp(v[0].series[1], "b/params") == 0 &&
               strcmp(v[0].yseries[1], "b/test/acc") == 0 &&
               strcmp(v[0].mat_labels[0], "a") == 0 && v[0].log_x &&
               !v[0].log_y && v[0].xmin == 1 && v[0].xmax == 1e6 &&
               v[0].ymin == 0 && isnan(v[0].ymax) &&
               strcmp(v[0].xlabel, "params") == 0,
           "scatter spec: x and y series, learners, log x, bounds, labels");
    tap_ok(v[1].nseries == 1 && strcmp(v[1].mat_labels[0], "acc") == 0 &&
               isnan(v[1].xmin),
           "scatter spec: as many learners as y series; unnamed, the y "
           "series names it");

    rs_bus *bus = rs_bus_new();
    for (int s = 1; s <= 4; s++) {
        rs_bus_push(bus, "a/params", 10 * s, 1000 - 100 * s);
        rs_bus_push(bus, "a/test/acc", 10 * s, 0.5 + 0.1 * s);
    }
    rs_bus_push(bus, "b/test/acc", 10, 0.4); /* no params yet */
    rs_bus_flush(bus);
    rs_views *vw = rs_views_new(set);
    rs_viewspec_free(set);
    rs_views_widget(vw, 0)->r = (struct rs_rect){0, 0, 40, 12};
    rs_views_widget(vw, 1)->r = (struct rs_rect){0, 0, 40, 12};
    struct rs_bus_status st = {.total = 40, .step = 40};
    struct rs_views_frame fr = {.st = &st};
    rs_views_fill(vw, bus, &fr);
    const struct rs_scatter *s = rs_scatter_widget_data(rs_views_widget(vw, 0));
    tap_ok(s->nsets == 2 && s->sets[0].n == 4 && s->sets[0].x[3] == 600 &&
               fabs(s->sets[0].y[3] - 0.9) < 1e-6 && s->sets[1].n == 0 &&
               strcmp(s->sets[1].name, "b") == 0,
           "scatter panel: pairs per learner; one without its x keeps its "
           "place");
    tap_ok(s->log_x && s->x_min == 1 && s->y_min == 0 &&
               strcmp(s->title, "frontier") == 0 &&
               strcmp(s->ylabel, "test/acc") == 0,
           "scatter panel: the spec's axes, bounds and title");
    tap_ok(rs_views_changed(vw, 0), "scatter panel: changed on the first fill");
    rs_views_fill(vw, bus, &fr);
    tap_ok(!rs_views_changed(vw, 0), "scatter panel: unchanged on a refill");
    rs_bus_push(bus, "b/params", 5, 2000);
    rs_bus_flush(bus);
    rs_views_fill(vw, bus, &fr);
    tap_ok(rs_views_changed(vw, 0) && s->sets[1].n == 1 &&
               s->sets[1].x[0] == 2000,
           "scatter panel: a new x point pairs the waiting y");
    tap_ok(rs_views_mentions(vw, 0, "b/test/acc") &&
               rs_views_mentions(vw, 0, "a/params") &&
               !rs_views_mentions(vw, 0, "c/params"),
           "scatter panel: mentions its x and y series");
    tap_is_int(rs_views_min_h(vw, 0), 9, "scatter panel: its least height");
    struct rs_canvas *cv = rs_canvas_new(40, 12);
    rs_widget_draw(rs_views_widget(vw, 0), cv, &fx_utf8);
    tap_ok(has(cv, "a (600, 0.900)"), "scatter panel draws");
    rs_canvas_free(cv);
    char *svg = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&svg, &len);
    int rc = rs_views_export(vw, 0, f, &err);
    fclose(f);
    int circles = 0, big = 0;
    for (const char *q = svg; (q = strstr(q, "<circle")) != NULL; q++) {
        circles++;
        big += strncmp(strstr(q, "r=\""), "r=\"6\"", 5) == 0;
    }
    /* a's four points and b's one, a legend disc each; two latest */
    tap_ok(rc == RS_OK && circles == 7 && big == 2 &&
               strstr(svg, ">a (600, 0.900)</text>") != NULL &&
               strstr(svg, ">log params</text>") != NULL &&
               strstr(svg, "</svg>") != NULL,
           "scatter panel exports as SVG: a circle per point, the latest "
           "bigger, the legend, the axis name");
    free(svg);
    rs_views_free(vw);
    rs_bus_free(bus);
}

int
main(void)
{
    tap_plan_lazy();
    test_pair();
    test_draw();
    test_views();
    return tap_done();
}
