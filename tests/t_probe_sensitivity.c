/* repscope - MIT licence, see COPYING.
 *
 * t_probe_sensitivity.c: the over-squashing instruments of probe/
 * sensitivity.h. The exact reverse-mode Jacobian norms against central
 * finite differences of v_l[T-1] in every v0[i] (one forward per
 * perturbation, batch 1) on tiny models of every position kind, with the
 * parameters' flags and gradients checked untouched; the Prop. B.8 bound
 * against full matrix products P_l ... P_1 computed naively here from the
 * recorded attention; the uniform-attention bound against naive powers
 * and its drift to token 0 as L grows; errors naming the bad value.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "nn/model.h"
#include "nn/transformer.h"
#include "probe/sensitivity.h"
#include "tests/tap.h"

enum { D = 8, LAYERS = 2, T = 6, VOCAB = 5 };

static rs_nn_transformer *
build(enum rs_nn_pos pos, int heads, int layers, uint64_t seed)
{
    struct rs_nn_transformer_config cfg;
    rs_nn_transformer_config_default(&cfg);
    cfg.vocab = VOCAB;
    cfg.ctx = 16;
    cfg.d = D;
    cfg.heads = heads;
    cfg.layers = layers;
    cfg.pos = pos;
    struct rs_rng rng;
    rs_rng_seed(&rng, seed);
    struct rs_error err = {0};
    rs_nn_transformer *tf = rs_nn_transformer_new(&cfg, &rng, &err);
    if (tf == NULL)
        tap_bail("rs_nn_transformer_new(%s): %s", rs_nn_pos_name(pos), err.msg);
    /* Non-trivial norms and biases, so every parameter kind matters. */
    rs_nn_model *m = rs_nn_transformer_model(tf);
    for (int p = 0; p < rs_nn_model_count(m); p++) {
        rs_tensor *t = rs_nn_model_param(m, p);
        const char *name = rs_nn_model_param_name(m, p);
        bool bias = strstr(name, "bias") != NULL;
        bool gain = strstr(name, "ln") != NULL && !bias;
        if (bias || gain)
            for (size_t k = 0; k < t->numel; k++)
                t->data[k] =
                    (gain ? 1.0f : 0.0f) + 0.2f * (rs_rng_uniform(&rng) - 0.5f);
    }
    return tf;
}

/* Central differences: S[l][i] = || d v_l[T-1] / d v0[i] ||_F, with v0
 * from embed_ids and a batch-1 no-grad forward per perturbation. */
static void
fd_sensitivity(rs_nn_transformer *tf, const int *ids, double h, double *S)
{
    rs_graph *g = rs_graph_new();
    rs_graph_set_grad(g, false);
    rs_tensor *e = rs_nn_transformer_embed_ids(tf, g, ids, 1, T);
    if (e == NULL)
        tap_bail("embed_ids: %s", rs_graph_error(g)->msg);
    float base[T * D];
    memcpy(base, e->data, sizeof base);
    memset(S, 0, LAYERS * T * sizeof *S);
    int shape[3] = {1, T, D};
    for (int i = 0; i < T; i++)
        for (int k = 0; k < D; k++) {
            double plus[LAYERS][D];
            for (int sgn = 1; sgn >= -1; sgn -= 2) {
                rs_graph_reset(g);
                rs_tensor *v0 = rs_graph_input(g, 3, shape, base);
                v0->data[i * D + k] += (float)(sgn * h);
                if (rs_nn_transformer_forward_from(tf, g, v0) == NULL)
                    tap_bail("forward_from: %s", rs_graph_error(g)->msg);
                for (int l = 1; l <= LAYERS; l++) {
                    const float *y =
                        rs_nn_transformer_layer_out(tf, l)->data + (T - 1) * D;
                    for (int j = 0; j < D; j++) {
                        if (sgn == 1) {
                            plus[l - 1][j] = y[j];
                        } else {
                            double dj =
                                (plus[l - 1][j] - (double)y[j]) / (2 * h);
                            S[(l - 1) * T + i] += dj * dj;
                        }
                    }
                }
            }
        }
    for (int x = 0; x < LAYERS * T; x++)
        S[x] = sqrt(S[x]);
    rs_graph_free(g);
}

