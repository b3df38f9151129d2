/* repscope - MIT licence, see COPYING.
 *
 * t_algo_dyneval_stream.c: the dynamic-evaluation driver's bookkeeping
 * over its stream (algo/dyneval.h), on the corpus of dyneval_fixture.h:
 * checkpoint words (a run restored mid-stream ends with the same totals
 * bit for bit; a state of another rule is refused), the attach errors
 * (each named, and the learner keeps the driver it had), the parts
 * (segments tile each part in order inside one document, part_first,
 * totals per part, the logged metrics), the exhausted stream, and the
 * rule that keeps a learner training the anchor from stepping at the
 * same time. What the driver scores and how it adapts is in
 * t_algo_dyneval.c.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo/dyneval.h"
#include "algo/learner.h"
#include "algo/objective.h"
#include "core/rng.h"
#include "data/source.h"
#include "nn/model.h"
#include "nn/module.h"
#include "tests/dyneval_fixture.h"
#include "tests/learn_fixture.h"
#include "tests/tap.h"

/* ---- 7. checkpoint words ------------------------------------------------ */

struct totals {
    double bits, chars, ema, part_bits[2], part_chars[2];
    long segments;
};

/* Updates to the end of the stream; the totals then. */
static struct totals
run_to_end(struct tap_dyn_run *r)
{
    struct rs_dyneval_info in;
    do
        in = tap_dyn_update(r);
    while (!in.done);
    return (struct totals){in.bits,
                           in.chars,
                           in.bpc_ema,
                           {in.part_bits[0], in.part_bits[1]},
                           {in.part_chars[0], in.part_chars[1]},
                           in.segments};
}

static bool
totals_same(const struct totals *a, const struct totals *b)
{
    bool same =
        a->segments == b->segments && tap_same_double(a->bits, b->bits) &&
        tap_same_double(a->chars, b->chars) && tap_same_double(a->ema, b->ema);
    for (int i = 0; i < 2; i++)
        same = same && tap_same_double(a->part_bits[i], b->part_bits[i]) &&
               tap_same_double(a->part_chars[i], b->part_chars[i]);
    return same;
}

static void
test_checkpoint(struct tap_corpus *cp)
{
    struct rs_dyneval_config c = tap_dyn_parts(24, 16, RS_DYNEVAL_ALL, 1e-2);
    c.rule = RS_DYNEVAL_RMS;
    c.decay = 0.1;
    struct tap_dyn_run a;
    tap_dyn_run_init(&a, cp, "R", &c);
    for (int i = 0; i < 7; i++)
        tap_dyn_update(&a);
    size_t n = rs_learner_state_words(a.l);
    uint64_t *w = rs_xcalloc(n, sizeof *w);
    rs_learner_state_save(a.l, w);
    rs_nn_module *saved = tap_griffin("R", 16, 7);
    tap_copy_params(saved, a.m);
    struct totals ta = run_to_end(&a);

    struct tap_dyn_run b;
    tap_dyn_run_init(&b, cp, "R", &c);
    tap_copy_params(b.m, saved);
    struct rs_error err = {0};
    tap_is_int(rs_learner_state_load(b.l, w, n, &err), RS_OK,
               "checkpoint: the words load (%s)", err.msg);
    struct totals tb = run_to_end(&b);
    tap_ok(totals_same(&ta, &tb) && tb.segments > 7,
           "checkpoint: the same totals, per part and EMA, bit for bit "
           "(%.6f bits over %.0f bytes)",
           tb.bits, tb.chars);
    tap_ok(tap_params_equal(rs_nn_module_model(a.m), rs_nn_module_model(b.m)),
           "checkpoint: the same weights at the end");
    tap_dyn_run_fini(&b);

    c.rule = RS_DYNEVAL_SGD;
    tap_dyn_run_init(&b, cp, "R", &c);
    tap_is_int(rs_learner_state_load(b.l, w, n, &err), RS_EFORMAT,
               "checkpoint: an rms state into an sgd run: RS_EFORMAT");
    tap_ok(strstr(err.msg, "RMS floats") != NULL, "... %s", err.msg);
    struct rs_dyneval_info in;
    tap_ok(rs_dyneval_info(b.l, &in, &err) == RS_OK && in.segments == 0 &&
               tap_dyn_update(&b).segments == 1,
           "checkpoint: the refused state changed nothing");
    tap_dyn_run_fini(&b);

    /* the same rule, another segment length: the words would fit */
    c.rule = RS_DYNEVAL_RMS;
    c.L = 32;
    tap_dyn_run_init(&b, cp, "R", &c);
    tap_ok(rs_learner_state_load(b.l, w, n, &err) == RS_EFORMAT &&
               strstr(err.msg, "L 24") != NULL,
           "checkpoint: a state of another stream (L) is refused: %s",
           err.msg);
    tap_dyn_run_fini(&b);
    tap_dyn_run_fini(&a);
    rs_nn_module_release(saved);
    free(w);
}

/* ---- 8. errors ---------------------------------------------------------- */

