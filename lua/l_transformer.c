/* repscope - MIT licence, see COPYING.
 *
 * l_transformer.c: rs.nn.transformer{...}, the decoder-only transformer of
 * nn/transformer.h as a module (nn/module.h, "transformer": it takes token
 * ids), and its evaluation methods: tf:config(), tf:params(),
 * tf:forward(ids [, prec]), tf:layer_last(ids, l), tf:attention(ids, l);
 * every other module method (layers, param, weight_norm, ...) works on
 * it too, and rs.learner takes it as a model.
 *
 * The handle is a module box (struct rs_lua_module first, so
 * rs_lua_check_module reads it) holding a reference to the module, plus
 * a private no-grad graph for these one-sequence evaluations; results
 * are copied out of that graph's arena into new tensors. The box is
 * created closed (module NULL) before the model is built, so a failing
 * build never leaks. Probes borrow the transformer through
 * rs_lua_check_transformer while the handle lives. Worker thread only.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/prec.h"
#include "lua/bind.h"
#include "nn/transformer.h"

#define TF_MT RS_LUA_TRANSFORMER_MT

/* The module box first: rs_lua_check_module and a plain box
 * (rs_lua_test_box) read the module pointer. tf is the module's
 * transformer (borrowed from it). */
struct lua_tf {
    struct rs_lua_module mod;
    rs_nn_transformer *tf;
    rs_graph *g; /* evaluation graph (no grad), NULL until needed */
    float *save; /* nsave floats: master weights during a bf16 call */
    size_t nsave;
    lua_Integer seed; /* the init seed, reported by :config() */
};

/* Enum order of enum rs_nn_pos / rs_nn_tf_norm / rs_prec. */
static const char *const pos_names[] = {"none", "learned", "sinusoidal",
                                        "rope", "alibi",   NULL};
static const char *const norm_names[] = {"pre", "post", NULL};
/* enum rs_prec order, then the spellings rs.train uses ("f32", "f16") */
static const char *const prec_names[] = {"fp32", "bf16", "fp16", "f32", "f16",
                                         NULL};

rs_nn_transformer *
rs_lua_check_transformer(lua_State *L, int arg, const char *fn)
{
    struct lua_tf *b = luaL_testudata(L, arg, TF_MT);
    if (b == NULL)
        rs_lua_type_error(L, fn, arg, "transformer", "transformer");
    if (b->mod.m == NULL || b->tf == NULL)
        luaL_error(L, "%s: attempt to use a released transformer", fn);
    return b->tf;
}

static struct lua_tf *
check_self(lua_State *L, const char *fn)
{
    rs_lua_check_transformer(L, 1, fn);
    return lua_touserdata(L, 1);
}

/* rs.nn.transformer{vocab=, ctx=, d=, heads=, layers=, mlp=, out=, pos=,
 * norm=, window=, init_std=, rope_base=, ln_eps=, seed=} */
static int
l_transformer_new(lua_State *L)
{
    static const char fn[] = "rs.nn.transformer";
    static const char *const fields[] = {
        "vocab",    "ctx",       "d",      "heads", "layers",
        "mlp",      "out",       "pos",    "norm",  "window",
        "init_std", "rope_base", "ln_eps", "seed",  NULL};
    rs_lua_check_table(L, 1, fn, "config");
    rs_lua_check_fields(L, 1, fn, fields);
    static const char *const required[] = {"vocab", "ctx", "d"};
    for (size_t i = 0; i < RS_ARRAY_LEN(required); i++)
        if (!rs_lua_has_field(L, 1, required[i]))
            return luaL_error(L, "%s: field '%s' is required", fn, required[i]);
    struct rs_nn_transformer_config c;
    rs_nn_transformer_config_default(&c);
    c.vocab = (int)rs_lua_opt_int_field(L, 1, fn, "vocab", 0, 1, INT32_MAX);
    c.ctx = (int)rs_lua_opt_int_field(L, 1, fn, "ctx", 0, 1, INT32_MAX);
    c.d = (int)rs_lua_opt_int_field(L, 1, fn, "d", 0, 1, INT32_MAX);
    c.heads =
        (int)rs_lua_opt_int_field(L, 1, fn, "heads", c.heads, 1, INT32_MAX);
    c.layers = (int)rs_lua_opt_int_field(L, 1, fn, "layers", c.layers, 1,
                                         RS_NN_TRANSFORMER_MAX_LAYERS);
    c.mlp = (int)rs_lua_opt_int_field(L, 1, fn, "mlp", 0, 0, INT32_MAX);
    c.out = (int)rs_lua_opt_int_field(L, 1, fn, "out", 0, 0, INT32_MAX);
    c.pos = rs_lua_opt_enum_field(L, 1, fn, "pos", rs_nn_pos_name(c.pos),
                                  pos_names);
    c.norm = rs_lua_opt_enum_field(L, 1, fn, "norm", "pre", norm_names);
    c.window = (int)rs_lua_opt_int_field(L, 1, fn, "window", 0, 0, INT32_MAX);
    c.init_std = rs_lua_opt_float_field(L, 1, fn, "init_std", 0.0f, 0.0f);
    c.rope_base =
        rs_lua_opt_float_field(L, 1, fn, "rope_base", c.rope_base, 0.0f);
    c.ln_eps = rs_lua_opt_float_field(L, 1, fn, "ln_eps", c.ln_eps, 0.0f);
    lua_Integer seed =
        rs_lua_opt_int_field(L, 1, fn, "seed", 1, 0, LUA_MAXINTEGER);

    struct lua_tf *b = lua_newuserdatauv(L, sizeof *b, 0);
    memset(b, 0, sizeof *b);
    luaL_setmetatable(L, TF_MT);
    struct rs_rng rng;
    rs_rng_seed(&rng, (uint64_t)seed);
    struct rs_error err = {0};
    b->mod.m = rs_nn_module_transformer(&c, &rng, &err);
    if (b->mod.m == NULL)
        return rs_lua_status_error(L, fn, &err);
    b->tf = rs_nn_module_as_transformer(b->mod.m);
    b->seed = seed;
    return 1;
}

