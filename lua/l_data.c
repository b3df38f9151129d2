/* repscope - MIT licence, see COPYING.
 *
 * l_data.c: rs.data, supervised datasets over data/dataset.h. For now the
 * modular-arithmetic table: rs.data.modular{p=97, op="+", train_frac=0.5,
 * seed=1}. A dataset handle offers its sizes, batches as tensors (inputs)
 * plus label tables, and for the modular kind the operands of an example.
 * Labels are class numbers 0..classes-1 (the value of a op b mod p);
 * example indices are 1-based. Worker thread only.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "data/modular.h"
#include "lua/bind.h"

static const char *const split_names[] = {"train", "test", NULL};

rs_dataset *
rs_lua_check_dataset(lua_State *L, int arg, const char *fn, const char *name)
{
    return rs_lua_check_box(L, arg, RS_LUA_DATASET_MT, "dataset", fn, name);
}

void
rs_lua_push_dataset(lua_State *L, rs_dataset *d)
{
    void **box = rs_lua_new_box(L, RS_LUA_DATASET_MT);
    rs_dataset_retain(d);
    *box = d;
}

static int
l_data_modular(lua_State *L)
{
    static const char fn[] = "rs.data.modular";
    static const char *const fields[] = {"p", "op", "train_frac", "seed", NULL};
    static const char *const ops[] = {"+", "-", "*", "/", NULL};
    rs_lua_check_table(L, 1, fn, "config");
    rs_lua_check_fields(L, 1, fn, fields);
    struct rs_data_modular_config c;
    memset(&c, 0, sizeof c);
    c.p = (int)rs_lua_opt_int_field(L, 1, fn, "p", 97, 2, 1000);
    c.op = ops[rs_lua_opt_enum_field(L, 1, fn, "op", "+", ops)][0];
    lua_Number frac = rs_lua_opt_number_field(L, 1, fn, "train_frac", 0.5);
    if (!(frac > 0.0 && frac < 1.0))
        return rs_lua_field_error(L, fn, "train_frac", "%g is outside (0, 1)",
                                  frac);
    c.train_frac = (float)frac;
    c.seed =
        (uint64_t)rs_lua_opt_int_field(L, 1, fn, "seed", 1, 0, LUA_MAXINTEGER);
    void **box = rs_lua_new_box(L, RS_LUA_DATASET_MT);
    struct rs_error err = {0};
    rs_dataset *d = rs_dataset_modular(&c, &err);
    if (d == NULL)
        return rs_lua_status_error(L, fn, &err);
    *box = d;
    return 1;
}

static int
l_data_count(lua_State *L)
{
    static const char fn[] = "dataset:count";
    rs_dataset *d = rs_lua_check_dataset(L, 1, fn, "self");
    int s = rs_lua_check_enum(L, 2, fn, "split", NULL, split_names);
    lua_pushinteger(L, rs_dataset_count(d, (enum rs_split)s));
    return 1;
}

static int
l_data_input_dim(lua_State *L)
{
    rs_dataset *d = rs_lua_check_dataset(L, 1, "dataset:input_dim", "self");
    lua_pushinteger(L, rs_dataset_input_dim(d));
    return 1;
}

static int
l_data_classes(lua_State *L)
{
    rs_dataset *d = rs_lua_check_dataset(L, 1, "dataset:classes", "self");
    lua_pushinteger(L, rs_dataset_classes(d));
    return 1;
}

static int
l_data_kind(lua_State *L)
{
    rs_dataset *d = rs_lua_check_dataset(L, 1, "dataset:kind", "self");
    lua_pushstring(L, rs_dataset_kind(d));
    return 1;
}

/* d:batch(split [, first [, n]]) or d:batch(split, {i, ...}) -> x, y:
 * inputs (n, input_dim) and a table of n labels. */
