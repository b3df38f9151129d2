/* repscope - MIT licence, see COPYING.
 *
 * l_data.c: rs.data, supervised datasets over data/dataset.h: the
 * modular-arithmetic table, rs.data.modular{p=97, op="+", train_frac=0.5,
 * seed=1}, and Fashion-MNIST, rs.data.fmnist{train_n=1000, downsample=2}
 * (which returns nil, message when the files are missing or bad). A
 * dataset handle offers its sizes, batches as tensors (inputs) plus label
 * tables, class names, and for the modular kind the operands of an
 * example. rs.data.relabel(ds, {frac=1, seed=1, task=1, labels="random"})
 * wraps a dataset's features with labels of its own (data/relabel.h):
 * the tasks of a plasticity run, or labels="index" for targets looked up
 * by example. rs.data.tensors{x=, y=, classes=, test_x=, test_y=} copies
 * examples a scene makes (data/tensors.h). Labels are class numbers
 * 0..classes-1; example indices are 1-based. Worker thread only.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data/fmnist.h"
#include "data/idx.h"
#include "data/modular.h"
#include "data/relabel.h"
#include "data/tensors.h"
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

/* rs.data.fmnist{train_n=0, test_n=0, downsample=1, subset="first",
 * normalise="unit", seed=1, dir=nil} -> dataset, or nil and a message
 * when the files are missing or bad (an expected failure: doc/design.md,
 * "Errors"); bad fields raise. train_n / test_n 0 take the whole split. */
static int
l_data_fmnist(lua_State *L)
{
    static const char fn[] = "rs.data.fmnist";
    static const char *const fields[] = {"train_n", "test_n", "downsample",
                                         "subset",  "seed",   "normalise",
                                         "dir",     NULL};
    static const char *const subsets[] = {"first", "random", NULL};
    static const char *const norms[] = {"unit", "standard", NULL};
    rs_lua_check_table(L, 1, fn, "config");
    rs_lua_check_fields(L, 1, fn, fields);
    struct rs_data_fmnist_config c;
    memset(&c, 0, sizeof c);
    c.train_n = (int)rs_lua_opt_int_field(L, 1, fn, "train_n", 0, 0,
                                          RS_DATA_IDX_MAX_ITEMS);
    c.test_n = (int)rs_lua_opt_int_field(L, 1, fn, "test_n", 0, 0,
                                         RS_DATA_IDX_MAX_ITEMS);
    c.downsample = (int)rs_lua_opt_int_field(L, 1, fn, "downsample", 1, 1, 2);
    c.subset = (enum rs_data_fmnist_subset)rs_lua_opt_enum_field(
        L, 1, fn, "subset", "first", subsets);
    c.norm = (enum rs_data_fmnist_norm)rs_lua_opt_enum_field(
        L, 1, fn, "normalise", "unit", norms);
    c.seed =
        (uint64_t)rs_lua_opt_int_field(L, 1, fn, "seed", 1, 0, LUA_MAXINTEGER);
    c.dir = rs_lua_opt_string_field(L, 1, fn, "dir", NULL);
    if (c.dir != NULL && !rs_lua_path_allowed(L, c.dir))
        return rs_lua_field_error(L, fn, "dir",
                                  "'%s': outside the scene's directory, not "
                                  "allowed in --safe mode",
                                  c.dir);
    void **box = rs_lua_new_box(L, RS_LUA_DATASET_MT); /* cfg box */
    struct rs_error err = {0};
    rs_dataset *d = rs_data_fmnist_dataset(&c, &err);
    if (d == NULL && err.code == RS_EINVAL)
        return rs_lua_status_error(L, fn, &err);
    if (d == NULL) {
        lua_pop(L, 1);                             /* cfg */
        lua_pushnil(L);                            /* cfg nil */
        rs_lua_push_status(L, fn, &err);           /* cfg nil msg */
        return 2;
    }
    *box = d;
    return 1;
}

/* rs.data.relabel(ds, {frac=1, seed=1, task=1, labels="random"}) ->
 * dataset: ds's features (read through its root, no copy) with the train
 * labels of ds, round(frac * N) of them re-drawn from a stream of (seed,
 * task); labels="index" gives label i = i in both splits instead (and
 * takes no other field). Bad fields raise, naming the field. */
