/* repscope - MIT licence, see COPYING.
 *
 * chart.c: the braille line chart (chart.h).
 *
 * Drawing order inside the plot (later layers win a cell's colour):
 * band tints (true colour) and envelope tints (256 and true colour: cell
 * backgrounds), event and cursor rules in blank cells, raw lines, EMA
 * lines, then in the cells still blank the bands' dots or shade and the
 * envelopes' shade (the other colour modes), then threshold labels in
 * blank cells. Data are
 * first binned per dot column (count, min, max, sum of means, last EMA),
 * which both decimates a history wider than the screen and merges the
 * bus's own buckets; a column holding more than one point gets the
 * envelope where its spread reaches beyond the line. The canvas clip is
 * narrowed to the plot while dots are drawn, so lines never touch the
 * axes. The arithmetic shared with svg.c is in chart_data.c, the legend
 * in chart_legend.c, the widget in chart_widget.c. UI thread.
 */
#include "config.h"

#include "ui/chart.h"
#include "ui/chart_impl.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "ui/colormap.h"
#include "ui/fmt.h"

#define MAX_TICKS 24

/* ---- drawing --------------------------------------------------------------
 */

/* Dash patterns by series for monochrome: solid, dashed, dotted, dash-dot. */
static bool
pattern_on(int pat, int px)
{
    switch (pat % 4) {
    case 1:
        return px % 6 < 4;
    case 2:
        return px % 4 < 2;
    case 3:
        return px % 8 < 4 || px % 8 == 6;
    default:
        return true;
    }
}

static void
dot(struct rs_canvas *cv, const struct rs_chart_plot *p, int px, int py,
    uint32_t fg, int pat)
{
    if (px < 0 || py < 0 || px >= p->W || py >= p->H || !pattern_on(pat, px))
        return;
    rs_canvas_braille(cv, p->x * 2 + px, p->y * 4 + py, fg);
}

static void
line(struct rs_canvas *cv, const struct rs_chart_plot *p, int x0, int y0,
     int x1, int y1, uint32_t fg, int pat)
{
    int dx = abs(x1 - x0), sx = x0 < x1 ? 1 : -1;
    int dy = -abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    for (;;) {
        dot(cv, p, x0, y0, fg, pat);
        if (x0 == x1 && y0 == y1)
            break;
        int e2 = 2 * err;
        if (e2 >= dy) {
            err += dy;
            x0 += sx;
        }
        if (e2 <= dx) {
            err += dx;
            y0 += sy;
        }
    }
}

uint32_t
rs_chart_series_color(const struct rs_chart *c, int i,
                      const struct rs_theme *th)
{
    uint32_t col = c->series[i].color;
    return col == RS_COLOR_DEFAULT ? rs_theme_series(th, i) : col;
}

bool
rs_chart_tinted(const struct rs_ui_ctx *ctx)
{
    return ctx->color == RS_COLOR_256 || ctx->color == RS_COLOR_TRUE;
}

uint32_t
rs_chart_tint_of(uint32_t col)
{
    return rs_rgb_mix(col, 0x000000, 0.8);
}

/* The dot rows the mean line covers in each cell column (a segment
 * between two data columns counts for both ends); top > bottom: none. */
static void
line_cover(const struct rs_chart_plot *p, const struct rs_chart_bins *b,
           int *top, int *bot)
{
    for (int cx = 0; cx < p->w; cx++) {
        top[cx] = INT_MAX;
        bot[cx] = INT_MIN;
    }
    int lx = -1, ly = 0;
    for (int px = 0; px < p->W; px++) {
        if (b->cnt[px] == 0)
            continue;
        int py = rs_chart_dot_y(p, b->sum[px] / b->cnt[px]);
        if (py == INT_MIN) {
            lx = -1;
            continue;
        }
        int y0 = lx >= 0 && ly < py ? ly : py,
            y1 = lx >= 0 && ly > py ? ly : py;
        int c0 = (lx >= 0 ? lx : px) / 2, c1 = px / 2;
        for (int cx = c0; cx <= c1; cx++) {
            top[cx] = y0 < top[cx] ? y0 : top[cx];
            bot[cx] = y1 > bot[cx] ? y1 : bot[cx];
        }
        lx = px;
        ly = py;
    }
}

