# src/data: datasets.
noinst_LIBRARIES += %D%/librs_data.a
%C%_librs_data_a_SOURCES = \
	%D%/modular.c %D%/modular.h
%C%_librs_data_a_SOURCES += %D%/dataset.c %D%/dataset.h
%C%_librs_data_a_SOURCES += %D%/idx.c %D%/idx.h %D%/fmnist.c %D%/fmnist.h
%C%_librs_data_a_SOURCES += %D%/seqtask.c %D%/seqtask.h
%C%_librs_data_a_SOURCES += %D%/source.c %D%/source.h \
	%D%/source_dataset.c %D%/source_seqtask.c %D%/source_corpus.c \
	%D%/source_zip.c
%C%_librs_data_a_SOURCES += %D%/source_imgtext.c %D%/source_imgtext.h
%C%_librs_data_a_SOURCES += %D%/text.c %D%/text.h %D%/source_text.c
%C%_librs_data_a_SOURCES += %D%/relabel.c %D%/relabel.h %D%/tensors.c \
	%D%/tensors.h
