/* PLACEHOLDER */
#ifndef RS_CORE_OPTIM_H
#define RS_CORE_OPTIM_H
#endif
