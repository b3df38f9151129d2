/* repscope - MIT licence, see COPYING.
 *
 * app.c: the app's state and what keys do (app.h). What it takes from
 * the bus each frame is in app_update.c, drawing in app_draw.c. Every key goes
 * through the keymap (ui/keys.c): a key not in it does nothing, so the help
 * overlay lists every key there is. UI thread only.
 */
#include "config.h"

#include "ui/app.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "ui/app_impl.h"
#include "ui/help.h"
#include "ui/keys.h"

rs_app *
rs_app_new(const struct rs_app_opts *o)
{
    rs_app *a = rs_xcalloc(1, sizeof *a);
    a->o = *o;
    a->st.state = RS_SESSION_LOADING;
    a->st.total = -1;
    a->st.eta_s = -1;
    a->prev_state = RS_SESSION_LOADING;
    a->con = rs_console_new();
    a->notes = -1;
    a->presenter = o->presenter;
    bool session = o->q != NULL;
    int nh = rs_keys_help(session, a->hints, RS_APP_HINTS);
    a->help = rs_help_widget_new(a->hints, nh);
    rs_help_widget_data(a->help)->title =
        session ? "keys · esc closes" : "keys (read-only) · esc closes";
    a->nbar_main = rs_keys_bar(RS_KEYS_MAIN, session, a->bar_main,
                               (int)RS_ARRAY_LEN(a->bar_main));
    a->nbar_con = rs_keys_bar(RS_KEYS_CONSOLE, session, a->bar_con,
                              (int)RS_ARRAY_LEN(a->bar_con));
    a->views = rs_views_new(NULL);
    return a;
}

void
rs_app_free(rs_app *a)
{
    if (a == NULL)
        return;
    rs_views_free(a->views);
    rs_viewspec_free(a->set);
    rs_app_pcache_free(a);
    free(a->views_json);
    rs_tour_free(a->tour);
    free(a->tour_json);
    rs_console_free(a->con);
    rs_widget_free(a->help);
    free(a);
}

const struct rs_bus_status *
rs_app_status(const rs_app *a)
{
    return &a->st;
}

bool
rs_app_quitting(const rs_app *a)
{
    return a->quitting;
}

int
rs_app_views(const rs_app *a)
{
    return rs_views_count(a->views);
}

int
rs_app_focus(const rs_app *a)
{
    return a->focus;
}

bool
rs_app_zoomed(const rs_app *a)
{
    return a->zoom;
}

int
rs_app_tour_page(const rs_app *a, int *count)
{
    if (count != NULL)
        *count = rs_tour_count(a->tour);
    return rs_tour_index(a->tour);
}

int
rs_app_drawn(const rs_app *a)
{
    return a->drawn;
}

void
rs_app_note(rs_app *a, bool bad, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->msg, sizeof a->msg, fmt, ap);
    va_end(ap);
    a->msg_bad = bad;
    a->msg_sticky = false;
    rs_console_add(a->con, a->msg, bad ? RS_CONSOLE_OUT : RS_CONSOLE_NOTE);
}

/* ---- commands ------------------------------------------------------------ */

bool
rs_app_send(rs_app *a, const struct rs_cmd *c)
{
    if (rs_cmdq_push(a->o.q, c) != RS_OK) {
        rs_app_note(a, true, "the worker is busy: try again");
        return false;
    }
    /* Count the commands that answer with exactly one line: a speed
     * change and a checkpoint always do, and after the end the worker
     * refuses training commands with a notice. Console commands are left
     * out: their output goes to the console and may be any length, and
     * counting them would let a late console line take a key's reply. */
    bool ended =
        a->st.state == RS_SESSION_DONE || a->st.state == RS_SESSION_FAILED;
    switch (c->kind) {
    case RS_CMD_SPEED:
    case RS_CMD_CHECKPOINT:
        a->want_reply++;
        break;
    case RS_CMD_PAUSE:
    case RS_CMD_RESUME:
    case RS_CMD_TOGGLE:
    case RS_CMD_STEP:
        if (ended)
            a->want_reply++;
        break;
    default:
        break;
    }
    return true;
}

bool
rs_app_send_kind(rs_app *a, enum rs_cmd_kind kind)
{
    struct rs_cmd c = {.kind = kind};
    return rs_app_send(a, &c);
}

