/* repscope - MIT licence, see COPYING.
 *
 * fmt.c: number and time formatting for the UI (fmt.h). Pure; any thread.
 */
#include "config.h"

#include "ui/fmt.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Remove trailing zeros (and a trailing point) of a decimal in buf. */
static void
trim_zeros(char *buf)
{
    char *dot = strchr(buf, '.');
    if (dot == NULL)
        return;
    char *end = buf + strlen(buf);
    while (end > dot + 1 && end[-1] == '0')
        *--end = 0;
    if (end == dot + 1)
        *dot = 0;
}

static bool
bad(double v, char *buf, size_t n)
{
    if (isnan(v)) {
        snprintf(buf, n, "nan");
        return true;
    }
    if (isinf(v)) {
        snprintf(buf, n, v > 0 ? "inf" : "-inf");
        return true;
    }
    return false;
}

char *
rs_fmt_si(double v, char *buf, size_t n)
{
    static const char unit[] = " kMGTP";
    if (bad(v, buf, n))
        return buf;
    double a = fabs(v);
    if (a < 1000.0) {
        /* 3 significant digits, no exponent */
        int dec = a == 0 || a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
        snprintf(buf, n, "%.*f", dec, v);
        trim_zeros(buf);
        if (strcmp(buf, "-0") == 0)
            snprintf(buf, n, "0");
        return buf;
    }
    int u = 0;
    while (a >= 999.5 && u < 5) {
        a /= 1000.0;
        u++;
    }
    int dec = a >= 100 ? 0 : a >= 10 ? 1 : 2;
    snprintf(buf, n, "%.*f", dec, v < 0 ? -a : a);
    trim_zeros(buf);
    size_t len = strlen(buf);
    if (len + 1 < n) {
        buf[len] = unit[u];
        buf[len + 1] = 0;
    }
    return buf;
}

char *
rs_fmt_exp(double v, char *buf, size_t n)
{
    if (bad(v, buf, n))
        return buf;
    if (v == 0) {
        snprintf(buf, n, "0");
        return buf;
    }
    int e = (int)floor(log10(fabs(v)));
    double m = v / pow(10.0, e);
    if (fabs(m) >= 9.95) { /* rounding to one decimal would give 10 */
        m /= 10.0;
        e++;
    }
    char mb[16];
    snprintf(mb, sizeof mb, "%.1f", m);
    trim_zeros(mb);
    snprintf(buf, n, "%se%d", mb, e);
    return buf;
}

char *
rs_fmt_num(double v, char *buf, size_t n)
{
    if (bad(v, buf, n))
        return buf;
    double a = fabs(v);
    if (a >= 1e4) {
        return rs_fmt_si(v, buf, n);
    } else if (a != 0 && a < 1e-3) {
        int e = (int)floor(log10(a));
        double m = v / pow(10.0, e);
        if (fabs(m) >= 9.995) {
            m /= 10.0;
            e++;
        }
        snprintf(buf, n, "%.2fe%d", m, e);
    } else {
        int dec = a < 10 ? 3 : a < 100 ? 2 : a < 1000 ? 1 : 0;
        snprintf(buf, n, "%.*f", dec, v);
    }
    return buf;
}

char *
rs_fmt_tick(double v, double step, char *buf, size_t n)
{
    if (bad(v, buf, n))
        return buf;
    step = fabs(step);
    if (fabs(v) < step * 1e-6)
        v = 0; /* -0 and rounding noise at the origin */
    if (fabs(v) >= 1e4 || step >= 1e4)
        return rs_fmt_si(v, buf, n);
    if (step > 0 && step < 1e-3)
        return rs_fmt_exp(v, buf, n);
    int dec = 0;
    while (dec < 6 && step > 0) {
        double s = step * pow(10.0, dec);
        if (fabs(s - round(s)) < 1e-6 * s)
            break;
        dec++;
    }
    snprintf(buf, n, "%.*f", dec, v);
    return buf;
}

char *
rs_fmt_grouped(long v, char *buf, size_t n)
{
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%ld", v < 0 ? -v : v);
    size_t len = strlen(tmp), o = 0;
    char out[48];
    if (v < 0)
        out[o++] = '-';
    for (size_t i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            out[o++] = ' ';
        out[o++] = tmp[i];
    }
    out[o] = 0;
    snprintf(buf, n, "%s", out);
    return buf;
}

char *
rs_fmt_duration(double s, char *buf, size_t n)
{
    if (!(s >= 0) || isinf(s) || s > 1e9) {
        snprintf(buf, n, "?");
        return buf;
    }
    long t = lround(s);
    if (t < 3600)
        snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
    else if (t < 86400)
        snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, n, "%ldd%02ldh", t / 86400, t / 3600 % 24);
    return buf;
}
