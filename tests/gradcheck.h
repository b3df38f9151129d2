/* repscope - MIT licence, see COPYING.
 *
 * gradcheck.h: finite-difference gradient checks for ops (ggml MODE_GRAD).
 *
 * The checked scalar is L = sum_i w_i * out_i with fixed pseudo-random
 * weights w, so every output element matters. Analytic gradients come from
 * rs_graph_backward_seed; numerical ones from central differences
 * (L(x+h) - L(x-h)) / 2h with L accumulated in double. A component passes
 * when |analytic - numeric| <= tol * max(1, |analytic|, |numeric|).
 */
#ifndef RS_TESTS_GRADCHECK_H
#define RS_TESTS_GRADCHECK_H

#include <stdbool.h>

#include "core/graph.h"
#include "core/rng.h"
#include "core/tensor.h"

/* Builds the op under test from the inputs (heap params); returns its
 * output (any shape) or NULL on error. */
typedef rs_tensor *(*tap_gradcheck_fn)(rs_graph *g, rs_tensor *const *in,
                                       void *ud);

/* One TAP assertion named name: checks d L / d in[k] for every input with
 * requires_grad. h is the FD step (1e-2 suits most float32 ops), tol the
 * tolerance (1e-2 typical). Prints the worst components on failure. */
bool tap_gradcheck(const char *name, int nin, rs_tensor *const *in,
                   tap_gradcheck_fn build, void *ud, double h, double tol);

/* A parameter tensor (requires grad) filled uniform in [lo, hi), skipping
 * values within margin of any kink point listed (e.g. 0 for relu). */
rs_tensor *tap_param(struct rs_rng *rng, int ndim, const int *shape,
                     float lo, float hi);
rs_tensor *tap_param_away(struct rs_rng *rng, int ndim, const int *shape,
                          float lo, float hi, float kink, float margin);

/* The same without requires_grad (a constant input). */
rs_tensor *tap_filled(struct rs_rng *rng, int ndim, const int *shape,
                      float lo, float hi);
/* True if the graph failed with a message containing a and (if not NULL)
 * b; the message goes out as a TAP comment. */
bool tap_graph_failed_with(rs_graph *g, const char *a, const char *b);

#endif /* RS_TESTS_GRADCHECK_H */
