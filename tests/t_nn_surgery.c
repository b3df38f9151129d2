/* repscope - MIT licence, see COPYING.
 *
 * t_nn_surgery.c: removing hidden units (nn/surgery.h) mid-run.
 *
 * An MLP (8 -> 32 -> 32 -> 4, LayerNorm, ReLU) trains 5 Adam steps; 24 of
 * the 32 units of l1, picked by a shuffled index list, are removed. Then:
 *   (a) its loss equals that of a freshly built sequential of the smaller
 *       widths given the kept weights (cut here with plain loops from a
 *       snapshot, independently of the code under test), to 1e-6;
 *   (b) Adam's m and v of every changed parameter equal the snapshot's at
 *       the kept units, the others' are untouched; the fresh network with
 *       those moments in its own Adam takes the same step;
 *   (c) training goes on: 10 finite steps, the loss falls;
 *   (d) the step does less work, by its shapes: parameter counts, the
 *       multiply-adds of the forward, the optimiser's elements (wall time
 *       is never a test).
 * Also a depth-1 MLP against rs_nn_mlp_new from the updated config, a
 * sequential with norms (one not affine) and SGD momentum, a sequential
 * holding an MLP, registries shared outside the module, and every error
 * with its message, leaving the module as it was.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "core/ops.h"
#include "core/optim.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "nn/mlp.h"
#include "nn/model.h"
#include "nn/module.h"
#include "nn/surgery.h"
#include "tests/tap.h"

#define B 64 /* batch rows */

/* ---- data and steps ------------------------------------------------------ */

struct batch {
    float x[B * 8];
    int y[B];
    int in;
};

/* x uniform in [-1, 1), y = argmax of x against a fixed random map. */
static void
make_batch(struct batch *b, int in, int classes, uint64_t seed)
{
    struct rs_rng rng;
    rs_rng_seed(&rng, seed);
    RS_ASSERT(in <= 8 && classes <= 8);
    float map[8 * 8];
    for (int i = 0; i < in * classes; i++)
        map[i] = 2.0f * rs_rng_uniform(&rng) - 1.0f;
    b->in = in;
    for (int r = 0; r < B; r++) {
        float best = -1e30f;
        for (int c = 0; c < in; c++)
            b->x[r * in + c] = 2.0f * rs_rng_uniform(&rng) - 1.0f;
        for (int k = 0; k < classes; k++) {
            float s = 0.0f;
            for (int c = 0; c < in; c++)
                s += b->x[r * in + c] * map[c * classes + k];
            if (s > best) {
                best = s;
                b->y[r] = k;
            }
        }
    }
}

/* Cross-entropy of m on b, on g (left un-reset for backward); logits
 * copied to out (may be NULL). NaN on a failed forward. */
static double
loss_on(rs_nn_module *m, rs_graph *g, const struct batch *b, rs_tensor **lt,
        float *out)
{
    int shape[2] = {B, b->in};
    rs_tensor *y =
        rs_nn_module_forward(m, g, rs_graph_input(g, 2, shape, b->x));
    rs_tensor *l = y != NULL ? rs_op_cross_entropy(g, y, b->y, NULL) : NULL;
    if (l == NULL) {
        tap_diag("forward: %s", rs_graph_error(g)->msg);
        return NAN;
    }
    if (out != NULL)
        memcpy(out, y->data, y->numel * sizeof *out);
    if (lt != NULL)
        *lt = l;
    return (double)l->data[0];
}

/* One training step; returns the loss before it. */
static double
train_step(rs_nn_module *m, rs_optim *o, rs_graph *g, const struct batch *b)
{
    rs_tensor *l = NULL;
    double loss = loss_on(m, g, b, &l, NULL);
    struct rs_error err = {0};
    if (l == NULL || rs_graph_backward(g, l, &err) != RS_OK ||
        rs_optim_step(o, 1e-2f, NULL, &err) != RS_OK)
        tap_bail("train step: %s", err.msg);
    rs_optim_zero_grad(o);
    rs_graph_reset(g);
    return loss;
}

static rs_optim *
new_optim(rs_nn_module *m, enum rs_optim_kind kind)
{
    struct rs_optim_config cfg;
    rs_optim_config_default(&cfg, kind);
    cfg.lr = 1e-2f;
    if (kind == RS_OPTIM_SGD)
        cfg.momentum = 0.9f;
    rs_nn_model *md = rs_nn_module_model(m);
    struct rs_error err = {0};
    rs_optim *o =
        rs_optim_new(&cfg, rs_nn_model_params(md), rs_nn_model_count(md), &err);
    if (o == NULL)
        tap_bail("rs_optim_new: %s", err.msg);
    return o;
}

/* ---- snapshots and independent cuts -------------------------------------- */

struct snap {
    int n;
    char name[32][64];
    rs_tensor *t[32]; /* retained */
    int ndim[32], shape[32][2];
    float *data[32], *m[32], *v[32];
};

static float *
dup_floats(const float *x, size_t n)
{
    if (x == NULL)
        return NULL;
    float *d = rs_xreallocarray(NULL, n, sizeof *d);
    memcpy(d, x, n * sizeof *d);
    return d;
}

