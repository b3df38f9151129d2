/* repscope - MIT licence, see COPYING.
 *
 * t_env_wrapper.c: the vectorised env wrapper on a tiny kind of the test's
 * own ("walk": a counter moved by the action, ended by action 2), so
 * every expected number is exact: per-copy streams (split i of the
 * seed's), auto-reset with final_obs, episode returns and lengths,
 * horizon truncation and the time feature, the normalisation statistics
 * (recomputed here from the documented procedure), bad actions and bad
 * configs, state round trip and refused loads.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env/env.h"
#include "tests/tap.h"

/* ---- the walk kind --------------------------------------------------------
 * state: pos (drawn 0..99 at reset), k (steps in the episode);
 * step: pos += action, k += 1, reward action + 0.5, terminated iff
 * action == 2; obs: (pos, k). */
struct walk {
    int64_t pos, k;
};

static void
walk_info(const void *cfg, struct rs_env_info *out)
{
    (void)cfg;
    out->obs_dim = 2;
    out->actions = 3;
    out->frame_h = 1;
    out->frame_w = 3;
    out->glyphs = " x";
    out->colors = "kw";
}

static void
walk_reset(const void *cfg, void *state, struct rs_rng *rng)
{
    (void)cfg;
    struct walk *s = state;
    s->pos = rs_rng_below(rng, 100);
    s->k = 0;
}

static void
walk_step(const void *cfg, void *state, int action, struct rs_rng *rng,
          float *reward, bool *terminated)
{
    (void)cfg;
    (void)rng;
    struct walk *s = state;
    s->pos += action;
    s->k++;
    *reward = (float)action + 0.5f;
    *terminated = action == 2;
}

static void
walk_observe(const void *cfg, const void *state, float *obs)
{
    (void)cfg;
    const struct walk *s = state;
    obs[0] = (float)s->pos;
    obs[1] = (float)s->k;
}

static void
walk_render(const void *cfg, const void *state, uint8_t *cells)
{
    (void)cfg;
    const struct walk *s = state;
    for (int c = 0; c < 3; c++)
        cells[c] = s->pos % 3 == c;
}

static void
walk_describe(const void *cfg, char *out, size_t len)
{
    snprintf(out, len, "walk %d", *(const int *)cfg);
}

static bool
walk_check(const void *cfg, const void *state)
{
    (void)cfg;
    const struct walk *s = state;
    return s->pos >= 0 && s->k >= 0;
}

static const struct rs_env_class walk_class = {
    .kind = "walk",
    .info = walk_info,
    .state_size = sizeof(struct walk),
    .reset = walk_reset,
    .step = walk_step,
    .observe = walk_observe,
    .render = walk_render,
    .describe = walk_describe,
    .check = walk_check,
    .destroy = free,
};

static rs_env *
walk_new(int variant, const struct rs_env_config *cfg, struct rs_error *err)
{
    int *v = malloc(sizeof *v);
    *v = variant;
    return rs_env_new(&walk_class, v, cfg, err);
}

/* Buffers for one step of up to 8 copies of obs_dim <= 3. */
struct bufs {
    float obs[24], fin[24], rew[8];
    uint8_t term[8], trunc[8];
    double ret[8];
    long len[8];
    struct rs_env_step st;
};

static void
bufs_init(struct bufs *b)
{
    memset(b, 0, sizeof *b);
    b->st = (struct rs_env_step){.obs = b->obs,
                                 .final_obs = b->fin,
                                 .reward = b->rew,
                                 .terminated = b->term,
                                 .truncated = b->trunc,
                                 .ep_return = b->ret,
                                 .ep_len = b->len};
}

/* The pos copy i draws at its r-th reset (r from 0) under seed. */
static int64_t
expected_pos(uint64_t seed, int i, int r)
{
    struct rs_rng root, c;
    rs_rng_seed(&root, seed);
    for (int j = 0; j <= i; j++)
        rs_rng_split(&root, &c);
    int64_t p = 0;
    for (int k = 0; k <= r; k++)
        p = rs_rng_below(&c, 100);
    return p;
}

