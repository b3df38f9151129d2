/* repscope - MIT licence, see COPYING.
 *
 * sparc_eval.c: the image-text instruments (sparc_eval.h). One no-grad
 * forward of both encoders over the n examples on the learner's graph
 * (like an evaluation: the graph is reset before and after, any probe
 * cache is dropped), the alignment weights through the objective's own
 * rs_obj_sparc_align, then every statistic in double from the arena
 * tensors. A learner-level instrument, so it reads the learner's struct
 * (learner_impl.h) as learner_probe.c does. Worker thread only.
 */
#include "config.h"

#include "algo/sparc_eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "algo/learner_impl.h"
#include "algo/objective.h"
#include "core/ops.h"

void
rs_sparc_eval_fini(struct rs_sparc_eval *out)
{
    free(out->align);
    free(out->ids);
    free(out->pred);
    out->align = NULL;
    out->ids = NULL;
    out->pred = NULL;
}

void
rs_sparc_eval_log(const rs_learner *l, const struct rs_sparc_eval *ev)
{
    if (l->log == NULL)
        return;
    const char *const names[4] = {"patch_acc", "r1", "align_entropy",
                                  "align_mass"};
    const double vals[4] = {ev->patch_acc, ev->r1, ev->align_entropy,
                            ev->align_mass};
    for (int i = 0; i < 4; i++) {
        char name[RS_NAME_MAX];
        l->log(l->log_ud, rs_learner_metric(l, name, "eval", names[i], NULL),
               vals[i]);
    }
}

/* x / |x| into y (d), in double; a zero x stays 0. */
static void
unit(double *y, const float *x, int d)
{
    double s = 0.0;
    for (int j = 0; j < d; j++)
        s += (double)x[j] * (double)x[j];
    s = s > 0.0 ? 1.0 / sqrt(s) : 0.0;
    for (int j = 0; j < d; j++)
        y[j] = (double)x[j] * s;
}

static double
dot(const double *a, const double *b, int d)
{
    double s = 0.0;
    for (int j = 0; j < d; j++)
        s += a[j] * b[j];
    return s;
}

static int
check_spec(const rs_learner *l, const struct rs_sparc_eval_spec *sp,
           struct rs_error *err)
{
    const struct rs_source_info *si = &l->si;
    if (l->nmod < 3 || si->ninputs != 2 ||
        si->kind[0] != RS_NN_INPUT_FEATURES ||
        si->kind[1] != RS_NN_INPUT_TOKENS)
        return rs_error_set(err, RS_EINVAL,
                            "sparc_eval: the learner is not an image-text "
                            "pair (3 modules, a features + tokens source)");
    if (rs_source_is_generator(l->src))
        return rs_error_set(err, RS_EINVAL,
                            "sparc_eval: the source is a generator (a "
                            "finite source is needed)");
    int count = rs_source_count(l->src, sp->split);
    if (sp->n < 1 || sp->n > count)
        return rs_error_set(err, RS_EINVAL,
                            "sparc_eval: n = %d (the split has %d examples)",
                            sp->n, count);
    if (sp->example < 0 || sp->example >= sp->n)
        return rs_error_set(err, RS_EINVAL,
                            "sparc_eval: example = %d (must be in 0..%d)",
                            sp->example, sp->n - 1);
    if (sp->classes < 1 || sp->class_ids == NULL)
        return rs_error_set(err, RS_EINVAL,
                            "sparc_eval: %d class words (at least 1 is "
                            "needed)",
                            sp->classes);
    for (int k = 0; k < sp->classes; k++)
        if (sp->class_ids[k] < 1 || sp->class_ids[k] >= si->vocab[1])
            return rs_error_set(err, RS_EINVAL,
                                "sparc_eval: class word %d has id %d (must "
                                "be in 1..%d)",
                                k, sp->class_ids[k], si->vocab[1] - 1);
    return RS_OK;
}

/* 1 / tau_f for softmax alignment: exp(-modules[i] output). */
static rs_tensor *
inv_tau(rs_learner *l, int i)
{
    rs_graph *g = l->g;
    rs_tensor *z = rs_graph_tensor(g, 2, (int[]){1, 1});
    if (z == NULL)
        return NULL;
    z->data[0] = 0.0f;
    rs_tensor *lt = rs_nn_module_forward(l->mod[i], g, z);
    if (lt != NULL && lt->numel != 1) {
        rs_graph_fail(g, RS_ESHAPE,
                      "sparc_eval: module %d gives %zu numbers "
                      "(the log-temperature is one)",
                      i + 1, lt->numel);
        return NULL;
    }
    return rs_op_exp(g, rs_op_scale(g, lt, -1.0f));
}

