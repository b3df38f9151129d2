/* repscope - MIT licence, see COPYING.
 *
 * rs_bench.h: what the benchmark's workloads share (bench/rs_bench.c the
 * driver and the core-op workloads, bench/rs_bench_sparc.c the image-text
 * learner, bench/rs_bench_ppo.c the PPO actor-critic, bench/rs_bench_hawk.c
 * the recurrent language model): the per-run state
 * and the learner workloads' entry points.
 */
#ifndef RS_BENCH_H
#define RS_BENCH_H

#include <stdbool.h>
#include <stdio.h>

#include "algo/learner.h"
#include "core/graph.h"
#include "core/optim.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "data/source.h"
#include "nn/griffin.h"

#define NBATCH 8 /* distinct pre-generated batches, cycled */
#define MAX_PARAMS 64
#define MAX_LAYERS 16
#define WARMUP_MIN_S 0.25 /* seconds of warm-up at least (see main) */

/* One transformer block's parameters (torch_ref.py's Block). */
struct gpt_block {
    rs_tensor *ln1_g, *ln1_b, *qkv_w, *qkv_b, *proj_w, *proj_b;
    rs_tensor *ln2_g, *ln2_b, *fc1_w, *fc1_b, *fc2_w, *fc2_b;
};

struct bench {
    const char *name;
    rs_graph *g;
    rs_optim *opt;
    float lr;
    rs_tensor *params[MAX_PARAMS];
    int nparams;
    struct rs_rng rng;
    /* MLP workloads */
    int nlayers;
    bool tanh; /* tanh between layers, else ReLU */
    rs_tensor *w[MAX_LAYERS], *b[MAX_LAYERS];
    rs_tensor *x[NBATCH]; /* (B, IN) heap batches */
    int *y[NBATCH];       /* (B) targets */
    /* tiny-gpt */
    int vocab, ctx, d, heads, layers, hidden, batch;
    rs_tensor *tok, *pos, *lnf_g, *lnf_b, *head;
    struct gpt_block blk[4];
    int *ids[NBATCH]; /* (B, T) inputs */
    int *tgt[NBATCH]; /* (B T) next tokens */
    int *pos_ids;     /* (T) 0..T-1 */
    /* hawk: the model (the optimiser, ids and tgt as tiny-gpt's) */
    rs_nn_griffin *griffin;
    /* learner workloads (sparc, ppo-mlp) */
    rs_learner *learner;
    struct rs_batch pairs[NBATCH];                  /* their batches */
    float (*step)(struct bench *b, int j);          /* one step on batch j */
    int (*dump)(struct bench *b, const char *path); /* --dump */
};

/* The sparc workload (rs_bench_sparc.c): build the learner and its
 * batches into b, one timed step on batch j (the loss), and --dump. */
/* One learner step on the prepared batch j (the learner workloads); the
 * loss. Fatal, naming workload, on error. */
float rs_bench_learner_step(struct bench *b, int j, const char *workload);
/* "TAG[ NAME] N v..." of v[0], v[stride], ... (n values, %.9g), one line:
 * the --dump format torch_ref.py --check reads. */
void rs_bench_dump_floats(FILE *f, const char *tag, const char *name,
                          const float *v, size_t n, size_t stride);

void rs_bench_sparc_setup(struct bench *b);
float rs_bench_sparc_step(struct bench *b, int j);
int rs_bench_sparc_dump(struct bench *b, const char *path);
/* The ppo-mlp workload (rs_bench_ppo.c), the same three. */
void rs_bench_ppo_setup(struct bench *b);
float rs_bench_ppo_step(struct bench *b, int j);
int rs_bench_ppo_dump(struct bench *b, const char *path);
/* The hawk workload (rs_bench_hawk.c), the same three. */
void rs_bench_hawk_setup(struct bench *b);
float rs_bench_hawk_step(struct bench *b, int j);
int rs_bench_hawk_dump(struct bench *b, const char *path);

#endif /* RS_BENCH_H */
