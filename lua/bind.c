/* repscope - MIT licence, see COPYING.
 *
 * bind.c: the helpers declared in bind.h: sink shortcuts, error raisers
 * with the project's message shapes, argument and table-field checks, and
 * the generic handle box. Every raiser goes through luaL_error, so the
 * message carries the calling Lua code's "file:line:". Worker thread only.
 */
#include "config.h"

#include "lua/bind.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

void
rs_lua_log(lua_State *L, const char *name, double value)
{
    struct rs_lua_ctx *c = rs_lua_ctx(L);
    if (c->sink.log != NULL)
        c->sink.log(c->sink.ud, name, value);
}

void
rs_lua_matrix(lua_State *L, const char *name, int rows, int cols,
              const float *data)
{
    rs_lua_matrix_labeled(L, name, rows, cols, data, NULL, NULL);
}

void
rs_lua_matrix_labeled(lua_State *L, const char *name, int rows, int cols,
                      const float *data, const char *const *row_labels,
                      const char *const *col_labels)
{
    struct rs_lua_ctx *c = rs_lua_ctx(L);
    if (c->sink.matrix != NULL)
        c->sink.matrix(c->sink.ud, name, rows, cols, data, row_labels,
                       col_labels);
}

void
rs_lua_print(lua_State *L, const char *text)
{
    struct rs_lua_ctx *c = rs_lua_ctx(L);
    if (c->sink.print != NULL)
        c->sink.print(c->sink.ud, text);
}

void
rs_lua_event(lua_State *L, const char *text)
{
    struct rs_lua_ctx *c = rs_lua_ctx(L);
    if (c->sink.event != NULL)
        c->sink.event(c->sink.ud, text);
}

/* ---- errors ------------------------------------------------------------ */

int
rs_lua_arg_error(lua_State *L, const char *fn, int arg, const char *name,
                 const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    /* Methods ("tensor:matmul") count their arguments after self, as Lua
     * itself does for obj:method(...). */
    if (strchr(fn, ':') != NULL) {
        if (arg == 1)
            return luaL_error(L, "%s: bad self (%s)", fn, what);
        arg--;
    }
    return luaL_error(L, "%s: bad argument #%d '%s' (%s)", fn, arg, name, what);
}

int
rs_lua_type_error(lua_State *L, const char *fn, int arg, const char *name,
                  const char *expected)
{
    const char *got = luaL_typename(L, arg);
    if (luaL_getmetafield(L, arg, "__name") == LUA_TSTRING) {
        const char *mt = lua_tostring(L, -1);
        if (strncmp(mt, "repscope.", 9) == 0)
            got = mt + 9;
    }
    return rs_lua_arg_error(L, fn, arg, name, "%s expected, got %s", expected,
                            got);
}

int
rs_lua_field_error(lua_State *L, const char *fn, const char *key,
                   const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return luaL_error(L, "%s: bad field '%s' (%s)", fn, key, what);
}

int
rs_lua_field_type_error(lua_State *L, const char *fn, const char *key,
                        const char *expected, int type_idx)
{
    const char *got = luaL_typename(L, type_idx);
    if (lua_isnumber(L, type_idx) && lua_type(L, type_idx) == LUA_TNUMBER &&
        strcmp(expected, "integer") == 0)
        got = "non-integer number";
    return rs_lua_field_error(L, fn, key, "%s expected, got %s", expected, got);
}

/* The length of the op name when msg opens with "<op>: " (a bare
 * identifier, how a graph names the op that failed), else 0. */
static size_t
op_len(const char *msg)
{
    size_t n = 0;
    if (!isalpha((unsigned char)msg[0]) && msg[0] != '_')
        return 0;
    while (isalnum((unsigned char)msg[n]) || msg[n] == '_')
        n++;
    return msg[n] == ':' && msg[n + 1] == ' ' ? n : 0;
}

void
rs_lua_push_status(lua_State *L, const char *fn, const struct rs_error *err)
{
    const char *msg = err->msg;
    size_t op = op_len(msg);
    if (op == 0) {
        lua_pushfstring(L, "%s: %s", fn, msg);
        return;
    }
    /* a method named after its op ("matmul" of "tensor:matmul") says it
     * once; anything else (rs.train and "train: ...") is a second prefix
     * and shows as one */
    const char *own = strchr(fn, ':');
    if (own != NULL && strlen(own + 1) == op &&
        strncmp(own + 1, msg, op) == 0)
        lua_pushfstring(L, "%s: %s", fn, msg + op + 2);
    else
        lua_pushfstring(L, "%s: in %s", fn, msg);
}

int
rs_lua_status_error(lua_State *L, const char *fn, const struct rs_error *err)
{
    luaL_where(L, 1);
    rs_lua_push_status(L, fn, err);
    lua_concat(L, 2);
    return lua_error(L);
}

/* ---- arguments --------------------------------------------------------- */

