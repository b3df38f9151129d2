/* repscope - MIT licence, see COPYING.
 *
 * t_ui_frame.c: the frame view (ui/frame.h). A known 4 x 6 matrix of
 * codes (with an out-of-range code and a NaN) drawn in 256 colours: every
 * cell's glyph and colour against the glyph and colour strings, the
 * frame centred; monochrome: the same glyphs, no colour; ASCII: the same
 * text. Each colour letter maps to its own ANSI colour in 8 colours (k
 * excepted: dim grey), upper case is bold, anything else the terminal's
 * colour. A 10 x 10 frame in a smaller panel keeps its bottom rows and
 * middle columns and says "cut"; `wide` doubles the columns when they fit
 * and falls back to one when not; without glyphs codes are digits. Row
 * labels stand left of their rows (the two centred together), give way
 * first when narrow (cut with an ellipsis, 3 columns at least), follow
 * cropped rows, and let wide fall back when it no longer fits beside
 * them. The views: JSON kind "frame" parses (glyphs, colors, wide,
 * labels) and a panel fills from a bus. Golden screens for the known
 * matrix.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/bus.h"
#include "tests/tap.h"
#include "tests/ui_fixture.h"
#include "ui/colormap.h"
#include "ui/frame.h"
#include "ui/views.h"
#include "ui/viewspec.h"

static const struct rs_ui_ctx ctx_8 = {RS_COLOR_8, false, NULL, false};

/* The known matrix: codes 0 (blank), 1 '#' (w), 2 'o' (Y: bold yellow),
 * 3 '=' (r), 4 '@' (no colour letter), 9 (out of range), NaN. */
#define KR 4
#define KC 6
static const char k_glyphs[] = " #o=@";
static const char k_colors[] = "kwYr";

static void
known(float *d)
{
    static const float codes[KR * KC] = {
        1, 1, 1, 1, 1, 1, /* a wall */
        0, 2, 0, 0, 3, 0, /* a ball and a brick */
        0, 0, 4, 9, 0, 0, /* a cell with no colour, a bad code */
        1, 0, 0, 0, 0, 1, /* the floor's ends */
    };
    memcpy(d, codes, sizeof codes);
    d[2 * KC + 5] = NAN;
}

static struct rs_canvas *
draw(int w, int h, const struct rs_frame *f, const struct rs_ui_ctx *ctx)
{
    struct rs_canvas *cv = rs_canvas_new(w, h);
    rs_frame_draw(cv, (struct rs_rect){0, 0, w, h}, f, ctx);
    return cv;
}

static bool
has(const struct rs_canvas *cv, const char *text)
{
    char *s = rs_canvas_dump_string(cv, false);
    bool r = strstr(s, text) != NULL;
    free(s);
    return r;
}

/* ---- the known matrix ---------------------------------------------------- */

