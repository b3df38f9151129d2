/* repscope - MIT licence, see COPYING.
 *
 * rs_bench_sparc.c: the sparc workload of rs_bench (see rs_bench.h).
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo/learner.h"
#include "algo/objective.h"
#include "core/base.h"
#include "core/rng.h"
#include "data/source.h"
#include "nn/module.h"
#include "rs_bench.h"

/* ---- sparc ------------------------------------------------------------- */

/* scenes/sparc.lua's SPARC learner at its defaults on rs.data.imgtext's
 * shapes: 16 patches of 14 x 14 pixels, captions of 4 of the 10 class
 * words (ids 1..10 of a vocabulary of 21). */
enum {
    SPARC_B = 64,    /* batch */
    SPARC_P = 16,    /* patches */
    SPARC_Q = 196,   /* pixels per patch */
    SPARC_L = 4,     /* words per caption */
    SPARC_V = 21,    /* vocabulary */
    SPARC_H = 64,    /* hidden width */
    SPARC_D = 32,    /* embedding width */
    SPARC_WORDS = 10 /* class words */
};

/* The source the learner checks its modules and batches against: a
 * generator of (P Q pixels uniform in [0, 1), L distinct class words in
 * a random order), no labels. The timed steps never draw: they take the
 * pre-drawn batches. */
static void
synth_info(const void *impl, struct rs_source_info *out)
{
    (void)impl;
    memset(out, 0, sizeof *out);
    out->ninputs = 2;
    out->kind[0] = RS_NN_INPUT_FEATURES;
    out->width[0] = SPARC_P * SPARC_Q;
    out->kind[1] = RS_NN_INPUT_TOKENS;
    out->width[1] = SPARC_L;
    out->vocab[1] = SPARC_V;
}

static int
synth_draw(const void *impl, struct rs_rng *rng, int n, int len,
           struct rs_batch *b, struct rs_error *err)
{
    (void)impl;
    (void)len;
    if (rs_batch_reserve(b, 0, RS_NN_INPUT_FEATURES, n, SPARC_P * SPARC_Q,
                         false, err) != RS_OK ||
        rs_batch_reserve(b, 1, RS_NN_INPUT_TOKENS, n, SPARC_L, false, err) !=
            RS_OK)
        return RS_EINVAL;
    for (size_t i = 0; i < (size_t)n * SPARC_P * SPARC_Q; i++)
        b->in[0].x[i] = rs_rng_uniform(rng);
    for (int e = 0; e < n; e++) {
        int w[SPARC_WORDS]; /* partial Fisher-Yates: L distinct words */
        for (int k = 0; k < SPARC_WORDS; k++)
            w[k] = 1 + k;
        for (int k = 0; k < SPARC_L; k++) {
            int r = k + (int)rs_rng_below(rng, (uint32_t)(SPARC_WORDS - k));
            int t = w[k];
            w[k] = w[r];
            w[r] = t;
            b->in[1].ids[(size_t)e * SPARC_L + (size_t)k] = w[k];
        }
    }
    return RS_OK;
}

static void
synth_destroy(void *impl)
{
    (void)impl;
}

static const struct rs_source_class synth_class = {
    .kind = "bench-imgtext",
    .info = synth_info,
    .draw = synth_draw,
    .destroy = synth_destroy,
};

static rs_nn_module *
checked(rs_nn_module *m, const struct rs_error *err)
{
    if (m == NULL)
        rs_fatal("rs_bench: sparc: %s", err->msg);
    return m;
}

static rs_nn_module *
sparc_linear(int in, int out, struct rs_rng *rng)
{
    struct rs_error err = {0};
    return checked(rs_nn_module_linear(in, out, true, RS_INIT_TORCH_DEFAULT,
                                       1.0f, rng, &err),
                   &err);
}

static rs_nn_module *
sparc_relu(void)
{
    struct rs_error err = {0};
    return checked(rs_nn_module_act(RS_NN_MLP_ACT_RELU, 0.0f, &err), &err);
}

/* Children (one reference each, handed over) run in order. */
static rs_nn_module *
sparc_sequential(rs_nn_module **c, int n)
{
    struct rs_error err = {0};
    rs_nn_module *m = checked(rs_nn_module_sequential(c, NULL, n, &err), &err);
    for (int i = 0; i < n; i++)
        rs_nn_module_release(c[i]);
    return m;
}

