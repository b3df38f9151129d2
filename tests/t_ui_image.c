/* repscope - MIT licence, see COPYING.
 *
 * t_ui_image.c: the picture views. rs_image: a horizontal gradient reads
 * as an increasing grey ramp (half blocks) and an increasing glyph ramp
 * (ASCII); a 4 x 4 checkerboard enlarged x2 keeps its squares; a large
 * matrix is reduced by area means keeping its aspect ratio; a constant
 * and an empty image. rs_alignmap: five learners and four words at 40 x
 * 11 (the 80x24 panel) show whole in colour and ASCII, the outline marks
 * sit beside the named item's block (found in the dump, positions
 * computed here from the geometry), the mass share against a direct sum.
 * rs_patchgrid: right/wrong colours, the mono marker and reverse video,
 * the counts. The views: JSON kinds image/align/patches parse, and
 * panels fill from a bus (word labels from row labels, items from the
 * truth, a matrix of another width left out). Golden screens for each.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/bus.h"
#include "tests/tap.h"
#include "tests/ui_fixture.h"
#include "ui/alignmap.h"
#include "ui/colormap.h"
#include "ui/image.h"
#include "ui/patchgrid.h"
#include "ui/views.h"
#include "ui/viewspec.h"

static const struct rs_ui_ctx ctx_true = {RS_COLOR_TRUE, false, NULL, false};
static const struct rs_ui_ctx ctx_8 = {RS_COLOR_8, false, NULL, false};

/* Whether the UTF-8 dump of cv holds text. */
static bool
has(const struct rs_canvas *cv, const char *text)
{
    char *s = rs_canvas_dump_string(cv, false);
    bool r = strstr(s, text) != NULL;
    free(s);
    return r;
}

static unsigned
grey_of(uint32_t rgb)
{
    return rgb & 0xff;
}

/* ---- image --------------------------------------------------------------- */

static struct rs_canvas *
draw_image(int w, int h, const struct rs_image *im, const struct rs_ui_ctx *ctx)
{
    struct rs_canvas *cv = rs_canvas_new(w, h);
    rs_image_draw(cv, (struct rs_rect){0, 0, w, h}, im, ctx);
    return cv;
}

static void
test_gradient(void)
{
    /* 4 x 16, v = column: in a 16 x 2 inside (32 pixel rows... no: 4)
     * the picture is 1:1, two cell rows of half blocks */
    float d[4 * 16];
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 16; c++)
            d[r * 16 + c] = (float)c;
    struct rs_image im;
    rs_image_init(&im);
    im.title = "gradient";
    im.data = d;
    im.rows = 4;
    im.cols = 16;
    struct rs_canvas *cv = draw_image(18, 4, &im, &ctx_true);
    bool up = true, same_rows = true, halves = true;
    for (int x = 1; x <= 16; x++) {
        const struct rs_cell *c = rs_canvas_cell(cv, x, 1);
        const struct rs_cell *c2 = rs_canvas_cell(cv, x, 2);
        halves &= c->glyph == 0x2580 && c->fg == c->bg;
        same_rows &= c2->fg == c->fg;
        if (x > 1)
            up &= grey_of(c->fg) > grey_of(rs_canvas_cell(cv, x - 1, 1)->fg);
    }
    tap_ok(halves, "gradient: upper half blocks, both pixels of a cell alike");
    tap_ok(up, "gradient: the grey increases left to right");
    tap_ok(same_rows, "gradient: every row alike");
    tap_is_int((long)rs_canvas_cell(cv, 1, 1)->fg, 0x000000, "min is black");
    tap_is_int((long)rs_canvas_cell(cv, 16, 1)->fg, 0xffffff, "max is white");
    rs_canvas_free(cv);

    /* ASCII: the ramp " .:-=+*#%@" in order, one glyph per column */
    cv = draw_image(18, 4, &im, &fx_ascii);
    static const char ramp[] = " .:-=+*#%@";
    int prev = -1;
    bool mono = true;
    for (int x = 1; x <= 16; x++) {
        uint32_t g = rs_canvas_cell(cv, x, 1)->glyph;
        const char *at = g < 128 ? strchr(ramp, (int)g) : NULL;
        int lv = at != NULL ? (int)(at - ramp) : -2;
        mono &= lv >= prev;
        prev = lv;
    }
    tap_ok(mono && prev == 9 && rs_canvas_cell(cv, 1, 1)->glyph == ' ',
           "ASCII gradient: the ramp rises from ' ' to '@'");
    golden_check(cv, true, "image_gradient_ascii");
    rs_canvas_free(cv);
    /* 8 colours: the ramp too (greys would all be black or white) */
    cv = draw_image(18, 4, &im, &ctx_8);
    tap_ok(rs_canvas_cell(cv, 16, 1)->glyph == '@', "8 colours: glyph ramp");
    rs_canvas_free(cv);
}

