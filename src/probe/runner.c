/* repscope - MIT licence, see COPYING.
 *
 * runner.c: running a probe spec on a target and publishing what it
 * measures (runner.h). The measurements are probe/rank.h, probe/dead.h
 * and probe/linprobe.h on the tensors the target's forward recorded; this
 * file picks the layers, builds the names (core/names.h), keeps the
 * linear histories and owns the scratch, reused from run to run (no
 * allocation once the sizes have been seen). Worker thread only.
 */
#include "config.h"

#include "probe/runner.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/names.h"
#include "core/tensor.h"
#include "probe/dead.h"
#include "probe/linprobe.h"
#include "probe/rank.h"

/* The test accuracies of one owner's last ncols linear probes, oldest
 * first. */
struct hist {
    char owner[RS_NAME_OWNER_MAX + 1];
    int nl, ncols;
    long step[RS_PROBE_LINEAR_HIST];
    float *acc; /* (nl, RS_PROBE_LINEAR_HIST): layer l, time t at
                 * [l * RS_PROBE_LINEAR_HIST + t] */
    float *pub; /* (nl, ncols) row-major: what was last published */
};

struct rs_probe_runner {
    struct rs_probe_spec spec; /* spec.layers points at names */
    char **names;              /* (spec.nlayers) owned copies */
    int nhist;
    struct hist *hist; /* (nhist) */
    /* scratch, grown on demand */
    struct rs_probe_rank rank;
    int *idx; /* (layers) module layer indices */
    size_t idx_cap;
    float *freq; /* (units) */
    size_t freq_cap;
    float *hte; /* linear: test activations of every layer, concatenated */
    size_t hte_cap;
    size_t *off; /* (layers + 1) offsets into hte */
    int *width;  /* (layers) */
    double *acc; /* (layers) */
    size_t lay_cap;
    int *ytr, *yte;
    size_t ytr_cap, yte_cap;
    const char **rlab; /* (layers) row labels of "linear" */
    size_t rlab_cap;
    const char *clab[RS_PROBE_LINEAR_HIST];
    char ctext[RS_PROBE_LINEAR_HIST][24];
};

/* ---- specs --------------------------------------------------------------- */

void
rs_probe_runner_spec_init(struct rs_probe_spec *s, enum rs_probe_kind kind)
{
    static const long every[] = {
        [RS_PROBE_RANK] = 100,
        [RS_PROBE_DEAD] = 100,
        [RS_PROBE_NORMS] = 10,
        [RS_PROBE_LINEAR] = 250,
    };
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->every = every[kind];
    s->split = RS_SPLIT_TEST;
    s->n = 1024;
    s->on = kind == RS_PROBE_RANK ? RS_PROBE_ON_PREACT : RS_PROBE_ON_ACT;
    s->delta = RS_PROBE_RANK_DELTA;
    s->lambda = RS_PROBE_LINPROBE_LAMBDA;
}

const char *
rs_probe_runner_kind_name(enum rs_probe_kind kind)
{
    static const char *const names[] = {
        [RS_PROBE_RANK] = "rank",
        [RS_PROBE_DEAD] = "dead",
        [RS_PROBE_NORMS] = "norms",
        [RS_PROBE_LINEAR] = "linear",
    };
    return (unsigned)kind < RS_ARRAY_LEN(names) ? names[kind] : "?";
}

