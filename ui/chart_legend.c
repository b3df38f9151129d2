/* repscope - MIT licence, see COPYING.
 *
 * chart_legend.c: the line chart's legend (chart_impl.h): one or two rows
 * of items that drop by priority when space runs out.
 */
#include "config.h"

#include "ui/chart_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "ui/colormap.h"
#include "ui/fmt.h"

struct item {
    char text[96];
    uint32_t swatch; /* glyph before the text, 0: none */
    const char *sw2; /* or a two-glyph swatch */
    struct rs_style sw_st, st;
    int prio; /* lower is more important */
    bool on;
};

static int
item_width(const struct item *it)
{
    return (it->swatch ? 2 : 0) + (it->sw2 ? 3 : 0) + rs_utf8_width(it->text);
}

/* Rows the items that are on take when wrapped greedily into width w. */
static int
legend_rows(const struct item *it, int n, int w)
{
    int rows = 1, cx = 0;
    for (int i = 0; i < n; i++) {
        if (!it[i].on)
            continue;
        int iw = item_width(&it[i]);
        if (cx > 0 && cx + 2 + iw > w) {
            rows++;
            cx = 0;
        }
        cx += (cx > 0 ? 2 : 0) + iw;
    }
    return rows;
}

static void
draw_legend(struct rs_canvas *cv, int x, int y, int w, int rows,
            struct item *it, int n)
{
    for (;;) { /* drop the least important items until the rows fit */
        int worst = -1;
        for (int i = 0; i < n; i++)
            if (it[i].on && (worst < 0 || it[i].prio >= it[worst].prio))
                worst = i;
        if (legend_rows(it, n, w) <= rows || worst < 0 ||
            it[worst].prio == 0)
            break;
        it[worst].on = false;
    }
    int cx = x, end = x + w, row = 0;
    for (int i = 0; i < n; i++) {
        if (!it[i].on)
            continue;
        if (cx > x && cx + 2 + item_width(&it[i]) > end && row + 1 < rows) {
            row++;
            y++;
            cx = x;
        }
        if (cx >= end)
            break;
        if (cx > x)
            cx += 2;
        if (it[i].swatch) {
            rs_canvas_put(cv, cx, y, it[i].swatch, it[i].sw_st);
            cx += 2;
        } else if (it[i].sw2) {
            rs_canvas_text(cv, cx, y, it[i].sw2, 2, it[i].sw_st);
            cx += 3;
        }
        if (cx < end)
            cx += rs_canvas_text_fit(cv, cx, y, it[i].text, end - cx, it[i].st);
    }
}

static const char *const mono_swatch[4] = {"\u2501\u2501", "\u254d\u254d",
                                           "\u2505\u2505", "\u2509\u2509"};
static const char *const ascii_swatch[4] = {"==", "--", "..", "-."};

/* The part of every series name the legend shows: without the prefix up
 * to a '/' and the suffix from a '/' that all of them share
 * ("pos/rope/fp32/dist", "pos/none/fp32/dist" -> "rope", "none"). */
static void
name_affixes(const struct rs_chart *c, size_t *pre, size_t *suf)
{
    *pre = *suf = 0;
    if (c->nseries < 2)
        return;
    const char *a = c->series[0].name ? c->series[0].name : "";
    size_t la = strlen(a), p = la, s = la;
    for (int i = 1; i < c->nseries; i++) {
        const char *b = c->series[i].name ? c->series[i].name : "";
        size_t lb = strlen(b), k = 0;
        while (k < p && k < lb && a[k] == b[k])
            k++;
        p = k;
        k = 0;
        while (k < s && k < lb && a[la - 1 - k] == b[lb - 1 - k])
            k++;
        s = k;
    }
    while (p > 0 && a[p - 1] != '/')
        p--;
    while (s > 0 && a[la - s] != '/')
        s--;
    /* every name must keep something */
    for (int i = 0; i < c->nseries; i++) {
        size_t lb = strlen(c->series[i].name ? c->series[i].name : "");
        if (p + s >= lb)
            return;
    }
    *pre = p;
    *suf = s;
}

