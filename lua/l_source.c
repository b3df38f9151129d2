/* repscope - MIT licence, see COPYING.
 *
 * l_source.c: data sources (data/source.h) in rs.data, and the one
 * conversion every learner uses:
 *
 *   rs.data.corpus{ids=, vocab=, T=, test_frac=0.1} -> source
 *       language-model windows of T + 1 tokens over ids (a list of
 *       0-based integers, or a tensor of them)
 *   rs.data.zip(a, b) -> source   two sources side by side (paired
 *       inputs: input 1 from a, input 2 from b)
 *   src:kind(), src:info() -> {inputs=, kind={...}, width={...},
 *       vocab={...}, classes=}, src:count(split)
 *
 * A dataset (rs.data.modular, rs.data.fmnist), a sequence task
 * (rs.data.seqtask) and a source handle are all sources:
 * rs_lua_to_source turns any of them into a new reference. A task handle
 * is copied (task:set_sep after that reaches a learner only through
 * learner:set_data(task)). A source handle owns one reference; zip's
 * handle keeps its two parts referenced by uservalues. Worker thread
 * only.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data/source.h"
#include "lua/bind.h"

rs_source *
rs_lua_check_source(lua_State *L, int arg, const char *fn, const char *name)
{
    return rs_lua_check_box(L, arg, RS_LUA_SOURCE_MT, "source", fn, name);
}

bool
rs_lua_is_source(lua_State *L, int idx)
{
    return luaL_testudata(L, idx, RS_LUA_SOURCE_MT) != NULL ||
           luaL_testudata(L, idx, RS_LUA_DATASET_MT) != NULL ||
           luaL_testudata(L, idx, RS_LUA_SEQTASK_MT) != NULL;
}

rs_source *
rs_lua_to_source(lua_State *L, int idx, struct rs_error *err)
{
    rs_dataset *d = rs_lua_test_box(L, idx, RS_LUA_DATASET_MT);
    if (d != NULL)
        return rs_source_dataset(d);
    const struct rs_seqtask_config *t =
        luaL_testudata(L, idx, RS_LUA_SEQTASK_MT);
    if (t != NULL)
        return rs_source_seqtask(t, err);
    rs_source *s = rs_lua_test_box(L, idx, RS_LUA_SOURCE_MT);
    if (s != NULL) {
        rs_source_retain(s);
        return s;
    }
    rs_error_set(err, RS_EINVAL, "not a live source");
    return NULL;
}

/* rs.data.corpus{ids=, vocab=, T=, test_frac=} */
static int
l_source_corpus(lua_State *L)
{
    static const char fn[] = "rs.data.corpus";
    static const char *const fields[] = {"ids", "vocab", "T", "test_frac",
                                         NULL};
    rs_lua_check_table(L, 1, fn, "config");
    rs_lua_check_fields(L, 1, fn, fields);
    if (!rs_lua_has_field(L, 1, "ids"))
        return luaL_error(L, "%s: field 'ids' is required", fn);
    if (!rs_lua_has_field(L, 1, "vocab"))
        return luaL_error(L, "%s: field 'vocab' is required", fn);
    if (!rs_lua_has_field(L, 1, "T"))
        return luaL_error(L, "%s: field 'T' is required", fn);
    int vocab = (int)rs_lua_opt_int_field(L, 1, fn, "vocab", 0, 1, INT32_MAX);
    int T = (int)rs_lua_opt_int_field(L, 1, fn, "T", 0, 1, INT32_MAX);
    lua_Number frac = rs_lua_opt_number_field(L, 1, fn, "test_frac", 0.1);
    if (!(frac >= 0.0 && frac < 1.0))
        return rs_lua_field_error(L, fn, "test_frac", "%g is outside [0, 1)",
                                  (double)frac);
    /* the ids into GC-owned scratch: a list of integers or a tensor */
    lua_getfield(L, 1, "ids"); /* cfg ids */
    size_t n = 0;
    int *ids = NULL;
    if (lua_istable(L, -1)) {
        n = (size_t)luaL_len(L, -1);
        ids = lua_newuserdatauv(L, (n > 0 ? n : 1) * sizeof *ids, 0);
        for (size_t i = 0; i < n; i++) {
            lua_geti(L, -2, (lua_Integer)i + 1);
            int isint = 0;
            lua_Integer v = lua_tointegerx(L, -1, &isint);
            lua_pop(L, 1);
            if (!isint || v < 0 || v >= vocab)
                return rs_lua_field_error(L, fn, "ids",
                                          "entry %zu is not an id in 0..%d",
                                          i + 1, vocab - 1);
            ids[i] = (int)v;
        }
    } else if (rs_lua_test_box(L, -1, RS_LUA_TENSOR_MT) != NULL) {
        rs_tensor *t = rs_lua_check_tensor(L, -1, fn, "ids");
        n = t->numel;
        ids = lua_newuserdatauv(L, (n > 0 ? n : 1) * sizeof *ids, 0);
        for (size_t i = 0; i < n; i++) {
            float v = t->data[i];
            if (!(v >= 0.0f && v < (float)vocab) || v != floorf(v))
                return rs_lua_field_error(L, fn, "ids",
                                          "entry %zu is not an id in 0..%d",
                                          i + 1, vocab - 1);
            ids[i] = (int)v;
        }
    } else {
        return rs_lua_field_type_error(L, fn, "ids", "list of ids or tensor",
                                       -1);
    }
    void **box = rs_lua_new_box(L, RS_LUA_SOURCE_MT);
    struct rs_error err = {0};
    rs_source *s = rs_source_corpus(ids, n, vocab, T, frac, &err);
    if (s == NULL)
        return rs_lua_status_error(L, fn, &err);
    *box = s;
    return 1;
}

