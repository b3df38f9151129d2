/* repscope - MIT licence, see COPYING.
 *
 * t_ui_compose.c: whole screens composed of several widgets through the
 * widget class interface (as the loop will): the grokking screen at
 * 80x24 (UTF-8, monochrome, ASCII, and an ANSI 256-colour dump) and at
 * 100x30 (the screen the grokking scene was sketched for: accuracy, rank
 * strip, spectrum, neurons, notes, key bar), against golden files;
 * plus the invariants a screen must keep: every widget stays inside its
 * rectangle, the focused panel's border is bold.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/tap.h"
#include "tests/ui_fixture.h"
#include "ui/canvas.h"
#include "ui/chart.h"
#include "ui/heatmap.h"
#include "ui/help.h"
#include "ui/neuronmap.h"
#include "ui/spectrum.h"
#include "ui/statusbar.h"
#include "ui/widget.h"

enum {
    W_STATUS,
    W_ACC,
    W_RANK,
    W_SPEC,
    W_NEURON,
    W_LOSS,
    W_HEAT,
    W_KEYS,
    W_COUNT
};

struct screen {
    struct fx_run run;
    struct fx_rank rank;
    struct fx_neurons neurons;
    struct fx_heat heat;
    struct rs_bus_status st;
    struct rs_widget *w[W_COUNT];
};

static void
screen_init(struct screen *s)
{
    fx_run_init(&s->run);
    fx_rank_init(&s->rank);
    fx_neurons_init(&s->neurons);
    fx_heat_init(&s->heat);
    fx_status_init(&s->st);
    s->w[W_STATUS] = rs_statusbar_widget_new();
    rs_statusbar_widget_data(s->w[W_STATUS])->st = &s->st;
    s->w[W_ACC] = rs_chart_widget_new();
    *rs_chart_widget_data(s->w[W_ACC]) = s->run.acc;
    s->w[W_RANK] = rs_rankstrip_widget_new();
    *rs_rankstrip_widget_data(s->w[W_RANK]) = s->rank.rk;
    s->w[W_SPEC] = rs_spectrum_widget_new();
    *rs_spectrum_widget_data(s->w[W_SPEC]) = s->rank.sp;
    s->w[W_NEURON] = rs_neuronmap_widget_new();
    *rs_neuronmap_widget_data(s->w[W_NEURON]) = s->neurons.nm;
    s->w[W_LOSS] = rs_chart_widget_new();
    *rs_chart_widget_data(s->w[W_LOSS]) = s->run.lossc;
    s->w[W_HEAT] = rs_heatmap_widget_new();
    *rs_heatmap_widget_data(s->w[W_HEAT]) = s->heat.tokens;
    s->w[W_KEYS] = rs_keybar_widget_new(fx_keys, fx_nkeys);
}

static void
screen_free(struct screen *s)
{
    for (int i = 0; i < W_COUNT; i++)
        rs_widget_free(s->w[i]);
}

/* The rectangles of the grokking screen at w x h: status line, two rows
 * of two panels (left a bit wider), a third row (loss, token
 * sensitivity) from 28 lines on, key bar. */
static void
screen_layout(struct screen *s, int w, int h)
{
    int lw = w * 11 / 20, rw = w - lw;
    int avail = h - 2;
    int h1, h2, h3;
    if (h >= 28) {
        h1 = avail * 2 / 5;
        h2 = (avail - h1) / 2;
        h3 = avail - h1 - h2;
    } else {
        h1 = avail * 11 / 20;
        h2 = avail - h1;
        h3 = 0;
    }
    s->w[W_STATUS]->r = (struct rs_rect){0, 0, w, 1};
    s->w[W_ACC]->r = (struct rs_rect){0, 1, lw, h1};
    s->w[W_RANK]->r = (struct rs_rect){lw, 1, rw, h1};
    s->w[W_SPEC]->r = (struct rs_rect){0, 1 + h1, lw, h2};
    s->w[W_NEURON]->r = (struct rs_rect){lw, 1 + h1, rw, h2};
    s->w[W_LOSS]->r = (struct rs_rect){0, 1 + h1 + h2, h3 ? lw : 0, h3};
    s->w[W_HEAT]->r = (struct rs_rect){lw, 1 + h1 + h2, h3 ? rw : 0, h3};
    s->w[W_KEYS]->r = (struct rs_rect){0, h - 1, w, 1};
}

