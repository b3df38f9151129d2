/* repscope - MIT licence, see COPYING.
 *
 * obj_sparc.c: the image-text contrastive objectives clip and sparc
 * (objective.h; SPARC, "Improving fine-grained understanding in image-text
 * pre-training", arXiv 2401.09865). With v (n, P, d) the patch
 * embeddings, t (n, L, d) the token embeddings, m_il = [ids_il != PAD],
 * L_i = sum_l m_il:
 *
 *   vbar_i = norm(1/P sum_p v_ip), tbar_i = norm(1/L_i sum_l m_il t_il)
 *   L_g = 1/2 [CE_rows(S / tau) + CE_rows(S^T / tau)], S_ij = vbar_i .
 *         tbar_j, the target of row i being i                   (1)
 *   s_lp = t_l . v_p (per caption), s^ = minmax_p(s), s~ = s^ [s^ >=
 *         sigma], a = s~ / sum_p s~                             (2)-(4)
 *   c_l = sum_p a_lp v_p; F_jk = norm(c_j) . norm(t_k)          (5)
 *   L_f = 1/2 mean_i 1/L_i sum_j [CE_j(F_j. / tau_f) + CE_j(F_.j / tau_f)]
 *         over the non-pad j, the pad columns at -inf           (6)
 *
 * Every term is built from graph ops (core/ops.h), so the backward is
 * the ops' own: the masked means are batched matmuls with constant
 * weights, the pad columns an additive -inf mask, the per-caption
 * average the cross-entropy's row weights 1/L_i (their sum is the number
 * of captions). A term of weight 0 is built with gradients off, for the
 * log only. Worker thread only.
 */
#include "config.h"

#include "algo/objective.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/ops.h"

/* eps of the min-max range and of the renormalising sum (the paper adds
 * one; third-party code uses 1e-6 to 1e-8), and of the L2 norms. */
#define SPARC_EPS 1e-6f
#define NORM_EPS 1e-12f

static const char *const align_names[] = {"minmax", "softmax"};
static const char *const neg_names[] = {"caption", "batch"};

void
rs_obj_sparc_config_default(struct rs_obj_sparc_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->lambda_g = 0.5;
    cfg->lambda_f = 1.0;
    cfg->sigma_mult = 1.0;
    cfg->sparse = true;
    cfg->align = RS_OBJ_SPARC_MINMAX;
    cfg->negatives = RS_OBJ_SPARC_CAPTION;
    cfg->tau_f = false;
}

const char *
rs_obj_sparc_align_name(enum rs_obj_sparc_align a)
{
    return (unsigned)a < 2 ? align_names[a] : "?";
}

int
rs_obj_sparc_align_parse(const char *name)
{
    for (int i = 0; i < 2; i++)
        if (strcmp(name, align_names[i]) == 0)
            return i;
    return -1;
}

const char *
rs_obj_sparc_negatives_name(enum rs_obj_sparc_negatives n)
{
    return (unsigned)n < 2 ? neg_names[n] : "?";
}

int
rs_obj_sparc_negatives_parse(const char *name)
{
    for (int i = 0; i < 2; i++)
        if (strcmp(name, neg_names[i]) == 0)
            return i;
    return -1;
}

struct sparc {
    struct rs_obj_sparc_config cfg;
};

static const struct rs_objective_class clip_class, sparc_class;

const struct rs_obj_sparc_config *
rs_objective_sparc_config(const rs_objective *o)
{
    const struct rs_objective_class *cls = rs_objective_class(o);
    if (cls != &clip_class && cls != &sparc_class)
        return NULL;
    const struct sparc *k = rs_objective_impl(o);
    return &k->cfg;
}

