/* repscope - MIT licence, see COPYING.
 *
 * canvas.c: the cell grid (canvas.h), its drawing primitives, UTF-8
 * helpers, the ASCII fallback table and the text/ANSI dumps.
 *
 * Invariants: a cell whose glyph is RS_GLYPH_CONT always follows a cell
 * holding a wide glyph in the same row, and every wide glyph is followed
 * by one; put() repairs the partner before it breaks a pair. The clip is
 * always inside the canvas. UI thread (or a test) only.
 */
#include "config.h"

#include "ui/canvas.h"

#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "ui/colormap.h"

#define BRAILLE_BASE 0x2800u
#define GLYPH_UPPER 0x2580u /* ▀ */
#define GLYPH_LOWER 0x2584u /* ▄ */

static const struct rs_cell blank_cell = {' ', RS_COLOR_DEFAULT,
                                          RS_COLOR_DEFAULT, 0};

struct rs_canvas *
rs_canvas_new(int w, int h)
{
    struct rs_canvas *cv = rs_xcalloc(1, sizeof *cv);
    rs_canvas_resize(cv, w, h);
    return cv;
}

void
rs_canvas_free(struct rs_canvas *cv)
{
    if (cv == NULL)
        return;
    free(cv->cells);
    free(cv);
}

void
rs_canvas_resize(struct rs_canvas *cv, int w, int h)
{
    RS_ASSERT(w >= 0 && h >= 0);
    size_t n = (size_t)w * (size_t)h;
    free(cv->cells);
    cv->cells = rs_xreallocarray(NULL, n > 0 ? n : 1, sizeof *cv->cells);
    cv->w = w;
    cv->h = h;
    cv->clip = (struct rs_rect){0, 0, w, h};
    rs_canvas_clear(cv);
}

void
rs_canvas_clear(struct rs_canvas *cv)
{
    size_t n = (size_t)cv->w * (size_t)cv->h;
    for (size_t i = 0; i < n; i++)
        cv->cells[i] = blank_cell;
}

struct rs_rect
rs_canvas_set_clip(struct rs_canvas *cv, struct rs_rect r)
{
    struct rs_rect old = cv->clip;
    int x0 = r.x > 0 ? r.x : 0;
    int y0 = r.y > 0 ? r.y : 0;
    int x1 = r.x + r.w < cv->w ? r.x + r.w : cv->w;
    int y1 = r.y + r.h < cv->h ? r.y + r.h : cv->h;
    cv->clip =
        (struct rs_rect){x0, y0, x1 > x0 ? x1 - x0 : 0, y1 > y0 ? y1 - y0 : 0};
    return old;
}

void
rs_canvas_copy(struct rs_canvas *dst, int x, int y, const struct rs_canvas *src,
               struct rs_rect from)
{
    /* the part of from inside src, then of its image inside dst's clip */
    struct rs_rect c = dst->clip;
    int x0 = from.x > 0 ? from.x : 0, y0 = from.y > 0 ? from.y : 0;
    int x1 = from.x + from.w < src->w ? from.x + from.w : src->w;
    int y1 = from.y + from.h < src->h ? from.y + from.h : src->h;
    x0 = x0 + x - from.x < c.x ? c.x - x + from.x : x0;
    y0 = y0 + y - from.y < c.y ? c.y - y + from.y : y0;
    x1 = x1 + x - from.x > c.x + c.w ? c.x + c.w - x + from.x : x1;
    y1 = y1 + y - from.y > c.y + c.h ? c.y + c.h - y + from.y : y1;
    if (x1 <= x0 || y1 <= y0)
        return;
    size_t n = (size_t)(x1 - x0);
    for (int sy = y0; sy < y1; sy++) {
        struct rs_cell *d =
            &dst->cells[(size_t)(sy + y - from.y) * (size_t)dst->w +
                        (size_t)(x0 + x - from.x)];
        memcpy(d, &src->cells[(size_t)sy * (size_t)src->w + (size_t)x0],
               n * sizeof *d);
        /* a wide glyph cut at either edge is blanked, as primitives do */
        if (d[0].glyph == RS_GLYPH_CONT)
            d[0] = blank_cell;
        if (rs_glyph_width(d[n - 1].glyph) == 2)
            d[n - 1] = blank_cell;
    }
}

