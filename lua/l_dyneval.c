/* repscope - MIT licence, see COPYING.
 *
 * l_dyneval.c: dynamic evaluation (algo/dyneval.h) and side-by-side
 * updates from Lua:
 *
 *   rs.lm.dyneval(learner, {anchor=, parts={{label=, split="test",
 *                 source=, offset=0, bytes=}, ...}, L=64, context=64,
 *                 adapt="all", rule="sgd", lr=1e-2, rms_beta=0.99,
 *                 decay=0, doc_reset=false, ema=0.98, early=1024})
 *       -> learner
 *       attaches the "dyneval" driver to a learner of a model taking
 *       token ids over an rs.data.text source: each session step
 *       (l:update(), or the scene's) scores and then adapts on one
 *       segment. anchor (a module with the model's parameters, required)
 *       gives theta0; parts default to the whole test split.
 *   l:dyneval() -> {segments=, segments_total=, done=, part=, label=,
 *       part_first=, bits=, chars=, bpc=, bpc_ema=, drift=,
 *       ms_per_char=, cpu_ms=, adapted=, adapted_el=, text=, bits_of=,
 *       parts={{label=, bits=, chars=, early_bits=, early_chars=}, ...},
 *       adapt=, rule=, lr=,
 *       decay=, L=, context=} (nil without the driver): text is the last
 *       segment, bits_of its bits per byte (NaN where not scored)
 *   rs.update{l1, l2, ...} -> {loss1, loss2, ...}
 *       one session step of each learner (rs_learner_update), side by
 *       side on their own threads when they share nothing (the scene
 *       runner's rule, algo/learner.h rs_learners_update), for scenes
 *       that drive their learners from step(ctx).
 *
 * Every field is checked before the driver is built; errors name the
 * field. Worker thread only.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo/dyneval.h"
#include "data/text.h"
#include "lua/bind.h"

static double
unit_field(lua_State *L, int tbl, const char *fn, const char *key, double def,
           bool closed)
{
    lua_Number v = rs_lua_opt_number_field(L, tbl, fn, key, def);
    if (!(v >= 0.0 && (closed ? v <= 1.0 : v < 1.0)))
        rs_lua_field_error(L, fn, key, "%g is outside [0, 1%c", v,
                           closed ? ']' : ')');
    return v;
}

/* The parts list at field "parts" of the table at tbl into c. */
static void
parts_field(lua_State *L, int tbl, const char *fn, const rs_text *text,
            struct rs_dyneval_config *c)
{
    static const char *const fields[] = {"label",  "split", "source",
                                         "offset", "bytes", NULL};
    if (lua_getfield(L, tbl, "parts") == LUA_TNIL) { /* ... parts */
        lua_pop(L, 1);
        return;
    }
    if (!lua_istable(L, -1))
        rs_lua_field_type_error(L, fn, "parts", "list of part tables", -1);
    lua_Integer n = luaL_len(L, -1);
    if (n < 1 || n > RS_DYNEVAL_MAX_PARTS)
        rs_lua_field_error(L, fn, "parts", "%lld parts (1..%d expected)",
                           (long long)n, RS_DYNEVAL_MAX_PARTS);
    char pfn[96];
    for (lua_Integer i = 1; i <= n; i++) {
        snprintf(pfn, sizeof pfn, "%s: part %lld", fn, (long long)i);
        lua_geti(L, -1, i); /* ... parts p */
        rs_lua_check_table(L, -1, pfn, "part");
        rs_lua_check_fields(L, -1, pfn, fields);
        struct rs_dyneval_part *p = &c->parts[i - 1];
        rs_lua_text_range_fields(L, -1, pfn, text, &p->split, &p->source,
                                 &p->from, &p->bytes);
        char def[24];
        snprintf(def, sizeof def, "%lld", (long long)i);
        const char *label = rs_lua_opt_string_field(L, -1, pfn, "label", def);
        if (label[0] == '\0' || strlen(label) > RS_DYNEVAL_LABEL_MAX)
            rs_lua_field_error(L, pfn, "label",
                               "'%s' is empty or longer than %d bytes", label,
                               RS_DYNEVAL_LABEL_MAX);
        snprintf(p->label, sizeof p->label, "%s", label);
        lua_pop(L, 1); /* ... parts */
    }
    c->nparts = (int)n;
    lua_pop(L, 1);
}