static void
test_known(void)
{
    float d[KR * KC];
    known(d);
    struct rs_frame f;
    rs_frame_init(&f);
    f.title = "env";
    f.data = d;
    f.rows = KR;
    f.cols = KC;
    f.glyphs = k_glyphs;
    f.colors = k_colors;
    /* 14 x 8: inside 12 x 6, the frame at x 1 + (12 - 6) / 2 = 4, y 1 +
     * (6 - 4) / 2 = 2 */
    struct rs_canvas *cv = draw(14, 8, &f, &fx_utf8);
    static const char *const want[KR] = {"######", " o  = ", "  @? ?",
                                         "#    #"};
    bool glyphs = true, colours = true;
    for (int y = 0; y < KR; y++)
        for (int x = 0; x < KC; x++) {
            const struct rs_cell *c = rs_canvas_cell(cv, 4 + x, 2 + y);
            glyphs &= c->glyph == (uint32_t)want[y][x];
            uint32_t fg = RS_COLOR_DEFAULT;
            switch (want[y][x]) {
            case '#':
                fg = rs_frame_color('w');
                break;
            case 'o':
                fg = rs_frame_color('y');
                break;
            case '=':
                fg = rs_frame_color('r');
                break;
            case ' ':
                fg = rs_frame_color('k');
                break;
            default: /* '@' has no letter, '?' is no code */
                break;
            }
            colours &= c->fg == fg;
        }
    tap_ok(glyphs, "known matrix: every cell its code's glyph, '?' for 9 "
                   "and NaN");
    tap_ok(colours, "known matrix: every cell its code's colour");
    tap_ok(rs_canvas_cell(cv, 5, 3)->attr == RS_ATTR_BOLD &&
               rs_canvas_cell(cv, 4, 2)->attr == 0,
           "upper-case letter: bold; lower-case: not");
    tap_ok(has(cv, "env") && has(cv, "4\u00d76") && !has(cv, "cut"),
           "title and size, nothing cut");
    golden_check(cv, false, "frame_known_utf8");
    rs_canvas_free(cv);

    /* monochrome: the same glyphs, no colour (bold stays) */
    cv = draw(14, 8, &f, &fx_mono);
    bool nocolour = true;
    for (int y = 0; y < KR; y++)
        for (int x = 0; x < KC; x++) {
            const struct rs_cell *c = rs_canvas_cell(cv, 4 + x, 2 + y);
            nocolour &=
                c->fg == RS_COLOR_DEFAULT && c->glyph == (uint32_t)want[y][x];
        }
    tap_ok(nocolour, "monochrome: the glyphs alone");
    tap_ok(rs_canvas_cell(cv, 5, 3)->attr == RS_ATTR_BOLD, "monochrome: bold");
    rs_canvas_free(cv);

    /* ASCII: the glyphs are ASCII already; the chrome follows --ascii */
    cv = draw(14, 8, &f, &fx_ascii);
    tap_ok(has(cv, "4x6"), "ASCII: the size with an x");
    golden_check(cv, true, "frame_known_ascii");
    rs_canvas_free(cv);

    /* empty and too small */
    f.data = NULL;
    cv = draw(14, 8, &f, &fx_utf8);
    tap_ok(has(cv, "no data"), "no matrix: no data");
    rs_canvas_free(cv);
    f.data = d;
    cv = draw(2, 2, &f, &fx_utf8);
    tap_ok(rs_canvas_cell(cv, 0, 0)->glyph != '#', "2 x 2: nothing inside");
    rs_canvas_free(cv);
}

/* ---- colours ------------------------------------------------------------- */

static void
test_colors(void)
{
    static const char letters[] = "krgybmcw";
    bool ansi = true;
    for (int i = 1; i < 8; i++) {
        int got = rs_rgb_to_8(rs_frame_color(letters[i]));
        if (got != i) {
            tap_diag("'%c' maps to ANSI %d", letters[i], got);
            ansi = false;
        }
        ansi &= rs_frame_color((char)(letters[i] - 'a' + 'A')) ==
                rs_frame_color(letters[i]);
    }
    tap_ok(ansi, "r g y b m c w (and upper case): each its ANSI colour");
    tap_ok(rs_frame_color('k') != RS_COLOR_DEFAULT &&
               rs_rgb_to_256(rs_frame_color('k')) > 16,
           "k: a grey that shows on a dark terminal");
    tap_ok(rs_frame_color('-') == RS_COLOR_DEFAULT &&
               rs_frame_color('x') == RS_COLOR_DEFAULT,
           "another character: the terminal's colour");

    /* 8 colours draw the same cells, mapped by the backend */
    float d[KR * KC];
    known(d);
    struct rs_frame f;
    rs_frame_init(&f);
    f.data = d;
    f.rows = KR;
    f.cols = KC;
    f.glyphs = k_glyphs;
    f.colors = k_colors;
    struct rs_canvas *cv = draw(14, 8, &f, &ctx_8);
    tap_is_int(rs_rgb_to_8(rs_canvas_cell(cv, 8, 3)->fg), 1,
               "8 colours: '=' is red");
    rs_canvas_free(cv);
}

/* ---- geometry ------------------------------------------------------------ */

