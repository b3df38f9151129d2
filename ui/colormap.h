/* repscope - MIT licence, see COPYING.
 *
 * colormap.h: colour for data and chrome. A perceptual sequential map
 * (viridis, 256 entries), a diverging blue-white-red map for signed data,
 * glyph-density ramps so that meaning never rests on colour alone
 * (monochrome terminals, NO_COLOR, ASCII), the mapping of 24-bit colours
 * down to the xterm-256 and 8-colour palettes, and the UI theme (the
 * colours of borders, labels, states and series).
 *
 * Colours are 0xRRGGBB (canvas.h). Pure functions and constant tables;
 * any thread.
 */
#ifndef RS_UI_COLORMAP_H
#define RS_UI_COLORMAP_H

#include <stdbool.h>
#include <stdint.h>

/* viridis sampled at 256 entries: 0x440154 (dark violet) .. 0xfde725. */
extern const uint32_t rs_cmap_viridis[256];

/* Sequential colour of t in [0, 1] (clamped; NaN gives mid grey). */
uint32_t rs_cmap_seq(double t);
/* Diverging colour of t in [-1, 1]: -1 dark blue 0x053061, 0 near-white
 * 0xf7f7f7, +1 dark red 0x67001f (ColorBrewer RdBu; clamped; NaN grey). */
uint32_t rs_cmap_div(double t);
/* Density glyph of t in [0, 1]: " .:-=+*#%@" in ASCII, " ░▒▓█" in
 * UTF-8; equal-width bins, t <= 0 is blank. */
uint32_t rs_cmap_glyph(double t, bool ascii);
/* Number of levels of that ramp (10 or 5). */
int rs_cmap_glyph_levels(bool ascii);
/* Density glyph of signed t in [-1, 1]: the magnitude picks the level,
 * the sign the family (UTF-8: + " ░▒▓█", - " ·-=≡"; ASCII: + " :+*#",
 * - " .-=%"). */
uint32_t rs_cmap_glyph_signed(double t, bool ascii);

/* a + (b - a) t per channel, t in [0, 1]; RS_COLOR_DEFAULT operands are
 * taken as black (b) or returned unchanged (a). */
uint32_t rs_rgb_mix(uint32_t a, uint32_t b, double t);
/* Nearest xterm-256 index (16..255: the 6x6x6 cube or the grey ramp, by
 * squared RGB distance); RS_COLOR_DEFAULT gives -1. */
int rs_rgb_to_256(uint32_t rgb);
/* Nearest of the 8 ANSI colours (0 black .. 7 white) with a preference
 * for hue: greys go to black/white, saturated colours to their hue. */
int rs_rgb_to_8(uint32_t rgb);

/* The colours of the chrome. One theme for now (dark terminals); widgets
 * take it from rs_ui_ctx so a light theme can be added later. */
struct rs_theme {
    uint32_t border, border_focus;  /* panel boxes */
    uint32_t title, info;           /* box title (bold), right-hand info */
    uint32_t text, dim;             /* plain and secondary text */
    uint32_t axis, tick;            /* axis lines, tick labels */
    uint32_t accent;                /* keys, selection, cursor */
    uint32_t marker;                /* event markers */
    uint32_t good, warn, bad, idle; /* running, paused, failed, loading */
    uint32_t done;
    uint32_t dead;      /* dead units, empty cells */
    uint32_t series[8]; /* chart series, in order */
};

extern const struct rs_theme rs_theme_dark;

/* Colour of series i (cycles through the theme's eight). */
uint32_t rs_theme_series(const struct rs_theme *th, int i);

#endif /* RS_UI_COLORMAP_H */
