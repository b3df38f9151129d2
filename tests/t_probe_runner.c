/* repscope - MIT licence, see COPYING.
 *
 * t_probe_runner.c: the probe runner (probe/runner.h) on an MLP whose
 * weights are set by hand so every answer is known. Inputs are the 8 x 8
 * identity; l1.weight (6, 8) is diag(1, 1, 1) padded with zeros and
 * l2.weight (6, 6) diag(1, 1) padded, biases 0, ReLU. So l1's
 * pre-activation is a (8, 6) matrix with singular values 1, 1, 1, 0, 0, 0
 * (srank 3, erank 3), units 4..6 of l1 and 3..6 of l2 never fire (dead
 * 3/6 and 4/6; each live unit fires on one example in 8); the output
 * weight holds a single 2, so the weight norm is sqrt(3 + 2 + 4) = 3.
 * Labels are 1 on the first three examples: l1's units separate them
 * (linear probe accuracy 1), l2 loses the third (7 of 8). Every name is
 * checked for the unnamed owner (bare names) and for owner "a"
 * ("a/..."), and again on a second fixture with planted always-active
 * (zombie) units and known singular values (sigma1); then the linear
 * history, spec changes and errors.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "core/names.h"
#include "core/rng.h"
#include "nn/model.h"
#include "nn/module.h"
#include "probe/rank.h"
#include "probe/runner.h"
#include "tests/tap.h"

#define N 8     /* examples (identity inputs) */
#define IN 8    /* input features */
#define WIDTH 6 /* hidden units */

/* ---- a sink that records ------------------------------------------------- */

#define REC_MAX 64

struct rec {
    int n;
    char name[REC_MAX][RS_NAME_MAX];
    double v[REC_MAX];
    int nm;
    char mname[REC_MAX][RS_NAME_MAX];
    int rows[REC_MAX], cols[REC_MAX];
    float data[REC_MAX][64];
    char rl[REC_MAX][128], cl[REC_MAX][256]; /* labels joined by '|' */
};

static void
rec_log(void *ud, const char *name, double value)
{
    struct rec *r = ud;
    if (r->n < REC_MAX) {
        snprintf(r->name[r->n], RS_NAME_MAX, "%s", name);
        r->v[r->n++] = value;
    }
}

static void
join(char *out, size_t cap, const char *const *labels, int n)
{
    out[0] = '\0';
    for (int i = 0; labels != NULL && i < n; i++) {
        size_t k = strlen(out);
        snprintf(out + k, cap - k, "%s%s", i > 0 ? "|" : "", labels[i]);
    }
}

static void
rec_matrix(void *ud, const char *name, int rows, int cols, const float *data,
           const char *const *rl, const char *const *cl)
{
    struct rec *r = ud;
    if (r->nm >= REC_MAX)
        return;
    int i = r->nm++;
    snprintf(r->mname[i], RS_NAME_MAX, "%s", name);
    r->rows[i] = rows;
    r->cols[i] = cols;
    size_t cells = (size_t)rows * (size_t)cols;
    memcpy(r->data[i], data, (cells < 64 ? cells : 64) * sizeof *data);
    join(r->rl[i], sizeof r->rl[i], rl, rows);
    join(r->cl[i], sizeof r->cl[i], cl, cols);
}

/* The last value logged as name, NaN if none. */
static double
value(const struct rec *r, const char *name)
{
    for (int i = r->n - 1; i >= 0; i--)
        if (strcmp(r->name[i], name) == 0)
            return r->v[i];
    return NAN;
}

/* The index of the last matrix called name, -1 if none. */
static int
matrix(const struct rec *r, const char *name)
{
    for (int i = r->nm - 1; i >= 0; i--)
        if (strcmp(r->mname[i], name) == 0)
            return i;
    return -1;
}

/* ---- the fixture: a hand-set MLP ----------------------------------------- */

