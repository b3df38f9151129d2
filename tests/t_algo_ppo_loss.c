/* repscope - MIT licence, see COPYING.
 *
 * t_algo_ppo_loss.c: the ppo objective (obj_ppo.c) on batches built here
 * in the rollout layout of objective.h: a tanh actor 3 -> 5 x 2 -> 3
 * actions and a tanh critic 3 -> 4 x 2 -> 1 (mlp modules), 7 examples
 * whose log pi_old is the current log-probability shifted by chosen
 * log-ratios (inside the band, and outside it on both sides), advantages
 * of both signs, value targets, and phi_old the actor's current
 * penultimate pre-activation plus noise.
 *
 * The loss and its four extras against a direct double-precision
 * computation (the MLPs' forwards included) for several configs; the
 * gradient of the whole loss (PFO on) against central differences over
 * every parameter of both networks; PFO exactly zero, with no gradient,
 * when phi_old is the pre-activation just computed (the batch as
 * collected), where every ratio is exactly 1 too; advantages normalised
 * per minibatch (each half of a batch with its own mean and deviation;
 * invariant to A -> 3 A + 5; equal advantages give L_pi = 0); samples
 * whose ratio left the band in the direction of their advantage give no
 * policy gradient; the check's refusals and the config's validation; a
 * learner step on a finite source of this layout logs the extras.
 */
#include "config.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo/learner.h"
#include "algo/objective.h"
#include "core/graph.h"
#include "core/ops.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "data/source.h"
#include "nn/linear.h"
#include "nn/mlp.h"
#include "nn/model.h"
#include "nn/module.h"
#include "tests/gradcheck.h"
#include "tests/learn_fixture.h"
#include "tests/tap.h"

#define NOBS 3
#define NH 5 /* actor width: D */
#define NC 4 /* critic width */
#define NA 3
#define NB 7
#define NW (RS_PPO_COLS + NH)
#define MAXB 16

/* Log-ratios l = log pi - log pi_old per example: inside the band of
 * eps 0.2 (log 0.8 = -0.223, log 1.2 = 0.182) and outside on both sides,
 * each at least 0.03 from its ends (central differences stay on one
 * side). */
static const float fx_logr[NB] = {0.0f, 0.1f, -0.1f, 0.4f, -0.4f, 0.25f, -0.3f};

/* ---- fixture ------------------------------------------------------------ */

struct fixture {
    rs_nn_module *mod[2]; /* actor, critic */
    struct rs_batch batch;
};

static rs_nn_module *
tanh_mlp(int in, int width, int out, struct rs_rng *rng)
{
    struct rs_nn_mlp_config c;
    rs_nn_mlp_config_default(&c);
    c.input = in;
    c.width = width;
    c.depth = 2;
    c.output = out;
    c.act = RS_NN_MLP_ACT_TANH;
    struct rs_error err = {0};
    rs_nn_module *m = rs_nn_module_mlp(&c, rng, &err);
    if (m == NULL)
        tap_bail("mlp: %s", err.msg);
    return m;
}

/* The actor's log pi(a|s) (n, NA) and last hidden pre-activation (n, NH)
 * on the batch's observations, as the graph computes them (float). */
static void
actor_now(struct fixture *f, int n, float *lsm, float *pre)
{
    rs_graph *g = rs_graph_new();
    rs_graph_set_grad(g, false);
    rs_tensor *x = rs_graph_input(g, 2, (int[]){n, NOBS}, f->batch.in[0].x);
    rs_tensor *logits = rs_nn_module_forward(f->mod[0], g, x);
    rs_tensor *l = rs_op_log_softmax(g, logits);
    rs_tensor *p = rs_nn_module_layer_preact(f->mod[0], 1);
    RS_ASSERT(l != NULL && p != NULL);
    memcpy(lsm, l->data, (size_t)n * NA * sizeof(float));
    memcpy(pre, p->data, (size_t)n * NH * sizeof(float));
    rs_graph_free(g);
}

/* NB examples from seed; phi_old = the current pre-activation + noise
 * (noise 0: exactly the current one). */