static void
snap_take(struct snap *s, rs_nn_model *md, rs_optim *o)
{
    s->n = rs_nn_model_count(md);
    RS_ASSERT(s->n <= 32);
    for (int i = 0; i < s->n; i++) {
        rs_tensor *t = rs_nn_model_param(md, i);
        snprintf(s->name[i], sizeof s->name[i], "%s",
                 rs_nn_model_param_name(md, i));
        rs_tensor_retain(t);
        s->t[i] = t;
        s->ndim[i] = t->ndim;
        s->shape[i][0] = t->shape[0];
        s->shape[i][1] = t->ndim > 1 ? t->shape[1] : 1;
        s->data[i] = dup_floats(t->data, t->numel);
        int slot = o != NULL ? rs_optim_find(o, t) : -1;
        s->m[i] =
            slot >= 0 ? dup_floats(rs_optim_state(o, slot, 0), t->numel) : NULL;
        s->v[i] =
            slot >= 0 ? dup_floats(rs_optim_state(o, slot, 1), t->numel) : NULL;
    }
}

static void
snap_free(struct snap *s)
{
    for (int i = 0; i < s->n; i++) {
        rs_tensor_release(s->t[i]);
        free(s->data[i]);
        free(s->m[i]);
        free(s->v[i]);
    }
}

static int
snap_find(const struct snap *s, const char *name)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->name[i], name) == 0)
            return i;
    tap_bail("no parameter %s in the snapshot", name);
}

/* How a parameter of the snapshot is cut: 0 rows/entries, 1 columns,
 * -1 not at all. */
struct cut {
    const char *name;
    int dim;
};

/* dst = src (rows, cols) cut along dim to the kept units (plain loops). */
static size_t
cut_floats(float *dst, const float *src, int rows, int cols, int dim,
           const int *keep, int nk)
{
    size_t k = 0;
    if (dim == 0) {
        for (int i = 0; i < nk; i++)
            for (int c = 0; c < cols; c++)
                dst[k++] = src[keep[i] * cols + c];
    } else if (dim == 1) {
        for (int r = 0; r < rows; r++)
            for (int i = 0; i < nk; i++)
                dst[k++] = src[r * cols + keep[i]];
    } else {
        for (int i = 0; i < rows * cols; i++)
            dst[k++] = src[i];
    }
    return k;
}

static int
cut_dim(const struct cut *cuts, const char *name)
{
    for (int i = 0; cuts[i].name != NULL; i++)
        if (strcmp(cuts[i].name, name) == 0)
            return cuts[i].dim;
    return -1;
}

/* One of the snapshot's arrays (which 0 data, 1 m, 2 v) of parameter
 * `name`, cut as cuts say, into a new buffer; *n gets its length. */
static float *
snap_cut(const struct snap *s, const char *name, const struct cut *cuts,
         int which, const int *keep, int nk, size_t *n)
{
    int i = snap_find(s, name);
    const float *src = which == 0 ? s->data[i] : which == 1 ? s->m[i] : s->v[i];
    RS_ASSERT(src != NULL);
    float *dst = rs_xreallocarray(
        NULL, (size_t)(s->shape[i][0] * s->shape[i][1]), sizeof *dst);
    *n = cut_floats(dst, src, s->shape[i][0], s->shape[i][1],
                    cut_dim(cuts, name), keep, nk);
    return dst;
}

/* Units 0..h-1 shuffled by seed; the first n are removed, and keep gets
 * the other h - n in ascending order. */
static void
pick_units(int h, int n, uint64_t seed, int *units, int *keep)
{
    struct rs_rng rng;
    rs_rng_seed(&rng, seed);
    int *all = rs_xreallocarray(NULL, (size_t)h, sizeof *all);
    for (int i = 0; i < h; i++)
        all[i] = i;
    rs_rng_shuffle_int(&rng, all, (size_t)h);
    memcpy(units, all, (size_t)n * sizeof *units);
    int k = 0;
    for (int u = 0; u < h; u++) {
        bool gone = false;
        for (int i = 0; i < n; i++)
            gone = gone || units[i] == u;
        if (!gone)
            keep[k++] = u;
    }
    free(all);
}

/* ---- builders ---------------------------------------------------------- */

static struct rs_rng build_rng;

static rs_nn_module *
check_built(rs_nn_module *m, const struct rs_error *err)
{
    if (m == NULL)
        tap_bail("build: %s", err->msg);
    return m;
}

static rs_nn_module *
lin(int in, int out)
{
    struct rs_error err = {0};
    return check_built(rs_nn_module_linear(in, out, true, RS_INIT_TORCH_DEFAULT,
                                           1.0f, &build_rng, &err),
                       &err);
}

static rs_nn_module *
act(enum rs_nn_mlp_act a)
{
    struct rs_error err = {0};
    return check_built(rs_nn_module_act(a, 0.01f, &err), &err);
}

