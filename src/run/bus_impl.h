/* repscope - MIT licence, see COPYING.
 *
 * bus_impl.h: the metric bus's insides, shared by bus.c (life, writer,
 * publishing) and bus_read.c (readers). Two copies of everything: the
 * writer's side `w` and its w_* fields (the backlog), touched only by the
 * one writer thread; the published side `pub` and the pub_* fields,
 * touched only under mu; version and the statistics are atomics.
 */
#ifndef RS_RUN_BUS_IMPL_H
#define RS_RUN_BUS_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/base.h"
#include "run/bus.h"

/* A bucket with the exact (double) sum, so merges keep the mean exact up
 * to double rounding; the mean is computed when copied out. */
struct bucket {
    double step_lo, step_hi, sum;
    float min, max, last;
    uint32_t count;
};

struct series {
    char name[RS_BUS_NAME_MAX];
    struct bucket *b;
    size_t n, cap;
    uint64_t span; /* points per full bucket */
    uint64_t version;
    size_t dirty_from; /* replica: first bucket changed since publish */
    bool dirty;        /* replica: on the dirty list */
};

struct matrix {
    char name[RS_BUS_NAME_MAX];
    double step;
    int rows, cols;
    float *data;
    size_t cap;  /* floats */
    char **rlab; /* rows strings or NULL */
    char **clab; /* cols strings or NULL */
    int nrlab, nclab;
    uint64_t version;
    bool dirty;
};

struct ev_slot {
    uint64_t seq;
    struct rs_bus_event ev;
};

struct line_slot {
    uint64_t seq;
    char text[RS_BUS_LINE_MAX];
};

/* Name -> index, open addressing over pointers to the names (stable: each
 * series and matrix is allocated once). */
struct namemap {
    const char **keys;
    int *idx;
    size_t cap; /* power of two, 0 when empty */
    size_t used;
};

/* One side's collections (writer replica or published). */
struct side {
    struct series **series;
    int nseries, capseries;
    struct namemap smap;
    struct matrix **mats;
    int nmats, capmats;
    struct namemap mmap;
};

struct rs_bus {
    /* Recursive (rs_bus_read_begin nests readers); a pointer so that
     * readers taking a const bus can lock it. */
    pthread_mutex_t *mu;
    int wake_rd, wake_wr;
    atomic_bool wake_pending;
    atomic_uint_least64_t version;
    atomic_uint_least64_t n_publish, n_defer, n_lost;

    /* writer side */
    struct side w;
    int *w_dirty_series, w_ndirty_series, w_capdirty_series;
    int *w_dirty_mats, w_ndirty_mats, w_capdirty_mats;
    struct ev_slot w_ev[RS_BUS_EVENTS_CAP];
    int w_nev;
    uint64_t w_evseq;
    struct line_slot w_line[RS_BUS_LINES_CAP];
    int w_nline, w_line0; /* pending ring: first index, count */
    uint64_t w_lineseq;
    struct rs_bus_status w_status;
    bool w_status_dirty;
    char *w_views;
    bool w_views_dirty;

    /* published side (under mu) */
    struct side pub;
    struct ev_slot pub_ev[RS_BUS_EVENTS_CAP];
    int pub_ev0, pub_nev;
    struct line_slot pub_line[RS_BUS_LINES_CAP];
    int pub_line0, pub_nline;
    struct rs_bus_status pub_status;
    char *pub_views;
};

/* Copy src into dst (cap bytes), cutting at a UTF-8 character boundary. */
static inline void
rs_bus_copy_name(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static inline uint64_t
rs_bus_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static inline int
rs_bus_map_find(const struct namemap *m, const char *name)
{
    if (m->cap == 0)
        return -1;
    for (size_t i = rs_bus_hash(name) & (m->cap - 1);;
         i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == NULL)
            return -1;
        if (strcmp(m->keys[i], name) == 0)
            return m->idx[i];
    }
}

static inline void
rs_bus_lock(const rs_bus *b)
{
    int rc = pthread_mutex_lock(b->mu);
    RS_ASSERT(rc == 0);
}

static inline void
rs_bus_unlock(const rs_bus *b)
{
    int rc = pthread_mutex_unlock(b->mu);
    RS_ASSERT(rc == 0);
}

#endif /* RS_RUN_BUS_IMPL_H */
