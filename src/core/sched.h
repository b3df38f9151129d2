/* repscope - MIT licence, see COPYING.
 *
 * sched.h: learning-rate schedules as pure functions of the step (so a
 * resumed run gets exactly the same rate). Steps count from 0.
 */
#ifndef RS_CORE_SCHED_H
#define RS_CORE_SCHED_H

enum rs_sched_kind {
    RS_SCHED_CONSTANT, /* lr, after an optional linear warmup */
    RS_SCHED_LINEAR,   /* warmup, then linear decay to lr_min at total */
    RS_SCHED_COSINE,   /* warmup, then cosine decay to lr_min at total */
    RS_SCHED_ONECYCLE  /* torch OneCycleLR (cosine annealing) */
};

struct rs_sched {
    enum rs_sched_kind kind;
    float lr;       /* peak / base rate */
    float lr_min;   /* floor of linear/cosine decay */
    long warmup;    /* steps of linear warmup from 0 (0: none) */
    long total;     /* schedule length; after it the last rate holds */
    /* one-cycle: as torch, initial = lr/div_factor, final =
     * initial/final_div; the peak is reached at pct_start * total. */
    float pct_start, div_factor, final_div;
};

/* A constant schedule at lr; one-cycle defaults as torch (0.3, 25, 1e4). */
void rs_sched_init(struct rs_sched *s, enum rs_sched_kind kind, float lr,
                   long total);
float rs_sched_lr(const struct rs_sched *s, long step);
/* The one rule for a warm-up that does not fit the run: when a run of
 * `total` steps (> 0) is no longer than s's warm-up, the warm-up becomes
 * total / 10, so a short run keeps its schedule's shape. onecycle (which
 * has no warm-up of its own) and total <= 0 are left alone. Returns the
 * old warm-up when it changed s, else -1. */
long rs_sched_fit_warmup(struct rs_sched *s, long total);
const char *rs_sched_kind_name(enum rs_sched_kind kind);
/* "constant", "linear", "cosine", "onecycle"; -1 if unknown. */
int rs_sched_kind_parse(const char *name);

#endif /* RS_CORE_SCHED_H */
