/* repscope - MIT licence, see COPYING.
 *
 * t_algo_lm_eval.c: the character-LM instruments (algo/lm_eval.c) on
 * models with known answers, written here as test-only module classes:
 *   table  logits row t = table[ids[t]] (256 x 256): all zeros is the
 *          uniform model (exactly 8 bits per byte), a random table a
 *          bigram model whose bpc is a direct sum over the text;
 *   pos    logits row t = s(t) on the byte it reads, 0 elsewhere: on a
 *          text of one repeated byte the bits of row t are a known
 *          function of the context t + 1, so the windowing rule (the
 *          context of every scored byte) and the far positions and bins
 *          are checked against a direct formula;
 *   gate   uniform logits, and "a1" (B, T, 4) recorded with known gates.
 * Texts are views built by hand (several documents, lengths around the
 * window edges).
 */
#include "config.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo/lm_eval.h"
#include "core/graph.h"
#include "core/ops.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "data/text.h"
#include "nn/model.h"
#include "nn/module.h"
#include "tests/tap.h"

#define V 256

/* ---- test modules ------------------------------------------------------ */

enum tkind { TK_TABLE, TK_POS, TK_GATE };

struct tmod {
    enum tkind kind;
    rs_tensor *w;  /* table: (V, V) */
    rs_tensor *a1; /* gate: the last forward's a1 (arena) */
    int calls;     /* forwards run (chunks) */
    int max_n;     /* most windows in one forward */
};

#define GATE_C 4

static void
tmod_destroy(void *impl)
{
    free(impl);
}

static rs_tensor *
tmod_forward(rs_nn_module *m, rs_graph *g, rs_tensor *x)
{
    (void)m;
    (void)x;
    rs_graph_fail(g, RS_EINVAL, "tmod takes tokens");
    return NULL;
}

/* s(t): the logit the pos model gives the byte it reads at row t. */
static double
pos_logit(int t)
{
    return 0.05 * (double)t - 2.0;
}

/* Bits of the pos model's row t when the next byte equals the current. */
static double
pos_bits(int t)
{
    double s = (double)(float)pos_logit(t);
    return (log(255.0 + exp(s)) - s) / log(2.0);
}

static rs_tensor *
tmod_forward_ids(rs_nn_module *m, rs_graph *g, const int *ids, int n, int T)
{
    struct tmod *k = rs_nn_module_impl(m);
    k->calls++;
    k->max_n = n > k->max_n ? n : k->max_n;
    if (k->kind == TK_TABLE)
        return rs_op_embedding(g, k->w, ids, 2, (int[]){n, T});
    rs_tensor *z = rs_graph_tensor(g, 3, (int[]){n, T, V});
    if (z == NULL)
        return NULL;
    memset(z->data, 0, z->numel * sizeof(float));
    if (k->kind == TK_POS)
        for (int i = 0; i < n; i++)
            for (int t = 0; t < T; t++) {
                size_t r = (size_t)i * (size_t)T + (size_t)t;
                z->data[r * V + (size_t)ids[r]] = (float)pos_logit(t);
            }
    if (k->kind == TK_GATE) {
        /* channel c: 0.5^(1 / hl_c), hl = 1, 4, 100; channel 3
         * alternates 1 and 0.25 (mean ln a = ln 0.5 on an even text) */
        static const double hl[3] = {1.0, 4.0, 100.0};
        k->a1 = rs_graph_tensor(g, 3, (int[]){n, T, GATE_C});
        if (k->a1 == NULL)
            return NULL;
        for (int i = 0; i < n; i++)
            for (int t = 0; t < T; t++) {
                float *a =
                    k->a1->data + ((size_t)i * (size_t)T + (size_t)t) * GATE_C;
                for (int c = 0; c < 3; c++)
                    a[c] = (float)pow(0.5, 1.0 / hl[c]);
                a[3] = t % 2 ? 0.25f : 1.0f;
            }
    }
    return z;
}

static enum rs_nn_input_kind
tmod_input_kind(const rs_nn_module *m)
{
    (void)m;
    return RS_NN_INPUT_TOKENS;
}

static rs_tensor *
tmod_recorded(const rs_nn_module *m, const char *name)
{
    const struct tmod *k = rs_nn_module_impl(m);
    return k->kind == TK_GATE && strcmp(name, "a1") == 0 ? k->a1 : NULL;
}

