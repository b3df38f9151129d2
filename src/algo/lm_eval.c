/* repscope - MIT licence, see COPYING.
 *
 * lm_eval.c: the character language-model instruments (lm_eval.h). Both
 * measures list their windows first (offset in the text, bytes
 * available, the window bytes to score), then run them through the model
 * in chunks of whole windows, with the bits of each scored byte taken in
 * double from the logits. A learner-level instrument, so the learner
 * wrappers read the learner's struct (learner_impl.h) as sparc_eval.c
 * does. Worker thread only.
 */
#include "config.h"

#include "algo/lm_eval.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo/learner_impl.h"

void
rs_lm_eval_spec_default(struct rs_lm_eval_spec *spec)
{
    *spec = (struct rs_lm_eval_spec){
        .T = 128,
        .max_chars = 0,
        .far = 2048,
        .far_from = 513,
        .bins = 16,
        .far_windows = 16,
    };
}

void
rs_lm_eval_fini(struct rs_lm_eval *out)
{
    free(out->by_pos);
    out->by_pos = NULL;
}

void
rs_lm_eval_gates_fini(struct rs_lm_gates *out)
{
    free(out->a);
    free(out->half_life);
    out->a = NULL;
    out->half_life = NULL;
}

double
rs_lm_eval_row_bits(const float *z, int V, int tgt)
{
    double m = (double)z[0];
    for (int v = 1; v < V; v++)
        if ((double)z[v] > m)
            m = (double)z[v];
    double s = 0.0;
    for (int v = 0; v < V; v++)
        s += exp((double)z[v] - m);
    return (m + log(s) - (double)z[tgt]) / log(2.0);
}

/* Copy the graph's error into err (a forward that returned NULL without
 * one is RS_EINVAL) and reset g; the code. */
static int
graph_error(rs_graph *g, struct rs_error *err)
{
    const struct rs_error *ge = rs_graph_error(g);
    int code = ge->code != RS_OK ? ge->code : RS_EINVAL;
    rs_error_set(err, code, "%s",
                 ge->code != RS_OK ? ge->msg : "lm_eval: the forward failed");
    rs_graph_reset(g);
    return code;
}

/* The forward of ids (n, W) with grad off; the logits or NULL + err
 * (g reset then). The grad flag is restored by the caller. */
static rs_tensor *
forward(rs_nn_module *m, rs_graph *g, const int *ids, int n, int W,
        struct rs_error *err)
{
    if (rs_nn_module_input_kind(m) != RS_NN_INPUT_TOKENS) {
        rs_error_set(err, RS_EINVAL,
                     "lm_eval: the model (%s) takes features (a model of "
                     "token ids is needed)",
                     rs_nn_module_kind(m));
        return NULL;
    }
    rs_graph_reset(g);
    struct rs_nn_input in = {
        .kind = RS_NN_INPUT_TOKENS, .ids = ids, .B = n, .T = W};
    rs_tensor *z = rs_nn_module_forward_input(m, g, &in);
    if (z == NULL || rs_graph_error(g)->code != RS_OK) {
        graph_error(g, err);
        return NULL;
    }
    return z;
}

int
rs_lm_eval_bits(rs_nn_module *m, rs_graph *g, const int *ids, int n, int W,
                float *bits, struct rs_error *err)
{
    if (n < 1 || W < 2)
        return rs_error_set(err, RS_EINVAL,
                            "lm_eval: %d windows of %d tokens (at least 1 "
                            "window of 2 is needed)",
                            n, W);
    bool grad = rs_graph_grad_enabled(g);
    rs_graph_set_grad(g, false);
    rs_tensor *z = forward(m, g, ids, n, W, err);
    if (z == NULL) {
        rs_graph_set_grad(g, grad);
        return err != NULL ? err->code : RS_EINVAL;
    }
    int rc = RS_OK;
    if (z->ndim != 3 || z->shape[0] != n || z->shape[1] != W) {
        char buf[64];
        rc = rs_error_set(err, RS_ESHAPE,
                          "lm_eval: the model gives %s for %d windows of "
                          "%d tokens ((n, T, V) expected)",
                          rs_tensor_shape_str(z, buf, sizeof buf), n, W);
    }
    int V = rc == RS_OK ? z->shape[2] : 0;
    for (int i = 0; rc == RS_OK && i < n; i++)
        for (int t = 0; t + 1 < W; t++) {
            int y = ids[(size_t)i * (size_t)W + (size_t)t + 1];
            if (y < 0 || y >= V) {
                rc = rs_error_set(err, RS_EINVAL,
                                  "lm_eval: token %d at (%d, %d) is outside "
                                  "the model's %d logits",
                                  y, i, t + 1, V);
                break;
            }
            const float *zr =
                z->data + ((size_t)i * (size_t)W + (size_t)t) * (size_t)V;
            bits[(size_t)i * (size_t)(W - 1) + (size_t)t] =
                (float)rs_lm_eval_row_bits(zr, V, y);
        }
    rs_graph_reset(g);
    rs_graph_set_grad(g, grad);
    return rc;
}

