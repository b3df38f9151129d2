/* repscope - MIT licence, see COPYING.
 *
 * spectrum.c: the singular-value bar plot and the rank-over-time strip
 * (spectrum.h). UI thread.
 */
#include "config.h"

#include "ui/spectrum.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "ui/colormap.h"
#include "ui/fmt.h"
#include "ui/scale.h"

#define MAX_TICKS 16

/* ---- spectrum ---------------------------------------------------------- */

/* The log scale of the bars: s_max's decade down to the smallest positive
 * value's, at most 8 decades. */
static void
spectrum_scale(const struct rs_spectrum *sp, struct rs_scale *sc)
{
    double mx = 0, mn = INFINITY;
    for (int i = 0; i < sp->n; i++) {
        double v = sp->s[i];
        if (!(v > 0) || !isfinite(v))
            continue;
        mx = v > mx ? v : mx;
        mn = v < mn ? v : mn;
    }
    sc->log = true;
    sc->lo = mx > 0 ? mn : 0.1;
    sc->hi = mx > 0 ? mx : 1;
    rs_scale_nice(sc, 4);
    if (sc->hi / sc->lo > 1e8)
        sc->lo = sc->hi / 1e8;
}

void
rs_spectrum_draw(struct rs_canvas *cv, struct rs_rect r,
                 const struct rs_spectrum *sp, const struct rs_ui_ctx *ctx)
{
    const struct rs_theme *th = rs_widget_theme(ctx);
    const char *dot = ctx->ascii ? " . " : " \u00b7 ";
    char title[160], part[48];
    snprintf(title, sizeof title, "%s", sp->title ? sp->title : "spectrum");
    if (sp->layer != NULL) {
        snprintf(part, sizeof part, "%s%s", dot, sp->layer);
        strncat(title, part, sizeof title - strlen(title) - 1);
    }
    if (sp->srank >= 0) {
        snprintf(part, sizeof part, "%s%ssrank %d", dot,
                 ctx->ascii ? "^" : "\u25b2", sp->srank);
        strncat(title, part, sizeof title - strlen(title) - 1);
    }
    if (!isnan(sp->erank)) {
        snprintf(part, sizeof part, "%s%serank %.1f", dot,
                 ctx->ascii ? "*" : "\u25b3", sp->erank);
        strncat(title, part, sizeof title - strlen(title) - 1);
    }
    char info[32] = "";
    if (sp->n > 0)
        snprintf(info, sizeof info, "n %d", sp->n);
    struct rs_rect in = rs_widget_panel(cv, r, title, info, ctx);
    if (sp->s == NULL || sp->n <= 0) {
        rs_widget_empty(cv, in, NULL, ctx);
        return;
    }
    int bh = in.h - 1;
    if (bh < 2 || in.w < 10) {
        rs_widget_empty(cv, in, "too small", ctx);
        return;
    }
    struct rs_scale sc;
    spectrum_scale(sp, &sc);
    double yt[MAX_TICKS];
    int ny = rs_scale_ticks(&sc, bh / 2 + 1 < 2 ? 2 : bh / 2 + 1, yt, MAX_TICKS,
                            NULL);
    char lab[MAX_TICKS][16];
    int ylw = 1;
    for (int i = 0; i < ny; i++) {
        rs_fmt_exp(yt[i], lab[i], sizeof lab[i]);
        int w = rs_utf8_width(lab[i]);
        ylw = w > ylw ? w : ylw;
    }
    int ax = in.x + ylw, bx = ax + 1, bw = in.x + in.w - bx;
    int base = in.y + bh; /* the axis row */
    struct rs_style axs = rs_widget_style(th->axis, 0);
    struct rs_style tks = rs_widget_style(th->tick, 0);
    for (int y = in.y; y < base; y++)
        rs_canvas_put(cv, ax, y, 0x2502, axs);
    int last = -2;
    for (int i = ny - 1; i >= 0; i--) { /* top down, a free row between */
        double f = rs_scale_pos(&sc, yt[i]);
        int row = base - (int)lround(f * bh);
        row = row < in.y ? in.y : row >= base ? base - 1 : row;
        if (row <= last + 1)
            continue;
        last = row;
        rs_canvas_put(cv, ax, row, 0x2524, axs);
        int w = rs_utf8_width(lab[i]);
        rs_canvas_text(cv, ax - w, row, lab[i], w, tks);
    }
    rs_canvas_put(cv, ax, base, 0x2514, axs);
    for (int x = bx; x < bx + bw; x++)
        rs_canvas_put(cv, x, base, 0x2500, axs);

    /* index -> columns: cw columns per value, or g values per column */
    int cw = bw / sp->n, g = 1;
    cw = cw > 3 ? 3 : cw;
    if (cw < 1) {
        cw = 1;
        g = (sp->n + bw - 1) / bw;
    }
    int ncol = (sp->n + g - 1) / g * cw;
    uint32_t on = rs_theme_series(th, 0), off = th->dim;
    for (int k = 0; k < ncol && k < bw; k++) {
        int i0 = k / cw * g;
        double v = 0;
        for (int i = i0; i < i0 + g && i < sp->n; i++)
            v = (double)sp->s[i] > v ? (double)sp->s[i] : v;
        double f = rs_scale_pos(&sc, v);
        if (!(f > 0))
            continue;
        f = f > 1 ? 1 : f;
        long e = lround(f * bh * 8);
        bool in_rank = sp->srank < 0 || i0 < sp->srank;
        struct rs_style st =
            rs_widget_style(in_rank ? on : off, in_rank ? 0 : RS_ATTR_DIM);
        for (int row = 0; row < bh && e > 0; row++, e -= 8) {
            uint32_t gl = e >= 8 ? 0x2588 : 0x2580 + (uint32_t)e;
            rs_canvas_put(cv, bx + k, base - 1 - row, gl, st);
        }
    }
    /* markers under the last value counted by each rank (the title
     * names them) */
    if (!isnan(sp->erank) && sp->erank >= 1) {
        int x = bx + ((int)lround(sp->erank) - 1) / g * cw;
        if (x < bx + bw)
            rs_canvas_put(cv, x, base, ctx->ascii ? '*' : 0x25b3,
                          rs_widget_style(th->marker, 0));
    }
    if (sp->srank >= 1) {
        int x = bx + (sp->srank - 1) / g * cw;
        if (x < bx + bw)
            rs_canvas_put(cv, x, base, ctx->ascii ? '^' : 0x25b2,
                          rs_widget_style(th->marker, RS_ATTR_BOLD));
    }
}