static int
l_data_batch(lua_State *L)
{
    static const char fn[] = "dataset:batch";
    rs_dataset *d = rs_lua_check_dataset(L, 1, fn, "self");
    enum rs_split s =
        (enum rs_split)rs_lua_check_enum(L, 2, fn, "split", NULL, split_names);
    int count = rs_dataset_count(d, s);
    int n;
    int *idx;
    if (lua_type(L, 3) == LUA_TTABLE) {
        lua_Integer len = luaL_len(L, 3);
        if (len < 1 || len > count * 16L + 1024)
            return rs_lua_arg_error(L, fn, 3, "indices",
                                    "1..%d indices expected", count);
        n = (int)len;
        idx = lua_newuserdatauv(L, (size_t)n * sizeof *idx, 0);
        for (int i = 0; i < n; i++) {
            lua_geti(L, 3, i + 1);
            int isint = 0;
            lua_Integer v = lua_tointegerx(L, -1, &isint);
            lua_pop(L, 1);
            if (!isint || v < 1 || v > count)
                return rs_lua_arg_error(L, fn, 3, "indices",
                                        "entry %d is not an index in 1..%d",
                                        i + 1, count);
            idx[i] = (int)v - 1;
        }
    } else {
        lua_Integer first =
            lua_isnoneornil(L, 3) ? 1 : rs_lua_check_integer(L, 3, fn, "first");
        lua_Integer m = lua_isnoneornil(L, 4)
                            ? count - first + 1
                            : rs_lua_check_integer(L, 4, fn, "n");
        if (first < 1 || m < 1 || first + m - 1 > count)
            return rs_lua_arg_error(
                L, fn, 3, "first", "examples %lld..%lld outside 1..%d",
                (long long)first, (long long)(first + m - 1), count);
        n = (int)m;
        idx = lua_newuserdatauv(L, (size_t)n * sizeof *idx, 0);
        for (int i = 0; i < n; i++)
            idx[i] = (int)first - 1 + i;
    }
    int *y = lua_newuserdatauv(L, (size_t)n * sizeof *y, 0);
    void **box = rs_lua_new_box(L, RS_LUA_TENSOR_MT);
    struct rs_error err = {0};
    rs_tensor *x = rs_tensor_new2(n, rs_dataset_input_dim(d), &err);
    if (x == NULL)
        return rs_lua_status_error(L, fn, &err);
    *box = x;
    rs_lua_tensor_made(L, x);
    rs_dataset_batch(d, s, idx, n, x->data, y);
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        lua_pushinteger(L, y[i]);
        lua_rawseti(L, -2, i + 1);
    }
    return 2;
}

/* d:example(split, i) -> a, b, label (modular datasets). */
static int
l_data_example(lua_State *L)
{
    static const char fn[] = "dataset:example";
    rs_dataset *d = rs_lua_check_dataset(L, 1, fn, "self");
    enum rs_split s =
        (enum rs_split)rs_lua_check_enum(L, 2, fn, "split", NULL, split_names);
    lua_Integer i = rs_lua_check_integer(L, 3, fn, "index");
    const rs_data_modular *m = rs_dataset_as_modular(d);
    if (m == NULL)
        return luaL_error(L, "%s: not a modular dataset", fn);
    int count = rs_dataset_count(d, s);
    if (i < 1 || i > count)
        return rs_lua_arg_error(L, fn, 3, "index", "%lld is outside 1..%d",
                                (long long)i, count);
    const int *pairs = rs_data_modular_pairs(m, s);
    lua_pushinteger(L, pairs[2 * (i - 1)]);
    lua_pushinteger(L, pairs[2 * (i - 1) + 1]);
    lua_pushinteger(L, rs_data_modular_labels(m, s)[i - 1]);
    return 3;
}

static int
l_data_release(lua_State *L)
{
    void **box = luaL_checkudata(L, 1, RS_LUA_DATASET_MT);
    rs_dataset_release(*box);
    *box = NULL;
    return 0;
}

static int
l_data_tostring(lua_State *L)
{
    void **box = luaL_checkudata(L, 1, RS_LUA_DATASET_MT);
    rs_dataset *d = *box;
    if (d == NULL) {
        lua_pushliteral(L, "dataset (released)");
        return 1;
    }
    lua_pushfstring(L, "dataset %s (%d train, %d test, %d inputs, %d classes)",
                    rs_dataset_kind(d), rs_dataset_count(d, RS_SPLIT_TRAIN),
                    rs_dataset_count(d, RS_SPLIT_TEST), rs_dataset_input_dim(d),
                    rs_dataset_classes(d));
    return 1;
}

static const luaL_Reg data_methods[] = {
    {"count", l_data_count},     {"input_dim", l_data_input_dim},
    {"classes", l_data_classes}, {"kind", l_data_kind},
    {"batch", l_data_batch},     {"example", l_data_example},
    {"release", l_data_release}, {NULL, NULL},
};

static const luaL_Reg data_meta[] = {
    {"__gc", l_data_release},
    {"__close", l_data_release},
    {"__tostring", l_data_tostring},
    {NULL, NULL},
};

static const luaL_Reg data_funcs[] = {
    {"modular", l_data_modular},
    {NULL, NULL},
};

int
luaopen_repscope_data(lua_State *L)
{
    luaL_newmetatable(L, RS_LUA_DATASET_MT);
    luaL_setfuncs(L, data_meta, 0);
    luaL_newlib(L, data_methods);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    luaL_newlib(L, data_funcs);
    return 1;
}
