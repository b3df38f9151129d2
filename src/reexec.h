/* repscope - MIT licence, see COPYING.
 *
 * reexec.h: the process-level half of the OpenBLAS kernel fix. The engine
 * (core/cpu.h) reports what it found and which core a re-exec should ask
 * for; this sets OPENBLAS_CORETYPE and replaces the process. It belongs
 * to the programs (repscope's main(), bench/rs_bench), not to any layer
 * library: a library never execs its host. Call it first in main(),
 * before any thread or file exists.
 */
#ifndef RS_REEXEC_H
#define RS_REEXEC_H

#include "core/base.h"

/* Re-exec /proc/self/exe with argv unchanged and OPENBLAS_CORETYPE set to
 * rs_cpu_blas_reexec_core's answer (plus REPSCOPE_REEXECED=1, so the new
 * process does not try again). On success this does not return. Returns
 * RS_OK when no re-exec is due, or an error (err filled, the environment
 * restored) when it failed; the caller may go on with the slower kernels
 * either way. */
RS_NODISCARD int rs_reexec_for_blas(char **argv, struct rs_error *err);

#endif /* RS_REEXEC_H */
