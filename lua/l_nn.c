/* repscope - MIT licence, see COPYING.
 *
 * l_nn.c: rs.nn, network builders over nn/module.h in the spirit of
 * Torch7's nn: rs.nn.linear, the activations, rs.nn.layernorm/rmsnorm,
 * rs.nn.mlp{...} and rs.nn.sequential{...}; and module methods for named
 * parameters (shared with the model: writes go into it), probe-able
 * layers and their recorded activations, norms and a no-grad forward.
 *
 * A module handle owns a private graph for Lua-side forwards, so
 * m:activation(layer) reads the tensors of *its* last m:forward; a
 * training step through another graph invalidates them (checked through
 * rs_nn_module_forwards). Weights are drawn from the host stream
 * (rs.seed) unless the builder is given seed=. Worker thread only.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua/bind.h"

static const char *const act_names[] = {"relu",    "leaky_relu", "gelu", "tanh",
                                        "sigmoid", "identity",   NULL};
static const char *const init_names[] = {
    "zeros",   "constant",        "normal", "uniform",
    "kaiming", "kaiming_uniform", "xavier", "xavier_uniform",
    "lecun",   "torch",           NULL};

struct rs_lua_module *
rs_lua_test_module(lua_State *L, int idx)
{
    struct rs_lua_module *b = luaL_testudata(L, idx, RS_LUA_MODULE_MT);
    if (b == NULL)
        b = luaL_testudata(L, idx, RS_LUA_TRANSFORMER_MT);
    return b != NULL ? b : luaL_testudata(L, idx, RS_LUA_GRIFFIN_MT);
}

rs_nn_module *
rs_lua_check_module(lua_State *L, int arg, const char *fn, const char *name)
{
    struct rs_lua_module *b = rs_lua_test_module(L, arg);
    if (b == NULL)
        rs_lua_type_error(L, fn, arg, name, "module");
    if (b->m == NULL)
        luaL_error(L, "%s: attempt to use a released module", fn);
    return b->m;
}

struct rs_lua_module *
rs_lua_module_box_new(lua_State *L)
{
    struct rs_lua_module *b = lua_newuserdatauv(L, sizeof *b, 0);
    memset(b, 0, sizeof *b);
    luaL_setmetatable(L, RS_LUA_MODULE_MT);
    return b;
}

void
rs_lua_push_module(lua_State *L, rs_nn_module *m)
{
    struct rs_lua_module *b = rs_lua_module_box_new(L);
    rs_nn_module_retain(m);
    b->m = m;
}

/* Push a box for a module built by make (which may fail with err). */
int
rs_lua_module_box_fill(lua_State *L, rs_nn_module *m,
                       const struct rs_error *err, const char *fn)
{
    if (m == NULL)
        return rs_lua_status_error(L, fn, err);
    struct rs_lua_module *b = lua_touserdata(L, -1);
    b->m = m;
    return 1;
}

/* The rng for a builder: seed= in the options table at tbl (a private
 * stream kept in a userdata on the stack), else the host stream. */
struct rs_rng *
rs_lua_builder_rng(lua_State *L, int tbl, const char *fn)
{
    if (tbl != 0 && rs_lua_has_field(L, tbl, "seed")) {
        lua_Integer s =
            rs_lua_opt_int_field(L, tbl, fn, "seed", 0, 0, LUA_MAXINTEGER);
        struct rs_rng *r = lua_newuserdatauv(L, sizeof *r, 0);
        rs_rng_seed(r, (uint64_t)s);
        return r; /* left on the stack: alive for this call */
    }
    return &rs_lua_ctx(L)->rng;
}

