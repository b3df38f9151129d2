/* repscope - MIT licence, see COPYING.
 *
 * t_core_matmul.c: rs_blas_sgemm, rs_op_matmul (2D, batched, shared b, all
 * four transpose combinations) and rs_op_linear against naive reference
 * loops kept here (llm.c's matmul_forward_naive), finite-difference
 * gradients for every variant, shape errors, and the CPU/BLAS queries
 * (the re-exec decision as a table; the exec itself is t_reexec's).
 */
#include "config.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/blas.h"
#include "core/cpu.h"
#include "core/graph.h"
#include "core/ops.h"
#include "core/pool.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "tests/gradcheck.h"
#include "tests/tap.h"

/* ---- naive references --------------------------------------------------- */

/* C = alpha op(A) op(B) + beta C, row-major, accumulated in double. */
static void
gemm_naive(bool ta, bool tb, int M, int N, int K, float alpha, const float *A,
           int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int k = 0; k < K; k++) {
                double a = ta ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k];
                double b = tb ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j];
                s += a * b;
            }
            float *c = &C[(size_t)i * ldc + j];
            double old = beta == 0.0f ? 0.0 : (double)beta * (double)*c;
            *c = (float)((double)alpha * s + old);
        }
}

/* out (R, OUT) = x (R, IN) w^T (IN, OUT) + bias. */
static void
linear_naive(float *out, const float *x, const float *w, const float *bias,
             int R, int IN, int OUT)
{
    for (int r = 0; r < R; r++)
        for (int o = 0; o < OUT; o++) {
            double s = bias != NULL ? (double)bias[o] : 0.0;
            for (int i = 0; i < IN; i++)
                s += (double)x[(size_t)r * IN + i] *
                     (double)w[(size_t)o * IN + i];
            out[(size_t)r * OUT + o] = (float)s;
        }
}

static float *
random_floats(struct rs_rng *rng, size_t n)
{
    float *v = rs_xmalloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = 2.0f * rs_rng_uniform(rng) - 1.0f;
    return v;
}

/* ---- rs_blas_sgemm ------------------------------------------------------ */

static void
check_gemm(struct rs_rng *rng, bool ta, bool tb, int M, int N, int K, int pad,
           float alpha, float beta)
{
    int lda = (ta ? M : K) + pad, ldb = (tb ? K : N) + pad, ldc = N + pad;
    size_t na = (size_t)(ta ? K : M) * lda, nb = (size_t)(tb ? N : K) * ldb;
    size_t nc = (size_t)M * ldc;
    float *A = random_floats(rng, na), *B = random_floats(rng, nb);
    float *C = random_floats(rng, nc), *R = rs_xmalloc(nc * sizeof *R);
    if (beta == 0.0f) /* beta 0 must ignore whatever C held */
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++)
                C[(size_t)i * ldc + j] = NAN;
    memcpy(R, C, nc * sizeof *R);
    gemm_naive(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, R, ldc);
    rs_blas_sgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    /* compare only the (M, N) block; padding must be untouched too */
    tap_is_floats(C, R, nc, 1e-4 * (K + 1), 1e-4,
                  "sgemm %c%c M=%d N=%d K=%d pad=%d alpha=%g beta=%g (%s)",
                  ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, pad, (double)alpha,
                  (double)beta, rs_blas_sgemm_path(ta, tb, M, N, K));
    free(A);
    free(B);
    free(C);
    free(R);
}

/* C = op(A) op(B) + bias through rs_blas_sgemm_bias, against the naive
 * loop plus the bias; C starts as NaN (it must be ignored). */
static void
check_gemm_bias(struct rs_rng *rng, bool ta, bool tb, int M, int N, int K)
{
    int lda = ta ? M : K, ldb = tb ? K : N, ldc = N + 3;
    size_t na = (size_t)(ta ? K : M) * lda, nb = (size_t)(tb ? N : K) * ldb;
    size_t nc = (size_t)M * ldc;
    float *A = random_floats(rng, na + 1), *B = random_floats(rng, nb + 1);
    float *bias = random_floats(rng, (size_t)N);
    float *C = random_floats(rng, nc), *R = rs_xmalloc(nc * sizeof *R);
    memcpy(R, C, nc * sizeof *R);
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++)
            C[(size_t)i * ldc + j] = NAN;
    gemm_naive(ta, tb, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, R, ldc);
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++)
            R[(size_t)i * ldc + j] += bias[j];
    rs_blas_sgemm_bias(ta, tb, M, N, K, A, lda, B, ldb, bias, C, ldc);
    tap_is_floats(C, R, nc, 1e-4 * (K + 1), 1e-4,
                  "sgemm_bias %c%c M=%d N=%d K=%d (%s)", ta ? 'T' : 'N',
                  tb ? 'T' : 'N', M, N, K, rs_blas_sgemm_path(ta, tb, M, N, K));
    free(A);
    free(B);
    free(bias);
    free(C);
    free(R);
}

/* With two threads the AVX-512 kernel splits C over its pool but never a
 * sum, so the result is bitwise the one-thread result; many jobs in a row
 * (and a restart of the pool) check the hand-over between threads. */
