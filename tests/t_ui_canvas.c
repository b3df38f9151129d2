/* repscope - MIT licence, see COPYING.
 *
 * t_ui_canvas.c: the canvas primitives against hand-written expectations:
 * UTF-8 decoding and widths, text clipping (maxw, clip rectangle, wide
 * glyphs, invalid bytes, ellipsis), braille dot composition (the Unicode
 * dot numbering), half blocks, boxes with titles, wide-pair repair, the
 * ASCII fallback, and the plain and ANSI dumps; a fill is what putting
 * its glyph cell by cell gives (wide pairs at its edges, the clip); a
 * copy of cells between canvases clips and repairs cut wide pairs.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/tap.h"
#include "ui/canvas.h"

static const struct rs_style plain = {RS_COLOR_DEFAULT, RS_COLOR_DEFAULT, 0};

static char *
row(const struct rs_canvas *cv, int y, bool ascii)
{
    char *all = rs_canvas_dump_string(cv, ascii);
    char *p = all;
    for (int i = 0; i < y && p; i++) {
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    char *out = rs_xstrdup(p ? p : "");
    char *nl = strchr(out, '\n');
    if (nl)
        *nl = 0;
    free(all);
    return out;
}

static void
is_row(const struct rs_canvas *cv, int y, bool ascii, const char *want,
       const char *name)
{
    char *got = row(cv, y, ascii);
    tap_is_str(got, want, "%s", name);
    free(got);
}

static void
test_utf8(void)
{
    const char *s = "a\u00e9\u4e2d\U0001F600";
    tap_is_int((long)rs_utf8_next(&s), 'a', "ascii");
    tap_is_int((long)rs_utf8_next(&s), 0xe9, "2 bytes");
    tap_is_int((long)rs_utf8_next(&s), 0x4e2d, "3 bytes");
    tap_is_int((long)rs_utf8_next(&s), 0x1f600, "4 bytes");
    tap_is_int((long)rs_utf8_next(&s), 0, "end");
    const char *bad = "\xc3x\xe4\xb8\xff\xc0\xaf";
    tap_is_int((long)rs_utf8_next(&bad), 0xfffd, "truncated sequence");
    tap_is_int((long)rs_utf8_next(&bad), 'x', "resyncs on the next byte");
    tap_is_int((long)rs_utf8_next(&bad), 0xfffd, "truncated 3-byte");
    rs_utf8_next(&bad);
    tap_is_int((long)rs_utf8_next(&bad), 0xfffd, "0xff");
    tap_is_int((long)rs_utf8_next(&bad), 0xfffd, "overlong 0xc0");
    char buf[8];
    tap_is_int(rs_utf8_encode(0x2800, buf), 3, "encode braille: 3 bytes");
    tap_is_str(buf, "\u2800", "encode braille");
    tap_is_int(rs_utf8_encode(0x1f600, buf), 4, "encode 4 bytes");
    tap_is_int(rs_glyph_width('a'), 1, "width ascii");
    tap_is_int(rs_glyph_width(0x4e2d), 2, "width CJK");
    tap_is_int(rs_glyph_width(0x0301), 0, "width combining");
    tap_is_int(rs_glyph_width(0x2588), 1, "width block");
    tap_is_int(rs_glyph_width(0x1f600), 2, "width emoji");
    tap_is_int(rs_utf8_width("a\u4e2d\u0301b"), 4, "width of a string");
}

static void
test_text(void)
{
    struct rs_canvas *cv = rs_canvas_new(10, 4);
    tap_is_int(rs_canvas_text(cv, 0, 0, "hello world", 5, plain), 5,
               "maxw clips");
    is_row(cv, 0, false, "hello", "clipped text");
    tap_is_int(rs_canvas_text(cv, 7, 1, "abcdef", -1, plain), 3,
               "no maxw: the canvas edge");
    is_row(cv, 1, false, "       abc", "clipped at the edge");
    /* a wide glyph that would straddle maxw stops the text */
    tap_is_int(rs_canvas_text(cv, 0, 2, "ab\u4e2dc", 3, plain), 2,
               "wide glyph past maxw stops");
    is_row(cv, 2, false, "ab", "no half glyph");
    tap_is_int(rs_canvas_text(cv, 0, 3, "x\u4e2dy\u0301z", -1, plain), 5,
               "wide + combining columns");
    is_row(cv, 3, false, "x\u4e2dyz", "combining mark dropped");
    is_row(cv, 3, true, "x? yz", "wide glyph in ASCII keeps alignment");
    tap_ok(rs_canvas_cell(cv, 2, 3)->glyph == RS_GLYPH_CONT,
           "continuation cell");
    /* overwriting half a wide glyph blanks the other half */
    rs_canvas_put(cv, 2, 3, '#', plain);
    is_row(cv, 3, false, "x #yz", "right half overwritten");
    rs_canvas_text(cv, 0, 3, "\u4e2d", -1, plain);
    rs_canvas_put(cv, 0, 3, '!', plain);
    is_row(cv, 3, false, "! #yz", "left half overwritten");

    rs_canvas_clear(cv);
    tap_is_int(rs_canvas_text_fit(cv, 0, 0, "abcdefgh", 5, plain), 5,
               "fit width");
    is_row(cv, 0, false, "abcd\u2026", "ellipsis");
    tap_is_int(rs_canvas_text_fit(cv, 0, 1, "abc", 5, plain), 3, "fits");
    rs_canvas_text_fit(cv, 0, 2, "\u4e2d\u4e2d\u4e2d", 5, plain);
    is_row(cv, 2, false, "\u4e2d\u4e2d\u2026", "ellipsis after wide");
    rs_canvas_text(cv, 0, 3, "a\tb\x01", -1, plain);
    is_row(cv, 3, false, "a b?", "tab and control characters");

    /* the clip rectangle */
    rs_canvas_clear(cv);
    struct rs_rect old = rs_canvas_set_clip(cv, (struct rs_rect){2, 1, 4, 2});
    tap_ok(old.x == 0 && old.w == 10 && old.h == 4, "old clip returned");
    rs_canvas_fill(cv, (struct rs_rect){0, 0, 10, 4}, '#', plain);
    is_row(cv, 0, false, "", "above the clip");
    is_row(cv, 1, false, "  ####", "inside the clip");
    is_row(cv, 3, false, "", "below the clip");
    rs_canvas_text(cv, 4, 2, "\u4e2d\u4e2d", -1, plain);
    is_row(cv, 2, false, "  ##\u4e2d", "wide glyph clipped whole");
    rs_canvas_set_clip(cv, (struct rs_rect){-5, -5, 100, 100});
    tap_ok(cv->clip.x == 0 && cv->clip.w == 10 && cv->clip.h == 4,
           "clip is intersected with the canvas");
    rs_canvas_free(cv);
}

