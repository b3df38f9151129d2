/* repscope - MIT licence, see COPYING.
 *
 * t_core_grad_sparc.c: the row ops of ops_rownorm.c that fine-grained
 * alignment weights are built from: minmax_norm, threshold,
 * normalize_sum, normalize_l2.
 *
 * Forward values against references written here in double; gradients
 * against central finite differences (tap_gradcheck) on rows of distinct
 * entries, on rows with tied maxima and minima (where the even split of
 * the max's and min's gradient is what a central difference measures), on
 * a two-entry row with max = min, and through the whole chain minmax ->
 * threshold -> normalize_sum. A row of equal entries gives zeros and the
 * closed-form gradient (dy_q/eps minus the even share). Bad arguments fail
 * with a message naming the op. Rows of 37 on 11 rows take the kernels'
 * blocks (16 entries, 8 rows) and their tails: normalize_l2 there is bit
 * for bit the plain one-row loop, and every op passes the gradient check.
 */
#include "config.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "core/ops.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "tests/gradcheck.h"
#include "tests/tap.h"

#define FD_H 1e-2
#define FD_TOL 1e-2

enum which { MINMAX, THRESHOLD, NORMSUM, NORML2, CHAIN };

struct op_case {
    enum which op;
    float v;     /* eps, or the threshold */
    float sigma; /* CHAIN: the threshold */
};

static rs_tensor *
build_op(rs_graph *g, rs_tensor *const *in, void *ud)
{
    const struct op_case *c = ud;
    switch (c->op) {
    case MINMAX:
        return rs_op_minmax_norm(g, in[0], c->v);
    case THRESHOLD:
        return rs_op_threshold(g, in[0], c->v);
    case NORMSUM:
        return rs_op_normalize_sum(g, in[0], c->v);
    case NORML2:
        return rs_op_normalize_l2(g, in[0], c->v);
    case CHAIN: {
        rs_tensor *a = rs_op_minmax_norm(g, in[0], c->v);
        a = rs_op_threshold(g, a, c->sigma);
        return rs_op_normalize_sum(g, a, c->v);
    }
    }
    return NULL;
}

/* A parameter (rows, C) holding vals. */
static rs_tensor *
param_of(int ndim, const int *shape, const float *vals)
{
    rs_tensor *t = rs_tensor_new_param(ndim, shape, NULL);
    memcpy(t->data, vals, t->numel * sizeof(float));
    return t;
}

/* Rows of C distinct entries at least 0.2 apart: a shuffled ladder plus
 * jitter, so an FD step of 1e-2 never swaps a maximum or minimum. */
static rs_tensor *
ladder(struct rs_rng *rng, int ndim, const int *shape)
{
    rs_tensor *t = rs_tensor_new_param(ndim, shape, NULL);
    int C = shape[ndim - 1];
    size_t rows = t->numel / (size_t)C;
    int *perm = malloc((size_t)C * sizeof *perm);
    for (size_t r = 0; r < rows; r++) {
        for (int j = 0; j < C; j++)
            perm[j] = j;
        rs_rng_shuffle_int(rng, perm, (size_t)C);
        float off = 4.0f * rs_rng_uniform(rng) - 2.0f;
        for (int j = 0; j < C; j++)
            t->data[r * (size_t)C + (size_t)j] =
                off + 0.3f * (float)perm[j] + 0.05f * rs_rng_uniform(rng);
    }
    free(perm);
    return t;
}

/* Forward of one op on (rows, C) vals into a new array (the caller's). */
static float *
run_forward(struct op_case *c, int ndim, const int *shape, const float *vals)
{
    rs_graph *g = rs_graph_new();
    rs_tensor *x = param_of(ndim, shape, vals);
    rs_tensor *in[1] = {x};
    rs_tensor *y = build_op(g, in, c);
    float *out = NULL;
    if (y != NULL) {
        out = malloc(y->numel * sizeof(float));
        memcpy(out, y->data, y->numel * sizeof(float));
    }
    rs_graph_free(g);
    rs_tensor_release(x);
    return out;
}

