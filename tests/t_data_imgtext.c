/* repscope - MIT licence, see COPYING.
 *
 * t_data_imgtext.c: the imgtext source (data/source_imgtext.h). Its truth
 * is recomputed from its pixels: every grid cell of every composite is cut
 * out of the patch-major input by this file's own index arithmetic and
 * looked up, byte for byte, among the Fashion-MNIST images of its split
 * (a hash table built here from rs_data_fmnist); the image must exist,
 * with the class that patch_classes gives to each of the cell's patches
 * and that the caption's word for the cell names. Then: distinct classes
 * per composite, padding only at the end, the caption's counts, the
 * (side, side) image, the caption order over many composites (all orders
 * appear, position does not predict the quadrant), determinism per seed,
 * the layout for other grids and downsample 2, and the errors. A fixture
 * written here (every class in both splits, images unique across splits)
 * runs everything without the Debian files; the real files are checked
 * when installed (else those cases skip), with creation timed (a
 * diagnostic, never a test).
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/base.h"
#include "data/fmnist.h"
#include "data/source.h"
#include "data/source_imgtext.h"
#include "tests/tap.h"

#define SIDE 28
#define NPIX (SIDE * SIDE)
#define FTRAIN 60 /* fixture: 6 per class */
#define FTEST 30  /* 3 per class */

/* ---- the fixture ------------------------------------------------------- */

static void
put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* Pixel (r, c) of fixture image u (train u = i, test u = 100 + i): the
 * top-left 2x2 block is u, so images stay distinct after 2x2 pooling. */
static unsigned char
pix(int u, int r, int c)
{
    if (r < 2 && c < 2)
        return (unsigned char)u;
    return (unsigned char)((u * 37 + r * 11 + c * 5 + r * c) % 256);
}

static void
write_file(const char *dir, const char *name, const unsigned char *p, size_t n)
{
    char *path = rs_xasprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0)
        tap_bail("cannot write %s", path);
    free(path);
}

/* Four plain IDX files in dir: label of image i is i % 10 (train) and
 * i % test_classes (test). */
static void
write_fixture(const char *dir, int test_classes)
{
    mkdir(dir, 0777);
    const int n[2] = {FTRAIN, FTEST};
    const char *img[2] = {"train-images-idx3-ubyte", "t10k-images-idx3-ubyte"};
    const char *lab[2] = {"train-labels-idx1-ubyte", "t10k-labels-idx1-ubyte"};
    for (int s = 0; s < 2; s++) {
        size_t ni = 16 + (size_t)n[s] * NPIX, nl = 8 + (size_t)n[s];
        unsigned char *bi = rs_xmalloc(ni), *bl = rs_xmalloc(nl);
        put32(bi, 0x803);
        put32(bi + 4, (uint32_t)n[s]);
        put32(bi + 8, SIDE);
        put32(bi + 12, SIDE);
        put32(bl, 0x801);
        put32(bl + 4, (uint32_t)n[s]);
        for (int i = 0; i < n[s]; i++) {
            for (int r = 0; r < SIDE; r++)
                for (int c = 0; c < SIDE; c++)
                    bi[16 + (size_t)i * NPIX + r * SIDE + c] =
                        pix(s == 0 ? i : 100 + i, r, c);
            bl[8 + i] = (unsigned char)(i % (s == 0 ? 10 : test_classes));
        }
        write_file(dir, img[s], bi, ni);
        write_file(dir, lab[s], bl, nl);
        free(bi);
        free(bl);
    }
}

/* ---- an image lookup: the examples of a split by a hash of their inputs */

struct entry {
    uint64_t h;
    int i;
};

struct lookup {
    rs_data_fmnist *fm; /* borrowed */
    enum rs_split split;
    int n, dim;
    struct entry *e; /* (n) sorted by h */
};

static uint64_t
hash_floats(const float *x, int n)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    const unsigned char *b = (const unsigned char *)x;
    for (size_t i = 0; i < (size_t)n * sizeof *x; i++)
        h = (h ^ b[i]) * UINT64_C(0x100000001b3);
    return h;
}

