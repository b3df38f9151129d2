/* repscope - MIT licence, see COPYING.
 *
 * obj_ppo.c: the ppo objective (objective.h): PPO-Clip with an entropy
 * bonus, a separate critic's value loss and PFO, the penalty on the
 * change of the actor's penultimate pre-activations ("No representation,
 * no trust", arXiv 2405.00662), as the authors' PPOLoss computes them.
 * With n examples, A actions, D the actor's last hidden width:
 *
 *   logits = actor(s) (n, A), phi = its last hidden pre-activation (n, D)
 *   lsm = log_softmax(logits); logp = lsm[a] (n); l = logp - logp_old
 *   g = minimum(exp(l) A^, exp(clamp(l, log1p(-eps), log1p(eps))) A^)
 *   L_pi = -mean g;  mean H = -A mean(exp(lsm) lsm) (the mean over the n A
 *   entries times A is the mean over rows of the row sums)
 *   L_V = mse(critic(s), V_t);  L_PFO = mse(phi, phi_old)
 *
 * Every term is built from graph ops (core/ops.h), so the backward is
 * the ops' own. The batch's constants (logp_old, A^, V_t, phi_old) are
 * arena tensors filled from in[1]'s columns; A^ is normalised in double.
 * The observations go into the graph once and feed both networks. A term
 * whose coefficient is 0 is built with gradients off, for the log only.
 * Worker thread only.
 */
#include "config.h"

#include "algo/objective.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/ops.h"

/* The floor of the advantages' standard deviation (the authors' clamp). */
#define PPO_STD_MIN 1e-6

struct ppo {
    struct rs_obj_ppo_config cfg;
};

static const struct rs_objective_class ppo_class;

void
rs_obj_ppo_config_default(struct rs_obj_ppo_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->clip = 0.2;
    cfg->ent_coef = 0.01;
    cfg->vf_coef = 0.5;
    cfg->pfo_coef = 0.0;
    cfg->norm_adv = true;
}

static bool
coef_ok(double w)
{
    return isfinite(w) && w >= 0.0;
}

static int
check_config(const struct rs_obj_ppo_config *cfg, struct rs_error *err)
{
    if (!(cfg->clip > 0.0 && cfg->clip < 1.0))
        return rs_error_set(err, RS_EINVAL,
                            "ppo: clip = %g (must be in (0, 1))", cfg->clip);
    if (!coef_ok(cfg->ent_coef))
        return rs_error_set(err, RS_EINVAL,
                            "ppo: ent_coef = %g (must be finite and >= 0)",
                            cfg->ent_coef);
    if (!coef_ok(cfg->vf_coef))
        return rs_error_set(err, RS_EINVAL,
                            "ppo: vf_coef = %g (must be finite and >= 0)",
                            cfg->vf_coef);
    if (!coef_ok(cfg->pfo_coef))
        return rs_error_set(err, RS_EINVAL,
                            "ppo: pfo_coef = %g (must be finite and >= 0)",
                            cfg->pfo_coef);
    return RS_OK;
}

const struct rs_obj_ppo_config *
rs_objective_ppo_config(const rs_objective *o)
{
    if (rs_objective_class(o) != &ppo_class)
        return NULL;
    const struct ppo *k = rs_objective_impl(o);
    return &k->cfg;
}

int
rs_objective_ppo_set_config(rs_objective *o,
                            const struct rs_obj_ppo_config *cfg,
                            struct rs_error *err)
{
    if (rs_objective_class(o) != &ppo_class)
        return rs_error_set(err, RS_EINVAL, "ppo: the objective is %s, not ppo",
                            rs_objective_kind(o));
    int rc = check_config(cfg, err);
    if (rc != RS_OK)
        return rc;
    struct ppo *k = rs_objective_impl(o);
    k->cfg = *cfg;
    return RS_OK;
}

/* The penultimate (last hidden) layer's width of an actor that passed
 * the check. */
static int
actor_width(const rs_nn_module *actor)
{
    const rs_nn_mlp *mlp = rs_nn_module_as_mlp(actor);
    return rs_nn_mlp_width(mlp, rs_nn_mlp_depth(mlp));
}

