/* repscope - MIT licence, see COPYING.
 *
 * heatmap.c: the matrix heatmap (heatmap.h).
 *
 * Geometry: the grid sits right of the row labels and below the column
 * header; each displayed value is the mean of an fy x fx block of the
 * matrix (1 x 1 unless the matrix is larger than the grid) and covers
 * sx columns by sy pixel rows (half rows in half-block mode, whole rows
 * otherwise). UI thread.
 */
#include "config.h"

#include "ui/heatmap.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "ui/colormap.h"
#include "ui/fmt.h"

struct grid {
    bool half;      /* two pixel rows per cell */
    int gx, gy;     /* top-left cell of the grid */
    int fx, fy;     /* matrix block per displayed value */
    int dc, dr;     /* displayed columns and rows */
    int sx, sy;     /* columns and pixel rows per displayed value */
    int lw, hd, lg; /* label width, header and legend rows */
};

void
rs_heatmap_init(struct rs_heatmap *h)
{
    memset(h, 0, sizeof *h);
    h->vmin = h->vmax = NAN;
    h->sel_row = h->sel_col = -1;
}

bool
rs_heatmap_range(const struct rs_heatmap *h, double *lo, double *hi)
{
    double mn = INFINITY, mx = -INFINITY;
    size_t n = (size_t)h->rows * (size_t)h->cols;
    for (size_t i = 0; h->data != NULL && i < n; i++) {
        double v = h->data[i];
        if (!isfinite(v))
            continue;
        mn = v < mn ? v : mn;
        mx = v > mx ? v : mx;
    }
    bool any = mn <= mx;
    if (!any) {
        mn = h->diverging ? -1 : 0;
        mx = 1;
    }
    if (!isnan(h->vmin))
        mn = h->vmin;
    if (!isnan(h->vmax))
        mx = h->vmax;
    if (h->diverging) {
        double m = fabs(mn) > fabs(mx) ? fabs(mn) : fabs(mx);
        m = m > 0 ? m : 1;
        mn = -m;
        mx = m;
    } else if (!(mx > mn)) {
        mx = mn + (mn != 0 ? fabs(mn) * 0.1 : 1);
    }
    *lo = mn;
    *hi = mx;
    return any;
}

static double
frac(const struct rs_heatmap *h, double lo, double hi, double v)
{
    if (h->diverging)
        return v / hi; /* range is symmetric */
    return (v - lo) / (hi - lo);
}

uint32_t
rs_heatmap_color(const struct rs_heatmap *h, double lo, double hi, double v)
{
    if (isnan(v))
        return 0x808080;
    double t = frac(h, lo, hi, v);
    return h->diverging ? rs_cmap_div(t) : rs_cmap_seq(t);
}

static uint32_t
glyph_of(const struct rs_heatmap *h, double lo, double hi, double v, bool ascii)
{
    if (isnan(v))
        return '?';
    double t = frac(h, lo, hi, v);
    if (h->diverging)
        return rs_cmap_glyph_signed(t, ascii);
    /* the lowest bin stays visible: blank means "no value" */
    uint32_t g = rs_cmap_glyph(t, ascii);
    return g == ' ' ? (ascii ? '.' : 0x00b7) : g;
}

/* Mean of the finite values of block (i, j); NaN if none. */
static double
block_mean(const struct rs_heatmap *h, const struct grid *g, int i, int j)
{
    double sum = 0;
    int n = 0;
    for (int r = i * g->fy; r < (i + 1) * g->fy && r < h->rows; r++)
        for (int c = j * g->fx; c < (j + 1) * g->fx && c < h->cols; c++) {
            double v = h->data[(size_t)r * (size_t)h->cols + (size_t)c];
            if (isfinite(v)) {
                sum += v;
                n++;
            }
        }
    return n > 0 ? sum / n : (double)NAN;
}

static int
digits(int v)
{
    int d = 1;
    while (v >= 10) {
        v /= 10;
        d++;
    }
    return d;
}

/* Smallest of 1, 2, 5, 10, 20, 50, ... that is >= x. */
static int
nice_step(double x)
{
    for (int base = 1; base < 100000000; base *= 10)
        for (int m = 1; m <= 5; m += m == 1 ? 1 : 3)
            if (m * base >= x)
                return m * base;
    return 1000000000;
}

static int
max_col_label(const struct rs_heatmap *h)
{
    int w = 0;
    for (int j = 0; h->col_labels != NULL && j < h->cols; j++) {
        int lw = rs_utf8_width(h->col_labels[j]);
        w = lw > w ? lw : w;
    }
    return w;
}

