/* repscope - MIT licence, see COPYING.
 *
 * t_env_breakout.c: the MinAtar-style Breakout on scripted episodes whose
 * every ball position was worked out by hand from MinAtar's rules: a miss,
 * a flat bounce off the paddle, a corner bounce, walls, the ceiling, a
 * brick broken (+1), the strike pass-through, the refill; the observation
 * layout, the frame, the checkpoint round trip and bad configs.
 *
 * A state is set through the checkpoint words: with one copy the kind's
 * state is the last 20 words, laid out as struct bo below (eight int32,
 * then 32 rows of brick bits).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "env/env.h"
#include "tests/tap.h"

struct bo {
    int32_t ball_x, ball_y, dir, pos, last_x, last_y, strike, pad;
    uint32_t bricks[32];
};
enum { UL, UR, DR, DL };

#define N 10
#define PLANE (N * N)

/* A seed whose copy 0 starts on the left (its first draw below 2 is 0). */
static uint64_t
left_seed(void)
{
    for (uint64_t s = 1;; s++) {
        struct rs_rng root, c;
        rs_rng_seed(&root, s);
        rs_rng_split(&root, &c);
        if (rs_rng_below(&c, 2) == 0)
            return s;
    }
}

static rs_env *
new_env(uint64_t seed, int size)
{
    struct rs_env_breakout_config k;
    rs_env_breakout_config_default(&k);
    k.size = size;
    struct rs_env_config c;
    rs_env_config_default(&c);
    c.seed = seed;
    return rs_env_breakout(&k, &c, NULL);
}

static void
get_bo(const rs_env *e, struct bo *s)
{
    size_t n = rs_env_state_words(e);
    uint64_t *w = malloc(n * sizeof *w);
    rs_env_state_save(e, w);
    memcpy(s, w + n - 20, sizeof *s);
    free(w);
}

static int
set_bo(rs_env *e, const struct bo *s)
{
    size_t n = rs_env_state_words(e);
    uint64_t *w = malloc(n * sizeof *w);
    rs_env_state_save(e, w);
    memcpy(w + n - 20, s, sizeof *s);
    int rc = rs_env_state_load(e, w, n, NULL);
    free(w);
    return rc;
}

/* The one cell set in channel ch of obs (y * N + x), or -1 (none or
 * several). */
static int
cell_of(const float *obs, int ch)
{
    int at = -1;
    for (int i = 0; i < PLANE; i++) {
        if (obs[ch * PLANE + i] == 1.0f) {
            if (at >= 0)
                return -1;
            at = i;
        } else if (obs[ch * PLANE + i] != 0.0f) {
            return -1;
        }
    }
    return at;
}

/* 1 if the (4, n, n) observation obs has exactly one paddle, on the
 * bottom row, one ball and one trail cell, and 0/1 values only. */
static int
sane_n(const float *obs, int n)
{
    int count[4] = {0, 0, 0, 0};
    for (int ch = 0; ch < 4; ch++)
        for (int i = 0; i < n * n; i++) {
            float v = obs[ch * n * n + i];
            if (v != 0.0f && v != 1.0f)
                return 0;
            count[ch] += v == 1.0f;
            if (ch == 0 && v == 1.0f && i < (n - 1) * n)
                return 0;
        }
    return count[0] == 1 && count[1] == 1 && count[2] == 1;
}

static int
bricks_in(const float *obs)
{
    int k = 0;
    for (int i = 0; i < PLANE; i++)
        k += obs[3 * PLANE + i] == 1.0f;
    return k;
}

struct out1 {
    float obs[4 * PLANE], fin[4 * PLANE], rew;
    uint8_t term, trunc;
    double ret;
    long len;
    struct rs_env_step st;
};

static void
out1_init(struct out1 *o)
{
    memset(o, 0, sizeof *o);
    o->st = (struct rs_env_step){.obs = o->obs,
                                 .final_obs = o->fin,
                                 .reward = &o->rew,
                                 .terminated = &o->term,
                                 .truncated = &o->trunc,
                                 .ep_return = &o->ret,
                                 .ep_len = &o->len};
}

