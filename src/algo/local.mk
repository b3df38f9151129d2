# src/algo: training procedures: the learner and its objectives.
noinst_LIBRARIES += %D%/librs_algo.a
%C%_librs_algo_a_SOURCES = %D%/objective.c %D%/objective.h \
	%D%/obj_classify.c %D%/learner.c %D%/learner_eval.c %D%/learner_state.c \
	%D%/learner.h \
	%D%/learner_impl.h %D%/learner_probe.c %D%/learner_driver.c \
	%D%/learner_par.c \
	%D%/learner_surgery.c %D%/learner_demp.c
%C%_librs_algo_a_SOURCES += %D%/obj_next_token.c %D%/obj_regularise.c \
	%D%/obj_demp.c %D%/obj_kl.c
%C%_librs_algo_a_SOURCES += %D%/obj_sparc.c %D%/sparc_eval.c %D%/sparc_eval.h
%C%_librs_algo_a_SOURCES += %D%/lm_eval.c %D%/lm_eval.h %D%/dyneval.c %D%/dyneval.h
%C%_librs_algo_a_SOURCES += %D%/rollout.c %D%/rollout.h
%C%_librs_algo_a_SOURCES += %D%/obj_ppo.c
%C%_librs_algo_a_SOURCES += %D%/ppo.c %D%/ppo.h %D%/ppo_impl.h %D%/ppo_metrics.c \
	%D%/ppo_fast.c
%C%_librs_algo_a_SOURCES += %D%/entk.c %D%/entk.h
%C%_librs_algo_a_SOURCES += %D%/demp.c %D%/demp.h
