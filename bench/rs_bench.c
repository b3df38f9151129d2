/* repscope - MIT licence, see COPYING.
 *
 * rs_bench.c: times one training workload of bench/torch_ref.py, built
 * directly from the core ops, and prints the same line:
 *
 *     workload=NAME steps_per_s=X ms_per_step=Y
 *
 * The models, batch sizes, optimisers and hyper-parameters are exactly
 * torch_ref.py's (grok-mlp, fmnist-mlp, relu-mlp and tanh-mlp with random
 * data, tiny-gpt, sparc, ppo-mlp, hawk); eight batches are generated before
 * timing and cycled. sparc and ppo-mlp are built from nn modules and
 * stepped by a learner (rs_learner_step_batch), as the scenes train them.
 * The timed region is forward + backward + optimiser step + zero grad,
 * after --warmup untimed steps. --gemm times one GEMM shape instead;
 * --dump FILE (sparc, ppo-mlp, hawk) writes the weights, a batch and that
 * batch's loss for torch_ref.py --check to recompute. Like
 * the main binary it re-execs itself first when OpenBLAS loaded generic
 * kernels (core/cpu.h). --threads is rs_blas_set_threads: the GEMM pool
 * of core/blas.c and whatever else runs on it. */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo/learner.h"
#include "algo/objective.h"
#include "core/base.h"
#include "core/blas.h"
#include "core/cpu.h"
#include "core/graph.h"
#include "core/init.h"
#include "core/ops.h"
#include "core/optim.h"
#include "core/pool.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "data/source.h"
#include "nn/module.h"
#include "reexec.h"

#include "rs_bench.h"

static rs_tensor *
new_param(struct bench *b, int ndim, const int *shape, const char *name)
{
    struct rs_error err = {0};
    rs_tensor *t = rs_tensor_new_param(ndim, shape, &err);
    if (t == NULL)
        rs_fatal("rs_bench: %s", err.msg);
    RS_ASSERT(b->nparams < MAX_PARAMS);
    t->name = name;
    b->params[b->nparams++] = t;
    return t;
}

/* nn.Linear(in, out) with torch's default init: weight and bias
 * U(+-1/sqrt(in)). */
static void
new_linear(struct bench *b, int in, int out, bool bias, rs_tensor **w,
           rs_tensor **bi)
{
    int ws[2] = {out, in}, bs[1] = {out};
    *w = new_param(b, 2, ws, "weight");
    rs_init_fill(*w, RS_INIT_TORCH_DEFAULT, in, out, 1.0f, &b->rng);
    if (bias) {
        *bi = new_param(b, 1, bs, "bias");
        rs_init_fill(*bi, RS_INIT_TORCH_DEFAULT, in, out, 1.0f, &b->rng);
    } else {
        *bi = NULL;
    }
}

static void
make_optim(struct bench *b, enum rs_optim_kind kind, float lr, float momentum,
           float wd)
{
    struct rs_optim_config cfg;
    rs_optim_config_default(&cfg, kind);
    cfg.lr = lr;
    cfg.momentum = momentum;
    cfg.weight_decay = wd;
    struct rs_error err = {0};
    b->opt = rs_optim_new(&cfg, b->params, b->nparams, &err);
    if (b->opt == NULL)
        rs_fatal("rs_bench: optimiser: %s", err.msg);
    b->lr = lr;
}

static rs_tensor *
new_batch(int rows, int cols)
{
    struct rs_error err = {0};
    rs_tensor *t = rs_tensor_new2(rows, cols, &err);
    if (t == NULL)
        rs_fatal("rs_bench: %s", err.msg);
    return t;
}

/* ---- MLP workloads ------------------------------------------------------ */

static void
build_mlp(struct bench *b, const int *sizes, int nsizes)
{
    b->nlayers = nsizes - 1;
    RS_ASSERT(b->nlayers <= MAX_LAYERS);
    for (int i = 0; i < b->nlayers; i++)
        new_linear(b, sizes[i], sizes[i + 1], true, &b->w[i], &b->b[i]);
}

/* grok-mlp: 2p one-hot inputs -> 128 x 11 -> p, ReLU, batch 512, AdamW lr
 * 1e-3 wd 1.0, targets (a + b) mod p. */
