/* repscope - MIT licence, see COPYING.
 *
 * l_griffin.c: rs.nn.griffin{...}, Hawk / Griffin / the MQA transformer
 * of nn/griffin.h as a module (kind "griffin": it takes token ids, so
 * rs.learner takes it as a model with next_token), with m:config(),
 * m:params() (the count) and m:decoder{batch=} -> a decoder handle with
 * :prompt(str | ids), :step(id | ids), :sample{n=, temperature=, seed=},
 * :state_bytes(), :pos(), :reset() and :release(). Every other module
 * method (layers, param, weight_norm, ...) works on the model handle.
 *
 * The model handle is a module box (struct rs_lua_module first, so
 * rs_lua_check_module reads it). A decoder handle holds its own module
 * reference, so the model outlives every decoder made from it. Boxes are
 * created closed before anything is allocated, so a failing build never
 * leaks. Worker thread only.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lua/bind.h"
#include "nn/griffin.h"

#define GF_MT RS_LUA_GRIFFIN_MT
#define DEC_MT "repscope.griffin_decoder"

struct lua_gf {
    struct rs_lua_module mod;
    rs_nn_griffin *gf; /* the module's model (borrowed from it) */
    lua_Integer seed;  /* the init seed, reported by :config() */
};

struct lua_dec {
    rs_nn_griffin_decoder *dec;
    rs_nn_module *m; /* a reference keeping the model alive */
};

static struct lua_gf *
check_self(lua_State *L, const char *fn)
{
    struct lua_gf *b = luaL_testudata(L, 1, GF_MT);
    if (b == NULL)
        rs_lua_type_error(L, fn, 1, "self", "griffin");
    if (b->mod.m == NULL)
        luaL_error(L, "%s: attempt to use a released griffin", fn);
    return b;
}

static struct lua_dec *
check_dec(lua_State *L, const char *fn)
{
    struct lua_dec *b = luaL_testudata(L, 1, DEC_MT);
    if (b == NULL)
        rs_lua_type_error(L, fn, 1, "self", "decoder");
    if (b->dec == NULL)
        luaL_error(L, "%s: attempt to use a released decoder", fn);
    return b;
}

/* rs.nn.griffin{vocab=, d=, layers=, pattern=, heads=, lru_width=,
 * window=, mlp_mult=, conv_width=, rope_base=, soft_cap=, embed_scale=,
 * seed=} */
static int
l_griffin_new(lua_State *L)
{
    static const char fn[] = "rs.nn.griffin";
    static const char *const fields[] = {
        "vocab",     "d",           "layers",   "pattern",    "heads",
        "lru_width", "window",      "mlp_mult", "conv_width", "rope_base",
        "soft_cap",  "embed_scale", "seed",     NULL};
    if (lua_isnoneornil(L, 1))
        lua_newtable(L);
    rs_lua_check_table(L, 1, fn, "config");
    lua_settop(L, 1);
    rs_lua_check_fields(L, 1, fn, fields);
    struct rs_nn_griffin_config c;
    rs_nn_griffin_config_default(&c);
    c.vocab =
        (int)rs_lua_opt_int_field(L, 1, fn, "vocab", c.vocab, 1, INT32_MAX);
    c.d = (int)rs_lua_opt_int_field(L, 1, fn, "d", c.d, 1, INT32_MAX);
    c.layers = (int)rs_lua_opt_int_field(L, 1, fn, "layers", c.layers, 1,
                                         RS_NN_GRIFFIN_MAX_LAYERS);
    const char *pat = rs_lua_opt_string_field(L, 1, fn, "pattern", c.pattern);
    size_t np = strlen(pat);
    if (np < 1 || np > RS_NN_GRIFFIN_PATTERN_MAX)
        return rs_lua_field_error(L, fn, "pattern",
                                  "1..%d letters expected, got %d",
                                  RS_NN_GRIFFIN_PATTERN_MAX, (int)np);
    memcpy(c.pattern, pat, np + 1);
    c.heads =
        (int)rs_lua_opt_int_field(L, 1, fn, "heads", c.heads, 1, INT32_MAX);
    c.lru_width =
        (int)rs_lua_opt_int_field(L, 1, fn, "lru_width", 0, 0, INT32_MAX);
    c.window =
        (int)rs_lua_opt_int_field(L, 1, fn, "window", c.window, 0, INT32_MAX);
    c.mlp_mult =
        (int)rs_lua_opt_int_field(L, 1, fn, "mlp_mult", c.mlp_mult, 1, 64);
    c.conv_width = (int)rs_lua_opt_int_field(L, 1, fn, "conv_width",
                                             c.conv_width, 1, INT32_MAX);
    c.rope_base =
        rs_lua_opt_float_field(L, 1, fn, "rope_base", c.rope_base, 0.0f);
    c.soft_cap = rs_lua_opt_float_field(L, 1, fn, "soft_cap", 0.0f, 0.0f);
    c.embed_scale =
        rs_lua_opt_bool_field(L, 1, fn, "embed_scale", c.embed_scale);
    lua_Integer seed =
        rs_lua_opt_int_field(L, 1, fn, "seed", 1, 0, LUA_MAXINTEGER);

    struct lua_gf *b = lua_newuserdatauv(L, sizeof *b, 0);
    memset(b, 0, sizeof *b);
    luaL_setmetatable(L, GF_MT);
    struct rs_rng rng;
    rs_rng_seed(&rng, (uint64_t)seed);
    struct rs_error err = {0};
    b->mod.m = rs_nn_module_griffin(&c, &rng, &err);
    if (b->mod.m == NULL)
        return rs_lua_status_error(L, fn, &err);
    b->gf = rs_nn_module_as_griffin(b->mod.m);
    b->seed = seed;
    return 1;
}

