/* repscope - MIT licence, see COPYING.
 *
 * t_ui_views.c: the view specs and the panels built from them. The JSON
 * the demo scene publishes parses into the specs it says (hand-checked
 * fields); malformed JSON fails with the reader's message (the offset,
 * what was expected, what was found), escapes decode to UTF-8,
 * unknown kinds are skipped, at most RS_VIEWSPEC_VIEWS_MAX views are
 * kept; default views from bus names; panels filled
 * from a bus: a restarted series keeps only its new run, thresholds on
 * test/acc, the rank strip resampled to its width (means computed here
 * independently), neuron layers and the layer selection, SVG export.
 * Names: specs whose names carry a learner prefix ("a/spectrum/l1") are
 * read as they are and follow the layer selection by swapping the layer
 * part, never the bare names beside them; specs that leave names out are
 * completed (the bare layout, or the owner of their matrix).
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/bus.h"
#include "run/json.h"
#include "tests/tap.h"
#include "ui/chart.h"
#include "ui/neuronmap.h"
#include "ui/spectrum.h"
#include "ui/views.h"
#include "ui/viewspec.h"

/* What scenes/demo_mlp.lua publishes (repscope --test, :views()). */
static const char demo_json[] =
    "{\"notes\":\"Train accuracy climbs first;\\ntest follows.\","
    "\"title\":\"MLP learns (a + b) mod p\",\"version\":1,\"views\":["
    "{\"kind\":\"curves\",\"markers\":true,\"series\":[\"train/acc\","
    "\"test/acc\"],\"title\":\"accuracy\",\"x\":\"log\",\"y\":\"linear\","
    "\"ymax\":1,\"ymin\":0},"
    "{\"kind\":\"curves\",\"markers\":true,\"series\":[\"train/loss\","
    "\"test/loss\"],\"title\":\"loss\",\"x\":\"log\",\"y\":\"log\"},"
    "{\"kind\":\"rank_heatmap\",\"layers\":[\"l1\",\"l2\"],\"metric\":"
    "\"srank\",\"series\":[\"probe/srank/l1\",\"probe/srank/l2\"],"
    "\"title\":\"srank by layer\"},"
    "{\"kind\":\"spectrum\",\"layer\":\"l1\",\"log\":true,\"matrix\":"
    "\"spectrum/l1\",\"series\":[\"probe/srank/l1\",\"probe/erank/l1\"],"
    "\"title\":\"singular values, middle layer\"},"
    "{\"kind\":\"neurons\",\"layer\":\"l1\",\"matrix\":\"neurons/l1\","
    "\"series\":[\"probe/dead/l1\"],\"title\":\"unit activity\"},"
    "{\"kind\":\"future_kind\",\"title\":\"skipped\"},"
    "{\"kind\":\"curves\",\"markers\":false,\"series\":[\"norm/weight\","
    "\"norm/grad\"],\"title\":\"norms\",\"x\":\"linear\",\"y\":\"linear\","
    "\"xlabel\":\"n\",\"xfrom\":\"data\","
    "\"extra\":{\"nested\":[1,2,{\"a\":null}]}}]}";

