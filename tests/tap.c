/* repscope - MIT licence, see COPYING.
 *
 * tap.c: TAP output for the C tests (see tap.h).
 */
#include "config.h"

#include "tests/tap.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int planned = -1;
static int lazy;
static int run;
static int failed;

void
tap_plan(int n)
{
    planned = n;
    printf("1..%d\n", n);
    fflush(stdout);
}

void
tap_plan_lazy(void)
{
    lazy = 1;
}

void
tap_skip_all(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("1..0 # SKIP ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
    exit(0);
}

void
tap_bail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("Bail out! ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
    exit(255);
}

static bool
vreport(bool cond, const char *fmt, va_list ap)
{
    run++;
    if (!cond)
        failed++;
    printf("%sok %d - ", cond ? "" : "not ", run);
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
    return cond;
}

bool
tap_ok(bool cond, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bool r = vreport(cond, fmt, ap);
    va_end(ap);
    return r;
}

bool
tap_is_int(long got, long want, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bool r = vreport(got == want, fmt, ap);
    va_end(ap);
    if (!r)
        tap_diag("     got: %ld\n#   wanted: %ld", got, want);
    return r;
}

bool
tap_is_str(const char *got, const char *want, const char *fmt, ...)
{
    bool same = got != NULL && want != NULL && strcmp(got, want) == 0;
    va_list ap;
    va_start(ap, fmt);
    bool r = vreport(same, fmt, ap);
    va_end(ap);
    if (!r)
        tap_diag("     got: '%s'\n#   wanted: '%s'", got ? got : "(null)",
                 want ? want : "(null)");
    return r;
}

static bool
close_enough(double got, double want, double abs_tol, double rel_tol)
{
    if (isnan(want))
        return isnan(got);
    if (isinf(want))
        return got == want;
    return fabs(got - want) <= abs_tol + rel_tol * fabs(want);
}

bool
tap_is_float(double got, double want, double abs_tol, double rel_tol,
             const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bool r = vreport(close_enough(got, want, abs_tol, rel_tol), fmt, ap);
    va_end(ap);
    if (!r)
        tap_diag("     got: %.9g\n#   wanted: %.9g (abs %.3g rel %.3g)", got,
                 want, abs_tol, rel_tol);
    return r;
}

bool
tap_is_floats(const float *got, const float *want, size_t n, double abs_tol,
              double rel_tol, const char *fmt, ...)
{
    size_t bad = 0;
    double maxerr = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)got[i] - (double)want[i]);
        if (e > maxerr || isnan(e))
            maxerr = e;
        if (!close_enough(got[i], want[i], abs_tol, rel_tol))
            bad++;
    }
    va_list ap;
    va_start(ap, fmt);
    bool r = vreport(bad == 0, fmt, ap);
    va_end(ap);
    if (!r) {
        size_t shown = 0;
        for (size_t i = 0; i < n && shown < 5; i++)
            if (!close_enough(got[i], want[i], abs_tol, rel_tol)) {
                tap_diag("  [%zu] got %.9g want %.9g", i, (double)got[i],
                         (double)want[i]);
                shown++;
            }
        tap_diag("  %zu of %zu differ, max abs error %.3g", bad, n, maxerr);
    }
    return r;
}

void
tap_skip(int n, const char *fmt, ...)
{
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    for (int i = 0; i < n; i++) {
        run++;
        printf("ok %d # SKIP %s\n", run, why);
    }
    fflush(stdout);
}

void
tap_diag(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("# ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
}

char *
tap_srcpath(const char *rel)
{
    const char *top = getenv("RS_SRCDIR");
    return rs_xasprintf("%s/%s", top != NULL ? top : ".", rel);
}

char *
tap_tmpdir(const char *name)
{
    const char *top = getenv("RS_BUILDDIR");
    char *base = rs_xasprintf("%s/tests/tmp", top != NULL ? top : "/tmp");
    mkdir(base, 0777);
    /* a fresh directory every time: a pid is reused sooner or later, and
     * a test appending to the files of an older run's directory fails */
    char *dir = rs_xasprintf("%s/%s.%ld.XXXXXX", base, name, (long)getpid());
    free(base);
    if (mkdtemp(dir) == NULL)
        tap_bail("cannot create %s: %s", dir, strerror(errno));
    return dir;
}

int
tap_done(void)
{
    if (planned < 0)
        printf("1..%d\n", run);
    else if (planned != run) {
        printf("# planned %d tests but ran %d\n", planned, run);
        failed++;
    }
    fflush(stdout);
    (void)lazy;
    return failed == 0 ? 0 : 1;
}
