/* repscope - MIT licence, see COPYING.
 *
 * ppo_metrics.c: the instruments of a PPO update (see ppo.h), as the
 * authors of "No Representation, No Trust" (arXiv 2405.00662) compute
 * them:
 *   - trust region: the policy after the epochs against the one that
 *     collected, on every transition of the rollout: r = pi_new(a|s) /
 *     pi_old(a|s); ratio_below is the mean of the r < 1 - eps (1 - eps
 *     when there is none, so a curve has no holes), ratio_above the mean
 *     of the r > 1 + eps (else 1 + eps), frac_below / frac_above their
 *     fractions, kl the mean of log pi_old - log pi_new;
 *   - representation, on the rollout's penultimate activations (rows the
 *     N * T transitions, not centred): approx_rank, srank, effective and
 *     feature rank (#{s_i / sqrt(rows) > 0.01}) of the actor, approx_rank
 *     of the critic; preact_norm the mean over transitions of
 *     ||phi_pre(s)||_2; dead the fraction of units never > 0 (ReLU
 *     family) or with a standard deviation below 1e-3 (tanh, sigmoid,
 *     identity) over the rollout;
 *   - capacity, as the authors' code measures it: a copy of each network
 *     is fitted for one epoch, fresh Adam at the learner's rate, in
 *     minibatches of capacity_minibatch over the first rollouts'
 *     observations (capacity_rows of them; one rollout's worth in
 *     minibatches of the PPO size was 4 Adam steps, too few to tell a
 *     network with dead units from a healthy one), to a freshly
 *     initialised network of the same config: KL(target || copy) of
 *     the softmax policies for the actor, the squared error for the
 *     critic; the value is that loss over the whole data after the
 *     epoch.
 * Worker thread only.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "algo/ppo_impl.h"
#include "algo/rollout.h"
#include "core/names.h"
#include "core/ops.h"
#include "core/optim.h"
#include "nn/mlp.h"
#include "nn/model.h"

/* ---- trust region -------------------------------------------------------- */

/* log pi_new(a|s) of every transition into p->logp. */
static int
new_logp(struct rs_ppo *p, struct rs_error *err)
{
    const float *x = rs_rollout_obs(p->roll);
    const int *acts = rs_rollout_actions(p->roll);
    int A = p->actions;
    for (int r0 = 0; r0 < p->M; r0 += RS_PPO_CHUNK) {
        int n = p->M - r0 < RS_PPO_CHUNK ? p->M - r0 : RS_PPO_CHUNK;
        rs_graph_reset(p->g);
        rs_tensor *o = rs_ppo_forward(p, p->actor, x + (size_t)r0 * p->obs_dim,
                                      n, NULL, NULL, err);
        if (o == NULL)
            return err != NULL ? err->code : RS_EINVAL;
        for (int i = 0; i < n; i++) {
            const float *li = o->data + (size_t)i * (size_t)A;
            double mx = (double)li[0], z = 0.0;
            for (int a = 1; a < A; a++)
                mx = (double)li[a] > mx ? (double)li[a] : mx;
            for (int a = 0; a < A; a++)
                z += exp((double)li[a] - mx);
            p->logp[r0 + i] = (float)((double)li[acts[r0 + i]] - mx - log(z));
        }
    }
    rs_graph_reset(p->g);
    return RS_OK;
}

static void
log_trust(struct rs_ppo *p, rs_learner *l)
{
    struct rs_rollout_ratio r;
    rs_rollout_ratio_stats(&r, p->logp, rs_rollout_cols(p->roll),
                           (size_t)p->cols, p->M, p->cfg.obj.clip);
    rs_learner_log_value(l, "ppo/ratio_below", r.below);
    rs_learner_log_value(l, "ppo/ratio_above", r.above);
    rs_learner_log_value(l, "ppo/frac_below", r.frac_below);
    rs_learner_log_value(l, "ppo/frac_above", r.frac_above);
    rs_learner_log_value(l, "ppo/kl", r.kl);
}

/* ---- representation ------------------------------------------------------ */

/* m's hidden units die as ReLUs do (never active), not as tanh does (a
 * constant output). */