static void
change_speed(rs_app *a, bool faster)
{
    static const double levels[] = {1, 3, 10, 30, 100, 300, 1000, 3000};
    const int nl = (int)RS_ARRAY_LEN(levels);
    double cur = a->st.speed, to = cur;
    if (faster) {
        if (cur <= 0) {
            rs_app_note(a, false, "speed: already unlimited");
            return;
        }
        to = 0;
        for (int i = 0; i < nl && to == 0; i++)
            if (levels[i] > cur)
                to = levels[i];
    } else {
        double ref = cur > 0                 ? cur
                     : a->st.steps_per_s > 0 ? a->st.steps_per_s
                                             : 3001;
        to = levels[0];
        for (int i = nl - 1; i >= 0; i--)
            if (levels[i] < ref) {
                to = levels[i];
                break;
            }
    }
    struct rs_cmd c = {.kind = RS_CMD_SPEED, .x = to};
    rs_app_send(a, &c);
}

static void
run_line(rs_app *a)
{
    struct rs_cmd *c = rs_xcalloc(1, sizeof *c);
    if (!rs_console_take(a->con, c->text, sizeof c->text)) {
        free(c);
        return;
    }
    char echo[sizeof c->text + 8];
    snprintf(echo, sizeof echo, "> %s", c->text);
    rs_console_add(a->con, echo, RS_CONSOLE_ECHO);
    /* "set KEY=VALUE" changes a param (recorded as a live change) */
    const char *p = c->text;
    while (*p == ' ')
        p++;
    const char *eq = strchr(p, '=');
    if (strncmp(p, "set ", 4) == 0 && eq != NULL) {
        const char *k = p + 4;
        while (*k == ' ')
            k++;
        const char *ke = eq;
        while (ke > k && ke[-1] == ' ')
            ke--;
        const char *val = eq + 1;
        while (*val == ' ')
            val++;
        if (ke > k && (size_t)(ke - k) < sizeof c->key) {
            c->kind = RS_CMD_SET;
            memcpy(c->key, k, (size_t)(ke - k));
            c->key[ke - k] = '\0';
            memmove(c->text, val, strlen(val) + 1);
            rs_app_send(a, c);
            free(c);
            return;
        }
    }
    c->kind = RS_CMD_EVAL;
    rs_app_send(a, c);
    free(c);
}

/* Where `e` writes: DIR/repscope-<scene>-<panel>-<step>.svg. */
static void
export_panel(rs_app *a)
{
    int n = rs_views_count(a->views);
    if (n == 0) {
        rs_app_note(a, true, "nothing to export yet");
        return;
    }
    const struct rs_viewspec *s = rs_views_spec(a->views, a->focus);
    char panel[64];
    size_t k = 0;
    for (const char *p = s->title[0] ? s->title : "panel";
         *p != '\0' && k + 1 < sizeof panel; p++) {
        char ch = *p >= 'A' && *p <= 'Z' ? (char)(*p + 32) : *p;
        bool ok =
            (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
        if (ok)
            panel[k++] = ch;
        else if (k > 0 && panel[k - 1] != '-')
            panel[k++] = '-';
    }
    while (k > 0 && panel[k - 1] == '-')
        k--;
    panel[k] = '\0';
    const char *dir = a->o.export_dir != NULL ? a->o.export_dir : ".";
    char path[1024];
    snprintf(path, sizeof path, "%s/repscope-%s-%s-%ld.svg", dir,
             a->st.scene[0] ? a->st.scene : "run", panel, a->st.step);
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        rs_app_note(a, true, "export: cannot write %s", path);
        return;
    }
    struct rs_error err = {0};
    int rc = rs_views_export(a->views, a->focus, f, &err);
    if (fclose(f) != 0 && rc == RS_OK)
        rc = rs_error_set(&err, RS_EIO, "write error");
    if (rc != RS_OK)
        rs_app_note(a, true, "export %s: %s", path, err.msg);
    else
        rs_app_note(a, false, "exported %s", path);
}

