/* repscope - MIT licence, see COPYING.
 *
 * t_run_session.c: the session with a fake C driver, a 2-layer MLP
 * (core ops + Adam) regressing a fixed function of random inputs drawn
 * from rs_session_rng. Checks: the run record (meta line, one record per
 * step, probes every N steps, matrices, events, the scene copy), commands
 * (step N, pause, resume, set, eval, checkpoint, restart, quit) observed
 * through the bus, probe timing in the status, non-finite values and
 * scene errors stopping the run with the documented message (or pausing
 * it), resume giving weights bit-identical to an uninterrupted run, the
 * final checkpoint on quit, refusals of bad directories and checkpoints,
 * and the headless loop (progress output, exit codes, SIGTERM).
 * Waits on the bus are bounded (20 s) so a broken session fails instead
 * of hanging; no result depends on timing.
 */
#include "config.h"

#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base.h"
#include "core/graph.h"
#include "core/init.h"
#include "core/ops.h"
#include "core/optim.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "run/ckpt.h"
#include "run/headless.h"
#include "run/json.h"
#include "run/runlog.h"
#include "run/session.h"
#include "tests/tap.h"

#define IN 8
#define HID 16
#define OUT 4
#define BATCH 16
#define MAXSTEPS 200

/* ---- the fake driver ---------------------------------------------------- */

struct fake {
    /* behaviour */
    long nan_at, fail_at, enonfinite_at, signal_at, spin_at;
    bool fail_setup;
    int probe_every;
    float lr;
    /* worker state */
    rs_graph *g;
    rs_tensor *p[4]; /* w1 (HID, IN), b1 (HID), w2 (OUT, HID), b2 (OUT) */
    rs_optim *opt;
    float x[BATCH * IN], y[BATCH * OUT];
    /* observations, read by the test after join */
    double loss[MAXSTEPS + 1];
    float final[HID * IN + HID + OUT * HID + OUT];
    bool have_final;
    int setups, teardowns, loads, evals, frees;
    long probe_runs;
    char last_eval[64];
};

static int
fake_setup(void *ud, rs_session *s, struct rs_error *err)
{
    struct fake *f = ud;
    f->setups++;
    if (f->fail_setup)
        return rs_error_set(err, RS_EINVAL, "scene.lua:3: no field 'widht'");
    struct rs_rng *rng = rs_session_rng(s);
    int shapes[4][2] = {{HID, IN}, {HID, 1}, {OUT, HID}, {OUT, 1}};
    for (int i = 0; i < 4; i++) {
        int nd = shapes[i][1] == 1 ? 1 : 2;
        f->p[i] = rs_tensor_new_param(nd, shapes[i], err);
        if (f->p[i] == NULL)
            return err->code;
    }
    rs_init_fill(f->p[0], RS_INIT_TORCH_DEFAULT, IN, HID, 1, rng);
    rs_init_fill(f->p[1], RS_INIT_TORCH_DEFAULT, IN, HID, 1, rng);
    rs_init_fill(f->p[2], RS_INIT_TORCH_DEFAULT, HID, OUT, 1, rng);
    rs_init_fill(f->p[3], RS_INIT_TORCH_DEFAULT, HID, OUT, 1, rng);
    struct rs_optim_config oc;
    rs_optim_config_default(&oc, RS_OPTIM_ADAM);
    f->opt = rs_optim_new(&oc, f->p, 4, err);
    f->g = rs_graph_new();
    return f->opt != NULL ? RS_OK : err->code;
}

/* A runaway computation (a Lua loop): spins until the session says stop
 * (20 s at most, so a broken session fails the test instead of hanging). */
static int
spin(rs_session *s, struct rs_error *err)
{
    double t0 = rs_time_now();
    while (!rs_session_interrupted(s) && rs_time_now() - t0 < 20)
        continue;
    return rs_error_set(err, RS_ECANCELED, "interrupted");
}

static int
fake_step(void *ud, rs_session *s, long step, struct rs_error *err)
{
    struct fake *f = ud;
    if (step == f->spin_at) {
        rs_session_print(s, "spinning in step %ld", step);
        return spin(s, err);
    }
    if (step == f->fail_at)
        return rs_error_set(err, RS_EINVAL, "scene.lua:12: boom");
    if (step == f->signal_at)
        kill(getpid(), SIGTERM);
    struct rs_rng *rng = rs_session_rng(s);
    for (int b = 0; b < BATCH; b++) {
        float sum = 0;
        for (int i = 0; i < IN; i++) {
            float v = rs_rng_normal(rng);
            f->x[b * IN + i] = v;
            sum += v * (float)(i + 1) * 0.1f;
        }
        for (int o = 0; o < OUT; o++)
            f->y[b * OUT + o] = sinf(sum + (float)o);
    }
    rs_graph *g = f->g;
    rs_tensor *x = rs_graph_input(g, 2, (int[]){BATCH, IN}, f->x);
    rs_tensor *t = rs_graph_input(g, 2, (int[]){BATCH, OUT}, f->y);
    rs_tensor *h = rs_op_relu(g, rs_op_linear(g, x, f->p[0], f->p[1]));
    rs_tensor *yh = rs_op_linear(g, h, f->p[2], f->p[3]);
    rs_tensor *loss = rs_op_mse(g, yh, t);
    int rc = rs_graph_backward(g, loss, err);
    if (rc != RS_OK)
        return rc;
    double lv = loss->data[0];
    if (step == f->enonfinite_at) {
        rs_graph_reset(g);
        return rs_error_set(err, RS_ENONFINITE,
                            "non-finite gradient in w1 (element 3)");
    }
    rc = rs_optim_step(f->opt, f->lr, NULL, err);
    rs_optim_zero_grad(f->opt);
    rs_graph_reset(g);
    if (rc != RS_OK)
        return rc;
    if (step == f->nan_at)
        lv = NAN;
    if (step <= MAXSTEPS)
        f->loss[step] = lv;
    rs_session_log(s, "train/loss", lv);
    return RS_OK;
}

