/* repscope - MIT licence, see COPYING.
 *
 * l_test.c: `repscope --test FILE` (rs_lua_run_test) and the C side of the
 * Lua test kit. The TAP functions themselves are pure Lua
 * (lua/repscope/tap.lua, preloaded as `tap`); this file provides:
 *   - a recorder sink: what the test's own rs.log / rs.matrix / print /
 *     rs.event produced (repscope.test.logged/series/matrix/printed/events
 *     /clear), prints echoed as "# " lines;
 *   - repscope.test.scene(path [, overrides [, opts]]): a scene driver
 *     (l_scene.c) run without a session, with its own recorder, so tests
 *     drive setup/steps/probes/params/checkpoints and read what the scene
 *     published; opts.safe loads it in safe mode;
 *   - repscope.test.read_ckpt(path), repscope.test.srcdir().
 * Single-threaded: the test runner is the whole process.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua/scene_impl.h"

#define RECORDER_MT "repscope.recorder"
#define RUNNER_MT "repscope.scene_runner"

struct rec_log {
    char *name;
    double v;
};

struct rec_mat {
    char *name;
    int rows, cols;
    float *data;
    char *row_labels, *col_labels; /* joined with '|', or NULL */
};

struct recorder {
    struct rec_log *logs;
    size_t nlogs, cap_logs;
    struct rec_mat *mats;
    size_t nmats, cap_mats;
    char **lines;
    size_t nlines, cap_lines;
    char **events;
    size_t nevents, cap_events;
    bool echo; /* print lines as TAP comments */
};

static void
rec_clear(struct recorder *r)
{
    for (size_t i = 0; i < r->nlogs; i++)
        free(r->logs[i].name);
    for (size_t i = 0; i < r->nmats; i++) {
        free(r->mats[i].name);
        free(r->mats[i].data);
        free(r->mats[i].row_labels);
        free(r->mats[i].col_labels);
    }
    for (size_t i = 0; i < r->nlines; i++)
        free(r->lines[i]);
    for (size_t i = 0; i < r->nevents; i++)
        free(r->events[i]);
    r->nlogs = r->nmats = r->nlines = r->nevents = 0;
}

static void
rec_fini(struct recorder *r)
{
    rec_clear(r);
    free(r->logs);
    free(r->mats);
    free(r->lines);
    free(r->events);
    memset(r, 0, sizeof *r);
}

static void
grow(void **p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return;
    *cap = *cap ? 2 * *cap : 16;
    *p = rs_xreallocarray(*p, *cap, size);
}

static void
rec_log(void *ud, const char *name, double v)
{
    struct recorder *r = ud;
    grow((void **)&r->logs, &r->cap_logs, r->nlogs, sizeof *r->logs);
    r->logs[r->nlogs++] = (struct rec_log){rs_xstrdup(name), v};
}

/* labels[0..n) joined with '|' (NULL for none). */
static char *
join_labels(const char *const *labels, int n)
{
    if (labels == NULL)
        return NULL;
    size_t len = 1;
    for (int i = 0; i < n; i++)
        len += strlen(labels[i]) + 1;
    char *s = rs_xmalloc(len), *p = s;
    for (int i = 0; i < n; i++) {
        size_t k = strlen(labels[i]);
        memcpy(p, labels[i], k);
        p += k;
        if (i + 1 < n)
            *p++ = '|';
    }
    *p = '\0';
    return s;
}

static void
rec_matrix(void *ud, const char *name, int rows, int cols, const float *data,
           const char *const *row_labels, const char *const *col_labels)
{
    struct recorder *r = ud;
    struct rec_mat *m = NULL;
    for (size_t i = 0; i < r->nmats && m == NULL; i++)
        if (strcmp(r->mats[i].name, name) == 0)
            m = &r->mats[i];
    if (m == NULL) {
        grow((void **)&r->mats, &r->cap_mats, r->nmats, sizeof *r->mats);
        m = &r->mats[r->nmats++];
        m->name = rs_xstrdup(name);
        m->data = NULL;
        m->row_labels = m->col_labels = NULL;
    }
    free(m->row_labels);
    free(m->col_labels);
    m->row_labels = join_labels(row_labels, rows);
    m->col_labels = join_labels(col_labels, cols);
    size_t n = (size_t)rows * (size_t)cols;
    free(m->data);
    m->data = rs_xmalloc(n > 0 ? n * sizeof(float) : 1);
    if (n > 0)
        memcpy(m->data, data, n * sizeof(float));
    m->rows = rows;
    m->cols = cols;
}

