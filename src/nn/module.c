/* repscope - MIT licence, see COPYING.
 *
 * module.c: the module interface (see module.h) and its first four
 * kinds: linear, activation, norm and mlp (adapter over nn/mlp.c); the
 * sequential is module_sequential.c, the other kinds module_*.c.
 * Each kind is a const class plus an impl struct; the registry is owned by
 * the module except for the MLP, whose rs_nn_mlp owns its own. Recorded
 * layer tensors are arena pointers from the last forward, cleared at the
 * start of each forward. Worker thread only.
 */
#include "config.h"

#include "nn/module.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ops.h"
#include "nn/linear.h"

struct rs_nn_module {
    const struct rs_nn_module_class *cls;
    void *impl;
    rs_nn_model *model;
    bool owns_model;
    int refs;
    unsigned long forwards;
};

rs_nn_module *
rs_nn_module_new(const struct rs_nn_module_class *cls, void *impl,
                 rs_nn_model *model, bool owns_model)
{
    rs_nn_module *m = rs_xcalloc(1, sizeof *m);
    m->cls = cls;
    m->impl = impl;
    m->model = model;
    m->owns_model = owns_model;
    m->refs = 1;
    return m;
}

void *
rs_nn_module_impl(const rs_nn_module *m)
{
    return m->impl;
}

const struct rs_nn_module_class *
rs_nn_module_class_of(const rs_nn_module *m)
{
    return m->cls;
}

void
rs_nn_module_retain(rs_nn_module *m)
{
    RS_ASSERT(m->refs >= 1);
    m->refs++;
}

void
rs_nn_module_release(rs_nn_module *m)
{
    if (m == NULL)
        return;
    RS_ASSERT(m->refs >= 1);
    if (--m->refs > 0)
        return;
    /* The impl first: a sequential restores its children's parameter
     * names after its registry is gone. */
    rs_nn_model *model = m->owns_model ? m->model : NULL;
    if (m->cls->destroy != NULL)
        m->cls->destroy(m->impl);
    rs_nn_model_free(model);
    free(m);
}

const char *
rs_nn_module_kind(const rs_nn_module *m)
{
    return m->cls->kind;
}

rs_tensor *
rs_nn_module_forward(rs_nn_module *m, rs_graph *g, rs_tensor *x)
{
    m->forwards++;
    if (x == NULL)
        return NULL;
    return m->cls->forward(m, g, x);
}

enum rs_nn_input_kind
rs_nn_module_input_kind(const rs_nn_module *m)
{
    return m->cls->input_kind != NULL ? m->cls->input_kind(m)
                                      : RS_NN_INPUT_FEATURES;
}

const char *
rs_nn_input_kind_name(enum rs_nn_input_kind k)
{
    switch (k) {
    case RS_NN_INPUT_FEATURES:
        return "features";
    case RS_NN_INPUT_TOKENS:
        return "tokens";
    }
    return "?";
}

rs_tensor *
rs_nn_module_forward_input(rs_nn_module *m, rs_graph *g,
                           const struct rs_nn_input *in)
{
    if (in->kind == RS_NN_INPUT_FEATURES)
        return rs_nn_module_forward(m, g, in->x);
    m->forwards++;
    if (in->kind != RS_NN_INPUT_TOKENS || m->cls->forward_ids == NULL) {
        rs_graph_fail(g, RS_EINVAL, "%s: takes %s, was given %s",
                      m->cls->kind,
                      rs_nn_input_kind_name(rs_nn_module_input_kind(m)),
                      rs_nn_input_kind_name(in->kind));
        return NULL;
    }
    return m->cls->forward_ids(m, g, in->ids, in->B, in->T);
}

rs_tensor *
rs_nn_module_recorded(const rs_nn_module *m, const char *name)
{
    if (m->cls->recorded != NULL)
        return m->cls->recorded(m, name);
    size_t len = strlen(name);
    bool pre = len > 4 && strcmp(name + len - 4, ".pre") == 0;
    int n = rs_nn_module_layers(m);
    for (int i = 0; i < n; i++) {
        const char *ln = m->cls->layer_name(m, i);
        size_t k = strlen(ln);
        if (pre ? k == len - 4 && strncmp(ln, name, k) == 0
                : strcmp(ln, name) == 0)
            return pre ? m->cls->preact(m, i) : m->cls->act(m, i);
    }
    return NULL;
}

size_t
rs_nn_module_act_floats(const rs_nn_module *m, int T)
{
    return m->cls->act_floats != NULL ? m->cls->act_floats(m, T) : 0;
}

unsigned long
rs_nn_module_forwards(const rs_nn_module *m)
{
    return m->forwards;
}

rs_nn_model *
rs_nn_module_model(const rs_nn_module *m)
{
    return m->model;
}

