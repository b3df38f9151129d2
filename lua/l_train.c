/* repscope - MIT licence, see COPYING.
 *
 * l_train.c: rs.train{...} and rs.train.seq{...}, thin sugar over
 * rs.learner (l_learner.c): each maps its fields onto a learner's and
 * returns the learner handle, so a trainer is a learner in every way
 * (step, eval, checkpoints, names).
 *
 *   rs.train{model=, data=, optim=rs.optim.*{...}, loss="cross_entropy"
 *            | "mse_onehot", batch=512, schedule=, eval_every=100,
 *            eval_n=0, log_every=10, seed=, prec="f32", name=}
 *     = rs.learner{..., objective=rs.objective.classify{loss=loss}}
 *   rs.train.seq{model=tf, task=rs.data.seqtask{...}, batch=32,
 *                optim=rs.optim.*{...} | "adamw"|"adam"|"sgd", lr=1e-3,
 *                weight_decay=<optim default>, warmup=0, clip=0,
 *                momentum=0, seed=, prec="f32", log_every=10, schedule=,
 *                name=}   (lr, weight_decay, clip, momentum only with a
 *                         string optim: a spec carries its own)
 *     = rs.learner{model=tf, data=task, objective=last_token,
 *                  optim=rs.optim.<optim>{lr=, weight_decay=, clip=,
 *                  momentum=}, schedule=schedule or
 *                  rs.sched.constant{warmup=}, eval_every=0, eval_n=256}
 * Errors name the function called (rs.train, rs.train.seq). Worker
 * thread only.
 */
#include "config.h"

#include <limits.h>
#include <string.h>

#include "lua/bind.h"

/* Copy every field of the table at from except skip into a new table,
 * pushed. */
static int
copy_fields(lua_State *L, int from, const char *skip)
{
    lua_newtable(L);
    int to = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, from) != 0) { /* ... to key value */
        if (lua_type(L, -2) == LUA_TSTRING &&
            strcmp(lua_tostring(L, -2), skip) == 0) {
            lua_pop(L, 1);
            continue;
        }
        lua_pushvalue(L, -2);
        lua_insert(L, -2); /* ... to key key value */
        lua_rawset(L, to);
    }
    return to;
}

static int
l_train_new(lua_State *L)
{
    static const char fn[] = "rs.train";
    static const char *const fields[] = {
        "model",    "data",       "optim",  "loss",      "batch",
        "schedule", "eval_every", "eval_n", "log_every", "seed",
        "prec",     "name",       NULL};
    static const char *const losses[] = {"cross_entropy", "mse_onehot", NULL};
    rs_lua_check_table(L, 1, fn, "config");
    rs_lua_check_fields(L, 1, fn, fields);
    if (!rs_lua_has_field(L, 1, "model"))
        return luaL_error(L, "%s: field 'model' is required", fn);
    lua_getfield(L, 1, "model");
    if (rs_lua_test_module(L, -1) == NULL)
        return rs_lua_field_type_error(L, fn, "model", "module", -1);
    lua_pop(L, 1);
    if (!rs_lua_has_field(L, 1, "data"))
        return luaL_error(L, "%s: field 'data' is required", fn);
    int loss = rs_lua_opt_enum_field(L, 1, fn, "loss", "cross_entropy", losses);
    int cfg = copy_fields(L, 1, "loss");
    rs_lua_objective_push(L, "classify");
    lua_pushstring(L, losses[loss]);
    lua_setfield(L, -2, "loss");
    lua_setfield(L, cfg, "objective");
    return rs_lua_learner_new(L, cfg, fn, false);
}

