/* repscope - MIT licence, see COPYING.
 *
 * host.c: the Lua state (see host.h): counting allocator with a cap, the
 * library set (full or --safe), text-only loading, the cancellation hook,
 * print/warn into the sink, the traceback message handler and scene
 * loading, plus the umbrella module `repscope` and its host-level
 * functions (rs.log, rs.matrix, rs.event, rs.seed, rs.mem, rs.end_at,
 * rs.total_steps).
 *
 * The host context lives in the registry under the address of ctx_key and
 * is also the allocator's ud, so it outlives lua_close. Worker thread
 * only, except *cancel (read with an atomic load in the hook).
 */
#include "config.h"

#include "lua/host.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lualib.h>

#include "lua/bind.h"

#ifndef RS_PKGDATADIR
#define RS_PKGDATADIR "/usr/local/share/repscope"
#endif

/* Instructions between two looks at the cancel flag. */
#define HOOK_COUNT 10000

static const char ctx_key = 'c';

struct rs_lua_ctx *
rs_lua_ctx(lua_State *L)
{
    lua_rawgetp(L, LUA_REGISTRYINDEX, &ctx_key);
    struct rs_lua_ctx *c = lua_touserdata(L, -1);
    lua_pop(L, 1);
    RS_ASSERT(c != NULL);
    return c;
}

void
rs_lua_opts_default(struct rs_lua_opts *o)
{
    memset(o, 0, sizeof *o);
}

/* lua_Alloc with accounting (mpv mp_lua_alloc): refuses growth past the
 * cap, which Lua turns into a memory error. The cap binds only while Lua
 * code runs under rs_lua_call: the host's own marshalling outside a
 * protected call must never raise (that would be a panic). */
static void *
counting_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    struct rs_lua_ctx *c = ud;
    size_t old = ptr != NULL ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        c->mem_used -= old;
        return NULL;
    }
    if (c->mem_limit > 0 && c->in_call > 0 && nsize > old &&
        c->mem_used - old + nsize > c->mem_limit)
        return NULL;
    void *p = realloc(ptr, nsize);
    if (p == NULL)
        return NULL;
    c->mem_used = c->mem_used - old + nsize;
    if (c->mem_used > c->mem_peak)
        c->mem_peak = c->mem_used;
    return p;
}

size_t
rs_lua_mem(lua_State *L)
{
    return rs_lua_ctx(L)->mem_used;
}

/* Count hook (Redis luaMaskCountHook): once the flag is seen, fire on
 * every line so a pcall in the scene cannot swallow the cancellation. */
static void
cancel_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    struct rs_lua_ctx *c = rs_lua_ctx(L);
    if (c->cancel == NULL || !atomic_load(c->cancel)) {
        lua_sethook(L, cancel_hook, LUA_MASKCOUNT, HOOK_COUNT);
        return;
    }
    lua_sethook(L, cancel_hook, LUA_MASKLINE, 0);
    luaL_error(L, "canceled");
}

/* An error outside any protected call is a host bug: say what it was. */
static int
panic(lua_State *L)
{
    const char *msg = lua_tostring(L, -1);
    rs_fatal("lua: unprotected error: %s", msg != NULL ? msg : "?");
}

static void
warn_sink(void *ud, const char *msg, int tocont)
{
    lua_State *L = ud;
    struct rs_lua_ctx *c = rs_lua_ctx(L);
    size_t cap = sizeof c->warn;
    if (c->warn_len == 0 && !tocont && msg[0] == '@')
        return; /* control message */
    int k = snprintf(c->warn + c->warn_len, cap - c->warn_len, "%s%s",
                     c->warn_len ? "" : "warning: ", msg);
    if (k > 0)
        c->warn_len +=
            (size_t)k < cap - c->warn_len ? (size_t)k : cap - c->warn_len - 1;
    if (!tocont) {
        rs_lua_print(L, c->warn);
        c->warn_len = 0;
    }
}