static void
test_crop(void)
{
    /* code = row (0..9) in column c, so a cell tells where it came from */
    float d[100];
    for (int r = 0; r < 10; r++)
        for (int c = 0; c < 10; c++)
            d[r * 10 + c] = (float)((r + c) % 10);
    struct rs_frame f;
    rs_frame_init(&f);
    f.title = "grid";
    f.data = d;
    f.rows = 10;
    f.cols = 10;
    f.glyphs = "0123456789";
    /* inside 6 x 5: the bottom rows 5 .. 9, columns 2 .. 7 */
    struct rs_canvas *cv = draw(8, 7, &f, &fx_utf8);
    bool ok = true;
    for (int y = 0; y < 5; y++)
        for (int x = 0; x < 6; x++)
            ok &= rs_canvas_cell(cv, 1 + x, 1 + y)->glyph ==
                  (uint32_t)('0' + (5 + y + 2 + x) % 10);
    tap_ok(ok, "10 x 10 in 6 x 5: the bottom rows 5-9, columns 2-7");
    rs_canvas_free(cv);
    cv = draw(20, 7, &f, &fx_utf8);
    tap_ok(has(cv, "10\u00d710 cut"), "cropped: the title says cut");
    rs_canvas_free(cv);

    /* wide: 3 x 4 in a 10-wide inside: two columns per code */
    f.rows = 3;
    f.cols = 4;
    f.wide = true;
    cv = draw(12, 5, &f, &fx_utf8);
    ok = true;
    for (int x = 0; x < 8; x++)
        ok &=
            rs_canvas_cell(cv, 2 + x, 1)->glyph == (uint32_t)('0' + x / 2 % 10);
    tap_ok(ok, "wide: each code twice, centred");
    rs_canvas_free(cv);
    cv = draw(8, 5, &f, &fx_utf8); /* inside 6: 8 columns do not fit */
    ok = true;
    for (int x = 0; x < 4; x++)
        ok &= rs_canvas_cell(cv, 2 + x, 1)->glyph == (uint32_t)('0' + x);
    tap_ok(ok, "wide in a narrow panel: one column per code");
    rs_canvas_free(cv);

    /* no glyphs: the digits, 0 blank */
    float codes[4] = {0, 1, 9, 10};
    f.data = codes;
    f.rows = 1;
    f.cols = 4;
    f.wide = false;
    f.glyphs = NULL;
    cv = draw(6, 3, &f, &fx_utf8);
    char line[5] = "";
    for (int x = 0; x < 4; x++)
        line[x] = (char)rs_canvas_cell(cv, 1 + x, 1)->glyph;
    tap_is_str(line, " 19a", "no glyphs: code k as a digit, then letters");
    rs_canvas_free(cv);
}

/* ---- row labels ---------------------------------------------------------- */

/* The text of row y from column x, w columns, as UTF-8 (static). */
static const char *
text_at(const struct rs_canvas *cv, int x, int y, int w)
{
    static char buf[128];
    size_t k = 0;
    for (int i = 0; i < w && k + 5 < sizeof buf; i++)
        k += (size_t)rs_utf8_encode(rs_canvas_cell(cv, x + i, y)->glyph,
                                    buf + k);
    buf[k] = '\0';
    return buf;
}