static void
test_checker(void)
{
    float d[16];
    for (int i = 0; i < 16; i++)
        d[i] = (float)(((i / 4) + (i % 4)) % 2);
    struct rs_image im;
    rs_image_init(&im);
    im.title = "checker";
    im.data = d;
    im.rows = 4;
    im.cols = 4;
    /* inside 18 x 4: 18 pixel columns, 8 pixel rows: x2, 8 pixels wide
     * from x = 1 + (18 - 8) / 2 */
    struct rs_canvas *cv = draw_image(20, 6, &im, &fx_utf8);
    bool ok = true;
    for (int py = 0; py < 8; py++)
        for (int px = 0; px < 8; px++) {
            const struct rs_cell *c = rs_canvas_cell(cv, 6 + px, 1 + py / 2);
            uint32_t got = py % 2 == 0 ? c->fg : c->bg;
            uint32_t want = ((py / 2 + px / 2) % 2) ? 0xffffff : 0x000000;
            ok &= got == want;
        }
    tap_ok(ok, "checkerboard x2: each square 2 x 2 pixels");
    tap_ok(has(cv, "4\u00d74 \u00d72"), "title line says 4x4 x2");
    golden_check(cv, false, "image_checker_utf8");
    rs_canvas_free(cv);
    cv = draw_image(20, 6, &im, &fx_ascii);
    golden_check(cv, true, "image_checker_ascii");
    rs_canvas_free(cv);
}

static void
test_reduce(void)
{
    /* 56 x 112, left half 0, right half 1, into 20 x 8 inside (16 pixel
     * rows): s = min(20/112, 16/56) -> 20 x 10 pixels, aspect kept */
    enum { R = 56, C = 112 };
    float *d = malloc(sizeof *d * R * C);
    for (int i = 0; i < R * C; i++)
        d[i] = (i % C) < C / 2 ? 0.0f : 1.0f;
    struct rs_image im;
    rs_image_init(&im);
    im.data = d;
    im.rows = R;
    im.cols = C;
    struct rs_canvas *cv = draw_image(22, 10, &im, &fx_utf8);
    int lit = 0, dark = 0, rows_used = 0;
    for (int y = 1; y <= 8; y++) {
        bool any = false;
        for (int x = 1; x <= 20; x++) {
            const struct rs_cell *c = rs_canvas_cell(cv, x, y);
            if (c->glyph != 0x2580)
                continue;
            any = true;
            lit += x > 10 && c->fg == 0xffffff;
            dark += x <= 10 && c->fg == 0x000000;
        }
        rows_used += any;
    }
    tap_is_int(lit, 50, "reduced: the right half white (10 x 5 cells)");
    tap_is_int(dark, 50, "reduced: the left half black");
    tap_is_int(rows_used, 5, "reduced: aspect 1:2 kept (10 pixel rows)");
    tap_ok(has(cv, "\u00f75.6"), "title line says /5.6");
    rs_canvas_free(cv);
    free(d);

    float k[4] = {3, 3, 3, 3};
    im.data = k;
    im.rows = im.cols = 2;
    double lo, hi;
    rs_image_range(&im, &lo, &hi);
    cv = draw_image(6, 3, &im, &fx_utf8); /* 2 x 2 from x = 2 */
    tap_ok(lo < 3 && hi > 3 && rs_canvas_cell(cv, 2, 1)->fg == 0x808080,
           "a constant image is mid grey");
    rs_canvas_free(cv);
    im.data = NULL;
    cv = draw_image(20, 5, &im, &fx_utf8);
    tap_ok(has(cv, "no data"), "no matrix: no data");
    rs_canvas_free(cv);
}

