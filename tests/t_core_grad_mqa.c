/* repscope - MIT licence, see COPYING.
 *
 * t_core_grad_mqa.c: RecurrentGemma's half RoPE (rs_op_rope_half,
 * ops_rope.c) and multi-query local attention (rs_op_mqa, ops_mqa.c), with
 * their decoding kernels rs_rope_half_row and rs_mqa_decode.
 *
 * Forward values against references written here in double (the
 * rotate-half formula; a naive masked softmax with its log-sum-exp).
 * Gradients against central finite differences (tap_gradcheck), alone and
 * chained rope_half -> mqa. rs_op_mqa equals rs_op_attention given k and v
 * repeated per head, outputs and gradients. On T = 4096 with window 64 the
 * op's arena stays far below one T x T buffer. The decoding kernels follow
 * the op row by row through a ring buffer of `window` slots (wrapping
 * around) and a growing global cache. Thread counts never change a bit.
 */
#include "config.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/graph.h"
#include "core/ops.h"
#include "core/pool.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "tests/gradcheck.h"
#include "tests/tap.h"

#define FD_H 1e-2
#define FD_TOL 1e-2

static struct rs_rng rng;

static bool
shape3_is(const rs_tensor *t, int d0, int d1, int d2)
{
    return t != NULL && t->ndim == 3 && t->shape[0] == d0 &&
           t->shape[1] == d1 && t->shape[2] == d2;
}

/* ---- rope_half --------------------------------------------------------- */

/* Reference in double: in each head, pair (i, i + r/2), i < r/2, at row t
 * rotated by (pos0 + t) base^(-2i/r); dims r .. hd copied. */
static void
ref_rope_half(float *y, const float *x, int B, int T, int H, int hd, int r,
              double base, int pos0)
{
    int P = r / 2;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
            for (int h = 0; h < H; h++) {
                size_t o = (((size_t)b * T + t) * H + h) * hd;
                for (int d = 0; d < hd; d++)
                    y[o + d] = x[o + d];
                for (int i = 0; i < P; i++) {
                    double a = (double)(pos0 + t) * pow(base, -2.0 * i / r);
                    double x0 = x[o + i], x1 = x[o + i + P];
                    y[o + i] = (float)(x0 * cos(a) - x1 * sin(a));
                    y[o + i + P] = (float)(x1 * cos(a) + x0 * sin(a));
                }
            }
}

struct rope_case {
    int B, T, H, hd, r;
    float base;
    int pos0;
};

static rs_tensor *
build_rope_half(rs_graph *g, rs_tensor *const *in, void *ud)
{
    const struct rope_case *c = ud;
    return rs_op_rope_half(g, in[0], c->H, c->r, c->base, c->pos0);
}

static void
check_rope_half(const struct rope_case *c, bool grad)
{
    int shape[3] = {c->B, c->T, c->H * c->hd};
    rs_tensor *x = tap_param(&rng, 3, shape, -1, 1);
    char name[128];
    snprintf(name, sizeof name,
             "rope_half B=%d T=%d H=%d hd=%d r=%d base=%g "
             "pos0=%d",
             c->B, c->T, c->H, c->hd, c->r, (double)c->base, c->pos0);
    rs_graph *g = rs_graph_new();
    rs_tensor *y = rs_op_rope_half(g, x, c->H, c->r, c->base, c->pos0);
    tap_ok(shape3_is(y, c->B, c->T, c->H * c->hd), "%s: output shape", name);
    if (y != NULL) {
        float *ref = malloc(x->numel * sizeof *ref);
        ref_rope_half(ref, x->data, c->B, c->T, c->H, c->hd, c->r, c->base,
                      c->pos0);
        tap_is_floats(y->data, ref, x->numel, 1e-5, 1e-4,
                      "%s: forward against the formula", name);
        free(ref);
        /* The row kernel gives the same bits at position pos0 + t, in
         * place too. */
        size_t C = (size_t)c->H * c->hd;
        float *row = malloc(C * sizeof *row);
        size_t bad = 0;
        for (int b = 0; b < c->B; b++)
            for (int t = 0; t < c->T; t++) {
                size_t o = ((size_t)b * c->T + t) * C;
                rs_rope_half_row(row, x->data + o, c->H, c->hd, c->r, c->base,
                                 c->pos0 + t);
                bad += memcmp(row, y->data + o, C * sizeof *row) != 0;
                memcpy(row, x->data + o, C * sizeof *row);
                rs_rope_half_row(row, row, c->H, c->hd, c->r, c->base,
                                 c->pos0 + t);
                bad += memcmp(row, y->data + o, C * sizeof *row) != 0;
            }
        tap_ok(bad == 0,
               "%s: rs_rope_half_row bitwise the op's rows, in "
               "place too (%zu bad)",
               name, bad);
        free(row);
    } else {
        tap_diag("  %s", rs_graph_error(g)->msg);
    }
    if (grad) {
        rs_tensor *in[1] = {x};
        struct rope_case cc = *c;
        tap_gradcheck(name, 1, in, build_rope_half, &cc, FD_H, FD_TOL);
    }
    rs_graph_free(g);
    rs_tensor_release(x);
}

