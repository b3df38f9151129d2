/* repscope - MIT licence, see COPYING.
 *
 * source_zip.c: two sources side by side (paired inputs such as an image
 * and its caption): example i is (a_i, b_i), input 0 from a, input 1 from
 * b, the labels a's (b's when a has none). Both finite with equal split
 * counts, or both generators (a draws first, then b, from the same rng).
 * b is read through a scratch batch owned by the zip, so a zip source is
 * not reentrant (worker thread only, like every source).
 */
#include "config.h"

#include "data/source.h"

#include <stdlib.h>
#include <string.h>

struct zip {
    rs_source *a, *b;     /* retained */
    struct rs_batch *tmp; /* b's examples before the copy */
};

static void
zip_info(const void *impl, struct rs_source_info *out)
{
    const struct zip *z = impl;
    struct rs_source_info ia, ib;
    rs_source_info(z->a, &ia);
    rs_source_info(z->b, &ib);
    out->ninputs = 2;
    out->kind[0] = ia.kind[0];
    out->width[0] = ia.width[0];
    out->vocab[0] = ia.vocab[0];
    out->kind[1] = ib.kind[0];
    out->width[1] = ib.width[0];
    out->vocab[1] = ib.vocab[0];
    out->classes = ia.classes > 0 ? ia.classes : ib.classes;
}

static int
zip_count(const void *impl, enum rs_split split)
{
    const struct zip *z = impl;
    return rs_source_count(z->a, split);
}

/* out holds a's examples, z->tmp b's: append b's input as input 1. */
static int
zip_join(const struct zip *z, struct rs_batch *out, struct rs_error *err)
{
    const struct rs_batch *t = z->tmp;
    int n = out->n, rc = RS_OK;
    if (out->y == NULL && t->y != NULL) {
        rc = rs_batch_reserve(out, 0, out->in[0].kind, n, out->in[0].width,
                              true, err);
        if (rc == RS_OK)
            memcpy(out->y, t->y, (size_t)n * sizeof *t->y);
    }
    const struct rs_batch_input *src = &t->in[0];
    if (rc == RS_OK)
        rc = rs_batch_reserve(out, 1, src->kind, n, src->width, false, err);
    if (rc != RS_OK)
        return rc;
    size_t m = (size_t)n * (size_t)src->width;
    if (src->kind == RS_NN_INPUT_FEATURES)
        memcpy(out->in[1].x, src->x, m * sizeof *src->x);
    else
        memcpy(out->in[1].ids, src->ids, m * sizeof *src->ids);
    return RS_OK;
}

static int
zip_fetch(const void *impl, enum rs_split split, const int *idx, int n,
          struct rs_batch *b, struct rs_error *err)
{
    const struct zip *z = impl;
    int rc = rs_source_fetch(z->a, split, idx, n, b, err);
    if (rc == RS_OK)
        rc = rs_source_fetch(z->b, split, idx, n, z->tmp, err);
    return rc == RS_OK ? zip_join(z, b, err) : rc;
}

static int
zip_draw(const void *impl, struct rs_rng *rng, int n, int len,
         struct rs_batch *b, struct rs_error *err)
{
    const struct zip *z = impl;
    int rc = rs_source_draw(z->a, rng, n, len, b, err);
    if (rc == RS_OK)
        rc = rs_source_draw(z->b, rng, n, len, z->tmp, err);
    return rc == RS_OK ? zip_join(z, b, err) : rc;
}

static void
zip_destroy(void *impl)
{
    struct zip *z = impl;
    rs_source_release(z->a);
    rs_source_release(z->b);
    rs_batch_fini(z->tmp);
    free(z->tmp);
    free(z);
}

static const struct rs_source_class zip_finite_class = {
    .kind = "zip",
    .info = zip_info,
    .count = zip_count,
    .fetch = zip_fetch,
    .destroy = zip_destroy,
};

static const struct rs_source_class zip_gen_class = {
    .kind = "zip",
    .info = zip_info,
    .draw = zip_draw,
    .destroy = zip_destroy,
};

rs_source *
rs_source_zip(rs_source *a, rs_source *b, struct rs_error *err)
{
    struct rs_source_info ia, ib;
    rs_source_info(a, &ia);
    rs_source_info(b, &ib);
    if (ia.ninputs != 1 || ib.ninputs != 1) {
        rs_error_set(err, RS_EINVAL,
                     "zip: each source must have one input (%s has %d, "
                     "%s has %d)",
                     rs_source_kind(a), ia.ninputs, rs_source_kind(b),
                     ib.ninputs);
        return NULL;
    }
    bool ga = rs_source_is_generator(a), gb = rs_source_is_generator(b);
    if (ga != gb) {
        rs_error_set(err, RS_EINVAL,
                     "zip: %s is %s but %s is %s (both must be finite or "
                     "both generators)",
                     rs_source_kind(a), ga ? "a generator" : "finite",
                     rs_source_kind(b), gb ? "a generator" : "finite");
        return NULL;
    }
    for (int s = RS_SPLIT_TRAIN; !ga && s <= RS_SPLIT_TEST; s++) {
        int na = rs_source_count(a, (enum rs_split)s);
        int nb = rs_source_count(b, (enum rs_split)s);
        if (na != nb) {
            rs_error_set(err, RS_EINVAL,
                         "zip: the %s splits differ (%s has %d examples, "
                         "%s has %d)",
                         rs_dataset_split_name((enum rs_split)s),
                         rs_source_kind(a), na, rs_source_kind(b), nb);
            return NULL;
        }
    }
    struct zip *z = rs_xcalloc(1, sizeof *z);
    z->a = a;
    z->b = b;
    rs_source_retain(a);
    rs_source_retain(b);
    z->tmp = rs_xcalloc(1, sizeof *z->tmp);
    rs_batch_init(z->tmp);
    return rs_source_new(ga ? &zip_gen_class : &zip_finite_class, z);
}
