/* repscope - MIT licence, see COPYING.
 *
 * obj_kl.c: kl_teacher, distillation toward a frozen teacher (Hinton et
 * al., "Distilling the Knowledge in a Neural Network", arXiv:1503.02531)
 * as a wrapper of any base objective (objective.h):
 *
 *   term = w_t tau^2 / R * sum_r KL(p_r || q_r),
 *   p_r = softmax(t_r / tau), q_r = softmax(s_r / tau),
 *
 * t the teacher's logits and s the student's (modules[0]) over R rows,
 * w_t the scheduled weight (rs_obj_schedule: beta decayed per `every`
 * steps, with a floor). The direction is KL(teacher || student), as the
 * knowledge-retention losses of "Fine-tuning Reinforcement Learning
 * Models is Secretly a Forgetting Mitigation Problem" (arXiv 2402.02868)
 * compute it. The rows are either
 *   - the base's own scored predictions (no buffer): the teacher runs
 *     through the innermost non-wrapper objective with modules[0]
 *     replaced, so it sees the same input and is scored at the same
 *     positions -- kickstarting (KS) when the base is PPO on the current
 *     rollout; or
 *   - `batch` rows drawn uniformly with replacement from a static buffer
 *     of inputs (rs_objective_kl_teacher_buffer), by the objective's own
 *     stream -- behavioural cloning toward the teacher (BC) on states of
 *     the pre-training data, whatever the base trains on.
 * Both forwards on a buffer come before the base's, so the base's
 * forward is the one the modules record (what probes and PPO's features
 * read).
 *
 * The term is built from existing ops (scale, softmax, log_softmax, sub,
 * mul, sum), so its gradient is theirs; the teacher is built with
 * gradients off. Training only: an evaluation is the base's. Stats: the
 * base's, plus the extra "kl" (the mean KL over the rows, without the
 * weight). Checkpoint: the buffer stream's state in the words and the
 * teacher's parameters as tensors "kl_teacher.teacher.<param>"
 * ("kl_teacher<k>" for the k-th down a chain), then the base's. Worker
 * thread only.
 */
#include "config.h"

#include "algo/objective.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo/learner.h"
#include "core/ops.h"
#include "core/rng.h"

/* First state word: "RSKLT" (layout 1). */
#define STATE_MAGIC UINT64_C(0x52534b4c54000001)
#define STATE_OWN 6
/* Longest tensor name: a prefix, "teacher" and a parameter name. */
#define NAME_MAX_LEN (32 + RS_NN_MODEL_NAME_MAX + 8)

struct kl {
    rs_objective *base;    /* retained */
    rs_nn_module *teacher; /* retained, never trained by the learner */
    double beta, tau;
    struct rs_obj_schedule sched;
    char prefix[24]; /* "kl_teacher", "kl_teacher2", ... */
    char **tnames;   /* (nt) checkpoint names of the teacher's params */
    int nt;
    /* the static buffer (states NULL: the base's own rows) */
    rs_tensor *states; /* (n, width), owned copy */
    int batch;
    struct rs_rng rng;
    int *rows; /* (batch) the rows of the current step */
};

static const struct rs_objective_class kl_class;

static struct kl *
as_kl(const rs_objective *o)
{
    return rs_objective_class(o) == &kl_class ? rs_objective_impl(o) : NULL;
}

/* ---- schedule ---------------------------------------------------------- */

void
rs_obj_schedule_default(struct rs_obj_schedule *s)
{
    s->decay = 1.0;
    s->floor = 0.0;
    s->every = 1;
}

int
rs_obj_schedule_check(const char *kind, double w0,
                      const struct rs_obj_schedule *s, struct rs_error *err)
{
    if (!(s->decay > 0.0 && s->decay <= 1.0))
        return rs_error_set(err, RS_EINVAL,
                            "%s: decay = %g (must be in (0, 1])", kind,
                            s->decay);
    if (!(isfinite(s->floor) && s->floor >= 0.0 && s->floor <= w0))
        return rs_error_set(err, RS_EINVAL,
                            "%s: floor = %g (must be finite, >= 0 and at "
                            "most the weight %g)",
                            kind, s->floor, w0);
    if (s->every < 1)
        return rs_error_set(err, RS_EINVAL, "%s: every = %ld (must be >= 1)",
                            kind, s->every);
    return RS_OK;
}

