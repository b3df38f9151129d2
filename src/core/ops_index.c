/* repscope - MIT licence, see COPYING.
 *
 * ops_index.c: ops that move values without arithmetic: embedding lookup,
 * concat and slice on the last dimension, reshape, and inverted dropout.
 *
 * Invariants: embedding ids and the dropout mask are arena copies kept in the
 * node (p.embed.ids, saved), so the caller's arrays need not outlive the
 * call. reshape's output aliases its input's storage (rs_graph_alias) and
 * only its gradient is separate (rs_graph_record never rounds storage that
 * aliases a source, so a low-precision graph leaves x alone). dropout
 * draws one rs_rng_uniform per element in element order when p > 0 and
 * none when p == 0. Worker thread only.
 */
#include "config.h"

#include <limits.h>
#include <string.h>

#include "core/ops.h"
#include "core/ops_impl.h"

/* ---- embedding --------------------------------------------------------- */

/* out[i] = table[ids[i]], one row of C per id. */
static void
embedding_forward(float *restrict out,         /* (n, C) */
                  const float *restrict table, /* (V, C) */
                  const int *ids,              /* (n) */
                  size_t n, int C)
{
    for (size_t i = 0; i < n; i++)
        memcpy(out + i * (size_t)C, table + (size_t)ids[i] * (size_t)C,
               (size_t)C * sizeof(float));
}

/* dtable[ids[i]] += dout[i] (repeated ids accumulate). */
static void
embedding_backward(float *restrict dtable,     /* (V, C) */
                   const float *restrict dout, /* (n, C) */
                   const int *ids,             /* (n) */
                   size_t n, int C)
{
    for (size_t i = 0; i < n; i++) {
        float *dst = dtable + (size_t)ids[i] * (size_t)C;
        const float *src = dout + i * (size_t)C;
        for (int j = 0; j < C; j++)
            dst[j] += src[j];
    }
}

static void
node_embedding_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    const rs_tensor *table = n->src[0];
    embedding_forward(n->out->data, table->data, n->p.embed.ids,
                      rs_tensor_rows(n->out), table->shape[1]);
}

static void
node_embedding_backward(rs_graph *g, struct rs_node *n)
{
    rs_tensor *table = n->src[0];
    if (!table->requires_grad)
        return;
    embedding_backward(rs_graph_grad(g, table), n->out->grad, n->p.embed.ids,
                       rs_tensor_rows(n->out), table->shape[1]);
}

const struct rs_op_def rs_op_def_embedding = {
    .name = "embedding",
    .forward = node_embedding_forward,
    .backward = node_embedding_backward,
};

rs_tensor *
rs_op_embedding(rs_graph *g, rs_tensor *table, const int *ids, int ndim,
                const int *shape)
{
    if (rs_graph_skip(g, 1, &table))
        return NULL;
    if (table->ndim != 2) {
        rs_graph_fail(g, RS_ESHAPE,
                      "embedding: table has %d dims, expected 2 (V, C)",
                      table->ndim);
        return NULL;
    }
    if (ndim < 0 || ndim >= RS_MAX_DIMS || (ndim > 0 && shape == NULL)) {
        rs_graph_fail(g, RS_ESHAPE,
                      "embedding: ids have %d dims, expected 0..%d", ndim,
                      RS_MAX_DIMS - 1);
        return NULL;
    }
    if (ids == NULL) {
        rs_graph_fail(g, RS_EINVAL, "embedding: ids is NULL");
        return NULL;
    }
    int oshape[RS_MAX_DIMS];
    for (int i = 0; i < ndim; i++)
        oshape[i] = shape[i];
    oshape[ndim] = table->shape[1];
    rs_tensor *out = rs_graph_tensor(g, ndim + 1, oshape);
    if (out == NULL)
        return NULL;
    size_t nids = rs_tensor_rows(out);
    int V = table->shape[0];
    for (size_t i = 0; i < nids; i++)
        if (ids[i] < 0 || ids[i] >= V) {
            rs_graph_fail(g, RS_EINVAL,
                          "embedding: id %d at index %zu out of range [0, %d)",
                          ids[i], i, V);
            return NULL;
        }
    int *copy = rs_graph_alloc(g, nids * sizeof *copy);
    memcpy(copy, ids, nids * sizeof *copy);
    struct rs_node *n = rs_graph_node(g, RS_OP_EMBEDDING, out, 1, &table);
    n->p.embed.ids = copy;
    return rs_graph_record(g, n);
}

