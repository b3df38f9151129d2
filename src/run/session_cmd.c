/* repscope - MIT licence, see COPYING.
 *
 * session_cmd.c: what the worker does with a command between two steps
 * (session.h's queue: pause, step, speed, set, console code, checkpoint,
 * restart, quit, pause-at), each recorded as an action line after it is
 * applied (run/replay.h), and the recorded actions a replay feeds in at
 * their steps. Worker thread only.
 */
#include "config.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/session.h"
#include "run/session_impl.h"

/* Apply one command between steps (handle); false on quit or when the
 * run failed (a restart whose setup failed). Clears s->act_ok when the
 * command failed. */
static bool
apply_cmd(rs_session *s, const struct rs_cmd *c, bool *quit)
{
    struct rs_error err = {0};
    int rc;
    s->log_step = s->step;
    switch (c->kind) {
    case RS_CMD_PAUSE:
    case RS_CMD_RESUME:
    case RS_CMD_TOGGLE: {
        bool pause =
            c->kind == RS_CMD_PAUSE ||
            (c->kind == RS_CMD_TOGGLE && !(s->paused && s->budget == 0));
        bool was = s->paused && s->budget == 0;
        if (!pause && !rs_session_io_retry(s)) {
            /* the disk is still full: stay paused, say so again */
            s->act_ok = false;
            pause = true;
        }
        s->paused = pause;
        s->budget = 0;
        if (pause != was)
            rs_session_event_kind(s, pause ? "pause" : "resume",
                                  pause ? "pause" : "resume");
        if (!pause)
            rs_session_rate_restart(s);
        rs_session_set_state(s, pause ? RS_SESSION_PAUSED : RS_SESSION_RUNNING);
        break;
    }
    case RS_CMD_STEP:
        if (c->n < 1)
            break;
        if (!rs_session_io_retry(s)) {
            s->act_ok = false;
            break;
        }
        s->paused = true;
        s->budget = c->n;
        rs_session_rate_restart(s);
        rs_session_set_state(s, RS_SESSION_PAUSED);
        break;
    case RS_CMD_SPEED:
        s->speed = c->x > 0 && isfinite(c->x) ? c->x : 0;
        s->next_due = 0;
        rs_session_notice(
            s, s->speed > 0 ? "speed limit %g steps/s" : "speed: unlimited",
            s->speed);
        rs_session_publish_status(s, true);
        break;
    case RS_CMD_SET:
        if (s->drv.set_param == NULL) {
            rs_session_notice(s, "set %s: this scene has no params", c->key);
            s->act_ok = false;
            break;
        }
        rc = s->drv.set_param(s->drv.ud, s, c->key, c->text, &err);
        s->act_ok = rc == RS_OK;
        if (rc == RS_OK && !s->nf)
            rs_session_event_kind(s, "set", "%s = %s", c->key, c->text);
        else if (rc != RS_OK && rc != RS_ENONFINITE)
            rs_session_notice(s, "set %s: %s", c->key, err.msg);
        rs_session_end_record(s);
        if (s->nf || rc == RS_ENONFINITE)
            return rs_session_check(s, rc, &err, false);
        break;
    case RS_CMD_EVAL:
        if (s->drv.eval == NULL) {
            rs_session_notice(s, "this scene has no console");
            s->act_ok = false;
            break;
        }
        atomic_store(&s->interrupt_flag, false);
        s->in_eval = true;
        rc = s->drv.eval(s->drv.ud, s, c->text, &err);
        s->in_eval = false;
        s->act_ok = rc == RS_OK;
        atomic_store(&s->interrupt_flag, false);
        if (rc == RS_OK)
            rs_session_record_event(s, "eval", c->text);
        else if (rc != RS_ENONFINITE)
            rs_session_print(s, "error: %s", err.msg);
        rs_session_end_record(s);
        if (s->nf || rc == RS_ENONFINITE)
            return rs_session_check(s, rc, &err, false);
        break;
    case RS_CMD_CHECKPOINT:
        s->act_ok = false;
        if (s->aborted) {
            rs_session_notice(s,
                              "stopped inside step %ld: no final "
                              "checkpoint",
                              s->step + 1);
        } else if (s->tainted) {
            rs_session_notice(
                s, "not checkpointing: step %ld holds a non-finite value",
                s->step);
        } else if (rs_session_checkpoint(s, &err) != RS_OK) {
            rs_session_notice(s, "checkpoint: %s", err.msg);
        } else {
            s->act_ok = true;
            rs_session_notice(s, "checkpoint written at step %ld", s->step);
        }
        break;
    case RS_CMD_RESTART:
        rs_session_event_kind(s, "restart",
                              "restart from step 0 (was at step %ld)", s->step);
        if (s->set_up && s->drv.teardown != NULL)
            s->drv.teardown(s->drv.ud);
        s->set_up = false;
        s->step = s->log_step = 0;
        s->pause_at = 0;
        s->tainted = false;
        s->st.nonfinite[0] = '\0';
        rs_rng_seed(&s->rng, s->seed);
        rs_session_set_state(s, RS_SESSION_LOADING);
        rc = s->drv.setup(s->drv.ud, s, &err);
        s->act_ok = rc == RS_OK;
        if (rc != RS_OK)
            return rs_session_setup_failed(s, rc, &err);
        rs_session_end_record(s);
        if (!rs_session_check(s, rc, &err, false))
            return false;
        s->set_up = true;
        s->run_step_s = s->run_probe_s = 0;
        s->aborted = false;
        rs_session_record_views(s);
        rs_session_rate_restart(s);
        rs_session_set_state(s, s->paused && s->budget == 0
                                    ? RS_SESSION_PAUSED
                                    : RS_SESSION_RUNNING);
        break;
    case RS_CMD_QUIT:
        *quit = true;
        break;
    case RS_CMD_PAUSE_AT:
        /* a step already passed is no pause (the UI pauses itself) */
        s->pause_at = c->n > s->step ? c->n : 0;
        break;
    }
    return s->state != RS_SESSION_FAILED;
}

