/* repscope - MIT licence, see COPYING.
 *
 * ckpt_learner.h: a learner's checkpoint sections (run/ckpt.h), named
 * after the learner rather than counted in creation order:
 *   learner/format            text "repscope-learner 1" (one per file)
 *   learner/<n>/state         u64: rs_learner_state_save
 *   learner/<n>/param/<pname> f32: each parameter (rs_learner_params)
 *   learner/<n>/optim/<i>/m   f32: optimiser buffers of parameter i
 *   learner/<n>/optim/<i>/v
 *   learner/<n>/obj/<tname>   f32: the objective's tensors
 * where <n> is the learner's name, "_" for the unnamed learner.
 *
 * A load checks every section first and changes the learner only when
 * all are present with the right sizes (the state last), so a refused
 * checkpoint leaves the learner as it was. Worker thread only.
 */
#ifndef RS_RUN_CKPT_LEARNER_H
#define RS_RUN_CKPT_LEARNER_H

#include <stdbool.h>

#include "algo/learner.h"
#include "core/base.h"
#include "run/ckpt.h"

/* The text of section "learner/format" this version writes and reads. */
#define RS_CKPT_LEARNER_FORMAT "repscope-learner 1"

/* Add l's sections (and learner/format) to ck. */
void rs_ckpt_learner_save(rs_ckpt *ck, const rs_learner *l);
/* RS_OK when ck carries learners in a format this version reads; else
 * RS_EFORMAT with the reason: a checkpoint from before learners
 * (sections "trainer<k>/...": "checkpoint format 1 (trainers by creation
 * order, before learners) cannot be resumed by this version: start the
 * run again"), an unknown learner/format text (naming it), or no learner
 * sections at all. */
RS_NODISCARD int rs_ckpt_learner_check(const rs_ckpt *ck, struct rs_error *err);
/* rs_ckpt_learner_check, then restore l from its sections. RS_EFORMAT
 * naming the missing or mis-sized section (or the state's complaint);
 * l unchanged on error. */
RS_NODISCARD int rs_ckpt_learner_load(const rs_ckpt *ck, rs_learner *l,
                                      struct rs_error *err);
/* True when ck has sections of a learner called name ("" or "_": the
 * unnamed one). */
bool rs_ckpt_learner_has(const rs_ckpt *ck, const char *name);

#endif /* RS_RUN_CKPT_LEARNER_H */