void
rs_chart_legend(struct rs_canvas *cv, int x, int y, int w, int rows,
                const struct rs_chart *c, uint32_t most, bool env, bool band,
                const struct rs_ui_ctx *ctx)
{
    const struct rs_theme *th = rs_widget_theme(ctx);
    int n = 0, cap = c->nseries + 4;
    char num[32];
    /* full names when the series fit in the rows, else without the
     * shared affixes */
    size_t pre = 0, suf = 0;
    {
        int used = 0, rows_used = 1;
        for (int i = 0; i < c->nseries; i++) {
            const struct rs_chart_series *s = &c->series[i];
            rs_fmt_num(s->n > 0 ? s->pts[s->n - 1].last : NAN, num,
                       sizeof num);
            int iw = 3 + rs_utf8_width(s->name ? s->name : "?") + 1 +
                     rs_utf8_width(num);
            if (used > 0 && used + 2 + iw > w) {
                rows_used++;
                used = 0;
            }
            used += (used > 0 ? 2 : 0) + iw;
        }
        if (rows_used > rows)
            name_affixes(c, &pre, &suf);
        /* a suffix every name shares that the title says already
         * ("a/test/acc", "b/test/acc" under "test/acc"): always off */
        size_t tl = c->title != NULL ? strlen(c->title) : 0;
        bool titled = c->nseries > 1 && tl > 0;
        for (int i = 0; titled && i < c->nseries; i++) {
            const char *nm = c->series[i].name ? c->series[i].name : "";
            size_t ln = strlen(nm);
            titled = ln > tl + 1 && nm[ln - tl - 1] == '/' &&
                     strcmp(nm + ln - tl, c->title) == 0 &&
                     pre + tl + 1 < ln;
        }
        if (titled && suf < tl + 1)
            suf = tl + 1;
    }
    struct item *it = rs_xcalloc((size_t)cap, sizeof *it);
    bool mono = ctx->color == RS_COLOR_MONO;
    if (c->cursor_on) {
        rs_fmt_si(c->cursor, num, sizeof num);
        snprintf(it[n].text, sizeof it[n].text, "%s%s",
                 ctx->ascii ? "@" : "\u25b8", num);
        it[n].st = rs_widget_style(th->accent, RS_ATTR_BOLD);
        it[n].prio = 1;
        it[n++].on = true;
    }
    for (int i = 0; i < c->nseries; i++) {
        const struct rs_chart_series *s = &c->series[i];
        uint32_t col = rs_chart_series_color(c, i, th);
        double v = NAN;
        if (c->cursor_on)
            v = rs_chart_value_at(s, c->cursor);
        else if (s->n > 0)
            v = s->pts[s->n - 1].last;
        rs_fmt_num(v, num, sizeof num);
        const char *nm = s->name ? s->name : "?";
        int keep = (int)(strlen(nm) - pre - suf);
        snprintf(it[n].text, sizeof it[n].text, "%.*s %s", keep, nm + pre,
                 s->n > 0 ? num : "-");
        if (mono || ctx->ascii)
            it[n].sw2 = ctx->ascii ? ascii_swatch[i % 4] : mono_swatch[i % 4];
        else
            it[n].swatch = 0x2501; /* ━ */
        it[n].sw_st = rs_widget_style(col, RS_ATTR_BOLD);
        it[n].st = rs_widget_style(th->text, 0);
        it[n].prio = i < 2 ? 0 : 2;
        it[n++].on = true;
    }
    if (c->smooth > 0) {
        snprintf(it[n].text, sizeof it[n].text, "ema %s=%g",
                 ctx->ascii ? "a" : "\u03b1", c->smooth);
        it[n].st = rs_widget_style(th->dim, 0);
        it[n].prio = 3;
        it[n++].on = true;
    }
    if (most > 1) { /* decimated: say so, with the envelope's swatch */
        snprintf(it[n].text, sizeof it[n].text, "%s per %s pts",
                 env ? (ctx->ascii ? "min..max" : "min\u2013max") : "mean",
                 rs_fmt_si((double)most, num, sizeof num));
        it[n].st = rs_widget_style(th->dim, 0);
        if (env && rs_chart_tinted(ctx)) {
            it[n].swatch = ' ';
            uint32_t col = rs_chart_series_color(c, 0, th);
            it[n].sw_st = (struct rs_style){RS_COLOR_DEFAULT,
                                            rs_chart_tint_of(col), 0};
        } else if (env) {
            it[n].swatch = ctx->ascii ? ':' : 0x2591; /* ░ */
            it[n].sw_st = rs_widget_style(rs_chart_series_color(c, 0, th),
                                          RS_ATTR_DIM);
        }
        it[n].prio = 4;
        it[n++].on = true;
    }
    /* a band: what its stipple or tint is, with its swatch */
    if (band) {
        int b = 0; /* the first series with a band */
        while (b + 1 < c->nseries && c->bands != NULL &&
               (c->bands[b].nlo == 0 || c->bands[b].nhi == 0))
            b++;
        uint32_t col = rs_chart_series_color(c, b, th);
        snprintf(it[n].text, sizeof it[n].text, "%s",
                 ctx->ascii ? "lo..hi" : "lo\u2013hi");
        it[n].st = rs_widget_style(th->dim, 0);
        enum rs_chart_band_look look = rs_chart_band_look(ctx);
        if (look == RS_CHART_BAND_TINT) {
            it[n].swatch = ' ';
            it[n].sw_st =
                (struct rs_style){RS_COLOR_DEFAULT, rs_chart_band_tint(col), 0};
        } else if (look == RS_CHART_BAND_DOTS) {
            it[n].swatch = rs_chart_band_glyph();
            it[n].sw_st = rs_widget_style(rs_rgb_mix(col, 0x000000, 0.45),
                                          mono ? RS_ATTR_DIM : 0);
        } else {
            it[n].swatch = '.';
            it[n].sw_st = rs_widget_style(col, RS_ATTR_DIM);
        }
        it[n].prio = 5;
        it[n++].on = true;
    }
    draw_legend(cv, x, y, w, rows, it, n);
    free(it);
}

int
rs_chart_legend_rows(const struct rs_chart *c, int w, int h)
{
    if (h < 9)
        return 1;
    int need = 0;
    char num[32];
    for (int i = 0; i < c->nseries; i++) {
        const struct rs_chart_series *s = &c->series[i];
        rs_fmt_num(s->n > 0 ? s->pts[s->n - 1].last : NAN, num, sizeof num);
        need += (i > 0 ? 2 : 0) + 3 + rs_utf8_width(s->name ? s->name : "?") +
                1 + rs_utf8_width(num);
    }
    return need > w ? 2 : 1;
}
