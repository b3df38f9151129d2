/* repscope - MIT licence, see COPYING.
 *
 * runner.h: the probe runner. A probe spec (rank, dead, norms or linear)
 * runs on a target -- one learner's module and parameters, reached
 * through callbacks, since probe sits below algo -- and publishes its
 * values and matrices through a sink, every name built by core/names.h
 * with the target's owner in front:
 *   rank    <owner>/probe/srank/<layer>, <owner>/probe/erank/<layer>,
 *           <owner>/probe/sigma1/<layer> (the largest singular value of
 *           the matrix decomposed: centred when the spec centres),
 *           matrix <owner>/spectrum/<layer> (1 x min(N, C) singular
 *           values, descending)
 *   dead    <owner>/probe/dead/<layer> (the fraction of units never > 0
 *           on the probed rows), <owner>/probe/zombie/<layer> (the
 *           fraction > 0 on every probed row: linearised units of a
 *           ReLU), matrix <owner>/neurons/<layer> (1 x units activation
 *           frequency)
 *   norms   <owner>/norm/weight, <owner>/norm/grad (after a step), with
 *           per_layer <owner>/norm/weight/<prefix> per parameter prefix
 *           ("l1" of "l1.weight"), first-seen order
 *   linear  <owner>/probe/linear/<layer> (test accuracy of a ridge probe
 *           fitted on the train split, probe/linprobe.h),
 *           <owner>/probe/linear_train/<layer>, and the matrix
 *           <owner>/linear: layers x probe times, the last
 *           RS_PROBE_LINEAR_HIST test accuracies (rows labelled by layer,
 *           columns by step)
 * The owner "" (the unnamed learner) gives the bare names of older
 * scenes and logs ("probe/srank/l3", "spectrum/l3", "linear").
 *
 * A runner owns one spec (copied) and the state it keeps between runs:
 * the linear history, one per owner, so one spec may run on several
 * learners. Worker thread only (the target's forward runs the model).
 */
#ifndef RS_PROBE_RUNNER_H
#define RS_PROBE_RUNNER_H

#include <stdbool.h>

#include "core/base.h"
#include "data/modular.h"
#include "nn/model.h"
#include "nn/module.h"

/* Probe times the linear history keeps (the columns of "linear"). */
#define RS_PROBE_LINEAR_HIST 200

enum rs_probe_kind {
    RS_PROBE_RANK,
    RS_PROBE_DEAD,
    RS_PROBE_NORMS,
    RS_PROBE_LINEAR
};

/* Which recorded tensor of a layer a rank or dead probe reads. */
enum rs_probe_on { RS_PROBE_ON_PREACT, RS_PROBE_ON_ACT };

struct rs_probe_spec {
    enum rs_probe_kind kind;
    long every;          /* steps between runs, >= 1 (rs_probe_runner_due) */
    enum rs_split split; /* rank, dead: the examples probed */
    int n;               /* rank, dead, linear: first n examples, 0 all;
                          * linear needs 0 or >= 2 */
    enum rs_probe_on on; /* rank, dead */
    bool centre;         /* rank: centre the columns before the SVD */
    bool covrank;        /* rank: also the deep-grokking covariance rank,
                          * probe/covrank/<layer> (rs_probe_rank_cov) */
    double delta;        /* rank: srank_delta, in [0, 1) */
    double lambda;       /* linear: ridge strength, finite > 0 */
    bool per_layer;      /* norms: one norm per parameter prefix too */
    int nlayers;         /* 0: every layer of the module, in order */
    const char *const *layers; /* (nlayers) names; borrowed by the caller's
                                * spec, copied by the runner */
};

/* The defaults of a kind (what rs.probe.<kind>{} gives): every 100
 * (norms 10, linear 250), split test, n 1024, on preact for rank and act
 * otherwise, no centring, delta RS_PROBE_RANK_DELTA, lambda
 * RS_PROBE_LINPROBE_LAMBDA, every layer. */
