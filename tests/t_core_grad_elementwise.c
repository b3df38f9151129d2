/* repscope - MIT licence, see COPYING.
 *
 * t_core_grad_elementwise.c: the elementwise and reduction ops
 * (ops_elementwise.c, ops_reduce.c). For every op: finite-difference
 * gradient checks on several small shapes (every broadcast case for the
 * binary ops, inputs kept away from kinks and poles), forward values against
 * hand-computed numbers or naive reference loops written here, the error
 * paths (shape mismatch, NULL input, bad targets/mask) and the no_grad path.
 * Some shapes are longer than 16 floats so both the vectorised main loops
 * and the scalar tails of the kernels run.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "core/ops.h"
#include "core/pool.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "tests/gradcheck.h"
#include "tests/tap.h"

#define FD_H 1e-2
#define FD_TOL 3e-3

/* A heap parameter (requires grad) holding a copy of data. */
static rs_tensor *
param_from(int ndim, const int *shape, const float *data)
{
    rs_tensor *t = rs_tensor_new_param(ndim, shape, NULL);
    RS_ASSERT(t != NULL);
    memcpy(t->data, data, t->numel * sizeof(float));
    return t;
}

static bool
msg_has(const rs_graph *g, const char *needle)
{
    return strstr(rs_graph_error(g)->msg, needle) != NULL;
}

/* ---- finite-difference cases ------------------------------------------ */

typedef rs_tensor *(*unary_fn)(rs_graph *g, rs_tensor *x);
typedef rs_tensor *(*binary_fn)(rs_graph *g, rs_tensor *a, rs_tensor *b);

static rs_tensor *
scale_by(rs_graph *g, rs_tensor *x)
{
    return rs_op_scale(g, x, -1.7f);
}

static rs_tensor *
add_scalar_by(rs_graph *g, rs_tensor *x)
{
    return rs_op_add_scalar(g, x, 0.3f);
}

static rs_tensor *
leaky_by(rs_graph *g, rs_tensor *x)
{
    return rs_op_leaky_relu(g, x, 0.1f);
}

struct unary_case {
    const char *name;
    unary_fn fn;
    float lo, hi;       /* input range */
    float kink, margin; /* keep inputs this far from kink (margin 0: none) */
};

static struct unary_case unary_cases[] = {
    {"scale", scale_by, -2.0f, 2.0f, 0.0f, 0.0f},
    {"add_scalar", add_scalar_by, -2.0f, 2.0f, 0.0f, 0.0f},
    {"relu", rs_op_relu, -2.0f, 2.0f, 0.0f, 0.05f},
    {"leaky_relu", leaky_by, -2.0f, 2.0f, 0.0f, 0.05f},
    {"gelu", rs_op_gelu, -3.0f, 3.0f, 0.0f, 0.0f},
    {"tanh", rs_op_tanh, -2.0f, 2.0f, 0.0f, 0.0f},
    {"sigmoid", rs_op_sigmoid, -4.0f, 4.0f, 0.0f, 0.0f},
    {"softplus", rs_op_softplus, -4.0f, 4.0f, 0.0f, 0.0f},
    {"exp", rs_op_exp, -2.0f, 2.0f, 0.0f, 0.0f},
    {"log", rs_op_log, 0.3f, 3.0f, 0.0f, 0.0f},
    {"sqrt", rs_op_sqrt, 0.3f, 3.0f, 0.0f, 0.0f},
    {"square", rs_op_square, -2.0f, 2.0f, 0.0f, 0.0f},
    {"sum", rs_op_sum, -2.0f, 2.0f, 0.0f, 0.0f},
    {"mean", rs_op_mean, -2.0f, 2.0f, 0.0f, 0.0f},
    {"softmax", rs_op_softmax, -3.0f, 3.0f, 0.0f, 0.0f},
    {"log_softmax", rs_op_log_softmax, -3.0f, 3.0f, 0.0f, 0.0f},
};

struct shape {
    int ndim;
    int dims[4];
};

/* (2, 19): 38 floats, so the 16-wide main loops and the tails both run. */
static const struct shape unary_shapes[] = {
    {1, {7, 0, 0, 0}},
    {2, {3, 5, 0, 0}},
    {3, {2, 3, 4, 0}},
    {2, {2, 19, 0, 0}},
};

static rs_tensor *
build_unary(rs_graph *g, rs_tensor *const *in, void *ud)
{
    const struct unary_case *c = ud;
    return c->fn(g, in[0]);
}

/* f(x) + sum(0.5 x), f built first so its backward runs last and must add
 * to the gradient the scale node already left in x (backward is +=). */
static rs_tensor *
build_unary_acc(rs_graph *g, rs_tensor *const *in, void *ud)
{
    const struct unary_case *c = ud;
    rs_tensor *y = c->fn(g, in[0]);
    rs_tensor *s = rs_op_sum(g, rs_op_scale(g, in[0], 0.5f));
    return rs_op_add(g, y, s);
}

static void
test_grad_unary(struct rs_rng *rng)
{
    for (size_t k = 0; k < RS_ARRAY_LEN(unary_cases); k++) {
        struct unary_case *c = &unary_cases[k];
        for (size_t s = 0; s < RS_ARRAY_LEN(unary_shapes); s++) {
            const struct shape *sh = &unary_shapes[s];
            rs_tensor *x = tap_param_away(rng, sh->ndim, sh->dims, c->lo, c->hi,
                                          c->kink, c->margin);
            char name[64];
            snprintf(name, sizeof name, "%s shape %zu", c->name, s);
            tap_gradcheck(name, 1, &x, build_unary, c, FD_H, FD_TOL);
            rs_tensor_release(x);
        }
        int shape[2] = {2, 19};
        rs_tensor *x =
            tap_param_away(rng, 2, shape, c->lo, c->hi, c->kink, c->margin);
        char name[64];
        snprintf(name, sizeof name, "%s accumulates", c->name);
        tap_gradcheck(name, 1, &x, build_unary_acc, c, FD_H, FD_TOL);
        rs_tensor_release(x);
    }
}

