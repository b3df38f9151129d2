/* repscope - MIT licence, see COPYING.
 *
 * t_algo_dyneval.c: what the dynamic-evaluation driver (algo/dyneval.h)
 * scores and how it adapts, on the corpus of dyneval_fixture.h (sources
 * A and B of the train split, read as two parts) with a small griffin
 * model (pattern "R", and "A" with window 0 for the attention path) and
 * an anchor given the model's parameters. Every recorded bit is checked
 * against a forward recomputed here: of the weights before the
 * segment's update (and not those after it), of one forward over the
 * whole document (carry-over), of each byte's own window. Then the
 * decay toward theta0, the adapted subsets, the first RMS step against a
 * gradient computed here, and doc_reset. The stream's bookkeeping is in
 * t_algo_dyneval_stream.c.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo/dyneval.h"
#include "algo/learner.h"
#include "core/graph.h"
#include "core/ops.h"
#include "nn/model.h"
#include "nn/module.h"
#include "tests/dyneval_fixture.h"
#include "tests/learn_fixture.h"
#include "tests/tap.h"

static bool
param_same(const rs_tensor *a, const rs_tensor *b)
{
    return a->numel == b->numel &&
           memcmp(a->data, b->data, a->numel * sizeof(float)) == 0;
}

/* ---- 1. score, then update ---------------------------------------------- */

static void
test_order(struct tap_corpus *cp, const char *pattern)
{
    struct rs_dyneval_config c = tap_dyn_parts(24, 16, RS_DYNEVAL_ALL, 0.5);
    struct tap_dyn_run r;
    tap_dyn_run_init(&r, cp, pattern, &c);
    rs_graph *g = rs_graph_new();
    float want[24], post[24];
    double worst = 0.0, post_gap = 0.0;
    int bad_bytes = 0, nans = 0;
    for (size_t pos = 0; pos < cp->v.len;) {
        int n = tap_segment_bits(r.m, g, &cp->v, pos, 24, 16, want);
        struct rs_dyneval_info in = tap_dyn_update(&r);
        bad_bytes += in.seg_len != n ||
                     memcmp(in.seg, cp->v.bytes + pos, (size_t)n) != 0;
        worst = fmax(worst, tap_max_gap(in.seg_bits, want, n));
        if (isnan(worst))
            break;
        for (int j = 0; j < n; j++)
            nans += isnan(in.seg_bits[j]);
        tap_segment_bits(r.m, g, &cp->v, pos, 24, 16, post);
        post_gap = fmax(post_gap, tap_max_gap(in.seg_bits, post, n));
        pos += (size_t)n;
    }
    tap_is_int(bad_bytes, 0, "order %s: every segment holds the expected bytes",
               pattern);
    tap_is_int(nans, cp->v.ndocs, "order %s: one unscored byte per document",
               pattern);
    tap_ok(worst <= 1e-5,
           "order %s: bits = the weights before the update (max gap %.2g)",
           pattern, worst);
    tap_ok(post_gap > 0.05,
           "order %s: the weights after it score otherwise (max gap %.3f)",
           pattern, post_gap);
    rs_graph_free(g);
    tap_dyn_run_fini(&r);
}

/* The first update starts from theta0 even if the model moved. */
static void
test_theta0_start(struct tap_corpus *cp)
{
    struct rs_dyneval_config c = tap_dyn_parts(24, 16, RS_DYNEVAL_NONE, 0.0);
    struct tap_dyn_run r;
    tap_dyn_run_init(&r, cp, "R", &c);
    rs_nn_module *other = tap_griffin("R", 16, 9);
    tap_copy_params(r.m, other);
    rs_nn_module_release(other);
    rs_graph *g = rs_graph_new();
    float want[24];
    int n = tap_segment_bits(r.anchor, g, &cp->v, 0, 24, 16, want);
    struct rs_dyneval_info in = tap_dyn_update(&r);
    tap_ok(tap_max_gap(in.seg_bits, want, n) <= 1e-5 &&
               tap_params_equal(rs_nn_module_model(r.m),
                                rs_nn_module_model(r.anchor)),
           "the first update copies theta0 into the model, then scores");
    rs_graph_free(g);
    tap_dyn_run_fini(&r);
}

/* ---- 2. carry-over: bits of one forward -------------------------------- */

/* All recorded bits of a whole run, at their train-text positions. */
static float *
stream_bits(struct tap_dyn_run *r, const struct rs_text_view *v)
{
    float *got = rs_xmalloc(v->len * sizeof *got);
    size_t pos = 0;
    for (;;) {
        struct rs_dyneval_info in = tap_dyn_update(r);
        if (in.done && pos == v->len)
            break;
        if (pos + (size_t)in.seg_len > v->len)
            tap_bail("stream past the text");
        memcpy(got + pos, in.seg_bits, (size_t)in.seg_len * sizeof *got);
        pos += (size_t)in.seg_len;
    }
    return got;
}

