/* repscope - MIT licence, see COPYING.
 *
 * ckpt_learner.c: a learner's checkpoint sections under its name (see
 * ckpt_learner.h). A load checks every float section (parameters,
 * optimiser buffers, objective tensors) first, then hands the state words
 * to rs_learner_state_load, which refuses without changing anything, and
 * only then copies the floats: a refused checkpoint leaves the learner as
 * it was. Worker thread only.
 */
#include "config.h"

#include "run/ckpt_learner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Section names: "learner/<n>/<what>" with n the learner's name or "_". */
#define WHAT_MAX (RS_NN_MODEL_NAME_MAX + 24)
#define SECTION_MAX (RS_NAME_OWNER_MAX + WHAT_MAX + 16)
#define FORMAT_SECTION "learner/format"

static const char *
owner(const char *name)
{
    return name[0] != '\0' ? name : "_";
}

static void
section(char out[SECTION_MAX], const rs_learner *l, const char *what)
{
    snprintf(out, SECTION_MAX, "learner/%.31s/%.86s", owner(rs_learner_name(l)),
             what);
}

void
rs_ckpt_learner_save(rs_ckpt *ck, const rs_learner *l)
{
    char name[SECTION_MAX], what[WHAT_MAX];
    rs_ckpt_put_text(ck, FORMAT_SECTION, RS_CKPT_LEARNER_FORMAT);
    size_t nw = rs_learner_state_words(l);
    uint64_t *w = rs_xcalloc(nw, sizeof *w);
    rs_learner_state_save(l, w);
    section(name, l, "state");
    rs_ckpt_put_u64s(ck, name, w, nw);
    free(w);
    rs_nn_model *m = rs_learner_params(l);
    for (int i = 0; i < rs_nn_model_count(m); i++) {
        const rs_tensor *p = rs_nn_model_param(m, i);
        snprintf(what, sizeof what, "param/%.63s",
                 rs_nn_model_param_name(m, i));
        section(name, l, what);
        rs_ckpt_put_floats(ck, name, p->data, p->numel);
    }
    rs_optim *o = rs_learner_optim(l);
    for (int i = 0; i < rs_optim_nparams(o); i++) {
        for (int which = 0; which < 2; which++) {
            const float *st = rs_optim_state(o, i, which);
            if (st == NULL)
                continue;
            snprintf(what, sizeof what, "optim/%d/%s", i, which ? "v" : "m");
            section(name, l, what);
            rs_ckpt_put_floats(ck, name, st, rs_optim_param(o, i)->numel);
        }
    }
    const rs_objective *obj = rs_learner_objective(l);
    for (int i = 0; i < rs_objective_tensors(obj); i++) {
        const char *tn = "";
        const rs_tensor *t = rs_objective_tensor(obj, i, &tn);
        snprintf(what, sizeof what, "obj/%.60s", tn);
        section(name, l, what);
        rs_ckpt_put_floats(ck, name, t->data, t->numel);
    }
    uint64_t fp = rs_source_fingerprint(rs_learner_source(l));
    section(name, l, "source");
    rs_ckpt_put_u64s(ck, name, &fp, 1);
    if (rs_learner_cuts(l)[0] != '\0') {
        section(name, l, "cuts");
        rs_ckpt_put_text(ck, name, rs_learner_cuts(l));
    }
}

/* The learner must serve the data it was saved with: a scene that swaps
 * a learner's source mid-run has to set the same one again before a
 * load, or the run would go on silently on other data. A checkpoint
 * without the section (older layout) is not checked, nor a learner with
 * a driver: its source is the driver's (PPO's rollout, refilled every
 * update), and the driver's words check what it collects from. */
static int
match_source(const rs_ckpt *ck, const rs_learner *l, struct rs_error *err)
{
    if (rs_learner_driver_kind(l) != NULL)
        return RS_OK;
    char name[SECTION_MAX];
    section(name, l, "source");
    size_t n = 0;
    const uint64_t *fp = rs_ckpt_u64s(ck, name, &n);
    if (fp == NULL || n != 1)
        return RS_OK;
    const rs_source *src = rs_learner_source(l);
    if (fp[0] != rs_source_fingerprint(src))
        return rs_error_set(err, RS_EFORMAT,
                            "learner '%s' was saved training on other data "
                            "than its %s source now serves (a source swapped "
                            "mid-run must be set again before resuming)",
                            owner(rs_learner_name(l)), rs_source_kind(src));
    return RS_OK;
}

/* Bring l to the checkpoint's widths: a learner built at the original
 * width replays the checkpoint's cuts; one cut differently is refused. */
static int
match_cuts(const rs_ckpt *ck, rs_learner *l, struct rs_error *err)
{
    char name[SECTION_MAX];
    section(name, l, "cuts");
    const char *saved = rs_ckpt_text(ck, name);
    const char *mine = rs_learner_cuts(l);
    if (saved == NULL)
        saved = "";
    if (strcmp(saved, mine) == 0)
        return RS_OK;
    if (mine[0] != '\0')
        return rs_error_set(err, RS_EFORMAT,
                            "learner '%s': the checkpoint's units were "
                            "removed as '%.200s', this learner's as '%.200s'",
                            owner(rs_learner_name(l)), saved, mine);
    struct rs_error cerr = {0};
    if (rs_learner_replay_cuts(l, saved, &cerr) != RS_OK)
        return rs_error_set(err, RS_EFORMAT, "section '%s': %s", name,
                            cerr.msg);
    return RS_OK;
}

