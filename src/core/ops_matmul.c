/* repscope - MIT licence, see COPYING.
 *
 * ops_matmul.c: matmul (2D, batched, batched a with a shared 2D b; every
 * transpose combination) and linear (x @ w^T + bias, PyTorch's layout),
 * forward and backward, all through rs_blas_sgemm.
 *
 * Backward accumulates (GEMM beta = 1) into the source gradients, and
 * only for sources that require grad (a data batch never gets a dX GEMM).
 * A temporary whose gradient does not exist yet gets it from the first
 * GEMM that writes it, with beta = 0 into uninitialised arena memory
 * (grad_for_gemm), which saves rs_graph_grad's zeroing pass and the GEMM's
 * read of it. Linear's bias is fused into its forward GEMM. Dimensions are
 * checked against INT_MAX in the builders, so the kernels take int dims
 * and compute offsets in size_t. Worker thread only.
 */
#include "config.h"

#include "core/ops.h"

#include <limits.h>
#include <stddef.h>

#include "core/blas.h"
#include "core/ops_impl.h"
#include "core/pool.h"
#include "core/sparse.h"

/* ---- matmul ------------------------------------------------------------ */

/* The dims of one matmul node: batch copies of (M, K) @ (K, N). */
struct mm_dims {
    int batch, M, K, N;
    bool shared_b; /* b is 2D and used by every batch */
};

static void
mm_dims_of(const struct rs_node *n, struct mm_dims *d)
{
    const rs_tensor *a = n->src[0], *b = n->src[1];
    bool ta = n->p.matmul.trans_a, tb = n->p.matmul.trans_b;
    int na = a->ndim;
    d->M = ta ? a->shape[na - 1] : a->shape[na - 2];
    d->K = ta ? a->shape[na - 2] : a->shape[na - 1];
    d->N = tb ? b->shape[b->ndim - 2] : b->shape[b->ndim - 1];
    d->batch = 1;
    for (int i = 0; i < na - 2; i++)
        d->batch *= a->shape[i];
    d->shared_b = b->ndim == 2;
}

/* out (batch, M, N) = op(a) (batch, M, K) @ op(b) ((batch,) K, N). */
static void
matmul_forward(float *out, const float *a, const float *b,
               const struct mm_dims *d, bool ta, bool tb)
{
    int lda = ta ? d->M : d->K, ldb = tb ? d->K : d->N;
    if (d->shared_b && !ta) {
        /* The batch folds into the rows: one GEMM. */
        rs_blas_sgemm(false, tb, d->batch * d->M, d->N, d->K, 1.0f, a, lda, b,
                      ldb, 0.0f, out, d->N);
        return;
    }
    size_t sa = (size_t)d->M * (size_t)d->K;
    size_t sb = d->shared_b ? 0 : (size_t)d->K * (size_t)d->N;
    size_t so = (size_t)d->M * (size_t)d->N;
    for (int i = 0; i < d->batch; i++)
        rs_blas_sgemm(ta, tb, d->M, d->N, d->K, 1.0f, a + i * sa, lda,
                      b + i * sb, ldb, 0.0f, out + i * so, d->N);
}

/* C = op(A) op(B): dop(A) = dC op(B)^T, dop(B) = op(A)^T dC; a stored
 * transposed takes the transpose of that: dA = op(B) dC^T, dB = dC^T op(A).
 * da/db may be NULL (no grad wanted); ba/bb are the GEMM betas: 1 adds to
 * the buffer, 0 overwrites a fresh one (grad_for_gemm). */