static void
test_rope_half(void)
{
    /* By hand: one head, hd = 4, r = 2 (pair (0, 1), frequency 1): row t
     * rotated by pos0 + t radians, dims 2 and 3 untouched. */
    int shape[3] = {1, 3, 4};
    rs_tensor *x = tap_filled(&rng, 3, shape, -1, 1);
    rs_graph *g = rs_graph_new();
    rs_tensor *y = rs_op_rope_half(g, x, 1, 2, 10000.0f, 5);
    float want[12];
    for (int t = 0; t < 3; t++) {
        const float *xr = x->data + 4 * t;
        double c = cos(5.0 + t), s = sin(5.0 + t);
        want[4 * t] = (float)((double)xr[0] * c - (double)xr[1] * s);
        want[4 * t + 1] = (float)((double)xr[1] * c + (double)xr[0] * s);
        want[4 * t + 2] = xr[2];
        want[4 * t + 3] = xr[3];
    }
    tap_ok(y != NULL, "rope_half by hand: built");
    if (y != NULL)
        tap_is_floats(y->data, want, 12, 1e-6, 1e-5,
                      "rope_half hd=4 r=2 pos0=5: row t rotated by 5 + t "
                      "radians by hand");
    rs_graph_free(g);
    rs_tensor_release(x);

    static const struct rope_case grads[] = {
        {2, 5, 3, 8, 4, 10000.0f, 0},  /* RecurrentGemma: r = hd / 2 */
        {1, 4, 1, 8, 4, 10000.0f, 37}, /* one (key) head, offset */
        {2, 3, 2, 6, 6, 10.0f, 2},     /* all dims rotate */
        {1, 6, 4, 16, 2, 100.0f, 0},   /* one pair */
    };
    for (size_t i = 0; i < RS_ARRAY_LEN(grads); i++)
        check_rope_half(&grads[i], true);
    static const struct rope_case fwd = {1, 300, 2, 32, 16, 10000.0f, 8000};
    check_rope_half(&fwd, false);

    /* Absolute positions: rows pos0 .. of a sequence from position 0 are
     * bitwise the same sequence's tail given pos0. */
    int s2[3] = {2, 20, 16};
    rs_tensor *a = tap_filled(&rng, 3, s2, -1, 1);
    int s3[3] = {2, 8, 16};
    rs_tensor *tail = rs_tensor_new(3, s3, NULL);
    for (int b = 0; b < 2; b++)
        memcpy(tail->data + (size_t)b * 8 * 16,
               a->data + ((size_t)b * 20 + 12) * 16, 8 * 16 * sizeof(float));
    g = rs_graph_new();
    rs_tensor *ya = rs_op_rope_half(g, a, 2, 4, 10000.0f, 0);
    rs_tensor *yt = rs_op_rope_half(g, tail, 2, 4, 10000.0f, 12);
    bool same = ya != NULL && yt != NULL;
    for (int b = 0; same && b < 2; b++)
        same = memcmp(yt->data + (size_t)b * 8 * 16,
                      ya->data + ((size_t)b * 20 + 12) * 16,
                      8 * 16 * sizeof(float)) == 0;
    tap_ok(same, "rope_half: pos0 = 12 gives bitwise rows 12.. of pos0 = 0");
    rs_tensor_release(tail);

    /* Errors. */
    rs_graph_reset(g);
    tap_ok(rs_op_rope_half(g, a, 3, 4, 10000.0f, 0) == NULL &&
               tap_graph_failed_with(g, "heads 3", "16"),
           "rope_half rejects heads that do not divide the columns");
    rs_graph_reset(g);
    tap_ok(rs_op_rope_half(g, a, 2, 3, 10000.0f, 0) == NULL &&
               tap_graph_failed_with(g, "rot_dims 3", "head size 8"),
           "rope_half rejects an odd rot_dims");
    rs_graph_reset(g);
    tap_ok(rs_op_rope_half(g, a, 2, 10, 10000.0f, 0) == NULL &&
               tap_graph_failed_with(g, "rot_dims 10", NULL),
           "rope_half rejects rot_dims above the head size");
    rs_graph_reset(g);
    tap_ok(rs_op_rope_half(g, a, 2, 0, 10000.0f, 0) == NULL &&
               tap_graph_failed_with(g, "rot_dims 0", NULL),
           "rope_half rejects rot_dims 0");
    rs_graph_reset(g);
    tap_ok(rs_op_rope_half(g, a, 2, 4, 1.0f, 0) == NULL &&
               tap_graph_failed_with(g, "base 1", NULL),
           "rope_half rejects base 1");
    rs_graph_reset(g);
    tap_ok(rs_op_rope_half(g, a, 2, 4, 10000.0f, -1) == NULL &&
               tap_graph_failed_with(g, "pos0 -1", NULL),
           "rope_half rejects a negative pos0");
    rs_graph_reset(g);
    tap_ok(rs_op_rope_half(g, NULL, 2, 4, 10000.0f, 0) == NULL,
           "rope_half of NULL is NULL");
    rs_graph_free(g);
    rs_tensor_release(a);
}

