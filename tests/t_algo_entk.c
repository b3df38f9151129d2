/* repscope - MIT licence, see COPYING.
 *
 * t_algo_entk.c: the empirical NTK (algo/entk.h).
 *
 * A linear model y = W x + b, W (k, d): grad_W f = 1_k x^T and grad_b f =
 * 1_k for f = the sum of the outputs, so K = k (x_i . x_j + 1); for f =
 * output c, grad_W f = e_c x^T and grad_b f = e_c, so K = x_i . x_j + 1
 * (whatever W and b hold). Both are checked against the closed form in
 * double on random inputs; on orthonormal inputs (one-hot rows) K = k (I
 * + 1 1^T), whose eigenvalues are k (n + 1) once and k n - 1 times: the
 * erank and offdiag (1/2) follow in closed form. Then on an MLP with
 * LayerNorm and ReLU: K equals the kernel built the other way (one
 * batched forward, a backward seeded on each row, dot products in
 * double); blocks of J (a small budget) give the kernel of one block;
 * the learner's parameters, gradients (a pending one included), sampler
 * and optimiser are untouched (a step after the call equals a step
 * without it, bit for bit); the names logged and published; errors.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo/entk.h"
#include "algo/learner.h"
#include "core/graph.h"
#include "core/linalg.h"
#include "core/rng.h"
#include "data/dataset.h"
#include "data/source.h"
#include "nn/model.h"
#include "nn/module.h"
#include "tests/learn_fixture.h"
#include "tests/tap.h"

/* ---- a dataset of given features ---------------------------------------- */

struct table {
    int n, d, classes;
    float *x; /* (n, d); both splits serve the same rows */
};

static int
table_count(const void *impl, enum rs_split split)
{
    (void)split;
    return ((const struct table *)impl)->n;
}

static void
table_batch(const void *impl, enum rs_split split, const int *idx, int n,
            float *x, int *y)
{
    const struct table *t = impl;
    (void)split;
    for (int k = 0; k < n; k++) {
        int i = idx != NULL ? idx[k] : k;
        memcpy(x + (size_t)k * (size_t)t->d, t->x + (size_t)i * (size_t)t->d,
               (size_t)t->d * sizeof *x);
        if (y != NULL)
            y[k] = i % t->classes;
    }
}

static void
table_destroy(void *impl)
{
    struct table *t = impl;
    free(t->x);
    free(t);
}

static const struct rs_dataset_class table_class = {
    .kind = "table",
    .count = table_count,
    .batch = table_batch,
    .destroy = table_destroy,
};

/* n rows of d features: N(0, 1) from seed, or the one-hot e_(i mod d)
 * when onehot. */
static rs_source *
table_source(int n, int d, int classes, bool onehot, uint64_t seed)
{
    struct table *t = rs_xcalloc(1, sizeof *t);
    t->n = n;
    t->d = d;
    t->classes = classes;
    t->x = rs_xcalloc((size_t)n * (size_t)d, sizeof *t->x);
    struct rs_rng r;
    rs_rng_seed(&r, seed);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++)
            t->x[(size_t)i * (size_t)d + (size_t)j] =
                onehot ? (float)(j == i % d) : (float)rs_rng_normal(&r);
    rs_dataset *ds = rs_dataset_new(&table_class, t, d, classes);
    rs_source *s = rs_source_dataset(ds);
    rs_dataset_release(ds);
    return s;
}

/* The first n rows the source serves (the caller frees). */
static float *
rows_of(rs_source *s, int n, int d)
{
    struct rs_batch b;
    rs_batch_init(&b);
    struct rs_error err = {0};
    if (rs_source_fetch(s, RS_SPLIT_TRAIN, NULL, n, &b, &err) != RS_OK)
        tap_bail("fetch: %s", err.msg);
    float *x = rs_xcalloc((size_t)n * (size_t)d, sizeof *x);
    memcpy(x, b.in[0].x, (size_t)n * (size_t)d * sizeof *x);
    rs_batch_fini(&b);
    return x;
}

static rs_learner *
learner(rs_nn_module *m, rs_source *src, uint64_t seed)
{
    struct rs_learner_config c;
    rs_learner_config_default(&c);
    c.batch = 8;
    c.eval_every = 0;
    c.seed = seed;
    rs_objective *o = tap_classify();
    rs_learner *l = tap_learner(&c, m, o, src);
    rs_objective_release(o);
    return l;
}

