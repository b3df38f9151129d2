/* repscope - MIT licence, see COPYING.
 *
 * l_seqtask.c: the synthetic sequence tasks (data/seqtask.h) in rs.data:
 *
 *   rs.data.seqtask{task="copy_first", min_len=1, max_len=16, symbols=10,
 *                   p_one=0.7, sep_every=0} -> task
 *   task:sample(len [, seed]) -> ids (1-based list of 0-based ids), target
 *   task:seq_len(len), task:classes(), task:config(), task:set_sep(k)
 *   rs.data.tokens("1111,1110?") -> {1, 1, 1, 1, 11, 1, 1, 1, 0, 12}
 *   rs.data.token_text(ids) -> "1111,1110?"
 *
 * A task handle holds its config by value (no C resource, nothing to
 * release); trainers copy it, so task:set_sep changes a trainer only
 * through trainer:set_task(task). :sample without a seed draws from the
 * state's RNG (rs.seed). Worker thread only.
 */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "data/seqtask.h"
#include "lua/bind.h"

static const char *const task_names[] = {"copy_first", "copy_last", "count",
                                         "count_ones", "sum",       NULL};

/* Token id of a character, -1 if it is none. */
static int
char_token(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    switch (c) {
    case '+':
        return RS_SEQ_PLUS;
    case ',':
        return RS_SEQ_SEP;
    case '?':
        return RS_SEQ_QUERY;
    default:
        return -1;
    }
}

static int l_seqtask_sample(lua_State *L);
static int l_seqtask_seq_len(lua_State *L);
static int l_seqtask_classes(lua_State *L);
static int l_seqtask_config(lua_State *L);
static int l_seqtask_set_sep(lua_State *L);
static int l_seqtask_tostring(lua_State *L);

/* Push the task metatable, creating it on first use (rs_lua_push_seqtask
 * may run before rs.data is opened). */
static void
push_meta(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"sample", l_seqtask_sample},   {"seq_len", l_seqtask_seq_len},
        {"classes", l_seqtask_classes}, {"config", l_seqtask_config},
        {"set_sep", l_seqtask_set_sep}, {NULL, NULL},
    };
    if (luaL_newmetatable(L, RS_LUA_SEQTASK_MT)) { /* mt */
        luaL_newlib(L, methods);            /* mt methods */
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, l_seqtask_tostring);
        lua_setfield(L, -2, "__tostring");
    }
}

struct rs_seqtask_config *
rs_lua_check_seqtask(lua_State *L, int arg, const char *fn, const char *name)
{
    struct rs_seqtask_config *c = luaL_testudata(L, arg, RS_LUA_SEQTASK_MT);
    if (c == NULL)
        rs_lua_type_error(L, fn, arg, name, "seqtask");
    return c;
}

void
rs_lua_push_seqtask(lua_State *L, const struct rs_seqtask_config *cfg)
{
    struct rs_seqtask_config *c = lua_newuserdatauv(L, sizeof *c, 0);
    *c = *cfg;
    push_meta(L); /* ud mt */
    lua_setmetatable(L, -2);
}

