/* repscope - MIT licence, see COPYING.
 *
 * optim_keep.c: selections of a parameter's entries (core/optim.h,
 * struct rs_optim_keep): the shape a list of selections leaves, and the
 * copy of the selected entries in row-major order. rs_optim_replace_params
 * (optim_replace.c) moves the moments by this rule, and nn/surgery.c cuts the
 * parameters by it, so the two stay aligned. Pure arithmetic on shapes:
 * no optimiser state.
 */
#include "config.h"

#include <string.h>

#include "core/optim.h"

int
rs_optim_keep_shape(int ndim, const int *shape,
                    const struct rs_optim_keep *keep, int nkeep, int *out,
                    struct rs_error *err)
{
    if (nkeep < 0 || nkeep > ndim)
        return rs_error_set(err, RS_EINVAL,
                            "%d selections for a %d-d parameter", nkeep, ndim);
    if (nkeep > 0 && keep == NULL)
        return rs_error_set(err, RS_EINVAL, "no selection list");
    for (int d = 0; d < ndim; d++)
        out[d] = shape[d];
    for (int k = 0; k < nkeep; k++) {
        const struct rs_optim_keep *s = &keep[k];
        if (s->dim < 0 || s->dim >= ndim)
            return rs_error_set(err, RS_EINVAL,
                                "selection %d: dim %d out of range for a "
                                "%d-d parameter",
                                k, s->dim, ndim);
        for (int j = 0; j < k; j++)
            if (keep[j].dim == s->dim)
                return rs_error_set(err, RS_EINVAL,
                                    "selections %d and %d both select "
                                    "dim %d",
                                    j, k, s->dim);
        if (s->n < 1)
            return rs_error_set(err, RS_EINVAL,
                                "selection %d: keeps nothing (n = %d)", k,
                                s->n);
        if (s->idx == NULL)
            return rs_error_set(err, RS_EINVAL, "selection %d: no index list",
                                k);
        for (int j = 0; j < s->n; j++)
            if (s->idx[j] < 0 || s->idx[j] >= shape[s->dim])
                return rs_error_set(err, RS_EINVAL,
                                    "selection %d: index %d (entry %d) "
                                    "out of range 0..%d of dim %d",
                                    k, s->idx[j], j, shape[s->dim] - 1, s->dim);
        out[s->dim] = s->n;
    }
    return RS_OK;
}

/* dst[o] = src[map(o)] with an odometer over every dimension but the last
 * (the last one is a plain run, or gathered through its map). */
void
rs_optim_keep_copy(float *dst, const float *src, int ndim, const int *shape,
                   const struct rs_optim_keep *keep, int nkeep)
{
    if (ndim == 0) {
        dst[0] = src[0];
        return;
    }
    const int *map[RS_MAX_DIMS] = {NULL};
    int out[RS_MAX_DIMS];
    size_t stride[RS_MAX_DIMS];
    for (int d = 0; d < ndim; d++)
        out[d] = shape[d];
    for (int k = 0; k < nkeep; k++) {
        map[keep[k].dim] = keep[k].idx;
        out[keep[k].dim] = keep[k].n;
    }
    stride[ndim - 1] = 1;
    for (int d = ndim - 2; d >= 0; d--)
        stride[d] = stride[d + 1] * (size_t)shape[d + 1];
    int last = ndim - 1, at[RS_MAX_DIMS] = {0};
    size_t outer = 1;
    for (int d = 0; d < last; d++)
        outer *= (size_t)out[d];
    for (size_t r = 0; r < outer; r++) {
        size_t base = 0;
        for (int d = 0; d < last; d++)
            base +=
                (size_t)(map[d] != NULL ? map[d][at[d]] : at[d]) * stride[d];
        if (map[last] != NULL) {
            for (int j = 0; j < out[last]; j++)
                dst[j] = src[base + (size_t)map[last][j]];
        } else {
            memcpy(dst, src + base, (size_t)out[last] * sizeof *dst);
        }
        dst += out[last];
        for (int d = last - 1; d >= 0; d--) {
            if (++at[d] < out[d])
                break;
            at[d] = 0;
        }
    }
}
