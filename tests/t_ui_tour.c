/* repscope - MIT licence, see COPYING.
 *
 * t_ui_tour.c: a scene's tour without a terminal. The state machine
 * (ui/tour.h): parsing and its errors naming the page and the field,
 * moving between pages and what a move asks of the app, the pause
 * conditions (a step; a series above or below a value; once; not while a
 * restart is awaited). Then the app (ui/app.h) on a bus it is fed by hand
 * and a command queue it is read from: the tour's first page shows in the
 * notes panel and focuses its panel; a series passing the page's value
 * sends a pause and the page says why; n resumes and moves on (focus and
 * zoom by title); a chapter page sends its params and a restart and
 * waits for it; p goes back; presenter mode drops the key bar; a scene
 * without a tour says so on n. No threads, no timing.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "run/bus.h"
#include "run/cmdq.h"
#include "tests/tap.h"
#include "ui/app.h"
#include "ui/tour.h"
#include "ui/widget.h"

/* ---- the state machine ------------------------------------------------ */

static void
test_parse_errors(void)
{
    static const struct {
        const char *json, *want;
    } bad[] = {
        {"{}", "tour: an array of pages expected"},
        {"[1]", "tour: page 1: bad field page"},
        {"[{}, {\"at_step\": -1}]", "tour: page 2: bad field at_step"},
        {"[{\"at_step\": 1.5}]", "tour: page 1: bad field at_step"},
        {"[{\"when\": {\"series\": \"a\"}}]", "tour: page 1: bad field when"},
        {"[{\"when\": {\"above\": 1}}]", "tour: page 1: bad field when"},
        {"[{\"focus\": 0}]", "tour: page 1: bad field focus"},
        {"[{\"title\": 3}]", "tour: page 1: bad field title"},
        {"[{\"restart\": [1]}]", "tour: page 1: bad field restart"},
        {"[{", "tour: "},
    };
    for (size_t i = 0; i < RS_ARRAY_LEN(bad); i++) {
        struct rs_error err = {0};
        rs_tour *t = rs_tour_parse(bad[i].json, &err);
        tap_ok(t == NULL && err.code == RS_EFORMAT &&
                   strncmp(err.msg, bad[i].want, strlen(bad[i].want)) == 0,
               "%s: %s", bad[i].json, err.msg);
        rs_tour_free(t);
    }
    struct rs_error err = {0};
    rs_tour *t = rs_tour_parse("[]", &err);
    tap_ok(t != NULL && rs_tour_count(t) == 0, "[] is a tour of no pages");
    tap_is_int(rs_tour_go(t, 1), 0, "no page to go to");
    rs_tour_free(t);
}

static const char pages[] =
    "[{\"title\":\"one\",\"text\":\"first\",\"focus\":\"loss\","
    "\"unknown\":true},"
    "{\"text\":\"second\",\"at_step\":10,\"why\":\"ten\"},"
    "{\"text\":\"third\",\"when\":{\"series\":\"test/acc\",\"above\":0.5},"
    "\"focus\":2,\"zoom\":true},"
    "{\"text\":\"fourth\",\"when\":{\"series\":\"train/loss\",\"below\":1}},"
    "{\"text\":\"fifth\",\"restart\":{\"chapter\":\"b\",\"n\":3},"
    "\"at_step\":5}]";

