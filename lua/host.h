/* repscope - MIT licence, see COPYING.
 *
 * host.h: the Lua 5.4 host (doc/design.md, "The Lua host") and the entry
 * points main.c uses:
 *   - rs_lua_new/free: a lua_State with the repscope modules in
 *     package.preload (`require "repscope"` returns the umbrella table),
 *     the standard library (or, with safe, the restricted set: base,
 *     table, string, math, utf8, coroutine, os.clock/time/date; no io,
 *     debug, dofile/loadfile, package.loadlib or C searchers), text-only
 *     chunks, a counting allocator with a cap that also counts the
 *     tensors made for Lua, and a count hook that raises "canceled"
 *     while *cancel is set or the sink says interrupted, or once an
 *     outermost call has run instr_limit instructions (re-armed per line
 *     so a pcall cannot swallow it);
 *   - rs_lua_scene_driver: load a scene, apply --set overrides and fill a
 *     struct rs_session_driver (lua/l_scene.c);
 *   - rs_lua_scene_info: title and default steps of a scene (--list);
 *   - rs_lua_run_test: `repscope --test FILE` (lua/l_test.c).
 * package.path is the builtin directory ($RS_DATADIR/lua if set, else
 * RS_PKGDATADIR/lua) plus the scene's directory. This header does not
 * include <lua.h>: main.c sees only these functions.
 * Threads: a lua_State and everything made from it belong to one thread
 * (the session's worker); only *cancel may be set from another.
 */
#ifndef RS_LUA_HOST_H
#define RS_LUA_HOST_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base.h"
#include "run/session.h"

struct lua_State;

/* The memory cap of a safe state given mem_limit 0. */
#define RS_LUA_SAFE_MEM_LIMIT ((size_t)256 << 20)
/* mem_limit for no cap at all. */
#define RS_LUA_MEM_NONE SIZE_MAX

struct rs_lua_opts {
    bool safe;                 /* --safe: the restricted library set */
    size_t mem_limit;          /* cap in bytes on the Lua heap plus the
                                  tensors made for Lua; 0: the mode's
                                  default (safe: RS_LUA_SAFE_MEM_LIMIT,
                                  else rs_lua_default_mem()),
                                  RS_LUA_MEM_NONE: none */
    const char *datadir;       /* parent of the builtin lua/ dir; NULL:
                                  $RS_DATADIR, else RS_PKGDATADIR */
    const atomic_bool *cancel; /* may be NULL; see above */
    unsigned long long instr_limit; /* VM instructions one outermost
                                       rs_lua_call may run, 0: no cap;
                                       counted in steps of 10000 */
};

/* Defaults: not safe, the default memory cap, no instruction cap,
 * datadir NULL, no cancel flag. */
void rs_lua_opts_default(struct rs_lua_opts *o);
/* The default mode's memory cap: half the physical memory (or of the
 * cgroup's limit when that is smaller), at least RS_LUA_SAFE_MEM_LIMIT.
 * Past it a scene gets "not enough memory" instead of the OOM killer. */
size_t rs_lua_default_mem(void);

/* A new state; NULL + err if it cannot be created. */
struct lua_State *rs_lua_new(const struct rs_lua_opts *o, struct rs_error *err);
/* Close the state and free the host context. NULL is a no-op. */
void rs_lua_free(struct lua_State *L);
/* Bytes of Lua heap in use (the counting allocator). */
size_t rs_lua_mem(struct lua_State *L);
/* Add dir to the front of package.path ("dir/?.lua;dir/?/init.lua"). */
void rs_lua_add_path(struct lua_State *L, const char *dir);

/* Load and run the scene file path in its own guarded environment (reads
 * of undefined globals and writes of new globals raise), validate what it
 * returns (repscope.scene) and push the scene table. Errors: RS_EIO when
 * the file cannot be read, RS_EFORMAT for a syntax error or a value that
 * is not a scene, RS_EINVAL for an error raised while the file runs
 * (rs.scene's own validation included); err->msg is "file:line: message"
 * ("file: message" when Lua knows no line, as inside `return
 * rs.scene{...}`, a tail call). */
RS_NODISCARD int rs_lua_load_scene(struct lua_State *L, const char *path,
                                   struct rs_error *err);
/* lua_pcall with a traceback message handler below the function. On an
 * error err->msg holds the message (its first line: "file:line: msg"),
 * the traceback goes to the sink's print, nothing is left on the stack,
 * and the result is RS_EINVAL (RS_ECANCELED when canceled, RS_ENOMEM on
 * a memory error; RS_EINVAL with "instruction limit ... exceeded" past
 * instr_limit). */
RS_NODISCARD int rs_lua_call(struct lua_State *L, int nargs, int nres,
                             struct rs_error *err);

/* ---- scenes (lua/l_scene.c) -------------------------------------------- */

struct rs_lua_scene_info {
    char name[64];   /* file stem ("demo_mlp") */
    char title[128]; /* the scene's title ("" if none) */
    long steps;      /* the scene's default step count, -1 if none */
    char notes[512]; /* the scene's notes, truncated */
};

/* Title, steps and notes of the scene at path, loaded in safe mode (for
 * `repscope --list`). RS_OK, or an error as rs_lua_load_scene. */
RS_NODISCARD int rs_lua_scene_info(const char *path,
                                   struct rs_lua_scene_info *info,
                                   struct rs_error *err);

/* Load the scene at path with options o (may be NULL: defaults), apply
 * the overrides ("key=value" strings, n of them: numbers parsed, true /
 * false for booleans, strings as-is; an unknown key is an error that
 * lists the known ones) and fill *out with a driver owning the state
 * (out->free releases it). info (may be NULL) gets the scene's info.
 * Nothing is built until out->setup. On error nothing is allocated. */
RS_NODISCARD int
rs_lua_scene_driver(const char *path, const char *const *overrides, int n,
                    const struct rs_lua_opts *o, struct rs_session_driver *out,
                    struct rs_lua_scene_info *info, struct rs_error *err);

/* ---- tests (lua/l_test.c) ---------------------------------------------- */

/* Run the Lua test file path with the `tap` module preloaded, TAP on
 * stdout, in a state made with o (may be NULL: defaults; --safe and
 * --lua-mem apply). Returns the process exit status: 0 when every test
 * passed and the plan matched, 1 otherwise (a load error or an uncaught
 * error prints "Bail out!"). */
int rs_lua_run_test(const char *path, const struct rs_lua_opts *o);

#endif /* RS_LUA_HOST_H */