static int
fake_probe(void *ud, rs_session *s, long step, struct rs_error *err)
{
    struct fake *f = ud;
    (void)err;
    if (f->probe_every <= 0 || step % f->probe_every != 0)
        return RS_OK;
    f->probe_runs++;
    double n2 = 0;
    for (int i = 0; i < 4; i++)
        for (size_t k = 0; k < f->p[i]->numel; k++)
            n2 += (double)f->p[i]->data[k] * (double)f->p[i]->data[k];
    rs_session_log(s, "norm/weight", sqrt(n2));
    const char *rows[HID];
    char names[HID][8];
    for (int i = 0; i < HID; i++) {
        snprintf(names[i], sizeof(names[i]), "u%d", i);
        rows[i] = names[i];
    }
    rs_session_matrix(s, "w/w1", HID, IN, f->p[0]->data, rows, NULL);
    return RS_OK;
}

static int
fake_eval(void *ud, rs_session *s, const char *code, struct rs_error *err)
{
    struct fake *f = ud;
    f->evals++;
    snprintf(f->last_eval, sizeof(f->last_eval), "%s", code);
    if (strcmp(code, "error") == 0)
        return rs_error_set(err, RS_EINVAL, "console:1: bad");
    if (strcmp(code, "loop") == 0) {
        rs_session_print(s, "looping");
        return spin(s, err);
    }
    rs_session_print(s, "eval: %s\nsecond line", code);
    return RS_OK;
}

static int
fake_set(void *ud, rs_session *s, const char *key, const char *value,
         struct rs_error *err)
{
    struct fake *f = ud;
    (void)s;
    if (strcmp(key, "lr") != 0)
        return rs_error_set(err, RS_EINVAL, "unknown param '%s'", key);
    f->lr = strtof(value, NULL);
    return RS_OK;
}

static char *
fake_params(void *ud)
{
    struct fake *f = ud;
    return rs_xasprintf(
        "{\"lr\":%.9g,\"hidden\":%d,\"name\":\"fake \\\"mlp\\\"\"}",
        (double)f->lr, HID);
}

static int
fake_save(void *ud, rs_session *s, rs_ckpt *ck, struct rs_error *err)
{
    struct fake *f = ud;
    (void)s;
    (void)err;
    for (int i = 0; i < 4; i++) {
        char name[32];
        snprintf(name, sizeof(name), "model/p%d", i);
        rs_ckpt_put_floats(ck, name, f->p[i]->data, f->p[i]->numel);
        for (int w = 0; w < 2; w++) {
            snprintf(name, sizeof(name), "optim/%c%d", w ? 'v' : 'm', i);
            rs_ckpt_put_floats(ck, name, rs_optim_state(f->opt, i, w),
                               f->p[i]->numel);
        }
    }
    uint64_t st = (uint64_t)rs_optim_steps(f->opt);
    rs_ckpt_put_u64s(ck, "optim/steps", &st, 1);
    return RS_OK;
}

static int
fake_load(void *ud, rs_session *s, const rs_ckpt *ck, struct rs_error *err)
{
    struct fake *f = ud;
    (void)s;
    f->loads++;
    for (int i = 0; i < 4; i++) {
        char name[32];
        size_t n = 0;
        snprintf(name, sizeof(name), "model/p%d", i);
        const float *d = rs_ckpt_floats(ck, name, &n);
        if (d == NULL || n != f->p[i]->numel)
            return rs_error_set(err, RS_EFORMAT, "%s missing", name);
        memcpy(f->p[i]->data, d, n * sizeof(float));
        for (int w = 0; w < 2; w++) {
            snprintf(name, sizeof(name), "optim/%c%d", w ? 'v' : 'm', i);
            d = rs_ckpt_floats(ck, name, &n);
            if (d == NULL || n != f->p[i]->numel)
                return rs_error_set(err, RS_EFORMAT, "%s missing", name);
            memcpy(rs_optim_state(f->opt, i, w), d, n * sizeof(float));
        }
    }
    const uint64_t *st = rs_ckpt_u64s(ck, "optim/steps", NULL);
    if (st == NULL)
        return rs_error_set(err, RS_EFORMAT, "optim/steps missing");
    rs_optim_set_steps(f->opt, (long)st[0]);
    return RS_OK;
}

static void
fake_teardown(void *ud)
{
    struct fake *f = ud;
    f->teardowns++;
    size_t off = 0;
    for (int i = 0; i < 4; i++) {
        memcpy(f->final + off, f->p[i]->data, f->p[i]->numel * sizeof(float));
        off += f->p[i]->numel;
    }
    f->have_final = true;
    rs_optim_free(f->opt);
    rs_graph_free(f->g);
    for (int i = 0; i < 4; i++)
        rs_tensor_release(f->p[i]);
    f->opt = NULL;
    f->g = NULL;
}

static void
fake_free(void *ud)
{
    struct fake *f = ud;
    f->frees++;
}

static size_t
fake_mem(void *ud)
{
    (void)ud;
    return 12345;
}

static struct rs_session_driver
fake_driver(struct fake *f)
{
    if (f->lr == 0)
        f->lr = 0.01f;
    return (struct rs_session_driver){
        .ud = f,
        .setup = fake_setup,
        .step = fake_step,
        .probe = fake_probe,
        .eval = fake_eval,
        .set_param = fake_set,
        .params_json = fake_params,
        .save = fake_save,
        .load = fake_load,
        .teardown = fake_teardown,
        .free = fake_free,
        .mem_bytes = fake_mem,
    };
}

/* ---- helpers ------------------------------------------------------------ */

