/* repscope - MIT licence, see COPYING.
 *
 * t_core_optim_replace.c: swapping an optimiser's parameters for resized
 * ones (core/optim.h, structured pruning): the selection rule on known
 * arrays (rows, columns, both, repeats, 3-d), and for every optimiser
 * kind a twin run: two identical optimisers take steps, one has its
 * parameter cut to a selection, and its next steps must equal the
 * other's at the kept entries bit for bit (every update rule is
 * elementwise once clipping is off). A parameter large enough to be split
 * over the thread pool shrinks to one piece. Then the error cases, each
 * with its message, and all-or-nothing on a failing batch.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "core/optim.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "tests/tap.h"

static rs_tensor *
param2(int rows, int cols, const char *name)
{
    int shape[2] = {rows, cols};
    rs_tensor *p = rs_tensor_new_param(2, shape, NULL);
    RS_ASSERT(p != NULL);
    p->name = name;
    return p;
}

static void
fill(rs_tensor *t, struct rs_rng *rng)
{
    for (size_t i = 0; i < t->numel; i++)
        t->data[i] = 2.0f * rs_rng_uniform(rng) - 1.0f;
}

/* ---- the selection rule -------------------------------------------------- */

static void
test_keep_copy(void)
{
    /* src (3, 4) = 10 r + c */
    float src[12];
    int shape[2] = {3, 4};
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 4; c++)
            src[r * 4 + c] = (float)(10 * r + c);
    int rows[2] = {2, 0}, cols[3] = {3, 1, 1};
    struct rs_optim_keep kr = {.dim = 0, .idx = rows, .n = 2};
    struct rs_optim_keep kc = {.dim = 1, .idx = cols, .n = 3};
    struct rs_optim_keep both[2] = {kc, kr};
    int out[2];
    float dst[12];

    tap_ok(rs_optim_keep_shape(2, shape, &kr, 1, out, NULL) == RS_OK &&
               out[0] == 2 && out[1] == 4,
           "rows {2, 0}: shape (2, 4)");
    rs_optim_keep_copy(dst, src, 2, shape, &kr, 1);
    tap_is_floats(dst, (float[]){20, 21, 22, 23, 0, 1, 2, 3}, 8, 0, 0,
                  "rows {2, 0}: values in the given order");
    tap_ok(rs_optim_keep_shape(2, shape, &kc, 1, out, NULL) == RS_OK &&
               out[0] == 3 && out[1] == 3,
           "columns {3, 1, 1}: shape (3, 3)");
    rs_optim_keep_copy(dst, src, 2, shape, &kc, 1);
    tap_is_floats(dst, (float[]){3, 1, 1, 13, 11, 11, 23, 21, 21}, 9, 0, 0,
                  "columns {3, 1, 1}: a repeated index copies twice");
    tap_ok(rs_optim_keep_shape(2, shape, both, 2, out, NULL) == RS_OK &&
               out[0] == 2 && out[1] == 3,
           "both (listed columns first): shape (2, 3)");
    rs_optim_keep_copy(dst, src, 2, shape, both, 2);
    tap_is_floats(dst, (float[]){23, 21, 21, 3, 1, 1}, 6, 0, 0,
                  "rows and columns together");
    rs_optim_keep_copy(dst, src, 2, shape, NULL, 0);
    tap_is_floats(dst, src, 12, 0, 0, "no selection copies everything");

    /* (2, 3, 2) = 100 a + 10 b + c, keep b {1} */
    float s3[12];
    int sh3[3] = {2, 3, 2};
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 3; b++)
            for (int c = 0; c < 2; c++)
                s3[(a * 3 + b) * 2 + c] = (float)(100 * a + 10 * b + c);
    struct rs_optim_keep k3 = {.dim = 1, .idx = (int[]){1}, .n = 1};
    rs_optim_keep_copy(dst, s3, 3, sh3, &k3, 1);
    tap_is_floats(dst, (float[]){10, 11, 110, 111}, 4, 0, 0,
                  "3-d, middle dim {1}");
    float v[5] = {5, 6, 7, 8, 9};
    struct rs_optim_keep k1 = {.dim = 0, .idx = (int[]){4, 0}, .n = 2};
    rs_optim_keep_copy(dst, v, 1, (int[]){5}, &k1, 1);
    tap_is_floats(dst, (float[]){9, 5}, 2, 0, 0, "1-d {4, 0}");
}

