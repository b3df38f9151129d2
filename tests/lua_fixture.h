/* repscope - MIT licence, see COPYING.
 *
 * lua_fixture.h: what the C tests of the Lua host share: a state with
 * given limits, and a chunk of Lua source run in it as the host runs
 * scene code (rs_lua_call: caps, cancel, errors as rs_error).
 */
#ifndef RS_TESTS_LUA_FIXTURE_H
#define RS_TESTS_LUA_FIXTURE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include <lua.h>

#include "core/base.h"

/* A new state (--safe or not) with the memory cap, instruction cap and
 * cancel flag given (0 / NULL: the defaults); NULL after a diagnostic if
 * it cannot be made. */
lua_State *lua_fixture_state(bool safe, size_t mem_limit,
                             unsigned long long instr_limit,
                             const atomic_bool *cancel);
/* Compile code and run it with no arguments and no results: RS_OK, or
 * RS_EFORMAT for a syntax error, or rs_lua_call's code, with err set. */
int lua_fixture_run(lua_State *L, const char *code, struct rs_error *err);

#endif /* RS_TESTS_LUA_FIXTURE_H */
