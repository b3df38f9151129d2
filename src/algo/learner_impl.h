/* repscope - MIT licence, see COPYING.
 *
 * learner_impl.h: the learner's struct and the helpers learner.c and
 * learner_state.c share. Not for other files: use learner.h.
 */
#ifndef RS_ALGO_LEARNER_IMPL_H
#define RS_ALGO_LEARNER_IMPL_H

#include <stdbool.h>

#include "algo/learner.h"
#include "core/graph.h"
#include "core/rng.h"

/* Largest batch / evaluation size accepted (a typo guard). */
#define RS_LEARNER_MAX_BATCH (1 << 20)
/* Examples per no-grad chunk of features (the supervised loop's). */
#define RS_LEARNER_EVAL_CHUNK 1024
/* Tokens: floats of activations a chunk may hold (about 64 MiB), and the
 * most examples per chunk (the sequence trainer's). */
#define RS_LEARNER_EVAL_BUDGET ((size_t)1 << 24)
#define RS_LEARNER_EVAL_CHUNK_TOKENS 512
/* Salt of the evaluation streams (the sequence trainer's), so they never
 * equal the batch stream. */
#define RS_LEARNER_EVAL_SALT UINT64_C(0x6576616c5f736571)

struct rs_learner {
    struct rs_learner_config cfg;
    rs_nn_module *mod[RS_LEARNER_MAX_MODULES]; /* retained */
    int nmod;
    rs_nn_model *params; /* mod[0]'s registry, or owned (own_params) */
    bool own_params;
    rs_objective *obj; /* retained */
    rs_source *src;    /* retained */
    struct rs_source_info si;
    rs_optim *optim;
    rs_graph *g;
    struct rs_rng rng; /* the batch stream */
    int ntrain;        /* finite: train examples; 0: a generator */
    int *perm;         /* (ntrain) epoch permutation; NULL: the identity
                          (not made until a draw needs it) */
    long pos;          /* next position in perm; ntrain: reshuffle */
    int *idx;          /* (cap_idx) scratch indices */
    int cap_idx;
    long steps;
    double loss_sum, acc_sum; /* logged means since the last log */
    long loss_count, acc_count;
    /* The objective's extra scalars (rs_obj_stats), logged the same way:
     * slot i's name (static, the objective's) and its sum and count. */
    const char *extra_name[RS_OBJ_MAX_EXTRAS];
    double extra_sum[RS_OBJ_MAX_EXTRAS];
    long extra_count[RS_OBJ_MAX_EXTRAS];
    struct rs_batch batch;  /* the training batch */
    struct rs_batch ebatch; /* evaluation and probe batches */
    struct rs_learner_stats last;
    rs_learner_log_fn log;
    void *log_ud;
    /* probe_forward cache: valid while no step, eval or change ran. */
    bool probe_valid;
    int probe_split, probe_n, probe_rows;
    /* Units removed so far, replayable text (learner_surgery.c): one
     * "<layer>:<u>,<u>,...;" per call; NULL before the first. */
    char *cuts;
    /* The driver (learner_driver.c): class and impl (owned through
     * drv->destroy), NULL without one; updates it has taken. */
    const struct rs_learner_driver_class *drv;
    void *drv_impl;
    long updates;
    rs_learner_matrix_fn matrix;
    void *matrix_ud;
    /* DemP's live-only noise (learner_demp.c): the setting, whether one
     * was ever set (the stream is then in the checkpoint), the stream. */
    struct rs_learner_noise noise;
    bool noise_set;
    struct rs_rng noise_rng;
};

/* Free a registry built over mods[0..n) and give the tensors their
 * modules' names back. */
void rs_learner_free_params(rs_nn_model *all, rs_nn_module *const *mods, int n);
/* Copy the graph's sticky error into err, reset the graph; the code. */
int rs_learner_graph_error(rs_learner *l, struct rs_error *err);
/* Room for n indices in l->idx. */
void rs_learner_ensure_idx(rs_learner *l, int n);
/* The epoch permutation, made (the identity) at the first need. */
int *rs_learner_perm(rs_learner *l);
/* The next n training examples into b from the sampler (rng, perm, pos):
 * the learner's own or a copy. */
int rs_learner_draw(rs_learner *l, struct rs_rng *rng, int *perm, long *pos,
                    int n, struct rs_batch *b, struct rs_error *err);
/* A loss context over b. */
void rs_learner_ctx(rs_learner *l, struct rs_obj_ctx *c,
                    const struct rs_batch *b, bool train);
/* Mean loss and accuracy over n examples of split (len: a generator's
 * sequence length), without gradients (learner_eval.c). */
int rs_learner_eval_run(rs_learner *l, enum rs_split split, int n, int len,
                        double *loss, double *acc, struct rs_error *err);
/* The evaluation stream of len. */
void rs_learner_eval_rng(const rs_learner *l, int len, struct rs_rng *r);
/* Log the train/ means since the last log (loss, generators' acc, the
 * rate lr, the extras) and restart them. */
void rs_learner_flush_log(rs_learner *l, float lr);
/* DemP (learner_demp.c): reg/lambda of a cdg_l2 objective and reg/sigma
 * of the noise at the last step, with the train/ log; the noise stream's
 * first seeding (rs_learner_new); the noise after an optimiser step
 * (before the gradients are zeroed; t the step being taken). */
void rs_learner_demp_log(rs_learner *l);
void rs_learner_noise_init(rs_learner *l);
void rs_learner_noise_apply(rs_learner *l);

#endif /* RS_ALGO_LEARNER_IMPL_H */