static void
fixture_init(struct fixture *f, uint64_t seed, float noise)
{
    struct rs_rng rng;
    rs_rng_seed(&rng, seed);
    f->mod[0] = tanh_mlp(NOBS, NH, NA, &rng);
    f->mod[1] = tanh_mlp(NOBS, NC, 1, &rng);
    struct rs_batch *b = &f->batch;
    rs_batch_init(b);
    if (rs_batch_reserve(b, 0, RS_NN_INPUT_FEATURES, NB, NOBS, true, NULL) !=
            RS_OK ||
        rs_batch_reserve(b, 1, RS_NN_INPUT_FEATURES, NB, NW, false, NULL) !=
            RS_OK)
        tap_bail("batch reserve");
    for (int i = 0; i < NB * NOBS; i++)
        b->in[0].x[i] = 2.0f * rs_rng_uniform(&rng) - 1.0f;
    for (int i = 0; i < NB; i++)
        b->y[i] = (int)rs_rng_below(&rng, NA);
    float lsm[NB * NA], pre[NB * NH];
    actor_now(f, NB, lsm, pre);
    for (int i = 0; i < NB; i++) {
        float *row = b->in[1].x + (size_t)i * NW;
        row[0] = lsm[i * NA + b->y[i]] - fx_logr[i];
        row[1] = (i % 2 ? 1.0f : -1.0f) * (0.3f + 2.0f * rs_rng_uniform(&rng));
        row[2] = 2.0f * rs_rng_uniform(&rng) - 1.0f;
        row[3] = 0.0f;
        for (int d = 0; d < NH; d++)
            row[RS_PPO_COLS + d] =
                pre[i * NH + d] + noise * (2.0f * rs_rng_uniform(&rng) - 1.0f);
    }
}

static void
fixture_fini(struct fixture *f)
{
    rs_nn_module_release(f->mod[0]);
    rs_nn_module_release(f->mod[1]);
    rs_batch_fini(&f->batch);
}

/* Rows [lo, hi) of src into dst (a new batch, the caller's to fini). */
static void
batch_rows(struct rs_batch *dst, const struct rs_batch *src, int lo, int hi)
{
    int n = hi - lo;
    rs_batch_init(dst);
    if (rs_batch_reserve(dst, 0, RS_NN_INPUT_FEATURES, n, NOBS, true, NULL) !=
            RS_OK ||
        rs_batch_reserve(dst, 1, RS_NN_INPUT_FEATURES, n, NW, false, NULL) !=
            RS_OK)
        tap_bail("batch reserve");
    memcpy(dst->in[0].x, src->in[0].x + (size_t)lo * NOBS,
           (size_t)n * NOBS * sizeof(float));
    memcpy(dst->in[1].x, src->in[1].x + (size_t)lo * NW,
           (size_t)n * NW * sizeof(float));
    memcpy(dst->y, src->y + lo, (size_t)n * sizeof(int));
}

/* ---- the reference, in double ------------------------------------------- */

/* m's forward on x (NOBS) in double, tanh hidden layers: the output
 * (out) and the last hidden pre-activation (pre, may be NULL). */
static void
mlp_ref(const rs_nn_module *m, const float *x, double *out, double *pre)
{
    const rs_nn_mlp *mlp = rs_nn_module_as_mlp(m);
    int depth = rs_nn_mlp_depth(mlp);
    double h[16], z[16];
    int width = NOBS;
    for (int j = 0; j < NOBS; j++)
        h[j] = x[j];
    for (int k = 1; k <= depth + 1; k++) {
        const struct rs_nn_linear *lin = rs_nn_mlp_linear(mlp, k);
        const rs_tensor *w = rs_nn_model_param(lin->model, lin->weight);
        const rs_tensor *bias = rs_nn_model_param(lin->model, lin->bias);
        int outw = w->shape[0];
        for (int o = 0; o < outw; o++) {
            double s = bias->data[o];
            for (int j = 0; j < width; j++)
                s += (double)w->data[o * width + j] * h[j];
            z[o] = s;
        }
        width = outw;
        for (int o = 0; o < width; o++)
            h[o] = k <= depth ? tanh(z[o]) : z[o];
        if (k == depth && pre != NULL)
            memcpy(pre, z, (size_t)width * sizeof(double));
    }
    memcpy(out, h, (size_t)width * sizeof(double));
}

struct ref {
    double loss, lpi, lv, ent, pfo;
};