/* One window: bytes text[off .. off + len) (len <= W; the rest is
 * padded), scoring its bytes a..b (window indices, 1 <= a <= b < len);
 * doc0 is the document position of its first byte. */
struct win {
    size_t off;
    int len, a, b;
    size_t doc0;
};

/* What the scored bits add up to. */
struct acc {
    bool far;
    int T; /* in: the first T bytes of a document have all their context */
    double sum_in;
    long n_in;
    int ctx_late_min, ctx_max;
    int far_len, far_from, bins;
    double sum_far;
    long n_far;
    double *bin_sum, *bin_pos; /* (bins) */
    long *bin_n;
};

static void
add_window(struct acc *ac, const struct win *w, const float *bits)
{
    for (int j = w->a; j <= w->b; j++) {
        double b = (double)bits[j - 1]; /* row j - 1 scores byte j */
        if (!ac->far) {
            ac->sum_in += b;
            ac->n_in++;
            if (j > ac->ctx_max)
                ac->ctx_max = j;
            if (w->doc0 + (size_t)j > (size_t)ac->T &&
                (ac->ctx_late_min == 0 || j < ac->ctx_late_min))
                ac->ctx_late_min = j;
            continue;
        }
        int p = j + 1; /* 1-based position */
        int bin = (int)((long long)(p - 1) * ac->bins / ac->far_len);
        ac->bin_sum[bin] += b;
        ac->bin_pos[bin] += (double)p;
        ac->bin_n[bin]++;
        if (p >= ac->far_from) {
            ac->sum_far += b;
            ac->n_far++;
        }
    }
}

/* Windows per chunk at width W: the budget over the module's estimate
 * plus the logits (256 per position at least). */
static int
chunk_windows(rs_nn_module *m, int W)
{
    size_t per = rs_nn_module_act_floats(m, W) + (size_t)W * 256;
    size_t n = RS_LM_EVAL_BUDGET / per;
    if (n < 1)
        n = 1;
    return n > RS_LM_EVAL_CHUNK_MAX ? RS_LM_EVAL_CHUNK_MAX : (int)n;
}

/* Score wins[0..nw) of width W over text. */
static int
run_windows(rs_nn_module *m, rs_graph *g, const uint8_t *text,
            const struct win *wins, size_t nw, int W, struct acc *ac,
            struct rs_error *err)
{
    int chunk = chunk_windows(m, W);
    if ((size_t)chunk > nw)
        chunk = (int)nw;
    int *ids = rs_xcalloc((size_t)chunk * (size_t)W, sizeof *ids);
    float *bits = rs_xcalloc((size_t)chunk * (size_t)(W - 1), sizeof *bits);
    int rc = RS_OK;
    for (size_t i0 = 0; rc == RS_OK && i0 < nw; i0 += (size_t)chunk) {
        int n = nw - i0 < (size_t)chunk ? (int)(nw - i0) : chunk;
        memset(ids, 0, (size_t)n * (size_t)W * sizeof *ids);
        for (int i = 0; i < n; i++) {
            const struct win *w = &wins[i0 + (size_t)i];
            for (int t = 0; t < w->len; t++)
                ids[(size_t)i * (size_t)W + (size_t)t] =
                    text[w->off + (size_t)t];
        }
        rc = rs_lm_eval_bits(m, g, ids, n, W, bits, err);
        for (int i = 0; rc == RS_OK && i < n; i++)
            add_window(ac, &wins[i0 + (size_t)i],
                       bits + (size_t)i * (size_t)(W - 1));
    }
    free(ids);
    free(bits);
    return rc;
}

