/* repscope - MIT licence, see COPYING.
 *
 * l_probe.c: rs.probe, the instruments of probe/rank.h and probe/dead.h.
 *
 * On any tensor (rows = samples, last dim = units):
 *   rs.probe.spectrum(t [, centre])   singular values, a 1-D tensor
 *   rs.probe.srank(t [, delta])       Kumar's srank_delta (delta 0.01)
 *   rs.probe.approx_rank(t [, delta]) PCA rank
 *   rs.probe.erank(t)                 effective rank (Roy & Vetterli)
 *   rs.probe.stable_rank(t)           sum s^2 / s_1^2
 *   rs.probe.numerical_rank(t [, tol])
 *   rs.probe.cov_rank(t)              deep-grokking covariance rank
 *   rs.probe.dead(t)                  dead fraction, per-unit frequency
 *   rs.probe.activity(t)              never, always, frequency
 *   rs.probe.dormant(t, tau)          count, scores
 * On a learner, run a probe spec (rs.probe.rank{...}, dead{...},
 * norms{...}, linear{...}; see lua/repscope/scene.lua) through the C
 * runner (probe/runner.h, which has the names and what they measure) and
 * publish through the sink:
 *   rs.probe.run(spec, learner) -> {name = value, ...}
 * Names carry the learner's name ("a/probe/srank/l2"); the unnamed
 * learner (rs.train's) publishes the bare probe/srank/<layer>,
 * spectrum/<layer>, linear, norm/weight, ... (core/names.h). Each
 * spec table keeps its runner (and so its linear history) in a registry
 * table with weak keys while the spec lives. Worker thread only.
 */
#include "config.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/names.h"
#include "lua/bind.h"
#include "probe/dead.h"
#include "probe/rank.h"
#include "probe/runner.h"

/* The (rows, cols) view of t: rows = product of leading dims. */
static void
check_matrix(lua_State *L, const rs_tensor *t, const char *fn, int *rows,
             int *cols)
{
    if (t->ndim < 1 || t->numel > (size_t)INT32_MAX)
        rs_lua_arg_error(L, fn, 1, "features",
                         "a tensor of at least 1 dimension expected");
    *cols = rs_tensor_cols(t);
    *rows = (int)rs_tensor_rows(t);
}

/* Fill r (owned by a userdata on the stack, finalised by its __gc) with
 * the spectrum of the tensor at arg 1. */
static struct rs_probe_rank *
spectrum_of(lua_State *L, const char *fn, bool centre)
{
    rs_tensor *t = rs_lua_check_tensor(L, 1, fn, "features");
    int rows, cols;
    check_matrix(L, t, fn, &rows, &cols);
    struct rs_probe_rank *r = lua_newuserdatauv(L, sizeof *r, 0);
    rs_probe_rank_init(r);
    luaL_setmetatable(L, "repscope.rank_scratch");
    struct rs_error err = {0};
    if (rs_probe_rank_features(r, t->data, rows, cols, centre, &err) != RS_OK)
        rs_lua_status_error(L, fn, &err);
    return r;
}

static int
l_probe_rank_gc(lua_State *L)
{
    rs_probe_rank_fini(lua_touserdata(L, 1));
    return 0;
}

static double
opt_delta(lua_State *L, int arg, const char *fn)
{
    if (lua_isnoneornil(L, arg))
        return RS_PROBE_RANK_DELTA;
    lua_Number d = rs_lua_check_number(L, arg, fn, "delta");
    if (!(d >= 0.0 && d < 1.0))
        rs_lua_arg_error(L, fn, arg, "delta", "%g is outside [0, 1)", d);
    return d;
}

