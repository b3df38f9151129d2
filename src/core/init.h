/* PLACEHOLDER */
#ifndef RS_CORE_INIT_H
#define RS_CORE_INIT_H
#endif
