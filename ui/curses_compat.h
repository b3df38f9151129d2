/* repscope - MIT licence, see COPYING.
 *
 * curses_compat.h: the one way into curses (htop's ProvideCurses.h). Only
 * ui/term.c includes it; every other file sees the terminal through
 * ui/term.h and the canvas. The wide-character API (setcchar, cchar_t,
 * wget_wch) needs NCURSES_WIDECHAR, which config.h defines; it is
 * repeated here so the header also works when config.h was not first.
 * ncurses 6.1+ extensions used (guarded by NCURSES_EXT_FUNCS): alloc_pair,
 * extended_pair_content, set_escdelay.
 */
#ifndef RS_UI_CURSES_COMPAT_H
#define RS_UI_CURSES_COMPAT_H

#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif

#if defined(HAVE_NCURSESW_CURSES_H)
#include <ncursesw/curses.h>
#else
#include <curses.h>
#endif

#if !defined(NCURSES_EXT_FUNCS) || NCURSES_EXT_FUNCS < 20170401
#define RS_CURSES_NO_ALLOC_PAIR 1
#endif

#endif /* RS_UI_CURSES_COMPAT_H */
