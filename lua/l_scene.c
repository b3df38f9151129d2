/* repscope - MIT licence, see COPYING.
 *
 * l_scene.c: a Lua scene as a struct rs_session_driver (run/session.h).
 *
 * rs_lua_scene_driver loads the scene and resolves its params; setup runs
 * scene.setup(p), which returns a learner (rs.learner{...}, rs.train{...}),
 * a list of learners, or nil when the scene drives itself through
 * step(ctx); then the probes are bound to learners and the view-spec JSON
 * is published once. Each session step is one C update of every returned
 * learner (rs_learner_update: one step, or a whole update of an attached
 * driver such as PPO's rollout and epochs; no Lua) followed, if the scene
 * has one, by step(ctx) with a ctx table reused across steps. The probe
 * callback decides in C whether any probe is due and only then enters
 * Lua.
 *
 * Names: a single unnamed learner publishes the bare names (train/loss);
 * with two or more every learner of the scene must have its own name
 * (a/train/loss, b/train/loss), checked when setup returns.
 *
 * While a callback runs, the host sink points at the session (rs.log ->
 * rs_session_log, matrices, prints, events); a NULL session (the test
 * runner) uses the fallback sink given by rs_lua_scene_set_fallback.
 * Checkpoints: l_scene_ckpt.c. Scene errors come back as "file:line:
 * message" with the traceback printed to the sink. Worker thread only.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua/bind.h"
#include "lua/scene_impl.h"

/* ---- the session as a sink --------------------------------------------- */

static void
sess_log(void *ud, const char *name, double v)
{
    rs_session_log(ud, name, v);
}

static void
sess_matrix(void *ud, const char *name, int rows, int cols, const float *data,
            const char *const *row_labels, const char *const *col_labels)
{
    rs_session_matrix(ud, name, rows, cols, data, row_labels, col_labels);
}

/* One console line per line of text (tracebacks are several). */
static void
sess_print(void *ud, const char *text)
{
    for (const char *p = text;;) {
        const char *nl = strchr(p, '\n');
        if (nl == NULL) {
            rs_session_print(ud, "%s", p);
            return;
        }
        rs_session_print(ud, "%.*s", (int)(nl - p), p);
        p = nl + 1;
    }
}

static void
sess_event(void *ud, const char *text)
{
    rs_session_event(ud, "%s", text);
}

static void
sess_end_at(void *ud, long step)
{
    rs_session_end_at(ud, step);
}

static bool
sess_interrupted(void *ud)
{
    return rs_session_interrupted(ud);
}

void
rs_lua_scene_enter(struct scene_drv *d, rs_session *s)
{
    struct rs_lua_ctx *c = rs_lua_ctx(d->L);
    if (s != NULL) {
        c->sink = (struct rs_lua_sink){.ud = s,
                                       .log = sess_log,
                                       .matrix = sess_matrix,
                                       .print = sess_print,
                                       .event = sess_event,
                                       .end_at = sess_end_at,
                                       .interrupted = sess_interrupted};
    } else {
        c->sink = d->fallback;
    }
}

/* Push require("repscope.scene")[name]. */
static void
push_helper(lua_State *L, const char *name)
{
    lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_getfield(L, -1, "repscope.scene");
    lua_getfield(L, -1, name);
    lua_replace(L, -3);
    lua_pop(L, 1);
}

/* rs_lua_call for a helper: its messages carry no position, so name the
 * scene file. */
static int
call_helper(struct scene_drv *d, int nargs, int nres, struct rs_error *err)
{
    int rc = rs_lua_call(d->L, nargs, nres, err);
    if (rc != RS_OK && err != NULL &&
        strncmp(err->msg, d->path, strlen(d->path)) != 0) {
        char msg[sizeof err->msg];
        int k = snprintf(msg, sizeof msg, "%.500s: ", d->path);
        snprintf(msg + k, sizeof msg - (size_t)k, "%.*s",
                 (int)(sizeof msg - (size_t)k - 1), err->msg);
        memcpy(err->msg, msg, sizeof msg);
    }
    return rc;
}

static void
unref(lua_State *L, int *ref)
{
    luaL_unref(L, LUA_REGISTRYINDEX, *ref);
    *ref = LUA_NOREF;
}

