/* repscope - MIT licence, see COPYING.
 *
 * term.c: the curses backend (term.h), htop's CRT.c in spirit.
 *
 * Invariants: `prev` holds exactly what the last present wrote to stdscr
 * (a canvas filled with an impossible glyph after an invalidation, so
 * every cell differs). The emergency state (restore string, tty fd,
 * saved termios, armed flag) is static because a signal handler has no
 * other way to find it; it is written once at open before the hook is
 * armed and only read afterwards. UI thread only, except
 * rs_term_emergency_restore.
 */
#include "config.h"

#include "ui/term.h"

#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>
#include <wchar.h>

#include "core/base.h"
#include "ui/colormap.h"
#include "ui/curses_compat.h"
#include "ui/widget.h"

#define GLYPH_NONE 0xffffffffu /* never drawn: marks invalid prev cells */

struct rs_term {
    SCREEN *scr;
    FILE *out, *in; /* opened here (headless), else stdout/stdin */
    bool own_files;
    enum rs_color_mode color;
    bool ascii, direct, mouse;
    struct rs_canvas *prev;
    size_t written;
    int mx, my, mbutton;
    bool have_mouse;
};

static bool term_open;

/* ---- emergency restore -----------------------------------------------------
 */

static char emerg_buf[512];
static size_t emerg_len;
static int emerg_fd = -1, emerg_tty = -1;
static struct termios emerg_termios;
static bool emerg_have_termios;
static volatile sig_atomic_t emerg_armed;

void
rs_term_emergency_restore(void)
{
    if (!emerg_armed)
        return;
    emerg_armed = 0;
    if (emerg_fd >= 0 && emerg_len > 0) {
        ssize_t r = write(emerg_fd, emerg_buf, emerg_len);
        (void)r;
    }
    if (emerg_have_termios)
        tcsetattr(emerg_tty, TCSANOW, &emerg_termios);
}

static void
emerg_add(const char *s)
{
    if (s == NULL || s == (char *)-1)
        return;
    size_t n = strlen(s);
    if (emerg_len + n < sizeof emerg_buf) {
        memcpy(emerg_buf + emerg_len, s, n);
        emerg_len += n;
    }
}

/* Precompute what restores the terminal: leave the alternate screen,
 * normal cursor, plain attributes, keypad off, mouse reporting off. */
static void
emerg_prepare(bool mouse)
{
    emerg_len = 0;
    emerg_add(tigetstr("sgr0"));
    emerg_add(tigetstr("cnorm"));
    emerg_add(tigetstr("rmkx"));
    emerg_add(tigetstr("rmcup"));
    if (mouse)
        emerg_add("\033[?1000l\033[?1002l\033[?1006l");
    emerg_add("\r\n");
}

/* ---- detection ------------------------------------------------------------
 */

enum rs_color_mode
rs_term_detect_color(const char *colorterm, const char *no_color, int ncolors,
                     bool direct)
{
    if (no_color != NULL && no_color[0] != 0)
        return RS_COLOR_MONO;
    if (ncolors < 8)
        return RS_COLOR_MONO;
    if (direct || ncolors >= 0x1000000)
        return RS_COLOR_TRUE;
    bool truecolor =
        colorterm != NULL && (strcasecmp(colorterm, "truecolor") == 0 ||
                              strcasecmp(colorterm, "24bit") == 0);
    /* Without a direct-colour terminfo curses cannot send 24-bit
     * colours: the best it can do is the 256 palette. */
    if (truecolor && ncolors >= 256)
        return RS_COLOR_256;
    return ncolors >= 256 ? RS_COLOR_256 : RS_COLOR_8;
}

bool
rs_term_detect_utf8(const char *codeset)
{
    return codeset != NULL && (strcasecmp(codeset, "UTF-8") == 0 ||
                               strcasecmp(codeset, "utf8") == 0);
}

/* ---- open / close -------------------------------------------------------- */