static void
test_reset_streams(void)
{
    struct rs_env_config cfg;
    rs_env_config_default(&cfg);
    cfg.copies = 3;
    cfg.seed = 42;
    rs_env *e = walk_new(0, &cfg, NULL);
    tap_is_int(rs_env_obs_dim(e), 2, "obs_dim without time feature");
    tap_is_int(rs_env_actions(e), 3, "actions");
    tap_is_int(rs_env_copies(e), 3, "copies");
    tap_is_str(rs_env_kind(e), "walk", "kind");
    float obs[6];
    rs_env_observe(e, obs);
    int good = 1;
    for (int i = 0; i < 3; i++)
        good &= obs[2 * i] == (float)expected_pos(42, i, 0) &&
                obs[2 * i + 1] == 0.0f;
    tap_ok(good, "copy i starts from split i of the seed's stream");
    /* rs_env_reset draws the next episode of every copy. */
    rs_env_reset(e);
    rs_env_observe(e, obs);
    good = 1;
    for (int i = 0; i < 3; i++)
        good &= obs[2 * i] == (float)expected_pos(42, i, 1);
    tap_ok(good, "rs_env_reset advances each copy's stream");
    tap_is_int(rs_env_episodes(e), 0, "a reset finishes no episode");
    rs_env_free(e);
}

static void
test_auto_reset(void)
{
    struct rs_env_config cfg;
    rs_env_config_default(&cfg);
    cfg.copies = 2;
    cfg.seed = 7;
    rs_env *e = walk_new(0, &cfg, NULL);
    struct bufs b;
    bufs_init(&b);
    int a1[2] = {1, 1};
    tap_ok(rs_env_step(e, a1, &b.st, NULL) == RS_OK, "step");
    int64_t p0 = expected_pos(7, 0, 0), p1 = expected_pos(7, 1, 0);
    tap_ok(b.obs[0] == p0 + 1 && b.obs[1] == 1.0f && b.obs[2] == p1 + 1,
           "both copies moved");
    tap_ok(memcmp(b.obs, b.fin, 4 * sizeof(float)) == 0,
           "final_obs equals obs for unfinished copies");
    tap_ok(b.ret[0] == 0.0 && b.len[1] == 0,
           "ep_return and ep_len are 0 for unfinished copies");
    int a2[2] = {0, 2};
    tap_ok(rs_env_step(e, a2, &b.st, NULL) == RS_OK, "step that ends copy 1");
    tap_ok(b.term[1] == 1 && b.trunc[1] == 0 && b.term[0] == 0,
           "copy 1 terminated, copy 0 not");
    tap_ok(b.fin[2] == (float)(p1 + 3) && b.fin[3] == 2.0f,
           "final_obs is copy 1's last observation");
    tap_ok(b.obs[2] == (float)expected_pos(7, 1, 1) && b.obs[3] == 0.0f,
           "obs is copy 1's next episode (drawn from its own stream)");
    tap_is_float(b.ret[1], 1.5 + 2.5, 0, 0, "ep_return sums the rewards");
    tap_is_int(b.len[1], 2, "ep_len");
    tap_ok(b.rew[0] == 0.5f && b.rew[1] == 2.5f, "rewards");
    tap_ok(b.obs[0] == (float)(p0 + 1) && b.obs[1] == 2.0f, "copy 0 continues");
    tap_is_int(rs_env_episodes(e), 1, "one episode finished");
    tap_is_int(rs_env_steps(e), 4, "env steps count copies");
    /* The next episode's return starts from zero. */
    int a3[2] = {2, 2};
    tap_ok(rs_env_step(e, a3, &b.st, NULL) == RS_OK, "step ending both");
    tap_ok(b.ret[1] == 2.5 && b.len[1] == 1 && b.ret[0] == 1.5 + 0.5 + 2.5 &&
               b.len[0] == 3,
           "accumulators restart after a reset");
    /* Optional outputs may be NULL. */
    b.st.final_obs = NULL;
    b.st.ep_return = NULL;
    b.st.ep_len = NULL;
    tap_ok(rs_env_step(e, a3, &b.st, NULL) == RS_OK,
           "final_obs, ep_return, ep_len may be NULL");
    uint8_t cells[3];
    rs_env_render(e, 1, cells);
    tap_ok(cells[(int64_t)b.obs[2] % 3] == 1, "render goes to the kind");
    rs_env_free(e);
}

