/* repscope - MIT licence, see COPYING.
 *
 * t_ui_widgets.c: every widget against golden canvases (UTF-8 in 256
 * colours, monochrome, ASCII; tests/golden/<widget>_<case>.txt) plus
 * checks against values computed here by hand: chart helpers (value at a
 * step, EMA, crossing, ranges), bar heights of the spectrum, rank levels,
 * dead counts, heatmap colours, status-bar field dropping, key handlers.
 * RS_GOLDEN_UPDATE=1 rewrites the golden files.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/tap.h"
#include "tests/ui_fixture.h"
#include "ui/canvas.h"
#include "ui/chart.h"
#include "ui/colormap.h"
#include "ui/heatmap.h"
#include "ui/help.h"
#include "ui/neuronmap.h"
#include "ui/spectrum.h"
#include "ui/statusbar.h"
#include "ui/widget.h"

typedef void (*draw_fn)(struct rs_canvas *, struct rs_rect, const void *,
                        const struct rs_ui_ctx *);

static struct rs_canvas *
render(int w, int h, draw_fn fn, const void *in, const struct rs_ui_ctx *ctx)
{
    struct rs_canvas *cv = rs_canvas_new(w, h);
    fn(cv, (struct rs_rect){0, 0, w, h}, in, ctx);
    return cv;
}

static void
golden3(int w, int h, draw_fn fn, const void *in, const char *name, bool mono)
{
    char buf[128];
    struct rs_canvas *cv = render(w, h, fn, in, &fx_utf8);
    snprintf(buf, sizeof buf, "%s_utf8", name);
    golden_check(cv, false, buf);
    rs_canvas_free(cv);
    if (mono) {
        cv = render(w, h, fn, in, &fx_mono);
        snprintf(buf, sizeof buf, "%s_mono", name);
        golden_check(cv, false, buf);
        rs_canvas_free(cv);
    }
    cv = render(w, h, fn, in, &fx_ascii);
    snprintf(buf, sizeof buf, "%s_ascii", name);
    golden_check(cv, true, buf);
    rs_canvas_free(cv);
}

/* Draw adapters with the common signature. */
static void
d_chart(struct rs_canvas *cv, struct rs_rect r, const void *in,
        const struct rs_ui_ctx *ctx)
{
    rs_chart_draw(cv, r, in, ctx);
}
static void
d_heat(struct rs_canvas *cv, struct rs_rect r, const void *in,
       const struct rs_ui_ctx *ctx)
{
    rs_heatmap_draw(cv, r, in, ctx);
}
static void
d_spec(struct rs_canvas *cv, struct rs_rect r, const void *in,
       const struct rs_ui_ctx *ctx)
{
    rs_spectrum_draw(cv, r, in, ctx);
}
static void
d_strip(struct rs_canvas *cv, struct rs_rect r, const void *in,
        const struct rs_ui_ctx *ctx)
{
    rs_rankstrip_draw(cv, r, in, ctx);
}
static void
d_neuron(struct rs_canvas *cv, struct rs_rect r, const void *in,
         const struct rs_ui_ctx *ctx)
{
    rs_neuronmap_draw(cv, r, in, ctx);
}
static void
d_status(struct rs_canvas *cv, struct rs_rect r, const void *in,
         const struct rs_ui_ctx *ctx)
{
    rs_statusbar_draw(cv, r, in, ctx);
}
static void
d_keys(struct rs_canvas *cv, struct rs_rect r, const void *in,
       const struct rs_ui_ctx *ctx)
{
    (void)in;
    rs_keybar_draw(cv, r, fx_keys, fx_nkeys, ctx);
}
static void
d_help(struct rs_canvas *cv, struct rs_rect r, const void *in,
       const struct rs_ui_ctx *ctx)
{
    rs_help_draw(cv, r, in, ctx);
}