static void
expect_keep_error(int ndim, const int *shape, const struct rs_optim_keep *k,
                  int nk, const char *want, const char *what)
{
    struct rs_error err = {0};
    int out[4];
    int rc = rs_optim_keep_shape(ndim, shape, k, nk, out, &err);
    tap_ok(rc == RS_EINVAL, "%s: RS_EINVAL", what);
    tap_is_str(err.msg, want, "%s: message", what);
}

static void
test_keep_errors(void)
{
    int shape[2] = {3, 4};
    int idx[2] = {0, 1};
    expect_keep_error(2, shape, &(struct rs_optim_keep){2, idx, 2}, 1,
                      "selection 0: dim 2 out of range for a 2-d parameter",
                      "dim out of range");
    struct rs_optim_keep twice[2] = {{1, idx, 2}, {1, idx, 1}};
    expect_keep_error(2, shape, twice, 2,
                      "selections 0 and 1 both select dim 1", "dim twice");
    expect_keep_error(2, shape, &(struct rs_optim_keep){0, idx, 0}, 1,
                      "selection 0: keeps nothing (n = 0)", "n = 0");
    expect_keep_error(2, shape, &(struct rs_optim_keep){0, NULL, 2}, 1,
                      "selection 0: no index list", "idx NULL");
    expect_keep_error(2, shape, &(struct rs_optim_keep){0, (int[]){1, 3}, 2}, 1,
                      "selection 0: index 3 (entry 1) out of range 0..2 "
                      "of dim 0",
                      "index out of range");
    expect_keep_error(2, shape, &(struct rs_optim_keep){1, (int[]){-1}, 1}, 1,
                      "selection 0: index -1 (entry 0) out of range 0..3 of "
                      "dim 1",
                      "negative index");
    expect_keep_error(1, shape, twice, 2, "2 selections for a 1-d parameter",
                      "too many selections");
    expect_keep_error(2, shape, NULL, 1, "no selection list",
                      "NULL selection list");
}

/* ---- twin runs ----------------------------------------------------------- */

struct twin {
    rs_tensor *p[2]; /* (rows, cols) and a (5) bystander */
    rs_optim *o;
};

static void
twin_init(struct twin *w, const struct rs_optim_config *cfg, int rows, int cols,
          uint64_t seed)
{
    struct rs_rng rng;
    rs_rng_seed(&rng, seed);
    w->p[0] = param2(rows, cols, "w");
    int five = 5;
    w->p[1] = rs_tensor_new_param(1, &five, NULL);
    w->p[1]->name = "b";
    fill(w->p[0], &rng);
    fill(w->p[1], &rng);
    w->o = rs_optim_new(cfg, w->p, 2, NULL);
    RS_ASSERT(w->o != NULL);
    rs_optim_set_decay(w->o, 1, false);
}

static void
twin_fini(struct twin *w)
{
    rs_optim_free(w->o);
    rs_tensor_release(w->p[0]);
    rs_tensor_release(w->p[1]);
}

/* Gradients for step k: a fixed function of the (old) position, so the
 * cut twin can be given the same values at the kept entries. */
static float
grad_at(int k, size_t i)
{
    return (float)((int)((i * 7 + (size_t)k * 13) % 11) - 5) * 0.1f;
}

static void
set_grads(struct twin *w, int k)
{
    for (int j = 0; j < 2; j++)
        for (size_t i = 0; i < w->p[j]->numel; i++)
            w->p[j]->grad[i] = grad_at(k, i);
}

