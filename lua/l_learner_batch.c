/* repscope - MIT licence, see COPYING.
 *
 * l_learner_batch.c: batches in and out of a learner handle (l_learner.c
 * registers these methods):
 *
 *   l:step_on(x, labels) -> loss   one step on a caller batch of features
 *   l:next_batch() -> batch        the next training batch as a table
 *   l:apply(loss)                  the optimiser step after a backward
 *                                  written in Lua (rs.graph)
 *   l:fisher{batches=, rows=0} -> {tensors}   the diagonal Fisher of the
 *                                  objective's loss, one tensor per
 *                                  trained parameter in registry order
 *                                  (module:param_names()'s; rows 1:
 *                                  per-example gradients; 0: the
 *                                  learner's batch size)
 *
 * and rs_lua_push_batch, the batch as Lua sees it (also what
 * rs.objective.lua's function gets). Worker thread only.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "algo/learner.h"
#include "data/source.h"
#include "nn/model.h"
#include "lua/bind.h"

static rs_learner *
check_self(lua_State *L, const char *fn)
{
    return rs_lua_check_learner(L, 1, fn, "self");
}

/* l:step_on(x, labels) -> loss: one step on a caller batch of features
 * x (n, width) and 0-based labels (a list of n integers). */
static int
l_learner_step_on(lua_State *L)
{
    static const char fn[] = "learner:step_on";
    rs_learner *l = check_self(L, fn);
    rs_tensor *x = rs_lua_check_tensor(L, 2, fn, "x");
    rs_lua_check_table(L, 3, fn, "labels");
    struct rs_source_info si;
    rs_source_info(rs_learner_source(l), &si);
    if (si.ninputs != 1 || si.kind[0] != RS_NN_INPUT_FEATURES)
        return luaL_error(L,
                          "%s: the learner's data is not one input of "
                          "features",
                          fn);
    int in = si.width[0];
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
        if (!isint)
            return rs_lua_arg_error(L, fn, 3, "labels",
                                    "entry %d is not an integer", i + 1);
        if (v < 0 || (si.classes > 0 && v >= si.classes))
            return luaL_error(L, "%s: label %I of example %d outside 0..%d", fn,
                              v, i + 1, si.classes - 1);
        y[i] = (int)v;
    }
    /* the batch points at GC-owned memory: no C allocation to leak */
    struct rs_batch b;
    rs_batch_init(&b);
    b.n = n;
    b.ninputs = 1;
    b.in[0].kind = RS_NN_INPUT_FEATURES;
    b.in[0].width = in;
    b.in[0].x = x->data;
    b.y = y;
    struct rs_learner_stats st;
    struct rs_error err = {0};
    int rc = rs_learner_step_batch(l, &b, &st, &err);
    if (rc != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    lua_pushnumber(L, st.loss);
    return 1;
}

/* Push a batch as a table: n, y (0-based labels or nil) and per input
 * x / x2 (features, an (n, width) tensor) or ids / ids2 (tokens, a list
 * of n lists of 0-based ids). */
void
rs_lua_push_batch(lua_State *L, const struct rs_batch *b, const char *fn)
{
    lua_createtable(L, 0, 4);
    lua_pushinteger(L, b->n);
    lua_setfield(L, -2, "n");
    for (int i = 0; i < b->ninputs; i++) {
        const struct rs_batch_input *in = &b->in[i];
        if (in->kind == RS_NN_INPUT_FEATURES) {
            void **box = rs_lua_new_box(L, RS_LUA_TENSOR_MT);
            struct rs_error err = {0};
            rs_tensor *t = rs_tensor_new2(b->n, in->width, &err);
            if (t == NULL)
                rs_lua_status_error(L, fn, &err);
            memcpy(t->data, in->x,
                   (size_t)b->n * (size_t)in->width * sizeof(float));
            *box = t;
            rs_lua_tensor_made(L, t);
            lua_setfield(L, -2, i == 0 ? "x" : "x2");
        } else {
            lua_createtable(L, b->n, 0);
            for (int r = 0; r < b->n; r++) {
                lua_createtable(L, in->width, 0);
                const int *row = in->ids + (size_t)r * (size_t)in->width;
                for (int t = 0; t < in->width; t++) {
                    lua_pushinteger(L, row[t]);
                    lua_rawseti(L, -2, t + 1);
                }
                lua_rawseti(L, -2, r + 1);
            }
            lua_setfield(L, -2, i == 0 ? "ids" : "ids2");
        }
    }
    if (b->y != NULL) {
        lua_createtable(L, b->n, 0);
        for (int r = 0; r < b->n; r++) {
            lua_pushinteger(L, b->y[r]);
            lua_rawseti(L, -2, r + 1);
        }
        lua_setfield(L, -2, "y");
    }
}

