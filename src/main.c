/* repscope - MIT licence, see COPYING.
 *
 * main.c: the composition root, the only file that sees every layer. It
 * parses the command line, finds the scene and the data directory, builds
 * the Lua scene driver (lua/) and the session (src/run), and runs it in
 * the terminal UI (ui/) when stdin and stdout are terminals, else (or with
 * --headless) headless; `repscope attach RUNDIR` shows a recorded run
 * through the same UI, and --frame prints one screen as text. Exit
 * status: 0 success, 1 runtime failure, 2 usage or scene-loading error,
 * 128+signo when a signal stopped the run.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base.h"
#include "core/blas.h"
#include "core/cpu.h"
#include "lua/host.h"
#include "run/attach.h"
#include "run/headless.h"
#include "run/session.h"
#include "ui/app.h"
#include "ui/keys.h"
#include "ui/loop.h"

#ifndef RS_SRCDIR_FALLBACK
#define RS_SRCDIR_FALLBACK ""
#endif

#define DEFAULT_SCENE "grokking"
#define MAX_SETS 64

struct cli {
    const char *scene;   /* name or path; NULL: the default */
    const char *out_dir; /* --out */
    const char *resume;  /* --resume DIR */
    const char *test;    /* --test FILE */
    const char *sets[MAX_SETS];
    int nsets;
    long steps;          /* -1: the scene's */
    long seed;           /* -1: the scene's / 1 */
    long checkpoint_every;
    int threads;
    bool headless, safe, list, help, version;
    bool attach;           /* `repscope attach RUNDIR` */
    const char *attach_dir;
    bool frame, color, ascii, list_keys;
    int frame_w, frame_h;  /* --size */
};

static void
usage(FILE *f)
{
    fprintf(f,
            "usage: repscope [options] [SCENE]\n"
            "       repscope --headless [options] SCENE\n"
            "       repscope --resume RUNDIR [options]\n"
            "       repscope attach [--frame] RUNDIR\n"
            "       repscope --list | --list-keys | --test FILE | --help | "
            "--version\n"
            "\n"
            "SCENE is a Lua scene file or the name of a shipped scene "
            "(--list);\nwithout one the default scene (%s) runs, in the "
            "terminal UI when\nstdin and stdout are terminals.\n"
            "\n"
            "  --headless             train without the terminal UI\n"
            "  --frame                print the screen as text after the "
            "run\n"
            "  --size WxH             --frame size (default 100x30)\n"
            "  --color                --frame with ANSI colours\n"
            "  --ascii                ASCII glyphs only\n"
            "  --steps N              stop after N steps\n"
            "  --seed S               seed every random choice\n"
            "  --set KEY=VALUE        override a scene parameter "
            "(repeatable)\n"
            "  --out DIR              record the run in DIR\n"
            "  --checkpoint-every N   also checkpoint every N steps\n"
            "  --threads T            BLAS threads (default 1)\n"
            "  --resume RUNDIR        continue a recorded run\n"
            "  --safe                 restricted Lua for untrusted scenes\n"
            "  --list                 list the shipped scenes\n"
            "  --list-keys            list the keys of the terminal UI\n"
            "  --test FILE            run a Lua test file (TAP)\n"
            "\n"
            "See repscope(1) and repscope-lua(7).\n",
            DEFAULT_SCENE);
}

static int
parse_long(const char *opt, const char *s, long lo, long hi, long *out)
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

