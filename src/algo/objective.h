/* repscope - MIT licence, see COPYING.
 *
 * objective.h: what a learner minimises, as a const class per kind (like
 * the op table and nn/module.h) with one file per member:
 *   classify    cross_entropy | mse_onehot of modules[0]'s output against
 *               the labels (FEATURES: the output rows; TOKENS: the logits
 *               at the last position) -- the supervised loop's loss
 *   last_token  classify on a TOKENS model, the query (last) position of
 *               a sequence-task batch -- the sequence trainer's loss
 *   next_token, l2_anchor, ewc, kl_teacher, lua: see their files.
 *
 * An objective builds its scalar loss on the learner's graph from the
 * learner's modules and the current batch, and reports how many
 * predictions it scored and how many were right; evaluation is generic
 * (the learner sums the stats over chunks with gradients off), so every
 * objective gets (loss, acc), in that order, for free.
 *
 * Objectives are refcounted (plain int: worker thread only); a learner
 * retains the one it uses. An objective may keep state (an anchor, a
 * Fisher diagonal, a step count) that a checkpoint must carry: u64 words
 * and named float tensors.
 */
#ifndef RS_ALGO_OBJECTIVE_H
#define RS_ALGO_OBJECTIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base.h"
#include "core/graph.h"
#include "core/tensor.h"
#include "data/source.h"
#include "nn/model.h"
#include "nn/module.h"

typedef struct rs_objective rs_objective;

/* What an objective is checked against when a learner adopts it (at
 * rs_learner_new, rs_learner_set_objective and rs_learner_set_source). */
struct rs_obj_env {
    rs_nn_module *const *modules; /* modules[0] is "the model" */
    int nmodules;
    rs_nn_model *params; /* every parameter the learner trains */
    const struct rs_source_info *si;
};

/* What a loss sees. */
struct rs_obj_ctx {
    rs_graph *g; /* the learner's graph; gradients on unless evaluating */
    rs_nn_module *const *modules;
    int nmodules;
    rs_nn_model *params;
    const struct rs_batch *batch;
    rs_tensor *out; /* set by the objective: modules[0]'s output (what
                       regularisers such as kl_teacher read) */
    long step;      /* steps the learner has taken before this one */
    bool train;     /* false while evaluating */
};

/* Named scalars an objective may report per step besides its loss. */
#define RS_OBJ_MAX_EXTRAS 6

/* Filled by loss: correct predictions among count scored (count 0: the
 * objective scores none, accuracy is reported as NaN). loss is set by the
 * learner to the returned scalar's value. Extras: nextra (0..
 * RS_OBJ_MAX_EXTRAS) named values of this batch, e.g. the terms of a sum
 * of losses; name is a static string of [a-z0-9_] (the same names in the
 * same slots every step), which a learner logs while training as
 * "<learner>/train/<name>", the mean since the last log like
 * train/loss. */
struct rs_obj_stats {
    double loss;
    double correct;
    double count;
    int nextra;
    struct rs_obj_extra {
        const char *name;
        double value;
    } extra[RS_OBJ_MAX_EXTRAS];
};

struct rs_objective_class {
    const char *kind; /* "classify", "last_token", "next_token", ... */
    /* The models and the source fit this objective: RS_OK, or RS_EINVAL
     * with a message naming the objective, the field and the value. May
     * bind (e.g. take an anchor snapshot of env->params). */
    int (*check)(rs_objective *o, const struct rs_obj_env *env,
                 struct rs_error *err);
    /* The scalar loss (a (1) tensor) on c->g, or NULL with the graph's
     * error set. */
    rs_tensor *(*loss)(rs_objective *o, struct rs_obj_ctx *c,
                       struct rs_obj_stats *st);
    /* Checkpoint state (all may be NULL: none): u64 words, and named
     * float tensors (names unique, [A-Za-z0-9_.]). state_load changes
     * nothing on error (RS_EFORMAT with a message). */
    size_t (*state_words)(const rs_objective *o);
    void (*state_save)(const rs_objective *o, uint64_t *w);
    int (*state_load)(rs_objective *o, const uint64_t *w, size_t n,
                      struct rs_error *err);
    int (*tensors)(const rs_objective *o);
    rs_tensor *(*tensor)(const rs_objective *o, int i, const char **name);
    void (*destroy)(void *impl);
};

/* Wrap impl (ownership taken, freed by cls->destroy) with one reference.
 * Never fails. */
