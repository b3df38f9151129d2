# lua: the Lua 5.4 binding (host, modules, scene driver) and pure-Lua
# helpers installed under $(pkgdatadir)/lua/repscope.
noinst_LIBRARIES += %D%/librs_lua.a
%C%_librs_lua_a_SOURCES = \
	%D%/host.c %D%/host.h \
	%D%/bind.h
luadir = $(pkgdatadir)/lua/repscope
dist_lua_DATA =
