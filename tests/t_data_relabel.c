/* repscope - MIT licence, see COPYING.
 *
 * t_data_relabel.c: the relabel dataset kind. A task switch changes
 * labels, never inputs (every float of every example identical, bit for
 * bit); exactly round(frac * N) training examples are re-drawn and no
 * other label moves; the same (seed, task) gives the same labels, another
 * task or seed others; the test split keeps its labels; a relabel of a
 * relabel reads the root (one wrapper deep) and starts from the given
 * labels; index labels; bad configs name the field. The roots are the
 * modular table and a small kind defined here without a labels method
 * and with 1000 classes, so a re-drawn label almost always differs.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataset.h"
#include "data/relabel.h"
#include "data/source.h"
#include "tests/tap.h"

/* ---- a small kind: example i of split s has inputs (i, s, 1/(i+1)) and
 * label (7 i + s) mod 1000; no labels method (the chunked path) ------- */

#define TOY_TRAIN 150
#define TOY_TEST 40
#define TOY_DIM 3
#define TOY_CLASSES 1000

static int
toy_count(const void *impl, enum rs_split split)
{
    (void)impl;
    return split == RS_SPLIT_TRAIN ? TOY_TRAIN : TOY_TEST;
}

static void
toy_batch(const void *impl, enum rs_split split, const int *idx, int n,
          float *x, int *y)
{
    (void)impl;
    for (int k = 0; k < n; k++) {
        int i = idx != NULL ? idx[k] : k;
        x[k * TOY_DIM] = (float)i;
        x[k * TOY_DIM + 1] = (float)split;
        x[k * TOY_DIM + 2] = 1.0f / (float)(i + 1);
        if (y != NULL)
            y[k] = (7 * i + (int)split) % TOY_CLASSES;
    }
}

static const struct rs_dataset_class toy_class = {
    .kind = "toy",
    .count = toy_count,
    .batch = toy_batch,
};

/* ---- helpers ----------------------------------------------------------- */

static int *
labels_of(const rs_dataset *d, enum rs_split s)
{
    int n = rs_dataset_count(d, s);
    int *y = calloc(n > 0 ? (size_t)n : 1, sizeof *y);
    rs_dataset_labels_into(d, s, y);
    return y;
}

/* Every input and label of split s through batch (idx NULL); inputs of
 * a and b compared byte for byte. */
static bool
same_inputs(const rs_dataset *a, const rs_dataset *b, enum rs_split s)
{
    int n = rs_dataset_count(a, s), w = rs_dataset_input_dim(a);
    if (n != rs_dataset_count(b, s) || w != rs_dataset_input_dim(b))
        return false;
    float *xa = calloc((size_t)n * w, sizeof *xa);
    float *xb = calloc((size_t)n * w, sizeof *xb);
    int *y = calloc((size_t)n, sizeof *y);
    rs_dataset_batch(a, s, NULL, n, xa, y);
    rs_dataset_batch(b, s, NULL, n, xb, y);
    bool same = memcmp(xa, xb, (size_t)n * w * sizeof *xa) == 0;
    free(xa);
    free(xb);
    free(y);
    return same;
}

static bool
same_ints(const int *a, const int *b, int n)
{
    return n == 0 || memcmp(a, b, (size_t)n * sizeof *a) == 0;
}

static rs_dataset *
relabel(rs_dataset *d, double frac, uint64_t seed, uint64_t task)
{
    struct rs_data_relabel_config c = {.labels = RS_DATA_RELABEL_RANDOM,
                                       .frac = frac,
                                       .seed = seed,
                                       .task = task};
    struct rs_error err = {0};
    rs_dataset *r = rs_data_relabel_new(d, &c, &err);
    if (r == NULL)
        tap_diag("relabel failed: %s", err.msg);
    return r;
}

/* chosen is ascending, in 0..N-1, and the labels that differ between old
 * and now are all in it; returns how many differ. */
static int
check_chosen(const int *chosen, int k, const int *old, const int *now, int N,
             const char *what)
{
    bool ok = true;
    for (int i = 0; i < k; i++) {
        if (chosen[i] < 0 || chosen[i] >= N ||
            (i > 0 && chosen[i] <= chosen[i - 1]))
            ok = false;
    }
    tap_ok(ok, "%s: the chosen examples are distinct, ascending, in range",
           what);
    char *in = calloc((size_t)N, 1);
    for (int i = 0; i < k; i++)
        if (chosen[i] >= 0 && chosen[i] < N)
            in[chosen[i]] = 1;
    int changed = 0, outside = 0;
    for (int i = 0; i < N; i++) {
        if (old[i] != now[i]) {
            changed++;
            outside += !in[i];
        }
    }
    free(in);
    tap_is_int(outside, 0, "%s: no label outside the chosen set moved", what);
    return changed;
}