/* print(...) into the sink (stdout without one), tab-separated. */
static int
l_host_print(lua_State *L)
{
    int n = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        if (i > 1)
            luaL_addchar(&b, '\t');
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    struct rs_lua_ctx *c = rs_lua_ctx(L);
    if (c->sink.print != NULL) {
        rs_lua_print(L, lua_tostring(L, -1));
    } else {
        fputs(lua_tostring(L, -1), stdout);
        fputc('\n', stdout);
        fflush(stdout);
    }
    return 0;
}

/* load(chunk, name, mode, env) with mode forced to "t"; an absent env
 * stays absent (load tells it from nil). */
static int
l_host_load(lua_State *L)
{
    int n = lua_gettop(L);
    if (n > 4)
        lua_settop(L, n = 4);
    if (n < 3) {
        lua_settop(L, 2);
        lua_pushliteral(L, "t");
    } else {
        lua_pushliteral(L, "t");
        lua_replace(L, 3);
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

/* loadfile(name, mode, env) with mode forced to "t". */
static int
l_host_loadfile(lua_State *L)
{
    const char *name = luaL_optstring(L, 1, NULL);
    int env = !lua_isnone(L, 3) ? 3 : 0;
    if (luaL_loadfilex(L, name, "t") != LUA_OK) {
        luaL_pushfail(L);
        lua_insert(L, -2);
        return 2;
    }
    if (env != 0) {
        lua_pushvalue(L, env);
        if (!lua_setupvalue(L, -2, 1))
            lua_pop(L, 1);
    }
    return 1;
}

/* package.searchers entry: Lua files on package.path, text only. */
static int
l_host_searcher(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "searchpath");
    lua_pushstring(L, name);
    lua_getfield(L, -3, "path");
    lua_call(L, 2, 2); /* filename | nil msg */
    if (lua_isnil(L, -2))
        return 1; /* the message */
    lua_pop(L, 1);
    const char *file = lua_tostring(L, -1);
    if (luaL_loadfilex(L, file, "t") != LUA_OK)
        return luaL_error(L, "error loading module '%s' from file '%s':\n\t%s",
                          name, file, lua_tostring(L, -1));
    lua_pushstring(L, file);
    return 2;
}

static void
open_libs(lua_State *L, bool safe)
{
    if (!safe) {
        luaL_openlibs(L);
    } else {
        static const luaL_Reg libs[] = {
            {LUA_GNAME, luaopen_base},
            {LUA_LOADLIBNAME, luaopen_package},
            {LUA_COLIBNAME, luaopen_coroutine},
            {LUA_TABLIBNAME, luaopen_table},
            {LUA_STRLIBNAME, luaopen_string},
            {LUA_MATHLIBNAME, luaopen_math},
            {LUA_UTF8LIBNAME, luaopen_utf8},
        };
        for (size_t i = 0; i < RS_ARRAY_LEN(libs); i++) {
            luaL_requiref(L, libs[i].name, libs[i].func, 1);
            lua_pop(L, 1);
        }
        /* os: clock, time, date only (the full table is never
         * registered in package.loaded) */
        lua_pushcfunction(L, luaopen_os);
        lua_call(L, 0, 1); /* full os */
        lua_newtable(L);
        static const char *const keep[] = {"clock", "time", "date"};
        for (size_t i = 0; i < RS_ARRAY_LEN(keep); i++) {
            lua_getfield(L, -2, keep[i]);
            lua_setfield(L, -2, keep[i]);
        }
        lua_setglobal(L, "os");
        lua_pop(L, 1);
        luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
        lua_getglobal(L, "os");
        lua_setfield(L, -2, "os");
        lua_pop(L, 1);
        static const char *const drop[] = {"dofile", "loadfile"};
        for (size_t i = 0; i < RS_ARRAY_LEN(drop); i++) {
            lua_pushnil(L);
            lua_setglobal(L, drop[i]);
        }
    }
    /* Text-only loading everywhere. */
    lua_getglobal(L, "load");
    lua_pushcclosure(L, l_host_load, 1);
    lua_setglobal(L, "load");
    if (!safe) {
        lua_pushcfunction(L, l_host_loadfile);
        lua_setglobal(L, "loadfile");
    }
    lua_pushcfunction(L, l_host_print);
    lua_setglobal(L, "print");
    /* package: searchers = { preload, text-only Lua files } (+ the C
     * searchers outside safe mode); no loadlib in safe mode. */
    lua_getglobal(L, "package"); /* package */
    lua_getfield(L, -1, "searchers");
    if (safe) {
        lua_createtable(L, 2, 0);
        lua_rawgeti(L, -2, 1);
        lua_rawseti(L, -2, 1);
        lua_pushcfunction(L, l_host_searcher);
        lua_rawseti(L, -2, 2);
        lua_setfield(L, -3, "searchers");
        lua_pushnil(L);
        lua_setfield(L, -3, "loadlib");
        lua_pushliteral(L, "");
        lua_setfield(L, -3, "cpath");
    } else {
        lua_pushcfunction(L, l_host_searcher);
        lua_rawseti(L, -2, 2);
    }
    lua_pop(L, 2);
}

void
rs_lua_add_path(lua_State *L, const char *dir)
{
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "path");
    const char *old = lua_tostring(L, -1);
    lua_pushfstring(L, "%s/?.lua;%s/?/init.lua%s%s", dir, dir,
                    old != NULL && old[0] != '\0' ? ";" : "",
                    old != NULL ? old : "");
    lua_setfield(L, -3, "path");
    lua_pop(L, 2);
}

