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
 * norms{...}, linear{...}; see lua/repscope/scene.lua) and publish
 * through the sink:
 *   rs.probe.run(spec, learner) -> {name = value, ...}
 * with the stable names (each behind the learner's name, core/names.h;
 * bare for the unnamed learner) probe/srank/<layer>, probe/erank/<layer>,
 * probe/dead/<layer>, probe/linear/<layer> (test accuracy of a ridge
 * probe fitted on the train split, probe/linprobe.h),
 * probe/linear_train/<layer>, norm/weight, norm/grad (and
 * norm/weight/<prefix>) and the matrices spectrum/<layer> (1 x n singular
 * values), neurons/<layer> (1 x units activation frequency) and linear
 * (layers x probe times, the last LINEAR_HIST_MAX test accuracies; rows
 * labelled by layer, columns by step). Worker thread only.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/names.h"
#include "lua/bind.h"
#include "probe/dead.h"
#include "probe/linprobe.h"
#include "probe/rank.h"

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

/* Log name = v through the sink and into the result table at res. */
static void
publish(lua_State *L, int res, const char *name, double v)
{
    rs_lua_log(L, name, v);
    lua_pushnumber(L, v);
    lua_setfield(L, res, name);
}

/* The layer indices named by spec.layers ("all", nil or a list) into a
 * userdata array on the stack; returns the count. */
static int
spec_layers(lua_State *L, int spec, rs_nn_module *m, const char *fn, int **out)
{
    int total = rs_nn_module_layers(m);
    int t = lua_getfield(L, spec, "layers");
    int n;
    if (t == LUA_TNIL ||
        (t == LUA_TSTRING && strcmp(lua_tostring(L, -1), "all") == 0)) {
        lua_pop(L, 1);
        int *idx = lua_newuserdatauv(L, (size_t)(total + 1) * sizeof *idx, 0);
        for (int i = 0; i < total; i++)
            idx[i] = i;
        *out = idx;
        return total;
    }
    if (t != LUA_TTABLE)
        return rs_lua_field_type_error(L, fn, "layers", "'all' or table", -1);
    n = (int)luaL_len(L, -1);
    int *idx = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof *idx, 0);
    for (int i = 0; i < n; i++) {
        lua_geti(L, -2, i + 1);
        const char *name = lua_tostring(L, -1);
        idx[i] = name != NULL ? rs_nn_module_find_layer(m, name) : -1;
        if (idx[i] < 0)
            return rs_lua_field_error(L, fn, "layers",
                                      "the model has no layer '%s'",
                                      name != NULL ? name : "?");
        lua_pop(L, 1);
    }
    lua_remove(L, -2);
    *out = idx;
    return n;
}

static void
run_norms(lua_State *L, int spec, rs_learner *tr, int res)
{
    const struct rs_learner_stats *st = rs_learner_last(tr);
    rs_nn_model *m = rs_learner_params(tr);
    const char *owner = rs_learner_name(tr);
    char full[RS_NAME_MAX];
    publish(L, res, rs_name(full, owner, "norm/weight", NULL),
            rs_nn_model_weight_norm(m));
    if (st->step > 0)
        publish(L, res, rs_name(full, owner, "norm/grad", NULL),
                st->optim.grad_norm);
    if (!rs_lua_opt_bool_field(L, spec, "rs.probe.norms", "per_layer", false))
        return;
    /* One norm per parameter prefix ("l1" of "l1.weight"), first-seen
     * order, each once. */
    for (int i = 0; i < rs_nn_model_count(m); i++) {
        const char *name = rs_nn_model_param_name(m, i);
        const char *dot = strrchr(name, '.');
        size_t len = dot != NULL ? (size_t)(dot - name) : strlen(name);
        char prefix[RS_NN_MODEL_NAME_MAX + 1], key[RS_NAME_MAX];
        snprintf(prefix, sizeof prefix, "%.*s", (int)len, name);
        rs_name(key, owner, "norm/weight", prefix, NULL);
        if (lua_getfield(L, res, key) == LUA_TNIL)
            publish(L, res, key, rs_nn_model_layer_norm(m, prefix));
        lua_pop(L, 1);
    }
}

/* ---- the linear probe ---------------------------------------------------- */

/* Probe times kept per linear spec: the columns of the "linear" matrix
 * (deep_grokking.lua keeps as many). */