/* The min..max envelope of the columns holding several steps, where it
 * reaches at least 3 dots beyond what the line itself covers (a trend
 * inside a column is not spread): a tinted background in 256/true colour
 * (drawn before the lines), else a light shade in the cells the lines
 * left blank (drawn after them). Returns whether it drew anything. */
static bool
draw_envelope(struct rs_canvas *cv, const struct rs_chart_plot *p,
              const struct rs_chart_bins *b, uint32_t col,
              const struct rs_ui_ctx *ctx)
{
    bool tint = rs_chart_tinted(ctx), drew = false;
    int *top = rs_xmalloc((size_t)p->w * sizeof *top);
    int *bot = rs_xmalloc((size_t)p->w * sizeof *bot);
    line_cover(p, b, top, bot);
    for (int cx = 0; cx < p->w; cx++) {
        float lo = INFINITY, hi = -INFINITY;
        for (int px = 2 * cx; px < 2 * cx + 2 && px < p->W; px++) {
            if (b->cnt[px] <= 1)
                continue;
            lo = b->lo[px] < lo ? b->lo[px] : lo;
            hi = b->hi[px] > hi ? b->hi[px] : hi;
        }
        if (!(hi >= lo))
            continue;
        int y0 = rs_chart_dot_y(p, hi), y1 = rs_chart_dot_y(p, lo);
        if (y0 == INT_MIN || y1 == INT_MIN)
            continue;
        y0 = y0 < 0 ? 0 : y0;
        y1 = y1 >= p->H ? p->H - 1 : y1;
        int excess =
            top[cx] > bot[cx]
                ? y1 - y0
                : (top[cx] - y0 > y1 - bot[cx] ? top[cx] - y0 : y1 - bot[cx]);
        if (excess < 3)
            continue;
        drew = true;
        if (tint) {
            rs_canvas_fill(
                cv,
                (struct rs_rect){p->x + cx, p->y + y0 / 4, 1,
                                 y1 / 4 - y0 / 4 + 1},
                ' ',
                (struct rs_style){RS_COLOR_DEFAULT, rs_chart_tint_of(col), 0});
            continue;
        }
        for (int y = p->y + y0 / 4; y <= p->y + y1 / 4; y++) {
            const struct rs_cell *c = rs_canvas_cell(cv, p->x + cx, y);
            if (c != NULL && c->glyph == ' ')
                rs_canvas_put(cv, p->x + cx, y, ctx->ascii ? ':' : 0x2591,
                              rs_widget_style(col, RS_ATTR_DIM));
        }
    }
    free(top);
    free(bot);
    return drew;
}

/* ---- lines and marks -----------------------------------------------------
 */

static void
draw_line(struct rs_canvas *cv, const struct rs_chart_plot *p,
          const struct rs_chart_bins *b, bool use_ema, uint32_t col, int pat)
{
    int lx = INT_MIN, ly = INT_MIN;
    for (int px = 0; px < p->W; px++) {
        if (b->cnt[px] == 0)
            continue;
        double v = use_ema ? b->ema[px] : b->sum[px] / b->cnt[px];
        int py = rs_chart_dot_y(p, v);
        if (py == INT_MIN) {
            lx = INT_MIN;
            continue;
        }
        if (lx == INT_MIN)
            dot(cv, p, px, py, col, pat);
        else
            line(cv, p, lx, ly, px, py, col, pat);
        lx = px;
        ly = py;
    }
}

/* A vertical rule in the blank cells of plot column cx. */
static void
vrule(struct rs_canvas *cv, const struct rs_chart_plot *p, int cx,
      uint32_t glyph, uint32_t fg)
{
    for (int y = p->y; y < p->y + p->h; y++) {
        const struct rs_cell *cell = rs_canvas_cell(cv, p->x + cx, y);
        if (cell != NULL && cell->glyph == ' ')
            rs_canvas_put(cv, p->x + cx, y, glyph,
                          (struct rs_style){fg, cell->bg, 0});
    }
}