static int
l_data_relabel(lua_State *L)
{
    static const char fn[] = "rs.data.relabel";
    static const char *const fields[] = {"frac", "seed", "task", "labels",
                                         NULL};
    static const char *const modes[] = {"random", "index", NULL};
    rs_dataset *d = rs_lua_check_dataset(L, 1, fn, "dataset");
    if (lua_isnoneornil(L, 2)) {
        lua_settop(L, 1);
        lua_newtable(L); /* ds {} */
    }
    rs_lua_check_table(L, 2, fn, "config");
    rs_lua_check_fields(L, 2, fn, fields);
    struct rs_data_relabel_config c;
    memset(&c, 0, sizeof c);
    c.labels = (enum rs_data_relabel_labels)rs_lua_opt_enum_field(
        L, 2, fn, "labels", "random", modes);
    if (c.labels == RS_DATA_RELABEL_INDEX) {
        for (int i = 0; i < 3; i++) {
            if (lua_getfield(L, 2, fields[i]) != LUA_TNIL)
                return rs_lua_field_error(L, fn, fields[i],
                                          "not used with labels = \"index\"");
            lua_pop(L, 1);
        }
    }
    lua_Number frac = rs_lua_opt_number_field(L, 2, fn, "frac", 1.0);
    if (!(frac >= 0.0 && frac <= 1.0))
        return rs_lua_field_error(L, fn, "frac", "%g is outside [0, 1]", frac);
    c.frac = frac;
    c.seed =
        (uint64_t)rs_lua_opt_int_field(L, 2, fn, "seed", 1, 0, LUA_MAXINTEGER);
    c.task =
        (uint64_t)rs_lua_opt_int_field(L, 2, fn, "task", 1, 0, LUA_MAXINTEGER);
    void **box = rs_lua_new_box(L, RS_LUA_DATASET_MT);
    struct rs_error err = {0};
    rs_dataset *r = rs_data_relabel_new(d, &c, &err);
    if (r == NULL)
        return rs_lua_status_error(L, fn, &err);
    *box = r;
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

/* d:labels(split) -> the split's labels, a list of class numbers. */
static int
l_data_labels(lua_State *L)
{
    static const char fn[] = "dataset:labels";
    rs_dataset *d = rs_lua_check_dataset(L, 1, fn, "self");
    enum rs_split s =
        (enum rs_split)rs_lua_check_enum(L, 2, fn, "split", NULL, split_names);
    int n = rs_dataset_count(d, s);
    int *y = lua_newuserdatauv(L, (size_t)(n > 0 ? n : 1) * sizeof *y, 0);
    rs_dataset_labels_into(d, s, y);
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        lua_pushinteger(L, y[i]);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

/* d:relabelled() -> the train examples (1-based, ascending) whose label a
 * relabel re-drew; {} for labels="index" and other kinds. */
static int
l_data_relabelled(lua_State *L)
{
    rs_dataset *d = rs_lua_check_dataset(L, 1, "dataset:relabelled", "self");
    int n = 0;
    const int *chosen = rs_data_relabel_chosen(d, &n);
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        lua_pushinteger(L, chosen[i] + 1);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

/* d:root() -> the dataset whose features d reads (a relabel's root, else
 * d itself), a new handle. */
static int
l_data_root(lua_State *L)
{
    rs_dataset *d = rs_lua_check_dataset(L, 1, "dataset:root", "self");
    rs_lua_push_dataset(L, rs_data_relabel_root(d));
    return 1;
}

/* d:class_name(label) -> "T-shirt/top", ... for Fashion-MNIST; the label
 * as a string for kinds without names. */
static int
l_data_class_name(lua_State *L)
{
    static const char fn[] = "dataset:class_name";
    rs_dataset *d = rs_lua_check_dataset(L, 1, fn, "self");
    lua_Integer c = rs_lua_check_integer(L, 2, fn, "label");
    int classes = rs_dataset_classes(d);
    if (c < 0 || c >= classes)
        return rs_lua_arg_error(L, fn, 2, "label", "%lld is outside 0..%d",
                                (long long)c, classes - 1);
    /* a relabel of Fashion-MNIST with its 10 classes keeps the names */
    if (strcmp(rs_dataset_kind(rs_data_relabel_root(d)), "fmnist") == 0 &&
        classes == RS_DATA_FMNIST_CLASSES)
        lua_pushstring(L, rs_data_fmnist_class_name((int)c));
    else
        lua_pushfstring(L, "%d", (int)c);
    return 1;
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

/* The labels list at field key of the config (arg 1): n integers into a
 * new array (the caller's), raising a field error otherwise. */
static int *
labels_field(lua_State *L, const char *fn, const char *key, int n)
{
    lua_getfield(L, 1, key);
    if (!lua_istable(L, -1))
        rs_lua_field_error(L, fn, key, "a list of labels expected, got %s",
                           rs_lua_kind_name(L, -1));
    if ((lua_Integer)lua_rawlen(L, -1) != n)
        rs_lua_field_error(L, fn, key, "has %d labels for %d rows",
                           (int)lua_rawlen(L, -1), n);
    int *y = lua_newuserdatauv(L, ((size_t)n + 1) * sizeof *y, 0);
    for (int i = 0; i < n; i++) {
        lua_rawgeti(L, -2, i + 1);
        int ok = 0;
        lua_Integer v = lua_tointegerx(L, -1, &ok);
        if (!ok || v < INT32_MIN || v > INT32_MAX)
            rs_lua_field_error(L, fn, key, "entry %d: an integer expected",
                               i + 1);
        y[i] = (int)v;
        lua_pop(L, 1);
    }
    lua_remove(L, -2); /* the list: the userdata stays on the stack */
    return y;
}

/* The (n, dim) tensor at field key (n >= lo). */
static rs_tensor *
rows_field(lua_State *L, const char *fn, const char *key)
{
    lua_getfield(L, 1, key);
    if (rs_lua_test_box(L, -1, RS_LUA_TENSOR_MT) == NULL)
        rs_lua_field_error(L, fn, key, "tensor expected, got %s",
                           rs_lua_kind_name(L, -1));
    rs_tensor *t = rs_lua_check_tensor(L, lua_gettop(L), fn, key);
    if (t->ndim != 2)
        rs_lua_field_error(L, fn, key,
                           "a (rows, features) tensor expected, got %d "
                           "dimensions",
                           t->ndim);
    return t; /* the handle stays on the stack */
}

/* rs.data.tensors{x=, y=, classes=, test_x=, test_y=} */
static int
l_data_tensors(lua_State *L)
{
    static const char fn[] = "rs.data.tensors";
    static const char *const fields[] = {"x", "y", "classes", "test_x",
                                         "test_y", NULL};
    rs_lua_check_table(L, 1, fn, "config");
    rs_lua_check_fields(L, 1, fn, fields);
    if (!rs_lua_has_field(L, 1, "x") || !rs_lua_has_field(L, 1, "y"))
        return luaL_error(L, "%s: field '%s' is required", fn,
                          rs_lua_has_field(L, 1, "x") ? "y" : "x");
    rs_tensor *x = rows_field(L, fn, "x");
    int dim = x->shape[1];
    struct rs_data_tensors_split train = {.x = x->data, .n = x->shape[0]};
    train.y = labels_field(L, fn, "y", train.n);
    int top = 0;
    for (int i = 0; i < train.n; i++)
        top = train.y[i] > top ? train.y[i] : top;
    int classes = (int)rs_lua_opt_int_field(L, 1, fn, "classes", top + 1, 1,
                                            1 << 20);
    struct rs_data_tensors_split test = {0};
    if (rs_lua_has_field(L, 1, "test_x") != rs_lua_has_field(L, 1, "test_y"))
        return luaL_error(L, "%s: give test_x and test_y together", fn);
    if (rs_lua_has_field(L, 1, "test_x")) {
        rs_tensor *tx = rows_field(L, fn, "test_x");
        if (tx->shape[1] != dim)
            return rs_lua_field_error(L, fn, "test_x",
                                      "has %d features, x has %d",
                                      tx->shape[1], dim);
        test.x = tx->data;
        test.n = tx->shape[0];
        test.y = labels_field(L, fn, "test_y", test.n);
    }
    void **box = rs_lua_new_box(L, RS_LUA_DATASET_MT); /* closed */
    struct rs_error err = {0};
    rs_dataset *d = rs_data_tensors_new(&train, &test, dim, classes, &err);
    if (d == NULL) {
        /* "tensors: ..." -> the function's name leads */
        const char *msg = strncmp(err.msg, "tensors: ", 9) == 0 ? err.msg + 9
                                                                : err.msg;
        return luaL_error(L, "%s: %s", fn, msg);
    }
    *box = d;
    return 1;
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
    {"count", l_data_count},
    {"input_dim", l_data_input_dim},
    {"classes", l_data_classes},
    {"kind", l_data_kind},
    {"batch", l_data_batch},
    {"example", l_data_example},
    {"class_name", l_data_class_name},
    {"labels", l_data_labels},
    {"relabelled", l_data_relabelled},
    {"root", l_data_root},
    {"release", l_data_release},
    {NULL, NULL},
};

static const luaL_Reg data_meta[] = {
    {"__gc", l_data_release},
    {"__close", l_data_release},
    {"__tostring", l_data_tostring},
    {NULL, NULL},
};

static const luaL_Reg data_funcs[] = {
    {"modular", l_data_modular},
    {"fmnist", l_data_fmnist},
    {"relabel", l_data_relabel},
    {"tensors", l_data_tensors},
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
    rs_lua_open_seqtask(L);
    rs_lua_open_source(L);
    return 1;
}