static bool
grads_zero(const rs_nn_model *p)
{
    for (int t = 0; t < rs_nn_model_count(p); t++) {
        const rs_tensor *w = rs_nn_model_param(p, t);
        for (size_t j = 0; j < w->numel; j++)
            if (w->grad[j] != 0.0f)
                return false;
    }
    return true;
}

/* The largest |got - want| / max(1, |want|) over n x n entries. */
static double
max_rel(const float *got, const double *want, int n)
{
    double worst = 0.0;
    for (int i = 0; i < n * n; i++) {
        double e = fabs((double)got[i] - want[i]) /
                   (fabs(want[i]) > 1.0 ? fabs(want[i]) : 1.0);
        worst = e > worst ? e : worst;
    }
    return worst;
}

/* erank and offdiag of a double K, for the expectations. */
static void
summary_double(const double *K, int n, double *erank, double *offdiag)
{
    double *w = rs_xcalloc((size_t)n, sizeof *w);
    struct rs_error err = {0};
    if (rs_linalg_sym_eigvals_double(K, n, w, &err) != RS_OK)
        tap_bail("eigvals: %s", err.msg);
    double total = 0.0, h = 0.0, diag = 0.0, off = 0.0;
    for (int k = 0; k < n; k++)
        total += w[k] > 0.0 ? w[k] : 0.0;
    for (int k = 0; k < n; k++) {
        double p = (w[k] > 0.0 ? w[k] : 0.0) / total;
        h -= p > 0.0 ? p * log(p) : 0.0;
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            if (i == j)
                diag += K[i * n + j];
            else
                off += fabs(K[i * n + j]);
    *erank = exp(h);
    *offdiag = (off / (n * (n - 1.0))) / (diag / n);
    free(w);
}

/* ---- a linear model ----------------------------------------------------- */

enum { LD = 7, LK = 3, LN = 12 };

static void
test_linear(void)
{
    rs_source *src = table_source(LN, LD, LK, false, 5);
    rs_nn_module *m = tap_linear(LD, LK, RS_INIT_KAIMING_NORMAL, 1.0f, 9);
    rs_learner *l = learner(m, src, 1);
    float *x = rows_of(src, LN, LD);
    double want_sum[LN * LN], want_c[LN * LN];
    for (int i = 0; i < LN; i++)
        for (int j = 0; j < LN; j++) {
            double dot = 0.0;
            for (int k = 0; k < LD; k++)
                dot += (double)x[i * LD + k] * (double)x[j * LD + k];
            want_c[i * LN + j] = dot + 1.0;
            want_sum[i * LN + j] = LK * (dot + 1.0);
        }
    struct rs_entk_spec s;
    rs_entk_spec_default(&s);
    tap_ok(s.n == 64 && s.split == RS_SPLIT_TRAIN && s.output == RS_ENTK_SUM &&
               s.budget == 0,
           "defaults: n 64, train, the sum");
    struct rs_entk e;
    rs_entk_init(&e);
    struct rs_error err = {0};
    int rc = rs_entk(l, &s, &e, &err);
    tap_ok(rc == RS_OK, "linear, sum (%s)", err.msg);
    tap_ok(rc == RS_OK && e.n == LN && e.params == LK * LD + LK,
           "a split of 12 gives n 12; P = k d + k");
    if (rc == RS_OK) {
        double r = max_rel(e.K, want_sum, LN);
        tap_ok(r < 1e-6, "K = k (x_i . x_j + 1) to float rounding (%.2g)", r);
        double trace = 0.0, erank, offdiag;
        for (int i = 0; i < LN; i++)
            trace += want_sum[i * LN + i];
        summary_double(want_sum, LN, &erank, &offdiag);
        tap_is_float(e.trace, trace, 0, 1e-6, "its trace");
        tap_is_float(e.erank, erank, 0, 1e-5, "its erank (%g)", erank);
        tap_is_float(e.offdiag, offdiag, 0, 1e-6, "its offdiag (%g)", offdiag);
        tap_ok(e.eig[0] >= e.eig[LN - 1], "eigenvalues descending");
    }
    for (int c = 0; c < LK; c++) {
        s.output = c;
        rc = rs_entk(l, &s, &e, &err);
        double r = rc == RS_OK ? max_rel(e.K, want_c, LN) : 1.0;
        tap_ok(rc == RS_OK && r < 1e-6, "output %d: K = x_i . x_j + 1 (%.2g)",
               c, r);
    }
    /* weights only: the bias's constant block (k for the sum) is gone */
    s.output = RS_ENTK_SUM;
    s.weights_only = true;
    rc = rs_entk(l, &s, &e, &err);
    double wmax = 0.0;
    for (int i = 0; rc == RS_OK && i < LN * LN; i++) {
        double want = want_sum[i] - LK, d = fabs((double)e.K[i] - want);
        wmax = fmax(wmax, d / fmax(fabs(want), 1e-3));
    }
    tap_ok(rc == RS_OK && wmax < 1e-5,
           "weights only: K = k (x_i . x_j), the bias block gone (%.2g)",
           wmax);
    s.weights_only = false;
    s.n = 5;
    rc = rs_entk(l, &s, &e, &err);
    tap_ok(rc == RS_OK && e.n == 5 &&
               fabs((double)e.K[4 * 5 + 3] - want_sum[4 * LN + 3]) <
                   1e-6 * fabs(want_sum[4 * LN + 3]) + 1e-6,
           "n 5: the first 5 examples (the buffers reused)");
    s.n = 64;
    rc = rs_entk(l, &s, &e, &err);
    tap_ok(rc == RS_OK && e.n == LN && max_rel(e.K, want_sum, LN) < 1e-6,
           "and n 12 again");
    s.n = 0;
    rc = rs_entk(l, &s, &e, &err);
    tap_ok(rc == RS_EINVAL && e.n == 0, "an error leaves no result");
    rs_entk_fini(&e);
    free(x);
    rs_learner_free(l);
    rs_nn_module_release(m);
    rs_source_release(src);
}

/* One-hot rows: K = k (I + 1 1^T). */
static void
test_orthonormal(void)
{
    enum { D = 16, N = 10 };
    rs_source *src = table_source(N, D, LK, true, 1);
    rs_nn_module *m = tap_linear(D, LK, RS_INIT_KAIMING_NORMAL, 1.0f, 2);
    rs_learner *l = learner(m, src, 1);
    struct rs_entk_spec s;
    rs_entk_spec_default(&s);
    struct rs_entk e;
    rs_entk_init(&e);
    struct rs_error err = {0};
    int rc = rs_entk(l, &s, &e, &err);
    double p1 = (N + 1.0) / (2.0 * N), q = 1.0 / (2.0 * N);
    double erank = exp(-(p1 * log(p1) + (N - 1) * q * log(q)));
    tap_ok(rc == RS_OK, "one-hot rows (%s)", err.msg);
    if (rc == RS_OK) {
        tap_is_float(e.eig[0], LK * (N + 1.0), 0, 1e-6,
                     "the top eigenvalue k (n + 1)");
        tap_is_float(e.eig[N - 1], LK, 0, 1e-6, "the others k");
        tap_is_float(e.erank, erank, 0, 1e-6,
                     "erank exp(H(p)) with p = (n+1)/2n, 1/2n x (n-1): %g",
                     erank);
        tap_is_float(e.offdiag, 0.5, 0, 1e-6, "offdiag k / 2k = 1/2");
        tap_is_float(e.trace, 2.0 * LK * N, 0, 1e-6, "trace 2 k n");
    }
    rs_entk_fini(&e);
    rs_learner_free(l);
    rs_nn_module_release(m);
    rs_source_release(src);
}

/* ---- an MLP ------------------------------------------------------------- */

enum { MD = 6, MW = 5, MK = 4, MN = 9 };

static rs_nn_module *
mlp_ln(uint64_t seed)
{
    struct rs_nn_mlp_config c;
    rs_nn_mlp_config_default(&c);
    c.input = MD;
    c.width = MW;
    c.depth = 2;
    c.output = MK;
    c.norm = RS_NN_MLP_NORM_LAYERNORM;
    struct rs_rng r;
    rs_rng_seed(&r, seed);
    struct rs_error err = {0};
    rs_nn_module *m = rs_nn_module_mlp(&c, &r, &err);
    if (m == NULL)
        tap_bail("mlp: %s", err.msg);
    return m;
}

/* The kernel the other way: one batched forward of x (n, MD) and a
 * backward seeded on row i's output (column c or all), per row; dot
 * products of the gradients in double. */
static double *
batched_kernel(rs_nn_module *m, const float *x, int n, int c)
{
    rs_nn_model *p = rs_nn_module_model(m);
    size_t P = rs_nn_model_numel(p);
    float *J = rs_xcalloc((size_t)n * P, sizeof *J);
    rs_graph *g = rs_graph_new();
    float *seed = rs_xcalloc((size_t)n * MK, sizeof *seed);
    struct rs_error err = {0};
    for (int i = 0; i < n; i++) {
        rs_graph_reset(g);
        rs_tensor *in = rs_graph_input(g, 2, (int[]){n, MD}, x);
        rs_tensor *o = rs_nn_module_forward(m, g, in);
        memset(seed, 0, (size_t)n * MK * sizeof *seed);
        for (int k = 0; k < MK; k++)
            seed[i * MK + k] = c < 0 || k == c ? 1.0f : 0.0f;
        if (o == NULL || rs_graph_backward_seed(g, o, seed, &err) != RS_OK)
            tap_bail("batched backward: %s", err.msg);
        size_t off = 0;
        for (int t = 0; t < rs_nn_model_count(p); t++) {
            rs_tensor *w = rs_nn_model_param(p, t);
            memcpy(J + (size_t)i * P + off, w->grad, w->numel * sizeof *J);
            memset(w->grad, 0, w->numel * sizeof *J);
            off += w->numel;
        }
    }
    double *K = rs_xcalloc((size_t)n * (size_t)n, sizeof *K);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double dot = 0.0;
            for (size_t q = 0; q < P; q++)
                dot +=
                    (double)J[(size_t)i * P + q] * (double)J[(size_t)j * P + q];
            K[i * n + j] = dot;
        }
    rs_graph_free(g);
    free(seed);
    free(J);
    return K;
}

