/* repscope - MIT licence, see COPYING.
 *
 * dyneval.c: the dynamic-evaluation driver (see dyneval.h). One update
 * is one segment: score it with the weights as they are, then adapt on
 * it. The invariant the tests hold it to: the bits recorded for a
 * segment come from the logits of the forward that precedes its update,
 * so no byte is ever scored by weights that have seen it.
 */
#include "config.h"

#include "algo/dyneval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "algo/learner_impl.h"
#include "algo/lm_eval.h"
#include "core/graph.h"
#include "core/ops.h"
#include "nn/model.h"

#define STATE_MAGIC UINT64_C(0x647976616c310002) /* "dyval1" + layout 2 */
/* magic, segments, rms steps, bits, chars, ema, ema_set, cpu_ms, rms
 * floats, the stream's shape (segments_total, L, context, adapt),
 * then the RMS floats, then per part bits, chars, early bits and early
 * chars */
#define STATE_FIXED 13

struct dyneval {
    struct rs_dyneval_config cfg;
    rs_nn_module *anchor; /* retained: theta0 */
    rs_text *text;        /* retained */
    rs_text_stream *st[RS_DYNEVAL_MAX_PARTS];
    const uint8_t *split_base[2]; /* each split's whole text */
    long segments_total;
    int part;      /* the part being read */
    long segments; /* segments done */
    bool started;  /* theta0 copied into the model */
    int np;        /* the model's parameters */
    bool *adapt;   /* (np) */
    float **v;     /* (np) RMS state of adapted parameters (rule rms) */
    size_t *vn;    /* (np) its floats */
    size_t rms_floats;
    long rms_steps;
    int adapted;
    size_t adapted_el;
    double bits, chars;
    double part_bits[RS_DYNEVAL_MAX_PARTS], part_chars[RS_DYNEVAL_MAX_PARTS];
    double early_bits[RS_DYNEVAL_MAX_PARTS], early_chars[RS_DYNEVAL_MAX_PARTS];
    double ema, bpc, drift, ms_per_char, cpu_ms;
    bool ema_set;
    int last_part;
    bool part_first;
    /* window scratch, (context + L) each */
    int *ids, *tgt;
    float *mask;
    uint8_t *seg;
    float *seg_bits;
    int seg_len;
};

/* ---- config ------------------------------------------------------------ */

const char *const rs_dyneval_adapt_names[] = {"none", "all", "mlp", "last",
                                              NULL};
const char *const rs_dyneval_rule_names[] = {"sgd", "rms", NULL};

void
rs_dyneval_config_default(struct rs_dyneval_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->parts[0] = (struct rs_dyneval_part){
        .split = RS_SPLIT_TEST, .source = -1, .label = "test"};
    cfg->nparts = 1;
    cfg->L = 64;
    cfg->context = 64;
    cfg->adapt = RS_DYNEVAL_ALL;
    cfg->rule = RS_DYNEVAL_SGD;
    cfg->lr = 1e-2;
    cfg->rms_beta = 0.99;
    cfg->decay = 0.0;
    cfg->doc_reset = false;
    cfg->ema = 0.98;
    cfg->early = 1024;
}

const char *
rs_dyneval_adapt_name(enum rs_dyneval_adapt a)
{
    return (unsigned)a <= RS_DYNEVAL_LAST ? rs_dyneval_adapt_names[a] : "?";
}

const char *
rs_dyneval_rule_name(enum rs_dyneval_rule r)
{
    return (unsigned)r <= RS_DYNEVAL_RMS ? rs_dyneval_rule_names[r] : "?";
}

