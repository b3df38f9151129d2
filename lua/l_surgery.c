/* repscope - MIT licence, see COPYING.
 *
 * l_surgery.c: learner:remove_units(layer, {u, ...}) and learner:cuts(),
 * structured pruning of a learner's model mid-run (algo/learner.h
 * rs_learner_remove_units over nn/surgery.h). Units are numbered from 1,
 * as the columns of model:activation(layer) and the entries of a
 * probe/dead frequency row; the list is checked here so messages speak
 * in those numbers, and C gets them from 0. Worker thread only.
 */
#include "config.h"

#include <stdlib.h>

#include "lua/bind.h"
#include "nn/surgery.h"

/* learner:remove_units(layer, units) -> units left in the layer */
static int
l_learner_remove_units(lua_State *L)
{
    static const char fn[] = "learner:remove_units";
    rs_learner *l = rs_lua_check_learner(L, 1, fn, "learner");
    const char *layer = luaL_checkstring(L, 2);
    rs_lua_check_table(L, 3, fn, "units");
    struct rs_error err = {0};
    int h = rs_nn_module_layer_units(rs_learner_module(l, 0), layer, &err);
    if (h < 0)
        return rs_lua_status_error(L, fn, &err);
    lua_Integer n = luaL_len(L, 3);
    if (n < 1)
        return luaL_error(L, "%s: layer '%s': no units given", fn, layer);
    if (n >= h)
        return luaL_error(L,
                          "%s: layer '%s': cannot remove all %d units (at "
                          "least one must remain)",
                          fn, layer, h);
    /* one box owns both arrays, so a raise below leaks nothing */
    int *units = lua_newuserdatauv(L, (size_t)(n + h) * sizeof *units, 0);
    int *seen = units + n; /* entry of each unit, 0: not given */
    for (int u = 0; u < h; u++)
        seen[u] = 0;
    for (lua_Integer i = 1; i <= n; i++) {
        lua_geti(L, 3, i);
        int isint = 0;
        lua_Integer u = lua_tointegerx(L, -1, &isint);
        lua_pop(L, 1);
        if (!isint)
            return luaL_error(L, "%s: layer '%s': entry %d is not an integer",
                              fn, layer, (int)i);
        if (u < 1 || u > h)
            return luaL_error(L,
                              "%s: layer '%s': unit %d (entry %d) out of "
                              "range 1..%d",
                              fn, layer, (int)u, (int)i, h);
        if (seen[u - 1] != 0)
            return luaL_error(L,
                              "%s: layer '%s': unit %d given twice (entries "
                              "%d and %d)",
                              fn, layer, (int)u, seen[u - 1], (int)i);
        seen[u - 1] = (int)i;
        units[i - 1] = (int)u - 1;
    }
    if (rs_learner_remove_units(l, layer, units, (int)n, &err) != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    lua_pushinteger(L, h - n);
    return 1;
}

/* learner:cuts() -> the record of every removal so far ("" before any) */
static int
l_learner_cuts(lua_State *L)
{
    rs_learner *l = rs_lua_check_learner(L, 1, "learner:cuts", "learner");
    lua_pushstring(L, rs_learner_cuts(l));
    return 1;
}

void
rs_lua_open_surgery(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"remove_units", l_learner_remove_units},
        {"cuts", l_learner_cuts},
        {NULL, NULL},
    };
    luaL_getmetatable(L, RS_LUA_LEARNER_MT);
    lua_getfield(L, -1, "__index");
    luaL_setfuncs(L, methods, 0);
    lua_pop(L, 2);
}
