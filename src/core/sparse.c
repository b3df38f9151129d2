/* repscope - MIT licence, see COPYING.
 *
 * sparse.c: packed rows and the linear products over them (core/sparse.h).
 * The products work on blocks of 16 outputs with a constant trip count so
 * that GCC vectorises them in every clone; an output is the same sum in a
 * block and in the scalar tail (bias first, then the terms by column), so
 * the width never changes a bit.
 */
#include "config.h"

#include "core/sparse.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "core/base.h"

#define BLOCK 16

size_t
rs_sparse_rows_cap(int rows, int cols)
{
    return (size_t)rows * (size_t)cols / RS_SPARSE_DENSITY;
}

bool
rs_sparse_rows_worth(const float *row0, int cols)
{
    if (cols < RS_SPARSE_MIN_COLS)
        return false;
    int nnz = 0;
    for (int c = 0; c < cols; c++)
        nnz += row0[c] != 0.0f;
    return nnz <= 2 * cols / RS_SPARSE_DENSITY;
}

/* Whether any of the BLOCK floats at x is nonzero (-0 is zero, NaN is
 * not): an OR over the bits without the sign, which vectorises. */
static RS_VEC_INLINE bool
block_lit(const float *x)
{
    uint32_t any = 0;
    for (int i = 0; i < BLOCK; i++) {
        uint32_t b;
        memcpy(&b, x + i, sizeof b);
        any |= b & 0x7fffffffu;
    }
    return any != 0;
}

/* A game frame lights whole runs of cells (a row of bricks) and leaves
 * most blocks of 16 dark: those are skipped at vector speed and only the
 * lit ones are read one float at a time. */
RS_VEC_CLONES bool
rs_sparse_rows_pack(struct rs_sparse_rows *s, const float *x, int rows,
                    int cols)
{
    if (rows < 1 || !rs_sparse_rows_worth(x, cols))
        return false;
    size_t max_nnz = rs_sparse_rows_cap(rows, cols), n = 0;
    s->rows = rows;
    s->cols = cols;
    for (int r = 0; r < rows; r++) {
        const float *row = x + (size_t)r * (size_t)cols;
        s->start[r] = (int)n;
        int c0 = 0;
        for (; c0 < cols; c0 += BLOCK) {
            int c1 = c0 + BLOCK <= cols ? c0 + BLOCK : cols;
            if (c1 - c0 == BLOCK && !block_lit(row + c0))
                continue;
            if (max_nnz - n >= (size_t)(c1 - c0)) {
                /* room for the whole block: store every entry and advance
                 * past the nonzeros only, with no branch to mispredict */
                for (int c = c0; c < c1; c++) {
                    s->idx[n] = c;
                    s->val[n] = row[c];
                    n += row[c] != 0.0f;
                }
                continue;
            }
            for (int c = c0; c < c1; c++) {
                if (row[c] == 0.0f)
                    continue;
                if (n == max_nnz)
                    return false;
                s->idx[n] = c;
                s->val[n] = row[c];
                n++;
            }
        }
    }
    s->start[rows] = (int)n;
    return n <= (size_t)INT_MAX;
}

RS_VEC_CLONES void
rs_sparse_rows_linear(float *restrict out, const struct rs_sparse_rows *s,
                      const float *restrict wt, const float *restrict bias,
                      int OUT)
{
    for (int r = 0; r < s->rows; r++) {
        const int *idx = s->idx + s->start[r];
        const float *val = s->val + s->start[r];
        int nnz = s->start[r + 1] - s->start[r];
        float *o = out + (size_t)r * (size_t)OUT;
        int j = 0;
        for (; j + BLOCK <= OUT; j += BLOCK) {
            float acc[BLOCK];
            for (int i = 0; i < BLOCK; i++)
                acc[i] = bias != NULL ? bias[j + i] : 0.0f;
            for (int e = 0; e < nnz; e++) {
                const float *w = wt + (size_t)idx[e] * (size_t)OUT + j;
                float v = val[e];
                for (int i = 0; i < BLOCK; i++)
                    acc[i] += v * w[i];
            }
            for (int i = 0; i < BLOCK; i++)
                o[j + i] = acc[i];
        }
        for (; j < OUT; j++) {
            float acc = bias != NULL ? bias[j] : 0.0f;
            for (int e = 0; e < nnz; e++)
                acc += val[e] * wt[(size_t)idx[e] * (size_t)OUT + j];
            o[j] = acc;
        }
    }
}

RS_VEC_CLONES void
rs_sparse_rows_linear_wgrad(float *restrict dwt, int ld_dwt,
                            const struct rs_sparse_rows *s,
                            const float *restrict dout, int ld_dout, int n)
{
    for (int r = 0; r < s->rows; r++) {
        const float *d = dout + (size_t)r * (size_t)ld_dout;
        for (int e = s->start[r]; e < s->start[r + 1]; e++) {
            float *w = dwt + (size_t)s->idx[e] * (size_t)ld_dwt;
            float v = s->val[e];
            int j = 0;
            for (; j + BLOCK <= n; j += BLOCK)
                for (int i = 0; i < BLOCK; i++)
                    w[j + i] += v * d[j + i];
            for (; j < n; j++)
                w[j] += v * d[j];
        }
    }
}
