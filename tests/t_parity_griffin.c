/* repscope - MIT licence, see COPYING.
 *
 * t_parity_griffin.c FILE: train the griffin module kind (nn/griffin.h)
 * as FILE describes (written by tests/parity_griffin.py from the PyTorch
 * twin in bench/torch_ref.py: the transformer, Hawk and Griffin on tiny
 * sizes), starting from PyTorch's weights, with rs_optim AdamW on the same
 * token batches, and check each step's next-token loss against PyTorch's
 * within 1e-4 relative, then the final parameters within 1e-5 absolute
 * (the PyTorch parity tolerances of repscope-lua(7), NUMERICS). Without
 * FILE it skips; tests/sh/t_parity_griffin.sh generates the file when
 * torch exists.
 *
 * File format, all little-endian, 4-byte items, no padding:
 *   int32  magic 0x47505352 ("RSPG"), version 1, number of runs R
 *   R times:
 *     int32  vocab, d, layers, heads, lru_width, window, mlp_mult,
 *            conv_width, embed_scale (0/1)
 *     float32 rope_base, soft_cap
 *     char   pattern[16] (NUL-padded)
 *     int32  batch B, context T, steps S
 *     float32 lr, beta1, beta2, eps, weight_decay
 *     int32  number of parameters P; P times: char name[64] (NUL-padded),
 *            int32 numel, float32 values[numel] (this model's names,
 *            layouts and registration order, checked)
 *     for each step: int32 ids[B][T + 1] (inputs the first T, targets the
 *            last T of each row)
 *     float32 loss[S] (loss of step s, before its update)
 *     the parameters after the last step, P times float32 values[numel]
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "core/graph.h"
#include "core/ops.h"
#include "core/optim.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "nn/griffin.h"
#include "nn/model.h"
#include "tests/tap.h"

#define PARITY_MAGIC 0x47505352
#define NAME_FIELD 64
/* Final parameters, absolute: NUMERICS' 1e-5 (measured: at most 2e-6,
 * while 50 Adam steps of lr 1e-3 move a parameter by up to 5e-2). */
#define FINAL_TOL 1e-5

struct reader {
    const unsigned char *p, *end;
};

/* Little-endian 4-byte items, independent of the host byte order. */
static bool
read_u32(struct reader *r, uint32_t *out)
{
    if (r->end - r->p < 4)
        return false;
    *out = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 |
           (uint32_t)r->p[2] << 16 | (uint32_t)r->p[3] << 24;
    r->p += 4;
    return true;
}

static bool
read_i32(struct reader *r, int *out)
{
    uint32_t u;
    if (!read_u32(r, &u))
        return false;
    *out = u <= INT32_MAX ? (int)u : (int)((int64_t)u - 4294967296LL);
    return true;
}

static bool
read_f32s(struct reader *r, float *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        if (!read_u32(r, &u))
            return false;
        memcpy(&out[i], &u, sizeof u);
    }
    return true;
}

static bool
read_i32s(struct reader *r, int *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!read_i32(r, &out[i]))
            return false;
    return true;
}

/* n bytes into out[n + 1], NUL-terminated. */
static bool
read_chars(struct reader *r, char *out, size_t n)
{
    if ((size_t)(r->end - r->p) < n)
        return false;
    memcpy(out, r->p, n);
    out[n] = '\0';
    r->p += n;
    return true;
}

static unsigned char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    unsigned char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? 2 * cap : 65536;
            buf = rs_xreallocarray(buf, cap, 1);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    *len = n;
    return buf;
}

/* The config of one run; false on a short file. */
static bool
read_config(struct reader *r, struct rs_nn_griffin_config *c)
{
    int v[9];
    float f[2];
    char pat[16 + 1];
    if (!read_i32s(r, v, 9) || !read_f32s(r, f, 2) || !read_chars(r, pat, 16))
        return false;
    rs_nn_griffin_config_default(c);
    c->vocab = v[0];
    c->d = v[1];
    c->layers = v[2];
    c->heads = v[3];
    c->lru_width = v[4];
    c->window = v[5];
    c->mlp_mult = v[6];
    c->conv_width = v[7];
    c->embed_scale = v[8] != 0;
    c->rope_base = f[0];
    c->soft_cap = f[1];
    snprintf(c->pattern, sizeof c->pattern, "%s", pat);
    return true;
}