int
rs_nn_module_in(const rs_nn_module *m)
{
    return m->cls->in != NULL ? m->cls->in(m) : 0;
}

int
rs_nn_module_out(const rs_nn_module *m)
{
    return m->cls->out != NULL ? m->cls->out(m) : 0;
}

int
rs_nn_module_layers(const rs_nn_module *m)
{
    return m->cls->layers != NULL ? m->cls->layers(m) : 0;
}

const char *
rs_nn_module_layer_name(const rs_nn_module *m, int i)
{
    if (i < 0 || i >= rs_nn_module_layers(m))
        return NULL;
    return m->cls->layer_name(m, i);
}

int
rs_nn_module_find_layer(const rs_nn_module *m, const char *name)
{
    int n = rs_nn_module_layers(m);
    for (int i = 0; i < n; i++)
        if (strcmp(m->cls->layer_name(m, i), name) == 0)
            return i;
    return -1;
}

rs_tensor *
rs_nn_module_layer_preact(const rs_nn_module *m, int i)
{
    if (i < 0 || i >= rs_nn_module_layers(m))
        return NULL;
    return m->cls->preact(m, i);
}

rs_tensor *
rs_nn_module_layer_act(const rs_nn_module *m, int i)
{
    if (i < 0 || i >= rs_nn_module_layers(m))
        return NULL;
    return m->cls->act(m, i);
}

/* ---- linear ------------------------------------------------------------ */

static rs_tensor *
linear_forward(rs_nn_module *m, rs_graph *g, rs_tensor *x)
{
    const struct rs_nn_linear *l = m->impl;
    return rs_nn_linear_forward(l, g, x);
}

static int
linear_in(const rs_nn_module *m)
{
    return rs_nn_linear_in(m->impl);
}

static int
linear_out(const rs_nn_module *m)
{
    return rs_nn_linear_out(m->impl);
}

static const struct rs_nn_module_class linear_class = {
    .kind = "linear",
    .forward = linear_forward,
    .in = linear_in,
    .out = linear_out,
    .destroy = free,
};

rs_nn_module *
rs_nn_module_linear(int in, int out, bool bias, enum rs_init_kind init,
                    float scale, struct rs_rng *rng, struct rs_error *err)
{
    if (in < 1 || out < 1) {
        rs_error_set(err, RS_EINVAL, "in = %d, out = %d (must be >= 1)",
                     in, out);
        return NULL;
    }
    if ((unsigned)init > RS_INIT_TORCH_DEFAULT) {
        rs_error_set(err, RS_EINVAL, "unknown init kind %d", (int)init);
        return NULL;
    }
    rs_nn_model *model = rs_nn_model_new("linear");
    struct rs_nn_linear *l = rs_xcalloc(1, sizeof *l);
    l->model = model;
    l->bias = -1;
    /* Standalone names are "weight"/"bias" (a container prefixes them),
     * so the registry is filled here rather than by rs_nn_linear_init. */
    if (rs_nn_model_add(model, "weight", 2, (int[]){out, in}, err) == NULL)
        goto fail;
    l->weight = 0;
    if (bias) {
        if (rs_nn_model_add(model, "bias", 1, &out, err) == NULL)
            goto fail;
        l->bias = 1;
    }
    rs_nn_linear_reinit(l, init, scale, rng);
    return rs_nn_module_new(&linear_class, l, model, true);
fail:
    free(l);
    rs_nn_model_free(model);
    return NULL;
}

/* ---- activations ------------------------------------------------------- */

struct act_impl {
    enum rs_nn_mlp_act act;
    float slope;
    rs_tensor *pre, *post; /* last forward, arena-borrowed */
};

static rs_tensor *
act_forward(rs_nn_module *m, rs_graph *g, rs_tensor *x)
{
    struct act_impl *a = m->impl;
    rs_tensor *y = x;
    a->pre = a->post = NULL;
    switch (a->act) {
    case RS_NN_MLP_ACT_RELU:
        y = rs_op_relu(g, x);
        break;
    case RS_NN_MLP_ACT_LEAKY_RELU:
        y = rs_op_leaky_relu(g, x, a->slope);
        break;
    case RS_NN_MLP_ACT_GELU:
        y = rs_op_gelu(g, x);
        break;
    case RS_NN_MLP_ACT_TANH:
        y = rs_op_tanh(g, x);
        break;
    case RS_NN_MLP_ACT_SIGMOID:
        y = rs_op_sigmoid(g, x);
        break;
    case RS_NN_MLP_ACT_IDENTITY:
    case RS_NN_MLP_ACT_COUNT:
        break;
    }
    if (y != NULL) {
        a->pre = x;
        a->post = y;
    }
    return y;
}

static int
act_layers(const rs_nn_module *m)
{
    (void)m;
    return 1;
}

static const char *
act_layer_name(const rs_nn_module *m, int i)
{
    (void)i;
    return m->cls->kind;
}