static int
check_config(const struct rs_dyneval_config *c, int nsources,
             struct rs_error *err)
{
    if (c->nparts < 1 || c->nparts > RS_DYNEVAL_MAX_PARTS)
        return rs_error_set(err, RS_EINVAL,
                            "dyneval: parts = %d is outside 1..%d", c->nparts,
                            RS_DYNEVAL_MAX_PARTS);
    for (int i = 0; i < c->nparts; i++) {
        const struct rs_dyneval_part *p = &c->parts[i];
        if (p->split != RS_SPLIT_TRAIN && p->split != RS_SPLIT_TEST)
            return rs_error_set(err, RS_EINVAL,
                                "dyneval: part %d: bad split %d", i + 1,
                                (int)p->split);
        if (p->source < -1 || p->source >= nsources)
            return rs_error_set(err, RS_EINVAL,
                                "dyneval: part %d: source %d is outside "
                                "1..%d",
                                i + 1, p->source + 1, nsources);
    }
    if (c->L < 1 || c->L > RS_DYNEVAL_MAX_L)
        return rs_error_set(err, RS_EINVAL, "dyneval: L = %d is outside 1..%d",
                            c->L, RS_DYNEVAL_MAX_L);
    if (c->context < 0 || c->context > RS_DYNEVAL_MAX_L)
        return rs_error_set(err, RS_EINVAL,
                            "dyneval: context = %d is outside 0..%d",
                            c->context, RS_DYNEVAL_MAX_L);
    if ((unsigned)c->adapt > RS_DYNEVAL_LAST)
        return rs_error_set(err, RS_EINVAL, "dyneval: bad adapt %d",
                            (int)c->adapt);
    if ((unsigned)c->rule > RS_DYNEVAL_RMS)
        return rs_error_set(err, RS_EINVAL, "dyneval: bad rule %d",
                            (int)c->rule);
    if (!(c->lr >= 0.0) || !isfinite(c->lr))
        return rs_error_set(err, RS_EINVAL,
                            "dyneval: lr = %g is not a finite number >= 0",
                            c->lr);
    if (!(c->rms_beta >= 0.0 && c->rms_beta < 1.0))
        return rs_error_set(err, RS_EINVAL,
                            "dyneval: rms_beta = %g is outside [0, 1)",
                            c->rms_beta);
    if (!(c->decay >= 0.0 && c->decay <= 1.0))
        return rs_error_set(err, RS_EINVAL,
                            "dyneval: decay = %g is outside [0, 1]", c->decay);
    if (!(c->ema >= 0.0 && c->ema < 1.0))
        return rs_error_set(err, RS_EINVAL,
                            "dyneval: ema = %g is outside [0, 1)", c->ema);
    return RS_OK;
}

/* Whether parameter `name` adapts under a (layers: the module's). */
static bool
selected(enum rs_dyneval_adapt a, const char *name, int layers)
{
    switch (a) {
    case RS_DYNEVAL_NONE:
        return false;
    case RS_DYNEVAL_ALL:
        return true;
    case RS_DYNEVAL_MLP:
        return strstr(name, ".mlp.") != NULL;
    case RS_DYNEVAL_LAST: {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "h%d.", layers);
        return strncmp(name, prefix, strlen(prefix)) == 0;
    }
    }
    return false;
}

/* ---- the update --------------------------------------------------------- */

/* The stream positioned after its first `segments` segments. */
static void
seek(struct dyneval *d, long segments)
{
    struct rs_text_segment seg;
    for (int i = 0; i < d->cfg.nparts; i++)
        rs_text_stream_rewind(d->st[i]);
    d->part = 0;
    for (long k = 0; k < segments && d->part < d->cfg.nparts;) {
        if (rs_text_stream_next(d->st[d->part], &seg))
            k++;
        else
            d->part++;
    }
}

static double
thread_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return 0.0;
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

/* theta0 into the adapted parameters (all of them when all is set), the
 * RMS state to zero. */
static void
to_anchor(struct dyneval *d, rs_learner *l, bool all)
{
    const rs_nn_model *pm = rs_learner_params(l);
    const rs_nn_model *am = rs_nn_module_model(d->anchor);
    for (int i = 0; i < d->np; i++) {
        if (!all && !d->adapt[i])
            continue;
        rs_tensor_copy_data(rs_nn_model_param(pm, i), rs_nn_model_param(am, i));
        if (d->v[i] != NULL)
            memset(d->v[i], 0, d->vn[i] * sizeof(float));
    }
    d->rms_steps = 0;
}

