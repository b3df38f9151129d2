/* repscope - MIT licence, see COPYING.
 *
 * modular.h: the grokking dataset. Every pair (a, b) with a, b in [0, p)
 * (b != 0 for division) labelled (a op b) mod p, shuffled with a seed and
 * split into a train and a test set. Inputs are the concatenated one-hot
 * codes of a and b (2p floats), as in the grokking papers' MLP setting.
 * Immutable after creation; any thread may read it.
 */
#ifndef RS_DATA_MODULAR_H
#define RS_DATA_MODULAR_H

#include <stdint.h>

#include "core/base.h"

enum rs_split { RS_SPLIT_TRAIN, RS_SPLIT_TEST };

struct rs_data_modular_config {
    int p;            /* modulus, 2..1000; prime when op is '/' */
    char op;          /* '+', '-', '*' or '/' */
    float train_frac; /* (0, 1): share of all pairs used for training */
    uint64_t seed;    /* shuffle before the split */
};

typedef struct rs_data_modular rs_data_modular;

/* NULL and err filled (naming the field and value) on a bad config. */
rs_data_modular *rs_data_modular_new(const struct rs_data_modular_config *c,
                                     struct rs_error *err);
void rs_data_modular_free(rs_data_modular *m);

const struct rs_data_modular_config *
rs_data_modular_config(const rs_data_modular *m);
/* Number of examples in a split; the input width 2p; the class count p. */
int rs_data_modular_count(const rs_data_modular *m, enum rs_split split);
int rs_data_modular_input_dim(const rs_data_modular *m);
int rs_data_modular_classes(const rs_data_modular *m);
/* Operands (count x 2: a, b) and labels of a split; borrowed while m
 * lives. */
const int *rs_data_modular_pairs(const rs_data_modular *m,
                                 enum rs_split split);
const int *rs_data_modular_labels(const rs_data_modular *m,
                                  enum rs_split split);
/* One-hot inputs of examples idx[0..n) of a split into out (n, 2p), and
 * their labels into labels (n) if not NULL. idx NULL means 0..n-1. */
void rs_data_modular_batch(const rs_data_modular *m, enum rs_split split,
                           const int *idx, int n, float *out, int *labels);

#endif /* RS_DATA_MODULAR_H */
