# tests: TAP programs and scripts run by automake's tap-driver.sh.
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
SH_LOG_DRIVER = $(LOG_DRIVER)
TEST_EXTENSIONS = .sh .lua
SH_LOG_COMPILER = $(SHELL)
AM_TESTS_ENVIRONMENT = RS_SRCDIR='$(abs_top_srcdir)'; \
	RS_BUILDDIR='$(abs_top_builddir)'; RS_DATADIR='$(abs_top_srcdir)'; \
	TERM=xterm-256color; LC_ALL=C.UTF-8; \
	export RS_SRCDIR RS_BUILDDIR RS_DATADIR TERM LC_ALL;

check_LIBRARIES += %D%/libtap.a
%C%_libtap_a_SOURCES = %D%/tap.c %D%/tap.h %D%/gradcheck.c %D%/gradcheck.h \
	%D%/learn_fixture.c %D%/learn_fixture.h \
	%D%/dyneval_fixture.c %D%/dyneval_fixture.h \
	%D%/obj_fixture.c %D%/obj_fixture.h \
	%D%/lua_fixture.c %D%/lua_fixture.h

RS_TEST_LIBS = %D%/libtap.a $(RS_ALL_LIBS) $(RS_LIBS)

check_PROGRAMS += \
	%D%/t_core_base \
	%D%/t_core_grad_elementwise \
	%D%/t_core_grad_nn \
	%D%/t_core_matmul \
	%D%/t_core_optim \
	%D%/t_core_prec \
	%D%/t_nn_mlp \
	%D%/t_probe_rank \
	%D%/t_probe_dead \
	%D%/t_data_modular
%C%_t_core_base_LDADD = $(RS_TEST_LIBS)
%C%_t_core_grad_elementwise_LDADD = $(RS_TEST_LIBS)
%C%_t_core_grad_nn_LDADD = $(RS_TEST_LIBS)
%C%_t_core_matmul_LDADD = $(RS_TEST_LIBS)
%C%_t_core_optim_LDADD = $(RS_TEST_LIBS)
%C%_t_core_prec_LDADD = $(RS_TEST_LIBS)
%C%_t_nn_mlp_LDADD = $(RS_TEST_LIBS)
%C%_t_probe_rank_LDADD = $(RS_TEST_LIBS)
%C%_t_probe_dead_LDADD = $(RS_TEST_LIBS)
%C%_t_data_modular_LDADD = $(RS_TEST_LIBS)
%C%_t_parity_torch_LDADD = $(RS_TEST_LIBS)
# Not a test on its own: t_parity_torch.sh feeds it PyTorch's reference run.
EXTRA_PROGRAMS += %D%/t_parity_torch
CLEANFILES += %D%/t_parity_torch$(EXEEXT)
%D%/sh/t_parity_torch.log: %D%/t_parity_torch$(EXEEXT)
%C%_t_parity_griffin_LDADD = $(RS_TEST_LIBS)
# The same for the griffin module kind (t_parity_griffin.sh).
EXTRA_PROGRAMS += %D%/t_parity_griffin
CLEANFILES += %D%/t_parity_griffin$(EXEEXT)
%D%/sh/t_parity_griffin.log: %D%/t_parity_griffin$(EXEEXT)

RS_SH_TESTS = \
	%D%/sh/t_layering.sh \
	%D%/sh/t_symbols.sh \
	%D%/sh/t_parity_torch.sh \
	%D%/sh/t_parity_griffin.sh \
	%D%/sh/t_man.sh \
	%D%/sh/t_scenes_smoke.sh \
	%D%/sh/t_dyneval_scene.sh \
	%D%/sh/t_plasticity_scene.sh \
	%D%/sh/t_demp_scene.sh \
	%D%/sh/t_forgetting_scene.sh \
	%D%/sh/t_keys_man.sh \
	%D%/sh/t_frame.sh \
	%D%/sh/t_attach.sh \
	%D%/sh/t_replay.sh \
	%D%/sh/t_grokking.sh \
	%D%/sh/t_tui_tmux.sh \
	%D%/sh/t_tour.sh \
	%D%/sh/t_cli.sh \
	%D%/sh/t_dist.sh \
	%D%/sh/t_paths.sh \
	%D%/sh/t_export.sh \
	%D%/sh/t_sweep.sh \
	%D%/sh/t_compare.sh \
	%D%/sh/t_slurm.sh \
	%D%/sh/t_faults_disk.sh \
	%D%/sh/t_faults_kill.sh \
	%D%/sh/t_faults_signals.sh