struct fixture {
    rs_nn_module *m;
    rs_graph *g;
    int forwards;
    int fail; /* the forward fails when set */
    int lie;  /* the forward reports this many rows fewer than it ran */
};

static int
fx_forward(void *ud, enum rs_split split, int n, int *rows,
           struct rs_error *err)
{
    struct fixture *f = ud;
    (void)split; /* both splits are the identity inputs */
    if (f->fail)
        return rs_error_set(err, RS_EIO, "the data went away");
    int m = n <= 0 || n > N ? N : n;
    rs_graph_reset(f->g);
    rs_graph_set_grad(f->g, false);
    rs_tensor *x = rs_graph_tensor(f->g, 2, (int[]){m, IN});
    for (int i = 0; i < m; i++)
        for (int j = 0; j < IN; j++)
            x->data[i * IN + j] = i == j ? 1.0f : 0.0f;
    rs_tensor *o = rs_nn_module_forward(f->m, f->g, x);
    rs_graph_set_grad(f->g, true);
    f->forwards++;
    if (o == NULL)
        return rs_error_set(err, RS_EINVAL, "forward failed");
    *rows = m - f->lie;
    return RS_OK;
}

static int
fx_labels(void *ud, enum rs_split split, int n, int *y, struct rs_error *err)
{
    (void)ud;
    (void)split;
    (void)err;
    for (int i = 0; i < n; i++)
        y[i] = i < 3 ? 1 : 0;
    return RS_OK;
}

static void
set_param(rs_nn_model *p, const char *name, int row, int col, float v)
{
    rs_tensor *t = rs_nn_model_lookup(p, name);
    RS_ASSERT(t != NULL);
    t->data[(size_t)row * (size_t)rs_tensor_cols(t) + (size_t)col] = v;
}

static void
fixture_init(struct fixture *f)
{
    struct rs_nn_mlp_config cfg;
    rs_nn_mlp_config_default(&cfg);
    cfg.input = IN;
    cfg.width = WIDTH;
    cfg.depth = 2;
    cfg.output = 2;
    struct rs_rng rng;
    rs_rng_seed(&rng, 7);
    struct rs_error err = {0};
    memset(f, 0, sizeof *f);
    f->m = rs_nn_module_mlp(&cfg, &rng, &err);
    RS_ASSERT(f->m != NULL);
    f->g = rs_graph_new();
    rs_nn_model *p = rs_nn_module_model(f->m);
    for (int i = 0; i < rs_nn_model_count(p); i++) {
        rs_tensor *t = rs_nn_model_param(p, i);
        memset(t->data, 0, t->numel * sizeof *t->data);
    }
    for (int j = 0; j < 3; j++)
        set_param(p, "l1.weight", j, j, 1.0f);
    for (int j = 0; j < 2; j++)
        set_param(p, "l2.weight", j, j, 1.0f);
    set_param(p, "l3.weight", 0, 0, 2.0f);
}

static void
fixture_fini(struct fixture *f)
{
    rs_graph_free(f->g);
    rs_nn_module_release(f->m);
}

static struct rs_probe_target
target(struct fixture *f, const char *owner, long step, double grad)
{
    return (struct rs_probe_target){
        .owner = owner,
        .module = f->m,
        .params = rs_nn_module_model(f->m),
        .step = step,
        .grad_norm = grad,
        .forward = fx_forward,
        .labels = fx_labels,
        .classes = 2,
        .ud = f,
    };
}

/* Run spec on the fixture as owner; the status. */
static int
run(struct fixture *f, rs_probe_runner *r, const char *owner, long step,
    double grad, struct rec *out, struct rs_error *err)
{
    struct rs_probe_target t = target(f, owner, step, grad);
    struct rs_probe_sink sink = {rec_log, rec_matrix, out};
    return rs_probe_runner_run(r, &t, &sink, err);
}

/* ---- tests --------------------------------------------------------------- */

