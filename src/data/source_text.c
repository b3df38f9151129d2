/* repscope - MIT licence, see COPYING.
 *
 * source_text.c: the text corpus (text.h) as a source of language-model
 * windows. Example i of a split is a window start found from the
 * windows each document gives: cum[k] counts the windows of the split's
 * documents before document k (of the split's whole view), so window i
 * lies in the last document k with cum[k] <= i, at offset
 * (i - cum[k]) * stride of it (stride 1 for train, T for test). With
 * cross the split's text is one document for this purpose. The source
 * retains the corpus and owns cum; immutable after creation. Worker
 * thread only.
 */
#include "config.h"

#include "data/text.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

struct text_src {
    rs_text *t;
    int T;
    bool cross;
    struct rs_text_view v[2]; /* the whole split texts */
    size_t *cum[2];           /* (ndocs + 1) windows before document k */
    int count[2];
};

/* Windows of one text of len bytes: every start (stride 1) or every T-th
 * (stride T) with T + 1 bytes from it. */
static size_t
windows_of(size_t len, int T, int stride)
{
    if (len < (size_t)T + 1)
        return 0;
    return stride == 1 ? len - (size_t)T : (len - 1) / (size_t)T;
}

static int
stride_of(const struct text_src *ts, enum rs_split split)
{
    return split == RS_SPLIT_TRAIN ? 1 : ts->T;
}

static void
text_info(const void *impl, struct rs_source_info *out)
{
    const struct text_src *ts = impl;
    out->ninputs = 1;
    out->kind[0] = RS_NN_INPUT_TOKENS;
    out->width[0] = ts->T + 1;
    out->vocab[0] = RS_TEXT_VOCAB;
    out->classes = 0;
}

static int
text_count(const void *impl, enum rs_split split)
{
    const struct text_src *ts = impl;
    return ts->count[split];
}

/* The offset in the split's text of window i (< count). */
static size_t
window_start(const struct text_src *ts, enum rs_split split, int i)
{
    size_t w = (size_t)i * (size_t)stride_of(ts, split);
    if (ts->cross)
        return w;
    const size_t *cum = ts->cum[split];
    int lo = 0, hi = ts->v[split].ndocs - 1;
    while (lo < hi) { /* the last k with cum[k] <= i */
        int mid = lo + (hi - lo + 1) / 2;
        if (cum[mid] <= (size_t)i)
            lo = mid;
        else
            hi = mid - 1;
    }
    return ts->v[split].start[lo] +
           ((size_t)i - cum[lo]) * (size_t)stride_of(ts, split);
}

static int
text_fetch(const void *impl, enum rs_split split, const int *idx, int n,
           struct rs_batch *b, struct rs_error *err)
{
    const struct text_src *ts = impl;
    int w = ts->T + 1;
    int rc = rs_batch_reserve(b, 0, RS_NN_INPUT_TOKENS, n, w, false, err);
    if (rc != RS_OK)
        return rc;
    const uint8_t *bytes = ts->v[split].bytes;
    for (int i = 0; i < n; i++) {
        size_t s = window_start(ts, split, idx != NULL ? idx[i] : i);
        int *out = b->in[0].ids + (size_t)i * (size_t)w;
        for (int j = 0; j < w; j++)
            out[j] = bytes[s + (size_t)j];
    }
    return RS_OK;
}

static void
text_destroy(void *impl)
{
    struct text_src *ts = impl;
    rs_text_release(ts->t);
    free(ts->cum[0]);
    free(ts->cum[1]);
    free(ts);
}

static const struct rs_source_class text_class = {
    .kind = "text",
    .info = text_info,
    .count = text_count,
    .fetch = text_fetch,
    .destroy = text_destroy,
};