static void
test_machine(void)
{
    struct rs_error err = {0};
    rs_tour *t = rs_tour_parse(pages, &err);
    tap_ok(t != NULL, "parse: %s", t != NULL ? "ok" : err.msg);
    if (t == NULL)
        return;
    tap_is_int(rs_tour_count(t), 5, "five pages");
    const struct rs_tour_page *p = rs_tour_page(t, 0);
    tap_is_str(p->title, "one", "page 1 title");
    tap_is_str(p->text, "first", "page 1 text");
    tap_is_str(p->focus, "loss", "page 1 focus by title");
    tap_ok(p->cmp == RS_TOUR_NONE && p->why[0] == '\0',
           "page 1: no condition, no why");
    tap_ok(!rs_tour_check(t, 1000, true, 1e9), "no condition: never fires");
    tap_is_int(rs_tour_go(t, -1), 0, "p on the first page: nothing");
    /* page 2: at_step */
    tap_is_int(rs_tour_go(t, 1), 0, "to page 2: nothing to do");
    tap_is_int(rs_tour_index(t), 1, "page 2");
    tap_ok(!rs_tour_check(t, 9, false, NAN), "step 9: not yet");
    tap_ok(rs_tour_check(t, 11, false, NAN), "step 11: fires");
    long at = 0;
    double v = 0;
    tap_ok(rs_tour_fired(t, &at, &v) && at == 11, "fired at step %ld", at);
    tap_ok(!rs_tour_check(t, 12, false, NAN), "fires once");
    /* page 3: above, focus by index and zoom; the move resumes */
    tap_is_int(rs_tour_go(t, 1), RS_TOUR_DO_RESUME | RS_TOUR_DO_FOCUS,
               "to page 3: resume (the tour paused) and focus");
    p = rs_tour_page(t, 2);
    tap_ok(p->focus_index == 2 && p->zoom && p->cmp == RS_TOUR_ABOVE &&
               strcmp(p->series, "test/acc") == 0 && p->threshold == 0.5,
           "page 3: panel 2 zoomed, test/acc above 0.5");
    tap_ok(!rs_tour_fired(t, NULL, NULL), "a new page has not fired");
    tap_ok(!rs_tour_check(t, 50, false, NAN), "no value: no fire");
    tap_ok(!rs_tour_check(t, 50, true, 0.5), "0.5 is not above 0.5");
    tap_ok(!rs_tour_check(t, 50, true, NAN), "NaN never fires");
    tap_ok(rs_tour_check(t, 60, true, 0.51), "0.51 fires");
    tap_ok(rs_tour_fired(t, &at, &v) && at == 60 && v == 0.51,
           "fired at 60 with 0.51");
    /* the user resumed with space: moving on resumes nothing */
    rs_tour_set_paused(t, false);
    tap_is_int(rs_tour_go(t, 1), 0, "to page 4 after space: nothing");
    tap_ok(!rs_tour_check(t, 70, true, 1.0), "below 1: 1.0 does not fire");
    tap_ok(rs_tour_check(t, 70, true, 0.9), "below 1: 0.9 fires");
    /* page 5: a chapter */
    tap_is_int(rs_tour_go(t, 1), RS_TOUR_DO_RESUME | RS_TOUR_DO_RESTART,
               "to page 5: resume and restart");
    p = rs_tour_page(t, 4);
    tap_ok(p->nset == 2 && strcmp(p->set_key[0], "chapter") == 0 &&
               strcmp(p->set_val[0], "b") == 0 &&
               strcmp(p->set_key[1], "n") == 0 &&
               strcmp(p->set_val[1], "3") == 0,
           "page 5 sets chapter=b n=3");
    tap_ok(rs_tour_waiting(t), "waits for the restart");
    tap_ok(!rs_tour_check(t, 100, false, NAN),
           "the old run's step 100 does not fire at_step 5");
    rs_tour_restarted(t);
    tap_ok(!rs_tour_check(t, 2, false, NAN), "new run at 2: not yet");
    tap_ok(rs_tour_check(t, 5, false, NAN), "new run at 5: fires");
    tap_is_int(rs_tour_go(t, 1), 0, "n on the last page: nothing");
    tap_is_int(rs_tour_index(t), 4, "still the last page");
    /* back: no restart going backwards */
    tap_is_int(rs_tour_go(t, -1), RS_TOUR_DO_RESUME,
               "back to page 4: resume only");
    tap_is_int(rs_tour_go(t, -1), RS_TOUR_DO_FOCUS, "back to page 3: focus");
    tap_is_int(rs_tour_go(t, 9), RS_TOUR_DO_RESTART,
               "n 9 clamps to the last page (a chapter: restart)");
    tap_is_int(rs_tour_index(t), 4, "the last page");
    tap_ok(rs_tour_waiting(t), "entering a chapter again restarts again");
    rs_tour_free(t);
}

/* ---- the app ------------------------------------------------------------ */

static const char views_tour[] =
    "{\"version\":1,\"title\":\"t\",\"notes\":\"scene notes\",\"views\":["
    "{\"kind\":\"curves\",\"title\":\"loss\",\"series\":[\"train/loss\"]},"
    "{\"kind\":\"curves\",\"title\":\"accuracy\",\"series\":[\"test/acc\"]},"
    "{\"kind\":\"curves\",\"title\":\"norms of the weights\","
    "\"series\":[\"norm/weight\"]}],"
    "\"tour\":["
    "{\"title\":\"hello\",\"text\":\"Page one text.\",\"focus\":\"accuracy\"},"
    "{\"title\":\"learning\",\"text\":\"Watch it learn.\","
    "\"when\":{\"series\":\"test/acc\",\"above\":0.5},\"why\":\"It learned.\","
    "\"focus\":\"norms\",\"zoom\":true},"
    "{\"title\":\"chapter two\",\"text\":\"Another setup.\","
    "\"restart\":{\"chapter\":\"two\"},\"at_step\":3,\"focus\":1}]}";