double
rs_obj_schedule_weight(const struct rs_obj_schedule *s, double w0, long step)
{
    if (s->decay == 1.0 || step < s->every)
        return w0;
    double w = w0 * pow(s->decay, (double)(step / s->every));
    return w > s->floor ? w : s->floor;
}

/* ---- check ------------------------------------------------------------- */

static int
kl_check(rs_objective *o, const struct rs_obj_env *env, struct rs_error *err)
{
    struct kl *k = rs_objective_impl(o);
    int rc = rs_objective_check(k->base, env, err);
    if (rc != RS_OK)
        return rc;
    rs_nn_module *m = env->modules[0], *t = k->teacher;
    enum rs_nn_input_kind mk = rs_nn_module_input_kind(m);
    enum rs_nn_input_kind tk = rs_nn_module_input_kind(t);
    if (mk != tk)
        return rs_error_set(err, RS_EINVAL,
                            "kl_teacher: the model takes %s, the teacher "
                            "%s",
                            rs_nn_input_kind_name(mk),
                            rs_nn_input_kind_name(tk));
    int mo = rs_nn_module_out(m), to = rs_nn_module_out(t);
    if (mo != 0 && to != 0 && mo != to)
        return rs_error_set(err, RS_EINVAL,
                            "kl_teacher: the model gives %d outputs, the "
                            "teacher %d",
                            mo, to);
    if (k->states != NULL) {
        int w = k->states->shape[1];
        if (mk != RS_NN_INPUT_FEATURES)
            return rs_error_set(err, RS_EINVAL,
                                "kl_teacher: a buffer of states needs a "
                                "model of features, this one takes %s",
                                rs_nn_input_kind_name(mk));
        int mi = rs_nn_module_in(m), ti = rs_nn_module_in(t);
        if ((mi != 0 && mi != w) || (ti != 0 && ti != w))
            return rs_error_set(err, RS_EINVAL,
                                "kl_teacher: the buffer's states have %d "
                                "features, the model takes %d and the "
                                "teacher %d",
                                w, mi, ti);
    }
    const rs_nn_model *tm = rs_nn_module_model(t);
    for (int i = 0; i < rs_nn_model_count(tm); i++)
        for (int p = 0; p < rs_nn_model_count(env->params); p++)
            if (rs_nn_model_param(tm, i) == rs_nn_model_param(env->params, p))
                return rs_error_set(err, RS_EINVAL,
                                    "kl_teacher: the teacher's %s is "
                                    "trained by this learner (a frozen "
                                    "teacher is needed)",
                                    rs_nn_model_param_name(tm, i));
    return RS_OK;
}

/* ---- loss -------------------------------------------------------------- */

/* The innermost objective below the wrappers. */
static rs_objective *
leaf_of(rs_objective *o)
{
    rs_objective *b;
    while ((b = rs_objective_base(o)) != NULL)
        o = b;
    return o;
}

/* The teacher's logits on the base's rows, through the leaf objective
 * with modules[0] replaced (gradients off). NULL with the graph's error
 * set. */
static rs_tensor *
teacher_on_batch(struct kl *k, struct rs_obj_ctx *c)
{
    rs_graph *g = c->g;
    rs_nn_module *mods[RS_LEARNER_MAX_MODULES];
    RS_ASSERT(c->nmodules >= 1 && c->nmodules <= RS_LEARNER_MAX_MODULES);
    memcpy(mods, c->modules, (size_t)c->nmodules * sizeof *mods);
    mods[0] = k->teacher;
    struct rs_obj_ctx tc = *c;
    tc.modules = mods;
    tc.out = NULL;
    struct rs_obj_stats st;
    rs_objective *leaf = leaf_of(k->base);
    rs_tensor *tl = rs_objective_loss(leaf, &tc, &st);
    if (tl != NULL && tc.out == NULL)
        rs_graph_fail(g, RS_EINVAL,
                      "kl_teacher: the %s objective gives no logits to "
                      "compare",
                      rs_objective_kind(leaf));
    return tl != NULL ? tc.out : NULL;
}

