/* repscope - MIT licence, see COPYING.
 *
 * t_ui_seqviews.c: the sequence views. profile (ui/profile.h): the
 * chart it becomes (one bucket per finite point, x from the x row or
 * 1..n, the marker as an event whose label is given or the value, the
 * range stretched to the marker, the axis names, the cursor at a point),
 * its keys. bars (ui/bars.h): the scale, known heights in eighths, a
 * tiny value still visible, a negative bar hanging from zero, ASCII
 * glyphs, merging ("÷k"), bands left out ("+k"), labels that never
 * collide, the selection's readout. textmap (ui/textmap.h): the glyph of
 * each kind of label, the shading (viridis background with readable
 * text; five attribute steps in monochrome), wrapping at newlines and
 * between words, the names' margin, scrolling. The views: the JSON kinds
 * parse, panels fill from a bus (x row, labels, characters), refills
 * without a change say so, each exports as SVG. Golden screens.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/bus.h"
#include "tests/tap.h"
#include "tests/ui_fixture.h"
#include "ui/bars.h"
#include "ui/colormap.h"
#include "ui/profile.h"
#include "ui/textmap.h"
#include "ui/views.h"
#include "ui/viewspec.h"

static bool
has(const struct rs_canvas *cv, const char *text)
{
    char *s = rs_canvas_dump_string(cv, false);
    bool r = strstr(s, text) != NULL;
    free(s);
    return r;
}

static uint32_t
glyph(const struct rs_canvas *cv, int x, int y)
{
    return rs_canvas_cell(cv, x, y)->glyph;
}

/* ---- profile ------------------------------------------------------------- */

/* bpc by position: the first line rises past the training length, the
 * second stays flat; the second has no x row (1 .. n) and a NaN. */
static float prof_y1[8] = {2.4f, 2.3f, 2.6f, 3.5f, 4.5f, 5.0f, 5.2f, 5.2f};
static float prof_x1[8] = {64, 192, 320, 448, 576, 704, 832, 960};
static float prof_y2[8] = {2.9f, 2.8f, 2.8f, NAN, 2.9f, 2.9f, 2.9f, 3.0f};

static void
prof_init(struct rs_profile *p, struct rs_profile_line *l)
{
    rs_profile_init(p);
    l[0] = (struct rs_profile_line){"transformer", prof_y1, prof_x1, 8};
    l[1] = (struct rs_profile_line){"hawk", prof_y2, prof_x1, 8};
    p->title = "loss by position";
    p->lines = l;
    p->nlines = 2;
    p->mark = 128;
    p->mark_label = "T=128";
    p->xlabel = "position";
    p->ylabel = "bpc";
}

