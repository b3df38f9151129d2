/* repscope - MIT licence, see COPYING.
 *
 * l_text.c: the local text corpus (data/text.h) in rs.data:
 *
 *   rs.data.text{sources={"licenses", "headers"}, T=128, test_frac=0.1,
 *       seed=1, max_bytes=16777216, cross=false} -> source, or nil and a
 *       message when a source is missing or empty (bad fields raise)
 *   rs.data.char_labels(s) -> one label per byte of s (the byte, or a
 *       glyph for a space, newline, tab or non-ASCII byte), for the cols=
 *       of rs.matrix and rs.view.text
 *
 * The handle is a plain source handle (l_source.c), so it is the data= of
 * rs.learner as it is. The methods below are added to every source handle
 * and refuse other kinds ("bad self (text source expected, got corpus
 * source)"); src:info() keeps the fields every source has and, for a
 * text source, adds the corpus's. Positions in Lua are 1-based (document
 * indices, starts, reset positions); offsets (pos, offset) count bytes
 * from 0.
 *
 *   src:info() -> {..., T=, cross=, bytes=, documents=,
 *       train={bytes=, documents=, windows=}, test={...},
 *       sources={{name=, path=, truncated=, bytes=, documents=,
 *       train={bytes=, documents=}, test={...}}, ...}}
 *   src:documents() -> {{name=, source=, split=, bytes=, start=,
 *       truncated=}, ...} in corpus order (start: 1-based in its split's
 *       text)
 *   src:test_text([source]) -> text, starts: the test text (of one
 *       source: a name or an index) and its documents' 1-based starts
 *   src:window(split, i) -> text, resets: training window i (1-based)
 *       and the 1-based positions in it where a document starts
 *   src:decode(ids) -> string: a list of byte ids or a tensor of them
 *   src:stream{split="test", source=nil, offset=0, bytes=nil, L=64,
 *       doc_break=false} -> stream
 *   st:next() -> {text=, pos=, doc=, name=, resets={...}, doc_end=,
 *       first=, last=} or nil at the end; for seg in st.next, st do
 *   st:rewind(), st:pos(), st:len(), st:release()
 *
 * A stream handle owns its stream, which retains the corpus (so it
 * outlives the source handle). Worker thread only.
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "data/text.h"
#include "lua/bind.h"

#define TEXT_STREAM_MT "repscope.text_stream"

static const char *const split_names[] = {"train", "test", NULL};

/* rs.data.text{...} */
static int
l_text_new(lua_State *L)
{
    static const char fn[] = "rs.data.text";
    static const char *const fields[] = {
        "sources", "T", "test_frac", "seed", "max_bytes", "cross", NULL};
    rs_lua_check_table(L, 1, fn, "config");
    rs_lua_check_fields(L, 1, fn, fields);
    struct rs_text_config c;
    rs_text_defaults(&c);
    int t = lua_getfield(L, 1, "sources"); /* cfg sources */
    if (t == LUA_TTABLE) {
        lua_Integer n = luaL_len(L, -1);
        if (n < 1 || n > RS_TEXT_MAX_SOURCES)
            return rs_lua_field_error(L, fn, "sources",
                                      "%lld entries (must be 1..%d)",
                                      (long long)n, RS_TEXT_MAX_SOURCES);
        for (lua_Integer i = 1; i <= n; i++) {
            lua_geti(L, -1, i); /* cfg sources s */
            if (lua_type(L, -1) != LUA_TSTRING || lua_rawlen(L, -1) == 0)
                return rs_lua_field_error(L, fn, "sources",
                                          "entry %lld is not a name or a "
                                          "path",
                                          (long long)i);
            c.sources[i - 1] = lua_tostring(L, -1); /* held by the table */
            lua_pop(L, 1);
            if (rs_text_named_dir(c.sources[i - 1], NULL) == NULL &&
                !rs_lua_path_allowed(L, c.sources[i - 1]))
                return rs_lua_field_error(L, fn, "sources",
                                          "'%s': outside the scene's "
                                          "directory, not allowed in "
                                          "--safe mode",
                                          c.sources[i - 1]);
            for (lua_Integer j = 1; j < i; j++)
                if (strcmp(c.sources[j - 1], c.sources[i - 1]) == 0)
                    return rs_lua_field_error(L, fn, "sources",
                                              "'%s' is given twice",
                                              c.sources[i - 1]);
        }
        c.nsources = (int)n;
    } else if (t != LUA_TNIL) {
        return rs_lua_field_type_error(L, fn, "sources", "list of strings", -1);
    }
    lua_pop(L, 1); /* cfg */
    int T = (int)rs_lua_opt_int_field(L, 1, fn, "T", 128, 1, (1 << 24) - 1);
    lua_Number frac = rs_lua_opt_number_field(L, 1, fn, "test_frac", 0.1);
    if (!(frac >= 0.0 && frac < 1.0))
        return rs_lua_field_error(L, fn, "test_frac", "%g is outside [0, 1)",
                                  (double)frac);
    c.test_frac = frac;
    c.seed =
        (uint64_t)rs_lua_opt_int_field(L, 1, fn, "seed", 1, 0, LUA_MAXINTEGER);
    c.max_bytes = (size_t)rs_lua_opt_int_field(
        L, 1, fn, "max_bytes", (lua_Integer)RS_TEXT_DEFAULT_MAX_BYTES, 1,
        (lua_Integer)RS_TEXT_MAX_BYTES);
    bool cross = rs_lua_opt_bool_field(L, 1, fn, "cross", false);
    void **box = rs_lua_new_box(L, RS_LUA_SOURCE_MT); /* cfg box */
    struct rs_error err = {0};
    rs_text *text = rs_text_load(&c, &err);
    if (text == NULL && err.code == RS_EIO) {
        lua_pop(L, 1);                   /* cfg */
        lua_pushnil(L);                  /* cfg nil */
        rs_lua_push_status(L, fn, &err); /* cfg nil msg */
        return 2;
    }
    if (text == NULL)
        return rs_lua_status_error(L, fn, &err);
    rs_source *s = rs_source_text(text, T, cross, &err);
    rs_text_release(text); /* the source holds it */
    if (s == NULL)
        return rs_lua_status_error(L, fn, &err);
    *box = s;
    return 1;
}

