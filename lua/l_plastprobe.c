/* repscope - MIT licence, see COPYING.
 *
 * l_plastprobe.c: rs.probe.entk and rs.probe.preact_hist, the plasticity
 * instruments of Lyle et al. ("Disentangling the Causes of Plasticity
 * Loss in Neural Networks", arXiv 2402.18762), called from a scene's
 * step on a learner:
 *
 *   rs.probe.entk(learner [, {n=64, split="train", output="sum",
 *                             params="all"}])
 *       -> {erank=, offdiag=, trace=, n=}
 *
 * the empirical NTK of modules[0] on the first n examples of the split
 * (algo/entk.h: over every trained parameter, f the sum of the output row
 * or its column `output`, 0-based), logging <name>/probe/entk/erank and
 * <name>/probe/entk/offdiag and publishing the matrix <name>/entk (n x
 * n). The state keeps one workspace for every call (the gradients of the
 * last call's examples, at most 128 MiB): a fresh one costs about as much
 * in page faults as the kernel.
 *
 *   rs.probe.preact_hist(learner, {layer=, bins=32, range=nil,
 *                                  split="train", n=0})
 *       -> {counts={...}, lo=, hi=}
 *
 * the histogram of the per-unit means of layer's pre-activation over the
 * first n examples of the split (0: all; probe/preact.h), in bins equal
 * bins of [-r, r] (r = range, or the largest |mean|, or 1), publishing
 * the matrix <name>/preact_hist/<layer> (1 x bins, each column labelled
 * with its bin's centre, "%.2g"). Worker thread only.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo/entk.h"
#include "lua/bind.h"
#include "probe/preact.h"

static const char *const split_names[] = {"train", "test", NULL};
static const char *const param_sets[] = {"all", "weights", NULL};

/* ---- rs.probe.entk ------------------------------------------------------ */

#define ENTK_MT "repscope.entk_work"
/* The registry slot of the state's workspace (a static address key). */
static const char entk_key = 0;

static int
l_entk_work_gc(lua_State *L)
{
    rs_entk_fini(luaL_checkudata(L, 1, ENTK_MT));
    return 0;
}

/* The state's workspace (made at the first call), kept in the registry. */
static struct rs_entk *
entk_work(lua_State *L)
{
    struct rs_entk *e = NULL;
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &entk_key) == LUA_TUSERDATA)
        e = luaL_testudata(L, -1, ENTK_MT);
    lua_pop(L, 1);
    if (e != NULL)
        return e;
    e = lua_newuserdatauv(L, sizeof *e, 0);
    rs_entk_init(e);
    luaL_setmetatable(L, ENTK_MT);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &entk_key);
    return e;
}

/* output: "sum" or a column index >= 0 (below the model's outputs when
 * it says how many). */
static int
opt_output(lua_State *L, int tbl, const char *fn, const rs_nn_module *m)
{
    int t = lua_getfield(L, tbl, "output");
    int out = RS_ENTK_SUM;
    if (t == LUA_TSTRING) {
        if (strcmp(lua_tostring(L, -1), "sum") != 0)
            rs_lua_field_error(L, fn, "output",
                               "'sum' or a class index expected, got '%s'",
                               lua_tostring(L, -1));
    } else if (t != LUA_TNIL) {
        int isint = 0;
        lua_Integer c = t == LUA_TNUMBER ? lua_tointegerx(L, -1, &isint) : 0;
        if (!isint)
            rs_lua_field_type_error(L, fn, "output", "'sum' or a class index",
                                    -1);
        int k = rs_nn_module_out(m);
        if (c < 0 || (k > 0 && c >= k) || c > INT32_MAX)
            rs_lua_field_error(L, fn, "output",
                               "%lld is not a class index 0..%d", (long long)c,
                               k > 0 ? k - 1 : INT32_MAX);
        out = (int)c;
    }
    lua_pop(L, 1);
    return out;
}

