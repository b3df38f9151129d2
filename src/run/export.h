/* repscope - MIT licence, see COPYING.
 *
 * export.h: `repscope export RUNDIR --csv`: a run's logged values as tidy
 * CSV, one row per value, for pandas, R or a spreadsheet:
 *
 *   step,series,value
 *   10,train/loss,2.3025851
 *   10,"odd,name",nan
 *
 * One row per number of every record line of DIR/run.jsonl, in the order
 * of the file and of the keys within each line. The meta line, events and
 * any other typed line ({"type":...}) give no rows, nor do string,
 * boolean, array or object values. A value is written as the number text
 * of the log itself (the shortest text that reads back to the logged
 * float); a non-finite value, which the log holds as null, is written as
 * "nan" (pandas, R's read.csv and Python's float() read it). Fields follow
 * RFC 4180: a series name holding a comma, a double quote, CR or LF is
 * quoted, its quotes doubled; lines end in "\n" (pandas and R accept it).
 * Only complete lines are read, so a run still being written exports as
 * far as it got; a line that is no JSON object is skipped and counted.
 * Any thread (no shared state).
 */
#ifndef RS_RUN_EXPORT_H
#define RS_RUN_EXPORT_H

#include <stdio.h>

#include "core/base.h"

/* What an export wrote. */
struct rs_export_stats {
    long rows;      /* CSV rows after the header */
    long records;   /* record lines read */
    long bad_lines; /* lines that were no JSON object, skipped */
    long first_bad; /* line number of the first (1-based), 0: none */
};

/* Write s as one CSV field (RFC 4180: quoted when it holds ',', '"', CR
 * or LF, its quotes doubled). */
void rs_export_csv_field(FILE *out, const char *s);

/* The CSV of text[0..len), the contents of a run.jsonl, to out (header
 * included); a last line without its newline is not read. st (may be
 * NULL) gets the counts. RS_EIO + err when out cannot be written. */
RS_NODISCARD int rs_export_csv_text(const char *text, size_t len, FILE *out,
                                    struct rs_export_stats *st,
                                    struct rs_error *err);

/* The CSV of DIR/run.jsonl into path: "-" is stdout, NULL is
 * DIR/run.csv. A file is written beside its destination and renamed
 * over it once complete. RS_EIO + err naming the file when run.jsonl
 * cannot be read or the CSV cannot be written. */
RS_NODISCARD int rs_export_csv(const char *dir, const char *path,
                               struct rs_export_stats *st,
                               struct rs_error *err);

#endif /* RS_RUN_EXPORT_H */
