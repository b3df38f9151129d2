/* repscope - MIT licence, see COPYING.
 *
 * prec.h: low-precision emulation. Values stay float32 in memory but are
 * rounded to the nearest bf16 or fp16 value (round-to-nearest-even; fp16
 * overflows to +-inf and keeps subnormals; NaN stays NaN), the way a
 * bf16/fp16 accelerator stores each op output while accumulating in fp32.
 * Pure functions, any thread.
 */
#ifndef RS_CORE_PREC_H
#define RS_CORE_PREC_H

#include <stddef.h>
#include <stdint.h>

enum rs_prec { RS_PREC_F32, RS_PREC_BF16, RS_PREC_F16 };

/* "f32", "bf16", "f16". */
const char *rs_prec_name(enum rs_prec p);
/* Parse "fp32"/"f32", "bf16", "fp16"/"f16"; returns -1 if unknown. */
int rs_prec_parse(const char *s);

/* Bit conversions (round-to-nearest-even). */
uint16_t rs_prec_f32_to_bf16(float x);
float rs_prec_bf16_to_f32(uint16_t h);
uint16_t rs_prec_f32_to_f16(float x);
float rs_prec_f16_to_f32(uint16_t h);

/* x rounded to the nearest representable value of p (p = F32: x). */
float rs_prec_round(float x, enum rs_prec p);
void rs_prec_round_inplace(float *x, size_t n, enum rs_prec p);
/* Unit roundoff-style resolution: 2^-8 for bf16, 2^-11 for fp16, 2^-24 for
 * f32 (relative spacing of values near 1, halved). */
double rs_prec_resolution(enum rs_prec p);

#endif /* RS_CORE_PREC_H */
