/* repscope - MIT licence, see COPYING.
 *
 * cli.h: repscope's command line. One table of options (cli.c) drives
 * both getopt_long and `--help`, so the two cannot disagree; the man page
 * is checked against the same table (tests/sh/t_cli.sh). Main thread only:
 * getopt_long keeps global state.
 */
#ifndef RS_CLI_H
#define RS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define RS_CLI_DEFAULT_SCENE "grokking"
#define RS_CLI_MAX_SETS 64

struct rs_cli {
    const char *scene;   /* name or path; NULL: the default */
    const char *out_dir; /* --out */
    const char *resume;  /* --resume DIR */
    const char *test;    /* --test FILE */
    const char *sets[RS_CLI_MAX_SETS]; /* --set KEY=VALUE, in order */
    int nsets;
    long steps; /* -1: the scene's */
    long seed;  /* -1: the scene's / 1 */
    long checkpoint_every;
    int threads;
    size_t lua_mem; /* --lua-mem: 0 the default, SIZE_MAX none */
    bool headless, safe, list, help, version;
    bool attach; /* `repscope attach RUNDIR` */
    const char *attach_dir;
    const char *series; /* --series NAME: attach SWEEPDIR's grid */
    bool replay; /* `repscope replay RUNDIR` */
    const char *replay_dir;
    bool frame, color, ascii, list_keys;
    bool presenter; /* --presenter */
    int frame_w, frame_h; /* --size; 0: the default */
};

/* Parse argv into c (all of it set here; strings borrowed from argv). 0,
 * or -1 after printing a message that names the bad option or value on
 * stderr. argv is not reordered. */
int rs_cli_parse(int argc, char **argv, struct rs_cli *c);

/* The --help text, generated from the option table. */
void rs_cli_usage(FILE *f);

/* ---- repscope sweep / repscope export ------------------------------- */

/* `repscope sweep SCENE --set K=V1,V2 ... --out DIR` or
 * `repscope sweep --resume DIR` (run/sweep.h). */
struct rs_cli_sweep {
    const char *scene;  /* name or path */
    const char *out_dir; /* --out DIR */
    const char *resume;  /* --resume DIR */
    const char *seeds;   /* --seeds LIST; NULL: no --seed per point */
    const char *sets[RS_CLI_MAX_SETS]; /* --set KEY=V1,V2,..., in order */
    int nsets;
    long steps; /* -1: the scene's */
    bool parallel, slurm, dry_run, help;
    int jobs; /* -j N; 0: one per core */
    const char *slurm_time, *slurm_mem, *slurm_cpus, *slurm_partition;
};

/* `repscope export RUNDIR --csv [--out FILE]` (run/export.h). */
struct rs_cli_export {
    const char *run_dir;
    const char *out; /* NULL: RUNDIR/run.csv; "-": stdout */
    bool csv, help;
};

/* `repscope compare RUNDIR... | SWEEPDIR [--frame]` (run/compare.h). */
#define RS_CLI_COMPARE_MAX 64
struct rs_cli_compare {
    const char *dirs[RS_CLI_COMPARE_MAX];
    int ndirs;
    bool frame, color, ascii, help;
    int frame_w, frame_h; /* --size; 0: the default */
    int by; /* --by: 0 auto (groups when a group has several runs and
               there are several groups), 1 run, 2 group */
};

/* Parse argv (argv[1] is "sweep" or "export") as rs_cli_parse does: 0,
 * or -1 after a message naming the bad option or value on stderr. */
int rs_cli_parse_sweep(int argc, char **argv, struct rs_cli_sweep *c);
int rs_cli_parse_export(int argc, char **argv, struct rs_cli_export *c);
int rs_cli_parse_compare(int argc, char **argv, struct rs_cli_compare *c);
void rs_cli_compare_usage(FILE *f);
void rs_cli_sweep_usage(FILE *f);
void rs_cli_export_usage(FILE *f);

#endif /* RS_CLI_H */
