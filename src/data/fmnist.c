/* repscope - MIT licence, see COPYING.
 *
 * fmnist.c: Fashion-MNIST from its IDX files (see fmnist.h). Each split
 * keeps the raw bytes of its chosen examples (count, 28*28) and a lookup
 * table from a pooled pixel sum (0..255*k*k for a k x k pool) to the
 * final float, so batches are exact, cheap and need no second pass.
 * Immutable after creation; any thread may read it.
 */
#include "config.h"

#include "data/fmnist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/rng.h"
#include "data/idx.h"

#define NPIX (RS_DATA_FMNIST_SIDE * RS_DATA_FMNIST_SIDE)
#define MAX_SUM (255 * 4) /* the largest 2x2 pooled sum */

static const char *const class_names[RS_DATA_FMNIST_CLASSES] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot",
};

/* File stems per split: images then labels. */
static const char *const stems[2][2] = {
    {"train-images-idx3-ubyte", "train-labels-idx1-ubyte"},
    {"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"},
};

struct rs_data_fmnist {
    struct rs_data_fmnist_config cfg; /* cfg.dir points at dir */
    char *dir;
    int n[2];
    uint8_t *pix[2]; /* (n, 28*28) raw bytes */
    int *labels[2];  /* (n) */
    int *src[2];     /* (n) index in the file */
    double mean, std;
    float lut[MAX_SUM + 1]; /* pooled sum -> input value */
};

static bool
is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool
is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && !S_ISDIR(st.st_mode);
}

/* The directory to read (new string). */
static char *
resolve_dir(const char *dir)
{
    if (dir != NULL && dir[0] != '\0')
        return rs_xstrdup(dir);
    const char *env = getenv(RS_DATA_FMNIST_ENV);
    if (env == NULL || env[0] == '\0')
        return rs_xstrdup(RS_DATA_FMNIST_DIR);
    char *sub = rs_xasprintf("%s/fashion-mnist", env);
    if (is_dir(sub))
        return sub;
    free(sub);
    return rs_xstrdup(env);
}

/* The path of stem in dir, gzip first (new string), or NULL if neither
 * form exists. */
static char *
find_file(const char *dir, const char *stem)
{
    char *p = rs_xasprintf("%s/%s.gz", dir, stem);
    if (is_file(p))
        return p;
    free(p);
    p = rs_xasprintf("%s/%s", dir, stem);
    if (is_file(p))
        return p;
    free(p);
    return NULL;
}

static int
check_config(const struct rs_data_fmnist_config *c, struct rs_error *err)
{
    if (c->train_n < 0)
        return rs_error_set(err, RS_EINVAL,
                            "train_n = %d (must be >= 0; 0 = all)",
                            c->train_n);
    if (c->test_n < 0)
        return rs_error_set(err, RS_EINVAL,
                            "test_n = %d (must be >= 0; 0 = all)",
                            c->test_n);
    if (c->downsample != 1 && c->downsample != 2)
        return rs_error_set(err, RS_EINVAL,
                            "downsample = %d (must be 1 or 2)",
                            c->downsample);
    if (c->subset != RS_DATA_FMNIST_SUBSET_FIRST &&
        c->subset != RS_DATA_FMNIST_SUBSET_RANDOM)
        return rs_error_set(err, RS_EINVAL, "subset = %d",
                            (int)c->subset);
    if (c->norm != RS_DATA_FMNIST_NORM_UNIT &&
        c->norm != RS_DATA_FMNIST_NORM_STANDARD)
        return rs_error_set(err, RS_EINVAL, "norm = %d", (int)c->norm);
    return RS_OK;
}

