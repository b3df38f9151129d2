/* repscope - MIT licence, see COPYING.
 *
 * t_probe_preact.c: per-unit pre-activation means and their histogram
 * (probe/preact.h) on constructed values: column means of a small matrix;
 * the bins of means placed on the edges of [-1, 1] in 4 bins (each edge
 * opens the bin above it, r itself closes the last), values outside
 * clamped into the end bins; the range taken from the largest |mean| (and
 * 1 when every mean is 0); bin centres; then the same through a hand-set
 * MLP's recorded pre-activation, and the errors.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/graph.h"
#include "core/rng.h"
#include "nn/model.h"
#include "nn/module.h"
#include "probe/preact.h"
#include "tests/tap.h"

static void
test_means(void)
{
    const float x[6] = {1, -2, 2, -4, 3, 0}; /* (3, 2) */
    float m[2] = {0};
    struct rs_error err = {0};
    int rc = rs_probe_preact_means(x, 3, 2, m, &err);
    const float want[2] = {2, -2};
    tap_ok(rc == RS_OK, "column means");
    tap_is_floats(m, want, 2, 0, 0, "means (2, -2)");
    tap_is_int(rs_probe_preact_means(x, 0, 2, m, &err), RS_EINVAL,
               "0 rows refused");
    tap_is_str(err.msg, "0 x 2 matrix (both sizes must be >= 1)",
               "its message");
}

static void
test_hist(void)
{
    struct rs_error err = {0};
    double lo = 0, hi = 0;
    float c[4] = {0};
    /* edges -1, -0.5, 0, 0.5, 1 */
    const float v[8] = {-1, -0.5f, 0, 0.5f, 1, -5, 5, 0.25f};
    int rc = rs_probe_preact_hist(v, 8, 4, 1.0, c, &lo, &hi, &err);
    const float want[4] = {2, 1, 2, 3};
    tap_ok(rc == RS_OK && lo == -1 && hi == 1, "range 1: [-1, 1]");
    tap_is_floats(c, want, 4, 0, 0,
                  "-1 -5 | -0.5 | 0 0.25 | 0.5 1 5: edges open the bin "
                  "above, outside values clamp");

    /* r from the data: max |mean| = 2, bins of width 1 */
    const float v2[3] = {-2, 0.1f, 1};
    rc = rs_probe_preact_hist(v2, 3, 4, 0.0, c, &lo, &hi, &err);
    const float want2[4] = {1, 0, 1, 1};
    tap_ok(rc == RS_OK && lo == -2 && hi == 2, "no range: r = max |mean| = 2");
    tap_is_floats(c, want2, 4, 0, 0, "-2 | . | 0.1 | 1");
    rc = rs_probe_preact_hist(v2, 3, 4, NAN, c, &lo, &hi, &err);
    tap_ok(rc == RS_OK && hi == 2, "a NaN range is no range");

    /* every mean 0: r = 1 */
    const float z[2] = {0, 0};
    float c2[2] = {0};
    rc = rs_probe_preact_hist(z, 2, 2, 0.0, c2, &lo, &hi, &err);
    tap_ok(rc == RS_OK && lo == -1 && hi == 1 && c2[0] == 0 && c2[1] == 2,
           "all zero: [-1, 1], both in the upper bin");

    /* one bin takes everything */
    float one = 0;
    rc = rs_probe_preact_hist(v, 8, 1, 0.5, &one, &lo, &hi, &err);
    tap_ok(rc == RS_OK && one == 8 && hi == 0.5, "one bin: 8");

    tap_is_float(rs_probe_preact_bin_centre(-1, 1, 4, 0), -0.75, 1e-15, 0,
                 "centre of bin 0");
    tap_is_float(rs_probe_preact_bin_centre(-1, 1, 4, 3), 0.75, 1e-15, 0,
                 "centre of bin 3");

    /* errors leave the outputs alone */
    c[0] = 7;
    lo = 9;
    const float bad[3] = {0, NAN, 1};
    tap_is_int(rs_probe_preact_hist(bad, 3, 4, 1.0, c, &lo, &hi, &err),
               RS_ENONFINITE, "a NaN mean refused");
    tap_is_str(err.msg, "unit 2 has mean nan", "its message");
    tap_ok(c[0] == 7 && lo == 9, "nothing written");
    tap_is_int(rs_probe_preact_hist(v, 8, 0, 1.0, c, &lo, &hi, &err), RS_EINVAL,
               "bins 0 refused");
    tap_is_str(err.msg, "bins = 0 (must be in 1..4096)", "its message");
    tap_is_int(rs_probe_preact_hist(v, 8, 4, INFINITY, c, &lo, &hi, &err),
               RS_EINVAL, "an infinite range refused");
    tap_is_int(rs_probe_preact_hist(v, 0, 4, 1.0, c, &lo, &hi, &err), RS_EINVAL,
               "no values refused");
}

