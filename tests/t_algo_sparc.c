/* repscope - MIT licence, see COPYING.
 *
 * t_algo_sparc.c: the image-text objectives clip and sparc (obj_sparc.c)
 * and their instruments (sparc_eval.c), on modules and a source written
 * here: a per-patch linear (features (B, P k) -> (B, P, d)), a token
 * table (ids (B, L) -> (B, L, d)), one learned log-temperature, and a
 * finite source of (features, ids) pairs.
 *
 * Each loss is checked against a direct double-precision computation of
 * eqs. (1)-(7) written below, on B = 3, P = 4, L = 3 with a pad, d = 5:
 * clip, sparc, the no-sparsity and softmax ablations, negatives = batch,
 * a separate L_f temperature, sigma_mult = 2. A token equal to one
 * patch's embedding (the others orthogonal) puts all its weight on that
 * patch. The whole objective's parameter gradients against central
 * differences. The learner logs loss_g and loss_f (their weighted sum is
 * train/loss), carries their sums through a checkpoint, and still loads
 * a state saved without them. The instruments on constructed embeddings with
 * known answers.
 */
#include "config.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo/learner.h"
#include "algo/objective.h"
#include "algo/sparc_eval.h"
#include "core/graph.h"
#include "core/ops.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "data/source.h"
#include "nn/model.h"
#include "nn/module.h"
#include "tests/gradcheck.h"
#include "tests/tap.h"

#define NB 3
#define NP 4
#define NL 3
#define ND 5
#define NK 2 /* features per patch */
#define NV 6 /* vocab, 0 = PAD */

/* ---- test modules ------------------------------------------------------ */

struct tmod {
    int np, k, d; /* patchlin: patches, features, width */
    rs_tensor *w;
};

static void
tmod_destroy(void *impl)
{
    free(impl);
}

/* x (NB, NP k) -> (NB, NP, k) @ W^T, W (d, k). */
static rs_tensor *
patchlin_forward(rs_nn_module *m, rs_graph *g, rs_tensor *x)
{
    struct tmod *t = rs_nn_module_impl(m);
    int n = x->shape[0];
    rs_tensor *r = rs_op_reshape(g, x, 3, (int[]){n, t->np, t->k});
    return rs_op_linear(g, r, t->w, NULL);
}

static int
patchlin_in(const rs_nn_module *m)
{
    const struct tmod *t = rs_nn_module_impl(m);
    return t->np * t->k;
}

static const struct rs_nn_module_class patchlin_class = {
    .kind = "patchlin",
    .forward = patchlin_forward,
    .in = patchlin_in,
    .destroy = tmod_destroy,
};

static rs_nn_module *
patchlin_new(int np, int k, int d, struct rs_rng *rng)
{
    struct tmod *t = calloc(1, sizeof *t);
    t->np = np;
    t->k = k;
    t->d = d;
    rs_nn_model *model = rs_nn_model_new("patchlin");
    t->w = rs_nn_model_add(model, "weight", 2, (int[]){d, k}, NULL);
    for (size_t i = 0; i < t->w->numel; i++)
        t->w->data[i] = 2.0f * rs_rng_uniform(rng) - 1.0f;
    return rs_nn_module_new(&patchlin_class, t, model, true);
}

static rs_tensor *
tokemb_forward(rs_nn_module *m, rs_graph *g, rs_tensor *x)
{
    (void)m;
    (void)x;
    rs_graph_fail(g, RS_EINVAL, "tokemb takes tokens");
    return NULL;
}

static rs_tensor *
tokemb_forward_ids(rs_nn_module *m, rs_graph *g, const int *ids, int n, int T)
{
    struct tmod *t = rs_nn_module_impl(m);
    return rs_op_embedding(g, t->w, ids, 2, (int[]){n, T});
}

static enum rs_nn_input_kind
tokemb_kind(const rs_nn_module *m)
{
    (void)m;
    return RS_NN_INPUT_TOKENS;
}

static const struct rs_nn_module_class tokemb_class = {
    .kind = "tokemb",
    .forward = tokemb_forward,
    .forward_ids = tokemb_forward_ids,
    .input_kind = tokemb_kind,
    .destroy = tmod_destroy,
};

static rs_nn_module *
tokemb_new(int vocab, int d, struct rs_rng *rng)
{
    struct tmod *t = calloc(1, sizeof *t);
    t->d = d;
    rs_nn_model *model = rs_nn_model_new("tokemb");
    t->w = rs_nn_model_add(model, "weight", 2, (int[]){vocab, d}, NULL);
    for (size_t i = 0; i < t->w->numel; i++)
        t->w->data[i] = 2.0f * rs_rng_uniform(rng) - 1.0f;
    return rs_nn_module_new(&tokemb_class, t, model, true);
}