/* One step on the adapted parameters from their gradients, the decay
 * toward theta0, gradients zeroed. */
static void
adapt_step(struct dyneval *d, rs_learner *l)
{
    const rs_nn_model *pm = rs_learner_params(l);
    const rs_nn_model *am = rs_nn_module_model(d->anchor);
    const struct rs_dyneval_config *c = &d->cfg;
    float lr = (float)c->lr;
    float lam = (float)c->decay;
    d->rms_steps++;
    double bc = 1.0 - pow(c->rms_beta, (double)d->rms_steps);
    float beta = (float)c->rms_beta;
    for (int i = 0; i < d->np; i++) {
        if (!d->adapt[i])
            continue;
        rs_tensor *t = rs_nn_model_param(pm, i);
        const float *t0 = rs_nn_model_param(am, i)->data;
        float *w = t->data, *gr = t->grad, *v = d->v[i];
        size_t n = t->numel;
        if (c->rule == RS_DYNEVAL_SGD) {
            for (size_t k = 0; k < n; k++)
                w[k] -= lr * gr[k];
        } else {
            float ibc = (float)(1.0 / bc);
            for (size_t k = 0; k < n; k++) {
                v[k] = beta * v[k] + (1.0f - beta) * gr[k] * gr[k];
                w[k] -= lr * gr[k] / (sqrtf(v[k] * ibc) + 1e-8f);
            }
        }
        /* (1 - lam) w + lam t0; lam = 1 is t0 bit for bit (a copy: the
         * sum would turn a -0 of t0 into +0) */
        if (lam == 1.0f)
            memcpy(w, t0, n * sizeof *w);
        else if (lam > 0.0f)
            for (size_t k = 0; k < n; k++)
                w[k] = (1.0f - lam) * w[k] + lam * t0[k];
        rs_tensor_zero_grad(t);
    }
}

static double
drift(const struct dyneval *d, rs_learner *l)
{
    const rs_nn_model *pm = rs_learner_params(l);
    const rs_nn_model *am = rs_nn_module_model(d->anchor);
    double s = 0.0;
    for (int i = 0; i < d->np; i++) {
        const rs_tensor *t = rs_nn_model_param(pm, i);
        const float *t0 = rs_nn_model_param(am, i)->data;
        for (size_t k = 0; k < t->numel; k++) {
            double e = (double)t->data[k] - (double)t0[k];
            s += e * e;
        }
    }
    return sqrt(s);
}

/* The byte offset of seg's first byte in its document. */
static size_t
doc_offset(const struct dyneval *d, const struct rs_text_segment *seg)
{
    const struct rs_text_doc *doc = rs_text_doc(d->text, seg->doc);
    const uint8_t *start = d->split_base[doc->split] + doc->off;
    return (size_t)(seg->bytes - start);
}

/* Score the window ids[0..W) whose scored rows are marked in mask (row
 * t scores ids[t + 1]) and adapt on it; the bits of window byte t + 1,
 * which is segment byte t + 1 - c, into seg_bits[t + 1 - c]. */
