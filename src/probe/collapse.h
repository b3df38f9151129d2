/* repscope - MIT licence, see COPYING.
 *
 * collapse.h: representational-collapse instruments for the decoder-only
 * transformer ("Transformers need glasses! Information over-squashing in
 * language tasks", Barbero et al., arXiv 2406.04267: Thm 4.2 / B.3 and
 * Prop. B.4).
 *
 * Collapse: two sequences v (n tokens) and v* (n* tokens) through the
 * model at a precision, and the distance between the last tokens' final
 * representations y (the output of the final norm for pre-norm, of the
 * last layer for post-norm):
 *   linf = || y(v)[n-1] - y(v*)[n*-1] ||_inf,  l1 = sum |.|,
 *   ymax = || y(v)[n-1] ||_inf.
 * A low precision is emulated end to end: the graph rounds every op output
 * and the parameters are rounded too (then restored bit for bit). Near
 * ymax the rounding step of bf16 is at most ymax * 2^-8 and of fp16 ymax *
 * 2^-11 (fp32: ymax * 2^-24) (rs_probe_collapse_resolution): once the
 * float32 distance falls well below it the two representations typically
 * round to the same value and the low-precision distance is exactly 0.
 *
 * Attention total variation (Prop. B.4): for x, x* of one length n and a
 * layer l, tv = sum_s | abar_l(x)[n-1, s] - abar_l(x*)[n-1, s] | over the
 * head-mean attention rows of the last token (no 1/2, as in the paper).
 *
 * Graphs: the functions that run the model take a caller-owned graph g,
 * reset it on entry, run no-grad, leave the last forward recorded in it
 * and restore g's grad switch and precision on return. Worker thread only
 * (like the model); the pure helpers run on any thread.
 */
#ifndef RS_PROBE_COLLAPSE_H
#define RS_PROBE_COLLAPSE_H

#include "core/base.h"
#include "core/graph.h"
#include "core/prec.h"
#include "nn/transformer.h"

struct rs_probe_collapse {
    double linf; /* || y - y* ||_inf of the last tokens */
    double l1;   /* sum | y - y* | */
    double ymax; /* || y ||_inf */
};

/* The distance above at prec. v: n tokens, vstar: nstar tokens, each
 * length in 1..ctx and each id in [0, vocab). Returns RS_OK with *out
 * filled, or RS_EINVAL (a bad length or id, named) / the forward's error
 * with err filled. The parameters are restored even on error. */
RS_NODISCARD int rs_probe_collapse(rs_nn_transformer *tf, rs_graph *g,
                                   const int *v, int n, const int *vstar,
                                   int nstar, enum rs_prec prec,
                                   struct rs_probe_collapse *out,
                                   struct rs_error *err);

/* The distance of two d-vectors after rounding each element to prec (a
 * no-op on values already in prec; RS_PREC_F32 compares them as they
 * are); ymax from y. Sums in double. Pure. */
void rs_probe_collapse_distance(const float *y, const float *ystar, int d,
                                enum rs_prec prec,
                                struct rs_probe_collapse *out);

/* ymax * rs_prec_resolution(prec): ymax * 2^-8 (bf16), 2^-11 (fp16),
 * 2^-24 (fp32). Pure. */
double rs_probe_collapse_resolution(double ymax, enum rs_prec prec);

/* tv as above for layer in 1..layers, x and xstar of n tokens (one float32
 * forward of both as a batch of 2). Errors as rs_probe_collapse, plus
 * RS_EINVAL for a bad layer. */
RS_NODISCARD int rs_probe_collapse_attn_tv(rs_nn_transformer *tf, rs_graph *g,
                                           const int *x, const int *xstar,
                                           int n, int layer, double *tv,
                                           struct rs_error *err);

/* sum_s |a[s] - b[s]| over n entries, in double. Pure. */
double rs_probe_collapse_tv(const float *a, const float *b, int n);

#endif /* RS_PROBE_COLLAPSE_H */
