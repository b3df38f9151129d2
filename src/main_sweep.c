/* repscope - MIT licence, see COPYING.
 *
 * main_sweep.c: `repscope sweep` (a grid of headless runs through GNU
 * parallel, a Slurm job array or printed commands: run/sweep.h) and
 * `repscope export` (a run as CSV: run/export.h), as main.c runs them.
 */
#include "config.h"

#include "main_impl.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "core/base.h"
#include "run/export.h"
#include "run/sweep.h"

/* ---- repscope sweep / repscope export ------------------------------- */

/* `repscope export RUNDIR --csv [--out FILE]`. */
int
rs_main_export(int argc, char **argv)
{
    struct rs_cli_export c;
    if (rs_cli_parse_export(argc, argv, &c) < 0)
        return 2;
    if (c.help) {
        rs_cli_export_usage(stdout);
        return 0;
    }
    struct rs_error err = {0};
    struct rs_export_stats st;
    if (rs_export_csv(c.run_dir, c.out, &st, &err) != RS_OK) {
        fprintf(stderr, "repscope export: %s\n", err.msg);
        return 1;
    }
    if (st.bad_lines > 0)
        fprintf(stderr, "repscope export: %ld malformed line%s of "
                        "%s/run.jsonl skipped (the first: line %ld)\n",
                st.bad_lines, st.bad_lines == 1 ? "" : "s", c.run_dir,
                st.first_bad);
    if (c.out == NULL)
        fprintf(stderr, "repscope export: %ld rows from %ld records in "
                        "%s/run.csv\n",
                st.rows, st.records, c.run_dir);
    else if (strcmp(c.out, "-") != 0)
        fprintf(stderr, "repscope export: %ld rows from %ld records in "
                        "%s\n",
                st.rows, st.records, c.out);
    return 0;
}

/* This program's absolute path (a new string), for the points' commands. */
static char *
self_exe(const char *argv0)
{
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n > 0) {
        buf[n] = '\0';
        return rs_xstrdup(buf);
    }
    if (realpath(argv0, buf) != NULL)
        return rs_xstrdup(buf);
    return rs_xstrdup(argv0);
}

/* The points to run now: a new sweep (written to DIR) or the pending
 * points of DIR (--resume). NULL after printing why. */
static rs_sweep *
sweep_open(const struct rs_cli_sweep *c, char **argv)
{
    struct rs_error err = {0};
    if (c->resume != NULL) {
        rs_sweep *sw = rs_sweep_load(c->resume, &err);
        if (sw == NULL)
            fprintf(stderr, "repscope sweep: %s\n", err.msg);
        return sw;
    }
    char *path = rs_main_resolve_scene(c->scene);
    if (path == NULL)
        return NULL;
    char abs[PATH_MAX];
    char *exe = self_exe(argv[0]);
    struct rs_sweep_spec spec = {
        .exe = exe,
        .scene = realpath(path, abs) != NULL ? abs : path,
        .dir = c->out_dir,
        .sets = c->sets,
        .nsets = c->nsets,
        .seeds = c->seeds,
        .steps = c->steps,
    };
    rs_sweep *sw = rs_sweep_new(&spec, &err);
    free(exe);
    free(path);
    if (sw == NULL)
        fprintf(stderr, "repscope sweep: %s\n", err.msg);
    return sw;
}

static bool
on_path(const char *name)
{
    const char *path = getenv("PATH");
    if (path == NULL)
        return false;
    for (const char *p = path;;) {
        size_t n = strcspn(p, ":");
        char *f = rs_xasprintf("%.*s/%s", (int)n, n > 0 ? p : ".", name);
        bool ok = access(f, X_OK) == 0;
        free(f);
        if (ok || p[n] == '\0')
            return ok;
        p += n + 1;
    }
}