static bool
contains(const struct rs_canvas *cv, const char *s)
{
    char *d = rs_canvas_dump_string(cv, false);
    bool r = strstr(d, s) != NULL;
    free(d);
    return r;
}

/* ---- chart ------------------------------------------------------------------
 */

static void
test_chart_helpers(void)
{
    struct rs_bus_point p[3] = {
        {0, 0, 0, 0, 0, 0, 1},
        {10, 19, 1, 3, 2, 3, 10},
        {20, 20, 4, 4, 4, 4, 1},
    };
    struct rs_chart_series s = {"s", p, 3, RS_COLOR_DEFAULT};
    tap_is_float(rs_chart_value_at(&s, 15), 2, 0, 0, "value inside a bucket");
    tap_is_float(rs_chart_value_at(&s, 4), 0, 0, 0, "value nearest (left)");
    tap_is_float(rs_chart_value_at(&s, 6), 2, 0, 0, "value nearest (right)");
    tap_is_float(rs_chart_value_at(&s, 99), 4, 0, 0, "value past the end");
    double e[3];
    rs_chart_ema(&s, 0.5, e);
    /* e0 = 0; bucket of 10 steps: w = 1 - 0.5^10; e2: w = 0.5 */
    double e1 = (1.0 - pow(0.5, 10)) * 2.0;
    tap_is_float(e[0], 0, 0, 0, "ema starts at the first mean");
    tap_is_float(e[1], e1, 1e-12, 0, "ema weighs a bucket by its count");
    tap_is_float(e[2], e1 + 0.5 * (4 - e1), 1e-12, 0, "ema of a single");
    double step;
    tap_ok(rs_chart_crossing(&s, 1.5, &step) && step == 10,
           "upward crossing at the first bucket above");
    tap_ok(!rs_chart_crossing(&s, 9, &step), "no crossing above the data");

    struct fx_run *run = rs_xmalloc(sizeof *run);
    fx_run_init(run);
    long want = -1; /* the first eval step at or above 0.5, by hand */
    for (long k = FX_EVAL_EVERY; k <= FX_STEPS && want < 0; k += FX_EVAL_EVERY)
        if ((double)(float)fx_test_acc(k) >= 0.5)
            want = k;
    tap_ok(rs_chart_crossing(&run->acc_series[1], 0.5, &step) &&
               (long)step == want,
           "test accuracy crosses 50%% at step %ld", want);
    struct rs_scale x, y;
    tap_ok(rs_chart_ranges(&run->acc, 3, &x, &y), "ranges of the run");
    tap_is_float(x.lo, FX_EVAL_EVERY, 0, 0, "x starts at the first step");
    tap_is_float(x.hi, FX_STEPS, 0, 0, "x ends at the last step");
    tap_is_float(y.lo, 0, 0, 0, "y nice low");
    tap_is_float(y.hi, 1, 0, 0, "y nice high");
    tap_ok(rs_chart_ranges(&run->lossc, 4, &x, &y) && y.log &&
               fabs(log10(y.lo) - round(log10(y.lo))) < 1e-9 &&
               fabs(log10(y.hi) - round(log10(y.hi))) < 1e-9 && y.hi >= 4.6 &&
               y.lo <= 0.002,
           "log y range spans whole decades around the loss");

    /* the threshold mark names the step computed above */
    char lab[32];
    snprintf(lab, sizeof lab, "50%% %.1fk", want / 1000.0);
    struct rs_canvas *cv = render(60, 14, d_chart, &run->acc, &fx_utf8);
    tap_ok(contains(cv, lab), "threshold label '%s' drawn", lab);
    tap_ok(contains(cv, "\u25b2lr 1e-3\u21923e-4"), "event marker drawn");
    char leg[64];
    snprintf(leg, sizeof leg, "train %.3f",
             (double)run->train[FX_NPTS - 1].last);
    tap_ok(contains(cv, leg), "legend shows the last value '%s'", leg);
    rs_canvas_free(cv);
    free(run);
}

