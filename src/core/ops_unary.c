/* repscope - MIT licence, see COPYING.
 *
 * ops_unary.c: one-input ops: scale, add_scalar and the activations (relu,
 * leaky_relu, gelu, tanh, sigmoid, softplus, exp, log, sqrt, square).
 *
 * Kernels run every training step, so they are written for GCC's -O2
 * vectoriser (loops to rs_vec_floor(n), then a scalar tail). GELU's tanh is
 * a branch-free polynomial (tanh_fast) because libm's tanhf does not
 * vectorise and was most of a transformer step. Backward of tanh, sigmoid,
 * exp, sqrt reads the saved output. Worker thread only.
 */
#include "config.h"

#include "core/ops.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/ops_impl.h"
#include "core/tensor.h"

/* sqrt(2 / pi) and the cubic coefficient of the tanh-form GELU. */
#define GELU_K 0.7978845608028654f
#define GELU_C 0.044715f

/* ---- unary kernels ---------------------------------------------------- */
/* All (N) flat: elementwise ops do not care about the shape. */

static void
scale_forward(float *restrict out, const float *restrict x, size_t n, float s)
{
    size_t i, nv = rs_vec_floor(n);
    for (i = 0; i < nv; i++)
        out[i] = x[i] * s;
    for (; i < n; i++)
        out[i] = x[i] * s;
}

/* dx += s * dout */
static void
scale_backward(float *restrict dx, const float *restrict dout, size_t n,
               float s)
{
    size_t i, nv = rs_vec_floor(n);
    for (i = 0; i < nv; i++)
        dx[i] += dout[i] * s;
    for (; i < n; i++)
        dx[i] += dout[i] * s;
}

static void
add_scalar_forward(float *restrict out, const float *restrict x, size_t n,
                   float s)
{
    size_t i, nv = rs_vec_floor(n);
    for (i = 0; i < nv; i++)
        out[i] = x[i] + s;
    for (; i < n; i++)
        out[i] = x[i] + s;
}

/* dx += dout (the added constant has no gradient) */
static void
add_scalar_backward(float *restrict dx, const float *restrict dout, size_t n)
{
    rs_vec_acc(dx, dout, n);
}

