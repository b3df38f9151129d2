/* repscope - MIT licence, see COPYING.
 *
 * tensor.h: float32 tensors, contiguous, up to 4 dimensions.
 *
 * Dimension names used in shape comments project-wide (llm.c):
 *   B batch, T sequence, C channels/width, V vocabulary, H heads,
 *   N rows of a feature matrix, K/M generic matmul dims.
 *
 * Two kinds of tensor share this header:
 *   - heap tensors (rs_tensor_new*, parameters, optimiser state, datasets):
 *     refcounted with rs_tensor_retain/rs_tensor_release, the header and the
 *     64-byte aligned storage owned together; a view (rs_tensor_view_rows)
 *     retains the tensor it borrows from.
 *   - graph temporaries (rs_graph_tensor, op outputs): header and storage
 *     live in the graph's step arena and die at rs_graph_reset; refs == 0
 *     marks them, and retain/release on them is a bug.
 * Fields are public and read-only by convention: write data[] and grad[],
 * never the shape. Single-threaded: a tensor belongs to one thread.
 */
#ifndef RS_CORE_TENSOR_H
#define RS_CORE_TENSOR_H

#include <stdbool.h>
#include <stddef.h>

#include "core/base.h"

#define RS_MAX_DIMS 4

enum rs_dtype { RS_DTYPE_F32 };

struct rs_node;

typedef struct rs_tensor rs_tensor;
struct rs_tensor {
    enum rs_dtype dtype;
    int ndim;                 /* 0 (scalar) .. RS_MAX_DIMS */
    int shape[RS_MAX_DIMS];   /* unused trailing entries are 1 */
    size_t numel;             /* product of shape[0..ndim) */
    float *data;              /* numel floats, contiguous row-major */
    float *grad;              /* numel floats or NULL (see rs_graph_grad) */
    bool requires_grad;       /* gradients flow into this tensor */
    bool is_param;            /* trainable parameter: grad is heap-owned */
    int refs;                 /* heap: refcount >= 1; arena: 0 */
    struct rs_tensor *base;   /* view: the retained tensor that owns data */
    struct rs_node *node;     /* graph node that produced it, or NULL */
    const char *name;         /* optional, borrowed (static or owner-held) */
};

/* New zero-filled heap tensor; NULL and err filled if the shape is invalid
 * (ndim outside 0..4, a dim < 1) or the storage cannot be allocated. */
rs_tensor *rs_tensor_new(int ndim, const int *shape, struct rs_error *err);
/* Convenience for literal shapes: rs_tensor_new2(rows, cols, err). */
rs_tensor *rs_tensor_new1(int d0, struct rs_error *err);
rs_tensor *rs_tensor_new2(int d0, int d1, struct rs_error *err);
/* A trainable parameter: zero data and a zero grad buffer of the same size,
 * requires_grad and is_param set. */
rs_tensor *rs_tensor_new_param(int ndim, const int *shape,
                               struct rs_error *err);
/* Deep copy of data (not grad) into a new heap tensor. */
rs_tensor *rs_tensor_clone(const rs_tensor *t, struct rs_error *err);
/* A view of rows [row0, row0 + nrows) of the leading dimension: shares
 * storage, retains t. Not differentiable. */
rs_tensor *rs_tensor_view_rows(rs_tensor *t, int row0, int nrows,
                               struct rs_error *err);
void rs_tensor_retain(rs_tensor *t);
/* Drop one reference; frees at zero. NULL is a no-op. */
void rs_tensor_release(rs_tensor *t);

/* Fill helpers (any tensor kind). */
void rs_tensor_fill(rs_tensor *t, float v);
void rs_tensor_zero_grad(rs_tensor *t);
/* Copy src's data into dst (same numel). */
void rs_tensor_copy_data(rs_tensor *dst, const rs_tensor *src);

/* Shape helpers. */
bool rs_tensor_same_shape(const rs_tensor *a, const rs_tensor *b);
/* Product of all dims but the last ("rows") and the last dim ("cols"). */
size_t rs_tensor_rows(const rs_tensor *t);
int rs_tensor_cols(const rs_tensor *t);
/* "(2, 3, 4)" into buf; returns buf. */
const char *rs_tensor_shape_str(const rs_tensor *t, char *buf, size_t len);
/* Compute numel for (ndim, shape); 0 if invalid. */
size_t rs_shape_numel(int ndim, const int *shape);
/* Index of the first non-finite element of data, or -1. */
long rs_tensor_find_nonfinite(const rs_tensor *t);

#endif /* RS_CORE_TENSOR_H */