static void
test_chart_keys(void)
{
    struct fx_run *run = rs_xmalloc(sizeof *run);
    fx_run_init(run);
    struct rs_widget *w = rs_chart_widget_new();
    struct rs_chart *c = rs_chart_widget_data(w);
    *c = run->acc;
    w->r = (struct rs_rect){0, 0, 60, 14};
    struct rs_canvas *cv = rs_canvas_new(60, 14);
    rs_widget_draw(w, cv, &fx_utf8);
    unsigned f = rs_widget_key(w, RS_KEY_RIGHT);
    tap_ok(f == (RS_UI_HANDLED | RS_UI_REDRAW) && c->cursor_on &&
               c->cursor == FX_STEPS,
           "right shows the cursor at the newest step");
    rs_widget_key(w, RS_KEY_LEFT);
    /* 12 inner rows: legend, 9 plot rows, axis, labels; 9 rows take 5
     * ticks with a free row between: 0.25 apart ("0.00" .. "1.00"), so
     * the plot is 58 inner - 4 label - 1 axis = 53 columns over
     * [10, 6200] */
    tap_is_float(c->cursor, FX_STEPS - (FX_STEPS - 10) / 53.0, 1e-6, 0,
                 "left moves one column back");
    rs_widget_key(w, RS_KEY_HOME);
    tap_is_float(c->cursor, 10, 1e-9, 0, "home goes to the first step");
    tap_ok(rs_widget_key(w, 'l') != 0 && c->log_y, "l toggles log y");
    tap_ok(rs_widget_key(w, 'm') != 0 && c->smooth == 0.3, "m: ema 0.3");
    tap_ok(rs_widget_key(w, RS_KEY_ESC) != 0 && !c->cursor_on, "esc hides");
    tap_ok(rs_widget_key(w, RS_KEY_ESC) == 0, "esc again is not ours");
    tap_ok(rs_widget_key(w, 'x') == 0, "other keys are not ours");
    tap_ok(!w->dirty, "drawing clears dirty");
    rs_widget_free(w);
    rs_canvas_free(cv);
    free(run);
}

/* A long history in step order is binned by bisecting runs of buckets
 * per column; out of order, bucket by bucket. Both must draw the same
 * picture (means on a 1/8 grid, so the sums are exact in any order). */
static void
test_chart_binning(void)
{
    enum { N = 3000 };
    struct rs_bus_point *in = rs_xcalloc(N, sizeof *in);
    struct rs_bus_point *mixed = rs_xcalloc(N, sizeof *mixed);
    for (int i = 0; i < N; i++) {
        double s = 1 + i * 137.0;
        float v = (float)((i * 7919) % 64) / 8.0f + 1.0f;
        in[i] =
            (struct rs_bus_point){s, s + 136, v - 0.5f, v + 0.5f, v, v, 137};
    }
    /* a permutation of all but the newest bucket (the legend shows the
     * last one): 1237 is prime to N - 1 = 2999 */
    for (int i = 0; i < N - 1; i++)
        mixed[i] = in[(i * 1237) % (N - 1)];
    mixed[N - 1] = in[N - 1];
    int same = 0;
    for (int lx = 0; lx < 2; lx++) {
        char *d[2];
        for (int k = 0; k < 2; k++) {
            struct rs_chart_series ser = {"v", k ? mixed : in, N,
                                          RS_COLOR_DEFAULT};
            struct rs_chart c;
            rs_chart_init(&c);
            c.title = "long";
            c.series = &ser;
            c.nseries = 1;
            c.log_x = lx;
            struct rs_canvas *cv = render(70, 16, d_chart, &c, &fx_utf8);
            d[k] = rs_canvas_dump_string(cv, false);
            rs_canvas_free(cv);
        }
        same +=
            strcmp(d[0], d[1]) == 0 && strstr(d[0], "min\u2013max per") != NULL;
        if (strcmp(d[0], d[1]) != 0)
            tap_diag("in order:\n%s\nout of order:\n%s", d[0], d[1]);
        free(d[0]);
        free(d[1]);
    }
    tap_is_int(same, 2,
               "in step order or not, the same chart (linear and log x)");
    free(in);
    free(mixed);
}

