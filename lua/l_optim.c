/* repscope - MIT licence, see COPYING.
 *
 * l_optim.c: rs.optim (optimiser specs and optimisers) and rs.sched
 * (learning-rate schedules), over core/optim.h and core/sched.h.
 *
 *   rs.optim.sgd{lr=, momentum=, dampening=, nesterov=, weight_decay=,
 *                clip=}
 *   rs.optim.adam{lr=, betas={b1, b2}, eps=, weight_decay=, clip=}
 *   rs.optim.adamw{...}          the same fields; torch defaults
 * return a spec (a value: struct rs_optim_config in a userdata) that
 * rs.train turns into an optimiser over its model, or that
 * rs.optim.new(spec, module | {tensors}) builds directly (o:step([lr]),
 * o:zero_grad(), o:state(i [, which]), o:steps()).
 *
 *   rs.sched.constant{lr=, warmup=}
 *   rs.sched.linear{lr=, lr_min=, warmup=, total=}
 *   rs.sched.cosine{lr=, lr_min=, warmup=, total=}
 *   rs.sched.onecycle{lr=, total=, pct_start=, div_factor=, final_div=}
 * lr defaults to the optimiser's and total to the session's steps; s:lr(k)
 * is the rate of step k (1-based, as the session counts). Worker thread
 * only.
 */
#include "config.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lua/bind.h"

static const char *const adam_fields[] = {"lr",           "betas", "eps",
                                          "weight_decay", "clip",  NULL};
static const char *const sgd_fields[] = {
    "lr", "momentum", "dampening", "nesterov", "weight_decay", "clip", NULL};

const struct rs_optim_config *
rs_lua_check_optim_spec(lua_State *L, int arg, const char *fn, const char *name)
{
    const struct rs_optim_config *c =
        luaL_testudata(L, arg, RS_LUA_OPTIM_SPEC_MT);
    if (c == NULL)
        rs_lua_type_error(L, fn, arg, name, "optim spec");
    return c;
}

/* Run the engine's own validation on cfg (over a one-element dummy
 * parameter), so every rule lives in one place. */
static void
validate_config(lua_State *L, const struct rs_optim_config *cfg, const char *fn)
{
    struct rs_error err = {0};
    rs_tensor *p = rs_tensor_new_param(1, (int[]){1}, &err);
    RS_ASSERT(p != NULL);
    rs_optim *o = rs_optim_new(cfg, &p, 1, &err);
    rs_optim_free(o);
    rs_tensor_release(p);
    if (o == NULL)
        rs_lua_status_error(L, fn, &err);
}

static int
l_optim_spec(lua_State *L)
{
    int kind = (int)lua_tointeger(L, lua_upvalueindex(1));
    const char *fn = lua_tostring(L, lua_upvalueindex(2));
    struct rs_optim_config c;
    rs_optim_config_default(&c, (enum rs_optim_kind)kind);
    if (!lua_isnoneornil(L, 1)) {
        rs_lua_check_table(L, 1, fn, "config");
        rs_lua_check_fields(L, 1, fn,
                            kind == RS_OPTIM_SGD ? sgd_fields : adam_fields);
        c.lr = rs_lua_opt_float_field(L, 1, fn, "lr", c.lr, 0.0f);
        c.weight_decay = rs_lua_opt_float_field(L, 1, fn, "weight_decay",
                                                c.weight_decay, 0.0f);
        c.clip_norm = rs_lua_opt_float_field(L, 1, fn, "clip", 0.0f, 0.0f);
        if (kind == RS_OPTIM_SGD) {
            c.momentum =
                rs_lua_opt_float_field(L, 1, fn, "momentum", 0.0f, 0.0f);
            c.dampening =
                rs_lua_opt_float_field(L, 1, fn, "dampening", 0.0f, -1e30f);
            c.nesterov = rs_lua_opt_bool_field(L, 1, fn, "nesterov", false);
        } else {
            c.eps = rs_lua_opt_float_field(L, 1, fn, "eps", c.eps, 0.0f);
            int t = lua_getfield(L, 1, "betas");
            if (t != LUA_TNIL) {
                lua_Number b[2];
                if (t != LUA_TTABLE || luaL_len(L, -1) != 2)
                    return rs_lua_field_error(L, fn, "betas",
                                              "a table of 2 numbers expected");
                for (int i = 0; i < 2; i++) {
                    if (lua_geti(L, -1, i + 1) != LUA_TNUMBER)
                        return rs_lua_field_error(
                            L, fn, "betas", "a table of 2 numbers expected");
                    b[i] = lua_tonumber(L, -1);
                    lua_pop(L, 1);
                    if (!(b[i] >= 0.0 && b[i] < 1.0))
                        return rs_lua_field_error(L, fn, "betas",
                                                  "beta%d = %g is outside "
                                                  "[0, 1)",
                                                  i + 1, b[i]);
                }
                c.beta1 = (float)b[0];
                c.beta2 = (float)b[1];
            }
            lua_pop(L, 1);
        }
    }
    validate_config(L, &c, fn);
    struct rs_optim_config *u = lua_newuserdatauv(L, sizeof *u, 0);
    *u = c;
    luaL_setmetatable(L, RS_LUA_OPTIM_SPEC_MT);
    return 1;
}

