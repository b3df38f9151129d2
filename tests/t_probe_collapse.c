/* repscope - MIT licence, see COPYING.
 *
 * t_probe_collapse.c: the collapse instruments of probe/collapse.h. The
 * distance helper on hand-made vectors (values a quarter of a bf16 ulp
 * apart are equal after rounding, distinct in fp32) and the resolution
 * helper; identical sequences at exactly 0 in every precision with the
 * parameters restored bit for bit; the float32 distance of 1..1 0 against
 * 1..1 0 0 shrinking with n on random NoPE and RoPE models ("Transformers
 * need glasses!", arXiv 2406.04267, Thm B.3); the attention total
 * variation against one computed here from two separate forwards, 0 for
 * a sequence with itself and > 0 for 1010.. against 0101.. (Prop. B.4);
 * errors naming the bad value.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "core/prec.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "nn/model.h"
#include "nn/transformer.h"
#include "probe/collapse.h"
#include "tests/tap.h"

static rs_nn_transformer *
build(enum rs_nn_pos pos, int vocab, int ctx, int d, int heads, int layers,
      uint64_t seed)
{
    struct rs_nn_transformer_config cfg;
    rs_nn_transformer_config_default(&cfg);
    cfg.vocab = vocab;
    cfg.ctx = ctx;
    cfg.d = d;
    cfg.heads = heads;
    cfg.layers = layers;
    cfg.pos = pos;
    struct rs_rng rng;
    rs_rng_seed(&rng, seed);
    struct rs_error err = {0};
    rs_nn_transformer *tf = rs_nn_transformer_new(&cfg, &rng, &err);
    if (tf == NULL)
        tap_bail("rs_nn_transformer_new(%s): %s", rs_nn_pos_name(pos), err.msg);
    return tf;
}

/* The next bf16 value above x > 0, from the bits. */
static float
bf16_next_up(float x)
{
    uint16_t h = rs_prec_f32_to_bf16(x);
    return rs_prec_bf16_to_f32((uint16_t)(h + 1));
}

static void
test_distance(void)
{
    /* By hand: y = (1, -2, 0.5), y* = (1.5, -2, 0). */
    const float y[3] = {1.0f, -2.0f, 0.5f}, ys[3] = {1.5f, -2.0f, 0.0f};
    struct rs_probe_collapse c;
    rs_probe_collapse_distance(y, ys, 3, RS_PREC_F32, &c);
    tap_ok(c.linf == 0.5 && c.l1 == 1.0 && c.ymax == 2.0,
           "distance by hand: linf %g l1 %g ymax %g", c.linf, c.l1, c.ymax);

    /* x bf16-exact, x' = x + a quarter of its bf16 ulp. */
    enum { N = 64 };
    float x[N], xp[N];
    struct rs_rng rng;
    rs_rng_seed(&rng, 9);
    for (int k = 0; k < N; k++) {
        float v =
            rs_prec_round(0.1f + 4.0f * rs_rng_uniform(&rng), RS_PREC_BF16);
        float ulp = bf16_next_up(v) - v;
        x[k] = k % 2 ? v : -v;
        xp[k] = k % 2 ? v + 0.25f * ulp : -(v + 0.25f * ulp);
    }
    rs_probe_collapse_distance(x, xp, N, RS_PREC_F32, &c);
    double l1 = 0.0;
    for (int k = 0; k < N; k++)
        l1 += fabs((double)x[k] - (double)xp[k]);
    tap_ok(c.linf > 0.0 && c.l1 == l1,
           "fp32: a quarter-ulp gap is seen (linf %.3g, l1 %.3g)", c.linf,
           c.l1);
    rs_probe_collapse_distance(x, xp, N, RS_PREC_BF16, &c);
    tap_ok(c.linf == 0.0 && c.l1 == 0.0,
           "bf16: a quarter-ulp gap rounds away (linf %g)", c.linf);
    tap_ok(l1 / N < rs_probe_collapse_resolution(c.ymax, RS_PREC_BF16),
           "bf16: the gap is below ymax 2^-8");
    /* A one-ulp gap survives bf16. */
    xp[5] = bf16_next_up(x[5]);
    rs_probe_collapse_distance(x, xp, N, RS_PREC_BF16, &c);
    tap_ok(c.linf == (double)(xp[5] - x[5]),
           "bf16: a one-ulp gap survives (linf %g)", c.linf);

    tap_ok(rs_probe_collapse_resolution(3.0, RS_PREC_BF16) == 3.0 / 256 &&
               rs_probe_collapse_resolution(3.0, RS_PREC_F16) == 3.0 / 2048 &&
               rs_probe_collapse_resolution(3.0, RS_PREC_F32) == 3.0 / 16777216,
           "resolution: ymax 2^-8, 2^-11, 2^-24");
}

