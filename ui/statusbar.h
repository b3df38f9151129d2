/* repscope - MIT licence, see COPYING.
 *
 * statusbar.h: the two full-width lines that frame the screen. The top
 * line names the program and scene on the left and shows the session on
 * the right: the state as a coloured badge (RUNNING, PAUSED, DONE,
 * FAILED, LOADING; reverse video, so it reads in monochrome too), step
 * (of total), steps/s, ETA, seed, probe cost, BLAS kernels, a NaN/Inf
 * warning. Fields drop by priority when the line is short (kernels
 * first, the state last); the title is truncated with '…' before any
 * field goes. The bottom line is the key bar: key/label pairs (htop's F
 * keys), dropped by priority when narrow.
 *
 * Pure: the draw functions read only their arguments. UI thread.
 */
#ifndef RS_UI_STATUSBAR_H
#define RS_UI_STATUSBAR_H

#include "run/bus.h"
#include "ui/canvas.h"
#include "ui/widget.h"

struct rs_statusbar {
    const struct rs_bus_status *st; /* borrowed; NULL: "loading" */
    const char *app;                /* NULL: "repscope" */
    const char *mode;               /* e.g. "attach", shown after app */
    bool brief; /* presenter mode: title, state, step (and a non-finite
                   value) only */
};

/* A key and what it does, for the key bar and the help overlay. */
struct rs_keyhint {
    const char *key;   /* "space", "enter", "q", ...; NULL: a heading */
    const char *label; /* "pause" */
    int prio;          /* key bar: higher is dropped first (0: never) */
};

/* Draw the status line in the first row of r. */
void rs_statusbar_draw(struct rs_canvas *cv, struct rs_rect r,
                       const struct rs_statusbar *sb,
                       const struct rs_ui_ctx *ctx);
/* Draw the key bar in the first row of r. Key names "enter", "tab",
 * "left", "right", "up", "down" show as symbols in UTF-8. */
void rs_keybar_draw(struct rs_canvas *cv, struct rs_rect r,
                    const struct rs_keyhint *keys, int n,
                    const struct rs_ui_ctx *ctx);
/* The display form of a key name in ctx's mode (borrowed static string,
 * or key itself). */
const char *rs_keybar_key_name(const char *key, const struct rs_ui_ctx *ctx);

/* Widgets (no keys): the status line and the key bar. */
extern const struct rs_widget_class rs_statusbar_class;
extern const struct rs_widget_class rs_keybar_class;
struct rs_widget *rs_statusbar_widget_new(void);
struct rs_statusbar *rs_statusbar_widget_data(struct rs_widget *w);
/* keys (n entries) are borrowed for the widget's life. */
struct rs_widget *rs_keybar_widget_new(const struct rs_keyhint *keys, int n);

#endif /* RS_UI_STATUSBAR_H */