static rs_nn_module *
norm(enum rs_nn_mlp_norm k, int width, bool affine)
{
    struct rs_error err = {0};
    return check_built(rs_nn_module_norm(k, width, affine, 1e-5f, &err), &err);
}

/* A sequential of children (references taken). */
static rs_nn_module *
seq(rs_nn_module **c, const char *const *names, int n)
{
    struct rs_error err = {0};
    rs_nn_module *s = rs_nn_module_sequential(c, names, n, &err);
    for (int i = 0; i < n; i++)
        rs_nn_module_release(c[i]);
    return check_built(s, &err);
}

static rs_nn_module *
mlp_module(int in, int width, int depth, int out, enum rs_nn_mlp_norm nrm,
           uint64_t seed)
{
    struct rs_nn_mlp_config cfg;
    rs_nn_mlp_config_default(&cfg);
    cfg.input = in;
    cfg.width = width;
    cfg.depth = depth;
    cfg.output = out;
    cfg.norm = nrm;
    struct rs_rng rng;
    rs_rng_seed(&rng, seed);
    struct rs_error err = {0};
    return check_built(rs_nn_module_mlp(&cfg, &rng, &err), &err);
}

/* Copy the snapshot, cut, into the parameters of dst named by map
 * (pairs "dst name", "snapshot name"). */
static void
load_cut(rs_nn_model *dst, const char *const (*map)[2], const struct snap *s,
         const struct cut *cuts, const int *keep, int nk)
{
    for (int i = 0; map[i][0] != NULL; i++) {
        rs_tensor *t = rs_nn_model_lookup(dst, map[i][0]);
        size_t n;
        float *d = snap_cut(s, map[i][1], cuts, 0, keep, nk, &n);
        if (t == NULL || t->numel != n)
            tap_bail("load_cut: %s has %zu entries, the cut %zu", map[i][0],
                     t != NULL ? t->numel : 0, n);
        memcpy(t->data, d, n * sizeof *d);
        free(d);
    }
}

/* Multiply-adds per example of every Linear in a registry ("*weight"
 * tensors of 2 dims). */
static long
macs(rs_nn_model *md)
{
    long s = 0;
    for (int i = 0; i < rs_nn_model_count(md); i++) {
        const rs_tensor *t = rs_nn_model_param(md, i);
        const char *n = rs_nn_model_param_name(md, i);
        size_t len = strlen(n);
        if (t->ndim == 2 && len >= 6 && strcmp(n + len - 6, "weight") == 0)
            s += (long)t->shape[0] * t->shape[1];
    }
    return s;
}

static size_t
optim_numel(const rs_optim *o)
{
    size_t n = 0;
    for (int i = 0; i < rs_optim_nparams(o); i++)
        n += rs_optim_param(o, i)->numel;
    return n;
}

/* ---- (a)-(d) on an MLP with Adam ---------------------------------------- */

static const struct cut mlp_l1_cuts[] = {
    {"l1.weight", 0},    {"l1.bias", 0},   {"l1.norm.weight", 0},
    {"l1.norm.bias", 0}, {"l2.weight", 1}, {NULL, 0}};

static void
check_shape(rs_nn_model *md, const char *name, int d0, int d1)
{
    const rs_tensor *t = rs_nn_model_lookup(md, name);
    tap_ok(t != NULL && t->shape[0] == d0 &&
               (d1 == 0 ? t->ndim == 1 : t->ndim == 2 && t->shape[1] == d1),
           "%s: shape (%d%s%.0d)", name, d0, d1 ? ", " : "", d1);
}

