/* repscope - MIT licence, see COPYING.
 *
 * sensitivity.c: exact Jacobian norms by batched reverse mode and the
 * Prop. B.8 path-count bound (see sensitivity.h). The probe borrows the
 * caller's graph and puts back its grad switch, its precision and every
 * parameter's requires_grad flag on all paths. Worker thread only, except
 * the pure bound helpers.
 */
#include "config.h"

#include "probe/sensitivity.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/tensor.h"
#include "nn/model.h"

/* ids against the model: 1 <= T <= ctx and each id in [0, vocab). */
static int
check_ids(const rs_nn_transformer *tf, const int *ids, int T,
          struct rs_error *err)
{
    const struct rs_nn_transformer_config *cfg = rs_nn_transformer_config(tf);
    if (T < 1 || T > cfg->ctx)
        return rs_error_set(err, RS_EINVAL,
                            "T = %d tokens (the model takes 1..%d)", T,
                            cfg->ctx);
    for (int i = 0; i < T; i++)
        if (ids[i] < 0 || ids[i] >= cfg->vocab)
            return rs_error_set(err, RS_EINVAL,
                                "ids[%d] = %d is outside [0, %d)", i,
                                ids[i], cfg->vocab);
    return RS_OK;
}

/* The graph's sticky error as the probe's, or a generic one. */
static int
graph_error(rs_graph *g, struct rs_error *err)
{
    const struct rs_error *ge = rs_graph_error(g);
    if (ge->code != RS_OK)
        return rs_error_set(err, ge->code, "%s", ge->msg);
    return rs_error_set(err, RS_EINVAL, "the forward returned nothing");
}

int
rs_probe_sensitivity(rs_nn_transformer *tf, rs_graph *g, const int *ids, int T,
                     float *S, struct rs_error *err)
{
    int rc = check_ids(tf, ids, T, err);
    if (rc != RS_OK)
        return rc;
    const struct rs_nn_transformer_config *cfg = rs_nn_transformer_config(tf);
    int d = cfg->d, L = cfg->layers;
    size_t td = (size_t)T * (size_t)d;

    /* Parameters out of the tape: only d/d v0 is wanted, and a scene's
     * accumulated parameter gradients must survive the probe. */
    rs_nn_model *m = rs_nn_transformer_model(tf);
    int np = rs_nn_model_count(m);
    bool *req = rs_xcalloc((size_t)np + 1, sizeof *req);
    for (int p = 0; p < np; p++) {
        rs_tensor *t = rs_nn_model_param(m, p);
        req[p] = t->requires_grad;
        t->requires_grad = false;
    }
    bool grad_was = rs_graph_grad_enabled(g);
    enum rs_prec prec_was = rs_graph_precision(g);
    rs_graph_reset(g);
    rs_graph_set_grad(g, true);
    rs_graph_set_precision(g, RS_PREC_F32);
    float *seed = NULL;

    /* v0 (d, T, d): copy j of the sequence answers for output unit j. */
    rs_tensor *e = rs_nn_transformer_embed_ids(tf, g, ids, 1, T);
    rs_tensor *v0 = NULL;
    if (e != NULL) {
        int shape[3] = {d, T, d};
        v0 = rs_graph_tensor(g, 3, shape);
    }
    if (v0 != NULL) {
        for (int j = 0; j < d; j++)
            memcpy(v0->data + (size_t)j * td, e->data, td * sizeof(float));
        v0->requires_grad = true;
    }
    rs_tensor *out =
        v0 != NULL ? rs_nn_transformer_forward_from(tf, g, v0) : NULL;
    if (out == NULL) {
        rc = graph_error(g, err);
        goto out;
    }

    /* Every v_l is (d, T, d): the same seed e_j at (j, T-1) serves all. */
    seed = rs_xcalloc((size_t)d * td, sizeof *seed);
    for (int j = 0; j < d; j++)
        seed[(size_t)j * td + (size_t)(T - 1) * (size_t)d + (size_t)j] = 1.0f;
    for (int l = 1; l <= L; l++) {
        rs_tensor *vl = rs_nn_transformer_layer_out(tf, l);
        if (vl == NULL || vl->numel != (size_t)d * td) {
            rc = rs_error_set(err, RS_EINVAL,
                              "layer %d's output was not recorded as "
                              "(%d, %d, %d)", l, d, T, d);
            goto out;
        }
        rs_graph_zero_grads(g);
        rc = rs_graph_backward_seed(g, vl, seed, err);
        if (rc != RS_OK)
            goto out;
        float *row = S + (size_t)(l - 1) * (size_t)T;
        for (int i = 0; i < T; i++) {
            double s = 0.0;
            if (v0->grad != NULL)
                for (int j = 0; j < d; j++) {
                    const float *gr =
                        v0->grad + (size_t)j * td + (size_t)i * (size_t)d;
                    for (int k = 0; k < d; k++)
                        s += (double)gr[k] * (double)gr[k];
                }
            row[i] = (float)sqrt(s);
        }
    }
    rc = RS_OK;
out:
    free(seed);
    rs_graph_set_grad(g, grad_was);
    rs_graph_set_precision(g, prec_was);
    for (int p = 0; p < np; p++)
        rs_nn_model_param(m, p)->requires_grad = req[p];
    free(req);
    return rc;
}

