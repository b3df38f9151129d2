/* repscope - MIT licence, see COPYING.
 *
 * t_core_grad_attn.c: position encodings for attention: rs_op_rope
 * (ops_rope.c) and ALiBi through rs_op_attention_ex (ops_attention.c), plus
 * the blocked attention kernel on sequences longer than one block.
 *
 * Forward values are checked against references written here in double:
 * a 1-head, hd = 2 rotation by hand with cos/sin, the general interleaved
 * rotation, and a naive masked softmax with the ALiBi bias. Properties:
 * rotations keep each pair's norm, and after rope q_t . k_s depends only on
 * t - s. Gradients against central finite differences (tap_gradcheck),
 * alone and chained rope -> attention_ex. Under RS_PREC_BF16 the outputs
 * must be bf16 values close to the f32 ones. Error paths return NULL with a
 * message naming the value. On the thread pool the (b, h) pairs split
 * across threads give bitwise the one-thread outputs and gradients.
 */
#include "config.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "core/ops.h"
#include "core/pool.h"
#include "core/prec.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "tests/gradcheck.h"
#include "tests/tap.h"

#define FD_H 1e-2
#define FD_TOL 1e-2

static struct rs_rng rng;

/* ---- helpers ----------------------------------------------------------- */

static bool
shape3_is(const rs_tensor *t, int d0, int d1, int d2)
{
    return t != NULL && t->ndim == 3 && t->shape[0] == d0 &&
           t->shape[1] == d1 && t->shape[2] == d2;
}

/* The slopes of Press et al. for H heads: 2^(-8 (h + 1) / H). */
static void
press_slopes(float *slopes, int H)
{
    for (int h = 0; h < H; h++)
        slopes[h] = (float)pow(2.0, -8.0 * (h + 1) / H);
}

/* ---- rope -------------------------------------------------------------- */

/* Reference rope in double: every pair (2i, 2i + 1) of each head of the q
 * and k thirds rotated by t base^(-2i/hd), v copied. */
static void
ref_rope(float *out, const float *qkv, int B, int T, int C, int H, double base)
{
    int hd = C / H;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            const float *x = qkv + ((size_t)b * T + t) * 3 * C;
            float *y = out + ((size_t)b * T + t) * 3 * C;
            for (int third = 0; third < 2; third++)
                for (int h = 0; h < H; h++)
                    for (int i = 0; i < hd / 2; i++) {
                        int c = third * C + h * hd + 2 * i;
                        double a = t * pow(base, -2.0 * i / hd);
                        double x0 = x[c], x1 = x[c + 1];
                        y[c] = (float)(x0 * cos(a) - x1 * sin(a));
                        y[c + 1] = (float)(x0 * sin(a) + x1 * cos(a));
                    }
            for (int c = 2 * C; c < 3 * C; c++)
                y[c] = x[c];
        }
}

struct rope_case {
    int B, T, C, H;
    float base;
};

static rs_tensor *
build_rope(rs_graph *g, rs_tensor *const *in, void *ud)
{
    const struct rope_case *c = ud;
    return rs_op_rope(g, in[0], c->H, c->base);
}

/* One head, hd = 2, base irrelevant (i = 0: angle t): q and k of
 * position t rotated by t radians, computed here by hand. */
