# Lua tests: tests/lua/t_*.lua run by the binary (repscope --test FILE),
# and the C tests of the Lua host, the scene driver under a real session
# and the learner with classify and last_token (the loops it replaced).
LUA_LOG_DRIVER = $(LOG_DRIVER)
LUA_LOG_COMPILER = $(top_builddir)/repscope
AM_LUA_LOG_FLAGS = --test
RS_LUA_TESTS = \
	%D%/lua/t_tensor.lua \
	%D%/lua/t_nn.lua \
	%D%/lua/t_optim.lua \
	%D%/lua/t_data.lua \
	%D%/lua/t_fmnist.lua \
	%D%/lua/t_probe.lua \
	%D%/lua/t_log.lua \
	%D%/lua/t_train.lua \
	%D%/lua/t_scene.lua \
	%D%/lua/t_ckpt.lua \
	%D%/lua/t_learner.lua \
	%D%/lua/t_host.lua \
	%D%/lua/t_json.lua
TESTS += $(RS_LUA_TESTS)
EXTRA_DIST += $(RS_LUA_TESTS)

RS_LUA_SCENE_FIXTURES = \
	%D%/data/scenes/tiny.lua \
	%D%/data/scenes/self_driven.lua \
	%D%/data/scenes/syntax_error.lua \
	%D%/data/scenes/setup_error.lua \
	%D%/data/scenes/step_badarg.lua \
	%D%/data/scenes/global_typo.lua \
	%D%/data/scenes/bad_field.lua \
	%D%/data/scenes/not_scene.lua \
	%D%/data/scenes/safe_probe.lua \
	%D%/data/scenes/two_learners.lua \
	%D%/data/scenes/cut_midrun.lua \
	%D%/data/scenes/swap_data.lua \
	%D%/data/scenes/tour_mini.lua
EXTRA_DIST += $(RS_LUA_SCENE_FIXTURES) %D%/data/ckpt_v1_tiny.bin
RS_LUA_TESTS += %D%/lua/t_objlua.lua %D%/lua/t_surgery.lua
RS_LUA_TESTS += %D%/lua/t_relabel.lua
RS_LUA_TESTS += %D%/lua/t_demp.lua
# a scene's tour: page fields, its JSON, views per chapter
RS_LUA_TESTS += %D%/lua/t_tour.lua

check_PROGRAMS += \
	%D%/t_lua_host \
	%D%/t_lua_session \
	%D%/t_algo_classify \
	%D%/t_algo_last_token
%C%_t_lua_host_LDADD = $(RS_TEST_LIBS)
%C%_t_lua_session_LDADD = $(RS_TEST_LIBS)
%C%_t_algo_classify_LDADD = $(RS_TEST_LIBS)
%C%_t_algo_last_token_LDADD = $(RS_TEST_LIBS)
RS_LUA_TESTS += %D%/lua/t_transformer.lua
RS_LUA_TESTS += %D%/lua/t_seq.lua
RS_LUA_TESTS += %D%/lua/t_errors.lua
RS_LUA_TESTS += %D%/lua/t_graph.lua
check_PROGRAMS += %D%/t_lua_graph
%C%_t_lua_graph_LDADD = $(RS_TEST_LIBS)
RS_LUA_TESTS += %D%/lua/t_man_examples.lua
RS_LUA_TESTS += %D%/lua/t_nnmore.lua
RS_LUA_TESTS += %D%/lua/t_imgtext.lua
RS_LUA_TESTS += %D%/lua/t_sparcprobe.lua
RS_LUA_TESTS += %D%/lua/t_lmprobe.lua
# scenes/trust_region.lua against the toy recomputed in doubles
RS_LUA_TESTS += %D%/lua/t_trust_region.lua
RS_LUA_TESTS += %D%/lua/t_env.lua
# the CLOSE/FAR corridor from Lua: fields, e:corridor(), e:walk(), errors
RS_LUA_TESTS += %D%/lua/t_corridor.lua
RS_LUA_TESTS += %D%/lua/t_retention.lua
# rs.rl.ppo: field errors, CartPole updates from Lua, live set, a scene
RS_LUA_TESTS += %D%/lua/t_ppo.lua
RS_LUA_TESTS += %D%/lua/t_text.lua
RS_LUA_TESTS += %D%/lua/t_griffin.lua
# dynamic evaluation from Lua: field errors, l:dyneval(), rs.update
RS_LUA_TESTS += %D%/lua/t_dyneval.lua
RS_LUA_TESTS += %D%/lua/t_plastprobe.lua
# --safe and the memory caps: the limits from C; tests/lua/t_sandbox.lua
# (the list of escapes) runs under --safe through sh/t_sandbox.sh
check_PROGRAMS += %D%/t_lua_sandbox
%C%_t_lua_sandbox_LDADD = $(RS_TEST_LIBS)
TESTS += %D%/sh/t_sandbox.sh
EXTRA_DIST += %D%/sh/t_sandbox.sh %D%/lua/t_sandbox.lua
%D%/sh/t_sandbox.log: repscope$(EXEEXT)
# the pattern matcher that pays (lua/host_match.c): against Lua's own on
# random cases, the instruction cap, cancel, plain finds
check_PROGRAMS += %D%/t_lua_match
%C%_t_lua_match_LDADD = $(RS_TEST_LIBS)
EXTRA_DIST += %D%/lua/match_diff.lua