static void
drv_teardown(void *ud)
{
    struct scene_drv *d = ud;
    if (!d->built)
        return;
    lua_State *L = d->L;
    unref(L, &d->ctx_ref);
    unref(L, &d->step_ref);
    /* Forget the learners and what setup stored in the state. */
    rs_lua_push_learners(L);
    for (lua_Integer i = luaL_len(L, -1); i >= 1; i--) {
        lua_pushnil(L);
        lua_rawseti(L, -2, i);
    }
    lua_pop(L, 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, d->state_ref);
    static const char *const fields[] = {"trainer", "learners", "all_learners",
                                         "probes", "ctx"};
    for (size_t i = 0; i < RS_ARRAY_LEN(fields); i++) {
        lua_pushnil(L);
        lua_setfield(L, -2, fields[i]);
    }
    lua_pop(L, 1);
    lua_gc(L, LUA_GCCOLLECT);
    free(d->lb);
    d->lb = NULL;
    d->nl = 0;
    free(d->every);
    d->every = NULL;
    d->nprobes = 0;
    d->built = false;
}

/* The name a checkpoint and an error message give learner l. */
const char *
rs_lua_scene_learner_name(rs_learner *l)
{
    const char *n = rs_learner_name(l);
    return n[0] != '\0' ? n : "_";
}

/* The live learner at position i (1-based) of the list at the top of
 * the stack, or NULL (released, or no learner). */
rs_learner *
rs_lua_scene_nth_learner(lua_State *L, lua_Integer i)
{
    lua_rawgeti(L, -1, i);
    rs_learner *l = rs_lua_test_learner(L, -1);
    lua_pop(L, 1);
    return l;
}

/* Two live learners of the state may not share a name (metrics and
 * checkpoint sections would collide). */
static int
check_distinct(struct scene_drv *d, struct rs_error *err)
{
    lua_State *L = d->L;
    rs_lua_push_learners(L); /* list */
    int n = (int)luaL_len(L, -1), rc = RS_OK;
    for (int i = 1; i <= n && rc == RS_OK; i++) {
        rs_learner *a = rs_lua_scene_nth_learner(L, i);
        for (int j = i + 1; a != NULL && j <= n && rc == RS_OK; j++) {
            rs_learner *b = rs_lua_scene_nth_learner(L, j);
            if (b == NULL || strcmp(rs_learner_name(a), rs_learner_name(b)))
                continue;
            if (rs_learner_name(a)[0] == '\0')
                rc = rs_error_set(err, RS_EINVAL,
                                  "%s: the scene made two learners without "
                                  "a name (give each learner its own name=)",
                                  d->path);
            else
                rc = rs_error_set(err, RS_EINVAL,
                                  "%s: two learners are named '%s' (give "
                                  "each learner its own name=)",
                                  d->path, rs_learner_name(a));
        }
    }
    lua_pop(L, 1);
    return rc;
}

/* What setup returned (at the top: nil, a learner or a list of them)
 * becomes state.learners (and state.trainer for a single one); popped.
 * Every live learner of the state goes to state.all_learners. */
static int
take_learners(struct scene_drv *d, int state, bool has_step,
              struct rs_error *err)
{
    lua_State *L = d->L;
    int res = lua_gettop(L);
    lua_newtable(L); /* res list */
    int list = res + 1;
    if (luaL_testudata(L, res, RS_LUA_LEARNER_MT) != NULL) {
        lua_pushvalue(L, res);
        lua_rawseti(L, list, 1);
    } else if (lua_istable(L, res) && !lua_getmetatable(L, res)) {
        for (lua_Integer i = 1; i <= luaL_len(L, res); i++) {
            lua_rawgeti(L, res, i);
            if (luaL_testudata(L, -1, RS_LUA_LEARNER_MT) == NULL)
                return rs_error_set(err, RS_EINVAL,
                                    "%s: setup returned a list whose entry "
                                    "%d is a %s (learners expected)",
                                    d->path, (int)i, rs_lua_kind_name(L, -1));
            lua_rawseti(L, list, i);
        }
    } else if (!lua_isnil(L, res)) {
        return rs_error_set(err, RS_EINVAL,
                            "%s: setup returned a %s (a learner, a list of "
                            "learners or nil expected)",
                            d->path, rs_lua_kind_name(L, res));
    }
    int n = (int)luaL_len(L, list);
    if (n == 0 && !has_step)
        return rs_error_set(err, RS_EINVAL,
                            "%s: setup returned nil and the scene has no "
                            "step(ctx)",
                            d->path);
    d->lb = rs_xcalloc((size_t)n + 1, sizeof *d->lb);
    for (int i = 0; i < n; i++) {
        lua_rawgeti(L, list, i + 1);
        d->lb[i] = lua_touserdata(L, -1);
        lua_pop(L, 1);
        if (d->lb[i]->l == NULL)
            return rs_error_set(err, RS_EINVAL,
                                "%s: setup returned a released learner",
                                d->path);
        if (n > 1 && rs_learner_name(d->lb[i]->l)[0] == '\0')
            return rs_error_set(err, RS_EINVAL,
                                "%s: setup returned %d learners and learner "
                                "%d has no name (give each learner its own "
                                "name=)",
                                d->path, n, i + 1);
    }
    d->nl = n;
    int rc = check_distinct(d, err);
    if (rc != RS_OK)
        return rc;
    lua_pushvalue(L, list);
    lua_setfield(L, state, "learners");
    if (n == 1) {
        lua_rawgeti(L, list, 1);
        lua_setfield(L, state, "trainer");
    }
    /* every live learner, in creation order */
    lua_newtable(L); /* res list all */
    rs_lua_push_learners(L);
    for (lua_Integer i = 1, k = 0; i <= luaL_len(L, -1); i++) {
        lua_rawgeti(L, -1, i);
        if (rs_lua_test_learner(L, -1) != NULL)
            lua_rawseti(L, -3, ++k);
        else
            lua_pop(L, 1);
    }
    lua_pop(L, 1);
    lua_setfield(L, state, "all_learners");
    lua_settop(L, res - 1);
    return RS_OK;
}

