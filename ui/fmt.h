/* repscope - MIT licence, see COPYING.
 *
 * fmt.h: compact number and time formatting for narrow screens: tick
 * labels ("1.5k", "1e-3"), readouts ("0.512", "2.30e-4"), step counts
 * ("6 200") and durations ("0:41"). Always the C locale's decimal point
 * (the UI never sets LC_NUMERIC). Each writes a NUL-terminated string
 * of at most n - 1 bytes into buf and returns buf. Pure; any thread.
 */
#ifndef RS_UI_FMT_H
#define RS_UI_FMT_H

#include <stddef.h>

/* SI suffixes for counts and steps: 0, 950, 1k, 1.5k, 12.3k, 1.2M, 3G;
 * at most 3 significant digits; fractions below 1 as plain decimals. */
char *rs_fmt_si(double v, char *buf, size_t n);
/* Exponent style for log axes: 1e-3, 2e5, 1e0 (mantissa 1 is kept). */
char *rs_fmt_exp(double v, char *buf, size_t n);
/* A value in about 5 columns with 3-4 significant digits: 0.998, 12.35,
 * 512.3, 4096, 12.3k, 2.30e-4; "nan", "inf", "-inf" as such. */
char *rs_fmt_num(double v, char *buf, size_t n);
/* A linear tick label at a multiple of step: as many decimals as the
 * step needs (0.25 -> 2), SI above 1e4, exponent style below 1e-3. */
char *rs_fmt_tick(double v, double step, char *buf, size_t n);
/* An integer with space-grouped thousands: 6 200, 1 048 576. */
char *rs_fmt_grouped(long v, char *buf, size_t n);
/* Seconds as m:ss, h:mm:ss or NdHHh; "?" when negative or not finite. */
char *rs_fmt_duration(double s, char *buf, size_t n);

#endif /* RS_UI_FMT_H */
