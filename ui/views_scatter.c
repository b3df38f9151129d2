/* repscope - MIT licence, see COPYING.
 *
 * views_scatter.c: the scatter panel's fill (views.h): each learner's x
 * and y series copied from the bus (ser[i], lser[i]) and paired by step
 * (rs_scatter_pair) into scx / scy whenever either changed; the widget's
 * sets point into those until the next fill. UI thread only.
 */
#include "config.h"

#include "ui/views_impl.h"

#include <stdlib.h>

#include "core/base.h"
#include "ui/scatter.h"

/* Each learner's two series, paired again when either changed. */
void
rs_views_fill_scatter(struct rs_views_panel *p, rs_bus *bus)
{
    struct rs_scatter *s = rs_scatter_widget_data(p->w);
    const size_t cap = RS_BUS_SERIES_CAP;
    int n = p->spec.nseries;
    size_t all = (size_t)RS_VIEWSPEC_SERIES_MAX * cap;
    if (p->scx == NULL) {
        p->scx = rs_xcalloc(all, sizeof *p->scx);
        p->scy = rs_xcalloc(all, sizeof *p->scy);
    }
    bool changed = false;
    for (int i = 0; i < n; i++) {
        changed |= rs_views_copy_series(bus, p->spec.series[i], &p->ser[i]);
        changed |= rs_views_copy_series(bus, p->spec.yseries[i], &p->lser[i]);
    }
    for (int i = 0; (changed || !p->filled) && i < n; i++) {
        double *x = p->scx + (size_t)i * cap, *y = p->scy + (size_t)i * cap;
        int k = rs_scatter_pair(p->ser[i].pts, p->ser[i].n, p->lser[i].pts,
                                p->lser[i].n, x, y, NULL, (int)cap);
        p->sets[i] = (struct rs_scatter_set){p->spec.mat_labels[i], x, y, k};
    }
    p->changed = changed;
    s->title = p->spec.title[0] ? p->spec.title : "scatter";
    s->xlabel = p->spec.xlabel[0] ? p->spec.xlabel : NULL;
    s->ylabel = p->spec.ylabel[0] ? p->spec.ylabel : NULL;
    s->sets = p->sets;
    s->nsets = n;
    s->x_min = p->spec.xmin;
    s->x_max = p->spec.xmax;
    s->y_min = p->spec.ymin;
    s->y_max = p->spec.ymax;
    s->log_x = p->spec.log_x;
}
