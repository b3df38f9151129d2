/* PLACEHOLDER: replaced by the implementation. */
#include "config.h"

#include "core/ops.h"
#include "core/ops_impl.h"

const struct rs_op_def rs_op_def_matmul = {.name = "matmul"};
const struct rs_op_def rs_op_def_linear = {.name = "linear"};

rs_tensor *
rs_op_matmul(rs_graph *g, rs_tensor *a, rs_tensor *b, bool trans_a, bool trans_b)
{
    (void)a;
    (void)b;
    (void)trans_a;
    (void)trans_b;
    rs_graph_fail(g, RS_EINVAL, "matmul: not implemented yet");
    return NULL;
}

rs_tensor *
rs_op_linear(rs_graph *g, rs_tensor *x, rs_tensor *w, rs_tensor *bias)
{
    (void)x;
    (void)w;
    (void)bias;
    rs_graph_fail(g, RS_EINVAL, "linear: not implemented yet");
    return NULL;
}
