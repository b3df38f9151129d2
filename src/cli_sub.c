/* repscope - MIT licence, see COPYING.
 *
 * cli_sub.c: the command lines of the subcommands with options of their
 * own (repscope sweep, export and compare): each has its table of rows
 * and its usage, parsed by getopt_long with the main parser's rules
 * (cli.c). Main thread only (getopt's globals).
 */
#include "config.h"

#include "cli.h"
#include "cli_impl.h"

#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"

/* ---- repscope sweep / repscope export --------------------------------
 * Subcommands with options of their own: each has its table of rows
 * (local to its parser, so they are not mistaken for the main table's)
 * and sub_parse runs getopt_long over it with the main parser's rules: a
 * long option spelled out in full, its value as --opt VALUE or
 * --opt=VALUE, messages naming the option and the value. */

/* How a row's value is stored, at off (and off2) in the command's
 * struct. */
enum sub_kind {
    SUB_FLAG,   /* bool = true */
    SUB_STR,    /* const char * = the value */
    SUB_WORD,   /* the same, but one shell-safe word (it goes into scripts) */
    SUB_LONG,   /* long in lo..hi */
    SUB_INT,    /* int in lo..hi */
    SUB_SIZE,   /* "WxH": int width at off, int height at off2 */
    SUB_LIST,   /* KEY=VALUES appended to a const char *[hi] at off, its
                   int count at off2 */
    SUB_CHOICE, /* int = the value's index in choices */
};

struct sub_opt {
    const char *name; /* long name, without "--" */
    char short_name;  /* 0: none */
    const char *arg;  /* the value's name; NULL: a flag */
    const char *help;
    enum sub_kind kind;
    size_t off, off2;
    long lo, hi;
    const char *const *choices; /* SUB_CHOICE: NULL-terminated */
};

/* Rows of the tables below, for command struct T. */
#define ROW_FLAG(T, name, sh, field, help)                                     \
    {name, sh, NULL, help, SUB_FLAG, offsetof(T, field), 0, 0, 0, NULL}
#define ROW_STR(T, name, arg, field, help)                                     \
    {name, 0, arg, help, SUB_STR, offsetof(T, field), 0, 0, 0, NULL}
#define ROW_WORD(T, name, arg, field, help)                                    \
    {name, 0, arg, help, SUB_WORD, offsetof(T, field), 0, 0, 0, NULL}
#define ROW_NUM(T, kind, name, sh, arg, field, lo, hi, help)                   \
    {name, sh, arg, help, kind, offsetof(T, field), 0, lo, hi, NULL}
#define ROW_SIZE(T, name, w, h, help)                                          \
    {name, 0, "WxH", help, SUB_SIZE, offsetof(T, w), offsetof(T, h), 0, 0,   \
     NULL}
#define ROW_CHOICE(T, name, arg, field, choices, help)                         \
    {name, 0, arg, help, SUB_CHOICE, offsetof(T, field), 0, 0, 0, choices}

struct sub_cmd {
    const char *word; /* "sweep" */
    const struct sub_opt *opts;
    size_t nopts;
    /* a word that is no option (the scene, a run directory) */
    int (*word_fn)(void *c, const char *w);
    void *c;
};

static void
sub_usage(FILE *f, const struct sub_opt *opts, size_t nopts)
{
    int width = 0;
    char left[32][40];
    RS_ASSERT(nopts <= 32);
    for (size_t i = 0; i < nopts; i++) {
        char sh[5] = "";
        if (opts[i].short_name != 0)
            snprintf(sh, sizeof sh, "-%c, ", opts[i].short_name);
        int n = snprintf(left[i], sizeof left[i], "%s--%s%s%s", sh,
                         opts[i].name, opts[i].arg != NULL ? " " : "",
                         opts[i].arg != NULL ? opts[i].arg : "");
        RS_ASSERT(n > 0 && (size_t)n < sizeof left[i]);
        if (n > width)
            width = n;
    }
    for (size_t i = 0; i < nopts; i++)
        fprintf(f, "  %-*s%s\n", width + 3, left[i], opts[i].help);
}

