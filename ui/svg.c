/* repscope - MIT licence, see COPYING.
 *
 * svg.c: SVG export of charts and heatmaps (svg.h). Coordinates are in
 * pixels with one decimal; colours come from the same theme and colour
 * maps as the terminal, on a white page. A chart's series draws its band
 * (a translucent polygon), its envelope, its line and its EMA, in that
 * order. Any thread.
 */
#include "config.h"

#include "ui/svg.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ui/colormap.h"
#include "ui/fmt.h"
#include "ui/scale.h"

#define MAX_TICKS 24
#define INK RS_SVG_INK
#define GRID RS_SVG_GRID
#define MUTED RS_SVG_MUTED

struct frame {
    double x0, y0, x1, y1; /* plot area */
    struct rs_scale sx, sy;
};

void
rs_svg_escape(FILE *f, const char *s)
{
    for (; s != NULL && *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&#39;", f);
            break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\t')
                fputc(*s, f);
        }
    }
}

static void
rgb(char *buf, uint32_t c)
{
    snprintf(buf, 8, "#%06x", (unsigned)(c & 0xffffff));
}

void
rs_svg_begin(FILE *f, int w, int h, const char *title)
{
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
            "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
            "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" "
            "font-size=\"12\">\n",
            w, h, w, h);
    fputs("<title>", f);
    rs_svg_escape(f, title ? title : "");
    fputs("</title>\n", f);
    fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", w, h);
    fputs("<text x=\"16\" y=\"24\" font-size=\"15\" font-weight=\"bold\" "
          "fill=\"" INK "\">",
          f);
    rs_svg_escape(f, title ? title : "");
    fputs("</text>\n", f);
}

int
rs_svg_end(FILE *f, struct rs_error *err)
{
    fputs("</svg>\n", f);
    if (fflush(f) != 0 || ferror(f))
        return rs_error_set(err, RS_EIO, "svg: write failed");
    return RS_OK;
}

static double
px(const struct frame *fr, double step)
{
    return fr->x0 + rs_scale_pos(&fr->sx, step) * (fr->x1 - fr->x0);
}

static double
py(const struct frame *fr, double v)
{
    return fr->y1 - rs_scale_pos(&fr->sy, v) * (fr->y1 - fr->y0);
}

static bool
ok(double x, double y)
{
    return isfinite(x) && isfinite(y);
}

static void
chart_axes(FILE *f, const struct frame *fr, const struct rs_chart *c)
{
    double t[MAX_TICKS], step;
    char buf[32];
    int n = rs_scale_ticks(&fr->sy, 6, t, MAX_TICKS, &step);
    for (int i = 0; i < n; i++) {
        double y = py(fr, t[i]);
        if (fr->sy.log)
            rs_fmt_exp(t[i], buf, sizeof buf);
        else
            rs_fmt_tick(t[i], step, buf, sizeof buf);
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                "stroke=\"" GRID "\"/>\n"
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" "
                "fill=\"" MUTED "\">%s</text>\n",
                fr->x0, y, fr->x1, y, fr->x0 - 6, y + 4, buf);
    }
    n = rs_scale_ticks(&fr->sx, 8, t, MAX_TICKS, NULL);
    for (int i = 0; i < n; i++) {
        double x = px(fr, t[i]);
        rs_fmt_si(t[i], buf, sizeof buf);
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                "stroke=\"" GRID "\"/>\n"
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                "fill=\"" MUTED "\">%s</text>\n",
                x, fr->y0, x, fr->y1, x, fr->y1 + 16, buf);
    }
    fprintf(f,
            "<path d=\"M%.1f %.1fV%.1fH%.1f\" fill=\"none\" "
            "stroke=\"" INK "\"/>\n",
            fr->x0, fr->y0, fr->y1, fr->x1);
    fprintf(f,
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
            "fill=\"" INK "\">%s",
            (fr->x0 + fr->x1) / 2, fr->y1 + 34, c->log_x ? "log " : "");
    rs_svg_escape(f, c->x_label ? c->x_label : "");
    fputs("</text>\n", f);
}

