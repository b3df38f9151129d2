/* repscope - MIT licence, see COPYING.
 *
 * scatter.c: a scatter plot per learner (scatter.h). Layout inside the
 * panel: the legend rows on top, then the plot with the y tick labels on
 * its left, the x axis under it and the x tick labels on the last row;
 * the ticks are ui/scale.h's, as the line chart's. Drawing order: every
 * learner's trail (in learner order, later ones win a cell), then every
 * learner's latest point on top, so no trail hides a latest point. UI
 * thread.
 */
#include "config.h"

#include "ui/scatter.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "ui/colormap.h"
#include "ui/fmt.h"
#include "ui/scale.h"
#include "ui/svg.h"

#define MAX_TICKS 24
#define DISC 0x25cfu /* ● */

void
rs_scatter_init(struct rs_scatter *s)
{
    memset(s, 0, sizeof *s);
    s->x_min = s->x_max = s->y_min = s->y_max = NAN;
}

char
rs_scatter_glyph(int i)
{
    static const char glyphs[] = "ox+*#%@&";
    return glyphs[(i < 0 ? -i : i) % 8];
}

int
rs_scatter_pair(const struct rs_bus_point *xs, size_t nx,
                const struct rs_bus_point *ys, size_t ny, double *ox,
                double *oy, double *ostep, int max)
{
    int n = 0;
    size_t k = 0; /* xs[0 .. k) are at or before the current y's step */
    for (size_t i = 0; i < ny && n < max; i++) {
        double step = ys[i].step_hi;
        while (k < nx && xs[k].step_hi <= step)
            k++;
        if (k == 0)
            continue;
        double x = xs[k - 1].last, y = ys[i].last;
        if (!isfinite(x) || !isfinite(y))
            continue;
        ox[n] = x;
        oy[n] = y;
        if (ostep != NULL)
            ostep[n] = step;
        n++;
    }
    return n;
}

/* ---- geometry ------------------------------------------------------------ */

struct plot {
    int x, y, w, h; /* cells */
    int W, H;       /* dots */
    struct rs_scale sx, sy;
};

static bool
placeable(const struct rs_scatter *s, double x, double y)
{
    return isfinite(x) && isfinite(y) && !(s->log_x && x <= 0) &&
           !(s->log_y && y <= 0);
}

static int
nsets(const struct rs_scatter *s)
{
    return s->nsets < RS_SCATTER_SETS_MAX ? s->nsets : RS_SCATTER_SETS_MAX;
}

/* The data's bounds over every placeable point; false when there is none. */
static bool
data_bounds(const struct rs_scatter *s, double *xlo, double *xhi, double *ylo,
            double *yhi)
{
    *xlo = *ylo = INFINITY;
    *xhi = *yhi = -INFINITY;
    bool any = false;
    for (int i = 0; i < nsets(s); i++)
        for (int k = 0; k < s->sets[i].n; k++) {
            double x = s->sets[i].x[k], y = s->sets[i].y[k];
            if (!placeable(s, x, y))
                continue;
            any = true;
            *xlo = x < *xlo ? x : *xlo;
            *xhi = x > *xhi ? x : *xhi;
            *ylo = y < *ylo ? y : *ylo;
            *yhi = y > *yhi ? y : *yhi;
        }
    return any;
}

/* An axis over [lo, hi] of the data, rounded out to ticks, a fixed bound
 * (fmin, fmax; NaN: none) kept as given. */
static struct rs_scale
axis_scale(double lo, double hi, double fmin, double fmax, bool log, int nticks)
{
    struct rs_scale s = {isnan(fmin) ? lo : fmin, isnan(fmax) ? hi : fmax, log};
    rs_scale_fix(&s);
    if (isnan(fmin) || isnan(fmax)) {
        struct rs_scale n = s;
        rs_scale_nice(&n, nticks);
        s.lo = isnan(fmin) ? n.lo : s.lo;
        s.hi = isnan(fmax) ? n.hi : s.hi;
        rs_scale_fix(&s);
    }
    return s;
}

/* The dot of value v along s over n dots (flipped: 0 at the top), or
 * INT_MIN when v cannot be placed or lies outside. */
