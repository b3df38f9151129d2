# src/nn: layers and models built from core ops.
noinst_LIBRARIES += %D%/librs_nn.a
%C%_librs_nn_a_SOURCES = \
	%D%/model.c %D%/model.h \
	%D%/linear.c %D%/linear.h \
	%D%/mlp.c %D%/mlp.h
%C%_librs_nn_a_SOURCES += %D%/module.c %D%/module.h %D%/module_sequential.c
%C%_librs_nn_a_SOURCES += %D%/transformer.c %D%/transformer.h
%C%_librs_nn_a_SOURCES += %D%/module_transformer.c
%C%_librs_nn_a_SOURCES += %D%/surgery.c %D%/surgery.h
%C%_librs_nn_a_SOURCES += %D%/module_embedding.c %D%/module_position.c \
	%D%/module_reshape.c %D%/module_scalar.c
%C%_librs_nn_a_SOURCES += %D%/griffin.c %D%/griffin.h %D%/griffin_impl.h \
	%D%/griffin_decode.c %D%/module_griffin.c
