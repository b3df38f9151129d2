/* repscope - MIT licence, see COPYING.
 *
 * l_ppo.c: PPO learners (algo/ppo.h) in rs.rl:
 *
 *   rs.rl.ppo{name=, actor=, critic=, env=, optim=, steps=128,
 *             minibatch=256, epochs=4, gamma=0.99, lambda=0.95, clip=0.2,
 *             ent_coef=0.01, vf_coef=0.5, pfo=0, norm_adv=true,
 *             capacity_every=0, capacity_rows=4096,
 *             capacity_minibatch=64, seed=, log_every=1,
 *             instruments=true, objective=}
 *       -> a learner handle (rs.learner's, l_learner.c) with the ppo
 *          driver attached: each session step (l:update()) is one PPO
 *          update; the env handle is given to the learner (any later use
 *          of it raises "env was given to a learner"); objective= is a
 *          spec whose innermost objective is rs.objective.ppo{} (e.g.
 *          rs.objective.kl_teacher{base = rs.objective.ppo{}, ...}): the
 *          PPO loss keeps this call's clip, ent_coef, vf_coef, pfo and
 *          norm_adv; instruments=false logs only rl/ (many learners)
 *
 * and on every learner handle (nil without the ppo driver):
 *   l:ppo() -> {steps=, minibatch=, epochs=, gamma=, lambda=, clip=,
 *       ent_coef=, vf_coef=, pfo=, norm_adv=, capacity_every=,
 *       capacity_rows=, capacity_minibatch=, seed=}
 *   l:env_info() -> the env's e:info() table
 *   l:env_frame([i]) -> (frame_h, frame_w) tensor of copy i's cell codes
 *   (l:set{epochs=, pfo=, clip=, ...} changes the driver live:
 *   rs_lua_ppo_fields, called by l_learner.c.)
 *
 * Every field is checked here, before the env is taken, with messages
 * naming it (minibatch against the env's copies, the actor's and
 * critic's shapes against the env's observation and actions), so a
 * refusal leaves the env handle usable. optim defaults to the authors'
 * Adam: lr 2.5e-4, eps 1e-5, each network's gradient clipped at norm 0.5;
 * a given spec is taken as it is. seed= (else the host stream, rs.seed)
 * seeds a stream whose first two draws seed the learner's batches and the
 * driver's actions. Worker thread only.
 */
#include "config.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "algo/learner.h"
#include "algo/ppo.h"
#include "core/names.h"
#include "env/env.h"
#include "lua/bind.h"
#include "nn/mlp.h"
#include "nn/module.h"

/* ---- fields ------------------------------------------------------------ */

/* A number field in the interval lo..hi (open at either end) over def. */
static double
range_field(lua_State *L, int tbl, const char *fn, const char *key, double def,
            double lo, double hi, bool lo_open, bool hi_open)
{
    lua_Number v = rs_lua_opt_number_field(L, tbl, fn, key, def);
    if (!(lo_open ? v > lo : v >= lo) || !(hi_open ? v < hi : v <= hi))
        rs_lua_field_error(L, fn, key, "%g is outside %c%g, %g%c", v,
                           lo_open ? '(' : '[', lo, hi, hi_open ? ')' : ']');
    return v;
}

/* A finite number field >= 0 over def (kept a double: 0.01 stays 0.01). */
static double
coef_field(lua_State *L, int tbl, const char *fn, const char *key, double def)
{
    lua_Number v = rs_lua_opt_number_field(L, tbl, fn, key, def);
    if (!isfinite(v) || v < 0)
        rs_lua_field_error(L, fn, key, "%g is not a finite number >= 0", v);
    return v;
}