/* Band s as a filled polygon: along the bucket means of
 * hi, back along those of lo (points off the axes left out). */
static void
band_svg(FILE *f, const struct frame *fr, const struct rs_chart_band *s,
         const char *hex)
{
    if (s == NULL || s->nlo == 0 || s->nhi == 0)
        return;
    fputs("<path class=\"band\" d=\"", f);
    bool first = true;
    for (size_t k = 0; k < s->nhi; k++) {
        const struct rs_bus_point *q = &s->hi[k];
        double x = px(fr, 0.5 * (q->step_lo + q->step_hi)), y = py(fr, q->mean);
        if (!ok(x, y))
            continue;
        fprintf(f, "%s%.1f %.1f", first ? "M" : "L", x, y);
        first = false;
    }
    for (size_t k = s->nlo; k-- > 0;) {
        const struct rs_bus_point *q = &s->lo[k];
        double x = px(fr, 0.5 * (q->step_lo + q->step_hi)), y = py(fr, q->mean);
        if (!ok(x, y))
            continue;
        fprintf(f, "%s%.1f %.1f", first ? "M" : "L", x, y);
        first = false;
    }
    fprintf(f, "Z\" fill=\"%s\" fill-opacity=\"0.15\" stroke=\"none\"/>\n",
            hex);
}

static void
series_svg(FILE *f, const struct frame *fr, const struct rs_chart *c, int i)
{
    const struct rs_chart_series *s = &c->series[i];
    uint32_t col = s->color == RS_COLOR_DEFAULT
                       ? rs_theme_series(&rs_theme_dark, i)
                       : s->color;
    char hex[8];
    rgb(hex, col);
    band_svg(f, fr, c->bands != NULL ? &c->bands[i] : NULL, hex);
    bool env = false;
    for (size_t k = 0; k < s->n && !env; k++)
        env = s->pts[k].count > 1 && s->pts[k].max > s->pts[k].min;
    if (env) { /* along the maxima, back along the minima */
        fputs("<path class=\"envelope\" d=\"", f);
        bool first = true;
        for (size_t k = 0; k < s->n; k++) {
            double x = px(fr, 0.5 * (s->pts[k].step_lo + s->pts[k].step_hi));
            double y = py(fr, s->pts[k].max);
            if (!ok(x, y))
                continue;
            fprintf(f, "%s%.1f %.1f", first ? "M" : "L", x, y);
            first = false;
        }
        for (size_t k = s->n; k-- > 0;) {
            double x = px(fr, 0.5 * (s->pts[k].step_lo + s->pts[k].step_hi));
            double y = py(fr, s->pts[k].min > 0 || !fr->sy.log
                                  ? (double)s->pts[k].min
                                  : (double)s->pts[k].mean);
            if (ok(x, y))
                fprintf(f, "L%.1f %.1f", x, y);
        }
        fprintf(f, "Z\" fill=\"%s\" fill-opacity=\"0.18\" stroke=\"none\"/>\n",
                hex);
    }
    fprintf(f,
            "<polyline class=\"series\" fill=\"none\" stroke=\"%s\" "
            "stroke-width=\"1.6\" stroke-linejoin=\"round\" "
            "stroke-opacity=\"%s\" points=\"",
            hex, c->smooth > 0 ? "0.45" : "1");
    for (size_t k = 0; k < s->n; k++) {
        double x = px(fr, 0.5 * (s->pts[k].step_lo + s->pts[k].step_hi));
        double y = py(fr, s->pts[k].mean);
        if (ok(x, y))
            fprintf(f, "%s%.1f,%.1f", k > 0 ? " " : "", x, y);
    }
    fputs("\"/>\n", f);
    if (c->smooth > 0 && s->n > 0) {
        double *e = malloc(s->n * sizeof *e);
        if (e == NULL)
            return;
        rs_chart_ema(s, c->smooth, e);
        fprintf(f,
                "<polyline class=\"ema\" fill=\"none\" stroke=\"%s\" "
                "stroke-width=\"2.2\" points=\"",
                hex);
        for (size_t k = 0; k < s->n; k++) {
            double x = px(fr, 0.5 * (s->pts[k].step_lo + s->pts[k].step_hi));
            double y = py(fr, e[k]);
            if (ok(x, y))
                fprintf(f, "%s%.1f,%.1f", k > 0 ? " " : "", x, y);
        }
        fputs("\"/>\n", f);
        free(e);
    }
}

