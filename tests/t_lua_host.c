/* repscope - MIT licence, see COPYING.
 *
 * t_lua_host.c: the Lua host from C: the cancellation hook (a runaway
 * loop stops with RS_ECANCELED, also inside pcall, and the state works
 * again once the flag is cleared), the instruction cap (per outermost
 * call, not swallowed by pcall, the budget renewed by the next call),
 * rs_lua_call's error split (first line
 * in err, traceback to the sink), scene loading errors with their status
 * codes, rs_lua_scene_info (what `repscope --list` shows) and
 * rs_lua_scene_driver's parameter errors.
 */
#include "config.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "lua/bind.h"
#include "lua/host.h"
#include "tests/lua_fixture.h"
#include "tests/tap.h"

static char printed[4096];

static void
capture(void *ud, const char *text)
{
    (void)ud;
    snprintf(printed, sizeof printed, "%s", text);
}

static void
test_cancel(void)
{
    atomic_bool flag;
    atomic_init(&flag, true);
    struct rs_lua_opts o;
    rs_lua_opts_default(&o);
    o.cancel = &flag;
    struct rs_error err = {0};
    lua_State *L = rs_lua_new(&o, &err);
    tap_ok(L != NULL, "state with a cancel flag");
    int rc = lua_fixture_run(L, "while true do end", &err);
    tap_is_int(rc, RS_ECANCELED, "a runaway loop is canceled");
    tap_ok(strstr(err.msg, "canceled") != NULL, "message says canceled: %s",
           err.msg);
    rc =
        lua_fixture_run(L,
                        "for i = 1, 1000 do pcall(function() while true do end "
                        "end) end\nwhile true do end",
                        &err);
    tap_is_int(rc, RS_ECANCELED, "pcall cannot swallow the cancellation");
    atomic_store(&flag, false);
    rc = lua_fixture_run(L, "local s = 0 for i = 1, 100000 do s = s + i end",
                         &err);
    tap_is_int(rc, RS_OK, "runs again once the flag is clear");
    rs_lua_free(L);
}

static void
test_instr_limit(void)
{
    struct rs_lua_opts o;
    rs_lua_opts_default(&o);
    o.instr_limit = 1000000;
    struct rs_error err = {0};
    lua_State *L = rs_lua_new(&o, &err);
    tap_ok(L != NULL, "state with an instruction cap");
    int rc = lua_fixture_run(L, "while true do end", &err);
    tap_is_int(rc, RS_EINVAL, "a runaway loop passes the cap");
    tap_is_str(err.msg,
               "[string \"while true do end\"]:1: instruction "
               "limit of 1000000 exceeded",
               "message names the cap");
    rc =
        lua_fixture_run(L,
                        "for i = 1, 1000 do pcall(function() while true do end "
                        "end) end",
                        &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "instruction limit") != NULL,
           "pcall cannot swallow it: %s", err.msg);
    /* about 4 instructions per iteration: 100000 iterations fit, and the
     * budget is per outermost call, so ten such calls all pass */
    bool all = true;
    for (int i = 0; i < 10; i++)
        all &=
            lua_fixture_run(L, "local s = 0 for i = 1, 100000 do s = s + i end",
                            &err) == RS_OK;
    tap_ok(all, "each call gets the whole budget");
    rc = lua_fixture_run(L, "local s = 0 for i = 1, 1000000 do s = s + i end",
                         &err);
    tap_is_int(rc, RS_EINVAL, "a call over budget stops");
    rs_lua_free(L);
}

static void
test_call_errors(void)
{
    struct rs_error err = {0};
    lua_State *L = rs_lua_new(NULL, &err);
    rs_lua_ctx(L)->sink.print = capture;
    int rc = lua_fixture_run(L,
                             "local function f() error('deep trouble') end\n"
                             "f()",
                             &err);
    tap_is_int(rc, RS_EINVAL, "a Lua error is RS_EINVAL");
    tap_is_str(err.msg,
               "[string \"local function f() error('deep "
               "trouble') end...\"]:1: deep trouble",
               "err holds the first line");
    tap_ok(strstr(printed, "stack traceback:") != NULL,
           "the traceback went to the sink");
    tap_is_int(lua_gettop(L), 0, "nothing left on the stack");
    rc = lua_fixture_run(L,
                         "error(setmetatable({}, {__tostring = function() "
                         "return 'custom' end}))",
                         &err);
    tap_is_str(err.msg, "custom", "error objects with __tostring");
    rc = lua_fixture_run(L, "error({})", &err);
    tap_is_str(err.msg, "(error object is a table value)",
               "other error objects");
    rs_lua_free(L);
}

static void
test_scenes(void)
{
    char *demo = tap_srcpath("scenes/demo_mlp.lua");
    char *tiny = tap_srcpath("tests/data/scenes/tiny.lua");
    char *syntax = tap_srcpath("tests/data/scenes/syntax_error.lua");
    struct rs_lua_scene_info info;
    struct rs_error err = {0};
    tap_is_int(rs_lua_scene_info(demo, &info, &err), RS_OK, "info of demo");
    tap_is_str(info.name, "demo_mlp", "name is the file stem");
    tap_is_str(info.title, "MLP learns (a + b) mod p", "title");
    tap_is_int(info.steps, 5000, "default steps");
    tap_ok(strncmp(info.notes, "Train accuracy", 14) == 0, "notes");
    tap_is_int(rs_lua_scene_info(syntax, &info, &err), RS_EFORMAT,
               "a syntax error is RS_EFORMAT");
    tap_ok(strstr(err.msg, "syntax_error.lua:5:") != NULL, "with file:line");
    tap_is_int(rs_lua_scene_info("/nonexistent/x.lua", &info, &err), RS_EIO,
               "a missing file is RS_EIO");

    struct rs_session_driver drv;
    const char *bad[] = {"width=wide"};
    tap_is_int(rs_lua_scene_driver(tiny, bad, 1, NULL, &drv, NULL, &err),
               RS_EINVAL, "a bad --set value is refused");
    tap_is_str(err.msg, "param 'width': 'wide' is not a number",
               "naming the param");
    const char *good[] = {"width=8", "depth=1"};
    tap_is_int(rs_lua_scene_driver(tiny, good, 2, NULL, &drv, &info, &err),
               RS_OK, "driver with overrides");
    tap_is_str(info.title, "tiny", "driver fills info");
    char *pj = drv.params_json(drv.ud);
    tap_is_str(pj,
               "{\"bias\":true,\"clip\":0.0,\"depth\":1,\"lr\":0.01,"
               "\"norm\":\"none\",\"p\":11,\"width\":8}",
               "params_json");
    free(pj);
    tap_ok(drv.mem_bytes(drv.ud) > 0, "mem_bytes");
    drv.free(drv.ud);
    free(demo);
    free(tiny);
    free(syntax);
}

int
main(void)
{
    setenv("RS_DATADIR", getenv("RS_SRCDIR") ? getenv("RS_SRCDIR") : ".", 0);
    test_cancel();
    test_instr_limit();
    test_call_errors();
    test_scenes();
    return tap_done();
}