/* ---- mqa --------------------------------------------------------------- */

/* Naive MQA in double: for head h of query t, scores q.k / sqrt(hd) over
 * keys lo(t) .. t, an explicit softmax, out (B, T, H hd), lse (B, H, T). */
static void
ref_mqa(float *out, float *lse, const float *q, const float *k, const float *v,
        int B, int T, int H, int hd, int window)
{
    double *s = malloc((size_t)T * sizeof *s);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++)
            for (int t = 0; t < T; t++) {
                const float *qt = q + (((size_t)b * T + t) * H + h) * hd;
                int lo = window > 0 && t - window + 1 > 0 ? t - window + 1 : 0;
                double m = -INFINITY;
                for (int u = lo; u <= t; u++) {
                    const float *ku = k + ((size_t)b * T + u) * hd;
                    double d = 0;
                    for (int i = 0; i < hd; i++)
                        d += (double)qt[i] * (double)ku[i];
                    s[u] = d / sqrt((double)hd);
                    m = fmax(m, s[u]);
                }
                double sum = 0;
                for (int u = lo; u <= t; u++)
                    sum += exp(s[u] - m);
                if (lse != NULL)
                    lse[((size_t)b * H + h) * T + t] = (float)(m + log(sum));
                float *o = out + (((size_t)b * T + t) * H + h) * hd;
                for (int i = 0; i < hd; i++) {
                    double acc = 0;
                    for (int u = lo; u <= t; u++)
                        acc += exp(s[u] - m) / sum *
                               (double)v[((size_t)b * T + u) * hd + i];
                    o[i] = (float)acc;
                }
            }
    free(s);
}

struct mqa_case {
    int B, T, H, hd, window;
};

static rs_tensor *
build_mqa(rs_graph *g, rs_tensor *const *in, void *ud)
{
    const struct mqa_case *c = ud;
    return rs_op_mqa(g, in[0], in[1], in[2], c->H, c->window);
}

