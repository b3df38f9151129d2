/* repscope - MIT licence, see COPYING.
 *
 * cli.c: the command line. cli_opts[] is the one list of options: each
 * row has the long name, the short one (0: none), the value's name (a row
 * with one takes a value, as --opt VALUE or --opt=VALUE; NULL: a flag),
 * what parsing it does, and its line of --help. rs_cli_parse builds
 * getopt_long's tables from the rows and rs_cli_usage prints them, so no
 * option is parsed without being listed or listed without being parsed.
 * Long options are taken as spelled in the table only (no abbreviations:
 * a new option must not change what an old command line means). The
 * words that are not options are, in order, the subcommand `attach` and
 * its RUNDIR, `replay` and its RUNDIR, or the SCENE. Every message names
 * the option and the bad value. The subcommands with options of their
 * own (sweep, export, compare) are parsed in cli_sub.c. Main thread only
 * (getopt's globals).
 */
#include "config.h"

#include "cli.h"
#include "cli_impl.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"

enum cli_id {
    OPT_HEADLESS,
    OPT_FRAME,
    OPT_SIZE,
    OPT_COLOR,
    OPT_ASCII,
    OPT_PRESENTER,
    OPT_STEPS,
    OPT_SEED,
    OPT_SET,
    OPT_OUT,
    OPT_CHECKPOINT_EVERY,
    OPT_THREADS,
    OPT_RESUME,
    OPT_SAFE,
    OPT_LUA_MEM,
    OPT_LIST,
    OPT_LIST_KEYS,
    OPT_TEST,
    OPT_HELP,
    OPT_VERSION,
    OPT_SERIES,
};

struct cli_opt {
    const char *name; /* long name, without "--" */
    char short_name;  /* 0: none */
    const char *arg;  /* the value's name; NULL: takes no value */
    enum cli_id id;
    const char *help;
};

/* In --help order. tests/sh/t_cli.sh reads the rows' first three fields
 * from this file: keep one row per line, starting {"name", */
static const struct cli_opt cli_opts[] = {
    {"headless", 0, NULL, OPT_HEADLESS, "train without the terminal UI"},
    {"frame", 0, NULL, OPT_FRAME, "print the screen as text after the run"},
    {"size", 0, "WxH", OPT_SIZE, "--frame size (default 100x30)"},
    {"color", 0, NULL, OPT_COLOR, "--frame with ANSI colours"},
    {"ascii", 0, NULL, OPT_ASCII, "ASCII glyphs only"},
    {"presenter", 0, NULL, OPT_PRESENTER,
     "start in presenter mode (no key bar; P toggles)"},
    {"steps", 0, "N", OPT_STEPS, "stop after N steps"},
    {"seed", 0, "S", OPT_SEED, "seed every random choice"},
    {"set", 0, "KEY=VALUE", OPT_SET, "override a scene parameter (repeatable)"},
    {"out", 0, "DIR", OPT_OUT, "record the run in DIR"},
    {"checkpoint-every", 0, "N", OPT_CHECKPOINT_EVERY,
     "also checkpoint every N steps"},
    {"threads", 0, "T", OPT_THREADS, "BLAS threads (default 1)"},
    {"resume", 0, "RUNDIR", OPT_RESUME, "continue a recorded run"},
    {"safe", 0, NULL, OPT_SAFE, "restricted Lua for untrusted scenes"},
    {"lua-mem", 0, "SIZE", OPT_LUA_MEM,
     "cap the scene's memory (512M, 4G; none: no cap)"},
    {"list", 0, NULL, OPT_LIST, "list the shipped scenes"},
    {"list-keys", 0, NULL, OPT_LIST_KEYS, "list the keys of the terminal UI"},
    {"test", 0, "FILE", OPT_TEST, "run a Lua test file (TAP)"},
    {"help", 'h', NULL, OPT_HELP, "print this help"},
    {"version", 'V', NULL, OPT_VERSION, "print the version"},
    {"series", 0, "NAME", OPT_SERIES, "attach SWEEPDIR: the grid's series"},
};