/* ---- the cases ----------------------------------------------------------- */

/* A task switch on the modular table: inputs bit for bit, the counts. */
static void
test_modular(void)
{
    struct rs_data_modular_config mc = {
        .p = 97, .op = '+', .train_frac = 0.5f, .seed = 3};
    struct rs_error err = {0};
    rs_dataset *m = rs_dataset_modular(&mc, &err);
    int N = rs_dataset_count(m, RS_SPLIT_TRAIN);
    int *old = labels_of(m, RS_SPLIT_TRAIN);
    int *old_test = labels_of(m, RS_SPLIT_TEST);

    rs_dataset *r = relabel(m, 1.0, 1, 1);
    tap_is_str(rs_dataset_kind(r), "relabel", "kind relabel");
    tap_ok(rs_data_relabel_is(r) && !rs_data_relabel_is(m), "relabel_is");
    tap_is_int(rs_dataset_count(r, RS_SPLIT_TRAIN), N, "train count kept");
    tap_is_int(rs_dataset_count(r, RS_SPLIT_TEST),
               rs_dataset_count(m, RS_SPLIT_TEST), "test count kept");
    tap_is_int(rs_dataset_input_dim(r), rs_dataset_input_dim(m),
               "input_dim kept");
    tap_is_int(rs_dataset_classes(r), 97, "classes kept");
    tap_ok(same_inputs(m, r, RS_SPLIT_TRAIN),
           "train inputs identical bit for bit");
    tap_ok(same_inputs(m, r, RS_SPLIT_TEST),
           "test inputs identical bit for bit");
    int *now = labels_of(r, RS_SPLIT_TRAIN);
    int *now_test = labels_of(r, RS_SPLIT_TEST);
    tap_ok(same_ints(old_test, now_test, rs_dataset_count(m, RS_SPLIT_TEST)),
           "test labels unchanged");
    int k = 0;
    const int *chosen = rs_data_relabel_chosen(r, &k);
    tap_is_int(k, N, "frac 1: all %d chosen", N);
    int changed = check_chosen(chosen, k, old, now, N, "frac 1");
    /* each chosen label stays with probability 1/97 */
    tap_ok(changed > N * 9 / 10 && changed < N,
           "frac 1: %d of %d labels changed (about 96/97 expected)", changed,
           N);
    bool in_range = true;
    for (int i = 0; i < N; i++)
        in_range = in_range && now[i] >= 0 && now[i] < 97;
    tap_ok(in_range, "new labels in 0..96");

    /* labels from batch (with indices) agree with labels_into */
    int idx[3] = {N - 1, 0, 5}, y[3];
    float *x = calloc(3 * (size_t)rs_dataset_input_dim(r), sizeof *x);
    rs_dataset_batch(r, RS_SPLIT_TRAIN, idx, 3, x, y);
    tap_ok(y[0] == now[N - 1] && y[1] == now[0] && y[2] == now[5],
           "batch with indices returns the new labels");
    free(x);

    /* exactly round(frac * N), for several fractions */
    const double fracs[] = {0.0, 0.1, 0.5, 1.0 / 3.0, 0.999};
    for (size_t f = 0; f < sizeof fracs / sizeof fracs[0]; f++) {
        rs_dataset *q = relabel(m, fracs[f], 7, 2);
        int kq = 0;
        const int *cq = rs_data_relabel_chosen(q, &kq);
        tap_is_int(kq, lround(fracs[f] * N), "frac %g: round(frac * %d) chosen",
                   fracs[f], N);
        int *lq = labels_of(q, RS_SPLIT_TRAIN);
        char what[32];
        snprintf(what, sizeof what, "frac %g", fracs[f]);
        check_chosen(cq, kq, old, lq, N, what);
        free(lq);
        rs_dataset_release(q);
    }

    /* deterministic per (seed, task); another task or seed differs */
    rs_dataset *again = relabel(m, 1.0, 1, 1);
    rs_dataset *task2 = relabel(m, 1.0, 1, 2);
    rs_dataset *seed2 = relabel(m, 1.0, 2, 1);
    int *la = labels_of(again, RS_SPLIT_TRAIN);
    int *lt = labels_of(task2, RS_SPLIT_TRAIN);
    int *ls = labels_of(seed2, RS_SPLIT_TRAIN);
    tap_ok(same_ints(now, la, N), "same seed and task: same labels");
    tap_ok(!same_ints(now, lt, N), "another task: other labels");
    tap_ok(!same_ints(now, ls, N), "another seed: other labels");
    tap_ok(!same_ints(lt, ls, N), "(1, 2) and (2, 1) differ");
    rs_dataset *h1 = relabel(m, 0.1, 5, 9), *h2 = relabel(m, 0.1, 5, 9);
    rs_dataset *h3 = relabel(m, 0.1, 5, 10);
    int k1, k2, k3;
    const int *c1 = rs_data_relabel_chosen(h1, &k1);
    const int *c2 = rs_data_relabel_chosen(h2, &k2);
    const int *c3 = rs_data_relabel_chosen(h3, &k3);
    tap_ok(k1 == k2 && same_ints(c1, c2, k1), "same (seed, task): same set");
    tap_ok(k1 == k3 && !same_ints(c1, c3, k1), "another task: another set");
    rs_dataset_release(h1);
    rs_dataset_release(h2);
    rs_dataset_release(h3);
    free(la);
    free(lt);
    free(ls);
    rs_dataset_release(again);
    rs_dataset_release(task2);
    rs_dataset_release(seed2);

    /* a relabel of a relabel: the root is m; labels start from r's */
    rs_dataset *r2 = relabel(r, 0.1, 1, 2);
    tap_ok(rs_data_relabel_root(r2) == m, "relabel of a relabel reads m");
    tap_ok(rs_data_relabel_root(r) == m && rs_data_relabel_root(m) == m,
           "root of a relabel and of m");
    int k2b = 0;
    const int *c2b = rs_data_relabel_chosen(r2, &k2b);
    int *l2 = labels_of(r2, RS_SPLIT_TRAIN);
    tap_is_int(k2b, lround(0.1 * N), "task 2 re-draws 10%%");
    check_chosen(c2b, k2b, now, l2, N, "task 2 over task 1");
    rs_dataset_release(r); /* r2 holds m, not r */
    tap_ok(same_inputs(m, r2, RS_SPLIT_TRAIN),
           "task 2 inputs identical after task 1 is released");
    int *l2b = labels_of(r2, RS_SPLIT_TRAIN);
    tap_ok(same_ints(l2, l2b, N), "task 2 labels kept after release");
    free(l2b);
    free(l2);
    rs_dataset_release(r2);

    free(old);
    free(old_test);
    free(now);
    free(now_test);
    rs_dataset_release(m);
}