static void
test_param_names(struct fixture *f)
{
    const rs_nn_model *p = rs_nn_module_model(f->m);
    tap_is_int(rs_nn_model_count(p), 6, "the MLP has 6 parameters");
    tap_is_str(rs_nn_model_param_name(p, 4), "l3.weight",
               "the output layer is l3");
    tap_is_float(rs_nn_model_weight_norm(p), 3.0, 1e-12, 0,
                 "weight norm sqrt(3 + 2 + 4)");
}

/* owner: NULL/"" or "a"; pre: "" or "a/" (the expected name prefix) */
static void
test_rank_dead(struct fixture *f, const char *owner, const char *pre)
{
    const char *tag = pre[0] != '\0' ? pre : "bare";
    struct rec rec = {0};
    struct rs_error err = {0};
    struct rs_probe_spec s;
    char name[RS_NAME_MAX];
    rs_probe_runner_spec_init(&s, RS_PROBE_RANK);
    s.n = 0;
    rs_probe_runner *r = rs_probe_runner_new(&s, &err);
    tap_ok(r != NULL, "[%s] a rank runner", tag);
    int rc = run(f, r, owner, 10, NAN, &rec, &err);
    tap_ok(rc == RS_OK, "[%s] rank probe runs (%s)", tag, err.msg);
    snprintf(name, sizeof name, "%sprobe/srank/l1", pre);
    tap_is_float(value(&rec, name), 3, 0, 0, "[%s] %s = 3", tag, name);
    snprintf(name, sizeof name, "%sprobe/erank/l1", pre);
    tap_is_float(value(&rec, name), 3, 1e-5, 0, "[%s] %s = 3", tag, name);
    snprintf(name, sizeof name, "%sprobe/srank/l2", pre);
    tap_is_float(value(&rec, name), 2, 0, 0, "[%s] %s = 2", tag, name);
    snprintf(name, sizeof name, "%sprobe/srank/l1", pre[0] ? "" : "a/");
    tap_ok(isnan(value(&rec, name)), "[%s] nothing under %s", tag, name);
    snprintf(name, sizeof name, "%sspectrum/l1", pre);
    int k = matrix(&rec, name);
    float want[WIDTH] = {1, 1, 1, 0, 0, 0};
    tap_ok(k >= 0 && rec.rows[k] == 1 && rec.cols[k] == WIDTH,
           "[%s] %s is 1 x min(8, 6)", tag, name);
    if (k >= 0)
        tap_is_floats(rec.data[k], want, WIDTH, 1e-6, 0,
                      "[%s] its singular values", tag);
    snprintf(name, sizeof name, "%sprobe/sigma1/l1", pre);
    tap_is_float(value(&rec, name), 1, 1e-6, 0, "[%s] %s = 1", tag, name);
    tap_is_int(rec.n, 6,
               "[%s] srank, erank and sigma1 of 2 layers, nothing else", tag);

    /* delta: srank_0.5 of (1, 1, 1) is 2 (1 + 1 >= 0.5 * 3) */
    s.delta = 0.5;
    s.layers = (const char *const[]){"l1"};
    s.nlayers = 1;
    rec = (struct rec){0};
    rc = rs_probe_runner_set_spec(r, &s, &err);
    rc = rc == RS_OK ? run(f, r, owner, 10, NAN, &rec, &err) : rc;
    snprintf(name, sizeof name, "%sprobe/srank/l1", pre);
    tap_ok(rc == RS_OK && value(&rec, name) == 2 && rec.n == 3,
           "[%s] srank_0.5 on l1 only: 2", tag);

    /* covrank: the deep-grokking covariance rank of the same features */
    s.delta = RS_PROBE_RANK_DELTA;
    s.covrank = true;
    rec = (struct rec){0};
    rc = rs_probe_runner_set_spec(r, &s, &err);
    rc = rc == RS_OK ? run(f, r, owner, 10, NAN, &rec, &err) : rc;
    const rs_tensor *h = rs_nn_module_layer_preact(f->m, 0);
    int direct = -1;
    if (h != NULL &&
        rs_probe_rank_cov(h->data, (int)rs_tensor_rows(h), rs_tensor_cols(h),
                          &direct, NULL, &err) != RS_OK)
        direct = -1;
    snprintf(name, sizeof name, "%sprobe/covrank/l1", pre);
    tap_ok(rc == RS_OK && direct >= 1 && value(&rec, name) == direct &&
               rec.n == 4,
           "[%s] %s = %d, as rs_probe_rank_cov says", tag, name, direct);
    s.covrank = false;
    rs_probe_runner_free(r);

    rs_probe_runner_spec_init(&s, RS_PROBE_DEAD);
    tap_ok(s.on == RS_PROBE_ON_ACT && s.every == 100,
           "dead spec: activations, every 100");
    r = rs_probe_runner_new(&s, &err);
    rec = (struct rec){0};
    rc = run(f, r, owner, 10, NAN, &rec, &err);
    tap_ok(rc == RS_OK, "[%s] dead probe runs", tag);
    snprintf(name, sizeof name, "%sprobe/dead/l1", pre);
    tap_is_float(value(&rec, name), 0.5, 1e-12, 0, "[%s] %s = 3/6", tag, name);
    snprintf(name, sizeof name, "%sprobe/dead/l2", pre);
    tap_is_float(value(&rec, name), 4.0 / 6.0, 1e-12, 0, "[%s] %s = 4/6", tag,
                 name);
    snprintf(name, sizeof name, "%sprobe/zombie/l1", pre);
    tap_is_float(value(&rec, name), 0, 0, 0,
                 "[%s] %s = 0: no unit fires on every example", tag, name);
    tap_is_int(rec.n, 4, "[%s] dead and zombie of 2 layers, nothing else", tag);
    snprintf(name, sizeof name, "%sneurons/l1", pre);
    k = matrix(&rec, name);
    float freq[WIDTH] = {0.125f, 0.125f, 0.125f, 0, 0, 0};
    tap_ok(k >= 0 && rec.rows[k] == 1 && rec.cols[k] == WIDTH,
           "[%s] %s is 1 x units", tag, name);
    if (k >= 0)
        tap_is_floats(rec.data[k], freq, WIDTH, 0, 0,
                      "[%s] each live unit fires on 1 example in 8", tag);
    rs_probe_runner_free(r);
}

