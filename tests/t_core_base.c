/* repscope - MIT licence, see COPYING.
 *
 * t_core_base.c: errors, heap tensors and views, the step arena, and the
 * graph machinery (sticky errors, no_grad, seeds, zeroing, steady state).
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "core/arena.h"
#include "core/base.h"
#include "core/graph.h"
#include "core/ops.h"
#include "core/tensor.h"
#include "tests/tap.h"

static void
test_errors(void)
{
    struct rs_error err = {0};
    int rc = rs_error_set(&err, RS_ESHAPE, "bad %d", 7);
    tap_is_int(rc, RS_ESHAPE, "rs_error_set returns the code");
    tap_is_str(err.msg, "bad 7", "rs_error_set formats the message");
    rs_error_clear(&err);
    tap_ok(err.code == RS_OK && err.msg[0] == '\0', "rs_error_clear");
    tap_is_int(rs_error_set(NULL, RS_EIO, "x"), RS_EIO, "NULL err is fine");
    tap_is_str(rs_status_str(RS_ENONFINITE), "non-finite value",
               "status names");
}

static void
test_tensor(void)
{
    struct rs_error err = {0};
    int shape[3] = {4, 3, 2};
    rs_tensor *t = rs_tensor_new(3, shape, &err);
    tap_ok(t != NULL && t->numel == 24 && t->refs == 1, "tensor_new");
    tap_ok(((uintptr_t)t->data & 63) == 0, "storage is 64-byte aligned");
    tap_is_int((long)rs_tensor_rows(t), 12, "rows = product of leading dims");
    tap_is_int(rs_tensor_cols(t), 2, "cols = last dim");
    for (size_t i = 0; i < t->numel; i++)
        t->data[i] = (float)i;
    rs_tensor *v = rs_tensor_view_rows(t, 1, 2, &err);
    tap_ok(v != NULL && v->shape[0] == 2 && v->numel == 12 &&
               v->data == t->data + 6,
           "view_rows shares storage at the right offset");
    tap_is_int(t->refs, 2, "a view retains its base");
    rs_tensor *vv = rs_tensor_view_rows(v, 1, 1, &err);
    tap_ok(vv != NULL && vv->data == t->data + 12 && vv->base == t,
           "a view of a view borrows from the base");
    rs_tensor_release(t); /* the views keep it alive */
    tap_is_float(vv->data[0], 12.0, 0, 0, "storage survives its creator");
    rs_tensor_release(vv);
    rs_tensor_release(v);

    int bad[2] = {3, 0};
    tap_ok(rs_tensor_new(2, bad, &err) == NULL && err.code == RS_EINVAL &&
               strstr(err.msg, "dimension 1 is 0") != NULL,
           "zero dimension rejected: %s", err.msg);
    tap_ok(rs_tensor_new(5, shape, &err) == NULL && err.code == RS_EINVAL,
           "5 dimensions rejected");
    rs_tensor *p = rs_tensor_new_param(2, shape, &err);
    tap_ok(p != NULL && p->grad != NULL && p->requires_grad && p->is_param,
           "param owns a grad buffer");
    char buf[32];
    tap_is_str(rs_tensor_shape_str(p, buf, sizeof buf), "(4, 3)",
               "shape_str");
    rs_tensor *q = rs_tensor_view_rows(p, 2, 3, &err);
    tap_ok(q == NULL && err.code == RS_EINVAL, "view past the end rejected");
    p->data[5] = 1.0f / 0.0f;
    tap_is_int(rs_tensor_find_nonfinite(p), 5, "find_nonfinite");
    rs_tensor_release(p);
}

static void
test_arena(void)
{
    rs_arena *a = rs_arena_new(4096);
    size_t m0 = rs_arena_mallocs(a);
    char *p1 = rs_arena_alloc(a, 10);
    char *p2 = rs_arena_alloc(a, 100);
    tap_ok(((uintptr_t)p1 & 63) == 0 && ((uintptr_t)p2 & 63) == 0,
           "arena allocations are 64-byte aligned");
    tap_ok(p2 >= p1 + 10, "allocations do not overlap");
    for (int i = 0; i < 100; i++)
        memset(rs_arena_alloc(a, 1000), i, 1000);
    size_t peak = rs_arena_peak(a);
    tap_ok(rs_arena_mallocs(a) > m0, "growing past the block allocates");
    rs_arena_reset(a);
    tap_is_int((long)rs_arena_used(a), 0, "reset empties the arena");
    size_t m1 = rs_arena_mallocs(a);
    for (int cycle = 0; cycle < 3; cycle++) {
        rs_arena_alloc(a, 10);
        rs_arena_alloc(a, 100);
        for (int i = 0; i < 100; i++)
            rs_arena_alloc(a, 1000);
        rs_arena_reset(a);
    }
    tap_is_int((long)rs_arena_mallocs(a), (long)m1,
               "steady state: the same work allocates nothing after reset");
    tap_is_int((long)rs_arena_peak(a), (long)peak, "peak tracked");
    unsigned char *z = rs_arena_calloc(a, 64);
    int zero = 1;
    for (int i = 0; i < 64; i++)
        zero &= z[i] == 0;
    tap_ok(zero, "arena_calloc zeroes");
    rs_arena_free(a);
}