/* A scripted episode from the left start: actions[s], and after each step
 * the ball's cell (y, x) and the reward; the last step terminates. */
struct script {
    const char *name;
    int steps;
    int actions[20];
    int ball[20][2];
    int reward[20];
};

static const struct script scripts[] = {
    {"all noops: missed at step 6",
     6,
     {0, 0, 0, 0, 0, 0},
     {{4, 1}, {5, 2}, {6, 3}, {7, 4}, {8, 5}, {9, 6}},
     {0}},
    /* Paddle to 5 under the ball's column: straight back up (flip y);
     * the right wall at step 10 flips x; the brick (3, 8) at step 11 is
     * broken, the ball stays on row 4 going down-left; missed at 16. */
    {"flat bounce, wall, brick",
     16,
     {2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
     {{4, 1},
      {5, 2},
      {6, 3},
      {7, 4},
      {8, 5},
      {8, 6},
      {7, 7},
      {6, 8},
      {5, 9},
      {4, 9},
      {4, 8},
      {5, 7},
      {6, 6},
      {7, 5},
      {8, 4},
      {9, 3}},
     {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0}},
    /* Paddle to 6 under the ball's next column: back the way it came
     * (flip both); brick (3, 1) at step 11; left wall at step 13. */
    {"corner bounce, brick, wall",
     16,
     {2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
     {{4, 1},
      {5, 2},
      {6, 3},
      {7, 4},
      {8, 5},
      {8, 6},
      {7, 5},
      {6, 4},
      {5, 3},
      {4, 2},
      {4, 1},
      {5, 0},
      {6, 0},
      {7, 1},
      {8, 2},
      {9, 3}},
     {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0}},
};

static void
test_scripts(uint64_t seed)
{
    for (size_t q = 0; q < sizeof scripts / sizeof scripts[0]; q++) {
        const struct script *sc = &scripts[q];
        rs_env *e = new_env(seed, N);
        struct out1 o;
        out1_init(&o);
        int good = 1, bad_step = -1, last_y = 3, last_x = 0;
        for (int s = 0; s < sc->steps && good; s++) {
            good &= rs_env_step(e, &sc->actions[s], &o.st, NULL) == RS_OK;
            bool final = s == sc->steps - 1;
            const float *ob = final ? o.fin : o.obs;
            good &= cell_of(ob, 1) == sc->ball[s][0] * N + sc->ball[s][1];
            good &= cell_of(ob, 2) == last_y * N + last_x;
            good &= o.rew == (float)sc->reward[s];
            good &= o.term == final && !o.trunc;
            last_y = sc->ball[s][0];
            last_x = sc->ball[s][1];
            if (!good)
                bad_step = s + 1;
        }
        int ret = 0;
        for (int s = 0; s < sc->steps; s++)
            ret += sc->reward[s];
        tap_ok(good, "%s (first wrong step: %d)", sc->name, bad_step);
        tap_ok(o.ret == ret && o.len == sc->steps, "%s: return %d, length %d",
               sc->name, ret, sc->steps);
        tap_is_int(bricks_in(o.fin), 30 - ret, "%s: bricks left", sc->name);
        /* After the terminal step the next episode starts afresh. */
        tap_ok(bricks_in(o.obs) == 30 && cell_of(o.obs, 0) == 9 * N + 4,
               "%s: the next episode starts with 30 bricks, paddle at 4",
               sc->name);
        rs_env_free(e);
    }
}

static void
test_layout(uint64_t seed)
{
    rs_env *e = new_env(seed, N);
    tap_is_int(rs_env_obs_dim(e), 4 * PLANE, "obs (4, 10, 10)");
    tap_is_int(rs_env_actions(e), 3, "3 actions");
    float obs[4 * PLANE];
    rs_env_observe(e, obs);
    tap_ok(cell_of(obs, 0) == 9 * N + 4, "paddle channel: (9, 4)");
    tap_ok(cell_of(obs, 1) == 3 * N + 0, "ball channel: (3, 0)");
    tap_ok(cell_of(obs, 2) == 3 * N + 0, "trail channel: the ball's cell");
    int rows = 1;
    for (int i = 0; i < PLANE; i++)
        rows &= obs[3 * PLANE + i] == (i >= N && i < 4 * N ? 1.0f : 0.0f);
    tap_ok(rows, "brick channel: rows 1..3");
    uint8_t cells[PLANE];
    rs_env_render(e, 0, cells);
    struct rs_env_info info;
    rs_env_info(e, &info);
    tap_ok(info.frame_h == N && info.frame_w == N && strlen(info.glyphs) == 5 &&
               strlen(info.colors) == 5,
           "frame 10 x 10, 5 codes");
    tap_ok(cells[9 * N + 4] == 1 && cells[3 * N + 0] == 2 &&
               cells[3 * N + 1] == 4 && cells[N] == 4 && cells[0] == 0,
           "frame: paddle, ball over its brick, bricks, empty");
    /* A copy starting right: the mirror start. */
    struct rs_env_config c;
    rs_env_config_default(&c);
    c.copies = 8;
    struct rs_env_breakout_config k;
    rs_env_breakout_config_default(&k);
    rs_env *m = rs_env_breakout(&k, &c, NULL);
    float *all = malloc(8 * 4 * PLANE * sizeof *all);
    rs_env_observe(m, all);
    int left = 0, right = 0, other = 0;
    for (int i = 0; i < 8; i++) {
        int b = cell_of(all + i * 4 * PLANE, 1);
        left += b == 3 * N;
        right += b == 3 * N + 9;
        other += b != 3 * N && b != 3 * N + 9;
    }
    tap_ok(left > 0 && right > 0 && other == 0,
           "starts on either wall (%d left, %d right of 8)", left, right);
    free(all);
    rs_env_free(m);
    rs_env_free(e);
}

/* One step from state s under action a; the state after into s. */
static int
step_from(rs_env *e, struct bo *s, int a, struct out1 *o)
{
    int rc = set_bo(e, s);
    rc |= rs_env_step(e, &a, &o->st, NULL);
    get_bo(e, s);
    return rc;
}

static void
test_rules(uint64_t seed)
{
    rs_env *e = new_env(seed, N);
    struct out1 o;
    out1_init(&o);
    struct bo s;
    get_bo(e, &s);
    tap_ok(s.ball_x == 0 && s.ball_y == 3 && s.dir == DR && s.pos == 4 &&
               s.bricks[1] == 0x3ff && s.bricks[4] == 0,
           "the state layout the test assumes");

    /* The ceiling: (0, 5) going up-right goes to (0, 6) going down-right. */
    struct bo t = s;
    memset(t.bricks, 0, sizeof t.bricks);
    t.bricks[2] = 1; /* one brick so no refill question arises */
    t.ball_x = 5;
    t.ball_y = 0;
    t.dir = UR;
    int rc = step_from(e, &t, 0, &o);
    tap_ok(rc == 0 && t.ball_x == 6 && t.ball_y == 0 && t.dir == DR,
           "ceiling: reflected down, the ball moves along row 0");
    /* The corner: (0, 9) up-right: both walls, stays at (0, 9) down-left. */
    t.ball_x = 9;
    t.ball_y = 0;
    t.dir = UR;
    rc = step_from(e, &t, 0, &o);
    tap_ok(rc == 0 && t.ball_x == 9 && t.ball_y == 0 && t.dir == DL,
           "top-right corner: both directions flip, the ball stays");
    /* The paddle clamps at the walls. */
    t.pos = 0;
    rc = step_from(e, &t, 1, &o);
    tap_ok(rc == 0 && t.pos == 0, "paddle clamped at the left wall");
    t.pos = 9;
    rc = step_from(e, &t, 2, &o);
    tap_ok(rc == 0 && t.pos == 9, "paddle clamped at the right wall");

    /* Refill: no bricks left when the ball reaches the bottom row. */
    t = s;
    memset(t.bricks, 0, sizeof t.bricks);
    t.ball_x = 5;
    t.ball_y = 8;
    t.dir = DR;
    t.pos = 5;
    rc = step_from(e, &t, 0, &o);
    tap_ok(rc == 0 && t.bricks[1] == 0x3ff && t.bricks[2] == 0x3ff &&
               t.bricks[3] == 0x3ff && t.bricks[0] == 0 && t.bricks[4] == 0 &&
               t.ball_y == 8 && t.ball_x == 6 && t.dir == UR && !o.term,
           "bricks refill on rows 1..3 when the ball reaches the bottom");
    tap_is_int(bricks_in(o.obs), 30, "30 bricks in the observation");

    /* Strike pass-through: right after a break the ball enters a brick
     * without breaking it; the flag clears on a step without a brick. */
    t = s;
    t.strike = 1;
    t.ball_x = 2;
    t.ball_y = 4;
    t.dir = UL;
    rc = step_from(e, &t, 0, &o);
    tap_ok(rc == 0 && t.ball_x == 1 && t.ball_y == 3 && t.strike == 1 &&
               o.rew == 0.0f && ((t.bricks[3] >> 1) & 1),
           "strike: the ball passes into brick (3, 1), no reward");
    rc = step_from(e, &t, 0, &o);
    tap_ok(rc == 0 && t.ball_x == 0 && t.ball_y == 2 && t.strike == 1 &&
               o.rew == 0.0f,
           "and into (2, 0)");
    rc = step_from(e, &t, 0, &o); /* wall: (1, 0) up-right, a brick */
    tap_ok(rc == 0 && t.ball_x == 0 && t.ball_y == 1 && t.dir == UR &&
               o.rew == 0.0f,
           "and into (1, 0) off the wall");
    rc = step_from(e, &t, 0, &o); /* (0, 1): no brick, the flag clears */
    tap_ok(rc == 0 && t.ball_x == 1 && t.ball_y == 0 && t.strike == 0,
           "out of the bricks the strike flag clears");
    rc = step_from(e, &t, 0, &o);  /* ceiling: (0, 2) down-right */
    rc |= step_from(e, &t, 0, &o); /* (1, 3): a brick, broken */
    tap_ok(rc == 0 && o.rew == 1.0f && t.ball_y == 0 && t.ball_x == 3 &&
               t.dir == UR && !((t.bricks[1] >> 3) & 1) && t.strike == 1,
           "then breaks (1, 3) and goes back to row 0 going up-right");
    rs_env_free(e);
}

static void
test_state(void)
{
    struct rs_env_breakout_config k;
    rs_env_breakout_config_default(&k);
    struct rs_env_config c;
    rs_env_config_default(&c);
    c.copies = 3;
    c.seed = 21;
    c.horizon = 200;
    rs_env *a = rs_env_breakout(&k, &c, NULL);
    struct rs_rng pol;
    rs_rng_seed(&pol, 3);
    size_t d = 4 * PLANE;
    float *oa = malloc(3 * d * sizeof *oa), *ob = malloc(3 * d * sizeof *ob);
    float ra[3], rb[3];
    uint8_t ta[3], tb[3], ua[3], ub[3];
    struct rs_env_step sa = {
        .obs = oa, .reward = ra, .terminated = ta, .truncated = ua};
    struct rs_env_step sb = {
        .obs = ob, .reward = rb, .terminated = tb, .truncated = ub};
    int act[3];
    double total = 0;
    for (int s = 0; s < 300; s++) {
        for (int i = 0; i < 3; i++)
            act[i] = (int)rs_rng_below(&pol, 3);
        if (rs_env_step(a, act, &sa, NULL) != RS_OK)
            break;
        total += (double)(ra[0] + ra[1] + ra[2]);
    }
    size_t n = rs_env_state_words(a);
    uint64_t *w = malloc(n * sizeof *w);
    rs_env_state_save(a, w);
    c.seed = 22;
    rs_env *b = rs_env_breakout(&k, &c, NULL);
    struct rs_error err = {0};
    tap_ok(rs_env_state_load(b, w, n, &err) == RS_OK, "load (%s)", err.msg);
    int same = 1;
    for (int s = 0; s < 600; s++) {
        for (int i = 0; i < 3; i++)
            act[i] = (int)rs_rng_below(&pol, 3);
        same &= rs_env_step(a, act, &sa, NULL) == RS_OK;
        same &= rs_env_step(b, act, &sb, NULL) == RS_OK;
        same &= memcmp(oa, ob, 3 * d * sizeof *oa) == 0 &&
                memcmp(ra, rb, sizeof ra) == 0 &&
                memcmp(ta, tb, sizeof ta) == 0 &&
                memcmp(ua, ub, sizeof ua) == 0;
        total += (double)(ra[0] + ra[1] + ra[2]);
    }
    tap_ok(same, "600 steps after the load are bit for bit");
    tap_ok(rs_env_episodes(a) > 10 && total > 0,
           "random play: %ld episodes, %.0f bricks", rs_env_episodes(a), total);
    /* Out-of-range kind state is refused. */
    size_t copy2 = n - 20;
    struct bo s;
    memcpy(&s, w + copy2, sizeof s);
    struct bo bad = s;
    bad.ball_x = 10;
    memcpy(w + copy2, &bad, sizeof bad);
    tap_is_int(rs_env_state_load(b, w, n, &err), RS_EFORMAT,
               "ball outside the grid refused (%s)", err.msg);
    bad = s;
    bad.bricks[2] |= 1u << 12;
    memcpy(w + copy2, &bad, sizeof bad);
    tap_is_int(rs_env_state_load(b, w, n, &err), RS_EFORMAT,
               "brick outside the grid refused");
    bad = s;
    bad.dir = 4;
    memcpy(w + copy2, &bad, sizeof bad);
    tap_is_int(rs_env_state_load(b, w, n, &err), RS_EFORMAT,
               "direction 4 refused");
    memcpy(w + copy2, &s, sizeof s);
    k.size = 12;
    rs_env *o = rs_env_breakout(&k, &c, NULL);
    tap_is_int(rs_env_state_load(o, w, n, &err), RS_EFORMAT,
               "another size refused (%s)", err.msg);
    tap_ok(strstr(err.msg, "size=10") && strstr(err.msg, "size=12"),
           "the message names both sizes");
    rs_env_free(o);
    free(w);
    free(oa);
    free(ob);
    rs_env_free(a);
    rs_env_free(b);
}

static void
test_sizes(void)
{
    struct rs_env_breakout_config k;
    struct rs_env_config c;
    rs_env_config_default(&c);
    struct rs_error err = {0};
    int sizes[3] = {5, 33, 0};
    for (int i = 0; i < 3; i++) {
        k.size = sizes[i];
        rs_env *e = rs_env_breakout(&k, &c, &err);
        tap_ok(e == NULL && err.code == RS_EINVAL &&
                   strstr(err.msg, "size") != NULL,
               "size %d refused (%s)", sizes[i], err.msg);
    }
    /* The extreme sizes play (the sanitizers watch the indices). */
    int ok_sizes[2] = {6, 32};
    for (int i = 0; i < 2; i++) {
        k.size = ok_sizes[i];
        c.copies = 4;
        rs_env *e = rs_env_breakout(&k, &c, &err);
        int n = k.size, good = e != NULL;
        size_t d = (size_t)(4 * n * n);
        float *obs = malloc(4 * d * sizeof *obs);
        float rew[4];
        uint8_t te[4], tr[4];
        uint8_t *cells = malloc((size_t)(n * n));
        struct rs_env_step st = {
            .obs = obs, .reward = rew, .terminated = te, .truncated = tr};
        struct rs_rng pol;
        rs_rng_seed(&pol, 9);
        for (int s = 0; good && s < 2000; s++) {
            int act[4];
            for (int j = 0; j < 4; j++)
                act[j] = (int)rs_rng_below(&pol, 3);
            good &= rs_env_step(e, act, &st, NULL) == RS_OK;
            rs_env_render(e, s % 4, cells);
            for (int j = 0; j < 4; j++)
                good &= sane_n(obs + (size_t)j * d, n);
        }
        tap_ok(good, "size %d: 2000 random steps, one paddle, ball and trail",
               n);
        free(cells);
        free(obs);
        rs_env_free(e);
    }
}

int
main(void)
{
    uint64_t seed = left_seed();
    tap_diag("seed %llu starts copy 0 on the left", (unsigned long long)seed);
    test_layout(seed);
    test_scripts(seed);
    test_rules(seed);
    test_state();
    test_sizes();
    tap_plan_lazy();
    return tap_done();
}
