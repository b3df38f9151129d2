/* repscope - MIT licence, see COPYING.
 *
 * host_safe.c: what --safe adds to the restricted library set of host.c
 * (the list of escapes it answers: tests/lua/t_sandbox.lua):
 *   - a read of what is left out raises "NAME is not available in --safe
 *     mode" with the scene's line (io, debug, dofile, loadfile, os.execute
 *     and the rest of os but clock/time/date/difftime, string.dump,
 *     package.loadlib and package.searchpath) rather than giving nil;
 *   - require takes plain module names and searches only the path the
 *     host set (ctx->safe_path, out of Lua's reach);
 *   - getmetatable on a string gives false and on a handle a copy holding
 *     __name, so neither shared metatable can be changed;
 *   - setmetatable refuses __gc (finalizers run with the count hook off:
 *     one that loops could never be canceled);
 *   - table.move and string.rep lose the C loops that ran 2^40 times
 *     without allocating (out of the hook's reach and of the memory cap);
 *   - rs_lua_path_allowed: the files repscope's own readers may open.
 * Worker thread only, like the state.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua/bind.h"

/* Push "file:line: " of the first Lua frame above the caller that is not
 * the builtin library (the scene's line, not scene.lua's guard), or "". */
static void
push_blame(lua_State *L)
{
    struct rs_lua_ctx *c = rs_lua_ctx(L);
    size_t n = strlen(c->builtin_dir);
    lua_Debug ar;
    for (int level = 1; lua_getstack(L, level, &ar); level++) {
        lua_getinfo(L, "Sl", &ar);
        if (ar.currentline <= 0)
            continue;
        if (ar.source[0] == '@' &&
            strncmp(ar.source + 1, c->builtin_dir, n) == 0)
            continue;
        lua_pushfstring(L, "%s:%d: ", ar.short_src, ar.currentline);
        return;
    }
    lua_pushliteral(L, "");
}

/* Raise "<blame><message>" (the message on top of the stack). */
static int
blame_error(lua_State *L)
{
    push_blame(L);
    lua_insert(L, -2);
    lua_concat(L, 2);
    return lua_error(L);
}

/* __index of a restricted table: upvalue 1 its name with a dot ("os.",
 * "" for the globals), upvalue 2 the set of names --safe left out. */
static int
l_safe_index(lua_State *L)
{
    lua_settop(L, 2);
    lua_pushvalue(L, 2);
    if (lua_type(L, 2) == LUA_TSTRING &&
        lua_rawget(L, lua_upvalueindex(2)) != LUA_TNIL) { /* t k true */
        lua_pushfstring(L, "%s%s is not available in --safe mode",
                        lua_tostring(L, lua_upvalueindex(1)),
                        lua_tostring(L, 2));
        return blame_error(L);
    }
    lua_pushnil(L);
    return 1;
}

/* Remove names from the table at idx and make a read of one raise. */
static void
restrict_table(lua_State *L, int idx, const char *prefix,
               const char *const *names)
{
    idx = lua_absindex(L, idx);
    lua_createtable(L, 0, 2); /* mt */
    lua_pushstring(L, prefix);
    lua_newtable(L); /* mt prefix set */
    for (size_t i = 0; names[i] != NULL; i++) {
        lua_pushnil(L);
        lua_setfield(L, idx, names[i]);
        lua_pushboolean(L, 1);
        lua_setfield(L, -2, names[i]);
    }
    lua_pushcclosure(L, l_safe_index, 2);
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, idx);
}

/* setmetatable(t, mt) without __gc: a finalizer runs with the count hook
 * off, so a loop in one could not be canceled. Upvalue 1: the real one. */
static int
l_safe_setmetatable(lua_State *L)
{
    /* the argument errors here, where Lua knows the function's name */
    luaL_checktype(L, 1, LUA_TTABLE);
    int t = lua_type(L, 2);
    luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
    if (t == LUA_TTABLE &&
        lua_getfield(L, 2, "__gc") != LUA_TNIL) {
        lua_pushliteral(L, "setmetatable: a __gc metamethod is not allowed "
                           "in --safe mode (a finalizer cannot be canceled)");
        return blame_error(L);
    }
    lua_settop(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, 2, 1);
    return 1;
}

