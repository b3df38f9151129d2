/* repscope - MIT licence, see COPYING.
 *
 * l_graph.c: rs.graph{grad=true, prec="f32"}, autograd from Lua. A graph
 * handle owns an rs_graph (core/graph.h); its ops (core/ops.h) run
 * eagerly on it and hand back graph tensors, handles on arena tensors
 * that belong to one graph and one generation of it: g:reset() (or the
 * end of the callback that lent a C-owned graph) bumps the generation,
 * and any later use of an older handle raises "graph tensor from before
 * g:reset()" instead of reading freed arena memory.
 *
 * Leaves: a heap tensor given to an op, g:input(t) or g:forward(m, t) is
 * borrowed, not copied (a data batch costs no copy per step), and a
 * parameter among them takes gradients into its own buffer, as through
 * g:param(t); g:input(t, true) copies t into the arena so the copy can
 * take a gradient. The graph retains every heap tensor and module its
 * tape points into until the next reset, so a handle released from Lua
 * cannot leave the tape dangling; writing into a borrowed tensor before
 * that reset changes what backward reads (the manual says so).
 *
 * This file holds the handles, their methods and the dispatch of ops;
 * the ops themselves (operands, one function per op, the table) are in
 * l_graph_ops.c, and the two share graph_impl.h.
 *
 * Ownership: the graph userdata owns the rs_graph (owned) or borrows it
 * for one callback (rs_lua_push_graph_borrowed); a graph tensor userdata
 * keeps its graph userdata alive through its user value. Nothing here
 * allocates arena memory for Lua except through the graph. Worker thread
 * only.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lua/graph_impl.h"

/* ---- graph state ------------------------------------------------------- */

void
rs_lua_graph_hold_tensor(struct rs_lua_graph *gr, rs_tensor *t)
{
    if (gr->nheld_t == gr->capheld_t) {
        gr->capheld_t = gr->capheld_t ? 2 * gr->capheld_t : 8;
        gr->held_t = rs_xreallocarray(gr->held_t, (size_t)gr->capheld_t,
                                      sizeof *gr->held_t);
    }
    rs_tensor_retain(t);
    gr->held_t[gr->nheld_t++] = t;
}

void
rs_lua_graph_hold_module(struct rs_lua_graph *gr, rs_nn_module *m)
{
    for (int i = 0; i < gr->nheld_m; i++)
        if (gr->held_m[i] == m)
            return;
    if (gr->nheld_m == gr->capheld_m) {
        gr->capheld_m = gr->capheld_m ? 2 * gr->capheld_m : 4;
        gr->held_m = rs_xreallocarray(gr->held_m, (size_t)gr->capheld_m,
                                      sizeof *gr->held_m);
    }
    rs_nn_module_retain(m);
    gr->held_m[gr->nheld_m++] = m;
}

/* Drop what the tape borrowed and start a new generation. */
static void
new_generation(struct rs_lua_graph *gr)
{
    for (int i = 0; i < gr->nheld_t; i++)
        rs_tensor_release(gr->held_t[i]);
    for (int i = 0; i < gr->nheld_m; i++)
        rs_nn_module_release(gr->held_m[i]);
    gr->nheld_t = gr->nheld_m = 0;
    gr->backwards = 0;
    gr->gen++;
}

static void create_meta(lua_State *L);

static struct rs_lua_graph *
push_lgraph(lua_State *L, rs_graph *g, bool owned)
{
    create_meta(L);
    struct rs_lua_graph *gr = lua_newuserdatauv(L, sizeof *gr, 0);
    memset(gr, 0, sizeof *gr);
    gr->g = g;
    gr->owned = owned;
    luaL_setmetatable(L, RS_LUA_GRAPH_MT);
    return gr;
}

/* Raise unless gr is usable. */
static void
check_live(lua_State *L, const struct rs_lua_graph *gr, const char *fn)
{
    if (gr->g != NULL)
        return;
    if (gr->owned)
        luaL_error(L, "%s: attempt to use a released graph", fn);
    luaL_error(L,
               "%s: attempt to use a graph after the callback that lent "
               "it returned",
               fn);
}

static struct rs_lua_graph *
check_lgraph(lua_State *L, int arg, const char *fn)
{
    struct rs_lua_graph *gr = luaL_testudata(L, arg, RS_LUA_GRAPH_MT);
    if (gr == NULL)
        rs_lua_type_error(L, fn, arg, "graph", "graph");
    check_live(L, gr, fn);
    return gr;
}

