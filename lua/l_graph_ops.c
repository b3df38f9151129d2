/* repscope - MIT licence, see COPYING.
 *
 * l_graph_ops.c: the ops of rs.graph handles (graph_impl.h): operand
 * conversion (graph tensors of the call's graph; heap tensors borrowed,
 * numbers made scalar constants), one function per op over core/ops.h, and the
 * table l_graph.c registers as g:<op> and x:<op>. Reductions over a dim
 * and a few conveniences (onehot, detach) are composed from engine ops, so
 * they differentiate through the engine's own backward. Worker thread
 * only.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>

#include "core/ops.h"
#include "lua/graph_impl.h"

/* ---- operands ---------------------------------------------------------- */

/* A constant arena copy of data with t's shape (NULL: the graph's error). */
static rs_tensor *
constant(const struct rs_lua_graph_call *c, int ndim, const int *shape,
         const float *data)
{
    return rs_graph_input(c->g, ndim, shape, data);
}

static rs_tensor *
full(const struct rs_lua_graph_call *c, int ndim, const int *shape, float v)
{
    rs_tensor *t = rs_graph_tensor(c->g, ndim, shape);
    if (t != NULL)
        for (size_t i = 0; i < t->numel; i++)
            t->data[i] = v;
    return t;
}

/* A heap tensor as an op input: borrowed, not copied (the graph retains
 * it until its next reset), so a parameter takes gradients as through
 * g:param. One that wants gradients but has no buffer of its own (which
 * backward could not fill) is copied in as a constant instead. */
static rs_tensor *
borrow(lua_State *L, const struct rs_lua_graph_call *c, rs_tensor *t)
{
    if (t->requires_grad && t->grad == NULL) {
        rs_tensor *k = constant(c, t->ndim, t->shape, t->data);
        if (k == NULL)
            rs_lua_graph_raise(L, c);
        return k;
    }
    rs_lua_graph_hold_tensor(c->gr, t);
    return t;
}

/* The operand at arg: a graph tensor of c's graph, a heap tensor
 * (borrowed) or, when number_ok, a number (a scalar constant). */
static rs_tensor *
operand(lua_State *L, const struct rs_lua_graph_call *c, int arg,
        const char *name, bool number_ok)
{
    struct rs_lua_gtensor *x = luaL_testudata(L, arg, RS_LUA_GRAPH_TENSOR_MT);
    if (x != NULL) {
        x = rs_lua_graph_check_gt(L, arg, c->fn, name);
        if (x->gr != c->gr)
            rs_lua_arg_error(L, c->fn, arg, name,
                             "graph tensor of another graph");
        return x->t;
    }
    if (luaL_testudata(L, arg, RS_LUA_TENSOR_MT) != NULL)
        return borrow(L, c, rs_lua_check_tensor(L, arg, c->fn, name));
    if (!number_ok || lua_type(L, arg) != LUA_TNUMBER)
        rs_lua_type_error(L, c->fn, arg, name,
                          number_ok ? "graph tensor, tensor or number"
                                    : "graph tensor or tensor");
    float v = (float)lua_tonumber(L, arg);
    rs_tensor *t = constant(c, 0, NULL, &v);
    if (t == NULL)
        rs_lua_graph_raise(L, c);
    return t;
}

/* An optional operand: NULL for none/nil. */
static rs_tensor *
opt_operand(lua_State *L, const struct rs_lua_graph_call *c, int arg,
            const char *name)
{
    return lua_isnoneornil(L, arg) ? NULL : operand(L, c, arg, name, false);
}

/* Integers at arg (a Lua table, or a heap tensor of integral values) into
 * arena memory; n: the count expected (0: any, set from the table). Each
 * in [0, hi) when hi > 0. */
static int *
int_list(lua_State *L, const struct rs_lua_graph_call *c, int arg,
         const char *name, int *n, int hi)
{
    rs_tensor *t = rs_lua_test_box(L, arg, RS_LUA_TENSOR_MT);
    lua_Integer len;
    if (t != NULL)
        len = (lua_Integer)t->numel;
    else {
        if (lua_type(L, arg) != LUA_TTABLE)
            rs_lua_type_error(L, c->fn, arg, name, "table or tensor");
        len = luaL_len(L, arg);
    }
    if (*n > 0 && len != *n)
        rs_lua_arg_error(L, c->fn, arg, name, "%d entries expected, got %lld",
                         *n, (long long)len);
    if (len < 1 || len > INT32_MAX)
        rs_lua_arg_error(L, c->fn, arg, name, "1 or more entries expected");
    int *out = rs_arena_alloc(rs_graph_arena(c->g), (size_t)len * sizeof *out);
    for (lua_Integer i = 0; i < len; i++) {
        lua_Number v;
        if (t != NULL)
            v = (lua_Number)t->data[i];
        else {
            lua_geti(L, arg, i + 1);
            v = lua_type(L, -1) == LUA_TNUMBER ? lua_tonumber(L, -1)
                                               : (lua_Number)NAN;
            lua_pop(L, 1);
        }
        if (!(v == floor(v)) || v < 0 || (hi > 0 && v >= hi) || v > INT32_MAX)
            rs_lua_arg_error(L, c->fn, arg, name,
                             "entry %lld is not an integer in 0..%d",
                             (long long)i + 1, hi > 0 ? hi - 1 : INT32_MAX);
        out[i] = (int)v;
    }
    *n = (int)len;
    return out;
}

