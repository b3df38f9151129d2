/* repscope - MIT licence, see COPYING.
 *
 * t_core_sparse.c: packed sparse rows (core/sparse.h), rs_blas_transpose,
 * and rs_op_linear on a mostly-zero input, which takes the packed path:
 *   - packing a known matrix gives the known offsets, columns and values;
 *     a dense first row, a narrow matrix and one over the density cap are
 *     refused;
 *   - the products equal double-precision references, and bitwise the
 *     documented order (bias, then the terms by column) at every width;
 *   - the transpose (and transpose-add) equals the naive loop on shapes
 *     with and without 16 x 16 blocks;
 *   - rs_op_linear on a frame-like input gives bitwise the packed product,
 *     its weight and bias gradients equal the dense formulas and pass a
 *     finite-difference check.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "core/blas.h"
#include "core/graph.h"
#include "core/ops.h"
#include "core/rng.h"
#include "core/sparse.h"
#include "core/tensor.h"
#include "tests/gradcheck.h"
#include "tests/tap.h"

/* A frame-like (rows, cols) matrix: about 1 entry in 12 set, to 1 or a
 * random value, the rest 0 (and a few -0, which count as zero). */
static float *
frame_like(struct rs_rng *rng, int rows, int cols, bool ones)
{
    float *x = rs_xcalloc((size_t)rows * (size_t)cols, sizeof *x);
    for (size_t i = 0; i < (size_t)rows * (size_t)cols; i++) {
        double u = rs_rng_uniform_double(rng);
        if (u < 1.0 / 12)
            x[i] = ones ? 1.0f : (float)(rs_rng_uniform_double(rng) * 2.0 - 1.0);
        else if (u > 0.99)
            x[i] = -0.0f;
    }
    return x;
}

static bool
pack(struct rs_sparse_rows *s, const float *x, int rows, int cols)
{
    size_t cap = rs_sparse_rows_cap(rows, cols);
    s->start = rs_xcalloc((size_t)rows + 1, sizeof(int));
    s->idx = rs_xcalloc(cap + 1, sizeof(int));
    s->val = rs_xcalloc(cap + 1, sizeof(float));
    return rs_sparse_rows_pack(s, x, rows, cols);
}

static void
unpack_free(struct rs_sparse_rows *s)
{
    free(s->start);
    free(s->idx);
    free(s->val);
}

static void
test_pack_known(void)
{
    enum { R = 3, C = 64 };
    float x[R * C] = {0};
    x[0 * C + 5] = 2.0f;
    x[0 * C + 63] = -1.0f;
    x[2 * C + 0] = 0.5f;
    x[2 * C + 17] = 3.0f;
    x[2 * C + 18] = -0.0f; /* zero */
    struct rs_sparse_rows s;
    tap_ok(pack(&s, x, R, C), "a 3 x 64 matrix with 4 nonzeros packs");
    int want_start[R + 1] = {0, 2, 2, 4};
    int want_idx[4] = {5, 63, 0, 17};
    float want_val[4] = {2.0f, -1.0f, 0.5f, 3.0f};
    tap_ok(memcmp(s.start, want_start, sizeof want_start) == 0 &&
               memcmp(s.idx, want_idx, sizeof want_idx) == 0 &&
               memcmp(s.val, want_val, sizeof want_val) == 0 &&
               s.rows == R && s.cols == C,
           "offsets, columns and values as written (-0 is zero, an empty "
           "row has an empty range)");
    unpack_free(&s);

    float nan_row[C] = {0};
    nan_row[3] = __builtin_nanf("");
    tap_ok(pack(&s, nan_row, 1, C) && s.start[1] == 1 && s.idx[0] == 3,
           "NaN counts as a nonzero");
    unpack_free(&s);

    float narrow[4 * 32] = {0};
    tap_ok(!pack(&s, narrow, 4, 32), "narrower than %d columns: refused",
           RS_SPARSE_MIN_COLS);
    unpack_free(&s);

    float dense0[2 * C];
    for (int i = 0; i < 2 * C; i++)
        dense0[i] = i < C ? 1.0f : 0.0f;
    tap_ok(!rs_sparse_rows_worth(dense0, C) && !pack(&s, dense0, 2, C),
           "a dense first row: refused before the rest is read");
    unpack_free(&s);

    /* row 0 sparse, the others dense: over the cap of rows*cols/8 */
    float over[4 * C] = {0};
    for (int i = C; i < 4 * C; i += 2)
        over[i] = 1.0f;
    tap_ok(!pack(&s, over, 4, C), "more than 1 in %d nonzero: refused",
           RS_SPARSE_DENSITY);
    unpack_free(&s);

    /* exactly at the cap: 8 nonzeros per 64-column row */
    float at[2 * C] = {0};
    for (int i = 0; i < 2 * C; i += 8)
        at[i] = 1.0f;
    tap_ok(pack(&s, at, 2, C) && s.start[2] == 16,
           "exactly 1 in %d nonzero: packed", RS_SPARSE_DENSITY);
    unpack_free(&s);
}

