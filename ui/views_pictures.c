/* repscope - MIT licence, see COPYING.
 *
 * views_pictures.c: the panels of the picture views (views.h): image
 * and frame (one matrix; the frame's row labels from its spec), align
 * and patches (one matrix per learner in mats[i], the truth in
 * mats[RS_VIEWSPEC_LAYERS_MAX - 1]). Each widget's data fields point into
 * the panel's copies (and spec) until the next fill. UI thread only.
 */
#include "config.h"

#include "ui/views_impl.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/base.h"
#include "run/bus.h"
#include "ui/alignmap.h"
#include "ui/frame.h"
#include "ui/heatmap.h"
#include "ui/image.h"
#include "ui/patchgrid.h"
#include "ui/svg.h"

void
rs_views_fill_image(struct rs_views_panel *p, rs_bus *bus)
{
    struct rs_image *im = rs_image_widget_data(p->w);
    struct rs_views_matbuf *m = &p->mats[0];
    p->changed = rs_views_copy_matrix(bus, p->spec.matrix, m);
    im->title = p->spec.title[0] ? p->spec.title : p->spec.matrix;
    im->data = m->ok ? m->data : NULL; /* the copy may have moved it */
    im->rows = m->ok ? m->rows : 0;
    im->cols = m->ok ? m->cols : 0;
    im->vmin = p->spec.vmin;
    im->vmax = p->spec.vmax;
}

void
rs_views_fill_frame(struct rs_views_panel *p, rs_bus *bus)
{
    struct rs_frame *fr = rs_frame_widget_data(p->w);
    struct rs_views_matbuf *m = &p->mats[0];
    p->changed = rs_views_copy_matrix(bus, p->spec.matrix, m);
    fr->title = p->spec.title[0] ? p->spec.title : p->spec.matrix;
    fr->data = m->ok ? m->data : NULL; /* the copy may have moved it */
    fr->rows = m->ok ? m->rows : 0;
    fr->cols = m->ok ? m->cols : 0;
    fr->glyphs = p->spec.glyphs;
    fr->colors = p->spec.colors;
    fr->wide = p->spec.wide;
    for (int i = 0; i < p->spec.nrowlabels; i++)
        p->rlp[i] = p->spec.rowlabels[i];
    fr->labels = p->spec.nrowlabels > 0 ? p->rlp : NULL;
    fr->nlabels = p->spec.nrowlabels;
}

/* align, patches: each learner's matrix into mats[i] (mptr[i] NULL when
 * absent) and the truth into mats[RS_VIEWSPEC_LAYERS_MAX - 1]; true when any
 * changed. */
static bool
copy_learner_mats(struct rs_views_panel *p, rs_bus *bus)
{
    bool changed = false;
    for (int i = 0; i < p->spec.nmats; i++) {
        struct rs_views_matbuf *m = &p->mats[i];
        changed |= rs_views_copy_matrix(bus, p->spec.mats[i], m);
        p->mlab[i] = p->spec.mat_labels[i];
        p->mptr[i] = m->ok ? m->data : NULL;
        p->mrows[i] = m->ok ? m->rows : 0;
    }
    struct rs_views_matbuf *t = &p->mats[RS_VIEWSPEC_LAYERS_MAX - 1];
    if (p->spec.truth[0] != '\0')
        changed |= rs_views_copy_matrix(bus, p->spec.truth, t);
    return changed;
}

/* The word labels of an align panel: the row labels of the first
 * learner matrix that has them, else the truth's; false if none. */
static bool
word_labels(struct rs_views_panel *p, rs_bus *bus, int words)
{
    if (p->rl == NULL) {
        p->rl = rs_xcalloc(RS_VIEWS_LABELS_MAX, sizeof *p->rl);
        p->cl = rs_xcalloc(RS_VIEWS_LABELS_MAX, sizeof *p->cl);
    }
    for (int k = 0; k <= p->spec.nmats; k++) {
        const char *name = k < p->spec.nmats ? p->spec.mats[k] : p->spec.truth;
        bool ok = name[0] != '\0' && words <= RS_VIEWS_LABELS_MAX;
        for (int i = 0; ok && i < words; i++) {
            ok = rs_bus_matrix_label(bus, name, true, i, p->rl[i],
                                     sizeof p->rl[i]);
            p->rlp[i] = p->rl[i];
        }
        if (ok)
            return true;
    }
    return false;
}