/* A large estimate, so chunks hold few windows and chunking is tested. */
static size_t
tmod_act_floats(const rs_nn_module *m, int T)
{
    (void)m;
    return (size_t)T * 20000;
}

static const struct rs_nn_module_class tmod_class = {
    .kind = "tlm",
    .forward = tmod_forward,
    .forward_ids = tmod_forward_ids,
    .input_kind = tmod_input_kind,
    .recorded = tmod_recorded,
    .act_floats = tmod_act_floats,
    .destroy = tmod_destroy,
};

static rs_nn_module *
tmod_new(enum tkind kind, struct rs_rng *rng)
{
    struct tmod *k = calloc(1, sizeof *k);
    k->kind = kind;
    rs_nn_model *model = rs_nn_model_new("tlm");
    k->w = rs_nn_model_add(model, "weight", 2, (int[]){V, V}, NULL);
    for (size_t i = 0; i < k->w->numel; i++)
        k->w->data[i] = rng != NULL ? 4.0f * rs_rng_uniform(rng) - 2.0f : 0.0f;
    return rs_nn_module_new(&tmod_class, k, model, true);
}

/* ---- texts ------------------------------------------------------------- */

#define MAXDOCS 16

struct text {
    uint8_t *bytes;
    size_t start[MAXDOCS + 1];
    int doc[MAXDOCS];
    struct rs_text_view v;
};

/* Documents of the given lengths, bytes from rng (or all 'a'). */
static void
text_init(struct text *x, const size_t *lens, int n, struct rs_rng *rng)
{
    size_t len = 0;
    x->start[0] = 0;
    for (int k = 0; k < n; k++) {
        len += lens[k];
        x->start[k + 1] = len;
        x->doc[k] = k;
    }
    x->bytes = malloc(len > 0 ? len : 1);
    for (size_t i = 0; i < len; i++)
        x->bytes[i] =
            rng != NULL ? (uint8_t)(rs_rng_uniform(rng) * 255.0f) : 'a';
    x->v = (struct rs_text_view){
        .bytes = x->bytes,
        .len = len,
        .ndocs = n,
        .start = x->start,
        .doc = x->doc,
    };
}

static void
text_fini(struct text *x)
{
    free(x->bytes);
}

static struct rs_lm_eval_spec
spec_in(int T)
{
    struct rs_lm_eval_spec sp;
    rs_lm_eval_spec_default(&sp);
    sp.T = T;
    sp.far = 0;
    return sp;
}

/* ---- cases ------------------------------------------------------------- */

static void
test_uniform(rs_graph *g)
{
    rs_nn_module *m = tmod_new(TK_TABLE, NULL);
    struct rs_rng rng;
    rs_rng_seed(&rng, 3);
    static const size_t lens[] = {1, 2, 9, 10, 23, 40, 300};
    struct text x;
    text_init(&x, lens, 7, &rng);
    struct rs_lm_eval_spec sp = spec_in(8);
    struct rs_lm_eval ev;
    struct rs_error err = {0};
    tap_is_int(rs_lm_eval_text(m, g, &x.v, &sp, &ev, &err), RS_OK,
               "uniform: RS_OK %s", err.msg);
    tap_is_float(ev.bpc_in, 8.0, 1e-6, 0.0, "uniform: exactly 8 bits");
    long want = 0;
    for (int k = 0; k < 7; k++)
        want += (long)lens[k] - 1;
    tap_is_int(ev.n_in, want, "every byte but a document's first, once");
    tap_ok(isnan(ev.bpc_far) && ev.by_pos == NULL, "far = 0: no far part");
    rs_lm_eval_fini(&ev);
    sp.max_chars = 30; /* docs 1, 2, 9, 10 (22 bytes) and 8 bytes of 23 */
    tap_is_int(rs_lm_eval_text(m, g, &x.v, &sp, &ev, &err), RS_OK,
               "max_chars: RS_OK");
    tap_is_int(ev.n_in, 0 + 1 + 8 + 9 + 7, "max_chars 30: bytes before 30");
    rs_lm_eval_fini(&ev);
    text_fini(&x);
    rs_nn_module_release(m);
}

