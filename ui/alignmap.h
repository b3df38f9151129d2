/* repscope - MIT licence, see COPYING.
 *
 * alignmap.h: word-to-patch alignment maps side by side. For each
 * caption word (a row of every learner's alignment matrix, words x P)
 * and each learner (a column, labelled with its name), the word's P
 * weights drawn as a sqrt(P) x sqrt(P) map of the image's patches, in
 * patch order (row-major). The image is a grid x grid of items; the
 * items' blocks of patches are split by a blank gutter, and the block
 * of the item the word names (truth[w], 0 .. grid^2 - 1 row-major; -1:
 * none, a distractor or padding) is outlined on both sides: '▕' .. '▏'
 * in the accent colour ("[" .. "]" in ASCII). Each map is scaled to its
 * own 0 .. max (min .. max when it has negative values) unless vmin/vmax
 * fix the range; viridis half blocks in 256 colours or truecolor, else
 * one glyph of the ramp " .:-=+*#%@" per patch.
 *
 * Sizes, largest first: a patch is k x k pixels (colour; a pixel is half
 * a cell) or 2k x k cells (glyphs), k = 3, 2, 1, then one cell per patch,
 * then (glyphs only) two patch rows per cell; when even that is too tall
 * the first words that fit are shown and the title line says "+n". With
 * rows to spare the learner names are staggered on two lines (longer
 * names) and each map gets the share of its weight inside the outlined
 * block ("41%") below it. At 80x24 (a 40 x 11 panel) five learners and
 * four words show whole in colour and ASCII.
 *
 * Pure: rs_alignmap_draw reads only its arguments. UI thread.
 */
#ifndef RS_UI_ALIGNMAP_H
#define RS_UI_ALIGNMAP_H

#include "ui/canvas.h"
#include "ui/widget.h"

#define RS_ALIGNMAP_MAX 8 /* learners */

struct rs_alignmap {
    /* data, filled by the caller (borrowed for the call) */
    const char *title;
    int nlearners;                  /* <= RS_ALIGNMAP_MAX */
    const char *const *learners;    /* (nlearners) names */
    const float *const *maps;       /* (nlearners) (rows[i], patches) or NULL */
    const int *rows;                /* (nlearners) rows of each map */
    int patches;                    /* P, a square */
    int words;                      /* words shown (rows of the maps) */
    const char *const *word_labels; /* (words) or NULL: "w1", "w2", ... */
    const int *truth;               /* (words) item named, -1: none; or NULL */
    int grid;                       /* items per side of the image */
    double vmin, vmax;              /* NaN: each map's own range */
};

void rs_alignmap_init(struct rs_alignmap *a);
void rs_alignmap_draw(struct rs_canvas *cv, struct rs_rect r,
                      const struct rs_alignmap *a, const struct rs_ui_ctx *ctx);
/* The share of row w of map i inside item `item`'s block of patches
 * (of the row's non-negative weights); NaN when it has none or the
 * geometry does not hold (P not a square, its side not a multiple of
 * grid). */
double rs_alignmap_mass(const struct rs_alignmap *a, int i, int w, int item);

/* The widget (no keys). */
extern const struct rs_widget_class rs_alignmap_class;
struct rs_widget *rs_alignmap_widget_new(void);
struct rs_alignmap *rs_alignmap_widget_data(struct rs_widget *w);

#endif /* RS_UI_ALIGNMAP_H */