static void
test_forward(void)
{
    const float x[8] = {1.0f, -2.0f, 3.0f, 0.5f, 2.0f, 2.0f, 2.0f, 2.0f};
    int shape[2] = {2, 4};
    double want[8];
    const float eps = 1e-3f;

    /* minmax: row 0 by hand, row 1 all equal -> zeros */
    for (int j = 0; j < 4; j++)
        want[j] = ((double)x[j] + 2.0) / (5.0 + (double)eps);
    struct op_case mm = {MINMAX, eps, 0};
    float *y = run_forward(&mm, 2, shape, x);
    bool ok = y != NULL;
    for (int j = 0; ok && j < 4; j++)
        ok = fabs((double)y[j] - want[j]) < 1e-6;
    for (int j = 4; ok && j < 8; j++)
        ok = y[j] == 0.0f;
    tap_ok(ok, "minmax_norm forward: (x - min) / (max - min + eps); a row "
               "of equal entries is all 0");
    free(y);

    struct op_case th = {THRESHOLD, 0.5f, 0};
    y = run_forward(&th, 2, shape, x);
    const float tw[8] = {1.0f, 0.0f, 3.0f, 0.5f, 2.0f, 2.0f, 2.0f, 2.0f};
    tap_ok(y != NULL && memcmp(y, tw, sizeof tw) == 0,
           "threshold forward: x where x >= s (s itself kept), else 0");
    free(y);

    const float p[8] = {1.0f, 2.0f, 3.0f, 4.0f, 0.0f, 0.0f, 0.0f, 0.0f};
    struct op_case ns = {NORMSUM, eps, 0};
    y = run_forward(&ns, 2, shape, p);
    ok = y != NULL;
    for (int j = 0; ok && j < 4; j++)
        ok = fabs((double)y[j] - (double)p[j] / (10.0 + (double)eps)) < 1e-6;
    for (int j = 4; ok && j < 8; j++)
        ok = y[j] == 0.0f;
    tap_ok(ok, "normalize_sum forward: x / (sum + eps); an all-zero row "
               "stays 0");
    free(y);

    struct op_case n2 = {NORML2, 1e-12f, 0};
    y = run_forward(&n2, 2, shape, x);
    double s0 = 0.0, s1 = 0.0;
    for (int j = 0; y != NULL && j < 4; j++) {
        s0 += (double)y[j] * (double)y[j];
        s1 += (double)y[4 + j] * (double)y[4 + j];
    }
    tap_ok(y != NULL && fabs(s0 - 1.0) < 1e-6 && fabs(s1 - 1.0) < 1e-6 &&
               fabs((double)y[2] - 3.0 / sqrt(14.25)) < 1e-6,
           "normalize_l2 forward: unit rows, x / |x|");
    free(y);
}

