/* repscope - MIT licence, see COPYING.
 *
 * tap.h: a small TAP producer in the spirit of c-tap-harness. Every name is
 * tap_-prefixed. Output goes to stdout so diagnostics stay in order.
 */
#ifndef RS_TESTS_TAP_H
#define RS_TESTS_TAP_H

#include <stdbool.h>
#include <stddef.h>

#include "core/base.h"

void tap_plan(int n);
/* Print the plan at tap_done() from the number of tests run. */
void tap_plan_lazy(void);
RS_NORETURN void tap_skip_all(const char *fmt, ...) RS_PRINTF(1, 2);
RS_NORETURN void tap_bail(const char *fmt, ...) RS_PRINTF(1, 2);

bool tap_ok(bool cond, const char *fmt, ...) RS_PRINTF(2, 3);
bool tap_is_int(long got, long want, const char *fmt, ...) RS_PRINTF(3, 4);
bool tap_is_str(const char *got, const char *want, const char *fmt, ...)
    RS_PRINTF(3, 4);
/* Passes if |got - want| <= abs_tol + rel_tol * |want|. */
bool tap_is_float(double got, double want, double abs_tol, double rel_tol,
                  const char *fmt, ...) RS_PRINTF(5, 6);
/* Elementwise tap_is_float with one tolerance pair; on failure prints the
 * first 5 mismatches and the maximum error as '# ' lines. */
bool tap_is_floats(const float *got, const float *want, size_t n,
                   double abs_tol, double rel_tol, const char *fmt, ...)
    RS_PRINTF(6, 7);
void tap_skip(int n, const char *fmt, ...) RS_PRINTF(2, 3);
void tap_diag(const char *fmt, ...) RS_PRINTF(1, 2);

/* $RS_SRCDIR/rel (or ./rel): a new string the caller frees. */
char *tap_srcpath(const char *rel);
/* A fresh directory under $RS_BUILDDIR/tests/tmp (or /tmp); caller frees
 * the string; the directory is left for inspection. */
char *tap_tmpdir(const char *name);

/* Prints the lazy plan if needed; returns the exit status (0 if all
 * passed and the plan matched). */
int tap_done(void);

#endif /* RS_TESTS_TAP_H */
