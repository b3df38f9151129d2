/* repscope - MIT licence, see COPYING.
 *
 * t_core_optim.c: optimisers, initialisers and the RNG (schedules:
 * t_core_sched.c).
 *
 * Optimiser cases run 2-3 steps on p = (1, -2, 0.5) with known gradients
 * and compare against values worked out by hand (the derivation is in the
 * comment of each case; the numbers were also cross-checked against
 * torch.optim 1.13). Clip groups scale each group by its own norm, and a
 * grouped optimiser is bit for bit one optimiser per group. Large
 * parameters, which the step splits over the thread pool, give bitwise
 * the same result at 1, 2 and 3 threads.
 * Initialisers are checked
 * by the statistics of a large tensor, the RNG by reproducibility and
 * moments.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "core/init.h"
#include "core/optim.h"
#include "core/pool.h"
#include "core/rng.h"
#include "core/sched.h"
#include "core/tensor.h"
#include "tests/tap.h"

static const float p_init[3] = {1.0f, -2.0f, 0.5f};
static const float g_a[3] = {0.5f, 0.25f, -1.0f};
static const float g_b[3] = {-0.5f, 0.5f, 2.0f};

/* Parameter tolerance: float rounding over a few steps on values ~2. */
#define PTOL 2e-6

static rs_tensor *
new_param3(const float *init, const char *name)
{
    int shape[1] = {3};
    rs_tensor *p = rs_tensor_new_param(1, shape, NULL);
    RS_ASSERT(p != NULL);
    memcpy(p->data, init, 3 * sizeof(float));
    p->name = name;
    return p;
}

static void
set_grad(rs_tensor *p, const float *g)
{
    memcpy(p->grad, g, p->numel * sizeof(float));
}

/* Run a one-parameter optimiser for nsteps with grads[k] at step k and
 * compare the parameter after every step with want[k]. */
static void
run_case(const char *name, const struct rs_optim_config *cfg, float lr,
         int nsteps, const float *const *grads, const float (*want)[3])
{
    rs_tensor *p = new_param3(p_init, "p");
    struct rs_error err;
    rs_optim *o = rs_optim_new(cfg, &p, 1, &err);
    if (!tap_ok(o != NULL, "%s: created", name)) {
        tap_diag("%s", err.msg);
        rs_tensor_release(p);
        return;
    }
    for (int k = 0; k < nsteps; k++) {
        set_grad(p, grads[k]);
        int rc = rs_optim_step(o, lr, NULL, &err);
        if (rc != RS_OK)
            tap_diag("%s", err.msg);
        tap_is_floats(p->data, want[k], 3, PTOL, 0.0, "%s: step %d", name,
                      k + 1);
    }
    rs_optim_free(o);
    rs_tensor_release(p);
}

static void
test_sgd(void)
{
    struct rs_optim_config cfg;
    const float *gg[3] = {g_a, g_a, g_a};

    /* Plain SGD, lr 0.1: p -= 0.1 g each step. */
    rs_optim_config_default(&cfg, RS_OPTIM_SGD);
    static const float plain[2][3] = {{0.95f, -2.025f, 0.6f},
                                      {0.9f, -2.05f, 0.7f}};
    run_case("sgd", &cfg, 0.1f, 2, gg, plain);

    /* Momentum 0.9: buf1 = g (torch clones the first d_p), buf2 = 1.9 g,
     * buf3 = 0.9 * 1.9 g + g = 2.71 g; p -= 0.1 buf. */
    cfg.momentum = 0.9f;
    static const float mom[3][3] = {{0.95f, -2.025f, 0.6f},
                                    {0.855f, -2.0725f, 0.79f},
                                    {0.7195f, -2.14025f, 1.061f}};
    run_case("sgd momentum", &cfg, 0.1f, 3, gg, mom);

    /* Dampening 0.5 applies from the second step only: buf1 = g,
     * buf2 = 0.9 g + 0.5 g = 1.4 g. */
    cfg.dampening = 0.5f;
    static const float damp[2][3] = {{0.95f, -2.025f, 0.6f},
                                     {0.88f, -2.06f, 0.74f}};
    run_case("sgd dampening", &cfg, 0.1f, 2, gg, damp);

    /* Nesterov: d = g + 0.9 buf. Step 1: buf = g, d = 1.9 g; step 2:
     * buf = 1.9 g, d = g + 1.71 g = 2.71 g. */
    cfg.dampening = 0.0f;
    cfg.nesterov = true;
    static const float nest[2][3] = {{0.905f, -2.0475f, 0.69f},
                                     {0.7695f, -2.11525f, 0.961f}};
    run_case("sgd nesterov", &cfg, 0.1f, 2, gg, nest);

    /* Coupled L2 0.1, no momentum: d = g + 0.1 p.
     * Step 1: d = (0.6, 0.05, -0.95), p = (0.94, -2.005, 0.595).
     * Step 2: d = (0.594, 0.0495, -0.9405),
     *         p = (0.8806, -2.00995, 0.68905). */
    rs_optim_config_default(&cfg, RS_OPTIM_SGD);
    cfg.weight_decay = 0.1f;
    static const float wd[2][3] = {{0.94f, -2.005f, 0.595f},
                                   {0.8806f, -2.00995f, 0.68905f}};
    run_case("sgd weight decay", &cfg, 0.1f, 2, gg, wd);
}