static void
layout_rows(const struct rs_heatmap *h, struct rs_rect in, bool half, int hd,
            struct grid *g)
{
    g->half = half;
    g->lg = in.h >= 4 ? 1 : 0;
    g->hd = hd;
    int gh = in.h - g->lg - g->hd;
    if (h->row_labels != NULL) {
        int w = 0;
        for (int i = 0; i < h->rows; i++) {
            int lw = rs_utf8_width(h->row_labels[i]);
            w = lw > w ? lw : w;
        }
        int cap = in.w / 4 < 10 ? in.w / 4 : 10;
        g->lw = (w < cap ? w : cap) + 1;
    } else {
        g->lw = digits(h->rows > 0 ? h->rows - 1 : 0) + 1;
    }
    int gw = in.w - g->lw;
    gw = gw < 1 ? 1 : gw;
    gh = gh < 1 ? 1 : gh;
    int vres = half ? 2 * gh : gh;
    g->fx = (h->cols + gw - 1) / gw;
    g->fy = (h->rows + vres - 1) / vres;
    g->fx = g->fx < 1 ? 1 : g->fx;
    g->fy = g->fy < 1 ? 1 : g->fy;
    g->dc = (h->cols + g->fx - 1) / g->fx;
    g->dr = (h->rows + g->fy - 1) / g->fy;
    /* whole cells per value, each axis on its own, stretched at most 2:1
     * (a pixel is square in half-block mode, 1:2 tall otherwise) */
    int sx0 = gw / g->dc, sy0 = vres / g->dr;
    sx0 = sx0 < 1 ? 1 : sx0;
    sy0 = sy0 < 1 ? 1 : sy0;
    int sq = half ? 1 : 2; /* columns per pixel row for a square */
    g->sx = sx0 < 2 * sq * sy0 ? sx0 : 2 * sq * sy0;
    g->sy = sy0 < 2 * g->sx / sq ? sy0 : 2 * g->sx / sq;
    g->sy = g->sy < 1 ? 1 : g->sy;
    if (h->col_labels != NULL && g->fx == 1) {
        /* room for the column labels if the grid has it */
        int lw = max_col_label(h);
        if (lw + 1 > g->sx)
            g->sx = lw + 1 < sx0 ? lw + 1 : sx0;
    }
    if (half && h->row_labels != NULL && g->fy == 1 && g->sy % 2 == 1 &&
        (g->sy + 1) * g->dr <= vres)
        g->sy++; /* whole cell rows per matrix row: each gets its label */
    g->gx = in.x + g->lw;
    g->gy = in.y + g->hd;
}

/* One header row, or two staggered ones (odd columns on the second)
 * when the column labels are wider than a cell and there is room. */
static void
layout(const struct rs_heatmap *h, struct rs_rect in, bool half, struct grid *g)
{
    layout_rows(h, in, half, in.h >= 6 ? 1 : 0, g);
    if (g->hd == 1 && h->col_labels != NULL && g->fx == 1 && in.h >= 9 &&
        max_col_label(h) > g->sx - 1)
        layout_rows(h, in, half, 2, g);
}

static void
draw_cells(struct rs_canvas *cv, const struct rs_heatmap *h,
           const struct grid *g, double lo, double hi,
           const struct rs_ui_ctx *ctx)
{
    bool colour = ctx->color != RS_COLOR_MONO;
    for (int i = 0; i < g->dr; i++)
        for (int j = 0; j < g->dc; j++) {
            double v = block_mean(h, g, i, j);
            uint32_t col = rs_heatmap_color(h, lo, hi, v);
            bool sel = h->sel_row >= 0 && h->sel_row / g->fy == i &&
                       h->sel_col >= 0 && h->sel_col / g->fx == j;
            for (int py = i * g->sy; py < (i + 1) * g->sy; py++)
                for (int px = j * g->sx; px < (j + 1) * g->sx; px++) {
                    if (g->half) {
                        rs_canvas_halfblock(cv, g->gx + px, 2 * g->gy + py,
                                            col);
                        continue;
                    }
                    struct rs_style st =
                        rs_widget_style(colour ? col : RS_COLOR_DEFAULT,
                                        sel ? RS_ATTR_REVERSE : 0);
                    rs_canvas_put(cv, g->gx + px, g->gy + py,
                                  glyph_of(h, lo, hi, v, ctx->ascii), st);
                }
        }
}