struct binary_case {
    const char *name;
    binary_fn fn;
};

static struct binary_case binary_cases[] = {
    {"add", rs_op_add},
    {"sub", rs_op_sub},
    {"mul", rs_op_mul},
    {"div", rs_op_div},
};

struct bcast {
    const char *what;
    struct shape a, b;
};

static const struct bcast bcasts[] = {
    {"equal (B,T,C)", {3, {2, 3, 4, 0}}, {3, {2, 3, 4, 0}}},
    {"equal (N)", {1, {5, 0, 0, 0}}, {1, {5, 0, 0, 0}}},
    {"equal (2,19)", {2, {2, 19, 0, 0}}, {2, {2, 19, 0, 0}}},
    {"suffix (C)", {3, {2, 3, 4, 0}}, {1, {4, 0, 0, 0}}},
    {"suffix (C) long", {2, {3, 19, 0, 0}}, {1, {19, 0, 0, 0}}},
    {"suffix (T,C)", {3, {2, 3, 4, 0}}, {2, {3, 4, 0, 0}}},
    {"suffix (T,C) long", {3, {2, 2, 17, 0}}, {2, {2, 17, 0, 0}}},
    {"scalar (1)", {3, {2, 3, 4, 0}}, {1, {1, 0, 0, 0}}},
    {"scalar ndim 0", {3, {2, 3, 4, 0}}, {0, {0, 0, 0, 0}}},
    {"scalar long", {1, {37, 0, 0, 0}}, {1, {1, 0, 0, 0}}},
};

static rs_tensor *
build_binary(rs_graph *g, rs_tensor *const *in, void *ud)
{
    const struct binary_case *c = ud;
    return c->fn(g, in[0], in[1]);
}

/* fn(a, b) + 0.5 a - 0.75 b, fn built first: its backward must add to the
 * gradients already in a and b. */
static rs_tensor *
build_binary_acc(rs_graph *g, rs_tensor *const *in, void *ud)
{
    const struct binary_case *c = ud;
    rs_tensor *y = c->fn(g, in[0], in[1]);
    rs_tensor *sa = rs_op_scale(g, in[0], 0.5f);
    rs_tensor *sb = rs_op_scale(g, in[1], -0.75f);
    return rs_op_add(g, rs_op_add(g, y, sa), sb);
}

/* The same tensor on both sides (x + x, x * x, ...): both gradients land
 * in one buffer. */
static rs_tensor *
build_binary_self(rs_graph *g, rs_tensor *const *in, void *ud)
{
    const struct binary_case *c = ud;
    return c->fn(g, in[0], in[0]);
}

static void
test_grad_binary(struct rs_rng *rng)
{
    for (size_t k = 0; k < RS_ARRAY_LEN(binary_cases); k++) {
        struct binary_case *c = &binary_cases[k];
        bool is_div = c->fn == rs_op_div;
        for (size_t s = 0; s < RS_ARRAY_LEN(bcasts); s++) {
            const struct bcast *bc = &bcasts[s];
            rs_tensor *in[2];
            in[0] = tap_param(rng, bc->a.ndim, bc->a.dims, -2.0f, 2.0f);
            /* div: keep the denominator away from its pole at 0 */
            in[1] = tap_param_away(rng, bc->b.ndim, bc->b.dims, -2.0f, 2.0f,
                                   0.0f, is_div ? 0.8f : 0.0f);
            char name[64];
            snprintf(name, sizeof name, "%s %s", c->name, bc->what);
            tap_gradcheck(name, 2, in, build_binary, c, FD_H, FD_TOL);
            snprintf(name, sizeof name, "%s %s accumulates", c->name, bc->what);
            tap_gradcheck(name, 2, in, build_binary_acc, c, FD_H, FD_TOL);
            rs_tensor_release(in[0]);
            rs_tensor_release(in[1]);
        }
        int shape[2] = {3, 7};
        rs_tensor *x = tap_param_away(rng, 2, shape, -2.0f, 2.0f, 0.0f,
                                      is_div ? 0.8f : 0.0f);
        char name[64];
        snprintf(name, sizeof name, "%s x with itself", c->name);
        tap_gradcheck(name, 1, &x, build_binary_self, c, FD_H, FD_TOL);
        rs_tensor_release(x);
    }
}

/* Only one side differentiable: the other must neither need nor get a
 * gradient buffer. */
static void
test_grad_one_side(struct rs_rng *rng)
{
    int sa[2] = {4, 5}, sb[1] = {5};
    rs_tensor *a = tap_param(rng, 2, sa, -2.0f, 2.0f);
    rs_tensor *b = rs_tensor_new(1, sb, NULL);
    for (int i = 0; i < 5; i++)
        b->data[i] = 1.0f + 0.25f * (float)i;
    rs_tensor *in[2] = {a, b};
    for (size_t k = 0; k < RS_ARRAY_LEN(binary_cases); k++) {
        char name[64];
        snprintf(name, sizeof name, "%s, b not differentiable",
                 binary_cases[k].name);
        tap_gradcheck(name, 2, in, build_binary, &binary_cases[k], FD_H,
                      FD_TOL);
    }
    tap_ok(b->grad == NULL, "constant b never got a gradient buffer");
    rs_tensor_release(a);
    rs_tensor_release(b);
}

/* The mean losses have small gradients (1/rows, 1/numel) and gradcheck's
 * tolerance is absolute below 1, so the losses are scaled up (LOSS_GAIN)
 * to make a wrong weight visible. */
#define LOSS_GAIN 20.0f

struct ce_case {
    const int *targets;
    const float *mask;
    bool acc; /* add sum(0.5 x), built after the loss */
};

static rs_tensor *
build_ce(rs_graph *g, rs_tensor *const *in, void *ud)
{
    const struct ce_case *c = ud;
    rs_tensor *ce = rs_op_cross_entropy(g, in[0], c->targets, c->mask);
    rs_tensor *y = rs_op_scale(g, ce, LOSS_GAIN);
    if (!c->acc)
        return y;
    return rs_op_add(g, y, rs_op_sum(g, rs_op_scale(g, in[0], 0.5f)));
}

