/* repscope - MIT licence, see COPYING.
 *
 * frame.c: a grid of cell codes as coloured text (frame.h).
 *
 * Geometry: cw columns per code (2 with `wide` when 2 * cols fit beside
 * the labels, else 1); vr x vc codes visible, the frame's rows r0 .. r0 +
 * vr - 1 and columns c0 .. c0 + vc - 1; the labels in lw columns at lx,
 * the frame at x0 = lx + lw + 1 (lw 0: no labels, x0 = lx), the two
 * centred in the panel's inside. UI thread.
 */
#include "config.h"

#include "ui/frame.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "ui/colormap.h"

/* Code k's glyph when the caller gives none: k as a digit, 0 blank. */
static const char default_glyphs[] = " 123456789abcdefghijklmnopqrstuvwxyz";

struct geom {
    int cw;     /* columns per code */
    int vr, vc; /* codes visible */
    int r0, c0; /* first visible row and column of the frame */
    int x0, y0; /* where it lands */
    int lx, lw; /* the labels' column and width (0: none) */
    bool cut;   /* some of the frame is not shown */
};

void
rs_frame_init(struct rs_frame *f)
{
    memset(f, 0, sizeof *f);
}

uint32_t
rs_frame_color(char letter)
{
    /* bright enough for a dark terminal, each nearest to its own ANSI
     * colour (rs_rgb_to_8); black as dim grey, which would not show */
    static const struct {
        char letter;
        uint32_t rgb;
    } colors[] = {{'k', 0x808080}, {'r', 0xff5f5f}, {'g', 0x87d75f},
                  {'y', 0xffd75f}, {'b', 0x5fafff}, {'m', 0xd787d7},
                  {'c', 0x5fd7d7}, {'w', 0xdadada}};
    char lower =
        letter >= 'A' && letter <= 'Z' ? (char)(letter - 'A' + 'a') : letter;
    for (size_t i = 0; i < RS_ARRAY_LEN(colors); i++)
        if (colors[i].letter == lower)
            return colors[i].rgb;
    return RS_COLOR_DEFAULT;
}

uint32_t
rs_frame_cell(const struct rs_frame *f, float v, enum rs_color_mode color,
              struct rs_style *st)
{
    const char *glyphs =
        f->glyphs != NULL && f->glyphs[0] != '\0' ? f->glyphs : default_glyphs;
    size_t n = strlen(glyphs);
    *st = (struct rs_style){RS_COLOR_DEFAULT, RS_COLOR_DEFAULT, 0};
    if (!(v >= 0) || v > (float)RS_FRAME_CODES_MAX)
        return '?';
    size_t k = (size_t)lroundf(v);
    if (k >= n)
        return '?';
    unsigned char g = (unsigned char)glyphs[k];
    size_t nc = f->colors != NULL ? strlen(f->colors) : 0;
    if (k < nc) {
        char c = f->colors[k];
        if (color != RS_COLOR_MONO)
            st->fg = rs_frame_color(c);
        if (c >= 'A' && c <= 'Z')
            st->attr = RS_ATTR_BOLD;
    }
    return g >= 0x20 && g < 0x7f ? (uint32_t)g : '?';
}

/* The widest label of the frame's rows, at most RS_FRAME_LABEL_W. */
static int
labels_width(const struct rs_frame *f)
{
    int w = 0;
    for (int i = 0; f->labels != NULL && i < f->nlabels && i < f->rows; i++) {
        int k = f->labels[i] != NULL ? rs_utf8_width(f->labels[i]) : 0;
        w = k > w ? k : w;
    }
    return w < RS_FRAME_LABEL_W ? w : RS_FRAME_LABEL_W;
}

