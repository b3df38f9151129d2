/* repscope - MIT licence, see COPYING.
 *
 * t_core_grad_mqa.c: RecurrentGemma's half RoPE (rs_op_rope_half,
 * ops_rope.c) and its decoding kernel rs_rope_half_row: forward values
 * against the rotate-half formula in double, gradients against central
 * finite differences (tap_gradcheck), the row kernel bitwise the op's
 * rows, absolute positions through pos0, and the error paths.
 */
#include "config.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
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

static struct rs_rng rng;

static bool
shape3_is(const rs_tensor *t, int d0, int d1, int d2)
{
    return t != NULL && t->ndim == 3 && t->shape[0] == d0 &&
           t->shape[1] == d1 && t->shape[2] == d2;
}

/* ---- rope_half --------------------------------------------------------- */

/* Reference in double: in each head, pair (i, i + r/2), i < r/2, at row t
 * rotated by (pos0 + t) base^(-2i/r); dims r .. hd copied. */
static void
ref_rope_half(float *y, const float *x, int B, int T, int H, int hd, int r,
              double base, int pos0)
{
    int P = r / 2;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
            for (int h = 0; h < H; h++) {
                size_t o = (((size_t)b * T + t) * H + h) * hd;
                for (int d = 0; d < hd; d++)
                    y[o + d] = x[o + d];
                for (int i = 0; i < P; i++) {
                    double a = (double)(pos0 + t) * pow(base, -2.0 * i / r);
                    double x0 = x[o + i], x1 = x[o + i + P];
                    y[o + i] = (float)(x0 * cos(a) - x1 * sin(a));
                    y[o + i + P] = (float)(x1 * cos(a) + x0 * sin(a));
                }
            }
}

struct rope_case {
    int B, T, H, hd, r;
    float base;
    int pos0;
};

static rs_tensor *
build_rope_half(rs_graph *g, rs_tensor *const *in, void *ud)
{
    const struct rope_case *c = ud;
    return rs_op_rope_half(g, in[0], c->H, c->r, c->base, c->pos0);
}

static void
check_rope_half(const struct rope_case *c, bool grad)
{
    int shape[3] = {c->B, c->T, c->H * c->hd};
    rs_tensor *x = tap_param(&rng, 3, shape, -1, 1);
    char name[128];
    snprintf(name, sizeof name, "rope_half B=%d T=%d H=%d hd=%d r=%d base=%g "
             "pos0=%d", c->B, c->T, c->H, c->hd, c->r, (double)c->base,
             c->pos0);
    rs_graph *g = rs_graph_new();
    rs_tensor *y = rs_op_rope_half(g, x, c->H, c->r, c->base, c->pos0);
    tap_ok(shape3_is(y, c->B, c->T, c->H * c->hd), "%s: output shape", name);
    if (y != NULL) {
        float *ref = malloc(x->numel * sizeof *ref);
        ref_rope_half(ref, x->data, c->B, c->T, c->H, c->hd, c->r, c->base,
                      c->pos0);
        tap_is_floats(y->data, ref, x->numel, 1e-5, 1e-4,
                      "%s: forward against the formula", name);
        free(ref);
        /* The row kernel gives the same bits at position pos0 + t, in
         * place too. */
        size_t C = (size_t)c->H * c->hd;
        float *row = malloc(C * sizeof *row);
        size_t bad = 0;
        for (int b = 0; b < c->B; b++)
            for (int t = 0; t < c->T; t++) {
                size_t o = ((size_t)b * c->T + t) * C;
                rs_rope_half_row(row, x->data + o, c->H, c->hd, c->r, c->base,
                                 c->pos0 + t);
                bad += memcmp(row, y->data + o, C * sizeof *row) != 0;
                memcpy(row, x->data + o, C * sizeof *row);
                rs_rope_half_row(row, row, c->H, c->hd, c->r, c->base,
                                 c->pos0 + t);
                bad += memcmp(row, y->data + o, C * sizeof *row) != 0;
            }
        tap_ok(bad == 0, "%s: rs_rope_half_row bitwise the op's rows, in "
               "place too (%zu bad)", name, bad);
        free(row);
    } else {
        tap_diag("  %s", rs_graph_error(g)->msg);
    }
    if (grad) {
        rs_tensor *in[1] = {x};
        struct rope_case cc = *c;
        tap_gradcheck(name, 1, in, build_rope_half, &cc, FD_H, FD_TOL);
    }
    rs_graph_free(g);
    rs_tensor_release(x);
}

