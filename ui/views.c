/* repscope - MIT licence, see COPYING.
 *
 * views.c: panels from view specs, filled from bus copies (views.h).
 * Each panel owns its widget and buffers; the widget's data fields point
 * into those buffers until the next fill. Every bus name read is one the
 * spec carries, or one with its layer part swapped for the selected layer
 * (rs_viewspec_relayer), so a learner's prefix ("a/spectrum/l3") needs
 * nothing here. The picture panels (image, frame, align, patches) are
 * filled in views_pictures.c, the curves in views_curves.c, the
 * sequence views in views_seq.c, the scatter in views_scatter.c, and
 * every panel's SVG export in views_export.c; views_impl.h holds what
 * they share. UI thread only.
 */
#include "config.h"

#include "ui/views.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "ui/alignmap.h"
#include "ui/frame.h"
#include "ui/heatmap.h"
#include "ui/image.h"
#include "ui/neuronmap.h"
#include "ui/patchgrid.h"
#include "ui/scatter.h"
#include "ui/spectrum.h"
#include "ui/svg.h"
#include "ui/table.h"
#include "ui/views_impl.h"

#define NS RS_VIEWSPEC_SERIES_MAX
#define NL RS_VIEWSPEC_LAYERS_MAX
#define LABELS_MAX RS_VIEWS_LABELS_MAX
#define MATNAMES_MAX 128

struct rs_views {
    int n;
    struct rs_views_panel *p;
    int nlayers;
    char layers[NL][RS_VIEWSPEC_NAME_MAX];
    char matnames[MATNAMES_MAX][RS_BUS_NAME_MAX];
};

/* ---- life cycle ---------------------------------------------------------- */

rs_views *
rs_views_new(const struct rs_viewspec_set *set)
{
    rs_views *v = rs_xcalloc(1, sizeof *v);
    v->n = set != NULL ? set->n : 0;
    v->p = rs_xcalloc(v->n > 0 ? (size_t)v->n : 1, sizeof *v->p);
    for (int i = 0; i < v->n; i++) {
        struct rs_views_panel *p = &v->p[i];
        p->spec = set->v[i];
        for (int k = 0; k < NS; k++)
            p->ser[k].version = p->blo[k].version = p->bhi[k].version =
                UINT64_MAX;
        for (int k = 0; k < NL; k++) {
            p->lser[k].version = UINT64_MAX;
            p->wver[k] = UINT64_MAX;
            p->mats[k].version = UINT64_MAX;
        }
        switch (p->spec.kind) {
        case RS_VIEWSPEC_CURVES: {
            p->w = rs_chart_widget_new();
            struct rs_chart *c = rs_chart_widget_data(p->w);
            c->log_x = p->spec.log_x;
            c->log_y = p->spec.log_y;
            if (p->spec.xlabel[0] != '\0')
                c->x_label = p->spec.xlabel;
            break;
        }
        case RS_VIEWSPEC_SPECTRUM:
            p->w = rs_spectrum_widget_new();
            break;
        case RS_VIEWSPEC_RANK:
            p->w = rs_rankstrip_widget_new();
            break;
        case RS_VIEWSPEC_NEURONS:
            p->w = rs_neuronmap_widget_new();
            rs_neuronmap_widget_data(p->w)->sel = -1;
            break;
        case RS_VIEWSPEC_HEATMAP:
            p->w = rs_heatmap_widget_new();
            break;
        case RS_VIEWSPEC_IMAGE:
            p->w = rs_image_widget_new();
            break;
        case RS_VIEWSPEC_ALIGN:
            p->w = rs_alignmap_widget_new();
            break;
        case RS_VIEWSPEC_PATCHES:
            p->w = rs_patchgrid_widget_new();
            break;
        case RS_VIEWSPEC_FRAME:
            p->w = rs_frame_widget_new();
            break;
        case RS_VIEWSPEC_PROFILE:
            p->w = rs_profile_widget_new();
            rs_profile_widget_data(p->w)->log_y = p->spec.log_y;
            break;
        case RS_VIEWSPEC_BARS:
            p->w = rs_bars_widget_new();
            break;
        case RS_VIEWSPEC_TEXT:
            p->w = rs_textmap_widget_new();
            break;
        case RS_VIEWSPEC_SCATTER:
            p->w = rs_scatter_widget_new();
            rs_scatter_widget_data(p->w)->log_y = p->spec.log_y;
            break;
        case RS_VIEWSPEC_TABLE:
            p->w = rs_table_widget_new();
            break;
        }
    }
    return v;
}