/* Elements table.move may move in safe mode: its loop is C, out of the
 * count hook's reach, and moving nils costs no memory, so the memory cap
 * does not bound it (256 MiB of values). */
#define SAFE_MOVE_MAX ((lua_Integer)1 << 24)

/* table.move(a1, f, e, t [, a2]) with at most SAFE_MOVE_MAX elements.
 * Upvalue 1: the real one. */
static int
l_safe_move(lua_State *L)
{
    lua_Integer f = luaL_checkinteger(L, 2), e = luaL_checkinteger(L, 3);
    if (e >= f && (f <= 0 ? e >= SAFE_MOVE_MAX + f : e - f >= SAFE_MOVE_MAX)) {
        lua_pushfstring(L, "table.move: more than %I elements in --safe mode",
                        SAFE_MOVE_MAX);
        return blame_error(L);
    }
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, 1);
    return 1;
}

/* string.rep(s, n [, sep]) that returns "" at once when s and sep are
 * empty (the real one loops n times in C, out of the hook's reach; with
 * text to repeat the memory cap bounds it). Upvalue 1: the real one. */
static int
l_safe_rep(lua_State *L)
{
    size_t l, lsep;
    luaL_checklstring(L, 1, &l);
    luaL_checkinteger(L, 2);
    luaL_optlstring(L, 3, "", &lsep);
    if (l + lsep == 0) {
        lua_pushliteral(L, "");
        return 1;
    }
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, 1);
    return 1;
}

/* A module name require accepts in safe mode: dot-separated words of
 * letters, digits, '_' and '-' (so no "..", no '/', no absolute path). */
static bool
plain_module_name(const char *name)
{
    bool word = false;
    for (const char *p = name; *p != '\0'; p++) {
        char ch = *p;
        if (ch == '.') {
            if (!word)
                return false;
            word = false;
        } else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                   (ch >= '0' && ch <= '9') || ch == '_' || ch == '-') {
            word = true;
        } else {
            return false;
        }
    }
    return word;
}

int
rs_lua_safe_searcher(lua_State *L)
{
    struct rs_lua_ctx *c = rs_lua_ctx(L);
    const char *name = luaL_checkstring(L, 1);
    if (!plain_module_name(name)) {
        lua_pushfstring(L, "require: module name '%s' is not allowed in "
                           "--safe mode (dot-separated words of letters, "
                           "digits, '_' and '-')", name);
        return blame_error(L);
    }
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "path");
    const char *path = lua_tostring(L, -1);
    if (path == NULL || strcmp(path, c->safe_path) != 0) {
        lua_pushliteral(L, "require: package.path was changed: --safe mode "
                           "searches only the builtin library and the "
                           "scene's directory");
        return blame_error(L);
    }
    lua_pop(L, 2);
    luaL_Buffer miss;
    luaL_buffinit(L, &miss);
    const char *tp = c->safe_path;
    while (*tp != '\0') {
        const char *end = strchr(tp, ';');
        size_t len = end != NULL ? (size_t)(end - tp) : strlen(tp);
        const char *tmpl = lua_pushlstring(L, tp, len); /* ... tmpl */
        const char *dirs = luaL_gsub(L, name, ".", "/"); /* ... tmpl dirs */
        const char *file = luaL_gsub(L, tmpl, "?", dirs);
        lua_replace(L, -3); /* ... file dirs */
        lua_pop(L, 1);
        FILE *f = len > 0 ? fopen(file, "r") : NULL;
        if (f != NULL) {
            fclose(f);
            if (luaL_loadfilex(L, file, "t") != LUA_OK)
                return luaL_error(L, "error loading module '%s' from file "
                                     "'%s':\n\t%s", name, file,
                                  lua_tostring(L, -1));
            lua_pushstring(L, file);
            return 2;
        }
        lua_pushfstring(L, "\n\tno file '%s'", file);
        lua_remove(L, -2);
        luaL_addvalue(&miss);
        tp += len + (end != NULL);
    }
    luaL_pushresult(&miss);
    return 1;
}

