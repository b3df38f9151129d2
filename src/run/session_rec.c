/* repscope - MIT licence, see COPYING.
 *
 * session_rec.c: what the session's worker records and reports
 * (session_impl.h): the driver-facing rs_session_* calls (log, matrix,
 * print, event, nonfinite), run.jsonl records and events, the status on
 * the bus with throughput and probe cost, turning errors and non-finite
 * values into a stop with a message that names the step, checkpoints and
 * resume. A record is built lazily: the first value logged in a step
 * opens it, the end of the step (or an event) writes it.
 * Worker thread only.
 */
#include "config.h"

#include "run/session_impl.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/cpu.h"
#include "run/attach.h"
#include "run/json.h"

/* Non-finite value as text: "nan", "inf" or "-inf". */
static const char *
nf_name(double v)
{
    if (isnan(v))
        return "nan";
    return v > 0 ? "inf" : "-inf";
}

/* ---- recording ------------------------------------------------------ */

static void
log_error(rs_session *s, const struct rs_error *err)
{
    if (s->log_err_shown)
        return;
    s->log_err_shown = true;
    rs_session_copy_str(s->st.message, sizeof(s->st.message), err->msg);
    rs_bus_print(s->bus, err->msg);
}

/* A write into the run directory failed; runlog.c queued it (a failed
 * checkpoint leaves the previous one), so nothing is lost yet. With a UI
 * (cfg.linger) the run pauses at once, the status saying "cannot write
 * DIR/run.jsonl: REASON; paused"; a resume writes the queue first
 * (rs_session_io_retry). Without a UI, train() stops the run after this
 * step. Said once per fault. */
void
rs_session_write_failed(rs_session *s, const struct rs_error *err)
{
    if (s->io_fault)
        return;
    s->io_fault = true;
    snprintf(s->io_msg, sizeof(s->io_msg), "%s; %s", err->msg,
             s->cfg.linger ? "paused" : "stopped");
    rs_session_copy_str(s->st.message, sizeof(s->st.message), s->io_msg);
    if (!s->cfg.linger)
        return; /* train() says it once, with the step and checkpoint */
    rs_bus_print(s->bus, s->io_msg);
    rs_session_record_event(s, "error", s->io_msg); /* queued as well */
    if (s->state == RS_SESSION_RUNNING) {
        s->paused = true;
        s->budget = 0;
        rs_session_set_state(s, RS_SESSION_PAUSED);
    } else if (s->state == RS_SESSION_PAUSED) {
        s->budget = 0;
        rs_session_publish_status(s, true);
    }
}

bool
rs_session_io_retry(rs_session *s)
{
    if (!s->io_fault)
        return true;
    struct rs_error err = {0};
    if (s->log != NULL && rs_runlog_flush(s->log, &err) != RS_OK) {
        snprintf(s->io_msg, sizeof(s->io_msg), "%s; still paused", err.msg);
        rs_session_notice(s, "%s", s->io_msg);
        rs_session_publish_status(s, true);
        return false;
    }
    s->io_fault = false;
    rs_session_notice(s, "%s/run.jsonl is written again: nothing was lost",
                      s->run_dir);
    return true;
}

static char *meta_json(rs_session *s);

/* Open run.jsonl on first need (its meta line holds the params, known
 * once setup has started). False if not recording or the open failed. */
bool
rs_session_ensure_log(rs_session *s)
{
    if (s->log != NULL)
        return true;
    if (s->run_dir[0] == '\0' || s->log_open_failed)
        return false;
    char *meta = meta_json(s);
    struct rs_error err = {0};
    s->log = rs_runlog_open(s->run_dir, meta, &err);
    free(meta);
    if (s->log == NULL) {
        s->log_open_failed = true;
        rs_session_copy_str(s->log_open_msg, sizeof(s->log_open_msg), err.msg);
        log_error(s, &err);
        return false;
    }
    return true;
}

void
rs_session_end_record(rs_session *s)
{
    if (!s->rec_open)
        return;
    s->rec_open = false;
    struct rs_error err = {0};
    if (rs_runlog_end(s->log, &err) != RS_OK)
        rs_session_write_failed(s, &err);
}

/* A run.jsonl event line of kind (after the record in progress). */
void
rs_session_record_event(rs_session *s, const char *kind, const char *text)
{
    if (!rs_session_ensure_log(s))
        return;
    rs_session_end_record(s);
    struct rs_error err = {0};
    if (rs_runlog_event(s->log, s->log_step, kind, text, &err) != RS_OK)
        rs_session_write_failed(s, &err);
}