int
rs_lua_scene_setup(void *ud, rs_session *s, struct rs_error *err)
{
    struct scene_drv *d = ud;
    lua_State *L = d->L;
    drv_teardown(d);
    rs_lua_scene_enter(d, s);
    d->stale = false;
    struct rs_lua_ctx *c = rs_lua_ctx(L);
    unsigned long seed = s != NULL ? rs_session_seed(s) : d->seed;
    c->total_steps = s != NULL ? rs_session_total(s) : d->total;
    rs_rng_seed(&c->rng, seed);
    int top = lua_gettop(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, d->state_ref); /* state */
    int state = lua_gettop(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, d->scene_ref); /* state scene */
    int scene = lua_gettop(L);
    int rc = RS_OK;
    if (lua_getfield(L, scene, "setup") == LUA_TFUNCTION) {
        lua_getfield(L, state, "p");
        if ((rc = rs_lua_call(L, 1, 1, err)) != RS_OK)
            goto out;
    } else {
        lua_pop(L, 1);
        lua_pushnil(L);
    }
    /* state scene result */
    bool has_step = lua_getfield(L, scene, "step") == LUA_TFUNCTION;
    lua_pop(L, 1);
    if ((rc = take_learners(d, state, has_step, err)) != RS_OK)
        goto out;
    /* probes and views */
    push_helper(L, "prepare");
    lua_pushvalue(L, state);
    if ((rc = call_helper(d, 1, 2, err)) != RS_OK)
        goto out;
    /* state scene every json */
    d->nprobes = (int)luaL_len(L, -2);
    d->every = rs_xcalloc((size_t)d->nprobes + 1, sizeof *d->every);
    for (int i = 0; i < d->nprobes; i++) {
        lua_geti(L, -2, i + 1);
        d->every[i] = (long)lua_tointeger(L, -1);
        lua_pop(L, 1);
    }
    free(d->views_json);
    d->views_json = rs_xstrdup(lua_tostring(L, -1));
    /* ctx and step hook */
    push_helper(L, "ctx");
    lua_pushvalue(L, state);
    lua_rawgeti(L, LUA_REGISTRYINDEX, d->rs_ref);
    lua_pushinteger(L, (lua_Integer)seed);
    if ((rc = call_helper(d, 3, 1, err)) != RS_OK)
        goto out;
    d->ctx_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    if (has_step) {
        lua_getfield(L, scene, "step");
        d->step_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    d->built = true;
    if (s != NULL) {
        rs_bus_set_views(rs_session_bus(s), d->views_json);
        lua_getfield(L, scene, "title");
        rs_session_set_title(s, lua_tostring(L, -1));
    }
out:
    lua_settop(L, top);
    if (rc != RS_OK) {
        d->built = true; /* let teardown drop whatever was made */
        drv_teardown(d);
    }
    return rc;
}

static int
drv_step(void *ud, rs_session *s, long step, struct rs_error *err)
{
    struct scene_drv *d = ud;
    lua_State *L = d->L;
    if (!d->built)
        return rs_error_set(err, RS_EINVAL, "%s: step before setup", d->path);
    rs_lua_scene_enter(d, s);
    double loss = 0.0;
    if (d->nl > 0) {
        /* learners that share nothing update side by side, one core each
         * (algo/learner.h, rs_learners_update) */
        rs_learner **ls = rs_xcalloc((size_t)d->nl, sizeof *ls);
        struct rs_learner_stats *st = rs_xcalloc((size_t)d->nl, sizeof *st);
        int rc = RS_OK;
        for (int i = 0; i < d->nl && rc == RS_OK; i++)
            if ((ls[i] = d->lb[i]->l) == NULL)
                rc = rs_error_set(err, RS_EINVAL,
                                  "%s: the scene released a learner", d->path);
        if (rc == RS_OK)
            rc = rs_learners_update(ls, d->nl, true, st, err);
        loss = st[d->nl - 1].loss;
        free(st);
        free(ls);
        if (rc != RS_OK) {
            if (rc == RS_ENONFINITE && s != NULL)
                rs_session_nonfinite(s, err->msg);
            return rc;
        }
    }
    if (d->step_ref == LUA_NOREF)
        return RS_OK;
    lua_rawgeti(L, LUA_REGISTRYINDEX, d->step_ref);
    lua_rawgeti(L, LUA_REGISTRYINDEX, d->ctx_ref);
    lua_pushinteger(L, step);
    lua_setfield(L, -2, "step");
    if (d->nl == 1) {
        lua_pushnumber(L, loss);
        lua_setfield(L, -2, "loss");
    }
    return rs_lua_call(L, 1, 0, err);
}

static int
drv_probe(void *ud, rs_session *s, long step, struct rs_error *err)
{
    struct scene_drv *d = ud;
    bool due = false;
    for (int i = 0; i < d->nprobes && !due; i++)
        due = step % d->every[i] == 0;
    if (!due || !d->built)
        return RS_OK;
    rs_lua_scene_enter(d, s);
    push_helper(d->L, "run_probes");
    lua_rawgeti(d->L, LUA_REGISTRYINDEX, d->state_ref);
    lua_pushinteger(d->L, step);
    return call_helper(d, 2, 0, err);
}

/* Re-read the probe periods from the state (the console may add one). */
static void
refresh_periods(struct scene_drv *d)
{
    lua_State *L = d->L;
    push_helper(L, "periods");
    lua_rawgeti(L, LUA_REGISTRYINDEX, d->state_ref);
    if (rs_lua_call(L, 1, 1, NULL) != RS_OK)
        return;
    int n = (int)luaL_len(L, -1);
    free(d->every);
    d->every = rs_xcalloc((size_t)n + 1, sizeof *d->every);
    for (int i = 0; i < n; i++) {
        lua_geti(L, -1, i + 1);
        d->every[i] = (long)lua_tointeger(L, -1);
        lua_pop(L, 1);
    }
    d->nprobes = n;
    lua_pop(L, 1);
}

static int
drv_eval(void *ud, rs_session *s, const char *code, struct rs_error *err)
{
    struct scene_drv *d = ud;
    rs_lua_scene_enter(d, s);
    push_helper(d->L, "eval");
    lua_rawgeti(d->L, LUA_REGISTRYINDEX, d->state_ref);
    lua_rawgeti(d->L, LUA_REGISTRYINDEX, d->rs_ref);
    lua_pushstring(d->L, code);
    int rc = rs_lua_call(d->L, 3, 0, err);
    if (d->built)
        refresh_periods(d);
    return rc;
}

static int
drv_set_param(void *ud, rs_session *s, const char *key, const char *value,
              struct rs_error *err)
{
    struct scene_drv *d = ud;
    rs_lua_scene_enter(d, s);
    push_helper(d->L, "set_param");
    lua_rawgeti(d->L, LUA_REGISTRYINDEX, d->state_ref);
    lua_pushstring(d->L, key);
    lua_pushstring(d->L, value);
    int rc = rs_lua_call(d->L, 3, 2, err);
    if (rc == RS_OK) {
        /* text live: the session records the event itself; a change that
         * waits for a restart is said on the console */
        if (!lua_toboolean(d->L, -1)) {
            rs_lua_print(d->L, lua_tostring(d->L, -2));
            d->stale = d->built;
        }
        lua_pop(d->L, 2);
    }
    return rc;
}

char *
rs_lua_scene_params_json(void *ud)
{
    struct scene_drv *d = ud;
    push_helper(d->L, "params_json");
    lua_rawgeti(d->L, LUA_REGISTRYINDEX, d->state_ref);
    struct rs_error err = {0};
    if (rs_lua_call(d->L, 1, 1, &err) != RS_OK)
        return rs_xstrdup("{}");
    char *s = rs_xstrdup(lua_tostring(d->L, -1));
    lua_pop(d->L, 1);
    return s;
}

/* Plain read of the allocator's count: no Lua API, so it is safe from
 * the status publisher whatever the state is doing. */
static size_t
drv_mem_bytes(void *ud)
{
    return ((struct scene_drv *)ud)->ctx->mem_used;
}

static void
drv_free(void *ud)
{
    struct scene_drv *d = ud;
    if (d == NULL)
        return;
    drv_teardown(d);
    rs_lua_free(d->L);
    free(d->views_json);
    free(d->path);
    free(d);
}

/* ---- construction ------------------------------------------------------ */

static void
file_stem(const char *path, char *out, size_t len)
{
    const char *base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 4 && strcmp(base + n - 4, ".lua") == 0)
        n -= 4;
    snprintf(out, len, "%.*s", (int)n, base);
}

