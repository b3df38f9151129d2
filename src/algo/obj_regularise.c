/* repscope - MIT licence, see COPYING.
 *
 * obj_regularise.c: objectives that wrap any base objective and add a term
 * to its training loss (objective.h):
 *
 *   l2_anchor   lambda / 2 * sum_i (theta_i - a_i)^2
 *   ewc         lambda / 2 * sum_i F_i (theta_i - a_i)^2   (Kirkpatrick et
 *               al., "Overcoming catastrophic forgetting in neural
 *               networks", arXiv:1612.00796)
 *
 * (kl_teacher, the third regulariser, is in obj_kl.c.) lambda is the
 * weight at step 0; a schedule (rs_obj_schedule) decays it per `every`
 * learner steps down to a floor.
 * theta are the learner's parameters (c->params, in registry order), a
 * the anchor: a copy of theta taken at the first check (when a learner
 * adopts the objective) and again on rs_objective_reanchor, and F a
 * diagonal Fisher (rs_objective_ewc_set_fisher, or rs_objective_prepare
 * from rs_learner_fisher over the base objective, or preset before the
 * anchor exists: rs_objective_ewc_preset_fisher).
 *
 * After a surgery, rs_objective_keep_units cuts anchor and Fisher the way
 * the parameter was cut; until then a changed shape fails the loss.
 *
 * The terms are built from existing ops (sub, square, mul, sum, scale),
 * so their gradients are the ops' own. They are
 * added while training only (c->train): an evaluation reports the base
 * objective's loss and accuracy, comparable with an unregularised run.
 *
 * Ownership: a wrapper retains its base and owns its anchor and Fisher
 * tensors (and a preset Fisher until the anchor takes it), exposed for
 * checkpoints as "<kind>.anchor.<param>" and "ewc.fisher.<param>" (the
 * k-th wrapper of one kind down a chain, k >= 2, is "<kind><k>"),
 * followed by the base's tensors. Worker thread only.
 */
#include "config.h"

#include "algo/objective.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo/learner.h"
#include "core/ops.h"

/* First state word: "RSREG" + the kind (layout 1). */
#define STATE_MAGIC UINT64_C(0x5253524547000100)
#define STATE_OWN 3
#define FLAG_ANCHORED UINT64_C(1)
#define FLAG_FISHER UINT64_C(2)
/* Longest tensor name: a prefix, a part and a parameter name. */
#define NAME_MAX_LEN (32 + RS_NN_MODEL_NAME_MAX + 8)

enum reg_kind { REG_L2, REG_EWC };

struct reg {
    enum reg_kind kind;
    rs_objective *base; /* retained */
    double lambda;      /* the weight at step 0 */
    struct rs_obj_schedule sched;
    int fisher_batches; /* ewc: batches prepare estimates over (0: none) */
    char prefix[24];    /* "ewc", "ewc2", ... */
    /* l2/ewc, once anchored: one entry per parameter */
    int np;
    rs_tensor **anchor; /* (np) heap copies of theta */
    rs_tensor **fisher; /* ewc: (np) heap tensors, zero until set */
    char **names;       /* (np) anchor names, then (np) fisher names */
    bool anchored, has_fisher;
    /* ewc: a Fisher given before the anchor (the first npre params) */
    rs_tensor **preset;
    int npre;
};

static const struct rs_objective_class l2_class, ewc_class;

static struct reg *
as_reg(const rs_objective *o)
{
    const struct rs_objective_class *cls = rs_objective_class(o);
    if (cls == &l2_class || cls == &ewc_class)
        return rs_objective_impl(o);
    return NULL;
}

static const char *
reg_kind_name(enum reg_kind k)
{
    return k == REG_L2 ? "l2_anchor" : "ewc";
}

static char *
make_name(const char *prefix, const char *part, const char *pname)
{
    char buf[NAME_MAX_LEN + 1];
    snprintf(buf, sizeof buf, "%s.%s.%s", prefix, part, pname);
    return rs_xstrdup(buf);
}

/* Drop the anchor, the Fisher and their names. */
static void
anchor_drop(struct reg *r)
{
    for (int i = 0; i < r->np; i++) {
        rs_tensor_release(r->anchor[i]);
        if (r->fisher != NULL)
            rs_tensor_release(r->fisher[i]);
    }
    for (int i = 0; r->names != NULL && i < 2 * r->np; i++)
        free(r->names[i]);
    free(r->anchor);
    free(r->fisher);
    free(r->names);
    r->anchor = r->fisher = NULL;
    r->names = NULL;
    r->np = 0;
    r->anchored = r->has_fisher = false;
}

