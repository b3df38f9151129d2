/* repscope - MIT licence, see COPYING.
 *
 * tour.c: a scene's tour, parsed from its JSON and played page by page
 * (tour.h). The pages are read once; the state is the current page,
 * whether its condition fired (and where), whether it waits for a
 * restart it asked for, and whether the tour paused the run. Pure; UI
 * thread.
 */
#include "config.h"

#include "ui/tour.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/json.h"

struct rs_tour {
    int n;
    struct rs_tour_page *p; /* (n) */
    int cur;
    bool fired, waiting, paused;
    long fired_step;
    double fired_value;
};

/* ---- parsing --------------------------------------------------------- */

/* A string field into dst (cut to cap); false when present and no
 * string. */
static bool
str_field(const rs_json *o, const char *key, char *dst, size_t cap)
{
    const rs_json *v = rs_json_get(o, key);
    if (v == NULL)
        return true;
    const char *s = rs_json_str(v, NULL);
    if (s == NULL)
        return false;
    snprintf(dst, cap, "%s", s);
    return true;
}

static char *
dup_field(const rs_json *o, const char *key)
{
    const char *s = rs_json_str(rs_json_get(o, key), NULL);
    return rs_xstrdup(s != NULL ? s : "");
}

/* The condition of page o: at_step, or when = {series, above|below}. */
static bool
cond_from(struct rs_tour_page *pg, const rs_json *o, const char **bad)
{
    const rs_json *at = rs_json_get(o, "at_step");
    const rs_json *when = rs_json_get(o, "when");
    long long step;
    if (at != NULL) {
        if (!rs_json_integer(at, &step) || step < 0) {
            *bad = "at_step (a step >= 0 expected)";
            return false;
        }
        pg->cmp = RS_TOUR_STEP;
        pg->at_step = (long)step;
        return true;
    }
    if (when == NULL)
        return true;
    const rs_json *above = rs_json_get(when, "above");
    const rs_json *below = rs_json_get(when, "below");
    const rs_json *lim = above != NULL ? above : below;
    if (rs_json_typeof(when) != RS_JSON_OBJECT ||
        !str_field(when, "series", pg->series, sizeof pg->series) ||
        pg->series[0] == '\0' || lim == NULL ||
        rs_json_typeof(lim) != RS_JSON_NUMBER) {
        *bad = "when (an object with series and above or below expected)";
        return false;
    }
    pg->cmp = above != NULL ? RS_TOUR_ABOVE : RS_TOUR_BELOW;
    pg->threshold = rs_json_num(lim, 0);
    return true;
}

/* The restart params of page o: {"key": value, ...}, values as text. */
static bool
restart_from(struct rs_tour_page *pg, const rs_json *o, const char **bad)
{
    const rs_json *r = rs_json_get(o, "restart");
    if (r == NULL)
        return true;
    if (rs_json_typeof(r) != RS_JSON_OBJECT ||
        rs_json_len(r) > RS_TOUR_SET_MAX) {
        *bad = "restart (an object of at most 8 params expected)";
        return false;
    }
    for (int i = 0; i < rs_json_len(r); i++) {
        const rs_json *v = rs_json_at(r, i);
        const char *s = rs_json_str(v, NULL);
        size_t len = 0;
        const char *raw = s != NULL ? s : rs_json_text(v, &len);
        snprintf(pg->set_key[i], sizeof pg->set_key[i], "%s",
                 rs_json_key(r, i, NULL));
        if (s != NULL)
            snprintf(pg->set_val[i], sizeof pg->set_val[i], "%s", s);
        else
            snprintf(pg->set_val[i], sizeof pg->set_val[i], "%.*s", (int)len,
                     raw);
    }
    pg->nset = rs_json_len(r);
    return true;
}

static bool
page_from(struct rs_tour_page *pg, const rs_json *o, const char **bad)
{
    memset(pg, 0, sizeof *pg);
    pg->cmp = RS_TOUR_NONE;
    if (rs_json_typeof(o) != RS_JSON_OBJECT) {
        *bad = "page (an object expected)";
        return false;
    }
    pg->text = dup_field(o, "text");
    pg->why = dup_field(o, "why");
    if (!str_field(o, "title", pg->title, sizeof pg->title)) {
        *bad = "title (a string expected)";
        return false;
    }
    const rs_json *f = rs_json_get(o, "focus");
    long long idx;
    if (rs_json_typeof(f) == RS_JSON_STRING) {
        snprintf(pg->focus, sizeof pg->focus, "%s", rs_json_str(f, NULL));
    } else if (f != NULL) {
        if (!rs_json_integer(f, &idx) || idx < 1 || idx > 1000) {
            *bad = "focus (a panel title or index >= 1 expected)";
            return false;
        }
        pg->focus_index = (int)idx;
    }
    pg->zoom = rs_json_bool(rs_json_get(o, "zoom"), false);
    return cond_from(pg, o, bad) && restart_from(pg, o, bad);
}

