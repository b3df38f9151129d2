/* repscope - MIT licence, see COPYING.
 *
 * ops_blockdiag.c: the block-diagonal linear of the RG-LRU gates
 * ("Griffin", De et al., arXiv 2402.19427; RecurrentGemma's
 * BlockDiagonalLinear, arXiv 2404.07839). The last dim of x is H blocks
 * of w; block h has its own (w, w) matrix:
 *
 *     y[n, h, j] = sum_i x[n, h, i] W[h, i, j] + b[h w + j]
 *
 * which is a dense (H w, H w) linear with zeros off the diagonal blocks,
 * for H times fewer products. With X_h, Y_h the (N, w) column blocks (row
 * stride H w) each block is one GEMM, and so is each gradient:
 *
 *     Y_h = X_h W_h + b_h,   dX_h += dY_h W_h^T,   dW_h += X_h^T dY_h,
 *     db_h += column sums of dY_h
 *
 * all through rs_blas_sgemm with strides (no copies of the blocks). The
 * layout is the code's (W (H, in, out), applied as x W), not nn.Linear's.
 * Worker thread only.
 */
#include "config.h"

#include "core/ops.h"

#include <limits.h>

#include "core/blas.h"
#include "core/ops_impl.h"

static void
blockdiag_forward(float *out,        /* (N, H w) */
                  const float *x,    /* (N, H w) */
                  const float *W,    /* (H, w, w) */
                  const float *bias, /* (H w) or NULL */
                  int N, int H, int w)
{
    int ld = H * w;
    for (int h = 0; h < H; h++) {
        size_t off = (size_t)h * (size_t)w;
        rs_blas_sgemm_bias(false, false, N, w, w, x + off, ld,
                           W + off * (size_t)w, w,
                           bias != NULL ? bias + off : NULL, out + off, ld);
    }
}

static void
blockdiag_backward(float *dx,         /* (N, H w) or NULL */
                   float *dW,         /* (H, w, w) or NULL */
                   float *dbias,      /* (H w) or NULL */
                   const float *dout, /* (N, H w) */
                   const float *x,    /* (N, H w) */
                   const float *W,    /* (H, w, w) */
                   int N, int H, int w)
{
    int ld = H * w;
    for (int h = 0; h < H; h++) {
        size_t off = (size_t)h * (size_t)w;
        const float *dy = dout + off, *Wh = W + off * (size_t)w;
        if (dx != NULL)
            rs_blas_sgemm(false, true, N, w, w, 1.0f, dy, ld, Wh, w, 1.0f,
                          dx + off, ld);
        if (dW != NULL)
            rs_blas_sgemm(true, false, w, w, N, 1.0f, x + off, ld, dy, ld, 1.0f,
                          dW + off * (size_t)w, w);
    }
    if (dbias != NULL)
        for (int r = 0; r < N; r++)
            rs_vec_acc(dbias, dout + (size_t)r * (size_t)ld, (size_t)ld);
}

static float *
grad_or_null(rs_graph *g, rs_tensor *t)
{
    return t != NULL && t->requires_grad ? rs_graph_grad(g, t) : NULL;
}

static void
node_blockdiag_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    const rs_tensor *x = n->src[0], *W = n->src[1], *b = n->src[2];
    blockdiag_forward(n->out->data, x->data, W->data,
                      b != NULL ? b->data : NULL, (int)rs_tensor_rows(x),
                      W->shape[0], W->shape[1]);
}

static void
node_blockdiag_backward(rs_graph *g, struct rs_node *n)
{
    rs_tensor *x = n->src[0], *W = n->src[1];
    blockdiag_backward(grad_or_null(g, x), grad_or_null(g, W),
                       grad_or_null(g, n->src[2]), n->out->grad, x->data,
                       W->data, (int)rs_tensor_rows(x), W->shape[0],
                       W->shape[1]);
}

const struct rs_op_def rs_op_def_blockdiag = {
    .name = "blockdiag",
    .forward = node_blockdiag_forward,
    .backward = node_blockdiag_backward,
};

rs_tensor *
rs_op_blockdiag(rs_graph *g, rs_tensor *x, rs_tensor *W, rs_tensor *b)
{
    rs_tensor *req[2] = {x, W};
    if (rs_graph_skip(g, 2, req))
        return NULL;
    char buf[64], buf2[64];
    if (W->ndim != 3 || W->shape[1] != W->shape[2]) {
        rs_graph_fail(g, RS_ESHAPE, "blockdiag: W %s is not (H, w, w)",
                      rs_tensor_shape_str(W, buf, sizeof buf));
        return NULL;
    }
    int H = W->shape[0], w = W->shape[1];
    if (x->ndim < 1 || (long)rs_tensor_cols(x) != (long)H * w) {
        rs_graph_fail(g, RS_ESHAPE,
                      "blockdiag: x %s does not end in H w = %d (W %s)",
                      rs_tensor_shape_str(x, buf, sizeof buf), H * w,
                      rs_tensor_shape_str(W, buf2, sizeof buf2));
        return NULL;
    }
    if (rs_tensor_rows(x) > INT_MAX) {
        rs_graph_fail(g, RS_ESHAPE, "blockdiag: %zu rows exceed INT_MAX",
                      rs_tensor_rows(x));
        return NULL;
    }
    if (b != NULL && b->numel != (size_t)H * (size_t)w) {
        rs_graph_fail(g, RS_ESHAPE,
                      "blockdiag: b has %zu elements, expected H w = %d",
                      b->numel, H * w);
        return NULL;
    }
    rs_tensor *out = rs_graph_tensor(g, x->ndim, x->shape);
    if (out == NULL)
        return NULL;
    rs_tensor *src[3] = {x, W, b};
    struct rs_node *n = rs_graph_node(g, RS_OP_BLOCKDIAG, out, 3, src);
    return rs_graph_record(g, n);
}
