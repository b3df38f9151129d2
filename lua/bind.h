/* repscope - MIT licence, see COPYING.
 *
 * bind.h: what the binding files (lua/l_*.c, host.c) share: metatable
 * names, the per-state host context, handle boxes, argument checks that
 * raise errors naming the function, the argument and the expected type,
 * and the module openers. The one umbrella header of the project
 * (doc/design.md, "Layers"): binding files include this and nothing
 * else of lua/.
 *
 * Error message shapes (tests check them word for word):
 *   "<fn>: bad argument #<n> '<name>' (<expected> expected, got <type>)"
 *   "<fn>: bad argument #<n> '<name>' (<free text>)"
 *   "<fn>: bad self (<expected> expected, got <type>)"   (methods; their
 *                                           arguments count after self)
 *   "<fn>: bad field '<key>' (<expected> expected, got <type>)"
 *   "<fn>: bad field '<key>' (<free text>)"
 *   "<fn>: unknown field '<key>' (known: a, b, c)"
 *   "<fn>: <C error message>"               (an rs_status from the engine)
 *   "<fn>: in <op>: <graph message>"        (an op failed in a graph)
 * where <fn> is the Lua spelling: "rs.nn.mlp", "tensor:matmul". luaL_error
 * prefixes "file:line:" of the calling Lua code.
 *
 * One prefix per message, and it is <fn>, the function the user called:
 * the engine (src/) writes its messages without a prefix naming its own
 * module ("batch = 0 (must be in 1..1024)", not "train: batch = ..."),
 * and only the binding adds one, through rs_lua_status_error. A graph
 * names the op that failed first ("matmul: inner dimensions differ"):
 * that becomes "in matmul: ...", or is dropped for a method named after
 * the op (tensor:matmul). A module prefix that creeps back in then shows
 * as "in train: ..." and tests/lua/t_errors.lua fails.
 *
 * Handles (doc/design.md, "Ownership"): a userdata box holds a retained
 * pointer; __gc, __close and :release() drop it and set it NULL; the checkers
 * raise "attempt to use a released <kind>" on NULL. Boxes are created closed
 * (NULL) before the resource is acquired, so an allocation error in Lua never
 * leaks. Worker thread only (one lua_State, one thread).
 */
#ifndef RS_LUA_BIND_H
#define RS_LUA_BIND_H

#include <stdbool.h>
#include <stddef.h>

#include <lauxlib.h>
#include <lua.h>

#include "algo/learner.h"
#include "algo/objective.h"
#include "algo/ppo.h"
#include "core/base.h"
#include "core/graph.h"
#include "core/optim.h"
#include "core/rng.h"
#include "core/sched.h"
#include "core/tensor.h"
#include "data/dataset.h"
#include "data/source.h"
#include "data/text.h"
#include "lua/host.h"
#include "data/seqtask.h"
#include "env/env.h"
#include "nn/module.h"
#include "nn/transformer.h"

#define RS_LUA_TENSOR_MT "repscope.tensor"
#define RS_LUA_MODULE_MT "repscope.module"
#define RS_LUA_DATASET_MT "repscope.dataset"
#define RS_LUA_OPTIM_SPEC_MT "repscope.optim_spec"
#define RS_LUA_OPTIM_MT "repscope.optim"
#define RS_LUA_SCHED_MT "repscope.sched"
#define RS_LUA_RNG_MT "repscope.rng"
#define RS_LUA_CKPT_MT "repscope.ckpt"
#define RS_LUA_SEQTASK_MT "repscope.seqtask"
#define RS_LUA_TRANSFORMER_MT "repscope.transformer"
#define RS_LUA_GRIFFIN_MT "repscope.griffin"
#define RS_LUA_LEARNER_MT "repscope.learner"
#define RS_LUA_SOURCE_MT "repscope.source"
#define RS_LUA_OBJECTIVE_MT "repscope.objective"
#define RS_LUA_ENV_MT "repscope.env"

/* Where rs.log / matrices / prints go: the session while a driver
 * callback runs, the test recorder under `repscope --test`, nowhere
 * otherwise (all members may be NULL). */