static void
test_profile(void)
{
    struct rs_profile p;
    struct rs_profile_line l[2];
    prof_init(&p, l);
    struct rs_profile_chart pc;
    rs_profile_chart_init(&pc, &p);
    const struct rs_chart *c = &pc.c;
    tap_ok(c->nseries == 2 && pc.s[0].n == 8 && pc.s[1].n == 7,
           "profile: one bucket per finite point (the NaN left out)");
    tap_ok(pc.s[0].pts[3].step_lo == 448 && pc.s[0].pts[3].mean == 3.5f &&
               pc.s[0].pts[3].count == 1,
           "profile: x from the x row, y the mean");
    tap_ok(c->nevents == 1 && c->events[0].step == 128 &&
               strcmp(c->events[0].label, "T=128") == 0,
           "profile: the marker is an event with its label");
    tap_is_str(c->x_label, "bpc by position", "profile: the axis names");
    rs_profile_chart_fini(&pc);

    /* no x row: 1 .. n; a marker past the data stretches the range; the
     * label defaults to the value */
    l[1].x = NULL;
    p.mark = 2048;
    p.mark_label = NULL;
    p.xlabel = NULL;
    p.cursor = 2;
    rs_profile_chart_init(&pc, &p);
    tap_ok(pc.s[1].pts[0].step_lo == 1 && pc.s[1].pts[6].step_lo == 8,
           "profile: without an x row, x is 1 .. n");
    tap_ok(pc.c.x_min == 1 && pc.c.x_max == 2048,
           "profile: the range reaches the marker");
    tap_is_str(pc.c.events[0].label, "2.05k", "profile: the marker's value");
    tap_is_str(pc.c.x_label, "bpc", "profile: the y name alone");
    tap_ok(pc.c.cursor_on && pc.c.cursor == 320,
           "profile: the cursor at point 3 of the first line");
    rs_profile_chart_fini(&pc);

    /* drawn */
    prof_init(&p, l);
    struct rs_canvas *cv = rs_canvas_new(48, 14);
    rs_profile_draw(cv, (struct rs_rect){0, 0, 48, 14}, &p, &fx_utf8);
    tap_ok(has(cv, "\u25b2T=128") && has(cv, "transformer") &&
               has(cv, "hawk") && has(cv, "bpc by position"),
           "profile drawn: the marker, the legend, the axis names");
    golden_check(cv, false, "profile_utf8");
    rs_canvas_free(cv);
    cv = rs_canvas_new(48, 14);
    rs_profile_draw(cv, (struct rs_rect){0, 0, 48, 14}, &p, &fx_ascii);
    tap_ok(has(cv, "^T=128"), "profile in ASCII: the marker");
    golden_check(cv, true, "profile_ascii");
    rs_canvas_free(cv);

    /* keys */
    struct rs_widget *w = rs_profile_widget_new();
    struct rs_profile *wp = rs_profile_widget_data(w);
    prof_init(wp, l);
    tap_ok(rs_widget_key(w, 'l') & RS_UI_REDRAW && wp->log_y,
           "profile key l: log y");
    rs_widget_key(w, RS_KEY_LEFT);
    tap_is_int(wp->cursor, 7, "profile: the first arrow starts at the last "
                              "point");
    rs_widget_key(w, RS_KEY_LEFT);
    tap_is_int(wp->cursor, 6, "profile: left moves one point");
    rs_widget_key(w, RS_KEY_HOME);
    rs_widget_key(w, RS_KEY_LEFT);
    tap_is_int(wp->cursor, 0, "profile: home, then left stays at 0");
    tap_ok(rs_widget_key(w, RS_KEY_ESC) && wp->cursor == -1 &&
               rs_widget_key(w, RS_KEY_ESC) == 0,
           "profile: esc hides the cursor, then is not taken");
    rs_widget_free(w);
}

/* ---- bars ---------------------------------------------------------------- */

static struct rs_canvas *
draw_bars(int w, int h, const struct rs_bars *b, const struct rs_ui_ctx *ctx)
{
    struct rs_canvas *cv = rs_canvas_new(w, h);
    rs_bars_draw(cv, (struct rs_rect){0, 0, w, h}, b, ctx);
    return cv;
}

