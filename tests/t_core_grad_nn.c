/* repscope - MIT licence, see COPYING.
 *
 * t_core_grad_nn.c: the network-building ops of ops_norm.c, ops_index.c and
 * ops_attention.c. Forward values are checked against naive reference loops
 * written here (in double), gradients against central finite differences
 * (tap_gradcheck), and each error path for a NULL result and a message that
 * names the offending value.
 */
#include "config.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "core/ops.h"
#include "core/prec.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "tests/gradcheck.h"
#include "tests/tap.h"

#define FD_H 1e-2
#define FD_TOL 1e-2

static struct rs_rng rng;

/* ---- helpers ----------------------------------------------------------- */

/* ---- layernorm / rmsnorm ----------------------------------------------- */

struct norm_ud {
    bool rms, gamma, beta;
    float eps;
};

static rs_tensor *
build_norm(rs_graph *g, rs_tensor *const *in, void *ud)
{
    const struct norm_ud *u = ud;
    rs_tensor *gamma = u->gamma ? in[1] : NULL;
    rs_tensor *beta = u->beta ? in[u->gamma ? 2 : 1] : NULL;
    if (u->rms)
        return rs_op_rmsnorm(g, in[0], gamma, u->eps);
    return rs_op_layernorm(g, in[0], gamma, beta, u->eps);
}

/* Reference layernorm in double, biased variance. */
static void
ref_layernorm(float *out, const float *x, const float *gamma, const float *beta,
              size_t N, int C, double eps)
{
    for (size_t i = 0; i < N; i++) {
        const float *xi = x + i * (size_t)C;
        double m = 0, v = 0;
        for (int j = 0; j < C; j++)
            m += (double)xi[j];
        m /= C;
        for (int j = 0; j < C; j++)
            v += ((double)xi[j] - m) * ((double)xi[j] - m);
        v /= C;
        for (int j = 0; j < C; j++) {
            double y = ((double)xi[j] - m) / sqrt(v + eps);
            if (gamma != NULL)
                y *= (double)gamma[j];
            if (beta != NULL)
                y += (double)beta[j];
            out[i * (size_t)C + (size_t)j] = (float)y;
        }
    }
}

static void
ref_rmsnorm(float *out, const float *x, const float *gamma, size_t N, int C,
            double eps)
{
    for (size_t i = 0; i < N; i++) {
        const float *xi = x + i * (size_t)C;
        double ms = 0;
        for (int j = 0; j < C; j++)
            ms += (double)xi[j] * (double)xi[j];
        ms /= C;
        for (int j = 0; j < C; j++) {
            double y = (double)xi[j] / sqrt(ms + eps);
            if (gamma != NULL)
                y *= (double)gamma[j];
            out[i * (size_t)C + (size_t)j] = (float)y;
        }
    }
}