void
rs_lua_ppo_fields(lua_State *L, int tbl, const char *fn, int copies,
                  struct rs_ppo_config *c)
{
    tbl = lua_absindex(L, tbl);
    c->steps = (int)rs_lua_opt_int_field(L, tbl, fn, "steps", c->steps, 1,
                                         RS_PPO_MAX_ROLLOUT / copies);
    int m = c->steps * copies;
    c->minibatch =
        (int)rs_lua_opt_int_field(L, tbl, fn, "minibatch", c->minibatch, 1, m);
    if (m % c->minibatch != 0)
        rs_lua_field_error(L, fn, "minibatch",
                           "%d does not divide copies * steps = %d x %d",
                           c->minibatch, copies, c->steps);
    c->epochs = (int)rs_lua_opt_int_field(L, tbl, fn, "epochs", c->epochs, 1,
                                          RS_PPO_MAX_EPOCHS);
    c->gamma = range_field(L, tbl, fn, "gamma", c->gamma, 0, 1, false, false);
    c->lambda =
        range_field(L, tbl, fn, "lambda", c->lambda, 0, 1, false, false);
    c->obj.clip =
        range_field(L, tbl, fn, "clip", c->obj.clip, 0, 1, true, true);
    c->obj.ent_coef = coef_field(L, tbl, fn, "ent_coef", c->obj.ent_coef);
    c->obj.vf_coef = coef_field(L, tbl, fn, "vf_coef", c->obj.vf_coef);
    c->obj.pfo_coef = coef_field(L, tbl, fn, "pfo", c->obj.pfo_coef);
    c->obj.norm_adv =
        rs_lua_opt_bool_field(L, tbl, fn, "norm_adv", c->obj.norm_adv);
    c->capacity_every = (int)rs_lua_opt_int_field(
        L, tbl, fn, "capacity_every", c->capacity_every, 0, INT32_MAX);
    c->capacity_rows = (int)rs_lua_opt_int_field(
        L, tbl, fn, "capacity_rows", c->capacity_rows, 1, RS_PPO_MAX_ROLLOUT);
    c->capacity_minibatch =
        (int)rs_lua_opt_int_field(L, tbl, fn, "capacity_minibatch",
                                  c->capacity_minibatch, 1, INT32_MAX);
}

/* The module of field key (pushed, so it lives while it is checked);
 * raises "bad field" unless it is an mlp of depth >= 1 mapping in
 * features to out. */
static rs_nn_module *
net_field(lua_State *L, int tbl, const char *fn, const char *key, int in,
          int out)
{
    if (lua_getfield(L, tbl, key) == LUA_TNIL)
        luaL_error(L, "%s: field '%s' is required", fn, key);
    if (rs_lua_test_module(L, -1) == NULL)
        rs_lua_field_type_error(L, fn, key, "module", -1);
    rs_nn_module *m = rs_lua_check_module(L, -1, fn, key);
    const rs_nn_mlp *mlp = rs_nn_module_as_mlp(m);
    if (mlp == NULL || rs_nn_mlp_depth(mlp) < 1)
        rs_lua_field_error(
            L, fn, key, "an mlp with a hidden layer expected, got %s%s",
            rs_nn_module_kind(m), mlp != NULL ? " of depth 0" : "");
    if (rs_nn_module_in(m) != in || rs_nn_module_out(m) != out)
        rs_lua_field_error(L, fn, key,
                           "maps %d inputs to %d outputs; the env needs %d "
                           "to %d",
                           rs_nn_module_in(m), rs_nn_module_out(m), in, out);
    return m;
}

/* ---- rs.rl.ppo ----------------------------------------------------------- */

/* An engine refusal without its "ppo: " (bind.h: one prefix, the Lua
 * function's). */
static int
ppo_error(lua_State *L, const char *fn, struct rs_error *err)
{
    static const char prefix[] = "ppo: ";
    size_t n = strlen(prefix);
    if (strncmp(err->msg, prefix, n) == 0)
        memmove(err->msg, err->msg + n, strlen(err->msg + n) + 1);
    return rs_lua_status_error(L, fn, err);
}

