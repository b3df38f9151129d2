/* repscope - MIT licence, see COPYING.
 *
 * learn_fixture.c: the learner tests' shared fixtures (see learn_fixture.h).
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/optim.h"
#include "core/rng.h"
#include "tests/learn_fixture.h"
#include "tests/tap.h"

/* ---- builders ----------------------------------------------------------- */

rs_dataset *
tap_modular(int p, char op, float train_frac, uint64_t seed)
{
    struct rs_data_modular_config c = {
        .p = p, .op = op, .train_frac = train_frac, .seed = seed};
    struct rs_error err = {0};
    rs_dataset *d = rs_dataset_modular(&c, &err);
    if (d == NULL)
        tap_bail("modular: %s", err.msg);
    return d;
}

rs_source *
tap_modular_source(int p, char op, float train_frac, uint64_t seed)
{
    rs_dataset *d = tap_modular(p, op, train_frac, seed);
    rs_source *s = rs_source_dataset(d);
    rs_dataset_release(d);
    return s;
}

rs_nn_module *
tap_mlp(int in, int width, int depth, int out, uint64_t seed)
{
    struct rs_nn_mlp_config c;
    rs_nn_mlp_config_default(&c);
    c.input = in;
    c.width = width;
    c.depth = depth;
    c.output = out;
    struct rs_rng r;
    rs_rng_seed(&r, seed);
    struct rs_error err = {0};
    rs_nn_module *m = rs_nn_module_mlp(&c, &r, &err);
    if (m == NULL)
        tap_bail("mlp: %s", err.msg);
    return m;
}

struct rs_nn_transformer_config
tap_transformer_config(int vocab, int ctx, int layers, int out)
{
    struct rs_nn_transformer_config c;
    rs_nn_transformer_config_default(&c);
    c.vocab = vocab;
    c.ctx = ctx;
    c.d = 16;
    c.heads = 2;
    c.layers = layers;
    c.out = out;
    c.pos = RS_NN_POS_LEARNED;
    return c;
}

rs_nn_module *
tap_transformer(const struct rs_nn_transformer_config *c, uint64_t seed)
{
    struct rs_rng r;
    rs_rng_seed(&r, seed);
    struct rs_error err = {0};
    rs_nn_module *m = rs_nn_module_transformer(c, &r, &err);
    if (m == NULL)
        tap_bail("transformer: %s", err.msg);
    return m;
}

rs_nn_module *
tap_linear(int in, int out, enum rs_init_kind init, float scale, uint64_t seed)
{
    struct rs_rng r;
    rs_rng_seed(&r, seed);
    struct rs_error err = {0};
    rs_nn_module *m = rs_nn_module_linear(in, out, true, init, scale, &r, &err);
    if (m == NULL)
        tap_bail("linear: %s", err.msg);
    return m;
}

rs_objective *
tap_classify(void)
{
    struct rs_error err = {0};
    rs_objective *o = rs_objective_classify(RS_OBJ_CROSS_ENTROPY, &err);
    if (o == NULL)
        tap_bail("classify: %s", err.msg);
    return o;
}

rs_learner *
tap_learner(const struct rs_learner_config *cfg, rs_nn_module *m,
            rs_objective *obj, rs_source *src)
{
    struct rs_error err = {0};
    rs_learner *l = rs_learner_new(cfg, &m, 1, obj, src, &err);
    if (l == NULL)
        tap_bail("learner: %s", err.msg);
    return l;
}

void
tap_learner_steps(rs_learner *l, int n)
{
    struct rs_error err = {0};
    for (int i = 0; i < n; i++)
        if (rs_learner_step(l, NULL, &err) != RS_OK)
            tap_bail("step: %s", err.msg);
}

/* ---- a log sink that records every metric ------------------------------- */

void
tap_log_record(void *ud, const char *name, double v)
{
    struct tap_log *lg = ud;
    if (lg->n >= TAP_LOG_MAX)
        return;
    snprintf(lg->name[lg->n], sizeof lg->name[lg->n], "%s", name);
    lg->step[lg->n] = lg->learner != NULL ? rs_learner_steps(lg->learner) : 0;
    lg->v[lg->n++] = v;
}

/* ---- bit-for-bit comparisons and copies --------------------------------- */

bool
tap_same_double(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0 || (isnan(a) && isnan(b));
}

bool
tap_params_equal(const rs_nn_model *a, const rs_nn_model *b)
{
    if (rs_nn_model_count(a) != rs_nn_model_count(b))
        return false;
    for (int i = 0; i < rs_nn_model_count(a); i++) {
        const rs_tensor *p = rs_nn_model_param(a, i);
        const rs_tensor *q = rs_nn_model_param(b, i);
        if (p->numel != q->numel ||
            memcmp(p->data, q->data, p->numel * sizeof(float)) != 0) {
            tap_diag("parameter %s differs", rs_nn_model_param_name(a, i));
            return false;
        }
    }
    return true;
}

void
tap_learner_copy_weights(rs_learner *a, rs_learner *b)
{
    rs_nn_model *ma = rs_learner_params(a);
    rs_nn_model *mb = rs_learner_params(b);
    for (int i = 0; i < rs_nn_model_count(ma); i++) {
        const rs_tensor *ta = rs_nn_model_param(ma, i);
        rs_tensor *tb = rs_nn_model_param(mb, i);
        memcpy(tb->data, ta->data, ta->numel * sizeof(float));
    }
    rs_optim *oa = rs_learner_optim(a), *ob = rs_learner_optim(b);
    for (int i = 0; i < rs_optim_nparams(oa); i++)
        for (int which = 0; which < 2; which++) {
            const float *sa = rs_optim_state(oa, i, which);
            float *sb = rs_optim_state(ob, i, which);
            if (sa != NULL && sb != NULL)
                memcpy(sb, sa, rs_optim_param(oa, i)->numel * sizeof(float));
        }
}