static int
score_and_adapt(struct dyneval *d, rs_learner *l, int W, int c, double *sum,
                int *nscored, struct rs_error *err)
{
    rs_graph *g = l->g;
    rs_nn_module *m = l->mod[0];
    const rs_nn_model *pm = rs_learner_params(l);
    bool adapting = d->cfg.adapt != RS_DYNEVAL_NONE;
    bool grad = rs_graph_grad_enabled(g);
    rs_graph_reset(g);
    rs_graph_set_grad(g, adapting);
    for (int i = 0; adapting && i < d->np; i++)
        rs_nn_model_param(pm, i)->requires_grad = d->adapt[i];
    struct rs_nn_input in = {
        .kind = RS_NN_INPUT_TOKENS, .ids = d->ids, .B = 1, .T = W};
    rs_tensor *z = rs_nn_module_forward_input(m, g, &in);
    int rc = RS_OK;
    if (z == NULL || rs_graph_error(g)->code != RS_OK) {
        rc = rs_learner_graph_error(l, err);
    } else if (z->ndim != 3 || z->shape[0] != 1 || z->shape[1] != W ||
               z->shape[2] < RS_TEXT_VOCAB) {
        char buf[64];
        rc = rs_error_set(err, RS_ESHAPE,
                          "dyneval: the model gives %s for a window of %d "
                          "bytes ((1, %d, >= 256) expected)",
                          rs_tensor_shape_str(z, buf, sizeof buf), W, W);
    }
    *sum = 0.0;
    *nscored = 0;
    if (rc == RS_OK) {
        int V = z->shape[2];
        for (int t = 0; t + 1 < W; t++) {
            if (d->mask[t] == 0.0f)
                continue;
            double b = rs_lm_eval_row_bits(z->data + (size_t)t * (size_t)V, V,
                                           d->tgt[t]);
            d->seg_bits[t + 1 - c] = (float)b;
            *sum += b;
            (*nscored)++;
        }
        if (!isfinite(*sum))
            rc = rs_error_set(err, RS_ENONFINITE, "%s/stream/bpc is %s",
                              rs_learner_name(l), isnan(*sum) ? "nan" : "inf");
    }
    if (rc == RS_OK && adapting && *nscored > 0) {
        /* the score above is final: only now may the weights move */
        rs_tensor *loss = rs_op_cross_entropy(g, z, d->tgt, d->mask);
        if (loss == NULL || rs_graph_error(g)->code != RS_OK)
            rc = rs_learner_graph_error(l, err);
        else
            rc = rs_graph_backward(g, loss, err);
        if (rc == RS_OK)
            adapt_step(d, l);
    }
    for (int i = 0; adapting && i < d->np; i++) {
        rs_tensor *t = rs_nn_model_param(pm, i);
        t->requires_grad = true;
        if (rc != RS_OK)
            rs_tensor_zero_grad(t);
    }
    rs_graph_reset(g);
    rs_graph_set_grad(g, grad);
    return rc;
}