rs_term *
rs_term_open(const struct rs_term_opts *opts, struct rs_error *err)
{
    struct rs_term_opts o;
    if (opts != NULL)
        o = *opts;
    else
        memset(&o, 0, sizeof o);
    if (term_open) {
        rs_error_set(err, RS_EINVAL, "terminal already open");
        return NULL;
    }
    setlocale(LC_CTYPE, "");
    struct rs_term *t = rs_xcalloc(1, sizeof *t);
    t->ascii = o.ascii || !rs_term_detect_utf8(nl_langinfo(CODESET));
    t->mouse = o.mouse;
    if (o.headless) {
        t->out = fopen("/dev/null", "w");
        t->in = fopen("/dev/null", "r");
        t->own_files = true;
        if (t->out == NULL || t->in == NULL) {
            rs_error_set(err, RS_EIO, "cannot open /dev/null");
            goto fail;
        }
        t->scr =
            newterm(o.termname ? o.termname : "xterm-256color", t->out, t->in);
    } else {
        t->out = stdout;
        t->in = stdin;
        if (!isatty(fileno(stdin)) || !isatty(fileno(stdout))) {
            rs_error_set(err, RS_EIO, "not a terminal (use --headless)");
            goto fail;
        }
        emerg_tty = fileno(stdin);
        emerg_have_termios = tcgetattr(emerg_tty, &emerg_termios) == 0;
        t->scr = newterm(NULL, stdout, stdin);
    }
    if (t->scr == NULL) {
        const char *tn = o.headless ? o.termname : getenv("TERM");
        rs_error_set(err, RS_EIO, "cannot use terminal type '%s'",
                     tn ? tn : "(unset)");
        goto fail;
    }
    set_term(t->scr);
    term_open = true;
    /* ncurses 6.3 and 6.4 flush their output after every cursor move
     * until the screen has been through one endwin and refresh (after
     * newterm it counts as not initialised, for low-level terminfo
     * callers): a frame would leave in a dozen write(2)s, each waking
     * the terminal, tmux or sshd. One round trip now, before anything is
     * drawn, makes each doupdate a single write. */
    endwin();
    doupdate();
    /* raw, not cbreak: ctrl-c is a key (quit, or interrupt in the
     * console) and ctrl-s/ctrl-q do not freeze the screen; a SIGINT from
     * elsewhere still quits through the loop's handler */
    raw();
    noecho();
    nonl();
    intrflush(stdscr, FALSE);
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    curs_set(0);
#ifndef RS_CURSES_NO_ALLOC_PAIR
    /* How long a lone Escape waits for the rest of an escape sequence:
     * every Escape press costs this much. A terminal (or sshd) writes a
     * key's sequence in one piece, so its bytes are already waiting. */
    set_escdelay(10);
#endif
    int ncolors = 0;
    if (has_colors() && start_color() == OK) {
        use_default_colors();
        ncolors = COLORS;
    }
    t->direct = tigetflag("RGB") > 0 || ncolors >= 0x1000000;
    t->color = o.force_color ? o.color
                             : rs_term_detect_color(getenv("COLORTERM"),
                                                    getenv("NO_COLOR"), ncolors,
                                                    t->direct);
    if (t->color == RS_COLOR_TRUE && !t->direct)
        t->color = ncolors >= 256 ? RS_COLOR_256 : RS_COLOR_8;
    if (t->color != RS_COLOR_MONO && ncolors < 8)
        t->color = RS_COLOR_MONO;
    if (t->mouse) {
        mmask_t m = BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON4_PRESSED;
#ifdef BUTTON5_PRESSED /* the wheel down needs mouse version 2 */
        m |= BUTTON5_PRESSED;
#endif
        mousemask(m, NULL);
        mouseinterval(0);
    }
    if (o.headless)
        resizeterm(o.h > 0 ? o.h : 24, o.w > 0 ? o.w : 80);
    t->prev = rs_canvas_new(0, 0);
    if (!o.headless) {
        emerg_prepare(t->mouse);
        emerg_fd = fileno(stdout);
        emerg_armed = 1;
        rs_fatal_set_hook(rs_term_emergency_restore);
    }
    return t;
fail:
    if (t->own_files) {
        if (t->out)
            fclose(t->out);
        if (t->in)
            fclose(t->in);
    }
    free(t);
    return NULL;
}

void
rs_term_close(rs_term *t)
{
    if (t == NULL)
        return;
    if (t->mouse)
        mousemask(0, NULL);
    curs_set(1);
    endwin();
    delscreen(t->scr);
    term_open = false;
    if (emerg_armed) {
        emerg_armed = 0;
        rs_fatal_set_hook(NULL);
    }
    if (t->own_files) {
        fclose(t->out);
        fclose(t->in);
    }
    rs_canvas_free(t->prev);
    free(t);
}

enum rs_color_mode
rs_term_color_mode(const rs_term *t)
{
    return t->color;
}

bool
rs_term_ascii(const rs_term *t)
{
    return t->ascii;
}

void
rs_term_size(const rs_term *t, int *w, int *h)
{
    (void)t;
    int y, x;
    getmaxyx(stdscr, y, x);
    *w = x;
    *h = y;
}

int
rs_term_fd(const rs_term *t)
{
    return fileno(t->in);
}

void
rs_term_resize(rs_term *t, int w, int h)
{
    resizeterm(h, w);
    rs_term_invalidate(t);
}

