/* repscope - MIT licence, see COPYING.
 *
 * ops_select.c: ops that pick or bound entries, the pieces of a policy
 * gradient loss (PPO's clipped surrogate, "Proximal policy optimization
 * algorithms", arXiv 1707.06347):
 *
 *   pick     y_r = x_{r, idx_r}: one entry of each row (the log-probability
 *            of the action taken, from a log-softmax)
 *   clamp    y = min(max(x, lo), hi)
 *   minimum  y = min(a, b), elementwise
 *
 * The gradients where these are not differentiable follow PyTorch 1.13:
 * clamp passes the gradient where lo <= x <= hi (both ends included);
 * minimum gives it to the smaller input and splits it evenly on a tie (as
 * torch.minimum does), which is also what a central difference measures
 * there. NaN propagates through minimum and clamp as in torch. No op keeps
 * scratch. The elementwise loops run in blocks of 16 with selects, not
 * branches, so gcc -O2 vectorises them. Worker thread only.
 */
#include "config.h"

#include "core/ops.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#include "core/ops_impl.h"
#include "core/tensor.h"

/* ---- pick --------------------------------------------------------------- */

/* out[r] = x[r, idx[r]] */
static void
pick_forward(float *restrict out,     /* (rows) */
             const float *restrict x, /* (rows, C) */
             const int *restrict idx, /* (rows) */
             size_t rows, int C)
{
    for (size_t r = 0; r < rows; r++)
        out[r] = x[r * (size_t)C + (size_t)idx[r]];
}

/* dx[r, idx[r]] += dout[r]; the other entries of a row get nothing */
static void
pick_backward(float *restrict dx,         /* (rows, C) */
              const float *restrict dout, /* (rows) */
              const int *restrict idx, size_t rows, int C)
{
    for (size_t r = 0; r < rows; r++)
        dx[r * (size_t)C + (size_t)idx[r]] += dout[r];
}

static void
node_pick_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    const rs_tensor *x = n->src[0];
    pick_forward(n->out->data, x->data, n->p.pick.idx, rs_tensor_rows(x),
                 rs_tensor_cols(x));
}

static void
node_pick_backward(rs_graph *g, struct rs_node *n)
{
    rs_tensor *x = n->src[0];
    if (!x->requires_grad)
        return;
    pick_backward(rs_graph_grad(g, x), n->out->grad, n->p.pick.idx,
                  rs_tensor_rows(x), rs_tensor_cols(x));
}

const struct rs_op_def rs_op_def_pick = {
    .name = "pick",
    .forward = node_pick_forward,
    .backward = node_pick_backward,
};

rs_tensor *
rs_op_pick(rs_graph *g, rs_tensor *x, const int *idx)
{
    if (rs_graph_skip(g, 1, &x))
        return NULL;
    if (x->ndim < 1) {
        rs_graph_fail(g, RS_ESHAPE,
                      "pick: x needs a last dimension, got a scalar");
        return NULL;
    }
    if (idx == NULL) {
        rs_graph_fail(g, RS_EINVAL, "pick: idx is NULL");
        return NULL;
    }
    size_t rows = rs_tensor_rows(x);
    int C = rs_tensor_cols(x);
    for (size_t r = 0; r < rows; r++)
        if (idx[r] < 0 || idx[r] >= C) {
            rs_graph_fail(g, RS_EINVAL,
                          "pick: index %d at row %zu is outside [0, %d)",
                          idx[r], r, C);
            return NULL;
        }
    /* (..., C) -> (...); a vector (C) gives a scalar (ndim 0) */
    int shape[RS_MAX_DIMS] = {1};
    memcpy(shape, x->shape, (size_t)(x->ndim - 1) * sizeof *shape);
    rs_tensor *out = rs_graph_tensor(g, x->ndim - 1, shape);
    if (out == NULL)
        return NULL;
    struct rs_node *n = rs_graph_node(g, RS_OP_PICK, out, 1, &x);
    n->p.pick.idx = rs_graph_alloc(g, rows * sizeof(int));
    memcpy(n->p.pick.idx, idx, rows * sizeof(int));
    return rs_graph_record(g, n);
}

/* ---- clamp -------------------------------------------------------------- */

/* out = min(max(x, lo), hi); NaN stays NaN (the comparisons are false) */
static RS_VEC_INLINE float
clamp1(float x, float lo, float hi)
{
    float y = x < lo ? lo : x;
    return y > hi ? hi : y;
}

RS_VEC_CLONES static void
clamp_forward(float *restrict out, const float *restrict x, size_t n, float lo,
              float hi)
{
    size_t i, nv = rs_vec_floor(n);
    for (i = 0; i < nv; i += 16) /* blocks of 16 vectorise */
        for (int k = 0; k < 16; k++)
            out[i + k] = clamp1(x[i + k], lo, hi);
    for (; i < n; i++)
        out[i] = clamp1(x[i], lo, hi);
}

/* dx += dout where lo <= x <= hi, else 0 (torch's clamp_backward) */
RS_VEC_CLONES static void
clamp_backward(float *restrict dx, const float *restrict dout,
               const float *restrict x, size_t n, float lo, float hi)
{
    size_t i, nv = rs_vec_floor(n);
    for (i = 0; i < nv; i += 16) /* blocks of 16 vectorise */
        for (int k = 0; k < 16; k++) {
            float d = x[i + k] >= lo && x[i + k] <= hi ? dout[i + k] : 0.0f;
            dx[i + k] += d;
        }
    for (; i < n; i++)
        dx[i] += x[i] >= lo && x[i] <= hi ? dout[i] : 0.0f;
}

