/* repscope - MIT licence, see COPYING.
 *
 * t_lua_match.c: the pattern matcher of lua/host_match.c. Its results and
 * errors against Lua's own string library on random patterns, subjects,
 * start positions and replacements (tests/lua/match_diff.lua); then what
 * it is for: a pattern that would run for hours stops at the instruction
 * cap, in --safe too, and is canceled by the cancel flag or a session's
 * interrupt, where Lua's would hold the worker in one C call. Plain finds
 * are answered by memmem.
 */
#include "config.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "lua/bind.h"
#include "lua/host.h"
#include "tests/lua_fixture.h"
#include "tests/tap.h"

/* Subject and pattern of a find that takes Lua's matcher 22 s (200
 * bytes; hours at 2000): every ".-" retries all the rest. */
#define SLOW_FIND "string.find(('a'):rep(2000), '.-.-.-.-.-b')"

static void
test_against_lua(void)
{
    lua_State *L = lua_fixture_state(false, 0, 0, NULL);
    char *path = tap_srcpath("tests/lua/match_diff.lua");
    struct rs_error err = {0};
    if (luaL_loadfile(L, path) != LUA_OK) {
        tap_ok(false, "load %s: %s", path, lua_tostring(L, -1));
        free(path);
        rs_lua_free(L);
        return;
    }
    free(path);
    /* Lua's own functions: a fresh string library (it also resets the
     * shared string metatable, to a table of Lua's functions: the
     * comparison calls both through their tables, never as methods) */
    lua_pushcfunction(L, luaopen_string);
    lua_call(L, 0, 1);
    lua_pushinteger(L, 20261206);
    /* RS_MATCH_PATTERNS: more for a longer run by hand */
    const char *env = getenv("RS_MATCH_PATTERNS");
    lua_pushinteger(L, env != NULL ? atol(env) : 6000);
    int rc = rs_lua_call(L, 3, 4, &err);
    if (!tap_is_int(rc, RS_OK, "the differential run: %s", err.msg)) {
        rs_lua_free(L);
        return;
    }
    for (int i = 1; i <= 4; i++) {
        int t = i - 5; /* the i-th of 4 results */
        lua_getfield(L, t, "name");
        lua_getfield(L, t - 1, "cases");
        lua_getfield(L, t - 2, "errors");
        lua_getfield(L, t - 3, "mismatches");
        lua_getfield(L, t - 4, "first");
        lua_getfield(L, t - 5, "found");
        long found = (long)lua_tointeger(L, -1);
        lua_pop(L, 1);
        const char *name = lua_tostring(L, -5);
        long cases = (long)lua_tointeger(L, -4);
        long errors = (long)lua_tointeger(L, -3);
        long bad = (long)lua_tointeger(L, -2);
        const char *first = lua_tostring(L, -1);
        tap_ok(cases > 18000 && bad == 0,
               "string.%s: %ld cases (%ld raising the same error), %ld "
               "differ from Lua's%s%s",
               name, cases, errors, bad, first ? "; first: " : "",
               first ? first : "");
        tap_ok(errors > 100 && found > 1000,
               "string.%s: errors compared too (%ld), and matches (%ld)", name,
               errors, found);
        lua_pop(L, 5);
    }
    rs_lua_free(L);
}

