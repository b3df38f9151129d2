/* repscope - MIT licence, see COPYING.
 *
 * statusbar.c: the status line and the key bar (statusbar.h). Both lay
 * out a list of fields, drop the least important until the rest fits,
 * then draw. UI thread.
 */
#include "config.h"

#include "ui/statusbar.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "ui/colormap.h"
#include "ui/fmt.h"

#define MAX_FIELDS 12

struct field {
    const char *lab; /* dim prefix, may be NULL */
    char val[112];
    struct rs_style st;
    int prio; /* higher is dropped first */
    bool badge, on;
};

static int
field_width(const struct field *f)
{
    int w = rs_utf8_width(f->val) + (f->badge ? 2 : 0);
    if (f->lab != NULL)
        w += rs_utf8_width(f->lab) + 1;
    return w;
}

/* Total width of the fields that are on, with gaps of 2. */
static int
fields_width(const struct field *f, int n)
{
    int w = 0, k = 0;
    for (int i = 0; i < n; i++)
        if (f[i].on) {
            w += field_width(&f[i]) + (k++ > 0 ? 2 : 0);
        }
    return w;
}

/* Turn off the least important field of priority >= min; false if
 * there is none. */
static bool
drop_one(struct field *f, int n, int min)
{
    int worst = -1;
    for (int i = 0; i < n; i++)
        if (f[i].on && f[i].prio >= min &&
            (worst < 0 || f[i].prio >= f[worst].prio))
            worst = i;
    if (worst < 0)
        return false;
    f[worst].on = false;
    return true;
}

static int
draw_fields(struct rs_canvas *cv, int x, int y, const struct field *f, int n,
            struct rs_style dim)
{
    int x0 = x, k = 0;
    for (int i = 0; i < n; i++) {
        if (!f[i].on)
            continue;
        if (k++ > 0)
            x += 2;
        if (f[i].lab != NULL) {
            x += rs_canvas_text(cv, x, y, f[i].lab, -1, dim);
            x += 1;
        }
        if (f[i].badge) {
            rs_canvas_put(cv, x++, y, ' ', f[i].st);
            x += rs_canvas_text(cv, x, y, f[i].val, -1, f[i].st);
            rs_canvas_put(cv, x++, y, ' ', f[i].st);
        } else {
            x += rs_canvas_text(cv, x, y, f[i].val, -1, f[i].st);
        }
    }
    return x - x0;
}

static uint32_t
state_color(enum rs_session_state s, const struct rs_theme *th)
{
    switch (s) {
    case RS_SESSION_RUNNING:
        return th->good;
    case RS_SESSION_PAUSED:
        return th->warn;
    case RS_SESSION_DONE:
        return th->done;
    case RS_SESSION_FAILED:
        return th->bad;
    default:
        return th->idle;
    }
}

