/* repscope - MIT licence, see COPYING.
 *
 * l_learner_info.c: what a learner handle tells about itself (l_learner.c
 * registers these methods):
 *
 *   l:steps(), l:updates(), l:lr()
 *   l:last() -> {step, n, T, loss, acc, lr, grad_norm, weight_norm,
 *                clipped [, train_loss, train_acc, test_loss, test_acc]}
 *   l:config() -> the learner's config as a table
 *
 * Worker thread only.
 */
#include "config.h"

#include <string.h>

#include "algo/learner.h"
#include "algo/objective.h"
#include "core/optim.h"
#include "core/prec.h"
#include "core/sched.h"
#include "lua/bind.h"

static int
l_learner_steps(lua_State *L)
{
    lua_pushinteger(L, rs_learner_steps(rs_lua_check_learner(
                           L, 1, "learner:steps", "self")));
    return 1;
}

static int
l_learner_updates(lua_State *L)
{
    lua_pushinteger(L, rs_learner_updates(rs_lua_check_learner(
                           L, 1, "learner:updates", "self")));
    return 1;
}

static int
l_learner_lr(lua_State *L)
{
    lua_pushnumber(L, (lua_Number)rs_learner_lr(
                          rs_lua_check_learner(L, 1, "learner:lr", "self")));
    return 1;
}

static void
set_number(lua_State *L, const char *key, double v)
{
    lua_pushnumber(L, v);
    lua_setfield(L, -2, key);
}

static void
set_integer(lua_State *L, const char *key, lua_Integer v)
{
    lua_pushinteger(L, v);
    lua_setfield(L, -2, key);
}

static void
set_string(lua_State *L, const char *key, const char *v)
{
    lua_pushstring(L, v);
    lua_setfield(L, -2, key);
}

/* l:last() -> {step, n, T, loss, acc, lr, grad_norm, weight_norm,
 * clipped [, train_loss, train_acc, test_loss, test_acc]} */
static int
l_learner_last(lua_State *L)
{
    const struct rs_learner_stats *st =
        rs_learner_last(rs_lua_check_learner(L, 1, "learner:last", "self"));
    lua_createtable(L, 0, 13);
    set_integer(L, "step", st->step);
    set_integer(L, "n", st->n);
    set_integer(L, "T", st->T);
    set_number(L, "loss", st->loss);
    set_number(L, "acc", st->acc);
    set_number(L, "lr", st->lr);
    set_number(L, "grad_norm", st->optim.grad_norm);
    set_number(L, "weight_norm", st->optim.weight_norm);
    lua_pushboolean(L, st->optim.clipped);
    lua_setfield(L, -2, "clipped");
    if (st->evaluated) {
        set_number(L, "train_loss", st->train_loss);
        set_number(L, "train_acc", st->train_acc);
        set_number(L, "test_loss", st->test_loss);
        set_number(L, "test_acc", st->test_acc);
    }
    return 1;
}

static int
l_learner_config(lua_State *L)
{
    rs_learner *l = rs_lua_check_learner(L, 1, "learner:config", "self");
    const struct rs_learner_config *c = rs_learner_config(l);
    lua_createtable(L, 0, 20);
    set_string(L, "name", c->name);
    set_integer(L, "batch", c->batch);
    set_integer(L, "eval_every", c->eval_every);
    set_integer(L, "eval_n", c->eval_n);
    set_integer(L, "eval_len", c->eval_len);
    set_integer(L, "log_every", c->log_every);
    set_integer(L, "seed", (lua_Integer)c->seed);
    set_string(L, "prec", rs_prec_name(c->prec));
    set_string(L, "optim", rs_optim_kind_name(c->optim.kind));
    set_number(L, "weight_decay", (double)c->optim.weight_decay);
    set_number(L, "clip", (double)c->optim.clip_norm);
    set_number(L, "momentum", (double)c->optim.momentum);
    set_string(L, "schedule", rs_sched_kind_name(c->sched.kind));
    set_number(L, "lr", (double)c->sched.lr);
    set_integer(L, "total", c->sched.total);
    set_integer(L, "warmup", c->sched.warmup);
    set_string(L, "objective", rs_objective_kind(rs_learner_objective(l)));
    /* the loss of a classify objective (the spec's, else the default) */
    if (lua_getiuservalue(L, 1, UV_OBJECTIVE) == LUA_TTABLE)
        lua_getfield(L, -1, "loss");
    else
        lua_pushnil(L);
    if (lua_isnil(L, -1) &&
        strcmp(rs_objective_kind(rs_learner_objective(l)), "classify") == 0) {
        lua_pop(L, 1);
        lua_pushliteral(L, "cross_entropy");
    }
    lua_setfield(L, -3, "loss");
    lua_pop(L, 1);
    return 1;
}

void
rs_lua_learner_info_methods(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"steps", l_learner_steps},   {"updates", l_learner_updates},
        {"lr", l_learner_lr},         {"last", l_learner_last},
        {"config", l_learner_config}, {NULL, NULL},
    };
    luaL_setfuncs(L, methods, 0);
}
