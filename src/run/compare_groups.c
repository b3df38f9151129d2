/* repscope - MIT licence, see COPYING.
 *
 * compare_groups.c: the runs of a comparison summed up by group (the
 * params that differ but the seed, compare.h): for each group and series,
 * at each step, the mean, the least and the greatest value over the
 * group's runs that logged that step, published as "<group>/<series>"
 * with the siblings "_lo" and "_hi" that a curves band shades.
 *
 * A step goes out once every run of its group has logged the series past
 * it, or has ended: a run that has not started yet holds its group back
 * (its values would change the mean already drawn), one that failed or
 * finished does not. So a group's line lags its slowest running member,
 * and is never redrawn. Values reach us through each member's tap
 * (rs_attach_set_tap), one step after another per run; runs of a group
 * usually log the same steps, so a record is found at or near the end.
 * Feeder thread only.
 */
#include "config.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/attach.h"
#include "run/compare_impl.h"

/* Values of one series at one step, over the runs that logged it. */
struct grec {
    long step;
    int n;
    double sum, lo, hi;
};

struct gseries {
    char name[RS_BUS_NAME_MAX]; /* as the runs log it */
    struct grec *rec;           /* (nrec), by step */
    int nrec, cap;
    int sent;   /* records published */
    long *last; /* (group size) the newest step each member logged;
                   LONG_MIN: none yet */
};

/* What a member's tap knows: its group and its place in it. */
struct gtap {
    struct rs_compare_group *g;
    int slot;
};

struct rs_compare_group {
    char name[LABEL_MAX + 8]; /* the runs' group ("" when only the seed
                                 differs) */
    char pub[LABEL_MAX + 24]; /* the published prefix: "lr=1e-3 (3)" */
    int size;
    int *points;       /* (size) the members' run->index */
    struct gtap *taps; /* (size) */
    struct gseries *ser;
    int nser;
};

static struct rs_compare_group *
group_of(rs_compare *c, const char *name)
{
    for (int i = 0; i < c->ngroups; i++)
        if (strcmp(c->groups[i].name, name) == 0)
            return &c->groups[i];
    return NULL;
}

void
rs_compare_groups_init(rs_compare *c)
{
    int all = c->n + c->missing;
    c->groups = rs_xcalloc(all > 0 ? (size_t)all : 1, sizeof *c->groups);
    for (int i = 0; i < all; i++) {
        const struct run *r = i < c->n ? &c->runs[i] : &c->pending[i - c->n];
        struct rs_compare_group *g = group_of(c, r->group);
        if (g == NULL) {
            g = &c->groups[c->ngroups++];
            snprintf(g->name, sizeof g->name, "%s", r->group);
        }
        g->points =
            rs_xreallocarray(g->points, (size_t)g->size + 1, sizeof *g->points);
        g->points[g->size++] = r->index;
    }
    for (int k = 0; k < c->ngroups; k++) {
        struct rs_compare_group *g = &c->groups[k];
        snprintf(g->pub, sizeof g->pub, "%s (%d)",
                 g->name[0] != '\0' ? g->name : "all", g->size);
        g->taps = rs_xcalloc((size_t)g->size, sizeof *g->taps);
        for (int s = 0; s < g->size; s++)
            g->taps[s] = (struct gtap){g, s};
    }
}

bool
rs_compare_groups_useful(const rs_compare *c)
{
    bool several = false;
    for (int k = 0; k < c->ngroups; k++)
        several |= c->groups[k].size > 1;
    return c->ngroups > 1 && several;
}

const char *
rs_compare_group_prefix(const rs_compare *c, int k)
{
    return c->groups[k].pub;
}

static struct gseries *
series_of(struct rs_compare_group *g, const char *name)
{
    for (int i = g->nser - 1; i >= 0; i--)
        if (strcmp(g->ser[i].name, name) == 0)
            return &g->ser[i];
    g->ser = rs_xreallocarray(g->ser, (size_t)g->nser + 1, sizeof *g->ser);
    struct gseries *s = &g->ser[g->nser++];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    s->last = rs_xcalloc((size_t)g->size, sizeof *s->last);
    for (int i = 0; i < g->size; i++)
        s->last[i] = LONG_MIN;
    return s;
}

