/* repscope - MIT licence, see COPYING.
 *
 * l_seqprobe.c: rs.probe's sequence probes for transformers
 * (probe/sensitivity.h, probe/collapse.h; "Transformers need glasses!
 * Information over-squashing in language tasks", arXiv 2406.04267):
 *   rs.probe.sensitivity(tf, ids)  -> S, bound, uniform   (L, T) tensors
 *       S[l][i] = ||d v_l[T-1] / d v0[i]||_F (exact reverse mode), the
 *       Prop. B.8 bound from the model's attention and from uniform
 *       attention
 *   rs.probe.collapse(tf, v, vstar [, prec]) -> {linf=, l1=, ymax=,
 *       resolution=}  last-token distance at prec ('fp32' (default),
 *       'bf16', 'fp16'); resolution = ymax 2^-8 / 2^-11 / 2^-24
 *   rs.probe.attn_tv(tf, x, xstar [, layer]) -> number  (layer 1)
 * Token sequences are Lua sequences of integer ids in [0, vocab), as the
 * transformer takes them. The probes run on one graph per lua_State (a
 * registry userdata, freed with the state), reset by each call; it keeps
 * the probe's last forward, so the transformer's recorded tensors stay
 * valid until the next probe. scene.lua's install adds fields to this
 * same table, so these survive it. Worker thread only.
 */
#include "config.h"

#include "lua/bind.h"
#include "nn/transformer.h"
#include "probe/collapse.h"
#include "probe/sensitivity.h"

#define GRAPH_MT "repscope.seqprobe_graph"

static const char graph_key = 'g';

static int
l_seqprobe_graph_gc(lua_State *L)
{
    rs_graph **box = luaL_checkudata(L, 1, GRAPH_MT);
    rs_graph_free(*box);
    *box = NULL;
    return 0;
}

/* The state's probe graph, made on first use. */
static rs_graph *
probe_graph(lua_State *L)
{
    lua_rawgetp(L, LUA_REGISTRYINDEX, &graph_key); /* box|nil */
    rs_graph **box = lua_touserdata(L, -1);
    lua_pop(L, 1);
    if (box == NULL) {
        box = lua_newuserdatauv(L, sizeof *box, 0); /* box */
        *box = NULL;
        luaL_setmetatable(L, GRAPH_MT);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &graph_key);
        *box = rs_graph_new();
    }
    return *box;
}

/* The ids at arg (a sequence of integers in [0, vocab), 1..ctx of them)
 * into a GC-owned int array pushed on the stack. */
static int *
check_ids(lua_State *L, int arg, const char *fn, const char *name,
          const rs_nn_transformer *tf, int *n)
{
    const struct rs_nn_transformer_config *cfg = rs_nn_transformer_config(tf);
    if (lua_type(L, arg) != LUA_TTABLE)
        rs_lua_type_error(L, fn, arg, name, "sequence of token ids");
    lua_Integer len = luaL_len(L, arg);
    if (len < 1 || len > cfg->ctx)
        rs_lua_arg_error(L, fn, arg, name,
                         "%lld tokens (the model takes 1..%d)", (long long)len,
                         cfg->ctx);
    int *ids = lua_newuserdatauv(L, (size_t)len * sizeof *ids, 0);
    for (lua_Integer i = 1; i <= len; i++) {
        lua_geti(L, arg, i);
        int isint = 0;
        lua_Integer v = lua_tointegerx(L, -1, &isint);
        lua_pop(L, 1);
        if (!isint)
            rs_lua_arg_error(L, fn, arg, name, "entry %lld is not an integer",
                             (long long)i);
        if (v < 0 || v >= cfg->vocab)
            rs_lua_arg_error(L, fn, arg, name,
                             "entry %lld = %lld is outside [0, %d)",
                             (long long)i, (long long)v, cfg->vocab);
        ids[i - 1] = (int)v;
    }
    *n = (int)len;
    return ids;
}

/* A new zero (rows, cols) tensor in a box on the stack. */
static rs_tensor *
push_matrix(lua_State *L, int rows, int cols, const char *fn)
{
    void **box = rs_lua_new_box(L, RS_LUA_TENSOR_MT);
    struct rs_error err = {0};
    rs_tensor *t = rs_tensor_new2(rows, cols, &err);
    if (t == NULL)
        rs_lua_status_error(L, fn, &err);
    *box = t;
    rs_lua_tensor_made(L, t);
    return t;
}