/* ---- ops --------------------------------------------------------------- */

rs_tensor *
rs_lua_graph_binop(lua_State *L, const struct rs_lua_graph_call *c, int ia,
                   int ib, enum rs_lua_graph_binop op)
{
    rs_graph *g = c->g;
    bool na = lua_type(L, ia) == LUA_TNUMBER;
    bool nb = lua_type(L, ib) == LUA_TNUMBER;
    if (na && nb)
        rs_lua_type_error(L, c->fn, ia, "a", "graph tensor");
    if (nb || na) { /* tensor op number: the scalar ops where exact */
        rs_tensor *x = operand(L, c, na ? ib : ia, na ? "b" : "a", false);
        float s = (float)lua_tonumber(L, na ? ia : ib);
        switch (op) {
        case RS_LUA_GRAPH_ADD:
            return rs_op_add_scalar(g, x, s);
        case RS_LUA_GRAPH_MUL:
            return rs_op_scale(g, x, s);
        case RS_LUA_GRAPH_SUB:
            return na ? rs_op_add_scalar(g, rs_op_scale(g, x, -1.0f), s)
                      : rs_op_add_scalar(g, x, -s);
        case RS_LUA_GRAPH_DIV:
            if (na)
                return rs_op_div(g, full(c, x->ndim, x->shape, s), x);
            return rs_op_div(g, x, constant(c, 0, NULL, &s));
        }
    }
    rs_tensor *a = operand(L, c, ia, "a", false);
    rs_tensor *b = operand(L, c, ib, "b", false);
    /* Broadcasting goes from b into a (core/ops.h): swap commutative
     * operands, expand a for the others. */
    if (b->numel > a->numel) {
        if (op == RS_LUA_GRAPH_ADD || op == RS_LUA_GRAPH_MUL) {
            rs_tensor *t = a;
            a = b;
            b = t;
        } else {
            a = rs_op_add(g, full(c, b->ndim, b->shape, 0.0f), a);
        }
    }
    switch (op) {
    case RS_LUA_GRAPH_ADD:
        return rs_op_add(g, a, b);
    case RS_LUA_GRAPH_SUB:
        return rs_op_sub(g, a, b);
    case RS_LUA_GRAPH_MUL:
        return rs_op_mul(g, a, b);
    case RS_LUA_GRAPH_DIV:
        return rs_op_div(g, a, b);
    }
    return NULL;
}

#define BINOP(name, OP)                                                        \
    static rs_tensor *op_##name(lua_State *L,                                  \
                                const struct rs_lua_graph_call *c, int a)      \
    {                                                                          \
        return rs_lua_graph_binop(L, c, a, a + 1, OP);                         \
    }
BINOP(add, RS_LUA_GRAPH_ADD)
BINOP(sub, RS_LUA_GRAPH_SUB)
BINOP(mul, RS_LUA_GRAPH_MUL)
BINOP(div, RS_LUA_GRAPH_DIV)
#undef BINOP

#define UNARY(name)                                                            \
    static rs_tensor *op_##name(lua_State *L,                                  \
                                const struct rs_lua_graph_call *c, int a)      \
    {                                                                          \
        return rs_op_##name(c->g, operand(L, c, a, "x", false));               \
    }
UNARY(relu)
UNARY(gelu)
UNARY(tanh)
UNARY(sigmoid)
UNARY(softplus)
UNARY(exp)
UNARY(log)
UNARY(sqrt)
UNARY(square)
UNARY(softmax)
UNARY(log_softmax)
#undef UNARY

static rs_tensor *
op_neg(lua_State *L, const struct rs_lua_graph_call *c, int a)
{
    return rs_op_scale(c->g, operand(L, c, a, "x", false), -1.0f);
}

