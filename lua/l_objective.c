/* repscope - MIT licence, see COPYING.
 *
 * l_objective.c: rs.objective, what a learner minimises (algo/objective.h),
 * as values:
 *
 *   rs.objective.classify{loss="cross_entropy" | "mse_onehot"}
 *   rs.objective.last_token{}        the query position of a task batch
 *
 * An objective value is a spec (a read-only table: kind and fields);
 * rs.learner builds a fresh C objective from it for each learner, so one
 * spec can serve several learners and a stateful objective (an anchor, a
 * Fisher) is never shared by accident. rs_lua_objective_build turns a
 * spec into an objective; rs_lua_objective_default gives the one a
 * learner takes without objective= (classify on a dataset, last_token on
 * a sequence task). Worker thread only.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "algo/objective.h"
#include "lua/bind.h"

static const char *const ce_names[] = {"cross_entropy", "mse_onehot", NULL};

/* Push a new spec table of kind with the metatable. */
static int
new_spec(lua_State *L, const char *kind)
{
    lua_createtable(L, 0, 4);
    lua_pushstring(L, kind);
    lua_setfield(L, -2, "kind");
    luaL_setmetatable(L, RS_LUA_OBJECTIVE_MT);
    return lua_gettop(L);
}

/* The optional config table at arg 1 with the allowed fields. */
static void
check_config(lua_State *L, const char *fn, const char *const fields[])
{
    if (lua_isnoneornil(L, 1)) {
        lua_settop(L, 0);
        lua_newtable(L);
        return;
    }
    rs_lua_check_table(L, 1, fn, "config");
    rs_lua_check_fields(L, 1, fn, fields);
}

/* rs.objective.classify{loss=} */
static int
l_objective_classify(lua_State *L)
{
    static const char fn[] = "rs.objective.classify";
    static const char *const fields[] = {"loss", NULL};
    check_config(L, fn, fields);
    int loss =
        rs_lua_opt_enum_field(L, 1, fn, "loss", "cross_entropy", ce_names);
    int spec = new_spec(L, "classify");
    lua_pushstring(L, ce_names[loss]);
    lua_setfield(L, spec, "loss");
    return 1;
}

/* rs.objective.last_token{} */
static int
l_objective_last_token(lua_State *L)
{
    static const char *const fields[] = {NULL};
    check_config(L, "rs.objective.last_token", fields);
    new_spec(L, "last_token");
    return 1;
}

void
rs_lua_objective_push(lua_State *L, const char *kind)
{
    new_spec(L, kind);
}

bool
rs_lua_is_objective(lua_State *L, int idx)
{
    if (!lua_istable(L, idx) || !lua_getmetatable(L, idx))
        return false;
    luaL_getmetatable(L, RS_LUA_OBJECTIVE_MT); /* mt objmt */
    bool same = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    return same;
}

/* The spec's string field key (static storage not needed: the spec holds
 * the string while it lives). */
static const char *
spec_string(lua_State *L, int spec, const char *key)
{
    lua_getfield(L, spec, key);
    const char *s = lua_tostring(L, -1);
    lua_pop(L, 1);
    return s != NULL ? s : "";
}

void
rs_lua_objective_check(lua_State *L, int idx, const char *fn, const char *key)
{
    if (!rs_lua_is_objective(L, idx))
        rs_lua_field_error(L, fn, key, "objective expected, got %s",
                           rs_lua_kind_name(L, idx));
}

rs_objective *
rs_lua_objective_build(lua_State *L, int idx, struct rs_error *err)
{
    idx = lua_absindex(L, idx);
    const char *kind = spec_string(L, idx, "kind");
    if (strcmp(kind, "classify") == 0) {
        int loss = rs_obj_classify_loss_parse(spec_string(L, idx, "loss"));
        return rs_objective_classify(loss < 0 ? RS_OBJ_CROSS_ENTROPY
                                              : (enum rs_obj_classify_loss)loss,
                                     err);
    }
    if (strcmp(kind, "last_token") == 0)
        return rs_objective_last_token(err);
    rs_error_set(err, RS_EINVAL, "unknown objective kind '%s'", kind);
    return NULL;
}

rs_objective *
rs_lua_objective_default(const rs_source *src, struct rs_error *err)
{
    const char *kind = rs_source_kind(src);
    if (strcmp(kind, "dataset") == 0)
        return rs_objective_classify(RS_OBJ_CROSS_ENTROPY, err);
    if (strcmp(kind, "seqtask") == 0)
        return rs_objective_last_token(err);
    rs_error_set(err, RS_EINVAL,
                 "a %s source has no default objective (give objective=)",
                 kind);
    return NULL;
}

static int
l_objective_tostring(lua_State *L)
{
    lua_pushfstring(L, "objective (%s)", spec_string(L, 1, "kind"));
    return 1;
}

void
rs_lua_open_objective(lua_State *L)
{
    static const luaL_Reg funcs[] = {
        {"classify", l_objective_classify},
        {"last_token", l_objective_last_token},
        {NULL, NULL},
    };
    if (luaL_newmetatable(L, RS_LUA_OBJECTIVE_MT)) {
        lua_pushcfunction(L, l_objective_tostring);
        lua_setfield(L, -2, "__tostring");
    }
    lua_pop(L, 1);
    luaL_newlib(L, funcs);
    lua_setfield(L, -2, "objective");
}