static void
check_mqa(const struct mqa_case *c, bool grad)
{
    int qs[3] = {c->B, c->T, c->H * c->hd}, ks[3] = {c->B, c->T, c->hd};
    rs_tensor *q = tap_param(&rng, 3, qs, -1, 1);
    rs_tensor *k = tap_param(&rng, 3, ks, -1, 1);
    rs_tensor *v = tap_param(&rng, 3, ks, -1, 1);
    char name[96];
    snprintf(name, sizeof name, "mqa B=%d T=%d H=%d hd=%d window=%d", c->B,
             c->T, c->H, c->hd, c->window);
    rs_graph *g = rs_graph_new();
    rs_tensor *y = rs_op_mqa(g, q, k, v, c->H, c->window);
    tap_ok(shape3_is(y, c->B, c->T, c->H * c->hd), "%s: output shape", name);
    if (y != NULL) {
        float *ref = malloc(q->numel * sizeof *ref);
        size_t nl = (size_t)c->B * c->H * c->T;
        float *lref = malloc(nl * sizeof *lref);
        ref_mqa(ref, lref, q->data, k->data, v->data, c->B, c->T, c->H, c->hd,
                c->window);
        tap_is_floats(y->data, ref, q->numel, 1e-5, 1e-4,
                      "%s: forward against the reference", name);
        const float *lse = rs_op_mqa_lse(g, y);
        tap_ok(lse != NULL, "%s: lse available", name);
        if (lse != NULL)
            tap_is_floats(lse, lref, nl, 1e-5, 1e-5,
                          "%s: saved log-sum-exp against the reference", name);
        free(ref);
        free(lref);
    } else {
        tap_diag("  %s", rs_graph_error(g)->msg);
    }
    if (grad) {
        rs_tensor *in[3] = {q, k, v};
        struct mqa_case cc = *c;
        tap_gradcheck(name, 3, in, build_mqa, &cc, FD_H, FD_TOL);
    }
    rs_graph_free(g);
    rs_tensor_release(q);
    rs_tensor_release(k);
    rs_tensor_release(v);
}

/* rope_half on q (H heads) and k (one head), then mqa: Griffin's local
 * attention block without its projections. */
static rs_tensor *
build_chain(rs_graph *g, rs_tensor *const *in, void *ud)
{
    const struct mqa_case *c = ud;
    rs_tensor *q = rs_op_rope_half(g, in[0], c->H, c->hd / 2, 10000.0f, 3);
    rs_tensor *k = rs_op_rope_half(g, in[1], 1, c->hd / 2, 10000.0f, 3);
    return rs_op_mqa(g, q, k, in[2], c->H, c->window);
}

