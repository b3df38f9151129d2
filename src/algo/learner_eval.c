/* repscope - MIT licence, see COPYING.
 *
 * learner_eval.c: a learner's evaluation (rs_learner_eval, learner.h):
 * a finite split in fixed chunks, or a generator's held-out stream drawn
 * from its own seeded rng, so the same weights always give the same
 * numbers. Worker thread only.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo/learner.h"
#include "algo/learner_impl.h"

/* Examples per no-grad chunk: the supervised loop's 1024 for features;
 * for tokens what EVAL_BUDGET floats of activations hold at T (the
 * module's estimate), at most 512, as the sequence trainer did. */
static int
eval_chunk(const rs_learner *l, enum rs_nn_input_kind kind, int T)
{
    if (kind == RS_NN_INPUT_FEATURES)
        return RS_LEARNER_EVAL_CHUNK;
    size_t per = rs_nn_module_act_floats(l->mod[0], T);
    if (per == 0)
        return RS_LEARNER_EVAL_CHUNK_TOKENS;
    size_t n = RS_LEARNER_EVAL_BUDGET / per;
    if (n < 1)
        n = 1;
    return n > RS_LEARNER_EVAL_CHUNK_TOKENS ? RS_LEARNER_EVAL_CHUNK_TOKENS
                                            : (int)n;
}

void
rs_learner_eval_rng(const rs_learner *l, int len, struct rs_rng *r)
{
    rs_rng_seed(r, l->cfg.seed ^ RS_LEARNER_EVAL_SALT ^
                       (UINT64_C(0x9e3779b97f4a7c15) * (uint64_t)len));
}

/* Sums of an evaluation: loss weighted by the predictions scored (by the
 * examples when the objective scores none), correct, scored. */
struct eval_sum {
    double loss, weight, correct, count;
};

/* One chunk's loss and stats with gradients off; graph reset after. */
static int
eval_chunk_run(rs_learner *l, const struct rs_batch *b, struct eval_sum *es,
               struct rs_error *err)
{
    struct rs_obj_ctx c;
    rs_learner_ctx(l, &c, b, false);
    struct rs_obj_stats st;
    rs_tensor *loss = rs_objective_loss(l->obj, &c, &st);
    if (loss == NULL)
        return rs_learner_graph_error(l, err);
    double w = st.count > 0.0 ? st.count : (double)b->n;
    es->loss += (double)loss->data[0] * w;
    es->weight += w;
    es->correct += st.correct;
    es->count += st.count;
    rs_graph_reset(l->g);
    return RS_OK;
}

static int
eval_finite(rs_learner *l, enum rs_split split, int n, struct eval_sum *es,
            struct rs_error *err)
{
    int total = rs_source_count(l->src, split);
    if (n <= 0 || n > total)
        n = total;
    int chunk = eval_chunk(l, l->si.kind[0], l->si.width[0]);
    rs_learner_ensure_idx(l, chunk);
    int rc = RS_OK;
    for (int start = 0; start < n && rc == RS_OK; start += chunk) {
        int m = n - start < chunk ? n - start : chunk;
        for (int i = 0; i < m; i++)
            l->idx[i] = start + i;
        rc = rs_source_fetch(l->src, split, l->idx, m, &l->ebatch, err);
        if (rc == RS_OK)
            rc = eval_chunk_run(l, &l->ebatch, es, err);
    }
    return rc;
}

static int
eval_generator(rs_learner *l, int n, int len, struct eval_sum *es,
               struct rs_error *err)
{
    if (n <= 0)
        n = l->cfg.eval_n > 0 ? l->cfg.eval_n : l->cfg.batch;
    if (n > RS_LEARNER_MAX_BATCH)
        return rs_error_set(err, RS_EINVAL, "eval n = %d (must be in 1..%d)", n,
                            RS_LEARNER_MAX_BATCH);
    /* Its own stream from (seed, len): the same examples every time. The
     * width of one example (from a copy of the stream) sizes the
     * chunks. */
    struct rs_rng r, probe;
    rs_learner_eval_rng(l, len, &r);
    probe = r;
    int rc = rs_source_draw(l->src, &probe, 1, len, &l->ebatch, err);
    if (rc != RS_OK)
        return rc;
    int chunk = eval_chunk(l, l->ebatch.in[0].kind, l->ebatch.in[0].width);
    if (chunk > n)
        chunk = n;
    for (int start = 0; start < n && rc == RS_OK; start += chunk) {
        int m = n - start < chunk ? n - start : chunk;
        rc = rs_source_draw(l->src, &r, m, len, &l->ebatch, err);
        if (rc == RS_OK)
            rc = eval_chunk_run(l, &l->ebatch, es, err);
    }
    return rc;
}

int
rs_learner_eval_run(rs_learner *l, enum rs_split split, int n, int len,
                    double *loss, double *acc, struct rs_error *err)
{
    struct eval_sum es = {0};
    rs_graph_set_grad(l->g, false);
    int rc = l->ntrain > 0 ? eval_finite(l, split, n, &es, err)
                           : eval_generator(l, n, len, &es, err);
    rs_graph_set_grad(l->g, true);
    rs_graph_reset(l->g);
    /* An empty split gives 0 and 0, as the supervised loop did. */
    *loss = es.weight > 0.0 ? es.loss / es.weight : 0.0;
    *acc = es.count > 0.0    ? es.correct / es.count
           : es.weight > 0.0 ? (double)NAN
                             : 0.0;
    return rc;
}

int
rs_learner_eval(rs_learner *l, enum rs_split split, int n, int len,
                double *loss, double *acc, struct rs_error *err)
{
    l->probe_valid = false;
    rs_graph_reset(l->g);
    if (len < 0)
        return rs_error_set(err, RS_EINVAL, "eval len = %d (must be >= 0)",
                            len);
    double lv, av;
    int rc = rs_learner_eval_run(l, split, n, len, &lv, &av, err);
    if (loss != NULL)
        *loss = lv;
    if (acc != NULL)
        *acc = av;
    return rc;
}
