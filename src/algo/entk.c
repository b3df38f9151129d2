/* repscope - MIT licence, see COPYING.
 *
 * entk.c: the empirical NTK of a learner's model (see entk.h). One
 * forward and one seeded backward per example on the learner's graph;
 * the gradients go into rows of J, K = J J^T by GEMM, in blocks when J
 * does not fit the budget. Reads the learner's struct (learner_impl.h)
 * as lm_eval.c does: its graph, modules, parameters and probe batch.
 * Worker thread only.
 */
#include "config.h"

#include "algo/entk.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "algo/learner_impl.h"
#include "core/blas.h"
#include "core/linalg.h"

void
rs_entk_spec_default(struct rs_entk_spec *s)
{
    memset(s, 0, sizeof *s);
    s->n = 64;
    s->split = RS_SPLIT_TRAIN;
    s->output = RS_ENTK_SUM;
}

void
rs_entk_init(struct rs_entk *e)
{
    memset(e, 0, sizeof *e);
}

void
rs_entk_fini(struct rs_entk *e)
{
    free(e->K);
    free(e->eig);
    free(e->work);
    memset(e, 0, sizeof *e);
}

static int
check_spec(const struct rs_entk_spec *s, struct rs_error *err)
{
    if (s->n < 1 || s->n > RS_ENTK_MAX_N)
        return rs_error_set(err, RS_EINVAL, "n = %d (must be in 1..%d)", s->n,
                            RS_ENTK_MAX_N);
    if (s->split != RS_SPLIT_TRAIN && s->split != RS_SPLIT_TEST)
        return rs_error_set(err, RS_EINVAL, "split %d is unknown",
                            (int)s->split);
    if (s->output < RS_ENTK_SUM)
        return rs_error_set(err, RS_EINVAL,
                            "output = %d (must be a column >= 0, or the sum)",
                            s->output);
    return RS_OK;
}

/* ---- the examples -------------------------------------------------------- */

/* The first n examples of split (finite) or n from the evaluation stream
 * (generators) into l->ebatch; *m gets how many. */
static int
fetch(rs_learner *l, const struct rs_entk_spec *s, int *m, struct rs_error *err)
{
    if (l->ntrain > 0) {
        int count = rs_source_count(l->src, s->split);
        if (count < 1)
            return rs_error_set(err, RS_EINVAL, "the %s split is empty",
                                rs_dataset_split_name(s->split));
        *m = s->n < count ? s->n : count;
        return rs_source_fetch(l->src, s->split, NULL, *m, &l->ebatch, err);
    }
    struct rs_rng r;
    rs_learner_eval_rng(l, l->cfg.eval_len, &r);
    *m = s->n;
    return rs_source_draw(l->src, &r, *m, l->cfg.eval_len, &l->ebatch, err);
}

/* b1 = example i of b, borrowing b's buffers (never reserved or
 * finalised). */
static void
row_view(const struct rs_batch *b, int i, struct rs_batch *b1)
{
    *b1 = *b;
    b1->n = 1;
    for (int k = 0; k < b->ninputs; k++) {
        size_t off = (size_t)i * (size_t)b->in[k].width;
        if (b->in[k].x != NULL)
            b1->in[k].x = b->in[k].x + off;
        if (b->in[k].ids != NULL)
            b1->in[k].ids = b->in[k].ids + off;
    }
    if (b->y != NULL)
        b1->y = b->y + i;
}

/* ---- gradients ----------------------------------------------------------- */

/* What the passes share. */
struct pass {
    rs_learner *l;
    const struct rs_entk_spec *spec;
    size_t P;    /* floats per row of J */
    float *seed; /* (cap) */
    int cap;
};

/* "bias" or a name ending in ".bias". */
static bool
is_bias(const char *name)
{
    size_t n = strlen(name);
    return strcmp(name, "bias") == 0 ||
           (n > 5 && strcmp(name + n - 5, ".bias") == 0);
}

/* row (P floats) = grad_theta f(x_i); the parameters' gradients are zero
 * before and after. */
