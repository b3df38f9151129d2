/* repscope - MIT licence, see COPYING.
 *
 * model.c: the parameter registry (see model.h). Two parallel growable
 * arrays, tensors and their names; lookups are linear scans, which is
 * what a model with tens of parameters wants. Invariant: params[i] holds
 * one reference owned by the model and params[i]->name == names[i].
 * Worker thread only.
 */
#include "config.h"

#include "nn/model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct rs_nn_model {
    char *name;
    rs_tensor **params; /* count entries, one reference each */
    char **names;       /* count entries, owned */
    int count, cap;
};

/* The separator before the model's name in messages: "model NAME: ..."
 * or "model: ...". */
static const char *
sep(const rs_nn_model *m)
{
    return m->name[0] != '\0' ? " " : "";
}

rs_nn_model *
rs_nn_model_new(const char *name)
{
    rs_nn_model *m = rs_xcalloc(1, sizeof *m);
    m->name = rs_xstrdup(name != NULL ? name : "");
    return m;
}

/* Let go of a tensor the model held: clear the name that points into the
 * model, then drop the model's reference. */
static void
drop_param(rs_tensor *t)
{
    t->name = NULL;
    rs_tensor_release(t);
}

void
rs_nn_model_free(rs_nn_model *m)
{
    if (m == NULL)
        return;
    for (int i = 0; i < m->count; i++) {
        drop_param(m->params[i]);
        free(m->names[i]);
    }
    free(m->params);
    free(m->names);
    free(m->name);
    free(m);
}

const char *
rs_nn_model_name(const rs_nn_model *m)
{
    return m->name;
}

rs_tensor *
rs_nn_model_add(rs_nn_model *m, const char *name, int ndim, const int *shape,
                struct rs_error *err)
{
    if (name == NULL || name[0] == '\0') {
        rs_error_set(err, RS_EINVAL, "empty parameter name in model%s%s",
                     sep(m), m->name);
        return NULL;
    }
    if (strlen(name) > RS_NN_MODEL_NAME_MAX) {
        rs_error_set(err, RS_EINVAL,
                     "parameter name '%.40s...' longer than %d in "
                     "model%s%s",
                     name, RS_NN_MODEL_NAME_MAX, sep(m), m->name);
        return NULL;
    }
    if (rs_nn_model_find(m, name) >= 0) {
        rs_error_set(err, RS_EINVAL, "duplicate parameter '%s' in model%s%s",
                     name, sep(m), m->name);
        return NULL;
    }
    struct rs_error terr = {0};
    rs_tensor *t = rs_tensor_new_param(ndim, shape, &terr);
    if (t == NULL) {
        rs_error_set(err, terr.code, "parameter '%s' of model%s%s: %s", name,
                     sep(m), m->name, terr.msg);
        return NULL;
    }
    if (m->count == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 16;
        m->params =
            rs_xreallocarray(m->params, (size_t)m->cap, sizeof *m->params);
        m->names = rs_xreallocarray(m->names, (size_t)m->cap, sizeof *m->names);
    }
    m->names[m->count] = rs_xstrdup(name);
    t->name = m->names[m->count];
    m->params[m->count] = t;
    m->count++;
    return t;
}

void
rs_nn_model_replace(rs_nn_model *m, int i, rs_tensor *t)
{
    RS_ASSERT(i >= 0 && i < m->count);
    RS_ASSERT(t != NULL && t->is_param && t->refs >= 1);
    if (m->params[i] == t) {
        /* Replacing with itself: drop the extra reference handed over. */
        rs_tensor_release(t);
        return;
    }
    drop_param(m->params[i]);
    t->name = m->names[i];
    m->params[i] = t;
}

int
rs_nn_model_count(const rs_nn_model *m)
{
    return m->count;
}

rs_tensor *
rs_nn_model_param(const rs_nn_model *m, int i)
{
    RS_ASSERT(i >= 0 && i < m->count);
    return m->params[i];
}

const char *
rs_nn_model_param_name(const rs_nn_model *m, int i)
{
    RS_ASSERT(i >= 0 && i < m->count);
    return m->names[i];
}

rs_tensor *const *
rs_nn_model_params(const rs_nn_model *m)
{
    return m->params;
}

int
rs_nn_model_find(const rs_nn_model *m, const char *name)
{
    for (int i = 0; i < m->count; i++)
        if (strcmp(m->names[i], name) == 0)
            return i;
    return -1;
}

rs_tensor *
rs_nn_model_lookup(const rs_nn_model *m, const char *name)
{
    int i = rs_nn_model_find(m, name);
    return i >= 0 ? m->params[i] : NULL;
}

size_t
rs_nn_model_numel(const rs_nn_model *m)
{
    size_t n = 0;
    for (int i = 0; i < m->count; i++)
        n += m->params[i]->numel;
    return n;
}

static double
sum_squares(const rs_tensor *t)
{
    double s = 0;
    for (size_t k = 0; k < t->numel; k++)
        s += (double)t->data[k] * (double)t->data[k];
    return s;
}

double
rs_nn_model_weight_norm(const rs_nn_model *m)
{
    double s = 0;
    for (int i = 0; i < m->count; i++)
        s += sum_squares(m->params[i]);
    return sqrt(s);
}

double
rs_nn_model_layer_norm(const rs_nn_model *m, const char *prefix)
{
    size_t len = strlen(prefix);
    double s = 0;
    for (int i = 0; i < m->count; i++) {
        const char *n = m->names[i];
        if (strncmp(n, prefix, len) == 0 && (n[len] == '\0' || n[len] == '.'))
            s += sum_squares(m->params[i]);
    }
    return sqrt(s);
}

void
rs_nn_model_zero_grad(rs_nn_model *m)
{
    for (int i = 0; i < m->count; i++)
        rs_tensor_zero_grad(m->params[i]);
}
