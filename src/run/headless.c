/* repscope - MIT licence, see COPYING.
 *
 * headless.c: run a session without a UI (headless.h). The owner thread
 * polls the bus's wake pipe (200 ms at most, so a signal flag is seen
 * even when the signal landed on another thread), reads the status and
 * redraws one progress line. The signal handlers only count and record
 * the signal in lock-free atomics; this loop turns the first into
 * RS_CMD_QUIT, the second into an interrupt of the step in progress.
 * Owner thread only; the handlers are installed for the
 * duration of rs_headless_run and the previous ones restored after.
 */
#include "config.h"

#include "run/headless.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/base.h"
#include "run/bus.h"
#include "run/cmdq.h"

#define POLL_MS 200
#define TTY_PERIOD_S 0.2

static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP};

static atomic_int sig_count;
static atomic_int sig_last;

static void
on_signal(int signo)
{
    atomic_store(&sig_last, signo);
    atomic_fetch_add(&sig_count, 1);
}

static const char *
signal_name(int signo)
{
    switch (signo) {
    case SIGINT:
        return "SIGINT";
    case SIGTERM:
        return "SIGTERM";
    case SIGHUP:
        return "SIGHUP";
    default:
        return "signal";
    }
}

/* "1:02:03" or "2:03" into buf. */
static void
format_duration(char *buf, size_t len, double s)
{
    if (!(s >= 0) || s > 1e8) {
        snprintf(buf, len, "?");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, len, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, len, "%ld:%02ld", t / 60, t % 60);
}

struct progress {
    FILE *out;
    bool tty, quiet;
    const char *const *keys;
    int nkeys;
    double t0;  /* when the loop started */
    long step0; /* first step seen running (resumed runs start late) */
    double t_step0;
    bool drawn; /* a tty line is on screen */
    uint64_t line_seq; /* console lines (scene prints, notices) taken */
    /* a "step N: ..." line held back until the next line: if the run
     * fails it is the error, which is said once at the end */
    char last_line[RS_BUS_LINE_MAX];
};

static const char *const default_keys[] = {"train/loss", "test/acc"};

/* The progress line for st into buf. */
static void
progress_line(const struct progress *p, rs_bus *bus,
              const struct rs_bus_status *st, char *buf, size_t len)
{
    size_t off = 0;
#define ADD(...)                                                               \
    do {                                                                       \
        if (off < len)                                                         \
            off += (size_t)snprintf(buf + off, len - off, __VA_ARGS__);        \
    } while (0)
    if (st->total >= 0)
        ADD("step %ld/%ld %3d%%", st->step, st->total,
            st->total > 0 ? (int)(100.0 * (double)st->step / (double)st->total)
                          : 100);
    else
        ADD("step %ld", st->step);
    double sps = st->steps_per_s;
    double dt = rs_time_now() - p->t_step0;
    if (sps <= 0 && p->step0 >= 0 && dt > 0 && st->step > p->step0)
        sps = (double)(st->step - p->step0) / dt;
    if (sps > 0) {
        ADD("  %.1f steps/s", sps);
        if (st->total >= 0 && st->state == RS_SESSION_RUNNING) {
            char eta[32];
            format_duration(eta, sizeof(eta),
                            (double)(st->total - st->step) / sps);
            ADD("  ETA %s", eta);
        }
    }
    for (int i = 0; i < p->nkeys; i++) {
        double at, v;
        if (rs_bus_series_last(bus, p->keys[i], &at, &v))
            ADD("  %s %.4g", p->keys[i], v);
    }
    if (st->state == RS_SESSION_PAUSED)
        ADD("  [paused]");
#undef ADD
}

static void
draw(struct progress *p, rs_bus *bus, const struct rs_bus_status *st,
     bool final)
{
    if (p->quiet)
        return;
    char line[512];
    progress_line(p, bus, st, line, sizeof(line));
    if (p->tty) {
        fprintf(p->out, "\r%s\033[K%s", line, final ? "\n" : "");
        p->drawn = !final;
    } else {
        fprintf(p->out, "%s\n", line);
    }
    fflush(p->out);
}

/* A message on a line of its own (after the tty progress line). */
static void
say(struct progress *p, const char *text)
{
    if (p->drawn) {
        fputc('\n', p->out);
        p->drawn = false;
    }
    fprintf(p->out, "%s\n", text);
    fflush(p->out);
}

/* The console lines (a scene's print, the worker's notices) published
 * since the last call, each on a line of its own. */
static void
say_lines(struct progress *p, rs_bus *bus)
{
    char lines[16][RS_BUS_LINE_MAX];
    for (;;) {
        uint64_t last;
        int n = rs_bus_lines(bus, p->line_seq, lines, 16, &last);
        for (int i = 0; i < n && !p->quiet; i++) {
            if (p->last_line[0] != '\0')
                say(p, p->last_line);
            p->last_line[0] = '\0';
            long k;
            int end = 0;
            if (sscanf(lines[i], "step %ld: %n", &k, &end) == 1 && end > 0)
                memcpy(p->last_line, lines[i], sizeof p->last_line);
            else
                say(p, lines[i]);
        }
        p->line_seq = last;
        if (n < 16)
            break;
    }
}