static void
test_layernorm(void)
{
    int xs[3] = {2, 3, 5}, cs[1] = {5};
    rs_tensor *x = tap_param(&rng, 3, xs, -2.0f, 2.0f);
    rs_tensor *gamma = tap_param(&rng, 1, cs, 0.5f, 1.5f);
    rs_tensor *beta = tap_param(&rng, 1, cs, -1.0f, 1.0f);
    float ref[30];
    rs_graph *g = rs_graph_new();

    /* Forward against the reference, with and without affine. */
    rs_tensor *y = rs_op_layernorm(g, x, gamma, beta, 1e-5f);
    ref_layernorm(ref, x->data, gamma->data, beta->data, 6, 5, 1e-5);
    tap_ok(y != NULL && y->ndim == 3 && y->shape[2] == 5,
           "layernorm keeps the shape");
    tap_is_floats(y->data, ref, 30, 1e-5, 1e-4, "layernorm affine forward");
    y = rs_op_layernorm(g, x, NULL, NULL, 1e-5f);
    ref_layernorm(ref, x->data, NULL, NULL, 6, 5, 1e-5);
    tap_is_floats(y->data, ref, 30, 1e-5, 1e-4, "layernorm plain forward");
    bool ok = true;
    for (int i = 0; i < 6; i++) {
        double m = 0, v = 0;
        for (int j = 0; j < 5; j++)
            m += (double)y->data[i * 5 + j];
        m /= 5;
        for (int j = 0; j < 5; j++)
            v += ((double)y->data[i * 5 + j] - m) *
                 ((double)y->data[i * 5 + j] - m);
        v /= 5;
        ok = ok && fabs(m) < 1e-6 && fabs(v - 1.0) < 1e-3;
    }
    tap_ok(ok, "layernorm rows have mean 0 and (biased) variance 1");

    /* Rows far from zero: a one-pass E[x^2] - E[x]^2 in float fails this. */
    int bs[2] = {4, 64};
    rs_tensor *big = tap_filled(&rng, 2, bs, 999.5f, 1000.5f);
    float bref[256];
    rs_graph_reset(g);
    y = rs_op_layernorm(g, big, NULL, NULL, 1e-5f);
    ref_layernorm(bref, big->data, NULL, NULL, 4, 64, 1e-5);
    tap_is_floats(y->data, bref, 256, 2e-3, 0, "layernorm of rows near 1000");

    rs_tensor *in3[3] = {x, gamma, beta};
    struct norm_ud aff = {false, true, true, 1e-5f};
    tap_gradcheck("layernorm affine", 3, in3, build_norm, &aff, FD_H, FD_TOL);
    struct norm_ud plain = {false, false, false, 1e-5f};
    tap_gradcheck("layernorm plain", 1, in3, build_norm, &plain, FD_H, FD_TOL);
    struct norm_ud gonly = {false, true, false, 1e-3f};
    tap_gradcheck("layernorm gamma only", 2, in3, build_norm, &gonly, FD_H,
                  FD_TOL);
    rs_tensor *xb[2] = {x, beta};
    struct norm_ud bonly = {false, false, true, 1e-5f};
    tap_gradcheck("layernorm beta only", 2, xb, build_norm, &bonly, FD_H,
                  FD_TOL);

    /* Shape errors. */
    rs_graph_reset(g);
    int ws[1] = {4};
    rs_tensor *wrong = tap_filled(&rng, 1, ws, 0, 1);
    tap_ok(rs_op_layernorm(g, x, wrong, NULL, 1e-5f) == NULL &&
               tap_graph_failed_with(g, "gamma has 4", "expected 5"),
           "layernorm rejects a gamma of the wrong size");
    rs_graph_reset(g);
    tap_ok(rs_op_layernorm(g, x, NULL, NULL, -1.0f) == NULL &&
               tap_graph_failed_with(g, "eps -1", NULL),
           "layernorm rejects a negative eps");
    rs_tensor_release(wrong);
    rs_tensor_release(big);
    rs_tensor_release(x);
    rs_tensor_release(gamma);
    rs_tensor_release(beta);
    rs_graph_free(g);
}

static void
test_rmsnorm(void)
{
    int xs[2] = {4, 7}, cs[1] = {7};
    rs_tensor *x = tap_param(&rng, 2, xs, -2.0f, 2.0f);
    rs_tensor *gamma = tap_param(&rng, 1, cs, 0.5f, 1.5f);
    float ref[28];
    rs_graph *g = rs_graph_new();
    rs_tensor *y = rs_op_rmsnorm(g, x, gamma, 1e-6f);
    ref_rmsnorm(ref, x->data, gamma->data, 4, 7, 1e-6);
    tap_is_floats(y->data, ref, 28, 1e-5, 1e-4, "rmsnorm gamma forward");
    y = rs_op_rmsnorm(g, x, NULL, 1e-6f);
    ref_rmsnorm(ref, x->data, NULL, 4, 7, 1e-6);
    tap_is_floats(y->data, ref, 28, 1e-5, 1e-4, "rmsnorm plain forward");

    rs_tensor *in2[2] = {x, gamma};
    struct norm_ud withg = {true, true, false, 1e-6f};
    tap_gradcheck("rmsnorm gamma", 2, in2, build_norm, &withg, FD_H, FD_TOL);
    struct norm_ud plain = {true, false, false, 1e-6f};
    tap_gradcheck("rmsnorm plain", 1, in2, build_norm, &plain, FD_H, FD_TOL);
    rs_tensor_release(x);
    rs_tensor_release(gamma);
    rs_graph_free(g);
}