static void
test_adam(void)
{
    struct rs_optim_config cfg;
    rs_optim_config_default(&cfg, RS_OPTIM_ADAM);
    tap_ok(cfg.beta1 == 0.9f && cfg.beta2 == 0.999f && cfg.eps == 1e-8f &&
               cfg.weight_decay == 0.0f && cfg.lr == 1e-3f,
           "adam defaults as torch");

    /* lr 0.1, betas (0.9, 0.999), eps 1e-8, grads g_a then g_b.
     * Step 1: m = 0.1 g, v = 0.001 g^2; bias correction gives
     *   m^ = g, v^ = g^2, so p -= 0.1 sign(g): (0.9, -2.1, 0.6).
     * Step 2: m = 0.9 m1 + 0.1 g_b = (-0.005, 0.0725, 0.11),
     *   v = 0.999 v1 + 0.001 g_b^2 = (0.00049975, 0.0003124375, 0.004999);
     *   m^ = m / 0.19, v^ = v / 0.001999 = (0.25, 0.1562969, 2.5007504);
     *   p -= 0.1 m^ / sqrt(v^) = (-0.0052632, 0.0965182, 0.0366104). */
    const float *gg[2] = {g_a, g_b};
    static const float adam[2][3] = {{0.9f, -2.1f, 0.6f},
                                     {0.90526316f, -2.19651820f, 0.56338965f}};
    run_case("adam bias correction", &cfg, 0.1f, 2, gg, adam);

    /* Adam with L2 0.5 (coupled): g' = g + 0.5 p.
     * Step 1: g' = (1, -0.75, -0.75): the second sign flips,
     *   p = (0.9, -1.9, 0.6).
     * Step 2: g' = g + 0.5 p1 = (0.95, -0.7, -0.7),
     *   m = (0.185, -0.1375, -0.1375), v = (0.0019015, 0.0010519375, ..),
     *   m^ = m / 0.19 = (0.9736842, -0.7236842, ..),
     *   v^ = v / 0.001999 = (0.9512256, 0.5262319, ..),
     *   p = (0.8001665, -1.8002391, 0.6997609). */
    const float *ga[2] = {g_a, g_a};
    cfg.weight_decay = 0.5f;
    static const float l2[2][3] = {{0.9f, -1.9f, 0.6f},
                                   {0.80016649f, -1.80023906f, 0.69976094f}};
    run_case("adam coupled L2", &cfg, 0.1f, 2, ga, l2);

    /* AdamW decoupled 0.5: p *= 1 - 0.1 * 0.5 = 0.95 first, then the
     * plain Adam step (with constant g, m^ = g and v^ = g^2 every step).
     * Step 1: (0.95, -1.9, 0.475) - 0.1 sign(g) = (0.85, -2.0, 0.575).
     * Step 2: (0.8075, -1.9, 0.54625) - 0.1 sign(g)
     *       = (0.7075, -2.0, 0.64625). */
    rs_optim_config_default(&cfg, RS_OPTIM_ADAMW);
    tap_ok(cfg.weight_decay == 0.01f, "adamw default weight decay 0.01");
    cfg.weight_decay = 0.5f;
    static const float adamw[2][3] = {{0.85f, -2.0f, 0.575f},
                                      {0.7075f, -2.0f, 0.64625f}};
    run_case("adamw decoupled", &cfg, 0.1f, 2, ga, adamw);

    /* Decay switched off for the parameter: plain Adam steps. */
    rs_tensor *p = new_param3(p_init, "bias");
    rs_optim *o = rs_optim_new(&cfg, &p, 1, NULL);
    rs_optim_set_decay(o, 0, false);
    set_grad(p, g_a);
    int rc = rs_optim_step(o, 0.1f, NULL, NULL);
    static const float nodecay[3] = {0.9f, -2.1f, 0.6f};
    tap_ok(rc == RS_OK, "adamw no-decay step");
    tap_is_floats(p->data, nodecay, 3, PTOL, 0.0,
                  "adamw with decay off for the parameter");
    /* State: m = 0.1 g, v = 0.001 g^2, both 64-byte aligned. */
    float *m = rs_optim_state(o, 0, 0), *v = rs_optim_state(o, 0, 1);
    static const float want_m[3] = {0.05f, 0.025f, -0.1f};
    static const float want_v[3] = {0.00025f, 0.0000625f, 0.001f};
    tap_is_floats(m, want_m, 3, 1e-9, 1e-6, "adam first moment");
    tap_is_floats(v, want_v, 3, 1e-12, 1e-6, "adam second moment");
    tap_ok((uintptr_t)m % 64 == 0 && (uintptr_t)v % 64 == 0,
           "adam state 64-byte aligned");
    tap_ok(rs_optim_state(o, 0, 2) == NULL, "no third state buffer");
    tap_is_int(rs_optim_steps(o), 1, "one step counted");
    rs_optim_free(o);

    /* Bit-exact first moments as torch 1.13 stores them for g = (1, -3,
     * 0.5) with the default betas: torch uses alpha = 1 - 0.9 computed in
     * double, i.e. 0.1f; widening 0.9f itself would give 0x1.9999ap-4. */
    rs_optim_config_default(&cfg, RS_OPTIM_ADAM);
    o = rs_optim_new(&cfg, &p, 1, NULL);
    static const float g3[3] = {1.0f, -3.0f, 0.5f};
    set_grad(p, g3);
    rc = rs_optim_step(o, 1e-3f, NULL, NULL);
    static const float torch_m[3] = {0x1.99999ap-4f, -0x1.333334p-2f,
                                     0x1.99999ap-5f};
    static const float torch_v[3] = {0x1.0624dep-10f, 0x1.26e978p-7f,
                                     0x1.0624dep-12f};
    tap_is_floats(rs_optim_state(o, 0, 0), torch_m, 3, 0.0, 0.0,
                  "adam m bit-exact with torch");
    tap_is_floats(rs_optim_state(o, 0, 1), torch_v, 3, 0.0, 0.0,
                  "adam v bit-exact with torch");
    rs_optim_free(o);
    rs_tensor_release(p);
}

