/* repscope - MIT licence, see COPYING.
 *
 * l_lmprobe.c: rs.probe.lm and rs.probe.gates, the character
 * language-model instruments (algo/lm_eval.h), called from a scene's
 * step on a learner whose model takes token ids:
 *
 *   rs.probe.lm(learner [, {T=, far=2048, far_from=513, bins=16,
 *                           max_chars=0, far_windows=16}])
 *       -> {bpc_in=, n_in=, bpc_far=, n_far=, far_windows=,
 *           by_pos={bpc={...}, pos={...}}}
 *
 * on the test split of the learner's rs.data.text source (T defaults to
 * the source's window context), logging <name>/eval/bpc_in and
 * <name>/eval/bpc_far and publishing the matrix <name>/loss_by_pos
 * (2 x bins: the mean bits of each position bin, then its mean 1-based
 * position; columns labelled with each bin's last position). far = 0
 * skips the far part (no bpc_far, no matrix).
 *
 *   rs.probe.gates(learner [, {text=, len=96, layer=1}])
 *       -> {C=, len=, half_life={...}, hist={...}}
 *
 * runs text (default: the first len bytes of the test split of the
 * learner's text source) through a model that records its recurrence
 * gate as "a<layer>" and publishes <name>/gates (C x len, a_t per
 * channel, each column labelled with its character) and
 * <name>/half_life (1 x 16: counts of the channels' half-lives in the
 * bins <1, 1, 2, 4, ..., 8192, >=16384). Worker thread only.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo/lm_eval.h"
#include "data/text.h"
#include "lua/bind.h"

/* What one call owns, in a userdata so a raise leaks nothing. */
struct lm_scratch {
    struct rs_lm_eval ev;
    struct rs_lm_gates gt;
    char (*labels)[8]; /* (n) column labels */
    const char **lp;   /* (n) pointers into labels */
};

#define SCRATCH_MT "repscope.lm_scratch"

static int
l_lm_scratch_gc(lua_State *L)
{
    struct lm_scratch *s = lua_touserdata(L, 1);
    rs_lm_eval_fini(&s->ev);
    rs_lm_eval_gates_fini(&s->gt);
    free(s->labels);
    free(s->lp);
    s->labels = NULL;
    s->lp = NULL;
    return 0;
}

static struct lm_scratch *
new_scratch(lua_State *L, int n)
{
    struct lm_scratch *s = lua_newuserdatauv(L, sizeof *s, 0);
    *s = (struct lm_scratch){0};
    luaL_setmetatable(L, SCRATCH_MT);
    s->labels = rs_xcalloc((size_t)n, sizeof *s->labels);
    s->lp = rs_xcalloc((size_t)n, sizeof *s->lp);
    for (int i = 0; i < n; i++)
        s->lp[i] = s->labels[i];
    return s;
}

/* The text corpus of l's source, or a raise naming the learner. */
static rs_text *
check_text(lua_State *L, rs_learner *l, const char *fn)
{
    const rs_source *src = rs_learner_source(l);
    rs_text *t = rs_source_text_corpus(src);
    if (t == NULL)
        rs_lua_arg_error(L, fn, 1, "learner",
                         "its data is a %s source, an rs.data.text source "
                         "expected",
                         rs_source_kind(src));
    return t;
}

static void
push_floats(lua_State *L, const float *x, int n)
{
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        lua_pushnumber(L, (lua_Number)x[i]);
        lua_rawseti(L, -2, i + 1);
    }
}