static void
setup_grok(struct bench *b)
{
    enum { P = 97, B = 512 };
    int sizes[13] = {2 * P};
    for (int i = 1; i < 12; i++)
        sizes[i] = 128;
    sizes[12] = P;
    build_mlp(b, sizes, 13);
    make_optim(b, RS_OPTIM_ADAMW, 1e-3f, 0.0f, 1.0f);
    for (int j = 0; j < NBATCH; j++) {
        b->x[j] = new_batch(B, 2 * P);
        b->y[j] = rs_xmalloc(B * sizeof(int));
        for (int r = 0; r < B; r++) {
            int x1 = (int)rs_rng_below(&b->rng, P);
            int x2 = (int)rs_rng_below(&b->rng, P);
            b->x[j]->data[(size_t)r * 2 * P + (size_t)x1] = 1.0f;
            b->x[j]->data[(size_t)r * 2 * P + P + (size_t)x2] = 1.0f;
            b->y[j][r] = (x1 + x2) % P;
        }
    }
}

/* fmnist-mlp: 784-256-256-10 ReLU, batch 128, SGD lr 0.05 momentum 0.9,
 * uniform [0, 1) images and uniform labels (torch_ref.py's random data). */
static void
setup_fmnist(struct bench *b)
{
    enum { B = 128 };
    int sizes[4] = {784, 256, 256, 10};
    build_mlp(b, sizes, 4);
    make_optim(b, RS_OPTIM_SGD, 0.05f, 0.9f, 0.0f);
    for (int j = 0; j < NBATCH; j++) {
        b->x[j] = new_batch(B, 784);
        for (size_t i = 0; i < b->x[j]->numel; i++)
            b->x[j]->data[i] = rs_rng_uniform(&b->rng);
        b->y[j] = rs_xmalloc(B * sizeof(int));
        for (int r = 0; r < B; r++)
            b->y[j][r] = (int)rs_rng_below(&b->rng, 10);
    }
}

/* relu-mlp, tanh-mlp: 196-128x4-10 (Fashion-MNIST at 14 x 14) with ReLU
 * or tanh, batch 128, Adam lr 1e-3, uniform [0, 1) images and uniform
 * labels. The pair measures what an activation costs next to the GEMMs. */
static void
setup_small(struct bench *b, bool tanh)
{
    enum { B = 128, IN = 196 };
    int sizes[6] = {IN, 128, 128, 128, 128, 10};
    build_mlp(b, sizes, 6);
    b->tanh = tanh;
    make_optim(b, RS_OPTIM_ADAM, 1e-3f, 0.0f, 0.0f);
    for (int j = 0; j < NBATCH; j++) {
        b->x[j] = new_batch(B, IN);
        for (size_t i = 0; i < b->x[j]->numel; i++)
            b->x[j]->data[i] = rs_rng_uniform(&b->rng);
        b->y[j] = rs_xmalloc(B * sizeof(int));
        for (int r = 0; r < B; r++)
            b->y[j][r] = (int)rs_rng_below(&b->rng, 10);
    }
}

static rs_tensor *
mlp_loss(struct bench *b, int j)
{
    rs_graph *g = b->g;
    rs_tensor *h = b->x[j];
    for (int i = 0; i < b->nlayers; i++) {
        h = rs_op_linear(g, h, b->w[i], b->b[i]);
        if (i < b->nlayers - 1)
            h = b->tanh ? rs_op_tanh(g, h) : rs_op_relu(g, h);
    }
    return rs_op_cross_entropy(g, h, b->y[j], NULL);
}

/* ---- tiny-gpt ----------------------------------------------------------- */

static void
new_layernorm(struct bench *b, int d, rs_tensor **gamma, rs_tensor **beta)
{
    int s[1] = {d};
    *gamma = new_param(b, 1, s, "ln.weight");
    rs_tensor_fill(*gamma, 1.0f);
    *beta = new_param(b, 1, s, "ln.bias");
}

/* TinyLM(vocab 64, ctx 64, d 128, heads 4, layers 2, hidden 512), batch 32,
 * AdamW lr 3e-4 (torch defaults: betas (0.9, 0.999), wd 0.01). Embeddings
 * N(0, 1) like nn.Embedding; separate head without bias. */