static int
cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Read one split's two files and keep want examples (0: all). */
static int
load_split(rs_data_fmnist *m, int s, const char *img_path, const char *lab_path,
           int want, struct rs_rng *rng, struct rs_error *err)
{
    struct rs_data_idx img, lab;
    int rc = rs_data_idx_read(&img, img_path, RS_DATA_IDX_IMAGES, err);
    if (rc != RS_OK)
        return rc;
    rc = rs_data_idx_read(&lab, lab_path, RS_DATA_IDX_LABELS, err);
    if (rc != RS_OK)
        goto out;
    if (img.rows != RS_DATA_FMNIST_SIDE || img.cols != RS_DATA_FMNIST_SIDE) {
        rc = rs_error_set(err, RS_EFORMAT,
                          "%s: images are %dx%d, expected "
                          "%dx%d",
                          img_path, img.rows, img.cols, RS_DATA_FMNIST_SIDE,
                          RS_DATA_FMNIST_SIDE);
        goto out;
    }
    if (img.n != lab.n) {
        rc = rs_error_set(err, RS_EFORMAT,
                          "%s has %d images but %s has %d "
                          "labels",
                          img_path, img.n, lab_path, lab.n);
        goto out;
    }
    for (int i = 0; i < lab.n; i++) {
        if (lab.data[i] >= RS_DATA_FMNIST_CLASSES) {
            rc = rs_error_set(err, RS_EFORMAT,
                              "%s: label %d of item %d is "
                              "outside 0..%d",
                              lab_path, lab.data[i], i,
                              RS_DATA_FMNIST_CLASSES - 1);
            goto out;
        }
    }
    if (want > img.n) {
        rc = rs_error_set(err, RS_EINVAL,
                          "%s = %d exceeds the %d "
                          "examples of %s",
                          s == RS_SPLIT_TRAIN ? "train_n" : "test_n", want,
                          img.n, img_path);
        goto out;
    }
    int n = want == 0 ? img.n : want;
    int *src = rs_xmalloc((size_t)img.n * sizeof *src);
    for (int i = 0; i < img.n; i++)
        src[i] = i;
    if (m->cfg.subset == RS_DATA_FMNIST_SUBSET_RANDOM && n < img.n) {
        rs_rng_shuffle_int(rng, src, (size_t)img.n);
        qsort(src, (size_t)n, sizeof *src, cmp_int);
    }
    m->n[s] = n;
    m->src[s] = rs_xreallocarray(src, (size_t)n, sizeof *src);
    m->labels[s] = rs_xmalloc((size_t)n * sizeof(int));
    m->pix[s] = malloc((size_t)n * NPIX);
    if (m->pix[s] == NULL) {
        rc = rs_error_set(err, RS_ENOMEM,
                          "out of memory for %d "
                          "images",
                          n);
        goto out;
    }
    for (int i = 0; i < n; i++) {
        int j = m->src[s][i];
        m->labels[s][i] = lab.data[j];
        memcpy(m->pix[s] + (size_t)i * NPIX, img.data + (size_t)j * NPIX, NPIX);
    }
out:
    rs_data_idx_fini(&img);
    rs_data_idx_fini(&lab);
    return rc;
}

/* Write the pooled sums of image p (28*28 bytes) into out (side*side). */
static void
pool(const uint8_t *p, int k, int *out)
{
    int side = RS_DATA_FMNIST_SIDE / k;
    for (int r = 0; r < side; r++) {
        for (int c = 0; c < side; c++) {
            int sum = 0;
            for (int dr = 0; dr < k; dr++)
                for (int dc = 0; dc < k; dc++)
                    sum += p[(r * k + dr) * RS_DATA_FMNIST_SIDE + c * k + dc];
            out[r * side + c] = sum;
        }
    }
}

/* Mean and std of the training inputs in [0, 1] from a histogram of the
 * pooled sums, then the lookup table. */
static void
make_lut(rs_data_fmnist *m)
{
    int k = m->cfg.downsample, kk = k * k, dim = NPIX / kk;
    int maxsum = 255 * kk;
    double *hist = rs_xcalloc((size_t)maxsum + 1, sizeof *hist);
    int *sums = rs_xmalloc((size_t)dim * sizeof *sums);
    for (int i = 0; i < m->n[RS_SPLIT_TRAIN]; i++) {
        pool(m->pix[RS_SPLIT_TRAIN] + (size_t)i * NPIX, k, sums);
        for (int j = 0; j < dim; j++)
            hist[sums[j]] += 1.0;
    }
    double total = (double)m->n[RS_SPLIT_TRAIN] * dim, mean = 0.0, var = 0.0;
    double scale = 1.0 / (255.0 * kk);
    for (int v = 0; v <= maxsum; v++)
        mean += hist[v] * v * scale;
    mean /= total;
    for (int v = 0; v <= maxsum; v++)
        var += hist[v] * (v * scale - mean) * (v * scale - mean);
    m->mean = mean;
    m->std = sqrt(var / total);
    bool standard = m->cfg.norm == RS_DATA_FMNIST_NORM_STANDARD;
    double sd = m->std > 0.0 ? m->std : 1.0;
    for (int v = 0; v <= maxsum; v++)
        m->lut[v] =
            standard ? (float)((v * scale - mean) / sd) : (float)(v * scale);
    free(sums);
    free(hist);
}