static char *tmp;
static char *dirs[64]; /* out_dir strings, freed at exit */
static int ndirs;

static struct rs_session_config
config(const char *sub, long steps)
{
    RS_ASSERT(ndirs < 64);
    char *d = rs_xasprintf("%s/%s", tmp, sub);
    dirs[ndirs++] = d;
    return (struct rs_session_config){
        .scene_name = "fake",
        .steps = steps,
        .seed = 42,
        .out_dir = d,
        .threads = 1,
    };
}

static rs_session *
start(const struct rs_session_config *cfg, struct fake *f)
{
    struct rs_session_driver drv = fake_driver(f);
    struct rs_error err = {0};
    rs_session *s = rs_session_new(cfg, &drv, &err);
    if (s == NULL)
        tap_bail("rs_session_new: %s", err.msg);
    if (rs_session_start(s, &err) != RS_OK)
        tap_bail("rs_session_start: %s", err.msg);
    return s;
}

typedef bool (*status_pred)(const struct rs_bus_status *st, long arg);

/* Wait (at most 20 s) until pred holds for the published status. */
static bool
wait_status(rs_session *s, status_pred pred, long arg,
            struct rs_bus_status *out)
{
    rs_bus *b = rs_session_bus(s);
    struct pollfd p = {.fd = rs_bus_wake_fd(b), .events = POLLIN};
    double t0 = rs_time_now();
    for (;;) {
        rs_bus_status(b, out);
        if (pred(out, arg))
            return true;
        if (rs_time_now() - t0 > 20)
            return false;
        poll(&p, 1, 100);
        rs_bus_drain_wake(b);
    }
}

static bool
paused_at(const struct rs_bus_status *st, long step)
{
    return st->state == RS_SESSION_PAUSED && st->step == step;
}

static bool
is_paused(const struct rs_bus_status *st, long arg)
{
    (void)arg;
    return st->state == RS_SESSION_PAUSED;
}

static bool
past(const struct rs_bus_status *st, long step)
{
    return st->step >= step;
}

/* Wait for a console line containing text (lines after *cursor). */
static bool
wait_line(rs_session *s, const char *text, uint64_t *cursor)
{
    rs_bus *b = rs_session_bus(s);
    static char lines[16][RS_BUS_LINE_MAX];
    double t0 = rs_time_now();
    while (rs_time_now() - t0 < 20) {
        uint64_t last;
        int n = rs_bus_lines(b, *cursor, lines, 16, &last);
        for (int i = 0; i < n; i++) {
            if (strstr(lines[i], text) != NULL) {
                /* Sequence numbers are contiguous: resume after line i. */
                *cursor = last - (uint64_t)(n - 1 - i);
                return true;
            }
        }
        *cursor = last;
        struct pollfd p = {.fd = rs_bus_wake_fd(b), .events = POLLIN};
        poll(&p, 1, 100);
        rs_bus_drain_wake(b);
    }
    return false;
}

static void
cmd(rs_session *s, enum rs_cmd_kind kind, long n, const char *key,
    const char *text)
{
    struct rs_cmd c;
    memset(&c, 0, sizeof(c));
    c.kind = kind;
    c.n = n;
    if (key != NULL)
        snprintf(c.key, sizeof(c.key), "%s", key);
    if (text != NULL)
        snprintf(c.text, sizeof(c.text), "%s", text);
    if (rs_cmdq_push(rs_session_cmdq(s), &c) != RS_OK)
        tap_bail("command queue refused a command");
}

static char *
slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = rs_xmalloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    buf[got] = '\0';
    fclose(f);
    return buf;
}

/* One JSON line as key -> value text (rs_json_object_each, tested against
 * a strict parser in t_run_runlog). */
#define OBJ_MAX 24
struct obj {
    int n;
    char k[OBJ_MAX][96];
    char v[OBJ_MAX][512];
};

static int
obj_add(const char *key, const char *value, bool is_string, void *ud)
{
    struct obj *o = ud;
    (void)is_string;
    if (o->n < OBJ_MAX) {
        snprintf(o->k[o->n], sizeof(o->k[0]), "%s", key);
        snprintf(o->v[o->n], sizeof(o->v[0]), "%s", value);
        o->n++;
    }
    return 0;
}

static const char *
oget(const struct obj *o, const char *key)
{
    for (int i = 0; i < o->n; i++)
        if (strcmp(o->k[i], key) == 0)
            return o->v[i];
    return NULL;
}

/* The run log of dir, parsed: lines and objects (caller frees both). */
struct runlog {
    int n, bad;
    struct obj *o;
};

static struct runlog
read_log(const char *dir)
{
    struct runlog r = {0};
    char *path = rs_xasprintf("%s/run.jsonl", dir);
    char *text = slurp(path);
    free(path);
    if (text == NULL)
        return r;
    int lines = 0;
    for (char *p = text; *p != '\0'; p++)
        lines += *p == '\n';
    r.o = rs_xcalloc((size_t)lines + 1, sizeof(*r.o));
    char *p = text;
    while (*p != '\0') {
        char *nl = strchr(p, '\n');
        if (nl == NULL) {
            r.bad++; /* a line without its newline */
            break;
        }
        *nl = '\0';
        if (rs_json_object_each(p, obj_add, &r.o[r.n], NULL) != RS_OK)
            r.bad++;
        r.n++;
        p = nl + 1;
    }
    free(text);
    return r;
}

/* Events of kind in the log (text of the first into text if not NULL). */
static int
count_events(const struct runlog *r, const char *kind, char *text, size_t len)
{
    int n = 0;
    for (int i = 0; i < r->n; i++) {
        const char *t = oget(&r->o[i], "type"), *k = oget(&r->o[i], "kind");
        if (t != NULL && strcmp(t, "event") == 0 && k != NULL &&
            strcmp(k, kind) == 0) {
            if (n == 0 && text != NULL)
                snprintf(text, len, "%s", oget(&r->o[i], "text"));
            n++;
        }
    }
    return n;
}

