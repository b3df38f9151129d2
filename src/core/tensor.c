/* repscope - MIT licence, see COPYING.
 *
 * tensor.c: heap tensors (refcounted header + 64-byte aligned storage) and
 * shape helpers shared with graph temporaries. Single-threaded per tensor.
 */
#include "config.h"

#include "core/tensor.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t
rs_shape_numel(int ndim, const int *shape)
{
    if (ndim < 0 || ndim > RS_MAX_DIMS)
        return 0;
    size_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 1)
            return 0;
        if (n > SIZE_MAX / 4 / (size_t)shape[i])
            return 0;
        n *= (size_t)shape[i];
    }
    return n;
}

static rs_tensor *
tensor_header(int ndim, const int *shape, size_t numel)
{
    rs_tensor *t = rs_xcalloc(1, sizeof *t);
    t->dtype = RS_DTYPE_F32;
    t->ndim = ndim;
    for (int i = 0; i < RS_MAX_DIMS; i++)
        t->shape[i] = i < ndim ? shape[i] : 1;
    t->numel = numel;
    t->refs = 1;
    return t;
}

static int
check_shape(int ndim, const int *shape, struct rs_error *err)
{
    if (ndim < 0 || ndim > RS_MAX_DIMS)
        return rs_error_set(err, RS_EINVAL, "%d dimensions (0..%d)",
                            ndim, RS_MAX_DIMS);
    for (int i = 0; i < ndim; i++)
        if (shape[i] < 1)
            return rs_error_set(err, RS_EINVAL,
                                "dimension %d is %d (must be >= 1)",
                                i, shape[i]);
    if (rs_shape_numel(ndim, shape) == 0)
        return rs_error_set(err, RS_ENOMEM, "shape too large");
    return RS_OK;
}

rs_tensor *
rs_tensor_new(int ndim, const int *shape, struct rs_error *err)
{
    if (check_shape(ndim, shape, err) != RS_OK)
        return NULL;
    size_t numel = rs_shape_numel(ndim, shape);
    float *data = rs_aligned_alloc(numel * sizeof(float));
    if (data == NULL) {
        rs_error_set(err, RS_ENOMEM, "cannot allocate %zu floats",
                     numel);
        return NULL;
    }
    memset(data, 0, numel * sizeof(float));
    rs_tensor *t = tensor_header(ndim, shape, numel);
    t->data = data;
    return t;
}

rs_tensor *
rs_tensor_new1(int d0, struct rs_error *err)
{
    return rs_tensor_new(1, &d0, err);
}

rs_tensor *
rs_tensor_new2(int d0, int d1, struct rs_error *err)
{
    int shape[2] = {d0, d1};
    return rs_tensor_new(2, shape, err);
}

rs_tensor *
rs_tensor_new_param(int ndim, const int *shape, struct rs_error *err)
{
    rs_tensor *t = rs_tensor_new(ndim, shape, err);
    if (t == NULL)
        return NULL;
    t->grad = rs_aligned_alloc(t->numel * sizeof(float));
    if (t->grad == NULL) {
        rs_tensor_release(t);
        rs_error_set(err, RS_ENOMEM, "cannot allocate gradient");
        return NULL;
    }
    memset(t->grad, 0, t->numel * sizeof(float));
    t->requires_grad = true;
    t->is_param = true;
    return t;
}

rs_tensor *
rs_tensor_clone(const rs_tensor *t, struct rs_error *err)
{
    rs_tensor *c = rs_tensor_new(t->ndim, t->shape, err);
    if (c != NULL)
        memcpy(c->data, t->data, t->numel * sizeof(float));
    return c;
}

rs_tensor *
rs_tensor_view_rows(rs_tensor *t, int row0, int nrows, struct rs_error *err)
{
    RS_ASSERT(t->refs > 0);
    if (t->ndim < 1 || row0 < 0 || nrows < 1 || row0 + nrows > t->shape[0]) {
        rs_error_set(err, RS_EINVAL, "rows [%d, %d) outside 0..%d",
                     row0, row0 + nrows, t->ndim < 1 ? 0 : t->shape[0]);
        return NULL;
    }
    int shape[RS_MAX_DIMS];
    memcpy(shape, t->shape, sizeof shape);
    shape[0] = nrows;
    size_t row = t->numel / (size_t)t->shape[0];
    rs_tensor *v = tensor_header(t->ndim, shape, row * (size_t)nrows);
    v->data = t->data + row * (size_t)row0;
    v->base = t->base != NULL ? t->base : t;
    rs_tensor_retain(v->base);
    return v;
}

void
rs_tensor_retain(rs_tensor *t)
{
    RS_ASSERT(t->refs > 0);
    t->refs++;
}

void
rs_tensor_release(rs_tensor *t)
{
    if (t == NULL)
        return;
    RS_ASSERT(t->refs > 0);
    if (--t->refs > 0)
        return;
    if (t->base != NULL)
        rs_tensor_release(t->base);
    else
        rs_aligned_free(t->data);
    rs_aligned_free(t->grad);
    free(t);
}

void
rs_tensor_fill(rs_tensor *t, float v)
{
    for (size_t i = 0; i < t->numel; i++)
        t->data[i] = v;
}

void
rs_tensor_zero_grad(rs_tensor *t)
{
    if (t->grad != NULL)
        memset(t->grad, 0, t->numel * sizeof(float));
}

void
rs_tensor_copy_data(rs_tensor *dst, const rs_tensor *src)
{
    RS_ASSERT(dst->numel == src->numel);
    memcpy(dst->data, src->data, src->numel * sizeof(float));
}

bool
rs_tensor_same_shape(const rs_tensor *a, const rs_tensor *b)
{
    if (a->ndim != b->ndim)
        return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i])
            return false;
    return true;
}

size_t
rs_tensor_rows(const rs_tensor *t)
{
    if (t->ndim == 0)
        return 1;
    return t->numel / (size_t)t->shape[t->ndim - 1];
}

int
rs_tensor_cols(const rs_tensor *t)
{
    return t->ndim == 0 ? 1 : t->shape[t->ndim - 1];
}

const char *
rs_tensor_shape_str(const rs_tensor *t, char *buf, size_t len)
{
    size_t off = 0;
    off += (size_t)snprintf(buf, len, "(");
    for (int i = 0; i < t->ndim && off < len; i++)
        off += (size_t)snprintf(buf + off, len - off, i ? ", %d" : "%d",
                                t->shape[i]);
    if (off < len)
        snprintf(buf + off, len - off, ")");
    return buf;
}

long
rs_tensor_find_nonfinite(const rs_tensor *t)
{
    for (size_t i = 0; i < t->numel; i++)
        if (!isfinite(t->data[i]))
            return (long)i;
    return -1;
}
