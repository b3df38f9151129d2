/* repscope - MIT licence, see COPYING.
 *
 * t_lua_sandbox.c: the Lua host's limits from C, in both modes: the
 * memory cap (the default mode's from physical memory, --lua-mem's
 * RS_LUA_MEM_NONE, a memory error as RS_ENOMEM with the state usable
 * afterwards, tensors counted and absurd ones refused before they are
 * allocated), runaway code in coroutines (cancel flag, instruction cap,
 * a session's interrupt polled through the sink), and what --safe refuses
 * that only C can see (the __gc finalizer, the safe path of require,
 * the files repscope's readers may open: rs_lua_path_allowed).
 * tests/lua/t_sandbox.lua has the list of escapes run under --safe.
 */
#include "config.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>

#include "lua/bind.h"
#include "lua/host.h"
#include "tests/lua_fixture.h"
#include "tests/tap.h"

static void
test_default_cap(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    size_t ram = (size_t)pages * (size_t)psize;
    size_t def = rs_lua_default_mem();
    tap_ok(def >= RS_LUA_SAFE_MEM_LIMIT && def <= ram / 2 + 1,
           "default cap %zu MiB: half of at most %zu MiB, >= 256 MiB",
           def >> 20, ram >> 20);
    lua_State *L = lua_fixture_state(false, 0, 0, NULL);
    tap_ok(rs_lua_ctx(L)->mem_limit == def, "a default state gets it");
    rs_lua_free(L);
    L = lua_fixture_state(true, 0, 0, NULL);
    tap_ok(rs_lua_ctx(L)->mem_limit == RS_LUA_SAFE_MEM_LIMIT,
           "a safe state gets 256 MiB");
    rs_lua_free(L);
    L = lua_fixture_state(false, RS_LUA_MEM_NONE, 0, NULL);
    tap_ok(rs_lua_ctx(L)->mem_limit == 0, "RS_LUA_MEM_NONE: no cap");
    rs_lua_free(L);
}

/* The same bombs in default and safe mode under a 32 MiB cap. */
static void
test_bombs(bool safe)
{
    const char *mode = safe ? "safe" : "default";
    lua_State *L = lua_fixture_state(safe, (size_t)32 << 20, 0, NULL);
    struct rs_error err = {0};
    int rc = lua_fixture_run(L, "local t = {} for i = 1, 1e9 do t[i] = {i} end",
                             &err);
    tap_is_int(rc, RS_ENOMEM, "%s: a table bomb is RS_ENOMEM", mode);
    tap_is_str(err.msg,
               "not enough memory (the memory limit is 32 MiB: --lua-mem)",
               "%s: its message names the cap", mode);
    rc = lua_fixture_run(L, "local s = string.rep('x', 1 << 30)", &err);
    tap_is_int(rc, RS_ENOMEM, "%s: string.rep of 1 GiB", mode);
    rc = lua_fixture_run(L,
                         "local rs = require 'repscope'\n"
                         "local t = rs.tensor.zeros{100000, 100000}",
                         &err);
    tap_is_int(rc, RS_ENOMEM, "%s: a 40 GB tensor is RS_ENOMEM", mode);
    tap_ok(strstr(err.msg, ":2: rs.tensor.zeros: not enough memory (a "
                           "tensor of 38146 MiB; the memory limit is 32 "
                           "MiB") != NULL,
           "%s: message: %s", mode, err.msg);
    rc = lua_fixture_run(
        L,
        "local rs = require 'repscope'\n"
        "collectgarbage('stop')\n"
        "local keep = {}\n"
        "for i = 1, 100 do keep[i] = rs.tensor.ones{1000, 1000} "
        "end",
        &err);
    tap_is_int(rc, RS_ENOMEM, "%s: tensors kept past the cap", mode);
    tap_ok(rs_lua_ctx(L)->ext_live <= (size_t)32 << 20,
           "%s: what tensors hold stays under the cap (%zu)", mode,
           rs_lua_ctx(L)->ext_live);
    rc = lua_fixture_run(L, "collectgarbage('restart') collectgarbage()", &err);
    tap_ok(rc == RS_OK && rs_lua_ctx(L)->ext_live == 0,
           "%s: collected, nothing counted (%zu)", mode,
           rs_lua_ctx(L)->ext_live);
    rc = lua_fixture_run(L,
                         "local rs = require 'repscope'\n"
                         "local s = 0 for i = 1, 50 do\n"
                         "  s = s + rs.tensor.ones{1000, 1000}:sum()\n"
                         "end assert(s == 5e7)",
                         &err);
    tap_is_int(rc, RS_OK, "%s: the state works after the errors %s", mode,
               rc != RS_OK ? err.msg : "");
    rs_lua_free(L);
}