/* Steps of the records holding key, in order; returns the count. */
static int
record_steps(const struct runlog *r, const char *key, long *steps, int max)
{
    int n = 0;
    for (int i = 0; i < r->n; i++)
        if (oget(&r->o[i], key) != NULL && oget(&r->o[i], "type") == NULL &&
            n < max)
            steps[n++] = strtol(oget(&r->o[i], "step"), NULL, 10);
    return n;
}

static long
ckpt_step(const char *dir)
{
    char *path = rs_xasprintf("%s/ckpt.bin", dir);
    rs_ckpt *ck = rs_ckpt_read(path, NULL);
    free(path);
    if (ck == NULL)
        return -1;
    const uint64_t *v = rs_ckpt_u64s(ck, "session/step", NULL);
    long st = v != NULL ? (long)v[0] : -2;
    rs_ckpt_free(ck);
    return st;
}

/* ---- tests -------------------------------------------------------------- */

static void
test_basic(void)
{
    struct fake f = {.probe_every = 10};
    struct rs_session_config cfg = config("basic", 30);
    char *scene = rs_xasprintf("%s/fake.lua", tmp);
    FILE *sf = fopen(scene, "w");
    fputs("return rs.scene{}\n", sf);
    fclose(sf);
    cfg.scene_path = scene;
    static char a0[] = "repscope", a1[] = "--headless", a2[] = "fake.lua";
    char *argv[] = {a0, a1, a2, NULL};
    cfg.argv = argv;
    rs_session *s = start(&cfg, &f);
    tap_is_str(rs_session_run_dir(s), cfg.out_dir, "run dir as configured");
    enum rs_session_state fin = rs_session_join(s);
    tap_is_int(fin, RS_SESSION_DONE, "30 steps: DONE");
    struct rs_bus_status st;
    rs_bus_status(rs_session_bus(s), &st);
    tap_ok(st.state == RS_SESSION_DONE && st.step == 30 && st.total == 30,
           "final status: done at 30/30");
    tap_ok(st.probe_ms > 0 && st.probe_frac > 0 && st.probe_frac < 1,
           "probe cost published: %.4f ms per probe run, %.2f%% of time",
           st.probe_ms, 100 * st.probe_frac);
    tap_ok(st.lua_bytes == 12345 && st.seed == 42 &&
               strcmp(st.scene, "fake") == 0 && st.kernel[0] != '\0',
           "status: memory, seed, scene, kernel");
    tap_ok(f.setups == 1 && f.teardowns == 1 && f.probe_runs == 3,
           "setup once, teardown once, 3 probe runs");

    struct rs_bus_point pt[64];
    uint64_t ver;
    size_t n =
        rs_bus_series_copy(rs_session_bus(s), "train/loss", pt, 64, &ver);
    tap_ok(n == 30 && ver == 30 && pt[29].last == (float)f.loss[30],
           "bus: 30 loss points, the last one the driver's");
    tap_is_int((long)rs_bus_series_copy(rs_session_bus(s), "norm/weight", pt,
                                        64, NULL),
               3, "bus: norm/weight at 3 probe steps");

    struct runlog r = read_log(cfg.out_dir);
    tap_ok(r.n > 0 && r.bad == 0, "run.jsonl: %d lines, all parse", r.n);
    long psteps[8], fsteps[8];
    tap_ok(record_steps(&r, "probe/ms", psteps, 8) == 3 &&
               record_steps(&r, "probe/frac", fsteps, 8) == 3 &&
               psteps[0] == 10 && psteps[2] == 30 && fsteps[1] == 20,
           "run.jsonl: probe/ms and probe/frac with each probe's record");
    const struct obj *m = &r.o[0];
    const char *start_t = oget(m, "start");
    tap_ok(oget(m, "type") && strcmp(oget(m, "type"), "meta") == 0 &&
               strcmp(oget(m, "scene"), "fake") == 0 &&
               strcmp(oget(m, "seed"), "42") == 0 &&
               strcmp(oget(m, "version"), PACKAGE_VERSION) == 0 &&
               oget(m, "kernel") != NULL && start_t != NULL &&
               strlen(start_t) == 20 && start_t[10] == 'T' &&
               start_t[19] == 'Z',
           "meta line: type, scene, seed, version, start (UTC), kernel");
    struct obj params = {0};
    tap_ok(oget(m, "params") != NULL &&
               rs_json_object_each(oget(m, "params"), obj_add, &params, NULL) ==
                   RS_OK &&
               strcmp(oget(&params, "lr"), "0.00999999978") == 0 &&
               strcmp(oget(&params, "name"), "fake \"mlp\"") == 0,
           "meta params: the driver's JSON object");
    tap_ok(oget(m, "argv") != NULL &&
               strcmp(oget(m, "argv"),
                      "[\"repscope\",\"--headless\",\"fake.lua\"]") == 0,
           "meta argv");
    long steps[64];
    int ns = record_steps(&r, "train/loss", steps, 64);
    bool seq = ns == 30;
    for (int i = 0; seq && i < 30; i++)
        seq = steps[i] == i + 1;
    tap_ok(seq, "one train/loss record per step, steps 1..30 in order");
    int same = 0;
    for (int i = 0; i < r.n; i++) {
        const char *v = oget(&r.o[i], "train/loss");
        if (v != NULL) {
            long k = strtol(oget(&r.o[i], "step"), NULL, 10);
            same += (float)strtod(v, NULL) == (float)f.loss[k];
        }
    }
    tap_is_int(same, 30, "recorded losses are the driver's values");
    ns = record_steps(&r, "norm/weight", steps, 64);
    tap_ok(ns == 3 && steps[0] == 10 && steps[2] == 30,
           "probe records at steps 10, 20, 30");
    tap_is_int(count_events(&r, "done", NULL, 0), 1, "a done event");
    tap_is_int(count_events(&r, "checkpoint", NULL, 0), 1,
               "one checkpoint (the final one)");
    tap_is_int(ckpt_step(cfg.out_dir), 30, "ckpt.bin holds step 30");
    char *copy = rs_xasprintf("%s/scene.lua", cfg.out_dir);
    char *text = slurp(copy);
    tap_is_str(text, "return rs.scene{}\n", "the scene was copied");
    free(text);
    free(copy);
    char *idx = rs_xasprintf("%s/matrices.jsonl", cfg.out_dir);
    text = slurp(idx);
    int lines = 0;
    for (char *p = text; p != NULL && *p != '\0'; p++)
        lines += *p == '\n';
    tap_is_int(lines, 3, "matrices.jsonl: 3 snapshots");
    free(text);
    free(idx);
    free(r.o);
    rs_session_free(s);
    tap_is_int(f.frees, 1, "driver freed by rs_session_free");
    free(scene);
}

