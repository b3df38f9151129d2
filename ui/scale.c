/* repscope - MIT licence, see COPYING.
 *
 * scale.c: axis scales and ticks (scale.h). Pure; any thread.
 */
#include "config.h"

#include "ui/scale.h"

#include <math.h>

double
rs_scale_pos(const struct rs_scale *s, double v)
{
    if (s->log) {
        if (!(v > 0))
            return NAN;
        double l0 = log10(s->lo), l1 = log10(s->hi);
        return (log10(v) - l0) / (l1 - l0);
    }
    return (v - s->lo) / (s->hi - s->lo);
}

double
rs_scale_at(const struct rs_scale *s, double pos)
{
    if (s->log) {
        double l0 = log10(s->lo), l1 = log10(s->hi);
        return pow(10.0, l0 + pos * (l1 - l0));
    }
    return s->lo + pos * (s->hi - s->lo);
}

void
rs_scale_fix(struct rs_scale *s)
{
    if (!isfinite(s->lo) || !isfinite(s->hi)) {
        s->lo = s->log ? 1 : 0;
        s->hi = s->log ? 10 : 1;
        return;
    }
    if (s->lo > s->hi) {
        double t = s->lo;
        s->lo = s->hi;
        s->hi = t;
    }
    if (s->log) {
        if (!(s->hi > 0))
            s->hi = 1;
        if (!(s->lo > 0) || s->lo < s->hi * 1e-12)
            s->lo = s->hi * 1e-12 > 1e-300 ? s->hi * 1e-12 : 1e-300;
        if (s->hi <= s->lo * 1.000001) {
            s->lo /= 3.16227766;
            s->hi *= 3.16227766;
        }
        return;
    }
    if (s->hi - s->lo <= 1e-12 * (fabs(s->lo) + fabs(s->hi))) {
        double d = s->lo == 0 ? 0.5 : fabs(s->lo) * 0.1;
        s->lo -= d;
        s->hi += d;
    }
}

double
rs_scale_step(double lo, double hi, int nticks)
{
    if (nticks < 2)
        nticks = 2;
    double raw = (hi - lo) / (nticks - 1);
    if (!(raw > 0))
        return 1;
    double p = pow(10.0, floor(log10(raw)));
    double m = raw / p;
    double nice = m <= 1.0   ? 1
                  : m <= 2.0 ? 2
                  : m <= 2.5 ? 2.5
                  : m <= 5   ? 5
                             : 10;
    return nice * p;
}

void
rs_scale_nice(struct rs_scale *s, int nticks)
{
    rs_scale_fix(s);
    if (s->log) {
        s->lo = pow(10.0, floor(log10(s->lo) + 1e-9));
        s->hi = pow(10.0, ceil(log10(s->hi) - 1e-9));
        if (s->hi <= s->lo)
            s->hi = s->lo * 10;
        return;
    }
    double st = rs_scale_step(s->lo, s->hi, nticks);
    s->lo = floor(s->lo / st + 1e-9) * st;
    s->hi = ceil(s->hi / st - 1e-9) * st;
    if (s->hi <= s->lo)
        s->hi = s->lo + st;
}

static int
log_ticks(const struct rs_scale *s, int nticks, double *out, int max)
{
    int d0 = (int)ceil(log10(s->lo) - 1e-9);
    int d1 = (int)floor(log10(s->hi) + 1e-9);
    int nd = d1 - d0 + 1;
    int n = 0;
    if (nd >= 2) {
        int every = (nd + nticks - 1) / nticks;
        every = every < 1 ? 1 : every;
        /* anchor the thinning at the top decade */
        for (int d = d1 - ((d1 - d0) / every) * every; d <= d1; d += every)
            if (n < max)
                out[n++] = pow(10.0, d);
        return n;
    }
    /* less than two decades visible: 1, 2, 5 x 10^k */
    static const double mult[3] = {1, 2, 5};
    for (int d = d0 - 1; d <= d1 + 1; d++)
        for (int i = 0; i < 3; i++) {
            double v = mult[i] * pow(10.0, d);
            if (v >= s->lo * (1 - 1e-9) && v <= s->hi * (1 + 1e-9) && n < max)
                out[n++] = v;
        }
    return n;
}

int
rs_scale_ticks(const struct rs_scale *s, int nticks, double *out, int max,
               double *step)
{
    if (nticks < 2)
        nticks = 2;
    if (s->log) {
        if (step)
            *step = 0;
        return log_ticks(s, nticks, out, max);
    }
    double st = rs_scale_step(s->lo, s->hi, nticks);
    if (step)
        *step = st;
    int n = 0;
    double first = ceil(s->lo / st - 1e-9);
    for (double k = first; n < max; k += 1) {
        double v = k * st;
        if (v > s->hi + st * 1e-9)
            break;
        out[n++] = fabs(v) < st * 1e-9 ? 0 : v;
    }
    return n;
}
