/* repscope - MIT licence, see COPYING.
 *
 * t_lua_graph.c: a graph lent to Lua from C, the way an objective written
 * in Lua is called: C builds the batch on its own graph, lends the graph
 * to a Lua function loss(g, x, w) for one call, takes the loss graph
 * tensor back, runs backward itself, then invalidates the handle. Checks
 * the loss and gradient against the closed form, that handles kept past
 * the callback raise, and that a lent graph refuses g:reset().
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "core/graph.h"
#include "core/tensor.h"
#include "lua/bind.h"
#include "lua/host.h"
#include "tests/tap.h"

/* loss = sum((x * w)^2) / 2, and the graph tensors kept in a global */
static const char code[] = "local rs = require 'repscope'\n"
                           "kept = {}\n"
                           "return function(g, x, w)\n"
                           "  local p = g:param(w)\n"
                           "  local l = (x * p):square():sum() / 2\n"
                           "  kept.g, kept.l = g, l\n"
                           "  return l\n"
                           "end\n";

static int
run(lua_State *L, const char *chunk, struct rs_error *err)
{
    if (luaL_loadstring(L, chunk) != LUA_OK) {
        rs_error_set(err, RS_EFORMAT, "%s", lua_tostring(L, -1));
        lua_pop(L, 1);
        return RS_EFORMAT;
    }
    return rs_lua_call(L, 0, 0, err);
}

int
main(void)
{
    tap_plan(11);
    struct rs_error err = {0};
    lua_State *L = rs_lua_new(NULL, &err);
    if (L == NULL)
        tap_bail("rs_lua_new: %s", err.msg);
    if (luaL_loadstring(L, code) != LUA_OK ||
        rs_lua_call(L, 0, 1, &err) != RS_OK)
        tap_bail("loading the loss: %s", err.msg);
    int fn = lua_gettop(L);

    rs_tensor *w = rs_tensor_new_param(1, (int[]){3}, &err);
    const float wv[3] = {1.0f, -2.0f, 0.5f}, xv[3] = {2.0f, 1.0f, 4.0f};
    memcpy(w->data, wv, sizeof wv);
    rs_graph *g = rs_graph_new();
    rs_tensor *x = rs_graph_input(g, 1, (int[]){3}, xv);

    rs_lua_push_graph_borrowed(L, g); /* fn g */
    int gi = lua_gettop(L);
    lua_pushvalue(L, fn);
    lua_pushvalue(L, gi);
    rs_lua_push_graph_tensor(L, gi, x);
    rs_lua_push_tensor(L, w); /* fn g fn g x w */
    tap_is_int(rs_lua_call(L, 3, 1, &err), RS_OK, "the loss runs: %s", err.msg);
    tap_ok(rs_lua_graph_tensor_in(L, -1, gi), "it hands back a tensor of g");
    tap_ok(!rs_lua_graph_tensor_in(L, gi, gi), "a graph is not a tensor");
    rs_tensor *loss = rs_lua_check_graph_tensor(L, -1, "test", "loss");
    /* sum((x w)^2) / 2 = (4 + 4 + 4) / 2 */
    tap_is_float((double)loss->data[0], 6.0, 1e-6, 0, "the loss value");
    tap_is_int(rs_graph_backward(g, loss, &err), RS_OK, "C runs backward");
    /* d/dw = x^2 w */
    const float want[3] = {4.0f, -2.0f, 8.0f};
    tap_is_floats(w->grad, want, 3, 1e-6, 0, "the parameter's gradient");
    lua_pop(L, 1);
    rs_lua_graph_invalidate(L, gi);
    lua_pop(L, 1);
    rs_graph_reset(g);

    tap_is_int(run(L, "return kept.l:item()", &err), RS_EINVAL,
               "a kept tensor raises after the callback");
    tap_ok(strstr(err.msg, "graph_tensor:item: attempt to use a graph after "
                           "the callback that lent it returned") != NULL,
           "saying why: %s", err.msg);
    tap_is_int(run(L, "return kept.g:input(1)", &err), RS_EINVAL,
               "so does the kept graph");

    rs_lua_push_graph_borrowed(L, g);
    lua_setglobal(L, "lent");
    tap_is_int(run(L, "lent:reset()", &err), RS_EINVAL,
               "a lent graph refuses reset");
    tap_ok(strstr(err.msg, "graph:reset: a graph lent by a callback is reset "
                           "by its owner") != NULL,
           "saying why: %s", err.msg);

    rs_lua_free(L);
    rs_graph_free(g);
    rs_tensor_release(w);
    return tap_done();
}
