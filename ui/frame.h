/* repscope - MIT licence, see COPYING.
 *
 * frame.h: a grid of cell codes drawn as text, one character per code
 * (an environment's frame: a cart on its track, a Breakout grid). Each
 * element of the matrix is a code 0 .. n-1; code k is drawn as the k-th
 * character of `glyphs` (printable ASCII) in the colour named by the
 * k-th letter of `colors`:
 *   k r g y b m c w   black (drawn dim grey, so it shows on a dark
 *                     terminal), red, green, yellow, blue, magenta,
 *                     cyan, white: the curses order, and each maps to
 *                     that ANSI colour in 8 colours;
 *   K R G Y B M C W   the same in bold;
 *   anything else     the terminal's own colour.
 * Without colour (monochrome, NO_COLOR) only the glyphs (and bold) show;
 * the glyphs are ASCII already, so --ascii changes nothing. A code out of
 * range (or NaN) is drawn as '?'. Without glyphs a code is its digit
 * (0 blank, 1-9, then a-z); without colors every code is in the
 * terminal's colour.
 *
 * Geometry: one cell per code (two side by side with `wide`, when twice
 * the width fits), centred in the panel. A frame larger than the panel is
 * cropped: its top rows go first (an env's floor, paddle or track, at the
 * bottom, stays), its columns around the centre; the title line then says
 * "10x10 cut" instead of "10x10". Row labels (one per row from the top,
 * in the tick colour) stand left of their rows in a column as wide as the
 * widest (at most RS_FRAME_LABEL_W), a blank column between them and the
 * frame, the two centred together; when the panel is too narrow the
 * labels give way first (cut with an ellipsis, down to 3 columns), then
 * the frame's columns.
 *
 * Pure: rs_frame_draw reads only its arguments. UI thread.
 */
#ifndef RS_UI_FRAME_H
#define RS_UI_FRAME_H

#include <stdbool.h>
#include <stdint.h>

#include "ui/canvas.h"
#include "ui/widget.h"

#define RS_FRAME_CODES_MAX 63 /* characters of glyphs and colors */
#define RS_FRAME_LABEL_W 15   /* columns of a row label at most */

struct rs_frame {
    /* data, filled by the caller (borrowed for the call) */
    const char *title;
    const float *data; /* (rows, cols) codes, row-major, row 0 on top */
    int rows, cols;
    const char *glyphs; /* NULL or "": the digits */
    const char *colors; /* NULL or "": the terminal's colour */
    bool wide;          /* two columns per code when they fit */
    const char *const *labels; /* (nlabels) labels of rows 0, 1, ...;
                                  NULL entries blank; NULL: none */
    int nlabels;
};

void rs_frame_init(struct rs_frame *f);
void rs_frame_draw(struct rs_canvas *cv, struct rs_rect r,
                   const struct rs_frame *f, const struct rs_ui_ctx *ctx);
/* The glyph and style of value v under f's glyphs and colors in colour
 * mode `color` ('?' in the terminal's colour when v is no code). */
uint32_t rs_frame_cell(const struct rs_frame *f, float v,
                       enum rs_color_mode color, struct rs_style *st);
/* The colour of a colour letter (case-insensitive), RS_COLOR_DEFAULT for
 * any other character. */
uint32_t rs_frame_color(char letter);

/* The widget (no keys). */
extern const struct rs_widget_class rs_frame_class;
struct rs_widget *rs_frame_widget_new(void);
struct rs_frame *rs_frame_widget_data(struct rs_widget *w);

#endif /* RS_UI_FRAME_H */