/* objective.h's ppo loss on b (n rows) with cfg, every step in double. */
static void
reference(struct rs_nn_module *const *mod, const struct rs_batch *b,
          const struct rs_obj_ppo_config *cfg, struct ref *r)
{
    int n = b->n;
    double adv[MAXB], mean = 0.0, var = 0.0;
    for (int i = 0; i < n; i++) {
        adv[i] = b->in[1].x[(size_t)i * NW + 1];
        mean += adv[i] / n;
    }
    for (int i = 0; i < n; i++)
        var += (adv[i] - mean) * (adv[i] - mean) / n;
    double sd = fmax(sqrt(var), 1e-6);
    if (cfg->norm_adv && n > 1)
        for (int i = 0; i < n; i++)
            adv[i] = (adv[i] - mean) / sd;
    double lo = log(1.0 - cfg->clip), hi = log(1.0 + cfg->clip);
    memset(r, 0, sizeof *r);
    for (int i = 0; i < n; i++) {
        const float *x = b->in[0].x + (size_t)i * NOBS;
        const float *row = b->in[1].x + (size_t)i * NW;
        double logits[NA], pre[NH], v;
        mlp_ref(mod[0], x, logits, pre);
        mlp_ref(mod[1], x, &v, NULL);
        double mx = fmax(logits[0], fmax(logits[1], logits[2])), z = 0.0;
        for (int a = 0; a < NA; a++)
            z += exp(logits[a] - mx);
        double lz = mx + log(z), h = 0.0;
        for (int a = 0; a < NA; a++) {
            double lp = logits[a] - lz;
            h -= exp(lp) * lp;
        }
        double l = logits[b->y[i]] - lz - (double)row[0];
        double lc = fmin(fmax(l, lo), hi);
        r->lpi -= fmin(exp(l) * adv[i], exp(lc) * adv[i]) / n;
        r->ent += h / n;
        r->lv += (v - (double)row[2]) * (v - (double)row[2]) / n;
        for (int d = 0; d < NH; d++) {
            double e = pre[d] - (double)row[RS_PPO_COLS + d];
            r->pfo += e * e / (NH * n);
        }
    }
    r->loss = r->lpi - cfg->ent_coef * r->ent + cfg->pfo_coef * r->pfo +
              cfg->vf_coef * r->lv;
}

/* ---- running the objective ---------------------------------------------- */

static rs_tensor *
run_loss(rs_graph *g, rs_nn_module *const *mod, const struct rs_batch *b,
         rs_objective *o, struct rs_obj_stats *st)
{
    struct rs_obj_ctx c = {
        .g = g,
        .modules = mod,
        .nmodules = 2,
        .batch = b,
        .train = true,
    };
    return rs_objective_loss(o, &c, st);
}

static rs_objective *
ppo_new(const struct rs_obj_ppo_config *cfg)
{
    struct rs_error err = {0};
    rs_objective *o = rs_objective_ppo(cfg, &err);
    if (o == NULL)
        tap_bail("ppo: %s", err.msg);
    return o;
}

/* The loss and extras of cfg on b against the reference. */
static void
check_against_ref(const char *name, rs_nn_module *const *mod,
                  const struct rs_batch *b, const struct rs_obj_ppo_config *cfg)
{
    rs_objective *o = ppo_new(cfg);
    rs_graph *g = rs_graph_new();
    struct rs_obj_stats st;
    rs_tensor *loss = run_loss(g, mod, b, o, &st);
    if (loss == NULL)
        tap_diag("%s: %s", name, rs_graph_error(g)->msg);
    tap_ok(loss != NULL && st.nextra == 4 && st.count == 0.0 &&
               strcmp(st.extra[0].name, "loss_pi") == 0 &&
               strcmp(st.extra[1].name, "loss_v") == 0 &&
               strcmp(st.extra[2].name, "entropy") == 0 &&
               strcmp(st.extra[3].name, "pfo") == 0,
           "%s: a loss, extras loss_pi loss_v entropy pfo, count 0", name);
    if (loss != NULL) {
        struct ref r;
        reference(mod, b, cfg, &r);
        tap_is_float(st.extra[0].value, r.lpi, 2e-6, 2e-5, "%s: L_pi", name);
        tap_is_float(st.extra[1].value, r.lv, 2e-6, 2e-5, "%s: L_V", name);
        tap_is_float(st.extra[2].value, r.ent, 2e-6, 2e-5, "%s: mean H", name);
        tap_is_float(st.extra[3].value, r.pfo, 2e-7, 2e-5, "%s: L_PFO", name);
        tap_is_float((double)loss->data[0], r.loss, 2e-6, 2e-5,
                     "%s: the weighted sum", name);
        tap_diag("%s: L_pi %.6f L_V %.6f H %.6f PFO %.6f loss %.6f", name,
                 r.lpi, r.lv, r.ent, r.pfo, r.loss);
    }
    rs_graph_free(g);
    rs_objective_release(o);
}

