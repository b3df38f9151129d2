/* repscope - MIT licence, see COPYING.
 *
 * t_env_corridor.c: the CLOSE/FAR corridor against its layout written out
 * by hand (default config: pits 4 8 12 16 | 21 23 25, door 26, 28 30 32,
 * goal 34): every transition from every floor cell, the observation bits,
 * the expert, far_visible, start ranges and their draws, the walk against
 * stepping the env, the frame, the checkpoint round trip and bad configs.
 *
 * A state is set through the checkpoint words: a copy's record is 7
 * words (RNG 4, t, summed reward, then the kind's state: one word holding
 * the int32 cell and furthest); copy i of N starts (N - i) * 7 words
 * before the end.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "env/env.h"
#include "tests/tap.h"

#define CELLS 35
#define GOAL 34
#define OBS (CELLS + 2)
#define REC 7

struct cs {
    int32_t cell, furthest;
};

/* The default layout, by hand. */
static const int pits[] = {4, 8, 12, 16, 21, 23, 25, 28, 30, 32};
#define NPITS ((int)(sizeof pits / sizeof pits[0]))
#define DOOR 26

static bool
is_pit(int cell)
{
    for (int i = 0; i < NPITS; i++)
        if (pits[i] == cell)
            return true;
    return false;
}

static rs_env *
make(const struct rs_env_corridor_config *k, int copies, uint64_t seed,
     long horizon)
{
    struct rs_env_config c;
    rs_env_config_default(&c);
    c.copies = copies;
    c.seed = seed;
    c.horizon = horizon;
    struct rs_error err = {0};
    rs_env *e = rs_env_corridor(k, &c, &err);
    if (e == NULL)
        tap_diag("rs_env_corridor: %s", err.msg);
    return e;
}

static rs_env *
make_default(void)
{
    struct rs_env_corridor_config k;
    rs_env_corridor_config_default(&k);
    return make(&k, 1, 7, 0);
}

static uint64_t *
save(const rs_env *e, size_t *n)
{
    *n = rs_env_state_words(e);
    uint64_t *w = malloc(*n * sizeof *w);
    rs_env_state_save(e, w);
    return w;
}

/* Copy i's kind state. */
static struct cs
get_cs(const rs_env *e, int i)
{
    size_t n;
    uint64_t *w = save(e, &n);
    struct cs s;
    memcpy(&s, w + n - (size_t)(rs_env_copies(e) - i) * REC + 6, sizeof s);
    free(w);
    return s;
}

/* Put copy 0 of a one-copy env on cell (furthest = cell). */
static int
set_cell(rs_env *e, int cell)
{
    size_t n;
    uint64_t *w = save(e, &n);
    struct cs s = {cell, cell};
    memcpy(w + n - 1, &s, sizeof s);
    int rc = rs_env_state_load(e, w, n, NULL);
    free(w);
    return rc;
}

/* The one hot index among the first CELLS floats, or -1. */
static int
hot(const float *obs, int cells)
{
    int at = -1;
    for (int i = 0; i < cells; i++) {
        if (obs[i] == 1.0f) {
            if (at >= 0)
                return -1;
            at = i;
        } else if (obs[i] != 0.0f) {
            return -1;
        }
    }
    return at;
}

struct out1 {
    float obs[OBS], fin[OBS], rew;
    uint8_t term, trunc;
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
                                 .truncated = &o->trunc};
}