/* `batch` rows drawn from the buffer as a (batch, width) tensor on g. */
static rs_tensor *
draw_states(struct kl *k, rs_graph *g)
{
    int w = k->states->shape[1];
    rs_tensor *x = rs_graph_tensor(g, 2, (int[]){k->batch, w});
    if (x == NULL)
        return NULL;
    uint32_t n = (uint32_t)k->states->shape[0];
    for (int i = 0; i < k->batch; i++) {
        k->rows[i] = (int)rs_rng_below(&k->rng, n);
        memcpy(x->data + (size_t)i * (size_t)w,
               k->states->data + (size_t)k->rows[i] * (size_t)w,
               (size_t)w * sizeof(float));
    }
    return x;
}

static rs_tensor *
forward_features(rs_nn_module *m, rs_graph *g, rs_tensor *x)
{
    struct rs_nn_input in = {.kind = RS_NN_INPUT_FEATURES,
                             .x = x,
                             .B = x->shape[0],
                             .T = x->shape[1]};
    return rs_nn_module_forward_input(m, g, &in);
}

/* w tau^2 / R * sum p_t (log p_t - log q_s), t the teacher's logits and
 * s the student's (same shape; R rows). *mean_kl gets the mean KL. NULL
 * with the graph's error set. */
static rs_tensor *
kl_term(struct kl *k, rs_graph *g, rs_tensor *t, rs_tensor *s, double w,
        double *mean_kl)
{
    if (!rs_tensor_same_shape(s, t)) {
        char a[48], b[48];
        rs_graph_fail(g, RS_ESHAPE,
                      "kl_teacher: the model scores %s, the teacher %s",
                      rs_tensor_shape_str(s, a, sizeof a),
                      rs_tensor_shape_str(t, b, sizeof b));
        return NULL;
    }
    float inv_tau = (float)(1.0 / k->tau);
    bool grad = rs_graph_grad_enabled(g);
    rs_graph_set_grad(g, false);
    rs_tensor *ts = rs_op_scale(g, t, inv_tau);
    rs_tensor *pt = rs_op_softmax(g, ts);
    rs_tensor *lpt = rs_op_log_softmax(g, ts);
    rs_graph_set_grad(g, grad);
    rs_tensor *lq = rs_op_log_softmax(g, rs_op_scale(g, s, inv_tau));
    rs_tensor *kl = rs_op_sum(g, rs_op_mul(g, pt, rs_op_sub(g, lpt, lq)));
    if (kl == NULL)
        return NULL;
    double rows = (double)rs_tensor_rows(s);
    *mean_kl = (double)kl->data[0] / rows;
    return rs_op_scale(g, kl, (float)(w * k->tau * k->tau / rows));
}

static rs_tensor *
kl_loss(rs_objective *o, struct rs_obj_ctx *c, struct rs_obj_stats *st)
{
    struct kl *k = rs_objective_impl(o);
    if (!c->train)
        return rs_objective_loss(k->base, c, st);
    rs_graph *g = c->g;
    rs_tensor *t = NULL, *s = NULL;
    bool grad = rs_graph_grad_enabled(g);
    if (k->states != NULL) {
        rs_tensor *x = draw_states(k, g);
        if (x == NULL)
            return NULL;
        rs_graph_set_grad(g, false);
        t = forward_features(k->teacher, g, x);
        rs_graph_set_grad(g, grad);
        s = t != NULL ? forward_features(c->modules[0], g, x) : NULL;
        if (s == NULL)
            return NULL;
    } else {
        /* the teacher first, so the student's forward is the one
         * recorded */
        rs_graph_set_grad(g, false);
        t = teacher_on_batch(k, c);
        rs_graph_set_grad(g, grad);
        if (t == NULL)
            return NULL;
    }
    rs_tensor *lb = rs_objective_loss(k->base, c, st);
    if (lb == NULL)
        return NULL;
    if (k->states == NULL && (s = c->out) == NULL) {
        rs_graph_fail(g, RS_EINVAL,
                      "kl_teacher: the base objective gives no logits to "
                      "compare");
        return NULL;
    }
    double w = rs_obj_schedule_weight(&k->sched, k->beta, c->step);
    double mean_kl = 0.0;
    rs_tensor *term = kl_term(k, g, t, s, w, &mean_kl);
    if (term == NULL)
        return NULL;
    if (st->nextra < RS_OBJ_MAX_EXTRAS) {
        st->extra[st->nextra].name = "kl";
        st->extra[st->nextra++].value = mean_kl;
    }
    return rs_op_add(g, lb, term);
}

