/* repscope - MIT licence, see COPYING.
 *
 * learner_par.c: one session step of several learners side by side. A
 * scene that trains two learners on a two-core machine should use both
 * cores: the learners' updates run on as many threads as there are cores
 * (the caller's among them), each thread taking the next learner not
 * taken, so 80 learners keep 2 cores busy without 80 threads; the pool's
 * jobs (core/pool.h) that meet a busy pool run on the thread that asked,
 * so nothing is shared but the read-only data.
 *
 * Invariant: the run is the sequential loop's, bit for bit. Learners
 * that may run together touch disjoint state: no module or objective is
 * shared between two of them, no objective runs code that is not the
 * learner's own (kind "lua" calls back into the Lua state), no
 * kl_teacher's teacher is a module or a teacher of another of them (a
 * forward records into its module, so two threads must not run one
 * module), and no driver reads a module another of them trains
 * (dyneval's anchor). Their
 * metrics are held per learner while they run and handed to the real
 * sinks afterwards in learner order, so the logs read as if the
 * learners had stepped one after the other. Anything else steps them in
 * order on the caller's thread.
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "algo/learner_impl.h"

/* One held metric or matrix. */
struct held {
    char name[RS_NAME_MAX];
    bool is_matrix;
    double value;   /* a metric's value */
    int rows, cols; /* a matrix's shape */
    float *data;    /* a matrix's data (owned) */
};

/* One learner's update on a thread: what it published, in order. */
struct job {
    rs_learner *l;
    struct rs_learner_stats st;
    struct rs_error err;
    int rc;
    struct held *held;
    int n, cap;
};

static struct held *
next_held(struct job *j)
{
    if (j->n == j->cap) {
        j->cap = j->cap > 0 ? 2 * j->cap : 64;
        j->held = rs_xreallocarray(j->held, (size_t)j->cap, sizeof *j->held);
    }
    struct held *h = &j->held[j->n++];
    memset(h, 0, sizeof *h);
    return h;
}

static void
hold_log(void *ud, const char *name, double value)
{
    struct held *h = next_held(ud);
    snprintf(h->name, sizeof h->name, "%s", name);
    h->value = value;
}

static void
hold_matrix(void *ud, const char *name, int rows, int cols, const float *data)
{
    struct held *h = next_held(ud);
    snprintf(h->name, sizeof h->name, "%s", name);
    size_t n = (size_t)rows * (size_t)cols;
    h->is_matrix = true;
    h->rows = rows;
    h->cols = cols;
    h->data = rs_xmalloc((n > 0 ? n : 1) * sizeof *h->data);
    if (n > 0)
        memcpy(h->data, data, n * sizeof *h->data);
}

static void
run_job(struct job *j)
{
    j->rc = rs_learner_update(j->l, &j->st, &j->err);
}

/* The jobs a set of workers shares: each takes the next one not taken
 * until none is left, so n learners keep as many threads busy as there
 * are cores, not n threads. */
struct queue {
    struct job *jobs;
    int n;
    atomic_int next;
};

static void *
worker(void *arg)
{
    struct queue *q = arg;
    int i;
    while ((i = atomic_fetch_add(&q->next, 1)) < q->n)
        run_job(&q->jobs[i]);
    return NULL;
}

/* Threads for n learners: the online cores, at most n. */
static int
workers_for(int n)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1)
        cores = 1;
    return cores < n ? (int)cores : n;
}

/* Whether an objective chain stays inside its learner and its
 * teachers. */
static bool
objective_is_own(const rs_objective *o)
{
    for (; o != NULL; o = rs_objective_base(o))
        if (strcmp(rs_objective_kind(o), "lua") == 0)
            return false;
    return true;
}

/* Whether module m is one of l's modules or teachers. */
static bool
learner_runs(const rs_learner *l, const rs_nn_module *m)
{
    for (int k = 0; k < l->nmod; k++)
        if (l->mod[k] == m)
            return true;
    for (const rs_objective *o = l->obj; o != NULL; o = rs_objective_base(o))
        if (rs_objective_teacher(o) == m)
            return true;
    return false;
}