static void
select_layer(rs_app *a, int d)
{
    char layers[RS_VIEWSPEC_LAYERS_MAX][RS_VIEWSPEC_NAME_MAX];
    int n = rs_views_layers(a->views, layers, RS_VIEWSPEC_LAYERS_MAX);
    if (n == 0) {
        rs_app_note(a, false, "no layers to select");
        return;
    }
    int cur = -1;
    for (int i = 0; i < n; i++)
        if (strcmp(layers[i], a->layer) == 0)
            cur = i;
    int to = cur < 0 ? 0 : cur + d;
    to = to < 0 ? 0 : to >= n ? n - 1 : to;
    memcpy(a->layer, layers[to], sizeof a->layer);
    snprintf(a->msg, sizeof a->msg, "layer %s (%d of %d)", a->layer, to + 1, n);
    a->msg_bad = false;
}

static unsigned
focus_move(rs_app *a, int key, int dx, int dy)
{
    int n = rs_views_count(a->views);
    if (n == 0)
        return 0;
    if (a->zoom) /* the zoomed panel's own arrows: cursor, layer, cell */
        return rs_widget_key(rs_views_widget(a->views, a->focus), key) &
               RS_UI_REDRAW;
    a->focus = rs_layout_neighbor(&a->lay, n, a->focus, dx, dy);
    return RS_UI_REDRAW;
}

static unsigned
quit(rs_app *a)
{
    if (a->o.q != NULL && !a->quitting && !rs_app_send_kind(a, RS_CMD_QUIT))
        return RS_UI_REDRAW;
    a->quitting = true;
    snprintf(a->msg, sizeof a->msg,
             "quitting: final checkpoint, flushing "
             "the log%s",
             a->o.q != NULL ? " (q again: stop at once)" : "");
    a->msg_bad = false;
    a->msg_sticky = true;
    return RS_UI_QUIT | RS_UI_REDRAW;
}

static unsigned
console_action(rs_app *a, enum rs_action act)
{
    switch (act) {
    case RS_ACT_CON_RUN:
        run_line(a);
        break;
    case RS_ACT_CON_CLOSE:
        a->con_open = false;
        break;
    case RS_ACT_CON_INTERRUPT:
        if (a->o.interrupt != NULL)
            a->o.interrupt(a->o.ud);
        rs_console_edit(a->con, RS_ACT_CON_KILL);
        rs_console_add(a->con, "^C", RS_CONSOLE_NOTE);
        break;
    default:
        rs_console_edit(a->con, act);
        break;
    }
    return RS_UI_REDRAW;
}

static unsigned
main_action(rs_app *a, const struct rs_keymap_entry *e, int key)
{
    int n = rs_views_count(a->views);
    struct rs_widget *w = n > 0 ? rs_views_widget(a->views, a->focus) : NULL;
    switch (e->action) {
    case RS_ACT_PAUSE:
        rs_app_send_kind(a, RS_CMD_TOGGLE);
        rs_tour_set_paused(a->tour, false); /* the user took over */
        break;
    case RS_ACT_STEP: {
        struct rs_cmd c = {.kind = RS_CMD_STEP, .n = 1};
        rs_app_send(a, &c);
        break;
    }
    case RS_ACT_FASTER:
    case RS_ACT_SLOWER:
        change_speed(a, e->action == RS_ACT_FASTER);
        break;
    case RS_ACT_RESTART:
        if (!a->restart_armed) {
            a->restart_armed = true;
            snprintf(a->msg, sizeof a->msg,
                     "restart from step 0 with the same params? press r again");
            a->msg_bad = false;
            return RS_UI_REDRAW;
        }
        if (rs_app_send_kind(a, RS_CMD_RESTART))
            rs_app_note(a, false, "restarting");
        break;
    case RS_ACT_CHECKPOINT:
        rs_app_send_kind(a, RS_CMD_CHECKPOINT);
        break;
    case RS_ACT_CONSOLE:
        a->con_open = true;
        break;
    case RS_ACT_FOCUS_NEXT:
    case RS_ACT_FOCUS_PREV:
        if (n > 0)
            a->focus =
                (a->focus + (e->action == RS_ACT_FOCUS_NEXT ? 1 : n - 1)) % n;
        break;
    case RS_ACT_FOCUS_LEFT:
        return focus_move(a, key, -1, 0);
    case RS_ACT_FOCUS_RIGHT:
        return focus_move(a, key, 1, 0);
    case RS_ACT_FOCUS_UP:
        return focus_move(a, key, 0, -1);
    case RS_ACT_FOCUS_DOWN:
        return focus_move(a, key, 0, 1);
    case RS_ACT_ZOOM:
        a->zoom = n > 0 && !a->zoom;
        break;
    case RS_ACT_LAYER_PREV:
    case RS_ACT_LAYER_NEXT:
        select_layer(a, e->action == RS_ACT_LAYER_NEXT ? 1 : -1);
        break;
    case RS_ACT_WIDGET:
        return w != NULL ? rs_widget_key(w, key) & RS_UI_REDRAW : 0;
    case RS_ACT_EXPORT:
        export_panel(a);
        break;
    case RS_ACT_NOTES:
        a->notes = a->notes == 0 ? 1 : 0;
        if (a->notes == 0 && a->lay.notes.h == 0)
            a->notes = 1; /* auto had hidden them: show */
        break;
    case RS_ACT_PAGE_NEXT:
    case RS_ACT_PAGE_PREV:
        rs_app_tour_move(a, e->action == RS_ACT_PAGE_NEXT ? 1 : -1);
        break;
    case RS_ACT_PRESENTER:
        a->presenter = !a->presenter;
        break;
    case RS_ACT_HELP:
        a->help_open = true;
        rs_help_widget_data(a->help)->scroll = 0;
        break;
    case RS_ACT_REDRAW:
        return RS_UI_REDRAW | RS_APP_REPAINT;
    case RS_ACT_ESCAPE:
        if (w != NULL && (rs_widget_key(w, key) & RS_UI_HANDLED))
            break;
        a->zoom = false;
        break;
    case RS_ACT_QUIT:
        return quit(a);
    default:
        return 0;
    }
    return RS_UI_REDRAW;
}

