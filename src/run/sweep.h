/* repscope - MIT licence, see COPYING.
 *
 * sweep.h: `repscope sweep`: a grid of headless runs of one scene, handed
 * to a scheduler that exists already (GNU parallel, Slurm, or any other
 * through the printed commands). The grid is the cartesian product of the
 * --set lists (the first varies slowest) and the seeds (fastest); each
 * point is one run in its own directory under the sweep directory DIR,
 * named from the point ("lr=1e-3,width=64,seed=3"; characters other than
 * letters, digits and ._+- become '_'). DIR holds:
 *
 *   sweep.json    the manifest: {"repscope_sweep":1, "scene", "steps",
 *                 "grid":{"sets":[{"key","values":[...]}],"seeds":[...]},
 *                 "points":[{"index","name","params":{k:v},"seed",
 *                 "run_dir","log","argv":[...],"command","exit"}]}
 *                 ("seed" and "steps" are null when not given, "exit" is
 *                 null until the point ran), one point a line;
 *   commands.txt  each point's shell command, line index+1;
 *   run-point.sh  runs point INDEX (its line of commands.txt) and writes
 *                 its exit code into exit/INDEX: what GNU parallel and
 *                 the Slurm array tasks run;
 *   logs/NAME.log the point's stdout and stderr;
 *   joblog.txt    GNU parallel's job log; sweep.sbatch the Slurm script.
 *
 * A point is done when the end of its run directory's log (the last 64
 * KiB) holds a done event and its exit code, if known, is 0; --resume reruns
 * every other point, moving a run directory left by a failed try aside to
 * NAME.failed-K. Main thread only (it forks and waits for the scheduler).
 */
#ifndef RS_RUN_SWEEP_H
#define RS_RUN_SWEEP_H

#include <stdbool.h>
#include <stdio.h>

#include "core/base.h"

typedef struct rs_sweep rs_sweep;

/* What a new sweep is made of; the strings are borrowed. */
struct rs_sweep_spec {
    const char *exe;         /* the repscope binary to run (absolute) */
    const char *scene;       /* the scene file (absolute) */
    const char *dir;         /* the sweep directory */
    const char *const *sets; /* "key=v1,v2,...", in order */
    int nsets;
    const char *seeds; /* "1-8", "1,3,5", "1-4,9"; NULL: no --seed */
    long steps;        /* <= 0: the scene's */
};

/* Slurm resources: NULL (or empty) leaves each to the cluster default. */
struct rs_sweep_slurm {
    const char *time, *mem, *cpus, *partition;
};

/* Parse a seeds list ("1-8", "1,3,5", "2-3,7") into a new array *out of
 * *n seeds. RS_EINVAL + err naming the bad item (a range that runs
 * backwards, a word that is no whole number, an empty item). */
RS_NODISCARD int rs_sweep_parse_seeds(const char *s, long **out, int *n,
                                      struct rs_error *err);

/* Expand spec into a new sweep (nothing written yet). NULL + err
 * (RS_EINVAL naming the bad --set, value or seeds; or two points that
 * would share a directory name). */
rs_sweep *rs_sweep_new(const struct rs_sweep_spec *spec, struct rs_error *err);
/* Read DIR/sweep.json back, with the exit codes of exit/ merged in. NULL
 * + err naming the file and what is wrong. */
rs_sweep *rs_sweep_load(const char *dir, struct rs_error *err);
void rs_sweep_free(rs_sweep *sw);

int rs_sweep_npoints(const rs_sweep *sw);
/* Point i's name, run directory and shell command (borrowed). */
const char *rs_sweep_point_name(const rs_sweep *sw, int i);
const char *rs_sweep_point_dir(const rs_sweep *sw, int i);
const char *rs_sweep_point_command(const rs_sweep *sw, int i);
/* Point i's exit code; -1 when unknown (it has not run, or ran outside
 * run-point.sh). */
int rs_sweep_point_exit(const rs_sweep *sw, int i);
/* True when point i finished: see the top of this file. */
bool rs_sweep_point_is_done(const rs_sweep *sw, int i);

/* Create DIR (refusing one that holds a sweep.json already: RS_EINVAL
 * suggesting --resume) and write sweep.json, commands.txt and
 * run-point.sh into it. */
RS_NODISCARD int rs_sweep_create(rs_sweep *sw, struct rs_error *err);
/* Rewrite DIR/sweep.json (after exit codes changed). */
RS_NODISCARD int rs_sweep_save(rs_sweep *sw, struct rs_error *err);

/* Whether point i runs now, by DIR/running/INDEX (written by
 * run-point.sh while the point runs): on this host, its pid is alive;
 * on another, Slurm's squeue still lists its job (without squeue, or
 * without a job, a point on another host counts as not running). why
 * (cap bytes, may be NULL) gets "on HOST, pid P[, Slurm job J]". A
 * marker left by a killed point is stale: false. */
bool rs_sweep_point_running(const rs_sweep *sw, int i, char *why, size_t cap);
/* The points still to run (not done and not running now) into a new
 * array *idx of *n, and those running now into *busy of *nbusy. */
void rs_sweep_pending(const rs_sweep *sw, int **idx, int *n, int **busy,
                      int *nbusy);
/* Before rerunning the points idx[0..n): move each one's run directory
 * aside (NAME.failed-K) and forget its exit code. */
RS_NODISCARD int rs_sweep_reset(rs_sweep *sw, const int *idx, int n,
                                struct rs_error *err);

/* Print the commands of points idx[0..n), one a line. */
void rs_sweep_print_commands(const rs_sweep *sw, const int *idx, int n,
                             FILE *out);
/* The argv (NULL-terminated, a new array of new strings: free with
 * rs_sweep_argv_free) of the GNU parallel command that runs points
 * idx[0..n) with jobs at a time (<= 0: one per core), a progress bar
 * when bar, and its job log in DIR. */
char **rs_sweep_parallel_argv(const rs_sweep *sw, const int *idx, int n,
                              int jobs, bool bar);
void rs_sweep_argv_free(char **argv);
/* Run argv (a scheduler) and wait; its exit status (128+signo when
 * killed), or -1 + err when it could not be started (RS_EIO naming it).
 * As system(3), SIGINT and SIGQUIT are ignored here while it runs (^C
 * reaches the scheduler, and the caller still records what finished). */
int rs_sweep_spawn(char *const *argv, struct rs_error *err);
/* Merge the exit codes that run-point.sh left in DIR/exit/ into the
 * points. */
void rs_sweep_collect(rs_sweep *sw);

/* The Slurm job-array script for points idx[0..n) (a new string): one
 * array task per point, task ID = point index. */
char *rs_sweep_slurm_script(const rs_sweep *sw, const int *idx, int n,
                            const struct rs_sweep_slurm *res);

/* Write a script (mode 0755) to path, through path.tmp. */
RS_NODISCARD int rs_sweep_write_script(const char *path, const char *text,
                                       struct rs_error *err);

/* List the points that did not finish, with their exit codes, on out;
 * returns how many. */
int rs_sweep_report(const rs_sweep *sw, FILE *out);

#endif /* RS_RUN_SWEEP_H */
