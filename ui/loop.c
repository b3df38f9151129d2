/* repscope - MIT licence, see COPYING.
 *
 * loop.c: the UI loop (loop.h). Signal handlers only count and record
 * the signal in atomics; the loop acts on them. Messages logged from any
 * thread wait in a small mutex-protected ring until the loop moves them
 * to the console. UI thread only (rs_loop_log: any thread).
 */
#include "config.h"

#include "ui/loop.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "core/base.h"
#include "ui/app.h"
#include "ui/term.h"
#include "ui/widget.h"

#define IDLE_MS 250 /* poll timeout with nothing to draw */
#define LOG_RING 64

static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP};
static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};

static atomic_int sig_count;
static atomic_int sig_last;

static void
on_signal(int signo)
{
    atomic_store(&sig_last, signo);
    atomic_fetch_add(&sig_count, 1);
}

/* Restore the terminal, then die of the signal as we would have. */
static void
on_crash(int signo)
{
    rs_term_emergency_restore();
    signal(signo, SIG_DFL);
    raise(signo);
}

/* ---- log ring ------------------------------------------------------------ */

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static char log_ring[LOG_RING][256];
static bool log_bad[LOG_RING];
static int log_n;

void
rs_loop_log(enum rs_log_level level, const char *msg)
{
    pthread_mutex_lock(&log_mu);
    if (log_n == LOG_RING) {
        memmove(log_ring, log_ring + 1, (LOG_RING - 1) * sizeof log_ring[0]);
        memmove(log_bad, log_bad + 1, (LOG_RING - 1) * sizeof log_bad[0]);
        log_n--;
    }
    snprintf(log_ring[log_n], sizeof log_ring[0], "%s", msg);
    log_bad[log_n++] = level >= RS_LOG_WARN;
    pthread_mutex_unlock(&log_mu);
}

void
rs_loop_log_drain(FILE *f)
{
    pthread_mutex_lock(&log_mu);
    for (int i = 0; i < log_n; i++)
        fprintf(f, "repscope: %s\n", log_ring[i]);
    log_n = 0;
    pthread_mutex_unlock(&log_mu);
}

static bool
drain_log(rs_app *a)
{
    pthread_mutex_lock(&log_mu);
    int n = log_n;
    for (int i = 0; i < n; i++)
        rs_app_note(a, log_bad[i], "%s", log_ring[i]);
    log_n = 0;
    pthread_mutex_unlock(&log_mu);
    return n > 0;
}

/* ---- the loop ------------------------------------------------------------ */

struct loop {
    const struct rs_loop_opts *o;
    rs_term *t;
    rs_app *a;
    struct rs_canvas *cv;
    bool dirty, quitting, stop;
    double last_draw;
    int code;
};

static void
draw(struct loop *l)
{
    int w, h;
    rs_term_size(l->t, &w, &h);
    if (w != l->cv->w || h != l->cv->h)
        rs_canvas_resize(l->cv, w, h);
    struct rs_ui_ctx ctx = {.color = rs_term_color_mode(l->t),
                            .ascii = rs_term_ascii(l->t)};
    rs_app_draw(l->a, l->cv, &ctx);
    rs_term_present(l->t, l->cv);
    l->last_draw = rs_time_now();
    l->dirty = false;
}

static void
on_quit(struct loop *l)
{
    if (l->quitting || l->o->q == NULL)
        l->stop = true; /* a second time, or nothing to wait for */
    l->quitting = true;
}

/* Handle the keys waiting; true when the screen should change. */
static bool
keys(struct loop *l)
{
    int k;
    bool redraw = false;
    while (!l->stop && (k = rs_term_key(l->t)) != RS_KEY_NONE) {
        unsigned f;
        if (k == RS_KEY_MOUSE) {
            int x, y, b;
            f = rs_term_mouse(l->t, &x, &y, &b) ? rs_app_click(l->a, x, y, b)
                                                : 0;
        } else {
            f = rs_app_key(l->a, k);
        }
        if (f & RS_APP_REPAINT)
            rs_term_invalidate(l->t);
        if (f & RS_UI_QUIT)
            on_quit(l);
        if (f & RS_UI_REDRAW)
            redraw = true;
        if (k == RS_KEY_RESIZE)
            redraw = true; /* laid out again at once, one full repaint */
    }
    return redraw && !l->stop;
}

