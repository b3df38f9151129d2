/* repscope - MIT licence, see COPYING.
 *
 * ppo.c: the PPO driver (see ppo.h): the learner it builds, collection,
 * GAE, the epochs, live config changes and the driver's checkpoint
 * words. The instruments are in ppo_metrics.c; the struct is in
 * ppo_impl.h.
 *
 * Collection writes straight into the rollout source's buffers: the
 * env's step puts the next observations into the rollout rows of the
 * next step, the actor's penultimate pre-activation goes into the
 * columns (the PFO anchor). Every buffer is sized when the learner is
 * built (or the rollout is resized by a live change); the collection
 * forwards run without the graph (ppo_fast.c) or, for MLPs it does not
 * compute, on the driver's own graph, whose arena is reused: a
 * collection step allocates nothing.
 *
 * Driver words (layout 1): magic, the RNG (4), the capacity rows and
 * their width, the env's word count e, the env's e words, then the
 * capacity observations as float bits, two per word. Worker thread only.
 */
#include "config.h"

#include "algo/ppo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "algo/ppo_impl.h"
#include "algo/rollout.h"
#include "nn/mlp.h"

/* First word of the driver's state ("RSPPO", layout 1). */
#define STATE_MAGIC UINT64_C(0x5253505056000001)
#define STATE_FIXED 8

void
rs_ppo_config_default(struct rs_ppo_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->steps = 128;
    cfg->minibatch = 256;
    cfg->epochs = 4;
    cfg->gamma = 0.99;
    cfg->lambda = 0.95;
    rs_obj_ppo_config_default(&cfg->obj);
    cfg->capacity_every = 0;
    cfg->capacity_rows = 4096;
    cfg->capacity_minibatch = 64;
    cfg->seed = 1;
    cfg->instruments = true;
}

/* The fields the driver checks (the objective checks obj). */
static int
check_config(const struct rs_ppo_config *c, int copies, struct rs_error *err)
{
    if (c->steps < 1 || c->steps > RS_PPO_MAX_ROLLOUT / copies)
        return rs_error_set(err, RS_EINVAL,
                            "ppo: steps = %d (must be in 1..%d for %d "
                            "copies)",
                            c->steps, RS_PPO_MAX_ROLLOUT / copies, copies);
    int m = c->steps * copies;
    if (c->minibatch < 1 || c->minibatch > m || m % c->minibatch != 0)
        return rs_error_set(err, RS_EINVAL,
                            "ppo: minibatch = %d (must divide copies * "
                            "steps = %d)",
                            c->minibatch, m);
    if (c->epochs < 1 || c->epochs > RS_PPO_MAX_EPOCHS)
        return rs_error_set(err, RS_EINVAL,
                            "ppo: epochs = %d (must be in 1..%d)", c->epochs,
                            RS_PPO_MAX_EPOCHS);
    if (!(c->gamma >= 0.0 && c->gamma <= 1.0))
        return rs_error_set(err, RS_EINVAL,
                            "ppo: gamma = %g (must be in [0, 1])", c->gamma);
    if (!(c->lambda >= 0.0 && c->lambda <= 1.0))
        return rs_error_set(err, RS_EINVAL,
                            "ppo: lambda = %g (must be in [0, 1])", c->lambda);
    if (c->capacity_every < 0)
        return rs_error_set(err, RS_EINVAL,
                            "ppo: capacity_every = %d (must be >= 0)",
                            c->capacity_every);
    if (c->capacity_rows < 1 || c->capacity_rows > RS_PPO_MAX_ROLLOUT)
        return rs_error_set(err, RS_EINVAL,
                            "ppo: capacity_rows = %d (must be in [1, %d])",
                            c->capacity_rows, RS_PPO_MAX_ROLLOUT);
    if (c->capacity_minibatch < 1)
        return rs_error_set(err, RS_EINVAL,
                            "ppo: capacity_minibatch = %d (must be >= 1)",
                            c->capacity_minibatch);
    return RS_OK;
}

/* m is an "mlp" module of depth >= 1 taking in features and giving out;
 * *width gets its last hidden width. */
