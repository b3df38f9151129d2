/* repscope - MIT licence, see COPYING.
 *
 * seqtrain.c: the transformer's step loop on the sequence tasks (see
 * seqtrain.h).
 *
 * Invariants: the graph is reset at the start of every entry point and
 * before it returns, so no arena tensor survives a call and a failed step
 * never leaves a half-built tape; the optimiser's gradients are zero
 * between calls. cfg.task is always a task that fits the model (checked
 * by new, set_task and state_load). ids/y are scratch grown on demand.
 * loss_sum/acc_sum/sum_count accumulate the logged means. Worker thread
 * only.
 */
#include "config.h"

#include "algo/seqtrain.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "core/ops.h"
#include "core/rng.h"

/* Largest batch / evaluation size accepted (a typo guard). */
#define MAX_BATCH (1 << 20)
/* Floats of activations an evaluation chunk may hold (about 64 MiB). */
#define EVAL_BUDGET ((size_t)1 << 24)
#define EVAL_CHUNK_MAX 512
/* First word of the saved state ("RSSEQ", layout 1). */
#define STATE_MAGIC UINT64_C(0x5253534551000001)
#define STATE_WORDS 17
/* Salt of the evaluation streams, so they never equal the batch stream. */
#define EVAL_SALT UINT64_C(0x6576616c5f736571)

struct rs_algo_seqtrain {
    struct rs_algo_seqtrain_config cfg;
    rs_nn_transformer *tf; /* borrowed */
    struct rs_nn_transformer_config tc;
    rs_optim *optim;
    rs_graph *g;
    struct rs_rng rng;
    long steps;
    double loss_sum, acc_sum;
    long sum_count;
    int *ids, *y; /* (cap_ids), (cap_y) */
    size_t cap_ids, cap_y;
    struct rs_algo_seqtrain_stats last;
    rs_algo_seqtrain_log_fn log;
    void *log_ud;
};

void
rs_algo_seqtrain_config_default(struct rs_algo_seqtrain_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    rs_seqtask_config_default(&cfg->task);
    cfg->batch = 32;
    cfg->log_every = 10;
    cfg->seed = 1;
    cfg->prec = RS_PREC_F32;
    rs_optim_config_default(&cfg->optim, RS_OPTIM_ADAMW);
    rs_sched_init(&cfg->sched, RS_SCHED_CONSTANT, cfg->optim.lr, -1);
}