static void
signals(struct loop *l, int *handled)
{
    int n = atomic_load(&sig_count);
    if (n <= *handled)
        return;
    *handled = n;
    int sig = atomic_load(&sig_last);
    if (l->code == 0)
        l->code = 128 + sig;
    if (l->quitting) {
        l->stop = true;
        return;
    }
    l->quitting = true;
    if (l->o->q == NULL) {
        l->stop = true;
        return;
    }
    rs_app_note(l->a, false, "%s: writing the final checkpoint",
                sig == SIGHUP   ? "hangup"
                : sig == SIGINT ? "interrupt"
                                : "terminated");
    if (rs_cmdq_push_kind(l->o->q, RS_CMD_QUIT) != RS_OK)
        l->stop = true;
    l->dirty = true;
}

int
rs_loop_run(const struct rs_loop_opts *o, struct rs_error *err)
{
    struct sigaction sa, old_stop[RS_ARRAY_LEN(stop_signals)],
        old_crash[RS_ARRAY_LEN(crash_signals)];
    atomic_store(&sig_count, 0);
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    /* before the terminal opens, so that curses keeps its hands off
     * SIGINT and SIGTERM (it installs its own only over SIG_DFL) */
    sa.sa_handler = on_signal;
    for (size_t i = 0; i < RS_ARRAY_LEN(stop_signals); i++)
        sigaction(stop_signals[i], &sa, &old_stop[i]);
    struct rs_term_opts topts = {
        .ascii = o->ascii,
        .mouse = o->mouse,
        .force_color = o->force_color,
        .color = o->color,
    };
    struct loop l = {.o = o, .dirty = true, .last_draw = -1};
    int rc = -1;
    l.t = rs_term_open(&topts, err);
    if (l.t == NULL)
        goto out;
    sa.sa_handler = on_crash;
    sa.sa_flags = SA_RESETHAND;
    for (size_t i = 0; i < RS_ARRAY_LEN(crash_signals); i++)
        sigaction(crash_signals[i], &sa, &old_crash[i]);
    struct rs_app_opts ao = {.bus = o->bus,
                             .q = o->q,
                             .mode = o->mode,
                             .presenter = o->presenter,
                             .interrupt = o->interrupt,
                             .ud = o->ud};
    l.a = rs_app_new(&ao);
    l.cv = rs_canvas_new(0, 0);
    draw(&l); /* the frame shows before the worker's setup runs */
    if (o->start != NULL && o->start(o->ud, err) != RS_OK)
        goto close;
    struct pollfd fds[2] = {
        {.fd = rs_term_fd(l.t), .events = POLLIN},
        {.fd = rs_bus_wake_fd(o->bus), .events = POLLIN},
    };
    int handled = 0;
    for (;;) {
        signals(&l, &handled);
        if (drain_log(l.a))
            l.dirty = true;
        if (l.stop || (l.quitting && (o->ended == NULL || o->ended(o->ud))))
            break;
        double since = (rs_time_now() - l.last_draw) * 1e3;
        if (l.dirty && since >= RS_LOOP_FRAME_MS) {
            rs_app_update(l.a); /* the bus is read here, once a frame */
            draw(&l);
            since = 0;
        }
        /* While a frame is due anyway, a publish changes nothing: leave
         * the wake pipe alone (the worker writes at most one byte until
         * it is drained) and wait for the frame time or a key. */
        int nfds = l.dirty ? 1 : 2;
        int timeout = l.dirty ? RS_LOOP_FRAME_MS - (int)since : IDLE_MS;
        timeout = timeout < 1 ? 1 : timeout > IDLE_MS ? IDLE_MS : timeout;
        if (l.quitting)
            timeout = timeout > 20 ? 20 : timeout;
        fds[1].revents = 0;
        if (poll(fds, (nfds_t)nfds, timeout) < 0 && errno != EINTR)
            break;
        if (fds[1].revents != 0) {
            rs_bus_drain_wake(o->bus);
            l.dirty = true;
        }
        /* keys: also after EINTR (a resize arrives as a key); the screen
         * answers a key at once, not at the next frame */
        if (keys(&l)) {
            rs_app_update(l.a);
            draw(&l);
        }
        if (rs_app_quitting(l.a) && !l.quitting)
            l.quitting = true;
    }
    rc = l.code;
close:
    rs_app_free(l.a);
    rs_canvas_free(l.cv);
    rs_term_close(l.t);
    for (size_t i = 0; i < RS_ARRAY_LEN(crash_signals); i++)
        sigaction(crash_signals[i], &old_crash[i], NULL);
out:
    for (size_t i = 0; i < RS_ARRAY_LEN(stop_signals); i++)
        sigaction(stop_signals[i], &old_stop[i], NULL);
    return rc;
}