static int
check_net(const rs_nn_module *m, const char *what, int in, int out, int *width,
          struct rs_error *err)
{
    const rs_nn_mlp *mlp = rs_nn_module_as_mlp(m);
    if (mlp == NULL || rs_nn_mlp_depth(mlp) < 1)
        return rs_error_set(err, RS_EINVAL,
                            "ppo: the %s must be an mlp module with at least "
                            "one hidden layer (got %s)",
                            what, rs_nn_module_kind(m));
    int depth = rs_nn_mlp_depth(mlp);
    if (rs_nn_module_in(m) != in || rs_nn_module_out(m) != out)
        return rs_error_set(err, RS_EINVAL,
                            "ppo: the %s maps %d features to %d (the env "
                            "needs %d to %d)",
                            what, rs_nn_module_in(m), rs_nn_module_out(m), in,
                            out);
    *width = rs_nn_mlp_width(mlp, depth);
    return RS_OK;
}

/* ---- buffers ------------------------------------------------------------ */

/* The buffers that follow T (and N): the per-step ones once, the
 * rollout's whenever T changes. */
static void
free_rollout_buffers(struct rs_ppo *p)
{
    free(p->value);
    free(p->next_value);
    free(p->reward);
    free(p->adv);
    free(p->ret);
    free(p->term);
    free(p->trunc);
    free(p->feat_a);
    free(p->feat_c);
    free(p->logp);
}

static void
alloc_rollout_buffers(struct rs_ppo *p)
{
    size_t m = (size_t)p->M;
    p->value = rs_xcalloc(m, sizeof *p->value);
    p->next_value = rs_xcalloc(m, sizeof *p->next_value);
    p->reward = rs_xcalloc(m, sizeof *p->reward);
    p->adv = rs_xcalloc(m, sizeof *p->adv);
    p->ret = rs_xcalloc(m, sizeof *p->ret);
    p->term = rs_xcalloc(m, 1);
    p->trunc = rs_xcalloc(m, 1);
    p->feat_a = rs_xcalloc(m * (size_t)p->D, sizeof *p->feat_a);
    p->feat_c = rs_xcalloc(m * (size_t)p->Dc, sizeof *p->feat_c);
    p->logp = rs_xcalloc(m, sizeof *p->logp);
}

static void
ppo_destroy(void *impl)
{
    struct rs_ppo *p = impl;
    if (p == NULL)
        return;
    rs_env_free(p->env);
    rs_source_release(p->roll);
    rs_graph_free(p->g);
    free(p->obs_next);
    free(p->final_obs);
    free(p->ep_ret);
    free(p->ep_len);
    free(p->act);
    free(p->gather);
    free(p->gather_idx);
    free(p->probs);
    free_rollout_buffers(p);
    rs_probe_rank_fini(&p->rank);
    rs_ppo_fast_fini(&p->fast_a);
    rs_ppo_fast_fini(&p->fast_c);
    free(p->cells);
    free(p->frame);
    free(p->cap_obs);
    free(p);
}

/* ---- forwards and sampling ---------------------------------------------- */

rs_tensor *
rs_ppo_forward(struct rs_ppo *p, rs_nn_module *m, const float *x, int n,
               rs_tensor **pre, rs_tensor **act, struct rs_error *err)
{
    int shape[2] = {n, p->obs_dim};
    rs_graph_set_grad(p->g, false);
    rs_tensor *in = rs_graph_input(p->g, 2, shape, x);
    rs_tensor *out = in != NULL ? rs_nn_module_forward(m, p->g, in) : NULL;
    rs_graph_set_grad(p->g, true);
    if (out == NULL) {
        const struct rs_error *ge = rs_graph_error(p->g);
        rs_error_set(err, ge->code != RS_OK ? ge->code : RS_EINVAL, "%s",
                     ge->code != RS_OK ? ge->msg : "ppo: forward failed");
        rs_graph_reset(p->g);
        return NULL;
    }
    int last = rs_nn_module_layers(m) - 1;
    if (pre != NULL)
        *pre = rs_nn_module_layer_preact(m, last);
    if (act != NULL)
        *act = rs_nn_module_layer_act(m, last);
    return out;
}

/* An action from softmax(logits) (A entries, finite) with one uniform of
 * rng; *logp gets its log-probability. */
