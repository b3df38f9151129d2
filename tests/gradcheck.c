/* repscope - MIT licence, see COPYING.
 *
 * gradcheck.c: see gradcheck.h.
 */
#include "config.h"

#include "tests/gradcheck.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/tap.h"

static double
weighted_sum(const rs_tensor *out, const float *w)
{
    double s = 0;
    for (size_t i = 0; i < out->numel; i++)
        s += (double)w[i] * (double)out->data[i];
    return s;
}

static float *
weights_for(size_t n)
{
    struct rs_rng r;
    rs_rng_seed(&r, 0xC0FFEE + n);
    float *w = rs_xmalloc(n * sizeof *w);
    for (size_t i = 0; i < n; i++)
        w[i] = 2.0f * rs_rng_uniform(&r) - 1.0f;
    return w;
}

bool
tap_gradcheck(const char *name, int nin, rs_tensor *const *in,
              tap_gradcheck_fn build, void *ud, double h, double tol)
{
    rs_graph *g = rs_graph_new();
    for (int k = 0; k < nin; k++)
        rs_tensor_zero_grad(in[k]);
    rs_tensor *out = build(g, in, ud);
    if (out == NULL || rs_graph_error(g)->code != RS_OK) {
        tap_ok(false, "gradcheck %s: build failed: %s", name,
               rs_graph_error(g)->msg);
        rs_graph_free(g);
        return false;
    }
    float *w = weights_for(out->numel);
    struct rs_error err = {0};
    if (rs_graph_backward_seed(g, out, w, &err) != RS_OK) {
        tap_ok(false, "gradcheck %s: backward failed: %s", name, err.msg);
        free(w);
        rs_graph_free(g);
        return false;
    }
    size_t nbad = 0, ntotal = 0;
    double worst = 0;
    for (int k = 0; k < nin; k++) {
        rs_tensor *x = in[k];
        if (!x->requires_grad)
            continue;
        float *analytic = rs_xmalloc(x->numel * sizeof(float));
        for (size_t i = 0; i < x->numel; i++)
            analytic[i] = x->grad[i];
        for (size_t i = 0; i < x->numel; i++) {
            float saved = x->data[i];
            x->data[i] = saved + (float)h;
            rs_graph_reset(g);
            double lp = weighted_sum(build(g, in, ud), w);
            x->data[i] = saved - (float)h;
            rs_graph_reset(g);
            double lm = weighted_sum(build(g, in, ud), w);
            x->data[i] = saved;
            /* Use the actually representable step. */
            double step = (double)(saved + (float)h) - (double)(saved - (float)h);
            double numeric = (lp - lm) / step;
            double a = analytic[i];
            double scale = fmax(1.0, fmax(fabs(a), fabs(numeric)));
            double e = fabs(a - numeric) / scale;
            ntotal++;
            if (e > worst || isnan(e))
                worst = e;
            if (!(e <= tol)) {
                if (nbad < 5)
                    tap_diag("  %s: input %d [%zu]: analytic %.6g numeric "
                             "%.6g",
                             name, k, i, a, numeric);
                nbad++;
            }
        }
        free(analytic);
    }
    free(w);
    rs_graph_free(g);
    return tap_ok(nbad == 0 && ntotal > 0,
                  "gradcheck %s (%zu components, worst rel err %.2g)", name,
                  ntotal, worst);
}

rs_tensor *
tap_param(struct rs_rng *rng, int ndim, const int *shape, float lo, float hi)
{
    rs_tensor *t = rs_tensor_new_param(ndim, shape, NULL);
    RS_ASSERT(t != NULL);
    for (size_t i = 0; i < t->numel; i++)
        t->data[i] = lo + (hi - lo) * rs_rng_uniform(rng);
    return t;
}

rs_tensor *
tap_param_away(struct rs_rng *rng, int ndim, const int *shape, float lo,
               float hi, float kink, float margin)
{
    rs_tensor *t = rs_tensor_new_param(ndim, shape, NULL);
    RS_ASSERT(t != NULL);
    for (size_t i = 0; i < t->numel; i++) {
        float v;
        do
            v = lo + (hi - lo) * rs_rng_uniform(rng);
        while (fabsf(v - kink) < margin);
        t->data[i] = v;
    }
    return t;
}

rs_tensor *
tap_filled(struct rs_rng *rng, int ndim, const int *shape, float lo, float hi)
{
    rs_tensor *t = rs_tensor_new(ndim, shape, NULL);
    RS_ASSERT(t != NULL);
    for (size_t i = 0; i < t->numel; i++)
        t->data[i] = lo + (hi - lo) * rs_rng_uniform(rng);
    return t;
}

bool
tap_graph_failed_with(rs_graph *g, const char *a, const char *b)
{
    const struct rs_error *e = rs_graph_error(g);
    if (e->code == RS_OK)
        return false;
    tap_diag("  error: %s", e->msg);
    return strstr(e->msg, a) != NULL && (b == NULL || strstr(e->msg, b));
}
