/* repscope - MIT licence, see COPYING.
 *
 * t_data_idx.c: the IDX reader and the Fashion-MNIST dataset. Fixtures are
 * written here into tap_tmpdir() (plain, and gzip through zlib's gzwrite)
 * from a pixel formula, so good files are checked byte for byte; bad ones
 * (cut at several lengths, wrong magic, bad dimensions, trailing bytes,
 * flipped gzip bytes) must be refused with a message naming the file and
 * the problem. The Fashion-MNIST dataset is checked against hand-computed
 * 2x2 means, subsets, standardisation and the dataset vtable; the real
 * Debian files are checked when installed (else those cases skip).
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <zlib.h>

#include "core/base.h"
#include "data/dataset.h"
#include "data/fmnist.h"
#include "data/idx.h"
#include "tests/tap.h"

#define SIDE 28
#define NPIX (SIDE * SIDE)

/* ---- fixture writing --------------------------------------------------- */

struct buf {
    unsigned char *p;
    size_t n;
};

static void
put32(struct buf *b, uint32_t v)
{
    b->p[b->n++] = (unsigned char)(v >> 24);
    b->p[b->n++] = (unsigned char)(v >> 16);
    b->p[b->n++] = (unsigned char)(v >> 8);
    b->p[b->n++] = (unsigned char)v;
}

/* The fixture pixel formula, independent of the code under test. */
static unsigned char
pix(int i, int r, int c)
{
    return (unsigned char)((i * 37 + r * 11 + c * 5 + r * c) % 256);
}

static unsigned char
label_of(int i)
{
    return (unsigned char)((i * 3 + 1) % 10);
}

/* An images file: header (magic, n, rows, cols), pixels, extra zero bytes. */
static struct buf
images_buf(uint32_t magic, uint32_t n, uint32_t rows, uint32_t cols,
           int npix_items, size_t extra)
{
    size_t pay = (size_t)npix_items * rows * cols;
    struct buf b = {rs_xmalloc(16 + pay + extra + 1), 0};
    put32(&b, magic);
    put32(&b, n);
    put32(&b, rows);
    put32(&b, cols);
    for (int i = 0; i < npix_items; i++)
        for (uint32_t r = 0; r < rows; r++)
            for (uint32_t c = 0; c < cols; c++)
                b.p[b.n++] = pix(i, (int)r, (int)c);
    for (size_t k = 0; k < extra; k++)
        b.p[b.n++] = 0;
    return b;
}

static struct buf
labels_buf(uint32_t magic, uint32_t n, int items, size_t extra)
{
    struct buf b = {rs_xmalloc(8 + (size_t)items + extra + 1), 0};
    put32(&b, magic);
    put32(&b, n);
    for (int i = 0; i < items; i++)
        b.p[b.n++] = label_of(i);
    for (size_t k = 0; k < extra; k++)
        b.p[b.n++] = 7;
    return b;
}

static void
write_plain(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL || (n > 0 && fwrite(p, 1, n, f) != n) || fclose(f) != 0)
        tap_bail("cannot write %s", path);
}

static void
write_gz(const char *path, const void *p, size_t n)
{
    gzFile gz = gzopen(path, "wb9");
    if (gz == NULL || (n > 0 && gzwrite(gz, p, (unsigned)n) != (int)n) ||
        gzclose(gz) != Z_OK)
        tap_bail("cannot write %s", path);
}

static struct buf
read_all(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        tap_bail("cannot stat %s", path);
    struct buf b = {rs_xmalloc((size_t)st.st_size + 1), (size_t)st.st_size};
    FILE *f = fopen(path, "rb");
    if (f == NULL || fread(b.p, 1, b.n, f) != b.n)
        tap_bail("cannot read %s", path);
    fclose(f);
    return b;
}

/* ---- checks ------------------------------------------------------------ */

/* rs_data_idx_read must fail with code and a message holding path and
 * each of the NULL-terminated substrings. */
static void
refused(const char *path, enum rs_data_idx_kind kind, int code,
        const char *what, const char *const subs[])
{
    struct rs_data_idx idx;
    struct rs_error err = {0};
    int rc = rs_data_idx_read(&idx, path, kind, &err);
    bool ok = rc == code && err.code == code && strstr(err.msg, path) != NULL &&
              idx.data == NULL;
    for (int k = 0; subs[k] != NULL; k++)
        ok = ok && strstr(err.msg, subs[k]) != NULL;
    tap_ok(ok, "%s refused", what);
    if (!ok)
        tap_diag("rc %d, message: %s", rc, err.msg);
    rs_data_idx_fini(&idx);
}

static bool
images_match(const struct rs_data_idx *idx, int n, int rows, int cols)
{
    if (idx->n != n || idx->rows != rows || idx->cols != cols ||
        idx->size != (size_t)n * rows * cols || idx->data == NULL)
        return false;
    for (int i = 0; i < n; i++)
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                if (idx->data[((size_t)i * rows + r) * cols + c] !=
                    pix(i, r, c))
                    return false;
    return true;
}

