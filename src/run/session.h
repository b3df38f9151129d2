/* repscope - MIT licence, see COPYING.
 *
 * session.h: one training run. The worker thread owns everything the scene
 * builds (Lua state, models, data, optimisers, RNG) through a driver of
 * callbacks (lua/l_scene.c implements it; the engine side never sees Lua,
 * Redis's script.c / function_lua.c split). The session runs the loop:
 * take commands from the queue between steps, call the driver to step and
 * to probe, time both, publish status and metrics on the bus, record them
 * in the run directory, checkpoint on schedule, on command and on quit,
 * and stop on a non-finite value or a scene error with a message that
 * names the step, the place and the last finite loss.
 *
 * Threads: rs_session_new/start/join/free and the accessors of the bus and
 * queue on the owner (main/UI) thread; the rs_session_* calls marked
 * "worker" only from inside driver callbacks.
 */
#ifndef RS_RUN_SESSION_H
#define RS_RUN_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "core/base.h"
#include "core/rng.h"
#include "run/bus.h"
#include "run/ckpt.h"
#include "run/cmdq.h"

typedef struct rs_session rs_session;

/* The scene side. Every callback runs on the worker thread and returns
 * RS_OK or an rs_status with err filled ("file:line: message" for scene
 * errors; the session adds nothing but the step). */
struct rs_session_driver {
    void *ud;
    /* Build everything from the current params (also on restart). The
     * driver publishes its view specs (rs_bus_set_views) and may set
     * title/notes. */
    int (*setup)(void *ud, rs_session *s, struct rs_error *err);
    /* One training step number `step` (1-based). */
    int (*step)(void *ud, rs_session *s, long step, struct rs_error *err);
    /* Run the probes due at `step` (timed separately by the session). */
    int (*probe)(void *ud, rs_session *s, long step, struct rs_error *err);
    /* Console: run code; output goes through rs_session_print. */
    int (*eval)(void *ud, rs_session *s, const char *code,
                struct rs_error *err);
    /* Change a param (value as typed by the user); takes effect at once. */
    int (*set_param)(void *ud, rs_session *s, const char *key,
                     const char *value, struct rs_error *err);
    /* The params as a JSON object text (for run.jsonl and checkpoints);
     * a new string the session frees. */
    char *(*params_json)(void *ud);
    /* Checkpoint model and optimiser state into / out of ck. */
    int (*save)(void *ud, rs_session *s, rs_ckpt *ck, struct rs_error *err);
    int (*load)(void *ud, rs_session *s, const rs_ckpt *ck,
                struct rs_error *err);
    /* Tear down what setup built (before a restart, and at the end). */
    void (*teardown)(void *ud);
    void (*free)(void *ud);
};

struct rs_session_config {
    const char *scene_path;  /* for the record and the copy; may be NULL */
    const char *scene_name;  /* file stem, for the run directory name */
    long steps;              /* total; -1: until quit */
    unsigned long seed;
    const char *out_dir;     /* NULL: runs/<scene>-<UTC stamp>/; "" none */
    long checkpoint_every;   /* 0: only on quit/command */
    int threads;             /* BLAS threads for the worker */
    bool start_paused;
    const char *resume_dir;  /* continue this run (its checkpoint) */
};

/* Takes ownership of the driver (its free is called by rs_session_free).
 * Creates the bus and queue; does not start the worker. NULL + err on a
 * bad config or an unusable out_dir. */
rs_session *rs_session_new(const struct rs_session_config *cfg,
                           const struct rs_session_driver *drv,
                           struct rs_error *err);
/* Start the worker thread. */
RS_NODISCARD int rs_session_start(rs_session *s, struct rs_error *err);
/* Wait for the worker to end (after quit, the last step, or a failure)
 * and return the final state (RS_SESSION_DONE or RS_SESSION_FAILED; a
 * quit before the end is DONE). */
enum rs_session_state rs_session_join(rs_session *s);
void rs_session_free(rs_session *s);

rs_bus *rs_session_bus(rs_session *s);
rs_cmdq *rs_session_cmdq(rs_session *s);
/* The run directory ("" if not recording); borrowed. */
const char *rs_session_run_dir(const rs_session *s);

/* ---- worker: called from driver callbacks ---------------------------- */
/* Record value under name at the current step: a bus series point and a
 * key in this step's run.jsonl record. Non-finite values are recorded as
 * null and reported by the session as RS_ENONFINITE after the callback. */
void rs_session_log(rs_session *s, const char *name, double value);
/* Publish a matrix (bus + run directory side file). */
void rs_session_matrix(rs_session *s, const char *name, int rows, int cols,
                       const float *data, const char *const *row_labels,
                       const char *const *col_labels);
void rs_session_print(rs_session *s, const char *fmt, ...) RS_PRINTF(2, 3);
/* A live change: bus marker + run.jsonl event record. */
void rs_session_event(rs_session *s, const char *fmt, ...) RS_PRINTF(2, 3);
/* Report where a non-finite value appeared (a layer or parameter name);
 * the session pauses the run and shows it. */
void rs_session_nonfinite(rs_session *s, const char *where);
void rs_session_set_title(rs_session *s, const char *title);
long rs_session_step(const rs_session *s);
long rs_session_total(const rs_session *s);
unsigned long rs_session_seed(const rs_session *s);
/* The session RNG, seeded from the seed, saved in checkpoints. */
struct rs_rng *rs_session_rng(rs_session *s);

#endif /* RS_RUN_SESSION_H */
