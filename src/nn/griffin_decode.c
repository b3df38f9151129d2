/* repscope - MIT licence, see COPYING.
 *
 * griffin_decode.c: the decoder of nn/griffin.h, one token per row per
 * step with no graph: linears as GEMMs of B rows (core/blas.h), the
 * recurrence and the conv through the ops' own one-step kernels
 * (rs_rglru_step, rs_conv_causal_step: the same bits as the graph ops at
 * that position), RoPE through rs_rope_half_row and attention through
 * rs_mqa_decode over the cached, already rotated keys.
 *
 * State per row (the decoder owns every buffer; one allocation each):
 *   recurrent layer: h (B, lru) and the conv taps (B, K - 1, lru);
 *   attention layer: keys and values (B, cap, hd). With a window, cap =
 *   window and position p writes slot p % window (RecurrentGemma's
 *   _update_attention_cache), so slots 0 .. min(p + 1, window) - 1 hold
 *   exactly the visible keys; with window 0 cap grows by doubling and
 *   slot p holds position p.
 * Sampling: softmax(logits / temperature) in double, one uniform per
 * draw. Worker thread only.
 */
#include "config.h"

#include "nn/griffin.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/blas.h"
#include "core/ops.h"
#include "core/vecmath.h"
#include "nn/griffin_impl.h"

/* First capacity of a growing (window 0) cache, in positions. */
#define GROW_FIRST 64

struct dec_layer {
    float *h;     /* 'R': (B, lru) */
    float *conv;  /* 'R': (B, K - 1, lru), oldest first */
    float *k, *v; /* 'A': (B, cap, hd) */
    int cap;
};

struct rs_nn_griffin_decoder {
    rs_nn_griffin *gf; /* borrowed */
    int B;
    long pos;
    struct dec_layer *lay;
    /* scratch (B, ...) */
    float *x, *n, *t;             /* (B, d) residual, normed, block output */
    float *yb, *u, *uc, *pa, *px; /* (B, lru) */
    float *q, *o, *kv;            /* (B, d), (B, d), (B, 2 hd) */
    float *m1, *m2;               /* (B, M) */
    float *gamma;                 /* (d): 1 + scale */
    float *scores;                /* (cap) of the largest cache */
    int scores_cap;
    float *logits; /* (B, V) */
};

static float *
fzalloc(size_t n)
{
    return rs_xcalloc(n > 0 ? n : 1, sizeof(float));
}

rs_nn_griffin_decoder *
rs_nn_griffin_decoder_new(rs_nn_griffin *gf, int B, struct rs_error *err)
{
    const struct rs_nn_griffin_config *c = &gf->cfg;
    if (B < 1 || B > 1 << 20) {
        rs_error_set(err, RS_EINVAL, "batch = %d (must be in 1..%d)", B,
                     1 << 20);
        return NULL;
    }
    size_t b = (size_t)B, d = (size_t)c->d, L = (size_t)c->lru_width;
    size_t hd = (size_t)(c->d / c->heads), M = (size_t)c->mlp_mult * d;
    rs_nn_griffin_decoder *dec = rs_xcalloc(1, sizeof *dec);
    dec->gf = gf;
    dec->B = B;
    dec->lay = rs_xcalloc((size_t)c->layers, sizeof *dec->lay);
    for (int l = 0; l < c->layers; l++) {
        struct dec_layer *y = &dec->lay[l];
        if (gf->lay[l].kind == 'R') {
            y->h = fzalloc(b * L);
            y->conv = fzalloc(b * (size_t)(c->conv_width - 1) * L);
        } else {
            y->cap = c->window > 0 ? c->window : GROW_FIRST;
            y->k = fzalloc(b * (size_t)y->cap * hd);
            y->v = fzalloc(b * (size_t)y->cap * hd);
            if (y->cap > dec->scores_cap)
                dec->scores_cap = y->cap;
        }
    }
    dec->x = fzalloc(b * d);
    dec->n = fzalloc(b * d);
    dec->t = fzalloc(b * d);
    dec->yb = fzalloc(b * L);
    dec->u = fzalloc(b * L);
    dec->uc = fzalloc(b * L);
    dec->pa = fzalloc(b * L);
    dec->px = fzalloc(b * L);
    dec->q = fzalloc(b * d);
    dec->o = fzalloc(b * d);
    dec->kv = fzalloc(b * 2 * hd);
    dec->m1 = fzalloc(b * M);
    dec->m2 = fzalloc(b * M);
    dec->gamma = fzalloc(d);
    dec->scores = fzalloc((size_t)dec->scores_cap);
    dec->logits = fzalloc(b * (size_t)c->vocab);
    return dec;
}