/* ---- rank strip ------------------------------------------------------------
 */

int
rs_rankstrip_level(double rank, double full)
{
    if (isnan(rank))
        return -1;
    if (!(rank > 0))
        return 0;
    if (!(full > 0))
        return 4;
    double f = rank / full;
    return f >= 0.5 ? 4 : f >= 0.125 ? 3 : f >= 1.0 / 32 ? 2 : 1;
}

static const uint32_t shade_utf8[5] = {' ', 0x2591, 0x2592, 0x2593, 0x2588};
static const char shade_ascii[5] = {' ', '.', ':', '%', '#'};

static uint32_t
shade(int level, bool ascii)
{
    if (level < 0)
        return ' ';
    return ascii ? (uint32_t)shade_ascii[level] : shade_utf8[level];
}

/* Colour of a rank on the log2 scale of its layer: viridis over
 * log2(rank) / log2(full). */
static uint32_t
rank_color(double rank, double full)
{
    if (!(rank > 0) || !(full > 1))
        return rs_cmap_seq(rank > 0 ? 1 : 0);
    double f = log2(rank < 1 ? 1 : rank) / log2(full);
    return rs_cmap_seq(0.15 + 0.85 * f);
}

static double
layer_full(const struct rs_rankstrip *rk, int l)
{
    return rk->width != NULL ? (double)rk->width[l] : rk->full;
}

/* The column of the first bucket at or after step, or -1. */
static int
step_col(const struct rs_rankstrip *rk, double step, int ncol, int g)
{
    for (int k = 0; k < ncol; k++)
        if (rk->steps[k * g] >= step)
            return k;
    return -1;
}

/* Step labels at round steps (ui/scale.h ticks) and event markers under
 * the strip; markers win. */
