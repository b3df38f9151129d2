/* repscope - MIT licence, see COPYING.
 *
 * ops_impl.h: what op implementations (ops_*.c) and the graph share: the
 * node record, the op table and the helpers a builder uses. Not for callers
 * of the engine; they use core/ops.h and core/graph.h.
 *
 * Writing an op (doc/design.md, "Recipes"): static
 * <name>_forward/<name>_backward kernels with llm.c signatures (out first,
 * then inputs, then dims), wrapped by node-level functions in an exported
 * `const struct rs_op_def rs_op_def_<name>`, a row in rs_ops[] (ops.c), a
 * builder in core/ops.h, and a finite-difference case in tests/.
 *
 * A builder: validate (rs_graph_fail on error, returning NULL), allocate the
 * output with rs_graph_tensor, then rs_graph_node + fill node->p, and return
 * rs_graph_record(g, node), which runs rs_ops[op].forward, rounds the output
 * to the graph precision and pushes the node on the tape if needed.
 * Backward accumulates: `float *dx = rs_graph_grad(g, x)` (zeroed on first
 * use) only when x->requires_grad.
 */
#ifndef RS_CORE_OPS_IMPL_H
#define RS_CORE_OPS_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base.h"
#include "core/graph.h"
#include "core/rng.h"
#include "core/tensor.h"

#define RS_OP_MAX_SRC 5

enum rs_op {
    RS_OP_MATMUL,
    RS_OP_LINEAR,
    RS_OP_ADD,
    RS_OP_SUB,
    RS_OP_MUL,
    RS_OP_DIV,
    RS_OP_SCALE,
    RS_OP_ADD_SCALAR,
    RS_OP_RELU,
    RS_OP_LEAKY_RELU,
    RS_OP_GELU,
    RS_OP_TANH,
    RS_OP_SIGMOID,
    RS_OP_SOFTPLUS,
    RS_OP_EXP,
    RS_OP_LOG,
    RS_OP_SQRT,
    RS_OP_SQUARE,
    RS_OP_SUM,
    RS_OP_MEAN,
    RS_OP_SOFTMAX,
    RS_OP_LOG_SOFTMAX,
    RS_OP_CROSS_ENTROPY,
    RS_OP_MSE,
    RS_OP_LAYERNORM,
    RS_OP_RMSNORM,
    RS_OP_EMBEDDING,
    RS_OP_CONCAT,
    RS_OP_SLICE,
    RS_OP_RESHAPE,
    RS_OP_DROPOUT,
    RS_OP_ATTENTION,
    RS_OP_ROPE,
    RS_OP_RGLRU,
    RS_OP_CONV_CAUSAL,
    RS_OP_BLOCKDIAG,
    RS_OP_SOFTCAP,
    RS_OP_MINMAX_NORM,
    RS_OP_THRESHOLD,
    RS_OP_NORMALIZE_SUM,
    RS_OP_NORMALIZE_L2,
    RS_OP_PICK,
    RS_OP_CLAMP,
    RS_OP_MINIMUM,
    RS_OP_ROPE_HALF,
    RS_OP_MQA,
    RS_OP_COUNT
};

/* Typed per-op parameters (never an int array cast, unlike ggml). */
union rs_op_params {
    struct {
        bool trans_a, trans_b;
    } matmul;
    struct {
        float v; /* scale factor, added scalar, leaky slope, soft cap */
    } scalar;
    struct {
        float eps;
    } norm;
    struct {
        int *targets;  /* arena copy, one per row */
        float *mask;   /* arena copy or NULL */
        double weight; /* sum of mask (or rows) */
    } ce;
    struct {
        int *ids; /* arena copy */
    } embed;
    struct {
        int start, len;
    } slice;
    struct {
        int heads, window;
        float *alibi; /* arena copy, one slope per head, or NULL */
    } attn;
    struct {
        int heads;
    } rope;
    struct {
        uint8_t *reset; /* arena copy, one per (b, t), or NULL */
    } rglru;
    struct {
        uint8_t *reset; /* arena copy, one per (b, t), or NULL */
    } conv;
    struct {
        float p;
        struct rs_rng *rng;
    } dropout;
    struct {
        int *idx; /* arena copy, one per row */
    } pick;
    struct {
        float lo, hi;
    } clamp;
    struct {
        int heads, rot_dims;
    } rope_half;
    struct {
        int heads, window; /* window 0: global */
    } mqa;
};

struct rs_node {
    enum rs_op op;
    int nsrc;
    rs_tensor *src[RS_OP_MAX_SRC]; /* NULL-padded; may be NULL (no bias) */
    rs_tensor *out;
    union rs_op_params p;
    void *saved; /* forward-time scratch for backward (arena) */
};

