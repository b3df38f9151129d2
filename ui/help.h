/* repscope - MIT licence, see COPYING.
 *
 * help.h: the help overlay, a box centred on the screen listing keys and
 * what they do in two aligned columns, with headings (entries whose key
 * is NULL). Taller than the screen, it scrolls; the title bar says where
 * ("12-30 of 41") and the border shows ▲/▼ when there is more.
 *
 * Pure: rs_help_draw reads only its arguments. UI thread.
 */
#ifndef RS_UI_HELP_H
#define RS_UI_HELP_H

#include "ui/canvas.h"
#include "ui/statusbar.h"
#include "ui/widget.h"

struct rs_help {
    const char *title;             /* NULL: "keys" */
    const struct rs_keyhint *keys; /* (n) borrowed */
    int n;
    int scroll; /* view state: first line shown */
};

/* Draw the overlay centred in r (usually the whole screen); returns the
 * number of entry lines visible (for scrolling by pages). */
int rs_help_draw(struct rs_canvas *cv, struct rs_rect r,
                 const struct rs_help *h, const struct rs_ui_ctx *ctx);

/* The widget. Keys: up/down, pgup/pgdn, home/end scroll; esc, q, ? and
 * enter return RS_UI_CLOSE. keys are borrowed for the widget's life. */
extern const struct rs_widget_class rs_help_class;
struct rs_widget *rs_help_widget_new(const struct rs_keyhint *keys, int n);
struct rs_help *rs_help_widget_data(struct rs_widget *w);

#endif /* RS_UI_HELP_H */
