/* repscope - MIT licence, see COPYING.
 *
 * source.h: one interface over everything a learner trains on (a const
 * class per kind, like data/dataset.h): batches of examples, each one or
 * two inputs (float features or token ids) and optionally a class label.
 *
 * Two shapes of source:
 *   - finite: a train and a test split of count examples, read by index
 *     (fetch); the learner shuffles the train split with its own RNG each
 *     epoch (sampling without replacement, as the supervised loop always
 *     did);
 *   - generator (count 0): fresh examples drawn from a caller's RNG
 *     (draw); the learner passes its batch stream for training and a
 *     stream seeded from (seed, len) for evaluation.
 *
 * Kinds: "dataset" (an rs_dataset: modular, fmnist), "seqtask" (the
 * synthetic sequence tasks, data/seqtask.h), "corpus" (language-model
 * windows of T + 1 tokens over an id array) and "zip" (two sources side
 * by side: paired inputs such as an image and its caption).
 *
 * Sources are immutable after creation and refcounted (plain int: worker
 * thread only). A batch (struct rs_batch) is the caller's, grown on
 * demand by the source that fills it.
 */
#ifndef RS_DATA_SOURCE_H
#define RS_DATA_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base.h"
#include "core/rng.h"
#include "data/dataset.h"
#include "data/modular.h"
#include "data/seqtask.h"
#include "nn/module.h"

/* Inputs per example at most (a paired source has two). */
#define RS_SOURCE_MAX_INPUTS 2

/* One batch. Buffers are owned by the batch and grown by
 * rs_batch_reserve; a fetch or draw overwrites every field. */
struct rs_batch {
    int n;       /* examples */
    int ninputs; /* 1, or 2 for a paired source */
    struct rs_batch_input {
        enum rs_nn_input_kind kind;
        int width; /* FEATURES: features per example; TOKENS: T */
        float *x;  /* FEATURES: (n, width) */
        int *ids;  /* TOKENS: (n, width) */
    } in[RS_SOURCE_MAX_INPUTS];
    int *y; /* (n) class labels; NULL when the source has none */
    size_t cap_x[RS_SOURCE_MAX_INPUTS], cap_ids[RS_SOURCE_MAX_INPUTS];
    size_t cap_y;
};

void rs_batch_init(struct rs_batch *b);
void rs_batch_fini(struct rs_batch *b);
/* Make room for n examples: input i of the given kind and width (its x or
 * ids buffer); for i == 0 also the labels when labels is true (else
 * b->y = NULL) and b->ninputs = 1 (an input i > 0 leaves the labels alone
 * and sets ninputs = i + 1). Sets b->n, b->in[i].kind and .width.
 * RS_EINVAL (naming n and width) when n * width overflows an int. */
RS_NODISCARD int rs_batch_reserve(struct rs_batch *b, int i,
                                  enum rs_nn_input_kind kind, int n, int width,
                                  bool labels, struct rs_error *err);

/* What a source gives. */
struct rs_source_info {
    int ninputs;
    enum rs_nn_input_kind kind[RS_SOURCE_MAX_INPUTS];
    int width[RS_SOURCE_MAX_INPUTS]; /* FEATURES: dim; TOKENS: the longest
                                        T a batch can have */
    int vocab[RS_SOURCE_MAX_INPUTS]; /* TOKENS: ids are < vocab */
    int classes;                     /* label classes, 0 when unlabelled */
};

typedef struct rs_source rs_source;

/* A kind of source. Finite kinds give count and fetch, generators give
 * draw (count returns 0); the other may be NULL. */
struct rs_source_class {
    const char *kind; /* "dataset", "seqtask", "corpus", "zip" */
    void (*info)(const void *impl, struct rs_source_info *out);
    /* Finite sources: examples per split; 0 marks a generator. */
    int (*count)(const void *impl, enum rs_split split);
    /* Finite: examples idx[0..n) of split (idx NULL: 0..n-1), all in
     * range, into b. */
    int (*fetch)(const void *impl, enum rs_split split, const int *idx, int n,
                 struct rs_batch *b, struct rs_error *err);
    /* Generators: n fresh examples from rng; len > 0 asks for exactly len
     * (e.g. an evaluation beyond the training range), 0 for the source's
     * own draw (seqtask: one length uniform in [min_len, max_len] for the
     * whole batch). */
    int (*draw)(const void *impl, struct rs_rng *rng, int n, int len,
                struct rs_batch *b, struct rs_error *err);
    void (*destroy)(void *impl);
};

