/* repscope - MIT licence, see COPYING.
 *
 * patchgrid.c: patch predictions against the truth (patchgrid.h).
 *
 * Geometry: n + 1 grids (the truth, then each learner) of side x side
 * patches, pw columns per patch (2: the class and a marker column, 1:
 * the class alone), one row per patch, one blank column between grids;
 * a header row (two when staggered) above, a count row below when it
 * fits. UI thread.
 */
#include "config.h"

#include "ui/patchgrid.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "ui/colormap.h"

void
rs_patchgrid_init(struct rs_patchgrid *p)
{
    memset(p, 0, sizeof *p);
}

static int
isqrt(int n)
{
    int s = (int)lround(sqrt((double)(n > 0 ? n : 0)));
    return s * s == n ? s : 0;
}

/* The class of v, -1 for none. */
static int
class_of(float v)
{
    if (!(v >= 0) || v > 1e6f)
        return -1;
    return (int)lroundf(v);
}

static uint32_t
class_glyph(int k)
{
    if (k < 0 || k >= 36)
        return k < 0 ? 0x00b7 : '+';
    return k < 10 ? (uint32_t)('0' + k) : (uint32_t)('a' + k - 10);
}

int
rs_patchgrid_right(const struct rs_patchgrid *p, int i)
{
    if (p->truth == NULL || p->pred == NULL || p->pred[i] == NULL)
        return -1;
    int n = 0;
    for (int q = 0; q < p->patches; q++) {
        int t = class_of(p->truth[q]);
        n += t >= 0 && class_of(p->pred[i][q]) == t;
    }
    return n;
}

static int
name_width(const struct rs_patchgrid *p)
{
    int w = 5; /* "truth" */
    for (int i = 0; p->names != NULL && i < p->n; i++) {
        int lw = rs_utf8_width(p->names[i]);
        w = lw > w ? lw : w;
    }
    return w;
}

static void
draw_grid(struct rs_canvas *cv, const struct rs_patchgrid *p, const float *v,
          bool is_truth, int x0, int y0, int side, int pw,
          const struct rs_ui_ctx *ctx)
{
    const struct rs_theme *th = rs_widget_theme(ctx);
    bool colour = ctx->color != RS_COLOR_MONO;
    for (int q = 0; q < p->patches; q++) {
        int k = class_of(v[q]);
        int t = p->truth != NULL ? class_of(p->truth[q]) : -1;
        bool judged = !is_truth && t >= 0 && k >= 0;
        bool right = judged && k == t;
        struct rs_style st = rs_widget_style(th->text, 0);
        if (judged && colour)
            st.fg = right ? th->good : th->bad;
        if (judged && !right && !colour && pw < 2)
            st.attr = RS_ATTR_REVERSE;
        int x = x0 + (q % side) * pw, y = y0 + q / side;
        rs_canvas_put(cv, x, y, class_glyph(k), st);
        if (judged && !right && !colour && pw >= 2)
            rs_canvas_put(cv, x + 1, y, '!', st);
    }
}

void
rs_patchgrid_draw(struct rs_canvas *cv, struct rs_rect r,
                  const struct rs_patchgrid *p, const struct rs_ui_ctx *ctx)
{
    struct rs_rect in = {r.x + 1, r.y + 1, r.w - 2, r.h - 2};
    int side = isqrt(p->patches);
    bool any = p->truth != NULL;
    for (int i = 0; p->pred != NULL && i < p->n; i++)
        any |= p->pred[i] != NULL;
    bool ok =
        any && side > 0 && p->n <= RS_PATCHGRID_MAX && in.w >= 4 && in.h >= 2;
    in = rs_widget_panel(cv, r, p->title, NULL, ctx);
    if (!ok) {
        rs_widget_empty(cv, in,
                        any && side == 0 ? "patches not a square"
                        : any            ? "too small"
                                         : NULL,
                        ctx);
        return;
    }
    int grids = p->n + 1;
    int pw = grids * (2 * side + 1) <= in.w ? 2 : 1;
    int gw = side * pw;
    int slot = gw + 1;
    int hr = 1;
    int spare = in.h - 1 - side;
    if (spare >= 1 && name_width(p) > slot - 1) {
        hr = 2;
        spare--;
    }
    int fr = spare >= 1 && p->truth != NULL ? 1 : 0;
    const struct rs_theme *th = rs_widget_theme(ctx);
    struct rs_style lab = rs_widget_style(th->tick, RS_ATTR_BOLD);
    struct rs_style cnt = rs_widget_style(th->tick, 0);
    for (int i = 0; i < grids; i++) {
        int x = in.x + i * slot;
        const char *name = i == 0             ? "truth"
                           : p->names != NULL ? p->names[i - 1]
                                              : "?";
        int line = hr == 2 ? i % 2 : 0;
        int room = hr == 2 ? 2 * slot - 1 : slot - 1;
        if (x + room > in.x + in.w)
            room = in.x + in.w - x;
        rs_canvas_text_fit(cv, x, in.y + line, name, room, lab);
        const float *v = i == 0 ? p->truth : p->pred[i - 1];
        if (v == NULL)
            continue;
        draw_grid(cv, p, v, i == 0, x, in.y + hr, side, pw, ctx);
        /* "13/16" below each learner; when that is wider than the grid,
         * "13" below each and "/16" below the truth */
        char buf[24];
        int right = i > 0 ? rs_patchgrid_right(p, i - 1) : -1;
        snprintf(buf, sizeof buf, "%d/%d", p->patches, p->patches);
        bool wide = rs_utf8_width(buf) <= slot - 1;
        if (fr && i == 0 && !wide)
            snprintf(buf, sizeof buf, "/%d", p->patches);
        else if (fr && right >= 0 && wide)
            snprintf(buf, sizeof buf, "%d/%d", right, p->patches);
        else if (fr && right >= 0)
            snprintf(buf, sizeof buf, "%d", right);
        else
            buf[0] = '\0';
        if (buf[0] != '\0')
            rs_canvas_text_fit(cv, x, in.y + hr + side, buf, slot - 1, cnt);
    }
}

/* ---- the widget ---------------------------------------------------------- */

struct patchgrid_widget {
    struct rs_widget base;
    struct rs_patchgrid p;
};

static void
patchgrid_widget_draw(struct rs_widget *w, struct rs_canvas *cv,
                      const struct rs_ui_ctx *ctx)
{
    rs_patchgrid_draw(cv, w->r, &((struct patchgrid_widget *)w)->p, ctx);
}

static void
patchgrid_widget_free(struct rs_widget *w)
{
    free(w);
}

const struct rs_widget_class rs_patchgrid_class = {
    .name = "patches",
    .draw = patchgrid_widget_draw,
    .key = NULL,
    .free = patchgrid_widget_free,
};

struct rs_widget *
rs_patchgrid_widget_new(void)
{
    struct patchgrid_widget *pw = rs_xcalloc(1, sizeof *pw);
    pw->base.cls = &rs_patchgrid_class;
    pw->base.dirty = true;
    rs_patchgrid_init(&pw->p);
    return &pw->base;
}

struct rs_patchgrid *
rs_patchgrid_widget_data(struct rs_widget *w)
{
    RS_ASSERT(w->cls == &rs_patchgrid_class);
    return &((struct patchgrid_widget *)w)->p;
}
