/* repscope - MIT licence, see COPYING.
 *
 * collapse.c: last-token distances at a precision and the attention total
 * variation (see collapse.h). The probes borrow the caller's graph and put
 * back its grad switch and precision, and the model's float32 parameters,
 * on all paths. Worker thread only, except the pure helpers.
 */
#include "config.h"

#include "probe/collapse.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/tensor.h"
#include "nn/model.h"

/* ids against the model: 1 <= n <= ctx and each id in [0, vocab). */
static int
check_ids(const char *what, const rs_nn_transformer *tf,
          const int *ids, int n, struct rs_error *err)
{
    const struct rs_nn_transformer_config *cfg = rs_nn_transformer_config(tf);
    if (n < 1 || n > cfg->ctx)
        return rs_error_set(err, RS_EINVAL,
                            "%s has %d tokens (the model takes 1..%d)",
                            what, n, cfg->ctx);
    for (int i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= cfg->vocab)
            return rs_error_set(err, RS_EINVAL,
                                "%s[%d] = %d is outside [0, %d)", what,
                                i, ids[i], cfg->vocab);
    return RS_OK;
}

static int
graph_error(rs_graph *g, struct rs_error *err)
{
    const struct rs_error *ge = rs_graph_error(g);
    if (ge->code != RS_OK)
        return rs_error_set(err, ge->code, "%s", ge->msg);
    return rs_error_set(err, RS_EINVAL, "the forward returned nothing");
}

/* Forward ids (1, n) and copy the last token's y (d floats) into dst. */
static int
last_final(rs_nn_transformer *tf, rs_graph *g, const int *ids, int n,
           float *dst, struct rs_error *err)
{
    int d = rs_nn_transformer_config(tf)->d;
    if (rs_nn_transformer_forward(tf, g, ids, 1, n) == NULL)
        return graph_error(g, err);
    rs_tensor *y = rs_nn_transformer_final(tf); /* (1, n, d) */
    if (y == NULL || y->numel != (size_t)n * (size_t)d)
        return rs_error_set(err, RS_EINVAL,
                            "the final representation was not "
                            "recorded as (1, %d, %d)",
                            n, d);
    memcpy(dst, y->data + (size_t)(n - 1) * (size_t)d, (size_t)d * sizeof *dst);
    return RS_OK;
}

int
rs_probe_collapse(rs_nn_transformer *tf, rs_graph *g, const int *v, int n,
                  const int *vstar, int nstar, enum rs_prec prec,
                  struct rs_probe_collapse *out, struct rs_error *err)
{
    int rc = check_ids("v", tf, v, n, err);
    if (rc == RS_OK)
        rc = check_ids("v*", tf, vstar, nstar, err);
    if (rc != RS_OK)
        return rc;
    if (prec != RS_PREC_F32 && prec != RS_PREC_BF16 && prec != RS_PREC_F16)
        return rs_error_set(err, RS_EINVAL, "precision = %d",
                            (int)prec);
    int d = rs_nn_transformer_config(tf)->d;
    float *y = rs_xmalloc(2 * (size_t)d * sizeof *y);
    float *save = NULL;
    if (prec != RS_PREC_F32) {
        save = rs_xmalloc(rs_nn_model_numel(rs_nn_transformer_model(tf)) *
                          sizeof *save);
        rs_nn_transformer_round_params(tf, prec, save);
    }
    bool grad_was = rs_graph_grad_enabled(g);
    enum rs_prec prec_was = rs_graph_precision(g);
    rs_graph_reset(g);
    rs_graph_set_grad(g, false);
    rs_graph_set_precision(g, prec);
    rc = last_final(tf, g, v, n, y, err);
    if (rc == RS_OK)
        rc = last_final(tf, g, vstar, nstar, y + d, err);
    if (rc == RS_OK)
        rs_probe_collapse_distance(y, y + d, d, prec, out);
    rs_graph_set_grad(g, grad_was);
    rs_graph_set_precision(g, prec_was);
    if (save != NULL)
        rs_nn_transformer_restore_params(tf, save);
    free(save);
    free(y);
    return rc;
}

