/* repscope - MIT licence, see COPYING.
 *
 * lm_eval.h: the instruments of a character language model (a module
 * taking token ids, forward_ids giving logits (B, T, V) with V >= 256)
 * on a text (data/text.h): bits per character with a bounded context,
 * bits per character far beyond the training length, the loss by
 * position, and the recurrence gates along a text.
 *
 * Scoring. A window of W bytes w[0..W) goes through the model whole;
 * logits row t scores byte w[t + 1], bits = -log2 softmax(z_t)[w[t + 1]]
 * (in double). The model must be causal (row t may read w[0..t] only):
 * short windows are padded with byte 0 at the end. The first byte of a
 * document is never scored (the models have no start token); every
 * other byte is, with only bytes of its own document as context.
 *
 * bpc_in, context T (windows of T + 1 bytes, as the next-token training
 * windows): with h = floor(T / 2), each document d[0..n) is tiled by
 * windows at starts 0, h, 2h, ... while they fit (s + T <= n - 1); the
 * first scores bytes 1..T, each later one the h bytes after the previous
 * window's last (so bytes s + T - h + 1 .. s + T); a last window ending
 * at byte n - 1 scores what is left (fewer than h bytes). A document of
 * at most T + 1 bytes is one (padded) window. So every scored byte is
 * scored exactly once, with all its preceding bytes as context when it
 * is one of the first T of its document, else with between T - h + 1 and
 * T bytes of context.
 *
 * bpc_far: windows of `far` bytes inside documents of at least `far`
 * bytes (candidates at starts 0, far, 2 far, ... of each document, in
 * text order; far_windows of them evenly spread, or all). Position p
 * (1-based, 2..far) of a window is scored with its p - 1 preceding
 * bytes; bpc_far is the mean over positions far_from..far. The loss by
 * position: bin b (0-based) of `bins` holds the positions p with
 * floor((p - 1) bins / far) = b; its mean bits and mean position.
 *
 * Memory: windows go through the model in chunks sized from the module's
 * act_floats (plus the logits) against RS_LM_EVAL_BUDGET floats. No
 * gradients: the graph's grad flag is off during the forwards and
 * restored after; the graph is reset before each chunk and after the
 * last. Worker thread only.
 */
#ifndef RS_ALGO_LM_EVAL_H
#define RS_ALGO_LM_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include "algo/learner.h"
#include "core/base.h"
#include "core/graph.h"
#include "data/text.h"
#include "nn/module.h"

/* Floats of activations and logits one chunk of windows may hold (about
 * 64 MiB), and the most windows per chunk. */
#define RS_LM_EVAL_BUDGET ((size_t)1 << 24)
#define RS_LM_EVAL_CHUNK_MAX 256
/* Half-life histogram bins: [0, 1), [1, 2), [2, 4), ... [2^13, 2^14),
 * [2^14, inf]. */
#define RS_LM_EVAL_HL_BINS 16
/* Most bins of the loss by position. */
#define RS_LM_EVAL_BINS_MAX 4096

struct rs_lm_eval_spec {
    int T;            /* bpc_in context, 2..2^20 */
    size_t max_chars; /* bpc_in scores bytes of the first max_chars of the
                         text only (0: all) */
    int far;          /* far window length, 0: no far part, else 2..2^20 */
    int far_from;     /* first 1-based position of bpc_far, 2..far */
    int bins;         /* loss-by-position bins, 1..min(far, BINS_MAX) */
    int far_windows;  /* 0: every candidate window */
};

/* T 128, max_chars 0, far 2048, far_from 513, bins 16, far_windows 16. */
void rs_lm_eval_spec_default(struct rs_lm_eval_spec *spec);

struct rs_lm_eval {
    double bpc_in;    /* NaN when nothing was scored */
    long n_in;        /* bytes scored */
    int ctx_late_min; /* the least context of a byte past the first T of
                         its document (0: none), and the most of any */
    int ctx_max;
    double bpc_far;  /* NaN without far windows */
    long n_far;      /* bytes scored in far_from..far */
    int far_windows; /* far windows scored */
    int bins;
    float *by_pos; /* (2, bins) owned: mean bits, then mean 1-based
                      position, of each bin (NaN for an empty bin) */
};