static void
test_rope_half(void)
{
    /* By hand: one head, hd = 4, r = 2 (pair (0, 1), frequency 1): row t
     * rotated by pos0 + t radians, dims 2 and 3 untouched. */
    int shape[3] = {1, 3, 4};
    rs_tensor *x = tap_filled(&rng, 3, shape, -1, 1);
    rs_graph *g = rs_graph_new();
    rs_tensor *y = rs_op_rope_half(g, x, 1, 2, 10000.0f, 5);
    float want[12];
    for (int t = 0; t < 3; t++) {
        const float *xr = x->data + 4 * t;
        double c = cos(5.0 + t), s = sin(5.0 + t);
        want[4 * t] = (float)((double)xr[0] * c - (double)xr[1] * s);
        want[4 * t + 1] = (float)((double)xr[1] * c + (double)xr[0] * s);
        want[4 * t + 2] = xr[2];
        want[4 * t + 3] = xr[3];
    }
    tap_ok(y != NULL, "rope_half by hand: built");
    if (y != NULL)
        tap_is_floats(y->data, want, 12, 1e-6, 1e-5,
                      "rope_half hd=4 r=2 pos0=5: row t rotated by 5 + t "
                      "radians by hand");
    rs_graph_free(g);
    rs_tensor_release(x);

    static const struct rope_case grads[] = {
        {2, 5, 3, 8, 4, 10000.0f, 0},   /* RecurrentGemma: r = hd / 2 */
        {1, 4, 1, 8, 4, 10000.0f, 37},  /* one (key) head, offset */
        {2, 3, 2, 6, 6, 10.0f, 2},      /* all dims rotate */
        {1, 6, 4, 16, 2, 100.0f, 0},    /* one pair */
    };
    for (size_t i = 0; i < RS_ARRAY_LEN(grads); i++)
        check_rope_half(&grads[i], true);
    static const struct rope_case fwd = {1, 300, 2, 32, 16, 10000.0f, 8000};
    check_rope_half(&fwd, false);

    /* Absolute positions: rows pos0 .. of a sequence from position 0 are
     * bitwise the same sequence's tail given pos0. */
    int s2[3] = {2, 20, 16};
    rs_tensor *a = tap_filled(&rng, 3, s2, -1, 1);
    int s3[3] = {2, 8, 16};
    rs_tensor *tail = rs_tensor_new(3, s3, NULL);
    for (int b = 0; b < 2; b++)
        memcpy(tail->data + (size_t)b * 8 * 16,
               a->data + ((size_t)b * 20 + 12) * 16, 8 * 16 * sizeof(float));
    g = rs_graph_new();
    rs_tensor *ya = rs_op_rope_half(g, a, 2, 4, 10000.0f, 0);
    rs_tensor *yt = rs_op_rope_half(g, tail, 2, 4, 10000.0f, 12);
    bool same = ya != NULL && yt != NULL;
    for (int b = 0; same && b < 2; b++)
        same = memcmp(yt->data + (size_t)b * 8 * 16,
                      ya->data + ((size_t)b * 20 + 12) * 16,
                      8 * 16 * sizeof(float)) == 0;
    tap_ok(same, "rope_half: pos0 = 12 gives bitwise rows 12.. of pos0 = 0");
    rs_tensor_release(tail);

    /* Errors. */
    rs_graph_reset(g);
    tap_ok(rs_op_rope_half(g, a, 3, 4, 10000.0f, 0) == NULL &&
               tap_graph_failed_with(g, "heads 3", "16"),
           "rope_half rejects heads that do not divide the columns");
    rs_graph_reset(g);
    tap_ok(rs_op_rope_half(g, a, 2, 3, 10000.0f, 0) == NULL &&
               tap_graph_failed_with(g, "rot_dims 3", "head size 8"),
           "rope_half rejects an odd rot_dims");
    rs_graph_reset(g);
    tap_ok(rs_op_rope_half(g, a, 2, 10, 10000.0f, 0) == NULL &&
               tap_graph_failed_with(g, "rot_dims 10", NULL),
           "rope_half rejects rot_dims above the head size");
    rs_graph_reset(g);
    tap_ok(rs_op_rope_half(g, a, 2, 0, 10000.0f, 0) == NULL &&
               tap_graph_failed_with(g, "rot_dims 0", NULL),
           "rope_half rejects rot_dims 0");
    rs_graph_reset(g);
    tap_ok(rs_op_rope_half(g, a, 2, 4, 1.0f, 0) == NULL &&
               tap_graph_failed_with(g, "base 1", NULL),
           "rope_half rejects base 1");
    rs_graph_reset(g);
    tap_ok(rs_op_rope_half(g, a, 2, 4, 10000.0f, -1) == NULL &&
               tap_graph_failed_with(g, "pos0 -1", NULL),
           "rope_half rejects a negative pos0");
    rs_graph_reset(g);
    tap_ok(rs_op_rope_half(g, NULL, 2, 4, 10000.0f, 0) == NULL,
           "rope_half of NULL is NULL");
    rs_graph_free(g);
    rs_tensor_release(a);
}

int
main(void)
{
    tap_plan_lazy();
    rs_rng_seed(&rng, 20240229);
    test_rope_half();
    return tap_done();
}