static bool
blank_run(const struct rs_canvas *cv, int x, int y, int w,
          const struct rs_chart_plot *p)
{
    if (x < p->x || x + w > p->x + p->w || y < p->y || y >= p->y + p->h)
        return false;
    for (int i = 0; i < w; i++) {
        const struct rs_cell *c = rs_canvas_cell(cv, x + i, y);
        if (c == NULL || c->glyph != ' ')
            return false;
    }
    return true;
}

/* "◂50% 4.1k" right of the crossing, or "50% 4.1k▸" left of it, on the
 * row of the threshold or a neighbour, wherever the cells are blank. */
static void
draw_threshold(struct rs_canvas *cv, const struct rs_chart_plot *p,
               const struct rs_chart *c, const struct rs_chart_threshold *t,
               uint32_t col, bool ascii)
{
    double step;
    if (t->series < 0 || t->series >= c->nseries ||
        !rs_chart_crossing(&c->series[t->series], t->y, &step))
        return;
    int dx = rs_chart_dot_x(p, step), dy = rs_chart_dot_y(p, t->y);
    if (dx < 0 || dx >= p->W || dy < 0 || dy >= p->H)
        return;
    char num[16], right[64], left[64];
    rs_fmt_si(step, num, sizeof num);
    const char *lab = t->label ? t->label : "";
    snprintf(right, sizeof right, "%s%s %s", ascii ? "<" : "\u25c2", lab, num);
    snprintf(left, sizeof left, "%s %s%s", lab, num, ascii ? ">" : "\u25b8");
    int cx = p->x + dx / 2, cy = p->y + dy / 4;
    int w = rs_utf8_width(right);
    static const int rows[3] = {0, -1, 1};
    struct rs_style st = rs_widget_style(col, RS_ATTR_BOLD);
    for (int i = 0; i < 3; i++) {
        int y = cy + rows[i];
        if (blank_run(cv, cx + 1, y, w, p)) {
            rs_canvas_text(cv, cx + 1, y, right, w, st);
            return;
        }
        if (blank_run(cv, cx - w, y, w, p)) {
            rs_canvas_text(cv, cx - w, y, left, w, st);
            return;
        }
    }
}

static void
axes(struct rs_canvas *cv, const struct rs_chart_plot *p, struct rs_rect in,
     bool xlabels, const double *yt, int ny, double ystep, int ylw,
     const struct rs_ui_ctx *ctx)
{
    const struct rs_theme *th = rs_widget_theme(ctx);
    struct rs_style ax = rs_widget_style(th->axis, 0);
    struct rs_style lab = rs_widget_style(th->tick, 0);
    int axc = p->x - 1, ayr = p->y + p->h;
    char buf[32];
    for (int y = p->y; y < ayr; y++)
        rs_canvas_put(cv, axc, y, 0x2502, ax);
    int last_row = INT_MIN;
    for (int i = ny - 1; i >= 0; i--) {
        int dy = rs_chart_dot_y(p, yt[i]);
        if (dy < 0 || dy >= p->H)
            continue;
        int row = p->y + dy / 4;
        if (row == last_row)
            continue;
        last_row = row;
        rs_canvas_put(cv, axc, row, 0x2524, ax); /* ┤ */
        if (p->sy.log)
            rs_fmt_exp(yt[i], buf, sizeof buf);
        else
            rs_fmt_tick(yt[i], ystep, buf, sizeof buf);
        int w = rs_utf8_width(buf);
        w = w > ylw ? ylw : w;
        rs_canvas_text(cv, axc - w, row, buf, w, lab);
    }
    rs_canvas_put(cv, axc, ayr, 0x2514, ax); /* └ */
    for (int x = p->x; x < p->x + p->w; x++)
        rs_canvas_put(cv, x, ayr, 0x2500, ax);
    double xt[MAX_TICKS];
    int ntx = p->w / 9;
    ntx = ntx < 2 ? 2 : ntx > 8 ? 8 : ntx;
    int nx = rs_scale_ticks(&p->sx, ntx, xt, MAX_TICKS, NULL);
    while (nx < 2 && ntx < 12) /* at least two ticks inside the range */
        nx = rs_scale_ticks(&p->sx, ++ntx, xt, MAX_TICKS, NULL);
    int prev_end = in.x - 1;
    for (int i = 0; i < nx; i++) {
        int dx = rs_chart_dot_x(p, xt[i]);
        if (dx < 0 || dx >= p->W)
            continue;
        int col = p->x + dx / 2;
        rs_canvas_put(cv, col, ayr, 0x252c, ax); /* ┬ */
        if (!xlabels)
            continue;
        rs_fmt_si(xt[i], buf, sizeof buf);
        int w = rs_utf8_width(buf);
        int sx = col - w / 2;
        if (sx < in.x)
            sx = in.x;
        if (sx + w > in.x + in.w)
            sx = in.x + in.w - w;
        if (sx <= prev_end + 1)
            continue;
        rs_canvas_text(cv, sx, ayr + 1, buf, w, lab);
        prev_end = sx + w - 1;
    }
}

