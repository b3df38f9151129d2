/* repscope - MIT licence, see COPYING.
 *
 * obj_next_token.c: the language-model objective (objective.h). A batch
 * of token windows ids (n, W) goes through modules[0] whole, giving
 * logits (n, W, V); position t predicts ids[:, t + 1], so the first W - 1
 * positions are scored and the last is not (it has no next token):
 *
 *   loss = 1 / (n (W - 1)) sum_{b, t < W - 1} -log p_bt[ids[b, t + 1]]
 *   p_bt = softmax(logits[b, t])
 *
 * The scored logits (n, W - 1, V) are cut out with reshape + slice (so
 * c->out holds exactly the predictions the loss scored, which is what
 * kl_teacher compares) and scored with rs_op_cross_entropy against the
 * shifted ids. Accuracy: positions whose first maximum is the next token.
 * State: none, besides the targets scratch grown on demand. Worker thread
 * only.
 */
#include "config.h"

#include "algo/objective.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/ops.h"

struct next_token {
    int *tgt; /* (n, W - 1) scratch: the shifted ids */
    size_t cap;
};

static int
next_token_check(rs_objective *o, const struct rs_obj_env *env,
                 struct rs_error *err)
{
    (void)o;
    const struct rs_source_info *si = env->si;
    rs_nn_module *m = env->modules[0];
    enum rs_nn_input_kind mk = rs_nn_module_input_kind(m);
    if (si->kind[0] != RS_NN_INPUT_TOKENS)
        return rs_error_set(err, RS_EINVAL,
                            "next_token: the source gives features (a "
                            "token source is needed)");
    if (mk != RS_NN_INPUT_TOKENS)
        return rs_error_set(err, RS_EINVAL,
                            "next_token: the model takes %s (a token "
                            "model is needed)",
                            rs_nn_input_kind_name(mk));
    if (si->width[0] < 2)
        return rs_error_set(err, RS_EINVAL,
                            "next_token: the source's windows have %d "
                            "token (at least 2 are needed)",
                            si->width[0]);
    int mout = rs_nn_module_out(m);
    if (mout != 0 && mout < si->vocab[0])
        return rs_error_set(err, RS_EINVAL,
                            "next_token: the model gives out = %d logits, "
                            "the source's vocab is %d",
                            mout, si->vocab[0]);
    return rs_obj_check_transformer(m, si, "next_token", "windows have", err);
}

static rs_tensor *
next_token_loss(rs_objective *o, struct rs_obj_ctx *c, struct rs_obj_stats *st)
{
    struct next_token *k = rs_objective_impl(o);
    const struct rs_batch *b = c->batch;
    const struct rs_batch_input *bi = &b->in[0];
    rs_graph *g = c->g;
    int n = b->n, W = bi->width;
    c->out = NULL;
    if (bi->kind != RS_NN_INPUT_TOKENS || W < 2) {
        rs_graph_fail(g, RS_EINVAL,
                      "next_token: a batch of %d-token windows (2 or more "
                      "tokens are needed)",
                      bi->kind == RS_NN_INPUT_TOKENS ? W : 0);
        return NULL;
    }
    int T = W - 1;
    if (n > INT_MAX / T) {
        rs_graph_fail(g, RS_EINVAL,
                      "next_token: %d windows of %d tokens "
                      "are too many",
                      n, W);
        return NULL;
    }
    size_t rows = (size_t)n * (size_t)T;
    if (rows > k->cap) {
        k->tgt = rs_xreallocarray(k->tgt, rows, sizeof *k->tgt);
        k->cap = rows;
    }
    for (int i = 0; i < n; i++)
        memcpy(k->tgt + (size_t)i * (size_t)T,
               bi->ids + (size_t)i * (size_t)W + 1, (size_t)T * sizeof(int));

    rs_tensor *lg = rs_obj_forward(c, c->modules[0], 0); /* (n, W, V) */
    if (lg == NULL)
        return NULL;
    if (lg->ndim != 3 || lg->shape[0] != n || lg->shape[1] != W) {
        char buf[64];
        rs_graph_fail(g, RS_ESHAPE,
                      "next_token: the model gives %s for %d windows of "
                      "%d tokens (n, T, V expected)",
                      rs_tensor_shape_str(lg, buf, sizeof buf), n, W);
        return NULL;
    }
    int V = lg->shape[2];
    /* (n, W, V) -> (n, W V) -> the first T V columns -> (n, T, V) */
    rs_tensor *flat = rs_op_reshape(g, lg, 2, (int[]){n, W * V});
    rs_tensor *cut = rs_op_slice(g, flat, 0, T * V);
    rs_tensor *out = rs_op_reshape(g, cut, 3, (int[]){n, T, V});
    if (out == NULL)
        return NULL;
    c->out = out;
    rs_tensor *loss = rs_op_cross_entropy(g, out, k->tgt, NULL);
    if (loss == NULL)
        return NULL;
    st->correct = (double)rs_obj_count_correct(out, k->tgt, (int)rows);
    st->count = (double)rows;
    return loss;
}

static void
next_token_destroy(void *impl)
{
    struct next_token *k = impl;
    free(k->tgt);
    free(k);
}

static const struct rs_objective_class next_token_class = {
    .kind = "next_token",
    .check = next_token_check,
    .loss = next_token_loss,
    .destroy = next_token_destroy,
};

rs_objective *
rs_objective_next_token(struct rs_error *err)
{
    (void)err;
    struct next_token *k = rs_xcalloc(1, sizeof *k);
    return rs_objective_new(&next_token_class, k);
}
