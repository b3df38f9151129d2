/* repscope - MIT licence, see COPYING.
 *
 * rollout.c: the rollout source, GAE and the rollout statistics (see
 * rollout.h). The source owns its three buffers, allocated once at
 * creation; a fetch copies the requested rows into the batch. Worker
 * thread only (the statistics are pure: any thread).
 */
#include "config.h"

#include "algo/rollout.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct rollout {
    int n, obs, cols, actions;
    float *x; /* (n, obs) */
    float *c; /* (n, cols) */
    int *a;   /* (n) */
};

static void
rollout_info(const void *impl, struct rs_source_info *out)
{
    const struct rollout *r = impl;
    memset(out, 0, sizeof *out);
    out->ninputs = 2;
    out->kind[0] = out->kind[1] = RS_NN_INPUT_FEATURES;
    out->width[0] = r->obs;
    out->width[1] = r->cols;
    out->classes = r->actions;
}

static int
rollout_count(const void *impl, enum rs_split split)
{
    const struct rollout *r = impl;
    return split == RS_SPLIT_TRAIN ? r->n : 0;
}

static int
rollout_fetch(const void *impl, enum rs_split split, const int *idx, int n,
              struct rs_batch *b, struct rs_error *err)
{
    const struct rollout *r = impl;
    RS_ASSERT(split == RS_SPLIT_TRAIN); /* the test split is empty */
    int rc = rs_batch_reserve(b, 0, RS_NN_INPUT_FEATURES, n, r->obs, true, err);
    if (rc == RS_OK)
        rc = rs_batch_reserve(b, 1, RS_NN_INPUT_FEATURES, n, r->cols, false,
                              err);
    if (rc != RS_OK)
        return rc;
    size_t xo = (size_t)r->obs, co = (size_t)r->cols;
    for (int k = 0; k < n; k++) {
        size_t i = (size_t)(idx != NULL ? idx[k] : k);
        memcpy(b->in[0].x + (size_t)k * xo, r->x + i * xo, xo * sizeof(float));
        memcpy(b->in[1].x + (size_t)k * co, r->c + i * co, co * sizeof(float));
        b->y[k] = r->a[i];
    }
    return RS_OK;
}

static void
rollout_destroy(void *impl)
{
    struct rollout *r = impl;
    free(r->x);
    free(r->c);
    free(r->a);
    free(r);
}

static const struct rs_source_class rollout_class = {
    .kind = "rollout",
    .info = rollout_info,
    .count = rollout_count,
    .fetch = rollout_fetch,
    .destroy = rollout_destroy,
};

rs_source *
rs_rollout_source(int n, int obs, int cols, int actions, struct rs_error *err)
{
    if (n < 1 || obs < 1 || cols < 1 || actions < 1) {
        rs_error_set(err, RS_EINVAL,
                     "rollout of %d transitions, %d observation floats, %d "
                     "columns, %d actions (each must be >= 1)",
                     n, obs, cols, actions);
        return NULL;
    }
    int wide = obs > cols ? obs : cols;
    if (n > INT_MAX / wide) {
        rs_error_set(err, RS_EINVAL,
                     "rollout of %d transitions of %d floats is too large", n,
                     wide);
        return NULL;
    }
    struct rollout *r = rs_xcalloc(1, sizeof *r);
    r->n = n;
    r->obs = obs;
    r->cols = cols;
    r->actions = actions;
    r->x = rs_xcalloc((size_t)n * (size_t)obs, sizeof *r->x);
    r->c = rs_xcalloc((size_t)n * (size_t)cols, sizeof *r->c);
    r->a = rs_xcalloc((size_t)n, sizeof *r->a);
    return rs_source_new(&rollout_class, r);
}

bool
rs_rollout_is(const rs_source *s)
{
    return rs_source_class(s) == &rollout_class;
}

float *
rs_rollout_obs(const rs_source *s)
{
    return rs_rollout_is(s) ? ((struct rollout *)rs_source_impl(s))->x : NULL;
}

float *
rs_rollout_cols(const rs_source *s)
{
    return rs_rollout_is(s) ? ((struct rollout *)rs_source_impl(s))->c : NULL;
}

int *
rs_rollout_actions(const rs_source *s)
{
    return rs_rollout_is(s) ? ((struct rollout *)rs_source_impl(s))->a : NULL;
}

/* ---- GAE ---------------------------------------------------------------- */

void
rs_rollout_gae(float *adv, float *ret, const float *reward, const float *value,
               const float *next_value, const uint8_t *terminated,
               const uint8_t *truncated, int T, int N, double gamma,
               double lambda)
{
    for (int i = 0; i < N; i++) {
        double carry = 0.0; /* adv_{t+1} of the same episode */
        for (int t = T - 1; t >= 0; t--) {
            size_t k = (size_t)t * (size_t)N + (size_t)i;
            bool term = terminated[k] != 0;
            bool done = term || truncated[k] != 0;
            double boot = term ? 0.0 : gamma * (double)next_value[k];
            double delta = (double)reward[k] + boot - (double)value[k];
            double a = delta + (done ? 0.0 : gamma * lambda * carry);
            adv[k] = (float)a;
            ret[k] = (float)(a + (double)value[k]);
            carry = a;
        }
    }
}

/* ---- statistics --------------------------------------------------------- */

void
rs_rollout_ratio_stats(struct rs_rollout_ratio *out, const float *logp_new,
                       const float *logp_old, size_t stride, int n, double eps)
{
    double below = 0.0, above = 0.0, kl = 0.0;
    long nb = 0, na = 0;
    for (int k = 0; k < n; k++) {
        double d = (double)logp_new[k] - (double)logp_old[(size_t)k * stride];
        double r = exp(d);
        kl -= d;
        if (r < 1.0 - eps) {
            below += r;
            nb++;
        } else if (r > 1.0 + eps) {
            above += r;
            na++;
        }
    }
    out->below = nb > 0 ? below / (double)nb : 1.0 - eps;
    out->above = na > 0 ? above / (double)na : 1.0 + eps;
    out->frac_below = (double)nb / (double)n;
    out->frac_above = (double)na / (double)n;
    out->kl = kl / (double)n;
}

double
rs_rollout_dead_fraction(const float *x, int rows, int cols, bool relu)
{
    int dead = 0;
    for (int j = 0; j < cols; j++) {
        double s = 0.0, s2 = 0.0;
        bool active = false;
        for (int i = 0; i < rows; i++) {
            double v = (double)x[(size_t)i * (size_t)cols + (size_t)j];
            active = active || v > 0.0;
            s += v;
            s2 += v * v;
        }
        double mean = s / rows, var = s2 / rows - mean * mean;
        dead += relu ? !active : sqrt(var > 0.0 ? var : 0.0) < 1e-3;
    }
    return (double)dead / (double)cols;
}