static void
setup_gpt(struct bench *b)
{
    b->vocab = 64;
    b->ctx = 64;
    b->d = 128;
    b->heads = 4;
    b->layers = 2;
    b->hidden = 512;
    b->batch = 32;
    int d = b->d;
    int ts[2] = {b->vocab, d}, ps[2] = {b->ctx, d};
    b->tok = new_param(b, 2, ts, "tok");
    rs_init_fill(b->tok, RS_INIT_NORMAL, d, b->vocab, 1.0f, &b->rng);
    b->pos = new_param(b, 2, ps, "pos");
    rs_init_fill(b->pos, RS_INIT_NORMAL, d, b->ctx, 1.0f, &b->rng);
    for (int l = 0; l < b->layers; l++) {
        struct gpt_block *k = &b->blk[l];
        new_layernorm(b, d, &k->ln1_g, &k->ln1_b);
        new_linear(b, d, 3 * d, true, &k->qkv_w, &k->qkv_b);
        new_linear(b, d, d, true, &k->proj_w, &k->proj_b);
        new_layernorm(b, d, &k->ln2_g, &k->ln2_b);
        new_linear(b, d, b->hidden, true, &k->fc1_w, &k->fc1_b);
        new_linear(b, b->hidden, d, true, &k->fc2_w, &k->fc2_b);
    }
    new_layernorm(b, d, &b->lnf_g, &b->lnf_b);
    rs_tensor *none;
    new_linear(b, d, b->vocab, false, &b->head, &none);
    make_optim(b, RS_OPTIM_ADAMW, 3e-4f, 0.0f, 0.01f);
    size_t n = (size_t)b->batch * (size_t)b->ctx;
    for (int j = 0; j < NBATCH; j++) {
        b->ids[j] = rs_xmalloc(n * sizeof(int));
        b->tgt[j] = rs_xmalloc(n * sizeof(int));
        for (int r = 0; r < b->batch; r++) {
            /* ctx + 1 tokens per row: inputs [0, T), targets [1, T]. */
            int prev = (int)rs_rng_below(&b->rng, (uint32_t)b->vocab);
            for (int t = 0; t < b->ctx; t++) {
                int next = (int)rs_rng_below(&b->rng, (uint32_t)b->vocab);
                b->ids[j][(size_t)r * b->ctx + t] = prev;
                b->tgt[j][(size_t)r * b->ctx + t] = next;
                prev = next;
            }
        }
    }
    b->pos_ids = rs_xmalloc((size_t)b->ctx * sizeof(int));
    for (int t = 0; t < b->ctx; t++)
        b->pos_ids[t] = t;
}

static rs_tensor *
gpt_loss(struct bench *b, int j)
{
    rs_graph *g = b->g;
    const float eps = 1e-5f;
    int bt[2] = {b->batch, b->ctx}, t1[1] = {b->ctx};
    rs_tensor *x = rs_op_embedding(g, b->tok, b->ids[j], 2, bt);  /* (B,T,C) */
    rs_tensor *p = rs_op_embedding(g, b->pos, b->pos_ids, 1, t1); /* (T,C) */
    x = rs_op_add(g, x, p);
    for (int l = 0; l < b->layers; l++) {
        struct gpt_block *k = &b->blk[l];
        rs_tensor *h = rs_op_layernorm(g, x, k->ln1_g, k->ln1_b, eps);
        h = rs_op_linear(g, h, k->qkv_w, k->qkv_b); /* (B, T, 3C) */
        h = rs_op_attention(g, h, b->heads, 0);
        h = rs_op_linear(g, h, k->proj_w, k->proj_b);
        x = rs_op_add(g, x, h);
        h = rs_op_layernorm(g, x, k->ln2_g, k->ln2_b, eps);
        h = rs_op_gelu(g, rs_op_linear(g, h, k->fc1_w, k->fc1_b));
        h = rs_op_linear(g, h, k->fc2_w, k->fc2_b);
        x = rs_op_add(g, x, h);
    }
    x = rs_op_layernorm(g, x, b->lnf_g, b->lnf_b, eps);
    rs_tensor *logits = rs_op_linear(g, x, b->head, NULL); /* (B, T, V) */
    return rs_op_cross_entropy(g, logits, b->tgt[j], NULL);
}

