/* repscope - MIT licence, see COPYING.
 *
 * t_probe_dead.c: dead / linearised / saturated / tau-dormant units on
 * layers built so that every count and frequency is known by construction:
 * planted dead columns, columns with a chosen number of active rows,
 * hand-made activations for the dormant scores, and an MLP whose hidden
 * units are killed or linearised through their biases.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "core/rng.h"
#include "nn/mlp.h"
#include "nn/model.h"
#include "probe/dead.h"
#include "tests/tap.h"

enum { ROWS = 50, COLS = 8 };

/* Column j is > 0 on exactly active[j] rows (spread over the batch) and
 * <= 0 elsewhere, with exact zeros among the inactive values. */
static const int active[COLS] = {0, 1, 25, 50, 0, 13, 49, 7};

static void
planted_layer(float *x, struct rs_rng *rng)
{
    for (int j = 0; j < COLS; j++) {
        int perm[ROWS];
        for (int i = 0; i < ROWS; i++)
            perm[i] = i;
        rs_rng_shuffle_int(rng, perm, ROWS);
        for (int k = 0; k < ROWS; k++) {
            int i = perm[k];
            float u = rs_rng_uniform(rng);
            if (k < active[j])
                x[i * COLS + j] = 1e-6f + u; /* strictly positive */
            else
                x[i * COLS + j] = k % 3 == 0 ? 0.0f : -u;
        }
    }
}

static void
test_planted(void)
{
    struct rs_rng rng;
    rs_rng_seed(&rng, 5);
    float x[ROWS * COLS];
    planted_layer(x, &rng);
    float freq[COLS], want[COLS];
    for (int j = 0; j < COLS; j++)
        want[j] = (float)active[j] / (float)ROWS;
    int never = -1, always = -1;
    struct rs_error err = {0};
    int rc = rs_probe_dead_activity(x, ROWS, COLS, freq, &never, &always, &err);
    tap_is_int(rc, RS_OK, "activity: status");
    tap_is_floats(freq, want, COLS, 1e-7, 0.0,
                  "frequencies are active rows / 50");
    tap_is_int(never, 2, "two planted dead columns (0 and 4)");
    tap_is_int(always, 1, "one always-active column (3)");
    double frac = -1.0;
    rc = rs_probe_dead_fraction(x, ROWS, COLS, NULL, &frac, &err);
    tap_ok(rc == RS_OK && frac == 2.0 / 8.0, "never-active fraction 2/8");
    rc = rs_probe_dead_activity(x, ROWS, COLS, NULL, NULL, NULL, &err);
    tap_is_int(rc, RS_OK, "all outputs optional");

    /* A column that is 0 everywhere is dead; one tiny positive value
     * revives it. */
    for (int i = 0; i < ROWS; i++)
        x[i * COLS + 0] = 0.0f;
    rc = rs_probe_dead_activity(x, ROWS, COLS, freq, &never, NULL, &err);
    tap_ok(rc == RS_OK && never == 2 && freq[0] == 0.0f,
           "an all-zero column is dead");
    x[37 * COLS + 0] = 1e-30f;
    rc = rs_probe_dead_activity(x, ROWS, COLS, freq, &never, NULL, &err);
    tap_ok(rc == RS_OK && never == 1 && freq[0] == 1.0f / ROWS,
           "one positive row revives it (freq 1/50)");

    rc = rs_probe_dead_activity(x, 0, COLS, freq, &never, NULL, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "0 x 8") != NULL,
           "0 rows is EINVAL: %s", err.msg);
    rc = rs_probe_dead_fraction(x, ROWS, -3, NULL, &frac, &err);
    tap_is_int(rc, RS_EINVAL, "negative cols is EINVAL");
}

