/* repscope - MIT licence, see COPYING.
 *
 * base.h: the few things every layer may use: checked allocation, the
 * recoverable-error record, status codes, assertions and logging.
 *
 * Error kinds (doc/design.md, "Errors"): RS_ASSERT for broken invariants
 * (aborts after the emergency hook restored the terminal); rs_x* allocators
 * never return NULL; recoverable failures return an enum rs_status and fill a
 * struct rs_error. Any thread may call anything here; rs_fatal_set_hook is
 * called once from main before threads start.
 */
#ifndef RS_CORE_BASE_H
#define RS_CORE_BASE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__)
#define RS_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define RS_NORETURN __attribute__((noreturn))
#define RS_NODISCARD __attribute__((warn_unused_result))
#define RS_UNUSED __attribute__((unused))
#define RS_SENTINEL __attribute__((sentinel))
#else
#define RS_PRINTF(f, a)
#define RS_NORETURN
#define RS_NODISCARD
#define RS_UNUSED
#define RS_SENTINEL
#endif

enum rs_status {
    RS_OK = 0,
    RS_ENOMEM = -1,
    RS_EINVAL = -2,
    RS_ESHAPE = -3,
    RS_EIO = -4,
    RS_EFORMAT = -5,
    RS_ELAPACK = -6,
    RS_ENONFINITE = -7,
    RS_ECANCELED = -8,
};

/* A recoverable error: fixed size so the error path never allocates. */
struct rs_error {
    int code;      /* enum rs_status, RS_OK when clear */
    char msg[1024]; /* human-readable, names the file/value/op at fault */
};

/* Fill err (may be NULL) and return code, so callers can write
 * `return rs_error_set(err, RS_EINVAL, "...")`. */
int rs_error_set(struct rs_error *err, int code, const char *fmt, ...)
    RS_PRINTF(3, 4);
void rs_error_clear(struct rs_error *err);
/* Short name of a status code ("invalid argument", ...); never NULL. */
const char *rs_status_str(int code);

/* Allocation that never fails: on OOM it calls rs_fatal. Size 0 is a bug. */
void *rs_xmalloc(size_t size);
void *rs_xcalloc(size_t n, size_t size);
void *rs_xreallocarray(void *p, size_t n, size_t size);
char *rs_xstrdup(const char *s);
char *rs_xasprintf(const char *fmt, ...) RS_PRINTF(1, 2);
/* The whole of the file at path as a new NUL-terminated buffer (*len
 * bytes before the NUL), or NULL + err (RS_EIO naming the path). */
char *rs_read_file(const char *path, size_t *len, struct rs_error *err);
/* 64-byte aligned allocation for tensor storage; NULL on failure (a tensor
 * that is too big is a recoverable error, not a fatal one). Free with
 * rs_aligned_free. */
void *rs_aligned_alloc(size_t size);
void rs_aligned_free(void *p);

/* Emergency hook run by rs_fatal and failed assertions before abort():
 * the UI registers its terminal restore here. Async-signal-safe callers only
 * rely on it being a plain function pointer. */
void rs_fatal_set_hook(void (*hook)(void));
RS_NORETURN void rs_fatal(const char *fmt, ...) RS_PRINTF(1, 2);
RS_NORETURN void rs_assert_fail(const char *file, int line, const char *cond);

#define RS_ASSERT(c)                                                           \
    ((c) ? (void)0 : rs_assert_fail(__FILE__, __LINE__, #c))
#ifdef RS_DEBUG
#define RS_DEBUG_ASSERT(c) RS_ASSERT(c)
#else
#define RS_DEBUG_ASSERT(c) ((void)0)
#endif

#define RS_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Logging to stderr (or the sink set by the session/UI). */
enum rs_log_level { RS_LOG_DEBUG, RS_LOG_INFO, RS_LOG_WARN, RS_LOG_ERROR };
void rs_log(enum rs_log_level level, const char *fmt, ...) RS_PRINTF(2, 3);
void rs_log_set_sink(void (*sink)(enum rs_log_level, const char *msg));
void rs_log_set_level(enum rs_log_level min);

/* Monotonic clock in seconds. */
double rs_time_now(void);
/* The memory this process may use, in bytes: physical memory, or the
 * cgroup's limit (v2 memory.max, else v1) when that is smaller; 0 if
 * neither can be read. */
size_t rs_mem_total(void);

/* For the elementwise and row kernels: one copy per vector width, picked
 * at load time for the CPU (GCC's function multiversioning; REPSCOPE_CPU
 * does not reach it). The default build targets SSE2; these loops run 2-4x
 * faster at AVX2 or AVX-512 width. Results are bitwise the same in every
 * copy: -std=c11 turns off FMA contraction, and without -ffast-math GCC
 * never reorders a floating-point sum (a sum vectorises only when its
 * partial sums are written out in the source, as in ops_norm.c). */
/* Not under ThreadSanitizer: the ifunc resolvers run before its runtime
 * is up and crash the process. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) &&       \
    defined(__has_attribute) && !defined(__SANITIZE_THREAD__)
#if __has_attribute(target_clones)
#define RS_VEC_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
#endif
#ifndef RS_VEC_CLONES
#define RS_VEC_CLONES
#endif
/* For the helpers such kernels call in their loops (core/vecmath.h, row
 * helpers): always inlined, so each copy gets them at its own vector width.
 * GCC leaves a big static inline function out of line when it has several
 * callers, and that one copy is the generic SSE2 one, called per element
 * or per row. */
#if defined(__GNUC__)
#define RS_VEC_INLINE __attribute__((always_inline)) inline
#else
#define RS_VEC_INLINE inline
#endif

/* A double as the 64-bit word a checkpoint stores, and back (bit for bit,
 * NaN payloads included). */
static inline uint64_t
rs_double_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static inline double
rs_bits_double(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

#endif /* RS_CORE_BASE_H */
