/* repscope - MIT licence, see COPYING.
 *
 * l_seqtrain.c: rs.train.seq{...}, the transformer trainer on the
 * sequence tasks (algo/seqtrain.h) as a Lua handle:
 *
 *   rs.train.seq{model=tf, task=rs.data.seqtask{...}, batch=32, lr=1e-3,
 *                weight_decay=<optim default>, warmup=0, clip=0,
 *                momentum=0, optim="adamw"|"adam"|"sgd", seed=,
 *                prec="f32", log_every=10}
 *
 * tr:step() -> loss, acc of the batch (train/loss, train/acc, train/lr go
 * to the sink every log_every steps); tr:eval(len [, n=256]) -> acc,
 * loss on fresh samples of exactly len content tokens (the same samples
 * on every call); tr:set_task(task) copies the task's current config
 * (task:set_sep alone does not reach the trainer); tr:set{lr=,
 * weight_decay=, clip=, momentum=}; accessors steps, lr, last, config,
 * task, model.
 *
 * The handle's uservalues hold the model and task handles so they live
 * as long as the trainer; the trainer borrows the transformer, so every
 * method first checks that the model handle was not released. Every
 * trainer is appended to the state's trainer list (rs_lua_push_trainers)
 * so checkpoints can find it in creation order; the checkpoint sections
 * are written by rs_lua_scene_save_seqtrain below. Worker thread only.
 */
#include "config.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo/seqtrain.h"
#include "data/seqtask.h"
#include "lua/bind.h"
#include "lua/scene_impl.h"
#include "nn/transformer.h"

#define SEQTRAIN_MT "repscope.seqtrainer"

/* Uservalue slots of a trainer handle. */
enum { UV_MODEL = 1, UV_TASK = 2 };

struct seq_box {
    rs_algo_seqtrain *st; /* NULL once released */
};

rs_algo_seqtrain *
rs_lua_test_seqtrain(lua_State *L, int idx)
{
    struct seq_box *b = luaL_testudata(L, idx, SEQTRAIN_MT);
    return b != NULL ? b->st : NULL;
}

/* The trainer of self (arg 1), after checking that its model handle is
 * still live (the trainer borrows the transformer). */
static rs_algo_seqtrain *
check_self(lua_State *L, const char *fn)
{
    rs_algo_seqtrain *st =
        rs_lua_check_box(L, 1, SEQTRAIN_MT, "seq trainer", fn, "self");
    lua_getiuservalue(L, 1, UV_MODEL); /* ... model */
    rs_nn_transformer *tf = rs_lua_check_transformer(L, lua_gettop(L), fn);
    if (tf != rs_algo_seqtrain_model(st))
        luaL_error(L, "%s: the trainer's model was released", fn);
    lua_pop(L, 1);
    return st;
}

/* "bad field '<key>' (<expected> expected, got <kind>)", naming our
 * handles by kind ("seqtask") rather than "userdata". */
static int
field_handle_error(lua_State *L, const char *fn, const char *key,
                   const char *expected, int idx)
{
    const char *got = luaL_typename(L, idx);
    if (luaL_getmetafield(L, idx, "__name") == LUA_TSTRING) {
        const char *mt = lua_tostring(L, -1);
        if (strncmp(mt, "repscope.", 9) == 0)
            got = mt + 9;
    }
    return rs_lua_field_error(L, fn, key, "%s expected, got %s", expected, got);
}

/* The trainer's metric sink: the host sink of the state it lives in. */
static void
seqtrain_log(void *ud, const char *name, double value)
{
    struct rs_lua_ctx *c = ud;
    if (c->sink.log != NULL)
        c->sink.log(c->sink.ud, name, value);
}