static void
test_grad(struct rs_rng *rng)
{
    static const int s2[2] = {3, 5}, s3[3] = {2, 3, 4};
    struct op_case mm = {MINMAX, 1e-3f, 0};
    rs_tensor *x = ladder(rng, 2, s2);
    tap_gradcheck("minmax_norm (3,5) distinct", 1, &x, build_op, &mm, FD_H,
                  FD_TOL);
    rs_tensor_release(x);
    x = ladder(rng, 3, s3);
    tap_gradcheck("minmax_norm (2,3,4) distinct", 1, &x, build_op, &mm, FD_H,
                  FD_TOL);
    rs_tensor_release(x);

    /* Ties: two maxima and two minima in each row. */
    const float tie[12] = {1.0f,  3.0f, 3.0f,  0.0f, 0.0f, 2.0f,
                           -1.0f, 0.5f, -1.0f, 2.5f, 2.5f, 1.0f};
    x = param_of(2, (int[]){2, 6}, tie);
    tap_gradcheck("minmax_norm (2,6) tied max and min", 1, &x, build_op, &mm,
                  FD_H, FD_TOL);
    rs_tensor_release(x);

    /* max = min on two entries: both are argmax and argmin; with eps far
     * above the FD step the central difference is smooth enough. */
    struct op_case big = {MINMAX, 4.0f, 0};
    x = param_of(2, (int[]){2, 2}, (const float[]){0.5f, 0.5f, -1.0f, -1.0f});
    tap_gradcheck("minmax_norm (2,2) max = min", 1, &x, build_op, &big, 1e-3,
                  FD_TOL);
    rs_tensor_release(x);

    struct op_case th = {THRESHOLD, 0.25f, 0};
    x = tap_param_away(rng, 2, s2, -1.0f, 1.0f, 0.25f, 0.05f);
    tap_gradcheck("threshold (3,5) s = 0.25", 1, &x, build_op, &th, FD_H,
                  FD_TOL);
    rs_tensor_release(x);

    struct op_case ns = {NORMSUM, 1e-3f, 0};
    x = tap_param(rng, 3, s3, 0.1f, 2.0f);
    tap_gradcheck("normalize_sum (2,3,4)", 1, &x, build_op, &ns, FD_H, FD_TOL);
    rs_tensor_release(x);

    struct op_case n2 = {NORML2, 1e-6f, 0};
    x = tap_param(rng, 3, s3, -2.0f, 2.0f);
    tap_gradcheck("normalize_l2 (2,3,4)", 1, &x, build_op, &n2, FD_H, FD_TOL);
    rs_tensor_release(x);

    /* The alignment chain on rows whose normalised values are 0, 0.1,
     * 0.6, 1 (scaled and shifted), far from sigma = 0.25. */
    float ch[12];
    const float lv[4] = {0.0f, 0.1f, 0.6f, 1.0f};
    for (int r = 0; r < 3; r++)
        for (int j = 0; j < 4; j++)
            ch[r * 4 + j] =
                (float)(r - 1) + (1.5f + (float)r) * lv[(j + r) % 4];
    struct op_case chain = {CHAIN, 1e-3f, 0.25f};
    x = param_of(2, (int[]){3, 4}, ch);
    tap_gradcheck("minmax -> threshold -> normalize_sum (3,4)", 1, &x, build_op,
                  &chain, FD_H, FD_TOL);
    rs_tensor_release(x);
}

/* A row of P equal entries: y = 0 and dL/dx_q = (w_q - sum w / P) / eps. */
static void
test_all_equal(void)
{
    const int P = 4;
    const float eps = 0.5f;
    rs_graph *g = rs_graph_new();
    rs_tensor *x =
        param_of(2, (int[]){1, P}, (const float[]){0.7f, 0.7f, 0.7f, 0.7f});
    rs_tensor *y = rs_op_minmax_norm(g, x, eps);
    const float w[4] = {1.0f, -2.0f, 0.5f, 3.0f};
    struct rs_error err = {0};
    int rc = rs_graph_backward_seed(g, y, w, &err);
    float want[4];
    double W = 0.0;
    for (int j = 0; j < P; j++)
        W += (double)w[j];
    for (int j = 0; j < P; j++)
        want[j] = (float)(((double)w[j] - W / P) / (double)eps);
    bool zeros = y != NULL;
    for (int j = 0; zeros && j < P; j++)
        zeros = y->data[j] == 0.0f;
    tap_ok(rc == RS_OK && zeros, "minmax_norm of equal entries: all 0");
    tap_is_floats(x->grad, want, (size_t)P, 1e-6, 1e-6,
                  "minmax_norm of equal entries: gradient (w - mean w) / eps");
    rs_graph_free(g);
    rs_tensor_release(x);
}

/* normalize_l2 on (11, 37) against the plain one-row loops in double
 * (forward y = x / sqrt(eps + sum x^2), backward dx = (dy - y A) / N with
 * A = sum dy y, each sum in order), bit for bit; then every op's
 * gradient check at that width. */
