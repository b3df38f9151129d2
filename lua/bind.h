/* PLACEHOLDER */
#ifndef RS_LUA_BIND_H
#define RS_LUA_BIND_H
#endif