static void
test_clip(void)
{
    /* SGD lr 1 from 0 with g = (3, 4, 0): norm 5. clip 1 scales by
     * 1 / (5 + 1e-6) = 0.19999996, so p = (-0.59999988, -0.79999984, 0);
     * the gradient itself is left as it was. */
    static const float zero[3] = {0.0f, 0.0f, 0.0f};
    static const float g[3] = {3.0f, 4.0f, 0.0f};
    struct rs_optim_config cfg;
    rs_optim_config_default(&cfg, RS_OPTIM_SGD);
    cfg.clip_norm = 1.0f;
    rs_tensor *p = new_param3(zero, "w");
    rs_optim *o = rs_optim_new(&cfg, &p, 1, NULL);
    set_grad(p, g);
    struct rs_optim_stats st;
    int rc = rs_optim_step(o, 1.0f, &st, NULL);
    static const float want[3] = {-0.59999988f, -0.79999984f, 0.0f};
    tap_ok(rc == RS_OK, "clip step ok");
    tap_is_floats(p->data, want, 3, 1e-7, 0.0, "clipped to norm 1");
    tap_is_float(st.grad_norm, 5.0, 1e-12, 0.0, "grad norm before clip");
    tap_ok(st.clipped, "clipped flag set");
    tap_is_float(st.weight_norm, 0.9999998, 1e-7, 0.0,
                 "weight norm after the step");
    tap_is_floats(p->grad, g, 3, 0.0, 0.0, "gradient not modified");

    /* Norm 5 under clip 10: no scaling, p -= g. */
    cfg.clip_norm = 10.0f;
    rc = rs_optim_set_config(o, &cfg, NULL);
    rs_tensor_fill(p, 0.0f);
    rc |= rs_optim_step(o, 1.0f, &st, NULL);
    static const float want2[3] = {-3.0f, -4.0f, 0.0f};
    tap_ok(rc == RS_OK && !st.clipped, "below clip: not clipped");
    tap_is_floats(p->data, want2, 3, 0.0, 0.0, "below clip: full step");

    rs_optim_zero_grad(o);
    tap_is_floats(p->grad, zero, 3, 0.0, 0.0, "zero_grad");
    rs_optim_free(o);
    rs_tensor_release(p);
}

/* Clip groups: SGD lr 1 from 0, clip 1, w1 (3, 4, 0) alone in group 0
 * (norm 5), w2 (1, 2, 2) and w3 (0, 0, 4) in group 2 (norm sqrt(25) = 5
 * too, but from two tensors), w4 (0.1, 0, 0) alone in group 3 (under the
 * clip). Each group's scale is min(1, 1 / (its norm + 1e-6)) in double,
 * cast once, as torch's clip_grad_norm_ on that group alone; p = -g *
 * scale. Group 1 has no parameter: norm 0. */
static void
test_clip_groups(void)
{
    static const float zero[3] = {0.0f, 0.0f, 0.0f};
    static const float g[4][3] = {{3.0f, 4.0f, 0.0f},
                                  {1.0f, 2.0f, 2.0f},
                                  {0.0f, 0.0f, 4.0f},
                                  {0.1f, 0.0f, 0.0f}};
    static const int group[4] = {0, 2, 2, 3};
    struct rs_optim_config cfg;
    rs_optim_config_default(&cfg, RS_OPTIM_SGD);
    cfg.clip_norm = 1.0f;
    rs_tensor *p[4];
    for (int i = 0; i < 4; i++)
        p[i] = new_param3(zero, "w");
    rs_optim *o = rs_optim_new(&cfg, p, 4, NULL);
    bool dflt = true;
    for (int i = 0; i < 4; i++) {
        dflt = dflt && rs_optim_clip_group(o, i) == 0;
        rs_optim_set_clip_group(o, i, group[i]);
        set_grad(p[i], g[i]);
    }
    tap_ok(dflt && rs_optim_clip_group(o, 1) == 2,
           "clip groups default to 0 and can be set");
    struct rs_optim_stats st;
    int rc = rs_optim_step(o, 1.0f, &st, NULL);
    tap_ok(rc == RS_OK, "grouped clip step ok");
    double gsq[4] = {0.0};
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++)
            gsq[group[i]] += (double)g[i][j] * (double)g[i][j];
    for (int i = 0; i < 4; i++) {
        double coef = 1.0 / (sqrt(gsq[group[i]]) + 1e-6);
        float scale = coef < 1.0 ? (float)coef : 1.0f;
        float want[3];
        for (int j = 0; j < 3; j++)
            want[j] = 0.0f + -1.0f * (g[i][j] * scale);
        tap_is_floats(p[i]->data, want, 3, 0.0, 0.0,
                      "w%d (group %d) scaled by its group's own norm", i + 1,
                      group[i]);
    }
    tap_ok(st.ngroups == 4, "stats: 4 groups (0..3 in use)");
    tap_is_float(st.group_norm[0], 5.0, 1e-15, 0.0, "group 0 norm 5");
    tap_is_float(st.group_norm[1], 0.0, 0.0, 0.0, "empty group 1 norm 0");
    tap_is_float(st.group_norm[2], 5.0, 1e-15, 0.0,
                 "group 2 norm 5 over two tensors");
    tap_is_float(st.group_norm[3], 0.1, 1e-8, 0.0, "group 3 norm 0.1");
    tap_is_float(st.grad_norm, sqrt(gsq[0] + gsq[2] + gsq[3]), 1e-15, 0.0,
                 "grad_norm stays the global norm");
    tap_ok(st.clipped, "clipped: some group was scaled");

    /* Replacing a parameter keeps its group. */
    rs_tensor *w2 = new_param3(zero, "w2b");
    rc = rs_optim_replace_param(o, 1, w2, NULL, 0, NULL);
    tap_ok(rc == RS_OK && rs_optim_clip_group(o, 1) == 2,
           "a replaced parameter stays in its clip group");
    rs_tensor_release(w2);
    rs_optim_free(o);
    for (int i = 0; i < 4; i++)
        rs_tensor_release(p[i]);
}