static void
test_mlp(void)
{
    rs_source *src = table_source(MN, MD, MK, false, 21);
    rs_nn_module *m = mlp_ln(4);
    rs_learner *l = learner(m, src, 1);
    tap_learner_steps(l, 3); /* away from the init */
    float *x = rows_of(src, MN, MD);
    struct rs_entk_spec s;
    rs_entk_spec_default(&s);
    struct rs_error err = {0};
    for (int c = -1; c < 2; c++) {
        s.output = c;
        struct rs_entk e;
        rs_entk_init(&e);
        int rc = rs_entk(l, &s, &e, &err);
        double *want = batched_kernel(m, x, MN, c);
        double r = rc == RS_OK ? max_rel(e.K, want, MN) : 1.0;
        tap_ok(rc == RS_OK && r < 1e-5,
               "MLP with LayerNorm, output %s: per-example K = the batched "
               "seeded kernel (%.2g)",
               c < 0    ? "sum"
               : c == 0 ? "0"
                        : "1",
               r);
        if (rc == RS_OK) {
            /* blocks: h = 1 (budget 3P) and h = 2 (budget 5P) */
            size_t P = (size_t)e.params;
            static const size_t mult[2] = {3, 5};
            for (int b = 0; b < 2; b++) {
                struct rs_entk_spec sb = s;
                sb.budget = mult[b] * P;
                struct rs_entk eb;
                rs_entk_init(&eb);
                int rb = rs_entk(l, &sb, &eb, &err);
                double rr = 0.0;
                for (int i = 0; rb == RS_OK && i < MN * MN; i++) {
                    double d = fabs((double)eb.K[i] - (double)e.K[i]) /
                               (fabs((double)e.K[i]) + 1e-3);
                    rr = d > rr ? d : rr;
                }
                tap_ok(rb == RS_OK && rr < 1e-5,
                       "output %s, blocks of %d rows: the same K (%.2g)",
                       c < 0    ? "sum"
                       : c == 0 ? "0"
                                : "1",
                       b == 0 ? 1 : 2, rr);
                rs_entk_fini(&eb);
            }
        }
        rs_entk_fini(&e);
        free(want);
    }
    free(x);
    rs_learner_free(l);
    rs_nn_module_release(m);
    rs_source_release(src);
}

