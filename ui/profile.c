/* repscope - MIT licence, see COPYING.
 *
 * profile.c: a profile drawn as a line chart (profile.h). Each point of a
 * line becomes one bus bucket (step = x, min = max = mean = last = y,
 * count 1), so the chart's binning, legend, cursor readout and SVG
 * writer serve unchanged; the marker is a chart event. UI thread.
 */
#include "config.h"

#include "ui/profile.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "ui/fmt.h"

void
rs_profile_init(struct rs_profile *p)
{
    memset(p, 0, sizeof *p);
    p->mark = NAN;
    p->y_min = p->y_max = NAN;
    p->cursor = -1;
}

/* The x of point i of line l. */
static double
point_x(const struct rs_profile_line *l, int i)
{
    return l->x != NULL ? (double)l->x[i] : (double)(i + 1);
}

void
rs_profile_chart_init(struct rs_profile_chart *pc, const struct rs_profile *p)
{
    memset(pc, 0, sizeof *pc);
    int nl = p->nlines < RS_PROFILE_LINES_MAX ? p->nlines : RS_PROFILE_LINES_MAX;
    size_t total = 0;
    for (int l = 0; l < nl; l++)
        total += p->lines[l].n > 0 ? (size_t)p->lines[l].n : 0;
    pc->pts = rs_xcalloc(total > 0 ? total : 1, sizeof *pc->pts);
    struct rs_chart *c = &pc->c;
    rs_chart_init(c);
    double xlo = INFINITY, xhi = -INFINITY;
    size_t k = 0;
    for (int l = 0; l < nl; l++) {
        const struct rs_profile_line *ln = &p->lines[l];
        struct rs_bus_point *start = pc->pts + k;
        for (int i = 0; i < ln->n; i++) {
            double x = point_x(ln, i), y = ln->y[i];
            if (!isfinite(x) || !isfinite(y) || (p->log_x && x <= 0))
                continue;
            float fy = (float)y;
            pc->pts[k++] = (struct rs_bus_point){x, x, fy, fy, fy, fy, 1};
            xlo = x < xlo ? x : xlo;
            xhi = x > xhi ? x : xhi;
        }
        pc->s[l] = (struct rs_chart_series){ln->name, start,
                                            (size_t)(pc->pts + k - start),
                                            RS_COLOR_DEFAULT};
    }
    c->title = p->title;
    c->series = pc->s;
    c->nseries = nl;
    c->log_x = p->log_x;
    c->log_y = p->log_y;
    c->y_min = p->y_min;
    c->y_max = p->y_max;
    bool mark = isfinite(p->mark) && !(p->log_x && p->mark <= 0);
    if (mark) {
        if (p->mark_label != NULL)
            snprintf(pc->mark_text, sizeof pc->mark_text, "%s", p->mark_label);
        else
            rs_fmt_si(p->mark, pc->mark_text, sizeof pc->mark_text);
        pc->ev = (struct rs_chart_event){p->mark, pc->mark_text};
        c->events = &pc->ev;
        c->nevents = 1;
        /* the range covers the marker too */
        if (xhi >= xlo) {
            c->x_min = p->mark < xlo ? p->mark : xlo;
            c->x_max = p->mark > xhi ? p->mark : xhi;
        }
    }
    /* the axis names in the info: "bpc by position", or either alone */
    snprintf(pc->axis, sizeof pc->axis, "%s%s%s",
             p->ylabel != NULL ? p->ylabel : "",
             p->ylabel != NULL && p->xlabel != NULL ? " by " : "",
             p->xlabel != NULL ? p->xlabel : "");
    c->x_label = pc->axis;
    if (p->cursor >= 0 && nl > 0 && p->cursor < p->lines[0].n) {
        c->cursor_on = true;
        c->cursor = point_x(&p->lines[0], p->cursor);
    }
}

void
rs_profile_chart_fini(struct rs_profile_chart *pc)
{
    free(pc->pts);
    pc->pts = NULL;
}

void
rs_profile_draw(struct rs_canvas *cv, struct rs_rect r,
                const struct rs_profile *p, const struct rs_ui_ctx *ctx)
{
    struct rs_profile_chart pc;
    rs_profile_chart_init(&pc, p);
    rs_chart_draw(cv, r, &pc.c, ctx);
    rs_profile_chart_fini(&pc);
}

/* ---- the widget ---------------------------------------------------------- */

struct profile_widget {
    struct rs_widget base;
    struct rs_profile p;
};

static void
profile_widget_draw(struct rs_widget *w, struct rs_canvas *cv,
                    const struct rs_ui_ctx *ctx)
{
    rs_profile_draw(cv, w->r, &((struct profile_widget *)w)->p, ctx);
}

static unsigned
profile_widget_key(struct rs_widget *w, int key)
{
    struct rs_profile *p = &((struct profile_widget *)w)->p;
    const unsigned done = RS_UI_HANDLED | RS_UI_REDRAW;
    int n = p->nlines > 0 ? p->lines[0].n : 0;
    switch (key) {
    case 'l':
        p->log_y = !p->log_y;
        return done;
    case RS_KEY_ESC:
        if (p->cursor < 0)
            return 0;
        p->cursor = -1;
        return done;
    case RS_KEY_LEFT:
    case RS_KEY_RIGHT:
    case RS_KEY_HOME:
    case RS_KEY_END:
        if (n <= 0)
            return 0;
        if (key == RS_KEY_HOME)
            p->cursor = 0;
        else if (p->cursor < 0 || p->cursor >= n || key == RS_KEY_END)
            p->cursor = n - 1;
        else if (key == RS_KEY_LEFT)
            p->cursor = p->cursor > 0 ? p->cursor - 1 : 0;
        else
            p->cursor = p->cursor + 1 < n ? p->cursor + 1 : n - 1;
        return done;
    default:
        return 0;
    }
}

static void
profile_widget_free(struct rs_widget *w)
{
    free(w);
}

const struct rs_widget_class rs_profile_class = {
    .name = "profile",
    .draw = profile_widget_draw,
    .key = profile_widget_key,
    .free = profile_widget_free,
};

struct rs_widget *
rs_profile_widget_new(void)
{
    struct profile_widget *pw = rs_xcalloc(1, sizeof *pw);
    pw->base.cls = &rs_profile_class;
    pw->base.dirty = true;
    rs_profile_init(&pw->p);
    return &pw->base;
}

struct rs_profile *
rs_profile_widget_data(struct rs_widget *w)
{
    RS_ASSERT(w->cls == &rs_profile_class);
    return &((struct profile_widget *)w)->p;
}
