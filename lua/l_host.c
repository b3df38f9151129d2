/* repscope - MIT licence, see COPYING.
 *
 * l_host.c: the umbrella module `repscope` (luaopen_repscope: the
 * submodules, rs.learner and the other bindings, then the pure-Lua
 * layer) and its host-level functions: rs.log, rs.matrix, rs.event,
 * rs.seed, rs.mem, rs.end_at, rs.total_steps. They write to the host
 * context's sink (lua/bind.h). Under --safe a state may log or publish
 * under at most SAFE_NAMES_MAX distinct names (the bus and the run log
 * keep every series, outside the Lua memory cap). Worker thread only.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua/bind.h"

static void
check_log_name(lua_State *L, const char *fn, const char *name, int arg)
{
    size_t len = strlen(name);
    if (len == 0 || len >= 96)
        rs_lua_arg_error(L, fn, arg, "name",
                         "a name of 1..95 characters expected, got %zu", len);
}

/* Distinct names a safe scene may log or publish under: the bus and the
 * run log keep each one for the whole run, outside the memory cap. */
#define SAFE_NAMES_MAX 4096

static const char names_key = 'n';

/* In safe mode, count name among the state's names (a registry table,
 * its size at [1]) and raise past SAFE_NAMES_MAX. */
static void
check_name_budget(lua_State *L, const char *fn, const char *name)
{
    if (!rs_lua_ctx(L)->safe)
        return;
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &names_key) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &names_key);
    }
    /* names */
    lua_pushstring(L, name);
    if (lua_rawget(L, -2) == LUA_TNIL) {
        lua_rawgeti(L, -2, 1);
        lua_Integer n = lua_tointeger(L, -1) + 1;
        if (n > SAFE_NAMES_MAX)
            luaL_error(L, "%s: more than %d distinct names in --safe mode",
                       fn, SAFE_NAMES_MAX);
        lua_pushinteger(L, n);
        lua_rawseti(L, -4, 1);
        lua_pushboolean(L, 1);
        lua_setfield(L, -4, name);
        lua_pop(L, 1);
    }
    lua_pop(L, 2);
}

/* rs.log(name, value) or rs.log{name = value, ...} */
static int
l_host_log(lua_State *L)
{
    static const char fn[] = "rs.log";
    if (lua_type(L, 1) == LUA_TTABLE) {
        lua_pushnil(L);
        while (lua_next(L, 1) != 0) { /* key value */
            if (lua_type(L, -2) != LUA_TSTRING)
                return rs_lua_arg_error(L, fn, 1, "values",
                                        "string keys expected, got %s",
                                        luaL_typename(L, -2));
            const char *name = lua_tostring(L, -2);
            if (lua_type(L, -1) != LUA_TNUMBER)
                return rs_lua_field_type_error(L, fn, name, "number", -1);
            check_log_name(L, fn, name, 1);
            check_name_budget(L, fn, name);
            rs_lua_log(L, name, lua_tonumber(L, -1));
            lua_pop(L, 1);
        }
        return 0;
    }
    if (lua_type(L, 1) != LUA_TSTRING)
        return rs_lua_type_error(L, fn, 1, "name", "string or table");
    const char *name = lua_tostring(L, 1);
    double v = rs_lua_check_number(L, 2, fn, "value");
    check_log_name(L, fn, name, 1);
    check_name_budget(L, fn, name);
    rs_lua_log(L, name, v);
    return 0;
}

/* labels[k] of the list in field `key` of the options table at `opts`
 * (n strings), kept alive by leaving the table on the stack; NULL when the
 * field is absent. */
static const char **
check_labels(lua_State *L, int opts, const char *key, int n)
{
    static const char fn[] = "rs.matrix";
    if (lua_getfield(L, opts, key) == LUA_TNIL) {
        lua_pop(L, 1);
        return NULL;
    }
    if (!lua_istable(L, -1))
        rs_lua_field_type_error(L, fn, key, "table of strings", -1);
    if (lua_rawlen(L, -1) != (lua_Unsigned)n)
        luaL_error(L, "%s: field '%s' has %d labels, the matrix %d %s", fn, key,
                   (int)lua_rawlen(L, -1), n,
                   key[0] == 'r' ? "rows" : "columns");
    const char **labels = lua_newuserdatauv(L, (size_t)n * sizeof *labels, 0);
    for (int i = 0; i < n; i++) {
        lua_rawgeti(L, -2, i + 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "%s: %s[%d] is a %s, expected a string", fn, key,
                       i + 1, luaL_typename(L, -1));
        labels[i] = lua_tostring(L, -1); /* the table keeps it alive */
        lua_pop(L, 1);
    }
    return labels; /* the label table and this buffer stay on the stack */
}

/* rs.matrix(name, tensor [, {rows = {...}, cols = {...}}]): a 1-D tensor
 * is published as 1 x n; rows/cols label the heatmap's axes. */
