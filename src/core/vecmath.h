/* repscope - MIT licence, see COPYING.
 *
 * vecmath.h: the float transcendental functions of the elementwise kernels
 * (exp, log, log1p, tanh, sigmoid, softplus), written so that a loop
 * calling them vectorises.
 *
 * libm's expf/tanhf/log1pf are calls the vectoriser cannot see through, so
 * a loop over them runs one element at a time. These are branch-free
 * (selects, integer work on the float bits, no table lookups, no calls),
 * so GCC -O2 turns a loop over rs_vec_floor(n) elements in an
 * RS_VEC_CLONES function into 16-wide AVX-512 or 8-wide AVX2 code, and a
 * scalar tail runs the same code one element at a time. Only +, -, *, /,
 * compares and float<->int conversions are used, and -std=c11 turns off
 * FMA contraction, so every vector width and the scalar code give bitwise
 * the same results on every x86-64 CPU (tests/t_core_vecmath.c checks).
 *
 * Each function's comment gives its max error in units in the last place
 * (ulp) of the float result against double-precision libm over every
 * float, rounded up: the bound tests/t_core_vecmath.c enforces and
 * repscope-lua(7) states under NUMERICS. Edge cases follow libm: NaN in,
 * NaN out; +-inf and huge |x| give the limit without overflow; +-0 keeps
 * its sign where libm's does; subnormal inputs and results are handled
 * (no flush to zero).
 *
 * The element functions are inlined into the caller's loop (RS_VEC_INLINE:
 * a call would keep it scalar); vecmath.c has array versions over
 * (out, x, n), pure functions that any thread may call on disjoint ranges.
 */
#ifndef RS_CORE_VECMATH_H
#define RS_CORE_VECMATH_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/base.h"