static void
test_rope_by_hand(void)
{
    int shape[3] = {1, 4, 6};
    rs_tensor *qkv = tap_filled(&rng, 3, shape, -1, 1);
    rs_graph *g = rs_graph_new();
    rs_tensor *y = rs_op_rope(g, qkv, 1, 10000.0f);
    tap_ok(shape3_is(y, 1, 4, 6), "rope: output is (B, T, 3C)");
    if (y == NULL) {
        tap_diag("  %s", rs_graph_error(g)->msg);
        rs_graph_free(g);
        rs_tensor_release(qkv);
        return;
    }
    float want[24];
    for (int t = 0; t < 4; t++) {
        const float *x = qkv->data + t * 6;
        float *w = want + t * 6;
        double c = cos((double)t), s = sin((double)t);
        w[0] = (float)(x[0] * c - x[1] * s); /* q */
        w[1] = (float)(x[0] * s + x[1] * c);
        w[2] = (float)(x[2] * c - x[3] * s); /* k */
        w[3] = (float)(x[2] * s + x[3] * c);
        w[4] = x[4]; /* v */
        w[5] = x[5];
    }
    tap_is_floats(y->data, want, 24, 1e-6, 1e-5,
                  "rope 1 head hd=2: rotation by t radians by hand");
    tap_ok(memcmp(y->data, qkv->data, 6 * sizeof(float)) == 0,
           "rope: position 0 is not rotated");

    /* The unit vector (1, 0) at position t lands on (cos t, sin t), for
     * any base (hd = 2 has only the pair i = 0, frequency base^0 = 1). */
    for (int t = 0; t < 4; t++) {
        float *x = qkv->data + t * 6;
        x[0] = 1.0f;
        x[1] = 0.0f;
    }
    rs_graph_reset(g);
    y = rs_op_rope(g, qkv, 1, 2.0f);
    bool unit_ok = y != NULL;
    for (int t = 0; unit_ok && t < 4; t++)
        unit_ok = fabs(y->data[t * 6] - cos(t)) < 1e-6 &&
                  fabs(y->data[t * 6 + 1] - sin(t)) < 1e-6;
    tap_ok(unit_ok, "rope: (1, 0) at position t becomes (cos t, sin t)");
    rs_graph_free(g);
    rs_tensor_release(qkv);
}

static void
check_rope(const struct rope_case *c, bool grad)
{
    int shape[3] = {c->B, c->T, 3 * c->C};
    rs_tensor *qkv = tap_param(&rng, 3, shape, -1, 1);
    char name[96];
    snprintf(name, sizeof name, "rope B=%d T=%d C=%d H=%d base=%g", c->B, c->T,
             c->C, c->H, (double)c->base);
    rs_graph *g = rs_graph_new();
    rs_tensor *y = rs_op_rope(g, qkv, c->H, c->base);
    tap_ok(shape3_is(y, c->B, c->T, 3 * c->C), "%s: output shape", name);
    if (y != NULL) {
        float *ref = malloc(qkv->numel * sizeof *ref);
        ref_rope(ref, qkv->data, c->B, c->T, c->C, c->H, c->base);
        tap_is_floats(y->data, ref, qkv->numel, 1e-5, 1e-4,
                      "%s: forward against the reference", name);
        free(ref);
        /* A rotation keeps the length of each pair. */
        size_t bad = 0;
        for (size_t i = 0; i < qkv->numel; i += 2) {
            double a = hypot(qkv->data[i], qkv->data[i + 1]);
            double b = hypot(y->data[i], y->data[i + 1]);
            if (fabs(a - b) > 1e-5)
                bad++;
        }
        tap_ok(bad == 0, "%s: pair norms unchanged (%zu bad)", name, bad);
    } else {
        tap_diag("  %s", rs_graph_error(g)->msg);
    }
    if (grad) {
        rs_tensor *in[1] = {qkv};
        struct rope_case cc = *c;
        tap_gradcheck(name, 1, in, build_rope, &cc, FD_H, FD_TOL);
    }
    rs_graph_free(g);
    rs_tensor_release(qkv);
}

/* q_t . k_s of head h of a rope output, in double. */
static double
dot_qk(const float *y, int T, int C, int H, int b, int h, int t, int s)
{
    int hd = C / H;
    const float *q = y + ((size_t)b * T + t) * 3 * C + h * hd;
    const float *k = y + ((size_t)b * T + s) * 3 * C + C + h * hd;
    double d = 0;
    for (int i = 0; i < hd; i++)
        d += (double)q[i] * (double)k[i];
    return d;
}

/* After rope, q_t . k_s depends on t and s only through t - s: with the
 * second half of the sequence a copy of the first, (t, s) and (t + T0,
 * s + T0) give the same product; with q and k the same at every position,
 * every shift c does. */
