/* repscope - MIT licence, see COPYING.
 *
 * t_ui_app.c: the app (keys, bus updates, composition) against a live
 * session with a small C driver, no terminal: start paused, `s` steps
 * once, space resumes, the run ends and lingers (DONE, the worker still
 * taking commands), the console evaluates in the worker and shows its
 * output and errors, `set k=v` changes a param, `r r` restarts and the
 * panels show only the new run, `c` checkpoints, `q` quits and the worker
 * ends with DONE; the view specs recorded in run.jsonl; the keymap
 * (every main-screen key does something or is documented as the
 * panel's; the help lists every named key); read-only mode refuses
 * training keys; the screen at 80x24 has its status line, panels and key
 * bar. Waits are bounded (20 s) and decided by state, never by time.
 */
#include "config.h"

#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "run/bus.h"
#include "run/session.h"
#include "tests/tap.h"
#include "ui/app.h"
#include "ui/chart.h"
#include "ui/keys.h"
#include "ui/widget.h"

#define STEPS 30

static rs_bus *a_bus; /* the session's, for new_run_done */

struct drv {
    double lr;
    int setups;
    long nan_at; /* train/loss is NaN at this step (0: never) */
};

static const char views[] =
    "{\"version\":1,\"title\":\"tiny\",\"notes\":\"Watch the loss.\","
    "\"views\":[{\"kind\":\"curves\",\"title\":\"loss\",\"series\":"
    "[\"train/loss\"],\"x\":\"linear\",\"y\":\"linear\"},"
    "{\"kind\":\"curves\",\"title\":\"accuracy\",\"series\":[\"train/acc\","
    "\"test/acc\"],\"x\":\"linear\",\"y\":\"linear\",\"ymin\":0,"
    "\"ymax\":1}]}";

static int
d_setup(void *ud, rs_session *s, struct rs_error *err)
{
    (void)err;
    struct drv *d = ud;
    d->setups++;
    rs_bus_set_views(rs_session_bus(s), views);
    rs_session_set_title(s, "tiny");
    return RS_OK;
}

static int
d_step(void *ud, rs_session *s, long step, struct rs_error *err)
{
    (void)err;
    struct drv *d = ud;
    rs_session_log(s, "train/loss",
                   step == d->nan_at ? (double)NAN : d->lr / (double)step);
    rs_session_log(s, "train/acc", (double)step / STEPS);
    rs_session_log(s, "test/acc", step > STEPS / 2 ? 0.95 : 0.1);
    return RS_OK;
}

static int
d_eval(void *ud, rs_session *s, const char *code, struct rs_error *err)
{
    (void)ud;
    if (strcmp(code, "fail") == 0)
        return rs_error_set(err, RS_EINVAL, "console:1: no such thing");
    rs_session_print(s, "said %s\nsecond line", code);
    return RS_OK;
}

static int
d_set(void *ud, rs_session *s, const char *key, const char *value,
      struct rs_error *err)
{
    (void)s;
    struct drv *d = ud;
    if (strcmp(key, "lr") != 0)
        return rs_error_set(err, RS_EINVAL, "unknown param '%s'", key);
    d->lr = strtod(value, NULL);
    return RS_OK;
}

/* Update the app until pred holds (20 s at most, by the bus's wake). */
static bool
wait_for(rs_app *a, rs_bus *bus, bool (*pred)(rs_app *, void *), void *arg)
{
    double t0 = rs_time_now();
    while (rs_time_now() - t0 < 20) {
        rs_app_update(a);
        if (pred(a, arg))
            return true;
        struct pollfd p = {.fd = rs_bus_wake_fd(bus), .events = POLLIN};
        poll(&p, 1, 50);
        rs_bus_drain_wake(bus);
    }
    return false;
}

static bool
state_is(rs_app *a, void *arg)
{
    const struct rs_bus_status *st = rs_app_status(a);
    const long *want = arg; /* {state, step (-1: any)} */
    return (long)st->state == want[0] && (want[1] < 0 || st->step == want[1]);
}