static rs_tensor *
op_scale(lua_State *L, const struct rs_lua_graph_call *c, int a)
{
    rs_tensor *x = operand(L, c, a, "x", false);
    return rs_op_scale(c->g, x,
                       (float)rs_lua_check_number(L, a + 1, c->fn, "s"));
}

/* A copy that takes no gradient (stops it). */
static rs_tensor *
op_detach(lua_State *L, const struct rs_lua_graph_call *c, int a)
{
    rs_tensor *x = operand(L, c, a, "x", false);
    return constant(c, x->ndim, x->shape, x->data);
}

/* x:sum([dim [, keepdim]]), x:mean(...): over everything (a scalar), or
 * over dim (1-based, negative from the end) as a matmul with a column of
 * 1 (or 1/D): x viewed (A, D, R) transposed -> (A, R, 1). */
static rs_tensor *
reduce(lua_State *L, const struct rs_lua_graph_call *c, int a, bool mean)
{
    rs_graph *g = c->g;
    rs_tensor *x = operand(L, c, a, "x", false);
    if (lua_isnoneornil(L, a + 1))
        return mean ? rs_op_mean(g, x) : rs_op_sum(g, x);
    lua_Integer d = rs_lua_check_integer(L, a + 1, c->fn, "dim");
    if (d < 0)
        d += x->ndim + 1;
    if (d < 1 || d > x->ndim)
        rs_lua_arg_error(L, c->fn, a + 1, "dim", "%lld is outside 1..%d",
                         (long long)lua_tointeger(L, a + 1), x->ndim);
    bool keep = lua_toboolean(L, a + 2);
    int k = (int)d - 1, A = 1, D = x->shape[k], R = 1;
    int shape[RS_MAX_DIMS], nd = 0;
    for (int i = 0; i < x->ndim; i++) {
        if (i < k)
            A *= x->shape[i];
        if (i > k)
            R *= x->shape[i];
        if (i != k || keep)
            shape[nd++] = i == k ? 1 : x->shape[i];
    }
    rs_tensor *w = full(c, 2, (int[]){D, 1}, mean ? 1.0f / (float)D : 1.0f);
    rs_tensor *y;
    if (R == 1)
        y = rs_op_matmul(g, rs_op_reshape(g, x, 2, (int[]){A, D}), w, false,
                         false);
    else
        y = rs_op_matmul(g, rs_op_reshape(g, x, 3, (int[]){A, D, R}), w, true,
                         false);
    return rs_op_reshape(g, y, nd, shape);
}

static rs_tensor *
op_sum(lua_State *L, const struct rs_lua_graph_call *c, int a)
{
    return reduce(L, c, a, false);
}

static rs_tensor *
op_mean(lua_State *L, const struct rs_lua_graph_call *c, int a)
{
    return reduce(L, c, a, true);
}

static rs_tensor *
op_matmul(lua_State *L, const struct rs_lua_graph_call *c, int a)
{
    rs_tensor *x = operand(L, c, a, "a", false);
    rs_tensor *y = operand(L, c, a + 1, "b", false);
    return rs_op_matmul(c->g, x, y, lua_toboolean(L, a + 2),
                        lua_toboolean(L, a + 3));
}

static rs_tensor *
op_linear(lua_State *L, const struct rs_lua_graph_call *c, int a)
{
    rs_tensor *x = operand(L, c, a, "x", false);
    rs_tensor *w = operand(L, c, a + 1, "weight", false);
    return rs_op_linear(c->g, x, w, opt_operand(L, c, a + 2, "bias"));
}

/* cross_entropy(logits, labels [, mask]): labels 0-based, one per row. */
static rs_tensor *
op_cross_entropy(lua_State *L, const struct rs_lua_graph_call *c, int a)
{
    rs_tensor *x = operand(L, c, a, "logits", false);
    int n = (int)rs_tensor_rows(x);
    int *y = int_list(L, c, a + 1, "labels", &n,
                      x->ndim == 0 ? 1 : rs_tensor_cols(x));
    const float *mask = NULL;
    if (!lua_isnoneornil(L, a + 2)) {
        rs_tensor *m = rs_lua_check_tensor(L, a + 2, c->fn, "mask");
        if (m->numel != (size_t)n)
            rs_lua_arg_error(L, c->fn, a + 2, "mask",
                             "%d entries expected, got %zu", n, m->numel);
        mask = m->data;
    }
    return rs_op_cross_entropy(c->g, x, y, mask);
}

static rs_tensor *
op_mse(lua_State *L, const struct rs_lua_graph_call *c, int a)
{
    rs_tensor *x = operand(L, c, a, "a", false);
    return rs_op_mse(c->g, x, operand(L, c, a + 1, "b", false));
}

