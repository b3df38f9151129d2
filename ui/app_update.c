/* repscope - MIT licence, see COPYING.
 *
 * app_update.c: what the app takes from the bus each frame (rs_app_update):
 * the view specs (panels rebuilt only when they change), events and
 * printed lines for the console and the message line, and what a change
 * of the run's state means on screen: a non-finite value focuses the
 * panel that shows it, a write fault says which file until a key is
 * pressed, a failure opens the console on the traceback. UI thread only.
 */
#include "config.h"

#include "ui/app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "ui/app_impl.h"

#define NAMES_MAX 256

/* ---- views --------------------------------------------------------------- */

static void
set_views(rs_app *a, struct rs_viewspec_set *set)
{
    a->gen++;
    rs_views_free(a->views);
    rs_viewspec_free(a->set);
    a->set = set;
    a->views = rs_views_new(set);
    int n = rs_views_count(a->views);
    if (a->focus >= n)
        a->focus = n > 0 ? n - 1 : 0;
    if (n == 0)
        a->zoom = false;
    /* the selected layer starts as the first layer-following view's */
    for (int i = 0; a->layer[0] == '\0' && i < n; i++) {
        const struct rs_viewspec *s = rs_views_spec(a->views, i);
        if (s->kind == RS_VIEWSPEC_SPECTRUM || s->kind == RS_VIEWSPEC_NEURONS)
            snprintf(a->layer, sizeof a->layer, "%s", s->layer);
    }
    rs_app_tour_take(a, set != NULL ? set->tour : NULL);
    if (a->tour_focus)
        rs_app_tour_focus(a); /* the panels a new chapter's page names */
}

/* Rebuild the panels when the published specs changed; without specs,
 * from the bus's names whenever more names appear. */
static void
update_views(rs_app *a, char *json, rs_bus *bus)
{
    if (json != NULL) {
        if (a->views_json != NULL && strcmp(a->views_json, json) == 0) {
            free(json);
            return;
        }
        struct rs_error err = {0};
        struct rs_viewspec_set *set = rs_viewspec_parse(json, &err);
        free(a->views_json);
        a->views_json = json;
        if (set == NULL) {
            rs_app_note(a, true, "%s", err.msg);
            return;
        }
        set_views(a, set);
        return;
    }
    if (a->views_json != NULL)
        return;
    char(*series)[RS_BUS_NAME_MAX] = rs_xcalloc(NAMES_MAX, sizeof *series);
    char(*mats)[RS_BUS_NAME_MAX] = rs_xcalloc(NAMES_MAX, sizeof *mats);
    int ns = rs_bus_series_names(bus, series, NAMES_MAX);
    int nm = rs_bus_matrix_names(bus, mats, NAMES_MAX);
    ns = ns < NAMES_MAX ? ns : NAMES_MAX;
    nm = nm < NAMES_MAX ? nm : NAMES_MAX;
    if (ns + nm != a->default_names) {
        a->default_names = ns + nm;
        set_views(
            a, rs_viewspec_default((const char(*)[RS_BUS_NAME_MAX])series, ns,
                                   (const char(*)[RS_BUS_NAME_MAX])mats, nm));
    }
    free(series);
    free(mats);
}

/* ---- events and lines ---------------------------------------------------- */

