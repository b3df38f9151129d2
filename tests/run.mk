# tests of src/run (owned with src/run).
check_PROGRAMS += \
	tests/t_run_bus \
	tests/t_run_cmdq \
	tests/t_run_runlog \
	tests/t_run_ckpt \
	tests/t_run_session \
	tests/t_run_replay
tests_t_run_bus_LDADD = $(RS_TEST_LIBS)
tests_t_run_cmdq_LDADD = $(RS_TEST_LIBS)
tests_t_run_runlog_LDADD = $(RS_TEST_LIBS)
tests_t_run_ckpt_LDADD = $(RS_TEST_LIBS)
tests_t_run_session_LDADD = $(RS_TEST_LIBS)
# run/export.c (tidy CSV) and run/sweep.c (grid, manifest, Slurm script)
check_PROGRAMS += tests/t_run_export tests/t_run_sweep
tests_t_run_export_LDADD = $(RS_TEST_LIBS)
tests_t_run_sweep_LDADD = $(RS_TEST_LIBS)
tests_t_run_replay_LDADD = $(RS_TEST_LIBS)
# write errors in the run directory (a file-size limit as a full disk)
check_PROGRAMS += tests/t_run_faults
tests_t_run_faults_LDADD = $(RS_TEST_LIBS)
