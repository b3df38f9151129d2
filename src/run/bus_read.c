/* repscope - MIT licence, see COPYING.
 *
 * bus_read.c: the metric bus's reader side (bus.h). Every call takes the
 * (recursive) mutex, copies out of the published side, and lets go;
 * nothing a reader gets points into the bus. Any thread.
 */
#include "config.h"

#include "run/bus.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/base.h"
#include "run/bus_impl.h"

uint64_t
rs_bus_version(const rs_bus *b)
{
    return atomic_load(&b->version);
}

void
rs_bus_read_begin(rs_bus *b)
{
    rs_bus_lock(b);
}

void
rs_bus_read_end(rs_bus *b)
{
    rs_bus_unlock(b);
}

void
rs_bus_status(const rs_bus *b, struct rs_bus_status *out)
{
    rs_bus_lock(b);
    *out = b->pub_status;
    rs_bus_unlock(b);
}

static int
cmp_name(const void *x, const void *y)
{
    return strcmp((const char *)x, (const char *)y);
}

/* Collect names of series (mats false) or matrices, sorted. */
static int
names(const rs_bus *b, bool mats, char (*out)[RS_BUS_NAME_MAX], int max)
{
    rs_bus_lock(b);
    int n = mats ? b->pub.nmats : b->pub.nseries;
    char(*all)[RS_BUS_NAME_MAX] = NULL;
    if (n > 0) {
        all = rs_xcalloc((size_t)n, RS_BUS_NAME_MAX);
        for (int i = 0; i < n; i++)
            memcpy(all[i], mats ? b->pub.mats[i]->name : b->pub.series[i]->name,
                   RS_BUS_NAME_MAX);
    }
    rs_bus_unlock(b);
    if (n > 0) {
        qsort(all, (size_t)n, RS_BUS_NAME_MAX, cmp_name);
        for (int i = 0; i < n && i < max; i++)
            memcpy(out[i], all[i], RS_BUS_NAME_MAX);
    }
    free(all);
    return n;
}

int
rs_bus_series_names(const rs_bus *b, char (*out)[RS_BUS_NAME_MAX], int max)
{
    return names(b, false, out, max);
}

int
rs_bus_matrix_names(const rs_bus *b, char (*out)[RS_BUS_NAME_MAX], int max)
{
    return names(b, true, out, max);
}

static void
to_point(struct rs_bus_point *p, const struct bucket *k)
{
    p->step_lo = k->step_lo;
    p->step_hi = k->step_hi;
    p->min = k->min;
    p->max = k->max;
    p->last = k->last;
    p->count = k->count;
    p->mean = (float)(k->sum / (double)k->count);
}

size_t
rs_bus_series_copy(const rs_bus *b, const char *name, struct rs_bus_point *out,
                   size_t max, uint64_t *version)
{
    char key[RS_BUS_NAME_MAX];
    rs_bus_copy_name(key, sizeof(key), name);
    size_t n = 0;
    uint64_t ver = 0;
    rs_bus_lock(b);
    int i = rs_bus_map_find(&b->pub.smap, key);
    if (i >= 0) {
        const struct series *s = b->pub.series[i];
        n = s->n < max ? s->n : max;
        for (size_t k = 0; k < n; k++)
            to_point(&out[k], &s->b[k]);
        ver = s->version;
    }
    rs_bus_unlock(b);
    if (version != NULL)
        *version = ver;
    return n;
}

bool
rs_bus_series_last(const rs_bus *b, const char *name, double *step,
                   double *value)
{
    char key[RS_BUS_NAME_MAX];
    rs_bus_copy_name(key, sizeof(key), name);
    bool ok = false;
    rs_bus_lock(b);
    int i = rs_bus_map_find(&b->pub.smap, key);
    if (i >= 0 && b->pub.series[i]->n > 0) {
        const struct bucket *k = &b->pub.series[i]->b[b->pub.series[i]->n - 1];
        *step = k->step_hi;
        *value = k->last;
        ok = true;
    }
    rs_bus_unlock(b);
    return ok;
}