/* rs.nn.linear(in, out [, opts]) or rs.nn.linear{in=, out=, ...} */
static int
l_nn_linear(lua_State *L)
{
    static const char fn[] = "rs.nn.linear";
    static const char *const fields[] = {"in",    "out",  "bias", "init",
                                         "scale", "seed", NULL};
    int tbl = 0;
    lua_Integer in, out;
    if (lua_type(L, 1) == LUA_TTABLE) {
        tbl = 1;
        rs_lua_check_fields(L, 1, fn, fields);
        if (!rs_lua_has_field(L, 1, "in") || !rs_lua_has_field(L, 1, "out"))
            return luaL_error(L, "%s: fields 'in' and 'out' are required", fn);
        in = rs_lua_opt_int_field(L, 1, fn, "in", 0, 1, INT32_MAX);
        out = rs_lua_opt_int_field(L, 1, fn, "out", 0, 1, INT32_MAX);
    } else {
        in = rs_lua_check_integer(L, 1, fn, "in");
        out = rs_lua_check_integer(L, 2, fn, "out");
        if (in < 1 || in > INT32_MAX)
            return rs_lua_arg_error(L, fn, 1, "in", "%lld is not >= 1",
                                    (long long)in);
        if (out < 1 || out > INT32_MAX)
            return rs_lua_arg_error(L, fn, 2, "out", "%lld is not >= 1",
                                    (long long)out);
        if (!lua_isnoneornil(L, 3)) {
            rs_lua_check_table(L, 3, fn, "opts");
            rs_lua_check_fields(L, 3, fn, fields + 2);
            tbl = 3;
        }
    }
    bool bias = tbl ? rs_lua_opt_bool_field(L, tbl, fn, "bias", true) : true;
    int init =
        tbl ? rs_lua_opt_enum_field(L, tbl, fn, "init", "torch", init_names)
            : RS_INIT_TORCH_DEFAULT;
    float scale =
        tbl ? rs_lua_opt_float_field(L, tbl, fn, "scale", 1.0f, 0.0f) : 1.0f;
    struct rs_rng *rng = rs_lua_builder_rng(L, tbl, fn);
    rs_lua_module_box_new(L);
    struct rs_error err = {0};
    rs_nn_module *m = rs_nn_module_linear(
        (int)in, (int)out, bias, (enum rs_init_kind)init, scale, rng, &err);
    return rs_lua_module_box_fill(L, m, &err, fn);
}

/* The activation builders: rs.nn.relu(), rs.nn.leaky_relu([slope]), ... */
static int
l_nn_act(lua_State *L)
{
    int act = (int)lua_tointeger(L, lua_upvalueindex(1));
    const char *fn = lua_tostring(L, lua_upvalueindex(2));
    float slope = 0.01f;
    if (act == RS_NN_MLP_ACT_LEAKY_RELU && !lua_isnoneornil(L, 1)) {
        if (lua_type(L, 1) == LUA_TTABLE) {
            static const char *const fields[] = {"slope", NULL};
            rs_lua_check_fields(L, 1, fn, fields);
            slope = (float)rs_lua_opt_number_field(L, 1, fn, "slope", 0.01);
        } else {
            slope = (float)rs_lua_check_number(L, 1, fn, "slope");
        }
    } else if (act != RS_NN_MLP_ACT_LEAKY_RELU && !lua_isnone(L, 1)) {
        return luaL_error(L, "%s: takes no arguments", fn);
    }
    rs_lua_module_box_new(L);
    struct rs_error err = {0};
    return rs_lua_module_box_fill(L, rs_nn_module_act(act, slope, &err), &err,
                                  fn);
}