static void
test_chart_goldens(void)
{
    struct fx_run *run = rs_xmalloc(sizeof *run);
    fx_run_init(run);
    golden3(60, 14, d_chart, &run->acc, "chart_acc", true);
    golden3(50, 12, d_chart, &run->lossc, "chart_loss", false);
    struct rs_chart c = run->acc;
    c.log_x = true;
    c.smooth = 0.1;
    c.cursor_on = true;
    c.cursor = 2000;
    c.nthresholds = 0;
    golden3(60, 14, d_chart, &c, "chart_logx_ema", false);
    golden3(30, 7, d_chart, &run->acc, "chart_small", false);
    golden3(60, 12, d_chart, &run->retc, "chart_noisy", true);
    struct rs_chart sm = run->retc;
    sm.smooth = 0.01;
    golden3(60, 12, d_chart, &sm, "chart_noisy_ema", false);
    struct rs_chart empty;
    rs_chart_init(&empty);
    empty.title = "loss";
    golden3(30, 8, d_chart, &empty, "chart_empty", false);
    free(run);
}

/* Many series with long shared names: the legend takes two rows and shows
 * the part that differs; names that fit stay whole. */
static void
test_chart_legend(void)
{
    static struct rs_bus_point pts[4][2];
    static struct rs_chart_series ser[4];
    static const char *const names[4] = {
        "pos/rope/fp32/dist", "pos/alibi/fp32/dist",
        "pos/sinusoidal/fp32/dist", "pos/none/fp32/dist"};
    struct rs_chart c;
    rs_chart_init(&c);
    c.title = "positional encodings";
    for (int i = 0; i < 4; i++) {
        for (int k = 0; k < 2; k++) {
            float v = (float)(i + 1) / (float)(k + 1);
            pts[i][k] = (struct rs_bus_point){k + 1, k + 1, v, v, v, v, 1};
        }
        ser[i] = (struct rs_chart_series){names[i], pts[i], 2,
                                          RS_COLOR_DEFAULT};
    }
    c.series = ser;
    c.nseries = 4;
    struct rs_canvas *cv = render(50, 12, d_chart, &c, &fx_utf8);
    char *s = rs_canvas_dump_string(cv, false);
    char *row2 = strchr(s, '\n') ? strchr(strchr(s, '\n') + 1, '\n') : NULL;
    tap_ok(strstr(s, "\u2501 rope 0.500") != NULL && strstr(s, "pos/") == NULL &&
               strstr(s, "sinusoidal") != NULL,
           "the shared 'pos/' and '/fp32/dist' are left out of the legend");
    tap_ok(row2 != NULL && strstr(row2 + 1, "none") != NULL &&
               strstr(row2 + 1, "none") < strchr(row2 + 1, '\n'),
           "the legend wraps onto a second row");
    free(s);
    rs_canvas_free(cv);
    c.nseries = 2;
    cv = render(50, 12, d_chart, &c, &fx_utf8);
    s = rs_canvas_dump_string(cv, false);
    tap_ok(strstr(s, "pos/rope/fp32/dist 0.500") != NULL,
           "names that fit are shown whole");
    free(s);
    rs_canvas_free(cv);
}

/* ---- heatmap ----------------------------------------------------------------
 */