static void
matmul_backward(float *da, float ba, float *db, float bb, const float *dout,
                const float *a, const float *b, const struct mm_dims *d,
                bool ta, bool tb)
{
    int M = d->M, N = d->N, K = d->K;
    int lda = ta ? M : K, ldb = tb ? K : N;
    if (d->shared_b && !ta) {
        int R = d->batch * M;
        if (da != NULL) /* dA (R, K) += dC (R, N) op(B)^T */
            rs_blas_sgemm(false, !tb, R, K, N, 1.0f, dout, N, b, ldb, ba, da,
                          lda);
        if (db != NULL && !tb) /* dB (K, N) += A^T (K, R) dC (R, N) */
            rs_blas_sgemm(true, false, K, N, R, 1.0f, a, lda, dout, N, bb, db,
                          ldb);
        else if (db != NULL) /* dB (N, K) += dC^T (N, R) A (R, K) */
            rs_blas_sgemm(true, false, N, K, R, 1.0f, dout, N, a, lda, bb, db,
                          ldb);
        return;
    }
    size_t sa = (size_t)M * (size_t)K;
    size_t sb = d->shared_b ? 0 : (size_t)K * (size_t)N;
    size_t so = (size_t)M * (size_t)N;
    for (int i = 0; i < d->batch; i++) {
        const float *ai = a + i * sa, *bi = b + i * sb, *gi = dout + i * so;
        /* a shared dB sums over the batch: only the first may overwrite */
        float bbi = d->shared_b && i > 0 ? 1.0f : bb;
        if (da != NULL && !ta) /* dA (M, K) += dC op(B)^T */
            rs_blas_sgemm(false, !tb, M, K, N, 1.0f, gi, N, bi, ldb, ba,
                          da + i * sa, lda);
        else if (da != NULL) /* dA (K, M) += op(B) (K, N) dC^T (N, M) */
            rs_blas_sgemm(tb, true, K, M, N, 1.0f, bi, ldb, gi, N, ba,
                          da + i * sa, lda);
        if (db != NULL && !tb) /* dB (K, N) += op(A)^T (K, M) dC (M, N) */
            rs_blas_sgemm(!ta, false, K, N, M, 1.0f, ai, lda, gi, N, bbi,
                          db + i * sb, ldb);
        else if (db != NULL) /* dB (N, K) += dC^T (N, M) op(A) (M, K) */
            rs_blas_sgemm(true, ta, N, K, M, 1.0f, gi, N, ai, lda, bbi,
                          db + i * sb, ldb);
    }
}

/* t's gradient buffer for a GEMM that writes every element of it, with the
 * beta to use. A temporary without a gradient yet gets uninitialised arena
 * memory and beta 0 (what rs_graph_grad would do, minus the zeroing pass
 * the GEMM would then read back); anything else rs_graph_grad's buffer and
 * beta 1. NULL (beta 1) if t takes no gradient. Call in the order the
 * GEMMs run: a tensor that is both operands is fresh only for the first. */
static float *
grad_for_gemm(rs_graph *g, rs_tensor *t, float *beta)
{
    *beta = 1.0f;
    if (t == NULL || !t->requires_grad)
        return NULL;
    if (t->grad == NULL && t->refs == 0 && !t->is_param) {
        t->grad = rs_graph_alloc(g, t->numel * sizeof(float));
        *beta = 0.0f;
        return t->grad;
    }
    return rs_graph_grad(g, t);
}

static void
matmul_node_forward(rs_graph *g, struct rs_node *n)
{
    (void)g;
    struct mm_dims d;
    mm_dims_of(n, &d);
    matmul_forward(n->out->data, n->src[0]->data, n->src[1]->data, &d,
                   n->p.matmul.trans_a, n->p.matmul.trans_b);
}

static void
matmul_node_backward(rs_graph *g, struct rs_node *n)
{
    rs_tensor *a = n->src[0], *b = n->src[1];
    struct mm_dims d;
    mm_dims_of(n, &d);
    float ba, bb;
    float *da = grad_for_gemm(g, a, &ba);
    float *db = grad_for_gemm(g, b, &bb);
    matmul_backward(da, ba, db, bb, n->out->grad, a->data, b->data, &d,
                    n->p.matmul.trans_a, n->p.matmul.trans_b);
}

const struct rs_op_def rs_op_def_matmul = {
    .name = "matmul",
    .forward = matmul_node_forward,
    .backward = matmul_node_backward,
};

/* Fail with both shapes in the message. */
static void
fail_shapes(rs_graph *g, const char *op, const char *why, const rs_tensor *a,
            const rs_tensor *b)
{
    char sa[64], sb[64];
    rs_graph_fail(g, RS_ESHAPE, "%s: %s: %s and %s", op, why,
                  rs_tensor_shape_str(a, sa, sizeof sa),
                  rs_tensor_shape_str(b, sb, sizeof sb));
}