static int
sample(struct rs_rng *rng, const float *logits, int A, double *probs,
       double *logp)
{
    double mx = (double)logits[0];
    for (int a = 1; a < A; a++)
        mx = (double)logits[a] > mx ? (double)logits[a] : mx;
    double z = 0.0;
    for (int a = 0; a < A; a++) {
        probs[a] = exp((double)logits[a] - mx);
        z += probs[a];
    }
    double u = rs_rng_uniform_double(rng) * z, c = 0.0;
    int pick = -1;
    for (int a = 0; a < A && pick < 0; a++) {
        c += probs[a];
        if (u < c)
            pick = a;
    }
    /* u rounded up to the total: the last action of positive mass */
    for (int a = A - 1; pick < 0; a--)
        if (probs[a] > 0.0)
            pick = a;
    *logp = (double)logits[pick] - mx - log(z);
    return pick;
}

static double
row_norm(const float *x, int n)
{
    double s = 0.0;
    for (int j = 0; j < n; j++)
        s += (double)x[j] * (double)x[j];
    return sqrt(s);
}

/* ---- collection --------------------------------------------------------- */

/* A collection forward of m on rows x (n <= N): without the graph when
 * f can (ppo_fast.c), else on p->g (reset by the caller). The output and
 * the last hidden layer's pre-activation and activation, row-major,
 * valid until the next forward or graph reset; NULL + err. */
static const float *
net_forward(struct rs_ppo *p, struct rs_ppo_fast *f, rs_nn_module *m,
            const float *x, int n, const float **pre, const float **act,
            struct rs_error *err)
{
    if (f->on)
        return rs_ppo_fast_forward(f, x, n, pre, act);
    rs_tensor *tp, *ta;
    rs_tensor *o = rs_ppo_forward(p, m, x, n, &tp, &ta, err);
    if (o == NULL)
        return NULL;
    *pre = tp->data;
    *act = ta->data;
    return o->data;
}

/* Forward both networks on step t's observations; sample, and record
 * everything the rollout keeps of them. */
static int
collect_forward(struct rs_ppo *p, int t, struct rs_error *err)
{
    int N = p->N;
    float *x = rs_rollout_obs(p->roll) + (size_t)t * (size_t)N * p->obs_dim;
    float *cols = rs_rollout_cols(p->roll);
    int *acts = rs_rollout_actions(p->roll);
    rs_graph_reset(p->g);
    const float *pa, *aa, *pc, *ac;
    const float *logits =
        net_forward(p, &p->fast_a, p->actor, x, N, &pa, &aa, err);
    if (logits == NULL)
        return err != NULL ? err->code : RS_EINVAL;
    const float *v = net_forward(p, &p->fast_c, p->critic, x, N, &pc, &ac, err);
    if (v == NULL)
        return err != NULL ? err->code : RS_EINVAL;
    for (int i = 0; i < N; i++) {
        const float *li = logits + (size_t)i * (size_t)p->actions;
        for (int a = 0; a < p->actions; a++)
            if (!isfinite(li[a]))
                return rs_error_set(err, RS_ENONFINITE,
                                    "ppo: the actor's logit %d of copy %d "
                                    "is %g at collection",
                                    a, i, (double)li[a]);
        size_t r = (size_t)t * (size_t)N + (size_t)i;
        double logp;
        acts[r] = sample(&p->rng, li, p->actions, p->probs, &logp);
        float *c = cols + r * (size_t)p->cols;
        c[0] = (float)logp;
        c[3] = v[i];
        p->value[r] = v[i];
        memcpy(c + RS_PPO_COLS, pa + (size_t)i * p->D,
               (size_t)p->D * sizeof(float));
        memcpy(p->feat_a + r * p->D, aa + (size_t)i * p->D,
               (size_t)p->D * sizeof(float));
        memcpy(p->feat_c + r * p->Dc, ac + (size_t)i * p->Dc,
               (size_t)p->Dc * sizeof(float));
        p->pre_a += row_norm(pa + (size_t)i * p->D, p->D);
        p->pre_c += row_norm(pc + (size_t)i * p->Dc, p->Dc);
        p->act[i] = acts[r];
        /* V(s_t) is the previous step's next value inside an episode */
        size_t prev = r - (size_t)N;
        if (t > 0 && !p->term[prev] && !p->trunc[prev])
            p->next_value[prev] = v[i];
    }
    rs_graph_reset(p->g);
    return RS_OK;
}