static void
test_heatmap(void)
{
    struct fx_heat h;
    fx_heat_init(&h);
    golden3(50, 11, d_heat, &h.tokens, "heatmap_tokens", true);
    golden3(44, 14, d_heat, &h.signed_map, "heatmap_signed", true);
    struct rs_canvas *cv = render(50, 11, d_heat, &h.tokens, &fx_utf8);
    char *ansi = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&ansi, &len);
    rs_canvas_dump_ansi(cv, f, RS_COLOR_256, false);
    fclose(f);
    golden_check_text(ansi, "heatmap_tokens_ansi256");
    free(ansi);
    /* row L5 (the last), token 0 holds the minimum: viridis[0] below
     * row L4's... find the cell of (row 5, col 0): rows are whole cell
     * rows (sy 2), the first grid row is 2 (border, header) */
    double lo, hi;
    rs_heatmap_range(&h.tokens, &lo, &hi);
    tap_is_float(lo, exp(-9 * (0.2 + 0.15 * 5)), 1e-7, 0, "range low");
    tap_is_float(hi, 1, 1e-7, 0, "range high");
    const struct rs_cell *c = rs_canvas_cell(cv, 4, 2 + 5);
    tap_ok(c != NULL && c->glyph == 0x2580 && c->fg == rs_cmap_viridis[0] &&
               c->bg == rs_cmap_viridis[0],
           "minimum cell is viridis[0] in both halves");
    rs_canvas_free(cv);
    tap_is_int((long)rs_heatmap_color(&h.signed_map, -1, 1, 0), 0xf7f7f7,
               "diverging zero is white");

    /* 25 one-glyph token labels in one-glyph cells: the header is the
     * token string itself */
    {
        static const char *const toks[25] = {
            "0", "1", "0", "0", "0", "0", "1", "1", "1", "1", "1", "0", "0",
            "0", "1", "1", "1", "1", "1", "1", "1", "1", "1", "1", "?"};
        static const char *const rl[2] = {"l1", "l2"};
        float d[50];
        for (int i = 0; i < 50; i++)
            d[i] = (float)i;
        struct rs_heatmap t;
        rs_heatmap_init(&t);
        t.title = "tokens";
        t.data = d;
        t.rows = 2;
        t.cols = 25;
        t.row_labels = rl;
        t.col_labels = toks;
        struct rs_canvas *tc = render(32, 8, d_heat, &t, &fx_utf8);
        char *ts = rs_canvas_dump_string(tc, false);
        tap_ok(strstr(ts, "010000111110001111111111?") != NULL,
               "one-glyph column labels read as the sequence");
        if (strstr(ts, "010000111110001111111111?") == NULL)
            tap_diag("%s", ts);
        free(ts);
        rs_canvas_free(tc);
    }

    struct rs_widget *w = rs_heatmap_widget_new();
    struct rs_heatmap *hm = rs_heatmap_widget_data(w);
    *hm = h.tokens;
    tap_ok(rs_widget_key(w, RS_KEY_DOWN) != 0 && hm->sel_row == 0 &&
               hm->sel_col == 0,
           "first arrow selects (0, 0)");
    rs_widget_key(w, RS_KEY_DOWN);
    rs_widget_key(w, RS_KEY_RIGHT);
    rs_widget_key(w, RS_KEY_RIGHT);
    tap_ok(hm->sel_row == 1 && hm->sel_col == 2, "arrows move");
    rs_widget_key(w, RS_KEY_END);
    tap_is_int(hm->sel_col, 9, "end: last column");
    w->r = (struct rs_rect){0, 0, 60, 11};
    cv = rs_canvas_new(60, 11);
    rs_widget_draw(w, cv, &fx_utf8);
    tap_ok(contains(cv, "L1 \u00b7 <eos> = 1.000"),
           "readout of the selected cell");
    rs_canvas_free(cv);
    rs_widget_free(w);
}

/* ---- spectrum and rank strip
 * ---------------------------------------------------- */

