/* repscope - MIT licence, see COPYING.
 *
 * t_run_faults.c: write errors in the run directory. A file-size limit
 * (RLIMIT_FSIZE, with SIGXFSZ ignored, so write(2) fails with EFBIG after
 * a short write, as on a full disk) is lowered and raised again inside
 * the process. Checks: rs_runlog cuts a file back to its last whole line
 * after a failed (short) write, queues what failed and writes it, in
 * order, once there is room (run.jsonl and the matrices pair); a session
 * with a UI pauses on the failure with a message naming the file, keeps
 * the last checkpoint, refuses to go on while the disk is still full,
 * and after a resume has every step's record exactly once; without a UI
 * it stops with a message naming the file, the step and the checkpoint a
 * --resume starts from, and that resume works; a failed checkpoint
 * pauses the run as well and leaves the previous one; a checkpoint write
 * removes the temp file a killed writer left. Every wait is bounded
 * (20 s); no result depends on timing. The limit holds for every file
 * the process writes: TAP goes to a pipe under make check, but run by
 * hand, send stdout to a pipe or a terminal, not a file.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/base.h"
#include "run/ckpt.h"
#include "run/json.h"
#include "run/runlog.h"
#include "run/session.h"
#include "tests/tap.h"

static struct rlimit fsize0; /* the limit the test started with */

/* Let files grow to at most n bytes (write(2) then fails with EFBIG). */
static void
limit_files(long long n)
{
    struct rlimit r = fsize0;
    r.rlim_cur = (rlim_t)n;
    if (setrlimit(RLIMIT_FSIZE, &r) != 0)
        tap_bail("setrlimit: %s", strerror(errno));
}

static void
unlimit_files(void)
{
    if (setrlimit(RLIMIT_FSIZE, &fsize0) != 0)
        tap_bail("setrlimit: %s", strerror(errno));
}

static long long
file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = rs_xmalloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    buf[got] = '\0';
    fclose(f);
    if (len != NULL)
        *len = got;
    return buf;
}

/* The lines of a JSONL file, each parsed strictly; *bad counts lines that
 * are not one JSON object or lack their newline. Caller frees each tree
 * and the array. */
static rs_json **
read_jsonl(const char *path, int *n, int *bad)
{
    *n = *bad = 0;
    char *text = slurp(path, NULL);
    if (text == NULL)
        return NULL;
    int cap = 1;
    for (char *p = text; *p != '\0'; p++)
        cap += *p == '\n';
    rs_json **v = rs_xcalloc((size_t)cap, sizeof(*v));
    char *p = text;
    while (*p != '\0') {
        char *nl = strchr(p, '\n');
        if (nl == NULL) {
            (*bad)++;
            break;
        }
        rs_json *j = rs_json_parse(p, (size_t)(nl - p), NULL);
        if (j == NULL ||
            (rs_json_get(j, "step") == NULL && rs_json_get(j, "type") == NULL))
            (*bad)++;
        if (j != NULL)
            v[(*n)++] = j;
        p = nl + 1;
    }
    free(text);
    return v;
}

static void
free_jsonl(rs_json **v, int n)
{
    for (int i = 0; i < n; i++)
        rs_json_free(v[i]);
    free(v);
}

/* ---- rs_runlog on its own ------------------------------------------------ */

