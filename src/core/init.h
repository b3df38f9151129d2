/* repscope - MIT licence, see COPYING.
 *
 * init.h: weight initialisers. Every kind draws from the given RNG in
 * element order, so the same seed gives the same weights.
 */
#ifndef RS_CORE_INIT_H
#define RS_CORE_INIT_H

#include "core/rng.h"
#include "core/tensor.h"

enum rs_init_kind {
    RS_INIT_ZEROS,
    RS_INIT_CONSTANT,        /* every element = scale */
    RS_INIT_NORMAL,          /* N(0, scale^2) */
    RS_INIT_UNIFORM,         /* U(-scale, scale) */
    RS_INIT_KAIMING_NORMAL,  /* N(0, 2/fan_in) * scale (ReLU gain) */
    RS_INIT_KAIMING_UNIFORM, /* U(+-sqrt(6/fan_in)) * scale */
    RS_INIT_XAVIER_NORMAL,   /* N(0, 2/(fan_in+fan_out)) * scale */
    RS_INIT_XAVIER_UNIFORM,  /* U(+-sqrt(6/(fan_in+fan_out))) * scale */
    RS_INIT_LECUN_NORMAL,    /* N(0, 1/fan_in) * scale */
    RS_INIT_TORCH_DEFAULT    /* nn.Linear's default: U(+-1/sqrt(fan_in)) * scale */
};

/* Fill t. fan_in/fan_out describe the layer (for a (OUT, IN) weight:
 * fan_in = IN, fan_out = OUT); scale multiplies the result (1 for the
 * textbook rule; alpha for the grokking papers' scaled init). */
void rs_init_fill(rs_tensor *t, enum rs_init_kind kind, int fan_in,
                  int fan_out, float scale, struct rs_rng *rng);
const char *rs_init_kind_name(enum rs_init_kind kind);
/* "zeros", "constant", "normal", "uniform", "kaiming", "kaiming_uniform",
 * "xavier", "xavier_uniform", "lecun", "torch"; -1 if unknown. */
int rs_init_kind_parse(const char *name);

#endif /* RS_CORE_INIT_H */