static void
test_rope_relative(void)
{
    int B = 2, T0 = 6, T = 2 * T0, C = 12, H = 2;
    int shape[3] = {B, T, 3 * C};
    rs_tensor *qkv = tap_filled(&rng, 3, shape, -1, 1);
    for (int b = 0; b < B; b++)
        for (int t = T0; t < T; t++)
            memcpy(qkv->data + ((size_t)b * T + t) * 3 * C,
                   qkv->data + ((size_t)b * T + t - T0) * 3 * C,
                   3 * (size_t)C * sizeof(float));
    rs_graph *g = rs_graph_new();
    rs_tensor *y = rs_op_rope(g, qkv, H, 100.0f);
    double worst = 0, spread = 0;
    for (int b = 0; y != NULL && b < B; b++)
        for (int h = 0; h < H; h++)
            for (int t = 0; t < T0; t++)
                for (int s = 0; s < T0; s++) {
                    double a = dot_qk(y->data, T, C, H, b, h, t, s);
                    double c = dot_qk(y->data, T, C, H, b, h, t + T0, s + T0);
                    worst = fmax(worst, fabs(a - c));
                    /* Not trivially equal: rope moved the products. */
                    double raw = dot_qk(qkv->data, T, C, H, b, h, t, s);
                    spread = fmax(spread, fabs(a - raw));
                }
    tap_ok(y != NULL && worst < 1e-5,
           "rope: q_t.k_s equals q_(t+%d).k_(s+%d) (worst %.2g)", T0, T0,
           worst);
    tap_ok(spread > 1e-2, "rope: products differ from the unrotated ones");

    /* Constant q and k per head: the product is a function of t - s. */
    for (int b = 0; b < B; b++)
        for (int t = 1; t < T; t++)
            memcpy(qkv->data + ((size_t)b * T + t) * 3 * C,
                   qkv->data + (size_t)b * T * 3 * C,
                   3 * (size_t)C * sizeof(float));
    rs_graph_reset(g);
    y = rs_op_rope(g, qkv, H, 10000.0f);
    worst = 0;
    for (int b = 0; y != NULL && b < B; b++)
        for (int h = 0; h < H; h++)
            for (int t = 0; t < T; t++)
                for (int s = 0; s < T; s++)
                    for (int c = 1; t + c < T && s + c < T; c++) {
                        double a = dot_qk(y->data, T, C, H, b, h, t, s);
                        double d = dot_qk(y->data, T, C, H, b, h, t + c, s + c);
                        worst = fmax(worst, fabs(a - d));
                    }
    tap_ok(y != NULL && worst < 1e-5,
           "rope: with q, k constant, q_t.k_s equals q_(t+c).k_(s+c) for "
           "every shift c (worst %.2g)",
           worst);
    rs_graph_free(g);
    rs_tensor_release(qkv);
}

static void
test_rope(void)
{
    test_rope_by_hand();
    static const struct rope_case grads[] = {
        {2, 5, 12, 3, 10000.0f}, /* hd = 4, odd T, B > 1 */
        {2, 7, 12, 2, 10.0f},    /* hd = 6 */
        {1, 3, 8, 4, 2.0f},      /* hd = 2, four heads */
        {3, 1, 4, 1, 10000.0f},  /* T = 1: identity */
    };
    for (size_t i = 0; i < RS_ARRAY_LEN(grads); i++)
        check_rope(&grads[i], true);
    /* Forward only: long sequence (angles up to ~500 rad in the low
     * pairs; the reference works in double). */
    static const struct rope_case fwd = {1, 500, 64, 2, 10000.0f};
    check_rope(&fwd, false);
    test_rope_relative();

    /* Errors. */
    int shape[3] = {2, 3, 12};
    rs_tensor *qkv = tap_filled(&rng, 3, shape, -1, 1);
    rs_graph *g = rs_graph_new();
    tap_ok(rs_op_rope(g, qkv, 4, 10000.0f) == NULL &&
               tap_graph_failed_with(g, "heads 4", "C 4"),
           "rope rejects an odd head size");
    rs_graph_reset(g);
    tap_ok(rs_op_rope(g, qkv, 3, 10000.0f) == NULL &&
               tap_graph_failed_with(g, "heads 3", NULL),
           "rope rejects heads that do not divide C");
    rs_graph_reset(g);
    tap_ok(rs_op_rope(g, qkv, 0, 10000.0f) == NULL &&
               tap_graph_failed_with(g, "heads 0", NULL),
           "rope rejects 0 heads");
    rs_graph_reset(g);
    tap_ok(rs_op_rope(g, qkv, 1, 1.0f) == NULL &&
               tap_graph_failed_with(g, "base 1", NULL),
           "rope rejects base 1");
    rs_graph_reset(g);
    tap_ok(rs_op_rope(g, qkv, 1, NAN) == NULL &&
               tap_graph_failed_with(g, "base nan", NULL),
           "rope rejects a NaN base");
    rs_graph_reset(g);
    int s2[3] = {2, 3, 10};
    rs_tensor *odd = tap_filled(&rng, 3, s2, -1, 1);
    tap_ok(rs_op_rope(g, odd, 1, 10000.0f) == NULL &&
               tap_graph_failed_with(g, "(2, 3, 10)", "3C"),
           "rope rejects a last dim that is not 3C");
    rs_graph_reset(g);
    tap_ok(rs_op_rope(g, NULL, 1, 10000.0f) == NULL &&
               tap_graph_failed_with(g, "NULL", NULL),
           "rope of NULL is NULL");
    rs_tensor_release(odd);
    rs_tensor_release(qkv);
    rs_graph_free(g);
}

