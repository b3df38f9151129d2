/* repscope - MIT licence, see COPYING.
 *
 * l_tensor.c: rs.tensor, float32 tensors from Lua. Construction (zeros,
 * ones, full, from nested tables, randn/rand, eye, arange), shape and
 * 1-based indexing (t[i] on a 1-D tensor, t[{i, j}] or t:get(i, j) on any),
 * conversion back to tables, views and copies, and access to a parameter's
 * gradient. The arithmetic lives in l_tensor_math.c.
 *
 * A handle is a box holding one reference to a heap tensor (doc/design.md,
 * "Ownership"); results are fresh heap tensors (arena temporaries are
 * copied out and the scratch graph reset before returning). Parameters
 * handed out by a model share storage with it: writing into one changes
 * the model. Worker thread only.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "lua/bind.h"

#define TENSOR "tensor"

rs_tensor *
rs_lua_check_tensor(lua_State *L, int arg, const char *fn, const char *name)
{
    return rs_lua_check_box(L, arg, RS_LUA_TENSOR_MT, TENSOR, fn, name);
}

void
rs_lua_push_tensor(lua_State *L, rs_tensor *t)
{
    void **box = rs_lua_new_box(L, RS_LUA_TENSOR_MT);
    rs_tensor_retain(t);
    *box = t;
}

/* Raise the memory error of fn for a tensor of bytes (see bind.h). */
static int
mem_error(lua_State *L, struct rs_lua_ctx *c, size_t bytes, const char *fn)
{
    c->mem_refused = true;
    return luaL_error(L,
                      "%s: not enough memory (a tensor of %I MiB; the "
                      "memory limit is %I MiB, %I MiB in use)",
                      fn, (lua_Integer)(bytes >> 20),
                      (lua_Integer)(c->mem_limit >> 20),
                      (lua_Integer)((c->mem_used + c->ext_live) >> 20));
}

/* bytes more fit under the cap (after a full collection if needed)? */
static bool
mem_fits(lua_State *L, struct rs_lua_ctx *c, size_t bytes)
{
    if (c->mem_limit == 0 || c->in_call == 0)
        return true;
    if (bytes <= c->mem_limit && c->mem_used + c->ext_live <=
                                     c->mem_limit - bytes)
        return true;
    lua_gc(L, LUA_GCCOLLECT);
    c->ext_bytes = 0;
    return bytes <= c->mem_limit &&
           c->mem_used + c->ext_live <= c->mem_limit - bytes;
}

void
rs_lua_mem_reserve(lua_State *L, size_t bytes, const char *fn)
{
    struct rs_lua_ctx *c = rs_lua_ctx(L);
    if (!mem_fits(L, c, bytes))
        mem_error(L, c, bytes, fn);
}

void
rs_lua_tensor_made(lua_State *L, const rs_tensor *t)
{
    struct rs_lua_ctx *c = rs_lua_ctx(L);
    size_t bytes = t->numel * sizeof(float);
    c->ext_bytes += bytes;
    struct rs_lua_tensor_box *box = luaL_testudata(L, -1, RS_LUA_TENSOR_MT);
    if (box != NULL && box->t == t && box->bytes == 0) {
        /* counted until the box lets go (l_tensor_release); past the cap
         * (tensors the engine made, the GC stopped) it goes at once */
        if (!mem_fits(L, c, bytes)) {
            rs_tensor_release(box->t);
            box->t = NULL;
            mem_error(L, c, bytes, "rs.tensor");
        }
        box->bytes = bytes;
        c->ext_live += bytes;
    }
    if (c->ext_bytes >= RS_LUA_GC_BYTES) {
        c->ext_bytes = 0;
        lua_gc(L, LUA_GCCOLLECT);
    }
}

void
rs_lua_push_tensor_copy(lua_State *L, const rs_tensor *t, const char *fn)
{
    rs_lua_mem_reserve(L, t->numel * sizeof(float), fn);
    void **box = rs_lua_new_box(L, RS_LUA_TENSOR_MT);
    struct rs_error err = {0};
    rs_tensor *c = rs_tensor_clone(t, &err);
    if (c == NULL)
        rs_lua_status_error(L, fn, &err);
    *box = c;
    rs_lua_tensor_made(L, c);
}