struct rs_lua_sink {
    void *ud;
    void (*log)(void *ud, const char *name, double value);
    /* row_labels/col_labels: NULL or rows/cols strings */
    void (*matrix)(void *ud, const char *name, int rows, int cols,
                   const float *data, const char *const *row_labels,
                   const char *const *col_labels);
    void (*print)(void *ud, const char *text);
    void (*event)(void *ud, const char *text);
    /* rs.end_at: the run ends after step (run/session.h rs_session_end_at) */
    void (*end_at)(void *ud, long step);
    /* polled by the count hook every few thousand VM instructions: true
     * makes the running code raise "canceled" (the session's interrupt:
     * console ctrl-c, a second quit); any thread may cause it to flip */
    bool (*interrupted)(void *ud);
};

/* The host context of a lua_State (registry, static address key). */
struct rs_lua_ctx {
    bool safe;
    size_t mem_used, mem_peak, mem_limit; /* Lua heap bytes; limit 0:
                                             none */
    size_t ext_live; /* bytes of the tensors made for Lua whose boxes are
                        alive: they count against mem_limit too */
    bool mem_refused; /* a tensor was refused under the cap in this
                         outermost call (rs_lua_call: RS_ENOMEM) */
    bool canceled;    /* the count hook raised "canceled" in this call */
    char *safe_path;  /* safe: the package.path the host set (require
                         searches only this; Lua cannot change it) */
    int in_call; /* rs_lua_call depth: the cap binds only inside one */
    const atomic_bool *cancel;
    /* VM instructions counted (in HOOK_COUNT steps) since the outermost
     * rs_lua_call began, and its cap (0: none); instr_over is set once
     * the cap is passed and stays set until the next outermost call */
    unsigned long long instr_used, instr_limit;
    bool instr_over;
    struct rs_lua_sink sink;
    rs_graph *scratch; /* no-grad graph for tensor arithmetic */
    struct rs_rng rng; /* rs.seed: initialisers and rs.tensor.randn */
    long total_steps;  /* the session's planned steps, -1 unknown */
    char *builtin_dir; /* .../lua */
    size_t ext_bytes;  /* tensor bytes given to Lua since the last GC */
    char warn[512];    /* pieces of the warning being assembled */
    size_t warn_len;
    /* the last scene loaded: Lua cuts a long chunk name to "...<tail>" in
     * positions; rs_lua_call puts the whole path back */
    char scene_path[1024];
};

struct rs_lua_ctx *rs_lua_ctx(lua_State *L);
/* Count n steps of work a C function does for Lua (host_match.c's
 * pattern steps) as n instructions: past the cap, or once the run is
 * canceled, raise as the count hook does, blaming the Lua caller. */
void rs_lua_charge(lua_State *L, unsigned long long n);
/* string.find, match, gmatch, gsub: the pattern matcher that pays
 * (host_match.c); every state, after the string library is open. */
void rs_lua_install_match(lua_State *L);
/* ---- --safe (host_safe.c) --------------------------------------------- */
/* package.searchers entry of a safe state: a plain module name (dot-
 * separated words of letters, digits, '_' and '-'), searched on
 * ctx->safe_path whatever package.path says (a changed one raises). */
int rs_lua_safe_searcher(lua_State *L);
/* Close what the restricted library set leaves reachable (see
 * host_safe.c); once, in a protected call, after every module is open so
 * that all the handle metatables exist. */
void rs_lua_safe_harden(lua_State *L);
/* May the scene read files at path? Always outside --safe; in safe mode
 * only if it exists and resolves (symbolic links followed) inside the
 * scene's directory or the builtin library. Callers raise
 * "<fn>: bad field '<key>' ('<path>': outside the scene's directory,
 * not allowed in --safe mode)". */
bool rs_lua_path_allowed(lua_State *L, const char *path);
/* Push require("repscope.scene")[field], a helper of the pure-Lua layer
 * (host.c). */
void rs_lua_push_scene_fn(lua_State *L, const char *field);

/* ---- sink shortcuts (no-ops without a sink) ---------------------------- */
void rs_lua_log(lua_State *L, const char *name, double value);
void rs_lua_matrix(lua_State *L, const char *name, int rows, int cols,
                   const float *data);
/* The same with axis labels (either may be NULL; borrowed for the call). */
void rs_lua_matrix_labeled(lua_State *L, const char *name, int rows, int cols,
                           const float *data, const char *const *row_labels,
                           const char *const *col_labels);
void rs_lua_print(lua_State *L, const char *text);
void rs_lua_event(lua_State *L, const char *text);

