/* repscope - MIT licence, see COPYING.
 *
 * canvas.h: an in-memory grid of cells, the contract between widgets and
 * the one terminal backend (tmux's grid / screen-write split). Widgets draw
 * only through the primitives below; ui/term.c copies a canvas to the
 * terminal, golden tests and --frame read it directly.
 *
 * A cell holds one Unicode code point, a foreground and background colour
 * (24-bit RGB, or RS_COLOR_DEFAULT for the terminal's own) and attributes.
 * A wide glyph (CJK, some symbols) fills its cell and marks the next one
 * RS_GLYPH_CONT; primitives keep such pairs whole (overwriting either half
 * blanks the other). Every primitive clips to the canvas's clip rectangle
 * (the whole canvas by default), so a widget cannot spill into another.
 *
 * The canvas always stores full-fidelity glyphs; ASCII is a rendering
 * choice (rs_glyph_ascii maps box drawing, blocks, braille and symbols to
 * ASCII shapes) applied by the dumps and the backend. Widgets that can do
 * better in ASCII (density ramps) look at rs_ui_ctx.ascii themselves.
 * Not thread-safe: a canvas belongs to the UI thread (or a test).
 */
#ifndef RS_UI_CANVAS_H
#define RS_UI_CANVAS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define RS_COLOR_DEFAULT 0x80000000u /* the terminal's default colour */
#define RS_RGB(r, g, b)                                                        \
    (((uint32_t)(r) << 16) | ((uint32_t)(g) << 8) | (uint32_t)(b))
#define RS_GLYPH_CONT 0u /* right half of the wide glyph to its left */

enum rs_attr {
    RS_ATTR_BOLD = 1,
    RS_ATTR_DIM = 2,
    RS_ATTR_REVERSE = 4,
    RS_ATTR_UNDERLINE = 8
};

/* What the backend can show; widgets adapt (glyph ramps in mono). */
enum rs_color_mode {
    RS_COLOR_MONO, /* attributes only (NO_COLOR, 2-colour terminals) */
    RS_COLOR_8,    /* the 8 ANSI colours */
    RS_COLOR_256,  /* xterm-256 palette */
    RS_COLOR_TRUE  /* 24-bit */
};

struct rs_cell {
    uint32_t glyph;  /* code point; RS_GLYPH_CONT after a wide glyph */
    uint32_t fg, bg; /* 0xRRGGBB or RS_COLOR_DEFAULT */
    uint16_t attr;   /* enum rs_attr bits */
};

struct rs_rect {
    int x, y, w, h;
};

struct rs_style {
    uint32_t fg, bg;
    uint16_t attr;
};

struct rs_canvas {
    int w, h;
    struct rs_cell *cells; /* (h, w) row-major */
    struct rs_rect clip;   /* primitives draw only inside */
};

/* A canvas of w x h blank cells (w, h >= 0); never NULL (rs_xmalloc). */
struct rs_canvas *rs_canvas_new(int w, int h);
void rs_canvas_free(struct rs_canvas *cv);
/* Change the size; the content is cleared and the clip reset. */
void rs_canvas_resize(struct rs_canvas *cv, int w, int h);
/* Every cell blank: ' ', default colours, no attributes (ignores clip). */
void rs_canvas_clear(struct rs_canvas *cv);
/* Set the clip rectangle (intersected with the canvas) and return the old
 * one, so a caller can restore it. */
struct rs_rect rs_canvas_set_clip(struct rs_canvas *cv, struct rs_rect r);
/* Copy the cells of src inside rectangle from to dst, from's corner at
 * (x, y), clipped to dst's clip; a wide glyph whose pair is cut off
 * becomes a space. For compositing whole drawings (a panel drawn once and
 * shown again). */
void rs_canvas_copy(struct rs_canvas *dst, int x, int y,
                    const struct rs_canvas *src, struct rs_rect from);
/* The cell at (x, y), or NULL outside the canvas (ignores clip). */
const struct rs_cell *rs_canvas_cell(const struct rs_canvas *cv, int x, int y);

