/* repscope - MIT licence, see COPYING.
 *
 * fmnist.h: Fashion-MNIST (Xiao, Rasul, Vollgraf 2017) as a supervised
 * dataset: 28x28 grey images of 10 kinds of clothing, 60000 for training
 * and 10000 for testing, read from the four IDX files (data/idx.h) that
 * Debian's dataset-fashion-mnist installs (gzip or plain):
 *   train-images-idx3-ubyte[.gz]  train-labels-idx1-ubyte[.gz]
 *   t10k-images-idx3-ubyte[.gz]   t10k-labels-idx1-ubyte[.gz]
 *
 * A split keeps the chosen examples' raw bytes; inputs are made per batch:
 * optionally 2x2 average pooling to 14x14, then pixels / 255, optionally
 * standardised with the training subset's mean and standard deviation.
 * Labels are 0..9 (rs_data_fmnist_class_name). Immutable after creation;
 * any thread may read it.
 */
#ifndef RS_DATA_FMNIST_H
#define RS_DATA_FMNIST_H

#include <stdint.h>

#include "core/base.h"
#include "data/dataset.h"

#define RS_DATA_FMNIST_DIR "/usr/share/datasets/fashion-mnist"
#define RS_DATA_FMNIST_ENV "REPSCOPE_DATA"
#define RS_DATA_FMNIST_CLASSES 10
#define RS_DATA_FMNIST_SIDE 28

/* Which examples a split keeps when it is smaller than the file. */
enum rs_data_fmnist_subset {
    RS_DATA_FMNIST_SUBSET_FIRST,  /* the first n, as the papers do */
    RS_DATA_FMNIST_SUBSET_RANDOM, /* n drawn without replacement with seed,
                                     kept in file order */
};

enum rs_data_fmnist_norm {
    RS_DATA_FMNIST_NORM_UNIT,     /* pixel / 255, in [0, 1] */
    RS_DATA_FMNIST_NORM_STANDARD, /* (pixel / 255 - mean) / std, one mean
                                     and std over the training subset's
                                     (pooled) pixels, used for both splits */
};

struct rs_data_fmnist_config {
    /* The directory of the four files. NULL or "": $REPSCOPE_DATA (its
     * fashion-mnist/ subdirectory if that exists, else itself), else
     * RS_DATA_FMNIST_DIR. */
    const char *dir;
    int train_n;    /* 0: all 60000; else 1..60000 */
    int test_n;     /* 0: all 10000; else 1..10000 */
    int downsample; /* 1: 784 inputs; 2: 2x2 mean to 14x14, 196 inputs */
    enum rs_data_fmnist_subset subset;
    enum rs_data_fmnist_norm norm;
    uint64_t seed; /* the random subset (test split uses a derived stream) */
};

typedef struct rs_data_fmnist rs_data_fmnist;

/* Read and check the four files, keep the chosen examples. NULL with err
 * filled on a bad config (RS_EINVAL, naming the field), missing files
 * (RS_EIO: "Fashion-MNIST not found in DIR (Debian: apt-get install
 * dataset-fashion-mnist, or set REPSCOPE_DATA)"), a bad file (RS_EFORMAT,
 * naming the file and the problem; labels must be 0..9, images 28x28,
 * image and label counts equal) or RS_ENOMEM. Reads and checks the whole
 * files whatever the subset: about 0.45 s for train_n 1000, 0.7 s for
 * everything (mostly inflating the 26 MB training images). */
rs_data_fmnist *rs_data_fmnist_new(const struct rs_data_fmnist_config *cfg,
                                   struct rs_error *err);
void rs_data_fmnist_free(rs_data_fmnist *m);

/* The config as used (dir resolved: borrowed while m lives; train_n and
 * test_n are the actual counts). */
const struct rs_data_fmnist_config *
rs_data_fmnist_config(const rs_data_fmnist *m);
int rs_data_fmnist_count(const rs_data_fmnist *m, enum rs_split split);
/* 784 or 196. */
int rs_data_fmnist_input_dim(const rs_data_fmnist *m);
/* The input side: 28 or 14. */
int rs_data_fmnist_side(const rs_data_fmnist *m);
/* Labels of a split (count), borrowed while m lives. */
const int *rs_data_fmnist_labels(const rs_data_fmnist *m, enum rs_split split);
/* Index in the original file of each example of a split (count). */
const int *rs_data_fmnist_source_index(const rs_data_fmnist *m,
                                       enum rs_split split);
/* The mean and std used by RS_DATA_FMNIST_NORM_STANDARD, computed on the
 * training subset's inputs in [0, 1] (also for NORM_UNIT, where they are
 * informative only). */
void rs_data_fmnist_stats(const rs_data_fmnist *m, double *mean, double *std);
/* Inputs of examples idx[0..n) of a split into x (n, input_dim), labels
 * into y (n) if not NULL; idx NULL means 0..n-1; each index in range. */
void rs_data_fmnist_batch(const rs_data_fmnist *m, enum rs_split split,
                          const int *idx, int n, float *x, int *y);

/* "T-shirt/top", "Trouser", ... "Ankle boot" for 0..9, else NULL. */
const char *rs_data_fmnist_class_name(int label);

/* rs_data_fmnist_new wrapped as a dataset of kind "fmnist" (one
 * reference); NULL + err as rs_data_fmnist_new. */
rs_dataset *rs_data_fmnist_dataset(const struct rs_data_fmnist_config *cfg,
                                   struct rs_error *err);

#endif /* RS_DATA_FMNIST_H */
