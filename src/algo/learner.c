/* repscope - MIT licence, see COPYING.
 *
 * learner.c: the learner's step loop and live changes (see learner.h);
 * evaluation is in learner_eval.c; checkpoint state, probes, the Fisher
 * diagonal and the accessors are in learner_state.c (learner_impl.h
 * holds the struct).
 *
 * The step replays the two loops it replaces operation for operation:
 * the supervised loop (rate, epoch draw, forward, loss, finite check,
 * backward, optimiser step, zero, reset; evaluate train then test at step
 * 1 and every eval_every) and the sequence trainer (length and samples
 * from the batch stream, the same ops, batch accuracy in the logged
 * means). Its numbers are theirs bit for bit (tests/t_algo_learner.c).
 *
 * Invariants: the graph is reset at the start of every entry point (a
 * failed call never leaves a half-built tape) and at the end of a step;
 * probe_forward's tensors are the one exception, kept until the next
 * call. For a finite source perm is a permutation of 0..ntrain-1 and pos
 * in [0, ntrain] (ntrain: reshuffle before the next draw). Worker thread
 * only.
 */
#include "config.h"

#include "algo/learner.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo/learner_impl.h"

void
rs_learner_config_default(struct rs_learner_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->batch = 512;
    cfg->eval_every = 100;
    cfg->log_every = 10;
    cfg->seed = 1;
    cfg->prec = RS_PREC_F32;
    rs_optim_config_default(&cfg->optim, RS_OPTIM_ADAMW);
    rs_sched_init(&cfg->sched, RS_SCHED_CONSTANT, cfg->optim.lr, -1);
}

static int
check_config(const struct rs_learner_config *c, struct rs_error *err)
{
    if (memchr(c->name, '\0', sizeof c->name) == NULL)
        return rs_error_set(err, RS_EINVAL, "learner name is too long");
    if (c->name[0] != '\0' && rs_name_check_owner(c->name, err) != RS_OK)
        return RS_EINVAL;
    if (c->batch < 1 || c->batch > RS_LEARNER_MAX_BATCH)
        return rs_error_set(err, RS_EINVAL, "batch = %d (must be in 1..%d)",
                            c->batch, RS_LEARNER_MAX_BATCH);
    if (c->eval_every < 0)
        return rs_error_set(err, RS_EINVAL, "eval_every = %ld (must be >= 0)",
                            c->eval_every);
    if (c->eval_n < 0 || c->eval_n > RS_LEARNER_MAX_BATCH)
        return rs_error_set(err, RS_EINVAL, "eval_n = %d (must be in 0..%d)",
                            c->eval_n, RS_LEARNER_MAX_BATCH);
    if (c->eval_len < 0)
        return rs_error_set(err, RS_EINVAL, "eval_len = %d (must be >= 0)",
                            c->eval_len);
    if (c->log_every < 1)
        return rs_error_set(err, RS_EINVAL, "log_every = %ld (must be >= 1)",
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
                            "schedule lr = %g, lr_min = %g (must be finite "
                            "and >= 0)",
                            (double)s->lr, (double)s->lr_min);
    if (s->warmup < 0)
        return rs_error_set(err, RS_EINVAL,
                            "schedule warmup = %ld (must be >= 0)", s->warmup);
    return RS_OK;
}

/* The parameters of several modules in one registry, "<i>.<name>",
 * sharing the tensors (as a sequential does); NULL + err when a tensor
 * is reached twice. */
static rs_nn_model *
gather_params(rs_nn_module *const *mods, int n, struct rs_error *err)
{
    rs_nn_model *all = rs_nn_model_new("learner");
    for (int i = 0; i < n; i++) {
        rs_nn_model *m = rs_nn_module_model(mods[i]);
        for (int j = 0; j < rs_nn_model_count(m); j++) {
            rs_tensor *t = rs_nn_model_param(m, j);
            for (int k = 0; k < rs_nn_model_count(all); k++)
                if (rs_nn_model_param(all, k) == t) {
                    rs_error_set(err, RS_EINVAL,
                                 "module %d shares parameter '%s' with an "
                                 "earlier module",
                                 i + 1, rs_nn_model_param_name(m, j));
                    rs_learner_free_params(all, mods, i + 1);
                    return NULL;
                }
            char name[RS_NN_MODEL_NAME_MAX + 16];
            snprintf(name, sizeof name, "%d.%s", i + 1,
                     rs_nn_model_param_name(m, j));
            if (rs_nn_model_add(all, name, t->ndim, t->shape, err) == NULL) {
                rs_learner_free_params(all, mods, i + 1);
                return NULL;
            }
            rs_tensor_retain(t);
            rs_nn_model_replace(all, rs_nn_model_count(all) - 1, t);
        }
    }
    return all;
}

