/* repscope - MIT licence, see COPYING.
 *
 * textmap.h: a text shaded by a value per character (the loss of each
 * character under a model, a gate's value along a text). The text is
 * one label per column (its first character is drawn); each line of
 * values (a learner's row) is drawn as the same text beneath the others,
 * so the shading of one character compares from line to line. The text
 * wraps at the panel's width and after a newline; each wrapped row shows
 * every line (named in a left margin when there are several, a blank row
 * between the groups), and the rows scroll (keys).
 *
 * Shading: with colour, each character's background is the sequential
 * map (viridis) at its value over [vmin, vmax] (default: the finite
 * values of every line together, so lines compare), with black or white
 * text, whichever reads on it; without colour, five steps of attributes,
 * low to high: dim, plain, underline, bold, reverse. A NaN (or a value
 * past a line's end) is plain text unshaded. The bottom row is the
 * legend: vmin, the ramp (or the five steps on a sample letter), vmax,
 * then each line's mean.
 *
 * Characters: the labels of the rs.probe.gates kind are shown for what
 * they stand for: '␣' as a space, '↵' as itself and a line break, '→'
 * and '·' as themselves; with ASCII '↵' is '$', '→' '>', '·' '.', any
 * other non-ASCII character its ASCII shape (rs_glyph_ascii); a wide
 * character or a control character is '?'; an empty label is '?'.
 *
 * Pure: rs_textmap_draw reads only its arguments. UI thread.
 */
#ifndef RS_UI_TEXTMAP_H
#define RS_UI_TEXTMAP_H

#include <stdbool.h>

#include "ui/canvas.h"
#include "ui/widget.h"

#define RS_TEXTMAP_LINES_MAX 8

struct rs_textmap_line {
    const char *name; /* NULL: none */
    const float *v;   /* (n) values, one per character */
    int n;
};

struct rs_textmap {
    /* data, filled by the caller (borrowed for the call) */
    const char *title;
    const char *const *chars; /* (n) one label per character */
    int n;
    const struct rs_textmap_line *lines;
    int nlines;        /* at most RS_TEXTMAP_LINES_MAX drawn */
    double vmin, vmax; /* fixed range, NaN: auto */
    /* view state (keys) */
    int top; /* first wrapped row shown */
};

void rs_textmap_init(struct rs_textmap *t);
void rs_textmap_draw(struct rs_canvas *cv, struct rs_rect r,
                     const struct rs_textmap *t, const struct rs_ui_ctx *ctx);
/* The range the shading maps (fixed, else the finite values' min..max;
 * hi > lo); false when no value is finite. */
bool rs_textmap_range(const struct rs_textmap *t, double *lo, double *hi);
/* The glyph drawn for label s (see above). */
uint32_t rs_textmap_glyph(const char *s, bool ascii);
/* The style of a character of value t in [0, 1] (NaN: unshaded) in
 * colour mode `color`. */
struct rs_style rs_textmap_style(double t, enum rs_color_mode color);

/* The widget. Keys: up/down scroll one row, page up/down a screen,
 * home/end jump. */
extern const struct rs_widget_class rs_textmap_class;
struct rs_widget *rs_textmap_widget_new(void);
struct rs_textmap *rs_textmap_widget_data(struct rs_widget *w);

#endif /* RS_UI_TEXTMAP_H */