/* Index of the first parameter of params that differs from the anchor in
 * name or shape, np if they match, -1 if the counts differ. */
static int
anchor_mismatch(const struct reg *r, const rs_nn_model *params)
{
    if (rs_nn_model_count(params) != r->np)
        return -1;
    for (int i = 0; i < r->np; i++) {
        const rs_tensor *p = rs_nn_model_param(params, i);
        const char *want = r->names[i] + strlen(r->prefix) + strlen(".anchor.");
        if (!rs_tensor_same_shape(p, r->anchor[i]) ||
            strcmp(rs_nn_model_param_name(params, i), want) != 0)
            return i;
    }
    return r->np;
}

/* a := theta. Same names and shapes: the data is copied (the Fisher
 * stays); otherwise the anchor is rebuilt and the Fisher dropped. */
static int
anchor_take(struct reg *r, const rs_nn_model *params, struct rs_error *err)
{
    if (r->anchored && anchor_mismatch(r, params) == r->np) {
        for (int i = 0; i < r->np; i++)
            rs_tensor_copy_data(r->anchor[i], rs_nn_model_param(params, i));
        return RS_OK;
    }
    int np = rs_nn_model_count(params);
    if (r->npre > np)
        return rs_error_set(err, RS_EINVAL,
                            "%s: a Fisher of %d parameters for a learner "
                            "of %d",
                            r->prefix, r->npre, np);
    for (int i = 0; i < r->npre; i++) {
        const rs_tensor *p = rs_nn_model_param(params, i);
        if (!rs_tensor_same_shape(p, r->preset[i])) {
            char a[48], b[48];
            return rs_error_set(
                err, RS_EINVAL, "%s: Fisher tensor %d is %s, parameter %s is %s",
                r->prefix, i + 1,
                rs_tensor_shape_str(r->preset[i], a, sizeof a),
                rs_nn_model_param_name(params, i),
                rs_tensor_shape_str(p, b, sizeof b));
        }
    }
    anchor_drop(r);
    rs_tensor **a = rs_xcalloc((size_t)np + 1, sizeof *a);
    for (int i = 0; i < np; i++) {
        a[i] = rs_tensor_clone(rs_nn_model_param(params, i), err);
        if (a[i] == NULL) {
            for (int k = 0; k < i; k++)
                rs_tensor_release(a[k]);
            free(a);
            return err != NULL ? err->code : RS_ENOMEM;
        }
    }
    r->anchor = a;
    r->np = np;
    r->names = rs_xcalloc(2 * (size_t)np + 1, sizeof *r->names);
    for (int i = 0; i < np; i++)
        r->names[i] =
            make_name(r->prefix, "anchor", rs_nn_model_param_name(params, i));
    if (r->kind == REG_EWC) {
        r->fisher = rs_xcalloc((size_t)np + 1, sizeof *r->fisher);
        for (int i = 0; i < np; i++) {
            const rs_tensor *p = rs_nn_model_param(params, i);
            r->fisher[i] = rs_tensor_new(p->ndim, p->shape, err);
            if (r->fisher[i] == NULL) {
                anchor_drop(r);
                return err != NULL ? err->code : RS_ENOMEM;
            }
            r->names[np + i] = make_name(r->prefix, "fisher",
                                         rs_nn_model_param_name(params, i));
        }
        for (int i = 0; i < r->npre; i++)
            rs_tensor_copy_data(r->fisher[i], r->preset[i]);
        r->has_fisher = r->npre > 0;
    }
    r->anchored = true;
    return RS_OK;
}

static int
mismatch_error(const struct reg *r, const rs_nn_model *params, int i,
               struct rs_error *err)
{
    const char *kind = reg_kind_name(r->kind);
    if (i < 0)
        return rs_error_set(err, RS_EINVAL,
                            "%s: the learner has %d parameters, the anchor "
                            "%d (re-anchor after changing the model)",
                            kind, rs_nn_model_count(params), r->np);
    char got[48], want[48];
    return rs_error_set(
        err, RS_EINVAL,
        "%s: parameter %d is %s %s, the anchor has %s "
        "(re-anchor after changing the model)",
        kind, i + 1, rs_nn_model_param_name(params, i),
        rs_tensor_shape_str(rs_nn_model_param(params, i), got, sizeof got),
        rs_tensor_shape_str(r->anchor[i], want, sizeof want));
}