static int
dv_update(void *impl, rs_learner *l, struct rs_learner_stats *st,
          struct rs_error *err)
{
    struct dyneval *d = impl;
    if (st != NULL)
        memset(st, 0, sizeof *st);
    struct rs_text_segment seg;
    while (d->part < d->cfg.nparts &&
           !rs_text_stream_next(d->st[d->part], &seg))
        d->part++;
    if (d->part >= d->cfg.nparts)
        return RS_OK; /* the stream is exhausted */
    double t0 = thread_ms();
    l->probe_valid = false;
    if (!d->started) {
        to_anchor(d, l, true);
        d->started = true;
    }
    size_t off = doc_offset(d, &seg);
    if (d->cfg.doc_reset && off == 0 && d->cfg.adapt != RS_DYNEVAL_NONE)
        to_anchor(d, l, false);
    int c = off < (size_t)d->cfg.context ? (int)off : d->cfg.context;
    int n = seg.len, W = c + n;
    for (int k = 0; k < W; k++) {
        d->ids[k] = seg.bytes[k - c];
        d->tgt[k] = 0;
        d->mask[k] = 0.0f;
    }
    /* row t scores byte t + 1: the segment's bytes from row c - 1 on,
     * except a document's first byte (no row before it) */
    for (int k = 0; k < n; k++) {
        d->seg_bits[k] = NAN;
        if (c + k >= 1) {
            d->tgt[c + k - 1] = d->ids[c + k];
            d->mask[c + k - 1] = 1.0f;
        }
    }
    memcpy(d->seg, seg.bytes, (size_t)n);
    d->seg_len = n;
    double sum = 0.0;
    int scored = 0;
    if (W >= 2) {
        int rc = score_and_adapt(d, l, W, c, &sum, &scored, err);
        if (rc != RS_OK) {
            seek(d, d->segments); /* the failed segment comes again */
            return rc;
        }
    }
    int part = d->part;
    for (int k = 0; k < n; k++)
        if (seg.pos + (size_t)k < d->cfg.early && !isnan(d->seg_bits[k])) {
            d->early_bits[part] += (double)d->seg_bits[k];
            d->early_chars[part] += 1.0;
        }
    d->segments++;
    d->bits += sum;
    d->chars += scored;
    d->part_bits[part] += sum;
    d->part_chars[part] += scored;
    d->part_first = seg.first;
    d->last_part = part;
    double ms = thread_ms() - t0;
    d->cpu_ms += ms;
    d->ms_per_char = ms / (double)n;
    d->drift = drift(d, l);
    if (scored > 0) {
        d->bpc = sum / scored;
        d->ema = d->ema_set ? d->cfg.ema * d->ema + (1.0 - d->cfg.ema) * d->bpc
                            : d->bpc;
        d->ema_set = true;
        rs_learner_log_value(l, "stream/bpc", d->bpc);
        rs_learner_log_value(l, "stream/bpc_ema", d->ema);
    }
    rs_learner_log_value(l, "stream/drift", d->drift);
    rs_learner_log_value(l, "stream/ms_per_char", d->ms_per_char);
    rs_learner_log_value(l, "stream/part", part + 1);
    if (st != NULL) {
        st->step = d->segments;
        st->n = 1;
        st->T = W;
        st->loss = scored > 0 ? sum / scored * log(2.0) : 0.0;
        st->acc = NAN;
        st->lr = d->cfg.lr;
    }
    return RS_OK;
}

/* ---- state -------------------------------------------------------------- */

/* The RMS floats in parameter order, two per word (low half first). */
static void
rms_save(const struct dyneval *d, uint64_t *w)
{
    size_t k = 0;
    for (int i = 0; i < d->np; i++)
        for (size_t j = 0; d->v[i] != NULL && j < d->vn[i]; j++, k++) {
            uint32_t b;
            memcpy(&b, &d->v[i][j], sizeof b);
            w[k / 2] |= (uint64_t)b << (32 * (k % 2));
        }
}

static void
rms_load(struct dyneval *d, const uint64_t *w)
{
    size_t k = 0;
    for (int i = 0; i < d->np; i++)
        for (size_t j = 0; d->v[i] != NULL && j < d->vn[i]; j++, k++) {
            uint32_t b = (uint32_t)(w[k / 2] >> (32 * (k % 2)));
            memcpy(&d->v[i][j], &b, sizeof b);
        }
}

static size_t
dv_state_words(const void *impl)
{
    const struct dyneval *d = impl;
    return STATE_FIXED + (d->rms_floats + 1) / 2 + 4 * (size_t)d->cfg.nparts;
}

static void
dv_state_save(const void *impl, uint64_t *w)
{
    const struct dyneval *d = impl;
    w[0] = STATE_MAGIC;
    w[1] = (uint64_t)d->segments;
    w[2] = (uint64_t)d->rms_steps;
    w[3] = rs_double_bits(d->bits);
    w[4] = rs_double_bits(d->chars);
    w[5] = rs_double_bits(d->ema);
    w[6] = (uint64_t)d->ema_set | (uint64_t)d->started << 1;
    w[7] = rs_double_bits(d->cpu_ms);
    w[8] = (uint64_t)d->rms_floats;
    w[9] = (uint64_t)d->segments_total;
    w[10] = (uint64_t)d->cfg.L;
    w[11] = (uint64_t)d->cfg.context;
    w[12] = (uint64_t)d->cfg.adapt;
    uint64_t *rw = w + STATE_FIXED;
    size_t nr = (d->rms_floats + 1) / 2;
    memset(rw, 0, nr * sizeof *rw);
    rms_save(d, rw);
    for (int i = 0; i < d->cfg.nparts; i++) {
        uint64_t *pw = rw + nr + 4 * (size_t)i;
        pw[0] = rs_double_bits(d->part_bits[i]);
        pw[1] = rs_double_bits(d->part_chars[i]);
        pw[2] = rs_double_bits(d->early_bits[i]);
        pw[3] = rs_double_bits(d->early_chars[i]);
    }
}

