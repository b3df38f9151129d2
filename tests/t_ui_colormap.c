/* repscope - MIT licence, see COPYING.
 *
 * t_ui_colormap.c: colour maps (published endpoints), the reduction of
 * 24-bit colours to the xterm-256 and ANSI palettes (indices worked out
 * by hand from the xterm cube levels 0,95,135,175,215,255 and the grey
 * ramp 8+10k), glyph ramps, number formatting and axis scales.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/tap.h"
#include "ui/canvas.h"
#include "ui/colormap.h"
#include "ui/fmt.h"
#include "ui/scale.h"

static void
test_maps(void)
{
    /* matplotlib viridis: (0.267004, 0.004874, 0.329415) and
     * (0.993248, 0.906157, 0.143936) */
    tap_is_int((long)rs_cmap_viridis[0], 0x440154, "viridis start");
    tap_is_int((long)rs_cmap_viridis[255], 0xfde725, "viridis end");
    tap_is_int((long)rs_cmap_seq(0.5), (long)rs_cmap_viridis[128], "mid");
    uint32_t mid = rs_cmap_viridis[128]; /* viridis(0.5) = #21918c */
    tap_ok(abs((int)(mid >> 16) - 0x21) <= 3 &&
               abs((int)((mid >> 8) & 0xff) - 0x91) <= 3 &&
               abs((int)(mid & 0xff) - 0x8c) <= 3,
           "viridis middle near #21918c (%06x)", (unsigned)mid);
    tap_is_int((long)rs_cmap_seq(-3), 0x440154, "clamped low");
    tap_is_int((long)rs_cmap_seq(NAN), 0x808080, "NaN grey");
    tap_is_int((long)rs_cmap_div(-1), 0x053061, "diverging blue end");
    tap_is_int((long)rs_cmap_div(0), 0xf7f7f7, "diverging white centre");
    tap_is_int((long)rs_cmap_div(1), 0x67001f, "diverging red end");
    tap_is_int((long)rs_cmap_div(0.2), 0xfddbc7, "diverging next stop");
    /* monotone lightness on both sides of the centre */
    bool mono = true;
    for (int i = 1; i <= 10; i++) {
        uint32_t a = rs_cmap_div(i / 10.0), b = rs_cmap_div((i - 1) / 10.0);
        mono = mono && (a & 0xff) <= (b & 0xff);
    }
    tap_ok(mono, "red side darkens");
    tap_is_int((long)rs_rgb_mix(0x000000, 0xffffff, 0.5), 0x808080, "mix");
    tap_is_int((long)rs_rgb_mix(RS_COLOR_DEFAULT, 0, 0.5),
               (long)RS_COLOR_DEFAULT, "mix keeps default");
    tap_is_int((long)rs_cmap_glyph(0, true), ' ', "ramp blank");
    tap_is_int((long)rs_cmap_glyph(1, true), '@', "ramp full (ascii)");
    tap_is_int((long)rs_cmap_glyph(0.55, true), '+', "ramp level 5");
    tap_is_int((long)rs_cmap_glyph(1, false), 0x2588, "ramp full");
    tap_is_int((long)rs_cmap_glyph(0.45, false), 0x2592, "ramp ▒");
    tap_is_int((long)rs_cmap_glyph_signed(-1, false), 0x2261, "negative");
    tap_is_int((long)rs_cmap_glyph_signed(0.5, true), '+', "positive ascii");
}

static void
test_palette(void)
{
    static const struct {
        uint32_t rgb;
        int want;
        const char *why;
    } c256[] = {
        {0x000000, 16, "black is cube 0"},
        {0xffffff, 231, "white is cube 5,5,5"},
        {0xff0000, 196, "red: 16 + 36*5"},
        {0x00ff00, 46, "green: 16 + 6*5"},
        {0x0000ff, 21, "blue: 16 + 5"},
        {0x5f87af, 67, "cube 1,2,3 exactly"},
        {0x808080, 244, "grey 128 = 8 + 10*12"},
        {0x121212, 233, "grey 18 = 8 + 10*1"},
        {0xeeeeee, 255, "grey 238 = 8 + 10*23"},
        {0xfde725, 220, "viridis end: cube 5,4,0 (255,215,0)"},
        {0x440154, 53, "viridis start: cube 1,0,1 (95,0,95)"},
    };
    for (size_t i = 0; i < RS_ARRAY_LEN(c256); i++)
        tap_is_int(rs_rgb_to_256(c256[i].rgb), c256[i].want, "256: %s",
                   c256[i].why);
    tap_is_int(rs_rgb_to_256(RS_COLOR_DEFAULT), -1, "default stays default");
    static const struct {
        uint32_t rgb;
        int want;
    } c8[] = {{0x000000, 0}, {0xffffff, 7}, {0xd70000, 1}, {0x00af00, 2},
              {0xffd75f, 3}, {0x0000d7, 4}, {0xaf00af, 5}, {0x5fd7ff, 6},
              {0x303030, 0}, {0xa8a8a8, 7}};
    for (size_t i = 0; i < RS_ARRAY_LEN(c8); i++)
        tap_is_int(rs_rgb_to_8(c8[i].rgb), c8[i].want, "8: %06x",
                   (unsigned)c8[i].rgb);
}

