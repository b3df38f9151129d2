/* repscope - MIT licence, see COPYING.
 *
 * bars.h: a bar chart of a row of values (a histogram of half-lives, a
 * count per class), one band per learner stacked as small multiples: the
 * bands share the y scale and the columns, so bar k of every learner is
 * in the same screen column and the shapes compare up and down (grouped
 * bars side by side would need n x learners columns: 48 for 16 bins and
 * 3 learners, more than a 40-column panel has). Each band is headed by
 * its learner's name in the learner's colour (none for a single row
 * without a name); its bars are vertical, in eighth blocks (▁ .. █) in
 * UTF-8, in '_', '=', '#' (a quarter, a half, a whole cell and more) in
 * ASCII; a value that rounds to nothing still shows one eighth (or '_')
 * so that only a zero is blank. The scale runs from min(0, data) to
 * max(0, data) (vmin/vmax fix it); a negative bar hangs from the zero
 * row. The left margin holds the top and bottom values of the scale.
 * Labels (the matrix's column labels, else 1, 2, ...) sit under the
 * bars, every k-th one when they would collide. More values than
 * columns are merged k to a bar (their mean; the first one's label; the
 * title line says "÷k"); bands that do not fit are left out ("+k").
 * The selected bar (keys) is in the accent colour, its value follows
 * each band's name and its label is shown in reverse.
 *
 * Pure: rs_bars_draw reads only its arguments. UI thread.
 */
#ifndef RS_UI_BARS_H
#define RS_UI_BARS_H

#include <stdbool.h>

#include "ui/canvas.h"
#include "ui/widget.h"

#define RS_BARS_GROUPS_MAX 8

struct rs_bars_group {
    const char *name; /* NULL: no heading (a single group) */
    const float *v;   /* (n) */
    int n;
};

struct rs_bars {
    /* data, filled by the caller (borrowed for the call) */
    const char *title;
    const struct rs_bars_group *groups;
    int ngroups; /* at most RS_BARS_GROUPS_MAX */
    const char *const *labels; /* (nlabels) bar labels, or NULL */
    int nlabels;
    double vmin, vmax; /* fixed scale, NaN: auto */
    /* view state (keys) */
    int sel; /* the selected bar, -1: none */
};

void rs_bars_init(struct rs_bars *b);
void rs_bars_draw(struct rs_canvas *cv, struct rs_rect r,
                  const struct rs_bars *b, const struct rs_ui_ctx *ctx);
/* The scale the bars use: vmin/vmax where fixed, else min(0, data) and
 * max(0, data) over every group's finite values; hi > lo always. */
void rs_bars_range(const struct rs_bars *b, double *lo, double *hi);

/* The widget. Keys: left/right select a bar (starting at the first),
 * home/end jump, esc clears the selection. */
extern const struct rs_widget_class rs_bars_class;
struct rs_widget *rs_bars_widget_new(void);
struct rs_bars *rs_bars_widget_data(struct rs_widget *w);

#endif /* RS_UI_BARS_H */
