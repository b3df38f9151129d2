/* repscope - MIT licence, see COPYING.
 *
 * t_ui_term.c: the curses backend without a tty: newterm on /dev/null as
 * xterm-256color, present canvases, read the curses screen back
 * (mvwinnstr, mvwin_wch) and check text, colour numbers (xterm-256 indices
 * worked out by hand), attributes, the frame diff (only changed cells are
 * written), resizing, ASCII and monochrome modes; plus the pure detection
 * rules for colour depth and UTF-8.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/tap.h"
#include "ui/canvas.h"
#include "ui/term.h"
#include "ui/widget.h"

static const struct rs_style plain = {RS_COLOR_DEFAULT, RS_COLOR_DEFAULT, 0};

/* ncurses 6.4 leaks its pre-screen (new_prescr) when newterm fails, as it
 * must in the unknown-terminal case below: not ours. Read only by
 * LeakSanitizer builds. */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
    return "leak:new_prescr\n";
}

static void
test_detect(void)
{
    tap_is_int(rs_term_detect_color(NULL, NULL, 256, false), RS_COLOR_256,
               "256 colours");
    tap_is_int(rs_term_detect_color("truecolor", NULL, 256, false),
               RS_COLOR_256, "truecolor without a direct terminfo: 256");
    tap_is_int(rs_term_detect_color("24bit", NULL, 16777216, true),
               RS_COLOR_TRUE, "direct colour");
    tap_is_int(rs_term_detect_color("truecolor", "1", 256, true), RS_COLOR_MONO,
               "NO_COLOR wins");
    tap_is_int(rs_term_detect_color(NULL, "", 256, false), RS_COLOR_256,
               "empty NO_COLOR is ignored");
    tap_is_int(rs_term_detect_color(NULL, NULL, 8, false), RS_COLOR_8,
               "8 colours");
    tap_is_int(rs_term_detect_color(NULL, NULL, 2, false), RS_COLOR_MONO,
               "2 colours: mono");
    tap_ok(rs_term_detect_utf8("UTF-8") && rs_term_detect_utf8("utf8"),
           "UTF-8 codesets");
    tap_ok(!rs_term_detect_utf8("ANSI_X3.4-1968") && !rs_term_detect_utf8(NULL),
           "other codesets");
}

static void
is_row(rs_term *t, int y, const char *want, const char *name)
{
    char buf[512];
    int n = rs_term_debug_row(t, y, buf, sizeof buf);
    /* curses pads the row with blanks: compare without them */
    while (n > 0 && buf[n - 1] == ' ')
        buf[--n] = 0;
    tap_is_str(n >= 0 ? buf : "(error)", want, "%s", name);
}

