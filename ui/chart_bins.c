/* repscope - MIT licence, see COPYING.
 *
 * chart_bins.c: where a chart's points go: the plot's dot geometry on its
 * scales (linear or log) and the binning of a series' buckets into dot
 * columns (count, min, max, mean and EMA per column), which the lines,
 * the envelope and the bands all draw from. UI thread (pure).
 */
#include "config.h"

#include "ui/chart_impl.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>

#include "core/base.h"

/* Cache the log bounds once the scales are final. */
void
rs_chart_plot_logs(struct rs_chart_plot *p)
{
    p->lx0 = p->sx.log ? log10(p->sx.lo) : 0;
    p->lx1 = p->sx.log ? log10(p->sx.hi) : 0;
    p->ly0 = p->sy.log ? log10(p->sy.lo) : 0;
    p->ly1 = p->sy.log ? log10(p->sy.hi) : 0;
}

/* rs_scale_pos with the cached bounds (the same arithmetic, so the same
 * bits). */
static double
plot_pos(const struct rs_scale *s, double l0, double l1, double v)
{
    if (s->log)
        return v > 0 ? (log10(v) - l0) / (l1 - l0) : (double)NAN;
    return (v - s->lo) / (s->hi - s->lo);
}

int
rs_chart_dot_x(const struct rs_chart_plot *p, double step)
{
    double f = plot_pos(&p->sx, p->lx0, p->lx1, step);
    if (isnan(f))
        return INT_MIN;
    f = f < -1 ? -1 : f > 2 ? 2 : f;
    return (int)lround(f * (p->W - 1));
}

int
rs_chart_dot_y(const struct rs_chart_plot *p, double v)
{
    double f = plot_pos(&p->sy, p->ly0, p->ly1, v);
    if (isnan(f))
        return INT_MIN;
    f = f < -1 ? -1 : f > 2 ? 2 : f;
    return (int)lround((1.0 - f) * (p->H - 1));
}

void
rs_chart_bins_alloc(struct rs_chart_bins *b, int W)
{
    b->cnt = rs_xcalloc((size_t)W, sizeof *b->cnt);
    b->lo = rs_xcalloc((size_t)W, sizeof *b->lo);
    b->hi = rs_xcalloc((size_t)W, sizeof *b->hi);
    b->sum = rs_xcalloc((size_t)W, sizeof *b->sum);
    b->ema = rs_xcalloc((size_t)W, sizeof *b->ema);
}

void
rs_chart_bins_free(struct rs_chart_bins *b)
{
    free(b->cnt);
    free(b->lo);
    free(b->hi);
    free(b->sum);
    free(b->ema);
}

static double
bucket_mid(const struct rs_bus_point *q)
{
    return 0.5 * (q->step_lo + q->step_hi);
}

/* Whether the buckets' mid steps never go down (bus series do not). */
static bool
in_step_order(const struct rs_chart_series *s)
{
    for (size_t i = 1; i < s->n; i++)
        if (!(bucket_mid(&s->pts[i]) >= bucket_mid(&s->pts[i - 1])))
            return false;
    return true;
}

/* The end of the run of buckets from i that land in column px, as bucket
 * i does, in a series in step order: dot_x does not decrease along it,
 * so gallop, then bisect. A long history crowds hundreds of buckets into
 * a column of a log axis; this places O(log run) of them, not each. */
static size_t
run_end(const struct rs_chart_plot *p, const struct rs_chart_series *s,
        size_t i, int px)
{
    size_t lo = i + 1, step = 1; /* buckets [i, lo) are in the run */
    size_t hi = s->n;            /* the first one off it is in [lo, hi] */
    while (lo < s->n) {
        size_t k = lo - 1 + step;
        if (k >= s->n)
            break;
        if (rs_chart_dot_x(p, bucket_mid(&s->pts[k])) != px) {
            hi = k;
            break;
        }
        lo = k + 1;
        step *= 2;
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (rs_chart_dot_x(p, bucket_mid(&s->pts[mid])) != px)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* Bin series s over the plot's dot columns; returns the largest number of
 * steps in one column. */
uint32_t
rs_chart_bin_series(const struct rs_chart_plot *p,
                    const struct rs_chart_series *s, double alpha,
                    struct rs_chart_bins *b)
{
    double *ema = NULL;
    uint32_t most = 0;
    if (alpha > 0 && s->n > 0) {
        ema = rs_xmalloc(s->n * sizeof *ema);
        rs_chart_ema(s, alpha, ema);
    }
    bool ordered = in_step_order(s);
    int px = INT_MIN;
    size_t next = 0; /* the first bucket not known to lie in column px */
    for (size_t i = 0; i < s->n; i++) {
        const struct rs_bus_point *q = &s->pts[i];
        if (i >= next) {
            px = rs_chart_dot_x(p, bucket_mid(q));
            next = ordered ? run_end(p, s, i, px) : i + 1;
        }
        if (px < 0 || px >= p->W)
            continue;
        uint32_t k = q->count > 0 ? q->count : 1;
        if (b->cnt[px] == 0) {
            b->lo[px] = q->min;
            b->hi[px] = q->max;
        } else {
            b->lo[px] = q->min < b->lo[px] ? q->min : b->lo[px];
            b->hi[px] = q->max > b->hi[px] ? q->max : b->hi[px];
        }
        b->cnt[px] += k;
        b->sum[px] += (double)q->mean * k;
        if (ema != NULL)
            b->ema[px] = ema[i];
        most = b->cnt[px] > most ? b->cnt[px] : most;
    }
    free(ema);
    return most;
}
