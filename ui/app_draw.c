/* repscope - MIT licence, see COPYING.
 *
 * app_draw.c: the composition of the screen (app.h): layout, panels
 * filled from the bus, non-finite flags, notes, console, status line,
 * key bar or message, help overlay; and rs_app_frame for --frame.
 * UI thread only.
 */
#include "config.h"

#include "ui/app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "ui/app_impl.h"
#include "ui/colormap.h"
#include "ui/fmt.h"
#include "ui/help.h"
#include "ui/keys.h"

#define NOTES_LINES 4 /* at most, the rest is cut with '…' */
#define TOUR_LINES 7  /* a tour's page: text, then why or what it waits for */

/* ---- notes ----------------------------------------------------------------
 */

/* Reflow text (single newlines join lines, blank lines separate
 * paragraphs) into at most max lines of w columns; returns the count of
 * lines the whole text needs. Lines are NUL-separated in out. */
static int
wrap(const char *text, int w, char out[][512], int max)
{
    int n = 0, col = 0;
    size_t len = 0;
    const char *p = text;
    while (*p != '\0') {
        if (*p == '\n' && p[1] == '\n') {
            /* paragraph: end the line, skip the blank lines */
            if (col > 0) {
                if (n < max)
                    out[n][len] = '\0';
                n++;
                col = 0;
                len = 0;
            }
            while (*p == '\n')
                p++;
            continue;
        }
        if (*p == ' ' || *p == '\n') {
            p++;
            continue;
        }
        const char *q = p;
        while (*q != '\0' && *q != ' ' && *q != '\n')
            q++;
        char word[512];
        size_t wl = (size_t)(q - p) < sizeof word - 1 ? (size_t)(q - p)
                                                      : sizeof word - 1;
        memcpy(word, p, wl);
        word[wl] = '\0';
        int ww = rs_utf8_width(word);
        if (col > 0 && col + 1 + ww > w) {
            if (n < max)
                out[n][len] = '\0';
            n++;
            col = 0;
            len = 0;
        }
        if (n < max && len + wl + 2 < sizeof out[0]) {
            if (col > 0)
                out[n][len++] = ' ';
            memcpy(out[n] + len, word, wl);
            len += wl;
        }
        col += (col > 0 ? 1 : 0) + ww;
        p = q;
    }
    if (col > 0) {
        if (n < max)
            out[n][len] = '\0';
        n++;
    }
    return n;
}

static const char *
notes_text(const rs_app *a)
{
    return a->set != NULL && a->set->notes != NULL ? a->set->notes : "";
}

/* The tour's current page, or NULL (no tour: the scene's notes). */
static const struct rs_tour_page *
tour_page(const rs_app *a)
{
    return rs_tour_page(a->tour, rs_tour_index(a->tour));
}

/* The second part of a page: why it paused, or what it waits for. */
static void
tour_foot(const rs_app *a, char *out, size_t cap, bool *fired)
{
    const struct rs_tour_page *pg = tour_page(a);
    long step = 0;
    double v = 0;
    *fired = rs_tour_fired(a->tour, &step, &v);
    out[0] = '\0';
    if (*fired) {
        char at[32];
        rs_fmt_grouped(step, at, sizeof at);
        if (pg->cmp == RS_TOUR_STEP)
            snprintf(out, cap, "Step %s: %s", at, pg->why);
        else
            snprintf(out, cap, "Step %s: %s = %.4g. %s", at,
                     pg->series, v, pg->why);
    } else if (rs_tour_waiting(a->tour)) {
        snprintf(out, cap, "(restarting the scene for this chapter)");
    } else if (pg->cmp == RS_TOUR_STEP) {
        char at[32];
        rs_fmt_grouped(pg->at_step, at, sizeof at);
        snprintf(out, cap, "(runs until step %s)", at);
    } else if (pg->cmp != RS_TOUR_NONE) {
        snprintf(out, cap, "(runs until %s %s %g)", pg->series,
                 pg->cmp == RS_TOUR_ABOVE ? ">" : "<", pg->threshold);
    }
}

/* Rows the notes panel wants at width w (0: none). */
static int
notes_rows(const rs_app *a, int w, int h)
{
    const struct rs_tour_page *pg = tour_page(a);
    const char *t = pg != NULL ? pg->text : notes_text(a);
    bool show = a->notes == 1 || (a->notes < 0 && (h >= 28 || pg != NULL));
    if (!show || (t[0] == '\0' && pg == NULL))
        return 0;
    int max = pg != NULL ? TOUR_LINES : NOTES_LINES;
    char lines[TOUR_LINES][512];
    int n = wrap(t, w - 4, lines, max);
    if (pg != NULL) {
        char foot[1024];
        bool fired;
        tour_foot(a, foot, sizeof foot, &fired);
        n += foot[0] != '\0' ? wrap(foot, w - 4, lines, max) : 0;
    }
    return (n < max ? n : max) + 2;
}