static void
push_config(lua_State *L, const struct rs_optim_config *c)
{
    lua_createtable(L, 0, 8);
    lua_pushstring(L, rs_optim_kind_name(c->kind));
    lua_setfield(L, -2, "kind");
    lua_pushnumber(L, (lua_Number)c->lr);
    lua_setfield(L, -2, "lr");
    lua_pushnumber(L, (lua_Number)c->weight_decay);
    lua_setfield(L, -2, "weight_decay");
    lua_pushnumber(L, (lua_Number)c->clip_norm);
    lua_setfield(L, -2, "clip");
    if (c->kind == RS_OPTIM_SGD) {
        lua_pushnumber(L, (lua_Number)c->momentum);
        lua_setfield(L, -2, "momentum");
        lua_pushnumber(L, (lua_Number)c->dampening);
        lua_setfield(L, -2, "dampening");
        lua_pushboolean(L, c->nesterov);
        lua_setfield(L, -2, "nesterov");
    } else {
        lua_createtable(L, 2, 0);
        lua_pushnumber(L, (lua_Number)c->beta1);
        lua_rawseti(L, -2, 1);
        lua_pushnumber(L, (lua_Number)c->beta2);
        lua_rawseti(L, -2, 2);
        lua_setfield(L, -2, "betas");
        lua_pushnumber(L, (lua_Number)c->eps);
        lua_setfield(L, -2, "eps");
    }
}

static int
l_optim_spec_config(lua_State *L)
{
    push_config(L, rs_lua_check_optim_spec(L, 1, "optim_spec:config", "self"));
    return 1;
}

static int
l_optim_spec_tostring(lua_State *L)
{
    const struct rs_optim_config *c =
        rs_lua_check_optim_spec(L, 1, "optim_spec", "self");
    lua_pushfstring(L, "optim spec %s (lr %f)", rs_optim_kind_name(c->kind),
                    (lua_Number)c->lr);
    return 1;
}

/* ---- optimisers -------------------------------------------------------- */

static rs_optim *
check_optim(lua_State *L, int arg, const char *fn)
{
    return rs_lua_check_box(L, arg, RS_LUA_OPTIM_MT, "optimiser", fn, "self");
}