void
rs_probe_collapse_distance(const float *y, const float *ystar, int d,
                           enum rs_prec prec, struct rs_probe_collapse *out)
{
    double linf = 0.0, l1 = 0.0, ymax = 0.0;
    for (int k = 0; k < d; k++) {
        double a = (double)rs_prec_round(y[k], prec);
        double b = (double)rs_prec_round(ystar[k], prec);
        double e = fabs(a - b);
        l1 += e;
        if (e > linf)
            linf = e;
        if (fabs(a) > ymax)
            ymax = fabs(a);
    }
    out->linf = linf;
    out->l1 = l1;
    out->ymax = ymax;
}

double
rs_probe_collapse_resolution(double ymax, enum rs_prec prec)
{
    return ymax * rs_prec_resolution(prec);
}

double
rs_probe_collapse_tv(const float *a, const float *b, int n)
{
    double tv = 0.0;
    for (int s = 0; s < n; s++)
        tv += fabs((double)a[s] - (double)b[s]);
    return tv;
}

int
rs_probe_collapse_attn_tv(rs_nn_transformer *tf, rs_graph *g, const int *x,
                          const int *xstar, int n, int layer, double *tv,
                          struct rs_error *err)
{
    int rc = check_ids("x", tf, x, n, err);
    if (rc == RS_OK)
        rc = check_ids("x*", tf, xstar, n, err);
    if (rc != RS_OK)
        return rc;
    const struct rs_nn_transformer_config *cfg = rs_nn_transformer_config(tf);
    if (layer < 1 || layer > cfg->layers)
        return rs_error_set(err, RS_EINVAL,
                            "layer = %d (the model has layers 1..%d)",
                            layer, cfg->layers);
    int H = cfg->heads;
    size_t nn = (size_t)n * (size_t)n;
    int *ids = rs_xmalloc(2 * (size_t)n * sizeof *ids);
    memcpy(ids, x, (size_t)n * sizeof *ids);
    memcpy(ids + n, xstar, (size_t)n * sizeof *ids);
    bool grad_was = rs_graph_grad_enabled(g);
    enum rs_prec prec_was = rs_graph_precision(g);
    rs_graph_reset(g);
    rs_graph_set_grad(g, false);
    rs_graph_set_precision(g, RS_PREC_F32);
    float *rows = NULL;
    if (rs_nn_transformer_forward(tf, g, ids, 2, n) == NULL) {
        rc = graph_error(g, err);
        goto out;
    }
    rs_tensor *a = rs_nn_transformer_attn(tf, layer); /* (2, H, n, n) */
    if (a == NULL || a->numel != 2 * (size_t)H * nn) {
        rc = rs_error_set(err, RS_EINVAL,
                          "layer %d's attention was not recorded as "
                          "(2, %d, %d, %d)", layer, H, n, n);
        goto out;
    }
    /* Head-mean row n-1 of each batch element. */
    rows = rs_xmalloc(2 * (size_t)n * sizeof *rows);
    for (int b = 0; b < 2; b++)
        for (int s = 0; s < n; s++) {
            double m = 0.0;
            for (int h = 0; h < H; h++)
                m += (double)a->data[((size_t)b * (size_t)H + (size_t)h) * nn +
                                     (size_t)(n - 1) * (size_t)n + (size_t)s];
            rows[(size_t)b * (size_t)n + (size_t)s] = (float)(m / H);
        }
    *tv = rs_probe_collapse_tv(rows, rows + n, n);
    rc = RS_OK;
out:
    free(rows);
    free(ids);
    rs_graph_set_grad(g, grad_was);
    rs_graph_set_precision(g, prec_was);
    return rc;
}
