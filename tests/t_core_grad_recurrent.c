/* repscope - MIT licence, see COPYING.
 *
 * t_core_grad_recurrent.c: the ops of the Hawk / Griffin recurrent block:
 * rs_op_rglru (ops_rglru.c), rs_op_conv_causal (ops_conv.c),
 * rs_op_blockdiag (ops_blockdiag.c) and rs_op_softcap (ops_softcap.c).
 *
 * Forward values against references written here in double: the RG-LRU in
 * the paper's form a_t = sigmoid(-a_param)^(8 ga_t) (so the log-space
 * code path and c = 8 are checked together), the conv on a case computed
 * by hand (cache, bias and a reset), the block-diagonal linear against a
 * dense block matrix, the soft cap against tanh. Gradients against
 * central finite differences (tap_gradcheck), including a 200-step scan
 * with resets in the middle and h0, the code's initialisation of a_param
 * (a in [0.9, 0.999]) and the whole block chained. Where a_t -> 1 the
 * bounded sqrt derivative is checked against its formula (finite
 * differences see the unbounded one). The decode kernels rs_rglru_step and
 * rs_conv_causal_step give the op's bits position by position; chunks
 * chained through h0 / the cache give the bits of one long run; the pool
 * gives the one-thread bits. Error paths name the bad value.
 */
#include "config.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- helpers ----------------------------------------------------------- */

/* The released code's a_param: u ~ U[0.81, 0.998], a = sqrt(u),
 * a_param = log(1/a - 1), so softplus(a_param) = -log a. */
static rs_tensor *
code_a_param(int C)
{
    int shape[1] = {C};
    rs_tensor *t = rs_tensor_new_param(1, shape, NULL);
    RS_ASSERT(t != NULL);
    for (int c = 0; c < C; c++) {
        double u = 0.81 + (0.998 - 0.81) * (double)rs_rng_uniform(&rng);
        double a = sqrt(u);
        t->data[c] = (float)log(1.0 / a - 1.0);
    }
    return t;
}

/* Reset flags with the given positions set in every sequence. */
static uint8_t *
resets_at(int B, int T, const int *pos, int npos)
{
    uint8_t *r = calloc((size_t)B * (size_t)T, 1);
    for (int b = 0; b < B; b++)
        for (int i = 0; i < npos; i++) {
            RS_ASSERT(pos[i] >= 0 && pos[i] < T);
            r[(size_t)b * (size_t)T + (size_t)pos[i]] = 1;
        }
    return r;
}

static double
sigmoid_d(double v)
{
    return 1.0 / (1.0 + exp(-v));
}

/* ---- rglru ------------------------------------------------------------- */

/* The paper's form in double: a = sigmoid(-a_param) (the code's a_param is
 * -Lambda), a_t = a^(8 ga_t), h_t = a_t h_{t-1} + sqrt(1 - a_t^2) gx_t x_t;
 * at a reset h_t = gx_t x_t. */
static void
ref_rglru(double *h, const float *x, const float *pa, const float *px,
          const float *ap, const float *h0, const uint8_t *reset, int B, int T,
          int C)
{
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++) {
            double hp = h0 != NULL ? (double)h0[b * C + c] : 0.0;
            double a = sigmoid_d(-(double)ap[c]);
            for (int t = 0; t < T; t++) {
                size_t i = ((size_t)b * T + t) * C + c;
                double gx = sigmoid_d(px[i]), ga = sigmoid_d(pa[i]);
                double at = pow(a, 8.0 * ga);
                bool r = reset != NULL && reset[(size_t)b * T + t];
                double xi = x[i];
                double v = r ? gx * xi : at * hp + sqrt(1 - at * at) * gx * xi;
                h[i] = v;
                hp = v;
            }
        }
}

struct lru_case {
    int B, T, C;
    bool h0, code_init;
    const int *resets;
    int nresets;
};

struct lru_ud {
    const uint8_t *reset;
};

static rs_tensor *
build_rglru(rs_graph *g, rs_tensor *const *in, void *ud)
{
    const struct lru_ud *u = ud;
    return rs_op_rglru(g, in[0], in[1], in[2], in[3], in[4], u->reset);
}