static void
test_bigram(rs_graph *g)
{
    struct rs_rng rng;
    rs_rng_seed(&rng, 11);
    rs_nn_module *m = tmod_new(TK_TABLE, &rng);
    struct tmod *k = rs_nn_module_impl(m);
    static const size_t lens[] = {5, 129, 400, 1, 257, 1000};
    struct text x;
    text_init(&x, lens, 6, &rng);
    /* the direct sum: every byte after a document's first */
    double sum = 0.0;
    long n = 0;
    for (int d = 0; d < 6; d++)
        for (size_t p = x.start[d] + 1; p < x.start[d + 1]; p++) {
            sum += rs_lm_eval_row_bits(k->w->data + (size_t)x.bytes[p - 1] * V,
                                       V, x.bytes[p]);
            n++;
        }
    int Ts[] = {2, 3, 16, 64, 128};
    for (size_t i = 0; i < sizeof Ts / sizeof Ts[0]; i++) {
        struct rs_lm_eval_spec sp = spec_in(Ts[i]);
        struct rs_lm_eval ev;
        struct rs_error err = {0};
        k->calls = 0;
        k->max_n = 0;
        tap_is_int(rs_lm_eval_text(m, g, &x.v, &sp, &ev, &err), RS_OK,
                   "bigram T %d: RS_OK %s", Ts[i], err.msg);
        tap_is_int(ev.n_in, n, "bigram T %d: %ld bytes scored", Ts[i], n);
        tap_is_float(ev.bpc_in, sum / (double)n, 1e-6, 1e-6,
                     "bigram T %d: bpc = the direct sum", Ts[i]);
        tap_ok((size_t)k->max_n <=
                   RS_LM_EVAL_BUDGET / ((size_t)(Ts[i] + 1) * 20000),
               "bigram T %d: chunks of at most the budget (%d calls)", Ts[i],
               k->calls);
        rs_lm_eval_fini(&ev);
    }
    text_fini(&x);
    rs_nn_module_release(m);
}

/* The context of document byte p (1..n-1) under the rule of lm_eval.h,
 * derived here from the windows' starts. */
static int
context_of(size_t p, size_t n, int T)
{
    size_t h = (size_t)T / 2;
    if (p <= (size_t)T || n <= (size_t)T + 1)
        return (int)p;
    size_t k = (p - (size_t)T + h - 1) / h; /* ceil((p - T) / h) */
    size_t s = k * h;
    if (s + (size_t)T > n - 1)
        s = n - 1 - (size_t)T;
    return (int)(p - s);
}

static void
test_contexts(rs_graph *g)
{
    rs_nn_module *m = tmod_new(TK_POS, NULL);
    static const size_t lens[] = {2, 8, 9, 10, 11, 23, 24, 40, 101, 3};
    struct text x;
    text_init(&x, lens, 10, NULL);
    int Ts[] = {2, 7, 8, 9};
    for (size_t i = 0; i < sizeof Ts / sizeof Ts[0]; i++) {
        int T = Ts[i];
        double sum = 0.0;
        long n = 0;
        int late_min = 0, cmax = 0;
        for (int d = 0; d < 10; d++)
            for (size_t p = 1; p < lens[d]; p++) {
                int c = context_of(p, lens[d], T);
                sum += pos_bits(c - 1);
                n++;
                cmax = c > cmax ? c : cmax;
                if (p > (size_t)T && (late_min == 0 || c < late_min))
                    late_min = c;
            }
        struct rs_lm_eval_spec sp = spec_in(T);
        struct rs_lm_eval ev;
        struct rs_error err = {0};
        tap_is_int(rs_lm_eval_text(m, g, &x.v, &sp, &ev, &err), RS_OK,
                   "contexts T %d: RS_OK %s", T, err.msg);
        tap_is_float(ev.bpc_in, sum / (double)n, 1e-9, 1e-7,
                     "contexts T %d: every byte with the rule's context", T);
        tap_is_int(ev.ctx_max, T, "contexts T %d: at most T", T);
        tap_is_int(ev.ctx_late_min, late_min,
                   "contexts T %d: at least %d past the first T", T, late_min);
        tap_ok(late_min >= T - T / 2 + 1,
               "contexts T %d: the bound T - h + 1 holds", T);
        rs_lm_eval_fini(&ev);
    }
    text_fini(&x);
    rs_nn_module_release(m);
}

