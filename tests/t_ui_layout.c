/* repscope - MIT licence, see COPYING.
 *
 * t_ui_layout.c: rs_layout_compute against hand-computed tables at 80x24,
 * 100x30, 160x50 and 40x12 (the demo scene's six views: two charts of
 * minimum height 9, a rank strip 5, a spectrum 7, a neuron map 5, a
 * chart 9), with notes, the console, zoom and a collapsed focused panel;
 * "too small" below 40x12; arrow-key neighbours and clicks; and the
 * invariants over every size from 40x12 to 200x60: visible panels lie
 * inside the body, do not overlap, and the focused one is always shown.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "tests/tap.h"
#include "ui/layout.h"

static const int demo_h[6] = {9, 9, 5, 7, 5, 9};

struct row {
    const char *name;
    int w, h, n, focus, notes_h;
    bool zoom, console;
    int cols, shown;
    struct rs_rect view[6]; /* {0} collapsed */
    struct rs_rect notes, console_r;
};

/* clang-format off */
static const struct row table[] = {
    /* 22 body rows: rows of 9+7 fit, 9+7+9 do not; 6 spare rows split
     * 3 + 3 */
    {"80x24", 80, 24, 6, 0, 0, false, false, 2, 4,
     {{0, 1, 40, 12}, {40, 1, 40, 12}, {0, 13, 40, 10}, {40, 13, 40, 10}},
     {0}, {0}},
    /* notes (5 rows) under 23 body rows: 2 grid rows, spare 7 = 3 + 4 */
    {"100x30 notes", 100, 30, 6, 0, 5, false, false, 2, 4,
     {{0, 1, 50, 12}, {50, 1, 50, 12}, {0, 13, 50, 11}, {50, 13, 50, 11}},
     {0, 24, 100, 5}, {0}},
    /* three columns of 54, 53, 53; rows 9 and 9 in 43, spare 25 = 12 +
     * 13 */
    {"160x50 notes", 160, 50, 6, 0, 5, false, false, 3, 6,
     {{0, 1, 54, 21}, {54, 1, 53, 21}, {107, 1, 53, 21},
      {0, 22, 54, 22}, {54, 22, 53, 22}, {107, 22, 53, 22}},
     {0, 44, 160, 5}, {0}},
    /* one column, ten rows: one panel */
    {"40x12", 40, 12, 6, 0, 0, false, false, 1, 1,
     {{0, 1, 40, 10}}, {0}, {0}},
    /* the focused panel takes the only slot */
    {"40x12 focus 3", 40, 12, 6, 3, 0, false, false, 1, 1,
     {{0}, {0}, {0}, {0, 1, 40, 10}}, {0}, {0}},
    /* focus on a collapsed panel: it takes slot 4; rows 9 + 9, spare 4 */
    {"80x24 focus 5", 80, 24, 6, 5, 0, false, false, 2, 4,
     {{0, 1, 40, 11}, {40, 1, 40, 11}, {0, 12, 40, 11}, {0}, {0},
      {40, 12, 40, 11}}, {0}, {0}},
    {"80x24 zoom", 80, 24, 6, 2, 0, true, false, 2, 1,
     {{0}, {0}, {0, 1, 80, 22}}, {0}, {0}},
    /* console drawer: 22 / 3 = 7 rows; 15 left: one grid row */
    {"80x24 console", 80, 24, 6, 0, 0, false, true, 2, 2,
     {{0, 1, 40, 15}, {40, 1, 40, 15}}, {0}, {0, 16, 80, 7}},
    /* notes do not take a third of the body at 80x24 (22 / 3 + 1 = 8) */
    {"80x24 big notes", 80, 24, 6, 0, 9, false, false, 2, 4,
     {{0, 1, 40, 12}, {40, 1, 40, 12}, {0, 13, 40, 10}, {40, 13, 40, 10}},
     {0}, {0}},
    /* three views: the third gets the whole last row */
    {"100x30 three", 100, 30, 3, 0, 0, false, false, 2, 3,
     {{0, 1, 50, 16}, {50, 1, 50, 16}, {0, 17, 100, 12}}, {0}, {0}},
    /* one view: one column */
    {"100x30 one", 100, 30, 1, 0, 0, false, false, 2, 1,
     {{0, 1, 100, 28}}, {0}, {0}},
};
/* clang-format on */

static bool
same(struct rs_rect a, struct rs_rect b)
{
    return a.x == b.x && a.y == b.y && a.w == b.w && a.h == b.h;
}