static void
test_braille(void)
{
    struct rs_canvas *cv = rs_canvas_new(3, 2);
    /* dots 1..8 of U+2800: (0,0)=1 (0,1)=2 (0,2)=4 (1,0)=8 (1,1)=0x10
     * (1,2)=0x20 (0,3)=0x40 (1,3)=0x80 */
    rs_canvas_braille(cv, 0, 0, 0xff0000);
    tap_is_int((long)rs_canvas_cell(cv, 0, 0)->glyph, 0x2801, "dot 1");
    rs_canvas_braille(cv, 1, 3, 0x00ff00);
    tap_is_int((long)rs_canvas_cell(cv, 0, 0)->glyph, 0x2881, "dots OR");
    tap_is_int((long)rs_canvas_cell(cv, 0, 0)->fg, 0x00ff00, "last fg wins");
    rs_canvas_braille(cv, 0, 3, 0);
    rs_canvas_braille(cv, 1, 2, 0);
    rs_canvas_braille(cv, 0, 1, 0);
    rs_canvas_braille(cv, 1, 1, 0);
    rs_canvas_braille(cv, 0, 2, 0);
    rs_canvas_braille(cv, 1, 0, 0);
    tap_is_int((long)rs_canvas_cell(cv, 0, 0)->glyph, 0x28ff, "all 8 dots");
    rs_canvas_braille(cv, 5, 7, 0);
    tap_is_int((long)rs_canvas_cell(cv, 2, 1)->glyph, 0x2880,
               "cell (2,1), dot 8");
    rs_canvas_braille(cv, 6, 0, 0);
    rs_canvas_braille(cv, -1, 0, 0);
    rs_canvas_put(cv, 1, 0, 'x', plain);
    rs_canvas_braille(cv, 2, 0, 0);
    tap_is_int((long)rs_canvas_cell(cv, 1, 0)->glyph, 0x2801,
               "a non-braille glyph is replaced");
    /* ASCII shapes of braille */
    tap_is_int((long)rs_glyph_ascii(0x2800), ' ', "empty braille");
    tap_is_int((long)rs_glyph_ascii(0x2809), '\'', "top row");
    tap_is_int((long)rs_glyph_ascii(0x2812), '-', "second row");
    tap_is_int((long)rs_glyph_ascii(0x28c0), '_', "bottom row");
    tap_is_int((long)rs_glyph_ascii(0x2847), '|', "left column");
    tap_is_int((long)rs_glyph_ascii(0x2800 | 0x40 | 0x04 | 0x08 | 0x10), '/',
               "rising diagonal");
    tap_is_int((long)rs_glyph_ascii(0x2800 | 0x01 | 0x02 | 0x20 | 0x80), '\\',
               "falling diagonal");
    rs_canvas_free(cv);
}

