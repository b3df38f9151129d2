/* repscope - MIT licence, see COPYING.
 *
 * runlog.h: the run directory and its record. Only this module and
 * rs_ckpt write into a run directory.
 *
 *   DIR/run.jsonl     line 1: {"type":"meta", scene, params, seed, version,
 *                     start (UTC ISO 8601), kernel, argv}; then one JSON
 *                     object per record: {"step":N,"train/loss":x,...}, and
 *                     events {"type":"event","step":N,"kind":K,"text":T}
 *                     (K: pause, resume, set, eval, restart, checkpoint,
 *                     quit, nonfinite, error, scene).
 *                     Each line is written with one write(2) and flushed, so
 *                     a kill -9 loses at most the line being written; a
 *                     non-finite value is written as null. A write that
 *                     fails is undone (the file cut back to its last
 *                     whole line) and queued in memory (rs_runlog_flush).
 *   DIR/matrices.bin  float32 payloads, appended;
 *   DIR/matrices.jsonl one line per matrix snapshot: {"name","step","rows",
 *                     "cols","offset","row_labels","col_labels"} (offset in
 *                     bytes into matrices.bin), written after its payload.
 *   DIR/scene.lua     a copy of the scene.
 *   DIR/ckpt.bin      the latest checkpoint (rs_ckpt).
 * Worker thread only.
 */
#ifndef RS_RUN_RUNLOG_H
#define RS_RUN_RUNLOG_H

#include <stdbool.h>

#include "core/base.h"

typedef struct rs_runlog rs_runlog;

/* mkdir -p dir. RS_EIO + err naming the directory on failure. */
RS_NODISCARD int rs_runlog_make_dirs(const char *dir, struct rs_error *err);
/* Create parent (and its parents) and in it a directory that did not exist
 * yet: parent/stem, else parent/stem-2, parent/stem-3, ... Returns its path
 * (a new string), or NULL + err. */
char *rs_runlog_new_dir(const char *parent, const char *stem,
                        struct rs_error *err);

/* Create dir (and parents) if needed and open run.jsonl for appending;
 * when the file is new or empty, write meta_json (one JSON object text, no
 * newline) as its first line. NULL + err naming the path on failure. */
rs_runlog *rs_runlog_open(const char *dir, const char *meta_json,
                          struct rs_error *err);
void rs_runlog_close(rs_runlog *log);
const char *rs_runlog_dir(const rs_runlog *log);

/* Build one record: begin, any number of values, end (writes the line).
 * Every write returns RS_EIO + err naming the file when it fails, and
 * keeps what failed queued (rs_runlog_flush); rs_runlog_close tries the
 * queue once more and drops what still fails, with a warning.
 * Keys keep their first-seen order; a repeated key overwrites; the
 * reserved keys "step" and "type" are stored as "_step", "_type". Numbers
 * are written by rs_json_number (%.9g whatever the locale; non-finite as
 * null); strings by rs_json_escape (run/json.h).
 * An end without values writes nothing. I/O errors name the file. */
void rs_runlog_begin(rs_runlog *log, long step);
void rs_runlog_value(rs_runlog *log, const char *key, double v);
void rs_runlog_text(rs_runlog *log, const char *key, const char *s);
RS_NODISCARD int rs_runlog_end(rs_runlog *log, struct rs_error *err);
/* An event line {"type":"event","step":N,"kind":kind,"text":text} (kind
 * NULL: no "kind" key). */
RS_NODISCARD int rs_runlog_event(rs_runlog *log, long step, const char *kind,
                                 const char *text, struct rs_error *err);
/* A line of JSON text written as it is, plus the newline: the caller
 * makes it one JSON object on one line (run/replay.c's action lines). */
RS_NODISCARD int rs_runlog_line(rs_runlog *log, const char *json,
                                struct rs_error *err);
RS_NODISCARD int rs_runlog_matrix(rs_runlog *log, const char *name,
                                  long step, int rows, int cols,
                                  const float *data,
                                  const char *const *row_labels,
                                  const char *const *col_labels,
                                  struct rs_error *err);
/* Write the lines and matrices whose write failed (a full disk, a file
 * size limit), oldest first; every write function tries this first too,
 * so the files keep their order. RS_OK when none is left, else RS_EIO +
 * err naming the file ("cannot write DIR/run.jsonl: No space left on
 * device"), the files holding whole lines only. err may be NULL. */
RS_NODISCARD int rs_runlog_flush(rs_runlog *log, struct rs_error *err);
/* How many writes wait in that queue (0: the files hold everything). */
int rs_runlog_pending(const rs_runlog *log);
/* Copy a file into the run directory under name (the scene). */
RS_NODISCARD int rs_runlog_copy_file(rs_runlog *log, const char *src,
                                     const char *name, struct rs_error *err);
/* DIR/name, a new string. */
char *rs_runlog_path(const rs_runlog *log, const char *name);

#endif /* RS_RUN_RUNLOG_H */