/* ---- the learner is left alone ------------------------------------------ */

static void
test_untouched(void)
{
    rs_source *src = table_source(40, MD, MK, false, 8);
    rs_nn_module *ma = mlp_ln(6), *mb = mlp_ln(6);
    rs_learner *a = learner(ma, src, 11), *b = learner(mb, src, 11);
    tap_learner_steps(a, 3);
    tap_learner_steps(b, 3);
    struct rs_entk_spec s;
    rs_entk_spec_default(&s);
    s.n = 16;
    struct rs_entk e;
    rs_entk_init(&e);
    struct rs_error err = {0};
    int rc = rs_entk(a, &s, &e, &err);
    tap_ok(rc == RS_OK, "an eNTK between steps (%s)", err.msg);
    s.budget = 3 * rs_nn_model_numel(rs_learner_params(a));
    s.output = 1;
    rc = rs_entk(a, &s, &e, &err);
    tap_ok(rc == RS_OK, "and one in blocks, on a column");
    tap_ok(tap_params_equal(rs_learner_params(a), rs_learner_params(b)),
           "parameters untouched");
    tap_ok(grads_zero(rs_learner_params(a)), "gradients zero");
    tap_is_int((int)rs_learner_steps(a), 3, "step count untouched");
    size_t nw = rs_learner_state_words(a);
    tap_ok(nw == rs_learner_state_words(b), "the same state size");
    uint64_t *wa = rs_xcalloc(nw, sizeof *wa), *wb = rs_xcalloc(nw, sizeof *wb);
    rs_learner_state_save(a, wa);
    rs_learner_state_save(b, wb);
    tap_ok(memcmp(wa, wb, nw * sizeof *wa) == 0,
           "sampler, RNG, log sums and optimiser steps untouched");
    free(wa);
    free(wb);
    tap_learner_steps(a, 2);
    tap_learner_steps(b, 2);
    tap_ok(tap_params_equal(rs_learner_params(a), rs_learner_params(b)),
           "two steps after it equal two steps without it, bit for bit");
    tap_ok(tap_same_double(rs_learner_last(a)->loss, rs_learner_last(b)->loss),
           "the same batch loss");

    /* a pending gradient (a Lua backward before apply) comes back */
    rs_tensor *w = rs_nn_model_param(rs_learner_params(a), 2);
    w->grad[1] = 0.25f;
    w->grad[w->numel - 1] = -3.0f;
    s.budget = 0;
    rc = rs_entk(a, &s, &e, &err);
    tap_ok(rc == RS_OK && w->grad[1] == 0.25f &&
               w->grad[w->numel - 1] == -3.0f && w->grad[0] == 0.0f,
           "pending gradients restored");
    struct rs_entk e2;
    rs_entk_init(&e2);
    w->grad[1] = 0.0f;
    w->grad[w->numel - 1] = 0.0f;
    int rc2 = rs_entk(a, &s, &e2, &err);
    tap_ok(rc == RS_OK && rc2 == RS_OK &&
               memcmp(e.K, e2.K, (size_t)e.n * (size_t)e.n * sizeof *e.K) == 0,
           "and did not change K");
    rs_entk_fini(&e);
    rs_entk_fini(&e2);
    rs_learner_free(a);
    rs_learner_free(b);
    rs_nn_module_release(ma);
    rs_nn_module_release(mb);
    rs_source_release(src);
}