/* Three Adam steps (clip 0.5, lr 0.1) of params a, b under grads that
 * exceed the clip: an optimiser whose groups are {a} and {b} against two
 * optimisers, one per parameter (the authors' separate actor and critic
 * Adams) -- bit for bit; and every parameter in one group k > 0 against
 * the default (group 0) -- bit for bit. */
static void
run_adam_pair(int mode, float out[2][3], struct rs_optim_stats *st)
{
    static const float init_b[3] = {0.3f, 0.7f, -1.5f};
    struct rs_optim_config cfg;
    rs_optim_config_default(&cfg, RS_OPTIM_ADAM);
    cfg.clip_norm = 0.5f;
    rs_tensor *p[2] = {new_param3(p_init, "a"), new_param3(init_b, "b")};
    rs_optim *o[2] = {NULL, NULL};
    if (mode == 1) { /* two optimisers */
        o[0] = rs_optim_new(&cfg, &p[0], 1, NULL);
        o[1] = rs_optim_new(&cfg, &p[1], 1, NULL);
    } else {
        o[0] = rs_optim_new(&cfg, p, 2, NULL);
        for (int i = 0; mode != 2 && i < 2; i++)
            rs_optim_set_clip_group(o[0], i, mode == 0 ? i : 5);
    }
    for (int k = 0; k < 3; k++) {
        float ga[3], gb[3];
        for (int j = 0; j < 3; j++) {
            ga[j] = 3.0f * (k % 2 ? g_a[j] : g_b[j]);
            gb[j] = 0.25f * g_a[j] - (float)k;
        }
        set_grad(p[0], ga);
        set_grad(p[1], gb);
        for (int i = 0; i < 2; i++)
            if (o[i] != NULL && rs_optim_step(o[i], 0.1f, st, NULL) != RS_OK)
                tap_diag("adam pair: step failed");
    }
    for (int i = 0; i < 2; i++) {
        memcpy(out[i], p[i]->data, sizeof out[i]);
        rs_optim_free(o[i]);
        rs_tensor_release(p[i]);
    }
}

static void
test_clip_groups_adam(void)
{
    float grouped[2][3], separate[2][3], one[2][3], dflt[2][3];
    struct rs_optim_stats st1, st2;
    run_adam_pair(0, grouped, &st1);
    run_adam_pair(1, separate, &st2);
    tap_ok(memcmp(grouped, separate, sizeof grouped) == 0,
           "adam, groups {a} {b}: bit for bit two optimisers with their "
           "own clip");
    tap_ok(st1.ngroups == 2 && st1.clipped, "adam, groups: 2 groups, clipped");
    run_adam_pair(3, one, &st1);
    run_adam_pair(2, dflt, &st2);
    tap_ok(memcmp(one, dflt, sizeof one) == 0 && st1.grad_norm == st2.grad_norm,
           "adam, every parameter in group 5: bit for bit the default");
    tap_ok(st1.ngroups == 6 && st1.group_norm[5] == st2.grad_norm &&
               st2.ngroups == 1 && st2.group_norm[0] == st2.grad_norm,
           "one group's norm is the global norm bit for bit");
}

static void
test_nonfinite(void)
{
    rs_tensor *p[2] = {new_param3(p_init, "w1"), new_param3(p_init, "w2")};
    struct rs_optim_config cfg;
    rs_optim_config_default(&cfg, RS_OPTIM_ADAMW);
    rs_optim *o = rs_optim_new(&cfg, p, 2, NULL);
    static const float bad[3] = {0.5f, NAN, 1.0f};
    set_grad(p[0], g_a);
    set_grad(p[1], bad);
    struct rs_error err;
    int rc = rs_optim_step(o, 0.1f, NULL, &err);
    tap_is_int(rc, RS_ENONFINITE, "NaN gradient rejected");
    tap_ok(strstr(err.msg, "parameter 1") != NULL &&
               strstr(err.msg, "w2") != NULL &&
               strstr(err.msg, "element 1") != NULL,
           "message names index, name and element: %s", err.msg);
    tap_is_floats(p[0]->data, p_init, 3, 0.0, 0.0, "first parameter unchanged");
    tap_is_floats(p[1]->data, p_init, 3, 0.0, 0.0,
                  "second parameter unchanged");
    static const float zero[3] = {0.0f, 0.0f, 0.0f};
    tap_is_floats(rs_optim_state(o, 0, 0), zero, 3, 0.0, 0.0,
                  "state unchanged");
    tap_is_int(rs_optim_steps(o), 0, "step not counted");

    p[1]->grad[1] = -INFINITY;
    p[1]->name = NULL;
    rc = rs_optim_step(o, 0.1f, NULL, &err);
    tap_ok(rc == RS_ENONFINITE && strstr(err.msg, "unnamed") != NULL,
           "-inf rejected, unnamed parameter: %s", err.msg);
    rs_optim_free(o);
    rs_tensor_release(p[0]);
    rs_tensor_release(p[1]);
}