static bool
relu_family(const rs_nn_module *m)
{
    enum rs_nn_mlp_act a = rs_nn_mlp_config(rs_nn_module_as_mlp(m))->act;
    return a == RS_NN_MLP_ACT_RELU || a == RS_NN_MLP_ACT_LEAKY_RELU ||
           a == RS_NN_MLP_ACT_GELU;
}

static int
log_representation(struct rs_ppo *p, rs_learner *l, struct rs_error *err)
{
    struct rs_probe_rank *rk = &p->rank;
    int rc = rs_probe_rank_features(rk, p->feat_c, p->M, p->Dc, false, err);
    if (rc != RS_OK)
        return rc;
    rs_learner_log_value(l, "critic/approx_rank", (double)rk->approx);
    rc = rs_probe_rank_features(rk, p->feat_a, p->M, p->D, false, err);
    if (rc != RS_OK)
        return rc;
    int feature = 0;
    double scale = sqrt((double)p->M);
    for (int i = 0; i < rk->n; i++)
        feature += (double)rk->s[i] / scale > RS_PROBE_RANK_DELTA;
    rs_learner_log_value(l, "actor/approx_rank", (double)rk->approx);
    rs_learner_log_value(l, "actor/srank", (double)rk->srank);
    rs_learner_log_value(l, "actor/erank", rk->effective);
    rs_learner_log_value(l, "actor/feature_rank", (double)feature);
    /* under the actor's last hidden layer's name, as the probe runner
     * publishes a module's spectra: rs.view.spectrum shows it */
    char spec[RS_NAME_MAX];
    int last = rs_nn_module_layers(p->actor) - 1;
    rs_name(spec, NULL, "spectrum", rs_nn_module_layer_name(p->actor, last),
            NULL);
    rs_learner_publish_matrix(l, spec, 1, rk->n, rk->s);
    rs_learner_log_value(l, "actor/preact_norm", p->pre_a / (double)p->M);
    rs_learner_log_value(l, "critic/preact_norm", p->pre_c / (double)p->M);
    rs_learner_log_value(
        l, "actor/dead",
        rs_rollout_dead_fraction(p->feat_a, p->M, p->D, relu_family(p->actor)));
    rs_learner_log_value(l, "critic/dead",
                         rs_rollout_dead_fraction(p->feat_c, p->M, p->Dc,
                                                  relu_family(p->critic)));
    return RS_OK;
}

/* ---- capacity ------------------------------------------------------------ */

/* What one capacity fit works with. */
struct fit {
    rs_nn_module *twin, *target;
    rs_optim *opt;
    bool policy;
    int out;
    float *tgt;   /* (rows, out): target probabilities, or values */
    double *hsum; /* (rows) policy: sum_a p log p of the target */
};

/* The loss of fit's twin on rows [r0, r0 + n) of the capacity data, on
 * p->g (gradients as the graph has them). NULL + graph error. */
static rs_tensor *
fit_loss(struct rs_ppo *p, struct fit *f, int r0, int n)
{
    int shape[2] = {n, p->obs_dim}, tshape[2] = {n, f->out};
    rs_tensor *x =
        rs_graph_input(p->g, 2, shape, p->cap_obs + (size_t)r0 * p->obs_dim);
    rs_tensor *o = x != NULL ? rs_nn_module_forward(f->twin, p->g, x) : NULL;
    rs_tensor *t =
        rs_graph_input(p->g, 2, tshape, f->tgt + (size_t)r0 * f->out);
    if (!f->policy)
        return rs_op_mse(p->g, o, t);
    /* KL(p || q) = mean_rows (sum_a p log p - sum_a p log q) */
    double h = 0.0;
    for (int i = 0; i < n; i++)
        h += f->hsum[r0 + i];
    rs_tensor *s =
        rs_op_sum(p->g, rs_op_mul(p->g, t, rs_op_log_softmax(p->g, o)));
    return rs_op_add_scalar(p->g, rs_op_scale(p->g, s, -1.0f / (float)n),
                            (float)(h / n));
}

