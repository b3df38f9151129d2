/* repscope - MIT licence, see COPYING.
 *
 * spectrum.h: the rank instruments. rs_spectrum draws the singular values
 * of one layer's feature matrix as a log-scale bar plot (eighth-block bars
 * ▁▂▃▄▅▆▇█, decades on the y axis), the values inside the srank bright and
 * the tail dim, with ▲ at srank and △ at the effective rank on the axis.
 * rs_rankstrip draws rank over time for all layers at once: one row per
 * layer, one column per time bucket, the shade the srank relative to the
 * layer's width on a log2 scale (█ full width, ▓ >= 1/2, ▒ >= 1/8,
 * ░ >= 1/32), coloured with viridis as well, with step labels and event
 * markers under it and the shade legend in its own units.
 *
 * Pure: the draw functions read only their arguments. UI thread.
 */
#ifndef RS_UI_SPECTRUM_H
#define RS_UI_SPECTRUM_H

#include <stdbool.h>

#include "ui/canvas.h"
#include "ui/chart.h"
#include "ui/widget.h"

struct rs_spectrum {
    /* data (borrowed for the call) */
    const char *title; /* "spectrum" */
    const char *layer; /* "layer 6"; may be NULL */
    const float *s;    /* (n) singular values, descending, >= 0 */
    int n;
    int srank;    /* < 0: unknown */
    double erank; /* NaN: unknown */
};

struct rs_rankstrip {
    /* data (borrowed for the call) */
    const char *title;
    const float *rank; /* (layers, times) srank per layer and bucket; NaN:
                        * no value */
    int layers, times;
    const char *const *labels; /* layer names, or NULL ("L1", ...) */
    const float *width;        /* (layers) full rank of each layer, or NULL
                                * (then `full` for all) */
    double full;
    const double *steps; /* (times) step of each bucket, or NULL */
    const struct rs_chart_event *events; /* markers on the time axis */
    int nevents;
    /* view state */
    int sel; /* highlighted layer, -1: none */
};

void rs_spectrum_draw(struct rs_canvas *cv, struct rs_rect r,
                      const struct rs_spectrum *sp,
                      const struct rs_ui_ctx *ctx);
void rs_rankstrip_draw(struct rs_canvas *cv, struct rs_rect r,
                       const struct rs_rankstrip *rk,
                       const struct rs_ui_ctx *ctx);
/* The shade level 0..4 of rank over a layer of full rank `full`: 4 at
 * full, 3 at >= 1/2, 2 at >= 1/8, 1 at >= 1/32, else 0 (NaN: -1). */
int rs_rankstrip_level(double rank, double full);

/* Widgets. The spectrum takes no keys (the loop picks its layer); the
 * strip moves its highlighted layer with up/down and [ ]. */
extern const struct rs_widget_class rs_spectrum_class;
extern const struct rs_widget_class rs_rankstrip_class;
struct rs_widget *rs_spectrum_widget_new(void);
struct rs_spectrum *rs_spectrum_widget_data(struct rs_widget *w);
struct rs_widget *rs_rankstrip_widget_new(void);
struct rs_rankstrip *rs_rankstrip_widget_data(struct rs_widget *w);

#endif /* RS_UI_SPECTRUM_H */
