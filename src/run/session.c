/* repscope - MIT licence, see COPYING.
 *
 * session.c: one training run (session.h): its life cycle on the owner
 * thread and the worker's loop. The worker runs setup (and resume), then
 * loops: drain the command queue, run one step and the probes (timed
 * apart), write that step's record, checkpoint when due, publish status;
 * it waits on the queue (never spins) when paused or throttled. A run
 * ends after the last step, on quit, or on a failure, writing the final
 * checkpoint unless the run failed or its last step held a non-finite
 * value (a checkpoint must never replace a good one with NaN weights);
 * then the worker ends too, or with cfg.linger (a UI is attached) waits
 * for commands until quit: console, params, checkpoints, and a restart
 * that runs the scene again.
 * Commands and replayed actions are applied in session_cmd.c; recording
 * and reporting live in session_rec.c.
 */
#include "config.h"

#include "run/session.h"

#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/blas.h"
#include "core/cpu.h"
#include "run/runlog.h"
#include "run/session_impl.h"
#include "run/thread.h"

/* The driver's setup failed: a non-finite value stops the run like in a
 * step, anything else fails it with "setup: file:line: message". */
bool
rs_session_setup_failed(rs_session *s, int rc, const struct rs_error *err)
{
    rs_session_end_record(s);
    if (rc == RS_ENONFINITE || s->nf) {
        /* Nothing was built: no pause, whatever the config says. */
        bool pause = s->cfg.pause_on_nonfinite;
        s->cfg.pause_on_nonfinite = false;
        rs_session_check(s, rc, err, false);
        s->cfg.pause_on_nonfinite = pause;
        return false;
    }
    char msg[sizeof err->msg + 16];
    snprintf(msg, sizeof(msg), "setup: %s", err->msg);
    rs_session_fail(s, "error", msg);
    return false;
}

/* The scene's view specs as an event in run.jsonl, so that `repscope
 * attach` shows the same panels (after each setup: a restart may have
 * changed them). */
void
rs_session_record_views(rs_session *s)
{
    if (s->run_dir[0] == '\0')
        return;
    rs_bus_flush(s->bus);
    char *v = rs_bus_views(s->bus);
    if (v != NULL)
        rs_session_record_event(s, "views", v);
    free(v);
}

/* ---- the worker ----------------------------------------------------- */