void
rs_session_record_action(rs_session *s, long after_step, enum rs_cmd_kind kind,
                         const struct rs_cmd *c, bool ok)
{
    if (!rs_session_ensure_log(s))
        return;
    rs_session_end_record(s);
    struct rs_replay_action *a = rs_xmalloc(sizeof(*a));
    a->after_step = after_step;
    a->ok = ok;
    a->cmd = *c;
    a->cmd.kind = kind;
    if (kind == RS_CMD_SPEED)
        a->cmd.x = s->speed; /* as applied: a bad value is 0 */
    char *line = rs_replay_format(a);
    free(a);
    struct rs_error err = {0};
    if (rs_runlog_line(s->log, line, &err) != RS_OK)
        rs_session_write_failed(s, &err);
    free(line);
}

/* A live change: bus marker + run.jsonl event of kind. */
void
rs_session_event_kind(rs_session *s, const char *kind, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    rs_bus_event(s->bus, (double)s->log_step, "%s", text);
    rs_session_record_event(s, kind, text);
}

void
rs_session_notice(rs_session *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->st.message, sizeof(s->st.message), fmt, ap);
    va_end(ap);
    rs_bus_print(s->bus, s->st.message);
}

/* ---- worker API ----------------------------------------------------- */

void
rs_session_log(rs_session *s, const char *name, double value)
{
    if (s->mute)
        return;
    if (!isfinite(value)) {
        if (!s->nf) {
            double at, last;
            if (rs_bus_writer_last(s->bus, name, &at, &last))
                snprintf(s->nf_msg, sizeof(s->nf_msg),
                         "step %ld: %s is %s (last finite %g at step %.0f)",
                         s->log_step, name, nf_name(value), last, at);
            else
                snprintf(s->nf_msg, sizeof(s->nf_msg),
                         "step %ld: %s is %s (no finite value before)",
                         s->log_step, name, nf_name(value));
            rs_session_copy_str(s->st.nonfinite, sizeof(s->st.nonfinite), name);
        }
        s->nf = true;
    }
    if (s->in_probe)
        s->probe_did = true;
    rs_bus_push(s->bus, name, (double)s->log_step, value);
    if (!rs_session_ensure_log(s))
        return;
    if (!s->rec_open) {
        rs_runlog_begin(s->log, s->log_step);
        s->rec_open = true;
    }
    rs_runlog_value(s->log, name, value);
}

void
rs_session_matrix(rs_session *s, const char *name, int rows, int cols,
                  const float *data, const char *const *row_labels,
                  const char *const *col_labels)
{
    if (s->mute)
        return;
    if (s->in_probe)
        s->probe_did = true;
    rs_bus_put_matrix(s->bus, name, (double)s->log_step, rows, cols, data,
                      row_labels, col_labels);
    if (!rs_session_ensure_log(s))
        return;
    struct rs_error err = {0};
    if (rs_runlog_matrix(s->log, name, s->log_step, rows, cols, data,
                         row_labels, col_labels, &err) != RS_OK)
        rs_session_write_failed(s, &err);
}

