/* repscope - MIT licence, see COPYING.
 *
 * t_core_sched.c: learning-rate schedules at known points (core/sched.h),
 * and the one rule for a warm-up longer than the run.
 */
#include "config.h"

#include "core/base.h"
#include "core/sched.h"
#include "tests/tap.h"

static void
test_sched(void)
{
    struct rs_sched s;
    rs_sched_init(&s, RS_SCHED_CONSTANT, 0.1f, 1000);
    tap_ok(s.pct_start == 0.3f && s.div_factor == 25.0f &&
               s.final_div == 1e4f && s.warmup == 0 && s.lr_min == 0.0f,
           "sched defaults");
    tap_is_float(rs_sched_lr(&s, 0), 0.1, 0.0, 1e-7, "constant at 0");
    tap_is_float(rs_sched_lr(&s, 5000), 0.1, 0.0, 1e-7, "constant late");

    /* Warmup 10 to 0.1: lr * step / 10. */
    s.warmup = 10;
    tap_is_float(rs_sched_lr(&s, 0), 0.0, 1e-12, 0.0, "warmup start 0");
    tap_is_float(rs_sched_lr(&s, 5), 0.05, 0.0, 1e-6, "warmup half");
    tap_is_float(rs_sched_lr(&s, 9), 0.09, 0.0, 1e-6, "warmup step 9");
    tap_is_float(rs_sched_lr(&s, 10), 0.1, 0.0, 1e-7, "warmup end");

    /* Linear 1 -> 0.1 over steps 10..110: midpoint 60 = 0.55. */
    rs_sched_init(&s, RS_SCHED_LINEAR, 1.0f, 110);
    s.warmup = 10;
    s.lr_min = 0.1f;
    tap_is_float(rs_sched_lr(&s, 10), 1.0, 0.0, 1e-7, "linear after warmup");
    tap_is_float(rs_sched_lr(&s, 60), 0.55, 0.0, 1e-6, "linear midpoint");
    tap_is_float(rs_sched_lr(&s, 85), 0.325, 0.0, 1e-6, "linear 3/4");
    tap_is_float(rs_sched_lr(&s, 110), 0.1, 0.0, 1e-6, "linear end");
    tap_is_float(rs_sched_lr(&s, 500), 0.1, 0.0, 1e-6, "linear holds");

    /* Cosine 1 -> 0.1: midpoint (lr + lr_min) / 2 = 0.55; a quarter in:
     * 0.1 + 0.45 (1 + cos(pi/4)) = 0.86819805. */
    s.kind = RS_SCHED_COSINE;
    tap_is_float(rs_sched_lr(&s, 5), 0.5, 0.0, 1e-6, "cosine warmup");
    tap_is_float(rs_sched_lr(&s, 10), 1.0, 0.0, 1e-7, "cosine start");
    tap_is_float(rs_sched_lr(&s, 35), 0.86819805, 0.0, 1e-6, "cosine quarter");
    tap_is_float(rs_sched_lr(&s, 60), 0.55, 0.0, 1e-6, "cosine midpoint");
    tap_is_float(rs_sched_lr(&s, 110), 0.1, 0.0, 1e-6, "cosine end");
    tap_is_float(rs_sched_lr(&s, 1000), 0.1, 0.0, 1e-6, "cosine holds");

    /* OneCycleLR(max_lr 0.1, total 100): initial 0.1 / 25 = 0.004, peak
     * at step 0.3 * 100 - 1 = 29, final 0.004 / 1e4 = 4e-7 at step 99;
     * phase-2 midpoint step 64 = (0.1 + 4e-7) / 2. Intermediate values
     * are torch 1.13's. pct_start is the float 0.3f, so the peak step
     * is 29.0000012 instead of 29: tolerance 1e-6 relative. */
    rs_sched_init(&s, RS_SCHED_ONECYCLE, 0.1f, 100);
    static const struct {
        long step;
        double lr;
    } oc[] = {{0, 0.004},
              {1, 0.004281378056590748},
              {10, 0.029516394846410082},
              {14, 0.04940133238789996},
              {29, 0.1},
              {30, 0.09994965352845243},
              {50, 0.0793893450575732},
              {64, 0.0500002},
              {99, 4e-07},
              {150, 4e-07}};
    for (size_t i = 0; i < RS_ARRAY_LEN(oc); i++)
        tap_is_float(rs_sched_lr(&s, oc[i].step), oc[i].lr, 0.0, 1e-6,
                     "onecycle step %ld", oc[i].step);
}

static void
test_fit_warmup(void)
{
    struct rs_sched s;
    rs_sched_init(&s, RS_SCHED_COSINE, 1.0f, 0);
    s.warmup = 500;
    tap_is_int(rs_sched_fit_warmup(&s, 3), 500,
               "a 3-step run: the old warm-up is returned");
    tap_is_int(s.warmup, 0, "and the warm-up is 3 / 10 = 0");
    s.warmup = 500;
    tap_is_int(rs_sched_fit_warmup(&s, 500), 500, "total = warmup: refit");
    tap_is_int(s.warmup, 50, "to a tenth of the run");
    tap_is_int(rs_sched_fit_warmup(&s, 501), -1, "a warm-up that fits stays");
    tap_is_int(s.warmup, 50, "unchanged");
    tap_is_int(rs_sched_fit_warmup(&s, 0), -1, "no planned length: left");
    rs_sched_init(&s, RS_SCHED_ONECYCLE, 1.0f, 100);
    s.warmup = 200;
    tap_is_int(rs_sched_fit_warmup(&s, 100), -1, "onecycle is left alone");
    tap_is_int(s.warmup, 200, "its warm-up field untouched");
}

int
main(void)
{
    tap_plan_lazy();
    test_sched();
    test_fit_warmup();
    return tap_done();
}