static void
test_fmt(void)
{
    char b[32];
    static const struct {
        double v;
        const char *want;
    } si[] = {{0, "0"},        {950, "950"},     {1000, "1k"},
              {1500, "1.5k"},  {12345, "12.3k"}, {999999, "1M"},
              {1.2e6, "1.2M"}, {-2500, "-2.5k"}, {0.25, "0.25"},
              {3e9, "3G"},     {6200, "6.2k"},   {100000, "100k"}};
    for (size_t i = 0; i < RS_ARRAY_LEN(si); i++)
        tap_is_str(rs_fmt_si(si[i].v, b, sizeof b), si[i].want, "si %g",
                   si[i].v);
    tap_is_str(rs_fmt_exp(1e-3, b, sizeof b), "1e-3", "exp 1e-3");
    tap_is_str(rs_fmt_exp(1, b, sizeof b), "1e0", "exp 1e0");
    tap_is_str(rs_fmt_exp(2e5, b, sizeof b), "2e5", "exp 2e5");
    tap_is_str(rs_fmt_exp(9.99e-3, b, sizeof b), "1e-2", "exp rounds up");
    tap_is_str(rs_fmt_num(0.998, b, sizeof b), "0.998", "num");
    tap_is_str(rs_fmt_num(12.346, b, sizeof b), "12.35", "num 2 dec");
    tap_is_str(rs_fmt_num(2.3e-4, b, sizeof b), "2.30e-4", "num small");
    tap_is_str(rs_fmt_num(123456, b, sizeof b), "123k", "num large");
    tap_is_str(rs_fmt_num(NAN, b, sizeof b), "nan", "num nan");
    tap_is_str(rs_fmt_tick(0.25, 0.25, b, sizeof b), "0.25", "tick 0.25");
    tap_is_str(rs_fmt_tick(1, 0.5, b, sizeof b), "1.0", "tick 1.0 / 0.5");
    tap_is_str(rs_fmt_tick(-1e-17, 0.5, b, sizeof b), "0.0", "tick -0");
    tap_is_str(rs_fmt_tick(20000, 5000, b, sizeof b), "20k", "tick SI");
    tap_is_str(rs_fmt_tick(5e-4, 5e-4, b, sizeof b), "5e-4", "tick exp");
    tap_is_str(rs_fmt_grouped(6200, b, sizeof b), "6 200", "grouped");
    tap_is_str(rs_fmt_grouped(1048576, b, sizeof b), "1 048 576", "groups");
    tap_is_str(rs_fmt_grouped(-999, b, sizeof b), "-999", "small negative");
    tap_is_str(rs_fmt_duration(41, b, sizeof b), "0:41", "duration m:ss");
    tap_is_str(rs_fmt_duration(3725, b, sizeof b), "1:02:05", "h:mm:ss");
    tap_is_str(rs_fmt_duration(200000, b, sizeof b), "2d07h", "days");
    tap_is_str(rs_fmt_duration(-1, b, sizeof b), "?", "unknown");
}

static void
test_scale(void)
{
    struct rs_scale s = {0.02, 0.98, false};
    rs_scale_nice(&s, 3);
    tap_ok(s.lo == 0 && s.hi == 1, "nice [0.02, 0.98] / 3 ticks -> [0, 1]");
    double t[16], step;
    int n = rs_scale_ticks(&s, 5, t, 16, &step);
    tap_ok(n == 5 && step == 0.25 && t[0] == 0 && t[4] == 1, "5 ticks of 0.25");
    tap_is_float(rs_scale_step(0, 7, 5), 2, 0, 0, "step for 7/4 is 2");
    tap_is_float(rs_scale_step(0, 9, 5), 2.5, 0, 0, "step 2.5");
    struct rs_scale l = {0.0023, 4.6, true};
    rs_scale_nice(&l, 4);
    tap_ok(fabs(l.lo - 1e-3) < 1e-15 && fabs(l.hi - 10) < 1e-12,
           "log nice to decades");
    n = rs_scale_ticks(&l, 5, t, 16, &step);
    tap_ok(n == 5 && step == 0 && fabs(t[0] - 1e-3) < 1e-15 &&
               fabs(t[4] - 10) < 1e-12,
           "one tick per decade");
    n = rs_scale_ticks(&l, 3, t, 16, &step);
    tap_ok(n == 3 && fabs(t[0] - 1e-3) < 1e-15 && fabs(t[2] - 10) < 1e-12,
           "thinned to every other decade from the top");
    tap_is_float(rs_scale_pos(&l, 0.1), 0.5, 1e-12, 0, "log position");
    tap_ok(isnan(rs_scale_pos(&l, 0)), "0 has no log position");
    tap_is_float(rs_scale_at(&l, 0.25), 1e-2, 1e-15, 0, "log inverse");
    struct rs_scale few = {2, 30, true};
    n = rs_scale_ticks(&few, 5, t, 16, &step);
    tap_ok(n == 4 && t[0] == 2 && t[1] == 5 && t[2] == 10 && t[3] == 20,
           "within 1.2 decades: 1-2-5 ticks");
    struct rs_scale bad = {5, 5, false};
    rs_scale_fix(&bad);
    tap_ok(bad.lo < 5 && bad.hi > 5, "empty range widened");
    struct rs_scale neg = {-1, 10, true};
    rs_scale_fix(&neg);
    tap_ok(neg.lo > 0 && neg.hi == 10, "log range made positive");
    struct rs_scale inf = {NAN, 1, false};
    rs_scale_fix(&inf);
    tap_ok(inf.lo == 0 && inf.hi == 1, "NaN bounds reset");
}

int
main(void)
{
    tap_plan_lazy();
    test_maps();
    test_palette();
    test_fmt();
    test_scale();
    return tap_done();
}