static void
strip_axis(struct rs_canvas *cv, const struct rs_rankstrip *rk, int gx, int y,
           int ncol, int g, int end, const struct rs_ui_ctx *ctx)
{
    const struct rs_theme *th = rs_widget_theme(ctx);
    struct rs_style mk = rs_widget_style(th->marker, 0);
    char buf[32];
    if (rk->steps == NULL)
        return;
    int last = (ncol - 1) * g < rk->times ? (ncol - 1) * g : rk->times - 1;
    struct rs_scale sx = {rk->steps[0], rk->steps[last], false};
    if (!(sx.hi > sx.lo))
        sx.hi = sx.lo + 1;
    double ticks[16], step;
    int want = ncol / 7 > 2 ? ncol / 7 : 2;
    int nt = rs_scale_ticks(&sx, want, ticks, 16, &step);
    int next = gx;
    for (int i = 0; i < nt; i++) {
        int k = step_col(rk, ticks[i], ncol, g);
        if (k < 0 || gx + k < next)
            continue;
        rs_fmt_si(ticks[i], buf, sizeof buf);
        int w = rs_utf8_width(buf);
        if (gx + k + w > end)
            break;
        bool clash = false;
        for (int e = 0; e < rk->nevents && !clash; e++) {
            int ek = step_col(rk, rk->events[e].step, ncol, g);
            const char *lab = rk->events[e].label ? rk->events[e].label : "";
            int ew = 1 + rs_utf8_width(lab);
            clash = ek >= 0 && k <= ek + ew && ek <= k + w;
        }
        if (clash)
            continue;
        rs_canvas_text(cv, gx + k, y, buf, w, rs_widget_style(th->tick, 0));
        next = gx + k + w + 2;
    }
    for (int i = 0; i < rk->nevents; i++) {
        int k = step_col(rk, rk->events[i].step, ncol, g);
        if (k < 0)
            continue;
        rs_canvas_put(cv, gx + k, y, ctx->ascii ? '^' : 0x25b2, mk);
        if (rk->events[i].label != NULL)
            rs_canvas_text_fit(cv, gx + k + 1, y, rk->events[i].label,
                               end - gx - k - 1, mk);
    }
}

void
rs_rankstrip_draw(struct rs_canvas *cv, struct rs_rect r,
                  const struct rs_rankstrip *rk, const struct rs_ui_ctx *ctx)
{
    const struct rs_theme *th = rs_widget_theme(ctx);
    struct rs_rect in = rs_widget_panel(
        cv, r, rk->title ? rk->title : "feature rank", "srank", ctx);
    if (rk->rank == NULL || rk->layers <= 0 || rk->times <= 0) {
        rs_widget_empty(cv, in, NULL, ctx);
        return;
    }
    int lw = 0;
    char name[32];
    for (int l = 0; l < rk->layers; l++) {
        const char *s = rk->labels ? rk->labels[l] : NULL;
        snprintf(name, sizeof name, "L%d", l + 1);
        int w = rs_utf8_width(s ? s : name);
        lw = w > lw ? w : lw;
    }
    lw = (lw > 8 ? 8 : lw) + 1;
    int gx = in.x + lw, gw = in.w - lw;
    if (gw < 4 || in.h < 1) {
        rs_widget_empty(cv, in, "too small", ctx);
        return;
    }
    int extra = in.h - rk->layers; /* rows left for axis and legend */
    int shown = extra >= 0 ? rk->layers : in.h;
    int first = 0;
    if (rk->sel >= shown)
        first = rk->sel - shown + 1;
    int g = (rk->times + gw - 1) / gw, ncol = (rk->times + g - 1) / g;
    bool colour = ctx->color != RS_COLOR_MONO;
    for (int row = 0; row < shown; row++) {
        int l = first + row, y = in.y + row;
        const char *s = rk->labels ? rk->labels[l] : NULL;
        snprintf(name, sizeof name, "L%d", l + 1);
        bool sel = l == rk->sel;
        rs_canvas_text_fit(
            cv, in.x, y, s ? s : name, lw - 1,
            rs_widget_style(sel ? th->accent : th->tick,
                            sel ? RS_ATTR_BOLD | RS_ATTR_REVERSE : 0));
        double full = layer_full(rk, l);
        for (int k = 0; k < ncol; k++) {
            double sum = 0;
            int n = 0;
            for (int t = k * g; t < (k + 1) * g && t < rk->times; t++) {
                double v = rk->rank[(size_t)l * (size_t)rk->times + (size_t)t];
                if (!isnan(v)) {
                    sum += v;
                    n++;
                }
            }
            if (n == 0)
                continue;
            double v = sum / n;
            int lv = rs_rankstrip_level(v, full);
            uint32_t fg = colour ? rank_color(v, full) : RS_COLOR_DEFAULT;
            rs_canvas_put(cv, gx + k, y, shade(lv, ctx->ascii),
                          rs_widget_style(fg, 0));
        }
    }
    if (extra >= 1)
        strip_axis(cv, rk, gx, in.y + shown, ncol, g, in.x + in.w, ctx);
    if (extra < 2)
        return;
    /* legend in units of the widest layer: "64+ █ 16+ ▓ 4+ ▒ 1+ ░" */
    double full = 0;
    for (int l = 0; l < rk->layers; l++)
        full = layer_full(rk, l) > full ? layer_full(rk, l) : full;
    int x = in.x, y = in.y + shown + 1;
    static const double frac[4] = {0.5, 0.125, 1.0 / 32, 0};
    for (int i = 0; i < 4 && x < in.x + in.w; i++) {
        char num[32], txt[40];
        double v = frac[i] > 0 ? ceil(full * frac[i]) : 1;
        if (i < 3 && v <= 1 && full > 0)
            continue;
        rs_fmt_si(v, num, sizeof num);
        snprintf(txt, sizeof txt, "%s+ ", num);
        x += rs_canvas_text(cv, x, y, txt, in.x + in.w - x,
                            rs_widget_style(th->tick, 0));
        uint32_t fg = colour ? rank_color(v, full) : RS_COLOR_DEFAULT;
        for (int k = 0; k < 2; k++)
            rs_canvas_put(cv, x + k, y, shade(4 - i, ctx->ascii),
                          rs_widget_style(fg, 0));
        x += 4;
    }
}

