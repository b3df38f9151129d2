/* repscope - MIT licence, see COPYING.
 *
 * l_ckpt.c: a checkpoint handle for the test runner (a learner's sections
 * are run/ckpt_learner.h's): ck:names(), ck:floats(name),
 * ck:u64s(name), ck:text(name), ck:equal(other) (section by section,
 * bit for bit), ck:write(path). Worker thread only.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua/scene_impl.h"

/* ---- the checkpoint handle (tests) ------------------------------------- */

rs_ckpt *
rs_lua_check_ckpt(lua_State *L, int arg, const char *fn, const char *name)
{
    return rs_lua_check_box(L, arg, RS_LUA_CKPT_MT, "checkpoint", fn, name);
}

void
rs_lua_push_ckpt(lua_State *L, rs_ckpt *ck)
{
    void **box = lua_newuserdatauv(L, sizeof(void *), 0);
    *box = ck;
    luaL_setmetatable(L, RS_LUA_CKPT_MT);
}

static int
l_ckpt_names(lua_State *L)
{
    rs_ckpt *ck = rs_lua_check_ckpt(L, 1, "checkpoint:names", "self");
    int n = rs_ckpt_count(ck);
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        lua_pushstring(L, rs_ckpt_name(ck, i));
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

static int
l_ckpt_floats(lua_State *L)
{
    static const char fn[] = "checkpoint:floats";
    rs_ckpt *ck = rs_lua_check_ckpt(L, 1, fn, "self");
    size_t n = 0;
    const float *f =
        rs_ckpt_floats(ck, rs_lua_check_string(L, 2, fn, "name"), &n);
    if (f == NULL) {
        lua_pushnil(L);
        return 1;
    }
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushnumber(L, f[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static int
l_ckpt_u64s(lua_State *L)
{
    static const char fn[] = "checkpoint:u64s";
    rs_ckpt *ck = rs_lua_check_ckpt(L, 1, fn, "self");
    size_t n = 0;
    const uint64_t *u =
        rs_ckpt_u64s(ck, rs_lua_check_string(L, 2, fn, "name"), &n);
    if (u == NULL) {
        lua_pushnil(L);
        return 1;
    }
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushinteger(L, (lua_Integer)u[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static int
l_ckpt_text(lua_State *L)
{
    static const char fn[] = "checkpoint:text";
    rs_ckpt *ck = rs_lua_check_ckpt(L, 1, fn, "self");
    const char *t = rs_ckpt_text(ck, rs_lua_check_string(L, 2, fn, "name"));
    if (t == NULL)
        lua_pushnil(L);
    else
        lua_pushstring(L, t);
    return 1;
}

/* ck:equal(other) -> true, or false and the first differing section. */
static int
l_ckpt_equal(lua_State *L)
{
    static const char fn[] = "checkpoint:equal";
    rs_ckpt *a = rs_lua_check_ckpt(L, 1, fn, "self");
    rs_ckpt *b = rs_lua_check_ckpt(L, 2, fn, "other");
    int n = rs_ckpt_count(a);
    if (n != rs_ckpt_count(b)) {
        lua_pushboolean(L, 0);
        lua_pushfstring(L, "%d sections vs %d", n, rs_ckpt_count(b));
        return 2;
    }
    for (int i = 0; i < n; i++) {
        const char *name = rs_ckpt_name(a, i);
        size_t na = 0, nb = 0;
        bool same;
        const float *fa = rs_ckpt_floats(a, name, &na);
        const uint64_t *ua = fa == NULL ? rs_ckpt_u64s(a, name, &na) : NULL;
        if (fa != NULL) {
            const float *fb = rs_ckpt_floats(b, name, &nb);
            same =
                fb != NULL && na == nb && memcmp(fa, fb, na * sizeof *fa) == 0;
        } else if (ua != NULL) {
            const uint64_t *ub = rs_ckpt_u64s(b, name, &nb);
            same =
                ub != NULL && na == nb && memcmp(ua, ub, na * sizeof *ua) == 0;
        } else {
            const char *ta = rs_ckpt_text(a, name);
            const char *tb = rs_ckpt_text(b, name);
            same = ta != NULL && tb != NULL && strcmp(ta, tb) == 0;
        }
        if (!same) {
            lua_pushboolean(L, 0);
            lua_pushstring(L, name);
            return 2;
        }
    }
    lua_pushboolean(L, 1);
    return 1;
}

static int
l_ckpt_write(lua_State *L)
{
    static const char fn[] = "checkpoint:write";
    rs_ckpt *ck = rs_lua_check_ckpt(L, 1, fn, "self");
    const char *path = rs_lua_check_string(L, 2, fn, "path");
    struct rs_error err = {0};
    if (rs_ckpt_write(ck, path, &err) != RS_OK) {
        luaL_pushfail(L);
        rs_lua_push_status(L, fn, &err);
        return 2;
    }
    lua_pushboolean(L, 1);
    return 1;
}

static int
l_ckpt_release(lua_State *L)
{
    void **box = luaL_checkudata(L, 1, RS_LUA_CKPT_MT);
    rs_ckpt_free(*box);
    *box = NULL;
    return 0;
}

void
rs_lua_ckpt_meta(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"names", l_ckpt_names},     {"floats", l_ckpt_floats},
        {"u64s", l_ckpt_u64s},       {"text", l_ckpt_text},
        {"equal", l_ckpt_equal},     {"write", l_ckpt_write},
        {"release", l_ckpt_release}, {NULL, NULL},
    };
    if (!luaL_newmetatable(L, RS_LUA_CKPT_MT)) {
        lua_pop(L, 1);
        return;
    }
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_ckpt_release);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, l_ckpt_release);
    lua_setfield(L, -2, "__close");
    lua_pop(L, 1);
}