void
rs_learner_free_params(rs_nn_model *all, rs_nn_module *const *mods, int n)
{
    /* Drop the shared references, then point each tensor's name back at
     * its module's registry (the shared one set it to its own). */
    rs_nn_model_free(all);
    for (int i = 0; i < n; i++) {
        rs_nn_model *m = rs_nn_module_model(mods[i]);
        for (int j = 0; j < rs_nn_model_count(m); j++)
            rs_nn_model_param(m, j)->name = rs_nn_model_param_name(m, j);
    }
}

/* Check obj against the modules and src; fills *si. */
static int
check_objective(rs_learner *l, rs_objective *obj, rs_source *src,
                struct rs_source_info *si, struct rs_error *err)
{
    rs_source_info(src, si);
    struct rs_obj_env env = {
        .modules = l->mod,
        .nmodules = l->nmod,
        .params = l->params,
        .si = si,
    };
    return rs_objective_check(obj, &env, err);
}

/* Adopt src's sampler: identity permutation, reshuffled at the next
 * draw. The identity is not stored: perm stays NULL until a draw needs
 * it (rs_learner_perm), so a learner that never draws (a driver's that
 * streams its own data) holds and checkpoints no permutation of a large
 * corpus. */
static void
reset_sampler(rs_learner *l, rs_source *src)
{
    int n =
        rs_source_is_generator(src) ? 0 : rs_source_count(src, RS_SPLIT_TRAIN);
    free(l->perm);
    l->perm = NULL;
    l->ntrain = n;
    l->pos = l->ntrain;
}

int *
rs_learner_perm(rs_learner *l)
{
    if (l->perm == NULL && l->ntrain > 0) {
        l->perm = rs_xcalloc((size_t)l->ntrain, sizeof *l->perm);
        for (int i = 0; i < l->ntrain; i++)
            l->perm[i] = i;
    }
    return l->perm;
}

static int
check_source(const rs_source *src, struct rs_error *err)
{
    if (!rs_source_is_generator(src) &&
        rs_source_count(src, RS_SPLIT_TRAIN) < 1)
        return rs_error_set(err, RS_EINVAL, "the train split is empty");
    return RS_OK;
}

/* clip_per_module: parameter j's clip group is the index of its module
 * (the registry lists the modules' parameters in module order). */
static void
set_clip_groups(rs_learner *l)
{
    if (!l->cfg.clip_per_module)
        return;
    int j = 0;
    for (int i = 0; i < l->nmod; i++) {
        int n = rs_nn_model_count(rs_nn_module_model(l->mod[i]));
        for (int k = 0; k < n; k++, j++)
            rs_optim_set_clip_group(l->optim, j, i);
    }
}

