/* repscope - MIT licence, see COPYING.
 *
 * ops_unary.c: one-input ops: scale, add_scalar and the activations (relu,
 * leaky_relu, gelu, tanh, sigmoid, softplus, exp, log, sqrt, square).
 *
 * Kernels run every training step, so they are written for GCC's -O2
 * vectoriser (loops to rs_vec_floor(n), then a scalar tail) and compiled
 * once per vector width (RS_VEC_CLONES). The transcendental ones use the
 * branch-free functions of core/vecmath.h (libm's expf/tanhf/log1pf are
 * calls and keep a loop scalar). Backward of tanh, sigmoid, exp, sqrt
 * reads the saved output. Each kernel is a pure function of its (out, in,
 * n) arguments, so the parameterless ops' nodes run it on the engine pool
 * over disjoint [lo, hi) pieces (unary_run_*): the same bits whatever the
 * split, since every element is computed alone. Worker thread only.
 */
#include "config.h"

#include "core/ops.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/ops_impl.h"
#include "core/pool.h"
#include "core/tensor.h"
#include "core/vecmath.h"

/* sqrt(2 / pi) and the cubic coefficient of the tanh-form GELU. */
#define GELU_K 0.7978845608028654f
#define GELU_C 0.044715f

/* ---- unary kernels ---------------------------------------------------- */
/* All (N) flat: elementwise ops do not care about the shape. */

RS_VEC_CLONES static void
scale_forward(float *restrict out, const float *restrict x, size_t n, float s)
{
    size_t i, nv = rs_vec_floor(n);
    for (i = 0; i < nv; i++)
        out[i] = x[i] * s;
    for (; i < n; i++)
        out[i] = x[i] * s;
}

/* dx += s * dout */
RS_VEC_CLONES static void
scale_backward(float *restrict dx, const float *restrict dout, size_t n,
               float s)
{
    size_t i, nv = rs_vec_floor(n);
    for (i = 0; i < nv; i++)
        dx[i] += dout[i] * s;
    for (; i < n; i++)
        dx[i] += dout[i] * s;
}

RS_VEC_CLONES static void
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
RS_VEC_CLONES static void
add_scalar_backward(float *restrict dx, const float *restrict dout, size_t n)
{
    rs_vec_acc(dx, dout, n);
}

