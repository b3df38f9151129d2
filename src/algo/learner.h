/* repscope - MIT licence, see COPYING.
 *
 * learner.h: a named bundle that trains: modules (their parameters), an
 * optimiser, a schedule and a step count, its own RNG stream, an
 * objective (algo/objective.h) and a data source (data/source.h). One
 * call per step:
 *   draw a batch (finite source: the next indices of the train split's
 *   epoch permutation, reshuffled with the learner's RNG when used up;
 *   generator: rs_source_draw from the learner's RNG), the objective's
 *   loss, backward, optimiser step at the scheduled rate (the optimiser's
 *   clip applies), zero the gradients; every eval_every steps (and at
 *   step 1) evaluate.
 * This is the supervised loop and the sequence trainer in one: with the
 * classify objective on a dataset source it takes exactly the supervised
 * loop's steps, with last_token on a seqtask source the sequence
 * trainer's.
 *
 * Metrics leave through a log callback under names built by rs_name
 * (core/names.h): "<name>/train/loss" for a learner called name, the bare
 * "train/loss" for the unnamed learner (name ""):
 *   train/loss  mean batch loss since the last log (every log_every)
 *   train/lr    the rate of the last step (every log_every)
 *   train/<x>   each extra scalar x the objective reports (struct
 *               rs_obj_stats: sparc's loss_g, loss_f): the mean since
 *               the last log, like train/loss (every log_every)
 *   train/acc   generators: mean batch accuracy since the last log
 *               (every log_every); finite sources: accuracy on (up to
 *               eval_n of) the train split (evaluations)
 *   reg/lambda  with a cdg_l2 objective (algo/demp.h): its strength at
 *               the last step (every log_every)
 *   reg/sigma   with live-only noise (rs_learner_set_noise): sigma_t of
 *               the last step (every log_every)
 *   test/loss, test/acc  evaluations: finite sources the test split;
 *               generators eval_n fresh examples of eval_len (0: the
 *               source's own draw) from the evaluation stream
 *
 * Evaluation draws of a generator come from an RNG seeded from (seed,
 * len) alone, so repeated evaluations see the same examples and never
 * touch the training stream. Return order everywhere: loss, then acc.
 *
 * A driver (an algorithm that owns the session step, such as PPO:
 * algo/ppo.h) may be attached: rs_learner_update then runs the driver's
 * update (which takes its own rs_learner_step calls) instead of one step.
 * With a driver attached the learner never evaluates (the driver owns the
 * cadence), log_every counts updates (the train/ metrics are the means
 * over the steps of the last log_every updates), and the driver's words
 * are part of the checkpoint state.
 *
 * Ownership: the learner retains its modules, objective and source; it
 * owns its graph, optimiser, RNG, epoch permutation and batch. Everything
 * that decides the next step (parameters and optimiser buffers aside) is
 * in rs_learner_state_save's words, so a learner restored from them (and
 * src/run/ckpt_learner.h) continues bit for bit. Worker thread only.
 */
#ifndef RS_ALGO_LEARNER_H
#define RS_ALGO_LEARNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "algo/objective.h"
#include "core/base.h"
#include "core/names.h"
#include "core/optim.h"
#include "core/prec.h"
#include "core/sched.h"
#include "core/tensor.h"
#include "data/source.h"
#include "nn/model.h"
#include "nn/module.h"
#include "probe/runner.h"

/* Modules a learner trains at most. */
#define RS_LEARNER_MAX_MODULES 8

struct rs_learner_config {
    char name[RS_NAME_OWNER_MAX + 1]; /* "": the unnamed learner */
    int batch;                        /* examples per step, 1..2^20 */
    long eval_every;   /* 0: never; else at step 1 and every N steps */
    int eval_n;        /* examples per evaluation; finite: 0 = whole split,
                          generators: 0 = batch */
    int eval_len;      /* generators: evaluation length (0: own draw) */
    long log_every;    /* the train/ metrics every N steps, >= 1 */
    uint64_t seed;     /* the batch stream; evaluations derive theirs */
    enum rs_prec prec; /* rounding of every op output */
    struct rs_optim_config optim; /* optim.clip_norm > 0: gradient clip */
    struct rs_sched sched;        /* the rate: sched.lr is the base rate */
    bool clip_per_module;         /* clip each module's gradients by their own
                                     norm (torch: one clip_grad_norm_ per
                                     network); false: one global norm */
};

