/* repscope - MIT licence, see COPYING.
 *
 * keys.c: the keymap table and its look-ups (keys.h). Adding a key means
 * one row here, its case in ui/app.c, and its line in repscope(1)'s KEYS
 * section (tests/sh/t_keys_man.sh fails until the two agree). Constant
 * data; any thread.
 */
#include "config.h"

#include "ui/keys.h"

#include <stdio.h>

#include "core/base.h"
#include "ui/widget.h"

#define CTRL(c) ((c)&0x1f)

#define HEAD(m, text)                                                          \
    {                                                                          \
        .mode = (m), .name = NULL, .help = (text)                              \
    }

/* clang-format off */
const struct rs_keymap_entry rs_keymap[] = {
    HEAD(RS_KEYS_MAIN, "training"),
    {RS_KEYS_MAIN, ' ', "space", "pause or resume training",
     RS_ACT_PAUSE, true, "space", "pause", 0},
    {RS_KEYS_MAIN, 's', "s", "run one step, then pause",
     RS_ACT_STEP, true, "s", "step", 4},
    {RS_KEYS_MAIN, '+', "+", "run faster (the last step lifts the limit)",
     RS_ACT_FASTER, true, "+/-", "speed", 6},
    {RS_KEYS_MAIN, '=', "=", "run faster (as +)",
     RS_ACT_FASTER, true, NULL, NULL, 0},
    {RS_KEYS_MAIN, '-', "-", "run slower (a limit in steps per second)",
     RS_ACT_SLOWER, true, NULL, NULL, 0},
    {RS_KEYS_MAIN, 'r', "r", "restart the scene with the same params "
     "(press twice)", RS_ACT_RESTART, true, NULL, NULL, 0},
    {RS_KEYS_MAIN, 'c', "c", "write a checkpoint now",
     RS_ACT_CHECKPOINT, true, NULL, NULL, 0},
    {RS_KEYS_MAIN, ':', ":", "open the console (Lua, or set KEY=VALUE)",
     RS_ACT_CONSOLE, true, ":", "console", 3},

    HEAD(RS_KEYS_MAIN, "panels"),
    {RS_KEYS_MAIN, RS_KEY_TAB, "tab", "focus the next panel",
     RS_ACT_FOCUS_NEXT, false, "tab", "focus", 5},
    {RS_KEYS_MAIN, RS_KEY_BACKTAB, "shift-tab", "focus the previous panel",
     RS_ACT_FOCUS_PREV, false, NULL, NULL, 0},
    {RS_KEYS_MAIN, RS_KEY_LEFT, "left", "focus the panel to the left "
     "(zoomed: move the chart cursor)", RS_ACT_FOCUS_LEFT, false, NULL, NULL,
     0},
    {RS_KEYS_MAIN, RS_KEY_RIGHT, "right", "focus the panel to the right "
     "(zoomed: move the chart cursor)", RS_ACT_FOCUS_RIGHT, false, NULL, NULL,
     0},
    {RS_KEYS_MAIN, RS_KEY_UP, "up", "focus the panel above "
     "(zoomed: the panel's own, e.g. the layer)", RS_ACT_FOCUS_UP, false,
     NULL, NULL, 0},
    {RS_KEYS_MAIN, RS_KEY_DOWN, "down", "focus the panel below "
     "(zoomed: the panel's own)", RS_ACT_FOCUS_DOWN, false, NULL, NULL, 0},
    {RS_KEYS_MAIN, RS_KEY_ENTER, "enter", "zoom the focused panel to the "
     "full screen and back", RS_ACT_ZOOM, false, "enter", "zoom", 4},
    {RS_KEYS_MAIN, '[', "[", "select the previous layer",
     RS_ACT_LAYER_PREV, false, "[ ]", "layer", 7},
    {RS_KEYS_MAIN, ']', "]", "select the next layer",
     RS_ACT_LAYER_NEXT, false, NULL, NULL, 0},
    {RS_KEYS_MAIN, 'l', "l", "log or linear y axis of the focused chart",
     RS_ACT_WIDGET, false, "l", "log y", 9},
    {RS_KEYS_MAIN, 'L', "L", "log or linear x axis of the focused chart",
     RS_ACT_WIDGET, false, NULL, NULL, 0},
    {RS_KEYS_MAIN, 'm', "m", "smoothing of the focused chart: off, 0.3, "
     "0.1, 0.03, 0.01", RS_ACT_WIDGET, false, NULL, NULL, 0},
    {RS_KEYS_MAIN, RS_KEY_HOME, "home", "chart cursor to the first step",
     RS_ACT_WIDGET, false, NULL, NULL, 0},
    {RS_KEYS_MAIN, RS_KEY_END, "end", "chart cursor to the last step",
     RS_ACT_WIDGET, false, NULL, NULL, 0},
    {RS_KEYS_MAIN, 'e', "e", "export the focused panel as an SVG file",
     RS_ACT_EXPORT, false, "e", "export", 8},
    {RS_KEYS_MAIN, 'N', "N", "show or hide the notes (the scene's, or "
     "the tour's page)", RS_ACT_NOTES, false, NULL, NULL, 0},

    HEAD(RS_KEYS_MAIN, "tour"),
    {RS_KEYS_MAIN, 'n', "n", "next page of the scene's tour (resumes a run "
     "the tour paused)", RS_ACT_PAGE_NEXT, false, "n/p", "tour", 2},
    {RS_KEYS_MAIN, 'p', "p", "previous page of the tour",
     RS_ACT_PAGE_PREV, false, NULL, NULL, 0},
    {RS_KEYS_MAIN, 'P', "P", "presenter mode: hide the key bar and the "
     "status details", RS_ACT_PRESENTER, false, NULL, NULL, 0},

    HEAD(RS_KEYS_MAIN, "screen"),
    {RS_KEYS_MAIN, '?', "?", "show or hide this help",
     RS_ACT_HELP, false, "?", "help", 0},
    {RS_KEYS_MAIN, RS_KEY_ESC, "esc", "close the help, unzoom, hide the "
     "chart cursor", RS_ACT_ESCAPE, false, NULL, NULL, 0},
    {RS_KEYS_MAIN, CTRL('l'), "ctrl-l", "redraw the screen",
     RS_ACT_REDRAW, false, NULL, NULL, 0},
    {RS_KEYS_MAIN, 'q', "q", "quit: final checkpoint, log flushed, "
     "terminal restored", RS_ACT_QUIT, false, "q", "quit", 0},
    {RS_KEYS_MAIN, CTRL('c'), "ctrl-c", "quit (as q)",
     RS_ACT_QUIT, false, NULL, NULL, 0},

    HEAD(RS_KEYS_CONSOLE, "console"),
    {RS_KEYS_CONSOLE, RS_KEY_ENTER, "enter", "run the line in the worker, "
     "between steps", RS_ACT_CON_RUN, true, "enter", "run", 0},
    {RS_KEYS_CONSOLE, RS_KEY_ESC, "esc", "close the console",
     RS_ACT_CON_CLOSE, true, "esc", "close", 0},
    {RS_KEYS_CONSOLE, RS_KEY_UP, "up", "previous line of the history",
     RS_ACT_CON_PREV, true, "up/down", "history", 2},
    {RS_KEYS_CONSOLE, RS_KEY_DOWN, "down", "next line of the history",
     RS_ACT_CON_NEXT, true, NULL, NULL, 0},
    {RS_KEYS_CONSOLE, RS_KEY_LEFT, "left", "move the cursor left",
     RS_ACT_CON_LEFT, true, NULL, NULL, 0},
    {RS_KEYS_CONSOLE, RS_KEY_RIGHT, "right", "move the cursor right",
     RS_ACT_CON_RIGHT, true, NULL, NULL, 0},
    {RS_KEYS_CONSOLE, RS_KEY_HOME, "home", "cursor to the start of the line",
     RS_ACT_CON_HOME, true, NULL, NULL, 0},
    {RS_KEYS_CONSOLE, CTRL('a'), "ctrl-a", "cursor to the start (as home)",
     RS_ACT_CON_HOME, true, NULL, NULL, 0},
    {RS_KEYS_CONSOLE, RS_KEY_END, "end", "cursor to the end of the line",
     RS_ACT_CON_END, true, NULL, NULL, 0},
    {RS_KEYS_CONSOLE, CTRL('e'), "ctrl-e", "cursor to the end (as end)",
     RS_ACT_CON_END, true, NULL, NULL, 0},
    {RS_KEYS_CONSOLE, RS_KEY_BACKSPACE, "backspace", "delete before the "
     "cursor", RS_ACT_CON_BACKSPACE, true, NULL, NULL, 0},
    {RS_KEYS_CONSOLE, RS_KEY_DELETE, "delete", "delete at the cursor",
     RS_ACT_CON_DELETE, true, NULL, NULL, 0},
    {RS_KEYS_CONSOLE, CTRL('u'), "ctrl-u", "clear the line",
     RS_ACT_CON_KILL, true, NULL, NULL, 0},
    {RS_KEYS_CONSOLE, RS_KEY_PGUP, "pgup", "scroll the output back",
     RS_ACT_CON_PGUP, true, "pgup/pgdn", "scroll", 3},
    {RS_KEYS_CONSOLE, RS_KEY_PGDN, "pgdn", "scroll the output forward",
     RS_ACT_CON_PGDN, true, NULL, NULL, 0},
    {RS_KEYS_CONSOLE, CTRL('c'), "ctrl-c", "interrupt the running command, "
     "clear the line", RS_ACT_CON_INTERRUPT, true, "ctrl-c", "interrupt", 1},
};
/* clang-format on */

