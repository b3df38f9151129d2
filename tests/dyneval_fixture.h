/* repscope - MIT licence, see COPYING.
 *
 * dyneval_fixture.h: what the dynamic-evaluation tests (t_algo_dyneval*.c)
 * share: a corpus written on disk (source A: three documents of
 * repetitive prose, source B: one of digits and signs; all in the train
 * split, A's documents first), a small griffin model (d 16, 2 layers, 2
 * heads; pattern "A" gets window 0), a learner of it over the corpus, a
 * run (model, anchor with the model's parameters, learner with the
 * driver attached), and the bits a segment should get, recomputed with
 * one no-grad forward.
 *
 * Builders bail out of the test (tap_bail) with the library's message
 * when the library refuses: a fixture that cannot be built is not a test
 * result.
 */
#ifndef RS_TESTS_DYNEVAL_FIXTURE_H
#define RS_TESTS_DYNEVAL_FIXTURE_H

#include <stdint.h>

#include "algo/dyneval.h"
#include "algo/learner.h"
#include "core/graph.h"
#include "data/text.h"
#include "nn/module.h"

struct tap_corpus {
    char *dir, *a, *b;     /* owned paths: the corpus and its sources */
    rs_text *text;         /* one reference */
    struct rs_text_view v; /* the train split: A's documents, then B's */
};

/* Write and load the corpus under a fresh tap_tmpdir. */
void tap_corpus_init(struct tap_corpus *cp);
void tap_corpus_fini(struct tap_corpus *cp);

/* A griffin module of width d (vocab 256, 2 layers, 2 heads, pattern as
 * given), weights drawn from seed. */
rs_nn_module *tap_griffin(const char *pattern, int d, uint64_t seed);
/* dst's parameters become src's (the same registry layout). */
void tap_copy_params(rs_nn_module *dst, const rs_nn_module *src);
/* A learner of m (retained) with next_token over a text source of
 * windows of 16 + 1 bytes: batch 4, no evaluation, log every update. */
rs_learner *tap_text_learner(rs_text *text, rs_nn_module *m);

/* A model (seed 1), its anchor (drawn from seed 2, then the model's
 * parameters copied in) and a learner of the model with the driver of
 * cfg attached. */
struct tap_dyn_run {
    rs_nn_module *m, *anchor;
    rs_learner *l;
};
void tap_dyn_run_init(struct tap_dyn_run *r, struct tap_corpus *cp,
                      const char *pattern, const struct rs_dyneval_config *cfg);
void tap_dyn_run_fini(struct tap_dyn_run *r);
/* One rs_learner_update, then the driver's info. */
struct rs_dyneval_info tap_dyn_update(struct tap_dyn_run *r);

/* Parts "A" (source 1) and "B" (source 2) of the train split, whole;
 * otherwise the defaults. */
struct rs_dyneval_config tap_dyn_parts(int L, int context,
                                       enum rs_dyneval_adapt adapt, double lr);

/* bits[t] = bits of bytes[t + 1] from one no-grad forward of m over
 * bytes[0 .. W) (W >= 2), (W - 1) floats. */
void tap_window_bits(rs_nn_module *m, rs_graph *g, const uint8_t *bytes, int W,
                     float *bits);
/* The segment the driver reads from byte pos of v (L bytes, or up to
 * its document's end) and its bits under m from the window [up to
 * context bytes of its document | the segment] into want (NaN at a
 * document's first byte). Returns the segment's length. */
int tap_segment_bits(rs_nn_module *m, rs_graph *g, const struct rs_text_view *v,
                     size_t pos, int L, int context, float *want);
/* The largest |a - b| over n; NaN when exactly one of a pair is NaN
 * (NaN pairs agree). */
double tap_max_gap(const float *a, const float *b, int n);

#endif /* RS_TESTS_DYNEVAL_FIXTURE_H */