/* ---- concat and slice -------------------------------------------------- */

/* out row = [a row | b row]. */
static void
concat_forward(float *restrict out,     /* (N, Ca + Cb) */
               const float *restrict a, /* (N, Ca) */
               const float *restrict b, /* (N, Cb) */
               size_t N, int Ca, int Cb)
{
    size_t Co = (size_t)Ca + (size_t)Cb;
    for (size_t i = 0; i < N; i++) {
        memcpy(out + i * Co, a + i * (size_t)Ca, (size_t)Ca * sizeof(float));
        memcpy(out + i * Co + Ca, b + i * (size_t)Cb,
               (size_t)Cb * sizeof(float));
    }
}

/* da += dout[:, :Ca], db += dout[:, Ca:] (either may be NULL). a and b may
 * be the same tensor, so no restrict between da and db. */
static void
concat_backward(float *da,                  /* (N, Ca) or NULL */
                float *db,                  /* (N, Cb) or NULL */
                const float *restrict dout, /* (N, Ca + Cb) */
                size_t N, int Ca, int Cb)
{
    size_t Co = (size_t)Ca + (size_t)Cb;
    for (size_t i = 0; i < N; i++) {
        const float *d = dout + i * Co;
        if (da != NULL) {
            float *dst = da + i * (size_t)Ca;
            for (int j = 0; j < Ca; j++)
                dst[j] += d[j];
        }
        if (db != NULL) {
            float *dst = db + i * (size_t)Cb;
            for (int j = 0; j < Cb; j++)
                dst[j] += d[Ca + j];
        }
    }
}

static void
node_concat_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    const rs_tensor *a = n->src[0], *b = n->src[1];
    concat_forward(n->out->data, a->data, b->data, rs_tensor_rows(a),
                   rs_tensor_cols(a), rs_tensor_cols(b));
}

static void
node_concat_backward(rs_graph *g, struct rs_node *n)
{
    rs_tensor *a = n->src[0], *b = n->src[1];
    float *da = a->requires_grad ? rs_graph_grad(g, a) : NULL;
    float *db = b->requires_grad ? rs_graph_grad(g, b) : NULL;
    concat_backward(da, db, n->out->grad, rs_tensor_rows(a), rs_tensor_cols(a),
                    rs_tensor_cols(b));
}

const struct rs_op_def rs_op_def_concat = {
    .name = "concat",
    .forward = node_concat_forward,
    .backward = node_concat_backward,
};

rs_tensor *
rs_op_concat(rs_graph *g, rs_tensor *a, rs_tensor *b)
{
    rs_tensor *src[2] = {a, b};
    if (rs_graph_skip(g, 2, src))
        return NULL;
    char sa[64], sb[64];
    bool match = a->ndim == b->ndim && a->ndim >= 1;
    for (int i = 0; match && i < a->ndim - 1; i++)
        match = a->shape[i] == b->shape[i];
    if (!match) {
        rs_graph_fail(g, RS_ESHAPE, "concat: leading dims of %s and %s differ",
                      rs_tensor_shape_str(a, sa, sizeof sa),
                      rs_tensor_shape_str(b, sb, sizeof sb));
        return NULL;
    }
    long cols = (long)rs_tensor_cols(a) + (long)rs_tensor_cols(b);
    if (cols > INT_MAX) {
        rs_graph_fail(g, RS_ESHAPE, "concat: %ld columns exceed INT_MAX", cols);
        return NULL;
    }
    int shape[RS_MAX_DIMS];
    memcpy(shape, a->shape, sizeof shape);
    shape[a->ndim - 1] = (int)cols;
    rs_tensor *out = rs_graph_tensor(g, a->ndim, shape);
    if (out == NULL)
        return NULL;
    return rs_graph_record(g, rs_graph_node(g, RS_OP_CONCAT, out, 2, src));
}