static void
test_runlog(const char *tmp)
{
    char *dir = rs_xasprintf("%s/runlog", tmp);
    char *path = rs_xasprintf("%s/run.jsonl", dir);
    char *bin = rs_xasprintf("%s/matrices.bin", dir);
    char *idx = rs_xasprintf("%s/matrices.jsonl", dir);
    struct rs_error err = {0};
    rs_runlog *log =
        rs_runlog_open(dir, "{\"type\":\"meta\",\"step\":0}", &err);
    if (log == NULL)
        tap_bail("rs_runlog_open: %s", err.msg);
    for (long k = 1; k <= 3; k++) {
        rs_runlog_begin(log, k);
        rs_runlog_value(log, "train/loss", 1.0 / (double)k);
        if (rs_runlog_end(log, &err) != RS_OK)
            tap_bail("write: %s", err.msg);
    }
    long long size0 = file_size(path);

    /* room for 10 more bytes: the next line is written in part, then the
     * write fails */
    limit_files(size0 + 10);
    rs_runlog_begin(log, 4);
    rs_runlog_value(log, "train/loss", 0.25);
    rs_runlog_value(log, "padding", 123456789.0);
    int rc = rs_runlog_end(log, &err);
    tap_is_int(rc, RS_EIO, "a line that does not fit fails");
    char want[600];
    snprintf(want, sizeof(want), "cannot write %s: %s", path, strerror(EFBIG));
    tap_is_str(err.msg, want, "its error names the file and the reason");
    tap_is_int(file_size(path), size0,
               "the short write is undone (no torn line)");
    tap_is_int(rs_runlog_pending(log), 1, "the line waits in the queue");
    rc = rs_runlog_event(log, 4, "pause", "pause", &err);
    tap_ok(rc == RS_EIO && rs_runlog_pending(log) == 2,
           "a later line queues behind it (%d pending)",
           rs_runlog_pending(log));
    float m[16];
    for (int i = 0; i < 16; i++)
        m[i] = (float)i;
    rc = rs_runlog_matrix(log, "w", 4, 4, 4, m, NULL, NULL, &err);
    tap_ok(rc == RS_EIO && rs_runlog_pending(log) == 3,
           "a matrix queues too (%d pending)", rs_runlog_pending(log));
    tap_ok(rs_runlog_flush(log, &err) == RS_EIO &&
               rs_runlog_pending(log) == 3 && file_size(path) == size0,
           "a flush with the disk still full changes nothing");

    unlimit_files();
    rc = rs_runlog_flush(log, &err);
    tap_ok(rc == RS_OK && rs_runlog_pending(log) == 0,
           "with room again the queue is written (%s)",
           rc == RS_OK ? "ok" : err.msg);
    int n, bad;
    rs_json **v = read_jsonl(path, &n, &bad);
    bool order = n == 6;
    for (int i = 1; order && i < n; i++)
        order = rs_json_num(rs_json_get(v[i], "step"), -1) ==
                (double)(i < 4 ? i : 4);
    tap_ok(order && bad == 0 &&
               rs_json_num(rs_json_get(v[4], "padding"), 0) == 123456789.0 &&
               rs_json_get(v[5], "kind") != NULL,
           "run.jsonl: meta, steps 1-3, then the queued step 4 and event "
           "(%d lines, %d bad)",
           n, bad);
    free_jsonl(v, n);
    tap_is_int(file_size(bin), 64, "matrices.bin holds the queued payload");

    /* the payload fits, its index line does not: both are taken back */
    long long isz = file_size(idx);
    limit_files(isz + 5 > 128 ? isz + 5 : 128);
    for (int i = 0; i < 16; i++)
        m[i] = (float)(100 + i);
    rc = rs_runlog_matrix(log, "w", 5, 4, 4, m, NULL, NULL, &err);
    tap_ok(rc == RS_EIO && file_size(bin) == 64 && file_size(idx) == isz,
           "a matrix whose index line fails leaves both files as they were "
           "(bin %lld, index %lld bytes)",
           file_size(bin), file_size(idx));
    unlimit_files();
    rc = rs_runlog_flush(log, &err);
    v = read_jsonl(idx, &n, &bad);
    tap_ok(rc == RS_OK && n == 2 && bad == 0 &&
               rs_json_num(rs_json_get(v[1], "offset"), -1) == 64 &&
               file_size(bin) == 128,
           "then both go out: the index points at its payload");
    free_jsonl(v, n);
    size_t blen;
    char *b = slurp(bin, &blen);
    float got[16];
    if (b != NULL && blen == 128)
        memcpy(got, b + 64, sizeof(got));
    tap_ok(b != NULL && blen == 128 && got[0] == 100 && got[15] == 115,
           "the payload is the second matrix");
    free(b);

    /* close with a queue it cannot write: dropped with a warning, the
     * file still whole */
    rs_runlog_begin(log, 6);
    rs_runlog_value(log, "train/loss", 0.1);
    limit_files(file_size(path));
    rc = rs_runlog_end(log, &err);
    rs_runlog_close(log);
    unlimit_files();
    v = read_jsonl(path, &n, &bad);
    tap_ok(rc == RS_EIO && n == 6 && bad == 0,
           "closed with a line it cannot write: the file stays whole");
    free_jsonl(v, n);
    free(idx);
    free(bin);
    free(path);
    free(dir);
}

/* ---- checkpoint temp files --------------------------------------------- */

static void
touch(const char *path)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        tap_bail("cannot create %s", path);
    fputs("torn", f);
    fclose(f);
}

/* A kill -9 during a checkpoint write leaves ckpt.bin.tmp.<pid>: the next
 * write removes it when that process is gone, and only then. */
