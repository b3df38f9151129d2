/* repscope - MIT licence, see COPYING.
 *
 * l_rng.c: rs.rng(seed), an explicit random stream for scenes (xoshiro256**
 * of core/rng.h): r:uniform(), r:normal(), r:below(n), r:int(lo, hi),
 * r:shuffle(t), r:seed(s). The state is the userdata itself (no resource
 * behind it). Worker thread only.
 */
#include "config.h"

#include "lua/bind.h"

struct rs_rng *
rs_lua_check_rng(lua_State *L, int arg, const char *fn, const char *name)
{
    struct rs_rng *r = luaL_testudata(L, arg, RS_LUA_RNG_MT);
    if (r == NULL)
        rs_lua_type_error(L, fn, arg, name, "rng");
    return r;
}

/* rs.rng(seed) */
static int
l_rng_new(lua_State *L)
{
    lua_Integer seed = rs_lua_check_integer(L, 1, "rs.rng", "seed");
    struct rs_rng *r = lua_newuserdatauv(L, sizeof *r, 0);
    rs_rng_seed(r, (uint64_t)seed);
    luaL_setmetatable(L, RS_LUA_RNG_MT);
    return 1;
}

static int
l_rng_seed(lua_State *L)
{
    struct rs_rng *r = rs_lua_check_rng(L, 1, "rng:seed", "self");
    rs_rng_seed(r, (uint64_t)rs_lua_check_integer(L, 2, "rng:seed", "seed"));
    return 0;
}

static int
l_rng_uniform(lua_State *L)
{
    struct rs_rng *r = rs_lua_check_rng(L, 1, "rng:uniform", "self");
    lua_pushnumber(L, rs_rng_uniform_double(r));
    return 1;
}

static int
l_rng_normal(lua_State *L)
{
    struct rs_rng *r = rs_lua_check_rng(L, 1, "rng:normal", "self");
    lua_pushnumber(L, (lua_Number)rs_rng_normal(r));
    return 1;
}

/* below(n): an integer in [0, n). */
static int
l_rng_below(lua_State *L)
{
    static const char fn[] = "rng:below";
    struct rs_rng *r = rs_lua_check_rng(L, 1, fn, "self");
    lua_Integer n = rs_lua_check_integer(L, 2, fn, "n");
    if (n < 1 || n > UINT32_MAX)
        return rs_lua_arg_error(L, fn, 2, "n", "%lld is outside 1..%lu",
                                (long long)n, (unsigned long)UINT32_MAX);
    lua_pushinteger(L, (lua_Integer)rs_rng_below(r, (uint32_t)n));
    return 1;
}

/* int(lo, hi): an integer in [lo, hi]. */
static int
l_rng_int(lua_State *L)
{
    static const char fn[] = "rng:int";
    struct rs_rng *r = rs_lua_check_rng(L, 1, fn, "self");
    lua_Integer lo = rs_lua_check_integer(L, 2, fn, "lo");
    lua_Integer hi = rs_lua_check_integer(L, 3, fn, "hi");
    if (hi < lo || hi - lo >= (lua_Integer)UINT32_MAX)
        return rs_lua_arg_error(L, fn, 3, "hi", "%lld..%lld is not a range",
                                (long long)lo, (long long)hi);
    lua_pushinteger(L,
                    lo + (lua_Integer)rs_rng_below(r, (uint32_t)(hi - lo + 1)));
    return 1;
}

/* shuffle(t): Fisher-Yates in place on the array part of t; returns t. */
static int
l_rng_shuffle(lua_State *L)
{
    static const char fn[] = "rng:shuffle";
    struct rs_rng *r = rs_lua_check_rng(L, 1, fn, "self");
    rs_lua_check_table(L, 2, fn, "t");
    lua_Integer n = luaL_len(L, 2);
    for (lua_Integer i = n; i > 1; i--) {
        lua_Integer j = 1 + (lua_Integer)rs_rng_below(r, (uint32_t)i);
        lua_geti(L, 2, i);
        lua_geti(L, 2, j);
        lua_seti(L, 2, i);
        lua_seti(L, 2, j);
    }
    lua_settop(L, 2);
    return 1;
}

static int
l_rng_tostring(lua_State *L)
{
    struct rs_rng *r = rs_lua_check_rng(L, 1, "rng", "self");
    lua_pushfstring(L, "rng (%p)", (void *)r);
    return 1;
}

static const luaL_Reg rng_methods[] = {
    {"seed", l_rng_seed},
    {"uniform", l_rng_uniform},
    {"normal", l_rng_normal},
    {"below", l_rng_below},
    {"int", l_rng_int},
    {"shuffle", l_rng_shuffle},
    {NULL, NULL},
};

int
luaopen_repscope_rng(lua_State *L)
{
    luaL_newmetatable(L, RS_LUA_RNG_MT);
    luaL_newlib(L, rng_methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_rng_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, l_rng_new);
    lua_setfield(L, -2, "new");
    return 1;
}
