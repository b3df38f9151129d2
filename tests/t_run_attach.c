/* repscope - MIT licence, see COPYING.
 *
 * t_run_attach.c: how the attach feeder (run/attach.h) reads a run
 * directory, through the JSON codec (run/json.h) only. Under a
 * decimal-comma LC_NUMERIC (an installed one, or one built here with
 * localedef into a private LOCPATH, which needs no root; skipped when
 * neither works) 0.5 in run.jsonl is still 0.5. Whatever the locale:
 * matrix labels as another JSON writer puts them (Python's json.dumps:
 * ", " separators, \u escapes with surrogate pairs, a tab between
 * items) decode to the right UTF-8; a seed above 2^53 is exact; a record
 * of 600 series gives 600 series; escapes in series names decode; only
 * null (or an overflowing number) is non-finite, other non-numbers are
 * no series; a NUL byte inside a line makes it malformed; the status
 * names the file and line of the first malformed line; and a matrix
 * whose payload is not in matrices.bin is refused before memory is
 * taken for it; a line longer than 64 MiB is skipped as it comes.
 */
#include "config.h"

#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/base.h"
#include "run/attach.h"
#include "run/bus.h"
#include "tests/tap.h"

extern char **environ;

/* Write n bytes of text to dir/name (replacing it). */
static void
put(const char *dir, const char *name, const char *text, size_t n)
{
    char *p = rs_xasprintf("%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    RS_ASSERT(f != NULL);
    fwrite(text, 1, n, f);
    fclose(f);
    free(p);
}

static void
put_str(const char *dir, const char *name, const char *text)
{
    put(dir, name, text, strlen(text));
}

/* A new run directory tmp/name with run.jsonl = log. */
static char *
run_dir(const char *tmp, const char *name, const char *log)
{
    char *dir = rs_xasprintf("%s/%s", tmp, name);
    mkdir(dir, 0755);
    put_str(dir, "run.jsonl", log);
    return dir;
}

/* Attach to dir and read everything; NULL (a failed test) if that fails. */
static rs_attach *
attach_all(const char *dir)
{
    struct rs_error err = {0};
    rs_attach *a = rs_attach_new(dir, &err);
    if (a != NULL && rs_attach_read_all(a, &err) != RS_OK) {
        rs_attach_free(a);
        a = NULL;
    }
    if (a == NULL)
        tap_diag("attach %s: %s", dir, err.msg);
    return a;
}

/* Run argv with its output thrown away; true when it exits 0 or 1
 * (localedef -c says 1 for the warnings about categories left out). */
static bool
run_quiet(char *const *argv)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    int status = 0;
    if (rc != 0 || waitpid(pid, &status, 0) != pid)
        return false;
    return WIFEXITED(status) && WEXITSTATUS(status) <= 1;
}

/* Switch LC_NUMERIC to a locale with a decimal comma: an installed one,
 * else one made by localedef in tmp (LOCPATH=tmp). Returns its name, or
 * NULL when there is none to be had. */
static const char *
comma_locale(const char *tmp)
{
    static const char *const names[] = {"de_DE.UTF-8", "de_DE.utf8",
                                        "fr_FR.UTF-8", "ru_RU.UTF-8"};
    for (size_t i = 0; i < RS_ARRAY_LEN(names); i++)
        if (setlocale(LC_NUMERIC, names[i]) != NULL &&
            localeconv()->decimal_point[0] == ',')
            return names[i];
    /* only LC_NUMERIC is defined; localedef takes the rest from its
     * defaults and warns (exit 1 with -c) */
    put_str(tmp, "rs_comma.def",
            "LC_NUMERIC\n"
            "decimal_point \",\"\n"
            "thousands_sep \".\"\n"
            "grouping 3;3\n"
            "END LC_NUMERIC\n");
    char *src = rs_xasprintf("%s/rs_comma.def", tmp);
    char *out = rs_xasprintf("%s/rs_comma", tmp);
    char prog[] = "localedef", force[] = "-c", dir[] = "--no-archive",
         in[] = "-i";
    char *argv[] = {prog, force, dir, in, src, out, NULL};
    bool made = run_quiet(argv);
    free(src);
    free(out);
    if (made && setenv("LOCPATH", tmp, 1) == 0 &&
        setlocale(LC_NUMERIC, "rs_comma") != NULL &&
        localeconv()->decimal_point[0] == ',')
        return "rs_comma (made by localedef)";
    setlocale(LC_NUMERIC, "C");
    return NULL;
}

