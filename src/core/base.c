/* repscope - MIT licence, see COPYING.
 *
 * base.c: checked allocation, errors, fatal path, logging, clock.
 * Any thread. The fatal hook and log sink are set once before threads start.
 */
#include "config.h"

#include "core/base.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void (*fatal_hook)(void);
static void (*log_sink)(enum rs_log_level, const char *);
static enum rs_log_level log_min = RS_LOG_INFO;

int
rs_error_set(struct rs_error *err, int code, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

void
rs_error_clear(struct rs_error *err)
{
    if (err != NULL) {
        err->code = RS_OK;
        err->msg[0] = '\0';
    }
}

const char *
rs_status_str(int code)
{
    switch (code) {
    case RS_OK:
        return "ok";
    case RS_ENOMEM:
        return "out of memory";
    case RS_EINVAL:
        return "invalid argument";
    case RS_ESHAPE:
        return "shape mismatch";
    case RS_EIO:
        return "i/o error";
    case RS_EFORMAT:
        return "bad format";
    case RS_ELAPACK:
        return "LAPACK failure";
    case RS_ENONFINITE:
        return "non-finite value";
    case RS_ECANCELED:
        return "canceled";
    default:
        return "unknown error";
    }
}

void
rs_fatal_set_hook(void (*hook)(void))
{
    fatal_hook = hook;
}

void
rs_fatal(const char *fmt, ...)
{
    void (*hook)(void) = fatal_hook;
    fatal_hook = NULL; /* never re-enter */
    if (hook != NULL)
        hook();
    va_list ap;
    va_start(ap, fmt);
    fputs("repscope: fatal: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

void
rs_assert_fail(const char *file, int line, const char *cond)
{
    rs_fatal("%s:%d: assertion failed: %s", file, line, cond);
}

void *
rs_xmalloc(size_t size)
{
    RS_ASSERT(size != 0);
    void *p = malloc(size);
    if (p == NULL)
        rs_fatal("out of memory allocating %zu bytes", size);
    return p;
}

void *
rs_xcalloc(size_t n, size_t size)
{
    RS_ASSERT(n != 0 && size != 0);
    void *p = calloc(n, size);
    if (p == NULL)
        rs_fatal("out of memory allocating %zu x %zu bytes", n, size);
    return p;
}

void *
rs_xreallocarray(void *p, size_t n, size_t size)
{
    RS_ASSERT(n != 0 && size != 0);
    if (n > SIZE_MAX / size)
        rs_fatal("allocation overflow: %zu x %zu", n, size);
    void *q = realloc(p, n * size);
    if (q == NULL)
        rs_fatal("out of memory allocating %zu x %zu bytes", n, size);
    return q;
}

char *
rs_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = rs_xmalloc(n);
    memcpy(p, s, n);
    return p;
}

char *
rs_xasprintf(const char *fmt, ...)
{
    va_list ap, aq;
    va_start(ap, fmt);
    va_copy(aq, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    RS_ASSERT(n >= 0);
    char *p = rs_xmalloc((size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, aq);
    va_end(aq);
    return p;
}

void *
rs_aligned_alloc(size_t size)
{
    void *p = NULL;
    if (size == 0)
        size = 64;
    if (posix_memalign(&p, 64, size) != 0)
        return NULL;
    return p;
}

void
rs_aligned_free(void *p)
{
    free(p);
}

void
rs_log_set_sink(void (*sink)(enum rs_log_level, const char *))
{
    log_sink = sink;
}

void
rs_log_set_level(enum rs_log_level min)
{
    log_min = min;
}

void
rs_log(enum rs_log_level level, const char *fmt, ...)
{
    if (level < log_min)
        return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (log_sink != NULL) {
        log_sink(level, buf);
        return;
    }
    static const char *const names[] = {"debug", "info", "warning", "error"};
    fprintf(stderr, "repscope: %s: %s\n", names[level], buf);
}

double
rs_time_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

char *
rs_read_file(const char *path, size_t *len, struct rs_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rs_error_set(err, RS_EIO, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = rs_xmalloc(cap);
    for (;;) {
        if (n + 1 == cap) {
            cap *= 2;
            buf = rs_xreallocarray(buf, cap, 1);
        }
        ssize_t r = read(fd, buf + n, cap - n - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rs_error_set(err, RS_EIO, "cannot read %s: %s", path,
                         strerror(errno));
            close(fd);
            free(buf);
            return NULL;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* A cgroup's memory limit, 0 if none is read ("max" reads as none). */
static size_t
cgroup_limit(void)
{
    static const char *const files[] = {
        "/sys/fs/cgroup/memory.max",
        "/sys/fs/cgroup/memory/memory.limit_in_bytes",
    };
    for (size_t i = 0; i < RS_ARRAY_LEN(files); i++) {
        FILE *f = fopen(files[i], "r");
        if (f == NULL)
            continue;
        unsigned long long v = 0;
        int k = fscanf(f, "%llu", &v);
        fclose(f);
        if (k == 1 && v > 0)
            return v < SIZE_MAX ? (size_t)v : SIZE_MAX;
    }
    return 0;
}

size_t
rs_mem_total(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    size_t ram = pages > 0 && psize > 0 ? (size_t)pages * (size_t)psize : 0;
    size_t cg = cgroup_limit();
    if (cg > 0 && (ram == 0 || cg < ram))
        ram = cg;
    return ram;
}
