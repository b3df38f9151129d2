/* repscope - MIT licence, see COPYING.
 *
 * cmdq.h: the command queue, the one road from the UI (or the headless
 * driver, or a signal handler's flag turned into a command) to the worker.
 * A mutex and condition variable around a bounded ring of small values
 * (LOVE's Channel): commands are copied in and out, nothing is shared.
 * Any thread may push; only the worker pops.
 */
#ifndef RS_RUN_CMDQ_H
#define RS_RUN_CMDQ_H

#include <stdbool.h>
#include <stdint.h>

#include "core/base.h"

enum rs_cmd_kind {
    RS_CMD_PAUSE,
    RS_CMD_RESUME,
    RS_CMD_TOGGLE,     /* pause <-> resume */
    RS_CMD_STEP,       /* run n steps, then pause */
    RS_CMD_SPEED,      /* x = steps/s limit (0: unthrottled) */
    RS_CMD_SET,        /* key = value (a scene param) */
    RS_CMD_EVAL,       /* text: Lua to run between steps (the console) */
    RS_CMD_CHECKPOINT, /* write a checkpoint now */
    RS_CMD_RESTART,    /* rebuild the scene with the same params */
    RS_CMD_QUIT,       /* checkpoint, flush, stop */
    RS_CMD_PAUSE_AT    /* pause once n steps are done (0: never); a tour
                          page's at_step, exact to the step */
};

struct rs_cmd {
    enum rs_cmd_kind kind;
    long n;          /* RS_CMD_STEP, RS_CMD_PAUSE_AT */
    double x;        /* RS_CMD_SPEED */
    char key[64];    /* RS_CMD_SET */
    char text[2048]; /* RS_CMD_SET value, RS_CMD_EVAL code */
};

typedef struct rs_cmdq rs_cmdq;

rs_cmdq *rs_cmdq_new(int capacity);
void rs_cmdq_free(rs_cmdq *q);
/* Copy c in. RS_OK, or RS_EINVAL if the queue is full or closed (the
 * caller shows "busy"); never blocks beyond the short critical section. */
RS_NODISCARD int rs_cmdq_push(rs_cmdq *q, const struct rs_cmd *c);
/* Convenience for commands without payload. */
RS_NODISCARD int rs_cmdq_push_kind(rs_cmdq *q, enum rs_cmd_kind kind);
/* Pop the oldest command into out. timeout_s < 0 waits until one arrives
 * or the queue is closed, 0 polls, > 0 waits at most that long. Returns
 * true if out was filled. */
bool rs_cmdq_pop(rs_cmdq *q, struct rs_cmd *out, double timeout_s);
/* Wake every waiter; later pushes fail, pops drain what is left. */
void rs_cmdq_close(rs_cmdq *q);
int rs_cmdq_count(rs_cmdq *q);

#endif /* RS_RUN_CMDQ_H */