/* C = 19: the row loops' blocks of 8 and their tail, in both norms. */
static void
test_norm_wide(void)
{
    int xs[2] = {3, 19}, cs[1] = {19};
    rs_tensor *x = tap_param(&rng, 2, xs, -2.0f, 2.0f);
    rs_tensor *gamma = tap_param(&rng, 1, cs, 0.5f, 1.5f);
    rs_tensor *beta = tap_param(&rng, 1, cs, -1.0f, 1.0f);
    float ref[57];
    rs_graph *g = rs_graph_new();
    rs_tensor *y = rs_op_layernorm(g, x, gamma, beta, 1e-5f);
    ref_layernorm(ref, x->data, gamma->data, beta->data, 3, 19, 1e-5);
    tap_is_floats(y->data, ref, 57, 1e-5, 1e-4, "layernorm C=19 forward");
    y = rs_op_rmsnorm(g, x, gamma, 1e-6f);
    ref_rmsnorm(ref, x->data, gamma->data, 3, 19, 1e-6);
    tap_is_floats(y->data, ref, 57, 1e-5, 1e-4, "rmsnorm C=19 forward");
    rs_tensor *in3[3] = {x, gamma, beta};
    struct norm_ud ln = {false, true, true, 1e-5f};
    tap_gradcheck("layernorm C=19", 3, in3, build_norm, &ln, FD_H, FD_TOL);
    struct norm_ud lnp = {false, false, false, 1e-5f};
    tap_gradcheck("layernorm C=19 plain", 1, in3, build_norm, &lnp, FD_H,
                  FD_TOL);
    struct norm_ud rms = {true, true, false, 1e-6f};
    tap_gradcheck("rmsnorm C=19", 2, in3, build_norm, &rms, FD_H, FD_TOL);
    rs_tensor_release(x);
    rs_tensor_release(gamma);
    rs_tensor_release(beta);
    rs_graph_free(g);
}

/* ---- embedding --------------------------------------------------------- */

struct embed_ud {
    const int *ids;
    int ndim;
    const int *shape;
};

static rs_tensor *
build_embedding(rs_graph *g, rs_tensor *const *in, void *ud)
{
    const struct embed_ud *u = ud;
    return rs_op_embedding(g, in[0], u->ids, u->ndim, u->shape);
}

