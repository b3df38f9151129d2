/* PLACEHOLDER */
#ifndef RS_CORE_CPU_H
#define RS_CORE_CPU_H
#endif