static void
test_bars(void)
{
    /* one band of 4 rows (32 eighths) over 0 .. 8: 8 full, 4 two rows,
     * 2 one row, 1 half a row, 0 blank, 0.01 one eighth */
    static const float v[6] = {8, 4, 2, 1, 0, 0.01f};
    static const char *const labels[6] = {"a", "b", "c", "d", "e", "f"};
    struct rs_bars_group g = {NULL, v, 6};
    struct rs_bars b;
    rs_bars_init(&b);
    b.title = "bars";
    b.groups = &g;
    b.ngroups = 1;
    b.labels = labels;
    b.nlabels = 6;
    double lo, hi;
    rs_bars_range(&b, &lo, &hi);
    tap_ok(lo == 0 && hi == 8, "bars: the scale runs from 0 to the max");
    /* 20 x 7: inside 18 x 5, 4 bar rows and the labels; margin "8"/"0"
     * 1 + 1, so bars from x 3, slot 17 / 6 = 2, one column each */
    struct rs_canvas *cv = draw_bars(20, 7, &b, &fx_utf8);
    int x0 = 3, bottom = 4;
    bool full = true;
    for (int y = 1; y <= bottom; y++)
        full &= glyph(cv, x0, y) == 0x2588;
    tap_ok(full, "bars: the max fills the band");
    tap_ok(glyph(cv, x0 + 2, bottom) == 0x2588 &&
               glyph(cv, x0 + 2, bottom - 1) == 0x2588 &&
               glyph(cv, x0 + 2, bottom - 2) == ' ',
           "bars: half the max is two of four rows");
    tap_ok(glyph(cv, x0 + 4, bottom) == 0x2588 &&
               glyph(cv, x0 + 4, bottom - 1) == ' ',
           "bars: an eighth of the max is one row");
    tap_ok(glyph(cv, x0 + 6, bottom) == 0x2584, "bars: 1 is a half block");
    tap_ok(glyph(cv, x0 + 8, bottom) == ' ', "bars: zero is blank");
    tap_ok(glyph(cv, x0 + 10, bottom) == 0x2581,
           "bars: a tiny value still shows an eighth");
    tap_ok(glyph(cv, x0 + 1, bottom) == ' ', "bars: a gap between bars");
    tap_ok(glyph(cv, 1, 1) == '8' && glyph(cv, 1, bottom) == '0',
           "bars: the scale's top and bottom in the margin");
    tap_ok(glyph(cv, x0, 5) == 'a' && glyph(cv, x0 + 2, 5) == 'b',
           "bars: labels under the bars");
    golden_check(cv, false, "bars_known_utf8");
    rs_canvas_free(cv);
    cv = draw_bars(20, 7, &b, &fx_ascii);
    tap_ok(glyph(cv, x0, 1) == '#' && glyph(cv, x0 + 6, bottom) == '=' &&
               glyph(cv, x0 + 10, bottom) == '_',
           "bars in ASCII: '#' whole, '=' half, '_' a sliver");
    golden_check(cv, true, "bars_known_ascii");
    rs_canvas_free(cv);

    /* a negative bar hangs from the zero row */
    static const float sv[2] = {4, -4};
    struct rs_bars_group sg = {NULL, sv, 2};
    b.groups = &sg;
    b.labels = NULL;
    rs_bars_range(&b, &lo, &hi);
    tap_ok(lo == -4 && hi == 4, "bars: a negative value lowers the scale");
    cv = draw_bars(20, 7, &b, &fx_utf8);
    golden_check(cv, false, "bars_signed_utf8");
    /* margin "-4" 2 + 1: bars from x 4, 7 columns a slot (at most 8),
     * 6 of them bar; zero between rows 2 and 3 */
    tap_ok(glyph(cv, 4, 1) == 0x2588 && glyph(cv, 9, 2) == 0x2588 &&
               glyph(cv, 4, 3) == ' ' && glyph(cv, 11, 3) == 0x2588 &&
               glyph(cv, 16, 4) == 0x2588 && glyph(cv, 11, 2) == ' ' &&
               glyph(cv, 10, 1) == ' ',
           "bars: up from zero and down from it");
    tap_ok(glyph(cv, 6, 5) == '1' && glyph(cv, 13, 5) == '2',
           "bars: without labels, 1, 2, ... centred");
    rs_canvas_free(cv);

    /* many values: merged; several bands: headed; too many: left out */
    float many[100];
    for (int i = 0; i < 100; i++)
        many[i] = (float)i;
    struct rs_bars_group mg[3] = {
        {"a", many, 100}, {"b", many, 100}, {"c", many, 100}};
    b.groups = mg;
    b.ngroups = 3;
    cv = draw_bars(30, 8, &b, &fx_utf8);
    /* inside 28 x 6: margin "99" 3, 25 columns: 4 per bar; 5 rows: 2
     * bands of 2 */
    tap_ok(has(cv, "\u00f74 +1"), "bars: merged 4 to a bar, a band left out");
    tap_ok(has(cv, "a") && has(cv, "b"), "bars: bands headed by name");
    rs_canvas_free(cv);

    /* labels never collide */
    static const char *const wide[16] = {
        "<1", "1", "2", "4", "8", "16", "32", "64", "128", "256", "512",
        "1024", "2048", "4096", "8192", ">=16384"};
    float hv[16];
    for (int i = 0; i < 16; i++)
        hv[i] = (float)(i % 5);
    struct rs_bars_group hg = {NULL, hv, 16};
    b.groups = &hg;
    b.ngroups = 1;
    b.labels = wide;
    b.nlabels = 16;
    cv = draw_bars(40, 8, &b, &fx_utf8);
    bool apart = true;
    int prev_end = -2;
    for (int x = 0; x < 40; x++) {
        if (glyph(cv, x, 6) == ' ' || glyph(cv, x, 6) == 0x2502)
            continue;
        if (x > 0 && glyph(cv, x - 1, 6) == ' ' && x - prev_end < 2)
            apart = false;
        int e = x;
        while (e + 1 < 40 && glyph(cv, e + 1, 6) != ' ' &&
               glyph(cv, e + 1, 6) != 0x2502)
            e++;
        prev_end = e;
        x = e;
    }
    tap_ok(apart && has(cv, "<1"), "bars: thinned labels keep a space apart");
    rs_canvas_free(cv);

    /* the selection: the value after the name, the label reversed */
    struct rs_widget *w = rs_bars_widget_new();
    struct rs_bars *wb = rs_bars_widget_data(w);
    struct rs_bars_group two[2] = {{"hawk", hv, 16}, {"griffin", hv, 16}};
    wb->title = "half-lives";
    wb->groups = two;
    wb->ngroups = 2;
    wb->labels = wide;
    wb->nlabels = 16;
    w->r = (struct rs_rect){0, 0, 40, 12};
    cv = rs_canvas_new(40, 12);
    rs_widget_draw(w, cv, &fx_utf8);
    tap_ok(rs_widget_key(w, RS_KEY_RIGHT) & RS_UI_REDRAW && wb->sel == 0,
           "bars: the first arrow selects the first bar");
    rs_widget_key(w, RS_KEY_RIGHT);
    rs_widget_key(w, RS_KEY_RIGHT);
    rs_widget_key(w, RS_KEY_RIGHT);
    rs_canvas_clear(cv);
    rs_widget_draw(w, cv, &fx_utf8);
    tap_ok(has(cv, "hawk 3") && has(cv, "griffin 3"),
           "bars: the selected bar's value follows each name");
    golden_check(cv, false, "bars_select_utf8");
    rs_widget_key(w, RS_KEY_END);
    tap_is_int(wb->sel, 15, "bars: end selects the last");
    tap_ok(rs_widget_key(w, RS_KEY_ESC) && wb->sel == -1, "bars: esc clears");
    rs_canvas_free(cv);
    rs_widget_free(w);
}