/* The text source at 1 (raises "<fn>: bad self (...)"). */
static rs_source *
check_text(lua_State *L, const char *fn)
{
    rs_source *s = rs_lua_check_source(L, 1, fn, "self");
    if (rs_source_text_corpus(s) == NULL)
        rs_lua_arg_error(L, fn, 1, "self",
                         "text source expected, got %s source",
                         rs_source_kind(s));
    return s;
}

static void
set_int(lua_State *L, const char *key, lua_Integer v)
{
    lua_pushinteger(L, v);
    lua_setfield(L, -2, key);
}

/* Push {bytes=, documents=[, windows=]}. */
static void
push_sizes(lua_State *L, size_t bytes, int docs, int windows)
{
    lua_createtable(L, 0, 3);
    set_int(L, "bytes", (lua_Integer)bytes);
    set_int(L, "documents", docs);
    if (windows >= 0)
        set_int(L, "windows", windows);
}

/* src:info(): the generic fields (upvalue 1, l_source.c's info), then
 * the corpus's for a text source. */
static int
l_text_info(lua_State *L)
{
    lua_settop(L, 1);
    lua_pushvalue(L, lua_upvalueindex(1)); /* self info */
    lua_pushvalue(L, 1);                   /* self info self */
    lua_call(L, 1, 1);                     /* self t */
    rs_source *s = rs_lua_check_source(L, 1, "source:info", "self");
    rs_text *text = rs_source_text_corpus(s);
    if (text == NULL)
        return 1;
    const struct rs_text_config *c = rs_text_config(text);
    set_int(L, "T", rs_source_text_T(s));
    lua_pushboolean(L, rs_source_text_cross(s));
    lua_setfield(L, -2, "cross");
    size_t bytes[2] = {0, 0};
    int docs[2] = {0, 0};
    lua_createtable(L, c->nsources, 0); /* self t list */
    for (int i = 0; i < c->nsources; i++) {
        const struct rs_text_source *src = rs_text_source(text, i);
        lua_createtable(L, 0, 8); /* self t list e */
        lua_pushstring(L, src->name);
        lua_setfield(L, -2, "name");
        lua_pushstring(L, src->path);
        lua_setfield(L, -2, "path");
        lua_pushboolean(L, src->truncated);
        lua_setfield(L, -2, "truncated");
        set_int(L, "bytes", (lua_Integer)(src->bytes[0] + src->bytes[1]));
        set_int(L, "documents", src->docs[0] + src->docs[1]);
        for (int sp = 0; sp < 2; sp++) {
            push_sizes(L, src->bytes[sp], src->docs[sp], -1);
            lua_setfield(L, -2, split_names[sp]);
            bytes[sp] += src->bytes[sp];
            docs[sp] += src->docs[sp];
        }
        lua_rawseti(L, -2, i + 1); /* self t list */
    }
    lua_setfield(L, -2, "sources"); /* self t */
    set_int(L, "bytes", (lua_Integer)(bytes[0] + bytes[1]));
    set_int(L, "documents", docs[0] + docs[1]);
    for (int sp = 0; sp < 2; sp++) {
        push_sizes(L, bytes[sp], docs[sp],
                   rs_source_count(s, (enum rs_split)sp));
        lua_setfield(L, -2, split_names[sp]);
    }
    return 1;
}

