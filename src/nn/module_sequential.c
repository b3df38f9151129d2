/* repscope - MIT licence, see COPYING.
 *
 * module_sequential.c: the sequential kind (module.h): children run in
 * order, their parameters shared in one registry under "<child>.<name>",
 * their probe-able layers listed as "<child>" (an activation child) or
 * "<child>.<layer>"; it takes tokens when its first child does. Worker
 * thread only.
 */
#include "config.h"

#include "nn/module.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- sequential -------------------------------------------------------- */

struct seq_layer {
    int child, sub; /* child index and that child's layer index */
    char *name;     /* "<child>" or "<child>.<sub name>" */
};

struct seq_impl {
    int n;
    rs_nn_module **child; /* retained */
    char (*names)[RS_NN_MODULE_NAME_MAX + 1];
    int nlayers;
    struct seq_layer *layers;
    rs_nn_model *model; /* the module's registry, for teardown order */
};

static rs_tensor *
seq_forward(rs_nn_module *m, rs_graph *g, rs_tensor *x)
{
    const struct seq_impl *s = rs_nn_module_impl(m);
    rs_tensor *h = x;
    for (int i = 0; i < s->n && h != NULL; i++)
        h = rs_nn_module_forward(s->child[i], g, h);
    return h;
}

/* A sequential takes what its first child takes. */
static enum rs_nn_input_kind
seq_input_kind(const rs_nn_module *m)
{
    const struct seq_impl *s = rs_nn_module_impl(m);
    return rs_nn_module_input_kind(s->child[0]);
}

/* ids (B, T) through the first child's forward_ids, its output through
 * the rest. */
static rs_tensor *
seq_forward_ids(rs_nn_module *m, rs_graph *g, const int *ids, int B, int T)
{
    const struct seq_impl *s = rs_nn_module_impl(m);
    if (seq_input_kind(m) != RS_NN_INPUT_TOKENS) {
        rs_graph_fail(g, RS_EINVAL, "sequential: takes %s, was given %s",
                      rs_nn_input_kind_name(seq_input_kind(m)),
                      rs_nn_input_kind_name(RS_NN_INPUT_TOKENS));
        return NULL;
    }
    struct rs_nn_input in = {
        .kind = RS_NN_INPUT_TOKENS, .ids = ids, .B = B, .T = T};
    rs_tensor *h = rs_nn_module_forward_input(s->child[0], g, &in);
    for (int i = 1; i < s->n && h != NULL; i++)
        h = rs_nn_module_forward(s->child[i], g, h);
    return h;
}

static int
seq_in(const rs_nn_module *m)
{
    const struct seq_impl *s = rs_nn_module_impl(m);
    if (seq_input_kind(m) == RS_NN_INPUT_TOKENS)
        return 0; /* ids */
    for (int i = 0; i < s->n; i++) {
        int in = rs_nn_module_in(s->child[i]);
        if (in > 0)
            return in;
    }
    return 0;
}

static int
seq_out(const rs_nn_module *m)
{
    const struct seq_impl *s = rs_nn_module_impl(m);
    for (int i = s->n - 1; i >= 0; i--) {
        int out = rs_nn_module_out(s->child[i]);
        if (out > 0)
            return out;
    }
    return 0;
}

static int
seq_layers(const rs_nn_module *m)
{
    return ((const struct seq_impl *)rs_nn_module_impl(m))->nlayers;
}

static const char *
seq_layer_name(const rs_nn_module *m, int i)
{
    return ((const struct seq_impl *)rs_nn_module_impl(m))->layers[i].name;
}

static rs_tensor *
seq_preact(const rs_nn_module *m, int i)
{
    const struct seq_impl *s = rs_nn_module_impl(m);
    return rs_nn_module_layer_preact(s->child[s->layers[i].child],
                                     s->layers[i].sub);
}

static rs_tensor *
seq_act(const rs_nn_module *m, int i)
{
    const struct seq_impl *s = rs_nn_module_impl(m);
    return rs_nn_module_layer_act(s->child[s->layers[i].child],
                                  s->layers[i].sub);
}

static void
seq_destroy(void *impl)
{
    struct seq_impl *s = impl;
    /* Drop the shared references first, then point each tensor's name back
     * at its child's registry (the shared registry set it to its own). */
    rs_nn_model_free(s->model);
    for (int i = 0; i < s->n; i++) {
        rs_nn_model *cm = rs_nn_module_model(s->child[i]);
        for (int j = 0; j < rs_nn_model_count(cm); j++)
            rs_nn_model_param(cm, j)->name = rs_nn_model_param_name(cm, j);
        rs_nn_module_release(s->child[i]);
    }
    for (int i = 0; i < s->nlayers; i++)
        free(s->layers[i].name);
    free(s->layers);
    free(s->child);
    free(s->names);
    free(s);
}

static const struct rs_nn_module_class seq_class = {
    .kind = "sequential",
    .forward = seq_forward,
    .in = seq_in,
    .out = seq_out,
    .layers = seq_layers,
    .layer_name = seq_layer_name,
    .preact = seq_preact,
    .act = seq_act,
    .destroy = seq_destroy,
    .forward_ids = seq_forward_ids,
    .input_kind = seq_input_kind,
};

static int
check_child_name(const char *name, int i, struct rs_error *err)
{
    size_t len = strlen(name);
    if (len == 0 || len > RS_NN_MODULE_NAME_MAX || strchr(name, '.') != NULL)
        return rs_error_set(err, RS_EINVAL,
                            "child %d name '%.40s' (must be 1..%d "
                            "characters without '.')",
                            i + 1, name, RS_NN_MODULE_NAME_MAX);
    return RS_OK;
}