static int
dot_at(const struct rs_scale *s, double v, int n, bool flip)
{
    double f = rs_scale_pos(s, v);
    if (isnan(f) || f < -1e-9 || f > 1 + 1e-9)
        return INT_MIN;
    int d = (int)lround(f * (n - 1));
    return flip ? n - 1 - d : d;
}

static void
tick_label(const struct rs_scale *s, double v, double step, char *buf, size_t n)
{
    if (s->log)
        rs_fmt_exp(v, buf, n);
    else
        rs_fmt_tick(v, step, buf, n);
}

static void
axes(struct rs_canvas *cv, const struct plot *p, struct rs_rect in,
     const double *yt, int ny, double ystep, int ylw,
     const struct rs_ui_ctx *ctx)
{
    const struct rs_theme *th = rs_widget_theme(ctx);
    struct rs_style ax = rs_widget_style(th->axis, 0);
    struct rs_style lab = rs_widget_style(th->tick, 0);
    int axc = p->x - 1, ayr = p->y + p->h;
    char buf[32];
    for (int y = p->y; y < ayr; y++)
        rs_canvas_put(cv, axc, y, 0x2502, ax); /* │ */
    int last_row = INT_MIN;
    for (int i = ny - 1; i >= 0; i--) {
        int dy = dot_at(&p->sy, yt[i], p->H, true);
        if (dy == INT_MIN || p->y + dy / 4 == last_row)
            continue;
        int row = p->y + dy / 4;
        last_row = row;
        rs_canvas_put(cv, axc, row, 0x2524, ax); /* ┤ */
        tick_label(&p->sy, yt[i], ystep, buf, sizeof buf);
        int w = rs_utf8_width(buf);
        w = w > ylw ? ylw : w;
        rs_canvas_text(cv, axc - w, row, buf, w, lab);
    }
    rs_canvas_put(cv, axc, ayr, 0x2514, ax); /* └ */
    for (int x = p->x; x < p->x + p->w; x++)
        rs_canvas_put(cv, x, ayr, 0x2500, ax); /* ─ */
    double xt[MAX_TICKS], xstep = 0;
    int ntx = p->w / 9;
    ntx = ntx < 2 ? 2 : ntx > 8 ? 8 : ntx;
    int nx = rs_scale_ticks(&p->sx, ntx, xt, MAX_TICKS, &xstep);
    int prev_end = in.x - 1;
    for (int i = 0; i < nx; i++) {
        int dx = dot_at(&p->sx, xt[i], p->W, false);
        if (dx == INT_MIN)
            continue;
        int col = p->x + dx / 2;
        rs_canvas_put(cv, col, ayr, 0x252c, ax); /* ┬ */
        if (p->sx.log)
            rs_fmt_exp(xt[i], buf, sizeof buf);
        else
            rs_fmt_si(xt[i], buf, sizeof buf);
        int w = rs_utf8_width(buf);
        int sx = col - w / 2;
        sx = sx < in.x ? in.x : sx;
        sx = sx + w > in.x + in.w ? in.x + in.w - w : sx;
        if (sx <= prev_end + 1)
            continue;
        rs_canvas_text(cv, sx, ayr + 1, buf, w, lab);
        prev_end = sx + w - 1;
    }
}

/* ---- legend -------------------------------------------------------------- */

/* "name (x, y)" of set i: its latest point, or the name alone. */
static void
legend_text(const struct rs_scatter_set *s, char *buf, size_t n)
{
    if (s->n <= 0) {
        snprintf(buf, n, "%s", s->name != NULL ? s->name : "");
        return;
    }
    char x[32], y[32];
    rs_fmt_si(s->x[s->n - 1], x, sizeof x);
    rs_fmt_num(s->y[s->n - 1], y, sizeof y);
    snprintf(buf, n, "%s (%s, %s)", s->name != NULL ? s->name : "", x, y);
}

/* Rows the legend takes in width w: items flow left to right, two columns
 * apart, the marker and a space before each. */
static int
legend_rows(const struct rs_scatter *s, int w)
{
    int rows = nsets(s) > 0 ? 1 : 0, at = 0;
    for (int i = 0; i < nsets(s); i++) {
        char buf[160];
        legend_text(&s->sets[i], buf, sizeof buf);
        int iw = 2 + rs_utf8_width(buf);
        if (at > 0 && at + 2 + iw > w) {
            rows++;
            at = 0;
        }
        at += (at > 0 ? 2 : 0) + iw;
    }
    return rows;
}