/* rs.data.zip(a, b) */
static int
l_source_zip(lua_State *L)
{
    static const char fn[] = "rs.data.zip";
    for (int i = 1; i <= 2; i++)
        if (!rs_lua_is_source(L, i))
            return rs_lua_type_error(L, fn, i, i == 1 ? "a" : "b", "source");
    void **box = rs_lua_new_box(L, RS_LUA_SOURCE_MT);
    struct rs_error err = {0};
    rs_source *a = rs_lua_to_source(L, 1, &err);
    rs_source *b = a != NULL ? rs_lua_to_source(L, 2, &err) : NULL;
    rs_source *z = b != NULL ? rs_source_zip(a, b, &err) : NULL;
    rs_source_release(a);
    rs_source_release(b);
    if (z == NULL)
        return rs_lua_status_error(L, fn, &err);
    *box = z;
    return 1;
}

static const char *const kind_names[] = {"features", "tokens"};

static int
l_source_kind(lua_State *L)
{
    lua_pushstring(
        L, rs_source_kind(rs_lua_check_source(L, 1, "source:kind", "self")));
    return 1;
}

/* src:info() -> {inputs=, kind={...}, width={...}, vocab={...}, classes=,
 * generator=} */
static int
l_source_info(lua_State *L)
{
    rs_source *s = rs_lua_check_source(L, 1, "source:info", "self");
    struct rs_source_info si;
    rs_source_info(s, &si);
    lua_createtable(L, 0, 6);
    lua_pushinteger(L, si.ninputs);
    lua_setfield(L, -2, "inputs");
    static const char *const keys[] = {"kind", "width", "vocab"};
    for (int k = 0; k < 3; k++) {
        lua_createtable(L, si.ninputs, 0);
        for (int i = 0; i < si.ninputs; i++) {
            if (k == 0)
                lua_pushstring(L, kind_names[si.kind[i] == RS_NN_INPUT_TOKENS]);
            else
                lua_pushinteger(L, k == 1 ? si.width[i] : si.vocab[i]);
            lua_rawseti(L, -2, i + 1);
        }
        lua_setfield(L, -2, keys[k]);
    }
    lua_pushinteger(L, si.classes);
    lua_setfield(L, -2, "classes");
    lua_pushboolean(L, rs_source_is_generator(s));
    lua_setfield(L, -2, "generator");
    return 1;
}

/* src:count(split) -> examples in split (0: a generator) */
static int
l_source_count(lua_State *L)
{
    static const char fn[] = "source:count";
    static const char *const splits[] = {"train", "test", NULL};
    rs_source *s = rs_lua_check_source(L, 1, fn, "self");
    int split = rs_lua_check_enum(L, 2, fn, "split", "train", splits);
    lua_pushinteger(L, rs_source_count(s, (enum rs_split)split));
    return 1;
}

static int
l_source_gc(lua_State *L)
{
    void **box = luaL_checkudata(L, 1, RS_LUA_SOURCE_MT);
    rs_source_release(*box);
    *box = NULL;
    return 0;
}

static int
l_source_tostring(lua_State *L)
{
    void **box = luaL_checkudata(L, 1, RS_LUA_SOURCE_MT);
    if (*box == NULL) {
        lua_pushliteral(L, "source (released)");
        return 1;
    }
    struct rs_source_info si;
    rs_source_info(*box, &si);
    lua_pushfstring(L, "source (%s, %d input%s%s)", rs_source_kind(*box),
                    si.ninputs, si.ninputs == 1 ? "" : "s",
                    rs_source_is_generator(*box) ? ", generator" : "");
    return 1;
}

void
rs_lua_open_source(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"kind", l_source_kind},
        {"info", l_source_info},
        {"count", l_source_count},
        {"release", l_source_gc},
        {NULL, NULL},
    };
    static const luaL_Reg meta[] = {
        {"__gc", l_source_gc},
        {"__close", l_source_gc},
        {"__tostring", l_source_tostring},
        {NULL, NULL},
    };
    if (luaL_newmetatable(L, RS_LUA_SOURCE_MT)) { /* data mt */
        luaL_setfuncs(L, meta, 0);
        luaL_newlib(L, methods);
        lua_setfield(L, -2, "__index");
    }
    lua_pop(L, 1);
    lua_pushcfunction(L, l_source_corpus);
    lua_setfield(L, -2, "corpus");
    lua_pushcfunction(L, l_source_zip);
    lua_setfield(L, -2, "zip");
    rs_lua_open_imgtext(L);
    rs_lua_open_text(L);
}
