/* repscope - MIT licence, see COPYING.
 *
 * ops_rglru.c: the Real-Gated Linear Recurrent Unit (RG-LRU) of Hawk and
 * Griffin ("Griffin: Mixing Gated Linear Recurrences with Local Attention
 * for Efficient Language Models", De et al., arXiv 2402.19427), computed
 * as the released RecurrentGemma code does (arXiv 2404.07839, layers.py
 * RGLRU), elementwise over the C channels of (B, T, C) inputs:
 *
 *     gx_t  = sigmoid(px_t)                    input gate
 *     ga_t  = sigmoid(pa_t)                    recurrence gate
 *     sp    = softplus(a_param)                = -log a, per channel
 *     log a_t = -c ga_t sp, c = 8              so a_t = a^(c ga_t)
 *     a_t   = exp(log a_t),  a2_t = exp(2 log a_t)
 *     m_t   = sqrt(1 - a2_t)                   keeps the state's scale
 *     h_t   = a_t h_{t-1} + m_t (x_t gx_t),    y_t = h_t
 *
 * px and pa are the outputs of the two block-diagonal linears
 * (rs_op_blockdiag); x is the conv's output. h_{-1} is h0 (B, C) or 0. At
 * a document start (reset flag of (b, t) set) a_t = 0 and m_t = 1, so
 * h_t = x_t gx_t and nothing of the previous document leaks in.
 *
 * Initialisation (the caller's, stated here because it fixes what a_param
 * means): the released code's, not the paper's. The paper draws a^c
 * uniform in [0.9, 0.999]; the code draws u ~ U[0.81, 0.998], sets
 * a = sqrt(u) and stores a_param = log(1/a - 1), so softplus(a_param) =
 * -log a and a itself (not a^8) lies in [0.9, 0.999].
 *
 * Backward (reverse scan). With dh_t = dL/dh_t in total, i.e. the
 * output's gradient plus what flows back from t + 1:
 *
 *     dh_t     = dy_t + a_{t+1} dh_{t+1}       (dh_T = 0)
 *     dx_t     = dh_t m_t gx_t
 *     dpx_t    = dh_t m_t x_t gx_t (1 - gx_t)
 *     dlog a_t = dh_t h_{t-1} a_t + dm_t dsqrt(z)/dz (-2 a2_t),
 *                dm_t = dh_t x_t gx_t, z = 1 - a2_t
 *     dpa_t    = dlog a_t (-c sp) ga_t (1 - ga_t)
 *     dsp     += dlog a_t (-c ga_t);  da_param = dsp sigmoid(a_param)
 *     dh0      = a_0 dh_0
 *
 * dsqrt(z)/dz is the code's bounded one, 1 / sqrt(max(4 z, 1e-6)), at most
 * 1000 (SqrtBoundDerivative): when a_t -> 1, z -> 0 and the true derivative
 * 1 / (2 sqrt z) blows up. So the gradient is exactly that of the
 * formula above except where 4 z < 1e-6, i.e. a_t > 0.99999988: there it
 * is the clipped one (finite differences see the true one). At a document
 * start a_t and m_t are constants: no gradient reaches pa, a_param or
 * h_{t-1} from that position.
 *
 * The forward keeps softplus(a_param) (C) in node->saved; the backward
 * recomputes the gates from px, pa (same functions, so the same bits) and
 * reads h_{t-1} from the output, as the sigmoid op reads its output (under
 * a bf16 graph precision that is the rounded h; the scan itself runs in
 * float32 either way). Sequences are independent: the (b) rows run on the
 * pool, a sequence per chunk; dsp is summed per sequence into a (B, C)
 * scratch and then over b in a fixed order, so results do not depend on the
 * thread count. The scan is sequential in t; the channels are where the
 * speed is: every kernel loop runs over C, in blocks of 16 (RS_VEC_CLONES
 * plus the core/vecmath.h functions, which give every vector width and the
 * scalar tail the same bits). rs_rglru_step, the decoder's one-position
 * kernel, calls the same element function and so gives the same bits as
 * the op at that position. Worker thread only.
 */
#include "config.h"

#include "core/ops.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/ops_impl.h"
#include "core/pool.h"
#include "core/vecmath.h"

