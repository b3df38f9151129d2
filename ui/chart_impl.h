/* repscope - MIT licence, see COPYING.
 *
 * chart_impl.h: what chart.c (plot), chart_legend.c (legend) and
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