/* ---- errors: all raise (never return) ---------------------------------- */
int rs_lua_arg_error(lua_State *L, const char *fn, int arg, const char *name,
                     const char *fmt, ...) RS_PRINTF(5, 6);
int rs_lua_type_error(lua_State *L, const char *fn, int arg, const char *name,
                      const char *expected);
int rs_lua_field_error(lua_State *L, const char *fn, const char *key,
                       const char *fmt, ...) RS_PRINTF(4, 5);
int rs_lua_field_type_error(lua_State *L, const char *fn, const char *key,
                            const char *expected, int type_idx);
/* "<fn>: <err->msg>" (an op's name first becomes "in <op>: ", see
 * above). */
int rs_lua_status_error(lua_State *L, const char *fn,
                        const struct rs_error *err);
/* Push the same message without raising (for `return nil, msg`). */
void rs_lua_push_status(lua_State *L, const char *fn,
                        const struct rs_error *err);

/* ---- argument checks --------------------------------------------------- */
lua_Number rs_lua_check_number(lua_State *L, int arg, const char *fn,
                               const char *name);
lua_Integer rs_lua_check_integer(lua_State *L, int arg, const char *fn,
                                 const char *name);
const char *rs_lua_check_string(lua_State *L, int arg, const char *fn,
                                const char *name);
void rs_lua_check_table(lua_State *L, int arg, const char *fn,
                        const char *name);
/* luaL_checkoption with our message: "(one of 'a', 'b' expected, got
 * 'c')". names is NULL-terminated; def (may be NULL) for a missing arg. */
int rs_lua_check_enum(lua_State *L, int arg, const char *fn, const char *name,
                      const char *def, const char *const names[]);
/* A shape: a table of 0..4 positive integers at arg, or (varargs) the
 * integers from arg to the top. Returns ndim. */
int rs_lua_check_shape(lua_State *L, int arg, const char *fn, const char *name,
                       int shape[RS_MAX_DIMS]);

/* Table fields of the table at tbl: raise on a key not in allowed
 * (NULL-terminated), then typed getters with defaults (a nil field takes
 * the default; lo/hi bound integers inclusively). Returned strings are
 * owned by the table (valid while it is). */
void rs_lua_check_fields(lua_State *L, int tbl, const char *fn,
                         const char *const allowed[]);
bool rs_lua_has_field(lua_State *L, int tbl, const char *key);
lua_Number rs_lua_opt_number_field(lua_State *L, int tbl, const char *fn,
                                   const char *key, lua_Number def);
lua_Integer rs_lua_opt_int_field(lua_State *L, int tbl, const char *fn,
                                 const char *key, lua_Integer def,
                                 lua_Integer lo, lua_Integer hi);
bool rs_lua_opt_bool_field(lua_State *L, int tbl, const char *fn,
                           const char *key, bool def);
const char *rs_lua_opt_string_field(lua_State *L, int tbl, const char *fn,
                                    const char *key, const char *def);
int rs_lua_opt_enum_field(lua_State *L, int tbl, const char *fn,
                          const char *key, const char *def,
                          const char *const names[]);
/* A float field that must be finite and >= lo. */
float rs_lua_opt_float_field(lua_State *L, int tbl, const char *fn,
                             const char *key, float def, float lo);

/* ---- handles ----------------------------------------------------------- */
/* Push a new closed box (NULL) with metatable mt; returns the slot. */
void **rs_lua_new_box(lua_State *L, const char *mt);
/* The live pointer of a box at arg, raising a type error ("tensor
 * expected, got number") or "attempt to use a released <what>". */
void *rs_lua_check_box(lua_State *L, int arg, const char *mt, const char *what,
                       const char *fn, const char *name);
/* The box pointer or NULL if arg is not of type mt (no error). */
void *rs_lua_test_box(lua_State *L, int arg, const char *mt);

rs_tensor *rs_lua_check_tensor(lua_State *L, int arg, const char *fn,
                               const char *name);
/* Push a handle on t; retains it. */
void rs_lua_push_tensor(lua_State *L, rs_tensor *t);
/* Note a new tensor handed to Lua (its box already on the stack): the
 * collector cannot see tensor storage, so every RS_LUA_GC_BYTES of new
 * tensors force a full collection (a scene making tensors every step
 * would otherwise hold them until the Lua heap alone triggers one). */