static void
test_layout(void)
{
    struct rs_env_corridor_config k;
    rs_env_corridor_config_default(&k);
    tap_ok(k.close == 20 && k.far == 15 && k.pit_every == 4 && k.door == 6 &&
               k.start_lo == 0 && k.start_hi == 0 && !k.far_visible &&
               k.step_cost == 0.01 && k.fall_cost == 0.0,
           "defaults: close 20, far 15, pit_every 4, door 6, start 0, 0.01, "
           "fall_cost 0");
    int same = 1, first = -1;
    for (int c = -2; c < CELLS + 3; c++)
        if (rs_env_corridor_pit(&k, c) != is_pit(c)) {
            same = 0;
            if (first < 0)
                first = c;
        }
    tap_ok(same, "pits 4 8 12 16 | 21 23 25, 28 30 32 (first wrong: %d)",
           first);
    rs_env *e = make(&k, 1, 7, 0);
    struct rs_env_info info;
    rs_env_info(e, &info);
    tap_ok(rs_env_obs_dim(e) == OBS && rs_env_actions(e) == 2 &&
               info.frame_h == 2 && info.frame_w == CELLS,
           "obs_dim 37, 2 actions, frame 2 x 35");
    tap_ok(strlen(info.glyphs) == 7 && strlen(info.colors) == 7,
           "7 cell codes, one colour each");
    tap_is_str(rs_env_kind(e), "corridor", "kind");
    const struct rs_env_corridor_config *got = rs_env_corridor_config(e);
    tap_ok(got != NULL && got->door == 6 && got->far == 15,
           "rs_env_corridor_config gives the kind's config");
    struct rs_env_cartpole_config kc;
    rs_env_cartpole_config_default(&kc);
    struct rs_env_config cc;
    rs_env_config_default(&cc);
    rs_env *cp = rs_env_cartpole(&kc, &cc, NULL);
    tap_ok(rs_env_corridor_config(cp) == NULL, "NULL for a cartpole");
    rs_env_free(cp);

    /* The frame, through the glyphs. */
    uint8_t cells[2 * CELLS];
    char row[2][CELLS + 1];
    tap_ok(set_cell(e, 22) == RS_OK, "agent put on cell 22");
    rs_env_render(e, 0, cells);
    for (int r = 0; r < 2; r++) {
        for (int i = 0; i < CELLS; i++)
            row[r][i] = info.glyphs[cells[r * CELLS + i]];
        row[r][CELLS] = '\0';
    }
    tap_is_str(row[0], "....O...O...O...O....x.x.x|.x.x.x.G",
               "frame row 0: floor, shown pits, dark pits, door, goal");
    tap_is_str(row[1], "                      @            ",
               "frame row 1: the agent on 22");
    k.far_visible = true;
    rs_env *v = make(&k, 1, 7, 0);
    rs_env_render(v, 0, cells);
    for (int i = 0; i < CELLS; i++)
        row[0][i] = info.glyphs[cells[i]];
    tap_is_str(row[0], "....O...O...O...O....O.O.O|.O.O.O.G",
               "far_visible: FAR pits drawn as shown pits");
    rs_env_free(v);
    rs_env_free(e);
}