/* One step and its probes. False when the run failed. */
static bool
run_step(rs_session *s)
{
    struct rs_error err = {0};
    long k = s->step + 1;
    s->log_step = k;
    double t0 = rs_time_now();
    atomic_store(&s->interrupt_flag, false); /* one pressed before: stale */
    int rc = s->drv.step(s->drv.ud, s, k, &err);
    double t1 = rs_time_now();
    s->run_step_s += t1 - t0;
    if (rc == RS_ECANCELED && atomic_load(&s->quit_flag)) {
        /* Stopped inside the step: the model may be half updated. */
        rs_session_end_record(s);
        s->aborted = true;
        return true;
    }
    if (rc == RS_ECANCELED && atomic_load(&s->interrupt_flag)) {
        /* The user interrupted a runaway step (console ctrl-c): it does
         * not count (the model may be half updated); the run pauses. */
        atomic_store(&s->interrupt_flag, false);
        rs_session_end_record(s);
        rs_session_event_kind(s, "pause", "pause");
        rs_session_notice(s, "step %ld interrupted (%s); paused", k,
                          err.msg);
        s->paused = true;
        s->budget = 0;
        rs_session_set_state(s, RS_SESSION_PAUSED);
        return true;
    }
    if (rc != RS_OK && rc != RS_ENONFINITE && !s->nf) {
        rs_session_end_record(s);
        return rs_session_check(s, rc, &err, true);
    }
    s->step = k;
    if (rc == RS_OK && !s->nf && s->drv.probe != NULL) {
        s->in_probe = true;
        s->probe_did = false;
        rc = s->drv.probe(s->drv.ud, s, k, &err);
        s->in_probe = false;
        if (rc == RS_ECANCELED && atomic_load(&s->interrupt_flag)) {
            atomic_store(&s->interrupt_flag, false);
            rs_session_notice(s, "step %ld: probes interrupted (%s); paused",
                              k, err.msg);
            s->paused = true;
            s->budget = 0;
            rs_session_set_state(s, RS_SESSION_PAUSED);
            rc = RS_OK; /* the step itself completed */
            rs_error_clear(&err);
        }
        if (rc == RS_ECANCELED && atomic_load(&s->quit_flag)) {
            rc = RS_OK; /* the step itself completed */
            rs_error_clear(&err);
        }
        double t2 = rs_time_now();
        s->run_probe_s += t2 - t1;
        if (s->probe_did) {
            double ms = (t2 - t1) * 1e3;
            s->probe_ms = s->probe_ms > 0 ? 0.75 * s->probe_ms + 0.25 * ms : ms;
            /* the cost goes on record with the values it produced */
            rs_session_log(s, "probe/ms", ms);
            rs_session_log(s, "probe/frac",
                           s->run_probe_s / (s->run_step_s + s->run_probe_s));
        }
    }
    rs_session_rate_tick(s, rs_time_now(), false);
    rs_session_end_record(s);
    if (!rs_session_check(s, rc, &err, true))
        return false;
    if (s->budget > 0 && --s->budget == 0)
        rs_session_set_state(s, RS_SESSION_PAUSED);
    if (s->pause_at > 0 && k >= s->pause_at) {
        s->pause_at = 0;
        if (!(s->paused && s->budget == 0)) {
            s->log_step = k;
            rs_session_event_kind(s, "pause", "pause at step %ld", k);
            s->paused = true;
            s->budget = 0;
            rs_session_set_state(s, RS_SESSION_PAUSED);
        }
    }
    if (s->cfg.checkpoint_every > 0 && k % s->cfg.checkpoint_every == 0 &&
        !s->tainted && s->run_dir[0] != '\0') {
        s->log_step = k;
        if (rs_session_checkpoint(s, &err) == RS_EIO)
            rs_session_write_failed(s, &err);
        else if (err.code != RS_OK)
            rs_session_notice(s, "checkpoint: %s", err.msg);
    }
    rs_session_publish_status(s, false);
    rs_bus_try_flush(s->bus);
    return true;
}

static bool
finished(const rs_session *s)
{
    return s->cfg.steps >= 0 && s->step >= s->cfg.steps;
}

/* Setup (and resume): false when the run failed. */
static bool
start_run(rs_session *s)
{
    struct rs_error err = {0};
    rs_session_set_state(s, RS_SESSION_LOADING);
    if (s->resume_ck != NULL) {
        const uint64_t *v = rs_ckpt_u64s(s->resume_ck, "session/step", NULL);
        s->step = s->log_step = (long)v[0];
        s->ckpt_step = s->step;
        s->mute = true;
    }
    int rc = s->drv.setup(s->drv.ud, s, &err);
    s->mute = false;
    s->set_up = rc == RS_OK;
    if (s->run_dir[0] != '\0') {
        struct rs_error lerr = {0};
        if (!rs_session_ensure_log(s)) {
            rs_session_fail(s, "error", s->log_open_msg);
            return false;
        }
        if (s->fresh_dir && s->scene_path != NULL &&
            rs_runlog_copy_file(s->log, s->scene_path, "scene.lua", &lerr) !=
                RS_OK)
            rs_session_notice(s, "%s", lerr.msg);
    }
    if (rc != RS_OK)
        return rs_session_setup_failed(s, rc, &err);
    rs_session_record_views(s);
    if (s->resume_ck != NULL) {
        rc = rs_session_resume(s, &err);
        rs_ckpt_free(s->resume_ck);
        s->resume_ck = NULL;
        if (rc != RS_OK) {
            rs_session_end_record(s);
            char msg[sizeof s->run_dir + sizeof err.msg + 16];
            snprintf(msg, sizeof(msg), "resume from %s: %s", s->run_dir,
                     err.msg);
            rs_session_fail(s, "error", msg);
            return false;
        }
    }
    rs_session_end_record(s);
    if (!rs_session_check(s, RS_OK, &err, false))
        return false;
    s->paused = s->cfg.start_paused;
    rs_session_rate_restart(s);
    rs_session_set_state(s, s->paused ? RS_SESSION_PAUSED : RS_SESSION_RUNNING);
    return true;
}