/* A growing list of windows. */
struct wins {
    struct win *w;
    size_t n, cap;
};

static void
push_win(struct wins *l, struct win w)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->w = rs_xreallocarray(l->w, l->cap, sizeof *l->w);
    }
    l->w[l->n++] = w;
}

/* The bpc_in windows of a document at off of n bytes (see the header). */
static void
doc_windows(struct wins *l, size_t off, size_t n, int T)
{
    if (n < 2)
        return;
    size_t W = (size_t)T + 1, h = (size_t)T / 2;
    if (n <= W) {
        push_win(l, (struct win){off, (int)n, 1, (int)n - 1, 0});
        return;
    }
    push_win(l, (struct win){off, (int)W, 1, T, 0});
    size_t end = (size_t)T; /* last byte scored */
    for (size_t s = h; s + (size_t)T <= n - 1; s += h) {
        push_win(l, (struct win){off + s, (int)W, (int)(end + 1 - s), T, s});
        end = s + (size_t)T;
    }
    if (end < n - 1) {
        size_t s = n - 1 - (size_t)T;
        push_win(l, (struct win){off + s, (int)W, (int)(end + 1 - s), T, s});
    }
}

static int
check_spec(const struct rs_lm_eval_spec *sp, struct rs_error *err)
{
    if (sp->T < 2 || sp->T > (1 << 20))
        return rs_error_set(err, RS_EINVAL,
                            "lm_eval: T = %d (must be in 2..%d)", sp->T,
                            1 << 20);
    if (sp->far == 0)
        return RS_OK;
    if (sp->far < 2 || sp->far > (1 << 20))
        return rs_error_set(err, RS_EINVAL,
                            "lm_eval: far = %d (must be 0 or in 2..%d)",
                            sp->far, 1 << 20);
    if (sp->far_from < 2 || sp->far_from > sp->far)
        return rs_error_set(err, RS_EINVAL,
                            "lm_eval: far_from = %d (must be in 2..%d, the "
                            "far length)",
                            sp->far_from, sp->far);
    int most = sp->far < RS_LM_EVAL_BINS_MAX ? sp->far : RS_LM_EVAL_BINS_MAX;
    if (sp->bins < 1 || sp->bins > most)
        return rs_error_set(err, RS_EINVAL,
                            "lm_eval: bins = %d (must be in 1..%d)", sp->bins,
                            most);
    if (sp->far_windows < 0)
        return rs_error_set(err, RS_EINVAL,
                            "lm_eval: far_windows = %d (must be >= 0)",
                            sp->far_windows);
    return RS_OK;
}

/* The far part: candidates, the chosen ones (*taken), their bits into
 * ac. */
static int
eval_far(rs_nn_module *m, rs_graph *g, const struct rs_text_view *v,
         const struct rs_lm_eval_spec *sp, struct acc *ac, int *taken,
         struct rs_error *err)
{
    size_t F = (size_t)sp->far, longest = 0;
    struct wins cand = {0};
    for (int k = 0; k < v->ndocs; k++) {
        size_t n = v->start[k + 1] - v->start[k];
        longest = n > longest ? n : longest;
        for (size_t s = 0; s + F <= n; s += F)
            push_win(&cand,
                     (struct win){v->start[k] + s, sp->far, 1, sp->far - 1, s});
    }
    if (cand.n == 0)
        return rs_error_set(err, RS_EINVAL,
                            "lm_eval: far: no document of %d bytes (the "
                            "longest has %zu)",
                            sp->far, longest);
    size_t take = cand.n;
    if (sp->far_windows > 0 && (size_t)sp->far_windows < cand.n) {
        take = (size_t)sp->far_windows;
        for (size_t i = 0; i < take; i++)
            cand.w[i] = cand.w[i * cand.n / take];
    }
    int rc = run_windows(m, g, v->bytes, cand.w, take, sp->far, ac, err);
    free(cand.w);
    *taken = (int)take;
    return rc;
}