static void
test_transitions(void)
{
    rs_env *e = make_default();
    struct out1 o;
    out1_init(&o);
    int checked = 0, bad = 0;
    for (int c = 0; c < GOAL; c++) {
        if (is_pit(c))
            continue;
        for (int a = 0; a < 2; a++) {
            int next = c + 1 + a > GOAL ? GOAL : c + 1 + a;
            bool goal = next == GOAL;
            bool term = goal || is_pit(next);
            float rew = goal ? 0.99f : -0.01f;
            int ok = set_cell(e, c) == RS_OK;
            ok &= rs_env_step(e, &a, &o.st, NULL) == RS_OK;
            ok &= o.term == term && !o.trunc && o.rew == rew;
            ok &= hot(o.fin, CELLS) == next;
            ok &= hot(o.obs, CELLS) == (term ? 0 : next);
            if (!term) {
                struct cs s = get_cs(e, 0);
                ok &= s.cell == next && s.furthest == next;
            }
            checked++;
            if (!ok && bad++ == 0)
                tap_diag("first wrong transition: cell %d action %d", c, a);
        }
    }
    tap_is_int(checked, 2 * (GOAL - NPITS), "48 transitions checked");
    tap_is_int(bad, 0,
               "every step/jump from every floor cell: next cell, "
               "reward, terminated");
    /* Three of them spelled out. */
    int a = 1;
    (void)set_cell(e, 3);
    tap_ok(rs_env_step(e, &a, &o.st, NULL) == RS_OK && !o.term &&
               hot(o.obs, CELLS) == 5 && o.rew == -0.01f,
           "3 jump: 5, -0.01");
    a = 0;
    (void)set_cell(e, 20);
    tap_ok(rs_env_step(e, &a, &o.st, NULL) == RS_OK && o.term &&
               hot(o.fin, CELLS) == 21 && o.rew == -0.01f,
           "20 step: the dark pit 21, terminated with -0.01");
    a = 1;
    (void)set_cell(e, 33);
    tap_ok(rs_env_step(e, &a, &o.st, NULL) == RS_OK && o.term &&
               hot(o.fin, CELLS) == GOAL && o.rew == 0.99f,
           "33 jump: past the goal counts as the goal, +1 - 0.01");
    rs_env_free(e);

    /* fall_cost: only a landing on a pit pays it */
    struct rs_env_corridor_config k;
    rs_env_corridor_config_default(&k);
    k.fall_cost = 0.5;
    e = make(&k, 1, 7, 0);
    const int from[3] = {20, 3, 33}, act[3] = {0, 1, 1};
    const float want[3] = {-0.51f, -0.01f, 0.99f};
    bool paid = true;
    for (int i = 0; i < 3; i++) {
        (void)set_cell(e, from[i]);
        paid = paid && rs_env_step(e, &act[i], &o.st, NULL) == RS_OK &&
               o.rew == want[i];
    }
    tap_ok(paid, "fall_cost 0.5: into the pit 21 -0.51; 3 -> 5 and the goal "
                 "as before");
    rs_env_free(e);
}

static void
test_observation(void)
{
    struct rs_env_corridor_config k;
    rs_env_corridor_config_default(&k);
    rs_env *e = make(&k, 1, 7, 0);
    float obs[OBS], want[OBS];
    /* cell, pit bit, door bit */
    static const int known[][3] = {
        {0, 0, 0},  {3, 1, 0},  {4, 0, 0},  {7, 1, 0},  {15, 1, 0}, {19, 0, 0},
        {20, 0, 0}, {22, 0, 0}, {26, 0, 1}, {27, 0, 0}, {33, 0, 0}, {34, 0, 0}};
    int good = 1;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        rs_env_corridor_observe_cell(&k, known[i][0], obs);
        good &= hot(obs, CELLS) == known[i][0] &&
                obs[CELLS] == (float)known[i][1] &&
                obs[CELLS + 1] == (float)known[i][2];
        if (!good) {
            tap_diag("cell %d wrong", known[i][0]);
            break;
        }
    }
    tap_ok(good, "one-hot, pit bit and door bit at 12 known cells");
    rs_env_corridor_observe_cell(&k, GOAL + 1, obs);
    tap_is_int(hot(obs, CELLS), GOAL, "a cell past the goal observes as it");
    /* The wrapper's observation is the cell's. */
    int same = 1;
    for (int c = 0; c < GOAL; c++) {
        if (is_pit(c))
            continue;
        same &= set_cell(e, c) == RS_OK;
        rs_env_observe(e, obs);
        rs_env_corridor_observe_cell(&k, c, want);
        same &= memcmp(obs, want, sizeof obs) == 0;
    }
    tap_ok(same, "rs_env_observe == rs_env_corridor_observe_cell");
    /* far_visible changes the pit bit only, exactly before FAR pits. */
    struct rs_env_corridor_config kv = k;
    kv.far_visible = true;
    int only = 1, changed = 0;
    for (int c = 0; c < CELLS; c++) {
        rs_env_corridor_observe_cell(&k, c, obs);
        rs_env_corridor_observe_cell(&kv, c, want);
        only &= memcmp(obs, want, CELLS * sizeof *obs) == 0 &&
                obs[CELLS + 1] == want[CELLS + 1];
        bool far_pit_next = c + 1 >= 20 && is_pit(c + 1);
        only &= want[CELLS] == (is_pit(c + 1) ? 1.0f : 0.0f);
        only &= (obs[CELLS] != want[CELLS]) == far_pit_next;
        changed += obs[CELLS] != want[CELLS];
    }
    tap_ok(only && changed == 6,
           "far_visible: only the pit bit changes, on the 6 cells before "
           "FAR pits (%d)",
           changed);
    rs_env_free(e);
}

