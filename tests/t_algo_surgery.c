/* repscope - MIT licence, see COPYING.
 *
 * t_algo_surgery.c: removing units from a learner mid-run
 * (rs_learner_remove_units). An MLP learner trains a few Adam steps, then
 * (one hidden layer) loses 3/4 of its hidden units, chosen by index. Checked:
 *   - the loss of the remaining network equals the loss of a freshly
 *     built smaller network given the same weights (on whole splits);
 *   - Adam's moments moved with their units;
 *   - the next step is smaller: fewer parameters and fewer multiply-adds
 *     per example (work, not wall time: no timed tests);
 *   - a checkpoint taken after the cut loads into a learner built at the
 *     original width (the cut is replayed) and both continue bit for bit;
 *   - refusals (several modules, a regulariser with parameter-shaped
 *     state, a bad unit) change nothing.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo/learner.h"
#include "algo/objective.h"
#include "core/rng.h"
#include "data/dataset.h"
#include "data/source.h"
#include "nn/mlp.h"
#include "nn/module.h"
#include "run/ckpt.h"
#include "run/ckpt_learner.h"
#include "tests/learn_fixture.h"
#include "tests/tap.h"

enum { P = 13, IN = 2 * P, WIDTH = 32, KEEP = WIDTH / 4 };

static rs_learner *
learner(rs_nn_module *m, rs_source *src, rs_objective *obj)
{
    struct rs_learner_config lc;
    rs_learner_config_default(&lc);
    lc.batch = 32;
    lc.eval_every = 0;
    lc.log_every = 5;
    lc.seed = 3;
    lc.optim.lr = 1e-2f;
    lc.sched.lr = 1e-2f;
    rs_learner *l = tap_learner(&lc, m, obj, src);
    rs_nn_module_release(m); /* the learner holds it */
    return l;
}

static rs_tensor *
param(rs_learner *l, const char *name)
{
    rs_tensor *t = rs_nn_model_lookup(rs_learner_params(l), name);
    if (t == NULL)
        tap_bail("no parameter %s", name);
    return t;
}

/* Multiply-adds of one example through the Linear layers. */
static long
macs(rs_learner *l)
{
    long s = 0;
    rs_nn_model *m = rs_learner_params(l);
    for (int i = 0; i < rs_nn_model_count(m); i++) {
        const rs_tensor *t = rs_nn_model_param(m, i);
        if (t->ndim == 2)
            s += (long)t->shape[0] * t->shape[1];
    }
    return s;
}

/* The optimiser slot of a parameter. */
static int
slot(rs_learner *l, const rs_tensor *t)
{
    rs_optim *o = rs_learner_optim(l);
    for (int i = 0; i < rs_optim_nparams(o); i++)
        if (rs_optim_param(o, i) == t)
            return i;
    tap_bail("parameter not in the optimiser");
}