static rs_tensor *
build_mse(rs_graph *g, rs_tensor *const *in, void *ud)
{
    const bool *acc = ud;
    rs_tensor *y = rs_op_scale(g, rs_op_mse(g, in[0], in[1]), LOSS_GAIN);
    if (!*acc)
        return y;
    rs_tensor *s = rs_op_sub(g, rs_op_scale(g, in[0], 0.5f), in[1]);
    return rs_op_add(g, y, rs_op_sum(g, s));
}

static rs_tensor *
build_mse_self(rs_graph *g, rs_tensor *const *in, void *ud)
{
    (void)ud;
    return rs_op_scale(g, rs_op_mse(g, in[0], in[0]), LOSS_GAIN);
}

/* A chain through several ops, so gradients accumulate across nodes:
 * mean(softplus(x * w + b) - x). */
static rs_tensor *
build_chain(rs_graph *g, rs_tensor *const *in, void *ud)
{
    (void)ud;
    rs_tensor *h = rs_op_add(g, rs_op_mul(g, in[0], in[1]), in[2]);
    return rs_op_mean(g, rs_op_sub(g, rs_op_softplus(g, h), in[0]));
}

static void
test_grad_loss(struct rs_rng *rng)
{
    int s1[2] = {4, 5};
    rs_tensor *x = tap_param(rng, 2, s1, -3.0f, 3.0f);
    static const int t1[4] = {0, 4, 2, 1};
    struct ce_case c1 = {t1, NULL, false};
    tap_gradcheck("cross_entropy (4,5)", 1, &x, build_ce, &c1, FD_H, FD_TOL);
    rs_tensor_release(x);

    int s2[3] = {2, 3, 5};
    x = tap_param(rng, 3, s2, -3.0f, 3.0f);
    static const int t2[6] = {1, 0, 4, 3, 2, 2};
    static const float m2[6] = {1.0f, 0.0f, 0.5f, 2.0f, 1.0f, 0.25f};
    struct ce_case c2 = {t2, m2, false};
    tap_gradcheck("cross_entropy (2,3,5) masked", 1, &x, build_ce, &c2, FD_H,
                  FD_TOL);
    c2.acc = true;
    tap_gradcheck("cross_entropy (2,3,5) masked accumulates", 1, &x, build_ce,
                  &c2, FD_H, FD_TOL);
    rs_tensor_release(x);

    int s3[2] = {3, 19};
    x = tap_param(rng, 2, s3, -3.0f, 3.0f);
    static const int t3[3] = {18, 0, 7};
    struct ce_case c3 = {t3, NULL, false};
    tap_gradcheck("cross_entropy (3,19)", 1, &x, build_ce, &c3, FD_H, FD_TOL);
    rs_tensor_release(x);

    int s4[1] = {6};
    x = tap_param(rng, 1, s4, -3.0f, 3.0f);
    static const int t4[1] = {5};
    struct ce_case c4 = {t4, NULL, false};
    tap_gradcheck("cross_entropy (6) one row", 1, &x, build_ce, &c4, FD_H,
                  FD_TOL);
    rs_tensor_release(x);

    static const struct shape mse_shapes[] = {
        {3, {2, 3, 4, 0}},
        {1, {37, 0, 0, 0}},
        {0, {0, 0, 0, 0}},
    };
    for (size_t s = 0; s < RS_ARRAY_LEN(mse_shapes); s++) {
        const struct shape *sh = &mse_shapes[s];
        rs_tensor *in[2] = {tap_param(rng, sh->ndim, sh->dims, -2.0f, 2.0f),
                            tap_param(rng, sh->ndim, sh->dims, -2.0f, 2.0f)};
        char name[64];
        static bool no = false, yes = true;
        snprintf(name, sizeof name, "mse shape %zu", s);
        tap_gradcheck(name, 2, in, build_mse, &no, FD_H, FD_TOL);
        snprintf(name, sizeof name, "mse shape %zu accumulates", s);
        tap_gradcheck(name, 2, in, build_mse, &yes, FD_H, FD_TOL);
        rs_tensor_release(in[0]);
        rs_tensor_release(in[1]);
    }
    x = tap_param(rng, 2, s1, -2.0f, 2.0f);
    tap_gradcheck("mse x with itself", 1, &x, build_mse_self, NULL, FD_H,
                  FD_TOL);
    rs_tensor_release(x);

    int sx[3] = {2, 3, 4}, sw[1] = {4}, sb[2] = {3, 4};
    rs_tensor *in[3] = {tap_param(rng, 3, sx, -2.0f, 2.0f),
                        tap_param(rng, 1, sw, -2.0f, 2.0f),
                        tap_param(rng, 2, sb, -1.0f, 1.0f)};
    tap_gradcheck("chain mean(softplus(x*w+b) - x)", 3, in, build_chain, NULL,
                  FD_H, FD_TOL);
    for (int i = 0; i < 3; i++)
        rs_tensor_release(in[i]);
}

/* ---- forward values --------------------------------------------------- */

/* Reference for the binary ops, with the broadcast written out as index
 * arithmetic over (B, T, C). */
static float
ref_binary(binary_fn fn, float a, float b)
{
    if (fn == rs_op_add)
        return a + b;
    if (fn == rs_op_sub)
        return a - b;
    if (fn == rs_op_mul)
        return a * b;
    return a / b;
}