static void
check_rglru(const struct lru_case *c)
{
    int s3[3] = {c->B, c->T, c->C}, s2[2] = {c->B, c->C}, s1[1] = {c->C};
    rs_tensor *in[5];
    in[0] = tap_param(&rng, 3, s3, -2, 2);
    in[1] = tap_param(&rng, 3, s3, -3, 3);
    in[2] = tap_param(&rng, 3, s3, -3, 3);
    in[3] = c->code_init ? code_a_param(c->C) : tap_param(&rng, 1, s1, -3, 1);
    in[4] = c->h0 ? tap_param(&rng, 2, s2, -1, 1) : NULL;
    uint8_t *reset =
        c->nresets > 0 ? resets_at(c->B, c->T, c->resets, c->nresets) : NULL;
    char name[128];
    snprintf(name, sizeof name, "rglru B=%d T=%d C=%d%s%s resets=%d", c->B,
             c->T, c->C, c->h0 ? " h0" : "", c->code_init ? " code-init" : "",
             c->nresets);

    rs_graph *g = rs_graph_new();
    rs_tensor *y = rs_op_rglru(g, in[0], in[1], in[2], in[3], in[4], reset);
    tap_ok(y != NULL && rs_tensor_same_shape(y, in[0]), "%s: shape", name);
    if (y != NULL) {
        size_t n = y->numel;
        double *ref = malloc(n * sizeof *ref);
        float *reff = malloc(n * sizeof *reff);
        ref_rglru(ref, in[0]->data, in[1]->data, in[2]->data, in[3]->data,
                  in[4] != NULL ? in[4]->data : NULL, reset, c->B, c->T, c->C);
        for (size_t i = 0; i < n; i++)
            reff[i] = (float)ref[i];
        tap_is_floats(y->data, reff, n, 1e-5, 1e-4,
                      "%s: forward = a^(8 ga) form in double", name);
        free(ref);
        free(reff);
    } else {
        tap_diag("  %s", rs_graph_error(g)->msg);
    }
    rs_graph_free(g);

    struct lru_ud u = {reset};
    tap_gradcheck(name, c->h0 ? 5 : 4, in, build_rglru, &u, FD_H, FD_TOL);
    for (int k = 0; k < 5; k++)
        rs_tensor_release(in[k]);
    free(reset);
}

/* Only a_param takes gradients (x, pa, px constants): the kernel writes
 * the others into scratch. */
static void
check_rglru_param_only(void)
{
    int s3[3] = {2, 9, 18};
    rs_tensor *in[5] = {tap_filled(&rng, 3, s3, -2, 2),
                        tap_filled(&rng, 3, s3, -3, 3),
                        tap_filled(&rng, 3, s3, -3, 3), code_a_param(18), NULL};
    struct lru_ud u = {NULL};
    tap_gradcheck("rglru: only a_param takes gradients", 4, in, build_rglru, &u,
                  FD_H, FD_TOL);
    for (int k = 0; k < 4; k++)
        rs_tensor_release(in[k]);
}

/* a_param = -20: softplus = 2e-9, so a_t = exp(-1.6e-8 ga) rounds to 1 and
 * 4 (1 - a_t^2) < 1e-6: the sqrt's derivative is clipped at 1000. One
 * position after h0: the gradients must be finite and equal the bounded
 * formula of the file comment of ops_rglru.c, here in double. */
static void
check_rglru_bound(void)
{
    const int C = 5;
    int s3[3] = {1, 1, C}, s2[2] = {1, C}, s1[1] = {C};
    rs_tensor *x = tap_param(&rng, 3, s3, -2, 2);
    rs_tensor *pa = tap_param(&rng, 3, s3, -2, 2);
    rs_tensor *px = tap_param(&rng, 3, s3, -2, 2);
    rs_tensor *ap = tap_param(&rng, 1, s1, -20, -20);
    rs_tensor *h0 = tap_param(&rng, 2, s2, -1, 1);
    rs_graph *g = rs_graph_new();
    rs_tensor *y = rs_op_rglru(g, x, pa, px, ap, h0, NULL);
    float seed[5] = {1.0f, -0.5f, 0.25f, 2.0f, -1.0f};
    struct rs_error err = {0};
    bool ok = y != NULL && rs_graph_backward_seed(g, y, seed, &err) == RS_OK;
    tap_ok(ok, "rglru a -> 1: backward runs (%s)", err.msg);
    bool finite = true;
    double worst = 0.0;
    for (int c = 0; ok && c < C; c++) {
        double sp = log1p(exp((double)ap->data[c]));
        double gx = sigmoid_d(px->data[c]), ga = sigmoid_d(pa->data[c]);
        double la = -8.0 * ga * sp, a = exp(la), a2 = exp(2 * la);
        double z4 = 4.0 * (1.0 - a2);
        RS_ASSERT(z4 < 1e-6);
        double d = seed[c];
        double dmult = d * (double)x->data[c] * gx;
        double dla =
            d * (double)h0->data[c] * a - dmult / sqrt(1e-6) * 2.0 * a2;
        double want_pa = dla * (-8.0 * sp) * ga * (1.0 - ga);
        double want_ap = dla * (-8.0 * ga) * sigmoid_d(ap->data[c]);
        double want_h0 = d * a;
        double got[3] = {pa->grad[c], ap->grad[c], h0->grad[c]};
        double want[3] = {want_pa, want_ap, want_h0};
        for (int k = 0; k < 3; k++) {
            finite = finite && isfinite(got[k]);
            double e = fabs(got[k] - want[k]) / fmax(1e-12, fabs(want[k]));
            if (e > worst)
                worst = e;
        }
    }
    tap_ok(ok && finite, "rglru a -> 1: gradients finite");
    tap_ok(ok && worst < 1e-3,
           "rglru a -> 1: d pa, d a_param, d h0 follow the sqrt derivative "
           "bounded at 1000 (worst rel err %.2g)",
           worst);
    rs_graph_free(g);
    rs_tensor_release(x);
    rs_tensor_release(pa);
    rs_tensor_release(px);
    rs_tensor_release(ap);
    rs_tensor_release(h0);
}

/* rs_rglru_step from h0 through every position gives the op's output bits;
 * a reset row is exactly x gx and cuts off what came before. */