static int
ppo_check(rs_objective *o, const struct rs_obj_env *env, struct rs_error *err)
{
    (void)o;
    const struct rs_source_info *si = env->si;
    if (env->nmodules != 2)
        return rs_error_set(err, RS_EINVAL,
                            "ppo: %d modules (an actor and a critic are "
                            "needed)",
                            env->nmodules);
    const rs_nn_module *actor = env->modules[0], *critic = env->modules[1];
    const rs_nn_mlp *am = rs_nn_module_as_mlp(actor);
    const rs_nn_mlp *cm = rs_nn_module_as_mlp(critic);
    if (am == NULL || rs_nn_mlp_depth(am) < 1)
        return rs_error_set(err, RS_EINVAL,
                            "ppo: the actor is a %s module (an mlp with a "
                            "hidden layer is needed)",
                            am == NULL ? rs_nn_module_kind(actor) : "depth 0");
    if (cm == NULL)
        return rs_error_set(err, RS_EINVAL,
                            "ppo: the critic is a %s module (an mlp is "
                            "needed)",
                            rs_nn_module_kind(critic));
    if (rs_nn_module_out(critic) != 1)
        return rs_error_set(err, RS_EINVAL,
                            "ppo: the critic gives %d outputs (1 is needed)",
                            rs_nn_module_out(critic));
    if (si->ninputs != 2 || si->kind[0] != RS_NN_INPUT_FEATURES ||
        si->kind[1] != RS_NN_INPUT_FEATURES)
        return rs_error_set(err, RS_EINVAL,
                            "ppo: the source gives %d input(s) "
                            "(observations and rollout columns, both "
                            "features, are needed)",
                            si->ninputs);
    if (si->classes < 1)
        return rs_error_set(err, RS_EINVAL,
                            "ppo: the source has no actions (labels)");
    if (rs_nn_module_out(actor) != si->classes)
        return rs_error_set(err, RS_EINVAL,
                            "ppo: the actor gives %d logits, the source "
                            "has %d actions",
                            rs_nn_module_out(actor), si->classes);
    int obs = si->width[0];
    if (rs_nn_module_in(actor) != obs || rs_nn_module_in(critic) != obs)
        return rs_error_set(err, RS_EINVAL,
                            "ppo: the actor takes %d inputs, the critic %d, "
                            "the source gives %d observations",
                            rs_nn_module_in(actor), rs_nn_module_in(critic),
                            obs);
    int D = actor_width(actor);
    if (si->width[1] != RS_PPO_COLS + D)
        return rs_error_set(err, RS_EINVAL,
                            "ppo: the source gives %d rollout columns, the "
                            "actor's last hidden width %d needs %d + %d",
                            si->width[1], D, RS_PPO_COLS, D);
    return RS_OK;
}

/* A new (n) or (n, w) arena tensor holding column(s) [col, col + w) of
 * the rows of m (n, W); NULL with g's error set. */
static rs_tensor *
columns(rs_graph *g, const float *m, int n, int W, int col, int w, int ndim)
{
    rs_tensor *t = rs_graph_tensor(g, ndim, (int[]){n, w});
    if (t == NULL)
        return NULL;
    for (int i = 0; i < n; i++)
        memcpy(t->data + (size_t)i * (size_t)w,
               m + (size_t)i * (size_t)W + (size_t)col,
               (size_t)w * sizeof(float));
    return t;
}

/* A^ (n) from column 1 of m (n, W): (A - mean) / max(sqrt(biased var),
 * 1e-6) in double when norm (and n > 1), else A as it is. */
static rs_tensor *
advantages(rs_graph *g, const float *m, int n, int W, bool norm)
{
    rs_tensor *t = columns(g, m, n, W, 1, 1, 1);
    if (t == NULL || !norm || n < 2)
        return t;
    double sum = 0.0, sq = 0.0;
    for (int i = 0; i < n; i++)
        sum += (double)t->data[i];
    double mean = sum / n;
    for (int i = 0; i < n; i++) {
        double d = (double)t->data[i] - mean;
        sq += d * d;
    }
    double sd = sqrt(sq / n);
    sd = sd > PPO_STD_MIN ? sd : PPO_STD_MIN;
    for (int i = 0; i < n; i++)
        t->data[i] = (float)(((double)t->data[i] - mean) / sd);
    return t;
}

/* L_pi = -mean minimum(exp(l) adv, exp(clamp(l)) adv), l = logp - lp_old
 * (all (n)). */
static rs_tensor *
policy_loss(rs_graph *g, rs_tensor *logp, rs_tensor *lp_old, rs_tensor *adv,
            double eps)
{
    rs_tensor *l = rs_op_sub(g, logp, lp_old);
    rs_tensor *r = rs_op_exp(g, l);
    rs_tensor *rc =
        rs_op_exp(g, rs_op_clamp(g, l, (float)log1p(-eps), (float)log1p(eps)));
    rs_tensor *gain =
        rs_op_minimum(g, rs_op_mul(g, r, adv), rs_op_mul(g, rc, adv));
    return rs_op_scale(g, rs_op_mean(g, gain), -1.0f);
}

/* Mean entropy of the rows of lsm (n, A), log-probabilities:
 * -A mean(exp(lsm) lsm). */
static rs_tensor *
entropy(rs_graph *g, rs_tensor *lsm)
{
    int A = rs_tensor_cols(lsm);
    rs_tensor *plp = rs_op_mul(g, rs_op_exp(g, lsm), lsm);
    return rs_op_scale(g, rs_op_mean(g, plp), -(float)A);
}

/* total + coef term (total NULL: the term alone); a term of coefficient
 * 0 is left out (it was built without gradient). */