static void
test_spectrum(void)
{
    struct fx_rank r;
    fx_rank_init(&r);
    golden3(50, 9, d_spec, &r.sp, "spectrum", false);
    golden3(50, 9, d_strip, &r.rk, "rankstrip", true);
    /* The first bar: log10 scale from 1e-3 (the smallest value's decade)
     * to 1e2 over 6 rows of 8 eighths. */
    struct rs_canvas *cv = render(50, 9, d_spec, &r.sp, &fx_utf8);
    double f = (log10(r.s[0]) + 3.0) / 5.0;
    long e = lround(f * 6 * 8);
    int full = 0;
    uint32_t top = 0;
    for (int y = 6; y >= 1; y--) { /* bar rows 1..6, base on row 7 */
        uint32_t g = rs_canvas_cell(cv, 6, y)->glyph;
        if (g == 0x2588)
            full++;
        else if (g != ' ')
            top = g;
    }
    tap_is_int(full, e / 8, "first bar: %ld/8 rows full", e / 8);
    tap_is_int((long)top, e % 8 ? 0x2580 + e % 8 : 0, "first bar top");
    tap_ok(rs_canvas_cell(cv, 6 + 2, 7)->glyph == 0x25b2,
           "srank 9 marked under value 9 (3 per column)");
    rs_canvas_free(cv);
    tap_is_int(rs_rankstrip_level(64, 128), 4, "level full");
    tap_is_int(rs_rankstrip_level(63.9, 128), 3, "level 3");
    tap_is_int(rs_rankstrip_level(16, 128), 3, "level 3 low end");
    tap_is_int(rs_rankstrip_level(15.9, 128), 2, "level 2");
    tap_is_int(rs_rankstrip_level(4, 128), 2, "level 2 low end");
    tap_is_int(rs_rankstrip_level(3.9, 128), 1, "level 1");
    tap_is_int(rs_rankstrip_level(0, 128), 0, "level 0");
    tap_is_int(rs_rankstrip_level(NAN, 128), -1, "no value");
    struct rs_widget *w = rs_rankstrip_widget_new();
    struct rs_rankstrip *rk = rs_rankstrip_widget_data(w);
    *rk = r.rk;
    rs_widget_key(w, ']');
    rs_widget_key(w, RS_KEY_DOWN);
    rs_widget_key(w, RS_KEY_DOWN);
    tap_is_int(rk->sel, 4, "strip selection stops at the last layer");
    rs_widget_free(w);
}

/* ---- neurons
 * ------------------------------------------------------------------- */

static void
test_neurons(void)
{
    struct fx_neurons n;
    fx_neurons_init(&n);
    tap_is_int(rs_neuronmap_dead(&n.layers[1]), FX_DEAD_L6, "dead in L6");
    golden3(50, 9, d_neuron, &n.nm, "neuronmap", true);
    golden3(36, 6, d_neuron, &n.nm, "neuronmap_pooled", false);
    /* wide enough for one unit per cell: count the dead glyphs of L6 */
    struct rs_canvas *cv = render(140, 9, d_neuron, &n.nm, &fx_utf8);
    int dead = 0;
    for (int x = 0; x < 140; x++)
        dead += rs_canvas_cell(cv, x, 2)->glyph == 0x00b7;
    tap_is_int(dead, FX_DEAD_L6, "one '\u00b7' per dead unit of L6");
    tap_ok(contains(cv, "dead 37/128 in L6"), "title names the layer");
    rs_canvas_free(cv);
}

/* ---- bars and help
 * -------------------------------------------------------------- */

