/* repscope - MIT licence, see COPYING.
 *
 * table.h: a matrix as a table of numbers: a header row of column labels,
 * then one row per matrix row, its label on the left behind a swatch in
 * the row's series colour (so the rows match the lines of the curves
 * that overlay the same runs, `repscope compare`), each value in about 5
 * columns (rs_fmt_num; "-" for NaN). Columns that do not fit are
 * scrolled with left/right (the info says which are shown); rows that do
 * not fit end in "+k more". The data is a struct rs_heatmap's (a matrix
 * with labels), filled the same way. UI thread.
 */
#ifndef RS_UI_TABLE_H
#define RS_UI_TABLE_H

#include <stdio.h>

#include "core/base.h"
#include "ui/canvas.h"
#include "ui/heatmap.h"
#include "ui/widget.h"

/* Draw h's matrix as a titled table panel filling r, from column first
 * (clamped so that the last columns fill the panel). */
void rs_table_draw(struct rs_canvas *cv, struct rs_rect r,
                   const struct rs_heatmap *h, int first,
                   const struct rs_ui_ctx *ctx);

/* The whole table (every row and column) as SVG into f: a text grid,
 * each row's swatch in its series colour. RS_OK, or RS_EIO (or RS_EINVAL
 * when there is no data). */
RS_NODISCARD int rs_table_svg(FILE *f, const struct rs_heatmap *h,
                              struct rs_error *err);

/* The widget. Keys: left/right scroll the columns, home/end jump. */
extern const struct rs_widget_class rs_table_class;
struct rs_widget *rs_table_widget_new(void);
/* The matrix inside w (which must be an rs_table_class widget). */
struct rs_heatmap *rs_table_widget_data(struct rs_widget *w);

#endif /* RS_UI_TABLE_H */
