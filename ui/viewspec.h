/* repscope - MIT licence, see COPYING.
 *
 * viewspec.h: the scene's view specs, parsed from the JSON text the
 * worker publishes once per setup (rs_bus_set_views; its shape is in
 * repscope-lua(7), VIEWS):
 *   {"version":1, "title", "notes", "views":[{kind, title, series[],
 *    x, y, ymin, ymax, markers, small, xfrom, layer, layers[], metric, matrix, log,
 *    rows, cols, matrices[], learners[], truth, grid, glyphs,
 *    colors, wide, labels[], band, mark, mark_label, xlabel, ylabel,
 *    yseries[], xmin, xmax}, ...], "tour":[...]}
 * "tour" is kept as text for ui/tour.h (a UI without tours ignores it).
 * Unknown keys are ignored and unknown kinds skipped (a newer scene
 * format still shows what this UI knows), and views past the first
 * RS_VIEWSPEC_VIEWS_MAX of a known kind are dropped (a screen shows far
 * fewer; the text may come from any run log); anything that is not such
 * an object is an error. rs_viewspec_default builds views from the names on
 * the bus when there are no specs (a run log from before they were
 * recorded). The JSON is read with run/json.h, the project's one codec.
 *
 * Names: a spec carries the full bus names it shows ("a/spectrum/l3",
 * "a/probe/srank/l3" for a learner called "a"); the panels read them and
 * never build a metric name. A layer-following panel shows another layer
 * by swapping the last part of its names (rs_viewspec_relayer). Only this
 * file knows the layout of the bare probe names (core/names.h's, which
 * the UI may not include), to complete a spec that leaves them out (a
 * hand-written one, or rs_viewspec_default's from an older log).
 * Pure; any thread.
 */
#ifndef RS_UI_VIEWSPEC_H
#define RS_UI_VIEWSPEC_H

#include <stdbool.h>

#include "core/base.h"
#include "run/bus.h"

#define RS_VIEWSPEC_VIEWS_MAX 256 /* views read at most */
#define RS_VIEWSPEC_SERIES_MAX 8
#define RS_VIEWSPEC_LAYERS_MAX 32
#define RS_VIEWSPEC_NAME_MAX 48 /* layer names */
#define RS_VIEWSPEC_ROWLABELS_MAX 16 /* frame: rows labelled at most */
#define RS_VIEWSPEC_ROWLABEL_MAX 64  /* bytes of a row label (15 chars) */