static void
test_halfblock(void)
{
    struct rs_canvas *cv = rs_canvas_new(2, 1);
    rs_canvas_halfblock(cv, 0, 0, 0x112233);
    const struct rs_cell *c = rs_canvas_cell(cv, 0, 0);
    tap_ok(c->glyph == 0x2580 && c->fg == 0x112233 && c->bg == RS_COLOR_DEFAULT,
           "upper only: ▀ fg, default bg");
    rs_canvas_halfblock(cv, 0, 1, 0x445566);
    tap_ok(c->glyph == 0x2580 && c->fg == 0x112233 && c->bg == 0x445566,
           "both halves: ▀ upper fg, lower bg");
    rs_canvas_halfblock(cv, 1, 1, 0x778899);
    c = rs_canvas_cell(cv, 1, 0);
    tap_ok(c->glyph == 0x2584 && c->fg == 0x778899 && c->bg == RS_COLOR_DEFAULT,
           "lower only: ▄ in fg");
    rs_canvas_halfblock(cv, 1, 0, 0xaabbcc);
    tap_ok(c->glyph == 0x2580 && c->fg == 0xaabbcc && c->bg == 0x778899,
           "then upper: ▀, the lower moves to bg");
    rs_canvas_halfblock(cv, 1, 2, 0);
    tap_ok(c->fg == 0xaabbcc, "outside the canvas: ignored");
    rs_canvas_free(cv);
}

static void
test_box(void)
{
    struct rs_canvas *cv = rs_canvas_new(24, 3);
    rs_canvas_box(cv, (struct rs_rect){0, 0, 24, 3}, plain, "accuracy", plain,
                  "log step", plain);
    is_row(cv, 0, false, "\u250c accuracy \u2500\u2500 log step \u2510",
           "title and info");
    is_row(cv, 1, false, "\u2502                      \u2502", "sides");
    is_row(cv, 2, true, "+----------------------+", "bottom in ASCII");
    rs_canvas_clear(cv);
    rs_canvas_box(cv, (struct rs_rect){0, 0, 16, 3}, plain, "accuracy", plain,
                  "log step", plain);
    is_row(cv, 0, false, "\u250c accuracy \u2500\u2500\u2500\u2500\u2510",
           "info dropped first");
    rs_canvas_clear(cv);
    rs_canvas_box(cv, (struct rs_rect){0, 0, 10, 3}, plain, "accuracy", plain,
                  NULL, plain);
    is_row(cv, 0, false, "\u250c accu\u2026 \u2500\u2510",
           "then the title is truncated");
    rs_canvas_free(cv);
}