/* V of the final observations of the copies truncated at step t. */
static int
bootstrap_truncated(struct rs_ppo *p, int t, struct rs_error *err)
{
    int k = 0;
    size_t row = (size_t)p->obs_dim;
    for (int i = 0; i < p->N; i++) {
        size_t r = (size_t)t * (size_t)p->N + (size_t)i;
        if (!p->trunc[r])
            continue;
        memcpy(p->gather + (size_t)k * row, p->final_obs + (size_t)i * row,
               row * sizeof(float));
        p->gather_idx[k++] = i;
    }
    if (k == 0)
        return RS_OK;
    rs_graph_reset(p->g);
    const float *pre, *act;
    const float *v =
        net_forward(p, &p->fast_c, p->critic, p->gather, k, &pre, &act, err);
    if (v == NULL)
        return err != NULL ? err->code : RS_EINVAL;
    for (int j = 0; j < k; j++)
        p->next_value[(size_t)t * (size_t)p->N + (size_t)p->gather_idx[j]] =
            v[j];
    rs_graph_reset(p->g);
    return RS_OK;
}

/* One vectorised env step after step t's forward. */
static int
collect_step(struct rs_ppo *p, int t, struct rs_error *err)
{
    size_t off = (size_t)t * (size_t)p->N;
    float *x = rs_rollout_obs(p->roll);
    struct rs_env_step out = {
        .obs =
            t + 1 < p->T ? x + (off + (size_t)p->N) * p->obs_dim : p->obs_next,
        .final_obs = p->final_obs,
        .reward = p->reward + off,
        .terminated = p->term + off,
        .truncated = p->trunc + off,
        .ep_return = p->ep_ret,
        .ep_len = p->ep_len,
    };
    int rc = rs_env_step(p->env, p->act, &out, err);
    if (rc != RS_OK)
        return rc;
    for (int i = 0; i < p->N; i++) {
        if (p->term[off + (size_t)i])
            p->next_value[off + (size_t)i] = 0.0f;
        if (p->term[off + (size_t)i] || p->trunc[off + (size_t)i]) {
            p->ep_sum += p->ep_ret[i];
            p->len_sum += (double)p->ep_len[i];
            p->episodes++;
        }
    }
    return bootstrap_truncated(p, t, err);
}

/* T steps of N copies into the rollout, then GAE into its columns. */
static int
collect(struct rs_ppo *p, struct rs_error *err)
{
    p->pre_a = p->pre_c = p->ep_sum = p->len_sum = 0.0;
    p->episodes = 0;
    rs_ppo_fast_prepare(&p->fast_a, p->actor, p->N);
    rs_ppo_fast_prepare(&p->fast_c, p->critic, p->N);
    rs_env_observe(p->env, rs_rollout_obs(p->roll));
    for (int t = 0; t < p->T; t++) {
        int rc = collect_forward(p, t, err);
        if (rc == RS_OK)
            rc = collect_step(p, t, err);
        if (rc != RS_OK)
            return rc;
    }
    /* the last step's next values: V of the observations after it */
    rs_graph_reset(p->g);
    const float *pre, *act;
    const float *v = net_forward(p, &p->fast_c, p->critic, p->obs_next, p->N,
                                 &pre, &act, err);
    if (v == NULL)
        return err != NULL ? err->code : RS_EINVAL;
    size_t last = (size_t)(p->T - 1) * (size_t)p->N;
    for (int i = 0; i < p->N; i++)
        if (!p->term[last + (size_t)i] && !p->trunc[last + (size_t)i])
            p->next_value[last + (size_t)i] = v[i];
    rs_graph_reset(p->g);
    rs_rollout_gae(p->adv, p->ret, p->reward, p->value, p->next_value, p->term,
                   p->trunc, p->T, p->N, p->cfg.gamma, p->cfg.lambda);
    float *cols = rs_rollout_cols(p->roll);
    for (size_t r = 0; r < (size_t)p->M; r++) {
        cols[r * (size_t)p->cols + 1] = p->adv[r];
        cols[r * (size_t)p->cols + 2] = p->ret[r];
    }
    return RS_OK;
}

/* The first rollouts' observations become the capacity data, up to
 * capacity_rows of them: the states the initial policies visit. */
