/* repscope - MIT licence, see COPYING.
 *
 * l_env.c: environments (env/env.h) in rs.env:
 *
 *   rs.env.cartpole{copies=1, seed=, horizon=0, time_obs=false,
 *                   norm_steps=0, switch_every=0, switch_length=1.5}
 *   rs.env.breakout{copies=1, seed=, horizon=0, time_obs=false,
 *                   norm_steps=0, size=10}
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
 *
 * The handle owns its rs_env and the step buffers (C heap, freed with
 * it) until rs_lua_env_take gives the env to a learner; any later use
 * raises "<fn>: env was given to a learner". Worker thread only.
 */
#include "config.h"

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
        {NULL, NULL},
    };
    static const luaL_Reg methods[] = {
        {"reset", l_env_reset}, {"step", l_env_step}, {"obs", l_env_obs},
        {"frame", l_env_frame}, {"info", l_env_info}, {"release", l_env_gc},
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
