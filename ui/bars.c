/* repscope - MIT licence, see COPYING.
 *
 * bars.c: the bar chart as small multiples (bars.h).
 *
 * Geometry: inside the panel, a left margin of ylw + 1 columns (the
 * scale's values), then nb bars of `slot` columns each (a bar of bw
 * columns and a gap), k values merged per bar; below the bands one row
 * of labels. Each band is a heading row (when it has a name) and ph rows
 * of bars; heights are counted in eighths of a cell from the zero row,
 * which is the band's bottom when the scale starts at 0. UI thread.
 */
#include "config.h"

#include "ui/bars.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "ui/fmt.h"

#define SLOT_MAX 8 /* columns per bar at most (wider bars read as blocks) */

struct geom {
    int nb, k;      /* bars drawn, values per bar */
    int slot, bw;   /* columns per bar, of them bar */
    int x0, ylw;    /* first bar's column, margin's value width */
    int shown;      /* bands drawn */
    int y0;         /* first band's row (rows left over go on top) */
    int bh, ph;     /* rows per band, of them bars */
    bool heading;   /* bands have a name row */
};

void
rs_bars_init(struct rs_bars *b)
{
    memset(b, 0, sizeof *b);
    b->vmin = b->vmax = NAN;
    b->sel = -1;
}

static int
ngroups(const struct rs_bars *b)
{
    return b->ngroups < RS_BARS_GROUPS_MAX ? b->ngroups : RS_BARS_GROUPS_MAX;
}

void
rs_bars_range(const struct rs_bars *b, double *lo, double *hi)
{
    double l = 0, h = 0;
    for (int g = 0; g < ngroups(b); g++)
        for (int i = 0; i < b->groups[g].n; i++) {
            double v = b->groups[g].v[i];
            if (!isfinite(v))
                continue;
            l = v < l ? v : l;
            h = v > h ? v : h;
        }
    if (isfinite(b->vmin))
        l = b->vmin;
    if (isfinite(b->vmax))
        h = b->vmax;
    if (!(h > l))
        h = l + 1;
    *lo = l;
    *hi = h;
}

/* The value of bar j of group g: the mean of its k values (NaN if none
 * is finite). */
static double
bar_value(const struct rs_bars_group *g, int j, int k)
{
    double sum = 0;
    int cnt = 0;
    for (int i = j * k; i < (j + 1) * k && i < g->n; i++)
        if (isfinite(g->v[i])) {
            sum += (double)g->v[i];
            cnt++;
        }
    return cnt > 0 ? sum / cnt : (double)NAN;
}

/* The label of bar j: the first merged value's label, else its 1-based
 * index. */
static const char *
bar_label(const struct rs_bars *b, int j, int k, char *buf, size_t n)
{
    int i = j * k;
    if (b->labels != NULL && i < b->nlabels && b->labels[i] != NULL)
        return b->labels[i];
    snprintf(buf, n, "%d", i + 1);
    return buf;
}

static void
geometry(const struct rs_bars *b, struct rs_rect in, double lo, double hi,
         struct geom *g)
{
    memset(g, 0, sizeof *g);
    int n = 0, ng = ngroups(b);
    for (int i = 0; i < ng; i++)
        n = b->groups[i].n > n ? b->groups[i].n : n;
    char buf[32];
    int wl = rs_utf8_width(rs_fmt_si(lo, buf, sizeof buf));
    int wh = rs_utf8_width(rs_fmt_si(hi, buf, sizeof buf));
    g->ylw = wl > wh ? wl : wh;
    int pw = in.w - g->ylw - 1;
    if (n == 0 || pw < 1)
        return;
    g->k = (n + pw - 1) / pw;
    g->nb = (n + g->k - 1) / g->k;
    g->slot = pw / g->nb;
    g->slot = g->slot > SLOT_MAX ? SLOT_MAX : g->slot;
    g->bw = g->slot >= 2 ? g->slot - 1 : 1;
    g->x0 = in.x + g->ylw + 1;
    g->heading = ng > 1 || (ng == 1 && b->groups[0].name != NULL);
    int rows = in.h - 1; /* the labels' row */
    int need = g->heading ? 2 : 1;
    g->shown = rows / need < ng ? rows / need : ng;
    if (g->shown > 0) {
        g->bh = rows / g->shown;
        g->ph = g->bh - (g->heading ? 1 : 0);
        g->y0 = in.y + rows - g->bh * g->shown;
    }
}