static int
l_probe_spectrum(lua_State *L)
{
    static const char fn[] = "rs.probe.spectrum";
    bool centre = false;
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TBOOLEAN);
        centre = lua_toboolean(L, 2);
    }
    struct rs_probe_rank *r = spectrum_of(L, fn, centre);
    void **box = rs_lua_new_box(L, RS_LUA_TENSOR_MT);
    struct rs_error err = {0};
    rs_tensor *s = rs_tensor_new1(r->n, &err);
    if (s == NULL)
        return rs_lua_status_error(L, fn, &err);
    memcpy(s->data, r->s, (size_t)r->n * sizeof(float));
    *box = s;
    rs_lua_tensor_made(L, s);
    return 1;
}

static int
l_probe_srank(lua_State *L)
{
    static const char fn[] = "rs.probe.srank";
    double delta = opt_delta(L, 2, fn);
    struct rs_probe_rank *r = spectrum_of(L, fn, false);
    lua_pushinteger(L, rs_probe_rank_srank(r->s, r->n, delta));
    return 1;
}

static int
l_probe_approx_rank(lua_State *L)
{
    static const char fn[] = "rs.probe.approx_rank";
    double delta = opt_delta(L, 2, fn);
    struct rs_probe_rank *r = spectrum_of(L, fn, false);
    lua_pushinteger(L, rs_probe_rank_approx(r->s, r->n, delta));
    return 1;
}

static int
l_probe_erank(lua_State *L)
{
    struct rs_probe_rank *r = spectrum_of(L, "rs.probe.erank", false);
    lua_pushnumber(L, r->effective);
    return 1;
}

static int
l_probe_stable_rank(lua_State *L)
{
    struct rs_probe_rank *r = spectrum_of(L, "rs.probe.stable_rank", false);
    lua_pushnumber(L, r->stable);
    return 1;
}

static int
l_probe_numerical_rank(lua_State *L)
{
    static const char fn[] = "rs.probe.numerical_rank";
    double tol = -1.0;
    if (!lua_isnoneornil(L, 2)) {
        tol = rs_lua_check_number(L, 2, fn, "tol");
        if (!(tol >= 0.0))
            return rs_lua_arg_error(L, fn, 2, "tol", "%g is not >= 0", tol);
    }
    struct rs_probe_rank *r = spectrum_of(L, fn, false);
    lua_pushinteger(
        L, rs_probe_rank_numerical(r->s, r->n, tol < 0.0 ? r->tol : tol));
    return 1;
}