int
rs_probe_sensitivity_bound(rs_nn_transformer *tf, rs_graph *g, const int *ids,
                           int T, float *bnd, struct rs_error *err)
{
    int rc = check_ids(tf, ids, T, err);
    if (rc != RS_OK)
        return rc;
    const struct rs_nn_transformer_config *cfg = rs_nn_transformer_config(tf);
    int L = cfg->layers, H = cfg->heads;
    size_t tt = (size_t)T * (size_t)T;
    bool grad_was = rs_graph_grad_enabled(g);
    enum rs_prec prec_was = rs_graph_precision(g);
    rs_graph_reset(g);
    rs_graph_set_grad(g, false);
    rs_graph_set_precision(g, RS_PREC_F32);
    float *abar = NULL;
    if (rs_nn_transformer_forward(tf, g, ids, 1, T) == NULL) {
        rc = graph_error(g, err);
        goto out;
    }
    abar = rs_xmalloc((size_t)L * tt * sizeof *abar);
    for (int l = 1; l <= L; l++) {
        rs_tensor *a = rs_nn_transformer_attn(tf, l); /* (1, H, T, T) */
        if (a == NULL || a->numel != (size_t)H * tt) {
            rc = rs_error_set(err, RS_EINVAL,
                              "layer %d's attention was not recorded as "
                              "(1, %d, %d, %d)", l, H, T, T);
            goto out;
        }
        float *dst = abar + (size_t)(l - 1) * tt;
        for (size_t x = 0; x < tt; x++) {
            double s = 0.0;
            for (int h = 0; h < H; h++)
                s += (double)a->data[(size_t)h * tt + x];
            dst[x] = (float)(s / H);
        }
    }
    rs_probe_sensitivity_bound_from(abar, L, T, bnd);
    rc = RS_OK;
out:
    free(abar);
    rs_graph_set_grad(g, grad_was);
    rs_graph_set_precision(g, prec_was);
    return rc;
}

/* r <- r P with P = (A + I) / 2, A (T, T) lower triangular: r'_j = (r_j +
 * sum_{k >= j} r_k A_kj) / 2. tmp has T doubles. */
static void
row_times_p(double *r, double *tmp, const float *A, int T)
{
    for (int j = 0; j < T; j++)
        tmp[j] = r[j];
    for (int k = 0; k < T; k++) {
        if (r[k] == 0.0)
            continue;
        const float *ak = A + (size_t)k * (size_t)T;
        for (int j = 0; j <= k; j++)
            tmp[j] += r[k] * (double)ak[j];
    }
    for (int j = 0; j < T; j++)
        r[j] = 0.5 * tmp[j];
}

void
rs_probe_sensitivity_bound_from(const float *abar, int L, int T, float *bnd)
{
    double *r = rs_xmalloc(2 * (size_t)T * sizeof *r);
    double *tmp = r + T;
    size_t tt = (size_t)T * (size_t)T;
    /* Row T-1 of P_l ... P_1: e_{T-1} times P_l first, P_1 last. */
    for (int l = 1; l <= L; l++) {
        for (int j = 0; j < T; j++)
            r[j] = j == T - 1;
        for (int k = l; k >= 1; k--)
            row_times_p(r, tmp, abar + (size_t)(k - 1) * tt, T);
        for (int j = 0; j < T; j++)
            bnd[(size_t)(l - 1) * (size_t)T + (size_t)j] = (float)r[j];
    }
    free(r);
}

void
rs_probe_sensitivity_bound_uniform(int L, int T, float *bnd)
{
    /* One P for every layer, so row T-1 of P^l = (row of P^(l-1)) P. */
    double *r = rs_xmalloc(2 * (size_t)T * sizeof *r);
    double *tmp = r + T;
    for (int j = 0; j < T; j++)
        r[j] = j == T - 1;
    for (int l = 1; l <= L; l++) {
        for (int j = 0; j < T; j++)
            tmp[j] = r[j];
        for (int k = 0; k < T; k++) {
            double w = r[k] / (k + 1); /* Lambda_kj = 1/(k+1), j <= k */
            for (int j = 0; j <= k; j++)
                tmp[j] += w;
        }
        for (int j = 0; j < T; j++) {
            r[j] = 0.5 * tmp[j];
            bnd[(size_t)(l - 1) * (size_t)T + (size_t)j] = (float)r[j];
        }
    }
    free(r);
}