const struct rs_cell *
rs_canvas_cell(const struct rs_canvas *cv, int x, int y)
{
    if (x < 0 || y < 0 || x >= cv->w || y >= cv->h)
        return NULL;
    return &cv->cells[(size_t)y * (size_t)cv->w + (size_t)x];
}

static bool
in_clip(const struct rs_canvas *cv, int x, int y)
{
    const struct rs_rect *c = &cv->clip;
    return x >= c->x && y >= c->y && x < c->x + c->w && y < c->y + c->h;
}

static struct rs_cell *
cell_at(struct rs_canvas *cv, int x, int y)
{
    return &cv->cells[(size_t)y * (size_t)cv->w + (size_t)x];
}

/* Before (x, y) changes, break any wide pair it belongs to. */
static void
unpair(struct rs_canvas *cv, int x, int y)
{
    struct rs_cell *c = cell_at(cv, x, y);
    if (c->glyph == RS_GLYPH_CONT && x > 0) {
        cell_at(cv, x - 1, y)->glyph = ' ';
    } else if (x + 1 < cv->w && rs_glyph_width(c->glyph) == 2) {
        struct rs_cell *n = cell_at(cv, x + 1, y);
        if (n->glyph == RS_GLYPH_CONT)
            n->glyph = ' ';
    }
}

void
rs_canvas_put(struct rs_canvas *cv, int x, int y, uint32_t glyph,
              struct rs_style st)
{
    if (!in_clip(cv, x, y))
        return;
    if (glyph < 0x20 || (glyph >= 0x7f && glyph < 0xa0))
        glyph = '?';
    int w = rs_glyph_width(glyph);
    if (w == 0)
        return;
    if (w == 2 && !in_clip(cv, x + 1, y)) {
        glyph = ' ';
        w = 1;
    }
    unpair(cv, x, y);
    *cell_at(cv, x, y) = (struct rs_cell){glyph, st.fg, st.bg, st.attr};
    if (w == 2) {
        unpair(cv, x + 1, y);
        *cell_at(cv, x + 1, y) =
            (struct rs_cell){RS_GLYPH_CONT, st.fg, st.bg, st.attr};
    }
}

int
rs_canvas_text(struct rs_canvas *cv, int x, int y, const char *s, int maxw,
               struct rs_style st)
{
    int col = 0;
    uint32_t cp;
    if (s == NULL)
        return 0;
    while ((cp = rs_utf8_next(&s)) != 0) {
        if (cp == '\t')
            cp = ' ';
        int w =
            (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) ? 1 : rs_glyph_width(cp);
        if (w == 0)
            continue;
        if (maxw >= 0 && col + w > maxw)
            break;
        if (maxw < 0 && x + col >= cv->clip.x + cv->clip.w)
            break;
        rs_canvas_put(cv, x + col, y, cp, st);
        col += w;
    }
    return col;
}

int
rs_canvas_text_fit(struct rs_canvas *cv, int x, int y, const char *s, int maxw,
                   struct rs_style st)
{
    if (s == NULL || maxw <= 0)
        return 0;
    if (rs_utf8_width(s) <= maxw)
        return rs_canvas_text(cv, x, y, s, maxw, st);
    int used = rs_canvas_text(cv, x, y, s, maxw - 1, st);
    rs_canvas_put(cv, x + used, y, 0x2026, st); /* … */
    return used + 1;
}