static void
draw_labels(struct rs_canvas *cv, const struct rs_heatmap *h,
            const struct grid *g, struct rs_rect in,
            const struct rs_ui_ctx *ctx)
{
    const struct rs_theme *th = rs_widget_theme(ctx);
    struct rs_style lab = rs_widget_style(th->tick, 0);
    struct rs_style hil = rs_widget_style(th->accent, RS_ATTR_BOLD);
    int per_line = g->half ? 2 : 1; /* pixel rows per cell row */
    /* every label when named, else an index every other line or so */
    int every = h->row_labels != NULL ? 1 : nice_step(2.0 * per_line / g->sy);
    int last_line = -1;
    char buf[32];
    for (int i = 0; i < g->dr; i++) {
        int r0 = i * g->fy;
        int line = g->gy + i * g->sy / per_line;
        bool sel = h->sel_row >= 0 && h->sel_row / g->fy == i;
        if ((line == last_line || i % every != 0) && !sel)
            continue;
        last_line = line;
        const char *s = h->row_labels != NULL ? h->row_labels[r0] : NULL;
        if (s == NULL) {
            snprintf(buf, sizeof buf, "%d", r0);
            s = buf;
        }
        int w = rs_utf8_width(s);
        int maxw = g->lw - 1;
        int x =
            h->row_labels != NULL ? in.x : in.x + maxw - (w < maxw ? w : maxw);
        rs_canvas_text_fit(cv, x, line, s, maxw, sel ? hil : lab);
    }
    if (!g->hd)
        return;
    /* column header: the labels when cells are wide enough, else ticks */
    int rows = g->hd; /* 2: staggered */
    bool labels = h->col_labels != NULL && g->fx == 1 && g->sx * rows >= 3;
    /* one-glyph labels (tokens) in one-glyph cells: shown side by side,
     * so the header reads as the sequence itself */
    bool tight = !labels && h->col_labels != NULL && g->fx == 1 &&
                 max_col_label(h) <= g->sx * rows;
    labels = labels || tight;
    int step = labels ? 1 : nice_step((digits(h->cols) + 1.0) / g->sx * g->fx);
    int next_free[2] = {g->gx, g->gx};
    for (int j = 0; j < g->dc; j++) {
        int c0 = j * g->fx;
        bool sel = h->sel_col >= 0 && h->sel_col / g->fx == j;
        if (c0 % step != 0 && !sel)
            continue;
        int x = g->gx + j * g->sx;
        int line = labels ? j % rows : 0;
        if (x < next_free[line])
            continue;
        const char *s = labels ? h->col_labels[c0] : NULL;
        if (s == NULL) {
            snprintf(buf, sizeof buf, "%d", c0);
            s = buf;
        }
        int room = in.x + in.w - x;
        int cell = g->sx * rows - (tight ? 0 : 1);
        if (labels && room > cell)
            room = cell;
        int w =
            rs_canvas_text_fit(cv, x, in.y + line, s, room, sel ? hil : lab);
        next_free[line] = x + w + (tight ? 0 : 1);
    }
}

static void
draw_legend(struct rs_canvas *cv, const struct rs_heatmap *h, struct rs_rect in,
            double lo, double hi, const struct rs_ui_ctx *ctx)
{
    const struct rs_theme *th = rs_widget_theme(ctx);
    struct rs_style lab = rs_widget_style(th->tick, 0);
    int y = in.y + in.h - 1;
    char a[32], b[32];
    rs_fmt_num(lo, a, sizeof a);
    rs_fmt_num(hi, b, sizeof b);
    bool sel = h->sel_row >= 0 && h->sel_col >= 0;
    int rw = in.w / 3 < (sel ? 10 : 16) ? in.w / 3 : (sel ? 10 : 16);
    int x = in.x;
    x += rs_canvas_text(cv, x, y, a, -1, lab) + 1;
    bool colour = ctx->color != RS_COLOR_MONO;
    for (int i = 0; i < rw; i++) {
        double v = lo + (hi - lo) * (rw > 1 ? (double)i / (rw - 1) : 1.0);
        uint32_t g = colour ? (ctx->ascii ? '#' : 0x2588)
                            : glyph_of(h, lo, hi, v, ctx->ascii);
        uint32_t fg =
            colour ? rs_heatmap_color(h, lo, hi, v) : RS_COLOR_DEFAULT;
        rs_canvas_put(cv, x + i, y, g, rs_widget_style(fg, 0));
    }
    x += rw + 1;
    x += rs_canvas_text(cv, x, y, b, -1, lab);
    if (h->sel_row < 0 || h->sel_col < 0 || h->sel_row >= h->rows ||
        h->sel_col >= h->cols)
        return;
    char rd[160], num[32];
    const char *rl = h->row_labels ? h->row_labels[h->sel_row] : NULL;
    const char *cl = h->col_labels ? h->col_labels[h->sel_col] : NULL;
    char rb[16], cb[16];
    snprintf(rb, sizeof rb, "%d", h->sel_row);
    snprintf(cb, sizeof cb, "%d", h->sel_col);
    rs_fmt_num(
        h->data[(size_t)h->sel_row * (size_t)h->cols + (size_t)h->sel_col], num,
        sizeof num);
    /* labels when there are some, else "row 3 · col 5" */
    snprintf(rd, sizeof rd, "%s%s%s %s %s%s%s = %s",
             rl ? "" : (h->row_name ? h->row_name : "row"), rl ? "" : " ",
             rl ? rl : rb, ctx->ascii ? "." : "\u00b7",
             cl ? "" : (h->col_name ? h->col_name : "col"), cl ? "" : " ",
             cl ? cl : cb, num);
    int room = in.x + in.w - (x + 2);
    if (room > 4)
        rs_canvas_text_fit(cv, x + 2, y, rd, room,
                           rs_widget_style(th->accent, 0));
}