static void
test_horizon_time(void)
{
    struct rs_env_config cfg;
    rs_env_config_default(&cfg);
    cfg.copies = 2;
    cfg.horizon = 4;
    cfg.time_obs = true;
    rs_env *e = walk_new(0, &cfg, NULL);
    tap_is_int(rs_env_obs_dim(e), 3, "time_obs adds a feature");
    struct rs_env_info info;
    rs_env_info(e, &info);
    tap_is_int(info.obs_dim, 2, "rs_env_info is the kind's");
    float obs[6];
    rs_env_observe(e, obs);
    tap_ok(obs[2] == 0.0f && obs[5] == 0.0f, "t / horizon starts at 0");
    struct bufs b;
    bufs_init(&b);
    int act[2] = {1, 1};
    int good = 1;
    for (int s = 1; s <= 3; s++) {
        good &= rs_env_step(e, act, &b.st, NULL) == RS_OK;
        good &= b.obs[2] == (float)(s / 4.0) && !b.trunc[0] && !b.term[0];
    }
    tap_ok(good, "t / horizon after steps 1..3 is 0.25, 0.5, 0.75");
    int last[2] = {1, 2};
    tap_ok(rs_env_step(e, last, &b.st, NULL) == RS_OK, "step 4");
    tap_ok(b.trunc[0] == 1 && b.term[0] == 0, "copy 0 truncated at 4");
    tap_ok(b.term[1] == 1 && b.trunc[1] == 0,
           "terminated on the horizon step is not truncated");
    tap_ok(b.fin[2] == 1.0f && b.fin[1] == 4.0f,
           "final_obs of the truncated episode has t / horizon = 1");
    tap_ok(b.obs[2] == 0.0f && b.obs[1] == 0.0f,
           "obs is the next episode's first");
    tap_is_int(b.len[0], 4, "truncated episode length");
    tap_is_float(b.ret[0], 4 * 1.5, 0, 0, "truncated episode return");
    rs_env_free(e);
}

/* The normalisation statistics the documented procedure gives: the
 * estimate stream is split RS_ENV_MAX_COPIES of the seed's; scratch copy
 * j runs on split j of it, drawing the action before each step; samples
 * are the observations after each step (after any reset). */
static void
expected_norm(uint64_t seed, int copies, int steps, long horizon, float *mean,
              float *std)
{
    struct rs_rng root, stream;
    rs_rng_seed(&root, seed);
    for (int i = 0; i < RS_ENV_MAX_COPIES; i++)
        (void)rs_rng_next(&root);
    rs_rng_split(&root, &stream);
    double sum[2] = {0, 0}, sq[2] = {0, 0};
    for (int j = 0; j < copies; j++) {
        struct rs_rng r;
        rs_rng_split(&stream, &r);
        int64_t pos = rs_rng_below(&r, 100), k = 0;
        for (int s = 0; s < steps; s++) {
            int a = (int)rs_rng_below(&r, 3);
            pos += a;
            k++;
            if (a == 2 || (horizon > 0 && k >= horizon)) {
                pos = rs_rng_below(&r, 100);
                k = 0;
            }
            double v[2] = {(double)(float)pos, (double)(float)k};
            for (int d = 0; d < 2; d++) {
                sum[d] += v[d];
                sq[d] += v[d] * v[d];
            }
        }
    }
    double n = (double)copies * steps;
    for (int d = 0; d < 2; d++) {
        double m = sum[d] / n, v = sq[d] / n - m * m;
        double s = v > 0 ? sqrt(v) : 0;
        mean[d] = (float)m;
        std[d] = (float)(s > 1e-6 ? s : 1e-6);
    }
}

static void
test_norm(void)
{
    struct rs_env_config raw, nrm;
    rs_env_config_default(&raw);
    raw.copies = 3;
    raw.seed = 11;
    raw.horizon = 5;
    raw.time_obs = true;
    nrm = raw;
    nrm.norm_steps = 50;
    rs_env *a = walk_new(0, &raw, NULL), *b = walk_new(0, &nrm, NULL);
    float mean[2], std[2];
    expected_norm(11, 3, 50, 5, mean, std);
    struct bufs ba, bb;
    bufs_init(&ba);
    bufs_init(&bb);
    int good = 1, act[3] = {0, 1, 1};
    rs_env_observe(a, ba.obs);
    rs_env_observe(b, bb.obs);
    for (int s = 0; s < 12; s++) {
        for (int i = 0; i < 3; i++)
            for (int d = 0; d < 2; d++) {
                float want = (ba.obs[3 * i + d] - mean[d]) / std[d];
                good &= bb.obs[3 * i + d] == want;
            }
        for (int i = 0; i < 3; i++)
            good &= bb.obs[3 * i + 2] == ba.obs[3 * i + 2];
        act[s % 3] = 2 * (s % 2);
        good &= rs_env_step(a, act, &ba.st, NULL) == RS_OK;
        good &= rs_env_step(b, act, &bb.st, NULL) == RS_OK;
        good &= memcmp(ba.term, bb.term, 3) == 0 &&
                memcmp(ba.trunc, bb.trunc, 3) == 0;
    }
    tap_ok(good, "normalised obs = (raw - mean) / std with the statistics "
                 "of the documented estimate; raw dynamics untouched; "
                 "time feature not normalised");
    tap_diag("walk norm: mean %.4f %.4f std %.4f %.4f", (double)mean[0],
             (double)mean[1], (double)std[0], (double)std[1]);
    rs_env_free(a);
    rs_env_free(b);
}