void
rs_views_free(rs_views *v)
{
    if (v == NULL)
        return;
    for (int i = 0; i < v->n; i++) {
        struct rs_views_panel *p = &v->p[i];
        rs_widget_free(p->w);
        for (int k = 0; k < NS; k++) {
            free(p->ser[k].pts);
            free(p->blo[k].pts);
            free(p->bhi[k].pts);
        }
        for (int k = 0; k < NL; k++)
            free(p->mats[k].data);
        for (int k = 0; k < NL; k++)
            free(p->lser[k].pts);
        free(p->rank);
        free(p->steps);
        free(p->rl);
        free(p->cl);
        free(p->tl);
        free(p->tlp);
        free(p->scx);
        free(p->scy);
    }
    free(v->p);
    free(v);
}

int
rs_views_count(const rs_views *v)
{
    return v->n;
}

struct rs_widget *
rs_views_widget(rs_views *v, int i)
{
    return v->p[i].w;
}

const struct rs_viewspec *
rs_views_spec(const rs_views *v, int i)
{
    return &v->p[i].spec;
}

int
rs_views_min_h(const rs_views *v, int i)
{
    switch (v->p[i].spec.kind) {
    case RS_VIEWSPEC_CURVES:
        /* legend, 4 plot rows, axis and labels; a small multiple: 3 */
        return v->p[i].spec.small ? 5 : 9;
    case RS_VIEWSPEC_SPECTRUM:
        return 7;
    case RS_VIEWSPEC_RANK:
        return 5;
    case RS_VIEWSPEC_NEURONS:
        return 5;
    case RS_VIEWSPEC_ALIGN:
        return 11; /* a header and four words of half-block maps */
    case RS_VIEWSPEC_PATCHES:
        return 8; /* names, four patch rows, the counts */
    case RS_VIEWSPEC_PROFILE:
    case RS_VIEWSPEC_SCATTER:
        return 9; /* as curves */
    case RS_VIEWSPEC_TEXT:
        return 5; /* two rows of text, the legend */
    case RS_VIEWSPEC_TABLE:
        return 5; /* the header and three rows */
    default:
        return 6;
    }
}

int
rs_views_layers(const rs_views *v, char (*out)[RS_VIEWSPEC_NAME_MAX], int max)
{
    int n = v->nlayers < max ? v->nlayers : max;
    memcpy(out, v->layers, (size_t)n * sizeof *out);
    return n;
}

bool
rs_views_mentions(const rs_views *v, int i, const char *name)
{
    const struct rs_viewspec *s = &v->p[i].spec;
    if (name == NULL || name[0] == '\0')
        return false;
    for (int k = 0; k < s->nseries; k++)
        if (strcmp(s->series[k], name) == 0)
            return true;
    for (int k = 0; k < s->nmats; k++)
        if (strcmp(s->mats[k], name) == 0)
            return true;
    for (int k = 0; s->kind == RS_VIEWSPEC_SCATTER && k < s->nseries; k++)
        if (strcmp(s->yseries[k], name) == 0)
            return true;
    if (s->layer[0] != '\0' && strcmp(s->layer, name) == 0)
        return true;
    for (int k = 0; k < s->nlayers; k++)
        if (strcmp(s->layers[k], name) == 0 ||
            strcmp(s->layer_series[k], name) == 0)
            return true;
    return false;
}