static void
test_pool(struct rs_rng *rng)
{
    if (!rs_cpu_has(RS_CPU_AVX512F)) {
        tap_skip(1, "no AVX-512: no GEMM pool");
        return;
    }
    static const int shapes[][5] = {
        /* ta, tb, M, N, K: row split, column split (small M), trans_b */
        {0, 0, 300, 200, 100}, {1, 0, 64, 300, 170}, {0, 1, 200, 150, 80},
        {1, 1, 30, 500, 90},   {0, 1, 7, 40, 4000},
    };
    for (size_t s = 0; s < RS_ARRAY_LEN(shapes); s++) {
        bool ta = shapes[s][0], tb = shapes[s][1];
        int M = shapes[s][2], N = shapes[s][3], K = shapes[s][4];
        int lda = ta ? M : K, ldb = tb ? K : N;
        size_t nc = (size_t)M * N;
        float *A = random_floats(rng, (size_t)M * K);
        float *B = random_floats(rng, (size_t)N * K);
        float *c1 = random_floats(rng, nc), *c2 = rs_xmalloc(nc * 4);
        memcpy(c2, c1, nc * sizeof *c2);
        rs_blas_set_threads(1);
        rs_blas_sgemm(ta, tb, M, N, K, 1.0f, A, lda, B, ldb, 0.5f, c1, N);
        rs_blas_set_threads(2);
        const char *path = rs_blas_sgemm_path(ta, tb, M, N, K);
        rs_blas_sgemm(ta, tb, M, N, K, 1.0f, A, lda, B, ldb, 0.5f, c2, N);
        tap_ok(memcmp(c1, c2, nc * sizeof *c1) == 0,
               "2 threads (%s) bitwise equal to 1 thread: %c%c M=%d N=%d "
               "K=%d",
               path, ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K);
        free(A);
        free(B);
        free(c1);
        free(c2);
    }
    /* 300 jobs back to back, alternating NN (96, 100) x (100, 128) and TN
     * (the same A storage read as (96, 100)^T) x (96, 128), against
     * one-thread answers computed first. */
    enum { M = 96, N = 128, K = 100 };
    static const int rows[2] = {M, K}, inner[2] = {K, M};
    float *A = random_floats(rng, (size_t)M * K);
    float *B = random_floats(rng, (size_t)K * N);
    float *want[2], *got = rs_xmalloc((size_t)K * N * sizeof *got);
    rs_blas_set_threads(1);
    for (int v = 0; v < 2; v++) {
        want[v] = rs_xmalloc((size_t)K * N * sizeof *want[v]);
        rs_blas_sgemm(v == 1, false, rows[v], N, inner[v], 1.0f, A, K, B, N,
                      0.0f, want[v], N);
    }
    rs_blas_set_threads(2);
    int bad = 0;
    for (int it = 0; it < 300; it++) {
        int v = it % 2;
        rs_blas_sgemm(v == 1, false, rows[v], N, inner[v], 1.0f, A, K, B, N,
                      0.0f, got, N);
        bad += memcmp(got, want[v], (size_t)rows[v] * N * sizeof *got) != 0;
    }
    tap_is_int(bad, 0, "300 pooled GEMMs in a row match the 1-thread ones");
    free(A);
    free(B);
    free(got);
    free(want[0]);
    free(want[1]);
}

/* rs_blas_sgemm_many: six GEMMs (more than one job holds) of mixed
 * transposes and sizes, one of them K = 0 and one M = 0, give bitwise
 * the results of the calls one by one, at 1 and 2 threads, and (on the
 * same inputs) the naive reference. */
static void
test_many(struct rs_rng *rng)
{
    static const int shapes[][5] = {
        /* ta, tb, M, N, K */
        {0, 0, 300, 128, 128}, {1, 0, 128, 128, 300}, {0, 1, 64, 200, 90},
        {1, 1, 33, 70, 41},    {0, 0, 5, 6, 0},       {0, 0, 0, 6, 7},
    };
    enum { NG = RS_ARRAY_LEN(shapes) };
    struct rs_blas_gemm g[NG];
    float *A[NG], *B[NG], *C0[NG], *want[NG], *ref[NG];
    for (int i = 0; i < NG; i++) {
        bool ta = shapes[i][0], tb = shapes[i][1];
        int M = shapes[i][2], N = shapes[i][3], K = shapes[i][4];
        size_t na = (size_t)M * K + 1, nb = (size_t)K * N + 1;
        size_t nc = (size_t)M * N + 1;
        A[i] = random_floats(rng, na);
        B[i] = random_floats(rng, nb);
        C0[i] = random_floats(rng, nc);
        want[i] = rs_xmalloc(nc * sizeof(float));
        ref[i] = rs_xmalloc(nc * sizeof(float));
        memcpy(want[i], C0[i], nc * sizeof(float));
        memcpy(ref[i], C0[i], nc * sizeof(float));
        int lda = ta ? M : K, ldb = tb ? K : N;
        g[i] = (struct rs_blas_gemm){
            .trans_a = ta, .trans_b = tb, .M = M, .N = N, .K = K,
            .alpha = 0.75f, .A = A[i], .lda = lda > 0 ? lda : 1, .B = B[i],
            .ldb = ldb > 0 ? ldb : 1, .beta = 0.5f, .C = NULL, .ldc = N};
        rs_blas_set_threads(1);
        rs_blas_sgemm(ta, tb, M, N, K, g[i].alpha, A[i], g[i].lda, B[i],
                      g[i].ldb, g[i].beta, want[i], N);
        gemm_naive(ta, tb, M, N, K, g[i].alpha, A[i], g[i].lda, B[i],
                   g[i].ldb, g[i].beta, ref[i], N);
    }
    for (int t = 1; t <= 2; t++) {
        rs_blas_set_threads(t);
        float *C[NG];
        for (int i = 0; i < NG; i++) {
            size_t nc = (size_t)shapes[i][2] * shapes[i][3] + 1;
            C[i] = rs_xmalloc(nc * sizeof(float));
            memcpy(C[i], C0[i], nc * sizeof(float));
            g[i].C = C[i];
        }
        rs_blas_sgemm_many(g, NG);
        int bad = 0, far = 0;
        for (int i = 0; i < NG; i++) {
            size_t nc = (size_t)shapes[i][2] * shapes[i][3] + 1;
            bad += memcmp(C[i], want[i], nc * sizeof(float)) != 0;
            for (size_t e = 0; e < nc; e++)
                far += fabsf(C[i][e] - ref[i][e]) >
                       1e-4f * (1.0f + fabsf(ref[i][e]));
            free(C[i]);
        }
        tap_is_int(bad, 0, "rs_blas_sgemm_many at %d thread%s: bitwise the "
                   "calls one by one", t, t == 1 ? "" : "s");
        tap_is_int(far, 0, "rs_blas_sgemm_many at %d thread%s: the naive "
                   "reference", t, t == 1 ? "" : "s");
    }
    rs_blas_sgemm_many(g, 0); /* nothing to do */
    rs_blas_set_threads(1);
    for (int i = 0; i < NG; i++) {
        free(A[i]);
        free(B[i]);
        free(C0[i]);
        free(want[i]);
        free(ref[i]);
    }
}

