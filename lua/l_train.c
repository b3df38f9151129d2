/* repscope - MIT licence, see COPYING.
 *
 * l_train.c: rs.train{...}, the supervised trainer (algo/supervised.h) as
 * a Lua handle:
 *
 *   rs.train{model=, data=, optim=rs.optim.adamw{...}, loss="cross_entropy"
 *            | "mse_onehot", batch=512, schedule=rs.sched.*{...},
 *            eval_every=100, eval_n=0, log_every=10, seed=, prec="f32"}
 *
 * tr:step() runs one C step (metrics go to the sink: train/loss, train/lr,
 * train/acc, test/loss, test/acc); tr:eval(split [, n]); tr:step_on(x, y)
 * for a caller batch; tr:set{lr=, weight_decay=, clip=, eval_every=,
 * eval_n=} for live changes; accessors for the model, data and stats.
 * Every trainer of a state is listed in creation order in the registry
 * (checkpoints walk that list). Worker thread only.
 */
#include "config.h"

#include <limits.h>
#include <math.h>
#include <string.h>

#include "lua/bind.h"

static const char trainers_key = 't';

rs_algo_supervised *
rs_lua_check_trainer(lua_State *L, int arg, const char *fn, const char *name)
{
    return rs_lua_check_box(L, arg, RS_LUA_TRAINER_MT, "trainer", fn, name);
}

void
rs_lua_push_trainers(lua_State *L)
{
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &trainers_key) == LUA_TNIL) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &trainers_key);
    }
}

/* The trainer's metric sink: the host sink of the state it lives in. */
static void
trainer_log(void *ud, const char *name, double value)
{
    struct rs_lua_ctx *c = ud;
    if (c->sink.log != NULL)
        c->sink.log(c->sink.ud, name, value);
}