void
rs_heatmap_draw(struct rs_canvas *cv, struct rs_rect r,
                const struct rs_heatmap *h, const struct rs_ui_ctx *ctx)
{
    struct rs_rect in = {r.x + 1, r.y + 1, r.w - 2, r.h - 2};
    bool half = !ctx->ascii && ctx->color != RS_COLOR_MONO;
    struct grid g = {0};
    char info[64] = "";
    bool ok =
        h->data != NULL && h->rows > 0 && h->cols > 0 && in.w >= 8 && in.h >= 2;
    if (ok) {
        layout(h, in, half, &g);
        char x[8];
        snprintf(x, sizeof x, "%s", ctx->ascii ? "x" : "\u00d7");
        int n = snprintf(info, sizeof info, "%d%s%d", h->rows, x, h->cols);
        if (g.fx > 1 || g.fy > 1)
            snprintf(info + n, sizeof info - (size_t)n, " %s%d",
                     ctx->ascii ? "/" : "\u00f7", g.fx > g.fy ? g.fx : g.fy);
    }
    in = rs_widget_panel(cv, r, h->title, info, ctx);
    if (!ok) {
        rs_widget_empty(cv, in, h->data ? "too small" : NULL, ctx);
        return;
    }
    double lo, hi;
    rs_heatmap_range(h, &lo, &hi);
    draw_cells(cv, h, &g, lo, hi, ctx);
    draw_labels(cv, h, &g, in, ctx);
    if (g.lg)
        draw_legend(cv, h, in, lo, hi, ctx);
}

/* ---- the widget ------------------------------------------------------------
 */

struct heatmap_widget {
    struct rs_widget base;
    struct rs_heatmap h;
};

static void
heatmap_widget_draw(struct rs_widget *w, struct rs_canvas *cv,
                    const struct rs_ui_ctx *ctx)
{
    rs_heatmap_draw(cv, w->r, &((struct heatmap_widget *)w)->h, ctx);
}

static unsigned
heatmap_widget_key(struct rs_widget *w, int key)
{
    struct rs_heatmap *h = &((struct heatmap_widget *)w)->h;
    if (h->rows <= 0 || h->cols <= 0)
        return 0;
    if (key == RS_KEY_ESC) {
        if (h->sel_row < 0)
            return 0;
        h->sel_row = h->sel_col = -1;
        return RS_UI_HANDLED | RS_UI_REDRAW;
    }
    int r = h->sel_row < 0 ? 0 : h->sel_row;
    int c = h->sel_col < 0 ? 0 : h->sel_col;
    bool fresh = h->sel_row < 0;
    switch (key) {
    case RS_KEY_UP:
        r -= !fresh;
        break;
    case RS_KEY_DOWN:
        r += !fresh;
        break;
    case RS_KEY_LEFT:
        c -= !fresh;
        break;
    case RS_KEY_RIGHT:
        c += !fresh;
        break;
    case RS_KEY_HOME:
        c = 0;
        break;
    case RS_KEY_END:
        c = h->cols - 1;
        break;
    default:
        return 0;
    }
    h->sel_row = r < 0 ? 0 : r >= h->rows ? h->rows - 1 : r;
    h->sel_col = c < 0 ? 0 : c >= h->cols ? h->cols - 1 : c;
    return RS_UI_HANDLED | RS_UI_REDRAW;
}

static void
heatmap_widget_free(struct rs_widget *w)
{
    free(w);
}

const struct rs_widget_class rs_heatmap_class = {
    .name = "heatmap",
    .draw = heatmap_widget_draw,
    .key = heatmap_widget_key,
    .free = heatmap_widget_free,
};

struct rs_widget *
rs_heatmap_widget_new(void)
{
    struct heatmap_widget *hw = rs_xcalloc(1, sizeof *hw);
    hw->base.cls = &rs_heatmap_class;
    hw->base.dirty = true;
    rs_heatmap_init(&hw->h);
    return &hw->base;
}

struct rs_heatmap *
rs_heatmap_widget_data(struct rs_widget *w)
{
    RS_ASSERT(w->cls == &rs_heatmap_class);
    return &((struct heatmap_widget *)w)->h;
}