int
rs_probe_runner_spec_check(const struct rs_probe_spec *s, struct rs_error *err)
{
    if ((unsigned)s->kind > RS_PROBE_LINEAR)
        return rs_error_set(err, RS_EINVAL, "probe kind %d is unknown",
                            (int)s->kind);
    const char *k = rs_probe_runner_kind_name(s->kind);
    if (s->every < 1)
        return rs_error_set(err, RS_EINVAL, "%s probe: every %ld is not >= 1",
                            k, s->every);
    if (s->split != RS_SPLIT_TRAIN && s->split != RS_SPLIT_TEST)
        return rs_error_set(err, RS_EINVAL, "%s probe: split %d is unknown", k,
                            (int)s->split);
    if (s->on != RS_PROBE_ON_PREACT && s->on != RS_PROBE_ON_ACT)
        return rs_error_set(err, RS_EINVAL, "%s probe: 'on' %d is unknown", k,
                            (int)s->on);
    if (s->n < 0 || (s->kind == RS_PROBE_LINEAR && s->n == 1))
        return rs_error_set(err, RS_EINVAL,
                            "%s probe: n %d is not 0 (all) or >= %d", k, s->n,
                            s->kind == RS_PROBE_LINEAR ? 2 : 1);
    if (!(s->delta >= 0.0 && s->delta < 1.0))
        return rs_error_set(err, RS_EINVAL,
                            "%s probe: delta %g is outside [0, 1)", k,
                            s->delta);
    if (!(s->lambda > 0.0) || !isfinite(s->lambda))
        return rs_error_set(err, RS_EINVAL,
                            "%s probe: lambda %g is not a finite number > 0", k,
                            s->lambda);
    if (s->nlayers < 0 || (s->nlayers > 0 && s->layers == NULL))
        return rs_error_set(err, RS_EINVAL, "%s probe: %d layers without names",
                            k, s->nlayers);
    for (int i = 0; i < s->nlayers; i++)
        if (s->layers[i] == NULL || s->layers[i][0] == '\0')
            return rs_error_set(err, RS_EINVAL,
                                "%s probe: layer %d has no name", k, i + 1);
    return RS_OK;
}

/* ---- life cycle ---------------------------------------------------------- */

static void
drop_hists(rs_probe_runner *r)
{
    for (int i = 0; i < r->nhist; i++) {
        free(r->hist[i].acc);
        free(r->hist[i].pub);
    }
    free(r->hist);
    r->hist = NULL;
    r->nhist = 0;
}

static void
drop_names(rs_probe_runner *r)
{
    for (int i = 0; i < r->spec.nlayers; i++)
        free(r->names[i]);
    free(r->names);
    r->names = NULL;
}

rs_probe_runner *
rs_probe_runner_new(const struct rs_probe_spec *spec, struct rs_error *err)
{
    if (rs_probe_runner_spec_check(spec, err) != RS_OK)
        return NULL;
    rs_probe_runner *r = rs_xcalloc(1, sizeof *r);
    rs_probe_rank_init(&r->rank);
    if (rs_probe_runner_set_spec(r, spec, err) != RS_OK) {
        rs_probe_runner_free(r); /* unreachable: the spec checked */
        return NULL;
    }
    return r;
}

void
rs_probe_runner_free(rs_probe_runner *r)
{
    if (r == NULL)
        return;
    drop_hists(r);
    drop_names(r);
    rs_probe_rank_fini(&r->rank);
    free(r->idx);
    free(r->freq);
    free(r->hte);
    free(r->off);
    free(r->width);
    free(r->acc);
    free(r->ytr);
    free(r->yte);
    free(r->rlab);
    free(r);
}

/* Whether a and b name the same layers in the same order. */
static bool
same_layers(const struct rs_probe_spec *a, const struct rs_probe_spec *b)
{
    if (a->nlayers != b->nlayers)
        return false;
    for (int i = 0; i < a->nlayers; i++)
        if (strcmp(a->layers[i], b->layers[i]) != 0)
            return false;
    return true;
}

int
rs_probe_runner_set_spec(rs_probe_runner *r, const struct rs_probe_spec *spec,
                         struct rs_error *err)
{
    if (rs_probe_runner_spec_check(spec, err) != RS_OK)
        return err != NULL ? err->code : RS_EINVAL;
    if (spec == &r->spec)
        return RS_OK;
    bool keep = r->names != NULL && spec->kind == r->spec.kind &&
                spec->lambda == r->spec.lambda && same_layers(spec, &r->spec);
    if (!keep)
        drop_hists(r);
    /* copy the names before dropping the old ones: spec may share them */
    int nl = spec->nlayers;
    char **names = rs_xcalloc(nl > 0 ? (size_t)nl : 1, sizeof *names);
    for (int i = 0; i < nl; i++)
        names[i] = rs_xstrdup(spec->layers[i]);
    drop_names(r);
    r->spec = *spec;
    r->names = names;
    r->spec.layers = (const char *const *)names;
    return RS_OK;
}

const struct rs_probe_spec *
rs_probe_runner_spec(const rs_probe_runner *r)
{
    return &r->spec;
}

bool
rs_probe_runner_due(const rs_probe_runner *r, long step)
{
    return step % r->spec.every == 0;
}

/* ---- helpers ------------------------------------------------------------- */

