/* repscope - MIT licence, see COPYING.
 *
 * l_learner.c: rs.learner{...}, the learner of algo/learner.h as a Lua
 * handle, and rs.name:
 *
 *   rs.learner{name=, model= (module or {modules}), objective=, data=,
 *              optim=rs.optim.*{...}, schedule=rs.sched.*{...}, batch=512,
 *              eval_every=100, eval_n=0, eval_len=0, log_every=10, seed=,
 *              prec="f32"}
 *   rs.name(owner, part, ...) -> "owner/part/..." (owner nil or "": bare)
 *
 * l:step() -> loss, acc; l:update() -> loss, acc (a session step: an
 * attached driver's whole update, else one step); l:eval(split | len [,
 * n]) -> loss, acc (one order everywhere); l:step_on, l:next_batch and
 * l:apply (batches in and out of a learner: l_learner_batch.c);
 * l:set{lr=, weight_decay=, clip=, momentum=, eval_every=, eval_n=,
 * eval_len=} (with the ppo driver its own fields: l_ppo.c);
 * l:set_data(source);
 * l:set_objective(objective) (after which an ewc takes its anchor and
 * Fisher on the current data); l:reanchor(); accessors name, model([i]),
 * models, data, objective, params (steps, updates, lr, last and config
 * are in l_learner_info.c); l:release().
 *
 * The schedule gets its rate from the optimiser and its length from the
 * run when it does not say; one rule for a warm-up longer than the run
 * (rs_lua_learner_sched): the warm-up shrinks to a tenth of the run, and
 * the console says so.
 *
 * The handle's uservalues keep the model handles, the data handle and
 * the objective spec alive for as long as the learner. Every learner of
 * a state is listed in creation order in the registry (the scene driver
 * checkpoints that list by name). Worker thread only.
 */
#include "config.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo/learner.h"
#include "algo/ppo.h"
#include "core/names.h"
#include "data/source.h"
#include "lua/bind.h"


static const char learners_key = 'l';

static const char *const precs[] = {"f32", "bf16", "f16", "fp32", "fp16", NULL};

const char *
rs_lua_kind_name(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    const char *got = luaL_typename(L, idx);
    if (luaL_getmetafield(L, idx, "__name") != LUA_TNIL) {
        const char *mt = lua_tostring(L, -1);
        /* the metatable keeps the string alive */
        if (mt != NULL && strncmp(mt, "repscope.", 9) == 0)
            got = mt + 9;
        lua_pop(L, 1);
    }
    return got;
}

/* A plain table (no metatable): a list the user wrote. */
static bool
is_plain_table(lua_State *L, int idx)
{
    if (!lua_istable(L, idx))
        return false;
    if (lua_getmetatable(L, idx)) {
        lua_pop(L, 1);
        return false;
    }
    return true;
}

void
rs_lua_push_learners(lua_State *L)
{
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &learners_key) == LUA_TNIL) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &learners_key);
    }
}

rs_learner *
rs_lua_check_learner(lua_State *L, int arg, const char *fn, const char *name)
{
    return rs_lua_check_box(L, arg, RS_LUA_LEARNER_MT, "learner", fn, name);
}

rs_learner *
rs_lua_test_learner(lua_State *L, int idx)
{
    return rs_lua_test_box(L, idx, RS_LUA_LEARNER_MT);
}

/* The learner's metric sink: the host sink of the state it lives in. */
static void
learner_log(void *ud, const char *name, double value)
{
    struct rs_lua_ctx *c = ud;
    if (c->sink.log != NULL)
        c->sink.log(c->sink.ud, name, value);
}

/* The learner's matrix sink (a driver's spectra and frames): the same. */
static void
learner_matrix(void *ud, const char *name, int rows, int cols,
               const float *data)
{
    struct rs_lua_ctx *c = ud;
    if (c->sink.matrix != NULL)
        c->sink.matrix(c->sink.ud, name, rows, cols, data, NULL, NULL);
}

