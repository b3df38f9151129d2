/* repscope - MIT licence, see COPYING.
 *
 * blas_kernel.c: the AVX-512 register-tile SGEMM that blas.c dispatches
 * to (why it exists and how fast it is: the top of blas.c). Register
 * tile: 6 rows x 64 columns (24 zmm accumulators), k innermost; tails use
 * masked loads and stores. Per-thread packing space for trans_b.
 */
#include "config.h"

#include "core/blas_kernel.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"

#if RS_HAVE_AVX512_KERNEL

#include <immintrin.h>

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

/* dst (cols, rows) = (or +=, add) src (rows, cols)^T, both packed
 * row-major: 16 x 16 blocks through transpose16 (into a scratch block
 * when adding), the edges element by element. */
AVX512 void
rs_kernel_transpose(float *restrict dst, const float *restrict src, int rows,
                    int cols, bool add)
{
    size_t ldd = (size_t)rows, lds = (size_t)cols;
    float blk[256];
    int r = 0;
    for (; r + 16 <= rows; r += 16) {
        int c = 0;
        for (; c + 16 <= cols; c += 16) {
            float *d = dst + (size_t)c * ldd + (size_t)r;
            const float *s = src + (size_t)r * lds + (size_t)c;
            if (!add) {
                transpose16(d, ldd, s, lds);
                continue;
            }
            transpose16(blk, 16, s, lds);
            for (int i = 0; i < 16; i++)
                _mm512_storeu_ps(d + (size_t)i * ldd,
                                 _mm512_add_ps(_mm512_loadu_ps(d + (size_t)i * ldd),
                                               _mm512_loadu_ps(blk + 16 * i)));
        }
        for (; c < cols; c++)
            for (int i = r; i < r + 16; i++) {
                float v = src[(size_t)i * lds + (size_t)c];
                float *d = dst + (size_t)c * ldd + (size_t)i;
                *d = add ? *d + v : v;
            }
    }
    for (; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            float v = src[(size_t)r * lds + (size_t)c];
            float *d = dst + (size_t)c * ldd + (size_t)r;
            *d = add ? *d + v : v;
        }
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

/* Rows [r0, r1) x columns [c0, c1) of C, with column j of op(B) at
 * b[k ldb + j - c0]. Loops: row blocks of MC (their slices of A and C
 * stay in L2), k blocks of at most KC_MAX (equal sizes; after the first,
 * beta = 1 and no bias), column panels of NR, then row tiles of MR, so one
 * panel of B stays in L1 while A streams past it. Each element is summed
 * in the same k order whatever the block, so any split of C gives bitwise
 * the same result. */
static void
gemm_block(const struct rs_gemm *g, const float *b, size_t ldb, int r0, int r1,
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
gemm_block_bt(const struct rs_gemm *g, int r0, int r1, int c0, int c1)
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

void
rs_gemm_plan_for(const struct rs_gemm *g, int threads, struct rs_gemm_plan *pl)
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
void
rs_gemm_chunk(const struct rs_gemm *g, const struct rs_gemm_plan *pl, int c)
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

#endif /* RS_HAVE_AVX512_KERNEL */
