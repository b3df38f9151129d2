/* repscope - MIT licence, see COPYING.
 *
 * replay.c: exact replay (replay.h). The action line format and its
 * parser, the reading of a run directory into what a replay needs (the
 * meta line's scene, params, seed, steps and threads; the actions in file
 * order), and the hand-over of the actions to a session, whose worker
 * applies them (session.c, script_due). An rs_replay is read once and
 * read-only after; rs_replay_arm copies what the session keeps.
 * Owner (main) thread; the line functions on any thread.
 */
#include "config.h"

#include "run/replay.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "run/json.h"
#include "run/runlog.h"
#include "run/session_impl.h"

#define MAX_STEP (LONG_MAX / 2) /* as the command line allows */

/* The action kinds by their name in the line; NULL: no line of its own
 * (a toggle is recorded as what it resolved to). */
static const char *const kind_names[] = {
    [RS_CMD_PAUSE] = "pause",     [RS_CMD_RESUME] = "resume",
    [RS_CMD_TOGGLE] = NULL,       [RS_CMD_STEP] = "step",
    [RS_CMD_SPEED] = "speed",     [RS_CMD_SET] = "set",
    [RS_CMD_EVAL] = "eval",       [RS_CMD_CHECKPOINT] = "checkpoint",
    [RS_CMD_RESTART] = "restart", [RS_CMD_QUIT] = "quit",
    [RS_CMD_PAUSE_AT] = "pause_at",
};

/* ---- the line ------------------------------------------------------- */

static void
buf_str(struct rs_json_buf *b, const char *s)
{
    rs_json_buf_raw(b, s, strlen(s));
}

char *
rs_replay_format(const struct rs_replay_action *a)
{
    const struct rs_cmd *c = &a->cmd;
    RS_ASSERT((size_t)c->kind < RS_ARRAY_LEN(kind_names) &&
              kind_names[c->kind] != NULL);
    struct rs_json_buf b = {0};
    buf_str(&b, "{\"type\":\"action\",\"after_step\":");
    rs_json_buf_integer(&b, a->after_step);
    buf_str(&b, ",\"do\":");
    rs_json_buf_string(&b, kind_names[c->kind], strlen(kind_names[c->kind]));
    switch (c->kind) {
    case RS_CMD_STEP:
    case RS_CMD_PAUSE_AT:
        buf_str(&b, ",\"n\":");
        rs_json_buf_integer(&b, c->n);
        break;
    case RS_CMD_SPEED:
        buf_str(&b, ",\"x\":");
        rs_json_buf_double(&b, c->x);
        break;
    case RS_CMD_SET:
        buf_str(&b, ",\"key\":");
        rs_json_buf_string(&b, c->key, strnlen(c->key, sizeof c->key));
        buf_str(&b, ",\"value\":");
        rs_json_buf_string(&b, c->text, strnlen(c->text, sizeof c->text));
        break;
    case RS_CMD_EVAL:
        buf_str(&b, ",\"code\":");
        rs_json_buf_string(&b, c->text, strnlen(c->text, sizeof c->text));
        break;
    default:
        break;
    }
    buf_str(&b, a->ok ? ",\"ok\":true}" : ",\"ok\":false}");
    return rs_json_buf_take(&b);
}

/* Member name of v as a string into dst of cap bytes; false (err set)
 * when it is missing, no string, or too long. */