static void
test_headless(void)
{
    unsetenv("NO_COLOR");
    unsetenv("COLORTERM");
    struct rs_error err;
    struct rs_term_opts o = {.headless = true, .w = 40, .h = 10};
    rs_term *t = rs_term_open(&o, &err);
    if (!tap_ok(t != NULL, "headless open")) {
        tap_diag("%s", err.msg);
        return;
    }
    tap_ok(rs_term_open(&o, &err) == NULL && err.code == RS_EINVAL,
           "only one terminal at a time");
    int w, h;
    rs_term_size(t, &w, &h);
    tap_ok(w == 40 && h == 10, "size 40x10");
    tap_is_int(rs_term_color_mode(t), RS_COLOR_256, "xterm-256color: 256");
    bool utf8 = !rs_term_ascii(t);
    tap_ok(utf8, "UTF-8 locale detected");
    tap_is_int(rs_term_key(t), RS_KEY_RESIZE, "the headless resize is a key");
    tap_is_int(rs_term_key(t), RS_KEY_NONE, "then no key waiting");

    struct rs_canvas *cv = rs_canvas_new(40, 10);
    rs_canvas_text(cv, 0, 0, "hello, terminal", -1, plain);
    rs_canvas_box(cv, (struct rs_rect){0, 1, 12, 3}, plain, "box", plain, NULL,
                  plain);
    rs_canvas_text(cv, 0, 4, "\u4e2d\u6587|\u2801\u28ff", -1, plain);
    rs_canvas_put(cv, 0, 5, 'R',
                  (struct rs_style){0xff0000, RS_COLOR_DEFAULT, RS_ATTR_BOLD});
    rs_canvas_put(
        cv, 1, 5, 'B',
        (struct rs_style){RS_COLOR_DEFAULT, 0x0000ff, RS_ATTR_REVERSE});
    rs_canvas_put(cv, 2, 5, 'g',
                  (struct rs_style){0x5f87af, 0x121212, RS_ATTR_UNDERLINE});
    rs_canvas_put(cv, 39, 9, 'Z', plain); /* the bottom-right cell */
    rs_term_present(t, cv);
    tap_is_int((long)rs_term_last_written(t), 400,
               "first frame writes every cell");
    is_row(t, 0, "hello, terminal", "text read back");
    is_row(t, 1, "\u250c box \u2500\u2500\u2500\u2500\u2500\u2510", "box top");
    is_row(t, 2, "\u2502          \u2502", "box side");
    if (utf8)
        is_row(t, 4, "\u4e2d\u6587|\u2801\u28ff", "wide and braille glyphs");
    is_row(t, 9, "                                       Z",
           "bottom-right cell");
    uint32_t g;
    int fg, bg;
    unsigned at;
    tap_ok(rs_term_debug_cell(t, 0, 5, &g, &fg, &bg, &at) && g == 'R' &&
               fg == 196 && bg == -1 && at == RS_ATTR_BOLD,
           "red fg -> 196, default bg, bold (got %d %d %u)", fg, bg, at);
    tap_ok(rs_term_debug_cell(t, 1, 5, &g, &fg, &bg, &at) && fg == -1 &&
               bg == 21 && at == RS_ATTR_REVERSE,
           "blue bg -> 21, reverse");
    tap_ok(rs_term_debug_cell(t, 2, 5, &g, &fg, &bg, &at) && fg == 67 &&
               bg == 233 && at == RS_ATTR_UNDERLINE,
           "cube and grey indices, underline");
    tap_ok(rs_term_debug_cell(t, 5, 4, &g, &fg, &bg, &at) && g == 0x2801,
           "braille cell after two wide glyphs");

    rs_term_present(t, cv);
    tap_is_int((long)rs_term_last_written(t), 0, "same frame writes nothing");
    rs_canvas_put(cv, 5, 7, '*', plain);
    rs_term_present(t, cv);
    tap_is_int((long)rs_term_last_written(t), 1, "one changed cell");
    is_row(t, 7, "     *", "the change is on screen");
    rs_canvas_text(cv, 20, 4, "\u4e2d", -1, plain);
    rs_term_present(t, cv);
    tap_is_int((long)rs_term_last_written(t), 2, "a wide glyph: two cells");
    rs_term_invalidate(t);
    rs_term_present(t, cv);
    tap_is_int((long)rs_term_last_written(t), 400, "invalidate: all again");

    rs_term_resize(t, 50, 12);
    rs_term_size(t, &w, &h);
    tap_ok(w == 50 && h == 12, "resized to 50x12");
    rs_canvas_resize(cv, 50, 12);
    rs_canvas_text(cv, 0, 11, "last row", -1, plain);
    rs_term_present(t, cv);
    tap_is_int((long)rs_term_last_written(t), 600, "new size: full frame");
    is_row(t, 11, "last row", "last row after resize");
    rs_term_close(t);
    rs_term_emergency_restore(); /* nothing armed: a no-op */

    /* ASCII and monochrome */
    struct rs_term_opts a = {.headless = true,
                             .w = 20,
                             .h = 4,
                             .ascii = true,
                             .force_color = true,
                             .color = RS_COLOR_MONO};
    t = rs_term_open(&a, &err);
    if (!tap_ok(t != NULL, "reopen ascii/mono"))
        return;
    tap_ok(rs_term_ascii(t) && rs_term_color_mode(t) == RS_COLOR_MONO,
           "forced ASCII and mono");
    rs_canvas_resize(cv, 20, 4);
    rs_canvas_box(cv, (struct rs_rect){0, 0, 8, 3}, plain, "x", plain, NULL,
                  plain);
    rs_canvas_text(cv, 10, 1, "\u25b2\u00b7\u2847\u4e2d!", -1,
                   (struct rs_style){0xff0000, 0x0000ff, RS_ATTR_REVERSE});
    rs_term_present(t, cv);
    is_row(t, 0, "+ x ---+", "ASCII box");
    is_row(t, 1, "|      |  ^.|? !", "ASCII symbols, wide glyph as '? '");
    tap_ok(rs_term_debug_cell(t, 10, 1, &g, &fg, &bg, &at) && fg == -1 &&
               bg == -1 && at == RS_ATTR_REVERSE,
           "mono drops colours, keeps attributes");
    rs_term_close(t);

    /* a terminal type curses does not know */
    struct rs_term_opts bad = {.headless = true, .termname = "no-such-term"};
    t = rs_term_open(&bad, &err);
    tap_ok(t == NULL && err.code == RS_EIO &&
               strstr(err.msg, "no-such-term") != NULL,
           "unknown terminal type: error names it");
    rs_term_close(t);
    rs_canvas_free(cv);
}

int
main(void)
{
    tap_plan_lazy();
    /* rs_term_open takes LC_CTYPE from the environment */
    unsetenv("LC_ALL");
    setenv("LC_CTYPE", "C.UTF-8", 1);
    test_detect();
    test_headless();
    return tap_done();
}
