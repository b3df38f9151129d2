/* repscope - MIT licence, see COPYING.
 *
 * blas.c: row-major SGEMM over OpenBLAS, with a per-call thread decision.
 *
 * OpenBLAS keeps one process-wide thread count. This file remembers the
 * ceiling the program asked for (rs_blas_set_threads) and the count last
 * handed to OpenBLAS, and changes the latter only when a call wants a
 * different one, so steady-state steps make no extra library calls.
 * Worker thread only.
 */
#include "config.h"

#include "core/blas.h"

#include <stddef.h>
#include <string.h>

#include <cblas.h>

#include "core/base.h"

static int max_threads; /* 0: not asked yet, OpenBLAS's default */
static int cur_threads; /* what OpenBLAS was last told; 0 unknown */
static bool force_openblas;

/* Below this many multiply-adds a second thread costs more than it saves
 * (measured with SkylakeX kernels on 2 cores, see the bench notes). */
#define PAR_MIN_MACS (1L << 21)

static void
use_threads(int n)
{
#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
    if (n != cur_threads) {
        openblas_set_num_threads(n);
        cur_threads = n;
    }
#else
    (void)n;
#endif
}

void
rs_blas_set_threads(int n)
{
    if (n < 1)
        n = 1;
    max_threads = n;
    cur_threads = 0;
    use_threads(n);
}

int
rs_blas_threads(void)
{
    if (max_threads > 0)
        return max_threads;
#ifdef HAVE_OPENBLAS_GET_NUM_THREADS
    return openblas_get_num_threads();
#else
    return 1;
#endif
}

const char *
rs_blas_corename(void)
{
#ifdef HAVE_OPENBLAS_GET_CORENAME
    const char *s = openblas_get_corename();
    return s != NULL ? s : "unknown";
#else
    return "unknown";
#endif
}

void
rs_blas_force_openblas(bool on)
{
    force_openblas = on;
}

const char *
rs_blas_sgemm_path(bool trans_a, bool trans_b, int M, int N, int K)
{
    (void)trans_a;
    (void)trans_b;
    (void)M;
    (void)N;
    (void)K;
    return "openblas";
}

/* C = beta * C over an (M, N) block with row stride ldc. */
static void
scale_rows(float *C, int M, int N, int ldc, float beta)
{
    for (int i = 0; i < M; i++) {
        float *c = C + (size_t)i * (size_t)ldc;
        if (beta == 0.0f)
            memset(c, 0, (size_t)N * sizeof(float));
        else
            for (int j = 0; j < N; j++)
                c[j] *= beta;
    }
}

void
rs_blas_sgemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha,
              const float *A, int lda, const float *B, int ldb, float beta,
              float *C, int ldc)
{
    RS_ASSERT(M >= 0 && N >= 0 && K >= 0);
    if (M == 0 || N == 0)
        return;
    if (K == 0 || alpha == 0.0f) {
        if (beta != 1.0f)
            scale_rows(C, M, N, ldc, beta);
        return;
    }
    RS_ASSERT(lda >= (trans_a ? M : K) && ldb >= (trans_b ? K : N) &&
              ldc >= N);
    if (max_threads > 1) {
        long macs = (long)M * N * K;
        use_threads(macs >= PAR_MIN_MACS ? max_threads : 1);
    }
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda,
                B, ldb, beta, C, ldc);
}