/* ---- helpers of the learner workloads ----------------------------------- */

float
rs_bench_learner_step(struct bench *b, int j, const char *workload)
{
    struct rs_error err = {0};
    struct rs_learner_stats st;
    if (rs_learner_step_batch(b->learner, &b->pairs[j], &st, &err) != RS_OK)
        rs_fatal("rs_bench: %s: step failed: %s", workload, err.msg);
    return (float)st.loss;
}

void
rs_bench_dump_floats(FILE *f, const char *tag, const char *name,
                     const float *v, size_t n, size_t stride)
{
    fprintf(f, "%s%s%s %zu", tag, name != NULL ? " " : "",
            name != NULL ? name : "", n);
    for (size_t i = 0; i < n; i++)
        fprintf(f, " %.9g", (double)v[i * stride]);
    fputc('\n', f);
}

/* ---- driver ------------------------------------------------------------- */

/* One training step on batch k mod NBATCH; exits on any engine error
 * (a benchmark that silently skips work would time nothing). */
static float
train_step(struct bench *b, long k)
{
    int j = (int)(k % NBATCH);
    if (b->step != NULL)
        return b->step(b, j);
    rs_graph_reset(b->g);
    rs_tensor *loss = b->vocab > 0 ? gpt_loss(b, j) : mlp_loss(b, j);
    struct rs_error err = {0};
    if (loss == NULL)
        rs_fatal("rs_bench: %s: forward failed: %s", b->name,
                 rs_graph_error(b->g)->msg);
    if (rs_graph_backward(b->g, loss, &err) != RS_OK)
        rs_fatal("rs_bench: %s: backward failed: %s", b->name, err.msg);
    if (rs_optim_step(b->opt, b->lr, NULL, &err) != RS_OK)
        rs_fatal("rs_bench: %s: optimiser failed: %s", b->name, err.msg);
    rs_optim_zero_grad(b->opt);
    return loss->data[0];
}

static void
bench_free(struct bench *b)
{
    rs_learner_free(b->learner);
    for (int j = 0; j < NBATCH && b->learner != NULL; j++)
        rs_batch_fini(&b->pairs[j]);
    rs_nn_griffin_free(b->griffin);
    rs_optim_free(b->opt);
    rs_graph_free(b->g);
    for (int i = 0; i < b->nparams; i++)
        rs_tensor_release(b->params[i]);
    for (int j = 0; j < NBATCH; j++) {
        rs_tensor_release(b->x[j]);
        free(b->y[j]);
        free(b->ids[j]);
        free(b->tgt[j]);
    }
    free(b->pos_ids);
}

/* --gemm SPEC: time rs_blas_sgemm on one shape, SPEC = "nt:512x128x128"
 * (op letters for A and B, then M x N x K), `steps` calls after `warmup`;
 * prints "gemm=SPEC threads=T path=P us_per_call=X gflops=Y". */