/* rs.nn.layernorm(width) or {width=, affine=true, eps=1e-5}; rmsnorm too */
static int
l_nn_norm(lua_State *L)
{
    int kind = (int)lua_tointeger(L, lua_upvalueindex(1));
    const char *fn = lua_tostring(L, lua_upvalueindex(2));
    static const char *const fields[] = {"width", "affine", "eps", NULL};
    lua_Integer width;
    bool affine = true;
    float eps = 1e-5f;
    if (lua_type(L, 1) == LUA_TTABLE) {
        rs_lua_check_fields(L, 1, fn, fields);
        if (!rs_lua_has_field(L, 1, "width"))
            return luaL_error(L, "%s: field 'width' is required", fn);
        width = rs_lua_opt_int_field(L, 1, fn, "width", 0, 1, INT32_MAX);
        affine = rs_lua_opt_bool_field(L, 1, fn, "affine", true);
        eps = (float)rs_lua_opt_number_field(L, 1, fn, "eps", 1e-5);
    } else {
        width = rs_lua_check_integer(L, 1, fn, "width");
        if (width < 1 || width > INT32_MAX)
            return rs_lua_arg_error(L, fn, 1, "width", "%lld is not >= 1",
                                    (long long)width);
    }
    rs_lua_module_box_new(L);
    struct rs_error err = {0};
    return rs_lua_module_box_fill(
        L, rs_nn_module_norm(kind, (int)width, affine, eps, &err), &err, fn);
}

/* rs.nn.mlp{input=, width=, depth=, output=, act=, norm=, bias=, ...} */
static int
l_nn_mlp(lua_State *L)
{
    static const char fn[] = "rs.nn.mlp";
    static const char *const fields[] = {
        "input", "width", "depth", "output", "act", "norm", "bias",
        "init",  "scale", "slope", "affine", "eps", "seed", NULL};
    static const char *const norm_names[] = {"none", "layernorm", "rmsnorm",
                                             NULL};
    rs_lua_check_table(L, 1, fn, "config");
    rs_lua_check_fields(L, 1, fn, fields);
    static const char *const required[] = {"input", "output"};
    for (size_t i = 0; i < RS_ARRAY_LEN(required); i++)
        if (!rs_lua_has_field(L, 1, required[i]))
            return luaL_error(L, "%s: field '%s' is required", fn, required[i]);
    struct rs_nn_mlp_config c;
    rs_nn_mlp_config_default(&c);
    c.input = (int)rs_lua_opt_int_field(L, 1, fn, "input", 0, 1, INT32_MAX);
    c.output = (int)rs_lua_opt_int_field(L, 1, fn, "output", 0, 1, INT32_MAX);
    c.depth = (int)rs_lua_opt_int_field(L, 1, fn, "depth", c.depth, 0,
                                        RS_NN_MLP_MAX_DEPTH);
    if (c.depth > 0 && !rs_lua_has_field(L, 1, "width"))
        return luaL_error(L, "%s: field 'width' is required when depth > 0",
                          fn);
    c.width = (int)rs_lua_opt_int_field(L, 1, fn, "width", 1, 1, INT32_MAX);
    c.act = rs_lua_opt_enum_field(L, 1, fn, "act", "relu", act_names);
    /* norm: a name, or false/nil for none */
    if (lua_getfield(L, 1, "norm") == LUA_TBOOLEAN && !lua_toboolean(L, -1)) {
        c.norm = RS_NN_MLP_NORM_NONE;
    } else if (lua_isnil(L, -1)) {
        c.norm = RS_NN_MLP_NORM_NONE;
    } else if (lua_type(L, -1) != LUA_TSTRING) {
        return rs_lua_field_type_error(L, fn, "norm", "string or false", -1);
    } else {
        c.norm = rs_lua_opt_enum_field(L, 1, fn, "norm", "none", norm_names);
    }
    lua_pop(L, 1);
    c.bias = rs_lua_opt_bool_field(L, 1, fn, "bias", true);
    c.init = rs_lua_opt_enum_field(L, 1, fn, "init", "torch", init_names);
    c.init_scale = rs_lua_opt_float_field(L, 1, fn, "scale", 1.0f, 0.0f);
    c.leaky_slope = (float)rs_lua_opt_number_field(L, 1, fn, "slope", 0.01);
    c.norm_affine = rs_lua_opt_bool_field(L, 1, fn, "affine", true);
    c.norm_eps = (float)rs_lua_opt_number_field(L, 1, fn, "eps", 1e-5);
    struct rs_rng *rng = rs_lua_builder_rng(L, 1, fn);
    rs_lua_module_box_new(L);
    struct rs_error err = {0};
    return rs_lua_module_box_fill(L, rs_nn_module_mlp(&c, rng, &err), &err, fn);
}