static void
test_capped(bool safe)
{
    const char *mode = safe ? "--safe" : "default mode";
    struct rs_error err = {0};
    lua_State *L = lua_fixture_state(safe, 0, 10000000, NULL);
    int rc = lua_fixture_run(L, "local x = " SLOW_FIND, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "instruction limit of "
                                              "10000000 exceeded") != NULL,
           "%s: a runaway pattern stops at the instruction cap: %s", mode,
           err.msg);
    tap_ok(strstr(err.msg, ":1:") != NULL, "%s: naming the line: %s", mode,
           err.msg);
    rc = lua_fixture_run(L,
                         "local ok = pcall(string.gsub, ('a'):rep(2000), "
                         "'.-.-.-.-.-b', '')\nlocal y = 1\n",
                         &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "instruction limit") != NULL,
           "%s: a pcall does not swallow it: %s", mode, err.msg);
    /* the cap is per outermost call: ordinary patterns work again, and
     * pay too (instructions counted in the matcher's steps) */
    rc = lua_fixture_run(
        L,
        "assert(('key = value'):match('^(%w+)%s*=%s*(%w+)$') "
        "== 'key')\n"
        "local n = 0 for w in ('a b c'):gmatch('%a') do n = n + 1 "
        "end assert(n == 3)\n"
        "assert(select(2, ('aXbX'):gsub('X', '-')) == 2)",
        &err);
    tap_is_int(rc, RS_OK, "%s: and ordinary patterns run afterwards%s%s", mode,
               rc == RS_OK ? "" : ": ", rc == RS_OK ? "" : err.msg);
    /* a set is read through at each test: 10^5 positions times a set of
     * 10^5 bytes, where one step per test would count only 10^5 */
    rc = lua_fixture_run(L,
                         "local set = '[' .. ('a'):rep(100000) .. 'b]'\n"
                         "local x = ('c'):rep(100000):find(set)",
                         &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "instruction limit") != NULL,
           "%s: a long set is paid for by its length: %s", mode, err.msg);
    unsigned long long before = rs_lua_ctx(L)->instr_used;
    rc = lua_fixture_run(L, "local a, b = string.find(('a'):rep(60), '.-.-b')",
                         &err);
    tap_ok(rc == RS_OK && rs_lua_ctx(L)->instr_used > 4096,
           "%s: a pattern's steps count as instructions (%llu after, %llu "
           "before)",
           mode, rs_lua_ctx(L)->instr_used, before);
    rs_lua_free(L);
}

static int polls;

static bool
interrupt_after_polls(void *ud)
{
    (void)ud;
    return ++polls > 3;
}

static void
test_canceled(void)
{
    struct rs_error err = {0};
    atomic_bool flag;
    atomic_init(&flag, true);
    lua_State *L = lua_fixture_state(true, 0, 0, &flag);
    int rc = lua_fixture_run(L, "local x = " SLOW_FIND, &err);
    tap_ok(rc == RS_ECANCELED && strstr(err.msg, "canceled") != NULL,
           "the cancel flag stops a runaway pattern: %s", err.msg);
    rs_lua_free(L);

    /* a session's interrupt, polled from inside the matcher: a few
     * polls pass (the Lua code before the call polls none), then the
     * interrupt is set */
    L = lua_fixture_state(false, 0, 0, NULL);
    rs_lua_ctx(L)->sink.interrupted = interrupt_after_polls;
    polls = 0;
    rc = lua_fixture_run(L, "local x = " SLOW_FIND, &err);
    tap_ok(rc == RS_ECANCELED && polls == 4,
           "a session's interrupt stops it (polled %d times): %s", polls,
           err.msg);
    rs_lua_free(L);
}

static void
test_plain(void)
{
    struct rs_error err = {0};
    lua_State *L = lua_fixture_state(true, 0, 10000000, NULL);
    /* Lua's plain find compares the needle at every position: quadratic */
    int rc = lua_fixture_run(
        L,
        "local s = ('a'):rep(1000000)\n"
        "assert(s:find(('a'):rep(500000) .. 'b', 1, true) == nil)\n"
        "local i, j = (s .. 'b'):find(('a'):rep(500000) .. 'b', 1, true)\n"
        "assert(i == 500001 and j == 1000001, tostring(i) .. ' ' .. "
        "tostring(j))\n"
        "assert(s:find('', 1000001, true) == 1000001)\n"
        "assert(s:find('', 1000002, true) == nil)\n"
        "assert(('a.b'):find('.', 1, true) == 2)\n"
        "assert(('a.b'):find('.b') == 2)\n",
        &err);
    tap_is_int(rc, RS_OK, "plain finds of a 500,000-byte needle: %s", err.msg);
    rs_lua_free(L);
}

int
main(void)
{
    tap_plan_lazy();
    test_against_lua();
    test_capped(false);
    test_capped(true);
    test_canceled();
    test_plain();
    return tap_done();
}
