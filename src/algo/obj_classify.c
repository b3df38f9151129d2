/* repscope - MIT licence, see COPYING.
 *
 * obj_classify.c: the classify and last_token objectives (objective.h).
 * modules[0] runs on input 0 of the batch; its output is scored against
 * the labels:
 *   FEATURES  out (n, classes)                 -- the supervised loop
 *   TOKENS    logits (n, T, C) at position T-1 -- the sequence trainer:
 *             reshape to (n, T C), slice the last C columns
 * with mean cross-entropy or mean (out - onehot(y))^2. The ops and their
 * order are the old loops' own, so losses and gradients are bit for bit
 * theirs. No state. Worker thread only.
 */
#include "config.h"

#include "algo/objective.h"

#include <stdlib.h>
#include <string.h>

#include "core/ops.h"

struct classify {
    enum rs_obj_classify_loss loss;
    bool tokens_only; /* last_token */
    int classes;      /* the source's, set by check */
};

const char *
rs_obj_classify_loss_name(enum rs_obj_classify_loss l)
{
    switch (l) {
    case RS_OBJ_CROSS_ENTROPY:
        return "cross_entropy";
    case RS_OBJ_MSE_ONEHOT:
        return "mse_onehot";
    }
    return "?";
}

int
rs_obj_classify_loss_parse(const char *name)
{
    if (strcmp(name, "cross_entropy") == 0)
        return RS_OBJ_CROSS_ENTROPY;
    if (strcmp(name, "mse_onehot") == 0)
        return RS_OBJ_MSE_ONEHOT;
    return -1;
}

static int
classify_check(rs_objective *o, const struct rs_obj_env *env,
               struct rs_error *err)
{
    struct classify *c = rs_objective_impl(o);
    const char *kind = rs_objective_kind(o);
    const struct rs_source_info *si = env->si;
    rs_nn_module *m = env->modules[0];
    enum rs_nn_input_kind mk = rs_nn_module_input_kind(m);
    if (si->classes < 1)
        return rs_error_set(err, RS_EINVAL, "%s: the source has no labels",
                            kind);
    if (c->tokens_only && si->kind[0] != RS_NN_INPUT_TOKENS)
        return rs_error_set(err, RS_EINVAL,
                            "%s: the source gives features (a token "
                            "source is needed)",
                            kind);
    if (mk != si->kind[0])
        return rs_error_set(
            err, RS_EINVAL, "%s: the model takes %s, the source gives %s", kind,
            rs_nn_input_kind_name(mk), rs_nn_input_kind_name(si->kind[0]));
    int min = rs_nn_module_in(m), mout = rs_nn_module_out(m);
    if (mk == RS_NN_INPUT_FEATURES) {
        if (min != 0 && min != si->width[0])
            return rs_error_set(err, RS_EINVAL,
                                "the model takes %d inputs but the "
                                "dataset gives %d",
                                min, si->width[0]);
        if (mout != 0 && mout != si->classes)
            return rs_error_set(err, RS_EINVAL,
                                "the model gives %d outputs but the "
                                "dataset has %d classes",
                                mout, si->classes);
        c->classes = si->classes;
        return RS_OK;
    }
    if (mout != 0 && mout < si->classes)
        return rs_error_set(err, RS_EINVAL,
                            "%s: the model gives out = %d logits, the "
                            "source has %d classes",
                            kind, mout, si->classes);
    int rc = rs_obj_check_transformer(m, si, kind, "sequences have up to", err);
    if (rc != RS_OK)
        return rc;
    c->classes = si->classes;
    return RS_OK;
}

/* Output rows scored: FEATURES (n, C) as is; TOKENS (n, T, C) -> the
 * last position (n, C). */
static rs_tensor *
scored_rows(rs_graph *g, rs_tensor *o, int n)
{
    if (o == NULL || o->ndim != 3)
        return o;
    int T = o->shape[1], C = o->shape[2];
    /* (n, T, C) -> (n, T C); the query's logits are the last C columns */
    rs_tensor *flat = rs_op_reshape(g, o, 2, (int[]){n, T * C});
    return rs_op_slice(g, flat, (T - 1) * C, C); /* (n, C) */
}

static rs_tensor *
classify_loss(rs_objective *o, struct rs_obj_ctx *c, struct rs_obj_stats *st)
{
    const struct classify *k = rs_objective_impl(o);
    const struct rs_batch *b = c->batch;
    rs_graph *g = c->g;
    int n = b->n;
    rs_tensor *out = rs_obj_forward(c, c->modules[0], 0);
    c->out = out;
    if (out == NULL)
        return NULL;
    bool tokens = b->in[0].kind == RS_NN_INPUT_TOKENS;
    rs_tensor *rows = scored_rows(g, out, n);
    if (rows == NULL)
        return NULL;
    int C = rows->shape[rows->ndim - 1];
    if (!tokens && C != k->classes) {
        rs_graph_fail(g, RS_ESHAPE,
                      "the model gives %d outputs, the dataset has %d "
                      "classes",
                      C, k->classes);
        return NULL;
    }
    /* A counting task evaluated past max_len has answers beyond the
     * logits the model was built with. */
    for (int i = 0; tokens && i < n; i++)
        if (b->y[i] < 0 || b->y[i] >= C) {
            rs_graph_fail(g, RS_EINVAL,
                          "%s: example %d has answer %d, the model gives "
                          "out = %d logits",
                          rs_objective_kind(o), i + 1, b->y[i], C);
            return NULL;
        }
    rs_tensor *loss;
    if (k->loss == RS_OBJ_CROSS_ENTROPY) {
        loss = rs_op_cross_entropy(g, rows, b->y, NULL);
    } else {
        rs_tensor *target = rs_graph_tensor(g, 2, (int[]){n, C});
        if (target == NULL)
            return NULL;
        memset(target->data, 0, target->numel * sizeof(float));
        for (int i = 0; i < n; i++)
            if (b->y[i] >= 0 && b->y[i] < C)
                target->data[(size_t)i * (size_t)C + (size_t)b->y[i]] = 1.0f;
        loss = rs_op_mse(g, rows, target);
    }
    if (loss == NULL)
        return NULL;
    st->correct = (double)rs_obj_count_correct(rows, b->y, n);
    st->count = n;
    return loss;
}

static const struct rs_objective_class classify_class = {
    .kind = "classify",
    .check = classify_check,
    .loss = classify_loss,
    .destroy = free,
};

static const struct rs_objective_class last_token_class = {
    .kind = "last_token",
    .check = classify_check,
    .loss = classify_loss,
    .destroy = free,
};

rs_objective *
rs_objective_classify(enum rs_obj_classify_loss loss, struct rs_error *err)
{
    if (loss != RS_OBJ_CROSS_ENTROPY && loss != RS_OBJ_MSE_ONEHOT) {
        rs_error_set(err, RS_EINVAL, "classify: unknown loss %d", (int)loss);
        return NULL;
    }
    struct classify *c = rs_xcalloc(1, sizeof *c);
    c->loss = loss;
    return rs_objective_new(&classify_class, c);
}

rs_objective *
rs_objective_last_token(struct rs_error *err)
{
    (void)err;
    struct classify *c = rs_xcalloc(1, sizeof *c);
    c->loss = RS_OBJ_CROSS_ENTROPY;
    c->tokens_only = true;
    return rs_objective_new(&last_token_class, c);
}