#define LINEAR_HIST_MAX 200
/* Registry table, weak keys: spec table -> its struct linear_hist. */
#define LINEAR_HIST_KEY "repscope.linear_history"

/* The test accuracies of one spec's last ncols probes, oldest first. */
struct linear_hist {
    int nl, ncols;
    long step[LINEAR_HIST_MAX];
    float acc[]; /* (nl, LINEAR_HIST_MAX): layer l at time t in [l * MAX + t] */
};

/* A weak-keyed table (new if absent) at key of the table at t, pushed. */
static void
weak_subtable(lua_State *L, int t)
{
    lua_pushvalue(L, -1); /* key key */
    if (lua_rawget(L, t) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_createtable(L, 0, 1);
        lua_createtable(L, 0, 1);
        lua_pushliteral(L, "k");
        lua_setfield(L, -2, "__mode");
        lua_setmetatable(L, -2);
        lua_pushvalue(L, -2); /* key new key */
        lua_pushvalue(L, -2); /* key new key new */
        lua_rawset(L, t);
    }
    lua_remove(L, -2); /* sub */
}

/* The history of the spec at index spec on the learner at index who for
 * nl layers (a new one if it has none or another layer count). Owned by
 * the registry table while the spec and the learner live. */
static struct linear_hist *
linear_history(lua_State *L, int spec, int who, int nl)
{
    if (luaL_getsubtable(L, LUA_REGISTRYINDEX, LINEAR_HIST_KEY) == 0) {
        lua_createtable(L, 0, 1);
        lua_pushliteral(L, "k");
        lua_setfield(L, -2, "__mode");
        lua_setmetatable(L, -2);
    }
    lua_pushvalue(L, spec); /* all spec */
    weak_subtable(L, lua_gettop(L) - 1); /* all hists */
    lua_remove(L, -2);
    lua_pushvalue(L, who);
    lua_rawget(L, -2); /* hists h */
    struct linear_hist *h = lua_touserdata(L, -1);
    if (h == NULL || h->nl != nl) {
        lua_pop(L, 1);
        h = lua_newuserdatauv(
            L, sizeof *h + (size_t)nl * LINEAR_HIST_MAX * sizeof(float), 0);
        h->nl = nl;
        h->ncols = 0;
        lua_pushvalue(L, who);
        lua_pushvalue(L, -2); /* hists h who h */
        lua_rawset(L, -4);    /* hists h */
    }
    lua_pop(L, 2);
    return h;
}

/* Append the accuracies acc (nl) of step. Columns at or after step go
 * first (a restart from a checkpoint, or the same step probed again);
 * when full, the oldest column drops out. */
static void
linear_record(struct linear_hist *h, long step, const double *acc)
{
    while (h->ncols > 0 && h->step[h->ncols - 1] >= step)
        h->ncols--;
    if (h->ncols == LINEAR_HIST_MAX) {
        memmove(h->step, h->step + 1, (LINEAR_HIST_MAX - 1) * sizeof *h->step);
        for (int l = 0; l < h->nl; l++) {
            float *row = h->acc + (size_t)l * LINEAR_HIST_MAX;
            memmove(row, row + 1, (LINEAR_HIST_MAX - 1) * sizeof *row);
        }
        h->ncols--;
    }
    h->step[h->ncols] = step;
    for (int l = 0; l < h->nl; l++)
        h->acc[(size_t)l * LINEAR_HIST_MAX + (size_t)h->ncols] = (float)acc[l];
    h->ncols++;
}

/* Publish the history as the matrix "linear": rows = layers (labelled),
 * columns = probe steps (labelled). Scratch in userdata, popped. */
static void
linear_publish(lua_State *L, const struct linear_hist *h, rs_nn_module *m,
               const int *layers, const char *owner)
{
    int nl = h->nl, nc = h->ncols;
    float *d = lua_newuserdatauv(L, (size_t)nl * (size_t)nc * sizeof *d, 0);
    const char **rows = lua_newuserdatauv(L, (size_t)nl * sizeof *rows, 0);
    const char **cols = lua_newuserdatauv(L, (size_t)nc * sizeof *cols, 0);
    char(*text)[24] = lua_newuserdatauv(L, (size_t)nc * sizeof *text, 0);
    for (int l = 0; l < nl; l++) {
        rows[l] = rs_nn_module_layer_name(m, layers[l]);
        memcpy(d + (size_t)l * (size_t)nc, h->acc + (size_t)l * LINEAR_HIST_MAX,
               (size_t)nc * sizeof *d);
    }
    for (int t = 0; t < nc; t++) {
        snprintf(text[t], sizeof text[t], "%ld", h->step[t]);
        cols[t] = text[t];
    }
    char name[RS_NAME_MAX];
    rs_lua_matrix_labeled(L, rs_name(name, owner, "linear", NULL), nl, nc, d,
                          rows, cols);
    lua_pop(L, 4);
}