static void
test_dump(void)
{
    struct rs_canvas *cv = rs_canvas_new(4, 2);
    rs_canvas_put(cv, 0, 0, 'a',
                  (struct rs_style){0xff0000, RS_COLOR_DEFAULT, RS_ATTR_BOLD});
    rs_canvas_put(cv, 1, 0, 'b',
                  (struct rs_style){0xff0000, RS_COLOR_DEFAULT, RS_ATTR_BOLD});
    rs_canvas_put(cv, 2, 0, 'c',
                  (struct rs_style){RS_COLOR_DEFAULT, 0x0000ff, 0});
    char *s = rs_canvas_dump_string(cv, false);
    tap_is_str(s, "abc\n\n", "plain dump drops trailing blanks");
    free(s);
    static const struct {
        enum rs_color_mode m;
        const char *want;
    } cases[] = {
        {RS_COLOR_TRUE,
         "\033[0;1;38;2;255;0;0mab\033[0;48;2;0;0;255mc\033[0m\n\n"},
        {RS_COLOR_256, "\033[0;1;38;5;196mab\033[0;48;5;21mc\033[0m\n\n"},
        {RS_COLOR_8, "\033[0;1;31mab\033[0;44mc\033[0m\n\n"},
        {RS_COLOR_MONO, "\033[0;1mab\033[0mc\033[0m\n\n"},
    };
    for (size_t i = 0; i < RS_ARRAY_LEN(cases); i++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        tap_is_int(rs_canvas_dump_ansi(cv, f, cases[i].m, false), 0,
                   "ansi dump %zu", i);
        fclose(f);
        tap_is_str(buf, cases[i].want, "SGR in mode %d", (int)cases[i].m);
        free(buf);
    }
    /* a bg-coloured blank at the end of a row is kept in the ANSI dump */
    rs_canvas_put(cv, 3, 1, ' ',
                  (struct rs_style){RS_COLOR_DEFAULT, 0x0000ff, 0});
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    rs_canvas_dump_ansi(cv, f, RS_COLOR_256, false);
    fclose(f);
    tap_ok(strstr(buf, "\n\033[0m   \033[0;48;5;21m \033[0m\n") != NULL,
           "coloured blank kept");
    free(buf);
    /* ASCII dump of symbols */
    rs_canvas_clear(cv);
    rs_canvas_text(cv, 0, 0, "\u2502\u2500\u253c\u2588", -1, plain);
    rs_canvas_text(cv, 0, 1, "\u25b2\u00b7\u2026\u03b1", -1, plain);
    s = rs_canvas_dump_string(cv, true);
    tap_is_str(s, "|-+#\n^.~a\n", "ASCII fallback");
    free(s);
    rs_canvas_resize(cv, 2, 1);
    tap_ok(cv->w == 2 && cv->h == 1 && rs_canvas_cell(cv, 1, 0)->glyph == ' ',
           "resize clears");
    tap_ok(rs_canvas_cell(cv, 2, 0) == NULL, "no cell outside");
    rs_canvas_free(cv);
}

static bool
same_cells(const struct rs_canvas *x, const struct rs_canvas *y)
{
    for (size_t i = 0; i < (size_t)x->w * (size_t)x->h; i++) {
        const struct rs_cell *a = &x->cells[i], *b = &y->cells[i];
        if (a->glyph != b->glyph || a->fg != b->fg || a->bg != b->bg ||
            a->attr != b->attr)
            return false;
    }
    return true;
}

