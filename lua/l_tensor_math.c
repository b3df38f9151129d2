/* repscope - MIT licence, see COPYING.
 *
 * l_tensor_math.c: the arithmetic of rs.tensor handles (methods and
 * metamethods registered by l_tensor.c): + - * / with broadcasting as
 * core/ops.h, negation, matmul, transpose, activations and reductions.
 * Elementwise work goes through the engine's ops on the host's no-grad
 * scratch graph; the result is copied out to a fresh heap tensor and the
 * graph reset before returning, so no arena temporary reaches Lua.
 * Reductions accumulate in double. Worker thread only.
 */
#include "config.h"

#include <math.h>

#include "core/ops.h"
#include "lua/bind.h"

/* A new zero tensor in a fresh box on the stack. */
static rs_tensor *
push_new(lua_State *L, int ndim, const int *shape, const char *fn)
{
    void **box = rs_lua_new_box(L, RS_LUA_TENSOR_MT);
    struct rs_error err = {0};
    rs_tensor *t = rs_tensor_new(ndim, shape, &err);
    if (t == NULL)
        rs_lua_status_error(L, fn, &err);
    *box = t;
    rs_lua_tensor_made(L, t);
    return t;
}

/* Copy the graph result out into the box, reset the graph; raise on a
 * graph error (message from the op). */
static int
finish(lua_State *L, rs_graph *g, rs_tensor *out, void **box, const char *fn)
{
    struct rs_error err = {0};
    if (out == NULL) {
        const struct rs_error *ge = rs_graph_error(g);
        rs_error_set(&err, RS_ESHAPE, "%s",
                     ge->code != RS_OK ? ge->msg : "invalid operands");
        rs_graph_reset(g);
        return rs_lua_status_error(L, fn, &err);
    }
    rs_tensor *t = rs_tensor_clone(out, &err);
    rs_graph_reset(g);
    if (t == NULL)
        return rs_lua_status_error(L, fn, &err);
    *box = t;
    rs_lua_tensor_made(L, t);
    return 1;
}

enum binop { OP_ADD, OP_SUB, OP_MUL, OP_DIV };

static int
binop(lua_State *L, enum binop op, const char *fn)
{
    rs_tensor *a = rs_lua_test_box(L, 1, RS_LUA_TENSOR_MT);
    rs_tensor *b = rs_lua_test_box(L, 2, RS_LUA_TENSOR_MT);
    if (a == NULL && lua_type(L, 1) != LUA_TNUMBER)
        rs_lua_check_tensor(L, 1, fn, "a");
    if (b == NULL && lua_type(L, 2) != LUA_TNUMBER)
        rs_lua_type_error(L, fn, 2, "b", "tensor or number");
    if (a == NULL && b == NULL)
        rs_lua_check_tensor(L, 1, fn, "a");
    float na = a == NULL ? (float)lua_tonumber(L, 1) : 0.0f;
    float nb = b == NULL ? (float)lua_tonumber(L, 2) : 0.0f;
    void **box = rs_lua_new_box(L, RS_LUA_TENSOR_MT);
    rs_graph *g = rs_lua_ctx(L)->scratch;
    rs_graph_reset(g);
    if (a == NULL) { /* number op tensor: the number as a full tensor */
        a = rs_graph_tensor(g, b->ndim, b->shape);
        if (a != NULL)
            for (size_t i = 0; i < a->numel; i++)
                a->data[i] = na;
    }
    if (b == NULL)
        b = rs_graph_input(g, 0, NULL, &nb);
    /* Broadcasting goes from b into a: swap commutative operands when the
     * larger one came second. */
    if (a != NULL && b != NULL && b->numel > a->numel &&
        (op == OP_ADD || op == OP_MUL)) {
        rs_tensor *t = a;
        a = b;
        b = t;
    }
    rs_tensor *out = NULL;
    switch (op) {
    case OP_ADD:
        out = rs_op_add(g, a, b);
        break;
    case OP_SUB:
        out = rs_op_sub(g, a, b);
        break;
    case OP_MUL:
        out = rs_op_mul(g, a, b);
        break;
    case OP_DIV:
        out = rs_op_div(g, a, b);
        break;
    }
    return finish(L, g, out, box, fn);
}

static int
l_tensor_add(lua_State *L)
{
    return binop(L, OP_ADD, "tensor:add");
}

static int
l_tensor_sub(lua_State *L)
{
    return binop(L, OP_SUB, "tensor:sub");
}

static int
l_tensor_mul(lua_State *L)
{
    return binop(L, OP_MUL, "tensor:mul");
}

static int
l_tensor_div(lua_State *L)
{
    return binop(L, OP_DIV, "tensor:div");
}

static int
l_tensor_unm(lua_State *L)
{
    rs_tensor *a = rs_lua_check_tensor(L, 1, "tensor negation", "self");
    void **box = rs_lua_new_box(L, RS_LUA_TENSOR_MT);
    rs_graph *g = rs_lua_ctx(L)->scratch;
    rs_graph_reset(g);
    return finish(L, g, rs_op_scale(g, a, -1.0f), box, "tensor negation");
}

static int
l_tensor_matmul(lua_State *L)
{
    static const char fn[] = "tensor:matmul";
    rs_tensor *a = rs_lua_check_tensor(L, 1, fn, "self");
    rs_tensor *b = rs_lua_check_tensor(L, 2, fn, "other");
    void **box = rs_lua_new_box(L, RS_LUA_TENSOR_MT);
    rs_graph *g = rs_lua_ctx(L)->scratch;
    rs_graph_reset(g);
    return finish(L, g, rs_op_matmul(g, a, b, false, false), box, fn);
}