#define RS_LUA_GC_BYTES ((size_t)64 << 20)
void rs_lua_tensor_made(lua_State *L, const rs_tensor *t);
/* A tensor box: the handle and the bytes it counts in ctx->ext_live (0
 * for a handle on a tensor someone else made, a model's parameter). */
struct rs_lua_tensor_box {
    rs_tensor *t; /* first: a tensor box is also a void ** box */
    size_t bytes;
};
/* Raise "<fn>: not enough memory (...)" unless bytes more fit under the
 * state's memory cap with what Lua and its tensors hold (after a full
 * collection if needed). Call before allocating a tensor for Lua. */
void rs_lua_mem_reserve(lua_State *L, size_t bytes, const char *fn);
/* Push a handle on a heap copy of t (an arena tensor, say); raises
 * "<fn>: ..." if the copy cannot be allocated. */
void rs_lua_push_tensor_copy(lua_State *L, const rs_tensor *t, const char *fn);

/* Module handles carry a private graph for Lua-side forwards. */
struct rs_lua_module {
    rs_nn_module *m;
    rs_graph *g;       /* created on the first :forward */
    unsigned long fwd; /* rs_nn_module_forwards after that forward */
};
/* The transformer of the handle at arg (borrowed while the userdata lives;
 * keep it referenced); raises "<fn>: bad argument #n 'transformer'
 * (transformer expected, got ...)". In l_transformer.c. */
rs_nn_transformer *rs_lua_check_transformer(lua_State *L, int arg,
                                            const char *fn);
/* The config of the task handle at arg (raises a type error naming fn and
 * name), borrowed while the handle lives; push a new handle holding a copy
 * of cfg. In l_seqtask.c. */
struct rs_seqtask_config *rs_lua_check_seqtask(lua_State *L, int arg,
                                               const char *fn,
                                               const char *name);
void rs_lua_push_seqtask(lua_State *L, const struct rs_seqtask_config *cfg);
/* Module builders (l_nn.c, l_nnmore.c): a closed module box pushed
 * before the module is built (so a Lua allocation error cannot leak it),
 * then filled with the built module or raising "<fn>: <err>" (returns 1);
 * and the rng of a builder: seed= of the options table at tbl (0: none)
 * as a private stream left on the stack, else the host stream. */
struct rs_lua_module *rs_lua_module_box_new(lua_State *L);
int rs_lua_module_box_fill(lua_State *L, rs_nn_module *m,
                           const struct rs_error *err, const char *fn);
struct rs_rng *rs_lua_builder_rng(lua_State *L, int tbl, const char *fn);
rs_nn_module *rs_lua_check_module(lua_State *L, int arg, const char *fn,
                                  const char *name);
/* The box of a module handle at idx (rs.nn.*, rs.nn.transformer or
 * rs.nn.griffin), or NULL. */
struct rs_lua_module *rs_lua_test_module(lua_State *L, int idx);
void rs_lua_push_module(lua_State *L, rs_nn_module *m); /* retains */

rs_dataset *rs_lua_check_dataset(lua_State *L, int arg, const char *fn,
                                 const char *name);
void rs_lua_push_dataset(lua_State *L, rs_dataset *d); /* retains */

/* An optimiser spec (rs.optim.adamw{...}) and a schedule (rs.sched.*). */
struct rs_lua_sched {
    struct rs_sched s;
    bool has_lr, has_total; /* taken from the optimiser / session if not */
};
const struct rs_optim_config *rs_lua_check_optim_spec(lua_State *L, int arg,
                                                      const char *fn,
                                                      const char *name);
struct rs_lua_sched *rs_lua_check_sched(lua_State *L, int arg, const char *fn,
                                        const char *name);

struct rs_rng *rs_lua_check_rng(lua_State *L, int arg, const char *fn,
                                const char *name);

/* ---- learners, objectives, sources (l_learner.c, l_objective.c,
 * l_source.c) ------------------------------------------------------------ */
struct rs_lua_learner {
    rs_learner *l; /* first: a plain box reads it (rs_lua_test_box) */
};
rs_learner *rs_lua_check_learner(lua_State *L, int arg, const char *fn,
                                 const char *name);
/* The live learner of the handle at idx, or NULL. */
rs_learner *rs_lua_test_learner(lua_State *L, int idx);
/* The learners created in this state, in creation order (checkpoints):
 * pushes the registry list (a table of learner handles). */