/* The graph tensor at arg, live and of the current generation. */
struct rs_lua_gtensor *
rs_lua_graph_check_gt(lua_State *L, int arg, const char *fn, const char *name)
{
    struct rs_lua_gtensor *x = luaL_testudata(L, arg, RS_LUA_GRAPH_TENSOR_MT);
    if (x == NULL)
        rs_lua_type_error(L, fn, arg, name, "graph tensor");
    check_live(L, x->gr, fn);
    if (x->gen != x->gr->gen)
        luaL_error(L, "%s: graph tensor from before g:reset()", fn);
    return x;
}

/* Push a handle on t, a tensor of the graph whose userdata is at gidx. */
static void
push_gt(lua_State *L, int gidx, struct rs_lua_graph *gr, rs_tensor *t)
{
    gidx = lua_absindex(L, gidx);
    struct rs_lua_gtensor *x = lua_newuserdatauv(L, sizeof *x, 1);
    x->gr = gr;
    x->gen = gr->gen;
    x->t = t;
    luaL_setmetatable(L, RS_LUA_GRAPH_TENSOR_MT);
    lua_pushvalue(L, gidx);
    lua_setiuservalue(L, -2, 1);
}

/* Push the handle on an op's result. */
static void
push_result(lua_State *L, const struct rs_lua_graph_call *c, rs_tensor *t)
{
    if (c->gidx > 0) {
        push_gt(L, c->gidx, c->gr, t);
        return;
    }
    lua_getiuservalue(L, c->via, 1); /* graph */
    push_gt(L, -1, c->gr, t);        /* graph x */
    lua_remove(L, -2);
}

/* Raise with the graph's sticky error, or say the graph is poisoned. */
int
rs_lua_graph_raise(lua_State *L, const struct rs_lua_graph_call *c)
{
    struct rs_error err = {0};
    const struct rs_error *ge = rs_graph_error(c->g);
    rs_error_set(&err, ge->code != RS_OK ? ge->code : RS_EINVAL, "%s",
                 ge->code != RS_OK ? ge->msg : "invalid operands");
    return rs_lua_status_error(L, c->fn, &err);
}

static void
check_clean(lua_State *L, const struct rs_lua_graph_call *c)
{
    const struct rs_error *ge = rs_graph_error(c->g);
    if (ge->code != RS_OK)
        luaL_error(L, "%s: the graph failed earlier (%s)%s", c->fn, ge->msg,
                   c->gr->owned ? "; call g:reset()" : "");
}

/* Run an op and push its result; raise on a graph error. */
static int
run_op(lua_State *L, struct rs_lua_graph_call *c, rs_lua_graph_op_fn f, int a)
{
    check_clean(L, c);
    rs_tensor *out = f(L, c, a);
    if (out == NULL)
        return rs_lua_graph_raise(L, c);
    push_result(L, c, out);
    return 1;
}

/* g:<op>(...): upvalue 1 is the index of the op in ops[]. */
static int
l_graph_op(lua_State *L)
{
    const struct rs_lua_graph_op *d =
        &rs_lua_graph_ops[lua_tointeger(L, lua_upvalueindex(1))];
    struct rs_lua_graph_call c = {
        .fn = d->gfn, .gidx = 1, .top = lua_gettop(L)};
    c.gr = check_lgraph(L, 1, c.fn);
    c.g = c.gr->g;
    return run_op(L, &c, d->f, 2);
}

/* x:<op>(...): the graph is x's (its user value). */
static int
l_gtensor_op(lua_State *L)
{
    const struct rs_lua_graph_op *d =
        &rs_lua_graph_ops[lua_tointeger(L, lua_upvalueindex(1))];
    struct rs_lua_graph_call c = {.fn = d->tfn, .via = 1, .top = lua_gettop(L)};
    struct rs_lua_gtensor *x = rs_lua_graph_check_gt(L, 1, c.fn, "self");
    c.gr = x->gr;
    c.g = x->gr->g;
    return run_op(L, &c, d->f, 1);
}

/* a + b and friends: either operand may be the graph tensor. */
static int
arith(lua_State *L, enum rs_lua_graph_binop op, const char *fn)
{
    struct rs_lua_graph_call c = {.fn = fn};
    int self = luaL_testudata(L, 1, RS_LUA_GRAPH_TENSOR_MT) != NULL ? 1 : 2;
    struct rs_lua_gtensor *x =
        rs_lua_graph_check_gt(L, self, c.fn, self == 1 ? "a" : "b");
    c.gr = x->gr;
    c.g = x->gr->g;
    c.via = self;
    c.top = 2;
    check_clean(L, &c);
    rs_tensor *out = rs_lua_graph_binop(L, &c, 1, 2, op);
    if (out == NULL)
        return rs_lua_graph_raise(L, &c);
    push_result(L, &c, out);
    return 1;
}