static int
l_ppo_new(lua_State *L)
{
    static const char fn[] = "rs.rl.ppo";
    static const char *const fields[] = {
        "name",           "actor",     "critic",    "env",   "optim",
        "steps",          "minibatch", "epochs",    "gamma", "lambda",
        "clip",           "ent_coef",  "vf_coef",   "pfo",   "norm_adv",
        "capacity_every", "capacity_rows", "capacity_minibatch",
        "seed",           "log_every", "instruments", "objective", NULL};
    rs_lua_check_table(L, 1, fn, "config");
    rs_lua_check_fields(L, 1, fn, fields);
    struct rs_lua_ctx *ctx = rs_lua_ctx(L);
    struct rs_error err = {0};
    struct rs_learner_config lc;
    rs_learner_config_default(&lc);
    const char *name = rs_lua_opt_string_field(L, 1, fn, "name", "");
    if (name[0] != '\0' && rs_name_check_owner(name, &err) != RS_OK)
        return rs_lua_field_error(L, fn, "name", "%s", err.msg);
    snprintf(lc.name, sizeof lc.name, "%s", name);

    /* the env first: its shape decides what the rest must be */
    if (lua_getfield(L, 1, "env") == LUA_TNIL) /* env */
        return luaL_error(L, "%s: field 'env' is required", fn);
    int env = lua_gettop(L);
    /* borrowed until taken (an env handle is a plain box: its rs_env
     * pointer first, NULL once released or given) */
    rs_env *e = rs_lua_test_box(L, env, RS_LUA_ENV_MT);
    if (e == NULL)
        rs_lua_env_take(L, env, fn, "env"); /* raises: not a live env */
    rs_nn_module *actor =
        net_field(L, 1, fn, "actor", rs_env_obs_dim(e), rs_env_actions(e));
    rs_nn_module *critic = net_field(L, 1, fn, "critic", rs_env_obs_dim(e), 1);
    lua_createtable(L, 2, 0); /* env actor critic models */
    lua_pushvalue(L, -3);
    lua_rawseti(L, -2, 1);
    lua_pushvalue(L, -2);
    lua_rawseti(L, -2, 2);
    int models = lua_gettop(L);

    /* the authors' optimiser unless one is given */
    rs_optim_config_default(&lc.optim, RS_OPTIM_ADAM);
    lc.optim.lr = 2.5e-4f;
    lc.optim.eps = 1e-5f;
    lc.optim.clip_norm = 0.5f;
    if (lua_getfield(L, 1, "optim") != LUA_TNIL) {
        if (luaL_testudata(L, -1, RS_LUA_OPTIM_SPEC_MT) == NULL)
            return rs_lua_field_type_error(L, fn, "optim", "optim spec", -1);
        lc.optim = *rs_lua_check_optim_spec(L, -1, fn, "optim");
    }
    lua_pop(L, 1);
    rs_sched_init(&lc.sched, RS_SCHED_CONSTANT, lc.optim.lr, -1);
    lc.log_every =
        (long)rs_lua_opt_int_field(L, 1, fn, "log_every", 1, 1, LONG_MAX);
    struct rs_ppo_config pc;
    rs_ppo_config_default(&pc);
    rs_lua_ppo_fields(L, 1, fn, rs_env_copies(e), &pc);
    pc.instruments =
        rs_lua_opt_bool_field(L, 1, fn, "instruments", pc.instruments);
    int spec = 0; /* the objective spec, if any */
    if (lua_getfield(L, 1, "objective") != LUA_TNIL) {
        rs_lua_objective_check(L, -1, fn, "objective");
        spec = lua_gettop(L);
    } else {
        lua_pop(L, 1);
    }
    /* two streams, the batches' and the actions', from one seed */
    struct rs_rng seeds = ctx->rng;
    if (rs_lua_has_field(L, 1, "seed"))
        rs_rng_seed(&seeds, (uint64_t)rs_lua_opt_int_field(
                                L, 1, fn, "seed", 0, 0, LUA_MAXINTEGER));
    lc.seed = rs_rng_next(&seeds);
    pc.seed = rs_rng_next(&seeds);
    if (!rs_lua_has_field(L, 1, "seed"))
        ctx->rng = seeds; /* the host stream moves on */

    /* every check done: the handle (closed), then the env and learner */
    rs_objective *obj = NULL;
    if (spec != 0 && (obj = rs_lua_objective_build(L, spec, &err)) == NULL)
        return rs_lua_status_error(L, fn, &err);
    lua_pushnil(L); /* ... models [spec] nil */
    rs_lua_learner_box(L, models, -1, spec != 0 ? spec : -1);
    int box = lua_gettop(L);
    e = rs_lua_env_take(L, env, fn, "env"); /* ours from here on */
    rs_learner *l = rs_ppo_learner_with(&lc, actor, critic, e, &pc, obj, &err);
    rs_objective_release(obj);
    if (l != NULL && rs_objective_prepare(rs_learner_objective(l), l, &err) !=
                         RS_OK) {
        rs_learner_free(l);
        l = NULL;
    }
    if (l == NULL)
        return ppo_error(L, fn, &err);
    rs_lua_learner_open(L, box, l);
    return 1;
}

/* ---- learner methods ----------------------------------------------------- */

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

/* l:ppo() -> the driver's config, or nil */
static int
l_ppo_config(lua_State *L)
{
    rs_learner *l = rs_lua_check_learner(L, 1, "learner:ppo", "self");
    const struct rs_ppo_config *c = rs_ppo_config(l);
    if (c == NULL) {
        lua_pushnil(L);
        return 1;
    }
    lua_createtable(L, 0, 14);
    set_int(L, "steps", c->steps);
    set_int(L, "minibatch", c->minibatch);
    set_int(L, "epochs", c->epochs);
    set_num(L, "gamma", c->gamma);
    set_num(L, "lambda", c->lambda);
    set_num(L, "clip", c->obj.clip);
    set_num(L, "ent_coef", c->obj.ent_coef);
    set_num(L, "vf_coef", c->obj.vf_coef);
    set_num(L, "pfo", c->obj.pfo_coef);
    lua_pushboolean(L, c->obj.norm_adv);
    lua_setfield(L, -2, "norm_adv");
    set_int(L, "capacity_every", c->capacity_every);
    set_int(L, "capacity_rows", c->capacity_rows);
    set_int(L, "capacity_minibatch", c->capacity_minibatch);
    set_int(L, "seed", (lua_Integer)c->seed);
    lua_pushboolean(L, c->instruments);
    lua_setfield(L, -2, "instruments");
    return 1;
}