/* Make *p hold at least n elements of size bytes (contents kept). */
static void *
grow(void *p, size_t *cap, size_t n, size_t size)
{
    if (n <= *cap)
        return p;
    *cap = n;
    return rs_xreallocarray(p, n, size);
}

static void
sink_log(const struct rs_probe_sink *s, const char *name, double v)
{
    if (s != NULL && s->log != NULL)
        s->log(s->ud, name, v);
}

static void
sink_matrix(const struct rs_probe_sink *s, const char *name, int rows, int cols,
            const float *data, const char *const *rl, const char *const *cl)
{
    if (s != NULL && s->matrix != NULL)
        s->matrix(s->ud, name, rows, cols, data, rl, cl);
}

/* The module's layer indices of the spec's layers into r->idx; the count,
 * or a negative status (an unknown layer). */
static int
resolve_layers(rs_probe_runner *r, const rs_nn_module *m, struct rs_error *err)
{
    int total = rs_nn_module_layers(m);
    int nl = r->spec.nlayers > 0 ? r->spec.nlayers : total;
    r->idx =
        grow(r->idx, &r->idx_cap, (size_t)(nl > 0 ? nl : 1), sizeof *r->idx);
    for (int i = 0; i < nl; i++) {
        if (r->spec.nlayers == 0) {
            r->idx[i] = i;
            continue;
        }
        r->idx[i] = rs_nn_module_find_layer(m, r->spec.layers[i]);
        if (r->idx[i] < 0)
            return rs_error_set(err, RS_EINVAL, "the model has no layer '%s'",
                                r->spec.layers[i]);
    }
    return nl;
}

/* The recorded tensor of layer i as a (rows, cols) matrix, or NULL with
 * err set (RS_EINVAL) when it recorded nothing or is too big. */
static const rs_tensor *
layer_matrix(const rs_nn_module *m, int i, enum rs_probe_on on, int *rows,
             int *cols, struct rs_error *err)
{
    const rs_tensor *t = on == RS_PROBE_ON_PREACT
                             ? rs_nn_module_layer_preact(m, i)
                             : rs_nn_module_layer_act(m, i);
    if (t == NULL || t->ndim < 1 || t->numel > (size_t)INT32_MAX) {
        rs_error_set(err, RS_EINVAL, "layer '%s' recorded nothing",
                     rs_nn_module_layer_name(m, i));
        return NULL;
    }
    *rows = (int)rs_tensor_rows(t);
    *cols = rs_tensor_cols(t);
    return t;
}

/* Prefix err's message with the layer's name. Returns rc. */
static int
layer_error(const rs_nn_module *m, int i, int rc, struct rs_error *err)
{
    if (err == NULL)
        return rc;
    char msg[sizeof err->msg];
    snprintf(msg, sizeof msg, "%s", err->msg);
    return rs_error_set(err, rc, "layer '%s': %s",
                        rs_nn_module_layer_name(m, i), msg);
}

static int
need_forward(const struct rs_probe_target *t, struct rs_error *err)
{
    if (t->module == NULL || t->forward == NULL)
        return rs_error_set(err, RS_EINVAL,
                            "the probe target has no module or forward");
    return RS_OK;
}

/* ---- rank and dead ------------------------------------------------------- */

