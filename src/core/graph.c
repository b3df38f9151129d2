/* repscope - MIT licence, see COPYING.
 *
 * graph.c: the tape, sticky errors and backward walk. Node records, arena
 * tensors and their gradients all live in the step arena; the tape is a
 * growable array of node pointers kept across resets (so steady-state steps
 * do not allocate). Worker thread only.
 */
#include "config.h"

#include "core/graph.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ops_impl.h"

struct rs_graph {
    rs_arena *arena;
    struct rs_node **tape;
    size_t ntape, captape;
    bool grad_on;
    enum rs_prec prec;
    struct rs_error err;
};

rs_graph *
rs_graph_new(void)
{
    rs_graph *g = rs_xcalloc(1, sizeof *g);
    g->arena = rs_arena_new(1 << 20);
    g->captape = 256;
    g->tape = rs_xreallocarray(NULL, g->captape, sizeof *g->tape);
    g->grad_on = true;
    g->prec = RS_PREC_F32;
    return g;
}

void
rs_graph_free(rs_graph *g)
{
    if (g == NULL)
        return;
    rs_arena_free(g->arena);
    free(g->tape);
    free(g);
}

void
rs_graph_reset(rs_graph *g)
{
    rs_arena_reset(g->arena);
    g->ntape = 0;
    rs_error_clear(&g->err);
}

void
rs_graph_set_grad(rs_graph *g, bool on)
{
    g->grad_on = on;
}

bool
rs_graph_grad_enabled(const rs_graph *g)
{
    return g->grad_on;
}

void
rs_graph_set_precision(rs_graph *g, enum rs_prec prec)
{
    g->prec = prec;
}

enum rs_prec
rs_graph_precision(const rs_graph *g)
{
    return g->prec;
}

const struct rs_error *
rs_graph_error(const rs_graph *g)
{
    return &g->err;
}

size_t
rs_graph_nodes(const rs_graph *g)
{
    return g->ntape;
}

rs_arena *
rs_graph_arena(rs_graph *g)
{
    return g->arena;
}

bool
rs_graph_fail(rs_graph *g, int code, const char *fmt, ...)
{
    if (g->err.code != RS_OK)
        return false;
    va_list ap;
    va_start(ap, fmt);
    g->err.code = code;
    vsnprintf(g->err.msg, sizeof g->err.msg, fmt, ap);
    va_end(ap);
    return false;
}

bool
rs_graph_skip(rs_graph *g, int n, rs_tensor *const *inputs)
{
    if (g->err.code != RS_OK)
        return true;
    for (int i = 0; i < n; i++)
        if (inputs[i] == NULL) {
            rs_graph_fail(g, RS_EINVAL, "op input %d is NULL", i);
            return true;
        }
    return false;
}

void *
rs_graph_alloc(rs_graph *g, size_t bytes)
{
    return rs_arena_alloc(g->arena, bytes);
}

void *
rs_graph_calloc(rs_graph *g, size_t bytes)
{
    return rs_arena_calloc(g->arena, bytes);
}

static rs_tensor *
arena_header(rs_graph *g, int ndim, const int *shape)
{
    size_t numel = rs_shape_numel(ndim, shape);
    if (numel == 0) {
        char buf[64] = "";
        size_t off = 0;
        for (int i = 0; i < ndim && i < RS_MAX_DIMS && off < sizeof buf; i++)
            off += (size_t)snprintf(buf + off, sizeof buf - off,
                                    i ? ", %d" : "%d", shape[i]);
        rs_graph_fail(g, RS_ESHAPE, "invalid tensor shape (%s) ndim %d", buf,
                      ndim);
        return NULL;
    }
    rs_tensor *t = rs_arena_calloc(g->arena, sizeof *t);
    t->dtype = RS_DTYPE_F32;
    t->ndim = ndim;
    for (int i = 0; i < RS_MAX_DIMS; i++)
        t->shape[i] = i < ndim ? shape[i] : 1;
    t->numel = numel;
    return t;
}

rs_tensor *
rs_graph_tensor(rs_graph *g, int ndim, const int *shape)
{
    rs_tensor *t = arena_header(g, ndim, shape);
    if (t != NULL)
        t->data = rs_arena_alloc(g->arena, t->numel * sizeof(float));
    return t;
}

rs_tensor *
rs_graph_alias(rs_graph *g, float *data, int ndim, const int *shape)
{
    rs_tensor *t = arena_header(g, ndim, shape);
    if (t != NULL)
        t->data = data;
    return t;
}