static int
example_grad(struct pass *ps, int i, float *row, struct rs_error *err)
{
    rs_learner *l = ps->l;
    rs_graph_reset(l->g);
    struct rs_batch b1;
    row_view(&l->ebatch, i, &b1);
    struct rs_obj_ctx c;
    rs_learner_ctx(l, &c, &b1, false);
    rs_tensor *o = rs_obj_forward(&c, l->mod[0], 0);
    if (o == NULL)
        return rs_learner_graph_error(l, err);
    if (o->ndim < 1 || rs_tensor_rows(o) != 1)
        return rs_error_set(err, RS_EINVAL,
                            "the model gives %zu output rows per example (one "
                            "expected: outputs (n, classes))",
                            o->ndim < 1 ? (size_t)0 : rs_tensor_rows(o));
    int k = rs_tensor_cols(o);
    if (ps->spec->output >= k)
        return rs_error_set(err, RS_EINVAL,
                            "output = %d (the model has %d outputs)",
                            ps->spec->output, k);
    if (k > ps->cap) {
        ps->seed = rs_xreallocarray(ps->seed, (size_t)k, sizeof *ps->seed);
        ps->cap = k;
    }
    /* d f / d out: ones for the sum, the one-hot of the column */
    for (int j = 0; j < k; j++)
        ps->seed[j] = ps->spec->output == RS_ENTK_SUM ? 1.0f
                      : j == ps->spec->output         ? 1.0f
                                                      : 0.0f;
    int rc = rs_graph_backward_seed(l->g, o, ps->seed, err);
    rs_nn_model *p = l->params;
    size_t off = 0;
    for (int t = 0; t < rs_nn_model_count(p); t++) {
        rs_tensor *w = rs_nn_model_param(p, t);
        size_t bytes = w->numel * sizeof *row;
        bool skip = ps->spec->weights_only &&
                    is_bias(rs_nn_model_param_name(p, t));
        if (w->grad != NULL && rc == RS_OK && !skip)
            memcpy(row + off, w->grad, bytes);
        else
            memset(row + off, 0, bytes);
        if (w->grad != NULL)
            memset(w->grad, 0, bytes);
        off += w->numel;
    }
    rs_graph_reset(l->g);
    return rc;
}

/* Rows i0..i1 of J into buf ((i1 - i0) rows of P). */
static int
block_grads(struct pass *ps, int i0, int i1, float *buf, struct rs_error *err)
{
    for (int i = i0; i < i1; i++) {
        int rc = example_grad(ps, i, buf + (size_t)(i - i0) * ps->P, err);
        if (rc != RS_OK)
            return rc;
    }
    return RS_OK;
}

/* K (m, m) = J J^T, the lower triangle by blocks of h rows (the
 * diagonal blocks whole), then mirrored. a, b: room for h rows each (b
 * only when h < m). */
static int
gram(struct pass *ps, int m, int h, float *a, float *b, float *K,
     struct rs_error *err)
{
    int ldp = (int)ps->P;
    int rc = RS_OK;
    for (int i0 = 0; i0 < m && rc == RS_OK; i0 += h) {
        int ni = m - i0 < h ? m - i0 : h;
        rc = block_grads(ps, i0, i0 + ni, a, err);
        if (rc != RS_OK)
            break;
        /* K[i0.., i0..] = A A^T */
        rs_blas_sgemm(false, true, ni, ni, ldp, 1.0f, a, ldp, a, ldp, 0.0f,
                      K + (size_t)i0 * (size_t)m + (size_t)i0, m);
        for (int j0 = i0 + ni; j0 < m && rc == RS_OK; j0 += h) {
            int nj = m - j0 < h ? m - j0 : h;
            rc = block_grads(ps, j0, j0 + nj, b, err);
            /* K[j0.., i0..] = B A^T (below the diagonal) */
            if (rc == RS_OK)
                rs_blas_sgemm(false, true, nj, ni, ldp, 1.0f, b, ldp, a, ldp,
                              0.0f, K + (size_t)j0 * (size_t)m + (size_t)i0, m);
        }
    }
    /* exactly symmetric: the upper triangle is the lower one */
    for (int i = 0; rc == RS_OK && i < m; i++)
        for (int j = 0; j < i; j++)
            K[(size_t)j * (size_t)m + (size_t)i] =
                K[(size_t)i * (size_t)m + (size_t)j];
    return rc;
}

/* Room in e for an m x m kernel and `floats` of J; RS_ENOMEM (e keeps
 * what it had) when the allocation fails. */
static int
reserve(struct rs_entk *e, int m, size_t floats, struct rs_error *err)
{
    if (m > e->cap) {
        float *K = realloc(e->K, (size_t)m * (size_t)m * sizeof *K);
        if (K != NULL)
            e->K = K;
        double *eig =
            K != NULL ? realloc(e->eig, (size_t)m * sizeof *eig) : NULL;
        if (eig != NULL)
            e->eig = eig;
        if (K == NULL || eig == NULL)
            return rs_error_set(err, RS_ENOMEM,
                                "cannot allocate a %d x %d kernel", m, m);
        e->cap = m;
    }
    if (floats > e->work_cap) {
        /* no copy of the old contents: free, then allocate */
        free(e->work);
        e->work = malloc(floats * sizeof *e->work);
        e->work_cap = e->work != NULL ? floats : 0;
        if (e->work == NULL)
            return rs_error_set(err, RS_ENOMEM,
                                "cannot hold %zu floats of gradients", floats);
    }
    return RS_OK;
}

/* ---- the kernel ---------------------------------------------------------- */

/* A copy of the parameters' gradients if any is non-zero (a Lua backward
 * pending), else NULL; the gradients are zero afterwards. */
