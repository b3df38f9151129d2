/* repscope - MIT licence, see COPYING.
 *
 * cmdq.c: the command queue (cmdq.h): a bounded ring of struct rs_cmd
 * values under one mutex, with a condition variable on the monotonic
 * clock for the waiting pop. Pushes never wait for space: a full queue is
 * an error the caller shows. Invariant: 0 <= count <= cap; after close no
 * push succeeds and pops only drain.
 * Threads: any thread pushes, closes and counts; one thread (the worker)
 * pops.
 */
#include "config.h"

#include "run/cmdq.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base.h"

struct rs_cmdq {
    pthread_mutex_t mu;
    pthread_cond_t nonempty;
    struct rs_cmd *ring;
    int cap, head, count;
    bool closed;
};

rs_cmdq *
rs_cmdq_new(int capacity)
{
    RS_ASSERT(capacity > 0);
    rs_cmdq *q = rs_xcalloc(1, sizeof(*q));
    q->ring = rs_xcalloc((size_t)capacity, sizeof(*q->ring));
    q->cap = capacity;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (pthread_mutex_init(&q->mu, NULL) != 0 ||
        pthread_cond_init(&q->nonempty, &ca) != 0)
        rs_fatal("cmdq: cannot create a mutex or condition variable");
    pthread_condattr_destroy(&ca);
    return q;
}

void
rs_cmdq_free(rs_cmdq *q)
{
    if (q == NULL)
        return;
    pthread_cond_destroy(&q->nonempty);
    pthread_mutex_destroy(&q->mu);
    free(q->ring);
    free(q);
}

int
rs_cmdq_push(rs_cmdq *q, const struct rs_cmd *c)
{
    int rc = RS_OK;
    pthread_mutex_lock(&q->mu);
    if (q->closed || q->count == q->cap) {
        rc = RS_EINVAL;
    } else {
        q->ring[(q->head + q->count) % q->cap] = *c;
        q->count++;
        pthread_cond_signal(&q->nonempty);
    }
    pthread_mutex_unlock(&q->mu);
    return rc;
}

int
rs_cmdq_push_kind(rs_cmdq *q, enum rs_cmd_kind kind)
{
    struct rs_cmd c;
    memset(&c, 0, sizeof(c));
    c.kind = kind;
    return rs_cmdq_push(q, &c);
}

/* now + s on the monotonic clock. */
static struct timespec
deadline_after(double s)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    double whole = (double)(long)s;
    t.tv_sec += (time_t)whole;
    t.tv_nsec += (long)((s - whole) * 1e9);
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

bool
rs_cmdq_pop(rs_cmdq *q, struct rs_cmd *out, double timeout_s)
{
    struct timespec until = {0, 0};
    if (timeout_s > 0) {
        /* Cap absurd timeouts rather than overflow time_t arithmetic. */
        until = deadline_after(timeout_s < 1e6 ? timeout_s : 1e6);
    }
    pthread_mutex_lock(&q->mu);
    while (q->count == 0 && !q->closed && timeout_s != 0) {
        int rc;
        if (timeout_s < 0)
            rc = pthread_cond_wait(&q->nonempty, &q->mu);
        else
            rc = pthread_cond_timedwait(&q->nonempty, &q->mu, &until);
        if (rc == ETIMEDOUT)
            break;
    }
    bool got = q->count > 0;
    if (got) {
        *out = q->ring[q->head];
        q->head = (q->head + 1) % q->cap;
        q->count--;
    }
    pthread_mutex_unlock(&q->mu);
    return got;
}

void
rs_cmdq_close(rs_cmdq *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = true;
    pthread_cond_broadcast(&q->nonempty);
    pthread_mutex_unlock(&q->mu);
}

int
rs_cmdq_count(rs_cmdq *q)
{
    pthread_mutex_lock(&q->mu);
    int n = q->count;
    pthread_mutex_unlock(&q->mu);
    return n;
}