/* ---- check ------------------------------------------------------------- */

/* The base checks first; then l2/ewc take the anchor the first time and
 * afterwards (set_source, set_objective) only verify it still fits. */
static int
reg_check(rs_objective *o, const struct rs_obj_env *env, struct rs_error *err)
{
    struct reg *r = rs_objective_impl(o);
    int rc = rs_objective_check(r->base, env, err);
    if (rc != RS_OK)
        return rc;
    if (!r->anchored)
        return anchor_take(r, env->params, err);
    int i = anchor_mismatch(r, env->params);
    return i == r->np ? RS_OK : mismatch_error(r, env->params, i, err);
}

/* ---- loss -------------------------------------------------------------- */

/* l2/ewc: lambda / 2 * sum_i [F_i] (theta_i - a_i)^2 on c->g, or NULL with
 * the graph's error set. */
static rs_tensor *
anchor_term(struct reg *r, struct rs_obj_ctx *c, double *sum)
{
    rs_graph *g = c->g;
    const char *kind = reg_kind_name(r->kind);
    int i = anchor_mismatch(r, c->params);
    if (i != r->np) {
        struct rs_error e = {0};
        mismatch_error(r, c->params, i, &e);
        rs_graph_fail(g, RS_ESHAPE, "%s", e.msg);
        return NULL;
    }
    if (r->kind == REG_EWC && !r->has_fisher) {
        rs_graph_fail(g, RS_EINVAL,
                      "%s: no Fisher yet (give fisher_batches > 0 and "
                      "prepare the objective, or set one)",
                      kind);
        return NULL;
    }
    rs_tensor *acc = NULL;
    for (i = 0; i < r->np; i++) {
        if (r->kind == REG_EWC && r->npre > 0 && i >= r->npre)
            continue; /* a preset Fisher is 0 beyond its parameters */
        rs_tensor *d =
            rs_op_sub(g, rs_nn_model_param(c->params, i), r->anchor[i]);
        rs_tensor *sq = rs_op_square(g, d);
        if (r->kind == REG_EWC)
            sq = rs_op_mul(g, sq, r->fisher[i]);
        rs_tensor *s = rs_op_sum(g, sq);
        acc = acc == NULL ? s : rs_op_add(g, acc, s);
        if (acc == NULL)
            return NULL;
    }
    if (acc == NULL) {
        rs_graph_fail(g, RS_EINVAL, "%s: the learner has no parameters", kind);
        return NULL;
    }
    *sum = (double)acc->data[0];
    double w = rs_obj_schedule_weight(&r->sched, r->lambda, c->step);
    return rs_op_scale(g, acc, (float)(w / 2.0));
}

static rs_tensor *
reg_loss(rs_objective *o, struct rs_obj_ctx *c, struct rs_obj_stats *st)
{
    struct reg *r = rs_objective_impl(o);
    if (!c->train)
        return rs_objective_loss(r->base, c, st);
    rs_tensor *lb = rs_objective_loss(r->base, c, st);
    if (lb == NULL)
        return NULL;
    double sum = 0.0;
    rs_tensor *term = anchor_term(r, c, &sum);
    if (term == NULL)
        return NULL;
    if (r->kind == REG_EWC && st->nextra < RS_OBJ_MAX_EXTRAS) {
        st->extra[st->nextra].name = "ewc";
        st->extra[st->nextra++].value = sum;
    }
    return rs_op_add(c->g, lb, term);
}

/* ---- state ------------------------------------------------------------- */

static int
own_tensors(const struct reg *r)
{
    return r->kind == REG_EWC ? 2 * r->np : r->np;
}

static int
reg_tensors(const rs_objective *o)
{
    const struct reg *r = rs_objective_impl(o);
    return own_tensors(r) + rs_objective_tensors(r->base);
}

static rs_tensor *
reg_tensor(const rs_objective *o, int i, const char **name)
{
    const struct reg *r = rs_objective_impl(o);
    int own = own_tensors(r);
    if (i >= own)
        return rs_objective_tensor(r->base, i - own, name);
    *name = r->names[i];
    return i < r->np ? r->anchor[i] : r->fisher[i - r->np];
}