/* ---- attention with ALiBi ---------------------------------------------- */

/* Naive per-head attention in double: scores q.k / sqrt(hd) - slope (t - s)
 * over the allowed keys, an explicit softmax, out (B, T, C), probs
 * (B, H, T, T). alibi may be NULL. */
static void
ref_attention(float *out, float *probs, const float *qkv, const float *alibi,
              int B, int T, int C, int H, int window)
{
    int D = C / H;
    double *s = malloc((size_t)T * sizeof *s);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++)
            for (int t = 0; t < T; t++) {
                const float *q = qkv + ((size_t)b * T + t) * 3 * C + h * D;
                double m = -INFINITY;
                for (int u = 0; u < T; u++) {
                    bool allowed = u <= t && (window <= 0 || t - u < window);
                    if (!allowed) {
                        s[u] = -INFINITY;
                        continue;
                    }
                    const float *k =
                        qkv + ((size_t)b * T + u) * 3 * C + C + h * D;
                    double dot = 0;
                    for (int d = 0; d < D; d++)
                        dot += (double)q[d] * (double)k[d];
                    s[u] = dot / sqrt((double)D);
                    if (alibi != NULL)
                        s[u] -= (double)alibi[h] * (t - u);
                    m = fmax(m, s[u]);
                }
                double z = 0;
                for (int u = 0; u < T; u++) {
                    s[u] = exp(s[u] - m);
                    z += s[u];
                }
                float *prow = probs + (((size_t)b * H + h) * T + t) * T;
                for (int u = 0; u < T; u++)
                    prow[u] = (float)(s[u] / z);
                for (int d = 0; d < D; d++) {
                    double o = 0;
                    for (int u = 0; u < T; u++) {
                        const float *v =
                            qkv + ((size_t)b * T + u) * 3 * C + 2 * C + h * D;
                        o += s[u] / z * (double)v[d];
                    }
                    out[((size_t)b * T + t) * C + h * D + d] = (float)o;
                }
            }
    free(s);
}

struct attn_case {
    int B, T, C, H, window;
    bool alibi;
    float slope_scale; /* Press slopes times this; negative flips sign */
};

struct attn_ud {
    struct attn_case c;
    float slopes[8];
};

static void
attn_ud_init(struct attn_ud *u, const struct attn_case *c)
{
    u->c = *c;
    RS_ASSERT(c->H <= 8);
    press_slopes(u->slopes, c->H);
    for (int h = 0; h < c->H; h++)
        u->slopes[h] *= c->slope_scale;
}

static rs_tensor *
build_attention(rs_graph *g, rs_tensor *const *in, void *ud)
{
    const struct attn_ud *u = ud;
    struct rs_attention_opts o = {.window = u->c.window,
                                  .alibi = u->c.alibi ? u->slopes : NULL};
    return rs_op_attention_ex(g, in[0], u->c.H, &o);
}