static void
test_far(rs_graph *g)
{
    rs_nn_module *m = tmod_new(TK_POS, NULL);
    /* candidates at far = 64: doc 0 none, doc 1 one, doc 2 three, doc 3
     * two */
    static const size_t lens[] = {50, 64, 200, 130};
    struct text x;
    text_init(&x, lens, 4, NULL);
    struct rs_lm_eval_spec sp = spec_in(8);
    sp.far = 64;
    sp.far_from = 17;
    sp.bins = 8;
    sp.far_windows = 0;
    struct rs_lm_eval ev;
    struct rs_error err = {0};
    tap_is_int(rs_lm_eval_text(m, g, &x.v, &sp, &ev, &err), RS_OK,
               "far: RS_OK %s", err.msg);
    tap_is_int(ev.far_windows, 6, "far: 6 windows inside documents");
    tap_is_int(ev.n_far, 6L * (64 - 17 + 1), "far: positions 17..64");
    double sum = 0.0;
    for (int p = 17; p <= 64; p++)
        sum += pos_bits(p - 2);
    tap_is_float(ev.bpc_far, sum / 48.0, 1e-9, 1e-7,
                 "far: the bits of positions 17..64");
    float want[2 * 8];
    for (int b = 0; b < 8; b++) {
        double s = 0.0, ps = 0.0;
        int c = 0;
        for (int p = 8 * b + 1; p <= 8 * b + 8; p++)
            if (p >= 2) {
                s += pos_bits(p - 2);
                ps += p;
                c++;
            }
        want[b] = (float)(s / c);
        want[8 + b] = (float)(ps / c);
    }
    tap_is_int(ev.bins, 8, "far: 8 bins");
    if (ev.by_pos != NULL)
        tap_is_floats(ev.by_pos, want, 16, 1e-6, 1e-6,
                      "far: bits and mean position per bin");
    else
        tap_ok(false, "far: bits and mean position per bin");
    rs_lm_eval_fini(&ev);
    sp.far_windows = 2;
    tap_is_int(rs_lm_eval_text(m, g, &x.v, &sp, &ev, &err), RS_OK,
               "far_windows 2: RS_OK");
    tap_is_int(ev.far_windows, 2, "far_windows 2: 2 scored");
    rs_lm_eval_fini(&ev);
    sp.far = 256;
    sp.far_from = 100;
    tap_is_int(rs_lm_eval_text(m, g, &x.v, &sp, &ev, &err), RS_EINVAL,
               "far 256: no document that long");
    tap_is_str(err.msg,
               "lm_eval: far: no document of 256 bytes (the longest has "
               "200)",
               "far 256: the message");
    text_fini(&x);
    rs_nn_module_release(m);
}

