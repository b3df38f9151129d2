# bench: `make bench` (never part of make check) times the workloads of
# rs_bench and, when torch is importable, the same models in PyTorch
# (bench/torch_ref.py).
EXTRA_PROGRAMS += %D%/rs_bench
%C%_rs_bench_SOURCES = %D%/rs_bench.c %D%/rs_bench.h %D%/rs_bench_sparc.c \
	%D%/rs_bench_ppo.c %D%/rs_bench_hawk.c src/reexec.c src/reexec.h
%C%_rs_bench_LDADD = $(RS_ALL_LIBS) $(RS_LIBS)
CLEANFILES += %D%/rs_bench
EXTRA_DIST += %D%/run.sh %D%/torch_ref.py %D%/ui.sh %D%/lua_objective.lua

bench: %D%/rs_bench$(EXEEXT) repscope$(EXEEXT)
	RS_SRCDIR='$(abs_top_srcdir)' $(SHELL) $(top_srcdir)/%D%/run.sh '$(abs_top_builddir)/%D%/rs_bench$(EXEEXT)'
	RS_SRCDIR='$(abs_top_srcdir)' $(SHELL) $(top_srcdir)/%D%/ui.sh '$(abs_top_builddir)/repscope$(EXEEXT)'
	'$(abs_top_builddir)/repscope$(EXEEXT)' --threads 1 --test '$(abs_top_srcdir)/%D%/lua_objective.lua' | grep '^bench'
.PHONY: bench