/* rs.nn.sequential{ m1, {"name", m2}, ... } */
static int
l_nn_sequential(lua_State *L)
{
    static const char fn[] = "rs.nn.sequential";
    rs_lua_check_table(L, 1, fn, "modules");
    lua_Integer n = luaL_len(L, 1);
    if (n < 1 || n > 4096)
        return rs_lua_arg_error(L, fn, 1, "modules",
                                "1..4096 modules expected, got %lld",
                                (long long)n);
    /* Scratch arrays in GC-owned memory (nothing to leak on a raise). */
    rs_nn_module **mods = lua_newuserdatauv(L, (size_t)n * sizeof *mods, 0);
    const char **names = lua_newuserdatauv(L, (size_t)n * sizeof *names, 0);
    int base = lua_gettop(L);
    for (lua_Integer i = 1; i <= n; i++) {
        int t = lua_geti(L, 1, i); /* entry */
        int slot = lua_gettop(L), mod = slot;
        names[i - 1] = NULL;
        if (t == LUA_TTABLE) {
            if (lua_geti(L, slot, 1) != LUA_TSTRING ||
                lua_geti(L, slot, 2) == LUA_TNIL)
                return rs_lua_arg_error(L, fn, 1, "modules",
                                        "entry %lld: a module or {name, "
                                        "module} expected",
                                        (long long)i);
            names[i - 1] = lua_tostring(L, slot + 1); /* held by arg 1 */
            mod = slot + 2;
        }
        if (rs_lua_test_module(L, mod) == NULL)
            return rs_lua_arg_error(L, fn, 1, "modules",
                                    "entry %lld: module expected, got %s",
                                    (long long)i, luaL_typename(L, mod));
        mods[i - 1] = rs_lua_check_module(L, mod, fn, "modules");
        lua_settop(L, base);
    }
    rs_lua_module_box_new(L);
    struct rs_error err = {0};
    rs_nn_module *m = rs_nn_module_sequential(mods, names, (int)n, &err);
    return rs_lua_module_box_fill(L, m, &err, fn);
}

/* ---- methods ----------------------------------------------------------- */

static struct rs_lua_module *
check_box(lua_State *L, const char *fn)
{
    rs_lua_check_module(L, 1, fn, "self");
    return lua_touserdata(L, 1);
}

/* m:forward(x): no-grad output (a new tensor); records the layers for
 * m:activation. */
static int
l_nn_forward(lua_State *L)
{
    static const char fn[] = "module:forward";
    struct rs_lua_module *b = check_box(L, fn);
    rs_tensor *x = rs_lua_check_tensor(L, 2, fn, "x");
    void **out_box = rs_lua_new_box(L, RS_LUA_TENSOR_MT);
    if (b->g == NULL) {
        b->g = rs_graph_new();
        rs_graph_set_grad(b->g, false);
    }
    rs_graph_reset(b->g);
    rs_tensor *y = rs_nn_module_forward(b->m, b->g, x);
    b->fwd = rs_nn_module_forwards(b->m);
    struct rs_error err = {0};
    if (y == NULL) {
        const struct rs_error *ge = rs_graph_error(b->g);
        rs_error_set(&err, RS_ESHAPE, "%s",
                     ge->code != RS_OK ? ge->msg : "forward failed");
        rs_graph_reset(b->g);
        b->fwd = 0;
        return rs_lua_status_error(L, fn, &err);
    }
    rs_tensor *c = rs_tensor_clone(y, &err);
    if (c == NULL)
        return rs_lua_status_error(L, fn, &err);
    *out_box = c;
    rs_lua_tensor_made(L, c);
    return 1;
}