static size_t
reg_state_words(const rs_objective *o)
{
    const struct reg *r = rs_objective_impl(o);
    return STATE_OWN + rs_objective_state_words(r->base);
}

static void
reg_state_save(const rs_objective *o, uint64_t *w)
{
    const struct reg *r = rs_objective_impl(o);
    w[0] = STATE_MAGIC + (uint64_t)r->kind;
    w[1] =
        (r->anchored ? FLAG_ANCHORED : 0) | (r->has_fisher ? FLAG_FISHER : 0);
    w[2] = (uint64_t)r->np;
    rs_objective_state_save(r->base, w + STATE_OWN);
}

static int
reg_state_load(rs_objective *o, const uint64_t *w, size_t n,
               struct rs_error *err)
{
    struct reg *r = rs_objective_impl(o);
    const char *kind = reg_kind_name(r->kind);
    if (n < STATE_OWN || w[0] != STATE_MAGIC + (uint64_t)r->kind)
        return rs_error_set(err, RS_EFORMAT,
                            "not a %s objective state (%zu words)", kind, n);
    bool anchored = (w[1] & FLAG_ANCHORED) != 0;
    if ((w[1] & ~(FLAG_ANCHORED | FLAG_FISHER)) != 0 ||
        (anchored && w[2] != (uint64_t)r->np) ||
        (anchored && !r->anchored))
        return rs_error_set(err, RS_EFORMAT,
                            "the %s state has an anchor of %" PRIu64
                            " parameters, this one %d",
                            kind, w[2], r->np);
    int rc =
        rs_objective_state_load(r->base, w + STATE_OWN, n - STATE_OWN, err);
    if (rc != RS_OK)
        return rc;
    r->has_fisher = r->kind == REG_EWC && (w[1] & FLAG_FISHER) != 0;
    return RS_OK;
}

static void
reg_destroy(void *impl)
{
    struct reg *r = impl;
    anchor_drop(r);
    for (int i = 0; i < r->npre; i++)
        rs_tensor_release(r->preset[i]);
    free(r->preset);
    rs_objective_release(r->base);
    free(r);
}

static const struct rs_objective_class l2_class = {
    .kind = "l2_anchor",
    .check = reg_check,
    .loss = reg_loss,
    .state_words = reg_state_words,
    .state_save = reg_state_save,
    .state_load = reg_state_load,
    .tensors = reg_tensors,
    .tensor = reg_tensor,
    .destroy = reg_destroy,
};

static const struct rs_objective_class ewc_class = {
    .kind = "ewc",
    .check = reg_check,
    .loss = reg_loss,
    .state_words = reg_state_words,
    .state_save = reg_state_save,
    .state_load = reg_state_load,
    .tensors = reg_tensors,
    .tensor = reg_tensor,
    .destroy = reg_destroy,
};

/* ---- builders ---------------------------------------------------------- */

static struct reg *
reg_new(enum reg_kind kind, rs_objective *base)
{
    struct reg *r = rs_xcalloc(1, sizeof *r);
    r->kind = kind;
    r->base = base;
    rs_objective_retain(base);
    /* The k-th wrapper of this kind down the chain is "<kind><k>". */
    int k = 1;
    for (const rs_objective *b = base; b != NULL; b = rs_objective_base(b))
        k += strcmp(rs_objective_kind(b), reg_kind_name(kind)) == 0;
    rs_obj_schedule_default(&r->sched);
    if (k == 1)
        snprintf(r->prefix, sizeof r->prefix, "%s", reg_kind_name(kind));
    else
        snprintf(r->prefix, sizeof r->prefix, "%s%d", reg_kind_name(kind), k);
    return r;
}

static int
check_weight(const char *kind, const char *what, double v, bool positive,
             struct rs_error *err)
{
    if (!isfinite(v) || v < 0.0 || (positive && v == 0.0))
        return rs_error_set(err, RS_EINVAL,
                            "%s: %s = %g (must be finite "
                            "and %s 0)",
                            kind, what, v, positive ? ">" : ">=");
    return RS_OK;
}