static int
cmp_entry(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    if (x->h != y->h)
        return x->h < y->h ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

static void
lookup_init(struct lookup *lk, rs_data_fmnist *fm, enum rs_split split)
{
    lk->fm = fm;
    lk->split = split;
    lk->n = rs_data_fmnist_count(fm, split);
    lk->dim = rs_data_fmnist_input_dim(fm);
    lk->e = rs_xmalloc((size_t)lk->n * sizeof *lk->e);
    float buf[NPIX];
    for (int i = 0; i < lk->n; i++) {
        rs_data_fmnist_batch(fm, split, &i, 1, buf, NULL);
        lk->e[i].h = hash_floats(buf, lk->dim);
        lk->e[i].i = i;
    }
    qsort(lk->e, (size_t)lk->n, sizeof *lk->e, cmp_entry);
}

static void
lookup_fini(struct lookup *lk)
{
    free(lk->e);
}

/* Is img (dim floats) bit for bit an image of the split with label want
 * (-1: any label)? */
static bool
lookup_has(const struct lookup *lk, const float *img, int want)
{
    uint64_t h = hash_floats(img, lk->dim);
    int lo = 0, hi = lk->n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (lk->e[mid].h < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    const int *y = rs_data_fmnist_labels(lk->fm, lk->split);
    float buf[NPIX];
    for (int k = lo; k < lk->n && lk->e[k].h == h; k++) {
        int i = lk->e[k].i;
        if (want >= 0 && y[i] != want)
            continue;
        rs_data_fmnist_batch(lk->fm, lk->split, &i, 1, buf, NULL);
        if (memcmp(buf, img, (size_t)lk->dim * sizeof *buf) == 0)
            return true;
    }
    return false;
}

/* ---- the truth recomputed from the pixels ------------------------------ */

/* Pixel (R, C) of the image of one example's patch-major input x, by this
 * file's arithmetic: patch (R / ps, C / ps), pixel (R % ps, C % ps). */
static float
pixel_at(const float *x, int pg, int ps, int R, int C)
{
    int p = (R / ps) * pg + C / ps, q = (R % ps) * ps + C % ps;
    return x[(size_t)p * (size_t)(ps * ps) + (size_t)q];
}

struct tally {
    long cells, found, label_ok, other_split, distinct_ok, composites;
    long caption_ok, image_ok, words_named;
    int nw_seen[RS_IMGTEXT_MAX_GRID * RS_IMGTEXT_MAX_GRID + 1];
};

/* Check composites 0..n-1 of split against the images of own (the split
 * they must come from) and other (NULL: not checked). */
static void
verify(const rs_source *src, enum rs_split split, int n,
       const struct lookup *own, const struct lookup *other, struct tally *t)
{
    const struct rs_imgtext_config *cfg = rs_source_imgtext_config(src);
    struct rs_imgtext_dims d;
    rs_source_imgtext_dims(src, &d);
    int grid = cfg->grid, ps = d.patch_side, pg = 2 * grid, is = 2 * ps;
    int side = grid * is, P = pg * pg, L = d.len, items = grid * grid;
    int W = P * ps * ps;
    memset(t, 0, sizeof *t);
    struct rs_batch b;
    rs_batch_init(&b);
    int *pc = rs_xmalloc((size_t)P * sizeof *pc);
    int *wi = rs_xmalloc((size_t)L * sizeof *wi);
    int *ids = rs_xmalloc((size_t)L * sizeof *ids);
    float *img = rs_xmalloc((size_t)side * side * sizeof *img);
    float cell[NPIX];
    int cls[RS_IMGTEXT_MAX_GRID * RS_IMGTEXT_MAX_GRID];
    struct rs_error err = {0};
    for (int e = 0; e < n; e++) {
        if (rs_source_fetch(src, split, &e, 1, &b, &err) != RS_OK ||
            rs_source_imgtext_patch_classes(src, split, &e, 1, pc, &err) !=
                RS_OK ||
            rs_source_imgtext_word_item(src, split, &e, 1, wi, &err) != RS_OK ||
            rs_source_imgtext_image(src, split, e, img, &err) != RS_OK) {
            tap_diag("composite %d: %s", e, err.msg);
            break;
        }
        t->composites++;
        const float *x = b.in[0].x;
        memcpy(ids, b.in[1].ids, (size_t)L * sizeof *ids);
        /* the (side, side) image is x un-patched */
        bool same = b.in[0].width == W && b.in[1].width == L;
        for (int R = 0; same && R < side; R++)
            for (int C = 0; C < side; C++)
                same = same && img[R * side + C] == pixel_at(x, pg, ps, R, C);
        t->image_ok += same;
        /* each cell: an image of the split, with the class of its
         * patches */
        for (int k = 0; k < items; k++) {
            int gr = k / grid, gc = k % grid;
            for (int r = 0; r < is; r++)
                for (int c = 0; c < is; c++)
                    cell[r * is + c] =
                        pixel_at(x, pg, ps, gr * is + r, gc * is + c);
            t->cells++;
            cls[k] = pc[(2 * gr) * pg + 2 * gc];
            t->found += lookup_has(own, cell, -1);
            bool lab = true;
            for (int a = 0; a < 2; a++)
                for (int c = 0; c < 2; c++)
                    lab = lab && lookup_has(own, cell,
                                            pc[(2 * gr + a) * pg + 2 * gc + c]);
            t->label_ok += lab;
            if (other != NULL)
                t->other_split += lookup_has(other, cell, -1);
        }
        bool distinct = true;
        for (int k = 0; k < items; k++)
            for (int j = 0; j < k; j++)
                distinct = distinct && cls[k] != cls[j];
        t->distinct_ok += distinct;
        /* the caption: named items' words, distractors, then pads */
        bool ok = true, padding = false;
        int nw = 0, nd = 0,
            named[RS_IMGTEXT_MAX_GRID * RS_IMGTEXT_MAX_GRID] = {0};
        for (int j = 0; j < L; j++) {
            if (ids[j] == RS_IMGTEXT_PAD) {
                padding = true;
                ok = ok && wi[j] == -1;
            } else if (padding) {
                ok = false; /* a word after a pad */
            } else if (ids[j] >= RS_IMGTEXT_DISTRACTOR0) {
                ok = ok && ids[j] < RS_IMGTEXT_VOCAB && wi[j] == -1;
                nd++;
            } else {
                ok = ok && wi[j] >= 0 && wi[j] < items &&
                     ids[j] == RS_IMGTEXT_CLASS0 + cls[wi[j]] &&
                     named[wi[j]]++ == 0;
                nw++;
            }
        }
        ok = ok && nw >= cfg->min_words && nw <= cfg->words &&
             nd == cfg->distractors;
        t->caption_ok += ok;
        t->words_named += nw;
        if (nw <= items)
            t->nw_seen[nw]++;
    }
    free(pc);
    free(wi);
    free(ids);
    free(img);
    rs_batch_fini(&b);
}

/* The tap lines of one verify: 6 tests. */
static void
report(const struct tally *t, int n, const char *what)
{
    tap_ok(t->composites == n && t->image_ok == n,
           "%s: %ld composites, image() is the input un-patched (%ld)", what,
           t->composites, t->image_ok);
    tap_ok(t->cells > 0 && t->found == t->cells,
           "%s: each of %ld cells is a Fashion-MNIST image of its split, bit "
           "for bit (%ld)",
           what, t->cells, t->found);
    tap_ok(t->label_ok == t->cells,
           "%s: patch_classes is that image's class on each of its 4 "
           "patches (%ld)",
           what, t->label_ok);
    tap_ok(t->other_split == 0,
           "%s: no cell is an image of the other split (%ld)", what,
           t->other_split);
    tap_ok(t->distinct_ok == n, "%s: items of distinct classes (%ld)", what,
           t->distinct_ok);
    tap_ok(t->caption_ok == n,
           "%s: captions name items once with their class words, counts "
           "right, pads only at the end (%ld)",
           what, t->caption_ok);
}

static rs_source *
make(const char *dir, int grid, int ds, int words, int min_words,
     int distractors, int train_n, int test_n, uint64_t seed,
     struct rs_error *err)
{
    struct rs_imgtext_config c;
    rs_source_imgtext_defaults(&c);
    c.dir = dir;
    c.grid = grid;
    c.downsample = ds;
    c.words = words;
    c.min_words = min_words;
    c.distractors = distractors;
    c.train_n = train_n;
    c.test_n = test_n;
    c.seed = seed;
    return rs_source_imgtext(&c, err);
}

static rs_data_fmnist *
load_fmnist(const char *dir, int ds)
{
    struct rs_data_fmnist_config fc = {.dir = dir, .downsample = ds};
    struct rs_error err = {0};
    rs_data_fmnist *fm = rs_data_fmnist_new(&fc, &err);
    if (fm == NULL)
        tap_bail("fmnist: %s", err.msg);
    return fm;
}

/* ---- the fixture cases -------------------------------------------------- */

static void
test_layout(const char *dir)
{
    struct rs_error err = {0};
    rs_source *s = make(dir, 2, 1, 0, 0, 0, 30, 10, 1, &err);
    tap_ok(s != NULL, "fixture source (%s)", s != NULL ? "ok" : err.msg);
    if (s == NULL)
        tap_bail("no source");
    struct rs_source_info si;
    rs_source_info(s, &si);
    tap_ok(strcmp(rs_source_kind(s), "imgtext") == 0 && si.ninputs == 2 &&
               si.kind[0] == RS_NN_INPUT_FEATURES && si.width[0] == 16 * 196 &&
               si.kind[1] == RS_NN_INPUT_TOKENS && si.width[1] == 4 &&
               si.vocab[1] == 21 && si.classes == 0,
           "kind imgtext, features 16 x 196, tokens L 4 of 21 ids, unlabelled");
    tap_ok(rs_source_count(s, RS_SPLIT_TRAIN) == 30 &&
               rs_source_count(s, RS_SPLIT_TEST) == 10 &&
               !rs_source_is_generator(s),
           "finite: 30 train, 10 test");
    struct rs_imgtext_dims d;
    rs_source_imgtext_dims(s, &d);
    const struct rs_imgtext_config *c = rs_source_imgtext_config(s);
    tap_ok(d.items == 4 && d.side == 56 && d.item_side == 28 &&
               d.patch_side == 14 && d.patch_pixels == 196 && d.patches == 16 &&
               d.patch_grid == 4 && d.len == 4 && c->words == 4 &&
               c->min_words == 4 && strcmp(c->dir, dir) == 0,
           "dims of the 2x2 grid: 56x56, 16 patches of 14x14; words 0 -> 4");
    struct rs_batch b;
    rs_batch_init(&b);
    int rc = rs_source_fetch(s, RS_SPLIT_TRAIN, NULL, 3, &b, &err);
    tap_ok(rc == RS_OK && b.n == 3 && b.ninputs == 2 && b.y == NULL &&
               b.in[0].width == 3136 && b.in[1].width == 4,
           "a fetch: 3 examples, 2 inputs, no labels");
    rs_batch_fini(&b);
    /* patch -> item for the grids */
    static const int want2[16] = {0, 0, 1, 1, 0, 0, 1, 1,
                                  2, 2, 3, 3, 2, 2, 3, 3};
    bool ok = true;
    for (int p = 0; p < 16; p++)
        ok = ok && rs_source_imgtext_patch_item(2, p) == want2[p];
    for (int p = 0; p < 4; p++)
        ok = ok && rs_source_imgtext_patch_item(1, p) == 0;
    ok = ok && rs_source_imgtext_patch_item(3, 0) == 0 &&
         rs_source_imgtext_patch_item(3, 5) == 2 &&
         rs_source_imgtext_patch_item(3, 6) == 0 &&
         rs_source_imgtext_patch_item(3, 14) == 4 &&
         rs_source_imgtext_patch_item(3, 35) == 8;
    tap_ok(ok, "patch_item for grids 1, 2, 3");
    tap_ok(strcmp(rs_source_imgtext_word(0), "<pad>") == 0 &&
               strcmp(rs_source_imgtext_word(1), "t-shirt") == 0 &&
               strcmp(rs_source_imgtext_word(10), "boot") == 0 &&
               strcmp(rs_source_imgtext_word(11), "a") == 0 &&
               rs_source_imgtext_word(20) != NULL &&
               rs_source_imgtext_word(21) == NULL &&
               rs_source_imgtext_word(-1) == NULL,
           "vocabulary: <pad>, 10 class words, 10 distractors");
    rs_source_release(s);
}

static void
test_truth(const char *dir)
{
    for (int ds = 1; ds <= 2; ds++) {
        rs_data_fmnist *fm = load_fmnist(dir, ds);
        struct lookup lk[2];
        lookup_init(&lk[0], fm, RS_SPLIT_TRAIN);
        lookup_init(&lk[1], fm, RS_SPLIT_TEST);
        struct rs_error err = {0};
        /* 4 words, and 1..3 of 4 words with 2 distractors */
        for (int v = 0; v < 2; v++) {
            rs_source *s = v == 0
                               ? make(dir, 2, ds, 4, 4, 0, 400, 200, 7, &err)
                               : make(dir, 2, ds, 3, 1, 2, 400, 200, 8, &err);
            if (s == NULL)
                tap_bail("%s", err.msg);
            for (int sp = 0; sp < 2; sp++) {
                struct tally t;
                int n = rs_source_count(s, (enum rs_split)sp);
                verify(s, (enum rs_split)sp, n, &lk[sp], &lk[1 - sp], &t);
                char *what = rs_xasprintf("downsample %d, %s, %s", ds,
                                          v == 0 ? "4 words"
                                                 : "1..3 words + 2 distractors",
                                          sp == 0 ? "train" : "test");
                report(&t, n, what);
                if (v == 1)
                    tap_ok(t.nw_seen[1] > 0 && t.nw_seen[2] > 0 &&
                               t.nw_seen[3] > 0 && t.nw_seen[4] == 0,
                           "%s: 1, 2 and 3 class words all occur (%d %d %d)",
                           what, t.nw_seen[1], t.nw_seen[2], t.nw_seen[3]);
                free(what);
            }
            if (v == 0 && ds == 2) {
                struct rs_imgtext_dims d;
                rs_source_imgtext_dims(s, &d);
                tap_ok(d.side == 28 && d.patch_side == 7 &&
                           d.patch_pixels == 49 && d.patches == 16,
                       "downsample 2: a 28x28 image, 16 patches of 7x7");
            }
            rs_source_release(s);
        }
        /* grids 1 and 3 */
        for (int grid = 1; grid <= 3; grid += 2) {
            rs_source *s = make(dir, grid, ds, 0, 0, 1, 50, 20, 3, &err);
            if (s == NULL)
                tap_bail("%s", err.msg);
            struct rs_imgtext_dims d;
            rs_source_imgtext_dims(s, &d);
            struct tally t;
            verify(s, RS_SPLIT_TEST, 20, &lk[1], &lk[0], &t);
            int P = 4 * grid * grid;
            tap_ok(d.patches == P && d.side == grid * 28 / ds &&
                       d.len == grid * grid + 1 && t.composites == 20 &&
                       t.found == t.cells && t.label_ok == t.cells &&
                       t.other_split == 0 && t.distinct_ok == 20 &&
                       t.caption_ok == 20 && t.image_ok == 20,
                   "grid %d, downsample %d: %d patches, the truth from the "
                   "pixels holds on 20 test composites",
                   grid, ds, P);
            rs_source_release(s);
        }
        lookup_fini(&lk[0]);
        lookup_fini(&lk[1]);
        rs_data_fmnist_free(fm);
    }
}

/* chi-square of a (rows, cols) table of counts against independence */
static double
chi2(const long *tab, int rows, int cols)
{
    double tot = 0, chi = 0;
    double rs[16] = {0}, cs[16] = {0};
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            rs[r] += (double)tab[r * cols + c];
            cs[c] += (double)tab[r * cols + c];
            tot += (double)tab[r * cols + c];
        }
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            double want = rs[r] * cs[c] / tot;
            double dlt = (double)tab[r * cols + c] - want;
            chi += dlt * dlt / want;
        }
    return chi;
}