/* A linear spec: fit a ridge probe per layer on the activations of the
 * first n train examples, score it on the first n test examples, publish
 * probe/linear/<layer>, probe/linear_train/<layer> and the matrix. The
 * scratch is userdata, dropped before returning (the stack is as on
 * entry). */
static void
run_linear(lua_State *L, int spec, rs_learner *tr, int who, int res)
{
    static const char fn[] = "rs.probe.run";
    int top = lua_gettop(L);
    int n = (int)rs_lua_opt_int_field(L, spec, fn, "n", 1024, 0, INT32_MAX);
    if (n == 1)
        rs_lua_field_error(L, fn, "n", "1 is not 0 (all) or >= 2");
    lua_Number lambda = rs_lua_opt_number_field(L, spec, fn, "lambda",
                                                RS_PROBE_LINPROBE_LAMBDA);
    if (!(lambda > 0) || !isfinite(lambda))
        rs_lua_field_error(L, fn, "lambda", "%g is not a finite number > 0",
                           (double)lambda);
    rs_nn_module *m = rs_learner_module(tr, 0);
    const char *owner = rs_learner_name(tr);
    struct rs_source_info si;
    rs_source_info(rs_learner_source(tr), &si);
    if (si.classes < 1)
        luaL_error(L, "%s: the learner's data has no labels", fn);
    int *layers = NULL;
    int nl = spec_layers(L, spec, m, fn, &layers);
    if (nl == 0) {
        lua_settop(L, top);
        return;
    }
    struct rs_error err = {0};
    /* test first: a rank or dead probe of the same step (split "test",
     * same n) has usually run that forward already */
    int nte = 0, ntr = 0;
    if (rs_learner_probe_forward(tr, RS_SPLIT_TEST, n, &nte, &err) != RS_OK)
        rs_lua_status_error(L, fn, &err);
    int *yte = lua_newuserdatauv(L, (size_t)nte * sizeof *yte, 0);
    memcpy(yte, rs_learner_probe_batch(tr)->y, (size_t)nte * sizeof *yte);
    int *width = lua_newuserdatauv(L, (size_t)nl * sizeof *width, 0);
    size_t *off = lua_newuserdatauv(L, (size_t)(nl + 1) * sizeof *off, 0);
    off[0] = 0;
    for (int k = 0; k < nl; k++) {
        rs_tensor *t = rs_nn_module_layer_act(m, layers[k]);
        if (t == NULL || (int)rs_tensor_rows(t) != nte)
            luaL_error(L, "%s: layer '%s' recorded nothing", fn,
                       rs_nn_module_layer_name(m, layers[k]));
        width[k] = rs_tensor_cols(t);
        off[k + 1] = off[k] + (size_t)nte * (size_t)width[k];
    }
    float *hte = lua_newuserdatauv(L, off[nl] * sizeof *hte, 0);
    for (int k = 0; k < nl; k++)
        memcpy(hte + off[k], rs_nn_module_layer_act(m, layers[k])->data,
               (off[k + 1] - off[k]) * sizeof *hte);
    if (rs_learner_probe_forward(tr, RS_SPLIT_TRAIN, n, &ntr, &err) != RS_OK)
        rs_lua_status_error(L, fn, &err);
    const int *ytr = rs_learner_probe_batch(tr)->y;
    double *acc = lua_newuserdatauv(L, (size_t)nl * sizeof *acc, 0);
    for (int k = 0; k < nl; k++) {
        const char *lname = rs_nn_module_layer_name(m, layers[k]);
        rs_tensor *t = rs_nn_module_layer_act(m, layers[k]);
        if (t == NULL || (int)rs_tensor_rows(t) != ntr ||
            rs_tensor_cols(t) != width[k])
            luaL_error(L, "%s: layer '%s' recorded nothing", fn, lname);
        struct rs_probe_linprobe r;
        if (rs_probe_linprobe_fit(t->data, ytr, ntr, hte + off[k], yte, nte,
                                  width[k], si.classes, lambda,
                                  &r, NULL, &err) != RS_OK)
            luaL_error(L, "%s: layer '%s': %s", fn, lname, err.msg);
        char name[RS_NAME_MAX];
        publish(L, res, rs_name(name, owner, "probe/linear", lname, NULL),
                r.test_acc);
        publish(L, res,
                rs_name(name, owner, "probe/linear_train", lname, NULL),
                r.train_acc);
        acc[k] = r.test_acc;
    }
    struct linear_hist *h = linear_history(L, spec, who, nl);
    linear_record(h, rs_learner_steps(tr), acc);
    linear_publish(L, h, m, layers, owner);
    lua_settop(L, top);
}