static void
test_mlp_adam(void)
{
    struct batch b;
    make_batch(&b, 8, 4, 21);
    rs_nn_module *m = mlp_module(8, 32, 2, 4, RS_NN_MLP_NORM_LAYERNORM, 7);
    rs_nn_model *md = rs_nn_module_model(m);
    rs_optim *o = new_optim(m, RS_OPTIM_ADAM);
    rs_graph *g = rs_graph_new();
    for (int k = 0; k < 5; k++)
        train_step(m, o, g, &b);

    struct snap s;
    snap_take(&s, md, o);
    size_t numel0 = rs_nn_model_numel(md);
    long macs0 = macs(md);
    int units[24], keep[8];
    pick_units(32, 24, 99, units, keep);
    struct rs_error err = {0};
    int rc = rs_nn_module_remove_units(m, "l1", units, 24, o, &err);
    if (!tap_ok(rc == RS_OK, "remove 24 of 32 units of l1"))
        tap_bail("%s", err.msg);

    /* shapes, identity of untouched tensors, registry and optimiser */
    check_shape(md, "l1.weight", 8, 8);
    check_shape(md, "l1.bias", 8, 0);
    check_shape(md, "l1.norm.weight", 8, 0);
    check_shape(md, "l1.norm.bias", 8, 0);
    check_shape(md, "l2.weight", 32, 8);
    bool same = true, held = true, dropped = true;
    for (int i = 0; i < s.n; i++) {
        rs_tensor *t = rs_nn_model_param(md, i);
        bool cut = cut_dim(mlp_l1_cuts, s.name[i]) >= 0;
        if (!cut)
            same = same && t == s.t[i];
        else
            dropped = dropped && s.t[i]->refs == 1 && s.t[i]->name == NULL;
        held = held && rs_optim_param(o, i) == t &&
               strcmp(t->name, s.name[i]) == 0;
    }
    tap_ok(same, "untouched parameters are the same tensors");
    tap_ok(held, "the optimiser holds the model's tensors, names kept");
    tap_ok(dropped, "old tensors released by model and optimiser");
    tap_is_int(rs_nn_module_in(m), 8, "module in");
    tap_is_int(rs_nn_module_out(m), 4, "module out");
    rs_nn_mlp *mlp = rs_nn_module_as_mlp(m);
    tap_ok(rs_nn_mlp_width(mlp, 1) == 8 && rs_nn_mlp_width(mlp, 2) == 32 &&
               rs_nn_mlp_width(mlp, 3) == 0,
           "rs_nn_mlp_width: 8, 32 (and 0 outside)");
    tap_is_int(rs_nn_mlp_config(mlp)->width, 0,
               "config width 0: the hidden widths differ");
    tap_is_int(rs_nn_module_layer_units(m, "l1", NULL), 8, "layer_units l1");
    tap_is_int(rs_nn_module_layer_units(m, "l2", NULL), 32, "layer_units l2");

    /* kept weights and (b) moments */
    for (int i = 0; i < s.n; i++) {
        size_t n;
        const rs_tensor *t = rs_nn_model_param(md, i);
        for (int which = 0; which < 3; which++) {
            float *want =
                snap_cut(&s, s.name[i], mlp_l1_cuts, which, keep, 8, &n);
            const float *got =
                which == 0 ? t->data : rs_optim_state(o, i, which - 1);
            if (n == t->numel)
                tap_is_floats(got, want, n, 0, 0, "%s: %s %s", s.name[i],
                              which == 0   ? "data"
                              : which == 1 ? "m"
                                           : "v",
                              cut_dim(mlp_l1_cuts, s.name[i]) >= 0
                                  ? "moved with the kept units"
                                  : "unchanged");
            else
                tap_ok(false, "%s: %zu entries, want %zu", s.name[i], t->numel,
                       n);
            free(want);
        }
    }

    /* (a) a fresh network of the smaller widths with the kept weights */
    rs_nn_module *fc[] = {lin(8, 8),
                          norm(RS_NN_MLP_NORM_LAYERNORM, 8, true),
                          act(RS_NN_MLP_ACT_RELU),
                          lin(8, 32),
                          norm(RS_NN_MLP_NORM_LAYERNORM, 32, true),
                          act(RS_NN_MLP_ACT_RELU),
                          lin(32, 4)};
    rs_nn_module *fresh = seq(fc, NULL, 7);
    static const char *const map[][2] = {{"1.weight", "l1.weight"},
                                         {"1.bias", "l1.bias"},
                                         {"2.weight", "l1.norm.weight"},
                                         {"2.bias", "l1.norm.bias"},
                                         {"4.weight", "l2.weight"},
                                         {"4.bias", "l2.bias"},
                                         {"5.weight", "l2.norm.weight"},
                                         {"5.bias", "l2.norm.bias"},
                                         {"7.weight", "l3.weight"},
                                         {"7.bias", "l3.bias"},
                                         {NULL, NULL}};
    load_cut(rs_nn_module_model(fresh), map, &s, mlp_l1_cuts, keep, 8);
    float y_cut[B * 4], y_fresh[B * 4];
    double l_cut = loss_on(m, g, &b, NULL, y_cut);
    tap_ok(rs_nn_mlp_preact(mlp, 1)->shape[1] == 8 &&
               rs_nn_mlp_preact(mlp, 2)->shape[1] == 32,
           "recorded pre-activations of widths 8 and 32");
    rs_graph_reset(g);
    double l_fresh = loss_on(fresh, g, &b, NULL, y_fresh);
    rs_graph_reset(g);
    tap_is_float(l_cut, l_fresh, 1e-6, 0.0,
                 "(a) loss of the cut network %.7f = fresh network %.7f", l_cut,
                 l_fresh);
    tap_is_floats(y_cut, y_fresh, B * 4, 1e-6, 0.0, "(a) same logits");

    /* (b) the fresh network with the moved moments in its own Adam takes
     * the same step as the cut one */
    rs_optim *fo = new_optim(fresh, RS_OPTIM_ADAM);
    rs_nn_model *fmd = rs_nn_module_model(fresh);
    for (int i = 0; map[i][0] != NULL; i++) {
        int fi = rs_nn_model_find(fmd, map[i][0]);
        for (int which = 1; which < 3; which++) {
            size_t n;
            float *mv =
                snap_cut(&s, map[i][1], mlp_l1_cuts, which, keep, 8, &n);
            memcpy(rs_optim_state(fo, fi, which - 1), mv, n * sizeof *mv);
            free(mv);
        }
    }
    rs_optim_set_steps(fo, rs_optim_steps(o));
    double l0 = train_step(m, o, g, &b);
    train_step(fresh, fo, g, &b);
    bool close = true;
    for (int i = 0; map[i][0] != NULL; i++) {
        const rs_tensor *a = rs_nn_model_lookup(md, map[i][1]);
        const rs_tensor *c = rs_nn_model_lookup(fmd, map[i][0]);
        for (size_t k = 0; k < a->numel; k++)
            close = close && fabsf(a->data[k] - c->data[k]) <= 1e-6f;
    }
    tap_ok(close, "(b) one more Adam step: cut and fresh agree to 1e-6");

    /* (c) training goes on */
    double last = l0;
    bool finite = true;
    for (int k = 0; k < 10; k++) {
        last = train_step(m, o, g, &b);
        finite = finite && isfinite(last);
    }
    tap_ok(finite, "(c) 10 more steps, every loss finite");
    tap_ok(last < l0, "(c) the loss falls: %.4f -> %.4f", l0, last);
    tap_is_int(rs_optim_steps(o), 16, "(c) the optimiser counted 16 steps");

    /* (d) less work, by shapes */
    size_t numel1 = rs_nn_model_numel(md);
    tap_is_int((long)(numel0 - numel1), 24 * (8 + 1 + 2) + 24 * 32,
               "(d) 1032 parameters fewer (%zu -> %zu)", numel0, numel1);
    tap_is_int((long)optim_numel(o), (long)numel1,
               "(d) the optimiser updates %zu elements", numel1);
    long macs1 = macs(md);
    tap_ok(macs0 == 8 * 32 + 32 * 32 + 32 * 4 &&
               macs1 == 8 * 8 + 8 * 32 + 32 * 4,
           "(d) forward multiply-adds per example %ld -> %ld", macs0, macs1);

    rs_optim_free(fo);
    rs_nn_module_release(fresh);
    rs_graph_free(g);
    rs_optim_free(o);
    snap_free(&s);
    rs_nn_module_release(m);
}

