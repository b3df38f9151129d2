/* repscope - MIT licence, see COPYING.
 *
 * t_run_cmdq.c: the command queue. FIFO order and payload copies, a full
 * queue refusing pushes, the three timeout modes of pop, close waking a
 * blocked popper and draining what is left, and a bounded stress run of
 * several producers against one consumer that checks every command
 * arrives exactly once and in per-producer order. Timing never decides a
 * result: waits are only upper bounds for the test not to hang.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base.h"
#include "run/cmdq.h"
#include "tests/tap.h"

static void
test_order(void)
{
    rs_cmdq *q = rs_cmdq_new(8);
    for (int i = 0; i < 5; i++) {
        struct rs_cmd c;
        memset(&c, 0, sizeof(c));
        c.kind = RS_CMD_STEP;
        c.n = 100 + i;
        snprintf(c.text, sizeof(c.text), "cmd %d", i);
        tap_ok(rs_cmdq_push(q, &c) == RS_OK, "push %d", i);
    }
    tap_is_int(rs_cmdq_count(q), 5, "count after 5 pushes");
    bool order = true, payload = true;
    for (int i = 0; i < 5; i++) {
        struct rs_cmd c;
        if (!rs_cmdq_pop(q, &c, 0)) {
            order = false;
            break;
        }
        order = order && c.n == 100 + i && c.kind == RS_CMD_STEP;
        char want[32];
        snprintf(want, sizeof(want), "cmd %d", i);
        payload = payload && strcmp(c.text, want) == 0;
    }
    tap_ok(order, "pops come out in push order");
    tap_ok(payload, "text payloads are copied intact");
    struct rs_cmd c;
    tap_ok(!rs_cmdq_pop(q, &c, 0), "empty queue: poll returns false");
    tap_ok(rs_cmdq_push_kind(q, RS_CMD_PAUSE) == RS_OK, "push_kind");
    tap_ok(rs_cmdq_pop(q, &c, 0) && c.kind == RS_CMD_PAUSE && c.n == 0 &&
               c.text[0] == '\0',
           "push_kind: kind set, payload zeroed");
    rs_cmdq_free(q);
}

static void
test_full(void)
{
    rs_cmdq *q = rs_cmdq_new(4);
    int ok = 0;
    for (int i = 0; i < 4; i++)
        ok += rs_cmdq_push_kind(q, RS_CMD_RESUME) == RS_OK;
    tap_is_int(ok, 4, "capacity 4 takes 4 commands");
    tap_is_int(rs_cmdq_push_kind(q, RS_CMD_QUIT), RS_EINVAL,
               "the 5th push is refused (RS_EINVAL)");
    tap_is_int(rs_cmdq_count(q), 4, "count stays 4");
    struct rs_cmd c;
    tap_ok(rs_cmdq_pop(q, &c, 0) && c.kind == RS_CMD_RESUME,
           "pop from the full queue");
    tap_ok(rs_cmdq_push_kind(q, RS_CMD_QUIT) == RS_OK,
           "room again after a pop (ring wraps)");
    int n = 0;
    enum rs_cmd_kind lastk = RS_CMD_PAUSE;
    while (rs_cmdq_pop(q, &c, 0)) {
        n++;
        lastk = c.kind;
    }
    tap_ok(n == 4 && lastk == RS_CMD_QUIT, "wrapped ring drains in order");
    rs_cmdq_free(q);
}

static void
test_timeouts(void)
{
    rs_cmdq *q = rs_cmdq_new(2);
    struct rs_cmd c;
    double t0 = rs_time_now();
    bool got = rs_cmdq_pop(q, &c, 0.05);
    double dt = rs_time_now() - t0;
    tap_ok(!got, "timed pop on an empty queue returns false");
    /* Only a lower bound on a clock (no upper bound): the pop did wait. */
    tap_ok(dt >= 0.04, "timed pop waited (%.3f s for 0.05 s)", dt);
    tap_ok(rs_cmdq_push_kind(q, RS_CMD_SPEED) == RS_OK, "push");
    tap_ok(rs_cmdq_pop(q, &c, 10.0) && c.kind == RS_CMD_SPEED,
           "timed pop returns a waiting command at once");
    tap_ok(rs_cmdq_push_kind(q, RS_CMD_SET) == RS_OK &&
               rs_cmdq_pop(q, &c, -1) && c.kind == RS_CMD_SET,
           "blocking pop returns a waiting command");
    rs_cmdq_free(q);
}

