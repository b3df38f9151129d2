/* repscope - MIT licence, see COPYING.
 *
 * init.c: weight initialisers. Random kinds draw exactly one value per
 * element in element order (rs_rng_normal or one rs_rng_uniform_double),
 * so the stream position after a fill depends only on numel; zeros and
 * constant draw nothing (rng may be NULL for them). The thread that owns
 * the tensor and the RNG.
 */
#include "config.h"

#include "core/init.h"

#include <math.h>
#include <string.h>

#include "core/base.h"

static const struct {
    enum rs_init_kind kind;
    const char *name;
} init_names[] = {
    {RS_INIT_ZEROS, "zeros"},
    {RS_INIT_CONSTANT, "constant"},
    {RS_INIT_NORMAL, "normal"},
    {RS_INIT_UNIFORM, "uniform"},
    {RS_INIT_KAIMING_NORMAL, "kaiming"},
    {RS_INIT_KAIMING_UNIFORM, "kaiming_uniform"},
    {RS_INIT_XAVIER_NORMAL, "xavier"},
    {RS_INIT_XAVIER_UNIFORM, "xavier_uniform"},
    {RS_INIT_LECUN_NORMAL, "lecun"},
    {RS_INIT_TORCH_DEFAULT, "torch"},
};

static void
fill_normal(float *x, size_t n, double std, struct rs_rng *rng)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)((double)rs_rng_normal(rng) * std);
}

/* U(-bound, bound) from one 53-bit uniform per element. */
static void
fill_uniform(float *x, size_t n, double bound, struct rs_rng *rng)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)((2.0 * rs_rng_uniform_double(rng) - 1.0) * bound);
}

void
rs_init_fill(rs_tensor *t, enum rs_init_kind kind, int fan_in, int fan_out,
             float scale, struct rs_rng *rng)
{
    double sc = (double)scale;
    double fi = (double)fan_in, fo = (double)fan_out;
    RS_ASSERT(kind >= RS_INIT_ZEROS && kind <= RS_INIT_TORCH_DEFAULT);
    switch (kind) {
    case RS_INIT_ZEROS:
        rs_tensor_fill(t, 0.0f);
        return;
    case RS_INIT_CONSTANT:
        rs_tensor_fill(t, scale);
        return;
    case RS_INIT_NORMAL:
    case RS_INIT_UNIFORM:
        break;
    case RS_INIT_KAIMING_NORMAL:
    case RS_INIT_KAIMING_UNIFORM:
    case RS_INIT_LECUN_NORMAL:
    case RS_INIT_TORCH_DEFAULT:
        RS_ASSERT(fan_in >= 1);
        break;
    case RS_INIT_XAVIER_NORMAL:
    case RS_INIT_XAVIER_UNIFORM:
        RS_ASSERT(fan_in >= 1 && fan_out >= 1);
        break;
    }
    RS_ASSERT(rng != NULL);
    switch (kind) {
    case RS_INIT_NORMAL:
        fill_normal(t->data, t->numel, sc, rng);
        break;
    case RS_INIT_UNIFORM:
        fill_uniform(t->data, t->numel, sc, rng);
        break;
    case RS_INIT_KAIMING_NORMAL:
        fill_normal(t->data, t->numel, sqrt(2.0 / fi) * sc, rng);
        break;
    case RS_INIT_KAIMING_UNIFORM:
        fill_uniform(t->data, t->numel, sqrt(6.0 / fi) * sc, rng);
        break;
    case RS_INIT_XAVIER_NORMAL:
        fill_normal(t->data, t->numel, sqrt(2.0 / (fi + fo)) * sc, rng);
        break;
    case RS_INIT_XAVIER_UNIFORM:
        fill_uniform(t->data, t->numel, sqrt(6.0 / (fi + fo)) * sc, rng);
        break;
    case RS_INIT_LECUN_NORMAL:
        fill_normal(t->data, t->numel, sqrt(1.0 / fi) * sc, rng);
        break;
    case RS_INIT_TORCH_DEFAULT:
        /* kaiming_uniform_(a=sqrt(5)): gain sqrt(1/3) * sqrt(3/fan_in). */
        fill_uniform(t->data, t->numel, sc / sqrt(fi), rng);
        break;
    case RS_INIT_ZEROS:
    case RS_INIT_CONSTANT:
        break;
    }
}

const char *
rs_init_kind_name(enum rs_init_kind kind)
{
    for (size_t i = 0; i < RS_ARRAY_LEN(init_names); i++)
        if (init_names[i].kind == kind)
            return init_names[i].name;
    return "?";
}

int
rs_init_kind_parse(const char *name)
{
    if (name == NULL)
        return -1;
    for (size_t i = 0; i < RS_ARRAY_LEN(init_names); i++)
        if (strcmp(name, init_names[i].name) == 0)
            return (int)init_names[i].kind;
    return -1;
}
