/* repscope - MIT licence, see COPYING.
 *
 * seqtrain.h: training the decoder-only transformer (nn/transformer.h) on
 * the synthetic sequence tasks (data/seqtask.h). One call per step: draw
 * a content length uniformly in [min_len, max_len] (shared by the whole
 * batch), draw the batch, forward, mean cross-entropy of the logits at
 * the last position (the query) against the answers, backward, optimiser
 * step at the scheduled rate (with the optimiser's global-norm clip),
 * zero the gradients. Metrics leave through a log callback under the
 * supervised trainer's names (every log_every steps, means since the
 * last log):
 *   train/loss  batch loss      train/acc  batch accuracy at the query
 *   train/lr    the rate of the last step
 *
 * Evaluation draws n fresh samples of exactly len content tokens from an
 * RNG seeded from (seed, len) alone, so repeated evaluations of the same
 * len see the same samples and are comparable across steps; it never
 * touches the training stream.
 *
 * Ownership: the transformer is borrowed (it must outlive the trainer;
 * the trainer never frees it); the trainer owns its graph, optimiser
 * (over every parameter of rs_nn_transformer_model, which must not gain
 * or replace parameters while the trainer lives), RNG and scratch. The
 * transformer's recorded tensors after a step or an evaluation point into
 * the trainer's graph, which is reset before the call returns: probes run
 * their own forward. Worker thread only.
 */
#ifndef RS_ALGO_SEQTRAIN_H
#define RS_ALGO_SEQTRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base.h"
#include "core/optim.h"
#include "core/prec.h"
#include "core/sched.h"
#include "data/seqtask.h"
#include "nn/transformer.h"

struct rs_algo_seqtrain_config {
    struct rs_seqtask_config task;
    int batch;         /* samples per step, 1..2^20 */
    long log_every;    /* the train/ metrics every N steps, >= 1 */
    uint64_t seed;     /* the batch stream; evaluations derive theirs */
    enum rs_prec prec; /* rounding of every op output (core/prec.h) */
    struct rs_optim_config optim; /* optim.clip_norm > 0: gradient clip */
    struct rs_sched sched;        /* the rate: sched.lr is the base rate */
};

/* Task defaults (copy_first, 1..16), batch 32, log every 10, seed 1, f32,
 * AdamW (torch defaults: lr 1e-3, wd 0.01), constant rate 1e-3, no
 * clip. */
void rs_algo_seqtrain_config_default(struct rs_algo_seqtrain_config *cfg);

/* Per-step results. */
struct rs_algo_seqtrain_stats {
    long step;   /* steps taken, this one included */
    int len, T;  /* content tokens and sequence length of this batch */
    double loss; /* this batch's mean loss at the query */
    double acc;  /* this batch's accuracy at the query */
    double lr;   /* the rate this step used */
    struct rs_optim_stats optim;
};

typedef struct rs_algo_seqtrain rs_algo_seqtrain;

/* Metric sink: name is one of the names above (static strings). */
typedef void (*rs_algo_seqtrain_log_fn)(void *ud, const char *name,
                                        double value);

/* A trainer of tf (borrowed) on cfg->task. NULL + err (RS_EINVAL naming
 * the field and value) on a bad config, or when the task does not fit the
 * model: vocab < RS_SEQ_VOCAB, out < rs_seqtask_classes, or a sample of
 * max_len longer than ctx. */
rs_algo_seqtrain *
rs_algo_seqtrain_new(const struct rs_algo_seqtrain_config *cfg,
                     rs_nn_transformer *tf, struct rs_error *err);
void rs_algo_seqtrain_free(rs_algo_seqtrain *st); /* NULL: no-op */
void rs_algo_seqtrain_set_log(rs_algo_seqtrain *st, rs_algo_seqtrain_log_fn fn,
                              void *ud);

/* One training step (see the top of this file); stats may be NULL.
 * Errors: RS_ENONFINITE for a non-finite loss ("seqtrain: train/loss is
 * nan") or gradient (from the optimiser, naming the parameter), graph
 * errors. The parameters and the step count are unchanged on error. */
RS_NODISCARD int rs_algo_seqtrain_step(rs_algo_seqtrain *st,
                                       struct rs_algo_seqtrain_stats *stats,
                                       struct rs_error *err);

/* Accuracy and mean loss at the query over n (1..2^20) fresh samples of
 * exactly len content tokens of the current task (len may exceed
 * max_len), no-grad, in chunks. acc / loss may be NULL. RS_EINVAL when
 * len is outside 1..RS_SEQTASK_MAX_LEN, its samples are longer than the
 * model's ctx, or (counting tasks) an answer up to len does not fit the
 * model's out logits. */
RS_NODISCARD int rs_algo_seqtrain_eval(rs_algo_seqtrain *st, int len, int n,
                                       double *acc, double *loss,
                                       struct rs_error *err);

/* Replace the task between steps (copied), e.g. a new sep_every; the same
 * checks as rs_algo_seqtrain_new. Unchanged on error. */
RS_NODISCARD int rs_algo_seqtrain_set_task(rs_algo_seqtrain *st,
                                           const struct rs_seqtask_config *task,
                                           struct rs_error *err);
/* Live changes of the optimiser's hyper-parameters (rs_optim_set_config's
 * validation) and of the base rate (lr_min keeps its ratio to it). */
RS_NODISCARD int rs_algo_seqtrain_set_optim(rs_algo_seqtrain *st,
                                            const struct rs_optim_config *cfg,
                                            struct rs_error *err);
RS_NODISCARD int rs_algo_seqtrain_set_lr(rs_algo_seqtrain *st, float lr,
                                         struct rs_error *err);

/* Accessors (borrowed while st lives). */
rs_nn_transformer *rs_algo_seqtrain_model(const rs_algo_seqtrain *st);
rs_optim *rs_algo_seqtrain_optim(const rs_algo_seqtrain *st);
const struct rs_algo_seqtrain_config *
rs_algo_seqtrain_config(const rs_algo_seqtrain *st);
const struct rs_seqtask_config *
rs_algo_seqtrain_task(const rs_algo_seqtrain *st);
long rs_algo_seqtrain_steps(const rs_algo_seqtrain *st);
/* The rate the next step will use. */
float rs_algo_seqtrain_lr(const rs_algo_seqtrain *st);
/* The stats of the last step (zero before the first). */
const struct rs_algo_seqtrain_stats *
rs_algo_seqtrain_last(const rs_algo_seqtrain *st);

/* Checkpoint state besides parameters and optimiser buffers: steps, the
 * batch RNG, the log accumulators, the optimiser's step count and the
 * current task, as state_words 64-bit words. load checks the layout, the
 * batch size and the task against the model (RS_EFORMAT with a message)
 * and changes nothing on error. */
size_t rs_algo_seqtrain_state_words(const rs_algo_seqtrain *st);
void rs_algo_seqtrain_state_save(const rs_algo_seqtrain *st, uint64_t *out);
RS_NODISCARD int rs_algo_seqtrain_state_load(rs_algo_seqtrain *st,
                                             const uint64_t *in, size_t n,
                                             struct rs_error *err);

#endif /* RS_ALGO_SEQTRAIN_H */