static RS_VEC_INLINE uint32_t
rs_vecmath_bits(float x)
{
    uint32_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

static RS_VEC_INLINE float
rs_vecmath_from_bits(uint32_t b)
{
    float x;
    memcpy(&x, &b, sizeof x);
    return x;
}

/* cond ? a : b as a bit mask blend; cond is 0 or 1. Every float select in
 * this file goes through it: GCC turns a ?: into a branch, threads the paths
 * (folding a clamped input to a constant result, say), and then, under
 * -ftrapping-math (its default), may not make the floating-point work on
 * a path unconditional again; the loop stays scalar except at AVX-512,
 * whose masked operations can predicate it. A mask it cannot undo. */
static RS_VEC_INLINE float
rs_vecmath_select(int cond, float a, float b)
{
    uint32_t m = 0u - (uint32_t)cond;
    return rs_vecmath_from_bits((rs_vecmath_bits(a) & m) |
                                (rs_vecmath_bits(b) & ~m));
}

/* e^c for c in [-104, 89] (the callers clamp; outside, garbage): the core
 * of the exponentials here, max error 1 ulp (subnormal results: 1 ulp of
 * the subnormal grid). Range reduction: c = k ln2 + r, k = round(c / ln2),
 * r = c - k C1 - k C2 with C1 + C2 = ln2 and C1 = 0.693359375 short enough
 * that k C1 is exact (Cody and Waite), so |r| <= 0.35. e^r = 1 + r +
 * r^2 P(r), P the degree-5 minimax polynomial of Cephes expf. 2^k goes in
 * as two factors 2^k1 2^k2, k1 = floor(k / 2), k2 = k - k1, each a normal
 * float, so results between FLT_MAX and the smallest subnormal come out
 * right, rounded once by the last multiply. The integer work is unsigned,
 * so a NaN's garbage bits are harmless (the NaN comes out through p). */
static RS_VEC_INLINE float
rs_vecmath_exp_coref(float c)
{
    /* t = 1.5 * 2^23 + k: the addition rounds c / ln2 to the nearest
     * integer k, which lands in the low mantissa bits of t */
    float t = c * 1.44269504088896341f + 12582912.0f;
    float kf = t - 12582912.0f;
    float r = c - kf * 0.693359375f;
    r = r - kf * -2.12194440e-4f;
    float r2 = r * r;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r2 + r + 1.0f;
    uint32_t kb = rs_vecmath_bits(t) - 0x4b400000u + 256u; /* k + 256 */
    uint32_t k1 = kb >> 1;   /* k1 + 128, k1 in [-75, 64] */
    uint32_t k2 = kb - k1;   /* k2 + 128, k2 in [-75, 64] */
    float s1 = rs_vecmath_from_bits((k1 - 1u) << 23); /* 2^k1 */
    float s2 = rs_vecmath_from_bits((k2 - 1u) << 23);
    return p * s1 * s2;
}

/* e^x, max error 1 ulp: x clamped to [-104, 89] (e^x is 0 resp. inf in
 * float beyond), then rs_vecmath_exp_coref. x > 88.72 gives +inf,
 * x < -103.97 gives +0, x in (-103.97, -87.34) a subnormal; NaN fails
 * both clamp compares and comes out NaN. */
static RS_VEC_INLINE float
rs_vecmath_expf(float x)
{
    float c = rs_vecmath_select(x > 89.0f, 89.0f, x);
    c = rs_vecmath_select(c < -104.0f, -104.0f, c);
    return rs_vecmath_exp_coref(c);
}

/* e^-|x|, the form tanh, sigmoid, softplus and GELU need (never above 1,
 * no overflow), max error 1 ulp. |x| is clamped at 104 (e^-104 is 0 in
 * float) by an integer min on the bits, which is cheaper than a float
 * clamp; that also turns a NaN into 104, so a NaN gives 0 here and the
 * callers put it back. */
static RS_VEC_INLINE float
rs_vecmath_exp_negabsf(float x)
{
    uint32_t ab = rs_vecmath_bits(x) & 0x7fffffffu;
    ab = ab < 0x42d00000u ? ab : 0x42d00000u; /* 104.0f */
    return rs_vecmath_exp_coref(-rs_vecmath_from_bits(ab));
}

/* ln x, max error 1 ulp. Range reduction: x = 2^e m with m in
 * [sqrt(1/2), sqrt(2)) read off the bits (a subnormal x is first scaled
 * by 2^23), f = m - 1 (exact); ln m = f - f^2/2 + f^3 P(f), P the degree-8
 * polynomial of Cephes logf; e ln2 is added as e C1 + e C2 as in
 * rs_vecmath_exp_coref. ln(+-0) = -inf, ln(x < 0) = NaN, ln(+inf) = +inf, NaN
 * gives NaN. */
static RS_VEC_INLINE float
rs_vecmath_logf(float x)
{
    int sub = x < 1.17549435e-38f; /* subnormal (or <= 0: fixed below) */
    uint32_t b =
        rs_vecmath_bits(x * rs_vecmath_select(sub, 8388608.0f, 1.0f));
    /* m in [0.5, 1) and e with x = 2^e m */
    int32_t e = (int32_t)((b >> 23) & 0xffu) - 126 - 23 * sub;
    float m = rs_vecmath_from_bits((b & 0x007fffffu) | 0x3f000000u);
    int lo = m < 0.707106781186547524f;
    e = e - lo;
    float f = m * rs_vecmath_select(lo, 2.0f, 1.0f) - 1.0f;
    float ef = (float)e;
    float f2 = f * f;
    float p = 7.0376836292e-2f;
    p = p * f - 1.1514610310e-1f;
    p = p * f + 1.1676998740e-1f;
    p = p * f - 1.2420140846e-1f;
    p = p * f + 1.4249322787e-1f;
    p = p * f - 1.6668057665e-1f;
    p = p * f + 2.0000714765e-1f;
    p = p * f - 2.4999993993e-1f;
    p = p * f + 3.3333331174e-1f;
    float y = p * f * f2;
    y = y + ef * -2.12194440e-4f;
    y = y - 0.5f * f2;
    y = f + y;
    y = y + ef * 0.693359375f;
    y = rs_vecmath_select(x > 0.0f, y, NAN);
    y = rs_vecmath_select(x == 0.0f, -INFINITY, y);
    return rs_vecmath_select(x < INFINITY, y, x); /* +inf and NaN */
}

/* ln(1 + x), max error 2 ulp. u = 1 + x rounded; then
 * ln(1 + x) = ln u + (x - (u - 1)) / u, the second term correcting for the
 * rounding of u to first order (Goldberg, "What every computer scientist
 * should know about floating-point arithmetic", thm. 4), so |x| < 2^-24
 * gives x. +-0 gives +-0, -1 -inf, x < -1 NaN, +inf +inf, NaN NaN. */
static RS_VEC_INLINE float
rs_vecmath_log1pf(float x)
{
    float u = 1.0f + x;
    float y = rs_vecmath_logf(u) + (x - (u - 1.0f)) / u;
    y = rs_vecmath_select(x == -1.0f, -INFINITY, y);
    y = rs_vecmath_select(x == 0.0f, x, y); /* keeps the sign of -0 */
    return rs_vecmath_select(x < INFINITY, y, x);
}

/* tanh x, max error 2 ulp. |x| < 0.625: x + x^3 P(x^2), P the degree-4
 * polynomial of Cephes tanhf (keeps the relative accuracy near 0, where
 * the form below would cancel); else (1 - e) / (1 + e), e = e^-2|x| <=
 * 0.29, which goes to 1 without overflow. Computed on |x| and the sign of
 * x copied back, so tanh(-0) = -0; NaN gives NaN (it fails the
 * |x| >= 0.625 compare and goes through the polynomial). */
static RS_VEC_INLINE float
rs_vecmath_tanhf(float x)
{
    uint32_t sign = rs_vecmath_bits(x) & 0x80000000u;
    float a = fabsf(x);
    float z = a * a;
    float p = -5.70498872745e-3f;
    p = p * z + 2.06390887954e-2f;
    p = p * z - 5.37397155531e-2f;
    p = p * z + 1.33314422036e-1f;
    p = p * z - 3.33332819422e-1f;
    float small = a + a * (p * z);
    float e = rs_vecmath_exp_negabsf(a + a);
    float big = (1.0f - e) / (1.0f + e);
    float t = rs_vecmath_select(a >= 0.625f, big, small);
    return rs_vecmath_from_bits(rs_vecmath_bits(t) | sign);
}

/* 1 / (1 + e^-x), max error 3 ulp, without overflow: with e = e^-|x| <= 1,
 * 1 / (1 + e) for x >= 0 and e / (1 + e) for x < 0. sigmoid(-inf) = +0,
 * sigmoid(+inf) = 1, sigmoid(+-0) = 1/2, subnormal results below
 * x = -87.3, NaN gives NaN. */
static RS_VEC_INLINE float
rs_vecmath_sigmoidf(float x)
{
    float e = rs_vecmath_exp_negabsf(x);
    float y = rs_vecmath_select(x >= 0.0f, 1.0f, e) / (1.0f + e);
    return rs_vecmath_select(x == x, y, x);
}

/* ln(1 + e^x), max error 2 ulp, as max(x, 0) + ln(1 + e^-|x|): no overflow
 * for large x (softplus(x) = x once e^-x is below half an ulp of x), no
 * loss for very negative x (softplus(x) = e^x, subnormal below -87.3).
 * softplus(-inf) = +0, softplus(+inf) = +inf; a NaN passes through the
 * first term. */
static RS_VEC_INLINE float
rs_vecmath_softplusf(float x)
{
    float pos = rs_vecmath_select(x <= 0.0f, 0.0f, x);
    return pos + rs_vecmath_log1pf(rs_vecmath_exp_negabsf(x));
}

/* Array versions: out[i] = f(x[i]) for i in [0, n). out and x must not
 * overlap. Pure (no state), so a parallel-for may call them on disjoint
 * [lo, hi) ranges from any thread. */
void rs_vecmath_exp(float *restrict out, const float *restrict x, size_t n);
void rs_vecmath_log(float *restrict out, const float *restrict x, size_t n);
void rs_vecmath_tanh(float *restrict out, const float *restrict x, size_t n);
void rs_vecmath_sigmoid(float *restrict out, const float *restrict x,
                        size_t n);
void rs_vecmath_softplus(float *restrict out, const float *restrict x,
                         size_t n);

#endif /* RS_CORE_VECMATH_H */
