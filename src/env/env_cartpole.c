/* repscope - MIT licence, see COPYING.
 *
 * env_cartpole.c: CartPole-v1 as Gym has it (Barto, Sutton and Anderson
 * 1983): the cart-pole ODE stepped by explicit Euler with tau 0.02, the
 * state in double (Gym's float64), the observation its float rounding.
 * The kind's config is a heap copy of struct rs_env_cartpole_config,
 * owned by the wrapper.
 *
 * Non-stationary variant: with switch_every > 0 the pole's half-length is
 * 0.5 for the copy's first switch_every steps, switch_length for the next
 * switch_every, and so on. The count is the copy's lifetime steps (kept
 * in the state across resets, so it is saved with it); the length is not
 * observed.
 */
#include "config.h"

#include "env/env.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GRAVITY 9.8
#define MASS_CART 1.0
#define MASS_POLE 0.1
#define TOTAL_MASS (MASS_CART + MASS_POLE)
#define HALF_LENGTH 0.5
#define FORCE 10.0
#define TAU 0.02
#define THETA_LIMIT (12.0 * 2.0 * 3.141592653589793 / 360.0)
#define X_LIMIT 2.4

/* Frame: FRAME_H x FRAME_W cells; the track on the last row, the cart on
 * the row above, the pole from the cart's middle upwards. */
#define FRAME_H 9
#define FRAME_W 31

enum { CELL_EMPTY, CELL_TRACK, CELL_CART, CELL_POLE, CELL_LIMIT };

struct cartpole_state {
    double x, x_dot, theta, theta_dot;
    uint64_t life; /* steps this copy has taken, across episodes */
};

static void
cartpole_info(const void *cfg, struct rs_env_info *out)
{
    (void)cfg;
    out->obs_dim = 4;
    out->actions = 2;
    out->frame_h = FRAME_H;
    out->frame_w = FRAME_W;
    out->glyphs = " _#*|";
    out->colors = "kwycr";
}

static void
cartpole_reset(const void *cfg, void *state, struct rs_rng *rng)
{
    (void)cfg;
    struct cartpole_state *s = state;
    /* Gym: uniform(-0.05, 0.05) for each of the four, in this order. */
    s->x = rs_rng_uniform_double(rng) * 0.1 - 0.05;
    s->x_dot = rs_rng_uniform_double(rng) * 0.1 - 0.05;
    s->theta = rs_rng_uniform_double(rng) * 0.1 - 0.05;
    s->theta_dot = rs_rng_uniform_double(rng) * 0.1 - 0.05;
}

/* The half-length of the pole on the copy's step number life. */
static double
half_length(const struct rs_env_cartpole_config *c, uint64_t life)
{
    if (c->switch_every <= 0)
        return HALF_LENGTH;
    return (life / (uint64_t)c->switch_every) % 2 == 1 ? c->switch_length
                                                       : HALF_LENGTH;
}

static void
cartpole_step(const void *cfg, void *state, int action, struct rs_rng *rng,
              float *reward, bool *terminated)
{
    (void)rng;
    struct cartpole_state *s = state;
    double len = half_length(cfg, s->life);
    double pml = MASS_POLE * len; /* polemass_length */
    double force = action == 1 ? FORCE : -FORCE;
    double c = cos(s->theta), sn = sin(s->theta);
    /* Gym's closed form of the ODE (Florian 2007 corrected form):
     * temp = (F + m_p l w^2 sin) / M;
     * theta_acc = (g sin - cos temp) / (l (4/3 - m_p cos^2 / M));
     * x_acc = temp - m_p l theta_acc cos / M. */
    double temp = (force + pml * s->theta_dot * s->theta_dot * sn) / TOTAL_MASS;
    double thetaacc = (GRAVITY * sn - c * temp) /
                      (len * (4.0 / 3.0 - MASS_POLE * c * c / TOTAL_MASS));
    double xacc = temp - pml * thetaacc * c / TOTAL_MASS;
    /* Explicit Euler, positions first from the old velocities. */
    s->x = s->x + TAU * s->x_dot;
    s->x_dot = s->x_dot + TAU * xacc;
    s->theta = s->theta + TAU * s->theta_dot;
    s->theta_dot = s->theta_dot + TAU * thetaacc;
    s->life++;
    *terminated = s->x < -X_LIMIT || s->x > X_LIMIT ||
                  s->theta < -THETA_LIMIT || s->theta > THETA_LIMIT;
    *reward = 1.0f;
}