static void
expect_bad(const struct rs_optim_config *cfg, rs_tensor *const *params, int n,
           const char *needle, const char *what)
{
    struct rs_error err;
    rs_error_clear(&err);
    rs_optim *o = rs_optim_new(cfg, params, n, &err);
    tap_ok(o == NULL && err.code == RS_EINVAL &&
               strstr(err.msg, needle) != NULL,
           "rejects %s: %s", what, err.msg);
    rs_optim_free(o);
}

static void
test_bad_config(void)
{
    rs_tensor *p = new_param3(p_init, "w");
    struct rs_optim_config cfg;

    rs_optim_config_default(&cfg, RS_OPTIM_SGD);
    cfg.lr = -0.1f;
    expect_bad(&cfg, &p, 1, "learning rate", "negative lr");
    rs_optim_config_default(&cfg, RS_OPTIM_SGD);
    cfg.nesterov = true;
    expect_bad(&cfg, &p, 1, "nesterov", "nesterov without momentum");
    cfg.momentum = 0.9f;
    cfg.dampening = 0.1f;
    expect_bad(&cfg, &p, 1, "nesterov", "nesterov with dampening");
    rs_optim_config_default(&cfg, RS_OPTIM_SGD);
    cfg.momentum = -0.5f;
    expect_bad(&cfg, &p, 1, "momentum", "negative momentum");

    rs_optim_config_default(&cfg, RS_OPTIM_ADAM);
    cfg.beta1 = 1.0f;
    expect_bad(&cfg, &p, 1, "beta1", "beta1 = 1");
    rs_optim_config_default(&cfg, RS_OPTIM_ADAMW);
    cfg.beta2 = -0.1f;
    expect_bad(&cfg, &p, 1, "beta2", "negative beta2");
    rs_optim_config_default(&cfg, RS_OPTIM_ADAM);
    cfg.eps = -1e-8f;
    expect_bad(&cfg, &p, 1, "eps", "negative eps");
    rs_optim_config_default(&cfg, RS_OPTIM_ADAM);
    cfg.weight_decay = -0.01f;
    expect_bad(&cfg, &p, 1, "weight_decay", "negative weight decay");
    rs_optim_config_default(&cfg, RS_OPTIM_ADAM);
    cfg.lr = NAN;
    expect_bad(&cfg, &p, 1, "learning rate", "NaN lr");
    cfg.lr = 1e-3f;
    cfg.clip_norm = -1.0f;
    expect_bad(&cfg, &p, 1, "clip_norm", "negative clip");

    rs_optim_config_default(&cfg, RS_OPTIM_ADAM);
    rs_tensor *plain = rs_tensor_new1(3, NULL);
    plain->name = "data";
    expect_bad(&cfg, &plain, 1, "not a trainable", "a non-parameter");
    rs_tensor_release(plain);
    rs_tensor *twice[2] = {p, p};
    expect_bad(&cfg, twice, 2, "repeats", "a repeated parameter");
    expect_bad(&cfg, &p, 0, "empty", "no parameters");

    /* Run-time changes: same validation, kind fixed, old config kept. */
    rs_optim *o = rs_optim_new(&cfg, &p, 1, NULL);
    struct rs_optim_config bad = cfg;
    bad.beta1 = 1.5f;
    struct rs_error err;
    int rc = rs_optim_set_config(o, &bad, &err);
    tap_ok(rc == RS_EINVAL && rs_optim_config(o)->beta1 == 0.9f,
           "set_config rejects beta1 1.5 and keeps the config: %s", err.msg);
    bad = cfg;
    bad.kind = RS_OPTIM_SGD;
    rc = rs_optim_set_config(o, &bad, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "kind") != NULL,
           "set_config rejects a kind change: %s", err.msg);
    bad = cfg;
    bad.weight_decay = 0.25f;
    rc = rs_optim_set_config(o, &bad, &err);
    tap_ok(rc == RS_OK && rs_optim_config(o)->weight_decay == 0.25f,
           "set_config changes weight decay");
    rc = rs_optim_step(o, -1.0f, NULL, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "learning rate") != NULL,
           "step rejects a negative lr: %s", err.msg);
    tap_is_floats(p->data, p_init, 3, 0.0, 0.0, "rejected step: unchanged");
    rs_optim_free(o);
    rs_tensor_release(p);
}

/* A run restored from (params, m, v, steps) continues exactly like the
 * uninterrupted run. */