static int
l_transformer_gc(lua_State *L)
{
    struct lua_tf *b = luaL_checkudata(L, 1, TF_MT);
    rs_graph_free(b->mod.g);
    rs_nn_module_release(b->mod.m);
    rs_graph_free(b->g);
    free(b->save);
    b->mod.g = NULL;
    b->mod.m = NULL;
    b->tf = NULL;
    b->g = NULL;
    b->save = NULL;
    b->nsave = 0;
    return 0;
}

static int
l_transformer_tostring(lua_State *L)
{
    struct lua_tf *b = luaL_checkudata(L, 1, TF_MT);
    if (b->mod.m == NULL) {
        lua_pushliteral(L, "transformer (released)");
        return 1;
    }
    const struct rs_nn_transformer_config *c = rs_nn_transformer_config(b->tf);
    lua_pushfstring(L,
                    "transformer(vocab %d, ctx %d, d %d, %d heads, %d layers, "
                    "%s, %s-norm, %d parameters)",
                    c->vocab, c->ctx, c->d, c->heads, c->layers,
                    rs_nn_pos_name(c->pos), rs_nn_tf_norm_name(c->norm),
                    (int)rs_nn_model_numel(rs_nn_transformer_model(b->tf)));
    return 1;
}

/* tf:config() -> table of the resolved config */
static int
l_transformer_config(lua_State *L)
{
    struct lua_tf *b = check_self(L, "transformer:config");
    const struct rs_nn_transformer_config *c = rs_nn_transformer_config(b->tf);
    const struct {
        const char *key;
        int v;
    } ints[] = {{"vocab", c->vocab}, {"ctx", c->ctx},       {"d", c->d},
                {"heads", c->heads}, {"layers", c->layers}, {"mlp", c->mlp},
                {"out", c->out},     {"window", c->window}};
    lua_createtable(L, 0, 14); /* cfg */
    for (size_t i = 0; i < RS_ARRAY_LEN(ints); i++) {
        lua_pushinteger(L, ints[i].v);
        lua_setfield(L, -2, ints[i].key);
    }
    lua_pushstring(L, rs_nn_pos_name(c->pos));
    lua_setfield(L, -2, "pos");
    lua_pushstring(L, rs_nn_tf_norm_name(c->norm));
    lua_setfield(L, -2, "norm");
    lua_pushnumber(L, (lua_Number)c->init_std);
    lua_setfield(L, -2, "init_std");
    lua_pushnumber(L, (lua_Number)c->rope_base);
    lua_setfield(L, -2, "rope_base");
    lua_pushnumber(L, (lua_Number)c->ln_eps);
    lua_setfield(L, -2, "ln_eps");
    lua_pushinteger(L, b->seed);
    lua_setfield(L, -2, "seed");
    return 1;
}

/* tf:params() -> number of scalar parameters */
static int
l_transformer_params(lua_State *L)
{
    struct lua_tf *b = check_self(L, "transformer:params");
    lua_pushinteger(
        L, (lua_Integer)rs_nn_model_numel(rs_nn_transformer_model(b->tf)));
    return 1;
}

/* The token ids of the sequence at arg, checked against vocab and ctx, in
 * a scratch userdata pushed on the stack (collected, so nothing leaks on
 * a raise). Sets *T. */