/* l:env_info() -> {kind=, obs_dim=, actions=, copies=, frame_h=,
 * frame_w=, glyphs=, colors=, horizon=, time_obs=, norm_steps=, steps=,
 * episodes=} of the learner's env, or nil */
static int
l_ppo_env_info(lua_State *L)
{
    rs_learner *l = rs_lua_check_learner(L, 1, "learner:env_info", "self");
    const rs_env *e = rs_ppo_env(l);
    if (e == NULL) {
        lua_pushnil(L);
        return 1;
    }
    struct rs_env_info info;
    rs_env_info(e, &info);
    const struct rs_env_config *c = rs_env_config(e);
    lua_createtable(L, 0, 13);
    lua_pushstring(L, rs_env_kind(e));
    lua_setfield(L, -2, "kind");
    set_int(L, "obs_dim", rs_env_obs_dim(e));
    set_int(L, "actions", rs_env_actions(e));
    set_int(L, "copies", rs_env_copies(e));
    set_int(L, "frame_h", info.frame_h);
    set_int(L, "frame_w", info.frame_w);
    lua_pushstring(L, info.glyphs);
    lua_setfield(L, -2, "glyphs");
    lua_pushstring(L, info.colors);
    lua_setfield(L, -2, "colors");
    set_int(L, "horizon", c->horizon);
    lua_pushboolean(L, c->time_obs);
    lua_setfield(L, -2, "time_obs");
    set_int(L, "norm_steps", c->norm_steps);
    set_int(L, "steps", rs_env_steps(e));
    set_int(L, "episodes", rs_env_episodes(e));
    return 1;
}

/* l:env_frame([i]) -> (frame_h, frame_w) tensor of copy i's codes */
static int
l_ppo_env_frame(lua_State *L)
{
    static const char fn[] = "learner:env_frame";
    rs_learner *l = rs_lua_check_learner(L, 1, fn, "self");
    const rs_env *e = rs_ppo_env(l);
    if (e == NULL)
        return luaL_error(L, "%s: learner '%s' has no env", fn,
                          rs_learner_name(l));
    lua_Integer i =
        lua_isnoneornil(L, 2) ? 1 : rs_lua_check_integer(L, 2, fn, "copy");
    if (i < 1 || i > rs_env_copies(e))
        return rs_lua_arg_error(L, fn, 2, "copy", "%lld is outside 1..%d",
                                (long long)i, rs_env_copies(e));
    struct rs_env_info info;
    rs_env_info(e, &info);
    void **box = rs_lua_new_box(L, RS_LUA_TENSOR_MT); /* closed */
    struct rs_error err = {0};
    rs_tensor *t = rs_tensor_new2(info.frame_h, info.frame_w, &err);
    if (t == NULL)
        return rs_lua_status_error(L, fn, &err);
    *box = t;
    rs_lua_tensor_made(L, t);
    size_t n = (size_t)info.frame_h * (size_t)info.frame_w;
    uint8_t *cells = lua_newuserdatauv(L, n > 0 ? n : 1, 0); /* t cells */
    rs_env_render(e, (int)i - 1, cells);
    for (size_t k = 0; k < n; k++)
        t->data[k] = (float)cells[k];
    lua_pop(L, 1); /* t */
    return 1;
}

void
rs_lua_open_rl(lua_State *L)
{
    static const luaL_Reg funcs[] = {
        {"ppo", l_ppo_new},
        {NULL, NULL},
    };
    static const luaL_Reg methods[] = {
        {"ppo", l_ppo_config},
        {"env_info", l_ppo_env_info},
        {"env_frame", l_ppo_env_frame},
        {NULL, NULL},
    };
    luaL_getmetatable(L, RS_LUA_LEARNER_MT); /* rs mt */
    RS_ASSERT(lua_istable(L, -1));           /* rs_lua_open_learner ran */
    lua_getfield(L, -1, "__index");          /* rs mt methods */
    luaL_setfuncs(L, methods, 0);
    lua_pop(L, 2);         /* rs */
    luaL_newlib(L, funcs); /* rs rl */
    lua_setfield(L, -2, "rl");
}
