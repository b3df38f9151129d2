/* repscope - MIT licence, see COPYING.
 *
 * app_tour.c: the app playing a scene's tour (app_impl.h): the tour taken
 * from each setup's view specs (the same tour keeps its page), n and p,
 * the page's panel focused and zoomed, its condition watched on the bus
 * and the pause, resume and chapter restart sent on the command queue.
 * The state machine is ui/tour.c; the page is drawn by app_draw.c. UI
 * thread only.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "ui/app_impl.h"

/* A new setup published json (the tour's text, NULL none): the same tour
 * keeps its page; another starts at its first. */
void
rs_app_tour_take(rs_app *a, const char *json)
{
    if (json != NULL && a->tour_json != NULL && strcmp(json, a->tour_json) == 0)
        return;
    rs_tour_free(a->tour);
    free(a->tour_json);
    a->tour = NULL;
    a->tour_json = NULL;
    a->tour_focus = false;
    if (json == NULL)
        return;
    struct rs_error err = {0};
    a->tour = rs_tour_parse(json, &err);
    a->tour_json = rs_xstrdup(json);
    if (a->tour == NULL) {
        rs_app_note(a, true, "%s", err.msg);
        return;
    }
    if (rs_tour_count(a->tour) > 0) {
        a->notes = a->notes == 0 ? 0 : 1;
        a->tour_focus = rs_tour_page(a->tour, 0)->focus[0] != '\0' ||
                        rs_tour_page(a->tour, 0)->focus_index > 0;
    }
}

/* Focus (and zoom, or not) the panel the current page names: by title
 * (exactly, else the first whose title starts with it), or by 1-based
 * index. Waits for the panels while the page waits for its restart. */
void
rs_app_tour_focus(rs_app *a)
{
    const struct rs_tour_page *pg =
        rs_tour_page(a->tour, rs_tour_index(a->tour));
    int n = rs_views_count(a->views);
    if (pg == NULL || n == 0)
        return;
    int to = pg->focus_index > 0 && pg->focus_index <= n ? pg->focus_index - 1
                                                         : -1;
    size_t k = strlen(pg->focus);
    for (int pass = 0; k > 0 && to < 0 && pass < 2; pass++)
        for (int i = 0; i < n && to < 0; i++) {
            const char *t = rs_views_spec(a->views, i)->title;
            if (pass == 0 ? strcmp(t, pg->focus) == 0
                          : strncmp(t, pg->focus, k) == 0)
                to = i;
        }
    if (to < 0) {
        if (!rs_tour_waiting(a->tour)) {
            a->tour_focus = false;
            rs_app_note(a, true, "tour page %d: no panel '%s'",
                        rs_tour_index(a->tour) + 1,
                        pg->focus[0] ? pg->focus : "(index)");
        }
        return;
    }
    a->focus = to;
    a->zoom = pg->zoom;
    a->tour_focus = rs_tour_waiting(a->tour); /* again for the new panels */
    a->gen++;
}

/* An at_step page asks the worker to pause at that very step (the bus
 * is seen a frame late, so the app's own pause would land some steps
 * past it); another page cancels what the last one asked. */
static void
arm(rs_app *a, const struct rs_tour_page *pg)
{
    int want = 0;
    if (pg != NULL && pg->cmp == RS_TOUR_STEP) {
        /* a restart page asked with its restart (tour_move): the new
         * run's steps are not on the bus yet */
        if (rs_tour_waiting(a->tour) || rs_tour_fired(a->tour, NULL, NULL) ||
            a->st.step >= pg->at_step)
            return; /* asked, paused there, or the check below says so */
        want = rs_tour_index(a->tour) + 1;
    }
    if (want == a->tour_armed || a->o.q == NULL)
        return;
    struct rs_cmd c = {.kind = RS_CMD_PAUSE_AT,
                       .n = want > 0 ? pg->at_step : 0};
    if (rs_cmdq_push(a->o.q, &c) == RS_OK)
        a->tour_armed = want;
}

