/* repscope - MIT licence, see COPYING.
 *
 * fuzz_match.c: the pattern matcher of lua/host_match.c against Lua's own
 * (a differential harness). The input: a byte that picks the function
 * (find, plain find, match, gmatch, gsub with the template, a table or a
 * function) and the start position, then pattern, subject and template
 * separated by 0x1e bytes. Both libraries run the same call in the same
 * state; the values they give (or the error they raise) are written out
 * as text and must be equal. Ours runs first under an instruction cap of
 * 10^6 steps: a pattern it stops there would hold Lua's for as long (the
 * very case it exists for), so Lua's is not run then.
 */
#include "config.h"

#include "tests/fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "core/base.h"
#include "lua/host.h"

/* run(lib, op, init, pattern, subject, template) -> the results as text */
static const char run_src[] =
    "local lib, op, init, p, s, t = ...\n"
    "local out = {}\n"
    "local function put(ok, ...)\n"
    "  out[#out + 1] = tostring(ok)\n"
    "  for i = 1, select('#', ...) do\n"
    "    local v = select(i, ...)\n"
    "    out[#out + 1] = math.type(v) or type(v)\n"
    "    out[#out + 1] = type(v) == 'string' and string.format('%q', v)\n"
    "      or tostring(v)\n"
    "  end\n"
    "end\n"
    "local repl = ({t, {a = 'A', b = false, ['('] = 1.5, [1] = 'one'},\n"
    "  function(...) return select('#', ...) .. tostring((...)) end})\n"
    "  [op - 3]\n"
    "if op == 0 then put(pcall(lib.find, s, p, init))\n"
    "elseif op == 1 then put(pcall(lib.find, s, p, init, true))\n"
    "elseif op == 2 then put(pcall(lib.match, s, p, init))\n"
    "elseif op == 3 then\n"
    "  put(pcall(function()\n"
    "    local it = lib.gmatch(s, p, init)\n"
    "    for _ = 1, 40 do\n"
    "      local r = table.pack(it())\n"
    "      if r[1] == nil then break end\n"
    "      put(true, table.unpack(r, 1, r.n))\n"
    "    end\n"
    "  end))\n"
    "else put(pcall(lib.gsub, s, p, repl, init >= 0 and init or nil)) end\n"
    "return table.concat(out, ' ')\n";

static lua_State *L;
static int run_ref, real_ref;

static void
setup(void)
{
    struct rs_lua_opts o;
    rs_lua_opts_default(&o);
    o.mem_limit = (size_t)64 << 20;
    o.instr_limit = 1000000;
    o.datadir = RS_FUZZ_SRCDIR;
    struct rs_error err = {0};
    L = rs_lua_new(&o, &err);
    CHECK(L != NULL);
    CHECK(luaL_loadstring(L, run_src) == LUA_OK);
    run_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushcfunction(L, luaopen_string); /* Lua's own functions */
    lua_call(L, 0, 1);
    real_ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

/* Run the call with lib (a registry ref, or the global string table if
 * LUA_NOREF); the text, or NULL when it stopped at the cap. */
static char *
run(int lib, int op, lua_Integer init, const char *parts[3],
    const size_t lens[3])
{
    lua_rawgeti(L, LUA_REGISTRYINDEX, run_ref);
    if (lib == LUA_NOREF)
        lua_getglobal(L, "string");
    else
        lua_rawgeti(L, LUA_REGISTRYINDEX, lib);
    lua_pushinteger(L, op);
    lua_pushinteger(L, init);
    for (int i = 0; i < 3; i++)
        lua_pushlstring(L, parts[i], lens[i]);
    struct rs_error err = {0};
    int rc = rs_lua_call(L, 6, 1, &err);
    if (rc != RS_OK) {
        /* only the cap may stop the driver (or memory, on a bomb) */
        CHECK(strstr(err.msg, "instruction limit") != NULL || rc == RS_ENOMEM);
        return NULL;
    }
    size_t n;
    const char *s = lua_tolstring(L, -1, &n);
    char *copy = rs_xmalloc(n + 1);
    memcpy(copy, s, n + 1);
    lua_pop(L, 1);
    return copy;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (L == NULL)
        setup();
    if (size < 2)
        return 0;
    int op = data[0] % 7;
    lua_Integer init = (int8_t)data[1];
    const char *parts[3] = {"", "", ""};
    size_t lens[3] = {0, 0, 0};
    const char *at = (const char *)data + 2, *end = (const char *)data + size;
    for (int i = 0; i < 3 && at <= end; i++) {
        const char *sep = i < 2 ? memchr(at, 0x1e, (size_t)(end - at)) : NULL;
        parts[i] = at;
        lens[i] = (size_t)((sep ? sep : end) - at);
        if (sep == NULL)
            break;
        at = sep + 1;
    }
    char *mine = run(LUA_NOREF, op, init, parts, lens);
    if (mine == NULL)
        return 0;
    char *real = run(real_ref, op, init, parts, lens);
    CHECK(real != NULL);
    if (strcmp(mine, real) != 0) {
        fprintf(stderr, "fuzz_match: Lua gives %s\nrepscope gives %s\n", real,
                mine);
        CHECK(!"the same results");
    }
    free(mine);
    free(real);
    return 0;
}