static void
test_order(const char *dir)
{
    struct rs_error err = {0};
    int n = 20000;
    rs_source *s = make(dir, 2, 1, 0, 0, 0, n, 100, 11, &err);
    if (s == NULL)
        tap_bail("%s", err.msg);
    int *wi = rs_xmalloc((size_t)n * 4 * sizeof *wi);
    int *pc = rs_xmalloc((size_t)n * 16 * sizeof *pc);
    if (rs_source_imgtext_word_item(s, RS_SPLIT_TRAIN, NULL, n, wi, &err) !=
            RS_OK ||
        rs_source_imgtext_patch_classes(s, RS_SPLIT_TRAIN, NULL, n, pc, &err) !=
            RS_OK)
        tap_bail("%s", err.msg);
    long perm[256] = {0}, pos_item[16] = {0}, item_class[40] = {0};
    for (int e = 0; e < n; e++) {
        int code = 0;
        for (int j = 0; j < 4; j++) {
            code = code * 4 + wi[e * 4 + j];
            pos_item[j * 4 + wi[e * 4 + j]]++;
        }
        perm[code]++;
        for (int k = 0; k < 4; k++)
            item_class[k * 10 + pc[e * 16 + (k / 2) * 8 + (k % 2) * 2]]++;
    }
    int distinct = 0;
    long lo = n, hi = 0;
    for (int c = 0; c < 256; c++) {
        if (perm[c] == 0)
            continue;
        distinct++;
        lo = perm[c] < lo ? perm[c] : lo;
        hi = perm[c] > hi ? perm[c] : hi;
    }
    /* 24 orders of about 833 each: sd 28, so +-20% is 6 sd */
    tap_ok(distinct == 24 && lo > 0.8 * n / 24 && hi < 1.2 * n / 24,
           "20000 captions: all 24 orders of the 4 items appear, each "
           "%ld..%ld times (expected %d)",
           lo, hi, n / 24);
    double c_pos = chi2(pos_item, 4, 4);
    long guess = 0;
    for (int j = 0; j < 4; j++) {
        long best = 0;
        for (int k = 0; k < 4; k++)
            best = pos_item[j * 4 + k] > best ? pos_item[j * 4 + k] : best;
        guess += best;
    }
    /* chi-square with 9 degrees of freedom: 27.9 is p = 0.001 */
    /* guessing each position's likeliest quadrant */
    double acc = (double)guess / (4.0 * n);
    tap_ok(c_pos < 27.9 && acc < 0.26,
           "position in the caption does not predict the quadrant: chi2 "
           "%.1f (9 dof), best guess right %.4f (chance 0.25)",
           c_pos, acc);
    double c_cls = chi2(item_class, 4, 10);
    /* 27 degrees of freedom: 55.5 is p = 0.001 */
    tap_ok(c_cls < 55.5,
           "nor does the class: quadrant x class chi2 %.1f "
           "(27 dof)",
           c_cls);
    free(wi);
    free(pc);
    rs_source_release(s);

    /* with 2 distractors (L = 6), the words are mixed: each position holds
     * a distractor a third of the time */
    s = make(dir, 2, 1, 0, 0, 2, n, 100, 12, &err);
    if (s == NULL)
        tap_bail("%s", err.msg);
    wi = rs_xmalloc((size_t)n * 6 * sizeof *wi);
    if (rs_source_imgtext_word_item(s, RS_SPLIT_TRAIN, NULL, n, wi, &err) !=
        RS_OK)
        tap_bail("%s", err.msg);
    long dpos[12] = {0}; /* (position, distractor?) */
    for (int e = 0; e < n; e++)
        for (int j = 0; j < 6; j++)
            dpos[j * 2 + (wi[e * 6 + j] < 0)]++;
    double c_d = chi2(dpos, 6, 2);
    /* 5 degrees of freedom: 20.5 is p = 0.001 */
    tap_ok(c_d < 20.5 && dpos[1] > n / 4 && dpos[11] > n / 4,
           "distractors are shuffled in: position x distractor chi2 %.1f "
           "(5 dof), first word a distractor %ld times, last %ld (of %d)",
           c_d, dpos[1], dpos[11], n);
    free(wi);
    rs_source_release(s);
}