static void
relu_forward(float *restrict out, const float *restrict x, size_t n)
{
    size_t i, nv = rs_vec_floor(n);
    for (i = 0; i < nv; i++)
        out[i] = x[i] > 0.0f ? x[i] : 0.0f;
    for (; i < n; i++)
        out[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

/* dx += dout * [x > 0] (subgradient 0 at x = 0) */
static void
relu_backward(float *restrict dx, const float *restrict dout,
              const float *restrict x, size_t n)
{
    size_t i, nv = rs_vec_floor(n);
    for (i = 0; i < nv; i++)
        dx[i] += (float)(x[i] > 0.0f) * dout[i];
    for (; i < n; i++)
        dx[i] += (float)(x[i] > 0.0f) * dout[i];
}

/* max(x, 0) + slope * min(x, 0): the two clamps vectorise, a select with a
 * multiply in one arm does not at -O2. */
static void
leaky_relu_forward(float *restrict out, const float *restrict x, size_t n,
                   float slope)
{
    size_t i, nv = rs_vec_floor(n);
    for (i = 0; i < nv; i++) {
        float p = x[i] > 0.0f ? x[i] : 0.0f;
        float q = x[i] < 0.0f ? x[i] : 0.0f;
        out[i] = p + slope * q;
    }
    for (; i < n; i++) {
        float p = x[i] > 0.0f ? x[i] : 0.0f;
        float q = x[i] < 0.0f ? x[i] : 0.0f;
        out[i] = p + slope * q;
    }
}

/* dx += dout * (x > 0 ? 1 : slope), written as slope + (1 - slope) [x > 0]
 * because that form vectorises at -O2 */
static void
leaky_relu_backward(float *restrict dx, const float *restrict dout,
                    const float *restrict x, size_t n, float slope)
{
    size_t i, nv = rs_vec_floor(n);
    const float rest = 1.0f - slope;
    for (i = 0; i < nv; i++) {
        float pos = (float)(x[i] > 0.0f) * dout[i];
        dx[i] += slope * dout[i] + rest * pos;
    }
    for (; i < n; i++) {
        float pos = (float)(x[i] > 0.0f) * dout[i];
        dx[i] += slope * dout[i] + rest * pos;
    }
}

/* tanh(u) without libm, for the GELU kernels: exp(2|u|) as 2^n p(f) with a
 * degree-6 polynomial for 2^f on f in [-0.5, 0.5], then (e - 1) / (e + 1)
 * and u's sign put back. |u| is clamped at 9 (tanh is +-1 in float there)
 * by an integer compare on the bits, so the loops stay branch-free and gcc
 * -O2 vectorises them. Max abs error 1.4e-7 over [-20, 20]; a NaN input
 * gives +-1 here, and the NaN still reaches the output through x itself. */
static inline float
tanh_fast(float u)
{
    uint32_t ub;
    memcpy(&ub, &u, sizeof ub);
    uint32_t sign = ub & 0x80000000u, ab = ub & 0x7fffffffu;
    ab = ab < 0x41100000u ? ab : 0x41100000u; /* |u| <= 9 */
    float a;
    memcpy(&a, &ab, sizeof a);
    float x = a * 2.8853900817779268f; /* 2 |u| log2(e), in [0, 26] */
    float n = (x + 12582912.0f) - 12582912.0f; /* round to nearest */
    float f = x - n;
    float p = 1.5403530393381606e-4f;
    p = p * f + 1.3333558146428443e-3f;
    p = p * f + 9.6181291076284772e-3f;
    p = p * f + 5.5504108664821580e-2f;
    p = p * f + 2.4022650695910071e-1f;
    p = p * f + 6.9314718055994531e-1f;
    p = p * f + 1.0f;
    int32_t bits = ((int32_t)n + 127) * (1 << 23); /* 2^n */
    float sc;
    memcpy(&sc, &bits, sizeof sc);
    float e = p * sc;
    float t = (e - 1.0f) / (e + 1.0f);
    uint32_t tb;
    memcpy(&tb, &t, sizeof tb);
    tb |= sign;
    memcpy(&t, &tb, sizeof t);
    return t;
}

RS_VEC_CLONES static void
gelu_forward(float *restrict out, const float *restrict x, size_t n)
{
    size_t i, nv = rs_vec_floor(n);
    for (i = 0; i < nv; i++) {
        float v = x[i];
        float t = tanh_fast(GELU_K * (v + GELU_C * v * v * v));
        out[i] = 0.5f * v * (1.0f + t);
    }
    for (; i < n; i++) {
        float v = x[i];
        float t = tanh_fast(GELU_K * (v + GELU_C * v * v * v));
        out[i] = 0.5f * v * (1.0f + t);
    }
}

/* dx += dout * (0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3 c x^2)),
 * t = tanh(k (x + c x^3)) */
RS_VEC_CLONES static void
gelu_backward(float *restrict dx, const float *restrict dout,
              const float *restrict x, size_t n)
{
    size_t i, nv = rs_vec_floor(n);
    for (i = 0; i < nv; i++) {
        float v = x[i];
        float t = tanh_fast(GELU_K * (v + GELU_C * v * v * v));
        float dt = GELU_K * (1.0f + 3.0f * GELU_C * v * v);
        float local = 0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * dt;
        dx[i] += local * dout[i];
    }
    for (; i < n; i++) {
        float v = x[i];
        float t = tanh_fast(GELU_K * (v + GELU_C * v * v * v));
        float dt = GELU_K * (1.0f + 3.0f * GELU_C * v * v);
        float local = 0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * dt;
        dx[i] += local * dout[i];
    }
}

static void
tanh_forward(float *restrict out, const float *restrict x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = tanhf(x[i]);
}

/* dx += dout * (1 - y^2), y = tanh(x) */
static void
tanh_backward(float *restrict dx, const float *restrict dout,
              const float *restrict y, size_t n)
{
    size_t i, nv = rs_vec_floor(n);
    for (i = 0; i < nv; i++)
        dx[i] += dout[i] * (1.0f - y[i] * y[i]);
    for (; i < n; i++)
        dx[i] += dout[i] * (1.0f - y[i] * y[i]);
}

/* 1 / (1 + e^-x) without overflow: e^-|x| <= 1 on both branches. */
static inline float
sigmoid_stable(float v)
{
    float e = expf(-fabsf(v));
    return v >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
}

static void
sigmoid_forward(float *restrict out, const float *restrict x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = sigmoid_stable(x[i]);
}

/* dx += dout * y (1 - y), y = sigmoid(x) */
static void
sigmoid_backward(float *restrict dx, const float *restrict dout,
                 const float *restrict y, size_t n)
{
    size_t i, nv = rs_vec_floor(n);
    for (i = 0; i < nv; i++)
        dx[i] += dout[i] * y[i] * (1.0f - y[i]);
    for (; i < n; i++)
        dx[i] += dout[i] * y[i] * (1.0f - y[i]);
}

/* log(1 + e^x) = log1p(e^-|x|) + max(x, 0): no overflow for large x, no
 * underflow to log(1) for very negative x. */
static void
softplus_forward(float *restrict out, const float *restrict x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        out[i] = log1pf(expf(-fabsf(v))) + (v > 0.0f ? v : 0.0f);
    }
}

/* dx += dout * sigmoid(x) */
static void
softplus_backward(float *restrict dx, const float *restrict dout,
                  const float *restrict x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dx[i] += dout[i] * sigmoid_stable(x[i]);
}

static void
exp_forward(float *restrict out, const float *restrict x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = expf(x[i]);
}

/* dx += dout * y, y = exp(x) */
static void
exp_backward(float *restrict dx, const float *restrict dout,
             const float *restrict y, size_t n)
{
    size_t i, nv = rs_vec_floor(n);
    for (i = 0; i < nv; i++)
        dx[i] += dout[i] * y[i];
    for (; i < n; i++)
        dx[i] += dout[i] * y[i];
}

static void
log_forward(float *restrict out, const float *restrict x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = logf(x[i]);
}

/* dx += dout / x */
static void
log_backward(float *restrict dx, const float *restrict dout,
             const float *restrict x, size_t n)
{
    size_t i, nv = rs_vec_floor(n);
    for (i = 0; i < nv; i++)
        dx[i] += dout[i] / x[i];
    for (; i < n; i++)
        dx[i] += dout[i] / x[i];
}

static void
sqrt_forward(float *restrict out, const float *restrict x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = sqrtf(x[i]);
}

/* dx += dout / (2 y), y = sqrt(x) */
static void
sqrt_backward(float *restrict dx, const float *restrict dout,
              const float *restrict y, size_t n)
{
    size_t i, nv = rs_vec_floor(n);
    for (i = 0; i < nv; i++)
        dx[i] += 0.5f * dout[i] / y[i];
    for (; i < n; i++)
        dx[i] += 0.5f * dout[i] / y[i];
}

static void
square_forward(float *restrict out, const float *restrict x, size_t n)
{
    size_t i, nv = rs_vec_floor(n);
    for (i = 0; i < nv; i++)
        out[i] = x[i] * x[i];
    for (; i < n; i++)
        out[i] = x[i] * x[i];
}

/* dx += dout * 2 x */
static void
square_backward(float *restrict dx, const float *restrict dout,
                const float *restrict x, size_t n)
{
    size_t i, nv = rs_vec_floor(n);
    for (i = 0; i < nv; i++)
        dx[i] += 2.0f * x[i] * dout[i];
    for (; i < n; i++)
        dx[i] += 2.0f * x[i] * dout[i];
}

/* ---- unary ops: nodes and builders ------------------------------------ */
/* Unary nodes only reach backward when their one source requires grad
 * (rs_graph_record pushes them only then). */

static void
scale_node_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    scale_forward(n->out->data, n->src[0]->data, n->out->numel, n->p.scalar.v);
}

