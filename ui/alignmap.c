/* repscope - MIT licence, see COPYING.
 *
 * alignmap.c: alignment maps per word and learner (alignmap.h).
 *
 * Geometry: a map is `side` patches square, cut into grid x grid blocks
 * of `blk` patches; on screen a patch is pw columns by ph sub-rows (a
 * sub-row is half a cell in half-block mode, a cell otherwise; `halve`:
 * two patch rows share one cell). A map is mw = side * pw + grid - 1
 * columns (a gutter between blocks); maps sit in slots of mw + 1
 * columns, the extra column on the left shared with the previous map's
 * right: the outline marks of one word are on the same block in every
 * map, so neighbours never need the same column. UI thread.
 */
#include "config.h"

#include "ui/alignmap.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "ui/colormap.h"

struct geom {
    bool half, halve, blocks; /* blocks: the item blocks are defined */
    int side, blk, g;
    int pw, ph; /* columns and sub-rows per patch */
    int mw, mh; /* map width (columns), height (cells) */
    int lw;     /* word label column, its space included */
    int hr, mr; /* header rows (1 or 2), mass rows (0 or 1) */
    int shown;  /* words shown */
    int gx, gy; /* top-left of the first map's slot, below the header */
};

void
rs_alignmap_init(struct rs_alignmap *a)
{
    memset(a, 0, sizeof *a);
    a->grid = 2;
    a->vmin = a->vmax = NAN;
}

static int
isqrt(int n)
{
    int s = (int)lround(sqrt((double)(n > 0 ? n : 0)));
    return s * s == n ? s : 0;
}

double
rs_alignmap_mass(const struct rs_alignmap *a, int i, int w, int item)
{
    int side = isqrt(a->patches);
    int g = a->grid;
    if (side == 0 || g <= 0 || side % g != 0 || item < 0 || item >= g * g ||
        a->maps == NULL || a->maps[i] == NULL || w >= a->rows[i])
        return NAN;
    int blk = side / g, br = item / g, bc = item % g;
    const float *m = a->maps[i] + (size_t)w * (size_t)a->patches;
    double in = 0, all = 0;
    for (int p = 0; p < a->patches; p++) {
        double v = m[p];
        if (!(v > 0))
            continue;
        all += v;
        if ((p / side) / blk == br && (p % side) / blk == bc)
            in += v;
    }
    return all > 0 ? in / all : (double)NAN;
}

static int
label_width(const struct rs_alignmap *a)
{
    int w = 2;
    for (int i = 0; a->word_labels != NULL && i < a->words; i++) {
        int lw = rs_utf8_width(a->word_labels[i]);
        w = lw > w ? lw : w;
    }
    return w;
}

static int
name_width(const struct rs_alignmap *a)
{
    int w = 0;
    for (int i = 0; a->learners != NULL && i < a->nlearners; i++) {
        int lw = rs_utf8_width(a->learners[i]);
        w = lw > w ? lw : w;
    }
    return w;
}

/* Map height in cells for the geometry's patch size. */
static int
map_height(const struct geom *g)
{
    if (g->half)
        return (g->side * g->ph + 1) / 2;
    return g->halve ? (g->side + 1) / 2 : g->side * g->ph;
}

/* The largest patch size whose maps fit the width (with a label of at
 * least 5 columns) and, if any does, the height; then the extras. */