static void
test_mqa(void)
{
    static const struct mqa_case grads[] = {
        {2, 70, 1, 8, 16},  /* one head, window across blocks */
        {1, 70, 4, 16, 16}, /* four heads */
        {1, 70, 4, 8, 0},   /* global: two blocks of 64 */
        {2, 70, 1, 16, 0},  /* global, one head */
        {1, 70, 2, 8, 64},  /* window of a whole block */
        {2, 5, 2, 4, 2},    /* tiny */
        {2, 6, 3, 4, 1},    /* window 1: only itself */
        {1, 9, 2, 4, 100},  /* window beyond T: global */
    };
    for (size_t i = 0; i < RS_ARRAY_LEN(grads); i++)
        check_mqa(&grads[i], true);
    static const struct mqa_case fwd[] = {
        {2, 300, 2, 32, 32},
        {1, 200, 4, 16, 0},
        {1, 257, 1, 8, 7},
        {3, 130, 2, 64, 40},
    };
    for (size_t i = 0; i < RS_ARRAY_LEN(fwd); i++)
        check_mqa(&fwd[i], false);

    /* Chained with rope_half. */
    static const struct mqa_case chain[] = {{2, 20, 2, 8, 6}, {1, 12, 3, 8, 0}};
    for (size_t i = 0; i < RS_ARRAY_LEN(chain); i++) {
        const struct mqa_case *c = &chain[i];
        int qs[3] = {c->B, c->T, c->H * c->hd}, ks[3] = {c->B, c->T, c->hd};
        rs_tensor *in[3] = {tap_param(&rng, 3, qs, -1, 1),
                            tap_param(&rng, 3, ks, -1, 1),
                            tap_param(&rng, 3, ks, -1, 1)};
        char name[96];
        snprintf(name, sizeof name,
                 "rope_half -> mqa B=%d T=%d H=%d hd=%d "
                 "window=%d",
                 c->B, c->T, c->H, c->hd, c->window);
        struct mqa_case cc = *c;
        tap_gradcheck(name, 3, in, build_chain, &cc, FD_H, FD_TOL);
        for (int j = 0; j < 3; j++)
            rs_tensor_release(in[j]);
    }

    /* Only k needs a gradient: the others stay untouched. */
    {
        int qs[3] = {1, 30, 16}, ks[3] = {1, 30, 8};
        rs_tensor *q = tap_filled(&rng, 3, qs, -1, 1);
        rs_tensor *k = tap_param(&rng, 3, ks, -1, 1);
        rs_tensor *v = tap_filled(&rng, 3, ks, -1, 1);
        rs_tensor *in[3] = {q, k, v};
        struct mqa_case cc = {1, 30, 2, 8, 5};
        tap_gradcheck("mqa: gradient into k alone", 3, in, build_mqa, &cc, FD_H,
                      FD_TOL);
        rs_tensor_release(q);
        rs_tensor_release(k);
        rs_tensor_release(v);
    }

    /* A NaN key shows in the outputs of the queries that see it (every
     * head), and only those. (A NaN value, as in rs_op_attention, also
     * reaches the earlier rows of its block: 0 x NaN in the P V GEMM.) */
    {
        int qs[3] = {1, 40, 8}, ks[3] = {1, 40, 4};
        rs_tensor *q = tap_filled(&rng, 3, qs, -1, 1);
        rs_tensor *k = tap_filled(&rng, 3, ks, -1, 1);
        rs_tensor *v = tap_filled(&rng, 3, ks, -1, 1);
        rs_graph *g = rs_graph_new();
        k->data[20 * 4 + 1] = NAN;
        rs_tensor *y = rs_op_mqa(g, q, k, v, 2, 5);
        bool ok = y != NULL;
        for (int t = 0; ok && t < 40; t++)
            for (int i = 0; i < 8; i++)
                ok = ok && (isnan(y->data[t * 8 + i]) == (t >= 20 && t < 25));
        tap_ok(ok, "mqa window 5: a NaN key at 20 makes exactly the outputs "
                   "of positions 20..24 NaN");
        rs_graph_free(g);
        rs_tensor_release(q);
        rs_tensor_release(k);
        rs_tensor_release(v);
    }

    /* Errors. */
    int qs[3] = {2, 5, 12}, ks[3] = {2, 5, 6}, bad[3] = {2, 4, 6};
    rs_tensor *q = tap_filled(&rng, 3, qs, -1, 1);
    rs_tensor *k = tap_filled(&rng, 3, ks, -1, 1);
    rs_tensor *kb = tap_filled(&rng, 3, bad, -1, 1);
    rs_graph *g = rs_graph_new();
    tap_ok(rs_op_mqa(g, q, k, k, 2, 0) != NULL, "mqa: q (2, 5, 12), k v "
                                                "(2, 5, 6), 2 heads is fine");
    rs_graph_reset(g);
    tap_ok(rs_op_mqa(g, q, k, k, 3, 0) == NULL &&
               tap_graph_failed_with(g, "k (2, 5, 6)", "(2, 5, 4)"),
           "mqa rejects k that is not one head of hd = 12 / 3");
    rs_graph_reset(g);
    tap_ok(rs_op_mqa(g, q, k, kb, 2, 0) == NULL &&
               tap_graph_failed_with(g, "v (2, 4, 6)", NULL),
           "mqa rejects a v of another length");
    rs_graph_reset(g);
    tap_ok(rs_op_mqa(g, q, k, k, 5, 0) == NULL &&
               tap_graph_failed_with(g, "heads 5", "12"),
           "mqa rejects heads that do not divide q's columns");
    rs_graph_reset(g);
    tap_ok(rs_op_mqa(g, q, k, k, 0, 0) == NULL &&
               tap_graph_failed_with(g, "heads 0", NULL),
           "mqa rejects 0 heads");
    rs_graph_reset(g);
    tap_ok(rs_op_mqa(g, q, NULL, k, 2, 0) == NULL,
           "mqa with a NULL input is NULL");
    rs_graph_reset(g);
    rs_tensor *y = rs_op_add(g, q, q);
    tap_ok(rs_op_mqa_lse(g, y) == NULL && rs_op_mqa_lse(g, NULL) == NULL,
           "mqa_lse of a tensor not from mqa is NULL");
    rs_graph_free(g);
    rs_tensor_release(q);
    rs_tensor_release(k);
    rs_tensor_release(kb);
}

/* ---- against rs_op_attention ------------------------------------------- */

/* MQA is multi-head attention with k and v repeated in every head: pack
 * qkv = [q | k ... k | v ... v] and compare outputs and gradients (the
 * attention's per-head dk, dv summed over heads). */