/* Planted always-active units and known singular values, on a fixture of
 * its own: l1.weight's diagonal (3, 2, 0.5) makes l1's pre-activation
 * (8, 6) hold those singular values (sigma1 3), and l2 (diag(1, 1)) sees
 * 3 and 2 (sigma1 3). Then l1.bias[3] = 1 and l2.bias[5] = 0.5 make one
 * unit of each fire on every example (zombie 1/6 each); l1's units 5, 6
 * and l2's 3..5 never fire (dead 2/6 and 3/6). Both "on" settings give
 * the same fractions on a ReLU net. */
static void
test_zombie_sigma1(const char *owner, const char *pre)
{
    const char *tag = pre[0] != '\0' ? pre : "bare";
    struct fixture f;
    fixture_init(&f);
    rs_nn_model *p = rs_nn_module_model(f.m);
    set_param(p, "l1.weight", 0, 0, 3.0f);
    set_param(p, "l1.weight", 1, 1, 2.0f);
    set_param(p, "l1.weight", 2, 2, 0.5f);
    struct rec rec = {0};
    struct rs_error err = {0};
    struct rs_probe_spec s;
    char name[RS_NAME_MAX];
    rs_probe_runner_spec_init(&s, RS_PROBE_RANK);
    s.n = 0;
    rs_probe_runner *r = rs_probe_runner_new(&s, &err);
    int rc = run(&f, r, owner, 1, NAN, &rec, &err);
    snprintf(name, sizeof name, "%sprobe/sigma1/l1", pre);
    tap_ok(rc == RS_OK, "[%s] rank probe runs", tag);
    tap_is_float(value(&rec, name), 3, 1e-6, 0,
                 "[%s] %s: the largest of singular values 3, 2, 0.5", tag,
                 name);
    snprintf(name, sizeof name, "%sprobe/sigma1/l2", pre);
    tap_is_float(value(&rec, name), 3, 1e-6, 0, "[%s] %s = 3", tag, name);
    snprintf(name, sizeof name, "%sspectrum/l1", pre);
    int k = matrix(&rec, name);
    float want[WIDTH] = {3, 2, 0.5f, 0, 0, 0};
    if (k >= 0)
        tap_is_floats(rec.data[k], want, WIDTH, 1e-6, 0,
                      "[%s] the spectrum it heads", tag);
    else
        tap_ok(false, "[%s] %s published", tag, name);
    /* centred: sigma1 of the centred matrix, as the rank struct says */
    s.centre = true;
    rc = rs_probe_runner_set_spec(r, &s, &err);
    rc = rc == RS_OK ? run(&f, r, owner, 1, NAN, &rec, &err) : rc;
    struct rs_probe_rank direct;
    rs_probe_rank_init(&direct);
    const rs_tensor *h = rs_nn_module_layer_preact(f.m, 0);
    if (rc == RS_OK)
        rc = rs_probe_rank_tensor(&direct, h, true, &err);
    snprintf(name, sizeof name, "%sprobe/sigma1/l1", pre);
    tap_ok(rc == RS_OK && direct.s_max < 3.0 - 1e-3 &&
               value(&rec, name) == direct.s_max,
           "[%s] centred: %s = %g, the centred matrix's (< 3)", tag, name,
           direct.s_max);
    rs_probe_rank_fini(&direct);
    rs_probe_runner_free(r);

    set_param(p, "l1.bias", 0, 3, 1.0f);
    set_param(p, "l2.bias", 0, 5, 0.5f);
    static const enum rs_probe_on ons[] = {RS_PROBE_ON_ACT, RS_PROBE_ON_PREACT};
    for (int o = 0; o < 2; o++) {
        const char *on = o == 0 ? "act" : "preact";
        rs_probe_runner_spec_init(&s, RS_PROBE_DEAD);
        s.on = ons[o];
        r = rs_probe_runner_new(&s, &err);
        rec = (struct rec){0};
        rc = run(&f, r, owner, 1, NAN, &rec, &err);
        tap_ok(rc == RS_OK, "[%s] dead probe on %s runs", tag, on);
        static const struct {
            const char *what, *layer;
            double v;
        } want_f[] = {{"dead", "l1", 2.0 / 6.0},
                      {"zombie", "l1", 1.0 / 6.0},
                      {"dead", "l2", 3.0 / 6.0},
                      {"zombie", "l2", 1.0 / 6.0}};
        for (size_t i = 0; i < RS_ARRAY_LEN(want_f); i++) {
            snprintf(name, sizeof name, "%sprobe/%s/%s", pre, want_f[i].what,
                     want_f[i].layer);
            tap_is_float(value(&rec, name), want_f[i].v, 1e-12, 0,
                         "[%s] on %s: %s = %g", tag, on, name, want_f[i].v);
        }
        snprintf(name, sizeof name, "%sneurons/l1", pre);
        k = matrix(&rec, name);
        float freq[WIDTH] = {0.125f, 0.125f, 0.125f, 1, 0, 0};
        if (k >= 0)
            tap_is_floats(rec.data[k], freq, WIDTH, 0, 0,
                          "[%s] on %s: the always-on unit fires on 8 of 8", tag,
                          on);
        else
            tap_ok(false, "[%s] %s published", tag, name);
        rs_probe_runner_free(r);
    }
    fixture_fini(&f);
}