static void
test_locale(const char *tmp)
{
    const char *got = comma_locale(tmp);
    if (got == NULL) {
        tap_skip(3, "no decimal-comma locale installed, and localedef "
                    "could not make one");
        return;
    }
    char probe[16];
    snprintf(probe, sizeof probe, "%.1f", 0.5);
    tap_diag("LC_NUMERIC %s: 0.5 prints as %s", got, probe);
    char *dir =
        run_dir(tmp, "comma",
                "{\"type\":\"meta\",\"scene\":\"toy\",\"seed\":3,"
                "\"steps\":10}\n"
                "{\"step\":1,\"train/loss\":0.5,\"time/steps_per_s\":12.5}\n"
                "{\"step\":2,\"train/loss\":2.5e-1}\n");
    rs_attach *a = attach_all(dir);
    setlocale(LC_NUMERIC, "C");
    if (!tap_ok(a != NULL, "%s: attached", got)) {
        tap_skip(2, "no attach");
        free(dir);
        return;
    }
    rs_bus *bus = rs_attach_bus(a);
    struct rs_bus_point pts[4];
    uint64_t ver;
    size_t n = rs_bus_series_copy(bus, "train/loss", pts, 4, &ver);
    tap_ok(n == 2 && pts[0].last == 0.5f && pts[1].last == 0.25f,
           "%s: 0.5 and 2.5e-1 read as 0.5 and 0.25 (%zu points)", got, n);
    struct rs_bus_status st;
    rs_bus_status(bus, &st);
    tap_ok(st.nonfinite[0] == '\0' && st.steps_per_s == 12.5,
           "%s: nothing non-finite, steps/s 12.5 (nonfinite '%s', %g)", got,
           st.nonfinite, st.steps_per_s);
    rs_attach_free(a);
    free(dir);
}

/* Labels as Python's json.dumps writes them (ensure_ascii: \u escapes,
 * a surrogate pair for U+1F600; ", " and ": " separators), a tab between
 * two column labels. */
static void
test_labels(const char *tmp)
{
    char *dir = run_dir(tmp, "labels", "{\"step\":3,\"x\":1}\n");
    float m[4] = {1, 2, 3, 4};
    put(dir, "matrices.bin", (const char *)m, sizeof m);
    put_str(dir, "matrices.jsonl",
            "{\"name\": \"heat/x\", \"step\": 3, \"rows\": 2, \"cols\": 2, "
            "\"offset\": 0, \"row_labels\": [\"\\ud83d\\ude00 smile\", "
            "\"caf\\u00e9\"], \"col_labels\": [\"a\",\t\"b\\\\c\"]}\n");
    rs_attach *a = attach_all(dir);
    if (!tap_ok(a != NULL, "attached")) {
        free(dir);
        return;
    }
    rs_bus *bus = rs_attach_bus(a);
    char lab[32] = "";
    bool have = rs_bus_matrix_label(bus, "heat/x", true, 0, lab, sizeof lab);
    tap_is_str(have ? lab : "(none)", "\xf0\x9f\x98\x80 smile",
               "a surrogate pair in a label decodes to one UTF-8 character");
    have = rs_bus_matrix_label(bus, "heat/x", true, 1, lab, sizeof lab);
    tap_is_str(have ? lab : "(none)", "caf\xc3\xa9", "\\u00e9 in a label");
    have = rs_bus_matrix_label(bus, "heat/x", false, 1, lab, sizeof lab);
    tap_is_str(have ? lab : "(none)", "b\\c",
               "labels with a tab between them (JSON white space)");
    rs_attach_free(a);
    free(dir);
}