/* Share child i's parameters into s's registry under "<child>.<name>". */
static int
adopt_params(struct seq_impl *s, int i, struct rs_error *err)
{
    rs_nn_model *cm = rs_nn_module_model(s->child[i]);
    for (int j = 0; j < rs_nn_model_count(cm); j++) {
        rs_tensor *t = rs_nn_model_param(cm, j);
        char name[RS_NN_MODEL_NAME_MAX + 2];
        int len = snprintf(name, sizeof name, "%s.%s", s->names[i],
                           rs_nn_model_param_name(cm, j));
        if (len < 0 || len > RS_NN_MODEL_NAME_MAX)
            return rs_error_set(err, RS_EINVAL,
                                "parameter name '%.40s...' "
                                "longer than %d",
                                name, RS_NN_MODEL_NAME_MAX);
        for (int k = 0; k < rs_nn_model_count(s->model); k++)
            if (rs_nn_model_param(s->model, k) == t)
                return rs_error_set(err, RS_EINVAL,
                                    "child %d ('%s') shares "
                                    "parameter '%s' with an earlier child",
                                    i + 1, s->names[i],
                                    rs_nn_model_param_name(s->model, k));
        if (rs_nn_model_add(s->model, name, t->ndim, t->shape, err) == NULL)
            return err != NULL ? err->code : RS_EINVAL;
        rs_tensor_retain(t);
        rs_nn_model_replace(s->model, rs_nn_model_count(s->model) - 1, t);
    }
    return RS_OK;
}

/* The composed layer list of s. */
static void
collect_layers(struct seq_impl *s)
{
    int total = 0;
    for (int i = 0; i < s->n; i++)
        total += rs_nn_module_layers(s->child[i]);
    s->nlayers = total;
    s->layers = total > 0 ? rs_xcalloc((size_t)total, sizeof *s->layers) : NULL;
    int k = 0;
    for (int i = 0; i < s->n; i++) {
        rs_nn_module *c = s->child[i];
        for (int j = 0; j < rs_nn_module_layers(c); j++, k++) {
            s->layers[k].child = i;
            s->layers[k].sub = j;
            s->layers[k].name =
                rs_nn_module_is_act(c)
                    ? rs_xstrdup(s->names[i])
                    : rs_xasprintf("%s.%s", s->names[i],
                                   rs_nn_module_layer_name(c, j));
        }
    }
}

rs_nn_module *
rs_nn_module_sequential(rs_nn_module *const *children, const char *const *names,
                        int n, struct rs_error *err)
{
    if (n < 1) {
        rs_error_set(err, RS_EINVAL, "no modules");
        return NULL;
    }
    struct seq_impl *s = rs_xcalloc(1, sizeof *s);
    s->child = rs_xcalloc((size_t)n, sizeof *s->child);
    s->names = rs_xcalloc((size_t)n, sizeof *s->names);
    s->model = rs_nn_model_new("sequential");
    int prev = -1, width = 0; /* last sized child and its OUT */
    for (int i = 0; i < n; i++) {
        s->child[i] = children[i];
        rs_nn_module_retain(children[i]);
        s->n = i + 1;
        if (names != NULL && names[i] != NULL) {
            if (check_child_name(names[i], i, err) != RS_OK)
                goto fail;
            snprintf(s->names[i], sizeof s->names[i], "%s", names[i]);
        } else {
            snprintf(s->names[i], sizeof s->names[i], "%d", i + 1);
        }
        for (int j = 0; j < i; j++)
            if (strcmp(s->names[j], s->names[i]) == 0) {
                rs_error_set(err, RS_EINVAL,
                             "children %d and %d are both "
                             "named '%s'",
                             j + 1, i + 1, s->names[i]);
                goto fail;
            }
        int in = rs_nn_module_in(children[i]);
        if (in > 0 && width > 0 && in != width) {
            rs_error_set(err, RS_ESHAPE,
                         "child %d ('%s', %s) takes %d features "
                         "but child %d ('%s') gives %d",
                         i + 1, s->names[i], rs_nn_module_kind(children[i]), in,
                         prev + 1, s->names[prev], width);
            goto fail;
        }
        int out = rs_nn_module_out(children[i]);
        if (out > 0) {
            width = out;
            prev = i;
        }
        if (adopt_params(s, i, err) != RS_OK)
            goto fail;
    }
    collect_layers(s);
    return rs_nn_module_new(&seq_class, s, s->model, false);
fail:
    seq_destroy(s);
    return NULL;
}

int
rs_nn_module_children(const rs_nn_module *m)
{
    return rs_nn_module_class_of(m) == &seq_class
               ? ((const struct seq_impl *)rs_nn_module_impl(m))->n
               : 0;
}

rs_nn_module *
rs_nn_module_child(const rs_nn_module *m, int i)
{
    if (i < 0 || i >= rs_nn_module_children(m))
        return NULL;
    return ((const struct seq_impl *)rs_nn_module_impl(m))->child[i];
}

const char *
rs_nn_module_child_name(const rs_nn_module *m, int i)
{
    if (i < 0 || i >= rs_nn_module_children(m))
        return NULL;
    return ((const struct seq_impl *)rs_nn_module_impl(m))->names[i];
}

int
rs_nn_module_find_child(const rs_nn_module *m, const char *name)
{
    int n = rs_nn_module_children(m);
    for (int i = 0; i < n; i++)
        if (strcmp(((const struct seq_impl *)rs_nn_module_impl(m))->names[i],
                   name) == 0)
            return i;
    return -1;
}