/* ---- bus copies ---------------------------------------------------------- */

/* Keep only what follows the last restart: the last bucket whose steps
 * go back (its own lo > hi: it straddles the restart, dropped too). */
static size_t
trim_restart(struct rs_bus_point *p, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i].step_hi < p[i].step_lo)
            start = i + 1;
        else if (i > 0 && p[i].step_lo < p[i - 1].step_hi)
            start = i;
    }
    if (start > 0)
        memmove(p, p + start, (n - start) * sizeof *p);
    return n - start;
}

/* Copy series name into c unless c already holds its current version
 * (asked for without copying: max 0). True when it changed. Under the
 * fill's read lock, so the version cannot move between the two calls. */
bool
rs_views_copy_series(rs_bus *bus, const char *name, struct rs_views_sercopy *c)
{
    if (c->pts == NULL)
        c->pts = rs_xcalloc(RS_BUS_SERIES_CAP, sizeof *c->pts);
    uint64_t ver;
    rs_bus_series_copy(bus, name, c->pts, 0, &ver);
    if (ver == c->version)
        return false;
    size_t n = rs_bus_series_copy(bus, name, c->pts, RS_BUS_SERIES_CAP, &ver);
    c->n = trim_restart(c->pts, n);
    c->version = ver;
    return true;
}

bool
rs_views_copy_matrix(rs_bus *bus, const char *name, struct rs_views_matbuf *m)
{
    double step;
    uint64_t ver = 0;
    bool was = m->ok;
    m->ok = rs_bus_matrix_copy(bus, name, &m->data, &m->cap, &m->rows, &m->cols,
                               &step, &ver);
    bool changed = was != m->ok || ver != m->version ||
                   strncmp(m->name, name, sizeof m->name) != 0;
    m->version = ver;
    snprintf(m->name, sizeof m->name, "%s", name);
    return changed;
}

/* a == b, NaN equal to NaN */
static bool
same_value(double a, double b)
{
    return a == b || (isnan(a) && isnan(b));
}

/* The newest value of series name (restarts trimmed), NaN if none. */
static double
last_value(rs_bus *bus, const char *name)
{
    double step, v;
    return rs_bus_series_last(bus, name, &step, &v) ? v : (double)NAN;
}

static bool
has_layer(const rs_views *v, const char *name)
{
    for (int i = 0; i < v->nlayers; i++)
        if (strcmp(v->layers[i], name) == 0)
            return true;
    return false;
}

static void
add_layer(rs_views *v, const char *name)
{
    if (name[0] != '\0' && v->nlayers < NL && !has_layer(v, name))
        snprintf(v->layers[v->nlayers++], RS_VIEWSPEC_NAME_MAX, "%s", name);
}

static bool
matrix_exists(const rs_views *v, int nm, const char *name)
{
    for (int i = 0; i < nm; i++)
        if (strcmp(v->matnames[i], name) == 0)
            return true;
    return false;
}

/* Add the layers of the bus matrices named like tmpl (whose last part is
 * tmpl_layer) with another last part. */
static void
add_layers_like(rs_views *v, int nm, const char *tmpl, const char *tmpl_layer)
{
    if (tmpl[0] == '\0' || tmpl_layer[0] == '\0')
        return;
    for (int i = 0; i < nm; i++) {
        const char *l = rs_viewspec_layer_of(v->matnames[i], tmpl, tmpl_layer);
        if (l != NULL)
            add_layer(v, l);
    }
}

/* Layer names in model order: digit runs compare as numbers ("l2" <
 * "l10"), the rest as bytes. */
static int
layer_cmp(const void *pa, const void *pb)
{
    const char *a = pa, *b = pb;
    while (*a != '\0' && *b != '\0') {
        if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
            long x = 0, y = 0;
            for (; *a >= '0' && *a <= '9'; a++)
                x = x < 100000000 ? x * 10 + (*a - '0') : x;
            for (; *b >= '0' && *b <= '9'; b++)
                y = y < 100000000 ? y * 10 + (*b - '0') : y;
            if (x != y)
                return x < y ? -1 : 1;
            continue;
        }
        if (*a != *b)
            return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
        a++;
        b++;
    }
    return (*a != '\0') - (*b != '\0');
}

