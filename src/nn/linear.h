/* repscope - MIT licence, see COPYING.
 *
 * linear.h: a fully connected layer y = x W^T + b, with W (OUT, IN) and b
 * (OUT) laid out as PyTorch's nn.Linear so weights copy across unchanged.
 *
 * The layer registers "<name>.weight" (and "<name>.bias") in a model and
 * keeps their indices there, not pointers: the model owns the tensors, and
 * a resized parameter swapped in with rs_nn_model_replace is what the next
 * forward uses. IN and OUT are therefore read from the current weight's
 * shape, never cached. The struct is caller-embedded and holds no
 * resources (no fini). Worker thread only.
 */
#ifndef RS_NN_LINEAR_H
#define RS_NN_LINEAR_H

#include <stdbool.h>

#include "core/base.h"
#include "core/graph.h"
#include "core/init.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "nn/model.h"

struct rs_nn_linear {
    rs_nn_model *model; /* borrowed: the registry holding the parameters */
    int weight;         /* index of "<name>.weight" (OUT, IN) in model */
    int bias;           /* index of "<name>.bias" (OUT), or -1 */
};

/* Register a zero-initialised (out, in) weight and, if bias, an (out) bias
 * named "<name>.weight" / "<name>.bias" in m (borrowed: it must outlive
 * l). Fill them with rs_nn_linear_reinit. Returns RS_OK, or RS_EINVAL with
 * err naming the layer (in/out < 1, name too long or already used). */
RS_NODISCARD int rs_nn_linear_init(struct rs_nn_linear *l, rs_nn_model *m,
                                   const char *name, int in, int out, bool bias,
                                   struct rs_error *err);

/* (Re)initialise the parameters in place, drawing from rng: the weight by
 * rs_init_fill(kind, fan_in = IN, fan_out = OUT, scale). The bias follows
 * PyTorch: with RS_INIT_TORCH_DEFAULT it is U(+-1/sqrt(IN)) * scale (so
 * "every parameter times alpha" holds, as in the deep-grokking code);
 * with any other kind it is zero. Weight first, then bias, in element
 * order, so a seed gives the same layer every time. */
void rs_nn_linear_reinit(const struct rs_nn_linear *l, enum rs_init_kind kind,
                         float scale, struct rs_rng *rng);

/* x (..., IN) -> (..., OUT) on graph g via rs_op_linear. NULL (with the
 * graph's sticky error set) on a shape mismatch or a NULL input. */
rs_tensor *rs_nn_linear_forward(const struct rs_nn_linear *l, rs_graph *g,
                                rs_tensor *x);

/* The current weight (OUT, IN) and bias (OUT) or NULL; borrowed from the
 * model (until the parameter is replaced). */
rs_tensor *rs_nn_linear_weight(const struct rs_nn_linear *l);
rs_tensor *rs_nn_linear_bias(const struct rs_nn_linear *l);
/* IN and OUT of the current weight. */
int rs_nn_linear_in(const struct rs_nn_linear *l);
int rs_nn_linear_out(const struct rs_nn_linear *l);

#endif /* RS_NN_LINEAR_H */