rs_source *
rs_source_text(rs_text *t, int T, bool cross, struct rs_error *err)
{
    if (T < 1 || T >= (1 << 24)) {
        rs_error_set(err, RS_EINVAL, "T = %d (must be in 1..%d)", T,
                     (1 << 24) - 1);
        return NULL;
    }
    struct text_src *ts = rs_xcalloc(1, sizeof *ts);
    ts->T = T;
    ts->cross = cross;
    for (int sp = 0; sp < 2; sp++) {
        struct rs_text_view *v = &ts->v[sp];
        rs_text_view(t, (enum rs_split)sp, -1, v);
        int stride = stride_of(ts, (enum rs_split)sp);
        ts->cum[sp] = rs_xcalloc((size_t)v->ndocs + 1, sizeof *ts->cum[sp]);
        size_t total = 0;
        if (cross) {
            total = windows_of(v->len, T, stride);
        } else {
            for (int k = 0; k < v->ndocs; k++) {
                ts->cum[sp][k] = total;
                total += windows_of(v->start[k + 1] - v->start[k], T, stride);
            }
        }
        ts->cum[sp][v->ndocs] = total;
        if (total > (size_t)INT_MAX) {
            rs_error_set(err, RS_EINVAL,
                         "the %s split has %zu windows (at most %d; lower "
                         "max_bytes)",
                         sp == RS_SPLIT_TRAIN ? "train" : "test", total,
                         INT_MAX);
            text_destroy(ts);
            return NULL;
        }
        ts->count[sp] = (int)total;
    }
    if (ts->count[RS_SPLIT_TRAIN] < 1) {
        rs_error_set(err, RS_EINVAL,
                     "no train window of T + 1 = %d bytes (the train text "
                     "has %zu bytes in %d documents%s)",
                     T + 1, ts->v[RS_SPLIT_TRAIN].len,
                     ts->v[RS_SPLIT_TRAIN].ndocs,
                     cross ? "" : "; windows stay inside documents");
        text_destroy(ts);
        return NULL;
    }
    rs_text_retain(t);
    ts->t = t;
    return rs_source_new(&text_class, ts);
}

/* The impl of a text source, else NULL. */
static const struct text_src *
as_text(const rs_source *s)
{
    return rs_source_class(s) == &text_class ? rs_source_impl(s) : NULL;
}

rs_text *
rs_source_text_corpus(const rs_source *s)
{
    const struct text_src *ts = as_text(s);
    return ts != NULL ? ts->t : NULL;
}

int
rs_source_text_T(const rs_source *s)
{
    const struct text_src *ts = as_text(s);
    RS_ASSERT(ts != NULL);
    return ts->T;
}

bool
rs_source_text_cross(const rs_source *s)
{
    const struct text_src *ts = as_text(s);
    RS_ASSERT(ts != NULL);
    return ts->cross;
}

int
rs_source_text_windows(const rs_source *s, enum rs_split split, const int *idx,
                       int n, size_t *start, uint8_t *reset,
                       struct rs_error *err)
{
    const struct text_src *ts = as_text(s);
    if (ts == NULL)
        return rs_error_set(err, RS_EINVAL, "a %s source is not a text source",
                            rs_source_kind(s));
    for (int i = 0; i < n; i++) {
        int k = idx != NULL ? idx[i] : i;
        if (k < 0 || k >= ts->count[split])
            return rs_error_set(err, RS_EINVAL,
                                "index %d is outside the split (0..%d)", k,
                                ts->count[split] - 1);
    }
    const struct rs_text_view *v = &ts->v[split];
    size_t w = (size_t)ts->T + 1;
    for (int i = 0; i < n; i++) {
        size_t s0 = window_start(ts, split, idx != NULL ? idx[i] : i);
        if (start != NULL)
            start[i] = s0;
        if (reset == NULL)
            continue;
        uint8_t *r = reset + (size_t)i * w;
        memset(r, 0, w);
        /* the documents that start in [s0, s0 + w) */
        for (int k = rs_text_view_find(v, s0);
             k < v->ndocs && v->start[k] < s0 + w; k++)
            if (v->start[k] >= s0)
                r[v->start[k] - s0] = 1;
    }
    return RS_OK;
}
