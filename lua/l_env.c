/* repscope - MIT licence, see COPYING.
 *
 * l_env.c: environments (env/env.h) in rs.env:
 *
 *   rs.env.cartpole{copies=1, seed=, horizon=0, time_obs=false,
 *                   norm_steps=0, switch_every=0, switch_length=1.5}
 *   rs.env.breakout{copies=1, seed=, horizon=0, time_obs=false,
 *                   norm_steps=0, size=10}
 *   rs.env.corridor{copies=1, seed=, horizon=0, time_obs=false,
 *                   norm_steps=0, close=20, far=15, pit_every=4, door=6,
 *                   start=0 | {lo, hi}, far_visible=false, step_cost=0.01,
 *                   fall_cost=0}
 *       -> env handle ("repscope.env"); seed absent: one draw from the
 *          host stream (rs.seed)
 *   e:reset() -> obs               every copy starts a new episode
 *   e:step(actions) -> obs, reward, terminated, truncated, info
 *       actions: a list of N integers in 0..actions-1; obs a (N, obs_dim)
 *       tensor; reward a list of N numbers; terminated and truncated
 *       lists of N booleans; info {final_obs = tensor, ep_return = {...},
 *       ep_len = {...}} (0 for copies that did not finish)
 *   e:obs() -> (N, obs_dim) tensor
 *   e:frame([i]) -> (frame_h, frame_w) tensor of cell codes of copy i
 *       (1-based, default 1)
 *   e:info() -> {kind=, obs_dim=, actions=, copies=, frame_h=, frame_w=,
 *       glyphs=, colors=, horizon=, time_obs=, norm_steps=, steps=,
 *       episodes=}
 *   e:release()
 * Corridor handles only (cells 0-based, as the C API has them):
 *   e:corridor() -> {cells=, close=, far=, goal=, door=, pit_every=,
 *       start={lo, hi}, far_visible=, step_cost=, fall_cost=, pits={...},
 *       expert={per cell: action or -1}, obs=(cells, cells + 2) tensor
 *       of the raw observation on each cell, actions={"step", "jump"}}
 *   e:walk(actions, start [, max_steps]) -> {last=, furthest=, goal=,
 *       fell=, steps=}: the greedy episode from start of the policy given
 *       per cell, as a list of cells actions or a (cells, 2) tensor of
 *       logits (argmax per row, ties to the lowest); max_steps defaults
 *       to the horizon, or cells without one
 *
 * The handle owns its rs_env and the step buffers (C heap, freed with
 * it) until rs_lua_env_take gives the env to a learner; any later use
 * raises "<fn>: env was given to a learner". Worker thread only.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "env/env.h"
#include "lua/bind.h"

struct lua_env {
    rs_env *e;  /* NULL: released or given */
    bool given; /* rs_lua_env_take took it */
    /* step buffers, sized for the env at creation */
    float *obs, *fin, *rew; /* (N, obs_dim), (N, obs_dim), (N) */
    uint8_t *term, *trunc;  /* (N) */
    double *ret;            /* (N) */
    long *len;              /* (N) */
    int *act;               /* (N) */
    uint8_t *cells;         /* (frame_h, frame_w) */
};

static void
free_buffers(struct lua_env *b)
{
    free(b->obs);
    free(b->fin);
    free(b->rew);
    free(b->term);
    free(b->trunc);
    free(b->ret);
    free(b->len);
    free(b->act);
    free(b->cells);
    b->cells = NULL;
    b->obs = b->fin = b->rew = NULL;
    b->term = b->trunc = NULL;
    b->ret = NULL;
    b->len = NULL;
    b->act = NULL;
}

/* The box at arg (raises a type error naming fn and name). */
static struct lua_env *
test_env(lua_State *L, int arg, const char *fn, const char *name)
{
    struct lua_env *b = luaL_testudata(L, arg, RS_LUA_ENV_MT);
    if (b == NULL)
        rs_lua_type_error(L, fn, arg, name, "env");
    return b;
}