/* rs.optim.new(spec, module | {tensor, ...}) */
static int
l_optim_new(lua_State *L)
{
    static const char fn[] = "rs.optim.new";
    const struct rs_optim_config *c = rs_lua_check_optim_spec(L, 1, fn, "spec");
    rs_tensor *const *params;
    int n;
    if (luaL_testudata(L, 2, RS_LUA_MODULE_MT) != NULL) {
        rs_nn_model *m =
            rs_nn_module_model(rs_lua_check_module(L, 2, fn, "params"));
        params = rs_nn_model_params(m);
        n = rs_nn_model_count(m);
    } else {
        if (lua_type(L, 2) != LUA_TTABLE)
            return rs_lua_type_error(L, fn, 2, "params",
                                     "module or table of tensors");
        lua_Integer len = luaL_len(L, 2);
        if (len < 1 || len > 1 << 20)
            return rs_lua_arg_error(L, fn, 2, "params",
                                    "1 or more tensors expected");
        rs_tensor **p = lua_newuserdatauv(L, (size_t)len * sizeof *p, 0);
        for (lua_Integer i = 1; i <= len; i++) {
            lua_geti(L, 2, i);
            p[i - 1] = rs_lua_check_tensor(L, -1, fn, "params");
            lua_pop(L, 1);
        }
        params = p;
        n = (int)len;
    }
    void **box = rs_lua_new_box(L, RS_LUA_OPTIM_MT);
    struct rs_error err = {0};
    rs_optim *o = rs_optim_new(c, params, n, &err);
    if (o == NULL)
        return rs_lua_status_error(L, fn, &err);
    *box = o;
    return 1;
}