static void
test_identical(void)
{
    rs_nn_transformer *tf = build(RS_NN_POS_LEARNED, 7, 32, 16, 2, 2, 4);
    rs_nn_model *m = rs_nn_transformer_model(tf);
    size_t numel = rs_nn_model_numel(m);
    float *before = malloc(numel * sizeof *before);
    size_t off = 0;
    for (int p = 0; p < rs_nn_model_count(m); p++) {
        rs_tensor *t = rs_nn_model_param(m, p);
        memcpy(before + off, t->data, t->numel * sizeof *before);
        off += t->numel;
    }
    int v[20];
    struct rs_rng rng;
    rs_rng_seed(&rng, 2);
    for (int i = 0; i < 20; i++)
        v[i] = (int)rs_rng_below(&rng, 7);
    rs_graph *g = rs_graph_new();
    const enum rs_prec precs[3] = {RS_PREC_F32, RS_PREC_BF16, RS_PREC_F16};
    for (int q = 0; q < 3; q++) {
        struct rs_probe_collapse c = {-1, -1, -1};
        struct rs_error err = {0};
        int rc = rs_probe_collapse(tf, g, v, 20, v, 20, precs[q], &c, &err);
        tap_ok(rc == RS_OK && c.linf == 0.0 && c.l1 == 0.0 && c.ymax > 0.0,
               "%s: v against itself is exactly 0 (ymax %.3g; %s)",
               rs_prec_name(precs[q]), c.ymax, err.msg);
    }
    int moved = 0;
    off = 0;
    for (int p = 0; p < rs_nn_model_count(m); p++) {
        rs_tensor *t = rs_nn_model_param(m, p);
        moved += memcmp(before + off, t->data, t->numel * sizeof *before) != 0;
        off += t->numel;
    }
    tap_is_int(moved, 0, "parameters restored bit for bit after bf16/fp16");
    tap_ok(rs_graph_precision(g) == RS_PREC_F32 && rs_graph_grad_enabled(g),
           "graph settings restored");

    /* The last token differs: nonzero in fp32, and bf16 / fp16 really
     * round (their results are not the fp32 ones). */
    int w[20];
    memcpy(w, v, sizeof w);
    w[19] = (v[19] + 1) % 7;
    struct rs_probe_collapse c32, c16, cb;
    struct rs_error err = {0};
    int rc = rs_probe_collapse(tf, g, v, 20, w, 20, RS_PREC_F32, &c32, &err);
    rc |= rs_probe_collapse(tf, g, v, 20, w, 20, RS_PREC_BF16, &cb, &err);
    rc |= rs_probe_collapse(tf, g, v, 20, w, 20, RS_PREC_F16, &c16, &err);
    tap_ok(rc == RS_OK && c32.linf > 0.1 && cb.linf > 0.1 && c16.linf > 0.1,
           "different last tokens are far apart (%.3g %.3g %.3g)", c32.linf,
           cb.linf, c16.linf);
    tap_ok(cb.ymax != c32.ymax && c16.ymax != c32.ymax &&
               fabs(cb.ymax - c32.ymax) < 0.05 * c32.ymax,
           "bf16/fp16 ymax %.6f / %.6f close to but not fp32's %.6f", cb.ymax,
           c16.ymax, c32.ymax);
    tap_ok(rs_prec_round((float)cb.ymax, RS_PREC_BF16) == (float)cb.ymax,
           "bf16 ymax is a bf16 value");
    free(before);
    rs_graph_free(g);
    rs_nn_transformer_free(tf);
}