/* The log-temperature: returns its one parameter whatever the input. */
static rs_tensor *
scalar_forward(rs_nn_module *m, rs_graph *g, rs_tensor *x)
{
    (void)g;
    (void)x;
    struct tmod *t = rs_nn_module_impl(m);
    return t->w;
}

static const struct rs_nn_module_class scalar_class = {
    .kind = "tscalar",
    .forward = scalar_forward,
    .destroy = tmod_destroy,
};

static rs_nn_module *
scalar_new(float v)
{
    struct tmod *t = calloc(1, sizeof *t);
    rs_nn_model *model = rs_nn_model_new("tscalar");
    t->w = rs_nn_model_add(model, "value", 1, (int[]){1}, NULL);
    t->w->data[0] = v;
    return rs_nn_module_new(&scalar_class, t, model, true);
}

static rs_tensor *
param_of(rs_nn_module *m)
{
    return rs_nn_model_param(rs_nn_module_model(m), 0);
}

/* ---- test source ------------------------------------------------------- */

struct tsrc {
    int n, width, len, vocab;
    float *x; /* (n, width) */
    int *ids; /* (n, len) */
};

static void
tsrc_info(const void *impl, struct rs_source_info *out)
{
    const struct tsrc *s = impl;
    memset(out, 0, sizeof *out);
    out->ninputs = 2;
    out->kind[0] = RS_NN_INPUT_FEATURES;
    out->kind[1] = RS_NN_INPUT_TOKENS;
    out->width[0] = s->width;
    out->width[1] = s->len;
    out->vocab[1] = s->vocab;
}

static int
tsrc_count(const void *impl, enum rs_split split)
{
    (void)split;
    return ((const struct tsrc *)impl)->n;
}

static int
tsrc_fetch(const void *impl, enum rs_split split, const int *idx, int n,
           struct rs_batch *b, struct rs_error *err)
{
    (void)split;
    const struct tsrc *s = impl;
    if (rs_batch_reserve(b, 0, RS_NN_INPUT_FEATURES, n, s->width, false, err) !=
            RS_OK ||
        rs_batch_reserve(b, 1, RS_NN_INPUT_TOKENS, n, s->len, false, err) !=
            RS_OK)
        return RS_EINVAL;
    for (int i = 0; i < n; i++) {
        int e = idx != NULL ? idx[i] : i;
        memcpy(b->in[0].x + (size_t)i * (size_t)s->width,
               s->x + (size_t)e * (size_t)s->width,
               (size_t)s->width * sizeof(float));
        memcpy(b->in[1].ids + (size_t)i * (size_t)s->len,
               s->ids + (size_t)e * (size_t)s->len,
               (size_t)s->len * sizeof(int));
    }
    return RS_OK;
}

static void
tsrc_destroy(void *impl)
{
    struct tsrc *s = impl;
    free(s->x);
    free(s->ids);
    free(s);
}

static const struct rs_source_class tsrc_class = {
    .kind = "tpairs",
    .info = tsrc_info,
    .count = tsrc_count,
    .fetch = tsrc_fetch,
    .destroy = tsrc_destroy,
};

static rs_source *
tsrc_new(int n, int width, int len, int vocab, const float *x, const int *ids)
{
    struct tsrc *s = calloc(1, sizeof *s);
    s->n = n;
    s->width = width;
    s->len = len;
    s->vocab = vocab;
    s->x = malloc((size_t)n * (size_t)width * sizeof(float));
    s->ids = malloc((size_t)n * (size_t)len * sizeof(int));
    memcpy(s->x, x, (size_t)n * (size_t)width * sizeof(float));
    memcpy(s->ids, ids, (size_t)n * (size_t)len * sizeof(int));
    return rs_source_new(&tsrc_class, s);
}

/* ---- the fixture: NB = 3 images of NP = 4 patches, captions of NL = 3 ---- */

/* Caption 1 has a pad; caption 2 repeats token 2 of caption 0 (for
 * negatives = batch). */
static const int fx_ids[NB * NL] = {1, 2, 3, 4, 5, 0, 2, 1, 5};

struct fixture {
    rs_nn_module *mod[4];
    struct rs_batch batch;
    float x[NB * NP * NK];
};

static void
fixture_init(struct fixture *f, uint64_t seed)
{
    struct rs_rng rng;
    rs_rng_seed(&rng, seed);
    f->mod[0] = patchlin_new(NP, NK, ND, &rng);
    f->mod[1] = tokemb_new(NV, ND, &rng);
    f->mod[2] = scalar_new(-0.7f);
    f->mod[3] = scalar_new(0.3f);
    for (int i = 0; i < NB * NP * NK; i++)
        f->x[i] = 2.0f * rs_rng_uniform(&rng) - 1.0f;
    rs_batch_init(&f->batch);
    if (rs_batch_reserve(&f->batch, 0, RS_NN_INPUT_FEATURES, NB, NP * NK, false,
                         NULL) != RS_OK ||
        rs_batch_reserve(&f->batch, 1, RS_NN_INPUT_TOKENS, NB, NL, false,
                         NULL) != RS_OK)
        abort();
    memcpy(f->batch.in[0].x, f->x, sizeof f->x);
    memcpy(f->batch.in[1].ids, fx_ids, sizeof fx_ids);
}