/* Store row o's value (NULL for a flag) into s's struct as its kind says:
 * 0, or -1 after a message naming the option and the value. */
static int
sub_store(const struct sub_cmd *s, const struct sub_opt *o, const char *opt,
          const char *val)
{
    char *base = s->c;
    long v = 0;
    switch (o->kind) {
    case SUB_FLAG:
        *(bool *)(base + o->off) = true;
        return 0;
    case SUB_WORD:
        if (val[0] == '\0' || strpbrk(val, " \t\n\r'\"\\$`") != NULL) {
            fprintf(stderr, "repscope %s: %s '%s': expected one word\n",
                    s->word, opt, val);
            return -1;
        }
        /* fall through */
    case SUB_STR:
        *(const char **)(base + o->off) = val;
        return 0;
    case SUB_LONG:
    case SUB_INT:
        if (rs_cli_parse_long(opt, val, o->lo, o->hi, &v) < 0)
            return -1;
        if (o->kind == SUB_LONG)
            *(long *)(base + o->off) = v;
        else
            *(int *)(base + o->off) = (int)v;
        return 0;
    case SUB_SIZE: {
        int w = 0, h = 0;
        char x = 0, extra = 0;
        if (sscanf(val, "%d%c%d%c", &w, &x, &h, &extra) != 3 ||
            (x != 'x' && x != 'X') || w < 1 || h < 1 || w > 1000 || h > 1000) {
            fprintf(stderr,
                    "repscope %s: %s '%s': expected WxH, e.g. 100x30\n",
                    s->word, opt, val);
            return -1;
        }
        *(int *)(base + o->off) = w;
        *(int *)(base + o->off2) = h;
        return 0;
    }
    case SUB_LIST: {
        int *n = (int *)(base + o->off2);
        if (strchr(val, '=') == NULL || val[0] == '=') {
            fprintf(stderr, "repscope %s: %s '%s': expected %s\n", s->word,
                    opt, val, o->arg);
            return -1;
        }
        if (*n >= o->hi) {
            fprintf(stderr, "repscope %s: more than %ld %s options\n",
                    s->word, o->hi, opt);
            return -1;
        }
        ((const char **)(base + o->off))[(*n)++] = val;
        return 0;
    }
    case SUB_CHOICE:
        for (int i = 0; o->choices[i] != NULL; i++)
            if (strcmp(val, o->choices[i]) == 0) {
                *(int *)(base + o->off) = i;
                return 0;
            }
        fprintf(stderr, "repscope %s: %s '%s': expected %s\n", s->word, opt,
                val, o->arg);
        return -1;
    }
    return -1;
}