rs_learner *
rs_learner_new(const struct rs_learner_config *cfg,
               rs_nn_module *const *modules, int nmodules, rs_objective *obj,
               rs_source *src, struct rs_error *err)
{
    if (check_config(cfg, err) != RS_OK || check_source(src, err) != RS_OK)
        return NULL;
    if (nmodules < 1 || nmodules > RS_LEARNER_MAX_MODULES) {
        rs_error_set(err, RS_EINVAL, "%d modules (must be in 1..%d)", nmodules,
                     RS_LEARNER_MAX_MODULES);
        return NULL;
    }
    rs_learner *l = rs_xcalloc(1, sizeof *l);
    l->cfg = *cfg;
    l->nmod = nmodules;
    for (int i = 0; i < nmodules; i++) {
        l->mod[i] = modules[i];
        rs_nn_module_retain(modules[i]);
    }
    if (nmodules == 1) {
        l->params = rs_nn_module_model(modules[0]);
    } else {
        l->params = gather_params(modules, nmodules, err);
        l->own_params = true;
        if (l->params == NULL)
            goto fail;
    }
    if (rs_nn_model_count(l->params) == 0) {
        rs_error_set(err, RS_EINVAL, "the model has no parameters");
        goto fail;
    }
    if (check_objective(l, obj, src, &l->si, err) != RS_OK)
        goto fail;
    l->optim = rs_optim_new(&cfg->optim, rs_nn_model_params(l->params),
                            rs_nn_model_count(l->params), err);
    if (l->optim == NULL)
        goto fail;
    set_clip_groups(l);
    l->obj = obj;
    rs_objective_retain(obj);
    l->src = src;
    rs_source_retain(src);
    l->g = rs_graph_new();
    rs_graph_set_precision(l->g, cfg->prec);
    rs_rng_seed(&l->rng, cfg->seed);
    rs_learner_noise_init(l);
    reset_sampler(l, src);
    rs_batch_init(&l->batch);
    rs_batch_init(&l->ebatch);
    return l;
fail:
    if (l->own_params && l->params != NULL)
        rs_learner_free_params(l->params, l->mod, l->nmod);
    for (int i = 0; i < l->nmod; i++)
        rs_nn_module_release(l->mod[i]);
    free(l);
    return NULL;
}

void
rs_learner_free(rs_learner *l)
{
    if (l == NULL)
        return;
    rs_learner_set_driver(l, NULL, NULL);
    rs_graph_free(l->g);
    rs_optim_free(l->optim);
    if (l->own_params)
        rs_learner_free_params(l->params, l->mod, l->nmod);
    for (int i = 0; i < l->nmod; i++)
        rs_nn_module_release(l->mod[i]);
    rs_objective_release(l->obj);
    rs_source_release(l->src);
    rs_batch_fini(&l->batch);
    rs_batch_fini(&l->ebatch);
    free(l->perm);
    free(l->idx);
    free(l->cuts);
    free(l);
}

void
rs_learner_set_log(rs_learner *l, rs_learner_log_fn fn, void *ud)
{
    l->log = fn;
    l->log_ud = ud;
}

const char *
rs_learner_metric(const rs_learner *l, char out[RS_NAME_MAX], const char *part1,
                  const char *part2, const char *part3)
{
    return rs_name(out, l->cfg.name, part1, part2, part3, (const char *)NULL);
}

static void
emit(const rs_learner *l, const char *split, const char *what, double v)
{
    if (l->log == NULL)
        return;
    char name[RS_NAME_MAX];
    l->log(l->log_ud, rs_learner_metric(l, name, split, what, NULL), v);
}

int
rs_learner_graph_error(rs_learner *l, struct rs_error *err)
{
    const struct rs_error *ge = rs_graph_error(l->g);
    int code = ge->code != RS_OK ? ge->code : RS_EINVAL;
    rs_error_set(err, code, "%s",
                 ge->code != RS_OK ? ge->msg : "forward failed");
    rs_graph_reset(l->g);
    return code;
}

void
rs_learner_ensure_idx(rs_learner *l, int n)
{
    if (n > l->cap_idx) {
        l->idx = rs_xreallocarray(l->idx, (size_t)n, sizeof *l->idx);
        l->cap_idx = n;
    }
}

int
rs_learner_draw(rs_learner *l, struct rs_rng *rng, int *perm, long *pos, int n,
                struct rs_batch *b, struct rs_error *err)
{
    if (l->ntrain == 0)
        return rs_source_draw(l->src, rng, n, 0, b, err);
    /* The next n indices of the epoch stream (a batch larger than the
     * split wraps into the next epoch). */
    rs_learner_ensure_idx(l, n);
    for (int i = 0; i < n; i++) {
        if (*pos >= l->ntrain) {
            rs_rng_shuffle_int(rng, perm, (size_t)l->ntrain);
            *pos = 0;
        }
        l->idx[i] = perm[(*pos)++];
    }
    return rs_source_fetch(l->src, RS_SPLIT_TRAIN, l->idx, n, b, err);
}

void
rs_learner_ctx(rs_learner *l, struct rs_obj_ctx *c, const struct rs_batch *b,
               bool train)
{
    memset(c, 0, sizeof *c);
    c->g = l->g;
    c->modules = l->mod;
    c->nmodules = l->nmod;
    c->params = l->params;
    c->batch = b;
    c->step = l->steps;
    c->train = train;
}