/* Unnamed, batch 512, eval every 100 on whole splits, eval_len 0, log
 * every 10, seed 1, f32, AdamW (torch defaults), constant rate 1e-3, one
 * global clip norm (the supervised loop's defaults). */
void rs_learner_config_default(struct rs_learner_config *cfg);

/* Per-step results. */
struct rs_learner_stats {
    long step;   /* steps taken, this one included */
    int n, T;    /* examples, and tokens per example of input 0 (1 for
                    features) */
    double loss; /* this batch's loss */
    double acc;  /* this batch's accuracy (NaN: nothing scored) */
    double lr;   /* the rate this step used */
    struct rs_optim_stats optim;
    bool evaluated; /* an evaluation ran after this step: */
    double train_loss, train_acc, test_loss, test_acc;
};

typedef struct rs_learner rs_learner;

/* Metric sink: name is the full name (rs_name), borrowed for the call. */
typedef void (*rs_learner_log_fn)(void *ud, const char *name, double value);

/* A learner of modules[0..nmodules) (each retained; their parameters,
 * in module order, are what the optimiser trains) with obj and src (both
 * retained). NULL + err (RS_EINVAL naming the field) on a bad config or
 * name (rs_name_check_owner), no parameters, a parameter shared by two
 * modules, an empty train split, or an objective that refuses the
 * modules or the source. */
rs_learner *rs_learner_new(const struct rs_learner_config *cfg,
                           rs_nn_module *const *modules, int nmodules,
                           rs_objective *obj, rs_source *src,
                           struct rs_error *err);
void rs_learner_free(rs_learner *l); /* NULL: no-op */
void rs_learner_set_log(rs_learner *l, rs_learner_log_fn fn, void *ud);

/* One training step (see the top of this file). st may be NULL. Errors:
 * RS_ENONFINITE for a non-finite loss ("<name>/train/loss is nan") or
 * gradient (from the optimiser), graph errors. The parameters and the
 * step count are unchanged on error. */
RS_NODISCARD int rs_learner_step(rs_learner *l, struct rs_learner_stats *st,
                                 struct rs_error *err);
/* The same on a caller batch (checked against the source's info; no
 * draw, no evaluation; counts as a step). */
RS_NODISCARD int rs_learner_step_batch(rs_learner *l, const struct rs_batch *b,
                                       struct rs_learner_stats *st,
                                       struct rs_error *err);
/* Mean loss and accuracy (loss first), no-grad, in chunks. Finite
 * sources: the first n examples of split (n <= 0 or beyond: all), len
 * ignored. Generators: n (<= 0: eval_n, else batch) fresh examples of
 * len (0: the source's own draw) from the evaluation stream of (seed,
 * len), split ignored. loss / acc may be NULL; acc is NaN when the
 * objective scores nothing. */
RS_NODISCARD int rs_learner_eval(rs_learner *l, enum rs_split split, int n,
                                 int len, double *loss, double *acc,
                                 struct rs_error *err);

/* Autograd from Lua: a caller's backward has accumulated gradients into
 * the parameters; apply the optimiser at the scheduled rate, count the
 * step, zero the gradients and log loss like a step (no evaluation).
 * RS_ENONFINITE for a non-finite loss (gradients zeroed, nothing else
 * changes). */
RS_NODISCARD int rs_learner_apply(rs_learner *l, double loss,
                                  struct rs_error *err);
/* Draw the next training batch into the learner's batch (advances the
 * sampler and the RNG exactly as a step would); *out borrowed until the
 * next call on l. */
RS_NODISCARD int rs_learner_next_batch(rs_learner *l,
                                       const struct rs_batch **out,
                                       struct rs_error *err);

/* A new task mid-run: the objective checks src (retained); the epoch
 * permutation restarts (identity, reshuffled at the next draw), the RNG
 * and everything else continue. Unchanged on error. */
RS_NODISCARD int rs_learner_set_source(rs_learner *l, rs_source *src,
                                       struct rs_error *err);
