/* repscope - MIT licence, see COPYING.
 *
 * dyneval_fixture.c: the dynamic-evaluation tests' shared fixtures (see
 * dyneval_fixture.h).
 */
#include "config.h"

#include "tests/dyneval_fixture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "algo/lm_eval.h"
#include "algo/objective.h"
#include "core/rng.h"
#include "data/source.h"
#include "nn/griffin.h"
#include "nn/model.h"
#include "tests/learn_fixture.h"
#include "tests/tap.h"

/* ---- corpus ------------------------------------------------------------- */

static void
write_file(const char *dir, const char *name, const char *text, int times)
{
    char *path = rs_xasprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        tap_bail("cannot write %s", path);
    for (int i = 0; i < times; i++)
        fputs(text, f);
    fclose(f);
    free(path);
}

void
tap_corpus_init(struct tap_corpus *cp)
{
    cp->dir = tap_tmpdir("dyneval");
    cp->a = rs_xasprintf("%s/A", cp->dir);
    cp->b = rs_xasprintf("%s/B", cp->dir);
    mkdir(cp->a, 0777);
    mkdir(cp->b, 0777);
    write_file(cp->a, "a1.txt",
               "the cat sat on the mat and the dog sat on the log. ", 6);
    write_file(cp->a, "a2.txt", "a bird in the hand is worth two in the bush; ",
               5);
    write_file(cp->a, "a3.txt", "slow and steady wins the race. ", 5);
    write_file(cp->b, "b1.txt",
               "3.14159 + 2.71828 = 5.85987; 1/7 = 0.142857 # ", 4);
    struct rs_text_config c;
    rs_text_defaults(&c);
    c.sources[0] = cp->a;
    c.sources[1] = cp->b;
    c.nsources = 2;
    c.test_frac = 0.0;
    struct rs_error err = {0};
    cp->text = rs_text_load(&c, &err);
    if (cp->text == NULL)
        tap_bail("corpus: %s", err.msg);
    rs_text_view(cp->text, RS_SPLIT_TRAIN, -1, &cp->v);
}

void
tap_corpus_fini(struct tap_corpus *cp)
{
    rs_text_release(cp->text);
    free(cp->dir);
    free(cp->a);
    free(cp->b);
}

/* ---- models, learners, runs ------------------------------------------- */

rs_nn_module *
tap_griffin(const char *pattern, int d, uint64_t seed)
{
    struct rs_nn_griffin_config c;
    rs_nn_griffin_config_default(&c);
    c.vocab = RS_TEXT_VOCAB;
    c.d = d;
    c.layers = 2;
    c.heads = 2;
    snprintf(c.pattern, sizeof c.pattern, "%s", pattern);
    if (pattern[0] == 'A')
        c.window = 0;
    struct rs_rng rng;
    rs_rng_seed(&rng, seed);
    struct rs_error err = {0};
    rs_nn_module *m = rs_nn_module_griffin(&c, &rng, &err);
    if (m == NULL)
        tap_bail("griffin: %s", err.msg);
    return m;
}

void
tap_copy_params(rs_nn_module *dst, const rs_nn_module *src)
{
    const rs_nn_model *a = rs_nn_module_model(dst);
    const rs_nn_model *b = rs_nn_module_model(src);
    for (int i = 0; i < rs_nn_model_count(a); i++)
        rs_tensor_copy_data(rs_nn_model_param(a, i), rs_nn_model_param(b, i));
}

rs_learner *
tap_text_learner(rs_text *text, rs_nn_module *m)
{
    struct rs_error err = {0};
    rs_source *src = rs_source_text(text, 16, false, &err);
    rs_objective *obj = src != NULL ? rs_objective_next_token(&err) : NULL;
    if (obj == NULL)
        tap_bail("text learner: %s", err.msg);
    struct rs_learner_config lc;
    rs_learner_config_default(&lc);
    lc.batch = 4;
    lc.eval_every = 0;
    lc.log_every = 1;
    rs_learner *l = tap_learner(&lc, m, obj, src);
    rs_objective_release(obj);
    rs_source_release(src);
    return l;
}

void
tap_dyn_run_init(struct tap_dyn_run *r, struct tap_corpus *cp,
                 const char *pattern, const struct rs_dyneval_config *cfg)
{
    r->m = tap_griffin(pattern, 16, 1);
    r->anchor = tap_griffin(pattern, 16, 2);
    tap_copy_params(r->anchor, r->m);
    r->l = tap_text_learner(cp->text, r->m);
    struct rs_error err = {0};
    if (rs_dyneval_attach(r->l, cfg, r->anchor, &err) != RS_OK)
        tap_bail("attach: %s", err.msg);
}

void
tap_dyn_run_fini(struct tap_dyn_run *r)
{
    rs_learner_free(r->l);
    rs_nn_module_release(r->m);
    rs_nn_module_release(r->anchor);
}

struct rs_dyneval_info
tap_dyn_update(struct tap_dyn_run *r)
{
    struct rs_error err = {0};
    struct rs_dyneval_info in;
    if (rs_learner_update(r->l, NULL, &err) != RS_OK ||
        rs_dyneval_info(r->l, &in, &err) != RS_OK)
        tap_bail("update: %s", err.msg);
    return in;
}

struct rs_dyneval_config
tap_dyn_parts(int L, int context, enum rs_dyneval_adapt adapt, double lr)
{
    struct rs_dyneval_config c;
    rs_dyneval_config_default(&c);
    c.parts[0] = (struct rs_dyneval_part){
        .split = RS_SPLIT_TRAIN, .source = 0, .label = "A"};
    c.parts[1] = (struct rs_dyneval_part){
        .split = RS_SPLIT_TRAIN, .source = 1, .label = "B"};
    c.nparts = 2;
    c.L = L;
    c.context = context;
    c.adapt = adapt;
    c.lr = lr;
    return c;
}

/* ---- expected bits ------------------------------------------------------ */

void
tap_window_bits(rs_nn_module *m, rs_graph *g, const uint8_t *bytes, int W,
                float *bits)
{
    int *ids = rs_xmalloc((size_t)W * sizeof *ids);
    for (int t = 0; t < W; t++)
        ids[t] = bytes[t];
    struct rs_error err = {0};
    if (rs_lm_eval_bits(m, g, ids, 1, W, bits, &err) != RS_OK)
        tap_bail("window bits: %s", err.msg);
    free(ids);
}

int
tap_segment_bits(rs_nn_module *m, rs_graph *g, const struct rs_text_view *v,
                 size_t pos, int L, int context, float *want)
{
    int k = rs_text_view_find(v, pos);
    size_t off = pos - v->start[k], left = v->start[k + 1] - pos;
    int c = off < (size_t)context ? (int)off : context;
    int n = left < (size_t)L ? (int)left : L;
    float *bits = rs_xmalloc((size_t)(c + n) * sizeof *bits);
    if (c + n >= 2)
        tap_window_bits(m, g, v->bytes + pos - c, c + n, bits);
    for (int j = 0; j < n; j++)
        want[j] = c + j >= 1 ? bits[c + j - 1] : NAN;
    free(bits);
    return n;
}

double
tap_max_gap(const float *a, const float *b, int n)
{
    double worst = 0.0;
    for (int i = 0; i < n; i++) {
        if (isnan(a[i]) != isnan(b[i]))
            return NAN;
        if (!isnan(a[i]))
            worst = fmax(worst, fabs((double)a[i] - (double)b[i]));
    }
    return worst;
}