/* ---- steps ------------------------------------------------------------- */

/* Add a training step's extra scalars to their log sums. */
static void
count_extras(rs_learner *l, const struct rs_obj_stats *os)
{
    int n = os->nextra < RS_OBJ_MAX_EXTRAS ? os->nextra : RS_OBJ_MAX_EXTRAS;
    for (int i = 0; i < n; i++) {
        if (os->extra[i].name == NULL)
            continue;
        l->extra_name[i] = os->extra[i].name;
        l->extra_sum[i] += os->extra[i].value;
        l->extra_count[i]++;
    }
}

/* Log the extras' means since the last log and restart them. */
static void
emit_extras(rs_learner *l)
{
    for (int i = 0; i < RS_OBJ_MAX_EXTRAS; i++) {
        if (l->extra_count[i] > 0 && l->extra_name[i] != NULL)
            emit(l, "train", l->extra_name[i],
                 l->extra_sum[i] / (double)l->extra_count[i]);
        l->extra_sum[i] = 0.0;
        l->extra_count[i] = 0;
    }
}

void
rs_learner_flush_log(rs_learner *l, float lr)
{
    if (l->loss_count > 0)
        emit(l, "train", "loss", l->loss_sum / (double)l->loss_count);
    if (l->ntrain == 0 && l->acc_count > 0)
        emit(l, "train", "acc", l->acc_sum / (double)l->acc_count);
    emit(l, "train", "lr", (double)lr);
    emit_extras(l);
    rs_learner_demp_log(l);
    l->loss_sum = l->acc_sum = 0.0;
    l->loss_count = l->acc_count = 0;
}

/* Count a finished step (loss lv, batch accuracy acc or NaN) and log
 * (with a driver, rs_learner_update logs per update instead). */
static void
count_step(rs_learner *l, double lv, double acc, float lr)
{
    l->steps++;
    l->loss_sum += lv;
    l->loss_count++;
    if (!isnan(acc)) {
        l->acc_sum += acc;
        l->acc_count++;
    }
    if (l->drv == NULL && l->steps % l->cfg.log_every == 0)
        rs_learner_flush_log(l, lr);
}

static int
nonfinite(const rs_learner *l, double v, struct rs_error *err)
{
    char name[RS_NAME_MAX];
    return rs_error_set(err, RS_ENONFINITE, "%s is %s",
                        rs_learner_metric(l, name, "train", "loss", NULL),
                        isnan(v) ? "nan" : "inf");
}

/* Loss, backward, optimiser step on b; then count, log, evaluate. */
static int
train_on(rs_learner *l, const struct rs_batch *b, float lr, bool evaluate,
         struct rs_learner_stats *out, struct rs_error *err)
{
    rs_graph *g = l->g;
    struct rs_obj_ctx c;
    rs_learner_ctx(l, &c, b, true);
    struct rs_obj_stats os;
    rs_tensor *loss = rs_objective_loss(l->obj, &c, &os);
    if (loss == NULL)
        return rs_learner_graph_error(l, err);
    double lv = (double)loss->data[0];
    if (!isfinite(lv)) {
        rs_graph_reset(g);
        return nonfinite(l, lv, err);
    }
    double acc = os.count > 0.0 ? os.correct / os.count : (double)NAN;
    struct rs_learner_stats st = {0};
    int rc = rs_graph_backward(g, loss, err);
    if (rc == RS_OK)
        rc = rs_optim_step(l->optim, lr, &st.optim, err);
    if (rc == RS_OK)
        rs_learner_noise_apply(l);
    rs_optim_zero_grad(l->optim);
    rs_graph_reset(g);
    if (rc != RS_OK)
        return rc;