static void
check_row(const struct row *r)
{
    struct rs_layout_in in = {.w = r->w,
                              .h = r->h,
                              .n = r->n,
                              .min_h = demo_h,
                              .focus = r->focus,
                              .zoom = r->zoom,
                              .notes_h = r->notes_h,
                              .console = r->console};
    struct rs_layout l;
    rs_layout_compute(&in, &l);
    tap_ok(!l.too_small, "%s: not too small", r->name);
    tap_ok(same(l.status, (struct rs_rect){0, 0, r->w, 1}) &&
               same(l.keys, (struct rs_rect){0, r->h - 1, r->w, 1}),
           "%s: status and key bar rows", r->name);
    tap_is_int(l.cols, r->cols, "%s: columns", r->name);
    tap_is_int(l.shown, r->shown, "%s: panels shown", r->name);
    for (int i = 0; i < r->n; i++) {
        struct rs_rect g = l.view[i], w = r->view[i];
        if (!tap_ok(same(g, w) || (g.w == 0 && w.w == 0), "%s: view %d",
                    r->name, i))
            tap_diag("got {%d, %d, %d, %d}, want {%d, %d, %d, %d}", g.x, g.y,
                     g.w, g.h, w.x, w.y, w.w, w.h);
    }
    tap_ok(same(l.notes, r->notes) || (l.notes.h == 0 && r->notes.h == 0),
           "%s: notes", r->name);
    tap_ok(same(l.console, r->console_r) ||
               (l.console.h == 0 && r->console_r.h == 0),
           "%s: console", r->name);
}

static bool
overlap(struct rs_rect a, struct rs_rect b)
{
    return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h &&
           b.y < a.y + a.h;
}

/* Every size from 40x12 to 200x60, every focus: panels inside the body,
 * disjoint, the focused one shown, no more than fit. */
static void
invariants(void)
{
    long bad_inside = 0, bad_overlap = 0, bad_focus = 0, cases = 0;
    for (int w = 40; w <= 200; w += 3)
        for (int h = 12; h <= 60; h++)
            for (int focus = 0; focus < 6; focus++) {
                struct rs_layout_in in = {.w = w,
                                          .h = h,
                                          .n = 6,
                                          .min_h = demo_h,
                                          .focus = focus,
                                          .notes_h = h >= 28 ? 5 : 0,
                                          .console = focus == 5};
                struct rs_layout l;
                rs_layout_compute(&in, &l);
                cases++;
                for (int i = 0; i < 6; i++) {
                    struct rs_rect r = l.view[i];
                    if (r.w == 0)
                        continue;
                    if (r.x < 0 || r.y < l.body.y || r.x + r.w > w ||
                        r.y + r.h > l.body.y + l.body.h)
                        bad_inside++;
                    if (l.console.h > 0 && overlap(r, l.console))
                        bad_overlap++;
                    if (l.notes.h > 0 && overlap(r, l.notes))
                        bad_overlap++;
                    for (int j = i + 1; j < 6; j++)
                        if (l.view[j].w > 0 && overlap(r, l.view[j]))
                            bad_overlap++;
                }
                if (l.view[focus].w == 0 || l.view[focus].h < 3)
                    bad_focus++;
            }
    tap_ok(bad_inside == 0, "panels inside the body (%ld cases, %ld bad)",
           cases, bad_inside);
    tap_ok(bad_overlap == 0, "panels, notes and console disjoint (%ld bad)",
           bad_overlap);
    tap_ok(bad_focus == 0, "the focused panel is always shown (%ld bad)",
           bad_focus);
}

int
main(void)
{
    tap_plan_lazy();
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        check_row(&table[i]);

    struct rs_layout l;
    struct rs_layout_in small = {.w = 39, .h = 12, .n = 6, .min_h = demo_h};
    rs_layout_compute(&small, &l);
    tap_ok(l.too_small && l.shown == 0, "39x12 is too small");
    small.w = 40;
    small.h = 11;
    rs_layout_compute(&small, &l);
    tap_ok(l.too_small, "40x11 is too small");
    struct rs_layout_in none = {.w = 80, .h = 24, .n = 0, .focus = -1};
    rs_layout_compute(&none, &l);
    tap_ok(!l.too_small && l.shown == 0 && l.body.h == 22,
           "no views: an empty body");

    /* neighbours in the 80x24 grid: 0 1 / 2 3 */
    struct rs_layout_in in = {.w = 80, .h = 24, .n = 6, .min_h = demo_h};
    rs_layout_compute(&in, &l);
    tap_is_int(rs_layout_neighbor(&l, 6, 0, 1, 0), 1, "right of 0 is 1");
    tap_is_int(rs_layout_neighbor(&l, 6, 0, 0, 1), 2, "below 0 is 2");
    tap_is_int(rs_layout_neighbor(&l, 6, 3, -1, 0), 2, "left of 3 is 2");
    tap_is_int(rs_layout_neighbor(&l, 6, 3, 0, -1), 1, "above 3 is 1");
    tap_is_int(rs_layout_neighbor(&l, 6, 0, -1, 0), 0, "nothing left of 0");
    tap_is_int(rs_layout_neighbor(&l, 6, 1, 0, -1), 1, "nothing above 1");
    tap_is_int(rs_layout_at(&l, 6, 45, 5), 1, "a click at (45, 5) is view 1");
    tap_is_int(rs_layout_at(&l, 6, 10, 20), 2, "a click at (10, 20) is 2");
    tap_is_int(rs_layout_at(&l, 6, 10, 0), -1, "the status line is none");

    invariants();
    return tap_done();
}
