/* repscope - MIT licence, see COPYING.
 *
 * image.h: a matrix drawn as a greyscale picture (a Fashion-MNIST
 * sample, a composite image, a weight matrix, a confusion matrix). One
 * matrix element is one pixel; pixels are square: a cell is one pixel
 * wide and two high. In 256 colours or truecolor on a UTF-8 terminal a
 * cell is an upper half block, fg the upper pixel's grey and bg the
 * lower's; otherwise (8 colours, monochrome, ASCII) a cell is one glyph
 * of the ramp " .:-=+*#%@" for the mean of its two pixels. The picture
 * is scaled to the panel keeping its aspect ratio: enlarged by a whole
 * factor (nearest: each pixel a k x k block), or reduced by averaging
 * each output pixel's area of the matrix; it is centred, and the title
 * line says "28x28 x2" (or "/2"). Values map linearly from vmin (black)
 * to vmax (white), by default the data's range; NaN pixels are left in
 * the terminal's colour ('?' in the ramp).
 *
 * Pure: rs_image_draw reads only its arguments. UI thread.
 */
#ifndef RS_UI_IMAGE_H
#define RS_UI_IMAGE_H

#include "ui/canvas.h"
#include "ui/widget.h"

struct rs_image {
    /* data, filled by the caller (borrowed for the call) */
    const char *title;
    const float *data; /* (rows, cols) row-major */
    int rows, cols;
    double vmin, vmax; /* fixed range, NaN: the data's */
};

/* An empty image: auto range. */
void rs_image_init(struct rs_image *im);
void rs_image_draw(struct rs_canvas *cv, struct rs_rect r,
                   const struct rs_image *im, const struct rs_ui_ctx *ctx);
/* The grey of t in [0, 1] (clamped): 0x000000 .. 0xffffff. */
uint32_t rs_image_grey(double t);
/* The range the image maps (fixed, else the finite data's min..max; a
 * constant image maps to mid grey): false when no value is finite. */
bool rs_image_range(const struct rs_image *im, double *lo, double *hi);

/* The widget (no keys). */
extern const struct rs_widget_class rs_image_class;
struct rs_widget *rs_image_widget_new(void);
struct rs_image *rs_image_widget_data(struct rs_widget *w);

#endif /* RS_UI_IMAGE_H */
