/* repscope - MIT licence, see COPYING.
 *
 * t_run_replay.c: exact replay (run/replay.h). The action line round trip
 * (every kind, awkward text) and its refusals; then a session with a fake
 * driver (a vector walked by random draws from the session's RNG, scaled
 * by the param lr; its console multiplies it) whose step callback pushes
 * commands onto the queue at fixed steps (so they are applied between
 * exactly known steps, with no timing involved): set, eval, pause, step,
 * toggles, speed, checkpoint, restart, quit. The run records them as
 * action lines; rs_replay_read reads them back and a second session armed
 * with them ends with a ckpt.bin byte-identical to the first, while a run
 * without them differs. Also: attach passes over action lines, and the
 * errors name the file and line.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/base.h"
#include "core/rng.h"
#include "run/attach.h"
#include "run/bus.h"
#include "run/ckpt.h"
#include "run/replay.h"
#include "run/session.h"
#include "tests/tap.h"

#define DIM 8

/* ---- the line --------------------------------------------------------- */

static bool
same_action(const struct rs_replay_action *a, const struct rs_replay_action *b)
{
    return a->after_step == b->after_step && a->ok == b->ok &&
           a->cmd.kind == b->cmd.kind && a->cmd.n == b->cmd.n &&
           a->cmd.x == b->cmd.x && strcmp(a->cmd.key, b->cmd.key) == 0 &&
           strcmp(a->cmd.text, b->cmd.text) == 0;
}

static void
test_line(void)
{
    struct rs_replay_action in[9];
    memset(in, 0, sizeof in);
    enum rs_cmd_kind kinds[9] = {
        RS_CMD_PAUSE, RS_CMD_RESUME,     RS_CMD_STEP,
        RS_CMD_SPEED, RS_CMD_SET,        RS_CMD_EVAL,
        RS_CMD_EVAL,  RS_CMD_CHECKPOINT, RS_CMD_QUIT,
    };
    for (int i = 0; i < 9; i++) {
        in[i].after_step = 1000L * i + 7;
        in[i].ok = i % 2 == 0;
        in[i].cmd.kind = kinds[i];
    }
    in[2].cmd.n = 25;
    in[3].cmd.x = 0.1 + 0.2; /* needs 17 digits */
    snprintf(in[4].cmd.key, sizeof in[4].cmd.key, "lr");
    snprintf(in[4].cmd.text, sizeof in[4].cmd.text, "3e-4");
    snprintf(in[5].cmd.text, sizeof in[5].cmd.text,
             "for i = 1, 3 do print(\"a\\tb\", i) end\n-- ünï \x01");
    /* the longest console line the queue carries */
    memset(in[6].cmd.text, 'x', sizeof in[6].cmd.text - 1);
    for (int i = 0; i < 9; i++) {
        char *line = rs_replay_format(&in[i]);
        struct rs_replay_action out;
        bool is_action = false;
        struct rs_error err = {0};
        int rc = rs_replay_parse(line, strlen(line), &out, &is_action, &err);
        tap_ok(rc == RS_OK && is_action && same_action(&in[i], &out) &&
                   strchr(line, '\n') == NULL &&
                   strstr(line, "\"step\":") == NULL,
               "round trip of action %d: %.80s%s", i, line,
               rc != RS_OK ? err.msg : "");
        free(line);
    }
    /* a toggle has no line of its own: it is recorded resolved */
    char *pause = rs_replay_format(&in[0]);
    tap_is_str(pause,
               "{\"type\":\"action\",\"after_step\":7,\"do\":\"pause\","
               "\"ok\":true}",
               "the pause line, exactly");
    free(pause);

    struct {
        const char *line, *msg;
    } bad[] = {
        {"{\"type\":\"action\",\"do\":\"pause\"}", "'after_step'"},
        {"{\"type\":\"action\",\"after_step\":-1,\"do\":\"pause\"}",
         "'after_step'"},
        {"{\"type\":\"action\",\"after_step\":3,\"do\":\"jump\"}",
         "unknown action 'jump'"},
        {"{\"type\":\"action\",\"after_step\":3,\"do\":\"step\",\"n\":0}",
         "'n' >= 1"},
        {"{\"type\":\"action\",\"after_step\":3,\"do\":\"set\",\"key\":"
         "\"lr\"}",
         "string 'value'"},
        {"{\"type\":\"action\",\"after_step\":3,\"do\":\"speed\",\"x\":-2}",
         "'x' >= 0"},
        {"{\"type\":\"action\",\"after_step\":3", "JSON"},
        /* bytes repscope never writes: its record of them would be
         * U+FFFD, another key (found by tests/fuzz/fuzz_rundir) */
        {"{\"type\":\"action\",\"after_step\":3,\"do\":\"set\",\"key\":"
         "\"l\xff\xfer\",\"value\":\"1\"}",
         "'key' is not valid UTF-8"},
        {"{\"type\":\"action\",\"after_step\":3,\"do\":\"eval\",\"code\":"
         "\"print(\xc0\xaf)\"}",
         "'code' is not valid UTF-8"},
    };
    for (size_t i = 0; i < RS_ARRAY_LEN(bad); i++) {
        struct rs_replay_action out;
        bool is_action = true;
        struct rs_error err = {0};
        int rc = rs_replay_parse(bad[i].line, strlen(bad[i].line), &out,
                                 &is_action, &err);
        tap_ok(rc == RS_EFORMAT && !is_action &&
                   strstr(err.msg, bad[i].msg) != NULL,
               "refused: %s (%s)", bad[i].line, err.msg);
    }
    const char *other = "{\"type\":\"event\",\"step\":3,\"kind\":\"pause\","
                        "\"text\":\"pause\"}";
    struct rs_replay_action out;
    bool is_action = true;
    tap_ok(rs_replay_parse(other, strlen(other), &out, &is_action, NULL) ==
                   RS_OK &&
               !is_action,
           "an event line is no action");
}