/* Forward and probabilities against the reference, probability rows, and
 * optionally a gradient check. */
static void
check_attention(const struct attn_case *c, bool grad, float range)
{
    struct attn_ud u;
    attn_ud_init(&u, c);
    int shape[3] = {c->B, c->T, 3 * c->C};
    rs_tensor *qkv = tap_param(&rng, 3, shape, -range, range);
    size_t nout = (size_t)c->B * c->T * c->C;
    size_t np = (size_t)c->B * c->H * c->T * c->T;
    float *ref = malloc(nout * sizeof *ref), *pref = malloc(np * sizeof *pref);
    ref_attention(ref, pref, qkv->data, c->alibi ? u.slopes : NULL, c->B, c->T,
                  c->C, c->H, c->window);
    char name[128];
    snprintf(name, sizeof name,
             "attention_ex B=%d T=%d C=%d H=%d window=%d alibi=%s x%g", c->B,
             c->T, c->C, c->H, c->window, c->alibi ? "on" : "off",
             (double)c->slope_scale);
    rs_graph *g = rs_graph_new();
    rs_tensor *y = build_attention(g, &qkv, &u);
    tap_ok(shape3_is(y, c->B, c->T, c->C), "%s: output shape", name);
    rs_tensor *p = y != NULL ? rs_op_attention_probs(g, y) : NULL;
    if (y != NULL && p != NULL) {
        /* Scores of size S carry float rounding of ~S 2^-24 sqrt(D), and
         * so do the outputs: at range 8 and D = 32, S ~ 360. */
        double atol = range > 1.0f ? 2e-4 : 1e-5;
        tap_is_floats(y->data, ref, nout, atol, 1e-4, "%s: forward", name);
        tap_is_floats(p->data, pref, np, 1e-6, 1e-4, "%s: probs", name);
        size_t badsum = 0, badzero = 0;
        for (size_t row = 0; row < np / (size_t)c->T; row++) {
            int t = (int)(row % (size_t)c->T);
            const float *pr = p->data + row * (size_t)c->T;
            double sum = 0;
            for (int s = 0; s < c->T; s++) {
                sum += pr[s];
                bool band = s <= t && (c->window <= 0 || t - s < c->window);
                if (!band && pr[s] != 0.0f)
                    badzero++;
            }
            if (!(fabs(sum - 1.0) <= 1e-5))
                badsum++;
        }
        tap_ok(badsum == 0 && badzero == 0,
               "%s: probs rows sum to 1 (%zu bad), 0 off the band (%zu bad)",
               name, badsum, badzero);
    } else {
        tap_ok(false, "%s: probs available: %s", name, rs_graph_error(g)->msg);
    }
    if (grad) {
        rs_tensor *in[1] = {qkv};
        tap_gradcheck(name, 1, in, build_attention, &u, FD_H, FD_TOL);
    }
    free(ref);
    free(pref);
    rs_tensor_release(qkv);
    rs_graph_free(g);
}