/* Without a UI a failed write stops the run (nobody could resume it):
 * FAILED, with a message that names the file, the step, and the
 * checkpoint a --resume will start from. */
static void
io_stop(rs_session *s)
{
    char msg[sizeof s->io_msg + 512];
    if (s->ckpt_step >= 0)
        snprintf(msg, sizeof(msg),
                 "step %ld: %s; the checkpoint of step %ld stays: free "
                 "space, then repscope --resume %s",
                 s->step, s->io_msg, s->ckpt_step, s->run_dir);
    else
        snprintf(msg, sizeof(msg), "step %ld: %s; no checkpoint yet",
                 s->step, s->io_msg);
    s->log_step = s->step;
    rs_session_fail(s, "error", msg);
}

/* Train until the last step, a quit or a failure (false). */
static bool
train(rs_session *s, struct rs_cmd *c, bool *quit)
{
    bool ok = true;
    while (ok && !*quit) {
        if (atomic_load(&s->quit_flag)) {
            *quit = true;
            break;
        }
        /* The recorded actions due now (replay), then the queue. */
        while (ok && !*quit && rs_session_script_due(s, c))
            ok = rs_session_handle(s, c, quit);
        while (ok && !*quit && rs_cmdq_pop(s->q, c, 0))
            ok = rs_session_handle(s, c, quit);
        if (!ok || *quit)
            break;
        if (s->io_fault && !s->cfg.linger) {
            io_stop(s);
            ok = false;
            break;
        }
        if (finished(s))
            break;
        bool idle = s->paused && s->budget == 0;
        if (idle && s->script != NULL && s->script_headless) {
            /* nothing recorded can resume it now */
            rs_session_notice(s,
                              "replay: paused after step %ld with no "
                              "recorded action to go on: ending here",
                              s->step);
            *quit = true;
            break;
        }
        double wait = idle ? -1 : 0;
        if (!idle && s->speed > 0) {
            double now = rs_time_now();
            if (now < s->next_due)
                wait = s->next_due - now;
        }
        if (wait != 0) {
            if (idle) {
                rs_session_rate_restart(s);
                rs_session_publish_status(s, true);
            }
            /* about to block: what a busy bus held back must show now */
            rs_bus_flush(s->bus);
            if (rs_cmdq_pop(s->q, c, wait))
                ok = rs_session_handle(s, c, quit);
            else if (wait < 0)
                *quit = true; /* queue closed: rs_session_free */
            continue;
        }
        if (s->speed > 0) {
            double now = rs_time_now();
            s->next_due =
                (s->next_due > now - 1.0 / s->speed ? s->next_due : now) +
                1.0 / s->speed;
        }
        ok = run_step(s);
    }
    return ok;
}

/* The final checkpoint (unless the run failed, a step was cut short or
 * holds a non-finite value); false when writing it failed. */
static bool
final_checkpoint(rs_session *s)
{
    struct rs_error err = {0};
    if (s->aborted) {
        rs_session_notice(s, "stopped inside step %ld: no final checkpoint",
                          s->step + 1);
    } else if (s->tainted) {
        rs_session_notice(
            s, "no final checkpoint: step %ld holds a non-finite value",
            s->step);
    } else if (s->run_dir[0] != '\0' &&
               rs_session_checkpoint(s, &err) != RS_OK) {
        char msg[sizeof err.msg + 32];
        snprintf(msg, sizeof(msg), "final checkpoint: %s", err.msg);
        rs_session_fail(s, "error", msg);
        return false;
    }
    return true;
}

/* The end of a run (its last step, a quit, or a failure): the last
 * throughput window, the final checkpoint, a done/quit event, the state
 * DONE or FAILED. Returns whether the run ended well. */