/* The power c of a_t = a^(c ga_t); 8 in the paper and the code. */
#define LRU_C 8.0f
/* (1000)^-2: the clip of 4 z in the bounded sqrt derivative. */
#define LRU_MIN_4Z 1e-6f
/* Channels per vector block: one AVX-512 register, two AVX2, four SSE.
 * Rows run as blocks with a constant-trip inner loop, which GCC -O2
 * vectorises (an outer time loop keeps it from vectorising a plain loop to
 * a multiple of 16 computed at run time), then a scalar tail of the same
 * code. */
#define LRU_BLOCK 16

/* ---- element functions (shared by the op and rs_rglru_step) ---------- */

/* h_t from h_{t-1} away from a document start; sp = softplus(a_param). */
static RS_VEC_INLINE float
lru_elem(float hp, float x, float pa, float px, float sp)
{
    float gx = rs_vecmath_sigmoidf(px);
    float ga = rs_vecmath_sigmoidf(pa);
    float log_a = -LRU_C * ga * sp;
    float a = rs_vecmath_expf(log_a);
    float a2 = rs_vecmath_expf(log_a + log_a);
    float mult = sqrtf(1.0f - a2);
    return a * hp + mult * (x * gx);
}

/* h_t at a document start: a_t = 0, m_t = 1. */
static RS_VEC_INLINE float
lru_elem_reset(float x, float px)
{
    return x * rs_vecmath_sigmoidf(px);
}

/* ---- forward ------------------------------------------------------------ */

/* One position: h (C) from hp (C, the previous position's h, h0 or
 * zeros). Blocks of 16 channels, then a scalar tail of the same code. */
static RS_VEC_INLINE void
lru_row(float *restrict h, const float *restrict hp, const float *restrict x,
        const float *restrict pa, const float *restrict px,
        const float *restrict sp, int C, bool reset)
{
    size_t c = 0, n = (size_t)C;
    if (reset) {
        for (; c + LRU_BLOCK <= n; c += LRU_BLOCK)
            for (size_t j = c; j < c + LRU_BLOCK; j++)
                h[j] = lru_elem_reset(x[j], px[j]);
        for (; c < n; c++)
            h[c] = lru_elem_reset(x[c], px[c]);
        return;
    }
    for (; c + LRU_BLOCK <= n; c += LRU_BLOCK)
        for (size_t j = c; j < c + LRU_BLOCK; j++)
            h[j] = lru_elem(hp[j], x[j], pa[j], px[j], sp[j]);
    for (; c < n; c++)
        h[c] = lru_elem(hp[c], x[c], pa[c], px[c], sp[c]);
}

/* The scan of sequences [b0, b1): h (B, T, C). hinit is h0 (B, C) or a
 * zero row repeated (stride 0). */
RS_VEC_CLONES static void
rglru_forward(float *restrict h,             /* (B, T, C) */
              const float *restrict x,       /* (B, T, C) */
              const float *restrict pa,      /* (B, T, C) */
              const float *restrict px,      /* (B, T, C) */
              const float *restrict sp,      /* (C) softplus(a_param) */
              const float *restrict hinit,   /* (B, C) or (C) zeros */
              size_t hinit_stride,           /* C, or 0 for the zeros */
              const uint8_t *restrict reset, /* (B, T) or NULL */
              int b0, int b1, int T, int C)
{
    for (int b = b0; b < b1; b++) {
        const float *hp = hinit + (size_t)b * hinit_stride;
        for (int t = 0; t < T; t++) {
            size_t bt = (size_t)b * (size_t)T + (size_t)t;
            size_t row = bt * (size_t)C;
            bool r = reset != NULL && reset[bt] != 0;
            lru_row(h + row, hp, x + row, pa + row, px + row, sp, C, r);
            hp = h + row;
        }
    }
}

/* ---- backward ----------------------------------------------------------- */

/* One position of the reverse scan (see the file comment). carry (C) holds
 * a_{t+1} dh_{t+1} on entry and a_t dh_t on return; dsp (C) accumulates
 * this sequence's dL/dsp. */
