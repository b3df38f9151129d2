/* repscope - MIT licence, see COPYING.
 *
 * seqtask.c: the synthetic copy and counting tasks (see seqtask.h).
 *
 * A row is written left to right: the content tokens, a separator after
 * every sep_every-th content token unless it is the last, then the query.
 * The RNG is touched only by the kinds that draw (copy: one rs_rng_below
 * per digit; count: one rs_rng_uniform per digit), row by row, so a
 * batch of B equals B batches of one from the same stream. Worker thread
 * only.
 */
#include "config.h"

#include "data/seqtask.h"

#include <limits.h>
#include <math.h>
#include <string.h>

static const char *const kind_names[RS_SEQTASK_COUNT_KINDS] = {
    [RS_SEQTASK_COPY_FIRST] = "copy_first",
    [RS_SEQTASK_COPY_LAST] = "copy_last",
    [RS_SEQTASK_COUNT] = "count",
    [RS_SEQTASK_COUNT_ONES] = "count_ones",
    [RS_SEQTASK_SUM] = "sum",
};

/* By id: the digits, then RS_SEQ_PLUS, RS_SEQ_SEP, RS_SEQ_QUERY. */
static const char *const token_texts[] = {"0", "1", "2", "3", "4", "5", "6",
                                          "7", "8", "9", "+", ",", "?"};
_Static_assert(RS_ARRAY_LEN(token_texts) == RS_SEQ_VOCAB && RS_SEQ_PLUS == 10 &&
                   RS_SEQ_SEP == 11 && RS_SEQ_QUERY == 12,
               "token_texts follows the token ids");

void
rs_seqtask_config_default(struct rs_seqtask_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->kind = RS_SEQTASK_COPY_FIRST;
    cfg->min_len = 1;
    cfg->max_len = 16;
    cfg->symbols = 10;
    cfg->p_one = 0.7f;
    cfg->sep_every = 0;
}

int
rs_seqtask_config_check(const struct rs_seqtask_config *cfg,
                        struct rs_error *err)
{
    if ((int)cfg->kind < 0 || cfg->kind >= RS_SEQTASK_COUNT_KINDS)
        return rs_error_set(err, RS_EINVAL, "kind = %d (unknown)",
                            (int)cfg->kind);
    if (cfg->min_len < 1 || cfg->min_len > RS_SEQTASK_MAX_LEN)
        return rs_error_set(err, RS_EINVAL,
                            "min_len = %d (must be in 1..%d)",
                            cfg->min_len, RS_SEQTASK_MAX_LEN);
    if (cfg->max_len < cfg->min_len || cfg->max_len > RS_SEQTASK_MAX_LEN)
        return rs_error_set(err, RS_EINVAL,
                            "max_len = %d (must be in min_len = "
                            "%d..%d)",
                            cfg->max_len, cfg->min_len, RS_SEQTASK_MAX_LEN);
    if (cfg->symbols < 1 || cfg->symbols > 10)
        return rs_error_set(err, RS_EINVAL,
                            "symbols = %d (must be in 1..10)",
                            cfg->symbols);
    if (!(isfinite(cfg->p_one) && cfg->p_one >= 0.0f && cfg->p_one <= 1.0f))
        return rs_error_set(err, RS_EINVAL,
                            "p_one = %g (must be in [0, 1])",
                            (double)cfg->p_one);
    if (cfg->sep_every < 0 || cfg->sep_every > RS_SEQTASK_MAX_LEN)
        return rs_error_set(err, RS_EINVAL,
                            "sep_every = %d (must be in 0..%d; 0: "
                            "no separators)",
                            cfg->sep_every, RS_SEQTASK_MAX_LEN);
    return RS_OK;
}

const char *
rs_seqtask_kind_name(enum rs_seqtask_kind k)
{
    if ((int)k < 0 || k >= RS_SEQTASK_COUNT_KINDS)
        return "?";
    return kind_names[k];
}

