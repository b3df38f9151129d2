/* repscope - MIT licence, see COPYING.
 *
 * keys.h: the keymap, one table (tmux's cmd_table[] idea) that both
 * dispatches keys and documents them: the `?` overlay, the key bar,
 * `repscope --list-keys` and (checked by tests/sh/t_keys_man.sh) the KEYS
 * section of repscope(1) are all generated from, or compared with,
 * rs_keymap[]. A row is a key in a mode (the main screen or the console
 * prompt) with its display name, its help text and the action it runs;
 * rows with a NULL name are section headings. The actions themselves are
 * carried out by ui/app.c. Constant data and pure look-ups; any thread.
 */
#ifndef RS_UI_KEYS_H
#define RS_UI_KEYS_H

#include <stdbool.h>
#include <stdio.h>

#include "ui/statusbar.h"

enum rs_keys_mode {
    RS_KEYS_MAIN,   /* the panels */
    RS_KEYS_CONSOLE /* the console prompt is open */
};

enum rs_action {
    RS_ACT_NONE,
    /* training: need a live session (not `repscope attach`) */
    RS_ACT_PAUSE,
    RS_ACT_STEP,
    RS_ACT_FASTER,
    RS_ACT_SLOWER,
    RS_ACT_RESTART,
    RS_ACT_CHECKPOINT,
    RS_ACT_CONSOLE,
    /* panels */
    RS_ACT_FOCUS_NEXT,
    RS_ACT_FOCUS_PREV,
    RS_ACT_FOCUS_LEFT, /* zoomed: the key goes to the panel */
    RS_ACT_FOCUS_RIGHT,
    RS_ACT_FOCUS_UP,
    RS_ACT_FOCUS_DOWN,
    RS_ACT_ZOOM,
    RS_ACT_LAYER_PREV,
    RS_ACT_LAYER_NEXT,
    RS_ACT_WIDGET, /* the focused panel's own key (log axis, cursor) */
    RS_ACT_EXPORT,
    RS_ACT_NOTES,
    /* tour */
    RS_ACT_PAGE_NEXT,
    RS_ACT_PAGE_PREV,
    RS_ACT_PRESENTER,
    /* screen */
    RS_ACT_HELP,
    RS_ACT_REDRAW,
    RS_ACT_ESCAPE,
    RS_ACT_QUIT,
    /* console */
    RS_ACT_CON_RUN,
    RS_ACT_CON_CLOSE,
    RS_ACT_CON_PREV,
    RS_ACT_CON_NEXT,
    RS_ACT_CON_LEFT,
    RS_ACT_CON_RIGHT,
    RS_ACT_CON_HOME,
    RS_ACT_CON_END,
    RS_ACT_CON_BACKSPACE,
    RS_ACT_CON_DELETE,
    RS_ACT_CON_KILL,
    RS_ACT_CON_PGUP,
    RS_ACT_CON_PGDN,
    RS_ACT_CON_INTERRUPT
};

struct rs_keymap_entry {
    enum rs_keys_mode mode;
    int key;          /* enum rs_key or a code point; 0 for a heading */
    const char *name; /* as shown and documented; NULL: a heading */
    const char *help; /* what it does (the heading's text for headings) */
    enum rs_action action;
    bool session;          /* needs a live session */
    const char *bar_key;   /* key bar: the key as shown ("+/-"), or NULL */
    const char *bar_label; /* key bar label */
    int bar_prio;          /* dropped first when high; 0: never */
};

extern const struct rs_keymap_entry rs_keymap[];
extern const int rs_keymap_len;

/* The row for key in mode, or NULL (headings never match). */
const struct rs_keymap_entry *rs_keys_find(enum rs_keys_mode mode, int key);
/* The help overlay's lines: a heading per section, then its keys;
 * entries that need a session are left out when session is false. Fills
 * up to max hints (strings borrowed from the table); returns the count. */
int rs_keys_help(bool session, struct rs_keyhint *out, int max);
/* The key bar for mode. */
int rs_keys_bar(enum rs_keys_mode mode, bool session, struct rs_keyhint *out,
                int max);
/* `repscope --list-keys`: a line per heading ("== console") and per key
 * ("name<TAB>help"), in table order. Returns 0, or -1 on a write error. */
int rs_keys_list(FILE *f);

#endif /* RS_UI_KEYS_H */
