/* repscope - MIT licence, see COPYING.
 *
 * source_imgtext.c: Fashion-MNIST composites with class-word captions
 * (see source_imgtext.h). The source owns one rs_data_fmnist (both splits
 * whole, at the chosen downsample) and, per split, the composites drawn at
 * creation: each item's example index and each caption position's word id
 * and named item. Fetch copies the items' pixels into the patch-major
 * layout; nothing is allocated after creation. Immutable after creation;
 * worker thread only.
 */
#include "config.h"

#include "data/source_imgtext.h"

#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "data/fmnist.h"

static const char *const words[RS_IMGTEXT_VOCAB] = {
    "<pad>", "t-shirt", "trouser", "pullover", "dress", "coat",    "sandal",
    "shirt", "sneaker", "bag",     "boot",     "a",     "the",     "photo",
    "of",    "and",     "with",    "an",       "image", "picture", "some",
};

struct split {
    int n;
    int *item;      /* (n, items): index into the Fashion-MNIST split */
    int *ids;       /* (n, L) caption word ids */
    int *word_item; /* (n, L) named item, -1 for distractors and pads */
};

struct imgtext {
    struct rs_imgtext_config cfg; /* cfg.dir borrowed from fm's config */
    struct rs_imgtext_dims dims;
    rs_data_fmnist *fm;
    struct split sp[2];
};

static void imgtext_destroy(void *impl);

/* ---- the source class -------------------------------------------------- */

static void
imgtext_info(const void *impl, struct rs_source_info *out)
{
    const struct imgtext *t = impl;
    out->ninputs = 2;
    out->kind[0] = RS_NN_INPUT_FEATURES;
    out->width[0] = t->dims.patches * t->dims.patch_pixels;
    out->vocab[0] = 0;
    out->kind[1] = RS_NN_INPUT_TOKENS;
    out->width[1] = t->dims.len;
    out->vocab[1] = RS_IMGTEXT_VOCAB;
    out->classes = 0;
}

static int
imgtext_count(const void *impl, enum rs_split split)
{
    const struct imgtext *t = impl;
    return t->sp[split].n;
}

/* Composite j of split into x (P * patch_pixels, patch-major). An item's
 * cell (gr, gc) holds patches (2 gr + a, 2 gc + b), a, b in {0, 1}; row r
 * of patch (a, b) is row a * ps + r of the item from column b * ps. */
static void
render_patches(const struct imgtext *t, enum rs_split split, int j, float *x)
{
    const struct rs_imgtext_dims *d = &t->dims;
    int is = d->item_side, ps = d->patch_side, pp = d->patch_pixels;
    float buf[RS_DATA_FMNIST_SIDE * RS_DATA_FMNIST_SIDE];
    const int *item = t->sp[split].item + (size_t)j * (size_t)d->items;
    for (int k = 0; k < d->items; k++) {
        rs_data_fmnist_batch(t->fm, split, &item[k], 1, buf, NULL);
        int gr = k / t->cfg.grid, gc = k % t->cfg.grid;
        for (int a = 0; a < 2; a++) {
            for (int b = 0; b < 2; b++) {
                int p = (2 * gr + a) * d->patch_grid + 2 * gc + b;
                float *dst = x + (size_t)p * (size_t)pp;
                const float *src = buf + (size_t)a * ps * is + (size_t)b * ps;
                for (int r = 0; r < ps; r++)
                    memcpy(dst + (size_t)r * ps, src + (size_t)r * is,
                           (size_t)ps * sizeof *dst);
            }
        }
    }
}

static int
imgtext_fetch(const void *impl, enum rs_split split, const int *idx, int n,
              struct rs_batch *b, struct rs_error *err)
{
    const struct imgtext *t = impl;
    const struct rs_imgtext_dims *d = &t->dims;
    int w = d->patches * d->patch_pixels, L = d->len;
    int rc = rs_batch_reserve(b, 0, RS_NN_INPUT_FEATURES, n, w, false, err);
    if (rc == RS_OK)
        rc = rs_batch_reserve(b, 1, RS_NN_INPUT_TOKENS, n, L, false, err);
    if (rc != RS_OK)
        return rc;
    const struct split *sp = &t->sp[split];
    for (int i = 0; i < n; i++) {
        int j = idx != NULL ? idx[i] : i;
        render_patches(t, split, j, b->in[0].x + (size_t)i * (size_t)w);
        memcpy(b->in[1].ids + (size_t)i * (size_t)L,
               sp->ids + (size_t)j * (size_t)L, (size_t)L * sizeof(int));
    }
    return RS_OK;
}