static void
test_blas(struct rs_rng *rng)
{
    /* Edges of the AVX-512 kernel: row tails 1..5 of its 6-row tiles,
     * column counts around its 16-lane vectors and 64-column panels, k
     * split into several blocks (> 160), rows over its 192-row blocks. */
    static const int shapes[][3] = {
        {1, 1, 1},     {3, 5, 7},     {6, 16, 16},  {7, 17, 9},    {13, 33, 31},
        {5, 48, 66},   {12, 49, 5},   {2, 63, 40},  {11, 64, 161}, {19, 65, 17},
        {200, 97, 12}, {1, 130, 330}, {64, 48, 31}, {9, 10, 256},
    };
    for (int path = 0; path < 2; path++) {
        rs_blas_force_openblas(path == 1);
        for (size_t s = 0; s < RS_ARRAY_LEN(shapes); s++)
            for (int t = 0; t < 4; t++) {
                bool ta = t & 1, tb = t & 2;
                int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
                check_gemm(rng, ta, tb, M, N, K, (int)(s % 3), 1.0f,
                           s % 2 ? 1.0f : 0.0f);
            }
        check_gemm(rng, false, true, 20, 12, 8, 1, -0.5f, 0.25f);
        check_gemm(rng, true, false, 9, 11, 13, 0, 2.0f, -1.0f);
        check_gemm(rng, false, false, 31, 70, 200, 2, 0.5f, 2.0f);
        for (int t = 0; t < 4; t++) {
            check_gemm_bias(rng, t & 1, t & 2, 13, 70, 33);
            check_gemm_bias(rng, t & 1, t & 2, 5, 10, 170);
        }
        check_gemm_bias(rng, false, true, 4, 3, 0);
    }
    rs_blas_force_openblas(true);
    tap_is_str(rs_blas_sgemm_path(false, false, 8, 8, 8), "openblas",
               "rs_blas_force_openblas(true) routes to OpenBLAS");
    rs_blas_force_openblas(false);
    if (rs_cpu_has(RS_CPU_AVX512F))
        tap_is_str(rs_blas_sgemm_path(false, false, 8, 8, 8), "avx512",
                   "small GEMMs take the AVX-512 kernel on this CPU");
    else
        tap_is_str(rs_blas_sgemm_path(false, false, 8, 8, 8), "openblas",
                   "no AVX-512: OpenBLAS");

    test_pool(rng);
    test_many(rng);

    /* Big enough to take the threaded path with two threads. */
    rs_blas_set_threads(2);
    tap_is_int(rs_blas_threads(), 2, "rs_blas_set_threads(2) is recorded");
    check_gemm(rng, false, true, 256, 160, 96, 0, 1.0f, 1.0f);
    check_gemm(rng, true, false, 96, 200, 256, 0, 1.0f, 0.0f);
    rs_blas_set_threads(1);
    tap_is_int(rs_blas_threads(), 1, "rs_blas_set_threads(1) is recorded");
    rs_blas_set_threads(0);
    tap_is_int(rs_blas_threads(), 1, "thread counts below 1 clamp to 1");

    /* K = 0: C = beta C (and beta 0 clears). */
    float c[4] = {1, 2, 3, 4}, a1 = 5, b1 = 6;
    rs_blas_sgemm(false, false, 2, 2, 0, 1.0f, &a1, 1, &b1, 2, 0.5f, c, 2);
    float want[4] = {0.5f, 1, 1.5f, 2};
    tap_is_floats(c, want, 4, 0, 0, "K = 0 scales C by beta");
    rs_blas_sgemm(false, false, 2, 2, 0, 1.0f, &a1, 1, &b1, 2, 0.0f, c, 2);
    float zeros[4] = {0};
    tap_is_floats(c, zeros, 4, 0, 0, "K = 0, beta = 0 clears C");

    const char *core = rs_blas_corename();
    tap_ok(core != NULL && core[0] != '\0', "corename: %s", core);
}

/* ---- cpu ---------------------------------------------------------------- */

/* The re-exec decision is a pure function of the report: every reason
 * to skip, and the one case that re-execs. */
static void
test_reexec_core(void)
{
    struct rs_cpu_blas_report base = {.loaded = "Prescott",
                                      .best = "SkylakeX"};
    struct rs_cpu_blas_report r = base;
    tap_is_str(rs_cpu_blas_reexec_core(&r), "SkylakeX",
               "Prescott kernels on an AVX-512 CPU: re-exec onto SkylakeX");
    r.best = "Haswell";
    tap_is_str(rs_cpu_blas_reexec_core(&r), "Haswell",
               "Prescott kernels on an AVX2 CPU: re-exec onto Haswell");
    r = base;
    r.loaded = "haswell";
    tap_is_str(rs_cpu_blas_reexec_core(&r), "SkylakeX",
               "Haswell kernels on an AVX-512 CPU: re-exec (any case)");
    r.loaded = "Cooperlake";
    tap_ok(rs_cpu_blas_reexec_core(&r) == NULL,
           "an AVX-512 core already: no re-exec");
    r = base;
    r.best = "Haswell";
    r.loaded = "Zen";
    tap_ok(rs_cpu_blas_reexec_core(&r) == NULL,
           "Zen kernels are as wide as Haswell: no re-exec");
    r = base;
    r.best = NULL;
    tap_ok(rs_cpu_blas_reexec_core(&r) == NULL, "no better core: no re-exec");
    r = base;
    r.loaded = "unknown";
    tap_ok(rs_cpu_blas_reexec_core(&r) == NULL,
           "loaded core unknown: no re-exec");
    r = base;
    r.coretype_set = true;
    tap_ok(rs_cpu_blas_reexec_core(&r) == NULL,
           "OPENBLAS_CORETYPE set by the user: no re-exec");
    r = base;
    r.no_reexec = true;
    tap_ok(rs_cpu_blas_reexec_core(&r) == NULL,
           "REPSCOPE_NO_REEXEC: no re-exec");
    r = base;
    r.reexec_guard = true;
    tap_ok(rs_cpu_blas_reexec_core(&r) == NULL,
           "already a re-exec: no second one");
}