/* A new zero tensor in a fresh box on the stack (raises on a bad shape). */
static rs_tensor *
push_new(lua_State *L, int ndim, const int *shape, const char *fn)
{
    size_t numel = rs_shape_numel(ndim, shape);
    if (numel > 0)
        rs_lua_mem_reserve(L, numel * sizeof(float), fn);
    void **box = rs_lua_new_box(L, RS_LUA_TENSOR_MT);
    struct rs_error err = {0};
    rs_tensor *t = rs_tensor_new(ndim, shape, &err);
    if (t == NULL)
        rs_lua_status_error(L, fn, &err);
    *box = t;
    rs_lua_tensor_made(L, t);
    return t;
}

static int
l_tensor_zeros(lua_State *L)
{
    int shape[RS_MAX_DIMS];
    int nd = rs_lua_check_shape(L, 1, "rs.tensor.zeros", "shape", shape);
    push_new(L, nd, shape, "rs.tensor.zeros");
    return 1;
}

static int
l_tensor_ones(lua_State *L)
{
    int shape[RS_MAX_DIMS];
    int nd = rs_lua_check_shape(L, 1, "rs.tensor.ones", "shape", shape);
    rs_tensor_fill(push_new(L, nd, shape, "rs.tensor.ones"), 1.0f);
    return 1;
}

static int
l_tensor_full(lua_State *L)
{
    static const char fn[] = "rs.tensor.full";
    int shape[RS_MAX_DIMS];
    rs_lua_check_table(L, 1, fn, "shape");
    int nd = rs_lua_check_shape(L, 1, fn, "shape", shape);
    float v = (float)rs_lua_check_number(L, 2, fn, "value");
    rs_tensor_fill(push_new(L, nd, shape, fn), v);
    return 1;
}

/* The shape of a nested table at idx, following first elements. */
static int
nested_shape(lua_State *L, int idx, const char *fn, int shape[RS_MAX_DIMS])
{
    int nd = 0;
    lua_pushvalue(L, idx);
    while (lua_type(L, -1) == LUA_TTABLE) {
        if (nd == RS_MAX_DIMS)
            rs_lua_arg_error(L, fn, 1, "data", "more than %d levels",
                             RS_MAX_DIMS);
        lua_Integer n = luaL_len(L, -1);
        if (n < 1 || n > INT32_MAX)
            rs_lua_arg_error(L, fn, 1, "data", "an empty table at level %d",
                             nd + 1);
        shape[nd++] = (int)n;
        lua_geti(L, -1, 1);
        lua_remove(L, -2);
    }
    lua_pop(L, 1);
    return nd;
}

/* Copy the nested table at idx (level d of shape) into *out. */
static void
nested_fill(lua_State *L, int idx, int d, int nd, const int *shape, float **out,
            const char *fn)
{
    if (d == nd) {
        if (lua_type(L, idx) != LUA_TNUMBER)
            rs_lua_arg_error(L, fn, 1, "data", "number expected, got %s",
                             luaL_typename(L, idx));
        *(*out)++ = (float)lua_tonumber(L, idx);
        return;
    }
    if (lua_type(L, idx) != LUA_TTABLE || luaL_len(L, idx) != shape[d])
        rs_lua_arg_error(L, fn, 1, "data",
                         "ragged: a level-%d entry is not a table of %d", d + 1,
                         shape[d]);
    for (int i = 1; i <= shape[d]; i++) {
        lua_geti(L, idx, i);
        nested_fill(L, lua_gettop(L), d + 1, nd, shape, out, fn);
        lua_pop(L, 1);
    }
}

/* rs.tensor.from(nested table | number) */
static int
l_tensor_from(lua_State *L)
{
    static const char fn[] = "rs.tensor.from";
    if (lua_type(L, 1) == LUA_TNUMBER) {
        rs_tensor *t = push_new(L, 0, NULL, fn);
        t->data[0] = (float)lua_tonumber(L, 1);
        return 1;
    }
    rs_lua_check_table(L, 1, fn, "data");
    int shape[RS_MAX_DIMS];
    int nd = nested_shape(L, 1, fn, shape);
    /* Validate into a scratch pass first: nothing allocated may leak. */
    size_t n = rs_shape_numel(nd, shape);
    if (n == 0)
        return rs_lua_arg_error(L, fn, 1, "data", "too large");
    float *tmp = lua_newuserdatauv(L, n * sizeof(float), 0);
    float *p = tmp;
    nested_fill(L, 1, 0, nd, shape, &p, fn);
    rs_tensor *t = push_new(L, nd, shape, fn);
    memcpy(t->data, tmp, n * sizeof(float));
    return 1;
}

