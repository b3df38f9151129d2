/* repscope - MIT licence, see COPYING.
 *
 * layout.h: where everything goes on a screen of w x h cells. The status
 * line is the first row and the key bar the last; between them a grid of
 * panels (one column below 60 columns, two below 150, else three), rows
 * filled in the order of the scene's views, as many rows as the panels'
 * minimum heights allow: panels that do not fit collapse, least
 * important (last declared) first. A focused panel that collapsed takes
 * the last visible slot, so tab reaches every panel and any can be
 * zoomed: a zoomed panel fills the whole body but the notes. The notes
 * panel (when asked for) and the console drawer sit under the grid.
 * Presenter mode drops the key bar. Below
 * RS_LAYOUT_MIN_W x RS_LAYOUT_MIN_H nothing is placed and too_small is
 * set: the caller says so instead.
 *
 * Pure: rs_layout_compute reads only its arguments (table-driven tests
 * at 80x24, 100x30, 160x50, 40x12). Any thread.
 */
#ifndef RS_UI_LAYOUT_H
#define RS_UI_LAYOUT_H

#include <stdbool.h>

#include "ui/canvas.h"

#define RS_LAYOUT_MAX 16 /* views placed; more are never shown */
#define RS_LAYOUT_MIN_W 40
#define RS_LAYOUT_MIN_H 12
#define RS_LAYOUT_PANEL_H 8 /* minimum height when a view gives none */

struct rs_layout_in {
    int w, h;
    int n;            /* views (at most RS_LAYOUT_MAX are placed) */
    const int *min_h; /* (n) minimum height of each, or NULL (all
                       * RS_LAYOUT_PANEL_H); values below 3 count as 3 */
    int focus;        /* focused view, -1: none */
    bool zoom;        /* the focused view fills the body */
    int notes_h;      /* rows of the notes panel, borders included; 0: none */
    bool console;     /* the console drawer is open */
    bool presenter;   /* no key bar (keys.h 0): presenter mode */
};

struct rs_layout {
    bool too_small;
    struct rs_rect status, keys;        /* one row each */
    struct rs_rect body;                /* between them */
    struct rs_rect notes;               /* h 0: not shown */
    struct rs_rect console;             /* h 0: closed */
    struct rs_rect view[RS_LAYOUT_MAX]; /* w 0: collapsed */
    int cols;                           /* grid columns */
    int shown;                          /* views with a rectangle */
};

void rs_layout_compute(const struct rs_layout_in *in, struct rs_layout *out);
/* The view whose rectangle holds cell (x, y), or -1. */
int rs_layout_at(const struct rs_layout *l, int n, int x, int y);
/* The visible view next to `from` in direction (dx, dy) (one of them 0):
 * the nearest whose rectangle lies that way and overlaps from's span on
 * the other axis, else the nearest that way at all; `from` when there is
 * none. */
int rs_layout_neighbor(const struct rs_layout *l, int n, int from, int dx,
                       int dy);

#endif /* RS_UI_LAYOUT_H */