rs_objective *rs_objective_new(const struct rs_objective_class *cls,
                               void *impl);
void rs_objective_retain(rs_objective *o);
/* Drop one reference; frees at zero. NULL is a no-op. */
void rs_objective_release(rs_objective *o);
void *rs_objective_impl(const rs_objective *o);
/* cls->kind. Static string. */
const char *rs_objective_kind(const rs_objective *o);
const struct rs_objective_class *rs_objective_class(const rs_objective *o);

/* Wrappers of the class (absent state callbacks: no state). */
RS_NODISCARD int rs_objective_check(rs_objective *o,
                                    const struct rs_obj_env *env,
                                    struct rs_error *err);
rs_tensor *rs_objective_loss(rs_objective *o, struct rs_obj_ctx *c,
                             struct rs_obj_stats *st);
size_t rs_objective_state_words(const rs_objective *o);
void rs_objective_state_save(const rs_objective *o, uint64_t *w);
RS_NODISCARD int rs_objective_state_load(rs_objective *o, const uint64_t *w,
                                         size_t n, struct rs_error *err);
int rs_objective_tensors(const rs_objective *o);
/* Tensor i (borrowed while o lives) and its name (static or o's). */
rs_tensor *rs_objective_tensor(const rs_objective *o, int i, const char **name);

/* ---- helpers for members ---------------------------------------------- */

/* Input i of c->batch as a module input: FEATURES copies x into a new
 * (n, width) tensor on c->g (NULL: the graph's error is set); TOKENS
 * points at the batch's ids. */
RS_NODISCARD int rs_obj_input(const struct rs_obj_ctx *c, int i,
                              struct rs_nn_input *in);
/* m's output on input i of the batch, or NULL with c->g's error set. */
rs_tensor *rs_obj_forward(struct rs_obj_ctx *c, rs_nn_module *m, int i);
/* Rows of out (n, C) whose first maximum is at y[row]. */
long rs_obj_count_correct(const rs_tensor *out, const int *y, int n);
/* If m is a transformer, refuse (RS_EINVAL) a source whose ids
 * (si->vocab[0]) or rows of si->width[0] tokens it cannot take. The
 * message starts with kind; rows says what the source's rows are and how
 * long ("windows have", "sequences have up to"). */
RS_NODISCARD int rs_obj_check_transformer(const rs_nn_module *m,
                                          const struct rs_source_info *si,
                                          const char *kind, const char *rows,
                                          struct rs_error *err);

/* ---- classify and last_token (obj_classify.c) ------------------------- */

enum rs_obj_classify_loss {
    RS_OBJ_CROSS_ENTROPY, /* mean -log softmax(out)[y] */
    RS_OBJ_MSE_ONEHOT,    /* mean (out - onehot(y))^2 */
};
/* "cross_entropy", "mse_onehot"; parse returns -1 if unknown. */
const char *rs_obj_classify_loss_name(enum rs_obj_classify_loss l);
int rs_obj_classify_loss_parse(const char *name);

/* classify: modules[0] on input 0 against the labels. FEATURES: out
 * (n, classes); TOKENS: out (n, T, C), scored at the last position. check
 * refuses an unlabelled source and a model whose output size differs
 * from the classes (FEATURES; TOKENS: fewer logits than classes). */
rs_objective *rs_objective_classify(enum rs_obj_classify_loss loss,
                                    struct rs_error *err);
/* last_token: classify with cross-entropy, on a TOKENS source only (the
 * sequence tasks' query position). */
rs_objective *rs_objective_last_token(struct rs_error *err);

/* ---- members written by other files append their builders here ------- */

/* ---- next_token (obj_next_token.c) ------------------------------------ */

/* next_token: the language-model loss on a TOKENS model and source.
 * modules[0] reads the whole window ids (n, W) -> logits (n, W, V);
 * position t < W - 1 is scored against ids[:, t + 1] (mean cross-entropy
 * over the n (W - 1) predictions; accuracy: argmax == next id). c->out is
 * the scored logits (n, W - 1, V). check refuses a feature model or
 * source, windows shorter than 2, fewer logits than the vocab and (a
 * transformer) a vocab or ctx too small for the source. */
rs_objective *rs_objective_next_token(struct rs_error *err);

/* ---- clip and sparc (obj_sparc.c) ------------------------------------- */

