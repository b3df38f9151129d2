/* repscope - MIT licence, see COPYING.
 *
 * objective.c: the objective interface (see objective.h): refcounting,
 * the wrappers over the class (absent state callbacks mean no state) and
 * the helpers members share. The members live one per file (obj_*.c).
 * Worker thread only.
 */
#include "config.h"

#include "algo/objective.h"

#include <stdlib.h>
#include <string.h>

struct rs_objective {
    const struct rs_objective_class *cls;
    void *impl;
    int refs;
};

rs_objective *
rs_objective_new(const struct rs_objective_class *cls, void *impl)
{
    rs_objective *o = rs_xcalloc(1, sizeof *o);
    o->cls = cls;
    o->impl = impl;
    o->refs = 1;
    return o;
}

void
rs_objective_retain(rs_objective *o)
{
    RS_ASSERT(o->refs >= 1);
    o->refs++;
}

void
rs_objective_release(rs_objective *o)
{
    if (o == NULL)
        return;
    RS_ASSERT(o->refs >= 1);
    if (--o->refs > 0)
        return;
    if (o->cls->destroy != NULL)
        o->cls->destroy(o->impl);
    free(o);
}

void *
rs_objective_impl(const rs_objective *o)
{
    return o->impl;
}

const char *
rs_objective_kind(const rs_objective *o)
{
    return o->cls->kind;
}

const struct rs_objective_class *
rs_objective_class(const rs_objective *o)
{
    return o->cls;
}

int
rs_objective_check(rs_objective *o, const struct rs_obj_env *env,
                   struct rs_error *err)
{
    return o->cls->check != NULL ? o->cls->check(o, env, err) : RS_OK;
}

rs_tensor *
rs_objective_loss(rs_objective *o, struct rs_obj_ctx *c,
                  struct rs_obj_stats *st)
{
    memset(st, 0, sizeof *st);
    return o->cls->loss(o, c, st);
}

size_t
rs_objective_state_words(const rs_objective *o)
{
    return o->cls->state_words != NULL ? o->cls->state_words(o) : 0;
}

void
rs_objective_state_save(const rs_objective *o, uint64_t *w)
{
    if (o->cls->state_save != NULL)
        o->cls->state_save(o, w);
}

int
rs_objective_state_load(rs_objective *o, const uint64_t *w, size_t n,
                        struct rs_error *err)
{
    if (o->cls->state_load != NULL)
        return o->cls->state_load(o, w, n, err);
    if (n != 0)
        return rs_error_set(err, RS_EFORMAT,
                            "the %s objective keeps no state, the "
                            "checkpoint has %zu words",
                            o->cls->kind, n);
    return RS_OK;
}

int
rs_objective_tensors(const rs_objective *o)
{
    return o->cls->tensors != NULL ? o->cls->tensors(o) : 0;
}

rs_tensor *
rs_objective_tensor(const rs_objective *o, int i, const char **name)
{
    if (i < 0 || i >= rs_objective_tensors(o))
        return NULL;
    return o->cls->tensor(o, i, name);
}

/* ---- helpers ----------------------------------------------------------- */

int
rs_obj_input(const struct rs_obj_ctx *c, int i, struct rs_nn_input *in)
{
    const struct rs_batch *b = c->batch;
    RS_ASSERT(i >= 0 && i < b->ninputs);
    const struct rs_batch_input *bi = &b->in[i];
    memset(in, 0, sizeof *in);
    in->kind = bi->kind;
    in->B = b->n;
    in->T = bi->width;
    if (bi->kind == RS_NN_INPUT_TOKENS) {
        in->ids = bi->ids;
        return RS_OK;
    }
    in->x = rs_graph_tensor(c->g, 2, (int[]){b->n, bi->width});
    if (in->x == NULL)
        return RS_ENOMEM;
    memcpy(in->x->data, bi->x,
           (size_t)b->n * (size_t)bi->width * sizeof(float));
    return RS_OK;
}

rs_tensor *
rs_obj_forward(struct rs_obj_ctx *c, rs_nn_module *m, int i)
{
    struct rs_nn_input in;
    if (rs_obj_input(c, i, &in) != RS_OK)
        return NULL;
    return rs_nn_module_forward_input(m, c->g, &in);
}

long
rs_obj_count_correct(const rs_tensor *out, const int *y, int n)
{
    int C = out->shape[out->ndim - 1];
    long correct = 0;
    for (int i = 0; i < n; i++) {
        const float *row = out->data + (size_t)i * (size_t)C;
        int best = 0;
        for (int k = 1; k < C; k++)
            if (row[k] > row[best])
                best = k;
        correct += best == y[i];
    }
    return correct;
}

int
rs_obj_check_transformer(const rs_nn_module *m, const struct rs_source_info *si,
                         const char *kind, const char *rows,
                         struct rs_error *err)
{
    const rs_nn_transformer *tf = rs_nn_module_as_transformer(m);
    if (tf == NULL)
        return RS_OK;
    const struct rs_nn_transformer_config *tc = rs_nn_transformer_config(tf);
    if (tc->vocab < si->vocab[0])
        return rs_error_set(err, RS_EINVAL,
                            "%s: the model's vocab = %d, the source's ids go "
                            "up to %d",
                            kind, tc->vocab, si->vocab[0] - 1);
    if (tc->ctx < si->width[0])
        return rs_error_set(err, RS_EINVAL,
                            "%s: the source's %s %d tokens, the model's ctx "
                            "is %d",
                            kind, rows, si->width[0], tc->ctx);
    return RS_OK;
}
