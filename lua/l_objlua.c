/* repscope - MIT licence, see COPYING.
 *
 * l_objlua.c: rs.objective.lua{loss = function(g, model, batch) ... end},
 * an objective (algo/objective.h) whose loss is a Lua function written
 * with the autograd handle (rs.graph, lua/l_graph.c):
 *
 *   loss(g, model, batch) -> loss [, correct, count]
 *
 * g is the learner's own graph, lent for the call (gradients on while
 * training, off while evaluating); model the learner's first module
 * (model:... and g:forward(model, x)); batch the current batch as
 * learner:next_batch() gives it ({n=, x= or ids=, y=}). The function
 * returns a scalar graph tensor of g -- the learner runs the backward and
 * the optimiser -- and, to get an accuracy, how many of count predictions
 * were right (without them evaluations report accuracy NaN).
 *
 * The class lives here because it calls into Lua: the impl keeps the
 * state and a registry reference to the function; the call runs
 * protected (rs_lua_call, with the traceback on the console), and an
 * error becomes the graph's sticky error, so the learner reports it as
 * any failed step. The lent graph handle stays valid until the next call
 * (after the learner's backward) or the objective's end, when it is
 * invalidated: graph tensors kept past the loss function raise. The
 * objective has no checkpoint state (the function's own upvalues are the
 * scene's business). Worker thread only: the learner must run on the
 * state that made the objective.
 */
#include "config.h"

#include <stdlib.h>

#include "algo/objective.h"
#include "lua/bind.h"

struct objlua {
    lua_State *L;
    int fn_ref;     /* the loss function */
    int handle_ref; /* the graph handle lent last, or LUA_NOREF */
};

/* What the protected call hands back. */
struct objlua_call {
    struct objlua *ol;
    struct rs_obj_ctx *c;
    rs_tensor *loss;
    double correct, count;
};

/* Invalidate the handle lent by the last call (its tape is done with). */
static void
release_handle(struct objlua *ol)
{
    if (ol->handle_ref == LUA_NOREF)
        return;
    lua_State *L = ol->L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, ol->handle_ref);
    rs_lua_graph_invalidate(L, lua_gettop(L));
    lua_pop(L, 1);
    luaL_unref(L, LUA_REGISTRYINDEX, ol->handle_ref);
    ol->handle_ref = LUA_NOREF;
}

/* Protected: arg 1 the struct objlua_call. */
static int
objlua_run(lua_State *L)
{
    static const char fn[] = "rs.objective.lua";
    struct objlua_call *k = lua_touserdata(L, 1);
    struct objlua *ol = k->ol;
    lua_settop(L, 0);
    rs_lua_push_graph_borrowed(L, k->c->g); /* g */
    lua_pushvalue(L, 1);
    ol->handle_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_rawgeti(L, LUA_REGISTRYINDEX, ol->fn_ref); /* g fn */
    lua_pushvalue(L, 1);                           /* g fn g */
    rs_lua_push_module(L, k->c->modules[0]);       /* g fn g model */
    rs_lua_push_batch(L, k->c->batch, fn);         /* g fn g model batch */
    lua_call(L, 3, 3);                             /* g loss correct count */
    if (!rs_lua_graph_tensor_in(L, 2, 1))
        return luaL_error(L,
                          "%s: the loss function returned a %s (a graph "
                          "tensor of its g expected)",
                          fn, rs_lua_kind_name(L, 2));
    rs_tensor *t = rs_lua_check_graph_tensor(L, 2, fn, "loss");
    if (t->numel != 1)
        return luaL_error(L,
                          "%s: the loss function returned %zu values (a "
                          "scalar expected)",
                          fn, t->numel);
    k->loss = t;
    if (!lua_isnil(L, 3) || !lua_isnil(L, 4)) {
        if (!lua_isnumber(L, 3) || !lua_isnumber(L, 4) ||
            !(lua_tonumber(L, 4) >= lua_tonumber(L, 3)) ||
            !(lua_tonumber(L, 3) >= 0))
            return luaL_error(L,
                              "%s: the loss function's correct, count must "
                              "be numbers with 0 <= correct <= count",
                              fn);
        k->correct = lua_tonumber(L, 3);
        k->count = lua_tonumber(L, 4);
    }
    return 0;
}

static int
objlua_check(rs_objective *o, const struct rs_obj_env *env,
             struct rs_error *err)
{
    (void)o;
    if (env->nmodules < 1)
        return rs_error_set(err, RS_EINVAL, "lua: the learner has no model");
    return RS_OK;
}

static rs_tensor *
objlua_loss(rs_objective *o, struct rs_obj_ctx *c, struct rs_obj_stats *st)
{
    struct objlua *ol = rs_objective_impl(o);
    lua_State *L = ol->L;
    release_handle(ol);
    struct objlua_call k = {.ol = ol, .c = c};
    lua_pushcfunction(L, objlua_run);
    lua_pushlightuserdata(L, &k);
    struct rs_error err = {0};
    if (rs_lua_call(L, 1, 0, &err) != RS_OK) {
        rs_graph_fail(c->g, err.code, "%s", err.msg);
        return NULL;
    }
    c->out = NULL;
    st->correct = k.correct;
    st->count = k.count;
    return k.loss;
}

static void
objlua_destroy(void *impl)
{
    struct objlua *ol = impl;
    release_handle(ol);
    luaL_unref(ol->L, LUA_REGISTRYINDEX, ol->fn_ref);
    free(ol);
}

static const struct rs_objective_class objlua_class = {
    .kind = "lua",
    .check = objlua_check,
    .loss = objlua_loss,
    .destroy = objlua_destroy,
};

/* The objective of a spec of kind "lua" (its function in field fn), for
 * l_objective.c. Never raises. */
rs_objective *
rs_lua_objlua_build(lua_State *L, int spec, struct rs_error *err)
{
    (void)err;
    struct objlua *ol = rs_xcalloc(1, sizeof *ol);
    ol->L = L;
    ol->handle_ref = LUA_NOREF;
    lua_getfield(L, spec, "fn");
    ol->fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return rs_objective_new(&objlua_class, ol);
}

/* rs.objective.lua{loss = function(g, model, batch) ... end} */
static int
l_objective_lua(lua_State *L)
{
    static const char fn[] = "rs.objective.lua";
    static const char *const fields[] = {"loss", NULL};
    rs_lua_check_table(L, 1, fn, "config");
    rs_lua_check_fields(L, 1, fn, fields);
    if (lua_getfield(L, 1, "loss") != LUA_TFUNCTION) /* cfg f */
        return lua_isnil(L, -1)
                   ? luaL_error(L, "%s: field 'loss' is required", fn)
                   : rs_lua_field_type_error(L, fn, "loss", "function", -1);
    rs_lua_objective_push(L, "lua"); /* cfg f spec */
    lua_insert(L, -2);
    lua_setfield(L, -2, "fn");
    return 1;
}

void
rs_lua_open_objlua(lua_State *L)
{
    lua_pushcfunction(L, l_objective_lua);
    lua_setfield(L, -2, "lua");
}
