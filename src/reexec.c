/* repscope - MIT licence, see COPYING.
 *
 * reexec.c: set OPENBLAS_CORETYPE and exec ourselves again when the engine
 * says the loaded OpenBLAS kernels are narrower than the CPU's (core/cpu.h
 * decides; here are the side effects). /proc/self/exe rather than argv[0]:
 * the same binary, whatever PATH says. Main thread, before any other.
 */
#include "config.h"

#include "reexec.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/cpu.h"

int
rs_reexec_for_blas(char **argv, struct rs_error *err)
{
    struct rs_cpu_blas_report r;
    rs_cpu_blas_report(&r);
    const char *core = rs_cpu_blas_reexec_core(&r);
    if (core == NULL)
        return RS_OK;
    if (argv == NULL || argv[0] == NULL)
        return rs_error_set(err, RS_EINVAL, "re-exec: no argv");
    if (setenv(RS_CPU_ENV_CORETYPE, core, 1) != 0 ||
        setenv(RS_CPU_ENV_REEXECED, "1", 1) != 0) {
        unsetenv(RS_CPU_ENV_CORETYPE);
        return rs_error_set(err, RS_ENOMEM, "re-exec: setenv failed");
    }
    fflush(NULL);
    execv("/proc/self/exe", argv);
    /* Still here: no /proc, or the binary went away. Undo and carry on. */
    unsetenv(RS_CPU_ENV_CORETYPE);
    unsetenv(RS_CPU_ENV_REEXECED);
    return rs_error_set(err, RS_EIO,
                        "re-exec with OPENBLAS_CORETYPE=%s failed; "
                        "OpenBLAS stays on its %s kernels",
                        core, r.loaded);
}