/* argv[1] is s->word; the rest is parsed. 0 or -1 (message printed). */
static int
sub_parse(int argc, char **argv, const struct sub_cmd *s)
{
    struct option longopts[33];
    char shortopts[2 + 2 * 32 + 1] = "-:";
    size_t k = 2;
    RS_ASSERT(s->nopts <= 32);
    for (size_t i = 0; i < s->nopts; i++) {
        const struct sub_opt *o = &s->opts[i];
        longopts[i] = (struct option){
            .name = o->name,
            .has_arg = o->arg != NULL ? required_argument : no_argument,
            .val = ROW_CODE + (int)i,
        };
        if (o->short_name != 0) {
            shortopts[k++] = o->short_name;
            if (o->arg != NULL)
                shortopts[k++] = ':';
        }
    }
    shortopts[k] = '\0';
    longopts[s->nopts] = (struct option){0};
    /* argv + 1: the subcommand's word stands where getopt expects the
     * program's name */
    char **av = argv + 1;
    int ac = argc - 1;
    opterr = 0;
    optind = 0; /* a fresh scan (glibc) */
    int code;
    while ((code = getopt_long(ac, av, shortopts, longopts, NULL)) != -1) {
        if (code == 1) {
            if (s->word_fn(s->c, optarg) < 0)
                return -1;
            continue;
        }
        if (code == '?' || code == ':') {
            const char *a = av[optind - 1];
            if (optopt >= ROW_CODE)
                fprintf(stderr,
                        "repscope %s: --%s %s (try repscope %s "
                        "--help)\n",
                        s->word, s->opts[optopt - ROW_CODE].name,
                        code == ':' ? "needs a value" : "takes no value",
                        s->word);
            else if (optopt != 0)
                fprintf(stderr,
                        "repscope %s: unknown option '-%c' (try "
                        "repscope %s --help)\n",
                        s->word, optopt, s->word);
            else
                fprintf(stderr,
                        "repscope %s: unknown option '%.*s' (try "
                        "repscope %s --help)\n",
                        s->word, (int)(2 + rs_cli_long_name_len(a)), a,
                        s->word);
            return -1;
        }
        size_t row = s->nopts;
        if (code >= ROW_CODE) {
            row = (size_t)(code - ROW_CODE);
            const struct sub_opt *o = &s->opts[row];
            const char *a = o->arg != NULL && optarg == av[optind - 1]
                                ? av[optind - 2]
                                : av[optind - 1];
            if (rs_cli_long_name_len(a) != strlen(o->name)) {
                fprintf(stderr,
                        "repscope %s: unknown option '%.*s' (did "
                        "you mean --%s?)\n",
                        s->word, (int)(2 + rs_cli_long_name_len(a)), a,
                        o->name);
                return -1;
            }
        } else {
            for (size_t i = 0; i < s->nopts && row == s->nopts; i++)
                if (s->opts[i].short_name == code)
                    row = i;
            RS_ASSERT(row < s->nopts);
        }
        char opt[48];
        snprintf(opt, sizeof opt, "--%s", s->opts[row].name);
        if (sub_store(s, &s->opts[row], opt, optarg) < 0)
            return -1;
    }
    for (; optind < ac; optind++)
        if (s->word_fn(s->c, av[optind]) < 0)
            return -1;
    return 0;
}

/* In --help order. */
static const struct sub_opt *
sweep_opts(size_t *n)
{
#define T struct rs_cli_sweep
    static const struct sub_opt opts[] = {
        {"set", 0, "KEY=V1,V2,...", "a parameter's values (repeatable)",
         SUB_LIST, offsetof(T, sets), offsetof(T, nsets), 0, RS_CLI_MAX_SETS,
         NULL},
        ROW_STR(T, "seeds", "LIST", seeds, "seeds, e.g. 1-8 or 1,3,5"),
        ROW_NUM(T, SUB_LONG, "steps", 0, "N", steps, 1, LONG_MAX / 2,
                "stop each run after N steps"),
        ROW_STR(T, "out", "DIR", out_dir, "the sweep directory (required)"),
        ROW_FLAG(T, "parallel", 0, parallel,
                 "run the points through GNU parallel"),
        ROW_NUM(T, SUB_INT, "jobs", 'j', "N", jobs, 1, 4096,
                "--parallel: N runs at a time (default: cores)"),
        ROW_FLAG(T, "slurm", 0, slurm,
                 "write a Slurm job array; sbatch it if on PATH"),
        ROW_WORD(T, "slurm-time", "T", slurm_time,
                 "--slurm: time limit per point"),
        ROW_WORD(T, "slurm-mem", "M", slurm_mem, "--slurm: memory per point"),
        ROW_WORD(T, "slurm-cpus", "C", slurm_cpus, "--slurm: CPUs per point"),
        ROW_WORD(T, "slurm-partition", "P", slurm_partition,
                 "--slurm: the partition"),
        ROW_FLAG(T, "dry-run", 0, dry_run,
                 "print the points' commands; write nothing"),
        ROW_STR(T, "resume", "DIR", resume,
                "rerun the failed or missing points of DIR"),
        ROW_FLAG(T, "help", 'h', help, "print this help"),
    };
#undef T
    *n = RS_ARRAY_LEN(opts);
    return opts;
}