/* ---- the fake driver ------------------------------------------------- */

struct push {
    long at;  /* pushed from inside step `at` */
    int pass; /* of setup number pass (a restart sets up again) */
    struct rs_cmd cmd;
    bool done;
};

struct fake {
    double w[DIM];
    double lr;
    struct push *plan;
    int nplan, pass;
};

static int
fake_setup(void *ud, rs_session *s, struct rs_error *err)
{
    (void)err;
    struct fake *f = ud;
    struct rs_rng *rng = rs_session_rng(s);
    f->pass++;
    for (int i = 0; i < DIM; i++)
        f->w[i] = (double)rs_rng_normal(rng);
    return RS_OK;
}

static int
fake_step(void *ud, rs_session *s, long step, struct rs_error *err)
{
    (void)err;
    struct fake *f = ud;
    struct rs_rng *rng = rs_session_rng(s);
    double sum = 0;
    for (int i = 0; i < DIM; i++) {
        f->w[i] = 0.99 * f->w[i] + f->lr * (double)rs_rng_normal(rng);
        sum += f->w[i] * f->w[i];
    }
    rs_session_log(s, "train/loss", sum);
    for (int i = 0; i < f->nplan; i++) {
        struct push *p = &f->plan[i];
        if (p->at == step && p->pass == f->pass && !p->done) {
            p->done = true;
            RS_ASSERT(rs_cmdq_push(rs_session_cmdq(s), &p->cmd) == RS_OK);
        }
    }
    return RS_OK;
}

/* Console: "scale X" multiplies the vector by X. */
static int
fake_eval(void *ud, rs_session *s, const char *code, struct rs_error *err)
{
    (void)s;
    struct fake *f = ud;
    double x;
    if (sscanf(code, "scale %lf", &x) != 1)
        return rs_error_set(err, RS_EINVAL, "console:1: what is '%s'?", code);
    for (int i = 0; i < DIM; i++)
        f->w[i] *= x;
    return RS_OK;
}

static int
fake_set(void *ud, rs_session *s, const char *key, const char *value,
         struct rs_error *err)
{
    (void)s;
    struct fake *f = ud;
    char *end;
    double v = strtod(value, &end);
    if (strcmp(key, "lr") != 0 || *end != '\0' || end == value)
        return rs_error_set(err, RS_EINVAL, "bad param %s=%s", key, value);
    f->lr = v;
    return RS_OK;
}

static char *
fake_params(void *ud)
{
    struct fake *f = ud;
    return rs_xasprintf("{\"lr\":%.17g}", f->lr);
}

static int
fake_save(void *ud, rs_session *s, rs_ckpt *ck, struct rs_error *err)
{
    (void)s;
    (void)err;
    struct fake *f = ud;
    float w[DIM];
    for (int i = 0; i < DIM; i++)
        w[i] = (float)f->w[i];
    rs_ckpt_put_floats(ck, "fake/w", w, DIM);
    rs_ckpt_put_u64s(ck, "fake/w64", (const uint64_t *)(const void *)f->w, DIM);
    return RS_OK;
}