static void
events(struct rs_canvas *cv, const struct rs_chart_plot *p,
       const struct rs_chart *c, const struct rs_ui_ctx *ctx)
{
    const struct rs_theme *th = rs_widget_theme(ctx);
    struct rs_style st = rs_widget_style(th->marker, 0);
    int ayr = p->y + p->h;
    for (int i = 0; i < c->nevents; i++) {
        int dx = rs_chart_dot_x(p, c->events[i].step);
        if (dx < 0 || dx >= p->W)
            continue;
        int cx = dx / 2;
        vrule(cv, p, cx, ctx->ascii ? ':' : 0x250a, th->marker); /* ┊ */
        rs_canvas_put(cv, p->x + cx, ayr, ctx->ascii ? '^' : 0x25b2, st);
        /* the label runs along the axis up to the next marker */
        int end = p->x + p->w;
        for (int j = 0; j < c->nevents; j++) {
            int ox = rs_chart_dot_x(p, c->events[j].step);
            if (ox >= 0 && ox / 2 > cx && p->x + ox / 2 - 1 < end)
                end = p->x + ox / 2 - 1;
        }
        if (c->events[i].label != NULL && end > p->x + cx + 1)
            rs_canvas_text_fit(cv, p->x + cx + 1, ayr, c->events[i].label,
                               end - (p->x + cx + 1), st);
    }
}

void
rs_chart_render(struct rs_canvas *cv, struct rs_rect r,
                const struct rs_chart *c, const struct rs_ui_ctx *ctx,
                struct rs_chart_geom *out)
{
    const struct rs_theme *th = rs_widget_theme(ctx);
    char info[64];
    snprintf(info, sizeof info, "%s%s%s%s", c->log_y ? "log y" : "",
             c->log_y ? (ctx->ascii ? " . " : " \u00b7 ") : "",
             c->log_x ? "log " : "", c->x_label ? c->x_label : "");
    struct rs_rect in = rs_widget_panel(cv, r, c->title, info, ctx);
    out->w = 0;
    out->sx = (struct rs_scale){0, 1, false};
    int lg = in.h >= 6 ? 1 : 0, xl = in.h >= 5 ? 1 : 0;
    if (lg)
        lg = rs_chart_legend_rows(c, in.w, in.h);
    int ph = in.h - lg - 1 - xl;
    if (in.w < 12 || ph < 2) {
        rs_widget_empty(cv, in, "too small", ctx);
        return;
    }
    /* as many ticks as fit with a free row between labels (3 at least) */
    int nty = (ph + 1) / 2;
    nty = nty < 3 ? 3 : nty > 6 ? 6 : nty;
    struct rs_chart_plot p;
    bool have = rs_chart_ranges(c, nty, &p.sx, &p.sy);
    rs_chart_plot_logs(&p);
    double yt[MAX_TICKS], ystep;
    int ny = rs_scale_ticks(&p.sy, nty, yt, MAX_TICKS, &ystep);
    int ylw = 1;
    for (int i = 0; i < ny; i++) {
        char buf[32];
        if (p.sy.log)
            rs_fmt_exp(yt[i], buf, sizeof buf);
        else
            rs_fmt_tick(yt[i], ystep, buf, sizeof buf);
        int w = rs_utf8_width(buf);
        ylw = w > ylw ? w : ylw;
    }
    ylw = ylw > 7 ? 7 : ylw;
    p.x = in.x + ylw + 1;
    p.y = in.y + lg;
    p.w = in.x + in.w - p.x;
    p.h = ph;
    p.W = 2 * p.w;
    p.H = 4 * p.h;
    axes(cv, &p, in, xl > 0, yt, ny, ystep, ylw, ctx);
    out->w = p.w;
    out->sx = p.sx;
    if (!have) {
        rs_widget_empty(cv, (struct rs_rect){p.x, p.y, p.w, p.h}, NULL, ctx);
        return;
    }