static void
test_carry(struct tap_corpus *cp, const char *pattern)
{
    const struct rs_text_view *v = &cp->v;
    rs_graph *g = rs_graph_new();
    float *want = rs_xmalloc(v->len * sizeof *want);
    /* context beyond every document: one forward over each document */
    struct rs_dyneval_config c = tap_dyn_parts(32, 4096, RS_DYNEVAL_NONE, 0.0);
    struct tap_dyn_run r;
    tap_dyn_run_init(&r, cp, pattern, &c);
    for (int k = 0; k < v->ndocs; k++) {
        want[v->start[k]] = NAN;
        tap_window_bits(r.anchor, g, v->bytes + v->start[k],
                        (int)(v->start[k + 1] - v->start[k]),
                        want + v->start[k] + 1);
    }
    float *got = stream_bits(&r, v);
    double gap = tap_max_gap(got, want, (int)v->len);
    tap_ok(gap <= 1e-4,
           "carry %s: segments of 32 = one forward per document (max gap %.2g)",
           pattern, gap);
    free(got);
    tap_dyn_run_fini(&r);
    /* context 8, L 16: byte p of a document, in the segment from s =
     * 16 floor(p / 16), reads the bytes from s - min(s, 8) to p */
    c = tap_dyn_parts(16, 8, RS_DYNEVAL_NONE, 0.0);
    tap_dyn_run_init(&r, cp, pattern, &c);
    float bits[32];
    for (int k = 0; k < v->ndocs; k++) {
        const uint8_t *doc = v->bytes + v->start[k];
        want[v->start[k]] = NAN;
        for (size_t p = 1; p < v->start[k + 1] - v->start[k]; p++) {
            size_t s = p / 16 * 16, from = s - (s < 8 ? s : 8);
            int W = (int)(p - from + 1);
            tap_window_bits(r.anchor, g, doc + from, W, bits);
            want[v->start[k] + p] = bits[W - 2];
        }
    }
    got = stream_bits(&r, v);
    gap = tap_max_gap(got, want, (int)v->len);
    tap_ok(gap <= 1e-4,
           "carry %s: context 8, L 16: each byte from its own "
           "window (max gap %.2g)",
           pattern, gap);
    free(got);
    tap_dyn_run_fini(&r);
    free(want);
    rs_graph_free(g);
}

/* ---- 3. decay ----------------------------------------------------------- */

/* ||theta - theta0|| recomputed here. */
static double
drift_of(const struct tap_dyn_run *r)
{
    const rs_nn_model *a = rs_nn_module_model(r->m);
    const rs_nn_model *b = rs_nn_module_model(r->anchor);
    double s = 0.0;
    for (int i = 0; i < rs_nn_model_count(a); i++) {
        const rs_tensor *p = rs_nn_model_param(a, i);
        const rs_tensor *q = rs_nn_model_param(b, i);
        for (size_t k = 0; k < p->numel; k++) {
            double e = (double)p->data[k] - (double)q->data[k];
            s += e * e;
        }
    }
    return sqrt(s);
}

/* Drift after `segments` updates under decay (lr 0.1, adapt all). */
static double
drift_after(struct tap_corpus *cp, double decay, int segments)
{
    struct rs_dyneval_config c = tap_dyn_parts(24, 16, RS_DYNEVAL_ALL, 0.1);
    c.decay = decay;
    struct tap_dyn_run r;
    tap_dyn_run_init(&r, cp, "R", &c);
    struct rs_dyneval_info in = {0};
    for (int i = 0; i < segments; i++)
        in = tap_dyn_update(&r);
    double d = drift_of(&r);
    tap_is_float(in.drift, d, 1e-12, 1e-9,
                 "decay %g: info.drift = ||theta - theta0|| (%.4g)", decay, d);
    tap_dyn_run_fini(&r);
    return d;
}

static void
test_decay(struct tap_corpus *cp)
{
    struct rs_dyneval_config c = tap_dyn_parts(24, 16, RS_DYNEVAL_ALL, 0.5);
    c.decay = 1.0;
    struct tap_dyn_run r;
    tap_dyn_run_init(&r, cp, "R", &c);
    for (int i = 0; i < 6; i++)
        tap_dyn_update(&r);
    tap_ok(
        tap_params_equal(rs_nn_module_model(r.m), rs_nn_module_model(r.anchor)),
        "decay 1: theta0 bit for bit after 6 updates at lr 0.5");
    tap_dyn_run_fini(&r);
    double d0 = drift_after(cp, 0.0, 12), d5 = drift_after(cp, 0.5, 12);
    tap_ok(d5 > 0.0 && d5 < d0, "decay 0.5: drift %.4g in (0, %.4g) of decay 0",
           d5, d0);
}

