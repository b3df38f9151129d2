/* repscope - MIT licence, see COPYING.
 *
 * textmap.c: a text shaded by a value per character (textmap.h).
 *
 * Geometry: inside the panel, a margin of the lines' names (only with
 * several lines), then the text in rows of at most tw characters, a row
 * also ending after a newline; each text row takes `block` screen rows
 * (one per line, and a blank one between groups when there are several
 * lines); the last screen row is the legend. UI thread.
 */
#include "config.h"

#include "ui/textmap.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "ui/colormap.h"
#include "ui/fmt.h"

#define NAME_MAX_W 11 /* margin columns for the names at most */
#define RAMP_W 10     /* legend ramp cells in colour */

struct geom {
    int nl;          /* lines drawn */
    int margin, tw;  /* name margin, text columns */
    int block, vis;  /* screen rows per text row, text rows visible */
    int rows, top;   /* wrapped rows in all, first one shown */
    int *starts;     /* (rows + 1) first character of each row */
};

void
rs_textmap_init(struct rs_textmap *t)
{
    memset(t, 0, sizeof *t);
    t->vmin = t->vmax = NAN;
}

static int
nlines(const struct rs_textmap *t)
{
    return t->nlines < RS_TEXTMAP_LINES_MAX ? t->nlines : RS_TEXTMAP_LINES_MAX;
}

bool
rs_textmap_range(const struct rs_textmap *t, double *lo, double *hi)
{
    double l = INFINITY, h = -INFINITY;
    for (int k = 0; k < nlines(t); k++) {
        const struct rs_textmap_line *ln = &t->lines[k];
        int n = ln->n < t->n ? ln->n : t->n;
        for (int i = 0; i < n; i++) {
            double v = ln->v[i];
            if (!isfinite(v))
                continue;
            l = v < l ? v : l;
            h = v > h ? v : h;
        }
    }
    bool any = h >= l;
    if (isfinite(t->vmin))
        l = t->vmin;
    if (isfinite(t->vmax))
        h = t->vmax;
    if (!isfinite(l) || !isfinite(h)) {
        l = 0;
        h = 1;
    }
    if (!(h > l))
        h = l + 1;
    *lo = l;
    *hi = h;
    return any;
}

uint32_t
rs_textmap_glyph(const char *s, bool ascii)
{
    const char *p = s != NULL ? s : "";
    uint32_t cp = rs_utf8_next(&p);
    if (cp == 0x2423 || cp == ' ')
        return ' ';
    if (cp == 0 || cp < 0x20 || cp == 0x7f || rs_glyph_width(cp) != 1)
        return '?';
    if (!ascii || cp < 0x80)
        return cp;
    switch (cp) {
    case 0x21b5: /* ↵ */
        return '$';
    case 0x2192: /* → */
        return '>';
    case 0x00b7: /* · */
        return '.';
    default:
        return rs_glyph_ascii(cp);
    }
}

/* Whether label s ends a row (a newline). */
static bool
is_newline(const char *s)
{
    const char *p = s != NULL ? s : "";
    uint32_t cp = rs_utf8_next(&p);
    return cp == 0x21b5 || cp == '\n';
}

struct rs_style
rs_textmap_style(double t, enum rs_color_mode color)
{
    static const uint16_t steps[5] = {RS_ATTR_DIM, 0, RS_ATTR_UNDERLINE,
                                      RS_ATTR_BOLD,
                                      RS_ATTR_REVERSE | RS_ATTR_BOLD};
    struct rs_style st = {RS_COLOR_DEFAULT, RS_COLOR_DEFAULT, 0};
    if (isnan(t))
        return st;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    if (color == RS_COLOR_MONO) {
        int k = (int)(t * 5);
        st.attr = steps[k > 4 ? 4 : k];
        return st;
    }
    st.bg = rs_cmap_seq(t);
    /* black text on the light end, white on the dark (Rec. 601 luma) */
    double luma = (0.299 * (st.bg >> 16 & 0xff) + 0.587 * (st.bg >> 8 & 0xff) +
                   0.114 * (st.bg & 0xff)) /
                  255;
    st.fg = luma > 0.5 ? 0x000000 : 0xffffff;
    return st;
}

/* Whether label s is a space. */
static bool
is_space(const char *s)
{
    const char *p = s != NULL ? s : "";
    uint32_t cp = rs_utf8_next(&p);
    return cp == ' ' || cp == 0x2423;
}

