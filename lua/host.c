/* repscope - MIT licence, see COPYING.
 *
 * host.c: the Lua state (see host.h): counting allocator with a cap, the
 * library set (full or --safe), text-only loading, the cancellation hook,
 * print/warn into the sink, the traceback message handler and scene
 * loading. The umbrella module `repscope` and its host-level functions
 * are in l_host.c.
 * What --safe adds beyond the library set (names that raise when read,
 * the require path, protected metatables, no __gc) is in host_safe.c.
 *
 * The host context lives in the registry under the address of ctx_key and
 * is also the allocator's ud, so it outlives lua_close. Worker thread
 * only, except *cancel (read with an atomic load in the hook).
 */
#include "config.h"

#include "lua/host.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
        c->mem_used + c->ext_live - old + nsize > c->mem_limit)
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
rs_lua_default_mem(void)
{
    size_t ram = rs_mem_total();
    return ram / 2 > RS_LUA_SAFE_MEM_LIMIT ? ram / 2 : RS_LUA_SAFE_MEM_LIMIT;
}

size_t
rs_lua_mem(lua_State *L)
{
    return rs_lua_ctx(L)->mem_used;
}

static void count_hook(lua_State *L, lua_Debug *ar);

/* Once the instruction cap is passed or the run is canceled: raise, and
 * from now on at every line, so a pcall in the scene cannot swallow the
 * error. level: the Lua function to blame (0 in a hook, 1 in a C
 * function that Lua called). */
static void
trip(lua_State *L, struct rs_lua_ctx *c, bool canceled, int level)
{
    lua_sethook(L, count_hook, LUA_MASKLINE, 0);
    luaL_where(L, level);
    if (canceled) {
        c->canceled = true;
        lua_pushliteral(L, "canceled");
    } else {
        lua_pushfstring(L, "instruction limit of %I exceeded",
                        (lua_Integer)c->instr_limit);
    }
    lua_concat(L, 2);
    lua_error(L);
}

/* Count n instructions against the cap; true if the run must stop. */
static bool
spend(struct rs_lua_ctx *c, unsigned long long n, bool *canceled)
{
    if (!c->instr_over) {
        c->instr_used += n;
        c->instr_over = c->instr_limit > 0 && c->instr_used > c->instr_limit;
    }
    *canceled = (c->cancel != NULL && atomic_load(c->cancel)) ||
                (c->sink.interrupted != NULL &&
                 c->sink.interrupted(c->sink.ud));
    return *canceled || c->instr_over;
}

/* Count hook (Redis luaMaskCountHook): counts instructions against the
 * cap and looks at the cancel flag; once either trips, trip(). */
static void
count_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    struct rs_lua_ctx *c = rs_lua_ctx(L);
    bool canceled;
    if (!spend(c, HOOK_COUNT, &canceled)) {
        lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_COUNT);
        return;
    }
    trip(L, c, canceled, 0);
}

void
rs_lua_charge(lua_State *L, unsigned long long n)
{
    struct rs_lua_ctx *c = rs_lua_ctx(L);
    bool canceled;
    if (spend(c, n, &canceled))
        trip(L, c, canceled, 1);
}

/* The count hook is armed when there is something to count for or to
 * poll (a session's interrupt comes and goes with the sink: arm always
 * when one may be set). */
static void
arm_hook(lua_State *L, const struct rs_lua_ctx *c)
{
    (void)c;
    lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_COUNT);
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
        static const char *const keep[] = {"clock", "time", "date",
                                            "difftime"};
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
    rs_lua_install_match(L);
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
        lua_pushcfunction(L, rs_lua_safe_searcher);
        lua_rawseti(L, -2, 2);
        lua_setfield(L, -3, "searchers");
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
    struct rs_lua_ctx *c = rs_lua_ctx(L);
    if (c->safe) {
        free(c->safe_path);
        c->safe_path = rs_xstrdup(lua_tostring(L, -1));
    }
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
    if (c->safe) {
        /* the umbrella too, so that every handle metatable exists */
        lua_getglobal(L, "require");
        lua_pushliteral(L, "repscope");
        lua_call(L, 1, 0);
        rs_lua_safe_harden(L);
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
    if (o->mem_limit == RS_LUA_MEM_NONE)
        c->mem_limit = 0;
    else if (o->mem_limit == 0)
        c->mem_limit = o->safe ? RS_LUA_SAFE_MEM_LIMIT : rs_lua_default_mem();
    else
        c->mem_limit = o->mem_limit;
    c->cancel = o->cancel;
    c->instr_limit = o->instr_limit;
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
    arm_hook(L, c);
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
    free(c->safe_path);
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
    if (c->in_call == 0) {
        c->instr_used = 0;
        c->instr_over = false;
        c->canceled = false;
        c->mem_refused = false;
    }
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
    if (st == LUA_ERRMEM || c->mem_refused)
        code = RS_ENOMEM;
    else if (c->canceled)
        code = RS_ECANCELED;
    size_t cap = err != NULL ? sizeof err->msg - 1 : 0;
    rs_error_set(err, code, "%.*s", (int)(len < cap ? len : cap), text);
    if (st == LUA_ERRMEM && c->mem_limit > 0 && err != NULL &&
        strcmp(err->msg, "not enough memory") == 0)
        /* Lua's own memory error has no position: say what it hit */
        rs_error_set(err, code,
                     "not enough memory (the memory limit is %zu MiB: "
                     "--lua-mem)",
                     c->mem_limit >> 20);
    if (tb != NULL)
        rs_lua_print(L, text);
    lua_pop(L, 1);
    arm_hook(L, c);
    return code;
}

void
rs_lua_push_scene_fn(lua_State *L, const char *field)
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
    rs_lua_push_scene_fn(L, lua_tostring(L, 1));
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