static const struct rs_source_class imgtext_class = {
    .kind = "imgtext",
    .info = imgtext_info,
    .count = imgtext_count,
    .fetch = imgtext_fetch,
    .destroy = imgtext_destroy,
};

static void
imgtext_destroy(void *impl)
{
    struct imgtext *t = impl;
    for (int s = 0; s < 2; s++) {
        free(t->sp[s].item);
        free(t->sp[s].ids);
        free(t->sp[s].word_item);
    }
    rs_data_fmnist_free(t->fm);
    free(t);
}

/* ---- creation ---------------------------------------------------------- */

void
rs_source_imgtext_defaults(struct rs_imgtext_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->grid = 2;
    cfg->downsample = 1;
    cfg->train_n = 20000;
    cfg->test_n = 1000;
    cfg->seed = 1;
}

/* Check c and resolve words and min_words (0: the largest / words). */
static int
check_config(struct rs_imgtext_config *c, struct rs_error *err)
{
    if (c->grid < 1 || c->grid > RS_IMGTEXT_MAX_GRID)
        return rs_error_set(err, RS_EINVAL,
                            "grid = %d (must be 1..%d: a composite's items "
                            "have distinct classes, Fashion-MNIST has 10)",
                            c->grid, RS_IMGTEXT_MAX_GRID);
    if (c->downsample != 1 && c->downsample != 2)
        return rs_error_set(err, RS_EINVAL, "downsample = %d (must be 1 or 2)",
                            c->downsample);
    int items = c->grid * c->grid;
    if (c->words == 0)
        c->words = items;
    if (c->words < 1 || c->words > items)
        return rs_error_set(err, RS_EINVAL,
                            "words = %d (must be 1..%d, the items of a %dx%d "
                            "grid; 0 = all)",
                            c->words, items, c->grid, c->grid);
    if (c->min_words == 0)
        c->min_words = c->words;
    if (c->min_words < 1 || c->min_words > c->words)
        return rs_error_set(err, RS_EINVAL,
                            "min_words = %d (must be 1..words = %d; 0 = "
                            "words)",
                            c->min_words, c->words);
    if (c->distractors < 0 || c->distractors > RS_IMGTEXT_MAX_DISTRACTORS)
        return rs_error_set(err, RS_EINVAL, "distractors = %d (must be 0..%d)",
                            c->distractors, RS_IMGTEXT_MAX_DISTRACTORS);
    const int n[2] = {c->train_n, c->test_n};
    for (int s = 0; s < 2; s++)
        if (n[s] < 1 || n[s] > RS_IMGTEXT_MAX_N)
            return rs_error_set(err, RS_EINVAL, "%s = %d (must be 1..%d)",
                                s == 0 ? "train_n" : "test_n", n[s],
                                RS_IMGTEXT_MAX_N);
    return RS_OK;
}

/* The examples of each class of a split: CSR over the labels. */
struct by_class {
    int start[RS_DATA_FMNIST_CLASSES + 1];
    int *ex; /* (count) example indices grouped by class */
    int avail[RS_DATA_FMNIST_CLASSES], navail; /* classes with examples */
};

static void
group_by_class(const rs_data_fmnist *fm, enum rs_split split,
               struct by_class *bc)
{
    int count = rs_data_fmnist_count(fm, split);
    const int *y = rs_data_fmnist_labels(fm, split);
    int fill[RS_DATA_FMNIST_CLASSES] = {0};
    memset(bc->start, 0, sizeof bc->start);
    for (int i = 0; i < count; i++)
        bc->start[y[i] + 1]++;
    bc->navail = 0;
    for (int c = 0; c < RS_DATA_FMNIST_CLASSES; c++) {
        if (bc->start[c + 1] > 0)
            bc->avail[bc->navail++] = c;
        bc->start[c + 1] += bc->start[c];
    }
    bc->ex = rs_xmalloc((size_t)(count > 0 ? count : 1) * sizeof *bc->ex);
    for (int i = 0; i < count; i++)
        bc->ex[bc->start[y[i]] + fill[y[i]]++] = i;
}