rs_tensor *
rs_graph_input(rs_graph *g, int ndim, const int *shape, const float *data)
{
    rs_tensor *t = rs_graph_tensor(g, ndim, shape);
    if (t != NULL)
        memcpy(t->data, data, t->numel * sizeof(float));
    return t;
}

struct rs_node *
rs_graph_node(rs_graph *g, enum rs_op op, rs_tensor *out, int nsrc,
              rs_tensor *const *src)
{
    RS_ASSERT(nsrc >= 0 && nsrc <= RS_OP_MAX_SRC);
    struct rs_node *n = rs_arena_calloc(g->arena, sizeof *n);
    n->op = op;
    n->out = out;
    n->nsrc = nsrc;
    for (int i = 0; i < nsrc; i++)
        n->src[i] = src[i];
    return n;
}

/* An output that shares a source's storage (reshape) was rounded when that
 * source was made; rounding it again would write into the source, which
 * may be a parameter's master weights. */
static bool
aliases_source(const struct rs_node *n)
{
    for (int i = 0; i < n->nsrc; i++)
        if (n->src[i] != NULL && n->src[i]->data == n->out->data)
            return true;
    return false;
}

rs_tensor *
rs_graph_record(rs_graph *g, struct rs_node *n)
{
    RS_ASSERT(n->op < RS_OP_COUNT && rs_ops[n->op]->forward != NULL);
    rs_ops[n->op]->forward(g, n);
    if (g->prec != RS_PREC_F32 && !aliases_source(n))
        rs_prec_round_inplace(n->out->data, n->out->numel, g->prec);
    n->out->node = n;
    bool needs = false;
    if (g->grad_on)
        for (int i = 0; i < n->nsrc; i++)
            if (n->src[i] != NULL && n->src[i]->requires_grad)
                needs = true;
    if (needs) {
        n->out->requires_grad = true;
        if (g->ntape == g->captape) {
            g->captape *= 2;
            g->tape = rs_xreallocarray(g->tape, g->captape, sizeof *g->tape);
        }
        g->tape[g->ntape++] = n;
    }
    return n->out;
}

float *
rs_graph_grad(rs_graph *g, rs_tensor *t)
{
    if (t->grad == NULL) {
        /* Heap tensors that take gradients own their buffer (graph.h). */
        RS_ASSERT(t->refs == 0);
        t->grad = rs_arena_calloc(g->arena, t->numel * sizeof(float));
    }
    return t->grad;
}

void
rs_graph_zero_grads(rs_graph *g)
{
    for (size_t i = 0; i < g->ntape; i++) {
        struct rs_node *n = g->tape[i];
        if (n->out->grad != NULL && n->out->refs == 0)
            memset(n->out->grad, 0, n->out->numel * sizeof(float));
        for (int s = 0; s < n->nsrc; s++) {
            rs_tensor *x = n->src[s];
            if (x != NULL && x->refs == 0 && x->grad != NULL)
                memset(x->grad, 0, x->numel * sizeof(float));
        }
    }
}

static void
backward_walk(rs_graph *g)
{
    for (size_t i = g->ntape; i-- > 0;) {
        struct rs_node *n = g->tape[i];
        if (n->out->grad == NULL)
            continue; /* nothing flowed into this node */
        rs_ops[n->op]->backward(g, n);
    }
}

int
rs_graph_backward_seed(rs_graph *g, rs_tensor *out, const float *seed,
                       struct rs_error *err)
{
    if (g->err.code != RS_OK)
        return rs_error_set(err, g->err.code, "%s", g->err.msg);
    if (out == NULL)
        return rs_error_set(err, RS_EINVAL, "backward: no output tensor");
    if (!out->requires_grad)
        return rs_error_set(err, RS_EINVAL,
                            "backward: output does not depend on any "
                            "tensor that requires grad");
    float *d = rs_graph_grad(g, out);
    for (size_t i = 0; i < out->numel; i++)
        d[i] += seed[i];
    backward_walk(g);
    return RS_OK;
}

int
rs_graph_backward(rs_graph *g, rs_tensor *loss, struct rs_error *err)
{
    if (loss != NULL && loss->numel != 1)
        return rs_error_set(err, RS_EINVAL,
                            "backward: loss has %zu elements, expected a "
                            "scalar",
                            loss->numel);
    const float one = 1.0f;
    return rs_graph_backward_seed(g, loss, &one, err);
}