static int *
check_ids(lua_State *L, int arg, const char *fn,
          const struct rs_nn_transformer_config *c, int *T)
{
    rs_lua_check_table(L, arg, fn, "ids");
    lua_Integer n = luaL_len(L, arg);
    if (n < 1 || n > c->ctx)
        rs_lua_arg_error(L, fn, arg, "ids",
                         "1..%d token ids expected (ctx), got %lld", c->ctx,
                         (long long)n);
    int *ids = lua_newuserdatauv(L, (size_t)n * sizeof *ids, 0);
    for (lua_Integer i = 1; i <= n; i++) {
        int isint = 0;
        lua_Integer v = 0;
        if (lua_geti(L, arg, i) == LUA_TNUMBER)
            v = lua_tointegerx(L, -1, &isint);
        if (!isint)
            rs_lua_arg_error(L, fn, arg, "ids",
                             "entry %lld: integer expected, got %s",
                             (long long)i, luaL_typename(L, -1));
        if (v < 0 || v >= c->vocab)
            rs_lua_arg_error(L, fn, arg, "ids",
                             "entry %lld: token id %lld outside 0..%d "
                             "(vocab %d)",
                             (long long)i, (long long)v, c->vocab - 1,
                             c->vocab);
        lua_pop(L, 1);
        ids[i - 1] = (int)v;
    }
    *T = (int)n;
    return ids;
}

/* Run one forward of ids (1, T) on the handle's graph at precision p (for
 * bf16/fp16 the parameters are rounded for the forward and restored
 * before anything can raise). Returns the logits (1, T, out), borrowed
 * from the graph; raises "<fn>: ..." on failure. */
static rs_tensor *
run_forward(lua_State *L, struct lua_tf *b, const int *ids, int T,
            enum rs_prec p, const char *fn)
{
    if (b->g == NULL) {
        b->g = rs_graph_new();
        rs_graph_set_grad(b->g, false);
    }
    rs_graph_reset(b->g);
    rs_graph_set_precision(b->g, p);
    bool rounded = false;
    if (p != RS_PREC_F32) {
        size_t n = rs_nn_model_numel(rs_nn_transformer_model(b->tf));
        if (n > b->nsave) {
            float *s = realloc(b->save, n * sizeof *s);
            if (s == NULL)
                luaL_error(L, "%s: no memory to save %zu weights", fn, n);
            b->save = s;
            b->nsave = n;
        }
        rs_nn_transformer_round_params(b->tf, p, b->save);
        rounded = true;
    }
    rs_tensor *lg = rs_nn_transformer_forward(b->tf, b->g, ids, 1, T);
    if (rounded)
        rs_nn_transformer_restore_params(b->tf, b->save);
    rs_graph_set_precision(b->g, RS_PREC_F32);
    if (lg == NULL) {
        const struct rs_error *ge = rs_graph_error(b->g);
        struct rs_error err = {0};
        rs_error_set(&err, ge->code != RS_OK ? ge->code : RS_EINVAL, "%s",
                     ge->code != RS_OK ? ge->msg : "forward failed");
        rs_graph_reset(b->g);
        rs_lua_status_error(L, fn, &err);
    }
    return lg;
}

/* Push a new (n) tensor holding row `row` of t viewed as (rows, n). */
static void
push_row(lua_State *L, const rs_tensor *t, size_t row, int n, const char *fn)
{
    void **box = rs_lua_new_box(L, RS_LUA_TENSOR_MT);
    struct rs_error err = {0};
    rs_tensor *r = rs_tensor_new1(n, &err);
    if (r == NULL)
        rs_lua_status_error(L, fn, &err);
    memcpy(r->data, t->data + row * (size_t)n, (size_t)n * sizeof *r->data);
    *box = r;
    rs_lua_tensor_made(L, r);
}

/* tf:forward(ids [, prec]) -> logits (out) and y (d) of the last token */
static int
l_transformer_forward(lua_State *L)
{
    static const char fn[] = "transformer:forward";
    struct lua_tf *b = check_self(L, fn);
    const struct rs_nn_transformer_config *c = rs_nn_transformer_config(b->tf);
    int p = rs_lua_check_enum(L, 3, fn, "prec", "fp32", prec_names);
    if (p >= 3)
        p = p == 3 ? RS_PREC_F32 : RS_PREC_F16;
    lua_settop(L, 3); /* the scratch ids go above the arguments */
    int T;
    int *ids = check_ids(L, 2, fn, c, &T);
    rs_tensor *lg = run_forward(L, b, ids, T, (enum rs_prec)p, fn);
    push_row(L, lg, (size_t)T - 1, c->out, fn);
    push_row(L, rs_nn_transformer_final(b->tf), (size_t)T - 1, c->d, fn);
    return 2;
}