/* ---- a depth-1 MLP against one built from its updated config ------------ */

static void
test_mlp_rebuild(void)
{
    struct batch b;
    make_batch(&b, 6, 3, 31);
    rs_nn_module *m = mlp_module(6, 16, 1, 3, RS_NN_MLP_NORM_RMSNORM, 8);
    rs_nn_model *md = rs_nn_module_model(m);
    rs_optim *o = new_optim(m, RS_OPTIM_ADAMW);
    rs_graph *g = rs_graph_new();
    for (int k = 0; k < 3; k++)
        train_step(m, o, g, &b);
    struct snap s;
    snap_take(&s, md, o);
    int units[12], keep[4];
    pick_units(16, 12, 5, units, keep);
    struct rs_error err = {0};
    int rc = rs_nn_module_remove_units(m, "l1", units, 12, o, &err);
    tap_ok(rc == RS_OK, "depth 1: removed 12 of 16 (%s)", err.msg);
    const struct rs_nn_mlp_config *cfg =
        rs_nn_mlp_config(rs_nn_module_as_mlp(m));
    tap_is_int(cfg->width, 4, "depth 1: config width follows (4)");
    struct rs_rng rng;
    rs_rng_seed(&rng, 1);
    rs_nn_module *fresh = check_built(rs_nn_module_mlp(cfg, &rng, &err), &err);
    static const struct cut cuts[] = {{"l1.weight", 0},
                                      {"l1.bias", 0},
                                      {"l1.norm.weight", 0},
                                      {"l2.weight", 1},
                                      {NULL, 0}};
    static const char *const map[][2] = {{"l1.weight", "l1.weight"},
                                         {"l1.bias", "l1.bias"},
                                         {"l1.norm.weight", "l1.norm.weight"},
                                         {"l2.weight", "l2.weight"},
                                         {"l2.bias", "l2.bias"},
                                         {NULL, NULL}};
    load_cut(rs_nn_module_model(fresh), map, &s, cuts, keep, 4);
    double a = loss_on(m, g, &b, NULL, NULL);
    rs_graph_reset(g);
    double c = loss_on(fresh, g, &b, NULL, NULL);
    rs_graph_reset(g);
    tap_is_float(a, c, 1e-6, 0.0,
                 "depth 1: loss %.7f = an MLP built from the config %.7f", a,
                 c);
    rs_nn_module_release(fresh);
    rs_graph_free(g);
    rs_optim_free(o);
    snap_free(&s);
    rs_nn_module_release(m);
}

/* ---- a sequential with norms and SGD momentum ---------------------------- */

