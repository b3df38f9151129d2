/* repscope - MIT licence, see COPYING.
 *
 * l_demp.c: DemP ("Maxwell's Demon at Work: Efficient Pruning by
 * Leveraging Saturation of Neurons", arXiv 2403.07688) in Lua:
 *
 *   rs.objective.cdg_l2{base=, peak=, total=, zero_end=true}
 *       base's loss + lambda_t / 2 sum max(theta, 0)^2 while training,
 *       lambda_t on the one-cycle schedule (algo/objective.h, demp.h)
 *   learner:set_noise{eta=, thr=1e-8, total=, zero_end=true}
 *       live-only Gaussian noise on the update (algo/learner.h); eta 0
 *       turns it off, total is required while eta > 0
 *   learner:dead_units(layer [, cover]) -> {u, ...}
 *       the death check (algo/demp.h) on layer of the learner's model
 *       over the first cover train examples (default DemP's ceil(N / 25);
 *       "all": the whole train split): the dead units, numbered from 1 as
 *       learner:remove_units takes them, ascending
 *
 * Pruning is learner:remove_units(layer, learner:dead_units(layer)) when
 * the list is not empty and leaves a unit. Worker thread only.
 */
#include "config.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>

#include "algo/demp.h"
#include "lua/bind.h"
#include "nn/surgery.h"

/* rs.objective.cdg_l2{base=, peak=, total=, zero_end=true} */
static int
l_objective_cdg_l2(lua_State *L)
{
    static const char fn[] = "rs.objective.cdg_l2";
    static const char *const fields[] = {"base", "peak", "total", "zero_end",
                                         NULL};
    rs_lua_check_table(L, 1, fn, "config");
    rs_lua_check_fields(L, 1, fn, fields);
    lua_createtable(L, 0, 5); /* cfg spec */
    int spec = lua_gettop(L);
    lua_pushstring(L, "cdg_l2");
    lua_setfield(L, spec, "kind");
    if (lua_getfield(L, 1, "base") == LUA_TNIL)
        return luaL_error(L, "%s: field 'base' is required", fn);
    rs_lua_objective_check(L, -1, fn, "base");
    lua_setfield(L, spec, "base");
    if (!rs_lua_has_field(L, 1, "peak"))
        return luaL_error(L, "%s: field 'peak' is required", fn);
    lua_Number peak = rs_lua_opt_number_field(L, 1, fn, "peak", 0.0);
    if (!isfinite(peak) || peak < 0.0)
        return rs_lua_field_error(
            L, fn, "peak", "%g is not a finite number >= 0", (double)peak);
    lua_pushnumber(L, peak);
    lua_setfield(L, spec, "peak");
    if (!rs_lua_has_field(L, 1, "total"))
        return luaL_error(L, "%s: field 'total' is required", fn);
    lua_Integer total =
        rs_lua_opt_int_field(L, 1, fn, "total", 1, 1, (lua_Integer)1 << 40);
    lua_pushinteger(L, total);
    lua_setfield(L, spec, "total");
    lua_pushboolean(L, rs_lua_opt_bool_field(L, 1, fn, "zero_end", true));
    lua_setfield(L, spec, "zero_end");
    luaL_setmetatable(L, RS_LUA_OBJECTIVE_MT);
    return 1;
}

rs_objective *
rs_lua_objdemp_build(lua_State *L, int spec, struct rs_error *err)
{
    spec = lua_absindex(L, spec);
    lua_getfield(L, spec, "base");
    rs_objective *base =
        rs_lua_is_objective(L, -1) ? rs_lua_objective_build(L, -1, err) : NULL;
    lua_pop(L, 1);
    if (base == NULL) {
        if (err != NULL && err->code == RS_OK)
            rs_error_set(err, RS_EINVAL, "cdg_l2: no base objective");
        return NULL;
    }
    lua_getfield(L, spec, "peak");
    lua_getfield(L, spec, "total");
    lua_getfield(L, spec, "zero_end");
    rs_objective *o = rs_objective_cdg_l2(base, lua_tonumber(L, -3),
                                          (long)lua_tointeger(L, -2),
                                          lua_toboolean(L, -1) != 0, err);
    lua_pop(L, 3);
    rs_objective_release(base);
    return o;
}