/* rs.probe.sensitivity(tf, ids) -> S, bound, uniform */
static int
l_seqprobe_sensitivity(lua_State *L)
{
    static const char fn[] = "rs.probe.sensitivity";
    rs_nn_transformer *tf = rs_lua_check_transformer(L, 1, fn);
    lua_settop(L, 2); /* tf ids: the scratch ids go above the arguments */
    int T;
    const int *ids = check_ids(L, 2, fn, "ids", tf, &T);
    int layers = rs_nn_transformer_config(tf)->layers;
    rs_tensor *S = push_matrix(L, layers, T, fn);
    rs_tensor *bnd = push_matrix(L, layers, T, fn);
    rs_tensor *uni = push_matrix(L, layers, T, fn); /* ... S bnd uni */
    rs_graph *g = probe_graph(L);
    struct rs_error err = {0};
    if (rs_probe_sensitivity(tf, g, ids, T, S->data, &err) != RS_OK ||
        rs_probe_sensitivity_bound(tf, g, ids, T, bnd->data, &err) != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    rs_probe_sensitivity_bound_uniform(layers, T, uni->data);
    return 3;
}

/* rs.probe.collapse(tf, v, vstar [, prec]) -> {linf, l1, ymax, resolution} */
static int
l_seqprobe_collapse(lua_State *L)
{
    static const char fn[] = "rs.probe.collapse";
    static const char *const names[] = {"fp32", "bf16", "fp16",
                                        "f32",  "f16",  NULL};
    rs_nn_transformer *tf = rs_lua_check_transformer(L, 1, fn);
    lua_settop(L, 4); /* tf v vstar prec: scratch ids go above */
    int p = rs_lua_check_enum(L, 4, fn, "prec", "fp32", names);
    int n, nstar;
    const int *v = check_ids(L, 2, fn, "v", tf, &n);
    const int *vstar = check_ids(L, 3, fn, "vstar", tf, &nstar);
    enum rs_prec prec = (enum rs_prec)rs_prec_parse(names[p]);
    struct rs_probe_collapse c;
    struct rs_error err = {0};
    if (rs_probe_collapse(tf, probe_graph(L), v, n, vstar, nstar, prec, &c,
                          &err) != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    lua_createtable(L, 0, 4); /* ... res */
    lua_pushnumber(L, c.linf);
    lua_setfield(L, -2, "linf");
    lua_pushnumber(L, c.l1);
    lua_setfield(L, -2, "l1");
    lua_pushnumber(L, c.ymax);
    lua_setfield(L, -2, "ymax");
    lua_pushnumber(L, rs_probe_collapse_resolution(c.ymax, prec));
    lua_setfield(L, -2, "resolution");
    return 1;
}

/* rs.probe.attn_tv(tf, x, xstar [, layer]) -> tv */
static int
l_seqprobe_attn_tv(lua_State *L)
{
    static const char fn[] = "rs.probe.attn_tv";
    rs_nn_transformer *tf = rs_lua_check_transformer(L, 1, fn);
    lua_settop(L, 4); /* tf x xstar layer: scratch ids go above */
    int layers = rs_nn_transformer_config(tf)->layers;
    lua_Integer layer = 1;
    if (!lua_isnil(L, 4)) {
        layer = rs_lua_check_integer(L, 4, fn, "layer");
        if (layer < 1 || layer > layers)
            rs_lua_arg_error(L, fn, 4, "layer", "%lld is outside 1..%d",
                             (long long)layer, layers);
    }
    int n, nstar;
    const int *x = check_ids(L, 2, fn, "x", tf, &n);
    const int *xstar = check_ids(L, 3, fn, "xstar", tf, &nstar);
    if (nstar != n)
        rs_lua_arg_error(L, fn, 3, "xstar", "%d tokens, expected %d like x",
                         nstar, n);
    double tv = 0.0;
    struct rs_error err = {0};
    if (rs_probe_collapse_attn_tv(tf, probe_graph(L), x, xstar, n, (int)layer,
                                  &tv, &err) != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    lua_pushnumber(L, tv);
    return 1;
}

void
rs_lua_open_seqprobe(lua_State *L)
{
    static const luaL_Reg funcs[] = {
        {"sensitivity", l_seqprobe_sensitivity},
        {"collapse", l_seqprobe_collapse},
        {"attn_tv", l_seqprobe_attn_tv},
        {NULL, NULL},
    };
    /* probe */
    if (luaL_newmetatable(L, GRAPH_MT)) { /* probe mt */
        lua_pushcfunction(L, l_seqprobe_graph_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);
    luaL_setfuncs(L, funcs, 0);
}
