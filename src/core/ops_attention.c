/* PLACEHOLDER: replaced by the implementation. */
#include "config.h"

#include "core/ops.h"
#include "core/ops_impl.h"

const struct rs_op_def rs_op_def_attention = {.name = "attention"};

rs_tensor *
rs_op_attention(rs_graph *g, rs_tensor *qkv, int heads, int window)
{
    (void)qkv;
    (void)heads;
    (void)window;
    rs_graph_fail(g, RS_EINVAL, "attention: not implemented yet");
    return NULL;
}

rs_tensor *
rs_op_attention_probs(rs_graph *g, rs_tensor *out)
{
    (void)out;
    rs_graph_fail(g, RS_EINVAL, "attention_probs: not implemented yet");
    return NULL;
}