/* ---- widgets ----------------------------------------------------------------
 */

struct spectrum_widget {
    struct rs_widget base;
    struct rs_spectrum sp;
};

struct rankstrip_widget {
    struct rs_widget base;
    struct rs_rankstrip rk;
};

static void
spectrum_widget_draw(struct rs_widget *w, struct rs_canvas *cv,
                     const struct rs_ui_ctx *ctx)
{
    rs_spectrum_draw(cv, w->r, &((struct spectrum_widget *)w)->sp, ctx);
}

static void
rankstrip_widget_draw(struct rs_widget *w, struct rs_canvas *cv,
                      const struct rs_ui_ctx *ctx)
{
    rs_rankstrip_draw(cv, w->r, &((struct rankstrip_widget *)w)->rk, ctx);
}

static unsigned
rankstrip_widget_key(struct rs_widget *w, int key)
{
    struct rs_rankstrip *rk = &((struct rankstrip_widget *)w)->rk;
    int sel = rk->sel;
    if (rk->layers <= 0)
        return 0;
    if (key == RS_KEY_UP || key == '[')
        sel = sel <= 0 ? 0 : sel - 1;
    else if (key == RS_KEY_DOWN || key == ']')
        sel = sel < 0 ? 0 : sel + 1 >= rk->layers ? rk->layers - 1 : sel + 1;
    else
        return 0;
    rk->sel = sel;
    return RS_UI_HANDLED | RS_UI_REDRAW;
}

static void
widget_free(struct rs_widget *w)
{
    free(w);
}

const struct rs_widget_class rs_spectrum_class = {
    .name = "spectrum",
    .draw = spectrum_widget_draw,
    .key = NULL,
    .free = widget_free,
};

const struct rs_widget_class rs_rankstrip_class = {
    .name = "rankstrip",
    .draw = rankstrip_widget_draw,
    .key = rankstrip_widget_key,
    .free = widget_free,
};

struct rs_widget *
rs_spectrum_widget_new(void)
{
    struct spectrum_widget *sw = rs_xcalloc(1, sizeof *sw);
    sw->base.cls = &rs_spectrum_class;
    sw->base.dirty = true;
    sw->sp.srank = -1;
    sw->sp.erank = NAN;
    return &sw->base;
}

struct rs_spectrum *
rs_spectrum_widget_data(struct rs_widget *w)
{
    RS_ASSERT(w->cls == &rs_spectrum_class);
    return &((struct spectrum_widget *)w)->sp;
}

struct rs_widget *
rs_rankstrip_widget_new(void)
{
    struct rankstrip_widget *rw = rs_xcalloc(1, sizeof *rw);
    rw->base.cls = &rs_rankstrip_class;
    rw->base.dirty = true;
    rw->rk.sel = -1;
    return &rw->base;
}

struct rs_rankstrip *
rs_rankstrip_widget_data(struct rs_widget *w)
{
    RS_ASSERT(w->cls == &rs_rankstrip_class);
    return &((struct rankstrip_widget *)w)->rk;
}