static void
test_fd(enum rs_nn_pos pos)
{
    const char *pn = rs_nn_pos_name(pos);
    rs_nn_transformer *tf = build(pos, 2, LAYERS, 11 + (uint64_t)pos);
    const int ids[T] = {1, 3, 0, 4, 2, 1};

    /* A forward that fails (a position kind not linked yet) skips. */
    rs_graph *g = rs_graph_new();
    if (rs_nn_transformer_forward(tf, g, ids, 1, T) == NULL) {
        tap_skip(6, "%s: forward fails: %s", pn, rs_graph_error(g)->msg);
        rs_graph_free(g);
        rs_nn_transformer_free(tf);
        return;
    }

    /* Mark the parameters' state to see the probe leaves it alone. */
    rs_nn_model *m = rs_nn_transformer_model(tf);
    int np = rs_nn_model_count(m);
    rs_tensor *frozen = rs_nn_model_param(m, np - 1);
    frozen->requires_grad = false;
    for (int p = 0; p < np; p++) {
        rs_tensor *t = rs_nn_model_param(m, p);
        for (size_t k = 0; k < t->numel; k++)
            t->grad[k] = 0.25f * (float)p;
    }

    float S[LAYERS * T], S2[LAYERS * T];
    struct rs_error err = {0};
    int rc = rs_probe_sensitivity(tf, g, ids, T, S, &err);
    tap_is_int(rc, RS_OK, "%s: sensitivity status (%s)", pn, err.msg);
    int changed = 0, flags = 0;
    for (int p = 0; p < np; p++) {
        rs_tensor *t = rs_nn_model_param(m, p);
        flags += t->requires_grad != (p != np - 1);
        for (size_t k = 0; k < t->numel; k++)
            changed += t->grad[k] != 0.25f * (float)p;
    }
    tap_ok(changed == 0 && flags == 0,
           "%s: parameter grads (%d changed) and requires_grad (%d "
           "changed) untouched",
           pn, changed, flags);
    tap_ok(rs_graph_grad_enabled(g) && rs_graph_precision(g) == RS_PREC_F32,
           "%s: graph settings restored", pn);
    frozen->requires_grad = true;

    double fd[LAYERS * T];
    fd_sensitivity(tf, ids, 1e-2, fd);
    double worst = 0.0, smin = INFINITY;
    for (int x = 0; x < LAYERS * T; x++) {
        double rel = fabs((double)S[x] - fd[x]) / (fd[x] + 1e-6);
        if (rel > worst)
            worst = rel;
        if (fd[x] < smin)
            smin = fd[x];
    }
    tap_ok(worst < 2e-3,
           "%s: reverse mode = finite differences (max rel "
           "err %.2e)",
           pn, worst);
    tap_ok(smin > 1e-3, "%s: every input position is heard (min %.3g)", pn,
           smin);

    /* Twice in a row (grads zeroed between layers and calls): same S. */
    rc = rs_probe_sensitivity(tf, g, ids, T, S2, &err);
    tap_ok(rc == RS_OK && memcmp(S, S2, sizeof S) == 0,
           "%s: a second probe gives the same S", pn);
    for (int l = 0; l < LAYERS; l++) {
        char line[256];
        int len = 0;
        for (int i = 0; i < T; i++)
            len += snprintf(line + len, sizeof line - (size_t)len, " %.4f",
                            (double)S[l * T + i]);
        tap_diag("%s S[%d] =%s", pn, l + 1, line);
    }
    rs_graph_free(g);
    rs_nn_transformer_free(tf);
}

/* Row T-1 of M_L = P_L ... P_1, full (T, T) products in double. */
static void
naive_bound(const double *abar, int L, int n, double *bnd)
{
    double *M = calloc((size_t)n * n, sizeof *M);
    double *N = calloc((size_t)n * n, sizeof *N);
    for (int i = 0; i < n; i++)
        M[i * n + i] = 1.0;
    for (int l = 0; l < L; l++) {
        const double *A = abar + (size_t)l * n * n;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                double s = 0.0;
                for (int k = 0; k < n; k++)
                    s += 0.5 * (A[i * n + k] + (i == k)) * M[k * n + j];
                N[i * n + j] = s;
            }
        memcpy(M, N, (size_t)n * n * sizeof *M);
        for (int j = 0; j < n; j++)
            bnd[l * n + j] = M[(n - 1) * n + j];
    }
    free(M);
    free(N);
}

