/* repscope - MIT licence, see COPYING.
 *
 * rng.c: xoshiro256** (Blackman and Vigna), seeded by splitmix64.
 */
#include "config.h"

#include "core/rng.h"

#include <math.h>

static uint64_t
splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t
rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void
rs_rng_seed(struct rs_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

uint64_t
rs_rng_next(struct rs_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

float
rs_rng_uniform(struct rs_rng *r)
{
    return (float)(rs_rng_next(r) >> 40) * 0x1.0p-24f;
}

double
rs_rng_uniform_double(struct rs_rng *r)
{
    return (double)(rs_rng_next(r) >> 11) * 0x1.0p-53;
}

float
rs_rng_normal(struct rs_rng *r)
{
    /* u1 in (0, 1] so log never sees 0. */
    double u1 = 1.0 - rs_rng_uniform_double(r);
    double u2 = rs_rng_uniform_double(r);
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

void
rs_rng_normal_pair(struct rs_rng *r, float *a, float *b)
{
    for (;;) {
        uint64_t w = rs_rng_next(r);
        float u = (float)(w >> 40) * 0x1p-23f - 1.0f;
        float v = (float)((w >> 16) & 0xffffff) * 0x1p-23f - 1.0f;
        float s = u * u + v * v;
        if (s > 0.0f && s < 1.0f) {
            float f = sqrtf(-2.0f * logf(s) / s);
            *a = u * f;
            *b = v * f;
            return;
        }
    }
}

uint32_t
rs_rng_below(struct rs_rng *r, uint32_t n)
{
    uint64_t m = (uint64_t)(uint32_t)(rs_rng_next(r) >> 32) * n;
    uint32_t low = (uint32_t)m;
    if (low < n) {
        uint32_t t = (uint32_t)(-n) % n;
        while (low < t) {
            m = (uint64_t)(uint32_t)(rs_rng_next(r) >> 32) * n;
            low = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

void
rs_rng_shuffle_int(struct rs_rng *r, int *v, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = rs_rng_below(r, (uint32_t)i);
        int tmp = v[i - 1];
        v[i - 1] = v[j];
        v[j] = tmp;
    }
}

void
rs_rng_split(struct rs_rng *r, struct rs_rng *child)
{
    rs_rng_seed(child, rs_rng_next(r));
}
