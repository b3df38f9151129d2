/* repscope - MIT licence, see COPYING.
 *
 * bus.c: the metric bus (bus.h): life, the writer and publishing. A
 * writer call first changes the writer's own copy (the backlog), then
 * tries the mutex once; on success it moves what changed across (the tail
 * of each dirty series from its first changed bucket, matrix buffers by
 * pointer swap, events and lines by copy), bumps the global version and
 * wakes readers. A reader holding the mutex therefore delays publication,
 * never the writer. Invariants: every bucket of a series but the newest
 * holds exactly span points; a published series equals the replica as it
 * was at the last publish; sequence numbers are assigned by the writer.
 * Writer functions on the one writer thread only; rs_bus_new/free on the
 * owner. Readers are in bus_read.c.
 */
#include "config.h"

#include "run/bus.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/base.h"
#include "run/bus_impl.h"

static void
map_put(struct namemap *m, const char *key, int idx)
{
    if ((m->used + 1) * 2 > m->cap) {
        struct namemap old = *m;
        m->cap = old.cap ? old.cap * 2 : 16;
        m->keys = rs_xcalloc(m->cap, sizeof(*m->keys));
        m->idx = rs_xcalloc(m->cap, sizeof(*m->idx));
        m->used = 0;
        for (size_t i = 0; i < old.cap; i++)
            if (old.keys[i] != NULL)
                map_put(m, old.keys[i], old.idx[i]);
        free(old.keys);
        free(old.idx);
    }
    size_t i = rs_bus_hash(key) & (m->cap - 1);
    while (m->keys[i] != NULL)
        i = (i + 1) & (m->cap - 1);
    m->keys[i] = key;
    m->idx[i] = idx;
    m->used++;
}

static struct series *
side_series(struct side *sd, const char *name, int *index)
{
    char key[RS_BUS_NAME_MAX];
    rs_bus_copy_name(key, sizeof(key), name);
    int i = rs_bus_map_find(&sd->smap, key);
    if (i < 0) {
        if (sd->nseries == sd->capseries) {
            sd->capseries = sd->capseries ? sd->capseries * 2 : 16;
            sd->series = rs_xreallocarray(sd->series, (size_t)sd->capseries,
                                          sizeof(*sd->series));
        }
        struct series *s = rs_xcalloc(1, sizeof(*s));
        memcpy(s->name, key, sizeof(key));
        s->span = 1;
        s->dirty_from = SIZE_MAX;
        i = sd->nseries++;
        sd->series[i] = s;
        map_put(&sd->smap, s->name, i);
    }
    if (index != NULL)
        *index = i;
    return sd->series[i];
}

static struct matrix *
side_matrix(struct side *sd, const char *name, int *index)
{
    char key[RS_BUS_NAME_MAX];
    rs_bus_copy_name(key, sizeof(key), name);
    int i = rs_bus_map_find(&sd->mmap, key);
    if (i < 0) {
        if (sd->nmats == sd->capmats) {
            sd->capmats = sd->capmats ? sd->capmats * 2 : 8;
            sd->mats = rs_xreallocarray(sd->mats, (size_t)sd->capmats,
                                        sizeof(*sd->mats));
        }
        struct matrix *m = rs_xcalloc(1, sizeof(*m));
        memcpy(m->name, key, sizeof(key));
        i = sd->nmats++;
        sd->mats[i] = m;
        map_put(&sd->mmap, m->name, i);
    }
    if (index != NULL)
        *index = i;
    return sd->mats[i];
}

static void
free_labels(char **lab, int n)
{
    if (lab == NULL)
        return;
    for (int i = 0; i < n; i++)
        free(lab[i]);
    free(lab);
}

static void
side_free(struct side *sd)
{
    for (int i = 0; i < sd->nseries; i++) {
        free(sd->series[i]->b);
        free(sd->series[i]);
    }
    free(sd->series);
    for (int i = 0; i < sd->nmats; i++) {
        struct matrix *m = sd->mats[i];
        free(m->data);
        free_labels(m->rlab, m->nrlab);
        free_labels(m->clab, m->nclab);
        free(m);
    }
    free(sd->mats);
    free(sd->smap.keys);
    free(sd->smap.idx);
    free(sd->mmap.keys);
    free(sd->mmap.idx);
}

/* ---- life ----------------------------------------------------------- */

