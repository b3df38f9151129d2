/* repscope - MIT licence, see COPYING.
 *
 * dyneval.h: dynamic evaluation of a character language model, as a
 * learner driver (algo/learner.h): the model is scored on a stream of
 * segments and adapts on each segment right after scoring it (Krause et
 * al. 2018, "Dynamic Evaluation of Neural Sequence Models"; Rannen-Triki
 * et al. 2024, "Revisiting Dynamic Evaluation", arXiv 2403.01518).
 *
 * The stream: parts (each a range of one split's text, of one source or
 * all, data/text.h rs_text_stream) read in order, in segments of L bytes
 * that never hold bytes of two documents (a segment ends at its
 * document's end). One session step is one segment:
 *
 *   1. window = [context | segment]: the context is the up to `context`
 *      bytes of the same document right before the segment (re-read: no
 *      state crosses a segment but through these bytes and the weights,
 *      so a document's first bytes have less context, as in lm_eval.h);
 *   2. one forward of the window (with gradients when the run adapts);
 *      each byte of the segment is scored from the row before it:
 *      bits = -log2 softmax(z)[byte], with the weights as they were
 *      BEFORE this segment's update. A document's first byte has no row
 *      before it and is not scored;
 *   3. the run adapts (adapt != none): loss = the mean cross-entropy of
 *      the scored bytes (nats), backward into the adapted parameters
 *      only (the others do not require gradients during the forward, so
 *      the tape stops below the lowest adapted layer), then per adapted
 *      element with gradient g:
 *        sgd  theta -= lr g
 *        rms  v = beta v + (1 - beta) g^2,
 *             theta -= lr g / (sqrt(v / (1 - beta^k)) + 1e-8)
 *             (RMSprop with Adam's bias correction, k = the run's
 *             updates: a plain stand-in for Krause et al.'s
 *             RMS-normalised rule, whose mean squares came from training
 *             data)
 *      then the decay toward theta0 (the anchor's parameters):
 *        theta = (1 - decay) theta + decay theta0
 *      (decay 1 gives theta0 exactly; 0 is no decay);
 *   4. doc_reset: before a segment that starts a document the adapted
 *      parameters go back to theta0 and the RMS state to 0 (off by
 *      default: the adaptation is stream memory and carries across
 *      documents and parts).
 *
 * The first update copies theta0 into the model (the anchor is
 * typically the model a pretraining learner trained). The anchor is
 * read at every update (the decay, the drift, the resets), never
 * written: keep it fixed while the stream runs (a learner that trains
 * it never updates side by side with this one: rs_learners_update steps
 * the two in order). It must have the model's parameters (same names
 * and shapes, same order).
 *
 * Adapted parameters (by name in the model's registry):
 *   all   every parameter
 *   mlp   the MLPs: names containing ".mlp." (griffin and transformer
 *         kinds: h<l>.mlp.*)
 *   last  the last layer's block: names starting "h<L>." with L the
 *         module's layer count
 *   none  static scoring: a no-grad forward, no update
 *
 * Logged per segment through the learner's log callback ("<name>/..."):
 *   stream/bpc          the segment's bits per scored byte
 *   stream/bpc_ema      an EMA of it (factor ema per segment; the first
 *                       segment sets it)
 *   stream/drift        ||theta - theta0|| over all parameters
 *   stream/ms_per_char  this thread's CPU time of the update (window,
 *                       scoring, adaptation, decay; not the drift, an
 *                       instrument) per byte of the segment
 *   stream/part         the part index (from 1)
 * Cumulative bits and bytes (in all, per part, and over each part's
 * first `early` bytes) and the last segment (its bytes and bits) are
 * readable through rs_dyneval_info, so a caller can form the bits
 * saved against another run.
 *
 * When the stream is exhausted an update does nothing (and logs
 * nothing). Checkpoint words: the position, the totals, the EMA and
 * the RMS state (the parameters are the learner's; theta0 the anchor's).
 * Worker thread only.
 */
#ifndef RS_ALGO_DYNEVAL_H
#define RS_ALGO_DYNEVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "algo/learner.h"
#include "core/base.h"
#include "data/text.h"
#include "nn/module.h"

#define RS_DYNEVAL_MAX_PARTS 8
#define RS_DYNEVAL_LABEL_MAX 15
/* Longest segment and context, bytes. */
#define RS_DYNEVAL_MAX_L 65536