static int
l_probe_cov_rank(lua_State *L)
{
    static const char fn[] = "rs.probe.cov_rank";
    rs_tensor *t = rs_lua_check_tensor(L, 1, fn, "features");
    int rows, cols, rank = 0;
    check_matrix(L, t, fn, &rows, &cols);
    struct rs_error err = {0};
    if (rs_probe_rank_cov(t->data, rows, cols, &rank, NULL, &err) != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    lua_pushinteger(L, rank);
    return 1;
}

/* A new (cols) tensor in a box on the stack. */
static rs_tensor *
push_vector(lua_State *L, int n, const char *fn)
{
    void **box = rs_lua_new_box(L, RS_LUA_TENSOR_MT);
    struct rs_error err = {0};
    rs_tensor *t = rs_tensor_new1(n, &err);
    if (t == NULL)
        rs_lua_status_error(L, fn, &err);
    *box = t;
    rs_lua_tensor_made(L, t);
    return t;
}

/* rs.probe.activity(t) -> never, always, freq */
static int
l_probe_activity(lua_State *L)
{
    static const char fn[] = "rs.probe.activity";
    rs_tensor *t = rs_lua_check_tensor(L, 1, fn, "features");
    int rows, cols, never = 0, always = 0;
    check_matrix(L, t, fn, &rows, &cols);
    rs_tensor *freq = push_vector(L, cols, fn);
    struct rs_error err = {0};
    if (rs_probe_dead_activity(t->data, rows, cols, freq->data, &never, &always,
                               &err) != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    lua_pushinteger(L, never);
    lua_pushinteger(L, always);
    lua_rotate(L, -3, 2); /* never always freq */
    return 3;
}

/* rs.probe.dead(t) -> fraction, freq */
static int
l_probe_dead(lua_State *L)
{
    static const char fn[] = "rs.probe.dead";
    rs_tensor *t = rs_lua_check_tensor(L, 1, fn, "features");
    int rows, cols;
    double frac = 0.0;
    check_matrix(L, t, fn, &rows, &cols);
    rs_tensor *freq = push_vector(L, cols, fn);
    struct rs_error err = {0};
    if (rs_probe_dead_fraction(t->data, rows, cols, freq->data, &frac, &err) !=
        RS_OK)
        return rs_lua_status_error(L, fn, &err);
    lua_pushnumber(L, frac);
    lua_insert(L, -2);
    return 2;
}

/* rs.probe.dormant(t, tau) -> count, scores */
static int
l_probe_dormant(lua_State *L)
{
    static const char fn[] = "rs.probe.dormant";
    rs_tensor *t = rs_lua_check_tensor(L, 1, fn, "features");
    lua_Number tau = rs_lua_check_number(L, 2, fn, "tau");
    int rows, cols, count = 0;
    check_matrix(L, t, fn, &rows, &cols);
    rs_tensor *score = push_vector(L, cols, fn);
    struct rs_error err = {0};
    if (rs_probe_dead_dormant(t->data, rows, cols, tau, score->data, &count,
                              &err) != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    lua_pushinteger(L, count);
    lua_insert(L, -2);
    return 2;
}

/* ---- running a spec on a learner --------------------------------------- */

/* The C runner of a spec table: a box with this metatable, kept in a
 * registry table with weak keys (spec table -> box) so a spec's linear
 * history lives as long as the spec. */
#define RUNNER_MT "repscope.probe_runner"
#define RUNNERS_KEY "repscope.probe_runners"

static int
l_probe_runner_gc(lua_State *L)
{
    void **box = luaL_checkudata(L, 1, RUNNER_MT);
    rs_probe_runner_free(*box);
    *box = NULL;
    return 0;
}

/* What one run published: names and values, in order. A userdata owns
 * the array (freed by its __gc), so a raise cannot leak it. */
struct published {
    int n, cap;
    struct published_value {
        char name[RS_NAME_MAX];
        double v;
    } * e;
    struct rs_lua_ctx *ctx; /* the host sink the values also go to */
};

#define PUBLISHED_MT "repscope.probe_published"

static int
l_probe_published_gc(lua_State *L)
{
    struct published *p = luaL_checkudata(L, 1, PUBLISHED_MT);
    free(p->e);
    p->e = NULL;
    return 0;
}

static void
published_log(void *ud, const char *name, double value)
{
    struct published *p = ud;
    if (p->n == p->cap) {
        p->cap = p->cap > 0 ? 2 * p->cap : 16;
        p->e = rs_xreallocarray(p->e, (size_t)p->cap, sizeof *p->e);
    }
    snprintf(p->e[p->n].name, sizeof p->e[p->n].name, "%s", name);
    p->e[p->n++].v = value;
    if (p->ctx->sink.log != NULL)
        p->ctx->sink.log(p->ctx->sink.ud, name, value);
}

static void
published_matrix(void *ud, const char *name, int rows, int cols,
                 const float *data, const char *const *rl,
                 const char *const *cl)
{
    struct published *p = ud;
    if (p->ctx->sink.matrix != NULL)
        p->ctx->sink.matrix(p->ctx->sink.ud, name, rows, cols, data, rl, cl);
}

/* spec.layers ("all", nil or a list of names the module has) into s; the
 * names are the module's own strings (borrowed while it lives), the array
 * a userdata left on the stack. */
static void
spec_layers(lua_State *L, int spec, const rs_nn_module *m, const char *fn,
            struct rs_probe_spec *s)
{
    int t = lua_getfield(L, spec, "layers");
    if (t == LUA_TNIL ||
        (t == LUA_TSTRING && strcmp(lua_tostring(L, -1), "all") == 0)) {
        lua_pop(L, 1);
        lua_newuserdatauv(L, 1, 0); /* one value left, as below */
        s->nlayers = 0;
        s->layers = NULL;
        return;
    }
    if (t != LUA_TTABLE)
        rs_lua_field_type_error(L, fn, "layers", "'all' or table", -1);
    int n = (int)luaL_len(L, -1);
    const char **names =
        lua_newuserdatauv(L, (size_t)(n > 0 ? n : 1) * sizeof *names, 0);
    for (int i = 0; i < n; i++) {
        lua_geti(L, -2, i + 1); /* layers names name */
        const char *name = lua_tostring(L, -1);
        int k = name != NULL ? rs_nn_module_find_layer(m, name) : -1;
        if (k < 0)
            rs_lua_field_error(L, fn, "layers", "the model has no layer '%s'",
                               name != NULL ? name : "?");
        names[i] = rs_nn_module_layer_name(m, k);
        lua_pop(L, 1);
    }
    lua_remove(L, -2); /* names */
    s->nlayers = n;
    s->layers = names;
}

/* The spec table at index spec as a C spec, checked with the messages of
 * rs.probe.<kind>{} (fields named); leaves one scratch value on the
 * stack (the layer array). */
static void
spec_of(lua_State *L, int spec, const rs_nn_module *m, const char *fn,
        struct rs_probe_spec *s)
{
    static const char *const kinds[] = {"rank", "dead", "norms", "linear",
                                        NULL};
    static const char *const splits[] = {"train", "test", NULL};
    static const char *const ons[] = {"preact", "act", NULL};
    int kind = rs_lua_opt_enum_field(L, spec, fn, "kind", NULL, kinds);
    rs_probe_runner_spec_init(s, (enum rs_probe_kind)kind);
    s->every =
        (long)rs_lua_opt_int_field(L, spec, fn, "every", s->every, 1, LONG_MAX);
    if (s->kind == RS_PROBE_NORMS) {
        s->per_layer = rs_lua_opt_bool_field(L, spec, fn, "per_layer", false);
        lua_newuserdatauv(L, 1, 0); /* no layers */
        return;
    }
    if (s->kind == RS_PROBE_LINEAR) {
        s->n = (int)rs_lua_opt_int_field(L, spec, fn, "n", s->n, 0, INT32_MAX);
        if (s->n == 1)
            rs_lua_field_error(L, fn, "n", "1 is not 0 (all) or >= 2");
        lua_Number lambda =
            rs_lua_opt_number_field(L, spec, fn, "lambda", s->lambda);
        if (!(lambda > 0) || !isfinite(lambda))
            rs_lua_field_error(L, fn, "lambda", "%g is not a finite number > 0",
                               (double)lambda);
        s->lambda = lambda;
    } else {
        s->split = (enum rs_split)rs_lua_opt_enum_field(L, spec, fn, "split",
                                                        "test", splits);
        s->n = (int)rs_lua_opt_int_field(L, spec, fn, "n", s->n, 0, INT32_MAX);
        s->on = (enum rs_probe_on)rs_lua_opt_enum_field(
            L, spec, fn, "on", kind == RS_PROBE_RANK ? "preact" : "act", ons);
        s->centre = rs_lua_opt_bool_field(L, spec, fn, "centre", false);
        s->covrank = rs_lua_opt_bool_field(L, spec, fn, "covrank", false);
        lua_Number delta =
            rs_lua_opt_number_field(L, spec, fn, "delta", RS_PROBE_RANK_DELTA);
        if (!(delta >= 0.0 && delta < 1.0))
            rs_lua_field_error(L, fn, "delta", "%g is outside [0, 1)",
                               (double)delta);
        s->delta = delta;
    }
    spec_layers(L, spec, m, fn, s);
}

/* The runner of the spec table at index spec (a new one the first time),
 * set to s. */
static rs_probe_runner *
spec_runner(lua_State *L, int spec, const struct rs_probe_spec *s,
            const char *fn)
{
    if (luaL_getsubtable(L, LUA_REGISTRYINDEX, RUNNERS_KEY) == 0) {
        lua_createtable(L, 0, 1);
        lua_pushliteral(L, "k");
        lua_setfield(L, -2, "__mode");
        lua_setmetatable(L, -2);
    }
    lua_pushvalue(L, spec);
    lua_rawget(L, -2); /* runners box */
    void **box = luaL_testudata(L, -1, RUNNER_MT);
    if (box == NULL) {
        lua_pop(L, 1);
        box = rs_lua_new_box(L, RUNNER_MT);
        lua_pushvalue(L, spec);
        lua_pushvalue(L, -2); /* runners box spec box */
        lua_rawset(L, -4);    /* runners box */
    }
    lua_pop(L, 2);
    struct rs_error err = {0};
    if (*box == NULL) {
        *box = rs_probe_runner_new(s, &err);
        if (*box == NULL)
            rs_lua_status_error(L, fn, &err);
    } else if (rs_probe_runner_set_spec(*box, s, &err) != RS_OK) {
        rs_lua_status_error(L, fn, &err);
    }
    return *box;
}

/* The target at arg: a learner (rs.learner, or rs.train's sugar over
 * one); its name is the owner of every published name. */
static void
check_target(lua_State *L, int arg, const char *fn, struct rs_probe_target *t)
{
    rs_learner_probe_target(rs_lua_check_learner(L, arg, fn, "learner"), t);
}

/* rs.probe.run(spec, learner) -> table of published values */
static int
l_probe_run(lua_State *L)
{
    static const char fn[] = "rs.probe.run";
    rs_lua_check_table(L, 1, fn, "spec");
    struct rs_probe_target t;
    check_target(L, 2, fn, &t);
    lua_settop(L, 2);
    struct rs_probe_spec s;
    spec_of(L, 1, t.module, fn, &s); /* spec target names */
    rs_probe_runner *r = spec_runner(L, 1, &s, fn);
    struct published *p = lua_newuserdatauv(L, sizeof *p, 0);
    *p = (struct published){.ctx = rs_lua_ctx(L)};
    luaL_setmetatable(L, PUBLISHED_MT); /* spec target names p */
    struct rs_probe_sink sink = {published_log, published_matrix, p};
    struct rs_error err = {0};
    if (rs_probe_runner_run(r, &t, &sink, &err) != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    lua_createtable(L, 0, p->n);
    for (int i = 0; i < p->n; i++) {
        lua_pushnumber(L, p->e[i].v);
        lua_setfield(L, -2, p->e[i].name);
    }
    return 1;
}

static const luaL_Reg probe_funcs[] = {
    {"spectrum", l_probe_spectrum},
    {"srank", l_probe_srank},
    {"approx_rank", l_probe_approx_rank},
    {"erank", l_probe_erank},
    {"stable_rank", l_probe_stable_rank},
    {"numerical_rank", l_probe_numerical_rank},
    {"cov_rank", l_probe_cov_rank},
    {"activity", l_probe_activity},
    {"dead", l_probe_dead},
    {"dormant", l_probe_dormant},
    {"run", l_probe_run},
    {NULL, NULL},
};

int
luaopen_repscope_probe(lua_State *L)
{
    luaL_newmetatable(L, "repscope.rank_scratch");
    lua_pushcfunction(L, l_probe_rank_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    luaL_newmetatable(L, RUNNER_MT);
    lua_pushcfunction(L, l_probe_runner_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    luaL_newmetatable(L, PUBLISHED_MT);
    lua_pushcfunction(L, l_probe_published_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    luaL_newlib(L, probe_funcs);
    rs_lua_open_seqprobe(L);
    rs_lua_open_sparcprobe(L);
    rs_lua_open_lmprobe(L);
    rs_lua_open_plastprobe(L);
    return 1;
}