/* Lines of text wrapped to w into rows [*y, end) of the panel, the last
 * ending in an ellipsis when more would not fit. */
static void
notes_para(struct rs_canvas *cv, struct rs_rect in, int *y, const char *text,
           struct rs_style st, const struct rs_ui_ctx *ctx)
{
    char lines[TOUR_LINES][512];
    int rows = in.y + in.h - *y;
    rows = rows < TOUR_LINES ? rows : TOUR_LINES;
    if (rows <= 0 || text[0] == '\0')
        return;
    int n = wrap(text, in.w - 2, lines, rows);
    for (int i = 0; i < rows && i < n; i++) {
        if (i == rows - 1 && n > rows) {
            /* more than fits: end with an ellipsis */
            size_t len = strlen(lines[i]);
            snprintf(lines[i] + len, sizeof lines[i] - len, " %s",
                     ctx->ascii ? "..." : "\u2026");
        }
        rs_canvas_text_fit(cv, in.x + 1, (*y)++, lines[i], in.w - 2, st);
    }
}

static void
draw_notes(rs_app *a, struct rs_canvas *cv, struct rs_rect r,
           const struct rs_ui_ctx *ctx)
{
    const struct rs_theme *th = rs_widget_theme(ctx);
    struct rs_ui_ctx c = *ctx;
    c.focused = false;
    const struct rs_tour_page *pg = tour_page(a);
    if (pg == NULL) {
        struct rs_rect in = rs_widget_panel(cv, r, "notes", NULL, &c);
        in.h = in.h < NOTES_LINES ? in.h : NOTES_LINES;
        int y = in.y;
        notes_para(cv, in, &y, notes_text(a), rs_widget_style(th->text, 0),
                   ctx);
        return;
    }
    /* "tour 2/7 · title", and the keys that turn the pages */
    char title[160], info[48];
    int i = rs_tour_index(a->tour), n = rs_tour_count(a->tour);
    snprintf(title, sizeof title, "tour %d/%d%s%s", i + 1, n,
             pg->title[0] ? (ctx->ascii ? " - " : " \u00b7 ") : "",
             pg->title);
    snprintf(info, sizeof info, "%s%s", i > 0 ? "p back" : "",
             i + 1 < n ? (i > 0 ? "  n next" : "n next") : "");
    struct rs_rect in = rs_widget_panel(cv, r, title, info, &c);
    int y = in.y;
    char foot[1024];
    bool fired;
    tour_foot(a, foot, sizeof foot, &fired);
    struct rs_rect text = in;
    if (foot[0] != '\0') {
        /* keep a row for the foot */
        char lines[TOUR_LINES][512];
        int fh = wrap(foot, in.w - 2, lines, TOUR_LINES);
        fh = fh < in.h - 1 ? fh : in.h - 1;
        text.h = in.h - (fh > 0 ? fh : 0);
    }
    notes_para(cv, text, &y, pg->text, rs_widget_style(th->text, 0), ctx);
    notes_para(cv, in, &y, foot,
               fired ? rs_widget_style(th->accent, RS_ATTR_BOLD)
                     : rs_widget_style(th->dim, 0),
               ctx);
}

/* ---- flags --------------------------------------------------------------- */

/* " NaN " on the border of each panel that shows where a non-finite
 * value appeared. */
static void
flag_nonfinite(rs_app *a, struct rs_canvas *cv, const struct rs_ui_ctx *ctx)
{
    if (a->st.nonfinite[0] == '\0')
        return;
    const struct rs_theme *th = rs_widget_theme(ctx);
    int n = rs_views_count(a->views);
    n = n < RS_LAYOUT_MAX ? n : RS_LAYOUT_MAX;
    for (int i = 0; i < n; i++) {
        struct rs_rect r = a->lay.view[i];
        if (r.w >= 12 && rs_app_flagged(a, i))
            rs_canvas_text(
                cv, r.x + r.w - 7, r.y, " NaN ", 5,
                rs_widget_style(th->bad, RS_ATTR_BOLD | RS_ATTR_REVERSE));
    }
}

/* ---- the bottom row -------------------------------------------------------
 */