static void
fixture_fini(struct fixture *f)
{
    for (int i = 0; i < 4; i++)
        rs_nn_module_release(f->mod[i]);
    rs_batch_fini(&f->batch);
}

/* ---- the reference, in double ------------------------------------------ */

struct ref {
    double lg, lf, loss;
};

static void
dnormalize(double *y, const double *x, int n)
{
    double s = 0.0;
    for (int j = 0; j < n; j++)
        s += x[j] * x[j];
    s = sqrt(s + 1e-12);
    for (int j = 0; j < n; j++)
        y[j] = x[j] / s;
}

static double
ddot(const double *a, const double *b)
{
    double s = 0.0;
    for (int j = 0; j < ND; j++)
        s += a[j] * b[j];
    return s;
}

/* -log softmax(z)[t] over the entries with ok[k]. */
static double
nll(const double *z, const bool *ok, int n, int t)
{
    double m = -INFINITY, s = 0.0;
    for (int k = 0; k < n; k++)
        if (ok[k] && z[k] > m)
            m = z[k];
    for (int k = 0; k < n; k++)
        if (ok[k])
            s += exp(z[k] - m);
    return -(z[t] - m - log(s));
}

static void
reference(const struct fixture *f, const struct rs_obj_sparc_config *cfg,
          struct ref *r)
{
    const float *W = param_of(f->mod[0])->data;
    const float *E = param_of(f->mod[1])->data;
    double tau = exp((double)param_of(f->mod[2])->data[0]);
    double tau_f = cfg->tau_f ? exp((double)param_of(f->mod[3])->data[0]) : tau;
    double v[NB][NP][ND], t[NB][NL][ND], vb[NB][ND], tb[NB][ND];
    int len[NB];
    for (int i = 0; i < NB; i++) {
        for (int p = 0; p < NP; p++)
            for (int j = 0; j < ND; j++) {
                double s = 0.0;
                for (int q = 0; q < NK; q++)
                    s += (double)W[j * NK + q] *
                         (double)f->x[(i * NP + p) * NK + q];
                v[i][p][j] = s;
            }
        len[i] = 0;
        for (int l = 0; l < NL; l++) {
            for (int j = 0; j < ND; j++)
                t[i][l][j] = (double)E[fx_ids[i * NL + l] * ND + j];
            len[i] += fx_ids[i * NL + l] != 0;
        }
        double mv[ND] = {0}, mt[ND] = {0};
        for (int j = 0; j < ND; j++) {
            for (int p = 0; p < NP; p++)
                mv[j] += v[i][p][j] / NP;
            for (int l = 0; l < NL; l++)
                if (fx_ids[i * NL + l] != 0)
                    mt[j] += t[i][l][j] / len[i];
        }
        dnormalize(vb[i], mv, ND);
        dnormalize(tb[i], mt, ND);
    }
    /* (1) */
    bool all[NB * NL];
    for (int k = 0; k < NB * NL; k++)
        all[k] = true;
    double lg = 0.0;
    for (int i = 0; i < NB; i++) {
        double z1[NB], z2[NB];
        for (int j = 0; j < NB; j++) {
            z1[j] = ddot(vb[i], tb[j]) / tau;
            z2[j] = ddot(tb[i], vb[j]) / tau;
        }
        lg += nll(z1, all, NB, i) + nll(z2, all, NB, i);
    }
    r->lg = lg / (2.0 * NB);
    /* (2)-(5) */
    double cn[NB][NL][ND], tn[NB][NL][ND];
    for (int i = 0; i < NB; i++)
        for (int l = 0; l < NL; l++) {
            double s[NP], a[NP], c[ND] = {0};
            for (int p = 0; p < NP; p++)
                s[p] = ddot(t[i][l], v[i][p]);
            if (cfg->align == RS_OBJ_SPARC_SOFTMAX) {
                double m = s[0], z = 0.0;
                for (int p = 1; p < NP; p++)
                    m = s[p] > m ? s[p] : m;
                for (int p = 0; p < NP; p++)
                    z += a[p] = exp((s[p] - m) / tau_f);
                for (int p = 0; p < NP; p++)
                    a[p] /= z;
            } else {
                double hi = s[0], lo = s[0], z = 0.0;
                for (int p = 1; p < NP; p++) {
                    hi = s[p] > hi ? s[p] : hi;
                    lo = s[p] < lo ? s[p] : lo;
                }
                double sigma = cfg->sparse ? cfg->sigma_mult / NP : 0.0;
                for (int p = 0; p < NP; p++) {
                    a[p] = (s[p] - lo) / (hi - lo + 1e-6);
                    a[p] = a[p] >= sigma ? a[p] : 0.0;
                    z += a[p];
                }
                for (int p = 0; p < NP; p++)
                    a[p] /= z + 1e-6;
            }
            for (int p = 0; p < NP; p++)
                for (int j = 0; j < ND; j++)
                    c[j] += a[p] * v[i][p][j];
            dnormalize(cn[i][l], c, ND);
            dnormalize(tn[i][l], t[i][l], ND);
        }
    /* (6) */
    double lf = 0.0;
    int caps = 0;
    for (int i = 0; i < NB; i++) {
        double sum = 0.0;
        for (int j = 0; j < NL; j++) {
            if (fx_ids[i * NL + j] == 0)
                continue;
            if (cfg->negatives == RS_OBJ_SPARC_CAPTION) {
                double z1[NL], z2[NL];
                bool ok[NL];
                for (int k = 0; k < NL; k++) {
                    ok[k] = fx_ids[i * NL + k] != 0;
                    z1[k] = ddot(cn[i][j], tn[i][k]) / tau_f;
                    z2[k] = ddot(tn[i][j], cn[i][k]) / tau_f;
                }
                sum += nll(z1, ok, NL, j) + nll(z2, ok, NL, j);
            } else {
                double z1[NB * NL], z2[NB * NL];
                bool ok[NB * NL];
                int r0 = i * NL + j;
                for (int k = 0; k < NB * NL; k++) {
                    ok[k] =
                        fx_ids[k] != 0 && (k == r0 || fx_ids[k] != fx_ids[r0]);
                    z1[k] = ddot(cn[i][j], tn[k / NL][k % NL]) / tau_f;
                    z2[k] = ddot(tn[i][j], cn[k / NL][k % NL]) / tau_f;
                }
                sum += nll(z1, ok, NB * NL, r0) + nll(z2, ok, NB * NL, r0);
            }
        }
        if (len[i] > 0) {
            lf += sum / len[i];
            caps++;
        }
    }
    r->lf = lf / (2.0 * caps);
    r->loss = cfg->lambda_g * r->lg + cfg->lambda_f * r->lf;
}