static void
test_embedding(void)
{
    int ts[2] = {5, 3};
    rs_tensor *table = tap_param(&rng, 2, ts, -1.0f, 1.0f);
    int ids[8] = {1, 4, 1, 0, 4, 4, 2, 1}, ishape[2] = {2, 4};
    rs_graph *g = rs_graph_new();
    int scratch[8];
    memcpy(scratch, ids, sizeof ids);
    rs_tensor *y = rs_op_embedding(g, table, scratch, 2, ishape);
    memset(scratch, 0, sizeof scratch); /* the op must have copied them */
    tap_ok(y != NULL && y->ndim == 3 && y->shape[0] == 2 && y->shape[1] == 4 &&
               y->shape[2] == 3,
           "embedding output is (2, 4, 3)");
    float ref[24];
    for (int i = 0; i < 8; i++)
        for (int c = 0; c < 3; c++)
            ref[i * 3 + c] = table->data[ids[i] * 3 + c];
    tap_is_floats(y->data, ref, 24, 0, 0, "embedding picks the rows");

    /* Backward: row r receives the sum of the seeds of its positions. */
    float seed[24], want[15] = {0};
    for (int i = 0; i < 24; i++)
        seed[i] = (float)(i + 1);
    for (int i = 0; i < 8; i++)
        for (int c = 0; c < 3; c++)
            want[ids[i] * 3 + c] += seed[i * 3 + c];
    rs_tensor_zero_grad(table);
    struct rs_error err = {0};
    tap_ok(rs_graph_backward_seed(g, y, seed, &err) == RS_OK,
           "embedding backward runs");
    tap_is_floats(table->grad, want, 15, 0, 0,
                  "embedding backward scatter-adds repeated ids");

    struct embed_ud u = {ids, 2, ishape};
    rs_tensor *in[1] = {table};
    tap_gradcheck("embedding", 1, in, build_embedding, &u, FD_H, FD_TOL);
    int one = 3;
    struct embed_ud u0 = {&one, 0, NULL};
    rs_graph_reset(g);
    y = rs_op_embedding(g, table, &one, 0, NULL);
    tap_ok(y != NULL && y->ndim == 1 && y->shape[0] == 3 &&
               y->data[2] == table->data[11],
           "embedding of a single id is (C)");
    tap_gradcheck("embedding scalar id", 1, in, build_embedding, &u0, FD_H,
                  FD_TOL);

    rs_graph_reset(g);
    int bad[4] = {0, 2, 5, 1}, bshape[1] = {4};
    tap_ok(rs_op_embedding(g, table, bad, 1, bshape) == NULL &&
               tap_graph_failed_with(g, "id 5", "index 2"),
           "embedding rejects an id out of range, naming index and value");
    rs_graph_reset(g);
    bad[2] = -1;
    tap_ok(rs_op_embedding(g, table, bad, 1, bshape) == NULL &&
               tap_graph_failed_with(g, "id -1", "index 2"),
           "embedding rejects a negative id");
    rs_tensor_release(table);
    rs_graph_free(g);
}

/* ---- concat, slice, reshape -------------------------------------------- */

static rs_tensor *
build_concat(rs_graph *g, rs_tensor *const *in, void *ud)
{
    (void)ud;
    return rs_op_concat(g, in[0], in[1]);
}

static rs_tensor *
build_concat_self(rs_graph *g, rs_tensor *const *in, void *ud)
{
    (void)ud;
    return rs_op_concat(g, in[0], in[0]);
}

static rs_tensor *
build_slice(rs_graph *g, rs_tensor *const *in, void *ud)
{
    const int *se = ud;
    return rs_op_slice(g, in[0], se[0], se[1]);
}

/* reshape (2, 6) -> (3, 4), then a slice so the aliasing output feeds
 * another op. */
static rs_tensor *
build_reshape(rs_graph *g, rs_tensor *const *in, void *ud)
{
    (void)ud;
    int shape[2] = {3, 4};
    return rs_op_slice(g, rs_op_reshape(g, in[0], 2, shape), 1, 2);
}

static rs_tensor *
build_reshape_only(rs_graph *g, rs_tensor *const *in, void *ud)
{
    (void)ud;
    int shape[3] = {4, 1, 3};
    return rs_op_reshape(g, in[0], 3, shape);
}

