/* repscope - MIT licence, see COPYING.
 *
 * help.c: the key help overlay (help.h). UI thread.
 */
#include "config.h"

#include "ui/help.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/base.h"
#include "ui/colormap.h"

int
rs_help_draw(struct rs_canvas *cv, struct rs_rect r, const struct rs_help *h,
             const struct rs_ui_ctx *ctx)
{
    const struct rs_theme *th = rs_widget_theme(ctx);
    int kw = 0, lw = 0, hw = 0; /* key, label and heading widths */
    for (int i = 0; i < h->n; i++) {
        const struct rs_keyhint *k = &h->keys[i];
        int w = rs_utf8_width(k->label);
        if (k->key == NULL) {
            hw = w > hw ? w : hw;
            continue;
        }
        int x = rs_utf8_width(rs_keybar_key_name(k->key, ctx));
        kw = x > kw ? x : kw;
        lw = w > lw ? w : lw;
    }
    kw = kw > 12 ? 12 : kw;
    lw = hw > kw + 2 + lw ? hw - kw - 2 : lw;
    int bw = kw + 2 + lw + 4, bh = h->n + 2;
    bw = bw < 24 ? 24 : bw;
    bw = bw > r.w - 2 ? r.w - 2 : bw;
    bh = bh > r.h - 2 ? r.h - 2 : bh;
    if (bw < 8 || bh < 3)
        return 0;
    int vis = bh - 2;
    int top = h->scroll;
    top = top > h->n - vis ? h->n - vis : top;
    top = top < 0 ? 0 : top;
    struct rs_rect box = {r.x + (r.w - bw) / 2, r.y + (r.h - bh) / 2, bw, bh};
    char info[48] = "";
    if (vis < h->n)
        snprintf(info, sizeof info, "%d-%d of %d", top + 1, top + vis, h->n);
    /* a blank margin around the box lifts it off the screen below */
    struct rs_rect margin = {box.x - 1, box.y - 1, box.w + 2, box.h + 2};
    struct rs_rect old = rs_canvas_set_clip(cv, r);
    rs_canvas_fill(cv, margin, ' ', rs_widget_style(RS_COLOR_DEFAULT, 0));
    rs_canvas_set_clip(cv, old);
    struct rs_ui_ctx c = *ctx;
    c.focused = true; /* an overlay always has the focus */
    struct rs_rect in =
        rs_widget_panel(cv, box, h->title ? h->title : "keys", info, &c);
    for (int i = 0; i < vis; i++) {
        const struct rs_keyhint *k = &h->keys[top + i];
        int y = in.y + i;
        if (k->key == NULL) {
            rs_canvas_text_fit(cv, in.x + 1, y, k->label, in.w - 2,
                               rs_widget_style(th->title, RS_ATTR_BOLD));
            continue;
        }
        const char *name = rs_keybar_key_name(k->key, ctx);
        int w = rs_utf8_width(name);
        w = w > kw ? kw : w;
        rs_canvas_text_fit(cv, in.x + 1 + kw - w, y, name, kw,
                           rs_widget_style(th->accent, RS_ATTR_BOLD));
        rs_canvas_text_fit(cv, in.x + 1 + kw + 2, y, k->label, in.w - kw - 3,
                           rs_widget_style(th->text, 0));
    }
    struct rs_style more = rs_widget_style(th->border_focus, RS_ATTR_BOLD);
    if (top > 0)
        rs_canvas_put(cv, box.x + box.w - 2, in.y, ctx->ascii ? '^' : 0x25b2,
                      more);
    if (top + vis < h->n)
        rs_canvas_put(cv, box.x + box.w - 2, in.y + in.h - 1,
                      ctx->ascii ? 'v' : 0x25bc, more);
    return vis;
}

/* ---- the widget ------------------------------------------------------------
 */

struct help_widget {
    struct rs_widget base;
    struct rs_help h;
    int page; /* lines visible at the last draw */
};

static void
help_widget_draw(struct rs_widget *w, struct rs_canvas *cv,
                 const struct rs_ui_ctx *ctx)
{
    struct help_widget *hw = (struct help_widget *)w;
    hw->page = rs_help_draw(cv, w->r, &hw->h, ctx);
}

static unsigned
help_widget_key(struct rs_widget *w, int key)
{
    struct help_widget *hw = (struct help_widget *)w;
    struct rs_help *h = &hw->h;
    int page = hw->page > 0 ? hw->page : 1;
    int s = h->scroll;
    switch (key) {
    case RS_KEY_ESC:
    case 'q':
    case '?':
    case RS_KEY_ENTER:
        return RS_UI_HANDLED | RS_UI_CLOSE;
    case RS_KEY_UP:
        s--;
        break;
    case RS_KEY_DOWN:
        s++;
        break;
    case RS_KEY_PGUP:
        s -= page;
        break;
    case RS_KEY_PGDN:
    case ' ':
        s += page;
        break;
    case RS_KEY_HOME:
        s = 0;
        break;
    case RS_KEY_END:
        s = h->n;
        break;
    default:
        return RS_UI_HANDLED; /* modal: swallow the rest */
    }
    s = s > h->n - page ? h->n - page : s;
    h->scroll = s < 0 ? 0 : s;
    return RS_UI_HANDLED | RS_UI_REDRAW;
}

static void
help_widget_free(struct rs_widget *w)
{
    free(w);
}

const struct rs_widget_class rs_help_class = {
    .name = "help",
    .draw = help_widget_draw,
    .key = help_widget_key,
    .free = help_widget_free,
};

struct rs_widget *
rs_help_widget_new(const struct rs_keyhint *keys, int n)
{
    struct help_widget *hw = rs_xcalloc(1, sizeof *hw);
    hw->base.cls = &rs_help_class;
    hw->base.dirty = true;
    hw->h.keys = keys;
    hw->h.n = n;
    return &hw->base;
}

struct rs_help *
rs_help_widget_data(struct rs_widget *w)
{
    RS_ASSERT(w->cls == &rs_help_class);
    return &((struct help_widget *)w)->h;
}