TESTS += $(check_PROGRAMS) $(RS_SH_TESTS)
EXTRA_DIST += $(RS_SH_TESTS) %D%/parity_torch.py %D%/parity_griffin.py
# Not a test: the tmux plumbing the terminal tests source.
EXTRA_DIST += %D%/sh/tmux.sh
CLEANFILES += -r %D%/tmp
check_PROGRAMS += %D%/t_data_idx
%C%_t_data_idx_LDADD = $(RS_TEST_LIBS)
check_PROGRAMS += %D%/t_data_seqtask
%C%_t_data_seqtask_LDADD = $(RS_TEST_LIBS)
check_PROGRAMS += %D%/t_nn_transformer
%C%_t_nn_transformer_LDADD = $(RS_TEST_LIBS)
check_PROGRAMS += %D%/t_probe_sensitivity %D%/t_probe_collapse
%C%_t_probe_sensitivity_LDADD = $(RS_TEST_LIBS)
%C%_t_probe_collapse_LDADD = $(RS_TEST_LIBS)
check_PROGRAMS += %D%/t_core_grad_attn
%C%_t_core_grad_attn_LDADD = $(RS_TEST_LIBS)
check_PROGRAMS += %D%/t_core_grad_recurrent
%C%_t_core_grad_recurrent_LDADD = $(RS_TEST_LIBS)
check_PROGRAMS += %D%/t_core_vecmath
%C%_t_core_vecmath_LDADD = $(RS_TEST_LIBS)
check_PROGRAMS += %D%/t_core_sparse
%C%_t_core_sparse_LDADD = $(RS_TEST_LIBS)
check_PROGRAMS += %D%/t_probe_linprobe
%C%_t_probe_linprobe_LDADD = $(RS_TEST_LIBS)
# The program-level re-exec (src/reexec.c, part of no layer library).
check_PROGRAMS += %D%/t_main_reexec
%C%_t_main_reexec_SOURCES = %D%/t_main_reexec.c src/reexec.c src/reexec.h
%C%_t_main_reexec_LDADD = $(RS_TEST_LIBS)

# the JSON codec (run/json.h)
check_PROGRAMS += %D%/t_run_json
%C%_t_run_json_LDADD = $(RS_TEST_LIBS)
# the attach feeder's reading of a run directory (run/attach.h)
check_PROGRAMS += %D%/t_run_attach
%C%_t_run_attach_LDADD = $(RS_TEST_LIBS)
# several run directories on one bus (run/compare.h)
check_PROGRAMS += %D%/t_run_compare
%C%_t_run_compare_LDADD = $(RS_TEST_LIBS)

check_PROGRAMS += %D%/t_core_pool
%C%_t_core_pool_LDADD = $(RS_TEST_LIBS)
check_PROGRAMS += %D%/t_core_names
%C%_t_core_names_LDADD = $(RS_TEST_LIBS)
check_PROGRAMS += %D%/t_data_source
%C%_t_data_source_LDADD = $(RS_TEST_LIBS)
check_PROGRAMS += %D%/t_data_relabel
%C%_t_data_relabel_LDADD = $(RS_TEST_LIBS)
check_PROGRAMS += %D%/t_algo_learner
%C%_t_algo_learner_LDADD = $(RS_TEST_LIBS)
check_PROGRAMS += %D%/t_run_ckpt_learner
%C%_t_run_ckpt_learner_LDADD = $(RS_TEST_LIBS)
check_PROGRAMS += %D%/t_algo_objectives
%C%_t_algo_objectives_LDADD = $(RS_TEST_LIBS)
check_PROGRAMS += %D%/t_algo_retention
%C%_t_algo_retention_LDADD = $(RS_TEST_LIBS)
# the probe runner (probe/runner.h) on a hand-set MLP
check_PROGRAMS += %D%/t_probe_runner
%C%_t_probe_runner_LDADD = $(RS_TEST_LIBS)
# replacing parameters: core/optim.h swaps and nn/surgery.h
check_PROGRAMS += %D%/t_core_optim_replace
%C%_t_core_optim_replace_LDADD = $(RS_TEST_LIBS)
check_PROGRAMS += %D%/t_nn_surgery
%C%_t_nn_surgery_LDADD = $(RS_TEST_LIBS)
check_PROGRAMS += %D%/t_algo_surgery
%C%_t_algo_surgery_LDADD = $(RS_TEST_LIBS)
# the embedding, position, reshape and scalar modules; token sequentials
check_PROGRAMS += %D%/t_nn_modules_more
%C%_t_nn_modules_more_LDADD = $(RS_TEST_LIBS)
check_PROGRAMS += %D%/t_data_imgtext
%C%_t_data_imgtext_LDADD = $(RS_TEST_LIBS)
check_PROGRAMS += %D%/t_core_grad_sparc
%C%_t_core_grad_sparc_LDADD = $(RS_TEST_LIBS)
check_PROGRAMS += %D%/t_algo_sparc
%C%_t_algo_sparc_LDADD = $(RS_TEST_LIBS)
check_PROGRAMS += %D%/t_algo_lm_eval
%C%_t_algo_lm_eval_LDADD = $(RS_TEST_LIBS)
TESTS += %D%/lua/t_objsparc.lua
EXTRA_DIST += %D%/lua/t_objsparc.lua
check_PROGRAMS += %D%/t_core_sched
%C%_t_core_sched_LDADD = $(RS_TEST_LIBS)
check_PROGRAMS += %D%/t_env_wrapper %D%/t_env_cartpole %D%/t_env_breakout \
	%D%/t_env_lua
