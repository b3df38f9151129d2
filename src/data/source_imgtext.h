/* repscope - MIT licence, see COPYING.
 *
 * source_imgtext.h: composite images of Fashion-MNIST items with captions
 * of their class words, a finite unlabelled source of paired inputs for
 * image-text contrastive learning (CLIP, "Learning Transferable Visual
 * Models From Natural Language Supervision", arXiv 2103.00020; SPARC,
 * "Improving fine-grained understanding in image-text pre-training",
 * arXiv 2401.09865).
 *
 * A composite is a grid x grid arrangement of items of DISTINCT classes,
 * each an item of data/fmnist.h (28x28, or 14x14 with downsample 2), so
 * the image is (grid * item_side) square. It is cut into patches of half
 * an item's side (14x14 or 7x7): P = (2 grid)^2 patches, row-major over
 * the image, each item covering the 2x2 patches of its grid cell. The
 * default 2x2 grid gives a 56x56 image and P = 16.
 *
 * Input 0 (FEATURES, width P * patch_pixels) is the image patch-major:
 * example e, patch p, pixel q (row-major in the patch) at
 * x[e * W + p * patch_pixels + q], so a (B, P, patch_pixels) view is a
 * reshape. Pixels are Fashion-MNIST's pixel / 255 (2x2 means with
 * downsample 2), bit for bit what rs_data_fmnist_batch gives.
 * Input 1 (TOKENS, width L = words + distractors) is the caption: word ids
 * (RS_IMGTEXT_*: 0 pad, 1 + c the class word of class c, then the
 * distractor words), the class words of between min_words and words of
 * the items (a random subset) and `distractors` distractor words (drawn
 * with replacement), all in a random order, then pads up to L. Padding is
 * only at the end; a caption has at least one class word.
 * No labels (classes 0): per-patch truth is in patch_classes, for
 * evaluation only.
 *
 * Train composites use the Fashion-MNIST train split, test composites the
 * test split. Composites are drawn once at creation from seed (the test
 * split from a stream split off before the train split is drawn, so it
 * does not depend on train_n; composite i does not depend on the split's
 * count either) and kept as item and word indices (a few ints each);
 * pixels are copied from the Fashion-MNIST split at fetch (256 composites
 * in 0.5 ms). Creation is reading Fashion-MNIST (0.35 s, both splits
 * whole) plus drawing the composites (1.5 ms for 20000): build one source
 * and give it to every learner rather than one each. Immutable after
 * creation; worker thread only, like every source.
 */
#ifndef RS_DATA_SOURCE_IMGTEXT_H
#define RS_DATA_SOURCE_IMGTEXT_H

#include <stdint.h>

#include "core/base.h"
#include "data/modular.h"
#include "data/source.h"

/* Word ids. */
#define RS_IMGTEXT_PAD 0
#define RS_IMGTEXT_CLASS0 1       /* class c (0..9) is word 1 + c */
#define RS_IMGTEXT_DISTRACTOR0 11 /* the distractor words 11..20 */
#define RS_IMGTEXT_DISTRACTOR_WORDS 10
#define RS_IMGTEXT_VOCAB 21

#define RS_IMGTEXT_MAX_GRID 3         /* 9 items of 10 classes */
#define RS_IMGTEXT_MAX_DISTRACTORS 16 /* per caption */
#define RS_IMGTEXT_MAX_N 1000000      /* composites per split */

struct rs_imgtext_config {
    /* The Fashion-MNIST directory; NULL or "" as data/fmnist.h (then
     * $REPSCOPE_DATA, then the Debian directory). */
    const char *dir;
    int grid;        /* 1..3: grid x grid items */
    int downsample;  /* 1: items 28x28, patches 14x14; 2: 14x14, 7x7 */
    int words;       /* class words per caption, 1..items; 0: items */
    int min_words;   /* the fewest, 1..words; 0: words (fixed length) */
    int distractors; /* distractor words per caption, 0..16 */
    int train_n;     /* composites per split, 1..RS_IMGTEXT_MAX_N */
    int test_n;
    uint64_t seed;
};

