/* repscope - MIT licence, see COPYING.
 *
 * t_env_cartpole.c: CartPole-v1 against transitions computed by hand from
 * the ODE, the termination thresholds, truncation with the time feature,
 * the switching pole, copy independence, the checkpoint round trip, the
 * frame and bad configs.
 *
 * A state is set through the checkpoint words: with one copy the kind's
 * state is the last five words (x, x_dot, theta, theta_dot as double
 * bits, then the lifetime step count).
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "env/env.h"
#include "tests/tap.h"

static uint64_t
dbits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static double
bitsd(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static rs_env *
one(long switch_every, double switch_length, long horizon, bool time_obs)
{
    struct rs_env_cartpole_config k;
    rs_env_cartpole_config_default(&k);
    k.switch_every = switch_every;
    k.switch_length = switch_length;
    struct rs_env_config c;
    rs_env_config_default(&c);
    c.horizon = horizon;
    c.time_obs = time_obs;
    return rs_env_cartpole(&k, &c, NULL);
}

/* Copy 0's state (one-copy env) into s[4] and its lifetime steps. */
static uint64_t
get_state(const rs_env *e, double *s)
{
    size_t n = rs_env_state_words(e);
    uint64_t *w = malloc(n * sizeof *w);
    rs_env_state_save(e, w);
    for (int j = 0; j < 4; j++)
        s[j] = bitsd(w[n - 5 + (size_t)j]);
    uint64_t life = w[n - 1];
    free(w);
    return life;
}

static int
set_state(rs_env *e, double x, double xd, double th, double thd)
{
    size_t n = rs_env_state_words(e);
    uint64_t *w = malloc(n * sizeof *w);
    rs_env_state_save(e, w);
    w[n - 5] = dbits(x);
    w[n - 4] = dbits(xd);
    w[n - 3] = dbits(th);
    w[n - 2] = dbits(thd);
    int rc = rs_env_state_load(e, w, n, NULL);
    free(w);
    return rc;
}

