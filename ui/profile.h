/* repscope - MIT licence, see COPYING.
 *
 * profile.h: a profile, one line per learner over a common x (loss by
 * position in the text, bits per character against the 1-based position
 * of each bin), with a vertical marker at an x of note (the training
 * length) labelled on the axis. Each line is a row of y values and,
 * optionally, the x of each (else 1, 2, ..., n); non-finite points are
 * left out. It is drawn by the line chart (ui/chart.h): braille lines in
 * the series colours, dashed in monochrome, a legend with each line's
 * value at its last point (or at the cursor), the marker as an event
 * rule. The x range covers the data and the marker.
 *
 * Pure: rs_profile_draw reads only its arguments. UI thread.
 */
#ifndef RS_UI_PROFILE_H
#define RS_UI_PROFILE_H

#include <stdbool.h>

#include "run/bus.h"
#include "ui/canvas.h"
#include "ui/chart.h"
#include "ui/widget.h"

#define RS_PROFILE_LINES_MAX 8

struct rs_profile_line {
    const char *name;
    const float *y; /* (n) */
    const float *x; /* (n), or NULL: 1 .. n */
    int n;
};

struct rs_profile {
    /* data, filled by the caller (borrowed for the call) */
    const char *title;
    const struct rs_profile_line *lines;
    int nlines; /* at most RS_PROFILE_LINES_MAX drawn */
    double mark;            /* NaN: no marker */
    const char *mark_label; /* NULL: the mark's value */
    const char *xlabel, *ylabel; /* NULL: none */
    double y_min, y_max;         /* fixed y range, NaN: auto */
    bool log_x;
    /* view state (keys) */
    bool log_y;
    int cursor; /* the readout at point `cursor` of the first line, -1 off */
};

/* An empty profile: no marker, auto range, no cursor. */
void rs_profile_init(struct rs_profile *p);
void rs_profile_draw(struct rs_canvas *cv, struct rs_rect r,
                     const struct rs_profile *p, const struct rs_ui_ctx *ctx);

/* The chart a profile is drawn as (and exported as SVG): one bucket per
 * point. The chart points into pc and into p's strings; valid until
 * rs_profile_chart_fini. */
struct rs_profile_chart {
    struct rs_chart c;
    struct rs_chart_series s[RS_PROFILE_LINES_MAX];
    struct rs_bus_point *pts;
    struct rs_chart_event ev;
    char mark_text[32], axis[64];
};
void rs_profile_chart_init(struct rs_profile_chart *pc,
                           const struct rs_profile *p);
void rs_profile_chart_fini(struct rs_profile_chart *pc);

/* The widget. Keys: left/right move the cursor from point to point of
 * the first line (starting at its last), home/end jump, esc hides it; l
 * toggles log y. */
extern const struct rs_widget_class rs_profile_class;
struct rs_widget *rs_profile_widget_new(void);
struct rs_profile *rs_profile_widget_data(struct rs_widget *w);

#endif /* RS_UI_PROFILE_H */