static void
test_commands(void)
{
    struct fake f = {0};
    struct rs_session_config cfg = config("cmds", -1);
    cfg.start_paused = true;
    rs_session *s = start(&cfg, &f);
    struct rs_bus_status st;
    uint64_t cur = 0;
    tap_ok(wait_status(s, paused_at, 0, &st), "starts paused at step 0");
    cmd(s, RS_CMD_STEP, 3, NULL, NULL);
    tap_ok(wait_status(s, paused_at, 3, &st), "step 3: paused again at 3");
    cmd(s, RS_CMD_SET, 0, "lr", "0.005");
    cmd(s, RS_CMD_SET, 0, "bogus", "1");
    tap_ok(wait_line(s, "set bogus: unknown param 'bogus'", &cur),
           "a bad set is reported on the console");
    cmd(s, RS_CMD_EVAL, 0, NULL, "hello");
    tap_ok(wait_line(s, "eval: hello", &cur), "eval routed to the driver");
    tap_ok(wait_line(s, "second line", &cur), "multi-line output split");
    cmd(s, RS_CMD_EVAL, 0, NULL, "error");
    tap_ok(wait_line(s, "error: console:1: bad", &cur),
           "an eval error is printed, the run goes on");
    cmd(s, RS_CMD_EVAL, 0, NULL, "loop");
    tap_ok(wait_line(s, "looping", &cur), "a runaway eval is running");
    rs_session_interrupt(s);
    tap_ok(wait_line(s, "error: interrupted", &cur),
           "rs_session_interrupt stops it, the run goes on");
    cmd(s, RS_CMD_RESUME, 0, NULL, NULL);
    tap_ok(wait_status(s, past, 10, &st), "resumed: past step 10");
    cmd(s, RS_CMD_PAUSE, 0, NULL, NULL);
    tap_ok(wait_status(s, is_paused, 0, &st), "paused");
    long p1 = st.step;
    cmd(s, RS_CMD_STEP, 2, NULL, NULL);
    tap_ok(wait_status(s, paused_at, p1 + 2, &st),
           "step 2 from a pause at %ld: exactly %ld", p1, p1 + 2);
    cmd(s, RS_CMD_CHECKPOINT, 0, NULL, NULL);
    char want[64];
    snprintf(want, sizeof(want), "checkpoint written at step %ld", p1 + 2);
    tap_ok(wait_line(s, want, &cur), "checkpoint on command");
    cmd(s, RS_CMD_SPEED, 0, NULL, NULL);
    tap_ok(wait_line(s, "speed: unlimited", &cur), "speed command");
    cmd(s, RS_CMD_STEP, 1, NULL, NULL);
    tap_ok(wait_status(s, paused_at, p1 + 3, &st), "one more step");
    cmd(s, RS_CMD_QUIT, 0, NULL, NULL);
    tap_is_int(rs_session_join(s), RS_SESSION_DONE, "quit: DONE");
    long last = p1 + 3;
    tap_ok(f.lr == 0.005f, "set lr reached the driver");
    tap_ok(f.evals == 3 && strcmp(f.last_eval, "loop") == 0,
           "the three evals reached the driver");
    tap_is_int(ckpt_step(cfg.out_dir), last,
               "quit wrote a final checkpoint at the last step");
    struct runlog r = read_log(cfg.out_dir);
    tap_ok(r.bad == 0, "run.jsonl parses");
    char text[256];
    tap_ok(count_events(&r, "set", text, sizeof(text)) == 1 &&
               strcmp(text, "lr = 0.005") == 0,
           "set event recorded: '%s'", text);
    tap_ok(count_events(&r, "eval", text, sizeof(text)) == 1 &&
               strcmp(text, "hello") == 0,
           "successful eval recorded");
    tap_ok(count_events(&r, "pause", NULL, 0) == 1 &&
               count_events(&r, "resume", NULL, 0) == 1,
           "pause and resume events");
    tap_ok(count_events(&r, "checkpoint", NULL, 0) == 2 &&
               count_events(&r, "quit", NULL, 0) == 1,
           "two checkpoints (command, quit) and a quit event");
    long *steps = rs_xcalloc((size_t)r.n + 1, sizeof(long));
    int ns = record_steps(&r, "train/loss", steps, r.n);
    bool seq = ns == last;
    for (int i = 0; seq && i < ns; i++)
        seq = steps[i] == i + 1;
    tap_ok(seq, "records for steps 1..%ld, each once", last);
    free(steps);
    free(r.o);
    rs_session_free(s);
}

