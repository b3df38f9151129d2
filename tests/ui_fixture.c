/* repscope - MIT licence, see COPYING.
 *
 * ui_fixture.c: golden comparison and widget data for the ui tests (see
 * ui_fixture.h).
 */
#include "config.h"

#include "tests/ui_fixture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "tests/tap.h"

const struct rs_ui_ctx fx_utf8 = {RS_COLOR_256, false, NULL, false};
const struct rs_ui_ctx fx_mono = {RS_COLOR_MONO, false, NULL, false};
const struct rs_ui_ctx fx_ascii = {RS_COLOR_MONO, true, NULL, false};

/* ---- golden files ------------------------------------------------------ */

static char *
slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = rs_xmalloc(cap);
    size_t r;
    while ((r = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += r;
        if (cap - len < 2)
            buf = rs_xreallocarray(buf, cap *= 2, 1);
    }
    buf[len] = 0;
    fclose(f);
    return buf;
}

/* Line i (0-based) of s into out (without the newline); false past the
 * end. */
static bool
line_of(const char *s, int i, char *out, size_t n)
{
    for (; i > 0 && s != NULL; i--) {
        s = strchr(s, '\n');
        if (s != NULL)
            s++;
    }
    if (s == NULL || *s == 0)
        return false;
    size_t len = strcspn(s, "\n");
    len = len < n - 1 ? len : n - 1;
    memcpy(out, s, len);
    out[len] = 0;
    return true;
}

bool
golden_check_text(const char *got, const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "tests/golden/%s.txt", name);
    char *path = tap_srcpath(rel);
    const char *upd = getenv("RS_GOLDEN_UPDATE");
    if (upd != NULL && strcmp(upd, "1") == 0) {
        FILE *f = fopen(path, "wb");
        bool ok = f != NULL && fputs(got, f) >= 0;
        if (f != NULL)
            ok = fclose(f) == 0 && ok;
        free(path);
        return tap_ok(ok, "golden %s rewritten", name);
    }
    char *want = slurp(path);
    if (want == NULL) {
        tap_ok(false, "golden %s", name);
        tap_diag("cannot read %s (RS_GOLDEN_UPDATE=1 writes it)", path);
        free(path);
        return false;
    }
    free(path);
    bool same = strcmp(want, got) == 0;
    tap_ok(same, "golden %s", name);
    if (!same) {
        char a[2048], b[2048];
        int shown = 0;
        for (int i = 0; shown < 16; i++) {
            bool ha = line_of(want, i, a, sizeof a);
            bool hb = line_of(got, i, b, sizeof b);
            if (!ha && !hb)
                break;
            if (ha && hb && strcmp(a, b) == 0)
                continue;
            tap_diag("@@ line %d", i + 1);
            if (ha)
                tap_diag("-%s", a);
            if (hb)
                tap_diag("+%s", b);
            shown++;
        }
    }
    free(want);
    return same;
}

bool
golden_check(const struct rs_canvas *cv, bool ascii, const char *name)
{
    char *got = rs_canvas_dump_string(cv, ascii);
    bool ok = golden_check_text(got, name);
    free(got);
    return ok;
}

/* ---- data ------------------------------------------------------------------
 */

/* Deterministic noise in [-0.5, 0.5). */
static double
noise(long k)
{
    uint64_t x = (uint64_t)k * 0x9e3779b97f4a7c15ull;
    x ^= x >> 31;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 29;
    return (double)(x >> 11) / 9007199254740992.0 - 0.5;
}