static void
layout(const struct rs_alignmap *a, struct rs_rect in, bool half,
       struct geom *g)
{
    memset(g, 0, sizeof *g);
    g->half = half;
    g->side = isqrt(a->patches);
    g->g = a->grid > 0 ? a->grid : 1;
    g->blocks = g->side % g->g == 0;
    g->blk = g->blocks ? g->side / g->g : g->side;
    int gutters = g->blocks ? g->g - 1 : 0;
    int want_lw = label_width(a);
    want_lw = (want_lw < 10 ? want_lw : 10) + 1;
    int L = a->nlearners;
    /* candidates, largest first, a mass row worth one size step:
     * (pw, ph, halve, mass) */
    static const int cand_half[][4] = {{3, 3, 0, 1}, {2, 2, 0, 1},
                                       {3, 3, 0, 0}, {1, 1, 0, 1},
                                       {2, 2, 0, 0}, {1, 1, 0, 0}};
    static const int cand_glyph[][4] = {
        {6, 3, 0, 1}, {4, 2, 0, 1}, {6, 3, 0, 0}, {2, 1, 0, 1}, {4, 2, 0, 0},
        {1, 1, 0, 1}, {2, 1, 0, 0}, {1, 1, 0, 0}, {1, 1, 1, 1}, {1, 1, 1, 0}};
    const int(*cand)[4] = half ? cand_half : cand_glyph;
    int nc =
        half ? (int)RS_ARRAY_LEN(cand_half) : (int)RS_ARRAY_LEN(cand_glyph);
    bool can_mass = a->truth != NULL && g->blocks;
    int pick = nc - 1;
    for (int c = 0; c < nc; c++) {
        if (cand[c][3] && !can_mass)
            continue;
        int mw = g->side * cand[c][0] + gutters;
        g->pw = cand[c][0];
        g->ph = cand[c][1];
        g->halve = cand[c][2] != 0;
        int mh = map_height(g) + cand[c][3];
        int room_w = in.w - L * (mw + 1) - 1;
        if (room_w < 6)
            continue;
        if (1 + a->words * mh <= in.h) {
            pick = c;
            break;
        }
    }
    g->pw = cand[pick][0];
    g->ph = cand[pick][1];
    g->halve = cand[pick][2] != 0;
    g->mr = cand[pick][3];
    g->mw = g->side * g->pw + gutters;
    g->mh = map_height(g);
    int room_w = in.w - L * (g->mw + 1) - 1;
    g->lw = want_lw < room_w ? want_lw : room_w;
    g->lw = g->lw < 0 ? 0 : g->lw;
    g->hr = 1;
    g->shown = (in.h - g->hr) / (g->mh + g->mr);
    g->shown = g->shown > a->words ? a->words : g->shown;
    g->shown = g->shown < 0 ? 0 : g->shown;
    if (g->shown == a->words && in.h - 1 - a->words * (g->mh + g->mr) >= 1 &&
        name_width(a) > g->mw)
        g->hr = 2;
    g->gx = in.x + g->lw;
    g->gy = in.y + g->hr;
}

/* Column of patch column c inside the map whose content starts at mx. */
static int
patch_x(const struct geom *g, int mx, int c)
{
    return mx + c * g->pw + (g->blocks ? c / g->blk : 0);
}

static void
map_range(const struct rs_alignmap *a, const float *m, double *lo, double *hi)
{
    double mn = INFINITY, mx = -INFINITY;
    for (int p = 0; p < a->patches; p++) {
        double v = m[p];
        if (isfinite(v)) {
            mn = v < mn ? v : mn;
            mx = v > mx ? v : mx;
        }
    }
    if (!(mn <= mx))
        mn = 0, mx = 1;
    mn = mn < 0 ? mn : 0;
    if (!isnan(a->vmin))
        mn = a->vmin;
    if (!isnan(a->vmax))
        mx = a->vmax;
    if (!(mx > mn))
        mx = mn + 1;
    *lo = mn;
    *hi = mx;
}

