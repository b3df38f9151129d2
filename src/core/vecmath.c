/* repscope - MIT licence, see COPYING.
 *
 * vecmath.c: array versions of the vecmath.h functions. Each is one loop
 * to rs_vec_floor(n) (GCC -O2 vectorises only loops whose trip count is a
 * known multiple of the vector width) and a scalar tail, compiled once per
 * vector width (RS_VEC_CLONES). Pure functions of their arguments: any
 * thread, any disjoint ranges.
 */
#include "config.h"

#include "core/vecmath.h"

#include <stddef.h>

#include "core/base.h"

/* Largest multiple of 16 floats <= n (as rs_vec_floor in ops_impl.h). */
static inline size_t
vec_floor(size_t n)
{
    return n & ~(size_t)15;
}

RS_VEC_CLONES void
rs_vecmath_exp(float *restrict out, const float *restrict x, size_t n)
{
    size_t i, nv = vec_floor(n);
    for (i = 0; i < nv; i++)
        out[i] = rs_vecmath_expf(x[i]);
    for (; i < n; i++)
        out[i] = rs_vecmath_expf(x[i]);
}

RS_VEC_CLONES void
rs_vecmath_log(float *restrict out, const float *restrict x, size_t n)
{
    size_t i, nv = vec_floor(n);
    for (i = 0; i < nv; i++)
        out[i] = rs_vecmath_logf(x[i]);
    for (; i < n; i++)
        out[i] = rs_vecmath_logf(x[i]);
}

RS_VEC_CLONES void
rs_vecmath_tanh(float *restrict out, const float *restrict x, size_t n)
{
    size_t i, nv = vec_floor(n);
    for (i = 0; i < nv; i++)
        out[i] = rs_vecmath_tanhf(x[i]);
    for (; i < n; i++)
        out[i] = rs_vecmath_tanhf(x[i]);
}

RS_VEC_CLONES void
rs_vecmath_sigmoid(float *restrict out, const float *restrict x, size_t n)
{
    size_t i, nv = vec_floor(n);
    for (i = 0; i < nv; i++)
        out[i] = rs_vecmath_sigmoidf(x[i]);
    for (; i < n; i++)
        out[i] = rs_vecmath_sigmoidf(x[i]);
}

RS_VEC_CLONES void
rs_vecmath_softplus(float *restrict out, const float *restrict x, size_t n)
{
    size_t i, nv = vec_floor(n);
    for (i = 0; i < nv; i++)
        out[i] = rs_vecmath_softplusf(x[i]);
    for (; i < n; i++)
        out[i] = rs_vecmath_softplusf(x[i]);
}