/* ---- losses against the reference -------------------------------------- */

static rs_tensor *
run_loss(rs_graph *g, struct fixture *f, rs_objective *o,
         struct rs_obj_stats *st)
{
    struct rs_obj_ctx c = {
        .g = g,
        .modules = f->mod,
        .nmodules = 4,
        .batch = &f->batch,
        .train = true,
    };
    return rs_objective_loss(o, &c, st);
}

static void
check_against_ref(const char *name, rs_objective *o,
                  const struct rs_obj_sparc_config *cfg)
{
    struct fixture f;
    fixture_init(&f, 7);
    rs_graph *g = rs_graph_new();
    struct rs_obj_stats st;
    rs_tensor *loss = run_loss(g, &f, o, &st);
    struct ref r;
    reference(&f, cfg, &r);
    if (loss == NULL)
        tap_diag("%s: %s", name, rs_graph_error(g)->msg);
    tap_ok(loss != NULL && st.nextra == 2 &&
               strcmp(st.extra[0].name, "loss_g") == 0 &&
               strcmp(st.extra[1].name, "loss_f") == 0,
           "%s: a loss with extras loss_g, loss_f", name);
    if (loss != NULL) {
        tap_is_float(st.extra[0].value, r.lg, 1e-5, 1e-5, "%s: L_g", name);
        tap_is_float(st.extra[1].value, r.lf, 1e-5, 1e-5, "%s: L_f", name);
        tap_is_float((double)loss->data[0], r.loss, 1e-5, 1e-5,
                     "%s: lambda_g L_g + lambda_f L_f", name);
        tap_diag("%s: L_g %.6f L_f %.6f", name, r.lg, r.lf);
    }
    rs_graph_free(g);
    fixture_fini(&f);
}

static void
test_losses(void)
{
    struct rs_obj_sparc_config cfg;
    rs_objective *o = rs_objective_clip(NULL);
    rs_obj_sparc_config_default(&cfg);
    cfg.lambda_g = 1.0;
    cfg.lambda_f = 0.0;
    tap_is_str(rs_objective_kind(o), "clip", "clip's kind");
    check_against_ref("clip", o, &cfg);
    rs_objective_release(o);

    for (int k = 0; k < 6; k++) {
        rs_obj_sparc_config_default(&cfg);
        const char *name = "sparc (paper defaults)";
        switch (k) {
        case 1:
            cfg.sparse = false;
            name = "sparc no sparsity";
            break;
        case 2:
            cfg.align = RS_OBJ_SPARC_SOFTMAX;
            name = "sparc softmax alignment";
            break;
        case 3:
            cfg.negatives = RS_OBJ_SPARC_BATCH;
            name = "sparc negatives = batch";
            break;
        case 4:
            cfg.tau_f = true;
            cfg.align = RS_OBJ_SPARC_SOFTMAX;
            name = "sparc separate tau_f (softmax)";
            break;
        case 5:
            cfg.sigma_mult = 2.0;
            cfg.lambda_f = 5.0;
            name = "sparc sigma_mult 2, lambda_f 5";
            break;
        }
        o = rs_objective_sparc(&cfg, NULL);
        check_against_ref(name, o, &cfg);
        rs_objective_release(o);
    }
}