/* Fetch count examples of each split of a and b and compare. */
static bool
same_examples(const rs_source *a, const rs_source *b, enum rs_split split,
              int n)
{
    struct rs_batch x, y;
    rs_batch_init(&x);
    rs_batch_init(&y);
    bool same = rs_source_fetch(a, split, NULL, n, &x, NULL) == RS_OK &&
                rs_source_fetch(b, split, NULL, n, &y, NULL) == RS_OK &&
                x.in[0].width == y.in[0].width &&
                x.in[1].width == y.in[1].width &&
                memcmp(x.in[0].x, y.in[0].x,
                       (size_t)n * x.in[0].width * sizeof(float)) == 0 &&
                memcmp(x.in[1].ids, y.in[1].ids,
                       (size_t)n * x.in[1].width * sizeof(int)) == 0;
    rs_batch_fini(&x);
    rs_batch_fini(&y);
    return same;
}

static void
test_determinism(const char *dir)
{
    struct rs_error err = {0};
    rs_source *a = make(dir, 2, 1, 3, 1, 2, 300, 100, 5, &err);
    rs_source *b = make(dir, 2, 1, 3, 1, 2, 300, 100, 5, &err);
    rs_source *c = make(dir, 2, 1, 3, 1, 2, 300, 100, 6, &err);
    rs_source *p = make(dir, 2, 1, 3, 1, 2, 40, 100, 5, &err);
    rs_source *q = make(dir, 2, 1, 3, 1, 2, 300, 30, 5, &err);
    if (a == NULL || b == NULL || c == NULL || p == NULL || q == NULL)
        tap_bail("%s", err.msg);
    tap_ok(same_examples(a, b, RS_SPLIT_TRAIN, 300) &&
               same_examples(a, b, RS_SPLIT_TEST, 100),
           "the same seed gives the same composites and captions");
    tap_ok(!same_examples(a, c, RS_SPLIT_TRAIN, 300) &&
               !same_examples(a, c, RS_SPLIT_TEST, 100),
           "another seed gives others");
    tap_ok(rs_source_fingerprint(a) == rs_source_fingerprint(b) &&
               rs_source_fingerprint(a) != rs_source_fingerprint(c),
           "fingerprints follow the seed");
    tap_ok(same_examples(a, p, RS_SPLIT_TRAIN, 40) &&
               same_examples(a, p, RS_SPLIT_TEST, 100),
           "train_n 40: the first 40 composites of train_n 300, the same "
           "test split");
    tap_ok(same_examples(a, q, RS_SPLIT_TRAIN, 300) &&
               same_examples(a, q, RS_SPLIT_TEST, 30),
           "test_n 30: the same train split, the first 30 test composites");
    rs_source_release(a);
    rs_source_release(b);
    rs_source_release(c);
    rs_source_release(p);
    rs_source_release(q);
}

