/* repscope - MIT licence, see COPYING.
 *
 * neuronmap.c: the dead-neuron map (neuronmap.h). Layout: label column,
 * grid, count column; every layer starts a new row; k units per cell with
 * the smallest k that fits all layers (else each layer gets one row and
 * the list scrolls to keep the selected layer visible). UI thread.
 */
#include "config.h"

#include "ui/neuronmap.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "ui/colormap.h"

enum unit_class { U_NONE, U_DEAD, U_RARE, U_ON, U_ALWAYS, U_SOME };

static const uint32_t glyph_utf8[5] = {' ', 0x00b7, 0x25ab, 0x25aa, 0x25a0};
static const char glyph_ascii[5] = {' ', '.', 'o', '#', '@'};

int
rs_neuronmap_dead(const struct rs_neuron_layer *l)
{
    int n = 0;
    for (int i = 0; l->freq != NULL && i < l->units; i++)
        n += l->freq[i] == 0.0f;
    return n;
}

/* Class, mean frequency and dead count of units [i0, i1) of layer l. A
 * cell of several units with some (not all) dead is U_SOME. */
static enum unit_class
classify(const struct rs_neuron_layer *l, int i0, int i1, float rare,
         double *mean, int *ndead)
{
    int dead = 0, n = 0;
    double sum = 0;
    for (int i = i0; i < i1 && i < l->units; i++) {
        float f = l->freq[i];
        if (isnan(f))
            continue;
        n++;
        if (f == 0.0f)
            dead++;
        sum += (double)f;
    }
    *mean = n > 0 ? sum / n : 0;
    *ndead = dead;
    if (n == 0)
        return U_NONE;
    if (dead == n)
        return U_DEAD;
    if (dead > 0)
        return U_SOME;
    if (*mean < (double)rare)
        return U_RARE;
    return *mean >= 1.0 - (double)rare ? U_ALWAYS : U_ON;
}

static uint32_t
class_color(enum unit_class c, double f, const struct rs_theme *th)
{
    if (c == U_DEAD || c == U_NONE)
        return th->dead;
    if (c == U_SOME)
        return th->dim;
    return rs_cmap_seq(0.25 + 0.75 * f);
}

/* qsort: descending frequency, NaN last. */
static int
by_freq_desc(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    if (isnan(x) || isnan(y))
        return isnan(x) - isnan(y);
    return (x < y) - (x > y);
}

/* Rows layer l needs at k units per cell in gw columns. */
static int
rows_for(const struct rs_neuron_layer *l, int k, int gw)
{
    int cells = (l->units + k - 1) / k;
    return cells <= 0 ? 1 : (cells + gw - 1) / gw;
}

static void
legend(struct rs_canvas *cv, int x, int y, int w, int k,
       const struct rs_ui_ctx *ctx)
{
    const struct rs_theme *th = rs_widget_theme(ctx);
    static const char *const names[5] = {"", "dead", "rare", "on", "always"};
    static const double freq[5] = {0, 0, 0.02, 0.5, 1};
    char note[48] = "";
    if (k > 1)
        snprintf(note, sizeof note, "%d/cell, sorted", k);
    int need = rs_utf8_width(note);
    for (int c = U_DEAD; c <= U_ALWAYS; c++)
        need += 4 + rs_utf8_width(names[c]);
    int gap = need <= w ? 2 : 1;
    int end = x + w;
    for (int c = U_DEAD; c <= U_ALWAYS && x < end; c++) {
        uint32_t g = ctx->ascii ? (uint32_t)glyph_ascii[c] : glyph_utf8[c];
        uint32_t fg = ctx->color == RS_COLOR_MONO
                          ? RS_COLOR_DEFAULT
                          : class_color((enum unit_class)c, freq[c], th);
        rs_canvas_put(cv, x, y, g, rs_widget_style(fg, 0));
        x += 2;
        x += rs_canvas_text(cv, x, y, names[c], end - x,
                            rs_widget_style(th->tick, 0));
        x += gap;
    }
    if (k > 1 && x < end)
        rs_canvas_text_fit(cv, x, y, note, end - x,
                           rs_widget_style(th->dim, 0));
}

