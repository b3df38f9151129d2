/* repscope - MIT licence, see COPYING.
 *
 * t_ui_attach.c: `repscope attach` as the UI sees it: a run directory
 * written here line by line (as a session would) and read back onto a
 * bus by the feeder (src/run/attach.c). Checks: a partial last line waits
 * for its newline; records become series points at their steps; the meta
 * line gives scene, seed and total; events give markers and the state
 * (pause, resume, restart, done); the recorded view specs reach the bus;
 * a null value names the non-finite series; a malformed line is skipped
 * and counted, the status naming its file and line; matrices with
 * labels from matrices.jsonl/.bin; the feeder thread follows a growing
 * log; a missing directory is refused naming the file; and the screen
 * composed from it (rs_app_frame) shows the recorded panels in
 * read-only mode. Waits are bounded (20 s).
 */
#include "config.h"

#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/base.h"
#include "run/attach.h"
#include "run/bus.h"
#include "tests/tap.h"
#include "ui/app.h"

static char *dir;

static void
append(const char *name, const char *text)
{
    char *p = rs_xasprintf("%s/%s", dir, name);
    FILE *f = fopen(p, "a");
    RS_ASSERT(f != NULL);
    fputs(text, f);
    fclose(f);
    free(p);
}

static void
append_bin(const float *v, size_t n)
{
    char *p = rs_xasprintf("%s/matrices.bin", dir);
    FILE *f = fopen(p, "ab");
    RS_ASSERT(f != NULL);
    fwrite(v, sizeof *v, n, f);
    fclose(f);
    free(p);
}

static size_t
points(rs_bus *bus, const char *name, struct rs_bus_point *out)
{
    uint64_t ver;
    return rs_bus_series_copy(bus, name, out, RS_BUS_SERIES_CAP, &ver);
}

static const char views[] =
    "{\\\"version\\\":1,\\\"title\\\":\\\"Recorded title\\\","
    "\\\"notes\\\":\\\"n\\\",\\\"views\\\":[{\\\"kind\\\":\\\"curves\\\","
    "\\\"title\\\":\\\"the loss\\\",\\\"series\\\":[\\\"train/loss\\\"]}]}";

