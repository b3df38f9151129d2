/* repscope - MIT licence, see COPYING.
 *
 * rs_bench_ppo.c: the ppo-mlp workload of rs_bench (see rs_bench.h): one
 * PPO minibatch step of a 2 x 64 tanh actor-critic, as bench/torch_ref.py
 * times it.
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
#include "nn/mlp.h"
#include "nn/module.h"
#include "rs_bench.h"

/* CartPole's shapes: 4 observations, 2 actions; a minibatch of 2048. */
enum {
    PPO_B = 2048, /* minibatch */
    PPO_OBS = 4,
    PPO_ACT = 2,
    PPO_H = 64, /* hidden width of both networks: D */
    PPO_W = RS_PPO_COLS + PPO_H
};

/* The source the learner checks its modules and batches against: the
 * rollout layout of objective.h. The timed steps never draw: they take
 * the pre-drawn batches. */
static void
synth_info(const void *impl, struct rs_source_info *out)
{
    (void)impl;
    memset(out, 0, sizeof *out);
    out->ninputs = 2;
    out->kind[0] = out->kind[1] = RS_NN_INPUT_FEATURES;
    out->width[0] = PPO_OBS;
    out->width[1] = PPO_W;
    out->classes = PPO_ACT;
}

/* torch_ref.py's random batch: observations and advantages and returns
 * N(0, 1), actions uniform, log pi_old = log max(U(0, 1), 0.05); the
 * value at collection and phi_old 0 (the loss never reads the one, and
 * PFO is off: the other only feeds the logged term). */
static int
synth_draw(const void *impl, struct rs_rng *rng, int n, int len,
           struct rs_batch *b, struct rs_error *err)
{
    (void)impl;
    (void)len;
    if (rs_batch_reserve(b, 0, RS_NN_INPUT_FEATURES, n, PPO_OBS, true, err) !=
            RS_OK ||
        rs_batch_reserve(b, 1, RS_NN_INPUT_FEATURES, n, PPO_W, false, err) !=
            RS_OK)
        return RS_EINVAL;
    for (size_t i = 0; i < (size_t)n * PPO_OBS; i++)
        b->in[0].x[i] = rs_rng_normal(rng);
    memset(b->in[1].x, 0, (size_t)n * PPO_W * sizeof(float));
    for (int e = 0; e < n; e++) {
        float *row = b->in[1].x + (size_t)e * PPO_W;
        float u = rs_rng_uniform(rng);
        b->y[e] = (int)rs_rng_below(rng, PPO_ACT);
        row[0] = logf(u > 0.05f ? u : 0.05f);
        row[1] = rs_rng_normal(rng);
        row[2] = rs_rng_normal(rng);
    }
    return RS_OK;
}

static void
synth_destroy(void *impl)
{
    (void)impl;
}

static const struct rs_source_class synth_class = {
    .kind = "bench-rollout",
    .info = synth_info,
    .draw = synth_draw,
    .destroy = synth_destroy,
};

static rs_nn_module *
tanh_mlp(int out, struct rs_rng *rng)
{
    struct rs_nn_mlp_config c;
    rs_nn_mlp_config_default(&c);
    c.input = PPO_OBS;
    c.width = PPO_H;
    c.depth = 2;
    c.output = out;
    c.act = RS_NN_MLP_ACT_TANH;
    struct rs_error err = {0};
    rs_nn_module *m = rs_nn_module_mlp(&c, rng, &err);
    if (m == NULL)
        rs_fatal("rs_bench: ppo-mlp: %s", err.msg);
    return m;
}

/* actor 4-64-64-2 and critic 4-64-64-1, tanh, torch's default init; the
 * ppo objective at clip 0.2, ent 0.01, vf 0.5, PFO off; ONE Adam over both
 * networks, lr 3e-4 eps 1e-5, no gradient clipping -- torch_ref.py's
 * ppo-mlp exactly (the authors' runs clip each network separately; that
 * is the learner's clip_per_module, not timed here). */
void
rs_bench_ppo_setup(struct bench *b)
{
    struct rs_error err = {0};
    rs_nn_module *mods[2] = {tanh_mlp(PPO_ACT, &b->rng), tanh_mlp(1, &b->rng)};
    struct rs_obj_ppo_config oc;
    rs_obj_ppo_config_default(&oc);
    rs_objective *obj = rs_objective_ppo(&oc, &err);
    if (obj == NULL)
        rs_fatal("rs_bench: ppo-mlp: %s", err.msg);
    rs_source *src = rs_source_new(&synth_class, NULL);
    struct rs_learner_config lc;
    rs_learner_config_default(&lc);
    lc.batch = PPO_B;
    lc.eval_every = 0;
    lc.log_every = 1000000;
    rs_optim_config_default(&lc.optim, RS_OPTIM_ADAM);
    lc.optim.lr = 3e-4f;
    lc.optim.eps = 1e-5f;
    rs_sched_init(&lc.sched, RS_SCHED_CONSTANT, lc.optim.lr, -1);
    b->learner = rs_learner_new(&lc, mods, 2, obj, src, &err);
    if (b->learner == NULL)
        rs_fatal("rs_bench: ppo-mlp: learner: %s", err.msg);
    for (int i = 0; i < 2; i++)
        rs_nn_module_release(mods[i]);
    rs_objective_release(obj);
    for (int j = 0; j < NBATCH; j++) {
        rs_batch_init(&b->pairs[j]);
        if (rs_source_draw(src, &b->rng, PPO_B, 0, &b->pairs[j], &err) != RS_OK)
            rs_fatal("rs_bench: ppo-mlp: %s", err.msg);
    }
    rs_source_release(src);
}

float
rs_bench_ppo_step(struct bench *b, int j)
{
    return rs_bench_learner_step(b, j, "ppo-mlp");
}

/* --dump FILE (ppo-mlp): after --warmup steps, the parameters and batch
 * 0 as text, then the loss of one step on that batch, for torch_ref.py
 * --check to recompute:
 *   param NAME NUMEL v1 v2 ...   (registry order "<module>.<name>", %.9g)
 *   obs N v1 ...                 (batch 0's observations, (B, 4))
 *   act N a1 ...                 (the actions, (B))
 *   logp_old N ..., adv N ..., ret N ...   (columns 0, 1, 2, (B) each)
 *   loss L                       (the step's loss, before its update) */
int
rs_bench_ppo_dump(struct bench *b, const char *path)
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
    size_t n = (size_t)bt->n;
    rs_bench_dump_floats(f, "obs", NULL, bt->in[0].x, n * PPO_OBS, 1);
    fprintf(f, "act %zu", n);
    for (size_t i = 0; i < n; i++)
        fprintf(f, " %d", bt->y[i]);
    fputc('\n', f);
    rs_bench_dump_floats(f, "logp_old", NULL, bt->in[1].x, n, PPO_W);
    rs_bench_dump_floats(f, "adv", NULL, bt->in[1].x + 1, n, PPO_W);
    rs_bench_dump_floats(f, "ret", NULL, bt->in[1].x + 2, n, PPO_W);
    fprintf(f, "loss %.9g\n", (double)rs_bench_ppo_step(b, 0));
    return fclose(f) == 0 ? 0 : 1;
}