/* rs.probe.run(spec, learner) -> table of published values */
static int
l_probe_run(lua_State *L)
{
    static const char fn[] = "rs.probe.run";
    static const char *const kinds[] = {"rank", "dead", "norms", "linear",
                                        NULL};
    static const char *const splits[] = {"train", "test", NULL};
    static const char *const ons[] = {"preact", "act", NULL};
    rs_lua_check_table(L, 1, fn, "spec");
    rs_learner *tr = rs_lua_check_learner(L, 2, fn, "learner");
    const char *owner = rs_learner_name(tr);
    int kind = rs_lua_opt_enum_field(L, 1, fn, "kind", NULL, kinds);
    lua_newtable(L);
    int res = lua_gettop(L);
    if (kind == 2) {
        run_norms(L, 1, tr, res);
        return 1;
    }
    if (kind == 3) {
        run_linear(L, 1, tr, 2, res);
        return 1;
    }
    int split = rs_lua_opt_enum_field(L, 1, fn, "split", "test", splits);
    int n = (int)rs_lua_opt_int_field(L, 1, fn, "n", 1024, 0, INT32_MAX);
    int on = rs_lua_opt_enum_field(L, 1, fn, "on", kind == 0 ? "preact" : "act",
                                   ons);
    bool centre = rs_lua_opt_bool_field(L, 1, fn, "centre", false);
    rs_nn_module *m = rs_learner_module(tr, 0);
    int *layers = NULL;
    int nl = spec_layers(L, 1, m, fn, &layers);
    struct rs_probe_rank *r = lua_newuserdatauv(L, sizeof *r, 0);
    rs_probe_rank_init(r);
    luaL_setmetatable(L, "repscope.rank_scratch");
    int rows = 0;
    struct rs_error err = {0};
    if (nl > 0 && rs_learner_probe_forward(tr, (enum rs_split)split, n, &rows,
                                           &err) != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    for (int k = 0; k < nl; k++) {
        const char *lname = rs_nn_module_layer_name(m, layers[k]);
        rs_tensor *t = on == 0 ? rs_nn_module_layer_preact(m, layers[k])
                               : rs_nn_module_layer_act(m, layers[k]);
        if (t == NULL)
            return luaL_error(L, "%s: layer '%s' recorded nothing", fn, lname);
        char name[RS_NAME_MAX];
        int cols = rs_tensor_cols(t), nrows = (int)rs_tensor_rows(t);
        if (kind == 0) {
            if (rs_probe_rank_features(r, t->data, nrows, cols, centre, &err) !=
                RS_OK)
                return luaL_error(L, "%s: layer '%s': %s", fn, lname, err.msg);
            publish(L, res, rs_name(name, owner, "probe/srank", lname, NULL),
                    r->srank);
            publish(L, res, rs_name(name, owner, "probe/erank", lname, NULL),
                    r->effective);
            rs_lua_matrix(L, rs_name(name, owner, "spectrum", lname, NULL), 1,
                          r->n, r->s);
        } else {
            float *freq = lua_newuserdatauv(L, (size_t)cols * sizeof *freq, 0);
            double frac = 0.0;
            if (rs_probe_dead_fraction(t->data, nrows, cols, freq, &frac,
                                       &err) != RS_OK)
                return luaL_error(L, "%s: layer '%s': %s", fn, lname, err.msg);
            publish(L, res, rs_name(name, owner, "probe/dead", lname, NULL),
                    frac);
            rs_lua_matrix(L, rs_name(name, owner, "neurons", lname, NULL), 1,
                          cols, freq);
            lua_pop(L, 1);
        }
    }
    lua_pushvalue(L, res);
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
    luaL_newlib(L, probe_funcs);
    rs_lua_open_seqprobe(L);
    return 1;
}