/* The statistics from v (n, P, d), t (n, L, d), a (n, L, P) and the
 * class-word embeddings e (K, d). */
static void
measure(const struct rs_sparc_eval_spec *sp, const int *ids, const float *v,
        const float *t, const float *a, const float *e, int n, int P, int L,
        int d, struct rs_sparc_eval *out)
{
    int K = sp->classes;
    double *eu = rs_xcalloc((size_t)K * (size_t)d, sizeof *eu);
    double *x = rs_xcalloc((size_t)d, sizeof *x);
    double *vb = rs_xcalloc((size_t)n * (size_t)d, sizeof *vb);
    double *tb = rs_xcalloc((size_t)n * (size_t)d, sizeof *tb);
    float *acc = rs_xcalloc((size_t)d, sizeof *acc);
    for (int k = 0; k < K; k++)
        unit(eu + (size_t)k * (size_t)d, e + (size_t)k * (size_t)d, d);

    double hit = 0.0, seen = 0.0;
    out->pred = rs_xcalloc((size_t)P, sizeof *out->pred);
    for (int i = 0; i < n; i++)
        for (int p = 0; p < P; p++) {
            int pc = sp->patch_class != NULL
                         ? sp->patch_class[(size_t)i * (size_t)P + (size_t)p]
                         : -1;
            bool scored = pc >= 0 && pc < K;
            if (!scored && i != sp->example)
                continue;
            unit(x, v + ((size_t)i * (size_t)P + (size_t)p) * (size_t)d, d);
            int best = 0;
            double bs = dot(x, eu, d);
            for (int k = 1; k < K; k++) {
                double s = dot(x, eu + (size_t)k * (size_t)d, d);
                if (s > bs) {
                    bs = s;
                    best = k;
                }
            }
            if (i == sp->example)
                out->pred[p] = best;
            if (scored) {
                hit += best == pc;
                seen += 1.0;
            }
        }
    out->patch_acc = seen > 0.0 ? hit / seen : (double)NAN;

    /* global embeddings: mean patch, mean non-pad token, unit */
    int *len = rs_xcalloc((size_t)n, sizeof *len);
    for (int i = 0; i < n; i++) {
        memset(acc, 0, (size_t)d * sizeof *acc);
        for (int p = 0; p < P; p++)
            for (int j = 0; j < d; j++)
                acc[j] += v[((size_t)i * (size_t)P + (size_t)p) * (size_t)d +
                            (size_t)j] /
                          (float)P;
        unit(vb + (size_t)i * (size_t)d, acc, d);
        memset(acc, 0, (size_t)d * sizeof *acc);
        for (int l = 0; l < L; l++) {
            size_t r = (size_t)i * (size_t)L + (size_t)l;
            if (ids[r] == 0)
                continue;
            len[i]++;
            for (int j = 0; j < d; j++)
                acc[j] += t[r * (size_t)d + (size_t)j];
        }
        unit(tb + (size_t)i * (size_t)d, acc, d);
    }
    double i2t = 0.0, t2i = 0.0, caps = 0.0;
    for (int i = 0; i < n; i++) {
        if (len[i] == 0)
            continue;
        caps += 1.0;
        int bi = 0, bt = 0;
        double si = -INFINITY, st = -INFINITY;
        for (int j = 0; j < n; j++) {
            double s1 =
                dot(vb + (size_t)i * (size_t)d, tb + (size_t)j * (size_t)d, d);
            double s2 =
                dot(tb + (size_t)i * (size_t)d, vb + (size_t)j * (size_t)d, d);
            if (s1 > si) {
                si = s1;
                bi = j;
            }
            if (s2 > st) {
                st = s2;
                bt = j;
            }
        }
        i2t += bi == i;
        t2i += bt == i;
    }
    out->r1_i2t = caps > 0.0 ? i2t / caps : (double)NAN;
    out->r1_t2i = caps > 0.0 ? t2i / caps : (double)NAN;
    out->r1 = 0.5 * (out->r1_i2t + out->r1_t2i);

    double ent = 0.0, toks = 0.0, mass = 0.0, words = 0.0;
    for (int i = 0; i < n; i++)
        for (int l = 0; l < L; l++) {
            size_t r = (size_t)i * (size_t)L + (size_t)l;
            if (ids[r] == 0)
                continue;
            const float *ar = a + r * (size_t)P;
            double h = 0.0;
            for (int p = 0; p < P; p++)
                if (ar[p] > 0.0f)
                    h -= (double)ar[p] * log((double)ar[p]);
            ent += h;
            toks += 1.0;
            int k = 0;
            while (k < K && sp->class_ids[k] != ids[r])
                k++;
            if (k == K || sp->patch_class == NULL ||
                (sp->word_item != NULL && sp->word_item[r] < 0))
                continue;
            double m = 0.0;
            for (int p = 0; p < P; p++)
                if (sp->patch_class[(size_t)i * (size_t)P + (size_t)p] == k)
                    m += (double)ar[p];
            mass += m;
            words += 1.0;
        }
    out->align_entropy = toks > 0.0 ? ent / toks : (double)NAN;
    out->align_mass = words > 0.0 ? mass / words : (double)NAN;

    out->L = L;
    out->P = P;
    out->align = rs_xcalloc((size_t)L * (size_t)P, sizeof *out->align);
    out->ids = rs_xcalloc((size_t)L, sizeof *out->ids);
    for (int l = 0; l < L; l++) {
        size_t r = (size_t)sp->example * (size_t)L + (size_t)l;
        out->ids[l] = ids[r];
        if (ids[r] != 0)
            memcpy(out->align + (size_t)l * (size_t)P, a + r * (size_t)P,
                   (size_t)P * sizeof(float));
    }
    free(len);
    free(eu);
    free(x);
    free(vb);
    free(tb);
    free(acc);
}

