/* repscope - MIT licence, see COPYING.
 *
 * cpu.c: CPU features (__builtin_cpu_supports, which also checks that the
 * OS saves the wide registers) and the OpenBLAS core decision.
 *
 * OpenBLAS's dynamic-arch build picks its kernels once, when the library
 * loads, from OPENBLAS_CORETYPE or its own CPUID table; 0.3.21's table
 * predates Sapphire Rapids class Xeons and answers "Prescott" (SSE3). So
 * the fix is a re-exec with the variable set, before main() has started
 * anything; this file only decides (rs_cpu_blas_reexec_core), the program
 * execs. The features are computed once (pthread_once), so every query is
 * safe from any thread.
 */
#include "config.h"

#include "core/cpu.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/blas.h"

static pthread_once_t features_once = PTHREAD_ONCE_INIT;
static unsigned features;
static pthread_once_t desc_once = PTHREAD_ONCE_INIT;
static char desc[96];

static void
features_init(void)
{
    unsigned f = 0;
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx"))
        f |= RS_CPU_AVX;
    if (__builtin_cpu_supports("avx2"))
        f |= RS_CPU_AVX2;
    if (__builtin_cpu_supports("fma"))
        f |= RS_CPU_FMA;
    if (__builtin_cpu_supports("avx512f"))
        f |= RS_CPU_AVX512F;
    if (__builtin_cpu_supports("avx512bw"))
        f |= RS_CPU_AVX512BW;
    if (__builtin_cpu_supports("avx512vl"))
        f |= RS_CPU_AVX512VL;
    if (__builtin_cpu_supports("avx512dq"))
        f |= RS_CPU_AVX512DQ;
#endif
    /* A cap for testing the fallback paths on a big machine. */
    const char *cap = getenv("REPSCOPE_CPU");
    if (cap != NULL) {
        if (strcmp(cap, "generic") == 0)
            f = 0;
        else if (strcmp(cap, "avx2") == 0)
            f &= RS_CPU_AVX | RS_CPU_AVX2 | RS_CPU_FMA;
    }
    features = f;
}

unsigned
rs_cpu_features(void)
{
    pthread_once(&features_once, features_init);
    return features;
}

bool
rs_cpu_has(unsigned want)
{
    return (rs_cpu_features() & want) == want;
}

const char *
rs_cpu_simd_name(void)
{
    if (rs_cpu_has(RS_CPU_AVX512F))
        return "avx512";
    if (rs_cpu_has(RS_CPU_AVX2 | RS_CPU_FMA))
        return "avx2";
    if (rs_cpu_has(RS_CPU_AVX))
        return "avx";
    return "sse";
}

const char *
rs_cpu_best_openblas_core(void)
{
    if (rs_cpu_has(RS_CPU_AVX512F | RS_CPU_AVX512BW | RS_CPU_AVX512VL |
                   RS_CPU_AVX512DQ))
        return "SkylakeX";
    if (rs_cpu_has(RS_CPU_AVX2 | RS_CPU_FMA))
        return "Haswell";
    return NULL;
}

/* How wide an OpenBLAS core's kernels are: 3 AVX-512, 2 AVX2/FMA, 1 AVX,
 * 0 SSE or unknown. */
static int
core_rank(const char *name)
{
    static const char *const r3[] = {"SkylakeX", "Cooperlake",
                                     "SapphireRapids"};
    static const char *const r2[] = {"Haswell", "Zen", "Excavator"};
    static const char *const r1[] = {"Sandybridge", "Bulldozer", "Piledriver",
                                     "Steamroller"};
    for (size_t i = 0; i < RS_ARRAY_LEN(r3); i++)
        if (strcasecmp(name, r3[i]) == 0)
            return 3;
    for (size_t i = 0; i < RS_ARRAY_LEN(r2); i++)
        if (strcasecmp(name, r2[i]) == 0)
            return 2;
    for (size_t i = 0; i < RS_ARRAY_LEN(r1); i++)
        if (strcasecmp(name, r1[i]) == 0)
            return 1;
    return 0;
}

bool
rs_cpu_was_reexeced(void)
{
    const char *s = getenv(RS_CPU_ENV_REEXECED);
    return s != NULL && strcmp(s, "1") == 0;
}

void
rs_cpu_blas_report(struct rs_cpu_blas_report *r)
{
    r->loaded = rs_blas_corename();
    r->best = rs_cpu_best_openblas_core();
    r->coretype_set = getenv(RS_CPU_ENV_CORETYPE) != NULL;
    r->no_reexec = getenv(RS_CPU_ENV_NO_REEXEC) != NULL;
    r->reexec_guard = getenv(RS_CPU_ENV_REEXECED) != NULL;
}

const char *
rs_cpu_blas_reexec_core(const struct rs_cpu_blas_report *r)
{
    if (r->coretype_set || r->no_reexec || r->reexec_guard)
        return NULL;
    if (r->best == NULL || r->loaded == NULL ||
        strcasecmp(r->loaded, "unknown") == 0 ||
        core_rank(r->loaded) >= core_rank(r->best))
        return NULL;
    return r->best;
}

static void
desc_init(void)
{
    const char *how = "";
    if (rs_cpu_was_reexeced())
        how = " (re-exec)";
    else if (getenv(RS_CPU_ENV_CORETYPE) != NULL)
        how = " (env)";
    snprintf(desc, sizeof desc, "openblas %s%s, %s", rs_blas_corename(), how,
             rs_cpu_simd_name());
}

const char *
rs_cpu_kernel_desc(void)
{
    pthread_once(&desc_once, desc_init);
    return desc;
}
