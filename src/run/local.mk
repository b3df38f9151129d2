# src/run: the session (worker thread, command queue, metric bus, run log,
# checkpoints, headless loop) and the common supervised training loop.
noinst_LIBRARIES += %D%/librs_run.a
%C%_librs_run_a_SOURCES = \
	%D%/bus.c %D%/bus_read.c %D%/bus.h %D%/bus_impl.h \
	%D%/cmdq.c %D%/cmdq.h \
	%D%/json.c %D%/json_write.c %D%/json.h %D%/json_impl.h \
	%D%/runlog.c %D%/runlog.h \
	%D%/ckpt.c %D%/ckpt.h \
	%D%/session.c %D%/session_cmd.c %D%/session_rec.c \
	%D%/session.h %D%/session_impl.h \
	%D%/headless.c %D%/headless.h \
	%D%/attach.c %D%/attach.h \
	%D%/compare.c %D%/compare_views.c %D%/compare_grid.c \
	%D%/compare_groups.c \
	%D%/compare.h %D%/compare_impl.h \
	%D%/replay.c %D%/replay.h \
	%D%/thread.c %D%/thread.h
%C%_librs_run_a_SOURCES += %D%/export.c %D%/export.h \
	%D%/sweep.c %D%/sweep_exec.c %D%/sweep.h %D%/sweep_impl.h
%C%_librs_run_a_SOURCES += %D%/ckpt_learner.c %D%/ckpt_learner.h