/* The restarted run (lr 2) finished: its last loss is 2 / STEPS. */
static bool
new_run_done(rs_app *a, void *arg)
{
    (void)arg;
    double step, v;
    return rs_app_status(a)->state == RS_SESSION_DONE &&
           rs_bus_series_last(a_bus, "train/loss", &step, &v) &&
           step == STEPS && fabs(v - 2.0 / STEPS) < 1e-6;
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
screen_has(rs_app *a, const char *text)
{
    char *s = screen(a, 80, 24);
    bool has = strstr(s, text) != NULL;
    if (!has)
        tap_diag("screen lacks '%s':\n%s", text, s);
    free(s);
    return has;
}

static bool
screen_has_pred(rs_app *a, void *arg)
{
    char *s = screen(a, 80, 24);
    bool has = strstr(s, arg) != NULL;
    free(s);
    return has;
}

/* wait_for(..., screen_has_pred, text) */
static bool
wait_text(rs_app *a, rs_bus *bus, const char *text)
{
    char *copy = rs_xstrdup(text);
    bool ok = wait_for(a, bus, screen_has_pred, copy);
    if (!ok)
        (void)screen_has(a, copy); /* the screen, as a diagnostic */
    free(copy);
    return ok;
}

static bool
screen_lacks(rs_app *a, const char *text)
{
    char *s = screen(a, 80, 24);
    bool has = strstr(s, text) != NULL;
    free(s);
    return !has;
}

static void
type(rs_app *a, const char *s)
{
    for (const char *p = s; *p; p++)
        rs_app_key(a, (unsigned char)*p);
}

static void
test_keymap(void)
{
    int named = 0, help_keys = 0;
    for (int i = 0; i < rs_keymap_len; i++)
        named += rs_keymap[i].name != NULL;
    struct rs_keyhint h[128];
    int nh = rs_keys_help(true, h, 128);
    for (int i = 0; i < nh; i++)
        help_keys += h[i].key != NULL;
    tap_is_int(help_keys, named, "the help lists every named key");
    bool dup = false;
    for (int i = 0; i < rs_keymap_len; i++)
        for (int j = i + 1; j < rs_keymap_len; j++)
            dup = dup || (rs_keymap[i].name && rs_keymap[j].name &&
                          rs_keymap[i].mode == rs_keymap[j].mode &&
                          rs_keymap[i].key == rs_keymap[j].key);
    tap_ok(!dup, "no key is bound twice in a mode");
    const struct rs_keymap_entry *e = rs_keys_find(RS_KEYS_MAIN, 'q');
    tap_ok(e != NULL && e->action == RS_ACT_QUIT, "q quits");
    tap_ok(rs_keys_find(RS_KEYS_MAIN, 'Z') == NULL, "Z is not a key");
    struct rs_keyhint bar[32];
    int nb = rs_keys_bar(RS_KEYS_MAIN, false, bar, 32);
    bool session_key = false;
    for (int i = 0; i < nb; i++)
        session_key = session_key || strcmp(bar[i].key, "space") == 0;
    tap_ok(nb > 0 && !session_key, "read-only key bar: no training keys");
}

static void
test_session(void)
{
    struct drv d = {.lr = 1.0};
    char *dir = tap_tmpdir("t_ui_app");
    char *out = rs_xasprintf("%s/run", dir);
    struct rs_session_driver drv = {.ud = &d,
                                    .setup = d_setup,
                                    .step = d_step,
                                    .eval = d_eval,
                                    .set_param = d_set};
    struct rs_session_config cfg = {.scene_name = "tiny",
                                    .steps = STEPS,
                                    .seed = 1,
                                    .out_dir = out,
                                    .start_paused = true,
                                    .pause_on_nonfinite = true,
                                    .linger = true};
    struct rs_error err = {0};
    rs_session *s = rs_session_new(&cfg, &drv, &err);
    if (!tap_ok(s != NULL, "session: %s", err.msg))
        return;
    rs_bus *bus = rs_session_bus(s);
    a_bus = bus;
    struct rs_app_opts o = {.bus = bus, .q = rs_session_cmdq(s)};
    rs_app *a = rs_app_new(&o);
    tap_ok(rs_session_start(s, &err) == RS_OK, "started");

    long paused0[2] = {RS_SESSION_PAUSED, 0};
    tap_ok(wait_for(a, bus, state_is, paused0), "starts paused at step 0");
    tap_is_int(rs_app_views(a), 2, "two panels from the scene's specs");
    rs_app_key(a, 's');
    long paused1[2] = {RS_SESSION_PAUSED, 1};
    tap_ok(wait_for(a, bus, state_is, paused1), "s: one step, paused");
    rs_app_key(a, ' ');
    long done[2] = {RS_SESSION_DONE, STEPS};
    tap_ok(wait_for(a, bus, state_is, done), "space: runs to the end");
    tap_ok(!rs_session_ended(s), "done, but the worker lingers");
    tap_ok(screen_has(a, "DONE") && screen_has(a, "r restarts"),
           "the screen says done and how to go on");

    /* the console */
    tap_ok(rs_app_key(a, ':') & RS_UI_REDRAW, ": opens the console");
    type(a, "hello");
    rs_app_key(a, RS_KEY_ENTER);
    tap_ok(wait_text(a, bus, "second line"),
           "eval runs in the worker; both output lines show");
    tap_ok(screen_has(a, "> hello"), "the line is echoed");
    type(a, "fail");
    rs_app_key(a, RS_KEY_ENTER);
    tap_ok(wait_text(a, bus, "error: console:1: no such"),
           "an error shows in the console");
    type(a, "set lr = 2");
    rs_app_key(a, RS_KEY_ENTER);
    tap_ok(wait_text(a, bus, "step 30: lr = 2"),
           "set: the change is logged in the console");
    rs_app_key(a, RS_KEY_UP);
    rs_app_key(a, RS_KEY_UP);
    tap_ok(screen_has(a, "\u203a fail"), "up, up: the history's line");
    rs_app_key(a, RS_KEY_ESC);
    tap_ok(screen_lacks(a, "\u203a fail"), "esc closes the console");

    /* pause in the lingering state: refused with a notice */
    rs_app_key(a, ' ');
    tap_ok(wait_text(a, bus, "the run has ended"),
           "space after the end: a notice, no crash");
    rs_app_key(a, 'c');
    tap_ok(wait_text(a, bus, "checkpoint written at step 30"),
           "c: checkpoint written, said on the key bar row");

    /* restart: two presses */
    rs_app_key(a, 'r');
    tap_ok(screen_has(a, "press r again"), "r asks first");
    rs_app_key(a, 'r');
    tap_ok(wait_for(a, bus, new_run_done, NULL),
           "the restarted run ends again, with the new lr");
    tap_is_int(d.setups, 2, "setup ran twice");
    /* the loss panel shows the new run only: lr 2 -> first loss 2 */
    struct rs_canvas *cv = rs_canvas_new(80, 24);
    struct rs_ui_ctx ctx = {.color = RS_COLOR_MONO};
    rs_app_draw(a, cv, &ctx);
    rs_canvas_free(cv);
    double step, v;
    tap_ok(rs_bus_series_last(bus, "train/loss", &step, &v) && step == STEPS &&
               fabs(v - 2.0 / STEPS) < 1e-6,
           "the param set in the console applies to the new run");

    /* panels and keys */
    rs_app_key(a, RS_KEY_TAB);
    tap_is_int(rs_app_focus(a), 1, "tab: focus the next panel");
    rs_app_key(a, RS_KEY_LEFT);
    tap_is_int(rs_app_focus(a), 0, "left: the panel to the left");
    free(screen(a, 80, 24));
    rs_app_click(a, 60, 5, 1);
    tap_is_int(rs_app_focus(a), 1, "a click focuses the panel under it");
    rs_app_click(a, 10, 5, 1);
    tap_is_int(rs_app_focus(a), 0, "and the other one");
    rs_app_key(a, '-');
    tap_ok(wait_text(a, bus, "speed limit"), "-: a speed limit is set");
    rs_app_key(a, RS_KEY_ENTER);
    char *z = screen(a, 80, 24);
    tap_ok(strstr(z, "accuracy") == NULL && strstr(z, "loss") != NULL,
           "enter: the focused panel fills the screen");
    free(z);
    rs_app_key(a, RS_KEY_ENTER);
    tap_ok(screen_has(a, "accuracy"), "enter again: back to the grid");
    rs_app_key(a, '?');
    tap_ok(screen_has(a, "pause or resume training"), "?: the help");
    rs_app_key(a, RS_KEY_ESC);
    tap_ok(screen_lacks(a, "pause or resume training"), "esc closes it");
    tap_ok(screen_has(a, "q quit") && screen_has(a, "tiny"),
           "key bar and title on the screen");
    char *tiny = screen(a, 30, 10);
    tap_ok(strstr(tiny, "too small") != NULL, "30x10: too small, said so");
    free(tiny);

    /* quit: the worker ends with DONE */
    tap_ok(rs_app_key(a, 'q') & RS_UI_QUIT, "q quits");
    tap_ok(rs_app_quitting(a), "quitting");
    double t0 = rs_time_now();
    while (!rs_session_ended(s) && rs_time_now() - t0 < 20)
        wait_for(a, bus, state_is, done);
    tap_ok(rs_session_ended(s), "the worker ended after q");
    tap_ok(rs_session_join(s) == RS_SESSION_DONE, "final state DONE");
    rs_app_free(a);
    rs_session_free(s);

    /* run.jsonl: the view specs, the set event, the final quit */
    char *log = rs_xasprintf("%s/run.jsonl", out);
    FILE *f = fopen(log, "r");
    char line[4096];
    int nviews = 0, nset = 0, nquit = 0, nrestart = 0;
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        nviews += strstr(line, "\"kind\":\"views\"") != NULL;
        nset += strstr(line, "\"kind\":\"set\"") != NULL;
        nquit += strstr(line, "\"kind\":\"quit\"") != NULL;
        nrestart += strstr(line, "\"kind\":\"restart\"") != NULL;
    }
    if (f != NULL)
        fclose(f);
    tap_ok(nviews == 2, "views recorded after each setup (%d)", nviews);
    tap_ok(nset == 1 && nrestart == 1 && nquit == 1,
           "set, restart and quit events recorded");
    free(log);
    free(out);
    free(dir);
}

