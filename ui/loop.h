/* repscope - MIT licence, see COPYING.
 *
 * loop.h: the UI thread's loop. It opens the terminal (ui/term.h),
 * starts the worker through a callback once the screen is up, and then
 * poll()s two descriptors: the terminal's input and the bus's wake pipe
 * (rs_bus_wake_fd). The bus is read only when its version changed or a
 * key arrived, and the screen redrawn only then: for the bus at most
 * every RS_LOOP_FRAME_MS (about 30 frames a second), for a key at once,
 * before the loop waits again. A redraw draws only the panels whose data
 * or view changed (rs_app_draw keeps the others) and writes only the
 * cells that changed. A resize re-lays out at once (one full repaint, no
 * blank frame in between).
 *
 * Quitting (q, or SIGINT, SIGTERM or SIGHUP, whose handlers only record
 * the signal) sends RS_CMD_QUIT and keeps drawing until the worker has
 * ended (it writes the final checkpoint and flushes the log), then
 * restores the terminal. A second q or signal stops waiting. A crash
 * (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT) restores the terminal
 * before the default action. UI thread only; one loop at a time.
 */
#ifndef RS_UI_LOOP_H
#define RS_UI_LOOP_H

#include <stdbool.h>
#include <stdio.h>

#include "core/base.h"
#include "run/bus.h"
#include "run/cmdq.h"
#include "ui/canvas.h"

#define RS_LOOP_FRAME_MS 33

struct rs_loop_opts {
    rs_bus *bus;      /* borrowed */
    rs_cmdq *q;       /* NULL: read-only (attach) */
    const char *mode; /* "attach", shown in the status line; may be NULL */
    bool ascii;       /* --ascii (also automatic without a UTF-8 locale) */
    bool presenter;   /* --presenter: start without the key bar */
    bool mouse;       /* report clicks */
    bool force_color; /* use color instead of detecting */
    enum rs_color_mode color;
    /* Start the worker (or the feeder) once the terminal is up; RS_OK or
     * an error that ends the loop. May be NULL. */
    int (*start)(void *ud, struct rs_error *err);
    /* Ask the worker to abandon a console command (may be NULL). */
    void (*interrupt)(void *ud);
    /* True once the worker has ended (after a quit); NULL: at once. */
    bool (*ended)(void *ud);
    void *ud;
};

/* Run the UI until the user quits (and the worker has ended). Returns 0
 * after q, 128 + signo after a signal, or -1 with err filled when there
 * is no usable terminal or start failed (the terminal is restored and,
 * on a terminal error, start was not called). */
int rs_loop_run(const struct rs_loop_opts *o, struct rs_error *err);

/* A log sink (rs_log_set_sink) that queues messages for the loop's
 * console instead of writing to the terminal under the UI. Any thread. */
void rs_loop_log(enum rs_log_level level, const char *msg);
/* Print what rs_loop_log queued and no loop showed (logged while the UI
 * closed) to f, one "repscope: ..." line each. Any thread. */
void rs_loop_log_drain(FILE *f);

#endif /* RS_UI_LOOP_H */