static rs_tensor *
op_layernorm(lua_State *L, const struct rs_lua_graph_call *c, int a)
{
    rs_tensor *x = operand(L, c, a, "x", false);
    rs_tensor *gamma = opt_operand(L, c, a + 1, "gamma");
    rs_tensor *beta = opt_operand(L, c, a + 2, "beta");
    lua_Number eps = lua_isnoneornil(L, a + 3)
                         ? 1e-5
                         : rs_lua_check_number(L, a + 3, c->fn, "eps");
    if (!(eps > 0.0))
        rs_lua_arg_error(L, c->fn, a + 3, "eps", "%g is not > 0", eps);
    return rs_op_layernorm(c->g, x, gamma, beta, (float)eps);
}

/* slice(x, first, count): columns first..first+count-1 (1-based) of the
 * last dim. */
static rs_tensor *
op_slice(lua_State *L, const struct rs_lua_graph_call *c, int a)
{
    rs_tensor *x = operand(L, c, a, "x", false);
    lua_Integer first = rs_lua_check_integer(L, a + 1, c->fn, "first");
    lua_Integer count = rs_lua_check_integer(L, a + 2, c->fn, "count");
    int cols = x->ndim == 0 ? 1 : rs_tensor_cols(x);
    if (first < 1 || count < 1 || first - 1 + count > cols)
        rs_lua_arg_error(L, c->fn, a + 1, "first",
                         "columns %lld..%lld outside 1..%d", (long long)first,
                         (long long)(first + count - 1), cols);
    return rs_op_slice(c->g, x, (int)first - 1, (int)count);
}

static rs_tensor *
op_reshape(lua_State *L, const struct rs_lua_graph_call *c, int a)
{
    rs_tensor *x = operand(L, c, a, "x", false);
    int shape[RS_MAX_DIMS];
    int nd = rs_lua_check_shape(L, a + 1, c->fn, "shape", shape);
    return rs_op_reshape(c->g, x, nd, shape);
}

/* concat(a, b, ...): along the last dim, left to right. */
static rs_tensor *
op_concat(lua_State *L, const struct rs_lua_graph_call *c, int a)
{
    rs_tensor *y = operand(L, c, a, "a", false);
    if (c->top < a + 1)
        rs_lua_type_error(L, c->fn, a + 1, "b", "graph tensor");
    for (int i = a + 1; i <= c->top; i++)
        y = rs_op_concat(c->g, y, operand(L, c, i, "b", false));
    return y;
}

/* embedding(table, ids [, shape]): ids 0-based rows of table (V, C). */
static rs_tensor *
op_embedding(lua_State *L, const struct rs_lua_graph_call *c, int a)
{
    rs_tensor *w = operand(L, c, a, "table", false);
    int n = 0, shape[RS_MAX_DIMS], nd = 1;
    int *ids = int_list(L, c, a + 1, "ids", &n, w->ndim == 2 ? w->shape[0] : 0);
    shape[0] = n;
    if (!lua_isnoneornil(L, a + 2)) {
        nd = rs_lua_check_shape(L, a + 2, c->fn, "shape", shape);
        if (rs_shape_numel(nd, shape) != (size_t)n)
            rs_lua_arg_error(L, c->fn, a + 2, "shape",
                             "%zu ids by this shape, %d given",
                             rs_shape_numel(nd, shape), n);
    }
    return rs_op_embedding(c->g, w, ids, nd, shape);
}

/* ---- graph-only ops ---------------------------------------------------- */

/* g:input(t [, requires_grad]): t (a tensor or number) as a leaf that
 * takes no gradient unless asked: a plain tensor is borrowed; a
 * parameter, or any tensor with requires_grad, is copied in (the copy
 * gets its gradient in the arena, never in t). */
static rs_tensor *
op_input(lua_State *L, const struct rs_lua_graph_call *c, int a)
{
    bool rg = lua_toboolean(L, a + 1);
    rs_tensor *t = rs_lua_test_box(L, a, RS_LUA_TENSOR_MT);
    if (t == NULL && lua_type(L, a) != LUA_TNUMBER)
        rs_lua_type_error(L, c->fn, a, "t", "tensor or number");
    if (t == NULL || (!rg && !t->requires_grad))
        t = operand(L, c, a, "t", true);
    else if ((t = constant(c, t->ndim, t->shape, t->data)) == NULL)
        rs_lua_graph_raise(L, c);
    if (rg)
        t->requires_grad = true;
    return t;
}