RS_VEC_CLONES static void
relu_forward(float *restrict out, const float *restrict x, size_t n)
{
    size_t i, nv = rs_vec_floor(n);
    for (i = 0; i < nv; i++)
        out[i] = x[i] > 0.0f ? x[i] : 0.0f;
    for (; i < n; i++)
        out[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

/* dx += dout * [x > 0] (subgradient 0 at x = 0) */
RS_VEC_CLONES static void
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
RS_VEC_CLONES static void
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
RS_VEC_CLONES static void
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

/* GELU, tanh form: 0.5 x (1 + tanh(u)), u = k (x + c x^3), computed as
 * x s with s = sigmoid(2u) (the same function: 1 + tanh(u) = 2 s), from
 * e = e^-|2u|: s = 1 / (1 + e) for u >= 0, e / (1 + e) below. Unlike
 * 1 + tanh(u) and 1 - tanh(u)^2, which cancel in float once |x| passes
 * about 3, s and 1 - s both keep their relative accuracy. */
static RS_VEC_INLINE float
gelu_u(float v)
{
    return GELU_K * (v + GELU_C * v * v * v);
}

RS_VEC_CLONES static void
gelu_forward(float *restrict out, const float *restrict x, size_t n)
{
    size_t i, nv = rs_vec_floor(n);
    for (i = 0; i < nv; i++) {
        float u = gelu_u(x[i]), e = rs_vecmath_exp_negabsf(u + u);
        out[i] = x[i] * (rs_vecmath_select(u >= 0.0f, 1.0f, e) / (1.0f + e));
    }
    for (; i < n; i++) {
        float u = gelu_u(x[i]), e = rs_vecmath_exp_negabsf(u + u);
        out[i] = x[i] * (rs_vecmath_select(u >= 0.0f, 1.0f, e) / (1.0f + e));
    }
}

/* d/dx (x s) = s + x s (1 - s) 2 du/dx, du/dx = k (1 + 3 c x^2) */
static RS_VEC_INLINE float
gelu_local(float v)
{
    float u = gelu_u(v), e = rs_vecmath_exp_negabsf(u + u);
    float q = 1.0f / (1.0f + e);
    int pos = u >= 0.0f;
    float s = rs_vecmath_select(pos, 1.0f, e) * q;  /* sigmoid(2u) */
    float sc = rs_vecmath_select(pos, e, 1.0f) * q; /* 1 - s */
    float du = GELU_K * (1.0f + 3.0f * GELU_C * v * v);
    return s + 2.0f * v * s * sc * du;
}

/* dx += dout * d gelu(x) / dx */
RS_VEC_CLONES static void
gelu_backward(float *restrict dx, const float *restrict dout,
              const float *restrict x, size_t n)
{
    size_t i, nv = rs_vec_floor(n);
    for (i = 0; i < nv; i++)
        dx[i] += gelu_local(x[i]) * dout[i];
    for (; i < n; i++)
        dx[i] += gelu_local(x[i]) * dout[i];
}

/* dx += dout * (1 - y^2), y = tanh(x) */
RS_VEC_CLONES static void
tanh_backward(float *restrict dx, const float *restrict dout,
              const float *restrict y, size_t n)
{
    size_t i, nv = rs_vec_floor(n);
    for (i = 0; i < nv; i++)
        dx[i] += dout[i] * (1.0f - y[i] * y[i]);
    for (; i < n; i++)
        dx[i] += dout[i] * (1.0f - y[i] * y[i]);
}

/* dx += dout * y (1 - y), y = sigmoid(x) */
RS_VEC_CLONES static void
sigmoid_backward(float *restrict dx, const float *restrict dout,
                 const float *restrict y, size_t n)
{
    size_t i, nv = rs_vec_floor(n);
    for (i = 0; i < nv; i++)
        dx[i] += dout[i] * y[i] * (1.0f - y[i]);
    for (; i < n; i++)
        dx[i] += dout[i] * y[i] * (1.0f - y[i]);
}

/* dx += dout * sigmoid(x) */
RS_VEC_CLONES static void
softplus_backward(float *restrict dx, const float *restrict dout,
                  const float *restrict x, size_t n)
{
    size_t i, nv = rs_vec_floor(n);
    for (i = 0; i < nv; i++)
        dx[i] += dout[i] * rs_vecmath_sigmoidf(x[i]);
    for (; i < n; i++)
        dx[i] += dout[i] * rs_vecmath_sigmoidf(x[i]);
}

/* dx += dout * y, y = exp(x) */
RS_VEC_CLONES static void
exp_backward(float *restrict dx, const float *restrict dout,
             const float *restrict y, size_t n)
{
    size_t i, nv = rs_vec_floor(n);
    for (i = 0; i < nv; i++)
        dx[i] += dout[i] * y[i];
    for (; i < n; i++)
        dx[i] += dout[i] * y[i];
}

/* dx += dout / x */
RS_VEC_CLONES static void
log_backward(float *restrict dx, const float *restrict dout,
             const float *restrict x, size_t n)
{
    size_t i, nv = rs_vec_floor(n);
    for (i = 0; i < nv; i++)
        dx[i] += dout[i] / x[i];
    for (; i < n; i++)
        dx[i] += dout[i] / x[i];
}

/* sqrtf is one correctly rounded instruction (with -fno-math-errno, which
 * configure adds: otherwise a call guards the errno of x < 0). */
RS_VEC_CLONES static void
sqrt_forward(float *restrict out, const float *restrict x, size_t n)
{
    size_t i, nv = rs_vec_floor(n);
    for (i = 0; i < nv; i++)
        out[i] = sqrtf(x[i]);
    for (; i < n; i++)
        out[i] = sqrtf(x[i]);
}

/* dx += dout / (2 y), y = sqrt(x) */
RS_VEC_CLONES static void
sqrt_backward(float *restrict dx, const float *restrict dout,
              const float *restrict y, size_t n)
{
    size_t i, nv = rs_vec_floor(n);
    for (i = 0; i < nv; i++)
        dx[i] += 0.5f * dout[i] / y[i];
    for (; i < n; i++)
        dx[i] += 0.5f * dout[i] / y[i];
}

RS_VEC_CLONES static void
square_forward(float *restrict out, const float *restrict x, size_t n)
{
    size_t i, nv = rs_vec_floor(n);
    for (i = 0; i < nv; i++)
        out[i] = x[i] * x[i];
    for (; i < n; i++)
        out[i] = x[i] * x[i];
}

/* dx += dout * 2 x */
RS_VEC_CLONES static void
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

/* A parameterless op's kernels on the pool: forward f(out, x, n), backward
 * b(dx, dout, t, n) with t the saved input or output. Pieces hold at least
 * RS_POOL_GRAIN_MEM elements for loads-and-stores kernels (relu, square)
 * and RS_POOL_GRAIN_MATH for the transcendental ones; below two grains
 * the kernel runs here, in one call. */
typedef void (*unary_fwd_fn)(float *restrict out, const float *restrict x,
                             size_t n);
typedef void (*unary_bwd_fn)(float *restrict dx, const float *restrict dout,
                             const float *restrict t, size_t n);

struct unary_job {
    unary_fwd_fn fwd;
    unary_bwd_fn bwd;
    float *out;       /* out, or dx */
    const float *a;   /* x, or dout */
    const float *b;   /* backward's saved tensor */
};

static void
unary_fwd_piece(void *ctx, size_t lo, size_t hi)
{
    const struct unary_job *j = ctx;
    j->fwd(j->out + lo, j->a + lo, hi - lo);
}

static void
unary_bwd_piece(void *ctx, size_t lo, size_t hi)
{
    const struct unary_job *j = ctx;
    j->bwd(j->out + lo, j->a + lo, j->b + lo, hi - lo);
}

static void
unary_run_forward(unary_fwd_fn f, size_t grain, struct rs_node *n)
{
    struct unary_job j = {.fwd = f, .out = n->out->data,
                          .a = n->src[0]->data};
    rs_pool_for(n->out->numel, grain, unary_fwd_piece, &j);
}

/* t_is_out: backward reads the saved output (tanh, sigmoid, exp, sqrt),
 * else the input. */
static void
unary_run_backward(unary_bwd_fn b, size_t grain, bool t_is_out, rs_graph *g,
                   struct rs_node *n)
{
    struct unary_job j = {.bwd = b, .out = rs_graph_grad(g, n->src[0]),
                          .a = n->out->grad,
                          .b = t_is_out ? n->out->data : n->src[0]->data};
    rs_pool_for(n->out->numel, grain, unary_bwd_piece, &j);
}

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
    unary_run_forward(relu_forward, RS_POOL_GRAIN_MEM, n);
}

static void
relu_node_backward(rs_graph *g, struct rs_node *n)
{
    unary_run_backward(relu_backward, RS_POOL_GRAIN_MEM, false, g, n);
}

static void
gelu_node_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    unary_run_forward(gelu_forward, RS_POOL_GRAIN_MATH, n);
}