void
rs_canvas_fill(struct rs_canvas *cv, struct rs_rect r, uint32_t glyph,
               struct rs_style st)
{
    int gw = rs_glyph_width(glyph);
    bool plain = gw == 1 && glyph >= 0x20 && !(glyph >= 0x7f && glyph < 0xa0);
    if (plain) {
        /* one-column glyph: write the rows inside the clip directly,
         * breaking only the wide pairs that straddle its edges (what
         * rs_canvas_put cell by cell comes to) */
        const struct rs_rect *c = &cv->clip;
        int x0 = r.x > c->x ? r.x : c->x, y0 = r.y > c->y ? r.y : c->y;
        int x1 = r.x + r.w < c->x + c->w ? r.x + r.w : c->x + c->w;
        int y1 = r.y + r.h < c->y + c->h ? r.y + r.h : c->y + c->h;
        struct rs_cell cell = {glyph, st.fg, st.bg, st.attr};
        for (int y = y0; y < y1 && x0 < x1; y++) {
            unpair(cv, x0, y);
            unpair(cv, x1 - 1, y);
            struct rs_cell *row = cell_at(cv, 0, y);
            for (int x = x0; x < x1; x++)
                row[x] = cell;
        }
        return;
    }
    int step = gw == 2 ? 2 : 1;
    for (int y = r.y; y < r.y + r.h; y++)
        for (int x = r.x; x + step - 1 < r.x + r.w; x += step)
            rs_canvas_put(cv, x, y, glyph, st);
}

void
rs_canvas_box(struct rs_canvas *cv, struct rs_rect r, struct rs_style border,
              const char *title, struct rs_style title_st, const char *info,
              struct rs_style info_st)
{
    if (r.w < 2 || r.h < 2)
        return;
    int x1 = r.x + r.w - 1, y1 = r.y + r.h - 1;
    for (int x = r.x + 1; x < x1; x++) {
        rs_canvas_put(cv, x, r.y, 0x2500, border);
        rs_canvas_put(cv, x, y1, 0x2500, border);
    }
    for (int y = r.y + 1; y < y1; y++) {
        rs_canvas_put(cv, r.x, y, 0x2502, border);
        rs_canvas_put(cv, x1, y, 0x2502, border);
    }
    rs_canvas_put(cv, r.x, r.y, 0x250c, border);
    rs_canvas_put(cv, x1, r.y, 0x2510, border);
    rs_canvas_put(cv, r.x, y1, 0x2514, border);
    rs_canvas_put(cv, x1, y1, 0x2518, border);
    /* "┌ title ─ info ┐": each label takes its width plus two spaces. */
    int room = r.w - 4; /* corners and one rule cell on each side */
    int tw = title && *title ? rs_utf8_width(title) : 0;
    int iw = info && *info ? rs_utf8_width(info) : 0;
    if (iw > 0 && (tw > 0 ? tw + 2 : 0) + iw + 1 > room)
        iw = 0; /* drop the info first */
    if (tw > 0 && room >= 2) {
        int maxw = room - 1 < tw ? room - 1 : tw;
        rs_canvas_put(cv, r.x + 1, r.y, ' ', border);
        int used = rs_canvas_text_fit(cv, r.x + 2, r.y, title, maxw, title_st);
        rs_canvas_put(cv, r.x + 2 + used, r.y, ' ', border);
    }
    if (iw > 0) {
        int ix = x1 - 1 - iw;
        rs_canvas_put(cv, ix - 1, r.y, ' ', border);
        rs_canvas_text(cv, ix, r.y, info, iw, info_st);
        rs_canvas_put(cv, ix + iw, r.y, ' ', border);
    }
}

void
rs_canvas_braille(struct rs_canvas *cv, int px, int py, uint32_t fg)
{
    static const uint8_t bit[4][2] = {
        {0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}};
    if (px < 0 || py < 0)
        return;
    int x = px / 2, y = py / 4;
    if (!in_clip(cv, x, y))
        return;
    struct rs_cell *c = cell_at(cv, x, y);
    uint32_t g = c->glyph;
    if (g < BRAILLE_BASE || g > BRAILLE_BASE + 0xff) {
        unpair(cv, x, y);
        g = BRAILLE_BASE;
    }
    c->glyph = g | bit[py % 4][px % 2];
    c->fg = fg;
}