/* v = 1^(n-1) 0, v* = v 0 (the last token repeated), fp32 and bf16. */
static void
test_shrinks(enum rs_nn_pos pos)
{
    const char *pn = rs_nn_pos_name(pos);
    enum { NMAX = 512 };
    rs_nn_transformer *tf = build(pos, 2, NMAX + 1, 16, 1, 2, 21);
    int *v = malloc((NMAX + 1) * sizeof *v);
    rs_graph *g = rs_graph_new();
    const int ns[3] = {8, 64, NMAX};
    double prev = INFINITY;
    int ok = 1;
    for (int k = 0; k < 3; k++) {
        int n = ns[k];
        for (int i = 0; i < n + 1; i++)
            v[i] = i < n - 1 ? 1 : 0;
        struct rs_probe_collapse c, cb;
        struct rs_error err = {0};
        if (rs_probe_collapse(tf, g, v, n, v, n + 1, RS_PREC_F32, &c, &err) !=
                RS_OK ||
            rs_probe_collapse(tf, g, v, n, v, n + 1, RS_PREC_BF16, &cb, &err) !=
                RS_OK) {
            tap_skip(1, "%s: %s", pn, err.msg);
            goto out;
        }
        tap_diag("%s n = %3d: fp32 linf %.3e l1 %.3e ymax %.3f (bf16 res "
                 "%.3e); bf16 linf %.3e",
                 pn, n, c.linf, c.l1, c.ymax,
                 rs_probe_collapse_resolution(c.ymax, RS_PREC_BF16), cb.linf);
        ok &= c.linf > 0.0 && c.linf < prev;
        prev = c.linf;
    }
    tap_ok(ok, "%s: fp32 distance of 1..10 / 1..100 shrinks with n", pn);
out:
    free(v);
    rs_graph_free(g);
    rs_nn_transformer_free(tf);
}

static void
test_attn_tv(void)
{
    enum { N = 16, H = 2 };
    rs_nn_transformer *tf = build(RS_NN_POS_SINUSOIDAL, 2, N, 16, H, 2, 8);
    int x[N], xs[N];
    for (int i = 0; i < N; i++) {
        x[i] = (i + 1) % 2; /* 1 0 1 0 ... */
        xs[i] = i % 2;      /* 0 1 0 1 ... */
    }
    rs_graph *g = rs_graph_new();
    double tv = -1.0;
    struct rs_error err = {0};
    int rc = rs_probe_collapse_attn_tv(tf, g, x, x, N, 1, &tv, &err);
    tap_ok(rc == RS_OK && tv == 0.0, "attn_tv(x, x) = %g", tv);

    for (int layer = 1; layer <= 2; layer++) {
        rc = rs_probe_collapse_attn_tv(tf, g, x, xs, N, layer, &tv, &err);
        /* By hand: two batch-1 forwards, head-mean last rows. */
        double row[2][N];
        rs_graph *g2 = rs_graph_new();
        for (int b = 0; b < 2; b++) {
            rs_graph_reset(g2);
            if (rs_nn_transformer_forward(tf, g2, b ? xs : x, 1, N) == NULL)
                tap_bail("forward: %s", rs_graph_error(g2)->msg);
            const float *a = rs_nn_transformer_attn(tf, layer)->data;
            for (int s = 0; s < N; s++)
                row[b][s] = ((double)a[(N - 1) * N + s] +
                             (double)a[N * N + (N - 1) * N + s]) /
                            H;
        }
        double want = 0.0;
        for (int s = 0; s < N; s++)
            want += fabs(row[0][s] - row[1][s]);
        rs_graph_free(g2);
        tap_ok(rc == RS_OK && tv > 1e-3,
               "layer %d: attn_tv(1010.., 0101..) = %.4f > 0", layer, tv);
        tap_is_float(tv, want, 1e-6, 1e-5,
                     "layer %d: attn_tv = the sum computed by hand", layer);
    }
    rc = rs_probe_collapse_attn_tv(tf, g, x, xs, N, 3, &tv, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "layer = 3") != NULL,
           "bad layer rejected: %s", err.msg);
    x[2] = 2;
    rc = rs_probe_collapse_attn_tv(tf, g, x, xs, N, 1, &tv, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "x[2] = 2") != NULL,
           "bad id rejected: %s", err.msg);
    struct rs_probe_collapse c;
    rc = rs_probe_collapse(tf, g, xs, N, xs, N + 1, RS_PREC_F32, &c, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "17 tokens") != NULL,
           "too long v* rejected: %s", err.msg);
    rs_graph_free(g);
    rs_nn_transformer_free(tf);
}

int
main(void)
{
    tap_plan_lazy();
    test_distance();
    test_identical();
    test_shrinks(RS_NN_POS_NONE);
    test_shrinks(RS_NN_POS_ROPE);
    test_attn_tv();
    return tap_done();
}