static void
check_vs_attention(int B, int T, int H, int hd, int window)
{
    int C = H * hd;
    int qs[3] = {B, T, C}, ks[3] = {B, T, hd}, ps[3] = {B, T, 3 * C};
    rs_tensor *q = tap_param(&rng, 3, qs, -1, 1);
    rs_tensor *k = tap_param(&rng, 3, ks, -1, 1);
    rs_tensor *v = tap_param(&rng, 3, ks, -1, 1);
    rs_tensor *qkv = rs_tensor_new_param(3, ps, NULL);
    for (size_t r = 0; r < (size_t)B * T; r++) {
        float *row = qkv->data + r * 3 * C;
        memcpy(row, q->data + r * C, (size_t)C * sizeof(float));
        for (int h = 0; h < H; h++) {
            memcpy(row + C + h * hd, k->data + r * hd, hd * sizeof(float));
            memcpy(row + 2 * C + h * hd, v->data + r * hd, hd * sizeof(float));
        }
    }
    size_t ny = (size_t)B * T * C;
    float *seed = malloc(ny * sizeof *seed);
    for (size_t i = 0; i < ny; i++)
        seed[i] = rs_rng_uniform(&rng) - 0.5f;
    /* Two graphs: a backward walks its whole tape. */
    rs_graph *g = rs_graph_new(), *ga = rs_graph_new();
    rs_tensor *ym = rs_op_mqa(g, q, k, v, H, window);
    rs_tensor *ya = rs_op_attention(ga, qkv, H, window);
    char name[96];
    snprintf(name, sizeof name,
             "mqa = attention with k, v repeated: B=%d "
             "T=%d H=%d hd=%d window=%d",
             B, T, H, hd, window);
    if (ym == NULL || ya == NULL) {
        tap_ok(false, "%s: %s %s", name, rs_graph_error(g)->msg,
               rs_graph_error(ga)->msg);
        goto out;
    }
    tap_is_floats(ym->data, ya->data, ny, 1e-5, 1e-5, "%s: outputs", name);
    int rc = rs_graph_backward_seed(g, ym, seed, NULL);
    rc |= rs_graph_backward_seed(ga, ya, seed, NULL);
    tap_ok(rc == RS_OK, "%s: backward", name);
    float *dq = malloc(ny * sizeof *dq);
    float *dk = calloc((size_t)B * T * hd, sizeof *dk);
    float *dv = calloc((size_t)B * T * hd, sizeof *dv);
    for (size_t r = 0; r < (size_t)B * T; r++) {
        const float *gr = qkv->grad + r * 3 * C;
        memcpy(dq + r * C, gr, (size_t)C * sizeof(float));
        for (int h = 0; h < H; h++)
            for (int i = 0; i < hd; i++) {
                dk[r * hd + i] += gr[C + h * hd + i];
                dv[r * hd + i] += gr[2 * C + h * hd + i];
            }
    }
    tap_is_floats(q->grad, dq, ny, 1e-5, 1e-4, "%s: dq", name);
    tap_is_floats(k->grad, dk, (size_t)B * T * hd, 1e-5, 1e-4,
                  "%s: dk = sum over heads", name);
    tap_is_floats(v->grad, dv, (size_t)B * T * hd, 1e-5, 1e-4,
                  "%s: dv = sum over heads", name);
    free(dq);
    free(dk);
    free(dv);
out:
    free(seed);
    rs_graph_free(g);
    rs_graph_free(ga);
    rs_tensor_release(q);
    rs_tensor_release(k);
    rs_tensor_release(v);
    rs_tensor_release(qkv);
}

static void
test_vs_attention(void)
{
    check_vs_attention(2, 150, 1, 16, 40);
    check_vs_attention(2, 150, 4, 8, 40);
    check_vs_attention(1, 200, 2, 32, 0);
    check_vs_attention(3, 64, 2, 16, 64);
    check_vs_attention(1, 97, 3, 8, 1);
}

/* ---- memory ------------------------------------------------------------ */

/* T = 4096, window 64: the arena after forward and backward holds the
 * output, the lse, the output's gradient and the blocks' scratch, far
 * below the 64 MiB of one T x T float buffer; the output still matches
 * the reference. */
