/* repscope - MIT licence, see COPYING.
 *
 * colormap.c: colour maps, glyph ramps, palette reduction and the theme
 * (colormap.h). The viridis table is matplotlib's viridis interpolated
 * linearly (in sRGB) between 13 published stops; the diverging map
 * interpolates ColorBrewer's 11-class RdBu. Constant data; any thread.
 */
#include "config.h"

#include "ui/colormap.h"

#include <math.h>
#include <stdlib.h>

#include "core/base.h"
#include "ui/canvas.h"

const uint32_t rs_cmap_viridis[256] = {
    0x440154, 0x440255, 0x440457, 0x440558, 0x450759, 0x45085a, 0x45095c,
    0x450b5d, 0x450c5e, 0x450d5f, 0x450f61, 0x461062, 0x461263, 0x461365,
    0x461466, 0x461667, 0x461768, 0x46186a, 0x471a6b, 0x471b6c, 0x471d6d,
    0x471e6f, 0x471f70, 0x472171, 0x472272, 0x482374, 0x482575, 0x482676,
    0x482878, 0x482978, 0x472a79, 0x472b7a, 0x472c7a, 0x462e7b, 0x462f7b,
    0x46307c, 0x45317d, 0x45327d, 0x45347e, 0x44357e, 0x44367f, 0x443780,
    0x433880, 0x433a81, 0x423b81, 0x423c82, 0x423d83, 0x413e83, 0x414084,
    0x414184, 0x404285, 0x404386, 0x404486, 0x3f4687, 0x3f4787, 0x3f4888,
    0x3e4989, 0x3e4a89, 0x3d4c89, 0x3d4d8a, 0x3d4e8a, 0x3c4f8a, 0x3c508b,
    0x3b518b, 0x3b528b, 0x3a538b, 0x3a548b, 0x39558b, 0x39568c, 0x39578c,
    0x38588c, 0x385a8c, 0x375b8c, 0x375c8c, 0x365d8c, 0x365e8d, 0x355f8d,
    0x35608d, 0x34618d, 0x34628d, 0x33638d, 0x33648d, 0x32658e, 0x32668e,
    0x31678e, 0x31688e, 0x31698e, 0x306a8e, 0x306b8e, 0x2f6c8e, 0x2f6d8e,
    0x2f6e8e, 0x2e6e8e, 0x2e6f8e, 0x2e708e, 0x2d718e, 0x2d728e, 0x2c738e,
    0x2c748e, 0x2c758e, 0x2b768e, 0x2b778e, 0x2a788e, 0x2a798e, 0x2a798e,
    0x297a8e, 0x297b8e, 0x287c8e, 0x287d8e, 0x287e8e, 0x277f8e, 0x27808e,
    0x27818e, 0x26828e, 0x26838e, 0x25848e, 0x25858e, 0x25868d, 0x24878d,
    0x24888d, 0x24898d, 0x238a8d, 0x238b8d, 0x238c8d, 0x228d8c, 0x228e8c,
    0x228f8c, 0x21908c, 0x21918c, 0x21928c, 0x21938b, 0x21948b, 0x20958b,
    0x20968b, 0x20978b, 0x20988a, 0x20998a, 0x209a8a, 0x209b8a, 0x1f9c8a,
    0x1f9c89, 0x1f9d89, 0x1f9e89, 0x209f88, 0x21a088, 0x22a187, 0x22a287,
    0x23a386, 0x24a485, 0x25a485, 0x25a584, 0x26a684, 0x27a783, 0x28a883,
    0x29a982, 0x29aa81, 0x2aab81, 0x2bac80, 0x2cac80, 0x2cad7f, 0x2dae7f,
    0x2eaf7e, 0x2fb07e, 0x30b17d, 0x30b27c, 0x31b37c, 0x32b37b, 0x33b47b,
    0x33b57a, 0x34b67a, 0x35b779, 0x37b878, 0x39b977, 0x3bba76, 0x3dba75,
    0x3fbb74, 0x41bc73, 0x43bd71, 0x44be70, 0x46bf6f, 0x48bf6e, 0x4ac06d,
    0x4cc16c, 0x4ec26b, 0x50c36a, 0x52c469, 0x54c568, 0x56c567, 0x58c666,
    0x5ac764, 0x5cc863, 0x5ec962, 0x60c961, 0x62ca60, 0x64cb5f, 0x66cb5d,
    0x68cc5c, 0x6acc5b, 0x6ccd59, 0x6fcd58, 0x71ce56, 0x74cf55, 0x76cf53,
    0x79d052, 0x7bd050, 0x7ed14e, 0x80d24d, 0x83d24b, 0x85d34a, 0x88d348,
    0x8ad446, 0x8dd545, 0x8fd543, 0x92d642, 0x94d640, 0x97d73f, 0x99d83d,
    0x9cd83b, 0x9ed93a, 0xa1d938, 0xa3da37, 0xa6db35, 0xa8db33, 0xabdc32,
    0xaddc30, 0xb0dd2f, 0xb2de2d, 0xb5de2c, 0xb7de2c, 0xbadf2b, 0xbddf2b,
    0xbfdf2b, 0xc2e02b, 0xc4e02a, 0xc7e02a, 0xc9e12a, 0xcce12a, 0xcfe129,
    0xd1e229, 0xd4e229, 0xd6e229, 0xd9e328, 0xdce328, 0xdee328, 0xe1e428,
    0xe3e427, 0xe6e427, 0xe8e427, 0xebe527, 0xeee526, 0xf0e526, 0xf3e626,
    0xf5e626, 0xf8e625, 0xfae725, 0xfde725,
};