static void
test_norms(struct fixture *f, const char *owner, const char *pre)
{
    const char *tag = pre[0] != '\0' ? pre : "bare";
    struct rec rec = {0};
    struct rs_error err = {0};
    struct rs_probe_spec s;
    char name[RS_NAME_MAX];
    rs_probe_runner_spec_init(&s, RS_PROBE_NORMS);
    tap_is_int(s.every, 10, "norms spec: every 10");
    rs_probe_runner *r = rs_probe_runner_new(&s, &err);
    int rc = run(f, r, owner, 0, NAN, &rec, &err);
    snprintf(name, sizeof name, "%snorm/weight", pre);
    tap_ok(rc == RS_OK && rec.n == 1 && strcmp(rec.name[0], name) == 0 &&
               fabs(rec.v[0] - 3) < 1e-12,
           "[%s] before a step: %s = 3 only", tag, name);
    s.per_layer = true;
    rc = rs_probe_runner_set_spec(r, &s, &err);
    rec = (struct rec){0};
    rc = rc == RS_OK ? run(f, r, owner, 5, 0.25, &rec, &err) : rc;
    tap_ok(rc == RS_OK, "[%s] per-layer norms run", tag);
    snprintf(name, sizeof name, "%snorm/grad", pre);
    tap_is_float(value(&rec, name), 0.25, 0, 0, "[%s] %s from the target", tag,
                 name);
    static const struct {
        const char *layer;
        double norm;
    } want[] = {
        {"l1", 1.7320508075688772}, {"l2", 1.4142135623730951}, {"l3", 2}};
    for (size_t i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "%snorm/weight/%s", pre, want[i].layer);
        tap_is_float(value(&rec, name), want[i].norm, 1e-12, 0, "[%s] %s", tag,
                     name);
    }
    tap_is_int(rec.n, 5, "[%s] weight, grad and 3 prefixes, each once", tag);
    rs_probe_runner_free(r);
}

