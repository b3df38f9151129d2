/* repscope - MIT licence, see COPYING.
 *
 * ops_elementwise.c: binary ops with suffix broadcasting (add, sub, mul,
 * div). The one-input ops (scale, add_scalar, activations) are in
 * ops_unary.c.
 *
 * Broadcasting (core/ops.h): a is viewed as (outer, nb) rows, b as one row
 * of nb floats (nb == a's numel when the shapes are equal, nb == 1 for a
 * scalar b); the output has a's shape. Backward reduces dout over the
 * broadcast rows into db.
 *
 * Kernels run every training step, so the cheap ones are written for GCC's
 * -O2 vectoriser, whose "very cheap" cost model only accepts loops whose
 * trip count is a known multiple of the vector width: each such loop runs
 * to rs_vec_floor(n) and a scalar tail finishes the rest. Each kernel is
 * compiled once per vector width (RS_VEC_CLONES; the sums into a broadcast
 * db stay in source order, so every width gives the same bits). Worker
 * thread only.
 */
#include "config.h"

#include "core/ops.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/ops_impl.h"
#include "core/tensor.h"

/* ---- binary ops: forward kernels -------------------------------------- */

/* out = a + b, a (outer, nb), b (nb) broadcast over the rows. */
RS_VEC_CLONES static void
add_forward(float *restrict out, const float *restrict a,
            const float *restrict b, size_t outer, size_t nb)
{
    if (nb == 1) {
        const float s = b[0];
        size_t i, nv = rs_vec_floor(outer);
        for (i = 0; i < nv; i++)
            out[i] = a[i] + s;
        for (; i < outer; i++)
            out[i] = a[i] + s;
        return;
    }
    size_t nv = rs_vec_floor(nb);
    for (size_t o = 0; o < outer; o++) {
        float *restrict y = out + o * nb;
        const float *restrict x = a + o * nb;
        size_t i;
        for (i = 0; i < nv; i++)
            y[i] = x[i] + b[i];
        for (; i < nb; i++)
            y[i] = x[i] + b[i];
    }
}

/* out = a - b, a (outer, nb), b (nb). */
RS_VEC_CLONES static void
sub_forward(float *restrict out, const float *restrict a,
            const float *restrict b, size_t outer, size_t nb)
{
    if (nb == 1) {
        const float s = b[0];
        size_t i, nv = rs_vec_floor(outer);
        for (i = 0; i < nv; i++)
            out[i] = a[i] - s;
        for (; i < outer; i++)
            out[i] = a[i] - s;
        return;
    }
    size_t nv = rs_vec_floor(nb);
    for (size_t o = 0; o < outer; o++) {
        float *restrict y = out + o * nb;
        const float *restrict x = a + o * nb;
        size_t i;
        for (i = 0; i < nv; i++)
            y[i] = x[i] - b[i];
        for (; i < nb; i++)
            y[i] = x[i] - b[i];
    }
}

/* out = a * b, a (outer, nb), b (nb). */
RS_VEC_CLONES static void
mul_forward(float *restrict out, const float *restrict a,
            const float *restrict b, size_t outer, size_t nb)
{
    if (nb == 1) {
        const float s = b[0];
        size_t i, nv = rs_vec_floor(outer);
        for (i = 0; i < nv; i++)
            out[i] = a[i] * s;
        for (; i < outer; i++)
            out[i] = a[i] * s;
        return;
    }
    size_t nv = rs_vec_floor(nb);
    for (size_t o = 0; o < outer; o++) {
        float *restrict y = out + o * nb;
        const float *restrict x = a + o * nb;
        size_t i;
        for (i = 0; i < nv; i++)
            y[i] = x[i] * b[i];
        for (; i < nb; i++)
            y[i] = x[i] * b[i];
    }
}

/* out = a / b, a (outer, nb), b (nb). A true division (not a reciprocal
 * multiply) so results match a / b exactly. */
RS_VEC_CLONES static void
div_forward(float *restrict out, const float *restrict a,
            const float *restrict b, size_t outer, size_t nb)
{
    if (nb == 1) {
        const float s = b[0];
        size_t i, nv = rs_vec_floor(outer);
        for (i = 0; i < nv; i++)
            out[i] = a[i] / s;
        for (; i < outer; i++)
            out[i] = a[i] / s;
        return;
    }
    size_t nv = rs_vec_floor(nb);
    for (size_t o = 0; o < outer; o++) {
        float *restrict y = out + o * nb;
        const float *restrict x = a + o * nb;
        size_t i;
        for (i = 0; i < nv; i++)
            y[i] = x[i] / b[i];
        for (; i < nb; i++)
            y[i] = x[i] / b[i];
    }
}

/* ---- binary ops: backward kernels ------------------------------------- */
/* da / db may be NULL (that source takes no gradient). They never alias:
 * binary_backward splits the call when a and b are the same tensor. */