static bool
glyph_mode(const struct rs_ui_ctx *ctx)
{
    return ctx->ascii || ctx->color == RS_COLOR_MONO;
}

static void
legend(struct rs_canvas *cv, struct rs_rect in, int rows,
       const struct rs_scatter *s, const struct rs_ui_ctx *ctx)
{
    const struct rs_theme *th = rs_widget_theme(ctx);
    struct rs_style text = rs_widget_style(th->text, 0);
    int at = 0, row = 0;
    for (int i = 0; i < nsets(s) && row < rows; i++) {
        char buf[160];
        legend_text(&s->sets[i], buf, sizeof buf);
        int iw = 2 + rs_utf8_width(buf);
        if (at > 0 && at + 2 + iw > in.w) {
            if (++row >= rows)
                break;
            at = 0;
        }
        at += at > 0 ? 2 : 0;
        struct rs_style mk =
            rs_widget_style(rs_theme_series(th, i), RS_ATTR_BOLD);
        uint32_t g = glyph_mode(ctx) ? (uint32_t)rs_scatter_glyph(i) : DISC;
        rs_canvas_put(cv, in.x + at, in.y + row, g, mk);
        if (in.w - at - 2 > 0)
            rs_canvas_text_fit(cv, in.x + at + 2, in.y + row, buf,
                               in.w - at - 2, text);
        at += iw;
    }
}

/* ---- drawing ------------------------------------------------------------- */

static void
points(struct rs_canvas *cv, const struct plot *p, const struct rs_scatter *s,
       const struct rs_ui_ctx *ctx)
{
    const struct rs_theme *th = rs_widget_theme(ctx);
    bool glyphs = glyph_mode(ctx);
    /* the trails, oldest first, then the latest points on top */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < nsets(s); i++) {
            const struct rs_scatter_set *set = &s->sets[i];
            uint32_t col = rs_theme_series(th, i);
            int k0 = pass == 0 ? 0 : set->n - 1;
            int k1 = pass == 0 ? set->n - 1 : set->n;
            for (int k = k0 < 0 ? 0 : k0; k < k1; k++) {
                if (!placeable(s, set->x[k], set->y[k]))
                    continue;
                int px = dot_at(&p->sx, set->x[k], p->W, false);
                int py = dot_at(&p->sy, set->y[k], p->H, true);
                if (px == INT_MIN || py == INT_MIN)
                    continue;
                int cx = p->x + px / 2, cy = p->y + py / 4;
                uint32_t g = glyphs ? (uint32_t)rs_scatter_glyph(i) : DISC;
                uint16_t latest = RS_ATTR_BOLD | (glyphs ? RS_ATTR_REVERSE : 0);
                if (pass == 1)
                    rs_canvas_put(cv, cx, cy, g, rs_widget_style(col, latest));
                else if (glyphs)
                    rs_canvas_put(cv, cx, cy, g, rs_widget_style(col, 0));
                else
                    rs_canvas_braille(cv, p->x * 2 + px, p->y * 4 + py, col);
            }
        }
}

