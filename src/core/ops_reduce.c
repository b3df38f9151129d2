/* PLACEHOLDER: replaced by the implementation. */
#include "config.h"

#include "core/ops.h"
#include "core/ops_impl.h"

const struct rs_op_def rs_op_def_sum = {.name = "sum"};
const struct rs_op_def rs_op_def_mean = {.name = "mean"};
const struct rs_op_def rs_op_def_softmax = {.name = "softmax"};
const struct rs_op_def rs_op_def_log_softmax = {.name = "log_softmax"};
const struct rs_op_def rs_op_def_cross_entropy = {.name = "cross_entropy"};
const struct rs_op_def rs_op_def_mse = {.name = "mse"};

rs_tensor *
rs_op_sum(rs_graph *g, rs_tensor *x)
{
    (void)x;
    rs_graph_fail(g, RS_EINVAL, "sum: not implemented yet");
    return NULL;
}

rs_tensor *
rs_op_mean(rs_graph *g, rs_tensor *x)
{
    (void)x;
    rs_graph_fail(g, RS_EINVAL, "mean: not implemented yet");
    return NULL;
}

rs_tensor *
rs_op_softmax(rs_graph *g, rs_tensor *x)
{
    (void)x;
    rs_graph_fail(g, RS_EINVAL, "softmax: not implemented yet");
    return NULL;
}

rs_tensor *
rs_op_log_softmax(rs_graph *g, rs_tensor *x)
{
    (void)x;
    rs_graph_fail(g, RS_EINVAL, "log_softmax: not implemented yet");
    return NULL;
}

rs_tensor *
rs_op_cross_entropy(rs_graph *g, rs_tensor *logits, const int *targets, const float *mask)
{
    (void)logits;
    (void)targets;
    (void)mask;
    rs_graph_fail(g, RS_EINVAL, "cross_entropy: not implemented yet");
    return NULL;
}

rs_tensor *
rs_op_mse(rs_graph *g, rs_tensor *a, rs_tensor *b)
{
    (void)a;
    (void)b;
    rs_graph_fail(g, RS_EINVAL, "mse: not implemented yet");
    return NULL;
}
