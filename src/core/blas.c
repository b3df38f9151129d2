/* repscope - MIT licence, see COPYING.
 *
 * blas.c: row-major SGEMM: OpenBLAS, or on AVX-512 CPUs this file's own
 * kernel for the small shapes the engine runs every step.
 *
 * Why a kernel of our own: on the engine's shapes ((512, 128) x (128, 128)
 * and the like) OpenBLAS spends a fifth of its time packing both operands,
 * and a linear layer needs a separate pass for its bias. The kernel here
 * packs nothing for NN and TN (B's rows are already contiguous; op(A)'s
 * elements are broadcast straight from A), transposes B one L1-sized
 * panel at a time for NT/TT, and can start its accumulators at a bias
 * row. Register tile: 6 rows x 64 columns (24 zmm accumulators), k
 * innermost; tails use masked loads and stores. It reaches ~93% of the
 * measured FMA peak (150 of 161 GF/s on one core). Results are not
 * bitwise equal to OpenBLAS's (other summation blocking) but depend only
 * on the shape: not on the thread count, the split, or timing.
 *
 * Threads: with AVX-512 and more than one thread allowed, GEMMs from
 * POOL_MIN_MACS up are cut into chunks of C run by the calling thread and
 * this file's helper threads (the pool below), while OpenBLAS is held at
 * one thread so that its own pool never spins against ours. Without
 * AVX-512, OpenBLAS's pool is used per call from PAR_MIN_MACS up. OpenBLAS
 * keeps one process-wide thread count; this file remembers the count last
 * handed to it and calls openblas_set_num_threads only on a change. Worker
 * thread only (the packing space is per thread, the pool is not).
 */
#include "config.h"

#include "core/blas.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "core/base.h"
#include "core/cpu.h"

#if defined(__GNUC__) && defined(__x86_64__)
#define RS_HAVE_AVX512_KERNEL 1
#include <immintrin.h>
#else
#define RS_HAVE_AVX512_KERNEL 0
#endif

static int max_threads; /* 0: not set yet, which means 1 */
static int cur_threads; /* what OpenBLAS was last told; 0 unknown */
static bool force_openblas;

/* Below this many multiply-adds a second OpenBLAS thread costs more than
 * it saves (2 cores, SkylakeX kernels: 1.3-1.8x from 4M up, a loss at 2M). */
#define PAR_MIN_MACS (1L << 22)
/* From this many multiply-adds our kernel is split over the pool (1.7-1.9x
 * at 1M-2M on 2 cores). */
#define POOL_MIN_MACS (1L << 20)

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

#if RS_HAVE_AVX512_KERNEL
static void pool_stop(void);
#endif

void
rs_blas_set_threads(int n)
{
    if (n < 1)
        n = 1;
    max_threads = n;
    cur_threads = 0;
    use_threads(1); /* raised per call in openblas_sgemm when it pays */
#if RS_HAVE_AVX512_KERNEL
    if (n == 1)
        pool_stop(); /* the helpers exit; started again on demand */
#endif
}

int
rs_blas_threads(void)
{
    return max_threads > 0 ? max_threads : 1;
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

#if RS_HAVE_AVX512_KERNEL

#define MR 6       /* rows per register tile */
#define NR 64      /* columns per register tile (four zmm) */
#define KC_MAX 160 /* k block: a KC x NR panel of B (40 KiB) stays in L1 */
#define MC 192     /* row block: its A and C slices stay in L2 */
#define POOL_BIG_BYTES (1 << 20) /* an operand that leaves L2 (gemm_plan) */

#define AVX512 __attribute__((target("avx512f")))
#define AVX512_INLINE                                                          \
    __attribute__((target("avx512f"), always_inline)) static inline

/* The transposed panel of B for NT/TT: per thread, allocated on first use
 * and kept; a thread-specific key frees it when the thread exits (session
 * workers come and go). */
static _Thread_local float *pack_buf;
static _Thread_local size_t pack_cap;
static pthread_key_t pack_key;
static pthread_once_t pack_once = PTHREAD_ONCE_INIT;

static void
pack_free(void *p)
{
    rs_aligned_free(p);
}

static void
pack_key_init(void)
{
    if (pthread_key_create(&pack_key, pack_free) != 0)
        rs_fatal("blas: cannot create a thread-specific key");
}

static float *
pack_space(size_t n)
{
    if (n > pack_cap) {
        pthread_once(&pack_once, pack_key_init);
        rs_aligned_free(pack_buf);
        pack_buf = rs_aligned_alloc(n * sizeof(float));
        if (pack_buf == NULL)
            rs_fatal("blas: cannot allocate %zu floats of packing space", n);
        pack_cap = n;
        pthread_setspecific(pack_key, pack_buf);
    }
    return pack_buf;
}

/* Mask of the first n (1..16) lanes. */
AVX512_INLINE __mmask16
lanes(int n)
{
    return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1u);
}

