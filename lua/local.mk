# lua: the Lua 5.4 binding (host, modules, scene driver, test runner) and
# pure-Lua helpers installed under $(pkgdatadir)/lua/repscope.
noinst_LIBRARIES += %D%/librs_lua.a
%C%_librs_lua_a_SOURCES = \
	%D%/host.c %D%/host.h %D%/host_safe.c %D%/host_match.c %D%/l_host.c \
	%D%/bind.c %D%/bind.h \
	%D%/l_tensor.c \
	%D%/l_tensor_math.c \
	%D%/l_rng.c \
	%D%/l_nn.c \
	%D%/l_optim.c \
	%D%/l_data.c \
	%D%/l_probe.c \
	%D%/l_train.c \
	%D%/l_scene.c %D%/l_scene_ckpt.c %D%/scene_impl.h \
	%D%/l_ckpt.c \
	%D%/l_json.c \
	%D%/l_test.c
%C%_librs_lua_a_SOURCES += %D%/l_transformer.c
%C%_librs_lua_a_SOURCES += %D%/l_seqtask.c
%C%_librs_lua_a_SOURCES += %D%/l_seqprobe.c
%C%_librs_lua_a_SOURCES += %D%/l_learner.c %D%/l_learner_batch.c %D%/l_learner_info.c
%C%_librs_lua_a_SOURCES += %D%/l_objective.c
%C%_librs_lua_a_SOURCES += %D%/l_source.c
%C%_librs_lua_a_SOURCES += %D%/l_objlua.c
%C%_librs_lua_a_SOURCES += %D%/l_surgery.c %D%/l_demp.c
%C%_librs_lua_a_SOURCES += %D%/l_sparcprobe.c
%C%_librs_lua_a_SOURCES += %D%/l_lmprobe.c
%C%_librs_lua_a_SOURCES += %D%/l_ppo.c %D%/l_dyneval.c
luadir = $(pkgdatadir)/lua/repscope
dist_lua_DATA = \
	%D%/repscope/check.lua \
	%D%/repscope/scene.lua \
	%D%/repscope/tap.lua \
	%D%/repscope/views.lua
%C%_librs_lua_a_SOURCES += %D%/l_graph.c %D%/l_graph_ops.c %D%/graph_impl.h
%C%_librs_lua_a_SOURCES += %D%/l_nnmore.c
%C%_librs_lua_a_SOURCES += %D%/l_imgtext.c
%C%_librs_lua_a_SOURCES += %D%/l_objsparc.c
%C%_librs_lua_a_SOURCES += %D%/l_env.c
%C%_librs_lua_a_SOURCES += %D%/l_text.c
%C%_librs_lua_a_SOURCES += %D%/l_griffin.c
%C%_librs_lua_a_SOURCES += %D%/l_plastprobe.c
