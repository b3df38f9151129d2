/* repscope - MIT licence, see COPYING.
 *
 * source_seqtask.c: the synthetic sequence tasks (data/seqtask.h) as a
 * labelled TOKENS generator. A draw with len 0 takes one length for the
 * whole batch, min_len + below(max_len - min_len + 1), then samples the
 * batch: the RNG draws of the sequence trainer, in its order, so a
 * learner on this source sees the trainer's batches. Worker thread only.
 */
#include "config.h"

#include "data/source.h"

#include <stdlib.h>

static void
seqtask_info(const void *impl, struct rs_source_info *out)
{
    const struct rs_seqtask_config *t = impl;
    out->ninputs = 1;
    out->kind[0] = RS_NN_INPUT_TOKENS;
    out->width[0] = rs_seqtask_seq_len(t, t->max_len);
    out->vocab[0] = RS_SEQ_VOCAB;
    out->classes = rs_seqtask_classes(t);
}

static int
seqtask_draw(const void *impl, struct rs_rng *rng, int n, int len,
             struct rs_batch *b, struct rs_error *err)
{
    const struct rs_seqtask_config *t = impl;
    if (len == 0)
        len = t->min_len +
              (int)rs_rng_below(rng, (uint32_t)(t->max_len - t->min_len + 1));
    if (len > RS_SEQTASK_MAX_LEN)
        return rs_error_set(err, RS_EINVAL,
                            "seqtask: len = %d (must be in 1..%d)", len,
                            RS_SEQTASK_MAX_LEN);
    int T = rs_seqtask_seq_len(t, len);
    int rc = rs_batch_reserve(b, 0, RS_NN_INPUT_TOKENS, n, T, true, err);
    if (rc != RS_OK)
        return rc;
    return rs_seqtask_sample(t, rng, n, len, b->in[0].ids, b->y, err);
}

static const struct rs_source_class seqtask_class = {
    .kind = "seqtask",
    .info = seqtask_info,
    .draw = seqtask_draw,
    .destroy = free,
};

rs_source *
rs_source_seqtask(const struct rs_seqtask_config *cfg, struct rs_error *err)
{
    if (rs_seqtask_config_check(cfg, err) != RS_OK)
        return NULL;
    struct rs_seqtask_config *t = rs_xcalloc(1, sizeof *t);
    *t = *cfg;
    return rs_source_new(&seqtask_class, t);
}

const struct rs_seqtask_config *
rs_source_as_seqtask(const rs_source *s)
{
    return rs_source_class(s) == &seqtask_class ? rs_source_impl(s) : NULL;
}
