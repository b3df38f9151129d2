/* repscope - MIT licence, see COPYING.
 *
 * optim_replace.c: parameters swapped under a live optimiser (core/
 * optim.h, rs_optim_replace_params): a pruned or grown layer keeps the
 * moments of the entries it keeps, the new entries start at zero state.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/optim.h"
#include "core/optim_impl.h"

/* ---- replacing parameters ------------------------------------------------ */

/* (The selections, rs_optim_keep_shape and rs_optim_keep_copy, are in
 * optim_keep.c.) */

int
rs_optim_find(const rs_optim *o, const rs_tensor *t)
{
    for (int i = 0; i < o->n; i++)
        if (o->slot[i].p == t)
            return i;
    return -1;
}

/* Check swap k of swaps (against the optimiser and the earlier swaps). */
static int
check_swap(const rs_optim *o, const struct rs_optim_swap *swaps, int k,
           struct rs_error *err)
{
    const struct rs_optim_swap *s = &swaps[k];
    if (s->param < 0 || s->param >= o->n)
        return rs_error_set(err, RS_EINVAL,
                            "swap %d: parameter %d out of range 0..%d", k,
                            s->param, o->n - 1);
    const rs_tensor *old = o->slot[s->param].p;
    const char *name = old->name != NULL ? old->name : "unnamed";
    const rs_tensor *t = s->t;
    if (t == NULL || !t->is_param || t->grad == NULL || t->refs < 1)
        return rs_error_set(err, RS_EINVAL,
                            "swap %d: the replacement for parameter %d (%s) "
                            "is not a trainable parameter tensor",
                            k, s->param, name);
    if (t == old)
        return rs_error_set(err, RS_EINVAL,
                            "swap %d: parameter %d (%s) replaced by itself", k,
                            s->param, name);
    int at = rs_optim_find(o, t);
    if (at >= 0)
        return rs_error_set(err, RS_EINVAL,
                            "swap %d: the replacement for parameter %d (%s) "
                            "is already parameter %d",
                            k, s->param, name, at);
    for (int j = 0; j < k; j++) {
        if (swaps[j].param == s->param)
            return rs_error_set(err, RS_EINVAL,
                                "swaps %d and %d both replace parameter "
                                "%d (%s)",
                                j, k, s->param, name);
        if (swaps[j].t == t)
            return rs_error_set(err, RS_EINVAL,
                                "swaps %d and %d give the same tensor", j, k);
    }
    int want[RS_MAX_DIMS];
    struct rs_error kerr = {0};
    if (rs_optim_keep_shape(old->ndim, old->shape, s->keep, s->nkeep, want,
                            &kerr) != RS_OK)
        return rs_error_set(err, kerr.code, "swap %d, parameter %d (%s): %s", k,
                            s->param, name, kerr.msg);
    bool same = t->ndim == old->ndim;
    for (int d = 0; same && d < old->ndim; d++)
        same = t->shape[d] == want[d];
    if (!same) {
        char got[64], exp[64];
        rs_tensor_shape_str(t, got, sizeof got);
        rs_tensor tmp = {.ndim = old->ndim};
        memcpy(tmp.shape, want, (size_t)old->ndim * sizeof *want);
        rs_tensor_shape_str(&tmp, exp, sizeof exp);
        return rs_error_set(err, RS_ESHAPE,
                            "swap %d: the replacement for parameter %d (%s) "
                            "has shape %s, the selection gives %s",
                            k, s->param, name, got, exp);
    }
    return RS_OK;
}

int
rs_optim_replace_params(rs_optim *o, const struct rs_optim_swap *swaps, int n,
                        struct rs_error *err)
{
    if (n < 0 || (n > 0 && swaps == NULL))
        return rs_error_set(err, RS_EINVAL, "bad swap list (n = %d)", n);
    for (int k = 0; k < n; k++) {
        int rc = check_swap(o, swaps, k, err);
        if (rc != RS_OK)
            return rc;
    }
    /* 1. New state blocks (the count each slot has now: SGD keeps buffers
     * once momentum was on), filled from the old ones. */
    struct optim_slot *fresh =
        n > 0 ? rs_xcalloc((size_t)n, sizeof *fresh) : NULL;
    for (int k = 0; k < n; k++) {
        const struct optim_slot *s = &o->slot[swaps[k].param];
        int count = s->state == NULL ? 0 : s->v != NULL ? 2 : 1;
        fresh[k].p = swaps[k].t;
        if (count == 0)
            continue;
        int rc = rs_optim_alloc_state(&fresh[k], count, swaps[k].param, err);
        if (rc != RS_OK) {
            for (int j = 0; j < k; j++)
                rs_aligned_free(fresh[j].state);
            free(fresh);
            return rc;
        }
        const rs_tensor *old = s->p;
        rs_optim_keep_copy(fresh[k].m, s->m, old->ndim, old->shape,
                           swaps[k].keep, swaps[k].nkeep);
        if (count > 1)
            rs_optim_keep_copy(fresh[k].v, s->v, old->ndim, old->shape,
                               swaps[k].keep, swaps[k].nkeep);
    }
    /* 2. Commit. */
    for (int k = 0; k < n; k++) {
        struct optim_slot *s = &o->slot[swaps[k].param];
        rs_aligned_free(s->state);
        rs_tensor_release(s->p);
        rs_tensor_retain(swaps[k].t);
        s->p = swaps[k].t;
        s->state = fresh[k].state;
        s->m = fresh[k].m;
        s->v = fresh[k].v;
    }
    free(fresh);
    free(o->piece);
    free(o->part);
    o->piece = NULL;
    o->part = NULL;
    rs_optim_make_pieces(o);
    return RS_OK;
}

int
rs_optim_replace_param(rs_optim *o, int i, rs_tensor *t,
                       const struct rs_optim_keep *keep, int nkeep,
                       struct rs_error *err)
{
    struct rs_optim_swap s = {.param = i, .t = t, .keep = keep, .nkeep = nkeep};
    return rs_optim_replace_params(o, &s, 1, err);
}