static bool
get_text(const rs_json *v, const char *name, char *dst, size_t cap,
         struct rs_error *err)
{
    size_t n = 0;
    const char *s = rs_json_str(rs_json_get(v, name), &n);
    if (s == NULL) {
        rs_error_set(err, RS_EFORMAT, "action without a string '%s'", name);
        return false;
    }
    if (n >= cap || memchr(s, '\0', n) != NULL) {
        rs_error_set(err, RS_EFORMAT,
                     "action '%s' of %zu bytes (at most %zu, no NUL)", name, n,
                     cap - 1);
        return false;
    }
    /* repscope writes only UTF-8 (an invalid byte as U+FFFD, three bytes):
     * a line with other bytes was not written by it, and would not come
     * back the same from a replay's own record */
    if (!rs_json_utf8_ok(s, n)) {
        rs_error_set(err, RS_EFORMAT, "action '%s' is not valid UTF-8", name);
        return false;
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
    return true;
}

static int
parse_action(const rs_json *v, struct rs_replay_action *a, struct rs_error *err)
{
    memset(a, 0, sizeof *a);
    long long at, n;
    if (!rs_json_integer(rs_json_get(v, "after_step"), &at) || at < 0 ||
        at > MAX_STEP)
        return rs_error_set(err, RS_EFORMAT,
                            "action without a whole 'after_step' >= 0");
    a->after_step = (long)at;
    a->ok = rs_json_bool(rs_json_get(v, "ok"), true);
    const char *name = rs_json_str(rs_json_get(v, "do"), NULL);
    if (name == NULL)
        return rs_error_set(err, RS_EFORMAT, "action without 'do'");
    size_t k = 0;
    while (k < RS_ARRAY_LEN(kind_names) &&
           (kind_names[k] == NULL || strcmp(kind_names[k], name) != 0))
        k++;
    if (k == RS_ARRAY_LEN(kind_names))
        return rs_error_set(err, RS_EFORMAT, "unknown action '%.64s'", name);
    struct rs_cmd *c = &a->cmd;
    c->kind = (enum rs_cmd_kind)k;
    switch (c->kind) {
    case RS_CMD_STEP:
        if (!rs_json_integer(rs_json_get(v, "n"), &n) || n < 1 || n > MAX_STEP)
            return rs_error_set(err, RS_EFORMAT,
                                "step action without a whole 'n' >= 1");
        c->n = (long)n;
        break;
    case RS_CMD_PAUSE_AT:
        if (!rs_json_integer(rs_json_get(v, "n"), &n) || n < 0 || n > MAX_STEP)
            return rs_error_set(err, RS_EFORMAT,
                                "pause_at action without a whole 'n' >= 0");
        c->n = (long)n;
        break;
    case RS_CMD_SPEED:
        c->x = rs_json_num(rs_json_get(v, "x"), -1);
        if (!(c->x >= 0))
            return rs_error_set(err, RS_EFORMAT,
                                "speed action without a number 'x' >= 0");
        break;
    case RS_CMD_SET:
        if (!get_text(v, "key", c->key, sizeof c->key, err) ||
            !get_text(v, "value", c->text, sizeof c->text, err))
            return RS_EFORMAT;
        break;
    case RS_CMD_EVAL:
        if (!get_text(v, "code", c->text, sizeof c->text, err))
            return RS_EFORMAT;
        break;
    default:
        break;
    }
    return RS_OK;
}

int
rs_replay_parse(const char *line, size_t len, struct rs_replay_action *a,
                bool *is_action, struct rs_error *err)
{
    *is_action = false;
    rs_json *v = rs_json_parse(line, len, err);
    if (v == NULL)
        return RS_EFORMAT;
    int rc = RS_OK;
    const char *type = rs_json_str(rs_json_get(v, "type"), NULL);
    if (rs_json_typeof(v) != RS_JSON_OBJECT)
        rc = rs_error_set(err, RS_EFORMAT, "not a JSON object");
    else if (type != NULL && strcmp(type, "action") == 0) {
        rc = parse_action(v, a, err);
        *is_action = rc == RS_OK;
    }
    rs_json_free(v);
    return rc;
}

/* ---- the run directory ------------------------------------------------- */

struct rs_replay {
    char *dir, *scene_path, *scene_name, *kernel;
    char **sets;
    int nsets;
    unsigned long seed;
    long steps, checkpoint_every;
    int threads;
    bool pause_on_nonfinite;
    struct rs_replay_action *act;
    int nact, capact;
    /* the newest checkpoint event: its step, and the actions recorded
     * before it (a resume from it undoes those after) */
    long ckpt_step;
    int ckpt_nact;
    char note[256];
};

void
rs_replay_free(rs_replay *r)
{
    if (r == NULL)
        return;
    for (int i = 0; i < r->nsets; i++)
        free(r->sets[i]);
    free(r->sets);
    free(r->act);
    free(r->dir);
    free(r->scene_path);
    free(r->scene_name);
    free(r->kernel);
    free(r);
}

/* The meta line: scene, params, seed, steps (and, when the run recorded
 * them, threads, checkpoint_every and pause_on_nonfinite). */
static int
read_meta(rs_replay *r, const rs_json *v, struct rs_error *err)
{
    const char *type = rs_json_str(rs_json_get(v, "type"), NULL);
    const rs_json *params = rs_json_get(v, "params");
    long long seed, steps, ll;
    if (type == NULL || strcmp(type, "meta") != 0)
        return rs_error_set(err, RS_EFORMAT, "not the meta line");
    if (rs_json_typeof(params) != RS_JSON_OBJECT ||
        !rs_json_integer(rs_json_get(v, "seed"), &seed) || seed < 0 ||
        !rs_json_integer(rs_json_get(v, "steps"), &steps) || steps < -1 ||
        steps > MAX_STEP)
        return rs_error_set(err, RS_EFORMAT,
                            "the meta line lacks params, seed or steps");
    const char *scene = rs_json_str(rs_json_get(v, "scene"), NULL);
    r->scene_name = rs_xstrdup(scene != NULL ? scene : "run");
    const char *kernel = rs_json_str(rs_json_get(v, "kernel"), NULL);
    r->kernel = rs_xstrdup(kernel != NULL ? kernel : "");
    r->seed = (unsigned long)seed;
    r->steps = (long)steps;
    r->threads = 1;
    if (rs_json_integer(rs_json_get(v, "threads"), &ll) && ll >= 0 && ll <= 64)
        r->threads = (int)ll;
    if (rs_json_integer(rs_json_get(v, "checkpoint_every"), &ll) && ll >= 0 &&
        ll <= MAX_STEP)
        r->checkpoint_every = (long)ll;
    r->pause_on_nonfinite =
        rs_json_bool(rs_json_get(v, "pause_on_nonfinite"), false);
    int n = rs_json_len(params);
    r->sets = rs_xcalloc((size_t)n + 1, sizeof(char *));
    for (int i = 0; i < n; i++) {
        const char *key = rs_json_key(params, i, NULL);
        const rs_json *val = rs_json_at(params, i);
        size_t len = 0;
        const char *text;
        switch (rs_json_typeof(val)) {
        case RS_JSON_STRING:
            text = rs_json_str(val, &len);
            break;
        case RS_JSON_NUMBER:
        case RS_JSON_BOOL:
            text = rs_json_text(val, &len);
            break;
        default:
            continue; /* null, tables: not a param's value */
        }
        r->sets[r->nsets++] = rs_xasprintf("%s=%.*s", key, (int)len, text);
    }
    return RS_OK;
}

static void
add_action(rs_replay *r, const struct rs_replay_action *a)
{
    if (r->nact == r->capact) {
        r->capact = r->capact > 0 ? 2 * r->capact : 16;
        r->act = rs_xreallocarray(r->act, (size_t)r->capact, sizeof(*r->act));
    }
    r->act[r->nact++] = *a;
}

/* What a line that is no action says about the run's end: a done or quit
 * event ends it; a restart or resume starts it again. A resume goes on
 * from the newest checkpoint, so the actions recorded after that
 * checkpoint's event were undone (a run killed after them) and are
 * dropped, and so is the quit just before the resume; then the run runs
 * (a resume action at its step). *last gets the line's step. */
static void
follow_line(rs_replay *r, const char *line, size_t len, bool *ended, long *last)
{
    rs_json *v = rs_json_parse(line, len, NULL);
    long long step;
    if (rs_json_integer(rs_json_get(v, "step"), &step) && step >= 0 &&
        step <= MAX_STEP)
        *last = (long)step;
    const char *type = rs_json_str(rs_json_get(v, "type"), NULL);
    const char *kind = rs_json_str(rs_json_get(v, "kind"), NULL);
    const char *text = rs_json_str(rs_json_get(v, "text"), NULL);
    /* "resume" is also the event of un-pausing: --resume says whence */
    bool resumed = kind != NULL && strcmp(kind, "resume") == 0 &&
                   text != NULL && strncmp(text, "resume from ", 12) == 0;
    if (type != NULL && kind != NULL && strcmp(type, "event") == 0) {
        if (strcmp(kind, "done") == 0 || strcmp(kind, "quit") == 0) {
            *ended = true;
        } else if (strcmp(kind, "checkpoint") == 0) {
            r->ckpt_step = *last;
            r->ckpt_nact = r->nact;
        } else if (strcmp(kind, "restart") == 0) {
            *ended = false;
        } else if (resumed) {
            *ended = false;
            if (r->ckpt_step == *last && r->ckpt_nact < r->nact)
                r->nact = r->ckpt_nact;
            if (r->nact > 0 && r->act[r->nact - 1].cmd.kind == RS_CMD_QUIT)
                r->nact--;
            /* a resumed run runs, whether or not it was paused when its
             * checkpoint was written */
            struct rs_replay_action go = {.after_step = *last, .ok = true};
            go.cmd.kind = RS_CMD_RESUME;
            add_action(r, &go);
        }
    }
    rs_json_free(v);
}

static int
read_log(rs_replay *r, FILE *f, const char *path, struct rs_error *err)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    long lineno = 0, last = 0;
    bool ended = false;
    int rc = RS_OK;
    struct rs_replay_action *a = rs_xmalloc(sizeof(*a));
    while (rc == RS_OK && (got = getline(&line, &cap, f)) > 0) {
        lineno++;
        size_t len = (size_t)got;
        bool torn = line[len - 1] != '\n';
        if (!torn)
            len--;
        struct rs_error lerr = {0};
        bool is_action = false;
        if (lineno == 1) {
            rs_json *v = rs_json_parse(line, len, &lerr);
            rc = v != NULL ? read_meta(r, v, &lerr) : RS_EFORMAT;
            rs_json_free(v);
        } else if (len == 0) {
            continue;
        } else {
            rc = rs_replay_parse(line, len, a, &is_action, &lerr);
            if (rc != RS_OK && torn) {
                rc = RS_OK; /* the last line, torn by a crash */
                break;
            }
            if (rc == RS_OK && is_action)
                add_action(r, a);
            else if (rc == RS_OK)
                follow_line(r, line, len, &ended, &last);
        }
        if (rc != RS_OK)
            rs_error_set(err, rc, "%s:%ld: %s", path, lineno, lerr.msg);
    }
    free(a);
    free(line);
    if (rc == RS_OK && ferror(f))
        rc = rs_error_set(err, RS_EIO, "cannot read %s: %s", path,
                          strerror(errno));
    if (rc == RS_OK && lineno == 0)
        rc = rs_error_set(err, RS_EFORMAT, "%s: empty (no meta line)", path);
    if (rc == RS_OK && !ended && (r->steps < 0 || last < r->steps)) {
        /* it was killed: stop where its record stops (after any restart
         * it made, so as the last action) */
        snprintf(r->note, sizeof r->note,
                 "the run did not end cleanly (no done or quit): replaying "
                 "up to its last recorded step, %ld",
                 last);
        struct rs_replay_action q = {.after_step = last, .ok = true};
        q.cmd.kind = RS_CMD_QUIT;
        add_action(r, &q);
    }
    return rc;
}

