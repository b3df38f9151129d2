/* repscope - MIT licence, see COPYING.
 *
 * t_run_compare.c: several run directories on one bus (run/compare.h),
 * from hand-written logs. Two runs whose meta lines differ in lr (and
 * share the rest) are labelled "lr=0.001" and "lr=0.003"; their series
 * land under those prefixes; the views overlay each recorded curve
 * series across both runs (one panel with both names), add the table
 * and each run's matrix panel with its names prefixed; the table holds
 * each run's step and last values (NaN for a series a run lacks). A run
 * that grows is seen on the next poll (the table follows), and the
 * status is RUNNING until both logs say done. A sweep directory gives
 * its started points labelled by the params that differ, seed last,
 * counting the points not started; more runs than one panel holds are
 * split by group. By group, each group's line is the mean over its runs
 * with their least and greatest value as the band, published only up to
 * the step every running or unstarted member has passed (a failed one
 * holds nothing back).
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/base.h"
#include "run/bus.h"
#include "run/compare.h"
#include "tests/tap.h"

static void
put(const char *dir, const char *name, const char *text, const char *mode)
{
    char *p = rs_xasprintf("%s/%s", dir, name);
    FILE *f = fopen(p, mode);
    RS_ASSERT(f != NULL);
    fputs(text, f);
    fclose(f);
    free(p);
}

#define DONE "{\"type\":\"event\",\"step\":3,\"kind\":\"done\",\"text\":\"d\"}\n"

#define VIEWS                                                                  \
    "{\"type\":\"event\",\"step\":0,\"kind\":\"views\",\"text\":\"{"           \
    "\\\"title\\\":\\\"T\\\",\\\"version\\\":1,\\\"views\\\":[{"               \
    "\\\"kind\\\":\\\"curves\\\",\\\"title\\\":\\\"acc\\\","                   \
    "\\\"series\\\":[\\\"train/acc\\\",\\\"test/acc\\\"]},{"                   \
    "\\\"kind\\\":\\\"spectrum\\\",\\\"layer\\\":\\\"l1\\\"}]}\"}\n"

static char *
run(const char *tmp, const char *name, const char *lr, const char *records)
{
    char *dir = rs_xasprintf("%s/%s", tmp, name);
    mkdir(dir, 0755);
    char *meta =
        rs_xasprintf("{\"type\":\"meta\",\"scene\":\"s\",\"params\":{\"lr\":%s,"
                     "\"width\":64},\"seed\":1,\"steps\":100}\n" VIEWS "%s",
                     lr, records);
    put(dir, "run.jsonl", meta, "w");
    free(meta);
    return dir;
}

static double
cell(rs_bus *bus, int r, int c)
{
    float *data = NULL;
    size_t cap = 0;
    int rows = 0, cols = 0;
    double step;
    uint64_t ver;
    double v = NAN;
    if (rs_bus_matrix_copy(bus, "compare/final", &data, &cap, &rows, &cols,
                           &step, &ver) &&
        r < rows && c < cols)
        v = (double)data[r * cols + c];
    free(data);
    return v;
}

static void
test_two(const char *tmp)
{
    char *a = run(tmp, "a", "0.001",
                  "{\"step\":10,\"train/acc\":0.5,\"test/acc\":0.25}\n");
    char *b = run(tmp, "b", "0.003",
                  "{\"step\":10,\"train/acc\":0.75}\n"
                  "{\"step\":20,\"train/acc\":0.875}\n"
                  "{\"type\":\"event\",\"step\":20,\"kind\":\"done\","
                  "\"text\":\"done\"}\n");
    const char *dirs[] = {a, b};
    struct rs_error err = {0};
    rs_compare *c = rs_compare_new(dirs, 2, RS_COMPARE_BY_AUTO, &err);
    if (!tap_ok(c != NULL, "two runs open (%s)", err.msg)) {
        free(a);
        free(b);
        return;
    }
    tap_is_str(rs_compare_label(c, 0), "lr=0.001", "run a: the lr differs");
    tap_is_str(rs_compare_label(c, 1), "lr=0.003", "run b");
    tap_ok(rs_compare_read_all(c, &err) == RS_OK, "read (%s)", err.msg);
    rs_bus *bus = rs_compare_bus(c);
    double step, v;
    tap_ok(rs_bus_series_last(bus, "lr=0.003/train/acc", &step, &v) &&
               step == 20 && v == 0.875,
           "b's series under its label");
    char *views = rs_bus_views(bus);
    tap_ok(views != NULL &&
               strstr(views,
                      "\"title\":\"test/acc\",\"series\":["
                      "\"lr=0.001/test/acc\",\"lr=0.003/test/acc\"]") != NULL,
           "test/acc overlaid across both runs");
    tap_ok(views != NULL && strstr(views, "\"kind\":\"table\"") != NULL,
           "a table of final values");
    tap_ok(views != NULL &&
               strstr(views, "\"matrix\":\"lr=0.003/spectrum/l1\"") != NULL,
           "b's spectrum with its names prefixed");
    if (views != NULL)
        tap_diag("%s", views);
    free(views);
    tap_is_float(cell(bus, 0, 0), 10, 0, 0, "table: a's step");
    tap_is_float(cell(bus, 1, 1), 0.875, 0, 0, "table: b's last train/acc");
    tap_ok(isnan(cell(bus, 1, 2)), "table: b has no test/acc");
    struct rs_bus_status st;
    rs_bus_status(bus, &st);
    tap_is_int(st.state, RS_SESSION_RUNNING, "running while a runs");
    tap_is_int(st.step, 20, "the furthest step");

    /* a grows and ends */
    put(a, "run.jsonl",
        "{\"step\":30,\"train/acc\":1.0,\"test/acc\":0.5}\n"
        "{\"type\":\"event\",\"step\":30,\"kind\":\"done\",\"text\":\"d\"}\n",
        "a");
    tap_ok(rs_compare_poll(c, &err) == 2, "the new lines are seen");
    tap_is_float(cell(bus, 0, 2), 0.5, 0, 0, "table: a's new test/acc");
    rs_bus_status(bus, &st);
    tap_is_int(st.state, RS_SESSION_DONE, "done when both are");
    rs_compare_free(c);
    free(a);
    free(b);
}