/* ---- alignment of a constructed example -------------------------------- */

static void
test_align(void)
{
    rs_graph *g = rs_graph_new();
    /* v: patch p = (p + 1) e_p, p < 4, d = 5 */
    rs_tensor *v = rs_graph_tensor(g, 3, (int[]){1, NP, ND});
    memset(v->data, 0, v->numel * sizeof(float));
    for (int p = 0; p < NP; p++)
        v->data[p * ND + p] = (float)(p + 1);
    /* token 0 = patch 2's embedding; token 1 orthogonal to every patch but
     * a little of patch 1; token 2: s = (0.3, 0.6, 3, 0) */
    rs_tensor *t = rs_graph_tensor(g, 3, (int[]){1, NL, ND});
    memset(t->data, 0, t->numel * sizeof(float));
    memcpy(t->data, v->data + 2 * ND, ND * sizeof(float));
    t->data[ND + 4] = 1.0f;
    t->data[2 * ND + 0] = 0.3f;
    t->data[2 * ND + 1] = 0.3f;
    t->data[2 * ND + 2] = 1.0f;
    struct rs_obj_sparc_config cfg;
    rs_obj_sparc_config_default(&cfg);
    rs_tensor *a = rs_obj_sparc_align(g, &cfg, t, v, NULL);
    tap_ok(a != NULL && a->ndim == 3 && a->shape[1] == NL && a->shape[2] == NP,
           "align gives (n, L, P)");
    if (a == NULL) {
        rs_graph_free(g);
        return;
    }
    const float one[NP] = {0.0f, 0.0f, 1.0f, 0.0f};
    tap_is_floats(a->data, one, NP, 1e-5, 0.0,
                  "a token equal to patch 2's embedding puts all its weight "
                  "on patch 2");
    const float zero[NP] = {0};
    tap_is_floats(a->data + NP, zero, NP, 0.0, 0.0,
                  "a token orthogonal to every patch (max = min) has no "
                  "weight");
    /* s = (0.3, 0.6, 3, 0): minmax (0.1, 0.2, 1, 0); sigma 1/4 keeps only
     * patch 2; without sparsity (0.1, 0.2, 1, 0) / 1.3 */
    tap_is_floats(a->data + 2 * NP, one, NP, 1e-5, 0.0,
                  "the 1/P threshold cuts the weights under 0.25");
    cfg.sparse = false;
    a = rs_obj_sparc_align(g, &cfg, t, v, NULL);
    const float dense[NP] = {0.1f / 1.3f, 0.2f / 1.3f, 1.0f / 1.3f, 0.0f};
    tap_is_floats(a->data + 2 * NP, dense, NP, 1e-5, 0.0,
                  "no sparsity: the min-max weights renormalised");
    cfg.align = RS_OBJ_SPARC_SOFTMAX;
    rs_tensor *it = rs_graph_tensor(g, 1, (int[]){1});
    it->data[0] = 2.0f;
    a = rs_obj_sparc_align(g, &cfg, t, v, it);
    double z = exp(0.6) + exp(1.2) + exp(6.0) + 1.0;
    const float soft[NP] = {(float)(exp(0.6) / z), (float)(exp(1.2) / z),
                            (float)(exp(6.0) / z), (float)(1.0 / z)};
    tap_is_floats(a->data + 2 * NP, soft, NP, 1e-6, 1e-5,
                  "softmax alignment: softmax_p(s / tau)");
    rs_graph_free(g);
}

/* ---- gradients of the whole objective ---------------------------------- */

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
    return run_loss(g, c->f, c->o, &st);
}

static void
test_grad(void)
{
    for (int k = 0; k < 4; k++) {
        struct fixture f;
        fixture_init(&f, 11);
        struct rs_obj_sparc_config cfg;
        rs_obj_sparc_config_default(&cfg);
        const char *name = "sparc objective";
        if (k == 1) {
            cfg.align = RS_OBJ_SPARC_SOFTMAX;
            cfg.tau_f = true;
            name = "sparc softmax, tau_f";
        } else if (k == 2) {
            cfg.negatives = RS_OBJ_SPARC_BATCH;
            cfg.sparse = false;
            name = "sparc batch negatives, no sparsity";
        }
        rs_objective *o =
            k == 3 ? rs_objective_clip(NULL) : rs_objective_sparc(&cfg, NULL);
        if (k == 3)
            name = "clip objective";
        struct grad_case gc = {&f, o};
        rs_tensor *in[4];
        for (int i = 0; i < 4; i++)
            in[i] = param_of(f.mod[i]);
        tap_gradcheck(name, 4, in, build_loss, &gc, 1e-3, 2e-2);
        rs_objective_release(o);
        fixture_fini(&f);
    }
}

