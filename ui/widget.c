/* repscope - MIT licence, see COPYING.
 *
 * widget.c: the chrome all widgets share (widget.h). UI thread only.
 */
#include "config.h"

#include "ui/widget.h"

#include "ui/canvas.h"

struct rs_rect
rs_widget_panel(struct rs_canvas *cv, struct rs_rect r, const char *title,
                const char *info, const struct rs_ui_ctx *ctx)
{
    const struct rs_theme *th = rs_widget_theme(ctx);
    bool foc = ctx != NULL && ctx->focused;
    struct rs_style border = rs_widget_style(
        foc ? th->border_focus : th->border, foc ? RS_ATTR_BOLD : 0);
    struct rs_style tst =
        rs_widget_style(foc ? th->border_focus : th->title, RS_ATTR_BOLD);
    struct rs_style ist = rs_widget_style(th->info, 0);
    struct rs_rect in = {r.x + 1, r.y + 1, r.w - 2, r.h - 2};
    if (in.w < 0)
        in.w = 0;
    if (in.h < 0)
        in.h = 0;
    rs_canvas_fill(cv, in, ' ', rs_widget_style(RS_COLOR_DEFAULT, 0));
    rs_canvas_box(cv, r, border, title, tst, info, ist);
    return in;
}

void
rs_widget_empty(struct rs_canvas *cv, struct rs_rect r, const char *msg,
                const struct rs_ui_ctx *ctx)
{
    const struct rs_theme *th = rs_widget_theme(ctx);
    if (msg == NULL)
        msg = "no data";
    if (r.w <= 0 || r.h <= 0)
        return;
    int w = rs_utf8_width(msg);
    if (w > r.w)
        w = r.w;
    rs_canvas_text_fit(cv, r.x + (r.w - w) / 2, r.y + (r.h - 1) / 2, msg, w,
                       rs_widget_style(th->dim, 0));
}
