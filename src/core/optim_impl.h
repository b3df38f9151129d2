/* repscope - MIT licence, see COPYING.
 *
 * optim_impl.h: the optimiser's insides that optim.c (steps, settings)
 * and optim_replace.c (swapping parameters under it) share. Not for
 * other modules: they see core/optim.h.
 */
#ifndef RS_CORE_OPTIM_IMPL_H
#define RS_CORE_OPTIM_IMPL_H

#include <stdbool.h>

#include "core/optim.h"

struct optim_slot {
    rs_tensor *p; /* retained */
    float *state; /* the aligned block, or NULL */
    float *m, *v; /* Adam moments / SGD buffer in m; point into state */
    bool decay;   /* weight decay applies to this parameter */
    int group;    /* clip group, 0..RS_OPTIM_MAX_GROUPS-1 */
};

/* Elements [lo, hi) of slot `slot`'s parameter; one parameter's pieces
 * are consecutive and in order. */
struct optim_piece {
    int slot;
    size_t lo, hi;
};

struct rs_optim {
    struct rs_optim_config cfg;
    struct optim_slot *slot;
    int n;
    struct optim_piece *piece;
    int npieces;
    double *part; /* (npieces) a sum of squares per piece */
    long steps;
    /* SGD: the momentum buffers hold nothing yet, so the next step sets
     * buf = d_p (torch clones the first d_p, without dampening). */
    bool buf_fresh;
    /* cfg's hyper-parameters widened once (see widen), and the last lr. */
    double wd, beta1, beta2, eps, momentum, dampening, clip;
    float lr_f;
    double lr_d;
};

/* Allocate and zero slot s's state block for count arrays (2 for Adam,
 * 1 for SGD with momentum); index names the parameter in the error. */
RS_NODISCARD int rs_optim_alloc_state(struct optim_slot *s, int count,
                                      int index, struct rs_error *err);
/* Cut every parameter into pieces of at most OPTIM_PIECE elements (an
 * empty parameter gets none): o->piece and o->part, new arrays. */
void rs_optim_make_pieces(rs_optim *o);

#endif /* RS_CORE_OPTIM_IMPL_H */