static int
dv_state_load(void *impl, const uint64_t *w, size_t n, struct rs_error *err)
{
    struct dyneval *d = impl;
    if (n < STATE_FIXED || w[0] != STATE_MAGIC)
        return rs_error_set(err, RS_EFORMAT,
                            "dyneval: not a dyneval driver state (%zu words)",
                            n);
    if (w[8] != (uint64_t)d->rms_floats || n != dv_state_words(d))
        return rs_error_set(err, RS_EFORMAT,
                            "dyneval: the state has %llu RMS floats and %zu "
                            "words, this run %zu and %zu (another adapt, "
                            "rule or stream?)",
                            (unsigned long long)w[8], n, d->rms_floats,
                            dv_state_words(d));
    if (w[9] != (uint64_t)d->segments_total || w[10] != (uint64_t)d->cfg.L ||
        w[11] != (uint64_t)d->cfg.context || w[12] != (uint64_t)d->cfg.adapt)
        return rs_error_set(
            err, RS_EFORMAT,
            "dyneval: the state is of a stream of %llu "
            "segments, L %llu, context %llu, adapt %s; this "
            "run has %ld, %d, %d, %s",
            (unsigned long long)w[9], (unsigned long long)w[10],
            (unsigned long long)w[11],
            rs_dyneval_adapt_name((enum rs_dyneval_adapt)(w[12] & 7)),
            d->segments_total, d->cfg.L, d->cfg.context,
            rs_dyneval_adapt_name(d->cfg.adapt));
    if (w[1] > (uint64_t)d->segments_total)
        return rs_error_set(err, RS_EFORMAT,
                            "dyneval: the state is at segment %llu of a "
                            "stream of %ld",
                            (unsigned long long)w[1], d->segments_total);
    d->segments = (long)w[1];
    seek(d, d->segments);
    d->rms_steps = (long)w[2];
    d->bits = rs_bits_double(w[3]);
    d->chars = rs_bits_double(w[4]);
    d->ema = rs_bits_double(w[5]);
    d->ema_set = (w[6] & 1) != 0;
    d->started = (w[6] & 2) != 0;
    d->cpu_ms = rs_bits_double(w[7]);
    const uint64_t *rw = w + STATE_FIXED;
    size_t nr = (d->rms_floats + 1) / 2;
    rms_load(d, rw);
    for (int i = 0; i < d->cfg.nparts; i++) {
        const uint64_t *pw = rw + nr + 4 * (size_t)i;
        d->part_bits[i] = rs_bits_double(pw[0]);
        d->part_chars[i] = rs_bits_double(pw[1]);
        d->early_bits[i] = rs_bits_double(pw[2]);
        d->early_chars[i] = rs_bits_double(pw[3]);
    }
    d->seg_len = 0;
    d->last_part = -1;
    return RS_OK;
}

static void
dv_destroy(void *impl)
{
    struct dyneval *d = impl;
    if (d == NULL)
        return;
    for (int i = 0; i < d->cfg.nparts; i++)
        rs_text_stream_free(d->st[i]);
    for (int i = 0; i < d->np; i++)
        free(d->v[i]);
    free(d->v);
    free(d->vn);
    free(d->adapt);
    free(d->ids);
    free(d->tgt);
    free(d->mask);
    free(d->seg);
    free(d->seg_bits);
    rs_text_release(d->text);
    rs_nn_module_release(d->anchor);
    free(d);
}

/* The anchor is read at every update (drift, decay, resets): a learner
 * that trains it must not step at the same time. */