/* A 28 x 28 "sandal-ish" test picture for the golden screens: a ring. */
static void
test_image_golden(void)
{
    float d[28 * 28];
    for (int r = 0; r < 28; r++)
        for (int c = 0; c < 28; c++) {
            double dx = c - 13.5, dy = r - 13.5;
            double rr = sqrt(dx * dx + dy * dy);
            d[r * 28 + c] = (float)(rr < 12 ? 1.0 - fabs(rr - 8) / 4 : 0);
            if (d[r * 28 + c] < 0)
                d[r * 28 + c] = 0;
        }
    struct rs_image im;
    rs_image_init(&im);
    im.title = "sample";
    im.data = d;
    im.rows = im.cols = 28;
    im.vmin = 0;
    im.vmax = 1;
    struct rs_canvas *cv = draw_image(40, 11, &im, &fx_utf8);
    golden_check(cv, false, "image_ring_utf8");
    /* in 256 colours the greys are the palette's (232..255 and the
     * cube's greys) */
    char *ansi = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&ansi, &len);
    rs_canvas_dump_ansi(cv, f, RS_COLOR_256, false);
    fclose(f);
    golden_check_text(ansi, "image_ring_ansi256");
    bool greys = true;
    for (const char *q = ansi; (q = strstr(q, "8;5;")) != NULL; q += 4) {
        int idx = atoi(q + 4);
        greys &= idx >= 232 || idx == 16 || idx == 59 || idx == 102 ||
                 idx == 145 || idx == 188 || idx == 231;
    }
    tap_ok(greys, "256 colours: only grey palette entries");
    free(ansi);
    rs_canvas_free(cv);
    cv = draw_image(40, 11, &im, &fx_ascii);
    golden_check(cv, true, "image_ring_ascii");
    rs_canvas_free(cv);
}

/* ---- align --------------------------------------------------------------- */

enum { NLRN = 5, NW = 4, P = 16 };
static float amaps[NLRN][NW * P];
static const char *const anames[NLRN] = {"clip", "sparc", "nosparse", "softmax",
                                         "sparc_best"};
static const char *const awords[NW] = {"trouser", "bag", "sneaker", "t-shirt"};
static const int atruth[NW] = {3, 0, 1, 2};
static int arows[NLRN] = {NW, NW, NW, NW, NW};

/* Learner i puts weight on word w's item (i <= 2) or uniformly (else),
 * plus a little on patch 5. */
static void
align_fixture(struct rs_alignmap *a, const float *maps[NLRN])
{
    for (int i = 0; i < NLRN; i++) {
        for (int w = 0; w < NW; w++) {
            float *m = amaps[i] + w * P;
            int br = atruth[w] / 2, bc = atruth[w] % 2;
            for (int p = 0; p < P; p++) {
                bool in = (p / 4) / 2 == br && (p % 4) / 2 == bc;
                m[p] = i <= 2 ? (in ? 0.2f : 0.0f) : 1.0f / 16;
            }
            m[5] += 0.2f;
        }
        maps[i] = amaps[i];
    }
    rs_alignmap_init(a);
    a->title = "alignment";
    a->nlearners = NLRN;
    a->learners = anames;
    a->maps = maps;
    a->rows = arows;
    a->patches = P;
    a->words = NW;
    a->word_labels = awords;
    a->truth = atruth;
    a->grid = 2;
}

static struct rs_canvas *
draw_align(int w, int h, const struct rs_alignmap *a,
           const struct rs_ui_ctx *ctx)
{
    struct rs_canvas *cv = rs_canvas_new(w, h);
    rs_alignmap_draw(cv, (struct rs_rect){0, 0, w, h}, a, ctx);
    return cv;
}