void
rs_cli_sweep_usage(FILE *f)
{
    fprintf(f, "usage: repscope sweep SCENE [--set KEY=V1,V2 ...] "
               "[--seeds 1-8] [--steps N]\n"
               "         --out DIR [--parallel [-j N] | --slurm "
               "[--slurm-time T ...]] [--dry-run]\n"
               "       repscope sweep --resume DIR [--parallel [-j N] | "
               "--slurm ...]\n\n"
               "One headless run per point of the grid (the --set lists "
               "times the seeds), each\nin DIR/NAME, listed in "
               "DIR/sweep.json. Without --parallel or --slurm the\npoints' "
               "commands are printed, one a line.\n\n");
    size_t n;
    const struct sub_opt *o = sweep_opts(&n);
    sub_usage(f, o, n);
    fprintf(f, "\nSee repscope(1), SWEEPS.\n");
}

static int
sweep_word(void *ud, const char *w)
{
    struct rs_cli_sweep *c = ud;
    if (c->scene != NULL) {
        fprintf(stderr,
                "repscope sweep: more than one scene: '%s' and "
                "'%s'\n",
                c->scene, w);
        return -1;
    }
    c->scene = w;
    return 0;
}

int
rs_cli_parse_sweep(int argc, char **argv, struct rs_cli_sweep *c)
{
    *c = (struct rs_cli_sweep){.steps = -1};
    struct sub_cmd s = {.word = "sweep", .word_fn = sweep_word, .c = c};
    s.opts = sweep_opts(&s.nopts);
    if (sub_parse(argc, argv, &s) < 0)
        return -1;
    if (c->help)
        return 0;
    const char *why = NULL;
    if (c->parallel && c->slurm)
        why = "--parallel or --slurm, not both";
    else if (c->jobs > 0 && !c->parallel)
        why = "-j goes with --parallel";
    else if ((c->slurm_time || c->slurm_mem || c->slurm_cpus ||
              c->slurm_partition) &&
             !c->slurm)
        why = "the --slurm-* options go with --slurm";
    else if (c->resume != NULL &&
             (c->scene != NULL || c->nsets > 0 || c->seeds != NULL ||
              c->steps > 0 || c->out_dir != NULL))
        why = "--resume DIR takes the grid from DIR/sweep.json: drop SCENE, "
              "--set, --seeds, --steps and --out";
    else if (c->resume == NULL && c->scene == NULL)
        why = "name the scene (or --resume DIR)";
    else if (c->resume == NULL && c->out_dir == NULL)
        why = "--out DIR is required (the sweep's directory)";
    if (why != NULL) {
        fprintf(stderr, "repscope sweep: %s\n", why);
        return -1;
    }
    return 0;
}

static const struct sub_opt *
export_opts(size_t *n)
{
#define T struct rs_cli_export
    static const struct sub_opt opts[] = {
        ROW_FLAG(T, "csv", 0, csv, "tidy CSV: step,series,value (required)"),
        ROW_STR(T, "out", "FILE", out,
                "write FILE (default RUNDIR/run.csv; - stdout)"),
        ROW_FLAG(T, "help", 'h', help, "print this help"),
    };
#undef T
    *n = RS_ARRAY_LEN(opts);
    return opts;
}

void
rs_cli_export_usage(FILE *f)
{
    fprintf(f, "usage: repscope export RUNDIR --csv [--out FILE]\n\n"
               "The values logged in RUNDIR/run.jsonl as tidy CSV, one row "
               "per value.\n\n");
    size_t n;
    const struct sub_opt *o = export_opts(&n);
    sub_usage(f, o, n);
    fprintf(f, "\nSee repscope(1), EXPORT.\n");
}