struct rs_op_def {
    const char *name;
    /* Compute n->out->data from the sources; may set n->saved. */
    void (*forward)(rs_graph *g, struct rs_node *n);
    /* Accumulate into the grads of the sources that require them, from
     * n->out->grad. */
    void (*backward)(rs_graph *g, struct rs_node *n);
};

/* The op table: one row per enum rs_op (ops.c). */
extern const struct rs_op_def *const rs_ops[RS_OP_COUNT];

/* Builder helpers (graph.c). */
/* True if the graph already failed or any of the n inputs is NULL (then the
 * builder returns NULL without doing anything). */
bool rs_graph_skip(rs_graph *g, int n, rs_tensor *const *inputs);
/* A node for op with output out and nsrc sources (copied). */
struct rs_node *rs_graph_node(rs_graph *g, enum rs_op op, rs_tensor *out,
                              int nsrc, rs_tensor *const *src);
/* Run forward, round to the graph precision, push on the tape when grads
 * are on and a source requires grad (then out->requires_grad). Returns
 * out. */
rs_tensor *rs_graph_record(rs_graph *g, struct rs_node *n);
/* t's gradient buffer: the parameter's own, or a zeroed arena buffer made
 * on first use for a temporary. */
float *rs_graph_grad(rs_graph *g, rs_tensor *t);
/* Arena scratch valid until reset (uninitialised / zeroed). */
void *rs_graph_alloc(rs_graph *g, size_t bytes);
void *rs_graph_calloc(rs_graph *g, size_t bytes);
/* Arena tensor whose data aliases existing storage (reshape): no copy. */
rs_tensor *rs_graph_alias(rs_graph *g, float *data, int ndim,
                          const int *shape);

/* Largest multiple of 16 floats <= n (one AVX-512 register, four SSE):
 * kernel loops bounded by it vectorise at gcc -O2, a scalar tail does the
 * rest. The bound must be computed before the loop: `i < (n & ~15)` in the
 * loop condition is not recognised as a multiple of the width. These
 * helpers are RS_VEC_INLINE so each RS_VEC_CLONES copy gets its own. */
static RS_VEC_INLINE size_t
rs_vec_floor(size_t n)
{
    return n & ~(size_t)15;
}

/* dst += src over n floats (gradient accumulation). */
static RS_VEC_INLINE void
rs_vec_acc(float *restrict dst, const float *restrict src, size_t n)
{
    size_t i, nv = rs_vec_floor(n);
    for (i = 0; i < nv; i++)
        dst[i] += src[i];
    for (; i < n; i++)
        dst[i] += src[i];
}

/* Sum of n floats in double: four running sums (a fixed order, so the
 * result is deterministic) to break the add latency chain. */
static RS_VEC_INLINE double
rs_vec_sum_double(const float *restrict x, size_t n)
{
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    size_t i, n4 = n & ~(size_t)3;
    for (i = 0; i < n4; i += 4) {
        s0 += (double)x[i];
        s1 += (double)x[i + 1];
        s2 += (double)x[i + 2];
        s3 += (double)x[i + 3];
    }
    for (; i < n; i++)
        s0 += (double)x[i];
    return (s0 + s1) + (s2 + s3);
}

/* Exported op definitions, one per op file row. */
extern const struct rs_op_def rs_op_def_matmul, rs_op_def_linear;
extern const struct rs_op_def rs_op_def_add, rs_op_def_sub, rs_op_def_mul,
    rs_op_def_div, rs_op_def_scale, rs_op_def_add_scalar, rs_op_def_relu,
    rs_op_def_leaky_relu, rs_op_def_gelu, rs_op_def_tanh, rs_op_def_sigmoid,
    rs_op_def_softplus, rs_op_def_exp, rs_op_def_log, rs_op_def_sqrt,
    rs_op_def_square;
extern const struct rs_op_def rs_op_def_sum, rs_op_def_mean,
    rs_op_def_softmax, rs_op_def_log_softmax, rs_op_def_cross_entropy,
    rs_op_def_mse;
extern const struct rs_op_def rs_op_def_layernorm, rs_op_def_rmsnorm;
extern const struct rs_op_def rs_op_def_embedding, rs_op_def_concat,
    rs_op_def_slice, rs_op_def_reshape, rs_op_def_dropout;
extern const struct rs_op_def rs_op_def_attention, rs_op_def_rope;
extern const struct rs_op_def rs_op_def_rglru, rs_op_def_conv_causal,
    rs_op_def_blockdiag, rs_op_def_softcap;
extern const struct rs_op_def rs_op_def_minmax_norm, rs_op_def_threshold,
    rs_op_def_normalize_sum, rs_op_def_normalize_l2;
extern const struct rs_op_def rs_op_def_pick, rs_op_def_clamp,
    rs_op_def_minimum;
extern const struct rs_op_def rs_op_def_rope_half, rs_op_def_mqa;

#endif /* RS_CORE_OPS_IMPL_H */
