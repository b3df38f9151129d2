/* repscope - MIT licence, see COPYING.
 *
 * t_main_reexec.c: the program-level re-exec (src/reexec.c) for real.
 * This binary runs itself as a fresh program (`--probe`, which calls
 * rs_reexec_for_blas first, as main() does, and prints one line) with a
 * clean environment: once with REPSCOPE_NO_REEXEC to see which kernels
 * OpenBLAS picks on its own, then as a user would start it. It must
 * re-exec exactly once onto the core rs_cpu_blas_reexec_core names when
 * there is one, and not at all otherwise or under REPSCOPE_CPU=generic.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/blas.h"
#include "core/cpu.h"
#include "reexec.h"
#include "tests/tap.h"

/* `t_main_reexec --probe`: what main() sees after the re-exec. */
static int
probe(char **argv)
{
    struct rs_error err = {0};
    int rc = rs_reexec_for_blas(argv, &err);
    const char *ct = getenv(RS_CPU_ENV_CORETYPE);
    printf("rc=%d reexeced=%d coretype=%s core=%s\n", rc,
           rs_cpu_was_reexeced() ? 1 : 0, ct != NULL ? ct : "-",
           rs_blas_corename());
    return 0;
}

/* Run `self --probe` with env (may be NULL) set; the line in out. */
static void
run_probe(const char *self, const char *env, char *out, size_t size)
{
    char *cmd = rs_xasprintf("%s%s'%s' --probe", env != NULL ? env : "",
                             env != NULL ? " " : "", self);
    FILE *p = popen(cmd, "r");
    out[0] = '\0';
    if (p == NULL || fgets(out, (int)size, p) == NULL)
        out[0] = '\0';
    if (p != NULL)
        pclose(p);
    free(cmd);
    out[strcspn(out, "\n")] = '\0';
}

int
main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--probe") == 0)
        return probe(argv);
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        tap_skip_all("no /proc/self/exe");
    self[n] = '\0';
    tap_plan_lazy();
    unsetenv(RS_CPU_ENV_CORETYPE);
    unsetenv(RS_CPU_ENV_REEXECED);
    unsetenv(RS_CPU_ENV_NO_REEXEC);
    unsetenv("REPSCOPE_CPU");

    /* OpenBLAS's own pick, in a fresh process that may not re-exec */
    char line[256], want[256];
    run_probe(self, RS_CPU_ENV_NO_REEXEC "=1", line, sizeof line);
    const char *core = strstr(line, " core=");
    tap_ok(strncmp(line, "rc=0 reexeced=0 coretype=- core=", 32) == 0 &&
               core != NULL,
           "REPSCOPE_NO_REEXEC: no re-exec (%s)", line);
    struct rs_cpu_blas_report r = {
        .loaded = core != NULL ? core + 6 : "unknown",
        .best = rs_cpu_best_openblas_core(),
    };
    const char *to = rs_cpu_blas_reexec_core(&r);

    /* as a user starts it */
    run_probe(self, NULL, line, sizeof line);
    if (to != NULL) {
        snprintf(want, sizeof want, "rc=0 reexeced=1 coretype=%s core=", to);
        core = strstr(line, " core=");
        tap_ok(strncmp(line, want, strlen(want)) == 0 && core != NULL &&
                   strcasecmp(core + 6, to) == 0,
               "%s kernels on a CPU for %s: one re-exec onto it (%s)",
               r.loaded, to, line);
    } else {
        snprintf(want, sizeof want, "rc=0 reexeced=0 coretype=- core=%s",
                 r.loaded);
        tap_is_str(line, want, "%s kernels, best core %s: no re-exec",
                   r.loaded, r.best != NULL ? r.best : "none");
    }

    /* no better core than the generic one: never */
    run_probe(self, "REPSCOPE_CPU=generic", line, sizeof line);
    tap_ok(strncmp(line, "rc=0 reexeced=0 coretype=- ", 27) == 0,
           "REPSCOPE_CPU=generic: no re-exec (%s)", line);
    /* a process that is already a re-exec does not try again */
    run_probe(self, RS_CPU_ENV_REEXECED "=1", line, sizeof line);
    tap_ok(strncmp(line, "rc=0 reexeced=1 coretype=- ", 27) == 0,
           "REPSCOPE_REEXECED=1: no second re-exec (%s)", line);
    return tap_done();
}
