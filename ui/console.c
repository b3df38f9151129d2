/* repscope - MIT licence, see COPYING.
 *
 * console.c: the console drawer (console.h). The scrollback is a ring of
 * owned strings; the input is a UTF-8 buffer with a byte cursor that
 * always sits on a code point boundary. UI thread only.
 */
#include "config.h"

#include "ui/console.h"

#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "ui/colormap.h"

struct line {
    char *text;
    enum rs_console_kind kind;
};

struct rs_console {
    struct line ring[RS_CONSOLE_LINES];
    int first, n; /* oldest line and count */
    int scroll;   /* rows scrolled back from the newest */
    int page;     /* output rows at the last draw */
    char in[RS_CONSOLE_INPUT_MAX + 1];
    size_t len, cur;
    char *hist[RS_CONSOLE_HISTORY];
    int nhist, hpos; /* hpos == nhist: the draft */
    char draft[RS_CONSOLE_INPUT_MAX + 1];
};

rs_console *
rs_console_new(void)
{
    return rs_xcalloc(1, sizeof(rs_console));
}

void
rs_console_free(rs_console *c)
{
    if (c == NULL)
        return;
    for (int i = 0; i < c->n; i++)
        free(c->ring[(c->first + i) % RS_CONSOLE_LINES].text);
    for (int i = 0; i < c->nhist; i++)
        free(c->hist[i]);
    free(c);
}

static void
add_one(rs_console *c, const char *s, size_t len, enum rs_console_kind k)
{
    struct line *l;
    if (c->n == RS_CONSOLE_LINES) {
        l = &c->ring[c->first];
        free(l->text);
        c->first = (c->first + 1) % RS_CONSOLE_LINES;
    } else {
        l = &c->ring[(c->first + c->n) % RS_CONSOLE_LINES];
        c->n++;
    }
    l->text = rs_xmalloc(len + 1);
    memcpy(l->text, s, len);
    l->text[len] = '\0';
    for (char *p = l->text; *p != '\0'; p++)
        if (*p == '\t' || *p == '\r')
            *p = ' ';
    l->kind = k;
    if (c->scroll > 0)
        c->scroll++; /* keep the view where it was (roughly: one row) */
}

void
rs_console_add(rs_console *c, const char *text, enum rs_console_kind k)
{
    const char *p = text;
    for (;;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
        if (nl == NULL && len == 0 && p != text)
            break;
        add_one(c, p, len, k);
        if (nl == NULL)
            break;
        p = nl + 1;
    }
}

int
rs_console_count(const rs_console *c)
{
    return c->n;
}

const char *
rs_console_line(const rs_console *c, int i)
{
    if (i < 0 || i >= c->n)
        return NULL;
    return c->ring[(c->first + i) % RS_CONSOLE_LINES].text;
}

const char *
rs_console_input(const rs_console *c)
{
    return c->in;
}

/* ---- editing --------------------------------------------------------------
 */

static size_t
prev_cp(const char *s, size_t i)
{
    while (i > 0 && ((unsigned char)s[--i] & 0xc0) == 0x80)
        ;
    return i;
}

static size_t
next_cp(const char *s, size_t len, size_t i)
{
    if (i < len)
        i++;
    while (i < len && ((unsigned char)s[i] & 0xc0) == 0x80)
        i++;
    return i;
}

bool
rs_console_insert(rs_console *c, uint32_t cp)
{
    char enc[8];
    if (cp < 0x20 || cp == 0x7f)
        return false;
    int k = rs_utf8_encode(cp, enc);
    if (c->len + (size_t)k > RS_CONSOLE_INPUT_MAX)
        return false;
    memmove(c->in + c->cur + k, c->in + c->cur, c->len - c->cur + 1);
    memcpy(c->in + c->cur, enc, (size_t)k);
    c->len += (size_t)k;
    c->cur += (size_t)k;
    return true;
}

static void
set_input(rs_console *c, const char *s)
{
    snprintf(c->in, sizeof c->in, "%s", s);
    c->len = c->cur = strlen(c->in);
}