/* The layer list: the rank views' layers and the layers of the bus
 * matrices named like a spectrum, neurons or rank view's (the same names
 * with another layer), in model order. */
static int
collect_layers(rs_views *v, rs_bus *bus)
{
    int nm = rs_bus_matrix_names(bus, v->matnames, MATNAMES_MAX);
    nm = nm < MATNAMES_MAX ? nm : MATNAMES_MAX;
    v->nlayers = 0;
    for (int i = 0; i < v->n; i++)
        for (int k = 0; k < v->p[i].spec.nlayers; k++)
            add_layer(v, v->p[i].spec.layers[k]);
    for (int kind = 0; kind < 2; kind++)
        for (int i = 0; i < v->n; i++) {
            const struct rs_viewspec *s = &v->p[i].spec;
            if (kind == 0 && s->kind == RS_VIEWSPEC_SPECTRUM)
                add_layers_like(v, nm, s->matrix, s->layer);
            else if (kind == 0 && s->kind == RS_VIEWSPEC_RANK && s->nlayers > 0)
                add_layers_like(v, nm, s->layer_matrix[0], s->layers[0]);
            else if (kind == 1 && s->kind == RS_VIEWSPEC_NEURONS)
                add_layers_like(v, nm, s->matrix, s->layer);
        }
    qsort(v->layers, (size_t)v->nlayers, sizeof v->layers[0], layer_cmp);
    return nm;
}

/* ---- fills --------------------------------------------------------------- */

/* The layer a layer-following panel shows: the selection if the bus has
 * the panel's matrix for it, else the spec's own. */
static const char *
pick_layer(const rs_views *v, int nm, const struct rs_views_panel *p,
           const struct rs_views_frame *f)
{
    char name[RS_BUS_NAME_MAX];
    if (f->layer != NULL &&
        rs_viewspec_relayer(name, p->spec.matrix, p->spec.layer, f->layer) &&
        matrix_exists(v, nm, name))
        return f->layer;
    return p->spec.layer;
}

/* Series k of the panel's spec for layer (NaN when the spec has none). */
static double
layer_value(rs_bus *bus, const struct rs_views_panel *p, int k,
            const char *layer)
{
    char name[RS_BUS_NAME_MAX];
    if (k >= p->spec.nseries ||
        !rs_viewspec_relayer(name, p->spec.series[k], p->spec.layer, layer))
        return (double)NAN;
    return last_value(bus, name);
}

static void
fill_spectrum(rs_views *v, int nm, struct rs_views_panel *p, rs_bus *bus,
              const struct rs_views_frame *f)
{
    struct rs_spectrum *sp = rs_spectrum_widget_data(p->w);
    const char *layer = pick_layer(v, nm, p, f);
    snprintf(p->layer, sizeof p->layer, "%s", layer);
    char name[RS_BUS_NAME_MAX];
    rs_viewspec_relayer(name, p->spec.matrix, p->spec.layer, layer);
    bool changed = rs_views_copy_matrix(bus, name, &p->mats[0]);
    /* the title line also carries the layer, srank and erank: a long
     * scene title (or one naming another layer) gives way */
    bool own = strcmp(layer, p->spec.layer) == 0;
    snprintf(p->title, sizeof p->title, "%s",
             own && p->spec.title[0] && rs_utf8_width(p->spec.title) <= 16
                 ? p->spec.title
                 : "spectrum");
    sp->title = p->title;
    sp->layer = p->layer;
    sp->s = p->mats[0].ok ? p->mats[0].data : NULL;
    sp->n = p->mats[0].ok ? p->mats[0].rows * p->mats[0].cols : 0;
    double sr = layer_value(bus, p, 0, layer); /* srank, erank: viewspec.h */
    sp->srank = isnan(sr) ? -1 : (int)lround(sr);
    sp->erank = layer_value(bus, p, 1, layer);
    p->changed = changed || !same_value(sr, p->srank) ||
                 !same_value(sp->erank, p->erank) ||
                 strcmp(p->sel, p->layer) != 0;
    p->srank = sr;
    p->erank = sp->erank;
    snprintf(p->sel, sizeof p->sel, "%s", p->layer);
}