static int
l_train_new(lua_State *L)
{
    static const char fn[] = "rs.train";
    static const char *const fields[] = {
        "model",      "data",   "optim",     "loss", "batch", "schedule",
        "eval_every", "eval_n", "log_every", "seed", "prec",  NULL};
    static const char *const losses[] = {"cross_entropy", "mse_onehot", NULL};
    static const char *const precs[] = {"f32", "bf16", "f16", "fp32", "fp16",
                                        NULL};
    rs_lua_check_table(L, 1, fn, "config");
    rs_lua_check_fields(L, 1, fn, fields);
    struct rs_lua_ctx *ctx = rs_lua_ctx(L);
    struct rs_algo_supervised_config c;
    rs_algo_supervised_config_default(&c);

    lua_getfield(L, 1, "model"); /* 2 */
    if (lua_isnil(L, 2))
        return luaL_error(L, "%s: field 'model' is required", fn);
    if (luaL_testudata(L, 2, RS_LUA_MODULE_MT) == NULL)
        return rs_lua_field_type_error(L, fn, "model", "module", 2);
    rs_nn_module *model = rs_lua_check_module(L, 2, fn, "model");
    lua_getfield(L, 1, "data"); /* 3 */
    if (lua_isnil(L, 3))
        return luaL_error(L, "%s: field 'data' is required", fn);
    if (luaL_testudata(L, 3, RS_LUA_DATASET_MT) == NULL)
        return rs_lua_field_type_error(L, fn, "data", "dataset", 3);
    rs_dataset *data = rs_lua_check_dataset(L, 3, fn, "data");
    if (lua_getfield(L, 1, "optim") != LUA_TNIL) { /* 4 */
        if (luaL_testudata(L, 4, RS_LUA_OPTIM_SPEC_MT) == NULL)
            return rs_lua_field_type_error(L, fn, "optim", "optim spec", 4);
        c.optim = *rs_lua_check_optim_spec(L, 4, fn, "optim");
    }
    c.loss = rs_lua_opt_enum_field(L, 1, fn, "loss", "cross_entropy", losses);
    c.batch = (int)rs_lua_opt_int_field(L, 1, fn, "batch", c.batch, 1, 1 << 20);
    c.eval_every = (long)rs_lua_opt_int_field(L, 1, fn, "eval_every",
                                              c.eval_every, 0, LONG_MAX);
    c.eval_n = (int)rs_lua_opt_int_field(L, 1, fn, "eval_n", 0, 0, INT32_MAX);
    c.log_every = (long)rs_lua_opt_int_field(L, 1, fn, "log_every", c.log_every,
                                             1, LONG_MAX);
    int prec = rs_lua_opt_enum_field(L, 1, fn, "prec", "f32", precs);
    c.prec = prec == 3   ? RS_PREC_F32 /* "fp32" */
             : prec == 4 ? RS_PREC_F16 /* "fp16" */
                         : (enum rs_prec)prec;
    if (rs_lua_has_field(L, 1, "seed"))
        c.seed = (uint64_t)rs_lua_opt_int_field(L, 1, fn, "seed", 0, 0,
                                                LUA_MAXINTEGER);
    else
        c.seed = rs_rng_next(&ctx->rng);
    /* The schedule: lr from the optimiser, total from the session. */
    rs_sched_init(&c.sched, RS_SCHED_CONSTANT, c.optim.lr, -1);
    if (lua_getfield(L, 1, "schedule") != LUA_TNIL) { /* 5 */
        if (luaL_testudata(L, 5, RS_LUA_SCHED_MT) == NULL)
            return rs_lua_field_type_error(L, fn, "schedule", "schedule", 5);
        const struct rs_lua_sched *s = rs_lua_check_sched(L, 5, fn, "schedule");
        c.sched = s->s;
        if (!s->has_lr)
            c.sched.lr = c.optim.lr;
        if (!s->has_total) {
            c.sched.total = ctx->total_steps;
            if (c.sched.total < 1 && c.sched.kind != RS_SCHED_CONSTANT)
                return rs_lua_field_error(
                    L, fn, "schedule",
                    "'%s' needs total= (the run has no planned length)",
                    rs_sched_kind_name(c.sched.kind));
            if (c.sched.total <= c.sched.warmup &&
                c.sched.kind != RS_SCHED_CONSTANT &&
                c.sched.kind != RS_SCHED_ONECYCLE)
                return rs_lua_field_error(L, fn, "schedule",
                                          "the run's %ld steps end within the "
                                          "warmup (%ld)",
                                          c.sched.total, c.sched.warmup);
        }
    }
    struct rs_lua_trainer *box = lua_newuserdatauv(L, sizeof *box, 0);
    box->tr = NULL;
    luaL_setmetatable(L, RS_LUA_TRAINER_MT);
    struct rs_error err = {0};
    rs_algo_supervised *tr = rs_algo_supervised_new(&c, model, data, &err);
    if (tr == NULL)
        return rs_lua_status_error(L, fn, &err);
    box->tr = tr;
    rs_algo_supervised_set_log(tr, trainer_log, ctx);
    rs_lua_push_trainers(L); /* ... box list */
    lua_pushvalue(L, -2);
    lua_rawseti(L, -2, (lua_Integer)luaL_len(L, -2) + 1);
    lua_pop(L, 1);
    return 1;
}

static rs_algo_supervised *
check_self(lua_State *L, const char *fn)
{
    return rs_lua_check_trainer(L, 1, fn, "self");
}