static void
test_resume(void)
{
    struct rs_optim_config cfg;
    rs_optim_config_default(&cfg, RS_OPTIM_ADAMW);
    const float *gs[3] = {g_a, g_b, g_a};
    rs_tensor *a = new_param3(p_init, "a");
    rs_optim *oa = rs_optim_new(&cfg, &a, 1, NULL);
    for (int k = 0; k < 3; k++) {
        set_grad(a, gs[k]);
        if (rs_optim_step(oa, 0.01f, NULL, NULL) != RS_OK)
            tap_diag("step failed");
    }
    rs_tensor *b = new_param3(p_init, "b");
    rs_optim *ob = rs_optim_new(&cfg, &b, 1, NULL);
    for (int k = 0; k < 2; k++) {
        set_grad(b, gs[k]);
        if (rs_optim_step(ob, 0.01f, NULL, NULL) != RS_OK)
            tap_diag("step failed");
    }
    rs_tensor *c = new_param3(b->data, "c");
    rs_optim *oc = rs_optim_new(&cfg, &c, 1, NULL);
    memcpy(rs_optim_state(oc, 0, 0), rs_optim_state(ob, 0, 0),
           3 * sizeof(float));
    memcpy(rs_optim_state(oc, 0, 1), rs_optim_state(ob, 0, 1),
           3 * sizeof(float));
    rs_optim_set_steps(oc, rs_optim_steps(ob));
    set_grad(c, gs[2]);
    if (rs_optim_step(oc, 0.01f, NULL, NULL) != RS_OK)
        tap_diag("step failed");
    tap_is_floats(c->data, a->data, 3, 0.0, 0.0,
                  "resumed adamw matches the uninterrupted run exactly");
    tap_ok(rs_optim_nparams(oc) == 1 && rs_optim_param(oc, 0) == c,
           "param accessors");

    /* SGD momentum: the buffer is only allocated with momentum. */
    rs_optim_config_default(&cfg, RS_OPTIM_SGD);
    rs_optim *os = rs_optim_new(&cfg, &c, 1, NULL);
    tap_ok(rs_optim_state(os, 0, 0) == NULL, "plain sgd has no buffer");
    cfg.momentum = 0.9f;
    int rc = rs_optim_set_config(os, &cfg, NULL);
    tap_ok(rc == RS_OK && rs_optim_state(os, 0, 0) != NULL &&
               rs_optim_state(os, 0, 1) == NULL,
           "momentum switched on allocates one buffer");
    /* The fresh buffer takes d_p itself on the next step. */
    set_grad(c, g_a);
    rc = rs_optim_step(os, 0.1f, NULL, NULL);
    tap_is_floats(rs_optim_state(os, 0, 0), g_a, 3, 0.0, 0.0,
                  "fresh momentum buffer = first gradient");
    rs_optim_free(os);

    rs_optim_free(oa);
    rs_optim_free(ob);
    rs_optim_free(oc);
    rs_tensor_release(a);
    rs_tensor_release(b);
    rs_tensor_release(c);
}

static void
test_names(void)
{
    tap_is_str(rs_optim_kind_name(RS_OPTIM_ADAMW), "adamw", "kind name");
    tap_is_int(rs_optim_kind_parse("sgd"), RS_OPTIM_SGD, "parse sgd");
    tap_is_int(rs_optim_kind_parse("adam"), RS_OPTIM_ADAM, "parse adam");
    tap_is_int(rs_optim_kind_parse("lion"), -1, "parse unknown");
    tap_is_int(rs_sched_kind_parse("cosine"), RS_SCHED_COSINE, "parse cosine");
    tap_is_str(rs_sched_kind_name(RS_SCHED_ONECYCLE), "onecycle",
               "onecycle name");
    tap_is_int(rs_sched_kind_parse("step"), -1, "parse unknown schedule");
    int ok = 1;
    for (int k = RS_INIT_ZEROS; k <= RS_INIT_TORCH_DEFAULT; k++)
        if (rs_init_kind_parse(rs_init_kind_name((enum rs_init_kind)k)) != k)
            ok = 0;
    tap_ok(ok, "init names round-trip");
    tap_is_int(rs_init_kind_parse("kaiming"), RS_INIT_KAIMING_NORMAL,
               "kaiming is the normal variant");
    tap_is_int(rs_init_kind_parse("he"), -1, "parse unknown init");
}

struct moments {
    double mean, std, min, max;
};

static struct moments
moments_of(const rs_tensor *t)
{
    struct moments m = {0.0, 0.0, INFINITY, -INFINITY};
    double s = 0.0, s2 = 0.0;
    for (size_t i = 0; i < t->numel; i++) {
        double x = (double)t->data[i];
        s += x;
        s2 += x * x;
        m.min = x < m.min ? x : m.min;
        m.max = x > m.max ? x : m.max;
    }
    double n = (double)t->numel;
    m.mean = s / n;
    m.std = sqrt(s2 / n - m.mean * m.mean);
    return m;
}

static void
check_init(enum rs_init_kind kind, int fan_in, int fan_out, float scale,
           double want_std, double bound)
{
    struct rs_rng rng;
    rs_rng_seed(&rng, 1234);
    rs_tensor *t = rs_tensor_new2(200, 500, NULL);
    rs_init_fill(t, kind, fan_in, fan_out, scale, &rng);
    struct moments m = moments_of(t);
    const char *name = rs_init_kind_name(kind);
    /* 100k samples: the mean's standard error is std / 316. */
    tap_is_float(m.mean, 0.0, 5.0 * want_std / 316.0, 0.0, "%s mean ~0", name);
    tap_is_float(m.std, want_std, 0.0, 0.02, "%s std %.4f", name, want_std);
    if (bound > 0.0)
        tap_ok(m.min >= -bound && m.max <= bound && m.max > 0.99 * bound &&
                   m.min < -0.99 * bound,
               "%s within and reaching +-%.4f", name, bound);
    rs_tensor_release(t);
}