/* Draw the n composites of a split from rng (the order of draws below is
 * the format: changing it changes every composite of every seed). Per
 * composite: the items' classes (a partial shuffle of the available
 * classes), one example of each class, the number of class words, which
 * items they name (a partial shuffle of the items), the distractor
 * words, then a shuffle of the caption's words. */
static void
draw_split(struct imgtext *t, const struct by_class *bc, struct rs_rng *rng,
           struct split *sp, int n)
{
    const struct rs_imgtext_config *c = &t->cfg;
    int items = t->dims.items, L = t->dims.len;
    sp->n = n;
    sp->item = rs_xreallocarray(NULL, (size_t)n * (size_t)items, sizeof(int));
    sp->ids = rs_xreallocarray(NULL, (size_t)n * (size_t)L, sizeof(int));
    sp->word_item = rs_xreallocarray(NULL, (size_t)n * (size_t)L, sizeof(int));
    int cls[RS_DATA_FMNIST_CLASSES],
        order[RS_IMGTEXT_MAX_GRID * RS_IMGTEXT_MAX_GRID];
    int wid[RS_IMGTEXT_MAX_GRID * RS_IMGTEXT_MAX_GRID +
            RS_IMGTEXT_MAX_DISTRACTORS];
    int wit[RS_IMGTEXT_MAX_GRID * RS_IMGTEXT_MAX_GRID +
            RS_IMGTEXT_MAX_DISTRACTORS];
    for (int e = 0; e < n; e++) {
        int *item = sp->item + (size_t)e * (size_t)items;
        memcpy(cls, bc->avail, (size_t)bc->navail * sizeof *cls);
        for (int k = 0; k < items; k++) {
            int r = k + (int)rs_rng_below(rng, (uint32_t)(bc->navail - k));
            int tmp = cls[k];
            cls[k] = cls[r];
            cls[r] = tmp;
            int lo = bc->start[cls[k]], m = bc->start[cls[k] + 1] - lo;
            item[k] = bc->ex[lo + (int)rs_rng_below(rng, (uint32_t)m)];
        }
        int nw =
            c->min_words +
            (int)rs_rng_below(rng, (uint32_t)(c->words - c->min_words + 1));
        for (int k = 0; k < items; k++)
            order[k] = k;
        int len = 0;
        for (int k = 0; k < nw; k++) {
            int r = k + (int)rs_rng_below(rng, (uint32_t)(items - k));
            int tmp = order[k];
            order[k] = order[r];
            order[r] = tmp;
            wid[len] = RS_IMGTEXT_CLASS0 + cls[order[k]];
            wit[len++] = order[k];
        }
        for (int k = 0; k < c->distractors; k++) {
            wid[len] = RS_IMGTEXT_DISTRACTOR0 +
                       (int)rs_rng_below(rng, RS_IMGTEXT_DISTRACTOR_WORDS);
            wit[len++] = -1;
        }
        int *ids = sp->ids + (size_t)e * (size_t)L;
        int *wi = sp->word_item + (size_t)e * (size_t)L;
        for (int k = len - 1; k > 0; k--) { /* Fisher-Yates, both arrays */
            int r = (int)rs_rng_below(rng, (uint32_t)(k + 1));
            int a = wid[k], b = wit[k];
            wid[k] = wid[r];
            wit[k] = wit[r];
            wid[r] = a;
            wit[r] = b;
        }
        for (int k = 0; k < L; k++) {
            ids[k] = k < len ? wid[k] : RS_IMGTEXT_PAD;
            wi[k] = k < len ? wit[k] : -1;
        }
    }
}

