/* repscope - MIT licence, see COPYING.
 *
 * views_seq.c: the panels of the sequence views (views.h): profile, bars
 * and text, each with one matrix per learner in mats[i] (the spec's
 * mats[], labelled by mat_labels[]). A learner whose matrix is not (yet)
 * on the bus keeps its place (an empty line or band), so colours do not
 * shift when it appears. Each widget's data fields point into the
 * panel's copies until the next fill. UI thread only.
 */
#include "config.h"

#include "ui/views_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "run/bus.h"
#include "ui/bars.h"
#include "ui/heatmap.h"
#include "ui/profile.h"
#include "ui/svg.h"
#include "ui/textmap.h"

/* Copy every learner's matrix; true when any changed. */
static bool
copy_mats(struct rs_views_panel *p, rs_bus *bus)
{
    bool changed = false;
    for (int i = 0; i < p->spec.nmats; i++)
        changed |= rs_views_copy_matrix(bus, p->spec.mats[i], &p->mats[i]);
    return changed;
}

static const char *
or_null(const char *s)
{
    return s[0] != '\0' ? s : NULL;
}

void
rs_views_fill_profile(struct rs_views_panel *p, rs_bus *bus)
{
    struct rs_profile *pr = rs_profile_widget_data(p->w);
    p->changed = copy_mats(p, bus);
    int n = p->spec.nmats;
    for (int i = 0; i < n; i++) {
        const struct rs_views_matbuf *m = &p->mats[i];
        /* y from row 1, x from row 2 (else the column index) */
        p->plines[i] = (struct rs_profile_line){
            p->spec.mat_labels[i], m->ok ? m->data : NULL,
            m->ok && m->rows >= 2 ? m->data + m->cols : NULL,
            m->ok && m->rows >= 1 ? m->cols : 0};
    }
    pr->title = p->spec.title[0] ? p->spec.title : "profile";
    pr->lines = p->plines;
    pr->nlines = n;
    pr->mark = p->spec.mark;
    pr->mark_label = or_null(p->spec.mark_label);
    pr->xlabel = or_null(p->spec.xlabel);
    pr->ylabel = or_null(p->spec.ylabel);
    pr->y_min = p->spec.ymin;
    pr->y_max = p->spec.ymax;
    pr->log_x = p->spec.log_x;
}

/* Column labels of the first learner matrix that has all of them, up to
 * max, into p->tl (grown to hold them); the count, 0 when none has. */
static int
read_col_labels(struct rs_views_panel *p, rs_bus *bus, int max)
{
    for (int i = 0; i < p->spec.nmats; i++) {
        const struct rs_views_matbuf *m = &p->mats[i];
        if (!m->ok || m->cols <= 0)
            continue;
        int n = m->cols < max ? m->cols : max;
        if (n > p->tl_cap) {
            p->tl = rs_xreallocarray(p->tl, (size_t)n, sizeof *p->tl);
            p->tlp = rs_xreallocarray(p->tlp, (size_t)n, sizeof *p->tlp);
            p->tl_cap = n;
        }
        bool ok = true;
        for (int k = 0; ok && k < n; k++) {
            ok = rs_bus_matrix_label(bus, p->spec.mats[i], false, k, p->tl[k],
                                     sizeof p->tl[k]);
            p->tlp[k] = p->tl[k];
        }
        if (ok) {
            p->tl_n = n;
            return n;
        }
    }
    p->tl_n = 0;
    return 0;
}

void
rs_views_fill_bars(struct rs_views_panel *p, rs_bus *bus)
{
    struct rs_bars *b = rs_bars_widget_data(p->w);
    bool changed = copy_mats(p, bus);
    p->changed = changed;
    int n = p->spec.nmats;
    for (int i = 0; i < n; i++) {
        const struct rs_views_matbuf *m = &p->mats[i];
        p->bgroups[i] = (struct rs_bars_group){
            n > 1 ? p->spec.mat_labels[i] : NULL, m->ok ? m->data : NULL,
            m->ok && m->rows >= 1 ? m->cols : 0};
    }
    b->title = p->spec.title[0] ? p->spec.title : "bars";
    b->groups = p->bgroups;
    b->ngroups = n;
    b->vmin = p->spec.vmin;
    b->vmax = p->spec.vmax;
    if (changed || !p->filled) {
        int nl = read_col_labels(p, bus, RS_VIEWS_TEXT_MAX);
        b->labels = nl > 0 ? p->tlp : NULL;
        b->nlabels = nl;
    }
}