static int
l_probe_lm(lua_State *L)
{
    static const char fn[] = "rs.probe.lm";
    rs_learner *l = rs_lua_check_learner(L, 1, fn, "learner");
    check_text(L, l, fn);
    struct rs_lm_eval_spec sp;
    rs_lm_eval_spec_default(&sp);
    sp.T = rs_source_text_T(rs_learner_source(l));
    if (sp.T < 2)
        sp.T = 2;
    if (!lua_isnoneornil(L, 2)) {
        static const char *const fields[] = {
            "T", "far", "far_from", "bins", "max_chars", "far_windows", NULL};
        rs_lua_check_table(L, 2, fn, "options");
        rs_lua_check_fields(L, 2, fn, fields);
        sp.T = (int)rs_lua_opt_int_field(L, 2, fn, "T", sp.T, 2, 1 << 20);
        sp.far = (int)rs_lua_opt_int_field(L, 2, fn, "far", sp.far, 0, 1 << 20);
        if (sp.far == 1)
            return rs_lua_field_error(L, fn, "far",
                                      "1 (0 for none, or at least 2)");
        int hi = sp.far > 2 ? sp.far : 2;
        sp.far_from = (int)rs_lua_opt_int_field(
            L, 2, fn, "far_from", sp.far_from < hi ? sp.far_from : hi, 2, hi);
        int bmax = sp.far < RS_LM_EVAL_BINS_MAX ? sp.far : RS_LM_EVAL_BINS_MAX;
        bmax = bmax > 1 ? bmax : 1;
        sp.bins = (int)rs_lua_opt_int_field(
            L, 2, fn, "bins", sp.bins < bmax ? sp.bins : bmax, 1, bmax);
        sp.max_chars = (size_t)rs_lua_opt_int_field(L, 2, fn, "max_chars", 0, 0,
                                                    (lua_Integer)1 << 40);
        sp.far_windows = (int)rs_lua_opt_int_field(L, 2, fn, "far_windows",
                                                   sp.far_windows, 0, 1 << 20);
    }
    struct lm_scratch *s = new_scratch(L, sp.far > 0 ? sp.bins : 1);
    struct rs_error err = {0};
    if (rs_lm_eval(l, &sp, &s->ev, &err) != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    rs_lm_eval_log(l, &s->ev);
    const struct rs_lm_eval *ev = &s->ev;
    char name[RS_NAME_MAX];
    if (ev->by_pos != NULL) {
        for (int b = 0; b < ev->bins; b++)
            snprintf(s->labels[b], sizeof s->labels[b], "%d",
                     (int)((long long)(b + 1) * sp.far / ev->bins));
        static const char *const rows[2] = {"bpc", "position"};
        rs_lua_matrix_labeled(
            L, rs_learner_metric(l, name, "loss_by_pos", NULL, NULL), 2,
            ev->bins, ev->by_pos, rows, s->lp);
    }
    lua_createtable(L, 0, 6); /* scratch out */
    lua_pushnumber(L, ev->bpc_in);
    lua_setfield(L, -2, "bpc_in");
    lua_pushinteger(L, ev->n_in);
    lua_setfield(L, -2, "n_in");
    if (ev->far_windows > 0) {
        lua_pushnumber(L, ev->bpc_far);
        lua_setfield(L, -2, "bpc_far");
        lua_pushinteger(L, ev->n_far);
        lua_setfield(L, -2, "n_far");
        lua_pushinteger(L, ev->far_windows);
        lua_setfield(L, -2, "far_windows");
        lua_createtable(L, 0, 2); /* scratch out by_pos */
        push_floats(L, ev->by_pos, ev->bins);
        lua_setfield(L, -2, "bpc");
        push_floats(L, ev->by_pos + ev->bins, ev->bins);
        lua_setfield(L, -2, "pos");
        lua_setfield(L, -2, "by_pos");
    }
    return 1;
}

static int
l_probe_gates(lua_State *L)
{
    static const char fn[] = "rs.probe.gates";
    rs_learner *l = rs_lua_check_learner(L, 1, fn, "learner");
    const char *text = NULL;
    size_t tlen = 0;
    int len = 96, layer = 1;
    if (!lua_isnoneornil(L, 2)) {
        static const char *const fields[] = {"text", "len", "layer", NULL};
        rs_lua_check_table(L, 2, fn, "options");
        rs_lua_check_fields(L, 2, fn, fields);
        len = (int)rs_lua_opt_int_field(L, 2, fn, "len", len, 1, 1 << 16);
        layer = (int)rs_lua_opt_int_field(L, 2, fn, "layer", 1, 1, 1 << 10);
        text = rs_lua_opt_string_field(L, 2, fn, "text", NULL);
        if (text != NULL) {
            lua_getfield(L, 2, "text");
            text = lua_tolstring(L, -1, &tlen); /* owned by the table */
            lua_pop(L, 1);
            if (tlen == 0)
                return rs_lua_field_error(L, fn, "text", "an empty text");
            if (tlen > (size_t)1 << 16)
                return rs_lua_field_error(L, fn, "text",
                                          "%zu bytes (at most 65536)", tlen);
            len = (int)tlen;
        }
    }
    if (text == NULL) {
        rs_text *t = check_text(L, l, fn);
        struct rs_text_view v;
        rs_text_view(t, RS_SPLIT_TEST, -1, &v);
        if (v.len == 0)
            return rs_lua_arg_error(L, fn, 1, "learner",
                                    "its text has no test documents (give "
                                    "text=)");
        if ((size_t)len > v.len)
            len = (int)v.len;
        text = (const char *)v.bytes;
    }
    struct lm_scratch *s = new_scratch(L, len);
    struct rs_error err = {0};
    if (rs_lm_eval_gates(l, (const uint8_t *)text, len, layer, &s->gt, &err) !=
        RS_OK)
        return rs_lua_status_error(L, fn, &err);
    for (int i = 0; i < len; i++)
        rs_lua_byte_label(s->labels[i], (unsigned char)text[i]);
    char name[RS_NAME_MAX];
    const struct rs_lm_gates *gt = &s->gt;
    rs_lua_matrix_labeled(L, rs_learner_metric(l, name, "gates", NULL, NULL),
                          gt->C, len, gt->a, NULL, s->lp);
    float hist[RS_LM_EVAL_HL_BINS];
    rs_lm_eval_half_life_hist(gt->half_life, gt->C, hist);
    char hl[RS_LM_EVAL_HL_BINS][8];
    const char *hp[RS_LM_EVAL_HL_BINS];
    for (int b = 0; b < RS_LM_EVAL_HL_BINS; b++) {
        if (b == 0)
            snprintf(hl[b], sizeof hl[b], "<1");
        else if (b == RS_LM_EVAL_HL_BINS - 1)
            snprintf(hl[b], sizeof hl[b], ">=%d", 1 << (b - 1));
        else
            snprintf(hl[b], sizeof hl[b], "%d", 1 << (b - 1));
        hp[b] = hl[b];
    }
    rs_lua_matrix_labeled(L,
                          rs_learner_metric(l, name, "half_life", NULL, NULL),
                          1, RS_LM_EVAL_HL_BINS, hist, NULL, hp);
    lua_createtable(L, 0, 4); /* scratch out */
    lua_pushinteger(L, gt->C);
    lua_setfield(L, -2, "C");
    lua_pushinteger(L, len);
    lua_setfield(L, -2, "len");
    push_floats(L, gt->half_life, gt->C);
    lua_setfield(L, -2, "half_life");
    push_floats(L, hist, RS_LM_EVAL_HL_BINS);
    lua_setfield(L, -2, "hist");
    return 1;
}

/* Add rs.probe.lm and rs.probe.gates to the probe table at the top. */
void
rs_lua_open_lmprobe(lua_State *L)
{
    luaL_newmetatable(L, SCRATCH_MT);
    lua_pushcfunction(L, l_lm_scratch_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    lua_pushcfunction(L, l_probe_lm);
    lua_setfield(L, -2, "lm");
    lua_pushcfunction(L, l_probe_gates);
    lua_setfield(L, -2, "gates");
}