/* Fill info from the scene table on top of the stack. */
static void
fill_info(lua_State *L, const char *path, struct rs_lua_scene_info *info)
{
    memset(info, 0, sizeof *info);
    file_stem(path, info->name, sizeof info->name);
    lua_getfield(L, -1, "title");
    snprintf(info->title, sizeof info->title, "%s",
             lua_isstring(L, -1) ? lua_tostring(L, -1) : "");
    lua_pop(L, 1);
    lua_getfield(L, -1, "notes");
    snprintf(info->notes, sizeof info->notes, "%s",
             lua_isstring(L, -1) ? lua_tostring(L, -1) : "");
    lua_pop(L, 1);
    info->steps = lua_getfield(L, -1, "steps") == LUA_TNUMBER
                      ? (long)lua_tointeger(L, -1)
                      : -1;
    lua_pop(L, 1);
}

int
rs_lua_scene_info(const char *path, struct rs_lua_scene_info *info,
                  struct rs_error *err)
{
    struct rs_lua_opts o;
    rs_lua_opts_default(&o);
    o.safe = true;
    lua_State *L = rs_lua_new(&o, err);
    if (L == NULL)
        return err != NULL ? err->code : RS_ENOMEM;
    int rc = rs_lua_load_scene(L, path, err);
    if (rc == RS_OK)
        fill_info(L, path, info);
    rs_lua_free(L);
    return rc;
}