static int
l_griffin_gc(lua_State *L)
{
    struct lua_gf *b = luaL_checkudata(L, 1, GF_MT);
    rs_graph_free(b->mod.g);
    rs_nn_module_release(b->mod.m);
    b->mod.g = NULL;
    b->mod.m = NULL;
    b->gf = NULL;
    return 0;
}

static int
l_griffin_tostring(lua_State *L)
{
    struct lua_gf *b = luaL_checkudata(L, 1, GF_MT);
    if (b->mod.m == NULL) {
        lua_pushliteral(L, "griffin (released)");
        return 1;
    }
    const struct rs_nn_griffin_config *c = rs_nn_griffin_config(b->gf);
    lua_pushfstring(L,
                    "griffin(pattern %s, vocab %d, d %d, %d layers, window %d, "
                    "%d parameters)",
                    c->pattern, c->vocab, c->d, c->layers, c->window,
                    (int)rs_nn_model_numel(rs_nn_griffin_model(b->gf)));
    return 1;
}

/* m:config() -> table of the resolved config */
static int
l_griffin_config(lua_State *L)
{
    struct lua_gf *b = check_self(L, "griffin:config");
    const struct rs_nn_griffin_config *c = rs_nn_griffin_config(b->gf);
    const struct {
        const char *key;
        int v;
    } ints[] = {{"vocab", c->vocab},         {"d", c->d},
                {"layers", c->layers},       {"heads", c->heads},
                {"lru_width", c->lru_width}, {"window", c->window},
                {"mlp_mult", c->mlp_mult},   {"conv_width", c->conv_width}};
    lua_createtable(L, 0, 13); /* cfg */
    for (size_t i = 0; i < RS_ARRAY_LEN(ints); i++) {
        lua_pushinteger(L, ints[i].v);
        lua_setfield(L, -2, ints[i].key);
    }
    lua_pushstring(L, c->pattern);
    lua_setfield(L, -2, "pattern");
    lua_pushnumber(L, (lua_Number)c->rope_base);
    lua_setfield(L, -2, "rope_base");
    lua_pushnumber(L, (lua_Number)c->soft_cap);
    lua_setfield(L, -2, "soft_cap");
    lua_pushboolean(L, c->embed_scale);
    lua_setfield(L, -2, "embed_scale");
    lua_pushinteger(L, b->seed);
    lua_setfield(L, -2, "seed");
    return 1;
}

/* m:params() -> number of scalar parameters */
static int
l_griffin_params(lua_State *L)
{
    struct lua_gf *b = check_self(L, "griffin:params");
    lua_pushinteger(L,
                    (lua_Integer)rs_nn_model_numel(rs_nn_griffin_model(b->gf)));
    return 1;
}