rs_bus *
rs_bus_new(void)
{
    rs_bus *b = rs_xcalloc(1, sizeof(*b));
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    b->mu = rs_xmalloc(sizeof(*b->mu));
    if (pthread_mutex_init(b->mu, &a) != 0)
        rs_fatal("bus: cannot create a mutex");
    pthread_mutexattr_destroy(&a);
    int fd[2];
    if (pipe(fd) != 0)
        rs_fatal("bus: cannot create the wake pipe: %s", strerror(errno));
    for (int i = 0; i < 2; i++) {
        fcntl(fd[i], F_SETFL, fcntl(fd[i], F_GETFL) | O_NONBLOCK);
        fcntl(fd[i], F_SETFD, FD_CLOEXEC);
    }
    b->wake_rd = fd[0];
    b->wake_wr = fd[1];
    atomic_init(&b->wake_pending, false);
    atomic_init(&b->version, 0);
    atomic_init(&b->n_publish, 0);
    atomic_init(&b->n_defer, 0);
    atomic_init(&b->n_lost, 0);
    b->w_status.total = -1;
    b->w_status.eta_s = -1;
    b->pub_status = b->w_status;
    return b;
}

void
rs_bus_free(rs_bus *b)
{
    if (b == NULL)
        return;
    side_free(&b->w);
    side_free(&b->pub);
    free(b->w_dirty_series);
    free(b->w_dirty_mats);
    free(b->w_views);
    free(b->pub_views);
    close(b->wake_rd);
    close(b->wake_wr);
    pthread_mutex_destroy(b->mu);
    free(b->mu);
    free(b);
}

/* ---- publishing (writer, under mu) ---------------------------------- */

static void
publish_series(rs_bus *b, const struct series *w)
{
    struct series *p = side_series(&b->pub, w->name, NULL);
    if (p->cap < w->n) {
        p->cap = w->cap;
        p->b = rs_xreallocarray(p->b, p->cap, sizeof(*p->b));
    }
    size_t from = w->dirty_from < p->n ? w->dirty_from : p->n;
    if (w->n > from)
        memcpy(p->b + from, w->b + from, (w->n - from) * sizeof(*w->b));
    p->n = w->n;
    p->span = w->span;
    p->version = w->version;
}

static void
publish_matrix(rs_bus *b, struct matrix *w)
{
    struct matrix *p = side_matrix(&b->pub, w->name, NULL);
    /* Swap buffers: the writer reuses the old published ones. */
    struct matrix t = *p;
    p->data = w->data;
    p->cap = w->cap;
    p->rlab = w->rlab;
    p->clab = w->clab;
    p->nrlab = w->nrlab;
    p->nclab = w->nclab;
    p->step = w->step;
    p->rows = w->rows;
    p->cols = w->cols;
    p->version = w->version;
    w->data = t.data;
    w->cap = t.cap;
    w->rlab = t.rlab;
    w->clab = t.clab;
    w->nrlab = t.nrlab;
    w->nclab = t.nclab;
}

static void
publish_locked(rs_bus *b)
{
    bool changed = false;
    for (int k = 0; k < b->w_ndirty_series; k++) {
        struct series *w = b->w.series[b->w_dirty_series[k]];
        publish_series(b, w);
        w->dirty = false;
        w->dirty_from = SIZE_MAX;
        changed = true;
    }
    b->w_ndirty_series = 0;
    for (int k = 0; k < b->w_ndirty_mats; k++) {
        struct matrix *w = b->w.mats[b->w_dirty_mats[k]];
        publish_matrix(b, w);
        w->dirty = false;
        changed = true;
    }
    b->w_ndirty_mats = 0;
    for (int k = 0; k < b->w_nev; k++) {
        int at = (b->pub_ev0 + b->pub_nev) % RS_BUS_EVENTS_CAP;
        b->pub_ev[at] = b->w_ev[k];
        if (b->pub_nev < RS_BUS_EVENTS_CAP)
            b->pub_nev++;
        else
            b->pub_ev0 = (b->pub_ev0 + 1) % RS_BUS_EVENTS_CAP;
        changed = true;
    }
    b->w_nev = 0;
    for (int k = 0; k < b->w_nline; k++) {
        const struct line_slot *src =
            &b->w_line[(b->w_line0 + k) % RS_BUS_LINES_CAP];
        int at = (b->pub_line0 + b->pub_nline) % RS_BUS_LINES_CAP;
        b->pub_line[at].seq = src->seq;
        memcpy(b->pub_line[at].text, src->text, strlen(src->text) + 1);
        if (b->pub_nline < RS_BUS_LINES_CAP)
            b->pub_nline++;
        else
            b->pub_line0 = (b->pub_line0 + 1) % RS_BUS_LINES_CAP;
        changed = true;
    }
    b->w_nline = 0;
    b->w_line0 = 0;
    if (b->w_status_dirty) {
        b->pub_status = b->w_status;
        b->w_status_dirty = false;
        changed = true;
    }
    if (b->w_views_dirty) {
        char *t = b->pub_views;
        b->pub_views = b->w_views;
        b->w_views = t;
        b->w_views_dirty = false;
        changed = true;
    }
    if (changed)
        atomic_fetch_add(&b->version, 1);
}