void
rs_nn_griffin_decoder_free(rs_nn_griffin_decoder *dec)
{
    if (dec == NULL)
        return;
    for (int l = 0; l < dec->gf->cfg.layers; l++) {
        free(dec->lay[l].h);
        free(dec->lay[l].conv);
        free(dec->lay[l].k);
        free(dec->lay[l].v);
    }
    free(dec->lay);
    float *bufs[] = {dec->x,  dec->n,     dec->t,      dec->yb,
                     dec->u,  dec->uc,    dec->pa,     dec->px,
                     dec->q,  dec->o,     dec->kv,     dec->m1,
                     dec->m2, dec->gamma, dec->scores, dec->logits};
    for (size_t i = 0; i < RS_ARRAY_LEN(bufs); i++)
        free(bufs[i]);
    free(dec);
}

void
rs_nn_griffin_decoder_reset(rs_nn_griffin_decoder *dec)
{
    /* The recurrent state is overwritten by the reset at position 0 and
     * the caches are read only below pos: clearing pos is enough; the
     * recurrent buffers are zeroed anyway so nothing stale is visible. */
    const struct rs_nn_griffin_config *c = &dec->gf->cfg;
    size_t b = (size_t)dec->B, L = (size_t)c->lru_width;
    for (int l = 0; l < c->layers; l++)
        if (dec->lay[l].h != NULL) {
            memset(dec->lay[l].h, 0, b * L * sizeof(float));
            memset(dec->lay[l].conv, 0,
                   b * (size_t)(c->conv_width - 1) * L * sizeof(float));
        }
    dec->pos = 0;
}

/* ---- one step ------------------------------------------------------------ */

static const float *
pdata(const rs_nn_griffin *gf, int i)
{
    return rs_nn_model_param(gf->model, i)->data;
}

/* y (B, OUT) = x (B, IN) W^T + b for a linear layer. */
static void
linear(float *y, const float *x, const struct rs_nn_linear *lin, int B)
{
    const rs_tensor *w = rs_nn_linear_weight(lin);
    const rs_tensor *b = rs_nn_linear_bias(lin);
    int out = w->shape[0], in = w->shape[1];
    rs_blas_sgemm_bias(false, true, B, out, in, x, in, w->data, in,
                       b != NULL ? b->data : NULL, y, out);
}

/* y = x / sqrt(mean(x^2) + eps) * (1 + scale) per row of (B, C), as
 * rs_op_rmsnorm with gamma = 1 + scale. */
static void
rmsnorm(float *y, float *gamma, const float *x, const float *scale, int B,
        int C)
{
    for (int c = 0; c < C; c++)
        gamma[c] = scale[c] + 1.0f;
    for (int b = 0; b < B; b++) {
        const float *xb = x + (size_t)b * C;
        float *yb = y + (size_t)b * C;
        float ss = 0.0f;
        for (int c = 0; c < C; c++)
            ss += xb[c] * xb[c];
        float r = 1.0f / sqrtf(ss / (float)C + RS_NN_GRIFFIN_NORM_EPS);
        for (int c = 0; c < C; c++)
            yb[c] = xb[c] * r * gamma[c];
    }
}