static RS_VEC_INLINE void
lru_back_elem(float *restrict dx, float *restrict dpa, float *restrict dpx,
              float *restrict dsp, float *restrict carry, float dy, float hp,
              float x, float pa, float px, float sp)
{
    float d = dy + *carry;
    float gx = rs_vecmath_sigmoidf(px);
    float ga = rs_vecmath_sigmoidf(pa);
    float log_a = -LRU_C * ga * sp;
    float a = rs_vecmath_expf(log_a);
    float a2 = rs_vecmath_expf(log_a + log_a);
    float mult = sqrtf(1.0f - a2);
    /* h = a hp + mult (x gx) */
    *dx += d * mult * gx;
    *dpx += d * mult * x * (gx * (1.0f - gx));
    /* mult = sqrt(z), z = 1 - exp(2 log_a): dz/dlog_a = -2 a2 */
    float z4 = 4.0f * (1.0f - a2);
    z4 = rs_vecmath_select(z4 < LRU_MIN_4Z, LRU_MIN_4Z, z4);
    float dmult = d * (x * gx);
    float dlog_a = d * hp * a - dmult / sqrtf(z4) * (2.0f * a2);
    /* log_a = -c ga sp */
    *dpa += dlog_a * (-LRU_C * sp) * (ga * (1.0f - ga));
    *dsp += dlog_a * (-LRU_C * ga);
    *carry = d * a;
}

/* The same at a document start: h = x gx, constants a = 0, mult = 1. */
static RS_VEC_INLINE void
lru_back_elem_reset(float *restrict dx, float *restrict dpx,
                    float *restrict carry, float dy, float x, float px)
{
    float d = dy + *carry;
    float gx = rs_vecmath_sigmoidf(px);
    *dx += d * gx;
    *dpx += d * x * (gx * (1.0f - gx));
    *carry = 0.0f;
}

static RS_VEC_INLINE void
lru_back_row(float *restrict dx, float *restrict dpa, float *restrict dpx,
             float *restrict dsp, float *restrict carry,
             const float *restrict dy, const float *restrict hp,
             const float *restrict x, const float *restrict pa,
             const float *restrict px, const float *restrict sp, int C,
             bool reset)
{
    size_t c = 0, n = (size_t)C;
    if (reset) {
        for (; c + LRU_BLOCK <= n; c += LRU_BLOCK)
            for (size_t j = c; j < c + LRU_BLOCK; j++)
                lru_back_elem_reset(dx + j, dpx + j, carry + j, dy[j], x[j],
                                    px[j]);
        for (; c < n; c++)
            lru_back_elem_reset(dx + c, dpx + c, carry + c, dy[c], x[c], px[c]);
        return;
    }
    for (; c + LRU_BLOCK <= n; c += LRU_BLOCK)
        for (size_t j = c; j < c + LRU_BLOCK; j++)
            lru_back_elem(dx + j, dpa + j, dpx + j, dsp + j, carry + j, dy[j],
                          hp[j], x[j], pa[j], px[j], sp[j]);
    for (; c < n; c++)
        lru_back_elem(dx + c, dpa + c, dpx + c, dsp + c, carry + c, dy[c],
                      hp[c], x[c], pa[c], px[c], sp[c]);
}

/* Reverse scan of sequences [b0, b1). dx, dpa, dpx accumulate; dsp and
 * carry rows of these sequences are overwritten: dsp[b] = this sequence's
 * dL/dsp, carry[b] = dL/dh0[b] = a_0 dh_0. */
RS_VEC_CLONES static void
rglru_backward(float *restrict dx,          /* (B, T, C) */
               float *restrict dpa,         /* (B, T, C) */
               float *restrict dpx,         /* (B, T, C) */
               float *restrict dsp,         /* (B, C) */
               float *restrict carry,       /* (B, C) */
               const float *restrict dout,  /* (B, T, C) */
               const float *restrict h,     /* (B, T, C) forward output */
               const float *restrict x,     /* (B, T, C) */
               const float *restrict pa,    /* (B, T, C) */
               const float *restrict px,    /* (B, T, C) */
               const float *restrict sp,    /* (C) */
               const float *restrict hinit, /* as rglru_forward */
               size_t hinit_stride,
               const uint8_t *restrict reset, /* (B, T) or NULL */
               int b0, int b1, int T, int C)
{
    for (int b = b0; b < b1; b++) {
        float *cb = carry + (size_t)b * (size_t)C;
        float *sb = dsp + (size_t)b * (size_t)C;
        memset(cb, 0, (size_t)C * sizeof(float));
        memset(sb, 0, (size_t)C * sizeof(float));
        for (int t = T - 1; t >= 0; t--) {
            size_t bt = (size_t)b * (size_t)T + (size_t)t;
            size_t row = bt * (size_t)C;
            const float *hp =
                t > 0 ? h + row - (size_t)C : hinit + (size_t)b * hinit_stride;
            bool r = reset != NULL && reset[bt] != 0;
            lru_back_row(dx + row, dpa + row, dpx + row, sb, cb, dout + row, hp,
                         x + row, pa + row, px + row, sp, C, r);
        }
    }
}

