/* repscope - MIT licence, see COPYING.
 *
 * l_json.c: repscope.json (rs.json), the Lua face of the project's JSON
 * codec (run/json.h):
 *   json.encode(v [, path])  the JSON text of v; path names v in errors
 *   json.decode(text)        the value of a JSON text, or nil, message
 *   json.array(t)            t marked as an array (an empty one is "[]")
 *   json.null                what decode gives for null (encode: null)
 * Encoding: object keys sorted bytewise (the text is the same on every
 * run); a table is an array when marked or when its keys are exactly
 * 1..n (n >= 1), an object otherwise; integers as integers, floats in
 * the fewest digits that read back exactly ("2.0" stays a float), NaN
 * and +-inf as null. A function, userdata, thread, a non-string key, a
 * cycle or nesting deeper than RS_JSON_DEPTH_MAX is an error naming the
 * path ("views[2].series"). Decoding: arrays become tables marked as
 * arrays (so encode writes them back as arrays), integers that fit
 * become Lua integers.
 *
 * The array marks live in a weak-keyed table, an upvalue of the module's
 * functions. The C buffers (the text being written, the parsed tree) sit
 * in a box userdata with __gc, so an error raised halfway leaks nothing.
 * Worker thread only (one lua_State).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lua/bind.h"
#include "run/json.h"

/* The box holding the C side of one encode or decode (file-private). */
#define JSON_BOX_MT "repscope.json_box"

struct json_box {
    struct rs_json_buf b;
    rs_json *tree;
};

static int
l_json_box_gc(lua_State *L)
{
    struct json_box *box = luaL_checkudata(L, 1, JSON_BOX_MT);
    rs_json_buf_fini(&box->b);
    rs_json_free(box->tree);
    box->tree = NULL;
    return 0;
}

static struct json_box *
new_box(lua_State *L)
{
    struct json_box *box = lua_newuserdatauv(L, sizeof *box, 0);
    memset(box, 0, sizeof *box);
    luaL_setmetatable(L, JSON_BOX_MT);
    return box;
}

#define MARKS lua_upvalueindex(1)

/* ---- encode ----------------------------------------------------------- */

struct enc {
    lua_State *L;
    struct rs_json_buf *b;
    int seen; /* stack index: tables being written (cycles) */
    int depth;
    char path[256];
    size_t plen;
};

static void encode_value(struct enc *e, int idx);

/* Append to the path (cut when full); returns the length to restore. */
static size_t
path_add(struct enc *e, const char *text, size_t n)
{
    size_t old = e->plen;
    size_t room = sizeof e->path - 1 - e->plen;
    n = n < room ? n : room;
    memcpy(e->path + e->plen, text, n);
    e->plen += n;
    e->path[e->plen] = '\0';
    return old;
}

/* ".key" */
static size_t
path_key(struct enc *e, const char *key, size_t n)
{
    size_t old = path_add(e, ".", 1);
    path_add(e, key, n);
    return old;
}

/* "[i]" */
static size_t
path_index(struct enc *e, lua_Integer i)
{
    char t[32];
    int k = snprintf(t, sizeof t, "[%lld]", (long long)i);
    return path_add(e, t, (size_t)k);
}

static void
path_pop(struct enc *e, size_t old)
{
    e->plen = old;
    e->path[old] = '\0';
}

static int
enc_error(struct enc *e, const char *what)
{
    return rs_lua_arg_error(e->L, "rs.json.encode", 1, "value", "%s at %s",
                            what, e->path);
}

/* Whether the table at idx is written as an array; its length then. */
static bool
is_array(lua_State *L, int idx, lua_Integer *len)
{
    lua_pushvalue(L, idx);
    bool marked = lua_rawget(L, MARKS) != LUA_TNIL; /* mark */
    lua_pop(L, 1);
    lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
    *len = n;
    if (marked)
        return true;
    if (n == 0)
        return false;
    lua_Integer count = 0;
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) { /* key value */
        lua_pop(L, 1);
        int isint = 0;
        lua_Integer k = lua_tointegerx(L, -1, &isint);
        if (lua_type(L, -1) != LUA_TNUMBER || !isint || k < 1 || k > n) {
            lua_pop(L, 1);
            return false;
        }
        count++;
    }
    return count == n;
}