static void
check_rglru_step(void)
{
    const int B = 2, T = 40, C = 37;
    int s3[3] = {B, T, C}, s2[2] = {B, C};
    rs_tensor *x = tap_filled(&rng, 3, s3, -2, 2);
    rs_tensor *pa = tap_filled(&rng, 3, s3, -3, 3);
    rs_tensor *px = tap_filled(&rng, 3, s3, -3, 3);
    rs_tensor *ap = code_a_param(C);
    rs_tensor *h0 = tap_filled(&rng, 2, s2, -1, 1);
    int rpos[2] = {13, 29};
    uint8_t *reset = resets_at(B, T, rpos, 2);
    reset[T + 3] = 1; /* sequence 1 also at 3 */
    rs_graph *g = rs_graph_new();
    rs_tensor *y = rs_op_rglru(g, x, pa, px, ap, h0, reset);
    RS_ASSERT(y != NULL);
    size_t bad = 0;
    float *h = malloc((size_t)C * sizeof *h);
    for (int b = 0; b < B; b++) {
        memcpy(h, h0->data + (size_t)b * C, (size_t)C * sizeof *h);
        for (int t = 0; t < T; t++) {
            size_t bt = (size_t)b * T + t, row = bt * C;
            rs_rglru_step(h, x->data + row, pa->data + row, px->data + row,
                          ap->data, C, reset[bt] != 0);
            if (memcmp(h, y->data + row, (size_t)C * sizeof *h) != 0)
                bad++;
        }
    }
    tap_ok(bad == 0,
           "rglru step: bitwise the op at every position (%zu of "
           "%d rows differ)",
           bad, B * T);

    /* At a reset h = x sigmoid(px) exactly. */
    size_t row = (size_t)13 * C;
    bool exact = true;
    for (int c = 0; c < C; c++) {
        float gx = 1.0f / (1.0f + expf(-px->data[row + c]));
        exact = exact && fabsf(y->data[row + c] - x->data[row + c] * gx) <=
                             1e-6f * fabsf(x->data[row + c]) + 1e-7f;
    }
    tap_ok(exact, "rglru: at a reset h_t = x_t sigmoid(px_t)");

    /* Changing everything before the reset at 13 (and h0) changes nothing
     * from 13 on. */
    float *keep = malloc(y->numel * sizeof *keep);
    memcpy(keep, y->data, y->numel * sizeof *keep);
    for (size_t i = 0; i < (size_t)13 * C; i++) {
        x->data[i] += 0.5f;
        pa->data[i] -= 0.25f;
    }
    for (int c = 0; c < C; c++)
        h0->data[c] = 3.0f;
    rs_graph_reset(g);
    y = rs_op_rglru(g, x, pa, px, ap, h0, reset);
    RS_ASSERT(y != NULL);
    size_t from = (size_t)13 * C, to = (size_t)T * C;
    tap_ok(memcmp(y->data + from, keep + from, (to - from) * sizeof *keep) ==
                   0 &&
               memcmp(y->data, keep, from * sizeof *keep) != 0,
           "rglru: a reset hides the previous document (bitwise)");
    free(keep);
    free(h);
    free(reset);
    rs_graph_free(g);
    rs_tensor_release(x);
    rs_tensor_release(pa);
    rs_tensor_release(px);
    rs_tensor_release(ap);
    rs_tensor_release(h0);
}

/* Two chunks chained through h0 (the last state of the first) give the
 * bits of one run over both. */
static void
check_rglru_chunks(void)
{
    const int B = 3, T = 30, T1 = 12, C = 21;
    int s3[3] = {B, T, C};
    rs_tensor *src[3];
    for (int k = 0; k < 3; k++)
        src[k] = tap_filled(&rng, 3, s3, -2, 2);
    rs_tensor *ap = code_a_param(C);
    int rpos[1] = {20};
    uint8_t *reset = resets_at(B, T, rpos, 1);
    rs_graph *g = rs_graph_new();
    rs_tensor *whole = rs_op_rglru(g, src[0], src[1], src[2], ap, NULL, reset);
    RS_ASSERT(whole != NULL);
    rs_tensor *part[2][3];
    uint8_t *rpart[2];
    int Ts[2] = {T1, T - T1}, t0s[2] = {0, T1};
    for (int p = 0; p < 2; p++) {
        int sh[3] = {B, Ts[p], C};
        rpart[p] = malloc((size_t)B * Ts[p]);
        for (int k = 0; k < 3; k++) {
            part[p][k] = rs_graph_tensor(g, 3, sh);
            for (int b = 0; b < B; b++)
                memcpy(part[p][k]->data + (size_t)b * Ts[p] * C,
                       src[k]->data + ((size_t)b * T + t0s[p]) * C,
                       (size_t)Ts[p] * C * sizeof(float));
        }
        for (int b = 0; b < B; b++)
            memcpy(rpart[p] + (size_t)b * Ts[p], reset + (size_t)b * T + t0s[p],
                   (size_t)Ts[p]);
    }
    rs_tensor *y1 =
        rs_op_rglru(g, part[0][0], part[0][1], part[0][2], ap, NULL, rpart[0]);
    int s2[2] = {B, C};
    rs_tensor *h1 = rs_graph_tensor(g, 2, s2);
    for (int b = 0; b < B; b++)
        memcpy(h1->data + (size_t)b * C,
               y1->data + ((size_t)b * T1 + T1 - 1) * C,
               (size_t)C * sizeof(float));
    rs_tensor *y2 =
        rs_op_rglru(g, part[1][0], part[1][1], part[1][2], ap, h1, rpart[1]);
    size_t bad = 0;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            const float *got =
                t < T1 ? y1->data + ((size_t)b * T1 + t) * C
                       : y2->data + ((size_t)b * (T - T1) + t - T1) * C;
            if (memcmp(got, whole->data + ((size_t)b * T + t) * C,
                       (size_t)C * sizeof(float)) != 0)
                bad++;
        }
    tap_ok(bad == 0,
           "rglru: two chunks through h0 = one run, bitwise (%zu "
           "rows differ)",
           bad);
    free(rpart[0]);
    free(rpart[1]);
    free(reset);
    rs_graph_free(g);
    for (int k = 0; k < 3; k++)
        rs_tensor_release(src[k]);
    rs_tensor_release(ap);
}