/* da += dout; db += sign * sum over rows of dout (sign -1 for sub). */
RS_VEC_CLONES static void
add_backward(float *restrict da, float *restrict db, const float *restrict dout,
             size_t outer, size_t nb, float sign)
{
    if (da != NULL)
        rs_vec_acc(da, dout, outer * nb);
    if (db == NULL)
        return;
    if (nb == 1) {
        db[0] += sign * (float)rs_vec_sum_double(dout, outer);
        return;
    }
    size_t nv = rs_vec_floor(nb);
    for (size_t o = 0; o < outer; o++) {
        const float *restrict d = dout + o * nb;
        size_t i;
        for (i = 0; i < nv; i++)
            db[i] += sign * d[i];
        for (; i < nb; i++)
            db[i] += sign * d[i];
    }
}

/* da += dout * b; db += sum over rows of dout * a. */
RS_VEC_CLONES static void
mul_backward(float *restrict da, float *restrict db, const float *restrict dout,
             const float *restrict a, const float *restrict b, size_t outer,
             size_t nb)
{
    if (nb == 1) {
        size_t n = outer;
        if (da != NULL) {
            const float s = b[0];
            size_t i, nv = rs_vec_floor(n);
            for (i = 0; i < nv; i++)
                da[i] += dout[i] * s;
            for (; i < n; i++)
                da[i] += dout[i] * s;
        }
        if (db != NULL) {
            double s = 0.0;
            for (size_t i = 0; i < n; i++)
                s += (double)dout[i] * (double)a[i];
            db[0] += (float)s;
        }
        return;
    }
    size_t nv = rs_vec_floor(nb);
    for (size_t o = 0; o < outer; o++) {
        const float *restrict d = dout + o * nb;
        const float *restrict x = a + o * nb;
        size_t i;
        if (da != NULL) {
            float *restrict dx = da + o * nb;
            for (i = 0; i < nv; i++)
                dx[i] += d[i] * b[i];
            for (; i < nb; i++)
                dx[i] += d[i] * b[i];
        }
        if (db != NULL) {
            for (i = 0; i < nv; i++)
                db[i] += d[i] * x[i];
            for (; i < nb; i++)
                db[i] += d[i] * x[i];
        }
    }
}

/* da += dout / b; db += sum over rows of -dout * a / b^2. */
RS_VEC_CLONES static void
div_backward(float *restrict da, float *restrict db, const float *restrict dout,
             const float *restrict a, const float *restrict b, size_t outer,
             size_t nb)
{
    if (nb == 1) {
        size_t n = outer;
        const float s = b[0];
        if (da != NULL) {
            size_t i, nv = rs_vec_floor(n);
            for (i = 0; i < nv; i++)
                da[i] += dout[i] / s;
            for (; i < n; i++)
                da[i] += dout[i] / s;
        }
        if (db != NULL) {
            double acc = 0.0;
            for (size_t i = 0; i < n; i++)
                acc += (double)dout[i] * (double)a[i];
            db[0] -= (float)(acc / ((double)s * (double)s));
        }
        return;
    }
    size_t nv = rs_vec_floor(nb);
    for (size_t o = 0; o < outer; o++) {
        const float *restrict d = dout + o * nb;
        const float *restrict x = a + o * nb;
        size_t i;
        if (da != NULL) {
            float *restrict dx = da + o * nb;
            for (i = 0; i < nv; i++)
                dx[i] += d[i] / b[i];
            for (; i < nb; i++)
                dx[i] += d[i] / b[i];
        }
        if (db != NULL) {
            for (i = 0; i < nv; i++)
                db[i] -= d[i] * x[i] / (b[i] * b[i]);
            for (; i < nb; i++)
                db[i] -= d[i] * x[i] / (b[i] * b[i]);
        }
    }
}

/* ---- binary ops: nodes and builders ----------------------------------- */

static void
binary_dims(const struct rs_node *n, size_t *outer, size_t *nb)
{
    *nb = n->src[1]->numel;
    *outer = n->src[0]->numel / *nb;
}

static void
add_node_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    size_t outer, nb;
    binary_dims(n, &outer, &nb);
    add_forward(n->out->data, n->src[0]->data, n->src[1]->data, outer, nb);
}

static void
sub_node_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    size_t outer, nb;
    binary_dims(n, &outer, &nb);
    sub_forward(n->out->data, n->src[0]->data, n->src[1]->data, outer, nb);
}

static void
mul_node_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    size_t outer, nb;
    binary_dims(n, &outer, &nb);
    mul_forward(n->out->data, n->src[0]->data, n->src[1]->data, outer, nb);
}

static void
div_node_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    size_t outer, nb;
    binary_dims(n, &outer, &nb);
    div_forward(n->out->data, n->src[0]->data, n->src[1]->data, outer, nb);
}

/* Gradient buffers of a and b (NULL where not required), and whether they
 * are one buffer (a and b the same tensor, as in x * x): then the kernels
 * must run once per source to keep their restrict promises. */
