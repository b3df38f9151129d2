/* repscope - MIT licence, see COPYING.
 *
 * obj_fixture.h: objectives on one module and a hand-made batch, outside
 * any learner, for the objective tests: a labelled features batch, the
 * source info it implies, check, the training loss (at a given learner
 * step, for scheduled weights) and a finite-difference check of its
 * gradient. Every helper bails the test on an allocation failure.
 */
#ifndef RS_TESTS_OBJ_FIXTURE_H
#define RS_TESTS_OBJ_FIXTURE_H

#include <stdint.h>

#include "algo/objective.h"
#include "core/graph.h"
#include "data/source.h"
#include "nn/module.h"

/* A labelled features batch of n rows, x uniform in [-1, 1), labels
 * uniform in 0..classes-1, from seed's stream. */
void tap_features_batch(struct rs_batch *b, int n, int width, int classes,
                        uint64_t seed);
/* The source info of b's input 0 with vocab and classes. */
struct rs_source_info tap_obj_info(const struct rs_batch *b, int vocab,
                                   int classes);
/* o checked against module m and si. */
int tap_obj_check(rs_objective *o, rs_nn_module *m,
                  const struct rs_source_info *si, struct rs_error *err);
/* o's training loss of m on b, on g (not reset), at learner step `step`;
 * st and out may be NULL. */
rs_tensor *tap_obj_run_at(rs_objective *o, rs_graph *g, rs_nn_module *m,
                          const struct rs_batch *b, long step,
                          struct rs_obj_stats *st, rs_tensor **out);
rs_tensor *tap_obj_run(rs_objective *o, rs_graph *g, rs_nn_module *m,
                       const struct rs_batch *b, struct rs_obj_stats *st,
                       rs_tensor **out);
/* The scalar value of o's loss at step 0 (NaN on error, the message as
 * a TAP comment). */
double tap_obj_loss(rs_objective *o, rs_nn_module *m, const struct rs_batch *b);
/* tap_gradcheck of o's loss with respect to every parameter of m. */
void tap_obj_gradcheck(const char *name, rs_objective *o, rs_nn_module *m,
                       const struct rs_batch *b);

#endif /* RS_TESTS_OBJ_FIXTURE_H */
