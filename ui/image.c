/* repscope - MIT licence, see COPYING.
 *
 * image.c: a matrix as a greyscale picture (image.h).
 *
 * Geometry: the panel's inside is a pixel grid in.w wide and 2 * in.h
 * high (two pixels per cell, one above the other). The picture is
 * out_w x out_h pixels: the matrix times a whole factor k when it fits,
 * else the largest size with the same aspect ratio that fits, each
 * output pixel the mean of the matrix elements its area covers. It
 * starts on an even pixel row so that a cell never straddles two
 * pictures' rows. UI thread.
 */
#include "config.h"

#include "ui/image.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "ui/colormap.h"

struct geom {
    int x0, py0;      /* top-left pixel: column, pixel row */
    int out_w, out_h; /* picture size in pixels */
    int k;            /* enlargement (>= 1), or 0: reduced */
};

void
rs_image_init(struct rs_image *im)
{
    memset(im, 0, sizeof *im);
    im->vmin = im->vmax = NAN;
}

uint32_t
rs_image_grey(double t)
{
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    unsigned g = (unsigned)lround(t * 255.0);
    return RS_RGB(g, g, g);
}

bool
rs_image_range(const struct rs_image *im, double *lo, double *hi)
{
    double mn = INFINITY, mx = -INFINITY;
    size_t n = (size_t)im->rows * (size_t)im->cols;
    for (size_t i = 0; im->data != NULL && i < n; i++) {
        double v = im->data[i];
        if (isfinite(v)) {
            mn = v < mn ? v : mn;
            mx = v > mx ? v : mx;
        }
    }
    bool any = mn <= mx;
    if (!any) {
        mn = 0;
        mx = 1;
    }
    if (!isnan(im->vmin))
        mn = im->vmin;
    if (!isnan(im->vmax))
        mx = im->vmax;
    if (!(mx > mn)) { /* constant: mid grey */
        mn -= 1;
        mx += 1;
    }
    *lo = mn;
    *hi = mx;
    return any;
}

static void
geometry(const struct rs_image *im, struct rs_rect in, struct geom *g)
{
    int pw = in.w, ph = 2 * in.h;
    if (im->cols <= pw && im->rows <= ph) {
        int kx = pw / im->cols, ky = ph / im->rows;
        g->k = kx < ky ? kx : ky;
        g->out_w = im->cols * g->k;
        g->out_h = im->rows * g->k;
    } else {
        double s = (double)pw / im->cols;
        double sy = (double)ph / im->rows;
        s = sy < s ? sy : s;
        g->k = 0;
        g->out_w = (int)floor(im->cols * s);
        g->out_h = (int)floor(im->rows * s);
        g->out_w = g->out_w < 1 ? 1 : g->out_w > pw ? pw : g->out_w;
        g->out_h = g->out_h < 1 ? 1 : g->out_h > ph ? ph : g->out_h;
    }
    g->x0 = in.x + (pw - g->out_w) / 2;
    g->py0 = 2 * in.y + 2 * ((ph - g->out_h) / 4);
}

/* The value of output pixel (x, y): the element it enlarges, or the mean
 * of the finite elements of its area; NaN if none. */
static double
pixel(const struct rs_image *im, const struct geom *g, int x, int y)
{
    if (g->k > 0)
        return im
            ->data[(size_t)(y / g->k) * (size_t)im->cols + (size_t)(x / g->k)];
    int r0 = (int)((long)y * im->rows / g->out_h);
    int r1 = (int)((long)(y + 1) * im->rows / g->out_h);
    int c0 = (int)((long)x * im->cols / g->out_w);
    int c1 = (int)((long)(x + 1) * im->cols / g->out_w);
    r1 = r1 > r0 ? r1 : r0 + 1;
    c1 = c1 > c0 ? c1 : c0 + 1;
    double sum = 0;
    int n = 0;
    for (int r = r0; r < r1 && r < im->rows; r++)
        for (int c = c0; c < c1 && c < im->cols; c++) {
            double v = im->data[(size_t)r * (size_t)im->cols + (size_t)c];
            if (isfinite(v)) {
                sum += v;
                n++;
            }
        }
    return n > 0 ? sum / n : (double)NAN;
}