/* out row = x row [start, start + len). */
static void
slice_forward(float *restrict out,     /* (N, len) */
              const float *restrict x, /* (N, C) */
              size_t N, int C, int start, int len)
{
    for (size_t i = 0; i < N; i++)
        memcpy(out + i * (size_t)len, x + i * (size_t)C + start,
               (size_t)len * sizeof(float));
}

/* dx[:, start:start+len] += dout. */
static void
slice_backward(float *restrict dx,         /* (N, C) */
               const float *restrict dout, /* (N, len) */
               size_t N, int C, int start, int len)
{
    for (size_t i = 0; i < N; i++) {
        float *dst = dx + i * (size_t)C + start;
        const float *src = dout + i * (size_t)len;
        for (int j = 0; j < len; j++)
            dst[j] += src[j];
    }
}

static void
node_slice_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    const rs_tensor *x = n->src[0];
    slice_forward(n->out->data, x->data, rs_tensor_rows(x), rs_tensor_cols(x),
                  n->p.slice.start, n->p.slice.len);
}

static void
node_slice_backward(rs_graph *g, struct rs_node *n)
{
    rs_tensor *x = n->src[0];
    if (!x->requires_grad)
        return;
    slice_backward(rs_graph_grad(g, x), n->out->grad, rs_tensor_rows(x),
                   rs_tensor_cols(x), n->p.slice.start, n->p.slice.len);
}

const struct rs_op_def rs_op_def_slice = {
    .name = "slice",
    .forward = node_slice_forward,
    .backward = node_slice_backward,
};

rs_tensor *
rs_op_slice(rs_graph *g, rs_tensor *x, int start, int len)
{
    if (rs_graph_skip(g, 1, &x))
        return NULL;
    if (x->ndim < 1) {
        rs_graph_fail(g, RS_ESHAPE, "slice: input is a scalar");
        return NULL;
    }
    int C = rs_tensor_cols(x);
    if (start < 0 || len < 1 || (long)start + (long)len > (long)C) {
        rs_graph_fail(g, RS_ESHAPE, "slice: columns [%d, %ld) outside [0, %d)",
                      start, (long)start + (long)len, C);
        return NULL;
    }
    int shape[RS_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[x->ndim - 1] = len;
    rs_tensor *out = rs_graph_tensor(g, x->ndim, shape);
    if (out == NULL)
        return NULL;
    struct rs_node *n = rs_graph_node(g, RS_OP_SLICE, out, 1, &x);
    n->p.slice.start = start;
    n->p.slice.len = len;
    return rs_graph_record(g, n);
}

/* ---- reshape ----------------------------------------------------------- */

/* Nothing to compute: the output aliases the input's storage. */
static void
node_reshape_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    RS_ASSERT(n->out->data == n->src[0]->data);
}

/* dx += dout (same elements in the same order). */
static void
node_reshape_backward(rs_graph *g, struct rs_node *n)
{
    rs_tensor *x = n->src[0];
    if (!x->requires_grad)
        return;
    float *restrict dx = rs_graph_grad(g, x);
    const float *restrict dout = n->out->grad;
    for (size_t i = 0; i < x->numel; i++)
        dx[i] += dout[i];
}

const struct rs_op_def rs_op_def_reshape = {
    .name = "reshape",
    .forward = node_reshape_forward,
    .backward = node_reshape_backward,
};