rs_tour *
rs_tour_parse(const char *json, struct rs_error *err)
{
    struct rs_error jerr = {0};
    rs_json *root = rs_json_parse(json, strlen(json), &jerr);
    if (root == NULL) {
        rs_error_set(err, RS_EFORMAT, "tour: %s", jerr.msg);
        return NULL;
    }
    if (rs_json_typeof(root) != RS_JSON_ARRAY) {
        rs_json_free(root);
        rs_error_set(err, RS_EFORMAT, "tour: an array of pages expected");
        return NULL;
    }
    rs_tour *t = rs_xcalloc(1, sizeof *t);
    int n = rs_json_len(root);
    n = n < RS_TOUR_PAGES_MAX ? n : RS_TOUR_PAGES_MAX;
    t->p = rs_xcalloc(n > 0 ? (size_t)n : 1, sizeof *t->p);
    for (int i = 0; i < n; i++) {
        const char *bad = NULL;
        bool ok = page_from(&t->p[i], rs_json_at(root, i), &bad);
        t->n = i + 1; /* its strings are freed with the tour */
        if (!ok) {
            rs_error_set(err, RS_EFORMAT, "tour: page %d: bad field %s",
                         i + 1, bad);
            rs_json_free(root);
            rs_tour_free(t);
            return NULL;
        }
    }
    rs_json_free(root);
    return t;
}

void
rs_tour_free(rs_tour *t)
{
    if (t == NULL)
        return;
    for (int i = 0; i < t->n; i++) {
        free(t->p[i].text);
        free(t->p[i].why);
    }
    free(t->p);
    free(t);
}

/* ---- playing --------------------------------------------------------- */

int
rs_tour_count(const rs_tour *t)
{
    return t != NULL ? t->n : 0;
}

int
rs_tour_index(const rs_tour *t)
{
    return t != NULL ? t->cur : 0;
}

const struct rs_tour_page *
rs_tour_page(const rs_tour *t, int i)
{
    return t != NULL && i >= 0 && i < t->n ? &t->p[i] : NULL;
}

unsigned
rs_tour_go(rs_tour *t, int d)
{
    if (t == NULL || t->n == 0)
        return 0;
    int to = t->cur + d;
    to = to < 0 ? 0 : to >= t->n ? t->n - 1 : to;
    if (to == t->cur)
        return 0;
    unsigned f = 0;
    if (t->paused)
        f |= RS_TOUR_DO_RESUME;
    t->cur = to;
    t->fired = false;
    t->paused = false;
    t->waiting = false;
    const struct rs_tour_page *pg = &t->p[to];
    if (d > 0 && pg->nset > 0) {
        /* a new chapter: its condition waits for the restart */
        f |= RS_TOUR_DO_RESTART;
        t->waiting = true;
    }
    if (pg->focus[0] != '\0' || pg->focus_index > 0)
        f |= RS_TOUR_DO_FOCUS;
    return f;
}

bool
rs_tour_fired(const rs_tour *t, long *step, double *value)
{
    if (t == NULL || !t->fired)
        return false;
    if (step != NULL)
        *step = t->fired_step;
    if (value != NULL)
        *value = t->fired_value;
    return true;
}

bool
rs_tour_waiting(const rs_tour *t)
{
    return t != NULL && t->waiting;
}

void
rs_tour_restarted(rs_tour *t)
{
    if (t != NULL)
        t->waiting = false;
}

bool
rs_tour_check(rs_tour *t, long step, bool have, double value)
{
    if (t == NULL || t->n == 0 || t->fired || t->waiting)
        return false;
    const struct rs_tour_page *pg = &t->p[t->cur];
    bool hit = false;
    switch (pg->cmp) {
    case RS_TOUR_STEP:
        hit = step >= pg->at_step;
        value = (double)step;
        break;
    case RS_TOUR_ABOVE:
        hit = have && isfinite(value) && value > pg->threshold;
        break;
    case RS_TOUR_BELOW:
        hit = have && isfinite(value) && value < pg->threshold;
        break;
    case RS_TOUR_NONE:
        break;
    }
    if (!hit)
        return false;
    t->fired = true;
    t->paused = true;
    t->fired_step = step;
    t->fired_value = value;
    return true;
}

void
rs_tour_set_paused(rs_tour *t, bool paused)
{
    if (t != NULL)
        t->paused = paused;
}