static void
test_sequential(void)
{
    struct batch b;
    make_batch(&b, 6, 3, 41);
    rs_nn_module *c[] = {lin(6, 16),
                         norm(RS_NN_MLP_NORM_RMSNORM, 16, true),
                         act(RS_NN_MLP_ACT_RELU),
                         norm(RS_NN_MLP_NORM_LAYERNORM, 16, false),
                         act(RS_NN_MLP_ACT_TANH),
                         lin(16, 3)};
    rs_nn_module *in = c[0], *n1 = c[1], *n2 = c[3];
    rs_nn_module_retain(in);
    rs_nn_module_retain(n2);
    static const char *const names[] = {"in", "n1", "a1", "n2", "a2", "out"};
    rs_nn_module *m = seq(c, names, 6);
    rs_nn_model *md = rs_nn_module_model(m);
    rs_optim *o = new_optim(m, RS_OPTIM_SGD);
    rs_graph *g = rs_graph_new();
    for (int k = 0; k < 3; k++)
        train_step(m, o, g, &b);
    struct snap s;
    snap_take(&s, md, o);
    int units[3] = {15, 0, 7}, keep[13];
    for (int u = 0, k = 0; u < 16; u++)
        if (u != 15 && u != 0 && u != 7)
            keep[k++] = u;
    struct rs_error err = {0};
    int rc = rs_nn_module_remove_units(m, "a2", units, 3, o, &err);
    tap_ok(rc == RS_OK, "sequential: remove 3 units of a2 (%s)", err.msg);

    static const struct cut cuts[] = {{"in.weight", 0},
                                      {"in.bias", 0},
                                      {"n1.weight", 0},
                                      {"out.weight", 1},
                                      {NULL, 0}};
    check_shape(md, "in.weight", 13, 6);
    check_shape(md, "n1.weight", 13, 0);
    check_shape(md, "out.weight", 3, 13);
    rs_tensor *w = rs_nn_model_lookup(md, "in.weight");
    tap_ok(rs_nn_model_param(rs_nn_module_model(in), 0) == w &&
               strcmp(w->name, "in.weight") == 0,
           "the child's registry and the sequential's share the new tensor");
    tap_ok(rs_nn_module_in(n1) == 13 && rs_nn_module_in(n2) == 13 &&
               rs_nn_module_out(n2) == 13,
           "both norms (affine and not) are 13 wide");
    tap_ok(rs_nn_module_in(m) == 6 && rs_nn_module_out(m) == 3,
           "sequential in 6, out 3");
    bool moved = true, dropped = true;
    for (int i = 0; i < s.n; i++) {
        size_t n;
        const rs_tensor *t = rs_nn_model_param(md, i);
        float *want = snap_cut(&s, s.name[i], cuts, 1, keep, 13, &n);
        moved = moved && n == t->numel &&
                memcmp(rs_optim_state(o, i, 0), want, n * sizeof *want) == 0;
        free(want);
        if (cut_dim(cuts, s.name[i]) >= 0)
            dropped = dropped && s.t[i]->refs == 1;
    }
    tap_ok(moved, "momentum buffers moved with the kept units");
    tap_ok(dropped, "old tensors released by every registry and the "
                    "optimiser");

    rs_nn_module *fc[] = {lin(6, 13),
                          norm(RS_NN_MLP_NORM_RMSNORM, 13, true),
                          act(RS_NN_MLP_ACT_RELU),
                          norm(RS_NN_MLP_NORM_LAYERNORM, 13, false),
                          act(RS_NN_MLP_ACT_TANH),
                          lin(13, 3)};
    rs_nn_module *fresh = seq(fc, names, 6);
    static const char *const map[][2] = {
        {"in.weight", "in.weight"}, {"in.bias", "in.bias"},
        {"n1.weight", "n1.weight"}, {"out.weight", "out.weight"},
        {"out.bias", "out.bias"},   {NULL, NULL}};
    load_cut(rs_nn_module_model(fresh), map, &s, cuts, keep, 13);
    double a = loss_on(m, g, &b, NULL, NULL);
    rs_graph_reset(g);
    double f = loss_on(fresh, g, &b, NULL, NULL);
    rs_graph_reset(g);
    tap_is_float(a, f, 1e-6, 0.0, "sequential: loss %.7f = fresh %.7f", a, f);
    double l0 = train_step(m, o, g, &b), last = l0;
    for (int k = 0; k < 5; k++)
        last = train_step(m, o, g, &b);
    tap_ok(isfinite(last) && last < l0, "sequential trains on: %.4f -> %.4f",
           l0, last);

    rs_nn_module_release(fresh);
    rs_graph_free(g);
    rs_optim_free(o);
    snap_free(&s);
    rs_nn_module_release(m);
    tap_ok(strcmp(rs_nn_model_param(rs_nn_module_model(in), 0)->name,
                  "weight") == 0,
           "the child outlives the sequential with its own names");
    rs_nn_module_release(in);
    rs_nn_module_release(n2);
}

/* ---- a sequential holding an MLP, and shared registries ----------------- */