struct key {
    const char *s;
    size_t n;
};

static int
key_cmp(const void *pa, const void *pb)
{
    const struct key *a = pa, *b = pb;
    int c = memcmp(a->s, b->s, a->n < b->n ? a->n : b->n);
    return c != 0 ? c : (a->n > b->n) - (a->n < b->n);
}

static void
encode_object(struct enc *e, int idx)
{
    lua_State *L = e->L;
    size_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) { /* key value */
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING) {
            char what[64];
            snprintf(what, sizeof what, "a %s key (keys must be strings)",
                     luaL_typename(L, -1));
            enc_error(e, what);
        }
        n++;
    }
    /* the keys, anchored by the table, sorted in a GC-owned array */
    struct key *keys = lua_newuserdatauv(L, (n > 0 ? n : 1) * sizeof *keys, 0);
    int kidx = lua_gettop(L);
    size_t k = 0;
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) { /* keys key value */
        lua_pop(L, 1);
        keys[k].s = lua_tolstring(L, -1, &keys[k].n);
        k++;
    }
    qsort(keys, n, sizeof *keys, key_cmp);
    rs_json_buf_raw(e->b, "{", 1);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            rs_json_buf_raw(e->b, ",", 1);
        rs_json_buf_string(e->b, keys[i].s, keys[i].n);
        rs_json_buf_raw(e->b, ":", 1);
        lua_pushlstring(L, keys[i].s, keys[i].n);
        lua_rawget(L, idx); /* keys value */
        size_t old = path_key(e, keys[i].s, keys[i].n);
        encode_value(e, lua_gettop(L));
        path_pop(e, old);
        lua_pop(L, 1);
    }
    rs_json_buf_raw(e->b, "}", 1);
    lua_remove(L, kidx);
}

static void
encode_table(struct enc *e, int idx)
{
    lua_State *L = e->L;
    if (e->depth == RS_JSON_DEPTH_MAX) {
        char what[64];
        snprintf(what, sizeof what, "tables nested deeper than %d",
                 RS_JSON_DEPTH_MAX);
        enc_error(e, what);
    }
    luaL_checkstack(L, 8, "rs.json.encode: nesting");
    lua_pushvalue(L, idx);
    if (lua_rawget(L, e->seen) != LUA_TNIL) /* seen[t] */
        enc_error(e, "a cycle");
    lua_pop(L, 1);
    lua_pushvalue(L, idx);
    lua_pushboolean(L, 1);
    lua_rawset(L, e->seen);
    e->depth++;
    lua_Integer n;
    if (is_array(L, idx, &n)) {
        rs_json_buf_raw(e->b, "[", 1);
        for (lua_Integer i = 1; i <= n; i++) {
            if (i > 1)
                rs_json_buf_raw(e->b, ",", 1);
            lua_rawgeti(L, idx, i);
            size_t old = path_index(e, i);
            encode_value(e, lua_gettop(L));
            path_pop(e, old);
            lua_pop(L, 1);
        }
        rs_json_buf_raw(e->b, "]", 1);
    } else {
        encode_object(e, idx);
    }
    e->depth--;
    lua_pushvalue(L, idx);
    lua_pushnil(L);
    lua_rawset(L, e->seen);
}

static void
encode_value(struct enc *e, int idx)
{
    lua_State *L = e->L;
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        rs_json_buf_raw(e->b, "null", 4);
        return;
    case LUA_TBOOLEAN: {
        bool t = lua_toboolean(L, idx);
        rs_json_buf_raw(e->b, t ? "true" : "false", t ? 4 : 5);
        return;
    }
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx))
            rs_json_buf_integer(e->b, (long long)lua_tointeger(L, idx));
        else
            rs_json_buf_double(e->b, (double)lua_tonumber(L, idx));
        return;
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        rs_json_buf_string(e->b, s, n);
        return;
    }
    case LUA_TTABLE:
        encode_table(e, idx);
        return;
    case LUA_TLIGHTUSERDATA:
        if (lua_touserdata(L, idx) == NULL) { /* json.null */
            rs_json_buf_raw(e->b, "null", 4);
            return;
        }
        break;
    default:
        break;
    }
    char what[64];
    snprintf(what, sizeof what, "cannot encode a %s", luaL_typename(L, idx));
    enc_error(e, what);
}