/* ---- 4. adapted subsets ------------------------------------------------- */

static bool
is_mlp(const char *name)
{
    return strstr(name, ".mlp.") != NULL;
}

static bool
is_last(const char *name)
{
    return strncmp(name, "h2.", 3) == 0;
}

static void
subset_case(struct tap_corpus *cp, enum rs_dyneval_adapt adapt,
            bool (*allowed)(const char *))
{
    const char *an = rs_dyneval_adapt_name(adapt);
    struct rs_dyneval_config c = tap_dyn_parts(24, 16, adapt, 0.5);
    struct tap_dyn_run r;
    tap_dyn_run_init(&r, cp, "R", &c);
    struct rs_dyneval_info in = {0};
    for (int i = 0; i < 4; i++)
        in = tap_dyn_update(&r);
    const rs_nn_model *pm = rs_nn_module_model(r.m);
    const rs_nn_model *am = rs_nn_module_model(r.anchor);
    int outside = 0, moved = 0, selected = 0;
    for (int i = 0; i < rs_nn_model_count(pm); i++) {
        const char *name = rs_nn_model_param_name(pm, i);
        bool same =
            param_same(rs_nn_model_param(pm, i), rs_nn_model_param(am, i));
        bool ok = allowed != NULL && allowed(name);
        selected += ok;
        if (!same && !ok) {
            tap_diag("adapt %s moved %s", an, name);
            outside++;
        }
        moved += !same && ok;
    }
    tap_is_int(outside, 0, "adapt %s: the others stay theta0 bit for bit", an);
    tap_is_int(in.adapted, selected, "adapt %s: %d parameters adapt", an,
               selected);
    if (allowed != NULL)
        tap_ok(moved > 0, "adapt %s: %d of them moved", an, moved);
    else
        tap_ok(in.drift == 0.0, "adapt none: drift 0");
    tap_dyn_run_fini(&r);
}

static void
test_subsets(struct tap_corpus *cp)
{
    subset_case(cp, RS_DYNEVAL_MLP, is_mlp);
    subset_case(cp, RS_DYNEVAL_LAST, is_last);
    subset_case(cp, RS_DYNEVAL_NONE, NULL);
}

/* ---- 5. the first RMS step ---------------------------------------------- */

/* Gradients (in a copy of r's anchor) of the mean cross-entropy of bytes
 * 1..W-1 of the window bytes[0..W); then r's model against theta0 -
 * lr g / (|g| + 1e-8) where |g| > 1e-6: the largest relative gap. */
static double
rms_first_gap(const struct tap_dyn_run *r, const uint8_t *bytes, int W,
              double lr, long *compared)
{
    rs_nn_module *cm = tap_griffin("R", 16, 5);
    tap_copy_params(cm, r->anchor);
    rs_graph *g = rs_graph_new();
    int *ids = rs_xmalloc((size_t)W * sizeof *ids);
    int *tgt = rs_xcalloc((size_t)W, sizeof *tgt);
    float *mask = rs_xcalloc((size_t)W, sizeof *mask);
    for (int t = 0; t < W; t++)
        ids[t] = bytes[t];
    for (int t = 0; t + 1 < W; t++) {
        tgt[t] = ids[t + 1];
        mask[t] = 1.0f;
    }
    struct rs_nn_input in = {
        .kind = RS_NN_INPUT_TOKENS, .ids = ids, .B = 1, .T = W};
    rs_tensor *z = rs_nn_module_forward_input(cm, g, &in);
    rs_tensor *loss = z != NULL ? rs_op_cross_entropy(g, z, tgt, mask) : NULL;
    struct rs_error err = {0};
    if (loss == NULL || rs_graph_backward(g, loss, &err) != RS_OK)
        tap_bail("rms gradient: %s", err.msg);
    const rs_nn_model *gm = rs_nn_module_model(cm);
    const rs_nn_model *pm = rs_nn_module_model(r->m);
    const rs_nn_model *am = rs_nn_module_model(r->anchor);
    double worst = 0.0;
    *compared = 0;
    for (int i = 0; i < rs_nn_model_count(gm); i++) {
        const rs_tensor *gt = rs_nn_model_param(gm, i);
        const float *w1 = rs_nn_model_param(pm, i)->data;
        const float *w0 = rs_nn_model_param(am, i)->data;
        for (size_t k = 0; k < gt->numel; k++) {
            double gk = gt->grad[k];
            if (fabs(gk) <= 1e-6)
                continue;
            double want = -lr * gk / (fabs(gk) + 1e-8);
            double got = (double)w1[k] - (double)w0[k];
            worst = fmax(worst, fabs(got - want) / fabs(want));
            (*compared)++;
        }
    }
    rs_graph_free(g);
    free(ids);
    free(tgt);
    free(mask);
    rs_nn_module_release(cm);
    return worst;
}