static void
test_bars(void)
{
    struct rs_bus_status st;
    fx_status_init(&st);
    struct rs_statusbar sb = {&st, NULL, NULL};
    static const int widths[3] = {132, 80, 40};
    char name[64];
    for (int i = 0; i < 3; i++) {
        struct rs_canvas *cv = render(widths[i], 1, d_status, &sb, &fx_utf8);
        snprintf(name, sizeof name, "statusbar_%d_utf8", widths[i]);
        golden_check(cv, false, name);
        tap_ok(contains(cv, "RUNNING") && contains(cv, "6 200"),
               "%d columns keep state and step", widths[i]);
        if (i == 0)
            tap_ok(contains(cv, "SkylakeX") && contains(cv, "seed 1") &&
                       contains(cv, "(a+b) mod 97"),
                   "132 columns show everything");
        if (i == 1)
            tap_ok(!contains(cv, "SkylakeX") && contains(cv, "ETA 0:41"),
                   "80 columns drop kernels first, keep the ETA");
        rs_canvas_free(cv);
    }
    struct rs_canvas *cv = render(80, 1, d_status, &sb, &fx_ascii);
    golden_check(cv, true, "statusbar_80_ascii");
    rs_canvas_free(cv);
    st.runs = 8; /* a status that sums up 8 runs has no one seed */
    cv = render(132, 1, d_status, &sb, &fx_utf8);
    tap_ok(contains(cv, "8 runs") && !contains(cv, "seed"),
           "several runs: their count instead of a seed");
    rs_canvas_free(cv);
    st.runs = 0;
    st.state = RS_SESSION_FAILED;
    snprintf(st.message, sizeof st.message,
             "scenes/grok.lua:42: attempt to index a nil value");
    cv = render(80, 1, d_status, &sb, &fx_utf8);
    golden_check(cv, false, "statusbar_failed_utf8");
    tap_ok(contains(cv, "FAILED") && contains(cv, "grok.lua:42"),
           "failure shows the message");
    rs_canvas_free(cv);

    golden3(80, 1, d_keys, NULL, "keybar_80", false);
    cv = render(40, 1, d_keys, NULL, &fx_utf8);
    golden_check(cv, false, "keybar_40_utf8");
    tap_ok(contains(cv, "space pause") && contains(cv, "? help") &&
               contains(cv, "q quit") && !contains(cv, "export"),
           "narrow key bar keeps priority-0 keys");
    rs_canvas_free(cv);

    static const struct rs_keyhint keys[] = {
        {NULL, "run", 0},
        {"space", "pause / resume", 0},
        {"s", "one step", 0},
        {"+/-", "faster / slower", 0},
        {NULL, "view", 0},
        {"tab", "next panel", 0},
        {"enter", "zoom the panel", 0},
        {"[ ]", "previous / next layer", 0},
        {"left", "cursor back", 0},
        {"right", "cursor forward", 0},
        {"l", "log y", 0},
        {"m", "smoothing", 0},
        {NULL, "session", 0},
        {":", "console", 0},
        {"e", "export SVG", 0},
        {"q", "quit", 0}};
    struct rs_help h = {"keys", keys, (int)RS_ARRAY_LEN(keys), 0};
    golden3(60, 20, d_help, &h, "help", false);
    h.scroll = 3;
    cv = render(40, 10, d_help, &h, &fx_utf8);
    golden_check(cv, false, "help_scroll_utf8");
    tap_ok(contains(cv, "4-9 of 16"), "scroll position in the title");
    rs_canvas_free(cv);

    struct rs_widget *w = rs_help_widget_new(keys, (int)RS_ARRAY_LEN(keys));
    w->r = (struct rs_rect){0, 0, 40, 10};
    cv = rs_canvas_new(40, 10);
    rs_widget_draw(w, cv, &fx_utf8);
    rs_widget_key(w, RS_KEY_PGDN);
    tap_is_int(rs_help_widget_data(w)->scroll, 6, "page down by a page");
    rs_widget_key(w, RS_KEY_END);
    tap_is_int(rs_help_widget_data(w)->scroll, 10, "end: the last page");
    tap_ok(rs_widget_key(w, RS_KEY_ESC) & RS_UI_CLOSE, "esc closes");
    tap_ok(rs_widget_key(w, 'x') == RS_UI_HANDLED, "modal: swallows keys");
    rs_widget_free(w);
    rs_canvas_free(cv);
}

int
main(void)
{
    tap_plan_lazy();
    test_chart_helpers();
    test_chart_keys();
    test_chart_binning();
    test_chart_goldens();
    test_chart_legend();
    test_heatmap();
    test_spectrum();
    test_neurons();
    test_bars();
    return tap_done();
}