/* Image-text contrastive objectives on a paired source: input 0 image
 * features to modules[0], giving patch embeddings v (n, P, d); input 1
 * caption ids (PAD = 0, masked everywhere) to modules[1], giving token
 * embeddings t (n, L, d); modules[2]'s forward (on a (1, 1) zero tensor)
 * gives the log-temperature, one number: tau = exp of it.
 *   L_g  the global loss (eq. (1) of SPARC, "Improving fine-grained
 *        understanding in image-text pre-training", arXiv 2401.09865):
 *        symmetric cross-entropy of cos(vbar_i, tbar_j) / tau, vbar the
 *        mean of the patches, tbar the mean of the caption's non-pad
 *        tokens;
 *   L_f  the fine-grained loss (eqs. (2)-(6)): per token, s_lp = t_l . v_p,
 *        min-max normalised over the patches (eps 1e-6 on the range),
 *        zeroed below sigma = sigma_mult / P (sparse), renormalised to
 *        weights a_lp (eps 1e-6 on the sum); c_l = sum_p a_lp v_p; the
 *        symmetric cross-entropy of cos(c_l, t_k) / tau_f over the
 *        caption's other tokens (negatives "caption"), averaged over the
 *        caption's tokens, then over the captions.
 * loss = lambda_g L_g + lambda_f L_f. A term whose weight is 0 is still
 * computed, without gradient, so it can be logged. Stats: extras
 * "loss_g" and "loss_f"; accuracy: the image-to-caption R@1 within the
 * batch (the argmax of a row of the global logits is its own caption).
 * Captions without any token are left out of every term. */
enum rs_obj_sparc_align {
    RS_OBJ_SPARC_MINMAX,  /* eqs. (2)-(4) */
    RS_OBJ_SPARC_SOFTMAX, /* ablation: a_lp = softmax_p(s_lp / tau_f) */
};
enum rs_obj_sparc_negatives {
    RS_OBJ_SPARC_CAPTION, /* eq. (6): the caption's other tokens */
    RS_OBJ_SPARC_BATCH,   /* every token of the batch, except other
                             occurrences of the same id (the same word is
                             no negative) */
};
struct rs_obj_sparc_config {
    double lambda_g;   /* >= 0; 0.5 */
    double lambda_f;   /* >= 0; 1 */
    double sigma_mult; /* sigma = sigma_mult / P, in [0, P]; 1 */
    bool sparse;       /* threshold at sigma (false: the no-sparsity
                          ablation, sigma = 0); true */
    enum rs_obj_sparc_align align;         /* minmax */
    enum rs_obj_sparc_negatives negatives; /* caption */
    bool tau_f; /* L_f (and softmax alignment) use their own learned
                   log-temperature, modules[3]; false: modules[2]'s */
};
/* The paper's settings (the values after ';' above). */
void rs_obj_sparc_config_default(struct rs_obj_sparc_config *cfg);
/* "minmax" / "softmax", "caption" / "batch"; parse returns -1 if
 * unknown. */
const char *rs_obj_sparc_align_name(enum rs_obj_sparc_align a);
int rs_obj_sparc_align_parse(const char *name);
const char *rs_obj_sparc_negatives_name(enum rs_obj_sparc_negatives n);
int rs_obj_sparc_negatives_parse(const char *name);

/* clip: lambda_g = 1, lambda_f = 0 (L_f logged with the default
 * config's alignment). kind "clip". Never fails. */
rs_objective *rs_objective_clip(struct rs_error *err);
/* sparc with cfg (copied); NULL + err (RS_EINVAL naming the field) on a
 * bad value. kind "sparc". check refuses a source that is not (features,
 * tokens), modules that do not take them, and fewer than 3 modules (4
 * with tau_f). */
rs_objective *rs_objective_sparc(const struct rs_obj_sparc_config *cfg,
                                 struct rs_error *err);
/* The config of a clip or sparc objective (borrowed), else NULL. */
const struct rs_obj_sparc_config *
rs_objective_sparc_config(const rs_objective *o);
/* The alignment weights a (n, L, P) of t (n, L, d) against v (n, P, d)
 * under cfg's align, sparse and sigma_mult, on g (differentiable);
 * inv_tau_f (numel 1) is 1 / tau_f, used by softmax alignment only (may
 * be NULL for minmax). NULL with g's error set on a shape mismatch. */