void
rs_canvas_halfblock(struct rs_canvas *cv, int x, int py, uint32_t rgb)
{
    if (py < 0)
        return;
    int y = py / 2;
    if (!in_clip(cv, x, y))
        return;
    struct rs_cell *c = cell_at(cv, x, y);
    uint32_t up, lo; /* current halves */
    if (c->glyph == GLYPH_UPPER) {
        up = c->fg;
        lo = c->bg;
    } else if (c->glyph == GLYPH_LOWER) {
        up = c->bg;
        lo = c->fg;
    } else {
        unpair(cv, x, y);
        up = lo = c->bg;
    }
    if (py % 2 == 0)
        up = rgb;
    else
        lo = rgb;
    if (up == RS_COLOR_DEFAULT && lo != RS_COLOR_DEFAULT) {
        c->glyph = GLYPH_LOWER;
        c->fg = lo;
        c->bg = up;
    } else {
        c->glyph = GLYPH_UPPER;
        c->fg = up;
        c->bg = lo;
    }
    c->attr = 0;
}

/* ---- UTF-8 --------------------------------------------------------------- */

uint32_t
rs_utf8_next(const char **s)
{
    const unsigned char *p = (const unsigned char *)*s;
    uint32_t c = p[0];
    int n;
    uint32_t min;
    if (c == 0)
        return 0;
    if (c < 0x80) {
        *s += 1;
        return c;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        n = 1, min = 0x80, c &= 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 2, min = 0x800, c &= 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 3, min = 0x10000, c &= 0x07;
    } else {
        *s += 1;
        return 0xfffd;
    }
    for (int i = 1; i <= n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            *s += 1;
            return 0xfffd;
        }
        c = (c << 6) | (p[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
        *s += 1;
        return 0xfffd;
    }
    *s += n + 1;
    return c;
}

int
rs_utf8_encode(uint32_t cp, char *buf)
{
    unsigned char *b = (unsigned char *)buf;
    int n;
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        cp = 0xfffd;
    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xc0 | (cp >> 6));
        b[1] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xe0 | (cp >> 12));
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        b[0] = (unsigned char)(0xf0 | (cp >> 18));
        b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        b[3] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    b[n] = 0;
    return n;
}

struct range {
    uint32_t lo, hi;
};

static const struct range zero_width[] = {
    {0x0300, 0x036f}, {0x0483, 0x0489},  {0x0591, 0x05bd}, {0x0610, 0x061a},
    {0x064b, 0x065f}, {0x0e31, 0x0e31},  {0x0e34, 0x0e3a}, {0x1160, 0x11ff},
    {0x1ab0, 0x1aff}, {0x1dc0, 0x1dff},  {0x200b, 0x200f}, {0x202a, 0x202e},
    {0x2060, 0x2064}, {0x20d0, 0x20ff},  {0xfe00, 0xfe0f}, {0xfe20, 0xfe2f},
    {0xfeff, 0xfeff}, {0xe0100, 0xe01ef}};

static const struct range wide[] = {
    {0x1100, 0x115f},   {0x231a, 0x231b},   {0x2329, 0x232a},
    {0x23e9, 0x23ec},   {0x23f0, 0x23f0},   {0x23f3, 0x23f3},
    {0x25fd, 0x25fe},   {0x2614, 0x2615},   {0x2648, 0x2653},
    {0x267f, 0x267f},   {0x2693, 0x2693},   {0x26a1, 0x26a1},
    {0x26aa, 0x26ab},   {0x26bd, 0x26be},   {0x26c4, 0x26c5},
    {0x26ce, 0x26ce},   {0x26d4, 0x26d4},   {0x26ea, 0x26ea},
    {0x26f2, 0x26f3},   {0x26f5, 0x26f5},   {0x26fa, 0x26fa},
    {0x26fd, 0x26fd},   {0x2705, 0x2705},   {0x270a, 0x270b},
    {0x2728, 0x2728},   {0x274c, 0x274c},   {0x274e, 0x274e},
    {0x2753, 0x2755},   {0x2757, 0x2757},   {0x2795, 0x2797},
    {0x27b0, 0x27b0},   {0x27bf, 0x27bf},   {0x2b1b, 0x2b1c},
    {0x2b50, 0x2b50},   {0x2b55, 0x2b55},   {0x2e80, 0x303e},
    {0x3041, 0x33ff},   {0x3400, 0x4dbf},   {0x4e00, 0x9fff},
    {0xa000, 0xa4cf},   {0xa960, 0xa97f},   {0xac00, 0xd7a3},
    {0xf900, 0xfaff},   {0xfe10, 0xfe19},   {0xfe30, 0xfe6f},
    {0xff00, 0xff60},   {0xffe0, 0xffe6},   {0x16fe0, 0x16fe4},
    {0x17000, 0x18aff}, {0x1b000, 0x1b16f}, {0x1f004, 0x1f004},
    {0x1f0cf, 0x1f0cf}, {0x1f18e, 0x1f18e}, {0x1f191, 0x1f19a},
    {0x1f200, 0x1f251}, {0x1f300, 0x1f64f}, {0x1f680, 0x1f6ff},
    {0x1f7e0, 0x1f7eb}, {0x1f90c, 0x1f9ff}, {0x1fa70, 0x1faff},
    {0x20000, 0x2fffd}, {0x30000, 0x3fffd}};

