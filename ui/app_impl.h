/* repscope - MIT licence, see COPYING.
 *
 * app_impl.h: the insides of rs_app, shared by app.c (state, bus
 * updates, keys) and app_draw.c (composition, export, frames).
 * UI thread only.
 */
#ifndef RS_UI_APP_IMPL_H
#define RS_UI_APP_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "run/bus.h"
#include "run/cmdq.h"
#include "ui/app.h"
#include "ui/chart.h"
#include "ui/console.h"
#include "ui/layout.h"
#include "ui/statusbar.h"
#include "ui/tour.h"
#include "ui/views.h"
#include "ui/viewspec.h"

#define RS_APP_EVENTS 128 /* markers kept (the newest) */

/* A panel's cells as last drawn and what they were drawn for: reused by
 * the next frame when all of it is the same and the panel's data did not
 * change (rs_views_changed). */
struct rs_app_pcache {
    struct rs_canvas *cv; /* r.w x r.h; NULL: nothing kept */
    struct rs_rect r;
    bool focused, ascii;
    enum rs_color_mode color;
    const struct rs_theme *theme;
    uint64_t gen;
};
#define RS_APP_HINTS 96

struct rs_app {
    struct rs_app_opts o;
    uint64_t version;
    bool have_version;
    struct rs_bus_status st;
    bool have_st;
    enum rs_session_state prev_state;
    char prev_nonfinite[96];
    char prev_io[512]; /* the write error last shown, or "" (as st.message) */
    /* the panels and where they came from */
    char *views_json;  /* NULL: default views */
    int default_names; /* series + matrices the defaults were built from */
    struct rs_viewspec_set *set;
    rs_views *views;
    /* event markers (since the last restart) */
    int nev;
    double ev_step[RS_APP_EVENTS];
    char ev_label[RS_APP_EVENTS][24];
    struct rs_chart_event cev[RS_APP_EVENTS];
    uint64_t ev_seq, line_seq;
    /* console, help */
    rs_console *con;
    bool con_open;
    /* replies still to come from commands that answer with exactly one
     * line; each becomes the message on the key bar row */
    int want_reply;
    struct rs_widget *help;
    bool help_open;
    struct rs_keyhint hints[RS_APP_HINTS];
    struct rs_keyhint bar_main[24], bar_con[24];
    int nbar_main, nbar_con;
    /* view state */
    int focus;
    bool zoom;
    int notes; /* -1 auto (when tall enough), 0 hidden, 1 shown */
    /* the scene's tour (NULL: none) and the text it was parsed from: a
     * new setup publishing the same tour keeps the page */
    rs_tour *tour;
    char *tour_json;
    bool tour_focus; /* the page's focus waits for its panels */
    /* 1 + the page whose at_step the worker was asked to pause at
     * (RS_CMD_PAUSE_AT), 0 none: the pause lands on the step itself */
    int tour_armed;
    bool presenter;  /* no key bar, a brief status line */
    char layer[RS_VIEWSPEC_NAME_MAX]; /* selected layer, "" none */
    char msg[320];
    bool msg_bad, msg_sticky;
    bool restart_armed;
    bool quitting;
    /* the last layout (for clicks and arrow keys) */
    struct rs_layout lay;
    /* panels as last drawn; gen grows with everything a panel shows
     * besides its bus data (keys, clicks, events, new views), so a kept
     * panel of an older gen is drawn again */
    struct rs_app_pcache pc[RS_LAYOUT_MAX];
    uint64_t gen;
    int drawn; /* panels drawn afresh by the last rs_app_draw */
};

/* Push a command for the worker, counting the replies it will print
 * (app.c); false (and a note) when the queue is full. */
bool rs_app_send(rs_app *a, const struct rs_cmd *c);
bool rs_app_send_kind(rs_app *a, enum rs_cmd_kind kind);

/* The tour (app_tour.c). A new setup published json (the tour's text,
 * NULL none): the same tour keeps its page, another starts at page 1. */
void rs_app_tour_take(rs_app *a, const char *json);
/* Focus (and zoom, or not) the panel the current page names. */
void rs_app_tour_focus(rs_app *a);
/* Inside rs_app_update's read section: pause the run when the current
 * page's condition holds. */
void rs_app_tour_watch(rs_app *a, rs_bus *bus);
/* n (d 1) and p (d -1). */
void rs_app_tour_move(rs_app *a, int d);

/* Forget the kept panels (app_draw.c). */
void rs_app_pcache_free(rs_app *a);

/* Whether panel i shows where the non-finite value of the status
 * appeared: a word of the report ("train/loss is nan", "l2.weight")
 * names one of its series or layers. */
bool rs_app_flagged(const rs_app *a, int i);

#endif /* RS_UI_APP_IMPL_H */
