/* repscope - MIT licence, see COPYING.
 *
 * source.c: the source interface (see source.h) and the batch buffers.
 * The members live one per file: source_dataset.c, source_seqtask.c,
 * source_corpus.c, source_zip.c. Sources are immutable after creation;
 * refcounts belong to the worker thread.
 */
#include "config.h"

#include "data/source.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

struct rs_source {
    const struct rs_source_class *cls;
    void *impl;
    int refs;
};

void
rs_batch_init(struct rs_batch *b)
{
    memset(b, 0, sizeof *b);
}

void
rs_batch_fini(struct rs_batch *b)
{
    for (int i = 0; i < RS_SOURCE_MAX_INPUTS; i++) {
        free(b->in[i].x);
        free(b->in[i].ids);
    }
    free(b->y);
    memset(b, 0, sizeof *b);
}

int
rs_batch_reserve(struct rs_batch *b, int i, enum rs_nn_input_kind kind, int n,
                 int width, bool labels, struct rs_error *err)
{
    RS_ASSERT(i >= 0 && i < RS_SOURCE_MAX_INPUTS);
    if (n < 1 || width < 1 || n > INT_MAX / width)
        return rs_error_set(err, RS_EINVAL,
                            "a batch of %d examples of width %d (must be "
                            ">= 1 and fit an int)",
                            n, width);
    size_t need = (size_t)n * (size_t)width;
    struct rs_batch_input *in = &b->in[i];
    if (kind == RS_NN_INPUT_FEATURES && need > b->cap_x[i]) {
        free(in->x);
        in->x = rs_xcalloc(need, sizeof *in->x);
        b->cap_x[i] = need;
    } else if (kind == RS_NN_INPUT_TOKENS && need > b->cap_ids[i]) {
        free(in->ids);
        in->ids = rs_xcalloc(need, sizeof *in->ids);
        b->cap_ids[i] = need;
    }
    if (i == 0 && labels && (size_t)n > b->cap_y) {
        free(b->y);
        b->y = rs_xcalloc((size_t)n, sizeof *b->y);
        b->cap_y = (size_t)n;
    } else if (i == 0 && !labels) {
        free(b->y);
        b->y = NULL;
        b->cap_y = 0;
    }
    in->kind = kind;
    in->width = width;
    b->n = n;
    b->ninputs = i == 0 ? 1 : i + 1;
    return RS_OK;
}

rs_source *
rs_source_new(const struct rs_source_class *cls, void *impl)
{
    rs_source *s = rs_xcalloc(1, sizeof *s);
    s->cls = cls;
    s->impl = impl;
    s->refs = 1;
    return s;
}

void
rs_source_retain(rs_source *s)
{
    RS_ASSERT(s->refs >= 1);
    s->refs++;
}

void
rs_source_release(rs_source *s)
{
    if (s == NULL)
        return;
    RS_ASSERT(s->refs >= 1);
    if (--s->refs > 0)
        return;
    if (s->cls->destroy != NULL)
        s->cls->destroy(s->impl);
    free(s);
}

void *
rs_source_impl(const rs_source *s)
{
    return s->impl;
}

const struct rs_source_class *
rs_source_class(const rs_source *s)
{
    return s->cls;
}

const char *
rs_source_kind(const rs_source *s)
{
    return s->cls->kind;
}

void
rs_source_info(const rs_source *s, struct rs_source_info *out)
{
    memset(out, 0, sizeof *out);
    s->cls->info(s->impl, out);
}

int
rs_source_count(const rs_source *s, enum rs_split split)
{
    return s->cls->count != NULL ? s->cls->count(s->impl, split) : 0;
}

bool
rs_source_is_generator(const rs_source *s)
{
    return s->cls->fetch == NULL;
}

