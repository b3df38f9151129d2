/* repscope - MIT licence, see COPYING.
 *
 * dataset.h: one interface over supervised datasets (a const class per
 * kind, like nn/module.h), so the supervised loop and the probes take any
 * of them: a train and a test split of examples, each a float vector of
 * input_dim features and an integer class label in [0, classes).
 * The first kind is the modular-arithmetic table (data/modular.h).
 *
 * Datasets are immutable after creation and refcounted (plain int: one
 * thread at a time owns the references; reading is safe from any thread).
 * Prefix rs_dataset_: the family name (data) and the stem (set) merge.
 */
#ifndef RS_DATA_DATASET_H
#define RS_DATA_DATASET_H

#include <stdbool.h>

#include "core/base.h"
#include "data/modular.h"

typedef struct rs_dataset rs_dataset;

/* A kind of dataset. batch writes examples idx[0..n) of a split (idx
 * NULL: 0..n-1, all in range) into x (n, input_dim) and, if y is not
 * NULL, their labels into y (n). labels (may be NULL) gives a split's
 * labels (count) without making inputs, borrowed while impl lives.
 * destroy frees impl. */
struct rs_dataset_class {
    const char *kind;
    int (*count)(const void *impl, enum rs_split split);
    void (*batch)(const void *impl, enum rs_split split, const int *idx, int n,
                  float *x, int *y);
    const int *(*labels)(const void *impl, enum rs_split split);
    void (*destroy)(void *impl);
};

/* Wrap impl (ownership taken) with its sizes as a dataset with one
 * reference. Never fails. */
rs_dataset *rs_dataset_new(const struct rs_dataset_class *cls, void *impl,
                           int input_dim, int classes);
/* The modular-arithmetic table as a dataset; NULL + err as
 * rs_data_modular_new. */
rs_dataset *rs_dataset_modular(const struct rs_data_modular_config *cfg,
                               struct rs_error *err);

void rs_dataset_retain(rs_dataset *d);
/* Drop one reference; frees at zero. NULL is a no-op. */
void rs_dataset_release(rs_dataset *d);

/* "modular", ... Static string. */
const char *rs_dataset_kind(const rs_dataset *d);
int rs_dataset_count(const rs_dataset *d, enum rs_split split);
int rs_dataset_input_dim(const rs_dataset *d);
int rs_dataset_classes(const rs_dataset *d);
/* See struct rs_dataset_class; every idx[i] must be in [0, count). */
void rs_dataset_batch(const rs_dataset *d, enum rs_split split, const int *idx,
                      int n, float *x, int *y);
/* Every label of a split into y (count): the class's labels when it has
 * them, else batches of a few examples (their inputs made and dropped). */
void rs_dataset_labels_into(const rs_dataset *d, enum rs_split split, int *y);
/* The impl given to rs_dataset_new when d is of class cls (borrowed),
 * else NULL: how a kind's own accessors reach their state. */
void *rs_dataset_impl(const rs_dataset *d, const struct rs_dataset_class *cls);
/* The wrapped table of a "modular" dataset (borrowed), else NULL. */
const rs_data_modular *rs_dataset_as_modular(const rs_dataset *d);

/* "train" / "test"; parse returns -1 if unknown. */
const char *rs_dataset_split_name(enum rs_split split);
int rs_dataset_split_parse(const char *name);

#endif /* RS_DATA_DATASET_H */