/* l:next_batch() -> the next training batch (advances the sampler) */
static int
l_learner_next_batch(lua_State *L)
{
    static const char fn[] = "learner:next_batch";
    rs_learner *l = check_self(L, fn);
    const struct rs_batch *b = NULL;
    struct rs_error err = {0};
    if (rs_learner_next_batch(l, &b, &err) != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    rs_lua_push_batch(L, b, fn);
    return 1;
}

/* l:apply(loss): the optimiser step after a caller's backward; loss is a
 * number, a one-element tensor, or a scalar graph tensor (rs.graph). */
static int
l_learner_apply(lua_State *L)
{
    static const char fn[] = "learner:apply";
    rs_learner *l = check_self(L, fn);
    double loss;
    if (lua_type(L, 2) == LUA_TNUMBER) {
        loss = lua_tonumber(L, 2);
    } else if (lua_type(L, 2) == LUA_TUSERDATA &&
               rs_lua_test_box(L, 2, RS_LUA_TENSOR_MT) == NULL &&
               luaL_getmetafield(L, 2, "__index") != LUA_TNIL) {
        /* a graph tensor (rs.graph): its value through loss:item() */
        lua_pop(L, 1);
        lua_getfield(L, 2, "item");
        if (!lua_isfunction(L, -1))
            return rs_lua_type_error(L, fn, 2, "loss", "number or tensor");
        lua_pushvalue(L, 2);
        lua_call(L, 1, 1);
        if (lua_type(L, -1) != LUA_TNUMBER)
            return rs_lua_type_error(L, fn, 2, "loss", "number or tensor");
        loss = lua_tonumber(L, -1);
    } else {
        rs_tensor *t = rs_lua_check_tensor(L, 2, fn, "loss");
        if (t->numel != 1)
            return rs_lua_arg_error(L, fn, 2, "loss",
                                    "a one-element tensor expected");
        loss = t->data[0];
    }
    struct rs_error err = {0};
    if (rs_learner_apply(l, loss, &err) != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    return 0;
}

/* l:fisher{batches=, rows=0} -> list of tensors */
static int
l_learner_fisher(lua_State *L)
{
    static const char fn[] = "learner:fisher";
    static const char *const fields[] = {"batches", "rows", NULL};
    rs_learner *l = check_self(L, fn);
    rs_lua_check_table(L, 2, fn, "config");
    rs_lua_check_fields(L, 2, fn, fields);
    if (!rs_lua_has_field(L, 2, "batches"))
        return luaL_error(L, "%s: field 'batches' is required", fn);
    int batches =
        (int)rs_lua_opt_int_field(L, 2, fn, "batches", 1, 1, 1000000);
    int rows = (int)rs_lua_opt_int_field(L, 2, fn, "rows", 0, 0, 65536);
    int np = rs_nn_model_count(rs_learner_params(l));
    rs_tensor **f = rs_xcalloc((size_t)np + 1, sizeof *f);
    struct rs_error err = {0};
    if (rs_learner_fisher(l, batches, rows, f, &err) != RS_OK) {
        free(f);
        return rs_lua_status_error(L, fn, &err);
    }
    lua_createtable(L, np, 0);
    for (int i = 0; i < np; i++) {
        rs_lua_push_tensor(L, f[i]); /* retains */
        rs_tensor_release(f[i]);
        lua_rawseti(L, -2, i + 1);
    }
    free(f);
    return 1;
}

void
rs_lua_learner_batch_methods(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"step_on", l_learner_step_on},
        {"next_batch", l_learner_next_batch},
        {"apply", l_learner_apply},
        {"fisher", l_learner_fisher},
        {NULL, NULL},
    };
    luaL_setfuncs(L, methods, 0);
}