static struct rs_canvas *
screen_draw(struct screen *s, int w, int h, const struct rs_ui_ctx *ctx)
{
    struct rs_canvas *cv = rs_canvas_new(w, h);
    screen_layout(s, w, h);
    for (int i = 0; i < W_COUNT; i++)
        rs_widget_draw(s->w[i], cv, ctx);
    return cv;
}

/* Each widget drawn alone on a canvas pre-filled with '@' must leave
 * every cell outside its rectangle untouched. */
static void
test_containment(struct screen *s, int w, int h)
{
    screen_layout(s, w, h);
    for (int i = 0; i < W_COUNT; i++) {
        struct rs_canvas *cv = rs_canvas_new(w, h);
        rs_canvas_fill(
            cv, (struct rs_rect){0, 0, w, h}, '@',
            (struct rs_style){RS_COLOR_DEFAULT, RS_COLOR_DEFAULT, 0});
        rs_widget_draw(s->w[i], cv, &fx_utf8);
        struct rs_rect r = s->w[i]->r;
        int bad = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                bool inside =
                    x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h;
                if (!inside && rs_canvas_cell(cv, x, y)->glyph != '@')
                    bad++;
            }
        tap_ok(bad == 0, "%s stays inside its rectangle at %dx%d",
               s->w[i]->cls->name, w, h);
        rs_canvas_free(cv);
    }
}

int
main(void)
{
    tap_plan_lazy();
    struct screen *s = rs_xcalloc(1, sizeof *s);
    screen_init(s);
    s->w[W_ACC]->focused = true;

    struct rs_canvas *cv = screen_draw(s, 80, 24, &fx_utf8);
    golden_check(cv, false, "compose_80x24_utf8");
    const struct rs_cell *corner = rs_canvas_cell(cv, 0, 1);
    tap_ok(corner->glyph == 0x250c && (corner->attr & RS_ATTR_BOLD),
           "focused panel has a bold border");
    const struct rs_cell *other = rs_canvas_cell(cv, 44, 1);
    tap_ok(other->glyph == 0x250c && !(other->attr & RS_ATTR_BOLD),
           "other panels do not");
    char *ansi = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&ansi, &len);
    rs_canvas_dump_ansi(cv, f, RS_COLOR_256, false);
    fclose(f);
    golden_check_text(ansi, "compose_80x24_ansi256");
    free(ansi);
    rs_canvas_free(cv);

    cv = screen_draw(s, 80, 24, &fx_mono);
    golden_check(cv, false, "compose_80x24_mono");
    rs_canvas_free(cv);
    cv = screen_draw(s, 80, 24, &fx_ascii);
    golden_check(cv, true, "compose_80x24_ascii");
    char *txt = rs_canvas_dump_string(cv, true);
    bool pure = true;
    for (const char *p = txt; *p; p++)
        pure = pure && (unsigned char)*p < 0x80;
    tap_ok(pure, "the ASCII screen is pure ASCII");
    free(txt);
    rs_canvas_free(cv);

    cv = screen_draw(s, 100, 30, &fx_utf8);
    golden_check(cv, false, "compose_100x30_utf8");
    rs_canvas_free(cv);

    /* the help overlay over the screen */
    static const struct rs_keyhint keys[] = {
        {"space", "pause / resume", 0}, {"s", "one step", 0},
        {"tab", "next panel", 0},       {"enter", "zoom the panel", 0},
        {"?", "this help", 0},          {"q", "quit", 0}};
    struct rs_widget *help = rs_help_widget_new(keys, 6);
    help->r = (struct rs_rect){0, 0, 80, 24};
    cv = screen_draw(s, 80, 24, &fx_utf8);
    rs_widget_draw(help, cv, &fx_utf8);
    golden_check(cv, false, "compose_80x24_help_utf8");
    rs_canvas_free(cv);
    rs_widget_free(help);

    test_containment(s, 80, 24);
    test_containment(s, 40, 12);
    screen_free(s);
    free(s);
    return tap_done();
}
