/* repscope - MIT licence, see COPYING.
 *
 * supervised.h: the common training loop of a classifier, one call per
 * step: draw a batch, forward, loss, backward, optimiser step at the
 * scheduled rate, zero the gradients; every eval_every steps (and at step
 * 1) evaluate train and test accuracy in no-grad chunks. Metrics leave
 * through a log callback under stable names:
 *   train/loss  mean batch loss since the last log (every log_every steps)
 *   train/lr    the rate of the last step (every log_every steps)
 *   train/acc   accuracy on (up to eval_n of) the train split (evaluations)
 *   test/loss, test/acc   the same on the test split
 *
 * Batches are drawn without replacement: the train split is shuffled
 * with the trainer's own RNG each epoch and read in order (a batch larger
 * than the split wraps into the next epoch). The trainer owns its graph,
 * optimiser, RNG and the epoch permutation; it retains the module and the
 * dataset. Everything that decides the next step (parameters aside) is in
 * the optimiser and in rs_algo_supervised_state_save's words, so a run
 * restored from both continues bit for bit. Worker thread only.
 */
#ifndef RS_ALGO_SUPERVISED_H
#define RS_ALGO_SUPERVISED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base.h"
#include "core/graph.h"
#include "core/optim.h"
#include "core/prec.h"
#include "core/rng.h"
#include "core/sched.h"
#include "data/dataset.h"
#include "nn/module.h"

enum rs_algo_supervised_loss {
    RS_ALGO_SUPERVISED_CROSS_ENTROPY, /* mean -log softmax(logits)[y] */
    RS_ALGO_SUPERVISED_MSE_ONEHOT,    /* mean (out - onehot(y))^2 */
};

/* "cross_entropy", "mse_onehot"; parse returns -1 if unknown. */
const char *rs_algo_supervised_loss_name(enum rs_algo_supervised_loss l);
int rs_algo_supervised_loss_parse(const char *name);

struct rs_algo_supervised_config {
    enum rs_algo_supervised_loss loss;
    int batch;         /* examples per step, >= 1 */
    long eval_every;   /* 0: never; else at step 1 and every N steps */
    int eval_n;        /* examples per split per evaluation; 0: all */
    long log_every;    /* train/loss and train/lr every N steps, >= 1 */
    uint64_t seed;     /* the batch-sampling stream */
    enum rs_prec prec; /* rounding of every op output (core/prec.h) */
    struct rs_optim_config optim;
    struct rs_sched sched; /* the rate: sched.lr is the base rate */
};

/* Cross-entropy, batch 512, eval every 100 steps on whole splits, log
 * every 10, seed 1, f32, AdamW (torch defaults), constant rate 1e-3. */
void rs_algo_supervised_config_default(struct rs_algo_supervised_config *cfg);

/* Per-step results (the optimiser stats are the ones of this step). */
struct rs_algo_supervised_stats {
    long step;   /* steps taken, this one included */
    double loss; /* this batch's loss */
    double lr;   /* the rate this step used */
    struct rs_optim_stats optim;
    bool evaluated; /* an evaluation ran after this step: */
    double train_loss, train_acc, test_loss, test_acc;
};

typedef struct rs_algo_supervised rs_algo_supervised;

/* Metric sink: name is one of the names above (static strings). */
typedef void (*rs_algo_supervised_log_fn)(void *ud, const char *name,
                                          double value);

/* A trainer of module on data (both retained). The optimiser is built over
 * every parameter of the module's registry. NULL + err (RS_EINVAL naming
 * the field) on a bad config, an empty train split, or a module whose
 * input / output sizes do not match the dataset's input_dim / classes. */
rs_algo_supervised *
rs_algo_supervised_new(const struct rs_algo_supervised_config *cfg,
                       rs_nn_module *module, rs_dataset *data,
                       struct rs_error *err);
void rs_algo_supervised_free(rs_algo_supervised *tr);
void rs_algo_supervised_set_log(rs_algo_supervised *tr,
                                rs_algo_supervised_log_fn fn, void *ud);