static rs_tensor *
act_preact(const rs_nn_module *m, int i)
{
    (void)i;
    return ((const struct act_impl *)m->impl)->pre;
}

static rs_tensor *
act_act(const rs_nn_module *m, int i)
{
    (void)i;
    return ((const struct act_impl *)m->impl)->post;
}

#define ACT_CLASS(id, name)                                                    \
    [id] = {.kind = name,                                                      \
            .forward = act_forward,                                            \
            .layers = act_layers,                                              \
            .layer_name = act_layer_name,                                      \
            .preact = act_preact,                                              \
            .act = act_act,                                                    \
            .destroy = free}

static const struct rs_nn_module_class act_classes[RS_NN_MLP_ACT_COUNT] = {
    ACT_CLASS(RS_NN_MLP_ACT_RELU, "relu"),
    ACT_CLASS(RS_NN_MLP_ACT_LEAKY_RELU, "leaky_relu"),
    ACT_CLASS(RS_NN_MLP_ACT_GELU, "gelu"),
    ACT_CLASS(RS_NN_MLP_ACT_TANH, "tanh"),
    ACT_CLASS(RS_NN_MLP_ACT_SIGMOID, "sigmoid"),
    ACT_CLASS(RS_NN_MLP_ACT_IDENTITY, "identity"),
};

rs_nn_module *
rs_nn_module_act(enum rs_nn_mlp_act act, float slope, struct rs_error *err)
{
    if ((unsigned)act >= RS_NN_MLP_ACT_COUNT) {
        rs_error_set(err, RS_EINVAL, "unknown activation kind %d", (int)act);
        return NULL;
    }
    struct act_impl *a = rs_xcalloc(1, sizeof *a);
    a->act = act;
    a->slope = slope;
    return rs_nn_module_new(&act_classes[act], a, rs_nn_model_new(NULL), true);
}

bool
rs_nn_module_is_act(const rs_nn_module *m)
{
    return m->cls >= &act_classes[0] &&
           m->cls < &act_classes[RS_NN_MLP_ACT_COUNT];
}

/* ---- norms ------------------------------------------------------------- */

struct norm_impl {
    enum rs_nn_mlp_norm kind;
    int width;
    float eps;
    int gain, shift; /* registry indices, or -1 */
    rs_nn_model *model;
};

static rs_tensor *
norm_param(const struct norm_impl *n, int i)
{
    return i >= 0 ? rs_nn_model_param(n->model, i) : NULL;
}

static rs_tensor *
norm_forward(rs_nn_module *m, rs_graph *g, rs_tensor *x)
{
    const struct norm_impl *n = m->impl;
    if (rs_tensor_cols(x) != n->width) {
        rs_graph_fail(g, RS_ESHAPE, "%s: input has %d features, expected %d",
                      m->cls->kind, rs_tensor_cols(x), n->width);
        return NULL;
    }
    if (n->kind == RS_NN_MLP_NORM_LAYERNORM)
        return rs_op_layernorm(g, x, norm_param(n, n->gain),
                               norm_param(n, n->shift), n->eps);
    return rs_op_rmsnorm(g, x, norm_param(n, n->gain), n->eps);
}

static int
norm_width(const rs_nn_module *m)
{
    return ((const struct norm_impl *)m->impl)->width;
}

static const struct rs_nn_module_class layernorm_class = {
    .kind = "layernorm",
    .forward = norm_forward,
    .in = norm_width,
    .out = norm_width,
    .destroy = free,
};

static const struct rs_nn_module_class rmsnorm_class = {
    .kind = "rmsnorm",
    .forward = norm_forward,
    .in = norm_width,
    .out = norm_width,
    .destroy = free,
};

rs_nn_module *
rs_nn_module_norm(enum rs_nn_mlp_norm kind, int width, bool affine, float eps,
                  struct rs_error *err)
{
    if (kind != RS_NN_MLP_NORM_LAYERNORM && kind != RS_NN_MLP_NORM_RMSNORM) {
        rs_error_set(err, RS_EINVAL, "unknown norm kind %d", (int)kind);
        return NULL;
    }
    const char *name = rs_nn_mlp_norm_name(kind);
    if (width < 1) {
        rs_error_set(err, RS_EINVAL, "%s width = %d (must be >= 1)", name,
                     width);
        return NULL;
    }
    if (!(eps > 0.0f && isfinite(eps))) {
        rs_error_set(err, RS_EINVAL, "%s eps = %g (must be finite and > 0)",
                     name, (double)eps);
        return NULL;
    }
    rs_nn_model *model = rs_nn_model_new(name);
    struct norm_impl *n = rs_xcalloc(1, sizeof *n);
    n->kind = kind;
    n->width = width;
    n->eps = eps;
    n->gain = n->shift = -1;
    n->model = model;
    if (affine) {
        rs_tensor *g = rs_nn_model_add(model, "weight", 1, &width, err);
        if (g == NULL)
            goto fail;
        rs_tensor_fill(g, 1.0f);
        n->gain = 0;
        if (kind == RS_NN_MLP_NORM_LAYERNORM) {
            if (rs_nn_model_add(model, "bias", 1, &width, err) == NULL)
                goto fail;
            n->shift = 1;
        }
    }
    return rs_nn_module_new(kind == RS_NN_MLP_NORM_LAYERNORM ? &layernorm_class
                                                             : &rmsnorm_class,
                            n, model, true);
fail:
    free(n);
    rs_nn_model_free(model);
    return NULL;
}