static int
find_layer(lua_State *L, rs_nn_module *m, int arg, const char *fn)
{
    const char *name = rs_lua_check_string(L, arg, fn, "layer");
    int i = rs_nn_module_find_layer(m, name);
    if (i < 0) {
        luaL_Buffer buf;
        luaL_buffinit(L, &buf);
        for (int k = 0; k < rs_nn_module_layers(m); k++) {
            if (k > 0)
                luaL_addstring(&buf, ", ");
            luaL_addstring(&buf, rs_nn_module_layer_name(m, k));
        }
        luaL_pushresult(&buf);
        rs_lua_arg_error(L, fn, arg, "layer", "no layer '%s' (layers: %s)",
                         name, lua_tostring(L, -1));
    }
    return i;
}

/* m:activation(layer [, "act" | "preact"]) from the last m:forward. */
static int
l_nn_activation(lua_State *L)
{
    static const char fn[] = "module:activation";
    static const char *const which[] = {"act", "preact", NULL};
    struct rs_lua_module *b = check_box(L, fn);
    int i = find_layer(L, b->m, 2, fn);
    int w = rs_lua_check_enum(L, 3, fn, "which", "act", which);
    if (b->g == NULL || b->fwd == 0 || b->fwd != rs_nn_module_forwards(b->m))
        return luaL_error(L,
                          "%s: no recorded forward (call module:forward(x) "
                          "first)",
                          fn);
    rs_tensor *t = w == 0 ? rs_nn_module_layer_act(b->m, i)
                          : rs_nn_module_layer_preact(b->m, i);
    if (t == NULL)
        return luaL_error(L, "%s: layer '%s' was not reached", fn,
                          lua_tostring(L, 2));
    rs_lua_push_tensor_copy(L, t, fn);
    return 1;
}