/* The points of series name on bus as "step:value" text. */
static void
points_of(rs_bus *bus, const char *name, char *out, size_t cap)
{
    struct rs_bus_point p[16];
    uint64_t ver = 0;
    size_t n = rs_bus_series_copy(bus, name, p, 16, &ver);
    size_t k = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && i < 16 && k < cap; i++)
        k += (size_t)snprintf(out + k, cap - k, "%s%g:%g", i ? " " : "",
                              p[i].step_lo, (double)p[i].last);
}

/* A sweep of lr a, b by seeds 1-3. a: seeds 1 and 2 done, 3 running at
 * step 2; b: seed 1 done, seed 2 failed after step 1, seed 3 not
 * started. */
static void
test_groups(const char *tmp)
{
    char *dir = rs_xasprintf("%s/groups", tmp);
    mkdir(dir, 0755);
    char *ex = rs_xasprintf("%s/exit", dir);
    mkdir(ex, 0755);
    static const char *const logs[6] = {
        "{\"step\":1,\"loss\":1}\n{\"step\":2,\"loss\":2}\n"
        "{\"step\":3,\"loss\":3}\n" DONE,
        "{\"step\":1,\"loss\":3}\n{\"step\":2,\"loss\":4}\n"
        "{\"step\":3,\"loss\":5}\n" DONE,
        "{\"step\":1,\"loss\":2}\n{\"step\":2,\"loss\":3}\n",
        "{\"step\":1,\"loss\":10}\n{\"step\":2,\"loss\":20}\n"
        "{\"step\":3,\"loss\":30}\n" DONE,
        "{\"step\":1,\"loss\":30}\n",
        NULL};
    char json[2048] = "{\"repscope_sweep\":1,\"points\":[";
    for (int k = 0; k < 6; k++) {
        const char *lr = k < 3 ? "a" : "b";
        char name[32];
        snprintf(name, sizeof name, "lr=%s,seed=%d", lr, k % 3 + 1);
        size_t len = strlen(json);
        snprintf(json + len, sizeof json - len,
                 "%s{\"index\":%d,\"name\":\"%s\",\"params\":{\"lr\":"
                 "\"%s\"},\"seed\":%d}",
                 k ? "," : "", k, name, lr, k % 3 + 1);
        if (logs[k] == NULL)
            continue;
        char *rd = rs_xasprintf("%s/%s", dir, name);
        mkdir(rd, 0755);
        char *text = rs_xasprintf(
            "{\"type\":\"meta\",\"scene\":\"s\",\"params\":{}}\n%s",
            logs[k]);
        put(rd, "run.jsonl", text, "w");
        free(text);
        free(rd);
    }
    strcat(json, "]}\n");
    put(dir, "sweep.json", json, "w");
    put(ex, "4", "1\n", "w"); /* b's seed 2 failed */
    struct rs_error err = {0};
    const char *dirs[] = {dir};
    rs_compare *c = rs_compare_new(dirs, 1, RS_COMPARE_BY_AUTO, &err);
    if (!tap_ok(c != NULL && rs_compare_read_all(c, &err) == RS_OK,
                "a sweep of 2 groups of 3 opens (%s)", err.msg)) {
        rs_compare_free(c);
        free(ex);
        free(dir);
        return;
    }
    rs_bus *bus = rs_compare_bus(c);
    char got[256];
    points_of(bus, "lr=a (3)/loss", got, sizeof got);
    tap_is_str(got, "1:2 2:3", "a: the mean up to the step its running "
                               "seed reached");
    points_of(bus, "lr=a (3)/loss_lo", got, sizeof got);
    tap_is_str(got, "1:1 2:2", "a: the least value as the band's low");
    points_of(bus, "lr=a (3)/loss_hi", got, sizeof got);
    tap_is_str(got, "1:3 2:4", "a: the greatest as its high");
    points_of(bus, "lr=b (3)/loss", got, sizeof got);
    tap_is_str(got, "", "b: held back by the seed not started");
    char *views = rs_bus_views(bus);
    tap_ok(views != NULL && strstr(views, "\"band\":true") &&
               strstr(views, "\"series\":[\"lr=a (3)/loss\",\"lr=b "
                             "(3)/loss\"]"),
           "auto: by group, one line and band per group");
    free(views);
    /* b's last seed runs and ends; a's running seed ends */
    char *rd = rs_xasprintf("%s/lr=b,seed=3", dir);
    mkdir(rd, 0755);
    put(rd, "run.jsonl",
        "{\"type\":\"meta\",\"scene\":\"s\",\"params\":{}}\n"
        "{\"step\":1,\"loss\":20}\n{\"step\":2,\"loss\":20}\n"
        "{\"step\":3,\"loss\":20}\n" DONE,
        "w");
    free(rd);
    rd = rs_xasprintf("%s/lr=a,seed=3", dir);
    put(rd, "run.jsonl", "{\"step\":3,\"loss\":4}\n" DONE, "a");
    free(rd);
    tap_ok(rs_compare_read_all(c, &err) == RS_OK, "read again (%s)", err.msg);
    points_of(bus, "lr=a (3)/loss", got, sizeof got);
    tap_is_str(got, "1:2 2:3 3:4", "a: step 3 once all have passed it");
    points_of(bus, "lr=b (3)/loss", got, sizeof got);
    tap_is_str(got, "1:20 2:20 3:25",
               "b: all three at step 1, the failed one left out after");
    points_of(bus, "lr=b (3)/loss_lo", got, sizeof got);
    tap_is_str(got, "1:10 2:20 3:20", "b: its band's low");
    rs_compare_free(c);
    c = rs_compare_new(dirs, 1, RS_COMPARE_BY_RUN, &err);
    tap_ok(c != NULL && rs_compare_read_all(c, &err) == RS_OK,
           "--by run opens");
    if (c != NULL) {
        views = rs_bus_views(rs_compare_bus(c));
        tap_ok(views != NULL && strstr(views, "\"band\"") == NULL &&
                   strstr(views, "lr=a seed=1/loss"),
               "--by run: a line per run, no band");
        free(views);
        points_of(rs_compare_bus(c), "lr=a (3)/loss", got, sizeof got);
        tap_is_str(got, "", "and no group series");
    }
    rs_compare_free(c);
    free(ex);
    free(dir);
}