static const char views_plain[] =
    "{\"version\":1,\"title\":\"t\",\"notes\":\"scene notes\",\"views\":["
    "{\"kind\":\"curves\",\"title\":\"loss\",\"series\":[\"train/loss\"]}]}";

static void
set_status(rs_bus *bus, enum rs_session_state state, long step)
{
    struct rs_bus_status st = {0};
    st.state = state;
    st.step = step;
    st.total = 100;
    st.eta_s = -1;
    snprintf(st.title, sizeof st.title, "t");
    rs_bus_set_status(bus, &st);
    rs_bus_flush(bus);
}

static char *
screen(rs_app *a, int w, int h)
{
    struct rs_canvas *cv = rs_canvas_new(w, h);
    struct rs_ui_ctx ctx = {.color = RS_COLOR_MONO, .ascii = false};
    rs_app_draw(a, cv, &ctx);
    char *s = rs_canvas_dump_string(cv, false);
    rs_canvas_free(cv);
    return s;
}

static bool
shows(rs_app *a, const char *text)
{
    char *s = screen(a, 100, 30);
    bool ok = strstr(s, text) != NULL;
    if (!ok) {
        tap_diag("screen without '%s':", text);
        for (char *line = strtok(s, "\n"); line; line = strtok(NULL, "\n"))
            tap_diag("%s", line);
    }
    free(s);
    return ok;
}

/* The step of the last pause-at command seen by commands(). */
static long pause_at_n = -1;

/* The kinds of the commands queued since the last call, as letters:
 * p pause, r resume, t toggle, s set (set gets key=value), R restart, a
 * pause-at (pause_at_n gets its step), other '?'. */
static void
commands(rs_cmdq *q, char *out, size_t cap, char *set)
{
    struct rs_cmd c;
    size_t k = 0;
    set[0] = '\0';
    while (k + 1 < cap && rs_cmdq_pop(q, &c, 0)) {
        char ch = '?';
        switch (c.kind) {
        case RS_CMD_PAUSE:
            ch = 'p';
            break;
        case RS_CMD_RESUME:
            ch = 'r';
            break;
        case RS_CMD_TOGGLE:
            ch = 't';
            break;
        case RS_CMD_SET:
            ch = 's';
            snprintf(set, 128, "%.60s=%.60s", c.key, c.text);
            break;
        case RS_CMD_RESTART:
            ch = 'R';
            break;
        case RS_CMD_PAUSE_AT:
            ch = 'a';
            pause_at_n = c.n;
            break;
        default:
            break;
        }
        out[k++] = ch;
    }
    out[k] = '\0';
}

