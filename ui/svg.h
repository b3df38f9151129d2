/* repscope - MIT licence, see COPYING.
 *
 * svg.h: export what a chart or heatmap shows as a standalone SVG file
 * (vector, for papers and slides): the same inputs as the terminal
 * widgets (struct rs_chart, struct rs_heatmap), the same scales and
 * ticks (ui/scale.h), with a title, axes, tick labels and a legend or
 * colour bar. A chart has one <polyline> per series (the bucket means),
 * a <path> envelope per series that has downsampled buckets, a second
 * <polyline class="ema"> per series when smoothing is on, event lines
 * and threshold marks. Text is XML-escaped; numbers use '.'.
 *
 * Pure apart from writing to f; any thread.
 */
#ifndef RS_UI_SVG_H
#define RS_UI_SVG_H

#include <stdio.h>

#include "core/base.h"
#include "ui/chart.h"
#include "ui/heatmap.h"

struct rs_svg_opts {
    int width, height; /* pixels; 0: 720 x 405 */
};

/* Write the chart c as SVG to f. RS_OK, or RS_EIO (err filled) when
 * writing failed. opts may be NULL. */
RS_NODISCARD int rs_svg_chart(FILE *f, const struct rs_chart *c,
                              const struct rs_svg_opts *opts,
                              struct rs_error *err);
/* The same for a heatmap, with a colour bar. */
RS_NODISCARD int rs_svg_heatmap(FILE *f, const struct rs_heatmap *h,
                                const struct rs_svg_opts *opts,
                                struct rs_error *err);

/* The parts every export shares, for other widgets' exporters
 * (ui/scatter.c): the page colours, s XML-escaped (control bytes but the
 * tab dropped), the page's head (XML declaration, <svg> of w x h, title
 * element, white background, the title line) and its end (</svg>, then a
 * flush: RS_EIO when writing failed). */
#define RS_SVG_INK "#222222"
#define RS_SVG_GRID "#e6e6e6"
#define RS_SVG_MUTED "#666666"
void rs_svg_escape(FILE *f, const char *s);
void rs_svg_begin(FILE *f, int w, int h, const char *title);
RS_NODISCARD int rs_svg_end(FILE *f, struct rs_error *err);

#endif /* RS_UI_SVG_H */
