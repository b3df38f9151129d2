# src/probe: instruments (rank spectra, dead units).
noinst_LIBRARIES += %D%/librs_probe.a
%C%_librs_probe_a_SOURCES = \
	%D%/rank.c %D%/rank.h \
	%D%/dead.c %D%/dead.h

# Link order, top layer first.
RS_ALL_LIBS = src/probe/librs_probe.a src/nn/librs_nn.a src/core/librs_core.a
