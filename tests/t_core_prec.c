/* repscope - MIT licence, see COPYING.
 *
 * t_core_prec.c: bf16/fp16 emulation. Known bit patterns (worked out by
 * hand from the IEEE layouts), exhaustive round trips over every bf16 and
 * fp16 value, rs_prec_round against a reference that rounds in double
 * arithmetic (x / quantum through nearbyint, the FPU's ties-to-even), the
 * bit conversions against rs_prec_round on random bit patterns, the
 * in-place loop against the scalar function, and a graph running at bf16
 * and fp16 precision.
 */
#include "config.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/base.h"
#include "core/graph.h"
#include "core/ops.h"
#include "core/prec.h"
#include "core/rng.h"
#include "tests/tap.h"

static uint32_t
bits(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static float
from_bits(uint32_t u)
{
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* Same value, or both NaN; -0 and +0 differ. */
static bool
same(float a, float b)
{
    return (isnan(a) && isnan(b)) || bits(a) == bits(b);
}

static void
test_bf16_bits(void)
{
    static const struct {
        float x;
        uint16_t h;
        const char *what;
    } cases[] = {
        {1.0f, 0x3f80, "1.0"},
        {-2.0f, 0xc000, "-2.0"},
        {3.140625f, 0x4049, "3.140625 exact"},
        {1.0f + 0x1.0p-8f, 0x3f80, "1 + 2^-8 tie -> even 1.0"},
        {1.0f + 3 * 0x1.0p-8f, 0x3f82, "1 + 3*2^-8 tie -> even up"},
        {1.0f + 0x1.0p-8f + 0x1.0p-20f, 0x3f81, "just above the tie"},
        {-(1.0f + 0x1.0p-8f + 0x1.0p-20f), 0xbf81, "negative above tie"},
        {FLT_MAX, 0x7f80, "FLT_MAX overflows to inf"},
        {INFINITY, 0x7f80, "inf"},
        {-INFINITY, 0xff80, "-inf"},
        {-0.0f, 0x8000, "-0"},
        {0x1.0p-133f, 0x0001, "smallest bf16 subnormal"},
        {0x1.0p-149f, 0x0000, "float denormal min -> 0"},
    };
    for (size_t i = 0; i < RS_ARRAY_LEN(cases); i++)
        tap_is_int(rs_prec_f32_to_bf16(cases[i].x), cases[i].h, "bf16 %s",
                   cases[i].what);

    uint16_t h = rs_prec_f32_to_bf16(from_bits(0x7f800001u)); /* sNaN */
    tap_ok((h & 0x7f80) == 0x7f80 && (h & 0x0040) != 0,
           "bf16 signalling NaN -> quiet NaN (0x%04x)", h);
    tap_ok(isnan(rs_prec_bf16_to_f32(rs_prec_f32_to_bf16(NAN))),
           "bf16 NaN round trip");
    tap_is_float(rs_prec_bf16_to_f32(0x4049), 3.140625, 0.0, 0.0,
                 "bf16 0x4049 -> 3.140625");
    tap_ok(bits(rs_prec_bf16_to_f32(0x8000)) == 0x80000000u, "bf16 -0 back");

    /* Every bf16 pattern survives the round trip (NaN stays NaN). */
    int bad = 0;
    for (uint32_t k = 0; k <= 0xffff; k++) {
        float x = rs_prec_bf16_to_f32((uint16_t)k);
        uint16_t back = rs_prec_f32_to_bf16(x);
        if (isnan(x) ? !isnan(rs_prec_bf16_to_f32(back)) : back != k)
            bad++;
    }
    tap_is_int(bad, 0, "all 65536 bf16 values round-trip");
}

static void
test_f16_bits(void)
{
    static const struct {
        float x;
        uint16_t h;
        const char *what;
    } cases[] = {
        {1.0f, 0x3c00, "1.0"},
        {-2.0f, 0xc000, "-2.0"},
        {0.1f, 0x2e66, "0.1"},
        {65504.0f, 0x7bff, "65504 = max"},
        {65519.0f, 0x7bff, "65519 -> 65504"},
        {65520.0f, 0x7c00, "65520 tie -> inf"},
        {-65520.0f, 0xfc00, "-65520 -> -inf"},
        {1e6f, 0x7c00, "1e6 -> inf"},
        {INFINITY, 0x7c00, "inf"},
        {-INFINITY, 0xfc00, "-inf"},
        {-0.0f, 0x8000, "-0"},
        {1.0f + 0x1.0p-11f, 0x3c00, "1 + 2^-11 tie -> even 1.0"},
        {1.0f + 3 * 0x1.0p-11f, 0x3c02, "1 + 3*2^-11 tie -> even up"},
        {1.0f + 0x1.0p-11f + 0x1.0p-20f, 0x3c01, "just above the tie"},
        {0x1.0p-14f, 0x0400, "2^-14 smallest normal"},
        {0x1.0p-24f, 0x0001, "2^-24 smallest subnormal"},
        {-0x1.0p-24f, 0x8001, "-2^-24"},
        {0x1.0p-25f, 0x0000, "2^-25 tie -> 0"},
        {0x1.000002p-25f, 0x0001, "just above 2^-25 -> 2^-24"},
        {0x1.fffffep-26f, 0x0000, "just below 2^-25 -> 0"},
        {0x1.8p-24f, 0x0002, "1.5 * 2^-24 tie -> 2"},
        {0x1.4p-23f, 0x0002, "2.5 * 2^-24 tie -> 2"},
        {1023 * 0x1.0p-24f, 0x03ff, "largest subnormal"},
        {1023.5f * 0x1.0p-24f, 0x0400, "tie above the largest subnormal"},
        {0x1.0p-26f, 0x0000, "2^-26 -> 0"},
        {0x1.0p-149f, 0x0000, "float denormal min -> 0"},
    };
    for (size_t i = 0; i < RS_ARRAY_LEN(cases); i++)
        tap_is_int(rs_prec_f32_to_f16(cases[i].x), cases[i].h, "f16 %s",
                   cases[i].what);

    uint16_t h = rs_prec_f32_to_f16(from_bits(0x7f800001u));
    tap_ok((h & 0x7c00) == 0x7c00 && (h & 0x0200) != 0,
           "f16 signalling NaN -> quiet NaN (0x%04x)", h);
    h = rs_prec_f32_to_f16(-NAN);
    tap_ok((h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0 && (h & 0x8000),
           "f16 -NaN stays a negative NaN (0x%04x)", h);

    tap_is_float(rs_prec_f16_to_f32(0x0001), 0x1.0p-24, 0.0, 0.0,
                 "f16 0x0001 -> 2^-24");
    tap_is_float(rs_prec_f16_to_f32(0x03ff), 1023 * 0x1.0p-24, 0.0, 0.0,
                 "f16 0x03ff -> 1023 * 2^-24");
    tap_is_float(rs_prec_f16_to_f32(0x7bff), 65504.0, 0.0, 0.0,
                 "f16 0x7bff -> 65504");
    tap_is_float(rs_prec_f16_to_f32(0x3555), 0.333251953125, 0.0, 0.0,
                 "f16 0x3555 -> 0.333251953125");
    tap_ok(isinf(rs_prec_f16_to_f32(0xfc00)) &&
               rs_prec_f16_to_f32(0xfc00) < 0.0f,
           "f16 0xfc00 -> -inf");
    tap_ok(isnan(rs_prec_f16_to_f32(0x7e00)), "f16 0x7e00 -> NaN");
    tap_ok(bits(rs_prec_f16_to_f32(0x8000)) == 0x80000000u, "f16 -0 back");

    int bad = 0;
    for (uint32_t k = 0; k <= 0xffff; k++) {
        float x = rs_prec_f16_to_f32((uint16_t)k);
        uint16_t back = rs_prec_f32_to_f16(x);
        if (isnan(x) ? !isnan(rs_prec_f16_to_f32(back)) : back != k)
            bad++;
    }
    tap_is_int(bad, 0, "all 65536 f16 values round-trip");
}

/* Reference rounding in double: x to the grid of a format with `mant`
 * explicit mantissa bits, smallest normal exponent emin (subnormal
 * quantum 2^(emin - mant)) and largest finite value maxval; ties to even
 * through nearbyint. */
static float
ref_round(float xf, int mant, int emin, double maxval)
{
    double x = (double)xf;
    if (isnan(x) || isinf(x) || x == 0.0)
        return xf;
    int e;
    frexp(x, &e); /* |x| = f * 2^e, f in [0.5, 1) */
    e -= 1;       /* |x| in [2^e, 2^(e+1)) */
    if (e < emin)
        e = emin;
    double q = ldexp(1.0, e - mant);
    double r = nearbyint(x / q) * q;
    /* Rounding past the largest finite value (the tie at max + ulp/2
     * goes to the even neighbour 2^(emax+1)) overflows to inf. */
    if (fabs(r) > maxval)
        return x < 0 ? -INFINITY : INFINITY;
    return (float)copysign(fabs(r), x);
}

static float
ref_bf16(float x)
{
    return ref_round(x, 7, -126, 0x1.fep127);
}

static float
ref_f16(float x)
{
    return ref_round(x, 10, -14, 65504.0);
}

/* A random float with a log-uniform magnitude in [2^lo, 2^hi). */
static float
random_float(struct rs_rng *r, int lo, int hi)
{
    double mag = ldexp(1.0 + rs_rng_uniform_double(r),
                       lo + (int)rs_rng_below(r, (uint32_t)(hi - lo)));
    float x = (float)mag;
    /* Sometimes land exactly on a tie or a representable value. */
    uint32_t u = bits(x);
    switch (rs_rng_below(r, 4)) {
    case 0:
        u = (u & ~0x1fffu) | 0x1000u; /* f16 normal tie */
        break;
    case 1:
        u = (u & ~0xffffu) | 0x8000u; /* bf16 tie */
        break;
    default:
        break;
    }
    x = from_bits(u);
    return rs_rng_below(r, 2) ? -x : x;
}

static void
test_round_reference(void)
{
    struct rs_rng r;
    rs_rng_seed(&r, 2024);
    int bad16 = 0, badb = 0;
    float first16 = 0.0f, firstb = 0.0f;
    for (int i = 0; i < 400000; i++) {
        float x = random_float(&r, -30, 18);
        if (!same(rs_prec_round(x, RS_PREC_F16), ref_f16(x))) {
            if (bad16++ == 0)
                first16 = x;
        }
        float y = random_float(&r, -140, 128);
        if (!same(rs_prec_round(y, RS_PREC_BF16), ref_bf16(y))) {
            if (badb++ == 0)
                firstb = y;
        }
    }
    tap_is_int(bad16, 0, "f16 round matches the double reference");
    if (bad16)
        tap_diag("first: %a -> %a, want %a", (double)first16,
                 (double)rs_prec_round(first16, RS_PREC_F16),
                 (double)ref_f16(first16));
    tap_is_int(badb, 0, "bf16 round matches the double reference");
    if (badb)
        tap_diag("first: %a -> %a, want %a", (double)firstb,
                 (double)rs_prec_round(firstb, RS_PREC_BF16),
                 (double)ref_bf16(firstb));
}

/* The two implementations (bit conversions; in-float rounding) agree on
 * arbitrary bit patterns, including NaN payloads and float denormals, and
 * densely over the fp16 subnormal and overflow regions. */
static void
test_round_vs_convert(void)
{
    struct rs_rng r;
    rs_rng_seed(&r, 7);
    int bad16 = 0, badb = 0;
    uint32_t first = 0;
    for (int i = 0; i < 1000000; i++) {
        uint32_t u = (uint32_t)rs_rng_next(&r);
        float x = from_bits(u);
        float c16 = rs_prec_f16_to_f32(rs_prec_f32_to_f16(x));
        float cb = rs_prec_bf16_to_f32(rs_prec_f32_to_bf16(x));
        if (!same(rs_prec_round(x, RS_PREC_F16), c16)) {
            if (bad16++ == 0)
                first = u;
        }
        if (!same(rs_prec_round(x, RS_PREC_BF16), cb))
            badb++;
    }
    /* Exponent fields 95..116 cover 2^-32 .. 2^-10 (subnormals and the
     * normal boundary); 140..145 cover 2^13 .. 2^19 (overflow). */
    for (uint32_t e = 95; e <= 145; e++) {
        if (e > 116 && e < 140)
            continue;
        for (uint32_t m = 0; m < 0x800000u; m += 37) {
            for (uint32_t s = 0; s < 2; s++) {
                uint32_t u = (s << 31) | (e << 23) | m;
                float x = from_bits(u);
                float c16 = rs_prec_f16_to_f32(rs_prec_f32_to_f16(x));
                if (!same(rs_prec_round(x, RS_PREC_F16), c16)) {
                    if (bad16++ == 0)
                        first = u;
                }
            }
        }
    }
    tap_is_int(bad16, 0, "f16 round == convert and back");
    if (bad16)
        tap_diag("first bits 0x%08x", (unsigned)first);
    tap_is_int(badb, 0, "bf16 round == convert and back (1M patterns)");
}

static void
test_inplace(void)
{
    enum { N = 1037 }; /* not a multiple of the block size */
    static float a[N], b[N];
    struct rs_rng r;
    rs_rng_seed(&r, 11);
    static const enum rs_prec precs[] = {RS_PREC_F32, RS_PREC_BF16,
                                         RS_PREC_F16};
    for (size_t k = 0; k < RS_ARRAY_LEN(precs); k++) {
        for (int i = 0; i < N; i++)
            a[i] = i % 3 == 0 ? from_bits((uint32_t)rs_rng_next(&r))
                              : random_float(&r, -30, 20);
        a[5] = NAN;
        a[6] = -0.0f;
        a[7] = 65520.0f;
        memcpy(b, a, sizeof a);
        rs_prec_round_inplace(a, N, precs[k]);
        int bad = 0;
        for (int i = 0; i < N; i++)
            bad += !same(a[i], rs_prec_round(b[i], precs[k]));
        tap_is_int(bad, 0, "%s: round_inplace == scalar round",
                   rs_prec_name(precs[k]));
    }
    tap_ok(bits(rs_prec_round(-0.0f, RS_PREC_F16)) == 0x80000000u &&
               bits(rs_prec_round(-0.0f, RS_PREC_BF16)) == 0x80000000u,
           "-0 kept by round");
    tap_ok(isnan(rs_prec_round(NAN, RS_PREC_F16)) &&
               isnan(rs_prec_round(NAN, RS_PREC_BF16)),
           "NaN kept by round");
    tap_ok(bits(rs_prec_round(from_bits(0x12345678u), RS_PREC_F32)) ==
               0x12345678u,
           "f32 round is the identity");
}

static void
test_names(void)
{
    tap_is_float(rs_prec_resolution(RS_PREC_BF16), 1.0 / 256, 0.0, 0.0,
                 "bf16 resolution 2^-8");
    tap_is_float(rs_prec_resolution(RS_PREC_F16), 1.0 / 2048, 0.0, 0.0,
                 "f16 resolution 2^-11");
    tap_is_float(rs_prec_resolution(RS_PREC_F32), 0x1.0p-24, 0.0, 0.0,
                 "f32 resolution 2^-24");
    tap_is_str(rs_prec_name(RS_PREC_BF16), "bf16", "bf16 name");
    tap_is_int(rs_prec_parse("fp16"), RS_PREC_F16, "parse fp16");
    tap_is_int(rs_prec_parse("f16"), RS_PREC_F16, "parse f16");
    tap_is_int(rs_prec_parse("fp32"), RS_PREC_F32, "parse fp32");
    tap_is_int(rs_prec_parse("bf16"), RS_PREC_BF16, "parse bf16");
    tap_is_int(rs_prec_parse("fp8"), -1, "parse unknown");
}

static void
test_graph(void)
{
    rs_graph *g = rs_graph_new();
    int shape[1] = {4};
    /* 1 + 2^-10 and 1 + 3*2^-9 fall between bf16 neighbours 1 and
     * 1 + 2^-7; 3.14159265 -> 3.140625 (0x4049); -0.001 = -1.024 * 2^-10
     * -> -131/128 * 2^-10 = -0.00099945068359375. */
    static const float x[4] = {1.0f + 0x1.0p-10f, 1.0f + 3 * 0x1.0p-9f,
                               3.14159265f, -0.001f};
    static const float want_bf16[4] = {1.0f, 1.0078125f, 3.140625f,
                                       -0.00099945068359375f};
    /* x + 0.5 in bf16: 1.5009766 -> 1.5 (spacing 2^-7 in [1, 2));
     * 1.5058594 = 192.75 * 2^-7 -> 1.5078125; 3.6415927 -> 3.640625
     * (spacing 2^-6); 0.499 = 255.488 * 2^-9 -> 0.498046875. */
    static const float want_add[4] = {1.5f, 1.5078125f, 3.640625f,
                                      0.498046875f};

    rs_graph_set_precision(g, RS_PREC_BF16);
    tap_is_int(rs_graph_precision(g), RS_PREC_BF16, "graph precision set");
    rs_tensor *in = rs_graph_input(g, 1, shape, x);
    rs_tensor *y = rs_op_scale(g, in, 1.0f);
    rs_tensor *z = rs_op_add_scalar(g, in, 0.5f);
    if (y == NULL || z == NULL) {
        tap_diag("%s", rs_graph_error(g)->msg);
        tap_skip(3, "elementwise ops not available");
    } else {
        tap_is_floats(y->data, want_bf16, 4, 0.0, 0.0,
                      "bf16 graph rounds scale output");
        tap_is_floats(z->data, want_add, 4, 0.0, 0.0,
                      "bf16 graph rounds add_scalar output");
        tap_is_floats(in->data, x, 4, 0.0, 0.0, "input itself untouched");
    }

    rs_graph_reset(g);
    rs_graph_set_precision(g, RS_PREC_F16);
    /* f16: 1 + 2^-12 -> 1; 70000 -> inf; 2^-25 * 3 -> 2^-23 (tie to 2);
     * 0.1 -> 0x2e66 = 0.0999755859375. */
    static const float xf[4] = {1.0f + 0x1.0p-12f, 70000.0f, 3 * 0x1.0p-25f,
                                0.1f};
    static const float want_f16[4] = {1.0f, INFINITY, 0x1.0p-23f,
                                      0.0999755859375f};
    in = rs_graph_input(g, 1, shape, xf);
    y = rs_op_scale(g, in, 1.0f);
    if (y == NULL) {
        tap_skip(1, "elementwise ops not available");
    } else {
        tap_is_floats(y->data, want_f16, 4, 0.0, 0.0,
                      "f16 graph rounds op output");
    }

    rs_graph_reset(g);
    rs_graph_set_precision(g, RS_PREC_F32);
    in = rs_graph_input(g, 1, shape, x);
    y = rs_op_scale(g, in, 1.0f);
    if (y == NULL)
        tap_skip(1, "elementwise ops not available");
    else
        tap_is_floats(y->data, x, 4, 0.0, 0.0, "f32 graph does not round");
    rs_graph_free(g);
}

int
main(void)
{
    tap_plan_lazy();
    test_bf16_bits();
    test_f16_bits();
    test_round_reference();
    test_round_vs_convert();
    test_inplace();
    test_names();
    test_graph();
    return tap_done();
}