/* Wrap the text into rows of at most tw characters: a row ends after a
 * newline, else after its last space when the next word would be cut and
 * that space is in the row's second half; g->starts gets rows + 1
 * entries. */
static void
wrap(const struct rs_textmap *t, struct geom *g)
{
    g->starts = rs_xmalloc(((size_t)t->n + 2) * sizeof *g->starts);
    g->rows = 0;
    int i = 0;
    while (i < t->n) {
        g->starts[g->rows++] = i;
        int end = i;
        bool nl = false;
        while (end < t->n && end - i < g->tw && !nl)
            nl = is_newline(t->chars[end++]);
        if (!nl && end < t->n && !is_space(t->chars[end]))
            for (int k = end - 1; k > i + g->tw / 2; k--)
                if (is_space(t->chars[k])) {
                    end = k + 1;
                    break;
                }
        i = end;
    }
    g->starts[g->rows] = t->n;
}

/* The geometry inside `in`; false when nothing fits. */
static bool
geometry(const struct rs_textmap *t, struct rs_rect in, struct geom *g)
{
    memset(g, 0, sizeof *g);
    g->nl = nlines(t);
    if (g->nl > 1)
        for (int k = 0; k < g->nl; k++) {
            const char *nm = t->lines[k].name ? t->lines[k].name : "";
            int w = rs_utf8_width(nm) + 1;
            g->margin = w > g->margin ? w : g->margin;
        }
    g->margin = g->margin > NAME_MAX_W + 1 ? NAME_MAX_W + 1 : g->margin;
    g->tw = in.w - g->margin;
    g->block = g->nl + (g->nl > 1 ? 1 : 0);
    int h = in.h - 1; /* the legend */
    g->vis = g->block > 0 ? (h + (g->nl > 1 ? 1 : 0)) / g->block : 0;
    if (g->tw < 4 || g->vis < 1 || g->nl == 0)
        return false;
    wrap(t, g);
    int most = g->rows - g->vis > 0 ? g->rows - g->vis : 0;
    g->top = t->top < 0 ? 0 : t->top > most ? most : t->top;
    return true;
}

static void
legend(struct rs_canvas *cv, struct rs_rect in, const struct rs_textmap *t,
       const struct geom *g, double lo, double hi, const struct rs_ui_ctx *ctx)
{
    const struct rs_theme *th = rs_widget_theme(ctx);
    struct rs_style dim = rs_widget_style(th->tick, 0);
    int y = in.y + in.h - 1, x = in.x, end = in.x + in.w;
    char num[32];
    x += rs_canvas_text(cv, x, y, rs_fmt_si(lo, num, sizeof num), end - x,
                        dim) + 1;
    bool mono = ctx->color == RS_COLOR_MONO;
    int cells = mono ? 5 : RAMP_W;
    for (int i = 0; i < cells && x < end; i++, x++) {
        double f = (i + 0.5) / cells;
        rs_canvas_put(cv, x, y, mono ? 'a' : ' ', rs_textmap_style(f, ctx->color));
    }
    x++;
    if (x < end)
        x += rs_canvas_text(cv, x, y, rs_fmt_si(hi, num, sizeof num),
                            end - x, dim);
    /* each line's mean over the text */
    for (int k = 0; k < g->nl && x + 3 < end; k++) {
        const struct rs_textmap_line *ln = &t->lines[k];
        double sum = 0;
        int cnt = 0, n = ln->n < t->n ? ln->n : t->n;
        for (int i = 0; i < n; i++)
            if (isfinite(ln->v[i])) {
                sum += (double)ln->v[i];
                cnt++;
            }
        char item[96];
        rs_fmt_num(cnt > 0 ? sum / cnt : (double)NAN, num, sizeof num);
        snprintf(item, sizeof item, "%s%s%s %s", k == 0 ? "mean " : "",
                 ln->name ? ln->name : "", ln->name ? "" : "", num);
        x += 2;
        if (x < end)
            x += rs_canvas_text_fit(
                cv, x, y, item, end - x,
                rs_widget_style(mono ? RS_COLOR_DEFAULT : rs_theme_series(th, k),
                                0));
    }
}

