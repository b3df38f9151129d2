/* repscope - MIT licence, see COPYING.
 *
 * t_env_lua.c: rs_lua_env_take, the way a learner's constructor takes the
 * env of its config table: C takes the rs_env of a Lua handle and owns
 * it; the handle then raises "env was given to a learner"; taking it
 * twice, or taking something else, raises an error naming the field.
 * The sanitizers check that the env is freed once.
 */
#include "config.h"

#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "env/env.h"
#include "lua/bind.h"
#include "lua/host.h"
#include "tests/tap.h"

static int
run(lua_State *L, const char *chunk, int nres, struct rs_error *err)
{
    rs_error_clear(err);
    if (luaL_loadstring(L, chunk) != LUA_OK) {
        rs_error_set(err, RS_EFORMAT, "%s", lua_tostring(L, -1));
        lua_pop(L, 1);
        return RS_EFORMAT;
    }
    return rs_lua_call(L, 0, nres, err);
}

/* take(v): rs_lua_env_take on v as field 'env' of rs.rl.ppo; frees the
 * env it got and returns its copies. */
static int
l_take(lua_State *L)
{
    rs_env *e = rs_lua_env_take(L, 1, "rs.rl.ppo", "env");
    lua_pushinteger(L, rs_env_copies(e));
    rs_env_free(e);
    return 1;
}

/* The error of calling take(global name), or "" if it returned. */
static void
take_error(lua_State *L, const char *global, char *msg, size_t len)
{
    lua_pushcfunction(L, l_take);
    lua_getglobal(L, global);
    msg[0] = '\0';
    if (lua_pcall(L, 1, 1, 0) != LUA_OK)
        snprintf(msg, len, "%s", lua_tostring(L, -1));
    lua_pop(L, 1);
}

int
main(void)
{
    tap_plan(9);
    struct rs_error err = {0};
    lua_State *L = rs_lua_new(NULL, &err);
    if (L == NULL)
        tap_bail("rs_lua_new: %s", err.msg);
    if (run(L,
            "local rs = require 'repscope'\n"
            "E = rs.env.cartpole{copies = 2, seed = 4}\n"
            "E:step{0, 1}\n"
            "N = 7\n",
            0, &err) != RS_OK)
        tap_bail("making the env: %s", err.msg);

    lua_getglobal(L, "E");
    rs_env *e = rs_lua_env_take(L, -1, "rs.rl.ppo", "env");
    lua_pop(L, 1);
    tap_ok(e != NULL && rs_env_copies(e) == 2 && rs_env_steps(e) == 2,
           "the taken env is the handle's (2 copies, 2 steps)");
    int act[2] = {1, 1};
    float obs[8], rew[2];
    uint8_t te[2], tr[2];
    struct rs_env_step st = {
        .obs = obs, .reward = rew, .terminated = te, .truncated = tr};
    tap_ok(rs_env_step(e, act, &st, NULL) == RS_OK, "C steps the taken env");

    int rc = run(L, "E:obs()", 0, &err);
    tap_ok(rc != RS_OK && strstr(err.msg, "env:obs: env was given to a "
                                          "learner") != NULL,
           "the handle raises after the take (%s)", err.msg);
    rc = run(L, "assert(tostring(E) == 'env (given to a learner)')", 0, &err);
    tap_ok(rc == RS_OK, "tostring says so (%s)", err.msg);
    rc = run(L, "E:release(); E:release()", 0, &err);
    tap_ok(rc == RS_OK, "release of a given env is a no-op (%s)", err.msg);

    char msg[256];
    take_error(L, "E", msg, sizeof msg);
    tap_is_str(msg, "rs.rl.ppo: bad field 'env' (env was given to a learner)",
               "taking it twice raises, naming the field");
    take_error(L, "N", msg, sizeof msg);
    tap_is_str(msg, "rs.rl.ppo: bad field 'env' (env expected, got number)",
               "taking a number raises");
    if (run(L, "F = require('repscope').env.breakout{}; F:release()", 0,
            &err) != RS_OK)
        tap_bail("making the second env: %s", err.msg);
    take_error(L, "F", msg, sizeof msg);
    tap_is_str(msg,
               "rs.rl.ppo: bad field 'env' (attempt to use a released "
               "env)",
               "taking a released env raises");
    rs_env_free(e);
    rs_lua_free(L);
    tap_ok(true, "the state and the env freed once each");
    return tap_done();
}
