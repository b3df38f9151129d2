/* repscope - MIT licence, see COPYING.
 *
 * sched.c: learning-rate schedules, pure functions of the step computed in
 * double. Conventions (steps count from 0):
 *   - warmup (constant, linear, cosine): lr * step / warmup for
 *     step < warmup, so step 0 runs at 0 and step `warmup` at lr (the
 *     Hugging Face get_*_schedule_with_warmup convention);
 *   - linear/cosine decay from lr at step `warmup` to lr_min at step
 *     `total`, and lr_min from then on;
 *   - onecycle: torch.optim.lr_scheduler.OneCycleLR with
 *     anneal_strategy='cos', three_phase=False: cosine from lr/div_factor
 *     at step 0 up to lr at step pct_start*total - 1, then cosine down to
 *     lr/div_factor/final_div at step total - 1, held after that (torch
 *     raises past total). Only the rate: torch's cycle_momentum (beta1) is
 *     not emulated. warmup and lr_min are ignored.
 * Any thread.
 */
#include "config.h"

#include "core/sched.h"

#include <math.h>
#include <string.h>

void
rs_sched_init(struct rs_sched *s, enum rs_sched_kind kind, float lr, long total)
{
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->lr = lr;
    s->lr_min = 0.0f;
    s->warmup = 0;
    s->total = total;
    s->pct_start = 0.3f;
    s->div_factor = 25.0f;
    s->final_div = 1e4f;
}

static const double pi = 3.14159265358979323846;

/* torch's _annealing_cos: start at pct 0, end at pct 1. */
static double
anneal_cos(double start, double end, double pct)
{
    return end + (start - end) / 2.0 * (cos(pi * pct) + 1.0);
}

/* OneCycleLR.get_lr with torch's phase order; steps past total - 1 hold
 * the rate of step total - 1. */
static double
onecycle_lr(const struct rs_sched *s, long step)
{
    double max_lr = (double)s->lr;
    double initial = max_lr / (double)s->div_factor;
    double min_lr = initial / (double)s->final_div;
    long total = s->total > 1 ? s->total : 1;
    double end1 = (double)s->pct_start * (double)total - 1.0;
    double end2 = (double)(total - 1);
    double x = (double)(step < total - 1 ? step : total - 1);
    if (x <= end1) /* end1 is 0 only when x is 0: the peak itself */
        return anneal_cos(initial, max_lr, end1 > 0.0 ? x / end1 : 1.0);
    /* end1 < x <= end2, so the span is positive */
    return anneal_cos(max_lr, min_lr, (x - end1) / (end2 - end1));
}

float
rs_sched_lr(const struct rs_sched *s, long step)
{
    if (step < 0)
        step = 0;
    if (s->kind == RS_SCHED_ONECYCLE)
        return (float)onecycle_lr(s, step);

    double lr = (double)s->lr;
    double lr_min = (double)s->lr_min;
    if (s->warmup > 0 && step < s->warmup)
        return (float)(lr * (double)step / (double)s->warmup);
    if (s->kind == RS_SCHED_CONSTANT)
        return s->lr;
    if (step >= s->total)
        return s->lr_min;
    long start = s->warmup > 0 ? s->warmup : 0;
    /* start <= step < total here, so the span is positive. */
    double frac = (double)(step - start) / (double)(s->total - start);
    if (s->kind == RS_SCHED_LINEAR)
        return (float)(lr + (lr_min - lr) * frac);
    return (float)(lr_min + (lr - lr_min) * 0.5 * (1.0 + cos(pi * frac)));
}

const char *
rs_sched_kind_name(enum rs_sched_kind kind)
{
    switch (kind) {
    case RS_SCHED_CONSTANT:
        return "constant";
    case RS_SCHED_LINEAR:
        return "linear";
    case RS_SCHED_COSINE:
        return "cosine";
    case RS_SCHED_ONECYCLE:
        return "onecycle";
    }
    return "?";
}

int
rs_sched_kind_parse(const char *name)
{
    static const enum rs_sched_kind kinds[] = {
        RS_SCHED_CONSTANT, RS_SCHED_LINEAR, RS_SCHED_COSINE, RS_SCHED_ONECYCLE};
    if (name == NULL)
        return -1;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(name, rs_sched_kind_name(kinds[i])) == 0)
            return (int)kinds[i];
    return -1;
}

long
rs_sched_fit_warmup(struct rs_sched *s, long total)
{
    if (s->kind == RS_SCHED_ONECYCLE || s->warmup <= 0 || total <= 0 ||
        total > s->warmup)
        return -1;
    long old = s->warmup;
    s->warmup = total / 10;
    return old;
}
