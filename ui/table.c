/* repscope - MIT licence, see COPYING.
 *
 * table.c: a matrix as a table of numbers (table.h).
 *
 * Geometry: inside the panel, the row label column (swatch, label, a
 * gap), then each column as wide as its label or widest value and a gap
 * (COL_MIN_W..COL_MAX_W), values right-aligned; row 0 of the inside is
 * the header. UI thread.
 */
#include "config.h"

#include "ui/table.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "ui/colormap.h"
#include "ui/fmt.h"
#include "ui/svg.h"

#define LABEL_MAX_W 28 /* row labels are cut beyond */
#define COL_MIN_W 6    /* a value (rs_fmt_num: about 5) and a gap */
#define COL_MAX_W 14

struct table_widget {
    struct rs_widget base;
    struct rs_heatmap h;
    int first; /* first column shown */
};

/* v as the table shows it: a whole number as such (below 1e6), else
 * rs_fmt_num; "-" for NaN. */
static const char *
table_num(float v, char *buf, size_t n)
{
    double d = (double)v;
    if (isnan(d))
        snprintf(buf, n, "-");
    else if (d == floor(d) && fabs(d) < 1e6)
        snprintf(buf, n, "%.0f", d);
    else
        rs_fmt_num(d, buf, n);
    return buf;
}

/* Width of column j: its label's or its widest value's, and a gap. */
static int
col_width(const struct rs_heatmap *h, int j)
{
    char num[32];
    int c = COL_MIN_W;
    if (h->col_labels != NULL) {
        int k = rs_utf8_width(h->col_labels[j]) + 2;
        c = k > c ? k : c;
    }
    for (int i = 0; h->data != NULL && i < h->rows; i++) {
        int k = (int)strlen(
                    table_num(h->data[(size_t)i * (size_t)h->cols + (size_t)j],
                              num, sizeof num)) +
                2;
        c = k > c ? k : c;
    }
    return c > COL_MAX_W ? COL_MAX_W : c;
}

/* The label column's width (swatch, label, gap) inside w. */
static int
label_width(const struct rs_heatmap *h, int w)
{
    int l = 0;
    for (int i = 0; h->row_labels != NULL && i < h->rows; i++) {
        int k = rs_utf8_width(h->row_labels[i]);
        l = k > l ? k : l;
    }
    l = l > LABEL_MAX_W ? LABEL_MAX_W : l;
    if (l > w / 2)
        l = w / 2;
    return l + 2;
}

/* Columns from first on that fit in w after the label column (>= 1). */
static int
cols_fit(const struct rs_heatmap *h, int w, int first)
{
    int x = label_width(h, w), n = 0;
    for (int j = first; j < h->cols; j++) {
        x += col_width(h, j);
        if (x > w && n > 0)
            break;
        n++;
    }
    return n;
}

/* The first column that shows the last ones filling w. */
static int
last_first(const struct rs_heatmap *h, int w)
{
    int f = h->cols - 1;
    while (f > 0 && cols_fit(h, w, f - 1) == h->cols - f + 1)
        f--;
    return f < 0 ? 0 : f;
}

/* Right-align s in [x, x + w) (cut with '…' when wider). */
static void
text_right(struct rs_canvas *cv, int x, int y, int w, const char *s,
           struct rs_style st)
{
    int k = rs_utf8_width(s);
    if (k >= w)
        rs_canvas_text_fit(cv, x, y, s, w, st);
    else
        rs_canvas_text(cv, x + w - k, y, s, w, st);
}

void
rs_table_draw(struct rs_canvas *cv, struct rs_rect r,
              const struct rs_heatmap *h, int first,
              const struct rs_ui_ctx *ctx)
{
    const struct rs_theme *th = rs_widget_theme(ctx);
    const char *title = h->title != NULL ? h->title : "table";
    if (h->data == NULL || h->rows <= 0 || h->cols <= 0) {
        struct rs_rect in = rs_widget_panel(cv, r, title, NULL, ctx);
        rs_widget_empty(cv, in, NULL, ctx);
        return;
    }
    int w = r.w - 2;
    int lf = last_first(h, w);
    first = first > lf ? lf : first < 0 ? 0 : first;
    int ncol = cols_fit(h, w, first);
    char info[48] = "";
    if (ncol < h->cols)
        snprintf(info, sizeof info, "cols %d-%d of %d %s", first + 1,
                 first + ncol, h->cols, ctx->ascii ? "<>" : "\u2190\u2192");
    struct rs_rect in = rs_widget_panel(cv, r, title, info, ctx);
    if (in.w <= 0 || in.h <= 0)
        return;
    struct rs_style head = rs_widget_style(th->title, RS_ATTR_BOLD);
    struct rs_style text = rs_widget_style(th->text, 0);
    struct rs_style dim = rs_widget_style(th->dim, 0);
    int lw = label_width(h, in.w);
    char num[32];
    for (int j = 0, x = in.x + lw; j < ncol; j++) {
        int c = first + j, cw = col_width(h, c);
        if (h->col_labels != NULL)
            text_right(cv, x, in.y, cw, h->col_labels[c], head);
        else
            text_right(cv, x, in.y, cw,
                       (snprintf(num, sizeof num, "%d", c + 1), num), head);
        x += cw;
    }
    int shown = in.h - 1;
    if (shown < h->rows) /* keep a row for "+k more" */
        shown = shown > 1 ? shown - 1 : shown;
    shown = shown > h->rows ? h->rows : shown;
    for (int i = 0; i < shown; i++) {
        int y = in.y + 1 + i;
        /* the run's colour, as its line in the curves */
        rs_canvas_put(cv, in.x, y,
                      ctx->ascii                    ? '#'
                      : ctx->color == RS_COLOR_MONO ? 0x25a0 /* ■ */
                                                    : 0x2501 /* ━ */,
                      rs_widget_style(rs_theme_series(th, i), RS_ATTR_BOLD));
        if (h->row_labels != NULL)
            rs_canvas_text_fit(cv, in.x + 2, y, h->row_labels[i], lw - 2, text);
        for (int j = 0, x = in.x + lw; j < ncol; j++) {
            int c = first + j, cw = col_width(h, c);
            float v = h->data[(size_t)i * (size_t)h->cols + (size_t)c];
            text_right(cv, x, y, cw, table_num(v, num, sizeof num),
                       isnan(v) ? dim : text);
            x += cw;
        }
    }
    if (shown < h->rows) {
        snprintf(num, sizeof num, "+%d more", h->rows - shown);
        rs_canvas_text(cv, in.x + 2, in.y + 1 + shown, num, in.w - 2, dim);
    }
}

