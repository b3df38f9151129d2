/* repscope - MIT licence, see COPYING.
 *
 * env_corridor.c: a one-dimensional corridor in two parts that ask for
 * opposite answers to the same local input, built to show forgetting in
 * reinforcement-learning fine-tuning ("Fine-tuning Reinforcement Learning
 * Models is Secretly a Forgetting Mitigation Problem", arXiv 2402.02868,
 * whose CLOSE/FAR split it follows):
 *   - CLOSE, cells 0..close-1: a pit on every cell k * pit_every (k >= 1);
 *     the observation's pit bit shows a pit one cell ahead, so the right
 *     answer is "step, and jump when the bit is set";
 *   - FAR, cells close..close+far-1, dark: its pits never set the pit bit
 *     (unless far_visible), so the agent must jump everywhere except on
 *     the door cell (close + door), where the door bit says "step". Before
 *     the door the pits are on the odd offsets into FAR, after it on the
 *     offsets of the door's parity (door + 2, door + 4, ...) below the
 *     goal, the last cell;
 *   - actions 0 step (+1 cell) and 1 jump (+2 cells); -step_cost per step
 *     and +1 more on reaching the goal or beyond (terminated); landing on
 *     a pit terminates with -step_cost - fall_cost.
 * Every door offset in 1..far-2 gives a solvable layout with a pit-free
 * goal: CLOSE pits are at least 2 apart and the jump over one lands on a
 * floor cell (pit_every >= 2), the first FAR cell is floor, the even
 * offsets are floor up to the door and the offsets of the other parity
 * after it, and the goal is never in the pit sequence ("below the goal").
 * tests/t_env_corridor.c checks this exhaustively over a grid of configs.
 *
 * Motion is monotone, so the furthest cell of an episode is always the
 * current one; the state keeps it anyway, as a field of its own, for
 * outcome reports that should not depend on that.
 *
 * The kind's config is a heap struct corridor (the user's config first,
 * then the number of start cells), owned by the wrapper.
 */
#include "config.h"

#include "env/env.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_CLOSE 4
#define MAX_CLOSE 200
#define MIN_FAR 3
#define MAX_FAR 200

enum {
    CELL_EMPTY,
    CELL_FLOOR,
    CELL_PIT,
    CELL_DARK,
    CELL_DOOR,
    CELL_GOAL,
    CELL_AGENT
};

struct corridor {
    struct rs_env_corridor_config c; /* first: rs_env_corridor_config */
    int nstart; /* cells in [start_lo, start_hi] that are not pits */
};

struct corridor_state {
    int32_t cell;     /* 0..goal-1 between steps (goal on success) */
    int32_t furthest; /* the furthest cell of this episode */
};

static int
goal_of(const struct rs_env_corridor_config *c)
{
    return c->close + c->far - 1;
}

bool
rs_env_corridor_pit(const struct rs_env_corridor_config *c, int cell)
{
    if (cell <= 0 || cell >= goal_of(c))
        return false;
    if (cell < c->close)
        return cell % c->pit_every == 0;
    int off = cell - c->close;
    if (off < c->door)
        return off % 2 == 1;
    return off > c->door && (off - c->door) % 2 == 0;
}

/* A pit the pit bit shows. */
static bool
pit_shown(const struct rs_env_corridor_config *c, int cell)
{
    return rs_env_corridor_pit(c, cell) && (cell < c->close || c->far_visible);
}

void
rs_env_corridor_observe_cell(const struct rs_env_corridor_config *c, int cell,
                             float *obs)
{
    int cells = c->close + c->far, goal = goal_of(c);
    RS_ASSERT(cell >= 0);
    if (cell > goal)
        cell = goal;
    memset(obs, 0, (size_t)(cells + 2) * sizeof *obs);
    obs[cell] = 1.0f;
    obs[cells] = pit_shown(c, cell + 1) ? 1.0f : 0.0f;
    obs[cells + 1] = cell == c->close + c->door ? 1.0f : 0.0f;
}

int
rs_env_corridor_expert(const struct rs_env_corridor_config *c, int cell)
{
    if (cell < 0 || cell >= goal_of(c) || rs_env_corridor_pit(c, cell))
        return -1;
    if (cell >= c->close)
        return cell == c->close + c->door ? 0 : 1;
    return rs_env_corridor_pit(c, cell + 1) ? 1 : 0;
}

