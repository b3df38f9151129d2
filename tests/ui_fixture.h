/* repscope - MIT licence, see COPYING.
 *
 * ui_fixture.h: shared by the ui tests. Golden-file comparison of canvas
 * dumps (tests/golden/<name>.txt; RS_GOLDEN_UPDATE=1 rewrites them, then
 * look at them), and deterministic data for the widgets: a grokking run
 * (train/test accuracy, loss, an lr event), a spectrum, a rank strip,
 * neuron frequencies with planted dead units, token-sensitivity and
 * signed heatmaps, a session status and the key list.
 */
#ifndef RS_TESTS_UI_FIXTURE_H
#define RS_TESTS_UI_FIXTURE_H

#include <stdbool.h>

#include "run/bus.h"
#include "ui/canvas.h"
#include "ui/chart.h"
#include "ui/heatmap.h"
#include "ui/neuronmap.h"
#include "ui/spectrum.h"
#include "ui/statusbar.h"
#include "ui/widget.h"

/* One TAP result: the dump of cv (UTF-8 or ASCII) against the golden
 * file; on mismatch the differing lines as '# ' diagnostics. */
bool golden_check(const struct rs_canvas *cv, bool ascii, const char *name);
/* The same for a ready-made text (an ANSI dump). */
bool golden_check_text(const char *got, const char *name);

/* Drawing contexts: UTF-8 in 256 colours, UTF-8 monochrome, ASCII
 * monochrome. */
extern const struct rs_ui_ctx fx_utf8, fx_mono, fx_ascii;

/* Accuracy of the grokking run at `step` (deterministic noise). */
double fx_train_acc(long step);
double fx_test_acc(long step);
double fx_loss(long step);
double fx_return(long step);

#define FX_EVAL_EVERY 10L
#define FX_STEPS 6200L
#define FX_NPTS (FX_STEPS / FX_EVAL_EVERY)

#define FX_RET_SPAN 4 /* steps per bucket of the return series */
struct fx_run {
    struct rs_bus_point train[FX_NPTS], test[FX_NPTS], loss[FX_NPTS];
    struct rs_bus_point ret[FX_STEPS / FX_RET_SPAN];
    struct rs_chart_series acc_series[2], loss_series[1], ret_series[1];
    struct rs_chart_event events[1];
    struct rs_chart_threshold thresholds[2];
    struct rs_chart acc, lossc, retc;
};
/* Fill run (three charts over it: "accuracy" with thresholds, "loss" log
 * y, and a noisy "episode return" logged every step and merged into
 * buckets of FX_RET_SPAN steps as the bus does); pointers point into run
 * itself. */
void fx_run_init(struct fx_run *run);

struct fx_rank {
    float s[128];
    float strip[5 * 62];
    double steps[62];
    struct rs_chart_event events[1];
    struct rs_spectrum sp;
    struct rs_rankstrip rk;
};
void fx_rank_init(struct fx_rank *r);

struct fx_neurons {
    float f[3][128];
    struct rs_neuron_layer layers[3];
    struct rs_neuronmap nm;
};
/* L6 (layer 1) has exactly FX_DEAD_L6 dead units. */
#define FX_DEAD_L6 37
void fx_neurons_init(struct fx_neurons *n);

struct fx_heat {
    float tok[6 * 10];
    float sig[16 * 24];
    struct rs_heatmap tokens, signed_map;
};
void fx_heat_init(struct fx_heat *h);

void fx_status_init(struct rs_bus_status *st);
extern const struct rs_keyhint fx_keys[];
extern const int fx_nkeys;

#endif /* RS_TESTS_UI_FIXTURE_H */
