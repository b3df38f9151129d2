/* repscope - MIT licence, see COPYING.
 *
 * scene_impl.h: internals shared by the scene driver (l_scene.c), its
 * checkpoint sections (l_ckpt.c) and the test runner (l_test.c). Not for
 * use outside lua/. Worker thread only.
 */
#ifndef RS_LUA_SCENE_IMPL_H
#define RS_LUA_SCENE_IMPL_H

#include "algo/seqtrain.h"
#include "algo/supervised.h"
#include "lua/bind.h"
#include "run/ckpt.h"

/* What a trainer's checkpoint sections are made of, for any kind of
 * trainer: its model's parameters, its optimiser's buffers and its state
 * words (saved/loaded through the two callbacks on tr). */
struct rs_lua_ckpt_trainer {
    void *tr;
    rs_nn_model *model;
    rs_optim *optim;
    size_t state_words;
    void (*state_save)(const void *tr, uint64_t *w);
    int (*state_load)(void *tr, const uint64_t *w, size_t n,
                      struct rs_error *err);
};
void rs_lua_ckpt_save_sections(rs_ckpt *ck, int k,
                               const struct rs_lua_ckpt_trainer *t);
RS_NODISCARD int rs_lua_ckpt_load_sections(const rs_ckpt *ck, int k,
                                           const struct rs_lua_ckpt_trainer *t,
                                           struct rs_error *err);

/* Trainer k (1-based) of a state into / out of a checkpoint: sections
 * "trainer<k>/state" (u64, rs_algo_supervised_state_save),
 * "trainer<k>/param/<name>" (f32, every model parameter) and
 * "trainer<k>/optim/<i>/m|v" (f32, the optimiser buffers it keeps).
 * load fails (RS_EFORMAT, naming the section) on a missing section or a
 * size that differs from the trainer's, before changing anything. */
void rs_lua_scene_save_trainer(rs_ckpt *ck, int k, rs_algo_supervised *tr);
RS_NODISCARD int rs_lua_scene_load_trainer(const rs_ckpt *ck, int k,
                                           rs_algo_supervised *tr,
                                           struct rs_error *err);
/* The same for a sequence trainer (rs.train.seq, l_seqtrain.c), in the
 * same section layout; rs_lua_test_seqtrain: the live trainer of the
 * handle at idx, or NULL if it is none or released. load checks every
 * section before changing anything. */
rs_algo_seqtrain *rs_lua_test_seqtrain(lua_State *L, int idx);
void rs_lua_scene_save_seqtrain(rs_ckpt *ck, int k, rs_algo_seqtrain *st);
RS_NODISCARD int rs_lua_scene_load_seqtrain(const rs_ckpt *ck, int k,
                                            rs_algo_seqtrain *st,
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