/* The live box at arg, or raise. */
static struct lua_env *
check_env(lua_State *L, int arg, const char *fn, const char *name)
{
    struct lua_env *b = test_env(L, arg, fn, name);
    if (b->e == NULL && b->given)
        luaL_error(L, "%s: env was given to a learner", fn);
    if (b->e == NULL)
        luaL_error(L, "%s: attempt to use a released env", fn);
    return b;
}

rs_env *
rs_lua_env_take(lua_State *L, int idx, const char *fn, const char *key)
{
    struct lua_env *b = luaL_testudata(L, idx, RS_LUA_ENV_MT);
    if (b == NULL)
        rs_lua_field_type_error(L, fn, key, "env", idx);
    if (b->e == NULL)
        rs_lua_field_error(L, fn, key, "%s",
                           b->given ? "env was given to a learner"
                                    : "attempt to use a released env");
    rs_env *e = b->e;
    free_buffers(b);
    b->e = NULL;
    b->given = true;
    return e;
}

/* The common fields of every kind, read from the table at 1 after
 * rs_lua_check_fields. */
static void
env_fields(lua_State *L, const char *fn, struct rs_env_config *c)
{
    rs_env_config_default(c);
    c->copies =
        (int)rs_lua_opt_int_field(L, 1, fn, "copies", 1, 1, RS_ENV_MAX_COPIES);
    if (rs_lua_has_field(L, 1, "seed")) {
        c->seed = (uint64_t)rs_lua_opt_int_field(
            L, 1, fn, "seed", 0, LUA_MININTEGER, LUA_MAXINTEGER);
    } else {
        c->seed = rs_rng_next(&rs_lua_ctx(L)->rng);
    }
    c->horizon =
        (long)rs_lua_opt_int_field(L, 1, fn, "horizon", 0, 0, INT32_MAX);
    c->time_obs = rs_lua_opt_bool_field(L, 1, fn, "time_obs", false);
    if (c->time_obs && c->horizon == 0)
        rs_lua_field_error(L, fn, "time_obs", "needs a horizon (horizon = 0)");
    c->norm_steps =
        (int)rs_lua_opt_int_field(L, 1, fn, "norm_steps", 0, 0, 1000000);
}

/* Fill the closed box at the top with e (or raise with err). */
static int
fill_box(lua_State *L, struct lua_env *b, rs_env *e, const struct rs_error *err,
         const char *fn)
{
    if (e == NULL)
        return rs_lua_status_error(L, fn, err);
    size_t n = (size_t)rs_env_copies(e);
    size_t d = (size_t)rs_env_obs_dim(e);
    b->obs = rs_xcalloc(n * d, sizeof *b->obs);
    b->fin = rs_xcalloc(n * d, sizeof *b->fin);
    b->rew = rs_xcalloc(n, sizeof *b->rew);
    b->term = rs_xcalloc(n, sizeof *b->term);
    b->trunc = rs_xcalloc(n, sizeof *b->trunc);
    b->ret = rs_xcalloc(n, sizeof *b->ret);
    b->len = rs_xcalloc(n, sizeof *b->len);
    b->act = rs_xcalloc(n, sizeof *b->act);
    struct rs_env_info info;
    rs_env_info(e, &info);
    b->cells = rs_xcalloc((size_t)info.frame_h * (size_t)info.frame_w, 1);
    b->e = e;
    return 1;
}

/* Push a new closed box. */
static struct lua_env *
new_box(lua_State *L)
{
    struct lua_env *b = lua_newuserdatauv(L, sizeof *b, 0);
    memset(b, 0, sizeof *b);
    luaL_setmetatable(L, RS_LUA_ENV_MT);
    return b;
}