static int
l_nn_layers(lua_State *L)
{
    rs_nn_module *m = rs_lua_check_module(L, 1, "module:layers", "self");
    int n = rs_nn_module_layers(m);
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        lua_pushstring(L, rs_nn_module_layer_name(m, i));
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

static int
l_nn_param_names(lua_State *L)
{
    rs_nn_module *m = rs_lua_check_module(L, 1, "module:param_names", "self");
    rs_nn_model *model = rs_nn_module_model(m);
    int n = rs_nn_model_count(model);
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        lua_pushstring(L, rs_nn_model_param_name(model, i));
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

static int
l_nn_params(lua_State *L)
{
    rs_nn_module *m = rs_lua_check_module(L, 1, "module:params", "self");
    rs_nn_model *model = rs_nn_module_model(m);
    int n = rs_nn_model_count(model);
    lua_createtable(L, 0, n);
    for (int i = 0; i < n; i++) {
        rs_lua_push_tensor(L, rs_nn_model_param(model, i));
        lua_setfield(L, -2, rs_nn_model_param_name(model, i));
    }
    return 1;
}

/* m:param(name): the parameter itself (shares storage). */
static int
l_nn_param(lua_State *L)
{
    static const char fn[] = "module:param";
    rs_nn_module *m = rs_lua_check_module(L, 1, fn, "self");
    const char *name = rs_lua_check_string(L, 2, fn, "name");
    rs_tensor *t = rs_nn_model_lookup(rs_nn_module_model(m), name);
    if (t == NULL)
        return rs_lua_arg_error(L, fn, 2, "name", "no parameter '%s'", name);
    rs_lua_push_tensor(L, t);
    return 1;
}

/* m:copy_from(src): every parameter of src into m's of the same name
 * (same names and shapes, in the same order, or nothing is copied). */
static int
l_nn_copy_from(lua_State *L)
{
    static const char fn[] = "module:copy_from";
    rs_nn_module *m = rs_lua_check_module(L, 1, fn, "self");
    rs_nn_module *src = rs_lua_check_module(L, 2, fn, "src");
    rs_nn_model *to = rs_nn_module_model(m);
    const rs_nn_model *from = rs_nn_module_model(src);
    int n = rs_nn_model_count(to);
    if (rs_nn_model_count(from) != n)
        return rs_lua_arg_error(L, fn, 2, "src",
                                "has %d parameters, this module %d",
                                rs_nn_model_count(from), n);
    for (int i = 0; i < n; i++) {
        const rs_tensor *a = rs_nn_model_param(to, i);
        const rs_tensor *b = rs_nn_model_param(from, i);
        char sa[48], sb[48];
        if (strcmp(rs_nn_model_param_name(to, i),
                   rs_nn_model_param_name(from, i)) != 0 ||
            !rs_tensor_same_shape(a, b))
            return rs_lua_arg_error(
                L, fn, 2, "src", "parameter %d is %s %s, this module's %s %s",
                i + 1, rs_nn_model_param_name(from, i),
                rs_tensor_shape_str(b, sb, sizeof sb),
                rs_nn_model_param_name(to, i),
                rs_tensor_shape_str(a, sa, sizeof sa));
    }
    if (m != src)
        for (int i = 0; i < n; i++)
            rs_tensor_copy_data(rs_nn_model_param(to, i),
                                rs_nn_model_param(from, i));
    return 0;
}

static int
l_nn_child(lua_State *L)
{
    static const char fn[] = "module:child";
    rs_nn_module *m = rs_lua_check_module(L, 1, fn, "self");
    int n = rs_nn_module_children(m), i;
    if (lua_type(L, 2) == LUA_TNUMBER) {
        lua_Integer k = rs_lua_check_integer(L, 2, fn, "child");
        if (k < 1 || k > n)
            return rs_lua_arg_error(L, fn, 2, "child", "%lld is outside 1..%d",
                                    (long long)k, n);
        i = (int)k - 1;
    } else {
        const char *name = rs_lua_check_string(L, 2, fn, "child");
        i = rs_nn_module_find_child(m, name);
        if (i < 0)
            return rs_lua_arg_error(L, fn, 2, "child", "no child '%s'", name);
    }
    rs_lua_push_module(L, rs_nn_module_child(m, i));
    return 1;
}

static int
l_nn_kind(lua_State *L)
{
    lua_pushstring(
        L, rs_nn_module_kind(rs_lua_check_module(L, 1, "module:kind", "self")));
    return 1;
}

static int
l_nn_num_params(lua_State *L)
{
    rs_nn_module *m = rs_lua_check_module(L, 1, "module:num_params", "self");
    lua_pushinteger(L, (lua_Integer)rs_nn_model_numel(rs_nn_module_model(m)));
    return 1;
}

/* m:weight_norm([prefix]): global L2 norm, or of one layer's parameters. */
static int
l_nn_weight_norm(lua_State *L)
{
    static const char fn[] = "module:weight_norm";
    rs_nn_module *m = rs_lua_check_module(L, 1, fn, "self");
    rs_nn_model *model = rs_nn_module_model(m);
    if (lua_isnoneornil(L, 2))
        lua_pushnumber(L, rs_nn_model_weight_norm(model));
    else
        lua_pushnumber(L, rs_nn_model_layer_norm(
                              model, rs_lua_check_string(L, 2, fn, "prefix")));
    return 1;
}

static int
l_nn_grad_norm(lua_State *L)
{
    rs_nn_module *m = rs_lua_check_module(L, 1, "module:grad_norm", "self");
    rs_nn_model *model = rs_nn_module_model(m);
    double s = 0.0;
    for (int i = 0; i < rs_nn_model_count(model); i++) {
        const rs_tensor *t = rs_nn_model_param(model, i);
        for (size_t k = 0; t->grad != NULL && k < t->numel; k++)
            s += (double)t->grad[k] * (double)t->grad[k];
    }
    lua_pushnumber(L, sqrt(s));
    return 1;
}

static int
l_nn_zero_grad(lua_State *L)
{
    rs_nn_module *m = rs_lua_check_module(L, 1, "module:zero_grad", "self");
    rs_nn_model_zero_grad(rs_nn_module_model(m));
    return 0;
}

static int
l_nn_in(lua_State *L)
{
    rs_nn_module *m = rs_lua_check_module(L, 1, "module:in_features", "self");
    lua_pushinteger(L, rs_nn_module_in(m));
    return 1;
}

static int
l_nn_out(lua_State *L)
{
    rs_nn_module *m = rs_lua_check_module(L, 1, "module:out_features", "self");
    lua_pushinteger(L, rs_nn_module_out(m));
    return 1;
}

static int
l_nn_release(lua_State *L)
{
    struct rs_lua_module *b = luaL_checkudata(L, 1, RS_LUA_MODULE_MT);
    rs_graph_free(b->g);
    b->g = NULL;
    rs_nn_module_release(b->m);
    b->m = NULL;
    return 0;
}

static int
l_nn_tostring(lua_State *L)
{
    struct rs_lua_module *b = luaL_checkudata(L, 1, RS_LUA_MODULE_MT);
    if (b->m == NULL) {
        lua_pushliteral(L, "module (released)");
        return 1;
    }
    lua_pushfstring(L, "%s(%d -> %d, %d layers, %d parameters)",
                    rs_nn_module_kind(b->m), rs_nn_module_in(b->m),
                    rs_nn_module_out(b->m), rs_nn_module_layers(b->m),
                    (int)rs_nn_model_numel(rs_nn_module_model(b->m)));
    return 1;
}

static const luaL_Reg module_methods[] = {
    {"forward", l_nn_forward},       {"activation", l_nn_activation},
    {"layers", l_nn_layers},         {"param_names", l_nn_param_names},
    {"params", l_nn_params},         {"param", l_nn_param},
    {"child", l_nn_child},           {"kind", l_nn_kind},
    {"num_params", l_nn_num_params}, {"weight_norm", l_nn_weight_norm},
    {"grad_norm", l_nn_grad_norm},   {"zero_grad", l_nn_zero_grad},
    {"in_features", l_nn_in},        {"out_features", l_nn_out},
    {"copy_from", l_nn_copy_from},   {"release", l_nn_release},
    {NULL, NULL},
};

static const luaL_Reg module_meta[] = {
    {"__gc", l_nn_release},
    {"__close", l_nn_release},
    {"__tostring", l_nn_tostring},
    {NULL, NULL},
};

static const luaL_Reg nn_funcs[] = {
    {"linear", l_nn_linear},
    {"mlp", l_nn_mlp},
    {"sequential", l_nn_sequential},
    {NULL, NULL},
};

/* module(x) is module:forward(x) */
static int
l_nn_call(lua_State *L)
{
    return l_nn_forward(L);
}

int
luaopen_repscope_nn(lua_State *L)
{
    luaL_newmetatable(L, RS_LUA_MODULE_MT);
    luaL_setfuncs(L, module_meta, 0);
    lua_pushcfunction(L, l_nn_call);
    lua_setfield(L, -2, "__call");
    luaL_newlib(L, module_methods);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);

    luaL_newlib(L, nn_funcs); /* nn */
    for (int i = 0; act_names[i] != NULL; i++) {
        lua_pushinteger(L, i);
        lua_pushfstring(L, "rs.nn.%s", act_names[i]);
        lua_pushcclosure(L, l_nn_act, 2);
        lua_setfield(L, -2, act_names[i]);
    }
    static const struct {
        const char *name;
        enum rs_nn_mlp_norm kind;
    } norms[] = {{"layernorm", RS_NN_MLP_NORM_LAYERNORM},
                 {"rmsnorm", RS_NN_MLP_NORM_RMSNORM}};
    for (size_t i = 0; i < RS_ARRAY_LEN(norms); i++) {
        lua_pushinteger(L, norms[i].kind);
        lua_pushfstring(L, "rs.nn.%s", norms[i].name);
        lua_pushcclosure(L, l_nn_norm, 2);
        lua_setfield(L, -2, norms[i].name);
    }
    rs_lua_open_transformer(L);
    rs_lua_open_griffin(L);
    rs_lua_open_nnmore(L);
    return 1;
}