/* The documented order: bias, then the row's terms by ascending column,
 * in float. */
static void
linear_ordered(float *out, const float *x, const float *wt, const float *b,
               int rows, int cols, int OUT)
{
    for (int r = 0; r < rows; r++)
        for (int o = 0; o < OUT; o++) {
            float acc = b != NULL ? b[o] : 0.0f;
            for (int k = 0; k < cols; k++) {
                float v = x[(size_t)r * cols + k];
                if (v != 0.0f)
                    acc += v * wt[(size_t)k * OUT + o];
            }
            out[(size_t)r * OUT + o] = acc;
        }
}

static void
test_products(struct rs_rng *rng, int rows, int cols, int OUT)
{
    float *x = frame_like(rng, rows, cols, false);
    float *wt = rs_xmalloc((size_t)cols * OUT * sizeof *wt);
    float *b = rs_xmalloc((size_t)OUT * sizeof *b);
    float *dout = rs_xmalloc((size_t)rows * OUT * sizeof *dout);
    for (size_t i = 0; i < (size_t)cols * OUT; i++)
        wt[i] = (float)(rs_rng_uniform_double(rng) * 2.0 - 1.0);
    for (int i = 0; i < OUT; i++)
        b[i] = (float)(rs_rng_uniform_double(rng) * 2.0 - 1.0);
    for (size_t i = 0; i < (size_t)rows * OUT; i++)
        dout[i] = (float)(rs_rng_uniform_double(rng) * 2.0 - 1.0);
    struct rs_sparse_rows s;
    if (!tap_ok(pack(&s, x, rows, cols), "%d x %d frame packs", rows, cols))
        goto out;
    float *got = rs_xmalloc((size_t)rows * OUT * sizeof *got);
    float *want = rs_xmalloc((size_t)rows * OUT * sizeof *want);
    rs_sparse_rows_linear(got, &s, wt, b, OUT);
    linear_ordered(want, x, wt, b, rows, cols, OUT);
    tap_ok(memcmp(got, want, (size_t)rows * OUT * sizeof *got) == 0,
           "linear %dx%d -> %d: bitwise bias then the terms by column", rows,
           cols, OUT);
    rs_sparse_rows_linear(got, &s, wt, NULL, OUT);
    linear_ordered(want, x, wt, NULL, rows, cols, OUT);
    tap_ok(memcmp(got, want, (size_t)rows * OUT * sizeof *got) == 0,
           "linear %dx%d -> %d without bias: bitwise", rows, cols, OUT);

    /* dwt = x^T dout in double, and the kernel accumulates into dwt */
    float *dwt = rs_xmalloc((size_t)cols * OUT * sizeof *dwt);
    float *ref = rs_xmalloc((size_t)cols * OUT * sizeof *ref);
    for (size_t i = 0; i < (size_t)cols * OUT; i++)
        dwt[i] = 0.25f;
    for (int k = 0; k < cols; k++)
        for (int o = 0; o < OUT; o++) {
            double acc = 0.25;
            for (int r = 0; r < rows; r++)
                acc += (double)x[(size_t)r * cols + k] *
                       (double)dout[(size_t)r * OUT + o];
            ref[(size_t)k * OUT + o] = (float)acc;
        }
    /* in two calls, split at an output that is not a block boundary */
    int half = OUT / 2 + 1;
    rs_sparse_rows_linear_wgrad(dwt, OUT, &s, dout, OUT, half);
    rs_sparse_rows_linear_wgrad(dwt + half, OUT, &s, dout + half, OUT,
                                OUT - half);
    tap_is_floats(dwt, ref, (size_t)cols * OUT, 1e-5 * rows, 1e-5,
                  "wgrad %dx%d -> %d in two parts: dwt += x^T dout", rows, cols, OUT);
    free(got);
    free(want);
    free(dwt);
    free(ref);
out:
    unpack_free(&s);
    free(x);
    free(wt);
    free(b);
    free(dout);
}