static void
test_restart(void)
{
    struct fake f = {0};
    struct rs_session_config cfg = config("restart", -1);
    cfg.start_paused = true;
    rs_session *s = start(&cfg, &f);
    struct rs_bus_status st;
    cmd(s, RS_CMD_STEP, 3, NULL, NULL);
    tap_ok(wait_status(s, paused_at, 3, &st), "3 steps");
    double first[4];
    memcpy(first, f.loss, sizeof(first)); /* worker idle: paused */
    cmd(s, RS_CMD_RESTART, 0, NULL, NULL);
    cmd(s, RS_CMD_STEP, 2, NULL, NULL);
    tap_ok(wait_status(s, paused_at, 2, &st), "restart, then 2 steps");
    cmd(s, RS_CMD_QUIT, 0, NULL, NULL);
    rs_session_join(s);
    tap_ok(f.setups == 2 && f.teardowns == 2, "setup and teardown twice");
    tap_ok(f.loss[1] == first[1] && f.loss[2] == first[2],
           "same seed after restart: the same losses");
    struct runlog r = read_log(cfg.out_dir);
    tap_is_int(count_events(&r, "restart", NULL, 0), 1, "restart event");
    free(r.o);
    rs_session_free(s);
}

static void
test_nonfinite(void)
{
    /* A NaN loss stops the run (no UI). */
    struct fake f = {.nan_at = 7};
    struct rs_session_config cfg = config("nan", 20);
    cfg.checkpoint_every = 5;
    rs_session *s = start(&cfg, &f);
    tap_is_int(rs_session_join(s), RS_SESSION_FAILED, "NaN loss: FAILED");
    struct rs_bus_status st;
    rs_bus_status(rs_session_bus(s), &st);
    char want[256];
    snprintf(want, sizeof(want),
             "step 7: train/loss is nan (last finite %g at step 6)", f.loss[6]);
    tap_is_str(st.message, want, "message names step, series, last finite");
    tap_is_str(st.nonfinite, "train/loss", "status names where");
    tap_is_int(ckpt_step(cfg.out_dir), 5,
               "the checkpoint of step 5 is kept, not overwritten");
    struct runlog r = read_log(cfg.out_dir);
    char text[256];
    tap_ok(count_events(&r, "nonfinite", text, sizeof(text)) == 1 &&
               strcmp(text, want) == 0,
           "nonfinite event recorded");
    bool null_rec = false;
    for (int i = 0; i < r.n; i++) {
        const char *v = oget(&r.o[i], "train/loss");
        if (v != NULL && strcmp(oget(&r.o[i], "step"), "7") == 0)
            null_rec = strcmp(v, "null") == 0;
    }
    tap_ok(null_rec, "step 7 recorded with train/loss null");
    free(r.o);
    rs_session_free(s);

    /* With a UI: pause and show it; quit writes no checkpoint. */
    struct fake g = {.nan_at = 7};
    cfg = config("nanpause", 20);
    cfg.checkpoint_every = 5;
    cfg.pause_on_nonfinite = true;
    s = start(&cfg, &g);
    tap_ok(wait_status(s, paused_at, 7, &st), "NaN with a UI: paused at 7");
    snprintf(want, sizeof(want),
             "step 7: train/loss is nan (last finite %g at step 6)", g.loss[6]);
    tap_is_str(st.message, want, "paused with the message");
    uint64_t cur = 0;
    cmd(s, RS_CMD_CHECKPOINT, 0, NULL, NULL);
    tap_ok(wait_line(s, "not checkpointing: step 7 holds a non-finite", &cur),
           "checkpoint refused while the last step is non-finite");
    cmd(s, RS_CMD_QUIT, 0, NULL, NULL);
    tap_is_int(rs_session_join(s), RS_SESSION_DONE, "quit: DONE");
    tap_is_int(ckpt_step(cfg.out_dir), 5, "no final checkpoint over step 5");
    rs_session_free(s);

    /* The driver returns RS_ENONFINITE (optimiser refused the step). */
    struct fake h = {.enonfinite_at = 4};
    cfg = config("enonfinite", 20);
    s = start(&cfg, &h);
    tap_is_int(rs_session_join(s), RS_SESSION_FAILED, "RS_ENONFINITE: FAILED");
    rs_bus_status(rs_session_bus(s), &st);
    snprintf(want, sizeof(want),
             "step 4: non-finite gradient in w1 (element 3) (last finite "
             "train/loss %g at step 3)",
             h.loss[3]);
    tap_is_str(st.message, want, "message with the last finite loss");
    rs_session_free(s);

    /* A scene error. */
    struct fake e = {.fail_at = 3};
    cfg = config("error", 20);
    s = start(&cfg, &e);
    tap_is_int(rs_session_join(s), RS_SESSION_FAILED, "scene error: FAILED");
    rs_bus_status(rs_session_bus(s), &st);
    tap_is_str(st.message, "step 3: scene.lua:12: boom",
               "message: step + the scene's file:line: message");
    tap_ok(st.step == 2 && e.teardowns == 1, "2 steps done, torn down");
    r = read_log(cfg.out_dir);
    tap_is_int(count_events(&r, "error", NULL, 0), 1, "error event");
    free(r.o);
    rs_session_free(s);

    /* A setup error: no teardown owed, the record has meta + error. */
    struct fake k = {.fail_setup = true};
    cfg = config("setup-error", 20);
    s = start(&cfg, &k);
    tap_is_int(rs_session_join(s), RS_SESSION_FAILED, "setup error: FAILED");
    rs_bus_status(rs_session_bus(s), &st);
    tap_is_str(st.message, "setup: scene.lua:3: no field 'widht'",
               "message: setup + the scene's message");
    tap_is_int(k.teardowns, 0, "nothing to tear down");
    r = read_log(cfg.out_dir);
    tap_ok(r.n == 2 && r.bad == 0 && count_events(&r, "error", NULL, 0) == 1,
           "run.jsonl: meta and the error event");
    free(r.o);
    tap_is_int(ckpt_step(cfg.out_dir), -1, "no checkpoint");
    rs_session_free(s);
}