/* o:step([lr]) -> grad_norm, weight_norm */
static int
l_optim_step(lua_State *L)
{
    static const char fn[] = "optimiser:step";
    rs_optim *o = check_optim(L, 1, fn);
    float lr = rs_optim_config(o)->lr;
    if (!lua_isnoneornil(L, 2)) {
        lua_Number v = rs_lua_check_number(L, 2, fn, "lr");
        if (!(isfinite(v) && v >= 0.0))
            return rs_lua_arg_error(L, fn, 2, "lr", "%g is not >= 0", v);
        lr = (float)v;
    }
    struct rs_optim_stats st;
    struct rs_error err = {0};
    if (rs_optim_step(o, lr, &st, &err) != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    lua_pushnumber(L, st.grad_norm);
    lua_pushnumber(L, st.weight_norm);
    return 2;
}

static int
l_optim_zero_grad(lua_State *L)
{
    rs_optim_zero_grad(check_optim(L, 1, "optimiser:zero_grad"));
    return 0;
}

static int
l_optim_steps(lua_State *L)
{
    lua_pushinteger(L, rs_optim_steps(check_optim(L, 1, "optimiser:steps")));
    return 1;
}

/* o:state(i [, "m" | "v"]): a copy of parameter i's buffer (1-based), or
 * nil when the kind keeps none. */
static int
l_optim_state(lua_State *L)
{
    static const char fn[] = "optimiser:state";
    static const char *const which[] = {"m", "v", NULL};
    rs_optim *o = check_optim(L, 1, fn);
    lua_Integer i = rs_lua_check_integer(L, 2, fn, "param");
    if (i < 1 || i > rs_optim_nparams(o))
        return rs_lua_arg_error(L, fn, 2, "param", "%lld is outside 1..%d",
                                (long long)i, rs_optim_nparams(o));
    int w = rs_lua_check_enum(L, 3, fn, "which", "m", which);
    const float *s = rs_optim_state(o, (int)i - 1, w);
    if (s == NULL) {
        lua_pushnil(L);
        return 1;
    }
    const rs_tensor *p = rs_optim_param(o, (int)i - 1);
    void **box = rs_lua_new_box(L, RS_LUA_TENSOR_MT);
    struct rs_error err = {0};
    rs_tensor *t = rs_tensor_new(p->ndim, p->shape, &err);
    if (t == NULL)
        return rs_lua_status_error(L, fn, &err);
    memcpy(t->data, s, t->numel * sizeof(float));
    *box = t;
    rs_lua_tensor_made(L, t);
    return 1;
}

static int
l_optim_config(lua_State *L)
{
    push_config(L, rs_optim_config(check_optim(L, 1, "optimiser:config")));
    return 1;
}

static int
l_optim_release(lua_State *L)
{
    void **box = luaL_checkudata(L, 1, RS_LUA_OPTIM_MT);
    rs_optim_free(*box);
    *box = NULL;
    return 0;
}

/* ---- schedules --------------------------------------------------------- */

struct rs_lua_sched *
rs_lua_check_sched(lua_State *L, int arg, const char *fn, const char *name)
{
    struct rs_lua_sched *s = luaL_testudata(L, arg, RS_LUA_SCHED_MT);
    if (s == NULL)
        rs_lua_type_error(L, fn, arg, name, "schedule");
    return s;
}

static int
l_sched_new(lua_State *L)
{
    int kind = (int)lua_tointeger(L, lua_upvalueindex(1));
    const char *fn = lua_tostring(L, lua_upvalueindex(2));
    static const char *const fields[] = {"lr", "lr_min", "warmup", "total",
                                         NULL};
    static const char *const cycle_fields[] = {
        "lr", "total", "pct_start", "div_factor", "final_div", NULL};
    struct rs_lua_sched s;
    memset(&s, 0, sizeof s);
    rs_sched_init(&s.s, (enum rs_sched_kind)kind, 0.0f, -1);
    if (!lua_isnoneornil(L, 1)) {
        rs_lua_check_table(L, 1, fn, "config");
        rs_lua_check_fields(L, 1, fn,
                            kind == RS_SCHED_ONECYCLE ? cycle_fields : fields);
        s.has_lr = rs_lua_has_field(L, 1, "lr");
        s.s.lr = rs_lua_opt_float_field(L, 1, fn, "lr", 0.0f, 0.0f);
        s.has_total = rs_lua_has_field(L, 1, "total");
        s.s.total =
            (long)rs_lua_opt_int_field(L, 1, fn, "total", -1, 1, LONG_MAX);
        if (kind == RS_SCHED_ONECYCLE) {
            s.s.pct_start =
                rs_lua_opt_float_field(L, 1, fn, "pct_start", 0.3f, 0.0f);
            if (s.s.pct_start > 1.0f)
                return rs_lua_field_error(L, fn, "pct_start",
                                          "%g is outside [0, 1]",
                                          (double)s.s.pct_start);
            s.s.div_factor =
                rs_lua_opt_float_field(L, 1, fn, "div_factor", 25.0f, 1e-30f);
            s.s.final_div =
                rs_lua_opt_float_field(L, 1, fn, "final_div", 1e4f, 1e-30f);
        } else {
            s.s.lr_min = rs_lua_opt_float_field(L, 1, fn, "lr_min", 0.0f, 0.0f);
            s.s.warmup =
                (long)rs_lua_opt_int_field(L, 1, fn, "warmup", 0, 0, LONG_MAX);
        }
        if (s.has_total && kind != RS_SCHED_CONSTANT &&
            kind != RS_SCHED_ONECYCLE && s.s.total <= s.s.warmup)
            return rs_lua_field_error(L, fn, "total",
                                      "%ld is not after the warmup (%ld)",
                                      s.s.total, s.s.warmup);
    }
    struct rs_lua_sched *u = lua_newuserdatauv(L, sizeof *u, 0);
    *u = s;
    luaL_setmetatable(L, RS_LUA_SCHED_MT);
    return 1;
}

/* s:lr(step): the rate of step `step` (1-based). */
static int
l_sched_lr(lua_State *L)
{
    static const char fn[] = "schedule:lr";
    struct rs_lua_sched *s = rs_lua_check_sched(L, 1, fn, "self");
    lua_Integer step = rs_lua_check_integer(L, 2, fn, "step");
    if (step < 1)
        return rs_lua_arg_error(L, fn, 2, "step", "%lld is not >= 1",
                                (long long)step);
    if (!s->has_lr)
        return luaL_error(L, "%s: the schedule has no lr (give lr=)", fn);
    if (!s->has_total && s->s.kind != RS_SCHED_CONSTANT)
        return luaL_error(L, "%s: the schedule has no total (give total=)", fn);
    lua_pushnumber(L, (lua_Number)rs_sched_lr(&s->s, (long)step - 1));
    return 1;
}

static int
l_sched_kind(lua_State *L)
{
    struct rs_lua_sched *s = rs_lua_check_sched(L, 1, "schedule:kind", "self");
    lua_pushstring(L, rs_sched_kind_name(s->s.kind));
    return 1;
}

static int
l_sched_tostring(lua_State *L)
{
    struct rs_lua_sched *s = rs_lua_check_sched(L, 1, "schedule", "self");
    lua_pushfstring(L, "schedule %s", rs_sched_kind_name(s->s.kind));
    return 1;
}

static const luaL_Reg spec_methods[] = {
    {"config", l_optim_spec_config},
    {NULL, NULL},
};

static const luaL_Reg optim_methods[] = {
    {"step", l_optim_step},
    {"zero_grad", l_optim_zero_grad},
    {"steps", l_optim_steps},
    {"state", l_optim_state},
    {"config", l_optim_config},
    {"release", l_optim_release},
    {NULL, NULL},
};

static const luaL_Reg sched_methods[] = {
    {"lr", l_sched_lr},
    {"kind", l_sched_kind},
    {NULL, NULL},
};

static void
new_meta(lua_State *L, const char *name, const luaL_Reg *methods,
         lua_CFunction gc, lua_CFunction tostring)
{
    luaL_newmetatable(L, name);
    lua_newtable(L);
    luaL_setfuncs(L, methods, 0);
    lua_setfield(L, -2, "__index");
    if (gc != NULL) {
        lua_pushcfunction(L, gc);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, gc);
        lua_setfield(L, -2, "__close");
    }
    if (tostring != NULL) {
        lua_pushcfunction(L, tostring);
        lua_setfield(L, -2, "__tostring");
    }
    lua_pop(L, 1);
}