static bool
starts(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

/* An event as a marker: live changes only ("lr = 3e-4" -> "lr=3e-4");
 * pauses, checkpoints and the like are not drawn. */
static void
add_event(rs_app *a, const struct rs_bus_event *e)
{
    static const char *const skip[] = {"pause",   "resume",  "checkpoint",
                                       "done at", "quit at", "views"};
    if (starts(e->text, "restart")) {
        a->nev = 0; /* the markers of the old run go with it */
        rs_tour_restarted(a->tour);
        return;
    }
    for (size_t i = 0; i < RS_ARRAY_LEN(skip); i++)
        if (starts(e->text, skip[i]))
            return;
    if (a->nev == RS_APP_EVENTS) {
        memmove(a->ev_step, a->ev_step + 1,
                (RS_APP_EVENTS - 1) * sizeof a->ev_step[0]);
        memmove(a->ev_label, a->ev_label + 1,
                (RS_APP_EVENTS - 1) * sizeof a->ev_label[0]);
        a->nev--;
    }
    char *lab = a->ev_label[a->nev];
    size_t n = 0;
    long at;
    int used = 0;
    bool failure = sscanf(e->text, "step %ld:%n", &at, &used) == 1 && used > 0;
    if (strstr(e->text, " is nan") != NULL ||
        strstr(e->text, " is inf") != NULL ||
        strstr(e->text, "non-finite") != NULL) {
        snprintf(lab, sizeof a->ev_label[0], "NaN");
    } else if (failure) {
        /* "step N: file:line: message": the run failed there */
        snprintf(lab, sizeof a->ev_label[0], "error");
    } else {
        for (const char *p = e->text;
             *p != '\0' && n + 1 < sizeof a->ev_label[0]; p++) {
            if (*p == ' ' && (p[1] == '=' || (p > e->text && p[-1] == '=')))
                continue;
            if (*p == ' ' && p[1] == '(')
                break; /* "(takes effect on restart)" */
            lab[n++] = *p;
        }
        /* do not cut a UTF-8 sequence */
        while (n > 0 && ((unsigned char)lab[n - 1] & 0xc0) == 0x80 &&
               n + 1 >= sizeof a->ev_label[0])
            n--;
        lab[n] = '\0';
    }
    a->ev_step[a->nev++] = e->step;
}

static void
take_events(rs_app *a, rs_bus *bus)
{
    struct rs_bus_event ev[32];
    for (;;) {
        uint64_t last;
        int n = rs_bus_events(bus, a->ev_seq, ev, 32, &last);
        for (int i = 0; i < n; i++) {
            /* the console keeps the log of live changes */
            char line[sizeof ev[i].text + 32];
            if (starts(ev[i].text, "step "))
                snprintf(line, sizeof line, "%s", ev[i].text);
            else
                snprintf(line, sizeof line, "step %.0f: %s", ev[i].step,
                         ev[i].text);
            rs_console_add(a->con, line, RS_CONSOLE_NOTE);
            add_event(a, &ev[i]);
        }
        if (n > 0)
            a->gen++; /* markers on the charts and the rank strip */
        a->ev_seq = last;
        if (n < 32)
            break;
    }
    for (int i = 0; i < a->nev; i++)
        a->cev[i] = (struct rs_chart_event){a->ev_step[i], a->ev_label[i]};
}

static void
take_lines(rs_app *a, rs_bus *bus)
{
    char lines[32][RS_BUS_LINE_MAX];
    for (;;) {
        uint64_t last;
        int n = rs_bus_lines(bus, a->line_seq, lines, 32, &last);
        for (int i = 0; i < n; i++) {
            rs_console_add(a->con, lines[i], RS_CONSOLE_OUT);
            if (a->want_reply > 0 && !a->con_open) {
                snprintf(a->msg, sizeof a->msg, "%.300s", lines[i]);
                a->msg_bad = starts(lines[i], "error");
                a->want_reply--;
            }
        }
        a->line_seq = last;
        if (n < 32)
            break;
    }
}

/* The layer named in a non-finite report ("l2", "l2.weight", a series
 * "probe/srank/l2"), if it is one the panels know. */
static void
select_nonfinite_layer(rs_app *a, const char *where)
{
    char layers[RS_VIEWSPEC_LAYERS_MAX][RS_VIEWSPEC_NAME_MAX];
    int n = rs_views_layers(a->views, layers, RS_VIEWSPEC_LAYERS_MAX);
    for (int i = 0; i < n; i++) {
        const char *p = strstr(where, layers[i]);
        size_t k = strlen(layers[i]);
        while (p != NULL) {
            bool left = p == where || p[-1] == '/' || p[-1] == ' ';
            bool right = p[k] == '\0' || p[k] == '.' || p[k] == ' ' ||
                         p[k] == '/' || p[k] == ':';
            if (left && right) {
                snprintf(a->layer, sizeof a->layer, "%s", layers[i]);
                return;
            }
            p = strstr(p + 1, layers[i]);
        }
    }
}

bool
rs_app_flagged(const rs_app *a, int i)
{
    const char *p = a->st.nonfinite;
    char word[96];
    while (*p != '\0') {
        while (*p == ' ' || *p == ':' || *p == ',')
            p++;
        size_t k = 0;
        while (*p != '\0' && *p != ' ' && *p != ':' && *p != ',') {
            if (k + 1 < sizeof word)
                word[k++] = *p;
            p++;
        }
        word[k] = '\0';
        if (rs_views_mentions(a->views, i, word))
            return true;
        char *dot = strchr(word, '.'); /* "l2.weight" */
        if (dot != NULL) {
            *dot = '\0';
            if (rs_views_mentions(a->views, i, word))
                return true;
        }
    }
    return false;
}

/* React to a change of state: the end of the run, a failure, a
 * non-finite value. */
static void
state_changed(rs_app *a)
{
    const struct rs_bus_status *st = &a->st;
    if (st->nonfinite[0] != '\0' &&
        strcmp(st->nonfinite, a->prev_nonfinite) != 0) {
        a->gen++;
        select_nonfinite_layer(a, st->nonfinite);
        /* focus the first panel that shows it: a focused panel is never
         * collapsed */
        for (int i = rs_views_count(a->views) - 1; i >= 0; i--)
            if (rs_app_flagged(a, i))
                a->focus = i;
        rs_app_note(a, true, "non-finite value: %s",
                    st->message[0] ? st->message : st->nonfinite);
        a->msg_sticky = true;
    }
    snprintf(a->prev_nonfinite, sizeof a->prev_nonfinite, "%s", st->nonfinite);
    /* A write into the run directory failed and the worker paused the
     * run (st->message: "cannot write FILE: REASON; paused",
     * run/session_rec.c): say so on the message line until a key is
     * pressed, and again each time a resume finds the disk still full. */
    bool io = st->state == RS_SESSION_PAUSED && st->write_fault;
    if (io && strcmp(st->message, a->prev_io) != 0) {
        rs_app_note(a, true, "%s: free space, then space resumes", st->message);
        a->msg_sticky = true;
    }
    snprintf(a->prev_io, sizeof a->prev_io, "%s", io ? st->message : "");
    if (st->state == a->prev_state)
        return;
    if (st->state == RS_SESSION_FAILED) {
        snprintf(a->msg, sizeof a->msg, "failed: %.300s", st->message);
        a->msg_bad = true;
        a->msg_sticky = true;
        if (a->o.q != NULL)
            a->con_open = true; /* the traceback is there */
    } else if (st->state == RS_SESSION_DONE && !a->quitting) {
        snprintf(a->msg, sizeof a->msg, "done at step %ld%s", st->step,
                 a->o.q != NULL ? ": r restarts, : inspects, q quits" : "");
        a->msg_bad = false;
    }
    a->prev_state = st->state;
}

bool
rs_app_update(rs_app *a)
{
    rs_bus *bus = a->o.bus;
    uint64_t v = rs_bus_version(bus);
    if (a->have_version && v == a->version)
        return false;
    a->version = v;
    a->have_version = true;
    rs_bus_read_begin(bus);
    rs_bus_status(bus, &a->st);
    a->have_st = true;
    char *json = rs_bus_views(bus);
    update_views(a, json, bus);
    take_events(a, bus);
    take_lines(a, bus);
    rs_app_tour_watch(a, bus);
    rs_bus_read_end(bus);
    state_changed(a);
    return true;
}