static void
test_resume(void)
{
    enum { N = 15 };
    struct fake a = {0}, b = {0}, c = {0};
    struct rs_session_config ca = config("straight", 2 * N);
    rs_session *s = start(&ca, &a);
    rs_session_join(s);
    rs_session_free(s);

    struct rs_session_config cb = config("halves", N);
    s = start(&cb, &b);
    tap_is_int(rs_session_join(s), RS_SESSION_DONE, "first half: DONE");
    rs_session_free(s);
    tap_is_int(ckpt_step(cb.out_dir), N, "checkpoint at step %d", N);

    struct rs_session_config cc = config("unused", 2 * N);
    cc.out_dir = NULL;
    cc.seed = 999; /* ignored: the checkpoint's seed wins */
    cc.resume_dir = cb.out_dir;
    s = start(&cc, &c);
    tap_is_int(rs_session_join(s), RS_SESSION_DONE, "second half: DONE");
    tap_is_str(rs_session_run_dir(s), cb.out_dir, "resumed in the same dir");
    struct rs_bus_status st;
    rs_bus_status(rs_session_bus(s), &st);
    tap_ok(st.seed == 42 && st.step == 2 * N, "seed from the checkpoint");
    rs_session_free(s);
    tap_ok(c.loads == 1, "driver load called once");
    tap_ok(a.have_final && c.have_final &&
               memcmp(a.final, c.final, sizeof(a.final)) == 0,
           "N + resume N: weights bit-identical to 2N straight");
    int same = 0;
    for (int k = N + 1; k <= 2 * N; k++)
        same += memcmp(&a.loss[k], &c.loss[k], sizeof(double)) == 0;
    tap_is_int(same, N, "and so are the losses of the second half");
    struct runlog r = read_log(cb.out_dir);
    int metas = 0;
    for (int i = 0; i < r.n; i++)
        metas += oget(&r.o[i], "type") != NULL &&
                 strcmp(oget(&r.o[i], "type"), "meta") == 0;
    tap_ok(r.bad == 0 && metas == 1, "one run.jsonl, one meta line");
    char text[256];
    char want[300];
    snprintf(want, sizeof(want), "resume from %s/ckpt.bin at step %d",
             cb.out_dir, N);
    tap_ok(count_events(&r, "resume", text, sizeof(text)) == 1 &&
               strcmp(text, want) == 0,
           "a resume event: %s", text);
    long steps[64];
    int ns = record_steps(&r, "train/loss", steps, 64);
    bool seq = ns == 2 * N;
    for (int i = 0; seq && i < ns; i++)
        seq = steps[i] == i + 1;
    tap_ok(seq, "records for steps 1..%d, each once", 2 * N);
    free(r.o);

    /* A param set live is restored on resume. */
    struct fake d = {0}, e = {0};
    struct rs_session_config cd = config("setresume", 5);
    cd.start_paused = true;
    s = start(&cd, &d);
    cmd(s, RS_CMD_SET, 0, "lr", "0.02");
    cmd(s, RS_CMD_RESUME, 0, NULL, NULL);
    rs_session_join(s);
    rs_session_free(s);
    struct rs_session_config ce = config("unused2", 8);
    ce.resume_dir = cd.out_dir;
    s = start(&ce, &e);
    rs_session_join(s);
    rs_session_free(s);
    tap_ok(e.lr == 0.02f, "the checkpoint's lr is applied on resume");
    r = read_log(cd.out_dir);
    tap_ok(count_events(&r, "set", text, sizeof(text)) == 2,
           "and recorded as a set event");
    free(r.o);
}

static void
test_refusals(void)
{
    struct fake f = {0};
    struct rs_session_config cfg = config("basic", 5); /* holds a run */
    struct rs_session_driver drv = fake_driver(&f);
    struct rs_error err = {0};
    rs_session *s = rs_session_new(&cfg, &drv, &err);
    tap_ok(s == NULL && strstr(err.msg, "already holds a run") != NULL,
           "a used out_dir is refused: %s", err.msg);
    tap_is_int(f.frees, 1, "and the driver freed");

    char *dir = rs_xasprintf("%s/corrupt", tmp);
    mkdir(dir, 0777);
    char *ck = rs_xasprintf("%s/ckpt.bin", dir);
    FILE *fp = fopen(ck, "wb");
    fputs("RSCKPT01\x01\x00\x00", fp);
    fclose(fp);
    cfg = config("x", 5);
    cfg.resume_dir = dir;
    s = rs_session_new(&cfg, &drv, &err);
    tap_ok(s == NULL && strstr(err.msg, ck) != NULL &&
               strstr(err.msg, "truncated") != NULL,
           "resume from a truncated checkpoint refused: %s", err.msg);
    drv.setup = NULL;
    s = rs_session_new(&cfg, &drv, &err);
    tap_ok(s == NULL && err.code == RS_EINVAL, "a driver without setup");
    free(ck);
    free(dir);

    /* Free while running: the worker stops. */
    struct fake g = {0};
    cfg = config("freerun", -1);
    s = start(&cfg, &g);
    struct rs_bus_status st;
    tap_ok(wait_status(s, past, 3, &st), "running");
    rs_session_free(s);
    tap_ok(g.teardowns == 1 && g.frees == 1,
           "rs_session_free stops a running worker and tears down");

    /* Free while a step runs away: the driver sees rs_session_interrupted,
     * the run ends without a checkpoint of a half-done step. */
    struct fake k = {.spin_at = 4};
    cfg = config("freespin", -1);
    s = start(&cfg, &k);
    uint64_t cur = 0;
    tap_ok(wait_line(s, "spinning in step 4", &cur), "a step runs away");
    rs_session_free(s);
    tap_ok(k.teardowns == 1 && k.frees == 1,
           "rs_session_free interrupts it and tears down");
    tap_is_int(ckpt_step(cfg.out_dir), -1, "no checkpoint of a cut step");
    struct runlog r = read_log(cfg.out_dir);
    long steps[8];
    tap_ok(r.bad == 0 && record_steps(&r, "train/loss", steps, 8) == 3,
           "records of the 3 complete steps");
    free(r.o);

    /* Not recording at all. */
    struct fake h = {0};
    cfg = config("none", 4);
    cfg.out_dir = "";
    s = start(&cfg, &h);
    tap_is_int(rs_session_join(s), RS_SESSION_DONE, "out_dir \"\": runs");
    tap_is_str(rs_session_run_dir(s), "", "and records nowhere");
    rs_session_free(s);
}