static int
l_seqtrain_new(lua_State *L)
{
    static const char fn[] = "rs.train.seq";
    static const char *const fields[] = {
        "model",    "task",  "batch", "lr",   "weight_decay", "warmup", "clip",
        "momentum", "optim", "seed",  "prec", "log_every",    "schedule",
        NULL};
    static const char *const optims[] = {"sgd", "adam", "adamw", NULL};
    static const char *const precs[] = {"f32", "bf16", "f16", "fp32", "fp16",
                                        NULL};
    rs_lua_check_table(L, 1, fn, "config");
    rs_lua_check_fields(L, 1, fn, fields);
    struct rs_lua_ctx *ctx = rs_lua_ctx(L);
    struct rs_algo_seqtrain_config c;
    rs_algo_seqtrain_config_default(&c);

    if (lua_getfield(L, 1, "model") == LUA_TNIL) /* 2 */
        return luaL_error(L, "%s: field 'model' is required", fn);
    if (luaL_testudata(L, 2, RS_LUA_TRANSFORMER_MT) == NULL)
        return field_handle_error(L, fn, "model", "transformer", 2);
    rs_nn_transformer *tf = rs_lua_check_transformer(L, 2, fn);
    if (lua_getfield(L, 1, "task") == LUA_TNIL) /* 3 */
        return luaL_error(L, "%s: field 'task' is required", fn);
    if (luaL_testudata(L, 3, RS_LUA_SEQTASK_MT) == NULL)
        return field_handle_error(L, fn, "task", "seqtask", 3);
    c.task = *rs_lua_check_seqtask(L, 3, fn, "task");

    int kind = rs_lua_opt_enum_field(L, 1, fn, "optim", "adamw", optims);
    rs_optim_config_default(&c.optim, (enum rs_optim_kind)kind);
    c.optim.lr = rs_lua_opt_float_field(L, 1, fn, "lr", c.optim.lr, 0.0f);
    c.optim.weight_decay = rs_lua_opt_float_field(L, 1, fn, "weight_decay",
                                                  c.optim.weight_decay, 0.0f);
    c.optim.clip_norm = rs_lua_opt_float_field(L, 1, fn, "clip", 0.0f, 0.0f);
    c.optim.momentum =
        rs_lua_opt_float_field(L, 1, fn, "momentum", c.optim.momentum, 0.0f);
    rs_sched_init(&c.sched, RS_SCHED_CONSTANT, c.optim.lr, -1);
    /* schedule = rs.sched.*{...} as for rs.train: lr from lr=, total from
     * the session when the schedule does not say */
    if (lua_getfield(L, 1, "schedule") != LUA_TNIL) {
        int si = lua_gettop(L);
        if (luaL_testudata(L, si, RS_LUA_SCHED_MT) == NULL)
            return rs_lua_field_type_error(L, fn, "schedule", "schedule", si);
        const struct rs_lua_sched *s =
            rs_lua_check_sched(L, si, fn, "schedule");
        c.sched = s->s;
        if (!s->has_lr)
            c.sched.lr = c.optim.lr;
        if (!s->has_total) {
            c.sched.total = rs_lua_ctx(L)->total_steps;
            if (c.sched.total < 1 && c.sched.kind != RS_SCHED_CONSTANT)
                return rs_lua_field_error(
                    L, fn, "schedule",
                    "'%s' needs total= (the run has no planned length)",
                    rs_sched_kind_name(c.sched.kind));
            /* a short run (--steps 3) keeps its schedule's shape: the
             * warmup shrinks to a tenth of the run, and says so */
            if (c.sched.total <= c.sched.warmup &&
                c.sched.kind != RS_SCHED_CONSTANT) {
                char line[160];
                snprintf(line, sizeof line,
                         "%s: warmup %ld shortened to %ld (the run plans %ld "
                         "steps)",
                         fn, c.sched.warmup, c.sched.total / 10,
                         c.sched.total);
                c.sched.warmup = c.sched.total / 10;
                rs_lua_print(L, line);
            }
        }
        if (rs_lua_has_field(L, 1, "warmup"))
            return rs_lua_field_error(L, fn, "warmup",
                                      "give the warmup to the schedule");
    } else {
        c.sched.warmup =
            (long)rs_lua_opt_int_field(L, 1, fn, "warmup", 0, 0, LONG_MAX);
    }
    lua_pop(L, 1);
    c.batch = (int)rs_lua_opt_int_field(L, 1, fn, "batch", c.batch, 1, 1 << 20);
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

    struct seq_box *box = lua_newuserdatauv(L, sizeof *box, 2); /* 4 */
    box->st = NULL;
    luaL_setmetatable(L, SEQTRAIN_MT);
    lua_pushvalue(L, 2);
    lua_setiuservalue(L, 4, UV_MODEL);
    lua_pushvalue(L, 3);
    lua_setiuservalue(L, 4, UV_TASK);
    struct rs_error err = {0};
    rs_algo_seqtrain *st = rs_algo_seqtrain_new(&c, tf, &err);
    if (st == NULL)
        return rs_lua_status_error(L, fn, &err);
    box->st = st;
    rs_algo_seqtrain_set_log(st, seqtrain_log, ctx);
    rs_lua_push_trainers(L); /* ... box list */
    lua_pushvalue(L, 4);
    lua_rawseti(L, -2, (lua_Integer)luaL_len(L, -2) + 1);
    lua_pop(L, 1);
    return 1;
}

