/* repscope - MIT licence, see COPYING.
 *
 * chart_band.c: a chart's bands across seeds (rs.view.curves{band =
 * true}): per series S, the region between the series S_lo and S_hi,
 * binned like the line and drawn under it as a tint (true colour) or a
 * stipple of dots in the cells the lines leave blank. UI thread (pure).
 */
#include "config.h"

#include "ui/chart_impl.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>

#include "core/base.h"
#include "ui/colormap.h"

uint32_t
rs_chart_band_tint(uint32_t col)
{
    return rs_rgb_mix(col, 0x000000, 0.72);
}

/* Band b in dot rows per dot column: top[px] (from hi) <=
 * bot[px] (from lo), INT_MIN where it has none. The bucket means of lo
 * and hi are binned per dot column as the line's are, and the columns
 * holding both are joined linearly as the line joins its points (a
 * value off a log axis breaks the band as it breaks the line). False
 * when s has no band on the plot. */
static bool
band_rows(const struct rs_chart_plot *p, const struct rs_chart_band *b,
          int *top, int *bot)
{
    for (int px = 0; px < p->W; px++)
        top[px] = bot[px] = INT_MIN;
    if (b->nlo == 0 || b->nhi == 0)
        return false;
    struct rs_chart_bins lo, hi;
    rs_chart_bins_alloc(&lo, p->W);
    rs_chart_bins_alloc(&hi, p->W);
    rs_chart_bin_series(p, &(struct rs_chart_series){.pts = b->lo, .n = b->nlo},
                        0, &lo);
    rs_chart_bin_series(p, &(struct rs_chart_series){.pts = b->hi, .n = b->nhi},
                        0, &hi);
    int lx = -1, lt = 0, lb = 0; /* the last column joined from */
    for (int px = 0; px < p->W; px++) {
        if (lo.cnt[px] == 0 || hi.cnt[px] == 0)
            continue;
        int yt = rs_chart_dot_y(p, hi.sum[px] / hi.cnt[px]);
        int yb = rs_chart_dot_y(p, lo.sum[px] / lo.cnt[px]);
        if (yt == INT_MIN || yb == INT_MIN) {
            lx = -1;
            continue;
        }
        if (yt > yb) { /* lo above hi: the same region */
            int t = yt;
            yt = yb;
            yb = t;
        }
        for (int x = lx >= 0 ? lx + 1 : px; x <= px; x++) {
            double f = x == px ? 1 : (double)(x - lx) / (px - lx);
            top[x] = (int)lround(lt + f * (yt - lt));
            bot[x] = (int)lround(lb + f * (yb - lb));
        }
        lx = px;
        lt = yt;
        lb = yb;
    }
    rs_chart_bins_free(&lo);
    rs_chart_bins_free(&hi);
    for (int px = 0; px < p->W; px++)
        if (top[px] != INT_MIN)
            return true;
    return false;
}

/* Whether dot (px, py) is in the bands' stipple: two dots a cell, (0, 0)
 * and (1, 2). Every band uses the same dots, so where bands overlap the
 * stipple stays as light (in the colour of the last one drawn). */
static bool
stipple_on(int px, int py)
{
    return (py - 2 * (px % 2)) % 4 == 0;
}

enum rs_chart_band_look
rs_chart_band_look(const struct rs_ui_ctx *ctx)
{
    if (ctx->ascii)
        return RS_CHART_BAND_SHADE;
    return ctx->color == RS_COLOR_TRUE ? RS_CHART_BAND_TINT
                                       : RS_CHART_BAND_DOTS;
}

uint32_t
rs_chart_band_glyph(void)
{
    /* braille bits by dot: column 0 rows 0-2: 0-2, row 3: 6; column 1
     * rows 0-2: 3-5, row 3: 7 */
    static const int bit[2][4] = {{0, 1, 2, 6}, {3, 4, 5, 7}};
    uint32_t g = 0x2800;
    for (int x = 0; x < 2; x++)
        for (int y = 0; y < 4; y++)
            if (stipple_on(x, y))
                g |= 1u << bit[x][y];
    return g;
}

/* A band (band_rows) in its series' colour col, as its look says:
 * - TINT: the cells it covers by at least 2 of their 4 dot rows in
 *   either dot column (so a band thinner than that, lo = hi, shows
 *   nothing) get a tint behind them, before the lines; where two bands
 *   overlap, the mix of their tints;
 * - DOTS: the stipple's dots inside the band, in the cells that were
 *   blank before any band (blank: w x h of the plot), after the lines;
 * - SHADE: a '.' in the cells of TINT that the lines left blank, after
 *   them. */