static struct rs_session_driver
fake_driver(struct fake *f)
{
    return (struct rs_session_driver){
        .ud = f,
        .setup = fake_setup,
        .step = fake_step,
        .eval = fake_eval,
        .set_param = fake_set,
        .params_json = fake_params,
        .save = fake_save,
    };
}

/* Run a session of the fake into dir: steps, seed; armed with r when not
 * NULL. Returns the final state. */
static enum rs_session_state
run(struct fake *f, const char *dir, const char *scene, long steps,
    const rs_replay *r)
{
    struct rs_error err = {0};
    struct rs_session_config cfg = {
        .scene_path = scene,
        .scene_name = "fake",
        .steps = steps,
        .seed = 7,
        .out_dir = dir,
        .threads = 1,
    };
    struct rs_session_driver drv = fake_driver(f);
    rs_session *s = rs_session_new(&cfg, &drv, &err);
    if (s == NULL)
        tap_bail("session: %s", err.msg);
    if (r != NULL)
        rs_replay_arm(r, s, true);
    if (rs_session_start(s, &err) != RS_OK)
        tap_bail("start: %s", err.msg);
    enum rs_session_state st = rs_session_join(s);
    rs_session_free(s);
    return st;
}

static char *
slurp(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *p = rs_xmalloc((size_t)len + 1);
    *n = fread(p, 1, (size_t)len, fp);
    p[*n] = '\0';
    fclose(fp);
    return p;
}

/* Whether DIR1/ckpt.bin and DIR2/ckpt.bin are the same bytes. */
static bool
same_ckpt(const char *d1, const char *d2)
{
    char *p1 = rs_xasprintf("%s/ckpt.bin", d1);
    char *p2 = rs_xasprintf("%s/ckpt.bin", d2);
    size_t n1 = 0, n2 = 0;
    char *a = slurp(p1, &n1), *b = slurp(p2, &n2);
    bool same = a != NULL && b != NULL && n1 == n2 && memcmp(a, b, n1) == 0;
    free(a);
    free(b);
    free(p1);
    free(p2);
    return same;
}

static long
ckpt_step(const char *dir)
{
    char *p = rs_xasprintf("%s/ckpt.bin", dir);
    rs_ckpt *ck = rs_ckpt_read(p, NULL);
    free(p);
    const uint64_t *v =
        ck != NULL ? rs_ckpt_u64s(ck, "session/step", NULL) : NULL;
    long step = v != NULL ? (long)v[0] : -1;
    rs_ckpt_free(ck);
    return step;
}

static struct rs_cmd
mk(enum rs_cmd_kind kind, long n, double x, const char *key, const char *text)
{
    struct rs_cmd c = {.kind = kind, .n = n, .x = x};
    snprintf(c.key, sizeof c.key, "%s", key);
    snprintf(c.text, sizeof c.text, "%s", text);
    return c;
}

static void
write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    if (fp == NULL)
        tap_bail("cannot write %s", path);
    fputs(text, fp);
    fclose(fp);
}

