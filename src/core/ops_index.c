/* PLACEHOLDER: replaced by the implementation. */
#include "config.h"

#include "core/ops.h"
#include "core/ops_impl.h"

const struct rs_op_def rs_op_def_embedding = {.name = "embedding"};
const struct rs_op_def rs_op_def_concat = {.name = "concat"};
const struct rs_op_def rs_op_def_slice = {.name = "slice"};
const struct rs_op_def rs_op_def_reshape = {.name = "reshape"};
const struct rs_op_def rs_op_def_dropout = {.name = "dropout"};

rs_tensor *
rs_op_embedding(rs_graph *g, rs_tensor *table, const int *ids, int ndim, const int *shape)
{
    (void)table;
    (void)ids;
    (void)ndim;
    (void)shape;
    rs_graph_fail(g, RS_EINVAL, "embedding: not implemented yet");
    return NULL;
}

rs_tensor *
rs_op_concat(rs_graph *g, rs_tensor *a, rs_tensor *b)
{
    (void)a;
    (void)b;
    rs_graph_fail(g, RS_EINVAL, "concat: not implemented yet");
    return NULL;
}

rs_tensor *
rs_op_slice(rs_graph *g, rs_tensor *x, int start, int len)
{
    (void)x;
    (void)start;
    (void)len;
    rs_graph_fail(g, RS_EINVAL, "slice: not implemented yet");
    return NULL;
}

rs_tensor *
rs_op_reshape(rs_graph *g, rs_tensor *x, int ndim, const int *shape)
{
    (void)x;
    (void)ndim;
    (void)shape;
    rs_graph_fail(g, RS_EINVAL, "reshape: not implemented yet");
    return NULL;
}

rs_tensor *
rs_op_dropout(rs_graph *g, rs_tensor *x, float p, struct rs_rng *rng)
{
    (void)x;
    (void)p;
    (void)rng;
    rs_graph_fail(g, RS_EINVAL, "dropout: not implemented yet");
    return NULL;
}