static void
test_readonly(void)
{
    rs_bus *bus = rs_bus_new();
    rs_bus_push(bus, "train/loss", 1, 2.0);
    rs_bus_push(bus, "train/loss", 2, 1.0);
    rs_bus_flush(bus);
    struct rs_app_opts o = {.bus = bus, .mode = "attach"};
    rs_app *a = rs_app_new(&o);
    rs_app_update(a);
    tap_is_int(rs_app_views(a), 1, "no specs: a default loss panel");
    rs_app_key(a, ' ');
    tap_ok(screen_has(a, "read-only"), "attach: space is refused");
    rs_app_key(a, ':');
    tap_ok(screen_lacks(a, "console"), "attach: no console");
    tap_ok(screen_has(a, "repscope attach"), "the mode in the status line");
    tap_ok(rs_app_key(a, 'q') & RS_UI_QUIT, "q quits at once");
    rs_app_free(a);
    rs_bus_free(bus);
}

/* A NaN pauses the run (pause_on_nonfinite) and flags the loss panel. */
static void
test_nonfinite(void)
{
    struct drv d = {.lr = 1.0, .nan_at = 5};
    struct rs_session_driver drv = {.ud = &d, .setup = d_setup, .step = d_step};
    struct rs_session_config cfg = {.scene_name = "tiny",
                                    .steps = STEPS,
                                    .seed = 1,
                                    .out_dir = "",
                                    .pause_on_nonfinite = true,
                                    .linger = true};
    struct rs_error err = {0};
    rs_session *s = rs_session_new(&cfg, &drv, &err);
    rs_bus *bus = rs_session_bus(s);
    struct rs_app_opts o = {.bus = bus, .q = rs_session_cmdq(s)};
    rs_app *a = rs_app_new(&o);
    tap_ok(rs_session_start(s, &err) == RS_OK, "nan: started");
    long paused5[2] = {RS_SESSION_PAUSED, 5};
    tap_ok(wait_for(a, bus, state_is, paused5), "a NaN at step 5 pauses");
    tap_is_str(rs_app_status(a)->nonfinite, "train/loss",
               "the status names where it appeared");
    char *sc = screen(a, 80, 24);
    /* the loss panel (left, its title row 1) carries the flag */
    char *row1 = strchr(sc, '\n') + 1;
    char *end = strchr(row1, '\n');
    *end = '\0';
    tap_ok(strstr(row1, "┌ loss") != NULL && strstr(row1, " NaN ") != NULL,
           "the loss panel is flagged: %s", row1);
    *end = '\n';
    tap_ok(strstr(sc, "non-finite value: step 5: train/loss is nan") != NULL,
           "the message says what and where");
    free(sc);
    rs_app_key(a, ' ');
    long done[2] = {RS_SESSION_DONE, STEPS};
    tap_ok(wait_for(a, bus, state_is, done), "space resumes to the end");
    rs_app_key(a, 'q');
    double t0 = rs_time_now();
    while (!rs_session_ended(s) && rs_time_now() - t0 < 20)
        wait_for(a, bus, state_is, done);
    tap_ok(rs_session_join(s) == RS_SESSION_DONE, "nan: quit, DONE");
    rs_app_free(a);
    rs_session_free(s);
}

int
main(void)
{
    tap_plan_lazy();
    test_keymap();
    test_readonly();
    test_session();
    test_nonfinite();
    return tap_done();
}
