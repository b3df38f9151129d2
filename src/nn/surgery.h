/* repscope - MIT licence, see COPYING.
 *
 * surgery.h: structured pruning in one call. Removing hidden units U of a
 * probe-able layer whose H units are produced by a Linear A and read by
 * the next Linear B deletes, for every u in U:
 *   - row u of A's weight (H, IN) and entry u of A's bias (H);
 *   - entry u of the gain and shift (H) of every norm between A and B;
 *   - column u of B's weight (OUT, H);
 * and, when an optimiser is given, the same entries of those parameters'
 * state (Adam's m and v, SGD's momentum buffer), so every surviving unit
 * keeps its weights, gradient and moments, in its old order. The step
 * count and hyper-parameters are untouched. Afterwards the layer has
 * H - |U| units: forwards, gradients and optimiser steps run on the
 * smaller tensors, the module's in/out sizes and an MLP's config
 * (rs_nn_mlp_width, rs_nn_mlp_sync_width) say so.
 *
 * Supported: an "mlp" module (layers "l1".."l<depth>": A is l<k>, B is
 * l<k+1>, the norm is l<k>.norm) and a sequential whose layer is an
 * activation child between a linear child and a later linear child, with
 * only activation and norm children between them (layer "<child>"), or a
 * layer of an mlp or sequential child of a sequential ("<child>.<layer>",
 * recursively).
 *
 * Every changed parameter is a new tensor swapped in with
 * rs_nn_model_replace in every registry of the module tree that holds the
 * old one (a sequential shares its children's tensors) and in the extra
 * registries given (a learner's gathered parameters), and, with an
 * optimiser, with rs_optim_replace_params. Any other holder of an old
 * tensor (an optimiser not passed in, a graph not yet reset, a Lua
 * handle) keeps the old, full-size tensor: call between steps, after the
 * graph is reset, with the optimiser that trains the module.
 * Worker thread only.
 */
#ifndef RS_NN_SURGERY_H
#define RS_NN_SURGERY_H

#include "core/base.h"
#include "core/optim.h"
#include "nn/model.h"
#include "nn/module.h"

/* Remove units[0..n) (0-based, any order, no repeats, leaving at least
 * one unit; n = 0 checks the layer and changes nothing) of layer `layer`
 * of m, moving opt's state along (opt may be NULL; when given it must
 * hold at least one of the layer's parameters, and any it does not hold
 * are skipped). All or nothing: on error m and opt are unchanged.
 * RS_EINVAL with err naming the layer: an unknown layer, a layer of an
 * unsupported kind or position (no Linear before or after it, another
 * kind of child in between), a unit out of range or repeated, all units;
 * RS_ESHAPE when the neighbouring parameters disagree on H; RS_ENOMEM. */
RS_NODISCARD int rs_nn_module_remove_units(rs_nn_module *m, const char *layer,
                                           const int *units, int n,
                                           rs_optim *opt, struct rs_error *err);
/* The same, also swapping the new tensors into shared[0..nshared):
 * registries outside the module tree that hold its parameters (entries
 * that do not are left alone). */
RS_NODISCARD int rs_nn_module_remove_units_shared(
    rs_nn_module *m, const char *layer, const int *units, int n, rs_optim *opt,
    rs_nn_model *const *shared, int nshared, struct rs_error *err);

/* The number of units H of layer `layer` of m that remove_units works on
 * (>= 1), or a negative rs_status with err filled as remove_units would
 * for the layer (unknown, unsupported). */
int rs_nn_module_layer_units(rs_nn_module *m, const char *layer,
                             struct rs_error *err);

#endif /* RS_NN_SURGERY_H */