/* tr:step() -> the batch loss */
static int
l_train_step(lua_State *L)
{
    static const char fn[] = "trainer:step";
    rs_algo_supervised *tr = check_self(L, fn);
    struct rs_algo_supervised_stats st;
    struct rs_error err = {0};
    if (rs_algo_supervised_step(tr, &st, &err) != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    lua_pushnumber(L, st.loss);
    return 1;
}

/* tr:step_on(x, labels) -> the batch loss */
static int
l_train_step_on(lua_State *L)
{
    static const char fn[] = "trainer:step_on";
    rs_algo_supervised *tr = check_self(L, fn);
    rs_tensor *x = rs_lua_check_tensor(L, 2, fn, "x");
    rs_lua_check_table(L, 3, fn, "labels");
    int in = rs_dataset_input_dim(rs_algo_supervised_data(tr));
    if (x->ndim != 2 || rs_tensor_cols(x) != in)
        return rs_lua_arg_error(L, fn, 2, "x", "(n, %d) tensor expected", in);
    int n = x->shape[0];
    if (luaL_len(L, 3) != n)
        return rs_lua_arg_error(L, fn, 3, "labels", "%d labels expected", n);
    int *y = lua_newuserdatauv(L, (size_t)n * sizeof *y, 0);
    for (int i = 0; i < n; i++) {
        lua_geti(L, 3, i + 1);
        int isint = 0;
        lua_Integer v = lua_tointegerx(L, -1, &isint);
        lua_pop(L, 1);
        if (!isint || v < INT32_MIN || v > INT32_MAX)
            return rs_lua_arg_error(L, fn, 3, "labels",
                                    "entry %d is not an integer", i + 1);
        y[i] = (int)v;
    }
    struct rs_algo_supervised_stats st;
    struct rs_error err = {0};
    if (rs_algo_supervised_step_on(tr, x->data, y, n, &st, &err) != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    lua_pushnumber(L, st.loss);
    return 1;
}

/* tr:eval(split [, n]) -> loss, accuracy */
static int
l_train_eval(lua_State *L)
{
    static const char fn[] = "trainer:eval";
    static const char *const splits[] = {"train", "test", NULL};
    rs_algo_supervised *tr = check_self(L, fn);
    int s = rs_lua_check_enum(L, 2, fn, "split", NULL, splits);
    lua_Integer n =
        lua_isnoneornil(L, 3) ? 0 : rs_lua_check_integer(L, 3, fn, "n");
    if (n < 0 || n > INT32_MAX)
        return rs_lua_arg_error(L, fn, 3, "n", "%lld is not >= 0",
                                (long long)n);
    double loss, acc;
    struct rs_error err = {0};
    if (rs_algo_supervised_eval(tr, (enum rs_split)s, (int)n, &loss, &acc,
                                &err) != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    lua_pushnumber(L, loss);
    lua_pushnumber(L, acc);
    return 2;
}

static int
l_train_model(lua_State *L)
{
    rs_lua_push_module(
        L, rs_algo_supervised_module(check_self(L, "trainer:model")));
    return 1;
}

static int
l_train_data(lua_State *L)
{
    rs_lua_push_dataset(L,
                        rs_algo_supervised_data(check_self(L, "trainer:data")));
    return 1;
}

static int
l_train_steps(lua_State *L)
{
    lua_pushinteger(L,
                    rs_algo_supervised_steps(check_self(L, "trainer:steps")));
    return 1;
}

static int
l_train_lr(lua_State *L)
{
    lua_pushnumber(
        L, (lua_Number)rs_algo_supervised_lr(check_self(L, "trainer:lr")));
    return 1;
}

/* tr:last() -> {step, loss, lr, grad_norm, weight_norm, clipped, ...} */
static int
l_train_last(lua_State *L)
{
    const struct rs_algo_supervised_stats *st =
        rs_algo_supervised_last(check_self(L, "trainer:last"));
    lua_createtable(L, 0, 10);
    lua_pushinteger(L, st->step);
    lua_setfield(L, -2, "step");
    lua_pushnumber(L, st->loss);
    lua_setfield(L, -2, "loss");
    lua_pushnumber(L, st->lr);
    lua_setfield(L, -2, "lr");
    lua_pushnumber(L, st->optim.grad_norm);
    lua_setfield(L, -2, "grad_norm");
    lua_pushnumber(L, st->optim.weight_norm);
    lua_setfield(L, -2, "weight_norm");
    lua_pushboolean(L, st->optim.clipped);
    lua_setfield(L, -2, "clipped");
    if (st->evaluated) {
        static const char *const names[] = {"train_loss", "train_acc",
                                            "test_loss", "test_acc"};
        const double v[] = {st->train_loss, st->train_acc, st->test_loss,
                            st->test_acc};
        for (int i = 0; i < 4; i++) {
            lua_pushnumber(L, v[i]);
            lua_setfield(L, -2, names[i]);
        }
    }
    return 1;
}

/* tr:set{lr=, weight_decay=, clip=, momentum=, eval_every=, eval_n=} */
static int
l_train_set(lua_State *L)
{
    static const char fn[] = "trainer:set";
    static const char *const fields[] = {
        "lr", "weight_decay", "clip", "momentum", "eval_every", "eval_n", NULL};
    rs_algo_supervised *tr = check_self(L, fn);
    rs_lua_check_table(L, 2, fn, "changes");
    rs_lua_check_fields(L, 2, fn, fields);
    const struct rs_algo_supervised_config *cur = rs_algo_supervised_config(tr);
    struct rs_optim_config oc = cur->optim;
    oc.weight_decay =
        rs_lua_opt_float_field(L, 2, fn, "weight_decay", oc.weight_decay, 0.0f);
    oc.clip_norm = rs_lua_opt_float_field(L, 2, fn, "clip", oc.clip_norm, 0.0f);
    oc.momentum =
        rs_lua_opt_float_field(L, 2, fn, "momentum", oc.momentum, 0.0f);
    long every = (long)rs_lua_opt_int_field(L, 2, fn, "eval_every",
                                            cur->eval_every, 0, LONG_MAX);
    int n = (int)rs_lua_opt_int_field(L, 2, fn, "eval_n", cur->eval_n, 0,
                                      INT32_MAX);
    bool has_lr = rs_lua_has_field(L, 2, "lr");
    float lr = rs_lua_opt_float_field(L, 2, fn, "lr", 0.0f, 0.0f);
    struct rs_error err = {0};
    oc.lr = has_lr ? lr : oc.lr;
    if (rs_algo_supervised_set_optim(tr, &oc, &err) != RS_OK ||
        rs_algo_supervised_set_eval(tr, every, n, &err) != RS_OK ||
        (has_lr && rs_algo_supervised_set_lr(tr, lr, &err) != RS_OK))
        return rs_lua_status_error(L, fn, &err);
    return 0;
}

static int
l_train_config(lua_State *L)
{
    const struct rs_algo_supervised_config *c =
        rs_algo_supervised_config(check_self(L, "trainer:config"));
    lua_createtable(L, 0, 12);
    lua_pushstring(L, rs_algo_supervised_loss_name(c->loss));
    lua_setfield(L, -2, "loss");
    lua_pushinteger(L, c->batch);
    lua_setfield(L, -2, "batch");
    lua_pushinteger(L, c->eval_every);
    lua_setfield(L, -2, "eval_every");
    lua_pushinteger(L, c->eval_n);
    lua_setfield(L, -2, "eval_n");
    lua_pushinteger(L, c->log_every);
    lua_setfield(L, -2, "log_every");
    lua_pushinteger(L, (lua_Integer)c->seed);
    lua_setfield(L, -2, "seed");
    lua_pushstring(L, rs_prec_name(c->prec));
    lua_setfield(L, -2, "prec");
    lua_pushstring(L, rs_optim_kind_name(c->optim.kind));
    lua_setfield(L, -2, "optim");
    lua_pushnumber(L, (lua_Number)c->optim.weight_decay);
    lua_setfield(L, -2, "weight_decay");
    lua_pushstring(L, rs_sched_kind_name(c->sched.kind));
    lua_setfield(L, -2, "schedule");
    lua_pushnumber(L, (lua_Number)c->sched.lr);
    lua_setfield(L, -2, "lr");
    lua_pushinteger(L, c->sched.total);
    lua_setfield(L, -2, "total");
    return 1;
}

static int
l_train_release(lua_State *L)
{
    struct rs_lua_trainer *b = luaL_checkudata(L, 1, RS_LUA_TRAINER_MT);
    rs_algo_supervised_free(b->tr);
    b->tr = NULL;
    return 0;
}

static int
l_train_tostring(lua_State *L)
{
    struct rs_lua_trainer *b = luaL_checkudata(L, 1, RS_LUA_TRAINER_MT);
    if (b->tr == NULL)
        lua_pushliteral(L, "trainer (released)");
    else
        lua_pushfstring(L, "trainer (%s on %s, %d steps)",
                        rs_nn_module_kind(rs_algo_supervised_module(b->tr)),
                        rs_dataset_kind(rs_algo_supervised_data(b->tr)),
                        (int)rs_algo_supervised_steps(b->tr));
    return 1;
}

static const luaL_Reg train_methods[] = {
    {"step", l_train_step},       {"step_on", l_train_step_on},
    {"eval", l_train_eval},       {"model", l_train_model},
    {"data", l_train_data},       {"steps", l_train_steps},
    {"lr", l_train_lr},           {"last", l_train_last},
    {"set", l_train_set},         {"config", l_train_config},
    {"release", l_train_release}, {NULL, NULL},
};

static const luaL_Reg train_meta[] = {
    {"__gc", l_train_release},
    {"__close", l_train_release},
    {"__tostring", l_train_tostring},
    {NULL, NULL},
};

int
luaopen_repscope_train(lua_State *L)
{
    luaL_newmetatable(L, RS_LUA_TRAINER_MT);
    luaL_setfuncs(L, train_meta, 0);
    luaL_newlib(L, train_methods);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, l_train_new);
    lua_setfield(L, -2, "new");
    rs_lua_open_seqtrain(L);
    return 1;
}
