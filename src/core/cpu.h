/* repscope - MIT licence, see COPYING.
 *
 * cpu.h: CPU feature detection and what it means for OpenBLAS.
 *
 * Debian 12's OpenBLAS 0.3.21 does not recognise recent AVX-512 Xeons and
 * falls back to its generic SSE3 "Prescott" kernels, 2-4x slower. The
 * kernel set is chosen from OPENBLAS_CORETYPE when the library loads, so
 * the only fix from inside the program is to set the variable and re-exec
 * before any work starts. The engine only reports: rs_cpu_blas_report says
 * what it found, rs_cpu_blas_reexec_core says (purely) which core a
 * re-exec should ask for; the program (src/reexec.c, called first in
 * main()) does the setenv and execv. Every function here is free of side
 * effects and any thread may call it.
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

/* The environment variables of the re-exec: OPENBLAS_CORETYPE picks
 * OpenBLAS's kernels (the user's own value always wins), REPSCOPE_NO_REEXEC
 * (any value) turns the re-exec off, and the re-exec sets
 * REPSCOPE_REEXECED=1 in the new process so it cannot loop. */
#define RS_CPU_ENV_CORETYPE "OPENBLAS_CORETYPE"
#define RS_CPU_ENV_NO_REEXEC "REPSCOPE_NO_REEXEC"
#define RS_CPU_ENV_REEXECED "REPSCOPE_REEXECED"

/* What this process knows about its BLAS kernels. */
struct rs_cpu_blas_report {
    const char *loaded; /* OpenBLAS's kernels ("Prescott", ...; "unknown"
                           without the query); static */
    const char *best;   /* rs_cpu_best_openblas_core(); NULL: none */
    bool coretype_set;  /* RS_CPU_ENV_CORETYPE is in the environment */
    bool no_reexec;     /* RS_CPU_ENV_NO_REEXEC is in the environment */
    bool reexec_guard;  /* RS_CPU_ENV_REEXECED is (any value) */
};

/* Fill r from the CPU, the loaded library and the environment. */
void rs_cpu_blas_report(struct rs_cpu_blas_report *r);

/* The OPENBLAS_CORETYPE a re-exec should set for r: r->best when OpenBLAS
 * loaded a narrower core than this CPU can run (Prescott, say, on an
 * AVX-512 machine), NULL when no re-exec is due: any of the three
 * variables set, no better core, or the loaded core unknown. Pure: reads
 * nothing but r. The string is r->best. */
const char *rs_cpu_blas_reexec_core(const struct rs_cpu_blas_report *r);

/* True if this process is a re-exec (RS_CPU_ENV_REEXECED is "1"). */
bool rs_cpu_was_reexeced(void);

/* Short description for the status line, e.g.
 * "openblas SkylakeX (re-exec), avx512". Static, computed once
 * (thread-safe). */
const char *rs_cpu_kernel_desc(void);

#endif /* RS_CORE_CPU_H */