/* Rows of wide glyphs, at both parities, under a fill. */
static struct rs_canvas *
wide_rows(void)
{
    struct rs_canvas *cv = rs_canvas_new(12, 3);
    rs_canvas_text(cv, 0, 0, "\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d", -1, plain);
    rs_canvas_text(cv, 1, 1, "\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d", -1, plain);
    rs_canvas_text(cv, 0, 2, "abcdefghijkl", -1, plain);
    return cv;
}

static void
test_fill(void)
{
    static const struct rs_rect rects[] = {
        {3, 0, 5, 3},  {0, 0, 12, 3}, {-2, -1, 6, 9},
        {11, 0, 4, 3}, {4, 1, 0, 2},
    };
    static const struct rs_rect clips[] = {{0, 0, 12, 3}, {2, 0, 4, 2}};
    struct rs_style st = {0x112233, 0x445566, RS_ATTR_BOLD};
    int same = 0, n = 0;
    for (size_t c = 0; c < RS_ARRAY_LEN(clips); c++)
        for (size_t r = 0; r < RS_ARRAY_LEN(rects); r++) {
            struct rs_canvas *a = wide_rows(), *b = wide_rows();
            rs_canvas_set_clip(a, clips[c]);
            rs_canvas_set_clip(b, clips[c]);
            rs_canvas_fill(a, rects[r], '.', st);
            const struct rs_rect *q = &rects[r];
            for (int y = q->y; y < q->y + q->h; y++)
                for (int x = q->x; x < q->x + q->w; x++)
                    rs_canvas_put(b, x, y, '.', st);
            same += same_cells(a, b);
            n++;
            rs_canvas_free(a);
            rs_canvas_free(b);
        }
    tap_is_int(same, n, "fill = put cell by cell (wide pairs, clips)");
    struct rs_canvas *cv = wide_rows();
    rs_canvas_fill(cv, (struct rs_rect){3, 0, 4, 2}, '.', plain);
    is_row(cv, 0, false, "\u4e2d .... \u4e2d\u4e2d",
           "a fill blanks the halves of the wide glyphs it cuts");
    rs_canvas_free(cv);
}

static void
test_copy(void)
{
    struct rs_canvas *src = wide_rows();
    struct rs_canvas *dst = rs_canvas_new(8, 3);
    rs_canvas_fill(dst, (struct rs_rect){0, 0, 8, 3}, '-', plain);
    rs_canvas_copy(dst, 1, 0, src, (struct rs_rect){1, 0, 5, 2});
    is_row(dst, 0, false, "- \u4e2d\u4e2d--",
           "copy: the half of a wide glyph at the left edge becomes a space");
    is_row(dst, 1, false, "-\u4e2d\u4e2d --",
           "copy: and the half at the right edge");
    is_row(dst, 2, false, "--------", "copy: rows outside from untouched");
    rs_canvas_set_clip(dst, (struct rs_rect){0, 0, 3, 3});
    rs_canvas_copy(dst, 0, 1, src, (struct rs_rect){0, 2, 12, 1});
    is_row(dst, 1, false, "abc\u4e2d --", "copy: clipped to dst's clip");
    rs_canvas_copy(dst, 5, 5, src, (struct rs_rect){0, 0, 12, 3});
    rs_canvas_copy(dst, -20, 0, src, (struct rs_rect){0, 0, 12, 3});
    is_row(dst, 0, false, "- \u4e2d\u4e2d--",
           "copy: outside the clip, nothing");
    rs_canvas_free(src);
    rs_canvas_free(dst);
}

int
main(void)
{
    tap_plan_lazy();
    test_utf8();
    test_text();
    test_braille();
    test_halfblock();
    test_box();
    test_dump();
    test_fill();
    test_copy();
    return tap_done();
}
