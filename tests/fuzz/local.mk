# tests/fuzz: libFuzzer harnesses, one per parser that reads what others
# write (configure CC=clang --enable-fuzz, in a build directory of its
# own). `make fuzz [FUZZ_TIME=seconds]` runs each for that long (60 s by
# default) on a scratch copy of its corpus; `make fuzz-smoke` is 20 s
# each, for CI. See tests/fuzz/run.sh.
RS_FUZZERS = %D%/fuzz_idx %D%/fuzz_ckpt %D%/fuzz_runlog %D%/fuzz_json \
	%D%/fuzz_set %D%/fuzz_viewspec %D%/fuzz_scene %D%/fuzz_match \
	%D%/fuzz_rundir
if RS_FUZZ
noinst_PROGRAMS = $(RS_FUZZERS)
endif

RS_FUZZ_COMMON = %D%/fuzz.c %D%/fuzz.h
RS_FUZZ_LINK = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
RS_FUZZ_DEFS = $(AM_CPPFLAGS) -DRS_FUZZ_SRCDIR='"$(abs_top_srcdir)"'
RS_FUZZ_LIBS = $(RS_ALL_LIBS) $(RS_LIBS)
%C%_fuzz_idx_SOURCES = %D%/fuzz_idx.c $(RS_FUZZ_COMMON)
%C%_fuzz_idx_LDFLAGS = $(RS_FUZZ_LINK)
%C%_fuzz_idx_LDADD = $(RS_FUZZ_LIBS)
%C%_fuzz_ckpt_SOURCES = %D%/fuzz_ckpt.c $(RS_FUZZ_COMMON)
%C%_fuzz_ckpt_LDFLAGS = $(RS_FUZZ_LINK)
%C%_fuzz_ckpt_LDADD = $(RS_FUZZ_LIBS)
%C%_fuzz_runlog_SOURCES = %D%/fuzz_runlog.c $(RS_FUZZ_COMMON)
%C%_fuzz_runlog_LDFLAGS = $(RS_FUZZ_LINK)
%C%_fuzz_runlog_LDADD = $(RS_FUZZ_LIBS)
%C%_fuzz_json_SOURCES = %D%/fuzz_json.c $(RS_FUZZ_COMMON)
%C%_fuzz_json_LDFLAGS = $(RS_FUZZ_LINK)
%C%_fuzz_json_LDADD = $(RS_FUZZ_LIBS)
%C%_fuzz_set_SOURCES = %D%/fuzz_set.c $(RS_FUZZ_COMMON) src/cli.c \
	src/cli_sub.c
%C%_fuzz_set_CPPFLAGS = $(RS_FUZZ_DEFS)
%C%_fuzz_set_LDFLAGS = $(RS_FUZZ_LINK)
%C%_fuzz_set_LDADD = $(RS_FUZZ_LIBS)
%C%_fuzz_viewspec_SOURCES = %D%/fuzz_viewspec.c $(RS_FUZZ_COMMON)
%C%_fuzz_viewspec_LDFLAGS = $(RS_FUZZ_LINK)
%C%_fuzz_viewspec_LDADD = ui/librs_ui.a $(RS_FUZZ_LIBS)
%C%_fuzz_scene_SOURCES = %D%/fuzz_scene.c $(RS_FUZZ_COMMON)
%C%_fuzz_scene_CPPFLAGS = $(RS_FUZZ_DEFS)
%C%_fuzz_scene_LDFLAGS = $(RS_FUZZ_LINK)
%C%_fuzz_scene_LDADD = $(RS_FUZZ_LIBS)
%C%_fuzz_rundir_SOURCES = %D%/fuzz_rundir.c $(RS_FUZZ_COMMON)
%C%_fuzz_rundir_LDFLAGS = $(RS_FUZZ_LINK)
%C%_fuzz_rundir_LDADD = $(RS_FUZZ_LIBS)
%C%_fuzz_match_SOURCES = %D%/fuzz_match.c $(RS_FUZZ_COMMON)
%C%_fuzz_match_CPPFLAGS = $(RS_FUZZ_DEFS)
%C%_fuzz_match_LDFLAGS = $(RS_FUZZ_LINK)
%C%_fuzz_match_LDADD = $(RS_FUZZ_LIBS)

EXTRA_DIST += %D%/run.sh %D%/set_scene.lua %D%/gen_corpus.py \
	$(RS_FUZZ_CORPUS)
include %D%/corpus.mk

FUZZ_TIME = 60
FUZZ_JOBS = 2
if RS_FUZZ
fuzz-build: $(RS_FUZZERS)
fuzz: $(RS_FUZZERS)
	@$(SHELL) $(srcdir)/%D%/run.sh -t $(FUZZ_TIME) -j $(FUZZ_JOBS) \
	    -c $(srcdir)/%D%/corpus -o %D%/crashes $(RS_FUZZERS)
fuzz-smoke:
	@$(MAKE) $(AM_MAKEFLAGS) fuzz FUZZ_TIME=20
else
fuzz-build fuzz fuzz-smoke:
	@echo "make $@: the harnesses need a build configured with" \
	    "CC=clang --enable-fuzz (in a build directory of its own," \
	    "e.g. _build-fuzz)" >&2; exit 1
endif
.PHONY: fuzz-build fuzz fuzz-smoke
