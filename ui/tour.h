/* repscope - MIT licence, see COPYING.
 *
 * tour.h: a scene's guided tour, the narrated script the UI plays. The
 * worker publishes it in the view-spec JSON (a "tour" array beside
 * "views", see ui/viewspec.h; the shape is in repscope-lua(7), TOURS):
 *   [{"title", "text", "why", "focus": "<panel title>" | <1-based index>,
 *     "zoom": bool, "at_step": N | "when": {"series", "above"|"below"},
 *     "restart": {"param": "value", ...}}, ...]
 * Unknown keys are ignored. A page is text for the notes panel; it may
 * focus (and zoom) a panel when shown, and it may hold a pause
 * condition: when the page is current and the worker has reached
 * at_step, or the newest value of the series is above (below) the
 * threshold, the tour fires once: the app pauses the run and the page
 * adds its `why`. Entering a page with restart= going forwards sets those
 * params and restarts the scene (a tour in chapters); its condition then
 * waits until the restart is seen (rs_tour_restarted).
 *
 * This is the state machine alone: which page, whether it fired, what the
 * app must do on a move. It reads no bus and sends nothing (the app
 * does), so tests drive it without a terminal. Pure; UI thread.
 */
#ifndef RS_UI_TOUR_H
#define RS_UI_TOUR_H

#include <stdbool.h>

#include "core/base.h"
#include "run/bus.h"

#define RS_TOUR_PAGES_MAX 64
#define RS_TOUR_SET_MAX 8 /* restart params of a page */

enum rs_tour_cmp {
    RS_TOUR_NONE,  /* no pause condition */
    RS_TOUR_STEP,  /* step >= at_step */
    RS_TOUR_ABOVE, /* series > threshold */
    RS_TOUR_BELOW  /* series < threshold */
};

struct rs_tour_page {
    char title[96];
    char *text; /* owned; "" when none */
    char *why;  /* owned; "" when none */
    char focus[96];  /* a panel title, "" none */
    int focus_index; /* 1-based panel index, 0 none */
    bool zoom;
    enum rs_tour_cmp cmp;
    long at_step;
    char series[RS_BUS_NAME_MAX];
    double threshold;
    int nset;
    char set_key[RS_TOUR_SET_MAX][64];
    char set_val[RS_TOUR_SET_MAX][128];
};

/* What the app must do after a move (rs_tour_go). */
enum rs_tour_do {
    RS_TOUR_DO_FOCUS = 1u,   /* the page names a panel: focus (zoom) it */
    RS_TOUR_DO_RESUME = 2u,  /* the tour had paused the run: resume it */
    RS_TOUR_DO_RESTART = 4u  /* send the page's set_* params, then restart */
};

typedef struct rs_tour rs_tour;

/* Parse the tour's JSON text (the array). NULL + err (RS_EFORMAT, naming
 * the page and the field) when it is no array of objects or a page has a
 * field of the wrong type; an empty array is a tour of no pages. */
rs_tour *rs_tour_parse(const char *json, struct rs_error *err);
void rs_tour_free(rs_tour *t);

int rs_tour_count(const rs_tour *t);
/* The current page's index (0-based). */
int rs_tour_index(const rs_tour *t);
const struct rs_tour_page *rs_tour_page(const rs_tour *t, int i);
/* Move d pages (1 next, -1 previous; clamped to the pages). Returns the
 * enum rs_tour_do flags for the app, 0 when the page did not change. */
unsigned rs_tour_go(rs_tour *t, int d);
/* Whether the current page's condition fired (the run paused for it),
 * and at which step and value (the value is the series' at the time). */
bool rs_tour_fired(const rs_tour *t, long *step, double *value);
/* Whether the current page waits for a restart it asked for. */
bool rs_tour_waiting(const rs_tour *t);
/* The scene restarted: the current page's condition may fire now. */
void rs_tour_restarted(rs_tour *t);
/* Test the current page's condition against the worker's step and the
 * newest value of its series (have: the series has a value). True once,
 * when it fires: the app pauses the run. */
bool rs_tour_check(rs_tour *t, long step, bool have, double value);
/* The tour paused the run for the current page, and nothing resumed it
 * since (the app clears it when the user resumes with space). */
void rs_tour_set_paused(rs_tour *t, bool paused);

#endif /* RS_UI_TOUR_H */