int
main(void)
{
    tap_plan_lazy();
    struct rs_error err = {0};
    rs_source *src = tap_modular_source(P, '+', 0.5f, 2);
    rs_objective *ce = tap_classify();

    rs_nn_module *m = tap_mlp(IN, WIDTH, 1, P, 5);
    rs_learner *l = learner(m, src, ce);
    tap_learner_steps(l, 6);

    /* units to keep: every fourth, counted from the back; removed: the
     * rest, listed in a scrambled order */
    int keep[KEEP], removed[WIDTH - KEEP], nr = 0;
    for (int k = 0; k < KEEP; k++)
        keep[k] = 3 + 4 * k;
    for (int u = WIDTH - 1; u >= 0; u--)
        if (u % 4 != 3)
            removed[nr++] = u;
    for (int i = 0; i + 1 < nr; i += 2) { /* scramble pairs */
        int t = removed[i];
        removed[i] = removed[i + 1];
        removed[i + 1] = t;
    }

    /* what the kept units had before the cut */
    rs_tensor *w1 = param(l, "l1.weight"), *b1 = param(l, "l1.bias");
    rs_tensor *w2 = param(l, "l2.weight");
    rs_optim *o = rs_learner_optim(l);
    int s1 = slot(l, w1), s2 = slot(l, w2);
    float *m1 = malloc((size_t)KEEP * IN * sizeof *m1);
    float *v2 = malloc((size_t)P * KEEP * sizeof *v2);
    for (int k = 0; k < KEEP; k++)
        memcpy(m1 + (size_t)k * IN,
               rs_optim_state(o, s1, 0) + (size_t)keep[k] * IN,
               IN * sizeof *m1);
    for (int r = 0; r < P; r++)
        for (int k = 0; k < KEEP; k++)
            v2[r * KEEP + k] = rs_optim_state(o, s2, 1)[r * WIDTH + keep[k]];
    long macs_before = macs(l);
    size_t numel_before = rs_nn_model_numel(rs_learner_params(l));

    /* a refused cut changes nothing */
    int dup[2] = {1, 1};
    tap_ok(rs_learner_remove_units(l, "l1", dup, 2, &err) == RS_EINVAL &&
               param(l, "l1.weight") == w1,
           "a repeated unit is refused, nothing cut: %s", err.msg);
    tap_ok(rs_learner_remove_units(l, "l9", removed, nr, &err) == RS_EINVAL,
           "an unknown layer is refused: %s", err.msg);

    err.msg[0] = '\0';
    tap_ok(rs_learner_remove_units(l, "l1", removed, nr, &err) == RS_OK,
           "3/4 of l1's units removed: %s", err.msg);
    w1 = param(l, "l1.weight");
    b1 = param(l, "l1.bias");
    w2 = param(l, "l2.weight");
    tap_ok(w1->shape[0] == KEEP && b1->shape[0] == KEEP && w2->shape[1] == KEEP,
           "l1 has %d rows, l2 %d columns", w1->shape[0], w2->shape[1]);

    /* a fresh network of width KEEP given the same weights */
    rs_nn_module *small = tap_mlp(IN, KEEP, 1, P, 99);
    rs_nn_model *sm = rs_nn_module_model(small);
    rs_nn_model *lm = rs_learner_params(l);
    for (int i = 0; i < rs_nn_model_count(sm); i++) {
        rs_tensor *dst = rs_nn_model_param(sm, i);
        const rs_tensor *from =
            rs_nn_model_lookup(lm, rs_nn_model_param_name(sm, i));
        if (from == NULL || from->numel != dst->numel)
            tap_bail("parameter %s does not match",
                     rs_nn_model_param_name(sm, i));
        memcpy(dst->data, from->data, dst->numel * sizeof(float));
    }
    rs_learner *ls = learner(small, src, ce);
    for (int split = 0; split < 2; split++) {
        double la, aa, lb, ab;
        if (rs_learner_eval(l, (enum rs_split)split, 0, 0, &la, &aa, &err) ||
            rs_learner_eval(ls, (enum rs_split)split, 0, 0, &lb, &ab, &err))
            tap_bail("eval: %s", err.msg);
        tap_is_float(la, lb, 1e-6, 0,
                     "%s loss of the cut network = a fresh small one's",
                     rs_dataset_split_name((enum rs_split)split));
        tap_is_float(aa, ab, 0, 0, "%s accuracy equal",
                     rs_dataset_split_name((enum rs_split)split));
    }

    o = rs_learner_optim(l);
    s1 = slot(l, w1);
    s2 = slot(l, w2);
    tap_is_floats(rs_optim_state(o, s1, 0), m1, (size_t)KEEP * IN, 0, 0,
                  "Adam m of l1.weight moved with its rows");
    tap_is_floats(rs_optim_state(o, s2, 1), v2, (size_t)P * KEEP, 0, 0,
                  "Adam v of l2.weight moved with its columns");

    long macs_after = macs(l);
    size_t numel_after = rs_nn_model_numel(rs_learner_params(l));
    tap_ok(macs_after * 2 < macs_before, "multiply-adds per example %ld -> %ld",
           macs_before, macs_after);
    tap_ok(numel_after < numel_before, "parameters %zu -> %zu", numel_before,
           numel_after);
    tap_ok(strncmp(rs_learner_cuts(l), "l1:", 3) == 0 &&
               strchr(rs_learner_cuts(l), ';') != NULL,
           "the cut is recorded: %.40s...", rs_learner_cuts(l));

    /* checkpoint after the cut; a learner built at the original width
     * replays the cut on load, then both continue bit for bit */
    tap_learner_steps(l, 3);
    rs_ckpt *ck = rs_ckpt_new();
    rs_ckpt_learner_save(ck, l);
    rs_learner *l2 = learner(tap_mlp(IN, WIDTH, 1, P, 5), src, ce);
    tap_ok(rs_ckpt_learner_load(ck, l2, &err) == RS_OK,
           "a full-width learner loads the cut checkpoint: %s", err.msg);
    tap_is_int(param(l2, "l1.weight")->shape[0], KEEP,
               "the load replayed the cut");
    struct rs_learner_stats sa, sb;
    bool same = true, falls;
    double first = NAN, last = NAN, acc;
    if (rs_learner_eval(l, RS_SPLIT_TRAIN, 0, 0, &first, &acc, &err) != RS_OK)
        tap_bail("eval: %s", err.msg);
    for (int i = 0; i < 40; i++) {
        if (rs_learner_step(l, &sa, &err) != RS_OK ||
            rs_learner_step(l2, &sb, &err) != RS_OK)
            tap_bail("step: %s", err.msg);
        same = same && memcmp(&sa.loss, &sb.loss, sizeof sa.loss) == 0;
    }
    if (rs_learner_eval(l, RS_SPLIT_TRAIN, 0, 0, &last, &acc, &err) != RS_OK)
        tap_bail("eval: %s", err.msg);
    falls = isfinite(last) && last < first;
    tap_ok(same, "the resumed learner continues bit for bit");
    tap_ok(falls, "training goes on after the cut: train loss %.4f -> %.4f",
           first, last);
    /* a learner cut differently refuses the checkpoint */
    rs_learner *l3 = learner(tap_mlp(IN, WIDTH, 1, P, 5), src, ce);
    int one = 0;
    if (rs_learner_remove_units(l3, "l1", &one, 1, &err) != RS_OK)
        tap_bail("cut: %s", err.msg);
    tap_ok(rs_ckpt_learner_load(ck, l3, &err) == RS_EFORMAT &&
               strstr(err.msg, "removed as") != NULL,
           "a learner cut otherwise refuses it: %s", err.msg);
    rs_ckpt_free(ck);

    /* an objective with parameter-shaped state refuses the cut */
    rs_objective *reg = rs_objective_l2_anchor(ce, 0.1f, &err);
    if (reg == NULL)
        tap_bail("l2_anchor: %s", err.msg);
    rs_learner *l4 = learner(tap_mlp(IN, WIDTH, 1, P, 5), src, reg);
    tap_ok(rs_learner_remove_units(l4, "l1", removed, nr, &err) == RS_EINVAL &&
               strstr(err.msg, "l2_anchor") != NULL &&
               param(l4, "l1.weight")->shape[0] == WIDTH,
           "l2_anchor: refused, nothing cut: %s", err.msg);

    rs_learner_free(l4);
    rs_objective_release(reg);
    rs_learner_free(l3);
    rs_learner_free(l2);
    rs_learner_free(ls);
    rs_learner_free(l);
    rs_objective_release(ce);
    rs_source_release(src);
    free(m1);
    free(v2);
    return tap_done();
}
