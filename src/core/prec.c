/* repscope - MIT licence, see COPYING.
 *
 * prec.c: bf16/fp16 emulation by integer bit manipulation on the float32
 * encoding (round-to-nearest-even, independent of the FPU rounding mode).
 *
 * Two independent paths: the bit conversions (rs_prec_f32_to_bf16/f16 and
 * back) and the in-float rounding used by rs_prec_round and the hot
 * rs_prec_round_inplace loop, which never leaves the float32 encoding. The
 * test checks that both agree. Invariants of the fp16 path: overflow (at or
 * above 65520) gives +-inf, values below 2^-14 round to multiples of 2^-24
 * (subnormals), NaN stays NaN (quieted, payload truncated), -0 stays -0.
 * Pure functions, any thread.
 */
#include "config.h"

#include "core/prec.h"

#include <string.h>

static uint32_t
float_bits(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static float
bits_float(uint32_t u)
{
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

const char *
rs_prec_name(enum rs_prec p)
{
    switch (p) {
    case RS_PREC_F32:
        return "f32";
    case RS_PREC_BF16:
        return "bf16";
    case RS_PREC_F16:
        return "f16";
    }
    return "?";
}

int
rs_prec_parse(const char *s)
{
    if (s == NULL)
        return -1;
    if (strcmp(s, "f32") == 0 || strcmp(s, "fp32") == 0)
        return RS_PREC_F32;
    if (strcmp(s, "bf16") == 0)
        return RS_PREC_BF16;
    if (strcmp(s, "f16") == 0 || strcmp(s, "fp16") == 0)
        return RS_PREC_F16;
    return -1;
}

/* ---- bit conversions ---------------------------------------------------- */

uint16_t
rs_prec_f32_to_bf16(float x)
{
    uint32_t u = float_bits(x);
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((u >> 16) | 0x0040u); /* quiet NaN */
    /* Add half an ulp minus one, plus the kept lsb: ties go to even. */
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

float
rs_prec_bf16_to_f32(uint16_t h)
{
    return bits_float((uint32_t)h << 16);
}

uint16_t
rs_prec_f32_to_f16(float x)
{
    uint32_t u = float_bits(x);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
    uint32_t a = u & 0x7fffffffu;
    if (a > 0x7f800000u) /* NaN: quiet bit plus the top payload bits */
        return (uint16_t)(sign | 0x7e00u | ((a >> 13) & 0x3ffu));
    if (a >= 0x47800000u) /* >= 65536 (or inf): overflow */
        return (uint16_t)(sign | 0x7c00u);
    if (a >= 0x38800000u) {
        /* Normal in fp16: rebias the exponent (127 -> 15) and round the
         * 13 dropped bits to nearest even; a carry that reaches the
         * exponent is correct, and one past 0x7bff gives 0x7c00 = inf. */
        a -= (uint32_t)(127 - 15) << 23;
        a += 0x0fffu + ((a >> 13) & 1u);
        return (uint16_t)(sign | (a >> 13));
    }
    /* Below 2^-14: an fp16 subnormal k * 2^-24, k = round(m * 2^(e-126)),
     * m the 24-bit significand. Under 2^-25 (e < 102) everything is 0. */
    uint32_t e = a >> 23;
    if (e < 102)
        return sign;
    uint32_t m = (a & 0x7fffffu) | 0x800000u;
    uint32_t s = 126 - e; /* 14 .. 24 */
    uint32_t q = m >> s;
    uint32_t rem = m & ((1u << s) - 1u);
    uint32_t half = 1u << (s - 1);
    if (rem > half || (rem == half && (q & 1u)))
        q++; /* q may reach 0x400: the smallest normal, encoded right */
    return (uint16_t)(sign | q);
}

float
rs_prec_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t e = (h >> 10) & 0x1fu;
    uint32_t m = h & 0x3ffu;
    if (e == 0x1f) /* inf or NaN, payload kept */
        return bits_float(sign | 0x7f800000u | (m << 13));
    if (e != 0)
        return bits_float(sign | ((e + 127 - 15) << 23) | (m << 13));
    if (m == 0)
        return bits_float(sign);
    /* Subnormal: normalise. 2^-14 has float exponent field 113. */
    e = 113;
    while ((m & 0x400u) == 0) {
        m <<= 1;
        e--;
    }
    return bits_float(sign | (e << 23) | ((m & 0x3ffu) << 13));
}

/* ---- rounding inside the float32 encoding -------------------------------- */

/* u rounded to bf16 precision, still a float32 encoding. */
static inline uint32_t
round_bf16_bits(uint32_t u)
{
    uint32_t r = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
    uint32_t qnan = (u | 0x00400000u) & 0xffff0000u;
    return (u & 0x7fffffffu) > 0x7f800000u ? qnan : r;
}

/* u rounded to fp16 precision and range, still a float32 encoding. Drops
 * s low bits with round-half-even: s = 13 for fp16 normals; below 2^-14
 * (exponent field e < 113) the quantum is fixed at 2^-24, so s = 126 - e.
 * For e = 103 (s = 23) the kept lsb is the implicit bit, which bit 23 (the
 * exponent lsb, 103 odd) happens to equal; e <= 102 is handled apart.
 * Written with selects only so the loop stays branch-free. */
static inline uint32_t
round_f16_bits(uint32_t u)
{
    uint32_t sign = u & 0x80000000u;
    uint32_t a = u & 0x7fffffffu;
    uint32_t e = a >> 23;
    uint32_t s = e < 113 ? 126 - e : 13;
    s = s > 23 ? 23 : s;
    uint32_t low = (1u << s) - 1u;
    uint32_t r = (a + (low >> 1) + ((a >> s) & 1u)) & ~low;
    /* [2^-25, 2^-24): up to 2^-24 unless exactly the tie 2^-25. */
    uint32_t tiny = a > 0x33000000u ? 0x33800000u : 0u;
    r = e <= 102 ? tiny : r;
    r = r >= 0x47800000u ? 0x7f800000u : r; /* overflow, inf */
    r = a > 0x7f800000u ? ((a | 0x00400000u) & 0xffffe000u) : r; /* NaN */
    return r | sign;
}

float
rs_prec_round(float x, enum rs_prec p)
{
    switch (p) {
    case RS_PREC_BF16:
        return bits_float(round_bf16_bits(float_bits(x)));
    case RS_PREC_F16:
        return bits_float(round_f16_bits(float_bits(x)));
    case RS_PREC_F32:
        break;
    }
    return x;
}

/* Blocks of a fixed size let the compiler vectorise the inner loop even
 * at -O2 (its cheap cost model wants no scalar epilogue). The memcpy pairs
 * are plain loads and stores that keep the float storage's effective type
 * (no aliasing through a uint32_t pointer). */
#define PREC_BLOCK 16

static inline void
round_one(float *restrict x, size_t i, enum rs_prec p)
{
    uint32_t u;
    memcpy(&u, &x[i], sizeof u);
    u = p == RS_PREC_BF16 ? round_bf16_bits(u) : round_f16_bits(u);
    memcpy(&x[i], &u, sizeof u);
}

static void
round_bf16_array(float *restrict x, size_t n)
{
    size_t i = 0;
    for (; i + PREC_BLOCK <= n; i += PREC_BLOCK)
        for (size_t j = 0; j < PREC_BLOCK; j++)
            round_one(x, i + j, RS_PREC_BF16);
    for (; i < n; i++)
        round_one(x, i, RS_PREC_BF16);
}

static void
round_f16_array(float *restrict x, size_t n)
{
    size_t i = 0;
    for (; i + PREC_BLOCK <= n; i += PREC_BLOCK)
        for (size_t j = 0; j < PREC_BLOCK; j++)
            round_one(x, i + j, RS_PREC_F16);
    for (; i < n; i++)
        round_one(x, i, RS_PREC_F16);
}

void
rs_prec_round_inplace(float *x, size_t n, enum rs_prec p)
{
    switch (p) {
    case RS_PREC_BF16:
        round_bf16_array(x, n);
        break;
    case RS_PREC_F16:
        round_f16_array(x, n);
        break;
    case RS_PREC_F32:
        break;
    }
}

double
rs_prec_resolution(enum rs_prec p)
{
    switch (p) {
    case RS_PREC_BF16:
        return 0x1.0p-8;
    case RS_PREC_F16:
        return 0x1.0p-11;
    case RS_PREC_F32:
        break;
    }
    return 0x1.0p-24;
}
