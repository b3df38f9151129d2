/* repscope - MIT licence, see COPYING.
 *
 * export.c: run.jsonl as tidy CSV (export.h). The log is read whole (as
 * far as it is written when the export starts), each complete line parsed
 * by the JSON codec, and each number of a record line written as a row
 * with its own text from the log, so no value is re-rounded. The output
 * file is written as path.tmp and renamed, so a reader never sees half a
 * CSV. Any thread.
 */
#include "config.h"

#include "run/export.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run/json.h"

void
rs_export_csv_field(FILE *out, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '"')
            fputc('"', out);
        fputc(*p, out);
    }
    fputc('"', out);
}

/* The rows of one record line (a parsed object without "type"). */
static void
record_rows(const rs_json *v, FILE *out, struct rs_export_stats *st)
{
    long long step = 0;
    if (!rs_json_integer(rs_json_get(v, "step"), &step))
        return;
    st->records++;
    for (int i = 0; i < rs_json_len(v); i++) {
        const char *key = rs_json_key(v, i, NULL);
        const rs_json *x = rs_json_at(v, i);
        enum rs_json_type t = rs_json_typeof(x);
        if (strcmp(key, "step") == 0 ||
            (t != RS_JSON_NUMBER && t != RS_JSON_NULL))
            continue;
        fprintf(out, "%lld,", step);
        rs_export_csv_field(out, key);
        if (t == RS_JSON_NULL) {
            fputs(",nan\n", out);
        } else {
            size_t n;
            const char *num = rs_json_text(x, &n);
            fprintf(out, ",%.*s\n", (int)n, num);
        }
        st->rows++;
    }
}

int
rs_export_csv_text(const char *text, size_t len, FILE *out,
                   struct rs_export_stats *st, struct rs_error *err)
{
    struct rs_export_stats local;
    if (st == NULL)
        st = &local;
    *st = (struct rs_export_stats){0};
    fputs("step,series,value\n", out);
    long lineno = 0;
    size_t at = 0;
    while (at < len) {
        const char *nl = memchr(text + at, '\n', len - at);
        if (nl == NULL)
            break; /* a line still being written */
        size_t n = (size_t)(nl - (text + at));
        lineno++;
        if (n > 0) {
            rs_json *v = rs_json_parse(text + at, n, NULL);
            if (v == NULL || rs_json_typeof(v) != RS_JSON_OBJECT) {
                if (st->bad_lines++ == 0)
                    st->first_bad = lineno;
            } else if (rs_json_get(v, "type") == NULL) {
                record_rows(v, out, st);
            }
            rs_json_free(v);
        }
        at += n + 1;
    }
    if (ferror(out))
        return rs_error_set(err, RS_EIO, "cannot write the CSV: %s",
                            strerror(errno));
    return RS_OK;
}

int
rs_export_csv(const char *dir, const char *path, struct rs_export_stats *st,
              struct rs_error *err)
{
    char *log = rs_xasprintf("%s/run.jsonl", dir);
    size_t len = 0;
    char *text = rs_read_file(log, &len, err);
    free(log);
    if (text == NULL)
        return RS_EIO;
    int rc;
    if (path != NULL && strcmp(path, "-") == 0) {
        rc = rs_export_csv_text(text, len, stdout, st, err);
        if (rc == RS_OK && fflush(stdout) != 0)
            rc = rs_error_set(err, RS_EIO,
                              "cannot write the CSV to stdout: "
                              "%s",
                              strerror(errno));
        free(text);
        return rc;
    }
    char *dst =
        path != NULL ? rs_xstrdup(path) : rs_xasprintf("%s/run.csv", dir);
    char *tmp = rs_xasprintf("%s.tmp", dst);
    FILE *f = fopen(tmp, "w");
    if (f == NULL) {
        rc = rs_error_set(err, RS_EIO, "cannot create %s: %s", tmp,
                          strerror(errno));
    } else {
        rc = rs_export_csv_text(text, len, f, st, NULL);
        if (fclose(f) != 0 || rc != RS_OK)
            rc = rs_error_set(err, RS_EIO, "cannot write %s: %s", tmp,
                              strerror(errno));
        if (rc == RS_OK && rename(tmp, dst) != 0)
            rc = rs_error_set(err, RS_EIO, "cannot rename %s to %s: %s", tmp,
                              dst, strerror(errno));
        if (rc != RS_OK)
            unlink(tmp);
    }
    free(tmp);
    free(dst);
    free(text);
    return rc;
}