int
rs_ckpt_learner_check(const rs_ckpt *ck, struct rs_error *err)
{
    const char *fmt = rs_ckpt_text(ck, FORMAT_SECTION);
    if (fmt != NULL) {
        if (strcmp(fmt, RS_CKPT_LEARNER_FORMAT) == 0)
            return RS_OK;
        return rs_error_set(err, RS_EFORMAT,
                            "checkpoint learner format '%.60s' is not "
                            "known to this version (it reads '%s')",
                            fmt, RS_CKPT_LEARNER_FORMAT);
    }
    for (int i = 0; i < rs_ckpt_count(ck); i++) {
        const char *s = rs_ckpt_name(ck, i);
        if (strncmp(s, "trainer", 7) == 0 && s[7] >= '0' && s[7] <= '9')
            return rs_error_set(err, RS_EFORMAT,
                                "checkpoint format 1 (trainers by creation "
                                "order, before learners) cannot be resumed "
                                "by this version: start the run again");
    }
    return rs_error_set(err, RS_EFORMAT,
                        "the checkpoint has no learners (no section '%s')",
                        FORMAT_SECTION);
}

bool
rs_ckpt_learner_has(const rs_ckpt *ck, const char *name)
{
    char s[SECTION_MAX];
    snprintf(s, sizeof s, "learner/%.31s/state", owner(name));
    size_t n;
    return rs_ckpt_u64s(ck, s, &n) != NULL;
}

/* The floats of section name with exactly n entries, or NULL + err. */
static const float *
need_floats(const rs_ckpt *ck, const char *name, size_t n, struct rs_error *err)
{
    size_t got = 0;
    const float *f = rs_ckpt_floats(ck, name, &got);
    if (f == NULL) {
        rs_error_set(err, RS_EFORMAT, "the checkpoint has no section '%s'",
                     name);
        return NULL;
    }
    if (got != n) {
        rs_error_set(err, RS_EFORMAT,
                     "the checkpoint's section '%s' has %zu floats, the "
                     "learner's has %zu",
                     name, got, n);
        return NULL;
    }
    return f;
}

/* Pass 0 checks every float section of l in ck, pass 1 copies them. */
static int
floats_pass(const rs_ckpt *ck, rs_learner *l, int pass, struct rs_error *err)
{
    char name[SECTION_MAX], what[WHAT_MAX];
    rs_nn_model *m = rs_learner_params(l);
    for (int i = 0; i < rs_nn_model_count(m); i++) {
        rs_tensor *p = rs_nn_model_param(m, i);
        snprintf(what, sizeof what, "param/%.63s",
                 rs_nn_model_param_name(m, i));
        section(name, l, what);
        const float *f = need_floats(ck, name, p->numel, err);
        if (f == NULL)
            return RS_EFORMAT;
        if (pass == 1)
            memcpy(p->data, f, p->numel * sizeof(float));
    }
    rs_optim *o = rs_learner_optim(l);
    for (int i = 0; i < rs_optim_nparams(o); i++) {
        size_t numel = rs_optim_param(o, i)->numel;
        for (int which = 0; which < 2; which++) {
            float *st = rs_optim_state(o, i, which);
            if (st == NULL)
                continue;
            snprintf(what, sizeof what, "optim/%d/%s", i, which ? "v" : "m");
            section(name, l, what);
            const float *f = need_floats(ck, name, numel, err);
            if (f == NULL)
                return RS_EFORMAT;
            if (pass == 1)
                memcpy(st, f, numel * sizeof(float));
        }
    }
    rs_objective *obj = rs_learner_objective(l);
    for (int i = 0; i < rs_objective_tensors(obj); i++) {
        const char *tn = "";
        rs_tensor *t = rs_objective_tensor(obj, i, &tn);
        snprintf(what, sizeof what, "obj/%.60s", tn);
        section(name, l, what);
        const float *f = need_floats(ck, name, t->numel, err);
        if (f == NULL)
            return RS_EFORMAT;
        if (pass == 1)
            memcpy(t->data, f, t->numel * sizeof(float));
    }
    return RS_OK;
}

int
rs_ckpt_learner_load(const rs_ckpt *ck, rs_learner *l, struct rs_error *err)
{
    if (rs_ckpt_learner_check(ck, err) != RS_OK)
        return RS_EFORMAT;
    char name[SECTION_MAX];
    section(name, l, "state");
    size_t nw = 0;
    const uint64_t *w = rs_ckpt_u64s(ck, name, &nw);
    if (w == NULL)
        return rs_error_set(err, RS_EFORMAT,
                            "the checkpoint has no section '%s' (no learner "
                            "called '%s')",
                            name, owner(rs_learner_name(l)));
    if (match_source(ck, l, err) != RS_OK)
        return RS_EFORMAT;
    if (match_cuts(ck, l, err) != RS_OK)
        return RS_EFORMAT;
    if (floats_pass(ck, l, 0, err) != RS_OK)
        return RS_EFORMAT;
    struct rs_error serr = {0};
    if (rs_learner_state_load(l, w, nw, &serr) != RS_OK)
        return rs_error_set(err, RS_EFORMAT, "section '%s': %s", name,
                            serr.msg);
    int rc = floats_pass(ck, l, 1, err);
    RS_ASSERT(rc == RS_OK); /* checked in pass 0 */
    return RS_OK;
}
