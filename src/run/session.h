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
#include <stddef.h>
#include <stdint.h>

#include "core/base.h"
#include "core/rng.h"
#include "run/bus.h"
#include "run/ckpt.h"
#include "run/cmdq.h"

typedef struct rs_session rs_session;

/* The scene side. Every callback runs on the worker thread and returns
 * RS_OK or an rs_status with err filled ("file:line: message" for scene
 * errors; the session adds nothing but the step). setup and step are
 * required; every other callback may be NULL (no probes, no console, no
 * params, nothing to checkpoint, nothing to free). An error from setup,
 * step or probe ends the run (RS_SESSION_FAILED; RS_ENONFINITE pauses
 * instead when cfg.pause_on_nonfinite); an error from eval or set_param
 * is printed on the console and the run goes on. */
struct rs_session_driver {
    void *ud;
    /* Build everything from the current params (also on restart). The
     * driver publishes its view specs (rs_bus_set_views) and may set
     * title/notes. */
    int (*setup)(void *ud, rs_session *s, struct rs_error *err);
    /* One training step number `step` (1-based). Draw data from
     * rs_session_rng so that a resumed run continues the same stream. */
    int (*step)(void *ud, rs_session *s, long step, struct rs_error *err);
    /* Run the probes due at `step` (called after every step; the driver
     * decides what is due and returns at once otherwise). Timed apart
     * from step; a call that logs or publishes something counts as a
     * probe run in the status' probe_ms. */
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
    /* Tear down what setup built (before a restart, and at the end, on
     * the worker). */
    void (*teardown)(void *ud);
    /* Free ud (rs_session_free, on the owner thread after the worker
     * ended). */
    void (*free)(void *ud);
    /* Bytes held by the scene's Lua state, for the status (may be NULL). */
    size_t (*mem_bytes)(void *ud);
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
    /* A non-finite value pauses the run (a UI is attached and the user
     * may inspect it) instead of failing it (headless). */
    bool pause_on_nonfinite;
    /* A UI is attached: after the last step (or a failure) the worker
     * does not end but waits, DONE or FAILED, taking commands (console,
     * params, checkpoint, restart) until RS_CMD_QUIT. */
    bool linger;
    char *const *argv;       /* NULL-terminated, for the record; may be NULL */
};

/* Takes ownership of the driver (its free is called by rs_session_free,
 * or here when this fails). Creates the bus and queue and the run
 * directory (out_dir, or runs/<scene>-<UTC stamp>/ with -2, -3...
 * appended if it exists; an out_dir whose run.jsonl is not empty is
 * refused: continue a run with resume_dir, which takes the place of
 * out_dir); with resume_dir, reads and verifies DIR/ckpt.bin now. The
 * worker writes run.jsonl's meta line and the scene copy after setup.
 * Does not start the worker. NULL + err on a bad config, an unusable
 * directory or a bad checkpoint. The config's strings are copied.
 *
 * Resume: the worker sets the step from the checkpoint, runs setup (its
 * records muted), applies the saved params that differ from the driver's
 * (set_param, recorded as set events), calls load, restores the session
 * RNG, and records a "resume" event; the seed is the checkpoint's. */
rs_session *rs_session_new(const struct rs_session_config *cfg,
                           const struct rs_session_driver *drv,
                           struct rs_error *err);
/* Start the worker thread. */
RS_NODISCARD int rs_session_start(rs_session *s, struct rs_error *err);
/* True once the worker has ended (or was never started); the owner
 * thread polls it (the UI waits for it after a quit). */
bool rs_session_ended(const rs_session *s);
/* Wait for the worker to end (after quit, or the last step or a failure
 * unless cfg.linger) and return the final state (RS_SESSION_DONE or
 * RS_SESSION_FAILED; a quit before the end is DONE; a failed final
 * checkpoint is FAILED). The bus keeps the final status and message. */
enum rs_session_state rs_session_join(rs_session *s);
void rs_session_free(rs_session *s);

/* Ask the worker to abandon the console command or the step in progress
 * (runaway code); any thread. The driver's long-running code (the Lua
 * count hook) polls rs_session_interrupted and gives up with
 * RS_ECANCELED: an eval's error is printed and the run goes on; a step
 * does not count and the run pauses ("step N interrupted (...);
 * paused"). */
void rs_session_interrupt(rs_session *s);
/* Borrowed; valid until rs_session_free. Any thread may read the bus and
 * push commands; the bus's writer calls (rs_bus_set_views...) belong to
 * the worker, i.e. to driver callbacks. */
rs_bus *rs_session_bus(rs_session *s);
rs_cmdq *rs_session_cmdq(rs_session *s);
/* The run directory ("" if not recording); borrowed. */
const char *rs_session_run_dir(const rs_session *s);

/* ---- worker: called from driver callbacks ---------------------------- */
/* Record value under name at the current step: a bus series point and a
 * key in this step's run.jsonl record. Non-finite values are recorded as
 * null and, after the callback, stop the run with "step N: NAME is nan
 * (last finite V at step M)". Outside step/probe (setup, eval, set) the
 * record is written at the number of steps completed. */
void rs_session_log(rs_session *s, const char *name, double value);
/* Publish a matrix (bus + run directory side file). */
void rs_session_matrix(rs_session *s, const char *name, int rows, int cols,
                       const float *data, const char *const *row_labels,
                       const char *const *col_labels);
void rs_session_print(rs_session *s, const char *fmt, ...) RS_PRINTF(2, 3);
/* A live change: bus marker + run.jsonl event record. */
void rs_session_event(rs_session *s, const char *fmt, ...) RS_PRINTF(2, 3);
/* Report where a non-finite value appeared (a layer or parameter name);
 * after the callback the session stops the run (pauses it with
 * pause_on_nonfinite) and shows it. */
void rs_session_nonfinite(rs_session *s, const char *where);
void rs_session_set_title(rs_session *s, const char *title);
/* True when the driver should stop what it is doing and return
 * RS_ECANCELED: an eval or a step was interrupted
 * (rs_session_interrupt), or the session is being freed (then from any
 * callback: the run ends without a final checkpoint if a step was cut
 * short). Cheap (atomic loads, and a
 * try-lock when the bus holds unpublished output, which it publishes: so
 * what was printed before a long computation shows up while it runs). */
bool rs_session_interrupted(const rs_session *s);
/* Steps completed: inside step(k) that is k - 1, inside probe(k) k. */
long rs_session_step(const rs_session *s);
long rs_session_total(const rs_session *s);
/* The driver has nothing left to do after step `step` (a stream that ran
 * out): the run ends there, as if its total were step (a larger total is
 * kept: the run never grows). Worker thread, inside step. */
void rs_session_end_at(rs_session *s, long step);
unsigned long rs_session_seed(const rs_session *s);
/* The session RNG, seeded from the seed, saved in checkpoints. */
struct rs_rng *rs_session_rng(rs_session *s);

#endif /* RS_RUN_SESSION_H */
