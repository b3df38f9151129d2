/* repscope - MIT licence, see COPYING.
 *
 * l_nnmore.c: the table, shape and scalar modules of rs.nn (over
 * nn/module.h), added to the rs.nn table by luaopen_repscope_nn:
 *
 *   rs.nn.embedding{vocab=, d=, std=1, seed=}   ids (B, T) -> (B, T, d)
 *   rs.nn.position{n=, d=, std=0.02, seed=}     x (..., T, d) + table[1:T]
 *   rs.nn.reshape{shape={a, b}} / (a, b)        (..., a*b) -> (..., a, b)
 *   rs.nn.scalar{value=0} / (value)             one learned number (1)
 *
 * Their handles are ordinary module handles (rs.nn.sequential, learner
 * models, m:param, m:forward). An embedding's m:forward takes a (B, T)
 * tensor of 0-based ids; a sequential that starts with one takes what it
 * takes. Weights come from the host stream (rs.seed) unless seed= is
 * given. Worker thread only.
 */
#include "config.h"

#include <math.h>

#include "lua/bind.h"

/* The two sizes and std of a table builder (embedding, position). */
static void
table_sizes(lua_State *L, const char *fn, const char *first, int *a, int *d,
            float *std, float def_std)
{
    rs_lua_check_table(L, 1, fn, "config");
    const char *const fields[] = {first, "d", "std", "seed", NULL};
    rs_lua_check_fields(L, 1, fn, fields);
    if (!rs_lua_has_field(L, 1, first) || !rs_lua_has_field(L, 1, "d"))
        luaL_error(L, "%s: fields '%s' and 'd' are required", fn, first);
    *a = (int)rs_lua_opt_int_field(L, 1, fn, first, 0, 1, INT32_MAX);
    *d = (int)rs_lua_opt_int_field(L, 1, fn, "d", 0, 1, INT32_MAX);
    *std = rs_lua_opt_float_field(L, 1, fn, "std", def_std, 0.0f);
}

/* rs.nn.embedding{vocab=, d=, std=1, seed=} */
static int
l_nnmore_embedding(lua_State *L)
{
    static const char fn[] = "rs.nn.embedding";
    int vocab, d;
    float std;
    table_sizes(L, fn, "vocab", &vocab, &d, &std, 1.0f);
    struct rs_rng *rng = rs_lua_builder_rng(L, 1, fn);
    rs_lua_module_box_new(L);
    struct rs_error err = {0};
    return rs_lua_module_box_fill(
        L, rs_nn_module_embedding(vocab, d, std, rng, &err), &err, fn);
}

/* rs.nn.position{n=, d=, std=0.02, seed=} */
static int
l_nnmore_position(lua_State *L)
{
    static const char fn[] = "rs.nn.position";
    int n, d;
    float std;
    table_sizes(L, fn, "n", &n, &d, &std, 0.02f);
    struct rs_rng *rng = rs_lua_builder_rng(L, 1, fn);
    rs_lua_module_box_new(L);
    struct rs_error err = {0};
    return rs_lua_module_box_fill(
        L, rs_nn_module_position(n, d, std, rng, &err), &err, fn);
}

/* rs.nn.reshape{shape={a, b}} or rs.nn.reshape(a, b) */
static int
l_nnmore_reshape(lua_State *L)
{
    static const char fn[] = "rs.nn.reshape";
    int shape[RS_MAX_DIMS], ndim;
    if (lua_type(L, 1) == LUA_TTABLE) {
        static const char *const fields[] = {"shape", NULL};
        rs_lua_check_fields(L, 1, fn, fields);
        if (lua_getfield(L, 1, "shape") != LUA_TTABLE) /* shape */
            return rs_lua_field_type_error(L, fn, "shape", "table", -1);
        lua_Integer n = luaL_len(L, -1);
        if (n < 1 || n > RS_MAX_DIMS - 1)
            return rs_lua_field_error(L, fn, "shape",
                                      "1..%d sizes expected, got %lld",
                                      RS_MAX_DIMS - 1, (long long)n);
        ndim = (int)n;
        for (int i = 0; i < ndim; i++) {
            lua_geti(L, -1, i + 1); /* shape size */
            int isint = 0;
            lua_Integer v = lua_tointegerx(L, -1, &isint);
            if (!isint || v < 1 || v > INT32_MAX)
                return rs_lua_field_error(L, fn, "shape",
                                          "size %d is not a positive "
                                          "integer",
                                          i + 1);
            shape[i] = (int)v;
            lua_pop(L, 1); /* shape */
        }
        lua_pop(L, 1);
    } else {
        ndim = rs_lua_check_shape(L, 1, fn, "shape", shape);
    }
    rs_lua_module_box_new(L);
    struct rs_error err = {0};
    return rs_lua_module_box_fill(L, rs_nn_module_reshape(ndim, shape, &err),
                                  &err, fn);
}

/* rs.nn.scalar{value=0} or rs.nn.scalar(value) */
static int
l_nnmore_scalar(lua_State *L)
{
    static const char fn[] = "rs.nn.scalar";
    lua_Number v = 0;
    if (lua_type(L, 1) == LUA_TTABLE) {
        static const char *const fields[] = {"value", NULL};
        rs_lua_check_fields(L, 1, fn, fields);
        v = rs_lua_opt_number_field(L, 1, fn, "value", 0);
    } else if (!lua_isnone(L, 1)) {
        v = rs_lua_check_number(L, 1, fn, "value");
    }
    rs_lua_module_box_new(L);
    struct rs_error err = {0};
    return rs_lua_module_box_fill(L, rs_nn_module_scalar((float)v, &err), &err,
                                  fn);
}

static const luaL_Reg nnmore_funcs[] = {
    {"embedding", l_nnmore_embedding},
    {"position", l_nnmore_position},
    {"reshape", l_nnmore_reshape},
    {"scalar", l_nnmore_scalar},
    {NULL, NULL},
};

void
rs_lua_open_nnmore(lua_State *L)
{
    luaL_setfuncs(L, nnmore_funcs, 0);
}