/* tr:step() -> loss, acc */
static int
l_seqtrain_step(lua_State *L)
{
    static const char fn[] = "seqtrain:step";
    rs_algo_seqtrain *st = check_self(L, fn);
    struct rs_algo_seqtrain_stats s;
    struct rs_error err = {0};
    if (rs_algo_seqtrain_step(st, &s, &err) != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    lua_pushnumber(L, s.loss);
    lua_pushnumber(L, s.acc);
    return 2;
}

/* tr:eval(len [, n]) -> acc, loss */
static int
l_seqtrain_eval(lua_State *L)
{
    static const char fn[] = "seqtrain:eval";
    rs_algo_seqtrain *st = check_self(L, fn);
    lua_Integer len = rs_lua_check_integer(L, 2, fn, "len");
    if (len < 1 || len > RS_SEQTASK_MAX_LEN)
        return rs_lua_arg_error(L, fn, 2, "len", "%lld is outside 1..%d",
                                (long long)len, RS_SEQTASK_MAX_LEN);
    lua_Integer n =
        lua_isnoneornil(L, 3) ? 256 : rs_lua_check_integer(L, 3, fn, "n");
    if (n < 1 || n > (1 << 20))
        return rs_lua_arg_error(L, fn, 3, "n", "%lld is outside 1..%d",
                                (long long)n, 1 << 20);
    double acc, loss;
    struct rs_error err = {0};
    if (rs_algo_seqtrain_eval(st, (int)len, (int)n, &acc, &loss, &err) != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    lua_pushnumber(L, acc);
    lua_pushnumber(L, loss);
    return 2;
}

/* tr:set_task(task): the trainer takes a copy of the task's config and
 * keeps the handle. */
static int
l_seqtrain_set_task(lua_State *L)
{
    static const char fn[] = "seqtrain:set_task";
    rs_algo_seqtrain *st = check_self(L, fn);
    const struct rs_seqtask_config *task =
        rs_lua_check_seqtask(L, 2, fn, "task");
    struct rs_error err = {0};
    if (rs_algo_seqtrain_set_task(st, task, &err) != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    lua_pushvalue(L, 2);
    lua_setiuservalue(L, 1, UV_TASK);
    return 0;
}

/* tr:set{lr=, weight_decay=, clip=, momentum=} */
static int
l_seqtrain_set(lua_State *L)
{
    static const char fn[] = "seqtrain:set";
    static const char *const fields[] = {"lr", "weight_decay", "clip",
                                         "momentum", NULL};
    rs_algo_seqtrain *st = check_self(L, fn);
    rs_lua_check_table(L, 2, fn, "changes");
    rs_lua_check_fields(L, 2, fn, fields);
    struct rs_optim_config oc = rs_algo_seqtrain_config(st)->optim;
    oc.weight_decay =
        rs_lua_opt_float_field(L, 2, fn, "weight_decay", oc.weight_decay, 0.0f);
    oc.clip_norm = rs_lua_opt_float_field(L, 2, fn, "clip", oc.clip_norm, 0.0f);
    oc.momentum =
        rs_lua_opt_float_field(L, 2, fn, "momentum", oc.momentum, 0.0f);
    bool has_lr = rs_lua_has_field(L, 2, "lr");
    float lr = rs_lua_opt_float_field(L, 2, fn, "lr", 0.0f, 0.0f);
    oc.lr = has_lr ? lr : oc.lr;
    struct rs_error err = {0};
    if (rs_algo_seqtrain_set_optim(st, &oc, &err) != RS_OK ||
        (has_lr && rs_algo_seqtrain_set_lr(st, lr, &err) != RS_OK))
        return rs_lua_status_error(L, fn, &err);
    return 0;
}

static int
l_seqtrain_steps(lua_State *L)
{
    lua_pushinteger(L, rs_algo_seqtrain_steps(check_self(L, "seqtrain:steps")));
    return 1;
}

static int
l_seqtrain_lr(lua_State *L)
{
    lua_pushnumber(
        L, (lua_Number)rs_algo_seqtrain_lr(check_self(L, "seqtrain:lr")));
    return 1;
}

/* tr:task() -> a new task handle with the trainer's current config. */
static int
l_seqtrain_task(lua_State *L)
{
    rs_lua_push_seqtask(L,
                        rs_algo_seqtrain_task(check_self(L, "seqtrain:task")));
    return 1;
}

/* tr:model() -> the model handle the trainer was made with. */
static int
l_seqtrain_model(lua_State *L)
{
    check_self(L, "seqtrain:model");
    lua_getiuservalue(L, 1, UV_MODEL);
    return 1;
}

/* tr:last() -> {step, len, T, loss, acc, lr, grad_norm, weight_norm,
 * clipped} of the last step. */
static int
l_seqtrain_last(lua_State *L)
{
    const struct rs_algo_seqtrain_stats *s =
        rs_algo_seqtrain_last(check_self(L, "seqtrain:last"));
    lua_createtable(L, 0, 9);
    lua_pushinteger(L, s->step);
    lua_setfield(L, -2, "step");
    lua_pushinteger(L, s->len);
    lua_setfield(L, -2, "len");
    lua_pushinteger(L, s->T);
    lua_setfield(L, -2, "T");
    lua_pushnumber(L, s->loss);
    lua_setfield(L, -2, "loss");
    lua_pushnumber(L, s->acc);
    lua_setfield(L, -2, "acc");
    lua_pushnumber(L, s->lr);
    lua_setfield(L, -2, "lr");
    lua_pushnumber(L, s->optim.grad_norm);
    lua_setfield(L, -2, "grad_norm");
    lua_pushnumber(L, s->optim.weight_norm);
    lua_setfield(L, -2, "weight_norm");
    lua_pushboolean(L, s->optim.clipped);
    lua_setfield(L, -2, "clipped");
    return 1;
}

static int
l_seqtrain_config(lua_State *L)
{
    const struct rs_algo_seqtrain_config *c =
        rs_algo_seqtrain_config(check_self(L, "seqtrain:config"));
    lua_createtable(L, 0, 10);
    lua_pushinteger(L, c->batch);
    lua_setfield(L, -2, "batch");
    lua_pushinteger(L, c->log_every);
    lua_setfield(L, -2, "log_every");
    lua_pushinteger(L, (lua_Integer)c->seed);
    lua_setfield(L, -2, "seed");
    lua_pushstring(L, rs_prec_name(c->prec));
    lua_setfield(L, -2, "prec");
    lua_pushstring(L, rs_optim_kind_name(c->optim.kind));
    lua_setfield(L, -2, "optim");
    lua_pushnumber(L, (lua_Number)c->sched.lr);
    lua_setfield(L, -2, "lr");
    lua_pushnumber(L, (lua_Number)c->optim.weight_decay);
    lua_setfield(L, -2, "weight_decay");
    lua_pushnumber(L, (lua_Number)c->optim.clip_norm);
    lua_setfield(L, -2, "clip");
    lua_pushnumber(L, (lua_Number)c->optim.momentum);
    lua_setfield(L, -2, "momentum");
    lua_pushinteger(L, c->sched.warmup);
    lua_setfield(L, -2, "warmup");
    return 1;
}

static int
l_seqtrain_release(lua_State *L)
{
    struct seq_box *b = luaL_checkudata(L, 1, SEQTRAIN_MT);
    rs_algo_seqtrain_free(b->st);
    b->st = NULL;
    return 0;
}

static int
l_seqtrain_tostring(lua_State *L)
{
    struct seq_box *b = luaL_checkudata(L, 1, SEQTRAIN_MT);
    if (b->st == NULL) {
        lua_pushliteral(L, "seq trainer (released)");
        return 1;
    }
    const struct rs_seqtask_config *t = rs_algo_seqtrain_task(b->st);
    lua_pushfstring(L, "seq trainer (%s, len %d..%d, %d steps)",
                    rs_seqtask_kind_name(t->kind), t->min_len, t->max_len,
                    (int)rs_algo_seqtrain_steps(b->st));
    return 1;
}

/* ---- checkpoint sections ----------------------------------------------- */

static void
seq_save(const void *tr, uint64_t *w)
{
    rs_algo_seqtrain_state_save(tr, w);
}

static int
seq_load(void *tr, const uint64_t *w, size_t n, struct rs_error *err)
{
    return rs_algo_seqtrain_state_load(tr, w, n, err);
}

/* The sections are laid out like a supervised trainer's (l_ckpt.c). */
static struct rs_lua_ckpt_trainer
seq_desc(rs_algo_seqtrain *st)
{
    return (struct rs_lua_ckpt_trainer){
        .tr = st,
        .model = rs_nn_transformer_model(rs_algo_seqtrain_model(st)),
        .optim = rs_algo_seqtrain_optim(st),
        .state_words = rs_algo_seqtrain_state_words(st),
        .state_save = seq_save,
        .state_load = seq_load,
    };
}

void
rs_lua_scene_save_seqtrain(rs_ckpt *ck, int k, rs_algo_seqtrain *st)
{
    struct rs_lua_ckpt_trainer t = seq_desc(st);
    rs_lua_ckpt_save_sections(ck, k, &t);
}

int
rs_lua_scene_load_seqtrain(const rs_ckpt *ck, int k, rs_algo_seqtrain *st,
                           struct rs_error *err)
{
    struct rs_lua_ckpt_trainer t = seq_desc(st);
    return rs_lua_ckpt_load_sections(ck, k, &t, err);
}

static const luaL_Reg seqtrain_methods[] = {
    {"step", l_seqtrain_step},         {"eval", l_seqtrain_eval},
    {"set_task", l_seqtrain_set_task}, {"set", l_seqtrain_set},
    {"steps", l_seqtrain_steps},       {"lr", l_seqtrain_lr},
    {"task", l_seqtrain_task},         {"model", l_seqtrain_model},
    {"last", l_seqtrain_last},         {"config", l_seqtrain_config},
    {"release", l_seqtrain_release},   {NULL, NULL},
};

static const luaL_Reg seqtrain_meta[] = {
    {"__gc", l_seqtrain_release},
    {"__close", l_seqtrain_release},
    {"__tostring", l_seqtrain_tostring},
    {NULL, NULL},
};

void
rs_lua_open_seqtrain(lua_State *L)
{
    luaL_newmetatable(L, SEQTRAIN_MT); /* train mt */
    luaL_setfuncs(L, seqtrain_meta, 0);
    luaL_newlib(L, seqtrain_methods); /* train mt methods */
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1); /* train */
    lua_pushcfunction(L, l_seqtrain_new);
    lua_setfield(L, -2, "seq");
}