static void
test_forward_binary(struct rs_rng *rng)
{
    enum { B = 2, T = 3, C = 20 };
    int sa[3] = {B, T, C}, sc[1] = {C}, stc[2] = {T, C}, s1[1] = {1};
    rs_tensor *a = tap_param(rng, 3, sa, -2.0f, 2.0f);
    rs_tensor *beq = tap_param_away(rng, 3, sa, -2.0f, 2.0f, 0.0f, 0.5f);
    rs_tensor *bc = tap_param_away(rng, 1, sc, -2.0f, 2.0f, 0.0f, 0.5f);
    rs_tensor *btc = tap_param_away(rng, 2, stc, -2.0f, 2.0f, 0.0f, 0.5f);
    rs_tensor *bs = tap_param_away(rng, 1, s1, -2.0f, 2.0f, 0.0f, 0.5f);
    float want[B * T * C];
    for (size_t k = 0; k < RS_ARRAY_LEN(binary_cases); k++) {
        const struct binary_case *c = &binary_cases[k];
        rs_graph *g = rs_graph_new();
        rs_tensor *b_of[4] = {beq, bc, btc, bs};
        const char *what[4] = {"equal", "suffix (C)", "suffix (T,C)", "scalar"};
        for (int m = 0; m < 4; m++) {
            rs_tensor *y = c->fn(g, a, b_of[m]);
            for (int bi = 0; bi < B; bi++)
                for (int t = 0; t < T; t++)
                    for (int ch = 0; ch < C; ch++) {
                        int i = (bi * T + t) * C + ch;
                        float bv = m == 0   ? beq->data[i]
                                   : m == 1 ? bc->data[ch]
                                   : m == 2 ? btc->data[t * C + ch]
                                            : bs->data[0];
                        want[i] = ref_binary(c->fn, a->data[i], bv);
                    }
            bool shape_ok = y != NULL && rs_tensor_same_shape(y, a);
            tap_ok(shape_ok, "%s %s: output has a's shape", c->name, what[m]);
            if (shape_ok)
                tap_is_floats(y->data, want, y->numel, 1e-6, 1e-6,
                              "%s %s: forward matches reference", c->name,
                              what[m]);
            else
                tap_skip(1, "no output");
        }
        rs_graph_free(g);
    }

    /* Bias add backward: db[c] = sum over (B, T) of the seed. */
    rs_graph *g = rs_graph_new();
    rs_tensor_zero_grad(a);
    rs_tensor_zero_grad(bc);
    rs_tensor *y = rs_op_add(g, a, bc);
    float seed[B * T * C], db_want[C] = {0};
    for (int i = 0; i < B * T * C; i++) {
        seed[i] = (float)(i % 7) - 3.0f + 0.125f * (float)i;
        db_want[i % C] += seed[i];
    }
    struct rs_error err = {0};
    int rc = rs_graph_backward_seed(g, y, seed, &err);
    tap_is_int(rc, RS_OK, "bias add backward runs");
    tap_is_floats(bc->grad, db_want, C, 1e-5, 1e-6,
                  "bias add: db is dout summed over rows");
    tap_is_floats(a->grad, seed, B * T * C, 0, 0, "bias add: da is dout");
    rs_graph_free(g);

    rs_tensor_release(a);
    rs_tensor_release(beq);
    rs_tensor_release(bc);
    rs_tensor_release(btc);
    rs_tensor_release(bs);
}

/* Run fn on data (n floats, 1-D, not differentiable); copy out. */
static void
run_unary(unary_fn fn, const float *x, float *out, int n)
{
    rs_graph *g = rs_graph_new();
    rs_tensor *t = rs_graph_input(g, 1, &n, x);
    rs_tensor *y = fn(g, t);
    if (y != NULL)
        memcpy(out, y->data, (size_t)n * sizeof(float));
    else
        for (int i = 0; i < n; i++)
            out[i] = NAN;
    rs_graph_free(g);
}

static void
test_forward_unary(void)
{
    float got[8];
    {
        static const float x[6] = {1.0f, -1.0f, 2.0f, 0.5f, -3.0f, 0.0f};
        static const float w[6] = {0.841192f, -0.158808f, 1.954598f,
                                   0.345714f, -0.003637f, 0.0f};
        run_unary(rs_op_gelu, x, got, 6);
        tap_is_floats(got, w, 6, 2e-6, 1e-5, "gelu hand values");
    }
    {
        static const float x[6] = {0.0f, 1.0f, -1.0f, 100.0f, -100.0f, 20.0f};
        static const float w[6] = {0.693147f, 1.313262f, 0.313262f,
                                   100.0f,    0.0f,      20.0f};
        run_unary(rs_op_softplus, x, got, 6);
        tap_is_floats(got, w, 6, 2e-6, 1e-6, "softplus hand values");
        tap_ok(got[4] > 0.0f && got[4] < 1e-30f,
               "softplus(-100) is tiny and positive (%g)", (double)got[4]);
    }
    {
        static const float x[5] = {0.0f, 2.0f, -2.0f, 100.0f, -100.0f};
        static const float w[5] = {0.5f, 0.880797f, 0.119203f, 1.0f, 0.0f};
        run_unary(rs_op_sigmoid, x, got, 5);
        tap_is_floats(got, w, 5, 2e-6, 1e-6, "sigmoid hand values");
        tap_ok(got[4] >= 0.0f && got[4] < 1e-30f,
               "sigmoid(-100) does not overflow (%g)", (double)got[4]);
    }
    {
        static const float x[4] = {0.5f, -0.5f, 0.0f, 20.0f};
        static const float w[4] = {0.462117f, -0.462117f, 0.0f, 1.0f};
        run_unary(rs_op_tanh, x, got, 4);
        tap_is_floats(got, w, 4, 2e-6, 1e-6, "tanh hand values");
    }
    {
        static const float x[3] = {0.0f, 1.0f, -1.0f};
        static const float w[3] = {1.0f, 2.718282f, 0.367879f};
        run_unary(rs_op_exp, x, got, 3);
        tap_is_floats(got, w, 3, 2e-6, 1e-6, "exp hand values");
    }
    {
        static const float x[3] = {1.0f, 2.7182818f, 0.5f};
        static const float w[3] = {0.0f, 1.0f, -0.693147f};
        run_unary(rs_op_log, x, got, 3);
        tap_is_floats(got, w, 3, 2e-6, 1e-6, "log hand values");
    }
    {
        static const float x[3] = {4.0f, 2.0f, 0.25f};
        static const float w[3] = {2.0f, 1.414214f, 0.5f};
        run_unary(rs_op_sqrt, x, got, 3);
        tap_is_floats(got, w, 3, 2e-6, 1e-6, "sqrt hand values");
    }

    /* The cheap ops on a 37-float ramp (vector main loop plus tail),
     * against formulas written out here. */
    enum { N = 37 };
    float x[N], y[N], w[N];
    for (int i = 0; i < N; i++)
        x[i] = -2.25f + 0.125f * (float)i; /* crosses 0 exactly at i = 18 */
    struct {
        const char *name;
        unary_fn fn;
    } cheap[] = {
        {"relu", rs_op_relu},
        {"leaky_relu(0.1)", leaky_by},
        {"square", rs_op_square},
        {"scale(-1.7)", scale_by},
        {"add_scalar(0.3)", add_scalar_by},
    };
    for (size_t k = 0; k < RS_ARRAY_LEN(cheap); k++) {
        for (int i = 0; i < N; i++) {
            float v = x[i];
            switch (k) {
            case 0:
                w[i] = v > 0.0f ? v : 0.0f;
                break;
            case 1:
                w[i] = v > 0.0f ? v : 0.1f * v;
                break;
            case 2:
                w[i] = v * v;
                break;
            case 3:
                w[i] = -1.7f * v;
                break;
            default:
                w[i] = v + 0.3f;
                break;
            }
        }
        run_unary(cheap[k].fn, x, y, N);
        tap_is_floats(y, w, N, 1e-6, 1e-6, "%s on a 37-float ramp",
                      cheap[k].name);
    }
    /* relu'(0) = 0, leaky'(0) = slope: pinned subgradients. */
    rs_graph *g = rs_graph_new();
    int one = 1;
    float zero = 0.0f;
    rs_tensor *p = param_from(1, &one, &zero);
    rs_tensor *r = rs_op_add(g, rs_op_relu(g, p), rs_op_leaky_relu(g, p, 0.1f));
    struct rs_error err = {0};
    int rc = rs_graph_backward(g, r, &err);
    tap_ok(rc == RS_OK && fabsf(p->grad[0] - 0.1f) < 1e-7f,
           "relu'(0) + leaky'(0) = 0 + slope (got %g)", (double)p->grad[0]);
    rs_graph_free(g);
    rs_tensor_release(p);
}