/* The toy kind: the chunked label path, 1000 classes. */
static void
test_toy(void)
{
    rs_dataset *t = rs_dataset_new(&toy_class, NULL, TOY_DIM, TOY_CLASSES);
    int *old = labels_of(t, RS_SPLIT_TRAIN);
    bool ok = true;
    for (int i = 0; i < TOY_TRAIN; i++)
        ok = ok && old[i] == (7 * i) % TOY_CLASSES;
    tap_ok(ok, "labels_into without a labels method (chunks of 64)");
    rs_dataset *r = relabel(t, 0.2, 4, 1);
    int k = 0;
    const int *chosen = rs_data_relabel_chosen(r, &k);
    tap_is_int(k, 30, "0.2 of 150: 30 chosen");
    int *now = labels_of(r, RS_SPLIT_TRAIN);
    int changed = check_chosen(chosen, k, old, now, TOY_TRAIN, "toy");
    tap_ok(changed >= k - 1, "1000 classes: %d of the %d chosen changed",
           changed, k);
    tap_ok(same_inputs(t, r, RS_SPLIT_TRAIN) &&
               same_inputs(t, r, RS_SPLIT_TEST),
           "toy inputs identical bit for bit");
    int *tt = labels_of(t, RS_SPLIT_TEST), *rt = labels_of(r, RS_SPLIT_TEST);
    tap_ok(same_ints(tt, rt, TOY_TEST), "toy test labels unchanged");
    free(tt);
    free(rt);
    free(now);
    free(old);
    rs_dataset_release(r);
    rs_dataset_release(t);
}