static void
test_ckpt_stale(const char *tmp)
{
    char *dir = rs_xasprintf("%s/stale", tmp);
    if (mkdir(dir, 0777) != 0)
        tap_bail("mkdir %s: %s", dir, strerror(errno));
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    waitpid(child, NULL, 0);
    char *dead = rs_xasprintf("%s/ckpt.bin.tmp.%ld", dir, (long)child);
    char *alive = rs_xasprintf("%s/ckpt.bin.tmp.1", dir);
    char *other = rs_xasprintf("%s/ckpt.bin.tmp.x1", dir);
    touch(dead);
    touch(alive);
    touch(other);
    char *path = rs_xasprintf("%s/ckpt.bin", dir);
    rs_ckpt *ck = rs_ckpt_new();
    rs_ckpt_put_text(ck, "a", "b");
    struct rs_error err = {0};
    int rc = rs_ckpt_write(ck, path, &err);
    rs_ckpt_free(ck);
    tap_ok(rc == RS_OK && file_size(dead) < 0,
           "a checkpoint write removes the temp file of a dead writer");
    tap_ok(file_size(alive) > 0 && file_size(other) > 0,
           "and leaves a live process's and a foreign name's");
    free(path);
    free(other);
    free(alive);
    free(dead);
    free(dir);
}

/* ---- a session ------------------------------------------------------------
 */

/* The driver: step k adds k to a sum and logs it, so record k must hold
 * k(k+1)/2 whatever was resumed; at fault_at it shrinks the file-size
 * limit to just past run.jsonl, as a disk filling up would. */
struct counter {
    double sum;
    long fault_at;
    long long limit; /* 0: 10 bytes past run.jsonl */
    const char *dir;
};

static int
ctr_setup(void *ud, rs_session *s, struct rs_error *err)
{
    struct counter *c = ud;
    (void)s;
    (void)err;
    c->sum = 0;
    return RS_OK;
}

static int
ctr_step(void *ud, rs_session *s, long step, struct rs_error *err)
{
    struct counter *c = ud;
    (void)err;
    if (step == c->fault_at) {
        char *p = rs_xasprintf("%s/run.jsonl", c->dir);
        limit_files(c->limit > 0 ? c->limit : file_size(p) + 10);
        free(p);
    }
    c->sum += (double)step;
    rs_session_log(s, "sum", c->sum);
    return RS_OK;
}

static int
ctr_save(void *ud, rs_session *s, rs_ckpt *ck, struct rs_error *err)
{
    struct counter *c = ud;
    (void)s;
    (void)err;
    /* big enough that it never fits under the limit */
    float pad[4096] = {0};
    rs_ckpt_put_floats(ck, "pad", pad, 4096);
    rs_ckpt_put_floats(ck, "sum", &(float){(float)c->sum}, 1);
    return RS_OK;
}

static int
ctr_load(void *ud, rs_session *s, const rs_ckpt *ck, struct rs_error *err)
{
    struct counter *c = ud;
    (void)s;
    const float *v = rs_ckpt_floats(ck, "sum", NULL);
    if (v == NULL)
        return rs_error_set(err, RS_EFORMAT, "sum missing");
    c->sum = (double)v[0];
    return RS_OK;
}

static rs_session *
ctr_start(struct counter *c, const char *dir, const char *resume, long steps,
          bool ui)
{
    c->dir = dir;
    struct rs_session_config cfg = {
        .scene_name = "counter",
        .steps = steps,
        .seed = 1,
        .out_dir = resume != NULL ? NULL : dir,
        .resume_dir = resume,
        .checkpoint_every = 20,
        .threads = 1,
        .pause_on_nonfinite = ui,
        .linger = ui,
    };
    struct rs_session_driver drv = {
        .ud = c,
        .setup = ctr_setup,
        .step = ctr_step,
        .save = ctr_save,
        .load = ctr_load,
    };
    struct rs_error err = {0};
    rs_session *s = rs_session_new(&cfg, &drv, &err);
    if (s == NULL)
        tap_bail("rs_session_new: %s", err.msg);
    if (rs_session_start(s, &err) != RS_OK)
        tap_bail("rs_session_start: %s", err.msg);
    return s;
}

/* Wait (20 s at most) for the state, and for want in the message if not
 * NULL. */