static int
l_probe_entk(lua_State *L)
{
    static const char fn[] = "rs.probe.entk";
    rs_learner *l = rs_lua_check_learner(L, 1, fn, "learner");
    struct rs_entk_spec sp;
    rs_entk_spec_default(&sp);
    if (!lua_isnoneornil(L, 2)) {
        static const char *const fields[] = {"n", "split", "output", "params",
                                             NULL};
        rs_lua_check_table(L, 2, fn, "options");
        rs_lua_check_fields(L, 2, fn, fields);
        sp.n = (int)rs_lua_opt_int_field(L, 2, fn, "n", sp.n, 1, RS_ENTK_MAX_N);
        sp.split = (enum rs_split)rs_lua_opt_enum_field(L, 2, fn, "split",
                                                        "train", split_names);
        sp.output = opt_output(L, 2, fn, rs_learner_module(l, 0));
        sp.weights_only =
            rs_lua_opt_enum_field(L, 2, fn, "params", "all", param_sets) == 1;
    }
    struct rs_entk *e = entk_work(L);
    struct rs_error err = {0};
    if (rs_entk(l, &sp, e, &err) != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    rs_entk_log(l, e);
    lua_createtable(L, 0, 4);
    lua_pushnumber(L, e->erank);
    lua_setfield(L, -2, "erank");
    lua_pushnumber(L, e->offdiag);
    lua_setfield(L, -2, "offdiag");
    lua_pushnumber(L, e->trace);
    lua_setfield(L, -2, "trace");
    lua_pushinteger(L, e->n);
    lua_setfield(L, -2, "n");
    return 1;
}

/* ---- rs.probe.preact_hist ----------------------------------------------- */

/* One call's counts and column labels, carved from a userdata (GC-owned)
 * of bins of each. */
struct hist_scratch {
    float *counts;
    char (*text)[16];
    const char **labels;
};

static void
new_scratch(lua_State *L, int bins, struct hist_scratch *s)
{
    size_t nb = (size_t)bins;
    char *p = lua_newuserdatauv(
        L, nb * (sizeof *s->labels + sizeof *s->text + sizeof *s->counts), 0);
    s->labels = (const char **)(void *)p;
    s->text = (char(*)[16])(p + nb * sizeof *s->labels);
    s->counts =
        (float *)(void *)(p + nb * (sizeof *s->labels + sizeof *s->text));
}

static int
l_probe_preact_hist(lua_State *L)
{
    static const char fn[] = "rs.probe.preact_hist";
    static const char *const fields[] = {"layer", "bins", "range",
                                         "split", "n",    NULL};
    rs_learner *l = rs_lua_check_learner(L, 1, fn, "learner");
    rs_lua_check_table(L, 2, fn, "options");
    rs_lua_check_fields(L, 2, fn, fields);
    rs_nn_module *m = rs_learner_module(l, 0);
    if (lua_getfield(L, 2, "layer") != LUA_TSTRING)
        rs_lua_field_type_error(L, fn, "layer", "string", -1);
    const char *lname = lua_tostring(L, -1); /* owned by the table */
    lua_pop(L, 1);
    int layer = rs_nn_module_find_layer(m, lname);
    if (layer < 0)
        rs_lua_field_error(L, fn, "layer", "the model has no layer '%s'",
                           lname);
    int bins = (int)rs_lua_opt_int_field(L, 2, fn, "bins", 32, 1,
                                         RS_PROBE_PREACT_BINS_MAX);
    double range = 0.0;
    if (rs_lua_has_field(L, 2, "range")) {
        range = rs_lua_opt_number_field(L, 2, fn, "range", 0.0);
        if (!(range > 0.0) || !isfinite(range))
            rs_lua_field_error(L, fn, "range", "%g is not a finite number > 0",
                               range);
    }
    enum rs_split split = (enum rs_split)rs_lua_opt_enum_field(
        L, 2, fn, "split", "train", split_names);
    int n = (int)rs_lua_opt_int_field(L, 2, fn, "n", 0, 0, INT32_MAX);
    struct hist_scratch sc, *s = &sc;
    new_scratch(L, bins, s);
    struct rs_error err = {0};
    int rows = 0;
    double lo = 0.0, hi = 0.0;
    if (rs_learner_probe_forward(l, split, n, &rows, &err) != RS_OK ||
        rs_probe_preact_layer(m, layer, bins, range, s->counts, &lo, &hi, NULL,
                              &err) != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    for (int b = 0; b < bins; b++) {
        snprintf(s->text[b], sizeof s->text[b], "%.2g",
                 rs_probe_preact_bin_centre(lo, hi, bins, b));
        s->labels[b] = s->text[b];
    }
    char name[RS_NAME_MAX];
    rs_lua_matrix_labeled(
        L, rs_learner_metric(l, name, "preact_hist", lname, NULL), 1, bins,
        s->counts, NULL, s->labels);
    lua_createtable(L, 0, 3);
    lua_createtable(L, bins, 0);
    for (int b = 0; b < bins; b++) {
        lua_pushinteger(L, (lua_Integer)s->counts[b]);
        lua_rawseti(L, -2, b + 1);
    }
    lua_setfield(L, -2, "counts");
    lua_pushnumber(L, lo);
    lua_setfield(L, -2, "lo");
    lua_pushnumber(L, hi);
    lua_setfield(L, -2, "hi");
    return 1;
}

/* Add rs.probe.entk and rs.probe.preact_hist to the probe table at the
 * top. */
void
rs_lua_open_plastprobe(lua_State *L)
{
    luaL_newmetatable(L, ENTK_MT);
    lua_pushcfunction(L, l_entk_work_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    lua_pushcfunction(L, l_probe_entk);
    lua_setfield(L, -2, "entk");
    lua_pushcfunction(L, l_probe_preact_hist);
    lua_setfield(L, -2, "preact_hist");
}