void
rs_views_fill_text(struct rs_views_panel *p, rs_bus *bus)
{
    struct rs_textmap *t = rs_textmap_widget_data(p->w);
    bool changed = copy_mats(p, bus);
    p->changed = changed;
    int nl = 0;
    for (int i = 0; i < p->spec.nmats; i++) {
        const struct rs_views_matbuf *m = &p->mats[i];
        int rows = m->ok ? m->rows : 1;
        for (int r = 0; r < rows && nl < RS_TEXTMAP_LINES_MAX; r++) {
            char lab[32] = "";
            if (rows > 1 &&
                !rs_bus_matrix_label(bus, p->spec.mats[i], true, r, lab,
                                     sizeof lab))
                snprintf(lab, sizeof lab, "%d", r + 1);
            snprintf(p->tnames[nl], sizeof p->tnames[nl], "%s%s%s",
                     p->spec.mat_labels[i], rows > 1 ? " " : "", lab);
            p->tlines[nl] = (struct rs_textmap_line){
                p->tnames[nl], m->ok ? m->data + (size_t)r * m->cols : NULL,
                m->ok ? m->cols : 0};
            nl++;
        }
    }
    t->title = p->spec.title[0] ? p->spec.title : "text";
    t->lines = p->tlines;
    t->nlines = nl;
    t->vmin = p->spec.vmin;
    t->vmax = p->spec.vmax;
    if (changed || !p->filled) {
        int n = read_col_labels(p, bus, RS_VIEWS_TEXT_MAX);
        t->chars = n > 0 ? p->tlp : NULL;
        t->n = n;
    }
}

/* ---- export -------------------------------------------------------------- */

/* rows x cols of the groups' or lines' values (NaN past a row's end) as
 * an SVG heatmap, rows labelled by names, columns by labels. */
static int
export_rows(FILE *f, const char *title, int rows, const float *const *v,
            const int *len, const char *const *names, int cols,
            const char *const *labels, double vmin, double vmax,
            struct rs_error *err)
{
    size_t cells = (size_t)(rows > 0 ? rows : 1) * (size_t)(cols > 0 ? cols : 1);
    float *d = rs_xcalloc(cells, sizeof *d);
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++)
            d[(size_t)r * cols + c] = v[r] != NULL && c < len[r] ? v[r][c] : NAN;
    struct rs_heatmap h;
    rs_heatmap_init(&h);
    h.title = title;
    h.data = d;
    h.rows = cols > 0 ? rows : 0;
    h.cols = cols;
    h.row_labels = names;
    h.col_labels = labels;
    h.vmin = vmin;
    h.vmax = vmax;
    int rc = rs_svg_heatmap(f, &h, NULL, err);
    free(d);
    return rc;
}

int
rs_views_export_seq(struct rs_views_panel *p, FILE *f, struct rs_error *err)
{
    enum { N = RS_VIEWSPEC_SERIES_MAX };
    const float *v[N];
    const char *names[N];
    int len[N], rows = 0, cols = 0;
    switch (p->spec.kind) {
    case RS_VIEWSPEC_PROFILE: {
        struct rs_profile_chart pc;
        rs_profile_chart_init(&pc, rs_profile_widget_data(p->w));
        int rc = rs_svg_chart(f, &pc.c, NULL, err);
        rs_profile_chart_fini(&pc);
        return rc;
    }
    case RS_VIEWSPEC_BARS: {
        const struct rs_bars *b = rs_bars_widget_data(p->w);
        for (int i = 0; i < b->ngroups && rows < N; i++, rows++) {
            v[rows] = b->groups[i].v;
            len[rows] = b->groups[i].n;
            names[rows] = p->spec.mat_labels[i];
            cols = len[rows] > cols ? len[rows] : cols;
        }
        return export_rows(f, b->title, rows, v, len, names, cols,
                           b->nlabels >= cols ? b->labels : NULL, b->vmin,
                           b->vmax, err);
    }
    default: {
        const struct rs_textmap *t = rs_textmap_widget_data(p->w);
        for (int i = 0; i < t->nlines && rows < N; i++, rows++) {
            v[rows] = t->lines[i].v;
            len[rows] = t->lines[i].n < t->n ? t->lines[i].n : t->n;
            names[rows] = t->lines[i].name;
        }
        return export_rows(f, t->title, rows, v, len, names, t->n, t->chars,
                           t->vmin, t->vmax, err);
    }
    }
}