/* ---- learner: extras logging, checkpoint ------------------------------- */

struct logrec {
    int n;
    char name[256][64];
    double v[256];
};

/* Keeps the first 256 values logged (logged() reads the last). */
static void
log_fn(void *ud, const char *name, double value)
{
    struct logrec *r = ud;
    if (r->n < 256) {
        snprintf(r->name[r->n], 64, "%s", name);
        r->v[r->n++] = value;
    }
}

static double
logged(const struct logrec *r, const char *name)
{
    for (int i = r->n; i-- > 0;)
        if (strcmp(r->name[i], name) == 0)
            return r->v[i];
    return NAN;
}

static rs_learner *
learner_new(struct fixture *f, rs_source *src, rs_objective *o)
{
    struct rs_learner_config lc;
    rs_learner_config_default(&lc);
    snprintf(lc.name, sizeof lc.name, "sp");
    lc.batch = 2;
    lc.eval_every = 0;
    lc.log_every = 2;
    struct rs_error err = {0};
    rs_learner *l = rs_learner_new(&lc, f->mod, 3, o, src, &err);
    if (l == NULL)
        tap_diag("learner: %s", err.msg);
    return l;
}

static void
test_learner(void)
{
    struct fixture f, f2;
    fixture_init(&f, 5);
    fixture_init(&f2, 5);
    rs_source *src = tsrc_new(NB, NP * NK, NL, NV, f.x, fx_ids);
    struct rs_obj_sparc_config cfg;
    rs_obj_sparc_config_default(&cfg);
    rs_objective *o = rs_objective_sparc(&cfg, NULL);
    rs_learner *l = learner_new(&f, src, o);
    rs_learner *l2 = learner_new(&f2, src, o);
    tap_ok(l != NULL && l2 != NULL, "a learner of (patches, tokens, tau) "
                                    "takes sparc");
    if (l == NULL || l2 == NULL)
        goto out;
    struct logrec r = {0}, r2 = {0};
    rs_learner_set_log(l, log_fn, &r);
    rs_learner_set_log(l2, log_fn, &r2);
    struct rs_error err = {0};
    int rc = rs_learner_step(l, NULL, &err);
    tap_ok(rc == RS_OK && r.n == 0, "step 1: nothing logged yet (%s)", err.msg);
    /* checkpoint after one step: the extras' sums travel */
    size_t nw = rs_learner_state_words(l);
    uint64_t *w = calloc(nw, sizeof *w);
    rs_learner_state_save(l, w);
    for (int i = 0; i < rs_nn_model_count(rs_learner_params(l)); i++) {
        rs_tensor *a = rs_nn_model_param(rs_learner_params(l), i);
        rs_tensor *b = rs_nn_model_param(rs_learner_params(l2), i);
        memcpy(b->data, a->data, a->numel * sizeof(float));
    }
    rc = rs_learner_state_load(l2, w, nw, &err);
    tap_ok(rc == RS_OK, "the state with the extras tail loads (%s)", err.msg);
    rc = rs_learner_step(l, NULL, &err);
    tap_ok(rc == RS_OK, "step 2");
    double lg = logged(&r, "sp/train/loss_g");
    double lf = logged(&r, "sp/train/loss_f");
    double lo = logged(&r, "sp/train/loss");
    tap_ok(isfinite(lg) && isfinite(lf),
           "sp/train/loss_g and sp/train/loss_f are logged");
    tap_is_float(0.5 * lg + lf, lo, 1e-5, 1e-5,
                 "train/loss = 0.5 loss_g + loss_f (means since the log)");
    /* l2 resumed from step 1's state and parameters: step 2's loss is
     * computed before its update, so the logged means (step 1's sums from
     * the state plus step 2's) equal l's exactly */
    rc = rs_learner_step(l2, NULL, &err);
    tap_ok(rc == RS_OK && logged(&r2, "sp/train/loss_g") == lg &&
               logged(&r2, "sp/train/loss_f") == lf,
           "a resumed learner logs the same loss_g and loss_f means");
    /* a state without the extras tail (saved before any extras) */
    size_t extra = 2 * RS_OBJ_MAX_EXTRAS;
    rs_learner_state_save(l, w);
    uint64_t *w1 = calloc(nw, sizeof *w1);
    memcpy(w1, w, (nw - extra) * sizeof *w);
    rc = rs_learner_state_load(l2, w1, nw - extra, &err);
    tap_ok(rc == RS_OK && rs_learner_steps(l2) == 2,
           "a state without the extras tail still loads (%s)", err.msg);
    rc = rs_learner_state_load(l2, w1, nw - 1, &err);
    tap_ok(rc == RS_EFORMAT, "a state one word short of the tail is "
                             "refused");
    free(w);
    free(w1);
    /* training lowers both terms (the fixture's 3 pairs, batch 2) */
    rc = rs_learner_set_lr(l, 0.05f, &err);
    for (int i = 0; rc == RS_OK && i < 60; i++)
        rc = rs_learner_step(l, NULL, &err);
    tap_ok(rc == RS_OK && logged(&r, "sp/train/loss_g") < lg &&
               logged(&r, "sp/train/loss_f") < lf,
           "60 steps lower L_g (%.4f -> %.4f) and L_f (%.4f -> %.4f)", lg,
           logged(&r, "sp/train/loss_g"), lf, logged(&r, "sp/train/loss_f"));
    /* a learner of two modules is refused */
    struct rs_learner_config lc;
    rs_learner_config_default(&lc);
    rs_learner *bad = rs_learner_new(&lc, f.mod, 2, o, src, &err);
    tap_ok(bad == NULL && strstr(err.msg, "sparc: 2 modules") != NULL,
           "sparc refuses two modules: %s", err.msg);
    cfg.tau_f = true;
    rs_objective *o4 = rs_objective_sparc(&cfg, NULL);
    bad = rs_learner_new(&lc, f.mod, 3, o4, src, &err);
    tap_ok(bad == NULL && strstr(err.msg, "L_f log-temperature") != NULL,
           "tau_f needs a fourth module: %s", err.msg);
    rs_objective_release(o4);
out:
    rs_learner_free(l);
    rs_learner_free(l2);
    rs_objective_release(o);
    rs_source_release(src);
    fixture_fini(&f);
    fixture_fini(&f2);
}

