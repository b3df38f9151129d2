/* repscope - MIT licence, see COPYING.
 *
 * t_core_vecmath.c: the vector math of core/vecmath.h and the ops built on
 * it, against double-precision libm. The tolerances checked here are the
 * ones repscope-lua(7) states under NUMERICS:
 *   - each function over a dense sweep of the float line (every 1021st bit
 *     pattern, both signs: about 8000 values per binade) within its ulp
 *     bound, NaN exactly where libm gives NaN and the same infinities;
 *   - a table of edge cases per function (+-0 with its sign, subnormals,
 *     +-inf, NaN, huge |x|, the thresholds inside each function), each run
 *     through the vector loop and the scalar tail;
 *   - the sweep compiled for every vector width this CPU has (generic SSE2,
 *     AVX2, AVX-512; REPSCOPE_CPU=generic|avx2 caps the set) gives bitwise
 *     the same results, which are also those of the dispatched array
 *     functions (GCC's resolver picks those from the CPU alone);
 *   - the elementwise ops forward and backward, and the softmax,
 *     log_softmax and cross-entropy rows, against double references of
 *     their formulas evaluated at the same float inputs.
 */
#include "config.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "core/cpu.h"
#include "core/graph.h"
#include "core/ops.h"
#include "core/tensor.h"
#include "core/vecmath.h"
#include "tests/tap.h"

/* Op-level tolerance (NUMERICS): |got - exact| <= OP_TOL max(1, |exact|)
 * for gelu's forward and every backward (those read a saved, rounded
 * output, so their relative error near a zero of the derivative is not
 * bounded) and for the row ops. */
#define OP_TOL 0x1p-21

/* ---- the sweep loops, one copy per vector width ----------------------- */

/* out[i] = f(x[i]) in the kernels' shape (a main loop to a multiple of 16,
 * which GCC vectorises, then a scalar tail), compiled for one target. A
 * macro because only the target attribute differs between the copies. */
#define SWEEP_FN(name, attr, f)                                                \
    attr static void name(float *restrict out, const float *restrict x,      \
                          size_t n)                                            \
    {                                                                          \
        size_t i, nv = n & ~(size_t)15;                                        \
        for (i = 0; i < nv; i++)                                               \
            out[i] = f(x[i]);                                                  \
        for (; i < n; i++)                                                     \
            out[i] = f(x[i]);                                                  \
    }

