/* repscope - MIT licence, see COPYING.
 *
 * source_corpus.c: language-model windows over a token array, a finite
 * unlabelled TOKENS source. With W = floor((len - 1) / T) windows, window
 * k is ids[k T .. k T + T] (T + 1 tokens: a next-token objective reads
 * the first T and predicts the last T); windows 0..ntrain-1 are the train
 * split, the rest the test split, ntrain = round((1 - test_frac) W).
 * The ids are copied at creation. Worker thread only.
 */
#include "config.h"

#include "data/source.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct corpus {
    int *ids; /* (len) */
    size_t len;
    int vocab, T;
    int ntrain, ntest;
};

static void
corpus_info(const void *impl, struct rs_source_info *out)
{
    const struct corpus *c = impl;
    out->ninputs = 1;
    out->kind[0] = RS_NN_INPUT_TOKENS;
    out->width[0] = c->T + 1;
    out->vocab[0] = c->vocab;
    out->classes = 0;
}

static int
corpus_count(const void *impl, enum rs_split split)
{
    const struct corpus *c = impl;
    return split == RS_SPLIT_TRAIN ? c->ntrain : c->ntest;
}

static int
corpus_fetch(const void *impl, enum rs_split split, const int *idx, int n,
             struct rs_batch *b, struct rs_error *err)
{
    const struct corpus *c = impl;
    int w = c->T + 1;
    int rc = rs_batch_reserve(b, 0, RS_NN_INPUT_TOKENS, n, w, false, err);
    if (rc != RS_OK)
        return rc;
    int base = split == RS_SPLIT_TRAIN ? 0 : c->ntrain;
    for (int i = 0; i < n; i++) {
        size_t k = (size_t)base + (size_t)(idx != NULL ? idx[i] : i);
        memcpy(b->in[0].ids + (size_t)i * (size_t)w, c->ids + k * (size_t)c->T,
               (size_t)w * sizeof *c->ids);
    }
    return RS_OK;
}

static void
corpus_destroy(void *impl)
{
    struct corpus *c = impl;
    free(c->ids);
    free(c);
}

static const struct rs_source_class corpus_class = {
    .kind = "corpus",
    .info = corpus_info,
    .count = corpus_count,
    .fetch = corpus_fetch,
    .destroy = corpus_destroy,
};

rs_source *
rs_source_corpus(const int *ids, size_t len, int vocab, int T, double test_frac,
                 struct rs_error *err)
{
    if (vocab < 1 || T < 1 || T >= (1 << 24)) {
        rs_error_set(err, RS_EINVAL,
                     "corpus: vocab = %d, T = %d (must be >= 1, T < 2^24)",
                     vocab, T);
        return NULL;
    }
    if (!(test_frac >= 0.0 && test_frac < 1.0)) {
        rs_error_set(err, RS_EINVAL,
                     "corpus: test_frac = %g (must be in [0, 1))", test_frac);
        return NULL;
    }
    for (size_t i = 0; i < len; i++)
        if (ids[i] < 0 || ids[i] >= vocab) {
            rs_error_set(err, RS_EINVAL,
                         "corpus: token %zu is %d (must be in 0..%d)", i + 1,
                         ids[i], vocab - 1);
            return NULL;
        }
    size_t windows = len > 1 ? (len - 1) / (size_t)T : 0;
    if (windows > (size_t)(1 << 30)) {
        rs_error_set(err, RS_EINVAL, "corpus: %zu windows are too many",
                     windows);
        return NULL;
    }
    int ntrain = (int)lround((1.0 - test_frac) * (double)windows);
    if (ntrain < 1) {
        rs_error_set(err, RS_EINVAL,
                     "corpus: %zu tokens make %zu windows of T + 1 = %d, "
                     "no train window (test_frac = %g)",
                     len, windows, T + 1, test_frac);
        return NULL;
    }
    struct corpus *c = rs_xcalloc(1, sizeof *c);
    c->ids = rs_xreallocarray(NULL, len, sizeof *c->ids);
    memcpy(c->ids, ids, len * sizeof *ids);
    c->len = len;
    c->vocab = vocab;
    c->T = T;
    c->ntrain = ntrain;
    c->ntest = (int)windows - ntrain;
    return rs_source_new(&corpus_class, c);
}
