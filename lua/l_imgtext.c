/* repscope - MIT licence, see COPYING.
 *
 * l_imgtext.c: the imgtext source (data/source_imgtext.h) in rs.data:
 *
 *   rs.data.imgtext{grid=2, downsample=1, words=items, min_words=words,
 *       distractors=0, train_n=20000, test_n=1000, seed=1, dir=nil}
 *       -> source, or nil and a message when Fashion-MNIST is missing or
 *       bad (bad fields raise)
 *
 * The handle is a plain source handle (l_source.c), so it is the data= of
 * rs.learner as it is; the methods below are added to every source
 * handle and refuse other kinds ("bad self (imgtext source expected, got
 * zip source)"). Composite indices are 1-based, classes 0..9 (as in
 * rs.data), items 1..items row-major over the grid, 0 for "no item":
 *
 *   src:layout() -> {grid=, downsample=, items=, words=, min_words=,
 *       distractors=, train_n=, test_n=, seed=, side=, item_side=,
 *       patch_side=, patch_pixels=, patch_grid=, patches=, len=, vocab=}
 *   src:image(split, i) -> (side, side) tensor of composite i
 *   src:patch_classes(split, i) -> {P classes}
 *   src:patch_items() -> {P items}: the item each patch covers
 *   src:item_classes(split, i) -> {items classes}
 *   src:tokens(split, i) -> {L ids} (0 = pad, as input 2 holds them)
 *   src:caption(split, i) -> {words}: the caption without its padding
 *   src:word_item(split, i) -> {L items}: the item each position's word
 *       names, 0 for a distractor or a pad
 *   src:word(id) -> the word of id 0..vocab-1 ("<pad>", "t-shirt", ...)
 *
 * Worker thread only.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "data/source_imgtext.h"
#include "lua/bind.h"

/* The most patches, items and caption positions a composite has. */
#define MAX_ITEMS (RS_IMGTEXT_MAX_GRID * RS_IMGTEXT_MAX_GRID)
#define MAX_PATCHES (4 * MAX_ITEMS)
#define MAX_LEN (MAX_ITEMS + RS_IMGTEXT_MAX_DISTRACTORS)

static const char *const split_names[] = {"train", "test", NULL};

/* rs.data.imgtext{...} */
static int
l_imgtext_new(lua_State *L)
{
    static const char fn[] = "rs.data.imgtext";
    static const char *const fields[] = {
        "grid",    "downsample", "words", "min_words", "distractors",
        "train_n", "test_n",     "seed",  "dir",       NULL};
    rs_lua_check_table(L, 1, fn, "config");
    rs_lua_check_fields(L, 1, fn, fields);
    struct rs_imgtext_config c;
    rs_source_imgtext_defaults(&c);
    c.grid = (int)rs_lua_opt_int_field(L, 1, fn, "grid", c.grid, 1,
                                       RS_IMGTEXT_MAX_GRID);
    c.downsample =
        (int)rs_lua_opt_int_field(L, 1, fn, "downsample", c.downsample, 1, 2);
    int items = c.grid * c.grid;
    c.words = (int)rs_lua_opt_int_field(L, 1, fn, "words", items, 1, MAX_ITEMS);
    if (c.words > items)
        return rs_lua_field_error(L, fn, "words",
                                  "%d is outside 1..%d, the items of a %dx%d "
                                  "grid",
                                  c.words, items, c.grid, c.grid);
    c.min_words =
        (int)rs_lua_opt_int_field(L, 1, fn, "min_words", c.words, 1, MAX_ITEMS);
    if (c.min_words > c.words)
        return rs_lua_field_error(L, fn, "min_words",
                                  "%d is outside 1..%d, the words", c.min_words,
                                  c.words);
    c.distractors = (int)rs_lua_opt_int_field(L, 1, fn, "distractors", 0, 0,
                                              RS_IMGTEXT_MAX_DISTRACTORS);
    c.train_n = (int)rs_lua_opt_int_field(L, 1, fn, "train_n", c.train_n, 1,
                                          RS_IMGTEXT_MAX_N);
    c.test_n = (int)rs_lua_opt_int_field(L, 1, fn, "test_n", c.test_n, 1,
                                         RS_IMGTEXT_MAX_N);
    c.seed =
        (uint64_t)rs_lua_opt_int_field(L, 1, fn, "seed", 1, 0, LUA_MAXINTEGER);
    c.dir = rs_lua_opt_string_field(L, 1, fn, "dir", NULL);
    if (c.dir != NULL && !rs_lua_path_allowed(L, c.dir))
        return rs_lua_field_error(L, fn, "dir",
                                  "'%s': outside the scene's directory, not "
                                  "allowed in --safe mode",
                                  c.dir);
    void **box = rs_lua_new_box(L, RS_LUA_SOURCE_MT); /* cfg box */
    struct rs_error err = {0};
    rs_source *s = rs_source_imgtext(&c, &err);
    if (s == NULL && err.code == RS_EINVAL)
        return rs_lua_status_error(L, fn, &err);
    if (s == NULL) {
        lua_pop(L, 1);                   /* cfg */
        lua_pushnil(L);                  /* cfg nil */
        rs_lua_push_status(L, fn, &err); /* cfg nil msg */
        return 2;
    }
    *box = s;
    return 1;
}

