/* repscope - MIT licence, see COPYING.
 *
 * griffin_impl.h: the model struct of nn/griffin.h, shared by griffin.c
 * (parameters, forward) and griffin_decode.c (the decoder reads the same
 * parameter indices). Not for other files. Worker thread only.
 */
#ifndef RS_NN_GRIFFIN_IMPL_H
#define RS_NN_GRIFFIN_IMPL_H

#include "nn/griffin.h"
#include "nn/linear.h"

/* RMSNorm's epsilon (RecurrentGemma's layers.py::RMSNorm). */
#define RS_NN_GRIFFIN_NORM_EPS 1e-6f

/* Parameter indices of a recurrent temporal block. */
struct gf_rec {
    struct rs_nn_linear linear_y, linear_x, linear_out;
    int conv_w, conv_b;     /* (K, lru), (lru) */
    int gate_a_w, gate_a_b; /* (heads, w, w), (lru) */
    int gate_x_w, gate_x_b;
    int a_param; /* (lru) */
};

/* Parameter indices of a local MQA temporal block. */
struct gf_attn {
    struct rs_nn_linear q, k, v, out;
};

struct gf_layer {
    char kind;           /* 'R' or 'A' */
    int tnorm, cnorm;    /* scale (d) of the two RMSNorms */
    struct gf_rec rec;   /* kind 'R' */
    struct gf_attn attn; /* kind 'A' */
    struct rs_nn_linear up1, up2, down;
};

struct rs_nn_griffin {
    struct rs_nn_griffin_config cfg;
    rs_nn_model *model;
    int embed;            /* embed.weight (V, d) */
    int fnorm;            /* fnorm.scale (d) */
    struct gf_layer *lay; /* layers */
    /* Last forward, arena-borrowed. */
    rs_tensor *x0, *y, *logits;
    rs_tensor **hout; /* layers: x_l (B, T, d) */
    rs_tensor **gate; /* layers: a_t (B, T, lru) or NULL */
};

#endif /* RS_NN_GRIFFIN_IMPL_H */