/* The default cap itself refuses an absurd tensor (nothing allocated). */
static void
test_default_tensor(void)
{
    lua_State *L = lua_fixture_state(false, 0, 0, NULL);
    struct rs_error err = {0};
    int rc = lua_fixture_run(L,
                             "local rs = require 'repscope'\n"
                             "local t = rs.tensor.zeros{65536, 65536, 64}",
                             &err);
    tap_is_int(rc, RS_ENOMEM, "default cap: a 1 TiB tensor is refused");
    tap_ok(strstr(err.msg, "not enough memory") != NULL, "%s", err.msg);
    rs_lua_free(L);
}

static bool
sink_interrupted(void *ud)
{
    return atomic_load((atomic_bool *)ud);
}

static void
test_coroutines(void)
{
    struct rs_error err = {0};
    atomic_bool flag;
    atomic_init(&flag, true);
    lua_State *L = lua_fixture_state(true, 0, 0, &flag);
    int rc =
        lua_fixture_run(L,
                        "local co = coroutine.wrap(function() while true do "
                        "end end) co()",
                        &err);
    tap_is_int(rc, RS_ECANCELED, "a loop in a coroutine is canceled");
    rc = lua_fixture_run(L,
                         "while true do\n"
                         "  pcall(coroutine.wrap(function() while true do end "
                         "end))\n"
                         "  coroutine.resume(coroutine.create(function() while "
                         "true do end end))\n"
                         "end",
                         &err);
    tap_is_int(rc, RS_ECANCELED,
               "coroutines that swallow the error: still canceled");
    rs_lua_free(L);

    L = lua_fixture_state(true, 0, 1000000, NULL);
    rc = lua_fixture_run(
        L,
        "local co = coroutine.wrap(function() while true do end "
        "end)\nco()",
        &err);
    tap_ok(rc == RS_EINVAL &&
               strstr(err.msg, "instruction limit of 1000000 exceeded"),
           "the instruction cap holds in a coroutine: %s", err.msg);
    rc = lua_fixture_run(
        L,
        "for i = 1, 1e9 do\n"
        "  coroutine.resume(coroutine.create(function() for j = 1, "
        "100 do end end))\nend",
        &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "instruction limit"),
           "and over many short coroutines: %s", err.msg);
    rs_lua_free(L);

    /* a session's interrupt (console ctrl-c, a second quit) is polled
     * through the sink */
    atomic_store(&flag, false);
    L = lua_fixture_state(false, 0, 0, NULL);
    rs_lua_ctx(L)->sink.ud = &flag;
    rs_lua_ctx(L)->sink.interrupted = sink_interrupted;
    rc =
        lua_fixture_run(L, "local s = 0 for i = 1, 1e6 do s = s + i end", &err);
    tap_is_int(rc, RS_OK, "the sink's interrupt: runs while clear");
    atomic_store(&flag, true);
    rc = lua_fixture_run(L, "while true do end", &err);
    tap_is_int(rc, RS_ECANCELED, "and a runaway loop stops when it is set");
    tap_ok(strstr(err.msg, "canceled") != NULL, "%s", err.msg);
    atomic_store(&flag, false);
    rc =
        lua_fixture_run(L, "local s = 0 for i = 1, 1e6 do s = s + i end", &err);
    tap_is_int(rc, RS_OK, "and runs again once it is clear");
    rs_lua_free(L);
}

