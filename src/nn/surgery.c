/* repscope - MIT licence, see COPYING.
 *
 * surgery.c: removing hidden units (see surgery.h). Three phases, so an
 * error leaves everything as it was:
 *   1. plan: resolve the layer to the parameters it touches (each with the
 *      dimension that loses entries: 0 for the producing Linear's rows,
 *      its bias and the norms, 1 for the next Linear's columns), retaining
 *      each old tensor until the end; check the units;
 *   2. build: a new parameter per old one, data and grad gathered with
 *      rs_optim_keep_copy (the rule the optimiser moves moments by);
 *   3. commit: the optimiser first (all or nothing, the only step that can
 *      still fail), then every registry of the module tree (children
 *      first, so a tensor's name ends up pointing into the outermost
 *      registry, as a sequential's adoption leaves it) and the shared
 *      ones, then the norm widths and the MLP config.
 * Worker thread only.
 */
#include "config.h"

#include "nn/surgery.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tensor.h"
#include "nn/linear.h"
#include "nn/mlp.h"

/* One parameter that loses entries along dim. */
struct plan_param {
    rs_tensor *old; /* retained by the plan */
    int dim;        /* 0: entries (rows), 1: columns */
    rs_tensor *t;   /* the new tensor (one reference) once built */
    int slot;       /* optimiser slot, or -1 */
};

struct plan {
    const char *layer;    /* the full layer name, for messages */
    struct plan_param *p; /* np entries */
    int np, cap;
    rs_nn_module **norms; /* norm modules to resize (borrowed) */
    int nnorms;
    rs_nn_mlp *mlp; /* the MLP whose config follows, or NULL */
};

static void
plan_add(struct plan *pl, rs_tensor *t, int dim)
{
    if (t == NULL)
        return;
    if (pl->np == pl->cap) {
        pl->cap = pl->cap > 0 ? 2 * pl->cap : 8;
        pl->p = rs_xreallocarray(pl->p, (size_t)pl->cap, sizeof *pl->p);
    }
    rs_tensor_retain(t);
    pl->p[pl->np++] = (struct plan_param){.old = t, .dim = dim, .slot = -1};
}

static void
plan_add_norm(struct plan *pl, rs_nn_module *norm)
{
    pl->norms =
        rs_xreallocarray(pl->norms, (size_t)pl->nnorms + 1, sizeof *pl->norms);
    pl->norms[pl->nnorms++] = norm;
    rs_nn_model *md = rs_nn_module_model(norm);
    plan_add(pl, rs_nn_model_lookup(md, "weight"), 0);
    plan_add(pl, rs_nn_model_lookup(md, "bias"), 0);
}

static void
plan_fini(struct plan *pl)
{
    for (int i = 0; i < pl->np; i++) {
        rs_tensor_release(pl->p[i].t);
        rs_tensor_release(pl->p[i].old);
    }
    free(pl->p);
    free(pl->norms);
}

/* ---- 1. plan ------------------------------------------------------------- */

static bool
is_norm(const rs_nn_module *m)
{
    const char *k = rs_nn_module_kind(m);
    return strcmp(k, "layernorm") == 0 || strcmp(k, "rmsnorm") == 0;
}

static bool
is_linear(const rs_nn_module *m)
{
    return strcmp(rs_nn_module_kind(m), "linear") == 0;
}

/* Hidden layer k of an MLP: l<k> rows, l<k>.norm entries, l<k+1> columns. */
static void
plan_mlp(struct plan *pl, rs_nn_mlp *mlp, int k)
{
    rs_nn_model *md = rs_nn_mlp_model(mlp);
    const struct rs_nn_linear *a = rs_nn_mlp_linear(mlp, k);
    char name[32];
    plan_add(pl, rs_nn_linear_weight(a), 0);
    plan_add(pl, rs_nn_linear_bias(a), 0);
    snprintf(name, sizeof name, "l%d.norm.weight", k);
    plan_add(pl, rs_nn_model_lookup(md, name), 0);
    snprintf(name, sizeof name, "l%d.norm.bias", k);
    plan_add(pl, rs_nn_model_lookup(md, name), 0);
    plan_add(pl, rs_nn_linear_weight(rs_nn_mlp_linear(mlp, k + 1)), 1);
    pl->mlp = mlp;
}

/* Activation child c of sequential m: walk to the Linear before and the
 * Linear after, across activations and norms only. */