/* randn/rand(shape [, rng]) or (d0, d1, ...) */
static int
random_fill(lua_State *L, bool normal, const char *fn)
{
    int shape[RS_MAX_DIMS];
    struct rs_rng *rng = &rs_lua_ctx(L)->rng;
    if (lua_type(L, 1) == LUA_TTABLE && !lua_isnoneornil(L, 2)) {
        rng = rs_lua_check_rng(L, 2, fn, "rng");
        lua_settop(L, 1);
    }
    int nd = rs_lua_check_shape(L, 1, fn, "shape", shape);
    rs_tensor *t = push_new(L, nd, shape, fn);
    for (size_t i = 0; i < t->numel; i++)
        t->data[i] = normal ? rs_rng_normal(rng) : rs_rng_uniform(rng);
    return 1;
}

static int
l_tensor_randn(lua_State *L)
{
    return random_fill(L, true, "rs.tensor.randn");
}

static int
l_tensor_rand(lua_State *L)
{
    return random_fill(L, false, "rs.tensor.rand");
}

static int
l_tensor_eye(lua_State *L)
{
    static const char fn[] = "rs.tensor.eye";
    lua_Integer n = rs_lua_check_integer(L, 1, fn, "n");
    if (n < 1 || n > 65536)
        return rs_lua_arg_error(L, fn, 1, "n", "%lld is outside 1..65536",
                                (long long)n);
    rs_tensor *t = push_new(L, 2, (int[]){(int)n, (int)n}, fn);
    for (lua_Integer i = 0; i < n; i++)
        t->data[i * n + i] = 1.0f;
    return 1;
}

static int
l_tensor_arange(lua_State *L)
{
    static const char fn[] = "rs.tensor.arange";
    lua_Integer n = rs_lua_check_integer(L, 1, fn, "n");
    if (n < 1 || n > INT32_MAX)
        return rs_lua_arg_error(L, fn, 1, "n", "%lld is not a positive size",
                                (long long)n);
    rs_tensor *t = push_new(L, 1, (int[]){(int)n}, fn);
    for (lua_Integer i = 0; i < n; i++)
        t->data[i] = (float)i;
    return 1;
}

static int
l_tensor_is_tensor(lua_State *L)
{
    lua_pushboolean(L, luaL_testudata(L, 1, RS_LUA_TENSOR_MT) != NULL);
    return 1;
}

/* ---- shape and elements ------------------------------------------------ */

