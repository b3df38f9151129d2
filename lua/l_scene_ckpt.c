/* repscope - MIT licence, see COPYING.
 *
 * l_scene_ckpt.c: a Lua scene's checkpoint sections, the save and load of
 * its session driver (l_scene.c). Format "repscope-lua 2": every learner
 * of the state under its name (run/ckpt_learner.h), the learners' names in
 * creation order, the scene's params and the Lua-side RNGs. A format-1
 * checkpoint (trainers counted by creation order) is refused with the
 * reason; a resume with other params is allowed once the shapes match,
 * and says so. Worker thread only.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua/bind.h"
#include "lua/scene_impl.h"
#include "run/ckpt_learner.h"

/* The RNG of the ctx (the scene's ctx.rng), or NULL. */
static struct rs_rng *
ctx_rng(struct scene_drv *d)
{
    if (d->ctx_ref == LUA_NOREF)
        return NULL;
    lua_rawgeti(d->L, LUA_REGISTRYINDEX, d->ctx_ref);
    lua_getfield(d->L, -1, "rng");
    struct rs_rng *r = luaL_testudata(d->L, -1, RS_LUA_RNG_MT);
    lua_pop(d->L, 2);
    return r;
}

/* The section "lua/format" this version writes and reads. */
#define LUA_CKPT_FORMAT "repscope-lua 2"
/* Room for the names of a scene's learners ("a b _"). */
#define LEARNER_NAMES_MAX 1024

/* The live learners' names in creation order, space-separated, "_" for
 * the unnamed one (section "lua/learners"). */
static void
learner_names(struct scene_drv *d, char out[LEARNER_NAMES_MAX])
{
    lua_State *L = d->L;
    size_t k = 0;
    out[0] = '\0';
    rs_lua_push_learners(L);
    int n = (int)luaL_len(L, -1);
    for (int i = 1; i <= n; i++) {
        rs_learner *l = rs_lua_scene_nth_learner(L, i);
        if (l == NULL)
            continue;
        int w = snprintf(out + k, LEARNER_NAMES_MAX - k, "%s%s",
                         k > 0 ? " " : "", rs_lua_scene_learner_name(l));
        if (w < 0 || (size_t)w >= LEARNER_NAMES_MAX - k)
            break;
        k += (size_t)w;
    }
    lua_pop(L, 1);
}

int
rs_lua_scene_save(void *ud, rs_session *s, rs_ckpt *ck, struct rs_error *err)
{
    struct scene_drv *d = ud;
    (void)s;
    if (!d->built)
        return rs_error_set(err, RS_EINVAL, "%s: save before setup", d->path);
    lua_State *L = d->L;
    rs_ckpt_put_text(ck, "lua/format", LUA_CKPT_FORMAT);
    char *params = rs_lua_scene_params_json(d);
    rs_ckpt_put_text(ck, "lua/params", params);
    free(params);
    rs_ckpt_put_u64s(ck, "lua/rng", rs_lua_ctx(L)->rng.s, 4);
    struct rs_rng *cr = ctx_rng(d);
    if (cr != NULL)
        rs_ckpt_put_u64s(ck, "lua/ctx_rng", cr->s, 4);
    char names[LEARNER_NAMES_MAX];
    learner_names(d, names);
    rs_ckpt_put_text(ck, "lua/learners", names);
    rs_lua_push_learners(L);
    int n = (int)luaL_len(L, -1);
    for (int i = 1; i <= n; i++) {
        rs_learner *l = rs_lua_scene_nth_learner(L, i);
        if (l != NULL)
            rs_ckpt_learner_save(ck, l);
    }
    lua_pop(L, 1);
    return RS_OK;
}

int
rs_lua_scene_load(void *ud, rs_session *s, const rs_ckpt *ck,
                  struct rs_error *err)
{
    struct scene_drv *d = ud;
    rs_lua_scene_enter(d, s);
    if (!d->built)
        return rs_error_set(err, RS_EINVAL, "%s: load before setup", d->path);
    lua_State *L = d->L;
    /* A resume applies the checkpoint's params after setup: rebuild if
     * one of them needs it, so the shapes match what was saved. */
    int rc = RS_OK;
    if (d->stale && (rc = rs_lua_scene_setup(d, s, err)) != RS_OK)
        return rc;
    const char *fmt = rs_ckpt_text(ck, "lua/format");
    if (fmt != NULL && strcmp(fmt, "repscope-lua 1") == 0)
        return rs_error_set(err, RS_EFORMAT,
                            "checkpoint format 1 (trainers by creation "
                            "order, before learners) cannot be resumed by "
                            "this version: start the run again");
    if (fmt == NULL || strcmp(fmt, LUA_CKPT_FORMAT) != 0)
        return rs_error_set(err, RS_EFORMAT,
                            "the checkpoint was not made by a Lua scene "
                            "(section 'lua/format' missing or unknown)");
    const char *saved_names = rs_ckpt_text(ck, "lua/learners");
    char names[LEARNER_NAMES_MAX];
    learner_names(d, names);
    if (saved_names == NULL || strcmp(saved_names, names) != 0)
        return rs_error_set(err, RS_EFORMAT,
                            "the checkpoint has the learners '%.200s', the "
                            "scene built '%.200s'",
                            saved_names != NULL ? saved_names : "", names);
    if (names[0] != '\0' && (rc = rs_ckpt_learner_check(ck, err)) != RS_OK)
        return rc;
    rs_lua_push_learners(L);
    int n = (int)luaL_len(L, -1);
    for (int i = 1; i <= n && rc == RS_OK; i++) {
        rs_learner *l = rs_lua_scene_nth_learner(L, i);
        if (l != NULL)
            rc = rs_ckpt_learner_load(ck, l, err);
    }
    lua_pop(L, 1);
    if (rc != RS_OK)
        return rc;
    size_t nw = 0;
    const uint64_t *r = rs_ckpt_u64s(ck, "lua/rng", &nw);
    if (r != NULL && nw == 4)
        memcpy(rs_lua_ctx(L)->rng.s, r, sizeof rs_lua_ctx(L)->rng.s);
    struct rs_rng *cr = ctx_rng(d);
    r = rs_ckpt_u64s(ck, "lua/ctx_rng", &nw);
    if (cr != NULL && r != NULL && nw == 4)
        memcpy(cr->s, r, sizeof cr->s);
    /* A resume with other params is allowed (shapes were checked); say
     * so in the console. */
    const char *saved = rs_ckpt_text(ck, "lua/params");
    char *now = rs_lua_scene_params_json(d);
    if (saved != NULL && strcmp(saved, now) != 0) {
        char line[600];
        snprintf(line, sizeof line,
                 "note: the checkpoint was made with params %.250s; this run "
                 "has %.250s",
                 saved, now);
        rs_lua_print(L, line);
    }
    free(now);
    return RS_OK;
}
