/* repscope - MIT licence, see COPYING.
 *
 * t_lua_session.c: Lua scenes driven by the real session (worker thread,
 * bus, run directory, checkpoints): what a scene publishes arrives on the
 * bus under the stable names, with its views and title; a run of 2N steps
 * and a run of N steps resumed to 2N leave identical checkpoints, section
 * by section, also for a scene of two named learners (whose metrics are
 * all a/... and b/...; the resumed bus holds the series from the run's
 * start, read back from run.jsonl); a scene error fails the run with
 * "file:line: message" and the traceback on the console.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lua/host.h"
#include "run/bus.h"
#include "run/ckpt.h"
#include "run/cmdq.h"
#include "run/session.h"
#include "tests/tap.h"

static char *tmp;

/* Run scene for steps (or, with stop_at > 0, quit after stop_at of them:
 * the schedule still plans for steps) and join. */
static enum rs_session_state
run_until(const char *scene, const char *sub, long steps, long stop_at,
          const char *resume, rs_session **out)
{
    struct rs_error err = {0};
    struct rs_session_driver drv;
    struct rs_lua_scene_info info;
    if (rs_lua_scene_driver(scene, NULL, 0, NULL, &drv, &info, &err) != RS_OK)
        tap_bail("driver: %s", err.msg);
    char *dir = sub != NULL ? rs_xasprintf("%s/%s", tmp, sub) : NULL;
    struct rs_session_config cfg = {
        .scene_path = scene,
        .scene_name = info.name,
        .steps = steps,
        .seed = 7,
        .out_dir = dir,
        .threads = 1,
        .resume_dir = resume,
        .start_paused = stop_at > 0,
    };
    rs_session *s = rs_session_new(&cfg, &drv, &err);
    free(dir);
    if (s == NULL)
        tap_bail("session: %s", err.msg);
    if (rs_session_start(s, &err) != RS_OK)
        tap_bail("start: %s", err.msg);
    if (stop_at > 0) {
        struct rs_cmd c = {.kind = RS_CMD_STEP, .n = stop_at};
        if (rs_cmdq_push(rs_session_cmdq(s), &c) != RS_OK)
            tap_bail("cannot push the step command");
        /* wait (bounded, 20 s) until the steps are done, then quit */
        struct rs_bus_status st;
        for (int i = 0; i < 2000; i++) {
            rs_bus_status(rs_session_bus(s), &st);
            if (st.step >= stop_at && st.state == RS_SESSION_PAUSED)
                break;
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        if (rs_cmdq_push_kind(rs_session_cmdq(s), RS_CMD_QUIT) != RS_OK)
            tap_bail("cannot push quit");
    }
    enum rs_session_state st = rs_session_join(s);
    *out = s;
    return st;
}

static enum rs_session_state
run(const char *scene, const char *sub, long steps, const char *resume,
    rs_session **out)
{
    return run_until(scene, sub, steps, 0, resume, out);
}

static bool
has_series(rs_bus *b, const char *name)
{
    static char names[256][RS_BUS_NAME_MAX];
    int n = rs_bus_series_names(b, names, 256);
    for (int i = 0; i < n && i < 256; i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}

/* Points (buckets) of series name on the bus. */
static size_t
points(rs_bus *b, const char *name)
{
    static struct rs_bus_point pts[1024];
    uint64_t version = 0;
    return rs_bus_series_copy(b, name, pts, 1024, &version);
}

/* Every section of a equals b's (same kind, count and bytes). */
static bool
same_ckpt(const char *pa, const char *pb, char *diff, size_t len)
{
    struct rs_error err = {0};
    rs_ckpt *a = rs_ckpt_read(pa, &err), *b = rs_ckpt_read(pb, &err);
    bool ok = a != NULL && b != NULL && rs_ckpt_count(a) == rs_ckpt_count(b);
    snprintf(diff, len, "%s", ok ? "" : "section count or read error");
    for (int i = 0; ok && i < rs_ckpt_count(a); i++) {
        const char *name = rs_ckpt_name(a, i);
        size_t na = 0, nb = 0;
        const float *fa = rs_ckpt_floats(a, name, &na);
        const uint64_t *ua = fa == NULL ? rs_ckpt_u64s(a, name, &na) : NULL;
        if (fa != NULL) {
            const float *fb = rs_ckpt_floats(b, name, &nb);
            ok = fb != NULL && na == nb && memcmp(fa, fb, na * 4) == 0;
        } else if (ua != NULL) {
            const uint64_t *ub = rs_ckpt_u64s(b, name, &nb);
            ok = ub != NULL && na == nb && memcmp(ua, ub, na * 8) == 0;
        } else {
            const char *tb = rs_ckpt_text(b, name);
            ok = tb != NULL && strcmp(rs_ckpt_text(a, name), tb) == 0;
        }
        if (!ok)
            snprintf(diff, len, "%s", name);
    }
    rs_ckpt_free(a);
    rs_ckpt_free(b);
    return ok;
}

static void
test_publish_and_resume(void)
{
    enum { N = 20 };
    char *tiny = tap_srcpath("tests/data/scenes/tiny.lua");
    rs_session *s;
    tap_is_int(run(tiny, "straight", 2 * N, NULL, &s), RS_SESSION_DONE,
               "tiny: %d steps DONE", 2 * N);
    rs_bus *b = rs_session_bus(s);
    static const char *const names[] = {
        "train/loss",  "train/acc",      "test/loss",      "test/acc",
        "train/lr",    "probe/srank/l1", "probe/erank/l2", "probe/dead/l2",
        "norm/weight", "norm/grad",      "norm/weight/l1"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        tap_ok(has_series(b, names[i]), "series %s on the bus", names[i]);
    char *views = rs_bus_views(b);
    tap_ok(views != NULL && strstr(views, "\"kind\":\"rank_heatmap\"") != NULL,
           "view specs published");
    free(views);
    float *data = NULL;
    size_t cap = 0;
    int rows = 0, cols = 0;
    double step = 0;
    tap_ok(rs_bus_matrix_copy(b, "spectrum/l2", &data, &cap, &rows, &cols,
                              &step, NULL) &&
               rows == 1 && cols == 16 && step == 2 * N,
           "spectrum/l2 matrix (1 x 16 at step %d)", 2 * N);
    tap_ok(rs_bus_matrix_copy(b, "neurons/l2", &data, &cap, &rows, &cols, &step,
                              NULL) &&
               rows == 1 && cols == 16,
           "neurons/l2 matrix");
    free(data);
    struct rs_bus_status st;
    rs_bus_status(b, &st);
    tap_is_str(st.title, "tiny", "title from the scene");
    tap_ok(st.lua_bytes > 0, "Lua memory in the status");
    char *straight = rs_xasprintf("%s/ckpt.bin", rs_session_run_dir(s));
    rs_session_free(s);

    /* the first half plans for 2N steps (the cosine schedule's length) and
     * quits after N */
    tap_is_int(run_until(tiny, "halves", 2 * N, N, NULL, &s), RS_SESSION_DONE,
               "first half DONE");
    char *halves = rs_xstrdup(rs_session_run_dir(s));
    rs_session_free(s);
    tap_is_int(run(tiny, NULL, 2 * N, halves, &s), RS_SESSION_DONE,
               "resumed half DONE");
    rs_session_free(s);
    char *resumed = rs_xasprintf("%s/ckpt.bin", halves);
    char diff[128];
    tap_ok(same_ckpt(straight, resumed, diff, sizeof diff),
           "2N straight and N + resumed N: identical checkpoints (%s)", diff);
    free(straight);
    free(resumed);
    free(halves);
    free(tiny);
}

/* Two named learners through the real session: every learner metric on
 * the bus is a/... or b/..., the views name both, and --resume continues
 * bit for bit (checkpoints equal section by section). */
static void
test_two_learners(void)
{
    enum { N = 15 };
    char *two = tap_srcpath("tests/data/scenes/two_learners.lua");
    rs_session *s;
    tap_is_int(run(two, "two_straight", 2 * N, NULL, &s), RS_SESSION_DONE,
               "two learners: %d steps DONE", 2 * N);
    rs_bus *b = rs_session_bus(s);
    static const char *const names[] = {
        "a/train/loss",    "b/train/loss",     "a/test/acc",
        "b/test/acc",      "a/probe/srank/l1", "b/probe/srank/l2",
        "b/probe/dead/l1", "a/norm/weight",    "b/norm/grad"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        tap_ok(has_series(b, names[i]), "series %s on the bus", names[i]);
    static const char *const bare[] = {"train/loss", "test/acc",
                                       "probe/srank/l1", "norm/weight"};
    bool none = true;
    for (size_t i = 0; i < sizeof bare / sizeof bare[0]; i++)
        none = none && !has_series(b, bare[i]);
    tap_ok(none, "no bare learner metric on the bus");
    char *views = rs_bus_views(b);
    tap_ok(views != NULL && strstr(views, "\"a/probe/srank/l1\"") != NULL &&
               strstr(views, "\"b/probe/srank/l1\"") != NULL &&
               strstr(views, "\"b/test/acc\"") != NULL,
           "the views name both learners");
    free(views);
    size_t want_loss = points(b, "a/train/loss");
    size_t want_rank = points(b, "b/probe/srank/l1");
    char *straight = rs_xasprintf("%s/ckpt.bin", rs_session_run_dir(s));
    rs_session_free(s);
    tap_is_int(run_until(two, "two_halves", 2 * N, N, NULL, &s),
               RS_SESSION_DONE, "first half DONE");
    char *halves = rs_xstrdup(rs_session_run_dir(s));
    rs_session_free(s);
    tap_is_int(run(two, NULL, 2 * N, halves, &s), RS_SESSION_DONE,
               "resumed half DONE");
    b = rs_session_bus(s);
    tap_ok(want_loss == 6 && points(b, "a/train/loss") == want_loss &&
               points(b, "b/probe/srank/l1") == want_rank,
           "the resumed bus holds the whole history (%zu train/loss, %zu "
           "rank points)",
           points(b, "a/train/loss"), points(b, "b/probe/srank/l1"));
    rs_session_free(s);
    char *resumed = rs_xasprintf("%s/ckpt.bin", halves);
    char diff[128];
    tap_ok(same_ckpt(straight, resumed, diff, sizeof diff),
           "two learners: 2N straight and N + resumed N: identical "
           "checkpoints (%s)",
           diff);
    free(straight);
    free(resumed);
    free(halves);
    free(two);
}

static void
test_failure(void)
{
    char *bad = tap_srcpath("tests/data/scenes/step_badarg.lua");
    rs_session *s;
    tap_is_int(run(bad, "failing", 10, NULL, &s), RS_SESSION_FAILED,
               "a scene error fails the run");
    rs_bus *b = rs_session_bus(s);
    struct rs_bus_status st;
    rs_bus_status(b, &st);
    tap_ok(strstr(st.message,
                  "step_badarg.lua:8: rs.tensor.zeros: bad argument #1 "
                  "'shape' (table of up to 4 positive integers expected, "
                  "got string)") != NULL,
           "status names file:line: %s", st.message);
    static char lines[64][RS_BUS_LINE_MAX];
    uint64_t last = 0;
    int n = rs_bus_lines(b, 0, lines, 64, &last);
    bool tb = false;
    for (int i = 0; i < n; i++)
        tb = tb || strstr(lines[i], "stack traceback:") != NULL;
    tap_ok(tb, "the traceback is on the console");
    rs_session_free(s);
    free(bad);
}

int
main(void)
{
    setenv("RS_DATADIR", getenv("RS_SRCDIR") ? getenv("RS_SRCDIR") : ".", 0);
    tmp = tap_tmpdir("lua_session");
    test_publish_and_resume();
    test_two_learners();
    test_failure();
    free(tmp);
    return tap_done();
}