struct waiter {
    rs_cmdq *q;
    bool got;
    int done; /* set under the test's own mutex */
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

static void *
blocked_pop(void *arg)
{
    struct waiter *w = arg;
    struct rs_cmd c;
    bool got = rs_cmdq_pop(w->q, &c, -1);
    pthread_mutex_lock(&w->mu);
    w->got = got;
    w->done = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

static void
test_close(void)
{
    rs_cmdq *q = rs_cmdq_new(4);
    struct waiter w = {.q = q};
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cv, NULL);
    pthread_t th;
    pthread_create(&th, NULL, blocked_pop, &w);
    /* Give the thread time to block (if it has not, close must still end
     * its pop: the result is the same either way). */
    struct timespec ts = {0, 100000000};
    nanosleep(&ts, NULL);
    rs_cmdq_close(q);
    pthread_join(th, NULL);
    tap_ok(w.done && !w.got, "close wakes a blocked pop, which gets nothing");

    rs_cmdq *q2 = rs_cmdq_new(4);
    tap_ok(rs_cmdq_push_kind(q2, RS_CMD_PAUSE) == RS_OK &&
               rs_cmdq_push_kind(q2, RS_CMD_RESUME) == RS_OK,
           "two pushes before close");
    rs_cmdq_close(q2);
    tap_is_int(rs_cmdq_push_kind(q2, RS_CMD_QUIT), RS_EINVAL,
               "push after close is refused");
    struct rs_cmd c;
    bool a = rs_cmdq_pop(q2, &c, -1) && c.kind == RS_CMD_PAUSE;
    bool b = rs_cmdq_pop(q2, &c, -1) && c.kind == RS_CMD_RESUME;
    tap_ok(a && b, "pops drain what was queued before close");
    tap_ok(!rs_cmdq_pop(q2, &c, -1), "then a blocking pop returns false");
    tap_ok(!rs_cmdq_pop(q2, &c, 5.0), "and so does a timed pop, at once");
    pthread_cond_destroy(&w.cv);
    pthread_mutex_destroy(&w.mu);
    rs_cmdq_free(q);
    rs_cmdq_free(q2);
}

#define PRODUCERS 4
#define PER_PRODUCER 3000

struct producer {
    rs_cmdq *q;
    int id;
    long full; /* pushes refused because the queue was full */
};

static void *
produce(void *arg)
{
    struct producer *p = arg;
    struct rs_cmd c;
    memset(&c, 0, sizeof(c));
    c.kind = RS_CMD_STEP;
    for (int i = 0; i < PER_PRODUCER; i++) {
        c.n = (long)p->id * 1000000 + i;
        c.x = p->id;
        snprintf(c.key, sizeof(c.key), "p%d", p->id);
        while (rs_cmdq_push(p->q, &c) != RS_OK) {
            /* Full: back off briefly (a real UI would say "busy"). */
            p->full++;
            struct timespec ts = {0, 50000};
            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

static void
test_stress(void)
{
    rs_cmdq *q = rs_cmdq_new(16);
    struct producer pr[PRODUCERS];
    pthread_t th[PRODUCERS];
    for (int i = 0; i < PRODUCERS; i++) {
        pr[i] = (struct producer){.q = q, .id = i};
        pthread_create(&th[i], NULL, produce, &pr[i]);
    }
    int next[PRODUCERS] = {0};
    bool ordered = true, consistent = true;
    int total = 0;
    struct rs_cmd c;
    while (total < PRODUCERS * PER_PRODUCER) {
        if (!rs_cmdq_pop(q, &c, 10.0))
            break; /* only if producers died: reported below */
        int id = (int)(c.n / 1000000), seq = (int)(c.n % 1000000);
        char key[16];
        snprintf(key, sizeof(key), "p%d", id);
        if (id < 0 || id >= PRODUCERS || (int)c.x != id ||
            strcmp(c.key, key) != 0) {
            consistent = false;
            continue;
        }
        if (seq != next[id])
            ordered = false;
        next[id] = seq + 1;
        total++;
    }
    long full = 0;
    for (int i = 0; i < PRODUCERS; i++) {
        pthread_join(th[i], NULL);
        full += pr[i].full;
    }
    tap_is_int(total, PRODUCERS * PER_PRODUCER,
               "every command of %d producers arrived", PRODUCERS);
    tap_ok(consistent, "no torn command (id, x and key agree)");
    tap_ok(ordered, "each producer's commands arrive in its order");
    tap_ok(!rs_cmdq_pop(q, &c, 0), "nothing extra left");
    tap_diag("pushes refused by a full queue: %ld", full);
    rs_cmdq_free(q);
}

int
main(void)
{
    tap_plan_lazy();
    test_order();
    test_full();
    test_timeouts();
    test_close();
    test_stress();
    return tap_done();
}