/* The imgtext source at 1 (raises "<fn>: bad self (...)"). */
static const rs_source *
check_imgtext(lua_State *L, const char *fn)
{
    rs_source *s = rs_lua_check_source(L, 1, fn, "self");
    if (rs_source_imgtext_config(s) == NULL)
        rs_lua_arg_error(L, fn, 1, "self",
                         "imgtext source expected, got %s source",
                         rs_source_kind(s));
    return s;
}

/* The imgtext source, split (2) and 0-based composite (3, 1-based in Lua)
 * of a per-composite method. */
static const rs_source *
check_composite(lua_State *L, const char *fn, enum rs_split *split, int *i)
{
    const rs_source *s = check_imgtext(L, fn);
    *split =
        (enum rs_split)rs_lua_check_enum(L, 2, fn, "split", NULL, split_names);
    lua_Integer v = rs_lua_check_integer(L, 3, fn, "index");
    int count = rs_source_count(s, *split);
    if (v < 1 || v > count)
        rs_lua_arg_error(L, fn, 3, "index", "%lld is outside 1..%d",
                         (long long)v, count);
    *i = (int)v - 1;
    return s;
}

/* Push a list of n integers, each plus add. */
static void
push_ints(lua_State *L, const int *v, int n, int add)
{
    lua_createtable(L, n, 0);
    for (int k = 0; k < n; k++) {
        lua_pushinteger(L, v[k] + add);
        lua_rawseti(L, -2, k + 1);
    }
}

static void
set_int(lua_State *L, const char *key, lua_Integer v)
{
    lua_pushinteger(L, v);
    lua_setfield(L, -2, key);
}

/* src:layout() */
static int
l_imgtext_layout(lua_State *L)
{
    const rs_source *s = check_imgtext(L, "source:layout");
    const struct rs_imgtext_config *c = rs_source_imgtext_config(s);
    struct rs_imgtext_dims d;
    rs_source_imgtext_dims(s, &d);
    lua_createtable(L, 0, 17);
    set_int(L, "grid", c->grid);
    set_int(L, "downsample", c->downsample);
    set_int(L, "items", d.items);
    set_int(L, "words", c->words);
    set_int(L, "min_words", c->min_words);
    set_int(L, "distractors", c->distractors);
    set_int(L, "train_n", c->train_n);
    set_int(L, "test_n", c->test_n);
    set_int(L, "seed", (lua_Integer)c->seed);
    set_int(L, "side", d.side);
    set_int(L, "item_side", d.item_side);
    set_int(L, "patch_side", d.patch_side);
    set_int(L, "patch_pixels", d.patch_pixels);
    set_int(L, "patch_grid", d.patch_grid);
    set_int(L, "patches", d.patches);
    set_int(L, "len", d.len);
    set_int(L, "vocab", d.vocab);
    return 1;
}