static void
test_record(const char *tmp)
{
    /* 600 series in one record, then one with escaped names and values
     * of every type */
    size_t cap = 65536, n = 0;
    char *text = rs_xmalloc(cap);
    n = (size_t)snprintf(text, cap,
                         "{\"type\":\"meta\",\"scene\":\"big\","
                         "\"seed\":9007199254740993,\"steps\":50}\n"
                         "{\"step\":1");
    for (int i = 0; i < 600; i++)
        n += (size_t)snprintf(text + n, cap - n, ",\"s/%03d\":%d", i, i);
    n += (size_t)snprintf(
        text + n, cap - n,
        "}\n"
        "{\"step\":2,\"caf\\u00e9/\\ud83d\\ude00\":1.5,\"flag\":true,"
        "\"note\":\"text\",\"list\":[1,2],\"obj\":{\"a\":1}}\n"
        "{\"step\":3,\"big\":1e400}\n");
    RS_ASSERT(n < cap);
    char *dir = run_dir(tmp, "record", text);
    free(text);
    rs_attach *a = attach_all(dir);
    if (!tap_ok(a != NULL, "attached")) {
        free(dir);
        return;
    }
    rs_bus *bus = rs_attach_bus(a);
    struct rs_bus_status st;
    rs_bus_status(bus, &st);
    tap_ok(st.seed == 9007199254740993UL && st.total == 50,
           "a seed above 2^53 is exact (%lu)", st.seed);
    double step = 0, val = 0;
    int seen = 0;
    for (int i = 0; i < 600; i++) {
        char name[16];
        snprintf(name, sizeof name, "s/%03d", i);
        seen += rs_bus_series_last(bus, name, &step, &val) && val == i;
    }
    tap_is_int(seen, 600, "a record of 600 series: all 600 on the bus");
    tap_ok(
        rs_bus_series_last(bus, "caf\xc3\xa9/\xf0\x9f\x98\x80", &step, &val) &&
            step == 2 && val == 1.5,
        "escapes in a series name decode (\\u00e9, a surrogate pair)");
    char names[8][RS_BUS_NAME_MAX];
    int total = rs_bus_series_names(bus, names, 8);
    tap_is_int(total, 601, "true, a string, an array, an object: no series");
    tap_is_str(st.nonfinite, "big",
               "a number beyond the double range is non-finite, not "
               "the boolean before it");
    rs_attach_free(a);
    free(dir);
}

static void
test_malformed(const char *tmp)
{
    /* line 3 has a NUL byte after a complete object: the line is not
     * JSON (the old reader stopped at the NUL and took step 7) */
    static const char log[] = "{\"step\":1,\"x\":1}\n"
                              "\n"
                              "{\"step\":7,\"x\":7}\0junk\n"
                              "{\"step\":2,\"x\":2}\n"
                              "{\"step\":3,\"x\":}\n";
    char *dir = run_dir(tmp, "malformed", "");
    put(dir, "run.jsonl", log, sizeof log - 1);
    put_str(dir, "matrices.jsonl",
            "{\"name\":\"m\",\"step\":1,\"rows\":2,\"cols\":2,\"offset\":0,"
            "\"row_labels\":null,\"col_labels\":null}\n");
    rs_attach *a = attach_all(dir);
    if (!tap_ok(a != NULL, "attached")) {
        free(dir);
        return;
    }
    rs_bus *bus = rs_attach_bus(a);
    struct rs_bus_point pts[4];
    uint64_t ver;
    size_t n = rs_bus_series_copy(bus, "x", pts, 4, &ver);
    tap_ok(n == 2 && pts[0].step_hi == 1 && pts[1].step_hi == 2,
           "the line with a NUL byte is skipped, not read up to the NUL "
           "(%zu points)",
           n);
    struct rs_bus_status st;
    rs_bus_status(bus, &st);
    tap_ok(strstr(st.message, "3 malformed lines skipped") != NULL,
           "three malformed lines counted: %s", st.message);
    tap_ok(strstr(st.message, "matrices.jsonl:1: ") != NULL &&
               strstr(st.message, "matrices.bin") != NULL,
           "the first names its file and line, and what is wrong");
    rs_attach_free(a);

    /* only run.jsonl is malformed: the message says where and why */
    put_str(dir, "matrices.jsonl", "");
    a = attach_all(dir);
    if (a != NULL) {
        rs_bus_status(rs_attach_bus(a), &st);
        rs_attach_free(a);
    }
    tap_ok(a != NULL && strstr(st.message, "run.jsonl:3: ") != NULL &&
               strstr(st.message, "NUL") != NULL,
           "run.jsonl line 3, the NUL byte: %s", st.message);
    free(dir);
}

/* rs_attach_feed: lines handed over in pieces, a line cut between two
 * of them, as rs_attach_poll would read them from a growing file. */
static void
test_feed(const char *tmp)
{
    char *dir = run_dir(tmp, "feed", "");
    struct rs_error err = {0};
    rs_attach *a = rs_attach_new(dir, &err);
    if (!tap_ok(a != NULL, "attached for feeding (%s)", err.msg)) {
        free(dir);
        return;
    }
    rs_bus *bus = rs_attach_bus(a);
    static const char log[] = "{\"type\":\"meta\",\"scene\":\"fed\"}\n"
                              "{\"step\":1,\"x\":0.5}\n{\"step\":2,\"x\"";
    int n = rs_attach_feed(a, false, log, sizeof log - 1);
    struct rs_bus_point pts[4];
    uint64_t ver;
    size_t k = rs_bus_series_copy(bus, "x", pts, 4, &ver);
    tap_ok(n == 2 && k == 1 && pts[0].last == 0.5f,
           "two complete lines taken, the cut one kept (%d lines, %zu "
           "points)",
           n, k);
    n = rs_attach_feed(a, false, ":1.5}\n", 6);
    k = rs_bus_series_copy(bus, "x", pts, 4, &ver);
    tap_ok(n == 1 && k == 2 && pts[1].last == 1.5f,
           "its rest completes it (%d line, %zu points)", n, k);
    struct rs_bus_status st;
    rs_bus_status(bus, &st);
    tap_ok(strcmp(st.scene, "fed") == 0 && st.step == 2,
           "the status is published (scene %s, step %ld)", st.scene, st.step);
    rs_attach_free(a);
    free(dir);
}

