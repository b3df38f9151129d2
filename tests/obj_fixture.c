/* repscope - MIT licence, see COPYING.
 *
 * obj_fixture.c: objectives outside a learner (obj_fixture.h).
 */
#include "config.h"

#include "tests/obj_fixture.h"

#include <math.h>
#include <string.h>

#include "core/rng.h"
#include "tests/gradcheck.h"
#include "tests/tap.h"

void
tap_features_batch(struct rs_batch *b, int n, int width, int classes,
                   uint64_t seed)
{
    struct rs_rng r;
    rs_rng_seed(&r, seed);
    struct rs_error err = {0};
    rs_batch_init(b);
    if (rs_batch_reserve(b, 0, RS_NN_INPUT_FEATURES, n, width, true, &err) !=
        RS_OK)
        tap_bail("batch: %s", err.msg);
    for (int i = 0; i < n * width; i++)
        b->in[0].x[i] = 2.0f * rs_rng_uniform(&r) - 1.0f;
    for (int i = 0; i < n; i++)
        b->y[i] = (int)rs_rng_below(&r, (uint32_t)classes);
}

struct rs_source_info
tap_obj_info(const struct rs_batch *b, int vocab, int classes)
{
    struct rs_source_info si;
    memset(&si, 0, sizeof si);
    si.ninputs = 1;
    si.kind[0] = b->in[0].kind;
    si.width[0] = b->in[0].width;
    si.vocab[0] = vocab;
    si.classes = classes;
    return si;
}

int
tap_obj_check(rs_objective *o, rs_nn_module *m, const struct rs_source_info *si,
              struct rs_error *err)
{
    rs_nn_module *mods[1] = {m};
    struct rs_obj_env env = {.modules = mods,
                             .nmodules = 1,
                             .params = rs_nn_module_model(m),
                             .si = si};
    return rs_objective_check(o, &env, err);
}

rs_tensor *
tap_obj_run_at(rs_objective *o, rs_graph *g, rs_nn_module *m,
               const struct rs_batch *b, long step, struct rs_obj_stats *st,
               rs_tensor **out)
{
    rs_nn_module *mods[1] = {m};
    struct rs_obj_ctx c = {.g = g,
                           .modules = mods,
                           .nmodules = 1,
                           .params = rs_nn_module_model(m),
                           .batch = b,
                           .step = step,
                           .train = true};
    struct rs_obj_stats dummy;
    rs_tensor *l = rs_objective_loss(o, &c, st != NULL ? st : &dummy);
    if (out != NULL)
        *out = c.out;
    return l;
}

rs_tensor *
tap_obj_run(rs_objective *o, rs_graph *g, rs_nn_module *m,
            const struct rs_batch *b, struct rs_obj_stats *st, rs_tensor **out)
{
    return tap_obj_run_at(o, g, m, b, 0, st, out);
}

double
tap_obj_loss(rs_objective *o, rs_nn_module *m, const struct rs_batch *b)
{
    rs_graph *g = rs_graph_new();
    rs_tensor *l = tap_obj_run(o, g, m, b, NULL, NULL);
    double v = l != NULL ? (double)l->data[0] : (double)NAN;
    if (l == NULL)
        tap_diag("loss failed: %s", rs_graph_error(g)->msg);
    rs_graph_free(g);
    return v;
}

/* For tap_gradcheck: o's loss of m on b (the inputs are m's params). */
struct fd {
    rs_objective *o;
    rs_nn_module *m;
    const struct rs_batch *b;
};

static rs_tensor *
fd_build(rs_graph *g, rs_tensor *const *in, void *ud)
{
    (void)in;
    struct fd *f = ud;
    return tap_obj_run(f->o, g, f->m, f->b, NULL, NULL);
}

void
tap_obj_gradcheck(const char *name, rs_objective *o, rs_nn_module *m,
                  const struct rs_batch *b)
{
    struct fd f = {o, m, b};
    rs_nn_model *p = rs_nn_module_model(m);
    tap_gradcheck(name, rs_nn_model_count(p), rs_nn_model_params(p), fd_build,
                  &f, 1e-2, 1e-2);
}