lua_Number
rs_lua_check_number(lua_State *L, int arg, const char *fn, const char *name)
{
    if (lua_type(L, arg) != LUA_TNUMBER)
        rs_lua_type_error(L, fn, arg, name, "number");
    return lua_tonumber(L, arg);
}

lua_Integer
rs_lua_check_integer(lua_State *L, int arg, const char *fn, const char *name)
{
    int isint = 0;
    lua_Integer v = 0;
    if (lua_type(L, arg) == LUA_TNUMBER)
        v = lua_tointegerx(L, arg, &isint);
    if (!isint) {
        if (lua_type(L, arg) == LUA_TNUMBER)
            rs_lua_arg_error(L, fn, arg, name,
                             "integer expected, got non-integer number");
        rs_lua_type_error(L, fn, arg, name, "integer");
    }
    return v;
}

const char *
rs_lua_check_string(lua_State *L, int arg, const char *fn, const char *name)
{
    if (lua_type(L, arg) != LUA_TSTRING)
        rs_lua_type_error(L, fn, arg, name, "string");
    return lua_tostring(L, arg);
}

void
rs_lua_check_table(lua_State *L, int arg, const char *fn, const char *name)
{
    if (lua_type(L, arg) != LUA_TTABLE)
        rs_lua_type_error(L, fn, arg, name, "table");
}

/* "'a', 'b' or 'c'" into buf. */
static void
enum_list(char *buf, size_t len, const char *const names[])
{
    size_t off = 0;
    buf[0] = '\0';
    for (int i = 0; names[i] != NULL && off < len; i++) {
        const char *sep = i == 0 ? "" : names[i + 1] == NULL ? " or " : ", ";
        int k = snprintf(buf + off, len - off, "%s'%s'", sep, names[i]);
        if (k < 0)
            break;
        off += (size_t)k;
    }
}