static void
test_attention_alibi(void)
{
    static const struct attn_case grads[] = {
        {2, 7, 12, 3, 0, true, 1.0f},  /* full causal */
        {2, 7, 12, 3, 3, true, 1.0f},  /* window 3 */
        {1, 9, 8, 2, 0, true, -0.5f},  /* negative slopes */
        {2, 5, 4, 1, 2, true, 4.0f},   /* steep slope, window 2 */
        {1, 70, 4, 2, 0, true, 0.1f},  /* two query blocks */
        {1, 70, 4, 2, 30, true, 0.1f}, /* window across the block edge */
        {1, 67, 6, 1, 0, false, 1.0f}, /* no alibi, two blocks */
    };
    for (size_t i = 0; i < RS_ARRAY_LEN(grads); i++)
        check_attention(&grads[i], true, 1.0f);
    /* Forward only: several blocks with and without windows, large slopes
     * (most probabilities underflow), large scores. */
    static const struct attn_case fwd[] = {
        {2, 200, 16, 2, 0, true, 1.0f},   {2, 200, 16, 2, 70, true, 1.0f},
        {1, 200, 16, 2, 1, true, 1.0f},   /* window 1: only itself */
        {1, 150, 16, 2, 64, false, 1.0f}, /* window = block size */
        {1, 130, 8, 1, 0, true, 2560.0f}, /* slope 10: exp(-10 (t - s)) */
        {2, 97, 64, 2, 0, true, 1.0f},    /* D = 32, scores up to ~350 */
    };
    for (size_t i = 0; i < RS_ARRAY_LEN(fwd); i++)
        check_attention(&fwd[i], false, i == 5 ? 8.0f : 1.0f);

    /* rs_op_attention is rs_op_attention_ex without alibi; zero slopes add
     * nothing; NULL opts is window 0 without alibi. */
    int shape[3] = {2, 9, 12};
    rs_tensor *qkv = tap_filled(&rng, 3, shape, -1, 1);
    rs_graph *g = rs_graph_new();
    float zeros[2] = {0, 0};
    struct rs_attention_opts o0 = {.window = 4, .alibi = NULL};
    struct rs_attention_opts oz = {.window = 4, .alibi = zeros};
    rs_tensor *a = rs_op_attention(g, qkv, 2, 4);
    rs_tensor *b = rs_op_attention_ex(g, qkv, 2, &o0);
    rs_tensor *c = rs_op_attention_ex(g, qkv, 2, &oz);
    rs_tensor *d = rs_op_attention_ex(g, qkv, 2, NULL);
    rs_tensor *e = rs_op_attention(g, qkv, 2, 0);
    size_t bytes = a != NULL ? a->numel * sizeof(float) : 0;
    tap_ok(a && b && c && d && e && memcmp(a->data, b->data, bytes) == 0 &&
               memcmp(a->data, c->data, bytes) == 0 &&
               memcmp(d->data, e->data, bytes) == 0,
           "attention_ex: no alibi, zero slopes and rs_op_attention agree");

    /* Each call reads the slopes it is given. */
    float slopes[2] = {0.5f, 0.25f};
    struct rs_attention_opts oa = {.window = 0, .alibi = slopes};
    rs_graph_reset(g);
    a = rs_op_attention_ex(g, qkv, 2, &oa);
    slopes[0] = 100.0f;
    b = rs_op_attention_ex(g, qkv, 2, &oa);
    tap_ok(a && b && memcmp(a->data, b->data, a->numel * sizeof(float)) != 0,
           "attention_ex: slopes take effect per call");
    tap_ok(a && rs_op_attention_probs(g, a) != NULL &&
               rs_op_attention_probs(g, a) != rs_op_attention_probs(g, b),
           "attention_probs works on attention_ex outputs");

    /* A NaN input shows in the output instead of being flushed. */
    rs_graph_reset(g);
    /* qkv rows are 12 wide (C = 4, D = 2): column 4 is head 0's k. */
    float saved = qkv->data[5 * 12 + 4];
    qkv->data[5 * 12 + 4] = NAN;
    a = rs_op_attention_ex(g, qkv, 2, &oa);
    qkv->data[5 * 12 + 4] = saved;
    tap_ok(a && isnan(a->data[5 * 4]) && isnan(a->data[8 * 4]) &&
               !isnan(a->data[4 * 4]) && !isnan(a->data[5 * 4 + 2]),
           "attention_ex: a NaN key makes its head's later outputs NaN");

    rs_graph_reset(g);
    float bad[2] = {0.5f, INFINITY};
    struct rs_attention_opts ob = {.window = 0, .alibi = bad};
    tap_ok(rs_op_attention_ex(g, qkv, 2, &ob) == NULL &&
               tap_graph_failed_with(g, "inf", "head 1"),
           "attention_ex rejects a non-finite slope, naming the head");
    rs_graph_reset(g);
    tap_ok(rs_op_attention_ex(g, qkv, 3, &oa) == NULL &&
               tap_graph_failed_with(g, "heads 3", "C 4"),
           "attention_ex rejects heads that do not divide C");
    rs_tensor_release(qkv);
    rs_graph_free(g);
}

