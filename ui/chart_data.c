/* repscope - MIT licence, see COPYING.
 *
 * chart_data.c: the chart's arithmetic, shared by the terminal chart
 * (chart.c) and the SVG export: ranges (a band's means included), the
 * value at a step, the EMA and threshold crossings over bus buckets
 * (chart.h). Pure; any thread.
 */
#include "config.h"

#include "ui/chart.h"

#include <math.h>
#include <string.h>

void
rs_chart_init(struct rs_chart *c)
{
    memset(c, 0, sizeof *c);
    c->x_min = c->x_max = c->y_min = c->y_max = NAN;
    c->x_label = "step";
}

/* Widen [*ylo, *yhi] to the bucket means of pts inside x's range
 * (positive ones on a log axis). */
static void
band_extent(const struct rs_bus_point *pts, size_t n, const struct rs_scale *x,
            bool log_y, double *ylo, double *yhi)
{
    for (size_t k = 0; k < n; k++) {
        double mid = 0.5 * (pts[k].step_lo + pts[k].step_hi);
        double v = pts[k].mean;
        if (mid < x->lo || mid > x->hi || !isfinite(v) || (log_y && !(v > 0)))
            continue;
        *ylo = v < *ylo ? v : *ylo;
        *yhi = v > *yhi ? v : *yhi;
    }
}

bool
rs_chart_ranges(const struct rs_chart *c, int nticks_y, struct rs_scale *x,
                struct rs_scale *y)
{
    double xlo = INFINITY, xhi = -INFINITY;
    x->log = c->log_x;
    y->log = c->log_y;
    for (int i = 0; i < c->nseries; i++) {
        const struct rs_chart_series *s = &c->series[i];
        for (size_t k = 0; k < s->n; k++) {
            double a = s->pts[k].step_lo, z = s->pts[k].step_hi;
            if (c->log_x && z <= 0)
                continue;
            if (c->log_x && a <= 0)
                a = z;
            xlo = a < xlo ? a : xlo;
            xhi = z > xhi ? z : xhi;
        }
    }
    if (!isnan(c->x_min))
        xlo = c->x_min;
    if (!isnan(c->x_max))
        xhi = c->x_max;
    x->lo = xlo;
    x->hi = xhi;
    rs_scale_fix(x);

    double ylo = INFINITY, yhi = -INFINITY;
    for (int i = 0; i < c->nseries; i++) {
        const struct rs_chart_series *s = &c->series[i];
        for (size_t k = 0; k < s->n; k++) {
            const struct rs_bus_point *p = &s->pts[k];
            double mid = 0.5 * (p->step_lo + p->step_hi);
            if (mid < x->lo || mid > x->hi)
                continue;
            double lo = p->min, hi = p->max;
            if (c->log_y) {
                if (!(hi > 0))
                    continue;
                if (!(lo > 0))
                    lo = p->mean > 0 ? (double)p->mean : hi;
            }
            ylo = lo < ylo ? lo : ylo;
            yhi = hi > yhi ? hi : yhi;
        }
        const struct rs_chart_band *b = c->bands != NULL ? &c->bands[i] : NULL;
        if (b != NULL && b->nlo > 0 && b->nhi > 0) { /* its bucket means */
            band_extent(b->lo, b->nlo, x, c->log_y, &ylo, &yhi);
            band_extent(b->hi, b->nhi, x, c->log_y, &ylo, &yhi);
        }
    }
    bool any = isfinite(ylo) && isfinite(yhi);
    y->lo = any ? ylo : (c->log_y ? 1 : 0);
    y->hi = any ? yhi : (c->log_y ? 10 : 1);
    struct rs_scale raw = *y;
    rs_scale_nice(y, nticks_y);
    /* Rounding out to ticks may waste much of a linear plot (data in
     * [-30, 230] would get [-100, 300]): then pad by 4% instead. */
    double span = raw.hi - raw.lo;
    if (!y->log && span > 0 &&
        (raw.lo - y->lo > 0.15 * span || y->hi - raw.hi > 0.15 * span)) {
        y->lo = raw.lo - 0.04 * span;
        y->hi = raw.hi + 0.04 * span;
    }
    if (!isnan(c->y_min))
        y->lo = c->y_min;
    if (!isnan(c->y_max))
        y->hi = c->y_max;
    rs_scale_fix(y);
    return any;
}

double
rs_chart_value_at(const struct rs_chart_series *s, double step)
{
    if (s->n == 0)
        return NAN;
    size_t lo = 0, hi = s->n; /* first bucket with step_hi >= step */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->pts[mid].step_hi < step)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == s->n)
        return s->pts[s->n - 1].mean;
    if (s->pts[lo].step_lo <= step || lo == 0)
        return s->pts[lo].mean;
    double dl = step - s->pts[lo - 1].step_hi;
    double dr = s->pts[lo].step_lo - step;
    return dl <= dr ? s->pts[lo - 1].mean : s->pts[lo].mean;
}

void
rs_chart_ema(const struct rs_chart_series *s, double alpha, double *out)
{
    double e = NAN;
    for (size_t i = 0; i < s->n; i++) {
        double k = s->pts[i].count > 0 ? s->pts[i].count : 1;
        double w = 1.0 - pow(1.0 - alpha, k);
        double m = s->pts[i].mean;
        e = isnan(e) ? m : e + w * (m - e);
        out[i] = e;
    }
}

bool
rs_chart_crossing(const struct rs_chart_series *s, double y, double *step)
{
    if (s->n == 0)
        return false;
    bool above = (double)s->pts[0].mean >= y;
    for (size_t i = 1; i < s->n; i++)
        if (((double)s->pts[i].mean >= y) != above) {
            *step = s->pts[i].step_lo;
            return true;
        }
    return false;
}
