/* PLACEHOLDER */
#ifndef RS_PROBE_RANK_H
#define RS_PROBE_RANK_H
#endif