static int
l_host_matrix(lua_State *L)
{
    static const char fn[] = "rs.matrix";
    const char *name = rs_lua_check_string(L, 1, fn, "name");
    check_log_name(L, fn, name, 1);
    rs_tensor *t = rs_lua_check_tensor(L, 2, fn, "matrix");
    check_name_budget(L, fn, name);
    if (t->ndim > 2 || t->numel > (size_t)INT32_MAX)
        return rs_lua_arg_error(L, fn, 2, "matrix",
                                "1-D or 2-D tensor expected, got %d-D",
                                t->ndim);
    int rows = t->ndim == 2 ? t->shape[0] : 1;
    int cols = t->ndim == 2 ? t->shape[1] : (int)t->numel;
    const char **rl = NULL, **cl = NULL;
    if (!lua_isnoneornil(L, 3)) {
        rs_lua_check_table(L, 3, fn, "options");
        static const char *const keys[] = {"rows", "cols", NULL};
        rs_lua_check_fields(L, 3, fn, keys);
        rl = check_labels(L, 3, "rows", rows);
        cl = check_labels(L, 3, "cols", cols);
    }
    rs_lua_matrix_labeled(L, name, rows, cols, t->data, rl, cl);
    return 0;
}

static int
l_host_event(lua_State *L)
{
    rs_lua_event(L, rs_lua_check_string(L, 1, "rs.event", "text"));
    return 0;
}

/* rs.end_at(step): the run ends after step (a scene whose length its data
 * decides; a shorter total is kept). Nowhere to go without a session. */
static int
l_host_end_at(lua_State *L)
{
    lua_Integer step = rs_lua_check_integer(L, 1, "rs.end_at", "step");
    if (step < 1)
        return rs_lua_arg_error(L, "rs.end_at", 1, "step", "%lld is not >= 1",
                                (long long)step);
    struct rs_lua_ctx *c = rs_lua_ctx(L);
    if (c->sink.end_at != NULL)
        c->sink.end_at(c->sink.ud, (long)step);
    if (c->total_steps < 0 || step < c->total_steps)
        c->total_steps = (long)step;
    return 0;
}

/* rs.total_steps() -> the run's planned steps (-1: until quit), for
 * schedules a scene builds itself (a regulariser's one-cycle). */
static int
l_host_total_steps(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)rs_lua_ctx(L)->total_steps);
    return 1;
}

/* rs.seed(n): reseed the stream builders draw their weights from. */
static int
l_host_seed(lua_State *L)
{
    lua_Integer s = rs_lua_check_integer(L, 1, "rs.seed", "seed");
    rs_rng_seed(&rs_lua_ctx(L)->rng, (uint64_t)s);
    return 0;
}

static int
l_host_mem(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)rs_lua_ctx(L)->mem_used);
    return 1;
}

/* rs.train(...) == rs.train.new(...), argument numbers unchanged */
static int
l_host_train_call(lua_State *L)
{
    lua_getfield(L, 1, "new");
    lua_replace(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

int
luaopen_repscope(lua_State *L)
{
    static const luaL_Reg funcs[] = {
        {"log", l_host_log},
        {"matrix", l_host_matrix},
        {"event", l_host_event},
        {"seed", l_host_seed},
        {"mem", l_host_mem},
        {"end_at", l_host_end_at},
        {"total_steps", l_host_total_steps},
        {NULL, NULL},
    };
    static const char *const subs[][2] = {
        {"tensor", "repscope.tensor"}, {"nn", "repscope.nn"},
        {"optim", "repscope.optim"},   {"data", "repscope.data"},
        {"probe", "repscope.probe"},
    };
    luaL_newlib(L, funcs); /* rs */
    for (size_t i = 0; i < RS_ARRAY_LEN(subs); i++) {
        lua_getglobal(L, "require");
        lua_pushstring(L, subs[i][1]);
        lua_call(L, 1, 1);
        lua_setfield(L, -2, subs[i][0]);
    }
    /* rs.sched lives in the optim module; rs.rng and rs.train are
     * functions of their modules. */
    lua_getfield(L, -1, "optim");
    lua_getfield(L, -1, "sched");
    lua_setfield(L, -3, "sched");
    lua_pop(L, 1);
    lua_getglobal(L, "require");
    lua_pushliteral(L, "repscope.rng");
    lua_call(L, 1, 1);
    lua_getfield(L, -1, "new");
    lua_setfield(L, -3, "rng");
    lua_pop(L, 1);
    /* rs.train is the train module (rs.train.seq), callable as its `new`
     * (rs.train{...}: sugar over rs.learner, l_train.c) */
    lua_getglobal(L, "require");
    lua_pushliteral(L, "repscope.train");
    lua_call(L, 1, 1);
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, l_host_train_call);
    lua_setfield(L, -2, "__call");
    lua_setmetatable(L, -2);
    lua_setfield(L, -2, "train");
    /* rs.learner, rs.name and rs.objective (l_learner.c) */
    rs_lua_open_learner(L);
    lua_pushliteral(L, PACKAGE_VERSION);
    lua_setfield(L, -2, "version");
    lua_pushboolean(L, rs_lua_ctx(L)->safe);
    lua_setfield(L, -2, "safe");
    rs_lua_open_graph(L);
    rs_lua_open_env(L);
    /* rs.rl (l_ppo.c), after rs.learner: it adds learner methods */
    rs_lua_open_rl(L);
    /* rs.lm and rs.update (l_dyneval.c), likewise */
    rs_lua_open_dyneval(L);
    /* The pure-Lua layer adds rs.scene, rs.view and the probe specs. */
    rs_lua_push_scene_fn(L, "install");
    lua_pushvalue(L, -2);
    lua_call(L, 1, 0);
    return 1;
}