#define NOPTS RS_ARRAY_LEN(cli_opts)

void
rs_cli_usage(FILE *f)
{
    fprintf(f,
            "usage: repscope [options] [SCENE]\n"
            "       repscope --headless [options] SCENE\n"
            "       repscope --resume RUNDIR [options]\n"
            "       repscope attach [--frame] RUNDIR\n"
            "       repscope sweep SCENE [--set KEY=V1,V2] --out DIR [...] "
            "(sweep --help)\n"
            "       repscope export RUNDIR [options] (export --help)\n"
            "       repscope compare RUNDIR... | SWEEPDIR (compare --help)\n"
            "       repscope replay [--headless] [--out DIR] RUNDIR\n"
            "       repscope --list | --list-keys | --test FILE | --help | "
            "--version\n"
            "\n"
            "SCENE is a Lua scene file or the name of a shipped scene "
            "(--list);\nwithout one the default scene (%s) runs, in the "
            "terminal UI when\nstdin and stdout are terminals.\n"
            "\n",
            RS_CLI_DEFAULT_SCENE);
    char left[NOPTS][40];
    int width = 0;
    for (size_t i = 0; i < NOPTS; i++) {
        const struct cli_opt *o = &cli_opts[i];
        char sh[5] = "";
        if (o->short_name != 0)
            snprintf(sh, sizeof sh, "-%c, ", o->short_name);
        int n = snprintf(left[i], sizeof left[i], "%s--%s%s%s", sh, o->name,
                         o->arg != NULL ? " " : "",
                         o->arg != NULL ? o->arg : "");
        RS_ASSERT(n > 0 && (size_t)n < sizeof left[i]);
        if (n > width)
            width = n;
    }
    for (size_t i = 0; i < NOPTS; i++)
        fprintf(f, "  %-*s%s\n", width + 3, left[i], cli_opts[i].help);
    fprintf(f, "\nSee repscope(1) and repscope-lua(7).\n");
}