struct out1 {
    float obs[5], fin[5], rew;
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

/* Hand computation (Gym's CartPole-v1 step), g 9.8, m_c 1, m_p 0.1,
 * M = 1.1, l 0.5 (half-length), F = +-10, tau 0.02:
 *   temp   = (F + m_p l thd^2 sin th) / M
 *   thacc  = (g sin th - cos th temp) / (l (4/3 - m_p cos^2 th / M))
 *   xacc   = temp - m_p l thacc cos th / M
 *   x' = x + tau xd; xd' = xd + tau xacc; th' = th + tau thd;
 *   thd' = thd + tau thacc.
 * From s0 = (0.01, -0.02, 0.03, 0.04), action 1, step 1:
 *   sin 0.03 = 0.0299955002024957, cos 0.03 = 0.999550033748988
 *   temp  = (10 + 0.05 * 0.0016 * 0.0299955) / 1.1 = 9.0909112724
 *   thacc = (0.2939559020 - 9.0868206691) / (0.5 (4/3 - 0.0908273))
 *         = -8.7928647672 / 0.6212530180 = -14.153435898
 *   xacc  = 9.0909112724 + 0.05 * 14.153435898 * 0.99955 / 1.1
 *         = 9.7339597874
 *   so x' = 0.01 - 0.0004 = 0.0096, xd' = -0.02 + 0.02 * 9.7339597874
 *   = 0.1746791957, th' = 0.03 + 0.0008 = 0.0308, thd' = 0.04 - 0.02 *
 *   14.153435898 = -0.2430687180 (the first row below).
 * The rows below carry these to 17 digits (computed at 40 digits, then
 * rounded), three steps for each action sequence. */
static const double hand_s0[4] = {0.01, -0.02, 0.03, 0.04};
static const int hand_actions[3][3] = {{1, 1, 1}, {0, 0, 0}, {1, 0, 1}};
static const double hand[3][3][4] = {
    {{9.59999999999999916e-03, 1.74679195747555249e-01, 3.08000000000000010e-02,
      -2.43068717960008146e-01},
     {1.30935839149511051e-02, 3.69347976057955607e-01, 2.59386256407998367e-02,
      -5.25879628050148318e-01},
     {2.04805434361102177e-02, 5.64095508524424916e-01, 1.54210330797968694e-02,
      -8.10277560030461919e-01}},
    {{9.59999999999999916e-03, -2.15539017102789388e-01,
      3.08000000000000010e-02, 3.41995223776039192e-01},
     {5.28921965794421252e-03, -4.11085323020877247e-01,
      3.76399044755207843e-02, 6.44229334745982540e-01},
     {-2.93248680247333235e-03, -6.06711068640955253e-01,
      5.05244911704404373e-02, 9.48523630402035800e-01}},
    {{9.59999999999999916e-03, 1.74679195747555249e-01, 3.08000000000000010e-02,
      -2.43068717960008146e-01},
     {1.30935839149511051e-02, -2.08688489481919891e-02,
      2.59386256407998367e-02, 5.91679999394165296e-02},
     {1.26762069359872658e-02, 1.73871774873481350e-01, 2.71219856395881684e-02,
      -2.25219572559673398e-01}},
};
/* The same first step (action 1) with a pole of half-length 1.5. */
static const double hand_long[4] = {
    9.59999999999999916e-03, 1.74679289385879094e-01, 3.08000000000000010e-02,
    -5.43562861180976048e-02};

static void
test_hand(void)
{
    const char *names[3] = {"right x3", "left x3", "right-left-right"};
    for (int q = 0; q < 3; q++) {
        rs_env *e = one(0, 1.5, 0, false);
        int rc = set_state(e, hand_s0[0], hand_s0[1], hand_s0[2], hand_s0[3]);
        struct out1 o;
        out1_init(&o);
        int good = rc == RS_OK;
        double maxerr = 0;
        for (int s = 0; s < 3; s++) {
            good &= rs_env_step(e, &hand_actions[q][s], &o.st, NULL) == RS_OK;
            good &= o.rew == 1.0f && !o.term && !o.trunc;
            double st[4];
            get_state(e, st);
            for (int j = 0; j < 4; j++) {
                double d = fabs(st[j] - hand[q][s][j]);
                maxerr = d > maxerr ? d : maxerr;
                good &= o.obs[j] == (float)st[j];
            }
        }
        tap_ok(good && maxerr < 1e-13,
               "%s: three steps match the hand ODE (max err %.2g)", names[q],
               maxerr);
        rs_env_free(e);
    }
    rs_env *e = one(1, 1.5, 0, false);
    /* switch_every 1: step 0 has l = 0.5, step 1 has l = 1.5. Step once
     * from anywhere, then set s0 and step with the long pole. */
    int act = 1, good = set_state(e, 0, 0, 0, 0) == RS_OK;
    struct out1 o;
    out1_init(&o);
    good &= rs_env_step(e, &act, &o.st, NULL) == RS_OK;
    good &=
        set_state(e, hand_s0[0], hand_s0[1], hand_s0[2], hand_s0[3]) == RS_OK;
    good &= rs_env_step(e, &act, &o.st, NULL) == RS_OK;
    double st[4];
    uint64_t life = get_state(e, st);
    double maxerr = 0;
    for (int j = 0; j < 4; j++)
        maxerr = fmax(maxerr, fabs(st[j] - hand_long[j]));
    tap_ok(good && maxerr < 1e-13 && life == 2,
           "switch_every 1: the second step uses half-length 1.5 "
           "(max err %.2g)",
           maxerr);
    /* The third step is back to 0.5: same as the first hand row. */
    good =
        set_state(e, hand_s0[0], hand_s0[1], hand_s0[2], hand_s0[3]) == RS_OK;
    good &= rs_env_step(e, &act, &o.st, NULL) == RS_OK;
    get_state(e, st);
    maxerr = 0;
    for (int j = 0; j < 4; j++)
        maxerr = fmax(maxerr, fabs(st[j] - hand[0][0][j]));
    tap_ok(good && maxerr < 1e-13, "and the third is back to 0.5");
    rs_env_free(e);
}

/* One step from (x, xd, th, thd) with action a: terminated? */
static int
terminates(double x, double xd, double th, double thd, int a)
{
    rs_env *e = one(0, 1.5, 0, false);
    struct out1 o;
    out1_init(&o);
    int rc = set_state(e, x, xd, th, thd);
    rc |= rs_env_step(e, &a, &o.st, NULL);
    int t = rc == RS_OK ? o.term : -1;
    rs_env_free(e);
    return t;
}

static void
test_thresholds(void)
{
    /* theta' = theta + tau * theta_dot; 12 degrees = 0.2094395102 rad. */
    double lim = 12.0 * 2.0 * 3.141592653589793 / 360.0;
    tap_is_int(terminates(0, 0, 0.2094, 0, 1), 0, "theta 0.2094: alive");
    tap_is_int(terminates(0, 0, 0.2095, 0, 1), 1, "theta 0.2095: terminated");
    tap_is_int(terminates(0, 0, -0.2094, 0, 0), 0, "theta -0.2094: alive");
    tap_is_int(terminates(0, 0, -0.2095, 0, 0), 1, "theta -0.2095: terminated");
    tap_is_int(terminates(0, 0, lim, 0, 1), 0,
               "theta exactly 12 degrees: alive (strict >)");
    /* x' = x + tau * x_dot. */
    tap_is_int(terminates(2.4, 0, 0, 0, 1), 0, "x 2.4: alive (strict >)");
    tap_is_int(terminates(2.4, 0.01, 0, 0, 1), 1, "x 2.4002: terminated");
    tap_is_int(terminates(-2.4, -0.01, 0, 0, 0), 1, "x -2.4002: terminated");
    tap_is_int(terminates(2.39, 0.4, 0, 0, 1), 0, "x 2.398: alive");

    /* The terminating step: reward 1, final_obs the terminal state, obs
     * a fresh start in [-0.05, 0.05]. */
    rs_env *e = one(0, 1.5, 0, false);
    struct out1 o;
    out1_init(&o);
    int a = 1, good = set_state(e, 0.3, 0, 0.25, 0) == RS_OK;
    good &= rs_env_step(e, &a, &o.st, NULL) == RS_OK;
    good &= o.term == 1 && o.trunc == 0 && o.rew == 1.0f;
    good &= o.fin[0] == 0.3f && o.fin[2] == 0.25f;
    for (int j = 0; j < 4; j++)
        good &= fabsf(o.obs[j]) <= 0.05f;
    tap_ok(good, "a terminal step: final_obs is the fallen state, obs a "
                 "new start");
    rs_env_free(e);
}

static void
test_truncation(void)
{
    rs_env *e = one(0, 1.5, 5, true);
    tap_is_int(rs_env_obs_dim(e), 5, "time_obs: obs_dim 5");
    struct out1 o;
    out1_init(&o);
    int good = 1, a;
    for (int s = 1; s <= 4; s++) {
        a = s % 2;
        good &= rs_env_step(e, &a, &o.st, NULL) == RS_OK;
        good &= !o.term && !o.trunc && o.obs[4] == (float)(s / 5.0);
    }
    tap_ok(good, "time feature 0.2, 0.4, 0.6, 0.8");
    a = 1;
    good = rs_env_step(e, &a, &o.st, NULL) == RS_OK;
    tap_ok(good && o.trunc == 1 && o.term == 0, "truncated at horizon 5");
    tap_ok(o.fin[4] == 1.0f && o.obs[4] == 0.0f,
           "final_obs time 1, the next episode's time 0");
    tap_ok(o.len == 5 && o.ret == 5.0, "episode length and return 5");
    tap_is_int(rs_env_episodes(e), 1, "one episode");
    rs_env_free(e);
}

/* Copy 1's observations over 400 steps (several episodes) of an env of
 * `copies` copies, actions a function of (copy, step). */
static void
run_copy1(int copies, float *rec)
{
    struct rs_env_cartpole_config k;
    rs_env_cartpole_config_default(&k);
    k.switch_every = 50;
    struct rs_env_config c;
    rs_env_config_default(&c);
    c.copies = copies;
    c.seed = 1234;
    c.horizon = 60;
    rs_env *e = rs_env_cartpole(&k, &c, NULL);
    int d = rs_env_obs_dim(e);
    float *obs = calloc((size_t)(copies * d), sizeof *obs);
    float *rew = calloc((size_t)copies, sizeof *rew);
    uint8_t *te = calloc((size_t)copies, 1), *tr = calloc((size_t)copies, 1);
    int *act = calloc((size_t)copies, sizeof *act);
    struct rs_env_step st = {
        .obs = obs, .reward = rew, .terminated = te, .truncated = tr};
    for (int s = 0; s < 400; s++) {
        for (int i = 0; i < copies; i++)
            act[i] = ((s * 31 + i * 17) >> 2) & 1;
        if (rs_env_step(e, act, &st, NULL) != RS_OK)
            break;
        memcpy(rec + 4 * s, obs + d, 4 * sizeof *obs);
    }
    free(obs);
    free(rew);
    free(te);
    free(tr);
    free(act);
    rs_env_free(e);
}

static void
test_independence(void)
{
    float *a = calloc(1600, sizeof *a), *b = calloc(1600, sizeof *b);
    run_copy1(2, a);
    run_copy1(16, b);
    tap_ok(memcmp(a, b, 1600 * sizeof *a) == 0,
           "copy 1's episodes do not depend on the number of copies");
    free(a);
    free(b);
}

static void
test_state_roundtrip(void)
{
    struct rs_env_cartpole_config k;
    rs_env_cartpole_config_default(&k);
    k.switch_every = 30;
    k.switch_length = 0.9;
    struct rs_env_config c;
    rs_env_config_default(&c);
    c.copies = 4;
    c.seed = 77;
    c.horizon = 40;
    c.time_obs = true;
    c.norm_steps = 100;
    rs_env *a = rs_env_cartpole(&k, &c, NULL);
    float oa[20], ob[20], fa[20], fb[20], ra[4], rb[4];
    uint8_t ta[4], tb[4], ua[4], ub[4];
    double ea[4], eb[4];
    long la[4], lb[4];
    struct rs_env_step sa = {oa, fa, ra, ta, ua, ea, la};
    struct rs_env_step sb = {ob, fb, rb, tb, ub, eb, lb};
    int act[4];
    for (int s = 0; s < 123; s++) {
        for (int i = 0; i < 4; i++)
            act[i] = (s + i) % 3 == 0;
        if (rs_env_step(a, act, &sa, NULL) != RS_OK)
            break;
    }
    size_t n = rs_env_state_words(a);
    uint64_t *w = malloc(n * sizeof *w);
    rs_env_state_save(a, w);
    struct rs_env_config c2 = c;
    c2.seed = 78;
    rs_env *b = rs_env_cartpole(&k, &c2, NULL);
    struct rs_error err = {0};
    tap_ok(rs_env_state_load(b, w, n, &err) == RS_OK, "load (%s)", err.msg);
    int same = 1;
    long eps = 0;
    for (int s = 0; s < 500; s++) {
        for (int i = 0; i < 4; i++)
            act[i] = (s * 3 + i) % 5 < 2;
        same &= rs_env_step(a, act, &sa, NULL) == RS_OK;
        same &= rs_env_step(b, act, &sb, NULL) == RS_OK;
        same &=
            memcmp(oa, ob, sizeof oa) == 0 && memcmp(fa, fb, sizeof fa) == 0 &&
            memcmp(ra, rb, sizeof ra) == 0 && memcmp(ta, tb, sizeof ta) == 0 &&
            memcmp(ua, ub, sizeof ua) == 0 && memcmp(ea, eb, sizeof ea) == 0 &&
            memcmp(la, lb, sizeof la) == 0;
        for (int i = 0; i < 4; i++)
            eps += ta[i] + ua[i];
    }
    tap_ok(same && eps > 10,
           "500 steps after the load are bit for bit (%ld episodes)", eps);
    tap_is_int(rs_env_steps(b), rs_env_steps(a), "steps counter");
    tap_is_int(rs_env_episodes(b), rs_env_episodes(a), "episodes counter");

    struct rs_env_cartpole_config k2 = k;
    k2.switch_length = 1.0;
    rs_env *d = rs_env_cartpole(&k2, &c, NULL);
    tap_is_int(rs_env_state_load(d, w, n, &err), RS_EFORMAT,
               "another pole length is refused");
    tap_ok(strstr(err.msg, "switch_length=0.9") != NULL &&
               strstr(err.msg, "switch_length=1 ") == NULL &&
               strstr(err.msg, "switch_length=1") != NULL,
           "the message names both configs (%s)", err.msg);
    rs_env_free(d);
    struct rs_env_config c3 = c;
    c3.norm_steps = 0;
    d = rs_env_cartpole(&k, &c3, NULL);
    tap_is_int(rs_env_state_load(d, w, n, &err), RS_EFORMAT,
               "other normalisation is refused (%s)", err.msg);
    tap_ok(strstr(err.msg, "norm_steps") != NULL, "message names it");
    rs_env_free(d);
    free(w);
    rs_env_free(a);
    rs_env_free(b);
}

static void
test_frame(void)
{
    rs_env *e = one(0, 1.5, 0, false);
    struct rs_env_info info;
    rs_env_info(e, &info);
    tap_ok(info.frame_h == 9 && info.frame_w == 31 &&
               strlen(info.glyphs) == strlen(info.colors),
           "frame 9 x 31, one colour per glyph");
    uint8_t cells[9 * 31];
    int good = set_state(e, 0, 0, 0, 0) == RS_OK;
    rs_env_render(e, 0, cells);
    /* Upright at the centre: cart on row 7 columns 14..16, the pole
     * straight up from row 6 column 15 (three rows for l = 0.5). */
    good &= cells[7 * 31 + 14] == 2 && cells[7 * 31 + 15] == 2 &&
            cells[7 * 31 + 16] == 2 && cells[7 * 31 + 13] == 0;
    for (int r = 3; r <= 6; r++)
        good &= cells[r * 31 + 15] == 3;
    good &= cells[2 * 31 + 15] == 0;
    for (int c = 0; c < 31; c++)
        good &= cells[8 * 31 + c] == 1;
    tap_ok(good, "upright cart at the centre");
    for (int i = 0; i < 9 * 31; i++)
        good &= cells[i] < strlen(info.glyphs);
    tap_ok(good, "codes within the glyphs");
    good = set_state(e, 2.4, 0, -0.2, 0) == RS_OK;
    rs_env_render(e, 0, cells);
    good &= cells[7 * 31 + 29] == 2 && cells[7 * 31 + 28] == 2 &&
            cells[7 * 31 + 30] == 4;
    good &= cells[3 * 31 + 29] == 0; /* leaning left: tip left of base */
    int tip_left = 0;
    for (int c = 0; c < 29; c++)
        tip_left |= cells[3 * 31 + c] == 3;
    tap_ok(good && tip_left, "cart at the right limit, pole leaning left");
    rs_env_free(e);
}

static void
test_bad_config(void)
{
    struct rs_env_cartpole_config k;
    struct rs_env_config c;
    rs_env_config_default(&c);
    struct rs_error err = {0};
    rs_env_cartpole_config_default(&k);
    k.switch_every = -1;
    rs_env *e = rs_env_cartpole(&k, &c, &err);
    tap_ok(e == NULL && strstr(err.msg, "switch_every") != NULL,
           "switch_every < 0 refused (%s)", err.msg);
    rs_env_cartpole_config_default(&k);
    k.switch_length = 0;
    e = rs_env_cartpole(&k, &c, &err);
    tap_ok(e == NULL && strstr(err.msg, "switch_length") != NULL,
           "switch_length 0 refused (%s)", err.msg);
    k.switch_length = NAN;
    e = rs_env_cartpole(&k, &c, &err);
    tap_ok(e == NULL && strstr(err.msg, "switch_length") != NULL,
           "switch_length NaN refused");
    rs_env_cartpole_config_default(&k);
    c.copies = 0;
    e = rs_env_cartpole(&k, &c, &err);
    tap_ok(e == NULL && strstr(err.msg, "copies") != NULL,
           "copies 0 refused through the kind constructor (%s)", err.msg);
}

int
main(void)
{
    test_hand();
    test_thresholds();
    test_truncation();
    test_independence();
    test_state_roundtrip();
    test_frame();
    test_bad_config();
    tap_plan_lazy();
    return tap_done();
}