/* The report reflects the environment and this machine. */
static void
test_blas_report(void)
{
    unsetenv(RS_CPU_ENV_NO_REEXEC);
    struct rs_cpu_blas_report r;
    rs_cpu_blas_report(&r);
    tap_ok(r.loaded != NULL && strcmp(r.loaded, rs_blas_corename()) == 0,
           "report: loaded core %s", r.loaded != NULL ? r.loaded : "NULL");
    tap_ok(r.best == rs_cpu_best_openblas_core(), "report: best core %s",
           r.best != NULL ? r.best : "none");
    tap_ok(!r.no_reexec, "report: REPSCOPE_NO_REEXEC unset");
    setenv(RS_CPU_ENV_NO_REEXEC, "1", 1);
    rs_cpu_blas_report(&r);
    tap_ok(r.no_reexec && rs_cpu_blas_reexec_core(&r) == NULL,
           "report: REPSCOPE_NO_REEXEC set, so no re-exec");
    unsetenv(RS_CPU_ENV_NO_REEXEC);
}

static void
test_cpu(void)
{
    const char *desc = rs_cpu_kernel_desc();
    tap_ok(desc != NULL && strncmp(desc, "openblas ", 9) == 0 &&
               strlen(desc) > 9,
           "kernel desc: %s", desc);
    tap_ok(rs_cpu_kernel_desc() == desc, "kernel desc is computed once");
    const char *best = rs_cpu_best_openblas_core();
    if (rs_cpu_has(RS_CPU_AVX512F | RS_CPU_AVX512BW | RS_CPU_AVX512VL |
                   RS_CPU_AVX512DQ))
        tap_is_str(best, "SkylakeX", "AVX-512 CPU: best core SkylakeX");
    else if (rs_cpu_has(RS_CPU_AVX2 | RS_CPU_FMA))
        tap_is_str(best, "Haswell", "AVX2 CPU: best core Haswell");
    else
        tap_ok(best == NULL, "generic CPU: no better core");
    const char *simd = rs_cpu_simd_name();
    tap_ok(strcmp(simd, "avx512") == 0 || strcmp(simd, "avx2") == 0 ||
               strcmp(simd, "avx") == 0 || strcmp(simd, "sse") == 0,
           "simd name: %s", simd);
    tap_ok(!rs_cpu_has(RS_CPU_AVX512F) || rs_cpu_has(RS_CPU_AVX2),
           "AVX-512 implies AVX2 here");
    test_reexec_core();
    test_blas_report();
}

/* ---- matmul forward ----------------------------------------------------- */

/* One matmul case: a has lead dims + last two, b is 2D or batched. */
struct mm_case {
    int nlead, lead[2];
    int M, K, N;
    bool ta, tb, shared_b;
};

static rs_tensor *
make_operand(struct rs_rng *rng, const struct mm_case *c, bool is_a)
{
    int shape[RS_MAX_DIMS], nd = 0;
    bool batched = is_a || !c->shared_b;
    if (batched)
        for (int i = 0; i < c->nlead; i++)
            shape[nd++] = c->lead[i];
    bool tr = is_a ? c->ta : c->tb;
    int r = is_a ? c->M : c->K, q = is_a ? c->K : c->N;
    shape[nd++] = tr ? q : r;
    shape[nd++] = tr ? r : q;
    return tap_param(rng, nd, shape, -1.0f, 1.0f);
}

static int
mm_batch(const struct mm_case *c)
{
    int b = 1;
    for (int i = 0; i < c->nlead; i++)
        b *= c->lead[i];
    return b;
}

static void
check_matmul_forward(struct rs_rng *rng, const struct mm_case *c)
{
    rs_tensor *a = make_operand(rng, c, true);
    rs_tensor *b = make_operand(rng, c, false);
    rs_graph *g = rs_graph_new();
    rs_tensor *y = rs_op_matmul(g, a, b, c->ta, c->tb);
    char name[96];
    snprintf(name, sizeof name, "matmul %c%c lead=%d %s M=%d K=%d N=%d",
             c->ta ? 'T' : 'N', c->tb ? 'T' : 'N', c->nlead,
             c->shared_b ? "shared-b" : "batched-b", c->M, c->K, c->N);
    if (!tap_ok(y != NULL, "%s builds: %s", name, rs_graph_error(g)->msg)) {
        rs_graph_free(g);
        rs_tensor_release(a);
        rs_tensor_release(b);
        return;
    }
    int B = mm_batch(c);
    bool shape_ok = y->ndim == c->nlead + 2 && y->shape[c->nlead] == c->M &&
                    y->shape[c->nlead + 1] == c->N;
    for (int i = 0; i < c->nlead; i++)
        shape_ok = shape_ok && y->shape[i] == c->lead[i];
    tap_ok(shape_ok, "%s output shape", name);
    float *want = rs_xmalloc((size_t)B * c->M * c->N * sizeof *want);
    size_t sa = (size_t)c->M * c->K, sb = c->shared_b ? 0 : (size_t)c->K * c->N;
    for (int i = 0; i < B; i++)
        gemm_naive(c->ta, c->tb, c->M, c->N, c->K, 1.0f, a->data + i * sa,
                   c->ta ? c->M : c->K, b->data + i * sb, c->tb ? c->K : c->N,
                   0.0f, want + (size_t)i * c->M * c->N, c->N);
    tap_is_floats(y->data, want, y->numel, 1e-5 * c->K, 1e-4, "%s values",
                  name);
    free(want);
    rs_graph_free(g);
    rs_tensor_release(a);
    rs_tensor_release(b);
}

