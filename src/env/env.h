/* repscope - MIT licence, see COPYING.
 *
 * env.h: environments for reinforcement learning, a const class per kind
 * (like data/source.h) with one file per member, and one vectorised
 * wrapper (rs_env) that every RL algorithm uses:
 *   - N copies of one environment, each with its own state and its own
 *     RNG stream (split from the seed), stepped together;
 *   - observations as floats (N, obs_dim); discrete actions 0..actions-1;
 *     rewards, terminated and truncated flags per copy;
 *   - a copy that finishes (terminated, or truncated at the horizon) is
 *     reset at once: the step returns the first observation of its next
 *     episode in obs and the last one of the finished episode in
 *     final_obs (what a truncated copy bootstraps from);
 *   - optional wrappers shared by every kind: truncation at a horizon,
 *     the time-aware observation (one more feature, t / horizon, as the
 *     PFO authors' CartPole config uses) and observation normalisation
 *     with fixed statistics estimated at creation from random-action
 *     steps (their ObservationNorm);
 *   - every copy renders to a small grid of cell codes (a frame), which
 *     a scene publishes as a matrix and the UI draws with the kind's
 *     glyphs;
 *   - the whole state (every copy's POD state, RNG, step counter and
 *     episode accumulators) is a flat array of u64 words for checkpoints,
 *     so a run resumed from one continues bit for bit.
 *
 * Kinds: "cartpole" (env_cartpole.c), "breakout" (env_breakout.c) and
 * "corridor" (env_corridor.c).
 * A kind's per-copy state is plain old data of state_size bytes (no
 * pointers): the wrapper owns the memory, copies it and saves it.
 * Worker thread only.
 */
#ifndef RS_ENV_ENV_H
#define RS_ENV_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base.h"
#include "core/rng.h"

/* Copies of one environment at most (a typo guard). */
#define RS_ENV_MAX_COPIES 4096

/* What a kind gives (before the wrapper's time feature). */
struct rs_env_info {
    int obs_dim;      /* floats per observation */
    int actions;      /* discrete actions */
    int frame_h;      /* render grid rows */
    int frame_w;      /* render grid columns */
    const char *glyphs; /* one ASCII character per cell code (static);
                           strlen is the number of codes; code 0 is empty */
    const char *colors; /* one colour letter per code (static, same
                           length): k r g y b m c w (curses order) */
};

struct rs_env_class {
    const char *kind; /* "cartpole", "breakout" */
    /* cfg is the kind's own config (the impl given to rs_env_new). */
    void (*info)(const void *cfg, struct rs_env_info *out);
    size_t state_size; /* bytes of one copy's POD state */
    /* A new episode into state from rng. */
    void (*reset)(const void *cfg, void *state, struct rs_rng *rng);
    /* One transition under action (in range): *reward, *terminated. The
     * kind never truncates: the wrapper does, at the horizon. */
    void (*step)(const void *cfg, void *state, int action,
                 struct rs_rng *rng, float *reward, bool *terminated);
    /* The observation of state (obs_dim floats). */
    void (*observe)(const void *cfg, const void *state, float *obs);
    /* The frame of state: frame_h * frame_w codes, row-major, row 0 at
     * the top. */
    void (*render)(const void *cfg, const void *state, uint8_t *cells);
    /* One line that identifies cfg (kind and every field that changes
     * the dynamics), for checkpoints: a resume onto another config is
     * refused. */
    void (*describe)(const void *cfg, char *out, size_t len);
    /* True if state is one reset and step could have produced (indices
     * in range), checked on every copy before a checkpoint load so a
     * corrupt one is refused instead of read out of bounds; NULL: any
     * bytes are a valid state. */
    bool (*check)(const void *cfg, const void *state);
    void (*destroy)(void *cfg);
};

struct rs_env_config {
    int copies;        /* N, 1..RS_ENV_MAX_COPIES */
    uint64_t seed;     /* copy i's stream: split i of the seed's */
    long horizon;      /* > 0: truncate an episode after this many steps;
                          0: never */
    bool time_obs;     /* append t / horizon (needs horizon > 0) */
    int norm_steps;    /* > 0: normalise observations with the mean and
                          std (floor 1e-6) of this many random-action
                          steps per copy, taken at creation from a stream
                          of their own (the copies' streams untouched);
                          0: raw. The time feature is never normalised. */
};

/* copies 1, seed 1, no horizon, no time feature, raw observations. */
void rs_env_config_default(struct rs_env_config *cfg);

typedef struct rs_env rs_env;