static void
test_forward_reduce(void)
{
    rs_graph *g = rs_graph_new();
    float v[24];
    for (int i = 0; i < 24; i++)
        v[i] = (float)(i + 1);
    int s[3] = {2, 3, 4};
    rs_tensor *x = rs_graph_input(g, 3, s, v);
    rs_tensor *sum = rs_op_sum(g, x), *mean = rs_op_mean(g, x);
    tap_ok(sum != NULL && sum->ndim == 0 && sum->numel == 1,
           "sum is a scalar (ndim 0)");
    tap_ok(mean != NULL && mean->ndim == 0, "mean is a scalar (ndim 0)");
    if (sum != NULL && mean != NULL) {
        tap_is_float((double)sum->data[0], 300.0, 0, 0, "sum 1..24 = 300");
        tap_is_float((double)mean->data[0], 12.5, 0, 0, "mean 1..24 = 12.5");
    } else {
        tap_skip(2, "no output");
    }
    /* In float, 2^24 + 1 + 1 + ... stays 2^24; in double it is exact. */
    float big[65];
    big[0] = 16777216.0f;
    for (int i = 1; i < 65; i++)
        big[i] = 1.0f;
    int s65 = 65;
    x = rs_graph_input(g, 1, &s65, big);
    sum = rs_op_sum(g, x);
    tap_is_float(sum != NULL ? (double)sum->data[0] : (double)NAN, 16777280.0,
                 0, 0, "sum accumulates in double");
    rs_graph_free(g);

    g = rs_graph_new();
    /* softmax: hand case, shift invariance with huge logits, rows sum to 1 */
    float l[12] = {1, 2, 3, 1001, 1002, 1003, -5, 0.5f, 7, 88, -88, 0};
    int s43[2] = {4, 3};
    x = rs_graph_input(g, 2, s43, l);
    rs_tensor *p = rs_op_softmax(g, x);
    rs_tensor *lp = rs_op_log_softmax(g, x);
    static const float pw[3] = {0.0900306f, 0.2447285f, 0.6652410f};
    static const float lw[3] = {-2.4076060f, -1.4076060f, -0.4076060f};
    if (p != NULL && lp != NULL) {
        tap_is_floats(p->data, pw, 3, 1e-6, 1e-6, "softmax [1,2,3]");
        tap_is_floats(p->data + 3, pw, 3, 1e-6, 1e-6,
                      "softmax [1001,1002,1003] is stable and equal");
        tap_is_floats(lp->data, lw, 3, 1e-6, 1e-6, "log_softmax [1,2,3]");
        tap_is_floats(lp->data + 3, lw, 3, 1e-6, 1e-6,
                      "log_softmax [1001,1002,1003]");
        bool rows_ok = true;
        for (int r = 0; r < 4; r++) {
            double rs = 0;
            for (int j = 0; j < 3; j++) {
                rs += (double)p->data[r * 3 + j];
                if (!(fabsf(expf(lp->data[r * 3 + j]) - p->data[r * 3 + j]) <
                      1e-6f))
                    rows_ok = false;
            }
            if (!(fabs(rs - 1.0) < 1e-6))
                rows_ok = false;
        }
        tap_ok(rows_ok, "softmax rows sum to 1 and equal exp(log_softmax)");
        tap_ok(rs_tensor_find_nonfinite(p) < 0 &&
                   rs_tensor_find_nonfinite(lp) < 0,
               "softmax/log_softmax finite for logits +-88 and 1003");
        tap_is_float((double)lp->data[10], -176.0, 1e-4, 0,
                     "log_softmax keeps -176 for a far-off logit");
    } else {
        tap_skip(7, "no output");
    }
    rs_graph_free(g);

    /* mse: a = {1,2,3}, b = {2,2,5}: (1 + 0 + 4) / 3; da = 2 (a - b) / 3 */
    g = rs_graph_new();
    int s3 = 3;
    static const float av[3] = {1, 2, 3}, bv[3] = {2, 2, 5};
    rs_tensor *a = param_from(1, &s3, av), *b = param_from(1, &s3, bv);
    rs_tensor *m = rs_op_mse(g, a, b);
    tap_is_float(m != NULL ? (double)m->data[0] : (double)NAN, 5.0 / 3.0, 1e-6,
                 0, "mse hand value 5/3");
    struct rs_error err = {0};
    if (rs_graph_backward(g, m, &err) == RS_OK) {
        static const float daw[3] = {-2.0f / 3.0f, 0.0f, -4.0f / 3.0f};
        static const float dbw[3] = {2.0f / 3.0f, 0.0f, 4.0f / 3.0f};
        tap_is_floats(a->grad, daw, 3, 1e-6, 0, "mse da = 2 (a - b) / n");
        tap_is_floats(b->grad, dbw, 3, 1e-6, 0, "mse db = -da");
    } else {
        tap_ok(false, "mse backward: %s", err.msg);
        tap_skip(1, "no backward");
    }
    rs_graph_free(g);
    rs_tensor_release(a);
    rs_tensor_release(b);
}