void
rs_env_corridor_walk(const struct rs_env_corridor_config *c,
                     const int *action_of_cell, int start, int max_steps,
                     struct rs_env_corridor_walk *out)
{
    int goal = goal_of(c);
    RS_ASSERT(start >= 0 && max_steps >= 0);
    int cell = start < goal ? start : goal;
    bool reached = cell == goal;
    bool fell = !reached && rs_env_corridor_pit(c, cell);
    int steps = 0;
    while (!reached && !fell && steps < max_steps) {
        int a = action_of_cell[cell];
        RS_ASSERT(a == 0 || a == 1);
        cell += 1 + a;
        steps++;
        if (cell >= goal) {
            cell = goal;
            reached = true;
        } else {
            fell = rs_env_corridor_pit(c, cell);
        }
    }
    out->last = cell;
    out->furthest = cell; /* motion is monotone */
    out->goal = reached;
    out->fell = fell;
    out->steps = steps;
}

/* ---- the class ------------------------------------------------------------
 */

static void
corridor_info(const void *cfg, struct rs_env_info *out)
{
    const struct rs_env_corridor_config *c = cfg;
    out->obs_dim = c->close + c->far + 2;
    out->actions = 2;
    out->frame_h = 2;
    out->frame_w = c->close + c->far;
    out->glyphs = " .Ox|G@";
    out->colors = "kwrmygc";
}

static void
corridor_reset(const void *cfg, void *state, struct rs_rng *rng)
{
    const struct corridor *k = cfg;
    const struct rs_env_corridor_config *c = &k->c;
    struct corridor_state *s = state;
    int cell = c->start_lo;
    if (c->start_hi > c->start_lo) {
        /* The r-th floor cell of [lo, hi] (the ends are floor). */
        int r = (int)rs_rng_below(rng, (uint32_t)k->nstart);
        for (;; cell++)
            if (!rs_env_corridor_pit(c, cell) && r-- == 0)
                break;
    }
    s->cell = cell;
    s->furthest = cell;
}

static void
corridor_step(const void *cfg, void *state, int action, struct rs_rng *rng,
              float *reward, bool *terminated)
{
    (void)rng;
    const struct rs_env_corridor_config *c = cfg;
    struct corridor_state *s = state;
    int goal = goal_of(c);
    int cell = s->cell + 1 + action;
    double r = -c->step_cost;
    bool term;
    if (cell >= goal) {
        cell = goal;
        r += 1.0;
        term = true;
    } else {
        term = rs_env_corridor_pit(c, cell);
        if (term)
            r -= c->fall_cost;
    }
    s->cell = cell;
    if (cell > s->furthest)
        s->furthest = cell;
    *reward = (float)r;
    *terminated = term;
}

static void
corridor_observe(const void *cfg, const void *state, float *obs)
{
    const struct corridor_state *s = state;
    rs_env_corridor_observe_cell(cfg, s->cell, obs);
}

static void
corridor_render(const void *cfg, const void *state, uint8_t *cells)
{
    const struct rs_env_corridor_config *c = cfg;
    const struct corridor_state *s = state;
    int n = c->close + c->far, goal = goal_of(c);
    for (int i = 0; i < n; i++) {
        uint8_t code = CELL_FLOOR;
        if (i == goal)
            code = CELL_GOAL;
        else if (i == c->close + c->door)
            code = CELL_DOOR;
        else if (rs_env_corridor_pit(c, i))
            code = pit_shown(c, i) ? CELL_PIT : CELL_DARK;
        cells[i] = code;
        cells[n + i] = CELL_EMPTY;
    }
    cells[n + (s->cell < goal ? s->cell : goal)] = CELL_AGENT;
}

static void
corridor_describe(const void *cfg, char *out, size_t len)
{
    const struct rs_env_corridor_config *c = cfg;
    snprintf(out, len,
             "corridor close=%d far=%d pit_every=%d door=%d start=%d..%d "
             "far_visible=%d step_cost=%.17g fall_cost=%.17g",
             c->close, c->far, c->pit_every, c->door, c->start_lo, c->start_hi,
             (int)c->far_visible, c->step_cost, c->fall_cost);
}