/* Cut-twin gradients: the full twin's at the kept entries. */
static void
set_grads_cut(struct twin *w, int k, int rows, int cols,
              const struct rs_optim_keep *keep, int nkeep)
{
    int shape[2] = {rows, cols};
    float *full =
        rs_xreallocarray(NULL, (size_t)rows * (size_t)cols, sizeof *full);
    for (size_t i = 0; i < (size_t)rows * (size_t)cols; i++)
        full[i] = grad_at(k, i);
    rs_optim_keep_copy(w->p[0]->grad, full, 2, shape, keep, nkeep);
    free(full);
    for (size_t i = 0; i < w->p[1]->numel; i++)
        w->p[1]->grad[i] = grad_at(k, i);
}

static void
twin_case(const char *name, const struct rs_optim_config *cfg, int rows,
          int cols, const struct rs_optim_keep *keep, int nkeep)
{
    struct twin a, b;
    twin_init(&a, cfg, rows, cols, 5);
    twin_init(&b, cfg, rows, cols, 5);
    for (int k = 0; k < 3; k++) {
        set_grads(&a, k);
        set_grads(&b, k);
        int rc = rs_optim_step(a.o, 0.01f, NULL, NULL);
        rc |= rs_optim_step(b.o, 0.01f, NULL, NULL);
        RS_ASSERT(rc == RS_OK);
    }
    int out[2];
    struct rs_error err = {0};
    if (rs_optim_keep_shape(2, a.p[0]->shape, keep, nkeep, out, &err) != RS_OK)
        tap_bail("%s: %s", name, err.msg);
    rs_tensor *t = param2(out[0], out[1], "w");
    rs_optim_keep_copy(t->data, b.p[0]->data, 2, b.p[0]->shape, keep, nkeep);
    int count = cfg->kind == RS_OPTIM_SGD ? (cfg->momentum > 0 ? 1 : 0) : 2;
    float *want[2] = {NULL, NULL};
    for (int s = 0; s < count; s++) {
        want[s] = rs_xreallocarray(NULL, t->numel, sizeof(float));
        rs_optim_keep_copy(want[s], rs_optim_state(b.o, 0, s), 2, b.p[0]->shape,
                           keep, nkeep);
    }
    float *bystander = rs_optim_state(b.o, 1, 0);
    rs_tensor *old = b.p[0];
    int rc = rs_optim_replace_param(b.o, 0, t, keep, nkeep, &err);
    if (!tap_ok(rc == RS_OK, "%s: replaced", name))
        tap_diag("%s", err.msg);
    tap_ok(rs_optim_param(b.o, 0) == t && rs_optim_find(b.o, t) == 0 &&
               rs_optim_find(b.o, old) == -1,
           "%s: the optimiser holds the new tensor", name);
    tap_ok(old->refs == 1 && t->refs == 2,
           "%s: old released (refs %d), new retained (refs %d)", name,
           old->refs, t->refs);
    tap_ok(rs_optim_state(b.o, 1, 0) == bystander && rs_optim_steps(b.o) == 3,
           "%s: other parameters' state and the step count stay", name);
    for (int s = 0; s < count; s++)
        tap_is_floats(rs_optim_state(b.o, 0, s), want[s], t->numel, 0, 0,
                      "%s: %s moved with the kept entries", name,
                      s == 0 ? (count == 2 ? "m" : "momentum") : "v");
    if (count == 0)
        tap_ok(rs_optim_state(b.o, 0, 0) == NULL,
               "%s: no state before or after", name);
    /* the cut twin keeps in step with the full one at the kept entries */
    b.p[0] = t;
    rs_tensor_release(old);
    for (int k = 3; k < 6; k++) {
        set_grads(&a, k);
        set_grads_cut(&b, k, rows, cols, keep, nkeep);
        rc = rs_optim_step(a.o, 0.01f, NULL, NULL);
        rc |= rs_optim_step(b.o, 0.01f, NULL, NULL);
        RS_ASSERT(rc == RS_OK);
    }
    float *exp = rs_xreallocarray(NULL, t->numel, sizeof *exp);
    rs_optim_keep_copy(exp, a.p[0]->data, 2, a.p[0]->shape, keep, nkeep);
    tap_is_floats(t->data, exp, t->numel, 0, 0,
                  "%s: 3 more steps equal the uncut run at the kept entries",
                  name);
    tap_is_floats(b.p[1]->data, a.p[1]->data, 5, 0, 0,
                  "%s: the untouched parameter steps as before", name);
    free(exp);
    free(want[0]);
    free(want[1]);
    twin_fini(&a);
    twin_fini(&b);
}