%C%_t_env_wrapper_LDADD = $(RS_TEST_LIBS)
%C%_t_env_cartpole_LDADD = $(RS_TEST_LIBS)
%C%_t_env_breakout_LDADD = $(RS_TEST_LIBS)
%C%_t_env_lua_LDADD = $(RS_TEST_LIBS)
# the CLOSE/FAR corridor (issue 17)
check_PROGRAMS += %D%/t_env_corridor
%C%_t_env_corridor_LDADD = $(RS_TEST_LIBS)
# PPO (issue 12): GAE and the rollout source; the PPO driver
check_PROGRAMS += %D%/t_algo_gae %D%/t_algo_ppo
%C%_t_algo_gae_LDADD = $(RS_TEST_LIBS)
%C%_t_algo_ppo_LDADD = $(RS_TEST_LIBS)
# pick, clamp, minimum (ops_select.c) and PPO's clipped surrogate
check_PROGRAMS += %D%/t_core_grad_select
%C%_t_core_grad_select_LDADD = $(RS_TEST_LIBS)
# the ppo objective (obj_ppo.c) on hand-built rollout batches
check_PROGRAMS += %D%/t_algo_ppo_loss
%C%_t_algo_ppo_loss_LDADD = $(RS_TEST_LIBS)
check_PROGRAMS += %D%/t_algo_ppo_capacity
%C%_t_algo_ppo_capacity_LDADD = $(RS_TEST_LIBS)
# learners side by side (rs_learners_update): bit for bit the sequential run
check_PROGRAMS += %D%/t_algo_learner_par
%C%_t_algo_learner_par_LDADD = $(RS_TEST_LIBS)
check_PROGRAMS += %D%/t_data_text
%C%_t_data_text_LDADD = $(RS_TEST_LIBS)
# half RoPE and multi-query local attention (ops_rope.c, ops_mqa.c)
check_PROGRAMS += %D%/t_core_grad_mqa
%C%_t_core_grad_mqa_LDADD = $(RS_TEST_LIBS)
check_PROGRAMS += %D%/t_nn_griffin
%C%_t_nn_griffin_LDADD = $(RS_TEST_LIBS)
# dynamic evaluation (algo/dyneval.h) on a corpus written by the tests
check_PROGRAMS += %D%/t_algo_dyneval %D%/t_algo_dyneval_stream
%C%_t_algo_dyneval_LDADD = $(RS_TEST_LIBS)
%C%_t_algo_dyneval_stream_LDADD = $(RS_TEST_LIBS)
# per-unit pre-activation means and their histogram (probe/preact.h)
check_PROGRAMS += %D%/t_probe_preact
%C%_t_probe_preact_LDADD = $(RS_TEST_LIBS)
# the empirical NTK (algo/entk.h) against closed forms
check_PROGRAMS += %D%/t_algo_entk
%C%_t_algo_entk_LDADD = $(RS_TEST_LIBS)
check_PROGRAMS += %D%/t_algo_demp
%C%_t_algo_demp_LDADD = $(RS_TEST_LIBS)
check_PROGRAMS += %D%/t_algo_demp_noise
%C%_t_algo_demp_noise_LDADD = $(RS_TEST_LIBS)
