/* repscope - MIT licence, see COPYING.
 *
 * main.c: the composition root. Until the Lua scenes and the terminal UI
 * land, the main job is a headless demo: a ReLU MLP learning (a + b) mod 97
 * from half of all pairs, with train/test accuracy, the feature rank of a
 * hidden layer and the weight norm printed as it trains.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "core/blas.h"
#include "core/cpu.h"
#include "core/graph.h"
#include "core/ops.h"
#include "core/optim.h"
#include "core/rng.h"
#include "core/sched.h"
#include "data/modular.h"
#include "nn/mlp.h"
#include "nn/model.h"
#include "probe/rank.h"

struct demo_opts {
    long steps;
    unsigned long seed;
    int threads;
    int every;
};

static void
usage(FILE *f)
{
    fprintf(f,
            "usage: repscope [--steps N] [--seed S] [--threads T] "
            "[--every K]\n"
            "       repscope --version | --help\n\n"
            "Trains a 4-layer ReLU MLP on (a + b) mod 97 (half of all pairs "
            "for training)\nand prints loss, train/test accuracy, the srank "
            "of hidden layer 2 and the\nweight norm every K steps "
            "(default 100) up to N steps (default 6000).\n");
}

static int
parse_long(const char *opt, const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "repscope: %s: '%s' is not a number in %ld..%ld\n",
                opt, s, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

static int
parse_args(int argc, char **argv, struct demo_opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        long v;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 1;
        }
        if (strcmp(a, "--version") == 0) {
            printf("%s\n", PACKAGE_STRING);
            return 1;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "repscope: unknown or incomplete option '%s'\n",
                    a);
            return -1;
        }
        const char *val = argv[++i];
        if (strcmp(a, "--steps") == 0) {
            if (parse_long(a, val, 1, 100000000, &v) < 0)
                return -1;
            o->steps = v;
        } else if (strcmp(a, "--seed") == 0) {
            if (parse_long(a, val, 0, 2147483647, &v) < 0)
                return -1;
            o->seed = (unsigned long)v;
        } else if (strcmp(a, "--threads") == 0) {
            if (parse_long(a, val, 1, 64, &v) < 0)
                return -1;
            o->threads = (int)v;
        } else if (strcmp(a, "--every") == 0) {
            if (parse_long(a, val, 1, 1000000, &v) < 0)
                return -1;
            o->every = (int)v;
        } else {
            fprintf(stderr, "repscope: unknown option '%s' (try --help)\n",
                    a);
            return -1;
        }
    }
    return 0;
}

/* Accuracy of the MLP on a whole split, in no-grad chunks. */
static double
accuracy(rs_nn_mlp *mlp, rs_graph *g, const rs_data_modular *d,
         enum rs_split split, float *xbuf, int *ybuf, int chunk)
{
    int n = rs_data_modular_count(d, split), in = rs_data_modular_input_dim(d);
    int correct = 0;
    rs_graph_set_grad(g, false);
    for (int start = 0; start < n; start += chunk) {
        int m = n - start < chunk ? n - start : chunk;
        int idx[1024];
        for (int i = 0; i < m; i++)
            idx[i] = start + i;
        rs_data_modular_batch(d, split, idx, m, xbuf, ybuf);
        rs_tensor *x = rs_graph_input(g, 2, (int[]){m, in}, xbuf);
        rs_tensor *y = rs_nn_mlp_forward(mlp, g, x);
        if (y == NULL)
            break;
        int classes = rs_tensor_cols(y);
        for (int i = 0; i < m; i++) {
            const float *row = y->data + (size_t)i * (size_t)classes;
            int best = 0;
            for (int c = 1; c < classes; c++)
                if (row[c] > row[best])
                    best = c;
            correct += best == ybuf[i];
        }
        rs_graph_reset(g);
    }
    rs_graph_set_grad(g, true);
    return n > 0 ? (double)correct / n : 0.0;
}