/* N copies of cls with config impl (ownership taken: freed by
 * cls->destroy, also on error). Every copy is reset. NULL + err
 * (RS_EINVAL naming the field) on a bad config. */
rs_env *rs_env_new(const struct rs_env_class *cls, void *impl,
                   const struct rs_env_config *cfg, struct rs_error *err);
void rs_env_free(rs_env *e); /* NULL: no-op */

/* Observation width (the kind's obs_dim, + 1 with time_obs), actions and
 * copies. */
int rs_env_obs_dim(const rs_env *e);
int rs_env_actions(const rs_env *e);
int rs_env_copies(const rs_env *e);
const char *rs_env_kind(const rs_env *e);
/* The kind's info (borrowed strings static). */
void rs_env_info(const rs_env *e, struct rs_env_info *out);
const struct rs_env_config *rs_env_config(const rs_env *e);
/* The kind's config (the impl given to rs_env_new) if e is of class cls,
 * else NULL; borrowed, lives as long as e. For a kind's own accessor. */
const void *rs_env_impl(const rs_env *e, const struct rs_env_class *cls);

/* The current observations (N, obs_dim) into obs. */
void rs_env_observe(const rs_env *e, float *obs);

/* What one vectorised step gives; every buffer the caller's, sized for
 * N copies (obs and final_obs N * obs_dim floats). final_obs, ep_return
 * and ep_len may be NULL (not wanted). */
struct rs_env_step {
    float *obs;          /* next observations (after any reset) */
    float *final_obs;    /* finished copies: the episode's last
                            observation; others: equal to obs */
    float *reward;       /* (N) */
    uint8_t *terminated; /* (N) 1: the episode ended in a terminal state */
    uint8_t *truncated;  /* (N) 1: cut at the horizon (not terminated) */
    double *ep_return;   /* (N) finished copies: the episode's summed
                            reward; others 0 */
    long *ep_len;        /* (N) finished copies: its steps; others 0 */
};

/* Step every copy with actions[i] (each in [0, actions)); RS_EINVAL
 * naming the copy and the action otherwise (nothing changes). */
RS_NODISCARD int rs_env_step(rs_env *e, const int *actions,
                             struct rs_env_step *out, struct rs_error *err);
/* Reset every copy (new episodes, the copies' streams advance). */
void rs_env_reset(rs_env *e);

/* Copy i's frame: frame_h * frame_w codes into cells. */
void rs_env_render(const rs_env *e, int i, uint8_t *cells);

/* Env steps taken so far (vectorised steps times N), and episodes
 * finished. */
long rs_env_steps(const rs_env *e);
long rs_env_episodes(const rs_env *e);

/* Checkpoint state: state_words 64-bit words; load checks the layout
 * (kind, describe line, copies, wrapper config) against e and changes
 * nothing on error (RS_EFORMAT with a message). The describe line of the
 * saved env is in the words, so the message can name both. */
size_t rs_env_state_words(const rs_env *e);
void rs_env_state_save(const rs_env *e, uint64_t *out);
RS_NODISCARD int rs_env_state_load(rs_env *e, const uint64_t *in, size_t n,
                                   struct rs_error *err);

/* ---- kinds (one file each): a new env or NULL + err ------------------- */

/* CartPole-v1's dynamics (Barto, Sutton and Anderson 1983, as Gym has
 * them): gravity 9.8, cart mass 1.0, pole mass 0.1, half-length 0.5,
 * force 10, explicit Euler with tau 0.02; state x, x_dot, theta,
 * theta_dot drawn uniformly in [-0.05, 0.05] at reset; reward 1 per
 * step; terminated when |theta| > 12 degrees or |x| > 2.4; actions 0
 * (push left), 1 (push right). switch_every > 0: every switch_every
 * steps of a copy the pole's half-length alternates between 0.5 and
 * switch_length (non-stationary dynamics); 0: never. Frame: a 9 x 31
 * text drawing of the track, cart and pole. */
struct rs_env_cartpole_config {
    long switch_every;    /* 0 */
    double switch_length; /* > 0; 1.5 */
};
void rs_env_cartpole_config_default(struct rs_env_cartpole_config *cfg);
rs_env *rs_env_cartpole(const struct rs_env_cartpole_config *kcfg,
                        const struct rs_env_config *cfg,
                        struct rs_error *err);

/* A MinAtar-style Breakout (Young and Tian 2019, "MinAtar", arXiv
 * 1903.03176) on a size x size grid: channels paddle, ball, trail (the
 * ball's previous cell) and brick, observation (4, size, size) flattened
 * channel-major; actions 0 noop, 1 left, 2 right; +1 per brick; three
 * rows of bricks that come back when cleared; terminated when the ball
 * passes the paddle. Frame: the grid, one code per channel. */