rs_replay *
rs_replay_read(const char *dir, struct rs_error *err)
{
    rs_replay *r = rs_xcalloc(1, sizeof(*r));
    r->ckpt_step = -1;
    r->dir = rs_xstrdup(dir);
    size_t n = strlen(r->dir);
    while (n > 1 && r->dir[n - 1] == '/')
        r->dir[--n] = '\0';
    r->scene_path = rs_xasprintf("%s/scene.lua", r->dir);
    char *log = rs_xasprintf("%s/run.jsonl", r->dir);
    struct stat st;
    int rc = RS_OK;
    FILE *f = NULL;
    if (stat(r->scene_path, &st) != 0 || !S_ISREG(st.st_mode))
        rc = rs_error_set(err, RS_EIO,
                          "%s: no such file (%s is not a recorded run)",
                          r->scene_path, r->dir);
    else if ((f = fopen(log, "r")) == NULL)
        rc = rs_error_set(err, RS_EIO, "cannot read %s: %s", log,
                          strerror(errno));
    else
        rc = read_log(r, f, log, err);
    if (f != NULL)
        fclose(f);
    free(log);
    if (rc != RS_OK) {
        rs_replay_free(r);
        return NULL;
    }
    return r;
}

const char *
rs_replay_dir(const rs_replay *r)
{
    return r->dir;
}

