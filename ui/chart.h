/* repscope - MIT licence, see COPYING.
 *
 * chart.h: the line chart. Series of bus buckets drawn with braille dots
 * (2x4 per cell), linear or log axes on x and y, auto or fixed ranges,
 * a legend row with each series' value (the last one, or at the cursor),
 * an optional EMA drawn over the raw series with its alpha on screen, a
 * min..max envelope wherever a dot column summarises several steps (the
 * bus downsampled, or the screen is narrower than the history) with a
 * legend note saying how many, vertical event markers ("▲lr 3e-4") and
 * threshold crossing marks ("◂50% 4.1k" where test/acc first crosses
 * 0.5), and under a series its band when it has one (the region between
 * two sibling series, a spread across seeds: lo and hi). Monochrome draws
 * series 2, 3, ... dashed, and the envelope and the bands as a stipple,
 * so no meaning rests on colour alone.
 *
 * Pure: rs_chart_draw reads only its arguments. The helpers below are
 * shared with the SVG export. UI thread (or any thread for the helpers).
 */
#ifndef RS_UI_CHART_H
#define RS_UI_CHART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "run/bus.h"
#include "ui/canvas.h"
#include "ui/scale.h"
#include "ui/widget.h"

struct rs_chart_series {
    const char *name;
    const struct rs_bus_point *pts; /* (n) buckets, oldest first; borrowed */
    size_t n;
    uint32_t color; /* RS_COLOR_DEFAULT: the theme's colour for its index */
};

/* A series' band: the region between two more series (a spread across
 * seeds: S_lo and S_hi), shaded in the series' colour under its line.
 * Their bucket means are binned per dot column as the line's points are
 * and joined between columns as the line is. None when either is empty. */
struct rs_chart_band {
    const struct rs_bus_point *lo, *hi; /* (nlo), (nhi); borrowed */
    size_t nlo, nhi;
};

/* A live change at a step (rs_bus_event), drawn as a vertical marker. */
struct rs_chart_event {
    double step;
    const char *label; /* short: "lr 1e-3→3e-4"; may be NULL */
};

/* Mark where series `series` first crosses value y (in whichever
 * direction it starts from), labelled e.g. "50%". */
struct rs_chart_threshold {
    int series;
    double y;
    const char *label;
};

struct rs_chart {
    /* data, filled by the caller (borrowed for the call) */
    const char *title;
    const struct rs_chart_series *series;
    int nseries;
    const struct rs_chart_band *bands; /* (nseries), NULL: none */
    const struct rs_chart_event *events;
    int nevents;
    const struct rs_chart_threshold *thresholds;
    int nthresholds;
    double x_min, x_max; /* fixed x range, NaN: auto (x_max: planned steps) */
    double y_min, y_max; /* fixed y range, NaN: auto */
    const char *x_label; /* axis name shown in the title info ("step") */
    /* view state (the chart's keys change these) */
    bool log_x, log_y;
    double smooth;  /* EMA alpha in (0, 1]; 0: off */
    bool cursor_on; /* show the readout at step `cursor` */
    double cursor;
};

/* A chart with no data and auto ranges (NaNs set), x_label "step". */
void rs_chart_init(struct rs_chart *c);
/* Draw the chart as a titled panel filling r. */
void rs_chart_draw(struct rs_canvas *cv, struct rs_rect r,
                   const struct rs_chart *c, const struct rs_ui_ctx *ctx);

/* The x and y scales the chart uses (fixed bounds, else the data's
 * extent; y rounded to about nticks_y ticks). False when there is no data
 * to place (the scales are then a default range). */
bool rs_chart_ranges(const struct rs_chart *c, int nticks_y, struct rs_scale *x,
                     struct rs_scale *y);
/* The raw value (bucket mean) of s at step: the bucket holding the step,
 * else the nearest one; NaN when s is empty. */
double rs_chart_value_at(const struct rs_chart_series *s, double step);
/* EMA of the bucket means, one value per bucket into out (s->n): a
 * bucket of count k advances the EMA by k steps of weight alpha. */
void rs_chart_ema(const struct rs_chart_series *s, double alpha, double *out);
/* First step where s crosses y (the first bucket on the other side of y
 * from the first bucket); false if it never does. */
bool rs_chart_crossing(const struct rs_chart_series *s, double y, double *step);

/* The widget: a struct rs_chart the loop fills and keys steer.
 * Keys: left/right move the cursor one column (starting at the newest
 * step), home/end jump, esc hides it; l toggles log y, L log x, m cycles
 * the smoothing (off, 0.3, 0.1, 0.03, 0.01). */
extern const struct rs_widget_class rs_chart_class;
struct rs_widget *rs_chart_widget_new(void);
/* The chart inside w (which must be an rs_chart_class widget). */
struct rs_chart *rs_chart_widget_data(struct rs_widget *w);

#endif /* RS_UI_CHART_H */