/* ---- text ---------------------------------------------------------------- */

static void
test_text_glyphs(void)
{
    tap_ok(rs_textmap_glyph("\u2423", false) == ' ' &&
               rs_textmap_glyph(" ", true) == ' ',
           "text: the open box is a space");
    tap_ok(rs_textmap_glyph("\u21b5", false) == 0x21b5 &&
               rs_textmap_glyph("\u21b5", true) == '$',
           "text: a newline is \u21b5, '$' in ASCII");
    tap_ok(rs_textmap_glyph("\u2192", true) == '>' &&
               rs_textmap_glyph("\u00b7", true) == '.',
           "text: a tab '>', another byte '.' in ASCII");
    tap_ok(rs_textmap_glyph("abc", false) == 'a',
           "text: a longer label shows its first character");
    tap_ok(rs_textmap_glyph("\u4e2d", false) == '?' &&
               rs_textmap_glyph("", false) == '?' &&
               rs_textmap_glyph("\t", false) == '?' &&
               rs_textmap_glyph(NULL, false) == '?',
           "text: a wide, empty or control label is '?'");

    struct rs_style lo = rs_textmap_style(0, RS_COLOR_256);
    struct rs_style hi = rs_textmap_style(1, RS_COLOR_256);
    tap_ok(lo.bg == rs_cmap_seq(0) && lo.fg == 0xffffff &&
               hi.bg == rs_cmap_seq(1) && hi.fg == 0x000000,
           "text: viridis behind, white text on the dark end, black on "
           "the light");
    tap_ok(rs_textmap_style(0.1, RS_COLOR_MONO).attr == RS_ATTR_DIM &&
               rs_textmap_style(0.3, RS_COLOR_MONO).attr == 0 &&
               rs_textmap_style(0.5, RS_COLOR_MONO).attr ==
                   RS_ATTR_UNDERLINE &&
               rs_textmap_style(0.7, RS_COLOR_MONO).attr == RS_ATTR_BOLD &&
               rs_textmap_style(1.0, RS_COLOR_MONO).attr ==
                   (RS_ATTR_REVERSE | RS_ATTR_BOLD),
           "text in monochrome: dim, plain, underline, bold, reverse");
    struct rs_style nan = rs_textmap_style(NAN, RS_COLOR_256);
    tap_ok(nan.bg == RS_COLOR_DEFAULT && nan.attr == 0,
           "text: NaN unshaded");
}

