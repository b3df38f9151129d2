/* repscope - MIT licence, see COPYING.
 *
 * cpu.h: CPU feature detection and the OpenBLAS kernel decision.
 *
 * Debian 12's OpenBLAS 0.3.21 does not recognise recent AVX-512 Xeons and
 * falls back to its generic SSE3 "Prescott" kernels, 2-4x slower. The
 * kernel set is chosen from OPENBLAS_CORETYPE when the library loads, so
 * the only fix from inside the program is to set the variable and re-exec
 * before any work starts: rs_cpu_reexec_for_blas, called first in main().
 * Feature queries are pure and any thread may call them; the re-exec is
 * for main() before threads exist.
 */
#ifndef RS_CORE_CPU_H
#define RS_CORE_CPU_H

#include <stdbool.h>

#include "core/base.h"

/* Instruction-set features this program can use (bit flags). */
enum rs_cpu_feature {
    RS_CPU_AVX = 1 << 0,
    RS_CPU_AVX2 = 1 << 1,
    RS_CPU_FMA = 1 << 2,
    RS_CPU_AVX512F = 1 << 3,
    RS_CPU_AVX512BW = 1 << 4,
    RS_CPU_AVX512VL = 1 << 5,
    RS_CPU_AVX512DQ = 1 << 6,
};

/* The supported features (CPU and OS both), as enum rs_cpu_feature bits.
 * Setting REPSCOPE_CPU=generic|avx2 in the environment caps the result
 * (to test the fallback paths). */
unsigned rs_cpu_features(void);
bool rs_cpu_has(unsigned features);
/* Widest SIMD level in words: "avx512", "avx2", "avx" or "sse". Static. */
const char *rs_cpu_simd_name(void);

/* The best OpenBLAS core type for this CPU: "SkylakeX" with AVX-512,
 * "Haswell" with AVX2+FMA, NULL when the generic kernels are all there is.
 * Static string. */
const char *rs_cpu_best_openblas_core(void);

/* Re-exec the program with OPENBLAS_CORETYPE set when the loaded OpenBLAS
 * fell back to a generic core (Prescott, ...) and this CPU can run a
 * better one. Skipped when OPENBLAS_CORETYPE or REPSCOPE_NO_REEXEC is set,
 * or when this process is already a re-exec (REPSCOPE_REEXECED=1, which the
 * re-exec sets to prevent loops). Call first thing in main(), before any
 * thread or file exists: on success execv() replaces the process with
 * argv unchanged and this does not return. Returns RS_OK when no re-exec
 * was needed, or an error (err filled, the environment restored) when the
 * exec failed; the caller may go on with the slower kernels either way. */
RS_NODISCARD int rs_cpu_reexec_for_blas(char **argv, struct rs_error *err);

/* True if this process was started by rs_cpu_reexec_for_blas. */
bool rs_cpu_was_reexeced(void);

/* Short description for the status line, e.g.
 * "openblas SkylakeX (re-exec), avx512". Static, computed once
 * (thread-safe). */
const char *rs_cpu_kernel_desc(void);

#endif /* RS_CORE_CPU_H */