static void
test_losses(void)
{
    struct fixture f;
    fixture_init(&f, 7, 0.3f);
    struct rs_obj_ppo_config cfg;
    rs_obj_ppo_config_default(&cfg);
    tap_ok(cfg.clip == 0.2 && cfg.ent_coef == 0.01 && cfg.vf_coef == 0.5 &&
               cfg.pfo_coef == 0.0 && cfg.norm_adv,
           "defaults: clip 0.2, ent 0.01, vf 0.5, pfo 0, norm_adv");
    check_against_ref("defaults", f.mod, &f.batch, &cfg);
    cfg.pfo_coef = 1.0;
    cfg.ent_coef = 0.05;
    cfg.vf_coef = 0.7;
    check_against_ref("pfo 1, ent 0.05, vf 0.7", f.mod, &f.batch, &cfg);
    rs_obj_ppo_config_default(&cfg);
    cfg.norm_adv = false;
    check_against_ref("raw advantages", f.mod, &f.batch, &cfg);
    rs_obj_ppo_config_default(&cfg);
    cfg.clip = 0.1;
    cfg.ent_coef = 0.0;
    cfg.vf_coef = 0.0;
    check_against_ref("clip 0.1, ent 0, vf 0", f.mod, &f.batch, &cfg);

    rs_objective *o = ppo_new(&cfg);
    tap_is_str(rs_objective_kind(o), "ppo", "kind ppo");
    const struct rs_obj_ppo_config *got = rs_objective_ppo_config(o);
    tap_ok(got != NULL && got->clip == 0.1 && !(got->vf_coef > 0.0),
           "rs_objective_ppo_config gives the config");
    rs_objective_release(o);
    fixture_fini(&f);
}

/* ---- gradients ---------------------------------------------------------- */

struct grad_case {
    struct fixture *f;
    rs_objective *o;
};

static rs_tensor *
build_loss(rs_graph *g, rs_tensor *const *in, void *ud)
{
    (void)in;
    struct grad_case *c = ud;
    struct rs_obj_stats st;
    return run_loss(g, c->f->mod, &c->f->batch, c->o, &st);
}

/* Every parameter of actor and critic, in[0..n); returns n. */
static int
all_params(struct fixture *f, rs_tensor **in)
{
    int n = 0;
    for (int m = 0; m < 2; m++) {
        rs_nn_model *mm = rs_nn_module_model(f->mod[m]);
        for (int i = 0; i < rs_nn_model_count(mm); i++)
            in[n++] = rs_nn_model_param(mm, i);
    }
    return n;
}

static void
test_grad(void)
{
    for (int k = 0; k < 2; k++) {
        struct fixture f;
        fixture_init(&f, 11 + (uint64_t)k, 0.3f);
        struct rs_obj_ppo_config cfg;
        rs_obj_ppo_config_default(&cfg);
        cfg.pfo_coef = 1.0;
        cfg.ent_coef = 0.05;
        if (k == 1) {
            cfg.norm_adv = false;
            cfg.pfo_coef = 3.0;
        }
        struct grad_case gc = {&f, ppo_new(&cfg)};
        rs_tensor *in[16];
        int n = all_params(&f, in);
        tap_ok(n == 12, "actor and critic: 12 parameter tensors");
        tap_gradcheck(k == 0 ? "ppo loss, pfo 1 (every parameter)"
                             : "ppo loss, raw advantages, pfo 3",
                      n, in, build_loss, &gc, 1e-3, 2e-2);
        rs_objective_release(gc.o);
        fixture_fini(&f);
    }
}

/* Gradients of every parameter after one backward of o on b (the
 * caller's array, 12 tensors' worth, in all_params order). */
static float *
grads_of(struct fixture *f, const struct rs_batch *b, rs_objective *o,
         double *loss, struct rs_obj_stats *st)
{
    rs_tensor *in[16];
    int n = all_params(f, in);
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        rs_tensor_zero_grad(in[i]);
        total += in[i]->numel;
    }
    rs_graph *g = rs_graph_new();
    rs_tensor *l = run_loss(g, f->mod, b, o, st);
    float *out = calloc(total, sizeof(float));
    if (l != NULL && rs_graph_backward(g, l, NULL) == RS_OK) {
        *loss = (double)l->data[0];
        size_t at = 0;
        for (int i = 0; i < n; i++) {
            memcpy(out + at, in[i]->grad, in[i]->numel * sizeof(float));
            at += in[i]->numel;
        }
    } else {
        *loss = NAN;
        tap_diag("grads_of: %s", rs_graph_error(g)->msg);
    }
    rs_graph_free(g);
    return out;
}

/* Floats in the 12 parameter tensors of f. */
static size_t
param_floats(struct fixture *f)
{
    rs_tensor *in[16];
    int n = all_params(f, in);
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += in[i]->numel;
    return total;
}

/* ---- PFO at collection time --------------------------------------------- */