void rs_lua_push_learners(lua_State *L);
/* Build a learner from the config table at tbl (rs.learner's fields;
 * check_fields: refuse unknown ones) and push its handle; raises
 * "<fn>: ..." on any error. The sugar (rs.train, rs.train.seq) calls it
 * with its own fn. */
int rs_lua_learner_new(lua_State *L, int tbl, const char *fn,
                       bool check_fields);
/* Push a closed learner handle (no learner yet: using it raises "attempt
 * to use a released learner") that keeps the values at models (the list
 * of module handles l:model reads), data (l:data) and obj (the objective
 * spec or nil) alive. Builders check everything, push it, then make the
 * learner and open the handle (nothing to leak if a check raises). */
void rs_lua_learner_box(lua_State *L, int models, int data, int obj);
/* Give the closed handle at idx its learner (owned from here on): the
 * host's log and matrix sinks, listed among the state's learners. */
void rs_lua_learner_open(lua_State *L, int idx, rs_learner *l);
/* The schedule of the config table at tbl (field "schedule", a constant
 * rate lr without one): lr from the optimiser and total from the run
 * when the schedule does not say, and the one rule for a warm-up longer
 * than the run (a tenth of the run, said on the console). Raises. */
void rs_lua_learner_sched(lua_State *L, int tbl, const char *fn,
                          struct rs_sched *out, float lr);
/* Push a batch as a table {n=, x=|ids=, x2=|ids2=, y=} (see
 * l_learner_batch.c); add step_on, next_batch and apply to the learner
 * methods table at the top. */
void rs_lua_push_batch(lua_State *L, const struct rs_batch *b,
                       const char *fn);
void rs_lua_learner_batch_methods(lua_State *L);
/* Add l:steps, updates, lr, last and config (l_learner_info.c) to the
 * learner methods table at the top. */
void rs_lua_learner_info_methods(lua_State *L);
/* Uservalue slots of a learner handle. */
enum { UV_MODELS = 1, UV_DATA = 2, UV_OBJECTIVE = 3, UV_COUNT = 3 };
/* "module", "dataset", ... for our handles, else the Lua type name. */
const char *rs_lua_kind_name(lua_State *L, int idx);

/* An objective spec (rs.objective.*{...}) at idx? check raises "<fn>: bad
 * field '<key>' (objective expected, got ...)". */
bool rs_lua_is_objective(lua_State *L, int idx);
void rs_lua_objective_check(lua_State *L, int idx, const char *fn,
                            const char *key);
/* A new objective (one reference) from the spec at idx, or NULL + err;
 * never raises. The default of a learner without objective=. */
rs_objective *rs_lua_objective_build(lua_State *L, int idx,
                                     struct rs_error *err);
/* Push a new spec of kind with no fields (the caller sets them). */
void rs_lua_objective_push(lua_State *L, const char *kind);
rs_objective *rs_lua_objective_default(const rs_source *src,
                                       struct rs_error *err);

/* Objectives written in Lua (l_objlua.c, over lua/l_graph.c's handles):
 * rs_lua_open_objlua adds rs.objective.lua to the objective table at the
 * top; rs_lua_objlua_build makes the objective of a "lua" spec at index
 * spec (NULL + err; never raises). */
void rs_lua_open_objlua(lua_State *L);
/* learner:remove_units and learner:cuts (l_surgery.c), added to the
 * learner metatable's methods. */
void rs_lua_open_surgery(lua_State *L);
rs_objective *rs_lua_objlua_build(lua_State *L, int spec,
                                  struct rs_error *err);
/* The image-text objectives (l_objsparc.c): rs_lua_open_objsparc adds
 * rs.objective.clip and rs.objective.sparc to the objective table at the
 * top; rs_lua_objsparc_build makes the objective of a "clip" or "sparc"
 * spec at index spec (NULL + err; never raises). */
void rs_lua_open_objsparc(lua_State *L);
rs_objective *rs_lua_objsparc_build(lua_State *L, int spec,
                                    struct rs_error *err);

/* DemP (l_demp.c): rs_lua_open_objdemp adds rs.objective.cdg_l2 to the
 * objective table at the top; rs_lua_objdemp_build makes the objective of
 * a "cdg_l2" spec at index spec (NULL + err; never raises);
 * rs_lua_open_demp adds learner:set_noise and learner:dead_units to the
 * learner metatable's methods. */
