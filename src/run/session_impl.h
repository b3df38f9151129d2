/* repscope - MIT licence, see COPYING.
 *
 * session_impl.h: the session's insides, shared by session.c (life cycle,
 * the worker loop, commands) and session_rec.c (what the worker records
 * and reports: logs, events, status, failures, checkpoints, resume).
 * Ownership: the fields above "worker" are set in rs_session_new and
 * read-only after; the worker fields belong to the worker from
 * rs_session_start to its end (thread start and join order them). The
 * owner thread touches only the bus, the queue, quit_flag, interrupt_flag
 * and final_state (atomics). Every function here is worker only.
 */
#ifndef RS_RUN_SESSION_IMPL_H
#define RS_RUN_SESSION_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

#include "core/base.h"
#include "core/rng.h"
#include "run/bus.h"
#include "run/ckpt.h"
#include "run/cmdq.h"
#include "run/replay.h"
#include "run/runlog.h"
#include "run/session.h"

#define RS_SESSION_STATUS_PERIOD_S 0.05 /* status at most 20 times a second */
#define RS_SESSION_RATE_PERIOD_S 1.0    /* time/steps_per_s window */

struct rs_session {
    struct rs_session_config cfg; /* strings point at the copies below */
    char *scene_path, *scene_name, *resume_dir;
    char **argv;
    char *run_dir; /* "" when not recording */
    bool fresh_dir;
    struct rs_session_driver drv;
    rs_bus *bus;
    rs_cmdq *q;
    rs_ckpt *resume_ck; /* read in new, consumed by the worker */
    pthread_t thread;
    bool started, joined;
    atomic_bool quit_flag;      /* rs_session_free: stop now */
    atomic_bool interrupt_flag; /* rs_session_interrupt: abandon the eval */
    atomic_int final_state;

    /* ---- worker ---- */
    rs_runlog *log;
    struct rs_rng rng;
    unsigned long seed;
    long step;     /* completed */
    long log_step; /* records and events go here */
    bool set_up;   /* setup succeeded, teardown owed */
    bool mute;     /* drop logs (setup of a resumed run) */
    bool rec_open;
    bool in_probe, probe_did;
    bool in_eval;
    bool aborted; /* a callback gave up on quit_flag: no final checkpoint */
    enum rs_session_state state;
    bool paused;
    long budget; /* steps left of an RS_CMD_STEP */
    long pause_at; /* RS_CMD_PAUSE_AT: pause once step reaches it; 0 */
    double speed, next_due;
    bool tainted; /* the last completed step held a non-finite value */
    bool nf;      /* non-finite seen in the current callback */
    char nf_msg[512];
    bool log_err_shown;
    bool log_open_failed;
    /* a write into the run directory failed (runlog.c keeps it queued):
     * with a UI the run is paused until a resume finds the queue
     * written; without one it stops (train) */
    bool io_fault;
    long ckpt_step; /* of the last checkpoint written or resumed; -1 */
    char io_msg[sizeof(((struct rs_error *)0)->msg) + 64];
    char log_open_msg[256];
    /* timing */
    double win_t0;
    double run_step_s, run_probe_s; /* since the (re)start: probe/frac */
    long win_step0;
    double steps_per_s, probe_ms, last_status;
    struct rs_bus_status st;
    /* replay (run/replay.c): recorded actions applied in file order, each
     * when `step` equals its after_step; set before the worker starts */
    struct rs_replay_action *script;
    int nscript, script_next;
    bool script_headless; /* no UI: see rs_replay_arm */
    bool act_ok;          /* the command being handled took effect */
};

/* Copy src into dst of cap bytes, truncated. */
static inline void
rs_session_copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* ---- session_rec.c ---------------------------------------------------- */
/* Open run.jsonl on first need (its meta line holds the params, known
 * once setup has started); false if not recording or the open failed
 * (log_open_msg says why). */
bool rs_session_ensure_log(rs_session *s);
/* A write into the run directory failed (err names the file): with a
 * UI pause the run ("...; paused"), without one train() stops it
 * ("...; stopped at step N; the checkpoint of step M stays: ..."). */
void rs_session_write_failed(rs_session *s, const struct rs_error *err);
/* After a failed write (s->io_fault): write what runlog.c queued. True
 * when everything is on disk again (the fault is cleared and said); else
 * false, the message refreshed and the run still paused. */
bool rs_session_io_retry(rs_session *s);
/* session.c: a failed setup (a non-finite value stops the run, anything
 * else fails it; false) and the view specs recorded after a setup. */
bool rs_session_setup_failed(rs_session *s, int rc,
                             const struct rs_error *err);
void rs_session_record_views(rs_session *s);
/* session_cmd.c: apply command c between steps and record it (false when
 * the run failed; *quit on a quit), and the next replayed action due now
 * into c (true). */
bool rs_session_handle(rs_session *s, const struct rs_cmd *c, bool *quit);
bool rs_session_script_due(rs_session *s, struct rs_cmd *c);
/* Write the record in progress, if any. */
void rs_session_end_record(rs_session *s);
/* A run.jsonl event line of kind (after the record in progress). */
void rs_session_record_event(rs_session *s, const char *kind, const char *text);
/* A live change: bus marker + run.jsonl event of kind. */
void rs_session_event_kind(rs_session *s, const char *kind, const char *fmt,
                           ...) RS_PRINTF(3, 4);
/* A line on the console that is also the status message. */
void rs_session_notice(rs_session *s, const char *fmt, ...) RS_PRINTF(2, 3);
/* Publish the status (at most every RS_SESSION_STATUS_PERIOD_S unless
 * forced); set_state changes the state and publishes at once. */
void rs_session_publish_status(rs_session *s, bool force);
void rs_session_set_state(rs_session *s, enum rs_session_state state);
/* Close the throughput window when it is old enough (or forced), logging
 * time/steps_per_s into the record in progress; restart it after a pause. */
void rs_session_rate_tick(rs_session *s, double now, bool force);
void rs_session_rate_restart(rs_session *s);
/* End the run: message on the status and console, event of kind, FAILED. */
void rs_session_fail(rs_session *s, const char *kind, const char *msg);
/* After a callback: turn a non-finite report or an error into a stop
 * (failure, or a pause with cfg.pause_on_nonfinite). False when the run
 * failed. in_step: a clean step clears `tainted`. */
bool rs_session_check(rs_session *s, int rc, const struct rs_error *err,
                      bool in_step);
/* The action line of command c, applied when after_step steps were
 * complete (kind: c's, a toggle resolved; ok: it took effect). */
void rs_session_record_action(rs_session *s, long after_step,
                              enum rs_cmd_kind kind, const struct rs_cmd *c,
                              bool ok);
/* Write DIR/ckpt.bin (session sections + the driver's) and record it. */
int rs_session_checkpoint(rs_session *s, struct rs_error *err);
/* Apply resume_ck: saved params, driver load, session RNG; record it. */
int rs_session_resume(rs_session *s, struct rs_error *err);

#endif /* RS_RUN_SESSION_IMPL_H */
