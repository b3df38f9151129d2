/* repscope - MIT licence, see COPYING.
 *
 * replay.h: exact replay of a recorded run. The worker records every
 * command it applies (session.c's handle) as an action line in run.jsonl:
 *
 *   {"type":"action","after_step":N,"do":KIND,...,"ok":true}
 *
 * after_step is the number of steps completed when the worker applied
 * it: after step N, its probes and its record, before step N+1 (0: before
 * the first step). KIND and its fields: "pause", "resume" (a toggle is
 * recorded as the one it was), "step" with "n", "speed" with "x" (steps/s,
 * 0 unlimited), "set" with "key" and "value" (the text as typed), "eval"
 * with "code" (console Lua), "checkpoint", "restart", "quit", "pause_at"
 * with "n" (a tour page's pause once n steps are done, 0 none). "ok" is
 * false when the action failed (a bad value, a Lua error). The line has
 * no "step" member, so readers of records (attach) pass over it.
 *
 * rs_replay_read takes a run directory apart (its meta line: scene,
 * params, seed, steps, threads; its actions in file order) and
 * rs_replay_arm hands the actions to a new session, whose worker applies
 * each when its step count equals after_step (session.c).
 * Owner (main) thread, except the line functions (any thread).
 */
#ifndef RS_RUN_REPLAY_H
#define RS_RUN_REPLAY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/base.h"
#include "run/cmdq.h"
#include "run/session.h"

struct rs_replay_action {
    long after_step;   /* steps completed when it was applied */
    bool ok;           /* applied without an error */
    struct rs_cmd cmd; /* never RS_CMD_TOGGLE */
};

/* The action as its run.jsonl line (no newline): a new string. */
char *rs_replay_format(const struct rs_replay_action *a);
/* Read one run.jsonl line: *is_action says whether it is an action line,
 * and then a is filled. RS_EFORMAT + err (without file or line: the
 * caller adds them) when the line is no JSON object or a malformed
 * action line. */
RS_NODISCARD int rs_replay_parse(const char *line, size_t len,
                                 struct rs_replay_action *a, bool *is_action,
                                 struct rs_error *err);

typedef struct rs_replay rs_replay;

/* Read DIR/run.jsonl and check DIR/scene.lua exists. NULL + err naming
 * the file (and line) on a missing file, a first line that is no meta
 * line, or a corrupt line (an unterminated last line, torn by a crash, is
 * passed over). A quit followed by a resume (the run was continued with
 * --resume) is dropped, and so are the actions recorded after the
 * checkpoint the resume went on from (a kill undid them); the resume
 * becomes a resume action at its step. A run that never ended (no done or quit event
 * after its last restart or resume: it was killed) is replayed up to its
 * last recorded step, and rs_replay_note says so. */
rs_replay *rs_replay_read(const char *dir, struct rs_error *err);
void rs_replay_free(rs_replay *r);

/* Borrowed while r lives. */
const char *rs_replay_dir(const rs_replay *r);
const char *rs_replay_scene_path(const rs_replay *r); /* DIR/scene.lua */
const char *rs_replay_scene_name(const rs_replay *r);
/* The recorded params as "key=value" overrides (tables are left out: a
 * param is a number, boolean or string). */
const char *const *rs_replay_sets(const rs_replay *r, int *n);
unsigned long rs_replay_seed(const rs_replay *r);
long rs_replay_steps(const rs_replay *r); /* -1: until quit */
int rs_replay_threads(const rs_replay *r);
long rs_replay_checkpoint_every(const rs_replay *r);
bool rs_replay_pause_on_nonfinite(const rs_replay *r);
int rs_replay_count(const rs_replay *r);
const struct rs_replay_action *rs_replay_action(const rs_replay *r, int i);
/* The BLAS kernels the run recorded ("" when it did not): a replay with
 * other kernels may differ in the last bits. */
const char *rs_replay_kernel(const rs_replay *r);
/* A remark on how the run is replayed ("" when none). */
const char *rs_replay_note(const rs_replay *r);

/* The default directory of the replay: DIR.replay beside DIR, or
 * DIR.replay-2, -3... (created here). A new string; NULL + err. */
char *rs_replay_new_dir(const rs_replay *r, struct rs_error *err);

/* Give s (not yet started) a copy of the actions: its worker applies
 * each when its step count equals after_step, in file order. headless: no
 * UI is attached: speed limits are skipped, and a replay left paused with
 * no action due ends as if quit. With a UI, a recorded quit ends the run
 * at that step (DONE; the UI stays until the user quits). */
void rs_replay_arm(const rs_replay *r, rs_session *s, bool headless);

#endif /* RS_RUN_REPLAY_H */