static void
draw_map(struct rs_canvas *cv, const struct rs_alignmap *a,
         const struct geom *g, const float *m, int mx, int my,
         const struct rs_ui_ctx *ctx)
{
    double lo, hi;
    map_range(a, m, &lo, &hi);
    struct rs_style st = {RS_COLOR_DEFAULT, RS_COLOR_DEFAULT, 0};
    bool colour = ctx->color != RS_COLOR_MONO;
    int rstep = g->halve ? 2 : 1;
    for (int r = 0; r < g->side; r += rstep)
        for (int c = 0; c < g->side; c++) {
            double v = m[r * g->side + c];
            if (g->halve && r + 1 < g->side) {
                double u = m[(r + 1) * g->side + c];
                v = isnan(v) ? u : isnan(u) ? v : 0.5 * (v + u);
            }
            double t = (v - lo) / (hi - lo);
            int x = patch_x(g, mx, c);
            for (int dx = 0; dx < g->pw; dx++)
                for (int dy = 0; dy < g->ph; dy++) {
                    if (g->half) {
                        if (!isnan(v))
                            rs_canvas_halfblock(cv, x + dx,
                                                2 * my + r * g->ph + dy,
                                                rs_cmap_seq(t));
                        continue;
                    }
                    uint32_t gl = isnan(v) ? '?' : rs_cmap_glyph(t, true);
                    if (gl == ' ' && !ctx->ascii)
                        gl = 0x00b7; /* zero stays visible: · */
                    st.fg =
                        colour && !isnan(v) ? rs_cmap_seq(t) : RS_COLOR_DEFAULT;
                    rs_canvas_put(cv, x + dx, my + (r / rstep) * g->ph + dy, gl,
                                  st);
                }
        }
}

/* Cell rows [*y0, *y1) of map row band of block row br, relative to the
 * map's top. */
static void
block_rows(const struct geom *g, int br, int *y0, int *y1)
{
    int p0 = br * g->blk, p1 = (br + 1) * g->blk; /* patch rows */
    if (g->half) {
        *y0 = p0 * g->ph / 2;
        *y1 = (p1 * g->ph + 1) / 2;
    } else if (g->halve) {
        *y0 = p0 / 2;
        *y1 = (p1 + 1) / 2;
    } else {
        *y0 = p0 * g->ph;
        *y1 = p1 * g->ph;
    }
}

static void
draw_outline(struct rs_canvas *cv, const struct geom *g, int item, int mx,
             int my, const struct rs_ui_ctx *ctx)
{
    const struct rs_theme *th = rs_widget_theme(ctx);
    struct rs_style st = rs_widget_style(th->accent, RS_ATTR_BOLD);
    int br = item / g->g, bc = item % g->g;
    int xl = patch_x(g, mx, bc * g->blk) - 1;
    int xr = patch_x(g, mx, (bc + 1) * g->blk - 1) + g->pw;
    int y0, y1;
    block_rows(g, br, &y0, &y1);
    for (int y = y0; y < y1; y++) {
        rs_canvas_put(cv, xl, my + y, ctx->ascii ? '[' : 0x2595, st);
        rs_canvas_put(cv, xr, my + y, ctx->ascii ? ']' : 0x258f, st);
    }
}

static void
draw_header(struct rs_canvas *cv, const struct rs_alignmap *a,
            const struct geom *g, struct rs_rect in,
            const struct rs_ui_ctx *ctx)
{
    const struct rs_theme *th = rs_widget_theme(ctx);
    struct rs_style lab = rs_widget_style(th->tick, RS_ATTR_BOLD);
    int slot = g->mw + 1;
    for (int i = 0; i < a->nlearners; i++) {
        int x = g->gx + i * slot + 1;
        int line = g->hr == 2 ? i % 2 : 0;
        int room = g->hr == 2 ? 2 * slot - 1 : g->mw;
        if (x + room > in.x + in.w)
            room = in.x + in.w - x;
        const char *s = a->learners != NULL ? a->learners[i] : "?";
        rs_canvas_text_fit(cv, x, in.y + line, s, room, lab);
    }
}