static void
draw_half(struct rs_canvas *cv, const struct rs_image *im, const struct geom *g,
          double lo, double hi)
{
    for (int y = 0; y < g->out_h; y++)
        for (int x = 0; x < g->out_w; x++) {
            double v = pixel(im, g, x, y);
            if (!isnan(v))
                rs_canvas_halfblock(cv, g->x0 + x, g->py0 + y,
                                    rs_image_grey((v - lo) / (hi - lo)));
        }
}

/* One glyph of the ASCII ramp per cell, for the mean of its pixels. */
static void
draw_ramp(struct rs_canvas *cv, const struct rs_image *im, const struct geom *g,
          double lo, double hi)
{
    struct rs_style st = {RS_COLOR_DEFAULT, RS_COLOR_DEFAULT, 0};
    for (int y = 0; y < g->out_h; y += 2)
        for (int x = 0; x < g->out_w; x++) {
            double sum = 0;
            int n = 0;
            for (int k = 0; k < 2 && y + k < g->out_h; k++) {
                double v = pixel(im, g, x, y + k);
                if (!isnan(v)) {
                    sum += v;
                    n++;
                }
            }
            uint32_t glyph =
                n > 0 ? rs_cmap_glyph((sum / n - lo) / (hi - lo), true) : '?';
            rs_canvas_put(cv, g->x0 + x, (g->py0 + y) / 2, glyph, st);
        }
}

void
rs_image_draw(struct rs_canvas *cv, struct rs_rect r, const struct rs_image *im,
              const struct rs_ui_ctx *ctx)
{
    struct rs_rect in = {r.x + 1, r.y + 1, r.w - 2, r.h - 2};
    bool ok = im->data != NULL && im->rows > 0 && im->cols > 0 && in.w >= 1 &&
              in.h >= 1;
    struct geom g = {0};
    char info[64] = "";
    if (ok) {
        geometry(im, in, &g);
        const char *x = ctx->ascii ? "x" : "\u00d7";
        int n = snprintf(info, sizeof info, "%d%s%d", im->rows, x, im->cols);
        if (g.k > 1)
            snprintf(info + n, sizeof info - (size_t)n, " %s%d", x, g.k);
        else if (g.k == 0)
            snprintf(info + n, sizeof info - (size_t)n, " %s%.1f",
                     ctx->ascii ? "/" : "\u00f7", (double)im->cols / g.out_w);
    }
    in = rs_widget_panel(cv, r, im->title, info, ctx);
    if (!ok) {
        rs_widget_empty(cv, in, im->data != NULL ? "too small" : NULL, ctx);
        return;
    }
    double lo, hi;
    rs_image_range(im, &lo, &hi);
    bool half = !ctx->ascii &&
                (ctx->color == RS_COLOR_256 || ctx->color == RS_COLOR_TRUE);
    if (half)
        draw_half(cv, im, &g, lo, hi);
    else
        draw_ramp(cv, im, &g, lo, hi);
}

/* ---- the widget ---------------------------------------------------------- */

struct image_widget {
    struct rs_widget base;
    struct rs_image im;
};

static void
image_widget_draw(struct rs_widget *w, struct rs_canvas *cv,
                  const struct rs_ui_ctx *ctx)
{
    rs_image_draw(cv, w->r, &((struct image_widget *)w)->im, ctx);
}

static void
image_widget_free(struct rs_widget *w)
{
    free(w);
}

const struct rs_widget_class rs_image_class = {
    .name = "image",
    .draw = image_widget_draw,
    .key = NULL,
    .free = image_widget_free,
};

struct rs_widget *
rs_image_widget_new(void)
{
    struct image_widget *iw = rs_xcalloc(1, sizeof *iw);
    iw->base.cls = &rs_image_class;
    iw->base.dirty = true;
    rs_image_init(&iw->im);
    return &iw->base;
}

struct rs_image *
rs_image_widget_data(struct rs_widget *w)
{
    RS_ASSERT(w->cls == &rs_image_class);
    return &((struct image_widget *)w)->im;
}
