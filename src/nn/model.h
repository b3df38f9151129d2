/* repscope - MIT licence, see COPYING.
 *
 * model.h: the parameter registry a model owns. Every trainable tensor of a
 * model is registered here under a stable name ("l3.weight", "l3.bias"),
 * in creation order; layers keep the *index* of their parameters, not the
 * pointer, so a parameter can be swapped for a resized one (structured
 * pruning) with rs_nn_model_replace and every layer sees the new tensor.
 *
 * Ownership: the model holds one reference to each parameter and releases
 * it on rs_nn_model_free (or on replace). Optimisers retain what they use,
 * so a replaced tensor lives on until they drop it. The model also owns
 * the name strings; each registered tensor's `name` field points at its
 * string while the model holds it, and is set to NULL when the model lets
 * go of the tensor (so a tensor kept alive elsewhere never dangles).
 * Several models may coexist (one per network of a scene). Worker thread
 * only, like the tensors it holds.
 */
#ifndef RS_NN_MODEL_H
#define RS_NN_MODEL_H

#include <stddef.h>

#include "core/base.h"
#include "core/tensor.h"

/* Longest parameter name accepted, without the terminating NUL. */
#define RS_NN_MODEL_NAME_MAX 63

typedef struct rs_nn_model rs_nn_model;

/* A new empty model. name (may be NULL) is copied; it labels the model in
 * messages and displays ("actor", "critic"). Never fails. */
rs_nn_model *rs_nn_model_new(const char *name);
/* Release every parameter and the model. NULL is a no-op. */
void rs_nn_model_free(rs_nn_model *m);
/* The model's name ("" when none). Borrowed while the model lives. */
const char *rs_nn_model_name(const rs_nn_model *m);

/* Create a zero-filled parameter (rs_tensor_new_param) of the given shape
 * and register it under name (copied). Returns the tensor, borrowed: the
 * model owns it. NULL with err filled (RS_EINVAL) if the name is empty,
 * longer than RS_NN_MODEL_NAME_MAX or already used, or (RS_EINVAL /
 * RS_ENOMEM) if the shape is invalid or too large. */
rs_tensor *rs_nn_model_add(rs_nn_model *m, const char *name, int ndim,
                           const int *shape, struct rs_error *err);
/* Swap parameter i for t, keeping its name and index. Takes ownership of
 * the caller's reference to t, which must be a parameter (is_param); the
 * old tensor is released (it survives while an optimiser retains it).
 * i must be in [0, count): a bad index or a non-parameter is a bug. */
void rs_nn_model_replace(rs_nn_model *m, int i, rs_tensor *t);

/* Iteration: number of parameters, the i-th tensor and its name, in
 * registration order; i in [0, count). Borrowed while the model lives and
 * until parameter i is replaced. */
int rs_nn_model_count(const rs_nn_model *m);
rs_tensor *rs_nn_model_param(const rs_nn_model *m, int i);
const char *rs_nn_model_param_name(const rs_nn_model *m, int i);
/* The parameter array (count entries), e.g. for rs_optim_new. Borrowed:
 * valid until the next rs_nn_model_add or rs_nn_model_replace. */
rs_tensor *const *rs_nn_model_params(const rs_nn_model *m);
/* Index of the parameter called name, or -1. */
int rs_nn_model_find(const rs_nn_model *m, const char *name);
/* The parameter called name, or NULL. Borrowed like rs_nn_model_param. */
rs_tensor *rs_nn_model_lookup(const rs_nn_model *m, const char *name);

/* Total number of scalar parameters. */
size_t rs_nn_model_numel(const rs_nn_model *m);
/* Global L2 norm sqrt(sum over all parameters of p^2), summed in double. */
double rs_nn_model_weight_norm(const rs_nn_model *m);
/* L2 norm over the parameters of one layer: those whose name is prefix or
 * starts with prefix followed by '.' ("l3" covers "l3.weight" and
 * "l3.bias", not "l30.weight"). 0 when none match. */
double rs_nn_model_layer_norm(const rs_nn_model *m, const char *prefix);
/* Zero every parameter's gradient. */
void rs_nn_model_zero_grad(rs_nn_model *m);

#endif /* RS_NN_MODEL_H */
