/* repscope - MIT licence, see COPYING.
 *
 * main.c: the composition root, the only file that sees every layer. It
 * re-execs for faster BLAS kernels when the engine says so (reexec.c),
 * reads the command line (cli.c), finds the scene and the data directory,
 * builds the Lua scene driver (lua/) and the session (src/run), and runs
 * it in the terminal UI (ui/) when stdin and stdout are terminals, else
 * (or with --headless) headless; `repscope attach RUNDIR` shows a recorded
 * run through the same UI, and --frame prints one screen as text; the
 * sweep and export subcommands are in main_sweep.c. Exit
 * status: 0 success, 1 runtime failure, 2 usage or scene-loading error,
 * 128+signo when a signal stopped the run. SIGXFSZ is ignored: a file-size
 * limit is a write error like a full disk.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "core/base.h"
#include "core/cpu.h"
#include "lua/host.h"
#include "main_impl.h"
#include "reexec.h"
#include "run/attach.h"
#include "run/compare.h"
#include "run/headless.h"
#include "run/replay.h"
#include "run/session.h"
#include "ui/app.h"
#include "ui/keys.h"
#include "ui/loop.h"

#ifndef RS_SRCDIR_FALLBACK
#define RS_SRCDIR_FALLBACK ""
#endif

#define DEFAULT_SCENE RS_CLI_DEFAULT_SCENE

static bool
is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool
is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

void
rs_main_settle_datadir(void)
{
    const char *env = getenv("RS_DATADIR");
    if (env != NULL && env[0] != '\0')
        return;
    char probe[PATH_MAX];
    snprintf(probe, sizeof probe, "%s/lua/repscope", RS_PKGDATADIR);
    if (is_dir(probe)) {
        setenv("RS_DATADIR", RS_PKGDATADIR, 1);
        return;
    }
    snprintf(probe, sizeof probe, "%s/lua/repscope", RS_SRCDIR_FALLBACK);
    if (RS_SRCDIR_FALLBACK[0] != '\0' && is_dir(probe))
        setenv("RS_DATADIR", RS_SRCDIR_FALLBACK, 1);
}

static const char *
datadir(void)
{
    const char *d = getenv("RS_DATADIR");
    return d != NULL ? d : RS_PKGDATADIR;
}

char *
rs_main_resolve_scene(const char *arg)
{
    if (is_file(arg))
        return rs_xstrdup(arg);
    if (strchr(arg, '/') == NULL) {
        const char *ext = strstr(arg, ".lua") != NULL ? "" : ".lua";
        char *p = rs_xasprintf("%s/scenes/%s%s", datadir(), arg, ext);
        if (is_file(p))
            return p;
        free(p);
    }
    fprintf(stderr,
            "repscope: scene '%s' not found (not a file, and not in "
            "%s/scenes; try --list)\n",
            arg, datadir());
    return NULL;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
list_scenes(void)
{
    char *dir = rs_xasprintf("%s/scenes", datadir());
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "repscope: cannot read %s: %s\n", dir, strerror(errno));
        free(dir);
        return 2;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len > 4 && strcmp(e->d_name + len - 4, ".lua") == 0) {
            names = rs_xreallocarray(names, n + 1, sizeof *names);
            names[n++] = rs_xstrdup(e->d_name);
        }
    }
    closedir(d);
    if (n > 0)
        qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        char *path = rs_xasprintf("%s/%s", dir, names[i]);
        struct rs_lua_scene_info info;
        struct rs_error err = {0};
        names[i][strlen(names[i]) - 4] = '\0';
        if (rs_lua_scene_info(path, &info, &err) == RS_OK)
            printf("%-16s %s%s\n", names[i], info.title,
                   strcmp(names[i], DEFAULT_SCENE) == 0 ? " (default)" : "");
        else
            printf("%-16s (does not load: %s)\n", names[i], err.msg);
        free(path);
        free(names[i]);
    }
    free(names);
    free(dir);
    return 0;
}

/* ---- the terminal UI ------------------------------------------------ */

/* The UI when stdin and stdout are terminals of a known type, unless
 * --headless or --frame. */