static void
rec_print(void *ud, const char *text)
{
    struct recorder *r = ud;
    grow((void **)&r->lines, &r->cap_lines, r->nlines, sizeof *r->lines);
    r->lines[r->nlines++] = rs_xstrdup(text);
    if (r->echo) {
        /* one "# " per line, so a traceback stays a TAP comment */
        for (const char *p = text; *p != '\0';) {
            const char *nl = strchr(p, '\n');
            size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
            printf("# %.*s\n", (int)len, p);
            p += len + (nl != NULL);
        }
        fflush(stdout);
    }
}

static void
rec_event(void *ud, const char *text)
{
    struct recorder *r = ud;
    grow((void **)&r->events, &r->cap_events, r->nevents, sizeof *r->events);
    r->events[r->nevents++] = rs_xstrdup(text);
}

static struct rs_lua_sink
rec_sink(struct recorder *r)
{
    return (struct rs_lua_sink){.ud = r,
                                .log = rec_log,
                                .matrix = rec_matrix,
                                .print = rec_print,
                                .event = rec_event};
}

/* ---- reading a recorder from Lua --------------------------------------- */

/* name -> last value */
static void
push_logged(lua_State *L, const struct recorder *r)
{
    lua_newtable(L);
    for (size_t i = 0; i < r->nlogs; i++) {
        lua_pushnumber(L, r->logs[i].v);
        lua_setfield(L, -2, r->logs[i].name);
    }
}

static void
push_series(lua_State *L, const struct recorder *r, const char *name)
{
    lua_newtable(L);
    lua_Integer k = 0;
    for (size_t i = 0; i < r->nlogs; i++)
        if (strcmp(r->logs[i].name, name) == 0) {
            lua_pushnumber(L, r->logs[i].v);
            lua_rawseti(L, -2, ++k);
        }
}

/* rows, cols, {values}, row labels, column labels ("a|b|c" or nil); or
 * nil */
static int
push_matrix(lua_State *L, const struct recorder *r, const char *name)
{
    for (size_t i = 0; i < r->nmats; i++) {
        const struct rec_mat *m = &r->mats[i];
        if (strcmp(m->name, name) != 0)
            continue;
        lua_pushinteger(L, m->rows);
        lua_pushinteger(L, m->cols);
        size_t n = (size_t)m->rows * (size_t)m->cols;
        lua_createtable(L, (int)n, 0);
        for (size_t k = 0; k < n; k++) {
            lua_pushnumber(L, m->data[k]);
            lua_rawseti(L, -2, (lua_Integer)k + 1);
        }
        if (m->row_labels != NULL)
            lua_pushstring(L, m->row_labels);
        else
            lua_pushnil(L);
        if (m->col_labels != NULL)
            lua_pushstring(L, m->col_labels);
        else
            lua_pushnil(L);
        return 5;
    }
    lua_pushnil(L);
    return 1;
}