/* RdBu, blue (negative) to red (positive). */
static const uint32_t rdbu[11] = {0x053061, 0x2166ac, 0x4393c3, 0x92c5de,
                                  0xd1e5f0, 0xf7f7f7, 0xfddbc7, 0xf4a582,
                                  0xd6604d, 0xb2182b, 0x67001f};

uint32_t
rs_cmap_seq(double t)
{
    if (isnan(t))
        return 0x808080;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    return rs_cmap_viridis[(int)lround(t * 255.0)];
}

uint32_t
rs_cmap_div(double t)
{
    if (isnan(t))
        return 0x808080;
    t = t < -1 ? -1 : t > 1 ? 1 : t;
    double u = (t + 1.0) * 5.0; /* 0 .. 10 */
    int i = (int)floor(u);
    if (i >= 10)
        return rdbu[10];
    return rs_rgb_mix(rdbu[i], rdbu[i + 1], u - i);
}

static const char ramp_ascii[] = " .:-=+*#%@";
static const uint32_t ramp_utf8[] = {' ', 0x2591, 0x2592, 0x2593, 0x2588};
static const char pos_ascii[] = " :+*#";
static const char neg_ascii[] = " .-=%";
static const uint32_t neg_utf8[] = {' ', 0x00b7, '-', '=', 0x2261};

static int
level(double t, int n)
{
    if (!(t > 0))
        return 0;
    int k = (int)(t * n);
    return k >= n ? n - 1 : k;
}

int
rs_cmap_glyph_levels(bool ascii)
{
    return ascii ? 10 : 5;
}

uint32_t
rs_cmap_glyph(double t, bool ascii)
{
    if (ascii)
        return (uint32_t)ramp_ascii[level(t, 10)];
    return ramp_utf8[level(t, 5)];
}

uint32_t
rs_cmap_glyph_signed(double t, bool ascii)
{
    int k = level(fabs(t), 5);
    if (t >= 0)
        return ascii ? (uint32_t)pos_ascii[k] : ramp_utf8[k];
    return ascii ? (uint32_t)neg_ascii[k] : neg_utf8[k];
}

uint32_t
rs_rgb_mix(uint32_t a, uint32_t b, double t)
{
    if (a == RS_COLOR_DEFAULT)
        return a;
    if (b == RS_COLOR_DEFAULT)
        b = 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    uint32_t out = 0;
    for (int sh = 16; sh >= 0; sh -= 8) {
        double ca = (a >> sh) & 0xff, cb = (b >> sh) & 0xff;
        out |= (uint32_t)lround(ca + (cb - ca) * t) << sh;
    }
    return out;
}

static int
dist2(int r1, int g1, int b1, int r2, int g2, int b2)
{
    return (r1 - r2) * (r1 - r2) + (g1 - g2) * (g1 - g2) +
           (b1 - b2) * (b1 - b2);
}

/* Index 0..5 of the xterm cube level nearest to v. */
static int
cube_index(int v)
{
    static const int lv[6] = {0, 95, 135, 175, 215, 255};
    int best = 0;
    for (int i = 1; i < 6; i++)
        if (abs(v - lv[i]) < abs(v - lv[best]))
            best = i;
    return best;
}

int
rs_rgb_to_256(uint32_t rgb)
{
    static const int lv[6] = {0, 95, 135, 175, 215, 255};
    if (rgb == RS_COLOR_DEFAULT)
        return -1;
    int r = (rgb >> 16) & 0xff, g = (rgb >> 8) & 0xff, b = rgb & 0xff;
    int ri = cube_index(r), gi = cube_index(g), bi = cube_index(b);
    int cube = 16 + 36 * ri + 6 * gi + bi;
    int dc = dist2(r, g, b, lv[ri], lv[gi], lv[bi]);
    /* grey ramp 232..255 = 8 + 10 k */
    int avg = (r + g + b) / 3;
    int k = (avg - 8 + 5) / 10;
    k = k < 0 ? 0 : k > 23 ? 23 : k;
    int gv = 8 + 10 * k;
    int dg = dist2(r, g, b, gv, gv, gv);
    return dg < dc ? 232 + k : cube;
}

int
rs_rgb_to_8(uint32_t rgb)
{
    if (rgb == RS_COLOR_DEFAULT)
        return 7;
    int r = (rgb >> 16) & 0xff, g = (rgb >> 8) & 0xff, b = rgb & 0xff;
    int mx = r > g ? (r > b ? r : b) : (g > b ? g : b);
    int mn = r < g ? (r < b ? r : b) : (g < b ? g : b);
    if (mx - mn < 48 || mx < 48) /* unsaturated: black or white */
        return mx >= 112 ? 7 : 0;
    /* Each channel counts if it is near the strongest one. */
    int th = mn + (mx - mn) / 2;
    return (r > th ? 1 : 0) | (g > th ? 2 : 0) | (b > th ? 4 : 0);
}

const struct rs_theme rs_theme_dark = {
    .border = 0x585858,
    .border_focus = 0x5fafd7,
    .title = 0xdadada,
    .info = 0x8a8a8a,
    .text = RS_COLOR_DEFAULT,
    .dim = 0x808080,
    .axis = 0x626262,
    .tick = 0x9e9e9e,
    .accent = 0x5fd7ff,
    .marker = 0xd7af5f,
    .good = 0x87d75f,
    .warn = 0xffd75f,
    .bad = 0xff5f5f,
    .idle = 0x8a8a8a,
    .done = 0x5fafff,
    .dead = 0x4e4e4e,
    .series = {0x5fafff, 0xffaf5f, 0x87d787, 0xff87af, 0xaf87ff, 0xd7d75f,
               0x5fd7d7, 0xd78787},
};

uint32_t
rs_theme_series(const struct rs_theme *th, int i)
{
    if (i < 0)
        i = -i;
    return th->series[i % 8];
}