static void
test_index(void)
{
    rs_dataset *t = rs_dataset_new(&toy_class, NULL, TOY_DIM, TOY_CLASSES);
    struct rs_data_relabel_config c = {.labels = RS_DATA_RELABEL_INDEX};
    struct rs_error err = {0};
    rs_dataset *r = rs_data_relabel_new(t, &c, &err);
    tap_is_int(rs_dataset_classes(r), TOY_TRAIN,
               "index: classes = the larger count");
    bool ok = true;
    for (int s = 0; s < 2; s++) {
        int *y = labels_of(r, (enum rs_split)s);
        for (int i = 0; i < rs_dataset_count(r, (enum rs_split)s); i++)
            ok = ok && y[i] == i;
        free(y);
    }
    tap_ok(ok, "index: label i = i in both splits");
    int k = -1;
    rs_data_relabel_chosen(r, &k);
    tap_is_int(k, 0, "index: nothing re-drawn");
    tap_ok(same_inputs(t, r, RS_SPLIT_TRAIN), "index: inputs identical");
    /* a random relabel over index labels draws in 0..149 */
    rs_dataset *q = relabel(r, 1.0, 1, 1);
    tap_is_int(rs_dataset_classes(q), TOY_TRAIN, "random over index: classes");
    tap_ok(rs_data_relabel_root(q) == t, "random over index: root is t");
    rs_dataset_release(q);
    rs_dataset_release(r);
    rs_dataset_release(t);
}

static void
test_errors(void)
{
    rs_dataset *t = rs_dataset_new(&toy_class, NULL, TOY_DIM, TOY_CLASSES);
    struct rs_error err = {0};
    struct rs_data_relabel_config c = {.labels = RS_DATA_RELABEL_RANDOM,
                                       .frac = 1.5};
    tap_ok(rs_data_relabel_new(t, &c, &err) == NULL && err.code == RS_EINVAL,
           "frac 1.5 refused");
    tap_is_str(err.msg, "frac = 1.5 (must be in [0, 1])", "names frac");
    c.frac = NAN;
    err.code = 0;
    tap_ok(rs_data_relabel_new(t, &c, &err) == NULL && err.code == RS_EINVAL,
           "frac NaN refused");
    c.frac = 0.5;
    c.labels = (enum rs_data_relabel_labels)7;
    tap_ok(rs_data_relabel_new(t, &c, &err) == NULL &&
               strstr(err.msg, "labels") != NULL,
           "unknown labels mode refused, naming labels");
    rs_dataset *none = rs_dataset_new(&toy_class, NULL, TOY_DIM, 0);
    c.labels = RS_DATA_RELABEL_RANDOM;
    tap_ok(rs_data_relabel_new(none, &c, &err) == NULL &&
               strstr(err.msg, "no classes") != NULL,
           "a dataset without classes refused");
    c.frac = 0.0;
    rs_dataset *zero = rs_data_relabel_new(none, &c, &err);
    tap_ok(zero != NULL, "frac 0 of a dataset without classes is a copy");
    rs_dataset_release(zero);
    rs_dataset_release(none);
    rs_dataset_release(t);
}

/* A checkpoint refuses a learner whose data changed: the fingerprint of
 * a task whose re-drawn labels all lie past the first examples (which
 * the fingerprint reads whole) still differs from the task before. */
static void
test_fingerprint(void)
{
    rs_dataset *t = rs_dataset_new(&toy_class, NULL, TOY_DIM, TOY_CLASSES);
    rs_source *root = rs_source_dataset(t);
    rs_dataset *r = NULL;
    int first = 0;
    for (uint64_t task = 1; task < 200 && first < 16; task++) {
        rs_dataset_release(r);
        r = relabel(t, 0.02, 9, task);
        int k = 0;
        const int *chosen = rs_data_relabel_chosen(r, &k);
        first = k > 0 ? chosen[0] : 0;
    }
    rs_source *task = rs_source_dataset(r);
    rs_source *again = rs_source_dataset(r);
    tap_ok(first >= 16 &&
               rs_source_fingerprint(task) != rs_source_fingerprint(root) &&
               rs_source_fingerprint(task) == rs_source_fingerprint(again),
           "fingerprint: a task re-drawing only labels past the first 16 "
           "(from %d) differs from the one before, and is stable",
           first);
    rs_source_release(task);
    rs_source_release(again);
    rs_source_release(root);
    rs_dataset_release(r);
    rs_dataset_release(t);
}

int
main(void)
{
    tap_plan_lazy();
    test_modular();
    test_fingerprint();
    test_toy();
    test_index();
    test_errors();
    return tap_done();
}