int
rs_lm_eval_text(rs_nn_module *m, rs_graph *g, const struct rs_text_view *v,
                const struct rs_lm_eval_spec *sp, struct rs_lm_eval *out,
                struct rs_error *err)
{
    memset(out, 0, sizeof *out);
    if (check_spec(sp, err) != RS_OK)
        return RS_EINVAL;
    struct acc ac = {.T = sp->T};
    struct wins l = {0};
    size_t lim =
        sp->max_chars > 0 && sp->max_chars < v->len ? sp->max_chars : v->len;
    for (int k = 0; k < v->ndocs && v->start[k] < lim; k++) {
        size_t end = v->start[k + 1] < lim ? v->start[k + 1] : lim;
        doc_windows(&l, v->start[k], end - v->start[k], sp->T);
    }
    int rc = RS_OK;
    if (l.n > 0)
        rc = run_windows(m, g, v->bytes, l.w, l.n, sp->T + 1, &ac, err);
    free(l.w);
    if (rc != RS_OK)
        return rc;
    out->n_in = ac.n_in;
    out->bpc_in = ac.n_in > 0 ? ac.sum_in / (double)ac.n_in : (double)NAN;
    out->ctx_late_min = ac.ctx_late_min;
    out->ctx_max = ac.ctx_max;
    out->bpc_far = NAN;
    if (sp->far == 0)
        return RS_OK;
    int B = sp->bins;
    ac.far = true;
    ac.far_len = sp->far;
    ac.far_from = sp->far_from;
    ac.bins = B;
    ac.bin_sum = rs_xcalloc((size_t)B, sizeof *ac.bin_sum);
    ac.bin_pos = rs_xcalloc((size_t)B, sizeof *ac.bin_pos);
    ac.bin_n = rs_xcalloc((size_t)B, sizeof *ac.bin_n);
    int nf = 0;
    rc = eval_far(m, g, v, sp, &ac, &nf, err);
    if (rc == RS_OK) {
        out->far_windows = nf;
        out->n_far = ac.n_far;
        out->bpc_far = ac.sum_far / (double)ac.n_far;
        out->bins = B;
        out->by_pos = rs_xcalloc(2 * (size_t)B, sizeof *out->by_pos);
        for (int b = 0; b < B; b++) {
            double c = (double)ac.bin_n[b];
            out->by_pos[b] = ac.bin_n[b] ? (float)(ac.bin_sum[b] / c) : NAN;
            out->by_pos[B + b] = ac.bin_n[b] ? (float)(ac.bin_pos[b] / c) : NAN;
        }
    }
    free(ac.bin_sum);
    free(ac.bin_pos);
    free(ac.bin_n);
    return rc;
}

/* The test split of l's text source, or RS_EINVAL. */
static int
test_view(rs_learner *l, struct rs_text_view *v, struct rs_error *err)
{
    rs_text *t = rs_source_text_corpus(l->src);
    if (t == NULL)
        return rs_error_set(err, RS_EINVAL,
                            "lm_eval: the learner's data is a %s source (a "
                            "text source is needed)",
                            rs_source_kind(l->src));
    rs_text_view(t, RS_SPLIT_TEST, -1, v);
    if (v->len == 0)
        return rs_error_set(err, RS_EINVAL,
                            "lm_eval: the text has no test documents "
                            "(test_frac = 0?)");
    return RS_OK;
}

int
rs_lm_eval(rs_learner *l, const struct rs_lm_eval_spec *spec,
           struct rs_lm_eval *out, struct rs_error *err)
{
    memset(out, 0, sizeof *out);
    struct rs_text_view v;
    if (test_view(l, &v, err) != RS_OK)
        return RS_EINVAL;
    l->probe_valid = false;
    return rs_lm_eval_text(l->mod[0], l->g, &v, spec, out, err);
}