/* ---- gradient checks ---------------------------------------------------- */

struct mm_ud {
    bool ta, tb;
};

static rs_tensor *
build_matmul(rs_graph *g, rs_tensor *const *in, void *ud)
{
    const struct mm_ud *u = ud;
    return rs_op_matmul(g, in[0], in[1], u->ta, u->tb);
}

static void
check_matmul_grad(struct rs_rng *rng, const struct mm_case *c)
{
    rs_tensor *in[2] = {make_operand(rng, c, true),
                        make_operand(rng, c, false)};
    struct mm_ud u = {c->ta, c->tb};
    char name[96];
    snprintf(name, sizeof name, "matmul %c%c lead=%d %s", c->ta ? 'T' : 'N',
             c->tb ? 'T' : 'N', c->nlead,
             c->shared_b ? "shared-b" : "batched-b");
    tap_gradcheck(name, 2, in, build_matmul, &u, 1e-2, 1e-2);
    rs_tensor_release(in[0]);
    rs_tensor_release(in[1]);
}

static void
test_matmul(struct rs_rng *rng)
{
    for (int t = 0; t < 4; t++) {
        bool ta = t & 1, tb = t & 2;
        struct mm_case cases[] = {
            {0, {1, 1}, 5, 7, 3, ta, tb, true},    /* 2D */
            {1, {3, 1}, 4, 6, 5, ta, tb, false},   /* batched */
            {1, {3, 1}, 4, 6, 5, ta, tb, true},    /* shared b */
            {2, {2, 3}, 3, 5, 4, ta, tb, false},   /* 4D batched */
            {2, {2, 2}, 6, 3, 2, ta, tb, true},    /* 4D shared b */
            {1, {2, 1}, 33, 70, 17, ta, tb, true}, /* odd, larger */
        };
        for (size_t i = 0; i < RS_ARRAY_LEN(cases); i++)
            check_matmul_forward(rng, &cases[i]);
        struct mm_case gcases[] = {
            {0, {1, 1}, 3, 4, 2, ta, tb, true},
            {1, {2, 1}, 3, 2, 4, ta, tb, false},
            {1, {3, 1}, 2, 3, 3, ta, tb, true},
            {2, {2, 2}, 2, 3, 2, ta, tb, false},
        };
        for (size_t i = 0; i < RS_ARRAY_LEN(gcases); i++)
            check_matmul_grad(rng, &gcases[i]);
    }
}

/* Backward by hand on a data input: only b gets a gradient, a stays NULL;
 * values against the naive dB = A^T dC. */
static void
test_matmul_backward_values(struct rs_rng *rng)
{
    int M = 9, K = 6, N = 5;
    float *ad = random_floats(rng, (size_t)M * K);
    int sa[2] = {M, K}, sb[2] = {K, N};
    rs_tensor *b = tap_param(rng, 2, sb, -1.0f, 1.0f);
    rs_graph *g = rs_graph_new();
    rs_tensor *a = rs_graph_input(g, 2, sa, ad);
    rs_tensor *y = rs_op_matmul(g, a, b, false, false);
    float *seed = random_floats(rng, (size_t)M * N);
    struct rs_error err = {0};
    tap_is_int(rs_graph_backward_seed(g, y, seed, &err), RS_OK,
               "matmul backward runs: %s", err.msg);
    tap_ok(a->grad == NULL, "no gradient for an input without requires_grad");
    float *want = rs_xmalloc((size_t)K * N * sizeof *want);
    gemm_naive(true, false, K, N, M, 1.0f, ad, K, seed, N, 0.0f, want, N);
    tap_is_floats(b->grad, want, (size_t)K * N, 1e-5, 1e-4,
                  "dB = A^T dC against the naive loop");
    /* A second backward over the same tape accumulates (+=). */
    rs_graph_zero_grads(g);
    tap_is_int(rs_graph_backward_seed(g, y, seed, &err), RS_OK,
               "second backward runs");
    for (size_t i = 0; i < (size_t)K * N; i++)
        want[i] *= 2.0f;
    tap_is_floats(b->grad, want, (size_t)K * N, 1e-5, 1e-4,
                  "parameter gradients accumulate across backward passes");
    free(want);
    free(seed);
    free(ad);
    rs_graph_free(g);
    rs_tensor_release(b);
}

/* Every gradient GEMM must accumulate (beta = 1): two backward passes
 * into parameters give twice the single-pass gradient (checked against a
 * graph-free single pass computed with a fresh graph). */
