/* repscope - MIT licence, see COPYING.
 *
 * scatter.h: a scatter plot of one series against another, one colour
 * per learner (test accuracy against the parameter count): each learner's
 * points are its trajectory over the run, so where the learners end and
 * how they got there show the trade-off frontier. Points are braille dots
 * in the learner's colour, the latest one a bigger glyph (a disc); in
 * monochrome or ASCII each learner has its own glyph (o x + * # % @ &),
 * one per cell, the latest in reverse video. A legend names each learner
 * with its latest (x, y); both axes have ticks (ui/scale.h), log or
 * linear; "no data" when no learner has a point.
 *
 * The points come from two bus series per learner, paired by step
 * (rs_scatter_pair). Pure: rs_scatter_draw reads only its arguments
 * (rs_scatter_svg writes only to its file).
 * UI thread.
 */
#ifndef RS_UI_SCATTER_H
#define RS_UI_SCATTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/base.h"
#include "run/bus.h"
#include "ui/canvas.h"
#include "ui/widget.h"

#define RS_SCATTER_SETS_MAX 8

/* One learner's points, oldest first (the last is the latest). */
struct rs_scatter_set {
    const char *name;
    const double *x, *y; /* (n) */
    int n;
};

struct rs_scatter {
    /* data, filled by the caller (borrowed for the call) */
    const char *title;
    const char *xlabel, *ylabel; /* NULL: none */
    const struct rs_scatter_set *sets;
    int nsets;                         /* at most RS_SCATTER_SETS_MAX drawn */
    double x_min, x_max, y_min, y_max; /* fixed bounds, NaN: from the data */
    bool log_x;
    /* view state (keys) */
    bool log_y;
};

/* An empty scatter: auto ranges, linear axes. */
void rs_scatter_init(struct rs_scatter *s);
void rs_scatter_draw(struct rs_canvas *cv, struct rs_rect r,
                     const struct rs_scatter *s, const struct rs_ui_ctx *ctx);

/* Pair series y with series x by step: each point of ys (a bus bucket,
 * its step its step_hi, its value its last) is paired with the x point
 * logged latest at or before that step, so a y logged more often than x
 * repeats an x and an x logged more often than y is sampled at y's steps.
 * A y point before the first x point, or with a non-finite value on
 * either side, is left out. Both series in step order (a bus copy with
 * restarts trimmed). Writes up to max pairs to ox, oy (and the y step to
 * ostep unless NULL), oldest first; returns their count. */
int rs_scatter_pair(const struct rs_bus_point *xs, size_t nx,
                    const struct rs_bus_point *ys, size_t ny, double *ox,
                    double *oy, double *ostep, int max);

/* s as a standalone SVG (720 x 405, on a white page, the theme's series
 * colours): the same scales and ticks, a circle per point, the latest
 * bigger and outlined, the legend with the latest (x, y). RS_OK, or
 * RS_EIO (err filled) when writing failed. */
RS_NODISCARD int rs_scatter_svg(FILE *f, const struct rs_scatter *s,
                                struct rs_error *err);

/* The glyph of learner i in monochrome and ASCII. */
char rs_scatter_glyph(int i);

/* The widget. Keys: l toggles log y. */
extern const struct rs_widget_class rs_scatter_class;
struct rs_widget *rs_scatter_widget_new(void);
struct rs_scatter *rs_scatter_widget_data(struct rs_widget *w);

#endif /* RS_UI_SCATTER_H */