void
rs_scatter_draw(struct rs_canvas *cv, struct rs_rect r,
                const struct rs_scatter *s, const struct rs_ui_ctx *ctx)
{
    /* the info: "test/acc by log params", either name alone, log flags */
    char info[96];
    const char *yl = s->ylabel != NULL ? s->ylabel : "";
    const char *xl = s->xlabel != NULL ? s->xlabel : "";
    snprintf(info, sizeof info, "%s%s%s%s%s", s->log_y ? "log " : "", yl,
             yl[0] != '\0' && xl[0] != '\0' ? " by " : "",
             s->log_x ? "log " : "", xl);
    struct rs_rect in = rs_widget_panel(cv, r, s->title, info, ctx);
    double xlo, xhi, ylo, yhi;
    if (!data_bounds(s, &xlo, &xhi, &ylo, &yhi)) {
        rs_widget_empty(cv, in, NULL, ctx);
        return;
    }
    int lg = legend_rows(s, in.w);
    int lgmax = in.h - 5 > 1 ? in.h - 5 : 1;
    lg = lg > lgmax ? lgmax : lg;
    int ph = in.h - lg - 2; /* the x axis and its labels */
    if (in.w < 12 || ph < 2) {
        rs_widget_empty(cv, in, "too small", ctx);
        return;
    }
    int nty = (ph + 1) / 2;
    nty = nty < 3 ? 3 : nty > 6 ? 6 : nty;
    struct plot p;
    p.sy = axis_scale(ylo, yhi, s->y_min, s->y_max, s->log_y, nty);
    double yt[MAX_TICKS], ystep = 0;
    int ny = rs_scale_ticks(&p.sy, nty, yt, MAX_TICKS, &ystep);
    int ylw = 1;
    for (int i = 0; i < ny; i++) {
        char buf[32];
        tick_label(&p.sy, yt[i], ystep, buf, sizeof buf);
        int w = rs_utf8_width(buf);
        ylw = w > ylw ? w : ylw;
    }
    ylw = ylw > 7 ? 7 : ylw;
    p.x = in.x + ylw + 1;
    p.y = in.y + lg;
    p.w = in.x + in.w - p.x;
    p.h = ph;
    p.W = 2 * p.w;
    p.H = 4 * p.h;
    int ntx = p.w / 9;
    ntx = ntx < 2 ? 2 : ntx > 8 ? 8 : ntx;
    p.sx = axis_scale(xlo, xhi, s->x_min, s->x_max, s->log_x, ntx);
    axes(cv, &p, in, yt, ny, ystep, ylw, ctx);
    struct rs_rect pr = {p.x, p.y, p.w, p.h};
    struct rs_rect old = rs_canvas_set_clip(cv, pr);
    points(cv, &p, s, ctx);
    rs_canvas_set_clip(cv, old);
    legend(cv, in, lg, s, ctx);
}

/* ---- SVG ----------------------------------------------------------------- */

struct svg_frame {
    double x0, y0, x1, y1; /* plot area, pixels */
    struct rs_scale sx, sy;
};

static double
svg_x(const struct svg_frame *fr, double v)
{
    return fr->x0 + rs_scale_pos(&fr->sx, v) * (fr->x1 - fr->x0);
}

static double
svg_y(const struct svg_frame *fr, double v)
{
    return fr->y1 - rs_scale_pos(&fr->sy, v) * (fr->y1 - fr->y0);
}

static void
svg_axes(FILE *f, const struct svg_frame *fr, const struct rs_scatter *s)
{
    double t[MAX_TICKS], step = 0;
    char buf[32];
    int n = rs_scale_ticks(&fr->sy, 6, t, MAX_TICKS, &step);
    for (int i = 0; i < n; i++) {
        double y = svg_y(fr, t[i]);
        tick_label(&fr->sy, t[i], step, buf, sizeof buf);
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                "stroke=\"" RS_SVG_GRID "\"/>\n"
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" "
                "fill=\"" RS_SVG_MUTED "\">%s</text>\n",
                fr->x0, y, fr->x1, y, fr->x0 - 6, y + 4, buf);
    }
    n = rs_scale_ticks(&fr->sx, 8, t, MAX_TICKS, &step);
    for (int i = 0; i < n; i++) {
        double x = svg_x(fr, t[i]);
        if (fr->sx.log)
            rs_fmt_exp(t[i], buf, sizeof buf);
        else
            rs_fmt_si(t[i], buf, sizeof buf);
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                "stroke=\"" RS_SVG_GRID "\"/>\n"
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                "fill=\"" RS_SVG_MUTED "\">%s</text>\n",
                x, fr->y0, x, fr->y1, x, fr->y1 + 16, buf);
    }
    fprintf(f,
            "<path d=\"M%.1f %.1fV%.1fH%.1f\" fill=\"none\" "
            "stroke=\"" RS_SVG_INK "\"/>\n",
            fr->x0, fr->y0, fr->y1, fr->x1);
    fprintf(f,
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
            "fill=\"" RS_SVG_INK "\">%s",
            (fr->x0 + fr->x1) / 2, fr->y1 + 34, s->log_x ? "log " : "");
    rs_svg_escape(f, s->xlabel);
    fprintf(f,
            "</text>\n<text transform=\"translate(16 %.1f) rotate(-90)\" "
            "text-anchor=\"middle\" fill=\"" RS_SVG_INK "\">%s",
            (fr->y0 + fr->y1) / 2, s->log_y ? "log " : "");
    rs_svg_escape(f, s->ylabel);
    fputs("</text>\n", f);
}

