/* repscope - MIT licence, see COPYING.
 *
 * learner_demp.c: a learner's DemP hooks (algo/demp.h, learner.h): the
 * live-only noise after each optimiser step, and the schedule values in
 * the log. With a cdg_l2 anywhere down the objective's chain, every
 * train/ log (log_every) also gives "<name>/reg/lambda", lambda_t of the
 * last step taken; once noise was set, "<name>/reg/sigma", sigma_t of
 * the last step. Worker thread only.
 */
#include "config.h"

#include "algo/learner.h"

#include <math.h>
#include <stdint.h>

#include "algo/demp.h"
#include "algo/learner_impl.h"

/* Salt of the noise stream, so it never equals the batch stream. */
#define NOISE_SALT UINT64_C(0x64656d705f6e6f69)

void
rs_learner_noise_default(struct rs_learner_noise *nz)
{
    nz->eta = 0.0;
    nz->thr = 1e-8;
    nz->total = 1;
    nz->zero_end = true;
}

void
rs_learner_noise_init(rs_learner *l)
{
    rs_learner_noise_default(&l->noise);
    l->noise_set = false;
    rs_rng_seed(&l->noise_rng, l->cfg.seed ^ NOISE_SALT);
}

int
rs_learner_set_noise(rs_learner *l, const struct rs_learner_noise *nz,
                     struct rs_error *err)
{
    if (!isfinite(nz->eta) || nz->eta < 0.0)
        return rs_error_set(err, RS_EINVAL,
                            "noise_eta = %g (must be finite and >= 0)",
                            nz->eta);
    if (!isfinite(nz->thr) || nz->thr < 0.0)
        return rs_error_set(err, RS_EINVAL,
                            "noise_thr = %g (must be finite and >= 0)",
                            nz->thr);
    if (nz->total < 1)
        return rs_error_set(err, RS_EINVAL, "noise total = %ld (must be >= 1)",
                            nz->total);
    l->noise = *nz;
    l->noise_set = true;
    return RS_OK;
}

const struct rs_learner_noise *
rs_learner_noise(const rs_learner *l)
{
    return &l->noise;
}

static double
sigma_at(const rs_learner *l, long t)
{
    const struct rs_learner_noise *nz = &l->noise;
    return nz->eta > 0.0 ? rs_demp_onecycle(nz->eta, nz->total, nz->zero_end, t)
                         : 0.0;
}

void
rs_learner_noise_apply(rs_learner *l)
{
    double sigma = sigma_at(l, l->steps);
    if (sigma == 0.0)
        return;
    float thr = (float)l->noise.thr, sg = (float)sigma, n[2];
    int left = 0; /* normals of the last pair not used yet (this call
                     only: nothing carries over to the next step) */
    for (int i = 0; i < rs_nn_model_count(l->params); i++) {
        rs_tensor *p = rs_nn_model_param(l->params, i);
        if (p->grad == NULL)
            continue;
        for (size_t j = 0; j < p->numel; j++) {
            if (!(fabsf(p->grad[j]) >= thr))
                continue;
            if (left == 0) {
                rs_rng_normal_pair(&l->noise_rng, &n[0], &n[1]);
                left = 2;
            }
            p->data[j] += sg * n[--left];
        }
    }
}

void
rs_learner_demp_log(rs_learner *l)
{
    if (l->log == NULL || l->steps < 1)
        return;
    char name[RS_NAME_MAX];
    double lambda = rs_objective_cdg_l2_lambda(l->obj, l->steps - 1);
    if (!isnan(lambda))
        l->log(l->log_ud, rs_learner_metric(l, name, "reg", "lambda", NULL),
               lambda);
    if (l->noise_set)
        l->log(l->log_ud, rs_learner_metric(l, name, "reg", "sigma", NULL),
               sigma_at(l, l->steps - 1));
}
