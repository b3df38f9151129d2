/* repscope - MIT licence, see COPYING.
 *
 * t_core_grad_select.c: the ops of ops_select.c (pick, clamp, minimum)
 * and the clipped surrogate built from them.
 *
 * Forward values against loops written here; gradients against central
 * finite differences (tap_gradcheck) on values away from the kinks, on
 * 37 elements (the kernels' blocks of 16 and their tails). At a tie of
 * minimum the gradient is split evenly, which is what a central
 * difference measures there; clamp passes the gradient at its bounds
 * and nothing outside them (checked in closed form). PPO's surrogate
 * min(exp(l) A, exp(clamp(l, log(1 - eps), log(1 + eps))) A) through all
 * three: the gradient check, and a zero gradient for a sample whose ratio
 * left the band in the direction its advantage pushes. NaN propagates.
 * Bad arguments fail with a message naming the op.
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
#define N 37

enum which { PICK, CLAMP, MINIMUM, SURROGATE };

struct op_case {
    enum which op;
    const int *idx;   /* PICK */
    float lo, hi;     /* CLAMP; SURROGATE: the log bounds */
    const float *adv; /* SURROGATE: (n) advantages */
};

/* SURROGATE: in[0] the log-ratios l (n) -> min(exp(l) A, exp(clamp(l)) A) */
static rs_tensor *
surrogate(rs_graph *g, rs_tensor *l, const struct op_case *c)
{
    rs_tensor *a = rs_graph_input(g, l->ndim, l->shape, c->adv);
    rs_tensor *r = rs_op_exp(g, l);
    rs_tensor *rc = rs_op_exp(g, rs_op_clamp(g, l, c->lo, c->hi));
    return rs_op_minimum(g, rs_op_mul(g, r, a), rs_op_mul(g, rc, a));
}

static rs_tensor *
build_op(rs_graph *g, rs_tensor *const *in, void *ud)
{
    const struct op_case *c = ud;
    switch (c->op) {
    case PICK:
        return rs_op_pick(g, in[0], c->idx);
    case CLAMP:
        return rs_op_clamp(g, in[0], c->lo, c->hi);
    case MINIMUM:
        return rs_op_minimum(g, in[0], in[1]);
    case SURROGATE:
        return surrogate(g, in[0], c);
    }
    return NULL;
}

/* A parameter of n values uniform in [lo, hi) at least margin away from
 * every kink k[0..nk). */
static rs_tensor *
param_away(struct rs_rng *rng, int n, float lo, float hi, const float *k,
           int nk, float margin)
{
    rs_tensor *t = rs_tensor_new_param(1, (int[]){n}, NULL);
    for (int i = 0; i < n; i++) {
        float v;
        bool near;
        do {
            v = lo + (hi - lo) * rs_rng_uniform(rng);
            near = false;
            for (int j = 0; j < nk; j++)
                near = near || fabsf(v - k[j]) < margin;
        } while (near);
        t->data[i] = v;
    }
    return t;
}

static void
test_pick(void)
{
    struct rs_rng rng;
    rs_rng_seed(&rng, 3);
    enum { ROWS = 13, C = 5 };
    int idx[ROWS];
    for (int r = 0; r < ROWS; r++)
        idx[r] = (int)rs_rng_below(&rng, C);
    rs_tensor *x = tap_param(&rng, 2, (int[]){ROWS, C}, -2.0f, 2.0f);
    struct op_case c = {.op = PICK, .idx = idx};
    rs_graph *g = rs_graph_new();
    rs_tensor *y = rs_op_pick(g, x, idx);
    float want[ROWS];
    for (int r = 0; r < ROWS; r++)
        want[r] = x->data[r * C + idx[r]];
    tap_ok(y != NULL && y->ndim == 1 && y->shape[0] == ROWS,
           "pick: (13, 5) -> (13)");
    if (y != NULL)
        tap_is_floats(y->data, want, ROWS, 0.0, 0.0, "pick: y_r = x[r, idx_r]");
    tap_gradcheck("pick (13, 5)", 1, &x, build_op, &c, FD_H, FD_TOL);

    /* (2, 3, 4) -> (2, 3); a vector -> a scalar */
    rs_tensor *x3 = tap_param(&rng, 3, (int[]){2, 3, 4}, -1.0f, 1.0f);
    int idx3[6] = {0, 3, 1, 2, 3, 0};
    c.idx = idx3;
    y = rs_op_pick(g, x3, idx3);
    tap_ok(y != NULL && y->ndim == 2 && y->shape[0] == 2 && y->shape[1] == 3 &&
               y->data[4] == x3->data[4 * 4 + 3],
           "pick: (2, 3, 4) -> (2, 3)");
    tap_gradcheck("pick (2, 3, 4)", 1, &x3, build_op, &c, FD_H, FD_TOL);
    int one = 2;
    rs_tensor *v = tap_param(&rng, 1, (int[]){4}, -1.0f, 1.0f);
    y = rs_op_pick(g, v, &one);
    tap_ok(y != NULL && y->ndim == 0 && y->numel == 1 &&
               y->data[0] == v->data[2],
           "pick: a vector gives a scalar");

    int bad[ROWS];
    memcpy(bad, idx, sizeof bad);
    bad[7] = C;
    rs_graph_reset(g);
    tap_ok(rs_op_pick(g, x, bad) == NULL &&
               tap_graph_failed_with(g, "pick", "row 7"),
           "pick: an index outside [0, C) fails naming the row");
    rs_graph_reset(g);
    tap_ok(rs_op_pick(g, x, NULL) == NULL &&
               tap_graph_failed_with(g, "pick", NULL),
           "pick: NULL idx fails");
    rs_graph_free(g);
    rs_tensor_release(x);
    rs_tensor_release(x3);
    rs_tensor_release(v);
}