static bool
in_ranges(uint32_t cp, const struct range *r, size_t n)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cp < r[mid].lo)
            hi = mid;
        else if (cp > r[mid].hi)
            lo = mid + 1;
        else
            return true;
    }
    return false;
}

int
rs_glyph_width(uint32_t cp)
{
    if (cp < 0x300)
        return 1;
    if (in_ranges(cp, zero_width, RS_ARRAY_LEN(zero_width)))
        return 0;
    if (in_ranges(cp, wide, RS_ARRAY_LEN(wide)))
        return 2;
    return 1;
}

int
rs_utf8_width(const char *s)
{
    int w = 0;
    uint32_t cp;
    if (s == NULL)
        return 0;
    while ((cp = rs_utf8_next(&s)) != 0)
        w += (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) ? 1 : rs_glyph_width(cp);
    return w;
}

/* ---- ASCII fallback ------------------------------------------------------ */

/* The shape of a braille cell's dots: a diagonal, a vertical stroke, or a
 * mark at the height of the dots. */
static uint32_t
braille_ascii(unsigned m)
{
    static const int row[8] = {0, 1, 2, 0, 1, 2, 3, 3};
    static const int col[8] = {0, 0, 0, 1, 1, 1, 0, 1};
    int top = 4, bot = -1, nl = 0, nr = 0;
    double sl = 0, sr = 0;
    if (m == 0)
        return ' ';
    for (int i = 0; i < 8; i++) {
        if (!(m & (1u << i)))
            continue;
        top = row[i] < top ? row[i] : top;
        bot = row[i] > bot ? row[i] : bot;
        if (col[i] == 0) {
            nl++;
            sl += row[i];
        } else {
            nr++;
            sr += row[i];
        }
    }
    if (nl > 0 && nr > 0 && bot - top >= 1) {
        double d = sl / nl - sr / nr;
        if (d >= 1.5)
            return '/';
        if (d <= -1.5)
            return '\\';
    }
    if (bot - top >= 2)
        return '|';
    double mean = (sl + sr) / (nl + nr);
    return mean < 0.75 ? '\'' : mean <= 2.25 ? '-' : '_';
}

/* ASCII shapes of U+2500..U+257F (box drawing) and U+2580..U+259F
 * (blocks), one character per code point. */
static const char box_table[] = "--||--||--||++++"
                                "++++++++++++++++"
                                "++++++++++++++++"
                                "++++++++++++++++"
                                "++++++++++++--||"
                                "=|++++++++++++++"
                                "++++++++++++++++"
                                "+/\\X-|-|-|-|-|-|";
static const char block_table[] = "\"__===#######|||"
                                  "#.:*\"|...#:##.:#";
_Static_assert(sizeof box_table == 129, "one per box-drawing glyph");
_Static_assert(sizeof block_table == 33, "one per block glyph");

struct glyph_map {
    uint32_t g;
    char a;
};