/* The partial cell of a bar e eighths high (1..7) above its base, or of
 * a bar hanging down from the top of a cell (down). */
static uint32_t
partial(int e, bool down, bool ascii)
{
    if (ascii)
        return e >= 6 ? '#' : e >= 3 ? '=' : '_';
    if (down)
        return e >= 4 ? 0x2580 : 0x2594; /* ▀ ▔ */
    return 0x2580 + (uint32_t)e; /* ▁ .. ▇ */
}

/* Bar of value v in band rows [top, top + ph) at columns x .. x + bw - 1. */
static void
draw_bar(struct rs_canvas *cv, int x, int bw, int top, int ph, double v,
         double lo, double hi, struct rs_style st, bool ascii)
{
    if (!isfinite(v))
        return;
    /* the zero row boundary, in eighths from the band's bottom */
    int z = (int)lround((0 - lo) / (hi - lo) * ph) * 8;
    long e = lround(fabs(v) / (hi - lo) * ph * 8);
    if (e == 0 && v != 0)
        e = 1; /* only a zero is blank */
    int zmax = ph * 8;
    if (v > 0 && e > zmax - z)
        e = zmax - z;
    if (v < 0 && e > z)
        e = z;
    uint32_t full = ascii ? '#' : 0x2588;
    for (long d = 0; d < e; d += 8) {
        int rem = e - d >= 8 ? 8 : (int)(e - d);
        int cellrow = v > 0 ? (z + (int)d) / 8 : (z - (int)d) / 8 - 1;
        int y = top + ph - 1 - cellrow;
        uint32_t gl = rem == 8 ? full : partial(rem, v < 0, ascii);
        for (int i = 0; i < bw; i++)
            rs_canvas_put(cv, x + i, y, gl, st);
    }
}

static void
render(struct rs_canvas *cv, struct rs_rect r, const struct rs_bars *b,
       const struct rs_ui_ctx *ctx, struct geom *g)
{
    const struct rs_theme *th = rs_widget_theme(ctx);
    struct rs_rect in0 = {r.x + 1, r.y + 1, r.w - 2, r.h - 2};
    double lo, hi;
    rs_bars_range(b, &lo, &hi);
    geometry(b, in0, lo, hi, g);
    int ng = ngroups(b);
    char info[32] = "", num[32];
    int len = 0;
    if (g->k > 1)
        len += snprintf(info, sizeof info, "\u00f7%d", g->k);
    if (g->shown < ng)
        snprintf(info + len, sizeof info - (size_t)len, "%s+%d",
                 len > 0 ? " " : "", ng - g->shown);
    struct rs_rect in = rs_widget_panel(cv, r, b->title, info, ctx);
    if (g->nb == 0 || g->shown == 0 || g->ph < 1) {
        rs_widget_empty(cv, in, ng > 0 && g->nb > 0 ? "too small" : NULL,
                        ctx);
        return;
    }
    int sel = b->sel >= 0 && b->sel < g->nb ? b->sel : -1;
    struct rs_style tick = rs_widget_style(th->tick, 0);
    bool mono = ctx->color == RS_COLOR_MONO;
    for (int gi = 0; gi < g->shown; gi++) {
        const struct rs_bars_group *grp = &b->groups[gi];
        int top = g->y0 + gi * g->bh;
        uint32_t col = mono ? RS_COLOR_DEFAULT : rs_theme_series(th, gi);
        if (g->heading) {
            int w = rs_canvas_text_fit(cv, g->x0, top,
                                       grp->name ? grp->name : "", in.w - g->ylw - 1,
                                       rs_widget_style(col, RS_ATTR_BOLD));
            if (sel >= 0) {
                rs_fmt_num(bar_value(grp, sel, g->k), num, sizeof num);
                rs_canvas_text(cv, g->x0 + w + 1, top, num,
                               in.x + in.w - (g->x0 + w + 1),
                               rs_widget_style(th->accent, RS_ATTR_BOLD));
            }
            top++;
        }
        /* the scale: its top value on the first bar row, its bottom on
         * the last */
        rs_fmt_si(hi, num, sizeof num);
        rs_canvas_text(cv, in.x + g->ylw - rs_utf8_width(num), top, num,
                       g->ylw, tick);
        if (g->ph >= 2) {
            rs_fmt_si(lo, num, sizeof num);
            rs_canvas_text(cv, in.x + g->ylw - rs_utf8_width(num),
                           top + g->ph - 1, num, g->ylw, tick);
        }
        for (int j = 0; j < g->nb; j++) {
            struct rs_style st =
                j == sel ? rs_widget_style(th->accent, RS_ATTR_BOLD)
                         : rs_widget_style(col, 0);
            draw_bar(cv, g->x0 + j * g->slot, g->bw, top, g->ph,
                     bar_value(grp, j, g->k), lo, hi, st, ctx->ascii);
        }
    }
    /* labels under the bars: every step-th, centred, never colliding */
    int ly = in.y + in.h - 1, wmax = 1;
    char buf[32];
    for (int j = 0; j < g->nb; j++) {
        int w = rs_utf8_width(bar_label(b, j, g->k, buf, sizeof buf));
        wmax = w > wmax ? w : wmax;
    }
    int step = (wmax + 1 + g->slot - 1) / g->slot;
    step = step < 1 ? 1 : step;
    int prev_end = in.x - 1, end = in.x + in.w;
    for (int j = 0; j < g->nb; j++) {
        if (j % step != 0 && j != sel)
            continue;
        const char *lab = bar_label(b, j, g->k, buf, sizeof buf);
        int w = rs_utf8_width(lab);
        int sx = g->x0 + j * g->slot + (g->bw - w) / 2;
        sx = sx + w > end ? end - w : sx;
        sx = sx < in.x ? in.x : sx;
        if (sx <= prev_end && j != sel)
            continue;
        rs_canvas_text_fit(cv, sx, ly, lab, end - sx,
                           j == sel ? rs_widget_style(th->accent,
                                                      RS_ATTR_REVERSE)
                                    : tick);
        prev_end = sx + w;
    }
}