/* 0 ok, -1 usage error (message printed). */
static int
parse_cli(int argc, char **argv, struct cli *c)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || strcmp(a, "-") == 0) {
            if (c->scene == NULL && !c->attach && strcmp(a, "attach") == 0) {
                c->attach = true;
                continue;
            }
            if (c->attach) {
                if (c->attach_dir != NULL) {
                    fprintf(stderr, "repscope: attach takes one run "
                                    "directory\n");
                    return -1;
                }
                c->attach_dir = a;
                continue;
            }
            if (c->scene != NULL) {
                fprintf(stderr, "repscope: more than one scene: '%s' and "
                                "'%s'\n",
                        c->scene, a);
                return -1;
            }
            c->scene = a;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            c->help = true;
            continue;
        }
        if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
            c->version = true;
            continue;
        }
        if (strcmp(a, "--headless") == 0) {
            c->headless = true;
            continue;
        }
        if (strcmp(a, "--safe") == 0) {
            c->safe = true;
            continue;
        }
        if (strcmp(a, "--list") == 0) {
            c->list = true;
            continue;
        }
        if (strcmp(a, "--list-keys") == 0) {
            c->list_keys = true;
            continue;
        }
        if (strcmp(a, "--frame") == 0) {
            c->frame = true;
            continue;
        }
        if (strcmp(a, "--color") == 0) {
            c->color = true;
            continue;
        }
        if (strcmp(a, "--ascii") == 0) {
            c->ascii = true;
            continue;
        }
        /* Options with a value: --opt VALUE or --opt=VALUE. */
        const char *eq = strchr(a, '=');
        char name[32];
        const char *val;
        if (eq != NULL && (size_t)(eq - a) < sizeof name) {
            memcpy(name, a, (size_t)(eq - a));
            name[eq - a] = '\0';
            val = eq + 1;
        } else {
            snprintf(name, sizeof name, "%s", a);
            if (i + 1 >= argc) {
                fprintf(stderr, "repscope: %s needs a value (try --help)\n",
                        a);
                return -1;
            }
            val = argv[++i];
        }
        long v;
        if (strcmp(name, "--steps") == 0) {
            if (parse_long(name, val, 1, LONG_MAX / 2, &v) < 0)
                return -1;
            c->steps = v;
        } else if (strcmp(name, "--seed") == 0) {
            if (parse_long(name, val, 0, 4294967295L, &v) < 0)
                return -1;
            c->seed = v;
        } else if (strcmp(name, "--threads") == 0) {
            if (parse_long(name, val, 1, 64, &v) < 0)
                return -1;
            c->threads = (int)v;
        } else if (strcmp(name, "--checkpoint-every") == 0) {
            if (parse_long(name, val, 0, LONG_MAX / 2, &v) < 0)
                return -1;
            c->checkpoint_every = v;
        } else if (strcmp(name, "--set") == 0) {
            if (strchr(val, '=') == NULL || val[0] == '=') {
                fprintf(stderr, "repscope: --set '%s': expected KEY=VALUE\n",
                        val);
                return -1;
            }
            if (c->nsets == MAX_SETS) {
                fprintf(stderr, "repscope: more than %d --set options\n",
                        MAX_SETS);
                return -1;
            }
            c->sets[c->nsets++] = val;
        } else if (strcmp(name, "--out") == 0) {
            c->out_dir = val;
        } else if (strcmp(name, "--resume") == 0) {
            c->resume = val;
        } else if (strcmp(name, "--test") == 0) {
            c->test = val;
        } else if (strcmp(name, "--size") == 0) {
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
        } else {
            fprintf(stderr, "repscope: unknown option '%s' (try --help)\n",
                    name);
            return -1;
        }
    }
    if (c->attach && (c->attach_dir == NULL || c->scene != NULL ||
                      c->nsets > 0 || c->resume != NULL || c->steps > 0)) {
        fprintf(stderr, "repscope: attach RUNDIR reads a recorded run: %s\n",
                c->attach_dir == NULL ? "name the run directory"
                                      : "no scene, --set, --steps or "
                                        "--resume");
        return -1;
    }
    if (c->resume != NULL && (c->scene != NULL || c->nsets > 0)) {
        fprintf(stderr, "repscope: --resume takes the scene and parameters "
                        "from the run; drop SCENE and --set\n");
        return -1;
    }
    return 0;
}

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

/* RS_DATADIR tells the Lua host and the scene lookup where lua/ and
 * scenes/ live: the user's value, else the installed data directory, else
 * the source tree this binary was built from (so an uninstalled build,
 * ./quickstart.sh's, just works). */
static void
settle_datadir(void)
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

/* A scene argument is a file path, or a shipped scene's name. Returns a
 * new string, or NULL after printing what was tried. */