static int
sparc_check(rs_objective *o, const struct rs_obj_env *env, struct rs_error *err)
{
    const struct sparc *k = rs_objective_impl(o);
    const char *kind = rs_objective_kind(o);
    const struct rs_source_info *si = env->si;
    int need = k->cfg.tau_f ? 4 : 3;
    if (env->nmodules < need)
        return rs_error_set(err, RS_EINVAL,
                            "%s: %d modules (image encoder, text encoder, "
                            "log-temperature%s are needed)",
                            kind, env->nmodules,
                            k->cfg.tau_f ? ", L_f log-temperature" : "");
    if (si->ninputs != 2 || si->kind[0] != RS_NN_INPUT_FEATURES ||
        si->kind[1] != RS_NN_INPUT_TOKENS)
        return rs_error_set(err, RS_EINVAL,
                            "%s: the source gives %d input(s) (image "
                            "features and caption tokens are needed)",
                            kind, si->ninputs);
    enum rs_nn_input_kind k0 = rs_nn_module_input_kind(env->modules[0]);
    enum rs_nn_input_kind k1 = rs_nn_module_input_kind(env->modules[1]);
    if (k0 != RS_NN_INPUT_FEATURES || k1 != RS_NN_INPUT_TOKENS)
        return rs_error_set(err, RS_EINVAL,
                            "%s: the image encoder takes %s, the text "
                            "encoder %s (features and tokens are needed)",
                            kind, rs_nn_input_kind_name(k0),
                            rs_nn_input_kind_name(k1));
    int in0 = rs_nn_module_in(env->modules[0]);
    if (in0 != 0 && in0 != si->width[0])
        return rs_error_set(err, RS_EINVAL,
                            "%s: the image encoder takes in = %d features, "
                            "the source gives %d",
                            kind, in0, si->width[0]);
    return RS_OK;
}

/* Step scratch (the graph's arena, freed at its reset). */
static void *
scratch(rs_graph *g, size_t bytes)
{
    return rs_arena_alloc(rs_graph_arena(g), bytes);
}

/* A constant (no-grad) arena tensor, uninitialised. */
static rs_tensor *
constant(rs_graph *g, int ndim, const int *shape)
{
    return rs_graph_tensor(g, ndim, shape);
}

/* 1 / tau = exp(-z), z modules[i]'s output on a (1, 1) zero tensor. */
static rs_tensor *
inv_temperature(struct rs_obj_ctx *c, int i, const char *kind)
{
    rs_graph *g = c->g;
    rs_tensor *z = constant(g, 2, (int[]){1, 1});
    if (z == NULL)
        return NULL;
    z->data[0] = 0.0f;
    rs_tensor *lt = rs_nn_module_forward(c->modules[i], g, z);
    if (lt == NULL)
        return NULL;
    if (lt->numel != 1) {
        rs_graph_fail(g, RS_ESHAPE,
                      "%s: module %d gives %zu numbers (the log-temperature "
                      "is one)",
                      kind, i + 1, lt->numel);
        return NULL;
    }
    return rs_op_exp(g, rs_op_scale(g, lt, -1.0f));
}

rs_tensor *
rs_obj_sparc_align(rs_graph *g, const struct rs_obj_sparc_config *cfg,
                   rs_tensor *t, rs_tensor *v, rs_tensor *inv_tau_f)
{
    if (t == NULL || v == NULL || rs_graph_error(g)->code != RS_OK)
        return NULL;
    if (t->ndim != 3 || v->ndim != 3 || t->shape[0] != v->shape[0] ||
        t->shape[2] != v->shape[2]) {
        char bt[64], bv[64];
        rs_graph_fail(g, RS_ESHAPE,
                      "sparc: tokens %s and patches %s are not (n, L, d) "
                      "and (n, P, d)",
                      rs_tensor_shape_str(t, bt, sizeof bt),
                      rs_tensor_shape_str(v, bv, sizeof bv));
        return NULL;
    }
    int P = v->shape[1];
    rs_tensor *s = rs_op_matmul(g, t, v, false, true); /* (n, L, P) */
    if (cfg->align == RS_OBJ_SPARC_SOFTMAX) {
        if (inv_tau_f == NULL) {
            rs_graph_fail(g, RS_EINVAL,
                          "sparc: softmax alignment needs a "
                          "temperature");
            return NULL;
        }
        return rs_op_softmax(g, rs_op_mul(g, s, inv_tau_f));
    }
    rs_tensor *a = rs_op_minmax_norm(g, s, SPARC_EPS);
    if (cfg->sparse)
        a = rs_op_threshold(g, a, (float)(cfg->sigma_mult / (double)P));
    return rs_op_normalize_sum(g, a, SPARC_EPS);
}

/* Row weights of the masked mean over tokens: (n, 1, L), m_il / L_i. */
static rs_tensor *
token_mean_weights(rs_graph *g, const int *ids, const int *len, int n, int L)
{
    rs_tensor *w = constant(g, 3, (int[]){n, 1, L});
    if (w == NULL)
        return NULL;
    for (int i = 0; i < n; i++)
        for (int l = 0; l < L; l++) {
            size_t k = (size_t)i * (size_t)L + (size_t)l;
            w->data[k] = ids[k] != 0 ? 1.0f / (float)len[i] : 0.0f;
        }
    return w;
}