static bool
wait_state(rs_session *s, enum rs_session_state state, const char *want,
           struct rs_bus_status *st)
{
    rs_bus *b = rs_session_bus(s);
    struct pollfd p = {.fd = rs_bus_wake_fd(b), .events = POLLIN};
    double t0 = rs_time_now();
    for (;;) {
        rs_bus_status(b, st);
        if (st->state == state &&
            (want == NULL || strstr(st->message, want) != NULL))
            return true;
        if (rs_time_now() - t0 > 20)
            return false;
        poll(&p, 1, 100);
        rs_bus_drain_wake(b);
    }
}

static void
send(rs_session *s, enum rs_cmd_kind kind)
{
    if (rs_cmdq_push_kind(rs_session_cmdq(s), kind) != RS_OK)
        tap_bail("the command queue refused a command");
}

static long
ckpt_step(const char *dir)
{
    char *path = rs_xasprintf("%s/ckpt.bin", dir);
    rs_ckpt *ck = rs_ckpt_read(path, NULL);
    free(path);
    if (ck == NULL)
        return -1;
    const uint64_t *v = rs_ckpt_u64s(ck, "session/step", NULL);
    long k = v != NULL ? (long)v[0] : -2;
    rs_ckpt_free(ck);
    return k;
}

/* Records of run.jsonl: how many hold step k's sum (and whether each is
 * right) into seen[k]; false if a line is torn or a sum wrong. */
static bool
check_records(const char *dir, int *seen, long max, int *lines, int *bad)
{
    char *path = rs_xasprintf("%s/run.jsonl", dir);
    int n;
    rs_json **v = read_jsonl(path, &n, bad);
    free(path);
    bool right = *bad == 0;
    memset(seen, 0, (size_t)(max + 1) * sizeof(*seen));
    for (int i = 0; i < n; i++) {
        const rs_json *sum = rs_json_get(v[i], "sum");
        if (sum == NULL)
            continue;
        long k = (long)rs_json_num(rs_json_get(v[i], "step"), -1);
        if (k < 1 || k > max) {
            right = false;
            continue;
        }
        seen[k]++;
        if (rs_json_num(sum, -1) != (double)k * (double)(k + 1) / 2)
            right = false;
    }
    *lines = n;
    free_jsonl(v, n);
    return right;
}

static void
test_session_ui(const char *tmp)
{
    char *dir = rs_xasprintf("%s/ui", tmp);
    char *path = rs_xasprintf("%s/run.jsonl", dir);
    struct counter c = {.fault_at = 50};
    rs_session *s = ctr_start(&c, dir, NULL, 200, true);
    struct rs_bus_status st;
    char want[600];
    snprintf(want, sizeof(want), "cannot write %s: %s; paused", path,
             strerror(EFBIG));
    bool ok = wait_state(s, RS_SESSION_PAUSED, want, &st);
    tap_ok(ok, "with a UI the run pauses: \"%s\"", st.message);
    tap_ok(st.write_fault, "the status says it is a write fault");
    tap_is_int(st.step, 50, "at the step whose record failed");
    int seen[201], lines, bad;
    bool right = check_records(dir, seen, 200, &lines, &bad);
    tap_ok(right && bad == 0 && seen[49] == 1 && seen[50] == 0,
           "run.jsonl holds whole lines up to step 49 (%d lines, %d bad)",
           lines, bad);
    tap_is_int(ckpt_step(dir), 40, "the checkpoint of step 40 stays");

    send(s, RS_CMD_RESUME);
    ok = wait_state(s, RS_SESSION_PAUSED, "still paused", &st);
    tap_ok(ok && st.step == 50,
           "a resume while the disk is full keeps it paused: \"%s\"",
           st.message);

    unlimit_files();
    send(s, RS_CMD_RESUME);
    ok = wait_state(s, RS_SESSION_DONE, NULL, &st);
    tap_ok(ok && st.step == 200, "room again: a resume runs it to the end");
    tap_ok(!st.write_fault, "and the fault is cleared");
    send(s, RS_CMD_QUIT);
    enum rs_session_state fin = rs_session_join(s);
    tap_is_int(fin, RS_SESSION_DONE, "it ends DONE");
    rs_session_free(s);
    right = check_records(dir, seen, 200, &lines, &bad);
    int once = 0;
    for (long k = 1; k <= 200; k++)
        once += seen[k] == 1;
    tap_ok(right && once == 200,
           "every step's record is there exactly once, right (%d of 200)",
           once);
    tap_is_int(ckpt_step(dir), 200, "the final checkpoint is written");
    char *text = slurp(path, NULL);
    tap_ok(text != NULL && strstr(text, "; paused\"") != NULL,
           "the failure is an event of the record");
    free(text);
    free(path);
    free(dir);
}

