/* repscope - MIT licence, see COPYING.
 *
 * layout.c: the screen layout (layout.h). Pure; any thread.
 */
#include "config.h"

#include "ui/layout.h"

#include <stdlib.h>
#include <string.h>

static int
min_height(const struct rs_layout_in *in, int i)
{
    int h = in->min_h != NULL ? in->min_h[i] : RS_LAYOUT_PANEL_H;
    if (h <= 0)
        h = RS_LAYOUT_PANEL_H;
    return h < 3 ? 3 : h;
}

/* Grid columns for a body w wide. */
static int
grid_cols(int w)
{
    return w >= 150 ? 3 : w >= 60 ? 2 : 1;
}

/* Rows needed to show the views in order[0..k-1], cols per row. */
static int
rows_need(const struct rs_layout_in *in, const int *order, int k, int cols,
          int *row_h)
{
    int total = 0, nrows = (k + cols - 1) / cols;
    for (int r = 0; r < nrows; r++) {
        int h = 0;
        for (int c = 0; c < cols && r * cols + c < k; c++) {
            int m = min_height(in, order[r * cols + c]);
            h = m > h ? m : h;
        }
        if (row_h != NULL)
            row_h[r] = h;
        total += h;
    }
    return total;
}

/* How many views fit in body_h rows, placed in order. */
static int
fit_count(const struct rs_layout_in *in, const int *order, int n, int cols,
          int body_h)
{
    int k = n;
    while (k > 1 && rows_need(in, order, k, cols, NULL) > body_h) {
        /* drop a whole row's worth at the end, at least one view */
        int last = (k - 1) % cols + 1;
        k = k - last > 1 ? k - last : 1;
    }
    return k;
}

/* Place order[0..k-1] in a grid filling `area`. */
static void
place_grid(const struct rs_layout_in *in, const int *order, int k, int cols,
           struct rs_rect area, struct rs_layout *out)
{
    int row_h[RS_LAYOUT_MAX];
    int nrows = (k + cols - 1) / cols;
    int need = rows_need(in, order, k, cols, row_h);
    /* Spread the spare rows evenly, the first rows first. */
    int spare = area.h - need;
    for (int r = 0; r < nrows && spare > 0; r++) {
        int add = spare / (nrows - r);
        row_h[r] += add;
        spare -= add;
    }
    int y = area.y;
    for (int r = 0; r < nrows; r++) {
        int inrow = k - r * cols < cols ? k - r * cols : cols;
        int x = area.x;
        for (int c = 0; c < inrow; c++) {
            /* left columns take the odd cells */
            int w = (area.w - (x - area.x) + (inrow - c) - 1) / (inrow - c);
            out->view[order[r * cols + c]] =
                (struct rs_rect){x, y, w, row_h[r]};
            x += w;
        }
        y += row_h[r];
    }
    out->shown = k;
}

void
rs_layout_compute(const struct rs_layout_in *in, struct rs_layout *out)
{
    memset(out, 0, sizeof *out);
    int n = in->n < RS_LAYOUT_MAX ? in->n : RS_LAYOUT_MAX;
    n = n < 0 ? 0 : n;
    if (in->w < RS_LAYOUT_MIN_W || in->h < RS_LAYOUT_MIN_H) {
        out->too_small = true;
        return;
    }
    out->status = (struct rs_rect){0, 0, in->w, 1};
    /* presenter mode: no key bar, the body takes its row */
    int keys_h = in->presenter ? 0 : 1;
    out->keys = (struct rs_rect){0, in->h - keys_h, in->w, keys_h};
    struct rs_rect body = {0, 1, in->w, in->h - 1 - keys_h};
    out->body = body;
    out->cols = grid_cols(in->w);
    if (in->console) {
        int ch = body.h / 3;
        ch = ch < 6 ? 6 : ch > 14 ? 14 : ch;
        body.h -= ch;
        out->console = (struct rs_rect){0, body.y + body.h, in->w, ch};
    }
    int focus = in->focus >= 0 && in->focus < n ? in->focus : -1;
    if (n == 0)
        return;
    if (in->zoom && focus >= 0) {
        /* a tour's page stays under the zoomed panel */
        int nh = in->console ? 0 : in->notes_h;
        if (nh > 0 && nh <= body.h / 3 + 1) {
            body.h -= nh;
            out->notes = (struct rs_rect){0, body.y + body.h, in->w, nh};
        }
        out->view[focus] = body;
        out->shown = 1;
        return;
    }
    int order[RS_LAYOUT_MAX];
    for (int i = 0; i < n; i++)
        order[i] = i;
    int cols = out->cols;
    int notes_h = in->console ? 0 : in->notes_h;
    /* Notes stay when the panels keep at least one full row. */
    if (notes_h > 0 && body.h - notes_h >= rows_need(in, order, 1, 1, NULL) &&
        notes_h <= body.h / 3 + 1) {
        body.h -= notes_h;
        out->notes = (struct rs_rect){0, body.y + body.h, in->w, notes_h};
    }
    int k = fit_count(in, order, n, cols, body.h);
    /* The focused view takes the last slot (fewer if it is taller). */
    while (focus >= 0 && focus >= k) {
        order[k - 1] = focus;
        if (k == 1 || rows_need(in, order, k, cols, NULL) <= body.h)
            break;
        order[k - 1] = k - 1;
        k--;
    }
    /* A lone row of fewer views than columns: use fewer columns. */
    if (k < cols)
        cols = k;
    place_grid(in, order, k, cols, body, out);
    /* Nothing at all fits: the first (or focused) view takes the body. */
    if (rows_need(in, order, k, cols, NULL) > body.h)
        out->view[order[0]] = body;
}

int
rs_layout_at(const struct rs_layout *l, int n, int x, int y)
{
    n = n < RS_LAYOUT_MAX ? n : RS_LAYOUT_MAX;
    for (int i = 0; i < n; i++) {
        struct rs_rect r = l->view[i];
        if (r.w > 0 && x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h)
            return i;
    }
    return -1;
}

int
rs_layout_neighbor(const struct rs_layout *l, int n, int from, int dx, int dy)
{
    n = n < RS_LAYOUT_MAX ? n : RS_LAYOUT_MAX;
    if (from < 0 || from >= n || l->view[from].w == 0)
        return from;
    struct rs_rect a = l->view[from];
    int best = -1, best_d = 0, best_overlap = 0;
    for (int i = 0; i < n; i++) {
        struct rs_rect b = l->view[i];
        if (i == from || b.w == 0)
            continue;
        int d;
        bool overlap;
        if (dx != 0) {
            d = dx > 0 ? b.x - (a.x + a.w) : a.x - (b.x + b.w);
            overlap = b.y < a.y + a.h && a.y < b.y + b.h;
        } else {
            d = dy > 0 ? b.y - (a.y + a.h) : a.y - (b.y + b.h);
            overlap = b.x < a.x + a.w && a.x < b.x + b.w;
        }
        if (d < 0)
            continue;
        /* prefer overlapping spans, then the nearest */
        if (best < 0 || (overlap && !best_overlap) ||
            (overlap == best_overlap && d < best_d)) {
            best = i;
            best_d = d;
            best_overlap = overlap;
        }
    }
    return best >= 0 ? best : from;
}