void
rs_lua_open_objdemp(lua_State *L)
{
    lua_pushcfunction(L, l_objective_cdg_l2);
    lua_setfield(L, -2, "cdg_l2");
}

/* learner:set_noise{eta=, thr=1e-8, total=, zero_end=true} */
static int
l_learner_set_noise(lua_State *L)
{
    static const char fn[] = "learner:set_noise";
    static const char *const fields[] = {"eta", "thr", "total", "zero_end",
                                         NULL};
    rs_learner *l = rs_lua_check_learner(L, 1, fn, "learner");
    rs_lua_check_table(L, 2, fn, "config");
    rs_lua_check_fields(L, 2, fn, fields);
    struct rs_learner_noise nz = *rs_learner_noise(l);
    nz.eta = rs_lua_opt_number_field(L, 2, fn, "eta", nz.eta);
    nz.thr = rs_lua_opt_number_field(L, 2, fn, "thr", nz.thr);
    if (nz.eta > 0.0 && !rs_lua_has_field(L, 2, "total") && nz.total <= 1)
        return luaL_error(L, "%s: field 'total' is required with eta > 0", fn);
    nz.total = (long)rs_lua_opt_int_field(L, 2, fn, "total", nz.total, 1,
                                          (lua_Integer)1 << 40);
    nz.zero_end = rs_lua_opt_bool_field(L, 2, fn, "zero_end", nz.zero_end);
    struct rs_error err = {0};
    if (rs_learner_set_noise(l, &nz, &err) != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    return 0;
}

/* learner:dead_units(layer [, cover]) -> {u, ...} (1-based, ascending) */
static int
l_learner_dead_units(lua_State *L)
{
    static const char fn[] = "learner:dead_units";
    rs_learner *l = rs_lua_check_learner(L, 1, fn, "learner");
    const char *layer = rs_lua_check_string(L, 2, fn, "layer");
    int cover = 0;
    if (lua_type(L, 3) == LUA_TSTRING) {
        static const char *const all[] = {"all", NULL};
        rs_lua_check_enum(L, 3, fn, "cover", NULL, all);
        cover = INT_MAX;
    } else if (!lua_isnoneornil(L, 3)) {
        lua_Integer c = rs_lua_check_integer(L, 3, fn, "cover");
        if (c < 1)
            return rs_lua_arg_error(L, fn, 3, "cover",
                                    "%d is not a positive count", (int)c);
        cover = c > INT_MAX ? INT_MAX : (int)c;
    }
    struct rs_error err = {0};
    rs_nn_module *m = rs_learner_module(l, 0);
    int li = rs_nn_module_find_layer(m, layer);
    if (li < 0)
        return luaL_error(L, "%s: no layer '%s'", fn, layer);
    int cap = rs_nn_module_layer_units(m, layer, &err);
    if (cap < 1) /* a layer surgery cannot cut: its output width */
        cap = rs_nn_module_out(m) > 0 ? rs_nn_module_out(m) : 0;
    if (cap < 1)
        return luaL_error(L, "%s: layer '%s': its width is unknown", fn, layer);
    /* a box owns the buffer, so a raise below leaks nothing */
    int *dead = lua_newuserdatauv(L, (size_t)cap * sizeof *dead, 0);
    int n = 0;
    if (rs_demp_dead_units(l, layer, cover, dead, cap, &n, NULL, &err) != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        lua_pushinteger(L, dead[i] + 1);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

void
rs_lua_open_demp(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"set_noise", l_learner_set_noise},
        {"dead_units", l_learner_dead_units},
        {NULL, NULL},
    };
    luaL_getmetatable(L, RS_LUA_LEARNER_MT);
    lua_getfield(L, -1, "__index");
    luaL_setfuncs(L, methods, 0);
    lua_pop(L, 2);
}