rs_source *
rs_source_imgtext(const struct rs_imgtext_config *cfg, struct rs_error *err)
{
    struct rs_imgtext_config c = *cfg;
    if (check_config(&c, err) != RS_OK)
        return NULL;
    struct rs_data_fmnist_config fc = {
        .dir = c.dir,
        .downsample = c.downsample,
        .subset = RS_DATA_FMNIST_SUBSET_FIRST,
        .norm = RS_DATA_FMNIST_NORM_UNIT,
        .seed = c.seed,
    };
    rs_data_fmnist *fm = rs_data_fmnist_new(&fc, err);
    if (fm == NULL)
        return NULL;
    int items = c.grid * c.grid;
    struct by_class bc[2];
    for (int s = 0; s < 2; s++)
        group_by_class(fm, (enum rs_split)s, &bc[s]);
    for (int s = 0; s < 2; s++) {
        if (bc[s].navail < items) {
            rs_error_set(err, RS_EINVAL,
                         "the %s split of Fashion-MNIST in %s has %d "
                         "classes, but a %dx%d composite needs %d distinct "
                         "ones",
                         rs_dataset_split_name((enum rs_split)s),
                         rs_data_fmnist_config(fm)->dir, bc[s].navail, c.grid,
                         c.grid, items);
            free(bc[0].ex);
            free(bc[1].ex);
            rs_data_fmnist_free(fm);
            return NULL;
        }
    }
    struct imgtext *t = rs_xcalloc(1, sizeof *t);
    t->fm = fm;
    t->cfg = c;
    t->cfg.dir = rs_data_fmnist_config(fm)->dir;
    struct rs_imgtext_dims *d = &t->dims;
    d->items = items;
    d->item_side = RS_DATA_FMNIST_SIDE / c.downsample;
    d->side = c.grid * d->item_side;
    d->patch_side = d->item_side / 2;
    d->patch_pixels = d->patch_side * d->patch_side;
    d->patch_grid = 2 * c.grid;
    d->patches = d->patch_grid * d->patch_grid;
    d->len = c.words + c.distractors;
    d->vocab = RS_IMGTEXT_VOCAB;
    struct rs_rng rng[2];
    rs_rng_seed(&rng[RS_SPLIT_TRAIN], c.seed);
    rs_rng_split(&rng[RS_SPLIT_TRAIN], &rng[RS_SPLIT_TEST]);
    const int n[2] = {c.train_n, c.test_n};
    for (int s = 0; s < 2; s++) {
        draw_split(t, &bc[s], &rng[s], &t->sp[s], n[s]);
        free(bc[s].ex);
    }
    return rs_source_new(&imgtext_class, t);
}

/* ---- queries ----------------------------------------------------------- */

const struct rs_imgtext_config *
rs_source_imgtext_config(const rs_source *s)
{
    if (rs_source_class(s) != &imgtext_class)
        return NULL;
    const struct imgtext *t = rs_source_impl(s);
    return &t->cfg;
}

void
rs_source_imgtext_dims(const rs_source *s, struct rs_imgtext_dims *out)
{
    RS_ASSERT(rs_source_class(s) == &imgtext_class);
    const struct imgtext *t = rs_source_impl(s);
    *out = t->dims;
}

int
rs_source_imgtext_patch_item(int grid, int p)
{
    int pg = 2 * grid;
    RS_ASSERT(grid >= 1 && p >= 0 && p < pg * pg);
    return (p / pg / 2) * grid + (p % pg) / 2;
}

const char *
rs_source_imgtext_word(int id)
{
    if (id < 0 || id >= RS_IMGTEXT_VOCAB)
        return NULL;
    return words[id];
}

/* The impl of s after checking it is an imgtext source and idx[0..n)
 * (NULL: 0..n-1) are composites of split; NULL + err otherwise. */
static const struct imgtext *
checked(const rs_source *s, enum rs_split split, const int *idx, int n,
        struct rs_error *err)
{
    if (rs_source_class(s) != &imgtext_class) {
        rs_error_set(err, RS_EINVAL, "a %s source is not an imgtext source",
                     rs_source_kind(s));
        return NULL;
    }
    const struct imgtext *t = rs_source_impl(s);
    int count = t->sp[split].n;
    if (n < 0 || (idx == NULL && n > count)) {
        rs_error_set(err, RS_EINVAL,
                     "%d composites of the %s split (it has %d)", n,
                     rs_dataset_split_name(split), count);
        return NULL;
    }
    for (int i = 0; idx != NULL && i < n; i++)
        if (idx[i] < 0 || idx[i] >= count) {
            rs_error_set(err, RS_EINVAL,
                         "composite %d outside 0..%d of the %s split", idx[i],
                         count - 1, rs_dataset_split_name(split));
            return NULL;
        }
    return t;
}