/* Pause the run when the current page's condition holds. A series point
 * newer than the run's step is left from before a restart (the bus
 * keeps the old run's last points until new ones come): not taken. */
void
rs_app_tour_watch(rs_app *a, rs_bus *bus)
{
    const struct rs_tour_page *pg =
        rs_tour_page(a->tour, rs_tour_index(a->tour));
    if (a->have_st && a->st.state != RS_SESSION_LOADING &&
        a->st.state != RS_SESSION_DONE && a->st.state != RS_SESSION_FAILED)
        arm(a, pg);
    if (pg == NULL || pg->cmp == RS_TOUR_NONE || !a->have_st ||
        a->st.state == RS_SESSION_LOADING)
        return;
    double at = 0, v = NAN;
    bool have = false;
    if (pg->cmp != RS_TOUR_STEP)
        have = rs_bus_series_last(bus, pg->series, &at, &v) &&
               at <= (double)a->st.step + 50;
    if (!rs_tour_check(a->tour, a->st.step, have, v))
        return;
    a->gen++;
    bool armed = a->tour_armed == rs_tour_index(a->tour) + 1;
    if (armed)
        a->tour_armed = 0; /* the worker dropped it when it paused */
    if (a->o.q != NULL && a->st.state == RS_SESSION_RUNNING)
        rs_app_send_kind(a, RS_CMD_PAUSE);
    else if (!(armed && a->st.state == RS_SESSION_PAUSED))
        rs_tour_set_paused(a->tour, false); /* nothing to resume */
}

/* n / p: the next or previous page; a new chapter's params and restart,
 * the resume of a run the tour paused, the page's panel. */
void
rs_app_tour_move(rs_app *a, int d)
{
    if (rs_tour_count(a->tour) == 0) {
        rs_app_note(a, false, "this scene has no tour (N shows its notes)");
        return;
    }
    unsigned f = rs_tour_go(a->tour, d);
    if (f == 0 && (d > 0 ? rs_tour_index(a->tour) + 1 ==
                               rs_tour_count(a->tour)
                         : rs_tour_index(a->tour) == 0)) {
        rs_app_note(a, false, "the tour's %s page",
                    d > 0 ? "last" : "first");
        return;
    }
    a->gen++;
    if (a->notes == 0)
        a->notes = 1;
    const struct rs_tour_page *pg =
        rs_tour_page(a->tour, rs_tour_index(a->tour));
    if ((f & RS_TOUR_DO_RESTART) && a->o.q != NULL) {
        for (int i = 0; i < pg->nset; i++) {
            struct rs_cmd *c = rs_xcalloc(1, sizeof *c);
            c->kind = RS_CMD_SET;
            snprintf(c->key, sizeof c->key, "%s", pg->set_key[i]);
            snprintf(c->text, sizeof c->text, "%s", pg->set_val[i]);
            rs_app_send(a, c);
            free(c);
        }
        rs_app_send_kind(a, RS_CMD_RESTART);
        /* right behind the restart, so that the new run cannot pass the
         * page's step before the next frame asks */
        struct rs_cmd c = {.kind = RS_CMD_PAUSE_AT,
                           .n = pg->cmp == RS_TOUR_STEP ? pg->at_step : 0};
        if (rs_cmdq_push(a->o.q, &c) == RS_OK)
            a->tour_armed = c.n > 0 ? rs_tour_index(a->tour) + 1 : 0;
    } else if (f & RS_TOUR_DO_RESTART) {
        rs_tour_restarted(a->tour); /* read-only: the run restarts itself */
    }
    if ((f & RS_TOUR_DO_RESUME) && a->o.q != NULL)
        rs_app_send_kind(a, RS_CMD_RESUME);
    if (!(f & RS_TOUR_DO_RESTART) && a->have_st)
        arm(a, pg); /* now, not a frame later */
    if (f & RS_TOUR_DO_FOCUS) {
        a->tour_focus = true;
        rs_app_tour_focus(a);
    } else {
        a->zoom = false;
    }
}