/* The sizes that follow from a config. */
struct rs_imgtext_dims {
    int items;        /* grid * grid */
    int item_side;    /* 28 / downsample */
    int side;         /* the image: grid * item_side */
    int patch_side;   /* item_side / 2 */
    int patch_pixels; /* patch_side^2 */
    int patch_grid;   /* patches per row: 2 * grid */
    int patches;      /* P = patch_grid^2 = 4 * items */
    int len;          /* L = words + distractors */
    int vocab;        /* RS_IMGTEXT_VOCAB */
};

/* The defaults: grid 2, downsample 1, words and min_words 0 (all items),
 * no distractors, train_n 20000, test_n 1000, seed 1, dir NULL. */
void rs_source_imgtext_defaults(struct rs_imgtext_config *cfg);

/* A new imgtext source (one reference) from cfg (copied), or NULL + err:
 * RS_EINVAL naming the field on a bad config (or when a Fashion-MNIST
 * split has fewer classes than a composite has items), else the errors of
 * rs_data_fmnist_new (RS_EIO when the files are missing, ...). */
rs_source *rs_source_imgtext(const struct rs_imgtext_config *cfg,
                             struct rs_error *err);

/* The config as used (words and min_words resolved, dir borrowed while s
 * lives), or NULL when s is not an imgtext source. */
const struct rs_imgtext_config *rs_source_imgtext_config(const rs_source *s);
/* s's sizes; s must be an imgtext source. */
void rs_source_imgtext_dims(const rs_source *s, struct rs_imgtext_dims *out);
/* The item (0..items-1, row-major over the grid) that patch p covers;
 * p in 0..P-1 of a grid x grid composite. */
int rs_source_imgtext_patch_item(int grid, int p);

/* The word of id: "<pad>", the class words "t-shirt", "trouser",
 * "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag",
 * "boot" (Fashion-MNIST's class order), then the distractors "a", "the",
 * "photo", ...; NULL outside 0..RS_IMGTEXT_VOCAB-1. Static string. */
const char *rs_source_imgtext_word(int id);

/* ---- per-composite truth (evaluation only) -------------------------------
 * Each reads composites idx[0..n) of split (idx NULL: 0..n-1) and returns
 * RS_EINVAL naming the index when one is outside the split, or when s is
 * not an imgtext source; out as each says. */

/* The class (0..9) of each patch: out (n, P). */
RS_NODISCARD int rs_source_imgtext_patch_classes(const rs_source *s,
                                                 enum rs_split split,
                                                 const int *idx, int n,
                                                 int *out,
                                                 struct rs_error *err);
/* For each caption position, the item (0..items-1) its word names, -1 for
 * a distractor or a pad: out (n, L). */
RS_NODISCARD int rs_source_imgtext_word_item(const rs_source *s,
                                             enum rs_split split,
                                             const int *idx, int n, int *out,
                                             struct rs_error *err);
/* The caption ids (what input 1 holds): out (n, L). */
RS_NODISCARD int rs_source_imgtext_caption(const rs_source *s,
                                           enum rs_split split, const int *idx,
                                           int n, int *out,
                                           struct rs_error *err);
/* Each item's class (cls, may be NULL) and its index in the Fashion-MNIST
 * split, in file order (example, may be NULL): both (n, items). */
RS_NODISCARD int rs_source_imgtext_items(const rs_source *s,
                                         enum rs_split split, const int *idx,
                                         int n, int *cls, int *example,
                                         struct rs_error *err);
/* Composite i as an image: out (side, side), row-major. */
RS_NODISCARD int rs_source_imgtext_image(const rs_source *s,
                                         enum rs_split split, int i, float *out,
                                         struct rs_error *err);

#endif /* RS_DATA_SOURCE_IMGTEXT_H */