/* Replace the objective (retained) after it checked the modules and the
 * source. Unchanged on error. */
RS_NODISCARD int rs_learner_set_objective(rs_learner *l, rs_objective *obj,
                                          struct rs_error *err);
/* Live changes. set_lr scales the schedule (base rate lr; lr_min keeps
 * its ratio). set_optim changes the optimiser's hyper-parameters
 * (rs_optim_set_config's validation). set_eval: eval_every, eval_n and
 * eval_len (>= 0). */
RS_NODISCARD int rs_learner_set_lr(rs_learner *l, float lr,
                                   struct rs_error *err);
RS_NODISCARD int rs_learner_set_optim(rs_learner *l,
                                      const struct rs_optim_config *cfg,
                                      struct rs_error *err);
RS_NODISCARD int rs_learner_set_eval(rs_learner *l, long every, int n, int len,
                                     struct rs_error *err);
/* Examples per step from the next step on, 1..2^20 (RS_EINVAL). */
RS_NODISCARD int rs_learner_set_batch(rs_learner *l, int batch,
                                      struct rs_error *err);

/* ---- DemP's live-only noise (learner_demp.c) ---------------------------- */

/* After each optimiser step (rs_learner_step, step_batch, apply), while
 * the gradients are still there:
 *   theta += sigma_t n * [|g| >= thr],   n ~ N(0, I)
 * with sigma_t = rs_demp_onecycle(eta, total, zero_end, t) (algo/demp.h)
 * at the step t being taken and g the step's gradient (after the
 * optimiser's clip). Entries with a zero gradient -- the weights in and
 * out of a dead ReLU unit -- get no noise ("Maxwell's Demon at Work",
 * arXiv 2403.07688). thr = 1e-8 is the authors' earlier code; their
 * latest writes |g| >= 0, which masks nothing, so thr = 0 reproduces it.
 * Normals (Marsaglia's polar method, in pairs, a pair's spare dropped
 * at the end of the step) are drawn, in registry order, only for the
 * entries that get noise, from the learner's noise stream: seeded from
 * the learner's seed at rs_learner_new, never reseeded, and in the
 * checkpoint state once noise was set. A step whose sigma_t is 0 draws
 * nothing. */
struct rs_learner_noise {
    double eta;    /* peak sigma, finite >= 0; 0: off */
    double thr;    /* the live mask |g| >= thr, finite >= 0; 1e-8 */
    long total;    /* the schedule's length in steps, >= 1 */
    bool zero_end; /* sigma 0 from floor(0.9 total) on; true */
};
/* eta 0 (off), thr 1e-8, total 1, zero_end. */
void rs_learner_noise_default(struct rs_learner_noise *nz);
/* Set from the next step on; RS_EINVAL naming the field otherwise. */
RS_NODISCARD int rs_learner_set_noise(rs_learner *l,
                                      const struct rs_learner_noise *nz,
                                      struct rs_error *err);
/* The current setting (borrowed). */
const struct rs_learner_noise *rs_learner_noise(const rs_learner *l);

/* ---- drivers (learner_driver.c) ---------------------------------------- */

/* An algorithm that owns the session step (one const instance per kind,
 * designated initialisers). update runs one session step on l (any
 * number of rs_learner_step calls) and may fill st; it returns RS_OK or
 * an error with err filled. state_words/save/load: the driver's
 * checkpoint words (everything that decides its next update besides the
 * learner's own state); load checks them against impl and changes
 * nothing on error (RS_EFORMAT with a message). destroy frees impl. */
struct rs_learner_driver_class {
    const char *kind; /* [a-z0-9_], at most 8 bytes: "ppo" */
    int (*update)(void *impl, rs_learner *l, struct rs_learner_stats *st,
                  struct rs_error *err);
    size_t (*state_words)(const void *impl);
    void (*state_save)(const void *impl, uint64_t *w);
    int (*state_load)(void *impl, const uint64_t *w, size_t n,
                      struct rs_error *err);
    void (*destroy)(void *impl);
    /* Optional (NULL: none): whether update reads module m although m is
     * not one of l's modules (dyneval's anchor), so that l never updates
     * side by side with a learner that trains m. */
    bool (*reads)(const void *impl, const rs_nn_module *m);
};