const char *
rs_replay_scene_path(const rs_replay *r)
{
    return r->scene_path;
}

const char *
rs_replay_scene_name(const rs_replay *r)
{
    return r->scene_name;
}

const char *const *
rs_replay_sets(const rs_replay *r, int *n)
{
    *n = r->nsets;
    return (const char *const *)r->sets;
}

unsigned long
rs_replay_seed(const rs_replay *r)
{
    return r->seed;
}

long
rs_replay_steps(const rs_replay *r)
{
    return r->steps;
}

int
rs_replay_threads(const rs_replay *r)
{
    return r->threads;
}

long
rs_replay_checkpoint_every(const rs_replay *r)
{
    return r->checkpoint_every;
}

bool
rs_replay_pause_on_nonfinite(const rs_replay *r)
{
    return r->pause_on_nonfinite;
}

int
rs_replay_count(const rs_replay *r)
{
    return r->nact;
}

const struct rs_replay_action *
rs_replay_action(const rs_replay *r, int i)
{
    return i >= 0 && i < r->nact ? &r->act[i] : NULL;
}

const char *
rs_replay_kernel(const rs_replay *r)
{
    return r->kernel != NULL ? r->kernel : "";
}

const char *
rs_replay_note(const rs_replay *r)
{
    return r->note;
}

char *
rs_replay_new_dir(const rs_replay *r, struct rs_error *err)
{
    const char *slash = strrchr(r->dir, '/');
    char *parent = slash == NULL ? rs_xstrdup(".")
                   : slash == r->dir
                       ? rs_xstrdup("/")
                       : rs_xasprintf("%.*s", (int)(slash - r->dir), r->dir);
    char *stem = rs_xasprintf("%s.replay", slash != NULL ? slash + 1 : r->dir);
    char *d = rs_runlog_new_dir(parent, stem, err);
    if (d != NULL && slash == NULL) /* "./x.replay" -> "x.replay" */
        memmove(d, d + 2, strlen(d + 2) + 1);
    free(stem);
    free(parent);
    return d;
}

/* ---- the hand-over --------------------------------------------------- */

void
rs_replay_arm(const rs_replay *r, rs_session *s, bool headless)
{
    RS_ASSERT(!s->started && s->script == NULL);
    s->nscript = r->nact;
    s->script_next = 0;
    s->script_headless = headless;
    s->script = rs_xcalloc((size_t)r->nact + 1, sizeof(*s->script));
    if (r->nact > 0)
        memcpy(s->script, r->act, (size_t)r->nact * sizeof(*s->script));
}