static void
test_good(const char *dir)
{
    struct rs_error err = {0};
    struct buf b = images_buf(0x803, 3, 4, 5, 3, 0);
    for (int gz = 0; gz < 2; gz++) {
        char *path = rs_xasprintf("%s/good%d-images", dir, gz);
        if (gz)
            write_gz(path, b.p, b.n);
        else
            write_plain(path, b.p, b.n);
        struct rs_data_idx idx;
        int rc = rs_data_idx_read(&idx, path, RS_DATA_IDX_IMAGES, &err);
        tap_is_int(rc, RS_OK, "%s images load (%s)", gz ? "gzip" : "plain",
                   rc != RS_OK ? err.msg : "ok");
        tap_ok(images_match(&idx, 3, 4, 5), "%s images: 3x4x5, every byte",
               gz ? "gzip" : "plain");
        tap_ok(idx.gzip == (gz != 0), "%s detected", gz ? "gzip" : "plain");
        rs_data_idx_fini(&idx);
        tap_ok(idx.data == NULL && idx.n == 0, "fini empties");
        free(path);
    }
    free(b.p);

    b = labels_buf(0x801, 7, 7, 0);
    for (int gz = 0; gz < 2; gz++) {
        char *path = rs_xasprintf("%s/good%d-labels", dir, gz);
        if (gz)
            write_gz(path, b.p, b.n);
        else
            write_plain(path, b.p, b.n);
        struct rs_data_idx idx;
        int rc = rs_data_idx_read(&idx, path, RS_DATA_IDX_LABELS, &err);
        bool same = rc == RS_OK && idx.n == 7 && idx.rows == 1 &&
                    idx.cols == 1 && idx.size == 7;
        for (int i = 0; same && i < 7; i++)
            same = idx.data[i] == label_of(i);
        tap_ok(same, "%s labels: 7, every value", gz ? "gzip" : "plain");
        rs_data_idx_fini(&idx);
        free(path);
    }
    free(b.p);

    /* A big gzip file: the payload crosses the reader's 1 MiB chunks. */
    b = images_buf(0x803, 3000, 28, 28, 3000, 0);
    char *path = rs_xasprintf("%s/big-images.gz", dir);
    write_gz(path, b.p, b.n);
    struct rs_data_idx idx;
    int rc = rs_data_idx_read(&idx, path, RS_DATA_IDX_IMAGES, &err);
    tap_ok(rc == RS_OK && images_match(&idx, 3000, 28, 28),
           "2.35 MB gzip images: every byte");
    rs_data_idx_fini(&idx);
    free(path);
    free(b.p);
}

static void
test_truncated(const char *dir)
{
    struct buf b = images_buf(0x803, 3, 4, 5, 3, 0); /* 16 + 60 bytes */
    static const size_t cuts[] = {0, 7, 15, 16, 26, 75};
    for (size_t k = 0; k < RS_ARRAY_LEN(cuts); k++) {
        for (int gz = 0; gz < 2; gz++) {
            char *path = rs_xasprintf("%s/cut%zu-%d", dir, cuts[k], gz);
            if (gz)
                write_gz(path, b.p, cuts[k]);
            else
                write_plain(path, b.p, cuts[k]);
            char want[96];
            if (cuts[k] < 16)
                snprintf(want, sizeof want,
                         "truncated: expected a 16-byte header, got %zu "
                         "bytes",
                         cuts[k]);
            else
                snprintf(want, sizeof want,
                         "truncated: expected 60 bytes of pixels, got %zu",
                         cuts[k] - 16);
            char *what = rs_xasprintf("%s file cut at %zu bytes",
                                      gz ? "gzip" : "plain", cuts[k]);
            refused(path, RS_DATA_IDX_IMAGES, RS_EFORMAT, what,
                    (const char *const[]){want, NULL});
            free(what);
            free(path);
        }
    }
    struct buf l = labels_buf(0x801, 7, 4, 0);
    char *path = rs_xasprintf("%s/cut-labels", dir);
    write_plain(path, l.p, l.n);
    refused(path, RS_DATA_IDX_LABELS, RS_EFORMAT, "labels 4 of 7",
            (const char *const[]){"truncated: expected 7 bytes of labels, "
                                  "got 4",
                                  NULL});
    free(path);
    free(l.p);

    /* The compressed bytes themselves cut: in the gzip header, in the
     * deflate data, in the 8-byte trailer. */
    char *full = rs_xasprintf("%s/whole.gz", dir);
    struct buf big = images_buf(0x803, 50, 28, 28, 50, 0);
    write_gz(full, big.p, big.n);
    struct buf z = read_all(full);
    size_t zcuts[] = {5, z.n / 2, z.n - 4};
    for (size_t k = 0; k < RS_ARRAY_LEN(zcuts); k++) {
        path = rs_xasprintf("%s/zcut%zu.gz", dir, k);
        write_plain(path, z.p, zcuts[k]);
        char *what =
            rs_xasprintf("gzip stream cut at %zu of %zu bytes", zcuts[k], z.n);
        refused(path, RS_DATA_IDX_IMAGES, RS_EFORMAT, what,
                (const char *const[]){"truncated", NULL});
        free(what);
        free(path);
    }
    free(z.p);
    free(big.p);
    free(full);
    free(b.p);
}