rs_objective *
rs_objective_l2_anchor(rs_objective *base, double lambda, struct rs_error *err)
{
    if (base == NULL) {
        rs_error_set(err, RS_EINVAL, "l2_anchor: no base objective");
        return NULL;
    }
    if (check_weight("l2_anchor", "lambda", lambda, false, err) != RS_OK)
        return NULL;
    struct reg *r = reg_new(REG_L2, base);
    r->lambda = lambda;
    return rs_objective_new(&l2_class, r);
}

rs_objective *
rs_objective_ewc(rs_objective *base, double lambda, int fisher_batches,
                 struct rs_error *err)
{
    if (base == NULL) {
        rs_error_set(err, RS_EINVAL, "ewc: no base objective");
        return NULL;
    }
    if (check_weight("ewc", "lambda", lambda, false, err) != RS_OK)
        return NULL;
    if (fisher_batches < 0) {
        rs_error_set(err, RS_EINVAL, "ewc: fisher_batches = %d (must be >= 0)",
                     fisher_batches);
        return NULL;
    }
    struct reg *r = reg_new(REG_EWC, base);
    r->lambda = lambda;
    r->fisher_batches = fisher_batches;
    return rs_objective_new(&ewc_class, r);
}

rs_objective *
rs_objective_base(const rs_objective *o)
{
    const struct reg *r = as_reg(o);
    if (r != NULL)
        return r->base;
    rs_objective *b = rs_objective_kl_teacher_base(o);
    return b != NULL ? b : rs_objective_cdg_l2_base(o);
}

int
rs_objective_reanchor(rs_objective *o, const rs_nn_model *params,
                      struct rs_error *err)
{
    int done = 0;
    for (rs_objective *p = o; p != NULL; p = rs_objective_base(p)) {
        struct reg *r = as_reg(p);
        if (r == NULL)
            continue;
        int rc = anchor_take(r, params, err);
        if (rc != RS_OK)
            return rc;
        done++;
    }
    if (done == 0)
        return rs_error_set(err, RS_EINVAL,
                            "reanchor: the %s objective has no anchor",
                            rs_objective_kind(o));
    return RS_OK;
}

/* RS_EINVAL naming the tensor and the index unless every entry of
 * fisher[0..n) is finite and >= 0; their sum and largest entry (in
 * double) into *sum and *top when given. */
static int
fisher_entries(rs_tensor *const *fisher, int n, double *sum, double *top,
               struct rs_error *err)
{
    double s = 0.0, t = 0.0;
    for (int i = 0; i < n; i++)
        for (size_t j = 0; j < fisher[i]->numel; j++) {
            float v = fisher[i]->data[j];
            if (!(isfinite(v) && v >= 0.0f))
                return rs_error_set(err, RS_EINVAL,
                                    "ewc: Fisher tensor %d has %g at %zu "
                                    "(must be finite and >= 0)",
                                    i + 1, (double)v, j);
            s += (double)v;
            t = (double)v > t ? (double)v : t;
        }
    if (sum != NULL)
        *sum = s;
    if (top != NULL)
        *top = t;
    return RS_OK;
}

int
rs_objective_ewc_set_fisher(rs_objective *o, rs_tensor *const *fisher, int n,
                            struct rs_error *err)
{
    struct reg *r = as_reg(o);
    if (r == NULL || r->kind != REG_EWC)
        return rs_error_set(err, RS_EINVAL,
                            "set_fisher: the %s objective is not ewc",
                            rs_objective_kind(o));
    if (!r->anchored)
        return rs_error_set(err, RS_EINVAL,
                            "ewc: no anchor yet (a learner takes it when it "
                            "adopts the objective)");
    if (n != r->np)
        return rs_error_set(err, RS_EINVAL,
                            "ewc: %d Fisher tensors for %d parameters", n,
                            r->np);
    for (int i = 0; i < n; i++) {
        char a[48], b[48];
        if (!rs_tensor_same_shape(fisher[i], r->anchor[i]))
            return rs_error_set(
                err, RS_EINVAL,
                "ewc: Fisher tensor %d is %s, parameter %s "
                "is %s",
                i + 1, rs_tensor_shape_str(fisher[i], a, sizeof a),
                r->names[i] + strlen(r->prefix) + strlen(".anchor."),
                rs_tensor_shape_str(r->anchor[i], b, sizeof b));
    }
    int rc = fisher_entries(fisher, n, NULL, NULL, err);
    if (rc != RS_OK)
        return rc;
    for (int i = 0; i < n; i++)
        rs_tensor_copy_data(r->fisher[i], fisher[i]);
    r->has_fisher = true;
    return RS_OK;
}