/* ---- what it publishes -------------------------------------------------- */

static struct {
    int n;
    char name[4][64];
    int rows, cols;
    float k01;
} pub;

static void
pub_matrix(void *ud, const char *name, int rows, int cols, const float *data)
{
    (void)ud;
    snprintf(pub.name[3], sizeof pub.name[3], "%s", name);
    pub.rows = rows;
    pub.cols = cols;
    pub.k01 = data[1];
}

static void
test_publish(void)
{
    rs_source *src = table_source(LN, LD, LK, false, 5);
    rs_nn_module *m = tap_linear(LD, LK, RS_INIT_KAIMING_NORMAL, 1.0f, 9);
    struct rs_learner_config c;
    rs_learner_config_default(&c);
    snprintf(c.name, sizeof c.name, "base");
    c.eval_every = 0;
    rs_objective *o = tap_classify();
    rs_learner *l = tap_learner(&c, m, o, src);
    rs_objective_release(o);
    struct tap_log *lg = rs_xcalloc(1, sizeof *lg);
    rs_learner_set_log(l, tap_log_record, lg);
    rs_learner_set_matrix(l, pub_matrix, NULL);
    struct rs_entk_spec s;
    rs_entk_spec_default(&s);
    s.n = 4;
    struct rs_entk e;
    rs_entk_init(&e);
    struct rs_error err = {0};
    int rc = rs_entk(l, &s, &e, &err);
    tap_ok(rc == RS_OK && lg->n == 0, "rs_entk logs nothing itself");
    if (rc == RS_OK) {
        rs_entk_log(l, &e);
        tap_ok(lg->n == 2 &&
                   strcmp(lg->name[0], "base/probe/entk/erank") == 0 &&
                   lg->v[0] == e.erank &&
                   strcmp(lg->name[1], "base/probe/entk/offdiag") == 0 &&
                   lg->v[1] == e.offdiag,
               "logged: base/probe/entk/erank and offdiag");
        tap_ok(strcmp(pub.name[3], "base/entk") == 0 && pub.rows == 4 &&
                   pub.cols == 4 && pub.k01 == e.K[1],
               "published: base/entk, 4 x 4");
    }
    rs_entk_fini(&e);
    free(lg);
    rs_learner_free(l);
    rs_nn_module_release(m);
    rs_source_release(src);
}