/* Symmetric cross-entropy of two logit matrices with shared targets and
 * row weights: 1/2 (CE(a) + CE(b)). */
static rs_tensor *
symmetric_ce(rs_graph *g, rs_tensor *a, rs_tensor *b, const int *tgt,
             const float *w)
{
    rs_tensor *ca = rs_op_cross_entropy(g, a, tgt, w);
    rs_tensor *cb = rs_op_cross_entropy(g, b, tgt, w);
    return rs_op_scale(g, rs_op_add(g, ca, cb), 0.5f);
}

/* L_g (1); *correct gets the rows whose first maximum is their own
 * caption. */
static rs_tensor *
global_loss(rs_graph *g, rs_tensor *v, rs_tensor *t, const int *ids,
            const int *len, rs_tensor *inv_tau, double *correct)
{
    int n = v->shape[0], P = v->shape[1], d = v->shape[2], L = t->shape[1];
    rs_tensor *wv = constant(g, 3, (int[]){n, 1, P});
    rs_tensor *wt = token_mean_weights(g, ids, len, n, L);
    if (wv == NULL || wt == NULL)
        return NULL;
    for (size_t k = 0; k < wv->numel; k++)
        wv->data[k] = 1.0f / (float)P;
    rs_tensor *vb = rs_op_matmul(g, wv, v, false, false); /* (n, 1, d) */
    rs_tensor *tb = rs_op_matmul(g, wt, t, false, false);
    vb =
        rs_op_normalize_l2(g, rs_op_reshape(g, vb, 2, (int[]){n, d}), NORM_EPS);
    tb =
        rs_op_normalize_l2(g, rs_op_reshape(g, tb, 2, (int[]){n, d}), NORM_EPS);
    rs_tensor *it = rs_op_mul(g, rs_op_matmul(g, vb, tb, false, true), inv_tau);
    rs_tensor *ti = rs_op_mul(g, rs_op_matmul(g, tb, vb, false, true), inv_tau);
    if (it == NULL || ti == NULL)
        return NULL;
    int *tgt = scratch(g, (size_t)n * sizeof *tgt);
    float *w = scratch(g, (size_t)n * sizeof *w);
    double hit = 0.0;
    for (int i = 0; i < n; i++) {
        tgt[i] = i;
        w[i] = len[i] > 0 ? 1.0f : 0.0f;
        const float *row = it->data + (size_t)i * (size_t)n;
        int best = 0;
        for (int j = 1; j < n; j++)
            if (row[j] > row[best])
                best = j;
        hit += len[i] > 0 && best == i;
    }
    *correct = hit;
    return symmetric_ce(g, it, ti, tgt, w);
}

/* L_f (6) with the caption's tokens as negatives: (n, L, L) logits. */
static rs_tensor *
fine_caption(rs_graph *g, rs_tensor *cn, rs_tensor *tn, const int *ids,
             const int *len, rs_tensor *inv_tau_f)
{
    int n = cn->shape[0], L = cn->shape[1];
    rs_tensor *mask = constant(g, 3, (int[]){n, L, L});
    if (mask == NULL)
        return NULL;
    int *tgt = scratch(g, (size_t)n * (size_t)L * sizeof *tgt);
    float *w = scratch(g, (size_t)n * (size_t)L * sizeof *w);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < L; j++) {
            size_t r = (size_t)i * (size_t)L + (size_t)j;
            tgt[r] = j;
            w[r] = ids[r] != 0 ? 1.0f / (float)len[i] : 0.0f;
            for (int k = 0; k < L; k++)
                mask->data[r * (size_t)L + (size_t)k] =
                    ids[(size_t)i * (size_t)L + (size_t)k] != 0 ? 0.0f
                                                                : -INFINITY;
        }
    /* row j: c_j against t_k; and t_j against c_k */
    rs_tensor *ct =
        rs_op_mul(g, rs_op_matmul(g, cn, tn, false, true), inv_tau_f);
    rs_tensor *tc =
        rs_op_mul(g, rs_op_matmul(g, tn, cn, false, true), inv_tau_f);
    return symmetric_ce(g, rs_op_add(g, ct, mask), rs_op_add(g, tc, mask), tgt,
                        w);
}