static void
test_sweep(const char *tmp)
{
    char *dir = rs_xasprintf("%s/sweep", tmp);
    mkdir(dir, 0755);
    char *json = rs_xstrdup("{\"repscope_sweep\":1,\"points\":[\n");
    int k = 0;
    for (int l = 0; l < 2; l++)
        for (int s = 1; s <= 5; s++, k++) {
            const char *lr = l == 0 ? "1e-3" : "3e-3";
            char name[64];
            snprintf(name, sizeof name, "lr=%s,seed=%d", lr, s);
            char *pt = rs_xasprintf(
                "%s%s{\"index\":%d,\"name\":\"%s\",\"params\":{\"lr\":"
                "\"%s\"},\"seed\":%d}",
                json, k > 0 ? ",\n" : "", k, name, lr, s);
            free(json);
            json = pt;
            if (k == 9)
                continue; /* the last point has not started */
            char *rd = rs_xasprintf("%s/%s", dir, name);
            mkdir(rd, 0755);
            put(rd, "run.jsonl",
                "{\"type\":\"meta\",\"scene\":\"s\",\"params\":{},"
                "\"seed\":1}\n{\"step\":1,\"loss\":2}\n",
                "w");
            free(rd);
        }
    char *all = rs_xasprintf("%s]}\n", json);
    put(dir, "sweep.json", all, "w");
    free(all);
    free(json);
    struct rs_error err = {0};
    const char *dirs[] = {dir};
    rs_compare *c = rs_compare_new(dirs, 1, RS_COMPARE_BY_RUN, &err);
    if (!tap_ok(c != NULL, "a sweep opens (%s)", err.msg)) {
        free(dir);
        return;
    }
    tap_is_int(rs_compare_count(c), 9, "its 9 started points");
    tap_is_str(rs_compare_label(c, 0), "lr=1e-3 seed=1",
               "labelled by param, seed last");
    tap_is_str(rs_compare_label(c, 8), "lr=3e-3 seed=4", "the last run");
    tap_ok(rs_compare_read_all(c, &err) == RS_OK, "read (%s)", err.msg);
    rs_bus *bus = rs_compare_bus(c);
    char *views = rs_bus_views(bus);
    tap_ok(views != NULL && strstr(views, "\"loss \xc2\xb7 lr=1e-3\"") &&
               strstr(views, "\"loss \xc2\xb7 lr=3e-3\""),
           "9 runs: a loss panel per lr group (no recorded views: the "
           "series on the bus)");
    free(views);
    struct rs_bus_status st;
    rs_bus_status(bus, &st);
    tap_ok(strstr(st.message, "1 not started") != NULL, "status: %s",
           st.message);
    tap_ok(strstr(st.title, "9 runs of") != NULL &&
               strstr(st.title, "/10 done") != NULL && st.runs == 9,
           "title counts the sweep's points: %s", st.title);
    rs_compare_free(c);
    free(dir);
}