/* Room for the log but not for the checkpoint (16 KiB and more). */
static void
test_session_ckpt(const char *tmp)
{
    char *dir = rs_xasprintf("%s/ckpt", tmp);
    struct counter c = {.fault_at = 45, .limit = 8192};
    rs_session *s = ctr_start(&c, dir, NULL, 100, true);
    struct rs_bus_status st;
    char want[600];
    snprintf(want, sizeof(want), "cannot write checkpoint %s/ckpt.bin: %s", dir,
             strerror(EFBIG));
    bool ok = wait_state(s, RS_SESSION_PAUSED, want, &st);
    tap_ok(ok && st.step == 60 && strstr(st.message, "; paused") != NULL,
           "a checkpoint that fails pauses the run too: \"%s\"", st.message);
    tap_is_int(ckpt_step(dir), 40, "the checkpoint of step 40 stays");
    char *tmpname = rs_xasprintf("%s/ckpt.bin.tmp.%ld", dir, (long)getpid());
    tap_ok(file_size(tmpname) < 0, "no temporary file is left behind");
    free(tmpname);
    unlimit_files();
    send(s, RS_CMD_RESUME);
    ok = wait_state(s, RS_SESSION_DONE, NULL, &st);
    send(s, RS_CMD_QUIT);
    enum rs_session_state fin = rs_session_join(s);
    rs_session_free(s);
    int seen[101], lines, bad;
    bool right = check_records(dir, seen, 100, &lines, &bad);
    int once = 0;
    for (long k = 1; k <= 100; k++)
        once += seen[k] == 1;
    tap_ok(ok && fin == RS_SESSION_DONE && right && once == 100 &&
               ckpt_step(dir) == 100,
           "after a resume it runs to the end, every record once (%d), the "
           "final checkpoint written",
           once);
    free(dir);
}

static void
test_session_headless(const char *tmp)
{
    char *dir = rs_xasprintf("%s/headless", tmp);
    char *path = rs_xasprintf("%s/run.jsonl", dir);
    struct counter c = {.fault_at = 50};
    rs_session *s = ctr_start(&c, dir, NULL, 200, false);
    enum rs_session_state fin = rs_session_join(s);
    struct rs_bus_status st;
    rs_bus_status(rs_session_bus(s), &st);
    rs_session_free(s);
    unlimit_files();
    char want[1200];
    snprintf(want, sizeof(want),
             "step 50: cannot write %s: %s; stopped; the checkpoint of "
             "step 40 stays: free space, then repscope --resume %s",
             path, strerror(EFBIG), dir);
    tap_ok(fin == RS_SESSION_FAILED, "without a UI the run stops, FAILED");
    tap_is_str(st.message, want, "the message names file, step, checkpoint");
    int seen[201], lines, bad;
    bool right = check_records(dir, seen, 200, &lines, &bad);
    tap_ok(right && bad == 0 && seen[49] == 1 && seen[50] == 0,
           "run.jsonl: whole lines up to step 49 (%d lines, %d bad)", lines,
           bad);
    tap_is_int(ckpt_step(dir), 40, "ckpt.bin is the loadable step 40");

    struct counter c2 = {.fault_at = -1};
    s = ctr_start(&c2, dir, dir, 100, false);
    fin = rs_session_join(s);
    rs_session_free(s);
    right = check_records(dir, seen, 200, &lines, &bad);
    int missing = 0;
    for (long k = 1; k <= 100; k++)
        missing += seen[k] == 0;
    tap_ok(fin == RS_SESSION_DONE && right && missing == 0,
           "--resume goes on from step 40 to 100: every step recorded, "
           "right (%d missing)",
           missing);
    free(path);
    free(dir);
}

int
main(void)
{
    tap_plan_lazy();
    signal(SIGXFSZ, SIG_IGN);
    if (getrlimit(RLIMIT_FSIZE, &fsize0) != 0)
        tap_bail("getrlimit: %s", strerror(errno));
    if (fsize0.rlim_max != RLIM_INFINITY && fsize0.rlim_max < (1 << 24))
        tap_skip_all("the hard file-size limit is too low to test with");
    char *tmp = tap_tmpdir("t_run_faults");
    test_runlog(tmp);
    test_ckpt_stale(tmp);
    test_session_ui(tmp);
    test_session_ckpt(tmp);
    test_session_headless(tmp);
    free(tmp);
    return tap_done();
}