static void
expect_error(const char *dir, int grid, int ds, int words, int min_words,
             int distractors, int train_n, int test_n, int code,
             const char *want)
{
    struct rs_error err = {0};
    rs_source *s = make(dir, grid, ds, words, min_words, distractors, train_n,
                        test_n, 1, &err);
    tap_ok(s == NULL && err.code == code && strstr(err.msg, want) != NULL,
           "refused: %s (%s)", want, s == NULL ? err.msg : "accepted");
    rs_source_release(s);
}

static void
test_errors(const char *dir, const char *three)
{
    expect_error(dir, 0, 1, 0, 0, 0, 10, 10, RS_EINVAL,
                 "grid = 0 (must be 1..3: a composite's items have "
                 "distinct classes, Fashion-MNIST has 10)");
    expect_error(dir, 4, 1, 0, 0, 0, 10, 10, RS_EINVAL, "grid = 4");
    expect_error(dir, 2, 3, 0, 0, 0, 10, 10, RS_EINVAL,
                 "downsample = 3 (must be 1 or 2)");
    expect_error(dir, 2, 1, 5, 0, 0, 10, 10, RS_EINVAL,
                 "words = 5 (must be 1..4, the items of a 2x2 grid; 0 = "
                 "all)");
    expect_error(dir, 2, 1, -1, 0, 0, 10, 10, RS_EINVAL, "words = -1");
    expect_error(dir, 2, 1, 2, 3, 0, 10, 10, RS_EINVAL,
                 "min_words = 3 (must be 1..words = 2; 0 = words)");
    expect_error(dir, 2, 1, 0, 0, 17, 10, 10, RS_EINVAL,
                 "distractors = 17 (must be 0..16)");
    expect_error(dir, 2, 1, 0, 0, -1, 10, 10, RS_EINVAL, "distractors = -1");
    expect_error(dir, 2, 1, 0, 0, 0, 0, 10, RS_EINVAL,
                 "train_n = 0 (must be 1..1000000)");
    expect_error(dir, 2, 1, 0, 0, 0, 10, 1000001, RS_EINVAL,
                 "test_n = 1000001");
    expect_error("/nonexistent/fmnist", 2, 1, 0, 0, 0, 10, 10, RS_EIO,
                 "Fashion-MNIST not found in /nonexistent/fmnist (Debian: "
                 "apt-get install dataset-fashion-mnist");
    char *msg = rs_xasprintf("the test split of Fashion-MNIST in %s has 3 "
                             "classes, but a 2x2 composite needs 4 distinct "
                             "ones",
                             three);
    expect_error(three, 2, 1, 0, 0, 0, 10, 10, RS_EINVAL, msg);
    free(msg);
    struct rs_error err = {0};
    rs_source *s = make(three, 1, 1, 0, 0, 0, 10, 10, 1, &err);
    tap_ok(s != NULL, "3 test classes are enough for grid 1 (%s)",
           s != NULL ? "ok" : err.msg);
    rs_source_release(s);

    /* the truth queries check their source and indices */
    s = make(dir, 2, 1, 0, 0, 0, 10, 5, 1, &err);
    int out[64];
    int bad = 5;
    int rc =
        rs_source_imgtext_patch_classes(s, RS_SPLIT_TEST, &bad, 1, out, &err);
    tap_ok(rc == RS_EINVAL &&
               strcmp(err.msg, "composite 5 outside 0..4 of the test split") ==
                   0,
           "patch_classes of composite 5 of 5: %s", err.msg);
    rc = rs_source_imgtext_word_item(s, RS_SPLIT_TRAIN, NULL, 11, out, &err);
    tap_ok(rc == RS_EINVAL &&
               strcmp(err.msg,
                      "11 composites of the train split (it has 10)") == 0,
           "word_item of 11 of 10: %s", err.msg);
    rc = rs_source_imgtext_image(s, RS_SPLIT_TRAIN, -1, NULL, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "composite -1 outside") != NULL,
           "image of composite -1: %s", err.msg);
    rs_source *z = rs_source_zip(s, s, &err);
    tap_ok(z == NULL, "zip refuses a two-input source");
    int ids[2] = {1, 2};
    rs_source *corp = rs_source_corpus(ids, 2, 3, 1, 0.0, &err);
    rc = rs_source_imgtext_caption(corp, RS_SPLIT_TRAIN, NULL, 1, out, &err);
    tap_ok(rc == RS_EINVAL && rs_source_imgtext_config(corp) == NULL &&
               strcmp(err.msg, "a corpus source is not an imgtext source") == 0,
           "a corpus source: %s", err.msg);
    rs_source_release(corp);
    rs_source_release(s);
}