/* src:documents() */
static int
l_text_documents(lua_State *L)
{
    rs_source *s = check_text(L, "source:documents");
    rs_text *text = rs_source_text_corpus(s);
    const struct rs_text_config *c = rs_text_config(text);
    int n = rs_text_ndocs(text);
    lua_createtable(L, n, 0); /* self list */
    for (int k = 0; k < n; k++) {
        const struct rs_text_doc *d = rs_text_doc(text, k);
        lua_createtable(L, 0, 6); /* self list e */
        lua_pushstring(L, d->name);
        lua_setfield(L, -2, "name");
        lua_pushstring(L, c->sources[d->source]);
        lua_setfield(L, -2, "source");
        lua_pushstring(L, split_names[d->split]);
        lua_setfield(L, -2, "split");
        set_int(L, "bytes", (lua_Integer)d->len);
        set_int(L, "start", (lua_Integer)d->off + 1);
        lua_pushboolean(L, d->truncated);
        lua_setfield(L, -2, "truncated");
        lua_rawseti(L, -2, k + 1); /* self list */
    }
    return 1;
}

/* The source index (-1: all) of the optional argument arg: nil, a
 * configured source's name or a 1-based index. */
static int
check_source_arg(lua_State *L, int arg, const char *fn, const rs_text *text)
{
    const struct rs_text_config *c = rs_text_config(text);
    int t = lua_type(L, arg);
    if (t == LUA_TNONE || t == LUA_TNIL)
        return -1;
    if (t == LUA_TSTRING) {
        const char *name = lua_tostring(L, arg);
        for (int i = 0; i < c->nsources; i++)
            if (strcmp(name, c->sources[i]) == 0)
                return i;
        return rs_lua_arg_error(L, fn, arg, "source",
                                "'%s' is not a source of this corpus", name);
    }
    if (t == LUA_TNUMBER) {
        lua_Integer i = rs_lua_check_integer(L, arg, fn, "source");
        if (i < 1 || i > c->nsources)
            return rs_lua_arg_error(L, fn, arg, "source",
                                    "%lld is outside 1..%d", (long long)i,
                                    c->nsources);
        return (int)i - 1;
    }
    return rs_lua_type_error(L, fn, arg, "source", "source name or index");
}

/* src:test_text([source]) */
static int
l_text_test_text(lua_State *L)
{
    static const char fn[] = "source:test_text";
    rs_source *s = check_text(L, fn);
    rs_text *text = rs_source_text_corpus(s);
    int src = check_source_arg(L, 2, fn, text);
    struct rs_text_view v;
    rs_text_view(text, RS_SPLIT_TEST, src, &v);
    lua_pushlstring(L, (const char *)v.bytes, v.len);
    lua_createtable(L, v.ndocs, 0);
    for (int k = 0; k < v.ndocs; k++) {
        lua_pushinteger(L, (lua_Integer)v.start[k] + 1);
        lua_rawseti(L, -2, k + 1);
    }
    return 2;
}