struct rs_env_breakout_config {
    int size; /* 6..32; 10 */
};
void rs_env_breakout_config_default(struct rs_env_breakout_config *cfg);
rs_env *rs_env_breakout(const struct rs_env_breakout_config *kcfg,
                        const struct rs_env_config *cfg,
                        struct rs_error *err);

/* A corridor whose two parts ask for opposite answers to the same local
 * input (the CLOSE/FAR split of "Fine-tuning Reinforcement Learning
 * Models is Secretly a Forgetting Mitigation Problem", arXiv 2402.02868).
 * Cells 0..cells-1, cells = close + far, goal = cells - 1:
 *   - CLOSE, 0..close-1: pits on k * pit_every for k >= 1, shown by the
 *     pit bit one cell ahead;
 *   - FAR, close..goal: dark pits (never shown unless far_visible) on the
 *     odd offsets into FAR below the door (close + door), then on door + 2,
 *     door + 4, ... below the goal. Default: pits 4 8 12 16 | 21 23 25,
 *     door 26, 28 30 32, goal 34.
 * Actions 0 step (+1), 1 jump (+2). Reward -step_cost per step, +1 more
 * on reaching the goal or beyond (terminated); landing on a pit
 * terminates. Observation (obs_dim = cells + 2): one-hot of the cell,
 * the pit bit (cell + 1 is a shown pit), the door bit (on the door).
 * A reset draws the start uniformly among the floor cells of
 * [start_lo, start_hi] (no draw when lo == hi). Frame: 2 rows x cells,
 * row 0 the layout (floor, shown pit, dark pit, door, goal), row 1 the
 * agent. */
struct rs_env_corridor_config {
    int close;        /* 4..200; 20 */
    int far;          /* 3..200; 15 */
    int pit_every;    /* 2..close; 4 */
    int door;         /* the door's offset into FAR, 1..far-2; 6 */
    int start_lo;     /* 0 <= lo <= hi < goal, neither a pit; 0 */
    int start_hi;     /* 0 */
    bool far_visible; /* the pit bit shows FAR pits too (ablation); false */
    double step_cost; /* reward per step, finite, >= 0; 0.01 */
    double fall_cost; /* more on landing on a pit, finite, >= 0; 0 */
};
void rs_env_corridor_config_default(struct rs_env_corridor_config *cfg);
rs_env *rs_env_corridor(const struct rs_env_corridor_config *kcfg,
                        const struct rs_env_config *cfg,
                        struct rs_error *err);
/* The kind's config of a corridor env (borrowed), NULL for other kinds. */
const struct rs_env_corridor_config *rs_env_corridor_config(const rs_env *e);
/* Layout facts of a valid config: is cell a pit (any, shown or not; false
 * outside 1..goal-1), and the observation the kind gives on cell (obs_dim
 * floats, raw: no time feature, no normalisation; a cell past the goal
 * is the goal). */
bool rs_env_corridor_pit(const struct rs_env_corridor_config *c, int cell);
void rs_env_corridor_observe_cell(const struct rs_env_corridor_config *c,
                                  int cell, float *obs);
/* The expert's action on cell: in CLOSE jump when the next cell is a
 * pit, else step; in FAR jump everywhere except on the door (step); -1 on
 * a pit, at or after the goal or below 0. */
int rs_env_corridor_expert(const struct rs_env_corridor_config *c, int cell);
/* A deterministic walk of a policy given as one action per cell (cells
 * entries, 0 or 1; entries on pits and the goal ignored) from start (>= 0;
 * a pit: fell at once): the cells the agent stands on until it falls,
 * reaches the goal or max_steps (>= 0) pass. The env is deterministic and
 * the observation a function of the cell, so this is exactly a greedy
 * episode (truncated at max_steps) of the policy whose argmax on cell c
 * is action_of_cell[c]. */
struct rs_env_corridor_walk {
    int last;     /* the last cell stood on: the pit, the goal, or where
                     max_steps ran out */
    int furthest; /* equal to last: motion is monotone */
    bool goal;    /* reached the goal */
    bool fell;    /* ended on a pit */
    int steps;    /* actions taken */
};
void rs_env_corridor_walk(const struct rs_env_corridor_config *c,
                          const int *action_of_cell, int start, int max_steps,
                          struct rs_env_corridor_walk *out);

#endif /* RS_ENV_ENV_H */
