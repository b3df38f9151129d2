/* repscope - MIT licence, see COPYING.
 *
 * tensors.c: the "tensors" dataset (tensors.h): two splits of copied rows
 * and labels, read back by index.
 */
#include "config.h"

#include "data/tensors.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct tensors {
    int dim;
    int n[2];
    float *x[2]; /* (n[s], dim) */
    int *y[2];   /* (n[s]) */
};

static int
tensors_count(const void *impl, enum rs_split split)
{
    const struct tensors *t = impl;
    return t->n[split];
}

static void
tensors_batch(const void *impl, enum rs_split split, const int *idx, int n,
              float *x, int *y)
{
    const struct tensors *t = impl;
    size_t row = (size_t)t->dim;
    for (int i = 0; i < n; i++) {
        int k = idx != NULL ? idx[i] : i;
        memcpy(x + (size_t)i * row, t->x[split] + (size_t)k * row,
               row * sizeof *x);
        if (y != NULL)
            y[i] = t->y[split][k];
    }
}

static const int *
tensors_labels(const void *impl, enum rs_split split)
{
    const struct tensors *t = impl;
    return t->y[split];
}

static void
tensors_destroy(void *impl)
{
    struct tensors *t = impl;
    for (int s = 0; s < 2; s++) {
        free(t->x[s]);
        free(t->y[s]);
    }
    free(t);
}

static const struct rs_dataset_class tensors_class = {
    .kind = "tensors",
    .count = tensors_count,
    .batch = tensors_batch,
    .labels = tensors_labels,
    .destroy = tensors_destroy,
};

static int
check_split(const char *name, const struct rs_data_tensors_split *s, int lo,
            int dim, int classes, struct rs_error *err)
{
    if (s->n < lo || s->n > RS_DATA_TENSORS_MAX)
        return rs_error_set(err, RS_EINVAL,
                            "tensors: the %s split has %d examples (must be "
                            "in %d..%d)",
                            name, s->n, lo, RS_DATA_TENSORS_MAX);
    if (s->n > 0 && (s->x == NULL || s->y == NULL))
        return rs_error_set(err, RS_EINVAL, "tensors: the %s split has no %s",
                            name, s->x == NULL ? "features" : "labels");
    for (int i = 0; i < s->n; i++) {
        if (s->y[i] < 0 || s->y[i] >= classes)
            return rs_error_set(err, RS_EINVAL,
                                "tensors: %s label %d is %d (must be in "
                                "0..%d)",
                                name, i + 1, s->y[i], classes - 1);
        for (int j = 0; j < dim; j++)
            if (!isfinite(s->x[(size_t)i * (size_t)dim + (size_t)j]))
                return rs_error_set(err, RS_EINVAL,
                                    "tensors: %s example %d has a "
                                    "non-finite feature %d",
                                    name, i + 1, j + 1);
    }
    return RS_OK;
}

rs_dataset *
rs_data_tensors_new(const struct rs_data_tensors_split *train,
                    const struct rs_data_tensors_split *test, int dim,
                    int classes, struct rs_error *err)
{
    static const struct rs_data_tensors_split none = {0};
    if (test == NULL)
        test = &none;
    if (dim < 1 || classes < 1) {
        rs_error_set(err, RS_EINVAL,
                     "tensors: %s = %d (must be >= 1)",
                     dim < 1 ? "features" : "classes", dim < 1 ? dim : classes);
        return NULL;
    }
    if (check_split("train", train, 1, dim, classes, err) != RS_OK ||
        check_split("test", test, 0, dim, classes, err) != RS_OK)
        return NULL;
    struct tensors *t = rs_xcalloc(1, sizeof *t);
    t->dim = dim;
    const struct rs_data_tensors_split *sp[2] = {train, test};
    for (int s = 0; s < 2; s++) {
        size_t n = (size_t)sp[s]->n;
        t->n[s] = sp[s]->n;
        t->x[s] = rs_xcalloc(n * (size_t)dim + 1, sizeof(float));
        t->y[s] = rs_xcalloc(n + 1, sizeof(int));
        if (n > 0) {
            memcpy(t->x[s], sp[s]->x, n * (size_t)dim * sizeof(float));
            memcpy(t->y[s], sp[s]->y, n * sizeof(int));
        }
    }
    return rs_dataset_new(&tensors_class, t, dim, classes);
}