static void
test_twins(void)
{
    int rows3[2] = {2, 0}, cols2[2] = {3, 1};
    struct rs_optim_keep rows = {.dim = 0, .idx = rows3, .n = 2};
    struct rs_optim_keep both[2] = {{.dim = 0, .idx = rows3, .n = 2},
                                    {.dim = 1, .idx = cols2, .n = 2}};
    struct rs_optim_config cfg;

    rs_optim_config_default(&cfg, RS_OPTIM_ADAM);
    cfg.weight_decay = 0.1f;
    twin_case("adam rows", &cfg, 3, 4, &rows, 1);
    twin_case("adam rows+cols", &cfg, 3, 4, both, 2);
    rs_optim_config_default(&cfg, RS_OPTIM_ADAMW);
    twin_case("adamw cols", &cfg, 3, 4, &both[1], 1);
    rs_optim_config_default(&cfg, RS_OPTIM_SGD);
    cfg.momentum = 0.9f;
    cfg.dampening = 0.1f;
    twin_case("sgd momentum", &cfg, 3, 4, both, 2);
    cfg.dampening = 0.0f;
    cfg.nesterov = true;
    twin_case("sgd nesterov", &cfg, 3, 4, &rows, 1);
    rs_optim_config_default(&cfg, RS_OPTIM_SGD);
    twin_case("plain sgd", &cfg, 3, 4, &rows, 1);

    /* 40000 elements are three pieces on the pool; a quarter of the rows
     * make one piece: a stale piece list would run off the new tensor. */
    int *quarter = rs_xreallocarray(NULL, 50, sizeof *quarter);
    for (int i = 0; i < 50; i++)
        quarter[i] = 4 * i + 3;
    struct rs_optim_keep big = {.dim = 0, .idx = quarter, .n = 50};
    rs_optim_config_default(&cfg, RS_OPTIM_ADAM);
    twin_case("adam (200, 200) to (50, 200)", &cfg, 200, 200, &big, 1);
    free(quarter);
}

/* ---- errors ------------------------------------------------------------- */

static void
expect_swap_error(rs_optim *o, const struct rs_optim_swap *s, int n, int code,
                  const char *want, const char *what)
{
    struct rs_error err = {0};
    int rc = rs_optim_replace_params(o, s, n, &err);
    tap_is_int(rc, code, "%s: code", what);
    tap_is_str(err.msg, want, "%s: message", what);
}