static bool
end_run(rs_session *s, bool ok, bool quit)
{
    s->log_step = s->step;
    if (ok) {
        /* The last throughput window, unless too short to mean much. */
        double now = rs_time_now();
        rs_session_rate_tick(s, now, now - s->win_t0 >= 0.25);
        rs_session_end_record(s);
        ok = final_checkpoint(s);
        if (ok)
            rs_session_event_kind(
                s, quit ? "quit" : "done",
                quit ? "quit at step %ld" : "done at step %ld", s->step);
    }
    rs_session_set_state(s, ok ? RS_SESSION_DONE : RS_SESSION_FAILED);
    rs_bus_flush(s->bus);
    return ok;
}

/* cfg.linger: the run has ended (DONE or FAILED) but a UI is attached:
 * take commands until quit (false) or a restart that set the scene up
 * again (true). The console, params and checkpoints keep working; a quit
 * after a change (eval, set) writes one more checkpoint. */
static bool
linger(rs_session *s, struct rs_cmd *c, bool *ok)
{
    enum rs_session_state at = s->state;
    bool changed = false, quit = false;
    for (;;) {
        /* every answer (a notice, a checkpoint, console output) is on the
         * bus before the worker blocks, even if a reader held it busy */
        rs_bus_flush(s->bus);
        if (atomic_load(&s->quit_flag) || !rs_cmdq_pop(s->q, c, -1))
            return false; /* rs_session_free */
        switch (c->kind) {
        case RS_CMD_PAUSE:
        case RS_CMD_RESUME:
        case RS_CMD_TOGGLE:
        case RS_CMD_STEP:
            rs_session_notice(s,
                              "the run has ended (%s): restart it to "
                              "train again",
                              rs_session_state_name(at));
            rs_session_publish_status(s, true);
            continue;
        case RS_CMD_QUIT:
            s->log_step = s->step;
            rs_session_record_action(s, s->step, RS_CMD_QUIT, c, true);
            if (at == RS_SESSION_DONE && changed && !final_checkpoint(s))
                *ok = false;
            else if (at == RS_SESSION_DONE)
                rs_session_event_kind(s, "quit", "quit at step %ld", s->step);
            rs_session_set_state(s, *ok && at == RS_SESSION_DONE
                                        ? RS_SESSION_DONE
                                        : RS_SESSION_FAILED);
            return false;
        case RS_CMD_EVAL:
        case RS_CMD_CHECKPOINT:
            if (!s->set_up) {
                rs_session_notice(s, "the scene is not set up: restart it");
                rs_session_publish_status(s, true);
                continue;
            }
            break;
        default:
            break;
        }
        bool restart = c->kind == RS_CMD_RESTART;
        changed = changed || c->kind == RS_CMD_EVAL || c->kind == RS_CMD_SET;
        bool r = rs_session_handle(s, c, &quit);
        if (restart && r) {
            *ok = true;
            return true;
        }
        if (restart)
            at = RS_SESSION_FAILED; /* its setup failed */
        /* a console command's non-finite value pauses nothing here */
        s->paused = false;
        if (s->state != at)
            rs_session_set_state(s, at);
    }
}

static void *
worker_main(void *arg)
{
    rs_session *s = arg;
    if (s->cfg.threads > 0)
        rs_blas_set_threads(s->cfg.threads);
    struct rs_cmd *c = rs_xmalloc(sizeof(*c));
    bool ok = start_run(s);
    for (;;) {
        bool quit = false;
        if (ok)
            ok = train(s, c, &quit);
        ok = end_run(s, ok, quit);
        if (quit || !s->cfg.linger || atomic_load(&s->quit_flag) ||
            !linger(s, c, &ok))
            break;
    }
    free(c);
    if (s->set_up && s->drv.teardown != NULL)
        s->drv.teardown(s->drv.ud);
    s->set_up = false;
    rs_bus_flush(s->bus);
    rs_runlog_close(s->log);
    s->log = NULL;
    atomic_store(&s->final_state, (int)s->state);
    return NULL;
}

/* ---- owner side ----------------------------------------------------- */

