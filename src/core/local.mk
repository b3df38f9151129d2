# src/core: tensors, autodiff, ops, optimisers, RNG, precision, BLAS/LAPACKE.
noinst_LIBRARIES += %D%/librs_core.a
%C%_librs_core_a_SOURCES = \
	%D%/base.c %D%/base.h \
	%D%/tensor.c %D%/tensor.h \
	%D%/arena.c %D%/arena.h \
	%D%/graph.c %D%/graph.h \
	%D%/ops.c %D%/ops.h %D%/ops_impl.h \
	%D%/ops_matmul.c \
	%D%/ops_elementwise.c \
	%D%/ops_unary.c \
	%D%/ops_reduce.c \
	%D%/ops_norm.c \
	%D%/ops_index.c \
	%D%/ops_attention.c \
	%D%/ops_rope.c \
	%D%/ops_rglru.c \
	%D%/ops_conv.c \
	%D%/ops_blockdiag.c \
	%D%/ops_softcap.c \
	%D%/sparse.c %D%/sparse.h \
	%D%/vecmath.c %D%/vecmath.h \
	%D%/blas.c %D%/blas.h \
	%D%/blas_kernel.c %D%/blas_kernel.h \
	%D%/pool.c %D%/pool.h \
	%D%/cpu.c %D%/cpu.h \
	%D%/linalg.c %D%/linalg.h \
	%D%/optim.c %D%/optim.h \
	%D%/optim_keep.c %D%/optim_replace.c %D%/optim_impl.h \
	%D%/sched.c %D%/sched.h \
	%D%/init.c %D%/init.h \
	%D%/rng.c %D%/rng.h \
	%D%/prec.c %D%/prec.h \
	%D%/names.c %D%/names.h
%C%_librs_core_a_SOURCES += %D%/ops_rownorm.c
%C%_librs_core_a_SOURCES += %D%/ops_select.c
%C%_librs_core_a_SOURCES += %D%/ops_mqa.c
