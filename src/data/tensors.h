/* repscope - MIT licence, see COPYING.
 *
 * tensors.h: a dataset of examples the caller gives (kind "tensors"):
 * feature rows and class labels copied at creation, for data a scene
 * makes itself -- the (state, expert action) pairs of a behavioural
 * cloning run, a hand-made toy set. Immutable after creation; any thread
 * may read it.
 */
#ifndef RS_DATA_TENSORS_H
#define RS_DATA_TENSORS_H

#include "core/base.h"
#include "data/dataset.h"

/* Examples at most per split (a typo guard). */
#define RS_DATA_TENSORS_MAX (1 << 24)

/* One split: n rows of dim features and n labels. */
struct rs_data_tensors_split {
    const float *x; /* (n, dim), finite */
    const int *y;   /* (n), each in [0, classes) */
    int n;          /* train: 1..RS_DATA_TENSORS_MAX; test: 0.. */
};

/* A dataset of train and test (copied) with dim features and classes
 * classes (>= 1). NULL + err (RS_EINVAL naming the split, the example
 * and the value) on a bad size, a non-finite feature or a label out of
 * range. */
rs_dataset *rs_data_tensors_new(const struct rs_data_tensors_split *train,
                                const struct rs_data_tensors_split *test,
                                int dim, int classes, struct rs_error *err);

#endif /* RS_DATA_TENSORS_H */
