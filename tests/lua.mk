# Lua tests: tests/lua/t_*.lua run by the binary (repscope --test FILE).
LUA_LOG_DRIVER = $(LOG_DRIVER)
LUA_LOG_COMPILER = $(top_builddir)/repscope
AM_LUA_LOG_FLAGS = --test
RS_LUA_TESTS =
TESTS += $(RS_LUA_TESTS)
EXTRA_DIST += $(RS_LUA_TESTS)