static int
plan_chain(struct plan *pl, rs_nn_module *m, int c, struct rs_error *err)
{
    int n = rs_nn_module_children(m), a = -1, b = -1;
    for (int i = c - 1; i >= 0 && a < 0; i--) {
        rs_nn_module *ch = rs_nn_module_child(m, i);
        if (is_linear(ch))
            a = i;
        else if (!rs_nn_module_is_act(ch) && !is_norm(ch))
            return rs_error_set(err, RS_EINVAL,
                                "layer '%s': child '%s' (%s) stands between "
                                "it and the linear that produces its units",
                                pl->layer, rs_nn_module_child_name(m, i),
                                rs_nn_module_kind(ch));
    }
    if (a < 0)
        return rs_error_set(err, RS_EINVAL,
                            "layer '%s': no linear before it produces its "
                            "units",
                            pl->layer);
    for (int i = c + 1; i < n && b < 0; i++) {
        rs_nn_module *ch = rs_nn_module_child(m, i);
        if (is_linear(ch))
            b = i;
        else if (!rs_nn_module_is_act(ch) && !is_norm(ch))
            return rs_error_set(err, RS_EINVAL,
                                "layer '%s': child '%s' (%s) stands between "
                                "it and the linear that reads its units",
                                pl->layer, rs_nn_module_child_name(m, i),
                                rs_nn_module_kind(ch));
    }
    if (b < 0)
        return rs_error_set(err, RS_EINVAL,
                            "layer '%s': no linear after it reads its units "
                            "(they are the output)",
                            pl->layer);
    rs_nn_model *am = rs_nn_module_model(rs_nn_module_child(m, a));
    plan_add(pl, rs_nn_model_lookup(am, "weight"), 0);
    plan_add(pl, rs_nn_model_lookup(am, "bias"), 0);
    for (int i = a + 1; i < b; i++)
        if (is_norm(rs_nn_module_child(m, i)))
            plan_add_norm(pl, rs_nn_module_child(m, i));
    rs_nn_model *bm = rs_nn_module_model(rs_nn_module_child(m, b));
    plan_add(pl, rs_nn_model_lookup(bm, "weight"), 1);
    return RS_OK;
}

/* Resolve name (a layer of m, known to exist) into pl. */
static int
plan_layer(struct plan *pl, rs_nn_module *m, const char *name,
           struct rs_error *err)
{
    rs_nn_mlp *mlp = rs_nn_module_as_mlp(m);
    if (mlp != NULL) {
        plan_mlp(pl, mlp, rs_nn_module_find_layer(m, name) + 1);
        return RS_OK;
    }
    if (rs_nn_module_children(m) == 0)
        return rs_error_set(err, RS_EINVAL,
                            "layer '%s': units of a %s module cannot be "
                            "removed (mlp and sequential only)",
                            pl->layer, rs_nn_module_kind(m));
    /* "<child>" (an activation child) or "<child>.<layer of the child>";
     * child names have no '.'. */
    const char *dot = strchr(name, '.');
    size_t len = dot != NULL ? (size_t)(dot - name) : strlen(name);
    char child[RS_NN_MODULE_NAME_MAX + 1];
    RS_ASSERT(len <= RS_NN_MODULE_NAME_MAX);
    memcpy(child, name, len);
    child[len] = '\0';
    int c = rs_nn_module_find_child(m, child);
    RS_ASSERT(c >= 0);
    if (dot == NULL)
        return plan_chain(pl, m, c, err);
    return plan_layer(pl, rs_nn_module_child(m, c), dot + 1, err);
}

/* "l1, l2, ..." into buf (truncated with "..."). */
static void
layer_list(const rs_nn_module *m, char *buf, size_t len)
{
    size_t off = 0;
    buf[0] = '\0';
    for (int i = 0; i < rs_nn_module_layers(m); i++) {
        int w = snprintf(buf + off, len - off, "%s%s", i > 0 ? ", " : "",
                         rs_nn_module_layer_name(m, i));
        if (w < 0 || (size_t)w >= len - off) {
            snprintf(buf + (len > 4 ? len - 4 : 0), 4, "...");
            return;
        }
        off += (size_t)w;
    }
}

/* Plan the layer and check its parameters agree on the width; *width gets
 * H. The caller runs plan_fini either way. */
