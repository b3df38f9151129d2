/* repscope - MIT licence, see COPYING.
 *
 * views_curves.c: the curves panel's fill (views.h): each series copied
 * from the bus into ser[i], thresholds for an accuracy series, and with
 * the spec's band each series' siblings S_lo and S_hi into blo[i] and
 * bhi[i] (no buffer while the bus has no such series). The chart's
 * series point into those copies until the next fill. UI thread only.
 */
#include "config.h"

#include "ui/views_impl.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ui/views.h"

static bool
is_acc(const char *name)
{
    return strcmp(name, "test/acc") == 0 || strcmp(name, "val/acc") == 0;
}

/* Copy series name + suffix into c as rs_views_copy_series does, but
 * allocate nothing while the bus has no such series (or the name is too
 * long to be one); true when it changed. */
static bool
copy_sibling(rs_bus *bus, const char *name, const char *suffix,
             struct rs_views_sercopy *c)
{
    char sib[RS_BUS_NAME_MAX];
    uint64_t ver = 0;
    int len = snprintf(sib, sizeof sib, "%s%s", name, suffix);
    if (len >= 0 && (size_t)len < sizeof sib)
        rs_bus_series_copy(bus, sib, NULL, 0, &ver);
    if (ver == 0 && c->pts == NULL) { /* absent and never seen */
        bool changed = c->version != 0;
        c->n = 0;
        c->version = 0;
        return changed;
    }
    if (ver == 0) { /* gone (or too long a name): nothing to show */
        bool changed = c->n > 0;
        c->n = 0;
        c->version = 0;
        return changed;
    }
    return rs_views_copy_series(bus, sib, c);
}

void
rs_views_fill_curves(struct rs_views_panel *p, rs_bus *bus,
                     const struct rs_views_frame *f)
{
    struct rs_chart *c = rs_chart_widget_data(p->w);
    int nth = 0;
    snprintf(p->th_label[0], sizeof p->th_label[0], "50%%");
    snprintf(p->th_label[1], sizeof p->th_label[1], "90%%");
    bool changed = false;
    for (int i = 0; i < p->spec.nseries; i++) {
        const char *name = p->spec.series[i];
        changed |= rs_views_copy_series(bus, name, &p->ser[i]);
        p->cs[i] = (struct rs_chart_series){name, p->ser[i].pts, p->ser[i].n,
                                            RS_COLOR_DEFAULT};
        if (p->spec.band) {
            changed |= copy_sibling(bus, name, "_lo", &p->blo[i]);
            changed |= copy_sibling(bus, name, "_hi", &p->bhi[i]);
            p->cb[i] = (struct rs_chart_band){p->blo[i].pts, p->bhi[i].pts,
                                              p->blo[i].n, p->bhi[i].n};
        }
        if (is_acc(name)) {
            p->th[nth++] = (struct rs_chart_threshold){i, 0.5, p->th_label[0]};
            p->th[nth++] = (struct rs_chart_threshold){i, 0.9, p->th_label[1]};
        }
    }
    c->title = p->spec.title[0] ? p->spec.title : "curves";
    c->series = p->cs;
    c->nseries = p->spec.nseries;
    c->bands = p->spec.band ? p->cb : NULL;
    c->thresholds = p->th;
    c->nthresholds = nth;
    c->events = p->spec.markers ? f->events : NULL;
    c->nevents = p->spec.markers ? f->nevents : 0;
    c->y_min = p->spec.ymin;
    c->y_max = p->spec.ymax;
    double total = f->st != NULL ? (double)f->st->total : -1;
    c->x_max = total > 0 ? total : (double)NAN;
    c->x_min = c->log_x || p->spec.x_from_data ? NAN : 0;
    p->changed = changed || p->total != (long)total;
    p->total = (long)total;
}