void
rs_views_fill_align(struct rs_views_panel *p, rs_bus *bus)
{
    struct rs_alignmap *a = rs_alignmap_widget_data(p->w);
    bool changed = copy_learner_mats(p, bus);
    p->changed = changed;
    a->title = p->spec.title[0] ? p->spec.title : "alignment";
    a->nlearners = p->spec.nmats;
    a->learners = p->mlab;
    a->maps = p->mptr;
    a->rows = p->mrows;
    a->grid = p->spec.grid;
    a->vmin = p->spec.vmin;
    a->vmax = p->spec.vmax;
    /* P from the first matrix present; one of another width is left out */
    int P = 0, words = 0;
    for (int i = 0; i < p->spec.nmats; i++) {
        if (p->mptr[i] == NULL)
            continue;
        if (P == 0)
            P = p->mats[i].cols;
        if (p->mats[i].cols != P) {
            p->mptr[i] = NULL;
            continue;
        }
        words = p->mrows[i] > words ? p->mrows[i] : words;
    }
    words = words < RS_VIEWS_LABELS_MAX ? words : RS_VIEWS_LABELS_MAX;
    a->patches = P;
    a->words = words;
    const struct rs_views_matbuf *t = &p->mats[RS_VIEWSPEC_LAYERS_MAX - 1];
    size_t tn = t->ok ? (size_t)t->rows * (size_t)t->cols : 0;
    for (int w = 0; w < words; w++) {
        float v = (size_t)w < tn ? t->data[w] : NAN;
        p->items[w] = v >= 0 && v < 1024 ? (int)lroundf(v) : -1;
    }
    a->truth = t->ok ? p->items : NULL;
    if (changed || !p->filled)
        a->word_labels = word_labels(p, bus, words) ? p->rlp : NULL;
}

void
rs_views_fill_patches(struct rs_views_panel *p, rs_bus *bus)
{
    struct rs_patchgrid *g = rs_patchgrid_widget_data(p->w);
    p->changed = copy_learner_mats(p, bus);
    const struct rs_views_matbuf *t = &p->mats[RS_VIEWSPEC_LAYERS_MAX - 1];
    int P = t->ok ? t->rows * t->cols : 0;
    for (int i = 0; P == 0 && i < p->spec.nmats; i++)
        if (p->mptr[i] != NULL)
            P = p->mats[i].rows * p->mats[i].cols;
    for (int i = 0; i < p->spec.nmats; i++)
        if (p->mptr[i] != NULL && p->mats[i].rows * p->mats[i].cols != P)
            p->mptr[i] = NULL; /* not this image's patches */
    g->title = p->spec.title[0] ? p->spec.title : "patch predictions";
    g->n = p->spec.nmats;
    g->names = p->mlab;
    g->pred = p->mptr;
    g->truth = t->ok ? t->data : NULL;
    g->patches = P;
}

/* The picture's matrix as a heatmap (the SVG writer has no grey map). */
int
rs_views_export_image(struct rs_views_panel *p, FILE *f, struct rs_error *err)
{
    const struct rs_image *im = rs_image_widget_data(p->w);
    struct rs_heatmap h;
    rs_heatmap_init(&h);
    h.title = im->title;
    h.data = im->data;
    h.rows = im->data != NULL ? im->rows : 0;
    h.cols = im->cols;
    h.vmin = im->vmin;
    h.vmax = im->vmax;
    return rs_svg_heatmap(f, &h, NULL, err);
}

/* The frame's codes as a heatmap (the SVG writer has no text grid), its
 * row labels when every row has one. */
int
rs_views_export_frame(struct rs_views_panel *p, FILE *f, struct rs_error *err)
{
    const struct rs_frame *fr = rs_frame_widget_data(p->w);
    struct rs_heatmap h;
    rs_heatmap_init(&h);
    h.title = fr->title;
    h.data = fr->data;
    h.rows = fr->data != NULL ? fr->rows : 0;
    h.cols = fr->cols;
    if (fr->labels != NULL && fr->nlabels >= fr->rows)
        h.row_labels = fr->labels;
    return rs_svg_heatmap(f, &h, NULL, err);
}
