/* repscope - MIT licence, see COPYING.
 *
 * supervised.c: the common classifier step loop (see supervised.h).
 *
 * Invariants: the graph is reset at the start of every entry point (so a
 * failed step never leaves a half-built tape) and at the end of a step;
 * probe_forward's tensors are the one exception, kept until the next call.
 * perm is a permutation of 0..ntrain-1 and pos in [0, ntrain]; pos ==
 * ntrain means "reshuffle before the next draw". loss_sum/loss_count
 * accumulate train/loss between logs. Worker thread only.
 */
#include "config.h"

#include "algo/supervised.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/ops.h"

/* Examples per no-grad evaluation chunk. */
#define EVAL_CHUNK 1024
/* Largest batch accepted (a typo guard, not a memory limit). */
#define MAX_BATCH (1 << 20)
/* First word of the saved state ("RSSUP", layout 1). */
#define STATE_MAGIC UINT64_C(0x5253535550000001)
#define STATE_FIXED 11

struct rs_algo_supervised {
    struct rs_algo_supervised_config cfg;
    rs_nn_module *module; /* retained */
    rs_dataset *data;     /* retained */
    rs_optim *optim;
    rs_graph *g;
    struct rs_rng rng;
    int in, classes, ntrain;
    int *perm; /* (ntrain) */
    long pos;
    long steps;
    double loss_sum;
    long loss_count;
    int *idx, *y; /* (cap) scratch for batches and eval chunks */
    int cap;
    struct rs_algo_supervised_stats last;
    rs_algo_supervised_log_fn log;
    void *log_ud;
    /* probe_forward cache: valid while no step or eval ran since. */
    bool probe_valid;
    int probe_split, probe_n, probe_rows;
};

const char *
rs_algo_supervised_loss_name(enum rs_algo_supervised_loss l)
{
    switch (l) {
    case RS_ALGO_SUPERVISED_CROSS_ENTROPY:
        return "cross_entropy";
    case RS_ALGO_SUPERVISED_MSE_ONEHOT:
        return "mse_onehot";
    }
    return "?";
}

int
rs_algo_supervised_loss_parse(const char *name)
{
    if (strcmp(name, "cross_entropy") == 0)
        return RS_ALGO_SUPERVISED_CROSS_ENTROPY;
    if (strcmp(name, "mse_onehot") == 0)
        return RS_ALGO_SUPERVISED_MSE_ONEHOT;
    return -1;
}

void
rs_algo_supervised_config_default(struct rs_algo_supervised_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->loss = RS_ALGO_SUPERVISED_CROSS_ENTROPY;
    cfg->batch = 512;
    cfg->eval_every = 100;
    cfg->eval_n = 0;
    cfg->log_every = 10;
    cfg->seed = 1;
    cfg->prec = RS_PREC_F32;
    rs_optim_config_default(&cfg->optim, RS_OPTIM_ADAMW);
    rs_sched_init(&cfg->sched, RS_SCHED_CONSTANT, cfg->optim.lr, -1);
}