/* Forward and all gradients at `threads` threads into res. */
static void
rglru_at(int threads, rs_tensor *const *in, const uint8_t *reset,
         const float *seed, float *res)
{
    rs_pool_set_threads(threads);
    rs_graph *g = rs_graph_new();
    for (int k = 0; k < 5; k++)
        rs_tensor_zero_grad(in[k]);
    rs_tensor *y = rs_op_rglru(g, in[0], in[1], in[2], in[3], in[4], reset);
    RS_ASSERT(y != NULL);
    int rc = rs_graph_backward_seed(g, y, seed, NULL);
    RS_ASSERT(rc == RS_OK);
    memcpy(res, y->data, y->numel * sizeof(float));
    res += y->numel;
    for (int k = 0; k < 5; k++) {
        memcpy(res, in[k]->grad, in[k]->numel * sizeof(float));
        res += in[k]->numel;
    }
    rs_graph_free(g);
    rs_pool_set_threads(1);
}

static void
check_rglru_threads(void)
{
    const int B = 8, T = 64, C = 40;
    int s3[3] = {B, T, C}, s2[2] = {B, C};
    rs_tensor *in[5] = {tap_param(&rng, 3, s3, -2, 2),
                        tap_param(&rng, 3, s3, -3, 3),
                        tap_param(&rng, 3, s3, -3, 3), code_a_param(C),
                        tap_param(&rng, 2, s2, -1, 1)};
    int rpos[2] = {5, 40};
    uint8_t *reset = resets_at(B, T, rpos, 2);
    size_t ny = (size_t)B * T * C, n = ny;
    for (int k = 0; k < 5; k++)
        n += in[k]->numel;
    float *seed = malloc(ny * sizeof *seed);
    for (size_t i = 0; i < ny; i++)
        seed[i] = rs_rng_uniform(&rng) - 0.5f;
    float *one = malloc(n * sizeof *one), *more = malloc(n * sizeof *more);
    rglru_at(1, in, reset, seed, one);
    rglru_at(2, in, reset, seed, more);
    tap_ok(memcmp(one, more, n * sizeof *one) == 0,
           "rglru on 2 threads: output and gradients bitwise the 1-thread "
           "ones");
    free(one);
    free(more);
    free(seed);
    free(reset);
    for (int k = 0; k < 5; k++)
        rs_tensor_release(in[k]);
}

static void
check_rglru_errors(void)
{
    int s3[3] = {2, 4, 6}, s3b[3] = {2, 4, 5}, s1[1] = {5}, s2[2] = {3, 6};
    rs_tensor *x = tap_filled(&rng, 3, s3, -1, 1);
    rs_tensor *bad = tap_filled(&rng, 3, s3b, -1, 1);
    rs_tensor *ap5 = tap_filled(&rng, 1, s1, -1, 1);
    rs_tensor *h0 = tap_filled(&rng, 2, s2, -1, 1);
    rs_graph *g = rs_graph_new();
    tap_ok(rs_op_rglru(g, x, bad, x, ap5, NULL, NULL) == NULL &&
               tap_graph_failed_with(g, "rglru", "pa"),
           "rglru: pa of another shape is an error naming pa");
    rs_graph_reset(g);
    int s6[1] = {6};
    rs_tensor *ap6 = tap_filled(&rng, 1, s6, -1, 1);
    tap_ok(rs_op_rglru(g, x, x, x, ap5, NULL, NULL) == NULL &&
               tap_graph_failed_with(g, "a_param", "5"),
           "rglru: a_param of the wrong size is an error naming it");
    rs_graph_reset(g);
    tap_ok(rs_op_rglru(g, x, x, x, ap6, h0, NULL) == NULL &&
               tap_graph_failed_with(g, "h0", "(2, 6)"),
           "rglru: h0 of the wrong shape is an error naming it");
    rs_graph_free(g);
    rs_tensor_release(x);
    rs_tensor_release(bad);
    rs_tensor_release(ap5);
    rs_tensor_release(ap6);
    rs_tensor_release(h0);
}