static void
refused(rs_learner *l, const struct rs_dyneval_config *c, rs_nn_module *anchor,
        const char *kind, const char *want, const char *what)
{
    struct rs_error err = {0};
    int rc = rs_dyneval_attach(l, c, anchor, &err);
    const char *got = rs_learner_driver_kind(l);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, want) != NULL &&
               (kind == NULL ? got == NULL
                             : got != NULL && strcmp(got, kind) == 0),
           "refused: %s: %s", what, err.msg);
}

static void
test_errors(struct tap_corpus *cp)
{
    struct rs_dyneval_config c = tap_dyn_parts(24, 16, RS_DYNEVAL_ALL, 0.1);
    rs_source *ms = tap_modular_source(11, '+', 0.5f, 7);
    rs_nn_module *mlp = tap_mlp(22, 8, 1, 11, 5),
                 *mlp2 = tap_mlp(22, 8, 1, 11, 6);
    rs_objective *cls = tap_classify();
    struct rs_learner_config lc;
    rs_learner_config_default(&lc);
    rs_learner *ml = tap_learner(&lc, mlp, cls, ms);
    refused(ml, &c, mlp2, NULL, "(a text source, rs.data.text, is needed)",
            "a dataset source");
    rs_learner_free(ml);

    rs_nn_module *m = tap_griffin("R", 16, 1), *m8 = tap_griffin("R", 8, 1);
    rs_learner *l = tap_text_learner(cp->text, m);
    refused(l, &c, m, NULL, "the anchor is the learner's own model",
            "anchor == model");
    refused(l, &c, m8, NULL,
            "the anchor's parameter 1 is embed.weight "
            "(256, 8), the model's embed.weight (256, 16)",
            "anchor of d 8");
    struct rs_dyneval_config bad = c;
    bad.L = 0;
    refused(l, &bad, m8, NULL, "L = 0 is outside", "L 0");
    bad = c;
    bad.parts[1].source = 2;
    refused(l, &bad, m8, NULL, "part 2: source 3 is outside 1..2",
            "source 3 of 2");
    bad = c;
    bad.parts[0].from = 100000;
    rs_nn_module *anchor = tap_griffin("R", 16, 3);
    tap_copy_params(anchor, m);
    refused(l, &bad, anchor, NULL, "dyneval: part 1 (A): from = 100000",
            "from past A");
    /* a driver in place stays on a refused attach */
    struct rs_error err = {0};
    tap_is_int(rs_dyneval_attach(l, &c, anchor, &err), RS_OK, "attach");
    refused(l, &c, m, "dyneval", "own model", "a second attach");
    rs_learner_free(l);

    /* a token model without MLPs or layers: an embedding as a bigram */
    struct rs_rng rng;
    rs_rng_seed(&rng, 4);
    rs_nn_module *e1 = rs_nn_module_embedding(256, 256, 0.1f, &rng, &err);
    rs_nn_module *e2 = rs_nn_module_embedding(256, 256, 0.1f, &rng, &err);
    if (e1 == NULL || e2 == NULL)
        tap_bail("embedding: %s", err.msg);
    l = tap_text_learner(cp->text, e1);
    c.adapt = RS_DYNEVAL_MLP;
    refused(l, &c, e2, NULL,
            "adapt = mlp selects no parameter of the embedding model",
            "adapt mlp");
    c.adapt = RS_DYNEVAL_LAST;
    refused(l, &c, e2, NULL, "adapt = last selects no parameter", "adapt last");
    rs_learner_free(l);
    rs_nn_module_release(e1);
    rs_nn_module_release(e2);
    rs_nn_module_release(anchor);
    rs_nn_module_release(m);
    rs_nn_module_release(m8);
    rs_nn_module_release(mlp);
    rs_nn_module_release(mlp2);
    rs_objective_release(cls);
    rs_source_release(ms);
}

/* ---- 9 and 10. exhaustion and parts ------------------------------------- */