int
rs_headless_run(rs_session *s, const struct rs_headless_opts *o)
{
    struct rs_headless_opts def = {0};
    if (o == NULL) {
        def.tty = -1;
        o = &def;
    }
    struct progress p = {
        .out = o->out != NULL ? o->out : stderr,
        .quiet = o->quiet,
        .keys = o->keys != NULL ? o->keys : default_keys,
        .nkeys = o->keys != NULL ? o->nkeys : (int)RS_ARRAY_LEN(default_keys),
        .step0 = -1,
    };
    p.tty = o->tty < 0 ? isatty(fileno(p.out)) == 1 : o->tty != 0;
    double interval = o->interval_s > 0 ? o->interval_s : 5.0;

    atomic_store(&sig_count, 0);
    atomic_store(&sig_last, 0);
    struct sigaction sa, old[RS_ARRAY_LEN(stop_signals)];
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < RS_ARRAY_LEN(stop_signals); i++)
        sigaction(stop_signals[i], &sa, &old[i]);

    rs_bus *bus = rs_session_bus(s);
    rs_cmdq *q = rs_session_cmdq(s);
    struct rs_bus_status st;
    struct rs_error err = {0};
    int code = 0;
    if (rs_session_start(s, &err) != RS_OK) {
        char msg[sizeof err.msg + 16];
        snprintf(msg, sizeof(msg), "repscope: %s", err.msg);
        say(&p, msg);
        code = 1;
        goto out;
    }
    p.t0 = rs_time_now();
    double last_draw = 0;
    int handled = 0, stop_sig = 0;
    bool quit_sent = false, paused_quit = false;
    struct pollfd pfd = {.fd = rs_bus_wake_fd(bus), .events = POLLIN};
    for (;;) {
        int pr = poll(&pfd, 1, POLL_MS);
        if (pr < 0 && errno != EINTR)
            break;
        rs_bus_drain_wake(bus);
        int n = atomic_load(&sig_count);
        if (n > handled) {
            int sig = atomic_load(&sig_last);
            if (n >= 3) {
                /* The third: the user means it. */
                for (size_t i = 0; i < RS_ARRAY_LEN(stop_signals); i++)
                    sigaction(stop_signals[i], &old[i], NULL);
                signal(sig, SIG_DFL);
                raise(sig);
            }
            if (n == 2 && stop_sig != 0) {
                /* The second: a step that never returns (a runaway
                 * scene) cannot read the quit; abandon it. */
                rs_session_interrupt(s);
                say(&p, "repscope: again: interrupting the step in "
                        "progress (a third signal stops at once)");
            }
            if (stop_sig == 0) {
                stop_sig = sig;
                char msg[160];
                snprintf(msg, sizeof(msg),
                         "repscope: %s: writing a checkpoint and stopping",
                         signal_name(sig));
                say(&p, msg);
            }
            handled = n;
        }
        if (stop_sig != 0 && !quit_sent)
            quit_sent = rs_cmdq_push_kind(q, RS_CMD_QUIT) == RS_OK;
        rs_bus_status(bus, &st);
        if (st.state == RS_SESSION_DONE || st.state == RS_SESSION_FAILED)
            break;
        say_lines(&p, bus);
        if (st.state == RS_SESSION_PAUSED && !quit_sent) {
            /* Nobody can resume a headless run: stop it cleanly. */
            char msg[700];
            snprintf(msg, sizeof(msg), "repscope: paused without a UI%s%s",
                     st.message[0] != '\0' ? ": " : "", st.message);
            say(&p, msg);
            paused_quit = true;
            quit_sent = rs_cmdq_push_kind(q, RS_CMD_QUIT) == RS_OK;
        }
        if (st.state == RS_SESSION_RUNNING && p.step0 < 0) {
            p.step0 = st.step;
            p.t_step0 = rs_time_now();
        }
        double now = rs_time_now();
        if (st.state != RS_SESSION_LOADING &&
            now - last_draw >= (p.tty ? TTY_PERIOD_S : interval)) {
            if (p.tty || last_draw > 0)
                draw(&p, bus, &st, false);
            last_draw = now;
        }
    }
    enum rs_session_state fin = rs_session_join(s);
    rs_bus_status(bus, &st);
    if (fin == RS_SESSION_FAILED) {
        if (p.drawn)
            draw(&p, bus, &st, true);
        /* the traceback came as console lines; the error itself is said
         * once, below */
        say_lines(&p, bus);
        if (p.last_line[0] != '\0' && strcmp(p.last_line, st.message) != 0)
            say(&p, p.last_line);
        char msg[600];
        snprintf(msg, sizeof(msg), "repscope: %s", st.message);
        say(&p, msg);
        code = 1;
    } else {
        say_lines(&p, bus);
        if (p.last_line[0] != '\0')
            say(&p, p.last_line);
        draw(&p, bus, &st, true);
        code = paused_quit ? 1 : stop_sig != 0 ? 128 + stop_sig : 0;
    }
out:
    for (size_t i = 0; i < RS_ARRAY_LEN(stop_signals); i++)
        sigaction(stop_signals[i], &old[i], NULL);
    return code;
}