/* ---- mlp --------------------------------------------------------------- */

struct mlp_impl {
    rs_nn_mlp *mlp;
    char (*names)[16]; /* "l1".."l<depth>" */
};

static rs_tensor *
mlp_forward(rs_nn_module *m, rs_graph *g, rs_tensor *x)
{
    return rs_nn_mlp_forward(((struct mlp_impl *)m->impl)->mlp, g, x);
}

static int
mlp_in(const rs_nn_module *m)
{
    const rs_nn_mlp *mlp = ((const struct mlp_impl *)m->impl)->mlp;
    return rs_nn_linear_in(rs_nn_mlp_linear(mlp, 1));
}

static int
mlp_out(const rs_nn_module *m)
{
    const rs_nn_mlp *mlp = ((const struct mlp_impl *)m->impl)->mlp;
    return rs_nn_linear_out(rs_nn_mlp_linear(mlp, rs_nn_mlp_depth(mlp) + 1));
}

static int
mlp_layers(const rs_nn_module *m)
{
    return rs_nn_mlp_depth(((const struct mlp_impl *)m->impl)->mlp);
}

static const char *
mlp_layer_name(const rs_nn_module *m, int i)
{
    return ((const struct mlp_impl *)m->impl)->names[i];
}

static rs_tensor *
mlp_preact(const rs_nn_module *m, int i)
{
    return rs_nn_mlp_preact(((const struct mlp_impl *)m->impl)->mlp, i + 1);
}

static rs_tensor *
mlp_act(const rs_nn_module *m, int i)
{
    return rs_nn_mlp_act(((const struct mlp_impl *)m->impl)->mlp, i + 1);
}

static void
mlp_destroy(void *impl)
{
    struct mlp_impl *p = impl;
    rs_nn_mlp_free(p->mlp);
    free(p->names);
    free(p);
}

static const struct rs_nn_module_class mlp_class = {
    .kind = "mlp",
    .forward = mlp_forward,
    .in = mlp_in,
    .out = mlp_out,
    .layers = mlp_layers,
    .layer_name = mlp_layer_name,
    .preact = mlp_preact,
    .act = mlp_act,
    .destroy = mlp_destroy,
};

rs_nn_module *
rs_nn_module_mlp(const struct rs_nn_mlp_config *cfg, struct rs_rng *rng,
                 struct rs_error *err)
{
    rs_nn_mlp *mlp = rs_nn_mlp_new(cfg, "mlp", rng, err);
    if (mlp == NULL)
        return NULL;
    struct mlp_impl *p = rs_xcalloc(1, sizeof *p);
    p->mlp = mlp;
    int depth = rs_nn_mlp_depth(mlp);
    p->names = rs_xcalloc((size_t)depth + 1, sizeof *p->names);
    for (int k = 0; k < depth; k++)
        snprintf(p->names[k], sizeof p->names[k], "l%d", k + 1);
    return rs_nn_module_new(&mlp_class, p, rs_nn_mlp_model(mlp), false);
}

rs_nn_mlp *
rs_nn_module_as_mlp(const rs_nn_module *m)
{
    return m->cls == &mlp_class ? ((struct mlp_impl *)m->impl)->mlp : NULL;
}

/* ---- resizing (nn/surgery.c) ------------------------------------------- */

void
rs_nn_module_norm_set_width(rs_nn_module *m, int width)
{
    RS_ASSERT(m->cls == &layernorm_class || m->cls == &rmsnorm_class);
    struct norm_impl *n = m->impl;
    RS_ASSERT(width >= 1);
    RS_ASSERT(n->gain < 0 || (int)norm_param(n, n->gain)->numel == width);
    RS_ASSERT(n->shift < 0 || (int)norm_param(n, n->shift)->numel == width);
    n->width = width;
}

int
rs_nn_layer_number(const char *name, const char *prefix, int layers)
{
    size_t k = strlen(prefix);
    if (strncmp(name, prefix, k) != 0 || name[k] < '1' || name[k] > '9')
        return 0;
    char *end;
    long l = strtol(name + k, &end, 10);
    return *end == '\0' && l >= 1 && l <= layers ? (int)l : 0;
}