/* L_f with every token of the batch as a negative, except other tokens
 * of the same id: (nL, nL) logits. */
static rs_tensor *
fine_batch(rs_graph *g, rs_tensor *cn, rs_tensor *tn, const int *ids,
           const int *len, rs_tensor *inv_tau_f)
{
    int n = cn->shape[0], L = cn->shape[1], d = cn->shape[2];
    int N = n * L;
    rs_tensor *mask = constant(g, 2, (int[]){N, N});
    if (mask == NULL)
        return NULL;
    int *tgt = scratch(g, (size_t)N * sizeof *tgt);
    float *w = scratch(g, (size_t)N * sizeof *w);
    for (int r = 0; r < N; r++) {
        tgt[r] = r;
        w[r] = ids[r] != 0 ? 1.0f / (float)len[r / L] : 0.0f;
        for (int k = 0; k < N; k++)
            mask->data[(size_t)r * (size_t)N + (size_t)k] =
                ids[k] == 0 || (k != r && ids[k] == ids[r]) ? -INFINITY : 0.0f;
    }
    rs_tensor *c2 = rs_op_reshape(g, cn, 2, (int[]){N, d});
    rs_tensor *t2 = rs_op_reshape(g, tn, 2, (int[]){N, d});
    rs_tensor *ct =
        rs_op_mul(g, rs_op_matmul(g, c2, t2, false, true), inv_tau_f);
    rs_tensor *tc =
        rs_op_mul(g, rs_op_matmul(g, t2, c2, false, true), inv_tau_f);
    return symmetric_ce(g, rs_op_add(g, ct, mask), rs_op_add(g, tc, mask), tgt,
                        w);
}

static rs_tensor *
fine_loss(rs_graph *g, const struct rs_obj_sparc_config *cfg, rs_tensor *v,
          rs_tensor *t, const int *ids, const int *len, rs_tensor *inv_tau_f)
{
    rs_tensor *a = rs_obj_sparc_align(g, cfg, t, v, inv_tau_f); /* (n,L,P) */
    rs_tensor *cv = rs_op_matmul(g, a, v, false, false);        /* (n,L,d) */
    rs_tensor *cn = rs_op_normalize_l2(g, cv, NORM_EPS);
    rs_tensor *tn = rs_op_normalize_l2(g, t, NORM_EPS);
    if (cn == NULL || tn == NULL)
        return NULL;
    if (cfg->negatives == RS_OBJ_SPARC_BATCH)
        return fine_batch(g, cn, tn, ids, len, inv_tau_f);
    return fine_caption(g, cn, tn, ids, len, inv_tau_f);
}

