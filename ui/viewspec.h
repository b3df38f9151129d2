/* repscope - MIT licence, see COPYING.
 *
 * viewspec.h: the scene's view specs, parsed from the JSON text the
 * worker publishes once per setup (rs_bus_set_views; its shape is in
 * repscope-lua(7), VIEWS):
 *   {"version":1, "title", "notes", "views":[{kind, title, series[],
 *    x, y, ymin, ymax, markers, layer, layers[], metric, matrix, log,
 *    rows, cols}, ...]}
 * Unknown keys are ignored and unknown kinds skipped (a newer scene
 * format still shows what this UI knows); anything that is not such an
 * object is an error. rs_viewspec_default builds views from the names on
 * the bus when there are no specs (a run log from before they were
 * recorded). The JSON is read with run/json.h, the project's one codec.
 * Pure; any thread.
 */
#ifndef RS_UI_VIEWSPEC_H
#define RS_UI_VIEWSPEC_H

#include <stdbool.h>

#include "core/base.h"
#include "run/bus.h"

#define RS_VIEWSPEC_SERIES_MAX 8
#define RS_VIEWSPEC_LAYERS_MAX 32
#define RS_VIEWSPEC_NAME_MAX 48 /* layer names */

enum rs_viewspec_kind {
    RS_VIEWSPEC_CURVES,
    RS_VIEWSPEC_SPECTRUM,
    RS_VIEWSPEC_RANK, /* "rank_heatmap" */
    RS_VIEWSPEC_NEURONS,
    RS_VIEWSPEC_HEATMAP
};

struct rs_viewspec {
    enum rs_viewspec_kind kind;
    char title[96];
    int nseries;
    char series[RS_VIEWSPEC_SERIES_MAX][RS_BUS_NAME_MAX];
    char matrix[RS_BUS_NAME_MAX];
    char layer[RS_VIEWSPEC_NAME_MAX];
    int nlayers;
    char layers[RS_VIEWSPEC_LAYERS_MAX][RS_VIEWSPEC_NAME_MAX];
    char metric[16];
    bool log_x, log_y;       /* curves x/y "log"; spectrum "log" */
    bool markers;            /* curves: event markers (default true) */
    double ymin, ymax;       /* NaN: auto */
    double vmin, vmax;       /* heatmap value range, NaN: auto */
    char rows[32], cols[32]; /* heatmap axis names */
    char xlabel[24];         /* curves: x axis name ("": step) */
};

struct rs_viewspec_set {
    char title[128];
    char *notes; /* "" when none */
    int n;
    struct rs_viewspec *v; /* (n) */
};

/* Parse the published JSON text. NULL + err (RS_EFORMAT: "view specs: "
 * and the JSON reader's message, naming the offset, what was expected and
 * what was found) on malformed text or when it is no object with a
 * "views" array. */
struct rs_viewspec_set *rs_viewspec_parse(const char *json,
                                          struct rs_error *err);
/* Views for the names on a bus: loss and accuracy curves (train/ and
 * test/ series ending in loss or acc), a rank heatmap over the
 * probe/srank/<layer> series, a spectrum and a neuron map when
 * spectrum/<layer> and neurons/<layer> matrices exist, then one curve
 * panel per other prefix (norm/...; time/ and probe/ left out). Never
 * NULL; may hold no views. */
struct rs_viewspec_set *
rs_viewspec_default(const char (*series)[RS_BUS_NAME_MAX], int nseries,
                    const char (*matrices)[RS_BUS_NAME_MAX], int nmatrices);
void rs_viewspec_free(struct rs_viewspec_set *set);

#endif /* RS_UI_VIEWSPEC_H */