static int
run_layers(rs_probe_runner *r, const struct rs_probe_target *t,
           const struct rs_probe_sink *sink, struct rs_error *err)
{
    int rc = need_forward(t, err);
    if (rc != RS_OK)
        return rc;
    const rs_nn_module *m = t->module;
    int nl = resolve_layers(r, m, err);
    if (nl <= 0)
        return nl;
    int rows = 0;
    rc = t->forward(t->ud, r->spec.split, r->spec.n, &rows, err);
    if (rc != RS_OK)
        return rc;
    for (int k = 0; k < nl; k++) {
        int i = r->idx[k], nr, nc;
        const char *lname = rs_nn_module_layer_name(m, i);
        const rs_tensor *x = layer_matrix(m, i, r->spec.on, &nr, &nc, err);
        if (x == NULL)
            return err != NULL ? err->code : RS_EINVAL;
        char name[RS_NAME_MAX];
        if (r->spec.kind == RS_PROBE_RANK) {
            rc = rs_probe_rank_features(&r->rank, x->data, nr, nc,
                                        r->spec.centre, err);
            if (rc != RS_OK)
                return layer_error(m, i, rc, err);
            int srank =
                r->spec.delta == RS_PROBE_RANK_DELTA
                    ? r->rank.srank
                    : rs_probe_rank_srank(r->rank.s, r->rank.n, r->spec.delta);
            sink_log(sink,
                     rs_name(name, t->owner, "probe", "srank", lname, NULL),
                     srank);
            sink_log(sink,
                     rs_name(name, t->owner, "probe", "erank", lname, NULL),
                     r->rank.effective);
            sink_log(sink,
                     rs_name(name, t->owner, "probe", "sigma1", lname, NULL),
                     r->rank.s_max);
            sink_matrix(sink, rs_name(name, t->owner, "spectrum", lname, NULL),
                        1, r->rank.n, r->rank.s, NULL, NULL);
            int cov = 0;
            if (r->spec.covrank && nr >= 2) {
                rc = rs_probe_rank_cov(x->data, nr, nc, &cov, NULL, err);
                if (rc != RS_OK)
                    return layer_error(m, i, rc, err);
                sink_log(sink,
                         rs_name(name, t->owner, "probe", "covrank", lname,
                                 NULL),
                         cov);
            }
        } else {
            r->freq = grow(r->freq, &r->freq_cap, (size_t)(nc > 0 ? nc : 1),
                           sizeof *r->freq);
            int never = 0, always = 0;
            rc = rs_probe_dead_activity(x->data, nr, nc, r->freq, &never,
                                        &always, err);
            if (rc != RS_OK)
                return layer_error(m, i, rc, err);
            sink_log(sink,
                     rs_name(name, t->owner, "probe", "dead", lname, NULL),
                     (double)never / (double)nc);
            sink_log(sink,
                     rs_name(name, t->owner, "probe", "zombie", lname, NULL),
                     (double)always / (double)nc);
            sink_matrix(sink, rs_name(name, t->owner, "neurons", lname, NULL),
                        1, nc, r->freq, NULL, NULL);
        }
    }
    return RS_OK;
}

/* ---- norms --------------------------------------------------------------- */

/* The length of the prefix of a parameter name: up to its last '.'. */
static size_t
prefix_len(const char *pname)
{
    const char *dot = strrchr(pname, '.');
    return dot != NULL ? (size_t)(dot - pname) : strlen(pname);
}

static int
run_norms(rs_probe_runner *r, const struct rs_probe_target *t,
          const struct rs_probe_sink *sink, struct rs_error *err)
{
    const rs_nn_model *p = t->params;
    if (p == NULL)
        return rs_error_set(err, RS_EINVAL,
                            "the probe target has no parameters");
    char name[RS_NAME_MAX];
    sink_log(sink, rs_name(name, t->owner, "norm", "weight", NULL),
             rs_nn_model_weight_norm(p));
    if (!isnan(t->grad_norm))
        sink_log(sink, rs_name(name, t->owner, "norm", "grad", NULL),
                 t->grad_norm);
    if (!r->spec.per_layer)
        return RS_OK;
    /* one norm per prefix ("l1" of "l1.weight"), first-seen order */
    int np = rs_nn_model_count(p);
    for (int i = 0; i < np; i++) {
        const char *pi = rs_nn_model_param_name(p, i);
        size_t len = prefix_len(pi);
        bool seen = false;
        for (int j = 0; j < i && !seen; j++) {
            const char *pj = rs_nn_model_param_name(p, j);
            seen = prefix_len(pj) == len && strncmp(pi, pj, len) == 0;
        }
        if (seen)
            continue;
        char prefix[RS_NN_MODEL_NAME_MAX + 1];
        snprintf(prefix, sizeof prefix, "%.*s", (int)len, pi);
        sink_log(sink, rs_name(name, t->owner, "norm", "weight", prefix, NULL),
                 rs_nn_model_layer_norm(p, prefix));
    }
    return RS_OK;
}

/* ---- linear -------------------------------------------------------------- */

/* The history of owner for nl layers: a new one if it has none or another
 * layer count. */