static void
history_move(rs_console *c, int d)
{
    int to = c->hpos + d;
    if (to < 0 || to > c->nhist)
        return;
    if (c->hpos == c->nhist)
        snprintf(c->draft, sizeof c->draft, "%s", c->in);
    c->hpos = to;
    set_input(c, to == c->nhist ? c->draft : c->hist[to]);
}

bool
rs_console_edit(rs_console *c, enum rs_action a)
{
    switch (a) {
    case RS_ACT_CON_LEFT:
        c->cur = prev_cp(c->in, c->cur);
        return true;
    case RS_ACT_CON_RIGHT:
        c->cur = next_cp(c->in, c->len, c->cur);
        return true;
    case RS_ACT_CON_HOME:
        c->cur = 0;
        return true;
    case RS_ACT_CON_END:
        c->cur = c->len;
        return true;
    case RS_ACT_CON_BACKSPACE: {
        size_t p = prev_cp(c->in, c->cur);
        memmove(c->in + p, c->in + c->cur, c->len - c->cur + 1);
        c->len -= c->cur - p;
        c->cur = p;
        return true;
    }
    case RS_ACT_CON_DELETE: {
        size_t q = next_cp(c->in, c->len, c->cur);
        memmove(c->in + c->cur, c->in + q, c->len - q + 1);
        c->len -= q - c->cur;
        return true;
    }
    case RS_ACT_CON_KILL:
        set_input(c, "");
        return true;
    case RS_ACT_CON_PREV:
        history_move(c, -1);
        return true;
    case RS_ACT_CON_NEXT:
        history_move(c, +1);
        return true;
    case RS_ACT_CON_PGUP:
        c->scroll += c->page > 1 ? c->page - 1 : 1;
        return true;
    case RS_ACT_CON_PGDN:
        c->scroll -= c->page > 1 ? c->page - 1 : 1;
        c->scroll = c->scroll < 0 ? 0 : c->scroll;
        return true;
    default:
        return false;
    }
}

bool
rs_console_take(rs_console *c, char *buf, size_t n)
{
    const char *p = c->in;
    while (*p == ' ')
        p++;
    if (*p == '\0')
        return false;
    snprintf(buf, n, "%s", c->in);
    if (c->nhist == 0 || strcmp(c->hist[c->nhist - 1], c->in) != 0) {
        if (c->nhist == RS_CONSOLE_HISTORY) {
            free(c->hist[0]);
            memmove(c->hist, c->hist + 1,
                    (RS_CONSOLE_HISTORY - 1) * sizeof c->hist[0]);
            c->nhist--;
        }
        c->hist[c->nhist++] = rs_xstrdup(c->in);
    }
    c->hpos = c->nhist;
    c->draft[0] = '\0';
    set_input(c, "");
    c->scroll = 0;
    return true;
}

/* ---- drawing ------------------------------------------------------------- */

/* Rows line s takes when wrapped at w columns. */
static int
wrapped_rows(const char *s, int w)
{
    int cols = rs_utf8_width(s);
    return cols <= w ? 1 : (cols + w - 1) / w;
}

/* Draw s wrapped at w columns from row `skip` on (rows before it are
 * above the box), at most `rows` rows, from (x, y). */
static void
draw_wrapped(struct rs_canvas *cv, int x, int y, const char *s, int w, int skip,
             int rows, struct rs_style st)
{
    const char *p = s;
    for (int row = 0; row < skip + rows && *p != '\0'; row++) {
        int col = 0;
        const char *q = p;
        while (*q != '\0') {
            const char *t = q;
            int gw = rs_glyph_width(rs_utf8_next(&t));
            if (col + gw > w)
                break;
            col += gw;
            q = t;
        }
        if (q == p) /* a glyph wider than the box: skip it */
            rs_utf8_next(&q);
        if (row >= skip) {
            char buf[RS_CONSOLE_INPUT_MAX + 8];
            size_t len = (size_t)(q - p) < sizeof buf - 1 ? (size_t)(q - p)
                                                          : sizeof buf - 1;
            memcpy(buf, p, len);
            buf[len] = '\0';
            rs_canvas_text(cv, x, y + row - skip, buf, w, st);
        }
        p = q;
    }
}