/* dst (16 x 16, row stride ldd) = transpose of src (16 x 16, row stride
 * lds): unpack pairs of rows, then pairs of pairs, then 128-bit lanes. */
AVX512 static void
transpose16(float *restrict dst, size_t ldd, const float *restrict src,
            size_t lds)
{
    __m512 r[16], t[16];
    for (int i = 0; i < 16; i++)
        r[i] = _mm512_loadu_ps(src + (size_t)i * lds);
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        __m512d a0 = _mm512_castps_pd(t[i]), a1 = _mm512_castps_pd(t[i + 1]);
        __m512d a2 = _mm512_castps_pd(t[i + 2]);
        __m512d a3 = _mm512_castps_pd(t[i + 3]);
        r[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a0, a2));
        r[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a0, a2));
        r[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(a1, a3));
        r[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(a1, a3));
    }
    for (int h = 0; h < 16; h += 8)
        for (int i = 0; i < 4; i++) {
            t[h + i] = _mm512_shuffle_f32x4(r[h + i], r[h + 4 + i], 0x88);
            t[h + 4 + i] = _mm512_shuffle_f32x4(r[h + i], r[h + 4 + i], 0xdd);
        }
    for (int i = 0; i < 8; i++) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0x88);
        r[8 + i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0xdd);
    }
    for (int i = 0; i < 16; i++)
        _mm512_storeu_ps(dst + (size_t)i * ldd, r[i]);
}

/* dst (K, N) with row stride ldd = transpose of src (N, K) with row
 * stride lds: whole 16 x 16 blocks in registers, the edges element by
 * element. */
AVX512 static void
pack_bt(float *restrict dst, size_t ldd, const float *restrict src, size_t lds,
        int N, int K)
{
    int j = 0;
    for (; j + 16 <= N; j += 16) {
        int k = 0;
        for (; k + 16 <= K; k += 16)
            transpose16(dst + (size_t)k * ldd + (size_t)j, ldd,
                        src + (size_t)j * lds + (size_t)k, lds);
        for (; k < K; k++)
            for (int jj = j; jj < j + 16; jj++)
                dst[(size_t)k * ldd + (size_t)jj] =
                    src[(size_t)jj * lds + (size_t)k];
    }
    for (; j < N; j++)
        for (int k = 0; k < K; k++)
            dst[(size_t)k * ldd + (size_t)j] = src[(size_t)j * lds + (size_t)k];
}

/* out[0..16) (masked) = alpha acc + beta out (out not read if !keep). */
AVX512_INLINE void
store16(float *out, __m512 acc, __mmask16 m, __m512 va, __m512 vb, bool keep)
{
    __m512 x = _mm512_mul_ps(va, acc);
    if (keep)
        x = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m, out), x);
    _mm512_mask_storeu_ps(out, m, x);
}

/* One register tile: C[0..mr, 0..16 nv) (masked on the last zmm) =
 * alpha * sum_k a(r, k) b[k][..] + beta * C, with a(r, k) = a[r si + k sk]
 * (op(A) in either layout) and b's rows ldb apart. mr (1..6) and nv (zmm
 * per row, 1..4) are compile-time constants after inlining; the macros
 * spell out the unrolling so the 24 accumulators are plain variables that
 * stay in registers, and the `mr > r`, `nv > v` tests fold away. */
#define TILE_DECL(r)                                                           \
    __m512 c##r##_0 = i0, c##r##_1 = i1, c##r##_2 = i2, c##r##_3 = i3;