/* "ab cd↵ef gh ij" under two lines of values 0 .. 13 and 13 .. 0 */
#define TN 14
static const char *const t_chars[TN] = {
    "a", "b", "\u2423", "c", "d", "\u21b5", "e",
    "f", "\u2423", "g", "h", "\u2423", "i", "j"};

static void
text_init(struct rs_textmap *t, struct rs_textmap_line *l, float *up,
          float *down)
{
    for (int i = 0; i < TN; i++) {
        up[i] = (float)i;
        down[i] = (float)(TN - 1 - i);
    }
    rs_textmap_init(t);
    l[0] = (struct rs_textmap_line){"static", up, TN};
    l[1] = (struct rs_textmap_line){"dyn", down, TN};
    t->title = "loss";
    t->chars = t_chars;
    t->n = TN;
    t->lines = l;
    t->nlines = 2;
}

static void
test_text(void)
{
    test_text_glyphs();
    struct rs_textmap t;
    struct rs_textmap_line l[2];
    float up[TN], down[TN];
    text_init(&t, l, up, down);
    double lo, hi;
    tap_ok(rs_textmap_range(&t, &lo, &hi) && lo == 0 && hi == 13,
           "text: the range over both lines");
    /* 40 x 10: inside 38 x 8, margin "static " 7, 31 columns of text:
     * rows "ab cd↵", "ef gh ij": two groups of 2 rows + a blank */
    struct rs_canvas *cv = rs_canvas_new(40, 10);
    rs_textmap_draw(cv, (struct rs_rect){0, 0, 40, 10}, &t, &fx_utf8);
    tap_ok(has(cv, "static ab cd\u21b5") && has(cv, "dyn    ab cd\u21b5") &&
               has(cv, "static ef gh ij"),
           "text: each line beneath the other, broken after the newline");
    const struct rs_cell *a = rs_canvas_cell(cv, 8, 1);
    const struct rs_cell *ad = rs_canvas_cell(cv, 8, 2);
    tap_ok(a->glyph == 'a' && a->bg == rs_cmap_seq(0) &&
               ad->bg == rs_cmap_seq(1),
           "text: one character, shaded by each line's value");
    tap_ok(has(cv, "mean static 6.500"), "text: the legend has the means");
    golden_check(cv, false, "text_known_utf8");
    rs_canvas_free(cv);
    cv = rs_canvas_new(40, 10);
    rs_textmap_draw(cv, (struct rs_rect){0, 0, 40, 10}, &t, &fx_mono);
    tap_ok(rs_canvas_cell(cv, 8, 1)->attr == RS_ATTR_DIM &&
               rs_canvas_cell(cv, 8, 2)->attr ==
                   (RS_ATTR_REVERSE | RS_ATTR_BOLD),
           "text in monochrome: low dim, high reversed");
    golden_check(cv, false, "text_known_mono");
    rs_canvas_free(cv);
    cv = rs_canvas_new(40, 10);
    rs_textmap_draw(cv, (struct rs_rect){0, 0, 40, 10}, &t, &fx_ascii);
    tap_ok(has(cv, "static ab cd$"), "text in ASCII: the newline as '$'");
    golden_check(cv, true, "text_known_ascii");
    rs_canvas_free(cv);

    /* one line, no margin; narrow: wrapped between words */
    t.nlines = 1;
    cv = rs_canvas_new(9, 6);
    rs_textmap_draw(cv, (struct rs_rect){0, 0, 9, 6}, &t, &fx_utf8);
    tap_ok(glyph(cv, 1, 1) == 'a' && glyph(cv, 1, 2) == 'e' &&
               glyph(cv, 1, 3) == 'i' && has(cv, "ef gh"),
           "text: one line without names, wrapped between words");
    rs_canvas_free(cv);
    cv = rs_canvas_new(30, 4); /* one row of two visible */
    rs_textmap_draw(cv, (struct rs_rect){0, 0, 30, 4}, &t, &fx_utf8);
    tap_ok(has(cv, "rows 1-1/2"), "text: the rows shown of all");
    rs_canvas_free(cv);

    /* scrolling */
    struct rs_widget *w = rs_textmap_widget_new();
    struct rs_textmap *wt = rs_textmap_widget_data(w);
    text_init(wt, l, up, down);
    wt->nlines = 1;
    w->r = (struct rs_rect){0, 0, 9, 5}; /* 2 rows of 7 visible */
    cv = rs_canvas_new(9, 5);
    rs_widget_draw(w, cv, &fx_utf8);
    tap_ok(rs_widget_key(w, RS_KEY_DOWN) & RS_UI_REDRAW && wt->top == 1,
           "text: down scrolls a row");
    rs_widget_key(w, RS_KEY_END);
    int last = wt->top;
    rs_widget_key(w, RS_KEY_DOWN);
    tap_ok(wt->top == last && last > 0, "text: end, and no further");
    rs_widget_key(w, RS_KEY_HOME);
    tap_is_int(wt->top, 0, "text: home");
    tap_is_int(rs_widget_key(w, 'x'), 0, "text: other keys are not taken");
    rs_canvas_free(cv);
    rs_widget_free(w);

    /* no text */
    t.chars = NULL;
    cv = rs_canvas_new(20, 6);
    rs_textmap_draw(cv, (struct rs_rect){0, 0, 20, 6}, &t, &fx_utf8);
    tap_ok(has(cv, "no data"), "text: no labels, no data");
    rs_canvas_free(cv);
}

