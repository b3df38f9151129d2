/* repscope - MIT licence, see COPYING.
 *
 * t_run_export.c: the tidy CSV writer (run/export.h). RFC 4180 fields
 * (plain, and quoted with doubled quotes for a comma, a quote, CR, LF);
 * a run.jsonl text gives the header and one row per number in file and
 * key order, each number as the log wrote it, null as "nan"; meta,
 * event and other typed lines, strings and booleans give no rows; a
 * malformed line is counted (the first's line number kept) and a last
 * line without its newline (a run still writing) is not read. Then a
 * run directory to RUNDIR/run.csv, to a named file, and a missing one.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "run/export.h"
#include "tests/tap.h"

/* What fn wrote to a memory stream (a new string). */
static char *
field(const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    rs_export_csv_field(f, s);
    fclose(f);
    return buf;
}

static char *
csv_of(const char *text, struct rs_export_stats *st, int *rc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct rs_error err = {0};
    *rc = rs_export_csv_text(text, strlen(text), f, st, &err);
    fclose(f);
    return buf;
}

static void
test_fields(void)
{
    static const char *const cases[][2] = {
        {"train/loss", "train/loss"},
        {"a,b", "\"a,b\""},
        {"say \"hi\"", "\"say \"\"hi\"\"\""},
        {"two\nlines", "\"two\nlines\""},
        {"cr\r", "\"cr\r\""},
        {"", ""},
    };
    for (size_t i = 0; i < RS_ARRAY_LEN(cases); i++) {
        char *got = field(cases[i][0]);
        tap_is_str(got, cases[i][1], "field %zu quoted per RFC 4180", i);
        free(got);
    }
}

static void
test_text(void)
{
    const char *log =
        "{\"type\":\"meta\",\"scene\":\"x\",\"seed\":1}\n"
        "{\"step\":1,\"train/loss\":2.30258512,\"a,b\":0.5}\n"
        "{\"type\":\"event\",\"step\":1,\"kind\":\"set\",\"text\":\"lr\"}\n"
        "\n"
        "{\"step\":2,\"x\":null,\"name\":\"text\",\"ok\":true,"
        "\"big\":1e+20,\"neg\":-3}\n"
        "this is no JSON\n"
        "[1,2]\n"
        "{\"step\":3,\"y\":1.5}"; /* still being written */
    struct rs_export_stats st;
    int rc;
    char *got = csv_of(log, &st, &rc);
    tap_is_int(rc, RS_OK, "a log exports");
    tap_is_str(got,
               "step,series,value\n"
               "1,train/loss,2.30258512\n"
               "1,\"a,b\",0.5\n"
               "2,x,nan\n"
               "2,big,1e+20\n"
               "2,neg,-3\n",
               "one row per number, text as logged, null as nan; no meta, "
               "events, strings, booleans or torn last line");
    tap_is_int(st.rows, 5, "5 rows");
    tap_is_int(st.records, 2, "2 records");
    tap_is_int(st.bad_lines, 2, "2 malformed lines counted");
    tap_is_int(st.first_bad, 6, "the first is line 6");
    free(got);
    got = csv_of("", &st, &rc);
    tap_is_str(got, "step,series,value\n", "an empty log: the header");
    free(got);
}

static void
test_files(void)
{
    char *dir = tap_tmpdir("t_run_export");
    char *log = rs_xasprintf("%s/run.jsonl", dir);
    FILE *f = fopen(log, "w");
    fputs("{\"type\":\"meta\"}\n{\"step\":5,\"l\":0.25}\n", f);
    fclose(f);
    struct rs_error err = {0};
    struct rs_export_stats st;
    tap_is_int(rs_export_csv(dir, NULL, &st, &err), RS_OK,
               "export to RUNDIR/run.csv %s", err.msg);
    char *csv = rs_xasprintf("%s/run.csv", dir);
    char buf[256] = "";
    f = fopen(csv, "r");
    size_t n = f != NULL ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[n] = '\0';
    if (f != NULL)
        fclose(f);
    tap_is_str(buf, "step,series,value\n5,l,0.25\n", "run.csv holds it");
    char *other = rs_xasprintf("%s/other.csv", dir);
    tap_is_int(rs_export_csv(dir, other, &st, &err), RS_OK, "--out FILE");
    tap_is_int(st.rows, 1, "1 row");
    char *none = rs_xasprintf("%s/none", dir);
    tap_ok(rs_export_csv(none, NULL, &st, &err) == RS_EIO &&
               strstr(err.msg, "none/run.jsonl") != NULL,
           "a missing run.jsonl is named: %s", err.msg);
    free(none);
    free(other);
    free(csv);
    free(log);
    free(dir);
}

int
main(void)
{
    tap_plan_lazy();
    test_fields();
    test_text();
    test_files();
    return tap_done();
}