static void
test_memory(void)
{
    int B = 1, T = 4096, H = 2, hd = 16, W = 64;
    int qs[3] = {B, T, H * hd}, ks[3] = {B, T, hd};
    rs_tensor *q = tap_param(&rng, 3, qs, -1, 1);
    rs_tensor *k = tap_param(&rng, 3, ks, -1, 1);
    rs_tensor *v = tap_param(&rng, 3, ks, -1, 1);
    rs_graph *g = rs_graph_new();
    rs_arena *a = rs_graph_arena(g);
    size_t before = rs_arena_used(a);
    rs_tensor *y = rs_op_mqa(g, q, k, v, H, W);
    size_t fwd = rs_arena_used(a) - before;
    size_t tt = (size_t)T * T * sizeof(float);
    tap_ok(y != NULL && fwd < tt / 16,
           "mqa T=%d window=%d: forward arena %zu bytes < T*T floats / 16 "
           "(%zu)",
           T, W, fwd, tt / 16);
    if (y != NULL) {
        float *ref = malloc(q->numel * sizeof *ref);
        ref_mqa(ref, NULL, q->data, k->data, v->data, B, T, H, hd, W);
        tap_is_floats(y->data, ref, q->numel, 1e-5, 1e-4,
                      "mqa T=%d window=%d: forward against the reference", T,
                      W);
        free(ref);
        float *seed = malloc(y->numel * sizeof *seed);
        for (size_t i = 0; i < y->numel; i++)
            seed[i] = 1.0f;
        int rc = rs_graph_backward_seed(g, y, seed, NULL);
        size_t all = rs_arena_peak(a);
        tap_ok(rc == RS_OK && all < tt / 16,
               "mqa T=%d window=%d: arena peak after backward %zu bytes < "
               "T*T floats / 16",
               T, W, all);
        tap_diag("  forward %zu bytes, peak %zu, T x T floats %zu", fwd, all,
                 tt);
        free(seed);
    }
    rs_graph_free(g);
    rs_tensor_release(q);
    rs_tensor_release(k);
    rs_tensor_release(v);
}

/* ---- decoding ---------------------------------------------------------- */

/* Decode position by position, as a model would: rotate the new row's q
 * and k with rs_rope_half_row (bitwise the op's rotated rows), store k, v
 * in slot t % window of a ring buffer (window <= 0: a growing cache), and
 * attend with rs_mqa_decode over the min(t + 1, window) filled slots;
 * compare with rope_half -> mqa over the whole sequence. */
static void
check_decode(int T, int H, int hd, int window)
{
    int C = H * hd;
    int qs[3] = {1, T, C}, ks[3] = {1, T, hd};
    rs_tensor *q = tap_filled(&rng, 3, qs, -2, 2);
    rs_tensor *k = tap_filled(&rng, 3, ks, -2, 2);
    rs_tensor *v = tap_filled(&rng, 3, ks, -1, 1);
    rs_graph *g = rs_graph_new();
    rs_tensor *qr = rs_op_rope_half(g, q, H, hd / 2, 10000.0f, 0);
    rs_tensor *kr = rs_op_rope_half(g, k, 1, hd / 2, 10000.0f, 0);
    rs_tensor *y = rs_op_mqa(g, qr, kr, v, H, window);
    RS_ASSERT(y != NULL);
    int slots = window > 0 ? window : T;
    float *kc = malloc((size_t)slots * hd * sizeof *kc);
    float *vc = malloc((size_t)slots * hd * sizeof *vc);
    float *qrow = malloc((size_t)C * sizeof *qrow);
    float *out = malloc((size_t)C * sizeof *out);
    float *scores = malloc((size_t)slots * sizeof *scores);
    size_t rot_bad = 0, nbad = 0;
    double worst = 0;
    for (int t = 0; t < T; t++) {
        int slot = t % slots;
        rs_rope_half_row(qrow, q->data + (size_t)t * C, H, hd, hd / 2, 10000.0f,
                         t);
        rs_rope_half_row(kc + (size_t)slot * hd, k->data + (size_t)t * hd, 1,
                         hd, hd / 2, 10000.0f, t);
        memcpy(vc + (size_t)slot * hd, v->data + (size_t)t * hd,
               (size_t)hd * sizeof(float));
        rot_bad += memcmp(qrow, qr->data + (size_t)t * C,
                          (size_t)C * sizeof(float)) != 0;
        rot_bad += memcmp(kc + (size_t)slot * hd, kr->data + (size_t)t * hd,
                          (size_t)hd * sizeof(float)) != 0;
        int n = t + 1 < slots ? t + 1 : slots;
        rs_mqa_decode(out, scores, qrow, kc, vc, n, H, hd);
        const float *want = y->data + (size_t)t * C;
        for (int i = 0; i < C; i++) {
            double e = fabs((double)out[i] - (double)want[i]) /
                       fmax(1.0, fabs((double)want[i]));
            worst = fmax(worst, e);
            nbad += !(e <= 1e-6);
        }
    }
    tap_ok(rot_bad == 0,
           "decode T=%d H=%d hd=%d window=%d: rotated rows "
           "bitwise the op's",
           T, H, hd, window);
    tap_ok(nbad == 0,
           "decode T=%d H=%d hd=%d window=%d%s: rs_mqa_decode "
           "within 1e-6 of the op's rows (worst %.2g, %zu bad)",
           T, H, hd, window, window > 0 && T > window ? " (ring wraps)" : "",
           worst, nbad);
    free(kc);
    free(vc);
    free(qrow);
    free(out);
    free(scores);
    rs_graph_free(g);
    rs_tensor_release(q);
    rs_tensor_release(k);
    rs_tensor_release(v);
}

