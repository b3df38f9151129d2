/* repscope - MIT licence, see COPYING.
 *
 * source_dataset.c: a dataset (data/dataset.h: modular, fmnist) as a
 * finite, labelled FEATURES source. The dataset is retained; a fetch is
 * rs_dataset_batch into the batch's buffers, so a learner reads exactly
 * the floats the supervised loop read. Worker thread only.
 */
#include "config.h"

#include "data/source.h"

static void
dataset_info(const void *impl, struct rs_source_info *out)
{
    const rs_dataset *d = impl;
    out->ninputs = 1;
    out->kind[0] = RS_NN_INPUT_FEATURES;
    out->width[0] = rs_dataset_input_dim(d);
    out->classes = rs_dataset_classes(d);
}

static int
dataset_count(const void *impl, enum rs_split split)
{
    return rs_dataset_count(impl, split);
}

static int
dataset_fetch(const void *impl, enum rs_split split, const int *idx, int n,
              struct rs_batch *b, struct rs_error *err)
{
    const rs_dataset *d = impl;
    int rc = rs_batch_reserve(b, 0, RS_NN_INPUT_FEATURES, n,
                              rs_dataset_input_dim(d), true, err);
    if (rc != RS_OK)
        return rc;
    rs_dataset_batch(d, split, idx, n, b->in[0].x, b->y);
    return RS_OK;
}

static void
dataset_destroy(void *impl)
{
    rs_dataset_release(impl);
}

static const struct rs_source_class dataset_class = {
    .kind = "dataset",
    .info = dataset_info,
    .count = dataset_count,
    .fetch = dataset_fetch,
    .destroy = dataset_destroy,
};

rs_source *
rs_source_dataset(rs_dataset *d)
{
    rs_dataset_retain(d);
    return rs_source_new(&dataset_class, d);
}

rs_dataset *
rs_source_as_dataset(const rs_source *s)
{
    return rs_source_class(s) == &dataset_class ? rs_source_impl(s) : NULL;
}