/* Walk the policy by hand (no rs_env_corridor_walk), cells into path. */
static int
path_of(const struct rs_env_corridor_config *k, const int *act, int start,
        int *path)
{
    int n = 0, c = start;
    path[n++] = c;
    while (c < GOAL && !is_pit(c) && n < 64) {
        c += 1 + act[c];
        path[n++] = c > GOAL ? GOAL : c;
    }
    (void)k;
    return n;
}

static void
test_expert(void)
{
    struct rs_env_corridor_config k;
    rs_env_corridor_config_default(&k);
    int ex[CELLS];
    for (int c = 0; c < CELLS; c++)
        ex[c] = rs_env_corridor_expert(&k, c);
    tap_ok(ex[0] == 0 && ex[3] == 1 && ex[4] == -1 && ex[5] == 0 &&
               ex[15] == 1 && ex[19] == 0 && ex[20] == 1 && ex[24] == 1 &&
               ex[26] == 0 && ex[27] == 1 && ex[33] == 1 && ex[34] == -1,
           "expert: step, jump before CLOSE pits, jump in FAR, step on the "
           "door, -1 on pits and the goal");
    tap_ok(rs_env_corridor_expert(&k, -1) == -1 &&
               rs_env_corridor_expert(&k, 35) == -1,
           "expert: -1 outside the corridor");
    int path[64];
    int n = path_of(&k, ex, 20, path);
    static const int want[] = {20, 22, 24, 26, 27, 29, 31, 33, 34};
    tap_ok(n == 9 && memcmp(path, want, sizeof want) == 0,
           "expert from 20: 20 22 24 26 27 29 31 33 -> goal");
    struct rs_env_corridor_walk w;
    rs_env_corridor_walk(&k, ex, 20, 100, &w);
    tap_ok(w.goal && !w.fell && w.steps == 8 && w.last == GOAL &&
               w.furthest == GOAL,
           "walk of the expert from close: the goal in 8 steps");
    rs_env_corridor_walk(&k, ex, 0, 100, &w);
    tap_ok(w.goal && !w.fell && w.last == GOAL, "expert from 0 reaches it");
    int jump[CELLS];
    for (int c = 0; c < CELLS; c++)
        jump[c] = 1;
    rs_env_corridor_walk(&k, jump, 0, 100, &w);
    tap_ok(w.fell && !w.goal && w.last == 4 && w.furthest == 4 && w.steps == 2,
           "jumping everywhere from 0 falls at 4");
    rs_env_corridor_walk(&k, jump, 20, 100, &w);
    tap_ok(w.fell && w.last == 28, "jumping everywhere from 20 falls at 28");
    rs_env_corridor_walk(&k, ex, 0, 5, &w);
    tap_ok(!w.goal && !w.fell && w.steps == 5 && w.last == 6,
           "max_steps 5 stops the expert on 6");
    rs_env_corridor_walk(&k, ex, 8, 5, &w);
    tap_ok(w.fell && w.steps == 0 && w.last == 8, "a walk from a pit: fell");
    rs_env_corridor_walk(&k, ex, 20, 0, &w);
    tap_ok(!w.fell && !w.goal && w.steps == 0 && w.last == 20,
           "max_steps 0: stays on the start");
}