static int
l_data_seqtask(lua_State *L)
{
    static const char fn[] = "rs.data.seqtask";
    static const char *const fields[] = {
        "task", "min_len", "max_len", "symbols", "p_one", "sep_every", NULL};
    rs_lua_check_table(L, 1, fn, "config");
    rs_lua_check_fields(L, 1, fn, fields);
    struct rs_seqtask_config c;
    rs_seqtask_config_default(&c);
    c.kind = (enum rs_seqtask_kind)rs_lua_opt_enum_field(
        L, 1, fn, "task", rs_seqtask_kind_name(c.kind), task_names);
    /* Wide bounds here: rs_seqtask_config_check names the exact range. */
    c.min_len = (int)rs_lua_opt_int_field(L, 1, fn, "min_len", c.min_len,
                                          INT_MIN, INT_MAX);
    c.max_len = (int)rs_lua_opt_int_field(L, 1, fn, "max_len", c.max_len,
                                          INT_MIN, INT_MAX);
    c.symbols = (int)rs_lua_opt_int_field(L, 1, fn, "symbols", c.symbols,
                                          INT_MIN, INT_MAX);
    c.sep_every = (int)rs_lua_opt_int_field(L, 1, fn, "sep_every", c.sep_every,
                                            INT_MIN, INT_MAX);
    lua_Number p = rs_lua_opt_number_field(L, 1, fn, "p_one", c.p_one);
    c.p_one = (float)p;
    struct rs_error err = {0};
    if (rs_seqtask_config_check(&c, &err) != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    rs_lua_push_seqtask(L, &c);
    return 1;
}

/* len at arg as a content length in 1..RS_SEQTASK_MAX_LEN. */
static int
check_len(lua_State *L, int arg, const char *fn)
{
    lua_Integer len = rs_lua_check_integer(L, arg, fn, "len");
    if (len < 1 || len > RS_SEQTASK_MAX_LEN)
        return rs_lua_arg_error(L, fn, arg, "len", "%lld is outside 1..%d",
                                (long long)len, RS_SEQTASK_MAX_LEN);
    return (int)len;
}

/* task:sample(len [, seed]) -> ids, target */
static int
l_seqtask_sample(lua_State *L)
{
    static const char fn[] = "seqtask:sample";
    const struct rs_seqtask_config *c = rs_lua_check_seqtask(L, 1, fn, "self");
    int len = check_len(L, 2, fn);
    struct rs_rng local, *rng = &rs_lua_ctx(L)->rng;
    if (!lua_isnoneornil(L, 3)) {
        lua_Integer seed = rs_lua_check_integer(L, 3, fn, "seed");
        rs_rng_seed(&local, (uint64_t)seed);
        rng = &local;
    }
    int T = rs_seqtask_seq_len(c, len);
    int *ids = lua_newuserdatauv(L, (size_t)T * sizeof *ids, 0); /* tmp */
    int target = 0;
    struct rs_error err = {0};
    if (rs_seqtask_sample(c, rng, 1, len, ids, &target, &err) != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    lua_createtable(L, T, 0); /* tmp ids */
    for (int t = 0; t < T; t++) {
        lua_pushinteger(L, ids[t]);
        lua_rawseti(L, -2, t + 1);
    }
    lua_pushinteger(L, target); /* tmp ids target */
    return 2;
}

static int
l_seqtask_seq_len(lua_State *L)
{
    static const char fn[] = "seqtask:seq_len";
    const struct rs_seqtask_config *c = rs_lua_check_seqtask(L, 1, fn, "self");
    lua_pushinteger(L, rs_seqtask_seq_len(c, check_len(L, 2, fn)));
    return 1;
}

static int
l_seqtask_classes(lua_State *L)
{
    const struct rs_seqtask_config *c =
        rs_lua_check_seqtask(L, 1, "seqtask:classes", "self");
    lua_pushinteger(L, rs_seqtask_classes(c));
    return 1;
}

/* task:config() -> {task=, min_len=, max_len=, symbols=, p_one=,
 * sep_every=}: the fields rs.data.seqtask takes. */
static int
l_seqtask_config(lua_State *L)
{
    const struct rs_seqtask_config *c =
        rs_lua_check_seqtask(L, 1, "seqtask:config", "self");
    lua_createtable(L, 0, 6);
    lua_pushstring(L, rs_seqtask_kind_name(c->kind));
    lua_setfield(L, -2, "task");
    lua_pushinteger(L, c->min_len);
    lua_setfield(L, -2, "min_len");
    lua_pushinteger(L, c->max_len);
    lua_setfield(L, -2, "max_len");
    lua_pushinteger(L, c->symbols);
    lua_setfield(L, -2, "symbols");
    lua_pushnumber(L, (lua_Number)c->p_one);
    lua_setfield(L, -2, "p_one");
    lua_pushinteger(L, c->sep_every);
    lua_setfield(L, -2, "sep_every");
    return 1;
}

/* task:set_sep(k): a separator after every k content tokens; 0: none. */
static int
l_seqtask_set_sep(lua_State *L)
{
    static const char fn[] = "seqtask:set_sep";
    struct rs_seqtask_config *c = rs_lua_check_seqtask(L, 1, fn, "self");
    lua_Integer k = rs_lua_check_integer(L, 2, fn, "k");
    if (k < 0 || k > RS_SEQTASK_MAX_LEN)
        return rs_lua_arg_error(L, fn, 2, "k",
                                "%lld is outside 0..%d (0: no separators)",
                                (long long)k, RS_SEQTASK_MAX_LEN);
    c->sep_every = (int)k;
    return 0;
}

static int
l_seqtask_tostring(lua_State *L)
{
    const struct rs_seqtask_config *c = luaL_checkudata(L, 1, RS_LUA_SEQTASK_MT);
    lua_pushfstring(L, "seqtask %s (len %d..%d, sep_every %d, %d classes)",
                    rs_seqtask_kind_name(c->kind), c->min_len, c->max_len,
                    c->sep_every, rs_seqtask_classes(c));
    return 1;
}

/* rs.data.tokens(str) -> ids: one id per token character, spaces
 * skipped. */
static int
l_data_tokens(lua_State *L)
{
    static const char fn[] = "rs.data.tokens";
    rs_lua_check_string(L, 1, fn, "str");
    size_t n = 0;
    const char *s = lua_tolstring(L, 1, &n);
    lua_createtable(L, (int)(n < INT_MAX ? n : 0), 0);
    lua_Integer k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (isspace(ch))
            continue;
        int id = char_token(ch);
        if (id < 0 && isprint(ch))
            return rs_lua_arg_error(L, fn, 1, "str",
                                    "'%c' at position %zu is not a token "
                                    "(0-9, '+', ',', '?')",
                                    ch, i + 1);
        if (id < 0)
            return rs_lua_arg_error(L, fn, 1, "str",
                                    "byte 0x%02x at position %zu is not a "
                                    "token (0-9, '+', ',', '?')",
                                    ch, i + 1);
        lua_pushinteger(L, id);
        lua_rawseti(L, -2, ++k);
    }
    return 1;
}

/* rs.data.token_text(ids) -> the token characters of a list of ids. */
static int
l_data_text(lua_State *L)
{
    static const char fn[] = "rs.data.token_text";
    rs_lua_check_table(L, 1, fn, "ids");
    lua_Integer n = luaL_len(L, 1);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_geti(L, 1, i);
        int isint = 0;
        lua_Integer v = lua_tointegerx(L, -1, &isint);
        lua_pop(L, 1);
        if (!isint || v < 0 || v >= RS_SEQ_VOCAB)
            return rs_lua_arg_error(L, fn, 1, "ids",
                                    "entry %lld is not a token id in 0..%d",
                                    (long long)i, RS_SEQ_VOCAB - 1);
        luaL_addstring(&b, rs_seqtask_token_text((int)v));
    }
    luaL_pushresult(&b);
    return 1;
}

void
rs_lua_open_seqtask(lua_State *L)
{
    static const luaL_Reg funcs[] = {
        {"seqtask", l_data_seqtask},
        {"tokens", l_data_tokens},
        {"token_text", l_data_text},
        {NULL, NULL},
    };
    push_meta(L); /* data mt */
    lua_pop(L, 1);
    luaL_setfuncs(L, funcs, 0);
}