/* Whether a teacher of a's objective is run by b. */
static bool
teacher_shared(const rs_learner *a, const rs_learner *b)
{
    for (const rs_objective *o = a->obj; o != NULL; o = rs_objective_base(o)) {
        const rs_nn_module *t = rs_objective_teacher(o);
        if (t != NULL && learner_runs(b, t))
            return true;
    }
    return false;
}

/* Whether a's driver reads one of b's modules. */
static bool
driver_reads(const rs_learner *a, const rs_learner *b)
{
    if (a->drv == NULL || a->drv->reads == NULL)
        return false;
    for (int k = 0; k < b->nmod; k++)
        if (a->drv->reads(a->drv_impl, b->mod[k]))
            return true;
    return false;
}

bool
rs_learners_can_run_together(rs_learner *const *ls, int n)
{
    if (n < 2)
        return false;
    for (int i = 0; i < n; i++) {
        if (!objective_is_own(ls[i]->obj))
            return false;
        for (int j = 0; j < i; j++) {
            if (ls[i] == ls[j] || ls[i]->obj == ls[j]->obj ||
                driver_reads(ls[i], ls[j]) || driver_reads(ls[j], ls[i]) ||
                teacher_shared(ls[i], ls[j]) || teacher_shared(ls[j], ls[i]))
                return false;
            for (int a = 0; a < ls[i]->nmod; a++)
                for (int b = 0; b < ls[j]->nmod; b++)
                    if (ls[i]->mod[a] == ls[j]->mod[b])
                        return false;
        }
    }
    return true;
}

/* The real sinks of one learner, put back after the threads joined. */
struct sinks {
    rs_learner_log_fn log;
    void *log_ud;
    rs_learner_matrix_fn matrix;
    void *matrix_ud;
};

int
rs_learners_update(rs_learner *const *ls, int n, bool together,
                   struct rs_learner_stats *st, struct rs_error *err)
{
    if (!together || !rs_learners_can_run_together(ls, n)) {
        for (int i = 0; i < n; i++) {
            int rc = rs_learner_update(ls[i], st != NULL ? &st[i] : NULL, err);
            if (rc != RS_OK)
                return rc;
        }
        return RS_OK;
    }
    struct job *jobs = rs_xcalloc((size_t)n, sizeof *jobs);
    struct sinks *real = rs_xcalloc((size_t)n, sizeof *real);
    int nw = workers_for(n);
    pthread_t *tid = rs_xcalloc((size_t)nw, sizeof *tid);
    bool *threaded = rs_xcalloc((size_t)nw, sizeof *threaded);
    for (int i = 0; i < n; i++) {
        rs_learner *l = ls[i];
        real[i] = (struct sinks){l->log, l->log_ud, l->matrix, l->matrix_ud};
        jobs[i].l = l;
        l->log = l->log != NULL ? hold_log : NULL;
        l->log_ud = &jobs[i];
        l->matrix = l->matrix != NULL ? hold_matrix : NULL;
        l->matrix_ud = &jobs[i];
    }
    /* The caller's thread is a worker too; a thread that cannot start
     * leaves its share to the others. */
    struct queue q = {.jobs = jobs, .n = n};
    atomic_init(&q.next, 0);
    for (int w = 1; w < nw; w++)
        threaded[w] = pthread_create(&tid[w], NULL, worker, &q) == 0;
    worker(&q);
    for (int w = 1; w < nw; w++)
        if (threaded[w])
            pthread_join(tid[w], NULL);
    int rc = RS_OK;
    for (int i = 0; i < n; i++) {
        rs_learner *l = ls[i];
        l->log = real[i].log;
        l->log_ud = real[i].log_ud;
        l->matrix = real[i].matrix;
        l->matrix_ud = real[i].matrix_ud;
        for (int k = 0; k < jobs[i].n; k++) {
            const struct held *h = &jobs[i].held[k];
            if (!h->is_matrix)
                l->log(l->log_ud, h->name, h->value);
            else
                l->matrix(l->matrix_ud, h->name, h->rows, h->cols, h->data);
            free(h->data);
        }
        free(jobs[i].held);
        if (st != NULL)
            st[i] = jobs[i].st;
        if (rc == RS_OK && jobs[i].rc != RS_OK) {
            rc = jobs[i].rc;
            if (err != NULL)
                *err = jobs[i].err;
        }
    }
    free(threaded);
    free(tid);
    free(real);
    free(jobs);
    return rc;
}