    int ns = c->nseries;
    struct rs_chart_bins *b = rs_xcalloc((size_t)ns, sizeof *b);
    uint32_t most = 0;
    for (int i = 0; i < ns; i++) {
        rs_chart_bins_alloc(&b[i], p.W);
        uint32_t m = rs_chart_bin_series(&p, &c->series[i], c->smooth, &b[i]);
        most = m > most ? m : most;
    }
    /* the plot lies inside the panel, so inside the caller's clip */
    struct rs_rect pr = {p.x, p.y, p.w, p.h};
    struct rs_rect old = rs_canvas_set_clip(cv, pr);
    bool env = false;
    bool band = rs_chart_draw_bands(cv, &p, c, true, ctx);
    if (rs_chart_tinted(ctx))
        for (int i = 0; i < ns; i++)
            env |= draw_envelope(cv, &p, &b[i], rs_chart_series_color(c, i, th),
                                 ctx);
    rs_canvas_set_clip(cv, old);
    events(cv, &p, c, ctx);
    if (c->cursor_on) {
        int dx = rs_chart_dot_x(&p, c->cursor);
        if (dx >= 0 && dx < p.W)
            vrule(cv, &p, dx / 2, ctx->ascii ? '|' : 0x2502, th->accent);
    }
    rs_canvas_set_clip(cv, pr);
    bool mono = ctx->color == RS_COLOR_MONO;
    for (int i = 0; i < ns; i++) {
        uint32_t col = rs_chart_series_color(c, i, th);
        if (c->smooth > 0)
            col = rs_rgb_mix(col, 0x000000, 0.5);
        draw_line(cv, &p, &b[i], false, col, mono ? i : 0);
    }
    if (c->smooth > 0)
        for (int i = 0; i < ns; i++)
            draw_line(cv, &p, &b[i], true, rs_chart_series_color(c, i, th),
                      mono ? i : 0);
    band |= rs_chart_draw_bands(cv, &p, c, false, ctx);
    if (!rs_chart_tinted(ctx))
        for (int i = 0; i < ns; i++)
            env |= draw_envelope(cv, &p, &b[i], rs_chart_series_color(c, i, th),
                                 ctx);
    rs_canvas_set_clip(cv, old);
    for (int i = 0; i < c->nthresholds; i++) {
        int si = c->thresholds[i].series;
        uint32_t col =
            si >= 0 && si < ns ? rs_chart_series_color(c, si, th) : th->text;
        draw_threshold(cv, &p, c, &c->thresholds[i], col, ctx->ascii);
    }
    if (lg)
        rs_chart_legend(cv, in.x, in.y, in.w, lg, c, most, env, band, ctx);
    for (int i = 0; i < ns; i++)
        rs_chart_bins_free(&b[i]);
    free(b);
}

void
rs_chart_draw(struct rs_canvas *cv, struct rs_rect r, const struct rs_chart *c,
              const struct rs_ui_ctx *ctx)
{
    struct rs_chart_geom g;
    rs_chart_render(cv, r, c, ctx, &g);
}