/* The target's outputs on the capacity data into f->tgt (and hsum). */
static int
fit_targets(struct rs_ppo *p, struct fit *f, struct rs_error *err)
{
    for (int r0 = 0; r0 < p->cap_n; r0 += RS_PPO_CHUNK) {
        int n = p->cap_n - r0 < RS_PPO_CHUNK ? p->cap_n - r0 : RS_PPO_CHUNK;
        rs_graph_reset(p->g);
        rs_tensor *o =
            rs_ppo_forward(p, f->target, p->cap_obs + (size_t)r0 * p->obs_dim,
                           n, NULL, NULL, err);
        if (o == NULL)
            return err != NULL ? err->code : RS_EINVAL;
        for (int i = 0; i < n; i++) {
            const float *li = o->data + (size_t)i * f->out;
            float *ti = f->tgt + (size_t)(r0 + i) * f->out;
            if (!f->policy) {
                ti[0] = li[0];
                continue;
            }
            double mx = (double)li[0], z = 0.0, h = 0.0;
            for (int a = 1; a < f->out; a++)
                mx = (double)li[a] > mx ? (double)li[a] : mx;
            for (int a = 0; a < f->out; a++)
                z += exp((double)li[a] - mx);
            for (int a = 0; a < f->out; a++) {
                double lp = (double)li[a] - mx - log(z);
                ti[a] = (float)exp(lp);
                h += (double)ti[a] * lp;
            }
            f->hsum[r0 + i] = h;
        }
    }
    rs_graph_reset(p->g);
    return RS_OK;
}

/* One epoch of minibatches, then the loss over all the data. */
static int
fit_run(struct rs_ppo *p, struct fit *f, float lr, double *loss,
        struct rs_error *err)
{
    int mb = p->cfg.capacity_minibatch < p->cap_n ? p->cfg.capacity_minibatch
                                                    : p->cap_n;
    for (int r0 = 0; r0 < p->cap_n; r0 += mb) {
        int n = p->cap_n - r0 < mb ? p->cap_n - r0 : mb;
        rs_graph_reset(p->g);
        rs_tensor *ls = fit_loss(p, f, r0, n);
        int rc = ls != NULL ? rs_graph_backward(p->g, ls, err)
                            : rs_error_set(err, rs_graph_error(p->g)->code,
                                           "%s", rs_graph_error(p->g)->msg);
        if (rc == RS_OK)
            rc = rs_optim_step(f->opt, lr, NULL, err);
        rs_optim_zero_grad(f->opt);
        rs_graph_reset(p->g);
        if (rc != RS_OK)
            return rc;
    }
    double sum = 0.0;
    rs_graph_set_grad(p->g, false);
    for (int r0 = 0; r0 < p->cap_n; r0 += RS_PPO_CHUNK) {
        int n = p->cap_n - r0 < RS_PPO_CHUNK ? p->cap_n - r0 : RS_PPO_CHUNK;
        rs_graph_reset(p->g);
        rs_tensor *ls = fit_loss(p, f, r0, n);
        if (ls == NULL) {
            rs_graph_set_grad(p->g, true);
            int code = rs_graph_error(p->g)->code;
            rs_error_set(err, code, "%s", rs_graph_error(p->g)->msg);
            rs_graph_reset(p->g);
            return code;
        }
        sum += (double)ls->data[0] * n;
    }
    rs_graph_set_grad(p->g, true);
    rs_graph_reset(p->g);
    *loss = sum / p->cap_n;
    return RS_OK;
}

/* Fit a copy of net (policy: the actor) to a fresh network of its config
 * seeded from stream; *loss gets the final loss, NaN when net cannot be
 * rebuilt from its config (units were removed). */