static void
test_clamp(void)
{
    struct rs_rng rng;
    rs_rng_seed(&rng, 5);
    const float lo = -0.5f, hi = 0.75f, kinks[2] = {-0.5f, 0.75f};
    rs_tensor *x = param_away(&rng, N, -2.0f, 2.0f, kinks, 2, 0.05f);
    struct op_case c = {.op = CLAMP, .lo = lo, .hi = hi};
    rs_graph *g = rs_graph_new();
    rs_tensor *y = rs_op_clamp(g, x, lo, hi);
    float want[N];
    for (int i = 0; i < N; i++)
        want[i] = x->data[i] < lo ? lo : x->data[i] > hi ? hi : x->data[i];
    tap_ok(y != NULL, "clamp builds");
    if (y != NULL)
        tap_is_floats(y->data, want, N, 0.0, 0.0, "clamp: min(max(x, lo), hi)");
    tap_gradcheck("clamp (37)", 1, &x, build_op, &c, FD_H, FD_TOL);

    /* Closed form: dx = dy inside [lo, hi] (bounds included), 0 outside. */
    const float pts[6] = {-1.0f, -0.5f, 0.0f, 0.75f, 1.0f, NAN};
    rs_tensor *p = rs_tensor_new_param(1, (int[]){6}, NULL);
    memcpy(p->data, pts, sizeof pts);
    rs_graph_reset(g);
    y = rs_op_clamp(g, p, lo, hi);
    const float seed[6] = {1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f};
    int rc = rs_graph_backward_seed(g, y, seed, NULL);
    const float dwant[6] = {0.0f, 2.0f, 3.0f, 4.0f, 0.0f, 0.0f};
    tap_ok(rc == RS_OK, "clamp backward");
    tap_is_floats(p->grad, dwant, 6, 0.0, 0.0,
                  "clamp: the gradient passes at the bounds and inside only");
    tap_ok(isnan(y->data[5]), "clamp: NaN stays NaN");

    rs_graph_reset(g);
    tap_ok(rs_op_clamp(g, x, 1.0f, -1.0f) == NULL &&
               tap_graph_failed_with(g, "clamp", "lo <= hi"),
           "clamp: lo > hi fails");
    rs_graph_reset(g);
    tap_ok(rs_op_clamp(g, x, NAN, 1.0f) == NULL &&
               tap_graph_failed_with(g, "clamp", NULL),
           "clamp: a NaN bound fails");
    rs_graph_free(g);
    rs_tensor_release(x);
    rs_tensor_release(p);
}