/* Read one run from r, train it and emit its TAP lines. */
static void
run_one(struct reader *r, const char *path)
{
    struct rs_nn_griffin_config cfg;
    int batch = 0, T = 0, steps = 0, np = 0;
    float hyper[5];
    if (!read_config(r, &cfg))
        tap_bail("%s: truncated config", path);
    if (!read_i32(r, &batch) || !read_i32(r, &T) || !read_i32(r, &steps) ||
        batch < 1 || batch > 4096 || T < 1 || T > 4096 || steps < 1 ||
        steps > 10000 || !read_f32s(r, hyper, 5) || !read_i32(r, &np))
        tap_bail("%s: bad header", path);

    struct rs_error err = {0};
    struct rs_rng rng;
    rs_rng_seed(&rng, 1);
    rs_nn_griffin *gf = rs_nn_griffin_new(&cfg, &rng, &err);
    if (gf == NULL)
        tap_bail("%s: rs_nn_griffin_new: %s", path, err.msg);
    rs_nn_model *m = rs_nn_griffin_model(gf);
    char what[96];
    if (strchr(cfg.pattern, 'A') != NULL)
        snprintf(what, sizeof what, "%s window %d%s", cfg.pattern, cfg.window,
                 cfg.soft_cap > 0.0f ? " soft-cap" : "");
    else
        snprintf(what, sizeof what, "%s%s", cfg.pattern,
                 cfg.soft_cap > 0.0f ? " soft-cap" : "");
    if (!tap_is_int(np, rs_nn_model_count(m), "%s: %d parameters", what, np))
        tap_bail("%s: parameter count differs", path);

    /* PyTorch's weights, name by name in registration order. */
    bool names_ok = true;
    for (int i = 0; i < np; i++) {
        char name[NAME_FIELD + 1];
        int numel = 0;
        rs_tensor *t = rs_nn_model_param(m, i);
        if (!read_chars(r, name, NAME_FIELD) || !read_i32(r, &numel))
            tap_bail("%s: truncated parameter %d", path, i);
        if (strcmp(name, rs_nn_model_param_name(m, i)) != 0 ||
            (size_t)numel != t->numel) {
            tap_diag("parameter %d: file %s (%d), model %s (%zu)", i, name,
                     numel, rs_nn_model_param_name(m, i), t->numel);
            names_ok = false;
            break;
        }
        if (!read_f32s(r, t->data, t->numel))
            tap_bail("%s: truncated parameter %s", path, name);
    }
    if (!tap_ok(names_ok, "%s: names, order and sizes as the model's", what))
        tap_bail("%s: parameters differ", path);

    size_t row = (size_t)T + 1, nid = (size_t)batch * row;
    int *ids = rs_xcalloc((size_t)steps * nid, sizeof(int));
    float *want = rs_xcalloc((size_t)steps, sizeof(float));
    if (!read_i32s(r, ids, (size_t)steps * nid) ||
        !read_f32s(r, want, (size_t)steps))
        tap_bail("%s: truncated batches", path);
    float **final = rs_xcalloc((size_t)np, sizeof *final);
    for (int i = 0; i < np; i++) {
        size_t n = rs_nn_model_param(m, i)->numel;
        final[i] = rs_xcalloc(n, sizeof(float));
        if (!read_f32s(r, final[i], n))
            tap_bail("%s: truncated final parameters", path);
    }

    struct rs_optim_config oc;
    rs_optim_config_default(&oc, RS_OPTIM_ADAMW);
    oc.lr = hyper[0];
    oc.beta1 = hyper[1];
    oc.beta2 = hyper[2];
    oc.eps = hyper[3];
    oc.weight_decay = hyper[4];
    rs_optim *opt = rs_optim_new(&oc, rs_nn_model_params(m), np, &err);
    if (opt == NULL)
        tap_bail("rs_optim_new: %s", err.msg);

    /* inputs (B, T) and targets (B T): the row's first and last T ids */
    size_t bt = (size_t)batch * (size_t)T;
    int *in = rs_xcalloc(bt, sizeof(int)), *tgt = rs_xcalloc(bt, sizeof(int));
    rs_graph *g = rs_graph_new();
    double worst = 0.0;
    int bad = 0;
    for (int s = 0; s < steps; s++) {
        const int *st = ids + (size_t)s * nid;
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < T; t++) {
                in[(size_t)b * T + t] = st[(size_t)b * row + (size_t)t];
                tgt[(size_t)b * T + t] = st[(size_t)b * row + (size_t)t + 1];
            }
        rs_graph_reset(g);
        rs_tensor *lg = rs_nn_griffin_forward(gf, g, in, batch, T, NULL);
        rs_tensor *loss = rs_op_cross_entropy(g, lg, tgt, NULL);
        if (loss == NULL)
            tap_bail("step %d: %s", s, rs_graph_error(g)->msg);
        if (rs_graph_backward(g, loss, &err) != RS_OK)
            tap_bail("step %d: backward: %s", s, err.msg);
        double got = (double)loss->data[0], ref = (double)want[s];
        double rel = fabs(got - ref) / fabs(ref);
        worst = rel > worst ? rel : worst;
        if (!tap_is_float(got, ref, 0.0, 1e-4,
                          "%s: step %d loss %.6f (torch %.6f)", what, s, got,
                          ref))
            bad++;
        if (rs_optim_step(opt, oc.lr, NULL, &err) != RS_OK)
            tap_bail("step %d: %s", s, err.msg);
        rs_optim_zero_grad(opt);
    }
    tap_diag("%s: worst relative loss difference %.3g over %d steps (%d "
             "over 1e-4)",
             what, worst, steps, bad);

    double md = 0.0;
    int at = 0;
    for (int i = 0; i < np; i++) {
        const rs_tensor *t = rs_nn_model_param(m, i);
        for (size_t k = 0; k < t->numel; k++) {
            double d = fabs((double)t->data[k] - (double) final[i][k]);
            if (d > md || isnan(d)) {
                md = isnan(d) ? (double)INFINITY : d;
                at = i;
            }
        }
    }
    tap_ok(md <= FINAL_TOL,
           "%s: final parameters within %g (max difference %.2g in %s)", what,
           FINAL_TOL, md, rs_nn_model_param_name(m, at));

    rs_graph_free(g);
    rs_optim_free(opt);
    rs_nn_griffin_free(gf);
    for (int i = 0; i < np; i++)
        free(final[i]);
    free(final);
    free(ids);
    free(want);
    free(in);
    free(tgt);
}

int
main(int argc, char **argv)
{
    if (argc < 2)
        tap_skip_all("no reference file (tests/sh/t_parity_griffin.sh makes "
                     "one when torch is available)");

    size_t len = 0;
    unsigned char *buf = slurp(argv[1], &len);
    if (buf == NULL)
        tap_bail("cannot read %s", argv[1]);
    struct reader r = {buf, buf + len};

    int magic = 0, version = 0, runs = 0;
    if (!read_i32(&r, &magic) || !read_i32(&r, &version) ||
        magic != PARITY_MAGIC || version != 1)
        tap_bail("%s: not a version 1 griffin parity file", argv[1]);
    if (!read_i32(&r, &runs) || runs < 1 || runs > 64)
        tap_bail("%s: bad run count", argv[1]);
    tap_plan_lazy();
    for (int k = 0; k < runs; k++)
        run_one(&r, argv[1]);
    if (r.p != r.end)
        tap_bail("%s: oversized reference file (%zu bytes)", argv[1], len);
    free(buf);
    return tap_done();
}
