/* repscope - MIT licence, see COPYING.
 *
 * scene_impl.h: internals shared by the scene driver (l_scene.c), its
 * save and load (l_scene_ckpt.c), the checkpoint handle (l_ckpt.c) and
 * the test runner (l_test.c). Not for
 * use outside lua/. Worker thread only.
 */
#ifndef RS_LUA_SCENE_IMPL_H
#define RS_LUA_SCENE_IMPL_H

#include "lua/bind.h"
#include "run/ckpt.h"
#include "run/session.h"

/* A scene as a session driver (the ud of its struct rs_session_driver). */
struct scene_drv {
    lua_State *L;
    struct rs_lua_ctx *ctx; /* L's host context (read without the API) */
    char *path;
    int scene_ref, state_ref, rs_ref; /* registry references */
    int ctx_ref, step_ref;            /* LUA_NOREF until setup */
    struct rs_lua_learner **lb;       /* the learners setup returned (nl) */
    int nl;
    long *every; /* probe periods */
    int nprobes;
    bool built;
    bool stale; /* a param changed that only a rebuild applies */
    struct rs_lua_sink fallback; /* sink when the session is NULL */
    unsigned long seed;          /* seed / total without a session */
    long total;
    char *views_json; /* the last published view specs */
};

/* Point the host sink at session s (the fallback sink if s is NULL). */
void rs_lua_scene_enter(struct scene_drv *d, rs_session *s);
/* The driver's setup: build the learners, bind the probes, publish the
 * views. */
int rs_lua_scene_setup(void *ud, rs_session *s, struct rs_error *err);
/* The params as JSON (a new string; "{}" if they cannot be had). */
char *rs_lua_scene_params_json(void *ud);
/* The live learner at position i (1-based) of the list at the top of the
 * stack, or NULL (released, or no learner). */
rs_learner *rs_lua_scene_nth_learner(lua_State *L, lua_Integer i);
/* The name a checkpoint and an error message give learner l ("_" for the
 * unnamed one). */
const char *rs_lua_scene_learner_name(rs_learner *l);
/* The driver's save and load (l_scene_ckpt.c). */
int rs_lua_scene_save(void *ud, rs_session *s, rs_ckpt *ck,
                      struct rs_error *err);
int rs_lua_scene_load(void *ud, rs_session *s, const rs_ckpt *ck,
                      struct rs_error *err);

/* Driver test hooks (ud is a driver's ud): the sink, seed and total used
 * when a callback gets a NULL session; the last view-spec JSON (borrowed
 * until the next setup). */
void rs_lua_scene_set_fallback(void *ud, const struct rs_lua_sink *sink,
                               unsigned long seed, long total);
const char *rs_lua_scene_views(void *ud);

/* A checkpoint handle for tests: push a box owning ck (taken). */
void rs_lua_push_ckpt(lua_State *L, rs_ckpt *ck);
rs_ckpt *rs_lua_check_ckpt(lua_State *L, int arg, const char *fn,
                           const char *name);
/* Create the checkpoint metatable (idempotent). */
void rs_lua_ckpt_meta(lua_State *L);

#endif /* RS_LUA_SCENE_IMPL_H */