void
rs_session_print(rs_session *s, const char *fmt, ...)
{
    char text[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    /* One console line per text line. */
    char *p = text;
    for (;;) {
        char *nl = strchr(p, '\n');
        if (nl != NULL)
            *nl = '\0';
        rs_bus_print(s->bus, p);
        if (nl == NULL || nl[1] == '\0')
            break;
        p = nl + 1;
    }
}

void
rs_session_event(rs_session *s, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (!s->mute)
        rs_session_event_kind(s, "scene", "%s", text);
}

void
rs_session_nonfinite(rs_session *s, const char *where)
{
    if (!s->nf)
        snprintf(s->nf_msg, sizeof(s->nf_msg),
                 "step %ld: non-finite value in %s", s->log_step, where);
    rs_session_copy_str(s->st.nonfinite, sizeof(s->st.nonfinite), where);
    s->nf = true;
}

void
rs_session_set_title(rs_session *s, const char *title)
{
    rs_session_copy_str(s->st.title, sizeof(s->st.title), title);
}

long
rs_session_step(const rs_session *s)
{
    return s->step;
}

long
rs_session_total(const rs_session *s)
{
    return s->cfg.steps;
}

void
rs_session_end_at(rs_session *s, long step)
{
    if (step >= 0 && (s->cfg.steps < 0 || step < s->cfg.steps))
        s->cfg.steps = step;
}

unsigned long
rs_session_seed(const rs_session *s)
{
    return s->seed;
}

struct rs_rng *
rs_session_rng(rs_session *s)
{
    return &s->rng;
}

/* ---- status --------------------------------------------------------- */

/* A headless replay is paused, but a recorded action due now (a step, a
 * resume) takes it on: not paused for whoever watches the status (the
 * headless loop ends a paused run). */
static bool
replay_goes_on(const rs_session *s)
{
    return s->script_headless && s->script_next < s->nscript &&
           s->script[s->script_next].after_step <= s->step;
}

void
rs_session_publish_status(rs_session *s, bool force)
{
    double now = rs_time_now();
    if (!force && now - s->last_status < RS_SESSION_STATUS_PERIOD_S)
        return;
    s->last_status = now;
    struct rs_bus_status *st = &s->st;
    st->state = s->state;
    if (s->state == RS_SESSION_PAUSED && (s->budget > 0 || replay_goes_on(s)))
        st->state = RS_SESSION_RUNNING;
    st->step = s->step;
    st->total = s->cfg.steps;
    st->steps_per_s = s->steps_per_s;
    st->eta_s = s->cfg.steps >= 0 && s->steps_per_s > 0
                    ? (double)(s->cfg.steps - s->step) / s->steps_per_s
                    : -1;
    st->probe_ms = s->probe_ms;
    /* since setup, like probe/frac in run.jsonl: a window of a second or
     * two would swing from 0 to tens of percent around each probe round */
    double sw = s->run_step_s, pw = s->run_probe_s;
    st->probe_frac = sw + pw > 0 ? pw / (sw + pw) : 0;
    st->speed = s->speed;
    st->seed = s->seed;
    st->write_fault = s->io_fault;
    st->lua_bytes = s->drv.mem_bytes != NULL ? s->drv.mem_bytes(s->drv.ud) : 0;
    rs_bus_set_status(s->bus, st);
}

void
rs_session_set_state(rs_session *s, enum rs_session_state state)
{
    s->state = state;
    rs_session_publish_status(s, true);
}

/* Close the throughput window: log time/steps_per_s into this record. */
void
rs_session_rate_tick(rs_session *s, double now, bool force)
{
    double dt = now - s->win_t0;
    if (dt < RS_SESSION_RATE_PERIOD_S && !force)
        return;
    long n = s->step - s->win_step0;
    if (dt > 0 && n > 0) {
        s->steps_per_s = (double)n / dt;
        bool mute = s->mute;
        s->mute = false;
        rs_session_log(s, "time/steps_per_s", s->steps_per_s);
        s->mute = mute;
    }
    s->win_t0 = now;
    s->win_step0 = s->step;
}

/* Restart the window after an idle stretch so pauses do not count. */
void
rs_session_rate_restart(rs_session *s)
{
    s->win_t0 = rs_time_now();
    s->win_step0 = s->step;
}

/* ---- failure -------------------------------------------------------- */

void
rs_session_fail(rs_session *s, const char *kind, const char *msg)
{
    rs_session_copy_str(s->st.message, sizeof(s->st.message), msg);
    rs_bus_print(s->bus, msg);
    rs_session_event_kind(s, kind, "%s", msg);
    rs_session_set_state(s, RS_SESSION_FAILED);
}

/* After a callback: turn a non-finite report or an error into a stop.
 * what names the callback for errors outside steps. Returns false when
 * the run failed. */
bool
rs_session_check(rs_session *s, int rc, const struct rs_error *err,
                 bool in_step)
{
    char msg[sizeof err->msg + 160];
    bool nonfinite = s->nf || rc == RS_ENONFINITE;
    if (rc == RS_OK && !s->nf) {
        if (in_step)
            s->tainted = false;
        return true;
    }
    if (s->nf) {
        snprintf(msg, sizeof(msg), "%s", s->nf_msg);
    } else if (rc == RS_ENONFINITE) {
        double at, last;
        if (rs_bus_writer_last(s->bus, "train/loss", &at, &last))
            snprintf(msg, sizeof(msg),
                     "step %ld: %s (last finite train/loss %g at step %.0f)",
                     s->log_step, err->msg, last, at);
        else
            snprintf(msg, sizeof(msg), "step %ld: %s", s->log_step, err->msg);
    } else {
        snprintf(msg, sizeof(msg), "step %ld: %s", s->log_step, err->msg);
    }
    s->nf = false;
    if (!nonfinite) {
        rs_session_fail(s, "error", msg);
        return false;
    }
    s->tainted = true;
    if (!s->cfg.pause_on_nonfinite) {
        rs_session_fail(s, "nonfinite", msg);
        return false;
    }
    rs_session_copy_str(s->st.message, sizeof(s->st.message), msg);
    rs_bus_print(s->bus, msg);
    rs_session_event_kind(s, "nonfinite", "%s", msg);
    s->paused = true;
    s->budget = 0;
    rs_session_set_state(s, RS_SESSION_PAUSED);
    return true;
}

/* ---- checkpoints ---------------------------------------------------- */

static char *
params_json(rs_session *s)
{
    char *p = s->drv.params_json != NULL ? s->drv.params_json(s->drv.ud) : NULL;
    return p != NULL ? p : rs_xstrdup("{}");
}

int
rs_session_checkpoint(rs_session *s, struct rs_error *err)
{
    if (s->run_dir[0] == '\0')
        return rs_error_set(err, RS_EINVAL, "not recording: no checkpoint");
    /* A checkpoint never gets ahead of run.jsonl: what a resume skips
     * must be on disk. Until then the previous checkpoint stays. */
    if (s->log != NULL && rs_runlog_pending(s->log) > 0 &&
        rs_runlog_flush(s->log, err) != RS_OK)
        return err != NULL ? err->code : RS_EIO;
    rs_ckpt *ck = rs_ckpt_new();
    uint64_t v = (uint64_t)s->step;
    rs_ckpt_put_u64s(ck, "session/step", &v, 1);
    v = (uint64_t)s->seed;
    rs_ckpt_put_u64s(ck, "session/seed", &v, 1);
    rs_ckpt_put_u64s(ck, "session/rng", s->rng.s, 4);
    char *params = params_json(s);
    rs_ckpt_put_text(ck, "session/params", params);
    free(params);
    rs_ckpt_put_text(ck, "session/version", PACKAGE_VERSION);
    int rc = RS_OK;
    if (s->drv.save != NULL)
        rc = s->drv.save(s->drv.ud, s, ck, err);
    if (rc == RS_OK) {
        char *path = rs_xasprintf("%s/ckpt.bin", s->run_dir);
        rc = rs_ckpt_write(ck, path, err);
        free(path);
    }
    rs_ckpt_free(ck);
    if (rc == RS_OK) {
        s->ckpt_step = s->step;
        rs_session_event_kind(s, "checkpoint", "checkpoint at step %ld",
                              s->step);
    }
    return rc;
}

/* Params saved in a checkpoint that differ from the driver's now. */
struct kv {
    char **k, **v;
    bool *str;
    int n;
};

static int
kv_add(const char *key, const char *value, bool is_string, void *ud)
{
    struct kv *kv = ud;
    kv->k = rs_xreallocarray(kv->k, (size_t)kv->n + 1, sizeof(char *));
    kv->v = rs_xreallocarray(kv->v, (size_t)kv->n + 1, sizeof(char *));
    kv->str = rs_xreallocarray(kv->str, (size_t)kv->n + 1, sizeof(bool));
    kv->k[kv->n] = rs_xstrdup(key);
    kv->v[kv->n] = rs_xstrdup(value);
    kv->str[kv->n] = is_string;
    kv->n++;
    return 0;
}

static int
kv_add_none(const char *key, const char *value, bool is_string, void *ud)
{
    (void)key;
    (void)value;
    (void)is_string;
    (void)ud;
    return 0;
}

static void
kv_free(struct kv *kv)
{
    for (int i = 0; i < kv->n; i++) {
        free(kv->k[i]);
        free(kv->v[i]);
    }
    free(kv->k);
    free(kv->v);
    free(kv->str);
}

static int
apply_saved_params(rs_session *s, const char *saved, struct rs_error *err)
{
    if (saved == NULL || s->drv.set_param == NULL)
        return RS_OK;
    struct kv old = {0}, now = {0};
    char *cur = params_json(s);
    int rc = rs_json_object_each(saved, kv_add, &old, err);
    if (rc == RS_OK && rs_json_object_each(cur, kv_add, &now, NULL) != RS_OK)
        kv_free(&now), memset(&now, 0, sizeof(now));
    for (int i = 0; rc == RS_OK && i < old.n; i++) {
        bool same = false;
        for (int j = 0; j < now.n; j++)
            if (strcmp(old.k[i], now.k[j]) == 0)
                same =
                    old.str[i] == now.str[j] && strcmp(old.v[i], now.v[j]) == 0;
        if (same || old.v[i][0] == '{' || old.v[i][0] == '[')
            continue;
        rc = s->drv.set_param(s->drv.ud, s, old.k[i], old.v[i], err);
        if (rc == RS_OK)
            rs_session_event_kind(s, "set", "%s = %s (from the checkpoint)",
                                  old.k[i], old.v[i]);
    }
    kv_free(&old);
    kv_free(&now);
    free(cur);
    return rc;
}

/* Resume from the checkpoint read by rs_session_new. */
int
rs_session_resume(rs_session *s, struct rs_error *err)
{
    const rs_ckpt *ck = s->resume_ck;
    int rc = apply_saved_params(s, rs_ckpt_text(ck, "session/params"), err);
    if (rc != RS_OK)
        return rc;
    if (s->drv.load != NULL &&
        (rc = s->drv.load(s->drv.ud, s, ck, err)) != RS_OK)
        return rc;
    size_t n = 0;
    const uint64_t *r = rs_ckpt_u64s(ck, "session/rng", &n);
    memcpy(s->rng.s, r, sizeof(s->rng.s));
    /* the series so far back on the bus: views (a rank heatmap, say)
     * continue the run's history rather than start at the resume */
    struct rs_error herr = {0};
    if (s->run_dir[0] != '\0' &&
        rs_attach_replay(s->run_dir, s->bus, s->step, &herr) != RS_OK)
        rs_session_notice(s, "history not shown: %s", herr.msg);
    rs_session_event_kind(s, "resume", "resume from %s/ckpt.bin at step %ld",
                          s->run_dir, s->step);
    return RS_OK;
}

/* ---- the record's first line ---------------------------------------- */

static char *
meta_json(rs_session *s)
{
    char *params = params_json(s);
    struct rs_error perr;
    if (rs_json_object_each(params, kv_add_none, NULL, &perr) != RS_OK) {
        rs_session_notice(
            s, "scene params are not a JSON object (%s); recorded as {}",
            perr.msg);
        free(params);
        params = rs_xstrdup("{}");
    }
    const char *kernel = rs_cpu_kernel_desc();
    size_t need = strlen(params) + 1024 +
                  6 * (strlen(s->scene_name) + strlen(kernel) +
                       (s->scene_path ? strlen(s->scene_path) : 0));
    for (int i = 0; s->argv != NULL && s->argv[i] != NULL; i++)
        need += 6 * strlen(s->argv[i]) + 4;
    char *buf = rs_xmalloc(need);
    time_t t = time(NULL);
    struct tm tm;
    char start[32];
    gmtime_r(&t, &tm);
    strftime(start, sizeof(start), "%Y-%m-%dT%H:%M:%SZ", &tm);
    size_t off = 0;
    off += (size_t)snprintf(buf, need, "{\"type\":\"meta\",\"scene\":");
    rs_json_append_string(buf, need, &off, s->scene_name);
    off += (size_t)snprintf(buf + off, need - off, ",\"scene_path\":");
    if (s->scene_path != NULL)
        rs_json_append_string(buf, need, &off, s->scene_path);
    else
        off += (size_t)snprintf(buf + off, need - off, "null");
    off += (size_t)snprintf(
        buf + off, need - off,
        ",\"params\":%s,\"seed\":%lu,\"steps\":%ld,"
        "\"threads\":%d,\"checkpoint_every\":%ld,"
        "\"pause_on_nonfinite\":%s,"
        "\"version\":\"%s\",\"start\":\"%s\","
        "\"kernel\":",
        params, s->seed, s->cfg.steps, s->cfg.threads, s->cfg.checkpoint_every,
        s->cfg.pause_on_nonfinite ? "true" : "false", PACKAGE_VERSION, start);
    rs_json_append_string(buf, need, &off, kernel);
    off += (size_t)snprintf(buf + off, need - off, ",\"argv\":[");
    for (int i = 0; s->argv != NULL && s->argv[i] != NULL; i++) {
        if (i > 0)
            off += (size_t)snprintf(buf + off, need - off, ",");
        rs_json_append_string(buf, need, &off, s->argv[i]);
    }
    snprintf(buf + off, need - off, "]}");
    free(params);
    return buf;
}