/* ---- rope -> attention_ex ---------------------------------------------- */

struct chain_ud {
    int H, window;
    float base;
    const float *alibi;
};

static rs_tensor *
build_chain(rs_graph *g, rs_tensor *const *in, void *ud)
{
    const struct chain_ud *u = ud;
    struct rs_attention_opts o = {.window = u->window, .alibi = u->alibi};
    return rs_op_attention_ex(g, rs_op_rope(g, in[0], u->H, u->base), u->H, &o);
}

static void
test_chain(void)
{
    float slopes[2];
    press_slopes(slopes, 2);
    const struct chain_ud cases[] = {
        {2, 0, 10000.0f, NULL},
        {2, 0, 100.0f, slopes},
        {2, 3, 10.0f, slopes},
    };
    for (size_t i = 0; i < RS_ARRAY_LEN(cases); i++) {
        int shape[3] = {2, 5, 24};
        rs_tensor *qkv = tap_param(&rng, 3, shape, -1, 1);
        char name[96];
        snprintf(name, sizeof name,
                 "rope -> attention_ex H=2 hd=4 window=%d base=%g alibi=%s",
                 cases[i].window, (double)cases[i].base,
                 cases[i].alibi ? "on" : "off");
        rs_tensor *in[1] = {qkv};
        struct chain_ud u = cases[i];
        tap_gradcheck(name, 1, in, build_chain, &u, FD_H, FD_TOL);
        rs_tensor_release(qkv);
    }

    /* Forward of the chain against the two references composed. */
    int B = 2, T = 80, C = 16, H = 2;
    int shape[3] = {B, T, 3 * C};
    rs_tensor *qkv = tap_filled(&rng, 3, shape, -1, 1);
    float *rot = malloc(qkv->numel * sizeof *rot);
    float *ref = malloc((size_t)B * T * C * sizeof *ref);
    float *pref = malloc((size_t)B * H * T * T * sizeof *pref);
    ref_rope(rot, qkv->data, B, T, C, H, 500.0);
    ref_attention(ref, pref, rot, slopes, B, T, C, H, 0);
    rs_graph *g = rs_graph_new();
    struct chain_ud u = {H, 0, 500.0f, slopes};
    rs_tensor *y = build_chain(g, &qkv, &u);
    if (y != NULL)
        tap_is_floats(y->data, ref, (size_t)B * T * C, 1e-5, 1e-4,
                      "rope -> attention_ex forward against the references");
    else
        tap_ok(false, "rope -> attention_ex: %s", rs_graph_error(g)->msg);
    free(rot);
    free(ref);
    free(pref);
    rs_tensor_release(qkv);
    rs_graph_free(g);
}

/* ---- bf16 -------------------------------------------------------------- */

static bool
all_bf16(const rs_tensor *t)
{
    for (size_t i = 0; i < t->numel; i++)
        if (rs_prec_round(t->data[i], RS_PREC_BF16) != t->data[i])
            return false;
    return true;
}

/* Under RS_PREC_BF16 both ops' outputs are bf16 values within a few bf16
 * steps of the f32 results, and the backward still runs. */
