/* repscope - MIT licence, see COPYING.
 *
 * t_run_sweep.c: a sweep's grid and manifest (run/sweep.h). Seeds lists
 * (ranges, lists, both) and the messages for bad ones; the cartesian
 * product in its order (first --set slowest, seeds fastest) with each
 * point's name, run directory and command; the errors a bad --set, a
 * repeated key and two points with one directory name give; sweep.json
 * written and read back the same, a second sweep refused in its
 * directory; which points are done (a done event, exit code 0 or
 * unknown) and which pending; exit codes from exit/; a failed point's
 * directory moved aside; GNU parallel's argv and the Slurm script (array
 * spec compressed to ranges, resources, one point per task).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base.h"
#include "run/sweep.h"
#include "tests/tap.h"

static void
test_seeds(void)
{
    static const struct {
        const char *in;
        int n;
        long first, last;
    } good[] = {
        {"1-8", 8, 1, 8}, {"1,3,5", 3, 1, 5}, {"2-3,7", 3, 2, 7},
        {"0", 1, 0, 0},   {"4-4", 1, 4, 4},
    };
    for (size_t i = 0; i < RS_ARRAY_LEN(good); i++) {
        long *v = NULL;
        int n = 0;
        struct rs_error err = {0};
        int rc = rs_sweep_parse_seeds(good[i].in, &v, &n, &err);
        tap_ok(rc == RS_OK && n == good[i].n && v[0] == good[i].first &&
                   v[n - 1] == good[i].last,
               "--seeds %s: %d seeds, %ld..%ld %s", good[i].in, n,
               n > 0 ? v[0] : -1, n > 0 ? v[n - 1] : -1, err.msg);
        free(v);
    }
    static const char *const bad[][2] = {
        {"3-1", "--seeds '3-1': the range '3-1' runs backwards (write 1-3)"},
        {"1,,2", "--seeds '1,,2': an empty item"},
        {"", "--seeds '': an empty item"},
        {"1,", "--seeds '1,': an empty item"},
        {"x", "--seeds 'x': 'x' is not a seed (0..4294967295) or a range of "
              "them like 1-8"},
        {"1-", "--seeds '1-': '1-' is not a seed (0..4294967295) or a range "
               "of them like 1-8"},
        {"-2", "--seeds '-2': '-2' is not a seed (0..4294967295) or a range "
               "of them like 1-8"},
    };
    for (size_t i = 0; i < RS_ARRAY_LEN(bad); i++) {
        long *v = NULL;
        int n = 0;
        struct rs_error err = {0};
        int rc = rs_sweep_parse_seeds(bad[i][0], &v, &n, &err);
        tap_ok(rc == RS_EINVAL && v == NULL, "--seeds '%s' refused", bad[i][0]);
        tap_is_str(err.msg, bad[i][1], "... saying why");
    }
}

static rs_sweep *
make(const char *dir, const char *const *sets, int nsets, const char *seeds,
     struct rs_error *err)
{
    struct rs_sweep_spec spec = {
        .exe = "/bin/repscope",
        .scene = "/s/demo mlp.lua",
        .dir = dir,
        .sets = sets,
        .nsets = nsets,
        .seeds = seeds,
        .steps = 50,
    };
    return rs_sweep_new(&spec, err);
}

static void
test_grid(void)
{
    struct rs_error err = {0};
    const char *sets[] = {"lr=1e-3,3e-3", "act=relu,tanh,gelu"};
    rs_sweep *sw = make("/d", sets, 2, "1-2", &err);
    tap_ok(sw != NULL, "a 2 x 3 x 2 grid %s", err.msg);
    if (sw == NULL)
        return;
    tap_is_int(rs_sweep_npoints(sw), 12, "12 points");
    tap_is_str(rs_sweep_point_name(sw, 0), "lr=1e-3,act=relu,seed=1",
               "point 0");
    tap_is_str(rs_sweep_point_name(sw, 1), "lr=1e-3,act=relu,seed=2",
               "point 1: the seed varies fastest");
    tap_is_str(rs_sweep_point_name(sw, 2), "lr=1e-3,act=tanh,seed=1",
               "point 2: then the last --set");
    tap_is_str(rs_sweep_point_name(sw, 11), "lr=3e-3,act=gelu,seed=2",
               "point 11: the first --set slowest");
    tap_is_str(rs_sweep_point_dir(sw, 11), "/d/lr=3e-3,act=gelu,seed=2",
               "its run directory");
    tap_is_str(rs_sweep_point_command(sw, 3),
               "/bin/repscope --headless '/s/demo mlp.lua' --set lr=1e-3 "
               "--set act=tanh --seed 2 --steps 50 --out "
               "/d/lr=1e-3,act=tanh,seed=2 >/d/logs/lr=1e-3,act=tanh,"
               "seed=2.log 2>&1",
               "its command, quoted for the shell");
    tap_is_int(rs_sweep_point_exit(sw, 3), -1, "no exit code yet");
    rs_sweep_free(sw);

    const char *odd[] = {"norm=a/b,x y"};
    sw = make("/d", odd, 1, NULL, &err);
    tap_ok(sw != NULL && strcmp(rs_sweep_point_name(sw, 0), "norm=a_b") == 0 &&
               strcmp(rs_sweep_point_name(sw, 1), "norm=x_y") == 0,
           "no seeds: no seed in the name; '/' and ' ' become '_'");
    tap_ok(sw != NULL && strstr(rs_sweep_point_command(sw, 1),
                                "--set 'norm=x y' --steps") != NULL,
           "the value itself is passed as given");
    rs_sweep_free(sw);
    sw = make("/d", NULL, 0, NULL, &err);
    tap_ok(sw != NULL && rs_sweep_npoints(sw) == 1 &&
               strcmp(rs_sweep_point_name(sw, 0), "default") == 0,
           "no --set and no seeds: one point, 'default'");
    rs_sweep_free(sw);

    static const struct {
        const char *set;
        const char *msg;
    } bad[] = {
        {"lr", "--set 'lr': expected KEY=V1,V2,..."},
        {"=1", "--set '=1': expected KEY=V1,V2,..."},
        {"lr=", "--set 'lr=': an empty list of values"},
        {"lr=1,,2", "--set 'lr=1,,2': value 2 is empty"},
        {"lr=1,", "--set 'lr=1,': value 2 is empty"},
        {"n=a/b,a_b", "two points of the grid would share the run directory "
                      "'n=a_b' (points 0 and 1): make the values differ in "
                      "letters, digits or ._+=-"},
    };
    for (size_t i = 0; i < RS_ARRAY_LEN(bad); i++) {
        const char *one[] = {bad[i].set};
        sw = make("/d", one, 1, NULL, &err);
        tap_ok(sw == NULL && err.code == RS_EINVAL, "--set %s refused",
               bad[i].set);
        tap_is_str(err.msg, bad[i].msg, "... saying why");
        rs_sweep_free(sw);
    }
    const char *twice[] = {"lr=1", "lr=2"};
    sw = make("/d", twice, 2, NULL, &err);
    tap_ok(sw == NULL && strstr(err.msg, "lr is set twice") != NULL,
           "a key set twice: %s", err.msg);
    sw = make("/d", sets, 2, "5-1", &err);
    tap_ok(sw == NULL && strstr(err.msg, "runs backwards") != NULL,
           "bad seeds refused by rs_sweep_new too");
}

static void
write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    RS_ASSERT(f != NULL);
    fputs(text, f);
    fclose(f);
}

static bool
is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void
test_manifest(void)
{
    char *tmp = tap_tmpdir("t_run_sweep");
    char *dir = rs_xasprintf("%s/sw", tmp);
    struct rs_error err = {0};
    const char *sets[] = {"lr=1,2"};
    rs_sweep *sw = make(dir, sets, 1, "7,9", &err);
    RS_ASSERT(sw != NULL);
    tap_is_int(rs_sweep_create(sw, &err), RS_OK, "created %s", err.msg);
    rs_sweep *again = make(dir, sets, 1, "7,9", &err);
    tap_ok(rs_sweep_create(again, &err) == RS_EINVAL &&
               strstr(err.msg, "holds a sweep already (sweep.json)") != NULL,
           "a directory with a sweep is refused: %s", err.msg);
    rs_sweep_free(again);

    rs_sweep *back = rs_sweep_load(dir, &err);
    tap_ok(back != NULL, "sweep.json reads back %s", err.msg);
    if (back == NULL)
        goto out;
    tap_is_int(rs_sweep_npoints(back), 4, "4 points");
    bool same = true;
    for (int i = 0; i < 4; i++)
        same =
            same &&
            strcmp(rs_sweep_point_name(sw, i), rs_sweep_point_name(back, i)) ==
                0 &&
            strcmp(rs_sweep_point_command(sw, i),
                   rs_sweep_point_command(back, i)) == 0 &&
            strcmp(rs_sweep_point_dir(sw, i), rs_sweep_point_dir(back, i)) == 0;
    tap_ok(same, "names, run directories and commands the same");

    int *idx = NULL, n = 0, *busy = NULL, nbusy = 0;
    rs_sweep_pending(back, &idx, &n, &busy, &nbusy);
    tap_is_int(n, 4, "nothing ran: 4 pending");
    free(idx);
    free(busy);
    /* point 0 done, point 1 done but exit 1, point 2 ran without a done
     * event, point 3 never started */
    for (int i = 0; i < 3; i++) {
        char *d = rs_xasprintf("%s/%s", dir, rs_sweep_point_name(back, i));
        char *log = rs_xasprintf("%s/run.jsonl", d);
        RS_ASSERT(mkdir(d, 0777) == 0);
        write_text(log, i < 2 ? "{\"type\":\"meta\"}\n{\"step\":1,\"l\":1}\n"
                                "{\"type\":\"event\",\"step\":1,\"kind\":"
                                "\"done\",\"text\":\"done at step 1\"}\n"
                              : "{\"type\":\"meta\"}\n{\"step\":1,\"l\":1}\n");
        free(log);
        free(d);
    }
    /* point 3: a log longer than the tail that is read, done at its end */
    {
        char *d = rs_xasprintf("%s/%s", dir, rs_sweep_point_name(back, 3));
        char *log = rs_xasprintf("%s/run.jsonl", d);
        RS_ASSERT(mkdir(d, 0777) == 0);
        FILE *f = fopen(log, "w");
        RS_ASSERT(f != NULL);
        for (int i = 0; i < 20000; i++)
            fprintf(f, "{\"step\":%d,\"train/loss\":0.125}\n", i);
        fputs("{\"type\":\"event\",\"step\":20000,\"kind\":\"done\","
              "\"text\":\"done\"}\n",
              f);
        fclose(f);
        tap_ok(rs_sweep_point_is_done(back, 3),
               "a long log (%ld bytes) ending done is done",
               20000L * 33);
        write_text(log, "{\"type\":\"meta\"}\n");
        free(log);
        free(d);
    }
    char *ex0 = rs_xasprintf("%s/exit/0", dir);
    char *ex1 = rs_xasprintf("%s/exit/1", dir);
    write_text(ex0, "0\n");
    write_text(ex1, "1\n");
    rs_sweep_collect(back);
    tap_is_int(rs_sweep_point_exit(back, 0), 0, "exit code 0 collected");
    tap_is_int(rs_sweep_point_exit(back, 1), 1, "exit code 1 collected");
    tap_is_int(rs_sweep_point_exit(back, 2), -1, "no exit file: unknown");
    tap_ok(rs_sweep_point_is_done(back, 0), "point 0 is done");
    tap_ok(!rs_sweep_point_is_done(back, 1), "point 1 (exit 1) is not");
    tap_ok(!rs_sweep_point_is_done(back, 2), "point 2 (no done) is not");
    /* point 2 runs here now (this process), point 3's marker is stale
     * (a pid that cannot be alive), point 1's is on another host with no
     * Slurm to ask */
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    char *run2 = rs_xasprintf("%s/running/2", dir);
    char *run3 = rs_xasprintf("%s/running/3", dir);
    char *run1 = rs_xasprintf("%s/running/1", dir);
    char *rdir = rs_xasprintf("%s/running", dir);
    RS_ASSERT(mkdir(rdir, 0777) == 0);
    char *mine = rs_xasprintf("%s %ld\n", host, (long)getpid());
    char *gone = rs_xasprintf("%s 2147483646\n", host);
    write_text(run2, mine);
    write_text(run3, gone);
    write_text(run1, "elsewhere.invalid 1 4242_1\n");
    char why[400] = "";
    tap_ok(rs_sweep_point_running(back, 2, why, sizeof why) &&
               strstr(why, host) != NULL,
           "a point whose pid lives here is running (%s)", why);
    tap_ok(!rs_sweep_point_running(back, 3, NULL, 0),
           "a marker whose pid is gone is stale");
    tap_ok(!rs_sweep_point_running(back, 1, NULL, 0),
           "another host's point, no squeue to ask: not running");
    rs_sweep_pending(back, &idx, &n, &busy, &nbusy);
    tap_ok(n == 2 && idx[0] == 1 && idx[1] == 3 && nbusy == 1 && busy[0] == 2,
           "pending: 1 and 3; 2 is running");
    free(idx);
    free(busy);
    unlink(run2);
    unlink(run3);
    unlink(run1);
    free(run1);
    free(run2);
    free(run3);
    free(rdir);
    free(mine);
    free(gone);
    rs_sweep_pending(back, &idx, &n, &busy, &nbusy);
    free(busy);
    tap_ok(n == 3 && idx[0] == 1 && idx[1] == 2 && idx[2] == 3,
           "pending: 1, 2, 3");
    tap_is_int(rs_sweep_save(back, &err), RS_OK, "exit codes saved");
    rs_sweep *third = rs_sweep_load(dir, &err);
    tap_ok(third != NULL && rs_sweep_point_exit(third, 1) == 1,
           "and read back");
    rs_sweep_free(third);

    FILE *mem = fopen("/dev/null", "w");
    tap_is_int(rs_sweep_report(back, mem), 3, "3 points reported");
    fclose(mem);
    tap_is_int(rs_sweep_reset(back, idx, n, &err), RS_OK, "reset %s", err.msg);
    char *aside = rs_xasprintf("%s.failed-1", rs_sweep_point_dir(back, 1));
    tap_ok(is_dir(aside) && !is_dir(rs_sweep_point_dir(back, 1)),
           "a failed point's run directory moved aside");
    tap_ok(is_dir(rs_sweep_point_dir(back, 0)), "a done one left alone");
    tap_is_int(rs_sweep_point_exit(back, 1), -1, "its exit code forgotten");
    rs_sweep_collect(back);
    tap_is_int(rs_sweep_point_exit(back, 1), -1, "and its exit file");
    free(aside);

    char **av = rs_sweep_parallel_argv(back, idx, n, 2, false);
    char line[2048] = "";
    for (char **p = av; *p != NULL; p++) {
        strcat(line, *p);
        strcat(line, p[1] != NULL ? " " : "");
    }
    char *want = rs_xasprintf("parallel --joblog %s/joblog.txt -j2 -q sh "
                              "%s/run-point.sh ::: 1 2 3",
                              dir, dir);
    tap_is_str(line, want, "GNU parallel's command line");
    free(want);
    rs_sweep_argv_free(av);

    int all[] = {0, 1, 2, 3}, some[] = {0, 2, 3};
    struct rs_sweep_slurm res = {"00:10:00", "1G", "2", NULL};
    char *s = rs_sweep_slurm_script(back, all, 4, &res);
    tap_ok(strstr(s, "#SBATCH --array=0-3\n") != NULL, "array 0-3");
    tap_ok(strstr(s, "#SBATCH --time=00:10:00\n#SBATCH --mem=1G\n"
                     "#SBATCH --cpus-per-task=2\n") != NULL &&
               strstr(s, "--partition") == NULL,
           "resources as given, none for what was not");
    want =
        rs_xasprintf("exec sh %s/run-point.sh \"$SLURM_ARRAY_TASK_ID\"\n", dir);
    tap_ok(strstr(s, want) != NULL, "one point per task, by its ID");
    free(want);
    free(s);
    s = rs_sweep_slurm_script(back, some, 3, NULL);
    tap_ok(strstr(s, "#SBATCH --array=0,2-3\n") != NULL,
           "a resume's array: 0,2-3");
    free(s);
    free(idx);
    free(ex0);
    free(ex1);
out:
    rs_sweep_free(back);
    rs_sweep_free(sw);
    free(dir);
    free(tmp);
}

int
main(void)
{
    tap_plan_lazy();
    test_seeds();
    test_grid();
    test_manifest();
    return tap_done();
}