unsigned
rs_app_key(rs_app *a, int key)
{
    a->gen++; /* a key may change any panel's view: draw them all */
    if (key == RS_KEY_RESIZE)
        return RS_UI_REDRAW;
    if (a->quitting) {
        /* a second q (or ctrl-c) stops waiting for the worker */
        const struct rs_keymap_entry *e = rs_keys_find(RS_KEYS_MAIN, key);
        return e != NULL && e->action == RS_ACT_QUIT ? RS_UI_QUIT : 0;
    }
    bool armed = a->restart_armed;
    a->restart_armed = false;
    if (!a->msg_sticky)
        a->msg[0] = '\0';
    a->msg_sticky = false;
    if (a->help_open) {
        unsigned f = rs_widget_key(a->help, key);
        if ((f & RS_UI_CLOSE) || key == '?')
            a->help_open = false;
        return RS_UI_REDRAW;
    }
    enum rs_keys_mode mode = a->con_open ? RS_KEYS_CONSOLE : RS_KEYS_MAIN;
    const struct rs_keymap_entry *e = rs_keys_find(mode, key);
    if (e == NULL) {
        if (a->con_open && key >= 0x20 && key < 0x110000 && key != 0x7f)
            rs_console_insert(a->con, (uint32_t)key);
        return RS_UI_REDRAW;
    }
    if (e->session && a->o.q == NULL) {
        rs_app_note(a, false, "read-only: this run trains elsewhere");
        return RS_UI_REDRAW;
    }
    if (a->con_open)
        return console_action(a, e->action);
    a->restart_armed = armed && e->action == RS_ACT_RESTART;
    return main_action(a, e, key);
}

unsigned
rs_app_click(rs_app *a, int x, int y, int button)
{
    a->gen++;
    struct rs_rect c = a->lay.console;
    bool in_con =
        c.h > 0 && x >= c.x && x < c.x + c.w && y >= c.y && y < c.y + c.h;
    if (button == 4 || button == 5) {
        if (a->help_open)
            rs_widget_key(a->help, button == 4 ? RS_KEY_UP : RS_KEY_DOWN);
        else if (in_con)
            rs_console_edit(a->con,
                            button == 4 ? RS_ACT_CON_PGUP : RS_ACT_CON_PGDN);
        return RS_UI_REDRAW;
    }
    if (button != 1)
        return 0;
    if (a->help_open) {
        a->help_open = false;
        return RS_UI_REDRAW;
    }
    if (in_con) {
        a->con_open = a->o.q != NULL;
        return RS_UI_REDRAW;
    }
    int i = rs_layout_at(&a->lay, rs_views_count(a->views), x, y);
    if (i < 0)
        return 0;
    a->focus = i;
    a->con_open = false;
    return RS_UI_REDRAW;
}