static void
test_forward_ce(void)
{
    /* rows {1,2,3} and {0.5,-1,2}: lse 3.4076060 and 2.2413113 */
    static const float l[6] = {1.0f, 2.0f, 3.0f, 0.5f, -1.0f, 2.0f};
    static const int t[2] = {0, 1};
    const double l0 = 3.4076059644 - 1.0, l1 = 2.2413112967 + 1.0;
    int s[2] = {2, 3};
    struct {
        const char *what;
        const float *mask;
        double want;
    } cases[] = {
        {"no mask: mean of rows", NULL, (l0 + l1) / 2.0},
        {"mask {1, 0}: first row only", (const float[]){1.0f, 0.0f}, l0},
        {"mask {0.25, 0.75}: weighted", (const float[]){0.25f, 0.75f},
         0.25 * l0 + 0.75 * l1},
        {"mask {2, 0}: mean over mask sum", (const float[]){2.0f, 0.0f}, l0},
        {"mask {0.5, 1.5}: mean over mask sum", (const float[]){0.5f, 1.5f},
         (0.5 * l0 + 1.5 * l1) / 2.0},
    };
    for (size_t k = 0; k < RS_ARRAY_LEN(cases); k++) {
        rs_graph *g = rs_graph_new();
        rs_tensor *x = param_from(2, s, l);
        rs_tensor *ce = rs_op_cross_entropy(g, x, t, cases[k].mask);
        tap_ok(ce != NULL && ce->ndim == 0, "cross_entropy %s: scalar",
               cases[k].what);
        tap_is_float(ce != NULL ? (double)ce->data[0] : (double)NAN,
                     cases[k].want, 1e-6, 1e-6,
                     "cross_entropy %s = lse - target logit", cases[k].what);
        if (k == 1) {
            struct rs_error err = {0};
            int rc = rs_graph_backward(g, ce, &err);
            /* d/dlogits = softmax - onehot for the one weighted row */
            static const float dw[6] = {
                0.0900306f - 1.0f, 0.2447285f, 0.6652410f, 0, 0, 0};
            tap_ok(rc == RS_OK, "cross_entropy backward runs");
            tap_is_floats(x->grad, dw, 6, 1e-6, 0,
                          "cross_entropy grad = softmax - onehot, masked "
                          "row exactly 0");
        }
        rs_graph_free(g);
        rs_tensor_release(x);
    }

    /* Huge logits stay finite: lse(1000, 0, -1000) = 1000. */
    rs_graph *g = rs_graph_new();
    static const float big[6] = {1000, 0, -1000, 1000, 0, -1000};
    static const int tb[2] = {0, 2};
    rs_tensor *x = rs_graph_input(g, 2, s, big);
    rs_tensor *ce = rs_op_cross_entropy(g, x, tb, NULL);
    tap_is_float(ce != NULL ? (double)ce->data[0] : (double)NAN, 1000.0, 1e-3,
                 0, "cross_entropy of logits +-1000: (0 + 2000) / 2");
    /* A row with mask 0 is skipped, so even non-finite logits there (say,
     * garbage at padding positions) leave the loss alone. */
    float pad[6] = {1.0f, 2.0f, 3.0f, INFINITY, NAN, 0.0f};
    x = rs_graph_input(g, 2, s, pad);
    ce = rs_op_cross_entropy(g, x, t, (const float[]){1.0f, 0.0f});
    tap_is_float(ce != NULL ? (double)ce->data[0] : (double)NAN, l0, 1e-6, 1e-6,
                 "cross_entropy ignores a masked row of inf/nan");
    /* targets are copied: changing the caller's array later is harmless */
    int tcopy[2] = {0, 1};
    rs_tensor *xp = param_from(2, s, l);
    ce = rs_op_cross_entropy(g, xp, tcopy, NULL);
    tcopy[0] = 99;
    tcopy[1] = -7;
    struct rs_error err = {0};
    tap_ok(ce != NULL && rs_graph_backward(g, ce, &err) == RS_OK &&
               fabsf(xp->grad[0] - (0.0900306f - 1.0f) / 2.0f) < 1e-6f,
           "cross_entropy keeps its own copy of the targets");
    rs_graph_free(g);
    rs_tensor_release(xp);
}

/* ---- errors ----------------------------------------------------------- */