static void
scale_node_backward(rs_graph *g, struct rs_node *n)
{
    scale_backward(rs_graph_grad(g, n->src[0]), n->out->grad, n->out->numel,
                   n->p.scalar.v);
}

static void
add_scalar_node_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    add_scalar_forward(n->out->data, n->src[0]->data, n->out->numel,
                       n->p.scalar.v);
}

static void
add_scalar_node_backward(rs_graph *g, struct rs_node *n)
{
    add_scalar_backward(rs_graph_grad(g, n->src[0]), n->out->grad,
                        n->out->numel);
}

static void
leaky_relu_node_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    leaky_relu_forward(n->out->data, n->src[0]->data, n->out->numel,
                       n->p.scalar.v);
}

static void
leaky_relu_node_backward(rs_graph *g, struct rs_node *n)
{
    leaky_relu_backward(rs_graph_grad(g, n->src[0]), n->out->grad,
                        n->src[0]->data, n->out->numel, n->p.scalar.v);
}

/* The parameterless ops: backward reads the input (relu, gelu, softplus,
 * log, square) or the saved output (tanh, sigmoid, exp, sqrt). */
static void
relu_node_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    relu_forward(n->out->data, n->src[0]->data, n->out->numel);
}

static void
relu_node_backward(rs_graph *g, struct rs_node *n)
{
    relu_backward(rs_graph_grad(g, n->src[0]), n->out->grad, n->src[0]->data,
                  n->out->numel);
}