static void
test_minimum(void)
{
    struct rs_rng rng;
    rs_rng_seed(&rng, 7);
    rs_tensor *in[2];
    in[0] = tap_param(&rng, 1, (int[]){N}, -2.0f, 2.0f);
    in[1] = tap_param(&rng, 1, (int[]){N}, -2.0f, 2.0f);
    for (int i = 0; i < N; i++) /* no pair within the FD step */
        if (fabsf(in[0]->data[i] - in[1]->data[i]) < 0.05f)
            in[1]->data[i] += 0.1f;
    struct op_case c = {.op = MINIMUM};
    rs_graph *g = rs_graph_new();
    rs_tensor *y = rs_op_minimum(g, in[0], in[1]);
    float want[N];
    for (int i = 0; i < N; i++)
        want[i] = fminf(in[0]->data[i], in[1]->data[i]);
    tap_ok(y != NULL, "minimum builds");
    if (y != NULL)
        tap_is_floats(y->data, want, N, 0.0, 0.0, "minimum: min(a, b)");
    tap_gradcheck("minimum (37)", 2, in, build_op, &c, FD_H, FD_TOL);

    /* Ties: half each, what a central difference measures. */
    for (int i = 0; i < N; i += 3)
        in[1]->data[i] = in[0]->data[i];
    tap_gradcheck("minimum with ties (37)", 2, in, build_op, &c, FD_H, FD_TOL);

    const float a[4] = {1.0f, 2.0f, 3.0f, NAN}, b[4] = {2.0f, 2.0f, 1.0f, 0.0f};
    rs_tensor *pa = rs_tensor_new_param(1, (int[]){4}, NULL);
    rs_tensor *pb = rs_tensor_new_param(1, (int[]){4}, NULL);
    memcpy(pa->data, a, sizeof a);
    memcpy(pb->data, b, sizeof b);
    rs_graph_reset(g);
    y = rs_op_minimum(g, pa, pb);
    const float seed[4] = {1.0f, 1.0f, 1.0f, 0.0f};
    int rc = rs_graph_backward_seed(g, y, seed, NULL);
    const float da[4] = {1.0f, 0.5f, 0.0f, 0.0f},
                db[4] = {0.0f, 0.5f, 1.0f, 0.0f};
    tap_ok(rc == RS_OK, "minimum backward");
    tap_is_floats(pa->grad, da, 3, 0.0, 0.0, "minimum: da (1, 1/2, 0)");
    tap_is_floats(pb->grad, db, 3, 0.0, 0.0, "minimum: db (0, 1/2, 1)");
    tap_ok(isnan(y->data[3]), "minimum: a NaN a gives NaN");
    rs_graph_reset(g);
    y = rs_op_minimum(g, pb, pa);
    tap_ok(y != NULL && isnan(y->data[3]), "minimum: a NaN b gives NaN");

    rs_tensor *short3 = rs_tensor_new_param(1, (int[]){3}, NULL);
    rs_graph_reset(g);
    tap_ok(rs_op_minimum(g, pa, short3) == NULL &&
               tap_graph_failed_with(g, "minimum", "same shape"),
           "minimum: shapes (4) and (3) fail");
    rs_graph_free(g);
    rs_tensor_release(in[0]);
    rs_tensor_release(in[1]);
    rs_tensor_release(pa);
    rs_tensor_release(pb);
    rs_tensor_release(short3);
}

/* The clipped surrogate, eps 0.2: log-ratios away from the band's ends
 * log(0.8), log(1.2) and from 0; advantages of both signs. */
static void
test_surrogate(void)
{
    struct rs_rng rng;
    rs_rng_seed(&rng, 11);
    const float lo = (float)log1p(-0.2), hi = (float)log1p(0.2);
    const float kinks[2] = {lo, hi};
    rs_tensor *l = param_away(&rng, N, -0.6f, 0.6f, kinks, 2, 0.03f);
    float adv[N];
    for (int i = 0; i < N; i++)
        adv[i] = (i % 2 ? 1.0f : -1.0f) * (0.2f + rs_rng_uniform(&rng));
    struct op_case c = {.op = SURROGATE, .lo = lo, .hi = hi, .adv = adv};
    tap_gradcheck("clipped surrogate (37)", 1, &l, build_op, &c, 1e-3, FD_TOL);

    /* Closed form per sample: the gradient is r A while the unclipped term
     * is the smaller one, 0 once the ratio left the band in the direction
     * A pushes (r > 1 + eps with A > 0, r < 1 - eps with A < 0). */
    rs_graph *g = rs_graph_new();
    rs_tensor_zero_grad(l);
    rs_tensor *y = surrogate(g, l, &c);
    float ones[N];
    for (int i = 0; i < N; i++)
        ones[i] = 1.0f;
    int rc = rs_graph_backward_seed(g, y, ones, NULL);
    float want[N];
    int zero = 0;
    for (int i = 0; i < N; i++) {
        float li = l->data[i];
        bool clipped = (adv[i] > 0.0f && li > hi) || (adv[i] < 0.0f && li < lo);
        want[i] = clipped ? 0.0f : expf(li) * adv[i];
        zero += clipped;
    }
    tap_ok(rc == RS_OK && zero > 3, "surrogate backward (%d clipped samples)",
           zero);
    tap_is_floats(l->grad, want, N, 1e-6, 1e-6,
                  "surrogate: r A inside, 0 where the clip is active");
    rs_graph_free(g);
    rs_tensor_release(l);
}

int
main(void)
{
    tap_plan_lazy();
    test_pick();
    test_clamp();
    test_minimum();
    test_surrogate();
    return tap_done();
}