static struct hist *
hist_of(rs_probe_runner *r, const char *owner, int nl)
{
    owner = owner != NULL ? owner : "";
    struct hist *h = NULL;
    for (int i = 0; i < r->nhist && h == NULL; i++)
        if (strcmp(r->hist[i].owner, owner) == 0)
            h = &r->hist[i];
    if (h == NULL) {
        r->hist =
            rs_xreallocarray(r->hist, (size_t)r->nhist + 1, sizeof *r->hist);
        h = &r->hist[r->nhist++];
        memset(h, 0, sizeof *h);
        snprintf(h->owner, sizeof h->owner, "%s", owner);
    }
    if (h->acc == NULL || h->nl != nl) {
        free(h->acc);
        free(h->pub);
        size_t cells = (size_t)nl * RS_PROBE_LINEAR_HIST;
        h->acc = rs_xcalloc(cells, sizeof *h->acc);
        h->pub = rs_xcalloc(cells, sizeof *h->pub);
        h->nl = nl;
        h->ncols = 0;
    }
    return h;
}

/* Append the accuracies acc (nl) of step. Columns at or after step go
 * first (a restart from a checkpoint, or the same step probed again);
 * when full, the oldest column drops out. Then pub = the compact copy. */
static void
hist_record(struct hist *h, long step, const double *acc)
{
    enum { MAX = RS_PROBE_LINEAR_HIST };
    while (h->ncols > 0 && h->step[h->ncols - 1] >= step)
        h->ncols--;
    if (h->ncols == MAX) {
        memmove(h->step, h->step + 1, (MAX - 1) * sizeof *h->step);
        for (int l = 0; l < h->nl; l++) {
            float *row = h->acc + (size_t)l * MAX;
            memmove(row, row + 1, (MAX - 1) * sizeof *row);
        }
        h->ncols--;
    }
    h->step[h->ncols] = step;
    for (int l = 0; l < h->nl; l++)
        h->acc[(size_t)l * MAX + (size_t)h->ncols] = (float)acc[l];
    h->ncols++;
    for (int l = 0; l < h->nl; l++)
        memcpy(h->pub + (size_t)l * (size_t)h->ncols, h->acc + (size_t)l * MAX,
               (size_t)h->ncols * sizeof *h->pub);
}

/* A layer whose activations are not one row per example (a sequence
 * model's (B, T, C), say): the linear probe needs labelled rows. */
static int
rows_error(const rs_nn_module *m, int i, int rows, int examples,
           struct rs_error *err)
{
    return rs_error_set(err, RS_EINVAL,
                        "layer '%s': %d rows of activations for %d labelled "
                        "examples (a linear probe needs one row per example)",
                        rs_nn_module_layer_name(m, i), rows, examples);
}

/* Copy the recorded activations of the nl layers (rows each) into r->hte,
 * their widths into r->width, offsets into r->off. */
static int
save_test_acts(rs_probe_runner *r, const rs_nn_module *m, int nl, int rows,
               struct rs_error *err)
{
    r->off[0] = 0;
    for (int k = 0; k < nl; k++) {
        int nr, nc;
        if (layer_matrix(m, r->idx[k], RS_PROBE_ON_ACT, &nr, &nc, err) == NULL)
            return err != NULL ? err->code : RS_EINVAL;
        if (nr != rows)
            return rows_error(m, r->idx[k], nr, rows, err);
        r->width[k] = nc;
        r->off[k + 1] = r->off[k] + (size_t)rows * (size_t)nc;
    }
    r->hte = grow(r->hte, &r->hte_cap, r->off[nl] > 0 ? r->off[nl] : 1,
                  sizeof *r->hte);
    for (int k = 0; k < nl; k++)
        memcpy(r->hte + r->off[k], rs_nn_module_layer_act(m, r->idx[k])->data,
               (r->off[k + 1] - r->off[k]) * sizeof *r->hte);
    return RS_OK;
}

/* Fit a ridge probe per layer on the activations of the first n train
 * examples, score it on the first n test examples, publish the
 * accuracies and the history matrix. */