/* rs.env.cartpole{...} */
static int
l_env_cartpole(lua_State *L)
{
    static const char fn[] = "rs.env.cartpole";
    static const char *const fields[] = {
        "copies",     "seed",         "horizon",       "time_obs",
        "norm_steps", "switch_every", "switch_length", NULL};
    rs_lua_check_table(L, 1, fn, "config");
    rs_lua_check_fields(L, 1, fn, fields);
    struct rs_env_config c;
    env_fields(L, fn, &c);
    struct rs_env_cartpole_config k;
    rs_env_cartpole_config_default(&k);
    k.switch_every =
        (long)rs_lua_opt_int_field(L, 1, fn, "switch_every", 0, 0, INT32_MAX);
    k.switch_length =
        rs_lua_opt_number_field(L, 1, fn, "switch_length", k.switch_length);
    if (!(k.switch_length > 0.0 && k.switch_length <= 100.0))
        return rs_lua_field_error(L, fn, "switch_length",
                                  "%g is outside (0, 100]", k.switch_length);
    struct lua_env *b = new_box(L);
    struct rs_error err = {0};
    return fill_box(L, b, rs_env_cartpole(&k, &c, &err), &err, fn);
}

/* rs.env.breakout{...} */
static int
l_env_breakout(lua_State *L)
{
    static const char fn[] = "rs.env.breakout";
    static const char *const fields[] = {
        "copies", "seed", "horizon", "time_obs", "size", "norm_steps", NULL};
    rs_lua_check_table(L, 1, fn, "config");
    rs_lua_check_fields(L, 1, fn, fields);
    struct rs_env_config c;
    env_fields(L, fn, &c);
    struct rs_env_breakout_config k;
    rs_env_breakout_config_default(&k);
    k.size = (int)rs_lua_opt_int_field(L, 1, fn, "size", k.size, 6, 32);
    struct lua_env *b = new_box(L);
    struct rs_error err = {0};
    return fill_box(L, b, rs_env_breakout(&k, &c, &err), &err, fn);
}

/* The start field of rs.env.corridor: an integer cell or {lo, hi}, both
 * floor cells in 0..goal-1 (nil: 0). */
static void
start_field(lua_State *L, const char *fn, struct rs_env_corridor_config *k)
{
    int goal = k->close + k->far - 1;
    int t = lua_getfield(L, 1, "start"); /* ... start */
    lua_Integer lo = 0, hi = 0;
    int islo = 1, ishi = 1;
    if (t == LUA_TNUMBER) {
        lo = hi = lua_tointegerx(L, -1, &islo);
    } else if (t == LUA_TTABLE && luaL_len(L, -1) == 2) {
        lua_geti(L, -1, 1);
        lua_geti(L, -2, 2); /* ... start lo hi */
        lo = lua_tointegerx(L, -2, &islo);
        hi = lua_tointegerx(L, -1, &ishi);
        lua_pop(L, 2);
    } else if (t != LUA_TNIL) {
        rs_lua_field_type_error(L, fn, "start", "integer or {lo, hi}", -1);
    }
    if (!islo || !ishi)
        rs_lua_field_type_error(L, fn, "start", "integer or {lo, hi}", -1);
    lua_pop(L, 1);
    if (t == LUA_TTABLE && (lo < 0 || lo > hi || hi >= goal))
        rs_lua_field_error(L, fn, "start",
                           "{%lld, %lld} is not a range in 0..%d",
                           (long long)lo, (long long)hi, goal - 1);
    if (lo < 0 || hi >= goal)
        rs_lua_field_error(L, fn, "start", "%lld is outside 0..%d",
                           (long long)lo, goal - 1);
    k->start_lo = (int)lo;
    k->start_hi = (int)hi;
    for (int i = 0; i < 2; i++) {
        int cell = i == 0 ? k->start_lo : k->start_hi;
        if (rs_env_corridor_pit(k, cell))
            rs_lua_field_error(L, fn, "start", "cell %d is a pit", cell);
    }
}