static int
enum_find(const char *s, const char *const names[])
{
    for (int i = 0; names[i] != NULL; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

int
rs_lua_check_enum(lua_State *L, int arg, const char *fn, const char *name,
                  const char *def, const char *const names[])
{
    const char *s = def;
    if (!(def != NULL && lua_isnoneornil(L, arg)))
        s = rs_lua_check_string(L, arg, fn, name);
    int i = enum_find(s, names);
    if (i < 0) {
        char list[256];
        enum_list(list, sizeof list, names);
        rs_lua_arg_error(L, fn, arg, name, "%s expected, got '%s'", list, s);
    }
    return i;
}

int
rs_lua_check_shape(lua_State *L, int arg, const char *fn, const char *name,
                   int shape[RS_MAX_DIMS])
{
    static const char what[] = "table of up to 4 positive integers";
    int n;
    if (lua_type(L, arg) == LUA_TTABLE) {
        n = (int)luaL_len(L, arg);
        if (n > RS_MAX_DIMS)
            rs_lua_arg_error(L, fn, arg, name, "%d dimensions (at most %d)", n,
                             RS_MAX_DIMS);
        for (int i = 0; i < n; i++) {
            lua_geti(L, arg, i + 1);
            int isint = 0;
            lua_Integer v = lua_tointegerx(L, -1, &isint);
            lua_pop(L, 1);
            if (!isint || v < 1 || v > INT32_MAX)
                rs_lua_arg_error(L, fn, arg, name,
                                 "dimension %d is not a positive integer",
                                 i + 1);
            shape[i] = (int)v;
        }
        return n;
    }
    if (lua_type(L, arg) != LUA_TNUMBER)
        rs_lua_type_error(L, fn, arg, name, what);
    n = lua_gettop(L) - arg + 1;
    if (n > RS_MAX_DIMS)
        rs_lua_arg_error(L, fn, arg, name, "%d dimensions (at most %d)", n,
                         RS_MAX_DIMS);
    for (int i = 0; i < n; i++) {
        int isint = 0;
        lua_Integer v = lua_tointegerx(L, arg + i, &isint);
        if (!isint || v < 1 || v > INT32_MAX)
            rs_lua_arg_error(L, fn, arg + i, name,
                             "dimension %d is not a positive integer", i + 1);
        shape[i] = (int)v;
    }
    return n;
}

/* ---- table fields ------------------------------------------------------ */

void
rs_lua_check_fields(lua_State *L, int tbl, const char *fn,
                    const char *const allowed[])
{
    tbl = lua_absindex(L, tbl);
    lua_pushnil(L);
    while (lua_next(L, tbl) != 0) { /* key value */
        lua_pop(L, 1);
        const char *key =
            lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
        if (key == NULL || enum_find(key, allowed) < 0) {
            char list[384];
            size_t off = 0;
            list[0] = '\0';
            for (int i = 0; allowed[i] != NULL && off < sizeof list; i++) {
                int k = snprintf(list + off, sizeof list - off, "%s%s",
                                 i ? ", " : "", allowed[i]);
                if (k < 0)
                    break;
                off += (size_t)k;
            }
            if (key == NULL)
                luaL_error(L, "%s: unexpected %s key (known fields: %s)", fn,
                           luaL_typename(L, -1), list);
            luaL_error(L, "%s: unknown field '%s' (known: %s)", fn, key, list);
        }
    }
}

bool
rs_lua_has_field(lua_State *L, int tbl, const char *key)
{
    bool has = lua_getfield(L, tbl, key) != LUA_TNIL;
    lua_pop(L, 1);
    return has;
}

lua_Number
rs_lua_opt_number_field(lua_State *L, int tbl, const char *fn, const char *key,
                        lua_Number def)
{
    int t = lua_getfield(L, tbl, key);
    lua_Number v = def;
    if (t == LUA_TNUMBER)
        v = lua_tonumber(L, -1);
    else if (t != LUA_TNIL)
        rs_lua_field_type_error(L, fn, key, "number", -1);
    lua_pop(L, 1);
    return v;
}

lua_Integer
rs_lua_opt_int_field(lua_State *L, int tbl, const char *fn, const char *key,
                     lua_Integer def, lua_Integer lo, lua_Integer hi)
{
    int t = lua_getfield(L, tbl, key);
    lua_Integer v = def;
    if (t != LUA_TNIL) {
        int isint = 0;
        if (t == LUA_TNUMBER)
            v = lua_tointegerx(L, -1, &isint);
        if (!isint)
            rs_lua_field_type_error(L, fn, key, "integer", -1);
        if (v < lo || v > hi)
            rs_lua_field_error(L, fn, key, "%lld is outside %lld..%lld",
                               (long long)v, (long long)lo, (long long)hi);
    }
    lua_pop(L, 1);
    return v;
}

bool
rs_lua_opt_bool_field(lua_State *L, int tbl, const char *fn, const char *key,
                      bool def)
{
    int t = lua_getfield(L, tbl, key);
    bool v = def;
    if (t == LUA_TBOOLEAN)
        v = lua_toboolean(L, -1);
    else if (t != LUA_TNIL)
        rs_lua_field_type_error(L, fn, key, "boolean", -1);
    lua_pop(L, 1);
    return v;
}

const char *
rs_lua_opt_string_field(lua_State *L, int tbl, const char *fn, const char *key,
                        const char *def)
{
    int t = lua_getfield(L, tbl, key);
    const char *v = def;
    if (t == LUA_TSTRING)
        v = lua_tostring(L, -1); /* still referenced by the table */
    else if (t != LUA_TNIL)
        rs_lua_field_type_error(L, fn, key, "string", -1);
    lua_pop(L, 1);
    return v;
}

int
rs_lua_opt_enum_field(lua_State *L, int tbl, const char *fn, const char *key,
                      const char *def, const char *const names[])
{
    const char *s = rs_lua_opt_string_field(L, tbl, fn, key, def);
    int i = s != NULL ? enum_find(s, names) : -1;
    if (i < 0) {
        char list[256];
        enum_list(list, sizeof list, names);
        rs_lua_field_error(L, fn, key, "%s expected, got '%s'", list,
                           s != NULL ? s : "nil");
    }
    return i;
}

float
rs_lua_opt_float_field(lua_State *L, int tbl, const char *fn, const char *key,
                       float def, float lo)
{
    lua_Number v = rs_lua_opt_number_field(L, tbl, fn, key, (lua_Number)def);
    if (!isfinite(v) || v < (lua_Number)lo || fabs(v) > 3.0e38)
        rs_lua_field_error(L, fn, key, "%g is not a finite number >= %g", v,
                           (double)lo);
    return (float)v;
}

/* ---- boxes ------------------------------------------------------------- */

void **
rs_lua_new_box(lua_State *L, const char *mt)
{
    /* a tensor box also keeps the bytes it counts (bind.h) */
    bool tensor = strcmp(mt, RS_LUA_TENSOR_MT) == 0;
    void **box = lua_newuserdatauv(
        L, tensor ? sizeof(struct rs_lua_tensor_box) : sizeof(void *), 0);
    if (tensor)
        memset(box, 0, sizeof(struct rs_lua_tensor_box));
    *box = NULL;
    luaL_setmetatable(L, mt);
    return box;
}

void *
rs_lua_test_box(lua_State *L, int arg, const char *mt)
{
    void **box = luaL_testudata(L, arg, mt);
    return box != NULL ? *box : NULL;
}

void *
rs_lua_check_box(lua_State *L, int arg, const char *mt, const char *what,
                 const char *fn, const char *name)
{
    void **box = luaL_testudata(L, arg, mt);
    if (box == NULL)
        rs_lua_type_error(L, fn, arg, name, what);
    if (*box == NULL)
        luaL_error(L, "%s: attempt to use a released %s", fn, what);
    return *box;
}
