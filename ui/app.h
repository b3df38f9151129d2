/* repscope - MIT licence, see COPYING.
 *
 * app.h: the screen and what the keys do, apart from any terminal. An
 * rs_app reads a metric bus (the session's, or the one `repscope attach`
 * feeds from a run log) and turns keys into commands on the session's
 * queue; rs_app_draw composes the whole screen into a canvas: the status
 * line, the panels of the scene's views in the layout for the canvas's
 * size (ui/layout.h), the notes, the console drawer, the key bar (or the
 * latest message) and the help overlay. ui/loop.c puts it on a terminal;
 * --frame dumps one canvas as text (rs_app_frame).
 *
 * It reads the bus only in rs_app_update (status, view specs, events,
 * console lines; at once when nothing changed: one atomic load) and in
 * rs_app_draw (the panels' series and matrices), never anything else:
 * no model, tensor or Lua state. UI thread only (one app per thread).
 */
#ifndef RS_UI_APP_H
#define RS_UI_APP_H

#include <stdbool.h>
#include <stdio.h>

#include "core/base.h"
#include "run/bus.h"
#include "run/cmdq.h"
#include "ui/canvas.h"
#include "ui/widget.h"

/* Besides enum rs_ui_flags: the terminal must be repainted whole. */
#define RS_APP_REPAINT 64u

struct rs_app_opts {
    rs_bus *bus;      /* borrowed, read only */
    rs_cmdq *q;       /* commands go here; NULL: read-only (attach) */
    const char *mode; /* shown after the program's name ("attach") */
    /* Ask the worker to abandon a running console command (ctrl-c in
     * the console); may be NULL. */
    void (*interrupt)(void *ud);
    void *ud;
    const char *export_dir; /* where `e` writes; NULL: "." */
    bool presenter;         /* start in presenter mode (P toggles it) */
};

typedef struct rs_app rs_app;

rs_app *rs_app_new(const struct rs_app_opts *o);
void rs_app_free(rs_app *a);

/* Take in what changed on the bus since the last call: status, view
 * specs, events, console lines. False (and nothing read) when its
 * version did not change. */
bool rs_app_update(rs_app *a);
/* A key (enum rs_key or code point): returns RS_UI_REDRAW when the
 * screen changed, RS_APP_REPAINT for ctrl-l, RS_UI_QUIT when the user
 * quit (after RS_CMD_QUIT went to the queue: wait for the worker). */
unsigned rs_app_key(rs_app *a, int key);
/* A mouse event at cell (x, y): button 1 focuses the panel there (or
 * the console), 4/5 scroll the console or the help. */
unsigned rs_app_click(rs_app *a, int x, int y, int button);
/* Compose the screen into cv (its size is the screen's). Reads the
 * panels' data from the bus; a panel whose data, place, focus and view
 * did not change since it was last drawn is copied as it was drawn. */
void rs_app_draw(rs_app *a, struct rs_canvas *cv, const struct rs_ui_ctx *ctx);

/* A message on the key bar row until the next key, and on the console
 * (bad: in the failure colour). */
void rs_app_note(rs_app *a, bool bad, const char *fmt, ...) RS_PRINTF(3, 4);
/* The newest status taken in (zeros and LOADING before any). */
const struct rs_bus_status *rs_app_status(const rs_app *a);
/* Whether the user quit (a quit command was sent). */
bool rs_app_quitting(const rs_app *a);
/* Number of panels and which has the focus (for tests). */
int rs_app_views(const rs_app *a);
int rs_app_focus(const rs_app *a);
/* Whether the focused panel fills the body (for tests). */
bool rs_app_zoomed(const rs_app *a);
/* The tour's current page (0-based) and page count (0: no tour). */
int rs_app_tour_page(const rs_app *a, int *count);
/* Panels the last rs_app_draw drew afresh; the others it showed as kept
 * from an earlier frame, nothing they show having changed (for tests). */
int rs_app_drawn(const rs_app *a);

/* One frame of the bus as text into f (`--frame`): w x h cells, plain
 * UTF-8 (or ASCII), or with ANSI colours in color mode (RS_COLOR_MONO:
 * plain text drawn for monochrome). mode NULL draws it as a live
 * session's screen (its key bar), else read-only with mode shown
 * ("attach"). RS_OK or RS_EIO. */
RS_NODISCARD int rs_app_frame(rs_bus *bus, const char *mode, int w, int h,
                              bool ascii, enum rs_color_mode color, FILE *f,
                              struct rs_error *err);

#endif /* RS_UI_APP_H */
