/* repscope - MIT licence, see COPYING.
 *
 * t_parity_torch.c FILE: train the MLPs described by FILE (written by
 * tests/parity_torch.py, one run per hidden activation: relu, tanh,
 * sigmoid, gelu, softplus) with core ops and rs_optim AdamW, and check each
 * step's loss against PyTorch's within 1e-4 relative, then the final
 * parameters (1e-5 absolute: missing AdamW decay moves them by ~5e-5 while
 * the losses stay within 1e-4). These are the PyTorch parity tolerances of
 * repscope-lua(7), NUMERICS. Without FILE it skips;
 * tests/sh/t_parity_torch.sh generates the file when torch exists.
 *
 * File format, all little-endian, 4-byte items, no padding:
 *   int32  magic 0x54505352 ("RSPT"), version 2, number of runs R
 *   R times:
 *     int32  activation: 0 relu, 1 tanh, 2 sigmoid, 3 gelu (tanh form),
 *            4 softplus
 *     int32  ndims, dims[ndims] (layer widths, input first), batch B,
 *            steps S
 *     float32 lr, beta1, beta2, eps, weight_decay
 *     for each layer l = 0..ndims-2 (in = dims[l], out = dims[l+1]):
 *       float32 weight[out][in] (nn.Linear layout), float32 bias[out]
 *     for each step s = 0..S-1:
 *       float32 x[B][dims[0]], int32 target[B] (each in [0, dims[ndims-1]))
 *     float32 loss[S] (loss of step s, before its update)
 *     the parameters after the last step, laid out as the initial ones
 * The network is Linear, the activation between layers, mean cross-entropy.
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
#include "core/tensor.h"
#include "tests/tap.h"

#define PARITY_MAGIC 0x54505352
#define PARITY_MAX_DIMS 8

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

typedef rs_tensor *(*act_fn)(rs_graph *g, rs_tensor *x);

static const struct {
    const char *name;
    act_fn fn;
} acts[] = {
    {"relu", rs_op_relu},       {"tanh", rs_op_tanh},
    {"sigmoid", rs_op_sigmoid}, {"gelu", rs_op_gelu},
    {"softplus", rs_op_softplus},
};

/* Read one run from r, train it and emit its TAP lines. */
static void
run_one(struct reader *r, const char *path)
{
    int act = 0, ndims = 0, batch = 0, steps = 0;
    int dims[PARITY_MAX_DIMS];
    float hyper[5];
    if (!read_i32(r, &act) || act < 0 || act >= (int)RS_ARRAY_LEN(acts))
        tap_bail("%s: bad activation code", path);
    if (!read_i32(r, &ndims) || ndims < 2 || ndims > PARITY_MAX_DIMS)
        tap_bail("%s: bad layer count", path);
    for (int i = 0; i < ndims; i++)
        if (!read_i32(r, &dims[i]) || dims[i] < 1 || dims[i] > 4096)
            tap_bail("%s: bad width", path);
    if (!read_i32(r, &batch) || !read_i32(r, &steps) || batch < 1 ||
        batch > 4096 || steps < 1 || steps > 10000 || !read_f32s(r, hyper, 5))
        tap_bail("%s: bad header", path);

    const char *an = acts[act].name;
    int nlayers = ndims - 1;
    rs_tensor *params[2 * PARITY_MAX_DIMS];
    bool ok = true;
    for (int l = 0; l < nlayers; l++) {
        int wshape[2] = {dims[l + 1], dims[l]};
        rs_tensor *w = rs_tensor_new_param(2, wshape, NULL);
        rs_tensor *b = rs_tensor_new_param(1, &dims[l + 1], NULL);
        RS_ASSERT(w != NULL && b != NULL);
        ok &= read_f32s(r, w->data, w->numel);
        ok &= read_f32s(r, b->data, b->numel);
        params[2 * l] = w;
        params[2 * l + 1] = b;
    }
    size_t xn = (size_t)batch * (size_t)dims[0];
    float *xs = rs_xcalloc((size_t)steps * xn, sizeof(float));
    int *ts = rs_xcalloc((size_t)steps * (size_t)batch, sizeof(int));
    float *want = rs_xcalloc((size_t)steps, sizeof(float));
    for (int s = 0; s < steps && ok; s++) {
        ok &= read_f32s(r, xs + (size_t)s * xn, xn);
        for (int i = 0; i < batch && ok; i++)
            ok &= read_i32(r, &ts[(size_t)s * (size_t)batch + (size_t)i]);
    }
    ok &= read_f32s(r, want, (size_t)steps);
    float *final[2 * PARITY_MAX_DIMS];
    for (int i = 0; i < 2 * nlayers; i++) {
        final[i] = rs_xcalloc(params[i]->numel, sizeof(float));
        ok &= read_f32s(r, final[i], params[i]->numel);
    }
    if (!ok)
        tap_bail("%s: truncated reference file", path);

    tap_ok(true, "%s: reference: %d layers, batch %d, %d steps", an, nlayers,
           batch, steps);

    struct rs_optim_config cfg;
    rs_optim_config_default(&cfg, RS_OPTIM_ADAMW);
    cfg.lr = hyper[0];
    cfg.beta1 = hyper[1];
    cfg.beta2 = hyper[2];
    cfg.eps = hyper[3];
    cfg.weight_decay = hyper[4];
    struct rs_error err;
    rs_optim *opt = rs_optim_new(&cfg, params, 2 * nlayers, &err);
    if (opt == NULL)
        tap_bail("rs_optim_new: %s", err.msg);
    tap_ok(true, "%s: adamw lr %g wd %g", an, (double)cfg.lr,
           (double)cfg.weight_decay);

    rs_graph *g = rs_graph_new();
    double worst = 0.0;
    for (int s = 0; s < steps; s++) {
        rs_graph_reset(g);
        int xshape[2] = {batch, dims[0]};
        rs_tensor *h = rs_graph_input(g, 2, xshape, xs + (size_t)s * xn);
        for (int l = 0; l < nlayers; l++) {
            h = rs_op_linear(g, h, params[2 * l], params[2 * l + 1]);
            if (l < nlayers - 1)
                h = acts[act].fn(g, h);
        }
        rs_tensor *loss =
            rs_op_cross_entropy(g, h, ts + (size_t)s * (size_t)batch, NULL);
        if (loss == NULL)
            tap_bail("graph: %s", rs_graph_error(g)->msg);
        if (rs_graph_backward(g, loss, &err) != RS_OK)
            tap_bail("backward: %s", err.msg);
        double got = (double)loss->data[0], ref = (double)want[s];
        double rel = fabs(got - ref) / fabs(ref);
        worst = rel > worst ? rel : worst;
        tap_is_float(got, ref, 0.0, 1e-4, "%s: step %d loss %.6f (torch %.6f)",
                     an, s, got, ref);
        if (rs_optim_step(opt, cfg.lr, NULL, &err) != RS_OK)
            tap_bail("step %d: %s", s, err.msg);
        rs_optim_zero_grad(opt);
    }
    tap_diag("%s: worst relative loss difference %.3g over %d steps", an,
             worst, steps);
    for (int i = 0; i < 2 * nlayers; i++) {
        float md = 0.0f;
        for (size_t k = 0; k < params[i]->numel; k++) {
            float d = fabsf(params[i]->data[k] - final[i][k]);
            md = d > md ? d : md;
        }
        tap_is_floats(params[i]->data, final[i], params[i]->numel, 1e-5, 0.0,
                      "%s: final %s %d (max difference %.2g)", an,
                      i % 2 ? "bias" : "weight", i / 2, (double)md);
    }

    rs_graph_free(g);
    rs_optim_free(opt);
    for (int i = 0; i < 2 * nlayers; i++) {
        rs_tensor_release(params[i]);
        free(final[i]);
    }
    free(xs);
    free(ts);
    free(want);
}

int
main(int argc, char **argv)
{
    if (argc < 2)
        tap_skip_all("no reference file (tests/sh/t_parity_torch.sh makes "
                     "one when torch is available)");

    size_t len = 0;
    unsigned char *buf = slurp(argv[1], &len);
    if (buf == NULL)
        tap_bail("cannot read %s", argv[1]);
    struct reader r = {buf, buf + len};

    int magic = 0, version = 0, runs = 0;
    if (!read_i32(&r, &magic) || !read_i32(&r, &version) ||
        magic != PARITY_MAGIC || version != 2)
        tap_bail("%s: not a version 2 parity file", argv[1]);
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