/* ---- errors ------------------------------------------------------------- */

static void
test_errors(void)
{
    rs_source *src = table_source(LN, LD, LK, false, 5);
    rs_nn_module *m = tap_linear(LD, LK, RS_INIT_KAIMING_NORMAL, 1.0f, 9);
    rs_learner *l = learner(m, src, 1);
    struct rs_entk_spec s;
    rs_entk_spec_default(&s);
    struct rs_entk e;
    rs_entk_init(&e);
    struct rs_error err = {0};
    s.n = 0;
    tap_is_int(rs_entk(l, &s, &e, &err), RS_EINVAL, "n 0 refused");
    tap_is_str(err.msg, "n = 0 (must be in 1..4096)", "its message");
    s.n = 4;
    s.output = LK;
    tap_is_int(rs_entk(l, &s, &e, &err), RS_EINVAL, "output 3 of 3 refused");
    tap_is_str(err.msg, "output = 3 (the model has 3 outputs)", "its message");
    tap_ok(grads_zero(rs_learner_params(l)), "gradients zero after an error");
    s.output = -2;
    tap_is_int(rs_entk(l, &s, &e, &err), RS_EINVAL, "output -2 refused");
    tap_is_str(err.msg, "output = -2 (must be a column >= 0, or the sum)",
               "its message");
    s.output = RS_ENTK_SUM;
    s.split = (enum rs_split)7;
    tap_is_int(rs_entk(l, &s, &e, &err), RS_EINVAL, "split 7 refused");
    tap_is_str(err.msg, "split 7 is unknown", "its message");
    double tr, er, od;
    tap_is_int(rs_entk_summary(NULL, 0, &tr, &er, &od, NULL, &err), RS_EINVAL,
               "an empty kernel refused");
    const float zero[4] = {0, 0, 0, 0};
    int rc = rs_entk_summary(zero, 2, &tr, &er, &od, NULL, &err);
    tap_ok(rc == RS_OK && tr == 0 && er == 0 && od == 0,
           "a zero kernel: trace, erank, offdiag 0");
    const float one = 4;
    rc = rs_entk_summary(&one, 1, &tr, &er, &od, NULL, &err);
    tap_ok(rc == RS_OK && tr == 4 && er == 1 && od == 0,
           "n 1: erank 1, offdiag 0");
    rs_entk_fini(&e);
    rs_learner_free(l);
    rs_nn_module_release(m);
    rs_source_release(src);
}

int
main(void)
{
    tap_plan_lazy();
    test_linear();
    test_orthonormal();
    test_mlp();
    test_untouched();
    test_publish();
    test_errors();
    return tap_done();
}