int
rs_sparc_eval(rs_learner *l, const struct rs_sparc_eval_spec *sp,
              struct rs_sparc_eval *out, struct rs_error *err)
{
    memset(out, 0, sizeof *out);
    if (check_spec(l, sp, err) != RS_OK)
        return RS_EINVAL;
    struct rs_obj_sparc_config dflt;
    rs_obj_sparc_config_default(&dflt);
    const struct rs_obj_sparc_config *cfg = sp->align;
    if (cfg == NULL)
        cfg = rs_objective_sparc_config(l->obj);
    if (cfg == NULL)
        cfg = &dflt;
    if (cfg->tau_f && l->nmod < 4)
        return rs_error_set(err, RS_EINVAL,
                            "sparc_eval: tau_f needs a fourth module");
    l->probe_valid = false;
    rs_graph *g = l->g;
    rs_graph_reset(g);
    int rc = rs_source_fetch(l->src, sp->split, NULL, sp->n, &l->ebatch, err);
    if (rc != RS_OK)
        return rc;
    rs_graph_set_grad(g, false);
    struct rs_obj_ctx c;
    rs_learner_ctx(l, &c, &l->ebatch, false);
    rs_tensor *v = rs_obj_forward(&c, l->mod[0], 0);
    rs_tensor *t = rs_obj_forward(&c, l->mod[1], 1);
    rs_tensor *itf = NULL;
    if (cfg->align == RS_OBJ_SPARC_SOFTMAX)
        itf = inv_tau(l, cfg->tau_f ? 3 : 2);
    rs_tensor *a = rs_obj_sparc_align(g, cfg, t, v, itf);
    struct rs_nn_input in = {
        .kind = RS_NN_INPUT_TOKENS,
        .ids = sp->class_ids,
        .B = sp->classes,
        .T = 1,
    };
    rs_tensor *e = rs_nn_module_forward_input(l->mod[1], g, &in);
    int n = sp->n, L = l->ebatch.in[1].width;
    if (a != NULL && e != NULL &&
        (v->shape[0] != n || t->shape[1] != L || e->ndim != 3 ||
         e->shape[0] != sp->classes || e->shape[1] != 1 ||
         e->shape[2] != v->shape[2]))
        rs_graph_fail(g, RS_ESHAPE,
                      "sparc_eval: the encoders' outputs do not fit (n, P, "
                      "d) and (n, L, d)");
    if (rs_graph_error(g)->code != RS_OK || a == NULL || e == NULL) {
        rc = rs_learner_graph_error(l, err);
        rs_graph_set_grad(g, true);
        return rc;
    }
    measure(sp, l->ebatch.in[1].ids, v->data, t->data, a->data, e->data, n,
            v->shape[1], L, v->shape[2], out);
    rs_graph_set_grad(g, true);
    rs_graph_reset(g);
    return RS_OK;
}