static void
node_clamp_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    const rs_tensor *x = n->src[0];
    clamp_forward(n->out->data, x->data, x->numel, n->p.clamp.lo,
                  n->p.clamp.hi);
}

static void
node_clamp_backward(rs_graph *g, struct rs_node *n)
{
    rs_tensor *x = n->src[0];
    if (!x->requires_grad)
        return;
    clamp_backward(rs_graph_grad(g, x), n->out->grad, x->data, x->numel,
                   n->p.clamp.lo, n->p.clamp.hi);
}

const struct rs_op_def rs_op_def_clamp = {
    .name = "clamp",
    .forward = node_clamp_forward,
    .backward = node_clamp_backward,
};

rs_tensor *
rs_op_clamp(rs_graph *g, rs_tensor *x, float lo, float hi)
{
    if (rs_graph_skip(g, 1, &x))
        return NULL;
    if (isnan(lo) || isnan(hi) || !(lo <= hi)) {
        rs_graph_fail(g, RS_EINVAL,
                      "clamp: bounds [%g, %g] (need lo <= hi, not NaN)",
                      (double)lo, (double)hi);
        return NULL;
    }
    rs_tensor *out = rs_graph_tensor(g, x->ndim, x->shape);
    if (out == NULL)
        return NULL;
    struct rs_node *n = rs_graph_node(g, RS_OP_CLAMP, out, 1, &x);
    n->p.clamp.lo = lo;
    n->p.clamp.hi = hi;
    return rs_graph_record(g, n);
}

/* ---- minimum ------------------------------------------------------------ */

/* out = min(a, b); NaN in either gives NaN (a NaN a is kept; otherwise
 * b, which is the minimum, a tie, or a NaN b) */
static RS_VEC_INLINE float
min1(float a, float b)
{
    return a < b ? a : a != a ? a : b;
}

RS_VEC_CLONES static void
minimum_forward(float *restrict out, const float *restrict a,
                const float *restrict b, size_t n)
{
    size_t i, nv = rs_vec_floor(n);
    for (i = 0; i < nv; i += 16) /* blocks of 16 vectorise */
        for (int k = 0; k < 16; k++)
            out[i + k] = min1(a[i + k], b[i + k]);
    for (; i < n; i++)
        out[i] = min1(a[i], b[i]);
}

/* Share of the gradient the input a gets: 1 where a < b, 1/2 on a tie, 0
 * where a > b (b gets the rest). */
static RS_VEC_INLINE float
min_share(float a, float b)
{
    return a < b ? 1.0f : a > b ? 0.0f : 0.5f;
}

/* da += dout * s, db += dout * (1 - s), s = min_share(a, b); either
 * output may be NULL (no gradient wanted) */
RS_VEC_CLONES static void
minimum_backward(float *restrict da, float *restrict db,
                 const float *restrict dout, const float *restrict a,
                 const float *restrict b, size_t n)
{
    size_t i, nv = rs_vec_floor(n);
    if (da != NULL) {
        for (i = 0; i < nv; i += 16) /* blocks of 16 vectorise */
            for (int k = 0; k < 16; k++)
                da[i + k] += dout[i + k] * min_share(a[i + k], b[i + k]);
        for (; i < n; i++)
            da[i] += dout[i] * min_share(a[i], b[i]);
    }
    if (db != NULL) {
        for (i = 0; i < nv; i += 16)
            for (int k = 0; k < 16; k++)
                db[i + k] += dout[i + k] * min_share(b[i + k], a[i + k]);
        for (; i < n; i++)
            db[i] += dout[i] * min_share(b[i], a[i]);
    }
}

static void
node_minimum_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    minimum_forward(n->out->data, n->src[0]->data, n->src[1]->data,
                    n->out->numel);
}

static void
node_minimum_backward(rs_graph *g, struct rs_node *n)
{
    rs_tensor *a = n->src[0], *b = n->src[1];
    float *da = a->requires_grad ? rs_graph_grad(g, a) : NULL;
    float *db = b->requires_grad ? rs_graph_grad(g, b) : NULL;
    minimum_backward(da, db, n->out->grad, a->data, b->data, n->out->numel);
}

const struct rs_op_def rs_op_def_minimum = {
    .name = "minimum",
    .forward = node_minimum_forward,
    .backward = node_minimum_backward,
};

rs_tensor *
rs_op_minimum(rs_graph *g, rs_tensor *a, rs_tensor *b)
{
    rs_tensor *src[2] = {a, b};
    if (rs_graph_skip(g, 2, src))
        return NULL;
    bool same = a->ndim == b->ndim;
    for (int d = 0; same && d < a->ndim; d++)
        same = a->shape[d] == b->shape[d];
    if (!same) {
        char sa[64], sb[64];
        rs_tensor_shape_str(a, sa, sizeof sa);
        rs_tensor_shape_str(b, sb, sizeof sb);
        rs_graph_fail(g, RS_ESHAPE,
                      "minimum: a %s and b %s (need the same shape)", sa, sb);
        return NULL;
    }
    rs_tensor *out = rs_graph_tensor(g, a->ndim, a->shape);
    if (out == NULL)
        return NULL;
    struct rs_node *n = rs_graph_node(g, RS_OP_MINIMUM, out, 2, src);
    return rs_graph_record(g, n);
}