int
rs_lua_scene_driver(const char *path, const char *const *overrides, int n,
                    const struct rs_lua_opts *o, struct rs_session_driver *out,
                    struct rs_lua_scene_info *info, struct rs_error *err)
{
    lua_State *L = rs_lua_new(o, err);
    if (L == NULL)
        return err != NULL ? err->code : RS_ENOMEM;
    int rc = rs_lua_load_scene(L, path, err);
    if (rc != RS_OK) {
        rs_lua_free(L);
        return rc;
    }
    /* scene */
    struct rs_lua_scene_info local;
    fill_info(L, path, info != NULL ? info : &local);
    push_helper(L, "params");
    lua_pushvalue(L, -2);
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        lua_pushstring(L, overrides[i]);
        lua_rawseti(L, -2, i + 1);
    }
    if ((rc = rs_lua_call(L, 2, 1, err)) != RS_OK) {
        rs_lua_free(L);
        return rc;
    }
    /* scene p */
    struct scene_drv *d = rs_xcalloc(1, sizeof *d);
    d->L = L;
    d->ctx = rs_lua_ctx(L);
    d->path = rs_xstrdup(path);
    d->ctx_ref = d->step_ref = LUA_NOREF;
    d->seed = 1;
    d->total = -1;
    lua_createtable(L, 0, 6); /* scene p state */
    lua_pushvalue(L, -2);
    lua_setfield(L, -2, "p");
    lua_pushvalue(L, -3);
    lua_setfield(L, -2, "scene");
    d->state_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pop(L, 1);
    d->scene_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_getglobal(L, "require");
    lua_pushliteral(L, "repscope");
    lua_call(L, 1, 1);
    d->rs_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    *out = (struct rs_session_driver){
        .ud = d,
        .setup = rs_lua_scene_setup,
        .step = drv_step,
        .probe = drv_probe,
        .eval = drv_eval,
        .set_param = drv_set_param,
        .params_json = rs_lua_scene_params_json,
        .save = rs_lua_scene_save,
        .load = rs_lua_scene_load,
        .teardown = drv_teardown,
        .free = drv_free,
        .mem_bytes = drv_mem_bytes,
    };
    return RS_OK;
}

/* ---- test hooks (lua/scene_impl.h) ------------------------------------- */

void
rs_lua_scene_set_fallback(void *ud, const struct rs_lua_sink *sink,
                          unsigned long seed, long total)
{
    struct scene_drv *d = ud;
    d->fallback = *sink;
    d->seed = seed;
    d->total = total;
}

const char *
rs_lua_scene_views(void *ud)
{
    return ((struct scene_drv *)ud)->views_json;
}