/* Every config of a grid: the goal is no pit and the expert reaches the
 * goal from every floor cell, with its CLOSE jumps where the pit bit is
 * set; FAR pits never show. */
static void
test_solvable(void)
{
    long configs = 0, bad = 0;
    int act[60];
    float obs[62];
    for (int close = 4; close <= 24; close++)
        for (int far = 3; far <= 20; far++)
            for (int pe = 2; pe <= close; pe++)
                for (int door = 1; door <= far - 2; door++) {
                    struct rs_env_corridor_config k;
                    rs_env_corridor_config_default(&k);
                    k.close = close;
                    k.far = far;
                    k.pit_every = pe;
                    k.door = door;
                    int goal = close + far - 1;
                    for (int c = 0; c <= goal; c++)
                        act[c] = rs_env_corridor_expert(&k, c);
                    int ok = !rs_env_corridor_pit(&k, goal) &&
                             !rs_env_corridor_pit(&k, close) && act[0] >= 0;
                    for (int c = 0; c < goal && ok; c++) {
                        if (rs_env_corridor_pit(&k, c)) {
                            ok &= act[c] == -1;
                            continue;
                        }
                        struct rs_env_corridor_walk w;
                        rs_env_corridor_walk(&k, act, c, goal, &w);
                        ok &= w.goal;
                        rs_env_corridor_observe_cell(&k, c, obs);
                        if (c < close)
                            ok &= (float)act[c] == obs[goal + 1];
                        else
                            ok &= obs[goal + 1] == 0.0f;
                    }
                    configs++;
                    if (!ok && bad++ == 0)
                        tap_diag("unsolvable: close %d far %d pit_every %d "
                                 "door %d",
                                 close, far, pe, door);
                }
    tap_ok(bad == 0 && configs > 10000,
           "%ld configs: the expert reaches the goal from every floor cell",
           configs);
}

static void
test_starts(void)
{
    struct rs_env_corridor_config k;
    rs_env_corridor_config_default(&k);
    k.start_lo = 20;
    k.start_hi = 33;
    int copies = 1000;
    rs_env *e = make(&k, copies, 3, 0);
    int count[CELLS] = {0};
    for (int r = 0; r < 8; r++) {
        for (int i = 0; i < copies; i++)
            count[get_cs(e, i).cell]++;
        rs_env_reset(e);
    }
    static const int floor_cells[] = {20, 22, 24, 26, 27, 29, 31, 33};
    int in = 0, lo = 8000, hi = 0;
    for (int j = 0; j < 8; j++) {
        int n = count[floor_cells[j]];
        in += n;
        lo = n < lo ? n : lo;
        hi = n > hi ? n : hi;
    }
    tap_is_int(in, 8000, "starts in 20..33 land on its 8 floor cells only");
    tap_ok(lo > 850 && hi < 1150,
           "uniform over them (counts %d..%d of 8000, 1000 expected)", lo, hi);
    rs_env_free(e);

    /* lo == hi: the copies' streams are not drawn from. */
    k.start_lo = k.start_hi = 5;
    e = make(&k, 3, 11, 0);
    struct rs_rng root, want[3];
    rs_rng_seed(&root, 11);
    for (int i = 0; i < 3; i++)
        rs_rng_split(&root, &want[i]);
    float obs[3 * OBS], fin[3 * OBS], rew[3];
    uint8_t term[3], trunc[3];
    struct rs_env_step st = {.obs = obs,
                             .final_obs = fin,
                             .reward = rew,
                             .terminated = term,
                             .truncated = trunc};
    int act[3] = {1, 1, 1}, ends = 0;
    for (int s = 0; s < 20; s++) {
        if (rs_env_step(e, act, &st, NULL) != RS_OK)
            break;
        ends += term[0] + term[1] + term[2];
    }
    size_t n;
    uint64_t *w = save(e, &n);
    int untouched = 1;
    for (int i = 0; i < 3; i++)
        untouched &= memcmp(w + n - (size_t)(3 - i) * REC, want[i].s,
                            sizeof want[i].s) == 0;
    tap_ok(untouched && ends > 3 && hot(obs, CELLS) >= 5,
           "start 5..5: %d episodes, every copy's stream untouched", ends);
    free(w);
    rs_env_free(e);
    k.start_lo = 5;
    k.start_hi = 6;
    e = make(&k, 3, 11, 0);
    w = save(e, &n);
    tap_ok(memcmp(w + n - 3 * REC, want[0].s, sizeof want[0].s) != 0,
           "start 5..6: the reset draws from the stream");
    free(w);
    rs_env_free(e);
}