static rs_tensor *
add_term(rs_graph *g, rs_tensor *total, rs_tensor *term, double coef)
{
    if (coef == 0.0)
        return total;
    rs_tensor *t = rs_op_scale(g, term, (float)coef);
    return total == NULL ? t : rs_op_add(g, total, t);
}

static rs_tensor *
ppo_loss(rs_objective *o, struct rs_obj_ctx *c, struct rs_obj_stats *st)
{
    const struct rs_obj_ppo_config *cfg =
        &((struct ppo *)rs_objective_impl(o))->cfg;
    const struct rs_batch *b = c->batch;
    rs_graph *g = c->g;
    rs_nn_module *actor = c->modules[0], *critic = c->modules[1];
    int n = b->n;
    int D = actor_width(actor), W = RS_PPO_COLS + D;
    if (b->ninputs != 2 || b->in[1].kind != RS_NN_INPUT_FEATURES ||
        b->in[1].width != W || b->y == NULL) {
        rs_graph_fail(g, RS_EINVAL,
                      "ppo: the batch has %d input(s), %d rollout columns "
                      "and %s (%d columns and the actions are needed)",
                      b->ninputs, b->ninputs > 1 ? b->in[1].width : 0,
                      b->y != NULL ? "actions" : "no actions", W);
        return NULL;
    }
    struct rs_nn_input in;
    if (rs_obj_input(c, 0, &in) != RS_OK)
        return NULL;
    rs_tensor *logits = rs_nn_module_forward(actor, g, in.x); /* (n, A) */
    c->out = logits;
    if (logits == NULL)
        return NULL;
    int A = rs_tensor_cols(logits);
    for (int i = 0; i < n; i++)
        if (b->y[i] < 0 || b->y[i] >= A) {
            rs_graph_fail(g, RS_EINVAL,
                          "ppo: example %d has action %d, the actor gives "
                          "%d logits",
                          i + 1, b->y[i], A);
            return NULL;
        }
    rs_tensor *phi = rs_nn_module_layer_preact(
        actor, rs_nn_module_layers(actor) - 1);           /* (n, D) */
    rs_tensor *v = rs_nn_module_forward(critic, g, in.x); /* (n, 1) */
    if (v == NULL || phi == NULL)
        return NULL;

    const float *m = b->in[1].x;                                 /* (n, W) */
    rs_tensor *lp_old = columns(g, m, n, W, 0, 1, 1);            /* (n) */
    rs_tensor *adv = advantages(g, m, n, W, cfg->norm_adv);      /* (n) */
    rs_tensor *vt = columns(g, m, n, W, 2, 1, 2);                /* (n, 1) */
    rs_tensor *phi_old = columns(g, m, n, W, RS_PPO_COLS, D, 2); /* (n, D) */

    rs_tensor *lsm = rs_op_log_softmax(g, logits); /* (n, A) */
    rs_tensor *lpi =
        policy_loss(g, rs_op_pick(g, lsm, b->y), lp_old, adv, cfg->clip);
    bool grad = rs_graph_grad_enabled(g);
    rs_graph_set_grad(g, grad && cfg->ent_coef > 0.0);
    rs_tensor *ent = entropy(g, lsm);
    rs_graph_set_grad(g, grad && cfg->vf_coef > 0.0);
    rs_tensor *lv = rs_op_mse(g, v, vt);
    rs_graph_set_grad(g, grad && cfg->pfo_coef > 0.0);
    rs_tensor *pfo = rs_op_mse(g, phi, phi_old);
    rs_graph_set_grad(g, grad);
    if (lpi == NULL || ent == NULL || lv == NULL || pfo == NULL)
        return NULL;

    rs_tensor *loss = add_term(g, lpi, ent, -cfg->ent_coef);
    loss = add_term(g, loss, pfo, cfg->pfo_coef);
    loss = add_term(g, loss, lv, cfg->vf_coef);
    if (loss == NULL)
        return NULL;
    st->count = 0.0;
    st->nextra = 4;
    st->extra[0].name = "loss_pi";
    st->extra[0].value = (double)lpi->data[0];
    st->extra[1].name = "loss_v";
    st->extra[1].value = (double)lv->data[0];
    st->extra[2].name = "entropy";
    st->extra[2].value = (double)ent->data[0];
    st->extra[3].name = "pfo";
    st->extra[3].value = (double)pfo->data[0];
    return loss;
}

static const struct rs_objective_class ppo_class = {
    .kind = "ppo",
    .check = ppo_check,
    .loss = ppo_loss,
    .destroy = free,
};

rs_objective *
rs_objective_ppo(const struct rs_obj_ppo_config *cfg, struct rs_error *err)
{
    if (check_config(cfg, err) != RS_OK)
        return NULL;
    struct ppo *k = rs_xcalloc(1, sizeof *k);
    k->cfg = *cfg;
    return rs_objective_new(&ppo_class, k);
}