static void
test_dormant(void)
{
    /* 4 samples x 4 units. Mean |a| per unit: 1, 2, 0, 1 (signs do not
     * matter); layer mean 1; scores 1, 2, 0, 1. */
    const float a[4 * 4] = {
        1.0f,  2.0f,  0.0f, 0.0f, /* */
        -1.0f, 2.0f,  0.0f, 4.0f, /* */
        1.0f,  -2.0f, 0.0f, 0.0f, /* */
        -1.0f, 2.0f,  0.0f, 0.0f,
    };
    float score[4];
    const float want[4] = {1.0f, 2.0f, 0.0f, 1.0f};
    int n = -1;
    struct rs_error err = {0};
    int rc = rs_probe_dead_dormant(a, 4, 4, 0.0, score, &n, &err);
    tap_is_int(rc, RS_OK, "dormant: status");
    tap_is_floats(score, want, 4, 1e-7, 0.0, "scores 1, 2, 0, 1");
    tap_is_int(n, 1, "tau = 0: only the silent unit is dormant");
    rc = rs_probe_dead_dormant(a, 4, 4, 0.99, NULL, &n, &err);
    tap_ok(rc == RS_OK && n == 1, "tau = 0.99: 1 dormant");
    rc = rs_probe_dead_dormant(a, 4, 4, 1.0, NULL, &n, &err);
    tap_ok(rc == RS_OK && n == 3, "tau = 1: score == tau counts (3 dormant)");
    rc = rs_probe_dead_dormant(a, 4, 4, 5.0, NULL, &n, &err);
    tap_ok(rc == RS_OK && n == 4, "tau = 5: all dormant");

    /* Scaling the whole layer changes nothing (the score is relative). */
    float b[16];
    for (int i = 0; i < 16; i++)
        b[i] = 1000.0f * a[i];
    rc = rs_probe_dead_dormant(b, 4, 4, 0.5, score, &n, &err);
    tap_ok(rc == RS_OK && n == 1, "scale invariant");
    tap_is_floats(score, want, 4, 1e-6, 0.0, "scaled layer: same scores");

    const float zero[6] = {0};
    rc = rs_probe_dead_dormant(zero, 2, 3, 0.1, score, &n, &err);
    tap_ok(rc == RS_OK && n == 3 && score[0] == 0.0f && score[2] == 0.0f,
           "an all-zero layer is all dormant, scores 0");

    rc = rs_probe_dead_dormant(a, 4, 4, -0.1, NULL, &n, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "tau = -0.1") != NULL,
           "negative tau is EINVAL: %s", err.msg);
    rc = rs_probe_dead_dormant(a, 4, 4, NAN, NULL, &n, &err);
    tap_is_int(rc, RS_EINVAL, "NaN tau is EINVAL");
    rc = rs_probe_dead_dormant(a, 4, 0, 0.1, NULL, &n, &err);
    tap_is_int(rc, RS_EINVAL, "0 cols is EINVAL");
}

static void
test_saturated(void)
{
    /* tanh-like: unit 0 saturated at +1, unit 1 at -1 / +1 mixed, unit 2
     * once unsaturated. */
    const float t[3 * 3] = {
        0.9999f, -0.9995f, 0.9999f, /* */
        1.0f,    0.9991f,  0.5f,    /* */
        0.9992f, -1.0f,    -1.0f,
    };
    int n = -1;
    struct rs_error err = {0};
    int rc = rs_probe_dead_saturated(t, 3, 3, 1e-3f, &n, &err);
    tap_ok(rc == RS_OK && n == 2, "saturated at eps 1e-3: 2 units (%d)", n);
    rc = rs_probe_dead_saturated(t, 3, 3, 0.6f, &n, &err);
    tap_ok(rc == RS_OK && n == 3, "saturated at eps 0.6: 3 units (%d)", n);
    rc = rs_probe_dead_saturated(t, 3, 3, 1e-4f, &n, &err);
    tap_ok(rc == RS_OK && n == 0, "saturated at eps 1e-4: none (%d)", n);
    rc = rs_probe_dead_saturated(t, 3, 3, NAN, &n, &err);
    tap_is_int(rc, RS_EINVAL, "NaN eps is EINVAL");
}