/* Push a list of the 1-based positions where flags is 1. */
static void
push_resets(lua_State *L, const uint8_t *flags, int n)
{
    lua_newtable(L);
    int m = 0;
    for (int j = 0; j < n; j++)
        if (flags[j]) {
            lua_pushinteger(L, j + 1);
            lua_rawseti(L, -2, ++m);
        }
}

/* src:window(split, i) */
static int
l_text_window(lua_State *L)
{
    static const char fn[] = "source:window";
    rs_source *s = check_text(L, fn);
    enum rs_split split =
        (enum rs_split)rs_lua_check_enum(L, 2, fn, "split", NULL, split_names);
    lua_Integer i = rs_lua_check_integer(L, 3, fn, "index");
    int count = rs_source_count(s, split);
    if (i < 1 || i > count)
        return rs_lua_arg_error(L, fn, 3, "index", "%lld is outside 1..%d",
                                (long long)i, count);
    int w = rs_source_text_T(s) + 1, k = (int)i - 1;
    uint8_t *reset = lua_newuserdatauv(L, (size_t)w, 0); /* scratch */
    size_t start;
    struct rs_error err = {0};
    if (rs_source_text_windows(s, split, &k, 1, &start, reset, &err) != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    struct rs_text_view v;
    rs_text_view(rs_source_text_corpus(s), split, -1, &v);
    lua_pushlstring(L, (const char *)v.bytes + start, (size_t)w);
    push_resets(L, reset, w);
    return 2;
}

/* src:decode(ids) */
static int
l_text_decode(lua_State *L)
{
    static const char fn[] = "source:decode";
    check_text(L, fn);
    luaL_Buffer b;
    if (lua_istable(L, 2)) {
        lua_Integer n = luaL_len(L, 2);
        luaL_buffinit(L, &b);
        for (lua_Integer i = 1; i <= n; i++) {
            lua_geti(L, 2, i);
            int isint = 0;
            lua_Integer v = lua_tointegerx(L, -1, &isint);
            lua_pop(L, 1);
            if (!isint || v < 0 || v >= RS_TEXT_VOCAB)
                return rs_lua_arg_error(L, fn, 2, "ids",
                                        "entry %lld is not a byte id in "
                                        "0..255",
                                        (long long)i);
            luaL_addchar(&b, (char)(unsigned char)v);
        }
        luaL_pushresult(&b);
        return 1;
    }
    if (rs_lua_test_box(L, 2, RS_LUA_TENSOR_MT) == NULL)
        return rs_lua_type_error(L, fn, 2, "ids", "list of ids or tensor");
    rs_tensor *t = rs_lua_check_tensor(L, 2, fn, "ids");
    luaL_buffinit(L, &b);
    for (size_t i = 0; i < t->numel; i++) {
        float v = t->data[i];
        if (!(v >= 0.0f && v < (float)RS_TEXT_VOCAB) || v != (float)(int)v)
            return rs_lua_arg_error(
                L, fn, 2, "ids", "entry %zu is not a byte id in 0..255", i + 1);
        luaL_addchar(&b, (char)(unsigned char)(int)v);
    }
    luaL_pushresult(&b);
    return 1;
}

/* ---- streams ------------------------------------------------------------ */

/* src:stream{...} */
/* The fields split ("test"), source (a name or 1-based index; nil: all),
 * offset (0) and bytes (nil: to the end) of the table at tbl, checked
 * against text: the offset must lie inside the view. Raises. */
void
rs_lua_text_range_fields(lua_State *L, int tbl, const char *fn,
                         const rs_text *text, enum rs_split *split,
                         int *source, size_t *from, size_t *bytes)
{
    tbl = lua_absindex(L, tbl);
    *split = (enum rs_split)rs_lua_opt_enum_field(L, tbl, fn, "split", "test",
                                                  split_names);
    lua_getfield(L, tbl, "source"); /* ... source */
    if (!lua_isnil(L, -1) && !lua_isstring(L, -1))
        rs_lua_field_type_error(L, fn, "source", "source name or index", -1);
    if (lua_type(L, -1) == LUA_TNUMBER && !lua_isinteger(L, -1))
        rs_lua_field_type_error(L, fn, "source", "source name or index", -1);
    const struct rs_text_config *c = rs_text_config(text);
    *source = -1;
    if (lua_type(L, -1) == LUA_TNUMBER) {
        lua_Integer i = lua_tointeger(L, -1);
        if (i < 1 || i > c->nsources)
            rs_lua_field_error(L, fn, "source", "%lld is outside 1..%d",
                               (long long)i, c->nsources);
        *source = (int)i - 1;
    } else if (lua_type(L, -1) == LUA_TSTRING) {
        const char *name = lua_tostring(L, -1);
        for (int i = 0; i < c->nsources && *source < 0; i++)
            if (strcmp(name, c->sources[i]) == 0)
                *source = i;
        if (*source < 0)
            rs_lua_field_error(L, fn, "source",
                               "'%s' is not a source of this corpus", name);
    }
    lua_pop(L, 1);
    *from = (size_t)rs_lua_opt_int_field(L, tbl, fn, "offset", 0, 0,
                                         LUA_MAXINTEGER);
    *bytes = (size_t)rs_lua_opt_int_field(L, tbl, fn, "bytes", 0, 1,
                                          LUA_MAXINTEGER);
    struct rs_text_view v;
    rs_text_view(text, *split, *source, &v);
    if (*from >= v.len)
        rs_lua_field_error(L, fn, "offset",
                           "%zu is past the end: the %s text%s%s has %zu "
                           "bytes",
                           *from, split_names[*split], *source >= 0 ? " of " : "",
                           *source >= 0 ? c->sources[*source] : "", v.len);
}

static int
l_text_stream(lua_State *L)
{
    static const char fn[] = "source:stream";
    static const char *const fields[] = {
        "split", "source", "offset", "bytes", "L", "doc_break", NULL};
    rs_source *s = check_text(L, fn);
    rs_text *text = rs_source_text_corpus(s);
    if (lua_isnoneornil(L, 2)) {
        lua_settop(L, 1);
        lua_newtable(L); /* self cfg */
    }
    rs_lua_check_table(L, 2, fn, "config");
    lua_settop(L, 2);
    rs_lua_check_fields(L, 2, fn, fields);
    struct rs_text_stream_config sc = {0};
    rs_lua_text_range_fields(L, 2, fn, text, &sc.split, &sc.source, &sc.from,
                             &sc.bytes);
    sc.L = (int)rs_lua_opt_int_field(L, 2, fn, "L", 64, 1, 1 << 24);
    sc.doc_break = rs_lua_opt_bool_field(L, 2, fn, "doc_break", false);
    void **box = rs_lua_new_box(L, TEXT_STREAM_MT); /* self cfg box */
    struct rs_error err = {0};
    rs_text_stream *st = rs_text_stream_new(text, &sc, &err);
    if (st == NULL)
        return rs_lua_status_error(L, fn, &err);
    *box = st;
    return 1;
}

static rs_text_stream *
check_stream(lua_State *L, const char *fn)
{
    return rs_lua_check_box(L, 1, TEXT_STREAM_MT, "text stream", fn, "self");
}

/* st:next() */
static int
l_stream_next(lua_State *L)
{
    rs_text_stream *st = check_stream(L, "stream:next");
    struct rs_text_segment seg;
    if (!rs_text_stream_next(st, &seg)) {
        lua_pushnil(L);
        return 1;
    }
    lua_createtable(L, 0, 8); /* st seg */
    lua_pushlstring(L, (const char *)seg.bytes, (size_t)seg.len);
    lua_setfield(L, -2, "text");
    set_int(L, "pos", (lua_Integer)seg.pos);
    set_int(L, "doc", seg.doc + 1);
    push_resets(L, seg.reset, seg.len); /* st seg resets */
    lua_setfield(L, -2, "resets");
    lua_pushboolean(L, seg.doc_end);
    lua_setfield(L, -2, "doc_end");
    lua_pushboolean(L, seg.first);
    lua_setfield(L, -2, "first");
    lua_pushboolean(L, seg.last);
    lua_setfield(L, -2, "last");
    return 1;
}

static int
l_stream_rewind(lua_State *L)
{
    rs_text_stream_rewind(check_stream(L, "stream:rewind"));
    return 0;
}

static int
l_stream_pos(lua_State *L)
{
    lua_pushinteger(
        L, (lua_Integer)rs_text_stream_pos(check_stream(L, "stream:pos")));
    return 1;
}

static int
l_stream_len(lua_State *L)
{
    lua_pushinteger(
        L, (lua_Integer)rs_text_stream_len(check_stream(L, "stream:len")));
    return 1;
}

static int
l_stream_gc(lua_State *L)
{
    void **box = luaL_checkudata(L, 1, TEXT_STREAM_MT);
    rs_text_stream_free(*box);
    *box = NULL;
    return 0;
}

static int
l_stream_tostring(lua_State *L)
{
    void **box = luaL_checkudata(L, 1, TEXT_STREAM_MT);
    if (*box == NULL)
        lua_pushliteral(L, "text stream (released)");
    else
        lua_pushfstring(L, "text stream (%I of %I bytes read)",
                        (lua_Integer)rs_text_stream_pos(*box),
                        (lua_Integer)rs_text_stream_len(*box));
    return 1;
}

void
rs_lua_byte_label(char out[8], unsigned char b)
{
    if (b == ' ')
        snprintf(out, 8, "\xe2\x90\xa3"); /* U+2423 open box */
    else if (b == '\n')
        snprintf(out, 8, "\xe2\x86\xb5"); /* U+21B5 return arrow */
    else if (b == '\t')
        snprintf(out, 8, "\xe2\x86\x92"); /* U+2192 right arrow */
    else if (b > ' ' && b < 127)
        snprintf(out, 8, "%c", b);
    else
        snprintf(out, 8, "\xc2\xb7"); /* U+00B7 middle dot */
}

/* rs.data.char_labels(s) -> {label, ...}: one per byte of s, for the
 * cols= of rs.matrix and so rs.view.text (rs.probe.gates labels its
 * columns the same way). */
static int
l_char_labels(lua_State *L)
{
    const char *s = rs_lua_check_string(L, 1, "rs.data.char_labels", "s");
    size_t n = lua_rawlen(L, 1);
    lua_createtable(L, n > INT_MAX ? INT_MAX : (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        char label[8];
        rs_lua_byte_label(label, (unsigned char)s[i]);
        lua_pushstring(L, label);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

void
rs_lua_open_text(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"documents", l_text_documents}, {"test_text", l_text_test_text},
        {"window", l_text_window},       {"decode", l_text_decode},
        {"stream", l_text_stream},       {NULL, NULL},
    };
    static const luaL_Reg stream_methods[] = {
        {"next", l_stream_next},  {"rewind", l_stream_rewind},
        {"pos", l_stream_pos},    {"len", l_stream_len},
        {"release", l_stream_gc}, {NULL, NULL},
    };
    static const luaL_Reg stream_meta[] = {
        {"__gc", l_stream_gc},
        {"__close", l_stream_gc},
        {"__tostring", l_stream_tostring},
        {NULL, NULL},
    };
    if (luaL_newmetatable(L, TEXT_STREAM_MT)) { /* data mt */
        luaL_setfuncs(L, stream_meta, 0);
        luaL_newlib(L, stream_methods);
        lua_setfield(L, -2, "__index");
    }
    lua_pop(L, 1); /* data */
    /* the source handles' methods, info wrapped */
    luaL_getmetatable(L, RS_LUA_SOURCE_MT); /* data mt */
    lua_getfield(L, -1, "__index");         /* data mt methods */
    luaL_setfuncs(L, methods, 0);
    lua_getfield(L, -1, "info"); /* data mt methods info */
    lua_pushcclosure(L, l_text_info, 1);
    lua_setfield(L, -2, "info"); /* data mt methods */
    lua_pop(L, 2);               /* data */
    lua_pushcfunction(L, l_text_new);
    lua_setfield(L, -2, "text"); /* data */
    lua_pushcfunction(L, l_char_labels);
    lua_setfield(L, -2, "char_labels"); /* data */
}