static void
test_concat_slice(void)
{
    int as[3] = {2, 3, 2}, bs[3] = {2, 3, 4};
    rs_tensor *a = tap_param(&rng, 3, as, -1.0f, 1.0f);
    rs_tensor *b = tap_param(&rng, 3, bs, -1.0f, 1.0f);
    rs_graph *g = rs_graph_new();
    rs_tensor *y = rs_op_concat(g, a, b);
    tap_ok(y != NULL && y->ndim == 3 && y->shape[2] == 6,
           "concat output is (2, 3, 6)");
    float ref[36];
    for (int r = 0; r < 6; r++) {
        for (int c = 0; c < 2; c++)
            ref[r * 6 + c] = a->data[r * 2 + c];
        for (int c = 0; c < 4; c++)
            ref[r * 6 + 2 + c] = b->data[r * 4 + c];
    }
    tap_is_floats(y->data, ref, 36, 0, 0, "concat forward");
    rs_tensor *in[2] = {a, b};
    tap_gradcheck("concat", 2, in, build_concat, NULL, FD_H, FD_TOL);
    tap_gradcheck("concat of a tensor with itself", 1, in, build_concat_self,
                  NULL, FD_H, FD_TOL);
    rs_graph_reset(g);
    int cs[3] = {2, 2, 4};
    rs_tensor *c = tap_filled(&rng, 3, cs, 0, 1);
    tap_ok(rs_op_concat(g, a, c) == NULL &&
               tap_graph_failed_with(g, "(2, 3, 2)", "(2, 2, 4)"),
           "concat rejects mismatched leading dims");

    int xs[2] = {3, 7};
    rs_tensor *x = tap_param(&rng, 2, xs, -1.0f, 1.0f);
    rs_graph_reset(g);
    y = rs_op_slice(g, x, 2, 3);
    float sref[9];
    for (int r = 0; r < 3; r++)
        for (int j = 0; j < 3; j++)
            sref[r * 3 + j] = x->data[r * 7 + 2 + j];
    tap_ok(y != NULL && y->ndim == 2 && y->shape[1] == 3,
           "slice output is (3, 3)");
    tap_is_floats(y->data, sref, 9, 0, 0, "slice forward");
    int se[2] = {2, 3}, se_end[2] = {4, 3};
    rs_tensor *xin[1] = {x};
    tap_gradcheck("slice middle", 1, xin, build_slice, se, FD_H, FD_TOL);
    tap_gradcheck("slice end", 1, xin, build_slice, se_end, FD_H, FD_TOL);
    rs_graph_reset(g);
    tap_ok(rs_op_slice(g, x, 5, 3) == NULL && tap_graph_failed_with(g, "[5, 8)", "7"),
           "slice rejects columns past the end");

    rs_tensor_release(a);
    rs_tensor_release(b);
    rs_tensor_release(c);
    rs_tensor_release(x);
    rs_graph_free(g);
}

static void
test_reshape(void)
{
    int xs[2] = {2, 6};
    rs_tensor *x = tap_param(&rng, 2, xs, -1.0f, 1.0f);
    rs_graph *g = rs_graph_new();
    int shape[3] = {3, 2, 2};
    rs_tensor *y = rs_op_reshape(g, x, 3, shape);
    tap_ok(y != NULL && y->ndim == 3 && y->shape[0] == 3 && y->shape[2] == 2 &&
               y->numel == 12,
           "reshape gives the new shape");
    tap_ok(y != NULL && y->data == x->data, "reshape does not copy");
    tap_ok(y != NULL && y->requires_grad && y->node != NULL,
           "reshape is a node on the tape");
    rs_tensor *in[1] = {x};
    tap_gradcheck("reshape then slice", 1, in, build_reshape, NULL, FD_H,
                  FD_TOL);
    tap_gradcheck("reshape", 1, in, build_reshape_only, NULL, FD_H, FD_TOL);

    rs_graph_reset(g);
    int bad[2] = {5, 2};
    tap_ok(rs_op_reshape(g, x, 2, bad) == NULL &&
               tap_graph_failed_with(g, "10 elements", "has 12"),
           "reshape rejects a numel mismatch");

    /* Reduced precision rounds op outputs; reshape's output is x itself,
     * which must not be rounded in place. */
    rs_graph_reset(g);
    rs_graph_set_precision(g, RS_PREC_BF16);
    x->data[0] = 1.0f + 0x1.0p-12f; /* not a bf16 value */
    y = rs_op_reshape(g, x, 3, shape);
    tap_ok(y != NULL && x->data[0] == 1.0f + 0x1.0p-12f,
           "reshape under bf16 leaves its input's storage alone");
    rs_tensor_release(x);
    rs_graph_free(g);
}