/* Sorted by code point. */
static const struct glyph_map symbol_ascii[] = {
    {0x00a0, ' '}, {0x00b0, 'o'}, {0x00b1, '+'},  {0x00b2, '2'},
    {0x00b3, '3'}, {0x00b7, '.'}, {0x00b9, '1'},  {0x00d7, 'x'},
    {0x00f7, '/'}, {0x0394, 'D'}, {0x03b1, 'a'},  {0x03b2, 'b'},
    {0x03b3, 'g'}, {0x03b4, 'd'}, {0x03b5, 'e'},  {0x03b7, 'n'},
    {0x03b8, 't'}, {0x03bb, 'l'}, {0x03bc, 'u'},  {0x03c0, 'p'},
    {0x03c3, 's'}, {0x03c4, 't'}, {0x2009, ' '},  {0x2010, '-'},
    {0x2013, '-'}, {0x2014, '-'}, {0x2018, '\''}, {0x2019, '\''},
    {0x201c, '"'}, {0x201d, '"'}, {0x2022, '*'},  {0x2026, '~'},
    {0x2027, '.'}, {0x202f, ' '}, {0x2032, '\''}, {0x207b, '-'},
    {0x2190, '<'}, {0x2191, '^'}, {0x2192, '>'},  {0x2193, 'v'},
    {0x2194, '-'}, {0x21b5, '<'}, {0x2212, '-'},  {0x2219, '.'},
    {0x221e, '8'}, {0x2248, '~'}, {0x2260, '#'},  {0x2261, '='},
    {0x2264, '<'}, {0x2265, '>'}, {0x22c5, '.'},  {0x22ef, '~'},
    {0x23ce, '<'}, {0x25a0, '#'}, {0x25a1, 'o'},  {0x25aa, '#'},
    {0x25ab, 'o'}, {0x25ac, '='}, {0x25ae, '#'},  {0x25b2, '^'},
    {0x25b3, '^'}, {0x25b4, '^'}, {0x25b5, '^'},  {0x25b6, '>'},
    {0x25b8, '>'}, {0x25ba, '>'}, {0x25bc, 'v'},  {0x25bd, 'v'},
    {0x25be, 'v'}, {0x25bf, 'v'}, {0x25c0, '<'},  {0x25c2, '<'},
    {0x25c4, '<'}, {0x25c6, '*'}, {0x25c7, 'o'},  {0x25c9, '@'},
    {0x25cb, 'o'}, {0x25cf, '*'}, {0x25e6, 'o'},  {0x2713, 'v'},
    {0x2717, 'x'}, {0xfffd, '?'}};

uint32_t
rs_glyph_ascii(uint32_t g)
{
    if (g >= 0x20 && g < 0x7f)
        return g;
    if (g >= BRAILLE_BASE && g <= BRAILLE_BASE + 0xff)
        return braille_ascii(g - BRAILLE_BASE);
    if (g >= 0x2500 && g <= 0x257f)
        return (uint32_t)(unsigned char)box_table[g - 0x2500];
    if (g >= 0x2580 && g <= 0x259f)
        return (uint32_t)(unsigned char)block_table[g - 0x2580];
    size_t lo = 0, hi = RS_ARRAY_LEN(symbol_ascii);
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (g < symbol_ascii[mid].g)
            hi = mid;
        else if (g > symbol_ascii[mid].g)
            lo = mid + 1;
        else
            return (uint32_t)(unsigned char)symbol_ascii[mid].a;
    }
    return '?';
}

/* ---- dumps --------------------------------------------------------------- */

/* Columns of row y worth printing: trailing cells that would look blank
 * (a space, or with colour: a space on the default background without
 * reverse/underline) are dropped. */
static int
row_len(const struct rs_canvas *cv, int y, bool styled)
{
    int n = cv->w;
    while (n > 0) {
        const struct rs_cell *c = rs_canvas_cell(cv, n - 1, y);
        bool blank = c->glyph == ' ' || c->glyph == BRAILLE_BASE;
        if (styled)
            blank = blank && c->bg == RS_COLOR_DEFAULT &&
                    !(c->attr & (RS_ATTR_REVERSE | RS_ATTR_UNDERLINE));
        if (!blank)
            break;
        n--;
    }
    return n;
}