static void
cartpole_observe(const void *cfg, const void *state, float *obs)
{
    (void)cfg;
    const struct cartpole_state *s = state;
    obs[0] = (float)s->x;
    obs[1] = (float)s->x_dot;
    obs[2] = (float)s->theta;
    obs[3] = (float)s->theta_dot;
}

static void
put(uint8_t *cells, int r, int c, uint8_t code)
{
    if (r >= 0 && r < FRAME_H && c >= 0 && c < FRAME_W)
        cells[r * FRAME_W + c] = code;
}

static void
cartpole_render(const void *cfg, const void *state, uint8_t *cells)
{
    const struct cartpole_state *s = state;
    memset(cells, CELL_EMPTY, FRAME_H * FRAME_W);
    for (int c = 0; c < FRAME_W; c++)
        put(cells, FRAME_H - 1, c, CELL_TRACK);
    put(cells, FRAME_H - 2, 0, CELL_LIMIT);
    put(cells, FRAME_H - 2, FRAME_W - 1, CELL_LIMIT);
    /* x in [-2.4, 2.4] onto columns 1..FRAME_W - 2 (clamped). */
    double u = (s->x + X_LIMIT) / (2.0 * X_LIMIT);
    u = isfinite(u) ? fmin(fmax(u, 0.0), 1.0) : 0.5;
    int cx = 1 + (int)lround(u * (FRAME_W - 3));
    for (int c = cx - 1; c <= cx + 1; c++)
        if (c > 0 && c < FRAME_W - 1)
            put(cells, FRAME_H - 2, c, CELL_CART);
    /* The pole: 6 rows per unit of half-length (at most 6), a cell being
     * about twice as tall as wide. */
    double len = half_length(cfg, s->life);
    double rows = 6.0 * fmin(len, 1.0);
    double th = isfinite(s->theta) ? s->theta : 0.0;
    int n = (int)(4.0 * rows) + 1;
    for (int k = 1; k <= n; k++) {
        double f = rows * k / n;
        int r = FRAME_H - 3 - (int)lround(f * cos(th));
        int c = cx + (int)lround(2.0 * f * sin(th));
        if (r < FRAME_H - 2)
            put(cells, r, c, CELL_POLE);
    }
    put(cells, FRAME_H - 3, cx, CELL_POLE);
}

static void
cartpole_describe(const void *cfg, char *out, size_t len)
{
    const struct rs_env_cartpole_config *c = cfg;
    snprintf(out, len, "cartpole switch_every=%ld switch_length=%.17g",
             c->switch_every, c->switch_length);
}

static void
cartpole_destroy(void *cfg)
{
    free(cfg);
}

static const struct rs_env_class cartpole_class = {
    .kind = "cartpole",
    .info = cartpole_info,
    .state_size = sizeof(struct cartpole_state),
    .reset = cartpole_reset,
    .step = cartpole_step,
    .observe = cartpole_observe,
    .render = cartpole_render,
    .describe = cartpole_describe,
    .check = NULL, /* any doubles step and render safely */
    .destroy = cartpole_destroy,
};

void
rs_env_cartpole_config_default(struct rs_env_cartpole_config *cfg)
{
    cfg->switch_every = 0;
    cfg->switch_length = 1.5;
}

rs_env *
rs_env_cartpole(const struct rs_env_cartpole_config *kcfg,
                const struct rs_env_config *cfg, struct rs_error *err)
{
    if (kcfg->switch_every < 0) {
        rs_error_set(err, RS_EINVAL, "switch_every = %ld (must be >= 0)",
                     kcfg->switch_every);
        return NULL;
    }
    if (!(kcfg->switch_length > 0.0 && kcfg->switch_length <= 100.0)) {
        rs_error_set(err, RS_EINVAL, "switch_length = %g (must be in (0, 100])",
                     kcfg->switch_length);
        return NULL;
    }
    struct rs_env_cartpole_config *own = rs_xmalloc(sizeof *own);
    *own = *kcfg;
    return rs_env_new(&cartpole_class, own, cfg, err);
}