static int
plan_make(struct plan *pl, rs_nn_module *m, const char *layer, int *width,
          struct rs_error *err)
{
    memset(pl, 0, sizeof *pl);
    pl->layer = layer != NULL ? layer : "";
    if (layer == NULL || layer[0] == '\0')
        return rs_error_set(err, RS_EINVAL, "no layer name given");
    if (rs_nn_module_find_layer(m, layer) < 0) {
        char list[256];
        layer_list(m, list, sizeof list);
        if (list[0] == '\0')
            return rs_error_set(err, RS_EINVAL,
                                "no layer '%s' (a %s module has no layers)",
                                layer, rs_nn_module_kind(m));
        return rs_error_set(err, RS_EINVAL, "no layer '%s' (layers: %s)", layer,
                            list);
    }
    int rc = plan_layer(pl, m, layer, err);
    if (rc != RS_OK)
        return rc;
    RS_ASSERT(pl->np >= 2 && pl->p[0].dim == 0);
    int h = pl->p[0].old->shape[0];
    for (int i = 0; i < pl->np; i++) {
        const rs_tensor *t = pl->p[i].old;
        if (t->ndim <= pl->p[i].dim || t->shape[pl->p[i].dim] != h) {
            char shape[64];
            return rs_error_set(err, RS_ESHAPE,
                                "layer '%s': %s has shape %s, expected %d "
                                "units along dim %d",
                                layer, t->name != NULL ? t->name : "-",
                                rs_tensor_shape_str(t, shape, sizeof shape), h,
                                pl->p[i].dim);
        }
    }
    for (int i = 0; i < pl->nnorms; i++)
        if (rs_nn_module_in(pl->norms[i]) != h)
            return rs_error_set(err, RS_ESHAPE,
                                "layer '%s': a %s of width %d between "
                                "linears of %d units",
                                layer, rs_nn_module_kind(pl->norms[i]),
                                rs_nn_module_in(pl->norms[i]), h);
    *width = h;
    return RS_OK;
}

/* Check units[0..n) against width h and fill keep (h - n entries, the
 * surviving units in ascending order). */
static int
kept_units(const struct plan *pl, const int *units, int n, int h, int *keep,
           struct rs_error *err)
{
    if (n < 0)
        return rs_error_set(err, RS_EINVAL,
                            "layer '%s': n = %d units (must be >= 0)",
                            pl->layer, n);
    if (n > 0 && units == NULL)
        return rs_error_set(err, RS_EINVAL, "layer '%s': no unit list",
                            pl->layer);
    int *first = rs_xcalloc((size_t)h, sizeof *first); /* entry + 1, or 0 */
    int rc = RS_OK;
    for (int i = 0; i < n && rc == RS_OK; i++) {
        int u = units[i];
        if (u < 0 || u >= h)
            rc = rs_error_set(err, RS_EINVAL,
                              "layer '%s': unit %d (entry %d) out of range "
                              "0..%d",
                              pl->layer, u, i, h - 1);
        else if (first[u] != 0)
            rc = rs_error_set(err, RS_EINVAL,
                              "layer '%s': unit %d given twice (entries %d "
                              "and %d)",
                              pl->layer, u, first[u] - 1, i);
        else
            first[u] = i + 1;
    }
    if (rc == RS_OK && n == h)
        rc = rs_error_set(err, RS_EINVAL,
                          "layer '%s': cannot remove all %d units (at least "
                          "one must remain)",
                          pl->layer, h);
    for (int u = 0, k = 0; rc == RS_OK && u < h; u++)
        if (first[u] == 0)
            keep[k++] = u;
    free(first);
    return rc;
}

/* ---- 2. build ------------------------------------------------------------ */

static int
build_params(struct plan *pl, const int *keep, int nkeep, struct rs_error *err)
{
    for (int i = 0; i < pl->np; i++) {
        struct plan_param *pp = &pl->p[i];
        const rs_tensor *old = pp->old;
        struct rs_optim_keep sel = {.dim = pp->dim, .idx = keep, .n = nkeep};
        int shape[RS_MAX_DIMS];
        struct rs_error terr = {0};
        int rc =
            rs_optim_keep_shape(old->ndim, old->shape, &sel, 1, shape, &terr);
        RS_ASSERT(rc == RS_OK); /* plan_make and kept_units checked it */
        pp->t = rs_tensor_new_param(old->ndim, shape, &terr);
        if (pp->t == NULL)
            return rs_error_set(err, terr.code, "layer '%s': %s: %s", pl->layer,
                                old->name != NULL ? old->name : "-", terr.msg);
        rs_optim_keep_copy(pp->t->data, old->data, old->ndim, old->shape, &sel,
                           1);
        rs_optim_keep_copy(pp->t->grad, old->grad, old->ndim, old->shape, &sel,
                           1);
    }
    return RS_OK;
}

/* ---- 3. commit ----------------------------------------------------------- */