rs_tensor *
rs_op_matmul(rs_graph *g, rs_tensor *a, /* (..., M, K) or (..., K, M) */
             rs_tensor *b, /* (K, N) or (..., K, N); (..., N, K) if trans_b */
             bool trans_a, bool trans_b)
{
    rs_tensor *in[2] = {a, b};
    if (rs_graph_skip(g, 2, in))
        return NULL;
    if (a->ndim < 2 || b->ndim < 2) {
        fail_shapes(g, "matmul", "operands need 2 or more dims", a, b);
        return NULL;
    }
    int na = a->ndim;
    int K = trans_a ? a->shape[na - 2] : a->shape[na - 1];
    int Kb = trans_b ? b->shape[b->ndim - 1] : b->shape[b->ndim - 2];
    if (K != Kb) {
        fail_shapes(g, "matmul", "inner dimensions differ", a, b);
        return NULL;
    }
    if (b->ndim != 2) {
        bool same = b->ndim == na;
        for (int i = 0; same && i < na - 2; i++)
            same = a->shape[i] == b->shape[i];
        if (!same) {
            fail_shapes(g, "matmul", "batched b needs a's leading dimensions",
                        a, b);
            return NULL;
        }
    }
    int M = trans_a ? a->shape[na - 1] : a->shape[na - 2];
    int N = trans_b ? b->shape[b->ndim - 2] : b->shape[b->ndim - 1];
    /* Batch folded into rows must stay an int (the shared-b fast path). */
    if (a->numel / (size_t)K > (size_t)INT_MAX) {
        fail_shapes(g, "matmul", "too many rows for a BLAS int", a, b);
        return NULL;
    }
    int shape[RS_MAX_DIMS];
    for (int i = 0; i < na - 2; i++)
        shape[i] = a->shape[i];
    shape[na - 2] = M;
    shape[na - 1] = N;
    rs_tensor *out = rs_graph_tensor(g, na, shape);
    if (out == NULL)
        return NULL;
    struct rs_node *n = rs_graph_node(g, RS_OP_MATMUL, out, 2, in);
    n->p.matmul.trans_a = trans_a;
    n->p.matmul.trans_b = trans_b;
    return rs_graph_record(g, n);
}

/* ---- linear ------------------------------------------------------------ */

/* out (R, OUT) = x (R, IN) @ w (OUT, IN)^T + bias (OUT), the bias fused
 * into the GEMM (rs_blas_sgemm_bias). */
static void
linear_forward(float *out, const float *x, const float *w, const float *bias,
               int R, int IN, int OUT)
{
    rs_blas_sgemm_bias(false, true, R, OUT, IN, x, IN, w, IN, bias, out, OUT);
}

/* Column sums: db (N) += sum over rows of dout (R, N), row stride ld.
 * Blocks of 16 columns keep two 8-float accumulators with constant trip
 * counts, which gcc -O2 vectorises and holds in registers down all R
 * rows. Each column is summed the same way in any block, so the columns
 * can be split at multiples of 16 (bias_grad_piece). */
static void
bias_grad(float *restrict db, const float *restrict dout, int R, int N,
          int ld)
{
    int j = 0;
    for (; j + 16 <= N; j += 16) {
        float a0[8] = {0}, a1[8] = {0};
        for (int r = 0; r < R; r++) {
            const float *row = dout + (size_t)r * (size_t)ld + j;
            for (int i = 0; i < 8; i++)
                a0[i] += row[i];
            for (int i = 0; i < 8; i++)
                a1[i] += row[8 + i];
        }
        for (int i = 0; i < 8; i++) {
            db[j + i] += a0[i];
            db[j + 8 + i] += a1[i];
        }
    }
    for (; j < N; j++) {
        float s = 0.0f;
        for (int r = 0; r < R; r++)
            s += dout[(size_t)r * (size_t)ld + j];
        db[j] += s;
    }
}

/* bias_grad on columns [lo, hi) of dout (R, OUT), for rs_pool_for. */
struct bias_grad_job {
    float *db;
    const float *dout;
    int R, OUT;
};

static void
bias_grad_piece(void *ctx, size_t lo, size_t hi)
{
    const struct bias_grad_job *j = ctx;
    bias_grad(j->db + lo, j->dout + lo, j->R, (int)(hi - lo), j->OUT);
}

/* dx = dout w, dw = dout^T x, dbias = sum_rows dout; each may be NULL;
 * bx/bw are the GEMM betas (grad_for_gemm). */