static void
gelu_node_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    gelu_forward(n->out->data, n->src[0]->data, n->out->numel);
}

static void
gelu_node_backward(rs_graph *g, struct rs_node *n)
{
    gelu_backward(rs_graph_grad(g, n->src[0]), n->out->grad, n->src[0]->data,
                  n->out->numel);
}

static void
tanh_node_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    tanh_forward(n->out->data, n->src[0]->data, n->out->numel);
}

static void
tanh_node_backward(rs_graph *g, struct rs_node *n)
{
    tanh_backward(rs_graph_grad(g, n->src[0]), n->out->grad, n->out->data,
                  n->out->numel);
}

static void
sigmoid_node_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    sigmoid_forward(n->out->data, n->src[0]->data, n->out->numel);
}

static void
sigmoid_node_backward(rs_graph *g, struct rs_node *n)
{
    sigmoid_backward(rs_graph_grad(g, n->src[0]), n->out->grad, n->out->data,
                     n->out->numel);
}

static void
softplus_node_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    softplus_forward(n->out->data, n->src[0]->data, n->out->numel);
}

static void
softplus_node_backward(rs_graph *g, struct rs_node *n)
{
    softplus_backward(rs_graph_grad(g, n->src[0]), n->out->grad,
                      n->src[0]->data, n->out->numel);
}

static void
exp_node_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    exp_forward(n->out->data, n->src[0]->data, n->out->numel);
}

static void
exp_node_backward(rs_graph *g, struct rs_node *n)
{
    exp_backward(rs_graph_grad(g, n->src[0]), n->out->grad, n->out->data,
                 n->out->numel);
}

static void
log_node_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    log_forward(n->out->data, n->src[0]->data, n->out->numel);
}

static void
log_node_backward(rs_graph *g, struct rs_node *n)
{
    log_backward(rs_graph_grad(g, n->src[0]), n->out->grad, n->src[0]->data,
                 n->out->numel);
}

static void
sqrt_node_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    sqrt_forward(n->out->data, n->src[0]->data, n->out->numel);
}

static void
sqrt_node_backward(rs_graph *g, struct rs_node *n)
{
    sqrt_backward(rs_graph_grad(g, n->src[0]), n->out->grad, n->out->data,
                  n->out->numel);
}

static void
square_node_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    square_forward(n->out->data, n->src[0]->data, n->out->numel);
}

static void
square_node_backward(rs_graph *g, struct rs_node *n)
{
    square_backward(rs_graph_grad(g, n->src[0]), n->out->grad, n->src[0]->data,
                    n->out->numel);
}