static void
chart_marks(FILE *f, const struct frame *fr, const struct rs_chart *c)
{
    char hex[8], num[32];
    rgb(hex, rs_theme_dark.marker);
    for (int i = 0; i < c->nevents; i++) {
        double x = px(fr, c->events[i].step);
        if (!(x >= fr->x0 && x <= fr->x1))
            continue;
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                "stroke=\"%s\" stroke-dasharray=\"3 3\"/>\n"
                "<text x=\"%.1f\" y=\"%.1f\" fill=\"%s\" font-size=\"11\">",
                x, fr->y0, x, fr->y1, hex, x + 4, fr->y0 + 12, hex);
        rs_svg_escape(f, c->events[i].label);
        fputs("</text>\n", f);
    }
    for (int i = 0; i < c->nthresholds; i++) {
        const struct rs_chart_threshold *t = &c->thresholds[i];
        double step;
        if (t->series < 0 || t->series >= c->nseries ||
            !rs_chart_crossing(&c->series[t->series], t->y, &step))
            continue;
        double x = px(fr, step), y = py(fr, t->y);
        if (!ok(x, y))
            continue;
        uint32_t col = c->series[t->series].color;
        rgb(hex, col == RS_COLOR_DEFAULT
                     ? rs_theme_series(&rs_theme_dark, t->series)
                     : col);
        rs_fmt_si(step, num, sizeof num);
        bool right = x > fr->x1 - 90; /* near the edge: label on the left */
        fprintf(f,
                "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>\n"
                "<text x=\"%.1f\" y=\"%.1f\" fill=\"%s\" font-size=\"11\""
                "%s>",
                x, y, hex, right ? x - 6 : x + 6, y - 6, hex,
                right ? " text-anchor=\"end\"" : "");
        rs_svg_escape(f, t->label);
        fprintf(f, " at %s</text>\n", num);
    }
}

int
rs_svg_chart(FILE *f, const struct rs_chart *c, const struct rs_svg_opts *opts,
             struct rs_error *err)
{
    int w = opts && opts->width > 0 ? opts->width : 720;
    int h = opts && opts->height > 0 ? opts->height : 405;
    struct frame fr = {64,           48, w - 20.0, h - 48.0, {0, 1, false},
                       {0, 1, false}};
    rs_chart_ranges(c, 6, &fr.sx, &fr.sy);
    rs_svg_begin(f, w, h, c->title);
    chart_axes(f, &fr, c);
    for (int i = 0; i < c->nseries; i++)
        series_svg(f, &fr, c, i);
    chart_marks(f, &fr, c);
    /* legend: right-aligned under the title */
    double x = fr.x1;
    char hex[8];
    for (int i = c->nseries - 1; i >= 0; i--) {
        const char *name = c->series[i].name ? c->series[i].name : "?";
        x -= 7.0 * (double)rs_utf8_width(name) + 30;
        uint32_t col = c->series[i].color == RS_COLOR_DEFAULT
                           ? rs_theme_series(&rs_theme_dark, i)
                           : c->series[i].color;
        rgb(hex, col);
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"34\" x2=\"%.1f\" y2=\"34\" "
                "stroke=\"%s\" stroke-width=\"3\"/>\n"
                "<text x=\"%.1f\" y=\"38\" fill=\"" INK "\">",
                x, x + 16, hex, x + 20);
        rs_svg_escape(f, name);
        fputs("</text>\n", f);
    }
    if (c->smooth > 0)
        fprintf(f,
                "<text x=\"16\" y=\"40\" fill=\"" MUTED "\" font-size=\"11\">"
                "EMA \xce\xb1=%g over raw values</text>\n",
                c->smooth);
    return rs_svg_end(f, err);
}

