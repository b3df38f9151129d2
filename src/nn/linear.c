/* repscope - MIT licence, see COPYING.
 *
 * linear.c: the Linear layer (see linear.h). Parameters live in the model;
 * the layer only remembers where. Worker thread only.
 */
#include "config.h"

#include "nn/linear.h"

#include <stdio.h>

#include "core/ops.h"

int
rs_nn_linear_init(struct rs_nn_linear *l, rs_nn_model *m, const char *name,
                  int in, int out, bool bias, struct rs_error *err)
{
    RS_ASSERT(name != NULL);
    if (in < 1 || out < 1)
        return rs_error_set(err, RS_EINVAL,
                            "linear %s: in = %d, out = %d (both must be "
                            ">= 1)",
                            name, in, out);
    char pname[RS_NN_MODEL_NAME_MAX + 8];
    int shape[2] = {out, in};
    snprintf(pname, sizeof pname, "%s.weight", name);
    struct rs_error e = {0};
    if (rs_nn_model_add(m, pname, 2, shape, &e) == NULL)
        return rs_error_set(err, e.code, "%s", e.msg);
    int weight = rs_nn_model_count(m) - 1;
    int bias_index = -1;
    if (bias) {
        snprintf(pname, sizeof pname, "%s.bias", name);
        if (rs_nn_model_add(m, pname, 1, &out, &e) == NULL)
            return rs_error_set(err, e.code, "%s", e.msg);
        bias_index = rs_nn_model_count(m) - 1;
    }
    l->model = m;
    l->weight = weight;
    l->bias = bias_index;
    return RS_OK;
}

void
rs_nn_linear_reinit(const struct rs_nn_linear *l, enum rs_init_kind kind,
                    float scale, struct rs_rng *rng)
{
    rs_tensor *w = rs_nn_linear_weight(l);
    int in = w->shape[1], out = w->shape[0];
    rs_init_fill(w, kind, in, out, scale, rng);
    rs_tensor *b = rs_nn_linear_bias(l);
    if (b == NULL)
        return;
    if (kind == RS_INIT_TORCH_DEFAULT)
        rs_init_fill(b, RS_INIT_TORCH_DEFAULT, in, out, scale, rng);
    else
        rs_tensor_fill(b, 0.0f);
}

rs_tensor *
rs_nn_linear_forward(const struct rs_nn_linear *l, rs_graph *g, rs_tensor *x)
{
    return rs_op_linear(g, x, rs_nn_linear_weight(l), rs_nn_linear_bias(l));
}

rs_tensor *
rs_nn_linear_weight(const struct rs_nn_linear *l)
{
    return rs_nn_model_param(l->model, l->weight);
}

rs_tensor *
rs_nn_linear_bias(const struct rs_nn_linear *l)
{
    return l->bias >= 0 ? rs_nn_model_param(l->model, l->bias) : NULL;
}

int
rs_nn_linear_in(const struct rs_nn_linear *l)
{
    return rs_nn_linear_weight(l)->shape[1];
}

int
rs_nn_linear_out(const struct rs_nn_linear *l)
{
    return rs_nn_linear_weight(l)->shape[0];
}