/* Wrap impl (ownership taken: freed by cls->destroy) as a source with one
 * reference. Never fails. */
rs_source *rs_source_new(const struct rs_source_class *cls, void *impl);
void rs_source_retain(rs_source *s);
/* Drop one reference; frees at zero. NULL is a no-op. */
void rs_source_release(rs_source *s);
/* The impl given to rs_source_new (borrowed). */
void *rs_source_impl(const rs_source *s);

/* ---- builders: a new source (one reference) or NULL + err ------------- */

/* A dataset as a finite FEATURES source, labelled (d retained). */
rs_source *rs_source_dataset(rs_dataset *d);
/* The sequence task cfg (copied) as a labelled TOKENS generator: draw
 * with len 0 picks len = min_len + below(max_len - min_len + 1) from the
 * rng, then rs_seqtask_sample(cfg, rng, n, len) -- exactly the draws the
 * sequence trainer made. vocab RS_SEQ_VOCAB, width the T of max_len,
 * classes rs_seqtask_classes. RS_EINVAL naming the field on a bad cfg. */
rs_source *rs_source_seqtask(const struct rs_seqtask_config *cfg,
                             struct rs_error *err);
/* Language-model windows over ids[0..len) (copied), each id < vocab: the
 * windows of T + 1 tokens starting at multiples of T are examples (the
 * model reads T + 1 ids; a next-token objective predicts ids[t + 1] from
 * ids[..t]); the first round((1 - test_frac) * windows) windows are the
 * train split, the rest the test split. Unlabelled. RS_EINVAL when an id
 * is out of range, T < 1, test_frac outside [0, 1) or there is no train
 * window. */
rs_source *rs_source_corpus(const int *ids, size_t len, int vocab, int T,
                            double test_frac, struct rs_error *err);
/* a and b side by side (both retained): example i is (a_i, b_i); input 0
 * from a, input 1 from b, the labels a's (else b's). Both finite with
 * equal split counts, or both generators (a draws first, then b, from the
 * same rng). Each must have one input. RS_EINVAL otherwise. */
rs_source *rs_source_zip(rs_source *a, rs_source *b, struct rs_error *err);

/* ---- queries and calls ------------------------------------------------ */

/* "dataset", "seqtask", ... Static string. */
const char *rs_source_kind(const rs_source *s);
void rs_source_info(const rs_source *s, struct rs_source_info *out);
/* Examples in split; 0 for a generator. */
int rs_source_count(const rs_source *s, enum rs_split split);
/* True for a kind without fetch (it draws instead). */
bool rs_source_is_generator(const rs_source *s);
/* Finite sources only: idx (NULL: 0..n-1) checked against the split
 * (RS_EINVAL naming the bad index), then fetched into b. */
RS_NODISCARD int rs_source_fetch(const rs_source *s, enum rs_split split,
                                 const int *idx, int n, struct rs_batch *b,
                                 struct rs_error *err);
/* Generators only: see struct rs_source_class draw. n >= 1. */
RS_NODISCARD int rs_source_draw(const rs_source *s, struct rs_rng *rng, int n,
                                int len, struct rs_batch *b,
                                struct rs_error *err);

/* A 64-bit fingerprint of what the source serves: its kind, sizes and
 * the examples it gives (finite: the first FINGERPRINT examples of each
 * split, and for a dataset every label; generator: a few drawn from a
 * fixed stream), FNV-1a over the bytes. Two sources with the same fingerprint serve the same examples
 * for every practical purpose; checkpoints use it to refuse a learner
 * whose data is not the data it was saved with. 0 when a call fails. */
uint64_t rs_source_fingerprint(const rs_source *s);

/* The class given to rs_source_new. */
const struct rs_source_class *rs_source_class(const rs_source *s);

/* The wrapped dataset of a "dataset" source, the task of a "seqtask"
 * source (borrowed), else NULL. */
rs_dataset *rs_source_as_dataset(const rs_source *s);
const struct rs_seqtask_config *rs_source_as_seqtask(const rs_source *s);

#endif /* RS_DATA_SOURCE_H */