enum rs_viewspec_kind {
    RS_VIEWSPEC_CURVES,
    RS_VIEWSPEC_SPECTRUM,
    RS_VIEWSPEC_RANK, /* "rank_heatmap" */
    RS_VIEWSPEC_NEURONS,
    RS_VIEWSPEC_HEATMAP,
    RS_VIEWSPEC_IMAGE,   /* a matrix as a greyscale picture */
    RS_VIEWSPEC_ALIGN,   /* alignment maps per word and learner */
    RS_VIEWSPEC_PATCHES, /* patch predictions per learner vs truth */
    RS_VIEWSPEC_FRAME,   /* a grid of cell codes as coloured text */
    RS_VIEWSPEC_PROFILE, /* a line per learner from its matrix's rows */
    RS_VIEWSPEC_BARS,    /* a row of values per learner as bars */
    RS_VIEWSPEC_TEXT,    /* a text shaded by a value per character */
    RS_VIEWSPEC_SCATTER, /* one series against another per learner */
    RS_VIEWSPEC_TABLE    /* a matrix as numbers (compare's final values) */
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
    bool small; /* curves: one of small multiples ("small": true, a
                 * sweep's grid): a smaller minimum height */
    bool band;               /* curves: shade each series S between the
                                series S_lo and S_hi when the bus has
                                them ("band": true) */
    bool x_from_data;        /* curves: the x axis starts at the first
                                point ("xfrom": "data"), not at 0 */
    double ymin, ymax;       /* NaN: auto */
    double vmin, vmax;       /* heatmap value range, NaN: auto */
    char rows[32], cols[32]; /* heatmap axis names */
    char xlabel[24];         /* curves: x axis name ("": step) */
    /* rank_heatmap, per layer (nlayers): the series of its metric and the
     * spectrum matrix whose length is the layer's full rank */
    char layer_series[RS_VIEWSPEC_LAYERS_MAX][RS_BUS_NAME_MAX];
    char layer_matrix[RS_VIEWSPEC_LAYERS_MAX][RS_BUS_NAME_MAX];
    /* align, patches: one matrix per learner (full names, "clip/align")
     * and the learner's name labelling it; the truth matrix (align:
     * words x 1 item index, -1 none; patches: 1 x P or side x side class
     * index), read as named; align: the items per side of the image */
    int nmats;
    char mats[RS_VIEWSPEC_SERIES_MAX][RS_BUS_NAME_MAX];
    char mat_labels[RS_VIEWSPEC_SERIES_MAX][32];
    char truth[RS_BUS_NAME_MAX];
    int grid;
    /* frame: one glyph and one colour letter per code (ui/frame.h; at
     * most 63 codes, longer strings cut), two columns per code */
    char glyphs[64], colors[64];
    bool wide;
    /* frame: a label left of each of the first nrowlabels rows
     * ("labels": [...]; more are dropped, longer ones cut) */
    int nrowlabels;
    char rowlabels[RS_VIEWSPEC_ROWLABELS_MAX][RS_VIEWSPEC_ROWLABEL_MAX];
    /* profile: a marker at x = mark (NaN: none) and its label ("": the
     * value), the y axis name (the x axis's is xlabel); its matrices,
     * like bars and text, are in mats[] (one per learner) */
    double mark;
    char mark_label[24];
    char ylabel[24];
    /* scatter: per learner (nseries of them) its x series (series[i]),
     * its y series (yseries[i]) and its name (mat_labels[i]); fixed x
     * bounds (NaN: auto; the y bounds are ymin, ymax); log_x, log_y,
     * xlabel and ylabel as for the other kinds */
    char yseries[RS_VIEWSPEC_SERIES_MAX][RS_BUS_NAME_MAX];
    double xmin, xmax;
};

/* The full names each kind carries after parsing (completed from the
 * layer and matrix when the JSON leaves them out, owner prefix kept):
 *   spectrum      matrix "<o>spectrum/<layer>", series[0] the srank,
 *                 series[1] the erank ("<o>probe/srank/<layer>", ...)
 *   neurons       matrix "<o>neurons/<layer>", series[0] the dead fraction
 *   rank_heatmap  layer_series[l] (the JSON's series in layer order, else
 *                 "<o>probe/<metric>/<layer>") and layer_matrix[l]
 *                 ("<o>spectrum/<layer>"); series[] holds the first
 *                 RS_VIEWSPEC_SERIES_MAX of them
 * where <o> is "" or "<learner>/". */
struct rs_viewspec_set {
    char title[128];
    char *notes; /* "" when none */
    char *tour;  /* the "tour" array's JSON text as published (ui/tour.h
                    parses it), NULL when the scene has none */
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

/* Give a rank spec the layers (n, at most RS_VIEWSPEC_LAYERS_MAX kept)
 * and their names: swapped from the spec's first layer's names when it
 * had one, else bare. For a rank view that names no layers (every layer
 * the panels know of). */
void rs_viewspec_set_layers(struct rs_viewspec *v,
                            const char (*layers)[RS_VIEWSPEC_NAME_MAX], int n);
/* out = name with its last part, which must be layer, replaced by other
 * ("a/spectrum/l3", "l3", "l1" -> "a/spectrum/l1"). False (and out =
 * name) when the last part of name is not layer. */
bool rs_viewspec_relayer(char out[RS_BUS_NAME_MAX], const char *name,
                         const char *layer, const char *other);
/* The last part of name when name is tmpl with its last part (tmpl_layer)
 * replaced by it ("a/spectrum/l1" against "a/spectrum/l3", "l3" ->
 * "l1"), else NULL. Borrowed from name. */
const char *rs_viewspec_layer_of(const char *name, const char *tmpl,
                                 const char *tmpl_layer);

#endif /* RS_UI_VIEWSPEC_H */