/* A line longer than 64 MiB is dropped as it comes (the partial line
 * never holds more) and counted as malformed; the lines after it are
 * read. */
static void
test_long_line(const char *tmp)
{
    char *dir = run_dir(tmp, "long", "");
    struct rs_error err = {0};
    rs_attach *a = rs_attach_new(dir, &err);
    if (!tap_ok(a != NULL, "attached for a long line (%s)", err.msg)) {
        free(dir);
        return;
    }
    size_t chunk = (size_t)1 << 20;
    char *junk = rs_xmalloc(chunk);
    memset(junk, 'x', chunk);
    for (int i = 0; i < 65; i++)
        (void)rs_attach_feed(a, false, junk, chunk);
    free(junk);
    static const char rest[] = "\n{\"step\":1,\"x\":1}\n";
    int n = rs_attach_feed(a, false, rest, sizeof rest - 1);
    rs_bus *bus = rs_attach_bus(a);
    struct rs_bus_point pts[2];
    uint64_t ver;
    size_t k = rs_bus_series_copy(bus, "x", pts, 2, &ver);
    struct rs_bus_status st;
    rs_bus_status(bus, &st);
    tap_ok(n == 2 && k == 1 &&
               strstr(st.message, "run.jsonl:1: a line longer than 64 MiB, "
                                  "skipped") != NULL,
           "a 65 MiB line is skipped and named, the next one read: %s",
           st.message);
    rs_attach_free(a);
    free(dir);
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#endif

/* A matrices.jsonl line that claims a payload matrices.bin does not hold
 * is refused before any room is made for it. In a child whose address
 * space is capped at 64 MB above what it maps now, a line claiming 8192
 * x 8192 floats (256 MB) must be a malformed line, not an abort in
 * rs_xmalloc. Skipped under the sanitizers, whose shadow memory needs
 * the address space. */
static void
test_matrix_claim(const char *tmp)
{
#ifdef SANITIZED
    (void)tmp;
    tap_skip(1, "the sanitizers need the address space RLIMIT_AS caps");
#else
    char *dir = run_dir(tmp, "claim", "");
    put_str(dir, "matrices.jsonl",
            "{\"name\":\"big\",\"step\":1,\"rows\":8192,\"cols\":8192,"
            "\"offset\":0}\n");
    put(dir, "matrices.bin", "0123456789abcdef", 16);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        unsigned long pages = 0;
        FILE *f = fopen("/proc/self/statm", "r");
        if (f == NULL || fscanf(f, "%lu", &pages) != 1)
            _exit(3);
        fclose(f);
        rlim_t cap = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) +
                     ((rlim_t)64 << 20);
        struct rlimit rl = {cap, cap};
        if (setrlimit(RLIMIT_AS, &rl) != 0)
            _exit(3);
        struct rs_error err = {0};
        rs_attach *a = rs_attach_new(dir, &err);
        if (a == NULL || rs_attach_read_all(a, &err) != RS_OK)
            _exit(4);
        struct rs_bus_status st;
        rs_bus_status(rs_attach_bus(a), &st);
        bool said = strstr(st.message, "matrices.jsonl:1: big: matrices.bin "
                                       "has no 268435456 bytes at offset "
                                       "0") != NULL;
        rs_attach_free(a);
        _exit(said ? 0 : 5);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
           "a 256 MB matrix claimed over a 16-byte matrices.bin is a "
           "malformed line, refused without the room for it (child: %s %d)",
           WIFEXITED(status) ? "exit" : "signal",
           WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    free(dir);
#endif
}

int
main(void)
{
    tap_plan_lazy();
    char *tmp = tap_tmpdir("t_run_attach");
    test_labels(tmp);
    test_record(tmp);
    test_malformed(tmp);
    test_matrix_claim(tmp);
    test_feed(tmp);
    test_long_line(tmp);
    test_locale(tmp); /* last: it may set LOCPATH */
    free(tmp);
    return tap_done();
}