static void
put_glyph(FILE *f, uint32_t g, bool ascii)
{
    char buf[8];
    if (g == RS_GLYPH_CONT) {
        if (ascii)
            fputc(' ', f); /* the '?' of the wide glyph took one column */
        return;
    }
    if (ascii) {
        fputc((int)rs_glyph_ascii(g), f);
        return;
    }
    rs_utf8_encode(g, buf);
    fputs(buf, f);
}

int
rs_canvas_dump(const struct rs_canvas *cv, FILE *f, bool ascii)
{
    for (int y = 0; y < cv->h; y++) {
        int n = row_len(cv, y, false);
        for (int x = 0; x < n; x++)
            put_glyph(f, rs_canvas_cell(cv, x, y)->glyph, ascii);
        fputc('\n', f);
    }
    return ferror(f) ? -1 : 0;
}

/* Append the SGR parameters selecting colour rgb as fg (base 30) or bg
 * (base 40) in mode. */
static void
sgr_color(FILE *f, uint32_t rgb, int base, enum rs_color_mode mode)
{
    if (rgb == RS_COLOR_DEFAULT || mode == RS_COLOR_MONO)
        return;
    switch (mode) {
    case RS_COLOR_TRUE:
        fprintf(f, ";%d;2;%u;%u;%u", base + 8, (unsigned)(rgb >> 16) & 0xff,
                (unsigned)(rgb >> 8) & 0xff, (unsigned)rgb & 0xff);
        break;
    case RS_COLOR_256:
        fprintf(f, ";%d;5;%d", base + 8, rs_rgb_to_256(rgb));
        break;
    default:
        fprintf(f, ";%d", base + rs_rgb_to_8(rgb));
        break;
    }
}

int
rs_canvas_dump_ansi(const struct rs_canvas *cv, FILE *f,
                    enum rs_color_mode mode, bool ascii)
{
    for (int y = 0; y < cv->h; y++) {
        int n = row_len(cv, y, true);
        bool first = true;
        struct rs_cell cur = blank_cell;
        for (int x = 0; x < n; x++) {
            const struct rs_cell *c = rs_canvas_cell(cv, x, y);
            bool same =
                c->fg == cur.fg && c->bg == cur.bg && c->attr == cur.attr;
            if (c->glyph != RS_GLYPH_CONT && (first || !same)) {
                fputs("\033[0", f);
                if (c->attr & RS_ATTR_BOLD)
                    fputs(";1", f);
                if (c->attr & RS_ATTR_DIM)
                    fputs(";2", f);
                if (c->attr & RS_ATTR_UNDERLINE)
                    fputs(";4", f);
                if (c->attr & RS_ATTR_REVERSE)
                    fputs(";7", f);
                sgr_color(f, c->fg, 30, mode);
                sgr_color(f, c->bg, 40, mode);
                fputc('m', f);
                cur = *c;
                first = false;
            }
            put_glyph(f, c->glyph, ascii);
        }
        fputs(first ? "\n" : "\033[0m\n", f);
    }
    return ferror(f) ? -1 : 0;
}

char *
rs_canvas_dump_string(const struct rs_canvas *cv, bool ascii)
{
    size_t cap = (size_t)cv->h * ((size_t)cv->w * 4 + 1) + 1;
    char *buf = rs_xmalloc(cap);
    size_t len = 0;
    for (int y = 0; y < cv->h; y++) {
        int n = row_len(cv, y, false);
        for (int x = 0; x < n; x++) {
            uint32_t g = rs_canvas_cell(cv, x, y)->glyph;
            if (g == RS_GLYPH_CONT) {
                if (ascii)
                    buf[len++] = ' ';
            } else if (ascii) {
                buf[len++] = (char)rs_glyph_ascii(g);
            } else {
                len += (size_t)rs_utf8_encode(g, buf + len);
            }
        }
        buf[len++] = '\n';
    }
    buf[len] = 0;
    return buf;
}