/* Resample each layer's history into `times` columns over [0, xmax]:
 * the mean of the points in a column, else the last value before it
 * (up to the newest point), else NaN. */
static void
resample(const struct rs_bus_point *pts, size_t n, double xmax, int times,
         float *out)
{
    size_t k = 0;
    double last = NAN, last_step = n > 0 ? pts[n - 1].step_hi : -1;
    for (int t = 0; t < times; t++) {
        double lo = xmax * t / times, hi = xmax * (t + 1) / times;
        double sum = 0;
        int cnt = 0;
        while (k < n && 0.5 * (pts[k].step_lo + pts[k].step_hi) <= hi) {
            sum += (double)pts[k].mean;
            cnt++;
            k++;
        }
        if (cnt > 0)
            last = sum / cnt;
        out[t] = cnt > 0                           ? (float)last
                 : lo <= last_step && !isnan(last) ? (float)last
                                                   : NAN;
    }
}

static void
fill_rank(rs_views *v, struct rs_views_panel *p, rs_bus *bus,
          const struct rs_views_frame *f)
{
    struct rs_rankstrip *rk = rs_rankstrip_widget_data(p->w);
    if (p->spec.nlayers == 0) /* no layers named: every layer we know of */
        rs_viewspec_set_layers(&p->spec,
                               (const char(*)[RS_VIEWSPEC_NAME_MAX])v->layers,
                               v->nlayers);
    int nl = p->spec.nlayers;
    int lw = 0;
    for (int l = 0; l < nl; l++) {
        int w = rs_utf8_width(p->spec.layers[l]);
        lw = w > lw ? w : lw;
        p->labels[l] = p->spec.layers[l];
    }
    lw = (lw > 8 ? 8 : lw) + 1;
    int times = p->w->r.w - 2 - lw;
    times = times < 1 ? 1 : times;
    size_t need = (size_t)(nl > 0 ? nl : 1) * (size_t)times;
    if (need > p->rank_cap) {
        p->rank_cap = need;
        p->rank = rs_xreallocarray(p->rank, need, sizeof *p->rank);
    }
    if (times > p->times_cap) {
        p->times_cap = times;
        p->steps = rs_xreallocarray(p->steps, (size_t)times, sizeof *p->steps);
    }
    /* the x range: the planned steps, or the newest point if later */
    long total = f->st != NULL ? f->st->total : -1;
    double xmax = total > 0 ? (double)total : 0;
    const char *sel = f->layer != NULL ? f->layer : "";
    bool changed =
        times != p->times || total != p->total || strcmp(sel, p->sel) != 0;
    float wid[NL];
    for (int l = 0; l < nl; l++) {
        struct rs_views_sercopy *c = &p->lser[l];
        changed |= rs_views_copy_series(bus, p->spec.layer_series[l], c);
        if (c->n > 0 && c->pts[c->n - 1].step_hi > xmax)
            xmax = c->pts[c->n - 1].step_hi;
        /* a layer's full rank: the length of its spectrum (mats[0] is
         * scratch here; the spectrum's version tells a change) */
        rs_views_copy_matrix(bus, p->spec.layer_matrix[l], &p->mats[0]);
        uint64_t wv = p->mats[0].ok ? p->mats[0].version : 0;
        changed |= wv != p->wver[l];
        p->wver[l] = wv;
        wid[l] = p->mats[0].ok ? (float)(p->mats[0].rows * p->mats[0].cols) : 0;
    }
    p->changed = changed;
    p->times = times;
    p->total = total;
    snprintf(p->sel, sizeof p->sel, "%s", sel);
    for (int l = 0; changed && l < nl; l++) {
        float *row = p->rank + (size_t)l * (size_t)times;
        resample(p->lser[l].pts, p->lser[l].n, xmax, times, row);
        p->width[l] = wid[l];
        if (p->width[l] > 0)
            continue;
        /* no spectrum: the largest rank seen stands in for full */
        float mx = 0;
        for (int t = 0; t < times; t++)
            mx = row[t] > mx ? row[t] : mx;
        p->width[l] = mx > 0 ? mx : 1;
    }
    for (int t = 0; changed && t < times; t++)
        p->steps[t] = xmax * t / times;
    rk->title = p->spec.title[0] ? p->spec.title : "feature rank";
    rk->rank = nl > 0 ? p->rank : NULL;
    rk->layers = nl;
    rk->times = times;
    rk->labels = p->labels;
    rk->width = p->width;
    rk->full = 0;
    rk->steps = p->steps;
    rk->events = f->events;
    rk->nevents = f->nevents;
    rk->sel = -1;
    for (int l = 0; f->layer != NULL && l < nl; l++)
        if (strcmp(p->spec.layers[l], f->layer) == 0)
            rk->sel = l;
}

