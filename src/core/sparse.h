/* repscope - MIT licence, see COPYING.
 *
 * sparse.h: rows of a mostly-zero matrix kept as their nonzeros, and the
 * two products a linear layer needs from them. A game frame (Breakout's
 * 4 x 10 x 10 cells, about 8% lit) or a one-hot code feeds a first layer
 * whose dense GEMM multiplies mostly zeros; over the nonzeros the same
 * layer does a twelfth of the work.
 *
 * The products are a fixed function of the nonzeros: each output is the
 * bias, then the nonzeros' terms added in ascending column order, in every
 * vector width (core/base.h RS_VEC_CLONES), so two callers that pack the
 * same row get the same bits (the PPO rollout and its update do).
 */
#ifndef RS_CORE_SPARSE_H
#define RS_CORE_SPARSE_H

#include <stdbool.h>
#include <stddef.h>

struct rs_sparse_rows {
    int rows, cols;
    int *start;   /* rows + 1 offsets into idx and val */
    int *idx;     /* each nonzero's column, ascending within a row */
    float *val;   /* each nonzero's value */
};

/* A matrix is worth packing when it is at least RS_SPARSE_MIN_COLS wide
 * and at most 1 in RS_SPARSE_DENSITY of its entries is nonzero: otherwise
 * the dense GEMM is faster (measured on AVX-512 with 64 outputs). */
#define RS_SPARSE_DENSITY 8
#define RS_SPARSE_MIN_COLS 64

/* Whether a matrix whose first row is row0 (cols wide) may be worth
 * packing: the check rs_sparse_rows_pack starts with, for a caller that
 * would rather not make room for a dense matrix. */
bool rs_sparse_rows_worth(const float *row0, int cols);

/* Entries idx and val need for rows x cols worth packing. */
size_t rs_sparse_rows_cap(int rows, int cols);

/* Pack x (rows, cols), row-major, into s, whose start holds rows + 1 ints
 * and idx/val rs_sparse_rows_cap(rows, cols) entries each. False (s
 * unusable) when x is not worth packing: too narrow, or too many
 * nonzeros. Row 0 alone rejects a dense matrix (an image, an embedding)
 * before the rest is read. The answer depends on x only, so every caller
 * that packs the same rows gets the same products. NaN counts as
 * nonzero. */
bool rs_sparse_rows_pack(struct rs_sparse_rows *s, const float *x, int rows,
                         int cols);

/* out (rows, OUT) = s wt + bias: wt is (cols, OUT) row-major (a linear
 * weight (OUT, cols) transposed), bias (OUT) or NULL. */
void rs_sparse_rows_linear(float *out, const struct rs_sparse_rows *s,
                           const float *wt, const float *bias, int OUT);

/* dwt (cols, n) += s^T dout, dout (rows, n): the weight gradient in the
 * transposed layout, for n outputs whose rows are ld_dwt and ld_dout
 * floats apart. Any split of the outputs between callers gives the same
 * bits (each output sums its rows in order). */
void rs_sparse_rows_linear_wgrad(float *dwt, int ld_dwt,
                                 const struct rs_sparse_rows *s,
                                 const float *dout, int ld_dout, int n);

#endif