static int
capacity_fit(struct rs_ppo *p, rs_nn_module *net, bool policy,
             struct rs_rng *stream, float lr, double *loss,
             struct rs_error *err)
{
    *loss = (double)NAN;
    struct rs_nn_mlp_config mc = *rs_nn_mlp_config(rs_nn_module_as_mlp(net));
    struct fit f = {.policy = policy, .out = rs_nn_module_out(net)};
    struct rs_rng twin_rng; /* its weights are overwritten by net's */
    rs_rng_seed(&twin_rng, 1);
    f.twin = rs_nn_module_mlp(&mc, &twin_rng, NULL);
    f.target = rs_nn_module_mlp(&mc, stream, NULL);
    rs_nn_model *src = rs_nn_module_model(net);
    rs_nn_model *dst = f.twin != NULL ? rs_nn_module_model(f.twin) : NULL;
    bool same = f.target != NULL && dst != NULL &&
                rs_nn_model_count(dst) == rs_nn_model_count(src);
    for (int j = 0; same && j < rs_nn_model_count(src); j++)
        same = rs_tensor_same_shape(rs_nn_model_param(src, j),
                                    rs_nn_model_param(dst, j));
    int rc = RS_OK;
    if (same) {
        for (int j = 0; j < rs_nn_model_count(src); j++)
            rs_tensor_copy_data(rs_nn_model_param(dst, j),
                                rs_nn_model_param(src, j));
        struct rs_optim_config oc;
        rs_optim_config_default(&oc, RS_OPTIM_ADAM);
        oc.lr = lr;
        f.opt = rs_optim_new(&oc, rs_nn_model_params(dst),
                             rs_nn_model_count(dst), err);
        rc = f.opt != NULL ? RS_OK : RS_EINVAL;
    }
    if (same && rc == RS_OK) {
        f.tgt = rs_xcalloc((size_t)p->cap_n * (size_t)f.out, sizeof *f.tgt);
        f.hsum = rs_xcalloc((size_t)p->cap_n, sizeof *f.hsum);
        rc = fit_targets(p, &f, err);
        if (rc == RS_OK)
            rc = fit_run(p, &f, lr, loss, err);
    }
    free(f.tgt);
    free(f.hsum);
    rs_optim_free(f.opt);
    rs_nn_module_release(f.twin);
    rs_nn_module_release(f.target);
    return rc;
}

static int
log_capacity(struct rs_ppo *p, rs_learner *l, long update, struct rs_error *err)
{
    /* a stream of its own: (seed, update), never the sampling stream */
    struct rs_rng stream;
    rs_rng_seed(&stream, p->cfg.seed ^ UINT64_C(0x6361706163697479) ^
                             (UINT64_C(0x9e3779b97f4a7c15) * (uint64_t)update));
    float lr = rs_learner_lr(l);
    double la, lc;
    int rc = capacity_fit(p, p->actor, true, &stream, lr, &la, err);
    if (rc == RS_OK)
        rc = capacity_fit(p, p->critic, false, &stream, lr, &lc, err);
    if (rc != RS_OK)
        return rc;
    if (!isnan(la))
        rs_learner_log_value(l, "capacity/actor", la);
    if (!isnan(lc))
        rs_learner_log_value(l, "capacity/critic", lc);
    return RS_OK;
}

/* ---- all of them --------------------------------------------------------- */

int
rs_ppo_metrics_log(struct rs_ppo *p, rs_learner *l, long update,
                   struct rs_error *err)
{
    if (p->episodes > 0) {
        rs_learner_log_value(l, "rl/return", p->ep_sum / (double)p->episodes);
        rs_learner_log_value(l, "rl/ep_len", p->len_sum / (double)p->episodes);
    }
    rs_learner_log_value(l, "rl/env_steps", (double)rs_env_steps(p->env));
    if (!p->cfg.instruments)
        return RS_OK;
    int rc = new_logp(p, err);
    if (rc != RS_OK)
        return rc;
    log_trust(p, l);
    rc = log_representation(p, l, err);
    if (rc != RS_OK)
        return rc;
    if (p->cfg.capacity_every > 0 && update % p->cfg.capacity_every == 0) {
        rc = log_capacity(p, l, update, err);
        if (rc != RS_OK)
            return rc;
    }
    struct rs_env_info info;
    rs_env_info(p->env, &info);
    int cells = info.frame_h * info.frame_w;
    if (cells > 0) {
        rs_env_render(p->env, 0, p->cells);
        for (int k = 0; k < cells; k++)
            p->frame[k] = (float)p->cells[k];
        rs_learner_publish_matrix(l, "env/frame", info.frame_h, info.frame_w,
                                  p->frame);
    }
    return RS_OK;
}