    count_extras(l, &os);
    count_step(l, lv, acc, lr);
    st.step = l->steps;
    st.n = b->n;
    st.T = b->in[0].kind == RS_NN_INPUT_TOKENS ? b->in[0].width : 1;
    st.loss = lv;
    st.acc = acc;
    st.lr = (double)lr;
    long every = l->drv == NULL ? l->cfg.eval_every : 0;
    if (evaluate && every > 0 && (l->steps == 1 || l->steps % every == 0)) {
        if (l->ntrain > 0) {
            rc = rs_learner_eval_run(l, RS_SPLIT_TRAIN, l->cfg.eval_n, 0,
                                     &st.train_loss, &st.train_acc, err);
            if (rc == RS_OK)
                rc = rs_learner_eval_run(l, RS_SPLIT_TEST, l->cfg.eval_n, 0,
                                         &st.test_loss, &st.test_acc, err);
        } else {
            st.train_loss = st.train_acc = (double)NAN;
            rc = rs_learner_eval_run(l, RS_SPLIT_TEST, l->cfg.eval_n,
                                     l->cfg.eval_len, &st.test_loss,
                                     &st.test_acc, err);
        }
        if (rc != RS_OK)
            return rc;
        st.evaluated = true;
        if (l->ntrain > 0)
            emit(l, "train", "acc", st.train_acc);
        emit(l, "test", "loss", st.test_loss);
        emit(l, "test", "acc", st.test_acc);
    }
    l->last = st;
    if (out != NULL)
        *out = st;
    return RS_OK;
}

int
rs_learner_step(rs_learner *l, struct rs_learner_stats *st,
                struct rs_error *err)
{
    l->probe_valid = false;
    rs_graph_reset(l->g);
    rs_graph_set_grad(l->g, true);
    float lr = rs_sched_lr(&l->cfg.sched, l->steps);
    int rc = rs_learner_draw(l, &l->rng, rs_learner_perm(l), &l->pos,
                             l->cfg.batch, &l->batch, err);
    if (rc != RS_OK)
        return rc;
    return train_on(l, &l->batch, lr, true, st, err);
}

/* b's inputs have the source's kinds and fit its widths and vocab. */
static int
check_batch(const rs_learner *l, const struct rs_batch *b, struct rs_error *err)
{
    const struct rs_source_info *si = &l->si;
    if (b->n < 1 || b->n > RS_LEARNER_MAX_BATCH || b->ninputs != si->ninputs)
        return rs_error_set(err, RS_EINVAL,
                            "batch of %d examples with %d inputs (must be "
                            "1..%d with %d)",
                            b->n, b->ninputs, RS_LEARNER_MAX_BATCH,
                            si->ninputs);
    for (int i = 0; i < b->ninputs; i++) {
        const struct rs_batch_input *in = &b->in[i];
        if (in->kind != si->kind[i] || in->width < 1 ||
            (in->kind == RS_NN_INPUT_FEATURES && in->width != si->width[i]))
            return rs_error_set(err, RS_EINVAL,
                                "batch input %d: %s of width %d (the "
                                "source gives %s of width %d)",
                                i + 1, rs_nn_input_kind_name(in->kind),
                                in->width, rs_nn_input_kind_name(si->kind[i]),
                                si->width[i]);
        size_t m = (size_t)b->n * (size_t)in->width;
        for (size_t k = 0; in->kind == RS_NN_INPUT_TOKENS && k < m; k++)
            if (in->ids[k] < 0 || in->ids[k] >= si->vocab[i])
                return rs_error_set(err, RS_EINVAL,
                                    "batch input %d: token %zu is %d "
                                    "(must be in 0..%d)",
                                    i + 1, k + 1, in->ids[k], si->vocab[i] - 1);
    }
    if (si->classes > 0 && b->y == NULL)
        return rs_error_set(err, RS_EINVAL, "the batch has no labels");
    for (int k = 0; si->classes > 0 && k < b->n; k++)
        if (b->y[k] < 0 || b->y[k] >= si->classes)
            return rs_error_set(err, RS_EINVAL,
                                "label %d of example %d outside 0..%d", b->y[k],
                                k + 1, si->classes - 1);
    return RS_OK;
}

int
rs_learner_step_batch(rs_learner *l, const struct rs_batch *b,
                      struct rs_learner_stats *st, struct rs_error *err)
{
    l->probe_valid = false;
    rs_graph_reset(l->g);
    rs_graph_set_grad(l->g, true);
    if (check_batch(l, b, err) != RS_OK)
        return RS_EINVAL;
    float lr = rs_sched_lr(&l->cfg.sched, l->steps);
    return train_on(l, b, lr, false, st, err);
}