static int
check_config(const struct rs_algo_seqtrain_config *c, struct rs_error *err)
{
    if (c->batch < 1 || c->batch > MAX_BATCH)
        return rs_error_set(err, RS_EINVAL,
                            "batch = %d (must be in 1..%d)", c->batch,
                            MAX_BATCH);
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

/* The task is valid and fits the model tc. */
static int
check_task(const struct rs_nn_transformer_config *tc,
           const struct rs_seqtask_config *task, struct rs_error *err)
{
    int rc = rs_seqtask_config_check(task, err);
    if (rc != RS_OK)
        return rc;
    if (tc->vocab < RS_SEQ_VOCAB)
        return rs_error_set(err, RS_EINVAL,
                            "the model's vocab = %d (the sequence "
                            "tasks need %d)",
                            tc->vocab, RS_SEQ_VOCAB);
    int classes = rs_seqtask_classes(task);
    if (tc->out < classes)
        return rs_error_set(err, RS_EINVAL,
                            "the model gives out = %d logits, the "
                            "%s task has %d classes (max_len = %d)",
                            tc->out, rs_seqtask_kind_name(task->kind), classes,
                            task->max_len);
    int T = rs_seqtask_seq_len(task, task->max_len);
    if (T > tc->ctx)
        return rs_error_set(err, RS_EINVAL,
                            "max_len = %d makes %d tokens "
                            "(sep_every = %d), the model's ctx is %d",
                            task->max_len, T, task->sep_every, tc->ctx);
    return RS_OK;
}

rs_algo_seqtrain *
rs_algo_seqtrain_new(const struct rs_algo_seqtrain_config *cfg,
                     rs_nn_transformer *tf, struct rs_error *err)
{
    const struct rs_nn_transformer_config *tc = rs_nn_transformer_config(tf);
    if (check_config(cfg, err) != RS_OK ||
        check_task(tc, &cfg->task, err) != RS_OK)
        return NULL;
    rs_nn_model *model = rs_nn_transformer_model(tf);
    if (rs_nn_model_count(model) == 0) {
        rs_error_set(err, RS_EINVAL, "the model has no parameters");
        return NULL;
    }
    rs_optim *optim = rs_optim_new(&cfg->optim, rs_nn_model_params(model),
                                   rs_nn_model_count(model), err);
    if (optim == NULL)
        return NULL;
    rs_algo_seqtrain *st = rs_xcalloc(1, sizeof *st);
    st->cfg = *cfg;
    st->tf = tf;
    st->tc = *tc;
    st->optim = optim;
    st->g = rs_graph_new();
    rs_graph_set_precision(st->g, cfg->prec);
    rs_rng_seed(&st->rng, cfg->seed);
    return st;
}

void
rs_algo_seqtrain_free(rs_algo_seqtrain *st)
{
    if (st == NULL)
        return;
    rs_graph_free(st->g);
    rs_optim_free(st->optim);
    free(st->ids);
    free(st->y);
    free(st);
}

void
rs_algo_seqtrain_set_log(rs_algo_seqtrain *st, rs_algo_seqtrain_log_fn fn,
                         void *ud)
{
    st->log = fn;
    st->log_ud = ud;
}

static void
emit(const rs_algo_seqtrain *st, const char *name, double v)
{
    if (st->log != NULL)
        st->log(st->log_ud, name, v);
}

/* Copy the graph's sticky error into err and reset the graph. */
static int
graph_error(rs_algo_seqtrain *st, struct rs_error *err)
{
    const struct rs_error *ge = rs_graph_error(st->g);
    int code = ge->code != RS_OK ? ge->code : RS_EINVAL;
    rs_error_set(err, code, "%s",
                 ge->code != RS_OK ? ge->msg : "forward failed");
    rs_graph_reset(st->g);
    return code;
}

/* Scratch for B rows of T tokens: ids (B, T) and y (B). */
static int
ensure_scratch(rs_algo_seqtrain *st, int B, int T, struct rs_error *err)
{
    if (B > INT_MAX / T)
        return rs_error_set(err, RS_EINVAL,
                            "%d samples of %d tokens are too many", B,
                            T);
    size_t n = (size_t)B * (size_t)T;
    if (n > st->cap_ids) {
        st->ids = rs_xreallocarray(st->ids, n, sizeof *st->ids);
        st->cap_ids = n;
    }
    if ((size_t)B > st->cap_y) {
        st->y = rs_xreallocarray(st->y, (size_t)B, sizeof *st->y);
        st->cap_y = (size_t)B;
    }
    return RS_OK;
}

/* Logits at the last position of st->ids (B, T): (B, out), or NULL with
 * the graph's error set. */
static rs_tensor *
forward_last(rs_algo_seqtrain *st, int B, int T)
{
    rs_graph *g = st->g;
    int out = st->tc.out;
    rs_tensor *lg = rs_nn_transformer_forward(st->tf, g, st->ids, B, T);
    if (lg == NULL)
        return NULL;
    /* (B, T, out) -> (B, T * out); the query's logits are the last out
     * columns of each row. */
    rs_tensor *flat = rs_op_reshape(g, lg, 2, (int[]){B, T * out});
    return rs_op_slice(g, flat, (T - 1) * out, out); /* (B, out) */
}

/* Rows of logits (B, out) whose argmax equals y (first maximum wins). */
static int
count_correct(const rs_tensor *logits, const int *y, int B)
{
    int out = logits->shape[1], correct = 0;
    for (int b = 0; b < B; b++) {
        const float *row = logits->data + (size_t)b * (size_t)out;
        int best = 0;
        for (int k = 1; k < out; k++)
            if (row[k] > row[best])
                best = k;
        correct += best == y[b];
    }
    return correct;
}

int
rs_algo_seqtrain_step(rs_algo_seqtrain *st,
                      struct rs_algo_seqtrain_stats *stats,
                      struct rs_error *err)
{
    rs_graph *g = st->g;
    rs_graph_reset(g);
    rs_graph_set_grad(g, true);
    const struct rs_seqtask_config *task = &st->cfg.task;
    int B = st->cfg.batch;
    int len = task->min_len +
              (int)rs_rng_below(&st->rng,
                                (uint32_t)(task->max_len - task->min_len + 1));
    int T = rs_seqtask_seq_len(task, len);
    int rc = ensure_scratch(st, B, T, err);
    if (rc == RS_OK)
        rc = rs_seqtask_sample(task, &st->rng, B, len, st->ids, st->y, err);
    if (rc != RS_OK)
        return rc;
    float lr = rs_sched_lr(&st->cfg.sched, st->steps);
    rs_tensor *last = forward_last(st, B, T);
    rs_tensor *loss = rs_op_cross_entropy(g, last, st->y, NULL);
    if (loss == NULL)
        return graph_error(st, err);
    double lv = (double)loss->data[0];
    if (!isfinite(lv)) {
        rs_graph_reset(g);
        return rs_error_set(err, RS_ENONFINITE, "train/loss is %s",
                            isnan(lv) ? "nan" : "inf");
    }
    double acc = (double)count_correct(last, st->y, B) / B;
    struct rs_algo_seqtrain_stats s = {0};
    rc = rs_graph_backward(g, loss, err);
    if (rc == RS_OK)
        rc = rs_optim_step(st->optim, lr, &s.optim, err);
    rs_optim_zero_grad(st->optim);
    rs_graph_reset(g);
    if (rc != RS_OK)
        return rc;

    st->steps++;
    st->loss_sum += lv;
    st->acc_sum += acc;
    st->sum_count++;
    s.step = st->steps;
    s.len = len;
    s.T = T;
    s.loss = lv;
    s.acc = acc;
    s.lr = (double)lr;
    if (st->steps % st->cfg.log_every == 0) {
        emit(st, "train/loss", st->loss_sum / (double)st->sum_count);
        emit(st, "train/acc", st->acc_sum / (double)st->sum_count);
        emit(st, "train/lr", (double)lr);
        st->loss_sum = st->acc_sum = 0.0;
        st->sum_count = 0;
    }
    st->last = s;
    if (stats != NULL)
        *stats = s;
    return RS_OK;
}

/* Samples per evaluation chunk at T tokens: what EVAL_BUDGET floats of
 * activations hold (attention probabilities dominate at long T). */
static int
eval_chunk(const struct rs_nn_transformer_config *tc, int T)
{
    size_t t = (size_t)T;
    size_t per =
        (size_t)tc->layers * ((size_t)tc->heads * t * t * 2 +
                              t * ((size_t)tc->d * 16 + (size_t)tc->mlp * 3)) +
        t * ((size_t)tc->d * 4 + (size_t)tc->out * 3);
    size_t n = EVAL_BUDGET / (per > 0 ? per : 1);
    if (n < 1)
        n = 1;
    return n > EVAL_CHUNK_MAX ? EVAL_CHUNK_MAX : (int)n;
}

int
rs_algo_seqtrain_eval(rs_algo_seqtrain *st, int len, int n, double *acc,
                      double *loss, struct rs_error *err)
{
    rs_graph_reset(st->g);
    const struct rs_seqtask_config *task = &st->cfg.task;
    if (len < 1 || len > RS_SEQTASK_MAX_LEN)
        return rs_error_set(err, RS_EINVAL,
                            "eval len = %d (must be in 1..%d)", len,
                            RS_SEQTASK_MAX_LEN);
    if (n < 1 || n > MAX_BATCH)
        return rs_error_set(err, RS_EINVAL,
                            "eval n = %d (must be in 1..%d)", n,
                            MAX_BATCH);
    int T = rs_seqtask_seq_len(task, len);
    if (T > st->tc.ctx)
        return rs_error_set(err, RS_EINVAL,
                            "eval len = %d makes %d tokens "
                            "(sep_every = %d), the model's ctx is %d",
                            len, T, task->sep_every, st->tc.ctx);
    bool counting = task->kind != RS_SEQTASK_COPY_FIRST &&
                    task->kind != RS_SEQTASK_COPY_LAST;
    if (counting && len >= st->tc.out)
        return rs_error_set(err, RS_EINVAL,
                            "eval len = %d: %s answers go up to %d, "
                            "the model gives out = %d logits",
                            len, rs_seqtask_kind_name(task->kind), len,
                            st->tc.out);
    int chunk = eval_chunk(&st->tc, T);
    if (chunk > n)
        chunk = n;
    int rc = ensure_scratch(st, chunk, T, err);
    if (rc != RS_OK)
        return rc;
    /* Its own stream from (seed, len): the same samples every time. */
    struct rs_rng r;
    rs_rng_seed(&r, st->cfg.seed ^ EVAL_SALT ^
                        (UINT64_C(0x9e3779b97f4a7c15) * (uint64_t)len));
    double sum = 0.0;
    long correct = 0;
    rs_graph_set_grad(st->g, false);
    for (int start = 0; start < n && rc == RS_OK; start += chunk) {
        int m = n - start < chunk ? n - start : chunk;
        rc = rs_seqtask_sample(task, &r, m, len, st->ids, st->y, err);
        if (rc != RS_OK)
            break;
        rs_tensor *last = forward_last(st, m, T);
        rs_tensor *l = rs_op_cross_entropy(st->g, last, st->y, NULL);
        if (l == NULL) {
            rc = graph_error(st, err);
            break;
        }
        sum += (double)l->data[0] * m;
        correct += count_correct(last, st->y, m);
        rs_graph_reset(st->g);
    }
    rs_graph_set_grad(st->g, true);
    rs_graph_reset(st->g);
    if (rc != RS_OK)
        return rc;
    if (acc != NULL)
        *acc = (double)correct / n;
    if (loss != NULL)
        *loss = sum / n;
    return RS_OK;
}

int
rs_algo_seqtrain_set_task(rs_algo_seqtrain *st,
                          const struct rs_seqtask_config *task,
                          struct rs_error *err)
{
    int rc = check_task(&st->tc, task, err);
    if (rc == RS_OK)
        st->cfg.task = *task;
    return rc;
}

int
rs_algo_seqtrain_set_optim(rs_algo_seqtrain *st,
                           const struct rs_optim_config *cfg,
                           struct rs_error *err)
{
    int rc = rs_optim_set_config(st->optim, cfg, err);
    if (rc == RS_OK)
        st->cfg.optim = *cfg;
    return rc;
}

int
rs_algo_seqtrain_set_lr(rs_algo_seqtrain *st, float lr, struct rs_error *err)
{
    if (!(isfinite(lr) && lr >= 0.0f))
        return rs_error_set(err, RS_EINVAL,
                            "lr = %g (must be finite and >= 0)",
                            (double)lr);
    struct rs_sched *s = &st->cfg.sched;
    if (s->lr > 0.0f)
        s->lr_min = (float)((double)s->lr_min * (double)lr / (double)s->lr);
    s->lr = lr;
    st->cfg.optim.lr = lr;
    return RS_OK;
}

rs_nn_transformer *
rs_algo_seqtrain_model(const rs_algo_seqtrain *st)
{
    return st->tf;
}

rs_optim *
rs_algo_seqtrain_optim(const rs_algo_seqtrain *st)
{
    return st->optim;
}

const struct rs_algo_seqtrain_config *
rs_algo_seqtrain_config(const rs_algo_seqtrain *st)
{
    return &st->cfg;
}

const struct rs_seqtask_config *
rs_algo_seqtrain_task(const rs_algo_seqtrain *st)
{
    return &st->cfg.task;
}

long
rs_algo_seqtrain_steps(const rs_algo_seqtrain *st)
{
    return st->steps;
}

float
rs_algo_seqtrain_lr(const rs_algo_seqtrain *st)
{
    return rs_sched_lr(&st->cfg.sched, st->steps);
}

const struct rs_algo_seqtrain_stats *
rs_algo_seqtrain_last(const rs_algo_seqtrain *st)
{
    return &st->last;
}

/* ---- checkpoint state -------------------------------------------------- */

size_t
rs_algo_seqtrain_state_words(const rs_algo_seqtrain *st)
{
    (void)st;
    return STATE_WORDS;
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
rs_algo_seqtrain_state_save(const rs_algo_seqtrain *st, uint64_t *out)
{
    const struct rs_seqtask_config *t = &st->cfg.task;
    out[0] = STATE_MAGIC;
    out[1] = (uint64_t)st->steps;
    for (int i = 0; i < 4; i++)
        out[2 + i] = st->rng.s[i];
    out[6] = double_bits(st->loss_sum);
    out[7] = double_bits(st->acc_sum);
    out[8] = (uint64_t)st->sum_count;
    out[9] = (uint64_t)rs_optim_steps(st->optim);
    out[10] = (uint64_t)t->kind;
    out[11] = (uint64_t)t->min_len;
    out[12] = (uint64_t)t->max_len;
    out[13] = (uint64_t)t->symbols;
    out[14] = double_bits((double)t->p_one);
    out[15] = (uint64_t)t->sep_every;
    out[16] = (uint64_t)st->cfg.batch;
}

/* A saved int field, or -1 if it does not fit an int. */
static int
word_int(uint64_t w)
{
    return w <= (uint64_t)INT_MAX ? (int)w : -1;
}

int
rs_algo_seqtrain_state_load(rs_algo_seqtrain *st, const uint64_t *in, size_t n,
                            struct rs_error *err)
{
    if (n != STATE_WORDS || in[0] != STATE_MAGIC)
        return rs_error_set(err, RS_EFORMAT,
                            "not a sequence trainer state (%zu words)",
                            n);
    if (in[1] > (uint64_t)LONG_MAX || in[8] > (uint64_t)LONG_MAX ||
        in[9] > (uint64_t)LONG_MAX)
        return rs_error_set(err, RS_EFORMAT, "corrupt sequence trainer state");
    if (in[16] != (uint64_t)st->cfg.batch)
        return rs_error_set(err, RS_EFORMAT,
                            "the trainer state has batch %llu, this "
                            "trainer's is %d",
                            (unsigned long long)in[16], st->cfg.batch);
    struct rs_seqtask_config t;
    rs_seqtask_config_default(&t);
    t.kind = (enum rs_seqtask_kind)word_int(in[10]);
    t.min_len = word_int(in[11]);
    t.max_len = word_int(in[12]);
    t.symbols = word_int(in[13]);
    t.p_one = (float)bits_double(in[14]);
    t.sep_every = word_int(in[15]);
    struct rs_error terr = {0};
    if (check_task(&st->tc, &t, &terr) != RS_OK)
        return rs_error_set(err, RS_EFORMAT, "sequence trainer state: %s",
                            terr.msg);
    st->cfg.task = t;
    st->steps = (long)in[1];
    for (int i = 0; i < 4; i++)
        st->rng.s[i] = in[2 + i];
    st->loss_sum = bits_double(in[6]);
    st->acc_sum = bits_double(in[7]);
    st->sum_count = (long)in[8];
    rs_optim_set_steps(st->optim, (long)in[9]);
    memset(&st->last, 0, sizeof st->last);
    return RS_OK;
}