/* t's slices keep[0..n) along dim, in that order: a new heap tensor. */
static rs_tensor *
keep_slices(const rs_tensor *t, int dim, const int *keep, int n,
            struct rs_error *err)
{
    int shape[RS_MAX_DIMS];
    memcpy(shape, t->shape, sizeof shape);
    shape[dim] = n;
    rs_tensor *o = rs_tensor_new(t->ndim, shape, err);
    if (o == NULL)
        return NULL;
    /* t viewed as (outer, shape[dim], inner) */
    size_t outer = 1, inner = 1, d = (size_t)t->shape[dim];
    for (int k = 0; k < dim; k++)
        outer *= (size_t)t->shape[k];
    for (int k = dim + 1; k < t->ndim; k++)
        inner *= (size_t)t->shape[k];
    for (size_t a = 0; a < outer; a++)
        for (int k = 0; k < n; k++)
            memcpy(o->data + (a * (size_t)n + (size_t)k) * inner,
                   t->data + (a * d + (size_t)keep[k]) * inner,
                   inner * sizeof(float));
    return o;
}

int
rs_objective_keep_units(rs_objective *o, int param, int dim, const int *keep,
                        int n, struct rs_error *err)
{
    /* Validate against every anchor first: all or nothing. */
    for (rs_objective *p = o; p != NULL; p = rs_objective_base(p)) {
        struct reg *r = as_reg(p);
        if (r == NULL || !r->anchored)
            continue;
        if (param < 0 || param >= r->np)
            return rs_error_set(err, RS_EINVAL, "%s: parameter %d of %d",
                                r->prefix, param + 1, r->np);
        const rs_tensor *t = r->anchor[param];
        if (dim < 0 || dim >= t->ndim || n < 1 || n > t->shape[dim])
            return rs_error_set(err, RS_EINVAL,
                                "%s: keep %d slices along dim %d of a "
                                "%d-dim anchor",
                                r->prefix, n, dim, t->ndim);
        for (int k = 0; k < n; k++)
            if (keep[k] < 0 || keep[k] >= t->shape[dim])
                return rs_error_set(err, RS_EINVAL,
                                    "%s: slice %d outside 0..%d", r->prefix,
                                    keep[k], t->shape[dim] - 1);
    }
    for (rs_objective *p = o; p != NULL; p = rs_objective_base(p)) {
        struct reg *r = as_reg(p);
        if (r == NULL || !r->anchored)
            continue;
        rs_tensor *a = keep_slices(r->anchor[param], dim, keep, n, err);
        rs_tensor *f = a != NULL && r->fisher != NULL
                           ? keep_slices(r->fisher[param], dim, keep, n, err)
                           : NULL;
        if (a == NULL || (r->fisher != NULL && f == NULL)) {
            rs_tensor_release(a);
            return err != NULL ? err->code : RS_ENOMEM;
        }
        rs_tensor_release(r->anchor[param]);
        r->anchor[param] = a;
        if (f != NULL) {
            rs_tensor_release(r->fisher[param]);
            r->fisher[param] = f;
        }
    }
    return RS_OK;
}

/* ewc's Fisher over its base objective: the learner adopts the base for
 * the estimate (rs_learner_fisher leaves sampler, parameters and
 * optimiser alone) and its own objective again afterwards. */
static int
ewc_estimate(rs_objective *o, struct reg *r, rs_learner *l,
             struct rs_error *err)
{
    rs_nn_model *params = rs_learner_params(l);
    int rc = anchor_take(r, params, err);
    if (rc != RS_OK)
        return rc;
    int np = rs_nn_model_count(params);
    rs_tensor **f = rs_xcalloc((size_t)np + 1, sizeof *f);
    rs_objective *cur = rs_learner_objective(l);
    rs_objective_retain(cur);
    rc = rs_learner_set_objective(l, r->base, err);
    if (rc == RS_OK) {
        rc = rs_learner_fisher(l, r->fisher_batches, 0, f, err);
        struct rs_error e2 = {0};
        int rc2 = rs_learner_set_objective(l, cur, &e2);
        if (rc == RS_OK && rc2 != RS_OK) {
            rc = rc2;
            if (err != NULL)
                *err = e2;
        }
    }
    rs_objective_release(cur);
    if (rc == RS_OK)
        rc = rs_objective_ewc_set_fisher(o, f, np, err);
    for (int i = 0; i < np; i++)
        rs_tensor_release(f[i]);
    free(f);
    return rc;
}