static void
gelu_node_backward(rs_graph *g, struct rs_node *n)
{
    unary_run_backward(gelu_backward, RS_POOL_GRAIN_MATH, false, g, n);
}

static void
tanh_node_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    unary_run_forward(rs_vecmath_tanh, RS_POOL_GRAIN_MATH, n);
}

static void
tanh_node_backward(rs_graph *g, struct rs_node *n)
{
    unary_run_backward(tanh_backward, RS_POOL_GRAIN_MATH, true, g, n);
}

static void
sigmoid_node_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    unary_run_forward(rs_vecmath_sigmoid, RS_POOL_GRAIN_MATH, n);
}

static void
sigmoid_node_backward(rs_graph *g, struct rs_node *n)
{
    unary_run_backward(sigmoid_backward, RS_POOL_GRAIN_MATH, true, g, n);
}

static void
softplus_node_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    unary_run_forward(rs_vecmath_softplus, RS_POOL_GRAIN_MATH, n);
}

static void
softplus_node_backward(rs_graph *g, struct rs_node *n)
{
    unary_run_backward(softplus_backward, RS_POOL_GRAIN_MATH, false, g, n);
}

static void
exp_node_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    unary_run_forward(rs_vecmath_exp, RS_POOL_GRAIN_MATH, n);
}

static void
exp_node_backward(rs_graph *g, struct rs_node *n)
{
    unary_run_backward(exp_backward, RS_POOL_GRAIN_MATH, true, g, n);
}

static void
log_node_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    unary_run_forward(rs_vecmath_log, RS_POOL_GRAIN_MATH, n);
}

static void
log_node_backward(rs_graph *g, struct rs_node *n)
{
    unary_run_backward(log_backward, RS_POOL_GRAIN_MATH, false, g, n);
}

static void
sqrt_node_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    unary_run_forward(sqrt_forward, RS_POOL_GRAIN_MATH, n);
}

static void
sqrt_node_backward(rs_graph *g, struct rs_node *n)
{
    unary_run_backward(sqrt_backward, RS_POOL_GRAIN_MATH, true, g, n);
}

static void
square_node_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    unary_run_forward(square_forward, RS_POOL_GRAIN_MEM, n);
}

static void
square_node_backward(rs_graph *g, struct rs_node *n)
{
    unary_run_backward(square_backward, RS_POOL_GRAIN_MEM, false, g, n);
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