/* Attach cls with impl (ownership taken: freed by cls->destroy when l is
 * freed or another driver replaces it; cls NULL detaches, impl must then
 * be NULL). The update count starts at 0. */
void rs_learner_set_driver(rs_learner *l,
                           const struct rs_learner_driver_class *cls,
                           void *impl);
/* The driver's impl if its kind is kind, else NULL (borrowed). */
void *rs_learner_driver(const rs_learner *l, const char *kind);
/* The attached driver's kind (static), NULL without one. */
const char *rs_learner_driver_kind(const rs_learner *l);
/* One session step: the driver's update, or rs_learner_step without one.
 * st may be NULL. On error the update count is unchanged (what the
 * driver changed before failing is its own to say). */
RS_NODISCARD int rs_learner_update(rs_learner *l, struct rs_learner_stats *st,
                                   struct rs_error *err);
/* Session steps taken: updates with a driver, else rs_learner_steps. */
long rs_learner_updates(const rs_learner *l);

/* Matrices: a second sink beside the log callback. name is the full
 * name (rs_name), data (rows, cols) row-major; both borrowed for the
 * call. */
typedef void (*rs_learner_matrix_fn)(void *ud, const char *name, int rows,
                                     int cols, const float *data);
void rs_learner_set_matrix(rs_learner *l, rs_learner_matrix_fn fn, void *ud);
/* Hand data (rows, cols) to the matrix sink as "<learner>/<name>" (no
 * sink: nothing). */
void rs_learner_publish_matrix(rs_learner *l, const char *name, int rows,
                               int cols, const float *data);
/* Hand v to the log callback as "<learner>/<name>" (no callback:
 * nothing). name is a metric path such as "rl/return". */
void rs_learner_log_value(rs_learner *l, const char *name, double v);

/* Run modules[0] in no-grad mode on one batch for probes: finite sources
 * the first n examples of split (n <= 0 or beyond: all), generators n
 * (<= 0: eval_n, else batch) examples of eval_len from the evaluation
 * stream. Afterwards the module's layers and recorded tensors hold this
 * forward until the next call on l; repeated calls with the same split
 * and n and no step, eval or change in between reuse it. *rows gets the
 * batch size. The batch stays readable through rs_learner_probe_batch. */
RS_NODISCARD int rs_learner_probe_forward(rs_learner *l, enum rs_split split,
                                          int n, int *rows,
                                          struct rs_error *err);
/* The batch of the last probe_forward (borrowed, NULL before one). */
const struct rs_batch *rs_learner_probe_batch(const rs_learner *l);

/* Diagonal Fisher: out[i] (a new (shape of parameter i) heap tensor, the
 * caller's) = mean over `batches` training batches of `rows` examples
 * (0: the learner's batch size) of the squared gradient of the
 * objective's loss w.r.t. parameter i. With rows 1 this is the empirical
 * Fisher of per-example gradients; a batch of B averages B gradients
 * before squaring, which makes the estimate about B times smaller where
 * they are independent. Draws its batches
 * from a copy of the sampler (RNG, permutation, position): the learner's
 * parameters, optimiser, sampler and step count are unchanged, so a run
 * that computes a Fisher continues exactly as one that does not. It
 * consumes `batches` forwards and backwards on the learner's graph and
 * leaves every gradient zero (as between steps; pending gradients of a
 * Lua backward are dropped). out has rs_nn_model_count(rs_learner_params
 * (l)) entries; on error none is allocated. */
RS_NODISCARD int rs_learner_fisher(rs_learner *l, int batches, int rows,
                                   rs_tensor **out,
                                   struct rs_error *err);

/* Structured pruning mid-run (nn/surgery.h): remove units[0..n)
 * (0-based, distinct, leaving at least one) of probe-able layer `layer`
 * of modules[0], with their rows and columns in the neighbouring
 * parameters and their optimiser moments. The next step runs on the
 * smaller tensors. The learner remembers every cut (rs_learner_cuts), so
 * a checkpoint taken after it can be loaded into a learner freshly built
 * at the old width: rs_learner_replay_cuts applies the same cuts first.
 * RS_EINVAL (nothing changed) for a learner of several modules, an
 * objective holding per-parameter state (l2_anchor, ewc: set it again
 * after the cut), or what rs_nn_module_remove_units refuses. */
