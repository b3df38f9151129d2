# src/env: environments for reinforcement learning.
noinst_LIBRARIES += %D%/librs_env.a
%C%_librs_env_a_SOURCES = %D%/env.c %D%/env.h %D%/env_cartpole.c \
	%D%/env_breakout.c %D%/env_corridor.c
