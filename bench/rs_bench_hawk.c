/* repscope - MIT licence, see COPYING.
 *
 * rs_bench_hawk.c: the hawk workload of rs_bench (see rs_bench.h): Hawk
 * ("Griffin: Mixing Gated Linear Recurrences with Local Attention for
 * Efficient Language Models", De et al., arXiv 2402.19427), the griffin
 * module kind with pattern "R", as bench/torch_ref.py's Griffin twin times
 * it: 2 layers, d 128, lru_width 128, 2 gate blocks, MLP 3 d, 4 conv
 * taps, vocab 64, context 64, batch 32, mean next-token cross-entropy
 * over every position, AdamW lr 3e-4 (torch's defaults otherwise: betas
 * (0.9, 0.999), eps 1e-8, weight decay 0.01 on every parameter). The
 * model's own init (nn/griffin.h); random tokens.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "core/graph.h"
#include "core/ops.h"
#include "core/optim.h"
#include "core/rng.h"
#include "nn/griffin.h"
#include "nn/model.h"
#include "rs_bench.h"

enum {
    HAWK_V = 64, /* vocab */
    HAWK_T = 64, /* context */
    HAWK_B = 32, /* batch */
    HAWK_D = 128,
    HAWK_LAYERS = 2
};

void
rs_bench_hawk_setup(struct bench *b)
{
    struct rs_nn_griffin_config c;
    rs_nn_griffin_config_default(&c);
    c.vocab = HAWK_V;
    c.d = HAWK_D;
    c.layers = HAWK_LAYERS;
    strcpy(c.pattern, "R");
    struct rs_error err = {0};
    b->griffin = rs_nn_griffin_new(&c, &b->rng, &err);
    if (b->griffin == NULL)
        rs_fatal("rs_bench: hawk: %s", err.msg);
    rs_nn_model *m = rs_nn_griffin_model(b->griffin);
    struct rs_optim_config oc;
    rs_optim_config_default(&oc, RS_OPTIM_ADAMW);
    oc.lr = 3e-4f;
    b->opt =
        rs_optim_new(&oc, rs_nn_model_params(m), rs_nn_model_count(m), &err);
    if (b->opt == NULL)
        rs_fatal("rs_bench: hawk: optimiser: %s", err.msg);
    b->lr = oc.lr;
    b->vocab = HAWK_V;
    b->ctx = HAWK_T;
    b->batch = HAWK_B;
    size_t n = (size_t)HAWK_B * HAWK_T;
    for (int j = 0; j < NBATCH; j++) {
        b->ids[j] = rs_xmalloc(n * sizeof(int));
        b->tgt[j] = rs_xmalloc(n * sizeof(int));
        for (int r = 0; r < HAWK_B; r++) {
            /* T + 1 tokens per row: inputs [0, T), targets [1, T]. */
            int prev = (int)rs_rng_below(&b->rng, HAWK_V);
            for (int t = 0; t < HAWK_T; t++) {
                int next = (int)rs_rng_below(&b->rng, HAWK_V);
                b->ids[j][(size_t)r * HAWK_T + t] = prev;
                b->tgt[j][(size_t)r * HAWK_T + t] = next;
                prev = next;
            }
        }
    }
}

float
rs_bench_hawk_step(struct bench *b, int j)
{
    rs_graph_reset(b->g);
    rs_tensor *lg = rs_nn_griffin_forward(b->griffin, b->g, b->ids[j], HAWK_B,
                                          HAWK_T, NULL);
    rs_tensor *loss = rs_op_cross_entropy(b->g, lg, b->tgt[j], NULL);
    struct rs_error err = {0};
    if (loss == NULL)
        rs_fatal("rs_bench: hawk: forward failed: %s",
                 rs_graph_error(b->g)->msg);
    if (rs_graph_backward(b->g, loss, &err) != RS_OK)
        rs_fatal("rs_bench: hawk: backward failed: %s", err.msg);
    if (rs_optim_step(b->opt, b->lr, NULL, &err) != RS_OK)
        rs_fatal("rs_bench: hawk: optimiser failed: %s", err.msg);
    rs_optim_zero_grad(b->opt);
    return loss->data[0];
}

/* --dump FILE (hawk): after --warmup steps, the parameters and batch 0 as
 * text, then the loss of one step on that batch, for torch_ref.py --check:
 *   param NAME NUMEL v1 v2 ...   (registry order, the model's names, %.9g)
 *   ids N i1 ...                 (batch 0's inputs, (B, T))
 *   tgt N t1 ...                 (its targets, (B T))
 *   loss L                       (the step's loss, before its update) */
int
rs_bench_hawk_dump(struct bench *b, const char *path)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "rs_bench: cannot write %s\n", path);
        return 1;
    }
    const rs_nn_model *m = rs_nn_griffin_model(b->griffin);
    for (int i = 0; i < rs_nn_model_count(m); i++) {
        const rs_tensor *t = rs_nn_model_param(m, i);
        rs_bench_dump_floats(f, "param", rs_nn_model_param_name(m, i), t->data,
                             t->numel, 1);
    }
    size_t n = (size_t)HAWK_B * HAWK_T;
    fprintf(f, "ids %zu", n);
    for (size_t i = 0; i < n; i++)
        fprintf(f, " %d", b->ids[0][i]);
    fprintf(f, "\ntgt %zu", n);
    for (size_t i = 0; i < n; i++)
        fprintf(f, " %d", b->tgt[0][i]);
    fputc('\n', f);
    fprintf(f, "loss %.9g\n", (double)rs_bench_hawk_step(b, 0));
    return fclose(f) == 0 ? 0 : 1;
}