/* The grid of an 8-point seed sweep: seeds 1-5 done (loss 1+s/10 at
 * step 2), seed 6 running, seed 7 failed (exit 3), seed 8 not started
 * until a poll finds its log. */
static void
test_grid(const char *tmp)
{
    char *dir = rs_xasprintf("%s/grid", tmp);
    char *ex = rs_xasprintf("%s/grid/exit", tmp);
    mkdir(dir, 0755);
    mkdir(ex, 0755);
    char *json = rs_xstrdup("{\"repscope_sweep\":1,\"points\":[\n");
    for (int s = 1; s <= 8; s++) {
        char *pt = rs_xasprintf("%s%s{\"index\":%d,\"name\":\"seed=%d\","
                                "\"params\":{},\"seed\":%d}",
                                json, s > 1 ? ",\n" : "", s - 1, s, s);
        free(json);
        json = pt;
        if (s == 8)
            continue;
        char *rd = rs_xasprintf("%s/seed=%d", dir, s);
        mkdir(rd, 0755);
        char *log = rs_xasprintf(
            "{\"type\":\"meta\",\"scene\":\"s\",\"params\":{},\"seed\":%d}\n"
            "{\"step\":1,\"loss\":2}\n{\"step\":2,\"loss\":%g}\n%s",
            s, 1 + s / 10.0,
            s <= 5 ? "{\"type\":\"event\",\"step\":2,\"kind\":\"done\"}\n"
                   : "");
        put(rd, "run.jsonl", log, "w");
        free(log);
        free(rd);
        if (s == 7)
            put(ex, "6", "3\n", "w");
        else if (s <= 5) {
            char e[8];
            snprintf(e, sizeof e, "%d", s - 1);
            put(ex, e, "0\n", "w");
        }
    }
    char *all = rs_xasprintf("%s]}\n", json);
    put(dir, "sweep.json", all, "w");
    free(all);
    free(json);
    struct rs_error err = {0};
    rs_compare *c = rs_compare_new_grid(dir, NULL, &err);
    if (!tap_ok(c != NULL, "a sweep's grid opens (%s)", err.msg))
        goto out;
    tap_ok(rs_compare_read_all(c, &err) == RS_OK, "read (%s)", err.msg);
    tap_is_str(rs_compare_grid_series(c), "loss",
               "no recorded views: the first series logged");
    rs_bus *bus = rs_compare_bus(c);
    char *views = rs_bus_views(bus);
    int panels = 0;
    for (const char *p = views; p != NULL && (p = strstr(p, "\"curves\""));
         p++)
        panels++;
    tap_is_int(panels, 8, "a panel per point, started or not");
    tap_ok(views != NULL && strstr(views, "\"title\":\"seed=1 \xc2\xb7 done\"") &&
               strstr(views, "\"title\":\"seed=6\"") &&
               strstr(views, "\"seed=7 \xc2\xb7 FAILED, exit 3\"") &&
               strstr(views, "\"seed=8 \xc2\xb7 not started\"") &&
               strstr(views, "[\"seed=6/loss\"]"),
           "titled by label and state, one series each");
    double lo, hi;
    rs_compare_grid_range(c, &lo, &hi);
    tap_ok(lo == 1.0 && hi == 2.0, "shared y range [1, 2] (%g, %g)", lo, hi);
    tap_ok(views != NULL && strstr(views, "\"ymin\":1,\"ymax\":2") != NULL,
           "every panel on it");
    int shared = 0;
    for (const char *p = views; p != NULL && (p = strstr(p, "\"ymax\":2"));
         p++)
        shared++;
    tap_is_int(shared, 8, "all 8 panels");
    free(views);
    struct rs_bus_status st;
    rs_bus_status(bus, &st);
    tap_ok(strstr(st.message, "8 points: 5 done, 1 running, 1 failed, "
                              "1 not started") != NULL &&
               strstr(st.message, "seed=7 failed (exit 3)") != NULL,
           "status counts: %s", st.message);
    tap_is_str(st.title, "loss \xc2\xb7 5/8 done, 1 running, 1 failed",
               "the title counts in short");
    tap_is_int(st.runs, 8, "a status of 8 runs (no one seed)");
    tap_is_int(st.state, RS_SESSION_FAILED, "failed when a point failed");
    /* the last point starts: the next poll takes it in */
    char *rd = rs_xasprintf("%s/seed=8", dir);
    mkdir(rd, 0755);
    put(rd, "run.jsonl",
        "{\"type\":\"meta\",\"scene\":\"s\",\"params\":{},\"seed\":8}\n"
        "{\"step\":1,\"loss\":0.5}\n",
        "w");
    free(rd);
    tap_ok(rs_compare_poll(c, &err) > 0, "a poll sees it start");
    tap_is_int(rs_compare_count(c), 8, "8 members");
    tap_is_str(rs_compare_label(c, 7), "seed=8", "in sweep order");
    rs_compare_grid_range(c, &lo, &hi);
    tap_ok(lo == 0.5 && hi == 2.0, "the range follows (%g, %g)", lo, hi);
    rs_bus_status(bus, &st);
    tap_ok(strstr(st.message, "2 running, 1 failed, 0 not started") != NULL,
           "status: %s", st.message);
    rs_compare_free(c);
    /* usage errors */
    c = rs_compare_new_grid(dir, "nope", &err);
    tap_ok(c != NULL && rs_compare_read_all(c, &err) == RS_OK &&
               rs_compare_grid_check(c, &err) == RS_EINVAL &&
               strstr(err.msg, "'nope'") && strstr(err.msg, "loss"),
           "an unknown --series: %s", err.msg);
    rs_compare_free(c);
    c = rs_compare_new_grid(tmp, NULL, &err);
    tap_ok(c == NULL && strstr(err.msg, "sweep.json") != NULL,
           "no sweep: %s", err.msg);
    c = rs_compare_new_grid(dir, "", &err);
    tap_ok(c == NULL && err.code == RS_EINVAL, "an empty series: %s",
           err.msg);
out:
    free(ex);
    free(dir);
}

int
main(void)
{
    tap_plan_lazy();
    char *tmp = tap_tmpdir("t_run_compare");
    test_two(tmp);
    test_sweep(tmp);
    test_groups(tmp);
    test_grid(tmp);
    struct rs_error err = {0};
    const char *none[] = {"/nonexistent/run"};
    rs_compare *c = rs_compare_new(none, 1, RS_COMPARE_BY_AUTO, &err);
    tap_ok(c == NULL && strstr(err.msg, "run.jsonl") != NULL,
           "no run directory: %s", err.msg);
    free(tmp);
    return tap_done();
}
