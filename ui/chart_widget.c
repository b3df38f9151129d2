/* repscope - MIT licence, see COPYING.
 *
 * chart_widget.c: the line chart as a widget (chart.h): a struct
 * rs_chart the loop fills, drawn by rs_chart_render, whose keys toggle
 * the log axes, cycle the smoothing and move a cursor over the plot
 * geometry of the last draw. UI thread.
 */
#include "config.h"

#include "ui/chart.h"
#include "ui/chart_impl.h"

#include <math.h>
#include <stdlib.h>

#include "core/base.h"
#include "ui/scale.h"

struct chart_widget {
    struct rs_widget base;
    struct rs_chart c;
    struct rs_chart_geom last; /* of the last draw (w = 0: none) */
};

static void
chart_widget_draw(struct rs_widget *w, struct rs_canvas *cv,
                  const struct rs_ui_ctx *ctx)
{
    struct chart_widget *cw = (struct chart_widget *)w;
    rs_chart_render(cv, w->r, &cw->c, ctx, &cw->last);
}

static unsigned
chart_widget_key(struct rs_widget *w, int key)
{
    static const double alphas[] = {0, 0.3, 0.1, 0.03, 0.01};
    struct chart_widget *cw = (struct chart_widget *)w;
    struct rs_chart *c = &cw->c;
    const struct rs_chart_geom *p = &cw->last;
    const unsigned done = RS_UI_HANDLED | RS_UI_REDRAW;
    switch (key) {
    case 'l':
        c->log_y = !c->log_y;
        return done;
    case 'L':
        c->log_x = !c->log_x;
        return done;
    case 'm': {
        size_t i = 0;
        while (i < RS_ARRAY_LEN(alphas) && alphas[i] != c->smooth)
            i++;
        c->smooth = alphas[(i + 1) % RS_ARRAY_LEN(alphas)];
        return done;
    }
    case RS_KEY_ESC:
        if (!c->cursor_on)
            return 0;
        c->cursor_on = false;
        return done;
    case RS_KEY_LEFT:
    case RS_KEY_RIGHT:
    case RS_KEY_HOME:
    case RS_KEY_END: {
        if (p->w <= 0)
            return 0;
        if (!c->cursor_on || key == RS_KEY_END) {
            c->cursor = p->sx.hi;
        } else if (key == RS_KEY_HOME) {
            c->cursor = p->sx.lo;
        } else {
            double f = rs_scale_pos(&p->sx, c->cursor);
            f = isnan(f) ? 1 : f;
            f += (key == RS_KEY_LEFT ? -1.0 : 1.0) / p->w;
            f = f < 0 ? 0 : f > 1 ? 1 : f;
            c->cursor = rs_scale_at(&p->sx, f);
        }
        c->cursor_on = true;
        return done;
    }
    default:
        return 0;
    }
}

static void
chart_widget_free(struct rs_widget *w)
{
    free(w);
}

const struct rs_widget_class rs_chart_class = {
    .name = "chart",
    .draw = chart_widget_draw,
    .key = chart_widget_key,
    .free = chart_widget_free,
};

struct rs_widget *
rs_chart_widget_new(void)
{
    struct chart_widget *cw = rs_xcalloc(1, sizeof *cw);
    cw->base.cls = &rs_chart_class;
    cw->base.dirty = true;
    rs_chart_init(&cw->c);
    return &cw->base;
}

struct rs_chart *
rs_chart_widget_data(struct rs_widget *w)
{
    RS_ASSERT(w->cls == &rs_chart_class);
    return &((struct chart_widget *)w)->c;
}