/* gelu (tanh form) in place, the formula of rs_op_gelu: x sigmoid(2u),
 * u = sqrt(2/pi) (x + 0.044715 x^3). */
static void
gelu(float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        float u = 0.7978845608028654f * (v + 0.044715f * v * v * v);
        float e = rs_vecmath_exp_negabsf(u + u);
        x[i] = v * ((u >= 0.0f ? 1.0f : e) / (1.0f + e));
    }
}

/* y (B, H w) = x W + b per block, W (H, w, w), as rs_op_blockdiag. */
static void
blockdiag(float *y, const float *x, const float *W, const float *b, int B,
          int H, int w)
{
    int C = H * w;
    for (int h = 0; h < H; h++)
        rs_blas_sgemm(false, false, B, w, w, 1.0f, x + (size_t)h * w, C,
                      W + (size_t)h * w * w, w, 0.0f, y + (size_t)h * w, C);
    for (int r = 0; r < B; r++)
        for (int c = 0; c < C; c++)
            y[(size_t)r * C + c] += b[c];
}

static void
step_recurrent(rs_nn_griffin_decoder *dec, int l)
{
    const rs_nn_griffin *gf = dec->gf;
    const struct rs_nn_griffin_config *c = &gf->cfg;
    const struct gf_rec *r = &gf->lay[l].rec;
    struct dec_layer *s = &dec->lay[l];
    int B = dec->B, L = c->lru_width, K = c->conv_width;
    bool reset = dec->pos == 0;
    linear(dec->yb, dec->n, &r->linear_y, B);
    gelu(dec->yb, (size_t)B * L);
    linear(dec->u, dec->n, &r->linear_x, B);
    for (int b = 0; b < B; b++)
        rs_conv_causal_step(dec->uc + (size_t)b * L,
                            s->conv + (size_t)b * (K - 1) * L,
                            dec->u + (size_t)b * L, pdata(gf, r->conv_w),
                            pdata(gf, r->conv_b), K, L, reset);
    int H = c->heads, w = L / H;
    blockdiag(dec->pa, dec->uc, pdata(gf, r->gate_a_w), pdata(gf, r->gate_a_b),
              B, H, w);
    blockdiag(dec->px, dec->uc, pdata(gf, r->gate_x_w), pdata(gf, r->gate_x_b),
              B, H, w);
    for (int b = 0; b < B; b++) {
        size_t o = (size_t)b * L;
        rs_rglru_step(s->h + o, dec->uc + o, dec->pa + o, dec->px + o,
                      pdata(gf, r->a_param), L, reset);
        for (int j = 0; j < L; j++)
            dec->yb[o + j] *= s->h[o + j];
    }
    linear(dec->t, dec->yb, &r->linear_out, B);
}

/* Make room for position pos in a growing cache; false without memory. */
static bool
grow(rs_nn_griffin_decoder *dec, struct dec_layer *s, int hd)
{
    if (dec->pos < s->cap)
        return true;
    if (s->cap > (1 << 29))
        return false;
    int ncap = s->cap * 2;
    size_t B = (size_t)dec->B, row = (size_t)s->cap * hd;
    size_t nrow = (size_t)ncap * hd;
    float *nk = calloc(B * nrow, sizeof(float));
    float *nv = calloc(B * nrow, sizeof(float));
    float *ns =
        ncap > dec->scores_cap ? calloc((size_t)ncap, sizeof(float)) : NULL;
    if (nk == NULL || nv == NULL || (ncap > dec->scores_cap && ns == NULL)) {
        free(nk);
        free(nv);
        free(ns);
        return false;
    }
    for (size_t b = 0; b < B; b++) {
        memcpy(nk + b * nrow, s->k + b * row, row * sizeof(float));
        memcpy(nv + b * nrow, s->v + b * row, row * sizeof(float));
    }
    free(s->k);
    free(s->v);
    s->k = nk;
    s->v = nv;
    s->cap = ncap;
    if (ns != NULL) {
        free(dec->scores);
        dec->scores = ns;
        dec->scores_cap = ncap;
    }
    return true;
}

