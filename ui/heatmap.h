/* repscope - MIT licence, see COPYING.
 *
 * heatmap.h: a matrix as coloured cells (token sensitivity, alignment,
 * attention, gates). In colour on a UTF-8 terminal each cell holds two
 * matrix rows as half blocks (▀ with fg over bg), so pixels are about
 * square; in monochrome or ASCII each cell holds one value as a glyph of
 * the density ramp (colour added when there is colour). Sequential
 * (viridis) or diverging (blue-white-red around 0) maps; a legend row
 * with min .. max and the ramp; row labels on the left (truncated with
 * '…'), column labels on top when they fit, else index ticks. A matrix
 * larger than the panel is averaged over blocks (the info says "÷k");
 * a small one is scaled up by whole cells.
 *
 * Pure: rs_heatmap_draw reads only its arguments. UI thread.
 */
#ifndef RS_UI_HEATMAP_H
#define RS_UI_HEATMAP_H

#include <stdbool.h>

#include "ui/canvas.h"
#include "ui/widget.h"

struct rs_heatmap {
    /* data, filled by the caller (borrowed for the call) */
    const char *title;
    const float *data; /* (rows, cols) row-major; NaN cells are grey */
    int rows, cols;
    const char *const *row_labels;   /* rows strings, or NULL */
    const char *const *col_labels;   /* cols strings, or NULL */
    const char *row_name, *col_name; /* axis names for the readout */
    bool diverging;                  /* signed data: symmetric range around 0 */
    double vmin, vmax;               /* fixed range, NaN: auto */
    /* view state (keys) */
    int sel_row, sel_col; /* the selected cell, -1: none */
};

/* An empty heatmap: auto range, no selection. */
void rs_heatmap_init(struct rs_heatmap *h);
void rs_heatmap_draw(struct rs_canvas *cv, struct rs_rect r,
                     const struct rs_heatmap *h, const struct rs_ui_ctx *ctx);
/* The range the heatmap maps (fixed, else the finite data's min..max;
 * symmetric when diverging); false when there is no finite value. */
bool rs_heatmap_range(const struct rs_heatmap *h, double *lo, double *hi);
/* The colour of v over [lo, hi] in h's map. */
uint32_t rs_heatmap_color(const struct rs_heatmap *h, double lo, double hi,
                          double v);

/* The widget. Keys: arrows move the selected cell (starting at 0,0),
 * home/end jump along the row, esc clears the selection. */
extern const struct rs_widget_class rs_heatmap_class;
struct rs_widget *rs_heatmap_widget_new(void);
struct rs_heatmap *rs_heatmap_widget_data(struct rs_widget *w);

#endif /* RS_UI_HEATMAP_H */
