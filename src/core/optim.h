/* repscope - MIT licence, see COPYING.
 *
 * optim.h: optimisers over a list of parameter tensors (SGD with momentum
 * and Nesterov, Adam, AdamW), L2 vs decoupled weight decay, gradient-norm
 * clipping over the whole list or per group of parameters. Hyper-parameters
 * and update rules follow PyTorch's torch.optim exactly (so the parity test
 * can compare step by step).
 *
 * The optimiser retains its parameters and owns their state (momentum
 * buffer for SGD; first and second moments for Adam/AdamW), one 64-byte
 * aligned block per parameter. A parameter can be swapped for a resized
 * one (structured pruning) with its state cut along the same selection
 * (rs_optim_replace_params). Worker thread only.
 */
#ifndef RS_CORE_OPTIM_H
#define RS_CORE_OPTIM_H

#include <stdbool.h>

#include "core/base.h"
#include "core/tensor.h"

enum rs_optim_kind { RS_OPTIM_SGD, RS_OPTIM_ADAM, RS_OPTIM_ADAMW };

struct rs_optim_config {
    enum rs_optim_kind kind;
    float lr;           /* base rate; rs_optim_step takes the scheduled one */
    float momentum;     /* SGD: 0 = plain SGD */
    float dampening;    /* SGD, as torch */
    bool nesterov;      /* SGD: needs momentum > 0 */
    float beta1, beta2; /* Adam/AdamW */
    float eps;          /* Adam/AdamW */
    /* SGD and Adam: L2 penalty added to the gradient (coupled).
     * AdamW: decoupled decay p -= lr * weight_decay * p. */
    float weight_decay;
    float clip_norm; /* > 0: clip the gradient norm (of each clip group,
                        see rs_optim_set_clip_group) to this first */
};

/* Gradient-clipping groups at most. */
#define RS_OPTIM_MAX_GROUPS 8

/* PyTorch defaults for kind: SGD lr 1e-3 momentum 0; Adam lr 1e-3 betas
 * (0.9, 0.999) eps 1e-8 wd 0; AdamW the same with wd 0.01. */
void rs_optim_config_default(struct rs_optim_config *cfg,
                             enum rs_optim_kind kind);
/* "sgd", "adam", "adamw"; parse returns -1 if unknown. */
const char *rs_optim_kind_name(enum rs_optim_kind kind);
int rs_optim_kind_parse(const char *name);

typedef struct rs_optim rs_optim;

/* New optimiser over nparams parameters (each is_param, retained). NULL
 * and err filled on a bad config (negative lr, betas outside [0,1),
 * nesterov without momentum, a tensor that is not a parameter). */
rs_optim *rs_optim_new(const struct rs_optim_config *cfg,
                       rs_tensor *const *params, int nparams,
                       struct rs_error *err);
void rs_optim_free(rs_optim *o);

struct rs_optim_stats {
    double grad_norm;   /* global L2 norm of all gradients, before clipping */
    double weight_norm; /* global L2 norm of all parameters, after the step */
    bool clipped;       /* some group's gradients were scaled down */
    /* Per clip group: the L2 norm of its gradients before clipping, for
     * groups 0..ngroups-1 (ngroups = the highest group in use + 1; a group
     * without parameters has norm 0). One group: group_norm[0] is
     * grad_norm. */
    int ngroups;
    double group_norm[RS_OPTIM_MAX_GROUPS];
};

/* One update with learning rate lr. Checks gradients first: a non-finite
 * gradient returns RS_ENONFINITE naming the parameter (by index and name)
 * and leaves every parameter unchanged. stats may be NULL. */
RS_NODISCARD int rs_optim_step(rs_optim *o, float lr,
                               struct rs_optim_stats *stats,
                               struct rs_error *err);
/* Zero every parameter's gradient. */
void rs_optim_zero_grad(rs_optim *o);

const struct rs_optim_config *rs_optim_config(const rs_optim *o);
/* Change hyper-parameters at run time (lr is passed per step; this is for
 * weight_decay, momentum, betas, clip). Same validation as rs_optim_new. */
RS_NODISCARD int rs_optim_set_config(rs_optim *o,
                                     const struct rs_optim_config *cfg,
                                     struct rs_error *err);
