/* repscope - MIT licence, see COPYING.
 *
 * t_ui_screen.c: the whole screen as rs_app composes it from a bus, for
 * the grokking story the 100x30 screen was sketched to tell (the fixture's
 * deterministic run: accuracies, loss, an lr change, srank of five
 * layers, a spectrum, neuron activity with planted dead units, notes),
 * against golden files at 100x30 and 80x24 (UTF-8, ASCII and
 * monochrome), plus the help overlay, the console drawer, a zoomed
 * panel, a non-finite flag and the "too small" screen at 39x11. Panels
 * kept from the last frame: only those whose data changed are drawn
 * again, and the screen is cell for cell what a fresh app draws. Golden
 * files: RS_GOLDEN_UPDATE=1 rewrites them (then look at them).
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/bus.h"
#include "tests/tap.h"
#include "tests/ui_fixture.h"
#include "ui/app.h"
#include "ui/canvas.h"
#include "ui/widget.h"

static const char views[] =
    "{\"version\":1,\"title\":\"Grokking in a deep MLP\",\"notes\":"
    "\"Train accuracy hit 100% at step 900; test accuracy is still near "
    "chance. Watch the rank panel: as the middle layers' rank falls, test "
    "accuracy will jump. Try  :set wd=0.1  and see the jump come later.\","
    "\"views\":["
    "{\"kind\":\"curves\",\"title\":\"accuracy\",\"series\":[\"train/acc\","
    "\"test/acc\"],\"x\":\"linear\",\"y\":\"linear\",\"ymin\":0,"
    "\"ymax\":1},"
    "{\"kind\":\"rank_heatmap\",\"title\":\"feature rank\",\"layers\":"
    "[\"L1\",\"L3\",\"L6\",\"L9\",\"L11\"],\"metric\":\"srank\"},"
    "{\"kind\":\"spectrum\",\"title\":\"spectrum\",\"layer\":\"L6\","
    "\"matrix\":\"spectrum/L6\",\"log\":true},"
    "{\"kind\":\"neurons\",\"title\":\"neurons\",\"layer\":\"L6\","
    "\"matrix\":\"neurons/L6\"},"
    "{\"kind\":\"curves\",\"title\":\"loss\",\"series\":[\"train/loss\"],"
    "\"x\":\"linear\",\"y\":\"log\"}]}";

/* The fixture's run on a bus, as a session would publish it. */
static rs_bus *
grokking_bus(void)
{
    rs_bus *bus = rs_bus_new();
    for (long s = FX_EVAL_EVERY; s <= FX_STEPS; s += FX_EVAL_EVERY) {
        rs_bus_push(bus, "train/acc", (double)s, fx_train_acc(s));
        rs_bus_push(bus, "test/acc", (double)s, fx_test_acc(s));
        rs_bus_push(bus, "train/loss", (double)s, fx_loss(s));
    }
    struct fx_rank rk;
    fx_rank_init(&rk);
    static const char *const layers[5] = {"L1", "L3", "L6", "L9", "L11"};
    for (int l = 0; l < 5; l++) {
        char name[64];
        snprintf(name, sizeof name, "probe/srank/%s", layers[l]);
        for (int t = 0; t < 62; t++)
            if (!isnan(rk.strip[l * 62 + t]))
                rs_bus_push(bus, name, rk.steps[t] + 100,
                            rk.strip[l * 62 + t]);
        snprintf(name, sizeof name, "spectrum/%s", layers[l]);
        rs_bus_put_matrix(bus, name, 4800, 1, 128, rk.s, NULL, NULL);
    }
    rs_bus_push(bus, "probe/erank/L6", 4800, 14.2);
    struct fx_neurons nn;
    fx_neurons_init(&nn);
    for (int l = 0; l < 3; l++) {
        char name[64];
        snprintf(name, sizeof name, "neurons/%s", nn.layers[l].name);
        rs_bus_put_matrix(bus, name, 4800, 1, nn.layers[l].units,
                          nn.layers[l].freq, NULL, NULL);
    }
    rs_bus_event(bus, 3000, "lr = 3e-4");
    struct rs_bus_status st;
    fx_status_init(&st);
    rs_bus_set_status(bus, &st);
    rs_bus_set_views(bus, views);
    rs_bus_flush(bus);
    return bus;
}