/* rs.lm.dyneval(learner, cfg) -> learner */
static int
l_dyneval_new(lua_State *L)
{
    static const char fn[] = "rs.lm.dyneval";
    static const char *const fields[] = {
        "anchor",   "parts", "L",         "context", "adapt", "rule", "lr",
        "rms_beta", "decay", "doc_reset", "ema",     "early", NULL};
    rs_learner *l = rs_lua_check_learner(L, 1, fn, "learner");
    rs_lua_check_table(L, 2, fn, "config");
    lua_settop(L, 2);
    rs_lua_check_fields(L, 2, fn, fields);
    rs_text *text = rs_source_text_corpus(rs_learner_source(l));
    if (text == NULL)
        return rs_lua_arg_error(L, fn, 1, "learner",
                                "its data is a %s source (rs.data.text is "
                                "needed)",
                                rs_source_kind(rs_learner_source(l)));
    struct rs_dyneval_config c;
    rs_dyneval_config_default(&c);
    parts_field(L, 2, fn, text, &c);
    c.L = (int)rs_lua_opt_int_field(L, 2, fn, "L", c.L, 1, RS_DYNEVAL_MAX_L);
    c.context = (int)rs_lua_opt_int_field(L, 2, fn, "context", c.context, 0,
                                          RS_DYNEVAL_MAX_L);
    c.adapt = (enum rs_dyneval_adapt)rs_lua_opt_enum_field(
        L, 2, fn, "adapt", rs_dyneval_adapt_names[c.adapt],
        rs_dyneval_adapt_names);
    c.rule = (enum rs_dyneval_rule)rs_lua_opt_enum_field(
        L, 2, fn, "rule", rs_dyneval_rule_names[c.rule], rs_dyneval_rule_names);
    c.lr = rs_lua_opt_number_field(L, 2, fn, "lr", c.lr);
    if (!(c.lr >= 0.0) || !isfinite(c.lr))
        return rs_lua_field_error(L, fn, "lr", "%g is not a finite number >= 0",
                                  c.lr);
    c.rms_beta = unit_field(L, 2, fn, "rms_beta", c.rms_beta, false);
    c.decay = unit_field(L, 2, fn, "decay", c.decay, true);
    c.ema = unit_field(L, 2, fn, "ema", c.ema, false);
    c.doc_reset = rs_lua_opt_bool_field(L, 2, fn, "doc_reset", c.doc_reset);
    c.early = (size_t)rs_lua_opt_int_field(
        L, 2, fn, "early", (lua_Integer)c.early, 0, LUA_MAXINTEGER);
    if (lua_getfield(L, 2, "anchor") == LUA_TNIL)
        return luaL_error(L,
                          "%s: field 'anchor' is required (the module "
                          "whose parameters are theta0)",
                          fn);
    if (rs_lua_test_module(L, -1) == NULL)
        return rs_lua_field_type_error(L, fn, "anchor", "module", -1);
    rs_nn_module *anchor = rs_lua_check_module(L, -1, fn, "anchor");
    struct rs_error err = {0};
    if (rs_dyneval_attach(l, &c, anchor, &err) != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    lua_settop(L, 1);
    return 1;
}

static void
set_num(lua_State *L, const char *key, double v)
{
    lua_pushnumber(L, v);
    lua_setfield(L, -2, key);
}

static void
set_int(lua_State *L, const char *key, lua_Integer v)
{
    lua_pushinteger(L, v);
    lua_setfield(L, -2, key);
}

/* l:dyneval() -> the driver's state, nil without the driver */
static int
l_dyneval_info(lua_State *L)
{
    rs_learner *l = rs_lua_check_learner(L, 1, "learner:dyneval", "self");
    struct rs_dyneval_info in;
    if (rs_dyneval_info(l, &in, NULL) != RS_OK) {
        lua_pushnil(L);
        return 1;
    }
    const struct rs_dyneval_config *c = in.cfg;
    lua_createtable(L, 0, 28);
    set_int(L, "segments", in.segments);
    set_int(L, "segments_total", in.segments_total);
    lua_pushboolean(L, in.done);
    lua_setfield(L, -2, "done");
    if (in.part >= 0) {
        set_int(L, "part", in.part + 1);
        lua_pushstring(L, c->parts[in.part].label);
        lua_setfield(L, -2, "label");
    }
    lua_pushboolean(L, in.part_first);
    lua_setfield(L, -2, "part_first");
    set_num(L, "bits", in.bits);
    set_num(L, "chars", in.chars);
    set_num(L, "bpc", in.bpc);
    set_num(L, "bpc_ema", in.bpc_ema);
    set_num(L, "drift", in.drift);
    set_num(L, "ms_per_char", in.ms_per_char);
    set_num(L, "cpu_ms", in.cpu_ms);
    set_int(L, "adapted", in.adapted);
    set_int(L, "adapted_el", (lua_Integer)in.adapted_el);
    lua_pushlstring(L, (const char *)in.seg, (size_t)in.seg_len);
    lua_setfield(L, -2, "text");
    lua_createtable(L, in.seg_len, 0);
    for (int k = 0; k < in.seg_len; k++) {
        lua_pushnumber(L, in.seg_bits[k]);
        lua_rawseti(L, -2, k + 1);
    }
    lua_setfield(L, -2, "bits_of");
    lua_createtable(L, c->nparts, 0);
    for (int i = 0; i < c->nparts; i++) {
        lua_createtable(L, 0, 5);
        lua_pushstring(L, c->parts[i].label);
        lua_setfield(L, -2, "label");
        set_num(L, "bits", in.part_bits[i]);
        set_num(L, "chars", in.part_chars[i]);
        set_num(L, "early_bits", in.early_bits[i]);
        set_num(L, "early_chars", in.early_chars[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "parts");
    lua_pushstring(L, rs_dyneval_adapt_name(c->adapt));
    lua_setfield(L, -2, "adapt");
    lua_pushstring(L, rs_dyneval_rule_name(c->rule));
    lua_setfield(L, -2, "rule");
    set_num(L, "lr", c->lr);
    set_num(L, "decay", c->decay);
    set_int(L, "L", c->L);
    set_int(L, "context", c->context);
    return 1;
}

/* rs.update{l1, l2, ...} -> {loss1, loss2, ...} */
static int
l_update(lua_State *L)
{
    static const char fn[] = "rs.update";
    rs_lua_check_table(L, 1, fn, "learners");
    lua_Integer n = luaL_len(L, 1);
    if (n < 1 || n > 64)
        return rs_lua_arg_error(L, fn, 1, "learners",
                                "%lld learners (1..64 expected)", (long long)n);
    rs_learner *ls[64];
    struct rs_learner_stats st[64];
    for (lua_Integer i = 1; i <= n; i++) {
        lua_geti(L, 1, i); /* learners li */
        if (luaL_testudata(L, -1, RS_LUA_LEARNER_MT) == NULL)
            return rs_lua_arg_error(L, fn, 1, "learners",
                                    "entry %lld: learner expected, got %s",
                                    (long long)i, rs_lua_kind_name(L, -1));
        ls[i - 1] = rs_lua_check_learner(L, -1, fn, "learners");
        lua_pop(L, 1); /* learners */
        for (lua_Integer j = 1; j < i; j++)
            if (ls[j - 1] == ls[i - 1])
                return rs_lua_arg_error(L, fn, 1, "learners",
                                        "learner '%s' is listed twice",
                                        rs_learner_name(ls[i - 1]));
    }
    struct rs_error err = {0};
    if (rs_learners_update(ls, (int)n, true, st, &err) != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    lua_createtable(L, (int)n, 0);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_pushnumber(L, st[i - 1].loss);
        lua_rawseti(L, -2, i);
    }
    return 1;
}

void
rs_lua_open_dyneval(lua_State *L)
{
    static const luaL_Reg funcs[] = {
        {"dyneval", l_dyneval_new},
        {NULL, NULL},
    };
    static const luaL_Reg methods[] = {
        {"dyneval", l_dyneval_info},
        {NULL, NULL},
    };
    luaL_getmetatable(L, RS_LUA_LEARNER_MT); /* rs mt */
    RS_ASSERT(lua_istable(L, -1));           /* rs_lua_open_learner ran */
    lua_getfield(L, -1, "__index");          /* rs mt methods */
    luaL_setfuncs(L, methods, 0);
    lua_pop(L, 2);         /* rs */
    luaL_newlib(L, funcs); /* rs lm */
    lua_setfield(L, -2, "lm");
    lua_pushcfunction(L, l_update);
    lua_setfield(L, -2, "update");
}