void
rs_lm_eval_log(const rs_learner *l, const struct rs_lm_eval *ev)
{
    if (l->log == NULL)
        return;
    char name[RS_NAME_MAX];
    if (ev->n_in > 0)
        l->log(l->log_ud, rs_learner_metric(l, name, "eval", "bpc_in", NULL),
               ev->bpc_in);
    if (ev->far_windows > 0)
        l->log(l->log_ud, rs_learner_metric(l, name, "eval", "bpc_far", NULL),
               ev->bpc_far);
}

/* ---- gates ------------------------------------------------------------ */

int
rs_lm_eval_gates_module(rs_nn_module *m, rs_graph *g, const uint8_t *text,
                        int len, int layer, struct rs_lm_gates *out,
                        struct rs_error *err)
{
    memset(out, 0, sizeof *out);
    if (len < 1)
        return rs_error_set(err, RS_EINVAL, "lm_eval: gates: an empty text");
    if (layer < 1)
        return rs_error_set(err, RS_EINVAL,
                            "lm_eval: gates: layer = %d (must be >= 1)", layer);
    int *ids = rs_xcalloc((size_t)len, sizeof *ids);
    for (int t = 0; t < len; t++)
        ids[t] = text[t];
    bool grad = rs_graph_grad_enabled(g);
    rs_graph_set_grad(g, false);
    int rc = RS_OK;
    rs_tensor *z = forward(m, g, ids, 1, len, err);
    free(ids);
    if (z == NULL) {
        rs_graph_set_grad(g, grad);
        return err != NULL ? err->code : RS_EINVAL;
    }
    char key[16];
    snprintf(key, sizeof key, "a%d", layer);
    rs_tensor *a = rs_nn_module_recorded(m, key);
    if (a == NULL) {
        rc = rs_error_set(err, RS_EINVAL,
                          "lm_eval: gates: the model (%s) records no %s (a "
                          "recurrent model with at least %d recurrent "
                          "layers is needed)",
                          rs_nn_module_kind(m), key, layer);
    } else if (a->ndim != 3 || a->shape[0] != 1 || a->shape[1] != len) {
        char buf[64];
        rc = rs_error_set(err, RS_ESHAPE,
                          "lm_eval: gates: %s is %s ((1, %d, C) expected)", key,
                          rs_tensor_shape_str(a, buf, sizeof buf), len);
    }
    if (rc == RS_OK) {
        int C = a->shape[2];
        out->C = C;
        out->len = len;
        out->a = rs_xcalloc((size_t)C * (size_t)len, sizeof *out->a);
        out->half_life = rs_xcalloc((size_t)C, sizeof *out->half_life);
        for (int c = 0; c < C; c++) {
            double s = 0.0;
            for (int t = 0; t < len; t++) {
                float at = a->data[(size_t)t * (size_t)C + (size_t)c];
                out->a[(size_t)c * (size_t)len + (size_t)t] = at;
                s += at > 0.0f ? log((double)at) : -(double)INFINITY;
            }
            /* ln 0.5 / mean ln a: s = 0 (a = 1) gives +inf, s = -inf 0 */
            double mean = s / (double)len;
            out->half_life[c] =
                mean < 0.0 ? (float)(log(0.5) / mean) : INFINITY;
        }
    }
    rs_graph_reset(g);
    rs_graph_set_grad(g, grad);
    return rc;
}

int
rs_lm_eval_gates(rs_learner *l, const uint8_t *text, int len, int layer,
                 struct rs_lm_gates *out, struct rs_error *err)
{
    l->probe_valid = false;
    return rs_lm_eval_gates_module(l->mod[0], l->g, text, len, layer, out, err);
}

void
rs_lm_eval_half_life_hist(const float *hl, int C,
                          float counts[RS_LM_EVAL_HL_BINS])
{
    memset(counts, 0, RS_LM_EVAL_HL_BINS * sizeof *counts);
    for (int c = 0; c < C; c++) {
        float t = hl[c];
        if (!(t >= 0.0f))
            continue;
        int b = 0;
        /* bin b >= 1 holds [2^(b-1), 2^b); the last everything above */
        while (b < RS_LM_EVAL_HL_BINS - 1 && t >= ldexpf(1.0f, b))
            b++;
        counts[b] += 1.0f;
    }
}