static struct rs_canvas *
draw(rs_app *a, int w, int h, const struct rs_ui_ctx *ctx)
{
    struct rs_canvas *cv = rs_canvas_new(w, h);
    rs_app_draw(a, cv, ctx);
    return cv;
}

static void
check(rs_app *a, int w, int h, const struct rs_ui_ctx *ctx, bool ascii,
      const char *name)
{
    struct rs_canvas *cv = draw(a, w, h, ctx);
    golden_check(cv, ascii, name);
    rs_canvas_free(cv);
}

/* Cells equal, field by field (struct padding is not compared). */
static bool
same_cells(const struct rs_canvas *x, const struct rs_canvas *y)
{
    if (x->w != y->w || x->h != y->h)
        return false;
    for (size_t i = 0; i < (size_t)x->w * (size_t)x->h; i++) {
        const struct rs_cell *a = &x->cells[i], *b = &y->cells[i];
        if (a->glyph != b->glyph || a->fg != b->fg || a->bg != b->bg ||
            a->attr != b->attr)
            return false;
    }
    return true;
}

/* The screen a fresh app draws from bus at 100x30. */
static bool
fresh_equal(rs_bus *bus, const struct rs_canvas *cv)
{
    rs_cmdq *q = rs_cmdq_new(64);
    struct rs_app_opts o = {.bus = bus, .q = q};
    rs_app *b = rs_app_new(&o);
    rs_app_update(b);
    struct rs_canvas *ref = draw(b, cv->w, cv->h, &fx_utf8);
    bool same = same_cells(cv, ref);
    rs_canvas_free(ref);
    rs_app_free(b);
    rs_cmdq_free(q);
    return same;
}

static void
test_kept_panels(void)
{
    rs_bus *bus = grokking_bus();
    rs_cmdq *q = rs_cmdq_new(64);
    struct rs_app_opts o = {.bus = bus, .q = q};
    rs_app *a = rs_app_new(&o);
    rs_app_update(a);
    struct rs_canvas *cv = draw(a, 100, 30, &fx_utf8);
    int shown = rs_app_drawn(a); /* the loss panel does not fit */
    tap_is_int(shown, 4, "kept panels: the first frame draws all shown");
    rs_app_draw(a, cv, &fx_utf8);
    tap_is_int(rs_app_drawn(a), 0, "nothing changed: all kept");
    tap_ok(fresh_equal(bus, cv), "the kept screen is the screen");

    rs_bus_push(bus, "test/acc", FX_STEPS + 10, 0.97);
    rs_bus_flush(bus);
    rs_app_update(a);
    rs_app_draw(a, cv, &fx_utf8);
    tap_is_int(rs_app_drawn(a), 1, "a test/acc point: only its panel drawn");
    tap_ok(fresh_equal(bus, cv), "and the screen is a fresh app's");

    rs_bus_push(bus, "probe/srank/L9", FX_STEPS + 10, 3);
    rs_bus_flush(bus);
    rs_app_update(a);
    rs_app_draw(a, cv, &fx_utf8);
    tap_is_int(rs_app_drawn(a), 1, "an srank of L9: only the rank strip");
    tap_ok(fresh_equal(bus, cv), "and the screen is a fresh app's");

    rs_bus_push(bus, "probe/srank/L6", FX_STEPS + 10, 4);
    rs_bus_flush(bus);
    rs_app_update(a);
    rs_app_draw(a, cv, &fx_utf8);
    tap_is_int(rs_app_drawn(a), 2,
               "an srank of L6: the rank strip and the spectrum (its title)");
    tap_ok(fresh_equal(bus, cv), "and the screen is a fresh app's");

    rs_bus_event(bus, FX_STEPS + 10, "wd = 0.1");
    rs_bus_flush(bus);
    rs_app_update(a);
    rs_app_draw(a, cv, &fx_utf8);
    tap_is_int(rs_app_drawn(a), shown, "an event (markers): all drawn");

    rs_app_draw(a, cv, &fx_utf8);
    rs_app_key(a, 'l'); /* the focused chart's y axis goes log */
    rs_app_draw(a, cv, &fx_utf8);
    tap_is_int(rs_app_drawn(a), shown, "a key: all drawn");
    rs_app_draw(a, cv, &fx_utf8);
    tap_is_int(rs_app_drawn(a), 0, "then kept again");
    struct rs_canvas *big = draw(a, 160, 50, &fx_utf8);
    tap_is_int(rs_app_drawn(a), 5, "another size: all drawn");
    rs_canvas_free(big);
    rs_canvas_free(cv);
    rs_app_free(a);
    rs_cmdq_free(q);
    rs_bus_free(bus);
}