int
rs_source_imgtext_patch_classes(const rs_source *s, enum rs_split split,
                                const int *idx, int n, int *out,
                                struct rs_error *err)
{
    const struct imgtext *t = checked(s, split, idx, n, err);
    if (t == NULL)
        return RS_EINVAL;
    const struct rs_imgtext_dims *d = &t->dims;
    const int *y = rs_data_fmnist_labels(t->fm, split);
    for (int i = 0; i < n; i++) {
        int j = idx != NULL ? idx[i] : i;
        const int *item = t->sp[split].item + (size_t)j * (size_t)d->items;
        for (int p = 0; p < d->patches; p++)
            out[(size_t)i * (size_t)d->patches + (size_t)p] =
                y[item[rs_source_imgtext_patch_item(t->cfg.grid, p)]];
    }
    return RS_OK;
}

/* Copy rows idx[0..n) of a (count, width) table into out (n, width). */
static void
gather(const int *table, int width, const int *idx, int n, int *out)
{
    for (int i = 0; i < n; i++) {
        int j = idx != NULL ? idx[i] : i;
        memcpy(out + (size_t)i * (size_t)width,
               table + (size_t)j * (size_t)width, (size_t)width * sizeof *out);
    }
}

int
rs_source_imgtext_word_item(const rs_source *s, enum rs_split split,
                            const int *idx, int n, int *out,
                            struct rs_error *err)
{
    const struct imgtext *t = checked(s, split, idx, n, err);
    if (t == NULL)
        return RS_EINVAL;
    gather(t->sp[split].word_item, t->dims.len, idx, n, out);
    return RS_OK;
}

int
rs_source_imgtext_caption(const rs_source *s, enum rs_split split,
                          const int *idx, int n, int *out, struct rs_error *err)
{
    const struct imgtext *t = checked(s, split, idx, n, err);
    if (t == NULL)
        return RS_EINVAL;
    gather(t->sp[split].ids, t->dims.len, idx, n, out);
    return RS_OK;
}

int
rs_source_imgtext_items(const rs_source *s, enum rs_split split, const int *idx,
                        int n, int *cls, int *example, struct rs_error *err)
{
    const struct imgtext *t = checked(s, split, idx, n, err);
    if (t == NULL)
        return RS_EINVAL;
    int items = t->dims.items;
    const int *y = rs_data_fmnist_labels(t->fm, split);
    for (int i = 0; i < n; i++) {
        int j = idx != NULL ? idx[i] : i;
        for (int k = 0; k < items; k++) {
            size_t o = (size_t)i * (size_t)items + (size_t)k;
            int ex = t->sp[split].item[(size_t)j * (size_t)items + (size_t)k];
            if (cls != NULL)
                cls[o] = y[ex];
            if (example != NULL)
                example[o] = ex;
        }
    }
    return RS_OK;
}

int
rs_source_imgtext_image(const rs_source *s, enum rs_split split, int i,
                        float *out, struct rs_error *err)
{
    const struct imgtext *t = checked(s, split, &i, 1, err);
    if (t == NULL)
        return RS_EINVAL;
    const struct rs_imgtext_dims *d = &t->dims;
    int is = d->item_side;
    float buf[RS_DATA_FMNIST_SIDE * RS_DATA_FMNIST_SIDE];
    const int *item = t->sp[split].item + (size_t)i * (size_t)d->items;
    for (int k = 0; k < d->items; k++) {
        rs_data_fmnist_batch(t->fm, split, &item[k], 1, buf, NULL);
        int r0 = (k / t->cfg.grid) * is, c0 = (k % t->cfg.grid) * is;
        for (int r = 0; r < is; r++)
            memcpy(out + (size_t)(r0 + r) * (size_t)d->side + (size_t)c0,
                   buf + (size_t)r * is, (size_t)is * sizeof *out);
    }
    return RS_OK;
}
