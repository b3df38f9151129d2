/* repscope - MIT licence, see COPYING.
 *
 * seqtask.h: synthetic sequence tasks for the decoder-only transformer
 * (the counting and copying tasks of Barbero et al. 2024, arXiv
 * 2406.04267). A sample is `len` content tokens, optionally a separator
 * after every `sep_every` content tokens (the paper's "commas" fix; none
 * after the last), then one query token; the answer is a class read off
 * the logits at the query (last) position:
 *
 *   copy_first  digits from 0..symbols-1, answer: the first digit
 *   copy_last   the same, answer: the last digit
 *   count       0/1 digits, each 1 with probability p_one, answer: #ones
 *   count_ones  all ones, answer: len
 *   sum         1 + 1 + ... + 1 (len ones, '+' between), answer: len
 *
 * One vocabulary for every task: ids 0..9 the digits, RS_SEQ_PLUS,
 * RS_SEQ_SEP (','), RS_SEQ_QUERY ('?'). Classes: 10 for the copy tasks,
 * max_len + 1 for the counting ones. Generation is deterministic given
 * the RNG state. Worker thread only (the RNG is the caller's).
 */
#ifndef RS_DATA_SEQTASK_H
#define RS_DATA_SEQTASK_H

#include <stdbool.h>

#include "core/base.h"
#include "core/rng.h"

/* Longest sample accepted, in content tokens (len of rs_seqtask_sample),
 * and the bound of min_len, max_len and sep_every. */
#define RS_SEQTASK_MAX_LEN 4096

enum {
    RS_SEQ_PLUS = 10,
    RS_SEQ_SEP = 11,
    RS_SEQ_QUERY = 12,
    RS_SEQ_VOCAB = 13
};

enum rs_seqtask_kind {
    RS_SEQTASK_COPY_FIRST,
    RS_SEQTASK_COPY_LAST,
    RS_SEQTASK_COUNT,
    RS_SEQTASK_COUNT_ONES,
    RS_SEQTASK_SUM,
    RS_SEQTASK_COUNT_KINDS
};

struct rs_seqtask_config {
    enum rs_seqtask_kind kind;
    int min_len, max_len; /* content tokens per sample, 1 <= min <= max */
    int symbols;          /* copy tasks: digits drawn from 0..symbols-1,
                             1 <= symbols <= 10 (checked for every kind) */
    float p_one;          /* count: probability of a 1, in [0, 1] */
    int sep_every;        /* 0: no separators; else one after every k,
                             k <= RS_SEQTASK_MAX_LEN */
};

/* copy_first, lengths 1..16, 10 symbols, p_one 0.7, no separators. */
void rs_seqtask_config_default(struct rs_seqtask_config *cfg);
/* RS_OK or RS_EINVAL naming the field ("seqtask: max_len = 0 ..."). */
RS_NODISCARD int rs_seqtask_config_check(const struct rs_seqtask_config *cfg,
                                         struct rs_error *err);

/* "copy_first", "copy_last", "count", "count_ones", "sum" ("?" for a
 * value outside the enum); parse: -1 if unknown. */
const char *rs_seqtask_kind_name(enum rs_seqtask_kind k);
int rs_seqtask_kind_parse(const char *name);

/* Tokens of one sample with `len` content tokens (separators and the
 * query included): the T of rs_seqtask_sample. The sum task has
 * 2 len - 1 content tokens (the '+' signs) before separators. 0 for a
 * len outside 1..RS_SEQTASK_MAX_LEN. */
int rs_seqtask_seq_len(const struct rs_seqtask_config *cfg, int len);
/* Answer classes: 10 (copy) or max_len + 1 (counting). A counting answer
 * of a sample longer than max_len may exceed classes - 1 (up to len). */
int rs_seqtask_classes(const struct rs_seqtask_config *cfg);

/* B samples with `len` content tokens each (min_len <= len <= max_len is
 * not required: evaluation may go beyond the training range, up to
 * 4096): ids (B, T) row-major with T = rs_seqtask_seq_len(cfg, len),
 * targets (B). The caller owns both buffers. RS_EINVAL (naming the
 * value) for a bad config, len outside 1..RS_SEQTASK_MAX_LEN, B < 1 or
 * B * T above INT_MAX; nothing is drawn then. */
RS_NODISCARD int rs_seqtask_sample(const struct rs_seqtask_config *cfg,
                                   struct rs_rng *rng, int B, int len,
                                   int *ids, int *targets,
                                   struct rs_error *err);

/* One token as text: "0".."9", "+", ",", "?" (labels of views); "" for
 * an id outside 0..RS_SEQ_VOCAB-1. Static strings. */
const char *rs_seqtask_token_text(int id);

#endif /* RS_DATA_SEQTASK_H */