/* The walk is the greedy episode: random policies and starts, stepped
 * through the env with start = that cell and horizon = max_steps. */
static void
test_walk_vs_env(void)
{
    struct rs_env_corridor_config k;
    rs_env_corridor_config_default(&k);
    struct rs_rng r;
    rs_rng_seed(&r, 5);
    struct out1 o;
    out1_init(&o);
    int same = 1, goals = 0, falls = 0, cuts = 0;
    for (int p = 0; p < 300; p++) {
        int act[CELLS];
        for (int c = 0; c < CELLS; c++)
            act[c] = (int)rs_rng_below(&r, 2);
        int start;
        do
            start = (int)rs_rng_below(&r, GOAL);
        while (is_pit(start));
        int max_steps = 1 + (int)rs_rng_below(&r, 14);
        struct rs_env_corridor_walk w;
        rs_env_corridor_walk(&k, act, start, max_steps, &w);
        k.start_lo = k.start_hi = start;
        rs_env *e = make(&k, 1, 1 + (uint64_t)p, max_steps);
        float cur[OBS];
        rs_env_observe(e, cur);
        int steps = 0, last = start;
        bool goal = false, fell = false;
        for (;;) {
            int a = act[hot(cur, CELLS)];
            if (rs_env_step(e, &a, &o.st, NULL) != RS_OK)
                break;
            steps++;
            last = hot(o.fin, CELLS);
            if (o.term || o.trunc) {
                goal = o.term && o.rew > 0.0f;
                fell = o.term && !goal;
                break;
            }
            memcpy(cur, o.obs, sizeof cur);
        }
        same &= w.steps == steps && w.last == last && w.furthest == last &&
                w.goal == goal && w.fell == fell;
        goals += goal;
        falls += fell;
        cuts += !goal && !fell;
        rs_env_free(e);
        if (!same) {
            tap_diag("policy %d from %d: walk %d steps to %d, env %d to %d", p,
                     start, w.steps, w.last, steps, last);
            break;
        }
    }
    tap_ok(same && goals > 0 && falls > 0 && cuts > 0,
           "300 random policies: walk == the env's greedy episode (%d goals, "
           "%d falls, %d cut at max_steps)",
           goals, falls, cuts);
}