/* m:decoder{batch=1} -> decoder at position 0 */
static int
l_griffin_decoder(lua_State *L)
{
    static const char fn[] = "griffin:decoder";
    struct lua_gf *g = check_self(L, fn);
    if (lua_isnoneornil(L, 2)) {
        lua_settop(L, 1);
        lua_newtable(L);
    }
    rs_lua_check_table(L, 2, fn, "options");
    static const char *const fields[] = {"batch", NULL};
    rs_lua_check_fields(L, 2, fn, fields);
    int B = (int)rs_lua_opt_int_field(L, 2, fn, "batch", 1, 1, 1 << 20);
    struct lua_dec *b = lua_newuserdatauv(L, sizeof *b, 0);
    memset(b, 0, sizeof *b);
    luaL_setmetatable(L, DEC_MT);
    struct rs_error err = {0};
    b->dec = rs_nn_griffin_decoder_new(g->gf, B, &err);
    if (b->dec == NULL)
        return rs_lua_status_error(L, fn, &err);
    rs_nn_module_retain(g->mod.m);
    b->m = g->mod.m;
    return 1;
}

/* ---- the decoder ----------------------------------------------------- */

static int
l_griffin_dec_gc(lua_State *L)
{
    struct lua_dec *b = luaL_checkudata(L, 1, DEC_MT);
    rs_nn_griffin_decoder_free(b->dec);
    rs_nn_module_release(b->m);
    b->dec = NULL;
    b->m = NULL;
    return 0;
}

static int
l_griffin_dec_tostring(lua_State *L)
{
    struct lua_dec *b = luaL_checkudata(L, 1, DEC_MT);
    if (b->dec == NULL)
        lua_pushliteral(L, "decoder (released)");
    else
        lua_pushfstring(L, "decoder(batch %d, position %d, %d state bytes)",
                        rs_nn_griffin_decoder_batch(b->dec),
                        (int)rs_nn_griffin_decoder_pos(b->dec),
                        (int)rs_nn_griffin_decoder_state_bytes(b->dec));
    return 1;
}

static int
vocab_of(const struct lua_dec *b)
{
    return rs_nn_griffin_config(rs_nn_module_as_griffin(b->m))->vocab;
}

/* Push the logits of the last step: (V) for batch 1, else (B, V). */
static void
push_logits(lua_State *L, const struct lua_dec *b, const char *fn)
{
    int B = rs_nn_griffin_decoder_batch(b->dec), V = vocab_of(b);
    void **box = rs_lua_new_box(L, RS_LUA_TENSOR_MT);
    struct rs_error err = {0};
    rs_tensor *r =
        B == 1 ? rs_tensor_new1(V, &err) : rs_tensor_new2(B, V, &err);
    if (r == NULL)
        rs_lua_status_error(L, fn, &err);
    memcpy(r->data, rs_nn_griffin_decoder_logits(b->dec),
           (size_t)B * (size_t)V * sizeof *r->data);
    *box = r;
    rs_lua_tensor_made(L, r);
}

/* The token ids of arg (a string: its bytes; a list of integers), checked
 * against vocab, in a scratch userdata pushed on the stack. Sets *T. */
static int *
check_prompt(lua_State *L, int arg, const char *fn, int V, int *T)
{
    if (lua_type(L, arg) == LUA_TSTRING) {
        size_t n;
        const unsigned char *s =
            (const unsigned char *)lua_tolstring(L, arg, &n);
        if (n < 1 || n > INT32_MAX)
            rs_lua_arg_error(L, fn, arg, "prompt",
                             "a non-empty string or list expected");
        int *ids = lua_newuserdatauv(L, n * sizeof *ids, 0);
        for (size_t i = 0; i < n; i++) {
            if (s[i] >= V)
                rs_lua_arg_error(L, fn, arg, "prompt",
                                 "byte %zu is %d, outside the vocab of %d",
                                 i + 1, s[i], V);
            ids[i] = s[i];
        }
        *T = (int)n;
        return ids;
    }
    if (lua_type(L, arg) != LUA_TTABLE)
        rs_lua_type_error(L, fn, arg, "prompt", "string or table");
    lua_Integer n = luaL_len(L, arg);
    if (n < 1 || n > INT32_MAX)
        rs_lua_arg_error(L, fn, arg, "prompt",
                         "a non-empty string or list expected");
    int *ids = lua_newuserdatauv(L, (size_t)n * sizeof *ids, 0);
    for (lua_Integer i = 1; i <= n; i++) {
        int isint = 0;
        lua_Integer v = 0;
        if (lua_geti(L, arg, i) == LUA_TNUMBER)
            v = lua_tointegerx(L, -1, &isint);
        if (!isint)
            rs_lua_arg_error(L, fn, arg, "prompt",
                             "entry %lld: integer expected, got %s",
                             (long long)i, luaL_typename(L, -1));
        if (v < 0 || v >= V)
            rs_lua_arg_error(L, fn, arg, "prompt",
                             "entry %lld: token id %lld outside 0..%d",
                             (long long)i, (long long)v, V - 1);
        lua_pop(L, 1);
        ids[i - 1] = (int)v;
    }
    *T = (int)n;
    return ids;
}