/* ---- present
 * ------------------------------------------------------------------ */

void
rs_term_invalidate(rs_term *t)
{
    rs_canvas_resize(t->prev, 0, 0);
}

static int
map_color(const rs_term *t, uint32_t rgb)
{
    if (rgb == RS_COLOR_DEFAULT)
        return -1;
    switch (t->color) {
    case RS_COLOR_TRUE:
        return (int)(rgb & 0xffffff);
    case RS_COLOR_256:
        return rs_rgb_to_256(rgb);
    case RS_COLOR_8:
        return rs_rgb_to_8(rgb);
    default:
        return -1;
    }
}

#ifdef RS_CURSES_NO_ALLOC_PAIR
/* Old curses: a small table of pairs, recycled round-robin. */
static int
alloc_pair(int fg, int bg)
{
    static int pf[256], pb[256], used, next;
    for (int i = 0; i < used; i++)
        if (pf[i] == fg && pb[i] == bg)
            return i + 1;
    int max = COLOR_PAIRS - 1 < 256 ? COLOR_PAIRS - 1 : 256;
    if (max <= 0)
        return 0;
    int i = used < max ? used++ : next++ % max;
    pf[i] = fg;
    pb[i] = bg;
    init_pair((short)(i + 1), (short)fg, (short)bg);
    return i + 1;
}
#endif

static void
make_cchar(const rs_term *t, const struct rs_cell *c, cchar_t *cc)
{
    wchar_t wc[2];
    uint32_t g = c->glyph;
    if (t->ascii)
        g = rs_glyph_ascii(g);
    wc[0] = (wchar_t)g;
    wc[1] = 0;
    attr_t a = A_NORMAL;
    if (c->attr & RS_ATTR_BOLD)
        a |= A_BOLD;
    if (c->attr & RS_ATTR_DIM)
        a |= A_DIM;
    if (c->attr & RS_ATTR_REVERSE)
        a |= A_REVERSE;
    if (c->attr & RS_ATTR_UNDERLINE)
        a |= A_UNDERLINE;
    int pair = 0;
    if (t->color != RS_COLOR_MONO) {
        int fg = map_color(t, c->fg), bg = map_color(t, c->bg);
        if (fg != -1 || bg != -1)
            pair = alloc_pair(fg, bg);
        pair = pair < 0 ? 0 : pair;
    }
    setcchar(cc, wc, a, (short)(pair <= SHRT_MAX ? pair : 0), &pair);
}

static bool
same_cell(const struct rs_cell *a, const struct rs_cell *b)
{
    return a->glyph == b->glyph && a->fg == b->fg && a->bg == b->bg &&
           a->attr == b->attr;
}

void
rs_term_present(rs_term *t, const struct rs_canvas *cv)
{
    int sw, sh;
    rs_term_size(t, &sw, &sh);
    if (t->prev->w != cv->w || t->prev->h != cv->h) {
        rs_canvas_resize(t->prev, cv->w, cv->h);
        for (size_t i = 0; i < (size_t)cv->w * (size_t)cv->h; i++)
            t->prev->cells[i].glyph = GLYPH_NONE;
        werase(stdscr); /* nothing stale beyond a smaller canvas */
        clearok(curscr, TRUE);
    }
    t->written = 0;
    cchar_t *run =
        rs_xreallocarray(NULL, (size_t)(cv->w > 0 ? cv->w : 1), sizeof *run);
    int w = cv->w < sw ? cv->w : sw, h = cv->h < sh ? cv->h : sh;
    for (int y = 0; y < h; y++) {
        const struct rs_cell *row = &cv->cells[(size_t)y * (size_t)cv->w];
        struct rs_cell *old = &t->prev->cells[(size_t)y * (size_t)cv->w];
        int x = 0;
        while (x < w) {
            if (same_cell(&row[x], &old[x])) {
                x++;
                continue;
            }
            int x0 = x;
            if (row[x0].glyph == RS_GLYPH_CONT && x0 > 0)
                x0--; /* start at the wide glyph itself */
            int x1 = x0;
            while (x1 < w && !same_cell(&row[x1], &old[x1]))
                x1++;
            if (x1 < w && row[x1].glyph == RS_GLYPH_CONT)
                x1++; /* finish the wide glyph's pair */
            int n = 0;
            for (int i = x0; i < x1; i++) {
                if (row[i].glyph == RS_GLYPH_CONT && !t->ascii)
                    continue; /* curses fills the second column itself */
                struct rs_cell c = row[i];
                if (c.glyph == RS_GLYPH_CONT)
                    c.glyph = ' ';
                make_cchar(t, &c, &run[n++]);
            }
            mvwadd_wchnstr(stdscr, y, x0, run, n);
            for (int i = x0; i < x1; i++)
                old[i] = row[i];
            t->written += (size_t)(x1 - x0);
            x = x1;
        }
    }
    free(run);
    wnoutrefresh(stdscr);
    doupdate();
}