static void
test_align(void)
{
    const float *maps[NLRN];
    struct rs_alignmap a;
    align_fixture(&a, maps);
    /* the mass share against a direct sum: word 0 (item 3), learner 0:
     * 0.8 of 1.0 inside (patch 5 is item 0's) */
    tap_is_float(rs_alignmap_mass(&a, 0, 0, 3), 0.8, 1e-6, 0,
                 "mass share inside the named block");
    tap_is_float(rs_alignmap_mass(&a, 3, 1, 0), (4.0 / 16 + 0.2) / 1.2, 1e-6, 0,
                 "mass share of a uniform map plus patch 5");
    tap_ok(isnan(rs_alignmap_mass(&a, 0, 0, -1)), "no item: NaN");

    /* 80x24 panel, colour: half blocks, everything shown */
    struct rs_canvas *cv = draw_align(40, 11, &a, &fx_utf8);
    char *s = rs_canvas_dump_string(cv, false);
    tap_ok(strstr(s, "+") == NULL || strstr(s, "\u2510") != NULL,
           "colour 40x11: no words left out");
    tap_ok(strstr(s, "t-shi\u2026") != NULL && strstr(s, "bag") != NULL,
           "word labels shown (cut to the room left)");
    free(s);
    golden_check(cv, false, "align_80x24_utf8");
    /* geometry (alignmap.c): five slots of 6 (4 patches, a gutter, the
     * shared column) and a last column leave a label column of 38 - 31
     * = 7, so the first map's slot is at x = 1 + 7, content at +1;
     * header one row at y 1, word 0 at y 2..3.
     * Word 0 names item 3 (bottom right): marks on its second cell row
     * (patch rows 2-3) left of patch column 2 (x = mx + 2 + 1 - 1) and
     * right of patch column 3 (x = mx + 3 + 1 + 1). */
    int mx = 1 + 7 + 1;
    const struct rs_cell *l = rs_canvas_cell(cv, mx + 2, 3);
    const struct rs_cell *r = rs_canvas_cell(cv, mx + 5, 3);
    tap_ok(l->glyph == 0x2595 && r->glyph == 0x258f,
           "word 0: item 3's block outlined on its lower row");
    tap_ok(rs_canvas_cell(cv, mx + 2, 2)->glyph != 0x2595,
           "no mark on the upper row");
    rs_canvas_free(cv);

    /* ASCII, same panel: two patch rows per line, brackets */
    cv = draw_align(40, 11, &a, &fx_ascii);
    s = rs_canvas_dump_string(cv, true);
    golden_check(cv, true, "align_80x24_ascii");
    /* word 1 names item 0 (top left): '[' before patch column 0 (the
     * slot's shared column, x = mx - 1), ']' in the gutter (mx + 2) on
     * word 1's first line (y = 2 + 2) */
    tap_ok(rs_canvas_cell(cv, mx - 1, 4)->glyph == '[' &&
               rs_canvas_cell(cv, mx + 2, 4)->glyph == ']',
           "ASCII: word 1's item 0 in brackets");
    tap_ok(rs_canvas_cell(cv, mx - 1, 5)->glyph != '[',
           "ASCII: not on its second line");
    /* each of the five learners has its brackets on that line */
    int nb = 0;
    for (const char *c = s; *c; c++)
        nb += *c == '[';
    tap_is_int(nb, NLRN * NW, "one '[' per map");
    free(s);
    rs_canvas_free(cv);

    /* monochrome UTF-8: the glyph ramp, zero as a dot, thin bars */
    cv = draw_align(40, 11, &a, &fx_mono);
    golden_check(cv, false, "align_80x24_mono");
    rs_canvas_free(cv);

    /* zoomed (80 x 22): the mass row (with one-cell patches in colour,
     * two-column ones in ASCII) */
    cv = draw_align(80, 22, &a, &fx_utf8);
    s = rs_canvas_dump_string(cv, false);
    tap_ok(strstr(s, "80%") != NULL, "zoomed: mass shares shown");
    free(s);
    golden_check(cv, false, "align_zoom_utf8");
    rs_canvas_free(cv);
    cv = draw_align(80, 22, &a, &fx_ascii);
    golden_check(cv, true, "align_zoom_ascii");
    rs_canvas_free(cv);

    /* too short: the first words, "+n" on the title line */
    cv = draw_align(40, 6, &a, &fx_utf8);
    s = rs_canvas_dump_string(cv, false);
    tap_ok(strstr(s, "+3") != NULL, "too short (4 rows): +3 words left out");
    free(s);
    rs_canvas_free(cv);
    /* not a square */
    a.patches = 15;
    cv = draw_align(40, 11, &a, &fx_utf8);
    s = rs_canvas_dump_string(cv, false);
    tap_ok(strstr(s, "patches not a square") != NULL, "15 patches refused");
    free(s);
    rs_canvas_free(cv);
}

/* ---- patches ------------------------------------------------------------- */

