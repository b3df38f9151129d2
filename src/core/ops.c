/* repscope - MIT licence, see COPYING.
 *
 * ops.c: the op table. One row per enum rs_op; the kernels live in the
 * ops_*.c file named in core/ops.h and are reached only through here.
 */
#include "config.h"

#include "core/ops_impl.h"

const struct rs_op_def *const rs_ops[RS_OP_COUNT] = {
    [RS_OP_MATMUL] = &rs_op_def_matmul,
    [RS_OP_LINEAR] = &rs_op_def_linear,
    [RS_OP_ADD] = &rs_op_def_add,
    [RS_OP_SUB] = &rs_op_def_sub,
    [RS_OP_MUL] = &rs_op_def_mul,
    [RS_OP_DIV] = &rs_op_def_div,
    [RS_OP_SCALE] = &rs_op_def_scale,
    [RS_OP_ADD_SCALAR] = &rs_op_def_add_scalar,
    [RS_OP_RELU] = &rs_op_def_relu,
    [RS_OP_LEAKY_RELU] = &rs_op_def_leaky_relu,
    [RS_OP_GELU] = &rs_op_def_gelu,
    [RS_OP_TANH] = &rs_op_def_tanh,
    [RS_OP_SIGMOID] = &rs_op_def_sigmoid,
    [RS_OP_SOFTPLUS] = &rs_op_def_softplus,
    [RS_OP_EXP] = &rs_op_def_exp,
    [RS_OP_LOG] = &rs_op_def_log,
    [RS_OP_SQRT] = &rs_op_def_sqrt,
    [RS_OP_SQUARE] = &rs_op_def_square,
    [RS_OP_SUM] = &rs_op_def_sum,
    [RS_OP_MEAN] = &rs_op_def_mean,
    [RS_OP_SOFTMAX] = &rs_op_def_softmax,
    [RS_OP_LOG_SOFTMAX] = &rs_op_def_log_softmax,
    [RS_OP_CROSS_ENTROPY] = &rs_op_def_cross_entropy,
    [RS_OP_MSE] = &rs_op_def_mse,
    [RS_OP_LAYERNORM] = &rs_op_def_layernorm,
    [RS_OP_RMSNORM] = &rs_op_def_rmsnorm,
    [RS_OP_EMBEDDING] = &rs_op_def_embedding,
    [RS_OP_CONCAT] = &rs_op_def_concat,
    [RS_OP_SLICE] = &rs_op_def_slice,
    [RS_OP_RESHAPE] = &rs_op_def_reshape,
    [RS_OP_DROPOUT] = &rs_op_def_dropout,
    [RS_OP_ATTENTION] = &rs_op_def_attention,
    [RS_OP_ROPE] = &rs_op_def_rope,
    [RS_OP_RGLRU] = &rs_op_def_rglru,
    [RS_OP_CONV_CAUSAL] = &rs_op_def_conv_causal,
    [RS_OP_BLOCKDIAG] = &rs_op_def_blockdiag,
    [RS_OP_SOFTCAP] = &rs_op_def_softcap,
    [RS_OP_MINMAX_NORM] = &rs_op_def_minmax_norm,
    [RS_OP_THRESHOLD] = &rs_op_def_threshold,
    [RS_OP_NORMALIZE_SUM] = &rs_op_def_normalize_sum,
    [RS_OP_NORMALIZE_L2] = &rs_op_def_normalize_l2,
    [RS_OP_PICK] = &rs_op_def_pick,
    [RS_OP_CLAMP] = &rs_op_def_clamp,
    [RS_OP_MINIMUM] = &rs_op_def_minimum,
    [RS_OP_ROPE_HALF] = &rs_op_def_rope_half,
    [RS_OP_MQA] = &rs_op_def_mqa,
};
