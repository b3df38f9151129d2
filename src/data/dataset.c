/* repscope - MIT licence, see COPYING.
 *
 * dataset.c: the dataset interface (see dataset.h) and its modular
 * adapter. Immutable after creation; refcounts belong to one thread.
 */
#include "config.h"

#include "data/dataset.h"

#include <stdlib.h>
#include <string.h>

struct rs_dataset {
    const struct rs_dataset_class *cls;
    void *impl;
    int input_dim, classes;
    int refs;
};

rs_dataset *
rs_dataset_new(const struct rs_dataset_class *cls, void *impl, int input_dim,
               int classes)
{
    rs_dataset *d = rs_xcalloc(1, sizeof *d);
    d->cls = cls;
    d->impl = impl;
    d->input_dim = input_dim;
    d->classes = classes;
    d->refs = 1;
    return d;
}

void
rs_dataset_retain(rs_dataset *d)
{
    RS_ASSERT(d->refs >= 1);
    d->refs++;
}

void
rs_dataset_release(rs_dataset *d)
{
    if (d == NULL)
        return;
    RS_ASSERT(d->refs >= 1);
    if (--d->refs > 0)
        return;
    if (d->cls->destroy != NULL)
        d->cls->destroy(d->impl);
    free(d);
}

const char *
rs_dataset_kind(const rs_dataset *d)
{
    return d->cls->kind;
}

int
rs_dataset_count(const rs_dataset *d, enum rs_split split)
{
    return d->cls->count(d->impl, split);
}

int
rs_dataset_input_dim(const rs_dataset *d)
{
    return d->input_dim;
}

int
rs_dataset_classes(const rs_dataset *d)
{
    return d->classes;
}

void
rs_dataset_batch(const rs_dataset *d, enum rs_split split, const int *idx,
                 int n, float *x, int *y)
{
    d->cls->batch(d->impl, split, idx, n, x, y);
}

void
rs_dataset_labels_into(const rs_dataset *d, enum rs_split split, int *y)
{
    int n = d->cls->count(d->impl, split);
    if (n == 0)
        return;
    if (d->cls->labels != NULL) {
        memcpy(y, d->cls->labels(d->impl, split), (size_t)n * sizeof *y);
        return;
    }
    /* 64 examples at a time: the inputs are made and dropped */
    enum { CHUNK = 64 };
    int idx[CHUNK];
    size_t width = d->input_dim > 0 ? (size_t)d->input_dim : 1;
    float *x = rs_xreallocarray(NULL, CHUNK * width, sizeof *x);
    for (int first = 0; first < n; first += CHUNK) {
        int m = n - first < CHUNK ? n - first : CHUNK;
        for (int i = 0; i < m; i++)
            idx[i] = first + i;
        d->cls->batch(d->impl, split, idx, m, x, y + first);
    }
    free(x);
}

void *
rs_dataset_impl(const rs_dataset *d, const struct rs_dataset_class *cls)
{
    return d->cls == cls ? d->impl : NULL;
}

const char *
rs_dataset_split_name(enum rs_split split)
{
    return split == RS_SPLIT_TRAIN ? "train" : "test";
}

int
rs_dataset_split_parse(const char *name)
{
    if (strcmp(name, "train") == 0)
        return RS_SPLIT_TRAIN;
    if (strcmp(name, "test") == 0)
        return RS_SPLIT_TEST;
    return -1;
}

/* ---- modular ----------------------------------------------------------- */

static int
modular_count(const void *impl, enum rs_split split)
{
    return rs_data_modular_count(impl, split);
}

static void
modular_batch(const void *impl, enum rs_split split, const int *idx, int n,
              float *x, int *y)
{
    rs_data_modular_batch(impl, split, idx, n, x, y);
}

static const int *
modular_labels(const void *impl, enum rs_split split)
{
    return rs_data_modular_labels(impl, split);
}

static void
modular_destroy(void *impl)
{
    rs_data_modular_free(impl);
}

static const struct rs_dataset_class modular_class = {
    .kind = "modular",
    .count = modular_count,
    .batch = modular_batch,
    .labels = modular_labels,
    .destroy = modular_destroy,
};

rs_dataset *
rs_dataset_modular(const struct rs_data_modular_config *cfg,
                   struct rs_error *err)
{
    rs_data_modular *m = rs_data_modular_new(cfg, err);
    if (m == NULL)
        return NULL;
    return rs_dataset_new(&modular_class, m, rs_data_modular_input_dim(m),
                          rs_data_modular_classes(m));
}

const rs_data_modular *
rs_dataset_as_modular(const rs_dataset *d)
{
    return d->cls == &modular_class ? d->impl : NULL;
}
