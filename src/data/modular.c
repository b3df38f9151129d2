/* repscope - MIT licence, see COPYING.
 *
 * modular.c: (a op b) mod p tables, shuffled and split (see modular.h).
 */
#include "config.h"

#include "data/modular.h"

#include <stdlib.h>
#include <string.h>

#include "core/rng.h"

struct rs_data_modular {
    struct rs_data_modular_config cfg;
    int n[2];       /* examples per split */
    int *pairs[2];  /* (n, 2) */
    int *labels[2]; /* (n) */
};

static int
mod(long x, int p)
{
    long r = x % p;
    return (int)(r < 0 ? r + p : r);
}

static int
mod_pow(int base, int e, int p)
{
    long r = 1, b = base % p;
    while (e > 0) {
        if (e & 1)
            r = r * b % p;
        b = b * b % p;
        e >>= 1;
    }
    return (int)r;
}

static int
is_prime(int p)
{
    if (p < 2)
        return 0;
    for (int d = 2; d * d <= p; d++)
        if (p % d == 0)
            return 0;
    return 1;
}

static int
apply(char op, int a, int b, int p)
{
    switch (op) {
    case '+':
        return mod((long)a + b, p);
    case '-':
        return mod((long)a - b, p);
    case '*':
        return mod((long)a * b, p);
    default: /* '/': a * b^(p-2), Fermat's inverse (p prime, b != 0) */
        return mod((long)a * mod_pow(b, p - 2, p), p);
    }
}

rs_data_modular *
rs_data_modular_new(const struct rs_data_modular_config *c,
                    struct rs_error *err)
{
    if (c->p < 2 || c->p > 1000) {
        rs_error_set(err, RS_EINVAL, "p = %d (must be 2..1000)",
                     c->p);
        return NULL;
    }
    if (strchr("+-*/", c->op) == NULL || c->op == '\0') {
        rs_error_set(err, RS_EINVAL,
                     "op '%c' (must be one of + - * /)", c->op);
        return NULL;
    }
    if (c->op == '/' && !is_prime(c->p)) {
        rs_error_set(err, RS_EINVAL,
                     "p = %d is not prime, so '/' is undefined",
                     c->p);
        return NULL;
    }
    if (!(c->train_frac > 0.0f && c->train_frac < 1.0f)) {
        rs_error_set(err, RS_EINVAL,
                     "train_frac = %g (must be in (0, 1))",
                     (double)c->train_frac);
        return NULL;
    }
    int p = c->p, b0 = c->op == '/' ? 1 : 0;
    int total = p * (p - b0);
    int ntrain = (int)((double)c->train_frac * total + 0.5);
    if (ntrain < 1 || ntrain >= total) {
        rs_error_set(err, RS_EINVAL,
                     "train_frac = %g leaves an empty split",
                     (double)c->train_frac);
        return NULL;
    }
    int *order = rs_xmalloc((size_t)total * sizeof *order);
    for (int i = 0; i < total; i++)
        order[i] = i;
    struct rs_rng rng;
    rs_rng_seed(&rng, c->seed);
    rs_rng_shuffle_int(&rng, order, (size_t)total);

    rs_data_modular *m = rs_xcalloc(1, sizeof *m);
    m->cfg = *c;
    m->n[RS_SPLIT_TRAIN] = ntrain;
    m->n[RS_SPLIT_TEST] = total - ntrain;
    for (int s = 0; s < 2; s++) {
        m->pairs[s] = rs_xmalloc((size_t)m->n[s] * 2 * sizeof(int));
        m->labels[s] = rs_xmalloc((size_t)m->n[s] * sizeof(int));
    }
    for (int i = 0; i < total; i++) {
        int s = i < ntrain ? RS_SPLIT_TRAIN : RS_SPLIT_TEST;
        int j = s == RS_SPLIT_TRAIN ? i : i - ntrain;
        int a = order[i] / (p - b0), b = order[i] % (p - b0) + b0;
        m->pairs[s][2 * j] = a;
        m->pairs[s][2 * j + 1] = b;
        m->labels[s][j] = apply(c->op, a, b, p);
    }
    free(order);
    return m;
}

void
rs_data_modular_free(rs_data_modular *m)
{
    if (m == NULL)
        return;
    for (int s = 0; s < 2; s++) {
        free(m->pairs[s]);
        free(m->labels[s]);
    }
    free(m);
}

const struct rs_data_modular_config *
rs_data_modular_config(const rs_data_modular *m)
{
    return &m->cfg;
}

int
rs_data_modular_count(const rs_data_modular *m, enum rs_split split)
{
    return m->n[split];
}

int
rs_data_modular_input_dim(const rs_data_modular *m)
{
    return 2 * m->cfg.p;
}

int
rs_data_modular_classes(const rs_data_modular *m)
{
    return m->cfg.p;
}

const int *
rs_data_modular_pairs(const rs_data_modular *m, enum rs_split split)
{
    return m->pairs[split];
}

const int *
rs_data_modular_labels(const rs_data_modular *m, enum rs_split split)
{
    return m->labels[split];
}

void
rs_data_modular_batch(const rs_data_modular *m, enum rs_split split,
                      const int *idx, int n, float *out, int *labels)
{
    int p = m->cfg.p;
    memset(out, 0, (size_t)n * 2 * (size_t)p * sizeof(float));
    for (int i = 0; i < n; i++) {
        int j = idx != NULL ? idx[i] : i;
        RS_ASSERT(j >= 0 && j < m->n[split]);
        float *row = out + (size_t)i * 2 * (size_t)p;
        row[m->pairs[split][2 * j]] = 1.0f;
        row[p + m->pairs[split][2 * j + 1]] = 1.0f;
        if (labels != NULL)
            labels[i] = m->labels[split][j];
    }
}