static void
test_bf16(void)
{
    int B = 2, T = 70, C = 8, H = 2;
    int shape[3] = {B, T, 3 * C};
    rs_tensor *qkv = tap_param(&rng, 3, shape, -1, 1);
    float slopes[2];
    press_slopes(slopes, H);
    struct rs_attention_opts o = {.window = 0, .alibi = slopes};

    rs_graph *g32 = rs_graph_new();
    rs_tensor *r32 = rs_op_rope(g32, qkv, H, 10000.0f);
    rs_tensor *a32 = rs_op_attention_ex(g32, r32, H, &o);

    rs_graph *g = rs_graph_new();
    rs_graph_set_precision(g, RS_PREC_BF16);
    rs_tensor *r = rs_op_rope(g, qkv, H, 10000.0f);
    rs_tensor *a = rs_op_attention_ex(g, r, H, &o);
    tap_ok(r != NULL && a != NULL && all_bf16(r) && all_bf16(a),
           "bf16: rope and attention_ex outputs are bf16 values");
    if (r != NULL && a != NULL && r32 != NULL && a32 != NULL) {
        /* Inputs are f32 here, so rope is one rounding away; attention
         * sees rounded q, k, v: allow a few bf16 steps (2^-8 relative). */
        tap_is_floats(r->data, r32->data, r->numel, 1e-6, 1.0 / 256,
                      "bf16: rope within one rounding of f32");
        tap_is_floats(a->data, a32->data, a->numel, 0.03, 0.03,
                      "bf16: attention_ex close to f32");
        float *seed = malloc(a->numel * sizeof *seed);
        for (size_t i = 0; i < a->numel; i++)
            seed[i] = 1.0f;
        rs_tensor_zero_grad(qkv);
        struct rs_error err = {0};
        bool ok = rs_graph_backward_seed(g, a, seed, &err) == RS_OK;
        bool finite = true;
        for (size_t i = 0; ok && i < qkv->numel; i++)
            finite = finite && isfinite(qkv->grad[i]);
        tap_ok(ok && finite, "bf16: backward through both runs (%s)", err.msg);
        free(seed);
    }
    rs_graph_free(g);
    rs_graph_free(g32);
    rs_tensor_release(qkv);
}

/* Forward and backward of attention_ex with ALiBi and a window on
 * (3, 70, 24), 3 heads (9 pairs, more than one query block) at `threads`
 * threads: out, probs and d qkv (seeded with `seed`) copied to res. */
static void
attn_at(int threads, const rs_tensor *qkv0, const float *seed, float *res)
{
    rs_pool_set_threads(threads);
    int shape[3] = {3, 70, 72};
    float slopes[3];
    press_slopes(slopes, 3);
    struct rs_attention_opts o = {.window = 40, .alibi = slopes};
    rs_graph *g = rs_graph_new();
    rs_tensor *qkv = rs_graph_input(g, 3, shape, qkv0->data);
    qkv->requires_grad = true;
    rs_tensor *y = rs_op_attention_ex(g, qkv, 3, &o);
    rs_tensor *p = y != NULL ? rs_op_attention_probs(g, y) : NULL;
    RS_ASSERT(p != NULL);
    int rc = rs_graph_backward_seed(g, y, seed, NULL);
    RS_ASSERT(rc == RS_OK);
    memcpy(res, y->data, y->numel * sizeof(float));
    memcpy(res + y->numel, p->data, p->numel * sizeof(float));
    memcpy(res + y->numel + p->numel, qkv->grad, qkv->numel * sizeof(float));
    rs_graph_free(g);
    rs_pool_set_threads(1);
}

static void
test_threads(void)
{
    int shape[3] = {3, 70, 72};
    rs_tensor *qkv = tap_filled(&rng, 3, shape, -1, 1);
    size_t ny = 3 * 70 * 24, np = 3 * 3 * 70 * 70, nq = qkv->numel;
    float *seed = rs_xmalloc(ny * sizeof(float));
    for (size_t i = 0; i < ny; i++)
        seed[i] = rs_rng_uniform(&rng) - 0.5f;
    size_t n = ny + np + nq;
    float *one = rs_xmalloc(n * sizeof(float));
    float *more = rs_xmalloc(n * sizeof(float));
    attn_at(1, qkv, seed, one);
    for (int t = 2; t <= 3; t++) {
        attn_at(t, qkv, seed, more);
        tap_ok(memcmp(one, more, ny * sizeof(float)) == 0 &&
                   memcmp(one + ny, more + ny, np * sizeof(float)) == 0,
               "attention on %d threads: outputs and probs bitwise the "
               "1-thread ones",
               t);
        tap_ok(memcmp(one + ny + np, more + ny + np, nq * sizeof(float)) == 0,
               "attention on %d threads: d qkv bitwise the 1-thread one", t);
    }
    free(seed);
    free(one);
    free(more);
    rs_tensor_release(qkv);
}

int
main(void)
{
    tap_plan_lazy();
    rs_rng_seed(&rng, 20240611);
    test_rope();
    test_attention_alibi();
    test_chain();
    test_bf16();
    test_threads();
    return tap_done();
}