/* ---- state ------------------------------------------------------------- */

static int
kl_tensors(const rs_objective *o)
{
    const struct kl *k = rs_objective_impl(o);
    return k->nt + rs_objective_tensors(k->base);
}

static rs_tensor *
kl_tensor(const rs_objective *o, int i, const char **name)
{
    const struct kl *k = rs_objective_impl(o);
    if (i >= k->nt)
        return rs_objective_tensor(k->base, i - k->nt, name);
    *name = k->tnames[i];
    return rs_nn_model_param(rs_nn_module_model(k->teacher), i);
}

static size_t
kl_state_words(const rs_objective *o)
{
    const struct kl *k = rs_objective_impl(o);
    return STATE_OWN + rs_objective_state_words(k->base);
}

static void
kl_state_save(const rs_objective *o, uint64_t *w)
{
    const struct kl *k = rs_objective_impl(o);
    w[0] = STATE_MAGIC;
    w[1] = k->states != NULL ? (uint64_t)k->states->shape[0] : 0;
    for (int i = 0; i < 4; i++)
        w[2 + i] = k->rng.s[i];
    rs_objective_state_save(k->base, w + STATE_OWN);
}

static int
kl_state_load(rs_objective *o, const uint64_t *w, size_t n,
              struct rs_error *err)
{
    struct kl *k = rs_objective_impl(o);
    uint64_t rows = k->states != NULL ? (uint64_t)k->states->shape[0] : 0;
    if (n < STATE_OWN || w[0] != STATE_MAGIC)
        return rs_error_set(err, RS_EFORMAT,
                            "not a kl_teacher objective state (%zu words)",
                            n);
    if (w[1] != rows)
        return rs_error_set(err, RS_EFORMAT,
                            "the kl_teacher state was saved with a buffer "
                            "of %llu states, this one has %llu",
                            (unsigned long long)w[1],
                            (unsigned long long)rows);
    if (rows > 0 && (w[2] | w[3] | w[4] | w[5]) == 0)
        return rs_error_set(err, RS_EFORMAT,
                            "corrupt kl_teacher state (a zero stream)");
    int rc =
        rs_objective_state_load(k->base, w + STATE_OWN, n - STATE_OWN, err);
    if (rc != RS_OK)
        return rc;
    for (int i = 0; i < 4; i++)
        k->rng.s[i] = w[2 + i];
    return RS_OK;
}

static void
kl_destroy(void *impl)
{
    struct kl *k = impl;
    for (int i = 0; i < k->nt; i++)
        free(k->tnames[i]);
    free(k->tnames);
    free(k->rows);
    rs_tensor_release(k->states);
    rs_nn_module_release(k->teacher);
    rs_objective_release(k->base);
    free(k);
}

static const struct rs_objective_class kl_class = {
    .kind = "kl_teacher",
    .check = kl_check,
    .loss = kl_loss,
    .state_words = kl_state_words,
    .state_save = kl_state_save,
    .state_load = kl_state_load,
    .tensors = kl_tensors,
    .tensor = kl_tensor,
    .destroy = kl_destroy,
};

/* ---- builders ---------------------------------------------------------- */

