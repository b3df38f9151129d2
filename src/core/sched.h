/* PLACEHOLDER */
#ifndef RS_CORE_SCHED_H
#define RS_CORE_SCHED_H
#endif