/* One glyph at (x, y). A wide glyph needs two columns inside the clip or
 * it is drawn as a space; zero-width glyphs are ignored; control
 * characters become '?'. */
void rs_canvas_put(struct rs_canvas *cv, int x, int y, uint32_t glyph,
                   struct rs_style st);
/* UTF-8 text from (x, y) on one line, at most maxw columns (maxw < 0: no
 * limit but the clip). Invalid bytes show as U+FFFD, combining marks are
 * dropped, a wide glyph that would straddle maxw stops the text. Returns
 * the columns the text took (<= maxw), whether or not the clip hid them. */
int rs_canvas_text(struct rs_canvas *cv, int x, int y, const char *s, int maxw,
                   struct rs_style st);
/* As rs_canvas_text, but text wider than maxw ends in '…' (truncated
 * cleanly at a glyph boundary). */
int rs_canvas_text_fit(struct rs_canvas *cv, int x, int y, const char *s,
                       int maxw, struct rs_style st);
/* Fill r with glyph. */
void rs_canvas_fill(struct rs_canvas *cv, struct rs_rect r, uint32_t glyph,
                    struct rs_style st);
/* A single-line box on the border of r, tmux/htop style:
 * "┌ title ──── info ┐". The info (right) is dropped first when narrow,
 * then the title is truncated. title/info may be NULL. */
void rs_canvas_box(struct rs_canvas *cv, struct rs_rect r,
                   struct rs_style border, const char *title,
                   struct rs_style title_st, const char *info,
                   struct rs_style info_st);
/* Set the braille dot at dot coordinates (px, py): the cell is (px / 2,
 * py / 4); dots OR into a braille glyph already there, anything else is
 * replaced. Sets the cell's fg (to fg) and keeps its bg and attributes. */
void rs_canvas_braille(struct rs_canvas *cv, int px, int py, uint32_t fg);
/* Set the half-cell pixel (x, py): cell (x, py / 2), upper half for even
 * py. Drawn with '▀' (upper in fg, lower in bg) or '▄' (only the lower
 * set); the other half of the cell keeps its colour. */
void rs_canvas_halfblock(struct rs_canvas *cv, int x, int py, uint32_t rgb);

/* ---- text helpers ------------------------------------------------------ */
/* Decode the next code point of *s and advance it; 0 at the end; invalid
 * bytes give U+FFFD (one byte consumed). */
uint32_t rs_utf8_next(const char **s);
/* Encode cp into buf (at least 5 bytes, NUL-terminated); returns bytes. */
int rs_utf8_encode(uint32_t cp, char *buf);
/* Columns of a glyph in a terminal: 0 (combining), 1 or 2 (wide). Fixed
 * tables, independent of the locale. */
int rs_glyph_width(uint32_t cp);
/* Columns of UTF-8 text. */
int rs_utf8_width(const char *s);
/* The ASCII shape of a glyph (box drawing -> - | +, braille -> the shape
 * of its dots, blocks -> density, arrows -> ^ v < >, ...); '?' when it
 * has none. ASCII input is returned unchanged. */
uint32_t rs_glyph_ascii(uint32_t glyph);

/* ---- output -------------------------------------------------------------- */
/* Plain text, one line per row, trailing blanks dropped, in UTF-8 or
 * mapped to ASCII. Returns 0, or -1 on a write error. */
int rs_canvas_dump(const struct rs_canvas *cv, FILE *f, bool ascii);
/* The same with SGR escapes for colours and attributes in the given mode
 * (truecolor 38;2, 256 38;5, 8 30-37, mono attributes only). */
int rs_canvas_dump_ansi(const struct rs_canvas *cv, FILE *f,
                        enum rs_color_mode mode, bool ascii);
/* rs_canvas_dump into a new string the caller frees. */
char *rs_canvas_dump_string(const struct rs_canvas *cv, bool ascii);

#endif /* RS_UI_CANVAS_H */