#define TILE_FMA(r)                                                            \
    if (mr > (r)) {                                                            \
        __m512 av = _mm512_set1_ps(ak[(size_t)(r)*si]);                        \
        c##r##_0 = _mm512_fmadd_ps(av, b0, c##r##_0);                          \
        if (nv > 1)                                                            \
            c##r##_1 = _mm512_fmadd_ps(av, b1, c##r##_1);                      \
        if (nv > 2)                                                            \
            c##r##_2 = _mm512_fmadd_ps(av, b2, c##r##_2);                      \
        if (nv > 3)                                                            \
            c##r##_3 = _mm512_fmadd_ps(av, b3, c##r##_3);                      \
    }
#define TILE_STORE(r)                                                          \
    if (mr > (r)) {                                                            \
        float *cr = c + (size_t)(r)*ldc;                                       \
        store16(cr, c##r##_0, nv == 1 ? mlast : full, va, vb, keep);           \
        if (nv > 1)                                                            \
            store16(cr + 16, c##r##_1, nv == 2 ? mlast : full, va, vb, keep);  \
        if (nv > 2)                                                            \
            store16(cr + 32, c##r##_2, nv == 3 ? mlast : full, va, vb, keep);  \
        if (nv > 3)                                                            \
            store16(cr + 48, c##r##_3, mlast, va, vb, keep);                   \
    }
#define TILE_PREFETCH(r)                                                       \
    if (mr > (r))                                                              \
        for (int v = 0; v < nv; v++)                                           \
            _mm_prefetch((const char *)(c + (size_t)(r)*ldc + 16 * v),         \
                         _MM_HINT_T0);
#define TILE_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)

AVX512_INLINE void
tile(const int mr, const int nv, int K, const float *a, size_t si, size_t sk,
     const float *b, size_t ldb, const float *bias, float *c, size_t ldc,
     __mmask16 mlast, float alpha, float beta)
{
    const __mmask16 full = 0xFFFF;
    TILE_ROWS(TILE_PREFETCH) /* C's lines arrive while the k loop runs */
    /* Accumulators start at zero, or at the bias row (alpha is 1 then). */
    __m512 i0 = _mm512_setzero_ps(), i1 = i0, i2 = i0, i3 = i0;
    if (bias != NULL) {
        i0 = _mm512_maskz_loadu_ps(nv == 1 ? mlast : full, bias);
        if (nv > 1)
            i1 = _mm512_maskz_loadu_ps(nv == 2 ? mlast : full, bias + 16);
        if (nv > 2)
            i2 = _mm512_maskz_loadu_ps(nv == 3 ? mlast : full, bias + 32);
        if (nv > 3)
            i3 = _mm512_maskz_loadu_ps(mlast, bias + 48);
    }
    TILE_ROWS(TILE_DECL)
    for (int k = 0; k < K; k++) {
        const float *ak = a + (size_t)k * sk;
        const float *bk = b + (size_t)k * ldb;
        __m512 z = _mm512_setzero_ps();
        __m512 b0 = _mm512_maskz_loadu_ps(nv == 1 ? mlast : full, bk);
        __m512 b1 =
            nv > 1 ? _mm512_maskz_loadu_ps(nv == 2 ? mlast : full, bk + 16) : z;
        __m512 b2 =
            nv > 2 ? _mm512_maskz_loadu_ps(nv == 3 ? mlast : full, bk + 32) : z;
        __m512 b3 = nv > 3 ? _mm512_maskz_loadu_ps(mlast, bk + 48) : z;
        TILE_ROWS(TILE_FMA)
    }
    __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    bool keep = beta != 0.0f;
    TILE_ROWS(TILE_STORE)
}

#undef TILE_PREFETCH
#undef TILE_DECL
#undef TILE_FMA
#undef TILE_STORE
#undef TILE_ROWS

/* Every row block of one column panel (nv zmm wide), mr fixed at compile
 * time for the full blocks and for each tail size. */
AVX512_INLINE void
panel(const int nv, int M, int K, const float *a, size_t si, size_t sk,
      const float *b, size_t ldb, const float *bias, float *c, size_t ldc,
      __mmask16 mlast, float alpha, float beta)
{
    int i = 0;
    for (; i + MR <= M; i += MR)
        tile(MR, nv, K, a + (size_t)i * si, si, sk, b, ldb, bias,
             c + (size_t)i * ldc, ldc, mlast, alpha, beta);
    const float *at = a + (size_t)i * si;
    float *ct = c + (size_t)i * ldc;
    switch (M - i) {
    case 5:
        tile(5, nv, K, at, si, sk, b, ldb, bias, ct, ldc, mlast, alpha, beta);
        break;
    case 4:
        tile(4, nv, K, at, si, sk, b, ldb, bias, ct, ldc, mlast, alpha, beta);
        break;
    case 3:
        tile(3, nv, K, at, si, sk, b, ldb, bias, ct, ldc, mlast, alpha, beta);
        break;
    case 2:
        tile(2, nv, K, at, si, sk, b, ldb, bias, ct, ldc, mlast, alpha, beta);
        break;
    case 1:
        tile(1, nv, K, at, si, sk, b, ldb, bias, ct, ldc, mlast, alpha, beta);
        break;
    default:
        break;
    }
}

/* One column panel of nj (1..NR) columns, dispatched on its zmm count. */
AVX512 static void
panel_dispatch(int nj, int M, int K, const float *a, size_t si, size_t sk,
               const float *b, size_t ldb, const float *bias, float *c,
               size_t ldc, float alpha, float beta)
{
    __mmask16 m = lanes(nj - (nj - 1) / 16 * 16);
    switch ((nj + 15) / 16) {
    case 4:
        panel(4, M, K, a, si, sk, b, ldb, bias, c, ldc, m, alpha, beta);
        break;
    case 3:
        panel(3, M, K, a, si, sk, b, ldb, bias, c, ldc, m, alpha, beta);
        break;
    case 2:
        panel(2, M, K, a, si, sk, b, ldb, bias, c, ldc, m, alpha, beta);
        break;
    default:
        panel(1, M, K, a, si, sk, b, ldb, bias, c, ldc, m, alpha, beta);
        break;
    }
}

/* One GEMM for the tiles: op(A) element (i, k) at A[i si + k sk]; B as
 * the caller passed it (trans_b: stored (N, K), transposed strip by strip
 * into the running thread's packing space); bias or NULL. */
struct gemm {
    int M, N, K;
    float alpha, beta;
    const float *A;
    size_t si, sk;
    const float *B;
    size_t ldb;
    bool tb;
    const float *bias;
    float *C;
    size_t ldc;
};

/* Rows [r0, r1) x columns [c0, c1) of C, with column j of op(B) at
 * b[k ldb + j - c0]. Loops: row blocks of MC (their slices of A and C
 * stay in L2), k blocks of at most KC_MAX (equal sizes; after the first,
 * beta = 1 and no bias), column panels of NR, then row tiles of MR, so one
 * panel of B stays in L1 while A streams past it. Each element is summed
 * in the same k order whatever the block, so any split of C gives bitwise
 * the same result. */
static void
gemm_block(const struct gemm *g, const float *b, size_t ldb, int r0, int r1,
           int c0, int c1)
{
    int nkb = (g->K + KC_MAX - 1) / KC_MAX;
    int kcb = (g->K + nkb - 1) / nkb;
    for (int i0 = r0; i0 < r1; i0 += MC) {
        int mc = r1 - i0 < MC ? r1 - i0 : MC;
        const float *ai = g->A + (size_t)i0 * g->si;
        float *ci = g->C + (size_t)i0 * g->ldc;
        for (int k0 = 0; k0 < g->K; k0 += kcb) {
            int kc = g->K - k0 < kcb ? g->K - k0 : kcb;
            float bt = k0 == 0 ? g->beta : 1.0f;
            const float *ak = ai + (size_t)k0 * g->sk;
            for (int j0 = c0; j0 < c1; j0 += NR) {
                int nj = c1 - j0 < NR ? c1 - j0 : NR;
                const float *bj =
                    k0 == 0 && g->bias != NULL ? g->bias + j0 : NULL;
                panel_dispatch(nj, mc, kc, ak, g->si, g->sk,
                               b + (size_t)k0 * ldb + (size_t)(j0 - c0), ldb,
                               bj, ci + j0, g->ldc, g->alpha, bt);
            }
        }
    }
}

/* gemm_block for trans_b: B (N, K) is transposed one KC x NR panel at a
 * time into this thread's packing space (40 KiB, in L1) just before the
 * tiles of every row in [r0, r1) use it, so each element of B is moved
 * once and the transposed copy never travels through L2. k blocks are
 * whole multiples of 16 where possible (the transpose works in 16 x 16
 * blocks). */
static void
gemm_block_bt(const struct gemm *g, int r0, int r1, int c0, int c1)
{
    int nkb = (g->K + KC_MAX - 1) / KC_MAX;
    int kcb = (g->K + nkb - 1) / nkb;
    kcb = (kcb + 15) / 16 * 16 < KC_MAX ? (kcb + 15) / 16 * 16 : KC_MAX;
    float *p = pack_space((size_t)KC_MAX * NR);
    const float *a = g->A + (size_t)r0 * g->si;
    float *c = g->C + (size_t)r0 * g->ldc;
    for (int k0 = 0; k0 < g->K; k0 += kcb) {
        int kc = g->K - k0 < kcb ? g->K - k0 : kcb;
        float bt = k0 == 0 ? g->beta : 1.0f;
        for (int j0 = c0; j0 < c1; j0 += NR) {
            int nj = c1 - j0 < NR ? c1 - j0 : NR;
            pack_bt(p, NR, g->B + (size_t)j0 * g->ldb + (size_t)k0, g->ldb, nj,
                    kc);
            const float *bj = k0 == 0 && g->bias != NULL ? g->bias + j0 : NULL;
            panel_dispatch(nj, r1 - r0, kc, a + (size_t)k0 * g->sk, g->si,
                           g->sk, p, NR, bj, c + j0, g->ldc, g->alpha, bt);
        }
    }
}

/* How C is cut for `threads` threads. Cutting rows makes every chunk
 * read all of B (and, for trans_b, transpose it again); cutting 16-column
 * strips makes every chunk read all of op(A). So: strips for trans_b
 * (weights are small; each chunk transposes only its own strip) unless
 * op(A) is large and M dwarfs N; rows otherwise, unless B is large and N
 * is at least M (dW = dY^T X of a long batch). "Large" is more than
 * POOL_BIG_BYTES, about what stays in a core's L2 next to the rest. A
 * couple of chunks per thread, taken first come first served, absorb a
 * late helper. */
struct gemm_plan {
    bool by_rows;
    int units; /* row tiles or column strips */
    int chunks;
};

static void
gemm_plan_for(const struct gemm *g, int threads, struct gemm_plan *pl)
{
    int tiles = (g->M + MR - 1) / MR, strips = (g->N + 15) / 16;
    double a_bytes = 4.0 * g->M * g->K, b_bytes = 4.0 * g->K * g->N;
    bool rows;
    if (g->tb)
        rows = (a_bytes > POOL_BIG_BYTES && g->M >= 4 * g->N) ||
               strips < 2 * threads;
    else
        rows =
            !(b_bytes > POOL_BIG_BYTES && g->N >= g->M) && tiles >= 2 * threads;
    pl->by_rows = rows || strips < 2;
    pl->units = pl->by_rows ? tiles : strips;
    int want = threads * 2, most = pl->units / 2; /* >= 2 units a chunk */
    pl->chunks = want < most ? want : most;
    if (pl->chunks < threads)
        pl->chunks = pl->units < threads ? pl->units : threads;
    if (pl->chunks < 1)
        pl->chunks = 1;
}

/* Chunk c of the plan. */
static void
gemm_chunk(const struct gemm *g, const struct gemm_plan *pl, int c)
{
    int u0 = (int)((long)pl->units * c / pl->chunks);
    int u1 = (int)((long)pl->units * (c + 1) / pl->chunks);
    int r0 = 0, r1 = g->M, c0 = 0, c1 = g->N;
    if (pl->by_rows) {
        r0 = u0 * MR;
        r1 = u1 * MR < g->M ? u1 * MR : g->M;
    } else {
        c0 = u0 * 16;
        c1 = u1 * 16 < g->N ? u1 * 16 : g->N;
    }
    if (r0 >= r1 || c0 >= c1)
        return;
    if (g->tb)
        gemm_block_bt(g, r0, r1, c0, c1);
    else
        gemm_block(g, g->B + c0, g->ldb, r0, r1, c0, c1);
}

/* ---- the GEMM pool --------------------------------------------------------
 * max_threads - 1 helper threads and the calling thread take the chunks of
 * one GEMM from a shared counter. OpenBLAS is held at one thread meanwhile,
 * so only this pool ever spins (FACTS.md: two spinning pools on 2 cores
 * lose). A helper spins for work POOL_SPIN_S after its last job (a training
 * step issues GEMMs every few hundred microseconds), then sleeps on a
 * condition variable. Jobs are numbered; the caller waits for every helper
 * to report the number back. One thread posts jobs (the GEMM-issuing
 * worker). */

#define POOL_MAX 8
#define POOL_SPIN_S 2e-3    /* a helper's spin for work before sleeping */
#define POOL_PAUSE_S 200e-6 /* the caller's spin for helpers; then yield */
#define POOL_SLOW_JOBS 3    /* late-helper jobs in a row before backing off */
#define POOL_BACKOFF_S 0.1  /* first back-off; doubles while retries fail */
#define POOL_BACKOFF_MAX_S 3.2

struct pool {
    int nhelpers;
    pthread_t tid[POOL_MAX];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_uint seq;            /* last job posted */
    atomic_uint done[POOL_MAX]; /* last job finished, per helper */
    atomic_int sleepers;        /* helpers blocked (or about to) */
    atomic_bool quit;
    atomic_int next; /* next chunk of the current job */
    const struct gemm *job;
    const struct gemm_plan *plan;
    /* Contention back-off (caller's thread only): see pool_run. */
    int slow;         /* consecutive jobs that waited on a late helper */
    double off_until; /* rs_time_now() before which GEMMs run alone */
    double backoff;   /* the next back-off, doubling while it fails */
};

static struct pool pool = {
    .mu = PTHREAD_MUTEX_INITIALIZER,
    .cv = PTHREAD_COND_INITIALIZER,
    .backoff = POOL_BACKOFF_S,
};

/* Take chunks of the current job until none is left; returns how many
 * this thread ran. */
static int
run_chunks(const struct gemm *g, const struct gemm_plan *pl)
{
    int c, n = 0;
    while ((c = atomic_fetch_add(&pool.next, 1)) < pl->chunks) {
        gemm_chunk(g, pl, c);
        n++;
    }
    return n;
}

/* Wait until *word equals v (until_equal: the caller waiting for a helper
 * to finish job v) or differs from v (a helper waiting for a job after v).
 * Pause-spin for the first `pause` seconds, then yield the core between
 * looks (a descheduled partner gets it back), for at most `limit` seconds.
 * (sched_yield while the partner is about to post work costs 2x on this
 * VM, so helpers only pause.) Returns false on timeout or when the pool is
 * told to quit. */
static bool
pool_wait(atomic_uint *word, unsigned v, bool until_equal, double pause,
          double limit)
{
    double t0 = rs_time_now(), t = 0.0;
    for (int spins = 0;; spins++) {
        unsigned w = atomic_load(word);
        if (until_equal ? w == v : w != v)
            return true;
        if (atomic_load(&pool.quit))
            return false;
        if (spins % 64 == 63) {
            t = rs_time_now() - t0;
            if (t > limit)
                return false;
        }
        if (t < pause)
            _mm_pause();
        else
            sched_yield();
    }
}

static void *
pool_main(void *arg)
{
    int me = (int)(intptr_t)arg; /* helper index */
    /* The job number when this helper was created (pool_start sets it
     * before pthread_create; pool.seq may have moved on already). */
    unsigned seen = atomic_load(&pool.done[me]);
    for (;;) {
        if (!pool_wait(&pool.seq, seen, false, POOL_SPIN_S, POOL_SPIN_S) &&
            !atomic_load(&pool.quit)) {
            pthread_mutex_lock(&pool.mu);
            atomic_fetch_add(&pool.sleepers, 1);
            while (atomic_load(&pool.seq) == seen && !atomic_load(&pool.quit))
                pthread_cond_wait(&pool.cv, &pool.mu);
            atomic_fetch_sub(&pool.sleepers, 1);
            pthread_mutex_unlock(&pool.mu);
        }
        if (atomic_load(&pool.quit))
            return NULL; /* pack_key's destructor frees the packing space */
        seen = atomic_load(&pool.seq);
        (void)run_chunks(pool.job, pool.plan);
        atomic_store(&pool.done[me], seen);
    }
}

/* Stop and join the helpers (rs_blas_set_threads lowering the count, and
 * at exit). */
static void
pool_stop(void)
{
    if (pool.nhelpers == 0)
        return;
    pthread_mutex_lock(&pool.mu);
    atomic_store(&pool.quit, true);
    pthread_cond_broadcast(&pool.cv);
    pthread_mutex_unlock(&pool.mu);
    for (int i = 0; i < pool.nhelpers; i++)
        pthread_join(pool.tid[i], NULL);
    pool.nhelpers = 0;
    atomic_store(&pool.quit, false);
}

/* Make sure n helpers run; false if threads cannot be created (then the
 * caller computes alone). */
static bool
pool_start(int n)
{
    if (n > POOL_MAX)
        n = POOL_MAX;
    if (pool.nhelpers == n)
        return true;
    pool_stop();
    unsigned s = atomic_load(&pool.seq);
    for (int i = 0; i < n; i++) {
        atomic_store(&pool.done[i], s);
        if (pthread_create(&pool.tid[i], NULL, pool_main,
                           (void *)(intptr_t)i) != 0) {
            pool.nhelpers = i;
            pool_stop();
            return false;
        }
        pool.nhelpers = i + 1;
    }
    static bool registered;
    if (!registered)
        registered = atexit(pool_stop) == 0;
    return true;
}

/* Run g's chunks on this thread and the helpers; wait for all.
 *
 * When another program keeps a core busy, a helper can be descheduled in
 * the middle of a chunk and the caller waits a whole time slice for it,
 * or share the caller's core and take none of the work while its spinning
 * eats the caller's time: two threads then run slower than one. So the
 * caller watches: after POOL_SLOW_JOBS jobs in a row that either waited
 * longer for helpers than the caller's own share of the work took, or
 * left every chunk to the caller, GEMMs run on the calling thread alone
 * for a back-off (POOL_BACKOFF_S, doubling up to POOL_BACKOFF_MAX_S while
 * the retries also fail) and the helpers go to sleep. The split never
 * changes a result, so neither does this. */
static void
pool_run(const struct gemm *g, const struct gemm_plan *pl)
{
    pool.job = g;
    pool.plan = pl;
    atomic_store(&pool.next, 0);
    unsigned s = atomic_load(&pool.seq) + 1;
    double t0 = rs_time_now();
    atomic_store(&pool.seq, s); /* seq_cst: pairs with the sleepers count */
    if (atomic_load(&pool.sleepers) > 0) {
        pthread_mutex_lock(&pool.mu);
        pthread_cond_broadcast(&pool.cv);
        pthread_mutex_unlock(&pool.mu);
    }
    int mine = run_chunks(g, pl);
    double t1 = rs_time_now();
    for (int i = 0; i < pool.nhelpers; i++)
        pool_wait(&pool.done[i], s, true, POOL_PAUSE_S, 1e30);
    double t2 = rs_time_now();
    if (t2 - t1 <= (t1 - t0) + 20e-6 && mine < pl->chunks) {
        pool.slow = 0;
        pool.backoff = POOL_BACKOFF_S;
    } else if (++pool.slow >= POOL_SLOW_JOBS) {
        pool.slow = 0;
        pool.off_until = t2 + pool.backoff;
        pool.backoff = pool.backoff * 2 < POOL_BACKOFF_MAX_S
                           ? pool.backoff * 2
                           : POOL_BACKOFF_MAX_S;
    }
}

/* Whether the pool is in a contention back-off (see pool_run). */
static bool
pool_backing_off(void)
{
    return pool.off_until > 0.0 && rs_time_now() < pool.off_until;
}

/* C = alpha op(A) op(B) + beta C (+ bias (N) on every row, with alpha 1)
 * with the register tiles above, on `threads` threads (the pool). B is
 * read in place (its rows are contiguous) or, for trans_b, transposed by
 * each thread for its own columns; op(A)'s elements are broadcast straight
 * from A in either layout. */
static void
gemm_avx512(bool ta, bool tb, int M, int N, int K, float alpha, const float *A,
            int lda, const float *B, int ldb, const float *bias, float beta,
            float *C, int ldc, int threads)
{
    RS_ASSERT(bias == NULL || alpha == 1.0f);
    struct gemm g = {
        .M = M,
        .N = N,
        .K = K,
        .alpha = alpha,
        .beta = beta,
        .A = A,
        .si = ta ? 1 : (size_t)lda,
        .sk = ta ? (size_t)lda : 1,
        .B = B,
        .ldb = (size_t)ldb,
        .tb = tb,
        .bias = bias,
        .C = C,
        .ldc = (size_t)ldc,
    };
    struct gemm_plan pl;
    if (threads > 1 && !pool_backing_off() && pool_start(threads - 1)) {
        gemm_plan_for(&g, threads, &pl);
        pool_run(&g, &pl);
    } else {
        gemm_plan_for(&g, 1, &pl);
        pl.chunks = 1;
        gemm_chunk(&g, &pl, 0);
    }
}

#endif /* RS_HAVE_AVX512_KERNEL */

/* Our kernel whenever the CPU has AVX-512 and the caller did not force
 * OpenBLAS: on these shapes it is level with OpenBLAS SkylakeX or ahead
 * (no packing for NN/TN, no bias pass) at one thread, well ahead with the
 * pool, and its results do not depend on the thread count. */
static bool
use_own_kernel(void)
{
#if RS_HAVE_AVX512_KERNEL
    return !force_openblas && rs_cpu_has(RS_CPU_AVX512F);
#else
    return false;
#endif
}

/* Threads for our kernel on this shape: the pool only from POOL_MIN_MACS
 * (below it waking a helper costs more than half the work). */
static int
own_threads(int M, int N, int K)
{
    return max_threads > 1 && (long)M * N * K >= POOL_MIN_MACS ? max_threads
                                                               : 1;
}

const char *
rs_blas_sgemm_path(bool trans_a, bool trans_b, int M, int N, int K)
{
    (void)trans_a;
    (void)trans_b;
    if (!use_own_kernel())
        return "openblas";
    return own_threads(M, N, K) > 1 ? "avx512-pool" : "avx512";
}

/* OpenBLAS, on several threads only when our kernel and its pool are out
 * of the picture (no AVX-512, or forced) and the shape is big enough. */
static void
openblas_sgemm(bool ta, bool tb, int M, int N, int K, float alpha,
               const float *A, int lda, const float *B, int ldb, float beta,
               float *C, int ldc)
{
    int n = 1;
    if (max_threads > 1 && (long)M * N * K >= PAR_MIN_MACS &&
        (force_openblas || !rs_cpu_has(RS_CPU_AVX512F)))
        n = max_threads;
    use_threads(n);
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
                tb ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B, ldb,
                beta, C, ldc);
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
    RS_ASSERT(lda >= (trans_a ? M : K) && ldb >= (trans_b ? K : N) && ldc >= N);
#if RS_HAVE_AVX512_KERNEL
    if (use_own_kernel()) {
        gemm_avx512(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, NULL,
                    beta, C, ldc, own_threads(M, N, K));
        return;
    }
#endif
    openblas_sgemm(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C,
                   ldc);
}

void
rs_blas_sgemm_bias(bool trans_a, bool trans_b, int M, int N, int K,
                   const float *A, int lda, const float *B, int ldb,
                   const float *bias, float *C, int ldc)
{
    RS_ASSERT(M >= 0 && N >= 0 && K >= 0);
    if (M == 0 || N == 0)
        return;
    if (bias == NULL) {
        rs_blas_sgemm(trans_a, trans_b, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C,
                      ldc);
        return;
    }
    RS_ASSERT(K == 0 || (lda >= (trans_a ? M : K) && ldb >= (trans_b ? K : N)));
    RS_ASSERT(ldc >= N);
#if RS_HAVE_AVX512_KERNEL
    if (K > 0 && use_own_kernel()) {
        gemm_avx512(trans_a, trans_b, M, N, K, 1.0f, A, lda, B, ldb, bias, 0.0f,
                    C, ldc, own_threads(M, N, K));
        return;
    }
#endif
    for (int i = 0; i < M; i++)
        memcpy(C + (size_t)i * (size_t)ldc, bias, (size_t)N * sizeof(float));
    if (K > 0)
        openblas_sgemm(trans_a, trans_b, M, N, K, 1.0f, A, lda, B, ldb, 1.0f, C,
                       ldc);
}