size_t
rs_term_last_written(const rs_term *t)
{
    return t->written;
}

/* ---- keys
 * ---------------------------------------------------------------------- */

static int
map_key(int k)
{
    switch (k) {
    case KEY_UP:
        return RS_KEY_UP;
    case KEY_DOWN:
        return RS_KEY_DOWN;
    case KEY_LEFT:
        return RS_KEY_LEFT;
    case KEY_RIGHT:
        return RS_KEY_RIGHT;
    case KEY_PPAGE:
        return RS_KEY_PGUP;
    case KEY_NPAGE:
        return RS_KEY_PGDN;
    case KEY_HOME:
        return RS_KEY_HOME;
    case KEY_END:
        return RS_KEY_END;
    case KEY_BTAB:
        return RS_KEY_BACKTAB;
    case KEY_DC:
        return RS_KEY_DELETE;
    case KEY_BACKSPACE:
        return RS_KEY_BACKSPACE;
    case KEY_ENTER:
        return RS_KEY_ENTER;
    case KEY_RESIZE:
        return RS_KEY_RESIZE;
    case KEY_MOUSE:
        return RS_KEY_MOUSE;
    default:
        if (k >= KEY_F(1) && k <= KEY_F(12))
            return RS_KEY_F1 + (k - KEY_F(1));
        return RS_KEY_NONE;
    }
}

int
rs_term_key(rs_term *t)
{
    wint_t wc;
    int r = wget_wch(stdscr, &wc);
    if (r == ERR)
        return RS_KEY_NONE;
    if (r == KEY_CODE_YES) {
        int k = map_key((int)wc);
        if (k == RS_KEY_RESIZE) {
            rs_term_invalidate(t);
        } else if (k == RS_KEY_MOUSE) {
            MEVENT ev;
            if (getmouse(&ev) != OK)
                return RS_KEY_NONE;
            t->have_mouse = true;
            t->mx = ev.x;
            t->my = ev.y;
            t->mbutton = 0;
            if (ev.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED))
                t->mbutton = 1;
            else if (ev.bstate & BUTTON4_PRESSED)
                t->mbutton = 4;
#ifdef BUTTON5_PRESSED
            else if (ev.bstate & BUTTON5_PRESSED)
                t->mbutton = 5;
#endif
        }
        return k;
    }
    if (wc == '\n' || wc == '\r')
        return RS_KEY_ENTER;
    if (wc == 8)
        return RS_KEY_BACKSPACE;
    return (int)wc;
}

bool
rs_term_mouse(const rs_term *t, int *x, int *y, int *button)
{
    if (!t->have_mouse)
        return false;
    *x = t->mx;
    *y = t->my;
    *button = t->mbutton;
    return true;
}

/* ---- test readback ---------------------------------------------------------
 */

int
rs_term_debug_row(rs_term *t, int y, char *buf, size_t n)
{
    (void)t;
    if (n == 0 || n > INT_MAX)
        return -1;
    int r = mvwinnstr(stdscr, y, 0, buf, (int)n - 1);
    if (r == ERR)
        return -1;
    buf[r] = 0;
    return r;
}

bool
rs_term_debug_cell(rs_term *t, int x, int y, uint32_t *glyph, int *fg, int *bg,
                   unsigned *attr)
{
    (void)t;
    cchar_t cc;
    if (mvwin_wch(stdscr, y, x, &cc) == ERR)
        return false;
    wchar_t wc[CCHARW_MAX + 1];
    attr_t a;
    short ps;
    int pair = 0;
    if (getcchar(&cc, wc, &a, &ps, &pair) == ERR)
        return false;
    *glyph = (uint32_t)wc[0];
    int f = -1, b = -1;
#ifdef RS_CURSES_NO_ALLOC_PAIR
    short sf = -1, sb = -1;
    if (ps > 0 && pair_content(ps, &sf, &sb) == OK) {
        f = sf;
        b = sb;
    }
#else
    if (pair > 0)
        extended_pair_content(pair, &f, &b);
#endif
    *fg = f;
    *bg = b;
    *attr = ((a & A_BOLD) ? RS_ATTR_BOLD : 0u) |
            ((a & A_DIM) ? RS_ATTR_DIM : 0u) |
            ((a & A_REVERSE) ? RS_ATTR_REVERSE : 0u) |
            ((a & A_UNDERLINE) ? RS_ATTR_UNDERLINE : 0u);
    return true;
}
