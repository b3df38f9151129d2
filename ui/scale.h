/* repscope - MIT licence, see COPYING.
 *
 * scale.h: the mapping of data values to positions along an axis, linear
 * or log10, with "nice" auto ranges and tick values (1, 2, 2.5, 5 x 10^k
 * on linear axes; decades, thinned or filled with 2 and 5, on log axes).
 * Shared by the terminal chart and the SVG export so both draw the same
 * axes. Pure; any thread.
 */
#ifndef RS_UI_SCALE_H
#define RS_UI_SCALE_H

#include <stdbool.h>
#include <stddef.h>

struct rs_scale {
    double lo, hi; /* data range, lo < hi; both > 0 on a log scale */
    bool log;
};

/* Position of v along s: 0 at lo, 1 at hi (outside [0, 1] when v is out
 * of range). NaN when v cannot be placed (v <= 0 on a log scale). */
double rs_scale_pos(const struct rs_scale *s, double v);
/* The value at position pos (inverse of rs_scale_pos). */
double rs_scale_at(const struct rs_scale *s, double pos);
/* Make [lo, hi] a valid range whatever it holds: swap a reversed one,
 * widen an empty one, and on a log scale clamp lo to a positive value
 * (at most 12 decades below hi). NaN/inf bounds become [0, 1] ([1, 10]). */
void rs_scale_fix(struct rs_scale *s);
/* Round the range outwards to tick positions for about nticks ticks:
 * multiples of the tick step (linear) or whole decades (log). */
void rs_scale_nice(struct rs_scale *s, int nticks);
/* Tick values inside [lo, hi], about nticks of them (at most max; nticks
 * >= 2), ascending; returns the count. *step receives the linear step
 * (for rs_fmt_tick), or 0 on a log scale. */
int rs_scale_ticks(const struct rs_scale *s, int nticks, double *out, int max,
                   double *step);
/* The tick step of a linear range for about nticks ticks. */
double rs_scale_step(double lo, double hi, int nticks);

#endif /* RS_UI_SCALE_H */
