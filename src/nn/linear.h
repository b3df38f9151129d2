/* PLACEHOLDER */
#ifndef RS_NN_LINEAR_H
#define RS_NN_LINEAR_H
#endif