typedef rs_tensor *(*unary_fn)(rs_graph *, rs_tensor *);

static int
unary(lua_State *L, unary_fn f, const char *fn)
{
    rs_tensor *a = rs_lua_check_tensor(L, 1, fn, "self");
    void **box = rs_lua_new_box(L, RS_LUA_TENSOR_MT);
    rs_graph *g = rs_lua_ctx(L)->scratch;
    rs_graph_reset(g);
    return finish(L, g, f(g, a), box, fn);
}

#define UNARY(name)                                                            \
    static int l_tensor_##name(lua_State *L)                                   \
    {                                                                          \
        return unary(L, rs_op_##name, "tensor:" #name);                        \
    }
UNARY(relu)
UNARY(tanh)
UNARY(sigmoid)
UNARY(exp)
UNARY(log)
UNARY(sqrt)
UNARY(softmax)
#undef UNARY

/* t:t(): the transpose of a 2-D tensor (a copy). */
static int
l_tensor_t(lua_State *L)
{
    static const char fn[] = "tensor:t";
    rs_tensor *a = rs_lua_check_tensor(L, 1, fn, "self");
    if (a->ndim != 2)
        return luaL_error(L, "%s: a 2-D tensor expected, got %d-D", fn,
                          a->ndim);
    int r = a->shape[0], c = a->shape[1];
    rs_tensor *t = push_new(L, 2, (int[]){c, r}, fn);
    for (int i = 0; i < r; i++)
        for (int j = 0; j < c; j++)
            t->data[(size_t)j * (size_t)r + (size_t)i] =
                a->data[(size_t)i * (size_t)c + (size_t)j];
    return 1;
}

/* ---- reductions (double accumulation) ---------------------------------- */

static int
l_tensor_sum(lua_State *L)
{
    rs_tensor *t = rs_lua_check_tensor(L, 1, "tensor:sum", "self");
    double s = 0.0;
    for (size_t i = 0; i < t->numel; i++)
        s += (double)t->data[i];
    lua_pushnumber(L, s);
    return 1;
}

static int
l_tensor_mean(lua_State *L)
{
    rs_tensor *t = rs_lua_check_tensor(L, 1, "tensor:mean", "self");
    double s = 0.0;
    for (size_t i = 0; i < t->numel; i++)
        s += (double)t->data[i];
    lua_pushnumber(L, s / (double)t->numel);
    return 1;
}

static int
l_tensor_norm(lua_State *L)
{
    rs_tensor *t = rs_lua_check_tensor(L, 1, "tensor:norm", "self");
    double s = 0.0;
    for (size_t i = 0; i < t->numel; i++)
        s += (double)t->data[i] * (double)t->data[i];
    lua_pushnumber(L, sqrt(s));
    return 1;
}

/* min/max value and its 1-based flat index */
static int
extreme(lua_State *L, bool want_max, const char *fn)
{
    rs_tensor *t = rs_lua_check_tensor(L, 1, fn, "self");
    size_t best = 0;
    for (size_t i = 1; i < t->numel; i++)
        if (want_max ? t->data[i] > t->data[best] : t->data[i] < t->data[best])
            best = i;
    lua_pushnumber(L, t->data[best]);
    lua_pushinteger(L, (lua_Integer)best + 1);
    return 2;
}

static int
l_tensor_min(lua_State *L)
{
    return extreme(L, false, "tensor:min");
}

static int
l_tensor_max(lua_State *L)
{
    return extreme(L, true, "tensor:max");
}

/* argmax over the last dim: a number for a 1-D tensor, a table of one
 * 1-based index per row otherwise. */
static int
l_tensor_argmax(lua_State *L)
{
    rs_tensor *t = rs_lua_check_tensor(L, 1, "tensor:argmax", "self");
    int cols = t->ndim == 0 ? 1 : rs_tensor_cols(t);
    size_t rows = t->numel / (size_t)cols;
    if (t->ndim <= 1)
        lua_pushnil(L);
    else
        lua_createtable(L, (int)rows, 0);
    for (size_t r = 0; r < rows; r++) {
        const float *row = t->data + r * (size_t)cols;
        int best = 0;
        for (int k = 1; k < cols; k++)
            if (row[k] > row[best])
                best = k;
        if (t->ndim <= 1) {
            lua_pushinteger(L, best + 1);
            return 1;
        }
        lua_pushinteger(L, best + 1);
        lua_rawseti(L, -2, (lua_Integer)r + 1);
    }
    return 1;
}

const luaL_Reg rs_lua_tensor_math_methods[] = {
    {"add", l_tensor_add},         {"sub", l_tensor_sub},
    {"mul", l_tensor_mul},         {"div", l_tensor_div},
    {"matmul", l_tensor_matmul},   {"t", l_tensor_t},
    {"relu", l_tensor_relu},       {"tanh", l_tensor_tanh},
    {"sigmoid", l_tensor_sigmoid}, {"exp", l_tensor_exp},
    {"log", l_tensor_log},         {"sqrt", l_tensor_sqrt},
    {"softmax", l_tensor_softmax}, {"sum", l_tensor_sum},
    {"mean", l_tensor_mean},       {"norm", l_tensor_norm},
    {"min", l_tensor_min},         {"max", l_tensor_max},
    {"argmax", l_tensor_argmax},   {NULL, NULL},
};

const luaL_Reg rs_lua_tensor_math_meta[] = {
    {"__add", l_tensor_add}, {"__sub", l_tensor_sub}, {"__mul", l_tensor_mul},
    {"__div", l_tensor_div}, {"__unm", l_tensor_unm}, {NULL, NULL},
};