rs_tensor *rs_obj_sparc_align(rs_graph *g,
                              const struct rs_obj_sparc_config *cfg,
                              rs_tensor *t, rs_tensor *v,
                              rs_tensor *inv_tau_f);

/* ---- regularisers (obj_regularise.c, obj_kl.c) ----------------------- */

/* How a regulariser's weight w0 changes as the learner steps: after
 * `step` learner steps the weight is max(w0 decay^floor(step / every),
 * floor) -- the decay per update with a floor of the knowledge-retention
 * losses (arXiv 2402.02868), `every` being the learner steps of one
 * update (a PPO update's epochs times its minibatches). */
struct rs_obj_schedule {
    double decay; /* (0, 1]; 1: constant */
    double floor; /* in [0, w0]; 0 */
    long every;   /* >= 1; 1 */
};
void rs_obj_schedule_default(struct rs_obj_schedule *s);
/* RS_EINVAL naming kind and the field on a bad schedule for weight w0. */
RS_NODISCARD int rs_obj_schedule_check(const char *kind, double w0,
                                       const struct rs_obj_schedule *s,
                                       struct rs_error *err);
double rs_obj_schedule_weight(const struct rs_obj_schedule *s, double w0,
                              long step);

/* Each wraps base (retained) and adds a term to its loss while training;
 * evaluations report the base's loss and accuracy. Counts and
 * accuracies are the base's. NULL + err (RS_EINVAL naming the field) on
 * a missing base or a bad weight. w_t is the weight under the wrapper's
 * schedule (constant unless set).
 *   l2_anchor   w_t / 2 * |theta - anchor|^2 over every parameter the
 *               learner trains (w0 = lambda >= 0);
 *   ewc         w_t / 2 * sum_i F_i (theta_i - anchor_i)^2 with a
 *               diagonal Fisher F (w0 = lambda >= 0; fisher_batches >= 0
 *               is what rs_objective_prepare estimates it over; 0: give it
 *               with rs_objective_ewc_preset_fisher or set it with
 *               rs_objective_ewc_set_fisher); extra "ewc": the sum
 *               without w_t / 2;
 *   kl_teacher  w_t tau^2 * mean over rows of KL(softmax(t / tau) ||
 *               softmax(s / tau)), t the logits of teacher (retained,
 *               never trained: check refuses a teacher whose parameters
 *               the learner trains) and s the model's (w0 = beta >= 0,
 *               tau > 0); the rows are the base's scored predictions on
 *               the same input, or, with a buffer, rows drawn from it
 *               (obj_kl.c); extra "kl": the mean KL.
 * The anchor is a copy of the parameters taken when a learner first
 * checks the objective (rs_learner_new / set_objective); later checks
 * (set_source) only verify that it still fits the parameters' names and
 * shapes. Checkpoint tensors: "<kind>.anchor.<param>",
 * "ewc.fisher.<param>", "kl_teacher.teacher.<param>" ("<kind><k>" for
 * the k-th wrapper of one kind down a chain), then the base's. */
rs_objective *rs_objective_l2_anchor(rs_objective *base, double lambda,
                                     struct rs_error *err);
rs_objective *rs_objective_ewc(rs_objective *base, double lambda,
                               int fisher_batches, struct rs_error *err);
rs_objective *rs_objective_kl_teacher(rs_objective *base, rs_nn_module *teacher,
                                      double beta, double tau,
                                      struct rs_error *err);
/* Set the schedule of o, an l2_anchor, ewc or kl_teacher; RS_EINVAL for
 * another kind or a bad schedule (nothing changed). */
RS_NODISCARD int rs_objective_set_schedule(rs_objective *o,
                                           const struct rs_obj_schedule *s,
                                           struct rs_error *err);
/* The weight w_t at step of o, an l2_anchor, ewc or kl_teacher; NaN for
 * other kinds. */
double rs_objective_weight(const rs_objective *o, long step);
/* kl_teacher's own (obj_kl.c; rs_objective_set_schedule calls them). */
RS_NODISCARD int
rs_objective_kl_teacher_schedule(rs_objective *o,
                                 const struct rs_obj_schedule *s,
                                 struct rs_error *err);