static void
keep_capacity_data(struct rs_ppo *p)
{
    int want = p->cfg.capacity_rows - p->cap_n;
    if (want <= 0)
        return;
    int n = want < p->M ? want : p->M;
    size_t d = (size_t)p->obs_dim;
    p->cap_obs = rs_xreallocarray(p->cap_obs, (size_t)(p->cap_n + n) * d,
                                  sizeof *p->cap_obs);
    memcpy(p->cap_obs + (size_t)p->cap_n * d, rs_rollout_obs(p->roll),
           (size_t)n * d * sizeof(float));
    p->cap_n += n;
}

/* ---- the update --------------------------------------------------------- */

static int
ppo_update(void *impl, rs_learner *l, struct rs_learner_stats *st,
           struct rs_error *err)
{
    struct rs_ppo *p = impl;
    double t0 = rs_time_now();
    int rc = collect(p, err);
    if (rc != RS_OK)
        return rc;
    keep_capacity_data(p);
    rc = rs_learner_set_source(l, p->roll, err);
    if (rc != RS_OK)
        return rc;
    long steps = (long)p->cfg.epochs * (long)(p->M / p->cfg.minibatch);
    double loss = 0.0;
    struct rs_learner_stats s = {0};
    for (long k = 0; k < steps; k++) {
        rc = rs_learner_step(l, &s, err);
        if (rc != RS_OK)
            return rc;
        loss += s.loss;
    }
    double dt = rs_time_now() - t0;
    rc = rs_ppo_metrics_log(p, l, rs_learner_updates(l) + 1, err);
    if (rc != RS_OK)
        return rc;
    if (p->cfg.instruments)
        rs_learner_log_value(l, "time/env_steps_per_s",
                             dt > 0.0 ? (double)p->M / dt : 0.0);
    if (st != NULL) {
        *st = s;
        st->n = p->M;
        st->loss = loss / (double)steps;
    }
    return RS_OK;
}

/* ---- state -------------------------------------------------------------- */

static size_t
cap_words(const struct rs_ppo *p, int rows)
{
    return ((size_t)rows * (size_t)p->obs_dim + 1) / 2;
}

static size_t
ppo_state_words(const void *impl)
{
    const struct rs_ppo *p = impl;
    return STATE_FIXED + rs_env_state_words(p->env) + cap_words(p, p->cap_n);
}

static void
ppo_state_save(const void *impl, uint64_t *w)
{
    const struct rs_ppo *p = impl;
    size_t ew = rs_env_state_words(p->env);
    w[0] = STATE_MAGIC;
    for (int i = 0; i < 4; i++)
        w[1 + i] = p->rng.s[i];
    w[5] = (uint64_t)p->cap_n;
    w[6] = (uint64_t)p->obs_dim;
    w[7] = (uint64_t)ew;
    rs_env_state_save(p->env, w + STATE_FIXED);
    uint64_t *cw = w + STATE_FIXED + ew;
    size_t nf = (size_t)p->cap_n * (size_t)p->obs_dim;
    memset(cw, 0, cap_words(p, p->cap_n) * sizeof *cw);
    for (size_t k = 0; k < nf; k++) {
        uint32_t b;
        memcpy(&b, &p->cap_obs[k], sizeof b);
        cw[k / 2] |= (uint64_t)b << (32 * (k % 2));
    }
}

static int
ppo_state_load(void *impl, const uint64_t *w, size_t n, struct rs_error *err)
{
    struct rs_ppo *p = impl;
    if (n < STATE_FIXED || w[0] != STATE_MAGIC)
        return rs_error_set(err, RS_EFORMAT,
                            "ppo: not a ppo driver state (%zu words)", n);
    if (w[6] != (uint64_t)p->obs_dim || w[5] > (uint64_t)RS_PPO_MAX_ROLLOUT)
        return rs_error_set(err, RS_EFORMAT,
                            "ppo: the state keeps %llu observations of %llu "
                            "floats, this env gives %d",
                            (unsigned long long)w[5], (unsigned long long)w[6],
                            p->obs_dim);
    int rows = (int)w[5];
    if (w[7] > n - STATE_FIXED ||
        n != STATE_FIXED + (size_t)w[7] + cap_words(p, rows))
        return rs_error_set(err, RS_EFORMAT,
                            "ppo: corrupt driver state (%zu words)", n);
    int rc = rs_env_state_load(p->env, w + STATE_FIXED, (size_t)w[7], err);
    if (rc != RS_OK)
        return rc;
    for (int i = 0; i < 4; i++)
        p->rng.s[i] = w[1 + i];
    size_t nf = (size_t)rows * (size_t)p->obs_dim;
    if (rows > 0)
        p->cap_obs = rs_xreallocarray(p->cap_obs, nf, sizeof *p->cap_obs);
    const uint64_t *cw = w + STATE_FIXED + w[7];
    for (size_t k = 0; k < nf; k++) {
        uint32_t b = (uint32_t)(cw[k / 2] >> (32 * (k % 2)));
        memcpy(&p->cap_obs[k], &b, sizeof b);
    }
    p->cap_n = rows;
    return RS_OK;
}

