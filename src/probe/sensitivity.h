/* repscope - MIT licence, see COPYING.
 *
 * sensitivity.h: over-squashing instruments for the decoder-only
 * transformer ("Transformers need glasses! Information over-squashing in
 * language tasks", Barbero et al., arXiv 2406.04267, App. B.2).
 *
 * Sensitivity (Thm B.5's left-hand side, per layer): for one sequence of T
 * tokens, S[l][i] = || d v_l[T-1] / d v0[i] ||_F, l = 1..L (rows), i =
 * 0..T-1, with v_l layer l's output and v0 the input embedding including
 * additive positions. Method: EXACT reverse mode, batched. The sequence is
 * replicated d times (B = d), v0 (d, T, d) becomes a differentiable leaf,
 * one forward runs, and for each layer one backward seeds copy j at
 * position T-1 with the unit vector e_j, so d v0 holds the whole d x (T d)
 * Jacobian of v_l[T-1]; the graph's gradients are zeroed between layers.
 * Memory is d times one forward with its gradients.
 *
 * Bound (Prop. B.8, beta = sigma_psi = 1): Bnd[l][i] = (P_l P_{l-1} ...
 * P_1)[T-1, i] with P_k = (Abar_k + I) / 2 and Abar_k layer k's head-mean
 * attention (T, T) on the sequence. Every P_k is row-stochastic and lower
 * triangular, so each row of Bnd sums to 1. The uniform version puts
 * Lambda_ij = 1/(i+1) for j <= i (0-based) in every layer; as L grows its
 * mass moves to token 0 (row 0 of P is e_0, an absorbing state).
 *
 * Graphs: every function that runs the model takes a caller-owned graph g,
 * resets it on entry and leaves the probe's last forward recorded in it
 * (so rs_nn_transformer_attn and friends stay valid until the caller
 * resets g); g's grad switch and precision are restored on return. The
 * model's parameters are untouched. Worker thread only (like the model);
 * the pure helpers run on any thread.
 */
#ifndef RS_PROBE_SENSITIVITY_H
#define RS_PROBE_SENSITIVITY_H

#include "core/base.h"
#include "core/graph.h"
#include "nn/transformer.h"

/* S (L, T) row-major as above, computed in float32 whatever g's precision.
 * ids: T tokens in [0, vocab), 1 <= T <= ctx. Parameters have
 * requires_grad switched off during the probe (and restored), so their
 * gradients are neither computed nor changed. Returns RS_OK, or RS_EINVAL
 * (a bad T or id, named) / the forward's error with err filled; S is
 * undefined on error. */
RS_NODISCARD int rs_probe_sensitivity(rs_nn_transformer *tf, rs_graph *g,
                                      const int *ids, int T, float *S,
                                      struct rs_error *err);

/* Bnd (L, T) row-major from the model's attention on ids (one float32,
 * no-grad forward on g). Errors as rs_probe_sensitivity. */
RS_NODISCARD int rs_probe_sensitivity_bound(rs_nn_transformer *tf, rs_graph *g,
                                            const int *ids, int T, float *bnd,
                                            struct rs_error *err);

/* The product itself: abar (L, T, T) row-major, layer k = 1..L at index
 * k - 1, rows indexed by the query -> bnd (L, T). Sums in double. Pure. */
void rs_probe_sensitivity_bound_from(const float *abar, int L, int T,
                                     float *bnd);

/* The same with uniform causal attention Lambda in every layer -> bnd
 * (L, T). Pure. */
void rs_probe_sensitivity_bound_uniform(int L, int T, float *bnd);

#endif /* RS_PROBE_SENSITIVITY_H */