static void
test_transpose(struct rs_rng *rng, int rows, int cols)
{
    size_t n = (size_t)rows * (size_t)cols;
    float *src = rs_xmalloc((n + 1) * sizeof *src);
    float *dst = rs_xmalloc((n + 1) * sizeof *dst);
    float *want = rs_xmalloc((n + 1) * sizeof *want);
    for (size_t i = 0; i < n; i++) {
        src[i] = (float)(rs_rng_uniform_double(rng) * 2.0 - 1.0);
        dst[i] = 1.0f + (float)i;
    }
    rs_blas_transpose(dst, src, rows, cols, true);
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            size_t d = (size_t)c * rows + r;
            want[d] = (1.0f + (float)d) + src[(size_t)r * cols + c];
        }
    tap_ok(memcmp(dst, want, n * sizeof *dst) == 0,
           "transpose-add %d x %d: bitwise the naive loop", rows, cols);
    rs_blas_transpose(dst, src, rows, cols, false);
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++)
            want[(size_t)c * rows + r] = src[(size_t)r * cols + c];
    tap_ok(memcmp(dst, want, n * sizeof *dst) == 0,
           "transpose %d x %d: bitwise the naive loop", rows, cols);
    free(src);
    free(dst);
    free(want);
}

static rs_tensor *
build_linear(rs_graph *g, rs_tensor *const *in, void *ud)
{
    (void)ud;
    return rs_op_linear(g, in[0], in[1], in[2]);
}

/* rs_op_linear on a constant frame: the forward is the packed product,
 * the backward gives dw = dy^T x and db = column sums. */
static void
test_op_linear(struct rs_rng *rng)
{
    enum { R = 40, IN = 100, OUT = 24 };
    int xs[2] = {R, IN}, ws[2] = {OUT, IN}, bs[1] = {OUT};
    float *frame = frame_like(rng, R, IN, true);
    rs_tensor *x = tap_filled(rng, 2, xs, 0.0f, 1.0f);
    memcpy(x->data, frame, sizeof(float) * R * IN);
    rs_tensor *w = tap_param(rng, 2, ws, -1.0f, 1.0f);
    rs_tensor *b = tap_param(rng, 1, bs, -1.0f, 1.0f);

    rs_graph *g = rs_graph_new();
    rs_tensor *y = rs_op_linear(g, x, w, b);
    float *wt = rs_xmalloc(sizeof(float) * IN * OUT);
    float *want = rs_xmalloc(sizeof(float) * R * OUT);
    rs_blas_transpose(wt, w->data, OUT, IN, false);
    linear_ordered(want, frame, wt, b->data, R, IN, OUT);
    tap_ok(y != NULL && memcmp(y->data, want, sizeof(float) * R * OUT) == 0,
           "linear on a frame: bitwise the packed product");

    float *seed = rs_xmalloc(sizeof(float) * R * OUT);
    for (int i = 0; i < R * OUT; i++)
        seed[i] = (float)(rs_rng_uniform_double(rng) * 2.0 - 1.0);
    struct rs_error err = {0};
    tap_is_int(rs_graph_backward_seed(g, y, seed, &err), RS_OK,
               "packed linear backward runs: %s", err.msg);
    float dw[OUT * IN], db[OUT];
    for (int o = 0; o < OUT; o++) {
        double sb = 0;
        for (int r = 0; r < R; r++)
            sb += (double)seed[r * OUT + o];
        db[o] = (float)sb;
        for (int k = 0; k < IN; k++) {
            double s = 0;
            for (int r = 0; r < R; r++)
                s += (double)seed[r * OUT + o] * (double)frame[r * IN + k];
            dw[o * IN + k] = (float)s;
        }
    }
    tap_is_floats(w->grad, dw, (size_t)OUT * IN, 1e-5 * R, 1e-5,
                  "packed linear dw = dy^T x");
    tap_is_floats(b->grad, db, (size_t)OUT, 1e-5 * R, 1e-5,
                  "packed linear dbias = column sums of dy");
    tap_ok(x->grad == NULL, "the constant input gets no gradient");
    rs_graph_free(g);

    rs_tensor *in[3] = {x, w, b};
    tap_gradcheck("packed linear: w and bias by finite differences", 3, in,
                  build_linear, NULL, 1e-2, 1e-2);
    free(frame);
    free(wt);
    free(want);
    free(seed);
    rs_tensor_release(x);
    rs_tensor_release(w);
    rs_tensor_release(b);
}

int
main(void)
{
    tap_plan_lazy();
    struct rs_rng rng;
    rs_rng_seed(&rng, 20261205);
    test_pack_known();
    test_products(&rng, 1, 64, 16);
    test_products(&rng, 37, 400, 64);
    test_products(&rng, 256, 400, 67); /* a scalar tail of 3 outputs */
    test_products(&rng, 5, 129, 5);    /* outputs below one block */
    test_transpose(&rng, 1, 1);
    test_transpose(&rng, 17, 33);
    test_transpose(&rng, 64, 400);
    test_transpose(&rng, 400, 67);
    test_op_linear(&rng);
    return tap_done();
}