/* Libraries, package.path, and the C modules in package.preload, each
 * run once so their metatables exist before any handle is pushed. Runs
 * under lua_pcall (only memory can fail). */
static int
open_state(lua_State *L)
{
    struct rs_lua_ctx *c = rs_lua_ctx(L);
    open_libs(L, c->safe);
    lua_getglobal(L, "package");
    lua_pushliteral(L, "");
    lua_setfield(L, -2, "path");
    lua_pop(L, 1);
    rs_lua_add_path(L, c->builtin_dir);
    static const luaL_Reg mods[] = {
        {"repscope.tensor", luaopen_repscope_tensor},
        {"repscope.rng", luaopen_repscope_rng},
        {"repscope.nn", luaopen_repscope_nn},
        {"repscope.optim", luaopen_repscope_optim},
        {"repscope.data", luaopen_repscope_data},
        {"repscope.probe", luaopen_repscope_probe},
        {"repscope.train", luaopen_repscope_train},
        {"repscope.json", luaopen_repscope_json},
        {"repscope", luaopen_repscope},
    };
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    for (size_t i = 0; i < RS_ARRAY_LEN(mods); i++) {
        lua_pushcfunction(L, mods[i].func);
        lua_setfield(L, -2, mods[i].name);
    }
    lua_pop(L, 1);
    for (size_t i = 0; i + 1 < RS_ARRAY_LEN(mods); i++) {
        luaL_requiref(L, mods[i].name, mods[i].func, 0);
        lua_pop(L, 1);
    }
    return 0;
}

lua_State *
rs_lua_new(const struct rs_lua_opts *o, struct rs_error *err)
{
    struct rs_lua_opts def;
    if (o == NULL) {
        rs_lua_opts_default(&def);
        o = &def;
    }
    struct rs_lua_ctx *c = rs_xcalloc(1, sizeof *c);
    c->safe = o->safe;
    c->mem_limit =
        o->mem_limit == 0 && o->safe ? RS_LUA_SAFE_MEM_LIMIT : o->mem_limit;
    c->cancel = o->cancel;
    c->total_steps = -1;
    rs_rng_seed(&c->rng, 1);
    const char *dir = o->datadir;
    if (dir == NULL || dir[0] == '\0')
        dir = getenv("RS_DATADIR");
    if (dir == NULL || dir[0] == '\0')
        dir = RS_PKGDATADIR;
    c->builtin_dir = rs_xasprintf("%s/lua", dir);
    lua_State *L = lua_newstate(counting_alloc, c);
    if (L == NULL) {
        free(c->builtin_dir);
        free(c);
        rs_error_set(err, RS_ENOMEM, "cannot create a Lua state");
        return NULL;
    }
    c->scratch = rs_graph_new();
    rs_graph_set_grad(c->scratch, false);
    lua_atpanic(L, panic);
    lua_pushlightuserdata(L, c);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &ctx_key);
    lua_setwarnf(L, warn_sink, L);
    lua_gc(L, LUA_GCGEN, 0, 0);
    lua_pushcfunction(L, open_state);
    int rc = lua_pcall(L, 0, 0, 0);
    if (rc != LUA_OK) {
        rs_error_set(err, RS_EINVAL, "%s", lua_tostring(L, -1));
        rs_lua_free(L);
        return NULL;
    }
    if (c->cancel != NULL)
        lua_sethook(L, cancel_hook, LUA_MASKCOUNT, HOOK_COUNT);
    return L;
}