static bool
use_tui(const struct rs_cli *c)
{
    if (c->headless || c->frame)
        return false;
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
        return false;
    const char *term = getenv("TERM");
    if (term == NULL || term[0] == '\0' || strcmp(term, "dumb") == 0) {
        fprintf(stderr, "repscope: TERM is %s: running headless\n",
                term == NULL || term[0] == '\0' ? "not set" : "dumb");
        return false;
    }
    return true;
}

/* --frame: the screen as text on stdout. 0, or 1 on a write error. */
static int
print_frame(const struct rs_cli *c, rs_bus *bus, const char *mode)
{
    struct rs_error err = {0};
    int w = c->frame_w > 0 ? c->frame_w : 100;
    int h = c->frame_h > 0 ? c->frame_h : 30;
    if (rs_app_frame(bus, mode, w, h, c->ascii,
                     c->color ? RS_COLOR_256 : RS_COLOR_MONO, stdout,
                     &err) != RS_OK) {
        fprintf(stderr, "repscope: --frame: %s\n", err.msg);
        return 1;
    }
    return 0;
}

static int
session_start(void *ud, struct rs_error *err)
{
    return rs_session_start(ud, err);
}

static void
session_interrupt(void *ud)
{
    rs_session_interrupt(ud);
}

static bool
session_ended(void *ud)
{
    return rs_session_ended(ud);
}

static int
attach_start(void *ud, struct rs_error *err)
{
    return rs_attach_start(ud, 0.1, err);
}

/* Train s under the terminal UI; returns the exit status. */
static int
run_tui(const struct rs_cli *c, rs_session *s)
{
    struct rs_error err = {0};
    rs_log_set_sink(rs_loop_log); /* before the worker starts */
    struct rs_loop_opts o = {
        .bus = rs_session_bus(s),
        .q = rs_session_cmdq(s),
        .ascii = c->ascii,
        .presenter = c->presenter,
        .mouse = true,
        .start = session_start,
        .interrupt = session_interrupt,
        .ended = session_ended,
        .ud = s,
    };
    int rc = rs_loop_run(&o, &err);
    if (rc < 0) {
        fprintf(stderr, "repscope: %s\n", err.msg);
        rc = rs_session_ended(s) ? 2 : 1;
    }
    struct rs_bus_status st;
    if (rs_session_ended(s)) {
        /* a normal quit: the worker wrote its checkpoint and ended */
        if (rs_session_join(s) == RS_SESSION_FAILED && rc == 0)
            rc = 1;
    } else {
        /* a second q or signal: stop it now (rs_session_free) */
        rs_session_interrupt(s);
    }
    rs_bus_status(rs_session_bus(s), &st);
    if (st.state == RS_SESSION_FAILED && st.message[0] != '\0')
        fprintf(stderr, "repscope: %s\n", st.message);
    if (rs_session_run_dir(s)[0] != '\0')
        fprintf(stderr, "repscope: step %ld, recorded in %s\n", st.step,
                rs_session_run_dir(s));
    return rc;
}

/* A resumed run goes on as it was planned: its recorded steps and
 * checkpoint interval, unless --steps or --checkpoint-every say else. */
static void
resume_plan(const struct rs_cli *c, long *steps, long *every)
{
    struct rs_error err = {0};
    rs_replay *r = rs_replay_read(c->resume, &err);
    if (r == NULL) {
        fprintf(stderr,
                "repscope: warning: %s; resuming with the scene's steps and "
                "no periodic checkpoints\n",
                err.msg);
        return;
    }
    if (c->steps <= 0 && rs_replay_steps(r) > 0)
        *steps = rs_replay_steps(r);
    if (c->checkpoint_every <= 0)
        *every = rs_replay_checkpoint_every(r);
    rs_replay_free(r);
}

