/* PLACEHOLDER */
#ifndef RS_LUA_HOST_H
#define RS_LUA_HOST_H
#endif