static int
check_config(const struct rs_algo_supervised_config *c, struct rs_error *err)
{
    if (c->loss != RS_ALGO_SUPERVISED_CROSS_ENTROPY &&
        c->loss != RS_ALGO_SUPERVISED_MSE_ONEHOT)
        return rs_error_set(err, RS_EINVAL, "unknown loss %d",
                            (int)c->loss);
    if (c->batch < 1 || c->batch > MAX_BATCH)
        return rs_error_set(err, RS_EINVAL,
                            "batch = %d (must be in 1..%d)", c->batch,
                            MAX_BATCH);
    if (c->eval_every < 0)
        return rs_error_set(err, RS_EINVAL,
                            "eval_every = %ld (must be >= 0)",
                            c->eval_every);
    if (c->eval_n < 0)
        return rs_error_set(err, RS_EINVAL, "eval_n = %d (must be >= 0)",
                            c->eval_n);
    if (c->log_every < 1)
        return rs_error_set(err, RS_EINVAL,
                            "log_every = %ld (must be >= 1)",
                            c->log_every);
    if (c->prec != RS_PREC_F32 && c->prec != RS_PREC_BF16 &&
        c->prec != RS_PREC_F16)
        return rs_error_set(err, RS_EINVAL, "unknown precision %d",
                            (int)c->prec);
    const struct rs_sched *s = &c->sched;
    if (rs_sched_kind_name(s->kind)[0] == '?')
        return rs_error_set(err, RS_EINVAL, "unknown schedule %d",
                            (int)s->kind);
    if (!(isfinite(s->lr) && s->lr >= 0.0f) ||
        !(isfinite(s->lr_min) && s->lr_min >= 0.0f))
        return rs_error_set(err, RS_EINVAL,
                            "schedule lr = %g, lr_min = %g (must be "
                            "finite and >= 0)",
                            (double)s->lr, (double)s->lr_min);
    if (s->warmup < 0)
        return rs_error_set(err, RS_EINVAL,
                            "schedule warmup = %ld (must be >= 0)",
                            s->warmup);
    return RS_OK;
}

rs_algo_supervised *
rs_algo_supervised_new(const struct rs_algo_supervised_config *cfg,
                       rs_nn_module *module, rs_dataset *data,
                       struct rs_error *err)
{
    if (check_config(cfg, err) != RS_OK)
        return NULL;
    int in = rs_dataset_input_dim(data), classes = rs_dataset_classes(data);
    int min = rs_nn_module_in(module), mout = rs_nn_module_out(module);
    if (min != 0 && min != in) {
        rs_error_set(err, RS_EINVAL,
                     "the model takes %d inputs but the dataset gives "
                     "%d",
                     min, in);
        return NULL;
    }
    if (mout != 0 && mout != classes) {
        rs_error_set(err, RS_EINVAL,
                     "the model gives %d outputs but the dataset has "
                     "%d classes",
                     mout, classes);
        return NULL;
    }
    int ntrain = rs_dataset_count(data, RS_SPLIT_TRAIN);
    if (ntrain < 1) {
        rs_error_set(err, RS_EINVAL, "the train split is empty");
        return NULL;
    }
    rs_nn_model *model = rs_nn_module_model(module);
    if (rs_nn_model_count(model) == 0) {
        rs_error_set(err, RS_EINVAL, "the model has no parameters");
        return NULL;
    }
    rs_optim *optim = rs_optim_new(&cfg->optim, rs_nn_model_params(model),
                                   rs_nn_model_count(model), err);
    if (optim == NULL)
        return NULL;

    rs_algo_supervised *tr = rs_xcalloc(1, sizeof *tr);
    tr->cfg = *cfg;
    tr->module = module;
    rs_nn_module_retain(module);
    tr->data = data;
    rs_dataset_retain(data);
    tr->optim = optim;
    tr->g = rs_graph_new();
    rs_graph_set_precision(tr->g, cfg->prec);
    rs_rng_seed(&tr->rng, cfg->seed);
    tr->in = in;
    tr->classes = classes;
    tr->ntrain = ntrain;
    tr->perm = rs_xcalloc((size_t)ntrain, sizeof *tr->perm);
    for (int i = 0; i < ntrain; i++)
        tr->perm[i] = i;
    tr->pos = ntrain;
    tr->cap = cfg->batch > EVAL_CHUNK ? cfg->batch : EVAL_CHUNK;
    tr->idx = rs_xcalloc((size_t)tr->cap, sizeof *tr->idx);
    tr->y = rs_xcalloc((size_t)tr->cap, sizeof *tr->y);
    return tr;
}