/* Handle one command between steps and record it as an action line
 * (run/replay.h), after what it did; false as apply_cmd. A step command
 * of no steps does nothing and is not recorded. */
bool
rs_session_handle(rs_session *s, const struct rs_cmd *c, bool *quit)
{
    long at = s->step;
    enum rs_cmd_kind kind = c->kind;
    if (kind == RS_CMD_TOGGLE)
        kind = s->paused && s->budget == 0 ? RS_CMD_RESUME : RS_CMD_PAUSE;
    s->act_ok = true;
    bool ok = apply_cmd(s, c, quit);
    if (kind != RS_CMD_STEP || c->n >= 1)
        rs_session_record_action(s, at, kind, c, s->act_ok);
    return ok;
}

/* Replay: the next recorded action due now into c (true), in file order,
 * once `step` reaches its after_step. Without a UI speed limits are
 * passed over; with one, a quit ends the run at its step (DONE, and the
 * user looks on). */
bool
rs_session_script_due(rs_session *s, struct rs_cmd *c)
{
    while (s->script_next < s->nscript) {
        const struct rs_replay_action *a = &s->script[s->script_next];
        if (a->after_step > s->step)
            return false;
        s->script_next++;
        if (a->after_step < s->step)
            rs_session_notice(s,
                              "replay: the action recorded after step %ld "
                              "comes late, after step %ld",
                              a->after_step, s->step);
        if (s->script_headless && a->cmd.kind == RS_CMD_SPEED)
            continue;
        if (!s->script_headless && a->cmd.kind == RS_CMD_QUIT) {
            rs_session_end_at(s, s->step);
            rs_session_notice(s, "replay: the recorded run ended at step %ld",
                              s->step);
            continue;
        }
        *c = a->cmd;
        return true;
    }
    return false;
}

