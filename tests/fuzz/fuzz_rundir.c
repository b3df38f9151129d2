/* repscope - MIT licence, see COPYING.
 *
 * fuzz_rundir.c: the files of a run or sweep directory that repscope reads
 * back besides attach's logs (fuzz_runlog): run.jsonl as `repscope replay`
 * and --resume read it (run/replay.h: the meta line, the actions, the
 * rules for a killed and resumed run), and sweep.json as `sweep --resume`
 * and `compare SWEEPDIR` read it (run/sweep.h, with the exit codes of
 * exit/). Such directories are copied between machines and people. The
 * first byte picks the file (bit 0: sweep.json, else run.jsonl), the rest
 * is its text, written into the scratch directory beside an empty
 * scene.lua. A read either fails with a message naming the file or gives
 * a value every getter can be asked; each replay action must come back
 * from its own line as the same action, and its line must be stable
 * after one round (format, parse, format).
 */
#include "config.h"

#include "tests/fuzz/fuzz.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "run/replay.h"
#include "run/sweep.h"

/* Format a and parse the line into *back; the line. */
static char *
reparse(const struct rs_replay_action *a, struct rs_replay_action *back)
{
    struct rs_error err = {0};
    char *line = rs_replay_format(a);
    bool is_action = false;
    CHECK(rs_replay_parse(line, strlen(line), back, &is_action, &err) ==
              RS_OK &&
          is_action);
    return line;
}

static void
read_replay(const char *dir)
{
    struct rs_error err = {0};
    rs_replay *r = rs_replay_read(dir, &err);
    if (r == NULL) {
        CHECK(strstr(err.msg, "run.jsonl") != NULL ||
              strstr(err.msg, "scene.lua") != NULL);
        return;
    }
    CHECK(rs_replay_scene_name(r) != NULL && rs_replay_note(r) != NULL &&
          rs_replay_kernel(r) != NULL);
    int nsets = 0;
    const char *const *sets = rs_replay_sets(r, &nsets);
    for (int i = 0; i < nsets; i++)
        CHECK(strchr(sets[i], '=') != NULL);
    (void)rs_replay_seed(r);
    (void)rs_replay_steps(r);
    (void)rs_replay_threads(r);
    (void)rs_replay_checkpoint_every(r);
    (void)rs_replay_pause_on_nonfinite(r);
    for (int i = 0; i < rs_replay_count(r); i++) {
        const struct rs_replay_action *a = rs_replay_action(r, i);
        struct rs_replay_action back, again;
        char *line = reparse(a, &back);
        CHECK(back.after_step == a->after_step && back.ok == a->ok &&
              back.cmd.kind == a->cmd.kind);
        /* the text of a string may change once (invalid UTF-8 is written
         * as U+FFFD), never again */
        char *line2 = reparse(&back, &again);
        char *line3 = rs_replay_format(&again);
        CHECK(strcmp(line2, line3) == 0);
        free(line3);
        free(line2);
        free(line);
    }
    rs_replay_free(r);
}

static void
read_sweep(const char *dir)
{
    struct rs_error err = {0};
    rs_sweep *sw = rs_sweep_load(dir, &err);
    if (sw == NULL) {
        CHECK(strstr(err.msg, "sweep.json") != NULL);
        return;
    }
    for (int i = 0; i < rs_sweep_npoints(sw); i++) {
        CHECK(rs_sweep_point_name(sw, i) != NULL &&
              rs_sweep_point_dir(sw, i) != NULL &&
              rs_sweep_point_command(sw, i) != NULL);
        (void)rs_sweep_point_exit(sw, i);
        (void)rs_sweep_point_is_done(sw, i);
    }
    FILE *null = fopen("/dev/null", "w");
    CHECK(null != NULL);
    (void)rs_sweep_report(sw, null);
    fclose(null);
    rs_sweep_free(sw);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char *runlog, *sweep;
    if (runlog == NULL) {
        char *scene = fuzz_path("scene.lua");
        fuzz_write(scene, "", 0);
        free(scene);
        runlog = fuzz_path("run.jsonl");
        sweep = fuzz_path("sweep.json");
    }
    if (size < 1)
        return 0;
    if (data[0] & 1) {
        fuzz_write(sweep, data + 1, size - 1);
        read_sweep(fuzz_dir());
    } else {
        fuzz_write(runlog, data + 1, size - 1);
        read_replay(fuzz_dir());
    }
    return 0;
}