static void
test_linear(struct fixture *f, const char *owner, const char *pre)
{
    const char *tag = pre[0] != '\0' ? pre : "bare";
    struct rec rec = {0};
    struct rs_error err = {0};
    struct rs_probe_spec s;
    char name[RS_NAME_MAX];
    rs_probe_runner_spec_init(&s, RS_PROBE_LINEAR);
    tap_ok(s.every == 250 && s.n == 1024 && s.lambda == 1e-2,
           "linear spec: every 250, n 1024, lambda 1e-2");
    rs_probe_runner *r = rs_probe_runner_new(&s, &err);
    int rc = run(f, r, owner, 10, NAN, &rec, &err);
    tap_ok(rc == RS_OK, "[%s] linear probe runs (%s)", tag, err.msg);
    snprintf(name, sizeof name, "%sprobe/linear/l1", pre);
    tap_is_float(value(&rec, name), 1, 0, 0,
                 "[%s] %s: separable features, accuracy 1", tag, name);
    snprintf(name, sizeof name, "%sprobe/linear_train/l1", pre);
    tap_is_float(value(&rec, name), 1, 0, 0, "[%s] %s = 1", tag, name);
    snprintf(name, sizeof name, "%sprobe/linear/l2", pre);
    tap_is_float(value(&rec, name), 7.0 / 8.0, 0, 0,
                 "[%s] %s: the third example is lost, 7/8", tag, name);
    snprintf(name, sizeof name, "%slinear", pre);
    int k = matrix(&rec, name);
    tap_ok(k >= 0 && rec.rows[k] == 2 && rec.cols[k] == 1 &&
               strcmp(rec.rl[k], "l1|l2") == 0 && strcmp(rec.cl[k], "10") == 0,
           "[%s] %s: 2 layers x 1 probe, labelled", tag, name);

    /* the same step again replaces; a later one adds a column */
    rc = run(f, r, owner, 10, NAN, &rec, &err);
    rc = rc == RS_OK ? run(f, r, owner, 20, NAN, &rec, &err) : rc;
    k = matrix(&rec, name);
    float want[4] = {1, 1, 0.875f, 0.875f};
    tap_ok(rc == RS_OK && k >= 0 && rec.rows[k] == 2 && rec.cols[k] == 2 &&
               strcmp(rec.cl[k], "10|20") == 0,
           "[%s] history: steps 10 and 20 (10 probed twice)", tag);
    if (k >= 0)
        tap_is_floats(rec.data[k], want, 4, 0, 0,
                      "[%s] history values, layer-major", tag);
    int rows, cols;
    const long *steps;
    const float *acc;
    tap_ok(rs_probe_runner_history(r, owner, &rows, &cols, &steps, &acc) &&
               rows == 2 && cols == 2 && steps[1] == 20 && acc[2] == 0.875f,
           "[%s] the history read back", tag);
    /* a restart: a probe at an earlier step drops the later columns */
    rc = run(f, r, owner, 5, NAN, &rec, &err);
    k = matrix(&rec, name);
    tap_ok(rc == RS_OK && k >= 0 && rec.cols[k] == 1 &&
               strcmp(rec.cl[k], "5") == 0,
           "[%s] history restarted at step 5", tag);
    rs_probe_runner_free(r);
}