void rs_lua_open_objdemp(lua_State *L);
rs_objective *rs_lua_objdemp_build(lua_State *L, int spec,
                                   struct rs_error *err);
void rs_lua_open_demp(lua_State *L);

/* A dataset, task or source handle at idx? to_source: a new reference
 * (a dataset wrapped, a task copied), or NULL + err; never raises. */
bool rs_lua_is_source(lua_State *L, int idx);
rs_source *rs_lua_to_source(lua_State *L, int idx, struct rs_error *err);
rs_source *rs_lua_check_source(lua_State *L, int arg, const char *fn,
                               const char *name);

/* ---- stack balance (debug builds) -------------------------------------- */
#ifdef RS_DEBUG
#define RS_LUA_STACK_GUARD(L) int rs_lua_top_ = lua_gettop(L)
#define RS_LUA_STACK_CHECK(L, d) RS_ASSERT(lua_gettop(L) == rs_lua_top_ + (d))
#else
#define RS_LUA_STACK_GUARD(L) ((void)0)
#define RS_LUA_STACK_CHECK(L, d) ((void)0)
#endif

/* The tensor arithmetic (l_tensor_math.c), registered by l_tensor.c. */
extern const luaL_Reg rs_lua_tensor_math_methods[];
extern const luaL_Reg rs_lua_tensor_math_meta[];

/* ---- module openers (package.preload) ---------------------------------- */
int luaopen_repscope(lua_State *L);
int luaopen_repscope_tensor(lua_State *L);
int luaopen_repscope_rng(lua_State *L);
int luaopen_repscope_nn(lua_State *L);
int luaopen_repscope_optim(lua_State *L);
int luaopen_repscope_data(lua_State *L);
int luaopen_repscope_probe(lua_State *L);
int luaopen_repscope_train(lua_State *L);
int luaopen_repscope_json(lua_State *L);
int luaopen_repscope_test(lua_State *L);
/* Add the sequence-model functions to the module table at the top of the
 * stack: rs.nn.transformer, rs.data.seqtask, rs.probe's sequence probes
 * (l_transformer.c, l_seqtask.c, l_seqprobe.c). */
void rs_lua_open_transformer(lua_State *L);
void rs_lua_open_seqtask(lua_State *L);
void rs_lua_open_seqprobe(lua_State *L);
/* rs.nn.griffin (Hawk, Griffin, the MQA transformer) and its decoder
 * handles, added to the nn table at the top (l_griffin.c). */
void rs_lua_open_griffin(lua_State *L);
/* rs.probe.sparc (l_sparcprobe.c), added to the probe table at the top. */
void rs_lua_open_sparcprobe(lua_State *L);
/* rs.probe.lm and rs.probe.gates (l_lmprobe.c), added to the probe table
 * at the top. */
void rs_lua_open_lmprobe(lua_State *L);
/* rs.probe.entk and rs.probe.preact_hist (l_plastprobe.c), added to the
 * probe table at the top. */
void rs_lua_open_plastprobe(lua_State *L);
/* Add rs.nn.embedding, position, reshape and scalar to the nn table at
 * the top of the stack (l_nnmore.c). */
void rs_lua_open_nnmore(lua_State *L);
/* Add rs.learner, rs.name and rs.objective to the rs table at the top
 * (l_learner.c, l_objective.c); rs.data.corpus and rs.data.zip to the
 * data table at the top (l_source.c). */
void rs_lua_open_learner(lua_State *L);
void rs_lua_open_objective(lua_State *L);
void rs_lua_open_source(lua_State *L);
/* rs.data.imgtext, and the imgtext methods of source handles (:image,
 * :caption, :patch_classes, ...), added to the data table at the top
 * (l_imgtext.c; called by rs_lua_open_source). */
void rs_lua_open_imgtext(lua_State *L);
/* rs.data.text{...}, rs.data.char_labels(s) and the text methods of
 * source handles (:documents, :test_text, :stream, ...; :info gains the
 * corpus's fields), added to the data table at the top (l_text.c; called
 * by rs_lua_open_source). */
void rs_lua_open_text(lua_State *L);
/* The label of byte b in a matrix of characters (l_text.c): itself when
 * printable ASCII, else a glyph (U+2423 for a space, U+21B5 a newline,
 * U+2192 a tab, U+00B7 anything else), NUL-terminated in out. */