static void
test_pfo_zero(void)
{
    struct fixture f;
    fixture_init(&f, 5, 0.0f);
    /* As collected: log pi_old is the current log-probability too. */
    float lsm[NB * NA], pre[NB * NH];
    actor_now(&f, NB, lsm, pre);
    for (int i = 0; i < NB; i++)
        f.batch.in[1].x[(size_t)i * NW] = lsm[i * NA + f.batch.y[i]];
    struct rs_obj_ppo_config cfg;
    rs_obj_ppo_config_default(&cfg);
    cfg.pfo_coef = 1.0;
    rs_objective *on = ppo_new(&cfg);
    cfg.pfo_coef = 0.0;
    rs_objective *off = ppo_new(&cfg);
    double l_on, l_off;
    struct rs_obj_stats s_on, s_off;
    float *g_on = grads_of(&f, &f.batch, on, &l_on, &s_on);
    float *g_off = grads_of(&f, &f.batch, off, &l_off, &s_off);
    tap_ok(s_on.extra[3].value == 0.0 && s_off.extra[3].value == 0.0,
           "PFO is exactly 0 on the batch as collected");
    tap_ok(l_on == l_off, "the loss with pfo 1 is the loss with pfo 0");
    tap_ok(memcmp(g_on, g_off, param_floats(&f) * sizeof(float)) == 0,
           "and so are the gradients, bit for bit");
    /* Every ratio is exactly 1: L_pi = -mean A^ = 0 up to rounding. */
    tap_is_float(s_on.extra[0].value, 0.0, 1e-7, 0.0,
                 "ratios 1: L_pi = -mean A^ = 0");
    free(g_on);
    free(g_off);
    rs_objective_release(on);
    rs_objective_release(off);
    fixture_fini(&f);
}

/* ---- per-minibatch advantage normalisation ------------------------------ */

static void
test_norm_adv(void)
{
    struct fixture f;
    fixture_init(&f, 9, 0.3f);
    struct rs_obj_ppo_config cfg;
    rs_obj_ppo_config_default(&cfg);
    rs_objective *o = ppo_new(&cfg);
    /* Two minibatches, rows 0..3 and 4..6: each against the reference on
     * its own rows (its own mean and deviation). */
    struct rs_batch half[2];
    batch_rows(&half[0], &f.batch, 0, 4);
    batch_rows(&half[1], &f.batch, 4, NB);
    check_against_ref("minibatch 1 of 2", f.mod, &half[0], &cfg);
    check_against_ref("minibatch 2 of 2", f.mod, &half[1], &cfg);
    /* ... and not against the whole batch's statistics: the reference
     * with half[0]'s advantages normalised by the whole batch's. */
    rs_graph *g = rs_graph_new();
    struct rs_obj_stats st;
    rs_tensor *l = run_loss(g, f.mod, &half[0], o, &st);
    double sum = 0.0, sq = 0.0;
    for (int i = 0; i < NB; i++)
        sum += (double)f.batch.in[1].x[(size_t)i * NW + 1];
    double mean = sum / NB;
    for (int i = 0; i < NB; i++) {
        double d = (double)f.batch.in[1].x[(size_t)i * NW + 1] - mean;
        sq += d * d;
    }
    struct rs_batch pre;
    batch_rows(&pre, &f.batch, 0, 4);
    for (int i = 0; i < 4; i++) {
        float *a = &pre.in[1].x[(size_t)i * NW + 1];
        *a = (float)(((double)*a - mean) / sqrt(sq / NB));
    }
    struct rs_obj_ppo_config raw = cfg;
    raw.norm_adv = false;
    struct ref r;
    reference(f.mod, &pre, &raw, &r);
    tap_ok(l != NULL && fabs(st.extra[0].value - r.lpi) > 1e-3,
           "the minibatch's own statistics, not the whole batch's (L_pi "
           "%.5f vs %.5f)",
           l != NULL ? st.extra[0].value : (double)NAN, r.lpi);
    rs_batch_fini(&pre);

    /* A -> 3 A + 5 changes nothing once normalised. */
    struct rs_batch moved;
    batch_rows(&moved, &f.batch, 0, NB);
    for (int i = 0; i < NB; i++) {
        float *a = &moved.in[1].x[(size_t)i * NW + 1];
        *a = 3.0f * *a + 5.0f;
    }
    rs_graph_reset(g);
    l = run_loss(g, f.mod, &f.batch, o, &st);
    double before = l != NULL ? st.extra[0].value : (double)NAN;
    rs_graph_reset(g);
    l = run_loss(g, f.mod, &moved, o, &st);
    tap_is_float(l != NULL ? st.extra[0].value : (double)NAN, before, 1e-6,
                 1e-5, "normalised: A -> 3 A + 5 gives the same L_pi");
    /* Equal advantages: A^ = 0 (the 1e-6 floor, no NaN), L_pi = 0. */
    for (int i = 0; i < NB; i++)
        moved.in[1].x[(size_t)i * NW + 1] = 2.5f;
    rs_graph_reset(g);
    l = run_loss(g, f.mod, &moved, o, &st);
    tap_ok(l != NULL && st.extra[0].value == 0.0 && isfinite(l->data[0]),
           "equal advantages: L_pi = 0, the loss finite");
    rs_batch_fini(&moved);
    rs_graph_free(g);
    rs_batch_fini(&half[0]);
    rs_batch_fini(&half[1]);
    rs_objective_release(o);
    fixture_fini(&f);
}