static void
test_parts(struct tap_corpus *cp)
{
    const struct rs_text_view *v = &cp->v;
    struct rs_dyneval_config c = tap_dyn_parts(20, 8, RS_DYNEVAL_ALL, 0.1);
    /* a third part: bytes 100..149 of A's first document, again */
    c.parts[2] = (struct rs_dyneval_part){.split = RS_SPLIT_TRAIN,
                                          .source = 0,
                                          .from = 100,
                                          .bytes = 50,
                                          .label = "A2"};
    c.nparts = 3;
    struct tap_dyn_run r;
    tap_dyn_run_init(&r, cp, "R", &c);
    struct tap_log *lg = rs_xcalloc(1, sizeof *lg);
    rs_learner_set_log(r.l, tap_log_record, lg);
    long want_total = 3; /* of the third part */
    for (int k = 0; k < v->ndocs; k++)
        want_total += (long)((v->start[k + 1] - v->start[k] + 19) / 20);
    struct rs_dyneval_info in;
    tap_ok(rs_dyneval_info(r.l, &in, NULL) == RS_OK && in.part == -1 &&
               in.segments_total == want_total && !in.done,
           "parts: %ld segments ahead, none done", want_total);
    size_t pos = 0, end = v->len;
    int last = -1, bad_first = 0, span = 0, bad_bytes = 0;
    for (long s = 0; s < want_total; s++) {
        in = tap_dyn_update(&r);
        bool first = in.part != last;
        bad_first += in.part_first != first;
        last = in.part;
        if (in.part == 2 && first) {
            pos = 100;
            end = 150;
        }
        int k = rs_text_view_find(v, pos);
        span += pos + (size_t)in.seg_len > v->start[k + 1];
        bad_bytes += pos + (size_t)in.seg_len > end ||
                     memcmp(in.seg, v->bytes + pos, (size_t)in.seg_len) != 0;
        pos += (size_t)in.seg_len;
    }
    tap_ok(in.done && pos == 150, "parts: done after %ld", want_total);
    tap_is_int(bad_first, 0, "parts: part_first exactly on each part's first");
    tap_is_int(span, 0, "parts: no segment spans two documents");
    tap_is_int(bad_bytes, 0, "parts: the segments tile each part in order");
    tap_is_float(in.part_chars[0] + in.part_chars[1] + in.part_chars[2],
                 in.chars, 0.0, 0.0, "parts: bytes add up");
    tap_is_float(in.part_bits[0] + in.part_bits[1] + in.part_bits[2], in.bits,
                 0.0, 1e-12, "parts: bits add up");
    tap_ok(in.part_chars[0] == (double)(v->start[3] - 3) &&
               in.part_chars[1] == (double)(v->len - v->start[3] - 1) &&
               in.part_chars[2] == 50.0,
           "parts: every byte but a document's first is scored, once per "
           "part (%.0f, %.0f, %.0f)",
           in.part_chars[0], in.part_chars[1], in.part_chars[2]);
    /* the log: one stream/bpc per segment, the EMA of them */
    double ema = 0.0;
    int nbpc = 0, nparts = 0;
    for (int i = 0; i < lg->n; i++) {
        if (strcmp(lg->name[i], "stream/bpc") == 0)
            ema = nbpc++ ? 0.98 * ema + 0.02 * lg->v[i] : lg->v[i];
        nparts += strcmp(lg->name[i], "stream/part") == 0;
    }
    tap_ok(nbpc == want_total && nparts == want_total &&
               fabs(ema - in.bpc_ema) <= 1e-12,
           "parts: stream/bpc and stream/part logged per segment, bpc_ema "
           "their EMA (%.4f)",
           in.bpc_ema);
    /* 9. exhausted: updates do nothing */
    rs_nn_module *keep = tap_griffin("R", 16, 8);
    tap_copy_params(keep, r.m);
    int n_log = lg->n, n_stream = 0;
    struct rs_dyneval_info after = tap_dyn_update(&r);
    after = tap_dyn_update(&r);
    /* (the learner still logs train/lr per update: not the driver's) */
    for (int i = n_log; i < lg->n; i++)
        if (strncmp(lg->name[i], "stream/", 7) == 0) {
            tap_diag("after the end: %s = %g", lg->name[i], lg->v[i]);
            n_stream++;
        }
    tap_ok(
        after.done && after.segments == in.segments &&
            tap_same_double(after.bits, in.bits) &&
            tap_same_double(after.chars, in.chars) && n_stream == 0 &&
            tap_params_equal(rs_nn_module_model(keep), rs_nn_module_model(r.m)),
        "exhausted: two more updates: RS_OK, no change, no stream/ metric");
    rs_nn_module_release(keep);
    free(lg);
    tap_dyn_run_fini(&r);
}

/* ---- side by side --------------------------------------------------- */

/* A learner training the anchor of a dyneval learner never steps at the
 * same time as it (the anchor is read at every update). */
static void
test_side_by_side(struct tap_corpus *cp)
{
    struct rs_dyneval_config c = tap_dyn_parts(24, 16, RS_DYNEVAL_ALL, 0.1);
    struct tap_dyn_run r;
    tap_dyn_run_init(&r, cp, "R", &c);
    rs_nn_module *bm = tap_griffin("R", 16, 1);
    rs_learner *base = tap_text_learner(cp->text, bm);
    rs_learner *ls[2] = {base, r.l};
    tap_ok(rs_learners_can_run_together(ls, 2),
           "side by side: a dyneval learner with its own anchor");
    struct rs_error err = {0};
    tap_is_int(rs_dyneval_attach(r.l, &c, bm, &err), RS_OK,
               "side by side: the anchor is the other learner's model");
    rs_learner *rev[2] = {r.l, base};
    tap_ok(!rs_learners_can_run_together(ls, 2) &&
               !rs_learners_can_run_together(rev, 2),
           "side by side: then one after the other, in either order");
    rs_learner_free(base);
    rs_nn_module_release(bm);
    tap_dyn_run_fini(&r);
}

int
main(void)
{
    tap_plan_lazy();
    struct tap_corpus cp;
    tap_corpus_init(&cp);
    test_checkpoint(&cp);
    test_errors(&cp);
    test_parts(&cp);
    test_side_by_side(&cp);
    tap_corpus_fini(&cp);
    return tap_done();
}