void
rs_statusbar_draw(struct rs_canvas *cv, struct rs_rect r,
                  const struct rs_statusbar *sb, const struct rs_ui_ctx *ctx)
{
    const struct rs_theme *th = rs_widget_theme(ctx);
    struct rs_bus_status none;
    const struct rs_bus_status *st = sb->st;
    if (st == NULL) {
        memset(&none, 0, sizeof none);
        none.state = RS_SESSION_LOADING;
        none.total = -1;
        none.eta_s = -1;
        st = &none;
    }
    if (r.w <= 0 || r.h <= 0)
        return;
    struct rs_style dim = rs_widget_style(th->dim, 0);
    struct rs_style val = rs_widget_style(th->text, RS_ATTR_BOLD);
    rs_canvas_fill(cv, (struct rs_rect){r.x, r.y, r.w, 1}, ' ',
                   rs_widget_style(RS_COLOR_DEFAULT, 0));
    struct field f[MAX_FIELDS];
    int n = 0;
    char a[32], b[32];
    memset(f, 0, sizeof f);
    /* the state badge */
    snprintf(f[n].val, sizeof f[n].val, "%s", rs_session_state_name(st->state));
    for (char *p = f[n].val; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    f[n].st = rs_widget_style(state_color(st->state, th),
                              RS_ATTR_BOLD | RS_ATTR_REVERSE);
    f[n].badge = true;
    f[n++].prio = 0;
    if (st->nonfinite[0] != 0) {
        snprintf(f[n].val, sizeof f[n].val, "%s", st->nonfinite);
        f[n].lab = "non-finite";
        f[n].st = rs_widget_style(th->bad, RS_ATTR_BOLD);
        f[n++].prio = 2;
    }
    rs_fmt_grouped(st->step, a, sizeof a);
    if (st->total > 0)
        snprintf(f[n].val, sizeof f[n].val, "%s/%s", a,
                 rs_fmt_si((double)st->total, b, sizeof b));
    else
        snprintf(f[n].val, sizeof f[n].val, "%s", a);
    f[n].lab = "step";
    f[n].st = val;
    f[n++].prio = 1;
    if (st->state == RS_SESSION_RUNNING && st->steps_per_s > 0) {
        snprintf(f[n].val, sizeof f[n].val, "%s st/s",
                 rs_fmt_si(st->steps_per_s, a, sizeof a));
        f[n].st = val;
        f[n++].prio = 3;
    }
    if (st->speed > 0) {
        snprintf(f[n].val, sizeof f[n].val, "%s%s/s",
                 ctx->ascii ? "<=" : "\u2264",
                 rs_fmt_si(st->speed, a, sizeof a));
        f[n].st = rs_widget_style(th->warn, 0);
        f[n++].prio = 5;
    }
    if (st->state == RS_SESSION_RUNNING && st->eta_s >= 0) {
        rs_fmt_duration(st->eta_s, f[n].val, sizeof f[n].val);
        f[n].lab = "ETA";
        f[n].st = val;
        f[n++].prio = 4;
    }
    if (st->probe_frac > 0) {
        snprintf(f[n].val, sizeof f[n].val, "%.0f%%", st->probe_frac * 100.0);
        f[n].lab = "probes";
        f[n].st = val;
        f[n++].prio = 6;
    }
    if (st->runs > 0) {
        snprintf(f[n].val, sizeof f[n].val, "%d run%s", st->runs,
                 st->runs == 1 ? "" : "s");
    } else {
        snprintf(f[n].val, sizeof f[n].val, "%lu", st->seed);
        f[n].lab = "seed";
    }
    f[n].st = val;
    f[n++].prio = 7;
    if (st->kernel[0] != 0) {
        snprintf(f[n].val, sizeof f[n].val, "%s", st->kernel);
        f[n].st = dim;
        f[n++].prio = 8;
    }
    for (int i = 0; i < n; i++)
        f[i].on = !sb->brief || f[i].prio <= 2; /* brief: state and step */

    /* left: " repscope · title" (or the failure message) */
    const char *app = sb->app ? sb->app : "repscope";
    char left[64];
    snprintf(left, sizeof left, " %s%s%s", app, sb->mode ? " " : "",
             sb->mode ? sb->mode : "");
    const char *title = st->title[0] ? st->title : st->scene;
    bool failed = st->state == RS_SESSION_FAILED && st->message[0];
    if (failed)
        title = st->message;
    /* Fit in three phases: minor fields give way to the title (up to 40
     * columns, 60 for a failure), then the title shrinks to 12 while the
     * secondary fields go, then the title goes before the step does. */
    int lw = rs_utf8_width(left);
    int tw = rs_utf8_width(title);
    static const int floor_prio[3] = {5, 2, 1};
    int want[3] = {tw < (failed ? 60 : 40) ? tw : (failed ? 60 : 40),
                   tw < 12 ? tw : 12, 0};
    for (int ph = 0; ph < 3; ph++) {
        for (;;) {
            int need = lw + (want[ph] > 0 ? 3 + want[ph] : 0) + 2 +
                       fields_width(f, n) + 1;
            if (need <= r.w || !drop_one(f, n, floor_prio[ph]))
                break;
        }
    }
    int fw = fields_width(f, n);
    int x = r.x;
    x += rs_canvas_text(cv, x, r.y, left, r.w,
                        rs_widget_style(th->accent, RS_ATTR_BOLD));
    int room = r.w - lw - 2 - fw - 1 - 3;
    if (tw > 0 && room >= (tw < 6 ? tw : 6)) {
        x +=
            rs_canvas_text(cv, x, r.y, ctx->ascii ? " . " : " \u00b7 ", 3, dim);
        rs_canvas_text_fit(cv, x, r.y, title, room,
                           failed ? rs_widget_style(th->bad, RS_ATTR_BOLD)
                                  : rs_widget_style(th->title, RS_ATTR_BOLD));
    }
    if (fw <= r.w)
        draw_fields(cv, r.x + r.w - 1 - fw, r.y, f, n, dim);
}

const char *
rs_keybar_key_name(const char *key, const struct rs_ui_ctx *ctx)
{
    static const struct {
        const char *name, *sym;
    } syms[] = {{"enter", "\u23ce"},
                {"left", "\u2190"},
                {"right", "\u2192"},
                {"up", "\u2191"},
                {"down", "\u2193"}};
    if (key == NULL || ctx->ascii)
        return key;
    for (size_t i = 0; i < RS_ARRAY_LEN(syms); i++)
        if (strcmp(key, syms[i].name) == 0)
            return syms[i].sym;
    return key;
}

void
rs_keybar_draw(struct rs_canvas *cv, struct rs_rect r,
               const struct rs_keyhint *keys, int n,
               const struct rs_ui_ctx *ctx)
{
    const struct rs_theme *th = rs_widget_theme(ctx);
    if (r.w <= 0 || r.h <= 0)
        return;
    rs_canvas_fill(cv, (struct rs_rect){r.x, r.y, r.w, 1}, ' ',
                   rs_widget_style(RS_COLOR_DEFAULT, 0));
    bool *on = rs_xcalloc(n > 0 ? (size_t)n : 1, sizeof *on);
    for (int i = 0; i < n; i++)
        on[i] = keys[i].key != NULL;
    for (;;) {
        int w = 1, worst = -1;
        for (int i = 0; i < n; i++) {
            if (!on[i])
                continue;
            w += rs_utf8_width(rs_keybar_key_name(keys[i].key, ctx)) + 1 +
                 rs_utf8_width(keys[i].label) + 2;
            if (keys[i].prio > 0 &&
                (worst < 0 || keys[i].prio >= keys[worst].prio))
                worst = i;
        }
        if (w - 2 <= r.w || worst < 0)
            break;
        on[worst] = false;
    }
    int x = r.x + 1, end = r.x + r.w;
    for (int i = 0; i < n && x < end; i++) {
        if (!on[i])
            continue;
        x += rs_canvas_text(cv, x, r.y, rs_keybar_key_name(keys[i].key, ctx),
                            end - x, rs_widget_style(th->accent, RS_ATTR_BOLD));
        x += 1;
        if (x < end)
            x += rs_canvas_text_fit(cv, x, r.y, keys[i].label, end - x,
                                    rs_widget_style(th->dim, 0));
        x += 2;
    }
    free(on);
}

/* ---- widgets --------------------------------------------------------------
 */

struct statusbar_widget {
    struct rs_widget base;
    struct rs_statusbar sb;
};

struct keybar_widget {
    struct rs_widget base;
    const struct rs_keyhint *keys;
    int n;
};

static void
statusbar_widget_draw(struct rs_widget *w, struct rs_canvas *cv,
                      const struct rs_ui_ctx *ctx)
{
    rs_statusbar_draw(cv, w->r, &((struct statusbar_widget *)w)->sb, ctx);
}

static void
keybar_widget_draw(struct rs_widget *w, struct rs_canvas *cv,
                   const struct rs_ui_ctx *ctx)
{
    struct keybar_widget *kw = (struct keybar_widget *)w;
    rs_keybar_draw(cv, w->r, kw->keys, kw->n, ctx);
}

static void
widget_free(struct rs_widget *w)
{
    free(w);
}

const struct rs_widget_class rs_statusbar_class = {
    .name = "statusbar",
    .draw = statusbar_widget_draw,
    .key = NULL,
    .free = widget_free,
};

const struct rs_widget_class rs_keybar_class = {
    .name = "keybar",
    .draw = keybar_widget_draw,
    .key = NULL,
    .free = widget_free,
};

struct rs_widget *
rs_statusbar_widget_new(void)
{
    struct statusbar_widget *sw = rs_xcalloc(1, sizeof *sw);
    sw->base.cls = &rs_statusbar_class;
    sw->base.dirty = true;
    return &sw->base;
}

struct rs_statusbar *
rs_statusbar_widget_data(struct rs_widget *w)
{
    RS_ASSERT(w->cls == &rs_statusbar_class);
    return &((struct statusbar_widget *)w)->sb;
}

struct rs_widget *
rs_keybar_widget_new(const struct rs_keyhint *keys, int n)
{
    struct keybar_widget *kw = rs_xcalloc(1, sizeof *kw);
    kw->base.cls = &rs_keybar_class;
    kw->base.dirty = true;
    kw->keys = keys;
    kw->n = n;
    return &kw->base;
}