static float *
take_pending(rs_nn_model *p, size_t P)
{
    float *save = NULL;
    size_t off = 0;
    for (int t = 0; t < rs_nn_model_count(p); t++) {
        rs_tensor *w = rs_nn_model_param(p, t);
        for (size_t j = 0; w->grad != NULL && j < w->numel; j++) {
            if (w->grad[j] == 0.0f && !signbit(w->grad[j]))
                continue;
            if (save == NULL)
                save = rs_xcalloc(P > 0 ? P : 1, sizeof *save);
            memcpy(save + off, w->grad, w->numel * sizeof *save);
            memset(w->grad, 0, w->numel * sizeof *save);
            break;
        }
        off += w->numel;
    }
    return save;
}

static void
give_back(rs_nn_model *p, const float *save)
{
    size_t off = 0;
    for (int t = 0; save != NULL && t < rs_nn_model_count(p); t++) {
        rs_tensor *w = rs_nn_model_param(p, t);
        if (w->grad != NULL)
            memcpy(w->grad, save + off, w->numel * sizeof *save);
        off += w->numel;
    }
}

int
rs_entk(rs_learner *l, const struct rs_entk_spec *spec, struct rs_entk *e,
        struct rs_error *err)
{
    e->n = 0;
    int rc = check_spec(spec, err);
    if (rc != RS_OK)
        return rc;
    size_t P = rs_nn_model_numel(l->params);
    if (P < 1 || P > (size_t)INT32_MAX)
        return rs_error_set(err, RS_EINVAL, "%zu parameters (must be in 1..%d)",
                            P, (int)INT32_MAX);
    l->probe_valid = false;
    rs_graph_reset(l->g);
    int m = 0;
    rc = fetch(l, spec, &m, err);
    if (rc != RS_OK)
        return rc;
    size_t budget = spec->budget > 0 ? spec->budget : RS_ENTK_BUDGET;
    /* all m rows at once when they fit, else two blocks of h */
    size_t h = (size_t)m * P <= budget ? (size_t)m : budget / (2 * P);
    h = h < 1 ? 1 : h;
    rc = reserve(e, m, (h < (size_t)m ? 2 : 1) * h * P, err);
    if (rc != RS_OK)
        return rc;
    struct pass ps = {.l = l, .spec = spec, .P = P};
    float *pending = take_pending(l->params, P);
    bool grad = rs_graph_grad_enabled(l->g);
    rs_graph_set_grad(l->g, true);
    rc = gram(&ps, m, (int)h, e->work, e->work + h * P, e->K, err);
    rs_graph_set_grad(l->g, grad);
    rs_graph_reset(l->g);
    give_back(l->params, pending);
    free(pending);
    free(ps.seed);
    if (rc == RS_OK)
        rc = rs_entk_summary(e->K, m, &e->trace, &e->erank, &e->offdiag, e->eig,
                             err);
    if (rc != RS_OK)
        return rc;
    e->n = m;
    e->params = (long)P;
    return RS_OK;
}

int
rs_entk_summary(const float *K, int n, double *trace, double *erank,
                double *offdiag, double *eig, struct rs_error *err)
{
    if (n < 1)
        return rs_error_set(err, RS_EINVAL, "a %d x %d kernel", n, n);
    size_t nn = (size_t)n * (size_t)n;
    double *a = malloc(nn * sizeof *a);
    double *w = malloc((size_t)n * sizeof *w);
    int rc = RS_OK;
    if (a == NULL || w == NULL) {
        rc = rs_error_set(err, RS_ENOMEM, "cannot allocate a %d x %d kernel", n,
                          n);
        goto out;
    }
    for (size_t i = 0; i < nn; i++)
        a[i] = (double)K[i];
    rc = rs_linalg_sym_eigvals_double(a, n, w, err);
    if (rc != RS_OK)
        goto out;
    double diag = 0.0, off = 0.0, total = 0.0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double v = a[(size_t)i * (size_t)n + (size_t)j];
            if (i == j)
                diag += v;
            else
                off += fabs(v);
        }
    for (int k = 0; k < n; k++)
        total += w[k] > 0.0 ? w[k] : 0.0;
    double h = 0.0;
    for (int k = 0; total > 0.0 && k < n; k++) {
        double p = (w[k] > 0.0 ? w[k] : 0.0) / total;
        if (p > 0.0)
            h -= p * log(p);
    }
    *trace = diag;
    *erank = total > 0.0 ? exp(h) : 0.0;
    /* mean |K_ij| over n (n - 1) pairs, over the mean diagonal diag / n */
    *offdiag =
        n > 1 && diag > 0.0 ? (off / ((double)n * (n - 1))) / (diag / n) : 0.0;
    if (eig != NULL)
        memcpy(eig, w, (size_t)n * sizeof *w);
out:
    free(a);
    free(w);
    return rc;
}

void
rs_entk_log(rs_learner *l, const struct rs_entk *e)
{
    rs_learner_log_value(l, "probe/entk/erank", e->erank);
    rs_learner_log_value(l, "probe/entk/offdiag", e->offdiag);
    rs_learner_publish_matrix(l, "entk", e->n, e->n, e->K);
}