/* g:param(t): the parameter itself, so backward accumulates into it. */
static rs_tensor *
op_param(lua_State *L, const struct rs_lua_graph_call *c, int a)
{
    rs_tensor *t = rs_lua_check_tensor(L, a, c->fn, "t");
    if (t->grad == NULL)
        rs_lua_arg_error(L, c->fn, a, "t",
                         "a parameter expected (it has no gradient; "
                         "use g:input for data)");
    rs_lua_graph_hold_tensor(c->gr, t);
    return t;
}

/* g:forward(module, x): the module's output on this graph. */
static rs_tensor *
op_forward(lua_State *L, const struct rs_lua_graph_call *c, int a)
{
    rs_nn_module *m = rs_lua_check_module(L, a, c->fn, "module");
    rs_tensor *x = operand(L, c, a + 1, "x", false);
    rs_lua_graph_hold_module(c->gr, m);
    return rs_nn_module_forward(m, c->g, x);
}

/* g:onehot(labels, classes): a constant (n, classes) of 0 and 1. */
static rs_tensor *
op_onehot(lua_State *L, const struct rs_lua_graph_call *c, int a)
{
    lua_Integer k = rs_lua_check_integer(L, a + 1, c->fn, "classes");
    if (k < 1 || k > INT32_MAX)
        rs_lua_arg_error(L, c->fn, a + 1, "classes", "%lld is not >= 1",
                         (long long)k);
    int n = 0;
    int *y = int_list(L, c, a, "labels", &n, (int)k);
    rs_tensor *t = full(c, 2, (int[]){n, (int)k}, 0.0f);
    if (t != NULL)
        for (int i = 0; i < n; i++)
            t->data[(size_t)i * (size_t)k + (size_t)y[i]] = 1.0f;
    return t;
}

/* ---- the table --------------------------------------------------------- */

#define OP(name, on)                                                           \
    {                                                                          \
#name, op_##name, on, "graph:" #name, "graph_tensor:" #name            \
    }
const struct rs_lua_graph_op rs_lua_graph_ops[] = {
    OP(add, RS_LUA_GRAPH_ON_BOTH),
    OP(sub, RS_LUA_GRAPH_ON_BOTH),
    OP(mul, RS_LUA_GRAPH_ON_BOTH),
    OP(div, RS_LUA_GRAPH_ON_BOTH),
    OP(neg, RS_LUA_GRAPH_ON_BOTH),
    OP(scale, RS_LUA_GRAPH_ON_BOTH),
    OP(relu, RS_LUA_GRAPH_ON_BOTH),
    OP(gelu, RS_LUA_GRAPH_ON_BOTH),
    OP(tanh, RS_LUA_GRAPH_ON_BOTH),
    OP(sigmoid, RS_LUA_GRAPH_ON_BOTH),
    OP(softplus, RS_LUA_GRAPH_ON_BOTH),
    OP(exp, RS_LUA_GRAPH_ON_BOTH),
    OP(log, RS_LUA_GRAPH_ON_BOTH),
    OP(sqrt, RS_LUA_GRAPH_ON_BOTH),
    OP(square, RS_LUA_GRAPH_ON_BOTH),
    OP(sum, RS_LUA_GRAPH_ON_BOTH),
    OP(mean, RS_LUA_GRAPH_ON_BOTH),
    OP(softmax, RS_LUA_GRAPH_ON_BOTH),
    OP(log_softmax, RS_LUA_GRAPH_ON_BOTH),
    OP(cross_entropy, RS_LUA_GRAPH_ON_BOTH),
    OP(mse, RS_LUA_GRAPH_ON_BOTH),
    OP(layernorm, RS_LUA_GRAPH_ON_BOTH),
    OP(slice, RS_LUA_GRAPH_ON_BOTH),
    OP(reshape, RS_LUA_GRAPH_ON_BOTH),
    OP(concat, RS_LUA_GRAPH_ON_BOTH),
    OP(embedding, RS_LUA_GRAPH_ON_BOTH),
    OP(matmul, RS_LUA_GRAPH_ON_BOTH),
    OP(linear, RS_LUA_GRAPH_ON_BOTH),
    OP(detach, RS_LUA_GRAPH_ON_BOTH),
    OP(input, RS_LUA_GRAPH_ON_GRAPH),
    OP(param, RS_LUA_GRAPH_ON_GRAPH),
    OP(forward, RS_LUA_GRAPH_ON_GRAPH),
    OP(onehot, RS_LUA_GRAPH_ON_GRAPH),
};
#undef OP

const size_t rs_lua_graph_nops = RS_ARRAY_LEN(rs_lua_graph_ops);