void rs_lua_byte_label(char out[8], unsigned char b);
/* The range fields split ("test"), source (a name or 1-based index, nil:
 * all), offset (0) and bytes (nil: to the end) of the table at tbl,
 * checked against text (the offset lies inside the view); raises "<fn>:
 * bad field ..." (l_text.c: src:stream and rs.lm.dyneval's parts). */
void rs_lua_text_range_fields(lua_State *L, int tbl, const char *fn,
                              const rs_text *text, enum rs_split *split,
                              int *source, size_t *from, size_t *bytes);

/* ---- environments (l_env.c) ------------------------------------------- */
/* Add rs.env (cartpole, breakout) to the rs table at the top. */
void rs_lua_open_env(lua_State *L);
/* Take the env of the handle at idx, the value of field key of fn's
 * config table (rs.rl.ppo{env = e}): the caller owns it from here on, the
 * handle stays empty and any later use raises "<fn>: env was given to a
 * learner". Raises "<fn>: bad field '<key>' (env expected, got ...)" or
 * "(env was given to a learner)" / "(attempt to use a released env)".
 * Validate everything else that may raise before taking it. */
rs_env *rs_lua_env_take(lua_State *L, int idx, const char *fn,
                        const char *key);

/* ---- reinforcement learning (l_ppo.c) ---------------------------------- */
/* Add rs.rl (ppo) to the rs table at the top, and l:ppo(), l:env_info()
 * and l:env_frame() to the learner methods (after rs_lua_open_learner). */
void rs_lua_open_rl(lua_State *L);
/* The ppo fields present in the table at tbl (steps, minibatch, epochs,
 * gamma, lambda, clip, ent_coef, vf_coef, pfo, norm_adv, capacity_every)
 * over *c, each checked against its range and minibatch against copies *
 * steps; raises "<fn>: bad field '<key>' (...)" on the first bad one.
 * rs.rl.ppo and learner:set share it. */
void rs_lua_ppo_fields(lua_State *L, int tbl, const char *fn, int copies,
                       struct rs_ppo_config *c);

/* ---- dynamic evaluation and side-by-side updates (l_dyneval.c) --------- */
/* Add rs.lm (dyneval) and rs.update to the rs table at the top, and
 * l:dyneval() to the learner methods (after rs_lua_open_learner). */
void rs_lua_open_dyneval(lua_State *L);

/* ---- autograd handles (l_graph.c) -------------------------------------- */
/* rs.graph{...} handles and their graph tensors: handles on tensors of one
 * graph and one generation (a reset or the end of a lending callback makes
 * every older handle raise "graph tensor from before g:reset()"). */
#define RS_LUA_GRAPH_MT "repscope.graph"
#define RS_LUA_GRAPH_TENSOR_MT "repscope.graph_tensor"
/* Add rs.graph to the module table at the top of the stack. */
void rs_lua_open_graph(lua_State *L);
/* Push a graph handle over g, owned by C and lent to Lua for one callback
 * (g:reset() refuses it: its owner resets it). The handle retains the heap
 * tensors and modules its ops use; rs_lua_graph_invalidate(L, idx)
 * releases them and turns the handle and every graph tensor made through
 * it into errors. Call it once the C side no longer needs the tape (after
 * its backward), before resetting g. */
void rs_lua_push_graph_borrowed(lua_State *L, rs_graph *g);
void rs_lua_graph_invalidate(lua_State *L, int idx);
/* The live graph of the handle at arg (raises a type error naming fn and
 * name, or "attempt to use a released graph"). */
rs_graph *rs_lua_check_graph(lua_State *L, int arg, const char *fn,
                             const char *name);
/* The tensor of the live, current graph tensor at arg (borrowed until its
 * graph is reset); raises a type error or the stale-handle error. */
rs_tensor *rs_lua_check_graph_tensor(lua_State *L, int arg, const char *fn,
                                     const char *name);
/* True when arg is a live, current graph tensor of the graph handle at
 * graph_idx (a loss handed back by a callback, say). */
bool rs_lua_graph_tensor_in(lua_State *L, int arg, int graph_idx);
/* Push a graph tensor on t, a tensor of the graph handle at graph_idx
 * (an arena tensor of it, or a heap tensor its ops read: retained until
 * the next reset or invalidation). */
void rs_lua_push_graph_tensor(lua_State *L, int graph_idx, rs_tensor *t);

#endif /* RS_LUA_BIND_H */