RS_NODISCARD int rs_learner_remove_units(rs_learner *l, const char *layer,
                                         const int *units, int n,
                                         struct rs_error *err);
/* The cuts so far as text ("" before any; borrowed until the next cut),
 * and applying a cut text made by another learner of the same build:
 * RS_EINVAL naming the cut that does not apply. */
const char *rs_learner_cuts(const rs_learner *l);
RS_NODISCARD int rs_learner_replay_cuts(rs_learner *l, const char *cuts,
                                        struct rs_error *err);

/* The probe runner's view of l (probe/runner.h): owner l's name (bare
 * names for the unnamed learner), modules[0] and its layers, the trained
 * parameters, the step count and the last step's gradient norm (NaN
 * before the first step), a no-grad forward on the first n examples of a
 * split (rs_learner_probe_forward) and their labels (the probe batch's).
 * Borrowed pointers: valid while l lives and keeps its modules. */
void rs_learner_probe_target(rs_learner *l, struct rs_probe_target *t);

/* One session step of ls[0..n): rs_learner_update of each. With
 * together, learners that can run side by side (below) update at once,
 * each on its own thread, and publish afterwards in learner order: the
 * same values, in the same order, as stepping them one after the other
 * (learner_par.c). Otherwise, or when they cannot, one after the other,
 * stopping at the first error. st (may be NULL) gets n stats. Errors:
 * the first failing learner's, in learner order; side by side, the
 * others' updates have happened. */
RS_NODISCARD int rs_learners_update(rs_learner *const *ls, int n,
                                    bool together,
                                    struct rs_learner_stats *st,
                                    struct rs_error *err);
/* Two or more learners that share no learner, module or objective, none
 * of whose objective chains runs outside its learner (kind "lua"), none
 * of whose kl_teacher teachers is a module or a teacher of another, and
 * none of whose drivers reads a module of another (the class's reads). */
bool rs_learners_can_run_together(rs_learner *const *ls, int n);

/* Accessors (borrowed while l lives). */
const char *rs_learner_name(const rs_learner *l);
int rs_learner_nmodules(const rs_learner *l);
rs_nn_module *rs_learner_module(const rs_learner *l, int i);
/* Every trained parameter: modules[0]'s registry for one module; for
 * several, a registry of "<i>.<name>" (1-based module index) sharing
 * the modules' tensors. */
rs_nn_model *rs_learner_params(const rs_learner *l);
rs_optim *rs_learner_optim(const rs_learner *l);
rs_objective *rs_learner_objective(const rs_learner *l);
rs_source *rs_learner_source(const rs_learner *l);
const struct rs_learner_config *rs_learner_config(const rs_learner *l);
long rs_learner_steps(const rs_learner *l);
/* The rate the next step will use. */
float rs_learner_lr(const rs_learner *l);
/* The stats of the last step (zero before the first). */
const struct rs_learner_stats *rs_learner_last(const rs_learner *l);
/* Build "<name>/part/..." (or the bare name) into out; see rs_name. */
const char *rs_learner_metric(const rs_learner *l, char out[RS_NAME_MAX],
                              const char *part1, const char *part2,
                              const char *part3);

/* Checkpoint state besides parameters, optimiser buffers and objective
 * tensors: steps, RNG, epoch permutation and position, log accumulators,
 * the optimiser's step count, the objective's words and the driver's
 * (kind, update count and its own words), as state_words 64-bit words.
 * load checks the layout against this learner (RS_EFORMAT with a
 * message: also a driver of another kind, or one missing on either side)
 * and changes nothing on error. */
size_t rs_learner_state_words(const rs_learner *l);
void rs_learner_state_save(const rs_learner *l, uint64_t *out);
RS_NODISCARD int rs_learner_state_load(rs_learner *l, const uint64_t *in,
                                       size_t n, struct rs_error *err);

#endif /* RS_ALGO_LEARNER_H */
