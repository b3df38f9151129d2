/* repscope - MIT licence, see COPYING.
 *
 * term.h: the terminal backend, the only user of curses (through
 * ui/curses_compat.h). It owns newterm/endwin, decides what the terminal
 * can show (colour depth, UTF-8 or ASCII), turns keys into enum rs_key
 * codes, and presents canvases: each frame is diffed against the last and
 * only changed cells are written (setcchar + mvwadd_wchnstr runs), with
 * one doupdate, which leaves in one write(2). Colours are mapped from 24-bit: direct colour when the
 * terminfo has it (e.g. TERM=xterm-direct), else the nearest xterm-256 or
 * ANSI colour; colour pairs come from ncurses' alloc_pair.
 *
 * A fatal error (rs_fatal, a failed RS_ASSERT) restores the terminal via
 * a hook registered with rs_fatal_set_hook: it writes precomputed escape
 * strings and the saved termios with write(2)/tcsetattr(3) only, so
 * rs_term_emergency_restore is also safe from a signal handler.
 *
 * Only one terminal is open at a time. UI thread only (the emergency
 * path excepted).
 */
#ifndef RS_UI_TERM_H
#define RS_UI_TERM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base.h"
#include "ui/canvas.h"

struct rs_term_opts {
    bool ascii;       /* --ascii: never emit non-ASCII glyphs */
    bool mouse;       /* report clicks and the wheel */
    bool force_color; /* use `color` instead of detecting */
    enum rs_color_mode color;
    /* test mode: newterm on /dev/null, no tty needed */
    bool headless;
    const char *termname; /* headless terminal type (NULL: xterm-256color) */
    int w, h;             /* headless size (0: 80 x 24) */
};

typedef struct rs_term rs_term;

/* Open the terminal (stdin/stdout, or /dev/null when headless): sets
 * LC_CTYPE from the environment (never LC_NUMERIC), raw, no echo,
 * keypad, non-blocking keys, hidden cursor, default colours. NULL with
 * err filled (RS_EIO) when there is no usable terminal. */
rs_term *rs_term_open(const struct rs_term_opts *opts, struct rs_error *err);
/* Restore the terminal (endwin) and free everything. NULL is fine. */
void rs_term_close(rs_term *t);

/* What the terminal shows; widgets draw for this. */
enum rs_color_mode rs_term_color_mode(const rs_term *t);
bool rs_term_ascii(const rs_term *t);
void rs_term_size(const rs_term *t, int *w, int *h);
/* File descriptor to poll for keys. */
int rs_term_fd(const rs_term *t);

/* Show cv: cells that differ from the last frame are written, then one
 * doupdate. A canvas of another size than the last redraws everything. */
void rs_term_present(rs_term *t, const struct rs_canvas *cv);
/* Redraw everything at the next present (Ctrl-L, after a resize). */
void rs_term_invalidate(rs_term *t);
/* Cells written by the last present (for tests and statistics). */
size_t rs_term_last_written(const rs_term *t);

/* The next key as an enum rs_key / code point, or RS_KEY_NONE when none
 * is waiting. RS_KEY_RESIZE also invalidates the frame; RS_KEY_MOUSE
 * leaves the event for rs_term_mouse. */
int rs_term_key(rs_term *t);
/* The last mouse event: cell and button (1-3 pressed/clicked, 4 wheel up,
 * 5 wheel down, 0 other). False if there was none. */
bool rs_term_mouse(const rs_term *t, int *x, int *y, int *button);
/* Headless only: change the size (resizeterm). */
void rs_term_resize(rs_term *t, int w, int h);

/* Restore the terminal from anywhere: a fatal error or a signal handler.
 * Async-signal-safe; does nothing when no terminal is open. */
void rs_term_emergency_restore(void);

/* ---- detection (pure; exported for tests) ---------------------------- */
/* Colour mode from the environment and terminfo: NO_COLOR set and not
 * empty, or fewer than 8 colours -> mono; COLORTERM truecolor/24bit ->
 * true colour if the terminfo can address it (direct), else 256; then
 * 256 or 8 by the number of colours. */
enum rs_color_mode rs_term_detect_color(const char *colorterm,
                                        const char *no_color, int ncolors,
                                        bool direct);
/* True when the locale's codeset (nl_langinfo(CODESET)) is UTF-8. */
bool rs_term_detect_utf8(const char *codeset);

/* ---- test readback --------------------------------------------------- */
/* Row y of the curses screen as text (mvwinnstr, in the locale's
 * multibyte encoding) into buf; returns its length or -1. */
int rs_term_debug_row(rs_term *t, int y, char *buf, size_t n);
/* The cell at (x, y): code point, curses colour numbers (-1: default)
 * and RS_ATTR_* bits. False outside the screen. */
bool rs_term_debug_cell(rs_term *t, int x, int y, uint32_t *glyph, int *fg,
                        int *bg, unsigned *attr);

#endif /* RS_UI_TERM_H */