const int rs_keymap_len = (int)RS_ARRAY_LEN(rs_keymap);

const struct rs_keymap_entry *
rs_keys_find(enum rs_keys_mode mode, int key)
{
    for (int i = 0; i < rs_keymap_len; i++) {
        const struct rs_keymap_entry *e = &rs_keymap[i];
        if (e->name != NULL && e->mode == mode && e->key == key)
            return e;
    }
    return NULL;
}

int
rs_keys_help(bool session, struct rs_keyhint *out, int max)
{
    int n = 0;
    for (int i = 0; i < rs_keymap_len && n < max; i++) {
        const struct rs_keymap_entry *e = &rs_keymap[i];
        if (e->name == NULL) {
            /* a heading, unless nothing under it is usable */
            bool any = false;
            for (int j = i + 1; j < rs_keymap_len && rs_keymap[j].name; j++)
                any = any || session || !rs_keymap[j].session;
            if (any)
                out[n++] = (struct rs_keyhint){NULL, e->help, 0};
            continue;
        }
        if (e->session && !session)
            continue;
        out[n++] = (struct rs_keyhint){e->name, e->help, 0};
    }
    return n;
}

int
rs_keys_bar(enum rs_keys_mode mode, bool session, struct rs_keyhint *out,
            int max)
{
    int n = 0;
    for (int i = 0; i < rs_keymap_len && n < max; i++) {
        const struct rs_keymap_entry *e = &rs_keymap[i];
        if (e->name == NULL || e->mode != mode || e->bar_key == NULL ||
            (e->session && !session))
            continue;
        out[n++] = (struct rs_keyhint){e->bar_key, e->bar_label, e->bar_prio};
    }
    return n;
}

int
rs_keys_list(FILE *f)
{
    for (int i = 0; i < rs_keymap_len; i++) {
        const struct rs_keymap_entry *e = &rs_keymap[i];
        if (e->name == NULL)
            fprintf(f, "== %s\n", e->help);
        else
            fprintf(f, "%s\t%s\n", e->name, e->help);
    }
    return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}