static void
draw_band(struct rs_canvas *cv, const struct rs_chart_plot *p, const int *top,
          const int *bot, uint32_t col, const bool *blank,
          const struct rs_ui_ctx *ctx)
{
    enum rs_chart_band_look look = rs_chart_band_look(ctx);
    if (look == RS_CHART_BAND_DOTS) {
        uint32_t fg = rs_rgb_mix(col, 0x000000, 0.45);
        for (int px = 0; px < p->W; px++) {
            if (top[px] == INT_MIN)
                continue;
            int y0 = top[px] < 0 ? 0 : top[px];
            int y1 = bot[px] >= p->H ? p->H - 1 : bot[px];
            for (int py = y0; py <= y1; py++)
                if (stipple_on(px, py) && blank[(px / 2) * p->h + py / 4])
                    rs_canvas_braille(cv, p->x * 2 + px, p->y * 4 + py, fg);
        }
        return;
    }
    for (int cx = 0; cx < p->w; cx++)
        for (int cy = 0; cy < p->h; cy++) {
            int cover = 0;
            for (int px = 2 * cx; px < 2 * cx + 2 && px < p->W; px++) {
                if (top[px] == INT_MIN)
                    continue;
                int a = top[px] > 4 * cy ? top[px] : 4 * cy;
                int b = bot[px] < 4 * cy + 3 ? bot[px] : 4 * cy + 3;
                cover = b - a + 1 > cover ? b - a + 1 : cover;
            }
            const struct rs_cell *c = rs_canvas_cell(cv, p->x + cx, p->y + cy);
            if (cover < 2 || c == NULL || c->glyph != ' ')
                continue;
            if (look == RS_CHART_BAND_TINT) {
                uint32_t bg = rs_chart_band_tint(col);
                if (c->bg != RS_COLOR_DEFAULT)
                    bg = rs_rgb_mix(c->bg, bg, 0.5);
                rs_canvas_put(cv, p->x + cx, p->y + cy, ' ',
                              (struct rs_style){RS_COLOR_DEFAULT, bg, 0});
            } else {
                rs_canvas_put(cv, p->x + cx, p->y + cy, '.',
                              rs_widget_style(col, RS_ATTR_DIM));
            }
        }
}

/* Every series' band, when its look draws in this layer (a tint before
 * the lines: `under`; dots and shade after them); returns whether any
 * was drawn. */
bool
rs_chart_draw_bands(struct rs_canvas *cv, const struct rs_chart_plot *p,
                    const struct rs_chart *c, bool under,
                    const struct rs_ui_ctx *ctx)
{
    if (c->bands == NULL ||
        (rs_chart_band_look(ctx) == RS_CHART_BAND_TINT) != under)
        return false;
    const struct rs_theme *th = rs_widget_theme(ctx);
    int *top = rs_xmalloc((size_t)p->W * sizeof *top);
    int *bot = rs_xmalloc((size_t)p->W * sizeof *bot);
    bool *blank = rs_xmalloc((size_t)p->w * (size_t)p->h * sizeof *blank);
    for (int cx = 0; cx < p->w; cx++) /* column-major: cx * h + cy */
        for (int cy = 0; cy < p->h; cy++) {
            const struct rs_cell *k = rs_canvas_cell(cv, p->x + cx, p->y + cy);
            blank[cx * p->h + cy] = k != NULL && k->glyph == ' ';
        }
    bool drew = false;
    for (int i = 0; i < c->nseries; i++)
        if (band_rows(p, &c->bands[i], top, bot)) {
            draw_band(cv, p, top, bot, rs_chart_series_color(c, i, th), blank,
                      ctx);
            drew = true;
        }
    /* monochrome: the dots dim, so they read as a texture under the
     * lines (which are dots too) */
    for (int k = 0; drew && ctx->color == RS_COLOR_MONO && k < p->w * p->h;
         k++) {
        int x = p->x + k / p->h, y = p->y + k % p->h;
        const struct rs_cell *cell = rs_canvas_cell(cv, x, y);
        if (blank[k] && cell != NULL && cell->glyph != ' ')
            rs_canvas_put(cv, x, y, cell->glyph,
                          (struct rs_style){cell->fg, cell->bg, RS_ATTR_DIM});
    }
    free(top);
    free(bot);
    free(blank);
    return drew;
}
