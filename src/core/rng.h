/* repscope - MIT licence, see COPYING.
 *
 * rng.h: xoshiro256** seeded through splitmix64. Explicit state, no hidden
 * globals: the same seed gives the same stream on every machine. A state
 * belongs to one thread.
 */
#ifndef RS_CORE_RNG_H
#define RS_CORE_RNG_H

#include <stddef.h>
#include <stdint.h>

struct rs_rng {
    uint64_t s[4];
};

void rs_rng_seed(struct rs_rng *r, uint64_t seed);
uint64_t rs_rng_next(struct rs_rng *r);
/* Uniform in [0, 1) with 24 random bits (exactly representable floats). */
float rs_rng_uniform(struct rs_rng *r);
/* Uniform in [0, 1) with 53 random bits. */
double rs_rng_uniform_double(struct rs_rng *r);
/* Standard normal (Box-Muller on doubles, no cached second value so the
 * stream position depends only on the number of calls). */
float rs_rng_normal(struct rs_rng *r);
/* Two standard normals from one 64-bit draw or more (Marsaglia's polar
 * method in float, 24-bit uniforms): about 3 times cheaper per value than
 * rs_rng_normal, for callers that need one normal per parameter. */
void rs_rng_normal_pair(struct rs_rng *r, float *a, float *b);
/* Uniform integer in [0, n), unbiased (Lemire). n >= 1. */
uint32_t rs_rng_below(struct rs_rng *r, uint32_t n);
/* Fisher-Yates shuffle of n ints. */
void rs_rng_shuffle_int(struct rs_rng *r, int *v, size_t n);
/* An independent stream derived from this one (for per-module streams). */
void rs_rng_split(struct rs_rng *r, struct rs_rng *child);

#endif /* RS_CORE_RNG_H */