static void
render(struct rs_canvas *cv, struct rs_rect r, const struct rs_textmap *t,
       const struct rs_ui_ctx *ctx, struct geom *g)
{
    const struct rs_theme *th = rs_widget_theme(ctx);
    struct rs_rect in0 = {r.x + 1, r.y + 1, r.w - 2, r.h - 2};
    bool have = t->chars != NULL && t->n > 0;
    bool ok = have && geometry(t, in0, g);
    char info[48] = "";
    if (ok && g->rows > g->vis)
        snprintf(info, sizeof info, "rows %d-%d/%d", g->top + 1,
                 g->top + g->vis < g->rows ? g->top + g->vis : g->rows,
                 g->rows);
    else if (ok)
        snprintf(info, sizeof info, "%d chars", t->n);
    struct rs_rect in = rs_widget_panel(cv, r, t->title, info, ctx);
    if (!ok) {
        rs_widget_empty(cv, in, have ? "too small" : NULL, ctx);
        return;
    }
    double lo, hi;
    rs_textmap_range(t, &lo, &hi);
    bool mono = ctx->color == RS_COLOR_MONO;
    for (int vr = 0; vr < g->vis && g->top + vr < g->rows; vr++) {
        int row = g->top + vr;
        int y0 = in.y + vr * g->block;
        for (int k = 0; k < g->nl; k++) {
            const struct rs_textmap_line *ln = &t->lines[k];
            int y = y0 + k;
            if (g->margin > 0 && ln->name != NULL)
                rs_canvas_text_fit(
                    cv, in.x, y, ln->name, g->margin - 1,
                    rs_widget_style(mono ? RS_COLOR_DEFAULT
                                         : rs_theme_series(th, k),
                                    RS_ATTR_BOLD));
            for (int i = g->starts[row]; i < g->starts[row + 1]; i++) {
                double v = i < ln->n ? (double)ln->v[i] : (double)NAN;
                double f = isfinite(v) ? (v - lo) / (hi - lo) : (double)NAN;
                struct rs_style st = rs_textmap_style(f, ctx->color);
                rs_canvas_put(cv, in.x + g->margin + (i - g->starts[row]), y,
                              rs_textmap_glyph(t->chars[i], ctx->ascii), st);
            }
        }
    }
    legend(cv, in, t, g, lo, hi, ctx);
}

void
rs_textmap_draw(struct rs_canvas *cv, struct rs_rect r,
                const struct rs_textmap *t, const struct rs_ui_ctx *ctx)
{
    struct geom g = {0};
    render(cv, r, t, ctx, &g);
    free(g.starts);
}

/* ---- the widget ---------------------------------------------------------- */

struct textmap_widget {
    struct rs_widget base;
    struct rs_textmap t;
    int rows, vis; /* of the last draw */
};

static void
textmap_widget_draw(struct rs_widget *w, struct rs_canvas *cv,
                    const struct rs_ui_ctx *ctx)
{
    struct textmap_widget *tw = (struct textmap_widget *)w;
    struct geom g = {0};
    render(cv, w->r, &tw->t, ctx, &g);
    free(g.starts);
    tw->rows = g.rows;
    tw->vis = g.vis;
    tw->t.top = g.top; /* clamped */
}

static unsigned
textmap_widget_key(struct rs_widget *w, int key)
{
    struct textmap_widget *tw = (struct textmap_widget *)w;
    int most = tw->rows - tw->vis > 0 ? tw->rows - tw->vis : 0;
    int page = tw->vis > 1 ? tw->vis - 1 : 1, top = tw->t.top;
    switch (key) {
    case RS_KEY_UP:
        top--;
        break;
    case RS_KEY_DOWN:
        top++;
        break;
    case RS_KEY_PGUP:
        top -= page;
        break;
    case RS_KEY_PGDN:
        top += page;
        break;
    case RS_KEY_HOME:
        top = 0;
        break;
    case RS_KEY_END:
        top = most;
        break;
    default:
        return 0;
    }
    top = top < 0 ? 0 : top > most ? most : top;
    if (top == tw->t.top)
        return RS_UI_HANDLED;
    tw->t.top = top;
    return RS_UI_HANDLED | RS_UI_REDRAW;
}

static void
textmap_widget_free(struct rs_widget *w)
{
    free(w);
}

const struct rs_widget_class rs_textmap_class = {
    .name = "text",
    .draw = textmap_widget_draw,
    .key = textmap_widget_key,
    .free = textmap_widget_free,
};

struct rs_widget *
rs_textmap_widget_new(void)
{
    struct textmap_widget *tw = rs_xcalloc(1, sizeof *tw);
    tw->base.cls = &rs_textmap_class;
    tw->base.dirty = true;
    rs_textmap_init(&tw->t);
    return &tw->base;
}

struct rs_textmap *
rs_textmap_widget_data(struct rs_widget *w)
{
    RS_ASSERT(w->cls == &rs_textmap_class);
    return &((struct textmap_widget *)w)->t;
}