/* ---- nodes --------------------------------------------------------------- */

/* The sources: x, pa, px, a_param, h0 (or NULL). */
enum { SRC_X, SRC_PA, SRC_PX, SRC_A, SRC_H0, SRC_N };

struct lru_job {
    float *h, *dx, *dpa, *dpx, *dsp, *carry;
    const float *dout, *x, *pa, *px, *sp, *hinit;
    size_t hinit_stride;
    const uint8_t *reset;
    int B, T, C, nchunks;
};

static void
lru_span(const struct lru_job *j, int c, int *b0, int *b1)
{
    *b0 = (int)((long)c * j->B / j->nchunks);
    *b1 = (int)((long)(c + 1) * j->B / j->nchunks);
}

static void
lru_forward_chunk(void *ctx, int c)
{
    const struct lru_job *j = ctx;
    int b0, b1;
    lru_span(j, c, &b0, &b1);
    rglru_forward(j->h, j->x, j->pa, j->px, j->sp, j->hinit, j->hinit_stride,
                  j->reset, b0, b1, j->T, j->C);
}

static void
lru_backward_chunk(void *ctx, int c)
{
    const struct lru_job *j = ctx;
    int b0, b1;
    lru_span(j, c, &b0, &b1);
    rglru_backward(j->dx, j->dpa, j->dpx, j->dsp, j->carry, j->dout, j->h, j->x,
                   j->pa, j->px, j->sp, j->hinit, j->hinit_stride, j->reset, b0,
                   b1, j->T, j->C);
}

/* The job's shape and chunking: a sequence per chunk when the work holds
 * at least two grains of transcendental math, else one chunk. */
static void
lru_job_init(struct lru_job *j, rs_graph *g, const struct rs_node *n)
{
    const rs_tensor *x = n->src[SRC_X], *h0 = n->src[SRC_H0];
    memset(j, 0, sizeof *j);
    j->B = x->shape[0];
    j->T = x->shape[1];
    j->C = x->shape[2];
    j->x = x->data;
    j->pa = n->src[SRC_PA]->data;
    j->px = n->src[SRC_PX]->data;
    j->sp = n->saved;
    j->reset = n->p.rglru.reset;
    j->h = n->out->data;
    if (h0 != NULL) {
        j->hinit = h0->data;
        j->hinit_stride = (size_t)j->C;
    } else {
        j->hinit = rs_graph_calloc(g, (size_t)j->C * sizeof(float));
        j->hinit_stride = 0;
    }
    j->nchunks = x->numel >= 2 * (size_t)RS_POOL_GRAIN_MATH ? j->B : 1;
}

static void
node_rglru_forward(rs_graph *g, struct rs_node *n)
{
    const rs_tensor *ap = n->src[SRC_A];
    float *sp = rs_graph_alloc(g, ap->numel * sizeof(float));
    rs_vecmath_softplus(sp, ap->data, ap->numel);
    n->saved = sp;
    struct lru_job j;
    lru_job_init(&j, g, n);
    rs_pool_run(j.nchunks, lru_forward_chunk, &j);
}

/* t's gradient buffer, or zeroed arena scratch of n floats when t takes
 * none (the kernel writes every gradient; the scratch is dropped). */
static float *
grad_or_scratch(rs_graph *g, rs_tensor *t, size_t n)
{
    if (t != NULL && t->requires_grad)
        return rs_graph_grad(g, t);
    return rs_graph_calloc(g, n * sizeof(float));
}

static void
node_rglru_backward(rs_graph *g, struct rs_node *n)
{
    rs_tensor *x = n->src[SRC_X], *ap = n->src[SRC_A], *h0 = n->src[SRC_H0];
    struct lru_job j;
    lru_job_init(&j, g, n);
    size_t BC = (size_t)j.B * (size_t)j.C;
    j.dout = n->out->grad;
    j.dx = grad_or_scratch(g, x, x->numel);
    j.dpa = grad_or_scratch(g, n->src[SRC_PA], x->numel);
    j.dpx = grad_or_scratch(g, n->src[SRC_PX], x->numel);
    j.dsp = rs_graph_alloc(g, BC * sizeof(float));
    j.carry = rs_graph_alloc(g, BC * sizeof(float));
    rs_pool_run(j.nchunks, lru_backward_chunk, &j);

    if (ap->requires_grad) {
        /* dsp summed over b in order; d softplus(v)/dv = sigmoid(v). */
        float *da = rs_graph_grad(g, ap);
        for (int c = 0; c < j.C; c++) {
            float s = 0.0f;
            for (int b = 0; b < j.B; b++)
                s += j.dsp[(size_t)b * (size_t)j.C + (size_t)c];
            da[c] += s * rs_vecmath_sigmoidf(ap->data[c]);
        }
    }
    if (h0 != NULL && h0->requires_grad)
        rs_vec_acc(rs_graph_grad(g, h0), j.carry, BC);
}