int
rs_svg_heatmap(FILE *f, const struct rs_heatmap *hm,
               const struct rs_svg_opts *opts, struct rs_error *err)
{
    int w = opts && opts->width > 0 ? opts->width : 720;
    int h = opts && opts->height > 0 ? opts->height : 405;
    rs_svg_begin(f, w, h, hm->title);
    if (hm->data == NULL || hm->rows <= 0 || hm->cols <= 0)
        return rs_svg_end(f, err);
    double lo, hi;
    rs_heatmap_range(hm, &lo, &hi);
    double left = hm->row_labels ? 90 : 44, top = hm->col_labels ? 96 : 56;
    double cw = (w - left - 110) / hm->cols, ch = (h - top - 24) / hm->rows;
    double cs = cw < ch ? cw : ch; /* square cells */
    char hex[8], num[32];
    fputs("<g stroke=\"none\" shape-rendering=\"crispEdges\">\n", f);
    for (int r = 0; r < hm->rows; r++)
        for (int c = 0; c < hm->cols; c++) {
            double v = hm->data[(size_t)r * (size_t)hm->cols + (size_t)c];
            rgb(hex, rs_heatmap_color(hm, lo, hi, v));
            fprintf(f,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" "
                    "height=\"%.2f\" fill=\"%s\"/>\n",
                    left + c * cs, top + r * cs, cs, cs, hex);
        }
    fputs("</g>\n", f);
    int every = (int)ceil(14.0 / cs);
    every = every < 1 ? 1 : every;
    for (int r = 0; r < hm->rows; r += every) {
        fprintf(f,
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" "
                "fill=\"" INK "\" font-size=\"11\">",
                left - 6, top + (r + 0.5) * cs + 4);
        if (hm->row_labels)
            rs_svg_escape(f, hm->row_labels[r]);
        else
            fprintf(f, "%d", r);
        fputs("</text>\n", f);
    }
    for (int c = 0; c < hm->cols; c += every) {
        double x = left + (c + 0.5) * cs;
        if (hm->col_labels) {
            fprintf(f,
                    "<text transform=\"translate(%.1f %.1f) rotate(-45)\" "
                    "fill=\"" INK "\" font-size=\"11\">",
                    x, top - 6);
            rs_svg_escape(f, hm->col_labels[c]);
        } else {
            fprintf(f,
                    "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                    "fill=\"" INK "\" font-size=\"11\">%d",
                    x, top - 6, c);
        }
        fputs("</text>\n", f);
    }
    /* colour bar: 32 bands, low at the bottom */
    double bx = left + hm->cols * cs + 24, by = top, bh = hm->rows * cs;
    fputs("<g stroke=\"none\">\n", f);
    for (int i = 0; i < 32; i++) {
        rgb(hex, rs_heatmap_color(hm, lo, hi, lo + (hi - lo) * (i + 0.5) / 32));
        fprintf(f,
                "<rect x=\"%.1f\" y=\"%.2f\" width=\"14\" height=\"%.2f\" "
                "fill=\"%s\"/>\n",
                bx, by + bh - (i + 1) * bh / 32, bh / 32 + 0.3, hex);
    }
    fputs("</g>\n", f);
    fprintf(f,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"%.1f\" "
            "fill=\"none\" stroke=\"" MUTED "\"/>\n",
            bx, by, bh);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" fill=\"" INK "\">%s</text>\n",
            bx + 20, by + 10, rs_fmt_num(hi, num, sizeof num));
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" fill=\"" INK "\">%s</text>\n",
            bx + 20, by + bh, rs_fmt_num(lo, num, sizeof num));
    return rs_svg_end(f, err);
}