void
rs_algo_supervised_free(rs_algo_supervised *tr)
{
    if (tr == NULL)
        return;
    rs_graph_free(tr->g);
    rs_optim_free(tr->optim);
    rs_nn_module_release(tr->module);
    rs_dataset_release(tr->data);
    free(tr->perm);
    free(tr->idx);
    free(tr->y);
    free(tr);
}

void
rs_algo_supervised_set_log(rs_algo_supervised *tr, rs_algo_supervised_log_fn fn,
                           void *ud)
{
    tr->log = fn;
    tr->log_ud = ud;
}

static void
emit(const rs_algo_supervised *tr, const char *name, double v)
{
    if (tr->log != NULL)
        tr->log(tr->log_ud, name, v);
}

/* Copy the graph's sticky error into err and reset the graph. */
static int
graph_error(rs_algo_supervised *tr, struct rs_error *err)
{
    const struct rs_error *ge = rs_graph_error(tr->g);
    int code = ge->code != RS_OK ? ge->code : RS_EINVAL;
    rs_error_set(err, code, "%s",
                 ge->code != RS_OK ? ge->msg : "forward failed");
    rs_graph_reset(tr->g);
    return code;
}

/* Forward n examples (x given, or drawn from split at tr->idx with labels
 * into tr->y when x is NULL) and the loss. *out gets the model output
 * (n, classes). NULL on a graph error. */
static rs_tensor *
forward_loss(rs_algo_supervised *tr, enum rs_split split, const float *x,
             const int *y, const int *idx, int n, rs_tensor **out)
{
    rs_graph *g = tr->g;
    rs_tensor *xt = rs_graph_tensor(g, 2, (int[]){n, tr->in});
    if (xt == NULL)
        return NULL;
    if (x != NULL) {
        memcpy(xt->data, x, (size_t)n * (size_t)tr->in * sizeof(float));
        memcpy(tr->y, y, (size_t)n * sizeof *y);
    } else {
        rs_dataset_batch(tr->data, split, idx, n, xt->data, tr->y);
    }
    rs_tensor *o = rs_nn_module_forward(tr->module, g, xt); /* (n, V) */
    *out = o;
    if (o == NULL)
        return NULL;
    if (rs_tensor_cols(o) != tr->classes) {
        rs_graph_fail(g, RS_ESHAPE,
                      "the model gives %d outputs, the dataset has %d "
                      "classes",
                      rs_tensor_cols(o), tr->classes);
        return NULL;
    }
    if (tr->cfg.loss == RS_ALGO_SUPERVISED_CROSS_ENTROPY)
        return rs_op_cross_entropy(g, o, tr->y, NULL);
    rs_tensor *target = rs_graph_tensor(g, 2, (int[]){n, tr->classes});
    if (target == NULL)
        return NULL;
    memset(target->data, 0, target->numel * sizeof(float));
    for (int i = 0; i < n; i++)
        if (tr->y[i] >= 0 && tr->y[i] < tr->classes)
            target->data[(size_t)i * (size_t)tr->classes + (size_t)tr->y[i]] =
                1.0f;
    return rs_op_mse(g, o, target);
}

/* Rows of out (n, classes) whose argmax equals tr->y. */
static int
count_correct(const rs_algo_supervised *tr, const rs_tensor *out, int n)
{
    int correct = 0, c = tr->classes;
    for (int i = 0; i < n; i++) {
        const float *row = out->data + (size_t)i * (size_t)c;
        int best = 0;
        for (int k = 1; k < c; k++)
            if (row[k] > row[best])
                best = k;
        correct += best == tr->y[i];
    }
    return correct;
}

/* The next n indices of the epoch stream into tr->idx. */
static void
draw_batch(rs_algo_supervised *tr, int n)
{
    for (int i = 0; i < n; i++) {
        if (tr->pos >= tr->ntrain) {
            rs_rng_shuffle_int(&tr->rng, tr->perm, (size_t)tr->ntrain);
            tr->pos = 0;
        }
        tr->idx[i] = tr->perm[tr->pos++];
    }
}