int
rs_seqtask_kind_parse(const char *name)
{
    for (int k = 0; k < RS_SEQTASK_COUNT_KINDS; k++)
        if (strcmp(name, kind_names[k]) == 0)
            return k;
    return -1;
}

/* Content tokens of a sample of len: the sum task interleaves '+'. */
static int
content_len(const struct rs_seqtask_config *cfg, int len)
{
    return cfg->kind == RS_SEQTASK_SUM ? 2 * len - 1 : len;
}

int
rs_seqtask_seq_len(const struct rs_seqtask_config *cfg, int len)
{
    if (len < 1 || len > RS_SEQTASK_MAX_LEN)
        return 0;
    int c = content_len(cfg, len);
    int seps = cfg->sep_every > 0 ? (c - 1) / cfg->sep_every : 0;
    return c + seps + 1;
}

int
rs_seqtask_classes(const struct rs_seqtask_config *cfg)
{
    switch (cfg->kind) {
    case RS_SEQTASK_COPY_FIRST:
    case RS_SEQTASK_COPY_LAST:
        return 10;
    default:
        return cfg->max_len + 1;
    }
}

/* Content token i (0-based) of a row; *ones counts the 1s drawn. */
static int
content_token(const struct rs_seqtask_config *cfg, struct rs_rng *rng, int i,
              int *ones)
{
    switch (cfg->kind) {
    case RS_SEQTASK_COPY_FIRST:
    case RS_SEQTASK_COPY_LAST:
        return (int)rs_rng_below(rng, (uint32_t)cfg->symbols);
    case RS_SEQTASK_COUNT: {
        /* p_one = 1 always draws a 1: uniform() < 1 holds for every value. */
        int one = rs_rng_uniform(rng) < cfg->p_one;
        *ones += one;
        return one;
    }
    case RS_SEQTASK_COUNT_ONES:
        return 1;
    default: /* sum: 1 + 1 + ... + 1 */
        return i % 2 == 0 ? 1 : RS_SEQ_PLUS;
    }
}

int
rs_seqtask_sample(const struct rs_seqtask_config *cfg, struct rs_rng *rng,
                  int B, int len, int *ids, int *targets, struct rs_error *err)
{
    int rc = rs_seqtask_config_check(cfg, err);
    if (rc != RS_OK)
        return rc;
    if (len < 1 || len > RS_SEQTASK_MAX_LEN)
        return rs_error_set(err, RS_EINVAL,
                            "len = %d (must be in 1..%d)", len,
                            RS_SEQTASK_MAX_LEN);
    int T = rs_seqtask_seq_len(cfg, len);
    if (B < 1 || B > INT_MAX / T)
        return rs_error_set(err, RS_EINVAL,
                            "B = %d samples of %d tokens (must be "
                            "in 1..%d)",
                            B, T, INT_MAX / T);
    int c = content_len(cfg, len), k = cfg->sep_every;
    for (int b = 0; b < B; b++) {
        int *row = ids + (size_t)b * (size_t)T;
        int t = 0, ones = 0, first = 0, last = 0;
        for (int i = 0; i < c; i++) {
            int tok = content_token(cfg, rng, i, &ones);
            if (i == 0)
                first = tok;
            last = tok;
            row[t++] = tok;
            if (k > 0 && (i + 1) % k == 0 && i + 1 < c)
                row[t++] = RS_SEQ_SEP;
        }
        row[t++] = RS_SEQ_QUERY;
        RS_ASSERT(t == T);
        switch (cfg->kind) {
        case RS_SEQTASK_COPY_FIRST:
            targets[b] = first;
            break;
        case RS_SEQTASK_COPY_LAST:
            targets[b] = last;
            break;
        case RS_SEQTASK_COUNT:
            targets[b] = ones;
            break;
        default: /* count_ones and sum: len ones */
            targets[b] = len;
            break;
        }
    }
    return RS_OK;
}

const char *
rs_seqtask_token_text(int id)
{
    if (id < 0 || id >= RS_SEQ_VOCAB)
        return "";
    return token_texts[id];
}
