/* repscope - MIT licence, see COPYING.
 *
 * fuzz_runlog.c: the readers behind `repscope attach` and `compare`
 * (run/attach.h) and the bus they publish to (run/bus.h, the reader side
 * in bus_read.c). Input: a mode byte, a split byte, then text. The text
 * is cut at (split / 255) of its length into A and B, and fed with
 * rs_attach_feed (no file is read for the lines):
 *   bit 0  the attach is a comparison member (rs_attach_new_member: its
 *          own prefix, a bus of ours, the status and views kept);
 *   bit 1  A is matrices.jsonl and B run.jsonl; else both are run.jsonl
 *          (a line cut across two reads of a growing log).
 * matrices.bin is a fixed 4 KiB file in the scratch directory (floats
 * 0, 1, ..., with a NaN and two infinities). Afterwards everything the
 * bus holds is read back through its reader API: series, matrices with
 * their labels, events, console lines, views and the status.
 */
#include "config.h"

#include "tests/fuzz/fuzz.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "run/attach.h"
#include "run/bus.h"

#define NAMES_MAX 64

/* The run directory: an empty run.jsonl and a 4 KiB matrices.bin. */
static const char *
run_dir(void)
{
    static bool made;
    if (!made) {
        char *p = fuzz_path("run.jsonl");
        fuzz_write(p, "", 0);
        free(p);
        float f[1024];
        for (int i = 0; i < 1024; i++)
            f[i] = (float)i;
        f[7] = NAN;
        f[8] = INFINITY;
        f[9] = -INFINITY;
        p = fuzz_path("matrices.bin");
        fuzz_write(p, f, sizeof f);
        free(p);
        made = true;
    }
    return fuzz_dir();
}

/* Read back all the bus holds. */
static void
read_bus(rs_bus *b)
{
    static char names[NAMES_MAX][RS_BUS_NAME_MAX];
    static struct rs_bus_point pts[RS_BUS_SERIES_CAP];
    int n = rs_bus_series_names(b, names, NAMES_MAX);
    for (int i = 0; i < n && i < NAMES_MAX; i++) {
        uint64_t ver;
        size_t k = rs_bus_series_copy(b, names[i], pts, RS_BUS_SERIES_CAP,
                                      &ver);
        CHECK(k <= RS_BUS_SERIES_CAP);
        double step, value;
        CHECK(rs_bus_series_last(b, names[i], &step, &value) == (k > 0));
    }
    n = rs_bus_matrix_names(b, names, NAMES_MAX);
    float *data = NULL;
    size_t cap = 0;
    for (int i = 0; i < n && i < NAMES_MAX; i++) {
        int rows = 0, cols = 0;
        double step;
        uint64_t ver;
        CHECK(rs_bus_matrix_copy(b, names[i], &data, &cap, &rows, &cols, &step,
                                 &ver));
        CHECK(rows >= 1 && cols >= 1 &&
              (size_t)rows * (size_t)cols <= cap);
        char label[64];
        for (int r = 0; r < rows && r < 64; r++)
            (void)rs_bus_matrix_label(b, names[i], true, r, label,
                                      sizeof label);
        for (int c = 0; c < cols && c < 64; c++)
            (void)rs_bus_matrix_label(b, names[i], false, c, label,
                                      sizeof label);
    }
    free(data);
    static struct rs_bus_event ev[RS_BUS_EVENTS_CAP];
    uint64_t last = 0;
    int ne = rs_bus_events(b, 0, ev, RS_BUS_EVENTS_CAP, &last);
    CHECK(ne >= 0 && ne <= RS_BUS_EVENTS_CAP);
    for (int i = 0; i < ne; i++)
        CHECK(memchr(ev[i].text, '\0', sizeof ev[i].text) != NULL);
    static char lines[RS_BUS_LINES_CAP][RS_BUS_LINE_MAX];
    int nl = rs_bus_lines(b, 0, lines, RS_BUS_LINES_CAP, &last);
    CHECK(nl >= 0 && nl <= RS_BUS_LINES_CAP);
    char *views = rs_bus_views(b);
    free(views);
    struct rs_bus_status st;
    rs_bus_status(b, &st);
    CHECK(memchr(st.message, '\0', sizeof st.message) != NULL);
    CHECK(memchr(st.title, '\0', sizeof st.title) != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    unsigned mode = data[0];
    const char *text = (const char *)data + 2;
    size_t n = size - 2, k = n * data[1] / 255;
    const char *dir = run_dir();
    struct rs_error err = {0};
    rs_bus *own = NULL;
    rs_attach *a;
    if (mode & 1) {
        own = rs_bus_new();
        a = rs_attach_new_member(dir, own, "m", &err);
    } else {
        a = rs_attach_new(dir, &err);
    }
    CHECK(a != NULL);
    rs_attach_feed(a, (mode & 2) != 0, text, k);
    rs_attach_feed(a, false, text + k, n - k);
    /* a member's caller flushes: do it as compare does */
    if (own != NULL)
        rs_bus_flush(own);
    struct rs_bus_status st;
    rs_attach_status(a, &st);
    (void)rs_attach_views(a);
    (void)rs_attach_finished(a);
    read_bus(own != NULL ? own : rs_attach_bus(a));
    rs_attach_free(a);
    rs_bus_free(own);
    return 0;
}
