# src/algo: training procedures (the common supervised loop first).
noinst_LIBRARIES += %D%/librs_algo.a
%C%_librs_algo_a_SOURCES = \
	%D%/supervised.c %D%/supervised.h
%C%_librs_algo_a_SOURCES += %D%/seqtrain.c %D%/seqtrain.h
