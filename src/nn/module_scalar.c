/* repscope - MIT licence, see COPYING.
 *
 * module_scalar.c: one learned number as a module (see module.h), such as
 * the log-temperature of a contrastive loss: "value" (1). The forward
 * ignores its input and returns the parameter as a (1) graph tensor (an
 * alias through rs_op_reshape, so gradients reach it). The module owns
 * its registry. Worker thread only.
 */
#include "config.h"

#include "nn/module.h"

#include <math.h>
#include <stdlib.h>

#include "core/ops.h"

struct scalar_impl {
    rs_nn_model *model; /* the module's: "value" (1) */
};

static rs_tensor *
scalar_value(const rs_nn_module *m)
{
    const struct scalar_impl *s = rs_nn_module_impl(m);
    return rs_nn_model_param(s->model, 0);
}

static rs_tensor *
scalar_forward(rs_nn_module *m, rs_graph *g, rs_tensor *x)
{
    (void)x;
    int one = 1;
    return rs_op_reshape(g, scalar_value(m), 1, &one); /* (1) */
}

static int
scalar_out(const rs_nn_module *m)
{
    (void)m;
    return 1;
}

static const struct rs_nn_module_class scalar_class = {
    .kind = "scalar",
    .forward = scalar_forward,
    .out = scalar_out,
    .destroy = free,
};

rs_nn_module *
rs_nn_module_scalar(float value, struct rs_error *err)
{
    if (!isfinite(value)) {
        rs_error_set(err, RS_EINVAL, "scalar value = %g (must be finite)",
                     (double)value);
        return NULL;
    }
    rs_nn_model *model = rs_nn_model_new("scalar");
    int one = 1;
    rs_tensor *v = rs_nn_model_add(model, "value", 1, &one, err);
    if (v == NULL) {
        rs_nn_model_free(model);
        return NULL;
    }
    v->data[0] = value;
    struct scalar_impl *s = rs_xcalloc(1, sizeof *s);
    s->model = model;
    return rs_nn_module_new(&scalar_class, s, model, true);
}

rs_tensor *
rs_nn_module_scalar_param(const rs_nn_module *m)
{
    if (rs_nn_module_kind(m) != scalar_class.kind)
        return NULL;
    return scalar_value(m);
}