static void
test_labels(void)
{
    /* 3 x 6 codes 1..6 per row (glyphs "abcdef" after a blank code 0) */
    float d[60];
    for (int r = 0; r < 10; r++)
        for (int c = 0; c < 6; c++)
            d[r * 6 + c] = (float)(1 + c);
    static const char *const labels[] = {"layout", "vanilla", "bc", NULL,
                                         "r4",     "r5",      "r6", "r7",
                                         "r8",     "r9"};
    struct rs_frame f;
    rs_frame_init(&f);
    f.title = "strip";
    f.data = d;
    f.rows = 3;
    f.cols = 6;
    f.glyphs = " abcdef";
    f.labels = labels;
    f.nlabels = 3;
    /* 30 x 7: inside 28 x 5; labels 7 wide, a blank, 6 codes: 14 columns
     * from x 1 + (28 - 14) / 2 = 8, the frame at 16, rows from y 2 */
    struct rs_canvas *cv = draw(30, 7, &f, &fx_utf8);
    tap_is_str(text_at(cv, 8, 2, 14), "layout  abcdef", "labels: row 0");
    tap_is_str(text_at(cv, 8, 3, 14), "vanilla abcdef", "labels: row 1");
    tap_is_str(text_at(cv, 8, 4, 14), "bc      abcdef", "labels: row 2");
    tap_ok(rs_canvas_cell(cv, 8, 3)->fg == rs_theme_dark.tick,
           "labels: in the tick colour");
    tap_ok(has(cv, "3\u00d76") && !has(cv, "cut"),
           "labels: the title keeps its size");
    rs_canvas_free(cv);

    /* without labels the frame is centred as before: x 1 + (28 - 6) / 2 */
    f.labels = NULL;
    cv = draw(30, 7, &f, &fx_utf8);
    tap_is_str(text_at(cv, 12, 3, 6), "abcdef", "no labels: centred");
    rs_canvas_free(cv);
    f.labels = labels;

    /* inside 12: the labels give way to 5 columns, cut with an ellipsis */
    cv = draw(14, 7, &f, &fx_utf8);
    tap_is_str(text_at(cv, 1, 3, 12), "vani\u2026 abcdef",
               "narrow: labels cut to fit, the frame whole");
    tap_is_str(text_at(cv, 1, 4, 12), "bc    abcdef",
               "narrow: short ones kept");
    tap_ok(!has(cv, "cut"), "narrow: nothing of the frame cut");
    rs_canvas_free(cv);

    /* inside 6: labels 3 columns, 2 of the frame's, which is cut */
    cv = draw(8, 7, &f, &fx_utf8);
    tap_is_str(text_at(cv, 1, 3, 6), "va\u2026 cd", "very narrow: 3 + 2");
    rs_canvas_free(cv);

    /* wide: two columns per code when they fit beside the labels */
    f.wide = true;
    cv = draw(30, 7, &f, &fx_utf8); /* 7 + 1 + 12 = 20 <= 28 */
    tap_is_str(text_at(cv, 5, 3, 20), "vanilla aabbccddeeff",
               "wide beside the labels");
    rs_canvas_free(cv);
    cv = draw(20, 7, &f, &fx_utf8); /* 20 > 18: one column */
    tap_is_str(text_at(cv, 3, 3, 14), "vanilla abcdef",
               "wide does not fit beside the labels: one column");
    rs_canvas_free(cv);
    f.wide = false;

    /* cropped rows: the labels follow their rows (rows 5-9 of 10 shown);
     * a NULL label and rows past nlabels are blank */
    f.rows = 10;
    f.nlabels = 10;
    cv = draw(30, 7, &f, &fx_utf8);
    /* (as wide as the widest label of any row, shown or not) */
    tap_is_str(text_at(cv, 8, 1, 14), "r5      abcdef", "cropped: row 5 first");
    tap_is_str(text_at(cv, 8, 5, 14), "r9      abcdef", "cropped: row 9 last");
    rs_canvas_free(cv);
    f.rows = 5;
    f.nlabels = 4;
    cv = draw(30, 7, &f, &fx_utf8);
    tap_is_str(text_at(cv, 8, 4, 14), "        abcdef", "a NULL label: blank");
    tap_is_str(text_at(cv, 8, 5, 14), "        abcdef",
               "a row past the labels: blank");
    rs_canvas_free(cv);

    /* ASCII: the ellipsis is the backend's; the labels are the same */
    f.rows = 3;
    f.nlabels = 3;
    cv = draw(30, 7, &f, &fx_ascii);
    tap_is_str(text_at(cv, 8, 3, 14), "vanilla abcdef", "ASCII: the same");
    rs_canvas_free(cv);
}

/* ---- views --------------------------------------------------------------- */