static void
fill_neurons(rs_views *v, int nm, struct rs_views_panel *p, rs_bus *bus,
             const struct rs_views_frame *f)
{
    struct rs_neuronmap *m = rs_neuronmap_widget_data(p->w);
    int n = 0, sel = -1;
    bool changed = false;
    const char *want = pick_layer(v, nm, p, f);
    for (int l = 0; l < v->nlayers && n < NL; l++) {
        char name[RS_BUS_NAME_MAX];
        if (!rs_viewspec_relayer(name, p->spec.matrix, p->spec.layer,
                                 v->layers[l]) ||
            !matrix_exists(v, nm, name))
            continue;
        changed |= rs_views_copy_matrix(bus, name, &p->mats[n]);
        if (!p->mats[n].ok)
            continue;
        snprintf(p->nl_names[n], sizeof p->nl_names[n], "%s", v->layers[l]);
        p->nl[n] = (struct rs_neuron_layer){p->nl_names[n], p->mats[n].data,
                                            p->mats[n].rows * p->mats[n].cols};
        if (strcmp(v->layers[l], want) == 0)
            sel = n;
        n++;
    }
    if (n == 0 && p->spec.matrix[0] != '\0') {
        changed |= rs_views_copy_matrix(bus, p->spec.matrix, &p->mats[0]);
        if (p->mats[0].ok) {
            snprintf(p->nl_names[0], sizeof p->nl_names[0], "%s",
                     p->spec.layer);
            p->nl[0] =
                (struct rs_neuron_layer){p->nl_names[0], p->mats[0].data,
                                         p->mats[0].rows * p->mats[0].cols};
            n = 1;
            sel = 0;
        }
    }
    p->changed = changed || n != m->nlayers || sel != m->sel;
    m->title = p->spec.title[0] && rs_utf8_width(p->spec.title) <= 16
                   ? p->spec.title
                   : "neurons";
    m->layers = p->nl;
    m->nlayers = n;
    m->sel = sel;
}