static int
run_linear(rs_probe_runner *r, const struct rs_probe_target *t,
           const struct rs_probe_sink *sink, struct rs_error *err)
{
    int rc = need_forward(t, err);
    if (rc != RS_OK)
        return rc;
    const rs_nn_module *m = t->module;
    int nl = resolve_layers(r, m, err);
    if (nl <= 0)
        return nl;
    if (t->labels == NULL || t->classes < 2)
        return rs_error_set(err, RS_EINVAL,
                            "a linear probe needs labels of 2 or more "
                            "classes (the target has %d)",
                            t->labels == NULL ? 0 : t->classes);
    size_t lc = (size_t)nl + 1;
    if (lc > r->lay_cap) {
        r->off = rs_xreallocarray(r->off, lc, sizeof *r->off);
        r->width = rs_xreallocarray(r->width, lc, sizeof *r->width);
        r->acc = rs_xreallocarray(r->acc, lc, sizeof *r->acc);
        r->lay_cap = lc;
    }
    /* test first: a rank or dead probe of the same step (split "test",
     * same n) has usually run that forward already */
    int nte = 0, ntr = 0;
    rc = t->forward(t->ud, RS_SPLIT_TEST, r->spec.n, &nte, err);
    if (rc == RS_OK)
        rc = save_test_acts(r, m, nl, nte, err);
    if (rc == RS_OK)
        rc = t->forward(t->ud, RS_SPLIT_TRAIN, r->spec.n, &ntr, err);
    if (rc != RS_OK)
        return rc;
    r->ytr =
        grow(r->ytr, &r->ytr_cap, (size_t)(ntr > 0 ? ntr : 1), sizeof *r->ytr);
    r->yte =
        grow(r->yte, &r->yte_cap, (size_t)(nte > 0 ? nte : 1), sizeof *r->yte);
    rc = t->labels(t->ud, RS_SPLIT_TRAIN, ntr, r->ytr, err);
    if (rc == RS_OK)
        rc = t->labels(t->ud, RS_SPLIT_TEST, nte, r->yte, err);
    if (rc != RS_OK)
        return rc;
    for (int k = 0; k < nl; k++) {
        int i = r->idx[k], nr, nc;
        const char *lname = rs_nn_module_layer_name(m, i);
        const rs_tensor *x = layer_matrix(m, i, RS_PROBE_ON_ACT, &nr, &nc, err);
        if (x == NULL)
            return err != NULL ? err->code : RS_EINVAL;
        if (nr != ntr || nc != r->width[k])
            return rows_error(m, i, nr, ntr, err);
        struct rs_probe_linprobe res;
        rc = rs_probe_linprobe_fit(x->data, r->ytr, ntr, r->hte + r->off[k],
                                   r->yte, nte, nc, t->classes, r->spec.lambda,
                                   &res, NULL, err);
        if (rc != RS_OK)
            return layer_error(m, i, rc, err);
        char name[RS_NAME_MAX];
        sink_log(sink, rs_name(name, t->owner, "probe", "linear", lname, NULL),
                 res.test_acc);
        sink_log(sink,
                 rs_name(name, t->owner, "probe", "linear_train", lname, NULL),
                 res.train_acc);
        r->acc[k] = res.test_acc;
    }
    struct hist *h = hist_of(r, t->owner, nl);
    hist_record(h, t->step, r->acc);
    r->rlab = grow(r->rlab, &r->rlab_cap, (size_t)nl, sizeof *r->rlab);
    for (int k = 0; k < nl; k++)
        r->rlab[k] = rs_nn_module_layer_name(m, r->idx[k]);
    for (int c = 0; c < h->ncols; c++) {
        snprintf(r->ctext[c], sizeof r->ctext[c], "%ld", h->step[c]);
        r->clab[c] = r->ctext[c];
    }
    char name[RS_NAME_MAX];
    sink_matrix(sink, rs_name(name, t->owner, "linear", NULL), nl, h->ncols,
                h->pub, r->rlab, r->clab);
    return RS_OK;
}

/* ---- running ------------------------------------------------------------- */

int
rs_probe_runner_run(rs_probe_runner *r, const struct rs_probe_target *t,
                    const struct rs_probe_sink *sink, struct rs_error *err)
{
    switch (r->spec.kind) {
    case RS_PROBE_RANK:
    case RS_PROBE_DEAD:
        return run_layers(r, t, sink, err);
    case RS_PROBE_NORMS:
        return run_norms(r, t, sink, err);
    case RS_PROBE_LINEAR:
        return run_linear(r, t, sink, err);
    }
    return rs_error_set(err, RS_EINVAL, "probe kind %d is unknown",
                        (int)r->spec.kind);
}

bool
rs_probe_runner_history(const rs_probe_runner *r, const char *owner, int *rows,
                        int *cols, const long **steps, const float **acc)
{
    owner = owner != NULL ? owner : "";
    for (int i = 0; i < r->nhist; i++) {
        const struct hist *h = &r->hist[i];
        if (strcmp(h->owner, owner) != 0 || h->acc == NULL)
            continue;
        *rows = h->nl;
        *cols = h->ncols;
        *steps = h->step;
        *acc = h->pub;
        return true;
    }
    return false;
}