static bool
is_error(const char *s)
{
    if (strncmp(s, "error", 5) == 0 || strstr(s, "stack traceback") == s)
        return true;
    /* "file:line: message" */
    const char *colon = strchr(s, ':');
    return colon != NULL && colon[1] >= '0' && colon[1] <= '9' &&
           strchr(colon + 1, ':') != NULL && strchr(s, ' ') > colon;
}

void
rs_console_draw(struct rs_canvas *cv, struct rs_rect r, rs_console *c,
                bool active, const char *info, const struct rs_ui_ctx *ctx)
{
    const struct rs_theme *th = rs_widget_theme(ctx);
    struct rs_ui_ctx cc = *ctx;
    cc.focused = active;
    struct rs_rect in = rs_widget_panel(cv, r, "console", info, &cc);
    if (in.w < 4 || in.h < 1)
        return;
    int out_h = in.h - 1;
    c->page = out_h;
    /* output, newest at the bottom, scrolled back by c->scroll rows */
    int total = 0;
    for (int i = 0; i < c->n; i++)
        total += wrapped_rows(rs_console_line(c, i), in.w);
    int maxscroll = total - out_h > 0 ? total - out_h : 0;
    c->scroll = c->scroll > maxscroll ? maxscroll : c->scroll;
    int bottom = out_h; /* first free row below, counting from in.y */
    int skip_rows = c->scroll;
    for (int i = c->n - 1; i >= 0 && bottom > 0; i--) {
        const struct line *l = &c->ring[(c->first + i) % RS_CONSOLE_LINES];
        int rows = wrapped_rows(l->text, in.w);
        int vis = rows - skip_rows;
        if (vis <= 0) {
            skip_rows -= rows;
            continue;
        }
        skip_rows = 0;
        int top = bottom - vis;
        int skip = top < 0 ? -top : 0;
        uint32_t fg = l->kind == RS_CONSOLE_ECHO   ? th->accent
                      : l->kind == RS_CONSOLE_NOTE ? th->dim
                      : is_error(l->text)          ? th->bad
                                                   : th->text;
        draw_wrapped(cv, in.x, in.y + (top > 0 ? top : 0), l->text, in.w, skip,
                     vis - skip, rs_widget_style(fg, 0));
        bottom = top;
    }
    if (c->scroll > 0) {
        char more[48];
        snprintf(more, sizeof more, " %d more ", c->scroll);
        int w = rs_utf8_width(more);
        rs_canvas_text(cv, in.x + in.w - w, in.y + out_h - 1, more, w,
                       rs_widget_style(th->warn, RS_ATTR_REVERSE));
    }
    /* the prompt, scrolled sideways so the cursor shows */
    int y = in.y + in.h - 1;
    struct rs_style pst = rs_widget_style(th->accent, RS_ATTR_BOLD);
    rs_canvas_text(cv, in.x, y, ctx->ascii ? ">" : "\u203a", 1, pst);
    int x0 = in.x + 2, w = in.w - 2;
    char before[RS_CONSOLE_INPUT_MAX + 1];
    memcpy(before, c->in, c->cur);
    before[c->cur] = '\0';
    int cw = rs_utf8_width(before);
    const char *p = c->in;
    int shift = cw - (w - 1) > 0 ? cw - (w - 1) : 0;
    while (shift > 0 && *p != '\0')
        shift -= rs_glyph_width(rs_utf8_next(&p));
    rs_canvas_text(cv, x0, y, p, w, rs_widget_style(th->text, 0));
    if (!active)
        return;
    /* the cursor's column less what scrolled off on the left */
    int cx = x0 + cw - (rs_utf8_width(c->in) - rs_utf8_width(p));
    const char *at = c->in + c->cur;
    uint32_t g = *at != '\0' ? rs_utf8_next(&at) : ' ';
    if (cx >= x0 && cx < x0 + w)
        rs_canvas_put(cv, cx, y, g, rs_widget_style(th->text, RS_ATTR_REVERSE));
}