static bool
dv_reads(const void *impl, const rs_nn_module *m)
{
    const struct dyneval *d = impl;
    return d->anchor == m;
}

static const struct rs_learner_driver_class dyneval_class = {
    .kind = "dyneval",
    .update = dv_update,
    .state_words = dv_state_words,
    .state_save = dv_state_save,
    .state_load = dv_state_load,
    .destroy = dv_destroy,
    .reads = dv_reads,
};

/* ---- attaching ---------------------------------------------------------- */

/* The anchor's parameters must be the model's, name for name. */
static int
check_anchor(const rs_nn_model *pm, const rs_nn_model *am, struct rs_error *err)
{
    int n = rs_nn_model_count(pm);
    if (rs_nn_model_count(am) != n)
        return rs_error_set(err, RS_EINVAL,
                            "dyneval: the anchor has %d parameters, the "
                            "model %d",
                            rs_nn_model_count(am), n);
    for (int i = 0; i < n; i++) {
        const rs_tensor *a = rs_nn_model_param(am, i);
        const rs_tensor *p = rs_nn_model_param(pm, i);
        const char *an = rs_nn_model_param_name(am, i);
        const char *pn = rs_nn_model_param_name(pm, i);
        if (strcmp(an, pn) != 0 || !rs_tensor_same_shape(a, p)) {
            char sa[64], sp[64];
            return rs_error_set(err, RS_EINVAL,
                                "dyneval: the anchor's parameter %d is %s %s, "
                                "the model's %s %s",
                                i + 1, an,
                                rs_tensor_shape_str(a, sa, sizeof sa), pn,
                                rs_tensor_shape_str(p, sp, sizeof sp));
        }
    }
    return RS_OK;
}