int
luaopen_repscope_optim(lua_State *L)
{
    new_meta(L, RS_LUA_OPTIM_SPEC_MT, spec_methods, NULL,
             l_optim_spec_tostring);
    new_meta(L, RS_LUA_OPTIM_MT, optim_methods, l_optim_release, NULL);
    new_meta(L, RS_LUA_SCHED_MT, sched_methods, NULL, l_sched_tostring);

    lua_createtable(L, 0, 5); /* optim */
    static const struct {
        const char *name;
        enum rs_optim_kind kind;
    } kinds[] = {{"sgd", RS_OPTIM_SGD},
                 {"adam", RS_OPTIM_ADAM},
                 {"adamw", RS_OPTIM_ADAMW}};
    for (size_t i = 0; i < RS_ARRAY_LEN(kinds); i++) {
        lua_pushinteger(L, kinds[i].kind);
        lua_pushfstring(L, "rs.optim.%s", kinds[i].name);
        lua_pushcclosure(L, l_optim_spec, 2);
        lua_setfield(L, -2, kinds[i].name);
    }
    lua_pushcfunction(L, l_optim_new);
    lua_setfield(L, -2, "new");

    lua_createtable(L, 0, 4); /* optim sched */
    static const struct {
        const char *name;
        enum rs_sched_kind kind;
    } scheds[] = {{"constant", RS_SCHED_CONSTANT},
                  {"linear", RS_SCHED_LINEAR},
                  {"cosine", RS_SCHED_COSINE},
                  {"onecycle", RS_SCHED_ONECYCLE}};
    for (size_t i = 0; i < RS_ARRAY_LEN(scheds); i++) {
        lua_pushinteger(L, scheds[i].kind);
        lua_pushfstring(L, "rs.sched.%s", scheds[i].name);
        lua_pushcclosure(L, l_sched_new, 2);
        lua_setfield(L, -2, scheds[i].name);
    }
    lua_setfield(L, -2, "sched");
    return 1;
}