static int
l_train_seq(lua_State *L)
{
    static const char fn[] = "rs.train.seq";
    static const char *const fields[] = {
        "model",  "task",      "batch",    "lr",    "weight_decay",
        "warmup", "clip",      "momentum", "optim", "seed",
        "prec",   "log_every", "schedule", "name",  NULL};
    static const char *const optims[] = {"sgd", "adam", "adamw", NULL};
    rs_lua_check_table(L, 1, fn, "config");
    rs_lua_check_fields(L, 1, fn, fields);
    if (lua_getfield(L, 1, "model") == LUA_TNIL)
        return luaL_error(L, "%s: field 'model' is required", fn);
    if (luaL_testudata(L, -1, RS_LUA_TRANSFORMER_MT) == NULL)
        return rs_lua_field_error(L, fn, "model",
                                  "transformer expected, got %s",
                                  rs_lua_kind_name(L, -1));
    rs_lua_check_transformer(L, lua_gettop(L), fn); /* live */
    lua_pop(L, 1);
    if (lua_getfield(L, 1, "task") == LUA_TNIL)
        return luaL_error(L, "%s: field 'task' is required", fn);
    if (luaL_testudata(L, -1, RS_LUA_SEQTASK_MT) == NULL)
        return rs_lua_field_error(L, fn, "task", "seqtask expected, got %s",
                                  rs_lua_kind_name(L, -1));
    lua_pop(L, 1);
    struct rs_optim_config oc;
    lua_getfield(L, 1, "optim");
    const struct rs_optim_config *spec =
        luaL_testudata(L, -1, RS_LUA_OPTIM_SPEC_MT);
    lua_pop(L, 1);
    if (spec != NULL) {
        /* the one config style: an optimiser spec, as rs.learner takes */
        static const char *const own[] = {"lr", "weight_decay", "clip",
                                          "momentum"};
        for (size_t i = 0; i < RS_ARRAY_LEN(own); i++)
            if (rs_lua_has_field(L, 1, own[i]))
                return rs_lua_field_error(L, fn, own[i],
                                          "give it to the optim spec");
        oc = *spec;
    } else {
        int kind = rs_lua_opt_enum_field(L, 1, fn, "optim", "adamw", optims);
        rs_optim_config_default(&oc, (enum rs_optim_kind)kind);
        oc.lr = rs_lua_opt_float_field(L, 1, fn, "lr", oc.lr, 0.0f);
        oc.weight_decay = rs_lua_opt_float_field(L, 1, fn, "weight_decay",
                                                 oc.weight_decay, 0.0f);
        oc.clip_norm = rs_lua_opt_float_field(L, 1, fn, "clip", 0.0f, 0.0f);
        oc.momentum =
            rs_lua_opt_float_field(L, 1, fn, "momentum", oc.momentum, 0.0f);
    }
    bool has_sched = rs_lua_has_field(L, 1, "schedule");
    if (has_sched && rs_lua_has_field(L, 1, "warmup"))
        return rs_lua_field_error(L, fn, "warmup",
                                  "give the warmup to the schedule");
    long warmup =
        (long)rs_lua_opt_int_field(L, 1, fn, "warmup", 0, 0, LONG_MAX);

    lua_newtable(L); /* cfg */
    int cfg = lua_gettop(L);
    static const char *const same[] = {"model",     "batch",    "seed", "prec",
                                       "log_every", "schedule", "name"};
    for (size_t i = 0; i < RS_ARRAY_LEN(same); i++) {
        lua_getfield(L, 1, same[i]);
        lua_setfield(L, cfg, same[i]);
    }
    lua_getfield(L, 1, "task");
    lua_setfield(L, cfg, "data");
    if (!rs_lua_has_field(L, cfg, "batch")) {
        lua_pushinteger(L, 32);
        lua_setfield(L, cfg, "batch");
    }
    struct rs_optim_config *u = lua_newuserdatauv(L, sizeof *u, 0);
    *u = oc;
    luaL_setmetatable(L, RS_LUA_OPTIM_SPEC_MT);
    lua_setfield(L, cfg, "optim");
    if (!has_sched) {
        struct rs_lua_sched *s = lua_newuserdatauv(L, sizeof *s, 0);
        memset(s, 0, sizeof *s);
        rs_sched_init(&s->s, RS_SCHED_CONSTANT, oc.lr, -1);
        s->s.warmup = warmup;
        luaL_setmetatable(L, RS_LUA_SCHED_MT);
        lua_setfield(L, cfg, "schedule");
    }
    rs_lua_objective_push(L, "last_token");
    lua_setfield(L, cfg, "objective");
    lua_pushinteger(L, 0);
    lua_setfield(L, cfg, "eval_every");
    lua_pushinteger(L, 256);
    lua_setfield(L, cfg, "eval_n");
    return rs_lua_learner_new(L, cfg, fn, false);
}

int
luaopen_repscope_train(lua_State *L)
{
    static const luaL_Reg funcs[] = {
        {"new", l_train_new},
        {"seq", l_train_seq},
        {NULL, NULL},
    };
    luaL_newlib(L, funcs);
    return 1;
}
