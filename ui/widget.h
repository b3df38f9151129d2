/* repscope - MIT licence, see COPYING.
 *
 * widget.h: the widget "class" (htop MeterClass, tmux window_mode): a
 * const vtable of draw/key/free, and struct rs_widget embedded first in
 * every concrete widget. Plus what all widgets share: the drawing context,
 * key codes (independent of curses; ui/term.c translates), handler flags
 * and the panel chrome (a titled box in theme colours).
 *
 * Every widget module has a pure draw function over a plain input struct
 * (rs_chart_draw(cv, rect, &chart, ctx), ...) that reads nothing else: no
 * globals, no clock, no terminal. Its class wraps the same struct: the
 * loop fills the data fields from bus copies, keys change the view-state
 * fields, and the class's draw calls the pure function. UI thread only.
 */
#ifndef RS_UI_WIDGET_H
#define RS_UI_WIDGET_H

#include <stdbool.h>

#include "ui/canvas.h"
#include "ui/colormap.h"

/* What a key handler did (htop HandlerResult): flags, not actions. */
enum rs_ui_flags {
    RS_UI_HANDLED = 1,    /* the key was consumed */
    RS_UI_REDRAW = 2,     /* the widget's view changed */
    RS_UI_QUIT = 4,       /* leave the program */
    RS_UI_FOCUS_NEXT = 8, /* move the focus on */
    RS_UI_CLOSE = 16      /* an overlay (help) asks to be closed */
};

/* Key codes: Unicode code points for text keys, these above it. */
enum rs_key {
    RS_KEY_NONE = -1,
    RS_KEY_TAB = '\t',
    RS_KEY_ENTER = '\r',
    RS_KEY_ESC = 27,
    RS_KEY_BACKSPACE = 127,
    RS_KEY_UP = 0x110000,
    RS_KEY_DOWN,
    RS_KEY_LEFT,
    RS_KEY_RIGHT,
    RS_KEY_PGUP,
    RS_KEY_PGDN,
    RS_KEY_HOME,
    RS_KEY_END,
    RS_KEY_BACKTAB,
    RS_KEY_DELETE,
    RS_KEY_RESIZE,
    RS_KEY_MOUSE,
    RS_KEY_F1 /* .. RS_KEY_F1 + 11 */
};

/* How to draw: set once per frame by the loop from the backend. */
struct rs_ui_ctx {
    enum rs_color_mode color;
    bool ascii;                   /* ASCII glyphs only */
    const struct rs_theme *theme; /* NULL: rs_theme_dark */
    bool focused; /* the widget being drawn has the focus (rs_widget_draw) */
};

struct rs_widget;

struct rs_widget_class {
    const char *name;
    void (*draw)(struct rs_widget *w, struct rs_canvas *cv,
                 const struct rs_ui_ctx *ctx);
    /* Returns enum rs_ui_flags; NULL: the widget takes no keys. */
    unsigned (*key)(struct rs_widget *w, int key);
    void (*free)(struct rs_widget *w);
};

struct rs_widget {
    const struct rs_widget_class *cls;
    struct rs_rect r; /* where it draws (set by the layout) */
    bool focused, dirty;
};

/* Draw w inside w->r (the canvas is clipped to it meanwhile). */
static inline void
rs_widget_draw(struct rs_widget *w, struct rs_canvas *cv,
               const struct rs_ui_ctx *ctx)
{
    struct rs_ui_ctx c = *ctx;
    c.focused = w->focused;
    struct rs_rect old = rs_canvas_set_clip(cv, w->r);
    w->cls->draw(w, cv, &c);
    rs_canvas_set_clip(cv, old);
    w->dirty = false;
}

static inline unsigned
rs_widget_key(struct rs_widget *w, int key)
{
    return w->cls->key != NULL ? w->cls->key(w, key) : 0u;
}

static inline void
rs_widget_free(struct rs_widget *w)
{
    if (w != NULL)
        w->cls->free(w);
}

static inline const struct rs_theme *
rs_widget_theme(const struct rs_ui_ctx *ctx)
{
    return ctx != NULL && ctx->theme != NULL ? ctx->theme : &rs_theme_dark;
}

static inline struct rs_style
rs_widget_style(uint32_t fg, uint16_t attr)
{
    return (struct rs_style){fg, RS_COLOR_DEFAULT, attr};
}

/* The panel chrome: a box on the border of r titled "title" with "info"
 * on the right (either may be NULL), bold border when ctx->focused.
 * Clears the inside and returns it (r shrunk by one cell each side). */
struct rs_rect rs_widget_panel(struct rs_canvas *cv, struct rs_rect r,
                               const char *title, const char *info,
                               const struct rs_ui_ctx *ctx);
/* "no data" (or msg) centred in r, dim. */
void rs_widget_empty(struct rs_canvas *cv, struct rs_rect r, const char *msg,
                     const struct rs_ui_ctx *ctx);

#endif /* RS_UI_WIDGET_H */