/* dec:prompt(str | ids) -> logits of the next token: the same prompt fed
 * to every row, token by token. */
static int
l_griffin_dec_prompt(lua_State *L)
{
    static const char fn[] = "decoder:prompt";
    struct lua_dec *b = check_dec(L, fn);
    lua_settop(L, 2);
    int T, B = rs_nn_griffin_decoder_batch(b->dec);
    int *ids = check_prompt(L, 2, fn, vocab_of(b), &T);
    int *col = lua_newuserdatauv(L, (size_t)B * sizeof *col, 0);
    struct rs_error err = {0};
    for (int t = 0; t < T; t++) {
        for (int r = 0; r < B; r++)
            col[r] = ids[t];
        if (rs_nn_griffin_decoder_step(b->dec, col, &err) != RS_OK)
            return rs_lua_status_error(L, fn, &err);
    }
    push_logits(L, b, fn);
    return 1;
}

/* dec:step(id | {id per row}) -> logits of the next token */
static int
l_griffin_dec_step(lua_State *L)
{
    static const char fn[] = "decoder:step";
    struct lua_dec *b = check_dec(L, fn);
    int B = rs_nn_griffin_decoder_batch(b->dec), V = vocab_of(b);
    lua_settop(L, 2);
    int *col = lua_newuserdatauv(L, (size_t)B * sizeof *col, 0);
    if (lua_type(L, 2) == LUA_TTABLE) {
        if (luaL_len(L, 2) != B)
            return rs_lua_arg_error(L, fn, 2, "id",
                                    "%d ids expected (one per row), got %lld",
                                    B, (long long)luaL_len(L, 2));
        for (int r = 0; r < B; r++) {
            int isint = 0;
            lua_Integer v = 0;
            if (lua_geti(L, 2, r + 1) == LUA_TNUMBER)
                v = lua_tointegerx(L, -1, &isint);
            if (!isint || v < 0 || v >= V)
                return rs_lua_arg_error(L, fn, 2, "id",
                                        "entry %d: token id in 0..%d "
                                        "expected",
                                        r + 1, V - 1);
            lua_pop(L, 1);
            col[r] = (int)v;
        }
    } else {
        lua_Integer v = rs_lua_check_integer(L, 2, fn, "id");
        if (v < 0 || v >= V)
            return rs_lua_arg_error(L, fn, 2, "id",
                                    "token id %lld outside 0..%d", (long long)v,
                                    V - 1);
        for (int r = 0; r < B; r++)
            col[r] = (int)v;
    }
    struct rs_error err = {0};
    if (rs_nn_griffin_decoder_step(b->dec, col, &err) != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    push_logits(L, b, fn);
    return 1;
}

/* dec:sample{n=, temperature=1, seed=} -> the n bytes drawn (a string;
 * a list of B strings for batch > 1), each fed back: the decoder ends n
 * positions on. Needs a prompt first (the first draw reads its logits). */
static int
l_griffin_dec_sample(lua_State *L)
{
    static const char fn[] = "decoder:sample";
    struct lua_dec *b = check_dec(L, fn);
    rs_lua_check_table(L, 2, fn, "options");
    lua_settop(L, 2);
    static const char *const fields[] = {"n", "temperature", "seed", NULL};
    rs_lua_check_fields(L, 2, fn, fields);
    if (!rs_lua_has_field(L, 2, "n"))
        return luaL_error(L, "%s: field 'n' is required", fn);
    int n = (int)rs_lua_opt_int_field(L, 2, fn, "n", 0, 0, INT32_MAX);
    float tau = rs_lua_opt_float_field(L, 2, fn, "temperature", 1.0f, 0.0f);
    struct rs_rng *rng = rs_lua_builder_rng(L, 2, fn);
    int B = rs_nn_griffin_decoder_batch(b->dec), V = vocab_of(b);
    if (V > 256)
        return luaL_error(L, "%s: the vocab of %d is not bytes (at most 256)",
                          fn, V);
    if (rs_nn_griffin_decoder_pos(b->dec) == 0)
        return luaL_error(L, "%s: nothing to continue (give a prompt first)",
                          fn);
    char *out = lua_newuserdatauv(L, (size_t)B * (size_t)n + 1, 0);
    int *col = lua_newuserdatauv(L, (size_t)B * sizeof *col, 0);
    struct rs_error err = {0};
    for (int i = 0; i < n; i++) {
        const float *lg = rs_nn_griffin_decoder_logits(b->dec);
        for (int r = 0; r < B; r++) {
            col[r] = rs_nn_griffin_sample(lg + (size_t)r * V, V, tau, rng);
            out[(size_t)r * n + i] = (char)col[r];
        }
        if (rs_nn_griffin_decoder_step(b->dec, col, &err) != RS_OK)
            return rs_lua_status_error(L, fn, &err);
    }
    if (B == 1) {
        lua_pushlstring(L, out, (size_t)n);
        return 1;
    }
    lua_createtable(L, B, 0); /* ... list */
    for (int r = 0; r < B; r++) {
        lua_pushlstring(L, out + (size_t)r * n, (size_t)n);
        lua_rawseti(L, -2, r + 1);
    }
    return 1;
}

static int
l_griffin_dec_state_bytes(lua_State *L)
{
    struct lua_dec *b = check_dec(L, "decoder:state_bytes");
    lua_pushinteger(L, (lua_Integer)rs_nn_griffin_decoder_state_bytes(b->dec));
    return 1;
}

static int
l_griffin_dec_pos(lua_State *L)
{
    struct lua_dec *b = check_dec(L, "decoder:pos");
    lua_pushinteger(L, (lua_Integer)rs_nn_griffin_decoder_pos(b->dec));
    return 1;
}

static int
l_griffin_dec_reset(lua_State *L)
{
    struct lua_dec *b = check_dec(L, "decoder:reset");
    rs_nn_griffin_decoder_reset(b->dec);
    return 0;
}

static const luaL_Reg gf_methods[] = {
    {"config", l_griffin_config},
    {"params", l_griffin_params},
    {"decoder", l_griffin_decoder},
    {NULL, NULL},
};

static const luaL_Reg gf_meta[] = {
    {"__gc", l_griffin_gc},
    {"__close", l_griffin_gc},
    {"__tostring", l_griffin_tostring},
    {NULL, NULL},
};

static const luaL_Reg dec_methods[] = {
    {"prompt", l_griffin_dec_prompt},
    {"step", l_griffin_dec_step},
    {"sample", l_griffin_dec_sample},
    {"state_bytes", l_griffin_dec_state_bytes},
    {"pos", l_griffin_dec_pos},
    {"reset", l_griffin_dec_reset},
    {"release", l_griffin_dec_gc},
    {NULL, NULL},
};

static const luaL_Reg dec_meta[] = {
    {"__gc", l_griffin_dec_gc},
    {"__close", l_griffin_dec_gc},
    {"__tostring", l_griffin_dec_tostring},
    {NULL, NULL},
};

void
rs_lua_open_griffin(lua_State *L)
{
    /* nn */
    luaL_newmetatable(L, DEC_MT); /* nn dmt */
    luaL_setfuncs(L, dec_meta, 0);
    luaL_newlib(L, dec_methods);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    /* the model's methods, then every module method */
    luaL_newmetatable(L, GF_MT); /* nn mt */
    luaL_setfuncs(L, gf_meta, 0);
    luaL_newlib(L, gf_methods); /* nn mt methods */
    lua_pushcfunction(L, l_griffin_gc);
    lua_setfield(L, -2, "release");
    lua_createtable(L, 0, 1); /* nn mt methods up */
    luaL_getmetatable(L, RS_LUA_MODULE_MT);
    lua_getfield(L, -1, "__index"); /* nn mt methods up mmt mmethods */
    lua_setfield(L, -3, "__index");
    lua_pop(L, 1);
    lua_setmetatable(L, -2);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1); /* nn */
    lua_pushcfunction(L, l_griffin_new);
    lua_setfield(L, -2, "griffin");
}
