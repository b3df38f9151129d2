# src/run: the session (worker thread, command queue, metric bus, run log,
# checkpoints, headless loop) and the common supervised training loop.
noinst_LIBRARIES += %D%/librs_run.a
%C%_librs_run_a_SOURCES = \
	%D%/bus.c %D%/bus.h \
	%D%/cmdq.c %D%/cmdq.h \
	%D%/runlog.c %D%/runlog.h \
	%D%/ckpt.c %D%/ckpt.h \
	%D%/session.c %D%/session.h \
	%D%/headless.c %D%/headless.h