static void
test_init(void)
{
    rs_tensor *t = rs_tensor_new2(7, 9, NULL);
    rs_tensor_fill(t, 3.0f);
    rs_init_fill(t, RS_INIT_ZEROS, 9, 7, 1.0f, NULL);
    struct moments m = moments_of(t);
    tap_ok(m.min == 0.0 && m.max == 0.0, "zeros");
    rs_init_fill(t, RS_INIT_CONSTANT, 9, 7, 0.5f, NULL);
    m = moments_of(t);
    tap_ok(m.min == 0.5 && m.max == 0.5, "constant = scale");
    rs_tensor_release(t);

    check_init(RS_INIT_NORMAL, 1, 1, 2.0f, 2.0, 0.0);
    check_init(RS_INIT_UNIFORM, 1, 1, 0.3f, 0.3 / sqrt(3.0), 0.3);
    /* fan_in 50: sqrt(2/50) = 0.2; uniform bound sqrt(6/50), std 0.2. */
    check_init(RS_INIT_KAIMING_NORMAL, 50, 10, 1.0f, 0.2, 0.0);
    check_init(RS_INIT_KAIMING_UNIFORM, 50, 10, 1.0f, 0.2, sqrt(6.0 / 50));
    /* fan_in + fan_out = 50: same numbers for Xavier. */
    check_init(RS_INIT_XAVIER_NORMAL, 30, 20, 1.0f, 0.2, 0.0);
    check_init(RS_INIT_XAVIER_UNIFORM, 30, 20, 1.0f, 0.2, sqrt(6.0 / 50));
    /* LeCun fan_in 25: 0.2; scale 2 doubles it. */
    check_init(RS_INIT_LECUN_NORMAL, 25, 5, 1.0f, 0.2, 0.0);
    check_init(RS_INIT_LECUN_NORMAL, 25, 5, 2.0f, 0.4, 0.0);
    /* torch default fan_in 25: U(+-0.2), std 0.2 / sqrt(3). */
    check_init(RS_INIT_TORCH_DEFAULT, 25, 5, 1.0f, 0.2 / sqrt(3.0), 0.2);

    struct rs_rng r1, r2;
    rs_tensor *a = rs_tensor_new2(16, 16, NULL);
    rs_tensor *b = rs_tensor_new2(16, 16, NULL);
    rs_rng_seed(&r1, 99);
    rs_rng_seed(&r2, 99);
    rs_init_fill(a, RS_INIT_KAIMING_NORMAL, 16, 16, 1.0f, &r1);
    rs_init_fill(b, RS_INIT_KAIMING_NORMAL, 16, 16, 1.0f, &r2);
    tap_ok(memcmp(a->data, b->data, a->numel * sizeof(float)) == 0,
           "same seed, same weights");
    tap_ok(rs_rng_next(&r1) == rs_rng_next(&r2),
           "same stream position after the fill");
    rs_rng_seed(&r2, 100);
    rs_init_fill(b, RS_INIT_KAIMING_NORMAL, 16, 16, 1.0f, &r2);
    tap_ok(memcmp(a->data, b->data, a->numel * sizeof(float)) != 0,
           "different seed, different weights");
    rs_tensor_release(a);
    rs_tensor_release(b);
}

static void
test_rng(void)
{
    struct rs_rng a, b, c;
    rs_rng_seed(&a, 42);
    rs_rng_seed(&b, 42);
    rs_rng_seed(&c, 43);
    int same = 1, diff = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = rs_rng_next(&a), y = rs_rng_next(&b);
        same &= x == y;
        diff += x != rs_rng_next(&c);
    }
    tap_ok(same, "same seed, same stream");
    tap_ok(diff == 1000, "different seed, different stream (%d/1000)", diff);

    /* rs_rng_below(10): 100k draws, each bucket 10000 +- 5 sigma (~95). */
    long count[10] = {0};
    int inrange = 1;
    for (int i = 0; i < 100000; i++) {
        uint32_t k = rs_rng_below(&a, 10);
        if (k >= 10)
            inrange = 0;
        else
            count[k]++;
    }
    tap_ok(inrange, "below(10) in range");
    long lo = count[0], hi = count[0];
    for (int k = 1; k < 10; k++) {
        lo = count[k] < lo ? count[k] : lo;
        hi = count[k] > hi ? count[k] : hi;
    }
    tap_ok(lo > 10000 - 475 && hi < 10000 + 475,
           "below(10) roughly uniform (min %ld, max %ld)", lo, hi);
    int one = 1;
    for (int i = 0; i < 100; i++)
        one &= rs_rng_below(&a, 1) == 0;
    tap_ok(one, "below(1) is 0");

    double s = 0.0, s2 = 0.0, us = 0.0;
    int uok = 1;
    for (int i = 0; i < 100000; i++) {
        double x = (double)rs_rng_normal(&a);
        s += x;
        s2 += x * x;
        float u = rs_rng_uniform(&a);
        uok &= u >= 0.0f && u < 1.0f;
        us += (double)u;
    }
    double mean = s / 1e5, std = sqrt(s2 / 1e5 - mean * mean);
    tap_is_float(mean, 0.0, 0.016, 0.0, "normal mean ~0 (%.4f)", mean);
    tap_is_float(std, 1.0, 0.0, 0.02, "normal std ~1 (%.4f)", std);
    tap_ok(uok, "uniform in [0, 1)");
    tap_is_float(us / 1e5, 0.5, 0.005, 0.0, "uniform mean ~0.5");

    rs_rng_seed(&a, 7);
    rs_rng_seed(&b, 7);
    rs_rng_split(&a, &c);
    rs_rng_next(&b);
    tap_ok(rs_rng_next(&a) == rs_rng_next(&b) &&
               rs_rng_next(&c) != rs_rng_next(&a),
           "split advances the parent once and gives a new stream");

    int v[20], seen[20] = {0};
    for (int i = 0; i < 20; i++)
        v[i] = i;
    rs_rng_shuffle_int(&a, v, 20);
    int perm = 1, moved = 0;
    for (int i = 0; i < 20; i++) {
        perm &= v[i] >= 0 && v[i] < 20 && !seen[v[i]];
        if (v[i] >= 0 && v[i] < 20)
            seen[v[i]] = 1;
        moved += v[i] != i;
    }
    tap_ok(perm && moved > 0, "shuffle is a permutation");
}
/* Three steps of cfg on a 50000-element and a 3-element parameter (the
 * big one is split into pieces on the pool) at `threads` threads; the
 * final values of both go to out (50003 floats), the last grad norm and
 * weight norm to norms. */