/* Copy i's episodes under actions that depend only on (i, step) do not
 * depend on how many copies the env has. */
static void
test_copy_independence(void)
{
    int ns[2] = {3, 8};
    float rec[2][60][2];
    for (int v = 0; v < 2; v++) {
        struct rs_env_config cfg;
        rs_env_config_default(&cfg);
        cfg.copies = ns[v];
        cfg.seed = 99;
        rs_env *e = walk_new(0, &cfg, NULL);
        struct bufs b;
        bufs_init(&b);
        for (int s = 0; s < 60; s++) {
            int act[8];
            for (int i = 0; i < ns[v]; i++)
                act[i] = (s * 7 + i * 3) % 3;
            if (rs_env_step(e, act, &b.st, NULL) != RS_OK)
                break;
            rec[v][s][0] = b.obs[2 * 2];
            rec[v][s][1] = b.obs[2 * 2 + 1];
        }
        rs_env_free(e);
    }
    tap_ok(memcmp(rec[0], rec[1], sizeof rec[0]) == 0,
           "copy 2's episodes are the same with 3 and with 8 copies");
}

static void
test_bad_action(void)
{
    struct rs_env_config cfg;
    rs_env_config_default(&cfg);
    cfg.copies = 3;
    rs_env *e = walk_new(0, &cfg, NULL);
    struct bufs b;
    bufs_init(&b);
    float before[6], after[6];
    rs_env_observe(e, before);
    int act[3] = {1, 3, 0};
    struct rs_error err = {0};
    int rc = rs_env_step(e, act, &b.st, &err);
    tap_is_int(rc, RS_EINVAL, "action out of range: RS_EINVAL");
    tap_ok(strstr(err.msg, "copy 1") != NULL &&
               strstr(err.msg, "action 3") != NULL,
           "the message names the copy and the action (%s)", err.msg);
    rs_env_observe(e, after);
    tap_ok(memcmp(before, after, sizeof before) == 0 && rs_env_steps(e) == 0,
           "nothing changed");
    act[1] = -1;
    tap_is_int(rs_env_step(e, act, &b.st, NULL), RS_EINVAL,
               "negative action refused");
    rs_env_free(e);
}

static void
bad_config(struct rs_env_config cfg, const char *field)
{
    struct rs_error err = {0};
    rs_env *e = walk_new(0, &cfg, &err);
    tap_ok(e == NULL && err.code == RS_EINVAL && strstr(err.msg, field) != NULL,
           "bad %s refused, message names it (%s)", field, err.msg);
    rs_env_free(e);
}

static void
test_bad_configs(void)
{
    struct rs_env_config d, c;
    rs_env_config_default(&d);
    c = d;
    c.copies = 0;
    bad_config(c, "copies");
    c = d;
    c.copies = RS_ENV_MAX_COPIES + 1;
    bad_config(c, "copies");
    c = d;
    c.horizon = -1;
    bad_config(c, "horizon");
    c = d;
    c.time_obs = true;
    bad_config(c, "time_obs");
    c = d;
    c.norm_steps = -2;
    bad_config(c, "norm_steps");
}