static void
test_config_errors(void)
{
    struct rs_obj_sparc_config cfg;
    struct rs_error err = {0};
    rs_obj_sparc_config_default(&cfg);
    cfg.lambda_f = -1.0;
    tap_ok(rs_objective_sparc(&cfg, &err) == NULL &&
               strstr(err.msg, "lambda_f = -1") != NULL,
           "lambda_f < 0 refused: %s", err.msg);
    rs_obj_sparc_config_default(&cfg);
    cfg.lambda_g = cfg.lambda_f = 0.0;
    tap_ok(rs_objective_sparc(&cfg, &err) == NULL &&
               strstr(err.msg, "both 0") != NULL,
           "both weights 0 refused: %s", err.msg);
    rs_obj_sparc_config_default(&cfg);
    cfg.sigma_mult = NAN;
    tap_ok(rs_objective_sparc(&cfg, &err) == NULL &&
               strstr(err.msg, "sigma_mult") != NULL,
           "sigma_mult nan refused: %s", err.msg);
    tap_ok(rs_obj_sparc_align_parse("softmax") == RS_OBJ_SPARC_SOFTMAX &&
               rs_obj_sparc_negatives_parse("batch") == RS_OBJ_SPARC_BATCH &&
               rs_obj_sparc_align_parse("max") == -1 &&
               strcmp(rs_obj_sparc_negatives_name(RS_OBJ_SPARC_CAPTION),
                      "caption") == 0,
           "align and negatives names parse both ways");
}

/* ---- instruments ------------------------------------------------------- */

/* Two images of NP = 4 patches, features = the patch embedding (d = 5,
 * identity encoder); class words 1, 2, 3 embed as e0, e1, e2, the
 * distractor 4 as e3. Image 0: classes (0, 0, 1, 1), caption (1, 2, pad);
 * image 1: classes (1, 1, 2, 2) but patch 3 looks like class 0, caption
 * (3, 2, 4). */
