/* repscope - MIT licence, see COPYING.
 *
 * graph_impl.h: what l_graph.c (graph and graph tensor handles, dispatch,
 * the bind.h exports) and l_graph_ops.c (operands and the op table)
 * share. Private to those two files. Worker thread only.
 */
#ifndef RS_LUA_GRAPH_IMPL_H
#define RS_LUA_GRAPH_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "lua/bind.h"

/* The graph handle. g is NULL once released (owned) or invalidated
 * (borrowed); gen counts resets; held lists what the tape borrows. */
struct rs_lua_graph {
    rs_graph *g;
    bool owned;
    uint64_t gen;
    int backwards;      /* backward passes since the last reset */
    rs_tensor **held_t; /* retained heap tensors (params, ...) */
    int nheld_t, capheld_t;
    rs_nn_module **held_m; /* retained modules run by g:forward */
    int nheld_m, capheld_m;
};

/* A graph tensor handle; user value 1 is the graph's userdata. */
struct rs_lua_gtensor {
    struct rs_lua_graph *gr;
    uint64_t gen;
    rs_tensor *t;
};

/* One op call: the graph it runs on, where its userdata sits on the
 * stack, and the Lua name of the function for messages. */
struct rs_lua_graph_call {
    struct rs_lua_graph *gr;
    rs_graph *g;
    int gidx; /* the graph's userdata, or 0: the user value of */
    int via;  /* this graph tensor */
    int top;  /* the last argument */
    const char *fn;
};

/* Each op reads its operands from arg a on (a: the first operand, self
 * for a graph tensor method) and returns the result, NULL on a graph
 * error. */
typedef rs_tensor *(*rs_lua_graph_op_fn)(lua_State *L,
                                         const struct rs_lua_graph_call *c,
                                         int a);

enum rs_lua_graph_binop {
    RS_LUA_GRAPH_ADD,
    RS_LUA_GRAPH_SUB,
    RS_LUA_GRAPH_MUL,
    RS_LUA_GRAPH_DIV
};

/* Where an op may be called: g:<op>(...) and/or x:<op>(...). */
enum rs_lua_graph_on {
    RS_LUA_GRAPH_ON_GRAPH = 1,
    RS_LUA_GRAPH_ON_TENSOR = 2,
    RS_LUA_GRAPH_ON_BOTH = 3
};

struct rs_lua_graph_op {
    const char *name;
    rs_lua_graph_op_fn f;
    enum rs_lua_graph_on on;
    const char *gfn, *tfn; /* "graph:<name>", "graph_tensor:<name>" */
};

/* The ops, in l_graph_ops.c. */
extern const struct rs_lua_graph_op rs_lua_graph_ops[];
extern const size_t rs_lua_graph_nops;

/* ---- l_graph.c --------------------------------------------------------- */
/* The graph tensor at arg, live and of its graph's current generation;
 * raises a type error, "attempt to use a released graph" or "graph tensor
 * from before g:reset()". */
struct rs_lua_gtensor *rs_lua_graph_check_gt(lua_State *L, int arg,
                                             const char *fn, const char *name);
/* Raise "<fn>: <the graph's sticky error>". */
int rs_lua_graph_raise(lua_State *L, const struct rs_lua_graph_call *c);
/* Retain t / m until the graph's next reset (the tape points into them). */
void rs_lua_graph_hold_tensor(struct rs_lua_graph *gr, rs_tensor *t);
void rs_lua_graph_hold_module(struct rs_lua_graph *gr, rs_nn_module *m);

/* ---- l_graph_ops.c ----------------------------------------------------- */
/* a op b for the operands at ia and ib (graph tensors, heap tensors or
 * one number), broadcasting as core/ops.h in either direction. */
rs_tensor *rs_lua_graph_binop(lua_State *L, const struct rs_lua_graph_call *c,
                              int ia, int ib, enum rs_lua_graph_binop op);

#endif /* RS_LUA_GRAPH_IMPL_H */