/* An MLP 2 -> 3 -> 1 with l1.weight [[1, 0], [0, 1], [1, 1]] and l1.bias
 * (0, 0, -10): inputs (1, 2) and (3, 4) give pre-activations (1, 2, -7)
 * and (3, 4, -3), means (2, 3, -5); r = 5, bins of width 2 over [-5, 5]:
 * -5 in bin 0, 2 in bin 3, 3 in bin 4. */
static void
test_layer(void)
{
    struct rs_nn_mlp_config cfg;
    rs_nn_mlp_config_default(&cfg);
    cfg.input = 2;
    cfg.width = 3;
    cfg.depth = 1;
    cfg.output = 1;
    struct rs_rng rng;
    rs_rng_seed(&rng, 3);
    struct rs_error err = {0};
    rs_nn_module *m = rs_nn_module_mlp(&cfg, &rng, &err);
    RS_ASSERT(m != NULL);
    rs_nn_model *p = rs_nn_module_model(m);
    rs_tensor *w = rs_nn_model_lookup(p, "l1.weight");
    rs_tensor *b = rs_nn_model_lookup(p, "l1.bias");
    const float wv[6] = {1, 0, 0, 1, 1, 1}, bv[3] = {0, 0, -10};
    memcpy(w->data, wv, sizeof wv);
    memcpy(b->data, bv, sizeof bv);
    float c[5] = {0};
    double lo = 0, hi = 0;
    int units = 0;
    tap_is_int(rs_probe_preact_layer(m, 0, 5, 0.0, c, &lo, &hi, &units, &err),
               RS_EINVAL, "before a forward: refused");
    tap_is_str(err.msg, "layer 'l1' recorded no pre-activation", "its message");
    rs_graph *g = rs_graph_new();
    const float xv[4] = {1, 2, 3, 4};
    rs_tensor *x = rs_graph_input(g, 2, (int[]){2, 2}, xv);
    rs_tensor *o = rs_nn_module_forward(m, g, x);
    tap_ok(o != NULL, "a forward");
    int rc = rs_probe_preact_layer(m, 0, 5, 0.0, c, &lo, &hi, &units, &err);
    const float want[5] = {1, 0, 0, 1, 1};
    tap_ok(rc == RS_OK && units == 3 && lo == -5 && hi == 5,
           "3 units over [-5, 5] (%s)", err.msg);
    tap_is_floats(c, want, 5, 0, 0, "means -5 | . | . | 2 | 3");
    tap_is_int(rs_probe_preact_layer(m, 1, 5, 0.0, c, &lo, &hi, &units, &err),
               RS_EINVAL, "layer 1 does not exist");
    tap_is_str(err.msg,
               "layer 1 does not exist (the model has 1 probe-able layers)",
               "its message");
    rs_graph_free(g);
    rs_nn_module_release(m);
}

int
main(void)
{
    tap_plan_lazy();
    test_means();
    test_hist();
    test_layer();
    return tap_done();
}