void rs_probe_runner_spec_init(struct rs_probe_spec *s,
                               enum rs_probe_kind kind);
/* RS_OK when the fields are in range, else RS_EINVAL naming the field. */
RS_NODISCARD int rs_probe_runner_spec_check(const struct rs_probe_spec *s,
                                            struct rs_error *err);
/* "rank", "dead", "norms", "linear" (static). */
const char *rs_probe_runner_kind_name(enum rs_probe_kind kind);

/* What a probe runs on. All members borrowed for one run; the learner
 * (rs_learner_probe_target) or the binding fills it just before. */
struct rs_probe_target {
    const char *owner;    /* learner name, "" or NULL for bare names */
    rs_nn_module *module; /* layers and their recorded tensors */
    rs_nn_model *params;  /* norms */
    long step;            /* steps taken: the linear history's column */
    double grad_norm;     /* the last step's gradient norm; NaN before
                           * the first step (no norm/grad then) */
    /* No-grad forward of the first n examples (0: all) of split, as one
     * batch; afterwards rs_nn_module_layer_preact/act(module, i) hold
     * (rows, units) tensors until the next forward. *rows gets the batch
     * size. RS_OK or a status with err set. */
    int (*forward)(void *ud, enum rs_split split, int n, int *rows,
                   struct rs_error *err);
    /* Linear only: the labels y (n) of the same first n examples of split
     * (n as forward returned it), each in [0, classes). */
    int (*labels)(void *ud, enum rs_split split, int n, int *y,
                  struct rs_error *err);
    int classes; /* linear: label classes, >= 2 */
    void *ud;
};

/* Where the values go (either function may be NULL). name is borrowed
 * for the call; row_labels/col_labels are NULL or rows/cols strings,
 * borrowed for the call; data is (rows, cols) row-major. */
struct rs_probe_sink {
    void (*log)(void *ud, const char *name, double value);
    void (*matrix)(void *ud, const char *name, int rows, int cols,
                   const float *data, const char *const *row_labels,
                   const char *const *col_labels);
    void *ud;
};

typedef struct rs_probe_runner rs_probe_runner;

/* A runner for a copy of spec; NULL + err (RS_EINVAL) when the spec does
 * not check. */
rs_probe_runner *rs_probe_runner_new(const struct rs_probe_spec *spec,
                                     struct rs_error *err);
void rs_probe_runner_free(rs_probe_runner *r);
/* Replace the spec (checked first; on error nothing changes). A change of
 * kind, layers or lambda drops the linear histories; every, n and the
 * rest keep them. */
RS_NODISCARD int rs_probe_runner_set_spec(rs_probe_runner *r,
                                          const struct rs_probe_spec *spec,
                                          struct rs_error *err);
/* The spec in force (its layer names borrowed while r lives and keeps
 * it). */
const struct rs_probe_spec *rs_probe_runner_spec(const rs_probe_runner *r);
/* Whether the probe runs at step (a multiple of every). */
bool rs_probe_runner_due(const rs_probe_runner *r, long step);

/* Run the probe once on t and publish through sink. Errors (status +
 * err): a layer the module does not have or that recorded nothing
 * (RS_EINVAL, naming it), the target's forward or labels failing, a
 * probe's numerics (RS_ELAPACK, RS_ENONFINITE). Values published before
 * an error stay published; the linear history only grows on success.
 * A module without layers publishes nothing for rank, dead and linear. */
RS_NODISCARD int rs_probe_runner_run(rs_probe_runner *r,
                                     const struct rs_probe_target *t,
                                     const struct rs_probe_sink *sink,
                                     struct rs_error *err);

/* The linear history of owner (NULL: none yet): rows layers, cols probe
 * times, the steps (cols) and the accuracies (rows, cols) row-major, all
 * borrowed until the next run or set_spec. For checkpoints and tests. */
bool rs_probe_runner_history(const rs_probe_runner *r, const char *owner,
                             int *rows, int *cols, const long **steps,
                             const float **acc);

#endif /* RS_PROBE_RUNNER_H */