void
rs_neuronmap_draw(struct rs_canvas *cv, struct rs_rect r,
                  const struct rs_neuronmap *nm, const struct rs_ui_ctx *ctx)
{
    const struct rs_theme *th = rs_widget_theme(ctx);
    float rare = nm->rare > 0 ? nm->rare : 0.05f;
    int sel = nm->sel >= 0 && nm->sel < nm->nlayers ? nm->sel : 0;
    char title[160];
    const char *base = nm->title ? nm->title : "neurons";
    if (nm->nlayers > 0 && nm->layers[sel].freq != NULL)
        snprintf(title, sizeof title, "%s %s dead %d/%d in %s", base,
                 ctx->ascii ? "." : "\u00b7",
                 rs_neuronmap_dead(&nm->layers[sel]), nm->layers[sel].units,
                 nm->layers[sel].name ? nm->layers[sel].name : "?");
    else
        snprintf(title, sizeof title, "%s", base);
    struct rs_rect in = rs_widget_panel(cv, r, title, NULL, ctx);
    if (nm->nlayers <= 0 || nm->layers == NULL) {
        rs_widget_empty(cv, in, NULL, ctx);
        return;
    }
    int lw = 0, rw = 0;
    char buf[48];
    for (int l = 0; l < nm->nlayers; l++) {
        const struct rs_neuron_layer *ly = &nm->layers[l];
        int w = rs_utf8_width(ly->name ? ly->name : "?");
        lw = w > lw ? w : lw;
        snprintf(buf, sizeof buf, "%d/%d", rs_neuronmap_dead(ly), ly->units);
        w = rs_utf8_width(buf);
        rw = w > rw ? w : rw;
    }
    lw = (lw > 8 ? 8 : lw) + 1;
    rw = in.w >= 40 ? rw + 1 : 0;
    int gw = in.w - lw - rw;
    if (gw < 4 || in.h < 1) {
        rs_widget_empty(cv, in, "too small", ctx);
        return;
    }
    int lg = in.h >= nm->nlayers + 1 ? 1 : 0;
    int avail = in.h - lg;
    /* the smallest k for which every layer fits */
    int k = 1, umax = 1;
    for (int l = 0; l < nm->nlayers; l++)
        umax = nm->layers[l].units > umax ? nm->layers[l].units : umax;
    for (;;) {
        int need = 0;
        for (int l = 0; l < nm->nlayers; l++)
            need += rows_for(&nm->layers[l], k, gw);
        if (need <= avail || k >= umax)
            break;
        k++;
    }
    int first = 0, y = in.y;
    if (nm->nlayers > avail && sel >= avail)
        first = sel - avail + 1;
    for (int l = first; l < nm->nlayers && y < in.y + avail; l++) {
        const struct rs_neuron_layer *ly = &nm->layers[l];
        bool hi = l == nm->sel;
        rs_canvas_text_fit(
            cv, in.x, y, ly->name ? ly->name : "?", lw - 1,
            rs_widget_style(hi ? th->accent : th->tick,
                            hi ? RS_ATTR_BOLD | RS_ATTR_REVERSE : 0));
        int dead = rs_neuronmap_dead(ly);
        if (rw > 0) {
            snprintf(buf, sizeof buf, "%d/%d", dead, ly->units);
            int w = rs_utf8_width(buf);
            rs_canvas_text(cv, in.x + in.w - w, y, buf, w,
                           rs_widget_style(dead > 0 ? th->warn : th->dim, 0));
        }
        int cells = (ly->units + k - 1) / k;
        struct rs_neuron_layer sorted = *ly;
        float *sbuf = NULL;
        if (k > 1 && ly->freq != NULL && ly->units > 0) {
            /* pooled: most active first, so cells are nearly pure and
             * the dead share reads as a length */
            sbuf = rs_xmalloc((size_t)ly->units * sizeof *sbuf);
            memcpy(sbuf, ly->freq, (size_t)ly->units * sizeof *sbuf);
            qsort(sbuf, (size_t)ly->units, sizeof *sbuf, by_freq_desc);
            sorted.freq = sbuf;
        }
        for (int c = 0; c < cells && ly->freq != NULL; c++) {
            int row = c / gw;
            if (y + row >= in.y + avail)
                break;
            double f;
            int nd;
            enum unit_class uc =
                classify(&sorted, c * k, (c + 1) * k, rare, &f, &nd);
            uint32_t g = uc == U_SOME ? (nd < 10 ? '0' + (uint32_t)nd : '+')
                         : ctx->ascii ? (uint32_t)glyph_ascii[uc]
                                      : glyph_utf8[uc];
            uint32_t fg = ctx->color == RS_COLOR_MONO ? RS_COLOR_DEFAULT
                                                      : class_color(uc, f, th);
            rs_canvas_put(cv, in.x + lw + c % gw, y + row, g,
                          rs_widget_style(fg, uc == U_DEAD ? RS_ATTR_DIM : 0));
        }
        free(sbuf);
        y += ly->freq != NULL ? rows_for(ly, k, gw) : 1;
    }
    if (lg)
        legend(cv, in.x + lw, in.y + in.h - 1, in.w - lw, k, ctx);
}

/* ---- the widget ------------------------------------------------------------
 */

struct neuronmap_widget {
    struct rs_widget base;
    struct rs_neuronmap nm;
};

static void
neuronmap_widget_draw(struct rs_widget *w, struct rs_canvas *cv,
                      const struct rs_ui_ctx *ctx)
{
    rs_neuronmap_draw(cv, w->r, &((struct neuronmap_widget *)w)->nm, ctx);
}

static unsigned
neuronmap_widget_key(struct rs_widget *w, int key)
{
    struct rs_neuronmap *nm = &((struct neuronmap_widget *)w)->nm;
    int sel = nm->sel < 0 ? 0 : nm->sel;
    if (nm->nlayers <= 0)
        return 0;
    if (key == RS_KEY_UP || key == '[')
        sel = sel > 0 ? sel - 1 : 0;
    else if (key == RS_KEY_DOWN || key == ']')
        sel = sel + 1 < nm->nlayers ? sel + 1 : nm->nlayers - 1;
    else
        return 0;
    nm->sel = sel;
    return RS_UI_HANDLED | RS_UI_REDRAW;
}

static void
neuronmap_widget_free(struct rs_widget *w)
{
    free(w);
}

const struct rs_widget_class rs_neuronmap_class = {
    .name = "neuronmap",
    .draw = neuronmap_widget_draw,
    .key = neuronmap_widget_key,
    .free = neuronmap_widget_free,
};

struct rs_widget *
rs_neuronmap_widget_new(void)
{
    struct neuronmap_widget *nw = rs_xcalloc(1, sizeof *nw);
    nw->base.cls = &rs_neuronmap_class;
    nw->base.dirty = true;
    return &nw->base;
}

struct rs_neuronmap *
rs_neuronmap_widget_data(struct rs_widget *w)
{
    RS_ASSERT(w->cls == &rs_neuronmap_class);
    return &((struct neuronmap_widget *)w)->nm;
}
