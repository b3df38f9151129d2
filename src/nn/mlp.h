/* PLACEHOLDER */
#ifndef RS_NN_MLP_H
#define RS_NN_MLP_H
#endif
