/* PLACEHOLDER */
#ifndef RS_CORE_BLAS_H
#define RS_CORE_BLAS_H
#endif