static void
test_session(void)
{
    char *tmp = tap_tmpdir("t_run_replay");
    char *scene = rs_xasprintf("%s/fake.lua", tmp);
    write_file(scene, "-- the fake scene\n");
    char *d1 = rs_xasprintf("%s/orig", tmp);
    char *d2 = rs_xasprintf("%s/orig.replay", tmp);
    char *d3 = rs_xasprintf("%s/plain", tmp);
    char *d4 = rs_xasprintf("%s/orig.replay-2", tmp);
    /* pass 2 comes after the restart (steps from 0 again) */
    struct push plan[] = {
        {5, 1, mk(RS_CMD_SET, 0, 0, "lr", "0.25"), false},
        {5, 1, mk(RS_CMD_SET, 0, 0, "lr", "oops"), false}, /* fails */
        {9, 1, mk(RS_CMD_EVAL, 0, 0, "", "scale 0.5"), false},
        {9, 1, mk(RS_CMD_EVAL, 0, 0, "", "nonsense"), false}, /* fails */
        {20, 1, mk(RS_CMD_PAUSE, 0, 0, "", ""), false},
        {20, 1, mk(RS_CMD_STEP, 3, 0, "", ""), false},
        {23, 1, mk(RS_CMD_RESUME, 0, 0, "", ""), false},
        {30, 1, mk(RS_CMD_TOGGLE, 0, 0, "", ""), false},
        {30, 1, mk(RS_CMD_TOGGLE, 0, 0, "", ""), false},
        {31, 1, mk(RS_CMD_SPEED, 0, 1e6, "", ""), false},
        {40, 1, mk(RS_CMD_CHECKPOINT, 0, 0, "", ""), false},
        {45, 1, mk(RS_CMD_RESTART, 0, 0, "", ""), false},
        {12, 2, mk(RS_CMD_SET, 0, 0, "lr", "0.125"), false},
        {60, 2, mk(RS_CMD_QUIT, 0, 0, "", ""), false},
    };
    struct fake f1 = {.lr = 0.1, .plan = plan, .nplan = RS_ARRAY_LEN(plan)};
    enum rs_session_state st;
    st = run(&f1, d1, scene, 100, NULL);
    tap_ok(st == RS_SESSION_DONE && f1.pass == 2,
           "the recorded run ends DONE (after a restart)");

    size_t n = 0;
    char *log1path = rs_xasprintf("%s/run.jsonl", d1);
    char *log = slurp(log1path, &n);
    tap_ok(log != NULL &&
               strstr(log, "{\"type\":\"action\",\"after_step\":5,\"do\":"
                           "\"set\",\"key\":\"lr\",\"value\":\"0.25\","
                           "\"ok\":true}") != NULL &&
               strstr(log, "\"after_step\":5,\"do\":\"set\",\"key\":\"lr\","
                           "\"value\":\"oops\",\"ok\":false}") != NULL,
           "a set is recorded after step 5 with its text; a failed one "
           "with ok false");
    tap_ok(log != NULL &&
               strstr(log, "\"after_step\":9,\"do\":\"eval\",\"code\":"
                           "\"scale 0.5\",\"ok\":true}") != NULL,
           "console code is recorded with the step");
    tap_ok(log != NULL &&
               strstr(log, "\"after_step\":30,\"do\":\"pause\"") != NULL &&
               strstr(log, "\"after_step\":30,\"do\":\"resume\"") != NULL &&
               strstr(log, "\"after_step\":20,\"do\":\"step\",\"n\":3") !=
                   NULL &&
               strstr(log, "\"after_step\":23,\"do\":\"resume\"") != NULL,
           "toggles are recorded as the pause and resume they were; step n");
    tap_ok(
        log != NULL &&
            strstr(log, "\"after_step\":31,\"do\":\"speed\",\"x\":1000000") !=
                NULL &&
            strstr(log, "\"after_step\":40,\"do\":\"checkpoint\"") != NULL &&
            strstr(log, "\"after_step\":45,\"do\":\"restart\"") != NULL &&
            strstr(log, "\"after_step\":12,\"do\":\"set\"") != NULL &&
            strstr(log, "\"after_step\":60,\"do\":\"quit\"") != NULL,
        "speed, checkpoint, restart and quit are recorded");
    free(log);
    tap_is_int(ckpt_step(d1), 60, "the recorded run stopped at the quit");

    struct rs_error err = {0};
    rs_replay *r = rs_replay_read(d1, &err);
    tap_ok(r != NULL, "rs_replay_read %s", r == NULL ? err.msg : "");
    if (r == NULL)
        return;
    tap_is_int(rs_replay_count(r), 14, "14 actions read");
    tap_is_int(rs_replay_steps(r), 100, "the steps");
    tap_is_int((long)rs_replay_seed(r), 7, "the seed");
    int ns = 0;
    const char *const *sets = rs_replay_sets(r, &ns);
    tap_ok(ns == 1 && strcmp(sets[0], "lr=0.10000000000000001") == 0,
           "the params as overrides (%s)", ns > 0 ? sets[0] : "none");
    tap_is_str(rs_replay_note(r), "", "no note for a run that ended");

    /* the replay: the params from the record, no plan */
    struct fake f2 = {.lr = 0};
    tap_ok(fake_set(&f2, NULL, "lr", sets[0] + 3, NULL) == RS_OK, "set lr");
    char *nd = rs_replay_new_dir(r, &err);
    tap_is_str(nd, d2, "the default replay directory");
    st = run(&f2, nd, scene, rs_replay_steps(r), r);
    tap_ok(st == RS_SESSION_DONE, "the replay ends DONE");
    tap_is_int(ckpt_step(d2), 60, "the replay stopped at the recorded quit");
    tap_ok(same_ckpt(d1, d2), "ckpt.bin of the replay equals the "
                              "original's, byte for byte");
    char *nd2 = rs_replay_new_dir(r, &err);
    tap_is_str(nd2, d4, "a second replay goes to DIR.replay-2");
    free(nd2);
    free(nd);

    /* the same run without its actions differs: the test can fail */
    struct fake f3 = {.lr = 0.1};
    run(&f3, d3, scene, 60, NULL);
    tap_ok(!same_ckpt(d1, d3), "a run of the same steps without the "
                               "actions ends elsewhere");

    /* attach passes over the action lines */
    rs_attach *a = rs_attach_new(d1, &err);
    bool read = a != NULL && rs_attach_read_all(a, &err) == RS_OK;
    char names[16][RS_BUS_NAME_MAX];
    int nn = read ? rs_bus_series_names(rs_attach_bus(a), names, 16) : -1;
    bool only_loss = nn >= 1;
    for (int i = 0; i < nn && i < 16; i++)
        if (strcmp(names[i], "train/loss") != 0 &&
            strncmp(names[i], "time/", 5) != 0)
            only_loss = false;
    struct rs_bus_status bst = {0};
    if (read)
        rs_bus_status(rs_attach_bus(a), &bst);
    tap_ok(read && only_loss && strstr(bst.message, "malformed") == NULL,
           "attach reads the run: no series from action lines (%d series), "
           "nothing malformed ('%s')",
           nn, bst.message);
    rs_attach_free(a);
    rs_replay_free(r);

    /* errors name the file and line */
    char *bad = rs_xasprintf("%s/bad", tmp);
    char *badlog = rs_xasprintf("%s/run.jsonl", bad);
    char *badscene = rs_xasprintf("%s/scene.lua", bad);
    mkdir(bad, 0777);
    write_file(badlog, "{\"type\":\"meta\",\"params\":{},\"seed\":1,"
                       "\"steps\":10}\n{\"step\":1,\"x\":1}\n"
                       "{\"type\":\"action\",\"after_step\":1,\"do\":"
                       "\"fly\"}\n");
    r = rs_replay_read(bad, &err);
    tap_ok(r == NULL && strstr(err.msg, "scene.lua: no such file") != NULL,
           "a run without scene.lua: %s", err.msg);
    write_file(badscene, "-- scene\n");
    r = rs_replay_read(bad, &err);
    char *want = rs_xasprintf("%s:3: unknown action 'fly'", badlog);
    tap_ok(r == NULL && strstr(err.msg, want) != NULL,
           "a corrupt action line: %s", err.msg);
    free(want);
    write_file(badlog, "{\"step\":1,\"x\":1}\n");
    r = rs_replay_read(bad, &err);
    want = rs_xasprintf("%s:1: not the meta line", badlog);
    tap_ok(r == NULL && strstr(err.msg, want) != NULL,
           "a first line that is no meta line: %s", err.msg);
    free(want);
    /* a killed run: replayed up to its last step, then it ends; a torn
     * last line is passed over */
    write_file(badlog, "{\"type\":\"meta\",\"params\":{},\"seed\":1,"
                       "\"steps\":10}\n{\"step\":1,\"x\":1}\n"
                       "{\"type\":\"action\",\"after_step\":1,\"do\":"
                       "\"pause\",\"ok\":true}\n{\"step\":4,\"x\":1}\n"
                       "{\"step\":5,\"x");
    r = rs_replay_read(bad, &err);
    const struct rs_replay_action *q =
        r != NULL ? rs_replay_action(r, rs_replay_count(r) - 1) : NULL;
    tap_ok(r != NULL && rs_replay_count(r) == 2 && q->cmd.kind == RS_CMD_QUIT &&
               q->after_step == 4 &&
               strstr(rs_replay_note(r), "did not end cleanly") != NULL,
           "a killed run ends at its last recorded step (%s)",
           r != NULL ? rs_replay_note(r) : err.msg);
    rs_replay_free(r);
    /* killed after the checkpoint at step 4 and a set, then resumed from
     * it: the set is undone; the un-pausing "resume" (no "from") is not
     * a --resume; the resumed run runs to its done */
#define EV(step, kind, text)                                                   \
    "{\"type\":\"event\",\"step\":" #step ",\"kind\":\"" kind               \
    "\",\"text\":\"" text "\"}\n"
#define ACT(step, rest)                                                        \
    "{\"type\":\"action\",\"after_step\":" #step ",\"do\":" rest            \
    ",\"ok\":true}\n"
    write_file(badlog,
               "{\"type\":\"meta\",\"params\":{},\"seed\":1,\"steps\":10}\n"
               ACT(2, "\"pause\"") EV(2, "pause", "pause")
               ACT(2, "\"resume\"") EV(2, "resume", "resume")
               EV(4, "checkpoint", "checkpoint at step 4")
               ACT(5, "\"set\",\"key\":\"lr\",\"value\":\"1\"")
               EV(4, "resume", "resume from d/ckpt.bin at step 4")
               "{\"step\":10,\"x\":1}\n" EV(10, "done", "done"));
#undef EV
#undef ACT
    r = rs_replay_read(bad, &err);
    int nk = r != NULL ? rs_replay_count(r) : -1;
    const struct rs_replay_action *last =
        nk > 0 ? rs_replay_action(r, nk - 1) : NULL;
    tap_ok(nk == 3 && rs_replay_action(r, 1)->cmd.kind == RS_CMD_RESUME &&
               last->cmd.kind == RS_CMD_RESUME && last->after_step == 4 &&
               rs_replay_note(r)[0] == '\0',
           "resumed from the checkpoint at 4: pause, resume, then the "
           "--resume at 4; the set after the checkpoint dropped (%d)",
           nk);
    rs_replay_free(r);
    free(bad);
    free(badlog);
    free(badscene);
    free(log1path);
    free(d1);
    free(d2);
    free(d3);
    free(d4);
    free(scene);
    free(tmp);
}

