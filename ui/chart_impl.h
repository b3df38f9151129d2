/* repscope - MIT licence, see COPYING.
 *
 * chart_impl.h: what chart.c (plot) and chart_legend.c (legend) share.
 * Internal to ui/.
 */
#ifndef RS_UI_CHART_IMPL_H
#define RS_UI_CHART_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "ui/canvas.h"
#include "ui/chart.h"
#include "ui/widget.h"

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
 * it is decimated); env: an envelope is drawn. */
void rs_chart_legend(struct rs_canvas *cv, int x, int y, int w, int rows,
                     const struct rs_chart *c, uint32_t most, bool env,
                     const struct rs_ui_ctx *ctx);

#endif /* RS_UI_CHART_IMPL_H */