/* real (a resolved path) is dir or below it (dir resolved here). */
static bool
real_under(const char *real, const char *dir)
{
    char *rd = realpath(dir, NULL);
    if (rd == NULL)
        return false;
    size_t n = strlen(rd);
    bool in = strncmp(real, rd, n) == 0 &&
              (real[n] == '\0' || real[n] == '/' || (n == 1 && rd[0] == '/'));
    free(rd);
    return in;
}

bool
rs_lua_path_allowed(lua_State *L, const char *path)
{
    struct rs_lua_ctx *c = rs_lua_ctx(L);
    if (!c->safe)
        return true;
    char *real = realpath(path, NULL);
    if (real == NULL)
        return false;
    bool ok = real_under(real, c->builtin_dir);
    const char *slash = strrchr(c->scene_path, '/');
    if (!ok && c->scene_path[0] != '\0') {
        char dir[sizeof c->scene_path];
        if (slash == NULL)
            snprintf(dir, sizeof dir, ".");
        else
            snprintf(dir, sizeof dir, "%.*s",
                     (int)(slash == c->scene_path ? 1 : slash - c->scene_path),
                     c->scene_path);
        ok = real_under(real, dir);
    }
    free(real);
    return ok;
}

/* What safe mode leaves out, by table. */
static const char *const gone_globals[] = {"io", "debug", "dofile",
                                           "loadfile", NULL};
static const char *const gone_os[] = {"execute", "remove",  "rename",
                                      "exit",    "getenv",  "tmpname",
                                      "setlocale", NULL};
static const char *const gone_string[] = {"dump", NULL};
static const char *const gone_package[] = {"loadlib", "searchpath", NULL};

void
rs_lua_safe_harden(lua_State *L)
{
    lua_pushglobaltable(L);
    restrict_table(L, -1, "", gone_globals);
    lua_getfield(L, -1, "os");
    restrict_table(L, -1, "os.", gone_os);
    lua_getfield(L, -2, "string");
    restrict_table(L, -1, "string.", gone_string);
    lua_getfield(L, -3, "package");
    restrict_table(L, -1, "package.", gone_package);
    lua_pop(L, 3);
    lua_getfield(L, -1, "setmetatable");
    lua_pushcclosure(L, l_safe_setmetatable, 1);
    lua_setfield(L, -2, "setmetatable");
    /* C loops with a count from Lua and nothing to allocate */
    lua_getfield(L, -1, "table"); /* _G table */
    lua_getfield(L, -1, "move");
    lua_pushcclosure(L, l_safe_move, 1);
    lua_setfield(L, -2, "move");
    lua_getfield(L, -2, "string"); /* _G table string */
    lua_getfield(L, -1, "rep");
    lua_pushcclosure(L, l_safe_rep, 1);
    lua_setfield(L, -2, "rep");
    lua_pop(L, 3);
    /* the shared string metatable: getmetatable("") gives false */
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 2);
    /* handle metatables: getmetatable(handle) gives {__name = ...}, a
     * copy, so their __gc/__index cannot be swapped */
    lua_pushnil(L);
    while (lua_next(L, LUA_REGISTRYINDEX) != 0) { /* key mt */
        if (lua_type(L, -2) == LUA_TSTRING && lua_istable(L, -1) &&
            strncmp(lua_tostring(L, -2), "repscope.", 9) == 0) {
            lua_createtable(L, 0, 1);
            lua_pushvalue(L, -3);
            lua_setfield(L, -2, "__name");
            lua_setfield(L, -2, "__metatable");
        }
        lua_pop(L, 1);
    }
}