static void
test_views(void)
{
    static const char json[] =
        "{\"views\":[{\"kind\":\"frame\",\"matrix\":\"base/env/frame\","
        "\"title\":\"base\",\"glyphs\":\" #o=@\",\"colors\":\"kwYr\","
        "\"wide\":true}]}";
    struct rs_error err = {0};
    struct rs_viewspec_set *set = rs_viewspec_parse(json, &err);
    if (!tap_ok(set != NULL && set->n == 1, "frame view spec parses")) {
        tap_diag("%s", err.msg);
        rs_viewspec_free(set);
        return;
    }
    const struct rs_viewspec *v = &set->v[0];
    tap_ok(v->kind == RS_VIEWSPEC_FRAME &&
               strcmp(v->matrix, "base/env/frame") == 0 &&
               strcmp(v->glyphs, " #o=@") == 0 &&
               strcmp(v->colors, "kwYr") == 0 && v->wide,
           "frame spec: matrix, glyphs, colors, wide");
    rs_bus *bus = rs_bus_new();
    float d[KR * KC];
    known(d);
    rs_bus_put_matrix(bus, "base/env/frame", 1, KR, KC, d, NULL, NULL);
    rs_bus_flush(bus);
    rs_views *vw = rs_views_new(set);
    rs_viewspec_free(set);
    struct rs_widget *w = rs_views_widget(vw, 0);
    w->r = (struct rs_rect){0, 0, 20, 8};
    struct rs_bus_status st = {.total = 10, .step = 1};
    struct rs_views_frame fr = {.st = &st};
    rs_views_fill(vw, bus, &fr);
    const struct rs_frame *f = rs_frame_widget_data(w);
    tap_ok(f->rows == KR && f->cols == KC && f->data[1] == 1 && f->wide &&
               strcmp(f->glyphs, " #o=@") == 0 && strcmp(f->title, "base") == 0,
           "frame panel: the matrix, glyphs, title");
    tap_ok(rs_views_changed(vw, 0), "frame panel: changed on the first fill");
    struct rs_canvas *cv = rs_canvas_new(20, 8);
    rs_widget_draw(w, cv, &fx_utf8);
    /* inside 18: 12 columns at x 1 + 3, the ball row 3 */
    tap_ok(rs_canvas_cell(cv, 6, 3)->glyph == 'o' &&
               rs_canvas_cell(cv, 7, 3)->glyph == 'o',
           "frame panel draws it, wide");
    rs_canvas_free(cv);
    rs_views_fill(vw, bus, &fr);
    tap_ok(!rs_views_changed(vw, 0), "frame panel: unchanged on a refill");
    char *tmp = tap_tmpdir("t_ui_frame");
    char path[512];
    snprintf(path, sizeof path, "%s/frame.svg", tmp);
    FILE *out = fopen(path, "w");
    tap_ok(out != NULL && rs_views_export(vw, 0, out, &err) == RS_OK,
           "frame panel exports as SVG");
    if (out != NULL)
        fclose(out);
    free(tmp);
    rs_views_free(vw);

    /* a spec's labels reach the panel's frame */
    static const char json2[] =
        "{\"views\":[{\"kind\":\"frame\",\"matrix\":\"base/env/frame\","
        "\"labels\":[\"wall\",\"\",\"mid\",\"floor\"]}]}";
    set = rs_viewspec_parse(json2, &err);
    vw = rs_views_new(set);
    rs_viewspec_free(set);
    rs_views_widget(vw, 0)->r = (struct rs_rect){0, 0, 20, 8};
    rs_views_fill(vw, bus, &fr);
    f = rs_frame_widget_data(rs_views_widget(vw, 0));
    tap_ok(f->nlabels == 4 && strcmp(f->labels[0], "wall") == 0 &&
               f->labels[1][0] == '\0' && strcmp(f->labels[3], "floor") == 0,
           "frame panel: the spec's labels");
    char *svg = NULL;
    size_t svglen = 0;
    out = open_memstream(&svg, &svglen);
    tap_ok(rs_views_export(vw, 0, out, &err) == RS_OK && fclose(out) == 0 &&
               strstr(svg, ">wall</text>") != NULL &&
               strstr(svg, ">floor</text>") != NULL,
           "frame panel exports its row labels");
    free(svg);
    rs_views_free(vw);
    rs_bus_free(bus);
}

int
main(void)
{
    tap_plan_lazy();
    test_known();
    test_colors();
    test_crop();
    test_labels();
    test_views();
    return tap_done();
}