/* --slurm: write DIR/sweep.sbatch for points idx[0..n) and submit it. */
static int
sweep_slurm(const struct rs_cli_sweep *c, rs_sweep *sw, const int *idx,
            int n, const char *dir)
{
    struct rs_error err = {0};
    struct rs_sweep_slurm res = {c->slurm_time, c->slurm_mem, c->slurm_cpus,
                                 c->slurm_partition};
    char *script = rs_sweep_slurm_script(sw, idx, n, &res);
    char *path = rs_xasprintf("%s/sweep.sbatch", dir);
    int rc = 0;
    if (c->dry_run) {
        fputs(script, stdout);
    } else if (rs_sweep_write_script(path, script, &err) != RS_OK) {
        fprintf(stderr, "repscope sweep: %s\n", err.msg);
        rc = 1;
    } else if (on_path("sbatch")) {
        char sbatch[] = "sbatch";
        char *av[] = {sbatch, path, NULL};
        int st = rs_sweep_spawn(av, &err);
        if (st != 0) {
            fprintf(stderr, "repscope sweep: %s\n",
                    st < 0 ? err.msg : "sbatch failed");
            rc = 1;
        } else {
            fprintf(stderr, "repscope sweep: %d points submitted; see "
                            "them finish with `repscope sweep --resume %s "
                            "--dry-run`\n",
                    n, dir);
        }
    } else {
        fputs(script, stdout);
        fprintf(stderr, "repscope sweep: sbatch is not on PATH: the job "
                        "array (above) is in %s; submit it with sbatch "
                        "where Slurm runs\n",
                path);
    }
    free(path);
    free(script);
    return rc;
}

/* `repscope sweep ...`: expand, write the manifest, hand the points to
 * the scheduler, record and list the failures. */
int
rs_main_sweep(int argc, char **argv)
{
    struct rs_cli_sweep c;
    if (rs_cli_parse_sweep(argc, argv, &c) < 0)
        return 2;
    if (c.help) {
        rs_cli_sweep_usage(stdout);
        return 0;
    }
    rs_main_settle_datadir();
    rs_sweep *sw = sweep_open(&c, argv);
    if (sw == NULL)
        return 2;
    struct rs_error err = {0};
    int *idx = NULL, n = 0, rc = 0;
    const char *dir = c.resume != NULL ? c.resume : c.out_dir;
    if (c.resume != NULL) {
        int *busy = NULL, nbusy = 0;
        rs_sweep_pending(sw, &idx, &n, &busy, &nbusy);
        for (int j = 0; j < nbusy; j++) {
            char why[400];
            if (!rs_sweep_point_running(sw, busy[j], why, sizeof why))
                snprintf(why, sizeof why, "just ended");
            fprintf(stderr,
                    "repscope sweep: point %d %s is still running (%s): "
                    "left alone\n",
                    busy[j], rs_sweep_point_name(sw, busy[j]), why);
        }
        free(busy);
        fprintf(stderr, "repscope sweep: %d of %d points to rerun\n", n,
                rs_sweep_npoints(sw));
    } else {
        n = rs_sweep_npoints(sw);
        idx = rs_xcalloc((size_t)n, sizeof *idx);
        for (int i = 0; i < n; i++)
            idx[i] = i;
    }
    if (c.dry_run) {
        if (c.slurm && n > 0)
            rc = sweep_slurm(&c, sw, idx, n, dir);
        else
            rs_sweep_print_commands(sw, idx, n, stdout);
        goto out;
    }
    if ((c.resume == NULL ? rs_sweep_create(sw, &err)
                          : rs_sweep_reset(sw, idx, n, &err)) != RS_OK ||
        rs_sweep_save(sw, &err) != RS_OK) {
        fprintf(stderr, "repscope sweep: %s\n", err.msg);
        rc = c.resume == NULL ? 2 : 1;
        goto out;
    }
    if (n == 0)
        goto out;
    if (c.slurm) {
        rc = sweep_slurm(&c, sw, idx, n, dir);
        goto out;
    }
    if (!c.parallel) {
        rs_sweep_print_commands(sw, idx, n, stdout);
        goto out;
    }
    char **av = rs_sweep_parallel_argv(sw, idx, n, c.jobs,
                                       isatty(STDERR_FILENO));
    fprintf(stderr, "repscope sweep: %d points through GNU parallel in "
                    "%s\n",
            n, dir);
    int st = rs_sweep_spawn(av, &err);
    rs_sweep_argv_free(av);
    if (st < 0) {
        fprintf(stderr, "repscope sweep: %s (Debian: apt-get install "
                        "parallel)\n",
                err.msg);
        rc = 1;
        goto out;
    }
    rs_sweep_collect(sw);
    if (rs_sweep_save(sw, &err) != RS_OK) {
        fprintf(stderr, "repscope sweep: %s\n", err.msg);
        rc = 1;
    }
    int bad = rs_sweep_report(sw, stderr);
    if (bad > 0) {
        fprintf(stderr, "repscope sweep: %d of %d points failed: rerun them "
                        "with `repscope sweep --resume %s --parallel`\n",
                bad, rs_sweep_npoints(sw), dir);
        rc = 1;
    } else {
        fprintf(stderr, "repscope sweep: all %d points done in %s\n",
                rs_sweep_npoints(sw), dir);
    }
out:
    free(idx);
    rs_sweep_free(sw);
    return rc;
}