static void
check_accumulates(struct rs_rng *rng, const struct mm_case *c, bool linear)
{
    rs_tensor *a = make_operand(rng, c, true);
    rs_tensor *b = make_operand(rng, c, false);
    int bs[1] = {c->N};
    rs_tensor *bias = linear ? tap_param(rng, 1, bs, -1.0f, 1.0f) : NULL;
    rs_tensor *ps[3] = {a, b, bias};
    float *once[3] = {NULL, NULL, NULL};
    for (int pass = 0; pass < 2; pass++) {
        rs_graph *g = rs_graph_new();
        rs_tensor *y = linear ? rs_op_linear(g, a, b, bias)
                              : rs_op_matmul(g, a, b, c->ta, c->tb);
        float *seed = rs_xmalloc(y->numel * sizeof *seed);
        for (size_t i = 0; i < y->numel; i++)
            seed[i] = (float)((i % 7) + 1) * 0.125f;
        struct rs_error err = {0};
        for (int rep = 0; rep <= pass; rep++) {
            rs_graph_zero_grads(g);
            if (rs_graph_backward_seed(g, y, seed, &err) != RS_OK)
                tap_diag("backward failed: %s", err.msg);
        }
        for (int k = 0; k < 3; k++) {
            if (ps[k] == NULL)
                continue;
            if (pass == 0) {
                once[k] = rs_xmalloc(ps[k]->numel * sizeof(float));
                for (size_t i = 0; i < ps[k]->numel; i++)
                    once[k][i] = 2.0f * ps[k]->grad[i];
            } else {
                tap_is_floats(ps[k]->grad, once[k], ps[k]->numel, 1e-5, 1e-5,
                              "%s %c%c: gradient of input %d accumulates",
                              linear ? "linear" : "matmul", c->ta ? 'T' : 'N',
                              c->tb ? 'T' : 'N', k);
            }
            rs_tensor_zero_grad(ps[k]);
        }
        free(seed);
        rs_graph_free(g);
    }
    for (int k = 0; k < 3; k++) {
        free(once[k]);
        rs_tensor_release(ps[k]);
    }
}

static void
test_accumulation(struct rs_rng *rng)
{
    for (int t = 0; t < 4; t++) {
        bool ta = t & 1, tb = t & 2;
        struct mm_case shared = {1, {2, 1}, 5, 4, 3, ta, tb, true};
        struct mm_case batched = {1, {2, 1}, 5, 4, 3, ta, tb, false};
        check_accumulates(rng, &shared, false);
        check_accumulates(rng, &batched, false);
    }
    /* linear: x (2, 5, 4) as "a", w (3, 4) as a trans_b "b" */
    struct mm_case lin = {1, {2, 1}, 5, 4, 3, false, true, true};
    check_accumulates(rng, &lin, true);
}

/* Compositions where an op's input is a temporary: its gradient buffer is
 * created by the GEMM that writes it first (beta 0), and later GEMMs add to
 * it; a temporary on both sides of one matmul; a temporary shared b whose
 * gradient sums over a batch. */
static rs_tensor *
build_chain(rs_graph *g, rs_tensor *const *in, void *ud)
{
    int which = *(const int *)ud;
    switch (which) {
    case 0: /* x (3, 4) -> (3, 5) -> (3, 2) */
        return rs_op_linear(g, rs_op_linear(g, in[0], in[1], in[2]), in[3],
                            NULL);
    case 1: { /* h = a b (4, 3); h h^T */
        rs_tensor *h = rs_op_matmul(g, in[0], in[1], false, false);
        return rs_op_matmul(g, h, h, false, true);
    }
    case 2: { /* batched h (2, 3, 3); h^T h per batch */
        rs_tensor *h = rs_op_matmul(g, in[0], in[1], false, false);
        return rs_op_matmul(g, h, h, true, false);
    }
    default: { /* h = a b (4, 3) shared by a batch: c (2, 4, 3)^T @ h */
        rs_tensor *h = rs_op_matmul(g, in[0], in[1], false, false);
        return rs_op_matmul(g, in[2], h, true, false);
    }
    }
}

static void
test_chains(struct rs_rng *rng)
{
    int x[2] = {3, 4}, w1[2] = {5, 4}, b1[1] = {5}, w2[2] = {2, 5};
    rs_tensor *in0[4] = {
        tap_param(rng, 2, x, -1, 1), tap_param(rng, 2, w1, -1, 1),
        tap_param(rng, 1, b1, -1, 1), tap_param(rng, 2, w2, -1, 1)};
    int which = 0;
    tap_gradcheck("chain linear -> linear", 4, in0, build_chain, &which, 1e-2,
                  1e-2);
    int a[2] = {4, 2}, b[2] = {2, 3};
    rs_tensor *in1[2] = {tap_param(rng, 2, a, -1, 1),
                         tap_param(rng, 2, b, -1, 1)};
    which = 1;
    tap_gradcheck("chain h = a b; h h^T", 2, in1, build_chain, &which, 1e-2,
                  1e-2);
    int a3[3] = {2, 3, 2}, b3[3] = {2, 2, 3};
    rs_tensor *in2[2] = {tap_param(rng, 3, a3, -1, 1),
                         tap_param(rng, 3, b3, -1, 1)};
    which = 2;
    tap_gradcheck("chain batched h; h^T h", 2, in2, build_chain, &which, 1e-2,
                  1e-2);
    int c3[3] = {2, 4, 3};
    rs_tensor *in3[3] = {tap_param(rng, 2, a, -1, 1),
                         tap_param(rng, 2, b, -1, 1),
                         tap_param(rng, 3, c3, -1, 1)};
    which = 3;
    tap_gradcheck("chain shared temporary b over a batch", 3, in3, build_chain,
                  &which, 1e-2, 1e-2);
    for (int i = 0; i < 4; i++)
        rs_tensor_release(in0[i]);
    for (int i = 0; i < 2; i++) {
        rs_tensor_release(in1[i]);
        rs_tensor_release(in2[i]);
    }
    for (int i = 0; i < 3; i++)
        rs_tensor_release(in3[i]);
}

/* ---- linear ------------------------------------------------------------- */

static rs_tensor *
build_linear(rs_graph *g, rs_tensor *const *in, void *ud)
{
    (void)ud;
    return rs_op_linear(g, in[0], in[1], in[2]);
}

