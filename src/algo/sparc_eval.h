/* repscope - MIT licence, see COPYING.
 *
 * sparc_eval.h: the instruments of an image-text learner (objectives clip
 * and sparc, algo/objective.h): how well each patch embedding names its
 * own region, global retrieval, and how the fine-grained alignment
 * weights spread. The caller gives what only the data knows (each
 * patch's true class, which caption words name an item, the token id of
 * each class word), so this needs no particular source kind.
 *
 * Over the first n examples of a split of the learner's (finite) source,
 * with gradients off, v = modules[0] (n, P, d), t = modules[1] (n, L, d):
 *   patch_acc      share of patches whose argmax over k of
 *                  cos(v_ip, e_k) is their true class, e_k the text
 *                  encoder's embedding of class word k alone (a one-token
 *                  caption);
 *   r1             the mean of image->caption and caption->image R@1
 *                  among the n, on the global embeddings of the loss
 *                  (mean patch, mean non-pad token; cosine);
 *   align_entropy  the mean over non-pad tokens of -sum_p a_lp ln a_lp
 *                  (0 ln 0 = 0), a the alignment weights of the learner's
 *                  objective (clip, or another kind: the sparc default
 *                  alignment, min-max + threshold 1/P) or spec->align;
 *   align_mass     the mean over words naming an item of the share of
 *                  their weight on that item's patches (the patches whose
 *                  true class is the word's class: an image's items have
 *                  distinct classes);
 *   align          a (L, P) of one example (rows of pad tokens are 0),
 *                  that example's ids, and its patches' predicted
 *                  classes (pred).
 * Worker thread only; it uses the learner's graph and evaluation batch,
 * and ends any cached probe forward (rs_learner_probe_forward).
 */
#ifndef RS_ALGO_SPARC_EVAL_H
#define RS_ALGO_SPARC_EVAL_H

#include "algo/learner.h"
#include "algo/objective.h"
#include "core/base.h"
#include "data/source.h"

struct rs_sparc_eval_spec {
    enum rs_split split;
    int n;                  /* the first n examples of split, >= 1 */
    const int *patch_class; /* (n, P) class of each patch, or NULL: no
                               patch_acc / align_mass (NaN) */
    const int *word_item;   /* (n, L) >= 0 for a word naming an item, -1
                               for pad and distractors; NULL: every class
                               word counts */
    const int *class_ids;   /* (classes) the token id of each class word */
    int classes;            /* >= 1 */
    int example;            /* which of the n gives align, 0..n-1 */
    /* The alignment to read the weights with (align, sparse, sigma_mult,
     * tau_f), or NULL: the learner's own objective's (the sparc default
     * for another kind), so learners with different rules can also be
     * compared under one. */
    const struct rs_obj_sparc_config *align;
};

struct rs_sparc_eval {
    double patch_acc, r1, r1_i2t, r1_t2i, align_entropy, align_mass;
    int L, P;
    float *align; /* (L, P), owned: rs_sparc_eval_fini */
    int *ids;     /* (L) the example's caption ids, owned */
    int *pred;    /* (P) the example's patch classes as patch_acc predicts
                     them (argmax cosine to the class words), owned */
};

/* Fill out (a fresh struct; the caller finis it after RS_OK; nothing to
 * fini on error). RS_EINVAL for a learner whose objective, modules or
 * source are not an image-text pair, a generator source, n, example or
 * classes out of range, or a class id outside the vocabulary; graph
 * errors as a step's. */
RS_NODISCARD int rs_sparc_eval(rs_learner *l,
                               const struct rs_sparc_eval_spec *spec,
                               struct rs_sparc_eval *out, struct rs_error *err);
void rs_sparc_eval_fini(struct rs_sparc_eval *out);
/* Send ev's scalars through l's log callback (rs_learner_set_log), as
 * an evaluation's: "<name>/eval/patch_acc", ".../eval/r1",
 * ".../eval/align_entropy", ".../eval/align_mass" (bare "eval/..." for
 * the unnamed learner). The matrix is the caller's to publish. */
void rs_sparc_eval_log(const rs_learner *l, const struct rs_sparc_eval *ev);

#endif /* RS_ALGO_SPARC_EVAL_H */
