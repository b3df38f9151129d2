/* repscope - MIT licence, see COPYING.
 *
 * compare.h: `repscope compare RUNDIR...` (or a sweep directory): several
 * recorded runs read onto one metric bus, side by side, finished or still
 * running. Each run is an attach member (run/attach.h) whose series and
 * matrices carry its label as a prefix ("lr=3e-3 seed=2/test/acc"). The
 * label names the run by the params that differ between the runs (from
 * the meta lines' "params" and "seed", or a sweep's manifest), in their
 * order, seed last; the run directory's name when none differ ('/' in a
 * label becomes '_'; a repeated label gets "#k").
 * What it publishes besides the members' series and matrices:
 *   views   built from the first scene's recorded views: each series of
 *           its curves panels overlaid across the runs (one line, one
 *           colour per run, in run order: up to RS_COMPARE_OVERLAY runs
 *           per panel; more are split by group, then in chunks), a table
 *           of final values, then each matrix panel once per run, one
 *           beside the other; at most RS_COMPARE_PANELS panels. Without
 *           recorded views, one overlay per series name seen (time/ left
 *           out).
 *   table   the matrix "compare/final": a row per run (labelled), a
 *           column per overlaid series (the first RS_COMPARE_COLUMNS)
 *           after "step": the newest value of each (NaN when none).
 *   status  the scene, "compare: N runs of SCENE" (with " · d/n done"
 *           until all are), runs = N, the furthest step and the largest
 *           planned total; RUNNING while any run runs, FAILED when one
 *           failed (the message names it), DONE when all ended.
 * A sweep directory (one holding sweep.json) gives its points' run
 * directories (DIR/<name>), grouped by the params other than the seed
 * (a group's runs are next to each other and share a panel when the
 * runs are too many for one); points whose run has not started are left
 * out and counted in the message.
 * A sweep's labels come from all its points, started or not (they do
 * not change as points start), and each poll takes in the points that
 * started since, at their place in sweep order.
 *
 * The grid (rs_compare_new_grid, `repscope attach SWEEPDIR`): small
 * multiples of one series instead, a small curves panel per point of the
 * sweep in sweep order (the first RS_COMPARE_PANELS), each titled by the
 * point's label and, unless it runs, how it stands ("· not started",
 * "· done", "· FAILED, exit 3"), all on one y range: the scene's view's
 * ymin and ymax when it gives both, else the smallest and largest value
 * any run logged, widened to round numbers (decades on a log axis; else
 * multiples of a 1-2-5 step near a quarter of the span) so that it seldom
 * changes. A point's state is its log's, corrected by the exit code the
 * sweep wrote (DIR/exit/INDEX): non-zero is failed, zero done. The
 * status's title is the series and the counts in short ("train/acc ·
 * 3/8 done, 2 running, 1 failed"), its runs the number of points, and
 * its message says "N points: d done, r running, f failed, w not
 * started" (then the
 * first failed point, its exit code and its log's message); its state is
 * FAILED when a point failed, else RUNNING while one runs, DONE when all
 * are done, LOADING otherwise (waiting for points to start).
 * Threads: the feeder (the caller's thread through rs_compare_poll, or
 * the thread of rs_compare_start) is the bus's one writer.
 */
#ifndef RS_RUN_COMPARE_H
#define RS_RUN_COMPARE_H

#include <stdbool.h>

#include "core/base.h"
#include "run/bus.h"

#define RS_COMPARE_RUNS_MAX 64
#define RS_COMPARE_OVERLAY 8  /* runs per overlay panel (chart series) */
#define RS_COMPARE_PANELS 16  /* panels at most (the layout's) */
#define RS_COMPARE_COLUMNS 12 /* series in the table */

typedef struct rs_compare rs_compare;

/* What an overlay draws a line for. */
enum rs_compare_by {
    RS_COMPARE_BY_AUTO,  /* groups when there are several and one has
                            several runs, else runs */
    RS_COMPARE_BY_RUN,   /* each run */
    RS_COMPARE_BY_GROUP, /* each group: the mean over its runs, with the
                            least and greatest value as a band */
};

/* Open the runs: n run directories, or one sweep directory. NULL + err
 * (RS_EIO naming the directory that is no run or sweep; RS_EINVAL for
 * none or more than RS_COMPARE_RUNS_MAX runs; RS_EFORMAT for a sweep.json
 * that cannot be read). Reads the meta lines (for the labels), nothing
 * else yet. */
rs_compare *rs_compare_new(const char *const *dirs, int n,
                           enum rs_compare_by by, struct rs_error *err);
/* The grid of sweep directory dir: series names the series (NULL: the
 * first series of the first curves view the runs recorded). NULL + err:
 * RS_EIO when dir holds no sweep.json, RS_EFORMAT when it cannot be read
 * or has no points, RS_EINVAL for an empty series name or more than
 * RS_COMPARE_RUNS_MAX points. No point need have started. */
rs_compare *rs_compare_new_grid(const char *dir, const char *series,
                                struct rs_error *err);
/* The grid's series ("" until known; borrowed) and its shared y range
 * as last published (NaN, NaN: none yet). Feeder thread. */
const char *rs_compare_grid_series(const rs_compare *c);
void rs_compare_grid_range(const rs_compare *c, double *lo, double *hi);
/* RS_EINVAL + err (naming the series and some that exist) when the grid's
 * series was named by the caller, runs logged series, and none of them is
 * it; else RS_OK. Feeder thread. */
RS_NODISCARD int rs_compare_grid_check(rs_compare *c, struct rs_error *err);
/* Stop the feeder thread if any and free everything (the bus too). */
void rs_compare_free(rs_compare *c);
/* The bus it feeds; borrowed, valid until rs_compare_free. */
rs_bus *rs_compare_bus(rs_compare *c);
int rs_compare_count(const rs_compare *c);
/* Run i's label and directory; borrowed. */
const char *rs_compare_label(const rs_compare *c, int i);
const char *rs_compare_dir(const rs_compare *c, int i);

/* Read what every run added since the last call and publish it (the
 * views when they changed, the table, the status; then a flush). Returns
 * the number of lines taken, or a negative rs_status + err when a file
 * cannot be read. */
int rs_compare_poll(rs_compare *c, struct rs_error *err);
/* rs_compare_poll until nothing is new. */
RS_NODISCARD int rs_compare_read_all(rs_compare *c, struct rs_error *err);
/* Follow the runs from a thread of its own, polling every interval_s
 * (<= 0: 0.2 s) until rs_compare_free. */
RS_NODISCARD int rs_compare_start(rs_compare *c, double interval_s,
                                  struct rs_error *err);

#endif /* RS_RUN_COMPARE_H */