/* ---- dropout ----------------------------------------------------------- */

struct drop_ud {
    float p;
    uint64_t seed;
    struct rs_rng r;
};

/* Reseeds per build: the FD harness rebuilds the graph per perturbation
 * and every build must draw the same mask. */
static rs_tensor *
build_dropout(rs_graph *g, rs_tensor *const *in, void *ud)
{
    struct drop_ud *u = ud;
    rs_rng_seed(&u->r, u->seed);
    return rs_op_dropout(g, in[0], u->p, &u->r);
}

static void
test_dropout(void)
{
    int xs[2] = {50, 40};
    rs_tensor *x = tap_param_away(&rng, 2, xs, -1.0f, 1.0f, 0.0f, 0.05f);
    rs_graph *g = rs_graph_new();
    struct rs_rng r, expect;
    rs_rng_seed(&r, 77);
    rs_rng_seed(&expect, 77);
    rs_tensor *y = rs_op_dropout(g, x, 0.25f, &r);
    size_t zeros = 0, bad = 0;
    for (size_t i = 0; i < x->numel; i++) {
        bool drop = rs_rng_uniform(&expect) < 0.25f;
        float want = drop ? 0.0f : x->data[i] / 0.75f;
        zeros += drop;
        if (fabsf(y->data[i] - want) > 1e-6f * fabsf(want))
            bad++;
    }
    tap_ok(bad == 0,
           "dropout: one uniform per element in order, u < p drops, survivors "
           "scaled by 1/(1-p) (%zu bad)",
           bad);
    tap_ok(zeros > 400 && zeros < 600, "dropout drops about p of 2000 (%zu)",
           zeros);
    tap_ok(rs_rng_next(&r) == rs_rng_next(&expect),
           "dropout consumed exactly numel uniforms");

    struct drop_ud u = {0.4f, 1234, {{0}}};
    int ss[3] = {2, 3, 5};
    rs_tensor *small = tap_param(&rng, 3, ss, -1.0f, 1.0f);
    rs_tensor *in[1] = {small};
    tap_gradcheck("dropout p=0.4", 1, in, build_dropout, &u, FD_H, FD_TOL);

    /* p = 0: identity, no draws, but still a node gradients flow through. */
    rs_graph_reset(g);
    rs_rng_seed(&r, 5);
    rs_rng_seed(&expect, 5);
    y = rs_op_dropout(g, small, 0.0f, &r);
    tap_ok(y != NULL && y != small && y->requires_grad,
           "dropout p=0 is a recorded node");
    tap_is_floats(y->data, small->data, small->numel, 0, 0,
                  "dropout p=0 is the identity");
    tap_ok(rs_rng_next(&r) == rs_rng_next(&expect),
           "dropout p=0 draws nothing");
    struct drop_ud u0 = {0.0f, 9, {{0}}};
    tap_gradcheck("dropout p=0", 1, in, build_dropout, &u0, FD_H, FD_TOL);

    rs_graph_reset(g);
    tap_ok(rs_op_dropout(g, small, 1.0f, &r) == NULL &&
               tap_graph_failed_with(g, "p 1", "[0, 1)"),
           "dropout rejects p = 1");
    rs_graph_reset(g);
    tap_ok(rs_op_dropout(g, small, -0.5f, &r) == NULL &&
               tap_graph_failed_with(g, "p -0.5", NULL),
           "dropout rejects p < 0");
    rs_graph_reset(g);
    tap_ok(rs_op_dropout(g, small, 0.5f, NULL) == NULL &&
               tap_graph_failed_with(g, "rng", NULL),
           "dropout p > 0 needs an rng");
    rs_tensor_release(x);
    rs_tensor_release(small);
    rs_graph_free(g);
}

/* ---- attention --------------------------------------------------------- */

/* Straightforward per-head attention in double with an explicit masked
 * softmax: out (B, T, C), probs (B, H, T, T). */