static void
draw_bottom(rs_app *a, struct rs_canvas *cv, struct rs_rect r,
            const struct rs_ui_ctx *ctx)
{
    const struct rs_theme *th = rs_widget_theme(ctx);
    if (a->msg[0] != '\0') {
        rs_canvas_fill(cv, r, ' ', rs_widget_style(RS_COLOR_DEFAULT, 0));
        rs_canvas_text_fit(
            cv, r.x + 1, r.y, a->msg, r.w - 2,
            rs_widget_style(a->msg_bad ? th->bad : th->accent, RS_ATTR_BOLD));
        return;
    }
    if (a->con_open) {
        rs_keybar_draw(cv, r, a->bar_con, a->nbar_con, ctx);
        return;
    }
    struct rs_keyhint bar[24];
    int nb = a->nbar_main;
    memcpy(bar, a->bar_main, (size_t)nb * sizeof bar[0]);
    if (rs_tour_count(a->tour) == 0) {
        /* no tour: n/p turn no pages */
        int k = 0;
        for (int i = 0; i < nb; i++)
            if (strcmp(bar[i].key, "n/p") != 0)
                bar[k++] = bar[i];
        nb = k;
    }
    int n = rs_views_count(a->views);
    char label[48];
    if (!a->zoom && a->lay.shown < n) {
        /* say that tab reaches the panels that did not fit */
        snprintf(label, sizeof label, "focus (+%d)", n - a->lay.shown);
        for (int i = 0; i < nb; i++)
            if (strcmp(bar[i].key, "tab") == 0) {
                bar[i].label = label;
                bar[i].prio = 1;
            }
    }
    rs_keybar_draw(cv, r, bar, nb, ctx);
}

/* ---- the screen ---------------------------------------------------------- */

static void
too_small(struct rs_canvas *cv, const struct rs_ui_ctx *ctx)
{
    const struct rs_theme *th = rs_widget_theme(ctx);
    char msg[96];
    snprintf(msg, sizeof msg,
             "terminal too small (%dx%d): repscope needs "
             "%dx%d",
             cv->w, cv->h, RS_LAYOUT_MIN_W, RS_LAYOUT_MIN_H);
    struct rs_rect all = {0, 0, cv->w, cv->h};
    rs_canvas_fill(cv, all, ' ', rs_widget_style(RS_COLOR_DEFAULT, 0));
    /* wrapped over as many rows as it needs */
    char lines[4][512];
    int n = wrap(msg, cv->w > 2 ? cv->w - 2 : 1, lines, 4);
    n = n < 4 ? n : 4;
    for (int i = 0; i < n; i++) {
        int w = rs_utf8_width(lines[i]);
        rs_canvas_text(cv, (cv->w - w) / 2 > 0 ? (cv->w - w) / 2 : 0,
                       (cv->h - n) / 2 + i, lines[i], cv->w,
                       rs_widget_style(th->warn, RS_ATTR_BOLD));
    }
}

/* ---- kept panels ------------------------------------------------------- */

void
rs_app_pcache_free(rs_app *a)
{
    for (int i = 0; i < RS_LAYOUT_MAX; i++) {
        rs_canvas_free(a->pc[i].cv);
        a->pc[i].cv = NULL;
    }
}

/* Show panel i as kept, if it was kept for the same everything. */
static bool
pcache_reuse(rs_app *a, int i, const struct rs_widget *w, struct rs_canvas *cv,
             const struct rs_ui_ctx *ctx)
{
    const struct rs_app_pcache *c = &a->pc[i];
    if (i >= RS_LAYOUT_MAX || c->cv == NULL || c->gen != a->gen ||
        rs_views_changed(a->views, i) ||
        memcmp(&c->r, &w->r, sizeof c->r) != 0 || c->focused != w->focused ||
        c->ascii != ctx->ascii || c->color != ctx->color ||
        c->theme != ctx->theme)
        return false;
    rs_canvas_copy(cv, w->r.x, w->r.y, c->cv,
                   (struct rs_rect){0, 0, w->r.w, w->r.h});
    return true;
}

/* Keep panel i as just drawn into cv. */
static void
pcache_keep(rs_app *a, int i, const struct rs_widget *w,
            const struct rs_canvas *cv, const struct rs_ui_ctx *ctx)
{
    if (i >= RS_LAYOUT_MAX)
        return;
    struct rs_app_pcache *c = &a->pc[i];
    if (c->cv == NULL)
        c->cv = rs_canvas_new(w->r.w, w->r.h);
    else if (c->cv->w != w->r.w || c->cv->h != w->r.h)
        rs_canvas_resize(c->cv, w->r.w, w->r.h);
    rs_canvas_copy(c->cv, 0, 0, cv, w->r);
    c->r = w->r;
    c->focused = w->focused;
    c->ascii = ctx->ascii;
    c->color = ctx->color;
    c->theme = ctx->theme;
    c->gen = a->gen;
}