static const struct rs_learner_driver_class ppo_class = {
    .kind = "ppo",
    .update = ppo_update,
    .state_words = ppo_state_words,
    .state_save = ppo_state_save,
    .state_load = ppo_state_load,
    .destroy = ppo_destroy,
};

/* ---- building and live changes ------------------------------------------ */

/* A new rollout of N * T transitions for p and its buffers; the old ones
 * (if any) are released. */
static int
resize_rollout(struct rs_ppo *p, int T, struct rs_error *err)
{
    rs_source *roll =
        rs_rollout_source(p->N * T, p->obs_dim, p->cols, p->actions, err);
    if (roll == NULL)
        return err != NULL ? err->code : RS_EINVAL;
    rs_source_release(p->roll);
    p->roll = roll;
    free_rollout_buffers(p);
    p->T = T;
    p->M = p->N * T;
    alloc_rollout_buffers(p);
    return RS_OK;
}

/* The ppo objective at the bottom of o's chain, NULL if there is none. */
static rs_objective *
ppo_leaf(rs_objective *o)
{
    rs_objective *b;
    while ((b = rs_objective_base(o)) != NULL)
        o = b;
    return rs_objective_ppo_config(o) != NULL ? o : NULL;
}

rs_learner *
rs_ppo_learner(const struct rs_learner_config *lcfg, rs_nn_module *actor,
               rs_nn_module *critic, rs_env *env,
               const struct rs_ppo_config *cfg, struct rs_error *err)
{
    return rs_ppo_learner_with(lcfg, actor, critic, env, cfg, NULL, err);
}

rs_learner *
rs_ppo_learner_with(const struct rs_learner_config *lcfg, rs_nn_module *actor,
                    rs_nn_module *critic, rs_env *env,
                    const struct rs_ppo_config *cfg, rs_objective *given,
                    struct rs_error *err)
{
    int N = rs_env_copies(env), obs = rs_env_obs_dim(env);
    int A = rs_env_actions(env), D = 0, Dc = 0;
    if (check_config(cfg, N, err) != RS_OK ||
        check_net(actor, "actor", obs, A, &D, err) != RS_OK ||
        check_net(critic, "critic", obs, 1, &Dc, err) != RS_OK) {
        rs_env_free(env);
        return NULL;
    }
    rs_objective *obj = given;
    if (given == NULL) {
        obj = rs_objective_ppo(&cfg->obj, err);
    } else if (ppo_leaf(given) == NULL) {
        rs_error_set(err, RS_EINVAL,
                     "ppo: the objective %s is no wrapper of a ppo objective",
                     rs_objective_kind(given));
        obj = NULL;
    } else if (rs_objective_ppo_set_config(ppo_leaf(given), &cfg->obj, err) ==
               RS_OK) {
        rs_objective_retain(given);
    } else {
        obj = NULL;
    }
    if (obj == NULL) {
        rs_env_free(env);
        return NULL;
    }
    struct rs_ppo *p = rs_xcalloc(1, sizeof *p);
    p->cfg = *cfg;
    p->env = env;
    p->actor = actor;
    p->critic = critic;
    p->N = N;
    p->obs_dim = obs;
    p->actions = A;
    p->D = D;
    p->Dc = Dc;
    p->cols = RS_PPO_COLS + D;
    rs_learner *l = NULL;
    if (resize_rollout(p, cfg->steps, err) != RS_OK)
        goto fail;
    struct rs_learner_config lc = *lcfg;
    lc.batch = cfg->minibatch;
    lc.eval_every = 0;
    lc.clip_per_module = true;
    rs_nn_module *mods[2] = {actor, critic};
    l = rs_learner_new(&lc, mods, 2, obj, p->roll, err);
    if (l == NULL)
        goto fail;
    size_t row = (size_t)N * (size_t)obs;
    p->g = rs_graph_new();
    p->obs_next = rs_xcalloc(row, sizeof *p->obs_next);
    p->final_obs = rs_xcalloc(row, sizeof *p->final_obs);
    p->gather = rs_xcalloc(row, sizeof *p->gather);
    p->gather_idx = rs_xcalloc((size_t)N, sizeof *p->gather_idx);
    p->ep_ret = rs_xcalloc((size_t)N, sizeof *p->ep_ret);
    p->ep_len = rs_xcalloc((size_t)N, sizeof *p->ep_len);
    p->act = rs_xcalloc((size_t)N, sizeof *p->act);
    p->probs = rs_xcalloc((size_t)A, sizeof *p->probs);
    struct rs_env_info info;
    rs_env_info(env, &info);
    size_t cells = (size_t)info.frame_h * (size_t)info.frame_w;
    p->cells = rs_xcalloc(cells > 0 ? cells : 1, 1);
    p->frame = rs_xcalloc(cells > 0 ? cells : 1, sizeof *p->frame);
    rs_probe_rank_init(&p->rank);
    rs_rng_seed(&p->rng, cfg->seed);
    rs_objective_release(obj);
    rs_learner_set_driver(l, &ppo_class, p);
    return l;
fail:
    rs_objective_release(obj);
    ppo_destroy(p);
    return NULL;
}

