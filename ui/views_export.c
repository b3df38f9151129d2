/* repscope - MIT licence, see COPYING.
 *
 * views_export.c: a panel as SVG (rs_views_export), drawn from the data
 * its widget shows now: charts, spectra, rank strips, neuron maps,
 * heatmaps, tables and scatters here; pictures and sequence views
 * through their own files' exporters. UI thread only.
 */
#include "config.h"

#include "ui/views_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "ui/heatmap.h"
#include "ui/neuronmap.h"
#include "ui/scatter.h"
#include "ui/spectrum.h"
#include "ui/svg.h"
#include "ui/table.h"

static int
export_spectrum(struct rs_views_panel *p, FILE *f, struct rs_error *err)
{
    const struct rs_spectrum *sp = rs_spectrum_widget_data(p->w);
    int n = sp->s != NULL ? sp->n : 0;
    struct rs_bus_point *pts = rs_xcalloc(n > 0 ? (size_t)n : 1, sizeof *pts);
    for (int i = 0; i < n; i++)
        pts[i] = (struct rs_bus_point){i + 1,    i + 1,    sp->s[i], sp->s[i],
                                       sp->s[i], sp->s[i], 1};
    char title[256];
    snprintf(title, sizeof title, "%s · %s", sp->title ? sp->title : "",
             sp->layer ? sp->layer : "");
    struct rs_chart_series s = {"singular value", pts, (size_t)n,
                                RS_COLOR_DEFAULT};
    struct rs_chart c;
    rs_chart_init(&c);
    c.title = title;
    c.series = &s;
    c.nseries = 1;
    c.log_y = true;
    c.x_label = "index";
    int rc = rs_svg_chart(f, &c, NULL, err);
    free(pts);
    return rc;
}

static int
export_rank(struct rs_views_panel *p, FILE *f, struct rs_error *err)
{
    const struct rs_rankstrip *rk = rs_rankstrip_widget_data(p->w);
    struct rs_heatmap h;
    rs_heatmap_init(&h);
    h.title = rk->title;
    h.data = rk->rank;
    h.rows = rk->rank != NULL ? rk->layers : 0;
    h.cols = rk->times;
    h.row_labels = rk->labels;
    h.row_name = "layer";
    h.col_name = "time";
    return rs_svg_heatmap(f, &h, NULL, err);
}

static int
export_neurons(struct rs_views_panel *p, FILE *f, struct rs_error *err)
{
    const struct rs_neuronmap *m = rs_neuronmap_widget_data(p->w);
    int cols = 0;
    for (int l = 0; l < m->nlayers; l++)
        cols = m->layers[l].units > cols ? m->layers[l].units : cols;
    size_t cells = (size_t)m->nlayers * (size_t)(cols > 0 ? cols : 1);
    float *d = rs_xcalloc(cells > 0 ? cells : 1, sizeof *d);
    const char *labels[RS_VIEWSPEC_LAYERS_MAX];
    for (int l = 0; l < m->nlayers; l++) {
        labels[l] = m->layers[l].name;
        for (int u = 0; u < cols; u++)
            d[(size_t)l * cols + u] =
                u < m->layers[l].units ? m->layers[l].freq[u] : NAN;
    }
    struct rs_heatmap h;
    rs_heatmap_init(&h);
    h.title = m->title;
    h.data = d;
    h.rows = m->nlayers;
    h.cols = cols;
    h.row_labels = labels;
    h.row_name = "layer";
    h.col_name = "unit";
    h.vmin = 0;
    h.vmax = 1;
    int rc = rs_svg_heatmap(f, &h, NULL, err);
    free(d);
    return rc;
}

int
rs_views_export_panel(struct rs_views_panel *p, FILE *f, struct rs_error *err)
{
    switch (p->spec.kind) {
    case RS_VIEWSPEC_CURVES:
        return rs_svg_chart(f, rs_chart_widget_data(p->w), NULL, err);
    case RS_VIEWSPEC_SPECTRUM:
        return export_spectrum(p, f, err);
    case RS_VIEWSPEC_RANK:
        return export_rank(p, f, err);
    case RS_VIEWSPEC_NEURONS:
        return export_neurons(p, f, err);
    case RS_VIEWSPEC_HEATMAP:
        return rs_svg_heatmap(f, rs_heatmap_widget_data(p->w), NULL, err);
    case RS_VIEWSPEC_IMAGE:
        return rs_views_export_image(p, f, err);
    case RS_VIEWSPEC_FRAME:
        return rs_views_export_frame(p, f, err);
    case RS_VIEWSPEC_PROFILE:
    case RS_VIEWSPEC_BARS:
    case RS_VIEWSPEC_TEXT:
        return rs_views_export_seq(p, f, err);
    case RS_VIEWSPEC_SCATTER:
        return rs_scatter_svg(f, rs_scatter_widget_data(p->w), err);
    case RS_VIEWSPEC_TABLE:
        return rs_table_svg(f, rs_table_widget_data(p->w), err);
    case RS_VIEWSPEC_ALIGN:
    case RS_VIEWSPEC_PATCHES:
        break;
    }
    return rs_error_set(err, RS_EINVAL, "nothing to export");
}