/* One runner, two owners: separate histories; a changed spec. */
static void
test_owners(struct fixture *f)
{
    struct rec rec = {0};
    struct rs_error err = {0};
    struct rs_probe_spec s;
    rs_probe_runner_spec_init(&s, RS_PROBE_LINEAR);
    s.layers = (const char *const[]){"l1"};
    s.nlayers = 1;
    rs_probe_runner *r = rs_probe_runner_new(&s, &err);
    int rc = run(f, r, "", 10, NAN, &rec, &err);
    rc = rc == RS_OK ? run(f, r, "", 20, NAN, &rec, &err) : rc;
    rc = rc == RS_OK ? run(f, r, "a", 30, NAN, &rec, &err) : rc;
    int k0 = matrix(&rec, "linear"), ka = matrix(&rec, "a/linear");
    tap_ok(rc == RS_OK && k0 >= 0 && ka >= 0 && rec.cols[k0] == 2 &&
               rec.cols[ka] == 1 && rec.rows[ka] == 1 &&
               strcmp(rec.rl[ka], "l1") == 0,
           "one spec on two learners: a history each");
    s.every = 7;
    rc = rs_probe_runner_set_spec(r, &s, &err);
    int rows = 0, cols = 0;
    const long *steps;
    const float *acc;
    tap_ok(rc == RS_OK &&
               rs_probe_runner_history(r, "", &rows, &cols, &steps, &acc) &&
               cols == 2 && rs_probe_runner_due(r, 14) &&
               !rs_probe_runner_due(r, 15),
           "a new period keeps the histories; due every 7");
    s.layers = (const char *const[]){"l2"};
    rc = rs_probe_runner_set_spec(r, &s, &err);
    tap_ok(rc == RS_OK &&
               !rs_probe_runner_history(r, "", &rows, &cols, &steps, &acc) &&
               strcmp(rs_probe_runner_spec(r)->layers[0], "l2") == 0,
           "other layers drop them");
    rs_probe_runner_free(r);
}