static char *
dup_or_null(const char *p)
{
    return p != NULL ? rs_xstrdup(p) : NULL;
}

/* runs/<scene>-<UTC stamp>: the default run directory. */
static char *
default_dir(const char *scene, struct rs_error *err)
{
    time_t t = time(NULL);
    struct tm tm;
    char stamp[32];
    gmtime_r(&t, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    char *stem = rs_xasprintf("%s-%s", scene, stamp);
    for (char *p = stem; *p != '\0'; p++)
        if (*p == '/')
            *p = '_';
    char *d = rs_runlog_new_dir("runs", stem, err);
    free(stem);
    return d;
}

static int
prepare_dir(rs_session *s, const struct rs_session_config *cfg,
            struct rs_error *err)
{
    if (cfg->resume_dir != NULL) {
        s->run_dir = rs_xstrdup(cfg->resume_dir);
        char *path = rs_xasprintf("%s/ckpt.bin", s->run_dir);
        s->resume_ck = rs_ckpt_read(path, err);
        free(path);
        if (s->resume_ck == NULL)
            return err != NULL ? err->code : RS_EFORMAT;
        size_t n1 = 0, n2 = 0, n3 = 0;
        const uint64_t *st = rs_ckpt_u64s(s->resume_ck, "session/step", &n1);
        const uint64_t *sd = rs_ckpt_u64s(s->resume_ck, "session/seed", &n2);
        rs_ckpt_u64s(s->resume_ck, "session/rng", &n3);
        if (st == NULL || sd == NULL || n1 != 1 || n2 != 1 || n3 != 4)
            return rs_error_set(err, RS_EFORMAT,
                                "%s/ckpt.bin: no session state (not written "
                                "by a repscope session)",
                                s->run_dir);
        s->seed = (unsigned long)sd[0];
        return RS_OK;
    }
    if (cfg->out_dir != NULL && cfg->out_dir[0] == '\0') {
        s->run_dir = rs_xstrdup("");
        return RS_OK;
    }
    s->fresh_dir = true;
    if (cfg->out_dir == NULL) {
        s->run_dir = default_dir(s->scene_name, err);
        return s->run_dir != NULL ? RS_OK : RS_EIO;
    }
    s->run_dir = rs_xstrdup(cfg->out_dir);
    int rc = rs_runlog_make_dirs(s->run_dir, err);
    if (rc != RS_OK)
        return rc;
    char *log = rs_xasprintf("%s/run.jsonl", s->run_dir);
    struct stat st;
    bool used = stat(log, &st) == 0 && st.st_size > 0;
    free(log);
    if (used)
        return rs_error_set(err, RS_EINVAL,
                            "%s already holds a run (run.jsonl); continue it "
                            "with resume, or choose another directory",
                            s->run_dir);
    return RS_OK;
}

rs_session *
rs_session_new(const struct rs_session_config *cfg,
               const struct rs_session_driver *drv, struct rs_error *err)
{
    if (drv->setup == NULL || drv->step == NULL || cfg->steps < -1 ||
        cfg->checkpoint_every < 0 || cfg->threads < 0) {
        rs_error_set(err, RS_EINVAL, "%s",
                     drv->setup == NULL || drv->step == NULL
                         ? "the driver needs setup and step"
                         : "steps, checkpoint_every or threads "
                           "out of range");
        if (drv->free != NULL)
            drv->free(drv->ud);
        return NULL;
    }
    rs_session *s = rs_xcalloc(1, sizeof(*s));
    s->ckpt_step = -1;
    s->drv = *drv;
    s->cfg = *cfg;
    s->scene_path = dup_or_null(cfg->scene_path);
    s->scene_name =
        rs_xstrdup(cfg->scene_name != NULL ? cfg->scene_name : "run");
    s->resume_dir = dup_or_null(cfg->resume_dir);
    if (cfg->argv != NULL) {
        int n = 0;
        while (cfg->argv[n] != NULL)
            n++;
        s->argv = rs_xcalloc((size_t)n + 1, sizeof(char *));
        for (int i = 0; i < n; i++)
            s->argv[i] = rs_xstrdup(cfg->argv[i]);
    }
    s->cfg.scene_path = s->scene_path;
    s->cfg.scene_name = s->scene_name;
    s->cfg.resume_dir = s->resume_dir;
    s->cfg.out_dir = NULL;
    s->cfg.argv = s->argv;
    s->seed = cfg->seed;
    atomic_init(&s->quit_flag, false);
    atomic_init(&s->interrupt_flag, false);
    atomic_init(&s->final_state, (int)RS_SESSION_LOADING);
    s->bus = rs_bus_new();
    s->q = rs_cmdq_new(64);
    if (prepare_dir(s, cfg, err) != RS_OK) {
        rs_session_free(s);
        return NULL;
    }
    rs_rng_seed(&s->rng, s->seed);
    s->state = RS_SESSION_LOADING;
    struct rs_bus_status *st = &s->st;
    st->total = cfg->steps;
    st->eta_s = -1;
    st->seed = s->seed;
    snprintf(st->scene, sizeof(st->scene), "%s", s->scene_name);
    snprintf(st->title, sizeof(st->title), "%s", s->scene_name);
    snprintf(st->kernel, sizeof(st->kernel), "%s", rs_cpu_kernel_desc());
    snprintf(st->run_dir, sizeof(st->run_dir), "%s", s->run_dir);
    rs_bus_set_status(s->bus, st);
    return s;
}

int
rs_session_start(rs_session *s, struct rs_error *err)
{
    if (s->started)
        return rs_error_set(err, RS_EINVAL, "session already started");
    /* The worker takes no asynchronous signals: they go to the owner
     * thread (headless loop, UI), which turns them into commands. */
    int rc = rs_thread_start(&s->thread, worker_main, s);
    if (rc != 0)
        return rs_error_set(err, RS_ENOMEM, "cannot start the worker: %s",
                            strerror(rc));
    s->started = true;
    return RS_OK;
}

bool
rs_session_ended(const rs_session *s)
{
    /* the worker stores its final state (DONE or FAILED) last of all */
    return !s->started || s->joined ||
           atomic_load(&s->final_state) != (int)RS_SESSION_LOADING;
}

enum rs_session_state
rs_session_join(rs_session *s)
{
    if (s->started && !s->joined) {
        pthread_join(s->thread, NULL);
        s->joined = true;
    }
    if (!s->started)
        return RS_SESSION_DONE;
    return (enum rs_session_state)atomic_load(&s->final_state);
}

void
rs_session_free(rs_session *s)
{
    if (s == NULL)
        return;
    if (s->started && !s->joined) {
        atomic_store(&s->quit_flag, true);
        rs_cmdq_close(s->q);
        rs_session_join(s);
    }
    if (s->drv.free != NULL)
        s->drv.free(s->drv.ud);
    rs_ckpt_free(s->resume_ck);
    free(s->script);
    rs_runlog_close(s->log);
    rs_cmdq_free(s->q);
    rs_bus_free(s->bus);
    for (int i = 0; s->argv != NULL && s->argv[i] != NULL; i++)
        free(s->argv[i]);
    free(s->argv);
    free(s->scene_path);
    free(s->scene_name);
    free(s->resume_dir);
    free(s->run_dir);
    free(s);
}

void
rs_session_interrupt(rs_session *s)
{
    atomic_store(&s->interrupt_flag, true);
}

bool
rs_session_interrupted(const rs_session *s)
{
    /* The caller polls from inside a long computation: a good moment to
     * publish what the bus could not publish before it started. */
    rs_bus_try_flush(s->bus);
    /* the flag is cleared as an eval or a step begins: set, it means
     * the one running now */
    return atomic_load(&s->quit_flag) || atomic_load(&s->interrupt_flag);
}

rs_bus *
rs_session_bus(rs_session *s)
{
    return s->bus;
}

rs_cmdq *
rs_session_cmdq(rs_session *s)
{
    return s->q;
}

const char *
rs_session_run_dir(const rs_session *s)
{
    return s->run_dir != NULL ? s->run_dir : "";
}