/* rs.env.corridor{...} */
static int
l_env_corridor(lua_State *L)
{
    static const char fn[] = "rs.env.corridor";
    static const char *const fields[] = {
        "copies",    "seed",        "horizon", "time_obs", "norm_steps",
        "close",     "far",         "door",    "start",    "pit_every",
        "step_cost", "fall_cost", "far_visible", NULL};
    rs_lua_check_table(L, 1, fn, "config");
    rs_lua_check_fields(L, 1, fn, fields);
    struct rs_env_config c;
    env_fields(L, fn, &c);
    struct rs_env_corridor_config k;
    rs_env_corridor_config_default(&k);
    k.close = (int)rs_lua_opt_int_field(L, 1, fn, "close", k.close, 4, 200);
    k.far = (int)rs_lua_opt_int_field(L, 1, fn, "far", k.far, 3, 200);
    k.pit_every = (int)rs_lua_opt_int_field(L, 1, fn, "pit_every", k.pit_every,
                                            2, k.close);
    if (k.far - 2 < k.door && !rs_lua_has_field(L, 1, "door"))
        return rs_lua_field_error(L, fn, "door",
                                  "the default 6 is outside 1..%d (far = %d)",
                                  k.far - 2, k.far);
    k.door = (int)rs_lua_opt_int_field(L, 1, fn, "door", k.door, 1, k.far - 2);
    start_field(L, fn, &k);
    k.far_visible = rs_lua_opt_bool_field(L, 1, fn, "far_visible", false);
    k.step_cost = rs_lua_opt_number_field(L, 1, fn, "step_cost", k.step_cost);
    if (!isfinite(k.step_cost) || k.step_cost < 0.0)
        return rs_lua_field_error(
            L, fn, "step_cost", "%g is not a finite number >= 0", k.step_cost);
    k.fall_cost = rs_lua_opt_number_field(L, 1, fn, "fall_cost", k.fall_cost);
    if (!isfinite(k.fall_cost) || k.fall_cost < 0.0)
        return rs_lua_field_error(
            L, fn, "fall_cost", "%g is not a finite number >= 0", k.fall_cost);
    struct lua_env *b = new_box(L);
    struct rs_error err = {0};
    return fill_box(L, b, rs_env_corridor(&k, &c, &err), &err, fn);
}

/* Push a new (rows, cols) tensor holding data (copied). */
static void
push_matrix(lua_State *L, int rows, int cols, const float *data, const char *fn)
{
    void **box = rs_lua_new_box(L, RS_LUA_TENSOR_MT);
    struct rs_error err = {0};
    rs_tensor *t = rs_tensor_new2(rows, cols, &err);
    if (t == NULL)
        rs_lua_status_error(L, fn, &err);
    *box = t;
    memcpy(t->data, data, (size_t)rows * (size_t)cols * sizeof *data);
    rs_lua_tensor_made(L, t);
}

static int
l_env_obs(lua_State *L)
{
    static const char fn[] = "env:obs";
    struct lua_env *b = check_env(L, 1, fn, "self");
    rs_env_observe(b->e, b->obs);
    push_matrix(L, rs_env_copies(b->e), rs_env_obs_dim(b->e), b->obs, fn);
    return 1;
}

static int
l_env_reset(lua_State *L)
{
    static const char fn[] = "env:reset";
    struct lua_env *b = check_env(L, 1, fn, "self");
    rs_env_reset(b->e);
    rs_env_observe(b->e, b->obs);
    push_matrix(L, rs_env_copies(b->e), rs_env_obs_dim(b->e), b->obs, fn);
    return 1;
}