static void
test_errors(struct fixture *f)
{
    struct rs_error err = {0};
    struct rs_probe_spec s;
    rs_probe_runner_spec_init(&s, RS_PROBE_RANK);
    s.every = 0;
    tap_ok(rs_probe_runner_new(&s, &err) == NULL && err.code == RS_EINVAL,
           "every 0 refused");
    tap_is_str(err.msg, "rank probe: every 0 is not >= 1", "its message");
    rs_probe_runner_spec_init(&s, RS_PROBE_LINEAR);
    s.n = 1;
    tap_ok(rs_probe_runner_spec_check(&s, &err) == RS_EINVAL,
           "linear n 1 refused");
    tap_is_str(err.msg, "linear probe: n 1 is not 0 (all) or >= 2",
               "its message");
    s.n = 0;
    s.lambda = -1;
    tap_ok(rs_probe_runner_spec_check(&s, &err) == RS_EINVAL,
           "lambda -1 refused");
    tap_is_str(err.msg, "linear probe: lambda -1 is not a finite number > 0",
               "its message");
    rs_probe_runner_spec_init(&s, RS_PROBE_RANK);
    s.delta = 1;
    tap_is_int(rs_probe_runner_spec_check(&s, &err), RS_EINVAL,
               "delta 1 refused");

    rs_probe_runner_spec_init(&s, RS_PROBE_RANK);
    s.layers = (const char *const[]){"l9"};
    s.nlayers = 1;
    rs_probe_runner *r = rs_probe_runner_new(&s, &err);
    struct rec rec = {0};
    int rc = run(f, r, "a", 1, NAN, &rec, &err);
    tap_ok(rc == RS_EINVAL && rec.n == 0, "an unknown layer: nothing runs");
    tap_is_str(err.msg, "the model has no layer 'l9'", "its message");
    s.nlayers = 0;
    rc = rs_probe_runner_set_spec(r, &s, &err);
    f->fail = 1;
    rc = rc == RS_OK ? run(f, r, "a", 1, NAN, &rec, &err) : rc;
    f->fail = 0;
    tap_ok(rc == RS_EIO && strcmp(err.msg, "the data went away") == 0,
           "the target's forward error comes back");
    rs_probe_runner_free(r);

    rs_probe_runner_spec_init(&s, RS_PROBE_LINEAR);
    r = rs_probe_runner_new(&s, &err);
    struct rs_probe_target t = target(f, "", 1, NAN);
    t.classes = 0;
    rc = rs_probe_runner_run(r, &t, NULL, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "2 or more classes") != NULL,
           "a linear probe without classes (%s)", err.msg);
    rs_probe_runner_free(r);

    /* activations that are not one row per example (a sequence model's) */
    r = rs_probe_runner_new(&s, &err);
    f->lie = 1;
    rc = run(f, r, "", 1, NAN, &rec, &err);
    f->lie = 0;
    tap_is_int(rc, RS_EINVAL, "a linear probe on rows that are not examples");
    tap_is_str(err.msg,
               "layer 'l1': 8 rows of activations for 7 labelled examples (a "
               "linear probe needs one row per example)",
               "its message");
    rs_probe_runner_free(r);

    rs_probe_runner_spec_init(&s, RS_PROBE_NORMS);
    r = rs_probe_runner_new(&s, &err);
    t = target(f, "", 1, NAN);
    t.params = NULL;
    tap_is_int(rs_probe_runner_run(r, &t, NULL, &err), RS_EINVAL,
               "norms without parameters");
    rs_probe_runner_free(r);
    rs_probe_runner_free(NULL);
    tap_is_str(rs_probe_runner_kind_name(RS_PROBE_DEAD), "dead", "kind names");
}

int
main(void)
{
    tap_plan_lazy();
    struct fixture f;
    fixture_init(&f);
    test_param_names(&f);
    static const struct {
        const char *owner, *pre;
    } owners[] = {{NULL, ""}, {"", ""}, {"a", "a/"}};
    for (size_t i = 0; i < 3; i++) {
        test_rank_dead(&f, owners[i].owner, owners[i].pre);
        test_norms(&f, owners[i].owner, owners[i].pre);
        test_linear(&f, owners[i].owner, owners[i].pre);
        test_zombie_sigma1(owners[i].owner, owners[i].pre);
    }
    test_owners(&f);
    test_errors(&f);
    fixture_fini(&f);
    return tap_done();
}