static void
test_mlp(void)
{
    /* Hidden unit 3 of layer 1 gets bias -1000: dead on any bounded input.
     * Unit 0 gets +1000: always active (linearised). Kaiming weights with
     * zero biases make the other units fire on about half the inputs. */
    struct rs_nn_mlp_config cfg;
    rs_nn_mlp_config_default(&cfg);
    cfg.input = 5;
    cfg.width = 6;
    cfg.depth = 2;
    cfg.output = 2;
    cfg.init = RS_INIT_KAIMING_NORMAL;
    struct rs_rng rng;
    rs_rng_seed(&rng, 31);
    struct rs_error err = {0};
    rs_nn_mlp *m = rs_nn_mlp_new(&cfg, "probe", &rng, &err);
    if (m == NULL)
        tap_bail("rs_nn_mlp_new: %s", err.msg);
    rs_tensor *b1 = rs_nn_model_lookup(rs_nn_mlp_model(m), "l1.bias");
    b1->data[3] = -1000.0f;
    b1->data[0] = 1000.0f;

    struct rs_probe_dead_layer out;
    int rc = rs_probe_dead_mlp_layer(m, 1, 0.1, NULL, &out, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "no recorded forward") != NULL,
           "before a forward: %s", err.msg);

    enum { N = 64 };
    float x[N * 5];
    for (int i = 0; i < N * 5; i++)
        x[i] = 2.0f * rs_rng_uniform(&rng) - 1.0f;
    rs_graph *g = rs_graph_new();
    rs_graph_set_grad(g, false);
    int shape[2] = {N, 5};
    rs_tensor *y = rs_nn_mlp_forward(m, g, rs_graph_input(g, 2, shape, x));
    tap_ok(y != NULL, "probe forward");
    float freq[6];
    rc = rs_probe_dead_mlp_layer(m, 1, 0.1, freq, &out, &err);
    tap_is_int(rc, RS_OK, "mlp layer 1: status");
    tap_ok(out.units == 6 && out.rows == N, "layer 1: 6 units, 64 rows");
    tap_is_int(out.dead, 1, "the killed unit is the only dead one");
    tap_ok(freq[3] == 0.0f && freq[0] == 1.0f,
           "frequency 0 for the killed unit, 1 for the saturated-on one");
    bool others = true;
    for (int j = 1; j < 6; j++)
        if (j != 3)
            others = others && freq[j] > 0.1f && freq[j] < 0.9f;
    tap_ok(others, "the other units fire on part of the batch");
    tap_is_int(out.linear, 1, "the +1000 unit is linearised");
    tap_is_float(out.dead_frac, 1.0 / 6.0, 1e-12, 0.0, "dead fraction 1/6");
    /* The linearised unit's mean |a| (~1000) dominates the layer mean
     * (~170), so every other unit scores < 0.05 and is tau-dormant. */
    tap_ok(out.dormant == 5 && out.dormant_frac == 5.0 / 6.0,
           "tau 0.1: all but the +1000 unit are dormant (%d)", out.dormant);

    /* Layer 2 through the same call, and bad layers. */
    rc = rs_probe_dead_mlp_layer(m, 2, 0.0, NULL, &out, &err);
    tap_ok(rc == RS_OK && out.units == 6, "layer 2 probes too");
    rc = rs_probe_dead_mlp_layer(m, 3, 0.1, NULL, &out, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "layer = 3") != NULL,
           "layer 3 of a depth-2 MLP is EINVAL: %s", err.msg);
    rc = rs_probe_dead_mlp_layer(m, 0, 0.1, NULL, &out, &err);
    tap_is_int(rc, RS_EINVAL, "layer 0 is EINVAL");
    rs_graph_free(g);
    rs_nn_mlp_free(m);
}

int
main(void)
{
    tap_plan_lazy();
    test_planted();
    test_dormant();
    test_saturated();
    test_mlp();
    return tap_done();
}
