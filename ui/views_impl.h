/* repscope - MIT licence, see COPYING.
 *
 * views_impl.h: what views.c (panels, the plain kinds) and the fills in
 * views_curves.c, views_pictures.c (the image, frame, align and patches
 * panels), views_seq.c and views_scatter.c share: a panel, its matrix and
 * series copies, and the matrix copy. Internal to ui/; UI thread only.
 */
#ifndef RS_UI_VIEWS_IMPL_H
#define RS_UI_VIEWS_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/base.h"
#include "run/bus.h"
#include "ui/bars.h"
#include "ui/chart.h"
#include "ui/neuronmap.h"
#include "ui/profile.h"
#include "ui/scatter.h"
#include "ui/textmap.h"
#include "ui/viewspec.h"
#include "ui/widget.h"

#define RS_VIEWS_LABELS_MAX 64 /* heatmap rows/cols, align words labelled */
#define RS_VIEWS_TEXT_MAX 4096 /* text view: characters shown at most */

struct rs_views_matbuf {
    float *data;
    size_t cap;
    int rows, cols;
    bool ok;
    /* what was copied last: an unchanged name and version means the
     * same data */
    char name[RS_BUS_NAME_MAX];
    uint64_t version;
};

/* A series copy and what it was copied from. */
struct rs_views_sercopy {
    struct rs_bus_point *pts; /* (RS_BUS_SERIES_CAP) */
    size_t n;
    uint64_t version; /* UINT64_MAX: never copied */
};

struct rs_views_panel {
    struct rs_viewspec spec;
    struct rs_widget *w;
    char title[160];
    /* whether the last fill changed what the panel shows (or it is the
     * first); the frame values it depended on */
    bool changed, filled;
    long total;
    char sel[RS_VIEWSPEC_NAME_MAX];
    int times;
    double srank, erank;
    /* curves */
    struct rs_views_sercopy ser[RS_VIEWSPEC_SERIES_MAX];
    struct rs_chart_series cs[RS_VIEWSPEC_SERIES_MAX];
    struct rs_chart_threshold th[2 * RS_VIEWSPEC_SERIES_MAX];
    char th_label[2][8];
    /* curves with a band: each series' S_lo and S_hi (views_curves.c) */
    struct rs_views_sercopy blo[RS_VIEWSPEC_SERIES_MAX];
    struct rs_views_sercopy bhi[RS_VIEWSPEC_SERIES_MAX];
    struct rs_chart_band cb[RS_VIEWSPEC_SERIES_MAX];
    /* spectrum, heatmap: mats[0]; neurons: one per layer */
    struct rs_views_matbuf mats[RS_VIEWSPEC_LAYERS_MAX];
    char layer[RS_VIEWSPEC_NAME_MAX];
    /* rank strip */
    float *rank;
    size_t rank_cap;
    double *steps;
    int times_cap;
    struct rs_views_sercopy lser[RS_VIEWSPEC_LAYERS_MAX]; /* per layer */
    uint64_t wver[RS_VIEWSPEC_LAYERS_MAX]; /* versions of the spectra giving the
                                              widths */
    float width[RS_VIEWSPEC_LAYERS_MAX];
    const char *labels[RS_VIEWSPEC_LAYERS_MAX];
    /* neurons */
    struct rs_neuron_layer nl[RS_VIEWSPEC_LAYERS_MAX];
    char nl_names[RS_VIEWSPEC_LAYERS_MAX][RS_VIEWSPEC_NAME_MAX];
    /* heatmap labels; align: the word labels; frame: rlp[] the row
     * labels (pointing into the spec) */
    char (*rl)[32], (*cl)[32];
    const char *rlp[RS_VIEWS_LABELS_MAX], *clp[RS_VIEWS_LABELS_MAX];
    /* align, patches: per learner (mats[i]); the truth in
     * mats[RS_VIEWSPEC_LAYERS_MAX - 1] */
    const char *mlab[RS_VIEWSPEC_SERIES_MAX];
    const float *mptr[RS_VIEWSPEC_SERIES_MAX];
    int mrows[RS_VIEWSPEC_SERIES_MAX];
    int items[RS_VIEWS_LABELS_MAX]; /* align: the item each word names */
    /* profile, bars, text: per learner (mats[i]) a line, a band or rows
     * of values; text: its characters (the column labels, tl_n of them)
     * and the lines' names */
    struct rs_profile_line plines[RS_VIEWSPEC_SERIES_MAX];
    struct rs_bars_group bgroups[RS_VIEWSPEC_SERIES_MAX];
    struct rs_textmap_line tlines[RS_TEXTMAP_LINES_MAX];
    char tnames[RS_TEXTMAP_LINES_MAX][48];
    char (*tl)[8];
    const char **tlp;
    int tl_n, tl_cap;
    /* scatter: per learner its x series in ser[i], its y series in
     * lser[i], and their pairs (RS_BUS_SERIES_CAP per learner) */
    double *scx, *scy;
    struct rs_scatter_set sets[RS_VIEWSPEC_SERIES_MAX];
};

/* Copy series name into c unless c already holds its current version.
 * True when it changed. Under the fill's read lock. */
bool rs_views_copy_series(rs_bus *bus, const char *name,
                          struct rs_views_sercopy *c);
/* Copy matrix name into m (m->ok false when absent). True when what m
 * holds changed: another matrix, a new version, or it appeared or went.
 * Under the fill's read lock. */
bool rs_views_copy_matrix(rs_bus *bus, const char *name,
                          struct rs_views_matbuf *m);

struct rs_views_frame;

/* The curves panel's fill (views_curves.c). */
void rs_views_fill_curves(struct rs_views_panel *p, rs_bus *bus,
                          const struct rs_views_frame *f);
/* The picture panels' fills (views_pictures.c): the widget's data from
 * bus copies, p->changed set. */
void rs_views_fill_image(struct rs_views_panel *p, rs_bus *bus);
void rs_views_fill_frame(struct rs_views_panel *p, rs_bus *bus);
void rs_views_fill_align(struct rs_views_panel *p, rs_bus *bus);
void rs_views_fill_patches(struct rs_views_panel *p, rs_bus *bus);
/* The sequence panels' fills (views_seq.c). */
void rs_views_fill_profile(struct rs_views_panel *p, rs_bus *bus);
void rs_views_fill_bars(struct rs_views_panel *p, rs_bus *bus);
void rs_views_fill_text(struct rs_views_panel *p, rs_bus *bus);
/* The scatter's (views_scatter.c). */
void rs_views_fill_scatter(struct rs_views_panel *p, rs_bus *bus);
/* Their exports: the profile as a chart, bars and text as heatmaps
 * (learners x values, the labels as column labels). */
int rs_views_export_seq(struct rs_views_panel *p, FILE *f,
                        struct rs_error *err);

/* The image panel's matrix as an SVG heatmap. */
int rs_views_export_image(struct rs_views_panel *p, FILE *f,
                          struct rs_error *err);
/* The frame panel's codes as an SVG heatmap. */
/* Panel p as SVG into f (views_export.c): rs_views_export's work. */
int rs_views_export_panel(struct rs_views_panel *p, FILE *f,
                          struct rs_error *err);
int rs_views_export_frame(struct rs_views_panel *p, FILE *f,
                          struct rs_error *err);

#endif /* RS_UI_VIEWS_IMPL_H */