/* One training step (see the top of this file). st may be NULL. Errors:
 * RS_ENONFINITE for a non-finite loss ("train/loss is nan") or gradient
 * (from the optimiser, naming the parameter), graph errors (shape). The
 * parameters are unchanged on error. */
RS_NODISCARD int rs_algo_supervised_step(rs_algo_supervised *tr,
                                         struct rs_algo_supervised_stats *st,
                                         struct rs_error *err);
/* The same on a caller batch x (n, input_dim), labels y (n) instead of a
 * drawn one (no evaluation; counts as a step). */
RS_NODISCARD int rs_algo_supervised_step_on(rs_algo_supervised *tr,
                                            const float *x, const int *y, int n,
                                            struct rs_algo_supervised_stats *st,
                                            struct rs_error *err);
/* Mean loss and accuracy over the first n examples of split (n <= 0 or
 * beyond the split: all), no-grad, in chunks. */
RS_NODISCARD int rs_algo_supervised_eval(rs_algo_supervised *tr,
                                         enum rs_split split, int n,
                                         double *loss, double *acc,
                                         struct rs_error *err);

/* Run the module in no-grad mode on the first n examples of split (n <= 0
 * or beyond the split: all) as one batch, for probes: afterwards
 * rs_nn_module_layer_preact/act(module, i) hold (rows, units) tensors
 * until the next call on this trainer. Repeated calls with the same split
 * and n and no step in between reuse the forward. *rows gets the batch
 * size. */
RS_NODISCARD int rs_algo_supervised_probe_forward(rs_algo_supervised *tr,
                                                  enum rs_split split, int n,
                                                  int *rows,
                                                  struct rs_error *err);

/* Accessors (borrowed while tr lives). */
rs_nn_module *rs_algo_supervised_module(const rs_algo_supervised *tr);
rs_dataset *rs_algo_supervised_data(const rs_algo_supervised *tr);
rs_optim *rs_algo_supervised_optim(const rs_algo_supervised *tr);
const struct rs_algo_supervised_config *
rs_algo_supervised_config(const rs_algo_supervised *tr);
/* Steps taken so far. */
long rs_algo_supervised_steps(const rs_algo_supervised *tr);
/* The rate the next step will use. */
float rs_algo_supervised_lr(const rs_algo_supervised *tr);
/* The stats of the last step (zero before the first). */
const struct rs_algo_supervised_stats *
rs_algo_supervised_last(const rs_algo_supervised *tr);

/* Live changes. set_lr scales the schedule (base rate lr; lr_min keeps its
 * ratio to the base). set_optim changes the optimiser's hyper-parameters
 * (rs_optim_set_config's validation). set_eval changes eval_every and
 * eval_n (>= 0). */
RS_NODISCARD int rs_algo_supervised_set_lr(rs_algo_supervised *tr, float lr,
                                           struct rs_error *err);
RS_NODISCARD int rs_algo_supervised_set_optim(rs_algo_supervised *tr,
                                              const struct rs_optim_config *cfg,
                                              struct rs_error *err);
RS_NODISCARD int rs_algo_supervised_set_eval(rs_algo_supervised *tr, long every,
                                             int n, struct rs_error *err);

/* Checkpoint state besides parameters and optimiser buffers: steps, RNG,
 * epoch permutation and position, the loss accumulator and the optimiser's
 * step count, as 64-bit words (state_words of them). load checks the
 * layout against this trainer (RS_EFORMAT with a message otherwise). */
size_t rs_algo_supervised_state_words(const rs_algo_supervised *tr);
void rs_algo_supervised_state_save(const rs_algo_supervised *tr, uint64_t *out);
RS_NODISCARD int rs_algo_supervised_state_load(rs_algo_supervised *tr,
                                               const uint64_t *in, size_t n,
                                               struct rs_error *err);

#endif /* RS_ALGO_SUPERVISED_H */