static int
export_word(void *ud, const char *w)
{
    struct rs_cli_export *c = ud;
    if (c->run_dir != NULL) {
        fprintf(stderr,
                "repscope export: one run directory: '%s' and "
                "'%s'\n",
                c->run_dir, w);
        return -1;
    }
    c->run_dir = w;
    return 0;
}

int
rs_cli_parse_export(int argc, char **argv, struct rs_cli_export *c)
{
    *c = (struct rs_cli_export){0};
    struct sub_cmd s = {.word = "export", .word_fn = export_word, .c = c};
    s.opts = export_opts(&s.nopts);
    if (sub_parse(argc, argv, &s) < 0)
        return -1;
    if (c->help)
        return 0;
    const char *why = NULL;
    if (c->run_dir == NULL)
        why = "name the run directory";
    else if (!c->csv)
        why = "choose the format: --csv";
    if (why != NULL) {
        fprintf(stderr, "repscope export: %s\n", why);
        return -1;
    }
    return 0;
}

/* ---- repscope compare ------------------------------------------------ */

static const char *const compare_by[] = {"auto", "run", "group", NULL};

static const struct sub_opt *
compare_opts(size_t *n)
{
#define T struct rs_cli_compare
    static const struct sub_opt opts[] = {
        ROW_CHOICE(T, "by", "run|group", by, compare_by,
                   "a line per run, or per group (mean, band)"),
        ROW_FLAG(T, "frame", 0, frame, "print the screen as text and exit"),
        ROW_SIZE(T, "size", frame_w, frame_h, "--frame size (default 100x30)"),
        ROW_FLAG(T, "color", 0, color, "--frame with ANSI colours"),
        ROW_FLAG(T, "ascii", 0, ascii, "ASCII glyphs only"),
        ROW_FLAG(T, "help", 'h', help, "print this help"),
    };
#undef T
    *n = RS_ARRAY_LEN(opts);
    return opts;
}

void
rs_cli_compare_usage(FILE *f)
{
    fprintf(f, "usage: repscope compare [options] RUNDIR RUNDIR...\n"
               "       repscope compare [options] SWEEPDIR\n\n"
               "Recorded runs side by side, finished or still running: "
               "each series overlaid\n(one colour per run, named by the "
               "params that differ), a table of final\nvalues, each run's "
               "matrices one beside the other. A sweep directory gives\n"
               "its points, grouped by param.\n\n");
    size_t n;
    const struct sub_opt *o = compare_opts(&n);
    sub_usage(f, o, n);
    fprintf(f, "\nSee repscope(1), COMPARE.\n");
}

static int
compare_word(void *ud, const char *w)
{
    struct rs_cli_compare *c = ud;
    if (c->ndirs >= RS_CLI_COMPARE_MAX) {
        fprintf(stderr, "repscope compare: more than %d run directories\n",
                RS_CLI_COMPARE_MAX);
        return -1;
    }
    c->dirs[c->ndirs++] = w;
    return 0;
}

int
rs_cli_parse_compare(int argc, char **argv, struct rs_cli_compare *c)
{
    *c = (struct rs_cli_compare){0};
    struct sub_cmd s = {.word = "compare", .word_fn = compare_word, .c = c};
    s.opts = compare_opts(&s.nopts);
    if (sub_parse(argc, argv, &s) < 0)
        return -1;
    if (c->help)
        return 0;
    if (c->ndirs == 0) {
        fprintf(stderr, "repscope compare: name the run directories (or a "
                        "sweep directory)\n");
        return -1;
    }
    if ((c->color || c->frame_w > 0) && !c->frame) {
        fprintf(stderr, "repscope compare: --size and --color go with "
                        "--frame\n");
        return -1;
    }
    return 0;
}