int
main(void)
{
    tap_plan_lazy();
    struct rs_error err = {0};
    char *top = tap_tmpdir("t_ui_attach");
    dir = rs_xasprintf("%s/run", top);
    mkdir(dir, 0755);

    rs_attach *none = rs_attach_new(top, &err);
    tap_ok(none == NULL && strstr(err.msg, "run.jsonl") != NULL,
           "a directory without run.jsonl is refused: %s", err.msg);

    append("run.jsonl", "{\"type\":\"meta\",\"scene\":\"toy\",\"params\":"
                        "{\"lr\":0.1},\"seed\":7,\"steps\":100,"
                        "\"kernel\":\"k\"}\n");
    rs_attach *a = rs_attach_new(dir, &err);
    if (!tap_ok(a != NULL, "attach: %s", err.msg))
        return tap_done();
    rs_bus *bus = rs_attach_bus(a);
    struct rs_bus_point *pts = rs_xcalloc(RS_BUS_SERIES_CAP, sizeof *pts);
    struct rs_bus_status st;

    char line[512];
    snprintf(
        line, sizeof line,
        "{\"type\":\"event\",\"step\":0,\"kind\":\"views\",\"text\":\"%s\"}"
        "\n",
        views);
    append("run.jsonl", line);
    for (int s = 1; s <= 4; s++) {
        snprintf(line, sizeof line, "{\"step\":%d,\"train/loss\":%g}\n", s,
                 1.0 / s);
        append("run.jsonl", line);
    }
    append("run.jsonl", "{\"step\":5,\"train/lo"); /* torn: no newline */
    tap_ok(rs_attach_poll(a, &err) == 6, "six complete lines taken");
    rs_bus_status(bus, &st);
    tap_ok(strcmp(st.scene, "toy") == 0 && st.seed == 7 && st.total == 100,
           "meta: scene, seed, total");
    tap_ok(strcmp(st.title, "Recorded title") == 0,
           "the title from the recorded view specs");
    tap_ok(st.step == 4 && st.state == RS_SESSION_RUNNING,
           "step 4 (the partial line waits), running");
    size_t n = points(bus, "train/loss", pts);
    tap_ok(n == 4 && pts[3].step_hi == 4 && pts[3].last == 0.25f,
           "four points at their steps");
    char *v = rs_bus_views(bus);
    tap_ok(v != NULL && strstr(v, "\"the loss\"") != NULL,
           "the view specs reach the bus, unescaped");
    free(v);

    append("run.jsonl", "ss\":0.2}\n");
    append("run.jsonl", "{\"type\":\"event\",\"step\":5,\"kind\":\"set\","
                        "\"text\":\"lr = 0.05\"}\n");
    append("run.jsonl", "not json at all\n");
    append("run.jsonl", "{\"step\":6,\"train/loss\":null}\n");
    append("run.jsonl", "{\"type\":\"event\",\"step\":6,\"kind\":\"pause\","
                        "\"text\":\"pause\"}\n");
    tap_ok(rs_attach_poll(a, &err) == 5, "the torn line completed, and 4 more");
    n = points(bus, "train/loss", pts);
    tap_ok(n == 5 && pts[4].step_hi == 5 && fabsf(pts[4].last - 0.2f) < 1e-6f,
           "the completed line is a point at step 5");
    rs_bus_status(bus, &st);
    tap_ok(st.state == RS_SESSION_PAUSED, "a pause event: PAUSED");
    tap_ok(strcmp(st.nonfinite, "train/loss") == 0,
           "a null value names the series");
    tap_ok(strstr(st.message, "1 malformed line skipped") != NULL,
           "the malformed line is skipped and counted");
    tap_ok(strstr(st.message, "run.jsonl:9: JSON offset 0: ") != NULL,
           "named by file and line, with the codec's message: %s",
           st.message);
    struct rs_bus_event ev[8];
    uint64_t last;
    int ne = rs_bus_events(bus, 0, ev, 8, &last);
    tap_ok(ne == 2 && ev[0].step == 5 && strcmp(ev[0].text, "lr = 0.05") == 0,
           "events become markers at their steps");

    /* a matrix: payload first, then its index line */
    float m[6] = {1, 2, 3, 4, 5, 6};
    append_bin(m, 6);
    append("matrices.jsonl", "{\"name\":\"heat/x\",\"step\":6,\"rows\":2,"
                             "\"cols\":3,\"offset\":0,\"row_labels\":"
                             "[\"a\\u00e9\",\"b\\\"q\"],\"col_labels\":null}\n");
    tap_ok(rs_attach_poll(a, &err) == 1, "one matrix line");
    float *data = NULL;
    size_t cap = 0;
    int rows, cols;
    double mstep;
    uint64_t mver;
    char lab[16];
    tap_ok(rs_bus_matrix_copy(bus, "heat/x", &data, &cap, &rows, &cols, &mstep,
                              &mver) &&
               rows == 2 && cols == 3 && data[5] == 6 && mstep == 6,
           "the matrix from matrices.bin at its offset");
    tap_ok(rs_bus_matrix_label(bus, "heat/x", true, 1, lab, sizeof lab) &&
               strcmp(lab, "b\"q") == 0,
           "row labels, unescaped");
    tap_ok(rs_bus_matrix_label(bus, "heat/x", true, 0, lab, sizeof lab) &&
               strcmp(lab, "a\xc3\xa9") == 0,
           "a \\u00e9 escape in a label decodes to UTF-8");
    tap_ok(!rs_bus_matrix_label(bus, "heat/x", false, 0, lab, sizeof lab),
           "no column labels");
    free(data);

    /* a restart, then the run goes on from step 1; then it ends */
    append("run.jsonl", "{\"type\":\"event\",\"step\":6,\"kind\":\"restart\","
                        "\"text\":\"restart from step 0 (was at step 6)\"}\n"
                        "{\"step\":1,\"train/loss\":9}\n"
                        "{\"step\":2,\"train/loss\":8,"
                        "\"time/steps_per_s\":50}\n");
    tap_ok(rs_attach_poll(a, &err) == 3, "restart and two records");
    rs_bus_status(bus, &st);
    tap_ok(st.step == 2 && st.state == RS_SESSION_RUNNING &&
               st.nonfinite[0] == '\0' && st.steps_per_s == 50,
           "after the restart: step 2, running, steps/s from the log");
    tap_ok(st.eta_s > 1.95 && st.eta_s < 1.97, "ETA (100 - 2) / 50 s");
    n = points(bus, "train/loss", pts);
    tap_ok(n == 7 && pts[5].step_lo == 1, "the new run's points follow");
    tap_ok(!rs_attach_finished(a), "not finished");
    append("run.jsonl", "{\"type\":\"event\",\"step\":2,\"kind\":\"done\","
                        "\"text\":\"done at step 2\"}\n");
    tap_ok(rs_attach_poll(a, &err) == 1 && rs_attach_finished(a),
           "a done event: finished");
    rs_bus_status(bus, &st);
    tap_ok(st.state == RS_SESSION_DONE, "DONE");
    tap_ok(rs_attach_poll(a, &err) == 0, "nothing new: 0");

    /* the screen from it: read-only, the recorded panel */
    char *frame = NULL;
    size_t flen = 0;
    FILE *f = open_memstream(&frame, &flen);
    int rc = rs_app_frame(bus, "attach", 80, 24, false, RS_COLOR_MONO, f, &err);
    fclose(f);
    tap_ok(rc == RS_OK && strstr(frame, "repscope attach") != NULL &&
               strstr(frame, "the loss") != NULL &&
               strstr(frame, "DONE") != NULL &&
               strstr(frame, "space pause") == NULL,
           "the frame: attach mode, the recorded panel, no training keys");
    if (rc != RS_OK || strstr(frame, "the loss") == NULL)
        tap_diag("%s", frame);
    free(frame);
    rs_attach_free(a);

    /* following: the feeder thread picks up what is appended */
    a = rs_attach_new(dir, &err);
    bus = rs_attach_bus(a);
    tap_ok(rs_attach_start(a, 0.02, &err) == RS_OK, "the feeder starts");
    append("run.jsonl", "{\"step\":3,\"train/loss\":7}\n");
    bool seen = false;
    double t0 = rs_time_now();
    while (!seen && rs_time_now() - t0 < 20) {
        struct pollfd p = {.fd = rs_bus_wake_fd(bus), .events = POLLIN};
        poll(&p, 1, 50);
        rs_bus_drain_wake(bus);
        double step, val;
        seen = rs_bus_series_last(bus, "train/loss", &step, &val) &&
               step == 3 && val == 7;
    }
    tap_ok(seen, "a line appended while following shows up");
    rs_attach_free(a); /* stops and joins the feeder */
    tap_ok(true, "the feeder stops");

    free(pts);
    free(dir);
    free(top);
    return tap_done();
}