static void
test_state(void)
{
    struct rs_env_config cfg;
    rs_env_config_default(&cfg);
    cfg.copies = 2;
    cfg.seed = 5;
    cfg.horizon = 6;
    cfg.time_obs = true;
    cfg.norm_steps = 20;
    rs_env *a = walk_new(0, &cfg, NULL);
    struct bufs b;
    bufs_init(&b);
    int act[2];
    for (int s = 0; s < 9; s++) {
        act[0] = s % 3;
        act[1] = (s + 1) % 2;
        if (rs_env_step(a, act, &b.st, NULL) != RS_OK)
            break;
    }
    size_t n = rs_env_state_words(a);
    uint64_t *w = malloc(n * sizeof *w);
    rs_env_state_save(a, w);
    /* b starts elsewhere (another seed: other streams and statistics). */
    struct rs_env_config cb = cfg;
    cb.seed = 6;
    rs_env *c = walk_new(0, &cb, NULL);
    struct rs_error err = {0};
    tap_ok(rs_env_state_load(c, w, n, &err) == RS_OK, "load (%s)", err.msg);
    tap_is_int(rs_env_steps(c), rs_env_steps(a), "steps restored");
    tap_is_int(rs_env_episodes(c), rs_env_episodes(a), "episodes restored");
    struct bufs bc;
    bufs_init(&bc);
    int same = 1;
    for (int s = 0; s < 30; s++) {
        act[0] = (s * 5) % 3;
        act[1] = s % 3;
        same &= rs_env_step(a, act, &b.st, NULL) == RS_OK;
        same &= rs_env_step(c, act, &bc.st, NULL) == RS_OK;
        same &= memcmp(b.obs, bc.obs, sizeof b.obs) == 0 &&
                memcmp(b.fin, bc.fin, sizeof b.fin) == 0 &&
                memcmp(b.ret, bc.ret, sizeof b.ret) == 0 &&
                memcmp(b.len, bc.len, sizeof b.len) == 0 &&
                memcmp(b.term, bc.term, 2) == 0 &&
                memcmp(b.trunc, bc.trunc, 2) == 0;
    }
    tap_ok(same, "the loaded env continues bit for bit");

    /* Refused loads change nothing. */
    float before[6], after[6];
    rs_env_observe(c, before);
    tap_is_int(rs_env_state_load(c, w, n - 1, &err), RS_EFORMAT,
               "wrong length refused (%s)", err.msg);
    uint64_t m0 = w[0];
    w[0] ^= 1;
    tap_is_int(rs_env_state_load(c, w, n, &err), RS_EFORMAT,
               "bad magic refused (%s)", err.msg);
    w[0] = m0;
    rs_env *other = walk_new(3, &cfg, NULL);
    tap_is_int(rs_env_state_load(other, w, n, &err), RS_EFORMAT,
               "another kind config refused");
    tap_ok(strstr(err.msg, "walk 0") != NULL &&
               strstr(err.msg, "walk 3") != NULL,
           "the message names both describe lines (%s)", err.msg);
    rs_env_free(other);
    struct rs_env_config cc = cfg;
    cc.copies = 3;
    other = walk_new(0, &cc, NULL);
    tap_is_int(rs_env_state_load(other, w, n, &err), RS_EFORMAT,
               "other copies refused (%s)", err.msg);
    tap_ok(strstr(err.msg, "copies") != NULL, "message names copies");
    rs_env_free(other);
    cc = cfg;
    cc.horizon = 7;
    other = walk_new(0, &cc, NULL);
    tap_is_int(rs_env_state_load(other, w, n, &err), RS_EFORMAT,
               "other horizon refused (%s)", err.msg);
    rs_env_free(other);
    /* A corrupt copy: the kind's check refuses a negative pos; a zero
     * RNG is refused by the wrapper. The last copy is checked last, so
     * every earlier word was already read. */
    size_t last = n - 2; /* copy 1's pos word */
    uint64_t keep = w[last];
    w[last] = (uint64_t)-5;
    tap_is_int(rs_env_state_load(c, w, n, &err), RS_EFORMAT,
               "kind state out of range refused (%s)", err.msg);
    w[last] = keep;
    size_t rng1 = n - 8; /* copy 1's RNG words */
    uint64_t r[4];
    memcpy(r, w + rng1, sizeof r);
    memset(w + rng1, 0, sizeof r);
    tap_is_int(rs_env_state_load(c, w, n, &err), RS_EFORMAT,
               "zero RNG refused (%s)", err.msg);
    memcpy(w + rng1, r, sizeof r);
    rs_env_observe(c, after);
    tap_ok(memcmp(before, after, sizeof before) == 0,
           "refused loads changed nothing");
    free(w);
    rs_env_free(a);
    rs_env_free(c);
}

int
main(void)
{
    test_reset_streams();
    test_auto_reset();
    test_horizon_time();
    test_norm();
    test_copy_independence();
    test_bad_action();
    test_bad_configs();
    test_state();
    tap_plan_lazy();
    return tap_done();
}
