/* PLACEHOLDER: replaced by the implementation. */
#include "config.h"

#include "core/ops.h"
#include "core/ops_impl.h"

const struct rs_op_def rs_op_def_add = {.name = "add"};
const struct rs_op_def rs_op_def_sub = {.name = "sub"};
const struct rs_op_def rs_op_def_mul = {.name = "mul"};
const struct rs_op_def rs_op_def_div = {.name = "div"};
const struct rs_op_def rs_op_def_scale = {.name = "scale"};
const struct rs_op_def rs_op_def_add_scalar = {.name = "add_scalar"};
const struct rs_op_def rs_op_def_relu = {.name = "relu"};
const struct rs_op_def rs_op_def_leaky_relu = {.name = "leaky_relu"};
const struct rs_op_def rs_op_def_gelu = {.name = "gelu"};
const struct rs_op_def rs_op_def_tanh = {.name = "tanh"};
const struct rs_op_def rs_op_def_sigmoid = {.name = "sigmoid"};
const struct rs_op_def rs_op_def_softplus = {.name = "softplus"};
const struct rs_op_def rs_op_def_exp = {.name = "exp"};
const struct rs_op_def rs_op_def_log = {.name = "log"};
const struct rs_op_def rs_op_def_sqrt = {.name = "sqrt"};
const struct rs_op_def rs_op_def_square = {.name = "square"};

rs_tensor *
rs_op_add(rs_graph *g, rs_tensor *a, rs_tensor *b)
{
    (void)a;
    (void)b;
    rs_graph_fail(g, RS_EINVAL, "add: not implemented yet");
    return NULL;
}

rs_tensor *
rs_op_sub(rs_graph *g, rs_tensor *a, rs_tensor *b)
{
    (void)a;
    (void)b;
    rs_graph_fail(g, RS_EINVAL, "sub: not implemented yet");
    return NULL;
}

rs_tensor *
rs_op_mul(rs_graph *g, rs_tensor *a, rs_tensor *b)
{
    (void)a;
    (void)b;
    rs_graph_fail(g, RS_EINVAL, "mul: not implemented yet");
    return NULL;
}

rs_tensor *
rs_op_div(rs_graph *g, rs_tensor *a, rs_tensor *b)
{
    (void)a;
    (void)b;
    rs_graph_fail(g, RS_EINVAL, "div: not implemented yet");
    return NULL;
}

rs_tensor *
rs_op_scale(rs_graph *g, rs_tensor *x, float s)
{
    (void)x;
    (void)s;
    rs_graph_fail(g, RS_EINVAL, "scale: not implemented yet");
    return NULL;
}

rs_tensor *
rs_op_add_scalar(rs_graph *g, rs_tensor *x, float s)
{
    (void)x;
    (void)s;
    rs_graph_fail(g, RS_EINVAL, "add_scalar: not implemented yet");
    return NULL;
}

rs_tensor *
rs_op_relu(rs_graph *g, rs_tensor *x)
{
    (void)x;
    rs_graph_fail(g, RS_EINVAL, "relu: not implemented yet");
    return NULL;
}

rs_tensor *
rs_op_leaky_relu(rs_graph *g, rs_tensor *x, float slope)
{
    (void)x;
    (void)slope;
    rs_graph_fail(g, RS_EINVAL, "leaky_relu: not implemented yet");
    return NULL;
}

rs_tensor *
rs_op_gelu(rs_graph *g, rs_tensor *x)
{
    (void)x;
    rs_graph_fail(g, RS_EINVAL, "gelu: not implemented yet");
    return NULL;
}

rs_tensor *
rs_op_tanh(rs_graph *g, rs_tensor *x)
{
    (void)x;
    rs_graph_fail(g, RS_EINVAL, "tanh: not implemented yet");
    return NULL;
}

rs_tensor *
rs_op_sigmoid(rs_graph *g, rs_tensor *x)
{
    (void)x;
    rs_graph_fail(g, RS_EINVAL, "sigmoid: not implemented yet");
    return NULL;
}

rs_tensor *
rs_op_softplus(rs_graph *g, rs_tensor *x)
{
    (void)x;
    rs_graph_fail(g, RS_EINVAL, "softplus: not implemented yet");
    return NULL;
}

rs_tensor *
rs_op_exp(rs_graph *g, rs_tensor *x)
{
    (void)x;
    rs_graph_fail(g, RS_EINVAL, "exp: not implemented yet");
    return NULL;
}

rs_tensor *
rs_op_log(rs_graph *g, rs_tensor *x)
{
    (void)x;
    rs_graph_fail(g, RS_EINVAL, "log: not implemented yet");
    return NULL;
}

rs_tensor *
rs_op_sqrt(rs_graph *g, rs_tensor *x)
{
    (void)x;
    rs_graph_fail(g, RS_EINVAL, "sqrt: not implemented yet");
    return NULL;
}

rs_tensor *
rs_op_square(rs_graph *g, rs_tensor *x)
{
    (void)x;
    rs_graph_fail(g, RS_EINVAL, "square: not implemented yet");
    return NULL;
}