/* tf:layer_last(ids, l) -> v_l (d) of the last token; l = 0 gives v0 */
static int
l_transformer_layer_last(lua_State *L)
{
    static const char fn[] = "transformer:layer_last";
    struct lua_tf *b = check_self(L, fn);
    const struct rs_nn_transformer_config *c = rs_nn_transformer_config(b->tf);
    rs_lua_check_table(L, 2, fn, "ids");
    lua_Integer l = rs_lua_check_integer(L, 3, fn, "l");
    if (l < 0 || l > c->layers)
        return rs_lua_arg_error(L, fn, 3, "l", "layer %lld outside 0..%d",
                                (long long)l, c->layers);
    lua_settop(L, 3);
    int T;
    int *ids = check_ids(L, 2, fn, c, &T);
    run_forward(L, b, ids, T, RS_PREC_F32, fn);
    rs_tensor *v = l == 0 ? rs_nn_transformer_embed(b->tf)
                          : rs_nn_transformer_layer_out(b->tf, (int)l);
    push_row(L, v, (size_t)T - 1, c->d, fn);
    return 1;
}

/* tf:attention(ids, l) -> (heads, T): the last token's attention row per
 * head in layer l (1..layers) */
static int
l_transformer_attention(lua_State *L)
{
    static const char fn[] = "transformer:attention";
    struct lua_tf *b = check_self(L, fn);
    const struct rs_nn_transformer_config *c = rs_nn_transformer_config(b->tf);
    rs_lua_check_table(L, 2, fn, "ids");
    lua_Integer l = rs_lua_check_integer(L, 3, fn, "l");
    if (l < 1 || l > c->layers)
        return rs_lua_arg_error(L, fn, 3, "l", "layer %lld outside 1..%d",
                                (long long)l, c->layers);
    lua_settop(L, 3);
    int T;
    int *ids = check_ids(L, 2, fn, c, &T);
    run_forward(L, b, ids, T, RS_PREC_F32, fn);
    const rs_tensor *a = rs_nn_transformer_attn(b->tf, (int)l); /* (1,H,T,T) */
    void **box = rs_lua_new_box(L, RS_LUA_TENSOR_MT);
    struct rs_error err = {0};
    rs_tensor *r = rs_tensor_new2(c->heads, T, &err);
    if (r == NULL)
        return rs_lua_status_error(L, fn, &err);
    for (int h = 0; h < c->heads; h++)
        memcpy(r->data + (size_t)h * T,
               a->data + ((size_t)h * T + (size_t)(T - 1)) * T,
               (size_t)T * sizeof *r->data);
    *box = r;
    rs_lua_tensor_made(L, r);
    return 1;
}

static const luaL_Reg tf_methods[] = {
    {"config", l_transformer_config},
    {"params", l_transformer_params},
    {"forward", l_transformer_forward},
    {"layer_last", l_transformer_layer_last},
    {"attention", l_transformer_attention},
    {NULL, NULL},
};

static const luaL_Reg tf_meta[] = {
    {"__gc", l_transformer_gc},
    {"__close", l_transformer_gc},
    {"__tostring", l_transformer_tostring},
    {NULL, NULL},
};

void
rs_lua_open_transformer(lua_State *L)
{
    /* The name lists above are indexed by the C enums. */
    for (int i = 0; i < RS_NN_POS_COUNT; i++)
        RS_ASSERT(strcmp(pos_names[i], rs_nn_pos_name((enum rs_nn_pos)i)) == 0);
    for (int i = 0; i < RS_NN_TF_NORM_COUNT; i++)
        RS_ASSERT(strcmp(norm_names[i],
                         rs_nn_tf_norm_name((enum rs_nn_tf_norm)i)) == 0);
    RS_ASSERT(rs_prec_parse(prec_names[RS_PREC_BF16]) == RS_PREC_BF16 &&
              rs_prec_parse(prec_names[RS_PREC_F16]) == RS_PREC_F16);
    /* nn */
    /* the transformer's methods, then every module method */
    luaL_newmetatable(L, TF_MT); /* nn mt */
    luaL_setfuncs(L, tf_meta, 0);
    luaL_newlib(L, tf_methods); /* nn mt methods */
    lua_pushcfunction(L, l_transformer_gc);
    lua_setfield(L, -2, "release");
    lua_createtable(L, 0, 1); /* nn mt methods up */
    luaL_getmetatable(L, RS_LUA_MODULE_MT);
    lua_getfield(L, -1, "__index"); /* nn mt methods up mmt mmethods */
    lua_setfield(L, -3, "__index");
    lua_pop(L, 1);
    lua_setmetatable(L, -2);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1); /* nn */
    lua_pushcfunction(L, l_transformer_new);
    lua_setfield(L, -2, "transformer");
}