void
rs_app_draw(rs_app *a, struct rs_canvas *cv, const struct rs_ui_ctx *ctx)
{
    rs_canvas_clear(cv);
    int n = rs_views_count(a->views);
    if (a->focus >= n)
        a->focus = n > 0 ? n - 1 : 0;
    int min_h[RS_LAYOUT_MAX];
    for (int i = 0; i < n && i < RS_LAYOUT_MAX; i++)
        min_h[i] = rs_views_min_h(a->views, i);
    struct rs_layout_in in = {
        .w = cv->w,
        .h = cv->h,
        .n = n,
        .min_h = min_h,
        .focus = n > 0 ? a->focus : -1,
        .zoom = a->zoom,
        /* a zoomed panel keeps a tour's page under it, not the notes */
        .notes_h = a->zoom && a->tour == NULL ? 0 : notes_rows(a, cv->w, cv->h),
        .console = a->con_open,
        .presenter = a->presenter,
    };
    rs_layout_compute(&in, &a->lay);
    if (a->lay.too_small) {
        too_small(cv, ctx);
        return;
    }
    for (int i = 0; i < n; i++) {
        struct rs_widget *w = rs_views_widget(a->views, i);
        w->r = i < RS_LAYOUT_MAX ? a->lay.view[i] : (struct rs_rect){0};
        w->focused = i == a->focus;
    }
    struct rs_views_frame fr = {
        .st = &a->st,
        .events = a->cev,
        .nevents = a->nev,
        .layer = a->layer[0] != '\0' ? a->layer : NULL,
    };
    rs_views_fill(a->views, a->o.bus, &fr);
    a->drawn = 0;
    for (int i = 0; i < n; i++) {
        struct rs_widget *w = rs_views_widget(a->views, i);
        if (w->r.w <= 0 || w->r.h <= 0)
            continue;
        if (pcache_reuse(a, i, w, cv, ctx))
            continue;
        rs_widget_draw(w, cv, ctx);
        a->drawn++;
        pcache_keep(a, i, w, cv, ctx);
    }
    if (n == 0) {
        const char *what = a->st.state == RS_SESSION_FAILED
                               ? "no panels: the scene did not start"
                           : a->o.q == NULL ? "waiting for the run's records"
                                            : "loading the scene";
        rs_widget_empty(cv, a->lay.body, what, ctx);
    }
    flag_nonfinite(a, cv, ctx);
    if (a->lay.notes.h > 0)
        draw_notes(a, cv, a->lay.notes, ctx);
    if (a->lay.console.h > 0) {
        char info[64];
        snprintf(info, sizeof info, "Lua, or set KEY=VALUE");
        rs_console_draw(cv, a->lay.console, a->con,
                        a->con_open && !a->help_open, info, ctx);
    }
    struct rs_statusbar sb = {
        .st = a->have_st ? &a->st : NULL,
        .mode = a->o.mode,
        .brief = a->presenter,
    };
    rs_statusbar_draw(cv, a->lay.status, &sb, ctx);
    if (a->lay.keys.h > 0)
        draw_bottom(a, cv, a->lay.keys, ctx);
    if (a->help_open) {
        a->help->r = (struct rs_rect){0, 0, cv->w, cv->h};
        rs_widget_draw(a->help, cv, ctx);
    }
}

int
rs_app_frame(rs_bus *bus, const char *mode, int w, int h, bool ascii,
             enum rs_color_mode color, FILE *f, struct rs_error *err)
{
    /* a queue nobody reads: the key bar looks as in a live session */
    rs_cmdq *q = mode == NULL ? rs_cmdq_new(1) : NULL;
    struct rs_app_opts o = {.bus = bus, .q = q, .mode = mode};
    rs_app *a = rs_app_new(&o);
    rs_app_update(a);
    a->msg[0] = '\0';
    struct rs_canvas *cv = rs_canvas_new(w, h);
    struct rs_ui_ctx ctx = {.color = color, .ascii = ascii};
    rs_app_draw(a, cv, &ctx);
    int rc = color == RS_COLOR_MONO ? rs_canvas_dump(cv, f, ascii)
                                    : rs_canvas_dump_ansi(cv, f, color, ascii);
    rs_canvas_free(cv);
    rs_app_free(a);
    rs_cmdq_free(q);
    if (rc != 0 || fflush(f) != 0)
        return rs_error_set(err, RS_EIO, "cannot write the frame");
    return RS_OK;
}