static void
fill_heatmap(struct rs_views_panel *p, rs_bus *bus)
{
    /* a table shows the same matrix and labels as numbers */
    struct rs_heatmap *h = p->spec.kind == RS_VIEWSPEC_TABLE
                               ? rs_table_widget_data(p->w)
                               : rs_heatmap_widget_data(p->w);
    struct rs_views_matbuf *m = &p->mats[0];
    h->title = p->spec.title[0] ? p->spec.title : p->spec.matrix;
    h->row_name = p->spec.rows[0] ? p->spec.rows : NULL;
    h->col_name = p->spec.cols[0] ? p->spec.cols : NULL;
    bool changed = rs_views_copy_matrix(bus, p->spec.matrix, m);
    p->changed = changed;
    if (!m->ok) {
        h->data = NULL;
        h->rows = h->cols = 0;
        return;
    }
    h->data = m->data; /* the copy may have moved it */
    h->rows = m->rows;
    h->cols = m->cols;
    h->vmin = p->spec.vmin;
    h->vmax = p->spec.vmax;
    if (!changed && p->filled)
        return; /* the labels and the sign came with the same version */
    if (p->rl == NULL) {
        p->rl = rs_xcalloc(LABELS_MAX, sizeof *p->rl);
        p->cl = rs_xcalloc(LABELS_MAX, sizeof *p->cl);
    }
    bool rows = m->rows <= LABELS_MAX, cols = m->cols <= LABELS_MAX;
    for (int i = 0; rows && i < m->rows; i++) {
        rows = rs_bus_matrix_label(bus, p->spec.matrix, true, i, p->rl[i],
                                   sizeof p->rl[i]);
        p->rlp[i] = p->rl[i];
    }
    for (int i = 0; cols && i < m->cols; i++) {
        cols = rs_bus_matrix_label(bus, p->spec.matrix, false, i, p->cl[i],
                                   sizeof p->cl[i]);
        p->clp[i] = p->cl[i];
    }
    h->row_labels = rows ? p->rlp : NULL;
    h->col_labels = cols ? p->clp : NULL;
    h->diverging = false;
    for (size_t i = 0; i < (size_t)m->rows * (size_t)m->cols; i++)
        if (m->data[i] < 0) {
            h->diverging = true;
            break;
        }
}

void
rs_views_fill(rs_views *v, rs_bus *bus, const struct rs_views_frame *f)
{
    rs_bus_read_begin(bus);
    int nm = collect_layers(v, bus);
    for (int i = 0; i < v->n; i++) {
        struct rs_views_panel *p = &v->p[i];
        switch (p->spec.kind) {
        case RS_VIEWSPEC_CURVES:
            rs_views_fill_curves(p, bus, f);
            break;
        case RS_VIEWSPEC_SPECTRUM:
            fill_spectrum(v, nm, p, bus, f);
            break;
        case RS_VIEWSPEC_RANK:
            fill_rank(v, p, bus, f);
            break;
        case RS_VIEWSPEC_NEURONS:
            fill_neurons(v, nm, p, bus, f);
            break;
        case RS_VIEWSPEC_HEATMAP:
        case RS_VIEWSPEC_TABLE:
            fill_heatmap(p, bus);
            break;
        case RS_VIEWSPEC_IMAGE:
            rs_views_fill_image(p, bus);
            break;
        case RS_VIEWSPEC_FRAME:
            rs_views_fill_frame(p, bus);
            break;
        case RS_VIEWSPEC_ALIGN:
            rs_views_fill_align(p, bus);
            break;
        case RS_VIEWSPEC_PATCHES:
            rs_views_fill_patches(p, bus);
            break;
        case RS_VIEWSPEC_PROFILE:
            rs_views_fill_profile(p, bus);
            break;
        case RS_VIEWSPEC_BARS:
            rs_views_fill_bars(p, bus);
            break;
        case RS_VIEWSPEC_TEXT:
            rs_views_fill_text(p, bus);
            break;
        case RS_VIEWSPEC_SCATTER:
            rs_views_fill_scatter(p, bus);
            break;
        }
    }
    rs_bus_read_end(bus);
    for (int i = 0; i < v->n; i++) {
        v->p[i].changed |= !v->p[i].filled;
        v->p[i].filled = true;
    }
}

bool
rs_views_changed(const rs_views *v, int i)
{
    return v->p[i].changed;
}

int
rs_views_export(rs_views *v, int i, FILE *f, struct rs_error *err)
{
    return rs_views_export_panel(&v->p[i], f, err);
}