enum rs_dyneval_adapt {
    RS_DYNEVAL_NONE,
    RS_DYNEVAL_ALL,
    RS_DYNEVAL_MLP,
    RS_DYNEVAL_LAST
};
enum rs_dyneval_rule { RS_DYNEVAL_SGD, RS_DYNEVAL_RMS };

struct rs_dyneval_part {
    enum rs_split split;
    int source;                           /* -1: all sources */
    size_t from;                          /* first byte of the view */
    size_t bytes;                         /* 0: to the view's end */
    char label[RS_DYNEVAL_LABEL_MAX + 1]; /* "A", "B", ... */
};

struct rs_dyneval_config {
    struct rs_dyneval_part parts[RS_DYNEVAL_MAX_PARTS];
    int nparts;  /* 1..RS_DYNEVAL_MAX_PARTS */
    int L;       /* segment bytes, 1..RS_DYNEVAL_MAX_L */
    int context; /* re-read bytes, 0..RS_DYNEVAL_MAX_L */
    enum rs_dyneval_adapt adapt;
    enum rs_dyneval_rule rule;
    double lr;       /* >= 0, finite */
    double rms_beta; /* [0, 1) */
    double decay;    /* [0, 1] */
    bool doc_reset;
    double ema;   /* [0, 1) */
    size_t early; /* per part, also total the bytes at positions < early
                     (where re-adaptation after a switch shows) */
};

/* One part of the test split of all sources, L 64, context 64, adapt
 * all, sgd, lr 1e-2, rms_beta 0.99, decay 0, no doc_reset, ema 0.98,
 * early 1024. */
void rs_dyneval_config_default(struct rs_dyneval_config *cfg);
/* The names of the enums in order, NULL-terminated ("none", "all",
 * "mlp", "last" / "sgd", "rms"), and one of them ("?" out of range). */
extern const char *const rs_dyneval_adapt_names[];
extern const char *const rs_dyneval_rule_names[];
const char *rs_dyneval_adapt_name(enum rs_dyneval_adapt a);
const char *rs_dyneval_rule_name(enum rs_dyneval_rule r);

/* Attach the driver (kind "dyneval") to l, whose source must be an
 * rs.data.text source (the parts are read from its corpus) and whose
 * modules[0] takes token ids; anchor (retained) gives theta0. RS_EINVAL
 * naming the field on a bad config, a part outside its view or empty, a
 * model without tokens, an anchor whose parameters differ (naming the
 * first one), or an adapt set that selects no parameter ("adapt = mlp
 * selects no parameter of ..."). l is unchanged on error. */
RS_NODISCARD int rs_dyneval_attach(rs_learner *l,
                                   const struct rs_dyneval_config *cfg,
                                   rs_nn_module *anchor, struct rs_error *err);

struct rs_dyneval_info {
    const struct rs_dyneval_config *cfg; /* borrowed */
    long segments;                       /* segments done */
    long segments_total;                 /* of the whole stream */
    int part;           /* part of the last segment (-1 before one) */
    bool part_first;    /* the last segment was its part's first */
    bool done;          /* the stream is exhausted */
    double bits, chars; /* totals over scored bytes */
    double part_bits[RS_DYNEVAL_MAX_PARTS], part_chars[RS_DYNEVAL_MAX_PARTS];
    /* the same over each part's first cfg->early bytes */
    double early_bits[RS_DYNEVAL_MAX_PARTS], early_chars[RS_DYNEVAL_MAX_PARTS];
    double bpc, bpc_ema, drift, ms_per_char; /* of the last segment */
    double cpu_ms;                           /* total */
    int adapted;                             /* adapted parameter tensors */
    size_t adapted_el;                       /* and their elements */
    /* The last segment: bytes (seg_len) and bits (seg_len; NaN where not
     * scored), borrowed until the next update. */
    const uint8_t *seg;
    const float *seg_bits;
    int seg_len;
};

/* The state of l's dyneval driver; RS_EINVAL when l has none. */
RS_NODISCARD int rs_dyneval_info(const rs_learner *l,
                                 struct rs_dyneval_info *out,
                                 struct rs_error *err);

#endif /* RS_ALGO_DYNEVAL_H */