static void
test_patches(void)
{
    float truth[16], pa[16], pb[16];
    for (int q = 0; q < 16; q++) {
        int item = (q / 4) / 2 * 2 + (q % 4) / 2;
        truth[q] = (float)(item * 2 + 1); /* classes 1 3 5 7 */
        pa[q] = truth[q];
        pb[q] = q % 3 == 0 ? 9.0f : truth[q];
    }
    pa[0] = 0; /* one wrong */
    static const char *const names[2] = {"clip", "sparc"};
    const float *pred[2] = {pa, pb};
    struct rs_patchgrid g;
    rs_patchgrid_init(&g);
    g.title = "patch classes";
    g.n = 2;
    g.names = names;
    g.pred = pred;
    g.truth = truth;
    g.patches = 16;
    tap_is_int(rs_patchgrid_right(&g, 0), 15, "clip: 15 right");
    tap_is_int(rs_patchgrid_right(&g, 1), 10, "sparc: 10 right");
    struct rs_canvas *cv = rs_canvas_new(40, 9);
    rs_patchgrid_draw(cv, (struct rs_rect){0, 0, 40, 9}, &g, &fx_utf8);
    /* grids: truth at x 1, clip at 1 + 9, two columns per patch */
    const struct rs_theme *th = &rs_theme_dark;
    const struct rs_cell *w0 = rs_canvas_cell(cv, 10, 2);
    const struct rs_cell *r1 = rs_canvas_cell(cv, 12, 2);
    tap_ok(w0->glyph == '0' && w0->fg == th->bad, "wrong patch in red");
    tap_ok(r1->glyph == '1' && r1->fg == th->good, "right patch in green");
    char *s = rs_canvas_dump_string(cv, false);
    tap_ok(strstr(s, "15/16") != NULL && strstr(s, "10/16") != NULL,
           "counts below the grids");
    free(s);
    golden_check(cv, false, "patches_utf8");
    rs_canvas_free(cv);
    cv = rs_canvas_new(40, 9);
    rs_patchgrid_draw(cv, (struct rs_rect){0, 0, 40, 9}, &g, &fx_ascii);
    tap_ok(rs_canvas_cell(cv, 10, 2)->glyph == '0' &&
               rs_canvas_cell(cv, 11, 2)->glyph == '!',
           "mono: a wrong patch carries '!'");
    golden_check(cv, true, "patches_ascii");
    rs_canvas_free(cv);
    /* narrow mono: reverse video instead; one column per patch, slots
     * of 5, names staggered on two rows */
    cv = rs_canvas_new(16, 9);
    rs_patchgrid_draw(cv, (struct rs_rect){0, 0, 16, 9}, &g, &fx_mono);
    const struct rs_cell *c = rs_canvas_cell(cv, 6, 3);
    tap_ok(c->glyph == '0' && (c->attr & RS_ATTR_REVERSE),
           "narrow mono: a wrong patch in reverse video");
    tap_ok(!(rs_canvas_cell(cv, 7, 3)->attr & RS_ATTR_REVERSE),
           "narrow mono: a right one not");
    s = rs_canvas_dump_string(cv, false);
    tap_ok(strstr(s, "/16") != NULL && strstr(s, "15") != NULL &&
               strstr(s, "15/16") == NULL,
           "narrow: counts alone, '/16' below the truth");
    free(s);
    rs_canvas_free(cv);
}

/* ---- views --------------------------------------------------------------- */

static const char views_json[] =
    "{\"views\":["
    "{\"kind\":\"image\",\"matrix\":\"sample\",\"title\":\"composite\","
    "\"vmin\":0,\"vmax\":1},"
    "{\"kind\":\"align\",\"matrices\":[\"clip/align\",\"sparc/align\"],"
    "\"learners\":[\"clip\",\"sparc\"],\"truth\":\"align_truth\","
    "\"grid\":2},"
    "{\"kind\":\"patches\",\"matrices\":[\"clip/patch_pred\","
    "\"sparc/patch_pred\"],\"learners\":[\"clip\",\"sparc\"],"
    "\"truth\":\"patch_truth\"}]}";