static void
test_safe_only(void)
{
    struct rs_error err = {0};
    lua_State *L = lua_fixture_state(true, 0, 0, NULL);
    int rc =
        lua_fixture_run(L,
                        "setmetatable({}, {__gc = function() while true do "
                        "end end})",
                        &err);
    tap_is_int(rc, RS_EINVAL, "safe: a __gc finalizer is refused");
    tap_ok(strstr(err.msg, "setmetatable: a __gc metamethod is not allowed") !=
               NULL,
           "%s", err.msg);
    rc = lua_fixture_run(L, "return os.getenv('HOME')", &err);
    tap_is_str(err.msg,
               "[string \"return os.getenv('HOME')\"]:1: os.getenv is not "
               "available in --safe mode",
               "the refusal names the line");
    tap_ok(rs_lua_ctx(L)->safe_path != NULL &&
               strstr(rs_lua_ctx(L)->safe_path, "/lua/?.lua") != NULL,
           "require's path is kept in C: %s",
           rs_lua_ctx(L)->safe_path ? rs_lua_ctx(L)->safe_path : "(null)");
    rs_lua_free(L);
    /* the default mode keeps the full library */
    L = lua_fixture_state(false, 0, 0, NULL);
    rc = lua_fixture_run(
        L,
        "assert(io.open and os.getenv and string.dump and debug)\n"
        "setmetatable({}, {__gc = function() end})\n"
        "assert(type(getmetatable('')) == 'table')\n"
        "local rs = require 'repscope'\n"
        "for i = 1, 5000 do rs.log('n' .. i, 1) end",
        &err);
    tap_is_int(rc, RS_OK,
               "default: io, os, string.dump, debug, __gc, 5000 names %s",
               rc != RS_OK ? err.msg : "");
    rs_lua_free(L);
}

/* rs_lua_path_allowed: the scene's directory, resolved, and nothing
 * a symbolic link or a climb leads out to. */
static void
test_paths(void)
{
    char dir[] = "/tmp/rs-sandbox.XXXXXX";
    if (mkdtemp(dir) == NULL) {
        tap_skip(5, "mkdtemp failed");
        return;
    }
    char scene[64], file[64], link[64], up[80];
    snprintf(scene, sizeof scene, "%s/scene.lua", dir);
    snprintf(file, sizeof file, "%s/data.txt", dir);
    snprintf(link, sizeof link, "%s/escape", dir);
    /* "<dir>/<up><up>etc/passwd", the climb spelled in pieces:
     * tests/sh/t_paths.sh reads this file */
    const char *climb = "..";
    snprintf(up, sizeof up, "%s/%s/%s/etc/passwd", dir, climb, climb);
    FILE *f = fopen(file, "w");
    if (f != NULL) {
        fputs("text\n", f);
        fclose(f);
    }
    tap_ok(symlink("/etc/passwd", link) == 0, "a symbolic link out");
    lua_State *L = lua_fixture_state(true, 0, 0, NULL);
    struct rs_lua_ctx *c = rs_lua_ctx(L);
    snprintf(c->scene_path, sizeof c->scene_path, "%s", scene);
    tap_ok(rs_lua_path_allowed(L, file), "safe: a file beside the scene");
    tap_ok(!rs_lua_path_allowed(L, link), "safe: not a link out of it");
    tap_ok(!rs_lua_path_allowed(L, up), "safe: not a climb out of it");
    tap_ok(!rs_lua_path_allowed(L, "/etc/passwd"), "safe: not elsewhere");
    rs_lua_free(L);
    L = lua_fixture_state(false, 0, 0, NULL);
    tap_ok(rs_lua_path_allowed(L, "/etc/passwd"), "default: anywhere");
    rs_lua_free(L);
    unlink(link);
    unlink(file);
    rmdir(dir);
}

int
main(void)
{
    setenv("RS_DATADIR", getenv("RS_SRCDIR") ? getenv("RS_SRCDIR") : ".", 0);
    test_default_cap();
    test_bombs(false);
    test_bombs(true);
    test_default_tensor();
    test_coroutines();
    test_safe_only();
    test_paths();
    return tap_done();
}