static void
test_errors(void)
{
    rs_tensor *p[2] = {param2(3, 4, "w"), param2(2, 2, "u")};
    struct rs_optim_config cfg;
    rs_optim_config_default(&cfg, RS_OPTIM_ADAM);
    rs_optim *o = rs_optim_new(&cfg, p, 2, NULL);
    RS_ASSERT(o != NULL);
    rs_tensor *t = param2(2, 4, "t");
    rs_tensor *t2 = param2(2, 4, "t2");
    rs_tensor *plain = rs_tensor_new2(2, 4, NULL);
    struct rs_optim_keep k = {.dim = 0, .idx = (int[]){0, 2}, .n = 2};
    struct rs_optim_keep bad = {.dim = 0, .idx = (int[]){0, 9}, .n = 2};

    expect_swap_error(o, &(struct rs_optim_swap){2, t, &k, 1}, 1, RS_EINVAL,
                      "swap 0: parameter 2 out of range 0..1",
                      "slot out of range");
    expect_swap_error(o, &(struct rs_optim_swap){0, NULL, &k, 1}, 1, RS_EINVAL,
                      "swap 0: the replacement for parameter 0 (w) is not a "
                      "trainable parameter tensor",
                      "NULL tensor");
    expect_swap_error(o, &(struct rs_optim_swap){0, plain, &k, 1}, 1, RS_EINVAL,
                      "swap 0: the replacement for parameter 0 (w) is not a "
                      "trainable parameter tensor",
                      "not a parameter");
    expect_swap_error(o, &(struct rs_optim_swap){0, p[0], NULL, 0}, 1,
                      RS_EINVAL, "swap 0: parameter 0 (w) replaced by itself",
                      "itself");
    expect_swap_error(o, &(struct rs_optim_swap){0, p[1], &k, 1}, 1, RS_EINVAL,
                      "swap 0: the replacement for parameter 0 (w) is "
                      "already parameter 1",
                      "already held");
    expect_swap_error(o, &(struct rs_optim_swap){0, t, &bad, 1}, 1, RS_EINVAL,
                      "swap 0, parameter 0 (w): selection 0: index 9 (entry "
                      "1) out of range 0..2 of dim 0",
                      "bad selection");
    expect_swap_error(o, &(struct rs_optim_swap){0, t, NULL, 0}, 1, RS_ESHAPE,
                      "swap 0: the replacement for parameter 0 (w) has "
                      "shape (2, 4), the selection gives (3, 4)",
                      "wrong shape");
    struct rs_optim_swap same_slot[2] = {{0, t, &k, 1}, {0, t2, &k, 1}};
    expect_swap_error(o, same_slot, 2, RS_EINVAL,
                      "swaps 0 and 1 both replace parameter 0 (w)",
                      "slot twice");
    struct rs_optim_swap same_t[2] = {{0, t, &k, 1}, {1, t, &k, 1}};
    expect_swap_error(o, same_t, 2, RS_EINVAL,
                      "swaps 0 and 1 give the same tensor", "tensor twice");
    expect_swap_error(o, NULL, 1, RS_EINVAL, "bad swap list (n = 1)",
                      "NULL list");

    /* all or nothing: swap 0 is fine, swap 1 is not */
    struct rs_optim_keep ku = {.dim = 1, .idx = (int[]){1}, .n = 1};
    rs_tensor *u = param2(2, 1, "u'");
    struct rs_optim_swap batch[2] = {{0, t, &k, 1}, {1, u, NULL, 0}};
    struct rs_error err = {0};
    int rc = rs_optim_replace_params(o, batch, 2, &err);
    tap_ok(rc == RS_ESHAPE && rs_optim_param(o, 0) == p[0] && t->refs == 1,
           "a failing batch changes nothing (%s)", err.msg);
    batch[1].keep = &ku;
    batch[1].nkeep = 1;
    rc = rs_optim_replace_params(o, batch, 2, &err);
    tap_ok(rc == RS_OK && rs_optim_param(o, 0) == t &&
               rs_optim_param(o, 1) == u,
           "the corrected batch swaps both");
    tap_ok(rs_optim_replace_params(o, NULL, 0, &err) == RS_OK,
           "an empty batch is a no-op");

    rs_optim_free(o);
    rs_tensor_release(p[0]);
    rs_tensor_release(p[1]);
    rs_tensor_release(t);
    rs_tensor_release(t2);
    rs_tensor_release(u);
    rs_tensor_release(plain);
}

int
main(void)
{
    tap_plan_lazy();
    test_keep_copy();
    test_keep_errors();
    test_twins();
    test_errors();
    return tap_done();
}