static void
linear_backward(float *dx, float bx, float *dw, float bw, float *dbias,
                const float *dout, const float *x, const float *w, int R,
                int IN, int OUT)
{
    /* Both GEMMs as one pool job (rs_blas_sgemm_many). */
    struct rs_blas_gemm gs[2];
    int n = 0;
    if (dx != NULL) /* dx (R, IN) += dout (R, OUT) w (OUT, IN) */
        gs[n++] = (struct rs_blas_gemm){
            .M = R, .N = IN, .K = OUT, .alpha = 1.0f, .A = dout, .lda = OUT,
            .B = w, .ldb = IN, .beta = bx, .C = dx, .ldc = IN};
    if (dw != NULL) /* dw (OUT, IN) += dout^T (OUT, R) x (R, IN) */
        gs[n++] = (struct rs_blas_gemm){
            .trans_a = true, .M = OUT, .N = IN, .K = R, .alpha = 1.0f,
            .A = dout, .lda = OUT, .B = x, .ldb = IN, .beta = bw, .C = dw,
            .ldc = IN};
    rs_blas_sgemm_many(gs, n);
    if (dbias != NULL) { /* on the pool, pieces of >= 16384 additions */
        struct bias_grad_job j = {
            .db = dbias, .dout = dout, .R = R, .OUT = OUT};
        size_t grain = (size_t)(16384 / (R > 0 ? R : 1));
        rs_pool_for((size_t)OUT, grain > 16 ? grain : 16, bias_grad_piece,
                    &j);
    }
}

static void
linear_dims(const struct rs_node *n, int *R, int *IN, int *OUT)
{
    const rs_tensor *x = n->src[0], *w = n->src[1];
    *OUT = w->shape[0];
    *IN = w->shape[1];
    *R = (int)(x->numel / (size_t)*IN);
}

/* x packed into n->saved when a linear on it is cheaper over its nonzeros
 * (core/sparse.h); only when x takes no gradient, since dx would be dense
 * anyway. The choice depends on the data only, never on timing. */
static struct rs_sparse_rows *
linear_pack_input(rs_graph *g, const rs_tensor *x, int R, int IN)
{
    if (x->requires_grad || R < 1 || !rs_sparse_rows_worth(x->data, IN))
        return NULL;
    size_t cap = rs_sparse_rows_cap(R, IN);
    struct rs_sparse_rows *s = rs_graph_alloc(g, sizeof *s);
    s->start = rs_graph_alloc(g, ((size_t)R + 1) * sizeof(int));
    s->idx = rs_graph_alloc(g, cap * sizeof(int));
    s->val = rs_graph_alloc(g, cap * sizeof(float));
    return rs_sparse_rows_pack(s, x->data, R, IN) ? s : NULL;
}

/* rs_sparse_rows_linear on rows [lo, hi), for rs_pool_for. */
struct sparse_linear_job {
    float *out;
    const struct rs_sparse_rows *x;
    const float *wt, *bias;
    int OUT;
};

static void
sparse_linear_piece(void *ctx, size_t lo, size_t hi)
{
    const struct sparse_linear_job *j = ctx;
    struct rs_sparse_rows part = *j->x;
    part.rows = (int)(hi - lo);
    part.start += lo;
    rs_sparse_rows_linear(j->out + lo * (size_t)j->OUT, &part, j->wt,
                          j->bias, j->OUT);
}

static void
linear_node_forward(rs_graph *g, struct rs_node *n)
{
    int R, IN, OUT;
    linear_dims(n, &R, &IN, &OUT);
    const rs_tensor *bias = n->src[2];
    const float *b = bias != NULL ? bias->data : NULL;
    struct rs_sparse_rows *s = linear_pack_input(g, n->src[0], R, IN);
    n->saved = s;
    if (s == NULL) {
        linear_forward(n->out->data, n->src[0]->data, n->src[1]->data, b, R,
                       IN, OUT);
        return;
    }
    float *wt = rs_graph_alloc(g, (size_t)IN * (size_t)OUT * sizeof(float));
    rs_blas_transpose(wt, n->src[1]->data, OUT, IN, false);
    struct sparse_linear_job j = {
        .out = n->out->data, .x = s, .wt = wt, .bias = b, .OUT = OUT};
    size_t grain = (size_t)(RS_POOL_GRAIN_MATH / (OUT > 0 ? OUT : 1)) + 1;
    if (rs_pool_threads() > 1)
        rs_pool_for((size_t)R, grain, sparse_linear_piece, &j);
    else
        sparse_linear_piece(&j, 0, (size_t)R);
}

/* rs_sparse_rows_linear_wgrad on outputs [16 lo, 16 hi), for
 * rs_pool_for. */
struct sparse_wgrad_job {
    float *dwt;
    const struct rs_sparse_rows *x;
    const float *dout;
    int OUT;
};