int
rs_source_fetch(const rs_source *s, enum rs_split split, const int *idx, int n,
                struct rs_batch *b, struct rs_error *err)
{
    if (rs_source_is_generator(s))
        return rs_error_set(err, RS_EINVAL,
                            "%s source: a generator has no examples "
                            "to fetch",
                            s->cls->kind);
    int count = rs_source_count(s, split);
    if (n < 1 || (idx == NULL && n > count))
        return rs_error_set(err, RS_EINVAL,
                            "%s source: %d examples of the %s split "
                            "(it has %d)",
                            s->cls->kind, n, rs_dataset_split_name(split),
                            count);
    if (idx != NULL)
        for (int i = 0; i < n; i++)
            if (idx[i] < 0 || idx[i] >= count)
                return rs_error_set(err, RS_EINVAL,
                                    "%s source: index %d outside "
                                    "0..%d of the %s split",
                                    s->cls->kind, idx[i], count - 1,
                                    rs_dataset_split_name(split));
    return s->cls->fetch(s->impl, split, idx, n, b, err);
}

int
rs_source_draw(const rs_source *s, struct rs_rng *rng, int n, int len,
               struct rs_batch *b, struct rs_error *err)
{
    if (s->cls->draw == NULL)
        return rs_error_set(err, RS_EINVAL,
                            "%s source: finite, it draws nothing",
                            s->cls->kind);
    if (n < 1 || len < 0)
        return rs_error_set(err, RS_EINVAL,
                            "%s source: draw n = %d, len = %d (must be "
                            ">= 1 and >= 0)",
                            s->cls->kind, n, len);
    return s->cls->draw(s->impl, rng, n, len, b, err);
}

/* ---- fingerprint ------------------------------------------------------- */

/* Examples per split (or drawn) that the fingerprint reads. */
#define FINGERPRINT 16

static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * UINT64_C(0x100000001b3);
    return h;
}

static uint64_t
fnv_batch(uint64_t h, const struct rs_batch *b)
{
    h = fnv(h, &b->n, sizeof b->n);
    for (int i = 0; i < b->ninputs; i++) {
        const struct rs_batch_input *in = &b->in[i];
        size_t n = (size_t)b->n * (size_t)in->width;
        h = fnv(h, &in->width, sizeof in->width);
        if (in->kind == RS_NN_INPUT_FEATURES)
            h = fnv(h, in->x, n * sizeof *in->x);
        else
            h = fnv(h, in->ids, n * sizeof *in->ids);
    }
    if (b->y != NULL)
        h = fnv(h, b->y, (size_t)b->n * sizeof *b->y);
    return h;
}

uint64_t
rs_source_fingerprint(const rs_source *s)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    const char *kind = rs_source_kind(s);
    h = fnv(h, kind, strlen(kind));
    struct rs_source_info si;
    rs_source_info(s, &si);
    h = fnv(h, &si.ninputs, sizeof si.ninputs);
    h = fnv(h, si.width, sizeof si.width);
    h = fnv(h, si.vocab, sizeof si.vocab);
    h = fnv(h, &si.classes, sizeof si.classes);
    struct rs_batch b;
    rs_batch_init(&b);
    int rc = RS_OK;
    if (rs_source_is_generator(s)) {
        struct rs_rng r;
        rs_rng_seed(&r, UINT64_C(0x66696e6765727072)); /* "fingerpr" */
        rc = rs_source_draw(s, &r, FINGERPRINT, 0, &b, NULL);
        if (rc == RS_OK)
            h = fnv_batch(h, &b);
    } else {
        const rs_dataset *d = rs_source_as_dataset(s);
        for (int split = 0; split < 2 && rc == RS_OK; split++) {
            int count = rs_source_count(s, (enum rs_split)split);
            h = fnv(h, &count, sizeof count);
            int n = count < FINGERPRINT ? count : FINGERPRINT;
            if (n < 1)
                continue;
            rc = rs_source_fetch(s, (enum rs_split)split, NULL, n, &b, NULL);
            if (rc == RS_OK)
                h = fnv_batch(h, &b);
            /* Every label of a dataset: tasks that re-draw a few labels
             * of the same images (rs.data.relabel, frac 0.1) differ
             * beyond the first examples. */
            if (rc == RS_OK && d != NULL) {
                int *y = rs_xcalloc((size_t)count, sizeof *y);
                rs_dataset_labels_into(d, (enum rs_split)split, y);
                h = fnv(h, y, (size_t)count * sizeof *y);
                free(y);
            }
        }
    }
    rs_batch_fini(&b);
    return rc == RS_OK ? h : 0;
}
