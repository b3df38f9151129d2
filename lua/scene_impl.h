/* repscope - MIT licence, see COPYING.
 *
 * scene_impl.h: internals shared by the scene driver (l_scene.c), its
 * checkpoint sections (l_ckpt.c) and the test runner (l_test.c). Not for
 * use outside lua/. Worker thread only.
 */
#ifndef RS_LUA_SCENE_IMPL_H
#define RS_LUA_SCENE_IMPL_H

#include "lua/bind.h"
#include "run/ckpt.h"

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