const struct rs_op_def rs_op_def_scale = {
    .name = "scale",
    .forward = scale_node_forward,
    .backward = scale_node_backward,
};
const struct rs_op_def rs_op_def_add_scalar = {
    .name = "add_scalar",
    .forward = add_scalar_node_forward,
    .backward = add_scalar_node_backward,
};
const struct rs_op_def rs_op_def_relu = {
    .name = "relu",
    .forward = relu_node_forward,
    .backward = relu_node_backward,
};
const struct rs_op_def rs_op_def_leaky_relu = {
    .name = "leaky_relu",
    .forward = leaky_relu_node_forward,
    .backward = leaky_relu_node_backward,
};
const struct rs_op_def rs_op_def_gelu = {
    .name = "gelu",
    .forward = gelu_node_forward,
    .backward = gelu_node_backward,
};
const struct rs_op_def rs_op_def_tanh = {
    .name = "tanh",
    .forward = tanh_node_forward,
    .backward = tanh_node_backward,
};
const struct rs_op_def rs_op_def_sigmoid = {
    .name = "sigmoid",
    .forward = sigmoid_node_forward,
    .backward = sigmoid_node_backward,
};
const struct rs_op_def rs_op_def_softplus = {
    .name = "softplus",
    .forward = softplus_node_forward,
    .backward = softplus_node_backward,
};
const struct rs_op_def rs_op_def_exp = {
    .name = "exp",
    .forward = exp_node_forward,
    .backward = exp_node_backward,
};
const struct rs_op_def rs_op_def_log = {
    .name = "log",
    .forward = log_node_forward,
    .backward = log_node_backward,
};
const struct rs_op_def rs_op_def_sqrt = {
    .name = "sqrt",
    .forward = sqrt_node_forward,
    .backward = sqrt_node_backward,
};
const struct rs_op_def rs_op_def_square = {
    .name = "square",
    .forward = square_node_forward,
    .backward = square_node_backward,
};

/* Shared builder: an output shaped like x, the parameter (if any) in
 * node->p.scalar.v. */
static rs_tensor *
unary_build(rs_graph *g, enum rs_op op, rs_tensor *x, float v)
{
    if (rs_graph_skip(g, 1, &x))
        return NULL;
    rs_tensor *out = rs_graph_tensor(g, x->ndim, x->shape);
    if (out == NULL)
        return NULL;
    struct rs_node *n = rs_graph_node(g, op, out, 1, &x);
    n->p.scalar.v = v;
    return rs_graph_record(g, n);
}

rs_tensor *
rs_op_scale(rs_graph *g, rs_tensor *x, float s)
{
    return unary_build(g, RS_OP_SCALE, x, s);
}

rs_tensor *
rs_op_add_scalar(rs_graph *g, rs_tensor *x, float s)
{
    return unary_build(g, RS_OP_ADD_SCALAR, x, s);
}

rs_tensor *
rs_op_relu(rs_graph *g, rs_tensor *x)
{
    return unary_build(g, RS_OP_RELU, x, 0.0f);
}

rs_tensor *
rs_op_leaky_relu(rs_graph *g, rs_tensor *x, float slope)
{
    return unary_build(g, RS_OP_LEAKY_RELU, x, slope);
}

rs_tensor *
rs_op_gelu(rs_graph *g, rs_tensor *x)
{
    return unary_build(g, RS_OP_GELU, x, 0.0f);
}

rs_tensor *
rs_op_tanh(rs_graph *g, rs_tensor *x)
{
    return unary_build(g, RS_OP_TANH, x, 0.0f);
}

rs_tensor *
rs_op_sigmoid(rs_graph *g, rs_tensor *x)
{
    return unary_build(g, RS_OP_SIGMOID, x, 0.0f);
}

rs_tensor *
rs_op_softplus(rs_graph *g, rs_tensor *x)
{
    return unary_build(g, RS_OP_SOFTPLUS, x, 0.0f);
}

rs_tensor *
rs_op_exp(rs_graph *g, rs_tensor *x)
{
    return unary_build(g, RS_OP_EXP, x, 0.0f);
}

rs_tensor *
rs_op_log(rs_graph *g, rs_tensor *x)
{
    return unary_build(g, RS_OP_LOG, x, 0.0f);
}

rs_tensor *
rs_op_sqrt(rs_graph *g, rs_tensor *x)
{
    return unary_build(g, RS_OP_SQRT, x, 0.0f);
}

rs_tensor *
rs_op_square(rs_graph *g, rs_tensor *x)
{
    return unary_build(g, RS_OP_SQUARE, x, 0.0f);
}