static void
sparse_wgrad_piece(void *ctx, size_t lo, size_t hi)
{
    const struct sparse_wgrad_job *j = ctx;
    int o0 = (int)lo * 16, o1 = (int)hi * 16 < j->OUT ? (int)hi * 16 : j->OUT;
    rs_sparse_rows_linear_wgrad(j->dwt + o0, j->OUT, j->x, j->dout + o0,
                                j->OUT, o1 - o0);
}

/* The backward of a linear whose input was packed (x takes no gradient):
 * dw (OUT, IN) from the transposed product, db as the dense path. */
static void
linear_sparse_backward(rs_graph *g, struct rs_node *n, int IN, int OUT)
{
    rs_tensor *w = n->src[1], *bias = n->src[2];
    const struct rs_sparse_rows *s = n->saved;
    float bw;
    float *dw = grad_for_gemm(g, w, &bw);
    if (dw != NULL) {
        float *dwt =
            rs_graph_calloc(g, (size_t)IN * (size_t)OUT * sizeof(float));
        struct sparse_wgrad_job j = {
            .dwt = dwt, .x = s, .dout = n->out->grad, .OUT = OUT};
        size_t nnz = (size_t)s->start[s->rows];
        size_t per_block = nnz * 16 > 0 ? nnz * 16 : 1;
        size_t blocks = ((size_t)OUT + 15) / 16;
        if (rs_pool_threads() > 1)
            rs_pool_for(blocks, RS_POOL_GRAIN_MATH / per_block + 1,
                        sparse_wgrad_piece, &j);
        else /* the pool's bookkeeping costs a few % here (PPO, 1 thread) */
            sparse_wgrad_piece(&j, 0, blocks);
        rs_blas_transpose(dw, dwt, IN, OUT, bw != 0.0f);
    }
    if (bias != NULL && bias->requires_grad)
        linear_backward(NULL, 1.0f, NULL, 1.0f, rs_graph_grad(g, bias),
                        n->out->grad, NULL, NULL, s->rows, IN, OUT);
}

static void
linear_node_backward(rs_graph *g, struct rs_node *n)
{
    rs_tensor *x = n->src[0], *w = n->src[1], *bias = n->src[2];
    int R, IN, OUT;
    linear_dims(n, &R, &IN, &OUT);
    if (n->saved != NULL) {
        linear_sparse_backward(g, n, IN, OUT);
        return;
    }
    float bx, bw;
    float *dx = grad_for_gemm(g, x, &bx); /* in the order the GEMMs run */
    float *dw = grad_for_gemm(g, w, &bw);
    float *db =
        bias != NULL && bias->requires_grad ? rs_graph_grad(g, bias) : NULL;
    linear_backward(dx, bx, dw, bw, db, n->out->grad, x->data, w->data, R, IN,
                    OUT);
}

const struct rs_op_def rs_op_def_linear = {
    .name = "linear",
    .forward = linear_node_forward,
    .backward = linear_node_backward,
};

rs_tensor *
rs_op_linear(rs_graph *g, rs_tensor *x, /* (..., IN) */
             rs_tensor *w,              /* (OUT, IN) */
             rs_tensor *bias)           /* (OUT) or NULL */
{
    rs_tensor *in[3] = {x, w, bias};
    if (rs_graph_skip(g, 2, in))
        return NULL;
    if (w->ndim != 2 || x->ndim < 1) {
        fail_shapes(g, "linear", "weight must be (OUT, IN)", x, w);
        return NULL;
    }
    int OUT = w->shape[0], IN = w->shape[1];
    if (x->shape[x->ndim - 1] != IN) {
        fail_shapes(g, "linear", "input width differs from weight IN", x, w);
        return NULL;
    }
    if (bias != NULL && (bias->ndim != 1 || bias->shape[0] != OUT)) {
        fail_shapes(g, "linear", "bias must be (OUT)", bias, w);
        return NULL;
    }
    size_t rows = x->numel / (size_t)IN;
    if (rows > (size_t)INT_MAX) {
        fail_shapes(g, "linear", "too many rows for a BLAS int", x, w);
        return NULL;
    }
    int shape[RS_MAX_DIMS];
    for (int i = 0; i < x->ndim - 1; i++)
        shape[i] = x->shape[i];
    shape[x->ndim - 1] = OUT;
    rs_tensor *out = rs_graph_tensor(g, x->ndim, shape);
    if (out == NULL)
        return NULL;
    struct rs_node *n = rs_graph_node(g, RS_OP_LINEAR, out, 3, in);
    return rs_graph_record(g, n);
}
