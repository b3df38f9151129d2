/* repscope - MIT licence, see COPYING.
 *
 * t_run_ckpt_learner.c: learner checkpoints. Two named learners and an
 * unnamed one save into one file; fresh learners built the same way (other
 * seeds) load them back and continue bit for bit against the originals.
 * Section names carry the learner's name ("_" for the unnamed one). A
 * checkpoint from before learners (trainer<k>/ sections), an unknown
 * format, a missing learner, a missing or mis-sized section and a corrupt
 * state are refused with messages that say why, and a refused load
 * changes nothing.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo/learner.h"
#include "algo/objective.h"
#include "core/rng.h"
#include "data/dataset.h"
#include "data/source.h"
#include "nn/module.h"
#include "run/ckpt.h"
#include "run/ckpt_learner.h"
#include "tests/learn_fixture.h"
#include "tests/tap.h"

struct fixture {
    rs_source *src;
    rs_objective *obj;
    rs_nn_module *m[3];
    rs_learner *l[3];
};

static const char *const names[3] = {"a", "b", ""};

static void
build(struct fixture *f, uint64_t seed)
{
    f->src = tap_modular_source(11, '+', 0.5f, 4);
    f->obj = tap_classify();
    for (int i = 0; i < 3; i++) {
        struct rs_learner_config lc;
        rs_learner_config_default(&lc);
        snprintf(lc.name, sizeof lc.name, "%s", names[i]);
        lc.batch = 16;
        lc.eval_every = 4;
        lc.log_every = 3;
        lc.seed = 10 + (uint64_t)i;
        f->m[i] = tap_mlp(22, 16, 1, 11, seed + (uint64_t)i);
        f->l[i] = tap_learner(&lc, f->m[i], f->obj, f->src);
    }
}

static void
destroy(struct fixture *f)
{
    for (int i = 0; i < 3; i++) {
        rs_learner_free(f->l[i]);
        rs_nn_module_release(f->m[i]);
    }
    rs_objective_release(f->obj);
    rs_source_release(f->src);
}

static bool
same_params(const rs_learner *a, const rs_learner *b)
{
    return tap_params_equal(rs_learner_params(a), rs_learner_params(b));
}

int
main(void)
{
    tap_plan_lazy();
    struct rs_error err = {0};
    struct fixture a, b;
    build(&a, 1);
    build(&b, 100);
    int rc = RS_OK;
    for (int s = 0; s < 9 && rc == RS_OK; s++)
        for (int i = 0; i < 3; i++)
            rc |= rs_learner_step(a.l[i], NULL, &err);
    rs_ckpt *ck = rs_ckpt_new();
    for (int i = 0; i < 3; i++)
        rs_ckpt_learner_save(ck, a.l[i]);
    char *dir = tap_tmpdir("ckpt_learner");
    char path[4096];
    snprintf(path, sizeof path, "%s/run.ckpt", dir);
    rc |= rs_ckpt_write(ck, path, &err);
    rs_ckpt_free(ck);
    ck = rs_ckpt_read(path, &err);
    tap_ok(rc == RS_OK && ck != NULL, "save 3 learners, write, read (%s)",
           err.msg);
    tap_is_str(rs_ckpt_text(ck, "learner/format"), RS_CKPT_LEARNER_FORMAT,
               "learner/format");
    size_t n;
    tap_ok(rs_ckpt_u64s(ck, "learner/a/state", &n) != NULL &&
               rs_ckpt_floats(ck, "learner/b/param/l1.weight", &n) != NULL &&
               rs_ckpt_floats(ck, "learner/_/optim/0/v", &n) != NULL &&
               rs_ckpt_learner_has(ck, "a") && rs_ckpt_learner_has(ck, "") &&
               !rs_ckpt_learner_has(ck, "c"),
           "sections under the learners' names (learner/a/state, "
           "learner/b/param/l1.weight, learner/_/optim/0/v)");
    tap_ok(rs_ckpt_learner_check(ck, &err) == RS_OK, "check passes");
    for (int i = 2; i >= 0; i--) /* order does not matter: names do */
        rc |= rs_ckpt_learner_load(ck, b.l[i], &err);
    tap_ok(rc == RS_OK && same_params(a.l[0], b.l[0]) &&
               same_params(a.l[2], b.l[2]) && rs_learner_steps(b.l[1]) == 9,
           "load into fresh learners by name (%s)", err.msg);
    bool same = true;
    for (int s = 0; s < 12 && same; s++)
        for (int i = 0; i < 3 && same; i++) {
            struct rs_learner_stats x, y;
            same = rs_learner_step(a.l[i], &x, &err) == RS_OK &&
                   rs_learner_step(b.l[i], &y, &err) == RS_OK &&
                   memcmp(&x.loss, &y.loss, sizeof x.loss) == 0 &&
                   x.evaluated == y.evaluated &&
                   memcmp(&x.test_acc, &y.test_acc, sizeof x.test_acc) == 0;
        }
    tap_ok(same && same_params(a.l[1], b.l[1]),
           "resumed learners continue bit for bit for 12 steps");

    /* Refusals; each leaves the learner as it was. */
    long steps = rs_learner_steps(b.l[0]);
    rs_ckpt *old = rs_ckpt_new();
    uint64_t w[2] = {1, 2};
    rs_ckpt_put_u64s(old, "trainer1/state", w, 2);
    rc = rs_ckpt_learner_load(old, b.l[0], &err);
    tap_ok(rc == RS_EFORMAT &&
               strstr(err.msg, "checkpoint format 1 (trainers by creation "
                               "order, before learners) cannot be resumed "
                               "by this version: start the run again") != NULL,
           "a format-1 checkpoint is refused: %s", err.msg);
    rs_ckpt_put_text(old, "learner/format", "repscope-learner 9");
    rc = rs_ckpt_learner_check(old, &err);
    tap_ok(rc == RS_EFORMAT && strstr(err.msg, "'repscope-learner 9' is not "
                                               "known") != NULL,
           "an unknown format is refused: %s", err.msg);
    rs_ckpt_free(old);
    old = rs_ckpt_new();
    rc = rs_ckpt_learner_check(old, &err);
    tap_ok(rc == RS_EFORMAT && strstr(err.msg, "no learners") != NULL,
           "an empty checkpoint: %s", err.msg);
    rs_ckpt_free(old);

    /* A learner the checkpoint does not have. */
    rs_ckpt *part = rs_ckpt_new();
    rs_ckpt_learner_save(part, a.l[0]);
    rc = rs_ckpt_learner_load(part, b.l[1], &err);
    tap_ok(rc == RS_EFORMAT && strstr(err.msg, "'learner/b/state'") != NULL &&
               strstr(err.msg, "no learner called 'b'") != NULL,
           "a missing learner: %s", err.msg);
    /* A missing parameter section. */
    rs_ckpt *miss = rs_ckpt_new();
    for (int i = 0; i < rs_ckpt_count(part); i++) {
        const char *s = rs_ckpt_name(part, i);
        const float *f;
        const uint64_t *u;
        if (strcmp(s, "learner/a/param/l2.bias") == 0)
            continue;
        if ((f = rs_ckpt_floats(part, s, &n)) != NULL)
            rs_ckpt_put_floats(miss, s, f, n);
        else if ((u = rs_ckpt_u64s(part, s, &n)) != NULL)
            rs_ckpt_put_u64s(miss, s, u, n);
        else
            rs_ckpt_put_text(miss, s, rs_ckpt_text(part, s));
    }
    float before = rs_nn_model_param(rs_learner_params(b.l[0]), 0)->data[0];
    rc = rs_ckpt_learner_load(miss, b.l[0], &err);
    tap_ok(
        rc == RS_EFORMAT &&
            strstr(err.msg, "no section 'learner/a/param/l2.bias'") != NULL &&
            rs_learner_steps(b.l[0]) == steps &&
            rs_nn_model_param(rs_learner_params(b.l[0]), 0)->data[0] == before,
        "a missing section, nothing changed: %s", err.msg);
    float three[3] = {1, 2, 3};
    rs_ckpt_put_floats(miss, "learner/a/param/l2.bias", three, 3);
    rc = rs_ckpt_learner_load(miss, b.l[0], &err);
    tap_ok(rc == RS_EFORMAT && strstr(err.msg, "has 3 floats") != NULL,
           "a mis-sized section: %s", err.msg);
    const float *bias = rs_ckpt_floats(part, "learner/a/param/l2.bias", &n);
    rs_ckpt_put_floats(miss, "learner/a/param/l2.bias", bias, n);
    const uint64_t *st = rs_ckpt_u64s(part, "learner/a/state", &n);
    uint64_t *bad = calloc(n, sizeof *bad);
    memcpy(bad, st, n * sizeof *bad);
    bad[0] ^= 1;
    rs_ckpt_put_u64s(miss, "learner/a/state", bad, n);
    rc = rs_ckpt_learner_load(miss, b.l[0], &err);
    tap_ok(rc == RS_EFORMAT && strstr(err.msg, "not a learner state") &&
               rs_nn_model_param(rs_learner_params(b.l[0]), 0)->data[0] ==
                   before &&
               rs_learner_steps(b.l[0]) == steps,
           "a corrupt state, nothing changed: %s", err.msg);
    free(bad);
    rs_ckpt_free(miss);
    rs_ckpt_free(part);
    rs_ckpt_free(ck);
    free(dir);
    destroy(&a);
    destroy(&b);
    return tap_done();
}