static void
test_rglru(void)
{
    static const int r_mid[3] = {2, 5, 6};
    static const int r_long[4] = {0, 37, 90, 151};
    const struct lru_case cases[] = {
        {1, 1, 1, false, false, NULL, 0},
        {2, 5, 3, false, false, NULL, 0},
        {2, 7, 3, true, false, r_mid, 3},
        {2, 7, 20, true, true, r_mid, 3}, /* a block of 16 and a tail */
        {1, 200, 3, true, true, r_long, 4},
        {2, 200, 2, true, false, r_long + 1, 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_rglru(&cases[i]);
    check_rglru_param_only();
    check_rglru_bound();
    check_rglru_step();
    check_rglru_chunks();
    check_rglru_threads();
    check_rglru_errors();
}

/* ---- conv_causal ------------------------------------------------------- */

struct conv_ud {
    const uint8_t *reset;
    rs_tensor *cache;
};

static rs_tensor *
build_conv(rs_graph *g, rs_tensor *const *in, void *ud)
{
    const struct conv_ud *u = ud;
    return rs_op_conv_causal(g, in[0], in[1], in[2], u->cache, u->reset);
}

/* K = 3, one channel, x = 1 2 3 4, cache (positions -2, -1) = 10 20,
 * w = 1 10 100 (w[2] weighs the current input), b = 0.5, a document start
 * at t = 2:
 *   out_0 = 100*1 + 10*20 + 1*10 + .5 = 310.5
 *   out_1 = 100*2 + 10*1 + 1*20 + .5 = 230.5
 *   out_2 = 100*3 + .5 = 300.5           (the reset hides 1, 2 and cache)
 *   out_3 = 100*4 + 10*3 + .5 = 430.5    (still not 2)
 * Without cache or reset: 100.5, 210.5, 321.5, 432.5. */
static void
check_conv_by_hand(void)
{
    int sx[3] = {1, 4, 1}, sw[2] = {3, 1}, sb[1] = {1}, sc[3] = {1, 2, 1};
    rs_tensor *x = rs_tensor_new(3, sx, NULL), *w = rs_tensor_new(2, sw, NULL);
    rs_tensor *b = rs_tensor_new(1, sb, NULL), *c = rs_tensor_new(3, sc, NULL);
    const float xv[4] = {1, 2, 3, 4}, wv[3] = {1, 10, 100}, cv[2] = {10, 20};
    memcpy(x->data, xv, sizeof xv);
    memcpy(w->data, wv, sizeof wv);
    memcpy(c->data, cv, sizeof cv);
    b->data[0] = 0.5f;
    const uint8_t reset[4] = {0, 0, 1, 0};
    rs_graph *g = rs_graph_new();
    rs_tensor *y = rs_op_conv_causal(g, x, w, b, c, reset);
    const float want[4] = {310.5f, 230.5f, 300.5f, 430.5f};
    tap_ok(y != NULL && memcmp(y->data, want, sizeof want) == 0,
           "conv by hand: cache, bias and a reset");
    y = rs_op_conv_causal(g, x, w, b, NULL, NULL);
    const float want2[4] = {100.5f, 210.5f, 321.5f, 432.5f};
    tap_ok(y != NULL && memcmp(y->data, want2, sizeof want2) == 0,
           "conv by hand: no cache reads zeros before the start");
    rs_graph_free(g);
    rs_tensor_release(x);
    rs_tensor_release(w);
    rs_tensor_release(b);
    rs_tensor_release(c);
}

static void
check_conv_grad(int B, int T, int C, int K, bool bias, bool cache,
                const int *rpos, int nr)
{
    int sx[3] = {B, T, C}, sw[2] = {K, C}, sb[1] = {C}, sc[3] = {B, K - 1, C};
    rs_tensor *in[3] = {tap_param(&rng, 3, sx, -1, 1),
                        tap_param(&rng, 2, sw, -1, 1),
                        bias ? tap_param(&rng, 1, sb, -1, 1) : NULL};
    uint8_t *reset = nr > 0 ? resets_at(B, T, rpos, nr) : NULL;
    struct conv_ud u = {reset, cache ? tap_filled(&rng, 3, sc, -1, 1) : NULL};
    char name[96];
    snprintf(name, sizeof name, "conv B=%d T=%d C=%d K=%d%s%s resets=%d", B, T,
             C, K, bias ? " bias" : "", cache ? " cache" : "", nr);
    tap_gradcheck(name, bias ? 3 : 2, in, build_conv, &u, FD_H, FD_TOL);
    free(reset);
    rs_tensor_release(u.cache);
    for (int k = 0; k < 3; k++)
        rs_tensor_release(in[k]);
}

/* rs_conv_causal_step from the op's cache through every position gives the
 * op's bits; two chunks chained through the cache give one run's bits. */
static void
check_conv_step(void)
{
    const int B = 2, T = 30, C = 35, K = 4, T1 = 11;
    int sx[3] = {B, T, C}, sw[2] = {K, C}, sb[1] = {C}, sc[3] = {B, K - 1, C};
    rs_tensor *x = tap_filled(&rng, 3, sx, -1, 1);
    rs_tensor *w = tap_filled(&rng, 2, sw, -1, 1);
    rs_tensor *b = tap_filled(&rng, 1, sb, -1, 1);
    rs_tensor *cache = tap_filled(&rng, 3, sc, -1, 1);
    int rpos[2] = {2, 17};
    uint8_t *reset = resets_at(B, T, rpos, 2);
    reset[T + 2] = 0; /* sequence 1: documents start at 9 and 17 */
    reset[T + 9] = 1;
    rs_graph *g = rs_graph_new();
    rs_tensor *y = rs_op_conv_causal(g, x, w, b, cache, reset);
    RS_ASSERT(y != NULL);
    rs_tensor *c2 = rs_graph_tensor(g, 3, sc);
    float *cc = malloc((size_t)(K - 1) * C * sizeof *cc);
    float *out = malloc((size_t)C * sizeof *out);
    float *cfrom = malloc((size_t)(K - 1) * C * sizeof *cfrom);
    size_t bad = 0, badc = 0;
    for (int bb = 0; bb < B; bb++) {
        memcpy(cc, cache->data + (size_t)bb * (K - 1) * C,
               (size_t)(K - 1) * C * sizeof *cc);
        for (int t = 0; t < T; t++) {
            size_t bt = (size_t)bb * T + t;
            rs_conv_causal_step(out, cc, x->data + bt * C, w->data, b->data, K,
                                C, reset[bt] != 0);
            if (memcmp(out, y->data + bt * C, (size_t)C * sizeof *out) != 0)
                bad++;
            if (t == T1 - 1) /* the decoder's cache: a chunk's carry */
                memcpy(c2->data + (size_t)bb * (K - 1) * C, cc,
                       (size_t)(K - 1) * C * sizeof *cc);
            if (t == T1 - 1 || t == T - 1) {
                /* rs_conv_causal_cache from the op's inputs agrees */
                rs_conv_causal_cache(cfrom,
                                     cache->data + (size_t)bb * (K - 1) * C,
                                     x->data + (size_t)bb * T * C,
                                     reset + (size_t)bb * T, t + 1, K, C);
                if (memcmp(cfrom, cc, (size_t)(K - 1) * C * sizeof *cc) != 0)
                    badc++;
            }
        }
    }
    tap_ok(badc == 0,
           "conv: rs_conv_causal_cache = the step's cache after 11 and 30 "
           "positions (%zu differ)",
           badc);
    tap_ok(bad == 0,
           "conv step: bitwise the op at every position (%zu of %d "
           "rows differ)",
           bad, B * T);

    /* Without a cache: the step from a zeroed cache. */
    rs_tensor *y0 = rs_op_conv_causal(g, x, w, NULL, NULL, NULL);
    bad = 0;
    for (int bb = 0; bb < B; bb++) {
        memset(cc, 0, (size_t)(K - 1) * C * sizeof *cc);
        for (int t = 0; t < T; t++) {
            size_t bt = (size_t)bb * T + t;
            rs_conv_causal_step(out, cc, x->data + bt * C, w->data, NULL, K, C,
                                false);
            if (memcmp(out, y0->data + bt * C, (size_t)C * sizeof *out) != 0)
                bad++;
        }
    }
    tap_ok(bad == 0,
           "conv step without cache or bias: bitwise the op "
           "(%zu rows differ)",
           bad);

    /* Chunks: the second's cache is the decoder's after the first (its
     * last K-1 inputs, zeros before a document start). */
    int s1[3] = {B, T1, C}, s2[3] = {B, T - T1, C};
    rs_tensor *x1 = rs_graph_tensor(g, 3, s1), *x2 = rs_graph_tensor(g, 3, s2);
    uint8_t *r1 = malloc((size_t)B * T1), *r2 = malloc((size_t)B * (T - T1));
    for (int bb = 0; bb < B; bb++) {
        const float *xb = x->data + (size_t)bb * T * C;
        memcpy(x1->data + (size_t)bb * T1 * C, xb,
               (size_t)T1 * C * sizeof(float));
        memcpy(x2->data + (size_t)bb * (T - T1) * C, xb + (size_t)T1 * C,
               (size_t)(T - T1) * C * sizeof(float));
        memcpy(r1 + (size_t)bb * T1, reset + (size_t)bb * T, (size_t)T1);
        memcpy(r2 + (size_t)bb * (T - T1), reset + (size_t)bb * T + T1,
               (size_t)(T - T1));
    }
    rs_tensor *ya = rs_op_conv_causal(g, x1, w, b, cache, r1);
    rs_tensor *yb = rs_op_conv_causal(g, x2, w, b, c2, r2);
    bad = 0;
    for (int bb = 0; bb < B; bb++)
        for (int t = 0; t < T; t++) {
            const float *got =
                t < T1 ? ya->data + ((size_t)bb * T1 + t) * C
                       : yb->data + ((size_t)bb * (T - T1) + t - T1) * C;
            if (memcmp(got, y->data + ((size_t)bb * T + t) * C,
                       (size_t)C * sizeof(float)) != 0)
                bad++;
        }
    tap_ok(bad == 0,
           "conv: two chunks through the cache = one run, bitwise "
           "(%zu rows differ)",
           bad);
    free(r1);
    free(r2);
    free(cc);
    free(cfrom);
    free(out);
    free(reset);
    rs_graph_free(g);
    rs_tensor_release(x);
    rs_tensor_release(w);
    rs_tensor_release(b);
    rs_tensor_release(cache);
}

static void
check_conv_errors(void)
{
    int sx[3] = {2, 5, 4}, sw[2] = {3, 5}, sw17[2] = {17, 4}, sc[3] = {2, 3, 4},
        sw3[2] = {3, 4};
    rs_tensor *x = tap_filled(&rng, 3, sx, -1, 1);
    rs_tensor *w = tap_filled(&rng, 2, sw, -1, 1);
    rs_tensor *w17 = tap_filled(&rng, 2, sw17, -1, 1);
    rs_tensor *w3 = tap_filled(&rng, 2, sw3, -1, 1);
    rs_tensor *c = tap_filled(&rng, 3, sc, -1, 1);
    rs_graph *g = rs_graph_new();
    tap_ok(rs_op_conv_causal(g, x, w, NULL, NULL, NULL) == NULL &&
               tap_graph_failed_with(g, "conv_causal", "w"),
           "conv: w with the wrong C is an error naming w");
    rs_graph_reset(g);
    tap_ok(rs_op_conv_causal(g, x, w17, NULL, NULL, NULL) == NULL &&
               tap_graph_failed_with(g, "17 taps", NULL),
           "conv: more than RS_CONV_MAX_TAPS taps is an error");
    rs_graph_reset(g);
    tap_ok(rs_op_conv_causal(g, x, w3, NULL, c, NULL) == NULL &&
               tap_graph_failed_with(g, "cache", "(2, 2, 4)"),
           "conv: a cache of the wrong shape is an error naming it");
    rs_graph_free(g);
    rs_tensor_release(x);
    rs_tensor_release(w);
    rs_tensor_release(w17);
    rs_tensor_release(w3);
    rs_tensor_release(c);
}

static void
test_conv(void)
{
    static const int r1[2] = {1, 4};
    static const int r0[1] = {0};
    check_conv_by_hand();
    check_conv_grad(2, 7, 5, 4, true, false, NULL, 0);
    check_conv_grad(2, 7, 5, 4, true, true, r1, 2);
    check_conv_grad(1, 6, 20, 3, false, true, r0, 1);
    check_conv_grad(2, 3, 3, 1, true, false, r1, 1);
    check_conv_step();
    check_conv_errors();
}

/* ---- blockdiag --------------------------------------------------------- */

static rs_tensor *
build_blockdiag(rs_graph *g, rs_tensor *const *in, void *ud)
{
    (void)ud;
    return rs_op_blockdiag(g, in[0], in[1], in[2]);
}

static void
check_blockdiag(int H, int w, bool bias)
{
    int D = H * w;
    int sx[3] = {2, 3, D}, sW[3] = {H, w, w}, sb[1] = {D};
    rs_tensor *in[3] = {tap_param(&rng, 3, sx, -1, 1),
                        tap_param(&rng, 3, sW, -1, 1),
                        bias ? tap_param(&rng, 1, sb, -1, 1) : NULL};
    char name[64];
    snprintf(name, sizeof name, "blockdiag H=%d w=%d%s", H, w,
             bias ? " bias" : "");
    /* The dense (D, D) matrix with W's blocks on the diagonal. */
    double *dense = calloc((size_t)D * D, sizeof *dense);
    for (int h = 0; h < H; h++)
        for (int i = 0; i < w; i++)
            for (int j = 0; j < w; j++)
                dense[(size_t)(h * w + i) * D + h * w + j] =
                    in[1]->data[((size_t)h * w + i) * w + j];
    size_t N = 6;
    float *want = malloc(N * D * sizeof *want);
    for (size_t r = 0; r < N; r++)
        for (int j = 0; j < D; j++) {
            double s = bias ? (double)in[2]->data[j] : 0.0;
            for (int i = 0; i < D; i++)
                s += (double)in[0]->data[r * D + i] * dense[(size_t)i * D + j];
            want[r * D + j] = (float)s;
        }
    rs_graph *g = rs_graph_new();
    rs_tensor *y = rs_op_blockdiag(g, in[0], in[1], in[2]);
    tap_ok(y != NULL && rs_tensor_same_shape(y, in[0]), "%s: shape", name);
    if (y != NULL)
        tap_is_floats(y->data, want, N * D, 1e-5, 1e-5,
                      "%s: = x times the dense block matrix", name);
    rs_graph_free(g);
    tap_gradcheck(name, bias ? 3 : 2, in, build_blockdiag, NULL, FD_H, FD_TOL);
    free(dense);
    free(want);
    for (int k = 0; k < 3; k++)
        rs_tensor_release(in[k]);
}

static void
test_blockdiag(void)
{
    check_blockdiag(1, 5, true);
    check_blockdiag(3, 4, true);
    check_blockdiag(4, 2, false);
    int sx[2] = {3, 10}, sW[3] = {3, 4, 4}, sW2[3] = {2, 4, 5};
    rs_tensor *x = tap_filled(&rng, 2, sx, -1, 1);
    rs_tensor *W = tap_filled(&rng, 3, sW, -1, 1);
    rs_tensor *W2 = tap_filled(&rng, 3, sW2, -1, 1);
    rs_graph *g = rs_graph_new();
    tap_ok(rs_op_blockdiag(g, x, W, NULL) == NULL &&
               tap_graph_failed_with(g, "blockdiag", "H w = 12"),
           "blockdiag: x not ending in H w is an error naming H w");
    rs_graph_reset(g);
    tap_ok(rs_op_blockdiag(g, x, W2, NULL) == NULL &&
               tap_graph_failed_with(g, "(H, w, w)", NULL),
           "blockdiag: non-square blocks are an error");
    rs_graph_free(g);
    rs_tensor_release(x);
    rs_tensor_release(W);
    rs_tensor_release(W2);
}

/* ---- softcap ----------------------------------------------------------- */

static rs_tensor *
build_softcap(rs_graph *g, rs_tensor *const *in, void *ud)
{
    return rs_op_softcap(g, in[0], *(const float *)ud);
}

static void
test_softcap(void)
{
    const float xs[8] = {0.0f,  1e-3f,  -1.0f, 15.0f,
                         30.0f, -45.0f, 1e4f,  -1e30f};
    int s1[1] = {8};
    rs_tensor *x = rs_tensor_new(1, s1, NULL);
    memcpy(x->data, xs, sizeof xs);
    rs_graph *g = rs_graph_new();
    rs_tensor *y = rs_op_softcap(g, x, 30.0f);
    float want[8];
    for (int i = 0; i < 8; i++)
        want[i] = (float)(30.0 * tanh((double)xs[i] / 30.0));
    tap_ok(y != NULL, "softcap: builds");
    if (y != NULL) {
        tap_is_floats(y->data, want, 8, 1e-6, 1e-6,
                      "softcap 30: 30 tanh(x / 30)");
        bool within = true;
        for (int i = 0; i < 8; i++)
            within = within && fabsf(y->data[i]) <= 30.0f;
        tap_ok(within && y->data[6] > 29.99f && y->data[7] == -30.0f,
               "softcap: |y| <= cap, y -> +-cap for large |x|");
        tap_is_float(y->data[4], 30.0 * tanh(1.0), 1e-5, 0,
                     "softcap: x = cap gives cap tanh 1");
    }
    rs_graph_reset(g);
    tap_ok(rs_op_softcap(g, x, 0.0f) == NULL &&
               tap_graph_failed_with(g, "softcap", "cap 0"),
           "softcap: cap 0 is an error naming it");
    rs_graph_reset(g);
    tap_ok(rs_op_softcap(g, x, NAN) == NULL &&
               tap_graph_failed_with(g, "softcap", "nan"),
           "softcap: a NaN cap is an error");
    rs_graph_free(g);
    rs_tensor_release(x);

    int s3[3] = {2, 3, 21};
    rs_tensor *p = tap_param(&rng, 3, s3, -6, 6);
    float cap = 2.0f;
    rs_tensor *in[1] = {p};
    tap_gradcheck("softcap cap=2", 1, in, build_softcap, &cap, FD_H, FD_TOL);
    rs_tensor_release(p);
}

/* ---- the recurrent block chained ---------------------------------------- */

/* u = conv(x); lru(u, blockdiag(x) for pa and px): every parameter of the
 * temporal part of a recurrent block, through three op kinds at once. */
struct block_ud {
    const uint8_t *reset;
};

static rs_tensor *
build_block(rs_graph *g, rs_tensor *const *in, void *ud)
{
    const struct block_ud *u = ud;
    rs_tensor *cv = rs_op_conv_causal(g, in[0], in[1], in[2], NULL, u->reset);
    rs_tensor *pa = rs_op_blockdiag(g, in[0], in[3], in[4]);
    rs_tensor *px = rs_op_blockdiag(g, in[0], in[5], NULL);
    return rs_op_rglru(g, cv, pa, px, in[6], in[7], u->reset);
}

static void
test_block(void)
{
    const int B = 2, T = 12, H = 2, w = 3, C = H * w;
    int sx[3] = {B, T, C}, sk[2] = {4, C}, sc[1] = {C}, sW[3] = {H, w, w},
        sh[2] = {B, C};
    rs_tensor *in[8] = {tap_param(&rng, 3, sx, -1, 1),
                        tap_param(&rng, 2, sk, -0.5f, 0.5f),
                        tap_param(&rng, 1, sc, -0.1f, 0.1f),
                        tap_param(&rng, 3, sW, -0.6f, 0.6f),
                        tap_param(&rng, 1, sc, -0.1f, 0.1f),
                        tap_param(&rng, 3, sW, -0.6f, 0.6f),
                        code_a_param(C),
                        tap_param(&rng, 2, sh, -1, 1)};
    int rpos[1] = {7};
    uint8_t *reset = resets_at(B, T, rpos, 1);
    struct block_ud u = {reset};
    tap_gradcheck("conv -> blockdiag gates -> rglru", 8, in, build_block, &u,
                  FD_H, FD_TOL);
    free(reset);
    for (int k = 0; k < 8; k++)
        rs_tensor_release(in[k]);
}

int
main(void)
{
    tap_plan_lazy();
    rs_rng_seed(&rng, 20240229);
    test_rglru();
    test_conv();
    test_blockdiag();
    test_softcap();
    test_block();
    return tap_done();
}