static void
test_bound_model(void)
{
    enum { L = 3, H = 2 };
    rs_nn_transformer *tf = build(RS_NN_POS_NONE, H, L, 5);
    const int ids[T] = {0, 2, 2, 4, 1, 3};
    rs_graph *g = rs_graph_new();
    float bnd[L * T];
    struct rs_error err = {0};
    int rc = rs_probe_sensitivity_bound(tf, g, ids, T, bnd, &err);
    tap_is_int(rc, RS_OK, "bound: status (%s)", err.msg);

    /* The attention the test reads itself from a fresh forward. */
    rs_graph *g2 = rs_graph_new();
    if (rs_nn_transformer_forward(tf, g2, ids, 1, T) == NULL)
        tap_bail("forward: %s", rs_graph_error(g2)->msg);
    double abar[L * T * T], want[L * T];
    for (int l = 0; l < L; l++) {
        const float *a = rs_nn_transformer_attn(tf, l + 1)->data;
        for (int x = 0; x < T * T; x++)
            abar[l * T * T + x] = ((double)a[x] + (double)a[T * T + x]) / 2.0;
    }
    naive_bound(abar, L, T, want);
    float wantf[L * T];
    for (int x = 0; x < L * T; x++)
        wantf[x] = (float)want[x];
    tap_is_floats(bnd, wantf, L * T, 1e-6, 1e-5,
                  "bound = row T-1 of the naive product P_l ... P_1");
    double worst = 0.0;
    for (int l = 0; l < L; l++) {
        double s = 0.0;
        for (int i = 0; i < T; i++)
            s += (double)bnd[l * T + i];
        worst = fmax(worst, fabs(s - 1.0));
    }
    tap_ok(worst < 1e-5, "bound rows sum to 1 (worst %.2e)", worst);
    rs_graph_free(g2);
    rs_graph_free(g);
    rs_nn_transformer_free(tf);
}

static void
test_bound_uniform(void)
{
    enum { L = 8, N = 7 };
    double lam[L * N * N], want[L * N];
    float lamf[L * N * N];
    for (int l = 0; l < L; l++)
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                double v = j <= i ? 1.0 / (i + 1) : 0.0;
                lam[(l * N + i) * N + j] = v;
                lamf[(l * N + i) * N + j] = (float)v;
            }
    naive_bound(lam, L, N, want);
    float got[L * N], from[L * N], wantf[L * N];
    for (int x = 0; x < L * N; x++)
        wantf[x] = (float)want[x];
    rs_probe_sensitivity_bound_uniform(L, N, got);
    tap_is_floats(got, wantf, L * N, 1e-7, 1e-5,
                  "uniform bound = naive ((Lambda + I)/2)^l");
    rs_probe_sensitivity_bound_from(lamf, L, N, from);
    tap_is_floats(from, wantf, L * N, 1e-7, 1e-5,
                  "bound_from(Lambda) = the same");
    /* One layer by hand, T = 3: row 2 of (Lambda + I)/2 = (1/6, 1/6, 2/3). */
    float one[3];
    rs_probe_sensitivity_bound_uniform(1, 3, one);
    const float hand[3] = {1.0f / 6, 1.0f / 6, 2.0f / 3};
    tap_is_floats(one, hand, 3, 1e-7, 0, "uniform, L = 1, T = 3 by hand");

    /* Prop. B.8: as L grows the mass moves to token 0. */
    enum { BL = 64, BT = 16 };
    float *b = malloc(BL * BT * sizeof *b);
    rs_probe_sensitivity_bound_uniform(BL, BT, b);
    int mono = 1;
    for (int l = 1; l < BL; l++)
        mono &= b[l * BT] >= b[(l - 1) * BT];
    tap_ok(mono, "uniform: Bnd[l][0] grows with l");
    tap_ok(b[0] < 0.1f && b[(BL - 1) * BT] > 0.99f,
           "uniform: Bnd[0][0] = %.4f -> Bnd[%d][0] = %.6f", (double)b[0], BL,
           (double)b[(BL - 1) * BT]);
    tap_ok(b[BT - 1] > b[0] && b[(BL - 1) * BT + BT - 1] < 1e-6f,
           "uniform: the last token starts heard most, ends at %.2e",
           (double)b[(BL - 1) * BT + BT - 1]);
    free(b);
}

static void
test_errors(void)
{
    rs_nn_transformer *tf = build(RS_NN_POS_NONE, 1, 1, 3);
    rs_graph *g = rs_graph_new();
    float S[32];
    int ids[T] = {0, 1, 2, 3, 4, 0};
    struct rs_error err = {0};
    int rc = rs_probe_sensitivity(tf, g, ids, 0, S, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "T = 0") != NULL,
           "T = 0 rejected: %s", err.msg);
    rc = rs_probe_sensitivity(tf, g, ids, 17, S, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "T = 17") != NULL,
           "T > ctx rejected: %s", err.msg);
    ids[3] = VOCAB;
    rc = rs_probe_sensitivity_bound(tf, g, ids, T, S, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "ids[3] = 5") != NULL,
           "bad id rejected: %s", err.msg);
    rs_graph_free(g);
    rs_nn_transformer_free(tf);
}

int
main(void)
{
    tap_plan_lazy();
    for (int p = 0; p < RS_NN_POS_COUNT; p++)
        test_fd((enum rs_nn_pos)p);
    test_bound_model();
    test_bound_uniform();
    test_errors();
    return tap_done();
}
