/* PLACEHOLDER */
#ifndef RS_NN_MODEL_H
#define RS_NN_MODEL_H
#endif