static void
test_state(void)
{
    struct rs_env_corridor_config k;
    rs_env_corridor_config_default(&k);
    k.start_lo = 17;
    k.start_hi = 26;
    rs_env *a = make(&k, 3, 21, 0);
    rs_env *b = make(&k, 3, 22, 0);
    struct rs_rng pol;
    rs_rng_seed(&pol, 3);
    float oa[3 * OBS], ob[3 * OBS], ra[3], rb[3];
    uint8_t ta[3], tb[3], ua[3], ub[3];
    struct rs_env_step sa = {
        .obs = oa, .reward = ra, .terminated = ta, .truncated = ua};
    struct rs_env_step sb = {
        .obs = ob, .reward = rb, .terminated = tb, .truncated = ub};
    int act[3];
    for (int s = 0; s < 100; s++) {
        for (int i = 0; i < 3; i++)
            act[i] = (int)rs_rng_below(&pol, 2);
        if (rs_env_step(a, act, &sa, NULL) != RS_OK)
            break;
    }
    size_t n;
    uint64_t *w = save(a, &n);
    struct rs_error err = {0};
    tap_ok(rs_env_state_load(b, w, n, &err) == RS_OK, "load (%s)", err.msg);
    int same = 1;
    for (int s = 0; s < 300; s++) {
        for (int i = 0; i < 3; i++)
            act[i] = (int)rs_rng_below(&pol, 2);
        same &= rs_env_step(a, act, &sa, NULL) == RS_OK;
        same &= rs_env_step(b, act, &sb, NULL) == RS_OK;
        same &=
            memcmp(oa, ob, sizeof oa) == 0 && memcmp(ra, rb, sizeof ra) == 0 &&
            memcmp(ta, tb, sizeof ta) == 0 && memcmp(ua, ub, sizeof ua) == 0;
    }
    tap_ok(same && rs_env_episodes(a) > 50,
           "300 steps after the load are bit for bit (%ld episodes)",
           rs_env_episodes(a));
    /* Kind states a step could not leave behind are refused. */
    size_t at = n - 1;
    struct cs good;
    memcpy(&good, w + at, sizeof good);
    static const struct cs bad[] = {
        {4, 4}, {GOAL, GOAL}, {-1, -1}, {22, 24}, {40, 40}};
    static const char *const why[] = {"on a pit", "on the goal", "cell -1",
                                      "furthest != cell", "past the end"};
    for (int i = 0; i < 5; i++) {
        memcpy(w + at, &bad[i], sizeof bad[i]);
        tap_is_int(rs_env_state_load(b, w, n, &err), RS_EFORMAT,
                   "a copy %s refused", why[i]);
    }
    tap_ok(strstr(err.msg, "corridor state out of range") != NULL,
           "message: %s", err.msg);
    memcpy(w + at, &good, sizeof good);
    k.door = 5;
    rs_env *o = make(&k, 3, 21, 0);
    tap_is_int(rs_env_state_load(o, w, n, &err), RS_EFORMAT,
               "another door refused (%s)", err.msg);
    tap_ok(strstr(err.msg, "door=6") && strstr(err.msg, "door=5") &&
               strstr(err.msg, "step_cost=0.01"),
           "the message names both configs");
    rs_env_free(o);
    free(w);
    rs_env_free(a);
    rs_env_free(b);
}

