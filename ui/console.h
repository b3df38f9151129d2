/* repscope - MIT licence, see COPYING.
 *
 * console.h: the console drawer: a scrollback of output lines (what the
 * worker printed, rs_bus_lines; the lines typed, echoed; notices) above
 * a one-line editor with history. The UI sends a finished line to the
 * worker as RS_CMD_EVAL (or RS_CMD_SET for "set KEY=VALUE"); its output
 * comes back over the bus and is added here. Long lines wrap; errors
 * ("error: ...", "file:line: ...") show in the theme's bad colour.
 * UI thread only.
 */
#ifndef RS_UI_CONSOLE_H
#define RS_UI_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ui/canvas.h"
#include "ui/keys.h"
#include "ui/widget.h"

#define RS_CONSOLE_LINES 1000 /* scrollback kept */
#define RS_CONSOLE_HISTORY 100
#define RS_CONSOLE_INPUT_MAX 2000 /* bytes of the line being edited */

enum rs_console_kind {
    RS_CONSOLE_OUT,  /* worker output */
    RS_CONSOLE_ECHO, /* a line the user ran */
    RS_CONSOLE_NOTE  /* the UI's own notices */
};

typedef struct rs_console rs_console;

rs_console *rs_console_new(void);
void rs_console_free(rs_console *c);
/* Add text (one line per '\n'); the oldest lines go beyond
 * RS_CONSOLE_LINES. Scrolled back, the view stays where it is. */
void rs_console_add(rs_console *c, const char *text, enum rs_console_kind k);
int rs_console_count(const rs_console *c);
/* Line i (0: oldest kept), borrowed until the next add. */
const char *rs_console_line(const rs_console *c, int i);

/* Insert code point cp at the cursor (false when the line is full). */
bool rs_console_insert(rs_console *c, uint32_t cp);
/* An editing action (RS_ACT_CON_*); false when it is not one. */
bool rs_console_edit(rs_console *c, enum rs_action a);
/* Take the line being edited: copied into buf (n bytes), added to the
 * history and cleared. False (buf untouched) when it is blank. */
bool rs_console_take(rs_console *c, char *buf, size_t n);
/* The line being edited (borrowed). */
const char *rs_console_input(const rs_console *c);

/* Draw the drawer in r: a box titled "console", the output, and the
 * prompt on the last inner row (with a cursor when active). */
void rs_console_draw(struct rs_canvas *cv, struct rs_rect r, rs_console *c,
                     bool active, const char *info,
                     const struct rs_ui_ctx *ctx);

#endif /* RS_UI_CONSOLE_H */