/* Between steps a copy stands on a floor cell before the goal. */
static bool
corridor_check(const void *cfg, const void *state)
{
    const struct rs_env_corridor_config *c = cfg;
    const struct corridor_state *s = state;
    return s->cell >= 0 && s->cell < goal_of(c) &&
           !rs_env_corridor_pit(c, s->cell) && s->furthest == s->cell;
}

static void
corridor_destroy(void *cfg)
{
    free(cfg);
}

static const struct rs_env_class corridor_class = {
    .kind = "corridor",
    .info = corridor_info,
    .state_size = sizeof(struct corridor_state),
    .reset = corridor_reset,
    .step = corridor_step,
    .observe = corridor_observe,
    .render = corridor_render,
    .describe = corridor_describe,
    .check = corridor_check,
    .destroy = corridor_destroy,
};

void
rs_env_corridor_config_default(struct rs_env_corridor_config *cfg)
{
    cfg->close = 20;
    cfg->far = 15;
    cfg->pit_every = 4;
    cfg->door = 6;
    cfg->start_lo = 0;
    cfg->start_hi = 0;
    cfg->far_visible = false;
    cfg->step_cost = 0.01;
    cfg->fall_cost = 0.0;
}

/* RS_OK or RS_EINVAL naming the first bad field. */
static int
check_kind(const struct rs_env_corridor_config *c, struct rs_error *err)
{
    if (c->close < MIN_CLOSE || c->close > MAX_CLOSE)
        return rs_error_set(err, RS_EINVAL, "close = %d (must be %d..%d)",
                            c->close, MIN_CLOSE, MAX_CLOSE);
    if (c->far < MIN_FAR || c->far > MAX_FAR)
        return rs_error_set(err, RS_EINVAL, "far = %d (must be %d..%d)", c->far,
                            MIN_FAR, MAX_FAR);
    if (c->pit_every < 2 || c->pit_every > c->close)
        return rs_error_set(err, RS_EINVAL,
                            "pit_every = %d (must be 2..close = %d)",
                            c->pit_every, c->close);
    if (c->door < 1 || c->door > c->far - 2)
        return rs_error_set(err, RS_EINVAL,
                            "door = %d (must be 1..%d: an offset into FAR "
                            "after its first cell and before the goal)",
                            c->door, c->far - 2);
    int goal = goal_of(c);
    if (c->start_lo < 0 || c->start_lo > c->start_hi || c->start_hi >= goal)
        return rs_error_set(err, RS_EINVAL,
                            "start = %d..%d (must be 0 <= lo <= hi < goal "
                            "= %d)",
                            c->start_lo, c->start_hi, goal);
    if (rs_env_corridor_pit(c, c->start_lo) ||
        rs_env_corridor_pit(c, c->start_hi))
        return rs_error_set(err, RS_EINVAL, "start = %d..%d: cell %d is a pit",
                            c->start_lo, c->start_hi,
                            rs_env_corridor_pit(c, c->start_lo) ? c->start_lo
                                                                : c->start_hi);
    if (!isfinite(c->step_cost) || c->step_cost < 0.0)
        return rs_error_set(err, RS_EINVAL,
                            "step_cost = %g (must be finite and >= 0)",
                            c->step_cost);
    if (!isfinite(c->fall_cost) || c->fall_cost < 0.0)
        return rs_error_set(err, RS_EINVAL,
                            "fall_cost = %g (must be finite and >= 0)",
                            c->fall_cost);
    return RS_OK;
}

rs_env *
rs_env_corridor(const struct rs_env_corridor_config *kcfg,
                const struct rs_env_config *cfg, struct rs_error *err)
{
    if (check_kind(kcfg, err) != RS_OK)
        return NULL;
    struct corridor *own = rs_xmalloc(sizeof *own);
    own->c = *kcfg;
    own->nstart = 0;
    for (int i = kcfg->start_lo; i <= kcfg->start_hi; i++)
        own->nstart += !rs_env_corridor_pit(kcfg, i);
    return rs_env_new(&corridor_class, own, cfg, err);
}

const struct rs_env_corridor_config *
rs_env_corridor_config(const rs_env *e)
{
    const struct corridor *k = rs_env_impl(e, &corridor_class);
    return k != NULL ? &k->c : NULL;
}