static void
test_app(void)
{
    rs_bus *bus = rs_bus_new();
    rs_cmdq *q = rs_cmdq_new(16);
    struct rs_app_opts o = {.bus = bus, .q = q};
    rs_app *a = rs_app_new(&o);
    char cmds[32], set[128];

    rs_bus_set_views(bus, views_tour);
    set_status(bus, RS_SESSION_RUNNING, 1);
    rs_bus_push(bus, "test/acc", 1, 0.1);
    rs_bus_flush(bus);
    rs_app_update(a);
    int count = 0;
    tap_is_int(rs_app_tour_page(a, &count), 0, "the tour starts at page 1");
    tap_is_int(count, 3, "of 3");
    tap_is_int(rs_app_focus(a), 1, "page 1 focuses 'accuracy'");
    tap_ok(!rs_app_zoomed(a), "not zoomed");
    tap_ok(shows(a, "tour 1/3 · hello") && shows(a, "Page one text."),
           "the notes panel shows page 1");
    tap_ok(shows(a, "n/p tour"), "the key bar says n/p turn the pages");

    rs_app_key(a, 'n');
    commands(q, cmds, sizeof cmds, set);
    tap_is_str(cmds, "", "n to page 2 sends nothing");
    tap_is_int(rs_app_focus(a), 2, "page 2 focuses 'norms...' by prefix");
    tap_ok(rs_app_zoomed(a), "and zooms it");
    tap_ok(shows(a, "Watch it learn.") && shows(a, "runs until test/acc > 0.5"),
           "page 2 says what it waits for");
    tap_ok(shows(a, "tour 2/3 · learning"), "a zoomed panel keeps the page");

    set_status(bus, RS_SESSION_RUNNING, 20);
    rs_bus_push(bus, "test/acc", 20, 0.4);
    rs_bus_flush(bus);
    rs_app_update(a);
    commands(q, cmds, sizeof cmds, set);
    tap_is_str(cmds, "", "0.4: no pause");
    set_status(bus, RS_SESSION_RUNNING, 30);
    rs_bus_push(bus, "test/acc", 30, 0.75);
    rs_bus_flush(bus);
    rs_app_update(a);
    commands(q, cmds, sizeof cmds, set);
    tap_is_str(cmds, "p", "test/acc 0.75 passes 0.5: a pause");
    set_status(bus, RS_SESSION_PAUSED, 31);
    rs_app_update(a);
    tap_ok(shows(a, "Step 30: test/acc = 0.75. It learned."),
           "the page says why it paused");

    rs_app_key(a, 'n');
    commands(q, cmds, sizeof cmds, set);
    tap_is_str(cmds, "sRar", "n to the chapter: set, restart, pause-at, "
                             "resume");
    tap_is_str(set, "chapter=two", "the chapter's param");
    tap_is_int(pause_at_n, 3, "the pause at the new page's step 3");
    tap_ok(shows(a, "restarting the scene"), "the page waits for the restart");
    /* the old run's step 31 is past at_step 3: no pause until restarted */
    set_status(bus, RS_SESSION_RUNNING, 32);
    rs_app_update(a);
    commands(q, cmds, sizeof cmds, set);
    tap_is_str(cmds, "", "no pause before the restart");
    rs_bus_event(bus, 32, "restart from step 0 (was at step 32)");
    set_status(bus, RS_SESSION_RUNNING, 1);
    rs_app_update(a);
    tap_is_int(rs_app_focus(a), 0, "page 3 focuses panel 1");
    tap_ok(!rs_app_zoomed(a), "not zoomed");
    commands(q, cmds, sizeof cmds, set);
    tap_is_str(cmds, "", "at_step 3 was asked with the restart");
    set_status(bus, RS_SESSION_RUNNING, 2);
    rs_app_update(a);
    commands(q, cmds, sizeof cmds, set);
    tap_is_str(cmds, "", "asked once");
    set_status(bus, RS_SESSION_PAUSED, 3); /* the worker paused there */
    rs_app_update(a);
    commands(q, cmds, sizeof cmds, set);
    tap_is_str(cmds, "", "paused by the worker at step 3: nothing to send");
    tap_ok(shows(a, "Step 3"), "the page names step 3 itself");

    rs_app_key(a, 'p');
    commands(q, cmds, sizeof cmds, set);
    tap_is_str(cmds, "r", "p: back to page 2, resumed, no restart");
    tap_is_int(rs_app_tour_page(a, NULL), 1, "page 2");
    rs_app_key(a, 'p');
    rs_app_key(a, 'p');
    tap_is_int(rs_app_tour_page(a, NULL), 0, "p stops at page 1");
    tap_ok(shows(a, "first page"), "and says so");

    /* N hides and shows the page; P drops the key bar */
    rs_app_key(a, 'N');
    char *s = screen(a, 100, 30);
    tap_ok(strstr(s, "Page one text.") == NULL, "N hides the page");
    free(s);
    rs_app_key(a, 'N');
    tap_ok(shows(a, "Page one text."), "N shows it again");
    rs_app_key(a, 'P');
    s = screen(a, 100, 30);
    tap_ok(strstr(s, "? help") == NULL && strstr(s, "space pause") == NULL,
           "presenter mode: no key bar");
    free(s);
    rs_app_key(a, 'P');
    tap_ok(shows(a, "? help"), "P again: the key bar is back");
    rs_app_free(a);

    /* a scene without a tour */
    a = rs_app_new(&o);
    rs_bus_set_views(bus, views_plain);
    rs_bus_flush(bus);
    rs_app_update(a);
    tap_ok(shows(a, "scene notes"), "no tour: the scene's notes");
    s = screen(a, 100, 30);
    tap_ok(strstr(s, "n/p tour") == NULL, "no tour: the key bar has no n/p");
    free(s);
    rs_app_key(a, 'n');
    tap_ok(shows(a, "this scene has no tour"), "n says there is no tour");
    rs_app_free(a);
    rs_cmdq_free(q);
    rs_bus_free(bus);
}

int
main(void)
{
    tap_plan_lazy();
    test_parse_errors();
    test_machine();
    test_app();
    return tap_done();
}
