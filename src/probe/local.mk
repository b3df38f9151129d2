# src/probe: instruments (rank spectra, dead units).
noinst_LIBRARIES += %D%/librs_probe.a
%C%_librs_probe_a_SOURCES = \
	%D%/rank.c %D%/rank.h \
	%D%/dead.c %D%/dead.h