static void
run_big(const struct rs_optim_config *cfg, int threads, float *out,
        double *norms)
{
    rs_pool_set_threads(threads);
    int shape[1] = {50000};
    rs_tensor *p[2] = {rs_tensor_new_param(1, shape, NULL),
                       new_param3(p_init, "small")};
    RS_ASSERT(p[0] != NULL);
    struct rs_rng rng;
    rs_rng_seed(&rng, 7);
    for (size_t i = 0; i < p[0]->numel; i++)
        p[0]->data[i] = rs_rng_uniform(&rng) - 0.5f;
    rs_optim *o = rs_optim_new(cfg, p, 2, NULL);
    RS_ASSERT(o != NULL);
    struct rs_optim_stats st;
    for (int k = 0; k < 3; k++) {
        for (size_t i = 0; i < p[0]->numel; i++)
            p[0]->grad[i] = rs_rng_uniform(&rng) - 0.5f;
        set_grad(p[1], k % 2 ? g_a : g_b);
        int rc = rs_optim_step(o, 0.01f, &st, NULL);
        RS_ASSERT(rc == RS_OK);
        rs_optim_zero_grad(o);
    }
    memcpy(out, p[0]->data, 50000 * sizeof(float));
    memcpy(out + 50000, p[1]->data, 3 * sizeof(float));
    norms[0] = st.grad_norm;
    norms[1] = st.weight_norm;
    bool zero = true;
    for (size_t i = 0; i < p[0]->numel; i++)
        zero = zero && p[0]->grad[i] == 0.0f;
    tap_ok(zero, "%s, %d threads: zero_grad clears a split parameter",
           rs_optim_kind_name(cfg->kind), threads);
    rs_optim_free(o);
    rs_tensor_release(p[0]);
    rs_tensor_release(p[1]);
    rs_pool_set_threads(1);
}

static void
test_threads(void)
{
    static float one[50003], more[50003];
    struct rs_optim_config cfg[2];
    rs_optim_config_default(&cfg[0], RS_OPTIM_ADAMW);
    cfg[0].clip_norm = 1.0f; /* the clip scale needs the whole scan */
    rs_optim_config_default(&cfg[1], RS_OPTIM_SGD);
    cfg[1].momentum = 0.9f;
    for (int c = 0; c < 2; c++) {
        double n1[2], nm[2];
        run_big(&cfg[c], 1, one, n1);
        for (int t = 2; t <= 3; t++) {
            run_big(&cfg[c], t, more, nm);
            tap_ok(memcmp(one, more, sizeof one) == 0,
                   "%s: %d threads bitwise equal to 1",
                   rs_optim_kind_name(cfg[c].kind), t);
            tap_ok(n1[0] == nm[0] && n1[1] == nm[1],
                   "%s: %d threads, same grad and weight norms",
                   rs_optim_kind_name(cfg[c].kind), t);
        }
    }
    /* Known answer across pieces: 50003 gradients of 0.5 -> norm
     * sqrt(50003 / 4), with lr 0 leaving the values alone. */
    rs_pool_set_threads(2);
    int shape[1] = {50003};
    rs_tensor *p = rs_tensor_new_param(1, shape, NULL);
    RS_ASSERT(p != NULL);
    for (size_t i = 0; i < p->numel; i++)
        p->grad[i] = 0.5f;
    rs_optim *o = rs_optim_new(&cfg[1], &p, 1, NULL);
    struct rs_optim_stats st;
    int rc = rs_optim_step(o, 0.0f, &st, NULL);
    tap_ok(rc == RS_OK, "a step over pieces succeeds");
    tap_is_float(st.grad_norm, sqrt(50003.0 / 4.0), 0.0, 1e-15,
                 "grad norm summed over pieces");
    rs_optim_free(o);
    /* Plain SGD on every element of every piece: p - 0.01 g. */
    struct rs_optim_config plain;
    rs_optim_config_default(&plain, RS_OPTIM_SGD);
    o = rs_optim_new(&plain, &p, 1, NULL);
    float *want = rs_xmalloc(p->numel * sizeof(float));
    for (size_t i = 0; i < p->numel; i++) {
        p->data[i] = (float)(i % 1000) * 0.001f;
        p->grad[i] = (float)(i % 777) * 0.01f - 3.0f;
        want[i] = p->data[i] + -0.01f * p->grad[i];
    }
    rc = rs_optim_step(o, 0.01f, NULL, NULL);
    tap_ok(rc == RS_OK && memcmp(p->data, want, p->numel * sizeof(float)) == 0,
           "SGD over pieces: every element is p - lr g");
    free(want);
    p->grad[49999] = NAN;
    struct rs_error err;
    rc = rs_optim_step(o, 0.0f, NULL, &err);
    tap_ok(rc == RS_ENONFINITE && strstr(err.msg, "element 49999") != NULL,
           "NaN in a later piece is found and named: %s", err.msg);
    rs_optim_free(o);
    rs_tensor_release(p);
    rs_pool_set_threads(1);
}

int
main(void)
{
    tap_plan_lazy();
    test_sgd();
    test_adam();
    test_clip();
    test_clip_groups();
    test_clip_groups_adam();
    test_nonfinite();
    test_threads();
    test_bad_config();
    test_resume();
    test_names();
    test_init();
    test_rng();
    return tap_done();
}
