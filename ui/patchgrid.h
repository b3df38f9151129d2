/* repscope - MIT licence, see COPYING.
 *
 * patchgrid.h: per-patch class predictions of several learners beside
 * the truth, for one image. Each learner's predictions (P values, the
 * class index of each patch, row-major over the image's patches) are a
 * sqrt(P) x sqrt(P) grid of one character per patch: 0-9 (then a-z for
 * classes 10-35; '·' for none: NaN or negative), in green where it
 * equals the truth's and red where it does not. The truth grid comes
 * first, in plain text. Without colour a wrong patch carries a marker:
 * "3!" when two columns per patch fit, else it is drawn in reverse
 * video. Each learner's column is labelled with its name (staggered on
 * two lines when names are long and rows allow) and, with a row to
 * spare, counted below: "13/16" right (when that is wider than a grid,
 * "13" below each learner and "/16" below the truth).
 *
 * Pure: rs_patchgrid_draw reads only its arguments. UI thread.
 */
#ifndef RS_UI_PATCHGRID_H
#define RS_UI_PATCHGRID_H

#include "ui/canvas.h"
#include "ui/widget.h"

#define RS_PATCHGRID_MAX 8 /* learners */

struct rs_patchgrid {
    /* data, filled by the caller (borrowed for the call) */
    const char *title;
    int n;                    /* learners, <= RS_PATCHGRID_MAX */
    const char *const *names; /* (n) */
    const float *const *pred; /* (n) each (patches) or NULL */
    const float *truth;       /* (patches) or NULL */
    int patches;              /* P, a square */
};

void rs_patchgrid_init(struct rs_patchgrid *p);
void rs_patchgrid_draw(struct rs_canvas *cv, struct rs_rect r,
                       const struct rs_patchgrid *p,
                       const struct rs_ui_ctx *ctx);
/* Patches of learner i whose class equals the truth's; -1 without
 * truth or predictions. */
int rs_patchgrid_right(const struct rs_patchgrid *p, int i);

extern const struct rs_widget_class rs_patchgrid_class;
struct rs_widget *rs_patchgrid_widget_new(void);
struct rs_patchgrid *rs_patchgrid_widget_data(struct rs_widget *w);

#endif /* RS_UI_PATCHGRID_H */