/* The record of step in s, made (in step order) if new. */
static struct grec *
record_at(struct gseries *s, long step)
{
    int lo = 0, hi = s->nrec;
    if (hi > 0 && s->rec[hi - 1].step < step)
        lo = hi; /* the usual case: past the end */
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (s->rec[mid].step < step)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < s->nrec && s->rec[lo].step == step)
        return &s->rec[lo];
    if (s->nrec == s->cap) {
        s->cap = s->cap > 0 ? 2 * s->cap : 64;
        s->rec = rs_xreallocarray(s->rec, (size_t)s->cap, sizeof *s->rec);
    }
    memmove(&s->rec[lo + 1], &s->rec[lo],
            (size_t)(s->nrec - lo) * sizeof *s->rec);
    s->nrec++;
    s->rec[lo] = (struct grec){step, 0, 0.0, INFINITY, -INFINITY};
    if (lo < s->sent)
        s->sent = lo; /* cannot happen while members log in step order */
    return &s->rec[lo];
}

static void
tap(void *ud, const char *name, long step, double v)
{
    struct gtap *t = ud;
    if (strncmp(name, "time/", 5) == 0)
        return;
    struct gseries *s = series_of(t->g, name);
    struct grec *r = record_at(s, step);
    r->n++;
    r->sum += v;
    r->lo = v < r->lo ? v : r->lo;
    r->hi = v > r->hi ? v : r->hi;
    if (step > s->last[t->slot])
        s->last[t->slot] = step;
}

void
rs_compare_groups_tap(rs_compare *c, struct run *r)
{
    struct rs_compare_group *g = group_of(c, r->group);
    for (int s = 0; g != NULL && s < g->size; s++)
        if (g->points[s] == r->index)
            rs_attach_set_tap(r->a, tap, &g->taps[s]);
}

/* Whether point index of c has ended: its log says done or failed, or
 * the sweep wrote its exit code. */
static bool
ended(const rs_compare *c, int index)
{
    for (int i = 0; i < c->n + c->missing; i++) {
        const struct run *r = i < c->n ? &c->runs[i] : &c->pending[i - c->n];
        if (r->index != index)
            continue;
        if (r->exit_code >= 0)
            return true;
        if (r->a == NULL)
            return false;
        struct rs_bus_status st;
        rs_attach_status(r->a, &st);
        return st.state == RS_SESSION_DONE || st.state == RS_SESSION_FAILED;
    }
    return true; /* no such point: it holds nothing back */
}

void
rs_compare_groups_publish(rs_compare *c)
{
    for (int k = 0; k < c->ngroups; k++) {
        struct rs_compare_group *g = &c->groups[k];
        bool *over = rs_xcalloc((size_t)g->size, sizeof *over);
        for (int m = 0; m < g->size; m++)
            over[m] = ended(c, g->points[m]);
        for (int i = 0; i < g->nser; i++) {
            struct gseries *s = &g->ser[i];
            long upto = LONG_MAX;
            for (int m = 0; m < g->size; m++)
                if (!over[m] && s->last[m] < upto)
                    upto = s->last[m];
            /* names past the bus's length are cut by the bus */
            char name[sizeof g->pub + RS_BUS_NAME_MAX], lo[sizeof name + 4],
                hi[sizeof name + 4];
            snprintf(name, sizeof name, "%s/%s", g->pub, s->name);
            snprintf(lo, sizeof lo, "%s_lo", name);
            snprintf(hi, sizeof hi, "%s_hi", name);
            for (; s->sent < s->nrec && s->rec[s->sent].step <= upto;
                 s->sent++) {
                const struct grec *r = &s->rec[s->sent];
                double x = (double)r->step;
                rs_bus_push(c->bus, name, x, r->sum / r->n);
                rs_bus_push(c->bus, lo, x, r->lo);
                rs_bus_push(c->bus, hi, x, r->hi);
            }
        }
        free(over);
    }
}

void
rs_compare_groups_free(rs_compare *c)
{
    for (int k = 0; k < c->ngroups; k++) {
        struct rs_compare_group *g = &c->groups[k];
        for (int i = 0; i < g->nser; i++) {
            free(g->ser[i].rec);
            free(g->ser[i].last);
        }
        free(g->ser);
        free(g->points);
        free(g->taps);
    }
    free(c->groups);
}