static void
test_errors(void)
{
    int s23[2] = {2, 3}, s4[1] = {4}, s234[3] = {2, 3, 4}, s24[2] = {2, 4};
    int s3[1] = {3}, s32[2] = {3, 2};
    float z[24] = {0};
    for (size_t k = 0; k < RS_ARRAY_LEN(binary_cases); k++) {
        const struct binary_case *c = &binary_cases[k];
        rs_graph *g = rs_graph_new();
        rs_tensor *a = rs_graph_input(g, 2, s23, z);
        rs_tensor *b = rs_graph_input(g, 1, s4, z);
        rs_tensor *y = c->fn(g, a, b);
        const struct rs_error *e = rs_graph_error(g);
        tap_ok(y == NULL && e->code == RS_ESHAPE,
               "%s (2,3) with (4): NULL and RS_ESHAPE", c->name);
        tap_ok(msg_has(g, c->name) && msg_has(g, "(2, 3)") && msg_has(g, "(4)"),
               "%s: message names op and both shapes: %s", c->name, e->msg);
        rs_graph_reset(g);

        a = rs_graph_input(g, 3, s234, z);
        b = rs_graph_input(g, 2, s24, z);
        y = c->fn(g, a, b);
        tap_ok(y == NULL && msg_has(g, "(2, 3, 4)") && msg_has(g, "(2, 4)"),
               "%s (2,3,4) with (2,4) (not a suffix) fails: %s", c->name,
               rs_graph_error(g)->msg);
        rs_graph_reset(g);

        a = rs_graph_input(g, 1, s3, z);
        b = rs_graph_input(g, 2, s23, z);
        y = c->fn(g, a, b);
        tap_ok(y == NULL && rs_graph_error(g)->code == RS_ESHAPE,
               "%s (3) with (2,3) (b larger than a) fails", c->name);
        rs_graph_free(g);
    }

    rs_graph *g = rs_graph_new();
    rs_tensor *a = rs_graph_input(g, 2, s23, z);
    rs_tensor *b = rs_graph_input(g, 2, s32, z);
    tap_ok(rs_op_mse(g, a, b) == NULL && msg_has(g, "(2, 3)") &&
               msg_has(g, "(3, 2)"),
           "mse (2,3) vs (3,2) fails naming both: %s", rs_graph_error(g)->msg);
    rs_graph_reset(g);

    /* NULL inputs propagate; the first error is the one kept. */
    a = rs_graph_input(g, 2, s23, z);
    rs_tensor *y = rs_op_relu(g, NULL);
    tap_ok(y == NULL && rs_graph_error(g)->code != RS_OK,
           "relu(NULL) is NULL with an error set");
    char first[sizeof rs_graph_error(g)->msg];
    snprintf(first, sizeof first, "%s", rs_graph_error(g)->msg);
    y = rs_op_sum(g, rs_op_add(g, y, a));
    tap_ok(y == NULL && strcmp(first, rs_graph_error(g)->msg) == 0,
           "NULL flows through add and sum; first error kept");
    tap_ok(rs_op_exp(g, a) == NULL, "after an error, builders return NULL");
    rs_graph_reset(g);
    unary_fn unaries[] = {rs_op_sum,         rs_op_mean, rs_op_softmax,
                          rs_op_log_softmax, rs_op_tanh, rs_op_gelu};
    bool all_null = true;
    for (size_t k = 0; k < RS_ARRAY_LEN(unaries); k++) {
        if (unaries[k](g, NULL) != NULL)
            all_null = false;
        rs_graph_reset(g);
    }
    tap_ok(all_null &&
               rs_op_cross_entropy(g, NULL, (const int[]){0}, NULL) == NULL,
           "every builder returns NULL for a NULL input");
    rs_graph_reset(g);

    /* softmax needs a last dimension */
    int none[1] = {1};
    a = rs_graph_input(g, 0, none, z);
    tap_ok(rs_op_softmax(g, a) == NULL && rs_graph_error(g)->code == RS_ESHAPE,
           "softmax of a scalar fails: %s", rs_graph_error(g)->msg);
    rs_graph_reset(g);

    /* cross-entropy targets and mask */
    a = rs_graph_input(g, 2, s23, z);
    tap_ok(rs_op_cross_entropy(g, a, (const int[]){0, 5}, NULL) == NULL &&
               msg_has(g, "row 1") && msg_has(g, "target 5"),
           "cross_entropy target 5 of V=3 names row and value: %s",
           rs_graph_error(g)->msg);
    rs_graph_reset(g);
    a = rs_graph_input(g, 2, s23, z);
    tap_ok(rs_op_cross_entropy(g, a, (const int[]){-1, 0}, NULL) == NULL &&
               msg_has(g, "row 0") && msg_has(g, "target -1"),
           "cross_entropy target -1 names row and value: %s",
           rs_graph_error(g)->msg);
    rs_graph_reset(g);
    a = rs_graph_input(g, 2, s23, z);
    tap_ok(rs_op_cross_entropy(g, a, (const int[]){0, 3}, NULL) == NULL,
           "cross_entropy target == V is out of range");
    rs_graph_reset(g);
    a = rs_graph_input(g, 2, s23, z);
    tap_ok(rs_op_cross_entropy(g, a, (const int[]){0, 1},
                               (const float[]){0.0f, 0.0f}) == NULL &&
               msg_has(g, "zero"),
           "cross_entropy with an all-zero mask fails: %s",
           rs_graph_error(g)->msg);
    rs_graph_reset(g);
    a = rs_graph_input(g, 2, s23, z);
    tap_ok(rs_op_cross_entropy(g, a, (const int[]){0, 1},
                               (const float[]){1.0f, -1.0f}) == NULL &&
               msg_has(g, "row 1"),
           "cross_entropy with a negative mask weight fails: %s",
           rs_graph_error(g)->msg);
    rs_graph_reset(g);
    a = rs_graph_input(g, 2, s23, z);
    tap_ok(rs_op_cross_entropy(g, a, NULL, NULL) == NULL,
           "cross_entropy without targets fails");
    rs_graph_free(g);
}

/* ---- no_grad ---------------------------------------------------------- */

