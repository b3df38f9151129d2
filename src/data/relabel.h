/* repscope - MIT licence, see COPYING.
 *
 * relabel.h: a dataset with the features of another and labels of its
 * own (kind "relabel"): the tasks of a plasticity run (Lyle et al. 2024,
 * "Disentangling the Causes of Plasticity Loss in Neural Networks",
 * arXiv 2402.18762), each re-drawing a fraction of the training labels
 * of one fixed set of images, and index labels for a regression target
 * looked up per example.
 *
 * A relabel holds a reference to its root, the dataset whose features
 * it reads (never a copy of them); a relabel of a relabel holds the same
 * root, so a chain of tasks is one wrapper deep whatever its length. Its
 * labels start from the given dataset's, so tasks compose: task k + 1 =
 * relabel(task k, {task = k + 1}). Immutable after creation; any thread
 * may read it (the refcount is the dataset's: one owner thread).
 */
#ifndef RS_DATA_RELABEL_H
#define RS_DATA_RELABEL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/base.h"
#include "data/dataset.h"

enum rs_data_relabel_labels {
    RS_DATA_RELABEL_RANDOM, /* re-draw a fraction of the train labels */
    RS_DATA_RELABEL_INDEX,  /* label i = i in both splits */
};

struct rs_data_relabel_config {
    enum rs_data_relabel_labels labels;
    /* RANDOM only: round(frac * N) of the N training examples are chosen
     * (a partial Fisher-Yates shuffle) and each gets a label uniform in
     * 0..classes-1, which may equal its old one. frac in [0, 1]. The
     * stream is xoshiro256** seeded with splitmix64's first output for
     * seed, xor task: deterministic per (seed, task, the labels). */
    double frac;
    uint64_t seed;
    uint64_t task;
};

/* A relabel of d (borrowed; its root is retained):
 *   RANDOM: classes d's; train labels d's with the chosen ones re-drawn;
 *           test labels d's.
 *   INDEX:  label i = i in each split; classes max(train, test count)
 *           (at least 1).
 * input_dim and counts are d's. NULL + err: RS_EINVAL naming the field
 * (frac outside [0, 1] or not finite, labels unknown, RANDOM with a
 * fraction to re-draw and d without classes). */
rs_dataset *rs_data_relabel_new(rs_dataset *d,
                                const struct rs_data_relabel_config *cfg,
                                struct rs_error *err);

/* True when d is of kind "relabel". */
bool rs_data_relabel_is(const rs_dataset *d);
/* The dataset whose features d reads: a relabel's root (never itself a
 * relabel), d itself for any other kind. Borrowed while d lives. */
rs_dataset *rs_data_relabel_root(rs_dataset *d);
/* The config as given (borrowed while d lives), NULL if d is not a
 * relabel. */
const struct rs_data_relabel_config *
rs_data_relabel_config(const rs_dataset *d);
/* The training examples whose label was re-drawn, ascending (0-based),
 * their number in *n: round(frac * N) for RANDOM, 0 for INDEX. Borrowed
 * while d lives; NULL and *n = 0 if d is not a relabel. */
const int *rs_data_relabel_chosen(const rs_dataset *d, int *n);

#endif /* RS_DATA_RELABEL_H */
