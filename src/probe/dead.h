/* PLACEHOLDER */
#ifndef RS_PROBE_DEAD_H
#define RS_PROBE_DEAD_H
#endif