static int
run_scene(const struct rs_cli *c, char **argv)
{
    struct rs_error err = {0};
    char *path = NULL, *resume_scene = NULL;
    if (c->resume != NULL) {
        resume_scene = rs_xasprintf("%s/scene.lua", c->resume);
        if (!is_file(resume_scene)) {
            fprintf(stderr,
                    "repscope: %s: not a run directory (no "
                    "scene.lua)\n",
                    c->resume);
            free(resume_scene);
            return 2;
        }
        path = resume_scene;
    } else {
        path =
            rs_main_resolve_scene(c->scene != NULL ? c->scene : DEFAULT_SCENE);
        if (path == NULL)
            return 2;
    }

    struct rs_lua_opts lo;
    rs_lua_opts_default(&lo);
    lo.safe = c->safe;
    lo.mem_limit = c->lua_mem;
    struct rs_session_driver drv;
    struct rs_lua_scene_info info;
    if (rs_lua_scene_driver(path, c->sets, c->nsets, &lo, &drv, &info, &err) !=
        RS_OK) {
        fprintf(stderr, "repscope: %s\n", err.msg);
        free(path);
        return 2;
    }
    bool tui = use_tui(c);
    long steps = c->steps > 0 ? c->steps : info.steps;
    long every = c->checkpoint_every;
    if (c->resume != NULL)
        resume_plan(c, &steps, &every);
    struct rs_session_config sc = {
        .scene_path = path,
        .scene_name = info.name,
        .steps = steps,
        .seed = c->seed >= 0 ? (unsigned long)c->seed : 1,
        .out_dir = c->resume != NULL ? c->resume : c->out_dir,
        .checkpoint_every = every,
        .threads = c->threads,
        .resume_dir = c->resume,
        .pause_on_nonfinite = tui,
        .linger = tui,
        .argv = argv,
    };
    rs_session *s = rs_session_new(&sc, &drv, &err);
    if (s == NULL) {
        fprintf(stderr, "repscope: %s\n", err.msg);
        free(path);
        return 2;
    }
    fprintf(stderr, "repscope: %s%s%s, recording in %s (kernels: %s)\n",
            info.name, info.title[0] ? ": " : "", info.title,
            rs_session_run_dir(s)[0] ? rs_session_run_dir(s) : "(nowhere)",
            rs_cpu_kernel_desc());
    int rc;
    if (tui) {
        rc = run_tui(c, s);
    } else {
        struct rs_headless_opts ho = {.tty = -1, .quiet = c->frame};
        rc = rs_headless_run(s, &ho);
        if (c->frame && print_frame(c, rs_session_bus(s), NULL) != 0 && rc == 0)
            rc = 1;
    }
    rs_session_free(s);
    free(path);
    return rc;
}

/* ---- recorded runs: attach, a sweep's grid, compare ------------------ */

/* A read-only view of recorded runs on a bus: how to read them all at
 * once (for --frame), an optional check of what was read, and how to
 * start re-reading them live for the UI. */
struct recorded {
    const char *cmd;  /* "attach", "compare": the messages' prefix */
    const char *what; /* "the run as it stands", ... */
    rs_bus *bus;
    int (*read_all)(void *ud, struct rs_error *err);
    int (*check)(void *ud, struct rs_error *err); /* may be NULL */
    int (*start)(void *ud, struct rs_error *err);
    void *ud;
};

/* One frame printed (--frame, or not a terminal) or the UI until q.
 * Returns the exit status: 1 when the logs cannot be read, 2 when the
 * check refuses them or the UI cannot start. */
static int
show_recorded(const struct rs_cli *c, const struct recorded *r)
{
    struct rs_error err = {0};
    if (c->frame || !use_tui(c)) {
        if (!c->frame)
            fprintf(stderr,
                    "repscope: %s: not a terminal; printing %s "
                    "(--frame)\n",
                    r->cmd, r->what);
        if (r->read_all(r->ud, &err) != RS_OK) {
            fprintf(stderr, "repscope: %s: %s\n", r->cmd, err.msg);
            return 1;
        }
        if (r->check != NULL && r->check(r->ud, &err) != RS_OK) {
            fprintf(stderr, "repscope: %s: %s\n", r->cmd, err.msg);
            return 2;
        }
        return print_frame(c, r->bus, r->cmd);
    }
    struct rs_loop_opts o = {
        .bus = r->bus,
        .mode = r->cmd,
        .ascii = c->ascii,
        .presenter = c->presenter,
        .mouse = true,
        .start = r->start,
        .ud = r->ud,
    };
    int rc = rs_loop_run(&o, &err);
    if (rc < 0) {
        fprintf(stderr, "repscope: %s\n", err.msg);
        rc = 2;
    }
    return rc;
}

static int
attach_read_all(void *ud, struct rs_error *err)
{
    return rs_attach_read_all(ud, err);
}

static int
compare_read_all(void *ud, struct rs_error *err)
{
    return rs_compare_read_all(ud, err);
}