static void
ref_attention(float *out, float *probs, const float *qkv, int B, int T, int C,
              int H, int window)
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
                    m = fmax(m, s[u]);
                }
                double z = 0;
                for (int u = 0; u < T; u++) {
                    s[u] = exp(s[u] - m); /* exp(-inf) = 0: masked */
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
};

static rs_tensor *
build_attention(rs_graph *g, rs_tensor *const *in, void *ud)
{
    const struct attn_case *c = ud;
    return rs_op_attention(g, in[0], c->H, c->window);
}

/* Forward against the reference, the probability rows, and optionally a
 * gradient check. */
static void
check_attention(const struct attn_case *c, bool grad, float range)
{
    int shape[3] = {c->B, c->T, 3 * c->C};
    rs_tensor *qkv = tap_param(&rng, 3, shape, -range, range);
    size_t nout = (size_t)c->B * c->T * c->C;
    size_t np = (size_t)c->B * c->H * c->T * c->T;
    float *ref = malloc(nout * sizeof *ref), *pref = malloc(np * sizeof *pref);
    ref_attention(ref, pref, qkv->data, c->B, c->T, c->C, c->H, c->window);
    rs_graph *g = rs_graph_new();
    rs_tensor *y = rs_op_attention(g, qkv, c->H, c->window);
    char name[96];
    snprintf(name, sizeof name, "attention B=%d T=%d C=%d H=%d window=%d", c->B,
             c->T, c->C, c->H, c->window);
    tap_ok(y != NULL && y->ndim == 3 && y->shape[0] == c->B &&
               y->shape[1] == c->T && y->shape[2] == c->C,
           "%s: output shape", name);
    if (y == NULL) {
        tap_diag("  %s", rs_graph_error(g)->msg);
        free(ref);
        free(pref);
        rs_tensor_release(qkv);
        rs_graph_free(g);
        return;
    }
    tap_is_floats(y->data, ref, nout, 1e-5, 1e-4, "%s: forward", name);
    rs_tensor *p = rs_op_attention_probs(g, y);
    tap_ok(p != NULL && p->ndim == 4 && p->shape[0] == c->B &&
               p->shape[1] == c->H && p->shape[2] == c->T &&
               p->shape[3] == c->T,
           "%s: probs are (B, H, T, T)", name);
    if (p != NULL) {
        tap_is_floats(p->data, pref, np, 1e-6, 1e-4, "%s: probs", name);
        size_t badsum = 0, badzero = 0;
        for (size_t row = 0; row < np / (size_t)c->T; row++) {
            int t = (int)(row % (size_t)c->T);
            const float *pr = p->data + row * (size_t)c->T;
            double sum = 0;
            for (int u = 0; u < c->T; u++) {
                sum += (double)pr[u];
                bool band = u <= t && (c->window <= 0 || t - u < c->window);
                if (!band && pr[u] != 0.0f)
                    badzero++;
            }
            if (fabs(sum - 1.0) > 1e-5)
                badsum++;
        }
        tap_ok(badsum == 0, "%s: probs rows sum to 1 (%zu bad)", name, badsum);
        tap_ok(badzero == 0,
               "%s: probs are 0 above the diagonal and outside the window (%zu "
               "bad)",
               name, badzero);
    }
    if (grad) {
        rs_tensor *in[1] = {qkv};
        struct attn_case cc = *c;
        tap_gradcheck(name, 1, in, build_attention, &cc, FD_H, FD_TOL);
    }
    free(ref);
    free(pref);
    rs_tensor_release(qkv);
    rs_graph_free(g);
}