static int
eval_split(rs_algo_supervised *tr, enum rs_split split, int n, double *loss,
           double *acc, struct rs_error *err)
{
    int count = rs_dataset_count(tr->data, split);
    if (n <= 0 || n > count)
        n = count;
    *loss = 0.0;
    *acc = 0.0;
    if (n == 0)
        return RS_OK;
    double sum = 0.0;
    long correct = 0;
    rs_graph_set_grad(tr->g, false);
    for (int start = 0; start < n; start += EVAL_CHUNK) {
        int m = n - start < EVAL_CHUNK ? n - start : EVAL_CHUNK;
        for (int i = 0; i < m; i++)
            tr->idx[i] = start + i;
        rs_tensor *out = NULL;
        rs_tensor *l = forward_loss(tr, split, NULL, NULL, tr->idx, m, &out);
        if (l == NULL) {
            rs_graph_set_grad(tr->g, true);
            return graph_error(tr, err);
        }
        sum += (double)l->data[0] * m;
        correct += count_correct(tr, out, m);
        rs_graph_reset(tr->g);
    }
    rs_graph_set_grad(tr->g, true);
    *loss = sum / n;
    *acc = (double)correct / n;
    return RS_OK;
}

int
rs_algo_supervised_eval(rs_algo_supervised *tr, enum rs_split split, int n,
                        double *loss, double *acc, struct rs_error *err)
{
    tr->probe_valid = false;
    rs_graph_reset(tr->g);
    double l, a;
    int rc = eval_split(tr, split, n, &l, &a, err);
    if (loss != NULL)
        *loss = l;
    if (acc != NULL)
        *acc = a;
    return rc;
}

static int
train_step(rs_algo_supervised *tr, const float *x, const int *y, int n,
           struct rs_algo_supervised_stats *out, struct rs_error *err)
{
    rs_graph *g = tr->g;
    tr->probe_valid = false;
    rs_graph_reset(g);
    rs_graph_set_grad(g, true);
    float lr = rs_sched_lr(&tr->cfg.sched, tr->steps);
    if (x == NULL)
        draw_batch(tr, n);
    rs_tensor *o = NULL;
    rs_tensor *loss = forward_loss(tr, RS_SPLIT_TRAIN, x, y, tr->idx, n, &o);
    if (loss == NULL)
        return graph_error(tr, err);
    double lv = (double)loss->data[0];
    if (!isfinite(lv)) {
        rs_graph_reset(g);
        return rs_error_set(err, RS_ENONFINITE, "train/loss is %s",
                            isnan(lv) ? "nan" : "inf");
    }
    int rc = rs_graph_backward(g, loss, err);
    struct rs_algo_supervised_stats st = {0};
    if (rc == RS_OK)
        rc = rs_optim_step(tr->optim, lr, &st.optim, err);
    rs_optim_zero_grad(tr->optim);
    rs_graph_reset(g);
    if (rc != RS_OK)
        return rc;

    tr->steps++;
    tr->loss_sum += lv;
    tr->loss_count++;
    st.step = tr->steps;
    st.loss = lv;
    st.lr = (double)lr;
    if (tr->steps % tr->cfg.log_every == 0) {
        emit(tr, "train/loss", tr->loss_sum / (double)tr->loss_count);
        emit(tr, "train/lr", (double)lr);
        tr->loss_sum = 0.0;
        tr->loss_count = 0;
    }
    long every = tr->cfg.eval_every;
    if (x == NULL && every > 0 && (tr->steps == 1 || tr->steps % every == 0)) {
        rc = eval_split(tr, RS_SPLIT_TRAIN, tr->cfg.eval_n, &st.train_loss,
                        &st.train_acc, err);
        if (rc == RS_OK)
            rc = eval_split(tr, RS_SPLIT_TEST, tr->cfg.eval_n, &st.test_loss,
                            &st.test_acc, err);
        if (rc != RS_OK)
            return rc;
        st.evaluated = true;
        emit(tr, "train/acc", st.train_acc);
        emit(tr, "test/loss", st.test_loss);
        emit(tr, "test/acc", st.test_acc);
    }
    tr->last = st;
    if (out != NULL)
        *out = st;
    return RS_OK;
}