#define SWEEP_LEVEL(lv, attr)                                                  \
    SWEEP_FN(exp_##lv, attr, rs_vecmath_expf)                                  \
    SWEEP_FN(log_##lv, attr, rs_vecmath_logf)                                  \
    SWEEP_FN(log1p_##lv, attr, rs_vecmath_log1pf)                              \
    SWEEP_FN(tanh_##lv, attr, rs_vecmath_tanhf)                                \
    SWEEP_FN(exp_negabs_##lv, attr, rs_vecmath_exp_negabsf)                    \
    SWEEP_FN(sigmoid_##lv, attr, rs_vecmath_sigmoidf)                          \
    SWEEP_FN(softplus_##lv, attr, rs_vecmath_softplusf)

SWEEP_LEVEL(generic, )

#if defined(__GNUC__) && defined(__x86_64__)
#define HAVE_LEVELS 1
SWEEP_LEVEL(avx2, __attribute__((target("avx2"))))
SWEEP_LEVEL(avx512, __attribute__((target("avx512f"))))
#define LEVEL_FNS(f) {f##_generic, f##_avx2, f##_avx512}
#else
#define HAVE_LEVELS 0
#define LEVEL_FNS(f) {f##_generic, NULL, NULL}
#endif

enum { LV_GENERIC, LV_AVX2, LV_AVX512, LV_COUNT };
static const char *const level_name[LV_COUNT] = {"generic", "avx2", "avx512"};
static bool level_ok[LV_COUNT];

typedef void (*map_fn)(float *restrict out, const float *restrict x,
                       size_t n);

static double
ref_exp_negabs(double x)
{
    return isnan(x) ? 0.0 : exp(-fabs(x));
}

static double
ref_sigmoid(double x)
{
    return 1.0 / (1.0 + exp(-x));
}

static double
ref_softplus(double x)
{
    return x > 0.0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

/* The function-level tolerances (NUMERICS): max error in ulp of the float
 * result. */
struct vfn {
    const char *name;
    double (*ref)(double);
    double bound;
    map_fn level[LV_COUNT];
    map_fn dispatched; /* the vecmath.c array function, or NULL */
};

static const struct vfn vfns[] = {
    {"exp", exp, 1.0, LEVEL_FNS(exp), rs_vecmath_exp},
    {"log", log, 1.0, LEVEL_FNS(log), rs_vecmath_log},
    {"log1p", log1p, 2.0, LEVEL_FNS(log1p), NULL},
    {"tanh", tanh, 2.0, LEVEL_FNS(tanh), rs_vecmath_tanh},
    {"exp_negabs", ref_exp_negabs, 1.0, LEVEL_FNS(exp_negabs), NULL},
    {"sigmoid", ref_sigmoid, 3.0, LEVEL_FNS(sigmoid), rs_vecmath_sigmoid},
    {"softplus", ref_softplus, 2.0, LEVEL_FNS(softplus), rs_vecmath_softplus},
};

/* |y - r| in units of the float ulp at r (2^-149 below FLT_MIN, the
 * subnormal grid); 0 for NaN against NaN and for equal infinities; +inf for
 * any other NaN or infinity (including a finite y where r rounds to inf). */
static double
ulp_error(float y, double r)
{
    if (isnan(r) || isnan(y))
        return isnan(r) && isnan(y) ? 0.0 : HUGE_VAL;
    float rf = (float)r;
    if (isinf(rf) || isinf(y))
        return rf == y ? 0.0 : HUGE_VAL;
    double a = fabs(r);
    double ulp = a < 0x1p-126 ? 0x1p-149 : ldexp(1.0, ilogb(a) - 23);
    return fabs((double)y - r) / ulp;
}

static float
from_bits(uint32_t b)
{
    float x;
    memcpy(&x, &b, sizeof x);
    return x;
}

static bool
same_bits(float a, float b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/* ---- the dense sweep -------------------------------------------------- */

enum { CHUNK = 1 << 16, STEP = 1021 };

struct sweep_stats {
    double max_err;
    float worst_x;
    float worst_y;
    long count;
    long level_diff[LV_COUNT]; /* elements differing from generic */
    long dispatch_diff;
};

static void
sweep_chunk(const struct vfn *f, const float *x, size_t n, double *ref,
            float *out[LV_COUNT], float *outd, struct sweep_stats *st)
{
    for (size_t i = 0; i < n; i++)
        ref[i] = f->ref((double)x[i]);
    for (int lv = 0; lv < LV_COUNT; lv++)
        if (level_ok[lv])
            f->level[lv](out[lv], x, n);
    if (f->dispatched != NULL)
        f->dispatched(outd, x, n);
    for (size_t i = 0; i < n; i++) {
        double e = ulp_error(out[LV_GENERIC][i], ref[i]);
        if (e > st->max_err || isnan(e)) {
            st->max_err = e;
            st->worst_x = x[i];
            st->worst_y = out[LV_GENERIC][i];
        }
        st->count++;
        for (int lv = 1; lv < LV_COUNT; lv++)
            if (level_ok[lv] &&
                !same_bits(out[lv][i], out[LV_GENERIC][i]))
                st->level_diff[lv]++;
        if (f->dispatched != NULL &&
            !same_bits(outd[i], out[LV_GENERIC][i]))
            st->dispatch_diff++;
    }
}

static void
test_sweep(const struct vfn *f)
{
    float *x = rs_xmalloc(CHUNK * sizeof(float));
    double *ref = rs_xmalloc(CHUNK * sizeof(double));
    float *out[LV_COUNT], *outd = rs_xmalloc(CHUNK * sizeof(float));
    for (int lv = 0; lv < LV_COUNT; lv++)
        out[lv] = rs_xmalloc(CHUNK * sizeof(float));
    struct sweep_stats st = {0};
    uint64_t b = 0;
    while (b < UINT64_C(1) << 32) {
        size_t n = 0;
        for (; n < CHUNK && b < UINT64_C(1) << 32; n++, b += STEP)
            x[n] = from_bits((uint32_t)b);
        sweep_chunk(f, x, n, ref, out, outd, &st);
    }
    tap_ok(st.max_err <= f->bound,
           "%s: max error %.3f ulp <= %.1f over %ld floats (worst at %a -> "
           "%a)",
           f->name, st.max_err, f->bound, st.count, (double)st.worst_x,
           (double)st.worst_y);
    for (int lv = 1; lv < LV_COUNT; lv++) {
        if (!level_ok[lv]) {
            tap_skip(1, "%s: no %s on this CPU (or capped by REPSCOPE_CPU)",
                     f->name, level_name[lv]);
            continue;
        }
        tap_ok(st.level_diff[lv] == 0,
               "%s: %s copy bitwise equal to generic (%ld differ)", f->name,
               level_name[lv], st.level_diff[lv]);
    }
    if (f->dispatched != NULL)
        tap_ok(st.dispatch_diff == 0,
               "%s: dispatched rs_vecmath_%s bitwise equal (%ld differ)",
               f->name, f->name, st.dispatch_diff);
    for (int lv = 0; lv < LV_COUNT; lv++)
        free(out[lv]);
    free(outd);
    free(ref);
    free(x);
}

/* ---- edge cases ------------------------------------------------------- */

/* Inputs every function must get right, besides its own thresholds. */
static const float common_edges[] = {
    0.0f,         -0.0f,         0x1p-149f,    -0x1p-149f,
    0x1.8p-140f,  -0x1.8p-140f,  FLT_MIN,      -FLT_MIN,
    1e-30f,       -1e-30f,       1.0f,         -1.0f,
    FLT_MAX,      -FLT_MAX,      1e30f,        -1e30f,
    INFINITY,     -INFINITY,     NAN,          -NAN,
};

struct fn_edges {
    const char *name;
    float x[12];
    int n;
};

/* Each function's own thresholds: where a clamp, a branch of the formula
 * or the overflow / underflow of the result sits. */
static const struct fn_edges own_edges[] = {
    {"exp",
     {88.72283f, 88.72284f, 88.7229f, 89.0f, 89.5f, -87.33654f, -87.34f,
      -103.9721f, -103.98f, -104.0f, -104.5f, 0x1p-25f},
     12},
    {"log",
     {0x1.6a09e6p-1f, 0x1.6a09e8p-1f, 0x1.fffffep-1f, 0x1.000002p+0f,
      0x1.fffffep-127f, 2.0f, 0.5f, 1e-40f, 3.0f, 1e38f, -2.0f, 1e-45f},
     12},
    {"log1p",
     {-1.0f, -0x1.fffffep-1f, -2.0f, 0x1p-25f, -0x1p-25f, 0x1p-24f,
      0x1.000002p-24f, 1e-7f, -0.5f, 0.5f, 1e20f, 3.0f},
     12},
    {"tanh",
     {0.625f, 0x1.3ffffep-1f, -0.625f, 9.0f, 9.1f, 20.0f, 44.0f, 45.0f,
      0x1p-13f, -0x1p-13f, 0.3f, -3.0f},
     12},
    {"exp_negabs",
     {104.0f, -104.0f, 103.97f, -103.97f, 87.33f, -87.34f, 88.8f, 200.0f,
      0x1p-25f, 0.34f, -0.35f, 1e4f},
     12},
    {"sigmoid",
     {87.3f, -87.3f, -88.0f, -100.0f, -103.0f, -104.0f, -110.0f, 16.7f,
      17.0f, 30.0f, -30.0f, 0x1p-25f},
     12},
    {"softplus",
     {87.3f, -87.3f, -100.0f, -104.0f, -110.0f, 15.0f, 16.7f, 17.0f,
      30.0f, -30.0f, 0x1p-25f, 1e20f},
     12},
};

/* Zeros must come out with the sign libm gives. */
static bool
zero_sign_ok(float y, double r)
{
    if (y != 0.0f || r != 0.0)
        return true;
    return (signbit(y) != 0) == (signbit(r) != 0);
}

static void
test_edges(const struct vfn *f, const struct fn_edges *own)
{
    /* the edge inputs cycled to 3 x 16 + 5 floats: the vector loop and the
     * scalar tail both see each one */
    float in[53], out[LV_COUNT][53], outd[53];
    size_t ne = RS_ARRAY_LEN(common_edges) + (size_t)own->n;
    for (size_t i = 0; i < RS_ARRAY_LEN(in); i++) {
        size_t k = i % ne;
        in[i] = k < RS_ARRAY_LEN(common_edges)
                    ? common_edges[k]
                    : own->x[k - RS_ARRAY_LEN(common_edges)];
    }
    int bad = 0;
    for (int lv = 0; lv < LV_COUNT; lv++) {
        if (!level_ok[lv])
            continue;
        f->level[lv](out[lv], in, RS_ARRAY_LEN(in));
        for (size_t i = 0; i < RS_ARRAY_LEN(in); i++) {
            double r = f->ref((double)in[i]);
            double e = ulp_error(out[lv][i], r);
            if (!(e <= f->bound) || !zero_sign_ok(out[lv][i], r)) {
                if (bad++ < 8)
                    tap_diag("%s %s(%a) = %a, libm %a (error %g)",
                             level_name[lv], f->name, (double)in[i],
                             (double)out[lv][i], r, e);
            }
        }
    }
    if (f->dispatched != NULL) {
        f->dispatched(outd, in, RS_ARRAY_LEN(in));
        for (size_t i = 0; i < RS_ARRAY_LEN(in); i++)
            if (!same_bits(outd[i], out[LV_GENERIC][i]) && bad++ < 8)
                tap_diag("dispatched %s(%a) = %a, generic %a", f->name,
                         (double)in[i], (double)outd[i],
                         (double)out[LV_GENERIC][i]);
    }
    tap_ok(bad == 0, "%s: %zu edge cases (+-0, subnormals, +-inf, NaN, "
                     "thresholds) at every width",
           f->name, ne);
}

/* A few documented behaviours spelled out. */
static void
test_specials(void)
{
    float t = rs_vecmath_exp_negabsf(NAN);
    tap_ok(t == 0.0f, "exp_negabs(NaN) = 0 (callers put the NaN back)");
    t = rs_vecmath_tanhf(-0.0f);
    tap_ok(t == 0.0f && signbit(t), "tanh(-0) = -0");
    t = rs_vecmath_sigmoidf(-100.0f);
    tap_ok(t > 0.0f && t < FLT_MIN, "sigmoid(-100) is subnormal, not 0 (%g)",
           (double)t);
    t = rs_vecmath_softplusf(-100.0f);
    tap_ok(t > 0.0f && t < FLT_MIN, "softplus(-100) is subnormal, not 0 (%g)",
           (double)t);
    t = rs_vecmath_expf(-103.5f);
    tap_ok(t > 0.0f && t < FLT_MIN, "exp(-103.5) is subnormal (%a)",
           (double)t);
    t = rs_vecmath_logf(0x1p-149f);
    tap_ok(fabs((double)t - (-149.0 * log(2.0))) < 1e-5,
           "log of the smallest subnormal (%g)", (double)t);
}

/* ---- ops: forward and backward ----------------------------------------- */

struct unary_ref {
    const char *name;
    rs_tensor *(*op)(rs_graph *g, rs_tensor *x);
    float lo, hi;
    bool logspace; /* inputs spaced evenly in log(x), else in x */
    double (*f)(double);
    double (*df)(double);
    double fwd_ulp; /* forward bound in ulp, or 0: OP_TOL */
};

static double
d_tanh(double x)
{
    double t = tanh(x);
    return 1.0 - t * t;
}

static double
d_sigmoid(double x)
{
    double s = ref_sigmoid(x);
    return s * (1.0 - s);
}

static double
d_log(double x)
{
    return 1.0 / x;
}

static double
d_sqrt(double x)
{
    return 0.5 / sqrt(x);
}

#define GK 0.7978845608028654
#define GC 0.044715

static double
ref_gelu(double x)
{
    return 0.5 * x * (1.0 + tanh(GK * (x + GC * x * x * x)));
}

static double
d_gelu(double x)
{
    double t = tanh(GK * (x + GC * x * x * x));
    return 0.5 * (1.0 + t) +
           0.5 * x * (1.0 - t * t) * GK * (1.0 + 3.0 * GC * x * x);
}

static const struct unary_ref unary_refs[] = {
    {"tanh", rs_op_tanh, -12.0f, 12.0f, false, tanh, d_tanh, 2.0},
    {"sigmoid", rs_op_sigmoid, -40.0f, 40.0f, false, ref_sigmoid, d_sigmoid,
     3.0},
    {"softplus", rs_op_softplus, -40.0f, 40.0f, false, ref_softplus,
     ref_sigmoid, 2.0},
    {"exp", rs_op_exp, -80.0f, 80.0f, false, exp, exp, 1.0},
    {"log", rs_op_log, 1e-6f, 1e6f, true, log, d_log, 1.0},
    {"sqrt", rs_op_sqrt, 1e-6f, 1e6f, true, sqrt, d_sqrt, 0.5},
    {"gelu", rs_op_gelu, -12.0f, 12.0f, false, ref_gelu, d_gelu, 0.0},
};

/* |got - r| against OP_TOL max(1, |r|); returns the ratio (<= 1 passes). */
static double
op_error(float got, double r)
{
    if (isnan(r) || isnan(got))
        return isnan(r) && isnan(got) ? 0.0 : HUGE_VAL;
    double scale = fabs(r) > 1.0 ? fabs(r) : 1.0;
    return fabs((double)got - r) / (OP_TOL * scale);
}

static void
test_op_unary(const struct unary_ref *u)
{
    enum { N = 4096 + 7 };
    float *xs = rs_xmalloc(N * sizeof(float));
    float *seed = rs_xmalloc(N * sizeof(float));
    for (int i = 0; i < N; i++) {
        double t = (double)i / (double)(N - 1);
        if (u->logspace)
            xs[i] = (float)((double)u->lo *
                            pow((double)u->hi / (double)u->lo, t));
        else
            xs[i] = (float)((double)u->lo + (double)(u->hi - u->lo) * t);
        seed[i] = 1.0f;
    }
    rs_graph *g = rs_graph_new();
    int shape[1] = {N};
    rs_tensor *x = rs_tensor_new_param(1, shape, NULL);
    RS_ASSERT(x != NULL);
    memcpy(x->data, xs, N * sizeof(float));
    rs_tensor *y = u->op(g, x);
    struct rs_error err = {0};
    bool ran = y != NULL && rs_graph_backward_seed(g, y, seed, &err) == RS_OK;
    double worst_f = 0.0, worst_b = 0.0;
    float wxf = 0.0f, wxb = 0.0f;
    for (int i = 0; ran && i < N; i++) {
        double ef = u->fwd_ulp > 0.0
                        ? ulp_error(y->data[i], u->f((double)xs[i])) /
                              u->fwd_ulp
                        : op_error(y->data[i], u->f((double)xs[i]));
        double eb = op_error(x->grad[i], u->df((double)xs[i]));
        if (ef > worst_f) {
            worst_f = ef;
            wxf = xs[i];
        }
        if (eb > worst_b) {
            worst_b = eb;
            wxb = xs[i];
        }
    }
    if (u->fwd_ulp > 0.0)
        tap_ok(ran && worst_f <= 1.0,
               "op %s forward within %.1f ulp on [%g, %g] (worst %.2f of "
               "the bound, x = %g)",
               u->name, u->fwd_ulp, (double)u->lo, (double)u->hi, worst_f,
               (double)wxf);
    else
        tap_ok(ran && worst_f <= 1.0,
               "op %s forward within 2^-21 max(1, |y|) on [%g, %g] (worst "
               "%.2f of the bound, x = %g)",
               u->name, (double)u->lo, (double)u->hi, worst_f, (double)wxf);
    tap_ok(ran && worst_b <= 1.0,
           "op %s backward within 2^-21 max(1, |dy/dx|) (worst %.2f of the "
           "bound, x = %g)",
           u->name, worst_b, (double)wxb);
    rs_graph_free(g);
    rs_tensor_release(x);
    free(seed);
    free(xs);
}

/* NaN in, NaN out, through every unary op. */
static void
test_op_nan(void)
{
    float in[19];
    for (size_t i = 0; i < RS_ARRAY_LEN(in); i++)
        in[i] = i % 3 == 0 ? NAN : 0.5f;
    rs_graph *g = rs_graph_new();
    int shape[1] = {(int)RS_ARRAY_LEN(in)};
    for (size_t k = 0; k < RS_ARRAY_LEN(unary_refs); k++) {
        rs_graph_reset(g);
        rs_tensor *x = rs_graph_input(g, 1, shape, in);
        rs_tensor *y = unary_refs[k].op(g, x);
        bool ok = y != NULL;
        for (size_t i = 0; ok && i < RS_ARRAY_LEN(in); i++)
            ok = (isnan(y->data[i]) != 0) == (i % 3 == 0);
        tap_ok(ok, "op %s propagates NaN (and only NaN)", unary_refs[k].name);
    }
    rs_graph_free(g);
}

/* ---- row ops ------------------------------------------------------------ */

/* Double softmax / log-softmax of one row of V floats. */
static void
ref_rows(double *p, double *lp, const float *x, int V)
{
    double m = -HUGE_VAL, s = 0.0;
    for (int j = 0; j < V; j++)
        m = (double)x[j] > m ? (double)x[j] : m;
    for (int j = 0; j < V; j++)
        s += exp((double)x[j] - m);
    for (int j = 0; j < V; j++) {
        p[j] = exp((double)x[j] - m) / s;
        lp[j] = ((double)x[j] - m) - log(s);
    }
}

static void
test_rows(void)
{
    static const int widths[] = {1, 10, 16, 37, 100};
    rs_graph *g = rs_graph_new();
    for (size_t w = 0; w < RS_ARRAY_LEN(widths); w++) {
        const int R = 5, V = widths[w];
        float *x = rs_xmalloc((size_t)R * (size_t)V * sizeof(float));
        int *tg = rs_xmalloc((size_t)R * sizeof(int));
        uint32_t s = 12345u + (uint32_t)V;
        for (int i = 0; i < R * V; i++) {
            s = s * 1664525u + 1013904223u;
            x[i] = (float)((double)(s >> 8) / 16777216.0 * 60.0 - 30.0);
        }
        for (int j = 0; j < V; j++) /* a row far off zero: needs the max */
            x[3 * V + j] += 1e4f;
        for (int r = 0; r < R; r++)
            tg[r] = (r * 7) % V;
        double *p = rs_xmalloc((size_t)V * sizeof(double));
        double *lp = rs_xmalloc((size_t)V * sizeof(double));
        rs_graph_reset(g);
        int shape[2] = {R, V};
        rs_tensor *xt = rs_graph_input(g, 2, shape, x);
        rs_tensor *sm = rs_op_softmax(g, xt);
        rs_tensor *lsm = rs_op_log_softmax(g, xt);
        rs_tensor *ce = rs_op_cross_entropy(g, xt, tg, NULL);
        double ws = 0.0, wl = 0.0, loss = 0.0;
        for (int r = 0; sm != NULL && lsm != NULL && r < R; r++) {
            ref_rows(p, lp, x + (size_t)r * (size_t)V, V);
            loss -= lp[tg[r]] / R;
            for (int j = 0; j < V; j++) {
                double e1 = op_error(sm->data[r * V + j], p[j]);
                double e2 = op_error(lsm->data[r * V + j], lp[j]);
                ws = e1 > ws ? e1 : ws;
                wl = e2 > wl ? e2 : wl;
            }
        }
        tap_ok(sm != NULL && ws <= 1.0,
               "softmax (%d, %d) within 2^-21 (worst %.3f of the bound)", R, V,
               ws);
        tap_ok(lsm != NULL && wl <= 1.0,
               "log_softmax (%d, %d) within 2^-21 max(1, |y|) (worst %.3f)",
               R, V, wl);
        tap_ok(ce != NULL && op_error(ce->data[0], loss) <= 1.0,
               "cross_entropy (%d, %d) %.9g, exact %.9g", R, V,
               ce != NULL ? (double)ce->data[0] : (double)NAN, loss);
        free(p);
        free(lp);
        free(tg);
        free(x);
    }
    rs_graph_free(g);
}

int
main(void)
{
    tap_plan_lazy();
    level_ok[LV_GENERIC] = true;
    level_ok[LV_AVX2] = HAVE_LEVELS && rs_cpu_has(RS_CPU_AVX2);
    level_ok[LV_AVX512] = HAVE_LEVELS && rs_cpu_has(RS_CPU_AVX512F);
    tap_diag("widths run: generic%s%s (the dispatched copies follow the "
             "CPU, not REPSCOPE_CPU)",
             level_ok[LV_AVX2] ? " avx2" : "",
             level_ok[LV_AVX512] ? " avx512" : "");
    RS_ASSERT(RS_ARRAY_LEN(own_edges) == RS_ARRAY_LEN(vfns));
    for (size_t k = 0; k < RS_ARRAY_LEN(vfns); k++) {
        RS_ASSERT(strcmp(vfns[k].name, own_edges[k].name) == 0);
        test_sweep(&vfns[k]);
        test_edges(&vfns[k], &own_edges[k]);
    }
    test_specials();
    for (size_t k = 0; k < RS_ARRAY_LEN(unary_refs); k++)
        test_op_unary(&unary_refs[k]);
    test_op_nan();
    test_rows();
    return tap_done();
}