static void
check_linear(struct rs_rng *rng, int xnd, const int *xshape, int OUT,
             bool with_bias, bool grad)
{
    int IN = xshape[xnd - 1];
    int ws[2] = {OUT, IN}, bs[1] = {OUT};
    rs_tensor *x = tap_param(rng, xnd, xshape, -1.0f, 1.0f);
    rs_tensor *w = tap_param(rng, 2, ws, -1.0f, 1.0f);
    rs_tensor *bias = with_bias ? tap_param(rng, 1, bs, -1.0f, 1.0f) : NULL;
    char sx[48], name[96];
    snprintf(name, sizeof name, "linear x%s OUT=%d %s",
             rs_tensor_shape_str(x, sx, sizeof sx), OUT,
             with_bias ? "bias" : "no-bias");
    rs_graph *g = rs_graph_new();
    rs_tensor *y = rs_op_linear(g, x, w, bias);
    if (tap_ok(y != NULL && y->ndim == xnd && y->shape[xnd - 1] == OUT,
               "%s builds with shape (..., OUT): %s", name,
               rs_graph_error(g)->msg)) {
        int R = (int)(x->numel / (size_t)IN);
        float *want = rs_xmalloc((size_t)R * OUT * sizeof *want);
        linear_naive(want, x->data, w->data, bias != NULL ? bias->data : NULL,
                     R, IN, OUT);
        tap_is_floats(y->data, want, y->numel, 1e-5 * IN, 1e-4, "%s values",
                      name);
        free(want);
    }
    rs_graph_free(g);
    if (grad) {
        rs_tensor *in[3] = {x, w, bias};
        tap_gradcheck(name, with_bias ? 3 : 2, in, build_linear, NULL, 1e-2,
                      1e-2);
    }
    rs_tensor_release(x);
    rs_tensor_release(w);
    rs_tensor_release(bias);
}

/* Backward values against naive loops at a size where BLAS blocks. */
static void
test_linear_backward_values(struct rs_rng *rng)
{
    int R = 70, IN = 37, OUT = 29;
    int xs[2] = {R, IN}, ws[2] = {OUT, IN}, bs[1] = {OUT};
    rs_tensor *x = tap_param(rng, 2, xs, -1.0f, 1.0f);
    rs_tensor *w = tap_param(rng, 2, ws, -1.0f, 1.0f);
    rs_tensor *b = tap_param(rng, 1, bs, -1.0f, 1.0f);
    rs_graph *g = rs_graph_new();
    rs_tensor *y = rs_op_linear(g, x, w, b);
    float *seed = random_floats(rng, (size_t)R * OUT);
    struct rs_error err = {0};
    tap_is_int(rs_graph_backward_seed(g, y, seed, &err), RS_OK,
               "linear backward runs: %s", err.msg);
    float *dx = rs_xmalloc((size_t)R * IN * sizeof *dx);
    float *dw = rs_xmalloc((size_t)OUT * IN * sizeof *dw);
    float db[29];
    gemm_naive(false, false, R, IN, OUT, 1.0f, seed, OUT, w->data, IN, 0.0f, dx,
               IN);
    gemm_naive(true, false, OUT, IN, R, 1.0f, seed, OUT, x->data, IN, 0.0f, dw,
               IN);
    for (int o = 0; o < OUT; o++) {
        double s = 0;
        for (int r = 0; r < R; r++)
            s += (double)seed[(size_t)r * OUT + o];
        db[o] = (float)s;
    }
    tap_is_floats(x->grad, dx, (size_t)R * IN, 1e-5 * OUT, 1e-4,
                  "linear dx = dy w");
    tap_is_floats(w->grad, dw, (size_t)OUT * IN, 1e-5 * R, 1e-4,
                  "linear dw = dy^T x");
    tap_is_floats(b->grad, db, (size_t)OUT, 1e-5 * R, 1e-4,
                  "linear dbias = column sums of dy");
    free(dx);
    free(dw);
    free(seed);
    rs_graph_free(g);
    rs_tensor_release(x);
    rs_tensor_release(w);
    rs_tensor_release(b);
}

static void
test_linear(struct rs_rng *rng)
{
    int x1[1] = {5}, x2[2] = {4, 5}, x3[3] = {2, 3, 5}, x4[4] = {2, 1, 2, 3};
    int big[2] = {67, 45};
    check_linear(rng, 1, x1, 3, true, true);
    check_linear(rng, 2, x2, 3, true, true);
    check_linear(rng, 2, x2, 3, false, true);
    check_linear(rng, 3, x3, 4, true, true);
    check_linear(rng, 4, x4, 2, false, true);
    check_linear(rng, 2, big, 33, true, false);
    check_linear(rng, 2, big, 1, false, false);
}

/* ---- errors ------------------------------------------------------------- */