void
rs_alignmap_draw(struct rs_canvas *cv, struct rs_rect r,
                 const struct rs_alignmap *a, const struct rs_ui_ctx *ctx)
{
    struct rs_rect in = {r.x + 1, r.y + 1, r.w - 2, r.h - 2};
    bool half = !ctx->ascii &&
                (ctx->color == RS_COLOR_256 || ctx->color == RS_COLOR_TRUE);
    int side = isqrt(a->patches);
    bool any = false;
    for (int i = 0; a->maps != NULL && i < a->nlearners; i++)
        any |= a->maps[i] != NULL;
    bool ok = any && side > 0 && a->words > 0 && in.w >= 8 && in.h >= 2 &&
              a->nlearners <= RS_ALIGNMAP_MAX;
    struct geom g = {0};
    char info[64] = "";
    if (ok) {
        layout(a, in, half, &g);
        if (g.shown < a->words)
            snprintf(info, sizeof info, "+%d", a->words - g.shown);
    }
    in = rs_widget_panel(cv, r, a->title, info, ctx);
    if (!ok) {
        const char *msg = NULL;
        if (any && side == 0)
            msg = "patches not a square";
        else if (any)
            msg = "too small";
        rs_widget_empty(cv, in, msg, ctx);
        return;
    }
    const struct rs_theme *th = rs_widget_theme(ctx);
    struct rs_style lab = rs_widget_style(th->tick, 0);
    draw_header(cv, a, &g, in, ctx);
    int slot = g.mw + 1;
    char buf[32];
    for (int w = 0; w < g.shown; w++) {
        int my = g.gy + w * (g.mh + g.mr);
        const char *s = a->word_labels != NULL ? a->word_labels[w] : NULL;
        if (s == NULL) {
            snprintf(buf, sizeof buf, "w%d", w + 1);
            s = buf;
        }
        if (g.lw > 1)
            rs_canvas_text_fit(cv, in.x, my + (g.mh - 1) / 2, s, g.lw - 1, lab);
        int item = a->truth != NULL ? a->truth[w] : -1;
        for (int i = 0; i < a->nlearners; i++) {
            int mx = g.gx + i * slot + 1;
            if (a->maps[i] == NULL || w >= a->rows[i])
                continue;
            draw_map(cv, a, &g, a->maps[i] + (size_t)w * (size_t)a->patches, mx,
                     my, ctx);
            if (g.blocks && item >= 0 && item < g.g * g.g)
                draw_outline(cv, &g, item, mx, my, ctx);
            double share = rs_alignmap_mass(a, i, w, item);
            if (g.mr && !isnan(share)) {
                snprintf(buf, sizeof buf, "%d%%", (int)lround(100 * share));
                int tw = (int)strlen(buf);
                rs_canvas_text(cv, mx + (g.mw - tw + 1) / 2, my + g.mh, buf,
                               g.mw, lab);
            }
        }
    }
}

/* ---- the widget ---------------------------------------------------------- */

struct alignmap_widget {
    struct rs_widget base;
    struct rs_alignmap a;
};

static void
alignmap_widget_draw(struct rs_widget *w, struct rs_canvas *cv,
                     const struct rs_ui_ctx *ctx)
{
    rs_alignmap_draw(cv, w->r, &((struct alignmap_widget *)w)->a, ctx);
}

static void
alignmap_widget_free(struct rs_widget *w)
{
    free(w);
}

const struct rs_widget_class rs_alignmap_class = {
    .name = "align",
    .draw = alignmap_widget_draw,
    .key = NULL,
    .free = alignmap_widget_free,
};

struct rs_widget *
rs_alignmap_widget_new(void)
{
    struct alignmap_widget *aw = rs_xcalloc(1, sizeof *aw);
    aw->base.cls = &rs_alignmap_class;
    aw->base.dirty = true;
    rs_alignmap_init(&aw->a);
    return &aw->base;
}

struct rs_alignmap *
rs_alignmap_widget_data(struct rs_widget *w)
{
    RS_ASSERT(w->cls == &rs_alignmap_class);
    return &((struct alignmap_widget *)w)->a;
}