static int
bench_gemm(const char *spec, long steps, long warmup, int threads)
{
    char ta, tb;
    int M, N, K;
    if (sscanf(spec, "%c%c:%dx%dx%d", &ta, &tb, &M, &N, &K) != 5 ||
        (ta != 'n' && ta != 't') || (tb != 'n' && tb != 't') || M < 1 ||
        N < 1 || K < 1) {
        fprintf(stderr, "rs_bench: bad --gemm '%s' (e.g. nt:512x128x128)\n",
                spec);
        return 2;
    }
    bool a_t = ta == 't', b_t = tb == 't';
    size_t na = (size_t)M * K, nb = (size_t)K * N, nc = (size_t)M * N;
    float *a = rs_aligned_alloc(na * sizeof(float));
    float *bm = rs_aligned_alloc(nb * sizeof(float));
    float *c = rs_aligned_alloc(nc * sizeof(float));
    if (a == NULL || bm == NULL || c == NULL)
        rs_fatal("rs_bench: out of memory");
    struct rs_rng rng;
    rs_rng_seed(&rng, 1);
    for (size_t i = 0; i < na; i++)
        a[i] = rs_rng_uniform(&rng) - 0.5f;
    for (size_t i = 0; i < nb; i++)
        bm[i] = rs_rng_uniform(&rng) - 0.5f;
    int lda = a_t ? M : K, ldb = b_t ? K : N;
    for (long k = 0; k < warmup; k++)
        rs_blas_sgemm(a_t, b_t, M, N, K, 1.0f, a, lda, bm, ldb, 0.0f, c, N);
    rs_pool_stats_reset();
    double t0 = rs_time_now(), best = 1e30;
    for (long k = 0; k < steps; k++) {
        double t = rs_time_now();
        rs_blas_sgemm(a_t, b_t, M, N, K, 1.0f, a, lda, bm, ldb, 0.0f, c, N);
        t = rs_time_now() - t;
        best = t < best ? t : best;
    }
    double per = (rs_time_now() - t0) / (double)steps;
    printf("gemm=%s threads=%d path=%s us_per_call=%.2f gflops=%.1f "
           "us_min=%.2f\n",
           spec, threads, rs_blas_sgemm_path(a_t, b_t, M, N, K), 1e6 * per,
           2e-9 * (double)M * N * K / per, 1e6 * best);
    struct rs_pool_stats ps;
    rs_pool_stats(&ps);
    fprintf(stderr,
            "rs_bench: pool: %ld jobs, %ld alone, %ld chunks on helpers, "
            "%ld wake-ups, %.1f us waiting for helpers per call, %ld "
            "back-offs\n",
            ps.jobs, ps.alone, ps.helped, ps.wakes,
            1e6 * ps.wait_s / (double)steps, ps.backoffs);
    rs_aligned_free(a);
    rs_aligned_free(bm);
    rs_aligned_free(c);
    return 0;
}

/* --pool-for N: time rs_pool_for over y = 0.5 x + 1 on N floats (a
 * memory-bound elementwise op, vectorised) with grain GRAIN (default
 * 4096); prints "pool_for=N grain=G threads=T us_per_call=X us_min=Y". */
struct axpb_job {
    const float *x;
    float *y;
};

static void
axpb_piece(void *ctx, size_t lo, size_t hi)
{
    const struct axpb_job *j = ctx;
    const float *restrict x = j->x;
    float *restrict y = j->y;
    size_t i = lo;
    for (; i + 16 <= hi; i += 16) /* fixed blocks: gcc -O2 vectorises */
        for (size_t k = i; k < i + 16; k++)
            y[k] = 0.5f * x[k] + 1.0f;
    for (; i < hi; i++)
        y[i] = 0.5f * x[i] + 1.0f;
}

static int
bench_pool_for(long n, long grain, long steps, long warmup, int threads)
{
    if (n < 1 || grain < 1) {
        fprintf(stderr, "rs_bench: --pool-for and --grain must be >= 1\n");
        return 2;
    }
    float *x = rs_aligned_alloc((size_t)n * sizeof(float));
    float *y = rs_aligned_alloc((size_t)n * sizeof(float));
    if (x == NULL || y == NULL)
        rs_fatal("rs_bench: out of memory");
    struct rs_rng rng;
    rs_rng_seed(&rng, 1);
    for (long i = 0; i < n; i++)
        x[i] = rs_rng_uniform(&rng) - 0.5f;
    struct axpb_job j = {.x = x, .y = y};
    for (long k = 0; k < warmup; k++)
        rs_pool_for((size_t)n, (size_t)grain, axpb_piece, &j);
    rs_pool_stats_reset();
    double t0 = rs_time_now(), best = 1e30;
    for (long k = 0; k < steps; k++) {
        double t = rs_time_now();
        rs_pool_for((size_t)n, (size_t)grain, axpb_piece, &j);
        t = rs_time_now() - t;
        best = t < best ? t : best;
    }
    double per = (rs_time_now() - t0) / (double)steps;
    printf("pool_for=%ld grain=%ld threads=%d us_per_call=%.2f us_min=%.3f\n",
           n, grain, threads, 1e6 * per, 1e6 * best);
    struct rs_pool_stats ps;
    rs_pool_stats(&ps);
    fprintf(stderr,
            "rs_bench: pool: %ld jobs, %ld alone, %ld chunks on helpers, "
            "%ld wake-ups, %.1f us waiting for helpers per call\n",
            ps.jobs, ps.alone, ps.helped, ps.wakes,
            1e6 * ps.wait_s / (double)steps);
    rs_aligned_free(x);
    rs_aligned_free(y);
    return 0;
}