int
rs_table_svg(FILE *f, const struct rs_heatmap *h, struct rs_error *err)
{
    if (h->data == NULL || h->rows <= 0 || h->cols <= 0)
        return rs_error_set(err, RS_EINVAL, "the table is empty");
    /* 7 px per character of the widest label or value, as on screen */
    int lw = label_width(h, 1 << 20) * 7 + 16;
    int width = lw + 16, rowh = 20;
    for (int j = 0; j < h->cols; j++)
        width += col_width(h, j) * 7 + 8;
    rs_svg_begin(f, width, 56 + rowh * (h->rows + 1), h->title);
    char num[32];
    const struct rs_theme *th = &rs_theme_dark;
    for (int i = -1; i < h->rows; i++) {
        int y = 64 + rowh * i + rowh;
        if (i >= 0) {
            uint32_t c = rs_theme_series(th, i) & 0xffffff;
            fprintf(f,
                    "<rect x=\"16\" y=\"%d\" width=\"12\" height=\"4\" "
                    "fill=\"#%06x\"/>\n<text x=\"34\" y=\"%d\" fill=\"%s\">",
                    y - 6, (unsigned)c, y, RS_SVG_INK);
            rs_svg_escape(f, h->row_labels != NULL ? h->row_labels[i] : "");
            fputs("</text>\n", f);
        }
        int x = lw;
        for (int j = 0; j < h->cols; j++) {
            x += col_width(h, j) * 7 + 8;
            const char *t = num;
            if (i < 0 && h->col_labels != NULL)
                t = h->col_labels[j];
            else if (i < 0)
                snprintf(num, sizeof num, "%d", j + 1);
            else
                table_num(h->data[(size_t)i * (size_t)h->cols + (size_t)j], num,
                          sizeof num);
            fprintf(f,
                    "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" "
                    "fill=\"%s\"%s>",
                    x, y, i < 0 ? RS_SVG_MUTED : RS_SVG_INK,
                    i < 0 ? " font-weight=\"bold\"" : "");
            rs_svg_escape(f, t);
            fputs("</text>\n", f);
        }
    }
    return rs_svg_end(f, err);
}

static void
table_widget_draw(struct rs_widget *w, struct rs_canvas *cv,
                  const struct rs_ui_ctx *ctx)
{
    struct table_widget *t = (struct table_widget *)w;
    /* keep the scroll position valid for this width */
    int lf = last_first(&t->h, w->r.w - 2);
    t->first = t->first > lf ? lf : t->first;
    rs_table_draw(cv, w->r, &t->h, t->first, ctx);
}

static unsigned
table_widget_key(struct rs_widget *w, int key)
{
    struct table_widget *t = (struct table_widget *)w;
    int max = t->h.cols > 0 ? last_first(&t->h, w->r.w - 2) : 0;
    int f = t->first;
    switch (key) {
    case RS_KEY_LEFT:
        f--;
        break;
    case RS_KEY_RIGHT:
        f++;
        break;
    case RS_KEY_HOME:
        f = 0;
        break;
    case RS_KEY_END:
        f = max;
        break;
    default:
        return 0;
    }
    f = f < 0 ? 0 : f > max ? max : f;
    if (f == t->first)
        return RS_UI_HANDLED;
    t->first = f;
    return RS_UI_HANDLED | RS_UI_REDRAW;
}

static void
table_widget_free(struct rs_widget *w)
{
    free(w);
}

const struct rs_widget_class rs_table_class = {
    .name = "table",
    .draw = table_widget_draw,
    .key = table_widget_key,
    .free = table_widget_free,
};

struct rs_widget *
rs_table_widget_new(void)
{
    struct table_widget *t = rs_xcalloc(1, sizeof *t);
    t->base.cls = &rs_table_class;
    t->base.dirty = true;
    rs_heatmap_init(&t->h);
    return &t->base;
}

struct rs_heatmap *
rs_table_widget_data(struct rs_widget *w)
{
    RS_ASSERT(w->cls == &rs_table_class);
    return &((struct table_widget *)w)->h;
}