static void
test_refused(void)
{
    struct {
        const char *what;
        int close, far, pit_every, door, lo, hi;
        double cost;
        const char *msg;
    } cases[] = {
        {"close 3", 3, 15, 3, 6, 0, 0, 0.01, "close = 3 (must be 4..200)"},
        {"close 201", 201, 15, 4, 6, 0, 0, 0.01,
         "close = 201 (must be 4..200)"},
        {"far 2", 20, 2, 4, 6, 0, 0, 0.01, "far = 2 (must be 3..200)"},
        {"far 201", 20, 201, 4, 6, 0, 0, 0.01, "far = 201 (must be 3..200)"},
        {"pit_every 1", 20, 15, 1, 6, 0, 0, 0.01,
         "pit_every = 1 (must be 2..close = 20)"},
        {"pit_every 21", 20, 15, 21, 6, 0, 0, 0.01,
         "pit_every = 21 (must be 2..close = 20)"},
        {"door 0", 20, 15, 4, 0, 0, 0, 0.01,
         "door = 0 (must be 1..13: an offset into FAR after its first cell "
         "and before the goal)"},
        {"door 14 (the goal)", 20, 15, 4, 14, 0, 0, 0.01,
         "door = 14 (must be 1..13: an offset into FAR after its first cell "
         "and before the goal)"},
        {"start -1", 20, 15, 4, 6, -1, 0, 0.01,
         "start = -1..0 (must be 0 <= lo <= hi < goal = 34)"},
        {"start lo > hi", 20, 15, 4, 6, 3, 2, 0.01,
         "start = 3..2 (must be 0 <= lo <= hi < goal = 34)"},
        {"start on the goal", 20, 15, 4, 6, 0, 34, 0.01,
         "start = 0..34 (must be 0 <= lo <= hi < goal = 34)"},
        {"start on a pit", 20, 15, 4, 6, 4, 4, 0.01,
         "start = 4..4: cell 4 is a pit"},
        {"start ending on a dark pit", 20, 15, 4, 6, 0, 21, 0.01,
         "start = 0..21: cell 21 is a pit"},
        {"step_cost -0.5", 20, 15, 4, 6, 0, 0, -0.5,
         "step_cost = -0.5 (must be finite and >= 0)"},
        {"step_cost inf", 20, 15, 4, 6, 0, 0, INFINITY,
         "step_cost = inf (must be finite and >= 0)"},
        {"fall_cost -1", 20, 15, 4, 6, 0, 0, -1.0,
         "fall_cost = -1 (must be finite and >= 0)"},
    };
    struct rs_env_config c;
    rs_env_config_default(&c);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct rs_env_corridor_config k;
        rs_env_corridor_config_default(&k);
        k.close = cases[i].close;
        k.far = cases[i].far;
        k.pit_every = cases[i].pit_every;
        k.door = cases[i].door;
        k.start_lo = cases[i].lo;
        k.start_hi = cases[i].hi;
        /* the last case's cost is the fall's */
        bool fall = strncmp(cases[i].what, "fall_cost", 9) == 0;
        k.step_cost = fall ? 0.01 : cases[i].cost;
        k.fall_cost = fall ? cases[i].cost : 0.0;
        struct rs_error err = {0};
        rs_env *e = rs_env_corridor(&k, &c, &err);
        tap_ok(e == NULL && err.code == RS_EINVAL, "%s refused", cases[i].what);
        tap_is_str(err.msg, cases[i].msg, "%s: message", cases[i].what);
        rs_env_free(e);
    }
    /* The extremes build and play (the sanitizers watch the indices). */
    int sizes[2][3] = {{4, 3, 2}, {200, 200, 200}};
    for (int s = 0; s < 2; s++) {
        struct rs_env_corridor_config k;
        rs_env_corridor_config_default(&k);
        k.close = sizes[s][0];
        k.far = sizes[s][1];
        k.pit_every = sizes[s][2];
        k.door = k.far - 2;
        k.start_hi = k.close + k.far - 2;
        k.far_visible = s == 1;
        c.copies = 4;
        struct rs_error err = {0};
        rs_env *e = rs_env_corridor(&k, &c, &err);
        int good = e != NULL, d = k.close + k.far + 2;
        float *obs = calloc((size_t)(4 * d), sizeof *obs);
        float rew[4];
        uint8_t te[4], tr[4];
        uint8_t *cells = malloc((size_t)(2 * (d - 2)));
        struct rs_env_step st = {
            .obs = obs, .reward = rew, .terminated = te, .truncated = tr};
        struct rs_rng pol;
        rs_rng_seed(&pol, 9);
        for (int t = 0; good && t < 3000; t++) {
            int act[4];
            for (int j = 0; j < 4; j++)
                act[j] = (int)rs_rng_below(&pol, 2);
            good &= rs_env_step(e, act, &st, NULL) == RS_OK;
            rs_env_render(e, t % 4, cells);
            for (int j = 0; j < 4; j++)
                good &= hot(obs + (size_t)j * (size_t)d, d - 2) >= 0;
        }
        tap_ok(good, "close %d far %d: 3000 random steps, one cell each (%s)",
               k.close, k.far, err.msg);
        free(cells);
        free(obs);
        rs_env_free(e);
    }
}

int
main(void)
{
    test_layout();
    test_transitions();
    test_observation();
    test_expert();
    test_solvable();
    test_starts();
    test_walk_vs_env();
    test_state();
    test_refused();
    tap_plan_lazy();
    return tap_done();
}