static bool
is_done(const struct rs_bus_status *st, long arg)
{
    (void)arg;
    return st->state == RS_SESSION_DONE;
}

/* A reader holding the bus when the worker answers makes the answer wait
 * in the writer's backlog; the worker must publish it before it blocks
 * for the next command, or the answer shows only after another command
 * (seen in CI as a lost "the run has ended" notice). */
static void
test_busy_reader(void)
{
    struct fake f = {0};
    struct rs_session_config cfg = config("busy", 3);
    cfg.linger = true;
    rs_session *s = start(&cfg, &f);
    rs_bus *b = rs_session_bus(s);
    struct rs_bus_status st;
    uint64_t cur = 0;
    tap_ok(wait_status(s, is_done, 0, &st), "done and lingering");
    rs_bus_read_begin(b);
    cmd(s, RS_CMD_TOGGLE, 0, NULL, NULL);
    poll(NULL, 0, 300); /* the worker answers while the bus is held */
    rs_bus_read_end(b);
    tap_ok(wait_line(s, "the run has ended", &cur),
           "an answer given while a reader held the bus still arrives");

    struct fake g = {0};
    cfg = config("busy-paused", -1);
    cfg.start_paused = true;
    rs_session *p = start(&cfg, &g);
    b = rs_session_bus(p);
    cur = 0;
    tap_ok(wait_status(p, paused_at, 0, &st), "paused at step 0");
    rs_bus_read_begin(b);
    cmd(p, RS_CMD_SET, 0, "bogus", "1");
    poll(NULL, 0, 300);
    rs_bus_read_end(b);
    tap_ok(wait_line(p, "set bogus: unknown param", &cur),
           "and while paused");
    rs_session_free(p);
    rs_session_free(s);
}

static char *
read_stream(FILE *f)
{
    fflush(f);
    long n = ftell(f);
    rewind(f);
    char *buf = rs_xmalloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    buf[got] = '\0';
    return buf;
}

static void
test_headless(void)
{
    struct fake f = {0};
    struct rs_session_config cfg = config("headless", 12);
    struct rs_session_driver drv = fake_driver(&f);
    struct rs_error err = {0};
    rs_session *s = rs_session_new(&cfg, &drv, &err);
    FILE *out = tmpfile();
    struct rs_headless_opts o = {.out = out, .tty = 0, .interval_s = 0.01};
    int code = rs_headless_run(s, &o);
    char *text = read_stream(out);
    fclose(out);
    tap_is_int(code, 0, "headless run: exit 0");
    tap_ok(strstr(text, "step 12/12 100%") != NULL &&
               strstr(text, "train/loss ") != NULL &&
               strchr(text, '\r') == NULL,
           "plain final line with the loss");
    text[strcspn(text, "\n")] = '\0';
    tap_diag("%s", text);
    free(text);
    rs_session_free(s);

    struct fake g = {.nan_at = 3};
    cfg = config("headless-nan", 12);
    drv = fake_driver(&g);
    s = rs_session_new(&cfg, &drv, &err);
    out = tmpfile();
    o = (struct rs_headless_opts){.out = out, .tty = 1};
    code = rs_headless_run(s, &o);
    text = read_stream(out);
    fclose(out);
    char want[256];
    snprintf(want, sizeof(want),
             "repscope: step 3: train/loss is nan (last finite %g at step "
             "2)\n",
             g.loss[2]);
    tap_is_int(code, 1, "NaN headless: exit 1");
    tap_ok(strstr(text, want) != NULL, "one line 'repscope: step 3: ...'");
    free(text);
    rs_session_free(s);

    struct fake h = {.signal_at = 5};
    cfg = config("headless-term", -1);
    drv = fake_driver(&h);
    s = rs_session_new(&cfg, &drv, &err);
    out = tmpfile();
    o = (struct rs_headless_opts){.out = out, .tty = 0};
    code = rs_headless_run(s, &o);
    text = read_stream(out);
    fclose(out);
    tap_is_int(code, 128 + SIGTERM, "SIGTERM: exit 128 + SIGTERM");
    tap_ok(strstr(text, "SIGTERM: writing a checkpoint") != NULL,
           "the signal is reported");
    long at = ckpt_step(cfg.out_dir);
    tap_ok(at >= 5, "final checkpoint written (step %ld)", at);
    struct runlog r = read_log(cfg.out_dir);
    tap_ok(r.bad == 0 && count_events(&r, "quit", NULL, 0) == 1,
           "log complete, with a quit event");
    free(r.o);
    free(text);
    rs_session_free(s);
    struct sigaction sa;
    sigaction(SIGTERM, NULL, &sa);
    tap_ok(sa.sa_handler == SIG_DFL, "signal handlers restored");
}

int
main(void)
{
    tap_plan_lazy();
    tmp = tap_tmpdir("t_run_session");
    test_basic();
    test_commands();
    test_restart();
    test_nonfinite();
    test_resume();
    test_refusals();
    test_busy_reader();
    test_headless();
    for (int i = 0; i < ndirs; i++)
        free(dirs[i]);
    free(tmp);
    return tap_done();
}