static char *
resolve_scene(const char *arg)
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
        fprintf(stderr, "repscope: cannot read %s: %s\n", dir,
                strerror(errno));
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
use_tui(const struct cli *c)
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
print_frame(const struct cli *c, rs_bus *bus, const char *mode)
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
run_tui(const struct cli *c, rs_session *s)
{
    struct rs_error err = {0};
    rs_log_set_sink(rs_loop_log); /* before the worker starts */
    struct rs_loop_opts o = {
        .bus = rs_session_bus(s),
        .q = rs_session_cmdq(s),
        .ascii = c->ascii,
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

static int
run_scene(const struct cli *c, char **argv)
{
    struct rs_error err = {0};
    char *path = NULL, *resume_scene = NULL;
    if (c->resume != NULL) {
        resume_scene = rs_xasprintf("%s/scene.lua", c->resume);
        if (!is_file(resume_scene)) {
            fprintf(stderr, "repscope: %s: not a run directory (no "
                            "scene.lua)\n",
                    c->resume);
            free(resume_scene);
            return 2;
        }
        path = resume_scene;
    } else {
        path = resolve_scene(c->scene != NULL ? c->scene : DEFAULT_SCENE);
        if (path == NULL)
            return 2;
    }

    struct rs_lua_opts lo;
    rs_lua_opts_default(&lo);
    lo.safe = c->safe;
    struct rs_session_driver drv;
    struct rs_lua_scene_info info;
    if (rs_lua_scene_driver(path, c->sets, c->nsets, &lo, &drv, &info,
                            &err) != RS_OK) {
        fprintf(stderr, "repscope: %s\n", err.msg);
        free(path);
        return 2;
    }
    bool tui = use_tui(c);
    struct rs_session_config sc = {
        .scene_path = path,
        .scene_name = info.name,
        .steps = c->steps > 0 ? c->steps : info.steps,
        .seed = c->seed >= 0 ? (unsigned long)c->seed : 1,
        .out_dir = c->resume != NULL ? c->resume : c->out_dir,
        .checkpoint_every = c->checkpoint_every,
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
        if (c->frame && print_frame(c, rs_session_bus(s), NULL) != 0 &&
            rc == 0)
            rc = 1;
    }
    rs_session_free(s);
    free(path);
    return rc;
}

static int
run_attach(const struct cli *c)
{
    struct rs_error err = {0};
    rs_attach *a = rs_attach_new(c->attach_dir, &err);
    if (a == NULL) {
        fprintf(stderr, "repscope: attach: %s\n", err.msg);
        return 2;
    }
    int rc = 0;
    if (c->frame || !use_tui(c)) {
        if (!c->frame)
            fprintf(stderr, "repscope: attach: not a terminal; printing "
                            "the run as it stands (--frame)\n");
        if (rs_attach_read_all(a, &err) != RS_OK) {
            fprintf(stderr, "repscope: attach: %s\n", err.msg);
            rc = 1;
        } else {
            rc = print_frame(c, rs_attach_bus(a), "attach");
        }
        rs_attach_free(a);
        return rc;
    }
    struct rs_loop_opts o = {
        .bus = rs_attach_bus(a),
        .mode = "attach",
        .ascii = c->ascii,
        .mouse = true,
        .start = attach_start,
        .ud = a,
    };
    rc = rs_loop_run(&o, &err);
    if (rc < 0) {
        fprintf(stderr, "repscope: %s\n", err.msg);
        rc = 2;
    }
    rs_attach_free(a);
    return rc;
}

int
main(int argc, char **argv)
{
    struct rs_error err = {0};
    /* First: may replace this process with one using faster kernels. */
    if (rs_cpu_reexec_for_blas(argv, &err) != RS_OK)
        fprintf(stderr, "repscope: warning: %s\n", err.msg);
    struct cli c = {.steps = -1, .seed = -1, .threads = 1};
    if (parse_cli(argc, argv, &c) < 0)
        return 2;
    if (c.help) {
        usage(stdout);
        return 0;
    }
    if (c.version) {
        printf("%s\n", PACKAGE_STRING);
        return 0;
    }
    settle_datadir();
    if (c.test != NULL)
        return rs_lua_run_test(c.test);
    if (c.list)
        return list_scenes();
    if (c.list_keys)
        return rs_keys_list(stdout) == 0 ? 0 : 1;
    if (c.attach)
        return run_attach(&c);
    int rc = run_scene(&c, argv);
    rs_log_set_sink(NULL);
    rs_loop_log_drain(stderr); /* what was logged as the UI closed */
    return rc;
}