static void
test_bad_header(const char *dir)
{
    struct {
        const char *what;
        struct buf b;
        enum rs_data_idx_kind kind;
        const char *sub[3];
    } cases[] = {
        {"labels read as images",
         labels_buf(0x801, 7, 7, 0),
         RS_DATA_IDX_IMAGES,
         {"wrong magic 0x00000801 (expected 0x00000803", "other kind", NULL}},
        {"images read as labels",
         images_buf(0x803, 3, 4, 5, 3, 0),
         RS_DATA_IDX_LABELS,
         {"wrong magic 0x00000803 (expected 0x00000801", NULL}},
        {"float IDX magic",
         images_buf(0x0d03, 3, 4, 5, 3, 0),
         RS_DATA_IDX_IMAGES,
         {"wrong magic 0x00000d03", NULL}},
        {"gzip-less garbage",
         images_buf(0x12345678, 3, 4, 5, 3, 0),
         RS_DATA_IDX_IMAGES,
         {"wrong magic 0x12345678", NULL}},
        {"0 items",
         images_buf(0x803, 0, 4, 5, 0, 0),
         RS_DATA_IDX_IMAGES,
         {"bad dimensions: 0 items", NULL}},
        {"2e7 items",
         images_buf(0x803, 20000000, 4, 5, 0, 0),
         RS_DATA_IDX_IMAGES,
         {"bad dimensions: 20000000 items", NULL}},
        {"0 rows",
         images_buf(0x803, 3, 0, 5, 0, 0),
         RS_DATA_IDX_IMAGES,
         {"bad dimensions: 0x5 images", NULL}},
        {"5000 cols",
         images_buf(0x803, 1, 1, 5000, 0, 0),
         RS_DATA_IDX_IMAGES,
         {"bad dimensions: 1x5000 images", NULL}},
        {"0 labels",
         labels_buf(0x801, 0, 0, 0),
         RS_DATA_IDX_LABELS,
         {"bad dimensions: 0 items", NULL}},
        /* A header claiming 10 x 4096 x 4096 on a small file: refused
         * as truncated without allocating what it claims (a claim past
         * half the memory: test_bomb). */
        {"large claim",
         images_buf(0x803, 10, 4096, 4096, 0, 100),
         RS_DATA_IDX_IMAGES,
         {"expected 167772160 bytes of pixels, got 100", NULL}},
        {"3 trailing bytes",
         images_buf(0x803, 3, 4, 5, 3, 3),
         RS_DATA_IDX_IMAGES,
         {"3 bytes of trailing data after 60 bytes of pixels", NULL}},
        {"trailing label bytes",
         labels_buf(0x801, 7, 7, 5000),
         RS_DATA_IDX_LABELS,
         {"5000 bytes of trailing data after 7 bytes of labels", NULL}},
    };
    for (size_t k = 0; k < RS_ARRAY_LEN(cases); k++) {
        for (int gz = 0; gz < 2; gz++) {
            char *path = rs_xasprintf("%s/bad%zu-%d", dir, k, gz);
            if (gz)
                write_gz(path, cases[k].b.p, cases[k].b.n);
            else
                write_plain(path, cases[k].b.p, cases[k].b.n);
            char *what =
                rs_xasprintf("%s (%s)", cases[k].what, gz ? "gzip" : "plain");
            refused(path, cases[k].kind, RS_EFORMAT, what, cases[k].sub);
            free(what);
            free(path);
        }
        free(cases[k].b.p);
    }
    char *path = rs_xasprintf("%s/no-such-file", dir);
    refused(path, RS_DATA_IDX_IMAGES, RS_EIO, "a missing file",
            (const char *const[]){"cannot open", NULL});
    free(path);
}

static void
test_corrupt_gzip(const char *dir)
{
    struct buf b = images_buf(0x803, 50, 28, 28, 50, 0);
    char *full = rs_xasprintf("%s/flip.gz", dir);
    write_gz(full, b.p, b.n);
    struct buf z = read_all(full);
    /* deflate data at a quarter, half and three quarters, the CRC-32 and
     * the length in the trailer */
    size_t at[] = {z.n / 4, z.n / 2, 3 * z.n / 4, z.n - 6, z.n - 2};
    const char *name[] = {"deflate data at 1/4", "deflate data at 1/2",
                          "deflate data at 3/4", "the CRC-32",
                          "the length field"};
    for (size_t k = 0; k < RS_ARRAY_LEN(at); k++) {
        char *path = rs_xasprintf("%s/flip%zu.gz", dir, k);
        z.p[at[k]] ^= 0x10;
        write_plain(path, z.p, z.n);
        z.p[at[k]] ^= 0x10;
        char *what = rs_xasprintf("a flipped byte in %s", name[k]);
        refused(path, RS_DATA_IDX_IMAGES, RS_EFORMAT, what,
                (const char *const[]){"corrupt gzip data", "zlib: ", NULL});
        free(what);
        free(path);
    }
    free(z.p);
    free(full);
    free(b.p);
}