/* src:image(split, i) */
static int
l_imgtext_image(lua_State *L)
{
    static const char fn[] = "source:image";
    enum rs_split split;
    int i;
    const rs_source *s = check_composite(L, fn, &split, &i);
    struct rs_imgtext_dims d;
    rs_source_imgtext_dims(s, &d);
    void **box = rs_lua_new_box(L, RS_LUA_TENSOR_MT);
    struct rs_error err = {0};
    rs_tensor *t = rs_tensor_new2(d.side, d.side, &err);
    if (t == NULL)
        return rs_lua_status_error(L, fn, &err);
    *box = t;
    rs_lua_tensor_made(L, t);
    if (rs_source_imgtext_image(s, split, i, t->data, &err) != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    return 1;
}

/* src:patch_classes(split, i) */
static int
l_imgtext_patch_classes(lua_State *L)
{
    static const char fn[] = "source:patch_classes";
    enum rs_split split;
    int i, out[MAX_PATCHES];
    const rs_source *s = check_composite(L, fn, &split, &i);
    struct rs_imgtext_dims d;
    rs_source_imgtext_dims(s, &d);
    struct rs_error err = {0};
    if (rs_source_imgtext_patch_classes(s, split, &i, 1, out, &err) != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    push_ints(L, out, d.patches, 0);
    return 1;
}

/* src:patch_items() */
static int
l_imgtext_patch_items(lua_State *L)
{
    const rs_source *s = check_imgtext(L, "source:patch_items");
    int grid = rs_source_imgtext_config(s)->grid, out[MAX_PATCHES];
    for (int p = 0; p < 4 * grid * grid; p++)
        out[p] = rs_source_imgtext_patch_item(grid, p);
    push_ints(L, out, 4 * grid * grid, 1);
    return 1;
}

/* src:item_classes(split, i) */
static int
l_imgtext_item_classes(lua_State *L)
{
    static const char fn[] = "source:item_classes";
    enum rs_split split;
    int i, out[MAX_ITEMS];
    const rs_source *s = check_composite(L, fn, &split, &i);
    struct rs_error err = {0};
    if (rs_source_imgtext_items(s, split, &i, 1, out, NULL, &err) != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    int grid = rs_source_imgtext_config(s)->grid;
    push_ints(L, out, grid * grid, 0);
    return 1;
}

/* The caption ids of composite i into out (L); returns L. */
static int
caption_ids(lua_State *L, const char *fn, const rs_source *s,
            enum rs_split split, int i, int *out)
{
    struct rs_imgtext_dims d;
    rs_source_imgtext_dims(s, &d);
    struct rs_error err = {0};
    if (rs_source_imgtext_caption(s, split, &i, 1, out, &err) != RS_OK)
        rs_lua_status_error(L, fn, &err);
    return d.len;
}

/* src:tokens(split, i) */
static int
l_imgtext_tokens(lua_State *L)
{
    static const char fn[] = "source:tokens";
    enum rs_split split;
    int i, ids[MAX_LEN];
    const rs_source *s = check_composite(L, fn, &split, &i);
    push_ints(L, ids, caption_ids(L, fn, s, split, i, ids), 0);
    return 1;
}

/* src:caption(split, i) */
static int
l_imgtext_caption(lua_State *L)
{
    static const char fn[] = "source:caption";
    enum rs_split split;
    int i, ids[MAX_LEN];
    const rs_source *s = check_composite(L, fn, &split, &i);
    int len = caption_ids(L, fn, s, split, i, ids);
    lua_createtable(L, len, 0);
    for (int k = 0; k < len && ids[k] != RS_IMGTEXT_PAD; k++) {
        lua_pushstring(L, rs_source_imgtext_word(ids[k]));
        lua_rawseti(L, -2, k + 1);
    }
    return 1;
}

/* src:word_item(split, i) */
static int
l_imgtext_word_item(lua_State *L)
{
    static const char fn[] = "source:word_item";
    enum rs_split split;
    int i, out[MAX_LEN];
    const rs_source *s = check_composite(L, fn, &split, &i);
    struct rs_imgtext_dims d;
    rs_source_imgtext_dims(s, &d);
    struct rs_error err = {0};
    if (rs_source_imgtext_word_item(s, split, &i, 1, out, &err) != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    push_ints(L, out, d.len, 1); /* -1 -> 0 */
    return 1;
}

/* src:word(id) */
static int
l_imgtext_word(lua_State *L)
{
    static const char fn[] = "source:word";
    check_imgtext(L, fn);
    lua_Integer id = rs_lua_check_integer(L, 2, fn, "id");
    if (id < 0 || id >= RS_IMGTEXT_VOCAB)
        return rs_lua_arg_error(L, fn, 2, "id", "%lld is outside 0..%d",
                                (long long)id, RS_IMGTEXT_VOCAB - 1);
    lua_pushstring(L, rs_source_imgtext_word((int)id));
    return 1;
}

void
rs_lua_open_imgtext(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"layout", l_imgtext_layout},
        {"image", l_imgtext_image},
        {"patch_classes", l_imgtext_patch_classes},
        {"patch_items", l_imgtext_patch_items},
        {"item_classes", l_imgtext_item_classes},
        {"tokens", l_imgtext_tokens},
        {"caption", l_imgtext_caption},
        {"word_item", l_imgtext_word_item},
        {"word", l_imgtext_word},
        {NULL, NULL},
    };
    /* data: add the methods to the source handles' __index table */
    luaL_getmetatable(L, RS_LUA_SOURCE_MT); /* data mt */
    lua_getfield(L, -1, "__index");         /* data mt methods */
    luaL_setfuncs(L, methods, 0);
    lua_pop(L, 2); /* data */
    lua_pushcfunction(L, l_imgtext_new);
    lua_setfield(L, -2, "imgtext");
}