void
rs_bars_draw(struct rs_canvas *cv, struct rs_rect r, const struct rs_bars *b,
             const struct rs_ui_ctx *ctx)
{
    struct geom g;
    render(cv, r, b, ctx, &g);
}

/* ---- the widget ---------------------------------------------------------- */

struct bars_widget {
    struct rs_widget base;
    struct rs_bars b;
    int nb; /* bars of the last draw */
};

static void
bars_widget_draw(struct rs_widget *w, struct rs_canvas *cv,
                 const struct rs_ui_ctx *ctx)
{
    struct bars_widget *bw = (struct bars_widget *)w;
    struct geom g;
    render(cv, w->r, &bw->b, ctx, &g);
    bw->nb = g.nb;
}

static unsigned
bars_widget_key(struct rs_widget *w, int key)
{
    struct bars_widget *bw = (struct bars_widget *)w;
    struct rs_bars *b = &bw->b;
    const unsigned done = RS_UI_HANDLED | RS_UI_REDRAW;
    int n = bw->nb;
    switch (key) {
    case RS_KEY_ESC:
        if (b->sel < 0)
            return 0;
        b->sel = -1;
        return done;
    case RS_KEY_LEFT:
    case RS_KEY_RIGHT:
    case RS_KEY_HOME:
    case RS_KEY_END:
        if (n <= 0)
            return 0;
        if (key == RS_KEY_END)
            b->sel = n - 1;
        else if (b->sel < 0 || b->sel >= n || key == RS_KEY_HOME)
            b->sel = 0;
        else if (key == RS_KEY_LEFT)
            b->sel = b->sel > 0 ? b->sel - 1 : 0;
        else
            b->sel = b->sel + 1 < n ? b->sel + 1 : n - 1;
        return done;
    default:
        return 0;
    }
}

static void
bars_widget_free(struct rs_widget *w)
{
    free(w);
}

const struct rs_widget_class rs_bars_class = {
    .name = "bars",
    .draw = bars_widget_draw,
    .key = bars_widget_key,
    .free = bars_widget_free,
};

struct rs_widget *
rs_bars_widget_new(void)
{
    struct bars_widget *bw = rs_xcalloc(1, sizeof *bw);
    bw->base.cls = &rs_bars_class;
    bw->base.dirty = true;
    rs_bars_init(&bw->b);
    return &bw->base;
}

struct rs_bars *
rs_bars_widget_data(struct rs_widget *w)
{
    RS_ASSERT(w->cls == &rs_bars_class);
    return &((struct bars_widget *)w)->b;
}
