/* repscope - MIT licence, see COPYING.
 *
 * headless.h: the loop that runs a session without a terminal UI. It
 * starts the worker, shows progress on stderr (one line rewritten in place
 * with \r on a terminal, plain lines every few seconds otherwise), turns
 * SIGINT/SIGTERM/SIGHUP into a quit command (the handler only sets a
 * flag; the loop pushes RS_CMD_QUIT, so the log is flushed and a final
 * checkpoint written) and returns the process exit code.
 * Owner (main) thread; installs and restores its signal handlers.
 */
#ifndef RS_RUN_HEADLESS_H
#define RS_RUN_HEADLESS_H

#include <stdio.h>

#include "run/session.h"

struct rs_headless_opts {
    /* Series shown on the progress line, in this order (those that exist);
     * NULL: "train/loss" and "test/acc". */
    const char *const *keys;
    int nkeys;
    /* Seconds between plain (non-tty) lines; <= 0: 5. */
    double interval_s;
    /* Where progress goes (NULL: stderr), and whether it is a terminal:
     * -1 asks isatty(), 0 plain lines, 1 rewrite in place. */
    FILE *out;
    int tty;
    /* No progress output at all (the failure line is still printed). */
    bool quiet;
};

/* Start s (rs_session_start), follow it until the worker ends, join it
 * and return the exit code: 0 when the run completed (or was quit by a
 * command), 1 on a runtime failure (non-finite value, scene error, failed
 * final checkpoint; the message is printed as one line "repscope: ..."),
 * 128 + signo when a signal stopped it (after the final checkpoint). A
 * second signal interrupts the step in progress (rs_session_interrupt: a
 * runaway step that cannot read the quit is abandoned, and the checkpoint
 * is the last whole step's); a third restores the default action and
 * re-raises it. o may be NULL (defaults). The caller still
 * frees s. */
int rs_headless_run(rs_session *s, const struct rs_headless_opts *o);

#endif /* RS_RUN_HEADLESS_H */
