/* PLACEHOLDER */
#ifndef RS_CORE_LINALG_H
#define RS_CORE_LINALG_H
#endif