int
rs_algo_supervised_step(rs_algo_supervised *tr,
                        struct rs_algo_supervised_stats *st,
                        struct rs_error *err)
{
    return train_step(tr, NULL, NULL, tr->cfg.batch, st, err);
}

int
rs_algo_supervised_step_on(rs_algo_supervised *tr, const float *x, const int *y,
                           int n, struct rs_algo_supervised_stats *st,
                           struct rs_error *err)
{
    if (n < 1 || n > tr->cap)
        return rs_error_set(err, RS_EINVAL,
                            "batch of %d examples (must be in 1..%d)", n,
                            tr->cap);
    for (int i = 0; i < n; i++)
        if (y[i] < 0 || y[i] >= tr->classes)
            return rs_error_set(err, RS_EINVAL,
                                "label %d of example %d outside "
                                "0..%d",
                                y[i], i + 1, tr->classes - 1);
    return train_step(tr, x, y, n, st, err);
}

int
rs_algo_supervised_probe_forward(rs_algo_supervised *tr, enum rs_split split,
                                 int n, int *rows, struct rs_error *err)
{
    if (tr->probe_valid && tr->probe_split == (int)split && tr->probe_n == n) {
        *rows = tr->probe_rows;
        return RS_OK;
    }
    tr->probe_valid = false;
    rs_graph_reset(tr->g);
    int count = rs_dataset_count(tr->data, split);
    int m = n <= 0 || n > count ? count : n;
    if (m < 1)
        return rs_error_set(err, RS_EINVAL, "the %s split is empty",
                            rs_dataset_split_name(split));
    rs_graph_set_grad(tr->g, false);
    rs_tensor *xt = rs_graph_tensor(tr->g, 2, (int[]){m, tr->in});
    rs_tensor *o = NULL;
    if (xt != NULL) {
        rs_dataset_batch(tr->data, split, NULL, m, xt->data, NULL);
        o = rs_nn_module_forward(tr->module, tr->g, xt);
    }
    rs_graph_set_grad(tr->g, true);
    if (o == NULL)
        return graph_error(tr, err);
    tr->probe_valid = true;
    tr->probe_split = (int)split;
    tr->probe_n = n;
    tr->probe_rows = m;
    *rows = m;
    return RS_OK;
}

rs_nn_module *
rs_algo_supervised_module(const rs_algo_supervised *tr)
{
    return tr->module;
}

rs_dataset *
rs_algo_supervised_data(const rs_algo_supervised *tr)
{
    return tr->data;
}

rs_optim *
rs_algo_supervised_optim(const rs_algo_supervised *tr)
{
    return tr->optim;
}

const struct rs_algo_supervised_config *
rs_algo_supervised_config(const rs_algo_supervised *tr)
{
    return &tr->cfg;
}

long
rs_algo_supervised_steps(const rs_algo_supervised *tr)
{
    return tr->steps;
}

float
rs_algo_supervised_lr(const rs_algo_supervised *tr)
{
    return rs_sched_lr(&tr->cfg.sched, tr->steps);
}

const struct rs_algo_supervised_stats *
rs_algo_supervised_last(const rs_algo_supervised *tr)
{
    return &tr->last;
}

int
rs_algo_supervised_set_lr(rs_algo_supervised *tr, float lr,
                          struct rs_error *err)
{
    if (!(isfinite(lr) && lr >= 0.0f))
        return rs_error_set(err, RS_EINVAL,
                            "lr = %g (must be finite and >= 0)",
                            (double)lr);
    struct rs_sched *s = &tr->cfg.sched;
    if (s->lr > 0.0f)
        s->lr_min = (float)((double)s->lr_min * (double)lr / (double)s->lr);
    s->lr = lr;
    tr->cfg.optim.lr = lr;
    return RS_OK;
}