double rs_objective_kl_teacher_weight(const rs_objective *o, long step);
/* Rows a kl_teacher draws per step from a buffer, at most. */
#define RS_OBJ_KL_MAX_BATCH 65536
/* Give a kl_teacher a static buffer: states (n, features) is copied, and
 * each training step draws `batch` rows uniformly with replacement from
 * it (a stream seeded by seed, saved in checkpoints) and scores the
 * teacher and the model there instead of on the base's rows. The model
 * and the teacher must take those features (checked when a learner
 * adopts it). RS_EINVAL naming the value. */
RS_NODISCARD int rs_objective_kl_teacher_buffer(rs_objective *o,
                                                const rs_tensor *states,
                                                int batch, uint64_t seed,
                                                struct rs_error *err);
/* The teacher of a kl_teacher (borrowed), NULL for other kinds. */
rs_nn_module *rs_objective_teacher(const rs_objective *o);
/* The base of a kl_teacher (borrowed), NULL for other kinds. */
rs_objective *rs_objective_kl_teacher_base(const rs_objective *o);
/* How rs_objective_ewc_preset_fisher scales the given Fisher. */
enum rs_obj_fisher_norm {
    RS_OBJ_FISHER_RAW,  /* as given */
    RS_OBJ_FISHER_MEAN, /* divided by the mean of its entries */
    RS_OBJ_FISHER_MAX,  /* divided by its largest entry */
};
/* "none", "mean", "max"; parse returns -1 if unknown. */
const char *rs_obj_fisher_norm_name(enum rs_obj_fisher_norm n);
int rs_obj_fisher_norm_parse(const char *name);
/* Give an ewc its Fisher before a learner adopts it: copies of
 * fisher[0..n) (finite, >= 0, not all 0 unless RAW), scaled by norm over
 * all their entries, become the Fisher of the first n parameters the
 * learner trains (modules[0]'s, in registry order) when it first
 * anchors; every other parameter gets 0 (not held). A learner whose
 * first n parameters differ in shape is refused at check. RS_EINVAL
 * naming the value (nothing changed). */
RS_NODISCARD int rs_objective_ewc_preset_fisher(rs_objective *o,
                                                rs_tensor *const *fisher,
                                                int n,
                                                enum rs_obj_fisher_norm norm,
                                                struct rs_error *err);
/* The objective a regulariser (or cdg_l2, below) wraps (borrowed), NULL
 * for other kinds. */
rs_objective *rs_objective_base(const rs_objective *o);
/* Every l2_anchor and ewc down o's chain takes params (the learner's:
 * rs_learner_params) as its new anchor; an ewc's Fisher stays when the
 * shapes are unchanged. RS_EINVAL when o has no anchor. */
RS_NODISCARD int rs_objective_reanchor(rs_objective *o,
                                       const rs_nn_model *params,
                                       struct rs_error *err);
/* Copy n tensors (one per parameter, same shapes, finite, >= 0) into an
 * anchored ewc's Fisher. RS_EINVAL otherwise. */
RS_NODISCARD int rs_objective_ewc_set_fisher(rs_objective *o,
                                             rs_tensor *const *fisher, int n,
                                             struct rs_error *err);
/* After a surgery removed units: cut parameter param (registry index)
 * of every anchor and Fisher down o's chain to the slices keep[0..n)
 * along dimension dim, in that order -- the cut the surgery made to the
 * parameter (dim 0 for a layer's weight rows, bias and norm, dim 1 for
 * the next layer's weight columns). RS_OK when o keeps no anchor;
 * RS_EINVAL naming the bad param, dim or index, nothing changed. */
RS_NODISCARD int rs_objective_keep_units(rs_objective *o, int param, int dim,
                                         const int *keep, int n,
                                         struct rs_error *err);
struct rs_learner;
/* What o needs from the learner l that adopted it (call after
 * rs_learner_new / rs_learner_set_objective, or just before the latter):
 * each ewc down the chain with fisher_batches > 0 re-anchors at l's
 * parameters and estimates its Fisher over its base objective on l's
 * current source (rs_learner_fisher: l's sampler, parameters and
 * optimiser are unchanged); other kinds: nothing. So for a sequence of
 * tasks: prepare while the old task is l's source, then set_source. */
RS_NODISCARD int rs_objective_prepare(rs_objective *o, struct rs_learner *l,
                                      struct rs_error *err);

/* ---- cdg_l2 (obj_demp.c) ---------------------------------------------- */