static void
push_lines(lua_State *L, char **lines, size_t n)
{
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushstring(L, lines[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

/* The recorder methods shared by the test module (upvalue 1 is its
 * recorder userdata) and scene runners (self at 1). */
static struct recorder *
recorder_arg(lua_State *L, int *first)
{
    if (luaL_testudata(L, 1, RUNNER_MT) != NULL) {
        *first = 2;
        return lua_touserdata(L, 1); /* struct runner starts with it */
    }
    *first = 1;
    return lua_touserdata(L, lua_upvalueindex(1));
}

static int
l_test_logged(lua_State *L)
{
    int a;
    push_logged(L, recorder_arg(L, &a));
    return 1;
}

static int
l_test_series(lua_State *L)
{
    int a;
    struct recorder *r = recorder_arg(L, &a);
    push_series(L, r, luaL_checkstring(L, a));
    return 1;
}

static int
l_test_matrix(lua_State *L)
{
    int a;
    struct recorder *r = recorder_arg(L, &a);
    return push_matrix(L, r, luaL_checkstring(L, a));
}

static int
l_test_printed(lua_State *L)
{
    int a;
    struct recorder *r = recorder_arg(L, &a);
    push_lines(L, r->lines, r->nlines);
    return 1;
}

static int
l_test_events(lua_State *L)
{
    int a;
    struct recorder *r = recorder_arg(L, &a);
    push_lines(L, r->events, r->nevents);
    return 1;
}

static int
l_test_clear(lua_State *L)
{
    int a;
    rec_clear(recorder_arg(L, &a));
    return 0;
}

static int
l_recorder_gc(lua_State *L)
{
    rec_fini(lua_touserdata(L, 1));
    return 0;
}

/* ---- scene runners ----------------------------------------------------- */

struct runner {
    struct recorder rec; /* first: see recorder_arg */
    struct rs_session_driver drv;
    bool open;
    long step; /* steps run so far */
};

static struct runner *
check_runner(lua_State *L, const char *fn)
{
    struct runner *r = luaL_checkudata(L, 1, RUNNER_MT);
    if (!r->open)
        luaL_error(L, "%s: attempt to use a closed scene runner", fn);
    return r;
}

/* Push false, message, status name; returns 3. */
static int
push_failure(lua_State *L, const struct rs_error *err)
{
    lua_pushboolean(L, 0);
    lua_pushstring(L, err->msg);
    lua_pushstring(L, rs_status_str(err->code));
    return 3;
}

/* repscope.test.scene(path [, {overrides}] [, {safe=}]) -> runner | nil,
 * msg */
static int
l_test_scene(lua_State *L)
{
    static const char fn[] = "repscope.test.scene";
    const char *path = rs_lua_check_string(L, 1, fn, "path");
    int n = 0;
    if (!lua_isnoneornil(L, 2)) {
        rs_lua_check_table(L, 2, fn, "overrides");
        n = (int)luaL_len(L, 2);
    }
    struct rs_lua_opts o;
    rs_lua_opts_default(&o);
    if (!lua_isnoneornil(L, 3)) {
        rs_lua_check_table(L, 3, fn, "opts");
        o.safe = rs_lua_opt_bool_field(L, 3, fn, "safe", false);
        o.mem_limit = (size_t)rs_lua_opt_int_field(L, 3, fn, "mem_limit", 0, 0,
                                                   LUA_MAXINTEGER);
    }
    const char **ov = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof *ov, 0);
    for (int i = 0; i < n; i++) {
        lua_geti(L, 2, i + 1);
        ov[i] = lua_tostring(L, -1);
        if (ov[i] == NULL)
            return rs_lua_arg_error(L, fn, 2, "overrides",
                                    "entry %d is not a string", i + 1);
        lua_pop(L, 1); /* still referenced by the table */
    }
    struct runner *r = lua_newuserdatauv(L, sizeof *r, 0);
    memset(r, 0, sizeof *r);
    luaL_setmetatable(L, RUNNER_MT);
    struct rs_error err = {0};
    if (rs_lua_scene_driver(path, ov, n, &o, &r->drv, NULL, &err) != RS_OK) {
        lua_pushnil(L);
        lua_pushstring(L, err.msg);
        lua_pushstring(L, rs_status_str(err.code));
        return 3;
    }
    r->open = true;
    struct rs_lua_sink sink = rec_sink(&r->rec);
    rs_lua_scene_set_fallback(r->drv.ud, &sink, 1, -1);
    return 1;
}

/* sc:setup([{seed=, total=}]) -> true | false, msg, status */
static int
l_runner_setup(lua_State *L)
{
    static const char fn[] = "runner:setup";
    struct runner *r = check_runner(L, fn);
    unsigned long seed = 1;
    long total = -1;
    if (!lua_isnoneornil(L, 2)) {
        rs_lua_check_table(L, 2, fn, "opts");
        seed = (unsigned long)rs_lua_opt_int_field(L, 2, fn, "seed", 1, 0,
                                                   LUA_MAXINTEGER);
        total = (long)rs_lua_opt_int_field(L, 2, fn, "total", -1, -1,
                                           LUA_MAXINTEGER);
    }
    struct rs_lua_sink sink = rec_sink(&r->rec);
    rs_lua_scene_set_fallback(r->drv.ud, &sink, seed, total);
    struct rs_error err = {0};
    r->step = 0;
    if (r->drv.setup(r->drv.ud, NULL, &err) != RS_OK)
        return push_failure(L, &err);
    lua_pushboolean(L, 1);
    return 1;
}

/* sc:run(n): n session steps (step, then due probes) -> true | false,
 * msg, status, step */
static int
l_runner_run(lua_State *L)
{
    static const char fn[] = "runner:run";
    struct runner *r = check_runner(L, fn);
    lua_Integer n = rs_lua_check_integer(L, 2, fn, "n");
    struct rs_error err = {0};
    for (lua_Integer i = 0; i < n; i++) {
        long step = r->step + 1;
        if (r->drv.step(r->drv.ud, NULL, step, &err) != RS_OK ||
            r->drv.probe(r->drv.ud, NULL, step, &err) != RS_OK) {
            push_failure(L, &err);
            lua_pushinteger(L, step);
            return 4;
        }
        r->step = step;
    }
    lua_pushboolean(L, 1);
    return 1;
}

static int
l_runner_steps(lua_State *L)
{
    lua_pushinteger(L, check_runner(L, "runner:steps")->step);
    return 1;
}

/* sc:set(key, value) -> true | false, msg */
static int
l_runner_set(lua_State *L)
{
    static const char fn[] = "runner:set";
    struct runner *r = check_runner(L, fn);
    const char *key = rs_lua_check_string(L, 2, fn, "key");
    const char *value = luaL_tolstring(L, 3, NULL);
    struct rs_error err = {0};
    if (r->drv.set_param(r->drv.ud, NULL, key, value, &err) != RS_OK)
        return push_failure(L, &err);
    lua_pushboolean(L, 1);
    return 1;
}

static int
l_runner_eval(lua_State *L)
{
    static const char fn[] = "runner:eval";
    struct runner *r = check_runner(L, fn);
    const char *code = rs_lua_check_string(L, 2, fn, "code");
    struct rs_error err = {0};
    if (r->drv.eval(r->drv.ud, NULL, code, &err) != RS_OK)
        return push_failure(L, &err);
    lua_pushboolean(L, 1);
    return 1;
}

static int
l_runner_params_json(lua_State *L)
{
    struct runner *r = check_runner(L, "runner:params_json");
    char *s = r->drv.params_json(r->drv.ud);
    lua_pushstring(L, s);
    free(s);
    return 1;
}

static int
l_runner_views(lua_State *L)
{
    struct runner *r = check_runner(L, "runner:views");
    const char *v = rs_lua_scene_views(r->drv.ud);
    if (v == NULL)
        lua_pushnil(L);
    else
        lua_pushstring(L, v);
    return 1;
}

/* sc:save() -> checkpoint | false, msg */
static int
l_runner_save(lua_State *L)
{
    struct runner *r = check_runner(L, "runner:save");
    rs_ckpt *ck = rs_ckpt_new();
    struct rs_error err = {0};
    if (r->drv.save(r->drv.ud, NULL, ck, &err) != RS_OK) {
        rs_ckpt_free(ck);
        return push_failure(L, &err);
    }
    rs_lua_push_ckpt(L, ck);
    return 1;
}

/* sc:load(ck [, step]) -> true | false, msg; the step count continues
 * from step */
static int
l_runner_load(lua_State *L)
{
    static const char fn[] = "runner:load";
    struct runner *r = check_runner(L, fn);
    rs_ckpt *ck = rs_lua_check_ckpt(L, 2, fn, "checkpoint");
    struct rs_error err = {0};
    if (r->drv.load(r->drv.ud, NULL, ck, &err) != RS_OK)
        return push_failure(L, &err);
    if (!lua_isnoneornil(L, 3))
        r->step = (long)rs_lua_check_integer(L, 3, fn, "step");
    lua_pushboolean(L, 1);
    return 1;
}

static int
l_runner_close(lua_State *L)
{
    struct runner *r = luaL_checkudata(L, 1, RUNNER_MT);
    if (r->open) {
        r->drv.free(r->drv.ud);
        r->open = false;
    }
    rec_fini(&r->rec);
    return 0;
}

static int
l_test_read_ckpt(lua_State *L)
{
    const char *path =
        rs_lua_check_string(L, 1, "repscope.test.read_ckpt", "path");
    struct rs_error err = {0};
    rs_ckpt *ck = rs_ckpt_read(path, &err);
    if (ck == NULL) {
        luaL_pushfail(L);
        lua_pushstring(L, err.msg);
        return 2;
    }
    rs_lua_push_ckpt(L, ck);
    return 1;
}

static int
l_test_srcdir(lua_State *L)
{
    const char *d = getenv("RS_SRCDIR");
    lua_pushstring(L, d != NULL && d[0] != '\0' ? d : ".");
    return 1;
}

/* A fresh directory for test files (under $RS_BUILDDIR/tests/tmp). */
static int
l_test_tmpdir(lua_State *L)
{
    const char *b = getenv("RS_BUILDDIR");
    lua_pushfstring(L, "%s/tests/tmp", b != NULL && b[0] != '\0' ? b : ".");
    return 1;
}

/* out(line): line and a newline on stdout, flushed (TAP output that
 * needs no io: `repscope --safe --test FILE`). */
static int
l_test_out(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    fwrite(s, 1, len, stdout);
    fputc('\n', stdout);
    fflush(stdout);
    return 0;
}

int
luaopen_repscope_test(lua_State *L)
{
    static const luaL_Reg runner_methods[] = {
        {"setup", l_runner_setup},
        {"run", l_runner_run},
        {"steps", l_runner_steps},
        {"set", l_runner_set},
        {"eval", l_runner_eval},
        {"params_json", l_runner_params_json},
        {"views", l_runner_views},
        {"save", l_runner_save},
        {"load", l_runner_load},
        {"close", l_runner_close},
        {"logged", l_test_logged},
        {"series", l_test_series},
        {"matrix", l_test_matrix},
        {"printed", l_test_printed},
        {"events", l_test_events},
        {"clear", l_test_clear},
        {NULL, NULL},
    };
    rs_lua_ckpt_meta(L);
    if (luaL_newmetatable(L, RUNNER_MT)) {
        lua_pushvalue(L, -1);
        luaL_newlib(L, runner_methods);
        lua_setfield(L, -3, "__index");
        lua_pushcfunction(L, l_runner_close);
        lua_setfield(L, -3, "__gc");
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    if (luaL_newmetatable(L, RECORDER_MT)) {
        lua_pushcfunction(L, l_recorder_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);

    static const luaL_Reg funcs[] = {
        {"logged", l_test_logged},
        {"series", l_test_series},
        {"matrix", l_test_matrix},
        {"printed", l_test_printed},
        {"events", l_test_events},
        {"clear", l_test_clear},
        {NULL, NULL},
    };
    lua_createtable(L, 0, 12);
    /* the state's own recorder: the sink of rs.log & co. */
    struct recorder *rec = lua_newuserdatauv(L, sizeof *rec, 0);
    memset(rec, 0, sizeof *rec);
    rec->echo = true;
    luaL_setmetatable(L, RECORDER_MT);
    luaL_setfuncs(L, funcs, 1);
    rs_lua_ctx(L)->sink = rec_sink(rec);
    lua_pushcfunction(L, l_test_scene);
    lua_setfield(L, -2, "scene");
    lua_pushcfunction(L, l_test_read_ckpt);
    lua_setfield(L, -2, "read_ckpt");
    lua_pushcfunction(L, l_test_srcdir);
    lua_setfield(L, -2, "srcdir");
    lua_pushcfunction(L, l_test_tmpdir);
    lua_setfield(L, -2, "tmpdir");
    lua_pushcfunction(L, l_test_out);
    lua_setfield(L, -2, "out");
    return 1;
}

/* package.preload.tap: require "repscope.tap" */
static int
load_tap(lua_State *L)
{
    lua_getglobal(L, "require");
    lua_pushliteral(L, "repscope.tap");
    lua_call(L, 1, 1);
    return 1;
}

int
rs_lua_run_test(const char *path, const struct rs_lua_opts *o)
{
    struct rs_error err = {0};
    lua_State *L = rs_lua_new(o, &err);
    if (L == NULL) {
        printf("Bail out! %s\n", err.msg);
        return 1;
    }
    int status = 1;
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    lua_pushcfunction(L, luaopen_repscope_test);
    lua_setfield(L, -2, "repscope.test");
    lua_pushcfunction(L, load_tap);
    lua_setfield(L, -2, "tap");
    lua_pop(L, 1);
    /* the test kit's recorder becomes the sink before the file runs */
    lua_getglobal(L, "require");
    lua_pushliteral(L, "tap");
    if (rs_lua_call(L, 1, 1, &err) != RS_OK) {
        printf("Bail out! %s\n", err.msg);
        goto out;
    }
    int tap = lua_gettop(L);
    const char *slash = strrchr(path, '/');
    if (slash != NULL) {
        lua_pushlstring(L, path, (size_t)(slash - path));
        rs_lua_add_path(L, lua_tostring(L, -1));
        lua_pop(L, 1);
    }
    if (luaL_loadfilex(L, path, "t") != LUA_OK) {
        printf("Bail out! %s\n", lua_tostring(L, -1));
        goto out;
    }
    if (rs_lua_call(L, 0, 0, &err) != RS_OK) {
        printf("Bail out! %s\n", err.msg);
        goto out;
    }
    lua_getfield(L, tap, "finish");
    if (rs_lua_call(L, 0, 1, &err) != RS_OK) {
        printf("Bail out! %s\n", err.msg);
        goto out;
    }
    status = (int)lua_tointeger(L, -1);
out:
    fflush(stdout);
    rs_lua_free(L);
    return status;
}