rs_objective *
rs_objective_kl_teacher(rs_objective *base, rs_nn_module *teacher, double beta,
                        double tau, struct rs_error *err)
{
    if (base == NULL || teacher == NULL) {
        rs_error_set(err, RS_EINVAL, "kl_teacher: no %s",
                     base == NULL ? "base objective" : "teacher");
        return NULL;
    }
    if (!isfinite(beta) || beta < 0.0) {
        rs_error_set(err, RS_EINVAL,
                     "kl_teacher: beta = %g (must be finite and >= 0)", beta);
        return NULL;
    }
    if (!isfinite(tau) || tau <= 0.0) {
        rs_error_set(err, RS_EINVAL,
                     "kl_teacher: tau = %g (must be finite and > 0)", tau);
        return NULL;
    }
    struct kl *k = rs_xcalloc(1, sizeof *k);
    k->base = base;
    rs_objective_retain(base);
    k->teacher = teacher;
    rs_nn_module_retain(teacher);
    k->beta = beta;
    k->tau = tau;
    rs_obj_schedule_default(&k->sched);
    /* The k-th kl_teacher down the chain is "kl_teacher<k>". */
    int nth = 1;
    for (const rs_objective *b = base; b != NULL; b = rs_objective_base(b))
        nth += strcmp(rs_objective_kind(b), "kl_teacher") == 0;
    if (nth == 1)
        snprintf(k->prefix, sizeof k->prefix, "kl_teacher");
    else
        snprintf(k->prefix, sizeof k->prefix, "kl_teacher%d", nth);
    const rs_nn_model *tm = rs_nn_module_model(teacher);
    k->nt = rs_nn_model_count(tm);
    k->tnames = rs_xcalloc((size_t)k->nt + 1, sizeof *k->tnames);
    for (int i = 0; i < k->nt; i++) {
        char buf[NAME_MAX_LEN + 1];
        snprintf(buf, sizeof buf, "%s.teacher.%s", k->prefix,
                 rs_nn_model_param_name(tm, i));
        k->tnames[i] = rs_xstrdup(buf);
    }
    return rs_objective_new(&kl_class, k);
}

int
rs_objective_kl_teacher_buffer(rs_objective *o, const rs_tensor *states,
                               int batch, uint64_t seed, struct rs_error *err)
{
    struct kl *k = as_kl(o);
    if (k == NULL)
        return rs_error_set(err, RS_EINVAL,
                            "kl_teacher: a buffer on a %s objective",
                            rs_objective_kind(o));
    if (states == NULL || states->ndim != 2 || states->shape[0] < 1 ||
        states->shape[1] < 1)
        return rs_error_set(err, RS_EINVAL,
                            "kl_teacher: the states must be a (n, features) "
                            "tensor with n >= 1");
    if (batch < 1 || batch > RS_OBJ_KL_MAX_BATCH)
        return rs_error_set(err, RS_EINVAL,
                            "kl_teacher: batch = %d (must be in 1..%d)", batch,
                            RS_OBJ_KL_MAX_BATCH);
    for (size_t i = 0; i < states->numel; i++)
        if (!isfinite(states->data[i]))
            return rs_error_set(err, RS_EINVAL,
                                "kl_teacher: state %zu has a non-finite "
                                "feature",
                                i / (size_t)states->shape[1] + 1);
    rs_tensor *copy = rs_tensor_clone(states, err);
    if (copy == NULL)
        return err != NULL ? err->code : RS_ENOMEM;
    rs_tensor_release(k->states);
    free(k->rows);
    k->states = copy;
    k->batch = batch;
    k->rows = rs_xcalloc((size_t)batch, sizeof *k->rows);
    rs_rng_seed(&k->rng, seed);
    return RS_OK;
}

int
rs_objective_kl_teacher_schedule(rs_objective *o,
                                 const struct rs_obj_schedule *s,
                                 struct rs_error *err)
{
    struct kl *k = as_kl(o);
    if (k == NULL)
        return rs_error_set(err, RS_EINVAL,
                            "kl_teacher: a schedule on a %s objective",
                            rs_objective_kind(o));
    int rc = rs_obj_schedule_check("kl_teacher", k->beta, s, err);
    if (rc == RS_OK)
        k->sched = *s;
    return rc;
}

rs_objective *
rs_objective_kl_teacher_base(const rs_objective *o)
{
    const struct kl *k = as_kl(o);
    return k != NULL ? k->base : NULL;
}

rs_nn_module *
rs_objective_teacher(const rs_objective *o)
{
    const struct kl *k = as_kl(o);
    return k != NULL ? k->teacher : NULL;
}

double
rs_objective_kl_teacher_weight(const rs_objective *o, long step)
{
    const struct kl *k = as_kl(o);
    return k != NULL ? rs_obj_schedule_weight(&k->sched, k->beta, step)
                     : (double)NAN;
}