static int
l_gtensor_add(lua_State *L)
{
    return arith(L, RS_LUA_GRAPH_ADD, "graph_tensor:add");
}

static int
l_gtensor_sub(lua_State *L)
{
    return arith(L, RS_LUA_GRAPH_SUB, "graph_tensor:sub");
}

static int
l_gtensor_mul(lua_State *L)
{
    return arith(L, RS_LUA_GRAPH_MUL, "graph_tensor:mul");
}

static int
l_gtensor_div(lua_State *L)
{
    return arith(L, RS_LUA_GRAPH_DIV, "graph_tensor:div");
}

static int
l_gtensor_unm(lua_State *L)
{
    lua_settop(L, 1);
    lua_pushnumber(L, -1.0);
    return arith(L, RS_LUA_GRAPH_MUL, "graph_tensor:neg");
}

/* ---- graph tensor methods ---------------------------------------------- */

static int
l_gtensor_value(lua_State *L)
{
    static const char fn[] = "graph_tensor:value";
    rs_lua_push_tensor_copy(L, rs_lua_graph_check_gt(L, 1, fn, "self")->t, fn);
    return 1;
}

static int
l_gtensor_item(lua_State *L)
{
    static const char fn[] = "graph_tensor:item";
    const rs_tensor *t = rs_lua_graph_check_gt(L, 1, fn, "self")->t;
    if (t->numel != 1) {
        char buf[64];
        return rs_lua_arg_error(L, fn, 1, "self", "1 element expected, got %s",
                                rs_tensor_shape_str(t, buf, sizeof buf));
    }
    lua_pushnumber(L, (lua_Number)t->data[0]);
    return 1;
}

/* x:grad(): a copy of the gradient, nil when none flowed into x. */
static int
l_gtensor_grad(lua_State *L)
{
    static const char fn[] = "graph_tensor:grad";
    const rs_tensor *t = rs_lua_graph_check_gt(L, 1, fn, "self")->t;
    if (t->grad == NULL) {
        lua_pushnil(L);
        return 1;
    }
    void **box = rs_lua_new_box(L, RS_LUA_TENSOR_MT);
    struct rs_error err = {0};
    rs_tensor *d = rs_tensor_new(t->ndim, t->shape, &err);
    if (d == NULL)
        return rs_lua_status_error(L, fn, &err);
    memcpy(d->data, t->grad, t->numel * sizeof(float));
    *box = d;
    rs_lua_tensor_made(L, d);
    return 1;
}