int
rs_cli_parse_long(const char *opt, const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr,
                "repscope: %s: '%s' is not a whole number in %ld..%ld\n",
                opt, s, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

/* SIZE: a whole number of bytes with an optional K, M, G or T (powers
 * of 1024), at least 1M, or "none" (SIZE_MAX). 0, or -1 after a message
 * naming opt. */
static int
parse_size(const char *opt, const char *s, size_t *out)
{
    if (strcmp(s, "none") == 0) {
        *out = SIZE_MAX;
        return 0;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    int shift = 0;
    if (end != s && *end != '\0' && end[1] == '\0') {
        const char *units = "KMGT", *u = strchr(units, *end);
        if (u != NULL) {
            shift = 10 * (int)(u - units + 1);
            end++;
        }
    }
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-' ||
        v > (SIZE_MAX >> shift) - 1 || (v << shift) < ((size_t)1 << 20)) {
        fprintf(stderr,
                "repscope: %s: '%s' is not a size of at least 1M (a number "
                "with K, M, G or T, or none)\n",
                opt, s);
        return -1;
    }
    *out = (size_t)(v << shift);
    return 0;
}

/* `replay RUNDIR`: 1 when a was taken as the subcommand or its RUNDIR,
 * 0 when it is another word, -1 after a message. */
static int
cli_word_replay(struct rs_cli *c, const char *a)
{
    if (c->scene == NULL && !c->attach && !c->replay &&
        strcmp(a, "replay") == 0) {
        c->replay = true;
        return 1;
    }
    if (!c->replay)
        return 0;
    if (c->replay_dir != NULL) {
        fprintf(stderr, "repscope: replay takes one run directory\n");
        return -1;
    }
    c->replay_dir = a;
    return 1;
}

/* What replay refuses: it takes the scene, params, seed, steps and
 * threads from the run. 0, or -1 after a message. */
static int
cli_check_replay(const struct rs_cli *c)
{
    if (!c->replay)
        return 0;
    if (c->replay_dir == NULL || c->nsets > 0 || c->resume != NULL ||
        c->steps > 0 || c->seed >= 0 || c->test != NULL) {
        fprintf(stderr, "repscope: replay RUNDIR re-runs a recorded run: %s\n",
                c->replay_dir == NULL ? "name the run directory"
                                      : "it takes the scene, --set, --seed "
                                        "and --steps from the run");
        return -1;
    }
    return 0;
}

/* A word that is not an option: attach, its RUNDIR, or the SCENE. */
static int
cli_word(struct rs_cli *c, const char *a)
{
    int r = cli_word_replay(c, a);
    if (r != 0)
        return r < 0 ? -1 : 0;
    if (c->scene == NULL && !c->attach && strcmp(a, "attach") == 0) {
        c->attach = true;
        return 0;
    }
    if (c->attach) {
        if (c->attach_dir != NULL) {
            fprintf(stderr, "repscope: attach takes one run directory\n");
            return -1;
        }
        c->attach_dir = a;
        return 0;
    }
    if (c->scene != NULL) {
        fprintf(stderr, "repscope: more than one scene: '%s' and '%s'\n",
                c->scene, a);
        return -1;
    }
    c->scene = a;
    return 0;
}

/* Apply option o with its value val (NULL for a flag). */
static int
cli_apply(struct rs_cli *c, const struct cli_opt *o, const char *val)
{
    char opt[40];
    snprintf(opt, sizeof opt, "--%s", o->name);
    long v;
    switch (o->id) {
    case OPT_HEADLESS:
        c->headless = true;
        break;
    case OPT_FRAME:
        c->frame = true;
        break;
    case OPT_COLOR:
        c->color = true;
        break;
    case OPT_ASCII:
        c->ascii = true;
        break;
    case OPT_PRESENTER:
        c->presenter = true;
        break;
    case OPT_SAFE:
        c->safe = true;
        break;
    case OPT_LUA_MEM:
        if (parse_size(opt, val, &c->lua_mem) < 0)
            return -1;
        break;
    case OPT_LIST:
        c->list = true;
        break;
    case OPT_LIST_KEYS:
        c->list_keys = true;
        break;
    case OPT_HELP:
        c->help = true;
        break;
    case OPT_VERSION:
        c->version = true;
        break;
    case OPT_STEPS:
        if (rs_cli_parse_long(opt, val, 1, LONG_MAX / 2, &v) < 0)
            return -1;
        c->steps = v;
        break;
    case OPT_SEED:
        if (rs_cli_parse_long(opt, val, 0, 4294967295L, &v) < 0)
            return -1;
        c->seed = v;
        break;
    case OPT_THREADS:
        if (rs_cli_parse_long(opt, val, 1, 64, &v) < 0)
            return -1;
        c->threads = (int)v;
        break;
    case OPT_CHECKPOINT_EVERY:
        if (rs_cli_parse_long(opt, val, 0, LONG_MAX / 2, &v) < 0)
            return -1;
        c->checkpoint_every = v;
        break;
    case OPT_SET:
        if (strchr(val, '=') == NULL || val[0] == '=') {
            fprintf(stderr, "repscope: --set '%s': expected KEY=VALUE\n",
                    val);
            return -1;
        }
        if (c->nsets == RS_CLI_MAX_SETS) {
            fprintf(stderr, "repscope: more than %d --set options\n",
                    RS_CLI_MAX_SETS);
            return -1;
        }
        c->sets[c->nsets++] = val;
        break;
    case OPT_OUT:
        c->out_dir = val;
        break;
    case OPT_RESUME:
        c->resume = val;
        break;
    case OPT_TEST:
        c->test = val;
        break;
    case OPT_SERIES:
        c->series = val;
        break;
    case OPT_SIZE: {
        int w = 0, h = 0;
        char x = 0, extra = 0;
        if (sscanf(val, "%d%c%d%c", &w, &x, &h, &extra) != 3 ||
            (x != 'x' && x != 'X') || w < 1 || h < 1 || w > 1000 ||
            h > 1000) {
            fprintf(stderr, "repscope: --size '%s': expected WxH, "
                            "e.g. 100x30\n",
                    val);
            return -1;
        }
        c->frame_w = w;
        c->frame_h = h;
        break;
    }
    }
    return 0;
}

size_t
rs_cli_long_name_len(const char *a)
{
    return strcspn(a + 2, "=");
}

/* getopt_long refused argv[optind - 1] (code '?' or ':'): say why. */
static void
cli_refused(char **argv, int code)
{
    const char *a = argv[optind - 1];
    if (optopt >= ROW_CODE) {
        const char *name = cli_opts[optopt - ROW_CODE].name;
        if (code == ':')
            fprintf(stderr, "repscope: --%s needs a value (try --help)\n",
                    name);
        else
            fprintf(stderr, "repscope: --%s takes no value (try --help)\n",
                    name);
    } else if (optopt != 0) {
        /* a short option; optind may still point into its cluster */
        fprintf(stderr, "repscope: unknown option '-%c' (try --help)\n",
                optopt);
    } else {
        fprintf(stderr, "repscope: unknown option '%.*s' (try --help)\n",
                (int)(2 + rs_cli_long_name_len(a)), a);
    }
}

int
rs_cli_parse(int argc, char **argv, struct rs_cli *c)
{
    *c = (struct rs_cli){.steps = -1, .seed = -1, .threads = 1};
    struct option longopts[NOPTS + 1];
    /* '-': words come back in order as code 1, argv stays as it is;
     * ':': a missing value is ':', not '?' */
    char shortopts[2 + 2 * NOPTS + 1] = "-:";
    size_t k = 2;
    for (size_t i = 0; i < NOPTS; i++) {
        const struct cli_opt *o = &cli_opts[i];
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
    longopts[NOPTS] = (struct option){0};

    opterr = 0;
    int code;
    while ((code = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        if (code == 1) {
            if (cli_word(c, optarg) < 0)
                return -1;
            continue;
        }
        if (code == '?' || code == ':') {
            cli_refused(argv, code);
            return -1;
        }
        const struct cli_opt *o = NULL;
        if (code >= ROW_CODE) {
            o = &cli_opts[code - ROW_CODE];
            /* the word it came from: before its value if that was
             * separate; getopt_long took any unique prefix */
            const char *a = o->arg != NULL && optarg == argv[optind - 1]
                                ? argv[optind - 2]
                                : argv[optind - 1];
            if (rs_cli_long_name_len(a) != strlen(o->name)) {
                fprintf(stderr,
                        "repscope: unknown option '%.*s' (did you mean "
                        "--%s?)\n",
                        (int)(2 + rs_cli_long_name_len(a)), a, o->name);
                return -1;
            }
        } else {
            for (size_t i = 0; i < NOPTS && o == NULL; i++)
                if (cli_opts[i].short_name == code)
                    o = &cli_opts[i];
            RS_ASSERT(o != NULL);
        }
        if (cli_apply(c, o, optarg) < 0)
            return -1;
    }
    /* after "--", every word is a word */
    for (; optind < argc; optind++)
        if (cli_word(c, argv[optind]) < 0)
            return -1;

    if (c->attach && (c->attach_dir == NULL || c->scene != NULL ||
                      c->nsets > 0 || c->resume != NULL || c->steps > 0)) {
        fprintf(stderr, "repscope: attach RUNDIR reads a recorded run: %s\n",
                c->attach_dir == NULL ? "name the run directory"
                                      : "no scene, --set, --steps or "
                                        "--resume");
        return -1;
    }
    if (c->series != NULL && !c->attach && !c->help) {
        fprintf(stderr, "repscope: --series '%s' goes with attach SWEEPDIR\n",
                c->series);
        return -1;
    }
    if (cli_check_replay(c) < 0)
        return -1;
    if (c->resume != NULL && (c->scene != NULL || c->nsets > 0)) {
        fprintf(stderr, "repscope: --resume takes the scene and parameters "
                        "from the run; drop SCENE and --set\n");
        return -1;
    }
    return 0;
}