static bool
has_backlog(const rs_bus *b)
{
    return b->w_ndirty_series > 0 || b->w_ndirty_mats > 0 || b->w_nev > 0 ||
           b->w_nline > 0 || b->w_status_dirty || b->w_views_dirty;
}

/* Wake readers: at most one byte in flight (rs_bus_drain_wake clears the
 * flag after emptying the pipe). */
static void
wake(rs_bus *b)
{
    if (!atomic_exchange(&b->wake_pending, true)) {
        char c = 1;
        ssize_t r;
        do {
            r = write(b->wake_wr, &c, 1);
        } while (r < 0 && errno == EINTR);
        /* EAGAIN: the pipe is full, which already means "wake". */
    }
}

/* One lock attempt; never waits. */
static bool
try_publish(rs_bus *b)
{
    if (pthread_mutex_trylock(b->mu) != 0) {
        atomic_fetch_add(&b->n_defer, 1);
        return false;
    }
    publish_locked(b);
    rs_bus_unlock(b);
    atomic_fetch_add(&b->n_publish, 1);
    wake(b);
    return true;
}

bool
rs_bus_try_flush(rs_bus *b)
{
    if (!has_backlog(b))
        return true;
    return try_publish(b);
}

void
rs_bus_flush(rs_bus *b)
{
    if (!has_backlog(b))
        return;
    rs_bus_lock(b);
    publish_locked(b);
    rs_bus_unlock(b);
    atomic_fetch_add(&b->n_publish, 1);
    wake(b);
}

/* ---- writer --------------------------------------------------------- */

static void
mark_series(rs_bus *b, struct series *s, int idx, size_t from)
{
    if (from < s->dirty_from)
        s->dirty_from = from;
    if (!s->dirty) {
        s->dirty = true;
        if (b->w_ndirty_series == b->w_capdirty_series) {
            b->w_capdirty_series = b->w.capseries;
            b->w_dirty_series = rs_xreallocarray(
                b->w_dirty_series, (size_t)b->w_capdirty_series, sizeof(int));
        }
        b->w_dirty_series[b->w_ndirty_series++] = idx;
    }
}

/* Merge buckets pairwise: CAP full buckets of span become CAP/2 of 2 span. */
static void
series_halve(struct series *s)
{
    for (size_t i = 0; i < s->n / 2; i++) {
        const struct bucket *x = &s->b[2 * i], *y = &s->b[2 * i + 1];
        struct bucket m = {
            .step_lo = x->step_lo,
            .step_hi = y->step_hi,
            .sum = x->sum + y->sum,
            .min = x->min < y->min ? x->min : y->min,
            .max = x->max > y->max ? x->max : y->max,
            .last = y->last,
            .count = x->count + y->count,
        };
        s->b[i] = m;
    }
    s->n /= 2;
    s->span *= 2;
}

void
rs_bus_push(rs_bus *b, const char *name, double step, double value)
{
    if (!isfinite(value))
        return;
    int idx;
    struct series *s = side_series(&b->w, name, &idx);
    float v = (float)value;
    size_t from;
    if (s->n > 0 && s->b[s->n - 1].count < s->span) {
        struct bucket *k = &s->b[s->n - 1];
        k->step_hi = step;
        k->sum += value;
        k->min = v < k->min ? v : k->min;
        k->max = v > k->max ? v : k->max;
        k->last = v;
        k->count++;
        from = s->n - 1;
    } else {
        from = s->n;
        if (s->n == RS_BUS_SERIES_CAP) {
            series_halve(s);
            from = 0;
        }
        if (s->n == s->cap) {
            s->cap = s->cap ? s->cap * 2 : 64;
            if (s->cap > RS_BUS_SERIES_CAP)
                s->cap = RS_BUS_SERIES_CAP;
            s->b = rs_xreallocarray(s->b, s->cap, sizeof(*s->b));
        }
        s->b[s->n++] = (struct bucket){.step_lo = step,
                                       .step_hi = step,
                                       .sum = value,
                                       .min = v,
                                       .max = v,
                                       .last = v,
                                       .count = 1};
    }
    s->version++;
    mark_series(b, s, idx, from);
    try_publish(b);
}