static rs_tensor *
sparc_loss(rs_objective *o, struct rs_obj_ctx *c, struct rs_obj_stats *st)
{
    const struct sparc *k = rs_objective_impl(o);
    const struct rs_obj_sparc_config *cfg = &k->cfg;
    const char *kind = rs_objective_kind(o);
    const struct rs_batch *b = c->batch;
    rs_graph *g = c->g;
    c->out = NULL;
    if (b->ninputs != 2 || b->in[0].kind != RS_NN_INPUT_FEATURES ||
        b->in[1].kind != RS_NN_INPUT_TOKENS) {
        rs_graph_fail(g, RS_EINVAL,
                      "%s: a batch of (image features, caption tokens) is "
                      "needed",
                      kind);
        return NULL;
    }
    int n = b->n, L = b->in[1].width;
    const int *ids = b->in[1].ids;
    rs_tensor *v = rs_obj_forward(c, c->modules[0], 0);
    rs_tensor *t = rs_obj_forward(c, c->modules[1], 1);
    if (v == NULL || t == NULL)
        return NULL;
    if (v->ndim != 3 || v->shape[0] != n || t->ndim != 3 || t->shape[0] != n ||
        t->shape[1] != L || t->shape[2] != v->shape[2]) {
        char bv[64], bt[64];
        rs_graph_fail(g, RS_ESHAPE,
                      "%s: the image encoder gives %s, the text encoder "
                      "%s for %d examples of %d tokens ((n, P, d) and (n, "
                      "L, d) are needed)",
                      kind, rs_tensor_shape_str(v, bv, sizeof bv),
                      rs_tensor_shape_str(t, bt, sizeof bt), n, L);
        return NULL;
    }
    c->out = v;
    rs_tensor *inv_tau = inv_temperature(c, 2, kind);
    rs_tensor *inv_tau_f = cfg->tau_f ? inv_temperature(c, 3, kind) : inv_tau;
    if (inv_tau == NULL || inv_tau_f == NULL)
        return NULL;
    int *len = scratch(g, (size_t)n * sizeof *len);
    int caps = 0;
    for (int i = 0; i < n; i++) {
        len[i] = 0;
        for (int l = 0; l < L; l++)
            len[i] += ids[(size_t)i * (size_t)L + (size_t)l] != 0;
        caps += len[i] > 0;
    }
    if (caps == 0) {
        rs_graph_fail(g, RS_EINVAL,
                      "%s: every caption of the batch is "
                      "padding",
                      kind);
        return NULL;
    }
    double correct = 0.0;
    bool grad = rs_graph_grad_enabled(g);
    rs_graph_set_grad(g, grad && cfg->lambda_g > 0.0);
    rs_tensor *lg = global_loss(g, v, t, ids, len, inv_tau, &correct);
    rs_graph_set_grad(g, grad && cfg->lambda_f > 0.0);
    rs_tensor *lf = fine_loss(g, cfg, v, t, ids, len, inv_tau_f);
    rs_graph_set_grad(g, grad);
    if (lg == NULL || lf == NULL)
        return NULL;
    rs_tensor *loss = rs_op_add(g, rs_op_scale(g, lg, (float)cfg->lambda_g),
                                rs_op_scale(g, lf, (float)cfg->lambda_f));
    if (loss == NULL)
        return NULL;
    st->correct = correct;
    st->count = (double)caps;
    st->nextra = 2;
    st->extra[0].name = "loss_g";
    st->extra[0].value = (double)lg->data[0];
    st->extra[1].name = "loss_f";
    st->extra[1].value = (double)lf->data[0];
    return loss;
}

static void
sparc_destroy(void *impl)
{
    free(impl);
}

static const struct rs_objective_class clip_class = {
    .kind = "clip",
    .check = sparc_check,
    .loss = sparc_loss,
    .destroy = sparc_destroy,
};

static const struct rs_objective_class sparc_class = {
    .kind = "sparc",
    .check = sparc_check,
    .loss = sparc_loss,
    .destroy = sparc_destroy,
};

static bool
weight_ok(double w)
{
    return isfinite(w) && w >= 0.0;
}

rs_objective *
rs_objective_clip(struct rs_error *err)
{
    (void)err;
    struct sparc *k = rs_xcalloc(1, sizeof *k);
    rs_obj_sparc_config_default(&k->cfg);
    k->cfg.lambda_g = 1.0;
    k->cfg.lambda_f = 0.0;
    return rs_objective_new(&clip_class, k);
}

rs_objective *
rs_objective_sparc(const struct rs_obj_sparc_config *cfg, struct rs_error *err)
{
    if (!weight_ok(cfg->lambda_g) || !weight_ok(cfg->lambda_f)) {
        rs_error_set(err, RS_EINVAL,
                     "sparc: lambda_g = %g, lambda_f = %g (must be finite "
                     "and >= 0)",
                     cfg->lambda_g, cfg->lambda_f);
        return NULL;
    }
    if (!(cfg->lambda_g + cfg->lambda_f > 0.0)) {
        rs_error_set(err, RS_EINVAL,
                     "sparc: lambda_g and lambda_f are both 0 (nothing to "
                     "train)");
        return NULL;
    }
    if (!weight_ok(cfg->sigma_mult)) {
        rs_error_set(err, RS_EINVAL,
                     "sparc: sigma_mult = %g (must be finite and >= 0)",
                     cfg->sigma_mult);
        return NULL;
    }
    if ((unsigned)cfg->align > RS_OBJ_SPARC_SOFTMAX ||
        (unsigned)cfg->negatives > RS_OBJ_SPARC_BATCH) {
        rs_error_set(err, RS_EINVAL, "sparc: unknown align %d or negatives %d",
                     (int)cfg->align, (int)cfg->negatives);
        return NULL;
    }
    struct sparc *k = rs_xcalloc(1, sizeof *k);
    k->cfg = *cfg;
    return rs_objective_new(&sparc_class, k);
}
