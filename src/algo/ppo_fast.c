/* repscope - MIT licence, see COPYING.
 *
 * ppo_fast.c: the collection forward of an MLP without the graph. During
 * a rollout the weights do not change, and each forward is a handful of
 * rows (the env's copies): on the graph every such GEMM would transpose
 * the whole weight matrix again (the trans_b path packs B) and record
 * nodes nobody reads. Here each Linear's weight (OUT, IN) is transposed
 * once per rollout into (IN, OUT), and a forward is one GEMM with bias
 * per layer into the driver's buffers plus the activation, computed by
 * the same functions the graph's ops use (core/vecmath.h for tanh and
 * sigmoid, the same comparisons for the ReLUs), so the numbers are the
 * graph's. An MLP with norms or GELU takes the graph (on is false).
 *
 * Buffers grow to the largest shapes seen and are kept: a rollout after
 * the first allocates nothing. Worker thread only.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "algo/ppo_impl.h"
#include "core/blas.h"
#include "core/sparse.h"
#include "core/vecmath.h"
#include "nn/linear.h"
#include "nn/mlp.h"

/* Room for n floats in *buf of capacity *cap. */
static float *
grow(float *buf, size_t *cap, size_t n)
{
    if (n <= *cap)
        return buf;
    *cap = n;
    return rs_xreallocarray(buf, n, sizeof *buf);
}

void
rs_ppo_fast_prepare(struct rs_ppo_fast *f, const rs_nn_module *m, int rows)
{
    const rs_nn_mlp *mlp = rs_nn_module_as_mlp(m);
    const struct rs_nn_mlp_config *c = rs_nn_mlp_config(mlp);
    enum rs_nn_mlp_act a = c->act;
    f->on = c->norm == RS_NN_MLP_NORM_NONE &&
            (a == RS_NN_MLP_ACT_RELU || a == RS_NN_MLP_ACT_LEAKY_RELU ||
             a == RS_NN_MLP_ACT_TANH || a == RS_NN_MLP_ACT_SIGMOID ||
             a == RS_NN_MLP_ACT_IDENTITY);
    if (!f->on)
        return;
    f->mlp = mlp;
    f->act = a;
    f->slope = c->leaky_slope;
    int depth = rs_nn_mlp_depth(mlp);
    size_t total = 0, widest = 0;
    for (int k = 1; k <= depth + 1; k++) {
        const rs_tensor *w = rs_nn_linear_weight(rs_nn_mlp_linear(mlp, k));
        total += w->numel;
        if ((size_t)w->shape[0] > widest)
            widest = (size_t)w->shape[0];
    }
    size_t n = (size_t)rows * widest;
    f->wt = grow(f->wt, &f->cap_wt, total);
    f->pre = grow(f->pre, &f->cap_pre, n);
    f->h[0] = grow(f->h[0], &f->cap_h[0], n);
    f->h[1] = grow(f->h[1], &f->cap_h[1], n);
    f->out = grow(f->out, &f->cap_out, n);
    f->rows = rows;
    /* wt (IN, OUT) = w (OUT, IN)^T, layer after layer */
    float *dst = f->wt;
    for (int k = 1; k <= depth + 1; k++) {
        const rs_tensor *w = rs_nn_linear_weight(rs_nn_mlp_linear(mlp, k));
        rs_blas_transpose(dst, w->data, w->shape[0], w->shape[1], false);
        dst += w->numel;
    }
}

/* The hidden activation of the ops (ops_unary.c): y = act(x), n floats. */
static void
activate(const struct rs_ppo_fast *f, float *y, const float *x, size_t n)
{
    switch (f->act) {
    case RS_NN_MLP_ACT_RELU:
        for (size_t i = 0; i < n; i++)
            y[i] = x[i] > 0.0f ? x[i] : 0.0f;
        break;
    case RS_NN_MLP_ACT_LEAKY_RELU:
        for (size_t i = 0; i < n; i++) {
            float p = x[i] > 0.0f ? x[i] : 0.0f;
            float q = x[i] < 0.0f ? x[i] : 0.0f;
            y[i] = p + f->slope * q;
        }
        break;
    case RS_NN_MLP_ACT_TANH:
        rs_vecmath_tanh(y, x, n);
        break;
    case RS_NN_MLP_ACT_SIGMOID:
        rs_vecmath_sigmoid(y, x, n);
        break;
    case RS_NN_MLP_ACT_IDENTITY:
    case RS_NN_MLP_ACT_GELU: /* never: prepare refuses it */
    case RS_NN_MLP_ACT_COUNT:
        memcpy(y, x, n * sizeof *y);
        break;
    }
}

/* x (n, in) packed into f->packed when the first layer's op would pack
 * it (core/ops_matmul.c): the same products, so the rollout's log-probs
 * and pre-activations are bitwise those of the update's first forward. */
static bool
pack_input(struct rs_ppo_fast *f, const float *x, int n, int in)
{
    if (!rs_sparse_rows_worth(x, in))
        return false;
    size_t cap = rs_sparse_rows_cap(n, in);
    if ((size_t)n + 1 > f->cap_packed_start) {
        f->cap_packed_start = (size_t)n + 1;
        f->packed_start = rs_xreallocarray(f->packed_start,
                                           f->cap_packed_start, sizeof(int));
    }
    if (cap > f->cap_packed) {
        f->packed_idx = rs_xreallocarray(f->packed_idx, cap, sizeof(int));
        f->packed_val = rs_xreallocarray(f->packed_val, cap, sizeof(float));
        f->cap_packed = cap;
    }
    f->packed.start = f->packed_start;
    f->packed.idx = f->packed_idx;
    f->packed.val = f->packed_val;
    return rs_sparse_rows_pack(&f->packed, x, n, in);
}

const float *
rs_ppo_fast_forward(struct rs_ppo_fast *f, const float *x, int n,
                    const float **pre, const float **act)
{
    RS_ASSERT(f->on && n <= f->rows);
    int depth = rs_nn_mlp_depth(f->mlp);
    const float *h = x, *wt = f->wt;
    for (int k = 1; k <= depth + 1; k++) {
        const struct rs_nn_linear *lin = rs_nn_mlp_linear(f->mlp, k);
        const rs_tensor *w = rs_nn_linear_weight(lin);
        const rs_tensor *b = rs_nn_linear_bias(lin);
        int out = w->shape[0], in = w->shape[1];
        float *z = k <= depth ? f->pre : f->out; /* (n, out) */
        const float *bias = b != NULL ? b->data : NULL;
        if (k == 1 && pack_input(f, x, n, in))
            rs_sparse_rows_linear(z, &f->packed, wt, bias, out);
        else
            rs_blas_sgemm_bias(false, false, n, out, in, h, in, wt, out,
                               bias, z, out);
        wt += w->numel;
        if (k <= depth) {
            float *y = f->h[k % 2];
            activate(f, y, z, (size_t)n * (size_t)out);
            h = y;
        }
    }
    *pre = f->pre;
    *act = h;
    return f->out;
}

void
rs_ppo_fast_fini(struct rs_ppo_fast *f)
{
    free(f->wt);
    free(f->pre);
    free(f->h[0]);
    free(f->h[1]);
    free(f->out);
    free(f->packed_start);
    free(f->packed_idx);
    free(f->packed_val);
    memset(f, 0, sizeof *f);
}