/* e:step(actions) -> obs, reward, terminated, truncated, info */
static int
l_env_step(lua_State *L)
{
    static const char fn[] = "env:step";
    struct lua_env *b = check_env(L, 1, fn, "self");
    int n = rs_env_copies(b->e), na = rs_env_actions(b->e);
    if (!lua_istable(L, 2))
        return rs_lua_type_error(L, fn, 2, "actions", "table");
    lua_Integer len = luaL_len(L, 2);
    if (len != n)
        return rs_lua_arg_error(L, fn, 2, "actions",
                                "%lld actions for %d copies", (long long)len,
                                n);
    for (int i = 0; i < n; i++) {
        lua_geti(L, 2, i + 1); /* ... a */
        int isint = 0;
        lua_Integer a = lua_tointegerx(L, -1, &isint);
        lua_pop(L, 1);
        if (!isint || a < 0 || a >= na)
            return rs_lua_arg_error(L, fn, 2, "actions",
                                    "entry %d is not an action in 0..%d", i + 1,
                                    na - 1);
        b->act[i] = (int)a;
    }
    struct rs_env_step st = {.obs = b->obs,
                             .final_obs = b->fin,
                             .reward = b->rew,
                             .terminated = b->term,
                             .truncated = b->trunc,
                             .ep_return = b->ret,
                             .ep_len = b->len};
    struct rs_error err = {0};
    if (rs_env_step(b->e, b->act, &st, &err) != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    int d = rs_env_obs_dim(b->e);
    push_matrix(L, n, d, b->obs, fn); /* obs */
    lua_createtable(L, n, 0);         /* obs rew */
    for (int i = 0; i < n; i++) {
        lua_pushnumber(L, (lua_Number)b->rew[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_createtable(L, n, 0); /* obs rew term */
    lua_createtable(L, n, 0); /* obs rew term trunc */
    for (int i = 0; i < n; i++) {
        lua_pushboolean(L, b->term[i]);
        lua_rawseti(L, -3, i + 1);
        lua_pushboolean(L, b->trunc[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_createtable(L, 0, 3); /* obs rew term trunc info */
    push_matrix(L, n, d, b->fin, fn);
    lua_setfield(L, -2, "final_obs");
    lua_createtable(L, n, 0);
    lua_createtable(L, n, 0); /* ... info ret len */
    for (int i = 0; i < n; i++) {
        lua_pushnumber(L, b->ret[i]);
        lua_rawseti(L, -3, i + 1);
        lua_pushinteger(L, b->len[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -3, "ep_len");
    lua_setfield(L, -2, "ep_return");
    return 5;
}

/* e:frame([i]) */
static int
l_env_frame(lua_State *L)
{
    static const char fn[] = "env:frame";
    struct lua_env *b = check_env(L, 1, fn, "self");
    int n = rs_env_copies(b->e);
    lua_Integer i = 1;
    if (!lua_isnoneornil(L, 2)) {
        if (!lua_isinteger(L, 2))
            return rs_lua_type_error(L, fn, 2, "copy", "integer");
        i = lua_tointeger(L, 2);
    }
    if (i < 1 || i > n)
        return rs_lua_arg_error(L, fn, 2, "copy", "%lld is outside 1..%d",
                                (long long)i, n);
    struct rs_env_info info;
    rs_env_info(b->e, &info);
    rs_env_render(b->e, (int)i - 1, b->cells);
    void **box = rs_lua_new_box(L, RS_LUA_TENSOR_MT);
    struct rs_error err = {0};
    rs_tensor *t = rs_tensor_new2(info.frame_h, info.frame_w, &err);
    if (t == NULL)
        return rs_lua_status_error(L, fn, &err);
    *box = t;
    rs_lua_tensor_made(L, t);
    for (size_t k = 0; k < t->numel; k++)
        t->data[k] = (float)b->cells[k];
    return 1;
}

static void
set_int(lua_State *L, const char *key, lua_Integer v)
{
    lua_pushinteger(L, v);
    lua_setfield(L, -2, key);
}

static int
l_env_info(lua_State *L)
{
    struct lua_env *b = check_env(L, 1, "env:info", "self");
    struct rs_env_info info;
    rs_env_info(b->e, &info);
    const struct rs_env_config *c = rs_env_config(b->e);
    lua_createtable(L, 0, 13);
    lua_pushstring(L, rs_env_kind(b->e));
    lua_setfield(L, -2, "kind");
    set_int(L, "obs_dim", rs_env_obs_dim(b->e));
    set_int(L, "actions", rs_env_actions(b->e));
    set_int(L, "copies", rs_env_copies(b->e));
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
    set_int(L, "steps", rs_env_steps(b->e));
    set_int(L, "episodes", rs_env_episodes(b->e));
    return 1;
}

/* The corridor config of the live env at 1, or raise. */
static const struct rs_env_corridor_config *
check_corridor(lua_State *L, const char *fn, struct lua_env **box)
{
    struct lua_env *b = check_env(L, 1, fn, "self");
    const struct rs_env_corridor_config *k = rs_env_corridor_config(b->e);
    if (k == NULL)
        rs_lua_arg_error(L, fn, 1, "self", "corridor env expected, got %s env",
                         rs_env_kind(b->e));
    if (box != NULL)
        *box = b;
    return k;
}

/* e:corridor() */
static int
l_env_corridor_facts(lua_State *L)
{
    static const char fn[] = "env:corridor";
    const struct rs_env_corridor_config *k = check_corridor(L, fn, NULL);
    int cells = k->close + k->far, goal = cells - 1;
    lua_createtable(L, 0, 14); /* t */
    set_int(L, "cells", cells);
    set_int(L, "close", k->close);
    set_int(L, "far", k->far);
    set_int(L, "goal", goal);
    set_int(L, "door", k->close + k->door);
    set_int(L, "pit_every", k->pit_every);
    lua_createtable(L, 2, 0);
    lua_pushinteger(L, k->start_lo);
    lua_rawseti(L, -2, 1);
    lua_pushinteger(L, k->start_hi);
    lua_rawseti(L, -2, 2);
    lua_setfield(L, -2, "start");
    lua_pushboolean(L, k->far_visible);
    lua_setfield(L, -2, "far_visible");
    lua_pushnumber(L, k->step_cost);
    lua_setfield(L, -2, "step_cost");
    lua_pushnumber(L, k->fall_cost);
    lua_setfield(L, -2, "fall_cost");
    lua_newtable(L); /* t pits */
    for (int c = 0, n = 0; c < cells; c++)
        if (rs_env_corridor_pit(k, c)) {
            lua_pushinteger(L, c);
            lua_rawseti(L, -2, ++n);
        }
    lua_setfield(L, -2, "pits");
    lua_createtable(L, cells, 0); /* t expert */
    for (int c = 0; c < cells; c++) {
        lua_pushinteger(L, rs_env_corridor_expert(k, c));
        lua_rawseti(L, -2, c + 1);
    }
    lua_setfield(L, -2, "expert");
    void **box = rs_lua_new_box(L, RS_LUA_TENSOR_MT); /* t obs */
    struct rs_error err = {0};
    rs_tensor *t = rs_tensor_new2(cells, cells + 2, &err);
    if (t == NULL)
        return rs_lua_status_error(L, fn, &err);
    *box = t;
    rs_lua_tensor_made(L, t);
    for (int c = 0; c < cells; c++)
        rs_env_corridor_observe_cell(k, c, t->data + (size_t)c * (cells + 2));
    lua_setfield(L, -2, "obs");
    lua_createtable(L, 2, 0);
    lua_pushstring(L, "step");
    lua_rawseti(L, -2, 1);
    lua_pushstring(L, "jump");
    lua_rawseti(L, -2, 2);
    lua_setfield(L, -2, "actions");
    return 1;
}

#define MAX_CELLS 400 /* close + far at most */

/* The walk's policy at arg 2 into act (cells entries). */
static void
walk_policy(lua_State *L, const char *fn,
            const struct rs_env_corridor_config *k, int *act)
{
    int cells = k->close + k->far, goal = cells - 1;
    if (lua_istable(L, 2)) {
        lua_Integer len = luaL_len(L, 2);
        if (len != cells)
            rs_lua_arg_error(L, fn, 2, "actions", "%lld actions for %d cells",
                             (long long)len, cells);
        for (int c = 0; c < cells; c++) {
            act[c] = 0;
            if (c == goal || rs_env_corridor_pit(k, c))
                continue; /* ignored */
            lua_geti(L, 2, c + 1);
            int isint = 0;
            lua_Integer a = lua_tointegerx(L, -1, &isint);
            lua_pop(L, 1);
            if (!isint || a < 0 || a > 1)
                rs_lua_arg_error(L, fn, 2, "actions",
                                 "entry %d (cell %d) is not an action in "
                                 "0..1",
                                 c + 1, c);
            act[c] = (int)a;
        }
        return;
    }
    if (rs_lua_test_box(L, 2, RS_LUA_TENSOR_MT) == NULL)
        rs_lua_type_error(L, fn, 2, "actions", "table or tensor");
    rs_tensor *t = rs_lua_check_tensor(L, 2, fn, "actions");
    if (t->ndim != 2 || t->shape[0] != cells || t->shape[1] != 2)
        rs_lua_arg_error(L, fn, 2, "actions",
                         "a (%d, 2) tensor of logits expected", cells);
    for (int c = 0; c < cells; c++) {
        const float *row = t->data + (size_t)c * 2;
        act[c] = row[1] > row[0] ? 1 : 0;
    }
}

/* e:walk(actions, start [, max_steps]) */
static int
l_env_walk(lua_State *L)
{
    static const char fn[] = "env:walk";
    struct lua_env *b;
    const struct rs_env_corridor_config *k = check_corridor(L, fn, &b);
    int cells = k->close + k->far, goal = cells - 1;
    int act[MAX_CELLS];
    RS_ASSERT(cells <= MAX_CELLS);
    walk_policy(L, fn, k, act);
    lua_Integer start = rs_lua_check_integer(L, 3, fn, "start");
    if (start < 0 || start >= goal)
        return rs_lua_arg_error(L, fn, 3, "start", "%lld is outside 0..%d",
                                (long long)start, goal - 1);
    long h = rs_env_config(b->e)->horizon;
    lua_Integer max_steps = h > 0 ? h : cells;
    if (!lua_isnoneornil(L, 4)) {
        max_steps = rs_lua_check_integer(L, 4, fn, "max_steps");
        if (max_steps < 0 || max_steps > INT32_MAX)
            return rs_lua_arg_error(L, fn, 4, "max_steps",
                                    "%lld is outside 0..%d",
                                    (long long)max_steps, INT32_MAX);
    }
    struct rs_env_corridor_walk w;
    rs_env_corridor_walk(k, act, (int)start, (int)max_steps, &w);
    lua_createtable(L, 0, 5);
    set_int(L, "last", w.last);
    set_int(L, "furthest", w.furthest);
    lua_pushboolean(L, w.goal);
    lua_setfield(L, -2, "goal");
    lua_pushboolean(L, w.fell);
    lua_setfield(L, -2, "fell");
    set_int(L, "steps", w.steps);
    return 1;
}

static int
l_env_gc(lua_State *L)
{
    struct lua_env *b = luaL_checkudata(L, 1, RS_LUA_ENV_MT);
    rs_env_free(b->e);
    b->e = NULL;
    free_buffers(b);
    return 0;
}

static int
l_env_tostring(lua_State *L)
{
    struct lua_env *b = luaL_checkudata(L, 1, RS_LUA_ENV_MT);
    if (b->e == NULL)
        lua_pushstring(L, b->given ? "env (given to a learner)"
                                   : "env (released)");
    else
        lua_pushfstring(L, "env (%s, %d cop%s)", rs_env_kind(b->e),
                        rs_env_copies(b->e),
                        rs_env_copies(b->e) == 1 ? "y" : "ies");
    return 1;
}

void
rs_lua_open_env(lua_State *L)
{
    static const luaL_Reg funcs[] = {
        {"cartpole", l_env_cartpole},
        {"breakout", l_env_breakout},
        {"corridor", l_env_corridor},
        {NULL, NULL},
    };
    static const luaL_Reg methods[] = {
        {"reset", l_env_reset},
        {"step", l_env_step},
        {"obs", l_env_obs},
        {"frame", l_env_frame},
        {"info", l_env_info},
        {"release", l_env_gc},
        {"corridor", l_env_corridor_facts},
        {"walk", l_env_walk},
        {NULL, NULL},
    };
    static const luaL_Reg meta[] = {
        {"__gc", l_env_gc},
        {"__close", l_env_gc},
        {"__tostring", l_env_tostring},
        {NULL, NULL},
    };
    if (luaL_newmetatable(L, RS_LUA_ENV_MT)) { /* rs mt */
        luaL_setfuncs(L, meta, 0);
        luaL_newlib(L, methods);
        lua_setfield(L, -2, "__index");
    }
    lua_pop(L, 1);         /* rs */
    luaL_newlib(L, funcs); /* rs env */
    lua_setfield(L, -2, "env");
}