static void
test_blocks(struct rs_rng *rng)
{
    enum { R = 11, C = 37 };
    const float eps = 1e-6f;
    static const int s2[2] = {R, C};
    rs_tensor *x = tap_param(rng, 2, s2, -2.0f, 2.0f);
    float w[R * C], y[R * C], dx[R * C];
    for (int i = 0; i < R * C; i++)
        w[i] = rs_rng_uniform(rng) - 0.5f;
    for (int r = 0; r < R; r++) {
        const float *xr = x->data + r * C, *wr = w + r * C;
        double s = (double)eps, A = 0.0;
        for (int j = 0; j < C; j++)
            s += (double)xr[j] * (double)xr[j];
        double nrm = sqrt(s);
        for (int j = 0; j < C; j++)
            y[r * C + j] = (float)((double)xr[j] / nrm);
        for (int j = 0; j < C; j++)
            A += (double)wr[j] * (double)y[r * C + j];
        for (int j = 0; j < C; j++)
            dx[r * C + j] =
                (float)(((double)wr[j] - (double)y[r * C + j] * A) / nrm);
    }
    rs_graph *g = rs_graph_new();
    rs_tensor *out = rs_op_normalize_l2(g, x, eps);
    struct rs_error err = {0};
    int rc = rs_graph_backward_seed(g, out, w, &err);
    tap_ok(out != NULL && memcmp(out->data, y, sizeof y) == 0,
           "normalize_l2 (11,37) forward: bit for bit the one-row loop");
    tap_ok(rc == RS_OK && memcmp(x->grad, dx, sizeof dx) == 0,
           "normalize_l2 (11,37) backward: bit for bit the one-row loop");
    rs_graph_free(g);
    rs_tensor_release(x);

    struct op_case mm = {MINMAX, 1e-3f, 0}, th = {THRESHOLD, 0.25f, 0};
    struct op_case ns = {NORMSUM, 1e-3f, 0}, n2 = {NORML2, 1e-6f, 0};
    x = ladder(rng, 2, s2);
    tap_gradcheck("minmax_norm (11,37) distinct", 1, &x, build_op, &mm, FD_H,
                  FD_TOL);
    rs_tensor_release(x);
    x = tap_param_away(rng, 2, s2, -1.0f, 1.0f, 0.25f, 0.05f);
    tap_gradcheck("threshold (11,37) s = 0.25", 1, &x, build_op, &th, FD_H,
                  FD_TOL);
    rs_tensor_release(x);
    x = tap_param(rng, 2, s2, 0.1f, 2.0f);
    tap_gradcheck("normalize_sum (11,37)", 1, &x, build_op, &ns, FD_H, FD_TOL);
    rs_tensor_release(x);
    x = tap_param(rng, 2, s2, -2.0f, 2.0f);
    tap_gradcheck("normalize_l2 (11,37)", 1, &x, build_op, &n2, FD_H, FD_TOL);
    rs_tensor_release(x);
}

static void
test_errors(void)
{
    rs_graph *g = rs_graph_new();
    rs_tensor *x = rs_graph_tensor(g, 2, (int[]){2, 3});
    memset(x->data, 0, 6 * sizeof(float));
    tap_ok(rs_op_minmax_norm(g, x, 0.0f) == NULL &&
               tap_graph_failed_with(g, "minmax_norm", "eps 0"),
           "minmax_norm refuses eps = 0");
    rs_graph_reset(g);
    x = rs_graph_tensor(g, 2, (int[]){2, 3});
    tap_ok(rs_op_threshold(g, x, NAN) == NULL &&
               tap_graph_failed_with(g, "threshold", "nan"),
           "threshold refuses s = nan");
    rs_graph_reset(g);
    rs_tensor *s = rs_graph_tensor(g, 0, (int[]){1});
    tap_ok(rs_op_normalize_l2(g, s, 1e-6f) == NULL &&
               tap_graph_failed_with(g, "normalize_l2", "scalar"),
           "normalize_l2 refuses a scalar");
    rs_graph_free(g);
}

int
main(void)
{
    tap_plan_lazy();
    struct rs_rng rng;
    rs_rng_seed(&rng, 20240117);
    test_forward();
    test_grad(&rng);
    test_all_equal();
    test_blocks(&rng);
    test_errors();
    return tap_done();
}