static void
test_decode(void)
{
    check_decode(200, 2, 16, 32);
    check_decode(150, 4, 8, 64);
    check_decode(130, 1, 32, 0);
    check_decode(40, 2, 8, 1);
}

/* ---- threads ----------------------------------------------------------- */

/* Forward and backward of rope_half -> mqa on (3, 100, 2 x 16) at
 * `threads` threads: out, dq, dk, dv copied to res. */
static void
mqa_at(int threads, rs_tensor *const *in0, const float *seed, float *res,
       int window)
{
    rs_pool_set_threads(threads);
    rs_graph *g = rs_graph_new();
    rs_tensor *in[3];
    for (int i = 0; i < 3; i++) {
        in[i] = rs_graph_input(g, 3, in0[i]->shape, in0[i]->data);
        in[i]->requires_grad = true;
    }
    struct mqa_case c = {3, 100, 2, 16, window};
    rs_tensor *y = build_chain(g, in, &c);
    RS_ASSERT(y != NULL);
    int rc = rs_graph_backward_seed(g, y, seed, NULL);
    RS_ASSERT(rc == RS_OK);
    memcpy(res, y->data, y->numel * sizeof(float));
    res += y->numel;
    for (int i = 0; i < 3; i++) {
        memcpy(res, in[i]->grad, in[i]->numel * sizeof(float));
        res += in[i]->numel;
    }
    rs_graph_free(g);
    rs_pool_set_threads(1);
}

static void
test_threads(void)
{
    int qs[3] = {3, 100, 32}, ks[3] = {3, 100, 16};
    rs_tensor *in[3] = {tap_filled(&rng, 3, qs, -1, 1),
                        tap_filled(&rng, 3, ks, -1, 1),
                        tap_filled(&rng, 3, ks, -1, 1)};
    size_t ny = in[0]->numel, n = 2 * ny + 2 * in[1]->numel;
    float *seed = malloc(ny * sizeof *seed);
    for (size_t i = 0; i < ny; i++)
        seed[i] = rs_rng_uniform(&rng) - 0.5f;
    float *one = malloc(n * sizeof *one), *more = malloc(n * sizeof *more);
    for (int w = 0; w <= 24; w += 24) {
        mqa_at(1, in, seed, one, w);
        for (int t = 2; t <= 3; t++) {
            mqa_at(t, in, seed, more, w);
            tap_ok(memcmp(one, more, n * sizeof(float)) == 0,
                   "rope_half -> mqa window=%d on %d threads: output and "
                   "gradients bitwise the 1-thread ones",
                   w, t);
        }
    }
    free(seed);
    free(one);
    free(more);
    for (int i = 0; i < 3; i++)
        rs_tensor_release(in[i]);
}

int
main(void)
{
    tap_plan_lazy();
    rs_rng_seed(&rng, 20240229);
    test_rope_half();
    test_mqa();
    test_vs_attention();
    test_memory();
    test_decode();
    test_threads();
    return tap_done();
}