static void
test_rms(struct tap_corpus *cp)
{
    struct rs_dyneval_config c = tap_dyn_parts(24, 16, RS_DYNEVAL_ALL, 1e-2);
    c.rule = RS_DYNEVAL_RMS;
    c.rms_beta = 0.99;
    struct tap_dyn_run r;
    tap_dyn_run_init(&r, cp, "R", &c);
    tap_dyn_update(&r);
    long n = 0;
    double gap = rms_first_gap(&r, cp->v.bytes, 24, 1e-2, &n);
    tap_ok(n > 1000 && gap <= 1e-4,
           "rms: the first step is -lr g / (|g| + "
           "1e-8) (%ld elements, max relative gap %.2g)",
           n, gap);
    tap_dyn_run_fini(&r);
}

/* ---- 6. doc_reset ------------------------------------------------------- */

static void
test_doc_reset(struct tap_corpus *cp)
{
    const struct rs_text_view *v = &cp->v;
    int segs0 = (int)((v->start[1] + 23) / 24); /* document 1's segments */
    struct rs_dyneval_config cs = tap_dyn_parts(24, 16, RS_DYNEVAL_NONE, 0.0);
    struct rs_dyneval_config cr = tap_dyn_parts(24, 16, RS_DYNEVAL_ALL, 0.5);
    struct rs_dyneval_config cn = cr;
    cr.doc_reset = true;
    struct tap_dyn_run rs, rr, rn;
    tap_dyn_run_init(&rs, cp, "R", &cs);
    tap_dyn_run_init(&rr, cp, "R", &cr);
    tap_dyn_run_init(&rn, cp, "R", &cn);
    struct rs_dyneval_info is = {0}, ir = {0}, in = {0};
    for (int i = 0; i <= segs0; i++) {
        is = tap_dyn_update(&rs);
        ir = tap_dyn_update(&rr);
        in = tap_dyn_update(&rn);
    }
    int n = is.seg_len;
    tap_ok(n == ir.seg_len &&
               memcmp(is.seg, v->bytes + v->start[1], (size_t)n) == 0,
           "doc_reset: segment %d starts document 2", segs0 + 1);
    double gr = tap_max_gap(ir.seg_bits, is.seg_bits, n);
    double gn = tap_max_gap(in.seg_bits, is.seg_bits, n);
    tap_ok(gr <= 1e-6,
           "doc_reset: document 2 starts scored as static (max gap %.2g)", gr);
    tap_ok(gn > 0.05,
           "no doc_reset: the adaptation carries over (max gap %.3f)", gn);
    tap_dyn_run_fini(&rs);
    tap_dyn_run_fini(&rr);
    tap_dyn_run_fini(&rn);
    /* rms: the reset zeroes the state, so document 2's first step is a
     * first step again */
    cr.rule = RS_DYNEVAL_RMS;
    cr.lr = 1e-2;
    tap_dyn_run_init(&rr, cp, "R", &cr);
    for (int i = 0; i <= segs0; i++)
        tap_dyn_update(&rr);
    long cnt = 0;
    double gap = rms_first_gap(&rr, v->bytes + v->start[1], n, 1e-2, &cnt);
    tap_ok(cnt > 1000 && gap <= 1e-4,
           "doc_reset rms: document 2 takes a "
           "first step from theta0 (max relative gap %.2g)",
           gap);
    tap_dyn_run_fini(&rr);
}

int
main(void)
{
    tap_plan_lazy();
    struct tap_corpus cp;
    tap_corpus_init(&cp);
    tap_ok(cp.v.ndocs == 4 && rs_text_ndocs(cp.text) == 4,
           "corpus: 4 documents, %zu bytes", cp.v.len);
    test_order(&cp, "R");
    test_order(&cp, "A");
    test_theta0_start(&cp);
    test_carry(&cp, "R");
    test_carry(&cp, "A");
    test_decay(&cp);
    test_subsets(&cp);
    test_rms(&cp);
    test_doc_reset(&cp);
    tap_corpus_fini(&cp);
    return tap_done();
}
