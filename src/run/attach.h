/* repscope - MIT licence, see COPYING.
 *
 * attach.h: `repscope attach RUNDIR`: a run directory read back onto a
 * metric bus, so that the same UI shows a run that trains elsewhere (a
 * batch job, another terminal) live as its log grows, or a finished one.
 * No scene code runs: the feeder reads DIR/run.jsonl (the meta line,
 * records, events, the view specs recorded as {"kind":"views"} events)
 * and DIR/matrices.jsonl with DIR/matrices.bin, incrementally: only
 * complete lines are taken, a partial last line waits for its newline.
 * What it publishes:
 *   records   each number as a series point at the record's step (null,
 *             a non-finite value, is noted in the status instead;
 *             strings, booleans, arrays and objects are no series);
 *   events    set/scene/nonfinite/restart... as bus events (markers;
 *             the UI logs them in its console), "eval" as a console line
 *             with the code, "views" as the view specs;
 *   matrices  the newest snapshot of each name;
 *   status    scene and seed from the meta line, step (the newest
 *             record), total, steps/s (time/steps_per_s), ETA, and a
 *             state from the events: RUNNING, PAUSED, DONE after
 *             done/quit, FAILED after an error (LOADING before any
 *             record); the message says how long ago the log last grew.
 * Threads: the feeder is the bus's one writer: either the caller's thread
 * through rs_attach_poll, or the feeder thread of rs_attach_start (then
 * nobody else calls rs_attach_poll); readers use the bus as usual.
 */
#ifndef RS_RUN_ATTACH_H
#define RS_RUN_ATTACH_H

#include <stdbool.h>

#include "core/base.h"
#include "run/bus.h"

typedef struct rs_attach rs_attach;

/* Open DIR for reading: DIR/run.jsonl must exist. NULL + err (RS_EIO
 * naming the file) otherwise. Reads nothing yet. */
rs_attach *rs_attach_new(const char *dir, struct rs_error *err);
/* A member of a comparison (run/compare.h): DIR read as rs_attach_new
 * does, but its series and matrices go into bus (borrowed, the caller's
 * writer thread polls) under "<prefix>/<name>", its events mark nothing
 * and its status and view specs are kept, read with rs_attach_status and
 * rs_attach_views; rs_attach_poll publishes no status and flushes
 * nothing (the caller does, once for all members). */
rs_attach *rs_attach_new_member(const char *dir, rs_bus *bus,
                                const char *prefix, struct rs_error *err);
/* Hand every finite value a member publishes to fn as well, by its name
 * without the prefix (compare's group means). NULL fn: none. */
typedef void (*rs_attach_tap_fn)(void *ud, const char *name, long step,
                                 double value);
void rs_attach_set_tap(rs_attach *a, rs_attach_tap_fn fn, void *ud);
/* The status the lines read so far say (a member's; any attach's). */
void rs_attach_status(const rs_attach *a, struct rs_bus_status *out);
/* A member's view specs as recorded (borrowed until the next poll), or
 * NULL before its views event. */
const char *rs_attach_views(const rs_attach *a);
/* Stop the feeder thread if any and free everything (the bus too). */
void rs_attach_free(rs_attach *a);
/* The bus it feeds; borrowed, valid until rs_attach_free. */
rs_bus *rs_attach_bus(rs_attach *a);

/* Read whatever complete lines were added since the last call and
 * publish them (then the status, and the bus flushed). Returns the
 * number of lines taken (0: nothing new), or a negative rs_status with
 * err filled when a file cannot be read. A malformed line (no JSON
 * object, or a matrix whose payload is not in matrices.bin) is skipped
 * and counted in the status message instead, which names the file and
 * line of the first and what is wrong with it ("2 malformed lines
 * skipped; the first, run.jsonl:7: JSON offset 12: ..."); so is a line
 * longer than 64 MiB, which is dropped as it comes, unread. */
int rs_attach_poll(rs_attach *a, struct rs_error *err);
/* Take data[0..len) as if it had just been appended to DIR/run.jsonl
 * (matrices false) or DIR/matrices.jsonl, without reading either file:
 * its complete lines are published as rs_attach_poll would (then the
 * status, and the bus flushed), a partial last line waits for the rest.
 * Returns the number of lines taken. For tests and the fuzzing harness;
 * not to be mixed with polling the same file. */
int rs_attach_feed(rs_attach *a, bool matrices, const char *data,
                   size_t len);
/* Read everything there is now (rs_attach_poll until nothing is new). */
RS_NODISCARD int rs_attach_read_all(rs_attach *a, struct rs_error *err);
/* Follow the log from a thread of its own, polling every interval_s
 * (<= 0: 0.1 s) until rs_attach_free. */
RS_NODISCARD int rs_attach_start(rs_attach *a, double interval_s,
                                 struct rs_error *err);
/* The history of a run resumed into bus: every record of DIR/run.jsonl
 * up to and including step upto, as series points (no events, views,
 * matrices or status), then a flush. For the session resuming DIR, on
 * its worker (the bus's writer), so the views show the run from its
 * start. A missing log is no history (RS_OK); RS_EIO when it cannot be
 * read; malformed lines are skipped. */
RS_NODISCARD int rs_attach_replay(const char *dir, rs_bus *bus, long upto,
                                  struct rs_error *err);
/* True once the run's log says it ended (a "done" or "quit" event, or a
 * failure) and nothing followed. */
bool rs_attach_finished(const rs_attach *a);

#endif /* RS_RUN_ATTACH_H */