static double
clamp01(double v)
{
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

double
fx_train_acc(long step)
{
    return clamp01(1.0 - 0.99 * exp(-step / 300.0) + 0.04 * noise(step));
}

double
fx_test_acc(long step)
{
    return clamp01(0.02 + 0.96 / (1.0 + exp(-(step - 5200) / 350.0)) +
                   0.05 * noise(step + 7919));
}

double
fx_loss(long step)
{
    double e = exp(-step / 800.0);
    return 4.6 * e + 0.002 + 0.3 * e * noise(step + 104729);
}

double
fx_return(long step)
{
    return 200.0 * (1.0 - exp(-step / 2000.0)) + 100.0 * noise(step + 31);
}

static void
point(struct rs_bus_point *p, long step, double v)
{
    float f = (float)v;
    *p = (struct rs_bus_point){(double)step, (double)step, f, f, f, f, 1};
}

void
fx_run_init(struct fx_run *run)
{
    memset(run, 0, sizeof *run);
    for (long i = 0; i < FX_NPTS; i++) {
        long step = (i + 1) * FX_EVAL_EVERY;
        point(&run->train[i], step, fx_train_acc(step));
        point(&run->test[i], step, fx_test_acc(step));
        point(&run->loss[i], step, fx_loss(step));
    }
    for (long i = 0; i < FX_STEPS / FX_RET_SPAN; i++) {
        struct rs_bus_point *q = &run->ret[i];
        double sum = 0;
        for (long k = 0; k < FX_RET_SPAN; k++) {
            long step = i * FX_RET_SPAN + k + 1;
            float v = (float)fx_return(step);
            if (k == 0 || v < q->min)
                q->min = v;
            if (k == 0 || v > q->max)
                q->max = v;
            sum += (double)v;
            q->last = v;
        }
        q->step_lo = (double)(i * FX_RET_SPAN + 1);
        q->step_hi = (double)((i + 1) * FX_RET_SPAN);
        q->mean = (float)(sum / FX_RET_SPAN);
        q->count = FX_RET_SPAN;
    }
    run->ret_series[0] = (struct rs_chart_series){
        "return", run->ret, FX_STEPS / FX_RET_SPAN, RS_COLOR_DEFAULT};
    rs_chart_init(&run->retc);
    run->retc.title = "episode return";
    run->retc.series = run->ret_series;
    run->retc.nseries = 1;
    run->acc_series[0] = (struct rs_chart_series){"train", run->train, FX_NPTS,
                                                  RS_COLOR_DEFAULT};
    run->acc_series[1] =
        (struct rs_chart_series){"test", run->test, FX_NPTS, RS_COLOR_DEFAULT};
    run->loss_series[0] = (struct rs_chart_series){"train/loss", run->loss,
                                                   FX_NPTS, RS_COLOR_DEFAULT};
    run->events[0] = (struct rs_chart_event){3000, "lr 1e-3\u21923e-4"};
    run->thresholds[0] = (struct rs_chart_threshold){1, 0.5, "50%"};
    run->thresholds[1] = (struct rs_chart_threshold){1, 0.9, "90%"};
    rs_chart_init(&run->acc);
    run->acc.title = "accuracy";
    run->acc.series = run->acc_series;
    run->acc.nseries = 2;
    run->acc.events = run->events;
    run->acc.nevents = 1;
    run->acc.thresholds = run->thresholds;
    run->acc.nthresholds = 2;
    rs_chart_init(&run->lossc);
    run->lossc.title = "loss";
    run->lossc.series = run->loss_series;
    run->lossc.nseries = 1;
    run->lossc.events = run->events;
    run->lossc.nevents = 1;
    run->lossc.log_y = true;
}

void
fx_rank_init(struct fx_rank *r)
{
    static const char *const labels[5] = {"L1", "L3", "L6", "L9", "L11"};
    memset(r, 0, sizeof *r);
    for (int i = 0; i < 128; i++)
        r->s[i] = (float)(12.0 * exp(-0.45 * i) + 0.02 * exp(-0.01 * i));
    for (int t = 0; t < 62; t++) {
        r->steps[t] = 100.0 * t;
        for (int l = 0; l < 5; l++) {
            double c = 1.0 / (1.0 + exp(-(t - 30 + 4 * l) / 4.0));
            double v = 120.0 * pow(0.05 + 0.95 * (1 - c), 1 + 0.4 * l);
            r->strip[l * 62 + t] = t < 48 ? (float)v : NAN;
        }
    }
    r->events[0] = (struct rs_chart_event){3000, "lr 1e-3\u21923e-4"};
    r->sp = (struct rs_spectrum){"spectrum", "L6", r->s, 128, 9, 14.2};
    r->rk = (struct rs_rankstrip){"feature rank", r->strip, 5,   62,
                                  labels,         NULL,     128, r->steps,
                                  r->events,      1,        2};
}

void
fx_neurons_init(struct fx_neurons *n)
{
    static const char *const names[3] = {"L5", "L6", "L7"};
    static const int units[3] = {128, 128, 96};
    memset(n, 0, sizeof *n);
    for (int l = 0; l < 3; l++) {
        for (int i = 0; i < units[l]; i++) {
            double u = noise(1000 * l + i) + 0.5;
            float f = (float)(0.1 + 0.8 * u);
            if (l == 1 && (37 * i) % 128 < FX_DEAD_L6)
                f = 0.0f; /* exactly 37 dead: i -> 37 i mod 128 permutes */
            else if (l != 1 && (i * 11) % 17 == 3)
                f = 0.0f;
            else if (i % 23 == 5)
                f = 0.01f; /* rarely on */
            else if (i % 29 == 7)
                f = 1.0f; /* always on */
            n->f[l][i] = f;
        }
        n->layers[l] = (struct rs_neuron_layer){names[l], n->f[l], units[l]};
    }
    n->nm = (struct rs_neuronmap){"neurons", n->layers, 3, 0.05f, 1};
}

void
fx_heat_init(struct fx_heat *h)
{
    static const char *const toks[10] = {"The",   "quick", "brown", "fox",
                                         "jumps", "over",  "the",   "lazy",
                                         "dog",   "<eos>"};
    static const char *const layers[6] = {"L0", "L1", "L2", "L3", "L4", "L5"};
    for (int r = 0; r < 6; r++)
        for (int c = 0; c < 10; c++)
            h->tok[r * 10 + c] = (float)exp(-(9 - c) * (0.2 + 0.15 * r));
    for (int r = 0; r < 16; r++)
        for (int c = 0; c < 24; c++)
            h->sig[r * 24 + c] = (float)(sin(r * 0.5) * cos(c * 0.3));
    rs_heatmap_init(&h->tokens);
    h->tokens.title = "token sensitivity";
    h->tokens.data = h->tok;
    h->tokens.rows = 6;
    h->tokens.cols = 10;
    h->tokens.row_labels = layers;
    h->tokens.col_labels = toks;
    h->tokens.row_name = "layer";
    h->tokens.col_name = "token";
    rs_heatmap_init(&h->signed_map);
    h->signed_map.title = "gate correlation";
    h->signed_map.data = h->sig;
    h->signed_map.rows = 16;
    h->signed_map.cols = 24;
    h->signed_map.diverging = true;
}

void
fx_status_init(struct rs_bus_status *st)
{
    memset(st, 0, sizeof *st);
    st->state = RS_SESSION_RUNNING;
    st->step = 6200;
    st->total = 10000;
    st->steps_per_s = 212;
    st->eta_s = 41;
    st->probe_frac = 0.031;
    st->seed = 1;
    snprintf(st->scene, sizeof st->scene, "grokking");
    snprintf(st->title, sizeof st->title,
             "Grokking in a deep MLP \u00b7 (a+b) mod 97");
    snprintf(st->kernel, sizeof st->kernel, "SkylakeX");
}

const struct rs_keyhint fx_keys[] = {
    {"space", "pause", 0}, {"s", "step", 3},     {"+/-", "speed", 4},
    {"tab", "focus", 2},   {"enter", "zoom", 5}, {"[ ]", "layer", 6},
    {":", "console", 1},   {"e", "export", 7},   {"?", "help", 0},
    {"q", "quit", 0},
};
const int fx_nkeys = (int)RS_ARRAY_LEN(fx_keys);