rs_data_fmnist *
rs_data_fmnist_new(const struct rs_data_fmnist_config *cfg,
                   struct rs_error *err)
{
    if (check_config(cfg, err) != RS_OK)
        return NULL;
    rs_data_fmnist *m = rs_xcalloc(1, sizeof *m);
    m->cfg = *cfg;
    m->dir = resolve_dir(cfg->dir);
    m->cfg.dir = m->dir;
    char *paths[2][2] = {{NULL, NULL}, {NULL, NULL}};
    int found = 0, rc = RS_OK;
    const char *missing = NULL;
    for (int s = 0; s < 2; s++) {
        for (int f = 0; f < 2; f++) {
            paths[s][f] = find_file(m->dir, stems[s][f]);
            if (paths[s][f] != NULL)
                found++;
            else if (missing == NULL)
                missing = stems[s][f];
        }
    }
    if (found == 0) {
        rc = rs_error_set(err, RS_EIO,
                          "Fashion-MNIST not found in %s "
                          "(Debian: apt-get install dataset-fashion-mnist, "
                          "or set " RS_DATA_FMNIST_ENV ")",
                          m->dir);
        goto out;
    }
    if (missing != NULL) {
        rc = rs_error_set(err, RS_EIO,
                          "Fashion-MNIST incomplete in %s: no "
                          "%s[.gz] (Debian: apt-get install "
                          "dataset-fashion-mnist, or set " RS_DATA_FMNIST_ENV
                          ")",
                          m->dir, missing);
        goto out;
    }
    struct rs_rng rng[2];
    rs_rng_seed(&rng[RS_SPLIT_TRAIN], cfg->seed);
    rs_rng_split(&rng[RS_SPLIT_TRAIN], &rng[RS_SPLIT_TEST]);
    const int want[2] = {cfg->train_n, cfg->test_n};
    for (int s = 0; s < 2 && rc == RS_OK; s++)
        rc = load_split(m, s, paths[s][0], paths[s][1], want[s], &rng[s], err);
    if (rc != RS_OK)
        goto out;
    m->cfg.train_n = m->n[RS_SPLIT_TRAIN];
    m->cfg.test_n = m->n[RS_SPLIT_TEST];
    make_lut(m);
out:
    for (int s = 0; s < 2; s++)
        for (int f = 0; f < 2; f++)
            free(paths[s][f]);
    if (rc != RS_OK) {
        rs_data_fmnist_free(m);
        return NULL;
    }
    return m;
}

void
rs_data_fmnist_free(rs_data_fmnist *m)
{
    if (m == NULL)
        return;
    for (int s = 0; s < 2; s++) {
        free(m->pix[s]);
        free(m->labels[s]);
        free(m->src[s]);
    }
    free(m->dir);
    free(m);
}

const struct rs_data_fmnist_config *
rs_data_fmnist_config(const rs_data_fmnist *m)
{
    return &m->cfg;
}

int
rs_data_fmnist_count(const rs_data_fmnist *m, enum rs_split split)
{
    return m->n[split];
}

int
rs_data_fmnist_input_dim(const rs_data_fmnist *m)
{
    return NPIX / (m->cfg.downsample * m->cfg.downsample);
}

int
rs_data_fmnist_side(const rs_data_fmnist *m)
{
    return RS_DATA_FMNIST_SIDE / m->cfg.downsample;
}

const int *
rs_data_fmnist_labels(const rs_data_fmnist *m, enum rs_split split)
{
    return m->labels[split];
}

const int *
rs_data_fmnist_source_index(const rs_data_fmnist *m, enum rs_split split)
{
    return m->src[split];
}

void
rs_data_fmnist_stats(const rs_data_fmnist *m, double *mean, double *std)
{
    *mean = m->mean;
    *std = m->std;
}

void
rs_data_fmnist_batch(const rs_data_fmnist *m, enum rs_split split,
                     const int *idx, int n, float *x, int *y)
{
    int k = m->cfg.downsample, dim = rs_data_fmnist_input_dim(m);
    int sums[NPIX];
    for (int i = 0; i < n; i++) {
        int j = idx != NULL ? idx[i] : i;
        RS_ASSERT(j >= 0 && j < m->n[split]);
        const uint8_t *p = m->pix[split] + (size_t)j * NPIX;
        float *row = x + (size_t)i * (size_t)dim;
        if (k == 1) {
            for (int q = 0; q < NPIX; q++)
                row[q] = m->lut[p[q]];
        } else {
            pool(p, k, sums);
            for (int q = 0; q < dim; q++)
                row[q] = m->lut[sums[q]];
        }
        if (y != NULL)
            y[i] = m->labels[split][j];
    }
}

const char *
rs_data_fmnist_class_name(int label)
{
    if (label < 0 || label >= RS_DATA_FMNIST_CLASSES)
        return NULL;
    return class_names[label];
}

/* ---- the dataset adapter ----------------------------------------------- */

static int
fmnist_count(const void *impl, enum rs_split split)
{
    return rs_data_fmnist_count(impl, split);
}

static void
fmnist_batch(const void *impl, enum rs_split split, const int *idx, int n,
             float *x, int *y)
{
    rs_data_fmnist_batch(impl, split, idx, n, x, y);
}

static const int *
fmnist_labels(const void *impl, enum rs_split split)
{
    return rs_data_fmnist_labels(impl, split);
}

static void
fmnist_destroy(void *impl)
{
    rs_data_fmnist_free(impl);
}

static const struct rs_dataset_class fmnist_class = {
    .kind = "fmnist",
    .count = fmnist_count,
    .batch = fmnist_batch,
    .labels = fmnist_labels,
    .destroy = fmnist_destroy,
};

rs_dataset *
rs_data_fmnist_dataset(const struct rs_data_fmnist_config *cfg,
                       struct rs_error *err)
{
    rs_data_fmnist *m = rs_data_fmnist_new(cfg, err);
    if (m == NULL)
        return NULL;
    return rs_dataset_new(&fmnist_class, m, rs_data_fmnist_input_dim(m),
                          RS_DATA_FMNIST_CLASSES);
}
