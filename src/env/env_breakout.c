/* repscope - MIT licence, see COPYING.
 *
 * env_breakout.c: a MinAtar-style Breakout (Young and Tian 2019,
 * "MinAtar", arXiv 1903.03176) on a size x size grid, written from the
 * rules of MinAtar's breakout, which it follows move for move at size 10:
 *   - the paddle lives on the bottom row, starts at column (size - 1) / 2
 *     and moves one column per left/right action (clamped);
 *   - the ball starts on row 3 at the left wall going down-right or at the
 *     right wall going down-left (one draw from the copy's stream) and
 *     moves one cell diagonally per step;
 *   - a wall reflects the horizontal direction (the ball stays on the
 *     edge column), the top row the vertical one;
 *   - a brick in the ball's next cell is broken (+1) and the ball goes
 *     back to its row with the vertical direction reflected; MinAtar's
 *     strike flag means a ball that broke a brick on the previous step
 *     passes into the next brick instead;
 *   - three rows of bricks on rows 1..3, refilled when the ball reaches
 *     the bottom row and none is left;
 *   - on the bottom row the ball bounces straight back up if the paddle
 *     is under its previous column, back the way it came if the paddle is
 *     under its new column, and the episode ends otherwise.
 * Observation: 4 channels (paddle, ball, trail = the ball's previous
 * cell, brick) of size x size floats, channel-major, row 0 at the top.
 * The kind's config is a heap copy of struct rs_env_breakout_config.
 */
#include "config.h"

#include "env/env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SIZE 32
#define BRICK_TOP 1    /* first brick row */
#define BRICK_ROWS 3   /* rows BRICK_TOP .. BRICK_TOP + 2 */
#define BALL_START_Y 3 /* MinAtar's starting row */

enum { CELL_EMPTY, CELL_PADDLE, CELL_BALL, CELL_TRAIL, CELL_BRICK };
enum { CH_PADDLE, CH_BALL, CH_TRAIL, CH_BRICK, CHANNELS };

/* Directions as MinAtar numbers them. */
enum { UP_LEFT, UP_RIGHT, DOWN_RIGHT, DOWN_LEFT };

struct breakout_state {
    int32_t ball_x, ball_y, dir;
    int32_t pos;               /* paddle column */
    int32_t last_x, last_y;    /* the ball's previous cell (trail) */
    int32_t strike;            /* 1: the last step broke a brick */
    int32_t pad;               /* 0 */
    uint32_t bricks[MAX_SIZE]; /* row r: bit c set = brick at (r, c) */
};

static const int flip_x[4] = {UP_RIGHT, UP_LEFT, DOWN_LEFT, DOWN_RIGHT};
static const int flip_y[4] = {DOWN_LEFT, DOWN_RIGHT, UP_RIGHT, UP_LEFT};
static const int flip_xy[4] = {DOWN_RIGHT, DOWN_LEFT, UP_LEFT, UP_RIGHT};

static int
grid_size(const void *cfg)
{
    return ((const struct rs_env_breakout_config *)cfg)->size;
}

static uint32_t
full_row(int size)
{
    return size == 32 ? 0xffffffffu : (1u << size) - 1u;
}

static void
breakout_info(const void *cfg, struct rs_env_info *out)
{
    int n = grid_size(cfg);
    out->obs_dim = CHANNELS * n * n;
    out->actions = 3;
    out->frame_h = n;
    out->frame_w = n;
    out->glyphs = " =o.#";
    out->colors = "kwycr";
}

static void
fill_bricks(struct breakout_state *s, int size)
{
    for (int r = BRICK_TOP; r < BRICK_TOP + BRICK_ROWS; r++)
        s->bricks[r] = full_row(size);
}

static void
breakout_reset(const void *cfg, void *state, struct rs_rng *rng)
{
    int n = grid_size(cfg);
    struct breakout_state *s = state;
    memset(s, 0, sizeof *s);
    bool right = rs_rng_below(rng, 2) == 1;
    s->ball_y = BALL_START_Y;
    s->ball_x = right ? n - 1 : 0;
    s->dir = right ? DOWN_LEFT : DOWN_RIGHT;
    s->pos = (n - 1) / 2;
    s->last_x = s->ball_x;
    s->last_y = s->ball_y;
    fill_bricks(s, n);
}

static bool
has_brick(const struct breakout_state *s, int y, int x)
{
    return (s->bricks[y] >> x) & 1u;
}

static bool
no_bricks(const struct breakout_state *s, int size)
{
    for (int r = 0; r < size; r++)
        if (s->bricks[r] != 0)
            return false;
    return true;
}