static void
test_no_grad(struct rs_rng *rng)
{
    int s[2] = {3, 4}, sc[1] = {4};
    rs_tensor *x = tap_param(rng, 2, s, 0.5f, 2.0f);
    rs_tensor *w = tap_param(rng, 1, sc, 0.5f, 2.0f);
    static const int t[3] = {0, 3, 1};
    rs_graph *g = rs_graph_new();
    for (int pass = 0; pass < 2; pass++) {
        bool on = pass == 1;
        rs_graph_set_grad(g, on);
        rs_tensor *outs[] = {
            rs_op_add(g, x, w),
            rs_op_sub(g, x, w),
            rs_op_mul(g, x, w),
            rs_op_div(g, x, w),
            rs_op_scale(g, x, 2.0f),
            rs_op_add_scalar(g, x, 1.0f),
            rs_op_relu(g, x),
            rs_op_leaky_relu(g, x, 0.1f),
            rs_op_gelu(g, x),
            rs_op_tanh(g, x),
            rs_op_sigmoid(g, x),
            rs_op_softplus(g, x),
            rs_op_exp(g, x),
            rs_op_log(g, x),
            rs_op_sqrt(g, x),
            rs_op_square(g, x),
            rs_op_sum(g, x),
            rs_op_mean(g, x),
            rs_op_softmax(g, x),
            rs_op_log_softmax(g, x),
            rs_op_cross_entropy(g, x, t, NULL),
            rs_op_mse(g, x, x),
        };
        size_t n = RS_ARRAY_LEN(outs);
        bool built = true, req = false, all_req = true;
        for (size_t i = 0; i < n; i++) {
            if (outs[i] == NULL) {
                built = false;
                continue;
            }
            req = req || outs[i]->requires_grad;
            all_req = all_req && outs[i]->requires_grad;
        }
        tap_ok(built, "grad %s: all %zu ops build", on ? "on" : "off", n);
        if (!on) {
            tap_ok(!req, "no_grad: no output requires grad");
            tap_is_int((long)rs_graph_nodes(g), 0, "no_grad: tape is empty");
        } else {
            tap_ok(all_req, "grad on: every output requires grad");
            tap_is_int((long)rs_graph_nodes(g), (long)n,
                       "grad on: one node per op");
        }
        rs_graph_reset(g);
    }
    /* Inputs that do not require grad record nothing either. */
    float d[12] = {0};
    rs_tensor *c = rs_graph_input(g, 2, s, d);
    rs_tensor *y = rs_op_mean(g, rs_op_relu(g, rs_op_add(g, c, c)));
    tap_ok(y != NULL && !y->requires_grad && rs_graph_nodes(g) == 0,
           "constants in, nothing on the tape");
    rs_graph_free(g);
    rs_tensor_release(x);
    rs_tensor_release(w);
}

/* The parameterless unary ops split big tensors over the engine pool
 * (ops_unary.c): forward and backward at 2 threads must be bitwise the
 * 1-thread result, and the pool must really have taken the jobs. n is
 * several grains plus an odd tail. */
typedef rs_tensor *(*unary_builder)(rs_graph *g, rs_tensor *x);

static void
unary_at(int threads, unary_builder op, const float *x0, const float *seed,
         int n, float *res)
{
    rs_pool_set_threads(threads);
    rs_graph *g = rs_graph_new();
    rs_tensor *x = rs_graph_input(g, 1, &n, x0);
    x->requires_grad = true;
    rs_tensor *y = op(g, x);
    RS_ASSERT(y != NULL);
    int rc = rs_graph_backward_seed(g, y, seed, NULL);
    RS_ASSERT(rc == RS_OK);
    memcpy(res, y->data, (size_t)n * sizeof(float));
    memcpy(res + n, x->grad, (size_t)n * sizeof(float));
    rs_graph_free(g);
    rs_pool_set_threads(1);
}

static void
test_threads(struct rs_rng *rng)
{
    static const struct {
        const char *name;
        unary_builder op;
        float lo, hi;
    } ops[] = {
        {"relu", rs_op_relu, -3, 3},       {"gelu", rs_op_gelu, -6, 6},
        {"tanh", rs_op_tanh, -6, 6},       {"sigmoid", rs_op_sigmoid, -9, 9},
        {"softplus", rs_op_softplus, -9, 9}, {"exp", rs_op_exp, -20, 20},
        {"log", rs_op_log, 1e-3f, 50},     {"sqrt", rs_op_sqrt, 1e-3f, 50},
        {"square", rs_op_square, -4, 4},
    };
    int n = 3 * 16384 + 37;
    float *x = rs_xmalloc((size_t)n * sizeof(float));
    float *seed = rs_xmalloc((size_t)n * sizeof(float));
    float *r1 = rs_xmalloc(2 * (size_t)n * sizeof(float));
    float *r2 = rs_xmalloc(2 * (size_t)n * sizeof(float));
    for (int i = 0; i < n; i++)
        seed[i] = rs_rng_uniform(rng) - 0.5f;
    rs_pool_set_backoff(false); /* a loaded machine must not hide a split */
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        for (int i = 0; i < n; i++)
            x[i] = ops[k].lo + (ops[k].hi - ops[k].lo) * rs_rng_uniform(rng);
        unary_at(1, ops[k].op, x, seed, n, r1);
        rs_pool_stats_reset();
        unary_at(2, ops[k].op, x, seed, n, r2);
        struct rs_pool_stats st;
        rs_pool_stats(&st);
        tap_ok(st.jobs >= 2, "%s: forward and backward went to the pool "
               "(%ld jobs)", ops[k].name, st.jobs);
        tap_ok(memcmp(r1, r2, 2 * (size_t)n * sizeof(float)) == 0,
               "%s: 2 threads give the 1-thread bits", ops[k].name);
    }
    rs_pool_set_backoff(true);
    free(x);
    free(seed);
    free(r1);
    free(r2);
}

int
main(void)
{
    tap_plan_lazy();
    struct rs_rng rng;
    rs_rng_seed(&rng, 20240611);
    test_grad_unary(&rng);
    test_grad_binary(&rng);
    test_grad_one_side(&rng);
    test_grad_loss(&rng);
    test_forward_binary(&rng);
    test_forward_unary();
    test_forward_reduce();
    test_forward_ce();
    test_errors();
    test_no_grad(&rng);
    test_threads(&rng);
    return tap_done();
}