void
rs_lua_learner_box(lua_State *L, int models, int data, int obj)
{
    models = lua_absindex(L, models);
    data = lua_absindex(L, data);
    obj = lua_absindex(L, obj);
    struct rs_lua_learner *box = lua_newuserdatauv(L, sizeof *box, UV_COUNT);
    box->l = NULL;
    luaL_setmetatable(L, RS_LUA_LEARNER_MT);
    lua_pushvalue(L, models);
    lua_setiuservalue(L, -2, UV_MODELS);
    lua_pushvalue(L, data);
    lua_setiuservalue(L, -2, UV_DATA);
    lua_pushvalue(L, obj);
    lua_setiuservalue(L, -2, UV_OBJECTIVE);
}

void
rs_lua_learner_open(lua_State *L, int idx, rs_learner *l)
{
    idx = lua_absindex(L, idx);
    struct rs_lua_learner *box = luaL_checkudata(L, idx, RS_LUA_LEARNER_MT);
    struct rs_lua_ctx *ctx = rs_lua_ctx(L);
    RS_ASSERT(box->l == NULL);
    box->l = l;
    rs_learner_set_log(l, learner_log, ctx);
    rs_learner_set_matrix(l, learner_matrix, ctx);
    rs_lua_push_learners(L); /* ... list */
    lua_pushvalue(L, idx);
    lua_rawseti(L, -2, (lua_Integer)luaL_len(L, -2) + 1);
    lua_pop(L, 1);
}

/* ---- construction ------------------------------------------------------ */

/* An objective's refusal may open with its kind ("last_token: the model
 * gives ..."), which bind.h's one-prefix rule would read as an op; say
 * the kind at the end instead ("... (last_token)"). */
static void
objective_message(struct rs_error *err)
{
    static const char *const kinds[] = {"classify",  "last_token", "next_token",
                                        "l2_anchor", "ewc",        "kl_teacher",
                                        "lua",       "clip",       "sparc",
                                        "ppo",       "cdg_l2"};
    for (size_t i = 0; i < RS_ARRAY_LEN(kinds); i++) {
        size_t n = strlen(kinds[i]);
        if (strncmp(err->msg, kinds[i], n) == 0 && err->msg[n] == ':' &&
            err->msg[n + 1] == ' ') {
            char msg[sizeof err->msg];
            snprintf(msg, sizeof msg, "%.*s (%s)", (int)(sizeof msg - n - 4),
                     err->msg + n + 2, kinds[i]);
            memcpy(err->msg, msg, sizeof msg);
            return;
        }
    }
}

void
rs_lua_learner_sched(lua_State *L, int tbl, const char *fn,
                     struct rs_sched *out, float lr)
{
    struct rs_lua_ctx *ctx = rs_lua_ctx(L);
    rs_sched_init(out, RS_SCHED_CONSTANT, lr, -1);
    if (lua_getfield(L, tbl, "schedule") != LUA_TNIL) {
        if (luaL_testudata(L, -1, RS_LUA_SCHED_MT) == NULL)
            rs_lua_field_type_error(L, fn, "schedule", "schedule", -1);
        const struct rs_lua_sched *s = lua_touserdata(L, -1);
        *out = s->s;
        if (!s->has_lr)
            out->lr = lr;
        if (!s->has_total) {
            out->total = ctx->total_steps;
            if (out->total < 1 && out->kind != RS_SCHED_CONSTANT)
                rs_lua_field_error(
                    L, fn, "schedule",
                    "'%s' needs total= (the run has no planned length)",
                    rs_sched_kind_name(out->kind));
        }
    }
    lua_pop(L, 1);
    if (out->kind == RS_SCHED_ONECYCLE && out->total < 1)
        out->total = ctx->total_steps;
    /* the one rule for a warm-up longer than the run (core/sched.h) */
    long total = out->total > 0 ? out->total : ctx->total_steps;
    long old = rs_sched_fit_warmup(out, total);
    if (old >= 0) {
        char line[200];
        snprintf(line, sizeof line,
                 "%s: warmup %ld shortened to %ld (the run plans %ld steps)",
                 fn, old, out->warmup, total);
        rs_lua_print(L, line);
    }
}

/* The modules of the model field (at idx) into mods; returns the count.
 * Leaves a new list of the module handles on the stack. */