int
rs_scatter_svg(FILE *f, const struct rs_scatter *s, struct rs_error *err)
{
    const int w = 720, h = 405;
    struct svg_frame fr = {72,           48, w - 20.0, h - 48.0, {0, 1, false},
                           {0, 1, false}};
    double xlo, xhi, ylo, yhi;
    bool any = data_bounds(s, &xlo, &xhi, &ylo, &yhi);
    if (!any)
        xlo = ylo = NAN;
    fr.sx = axis_scale(xlo, any ? xhi : (double)NAN, s->x_min, s->x_max,
                       s->log_x, 8);
    fr.sy = axis_scale(ylo, any ? yhi : (double)NAN, s->y_min, s->y_max,
                       s->log_y, 6);
    rs_svg_begin(f, w, h, s->title);
    svg_axes(f, &fr, s);
    /* each learner's points, its latest bigger and outlined; the legend
     * right-aligned under the title with the latest (x, y) */
    double lx = fr.x1;
    for (int i = nsets(s) - 1; i >= 0; i--) {
        const struct rs_scatter_set *set = &s->sets[i];
        uint32_t col = rs_theme_series(&rs_theme_dark, i) & 0xffffff;
        fprintf(f, "<g class=\"learner\" fill=\"#%06x\">\n", (unsigned)col);
        for (int k = 0; k < set->n; k++) {
            double x = set->x[k], y = set->y[k];
            double px = svg_x(&fr, x), py = svg_y(&fr, y);
            if (!placeable(s, x, y) || px < fr.x0 - 0.05 || px > fr.x1 + 0.05 ||
                py < fr.y0 - 0.05 || py > fr.y1 + 0.05)
                continue;
            bool last = k == set->n - 1;
            fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%s\"%s/>\n", px, py,
                    last ? "6" : "2.5", last ? " stroke=\"" RS_SVG_INK "\"" : "");
        }
        fputs("</g>\n", f);
        char buf[160];
        legend_text(set, buf, sizeof buf);
        lx -= 7.0 * (double)rs_utf8_width(buf) + 30;
        fprintf(f,
                "<circle cx=\"%.1f\" cy=\"34\" r=\"5\" fill=\"#%06x\"/>\n"
                "<text x=\"%.1f\" y=\"38\" fill=\"" RS_SVG_INK "\">",
                lx + 8, (unsigned)col, lx + 18);
        rs_svg_escape(f, buf);
        fputs("</text>\n", f);
    }
    if (!any)
        fprintf(f,
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                "fill=\"" RS_SVG_MUTED "\">no data</text>\n",
                (fr.x0 + fr.x1) / 2, (fr.y0 + fr.y1) / 2);
    return rs_svg_end(f, err);
}

/* ---- the widget ---------------------------------------------------------- */

struct scatter_widget {
    struct rs_widget base;
    struct rs_scatter s;
};

static void
scatter_widget_draw(struct rs_widget *w, struct rs_canvas *cv,
                    const struct rs_ui_ctx *ctx)
{
    rs_scatter_draw(cv, w->r, &((struct scatter_widget *)w)->s, ctx);
}

static unsigned
scatter_widget_key(struct rs_widget *w, int key)
{
    struct rs_scatter *s = &((struct scatter_widget *)w)->s;
    if (key != 'l')
        return 0;
    s->log_y = !s->log_y;
    return RS_UI_HANDLED | RS_UI_REDRAW;
}

static void
scatter_widget_free(struct rs_widget *w)
{
    free(w);
}

const struct rs_widget_class rs_scatter_class = {
    .name = "scatter",
    .draw = scatter_widget_draw,
    .key = scatter_widget_key,
    .free = scatter_widget_free,
};

struct rs_widget *
rs_scatter_widget_new(void)
{
    struct scatter_widget *sw = rs_xcalloc(1, sizeof *sw);
    sw->base.cls = &rs_scatter_class;
    sw->base.dirty = true;
    rs_scatter_init(&sw->s);
    return &sw->base;
}

struct rs_scatter *
rs_scatter_widget_data(struct rs_widget *w)
{
    RS_ASSERT(w->cls == &rs_scatter_class);
    return &((struct scatter_widget *)w)->s;
}