static void
geometry(const struct rs_frame *f, struct rs_rect in, struct geom *g)
{
    int want = labels_width(f);
    g->cw = f->wide && (want > 0 ? want + 1 : 0) + 2 * f->cols <= in.w ? 2 : 1;
    g->lw = want;
    if (want > 0 && want + 1 + f->cols * g->cw > in.w) {
        /* the labels give way first, down to 3 columns */
        int room = in.w - 1 - f->cols * g->cw;
        g->lw = room > 3 ? room : want < 3 ? want : 3;
    }
    if (g->lw > 0 && in.w - g->lw - 1 < 1)
        g->lw = 0; /* not even a column of the frame beside them */
    int lab = g->lw > 0 ? g->lw + 1 : 0, fw = in.w - lab;
    g->vr = f->rows < in.h ? f->rows : in.h;
    g->vc = f->cols < fw / g->cw ? f->cols : fw / g->cw;
    g->r0 = f->rows - g->vr; /* the bottom rows stay */
    g->c0 = (f->cols - g->vc) / 2;
    g->lx = in.x + (in.w - lab - g->vc * g->cw) / 2;
    g->x0 = g->lx + lab;
    g->y0 = in.y + (in.h - g->vr) / 2;
    g->cut = g->vr < f->rows || g->vc < f->cols;
}

void
rs_frame_draw(struct rs_canvas *cv, struct rs_rect r, const struct rs_frame *f,
              const struct rs_ui_ctx *ctx)
{
    struct rs_rect in = {r.x + 1, r.y + 1, r.w - 2, r.h - 2};
    bool ok =
        f->data != NULL && f->rows > 0 && f->cols > 0 && in.w >= 1 && in.h >= 1;
    char info[64] = "";
    struct geom g = {0};
    if (ok) {
        geometry(f, in, &g);
        snprintf(info, sizeof info, "%d%s%d%s", f->rows,
                 ctx->ascii ? "x" : "\u00d7", f->cols, g.cut ? " cut" : "");
    }
    in = rs_widget_panel(cv, r, f->title, info, ctx);
    if (!ok) {
        rs_widget_empty(cv, in, f->data != NULL ? "too small" : NULL, ctx);
        return;
    }
    struct rs_style lab = rs_widget_style(rs_widget_theme(ctx)->tick, 0);
    for (int y = 0; g.lw > 0 && y < g.vr; y++) {
        int row = g.r0 + y;
        if (row < f->nlabels && f->labels[row] != NULL)
            rs_canvas_text_fit(cv, g.lx, g.y0 + y, f->labels[row], g.lw, lab);
    }
    for (int y = 0; y < g.vr; y++)
        for (int x = 0; x < g.vc; x++) {
            size_t at =
                (size_t)(g.r0 + y) * (size_t)f->cols + (size_t)(g.c0 + x);
            struct rs_style st;
            uint32_t glyph = rs_frame_cell(f, f->data[at], ctx->color, &st);
            for (int k = 0; k < g.cw; k++)
                rs_canvas_put(cv, g.x0 + x * g.cw + k, g.y0 + y, glyph, st);
        }
}

/* ---- the widget ---------------------------------------------------------- */

struct frame_widget {
    struct rs_widget base;
    struct rs_frame f;
};

static void
frame_widget_draw(struct rs_widget *w, struct rs_canvas *cv,
                  const struct rs_ui_ctx *ctx)
{
    rs_frame_draw(cv, w->r, &((struct frame_widget *)w)->f, ctx);
}

static void
frame_widget_free(struct rs_widget *w)
{
    free(w);
}

const struct rs_widget_class rs_frame_class = {
    .name = "frame",
    .draw = frame_widget_draw,
    .key = NULL,
    .free = frame_widget_free,
};

struct rs_widget *
rs_frame_widget_new(void)
{
    struct frame_widget *fw = rs_xcalloc(1, sizeof *fw);
    fw->base.cls = &rs_frame_class;
    fw->base.dirty = true;
    rs_frame_init(&fw->f);
    return &fw->base;
}

struct rs_frame *
rs_frame_widget_data(struct rs_widget *w)
{
    RS_ASSERT(w->cls == &rs_frame_class);
    return &((struct frame_widget *)w)->f;
}