static void
test_errors(void)
{
    rs_graph *g = rs_graph_new();
    int s23[2] = {2, 3}, s43[2] = {4, 3}, s3[1] = {3}, s234[3] = {2, 3, 4};
    int s345[3] = {3, 4, 5}, s2[1] = {2}, s24[2] = {2, 4};
    float zero[60] = {0};
    rs_tensor *a = rs_graph_input(g, 2, s23, zero);
    rs_tensor *b = rs_graph_input(g, 2, s43, zero);
    tap_ok(rs_op_matmul(g, a, b, false, false) == NULL, "K mismatch fails");
    const char *msg = rs_graph_error(g)->msg;
    tap_ok(rs_graph_error(g)->code == RS_ESHAPE &&
               strstr(msg, "(2, 3)") != NULL && strstr(msg, "(4, 3)") != NULL,
           "message names both shapes: %s", msg);
    rs_graph_reset(g);
    a = rs_graph_input(g, 2, s23, zero);
    b = rs_graph_input(g, 2, s43, zero);
    tap_ok(rs_op_matmul(g, a, b, false, true) != NULL,
           "the same pair with trans_b builds");
    rs_graph_reset(g);
    a = rs_graph_input(g, 3, s234, zero);
    b = rs_graph_input(g, 3, s345, zero);
    tap_ok(rs_op_matmul(g, a, b, false, false) == NULL &&
               strstr(rs_graph_error(g)->msg, "leading") != NULL,
           "batched b with other leading dims fails: %s",
           rs_graph_error(g)->msg);
    rs_graph_reset(g);
    a = rs_graph_input(g, 1, s3, zero);
    b = rs_graph_input(g, 2, s23, zero);
    tap_ok(rs_op_matmul(g, a, b, false, false) == NULL,
           "1D matmul operand fails: %s", rs_graph_error(g)->msg);
    rs_graph_reset(g);
    rs_tensor *x = rs_graph_input(g, 2, s43, zero);
    rs_tensor *w = rs_graph_input(g, 2, s23, zero);
    rs_tensor *bias = rs_graph_input(g, 1, s2, zero);
    tap_ok(rs_op_linear(g, x, w, bias) != NULL, "linear (4,3) w (2,3) builds");
    rs_tensor *w2 = rs_graph_input(g, 2, s24, zero);
    tap_ok(rs_op_linear(g, x, w2, NULL) == NULL &&
               strstr(rs_graph_error(g)->msg, "(4, 3)") != NULL &&
               strstr(rs_graph_error(g)->msg, "(2, 4)") != NULL,
           "linear IN mismatch fails: %s", rs_graph_error(g)->msg);
    rs_graph_reset(g);
    x = rs_graph_input(g, 2, s43, zero);
    w = rs_graph_input(g, 2, s23, zero);
    rs_tensor *bias3 = rs_graph_input(g, 1, s3, zero);
    tap_ok(rs_op_linear(g, x, w, bias3) == NULL &&
               strstr(rs_graph_error(g)->msg, "bias") != NULL,
           "linear bias of the wrong size fails: %s", rs_graph_error(g)->msg);
    rs_graph_reset(g);
    tap_ok(rs_op_linear(g, NULL, w, NULL) == NULL &&
               rs_graph_error(g)->code != RS_OK,
           "NULL input gives NULL and a sticky error");
    rs_graph_free(g);
}

/* A linear layer's forward and backward on (2000, 40) x (100, 40)^T at
 * `threads` threads (GEMMs and the bias gradient's column pieces on the
 * pool): y, dx, dw and db copied to res. */
static void
linear_at(int threads, const float *x0, const float *w0, const float *b0,
          const float *seed, float *res)
{
    enum { R = 2000, IN = 40, OUT = 100 };
    rs_blas_set_threads(threads);
    rs_pool_set_threads(threads); /* also without AVX-512 */
    int xs[2] = {R, IN}, ws[2] = {OUT, IN}, bs[1] = {OUT};
    rs_tensor *x = rs_tensor_new_param(2, xs, NULL);
    rs_tensor *w = rs_tensor_new_param(2, ws, NULL);
    rs_tensor *b = rs_tensor_new_param(1, bs, NULL);
    memcpy(x->data, x0, sizeof(float) * R * IN);
    memcpy(w->data, w0, sizeof(float) * OUT * IN);
    memcpy(b->data, b0, sizeof(float) * OUT);
    rs_graph *g = rs_graph_new();
    rs_tensor *y = rs_op_linear(g, x, w, b);
    int rc = rs_graph_backward_seed(g, y, seed, NULL);
    RS_ASSERT(rc == RS_OK);
    float *r = res;
    memcpy(r, y->data, sizeof(float) * R * OUT);
    memcpy(r += R * OUT, x->grad, sizeof(float) * R * IN);
    memcpy(r += R * IN, w->grad, sizeof(float) * OUT * IN);
    memcpy(r += OUT * IN, b->grad, sizeof(float) * OUT);
    rs_graph_free(g);
    rs_tensor_release(x);
    rs_tensor_release(w);
    rs_tensor_release(b);
    rs_blas_set_threads(1);
}

static void
test_linear_threads(struct rs_rng *rng)
{
    enum { R = 2000, IN = 40, OUT = 100 };
    size_t n = (size_t)R * OUT + (size_t)R * IN + (size_t)OUT * IN + OUT;
    float *x = random_floats(rng, (size_t)R * IN);
    float *w = random_floats(rng, (size_t)OUT * IN);
    float *b = random_floats(rng, OUT);
    float *seed = random_floats(rng, (size_t)R * OUT);
    float *one = rs_xmalloc(n * sizeof(float));
    float *more = rs_xmalloc(n * sizeof(float));
    linear_at(1, x, w, b, seed, one);
    float db[OUT];
    for (int o = 0; o < OUT; o++) {
        double s = 0;
        for (int r = 0; r < R; r++)
            s += (double)seed[(size_t)r * OUT + o];
        db[o] = (float)s;
    }
    tap_is_floats(one + n - OUT, db, OUT, 1e-4, 1e-4,
                  "linear db over (2000, 100) = column sums of dy");
    for (int t = 2; t <= 3; t++) {
        linear_at(t, x, w, b, seed, more);
        tap_ok(memcmp(one, more, n * sizeof(float)) == 0,
               "linear forward and backward on %d threads: bitwise the "
               "1-thread y, dx, dw, db",
               t);
    }
    free(x);
    free(w);
    free(b);
    free(seed);
    free(one);
    free(more);
}

int
main(void)
{
    struct rs_rng rng;
    rs_rng_seed(&rng, 20240601);
    tap_plan_lazy();
    test_cpu();
    test_blas(&rng);
    test_matmul(&rng);
    test_matmul_backward_values(&rng);
    test_accumulation(&rng);
    test_chains(&rng);
    test_linear(&rng);
    test_linear_backward_values(&rng);
    test_linear_threads(&rng);
    test_errors();
    return tap_done();
}
