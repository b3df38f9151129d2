/* PLACEHOLDER: replaced by the implementation. */
#include "config.h"

#include "core/ops.h"
#include "core/ops_impl.h"

const struct rs_op_def rs_op_def_layernorm = {.name = "layernorm"};
const struct rs_op_def rs_op_def_rmsnorm = {.name = "rmsnorm"};

rs_tensor *
rs_op_layernorm(rs_graph *g, rs_tensor *x, rs_tensor *gamma, rs_tensor *beta, float eps)
{
    (void)x;
    (void)gamma;
    (void)beta;
    (void)eps;
    rs_graph_fail(g, RS_EINVAL, "layernorm: not implemented yet");
    return NULL;
}

rs_tensor *
rs_op_rmsnorm(rs_graph *g, rs_tensor *x, rs_tensor *gamma, float eps)
{
    (void)x;
    (void)gamma;
    (void)eps;
    rs_graph_fail(g, RS_EINVAL, "rmsnorm: not implemented yet");
    return NULL;
}
