# src/probe: instruments (rank spectra, dead units, transformer
# sensitivity and collapse, ridge linear probes) and the runner that
# applies a probe spec to a learner's layers.
noinst_LIBRARIES += %D%/librs_probe.a
%C%_librs_probe_a_SOURCES = \
	%D%/rank.c %D%/rank.h \
	%D%/dead.c %D%/dead.h \
	%D%/sensitivity.c %D%/sensitivity.h \
	%D%/collapse.c %D%/collapse.h \
	%D%/linprobe.c %D%/linprobe.h \
	%D%/runner.c %D%/runner.h
%C%_librs_probe_a_SOURCES += %D%/preact.c %D%/preact.h
