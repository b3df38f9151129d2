/* repscope - MIT licence, see COPYING.
 *
 * t_ui_table.c: the table widget (ui/table.h): the header and each row's
 * label and values (whole numbers as such, NaN as "-"); a panel too
 * narrow scrolls its columns with right/end and says which it shows; too
 * short, it ends in "+k more"; the SVG export holds every value.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "tests/tap.h"
#include "ui/canvas.h"
#include "ui/table.h"

static const float data[] = {150, 0.5f, NAN, 150, 0.875f, 2.5f, 90, 1, 3};
static const char *const rows[] = {"lr=1e-3", "lr=3e-3", "lr=1e-2"};
static const char *const cols[] = {"step", "train/acc", "test/loss"};

static char *
draw(struct rs_widget *w, int cw, int ch)
{
    struct rs_canvas *cv = rs_canvas_new(cw, ch);
    struct rs_ui_ctx ctx = {.color = RS_COLOR_MONO};
    w->r = (struct rs_rect){0, 0, cw, ch};
    rs_widget_draw(w, cv, &ctx);
    char *s = rs_canvas_dump_string(cv, false);
    rs_canvas_free(cv);
    return s;
}

int
main(void)
{
    tap_plan_lazy();
    struct rs_widget *w = rs_table_widget_new();
    struct rs_heatmap *h = rs_table_widget_data(w);
    h->title = "final values";
    h->data = data;
    h->rows = 3;
    h->cols = 3;
    h->row_labels = rows;
    h->col_labels = cols;
    char *s = draw(w, 50, 6);
    tap_diag("\n%s", s);
    tap_ok(strstr(s, "step  train/acc  test/loss") != NULL, "the header");
    tap_ok(strstr(s, "lr=1e-3   150      0.500          -") != NULL,
           "a row: a whole step, a value, NaN as -");
    tap_ok(strstr(s, "lr=3e-3   150      0.875      2.500") != NULL,
           "the second row");
    free(s);
    s = draw(w, 50, 5);
    tap_ok(strstr(s, "lr=1e-3") != NULL && strstr(s, "+2 more") != NULL,
           "too short: a row, then +2 more");
    free(s);
    s = draw(w, 38, 7);
    tap_diag("\n%s", s);
    tap_ok(strstr(s, "cols 1-2 of 3") != NULL && strstr(s, "test/loss") == NULL,
           "too narrow: the first two columns");
    unsigned k = rs_widget_key(w, RS_KEY_END);
    free(s);
    s = draw(w, 38, 7);
    tap_ok((k & RS_UI_REDRAW) && strstr(s, "cols 2-3 of 3") != NULL &&
               strstr(s, "test/loss") != NULL,
           "end scrolls to the last columns");
    tap_is_int(rs_widget_key(w, RS_KEY_RIGHT), RS_UI_HANDLED,
               "right at the end changes nothing");
    free(s);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct rs_error err = {0};
    tap_ok(rs_table_svg(f, h, &err) == RS_OK, "svg (%s)", err.msg);
    fclose(f);
    tap_ok(buf != NULL && strstr(buf, ">0.875</text>") &&
               strstr(buf, ">lr=1e-2</text>") && strstr(buf, ">test/loss<"),
           "the svg holds the values and labels");
    free(buf);
    rs_widget_free(w);
    return tap_done();
}