bool
rs_bus_matrix_copy(const rs_bus *b, const char *name, float **data, size_t *cap,
                   int *rows, int *cols, double *step, uint64_t *version)
{
    char key[RS_BUS_NAME_MAX];
    rs_bus_copy_name(key, sizeof(key), name);
    bool ok = false;
    rs_bus_lock(b);
    int i = rs_bus_map_find(&b->pub.mmap, key);
    if (i >= 0) {
        const struct matrix *m = b->pub.mats[i];
        size_t n = (size_t)m->rows * (size_t)m->cols;
        if (*cap < n || *data == NULL) {
            size_t c = n > 0 ? n : 1;
            *data = rs_xreallocarray(*data, c, sizeof(float));
            *cap = c;
        }
        if (n > 0)
            memcpy(*data, m->data, n * sizeof(float));
        *rows = m->rows;
        *cols = m->cols;
        if (step != NULL)
            *step = m->step;
        if (version != NULL)
            *version = m->version;
        ok = true;
    }
    rs_bus_unlock(b);
    return ok;
}

bool
rs_bus_matrix_label(const rs_bus *b, const char *name, bool row, int i,
                    char *buf, size_t len)
{
    char key[RS_BUS_NAME_MAX];
    rs_bus_copy_name(key, sizeof(key), name);
    bool ok = false;
    rs_bus_lock(b);
    int k = rs_bus_map_find(&b->pub.mmap, key);
    if (k >= 0) {
        const struct matrix *m = b->pub.mats[k];
        char **lab = row ? m->rlab : m->clab;
        int n = row ? m->nrlab : m->nclab;
        if (lab != NULL && i >= 0 && i < n && len > 0) {
            rs_bus_copy_name(buf, len, lab[i]);
            ok = true;
        }
    }
    rs_bus_unlock(b);
    return ok;
}

int
rs_bus_events(const rs_bus *b, uint64_t after, struct rs_bus_event *out,
              int max, uint64_t *last)
{
    int n = 0;
    uint64_t seq = after;
    rs_bus_lock(b);
    for (int k = 0; k < b->pub_nev && n < max; k++) {
        const struct ev_slot *e =
            &b->pub_ev[(b->pub_ev0 + k) % RS_BUS_EVENTS_CAP];
        if (e->seq <= after)
            continue;
        out[n++] = e->ev;
        seq = e->seq;
    }
    rs_bus_unlock(b);
    if (last != NULL)
        *last = seq;
    return n;
}

int
rs_bus_lines(const rs_bus *b, uint64_t after, char (*out)[RS_BUS_LINE_MAX],
             int max, uint64_t *last)
{
    int n = 0;
    uint64_t seq = after;
    rs_bus_lock(b);
    for (int k = 0; k < b->pub_nline && n < max; k++) {
        const struct line_slot *l =
            &b->pub_line[(b->pub_line0 + k) % RS_BUS_LINES_CAP];
        if (l->seq <= after)
            continue;
        memcpy(out[n++], l->text, strlen(l->text) + 1);
        seq = l->seq;
    }
    rs_bus_unlock(b);
    if (last != NULL)
        *last = seq;
    return n;
}

char *
rs_bus_views(const rs_bus *b)
{
    rs_bus_lock(b);
    char *v = b->pub_views != NULL ? rs_xstrdup(b->pub_views) : NULL;
    rs_bus_unlock(b);
    return v;
}

int
rs_bus_wake_fd(const rs_bus *b)
{
    return b->wake_rd;
}

void
rs_bus_drain_wake(rs_bus *b)
{
    char buf[64];
    ssize_t r;
    do {
        r = read(b->wake_rd, buf, sizeof(buf));
    } while (r > 0 || (r < 0 && errno == EINTR));
    /* Empty now; a publish after this point writes a new byte. */
    atomic_store(&b->wake_pending, false);
}

const char *
rs_session_state_name(enum rs_session_state st)
{
    switch (st) {
    case RS_SESSION_LOADING:
        return "loading";
    case RS_SESSION_RUNNING:
        return "running";
    case RS_SESSION_PAUSED:
        return "paused";
    case RS_SESSION_DONE:
        return "done";
    case RS_SESSION_FAILED:
        return "failed";
    }
    return "unknown";
}