static int
l_gtensor_shape(lua_State *L)
{
    const rs_tensor *t =
        rs_lua_graph_check_gt(L, 1, "graph_tensor:shape", "self")->t;
    lua_createtable(L, t->ndim, 0);
    for (int i = 0; i < t->ndim; i++) {
        lua_pushinteger(L, t->shape[i]);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

static int
l_gtensor_numel(lua_State *L)
{
    const rs_tensor *t =
        rs_lua_graph_check_gt(L, 1, "graph_tensor:numel", "self")->t;
    lua_pushinteger(L, (lua_Integer)t->numel);
    return 1;
}

static int
l_gtensor_requires_grad(lua_State *L)
{
    const rs_tensor *t =
        rs_lua_graph_check_gt(L, 1, "graph_tensor:requires_grad", "self")->t;
    lua_pushboolean(L, t->requires_grad);
    return 1;
}

static int
l_gtensor_tostring(lua_State *L)
{
    struct rs_lua_gtensor *x = luaL_checkudata(L, 1, RS_LUA_GRAPH_TENSOR_MT);
    char buf[64];
    if (x->gr->g == NULL || x->gen != x->gr->gen)
        lua_pushliteral(L, "graph tensor (stale)");
    else
        lua_pushfstring(L, "graph tensor %s",
                        rs_tensor_shape_str(x->t, buf, sizeof buf));
    return 1;
}

/* ---- graph methods ----------------------------------------------------- */

/* g:backward(loss): from a scalar; a second backward over one forward
 * first clears the tape's gradients, so parameters get the sum of both. */
static int
l_graph_backward(lua_State *L)
{
    static const char fn[] = "graph:backward";
    struct rs_lua_graph *gr = check_lgraph(L, 1, fn);
    struct rs_lua_gtensor *x = rs_lua_graph_check_gt(L, 2, fn, "loss");
    if (x->gr != gr)
        return rs_lua_arg_error(L, fn, 2, "loss",
                                "graph tensor of another graph");
    if (!rs_graph_grad_enabled(gr->g))
        return luaL_error(L,
                          "%s: the graph records no gradients "
                          "(rs.graph{grad=false})",
                          fn);
    if (gr->backwards > 0)
        rs_graph_zero_grads(gr->g);
    struct rs_error err = {0};
    if (rs_graph_backward(gr->g, x->t, &err) != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    gr->backwards++;
    return 0;
}

/* g:zero_grad(): the tape's gradients and those of every parameter the
 * graph used since the last reset (g:param, g:forward's modules). */
static int
l_graph_zero_grad(lua_State *L)
{
    struct rs_lua_graph *gr = check_lgraph(L, 1, "graph:zero_grad");
    rs_graph_zero_grads(gr->g);
    for (int i = 0; i < gr->nheld_t; i++)
        if (gr->held_t[i]->grad != NULL)
            rs_tensor_zero_grad(gr->held_t[i]);
    for (int i = 0; i < gr->nheld_m; i++) {
        rs_nn_model *m = rs_nn_module_model(gr->held_m[i]);
        rs_tensor *const *p = rs_nn_model_params(m);
        for (int k = 0; k < rs_nn_model_count(m); k++)
            rs_tensor_zero_grad(p[k]);
    }
    return 0;
}

static int
l_graph_reset(lua_State *L)
{
    static const char fn[] = "graph:reset";
    struct rs_lua_graph *gr = check_lgraph(L, 1, fn);
    if (!gr->owned)
        return luaL_error(L,
                          "%s: a graph lent by a callback is reset by its "
                          "owner",
                          fn);
    rs_graph_reset(gr->g);
    new_generation(gr);
    return 0;
}

static int
l_graph_nodes(lua_State *L)
{
    struct rs_lua_graph *gr = check_lgraph(L, 1, "graph:nodes");
    lua_pushinteger(L, (lua_Integer)rs_graph_nodes(gr->g));
    return 1;
}

/* __gc, __close, g:release(): free an owned graph, drop what it held. */
static int
l_graph_release(lua_State *L)
{
    struct rs_lua_graph *gr = luaL_checkudata(L, 1, RS_LUA_GRAPH_MT);
    new_generation(gr);
    if (gr->owned)
        rs_graph_free(gr->g);
    gr->g = NULL;
    free(gr->held_t);
    free(gr->held_m);
    gr->held_t = NULL;
    gr->held_m = NULL;
    gr->capheld_t = gr->capheld_m = 0;
    return 0;
}

static int
l_graph_tostring(lua_State *L)
{
    struct rs_lua_graph *gr = luaL_checkudata(L, 1, RS_LUA_GRAPH_MT);
    if (gr->g == NULL)
        lua_pushliteral(L, "graph (released)");
    else
        lua_pushfstring(L, "graph (%d nodes%s%s)", (int)rs_graph_nodes(gr->g),
                        rs_graph_grad_enabled(gr->g) ? "" : ", no grad",
                        gr->owned ? "" : ", borrowed");
    return 1;
}

/* rs.graph([{grad=true, prec="f32"}]) */
static int
l_graph_new(lua_State *L)
{
    static const char fn[] = "rs.graph";
    static const char *const fields[] = {"grad", "prec", NULL};
    static const char *const precs[] = {"f32", "bf16", "f16", NULL};
    bool grad = true;
    int prec = RS_PREC_F32;
    if (!lua_isnoneornil(L, 1)) {
        rs_lua_check_table(L, 1, fn, "config");
        rs_lua_check_fields(L, 1, fn, fields);
        grad = rs_lua_opt_bool_field(L, 1, fn, "grad", true);
        prec = rs_lua_opt_enum_field(L, 1, fn, "prec", "f32", precs);
    }
    struct rs_lua_graph *gr = push_lgraph(L, NULL, true);
    gr->g = rs_graph_new();
    rs_graph_set_grad(gr->g, grad);
    rs_graph_set_precision(gr->g, (enum rs_prec)prec);
    return 1;
}

static void
create_meta(lua_State *L)
{
    static const luaL_Reg graph_methods[] = {
        {"backward", l_graph_backward}, {"zero_grad", l_graph_zero_grad},
        {"reset", l_graph_reset},       {"nodes", l_graph_nodes},
        {"release", l_graph_release},   {NULL, NULL},
    };
    static const luaL_Reg graph_meta[] = {
        {"__gc", l_graph_release},
        {"__close", l_graph_release},
        {"__tostring", l_graph_tostring},
        {NULL, NULL},
    };
    static const luaL_Reg gt_methods[] = {
        {"value", l_gtensor_value},
        {"item", l_gtensor_item},
        {"grad", l_gtensor_grad},
        {"shape", l_gtensor_shape},
        {"numel", l_gtensor_numel},
        {"requires_grad", l_gtensor_requires_grad},
        {NULL, NULL},
    };
    static const luaL_Reg gt_meta[] = {
        {"__add", l_gtensor_add},
        {"__sub", l_gtensor_sub},
        {"__mul", l_gtensor_mul},
        {"__div", l_gtensor_div},
        {"__unm", l_gtensor_unm},
        {"__tostring", l_gtensor_tostring},
        {NULL, NULL},
    };
    if (!luaL_newmetatable(L, RS_LUA_GRAPH_MT)) {
        lua_pop(L, 1);
        return;
    }
    luaL_setfuncs(L, graph_meta, 0); /* mt */
    luaL_newlib(L, graph_methods);   /* mt methods */
    for (size_t i = 0; i < rs_lua_graph_nops; i++) {
        if (!(rs_lua_graph_ops[i].on & RS_LUA_GRAPH_ON_GRAPH))
            continue;
        lua_pushinteger(L, (lua_Integer)i);
        lua_pushcclosure(L, l_graph_op, 1);
        lua_setfield(L, -2, rs_lua_graph_ops[i].name);
    }
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    luaL_newmetatable(L, RS_LUA_GRAPH_TENSOR_MT);
    luaL_setfuncs(L, gt_meta, 0);
    luaL_newlib(L, gt_methods);
    for (size_t i = 0; i < rs_lua_graph_nops; i++) {
        if (!(rs_lua_graph_ops[i].on & RS_LUA_GRAPH_ON_TENSOR))
            continue;
        lua_pushinteger(L, (lua_Integer)i);
        lua_pushcclosure(L, l_gtensor_op, 1);
        lua_setfield(L, -2, rs_lua_graph_ops[i].name);
    }
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
}

/* ---- exports (bind.h) -------------------------------------------------- */

void
rs_lua_open_graph(lua_State *L)
{
    create_meta(L);
    lua_pushcfunction(L, l_graph_new);
    lua_setfield(L, -2, "graph");
}

void
rs_lua_push_graph_borrowed(lua_State *L, rs_graph *g)
{
    push_lgraph(L, g, false);
}

void
rs_lua_graph_invalidate(lua_State *L, int idx)
{
    struct rs_lua_graph *gr = luaL_checkudata(L, idx, RS_LUA_GRAPH_MT);
    RS_ASSERT(!gr->owned);
    new_generation(gr);
    gr->g = NULL;
}

rs_graph *
rs_lua_check_graph(lua_State *L, int arg, const char *fn, const char *name)
{
    struct rs_lua_graph *gr = luaL_testudata(L, arg, RS_LUA_GRAPH_MT);
    if (gr == NULL)
        rs_lua_type_error(L, fn, arg, name, "graph");
    check_live(L, gr, fn);
    return gr->g;
}

rs_tensor *
rs_lua_check_graph_tensor(lua_State *L, int arg, const char *fn,
                          const char *name)
{
    return rs_lua_graph_check_gt(L, arg, fn, name)->t;
}

bool
rs_lua_graph_tensor_in(lua_State *L, int arg, int graph_idx)
{
    struct rs_lua_gtensor *x = luaL_testudata(L, arg, RS_LUA_GRAPH_TENSOR_MT);
    return x != NULL && x->gr == lua_touserdata(L, graph_idx) &&
           x->gr->g != NULL && x->gen == x->gr->gen;
}

void
rs_lua_push_graph_tensor(lua_State *L, int graph_idx, rs_tensor *t)
{
    struct rs_lua_graph *gr = luaL_checkudata(L, graph_idx, RS_LUA_GRAPH_MT);
    RS_ASSERT(gr->g != NULL);
    if (t->refs > 0)
        rs_lua_graph_hold_tensor(gr, t);
    push_gt(L, graph_idx, gr, t);
}