const struct rs_op_def rs_op_def_rglru = {
    .name = "rglru",
    .forward = node_rglru_forward,
    .backward = node_rglru_backward,
};

/* ---- builder and the decode kernel ------------------------------------- */

rs_tensor *
rs_op_rglru(rs_graph *g, rs_tensor *x, rs_tensor *pa, rs_tensor *px,
            rs_tensor *a_param, rs_tensor *h0, const uint8_t *reset)
{
    rs_tensor *req[4] = {x, pa, px, a_param};
    if (rs_graph_skip(g, 4, req))
        return NULL;
    char buf[64], buf2[64];
    if (x->ndim != 3) {
        rs_graph_fail(g, RS_ESHAPE, "rglru: x %s is not (B, T, C)",
                      rs_tensor_shape_str(x, buf, sizeof buf));
        return NULL;
    }
    if (!rs_tensor_same_shape(pa, x) || !rs_tensor_same_shape(px, x)) {
        const rs_tensor *bad = rs_tensor_same_shape(pa, x) ? px : pa;
        rs_graph_fail(g, RS_ESHAPE, "rglru: %s %s is not x's shape %s",
                      bad == pa ? "pa" : "px",
                      rs_tensor_shape_str(bad, buf, sizeof buf),
                      rs_tensor_shape_str(x, buf2, sizeof buf2));
        return NULL;
    }
    int B = x->shape[0], C = x->shape[2];
    if (a_param->numel != (size_t)C) {
        rs_graph_fail(g, RS_ESHAPE,
                      "rglru: a_param has %zu elements, expected C = %d",
                      a_param->numel, C);
        return NULL;
    }
    if (h0 != NULL && h0->numel != (size_t)B * (size_t)C) {
        rs_graph_fail(g, RS_ESHAPE, "rglru: h0 %s is not (B, C) = (%d, %d)",
                      rs_tensor_shape_str(h0, buf, sizeof buf), B, C);
        return NULL;
    }
    rs_tensor *out = rs_graph_tensor(g, 3, x->shape);
    if (out == NULL)
        return NULL;
    uint8_t *rs = NULL;
    if (reset != NULL) {
        size_t BT = (size_t)B * (size_t)x->shape[1];
        rs = rs_graph_alloc(g, BT);
        memcpy(rs, reset, BT);
    }
    rs_tensor *src[SRC_N] = {x, pa, px, a_param, h0};
    struct rs_node *n = rs_graph_node(g, RS_OP_RGLRU, out, SRC_N, src);
    n->p.rglru.reset = rs;
    return rs_graph_record(g, n);
}

/* softplus is recomputed per element here (the op computes it once per
 * channel with rs_vecmath_softplus, the same function, so the same bits).
 * h is read and written in place, element by element. */
RS_VEC_CLONES void
rs_rglru_step(float *restrict h, const float *restrict x,
              const float *restrict pa, const float *restrict px,
              const float *restrict a_param, int C, bool reset)
{
    size_t c = 0, n = C > 0 ? (size_t)C : 0;
    if (reset) {
        for (; c + LRU_BLOCK <= n; c += LRU_BLOCK)
            for (size_t j = c; j < c + LRU_BLOCK; j++)
                h[j] = lru_elem_reset(x[j], px[j]);
        for (; c < n; c++)
            h[c] = lru_elem_reset(x[c], px[c]);
        return;
    }
    for (; c + LRU_BLOCK <= n; c += LRU_BLOCK)
        for (size_t j = c; j < c + LRU_BLOCK; j++)
            h[j] = lru_elem(h[j], x[j], pa[j], px[j],
                            rs_vecmath_softplusf(a_param[j]));
    for (; c < n; c++)
        h[c] = lru_elem(h[c], x[c], pa[c], px[c],
                        rs_vecmath_softplusf(a_param[c]));
}