static int
grid_check(void *ud, struct rs_error *err)
{
    return rs_compare_grid_check(ud, err);
}

static int
compare_start(void *ud, struct rs_error *err)
{
    return rs_compare_start(ud, 0.2, err);
}

/* `repscope attach RUNDIR`, or of a sweep directory the grid of its runs
 * (small multiples of one series, run/compare.h). Returns the exit
 * status (2: the run or sweep cannot be read, or the series is none of
 * the sweep's runs'). */
static int
run_attach(const struct rs_cli *c)
{
    char *manifest = rs_xasprintf("%s/sweep.json", c->attach_dir);
    bool sweep = access(manifest, F_OK) == 0;
    free(manifest);
    struct rs_error err = {0};
    if (sweep || c->series != NULL) {
        rs_compare *g = rs_compare_new_grid(c->attach_dir, c->series, &err);
        if (g == NULL) {
            fprintf(stderr, "repscope: attach: %s\n", err.msg);
            return 2;
        }
        struct recorded r = {"attach",
                             "the sweep as it stands",
                             rs_compare_bus(g),
                             compare_read_all,
                             grid_check,
                             compare_start,
                             g};
        int rc = show_recorded(c, &r);
        rs_compare_free(g);
        return rc;
    }
    rs_attach *a = rs_attach_new(c->attach_dir, &err);
    if (a == NULL) {
        fprintf(stderr, "repscope: attach: %s\n", err.msg);
        return 2;
    }
    struct recorded r = {"attach",
                         "the run as it stands",
                         rs_attach_bus(a),
                         attach_read_all,
                         NULL,
                         attach_start,
                         a};
    int rc = show_recorded(c, &r);
    rs_attach_free(a);
    return rc;
}

/* `repscope compare RUNDIR... | SWEEPDIR`: the runs side by side in the
 * read-only UI (as attach), or --frame. Returns the exit status (2: the
 * runs cannot be read). */
static int
run_compare(int argc, char **argv)
{
    struct rs_cli_compare cc;
    if (rs_cli_parse_compare(argc, argv, &cc) < 0)
        return 2;
    if (cc.help) {
        rs_cli_compare_usage(stdout);
        return 0;
    }
    struct rs_error err = {0};
    rs_compare *cmp =
        rs_compare_new(cc.dirs, cc.ndirs, (enum rs_compare_by)cc.by, &err);
    if (cmp == NULL) {
        fprintf(stderr, "repscope: compare: %s\n", err.msg);
        return 2;
    }
    struct rs_cli c = {.frame = cc.frame,
                       .color = cc.color,
                       .ascii = cc.ascii,
                       .frame_w = cc.frame_w,
                       .frame_h = cc.frame_h};
    struct recorded r = {"compare",
                         "the runs as they stand",
                         rs_compare_bus(cmp),
                         compare_read_all,
                         NULL,
                         compare_start,
                         cmp};
    int rc = show_recorded(&c, &r);
    rs_compare_free(cmp);
    return rc;
}

/* ---- replay (`repscope replay RUNDIR`) ------------------------------ */

/* Run the recorded scene again (its scene.lua, params, seed, steps and
 * threads) into --out or RUNDIR.replay[-N], the worker applying every
 * recorded action at its step; in the UI unless --headless. Returns the
 * exit status (2: the run cannot be read or its scene does not load). */