/* A gzip bomb: 4 MB of zeros in 4 KB, under a header that claims the
 * largest payload the limits allow (1e7 x 4096 x 4096, 1.7e14 bytes). The
 * buffer grows only with data read, so this one would fail short, but a
 * real bomb of 1000:1 would not: the claim alone is refused. */
static void
test_bomb(const char *dir)
{
    struct buf b = images_buf(0x803, RS_DATA_IDX_MAX_ITEMS,
                              RS_DATA_IDX_MAX_SIDE, RS_DATA_IDX_MAX_SIDE, 0,
                              (size_t)4 << 20);
    char *path = rs_xasprintf("%s/bomb.gz", dir);
    write_gz(path, b.p, b.n);
    refused(path, RS_DATA_IDX_IMAGES, RS_ENOMEM,
            "a header claiming more than half the memory",
            (const char *const[]){"10000000 x 4096 x 4096",
                                  "more than half of this machine's memory",
                                  "not read", NULL});
    free(path);
    free(b.p);
}

/* ---- the real files ---------------------------------------------------- */

static void
test_real(void)
{
    const char *dir = RS_DATA_FMNIST_DIR;
    const char *names[4] = {
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"};
    struct stat st;
    char *probe = rs_xasprintf("%s/%s", dir, names[0]);
    bool have = stat(probe, &st) == 0;
    free(probe);
    if (!have) {
        tap_skip(7,
                 "%s not installed (apt-get install "
                 "dataset-fashion-mnist)",
                 dir);
        return;
    }
    const int want_n[2] = {60000, 10000};
    for (int s = 0; s < 2; s++) {
        struct rs_error err = {0};
        struct rs_data_idx img, lab;
        char *ip = rs_xasprintf("%s/%s", dir, names[2 * s]);
        char *lp = rs_xasprintf("%s/%s", dir, names[2 * s + 1]);
        double t0 = rs_time_now();
        int rc = rs_data_idx_read(&img, ip, RS_DATA_IDX_IMAGES, &err);
        double t1 = rs_time_now();
        tap_ok(rc == RS_OK && img.n == want_n[s] && img.rows == 28 &&
                   img.cols == 28 && img.gzip,
               "%s: %d gzip images of 28x28 (%s)", names[2 * s], want_n[s],
               rc == RS_OK ? "ok" : err.msg);
        tap_diag("%s read in %.3f s", names[2 * s], t1 - t0);
        rc = rs_data_idx_read(&lab, lp, RS_DATA_IDX_LABELS, &err);
        int hist[256] = {0};
        for (int i = 0; rc == RS_OK && i < lab.n; i++)
            hist[lab.data[i]]++;
        bool even = rc == RS_OK && lab.n == want_n[s];
        for (int c = 0; c < 256; c++)
            even = even && hist[c] == (c < 10 ? want_n[s] / 10 : 0);
        tap_ok(even, "%s: %d labels, %d per class 0..9", names[2 * s + 1],
               want_n[s], want_n[s] / 10);
        rs_data_idx_fini(&img);
        rs_data_idx_fini(&lab);
        free(ip);
        free(lp);
    }

    /* The dataset from the default directory: 1000 training images at
     * 14x14, the pooled inputs of a few examples by hand from the file. */
    unsetenv(RS_DATA_FMNIST_ENV);
    struct rs_data_fmnist_config c = {.train_n = 1000, .downsample = 2};
    struct rs_error err = {0};
    double t0 = rs_time_now();
    rs_data_fmnist *m = rs_data_fmnist_new(&c, &err);
    double t1 = rs_time_now();
    tap_ok(m != NULL && rs_data_fmnist_count(m, RS_SPLIT_TRAIN) == 1000 &&
               rs_data_fmnist_count(m, RS_SPLIT_TEST) == 10000 &&
               rs_data_fmnist_input_dim(m) == 196,
           "default dir: 1000 train, 10000 test, 196 inputs (%s)",
           m != NULL ? "ok" : err.msg);
    tap_diag("rs_data_fmnist_new (train_n 1000, downsample 2) in %.3f s",
             t1 - t0);
    if (m == NULL) {
        tap_skip(2, "no dataset");
        return;
    }
    struct rs_data_idx img, lab;
    char *ip = rs_xasprintf("%s/%s", dir, names[0]);
    char *lp = rs_xasprintf("%s/%s", dir, names[1]);
    bool ok = rs_data_idx_read(&img, ip, RS_DATA_IDX_IMAGES, &err) == RS_OK &&
              rs_data_idx_read(&lab, lp, RS_DATA_IDX_LABELS, &err) == RS_OK;
    const int *y = rs_data_fmnist_labels(m, RS_SPLIT_TRAIN);
    for (int i = 0; ok && i < 1000; i++)
        ok = y[i] == lab.data[i];
    tap_ok(ok, "labels are the file's first 1000");
    const int pick[3] = {0, 1, 999};
    float x[3 * 196], want[3 * 196];
    rs_data_fmnist_batch(m, RS_SPLIT_TRAIN, pick, 3, x, NULL);
    for (int k = 0; k < 3 && img.data != NULL; k++) {
        const uint8_t *p = img.data + (size_t)pick[k] * NPIX;
        for (int r = 0; r < 14; r++)
            for (int q = 0; q < 14; q++) {
                double s = p[2 * r * 28 + 2 * q] + p[2 * r * 28 + 2 * q + 1] +
                           p[(2 * r + 1) * 28 + 2 * q] +
                           p[(2 * r + 1) * 28 + 2 * q + 1];
                want[k * 196 + r * 14 + q] = (float)(s / 4.0 / 255.0);
            }
    }
    tap_is_floats(x, want, 3 * 196, 1e-7, 0, "real images 0, 1, 999 pooled");
    rs_data_idx_fini(&img);
    rs_data_idx_fini(&lab);
    free(ip);
    free(lp);
    rs_data_fmnist_free(m);

    c = (struct rs_data_fmnist_config){0};
    c.downsample = 1;
    t0 = rs_time_now();
    m = rs_data_fmnist_new(&c, &err);
    t1 = rs_time_now();
    tap_diag("rs_data_fmnist_new (everything, 28x28) in %.3f s: %s", t1 - t0,
             m != NULL ? "ok" : err.msg);
    rs_data_fmnist_free(m);
}

/* ---- the Fashion-MNIST dataset on fixtures ----------------------------- */

#define FTRAIN 20
#define FTEST 6

/* Write the four files into dir: train plain, test gzip. */
static void
write_fixture(const char *dir, int ntrain, int ntest, int side)
{
    mkdir(dir, 0777);
    const int n[2] = {ntrain, ntest};
    const char *img[2] = {"train-images-idx3-ubyte",
                          "t10k-images-idx3-ubyte.gz"};
    const char *lab[2] = {"train-labels-idx1-ubyte",
                          "t10k-labels-idx1-ubyte.gz"};
    for (int s = 0; s < 2; s++) {
        struct buf b = images_buf(0x803, (uint32_t)n[s], (uint32_t)side,
                                  (uint32_t)side, n[s], 0);
        struct buf l = labels_buf(0x801, (uint32_t)n[s], n[s], 0);
        if (s == 1) {
            /* distinct test images: shift the formula by 100 items */
            for (int i = 0; i < n[s]; i++)
                for (int r = 0; r < side; r++)
                    for (int c = 0; c < side; c++)
                        b.p[16 + ((size_t)i * side + r) * side + c] =
                            pix(i + 100, r, c);
        }
        char *ip = rs_xasprintf("%s/%s", dir, img[s]);
        char *lp = rs_xasprintf("%s/%s", dir, lab[s]);
        if (s == 0) {
            write_plain(ip, b.p, b.n);
            write_plain(lp, l.p, l.n);
        } else {
            write_gz(ip, b.p, b.n);
            write_gz(lp, l.p, l.n);
        }
        free(ip);
        free(lp);
        free(b.p);
        free(l.p);
    }
}

/* The expected inputs of fixture item i of a split, pooled k x k, as
 * pixel / 255 (mean over the pool computed here in double). */
static void
want_inputs(int split, int i, int k, float *out)
{
    int side = SIDE / k;
    int item = split == RS_SPLIT_TRAIN ? i : i + 100;
    for (int r = 0; r < side; r++)
        for (int c = 0; c < side; c++) {
            double s = 0;
            for (int dr = 0; dr < k; dr++)
                for (int dc = 0; dc < k; dc++)
                    s += pix(item, r * k + dr, c * k + dc);
            out[r * side + c] = (float)(s / (k * k) / 255.0);
        }
}

static rs_data_fmnist *
load(const char *dir, int train_n, int test_n, int k,
     enum rs_data_fmnist_subset subset, uint64_t seed, struct rs_error *err)
{
    struct rs_data_fmnist_config c = {.dir = dir,
                                      .train_n = train_n,
                                      .test_n = test_n,
                                      .downsample = k,
                                      .subset = subset,
                                      .seed = seed};
    return rs_data_fmnist_new(&c, err);
}

static void
test_fmnist(const char *tmp)
{
    char *dir = rs_xasprintf("%s/fashion-mnist", tmp);
    write_fixture(dir, FTRAIN, FTEST, SIDE);
    struct rs_error err = {0};
    float *x = rs_xmalloc((size_t)FTRAIN * NPIX * sizeof *x);
    float *want = rs_xmalloc((size_t)FTRAIN * NPIX * sizeof *want);
    int y[FTRAIN];

    for (int k = 1; k <= 2; k++) {
        rs_data_fmnist *m =
            load(dir, 0, 0, k, RS_DATA_FMNIST_SUBSET_FIRST, 0, &err);
        int dim = NPIX / (k * k);
        tap_ok(m != NULL && rs_data_fmnist_count(m, RS_SPLIT_TRAIN) == FTRAIN &&
                   rs_data_fmnist_count(m, RS_SPLIT_TEST) == FTEST &&
                   rs_data_fmnist_input_dim(m) == dim &&
                   rs_data_fmnist_side(m) == SIDE / k,
               "downsample %d: %d + %d examples of %d inputs (%s)", k, FTRAIN,
               FTEST, dim, m != NULL ? "ok" : err.msg);
        if (m == NULL)
            continue;
        for (int s = 0; s < 2; s++) {
            int n = s == 0 ? FTRAIN : FTEST;
            rs_data_fmnist_batch(m, (enum rs_split)s, NULL, n, x, y);
            bool labels = true;
            for (int i = 0; i < n; i++) {
                want_inputs(s, i, k, want + (size_t)i * dim);
                labels = labels && y[i] == label_of(i);
            }
            tap_is_floats(x, want, (size_t)n * dim, 1e-7, 0,
                          "downsample %d %s inputs: %s by hand", k,
                          s == 0 ? "train" : "test",
                          k == 1 ? "pixel / 255" : "2x2 mean / 255");
            tap_ok(labels, "downsample %d %s labels", k,
                   s == 0 ? "train" : "test");
        }
        rs_data_fmnist_free(m);
    }

    /* One pooled value by hand: item 0, output (3, 5) covers pixels
     * (6..7, 10..11) of (0*37 + r*11 + c*5 + r*c) % 256:
     * r=6,c=10: 66+50+60=176; r=6,c=11: 66+55+66=187;
     * r=7,c=10: 77+50+70=197; r=7,c=11: 77+55+77=209 -> 769 / 4 / 255. */
    rs_data_fmnist *m =
        load(dir, 1, 1, 2, RS_DATA_FMNIST_SUBSET_FIRST, 0, &err);
    if (m != NULL)
        rs_data_fmnist_batch(m, RS_SPLIT_TRAIN, NULL, 1, x, NULL);
    tap_is_float(m != NULL ? (double)x[3 * 14 + 5] : -1.0, 769.0 / 4.0 / 255.0,
                 1e-7, 0, "pooled (3, 5) of item 0 is 769 / 4 / 255");
    rs_data_fmnist_free(m);

    /* First n. */
    m = load(dir, 5, 2, 1, RS_DATA_FMNIST_SUBSET_FIRST, 9, &err);
    bool first = m != NULL && rs_data_fmnist_count(m, RS_SPLIT_TRAIN) == 5 &&
                 rs_data_fmnist_count(m, RS_SPLIT_TEST) == 2 &&
                 rs_data_fmnist_config(m)->train_n == 5;
    for (int i = 0; first && i < 5; i++)
        first = rs_data_fmnist_source_index(m, RS_SPLIT_TRAIN)[i] == i;
    tap_ok(first, "train_n 5: the first 5, whatever the seed");
    rs_data_fmnist_free(m);

    /* Seeded random subsets. */
    int idx_a[2][5], idx_b[5], idx_c[5];
    for (int rep = 0; rep < 2; rep++) {
        m = load(dir, 5, 3, 1, RS_DATA_FMNIST_SUBSET_RANDOM, 7, &err);
        if (m == NULL)
            break;
        memcpy(idx_a[rep], rs_data_fmnist_source_index(m, RS_SPLIT_TRAIN),
               sizeof idx_a[rep]);
        if (rep == 1) {
            bool inc = true;
            for (int i = 0; i < 5; i++)
                inc = inc && idx_a[1][i] >= 0 && idx_a[1][i] < FTRAIN &&
                      (i == 0 || idx_a[1][i] > idx_a[1][i - 1]);
            tap_ok(inc, "random subset: 5 distinct file indices, in order");
            rs_data_fmnist_batch(m, RS_SPLIT_TRAIN, NULL, 5, x, y);
            bool labels = true;
            for (int i = 0; i < 5; i++) {
                want_inputs(RS_SPLIT_TRAIN, idx_a[1][i], 1,
                            want + (size_t)i * NPIX);
                labels = labels && y[i] == label_of(idx_a[1][i]);
            }
            tap_is_floats(x, want, 5 * NPIX, 1e-7, 0,
                          "random subset: inputs are those file items");
            tap_ok(labels, "random subset: labels are those file items'");
            const int *ti = rs_data_fmnist_source_index(m, RS_SPLIT_TEST);
            rs_data_fmnist_batch(m, RS_SPLIT_TEST, NULL, 3, x, y);
            labels = true;
            for (int i = 0; i < 3; i++) {
                want_inputs(RS_SPLIT_TEST, ti[i], 1, want + (size_t)i * NPIX);
                labels = labels && y[i] == label_of(ti[i]);
            }
            tap_ok(labels && rs_data_fmnist_count(m, RS_SPLIT_TEST) == 3,
                   "random test subset of 3: labels of its file items");
            tap_is_floats(x, want, 3 * NPIX, 1e-7, 0,
                          "random test subset: inputs of its file items");
        }
        rs_data_fmnist_free(m);
    }
    tap_ok(memcmp(idx_a[0], idx_a[1], sizeof idx_a[0]) == 0,
           "random subset: same seed, same examples");
    m = load(dir, 5, 3, 1, RS_DATA_FMNIST_SUBSET_RANDOM, 8, &err);
    if (m != NULL)
        memcpy(idx_b, rs_data_fmnist_source_index(m, RS_SPLIT_TRAIN),
               sizeof idx_b);
    rs_data_fmnist_free(m);
    m = load(dir, 5, 3, 1, RS_DATA_FMNIST_SUBSET_RANDOM, 9, &err);
    if (m != NULL)
        memcpy(idx_c, rs_data_fmnist_source_index(m, RS_SPLIT_TRAIN),
               sizeof idx_c);
    rs_data_fmnist_free(m);
    tap_ok(memcmp(idx_a[0], idx_b, sizeof idx_b) != 0 ||
               memcmp(idx_a[0], idx_c, sizeof idx_c) != 0,
           "random subset: other seeds, other examples");

    /* Standardisation: mean and std of the 20 training items' pooled
     * pixels computed here, applied to both splits. */
    struct rs_data_fmnist_config sc = {
        .dir = dir, .downsample = 2, .norm = RS_DATA_FMNIST_NORM_STANDARD};
    m = rs_data_fmnist_new(&sc, &err);
    double sum = 0, sq = 0;
    for (int i = 0; i < FTRAIN; i++) {
        want_inputs(RS_SPLIT_TRAIN, i, 2, want);
        for (int j = 0; j < 196; j++)
            sum += (double)want[j];
    }
    double mean = sum / (FTRAIN * 196.0);
    for (int i = 0; i < FTRAIN; i++) {
        want_inputs(RS_SPLIT_TRAIN, i, 2, want);
        for (int j = 0; j < 196; j++)
            sq += ((double)want[j] - mean) * ((double)want[j] - mean);
    }
    double sd = sqrt(sq / (FTRAIN * 196.0));
    double gm = -1, gs = -1;
    if (m != NULL)
        rs_data_fmnist_stats(m, &gm, &gs);
    tap_is_float(gm, mean, 1e-6, 0, "standard: train mean %.4f", mean);
    tap_is_float(gs, sd, 1e-6, 0, "standard: train std %.4f", sd);
    if (m != NULL) {
        rs_data_fmnist_batch(m, RS_SPLIT_TEST, NULL, FTEST, x, NULL);
        for (int i = 0; i < FTEST; i++) {
            want_inputs(RS_SPLIT_TEST, i, 2, want + (size_t)i * 196);
            for (int j = 0; j < 196; j++)
                want[i * 196 + j] =
                    (float)(((double)want[i * 196 + j] - mean) / sd);
        }
        tap_is_floats(x, want, (size_t)FTEST * 196, 1e-5, 1e-6,
                      "standard: test inputs use the train mean and std");
    } else {
        tap_ok(false, "standard: %s", err.msg);
    }
    rs_data_fmnist_free(m);

    /* The dataset vtable. */
    struct rs_data_fmnist_config vc = {
        .dir = dir, .train_n = 8, .downsample = 2};
    rs_dataset *d = rs_data_fmnist_dataset(&vc, &err);
    tap_ok(d != NULL && strcmp(rs_dataset_kind(d), "fmnist") == 0 &&
               rs_dataset_count(d, RS_SPLIT_TRAIN) == 8 &&
               rs_dataset_count(d, RS_SPLIT_TEST) == FTEST &&
               rs_dataset_input_dim(d) == 196 && rs_dataset_classes(d) == 10,
           "dataset: kind fmnist, 8 / %d examples, 196 inputs, 10 classes",
           FTEST);
    if (d != NULL) {
        const int pick[3] = {7, 0, 3};
        int yy[3] = {-1, -1, -1};
        rs_dataset_batch(d, RS_SPLIT_TRAIN, pick, 3, x, yy);
        for (int i = 0; i < 3; i++)
            want_inputs(RS_SPLIT_TRAIN, pick[i], 2, want + (size_t)i * 196);
        tap_is_floats(x, want, 3 * 196, 1e-7, 0,
                      "dataset batch {7, 0, 3}: pooled inputs");
        tap_ok(yy[0] == label_of(7) && yy[1] == label_of(0) &&
                   yy[2] == label_of(3),
               "dataset batch {7, 0, 3}: labels");
        rs_dataset_batch(d, RS_SPLIT_TEST, NULL, 2, x, NULL);
        want_inputs(RS_SPLIT_TEST, 0, 2, want);
        want_inputs(RS_SPLIT_TEST, 1, 2, want + 196);
        tap_is_floats(x, want, 2 * 196, 1e-7, 0,
                      "dataset batch test, idx NULL: items 0, 1");
        rs_dataset_retain(d);
        rs_dataset_release(d);
        tap_is_int(rs_dataset_count(d, RS_SPLIT_TRAIN), 8,
                   "retain + release keeps it");
    } else {
        tap_skip(4, "no dataset: %s", err.msg);
    }
    rs_dataset_release(d);

    tap_is_str(rs_data_fmnist_class_name(0), "T-shirt/top", "class 0");
    tap_is_str(rs_data_fmnist_class_name(6), "Shirt", "class 6");
    tap_is_str(rs_data_fmnist_class_name(9), "Ankle boot", "class 9");
    tap_ok(rs_data_fmnist_class_name(10) == NULL &&
               rs_data_fmnist_class_name(-1) == NULL,
           "no class 10 or -1");

    /* REPSCOPE_DATA: a parent holding fashion-mnist/, or the dir itself. */
    struct rs_data_fmnist_config ec = {.downsample = 1, .train_n = 3};
    setenv(RS_DATA_FMNIST_ENV, tmp, 1);
    m = rs_data_fmnist_new(&ec, &err);
    tap_ok(m != NULL && strcmp(rs_data_fmnist_config(m)->dir, dir) == 0,
           "REPSCOPE_DATA=parent finds parent/fashion-mnist");
    rs_data_fmnist_free(m);
    setenv(RS_DATA_FMNIST_ENV, dir, 1);
    m = rs_data_fmnist_new(&ec, &err);
    tap_ok(m != NULL && strcmp(rs_data_fmnist_config(m)->dir, dir) == 0 &&
               rs_data_fmnist_count(m, RS_SPLIT_TRAIN) == 3,
           "REPSCOPE_DATA=dir");
    rs_data_fmnist_free(m);
    unsetenv(RS_DATA_FMNIST_ENV);

    free(x);
    free(want);
    free(dir);
}

static void
fmnist_refused(const char *dir, int train_n, int k, int code, const char *what,
               const char *const subs[])
{
    struct rs_data_fmnist_config c = {
        .dir = dir, .train_n = train_n, .downsample = k};
    struct rs_error err = {0};
    rs_data_fmnist *m = rs_data_fmnist_new(&c, &err);
    bool ok = m == NULL && err.code == code;
    for (int i = 0; subs[i] != NULL; i++)
        ok = ok && strstr(err.msg, subs[i]) != NULL;
    tap_ok(ok, "fmnist refuses %s", what);
    if (!ok)
        tap_diag("code %d, message: %s", err.code, err.msg);
    rs_data_fmnist_free(m);
}

static void
test_fmnist_errors(const char *tmp)
{
    char *empty = rs_xasprintf("%s/empty", tmp);
    mkdir(empty, 0777);
    char *nf = rs_xasprintf("Fashion-MNIST not found in %s (Debian: apt-get "
                            "install dataset-fashion-mnist, or set "
                            "REPSCOPE_DATA)",
                            empty);
    fmnist_refused(empty, 0, 1, RS_EIO, "an empty directory",
                   (const char *const[]){nf, NULL});
    free(nf);

    char *dir = rs_xasprintf("%s/fm-errors", tmp);
    write_fixture(dir, 10, 4, SIDE);
    fmnist_refused(dir, 11, 1, RS_EINVAL, "train_n above the file's count",
                   (const char *const[]){"train_n = 11 exceeds the 10", NULL});
    fmnist_refused(dir, 0, 3, RS_EINVAL, "downsample 3",
                   (const char *const[]){"downsample = 3", NULL});
    fmnist_refused(dir, -1, 1, RS_EINVAL, "train_n -1",
                   (const char *const[]){"train_n = -1", NULL});

    char *lp = rs_xasprintf("%s/t10k-labels-idx1-ubyte.gz", dir);
    struct buf l = labels_buf(0x801, 3, 3, 0);
    write_gz(lp, l.p, l.n);
    fmnist_refused(
        dir, 0, 1, RS_EFORMAT, "4 images but 3 labels",
        (const char *const[]){"has 4 images but", "has 3 labels", NULL});
    struct buf l4 = labels_buf(0x801, 4, 4, 0);
    l4.p[8 + 2] = 10;
    write_gz(lp, l4.p, l4.n);
    fmnist_refused(dir, 0, 1, RS_EFORMAT, "label 10",
                   (const char *const[]){lp,
                                         "label 10 of item 2 is outside "
                                         "0..9",
                                         NULL});
    remove(lp);
    fmnist_refused(dir, 0, 1, RS_EIO, "a missing labels file",
                   (const char *const[]){"incomplete",
                                         "t10k-labels-idx1-ubyte[.gz]",
                                         "apt-get install "
                                         "dataset-fashion-mnist",
                                         NULL});
    free(l.p);
    free(l4.p);
    free(lp);
    free(dir);

    dir = rs_xasprintf("%s/fm-side", tmp);
    write_fixture(dir, 4, 2, 27);
    fmnist_refused(
        dir, 0, 1, RS_EFORMAT, "27x27 images",
        (const char *const[]){"images are 27x27, expected 28x28", NULL});
    free(dir);
    free(empty);
}

int
main(void)
{
    char *dir = tap_tmpdir("t_data_idx");
    test_good(dir);
    test_truncated(dir);
    test_bad_header(dir);
    test_corrupt_gzip(dir);
    test_bomb(dir);
    test_fmnist(dir);
    test_fmnist_errors(dir);
    test_real();
    free(dir);
    return tap_done();
}