rs_tensor *
rs_op_reshape(rs_graph *g, rs_tensor *x, int ndim, const int *shape)
{
    if (rs_graph_skip(g, 1, &x))
        return NULL;
    if (ndim < 0 || ndim > RS_MAX_DIMS || (ndim > 0 && shape == NULL)) {
        rs_graph_fail(g, RS_ESHAPE, "reshape: %d dims, expected 0..%d", ndim,
                      RS_MAX_DIMS);
        return NULL;
    }
    size_t numel = rs_shape_numel(ndim, shape);
    if (numel != x->numel) {
        rs_graph_fail(g, RS_ESHAPE,
                      "reshape: new shape has %zu elements, input has %zu",
                      numel, x->numel);
        return NULL;
    }
    rs_tensor *out = rs_graph_alias(g, x->data, ndim, shape);
    if (out == NULL)
        return NULL;
    struct rs_node *n = rs_graph_node(g, RS_OP_RESHAPE, out, 1, &x);
    return rs_graph_record(g, n);
}

/* ---- dropout ----------------------------------------------------------- */

/* Draw the mask (0 or 1/(1-p), kept when u >= p) and apply it. */
static void
dropout_forward(float *restrict out,     /* (N) */
                float *restrict mask,    /* (N) */
                const float *restrict x, /* (N) */
                size_t N, float p, struct rs_rng *rng)
{
    float keep = 1.0f / (1.0f - p);
    for (size_t i = 0; i < N; i++)
        mask[i] = rs_rng_uniform(rng) >= p ? keep : 0.0f;
    for (size_t i = 0; i < N; i++)
        out[i] = x[i] * mask[i];
}

/* dx += dout * mask. */
static void
dropout_backward(float *restrict dx,         /* (N) */
                 const float *restrict dout, /* (N) */
                 const float *restrict mask, /* (N) */
                 size_t N)
{
    for (size_t i = 0; i < N; i++)
        dx[i] += dout[i] * mask[i];
}

static void
node_dropout_forward(rs_graph *g, struct rs_node *n)
{
    const rs_tensor *x = n->src[0];
    if (n->p.dropout.p == 0.0f) {
        memcpy(n->out->data, x->data, x->numel * sizeof(float));
        n->saved = NULL;
        return;
    }
    float *mask = rs_graph_alloc(g, x->numel * sizeof(float));
    n->saved = mask;
    dropout_forward(n->out->data, mask, x->data, x->numel, n->p.dropout.p,
                    n->p.dropout.rng);
}

/* p == 0 (no mask saved): dx += dout. */
static void
node_dropout_backward(rs_graph *g, struct rs_node *n)
{
    rs_tensor *x = n->src[0];
    if (!x->requires_grad)
        return;
    float *restrict dx = rs_graph_grad(g, x);
    if (n->saved == NULL) {
        const float *restrict dout = n->out->grad;
        for (size_t i = 0; i < x->numel; i++)
            dx[i] += dout[i];
        return;
    }
    dropout_backward(dx, n->out->grad, n->saved, x->numel);
}

const struct rs_op_def rs_op_def_dropout = {
    .name = "dropout",
    .forward = node_dropout_forward,
    .backward = node_dropout_backward,
};

rs_tensor *
rs_op_dropout(rs_graph *g, rs_tensor *x, float p, struct rs_rng *rng)
{
    if (rs_graph_skip(g, 1, &x))
        return NULL;
    if (!(p >= 0.0f && p < 1.0f)) {
        rs_graph_fail(g, RS_EINVAL, "dropout: p %g outside [0, 1)", (double)p);
        return NULL;
    }
    if (p > 0.0f && rng == NULL) {
        rs_graph_fail(g, RS_EINVAL, "dropout: p %g needs an rng", (double)p);
        return NULL;
    }
    rs_tensor *out = rs_graph_tensor(g, x->ndim, x->shape);
    if (out == NULL)
        return NULL;
    struct rs_node *n = rs_graph_node(g, RS_OP_DROPOUT, out, 1, &x);
    n->p.dropout.p = p;
    n->p.dropout.rng = rng;
    return rs_graph_record(g, n);
}
