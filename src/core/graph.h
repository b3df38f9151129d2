/* repscope - MIT licence, see COPYING.
 *
 * graph.h: the define-by-run tape for reverse-mode autodiff.
 *
 * A graph owns a step arena. Op builders (core/ops.h) compute their output
 * eagerly into the arena and, when gradients are on and an input requires
 * them, push a node on the tape. rs_graph_backward walks the tape in reverse
 * and calls each op's backward through the rs_ops[] table; backward
 * accumulates (+=) into input gradients. rs_graph_reset drops every node,
 * temporary and temporary gradient at once; parameters keep their own heap
 * gradient buffers until the optimiser zeroes them.
 *
 * Errors are sticky (cairo-style): a builder given a bad shape records the
 * first error in the graph and returns NULL; a builder given a NULL input
 * returns NULL. Check rs_graph_error() once after building a step.
 *
 * Heap tensors used as inputs (parameters, data batches) are borrowed: keep
 * them alive until rs_graph_reset. A heap tensor with requires_grad must own
 * a grad buffer (rs_tensor_new_param does). Worker thread only.
 */
#ifndef RS_CORE_GRAPH_H
#define RS_CORE_GRAPH_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/base.h"
#include "core/prec.h"
#include "core/tensor.h"

typedef struct rs_graph rs_graph;

rs_graph *rs_graph_new(void);
void rs_graph_free(rs_graph *g);
/* Forget all nodes and temporaries; clears the sticky error. */
void rs_graph_reset(rs_graph *g);

/* Gradient recording on (default) or off (the no_grad evaluation path:
 * nothing is pushed on the tape, outputs never require grad). */
void rs_graph_set_grad(rs_graph *g, bool on);
bool rs_graph_grad_enabled(const rs_graph *g);
/* Round every op output to this precision as it is produced (RS_PREC_F32:
 * no rounding). Backward passes gradients straight through the rounding. */
void rs_graph_set_precision(rs_graph *g, enum rs_prec prec);
enum rs_prec rs_graph_precision(const rs_graph *g);

/* A new uninitialised arena tensor, valid until rs_graph_reset; NULL (and
 * the sticky error set) if the shape is invalid. */
rs_tensor *rs_graph_tensor(rs_graph *g, int ndim, const int *shape);
/* An arena tensor holding a copy of data (numel floats). */
rs_tensor *rs_graph_input(rs_graph *g, int ndim, const int *shape,
                          const float *data);

/* Backpropagate from a scalar (numel 1) loss: seeds d loss = 1. Returns
 * RS_OK, or the sticky error / RS_EINVAL if loss is NULL or not scalar. */
RS_NODISCARD int rs_graph_backward(rs_graph *g, rs_tensor *loss,
                                   struct rs_error *err);
/* Backpropagate from any recorded tensor with an explicit seed gradient
 * (out->numel floats). Used for Jacobian rows (sensitivity probes). */
RS_NODISCARD int rs_graph_backward_seed(rs_graph *g, rs_tensor *out,
                                        const float *seed,
                                        struct rs_error *err);
/* Zero the gradients of every arena tensor on the tape (not parameters),
 * so several backward passes over one forward stay independent. */
void rs_graph_zero_grads(rs_graph *g);

/* Record err as the graph's sticky error if it has none yet (modules
 * built from ops use it to name the layer at fault). Returns false. */
bool rs_graph_fail(rs_graph *g, int code, const char *fmt, ...)
    RS_PRINTF(3, 4);
/* The sticky error: code RS_OK when none. Borrowed, valid until reset. */
const struct rs_error *rs_graph_error(const rs_graph *g);
/* Number of nodes on the tape; the arena (for scratch owned by a step). */
size_t rs_graph_nodes(const rs_graph *g);
rs_arena *rs_graph_arena(rs_graph *g);

#endif /* RS_CORE_GRAPH_H */