/* Bits of byte tgt under logits z (V): (logsumexp(z) - z[tgt]) / ln 2,
 * in double. tgt in 0..V-1. */
double rs_lm_eval_row_bits(const float *z, int V, int tgt);

/* One no-grad forward of m on ids (n, W) (W >= 2) on g: bits (n, W - 1)
 * row t of window i the bits of ids[i][t + 1]. g is reset before and
 * after. RS_EINVAL / RS_ESHAPE when m takes no tokens, its output is not
 * (n, W, V) or a target is outside 0..V-1; graph errors as a forward's
 * (the graph's message). */
RS_NODISCARD int rs_lm_eval_bits(rs_nn_module *m, rs_graph *g, const int *ids,
                                 int n, int W, float *bits,
                                 struct rs_error *err);

/* The instruments of m on the text v (borrowed) into out (a fresh
 * struct; the caller finis it after RS_OK, nothing to fini on error).
 * RS_EINVAL naming the field for a bad spec, or when far > 0 and no
 * document has far bytes ("far: no document of 2048 bytes (the longest
 * has 1500)"); errors of rs_lm_eval_bits. */
RS_NODISCARD int rs_lm_eval_text(rs_nn_module *m, rs_graph *g,
                                 const struct rs_text_view *v,
                                 const struct rs_lm_eval_spec *spec,
                                 struct rs_lm_eval *out, struct rs_error *err);
void rs_lm_eval_fini(struct rs_lm_eval *out);

/* rs_lm_eval_text on the test split of l's rs.data.text source with
 * modules[0] on l's graph (ends any cached probe forward). RS_EINVAL when
 * the source is not a text source or its test split is empty. */
RS_NODISCARD int rs_lm_eval(rs_learner *l, const struct rs_lm_eval_spec *spec,
                            struct rs_lm_eval *out, struct rs_error *err);
/* "<name>/eval/bpc_in" and (with far windows) "<name>/eval/bpc_far"
 * through l's log callback. The matrix is the caller's to publish. */
void rs_lm_eval_log(const rs_learner *l, const struct rs_lm_eval *ev);

/* ---- gates ------------------------------------------------------------
 * A model that records its recurrence gate a_t as "a<layer>" (B, T, C)
 * after a forward (the griffin kind's recurrent layers). One no-grad
 * forward of text (1, len); a (C, len) is a_t per channel along the
 * text, half_life (C) per channel ln 0.5 / mean_t ln a_t: the half-life
 * of the mean decay rate along the text (a gate that is 0 somewhere
 * gives 0, one that is 1 throughout +inf). */
struct rs_lm_gates {
    int C, len;
    float *a;         /* (C, len) owned */
    float *half_life; /* (C) owned */
};

/* RS_EINVAL when len < 1, layer < 1, or m records no "a<layer>" after the
 * forward ("the model records no a3 (...)"); RS_ESHAPE when it is not
 * (1, len, C); errors as rs_lm_eval_bits'. out is fresh; fini it after
 * RS_OK. */
RS_NODISCARD int rs_lm_eval_gates_module(rs_nn_module *m, rs_graph *g,
                                         const uint8_t *text, int len,
                                         int layer, struct rs_lm_gates *out,
                                         struct rs_error *err);
/* The same with modules[0] of l on its graph. */
RS_NODISCARD int rs_lm_eval_gates(rs_learner *l, const uint8_t *text, int len,
                                  int layer, struct rs_lm_gates *out,
                                  struct rs_error *err);
void rs_lm_eval_gates_fini(struct rs_lm_gates *out);
/* Counts of hl[0..C) in the RS_LM_EVAL_HL_BINS bins above (NaN and
 * negative values are not counted). */
void rs_lm_eval_half_life_hist(const float *hl, int C,
                               float counts[RS_LM_EVAL_HL_BINS]);

#endif /* RS_ALGO_LM_EVAL_H */