/* The encoders of scenes/sparc.lua:
 *   image  x (B, P Q) -> (B, P, Q) -> linear(Q, H) -> + position (P, H)
 *          -> relu -> linear(H, H) -> relu -> linear(H, D): v (B, P, D)
 *   text   ids (B, L) -> embedding (V, H), N(0, 1) -> relu ->
 *          linear(H, H) -> relu -> linear(H, D): t (B, L, D)
 *   tau    log-temperature, log 0.07
 * (linear: torch's default init; position N(0, 0.02^2)); the paper's
 * SPARC (lambda_g 0.5, lambda_f 1, min-max, threshold 1/P, caption
 * negatives); AdamW lr 1e-3 weight decay 0.1, batch 64. */
void
rs_bench_sparc_setup(struct bench *b)
{
    struct rs_error err = {0};
    struct rs_rng *rng = &b->rng;
    rs_nn_module *img[7] = {
        checked(rs_nn_module_reshape(2, (int[]){SPARC_P, SPARC_Q}, &err), &err),
        sparc_linear(SPARC_Q, SPARC_H, rng),
        checked(rs_nn_module_position(SPARC_P, SPARC_H, 0.02f, rng, &err),
                &err),
        sparc_relu(),
        sparc_linear(SPARC_H, SPARC_H, rng),
        sparc_relu(),
        sparc_linear(SPARC_H, SPARC_D, rng),
    };
    rs_nn_module *txt[5] = {
        checked(rs_nn_module_embedding(SPARC_V, SPARC_H, 1.0f, rng, &err),
                &err),
        sparc_relu(),
        sparc_linear(SPARC_H, SPARC_H, rng),
        sparc_relu(),
        sparc_linear(SPARC_H, SPARC_D, rng),
    };
    rs_nn_module *mods[3] = {
        sparc_sequential(img, 7),
        sparc_sequential(txt, 5),
        checked(rs_nn_module_scalar(logf(0.07f), &err), &err),
    };
    struct rs_obj_sparc_config oc;
    rs_obj_sparc_config_default(&oc);
    rs_objective *obj = rs_objective_sparc(&oc, &err);
    if (obj == NULL)
        rs_fatal("rs_bench: sparc: %s", err.msg);
    rs_source *src = rs_source_new(&synth_class, NULL);
    struct rs_learner_config lc;
    rs_learner_config_default(&lc);
    lc.batch = SPARC_B;
    lc.eval_every = 0;
    lc.log_every = 1000000;
    lc.optim.lr = 1e-3f;
    lc.optim.weight_decay = 0.1f;
    rs_sched_init(&lc.sched, RS_SCHED_CONSTANT, lc.optim.lr, -1);
    b->learner = rs_learner_new(&lc, mods, 3, obj, src, &err);
    if (b->learner == NULL)
        rs_fatal("rs_bench: sparc: learner: %s", err.msg);
    for (int i = 0; i < 3; i++)
        rs_nn_module_release(mods[i]);
    rs_objective_release(obj);
    for (int j = 0; j < NBATCH; j++) {
        rs_batch_init(&b->pairs[j]);
        if (rs_source_draw(src, rng, SPARC_B, 0, &b->pairs[j], &err) != RS_OK)
            rs_fatal("rs_bench: sparc: %s", err.msg);
    }
    rs_source_release(src);
}

float
rs_bench_sparc_step(struct bench *b, int j)
{
    return rs_bench_learner_step(b, j, "sparc");
}

/* --dump FILE (sparc): after --warmup steps (default 0), the parameters
 * and batch 0 as text, then the loss of one step on that batch, for
 * torch_ref.py --check to recompute:
 *   param NAME NUMEL v1 v2 ...    (registry order, %.9g)
 *   x N v1 v2 ...                 (batch 0's pixels, (B, P Q))
 *   ids N i1 i2 ...               (batch 0's captions, (B, L))
 *   loss L                        (the step's loss, before its update) */
int
rs_bench_sparc_dump(struct bench *b, const char *path)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "rs_bench: cannot write %s\n", path);
        return 1;
    }
    const rs_nn_model *m = rs_learner_params(b->learner);
    for (int i = 0; i < rs_nn_model_count(m); i++) {
        const rs_tensor *t = rs_nn_model_param(m, i);
        rs_bench_dump_floats(f, "param", rs_nn_model_param_name(m, i),
                             t->data, t->numel, 1);
    }
    const struct rs_batch *bt = &b->pairs[0];
    rs_bench_dump_floats(f, "x", NULL, bt->in[0].x,
                         (size_t)bt->n * SPARC_P * SPARC_Q, 1);
    size_t nid = (size_t)bt->n * SPARC_L;
    fprintf(f, "ids %zu", nid);
    for (size_t i = 0; i < nid; i++)
        fprintf(f, " %d", bt->in[1].ids[i]);
    fprintf(f, "\nloss %.9g\n", (double)rs_bench_sparc_step(b, 0));
    return fclose(f) == 0 ? 0 : 1;
}