/* json.encode(v [, path]) */
static int
l_json_encode(lua_State *L)
{
    static const char fn[] = "rs.json.encode";
    const char *root = "value";
    if (!lua_isnoneornil(L, 2))
        root = rs_lua_check_string(L, 2, fn, "path");
    lua_settop(L, 2);
    struct json_box *box = new_box(L); /* v path box */
    lua_newtable(L);                   /* v path box seen */
    struct enc e = {.L = L, .b = &box->b, .seen = lua_gettop(L)};
    path_add(&e, root, strlen(root));
    encode_value(&e, 1);
    lua_pushlstring(L, box->b.p != NULL ? box->b.p : "", box->b.n);
    rs_json_buf_fini(&box->b);
    return 1;
}

/* ---- decode ----------------------------------------------------------- */

static void
push_value(lua_State *L, const rs_json *v)
{
    luaL_checkstack(L, 4, "rs.json.decode: nesting");
    int n = rs_json_len(v);
    switch (rs_json_typeof(v)) {
    case RS_JSON_NULL:
        lua_pushlightuserdata(L, NULL);
        break;
    case RS_JSON_BOOL:
        lua_pushboolean(L, rs_json_bool(v, false));
        break;
    case RS_JSON_NUMBER: {
        long long i;
        if (rs_json_integer(v, &i))
            lua_pushinteger(L, (lua_Integer)i);
        else
            lua_pushnumber(L, (lua_Number)rs_json_num(v, 0));
        break;
    }
    case RS_JSON_STRING: {
        size_t len;
        const char *s = rs_json_str(v, &len);
        lua_pushlstring(L, s, len);
        break;
    }
    case RS_JSON_ARRAY:
        lua_createtable(L, n, 0); /* t */
        for (int i = 0; i < n; i++) {
            push_value(L, rs_json_at(v, i));
            lua_rawseti(L, -2, i + 1);
        }
        lua_pushvalue(L, -1);
        lua_pushboolean(L, 1);
        lua_rawset(L, MARKS);
        break;
    case RS_JSON_OBJECT:
        lua_createtable(L, 0, n); /* t */
        for (int i = 0; i < n; i++) {
            size_t len;
            const char *k = rs_json_key(v, i, &len);
            lua_pushlstring(L, k, len); /* t key */
            push_value(L, rs_json_at(v, i));
            lua_rawset(L, -3);
        }
        break;
    }
}

/* json.decode(text) -> value | nil, message */
static int
l_json_decode(lua_State *L)
{
    rs_lua_check_string(L, 1, "rs.json.decode", "text");
    size_t len;
    const char *text = lua_tolstring(L, 1, &len);
    struct json_box *box = new_box(L);
    struct rs_error err = {0};
    box->tree = rs_json_parse(text, len, &err);
    if (box->tree == NULL) {
        lua_pushnil(L);
        lua_pushstring(L, err.msg);
        return 2;
    }
    push_value(L, box->tree); /* text box value */
    rs_json_free(box->tree);
    box->tree = NULL;
    return 1;
}

/* json.array(t) -> t */
static int
l_json_array(lua_State *L)
{
    rs_lua_check_table(L, 1, "rs.json.array", "t");
    lua_settop(L, 1);
    lua_pushvalue(L, 1);
    lua_pushboolean(L, 1);
    lua_rawset(L, MARKS);
    return 1;
}

int
luaopen_repscope_json(lua_State *L)
{
    static const luaL_Reg funcs[] = {
        {"encode", l_json_encode},
        {"decode", l_json_decode},
        {"array", l_json_array},
        {NULL, NULL},
    };
    luaL_newmetatable(L, JSON_BOX_MT);
    lua_pushcfunction(L, l_json_box_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    luaL_newlibtable(L, funcs); /* M */
    lua_newtable(L);            /* M marks */
    lua_createtable(L, 0, 1);   /* M marks mt */
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    luaL_setfuncs(L, funcs, 1); /* M */
    lua_pushlightuserdata(L, NULL);
    lua_setfield(L, -2, "null");
    return 1;
}