int
rs_objective_prepare(rs_objective *o, struct rs_learner *l,
                     struct rs_error *err)
{
    struct reg *r = as_reg(o);
    if (r == NULL) {
        rs_objective *b = rs_objective_base(o);
        return b != NULL ? rs_objective_prepare(b, l, err) : RS_OK;
    }
    int rc = rs_objective_prepare(r->base, l, err);
    if (rc != RS_OK || r->kind != REG_EWC || r->fisher_batches == 0)
        return rc;
    return ewc_estimate(o, r, l, err);
}

/* ---- schedules and a preset Fisher -------------------------------------- */

int
rs_objective_set_schedule(rs_objective *o, const struct rs_obj_schedule *s,
                          struct rs_error *err)
{
    struct reg *r = as_reg(o);
    if (r == NULL)
        return rs_objective_kl_teacher_schedule(o, s, err);
    int rc = rs_obj_schedule_check(reg_kind_name(r->kind), r->lambda, s, err);
    if (rc == RS_OK)
        r->sched = *s;
    return rc;
}

double
rs_objective_weight(const rs_objective *o, long step)
{
    const struct reg *r = as_reg(o);
    if (r == NULL)
        return rs_objective_kl_teacher_weight(o, step);
    return rs_obj_schedule_weight(&r->sched, r->lambda, step);
}

static const char *const fisher_norm_names[] = {"none", "mean", "max", NULL};

const char *
rs_obj_fisher_norm_name(enum rs_obj_fisher_norm n)
{
    return (unsigned)n < 3 ? fisher_norm_names[n] : "?";
}

int
rs_obj_fisher_norm_parse(const char *name)
{
    for (int i = 0; fisher_norm_names[i] != NULL; i++)
        if (strcmp(name, fisher_norm_names[i]) == 0)
            return i;
    return -1;
}

int
rs_objective_ewc_preset_fisher(rs_objective *o, rs_tensor *const *fisher,
                               int n, enum rs_obj_fisher_norm norm,
                               struct rs_error *err)
{
    struct reg *r = as_reg(o);
    if (r == NULL || r->kind != REG_EWC)
        return rs_error_set(err, RS_EINVAL,
                            "preset_fisher: the %s objective is not ewc",
                            rs_objective_kind(o));
    if (n < 1 || fisher == NULL)
        return rs_error_set(err, RS_EINVAL, "ewc: an empty Fisher");
    if ((unsigned)norm > RS_OBJ_FISHER_MAX)
        return rs_error_set(err, RS_EINVAL, "ewc: unknown normalisation %d",
                            (int)norm);
    double sum = 0.0, top = 0.0;
    int rc = fisher_entries(fisher, n, &sum, &top, err);
    if (rc != RS_OK)
        return rc;
    size_t count = 0;
    for (int i = 0; i < n; i++)
        count += fisher[i]->numel;
    if (norm != RS_OBJ_FISHER_RAW && top == 0.0)
        return rs_error_set(err, RS_EINVAL,
                            "ewc: the Fisher is 0 everywhere (nothing to "
                            "normalise by)");
    double scale = norm == RS_OBJ_FISHER_MEAN  ? (double)count / sum
                   : norm == RS_OBJ_FISHER_MAX ? 1.0 / top
                                               : 1.0;
    rs_tensor **pre = rs_xcalloc((size_t)n + 1, sizeof *pre);
    for (int i = 0; i < n; i++) {
        pre[i] = rs_tensor_clone(fisher[i], err);
        if (pre[i] == NULL) {
            for (int k = 0; k < i; k++)
                rs_tensor_release(pre[k]);
            free(pre);
            return err != NULL ? err->code : RS_ENOMEM;
        }
        for (size_t j = 0; j < pre[i]->numel; j++)
            pre[i]->data[j] = (float)((double)pre[i]->data[j] * scale);
    }
    for (int i = 0; i < r->npre; i++)
        rs_tensor_release(r->preset[i]);
    free(r->preset);
    r->preset = pre;
    r->npre = n;
    return RS_OK;
}