static void
test_attention(void)
{
    static const struct attn_case grads[] = {
        {2, 5, 6, 2, 0},       /* full causal, B > 1 */
        {2, 7, 12, 3, 2},      /* window 2, three heads */
        {1, 9, 8, 1, 3},       /* one head, window 3 */
        {2, 13, 22, 2, 4},     /* D = 11: an 8-block and a scalar tail */
        {1, 35, 40, 1, 0},     /* 32-key and 32-dim register blocks */
        {1, 6, 4, 4, 0},       /* D = 1 */
        {1, 1, 3, 1, 0},       /* T = 1 */
        {2, 6, 8, 2, INT_MAX}, /* no overflow at the band's edge */
    };
    for (size_t i = 0; i < RS_ARRAY_LEN(grads); i++)
        check_attention(&grads[i], true, 1.0f);
    /* Forward only: wider dims mixing every block width, a window wider
     * than T, a negative window, and large scores (softmax stability). */
    static const struct attn_case fwd[] = {
        {2, 37, 118, 2, 0}, /* D = 59 = 32 + 16 + 8 + 3 */
        {3, 21, 48, 3, 50}, /* window > T */
        {2, 19, 32, 2, -3}, /* negative window: full causal */
        {2, 17, 64, 2, 5},  /* scores up to about 8^2 * 32 / sqrt(32) */
    };
    for (size_t i = 0; i < RS_ARRAY_LEN(fwd); i++)
        check_attention(&fwd[i], false, i == 3 ? 8.0f : 1.0f);

    /* window <= 0 and window >= T are all the same full causal band. */
    int shape[3] = {2, 6, 12};
    rs_tensor *qkv = tap_filled(&rng, 3, shape, -1, 1);
    rs_graph *g = rs_graph_new();
    rs_tensor *a = rs_op_attention(g, qkv, 2, 0);
    rs_tensor *b = rs_op_attention(g, qkv, 2, -1);
    rs_tensor *c = rs_op_attention(g, qkv, 2, 6);
    size_t bytes = a != NULL ? a->numel * sizeof(float) : 0;
    tap_ok(a && b && c && memcmp(a->data, b->data, bytes) == 0 &&
               memcmp(a->data, c->data, bytes) == 0,
           "attention window 0, -1 and T agree");

    /* Evaluation (no grad): not on the tape, probs still available. */
    rs_graph_reset(g);
    rs_graph_set_grad(g, false);
    a = rs_op_attention(g, qkv, 2, 0);
    tap_ok(a != NULL && rs_graph_nodes(g) == 0 &&
               rs_op_attention_probs(g, a) != NULL,
           "attention under no_grad keeps probs");
    rs_graph_set_grad(g, true);
    tap_ok(rs_op_attention_probs(g, qkv) == NULL &&
               rs_op_attention_probs(g, rs_op_slice(g, a, 0, 2)) == NULL &&
               rs_op_attention_probs(g, NULL) == NULL &&
               rs_graph_error(g)->code == RS_OK,
           "attention_probs is NULL for other tensors, without an error");

    rs_graph_reset(g);
    tap_ok(rs_op_attention(g, qkv, 3, 0) == NULL &&
               tap_graph_failed_with(g, "heads 3", "C 4"),
           "attention rejects heads that do not divide C");
    rs_graph_reset(g);
    tap_ok(rs_op_attention(g, qkv, 0, 0) == NULL &&
               tap_graph_failed_with(g, "heads 0", NULL),
           "attention rejects 0 heads");
    rs_graph_reset(g);
    int s2[3] = {2, 6, 10};
    rs_tensor *odd = tap_filled(&rng, 3, s2, -1, 1);
    tap_ok(rs_op_attention(g, odd, 1, 0) == NULL &&
               tap_graph_failed_with(g, "(2, 6, 10)", "3C"),
           "attention rejects a last dim that is not 3C");
    rs_tensor_release(odd);
    rs_tensor_release(qkv);
    rs_graph_free(g);
}

int
main(void)
{
    tap_plan_lazy();
    rs_rng_seed(&rng, 20240601);
    test_layernorm();
    test_rmsnorm();
    test_norm_wide();
    test_embedding();
    test_concat_slice();
    test_reshape();
    test_dropout();
    test_attention();
    return tap_done();
}