static int
l_tensor_shape(lua_State *L)
{
    rs_tensor *t = rs_lua_check_tensor(L, 1, "tensor:shape", "self");
    lua_createtable(L, t->ndim, 0);
    for (int i = 0; i < t->ndim; i++) {
        lua_pushinteger(L, t->shape[i]);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

static int
l_tensor_dim(lua_State *L)
{
    lua_pushinteger(L, rs_lua_check_tensor(L, 1, "tensor:dim", "self")->ndim);
    return 1;
}

static int
l_tensor_numel(lua_State *L)
{
    rs_tensor *t = rs_lua_check_tensor(L, 1, "tensor:numel", "self");
    lua_pushinteger(L, (lua_Integer)t->numel);
    return 1;
}

static int
l_tensor_size(lua_State *L)
{
    static const char fn[] = "tensor:size";
    rs_tensor *t = rs_lua_check_tensor(L, 1, fn, "self");
    lua_Integer d = rs_lua_check_integer(L, 2, fn, "dim");
    if (d < 1 || d > t->ndim)
        return rs_lua_arg_error(L, fn, 2, "dim", "%lld is outside 1..%d",
                                (long long)d, t->ndim);
    lua_pushinteger(L, t->shape[d - 1]);
    return 1;
}

/* Flat offset of the 1-based indices at args [first, first + t->ndim). */
static size_t
offset_args(lua_State *L, const rs_tensor *t, int first, const char *fn)
{
    size_t off = 0;
    for (int d = 0; d < t->ndim; d++) {
        lua_Integer i = rs_lua_check_integer(L, first + d, fn, "index");
        if (i < 1 || i > t->shape[d])
            rs_lua_arg_error(L, fn, first + d, "index", "%lld is outside 1..%d",
                             (long long)i, t->shape[d]);
        off = off * (size_t)t->shape[d] + (size_t)(i - 1);
    }
    return off;
}

/* Flat offset of a key: an integer (1-D) or a table of indices. */
static size_t
offset_key(lua_State *L, const rs_tensor *t, int key, const char *fn)
{
    if (lua_type(L, key) == LUA_TNUMBER) {
        if (t->ndim != 1)
            luaL_error(L,
                       "%s: a %d-D tensor takes a table index t[{i, j}], not "
                       "a number",
                       fn, t->ndim);
        int isint = 0;
        lua_Integer i = lua_tointegerx(L, key, &isint);
        if (!isint || i < 1 || i > t->shape[0])
            luaL_error(L, "%s: %s is outside 1..%d", fn, lua_tostring(L, key),
                       t->shape[0]);
        return (size_t)(i - 1);
    }
    if (lua_type(L, key) != LUA_TTABLE || luaL_len(L, key) != t->ndim)
        luaL_error(L, "%s: index must be a table of %d integers", fn, t->ndim);
    size_t off = 0;
    for (int d = 0; d < t->ndim; d++) {
        lua_geti(L, key, d + 1);
        int isint = 0;
        lua_Integer i = lua_tointegerx(L, -1, &isint);
        lua_pop(L, 1);
        if (!isint || i < 1 || i > t->shape[d])
            luaL_error(L, "%s: index %d is outside 1..%d", fn, d + 1,
                       t->shape[d]);
        off = off * (size_t)t->shape[d] + (size_t)(i - 1);
    }
    return off;
}

static int
l_tensor_get(lua_State *L)
{
    rs_tensor *t = rs_lua_check_tensor(L, 1, "tensor:get", "self");
    lua_pushnumber(L, t->data[offset_args(L, t, 2, "tensor:get")]);
    return 1;
}

static int
l_tensor_set(lua_State *L)
{
    static const char fn[] = "tensor:set";
    rs_tensor *t = rs_lua_check_tensor(L, 1, fn, "self");
    size_t off = offset_args(L, t, 2, fn);
    t->data[off] = (float)rs_lua_check_number(L, 2 + t->ndim, fn, "value");
    return 0;
}

static int
l_tensor_index(lua_State *L)
{
    if (lua_type(L, 2) == LUA_TSTRING) {
        lua_pushvalue(L, lua_upvalueindex(1));
        lua_pushvalue(L, 2);
        lua_rawget(L, -2);
        return 1;
    }
    rs_tensor *t = rs_lua_check_tensor(L, 1, "tensor index", "self");
    lua_pushnumber(L, t->data[offset_key(L, t, 2, "tensor index")]);
    return 1;
}

static int
l_tensor_newindex(lua_State *L)
{
    static const char fn[] = "tensor index";
    rs_tensor *t = rs_lua_check_tensor(L, 1, fn, "self");
    size_t off = offset_key(L, t, 2, fn);
    t->data[off] = (float)rs_lua_check_number(L, 3, fn, "value");
    return 0;
}

static void
push_nested(lua_State *L, const rs_tensor *t, int d, size_t *off)
{
    if (d == t->ndim) {
        lua_pushnumber(L, t->data[(*off)++]);
        return;
    }
    lua_createtable(L, t->shape[d], 0);
    for (int i = 1; i <= t->shape[d]; i++) {
        push_nested(L, t, d + 1, off);
        lua_rawseti(L, -2, i);
    }
}

static int
l_tensor_totable(lua_State *L)
{
    rs_tensor *t = rs_lua_check_tensor(L, 1, "tensor:totable", "self");
    size_t off = 0;
    if (t->ndim == 0)
        lua_pushnumber(L, t->data[0]);
    else
        push_nested(L, t, 0, &off);
    return 1;
}

static int
l_tensor_clone(lua_State *L)
{
    rs_tensor *t = rs_lua_check_tensor(L, 1, "tensor:clone", "self");
    rs_lua_push_tensor_copy(L, t, "tensor:clone");
    return 1;
}

static int
l_tensor_fill(lua_State *L)
{
    rs_tensor *t = rs_lua_check_tensor(L, 1, "tensor:fill", "self");
    rs_tensor_fill(t, (float)rs_lua_check_number(L, 2, "tensor:fill", "value"));
    lua_settop(L, 1);
    return 1;
}

static int
l_tensor_copy(lua_State *L)
{
    static const char fn[] = "tensor:copy";
    rs_tensor *t = rs_lua_check_tensor(L, 1, fn, "self");
    rs_tensor *src = rs_lua_check_tensor(L, 2, fn, "src");
    if (src->numel != t->numel)
        return rs_lua_arg_error(L, fn, 2, "src", "%zu elements, expected %zu",
                                src->numel, t->numel);
    rs_tensor_copy_data(t, src);
    lua_settop(L, 1);
    return 1;
}

static int
l_tensor_reshape(lua_State *L)
{
    static const char fn[] = "tensor:reshape";
    rs_tensor *t = rs_lua_check_tensor(L, 1, fn, "self");
    int shape[RS_MAX_DIMS];
    int nd = rs_lua_check_shape(L, 2, fn, "shape", shape);
    if (rs_shape_numel(nd, shape) != t->numel)
        return rs_lua_arg_error(L, fn, 2, "shape",
                                "%zu elements, the tensor has %zu",
                                rs_shape_numel(nd, shape), t->numel);
    rs_tensor *r = push_new(L, nd, shape, fn);
    rs_tensor_copy_data(r, t);
    return 1;
}

/* rows(i [, n]): a view of n rows from row i (1-based), sharing storage. */
static int
l_tensor_rows(lua_State *L)
{
    static const char fn[] = "tensor:rows";
    rs_tensor *t = rs_lua_check_tensor(L, 1, fn, "self");
    lua_Integer i = rs_lua_check_integer(L, 2, fn, "first");
    lua_Integer n =
        lua_isnoneornil(L, 3) ? 1 : rs_lua_check_integer(L, 3, fn, "n");
    if (t->ndim < 1 || i < 1 || n < 1 || i + n - 1 > t->shape[0])
        return rs_lua_arg_error(
            L, fn, 2, "first", "rows %lld..%lld outside 1..%d", (long long)i,
            (long long)(i + n - 1), t->ndim < 1 ? 0 : t->shape[0]);
    void **box = rs_lua_new_box(L, RS_LUA_TENSOR_MT);
    struct rs_error err = {0};
    rs_tensor *v = rs_tensor_view_rows(t, (int)i - 1, (int)n, &err);
    if (v == NULL)
        return rs_lua_status_error(L, fn, &err);
    *box = v;
    return 1;
}

static int
l_tensor_grad(lua_State *L)
{
    rs_tensor *t = rs_lua_check_tensor(L, 1, "tensor:grad", "self");
    if (t->grad == NULL) {
        lua_pushnil(L);
        return 1;
    }
    rs_tensor *g = push_new(L, t->ndim, t->shape, "tensor:grad");
    memcpy(g->data, t->grad, t->numel * sizeof(float));
    return 1;
}

static int
l_tensor_set_grad(lua_State *L)
{
    static const char fn[] = "tensor:set_grad";
    rs_tensor *t = rs_lua_check_tensor(L, 1, fn, "self");
    rs_tensor *g = rs_lua_check_tensor(L, 2, fn, "grad");
    if (t->grad == NULL)
        return luaL_error(L, "%s: not a parameter (it has no gradient)", fn);
    if (g->numel != t->numel)
        return rs_lua_arg_error(L, fn, 2, "grad", "%zu elements, expected %zu",
                                g->numel, t->numel);
    memcpy(t->grad, g->data, t->numel * sizeof(float));
    return 0;
}

static int
l_tensor_name(lua_State *L)
{
    rs_tensor *t = rs_lua_check_tensor(L, 1, "tensor:name", "self");
    if (t->name != NULL)
        lua_pushstring(L, t->name);
    else
        lua_pushnil(L);
    return 1;
}

static int
l_tensor_equal(lua_State *L)
{
    rs_tensor *a = rs_lua_check_tensor(L, 1, "tensor:equal", "self");
    rs_tensor *b = rs_lua_check_tensor(L, 2, "tensor:equal", "other");
    bool eq = a->ndim == b->ndim && rs_tensor_same_shape(a, b) &&
              memcmp(a->data, b->data, a->numel * sizeof(float)) == 0;
    lua_pushboolean(L, eq);
    return 1;
}

static int
l_tensor_eq(lua_State *L)
{
    if (rs_lua_test_box(L, 1, RS_LUA_TENSOR_MT) == NULL ||
        rs_lua_test_box(L, 2, RS_LUA_TENSOR_MT) == NULL) {
        lua_pushboolean(L, lua_rawequal(L, 1, 2));
        return 1;
    }
    return l_tensor_equal(L);
}

static int
l_tensor_release(lua_State *L)
{
    struct rs_lua_tensor_box *box = luaL_checkudata(L, 1, RS_LUA_TENSOR_MT);
    rs_tensor_release(box->t);
    box->t = NULL;
    struct rs_lua_ctx *c = rs_lua_ctx(L);
    c->ext_live -= box->bytes < c->ext_live ? box->bytes : c->ext_live;
    box->bytes = 0;
    return 0;
}

static int
l_tensor_tostring(lua_State *L)
{
    void **box = luaL_checkudata(L, 1, RS_LUA_TENSOR_MT);
    rs_tensor *t = *box;
    if (t == NULL) {
        lua_pushliteral(L, "tensor (released)");
        return 1;
    }
    char shape[64];
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, "tensor");
    luaL_addstring(&b, rs_tensor_shape_str(t, shape, sizeof shape));
    if (t->numel <= 16) {
        luaL_addstring(&b, " [");
        for (size_t i = 0; i < t->numel; i++) {
            char num[32];
            snprintf(num, sizeof num, "%s%.6g", i ? ", " : "",
                     (double)t->data[i]);
            luaL_addstring(&b, num);
        }
        luaL_addchar(&b, ']');
    }
    luaL_pushresult(&b);
    return 1;
}

static int
l_tensor_len(lua_State *L)
{
    rs_tensor *t = rs_lua_check_tensor(L, 1, "tensor length", "self");
    lua_pushinteger(L, (lua_Integer)t->numel);
    return 1;
}

static const luaL_Reg tensor_funcs[] = {
    {"zeros", l_tensor_zeros},
    {"ones", l_tensor_ones},
    {"full", l_tensor_full},
    {"from", l_tensor_from},
    {"randn", l_tensor_randn},
    {"rand", l_tensor_rand},
    {"eye", l_tensor_eye},
    {"arange", l_tensor_arange},
    {"is_tensor", l_tensor_is_tensor},
    {NULL, NULL},
};

static const luaL_Reg tensor_methods[] = {
    {"shape", l_tensor_shape},     {"dim", l_tensor_dim},
    {"numel", l_tensor_numel},     {"size", l_tensor_size},
    {"get", l_tensor_get},         {"set", l_tensor_set},
    {"totable", l_tensor_totable}, {"clone", l_tensor_clone},
    {"fill", l_tensor_fill},       {"copy", l_tensor_copy},
    {"reshape", l_tensor_reshape}, {"rows", l_tensor_rows},
    {"grad", l_tensor_grad},       {"set_grad", l_tensor_set_grad},
    {"name", l_tensor_name},       {"equal", l_tensor_equal},
    {"release", l_tensor_release}, {NULL, NULL},
};

static const luaL_Reg tensor_meta[] = {
    {"__gc", l_tensor_release},
    {"__close", l_tensor_release},
    {"__tostring", l_tensor_tostring},
    {"__len", l_tensor_len},
    {"__eq", l_tensor_eq},
    {"__newindex", l_tensor_newindex},
    {NULL, NULL},
};

static void
create_meta(lua_State *L)
{
    luaL_newmetatable(L, RS_LUA_TENSOR_MT); /* mt */
    luaL_setfuncs(L, tensor_meta, 0);
    luaL_setfuncs(L, rs_lua_tensor_math_meta, 0);
    luaL_newlib(L, tensor_methods); /* mt methods */
    luaL_setfuncs(L, rs_lua_tensor_math_methods, 0);
    lua_pushcclosure(L, l_tensor_index, 1);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
}

int
luaopen_repscope_tensor(lua_State *L)
{
    create_meta(L);
    luaL_newlib(L, tensor_funcs);
    return 1;
}