static void
test_nested_shared(void)
{
    rs_nn_module *c[] = {mlp_module(5, 12, 1, 7, RS_NN_MLP_NORM_NONE, 9),
                         act(RS_NN_MLP_ACT_RELU), lin(7, 2)};
    static const char *const names[] = {"enc", "r", "out"};
    rs_nn_module *m = seq(c, names, 3);
    rs_nn_model *md = rs_nn_module_model(m);
    /* a registry outside the tree sharing two of its tensors (as a
     * learner's gathered parameters do) plus one of its own */
    rs_nn_model *shared = rs_nn_model_new("learner");
    const char *pick[] = {"enc.l1.weight", "enc.l2.weight"};
    for (int i = 0; i < 2; i++) {
        rs_tensor *t = rs_nn_model_lookup(md, pick[i]);
        if (rs_nn_model_add(shared, pick[i], t->ndim, t->shape, NULL) == NULL)
            tap_bail("shared add");
        rs_tensor_retain(t);
        rs_nn_model_replace(shared, i, t);
    }
    rs_tensor *own = rs_nn_model_add(shared, "own", 1, (int[]){3}, NULL);
    rs_nn_model *list[1] = {shared};
    struct rs_error err = {0};
    int rc = rs_nn_module_remove_units_shared(m, "enc.l1", (int[]){4, 1, 11}, 3,
                                              NULL, list, 1, &err);
    tap_ok(rc == RS_OK, "enc.l1 of an MLP child, no optimiser (%s)", err.msg);
    check_shape(md, "enc.l1.weight", 9, 5);
    check_shape(md, "enc.l2.weight", 7, 9);
    rs_nn_mlp *mlp = rs_nn_module_as_mlp(rs_nn_module_child(m, 0));
    tap_ok(rs_nn_model_lookup(rs_nn_mlp_model(mlp), "l1.bias") ==
                   rs_nn_model_lookup(md, "enc.l1.bias") &&
               rs_nn_mlp_config(mlp)->width == 9,
           "the MLP's registry and config follow");
    tap_ok(rs_nn_model_param(shared, 0) ==
                   rs_nn_model_lookup(md, "enc.l1.weight") &&
               rs_nn_model_param(shared, 1) ==
                   rs_nn_model_lookup(md, "enc.l2.weight") &&
               rs_nn_model_param(shared, 2) == own,
           "the shared registry holds the new tensors, its own untouched");
    tap_is_int(rs_nn_module_layer_units(m, "enc.l1", NULL), 9,
               "layer_units enc.l1");
    rc = rs_nn_module_remove_units_shared(m, "enc.l1", (int[]){0}, 1, NULL,
                                          NULL, -1, &err);
    tap_is_str(err.msg,
               "layer 'enc.l1': bad shared registry list "
               "(nshared = -1)",
               "a bad shared list");
    rc = rs_nn_module_remove_units(m, "r", (int[]){0}, 1, NULL, &err);
    tap_is_str(err.msg,
               "layer 'r': child 'enc' (mlp) stands between it and "
               "the linear that produces its units",
               "an MLP child before an activation child");
    rs_graph *g = rs_graph_new();
    int shape[2] = {3, 5};
    float x[15] = {0};
    tap_ok(rs_nn_module_forward(m, g, rs_graph_input(g, 2, shape, x)) != NULL,
           "the nested sequential still runs forward");
    rs_graph_free(g);
    rs_nn_model_free(shared);
    rs_nn_module_release(m);
}

/* ---- errors -------------------------------------------------------------- */

static void
expect_error(rs_nn_module *m, const char *layer, const int *units, int n,
             rs_optim *o, int code, const char *want)
{
    struct rs_error err = {0};
    int rc = rs_nn_module_remove_units(m, layer, units, n, o, &err);
    tap_is_int(rc, code, "'%s': code", layer != NULL ? layer : "(null)");
    tap_is_str(err.msg, want, "'%s': message",
               layer != NULL ? layer : "(null)");
}

