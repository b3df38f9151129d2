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

/* Filled by loss: correct predictions among count scored (count 0: the
 * objective scores none, accuracy is reported as NaN). loss is set by the
 * learner to the returned scalar's value. */
struct rs_obj_stats {
    double loss;
    double correct;
    double count;
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

#endif /* RS_ALGO_OBJECTIVE_H */