int
rs_ppo_set_config(rs_learner *l, const struct rs_ppo_config *cfg,
                  struct rs_error *err)
{
    struct rs_ppo *p = rs_learner_driver(l, "ppo");
    if (p == NULL)
        return rs_error_set(err, RS_EINVAL,
                            "ppo: learner '%s' has no ppo driver",
                            rs_learner_name(l));
    if (check_config(cfg, p->N, err) != RS_OK)
        return RS_EINVAL;
    /* Everything that can refuse first, on a copy where needed. */
    rs_objective *obj = ppo_leaf(rs_learner_objective(l));
    if (obj == NULL)
        return rs_error_set(err, RS_EINVAL,
                            "ppo: learner '%s' no longer trains a ppo "
                            "objective",
                            rs_learner_name(l));
    struct rs_obj_ppo_config old_obj = *rs_objective_ppo_config(obj);
    if (rs_objective_ppo_set_config(obj, &cfg->obj, err) != RS_OK)
        return RS_EINVAL;
    if (cfg->steps != p->T) {
        struct rs_ppo keep = *p;
        p->roll = NULL;
        p->value = p->next_value = p->reward = p->adv = p->ret = NULL;
        p->term = p->trunc = NULL;
        p->feat_a = p->feat_c = p->logp = NULL;
        if (resize_rollout(p, cfg->steps, err) != RS_OK ||
            rs_learner_set_source(l, p->roll, err) != RS_OK) {
            free_rollout_buffers(p);
            rs_source_release(p->roll);
            *p = keep;
            int rc = rs_objective_ppo_set_config(obj, &old_obj, NULL);
            RS_ASSERT(rc == RS_OK); /* it was the objective's config */
            return RS_EINVAL;
        }
        free_rollout_buffers(&keep);
        rs_source_release(keep.roll);
    }
    int rc = rs_learner_set_batch(l, cfg->minibatch, err);
    RS_ASSERT(rc == RS_OK); /* check_config bounds it */
    uint64_t seed = p->cfg.seed;
    p->cfg = *cfg;
    p->cfg.seed = seed;
    return RS_OK;
}

const struct rs_ppo_config *
rs_ppo_config(const rs_learner *l)
{
    const struct rs_ppo *p = rs_learner_driver(l, "ppo");
    return p != NULL ? &p->cfg : NULL;
}

rs_env *
rs_ppo_env(const rs_learner *l)
{
    const struct rs_ppo *p = rs_learner_driver(l, "ppo");
    return p != NULL ? p->env : NULL;
}
