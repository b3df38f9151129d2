/* repscope - MIT licence, see COPYING.
 *
 * chart_impl.h: what chart.c (plot), chart_bins.c (geometry and
 * binning), chart_band.c (bands), chart_legend.c (legend) and
 * chart_widget.c (the widget) share. Internal to ui/.
 */
#ifndef RS_UI_CHART_IMPL_H
#define RS_UI_CHART_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "ui/canvas.h"
#include "ui/chart.h"
#include "ui/scale.h"
#include "ui/widget.h"

/* The plot area: cells and dots, and the scales. */
struct rs_chart_plot {
    int x, y, w, h; /* cells */
    int W, H;       /* dots */
    struct rs_scale sx, sy;
    /* log10 of the bounds of a log scale (rs_chart_plot_logs), so placing a
     * point takes one log10, not three as rs_scale_pos does */
    double lx0, lx1, ly0, ly1;
};

struct rs_chart_bins {
    uint32_t *cnt;
    float *lo, *hi;
    double *sum, *ema;
};

/* Cache a plot's log bounds once its scales are final. */
void rs_chart_plot_logs(struct rs_chart_plot *p);
/* The dot column of a step and the dot row of a value on the plot,
 * clamped to one plot size beyond either edge; INT_MIN off a log axis. */
int rs_chart_dot_x(const struct rs_chart_plot *p, double step);
int rs_chart_dot_y(const struct rs_chart_plot *p, double v);
/* Bins of W dot columns, all zero; freed by rs_chart_bins_free. */
void rs_chart_bins_alloc(struct rs_chart_bins *b, int W);
void rs_chart_bins_free(struct rs_chart_bins *b);
/* Bin series s (EMA alpha, 0: none) over the plot's dot columns into b;
 * returns the largest number of steps in one column. */
uint32_t rs_chart_bin_series(const struct rs_chart_plot *p,
                             const struct rs_chart_series *s, double alpha,
                             struct rs_chart_bins *b);
/* Every series' band, when its look draws in this layer (a tint before
 * the lines: under; dots and shade after them); whether any was drawn. */
bool rs_chart_draw_bands(struct rs_canvas *cv, const struct rs_chart_plot *p,
                         const struct rs_chart *c, bool under,
                         const struct rs_ui_ctx *ctx);

/* Where a draw put the plot: its width in cells (0: no plot) and its x
 * scale, for the widget's cursor keys. */
struct rs_chart_geom {
    int w;
    struct rs_scale sx;
};

/* rs_chart_draw, telling where the plot went. */
void rs_chart_render(struct rs_canvas *cv, struct rs_rect r,
                     const struct rs_chart *c, const struct rs_ui_ctx *ctx,
                     struct rs_chart_geom *out);

/* Series i's colour: its own, or the theme's for its index. */
uint32_t rs_chart_series_color(const struct rs_chart *c, int i,
                               const struct rs_theme *th);
/* Whether the terminal can tint a cell's background (256 or true colour). */
bool rs_chart_tinted(const struct rs_ui_ctx *ctx);
/* The dark tint of a series colour behind its min-max envelope. */
uint32_t rs_chart_tint_of(uint32_t col);

/* Legend rows a chart of inner size w x h takes: 1, or 2 when the series'
 * names and values do not fit in one row and the plot keeps its height. */
int rs_chart_legend_rows(const struct rs_chart *c, int w, int h);
/* The legend in `rows` rows from (x, y), w wide: the series (names without
 * the parts all of them share when the whole names do not fit), the
 * cursor, smoothing and decimation notes; the least important items go
 * first when space runs out. most: points per column at most (> 1: say
 * it is decimated); env: an envelope is drawn; band: a band is. */
void rs_chart_legend(struct rs_canvas *cv, int x, int y, int w, int rows,
                     const struct rs_chart *c, uint32_t most, bool env,
                     bool band, const struct rs_ui_ctx *ctx);
/* How bands look: a tint behind the cells (true colour: the hue
 * survives), a stipple of braille dots in the cells the lines leave
 * blank (256 and 8 colours, whose dark tints would all be one grey, and
 * monochrome, dim: lighter than a shade, which would bury dashed lines
 * under overlapping bands), '.' there in ASCII. */
enum rs_chart_band_look {
    RS_CHART_BAND_TINT,
    RS_CHART_BAND_DOTS,
    RS_CHART_BAND_SHADE
};
enum rs_chart_band_look rs_chart_band_look(const struct rs_ui_ctx *ctx);
/* The tint behind a band of a series colour (lighter than an
 * envelope's). */
uint32_t rs_chart_band_tint(uint32_t col);
/* The braille glyph of a cell inside a band drawn as dots (a legend
 * swatch). */
uint32_t rs_chart_band_glyph(void);

#endif /* RS_UI_CHART_IMPL_H */