void
rs_lua_free(lua_State *L)
{
    if (L == NULL)
        return;
    void *ud = NULL;
    lua_getallocf(L, &ud);
    struct rs_lua_ctx *c = ud;
    lua_close(L);
    rs_graph_free(c->scratch);
    free(c->builtin_dir);
    free(c);
}

/* Message handler: the message (or a description of a non-string error
 * object) plus a traceback (lua.c msghandler). */
static int
msghandler(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            return 1;
        msg = lua_pushfstring(L, "(error object is a %s value)",
                              luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

/* text with every "...<tail>:" that Lua made of a chunk name longer than
 * LUA_IDSIZE replaced by path, when path ends with <tail>; pushed on the
 * stack (a copy of text when nothing matches). */
static const char *
push_full_source(lua_State *L, const char *text, const char *path)
{
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    size_t plen = strlen(path);
    const char *p = text;
    for (;;) {
        const char *dots = plen > 0 ? strstr(p, "...") : NULL;
        if (dots == NULL) {
            luaL_addstring(&b, p);
            break;
        }
        const char *tail = dots + 3, *colon = strchr(tail, ':');
        size_t tlen = colon != NULL ? (size_t)(colon - tail) : 0;
        bool match = tlen > 0 && tlen < plen &&
                     memcmp(path + plen - tlen, tail, tlen) == 0;
        luaL_addlstring(&b, p, (size_t)(dots - p));
        if (match) {
            luaL_addstring(&b, path);
            p = colon;
        } else {
            luaL_addstring(&b, "...");
            p = tail;
        }
    }
    luaL_pushresult(&b);
    return lua_tostring(L, -1);
}

int
rs_lua_call(lua_State *L, int nargs, int nres, struct rs_error *err)
{
    struct rs_lua_ctx *c = rs_lua_ctx(L);
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, msghandler);
    lua_insert(L, base);
    c->in_call++;
    int st = lua_pcall(L, nargs, nres, base);
    c->in_call--;
    lua_remove(L, base);
    if (st == LUA_OK)
        return RS_OK;
    const char *text = lua_tostring(L, -1);
    if (text == NULL)
        text = "(no message)";
    text = push_full_source(L, text, c->scene_path);
    lua_remove(L, -2); /* the message as raised */
    const char *tb = strstr(text, "\nstack traceback:");
    size_t len = tb != NULL ? (size_t)(tb - text) : strlen(text);
    int code = RS_EINVAL;
    if (st == LUA_ERRMEM)
        code = RS_ENOMEM;
    else if (c->cancel != NULL && atomic_load(c->cancel))
        code = RS_ECANCELED;
    size_t cap = err != NULL ? sizeof err->msg - 1 : 0;
    rs_error_set(err, code, "%.*s", (int)(len < cap ? len : cap), text);
    if (tb != NULL)
        rs_lua_print(L, text);
    lua_pop(L, 1);
    if (c->cancel != NULL)
        lua_sethook(L, cancel_hook, LUA_MASKCOUNT, HOOK_COUNT);
    return code;
}

/* Push require(name)[field] (a Lua helper of the scene module). */
static void
push_scene_fn(lua_State *L, const char *field)
{
    lua_getglobal(L, "require");
    lua_pushliteral(L, "repscope.scene");
    lua_call(L, 1, 1);
    lua_getfield(L, -1, field);
    lua_remove(L, -2);
}

static int
l_host_push_scene_fn(lua_State *L)
{
    push_scene_fn(L, lua_tostring(L, 1));
    return 1;
}

/* Read the whole file into a Lua string on the stack. */
static int
read_file(lua_State *L, const char *path, struct rs_error *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return rs_error_set(err, RS_EIO, "cannot read scene '%s': %s", path,
                            strerror(errno));
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        luaL_addlstring(&b, chunk, n);
    int bad = ferror(f);
    fclose(f);
    luaL_pushresult(&b);
    if (bad) {
        lua_pop(L, 1);
        return rs_error_set(err, RS_EIO, "cannot read scene '%s'", path);
    }
    return RS_OK;
}

int
rs_lua_load_scene(lua_State *L, const char *path, struct rs_error *err)
{
    int top = lua_gettop(L);
    int rc = read_file(L, path, err);
    if (rc != RS_OK)
        return rc;
    snprintf(rs_lua_ctx(L)->scene_path, sizeof rs_lua_ctx(L)->scene_path,
             "%s", path);
    /* The scene's directory joins package.path (its own helpers). */
    const char *slash = strrchr(path, '/');
    if (slash != NULL) {
        lua_pushlstring(L, path, (size_t)(slash - path));
        rs_lua_add_path(L, lua_tostring(L, -1));
        lua_pop(L, 1);
    } else {
        rs_lua_add_path(L, ".");
    }
    size_t len;
    const char *src = lua_tolstring(L, -1, &len);
    lua_pushfstring(L, "@%s", path);
    int st = luaL_loadbufferx(L, src, len, lua_tostring(L, -1), "t");
    if (st != LUA_OK) {
        rs_error_set(err, st == LUA_ERRMEM ? RS_ENOMEM : RS_EFORMAT, "%s",
                     push_full_source(L, lua_tostring(L, -1), path));
        lua_settop(L, top);
        return err != NULL ? err->code : RS_EFORMAT;
    }
    lua_replace(L, top + 1); /* chunk name */
    lua_settop(L, top + 1);  /* chunk */
    /* _ENV = the guarded scene environment */
    lua_pushcfunction(L, l_host_push_scene_fn);
    lua_pushliteral(L, "environment");
    if ((rc = rs_lua_call(L, 1, 1, err)) != RS_OK) {
        lua_settop(L, top);
        return rc;
    }
    if ((rc = rs_lua_call(L, 0, 1, err)) != RS_OK) {
        lua_settop(L, top);
        return rc;
    }
    lua_setupvalue(L, -2, 1);
    if ((rc = rs_lua_call(L, 0, 1, err)) != RS_OK) {
        /* `return rs.scene{...}` is a tail call: an error raised inside
         * has no position; name the file at least. */
        size_t plen = strlen(path);
        if (err != NULL &&
            (strncmp(err->msg, path, plen) != 0 || err->msg[plen] != ':')) {
            char msg[sizeof err->msg];
            int k = snprintf(msg, sizeof msg, "%.500s: ", path);
            snprintf(msg + k, sizeof msg - (size_t)k, "%.*s",
                     (int)(sizeof msg - (size_t)k - 1), err->msg);
            memcpy(err->msg, msg, sizeof msg);
        }
        lua_settop(L, top);
        return rc;
    }
    /* scene -> check(scene, path) -> scene */
    lua_pushcfunction(L, l_host_push_scene_fn);
    lua_pushliteral(L, "check");
    if ((rc = rs_lua_call(L, 1, 1, err)) != RS_OK) {
        lua_settop(L, top);
        return rc;
    }
    lua_insert(L, -2);
    lua_pushstring(L, path);
    if ((rc = rs_lua_call(L, 2, 1, err)) != RS_OK) {
        lua_settop(L, top);
        return err != NULL ? (err->code = RS_EFORMAT) : RS_EFORMAT;
    }
    return RS_OK;
}

/* ---- the umbrella module and host-level functions ---------------------- */

static void
check_log_name(lua_State *L, const char *fn, const char *name, int arg)
{
    size_t len = strlen(name);
    if (len == 0 || len >= 96)
        rs_lua_arg_error(L, fn, arg, "name",
                         "a name of 1..95 characters expected, got %zu", len);
}

/* rs.log(name, value) or rs.log{name = value, ...} */
static int
l_host_log(lua_State *L)
{
    static const char fn[] = "rs.log";
    if (lua_type(L, 1) == LUA_TTABLE) {
        lua_pushnil(L);
        while (lua_next(L, 1) != 0) { /* key value */
            if (lua_type(L, -2) != LUA_TSTRING)
                return rs_lua_arg_error(L, fn, 1, "values",
                                        "string keys expected, got %s",
                                        luaL_typename(L, -2));
            const char *name = lua_tostring(L, -2);
            if (lua_type(L, -1) != LUA_TNUMBER)
                return rs_lua_field_type_error(L, fn, name, "number", -1);
            check_log_name(L, fn, name, 1);
            rs_lua_log(L, name, lua_tonumber(L, -1));
            lua_pop(L, 1);
        }
        return 0;
    }
    if (lua_type(L, 1) != LUA_TSTRING)
        return rs_lua_type_error(L, fn, 1, "name", "string or table");
    const char *name = lua_tostring(L, 1);
    double v = rs_lua_check_number(L, 2, fn, "value");
    check_log_name(L, fn, name, 1);
    rs_lua_log(L, name, v);
    return 0;
}

/* labels[k] of the list in field `key` of the options table at `opts`
 * (n strings), kept alive by leaving the table on the stack; NULL when the
 * field is absent. */
static const char **
check_labels(lua_State *L, int opts, const char *key, int n)
{
    static const char fn[] = "rs.matrix";
    if (lua_getfield(L, opts, key) == LUA_TNIL) {
        lua_pop(L, 1);
        return NULL;
    }
    if (!lua_istable(L, -1))
        rs_lua_field_type_error(L, fn, key, "table of strings", -1);
    if (lua_rawlen(L, -1) != (lua_Unsigned)n)
        luaL_error(L, "%s: field '%s' has %d labels, the matrix %d %s", fn,
                   key, (int)lua_rawlen(L, -1), n,
                   key[0] == 'r' ? "rows" : "columns");
    const char **labels = lua_newuserdatauv(L, (size_t)n * sizeof *labels, 0);
    for (int i = 0; i < n; i++) {
        lua_rawgeti(L, -2, i + 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "%s: %s[%d] is a %s, expected a string", fn, key,
                       i + 1, luaL_typename(L, -1));
        labels[i] = lua_tostring(L, -1); /* the table keeps it alive */
        lua_pop(L, 1);
    }
    return labels; /* the label table and this buffer stay on the stack */
}

/* rs.matrix(name, tensor [, {rows = {...}, cols = {...}}]): a 1-D tensor
 * is published as 1 x n; rows/cols label the heatmap's axes. */
static int
l_host_matrix(lua_State *L)
{
    static const char fn[] = "rs.matrix";
    const char *name = rs_lua_check_string(L, 1, fn, "name");
    check_log_name(L, fn, name, 1);
    rs_tensor *t = rs_lua_check_tensor(L, 2, fn, "matrix");
    if (t->ndim > 2 || t->numel > (size_t)INT32_MAX)
        return rs_lua_arg_error(L, fn, 2, "matrix",
                                "1-D or 2-D tensor expected, got %d-D",
                                t->ndim);
    int rows = t->ndim == 2 ? t->shape[0] : 1;
    int cols = t->ndim == 2 ? t->shape[1] : (int)t->numel;
    const char **rl = NULL, **cl = NULL;
    if (!lua_isnoneornil(L, 3)) {
        rs_lua_check_table(L, 3, fn, "options");
        static const char *const keys[] = {"rows", "cols", NULL};
        rs_lua_check_fields(L, 3, fn, keys);
        rl = check_labels(L, 3, "rows", rows);
        cl = check_labels(L, 3, "cols", cols);
    }
    rs_lua_matrix_labeled(L, name, rows, cols, t->data, rl, cl);
    return 0;
}

static int
l_host_event(lua_State *L)
{
    rs_lua_event(L, rs_lua_check_string(L, 1, "rs.event", "text"));
    return 0;
}

/* rs.end_at(step): the run ends after step (a scene whose length its data
 * decides; a shorter total is kept). Nowhere to go without a session. */
static int
l_host_end_at(lua_State *L)
{
    lua_Integer step = rs_lua_check_integer(L, 1, "rs.end_at", "step");
    if (step < 1)
        return rs_lua_arg_error(L, "rs.end_at", 1, "step",
                                "%lld is not >= 1", (long long)step);
    struct rs_lua_ctx *c = rs_lua_ctx(L);
    if (c->sink.end_at != NULL)
        c->sink.end_at(c->sink.ud, (long)step);
    if (c->total_steps < 0 || step < c->total_steps)
        c->total_steps = (long)step;
    return 0;
}

/* rs.total_steps() -> the run's planned steps (-1: until quit), for
 * schedules a scene builds itself (a regulariser's one-cycle). */
static int
l_host_total_steps(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)rs_lua_ctx(L)->total_steps);
    return 1;
}