/* ---- views --------------------------------------------------------------- */

static void
export_ok(rs_views *vw, int i, const char *name)
{
    char *tmp = tap_tmpdir("t_ui_seqviews");
    char path[512];
    snprintf(path, sizeof path, "%s/%s.svg", tmp, name);
    FILE *out = fopen(path, "w");
    struct rs_error err = {0};
    tap_ok(out != NULL && rs_views_export(vw, i, out, &err) == RS_OK,
           "%s panel exports as SVG", name);
    if (out != NULL)
        fclose(out);
    free(tmp);
}

static void
test_views(void)
{
    static const char json[] =
        "{\"views\":["
        "{\"kind\":\"profile\",\"title\":\"loss by position\","
        "\"matrix\":\"loss_by_pos\",\"matrices\":[\"a/loss_by_pos\","
        "\"b/loss_by_pos\"],\"learners\":[\"a\",\"b\"],\"mark\":128,"
        "\"mark_label\":\"T\",\"xlabel\":\"position\",\"ylabel\":\"bpc\","
        "\"y\":\"log\"},"
        "{\"kind\":\"bars\",\"matrix\":\"half_life\",\"matrices\":"
        "[\"a/half_life\"],\"learners\":[\"a\"],\"vmax\":10},"
        "{\"kind\":\"text\",\"matrix\":\"loss_text\",\"matrices\":"
        "[\"a/loss_text\",\"b/loss_text\"],\"learners\":[\"a\",\"b\"],"
        "\"vmin\":0,\"vmax\":8}]}";
    struct rs_error err = {0};
    struct rs_viewspec_set *set = rs_viewspec_parse(json, &err);
    if (!tap_ok(set != NULL && set->n == 3, "sequence view specs parse")) {
        tap_diag("%s", err.msg);
        rs_viewspec_free(set);
        return;
    }
    const struct rs_viewspec *v = set->v;
    tap_ok(v[0].kind == RS_VIEWSPEC_PROFILE && v[0].mark == 128 &&
               strcmp(v[0].mark_label, "T") == 0 &&
               strcmp(v[0].ylabel, "bpc") == 0 &&
               strcmp(v[0].xlabel, "position") == 0 && v[0].log_y &&
               v[0].nmats == 2 && strcmp(v[0].mats[1], "b/loss_by_pos") == 0 &&
               strcmp(v[0].mat_labels[1], "b") == 0,
           "profile spec: matrices, learners, mark, labels, log y");
    tap_ok(v[1].kind == RS_VIEWSPEC_BARS && v[1].vmax == 10 &&
               isnan(v[1].mark),
           "bars spec: vmax, no mark");
    tap_ok(v[2].kind == RS_VIEWSPEC_TEXT && v[2].vmin == 0 && v[2].vmax == 8 &&
               v[2].nmats == 2,
           "text spec: vmin, vmax, two matrices");

    rs_bus *bus = rs_bus_new();
    float prof[2 * 4] = {2, 3, 4, 5, 64, 192, 320, 448};
    static const char *const prow[2] = {"bpc", "position"};
    rs_bus_put_matrix(bus, "a/loss_by_pos", 1, 2, 4, prof, prow, NULL);
    float hl[4] = {1, 5, 2, 0};
    static const char *const hlab[4] = {"<1", "1", "2", ">=4"};
    rs_bus_put_matrix(bus, "a/half_life", 1, 1, 4, hl, NULL, hlab);
    float lt[3] = {1, 7, 3}, lt2[3] = {2, 2, 2};
    static const char *const tl[3] = {"h", "\u2423", "i"};
    rs_bus_put_matrix(bus, "a/loss_text", 1, 1, 3, lt, NULL, tl);
    rs_bus_put_matrix(bus, "b/loss_text", 1, 1, 3, lt2, NULL, NULL);
    rs_bus_flush(bus);
    rs_views *vw = rs_views_new(set);
    rs_viewspec_free(set);
    for (int i = 0; i < 3; i++)
        rs_views_widget(vw, i)->r = (struct rs_rect){0, 0, 40, 12};
    struct rs_bus_status st = {.total = 10, .step = 1};
    struct rs_views_frame fr = {.st = &st};
    rs_views_fill(vw, bus, &fr);

    const struct rs_profile *p = rs_profile_widget_data(rs_views_widget(vw, 0));
    tap_ok(p->nlines == 2 && p->lines[0].n == 4 && p->lines[0].x != NULL &&
               p->lines[0].x[1] == 192 && p->lines[0].y[1] == 3 &&
               p->lines[1].n == 0 && strcmp(p->lines[1].name, "b") == 0,
           "profile panel: y and x rows; a learner without its matrix keeps "
           "its place");
    tap_ok(p->mark == 128 && strcmp(p->mark_label, "T") == 0 && p->log_y &&
               strcmp(p->title, "loss by position") == 0,
           "profile panel: mark, label, log y, title");
    const struct rs_bars *b = rs_bars_widget_data(rs_views_widget(vw, 1));
    tap_ok(b->ngroups == 1 && b->groups[0].n == 4 && b->groups[0].v[1] == 5 &&
               b->groups[0].name == NULL && b->nlabels == 4 &&
               strcmp(b->labels[3], ">=4") == 0 && b->vmax == 10 &&
               strcmp(b->title, "half_life") != 0,
           "bars panel: the values, the column labels, no heading for one");
    const struct rs_textmap *t =
        rs_textmap_widget_data(rs_views_widget(vw, 2));
    tap_ok(t->n == 3 && strcmp(t->chars[1], "\u2423") == 0 &&
               t->nlines == 2 && t->lines[0].v[1] == 7 &&
               t->lines[1].v[0] == 2 && strcmp(t->lines[1].name, "b") == 0,
           "text panel: the characters from the first labelled matrix, a "
           "line per learner");
    tap_ok(rs_views_changed(vw, 0) && rs_views_changed(vw, 2),
           "sequence panels: changed on the first fill");
    rs_views_fill(vw, bus, &fr);
    tap_ok(!rs_views_changed(vw, 0) && !rs_views_changed(vw, 1) &&
               !rs_views_changed(vw, 2),
           "sequence panels: unchanged on a refill");
    rs_bus_put_matrix(bus, "b/loss_by_pos", 2, 1, 4, prof, NULL, NULL);
    rs_bus_flush(bus);
    rs_views_fill(vw, bus, &fr);
    tap_ok(rs_views_changed(vw, 0) && p->lines[1].n == 4 &&
               p->lines[1].x == NULL,
           "profile panel: a one-row matrix appears, x is the index");
    struct rs_canvas *cv = rs_canvas_new(40, 12);
    for (int i = 0; i < 3; i++) {
        rs_canvas_clear(cv);
        rs_widget_draw(rs_views_widget(vw, i), cv, &fx_utf8);
    }
    tap_ok(has(cv, "h i") && has(cv, "mean a 3.667"), "text panel draws");
    rs_canvas_free(cv);
    export_ok(vw, 0, "profile");
    export_ok(vw, 1, "bars");
    export_ok(vw, 2, "text");
    tap_ok(rs_views_min_h(vw, 0) == 9 && rs_views_min_h(vw, 2) == 5,
           "sequence panels: their least heights");
    rs_views_free(vw);
    rs_bus_free(bus);
}

int
main(void)
{
    tap_plan_lazy();
    test_profile();
    test_bars();
    test_text();
    test_views();
    return tap_done();
}