static void
test_eval(void)
{
    const int np = 2, d = 5;
    float x[2 * 4 * 5] = {0};
    const int look[8] = {0, 0, 1, 1, 1, 1, 2, 0};
    for (int i = 0; i < 8; i++)
        x[i * d + look[i]] = 1.0f;
    const int ids[2 * 3] = {1, 2, 0, 3, 2, 4};
    const int pclass[8] = {0, 0, 1, 1, 1, 1, 2, 2};
    const int witem[6] = {0, 1, -1, 1, 0, -1};
    const int class_ids[3] = {1, 2, 3};
    struct rs_rng rng;
    rs_rng_seed(&rng, 3);
    rs_nn_module *mods[3] = {patchlin_new(4, d, d, &rng),
                             tokemb_new(5, d, &rng), scalar_new(0.0f)};
    rs_tensor *W = param_of(mods[0]), *E = param_of(mods[1]);
    memset(W->data, 0, W->numel * sizeof(float));
    for (int j = 0; j < d; j++)
        W->data[j * d + j] = 1.0f;
    memset(E->data, 0, E->numel * sizeof(float));
    for (int id = 1; id < 5; id++)
        E->data[id * d + (id - 1)] = 1.0f;
    E->data[0] = 0.5f; /* the pad's own embedding: must not matter */
    rs_source *src = tsrc_new(np, 4 * d, 3, 5, x, ids);
    rs_objective *o = rs_objective_clip(NULL);
    struct rs_learner_config lc;
    rs_learner_config_default(&lc);
    struct rs_error err = {0};
    rs_learner *l = rs_learner_new(&lc, mods, 3, o, src, &err);
    struct rs_sparc_eval_spec sp = {
        .split = RS_SPLIT_TEST,
        .n = np,
        .patch_class = pclass,
        .word_item = witem,
        .class_ids = class_ids,
        .classes = 3,
        .example = 1,
    };
    struct rs_sparc_eval ev;
    int rc = l != NULL ? rs_sparc_eval(l, &sp, &ev, &err) : RS_EINVAL;
    tap_ok(rc == RS_OK, "sparc_eval runs (%s)", err.msg);
    if (rc == RS_OK) {
        tap_is_float(ev.patch_acc, 7.0 / 8.0, 1e-9, 0.0,
                     "patch_acc: 7 of 8 patches nearest their class word");
        /* cos: (v0,t0) 1, (v0,t1) 1/sqrt 6, (v1,t1) 3/sqrt 18, (v1,t0)
         * 3/sqrt 12: i2t 1/2, t2i 1 */
        tap_is_float(ev.r1_i2t, 0.5, 1e-9, 0.0, "r1 image->caption 1/2");
        tap_is_float(ev.r1_t2i, 1.0, 1e-9, 0.0, "r1 caption->image 1");
        tap_is_float(ev.r1, 0.75, 1e-9, 0.0, "r1 is their mean");
        tap_is_float(ev.align_entropy, 3.0 * log(2.0) / 5.0, 1e-5, 0.0,
                     "align_entropy: three tokens on 2 patches, two on "
                     "one or none");
        tap_is_float(ev.align_mass, 1.0, 1e-5, 0.0,
                     "align_mass: every named word's weight on its item");
        const float m[12] = {0, 0, 1, 0, 0.5f, 0.5f, 0, 0, 0, 0, 0, 0};
        tap_ok(ev.L == 3 && ev.P == 4 && ev.ids[0] == 3 && ev.ids[2] == 4,
               "the matrix of example 1 is (3, 4) with its ids");
        tap_is_floats(ev.align, m, 12, 1e-5, 0.0,
                      "the alignment matrix of example 1");
        /* example 1 looks like classes (1, 1, 2, 0): patch 3 is wrong */
        tap_ok(ev.pred != NULL && ev.pred[0] == 1 && ev.pred[1] == 1 &&
                   ev.pred[2] == 2 && ev.pred[3] == 0,
               "the predicted classes of example 1's patches: 1 1 2 0");
        struct logrec r = {0};
        rs_learner_set_log(l, log_fn, &r);
        rs_sparc_eval_log(l, &ev);
        tap_ok(r.n == 4 && logged(&r, "eval/patch_acc") == ev.patch_acc &&
                   logged(&r, "eval/r1") == ev.r1 &&
                   logged(&r, "eval/align_entropy") == ev.align_entropy &&
                   logged(&r, "eval/align_mass") == ev.align_mass,
               "sparc_eval_log: the four eval/ scalars, bare for the "
               "unnamed learner");
        rs_sparc_eval_fini(&ev);
    }
    /* read under softmax alignment (tau = exp 0 = 1): token e1 of image 1
     * has s = (1, 1, 0, 0) */
    struct rs_obj_sparc_config soft;
    rs_obj_sparc_config_default(&soft);
    soft.align = RS_OBJ_SPARC_SOFTMAX;
    sp.align = &soft;
    rc = l != NULL ? rs_sparc_eval(l, &sp, &ev, &err) : RS_EINVAL;
    if (rc == RS_OK) {
        double e = exp(1.0), z = 2.0 * e + 2.0;
        const float row[4] = {(float)(e / z), (float)(e / z), (float)(1.0 / z),
                              (float)(1.0 / z)};
        tap_is_floats(ev.align + 4, row, 4, 1e-6, 1e-5,
                      "spec->align overrides the learner's alignment "
                      "(softmax)");
        rs_sparc_eval_fini(&ev);
    } else {
        tap_ok(false, "sparc_eval with softmax alignment: %s", err.msg);
    }
    sp.align = NULL;
    sp.example = 2;
    rc = l != NULL ? rs_sparc_eval(l, &sp, &ev, &err) : RS_OK;
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "example = 2") != NULL,
           "an example beyond n is refused: %s", err.msg);
    rs_learner_free(l);
    rs_objective_release(o);
    rs_source_release(src);
    for (int i = 0; i < 3; i++)
        rs_nn_module_release(mods[i]);
}

int
main(void)
{
    tap_plan_lazy();
    test_losses();
    test_align();
    test_grad();
    test_learner();
    test_config_errors();
    test_eval();
    return tap_done();
}
