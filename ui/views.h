/* repscope - MIT licence, see COPYING.
 *
 * views.h: the panels of a screen, one per view spec: each owns its
 * widget (chart, spectrum, rank strip, neuron map, heatmap) and the
 * buffers its data is copied into. rs_views_fill reads the bus (series
 * with rs_bus_series_copy, matrices with rs_bus_matrix_copy) and points
 * the widgets' data at those copies; the widgets' own view state (log
 * axes, smoothing, cursor) is kept across fills. It runs after the layout
 * (the rank strip resamples its history to the panel's width) and only
 * when the loop redraws, i.e. after a bus version change or a key.
 *
 * What each kind shows:
 *   curves    the named series; event markers; for a test/acc (val/acc)
 *             series marks where it first crosses 50% and 90%; the x axis
 *             runs to the planned steps.
 *   spectrum  the singular values spectrum/<layer> with srank and erank
 *             (the newest probe/srank|erank/<layer> values).
 *   rank      probe/<metric>/<layer> for each layer over time, the shade
 *             relative to the layer's full rank (the spectrum's length).
 *   neurons   the activity of every layer with a neurons/<layer> matrix.
 *   heatmap   any matrix, with its labels.
 *   image     any matrix as a greyscale picture.
 *   frame     a matrix of cell codes as coloured text (an env's frame).
 *   align     each learner's words x P alignment matrix as a map per word
 *             (sqrt(P) square), the truth's item outlined; word labels
 *             from the matrices' row labels, else the truth's.
 *   patches   each learner's per-patch classes beside the truth's.
 *   profile   a line per learner from its matrix (y row 1, x row 2 or the
 *             index), a marker at the spec's mark.
 *   bars      row 1 of each learner's matrix as bars, one band each,
 *             labelled by the column labels.
 *   text      the column labels as text, shaded by each row of each
 *             learner's matrix.
 *   scatter   per learner its y series against its x series, paired by
 *             step (rs_scatter_pair: each y point with the latest x at or
 *             before its step).
 * Layer-following views (spectrum, neurons, the rank strip's highlight)
 * show the selected layer of rs_views_frame when there is one.
 *
 * A session that restarted (or a run log that holds a restart) has
 * series whose steps start again from 1 after older, higher ones: every
 * copy is cut after the last place where the step goes back, so only the
 * current run shows. UI thread only.
 */
#ifndef RS_UI_VIEWS_H
#define RS_UI_VIEWS_H

#include <stdbool.h>
#include <stdio.h>

#include "core/base.h"
#include "run/bus.h"
#include "ui/chart.h"
#include "ui/viewspec.h"
#include "ui/widget.h"

typedef struct rs_views rs_views;

struct rs_views_frame {
    const struct rs_bus_status *st;      /* total steps, step */
    const struct rs_chart_event *events; /* markers, oldest first */
    int nevents;
    const char *layer; /* selected layer, NULL: each view's own */
};

/* Panels for the specs (copied; set may be freed after). Never NULL. */
rs_views *rs_views_new(const struct rs_viewspec_set *set);
void rs_views_free(rs_views *v);
int rs_views_count(const rs_views *v);
/* The panel's widget (its rectangle is set by the caller's layout). */
struct rs_widget *rs_views_widget(rs_views *v, int i);
const struct rs_viewspec *rs_views_spec(const rs_views *v, int i);
/* Height below which the panel is not worth showing. */
int rs_views_min_h(const rs_views *v, int i);
/* Copy what the panels show out of the bus (one consistent read). A
 * series or matrix whose version did not change since the last fill is
 * not copied again (the panel keeps its copy). */
void rs_views_fill(rs_views *v, rs_bus *bus, const struct rs_views_frame *f);
/* Whether the last fill changed what panel i shows: a new version of a
 * series or matrix it reads, another layer, the planned steps, the width
 * the rank strip resamples to; true after the first fill. Keys, events
 * and the layout are the caller's to track. */
bool rs_views_changed(const rs_views *v, int i);
/* The layers a layer selection cycles through, in order: the rank
 * views' layers, then those of spectrum/neurons matrices seen by the last
 * fill. Returns the count (up to max). */
int rs_views_layers(const rs_views *v, char (*out)[RS_VIEWSPEC_NAME_MAX],
                    int max);
/* Whether panel i shows the series or layer `name` (to flag where a
 * non-finite value appeared). */
bool rs_views_mentions(const rs_views *v, int i, const char *name);
/* Write what panel i shows (as of the last fill) as SVG: charts as
 * charts, the spectrum as a log-scale chart over the index, the rank
 * strip and neuron map as heatmaps, an image or a frame as a heatmap of
 * its matrix, a scatter as a scatter (align and patches have none:
 * RS_EINVAL). RS_OK or RS_EIO. */
RS_NODISCARD int rs_views_export(rs_views *v, int i, FILE *f,
                                 struct rs_error *err);

#endif /* RS_UI_VIEWS_H */