static int
check_models(lua_State *L, int idx, const char *fn,
             rs_nn_module *mods[RS_LEARNER_MAX_MODULES])
{
    idx = lua_absindex(L, idx);
    lua_newtable(L); /* ... list */
    if (rs_lua_test_module(L, idx) != NULL) {
        mods[0] = rs_lua_check_module(L, idx, fn, "model");
        lua_pushvalue(L, idx);
        lua_rawseti(L, -2, 1);
        return 1;
    }
    if (!is_plain_table(L, idx))
        return rs_lua_field_error(L, fn, "model",
                                  "module or list of modules expected, got %s",
                                  rs_lua_kind_name(L, idx));
    int n = (int)luaL_len(L, idx);
    if (n < 1 || n > RS_LEARNER_MAX_MODULES)
        return rs_lua_field_error(L, fn, "model",
                                  "a list of 1..%d modules expected, got %d",
                                  RS_LEARNER_MAX_MODULES, n);
    for (int i = 0; i < n; i++) {
        lua_geti(L, idx, i + 1);
        if (rs_lua_test_module(L, -1) == NULL)
            return rs_lua_field_error(L, fn, "model",
                                      "entry %d: module expected, got %s",
                                      i + 1, rs_lua_kind_name(L, -1));
        mods[i] = rs_lua_check_module(L, -1, fn, "model");
        lua_rawseti(L, -2, i + 1);
    }
    return n;
}

int
rs_lua_learner_new(lua_State *L, int tbl, const char *fn, bool check_fields)
{
    static const char *const fields[] = {
        "name",      "model", "objective",  "data",   "optim",
        "schedule",  "batch", "eval_every", "eval_n", "eval_len",
        "log_every", "seed",  "prec",       NULL};
    tbl = lua_absindex(L, tbl);
    rs_lua_check_table(L, tbl, fn, "config");
    if (check_fields)
        rs_lua_check_fields(L, tbl, fn, fields);
    struct rs_lua_ctx *ctx = rs_lua_ctx(L);
    struct rs_learner_config c;
    rs_learner_config_default(&c);
    struct rs_error err = {0};

    const char *name = rs_lua_opt_string_field(L, tbl, fn, "name", "");
    if (name[0] != '\0' && rs_name_check_owner(name, &err) != RS_OK)
        return rs_lua_field_error(L, fn, "name", "%s", err.msg);
    snprintf(c.name, sizeof c.name, "%s", name);

    if (lua_getfield(L, tbl, "model") == LUA_TNIL) /* model */
        return luaL_error(L, "%s: field 'model' is required", fn);
    rs_nn_module *mods[RS_LEARNER_MAX_MODULES];
    int nmods = check_models(L, -1, fn, mods); /* model models */
    int models = lua_gettop(L);
    if (lua_getfield(L, tbl, "data") == LUA_TNIL) /* model models data */
        return luaL_error(L, "%s: field 'data' is required", fn);
    int data = lua_gettop(L);
    if (!rs_lua_is_source(L, data))
        return rs_lua_field_error(L, fn, "data",
                                  "dataset, seqtask or source expected, got %s",
                                  rs_lua_kind_name(L, data));
    if (!luaL_testudata(L, data, RS_LUA_SEQTASK_MT) &&
        *(void **)lua_touserdata(L, data) == NULL)
        return luaL_error(L, "%s: attempt to use a released %s", fn,
                          rs_lua_kind_name(L, data));
    lua_getfield(L, tbl, "objective"); /* ... obj */
    int obj = lua_gettop(L);
    if (!lua_isnil(L, obj))
        rs_lua_objective_check(L, obj, fn, "objective");
    rs_optim_config_default(&c.optim, RS_OPTIM_ADAMW);
    if (lua_getfield(L, tbl, "optim") != LUA_TNIL) {
        if (luaL_testudata(L, -1, RS_LUA_OPTIM_SPEC_MT) == NULL)
            return rs_lua_field_type_error(L, fn, "optim", "optim spec", -1);
        c.optim = *rs_lua_check_optim_spec(L, -1, fn, "optim");
    }
    lua_pop(L, 1);
    rs_lua_learner_sched(L, tbl, fn, &c.sched, c.optim.lr);
    c.batch =
        (int)rs_lua_opt_int_field(L, tbl, fn, "batch", c.batch, 1, 1 << 20);
    c.eval_every = (long)rs_lua_opt_int_field(L, tbl, fn, "eval_every",
                                              c.eval_every, 0, LONG_MAX);
    c.eval_n =
        (int)rs_lua_opt_int_field(L, tbl, fn, "eval_n", c.eval_n, 0, INT32_MAX);
    c.eval_len = (int)rs_lua_opt_int_field(L, tbl, fn, "eval_len", c.eval_len,
                                           0, INT32_MAX);
    c.log_every = (long)rs_lua_opt_int_field(L, tbl, fn, "log_every",
                                             c.log_every, 1, LONG_MAX);
    int prec = rs_lua_opt_enum_field(L, tbl, fn, "prec", "f32", precs);
    c.prec = prec == 3   ? RS_PREC_F32 /* "fp32" */
             : prec == 4 ? RS_PREC_F16 /* "fp16" */
                         : (enum rs_prec)prec;
    if (rs_lua_has_field(L, tbl, "seed"))
        c.seed = (uint64_t)rs_lua_opt_int_field(L, tbl, fn, "seed", 0, 0,
                                                LUA_MAXINTEGER);
    else
        c.seed = rs_rng_next(&ctx->rng);

    /* every check done: box (closed), then the C objects */
    rs_lua_learner_box(L, models, data, obj); /* ... box */
    int b = lua_gettop(L);
    rs_source *src = rs_lua_to_source(L, data, &err);
    rs_objective *o = NULL;
    if (src != NULL)
        o = lua_isnil(L, obj) ? rs_lua_objective_default(src, &err)
                              : rs_lua_objective_build(L, obj, &err);
    rs_learner *l =
        o != NULL ? rs_learner_new(&c, mods, nmods, o, src, &err) : NULL;
    rs_objective_release(o);
    rs_source_release(src);
    /* what the objective needs from its learner (ewc: anchor, Fisher) */
    if (l != NULL &&
        rs_objective_prepare(rs_learner_objective(l), l, &err) != RS_OK) {
        rs_learner_free(l);
        l = NULL;
    }
    if (l == NULL) {
        objective_message(&err);
        return rs_lua_status_error(L, fn, &err);
    }
    rs_lua_learner_open(L, b, l);
    return 1;
}