int
rs_learner_apply(rs_learner *l, double loss, struct rs_error *err)
{
    l->probe_valid = false;
    if (!isfinite(loss)) {
        rs_optim_zero_grad(l->optim);
        return nonfinite(l, loss, err);
    }
    float lr = rs_sched_lr(&l->cfg.sched, l->steps);
    struct rs_learner_stats st = {0};
    int rc = rs_optim_step(l->optim, lr, &st.optim, err);
    if (rc == RS_OK)
        rs_learner_noise_apply(l);
    rs_optim_zero_grad(l->optim);
    if (rc != RS_OK)
        return rc;
    count_step(l, loss, (double)NAN, lr);
    st.step = l->steps;
    st.loss = loss;
    st.acc = (double)NAN;
    st.lr = (double)lr;
    l->last = st;
    return RS_OK;
}

int
rs_learner_next_batch(rs_learner *l, const struct rs_batch **out,
                      struct rs_error *err)
{
    l->probe_valid = false;
    int rc = rs_learner_draw(l, &l->rng, rs_learner_perm(l), &l->pos,
                             l->cfg.batch, &l->batch, err);
    *out = rc == RS_OK ? &l->batch : NULL;
    return rc;
}

/* ---- live changes ------------------------------------------------------ */

int
rs_learner_set_source(rs_learner *l, rs_source *src, struct rs_error *err)
{
    struct rs_source_info si;
    if (check_source(src, err) != RS_OK ||
        check_objective(l, l->obj, src, &si, err) != RS_OK)
        return RS_EINVAL;
    rs_source_retain(src);
    rs_source_release(l->src);
    l->src = src;
    l->si = si;
    reset_sampler(l, src);
    l->probe_valid = false;
    return RS_OK;
}

int
rs_learner_set_objective(rs_learner *l, rs_objective *obj, struct rs_error *err)
{
    struct rs_source_info si;
    if (check_objective(l, obj, l->src, &si, err) != RS_OK)
        return RS_EINVAL;
    rs_objective_retain(obj);
    rs_objective_release(l->obj);
    l->obj = obj;
    l->probe_valid = false;
    /* The extras' slots are the old objective's. */
    for (int i = 0; i < RS_OBJ_MAX_EXTRAS; i++) {
        l->extra_name[i] = NULL;
        l->extra_sum[i] = 0.0;
        l->extra_count[i] = 0;
    }
    return RS_OK;
}

int
rs_learner_set_lr(rs_learner *l, float lr, struct rs_error *err)
{
    if (!(isfinite(lr) && lr >= 0.0f))
        return rs_error_set(err, RS_EINVAL, "lr = %g (must be finite and >= 0)",
                            (double)lr);
    struct rs_sched *s = &l->cfg.sched;
    if (s->lr > 0.0f)
        s->lr_min = (float)((double)s->lr_min * (double)lr / (double)s->lr);
    s->lr = lr;
    l->cfg.optim.lr = lr;
    return RS_OK;
}

int
rs_learner_set_optim(rs_learner *l, const struct rs_optim_config *cfg,
                     struct rs_error *err)
{
    int rc = rs_optim_set_config(l->optim, cfg, err);
    if (rc == RS_OK)
        l->cfg.optim = *cfg;
    return rc;
}

int
rs_learner_set_batch(rs_learner *l, int batch, struct rs_error *err)
{
    if (batch < 1 || batch > RS_LEARNER_MAX_BATCH)
        return rs_error_set(err, RS_EINVAL, "batch = %d (must be in 1..%d)",
                            batch, RS_LEARNER_MAX_BATCH);
    l->cfg.batch = batch;
    return RS_OK;
}

int
rs_learner_set_eval(rs_learner *l, long every, int n, int len,
                    struct rs_error *err)
{
    if (every < 0 || n < 0 || n > RS_LEARNER_MAX_BATCH || len < 0)
        return rs_error_set(err, RS_EINVAL,
                            "eval_every = %ld, eval_n = %d, eval_len = %d "
                            "(must be >= 0, eval_n <= %d)",
                            every, n, len, RS_LEARNER_MAX_BATCH);
    l->cfg.eval_every = every;
    l->cfg.eval_n = n;
    l->cfg.eval_len = len;
    return RS_OK;
}