static bool
step_attention(rs_nn_griffin_decoder *dec, int l)
{
    const rs_nn_griffin *gf = dec->gf;
    const struct rs_nn_griffin_config *c = &gf->cfg;
    const struct gf_attn *a = &gf->lay[l].attn;
    struct dec_layer *s = &dec->lay[l];
    int B = dec->B, H = c->heads, d = c->d, hd = d / H;
    if (c->window == 0 && !grow(dec, s, hd))
        return false;
    int pos = (int)dec->pos;
    int slot = c->window > 0 ? pos % c->window : pos;
    int n = c->window > 0 && pos + 1 > c->window ? c->window : pos + 1;
    linear(dec->q, dec->n, &a->q, B);
    linear(dec->kv, dec->n, &a->k, B);
    linear(dec->kv + (size_t)B * hd, dec->n, &a->v, B);
    for (int b = 0; b < B; b++) {
        float *qb = dec->q + (size_t)b * d;
        float *kslot = s->k + ((size_t)b * s->cap + slot) * hd;
        float *vslot = s->v + ((size_t)b * s->cap + slot) * hd;
        rs_rope_half_row(qb, qb, H, hd, hd / 2, c->rope_base, pos);
        rs_rope_half_row(kslot, dec->kv + (size_t)b * hd, 1, hd, hd / 2,
                         c->rope_base, pos);
        memcpy(vslot, dec->kv + ((size_t)B + b) * hd,
               (size_t)hd * sizeof(float));
        rs_mqa_decode(dec->o + (size_t)b * d, dec->scores, qb,
                      s->k + (size_t)b * s->cap * hd,
                      s->v + (size_t)b * s->cap * hd, n, H, hd);
    }
    linear(dec->t, dec->o, &a->out, B);
    return true;
}

static void
add_into(float *x, const float *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] += t[i];
}

int
rs_nn_griffin_decoder_step(rs_nn_griffin_decoder *dec, const int *ids,
                           struct rs_error *err)
{
    const rs_nn_griffin *gf = dec->gf;
    const struct rs_nn_griffin_config *c = &gf->cfg;
    int B = dec->B, d = c->d, V = c->vocab, M = c->mlp_mult * d;
    for (int b = 0; b < B; b++)
        if (ids[b] < 0 || ids[b] >= V)
            return rs_error_set(err, RS_EINVAL,
                                "id %d of row %d out of range [0, %d)", ids[b],
                                b, V);
    if (dec->pos >= (long)1 << 30)
        return rs_error_set(err, RS_EINVAL, "position %ld is the last one",
                            dec->pos);
    size_t bd = (size_t)B * d;
    const float *E = pdata(gf, gf->embed);
    float sc = c->embed_scale ? sqrtf((float)d) : 1.0f;
    for (int b = 0; b < B; b++)
        for (int j = 0; j < d; j++)
            dec->x[(size_t)b * d + j] = c->embed_scale
                                            ? E[(size_t)ids[b] * d + j] * sc
                                            : E[(size_t)ids[b] * d + j];
    for (int l = 0; l < c->layers; l++) {
        const struct gf_layer *y = &gf->lay[l];
        rmsnorm(dec->n, dec->gamma, dec->x, pdata(gf, y->tnorm), B, d);
        if (y->kind == 'R') {
            step_recurrent(dec, l);
        } else if (!step_attention(dec, l)) {
            rs_nn_griffin_decoder_reset(dec);
            return rs_error_set(err, RS_ENOMEM,
                                "no memory for the key cache of position "
                                "%ld",
                                dec->pos);
        }
        add_into(dec->x, dec->t, bd);
        rmsnorm(dec->n, dec->gamma, dec->x, pdata(gf, y->cnorm), B, d);
        linear(dec->m1, dec->n, &y->up1, B);
        gelu(dec->m1, (size_t)B * M);
        linear(dec->m2, dec->n, &y->up2, B);
        for (size_t i = 0; i < (size_t)B * M; i++)
            dec->m1[i] *= dec->m2[i];
        linear(dec->t, dec->m1, &y->down, B);
        add_into(dec->x, dec->t, bd);
    }
    rmsnorm(dec->n, dec->gamma, dec->x, pdata(gf, gf->fnorm), B, d);
    /* tied: logits (B, V) = y (B, d) embed (V, d)^T */
    rs_blas_sgemm(false, true, B, V, d, 1.0f, dec->n, d, E, d, 0.0f,
                  dec->logits, V);
    if (c->soft_cap > 0.0f) {
        float cap = c->soft_cap;
        for (size_t i = 0; i < (size_t)B * V; i++)
            dec->logits[i] = cap * rs_vecmath_tanhf(dec->logits[i] / cap);
    }
    dec->pos++;
    return RS_OK;
}