/* Per-parameter weight-decay switch (default on), e.g. off for biases. */
void rs_optim_set_decay(rs_optim *o, int param, bool on);
/* Gradient-clipping group of parameter param, 0..RS_OPTIM_MAX_GROUPS-1
 * (default 0: one global group). With clip_norm > 0 each group's
 * gradients are scaled by min(1, clip_norm / (its own norm + 1e-6)), as
 * one torch.nn.utils.clip_grad_norm_ call per group does (PPO's separate
 * actor and critic). The group survives rs_optim_replace_params. A param
 * or group out of range is a bug (assert). */
void rs_optim_set_clip_group(rs_optim *o, int param, int group);
int rs_optim_clip_group(const rs_optim *o, int param);

/* State access for checkpoints: number of steps taken, and the state
 * buffers of parameter i (NULL where the kind has none; numel floats each,
 * borrowed while the optimiser lives and parameter i is not replaced). */
long rs_optim_steps(const rs_optim *o);
void rs_optim_set_steps(rs_optim *o, long steps);
int rs_optim_nparams(const rs_optim *o);
rs_tensor *rs_optim_param(const rs_optim *o, int i);
float *rs_optim_state(rs_optim *o, int i, int which); /* which 0: m/buf, 1: v */

/* ---- replacing parameters (structured pruning) ---------------------------
 * A selection along one dimension of a parameter: entries idx[0..n) of
 * dimension dim are kept, in that order (an index may repeat: the entry is
 * copied twice). Dimensions not named by any selection are kept whole. */
struct rs_optim_keep {
    int dim;        /* 0: rows (or a vector's entries), 1: columns, ... */
    const int *idx; /* (n) indices into dimension dim, borrowed */
    int n;          /* >= 1 */
};

/* Check selections keep[0..nkeep) against a tensor of shape (ndim dims)
 * and write the selected shape to out (ndim entries). RS_EINVAL naming the
 * selection at fault: a dim outside [0, ndim) or named twice, n < 1, idx
 * NULL, an index outside [0, shape[dim]). nkeep 0 gives out = shape. */
RS_NODISCARD int rs_optim_keep_shape(int ndim, const int *shape,
                                     const struct rs_optim_keep *keep,
                                     int nkeep, int *out, struct rs_error *err);
/* dst (the selected shape) = the kept entries of src (shape), row-major.
 * The selections must have passed rs_optim_keep_shape. This is the rule
 * rs_optim_replace_params moves the moments by, so a caller that fills
 * the new parameter's data (and grad) with it keeps them aligned. */
void rs_optim_keep_copy(float *dst, const float *src, int ndim,
                        const int *shape, const struct rs_optim_keep *keep,
                        int nkeep);

/* One swap: parameter `param` becomes t, whose shape is the old one's
 * with the selections applied; the state (SGD momentum, Adam m and v)
 * follows the kept entries. */
struct rs_optim_swap {
    int param;                        /* slot, 0..nparams-1 */
    rs_tensor *t;                     /* the new parameter, retained */
    const struct rs_optim_keep *keep; /* (nkeep) selections, borrowed */
    int nkeep;
};

/* Swap parameters as swaps[0..n) say, all or nothing: every swap is
 * checked and every new state block allocated before anything changes.
 * The optimiser retains each t and releases the old tensor; the step
 * count, the per-parameter decay switch and the hyper-parameters stay.
 * t's data and grad are the caller's (fill them with rs_optim_keep_copy).
 * Errors (RS_EINVAL naming the swap and parameter): a slot out of range
 * or swapped twice, t NULL, not a trainable parameter, the old tensor
 * itself, already held by the optimiser or given twice; a bad selection
 * (rs_optim_keep_shape); t's shape not the selected shape (RS_ESHAPE);
 * RS_ENOMEM when a state block cannot be allocated. */
RS_NODISCARD int rs_optim_replace_params(rs_optim *o,
                                         const struct rs_optim_swap *swaps,
                                         int n, struct rs_error *err);
/* One swap (rs_optim_replace_params with n = 1). */
RS_NODISCARD int rs_optim_replace_param(rs_optim *o, int i, rs_tensor *t,
                                        const struct rs_optim_keep *keep,
                                        int nkeep, struct rs_error *err);
/* The slot holding t, or -1. */
int rs_optim_find(const rs_optim *o, const rs_tensor *t);

#endif /* RS_CORE_OPTIM_H */