static void
breakout_step(const void *cfg, void *state, int action, struct rs_rng *rng,
              float *reward, bool *terminated)
{
    (void)rng;
    int n = grid_size(cfg);
    struct breakout_state *s = state;
    float r = 0.0f;
    bool term = false;
    if (action == 1 && s->pos > 0)
        s->pos--;
    else if (action == 2 && s->pos < n - 1)
        s->pos++;

    s->last_x = s->ball_x;
    s->last_y = s->ball_y;
    int nx = s->ball_x + (s->dir == UP_RIGHT || s->dir == DOWN_RIGHT ? 1 : -1);
    int ny = s->ball_y + (s->dir == UP_LEFT || s->dir == UP_RIGHT ? -1 : 1);
    bool strike = false;
    if (nx < 0 || nx > n - 1) {
        nx = nx < 0 ? 0 : n - 1;
        s->dir = flip_x[s->dir];
    }
    if (ny < 0) {
        ny = 0;
        s->dir = flip_y[s->dir];
    } else if (has_brick(s, ny, nx)) {
        strike = true;
        if (!s->strike) {
            r += 1.0f;
            s->strike = 1;
            s->bricks[ny] &= ~(1u << nx);
            ny = s->last_y;
            s->dir = flip_y[s->dir];
        }
    } else if (ny == n - 1) {
        if (no_bricks(s, n))
            fill_bricks(s, n);
        if (s->ball_x == s->pos) {
            s->dir = flip_y[s->dir];
            ny = s->last_y;
        } else if (nx == s->pos) {
            s->dir = flip_xy[s->dir];
            ny = s->last_y;
        } else {
            term = true;
        }
    }
    if (!strike)
        s->strike = 0;
    s->ball_x = nx;
    s->ball_y = ny;
    *reward = r;
    *terminated = term;
}

static void
breakout_observe(const void *cfg, const void *state, float *obs)
{
    int n = grid_size(cfg);
    size_t plane = (size_t)n * (size_t)n;
    const struct breakout_state *s = state;
    memset(obs, 0, CHANNELS * plane * sizeof *obs);
    obs[CH_PADDLE * plane + (size_t)(n - 1) * n + s->pos] = 1.0f;
    obs[CH_BALL * plane + (size_t)s->ball_y * n + s->ball_x] = 1.0f;
    obs[CH_TRAIL * plane + (size_t)s->last_y * n + s->last_x] = 1.0f;
    float *brick = obs + CH_BRICK * plane;
    for (int y = 0; y < n; y++) {
        uint32_t row = s->bricks[y];
        for (int x = 0; row != 0; x++, row >>= 1)
            if (row & 1u)
                brick[y * n + x] = 1.0f;
    }
}

static void
breakout_render(const void *cfg, const void *state, uint8_t *cells)
{
    int n = grid_size(cfg);
    const struct breakout_state *s = state;
    memset(cells, CELL_EMPTY, (size_t)n * (size_t)n);
    for (int y = 0; y < n; y++)
        for (int x = 0; x < n; x++)
            if (has_brick(s, y, x))
                cells[y * n + x] = CELL_BRICK;
    cells[s->last_y * n + s->last_x] = CELL_TRAIL;
    cells[(n - 1) * n + s->pos] = CELL_PADDLE;
    cells[s->ball_y * n + s->ball_x] = CELL_BALL;
}

static void
breakout_describe(const void *cfg, char *out, size_t len)
{
    snprintf(out, len, "breakout size=%d", grid_size(cfg));
}

static bool
in_grid(int32_t v, int n)
{
    return v >= 0 && v < n;
}

static bool
breakout_check(const void *cfg, const void *state)
{
    int n = grid_size(cfg);
    const struct breakout_state *s = state;
    if (!in_grid(s->ball_x, n) || !in_grid(s->ball_y, n) ||
        !in_grid(s->last_x, n) || !in_grid(s->last_y, n) ||
        !in_grid(s->pos, n) || s->dir < 0 || s->dir > 3 ||
        (s->strike != 0 && s->strike != 1) || s->pad != 0)
        return false;
    for (int r = 0; r < MAX_SIZE; r++)
        if ((s->bricks[r] & ~full_row(n)) != 0 || (r >= n && s->bricks[r]))
            return false;
    return true;
}

static void
breakout_destroy(void *cfg)
{
    free(cfg);
}

static const struct rs_env_class breakout_class = {
    .kind = "breakout",
    .info = breakout_info,
    .state_size = sizeof(struct breakout_state),
    .reset = breakout_reset,
    .step = breakout_step,
    .observe = breakout_observe,
    .render = breakout_render,
    .describe = breakout_describe,
    .check = breakout_check,
    .destroy = breakout_destroy,
};

void
rs_env_breakout_config_default(struct rs_env_breakout_config *cfg)
{
    cfg->size = 10;
}

rs_env *
rs_env_breakout(const struct rs_env_breakout_config *kcfg,
                const struct rs_env_config *cfg, struct rs_error *err)
{
    if (kcfg->size < 6 || kcfg->size > MAX_SIZE) {
        rs_error_set(err, RS_EINVAL, "size = %d (must be 6..%d)", kcfg->size,
                     MAX_SIZE);
        return NULL;
    }
    struct rs_env_breakout_config *own = rs_xmalloc(sizeof *own);
    *own = *kcfg;
    return rs_env_new(&breakout_class, own, cfg, err);
}
