/* repscope - MIT licence, see COPYING.
 *
 * t_ui_svg.c: the SVG export is well-formed (a small tag-balance checker:
 * every element closed in order, attributes quoted), carries the escaped
 * title, one <polyline> per series (two with smoothing), an envelope
 * <path> only for downsampled series, one <rect> per heatmap cell with
 * the widget's colours, and reports write errors. (Rendered by eye with
 * ImageMagick while writing: `convert out.svg out.png`.)
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/tap.h"
#include "tests/ui_fixture.h"
#include "ui/svg.h"

static char *
to_string(int (*fn)(FILE *, const void *, struct rs_error *), const void *in,
          int *status)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct rs_error err;
    *status = fn(f, in, &err);
    fclose(f);
    return buf;
}

static int
chart_fn(FILE *f, const void *in, struct rs_error *err)
{
    return rs_svg_chart(f, in, NULL, err);
}

static int
heat_fn(FILE *f, const void *in, struct rs_error *err)
{
    return rs_svg_heatmap(f, in, NULL, err);
}

static int
count(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* Tags balance like XML: <a ...> ... </a>, <b/>, <?xml ...?>; attribute
 * values double-quoted with no raw '<' or '&' outside entities. */
static bool
well_formed(const char *s, char *why, size_t n)
{
    char stack[64][32];
    int depth = 0, roots = 0;
    const char *p = s;
    if (strncmp(p, "<?xml", 5) != 0) {
        snprintf(why, n, "no XML declaration");
        return false;
    }
    p = strstr(p, "?>") + 2;
    while (*p) {
        if (*p != '<') {
            if (*p == '&' && strncmp(p, "&amp;", 5) && strncmp(p, "&lt;", 4) &&
                strncmp(p, "&gt;", 4) && strncmp(p, "&quot;", 6) &&
                strncmp(p, "&#", 2)) {
                snprintf(why, n, "bare '&' in text");
                return false;
            }
            p++;
            continue;
        }
        bool closing = p[1] == '/';
        const char *q = p + (closing ? 2 : 1);
        char name[32];
        size_t k = 0;
        while ((isalnum((unsigned char)*q) || *q == '-' || *q == ':') &&
               k < sizeof name - 1)
            name[k++] = *q++;
        name[k] = 0;
        if (k == 0) {
            snprintf(why, n, "bad tag near '%.20s'", p);
            return false;
        }
        bool quoted = false, self = false;
        while (*q && (quoted || *q != '>')) {
            if (*q == '"')
                quoted = !quoted;
            else if (quoted && *q == '<') {
                snprintf(why, n, "'<' in an attribute of <%s>", name);
                return false;
            }
            q++;
        }
        if (*q != '>') {
            snprintf(why, n, "unterminated <%s>", name);
            return false;
        }
        self = q[-1] == '/';
        if (closing) {
            if (depth == 0 || strcmp(stack[depth - 1], name) != 0) {
                snprintf(why, n, "</%s> does not close <%s>", name,
                         depth ? stack[depth - 1] : "(none)");
                return false;
            }
            depth--;
        } else if (!self) {
            if (depth == 0)
                roots++;
            if (depth == 64)
                return false;
            snprintf(stack[depth++], sizeof stack[0], "%s", name);
        } else if (depth == 0) {
            roots++;
        }
        p = q + 1;
    }
    if (depth != 0 || roots != 1) {
        snprintf(why, n, "depth %d, %d root elements", depth, roots);
        return false;
    }
    return true;
}

int
main(void)
{
    tap_plan_lazy();
    struct fx_run *run = rs_xmalloc(sizeof *run);
    fx_run_init(run);
    char why[128];
    int st;

    run->acc.title = "accuracy <train & test>";
    char *svg = to_string(chart_fn, &run->acc, &st);
    tap_is_int(st, RS_OK, "chart written");
    tap_ok(well_formed(svg, why, sizeof why), "chart SVG well-formed %s", why);
    tap_ok(strstr(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"") != NULL,
           "svg root with namespace");
    tap_ok(strstr(svg, "<title>accuracy &lt;train &amp; test&gt;</title>") !=
               NULL,
           "escaped title");
    tap_is_int(count(svg, "<polyline"), 2, "one polyline per series");
    tap_is_int(count(svg, "class=\"envelope\""), 0,
               "no envelope without downsampling");
    tap_ok(strstr(svg, ">train</text>") && strstr(svg, ">test</text>"),
           "legend names the series");
    tap_ok(strstr(svg, "lr 1e-3\u21923e-4") != NULL, "event label");
    tap_ok(strstr(svg, ">50% at ") != NULL, "threshold mark");
    free(svg);

    /* downsampled buckets and smoothing */
    for (long i = 0; i < FX_NPTS; i++) {
        run->train[i].count = 10;
        run->train[i].min -= 0.05f;
    }
    run->acc.smooth = 0.1;
    run->acc.log_x = true;
    svg = to_string(chart_fn, &run->acc, &st);
    tap_ok(well_formed(svg, why, sizeof why), "smoothed SVG well-formed %s",
           why);
    tap_is_int(count(svg, "<polyline"), 4, "raw and EMA polylines");
    tap_is_int(count(svg, "class=\"ema\""), 2, "EMA per series");
    tap_is_int(count(svg, "class=\"envelope\""), 1,
               "envelope for the downsampled series only");
    tap_ok(strstr(svg, "nan") == NULL && strstr(svg, "inf") == NULL,
           "no non-finite coordinates on log x");
    free(svg);

    struct fx_heat h;
    fx_heat_init(&h);
    svg = to_string(heat_fn, &h.tokens, &st);
    tap_is_int(st, RS_OK, "heatmap written");
    tap_ok(well_formed(svg, why, sizeof why), "heatmap SVG well-formed %s",
           why);
    /* background + 6 x 10 cells + colour bar (32 bands and a frame) */
    tap_is_int(count(svg, "<rect"), 1 + 60 + 33, "a rect per cell");
    char want[32];
    double lo, hi;
    rs_heatmap_range(&h.tokens, &lo, &hi);
    snprintf(want, sizeof want, "fill=\"#%06x\"",
             (unsigned)rs_heatmap_color(&h.tokens, lo, hi, h.tok[0]));
    tap_ok(strstr(svg, want) != NULL, "first cell coloured %s", want);
    tap_ok(strstr(svg, ">&lt;eos&gt;</text>") != NULL, "escaped labels");
    free(svg);

    FILE *full = fopen("/dev/full", "w");
    if (full != NULL) {
        struct rs_error err;
        tap_is_int(rs_svg_chart(full, &run->acc, NULL, &err), RS_EIO,
                   "write error reported");
        fclose(full);
    } else {
        tap_skip(1, "no /dev/full");
    }
    free(run);
    return tap_done();
}
