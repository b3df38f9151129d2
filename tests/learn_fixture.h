/* repscope - MIT licence, see COPYING.
 *
 * learn_fixture.h: what the learner tests (t_algo_*.c, t_run_ckpt_learner.c)
 * build again and again: a modular dataset or source, an MLP, a small
 * transformer, a linear layer, the classify objective, a learner; a few
 * steps; a log sink that records every metric; bit-for-bit comparisons of
 * doubles and of parameters; a copy of one learner's weights and
 * optimiser moments into another.
 *
 * Every builder returns a new object (one reference, the caller's) and
 * bails out of the test (tap_bail) with the library's message when the
 * library refuses: a fixture that cannot be built is not a test result.
 */
#ifndef RS_TESTS_LEARN_FIXTURE_H
#define RS_TESTS_LEARN_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "algo/learner.h"
#include "algo/objective.h"
#include "data/dataset.h"
#include "data/source.h"
#include "nn/module.h"
#include "nn/transformer.h"

/* ---- builders ----------------------------------------------------------- */

/* (a op b) mod p with train_frac of the pairs in the train split. */
rs_dataset *tap_modular(int p, char op, float train_frac, uint64_t seed);
/* The same as a source (the source holds the dataset). */
rs_source *tap_modular_source(int p, char op, float train_frac, uint64_t seed);

/* An MLP module in -> (width) x depth -> out, otherwise the defaults,
 * weights drawn from seed. */
rs_nn_module *tap_mlp(int in, int width, int depth, int out, uint64_t seed);

/* A transformer config: d 16, 2 heads, learned positions, layers blocks,
 * ids < vocab in windows of ctx, out classes (0: vocab). */
struct rs_nn_transformer_config tap_transformer_config(int vocab, int ctx,
                                                       int layers, int out);
/* The transformer module of c, weights drawn from seed. */
rs_nn_module *tap_transformer(const struct rs_nn_transformer_config *c,
                              uint64_t seed);

/* A linear layer in -> out with bias, weights init(scale) from seed. */
rs_nn_module *tap_linear(int in, int out, enum rs_init_kind init, float scale,
                         uint64_t seed);

/* classify with cross-entropy. */
rs_objective *tap_classify(void);

/* A learner of the one module m; m, obj and src stay the caller's. */
rs_learner *tap_learner(const struct rs_learner_config *cfg, rs_nn_module *m,
                        rs_objective *obj, rs_source *src);

/* n training steps of l. */
void tap_learner_steps(rs_learner *l, int n);

/* ---- a log sink that records every metric ------------------------------- */

#define TAP_LOG_MAX 4096

/* Records up to TAP_LOG_MAX metrics in order, then drops the rest. With
 * learner set, also the learner's step count at each metric. Large: put
 * it on the heap (calloc, which also makes it empty). */
struct tap_log {
    int n;
    const rs_learner *learner; /* may be NULL */
    char name[TAP_LOG_MAX][64];
    double v[TAP_LOG_MAX];
    long step[TAP_LOG_MAX];
};

/* An rs_learner_log_fn; ud is a struct tap_log. */
void tap_log_record(void *ud, const char *name, double v);

/* ---- bit-for-bit comparisons and copies --------------------------------- */

/* a and b are the same bits, or both NaN. */
bool tap_same_double(double a, double b);

/* The two registries hold as many parameters and they are equal bit for
 * bit (the first that differs goes out as a TAP comment). */
bool tap_params_equal(const rs_nn_model *a, const rs_nn_model *b);

/* b's parameters and optimiser moments (where both have them) become a's;
 * the two learners are built alike. */
void tap_learner_copy_weights(rs_learner *a, rs_learner *b);

#endif /* RS_TESTS_LEARN_FIXTURE_H */