static void
test_parse(void)
{
    struct rs_error err = {0};
    struct rs_viewspec_set *set = rs_viewspec_parse(demo_json, &err);
    if (!tap_ok(set != NULL, "the demo's view specs parse")) {
        tap_diag("%s", err.msg);
        return;
    }
    tap_is_int(set->n, 6, "six known views (the unknown kind skipped)");
    tap_is_str(set->title, "MLP learns (a + b) mod p", "title");
    tap_is_str(set->notes, "Train accuracy climbs first;\ntest follows.",
               "notes with \\n decoded");
    const struct rs_viewspec *v = set->v;
    tap_ok(v[0].kind == RS_VIEWSPEC_CURVES && v[0].nseries == 2 &&
               strcmp(v[0].series[1], "test/acc") == 0 && v[0].log_x &&
               !v[0].log_y && v[0].ymin == 0 && v[0].ymax == 1 && v[0].markers,
           "accuracy: two series, log x, linear y, 0..1, markers");
    tap_ok(v[1].log_x && v[1].log_y && isnan(v[1].ymin) && isnan(v[1].ymax),
           "loss: log x and y, auto range");
    tap_ok(v[0].xlabel[0] == '\0' && strcmp(v[5].xlabel, "n") == 0,
           "xlabel: none, or the x axis's name");
    tap_ok(!v[0].x_from_data && v[5].x_from_data,
           "xfrom: the x axis from 0, or from the first point (\"data\")");
    tap_ok(isnan(v[0].vmin) && isnan(v[0].vmax), "no value range: auto");
    tap_ok(v[2].kind == RS_VIEWSPEC_RANK && v[2].nlayers == 2 &&
               strcmp(v[2].layers[1], "l2") == 0 &&
               strcmp(v[2].metric, "srank") == 0 &&
               strcmp(v[2].series[0], "probe/srank/l1") == 0,
           "rank heatmap: layers, metric, series");
    tap_ok(v[3].kind == RS_VIEWSPEC_SPECTRUM &&
               strcmp(v[3].matrix, "spectrum/l1") == 0 &&
               strcmp(v[3].layer, "l1") == 0 && v[3].log_y,
           "spectrum: matrix, layer, log");
    tap_ok(v[4].kind == RS_VIEWSPEC_NEURONS &&
               strcmp(v[4].matrix, "neurons/l1") == 0,
           "neurons: matrix");
    tap_ok(strcmp(v[5].title, "norms") == 0 && !v[5].markers && !v[5].log_x,
           "the view after the unknown one; markers off; nested extra "
           "ignored");
    rs_viewspec_free(set);

    set = rs_viewspec_parse("{\"title\":\"caf\\u00e9 \\ud83d\\ude00 "
                            "\\\"q\\\" \\\\ \\/\",\"views\":[]}",
                            &err);
    tap_ok(set != NULL &&
               strcmp(set->title, "caf\xc3\xa9 \xf0\x9f\x98\x80 \"q\" \\ /") ==
                   0,
           "escapes: \\u00e9, a surrogate pair, quote, backslash, slash");
    tap_ok(set != NULL && set->n == 0 && set->notes[0] == '\0',
           "no views, no notes");
    rs_viewspec_free(set);

    static const struct {
        const char *text, *want;
    } bad[] = {
        {"", "view specs: JSON offset 0: a value expected, found the end "
             "of the text"},
        {"{\"views\":[1,]}", "view specs: JSON offset 12: a value expected, "
                             "found ']}'"},
        {"{\"views\":[]", "view specs: JSON offset 11: ',' or '}' expected, "
                          "found the end of the text"},
        {"[1]", "view specs: an object with a \"views\" array expected"},
        {"{\"views\":{}}",
         "view specs: an object with a \"views\" array expected"},
        {"{\"title\":\"a\\x\",\"views\":[]}",
         "view specs: JSON offset 11: an escape expected (\\\" \\\\ \\/ "
         "\\b \\f \\n \\r \\t or \\uXXXX), found '\\x\",\"views\":'"},
        {"{\"views\":[]} x", "view specs: JSON offset 13: nothing after the "
                             "value expected, found 'x'"},
        {"{\"views\":[],\"t\":\"ab", "view specs: JSON offset 16: a string "
                                    "that is not closed, found '\"ab'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct rs_error e = {0};
        set = rs_viewspec_parse(bad[i].text, &e);
        tap_ok(set == NULL && e.code == RS_EFORMAT, "malformed %zu refused",
               i);
        tap_is_str(e.msg, bad[i].want, "malformed %zu: the message", i);
        rs_viewspec_free(set);
    }
    char deep[200];
    memset(deep, '[', 100);
    deep[100] = '\0';
    char *txt = rs_xasprintf("{\"views\":%s}", deep);
    set = rs_viewspec_parse(txt, &err);
    tap_ok(set == NULL && strstr(err.msg, "JSON offset 72: arrays and objects "
                                          "nested deeper than 64") != NULL,
           "nesting is bounded (%s)", err.msg);
    free(txt);

    /* the views kept are bounded, and entries of no known kind take no
     * room: 200000 zeros (each would have cost a whole spec, ~2 GB),
     * then 300 views, of which the first RS_VIEWSPEC_VIEWS_MAX stay */
    struct rs_json_buf b = {0};
    rs_json_buf_raw(&b, "{\"views\":[", 10);
    for (int i = 0; i < 200000; i++)
        rs_json_buf_raw(&b, "0,", 2);
    for (int i = 0; i < 300; i++) {
        char one[64];
        int k = snprintf(one, sizeof one,
                         "%s{\"kind\":\"text\",\"title\":\"v%d\"}",
                         i > 0 ? "," : "", i);
        rs_json_buf_raw(&b, one, (size_t)k);
    }
    rs_json_buf_raw(&b, "]}", 2);
    set = rs_viewspec_parse(b.p, &err);
    tap_ok(set != NULL && set->n == RS_VIEWSPEC_VIEWS_MAX,
           "at most %d views are read (%d)", RS_VIEWSPEC_VIEWS_MAX,
           set != NULL ? set->n : -1);
    tap_ok(set != NULL &&
               strcmp(set->v[RS_VIEWSPEC_VIEWS_MAX - 1].title, "v255") == 0,
           "the first ones, in order, past the entries of no kind");
    rs_viewspec_free(set);
    rs_json_buf_fini(&b);
}

static void
test_default(void)
{
    static const char series[][RS_BUS_NAME_MAX] = {
        "norm/grad",      "norm/weight", "probe/erank/l1", "probe/srank/l1",
        "probe/srank/l2", "test/acc",    "test/loss",      "time/steps_per_s",
        "train/acc",      "train/loss"};
    static const char mats[][RS_BUS_NAME_MAX] = {"neurons/l1", "spectrum/l1",
                                                 "spectrum/l2"};
    struct rs_viewspec_set *set = rs_viewspec_default(series, 10, mats, 3);
    tap_is_int(set->n, 6,
               "default views: loss, accuracy, rank, spectrum, "
               "neurons, norm");
    tap_ok(set->v[0].kind == RS_VIEWSPEC_CURVES &&
               strcmp(set->v[0].title, "loss") == 0 && set->v[0].nseries == 2 &&
               set->v[0].log_y,
           "loss: test/loss and train/loss, log y");
    tap_ok(strcmp(set->v[1].title, "accuracy") == 0 && set->v[1].ymax == 1,
           "accuracy 0..1");
    tap_ok(set->v[2].kind == RS_VIEWSPEC_RANK && set->v[2].nlayers == 2,
           "rank over l1 and l2");
    tap_ok(set->v[3].kind == RS_VIEWSPEC_SPECTRUM &&
               strcmp(set->v[3].layer, "l1") == 0,
           "the first spectrum");
    tap_ok(set->v[4].kind == RS_VIEWSPEC_NEURONS, "neurons");
    tap_ok(strcmp(set->v[5].title, "norm") == 0 && set->v[5].nseries == 2,
           "norm/* grouped; time/ and probe/ left out");
    rs_viewspec_free(set);
    set = rs_viewspec_default(NULL, 0, NULL, 0);
    tap_ok(set != NULL && set->n == 0, "no names: no views");
    rs_viewspec_free(set);
}

static void
test_fill(void)
{
    rs_bus *bus = rs_bus_new();
    /* a first run to step 80, a restart, then 1..40 */
    for (int s = 1; s <= 80; s++)
        rs_bus_push(bus, "train/acc", s, 0.1);
    for (int s = 1; s <= 40; s++) {
        rs_bus_push(bus, "train/acc", s, s / 40.0);
        rs_bus_push(bus, "test/acc", s, s <= 20 ? 0.1 : 0.95);
    }
    /* srank of l1: 10 points at steps 100..1000, value step / 10 */
    for (int s = 100; s <= 1000; s += 100)
        rs_bus_push(bus, "probe/srank/l1", s, s / 10.0);
    float spec[64], f1[8] = {0, 0.5f, 1, 1, 0, 0.2f, 0.9f, 0.01f},
                    f2[4] = {1, 1, 0, 1};
    for (int i = 0; i < 64; i++)
        spec[i] = 64.0f - (float)i;
    rs_bus_put_matrix(bus, "spectrum/l1", 1000, 1, 64, spec, NULL, NULL);
    rs_bus_put_matrix(bus, "neurons/l1", 1000, 1, 8, f1, NULL, NULL);
    rs_bus_put_matrix(bus, "neurons/l2", 1000, 1, 4, f2, NULL, NULL);
    rs_bus_push(bus, "probe/srank/l2", 1000, 3);
    rs_bus_flush(bus);

    struct rs_error err = {0};
    struct rs_viewspec_set *set = rs_viewspec_parse(demo_json, &err);
    rs_views *v = rs_views_new(set);
    rs_viewspec_free(set);
    tap_is_int(rs_views_count(v), 6, "six panels");
    for (int i = 0; i < 6; i++)
        rs_views_widget(v, i)->r = (struct rs_rect){0, 0, 46, 12};
    struct rs_bus_status st = {.total = 1000, .step = 1000};
    struct rs_views_frame fr = {.st = &st, .layer = "l2"};
    rs_views_fill(v, bus, &fr);

    struct rs_chart *acc = rs_chart_widget_data(rs_views_widget(v, 0));
    tap_ok(acc->nseries == 2 && acc->series[0].n == 40 &&
               acc->series[0].pts[0].step_lo == 1 &&
               acc->series[0].pts[39].step_hi == 40,
           "train/acc after the restart only: 40 points from step 1");
    tap_ok(acc->nthresholds == 2 && acc->thresholds[0].series == 1 &&
               acc->thresholds[0].y == 0.5 && acc->thresholds[1].y == 0.9,
           "thresholds at 50%% and 90%% on test/acc");
    double cross;
    tap_ok(rs_chart_crossing(&acc->series[1], 0.5, &cross) && cross == 21,
           "test/acc crosses 50%% at step 21");
    tap_ok(acc->x_max == 1000 && acc->log_x, "x to the planned steps, log");

    /* rank strip: 46 - 2 borders - (label "l1" + a gap) = 41 columns
     * over 0..1000; column t covers (1000 t / 41, 1000 (t + 1) / 41] */
    struct rs_rankstrip *rk = rs_rankstrip_widget_data(rs_views_widget(v, 2));
    tap_is_int(rk->times, 41, "the strip is as wide as its panel");
    tap_is_int(rk->layers, 2, "two layers");
    int bad = 0;
    float want = NAN;
    for (int t = 0; t < 41; t++) {
        double lo = 1000.0 * t / 41, hi = 1000.0 * (t + 1) / 41;
        for (int s = 100; s <= 1000; s += 100)
            if (s > lo && s <= hi)
                want = (float)(s / 10.0);
        /* before the first point: no value; after: the last value */
        float got = rk->rank[t];
        if (hi < 100) {
            if (!isnan(got))
                bad++;
        } else if (!(fabsf(got - want) < 1e-4f)) {
            bad++;
        }
    }
    tap_ok(bad == 0,
           "l1 resampled: each column the last value so far (%d "
           "bad)",
           bad);
    tap_ok(rk->width[0] == 64, "l1's full rank is its spectrum's length");
    tap_ok(rk->sel == 1, "the selected layer l2 is highlighted");

    /* the spectrum follows the selection only where it has a matrix */
    struct rs_spectrum *sp = rs_spectrum_widget_data(rs_views_widget(v, 3));
    tap_ok(sp->n == 64 && strcmp(sp->layer, "l1") == 0 && sp->srank == 100,
           "spectrum: l1 (no spectrum/l2), srank the newest value");
    struct rs_neuronmap *nm = rs_neuronmap_widget_data(rs_views_widget(v, 4));
    tap_ok(nm->nlayers == 2 && nm->sel == 1 && nm->layers[0].units == 8 &&
               rs_neuronmap_dead(&nm->layers[0]) == 2,
           "neurons: both layers, l2 selected, 2 dead in l1");
    char layers[8][RS_VIEWSPEC_NAME_MAX];
    tap_is_int(rs_views_layers(v, layers, 8), 2, "two layers to select");
    tap_ok(rs_views_mentions(v, 1, "train/loss") &&
               !rs_views_mentions(v, 0, "train/loss") &&
               rs_views_mentions(v, 2, "l2"),
           "which panels show a series or layer");

    /* exports */
    for (int i = 0; i < 5; i++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        int rc = rs_views_export(v, i, f, &err);
        fclose(f);
        tap_ok(rc == RS_OK && strstr(buf, "<svg") != NULL &&
                   strstr(buf, "</svg>") != NULL,
               "panel %d exports as SVG", i);
        free(buf);
    }
    rs_views_free(v);
    rs_bus_free(bus);
}

/* Two learners' views: a's rank strip and spectrum, b's neurons. */
static const char owned_json[] =
    "{\"version\":1,\"views\":["
    "{\"kind\":\"rank_heatmap\",\"layers\":[\"l1\",\"l2\"],\"metric\":"
    "\"srank\",\"series\":[\"a/probe/srank/l1\",\"a/probe/srank/l2\"]},"
    "{\"kind\":\"spectrum\",\"layer\":\"l1\",\"matrix\":\"a/spectrum/l1\","
    "\"series\":[\"a/probe/srank/l1\",\"a/probe/erank/l1\"]},"
    "{\"kind\":\"neurons\",\"layer\":\"l1\",\"matrix\":\"b/neurons/l1\","
    "\"series\":[\"b/probe/dead/l1\"]}]}";

static void
test_names(void)
{
    char out[RS_BUS_NAME_MAX];
    tap_ok(rs_viewspec_relayer(out, "a/spectrum/l3", "l3", "l10") &&
               strcmp(out, "a/spectrum/l10") == 0,
           "relayer: a/spectrum/l3 for l10");
    tap_ok(rs_viewspec_relayer(out, "l3", "l3", "l1") && strcmp(out, "l1") == 0,
           "relayer: a name that is only the layer");
    tap_ok(!rs_viewspec_relayer(out, "a/spectrum/l3", "l1", "l2") &&
               strcmp(out, "a/spectrum/l3") == 0,
           "relayer: the last part is not the layer, the name unchanged");
    tap_ok(!rs_viewspec_relayer(out, "a/spectrum/xl3", "l3", "l2"),
           "relayer: a whole part only");
    const char *l =
        rs_viewspec_layer_of("a/spectrum/l2", "a/spectrum/l1", "l1");
    tap_ok(l != NULL && strcmp(l, "l2") == 0, "layer_of: a's other layer");
    tap_ok(rs_viewspec_layer_of("spectrum/l2", "a/spectrum/l1", "l1") == NULL &&
               rs_viewspec_layer_of("b/spectrum/l2", "a/spectrum/l1", "l1") ==
                   NULL &&
               rs_viewspec_layer_of("a/spectrum/x/l2", "a/spectrum/l1", "l1") ==
                   NULL,
           "layer_of: not the bare, not b's, not deeper names");

    /* completion of specs that leave names out */
    struct rs_error err = {0};
    struct rs_viewspec_set *set = rs_viewspec_parse(
        "{\"views\":[{\"kind\":\"spectrum\",\"layer\":\"l3\",\"matrix\":"
        "\"a/spectrum/l3\"},{\"kind\":\"neurons\",\"layer\":\"h2\"},"
        "{\"kind\":\"rank_heatmap\",\"layers\":[\"l1\",\"l2\"],\"metric\":"
        "\"erank\"},"
        "{\"kind\":\"rank_heatmap\",\"layers\":[\"l1\",\"l2\",\"l3\"],"
        "\"series\":[\"b/probe/srank/l1\"]},"
        "{\"kind\":\"rank_heatmap\",\"layers\":[\"l1\",\"l2\",\"l3\",\"l4\","
        "\"l5\",\"l6\",\"l7\",\"l8\",\"l9\",\"l10\"],\"series\":["
        "\"a/probe/srank/l1\",\"a/probe/srank/l2\",\"a/probe/srank/l3\","
        "\"a/probe/srank/l4\",\"a/probe/srank/l5\",\"a/probe/srank/l6\","
        "\"a/probe/srank/l7\",\"a/probe/srank/l8\",\"a/probe/srank/l9\","
        "\"a/probe/srank/l10\"]}]}",
        &err);
    if (!tap_ok(set != NULL && set->n == 5, "specs without names parse")) {
        tap_diag("%s", err.msg);
        rs_viewspec_free(set);
        return;
    }
    const struct rs_viewspec *v = set->v;
    tap_ok(v[0].nseries == 2 &&
               strcmp(v[0].series[0], "a/probe/srank/l3") == 0 &&
               strcmp(v[0].series[1], "a/probe/erank/l3") == 0,
           "spectrum: srank and erank of the matrix's owner");
    tap_ok(strcmp(v[1].matrix, "neurons/h2") == 0 && v[1].nseries == 1 &&
               strcmp(v[1].series[0], "probe/dead/h2") == 0,
           "neurons without a matrix: the bare names");
    tap_ok(strcmp(v[2].layer_series[1], "probe/erank/l2") == 0 &&
               strcmp(v[2].layer_matrix[1], "spectrum/l2") == 0 &&
               strcmp(v[2].series[0], "probe/erank/l1") == 0,
           "rank without series: the bare names of its metric");
    tap_ok(strcmp(v[3].layer_series[2], "b/probe/srank/l3") == 0 &&
               strcmp(v[3].layer_matrix[2], "b/spectrum/l3") == 0,
           "rank with fewer series: the rest swapped from the first");
    tap_ok(v[4].nlayers == 10 && v[4].nseries == RS_VIEWSPEC_SERIES_MAX &&
               strcmp(v[4].layer_series[9], "a/probe/srank/l10") == 0 &&
               strcmp(v[4].layer_matrix[9], "a/spectrum/l10") == 0,
           "rank over 10 layers: every layer's series kept");
    struct rs_viewspec r = v[3];
    static const char more[2][RS_VIEWSPEC_NAME_MAX] = {"h1", "h2"};
    rs_viewspec_set_layers(&r, more, 2);
    tap_ok(r.nlayers == 2 &&
               strcmp(r.layer_series[1], "b/probe/srank/h2") == 0 &&
               strcmp(r.layer_matrix[0], "b/spectrum/h1") == 0,
           "set_layers keeps the owner");
    rs_viewspec_free(set);
}

static void
test_owned_fill(void)
{
    rs_bus *bus = rs_bus_new();
    float sa1[10], sa2[5], bare[3] = {1, 1, 1};
    for (int i = 0; i < 10; i++)
        sa1[i] = 10.0f - (float)i;
    for (int i = 0; i < 5; i++)
        sa2[i] = 5.0f - (float)i;
    float nb1[4] = {0, 1, 1, 1}, nb2[2] = {0, 0};
    for (int s = 100; s <= 1000; s += 100) {
        rs_bus_push(bus, "a/probe/srank/l1", s, 7);
        rs_bus_push(bus, "a/probe/srank/l2", s, 4);
        rs_bus_push(bus, "a/probe/erank/l2", s, 3.5);
        rs_bus_push(bus, "probe/srank/l2", s, 99); /* another learner's */
        rs_bus_push(bus, "probe/srank/l1", s, 99);
    }
    rs_bus_put_matrix(bus, "a/spectrum/l1", 1000, 1, 10, sa1, NULL, NULL);
    rs_bus_put_matrix(bus, "a/spectrum/l2", 1000, 1, 5, sa2, NULL, NULL);
    rs_bus_put_matrix(bus, "spectrum/l2", 1000, 1, 3, bare, NULL, NULL);
    rs_bus_put_matrix(bus, "spectrum/l7", 1000, 1, 3, bare, NULL, NULL);
    rs_bus_put_matrix(bus, "b/neurons/l1", 1000, 1, 4, nb1, NULL, NULL);
    rs_bus_put_matrix(bus, "b/neurons/l2", 1000, 1, 2, nb2, NULL, NULL);
    rs_bus_flush(bus);

    struct rs_error err = {0};
    struct rs_viewspec_set *set = rs_viewspec_parse(owned_json, &err);
    rs_views *v = rs_views_new(set);
    rs_viewspec_free(set);
    for (int i = 0; i < rs_views_count(v); i++)
        rs_views_widget(v, i)->r = (struct rs_rect){0, 0, 46, 12};
    struct rs_bus_status st = {.total = 1000, .step = 1000};
    struct rs_views_frame fr = {.st = &st, .layer = "l2"};
    rs_views_fill(v, bus, &fr);

    char layers[8][RS_VIEWSPEC_NAME_MAX];
    int nl = rs_views_layers(v, layers, 8);
    tap_ok(nl == 2 && strcmp(layers[0], "l1") == 0 &&
               strcmp(layers[1], "l2") == 0,
           "layers from a's and b's matrices only (not spectrum/l7)");
    struct rs_rankstrip *rk = rs_rankstrip_widget_data(rs_views_widget(v, 0));
    tap_ok(rk->layers == 2 && rk->width[0] == 10 && rk->width[1] == 5,
           "rank strip: full ranks from a/spectrum/l1 and a/spectrum/l2");
    tap_ok(rk->rank[rk->times - 1] == 7 &&
               rk->rank[(size_t)2 * rk->times - 1] == 4,
           "rank strip: a's srank series, not the bare ones");
    struct rs_spectrum *sp = rs_spectrum_widget_data(rs_views_widget(v, 1));
    tap_ok(sp->n == 5 && strcmp(sp->layer, "l2") == 0 && sp->s[0] == 5 &&
               sp->srank == 4 && sp->erank == 3.5,
           "spectrum follows the selection to a/spectrum/l2 and a's ranks");
    struct rs_neuronmap *nm = rs_neuronmap_widget_data(rs_views_widget(v, 2));
    tap_ok(nm->nlayers == 2 && nm->sel == 1 && nm->layers[0].units == 4 &&
               nm->layers[1].units == 2,
           "neurons: b's two layers, l2 selected");
    tap_ok(rs_views_mentions(v, 0, "a/probe/srank/l2") &&
               !rs_views_mentions(v, 0, "probe/srank/l2"),
           "the rank panel mentions a's series");

    /* a selection only b has: a's spectrum keeps its own layer */
    rs_bus_put_matrix(bus, "b/neurons/l3", 1000, 1, 2, nb2, NULL, NULL);
    rs_bus_flush(bus);
    fr.layer = "l3";
    rs_views_fill(v, bus, &fr);
    tap_ok(strcmp(sp->layer, "l1") == 0 && sp->n == 10 && sp->srank == 7 &&
               isnan(sp->erank),
           "selection l3 (b only): a's spectrum shows its own l1");
    tap_ok(nm->nlayers == 3 && nm->sel == 2, "b's neurons select l3");
    rs_views_free(v);
    rs_bus_free(bus);
}

int
main(void)
{
    tap_plan_lazy();
    test_parse();
    test_default();
    test_fill();
    test_names();
    test_owned_fill();
    return tap_done();
}