static void
test_views(void)
{
    struct rs_error err = {0};
    struct rs_viewspec_set *set = rs_viewspec_parse(views_json, &err);
    if (!tap_ok(set != NULL && set->n == 3, "image/align/patches parse")) {
        tap_diag("%s", err.msg);
        rs_viewspec_free(set);
        return;
    }
    const struct rs_viewspec *v = set->v;
    tap_ok(v[0].kind == RS_VIEWSPEC_IMAGE && v[0].vmin == 0 && v[0].vmax == 1 &&
               strcmp(v[0].matrix, "sample") == 0,
           "image: matrix and range");
    tap_ok(v[1].kind == RS_VIEWSPEC_ALIGN && v[1].nmats == 2 &&
               strcmp(v[1].mats[1], "sparc/align") == 0 &&
               strcmp(v[1].mat_labels[1], "sparc") == 0 &&
               strcmp(v[1].truth, "align_truth") == 0 && v[1].grid == 2,
           "align: matrices, learners, truth, grid");
    tap_ok(v[2].kind == RS_VIEWSPEC_PATCHES && v[2].nmats == 2 &&
               strcmp(v[2].truth, "patch_truth") == 0,
           "patches: matrices and truth");

    rs_bus *bus = rs_bus_new();
    float img[6] = {0, 0.5f, 1, 1, 0.5f, 0};
    rs_bus_put_matrix(bus, "sample", 1, 2, 3, img, NULL, NULL);
    static const char *const rl[2] = {"bag", "coat"};
    float al[2 * 16] = {0}, al3[2 * 9] = {0};
    al[3] = 1;
    rs_bus_put_matrix(bus, "clip/align", 1, 2, 16, al, rl, NULL);
    rs_bus_put_matrix(bus, "sparc/align", 1, 2, 9, al3, NULL, NULL);
    float tr[2] = {1, -1};
    rs_bus_put_matrix(bus, "align_truth", 1, 2, 1, tr, NULL, NULL);
    float pt[16], pp[16];
    for (int q = 0; q < 16; q++)
        pt[q] = pp[q] = (float)(q % 10);
    rs_bus_put_matrix(bus, "patch_truth", 1, 4, 4, pt, NULL, NULL);
    rs_bus_put_matrix(bus, "sparc/patch_pred", 1, 1, 16, pp, NULL, NULL);
    rs_bus_flush(bus);
    rs_views *vw = rs_views_new(set);
    rs_viewspec_free(set);
    for (int i = 0; i < rs_views_count(vw); i++)
        rs_views_widget(vw, i)->r = (struct rs_rect){0, 0, 40, 11};
    struct rs_bus_status st = {.total = 10, .step = 1};
    struct rs_views_frame fr = {.st = &st};
    rs_views_fill(vw, bus, &fr);
    const struct rs_image *im = rs_image_widget_data(rs_views_widget(vw, 0));
    tap_ok(im->rows == 2 && im->cols == 3 && im->data[2] == 1 &&
               im->vmax == 1 && strcmp(im->title, "composite") == 0,
           "image panel: the matrix, range and title");
    const struct rs_alignmap *a =
        rs_alignmap_widget_data(rs_views_widget(vw, 1));
    tap_ok(a->nlearners == 2 && a->patches == 16 && a->words == 2 &&
               a->maps[0] != NULL && a->maps[1] == NULL,
           "align panel: P from clip, sparc's 9-wide matrix left out");
    tap_ok(a->word_labels != NULL && strcmp(a->word_labels[1], "coat") == 0,
           "align panel: words from clip/align's row labels");
    tap_ok(a->truth != NULL && a->truth[0] == 1 && a->truth[1] == -1,
           "align panel: items from align_truth");
    tap_ok(rs_views_mentions(vw, 1, "sparc/align"),
           "the align panel mentions its matrices");
    const struct rs_patchgrid *g =
        rs_patchgrid_widget_data(rs_views_widget(vw, 2));
    tap_ok(g->patches == 16 && g->truth != NULL && g->pred[0] == NULL &&
               g->pred[1] != NULL && rs_patchgrid_right(g, 1) == 16,
           "patches panel: truth 4x4 and sparc's 1x16 predictions");
    tap_ok(rs_views_changed(vw, 0), "first fill: changed");
    tap_ok(rs_views_min_h(vw, 1) == 11 && rs_views_min_h(vw, 2) == 8,
           "align needs 11 rows (four words), patches 8");
    char *svg = NULL;
    size_t svg_len = 0;
    FILE *f = open_memstream(&svg, &svg_len);
    struct rs_error xerr = {0};
    int rc = rs_views_export(vw, 0, f, &xerr);
    fclose(f);
    tap_ok(rc == RS_OK && strstr(svg, "<svg") != NULL,
           "the image panel exports as an SVG heatmap");
    free(svg);
    f = open_memstream(&svg, &svg_len);
    rc = rs_views_export(vw, 1, f, &xerr);
    fclose(f);
    free(svg);
    tap_ok(rc != RS_OK && strcmp(xerr.msg, "nothing to export") == 0,
           "align has no SVG export: said so");
    rs_views_fill(vw, bus, &fr);
    tap_ok(!rs_views_changed(vw, 0) && !rs_views_changed(vw, 1) &&
               !rs_views_changed(vw, 2),
           "unchanged matrices: not changed");
    rs_views_free(vw);
    rs_bus_free(bus);
}

int
main(void)
{
    tap_plan_lazy();
    test_gradient();
    test_checker();
    test_reduce();
    test_image_golden();
    test_align();
    test_patches();
    test_views();
    return tap_done();
}