static bool
binary_grads(rs_graph *g, struct rs_node *n, float **da, float **db)
{
    rs_tensor *a = n->src[0], *b = n->src[1];
    *da = a->requires_grad ? rs_graph_grad(g, a) : NULL;
    *db = b->requires_grad ? rs_graph_grad(g, b) : NULL;
    return *da != NULL && *da == *db;
}

static void
add_node_backward(rs_graph *g, struct rs_node *n)
{
    float *da, *db;
    size_t outer, nb;
    binary_dims(n, &outer, &nb);
    if (binary_grads(g, n, &da, &db)) {
        add_backward(da, NULL, n->out->grad, outer, nb, 1.0f);
        add_backward(NULL, db, n->out->grad, outer, nb, 1.0f);
    } else {
        add_backward(da, db, n->out->grad, outer, nb, 1.0f);
    }
}

static void
sub_node_backward(rs_graph *g, struct rs_node *n)
{
    float *da, *db;
    size_t outer, nb;
    binary_dims(n, &outer, &nb);
    if (binary_grads(g, n, &da, &db)) {
        add_backward(da, NULL, n->out->grad, outer, nb, -1.0f);
        add_backward(NULL, db, n->out->grad, outer, nb, -1.0f);
    } else {
        add_backward(da, db, n->out->grad, outer, nb, -1.0f);
    }
}

static void
mul_node_backward(rs_graph *g, struct rs_node *n)
{
    float *da, *db;
    size_t outer, nb;
    const float *a = n->src[0]->data, *b = n->src[1]->data;
    binary_dims(n, &outer, &nb);
    if (binary_grads(g, n, &da, &db)) {
        mul_backward(da, NULL, n->out->grad, a, b, outer, nb);
        mul_backward(NULL, db, n->out->grad, a, b, outer, nb);
    } else {
        mul_backward(da, db, n->out->grad, a, b, outer, nb);
    }
}

static void
div_node_backward(rs_graph *g, struct rs_node *n)
{
    float *da, *db;
    size_t outer, nb;
    const float *a = n->src[0]->data, *b = n->src[1]->data;
    binary_dims(n, &outer, &nb);
    if (binary_grads(g, n, &da, &db)) {
        div_backward(da, NULL, n->out->grad, a, b, outer, nb);
        div_backward(NULL, db, n->out->grad, a, b, outer, nb);
    } else {
        div_backward(da, db, n->out->grad, a, b, outer, nb);
    }
}

const struct rs_op_def rs_op_def_add = {
    .name = "add",
    .forward = add_node_forward,
    .backward = add_node_backward,
};
const struct rs_op_def rs_op_def_sub = {
    .name = "sub",
    .forward = sub_node_forward,
    .backward = sub_node_backward,
};
const struct rs_op_def rs_op_def_mul = {
    .name = "mul",
    .forward = mul_node_forward,
    .backward = mul_node_backward,
};
const struct rs_op_def rs_op_def_div = {
    .name = "div",
    .forward = div_node_forward,
    .backward = div_node_backward,
};

/* True if b broadcasts against a: same shape, a trailing suffix of a's
 * shape, or a single element. */
static bool
broadcasts(const rs_tensor *a, const rs_tensor *b)
{
    if (b->numel == 1)
        return true;
    if (b->ndim > a->ndim)
        return false;
    int off = a->ndim - b->ndim;
    for (int i = 0; i < b->ndim; i++)
        if (b->shape[i] != a->shape[off + i])
            return false;
    return true;
}

/* Shared builder: validate, allocate the output with a's shape, record. */
static rs_tensor *
binary_build(rs_graph *g, enum rs_op op, rs_tensor *a, rs_tensor *b)
{
    rs_tensor *src[2] = {a, b};
    if (rs_graph_skip(g, 2, src))
        return NULL;
    if (!broadcasts(a, b)) {
        char sa[64], sb[64];
        rs_graph_fail(g, RS_ESHAPE,
                      "%s: shapes %s and %s do not broadcast (b must equal "
                      "a's shape, a trailing part of it, or have one "
                      "element)",
                      rs_ops[op]->name, rs_tensor_shape_str(a, sa, sizeof sa),
                      rs_tensor_shape_str(b, sb, sizeof sb));
        return NULL;
    }
    rs_tensor *out = rs_graph_tensor(g, a->ndim, a->shape);
    if (out == NULL)
        return NULL;
    return rs_graph_record(g, rs_graph_node(g, op, out, 2, src));
}

rs_tensor *
rs_op_add(rs_graph *g, rs_tensor *a, rs_tensor *b)
{
    return binary_build(g, RS_OP_ADD, a, b);
}

rs_tensor *
rs_op_sub(rs_graph *g, rs_tensor *a, rs_tensor *b)
{
    return binary_build(g, RS_OP_SUB, a, b);
}

rs_tensor *
rs_op_mul(rs_graph *g, rs_tensor *a, rs_tensor *b)
{
    return binary_build(g, RS_OP_MUL, a, b);
}

rs_tensor *
rs_op_div(rs_graph *g, rs_tensor *a, rs_tensor *b)
{
    return binary_build(g, RS_OP_DIV, a, b);
}