/* ---- clipping ----------------------------------------------------------- */

/* Rows i, j of f's batch with log-ratios li, lj and advantages ai, aj
 * (normalised, a pair of distinct advantages becomes +-1). */
static void
pair_batch(struct rs_batch *dst, struct fixture *f, float li, float ai,
           float lj, float aj)
{
    batch_rows(dst, &f->batch, 0, 2);
    float lsm[NB * NA], pre[NB * NH];
    actor_now(f, NB, lsm, pre);
    const float l[2] = {li, lj}, a[2] = {ai, aj};
    for (int i = 0; i < 2; i++) {
        float *row = dst->in[1].x + (size_t)i * NW;
        row[0] = lsm[i * NA + dst->y[i]] - l[i];
        row[1] = a[i];
    }
}

/* True if every float of the actor's parameters' gradients (the first
 * part of grads_of's array) is 0. */
static bool
actor_grad_zero(struct fixture *f, const float *grads)
{
    size_t n = 0;
    rs_nn_model *m = rs_nn_module_model(f->mod[0]);
    for (int i = 0; i < rs_nn_model_count(m); i++)
        n += rs_nn_model_param(m, i)->numel;
    for (size_t i = 0; i < n; i++)
        if (grads[i] != 0.0f)
            return false;
    return true;
}