int
rs_algo_supervised_set_optim(rs_algo_supervised *tr,
                             const struct rs_optim_config *cfg,
                             struct rs_error *err)
{
    int rc = rs_optim_set_config(tr->optim, cfg, err);
    if (rc == RS_OK)
        tr->cfg.optim = *cfg;
    return rc;
}

int
rs_algo_supervised_set_eval(rs_algo_supervised *tr, long every, int n,
                            struct rs_error *err)
{
    if (every < 0 || n < 0)
        return rs_error_set(err, RS_EINVAL,
                            "eval_every = %ld, eval_n = %d (must be "
                            ">= 0)",
                            every, n);
    tr->cfg.eval_every = every;
    tr->cfg.eval_n = n;
    return RS_OK;
}

size_t
rs_algo_supervised_state_words(const rs_algo_supervised *tr)
{
    return STATE_FIXED + (size_t)tr->ntrain;
}

static uint64_t
double_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static double
bits_double(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

void
rs_algo_supervised_state_save(const rs_algo_supervised *tr, uint64_t *out)
{
    out[0] = STATE_MAGIC;
    out[1] = (uint64_t)tr->steps;
    for (int i = 0; i < 4; i++)
        out[2 + i] = tr->rng.s[i];
    out[6] = (uint64_t)tr->pos;
    out[7] = (uint64_t)tr->ntrain;
    out[8] = double_bits(tr->loss_sum);
    out[9] = (uint64_t)tr->loss_count;
    out[10] = (uint64_t)rs_optim_steps(tr->optim);
    for (int i = 0; i < tr->ntrain; i++)
        out[STATE_FIXED + i] = (uint64_t)tr->perm[i];
}

int
rs_algo_supervised_state_load(rs_algo_supervised *tr, const uint64_t *in,
                              size_t n, struct rs_error *err)
{
    if (n < STATE_FIXED || in[0] != STATE_MAGIC)
        return rs_error_set(err, RS_EFORMAT,
                            "not a trainer state (%zu words)",
                            n);
    if (in[7] != (uint64_t)tr->ntrain ||
        n != rs_algo_supervised_state_words(tr))
        return rs_error_set(err, RS_EFORMAT,
                            "the trainer state has %llu train examples, "
                            "this dataset has %d",
                            (unsigned long long)in[7], tr->ntrain);
    if (in[6] > (uint64_t)tr->ntrain || in[1] > (uint64_t)LONG_MAX ||
        in[10] > (uint64_t)LONG_MAX)
        return rs_error_set(err, RS_EFORMAT, "corrupt trainer state");
    /* The permutation must be one, or the next epoch reads out of range. */
    char *seen = rs_xcalloc((size_t)tr->ntrain, 1);
    int bad = 0;
    for (int i = 0; i < tr->ntrain && !bad; i++) {
        uint64_t v = in[STATE_FIXED + i];
        bad = v >= (uint64_t)tr->ntrain || seen[v];
        if (!bad)
            seen[v] = 1;
    }
    free(seen);
    if (bad)
        return rs_error_set(err, RS_EFORMAT,
                            "corrupt trainer state (not a permutation)");
    tr->steps = (long)in[1];
    for (int i = 0; i < 4; i++)
        tr->rng.s[i] = in[2 + i];
    tr->pos = (long)in[6];
    tr->loss_sum = bits_double(in[8]);
    tr->loss_count = (long)in[9];
    rs_optim_set_steps(tr->optim, (long)in[10]);
    for (int i = 0; i < tr->ntrain; i++)
        tr->perm[i] = (int)in[STATE_FIXED + i];
    tr->probe_valid = false;
    memset(&tr->last, 0, sizeof tr->last);
    return RS_OK;
}