/* cdg_l2: DemP's one-sided L2 ("Maxwell's Demon at Work", arXiv
 * 2403.07688). Wraps base (retained) and adds, while training,
 * lambda_t / 2 * sum max(theta, 0)^2 over every parameter the learner
 * trains (weights and biases), lambda_t = rs_demp_onecycle(peak, total,
 * zero_end, step) (algo/demp.h: one-cycle from peak / 25 to peak at 30%,
 * down to peak / 25e4; with zero_end 0 from step floor(0.9 total) on).
 * No state of its own: checkpoint words and tensors are the base's.
 * NULL + err (RS_EINVAL naming the field) on a missing base, a peak not
 * finite and >= 0, or total < 1. */
rs_objective *rs_objective_cdg_l2(rs_objective *base, double peak, long total,
                                  bool zero_end, struct rs_error *err);
/* The objective a cdg_l2 wraps (borrowed), NULL for other kinds. */
rs_objective *rs_objective_cdg_l2_base(const rs_objective *o);
/* lambda_t at step of the first cdg_l2 down o's chain (through every
 * wrapper rs_objective_base knows), NaN when there is none. */
double rs_objective_cdg_l2_lambda(const rs_objective *o, long step);

/* ---- ppo (obj_ppo.c) --------------------------------------------------- */

/* PPO's actor-critic loss with PFO ("No representation, no trust:
 * connecting representation, collapse, and trust issues in PPO", arXiv
 * 2405.00662; PPO-Clip as the authors' code computes it). modules[0] is
 * the actor, an "mlp" module of depth >= 1 whose output is the action
 * logits; modules[1] the critic, an "mlp" module with one output. The
 * batch (what a rollout source gives; nothing else is read):
 *   in[0]  FEATURES (n, obs) observations, the input of both networks;
 *   in[1]  FEATURES (n, RS_PPO_COLS + D): column 0 log pi_old(a|s), 1 the
 *          advantage A (raw), 2 the value target V_t (the GAE return), 3
 *          the value at collection (not used by the loss), 4.. phi_old,
 *          the actor's penultimate pre-activation at collection (D = the
 *          actor's last hidden width);
 *   y      the action a taken, in [0, si->classes).
 * With A^ = (A - mean A) / max(sqrt(biased var A), 1e-6) over the batch
 * (norm_adv; a batch of one is left as it is), l = log pi(a|s) - log
 * pi_old(a|s), g = min(exp(l) A^, exp(clamp(l, log(1 - clip), log(1 +
 * clip))) A^), H the entropy of pi(.|s), phi the current penultimate
 * pre-activation:
 *   L_pi  = -mean g
 *   L_V   = mean (V(s) - V_t)^2
 *   L_PFO = mean_s (1/D) |phi(s) - phi_old(s)|^2
 *   loss  = L_pi - ent_coef mean H + pfo_coef L_PFO + vf_coef L_V
 * A term whose coefficient is 0 is still computed, without gradient, so
 * it can be logged. Stats: extras "loss_pi", "loss_v", "entropy" (mean
 * H), "pfo" (L_PFO), each without its coefficient; no accuracy (count
 * 0). c->out is the actor's logits. No state. */
#define RS_PPO_COLS 4
struct rs_obj_ppo_config {
    double clip;     /* eps, in (0, 1); 0.2 */
    double ent_coef; /* >= 0; 0.01 */
    double vf_coef;  /* >= 0; 0.5 */
    double pfo_coef; /* >= 0; 0 (off; the authors' sweeps use 1) */
    bool norm_adv;   /* per-batch advantage normalisation; true */
};
/* The values after ';' above. */
void rs_obj_ppo_config_default(struct rs_obj_ppo_config *cfg);
/* ppo with cfg (copied); NULL + err (RS_EINVAL naming the field) on a bad
 * value. kind "ppo". check refuses anything but the two modules above on
 * a source of that layout, naming what does not fit. */
rs_objective *rs_objective_ppo(const struct rs_obj_ppo_config *cfg,
                               struct rs_error *err);
/* The config of a ppo objective (borrowed), else NULL. */
const struct rs_obj_ppo_config *rs_objective_ppo_config(const rs_objective *o);
/* Change a ppo objective's config (copied; applies from the next loss).
 * RS_EINVAL naming the field (nothing changed) on a bad value or when o
 * is not a ppo objective. */
RS_NODISCARD int
rs_objective_ppo_set_config(rs_objective *o,
                            const struct rs_obj_ppo_config *cfg,
                            struct rs_error *err);

#endif /* RS_ALGO_OBJECTIVE_H */