static void
test_clipping(void)
{
    struct fixture f;
    fixture_init(&f, 13, 0.3f);
    struct rs_obj_ppo_config cfg;
    rs_obj_ppo_config_default(&cfg);
    cfg.ent_coef = 0.0; /* the policy term alone reaches the actor */
    rs_objective *o = ppo_new(&cfg);
    /* Pairs of distinct advantages normalise to (+1, -1). */
    struct {
        float li, ai, lj, aj;
        bool zero;
        const char *what;
    } cases[] = {
        {0.4f, 1.0f, -0.4f, -1.0f, true,
         "r > 1 + eps with A > 0, r < 1 - eps with A < 0: no policy "
         "gradient"},
        {-0.4f, 1.0f, 0.4f, -1.0f, false,
         "r < 1 - eps with A > 0, r > 1 + eps with A < 0: a gradient (the "
         "clip does not hold these back)"},
        {0.05f, 1.0f, -0.05f, -1.0f, false, "inside the band: a gradient"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct rs_batch b;
        pair_batch(&b, &f, cases[k].li, cases[k].ai, cases[k].lj, cases[k].aj);
        double loss;
        struct rs_obj_stats st;
        float *gr = grads_of(&f, &b, o, &loss, &st);
        tap_ok(actor_grad_zero(&f, gr) == cases[k].zero, "%s", cases[k].what);
        free(gr);
        rs_batch_fini(&b);
    }
    rs_objective_release(o);

    /* Raw advantages, value loss off: a clipped sample next to a free one
     * adds nothing, so the pair's actor gradient is half the free
     * sample's alone (the mean over 2 rows instead of 1). */
    cfg.norm_adv = false;
    cfg.vf_coef = 0.0;
    o = ppo_new(&cfg);
    struct rs_batch pair, one;
    pair_batch(&pair, &f, 0.4f, 1.5f, 0.05f, -0.7f);
    batch_rows(&one, &pair, 1, 2);
    double lp, l1;
    struct rs_obj_stats st;
    float *gp = grads_of(&f, &pair, o, &lp, &st);
    float *g1 = grads_of(&f, &one, o, &l1, &st);
    size_t na = 0;
    rs_nn_model *am = rs_nn_module_model(f.mod[0]);
    for (int i = 0; i < rs_nn_model_count(am); i++)
        na += rs_nn_model_param(am, i)->numel;
    float *half = malloc(na * sizeof(float));
    bool nonzero = false;
    for (size_t i = 0; i < na; i++) {
        half[i] = 0.5f * g1[i];
        nonzero = nonzero || g1[i] != 0.0f;
    }
    tap_ok(nonzero, "the free sample alone has a policy gradient");
    tap_is_floats(gp, half, na, 1e-9, 1e-6,
                  "a clipped sample adds no policy gradient to its batch");
    free(half);
    free(gp);
    free(g1);
    rs_batch_fini(&pair);
    rs_batch_fini(&one);
    rs_objective_release(o);
    fixture_fini(&f);
}

/* ---- check and config --------------------------------------------------- */

static void
expect_check(const char *what, rs_nn_module *const *mods, int n,
             const struct rs_source_info *si, const char *needle)
{
    struct rs_obj_ppo_config cfg;
    rs_obj_ppo_config_default(&cfg);
    rs_objective *o = ppo_new(&cfg);
    struct rs_obj_env env = {.modules = mods, .nmodules = n, .si = si};
    struct rs_error err = {0};
    int rc = rs_objective_check(o, &env, &err);
    if (needle == NULL) {
        if (rc != RS_OK)
            tap_diag("%s", err.msg);
        tap_ok(rc == RS_OK, "check: %s", what);
    } else {
        tap_ok(rc == RS_EINVAL && strstr(err.msg, needle) != NULL,
               "check refuses %s: %s", what, err.msg);
    }
    rs_objective_release(o);
}

static void
test_check(void)
{
    struct fixture f;
    fixture_init(&f, 3, 0.1f);
    struct rs_source_info si = {
        .ninputs = 2,
        .kind = {RS_NN_INPUT_FEATURES, RS_NN_INPUT_FEATURES},
        .width = {NOBS, NW},
        .classes = NA,
    };
    expect_check("the rollout layout", f.mod, 2, &si, NULL);
    expect_check("one module", f.mod, 1, &si, "actor and a critic");
    rs_nn_module *swapped[2] = {f.mod[1], f.mod[0]};
    expect_check("the critic as actor", swapped, 2, &si, "critic gives 3");
    struct rs_error err = {0};
    rs_nn_module *lin =
        rs_nn_module_linear(NOBS, NA, true, RS_INIT_TORCH_DEFAULT, 1.0f,
                            &(struct rs_rng){{1, 2, 3, 4}}, &err);
    rs_nn_module *bad[2] = {lin, f.mod[1]};
    expect_check("a linear actor", bad, 2, &si, "linear");
    bad[0] = f.mod[0];
    bad[1] = lin;
    expect_check("a linear critic", bad, 2, &si, "critic");
    struct rs_source_info s2 = si;
    s2.width[1] = NW + 1;
    expect_check("a column too many", f.mod, 2, &s2, "rollout columns");
    s2 = si;
    s2.ninputs = 1;
    expect_check("one input", f.mod, 2, &s2, "input");
    s2 = si;
    s2.classes = NA + 1;
    expect_check("more actions than logits", f.mod, 2, &s2, "actions");
    s2 = si;
    s2.width[0] = NOBS + 1;
    expect_check("another observation width", f.mod, 2, &s2, "observations");
    rs_nn_module_release(lin);

    /* A batch without the actions, or with one out of range. */
    struct rs_obj_ppo_config cfg;
    rs_obj_ppo_config_default(&cfg);
    rs_objective *o = ppo_new(&cfg);
    rs_graph *g = rs_graph_new();
    struct rs_obj_stats st;
    f.batch.y[2] = NA;
    tap_ok(run_loss(g, f.mod, &f.batch, o, &st) == NULL &&
               tap_graph_failed_with(g, "ppo", "action 3"),
           "an action outside the logits fails naming it");
    rs_graph_free(g);
    rs_objective_release(o);

    cfg.clip = 1.0;
    tap_ok(rs_objective_ppo(&cfg, &err) == NULL && strstr(err.msg, "clip"),
           "clip 1 refused: %s", err.msg);
    cfg.clip = 0.0;
    tap_ok(rs_objective_ppo(&cfg, &err) == NULL, "clip 0 refused");
    rs_obj_ppo_config_default(&cfg);
    cfg.pfo_coef = -1.0;
    tap_ok(rs_objective_ppo(&cfg, &err) == NULL && strstr(err.msg, "pfo_coef"),
           "pfo_coef -1 refused: %s", err.msg);
    cfg.pfo_coef = 0.0;
    cfg.vf_coef = NAN;
    tap_ok(rs_objective_ppo(&cfg, &err) == NULL && strstr(err.msg, "vf_coef"),
           "vf_coef NaN refused: %s", err.msg);
    rs_obj_ppo_config_default(&cfg);
    o = ppo_new(&cfg);
    struct rs_obj_ppo_config c2 = cfg;
    c2.ent_coef = -0.5;
    tap_ok(rs_objective_ppo_set_config(o, &c2, &err) == RS_EINVAL &&
               rs_objective_ppo_config(o)->ent_coef == 0.01,
           "set_config refuses ent_coef -0.5, nothing changed");
    c2.ent_coef = 0.0;
    c2.pfo_coef = 2.0;
    tap_ok(rs_objective_ppo_set_config(o, &c2, &err) == RS_OK &&
               rs_objective_ppo_config(o)->pfo_coef == 2.0,
           "set_config changes pfo_coef");
    rs_objective *cl = tap_classify();
    tap_ok(rs_objective_ppo_config(cl) == NULL &&
               rs_objective_ppo_set_config(cl, &c2, &err) == RS_EINVAL,
           "not a ppo objective: config NULL, set_config refused");
    rs_objective_release(cl);
    rs_objective_release(o);
    fixture_fini(&f);
}

/* ---- a learner on a finite rollout-layout source ------------------------ */

struct tsrc {
    const struct rs_batch *b; /* the examples, borrowed */
};

static void
tsrc_info(const void *impl, struct rs_source_info *out)
{
    (void)impl;
    memset(out, 0, sizeof *out);
    out->ninputs = 2;
    out->kind[0] = out->kind[1] = RS_NN_INPUT_FEATURES;
    out->width[0] = NOBS;
    out->width[1] = NW;
    out->classes = NA;
}

static int
tsrc_count(const void *impl, enum rs_split split)
{
    (void)split;
    return ((const struct tsrc *)impl)->b->n;
}

static int
tsrc_fetch(const void *impl, enum rs_split split, const int *idx, int n,
           struct rs_batch *b, struct rs_error *err)
{
    (void)split;
    const struct rs_batch *s = ((const struct tsrc *)impl)->b;
    if (rs_batch_reserve(b, 0, RS_NN_INPUT_FEATURES, n, NOBS, true, err) !=
            RS_OK ||
        rs_batch_reserve(b, 1, RS_NN_INPUT_FEATURES, n, NW, false, err) !=
            RS_OK)
        return RS_EINVAL;
    for (int i = 0; i < n; i++) {
        int k = idx != NULL ? idx[i] : i;
        memcpy(b->in[0].x + (size_t)i * NOBS, s->in[0].x + (size_t)k * NOBS,
               NOBS * sizeof(float));
        memcpy(b->in[1].x + (size_t)i * NW, s->in[1].x + (size_t)k * NW,
               NW * sizeof(float));
        b->y[i] = s->y[k];
    }
    return RS_OK;
}

static const struct rs_source_class tsrc_class = {
    .kind = "tppo",
    .info = tsrc_info,
    .count = tsrc_count,
    .fetch = tsrc_fetch,
    .destroy = free,
};

static void
test_learner(void)
{
    struct fixture f;
    fixture_init(&f, 17, 0.2f);
    struct tsrc *ts = calloc(1, sizeof *ts);
    ts->b = &f.batch;
    rs_source *src = rs_source_new(&tsrc_class, ts);
    struct rs_obj_ppo_config cfg;
    rs_obj_ppo_config_default(&cfg);
    cfg.pfo_coef = 1.0;
    rs_objective *o = ppo_new(&cfg);
    struct rs_learner_config lc;
    rs_learner_config_default(&lc);
    snprintf(lc.name, sizeof lc.name, "pp");
    lc.batch = NB;
    lc.eval_every = 0;
    lc.log_every = 1;
    struct rs_error err = {0};
    rs_learner *l = rs_learner_new(&lc, f.mod, 2, o, src, &err);
    tap_ok(l != NULL, "a learner of actor and critic with ppo: %s",
           l != NULL ? "ok" : err.msg);
    if (l != NULL) {
        struct tap_log *log = calloc(1, sizeof *log);
        rs_learner_set_log(l, tap_log_record, log);
        struct rs_learner_stats st;
        int rc = rs_learner_step(l, &st, &err);
        tap_ok(rc == RS_OK && isnan(st.acc), "a step (no accuracy): %s",
               rc == RS_OK ? "ok" : err.msg);
        int seen = 0;
        const char *want[4] = {"pp/train/loss_pi", "pp/train/loss_v",
                               "pp/train/entropy", "pp/train/pfo"};
        for (int i = 0; i < log->n; i++)
            for (int k = 0; k < 4; k++)
                seen += strcmp(log->name[i], want[k]) == 0;
        tap_ok(seen == 4, "the step logs loss_pi, loss_v, entropy, pfo");
        free(log);
        rs_learner_free(l);
    }
    rs_objective_release(o);
    rs_source_release(src);
    fixture_fini(&f);
}

int
main(void)
{
    tap_plan_lazy();
    test_losses();
    test_grad();
    test_pfo_zero();
    test_norm_adv();
    test_clipping();
    test_check();
    test_learner();
    return tap_done();
}