int
rs_nn_griffin_decoder_prompt(rs_nn_griffin_decoder *dec, const int *ids, int T,
                             struct rs_error *err)
{
    int B = dec->B, V = dec->gf->cfg.vocab;
    if (T < 1)
        return rs_error_set(err, RS_EINVAL, "T = %d (must be >= 1)", T);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            int id = ids[(size_t)b * T + t];
            if (id < 0 || id >= V)
                return rs_error_set(err, RS_EINVAL,
                                    "id %d at (%d, %d) out of range [0, %d)",
                                    id, b, t, V);
        }
    int *col = rs_xmalloc((size_t)B * sizeof *col);
    int rc = RS_OK;
    for (int t = 0; t < T && rc == RS_OK; t++) {
        for (int b = 0; b < B; b++)
            col[b] = ids[(size_t)b * T + t];
        rc = rs_nn_griffin_decoder_step(dec, col, err);
    }
    free(col);
    return rc;
}

const float *
rs_nn_griffin_decoder_logits(const rs_nn_griffin_decoder *dec)
{
    return dec->pos > 0 ? dec->logits : NULL;
}

long
rs_nn_griffin_decoder_pos(const rs_nn_griffin_decoder *dec)
{
    return dec->pos;
}

int
rs_nn_griffin_decoder_batch(const rs_nn_griffin_decoder *dec)
{
    return dec->B;
}

size_t
rs_nn_griffin_decoder_state_bytes(const rs_nn_griffin_decoder *dec)
{
    const struct rs_nn_griffin_config *c = &dec->gf->cfg;
    size_t L = (size_t)c->lru_width, hd = (size_t)(c->d / c->heads);
    size_t p = (size_t)dec->pos, floats = 0;
    size_t keys =
        c->window > 0 && p > (size_t)c->window ? (size_t)c->window : p;
    for (int l = 0; l < c->layers; l++)
        floats += dec->gf->lay[l].kind == 'R'
                      ? L + (size_t)(c->conv_width - 1) * L
                      : 2 * keys * hd;
    return floats * (size_t)dec->B * sizeof(float);
}

/* ---- sampling ------------------------------------------------------------ */

int
rs_nn_griffin_sample(const float *logits, int V, float temperature,
                     struct rs_rng *rng)
{
    int best = 0;
    for (int i = 1; i < V; i++)
        if (logits[i] > logits[best])
            best = i;
    if (temperature == 0.0f)
        return best;
    double mx = logits[best], sum = 0.0, tau = temperature;
    for (int i = 0; i < V; i++)
        sum += exp(((double)logits[i] - mx) / tau);
    double u = rs_rng_uniform_double(rng) * sum, acc = 0.0;
    for (int i = 0; i < V; i++) {
        acc += exp(((double)logits[i] - mx) / tau);
        if (u < acc)
            return i;
    }
    return best; /* u at the very top of the rounding */
}