static char **
dup_labels(const char *const *lab, int n, int *count)
{
    *count = 0;
    if (lab == NULL || n <= 0)
        return NULL;
    char **out = rs_xcalloc((size_t)n, sizeof(*out));
    for (int i = 0; i < n; i++)
        out[i] = rs_xstrdup(lab[i] != NULL ? lab[i] : "");
    *count = n;
    return out;
}

void
rs_bus_put_matrix(rs_bus *b, const char *name, double step, int rows, int cols,
                  const float *data, const char *const *row_labels,
                  const char *const *col_labels)
{
    RS_ASSERT(rows >= 0 && cols >= 0);
    RS_ASSERT(data != NULL || rows == 0 || cols == 0);
    int idx;
    struct matrix *m = side_matrix(&b->w, name, &idx);
    size_t n = (size_t)rows * (size_t)cols;
    if (m->cap < n || m->data == NULL) {
        free(m->data);
        m->cap = n > 0 ? n : 1;
        m->data = rs_xmalloc(m->cap * sizeof(float));
    }
    if (n > 0)
        memcpy(m->data, data, n * sizeof(float));
    free_labels(m->rlab, m->nrlab);
    free_labels(m->clab, m->nclab);
    m->rlab = dup_labels(row_labels, rows, &m->nrlab);
    m->clab = dup_labels(col_labels, cols, &m->nclab);
    m->rows = rows;
    m->cols = cols;
    m->step = step;
    m->version++;
    if (!m->dirty) {
        m->dirty = true;
        if (b->w_ndirty_mats == b->w_capdirty_mats) {
            b->w_capdirty_mats = b->w.capmats;
            b->w_dirty_mats = rs_xreallocarray(
                b->w_dirty_mats, (size_t)b->w_capdirty_mats, sizeof(int));
        }
        b->w_dirty_mats[b->w_ndirty_mats++] = idx;
    }
    try_publish(b);
}

void
rs_bus_event(rs_bus *b, double step, const char *fmt, ...)
{
    if (b->w_nev == RS_BUS_EVENTS_CAP) {
        /* A full backlog drops its oldest (the ring would anyway). */
        memmove(b->w_ev, b->w_ev + 1,
                (RS_BUS_EVENTS_CAP - 1) * sizeof(b->w_ev[0]));
        b->w_nev--;
        atomic_fetch_add(&b->n_lost, 1);
    }
    struct ev_slot *e = &b->w_ev[b->w_nev++];
    e->seq = ++b->w_evseq;
    e->ev.step = step;
    char tmp[sizeof(e->ev.text) * 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    rs_bus_copy_name(e->ev.text, sizeof(e->ev.text), tmp);
    try_publish(b);
}

void
rs_bus_print(rs_bus *b, const char *text)
{
    if (b->w_nline == RS_BUS_LINES_CAP) {
        b->w_line0 = (b->w_line0 + 1) % RS_BUS_LINES_CAP;
        b->w_nline--;
        atomic_fetch_add(&b->n_lost, 1);
    }
    struct line_slot *l =
        &b->w_line[(b->w_line0 + b->w_nline++) % RS_BUS_LINES_CAP];
    l->seq = ++b->w_lineseq;
    rs_bus_copy_name(l->text, sizeof(l->text), text);
    try_publish(b);
}

void
rs_bus_set_status(rs_bus *b, const struct rs_bus_status *st)
{
    b->w_status = *st;
    b->w_status_dirty = true;
    try_publish(b);
}

void
rs_bus_set_views(rs_bus *b, const char *views_json)
{
    free(b->w_views);
    b->w_views = rs_xstrdup(views_json);
    b->w_views_dirty = true;
    try_publish(b);
}

bool
rs_bus_writer_last(const rs_bus *b, const char *name, double *step,
                   double *value)
{
    char key[RS_BUS_NAME_MAX];
    rs_bus_copy_name(key, sizeof(key), name);
    int i = rs_bus_map_find(&b->w.smap, key);
    if (i < 0 || b->w.series[i]->n == 0)
        return false;
    const struct bucket *k = &b->w.series[i]->b[b->w.series[i]->n - 1];
    *step = k->step_hi;
    *value = k->last;
    return true;
}

void
rs_bus_stats(const rs_bus *b, struct rs_bus_stats *out)
{
    out->publishes = atomic_load(&b->n_publish);
    out->deferred = atomic_load(&b->n_defer);
    out->events_lost = atomic_load(&b->n_lost);
}
