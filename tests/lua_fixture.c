/* repscope - MIT licence, see COPYING.
 *
 * lua_fixture.c: see lua_fixture.h.
 */
#include "config.h"

#include "tests/lua_fixture.h"

#include <lauxlib.h>

#include "lua/host.h"
#include "tests/tap.h"

lua_State *
lua_fixture_state(bool safe, size_t mem_limit, unsigned long long instr_limit,
                  const atomic_bool *cancel)
{
    struct rs_lua_opts o;
    rs_lua_opts_default(&o);
    o.safe = safe;
    o.mem_limit = mem_limit;
    o.instr_limit = instr_limit;
    o.cancel = cancel;
    struct rs_error err = {0};
    lua_State *L = rs_lua_new(&o, &err);
    if (L == NULL)
        tap_diag("rs_lua_new: %s", err.msg);
    return L;
}

int
lua_fixture_run(lua_State *L, const char *code, struct rs_error *err)
{
    if (luaL_loadstring(L, code) != LUA_OK) {
        rs_error_set(err, RS_EFORMAT, "%s", lua_tostring(L, -1));
        lua_pop(L, 1);
        return RS_EFORMAT;
    }
    return rs_lua_call(L, 0, 0, err);
}