static int
run_replay(const struct rs_cli *c, char **argv)
{
    struct rs_error err = {0};
    rs_replay *r = rs_replay_read(c->replay_dir, &err);
    if (r == NULL) {
        fprintf(stderr, "repscope: replay: %s\n", err.msg);
        return 2;
    }
    struct rs_lua_opts lo;
    rs_lua_opts_default(&lo);
    lo.safe = c->safe;
    lo.mem_limit = c->lua_mem;
    struct rs_session_driver drv;
    struct rs_lua_scene_info info;
    int nsets = 0;
    const char *const *sets = rs_replay_sets(r, &nsets);
    if (rs_lua_scene_driver(rs_replay_scene_path(r), sets, nsets, &lo, &drv,
                            &info, &err) != RS_OK) {
        fprintf(stderr,
                "repscope: replay: the recorded scene does not load: "
                "%s\n",
                err.msg);
        rs_replay_free(r);
        return 2;
    }
    bool tui = use_tui(c);
    char *out = c->out_dir != NULL ? rs_xstrdup(c->out_dir)
                                   : rs_replay_new_dir(r, &err);
    rs_session *s = NULL;
    if (out != NULL) {
        struct rs_session_config sc = {
            .scene_path = rs_replay_scene_path(r),
            .scene_name = rs_replay_scene_name(r),
            .steps = rs_replay_steps(r),
            .seed = rs_replay_seed(r),
            .out_dir = out,
            .checkpoint_every = rs_replay_checkpoint_every(r),
            .threads = rs_replay_threads(r),
            .pause_on_nonfinite = tui || rs_replay_pause_on_nonfinite(r),
            .linger = tui,
            .argv = argv,
        };
        s = rs_session_new(&sc, &drv, &err);
    } else if (drv.free != NULL) {
        drv.free(drv.ud);
    }
    if (s == NULL) {
        fprintf(stderr, "repscope: replay: %s\n", err.msg);
        free(out);
        rs_replay_free(r);
        return 2;
    }
    rs_replay_arm(r, s, !tui);
    fprintf(stderr, "repscope: replaying %s (%d actions) into %s\n",
            rs_replay_dir(r), rs_replay_count(r), rs_session_run_dir(s));
    if (rs_replay_note(r)[0] != '\0')
        fprintf(stderr, "repscope: replay: %s\n", rs_replay_note(r));
    if (rs_replay_kernel(r)[0] != '\0' &&
        strcmp(rs_replay_kernel(r), rs_cpu_kernel_desc()) != 0)
        fprintf(stderr,
                "repscope: replay: warning: recorded with kernels %s, "
                "replayed with %s: results may differ in the last bits\n",
                rs_replay_kernel(r), rs_cpu_kernel_desc());
    int rc;
    if (tui) {
        rc = run_tui(c, s);
    } else {
        struct rs_headless_opts ho = {.tty = -1, .quiet = c->frame};
        rc = rs_headless_run(s, &ho);
        if (c->frame && print_frame(c, rs_session_bus(s), NULL) != 0 && rc == 0)
            rc = 1;
    }
    rs_session_free(s);
    free(out);
    rs_replay_free(r);
    return rc;
}

int
main(int argc, char **argv)
{
    struct rs_error err = {0};
    /* A file-size limit (ulimit -f) must be a write error that names the
     * file and pauses or stops the run (run/session_rec.c), not a core
     * dump by SIGXFSZ: write(2) then fails with EFBIG. */
    signal(SIGXFSZ, SIG_IGN);
    /* First: may replace this process with one using faster kernels. */
    if (rs_reexec_for_blas(argv, &err) != RS_OK)
        fprintf(stderr, "repscope: warning: %s\n", err.msg);
    if (argc > 1 && strcmp(argv[1], "sweep") == 0)
        return rs_main_sweep(argc, argv);
    if (argc > 1 && strcmp(argv[1], "export") == 0)
        return rs_main_export(argc, argv);
    if (argc > 1 && strcmp(argv[1], "compare") == 0)
        return run_compare(argc, argv);
    struct rs_cli c;
    if (rs_cli_parse(argc, argv, &c) < 0)
        return 2;
    if (c.help) {
        rs_cli_usage(stdout);
        return 0;
    }
    if (c.version) {
        printf("%s\n", PACKAGE_STRING);
        return 0;
    }
    rs_main_settle_datadir();
    if (c.test != NULL) {
        struct rs_lua_opts lo;
        rs_lua_opts_default(&lo);
        lo.safe = c.safe;
        lo.mem_limit = c.lua_mem;
        return rs_lua_run_test(c.test, &lo);
    }
    if (c.list)
        return list_scenes();
    if (c.list_keys)
        return rs_keys_list(stdout) == 0 ? 0 : 1;
    if (c.attach)
        return run_attach(&c);
    if (c.replay) {
        int rc = run_replay(&c, argv);
        rs_log_set_sink(NULL);
        rs_loop_log_drain(stderr);
        return rc;
    }
    int rc = run_scene(&c, argv);
    rs_log_set_sink(NULL);
    rs_loop_log_drain(stderr); /* what was logged as the UI closed */
    return rc;
}