static int
run_demo(const struct demo_opts *o)
{
    struct rs_error err = {0};
    int rc = 1;
    enum { BATCH = 512, CHUNK = 1024 };
    struct rs_data_modular_config dc = {.p = 97, .op = '+',
                                        .train_frac = 0.5f, .seed = o->seed};
    rs_data_modular *data = rs_data_modular_new(&dc, &err);
    if (data == NULL) {
        fprintf(stderr, "repscope: %s\n", err.msg);
        return 1;
    }
    struct rs_nn_mlp_config mc;
    rs_nn_mlp_config_default(&mc);
    mc.input = rs_data_modular_input_dim(data);
    mc.width = 128;
    mc.depth = 4;
    mc.output = rs_data_modular_classes(data);
    mc.init = RS_INIT_TORCH_DEFAULT;
    struct rs_rng rng;
    rs_rng_seed(&rng, o->seed);
    rs_nn_mlp *mlp = rs_nn_mlp_new(&mc, "mlp", &rng, &err);
    rs_graph *g = rs_graph_new();
    rs_optim *opt = NULL;
    float *xbuf = rs_xmalloc(sizeof(float) * CHUNK * (size_t)mc.input);
    int *ybuf = rs_xmalloc(sizeof(int) * CHUNK);
    struct rs_probe_rank rank;
    rs_probe_rank_init(&rank);
    if (mlp == NULL)
        goto out;
    rs_nn_model *model = rs_nn_mlp_model(mlp);
    struct rs_optim_config oc;
    rs_optim_config_default(&oc, RS_OPTIM_ADAMW);
    oc.lr = 2e-3f;
    oc.weight_decay = 2.0f;
    opt = rs_optim_new(&oc, rs_nn_model_params(model),
                       rs_nn_model_count(model), &err);
    if (opt == NULL)
        goto out;
    struct rs_sched sched;
    rs_sched_init(&sched, RS_SCHED_CONSTANT, oc.lr, o->steps);
    sched.warmup = 200;

    printf("repscope %s demo: (a + b) mod 97, MLP 194-%dx%d-97 ReLU, AdamW "
           "lr %g wd %g, batch %d\n",
           PACKAGE_VERSION, mc.width, mc.depth, (double)oc.lr,
           (double)oc.weight_decay, BATCH);
    printf("kernels: %s, %d thread%s; seed %lu; %d train / %d test pairs\n",
           rs_cpu_kernel_desc(), rs_blas_threads(),
           rs_blas_threads() == 1 ? "" : "s", o->seed,
           rs_data_modular_count(data, RS_SPLIT_TRAIN),
           rs_data_modular_count(data, RS_SPLIT_TEST));
    printf("%7s %8s %7s %7s %6s %8s %8s\n", "step", "loss", "train", "test",
           "srank2", "|w|", "steps/s");
    fflush(stdout);

    int ntrain = rs_data_modular_count(data, RS_SPLIT_TRAIN);
    int idx[BATCH];
    double t0 = rs_time_now(), tlast = t0;
    long last_step = 0;
    for (long step = 1; step <= o->steps; step++) {
        for (int i = 0; i < BATCH; i++)
            idx[i] = (int)rs_rng_below(&rng, (uint32_t)ntrain);
        rs_data_modular_batch(data, RS_SPLIT_TRAIN, idx, BATCH, xbuf, ybuf);
        rs_tensor *x = rs_graph_input(g, 2, (int[]){BATCH, mc.input}, xbuf);
        rs_tensor *y = rs_nn_mlp_forward(mlp, g, x);
        rs_tensor *loss = rs_op_cross_entropy(g, y, ybuf, NULL);
        if (rs_graph_backward(g, loss, &err) != RS_OK)
            goto out;
        float lossv = loss->data[0];
        if (rs_optim_step(opt, rs_sched_lr(&sched, step - 1), NULL, &err) !=
            RS_OK) {
            fprintf(stderr, "repscope: step %ld (loss %g): ", step,
                    (double)lossv);
            goto out;
        }
        rs_optim_zero_grad(opt);
        rs_graph_reset(g);
        if (step % o->every != 0 && step != o->steps)
            continue;

        double tr = accuracy(mlp, g, data, RS_SPLIT_TRAIN, xbuf, ybuf, CHUNK);
        double te = accuracy(mlp, g, data, RS_SPLIT_TEST, xbuf, ybuf, CHUNK);
        /* Feature rank of hidden layer 2 on (up to) 1024 test pairs. */
        int m = rs_data_modular_count(data, RS_SPLIT_TEST);
        m = m < CHUNK ? m : CHUNK;
        rs_graph_set_grad(g, false);
        rs_data_modular_batch(data, RS_SPLIT_TEST, NULL, m, xbuf, NULL);
        rs_tensor *xt = rs_graph_input(g, 2, (int[]){m, mc.input}, xbuf);
        int srank = -1;
        if (rs_nn_mlp_forward(mlp, g, xt) != NULL &&
            rs_probe_rank_tensor(&rank, rs_nn_mlp_preact(mlp, 2), false,
                                 &err) == RS_OK)
            srank = rank.srank;
        rs_graph_reset(g);
        rs_graph_set_grad(g, true);
        double now = rs_time_now();
        double sps = (double)(step - last_step) / (now - tlast);
        tlast = now;
        last_step = step;
        printf("%7ld %8.4f %6.1f%% %6.1f%% %6d %8.2f %8.1f\n", step,
               (double)lossv, 100 * tr, 100 * te, srank,
               rs_nn_model_weight_norm(model), sps);
        fflush(stdout);
    }
    printf("done: %ld steps in %.1f s\n", o->steps, rs_time_now() - t0);
    rc = 0;
out:
    if (rc != 0 && err.code != RS_OK)
        fprintf(stderr, "repscope: %s\n", err.msg);
    rs_probe_rank_fini(&rank);
    free(xbuf);
    free(ybuf);
    rs_optim_free(opt);
    rs_graph_free(g);
    rs_nn_mlp_free(mlp);
    rs_data_modular_free(data);
    return rc;
}

int
main(int argc, char **argv)
{
    struct rs_error err = {0};
    if (rs_cpu_reexec_for_blas(argv, &err) != RS_OK)
        fprintf(stderr, "repscope: warning: %s\n", err.msg);
    struct demo_opts o = {.steps = 6000, .seed = 1, .threads = 1,
                          .every = 100};
    int r = parse_args(argc, argv, &o);
    if (r != 0)
        return r < 0 ? 2 : 0;
    rs_blas_set_threads(o.threads);
    return run_demo(&o);
}