/* y = sum((a + b) * a): dy/da = 2a + b, dy/db = a. */
static rs_tensor *
small_step(rs_graph *g, rs_tensor *a, rs_tensor *b)
{
    return rs_op_sum(g, rs_op_mul(g, rs_op_add(g, a, b), a));
}

static void
test_graph(void)
{
    struct rs_error err = {0};
    rs_graph *g = rs_graph_new();
    int shape[1] = {3};
    rs_tensor *a = rs_tensor_new_param(1, shape, &err);
    rs_tensor *b = rs_tensor_new_param(1, shape, &err);
    for (int i = 0; i < 3; i++) {
        a->data[i] = (float)(i + 1);
        b->data[i] = (float)(10 * (i + 1));
    }
    rs_tensor *y = small_step(g, a, b);
    if (y == NULL)
        tap_diag("graph error: %s", rs_graph_error(g)->msg);
    tap_ok(y != NULL && y->numel == 1, "scalar output");
    tap_is_float(y ? y->data[0] : 0, 11 * 1 + 22 * 2 + 33 * 3, 1e-4, 0,
                 "forward value");
    tap_is_int((long)rs_graph_nodes(g), 3, "three nodes on the tape");
    tap_ok(rs_graph_backward(g, y, &err) == RS_OK, "backward");
    float want_a[3] = {12, 24, 36}, want_b[3] = {1, 2, 3};
    tap_is_floats(a->grad, want_a, 3, 1e-5, 0, "d/da = 2a + b");
    tap_is_floats(b->grad, want_b, 3, 1e-5, 0, "d/db = a");
    /* A second backward over the same tape accumulates into params. */
    rs_graph_zero_grads(g);
    tap_ok(rs_graph_backward(g, y, &err) == RS_OK, "second backward");
    float twice_b[3] = {2, 4, 6};
    tap_is_floats(b->grad, twice_b, 3, 1e-5, 0,
                  "parameter grads accumulate across backward passes");

    /* No-grad path: nothing on the tape, output does not require grad. */
    rs_graph_reset(g);
    rs_graph_set_grad(g, false);
    y = small_step(g, a, b);
    tap_ok(y != NULL && !y->requires_grad && rs_graph_nodes(g) == 0,
           "no_grad records nothing");
    tap_ok(rs_graph_backward(g, y, &err) == RS_EINVAL,
           "backward without grad is an error: %s", err.msg);
    rs_graph_set_grad(g, true);

    /* Sticky errors: the first failure wins and NULL propagates. */
    rs_graph_reset(g);
    int s2[1] = {2};
    rs_tensor *c = rs_graph_tensor(g, 1, s2);
    rs_tensor *bad = rs_op_add(g, a, c); /* (3) + (2): no broadcast */
    rs_tensor *after = rs_op_relu(g, bad);
    tap_ok(bad == NULL && after == NULL, "NULL propagates after an error");
    tap_ok(rs_graph_error(g)->code == RS_ESHAPE, "shape error is sticky: %s",
           rs_graph_error(g)->msg);
    tap_ok(rs_graph_backward(g, after, &err) != RS_OK,
           "backward reports the sticky error");
    rs_graph_reset(g);
    tap_ok(rs_graph_error(g)->code == RS_OK, "reset clears the error");

    /* Non-scalar loss needs an explicit seed. */
    rs_tensor *v = rs_op_mul(g, a, b);
    tap_ok(rs_graph_backward(g, v, &err) == RS_EINVAL,
           "non-scalar loss rejected: %s", err.msg);
    float seed[3] = {1, 0, 0};
    rs_tensor_zero_grad(a);
    rs_tensor_zero_grad(b);
    tap_ok(rs_graph_backward_seed(g, v, seed, &err) == RS_OK,
           "seeded backward");
    float row_a[3] = {10, 0, 0};
    tap_is_floats(a->grad, row_a, 3, 1e-6, 0, "seed picks one Jacobian row");

    /* Steady state: the same step allocates nothing after the first. */
    rs_graph_reset(g);
    (void)small_step(g, a, b);
    rs_graph_reset(g);
    size_t m = rs_arena_mallocs(rs_graph_arena(g));
    for (int i = 0; i < 5; i++) {
        y = small_step(g, a, b);
        if (rs_graph_backward(g, y, &err) != RS_OK)
            break;
        rs_graph_reset(g);
    }
    tap_is_int((long)rs_arena_mallocs(rs_graph_arena(g)), (long)m,
               "repeated steps do not grow the arena");
    rs_graph_free(g);
    rs_tensor_release(a);
    rs_tensor_release(b);
}

int
main(void)
{
    test_errors();
    test_tensor();
    test_arena();
    test_graph();
    return tap_done();
}