int
rs_dyneval_attach(rs_learner *l, const struct rs_dyneval_config *cfg,
                  rs_nn_module *anchor, struct rs_error *err)
{
    rs_text *text = rs_source_text_corpus(rs_learner_source(l));
    if (text == NULL)
        return rs_error_set(err, RS_EINVAL,
                            "dyneval: learner '%s' reads a %s source (a text "
                            "source, rs.data.text, is needed)",
                            rs_learner_name(l),
                            rs_source_kind(rs_learner_source(l)));
    int rc = check_config(cfg, rs_text_config(text)->nsources, err);
    if (rc != RS_OK)
        return rc;
    rs_nn_module *m = rs_learner_module(l, 0);
    if (rs_learner_nmodules(l) != 1 ||
        rs_nn_module_input_kind(m) != RS_NN_INPUT_TOKENS)
        return rs_error_set(err, RS_EINVAL,
                            "dyneval: learner '%s' needs one model that takes "
                            "token ids (it has %d, the first a %s)",
                            rs_learner_name(l), rs_learner_nmodules(l),
                            rs_nn_module_kind(m));
    if (anchor == m)
        return rs_error_set(err, RS_EINVAL,
                            "dyneval: the anchor is the learner's own model "
                            "(theta0 must stay fixed: give a copy)");
    const rs_nn_model *pm = rs_learner_params(l);
    if ((rc = check_anchor(pm, rs_nn_module_model(anchor), err)) != RS_OK)
        return rc;

    struct dyneval *d = rs_xcalloc(1, sizeof *d);
    d->cfg = *cfg;
    d->np = rs_nn_model_count(pm);
    d->adapt = rs_xcalloc((size_t)d->np, sizeof *d->adapt);
    d->v = rs_xcalloc((size_t)d->np, sizeof *d->v);
    d->vn = rs_xcalloc((size_t)d->np, sizeof *d->vn);
    int layers = rs_nn_module_layers(m);
    for (int i = 0; i < d->np; i++) {
        d->adapt[i] =
            selected(cfg->adapt, rs_nn_model_param_name(pm, i), layers);
        if (!d->adapt[i])
            continue;
        size_t n = rs_nn_model_param(pm, i)->numel;
        d->adapted++;
        d->adapted_el += n;
        if (cfg->rule == RS_DYNEVAL_RMS) {
            d->v[i] = rs_xcalloc(n, sizeof(float));
            d->vn[i] = n;
            d->rms_floats += n;
        }
    }
    d->text = text;
    rs_text_retain(text);
    d->anchor = anchor;
    rs_nn_module_retain(anchor);
    if (cfg->adapt != RS_DYNEVAL_NONE && d->adapted == 0) {
        rc = rs_error_set(err, RS_EINVAL,
                          "dyneval: adapt = %s selects no parameter of the "
                          "%s model",
                          rs_dyneval_adapt_name(cfg->adapt),
                          rs_nn_module_kind(m));
        goto fail;
    }
    for (int s = 0; s < 2; s++) {
        struct rs_text_view v;
        rs_text_view(text, (enum rs_split)s, -1, &v);
        d->split_base[s] = v.bytes;
    }
    for (int i = 0; i < cfg->nparts; i++) {
        const struct rs_dyneval_part *p = &cfg->parts[i];
        struct rs_text_stream_config sc = {.split = p->split,
                                           .source = p->source,
                                           .from = p->from,
                                           .bytes = p->bytes,
                                           .L = cfg->L,
                                           .doc_break = true};
        d->st[i] = rs_text_stream_new(text, &sc, err);
        if (d->st[i] == NULL) {
            rc = err != NULL ? err->code : RS_EINVAL;
            if (err != NULL) {
                char msg[sizeof err->msg];
                snprintf(msg, sizeof msg, "%s", err->msg);
                rs_error_set(err, rc, "dyneval: part %d (%s): %s", i + 1,
                             p->label, msg);
            }
            goto fail;
        }
        struct rs_text_segment seg;
        while (rs_text_stream_next(d->st[i], &seg))
            d->segments_total++;
        rs_text_stream_rewind(d->st[i]);
    }
    size_t w = (size_t)cfg->context + (size_t)cfg->L;
    d->ids = rs_xcalloc(w, sizeof *d->ids);
    d->tgt = rs_xcalloc(w, sizeof *d->tgt);
    d->mask = rs_xcalloc(w, sizeof *d->mask);
    d->seg = rs_xcalloc((size_t)cfg->L, 1);
    d->seg_bits = rs_xcalloc((size_t)cfg->L, sizeof *d->seg_bits);
    d->last_part = -1;
    rs_learner_set_driver(l, &dyneval_class, d);
    return RS_OK;
fail:
    dv_destroy(d);
    return rc;
}

int
rs_dyneval_info(const rs_learner *l, struct rs_dyneval_info *out,
                struct rs_error *err)
{
    const struct dyneval *d = rs_learner_driver(l, "dyneval");
    if (d == NULL)
        return rs_error_set(err, RS_EINVAL,
                            "dyneval: learner '%s' has no dyneval driver",
                            rs_learner_name(l));
    memset(out, 0, sizeof *out);
    out->cfg = &d->cfg;
    out->segments = d->segments;
    out->segments_total = d->segments_total;
    out->part = d->last_part;
    out->part_first = d->part_first;
    out->done = d->segments >= d->segments_total;
    out->bits = d->bits;
    out->chars = d->chars;
    memcpy(out->part_bits, d->part_bits, sizeof out->part_bits);
    memcpy(out->part_chars, d->part_chars, sizeof out->part_chars);
    memcpy(out->early_bits, d->early_bits, sizeof out->early_bits);
    memcpy(out->early_chars, d->early_chars, sizeof out->early_chars);
    out->bpc = d->bpc;
    out->bpc_ema = d->ema;
    out->drift = d->drift;
    out->ms_per_char = d->ms_per_char;
    out->cpu_ms = d->cpu_ms;
    out->adapted = d->adapted;
    out->adapted_el = d->adapted_el;
    out->seg = d->seg;
    out->seg_bits = d->seg_bits;
    out->seg_len = d->seg_len;
    return RS_OK;
}
