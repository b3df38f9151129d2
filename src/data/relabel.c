/* repscope - MIT licence, see COPYING.
 *
 * relabel.c: the "relabel" dataset kind (see relabel.h). The impl owns
 * its two label arrays and the sorted list of re-drawn examples, and
 * holds one reference to the root; a batch is the root's batch for the
 * inputs (labels not asked for) plus a lookup in the own labels.
 * Immutable after creation; any thread may read it.
 */
#include "config.h"

#include "data/relabel.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"

struct relabel {
    rs_dataset *root; /* retained; never a relabel */
    struct rs_data_relabel_config cfg;
    int n[2];       /* examples per split (the root's) */
    int *labels[2]; /* (n[s]) */
    int *chosen;    /* (nchosen) ascending train indices */
    int nchosen;
};

static const struct rs_dataset_class relabel_class;

static int
relabel_count(const void *impl, enum rs_split split)
{
    const struct relabel *r = impl;
    return r->n[split];
}

static void
relabel_batch(const void *impl, enum rs_split split, const int *idx, int n,
              float *x, int *y)
{
    const struct relabel *r = impl;
    rs_dataset_batch(r->root, split, idx, n, x, NULL);
    if (y == NULL)
        return;
    const int *lb = r->labels[split];
    for (int i = 0; i < n; i++)
        y[i] = lb[idx != NULL ? idx[i] : i];
}

static const int *
relabel_labels(const void *impl, enum rs_split split)
{
    const struct relabel *r = impl;
    return r->labels[split];
}

static void
relabel_destroy(void *impl)
{
    struct relabel *r = impl;
    rs_dataset_release(r->root);
    free(r->labels[0]);
    free(r->labels[1]);
    free(r->chosen);
    free(r);
}

static const struct rs_dataset_class relabel_class = {
    .kind = "relabel",
    .count = relabel_count,
    .batch = relabel_batch,
    .labels = relabel_labels,
    .destroy = relabel_destroy,
};

static int
cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* A new int array of n (>= 0) elements; one element when n is 0, since
 * a request of size 0 is a bug. */
static int *
new_ints(int n)
{
    return rs_xcalloc(n > 0 ? (size_t)n : 1, sizeof(int));
}

/* Choose round(frac * N) training examples and re-draw their labels in
 * 0..classes-1: a partial Fisher-Yates shuffle of 0..N-1 (its first k
 * entries are the chosen ones, drawn in that order), then one label per
 * chosen example in the shuffle's order. */
static void
redraw(struct relabel *r, int classes)
{
    int N = r->n[RS_SPLIT_TRAIN];
    int k = (int)lround(r->cfg.frac * N);
    struct rs_rng rng, base;
    rs_rng_seed(&base, r->cfg.seed);
    rs_rng_seed(&rng, rs_rng_next(&base) ^ r->cfg.task);
    int *perm = new_ints(N);
    for (int i = 0; i < N; i++)
        perm[i] = i;
    for (int i = 0; i < k; i++) {
        int j = i + (int)rs_rng_below(&rng, (uint32_t)(N - i));
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    int *lb = r->labels[RS_SPLIT_TRAIN];
    for (int i = 0; i < k; i++)
        lb[perm[i]] = (int)rs_rng_below(&rng, (uint32_t)classes);
    /* the chosen ones are perm's first k entries: keep those, sorted */
    r->chosen = rs_xreallocarray(perm, k > 0 ? (size_t)k : 1, sizeof *perm);
    r->nchosen = k;
    qsort(r->chosen, (size_t)k, sizeof *r->chosen, cmp_int);
}

rs_dataset *
rs_data_relabel_new(rs_dataset *d, const struct rs_data_relabel_config *cfg,
                    struct rs_error *err)
{
    bool index = cfg->labels == RS_DATA_RELABEL_INDEX;
    if (cfg->labels != RS_DATA_RELABEL_RANDOM && !index) {
        rs_error_set(err, RS_EINVAL, "labels = %d (must be random or index)",
                     (int)cfg->labels);
        return NULL;
    }
    if (!index && !(cfg->frac >= 0.0 && cfg->frac <= 1.0)) {
        rs_error_set(err, RS_EINVAL, "frac = %g (must be in [0, 1])",
                     cfg->frac);
        return NULL;
    }
    int classes = rs_dataset_classes(d);
    int N = rs_dataset_count(d, RS_SPLIT_TRAIN);
    if (!index && classes < 1 && lround(cfg->frac * N) > 0) {
        rs_error_set(err, RS_EINVAL,
                     "frac = %g: the dataset has no classes to draw from",
                     cfg->frac);
        return NULL;
    }
    struct relabel *r = rs_xcalloc(1, sizeof *r);
    r->root = rs_data_relabel_root(d);
    rs_dataset_retain(r->root);
    r->cfg = *cfg;
    for (int s = 0; s < 2; s++) {
        r->n[s] = rs_dataset_count(d, (enum rs_split)s);
        r->labels[s] = new_ints(r->n[s]);
        if (index) {
            for (int i = 0; i < r->n[s]; i++)
                r->labels[s][i] = i;
        } else {
            rs_dataset_labels_into(d, (enum rs_split)s, r->labels[s]);
        }
    }
    if (index) {
        r->chosen = new_ints(0);
        int most = r->n[0] > r->n[1] ? r->n[0] : r->n[1];
        classes = most > 0 ? most : 1;
    } else {
        redraw(r, classes);
    }
    return rs_dataset_new(&relabel_class, r, rs_dataset_input_dim(d), classes);
}

bool
rs_data_relabel_is(const rs_dataset *d)
{
    return rs_dataset_impl(d, &relabel_class) != NULL;
}

rs_dataset *
rs_data_relabel_root(rs_dataset *d)
{
    const struct relabel *r = rs_dataset_impl(d, &relabel_class);
    return r != NULL ? r->root : d;
}

const struct rs_data_relabel_config *
rs_data_relabel_config(const rs_dataset *d)
{
    const struct relabel *r = rs_dataset_impl(d, &relabel_class);
    return r != NULL ? &r->cfg : NULL;
}

const int *
rs_data_relabel_chosen(const rs_dataset *d, int *n)
{
    const struct relabel *r = rs_dataset_impl(d, &relabel_class);
    *n = r != NULL ? r->nchosen : 0;
    return r != NULL ? r->chosen : NULL;
}