static void
usage(FILE *f)
{
    fprintf(f, "usage: rs_bench --workload NAME --steps N [--threads T] "
               "[--warmup W] [--seed S] [--verbose] [--no-backoff]\n"
               "         NAME: grok-mlp fmnist-mlp relu-mlp tanh-mlp tiny-gpt "
               "sparc ppo-mlp hawk\n"
               "       rs_bench --workload sparc|ppo-mlp|hawk --dump FILE "
               "[--warmup W] [--seed S]\n"
               "       rs_bench --gemm nt:MxNxK --steps N [--threads T] "
               "[--warmup W] [--no-backoff]\n"
               "       rs_bench --pool-for N [--grain G] --steps S "
               "[--threads T] [--warmup W] [--no-backoff]\n"
               "       rs_bench --best-core | --kernels\n"
               "env: REPSCOPE_GEMM=openblas sends every GEMM to OpenBLAS\n");
}

int
main(int argc, char **argv)
{
    struct rs_error err = {0};
    if (rs_reexec_for_blas(argv, &err) != RS_OK)
        fprintf(stderr, "rs_bench: warning: %s\n", err.msg);

    const char *workload = NULL, *gemm_spec = NULL, *dump = NULL;
    long pool_for = 0, grain = 4096;
    long steps = -1, warmup = -1;
    int threads = 1;
    unsigned long seed = 0;
    bool verbose = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--best-core") == 0) {
            const char *best = rs_cpu_best_openblas_core();
            printf("%s\n", best != NULL ? best : "none");
            return 0;
        } else if (strcmp(a, "--kernels") == 0) {
            printf("%s\n", rs_cpu_kernel_desc());
            return 0;
        } else if (strcmp(a, "--verbose") == 0) {
            verbose = true;
            continue;
        } else if (strcmp(a, "--no-backoff") == 0) {
            rs_pool_set_backoff(false);
            continue;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (v == NULL) {
            usage(stderr);
            return 2;
        } else if (strcmp(a, "--workload") == 0) {
            workload = v;
        } else if (strcmp(a, "--dump") == 0) {
            dump = v;
        } else if (strcmp(a, "--gemm") == 0) {
            gemm_spec = v;
        } else if (strcmp(a, "--pool-for") == 0) {
            pool_for = strtol(v, NULL, 10);
        } else if (strcmp(a, "--grain") == 0) {
            grain = strtol(v, NULL, 10);
        } else if (strcmp(a, "--steps") == 0) {
            steps = strtol(v, NULL, 10);
        } else if (strcmp(a, "--threads") == 0) {
            threads = (int)strtol(v, NULL, 10);
        } else if (strcmp(a, "--warmup") == 0) {
            warmup = strtol(v, NULL, 10);
        } else if (strcmp(a, "--seed") == 0) {
            seed = strtoul(v, NULL, 10);
        } else {
            usage(stderr);
            return 2;
        }
        i++;
    }
    if (dump != NULL && steps < 0)
        steps = 1; /* --dump times nothing */
    if (dump != NULL && warmup < 0)
        warmup = 0;
    if ((workload == NULL && gemm_spec == NULL && pool_for == 0) ||
        steps < 1 || threads < 1) {
        usage(stderr);
        return 2;
    }
    if (warmup < 0)
        warmup = steps / 10 > 5 ? steps / 10 : 5;

    rs_blas_set_threads(threads);
    const char *gemm = getenv("REPSCOPE_GEMM");
    if (gemm != NULL && strcmp(gemm, "openblas") == 0)
        rs_blas_force_openblas(true);
    if (gemm_spec != NULL)
        return bench_gemm(gemm_spec, steps, warmup, threads);
    if (pool_for != 0)
        return bench_pool_for(pool_for, grain, steps, warmup, threads);
    struct bench b;
    memset(&b, 0, sizeof b);
    b.name = workload;
    rs_rng_seed(&b.rng, seed);
    b.g = rs_graph_new();
    if (strcmp(workload, "grok-mlp") == 0) {
        setup_grok(&b);
    } else if (strcmp(workload, "fmnist-mlp") == 0) {
        setup_fmnist(&b);
    } else if (strcmp(workload, "relu-mlp") == 0) {
        setup_small(&b, false);
    } else if (strcmp(workload, "tanh-mlp") == 0) {
        setup_small(&b, true);
    } else if (strcmp(workload, "tiny-gpt") == 0) {
        setup_gpt(&b);
    } else if (strcmp(workload, "sparc") == 0) {
        rs_bench_sparc_setup(&b);
        b.step = rs_bench_sparc_step;
        b.dump = rs_bench_sparc_dump;
    } else if (strcmp(workload, "ppo-mlp") == 0) {
        rs_bench_ppo_setup(&b);
        b.step = rs_bench_ppo_step;
        b.dump = rs_bench_ppo_dump;
    } else if (strcmp(workload, "hawk") == 0) {
        rs_bench_hawk_setup(&b);
        b.step = rs_bench_hawk_step;
        b.dump = rs_bench_hawk_dump;
    } else {
        fprintf(stderr, "rs_bench: unknown workload '%s'\n", workload);
        usage(stderr);
        rs_graph_free(b.g);
        return 2;
    }

    if (dump != NULL) {
        for (long k = 0; b.dump != NULL && k < warmup; k++)
            (void)train_step(&b, k + 1); /* batch 0 comes last */
        int rc = b.dump != NULL ? b.dump(&b, dump) : 2;
        if (rc == 2)
            fprintf(stderr, "rs_bench: --dump is for sparc, ppo-mlp and "
                            "hawk only\n");
        bench_free(&b);
        return rc;
    }

    /* At least WARMUP_MIN_S of warm-up, whatever --warmup says: OpenBLAS
     * starts its own helper threads when it loads, and they spin for about
     * 0.1 s before they sleep (seen in `perf record`), competing with the
     * first steps. */
    float first = 0.0f;
    double w0 = rs_time_now();
    long done = 0;
    for (; done < warmup || rs_time_now() - w0 < WARMUP_MIN_S; done++) {
        float l = train_step(&b, done);
        if (done == 0)
            first = l;
    }
    rs_pool_stats_reset();
    double t0 = rs_time_now();
    float loss = 0.0f;
    double best = 1e30; /* the fastest step: --verbose */
    for (long k = 0; k < steps; k++) {
        double t = rs_time_now();
        loss = train_step(&b, done + k);
        t = rs_time_now() - t;
        best = t < best ? t : best;
    }
    double elapsed = rs_time_now() - t0;
    if (!isfinite(loss))
        fprintf(stderr, "rs_bench: warning: non-finite loss %g\n",
                (double)loss);
    if (verbose) {
        struct rs_pool_stats ps;
        rs_pool_stats(&ps);
        int np = b.nparams;
        if (b.learner != NULL)
            np = rs_nn_model_count(rs_learner_params(b.learner));
        else if (b.griffin != NULL)
            np = rs_nn_model_count(rs_nn_griffin_model(b.griffin));
        fprintf(stderr,
                "rs_bench: %s: %s, %d thread%s, %d parameter tensors, "
                "loss %.4f (first warm-up step) -> %.4f (last step)\n",
                workload, rs_cpu_kernel_desc(), threads,
                threads == 1 ? "" : "s", np, (double)first, (double)loss);
        fprintf(stderr,
                "rs_bench: fastest step %.4f ms; pool per step: %.1f jobs "
                "(%.1f alone, %.1f chunks on helpers, %.2f wake-ups), "
                "%.0f%% of the time in pool jobs, %.1f us waiting for "
                "helpers, %.1f us saved by them; %ld back-offs\n",
                1e3 * best, (double)ps.jobs / (double)steps,
                (double)ps.alone / (double)steps,
                (double)ps.helped / (double)steps,
                (double)ps.wakes / (double)steps, 100.0 * ps.job_s / elapsed,
                1e6 * ps.wait_s / (double)steps,
                1e6 * ps.gain_s / (double)steps, ps.backoffs);
    }
    printf("workload=%s steps_per_s=%.3f ms_per_step=%.4f\n", workload,
           (double)steps / elapsed, 1e3 * elapsed / (double)steps);
    bench_free(&b);
    return 0;
}