/* ---- the real files ----------------------------------------------------- */

static void
test_real(void)
{
    const char *dir = RS_DATA_FMNIST_DIR;
    char *probe = rs_xasprintf("%s/train-images-idx3-ubyte.gz", dir);
    struct stat st;
    bool have = stat(probe, &st) == 0;
    free(probe);
    if (!have) {
        tap_skip(14,
                 "%s not installed (apt-get install "
                 "dataset-fashion-mnist)",
                 dir);
        return;
    }
    unsetenv(RS_DATA_FMNIST_ENV);
    struct rs_error err = {0};
    double t0 = rs_time_now();
    rs_data_fmnist *fm = load_fmnist(NULL, 1);
    double t1 = rs_time_now();
    rs_source *s = make(NULL, 2, 1, 0, 0, 0, 20000, 1000, 1, &err);
    double t2 = rs_time_now();
    tap_ok(s != NULL && rs_source_count(s, RS_SPLIT_TRAIN) == 20000 &&
               rs_source_count(s, RS_SPLIT_TEST) == 1000,
           "the Debian files: 20000 train and 1000 test composites (%s)",
           s != NULL ? "ok" : err.msg);
    tap_diag("reading Fashion-MNIST: %.3f s; rs_source_imgtext (train_n "
             "20000, test_n 1000, reads it too): %.3f s",
             t1 - t0, t2 - t1);
    if (s == NULL) {
        tap_skip(13, "no source");
        rs_data_fmnist_free(fm);
        return;
    }
    struct rs_batch b;
    rs_batch_init(&b);
    int idx[256];
    for (int i = 0; i < 256; i++)
        idx[i] = (i * 7919) % 20000;
    t0 = rs_time_now();
    for (int rep = 0; rep < 10; rep++)
        if (rs_source_fetch(s, RS_SPLIT_TRAIN, idx, 256, &b, &err) != RS_OK)
            break;
    t1 = rs_time_now();
    tap_diag("fetch of 256 composites: %.2f ms", (t1 - t0) / 10 * 1e3);
    rs_batch_fini(&b);
    struct lookup lk[2];
    lookup_init(&lk[0], fm, RS_SPLIT_TRAIN);
    lookup_init(&lk[1], fm, RS_SPLIT_TEST);
    struct tally t;
    verify(s, RS_SPLIT_TRAIN, 2000, &lk[0], &lk[1], &t);
    report(&t, 2000, "real, train");
    verify(s, RS_SPLIT_TEST, 1000, &lk[1], &lk[0], &t);
    report(&t, 1000, "real, test");
    /* the items' example indices: in range of their split, classes the
     * file's */
    int cls[4 * 1000], ex[4 * 1000];
    bool ok = rs_source_imgtext_items(s, RS_SPLIT_TEST, NULL, 1000, cls, ex,
                                      &err) == RS_OK;
    const int *y = rs_data_fmnist_labels(fm, RS_SPLIT_TEST);
    for (int i = 0; ok && i < 4000; i++)
        ok = ex[i] >= 0 && ex[i] < 10000 && y[ex[i]] == cls[i];
    tap_ok(ok, "real: items() gives test-file indices and their classes");
    lookup_fini(&lk[0]);
    lookup_fini(&lk[1]);
    rs_source_release(s);
    rs_data_fmnist_free(fm);
}

int
main(void)
{
    tap_plan_lazy();
    char *tmp = tap_tmpdir("imgtext");
    char *dir = rs_xasprintf("%s/fixture", tmp);
    char *three = rs_xasprintf("%s/three", tmp);
    write_fixture(dir, 10);
    write_fixture(three, 3);
    test_layout(dir);
    test_truth(dir);
    test_order(dir);
    test_determinism(dir);
    test_errors(dir, three);
    test_real();
    free(three);
    free(dir);
    free(tmp);
    return tap_done();
}