/* RS_CMD_PAUSE_AT (a tour page's at_step): the worker pauses after that
 * very step; one for a step already passed does nothing, 0 cancels; the
 * action is recorded and a replay pauses at the same step. */
static void
test_pause_at(void)
{
    char *tmp = tap_tmpdir("t_run_replay_pause_at");
    char *scene = rs_xasprintf("%s/fake.lua", tmp);
    write_file(scene, "-- the fake scene\n");
    char *d1 = rs_xasprintf("%s/orig", tmp);
    char *d2 = rs_xasprintf("%s/orig.replay", tmp);
    struct push plan[] = {
        {2, 1, mk(RS_CMD_PAUSE_AT, 8, 0, "", ""), false},
        {8, 1, mk(RS_CMD_RESUME, 0, 0, "", ""), false}, /* after the pause */
        {10, 1, mk(RS_CMD_PAUSE_AT, 5, 0, "", ""), false}, /* passed */
        {12, 1, mk(RS_CMD_PAUSE_AT, 15, 0, "", ""), false},
        {13, 1, mk(RS_CMD_PAUSE_AT, 0, 0, "", ""), false}, /* cancels */
    };
    struct fake f1 = {.lr = 0.1, .plan = plan, .nplan = RS_ARRAY_LEN(plan)};
    enum rs_session_state st = run(&f1, d1, scene, 20, NULL);
    tap_ok(st == RS_SESSION_DONE, "the run ends DONE at 20 (no pause left)");
    size_t n = 0;
    char *path = rs_xasprintf("%s/run.jsonl", d1);
    char *log = slurp(path, &n);
    tap_ok(log != NULL &&
               strstr(log, "{\"type\":\"event\",\"step\":8,\"kind\":"
                           "\"pause\",\"text\":\"pause at step 8\"}") &&
               strstr(log, "\"after_step\":2,\"do\":\"pause_at\",\"n\":8,"
                           "\"ok\":true}") &&
               strstr(log, "\"after_step\":8,\"do\":\"resume\""),
           "paused after step 8 exactly, the action recorded");
    tap_ok(log != NULL && strstr(log, "pause at step 10") == NULL &&
               strstr(log, "pause at step 15") == NULL,
           "a step already passed and a cancelled one do not pause");
    free(log);
    struct rs_error err = {0};
    rs_replay *r = rs_replay_read(d1, &err);
    tap_ok(r != NULL, "read back %s", r == NULL ? err.msg : "");
    if (r != NULL) {
        struct fake f2 = {.lr = 0.1};
        st = run(&f2, d2, scene, rs_replay_steps(r), r);
        char *p2 = rs_xasprintf("%s/run.jsonl", d2);
        log = slurp(p2, &n);
        tap_ok(st == RS_SESSION_DONE && log != NULL &&
                   strstr(log, "\"step\":8,\"kind\":\"pause\",\"text\":"
                               "\"pause at step 8\"") != NULL &&
                   same_ckpt(d1, d2),
               "the replay pauses after step 8 too, and ends the same");
        free(log);
        free(p2);
    }
    rs_replay_free(r);
    free(path);
    free(d1);
    free(d2);
    free(scene);
    free(tmp);
}

int
main(void)
{
    tap_plan_lazy();
    test_line();
    test_session();
    test_pause_at();
    return tap_done();
}