static void
test_errors(rs_graph *g)
{
    rs_nn_module *m = tmod_new(TK_TABLE, NULL);
    static const size_t lens[] = {30};
    struct text x;
    text_init(&x, lens, 1, NULL);
    struct {
        struct rs_lm_eval_spec sp;
        const char *msg;
    } cases[] = {
        {{.T = 1, .far = 0}, "lm_eval: T = 1 (must be in 2..1048576)"},
        {{.T = 8, .far = 1, .far_from = 2, .bins = 1},
         "lm_eval: far = 1 (must be 0 or in 2..1048576)"},
        {{.T = 8, .far = 16, .far_from = 1, .bins = 1},
         "lm_eval: far_from = 1 (must be in 2..16, the far length)"},
        {{.T = 8, .far = 16, .far_from = 17, .bins = 1},
         "lm_eval: far_from = 17 (must be in 2..16, the far length)"},
        {{.T = 8, .far = 16, .far_from = 9, .bins = 17},
         "lm_eval: bins = 17 (must be in 1..16)"},
        {{.T = 8, .far = 16, .far_from = 9, .bins = 2, .far_windows = -1},
         "lm_eval: far_windows = -1 (must be >= 0)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct rs_lm_eval ev;
        struct rs_error err = {0};
        tap_is_int(rs_lm_eval_text(m, g, &x.v, &cases[i].sp, &ev, &err),
                   RS_EINVAL, "error %zu: RS_EINVAL", i);
        tap_is_str(err.msg, cases[i].msg, "error %zu: the message", i);
    }
    /* a feature module */
    struct rs_error err = {0};
    rs_nn_module *lin =
        rs_nn_module_linear(4, 4, false, RS_INIT_ZEROS, 1.0f, NULL, &err);
    if (lin == NULL)
        tap_diag("linear: %s", err.msg);
    struct rs_lm_eval_spec sp = spec_in(8);
    struct rs_lm_eval ev;
    tap_is_int(rs_lm_eval_text(lin, g, &x.v, &sp, &ev, &err), RS_EINVAL,
               "a feature model: RS_EINVAL");
    tap_is_str(err.msg,
               "lm_eval: the model (linear) takes features (a model of "
               "token ids is needed)",
               "a feature model: the message");
    /* a token outside the logits */
    int ids[4] = {1, 2, 300, 4};
    float bits[3];
    tap_is_int(rs_lm_eval_bits(m, g, ids, 1, 4, bits, &err), RS_EINVAL,
               "a token past the vocab: RS_EINVAL");
    tap_ok(strstr(err.msg, "embedding") != NULL ||
               strstr(err.msg, "outside") != NULL,
           "a token past the vocab: %s", err.msg);
    tap_ok(rs_graph_grad_enabled(g), "the grad flag is restored");
    rs_nn_module_release(lin);
    text_fini(&x);
    rs_nn_module_release(m);
}

static void
test_gates(rs_graph *g)
{
    rs_nn_module *m = tmod_new(TK_GATE, NULL);
    const uint8_t text[] = "gates along a text!";
    int len = (int)sizeof text - 2; /* 18: even */
    struct rs_lm_gates gt;
    struct rs_error err = {0};
    tap_is_int(rs_lm_eval_gates_module(m, g, text, len, 1, &gt, &err), RS_OK,
               "gates: RS_OK %s", err.msg);
    tap_is_int(gt.C, GATE_C, "gates: C");
    tap_is_int(gt.len, len, "gates: len");
    tap_is_float(gt.a[0 * len + 5], 0.5, 1e-7, 0.0, "gates: a (0, 5)");
    tap_is_float(gt.a[3 * len + 4], 1.0, 0.0, 0.0, "gates: a (3, 4)");
    tap_is_float(gt.a[3 * len + 5], 0.25, 0.0, 0.0, "gates: a (3, 5)");
    const float hl[GATE_C] = {1.0f, 4.0f, 100.0f, 1.0f};
    tap_is_floats(gt.half_life, hl, GATE_C, 0.0, 1e-5,
                  "gates: half-lives ln 0.5 / mean ln a");
    float counts[RS_LM_EVAL_HL_BINS];
    rs_lm_eval_half_life_hist(gt.half_life, GATE_C, counts);
    /* 1 -> [1, 2) bin 1 (twice, allowing 0.99999 in bin 0), 4 -> bin 3,
     * 100 -> [64, 128) bin 7 */
    tap_is_float(counts[0] + counts[1], 2.0, 0.0, 0.0, "hist: 1, 1");
    tap_is_float(counts[3], 1.0, 0.0, 0.0, "hist: 4 in [4, 8)");
    tap_is_float(counts[7], 1.0, 0.0, 0.0, "hist: 100 in [64, 128)");
    rs_lm_eval_gates_fini(&gt);
    const float edge[] = {0.0f,     0.5f,     1.0f, 2.0f,
                          16384.0f, INFINITY, NAN,  -1.0f};
    rs_lm_eval_half_life_hist(edge, 8, counts);
    tap_ok(counts[0] == 2.0f && counts[1] == 1.0f && counts[2] == 1.0f &&
               counts[RS_LM_EVAL_HL_BINS - 1] == 2.0f,
           "hist: edges, inf in the last bin, NaN and negatives dropped");
    tap_is_int(rs_lm_eval_gates_module(m, g, text, len, 2, &gt, &err),
               RS_EINVAL, "gates: layer 2: RS_EINVAL");
    tap_is_str(err.msg,
               "lm_eval: gates: the model (tlm) records no a2 (a recurrent "
               "model with at least 2 recurrent layers is needed)",
               "gates: layer 2: the message");
    rs_nn_module_release(m);
    rs_nn_module *u = tmod_new(TK_TABLE, NULL);
    tap_is_int(rs_lm_eval_gates_module(u, g, text, len, 1, &gt, &err),
               RS_EINVAL, "gates: a model without gates: RS_EINVAL");
    tap_is_int(rs_lm_eval_gates_module(u, g, text, 0, 1, &gt, &err), RS_EINVAL,
               "gates: an empty text: RS_EINVAL");
    rs_nn_module_release(u);
}

int
main(void)
{
    tap_plan_lazy();
    rs_graph *g = rs_graph_new();
    test_uniform(g);
    test_bigram(g);
    test_contexts(g);
    test_far(g);
    test_errors(g);
    test_gates(g);
    rs_graph_free(g);
    return tap_done();
}