static int
commit_optim(struct plan *pl, rs_optim *opt, const int *keep, int nkeep,
             struct rs_error *err)
{
    struct rs_optim_keep *sel = rs_xcalloc((size_t)pl->np, sizeof *sel);
    struct rs_optim_swap *sw = rs_xcalloc((size_t)pl->np, sizeof *sw);
    int ns = 0;
    for (int i = 0; i < pl->np; i++) {
        if (pl->p[i].slot < 0)
            continue;
        sel[ns] = (struct rs_optim_keep){
            .dim = pl->p[i].dim, .idx = keep, .n = nkeep};
        sw[ns] = (struct rs_optim_swap){.param = pl->p[i].slot,
                                        .t = pl->p[i].t,
                                        .keep = &sel[ns],
                                        .nkeep = 1};
        ns++;
    }
    struct rs_error oerr = {0};
    int rc = rs_optim_replace_params(opt, sw, ns, &oerr);
    if (rc != RS_OK)
        rs_error_set(err, rc, "layer '%s': optimiser: %s", pl->layer, oerr.msg);
    free(sw);
    free(sel);
    return rc;
}

/* Every entry of md holding old gets t (one new reference each). */
static void
replace_in_model(rs_nn_model *md, rs_tensor *old, rs_tensor *t)
{
    for (int i = 0; i < rs_nn_model_count(md); i++)
        if (rs_nn_model_param(md, i) == old) {
            rs_tensor_retain(t);
            rs_nn_model_replace(md, i, t);
        }
}

/* Children first, then m's own registry. */
static void
replace_in_tree(rs_nn_module *m, rs_tensor *old, rs_tensor *t)
{
    for (int i = 0; i < rs_nn_module_children(m); i++)
        replace_in_tree(rs_nn_module_child(m, i), old, t);
    replace_in_model(rs_nn_module_model(m), old, t);
}

int
rs_nn_module_remove_units_shared(rs_nn_module *m, const char *layer,
                                 const int *units, int n, rs_optim *opt,
                                 rs_nn_model *const *shared, int nshared,
                                 struct rs_error *err)
{
    struct plan pl;
    int h = 0, *keep = NULL;
    int rc = plan_make(&pl, m, layer, &h, err);
    if (rc != RS_OK)
        goto out;
    if (nshared < 0 || (nshared > 0 && shared == NULL)) {
        rc = rs_error_set(err, RS_EINVAL,
                          "layer '%s': bad shared registry list "
                          "(nshared = %d)",
                          pl.layer, nshared);
        goto out;
    }
    keep = rs_xcalloc((size_t)h, sizeof *keep);
    rc = kept_units(&pl, units, n, h, keep, err);
    if (rc != RS_OK || n == 0)
        goto out;
    if (opt != NULL) {
        int held = 0;
        for (int i = 0; i < pl.np; i++) {
            pl.p[i].slot = rs_optim_find(opt, pl.p[i].old);
            held += pl.p[i].slot >= 0;
        }
        if (held == 0) {
            rc = rs_error_set(err, RS_EINVAL,
                              "layer '%s': the optimiser holds none of its "
                              "parameters (is it another model's?)",
                              pl.layer);
            goto out;
        }
    }
    rc = build_params(&pl, keep, h - n, err);
    if (rc != RS_OK)
        goto out;
    if (opt != NULL) {
        rc = commit_optim(&pl, opt, keep, h - n, err);
        if (rc != RS_OK)
            goto out;
    }
    for (int i = 0; i < pl.np; i++) {
        replace_in_tree(m, pl.p[i].old, pl.p[i].t);
        for (int j = 0; j < nshared; j++)
            replace_in_model(shared[j], pl.p[i].old, pl.p[i].t);
    }
    for (int i = 0; i < pl.nnorms; i++)
        rs_nn_module_norm_set_width(pl.norms[i], h - n);
    if (pl.mlp != NULL)
        rs_nn_mlp_sync_width(pl.mlp);
out:
    free(keep);
    plan_fini(&pl);
    return rc;
}

int
rs_nn_module_remove_units(rs_nn_module *m, const char *layer, const int *units,
                          int n, rs_optim *opt, struct rs_error *err)
{
    return rs_nn_module_remove_units_shared(m, layer, units, n, opt, NULL, 0,
                                            err);
}

int
rs_nn_module_layer_units(rs_nn_module *m, const char *layer,
                         struct rs_error *err)
{
    struct plan pl;
    int h = 0;
    int rc = plan_make(&pl, m, layer, &h, err);
    plan_fini(&pl);
    return rc != RS_OK ? rc : h;
}