static int
l_learner_new(lua_State *L)
{
    return rs_lua_learner_new(L, 1, "rs.learner", true);
}

/* rs.name(owner, part, ...) */
static int
l_learner_name_fn(lua_State *L)
{
    static const char fn[] = "rs.name";
    const char *owner = "";
    if (!lua_isnoneornil(L, 1))
        owner = rs_lua_check_string(L, 1, fn, "owner");
    struct rs_error err = {0};
    if (owner[0] != '\0' && rs_name_check_owner(owner, &err) != RS_OK)
        return rs_lua_arg_error(L, fn, 1, "owner", "%s", err.msg);
    char a[RS_NAME_MAX], b[RS_NAME_MAX];
    rs_name(a, owner, (const char *)NULL);
    int top = lua_gettop(L);
    for (int i = 2; i <= top; i++) {
        const char *part = rs_lua_check_string(L, i, fn, "part");
        rs_name(b, a, part, (const char *)NULL);
        memcpy(a, b, sizeof a);
    }
    lua_pushstring(L, a);
    return 1;
}

/* ---- methods ----------------------------------------------------------- */

static rs_learner *
check_self(lua_State *L, const char *fn)
{
    return rs_lua_check_learner(L, 1, fn, "self");
}

/* l:step() -> loss, acc */
static int
l_learner_step(lua_State *L)
{
    static const char fn[] = "learner:step";
    rs_learner *l = check_self(L, fn);
    struct rs_learner_stats st;
    struct rs_error err = {0};
    if (rs_learner_step(l, &st, &err) != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    lua_pushnumber(L, st.loss);
    lua_pushnumber(L, st.acc);
    return 2;
}

/* l:update() -> loss, acc: one session step (the driver's whole update,
 * or one step without a driver) */
static int
l_learner_update(lua_State *L)
{
    static const char fn[] = "learner:update";
    rs_learner *l = check_self(L, fn);
    struct rs_learner_stats st;
    struct rs_error err = {0};
    if (rs_learner_update(l, &st, &err) != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    lua_pushnumber(L, st.loss);
    lua_pushnumber(L, st.acc);
    return 2;
}

/* l:eval(split | len [, n]) -> loss, acc */
static int
l_learner_eval(lua_State *L)
{
    static const char fn[] = "learner:eval";
    static const char *const splits[] = {"train", "test", NULL};
    rs_learner *l = check_self(L, fn);
    int split = RS_SPLIT_TEST, len = 0;
    if (lua_type(L, 2) == LUA_TNUMBER) {
        lua_Integer v = rs_lua_check_integer(L, 2, fn, "len");
        if (v < 1 || v > INT32_MAX)
            return rs_lua_arg_error(L, fn, 2, "len", "%lld is not >= 1",
                                    (long long)v);
        len = (int)v;
    } else {
        split = rs_lua_check_enum(L, 2, fn, "split", NULL, splits);
    }
    lua_Integer n =
        lua_isnoneornil(L, 3) ? 0 : rs_lua_check_integer(L, 3, fn, "n");
    if (n < 0 || n > INT32_MAX)
        return rs_lua_arg_error(L, fn, 3, "n", "%lld is not >= 0",
                                (long long)n);
    double loss, acc;
    struct rs_error err = {0};
    if (rs_learner_eval(l, (enum rs_split)split, (int)n, len, &loss, &acc,
                        &err) != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    lua_pushnumber(L, loss);
    lua_pushnumber(L, acc);
    return 2;
}

/* l:set{lr=, weight_decay=, clip=, momentum=, eval_every=, eval_n=,
 * eval_len=}; a learner with the ppo driver takes lr=, weight_decay= and
 * the driver's fields instead (steps=, minibatch=, epochs=, gamma=,
 * lambda=, clip= (the ratio's, as in rs.rl.ppo), ent_coef=, vf_coef=,
 * pfo=, norm_adv=, capacity_every=, capacity_rows=, capacity_minibatch=:
 * rs_lua_ppo_fields), from the next
 * update. Every field is checked before anything changes. */
static int
l_learner_set(lua_State *L)
{
    static const char fn[] = "learner:set";
    static const char *const fields[] = {
        "lr",         "weight_decay", "clip",     "momentum",
        "eval_every", "eval_n",       "eval_len", NULL};
    static const char *const ppo_fields[] = {
        "lr",    "weight_decay", "steps",          "minibatch", "epochs",
        "gamma", "lambda",       "clip",           "ent_coef",  "vf_coef",
        "pfo",   "norm_adv",     "capacity_every", "capacity_rows",
        "capacity_minibatch", NULL};
    rs_learner *l = check_self(L, fn);
    rs_lua_check_table(L, 2, fn, "changes");
    const struct rs_ppo_config *ppo = rs_ppo_config(l);
    rs_lua_check_fields(L, 2, fn, ppo != NULL ? ppo_fields : fields);
    const struct rs_learner_config *cur = rs_learner_config(l);
    struct rs_optim_config oc = cur->optim;
    oc.weight_decay =
        rs_lua_opt_float_field(L, 2, fn, "weight_decay", oc.weight_decay, 0.0f);
    if (ppo == NULL)
        oc.clip_norm =
            rs_lua_opt_float_field(L, 2, fn, "clip", oc.clip_norm, 0.0f);
    oc.momentum =
        rs_lua_opt_float_field(L, 2, fn, "momentum", oc.momentum, 0.0f);
    long every = (long)rs_lua_opt_int_field(L, 2, fn, "eval_every",
                                            cur->eval_every, 0, LONG_MAX);
    int n = (int)rs_lua_opt_int_field(L, 2, fn, "eval_n", cur->eval_n, 0,
                                      INT32_MAX);
    int len = (int)rs_lua_opt_int_field(L, 2, fn, "eval_len", cur->eval_len, 0,
                                        INT32_MAX);
    bool has_lr = rs_lua_has_field(L, 2, "lr");
    float lr = rs_lua_opt_float_field(L, 2, fn, "lr", 0.0f, 0.0f);
    oc.lr = has_lr ? lr : oc.lr;
    struct rs_ppo_config pc;
    if (ppo != NULL) {
        pc = *ppo;
        rs_lua_ppo_fields(L, 2, fn, rs_env_copies(rs_ppo_env(l)), &pc);
    }
    struct rs_error err = {0};
    if ((ppo != NULL && rs_ppo_set_config(l, &pc, &err) != RS_OK) ||
        rs_learner_set_optim(l, &oc, &err) != RS_OK ||
        (ppo == NULL && rs_learner_set_eval(l, every, n, len, &err) != RS_OK) ||
        (has_lr && rs_learner_set_lr(l, lr, &err) != RS_OK)) {
        objective_message(&err);
        return rs_lua_status_error(L, fn, &err);
    }
    return 0;
}

/* l:set_data(source): a new task mid-run (a task handle is copied now). */
static int
l_learner_set_data(lua_State *L)
{
    static const char fn[] = "learner:set_data";
    rs_learner *l = check_self(L, fn);
    if (!rs_lua_is_source(L, 2))
        return rs_lua_type_error(L, fn, 2, "data", "source");
    struct rs_error err = {0};
    rs_source *src = rs_lua_to_source(L, 2, &err);
    int rc = src != NULL ? rs_learner_set_source(l, src, &err) : err.code;
    rs_source_release(src);
    if (rc != RS_OK) {
        objective_message(&err);
        return rs_lua_status_error(L, fn, &err);
    }
    lua_pushvalue(L, 2);
    lua_setiuservalue(L, 1, UV_DATA);
    return 0;
}

/* l:set_objective(objective) */
static int
l_learner_set_objective(lua_State *L)
{
    static const char fn[] = "learner:set_objective";
    rs_learner *l = check_self(L, fn);
    if (!rs_lua_is_objective(L, 2))
        return rs_lua_type_error(L, fn, 2, "objective", "objective");
    if (rs_learner_driver(l, "ppo") != NULL)
        return luaL_error(L,
                          "%s: a ppo learner takes its objective once, as "
                          "rs.rl.ppo{objective=}",
                          fn);
    struct rs_error err = {0};
    rs_objective *o = rs_lua_objective_build(L, 2, &err);
    int rc = o != NULL ? rs_learner_set_objective(l, o, &err) : err.code;
    rs_objective_release(o);
    if (rc == RS_OK)
        rc = rs_objective_prepare(rs_learner_objective(l), l, &err);
    if (rc != RS_OK) {
        objective_message(&err);
        return rs_lua_status_error(L, fn, &err);
    }
    lua_pushvalue(L, 2);
    lua_setiuservalue(L, 1, UV_OBJECTIVE);
    return 0;
}

/* l:reanchor(): every l2_anchor / ewc of the objective takes the current
 * parameters as its anchor. */
static int
l_learner_reanchor(lua_State *L)
{
    static const char fn[] = "learner:reanchor";
    rs_learner *l = check_self(L, fn);
    struct rs_error err = {0};
    if (rs_objective_reanchor(rs_learner_objective(l), rs_learner_params(l),
                              &err) != RS_OK) {
        objective_message(&err);
        return rs_lua_status_error(L, fn, &err);
    }
    return 0;
}

static int
l_learner_name(lua_State *L)
{
    lua_pushstring(L, rs_learner_name(check_self(L, "learner:name")));
    return 1;
}

/* l:model([i]) -> module handle i (1-based, default 1) */
static int
l_learner_model(lua_State *L)
{
    static const char fn[] = "learner:model";
    rs_learner *l = check_self(L, fn);
    lua_Integer i =
        lua_isnoneornil(L, 2) ? 1 : rs_lua_check_integer(L, 2, fn, "i");
    if (i < 1 || i > rs_learner_nmodules(l))
        return rs_lua_arg_error(L, fn, 2, "i", "%lld is outside 1..%d",
                                (long long)i, rs_learner_nmodules(l));
    lua_getiuservalue(L, 1, UV_MODELS);
    lua_rawgeti(L, -1, i);
    return 1;
}

/* l:models() -> a new list of the module handles */
static int
l_learner_models(lua_State *L)
{
    check_self(L, "learner:models");
    lua_getiuservalue(L, 1, UV_MODELS);
    int n = (int)luaL_len(L, -1);
    lua_createtable(L, n, 0);
    for (int i = 1; i <= n; i++) {
        lua_rawgeti(L, -2, i);
        lua_rawseti(L, -2, i);
    }
    return 1;
}

static int
l_learner_data(lua_State *L)
{
    check_self(L, "learner:data");
    lua_getiuservalue(L, 1, UV_DATA);
    return 1;
}

/* l:objective() -> the spec given, or nil for the default one */
static int
l_learner_objective(lua_State *L)
{
    rs_learner *l = check_self(L, "learner:objective");
    if (lua_getiuservalue(L, 1, UV_OBJECTIVE) == LUA_TNIL) {
        lua_pop(L, 1);
        lua_pushstring(L, rs_objective_kind(rs_learner_objective(l)));
    }
    return 1;
}

/* l:params() -> {name = tensor} of every trained parameter */
static int
l_learner_params(lua_State *L)
{
    rs_nn_model *m = rs_learner_params(check_self(L, "learner:params"));
    int n = rs_nn_model_count(m);
    lua_createtable(L, 0, n);
    for (int i = 0; i < n; i++) {
        rs_lua_push_tensor(L, rs_nn_model_param(m, i));
        lua_setfield(L, -2, rs_nn_model_param_name(m, i));
    }
    return 1;
}

static int
l_learner_release(lua_State *L)
{
    struct rs_lua_learner *b = luaL_checkudata(L, 1, RS_LUA_LEARNER_MT);
    rs_learner_free(b->l);
    b->l = NULL;
    return 0;
}

static int
l_learner_tostring(lua_State *L)
{
    struct rs_lua_learner *b = luaL_checkudata(L, 1, RS_LUA_LEARNER_MT);
    if (b->l == NULL) {
        lua_pushliteral(L, "learner (released)");
        return 1;
    }
    rs_source *src = rs_learner_source(b->l);
    rs_dataset *d = rs_source_as_dataset(src);
    const struct rs_seqtask_config *t = rs_source_as_seqtask(src);
    const char *what = d != NULL   ? rs_dataset_kind(d)
                       : t != NULL ? rs_seqtask_kind_name(t->kind)
                                   : rs_source_kind(src);
    const char *name = rs_learner_name(b->l);
    lua_pushfstring(L, "learner %s%s(%s on %s, %d steps)", name,
                    name[0] != '\0' ? " " : "",
                    rs_nn_module_kind(rs_learner_module(b->l, 0)), what,
                    (int)rs_learner_steps(b->l));
    return 1;
}

void
rs_lua_open_learner(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"step", l_learner_step},
        {"update", l_learner_update},
        {"eval", l_learner_eval},
        {"set", l_learner_set},
        {"set_data", l_learner_set_data},
        {"set_objective", l_learner_set_objective},
        {"reanchor", l_learner_reanchor},
        {"name", l_learner_name},
        {"model", l_learner_model},
        {"models", l_learner_models},
        {"data", l_learner_data},
        {"objective", l_learner_objective},
        {"params", l_learner_params},
        {"release", l_learner_release},
        {NULL, NULL},
    };
    static const luaL_Reg meta[] = {
        {"__gc", l_learner_release},
        {"__close", l_learner_release},
        {"__tostring", l_learner_tostring},
        {NULL, NULL},
    };
    if (luaL_newmetatable(L, RS_LUA_LEARNER_MT)) { /* rs mt */
        luaL_setfuncs(L, meta, 0);
        luaL_newlib(L, methods);
        rs_lua_learner_batch_methods(L);
        rs_lua_learner_info_methods(L);
        lua_setfield(L, -2, "__index");
    }
    lua_pop(L, 1);
    rs_lua_open_surgery(L);
    rs_lua_open_demp(L);
    lua_pushcfunction(L, l_learner_new);
    lua_setfield(L, -2, "learner");
    lua_pushcfunction(L, l_learner_name_fn);
    lua_setfield(L, -2, "name");
    rs_lua_open_objective(L);
}