/* rs.seed(n): reseed the stream builders draw their weights from. */
static int
l_host_seed(lua_State *L)
{
    lua_Integer s = rs_lua_check_integer(L, 1, "rs.seed", "seed");
    rs_rng_seed(&rs_lua_ctx(L)->rng, (uint64_t)s);
    return 0;
}

static int
l_host_mem(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)rs_lua_ctx(L)->mem_used);
    return 1;
}

/* rs.train(...) == rs.train.new(...), argument numbers unchanged */
static int
l_host_train_call(lua_State *L)
{
    lua_getfield(L, 1, "new");
    lua_replace(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

int
luaopen_repscope(lua_State *L)
{
    static const luaL_Reg funcs[] = {
        {"log", l_host_log},     {"matrix", l_host_matrix},
        {"event", l_host_event}, {"seed", l_host_seed},
        {"mem", l_host_mem},     {"end_at", l_host_end_at},
        {"total_steps", l_host_total_steps}, {NULL, NULL},
    };
    static const char *const subs[][2] = {
        {"tensor", "repscope.tensor"}, {"nn", "repscope.nn"},
        {"optim", "repscope.optim"},   {"data", "repscope.data"},
        {"probe", "repscope.probe"},
    };
    luaL_newlib(L, funcs); /* rs */
    for (size_t i = 0; i < RS_ARRAY_LEN(subs); i++) {
        lua_getglobal(L, "require");
        lua_pushstring(L, subs[i][1]);
        lua_call(L, 1, 1);
        lua_setfield(L, -2, subs[i][0]);
    }
    /* rs.sched lives in the optim module; rs.rng and rs.train are
     * functions of their modules. */
    lua_getfield(L, -1, "optim");
    lua_getfield(L, -1, "sched");
    lua_setfield(L, -3, "sched");
    lua_pop(L, 1);
    lua_getglobal(L, "require");
    lua_pushliteral(L, "repscope.rng");
    lua_call(L, 1, 1);
    lua_getfield(L, -1, "new");
    lua_setfield(L, -3, "rng");
    lua_pop(L, 1);
    /* rs.train is the train module (rs.train.seq), callable as its `new`
     * (rs.train{...}: sugar over rs.learner, l_train.c) */
    lua_getglobal(L, "require");
    lua_pushliteral(L, "repscope.train");
    lua_call(L, 1, 1);
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, l_host_train_call);
    lua_setfield(L, -2, "__call");
    lua_setmetatable(L, -2);
    lua_setfield(L, -2, "train");
    /* rs.learner, rs.name and rs.objective (l_learner.c) */
    rs_lua_open_learner(L);
    lua_pushliteral(L, PACKAGE_VERSION);
    lua_setfield(L, -2, "version");
    lua_pushboolean(L, rs_lua_ctx(L)->safe);
    lua_setfield(L, -2, "safe");
    rs_lua_open_graph(L);
    rs_lua_open_env(L);
    /* rs.rl (l_ppo.c), after rs.learner: it adds learner methods */
    rs_lua_open_rl(L);
    /* rs.lm and rs.update (l_dyneval.c), likewise */
    rs_lua_open_dyneval(L);
    /* The pure-Lua layer adds rs.scene, rs.view and the probe specs. */
    push_scene_fn(L, "install");
    lua_pushvalue(L, -2);
    lua_call(L, 1, 0);
    return 1;
}