int
main(void)
{
    tap_plan_lazy();
    rs_bus *bus = grokking_bus();
    rs_cmdq *q = rs_cmdq_new(64); /* never read: keys only fill it */
    struct rs_app_opts o = {.bus = bus, .q = q};
    rs_app *a = rs_app_new(&o);
    tap_ok(rs_app_update(a), "the bus is read");
    tap_is_int(rs_app_views(a), 5, "five panels");
    tap_ok(!rs_app_update(a), "nothing new: not read again");

    check(a, 100, 30, &fx_utf8, false, "screen_100x30_utf8");
    check(a, 80, 24, &fx_utf8, false, "screen_80x24_utf8");
    check(a, 80, 24, &fx_ascii, true, "screen_80x24_ascii");
    check(a, 80, 24, &fx_mono, false, "screen_80x24_mono");
    check(a, 160, 50, &fx_utf8, false, "screen_160x50_utf8");
    check(a, 40, 12, &fx_utf8, false, "screen_40x12_utf8");
    check(a, 39, 11, &fx_utf8, false, "screen_39x11_utf8");

    rs_app_key(a, ']'); /* L6 -> L9: the strip's highlight moves */
    rs_app_key(a, RS_KEY_TAB);
    rs_app_key(a, RS_KEY_ENTER); /* zoom the rank strip */
    check(a, 80, 24, &fx_utf8, false, "screen_80x24_zoom_utf8");
    rs_app_key(a, RS_KEY_ESC);
    rs_app_key(a, '[');
    rs_app_key(a, '?');
    check(a, 100, 30, &fx_utf8, false, "screen_100x30_help_utf8");
    rs_app_key(a, RS_KEY_ESC);
    rs_app_key(a, ':');
    const char *line = "p.lr";
    for (const char *p = line; *p; p++)
        rs_app_key(a, *p);
    check(a, 100, 30, &fx_utf8, false, "screen_100x30_console_utf8");
    rs_app_key(a, RS_KEY_ESC);

    /* a NaN in train/loss: the loss panel is flagged */
    struct rs_bus_status st;
    fx_status_init(&st);
    st.state = RS_SESSION_PAUSED;
    snprintf(st.nonfinite, sizeof st.nonfinite, "train/loss");
    snprintf(st.message, sizeof st.message,
             "step 6200: train/loss is nan (last finite 0.01 at step 6190)");
    rs_bus_set_status(bus, &st);
    rs_bus_flush(bus);
    rs_app_update(a);
    check(a, 100, 30, &fx_utf8, false, "screen_100x30_nan_utf8");

    rs_app_free(a);
    rs_cmdq_free(q);
    rs_bus_free(bus);
    test_kept_panels();
    return tap_done();
}