static void
test_errors(void)
{
    rs_nn_module *m = mlp_module(4, 8, 2, 2, RS_NN_MLP_NORM_NONE, 3);
    rs_nn_model *md = rs_nn_module_model(m);
    rs_optim *o = new_optim(m, RS_OPTIM_ADAM);
    rs_nn_module *other = mlp_module(4, 8, 2, 2, RS_NN_MLP_NORM_NONE, 4);
    rs_optim *oo = new_optim(other, RS_OPTIM_ADAM);
    rs_tensor *before[8];
    for (int i = 0; i < rs_nn_model_count(md); i++)
        before[i] = rs_nn_model_param(md, i);

    expect_error(m, NULL, (int[]){0}, 1, o, RS_EINVAL, "no layer name given");
    expect_error(m, "l9", (int[]){0}, 1, o, RS_EINVAL,
                 "no layer 'l9' (layers: l1, l2)");
    expect_error(m, "l3", (int[]){0}, 1, o, RS_EINVAL,
                 "no layer 'l3' (layers: l1, l2)");
    expect_error(m, "l1", (int[]){1, 5, 1}, 3, o, RS_EINVAL,
                 "layer 'l1': unit 1 given twice (entries 0 and 2)");
    expect_error(m, "l1", (int[]){7, 6, 5, 4, 3, 2, 1, 0}, 8, o, RS_EINVAL,
                 "layer 'l1': cannot remove all 8 units (at least one must "
                 "remain)");
    expect_error(m, "l2", (int[]){0, 8}, 2, o, RS_EINVAL,
                 "layer 'l2': unit 8 (entry 1) out of range 0..7");
    expect_error(m, "l2", (int[]){-1}, 1, o, RS_EINVAL,
                 "layer 'l2': unit -1 (entry 0) out of range 0..7");
    expect_error(m, "l1", (int[]){0}, -1, o, RS_EINVAL,
                 "layer 'l1': n = -1 units (must be >= 0)");
    expect_error(m, "l1", NULL, 2, o, RS_EINVAL, "layer 'l1': no unit list");
    expect_error(m, "l1", (int[]){0}, 1, oo, RS_EINVAL,
                 "layer 'l1': the optimiser holds none of its parameters "
                 "(is it another model's?)");
    bool same = true;
    for (int i = 0; i < rs_nn_model_count(md); i++)
        same = same && rs_nn_model_param(md, i) == before[i] &&
               rs_optim_param(o, i) == before[i];
    tap_ok(same, "after every error the model and optimiser are unchanged");
    struct rs_error err = {0};
    tap_ok(rs_nn_module_remove_units(m, "l2", NULL, 0, o, &err) == RS_OK &&
               rs_nn_model_param(md, 0) == before[0] &&
               rs_nn_model_lookup(md, "l2.weight") == before[2],
           "n = 0 checks the layer and changes nothing");
    tap_is_int(rs_nn_module_layer_units(m, "l9", &err), RS_EINVAL,
               "layer_units of an unknown layer");
    tap_is_str(err.msg, "no layer 'l9' (layers: l1, l2)",
               "layer_units message");

    rs_nn_module *l = lin(3, 3);
    expect_error(l, "x", (int[]){0}, 1, NULL, RS_EINVAL,
                 "no layer 'x' (a linear module has no layers)");
    rs_nn_module *r = act(RS_NN_MLP_ACT_RELU);
    expect_error(r, "relu", (int[]){0}, 1, NULL, RS_EINVAL,
                 "layer 'relu': units of a relu module cannot be removed "
                 "(mlp and sequential only)");
    rs_nn_module *c1[] = {lin(3, 4), act(RS_NN_MLP_ACT_RELU)};
    rs_nn_module *tail = seq(c1, NULL, 2);
    expect_error(tail, "2", (int[]){0}, 1, NULL, RS_EINVAL,
                 "layer '2': no linear after it reads its units (they are "
                 "the output)");
    rs_nn_module *c2[] = {act(RS_NN_MLP_ACT_RELU), lin(3, 4)};
    rs_nn_module *head = seq(c2, NULL, 2);
    expect_error(head, "1", (int[]){0}, 1, NULL, RS_EINVAL,
                 "layer '1': no linear before it produces its units");

    /* neighbours that disagree (parameters replaced behind surgery's back) */
    rs_nn_module *c3[] = {lin(4, 6), norm(RS_NN_MLP_NORM_LAYERNORM, 6, false),
                          act(RS_NN_MLP_ACT_RELU), lin(6, 2)};
    rs_nn_module *lin1 = c3[0], *lin2 = c3[3];
    rs_nn_module_retain(lin1);
    rs_nn_module_retain(lin2);
    rs_nn_module *bad = seq(c3, NULL, 4);
    rs_nn_model *bm = rs_nn_module_model(bad);
    rs_tensor *w5 = rs_tensor_new_param(2, (int[]){5, 4}, NULL);
    rs_tensor_retain(w5);
    rs_nn_model_replace(rs_nn_module_model(lin1), 0, w5);
    rs_nn_model_replace(bm, rs_nn_model_find(bm, "1.weight"), w5);
    expect_error(bad, "3", (int[]){0}, 1, NULL, RS_ESHAPE,
                 "layer '3': 1.bias has shape (6), expected 5 units along "
                 "dim 0");
    rs_tensor *b5 = rs_tensor_new_param(1, (int[]){5}, NULL);
    rs_tensor *v5 = rs_tensor_new_param(2, (int[]){2, 5}, NULL);
    rs_tensor_retain(b5);
    rs_tensor_retain(v5);
    rs_nn_model_replace(rs_nn_module_model(lin1), 1, b5);
    rs_nn_model_replace(bm, rs_nn_model_find(bm, "1.bias"), b5);
    rs_nn_model_replace(rs_nn_module_model(lin2), 0, v5);
    rs_nn_model_replace(bm, rs_nn_model_find(bm, "4.weight"), v5);
    expect_error(bad, "3", (int[]){0}, 1, NULL, RS_ESHAPE,
                 "layer '3': a layernorm of width 6 between linears of 5 "
                 "units");

    rs_nn_module_release(bad);
    rs_nn_module_release(lin1);
    rs_nn_module_release(lin2);
    rs_nn_module_release(head);
    rs_nn_module_release(tail);
    rs_nn_module_release(r);
    rs_nn_module_release(l);
    rs_optim_free(oo);
    rs_nn_module_release(other);
    rs_optim_free(o);
    rs_nn_module_release(m);
}

int
main(void)
{
    tap_plan_lazy();
    rs_rng_seed(&build_rng, 17);
    test_mlp_adam();
    test_mlp_rebuild();
    test_sequential();
    test_nested_shared();
    test_errors();
    return tap_done();
}
