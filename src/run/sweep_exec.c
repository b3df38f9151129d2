/* repscope - MIT licence, see COPYING.
 *
 * sweep_exec.c: running a sweep's points (sweep.h). The points go to an
 * existing scheduler through two files in the sweep directory:
 * commands.txt (point i's shell command on line i+1) and run-point.sh
 * (runs one line and writes its exit code into exit/INDEX), so GNU
 * parallel, a Slurm array task and a hand-written loop all run the same
 * thing and leave the same trace. Whether a point is done is read from
 * that trace and from its run directory's log. Main thread only (fork,
 * waitpid).
 */
#include "config.h"

#include "run/sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run/json.h"
#include "run/sweep_impl.h"

void
rs_sweep_shell_quote(struct rs_json_buf *b, const char *s)
{
    bool plain = s[0] != '\0';
    for (const char *p = s; *p != '\0' && plain; p++) {
        char c = *p;
        plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                (c >= '0' && c <= '9') || strchr("._+=,-/:@%", c) != NULL;
    }
    if (plain) {
        rs_json_buf_raw(b, s, strlen(s));
        return;
    }
    rs_json_buf_raw(b, "'", 1);
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '\'')
            rs_json_buf_raw(b, "'\\''", 4);
        else
            rs_json_buf_raw(b, p, 1);
    }
    rs_json_buf_raw(b, "'", 1);
}

int
rs_sweep_write_file(const char *path, const char *text, int mode,
                    struct rs_error *err)
{
    char *tmp = rs_xasprintf("%s.tmp", path);
    int rc = RS_OK;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) {
        rc = rs_error_set(err, RS_EIO, "cannot create %s: %s", tmp,
                          strerror(errno));
        free(tmp);
        return rc;
    }
    size_t n = strlen(text);
    const char *p = text;
    while (n > 0 && rc == RS_OK) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            rc = rs_error_set(err, RS_EIO, "cannot write %s: %s", tmp,
                              strerror(errno));
            break;
        }
        p += w;
        n -= (size_t)w;
    }
    if (close(fd) != 0 && rc == RS_OK)
        rc = rs_error_set(err, RS_EIO, "cannot write %s: %s", tmp,
                          strerror(errno));
    if (rc == RS_OK && rename(tmp, path) != 0)
        rc = rs_error_set(err, RS_EIO, "cannot rename %s to %s: %s", tmp, path,
                          strerror(errno));
    if (rc != RS_OK)
        unlink(tmp);
    free(tmp);
    return rc;
}

static const char run_point_sh[] =
    "#!/bin/sh\n"
    "# run-point.sh INDEX: run point INDEX of this sweep (line INDEX+1 of\n"
    "# commands.txt beside this script) and record its exit code in\n"
    "# exit/INDEX. Written by repscope sweep; GNU parallel and the Slurm\n"
    "# array tasks run it.\n"
    "d=$(dirname \"$0\")\n"
    "i=${1:?usage: run-point.sh INDEX}\n"
    "case $i in *[!0-9]*) echo \"run-point.sh: '$i' is no index\" >&2; "
    "exit 2 ;; esac\n"
    "line=$(sed -n \"$((i + 1))p\" \"$d/commands.txt\")\n"
    "[ -n \"$line\" ] || { echo \"run-point.sh: no point $i in "
    "$d/commands.txt\" >&2; exit 2; }\n"
    "# running/INDEX says where it runs while it runs: host, this shell's\n"
    "# pid and the Slurm job (sweep --resume leaves such points alone)\n"
    "mkdir -p \"$d/running\" &&\n"
    "    echo \"$(hostname) $$ ${SLURM_JOB_ID:-}\" >\"$d/running/$i\"\n"
    "sh -c \"$line\"\n"
    "rc=$?\n"
    "mkdir -p \"$d/exit\" && echo \"$rc\" >\"$d/exit/$i.tmp\" &&\n"
    "    mv \"$d/exit/$i.tmp\" \"$d/exit/$i\"\n"
    "rm -f \"$d/running/$i\"\n"
    "exit \"$rc\"\n";

int
rs_sweep_write_scripts(const rs_sweep *sw, struct rs_error *err)
{
    struct rs_json_buf b = {0};
    for (int i = 0; i < sw->n; i++) {
        rs_json_buf_raw(&b, sw->pts[i].command, strlen(sw->pts[i].command));
        rs_json_buf_raw(&b, "\n", 1);
    }
    char *text = rs_json_buf_take(&b);
    char *path = rs_xasprintf("%s/commands.txt", sw->dir);
    int rc = rs_sweep_write_file(path, text, 0644, err);
    free(path);
    free(text);
    if (rc != RS_OK)
        return rc;
    path = rs_xasprintf("%s/run-point.sh", sw->dir);
    rc = rs_sweep_write_file(path, run_point_sh, 0755, err);
    free(path);
    return rc;
}

/* How much of a run log's end run_log_done reads: the done event is
 * among its last lines, and a line is far shorter than this. */
#define LOG_TAIL 65536

/* True when the end of the run log in dir holds a "done" event (a
 * headless run that reached its last step and wrote its final
 * checkpoint); only the last LOG_TAIL bytes are read, so a long log
 * costs no more. */
static bool
run_log_done(const char *dir)
{
    char *path = rs_xasprintf("%s/run.jsonl", dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    free(path);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0)
            close(fd);
        return false;
    }
    off_t from = st.st_size > LOG_TAIL ? st.st_size - LOG_TAIL : 0;
    char *text = rs_xmalloc(LOG_TAIL + 1);
    ssize_t len;
    do
        len = pread(fd, text, LOG_TAIL, from);
    while (len < 0 && errno == EINTR);
    close(fd);
    if (len < 0)
        len = 0;
    text[len] = '\0';
    /* any complete line of the tail (the first may be cut: it fails to
     * parse) */
    bool done = false;
    char *at = text, *nl;
    while (!done &&
           (nl = memchr(at, '\n', (size_t)(text + len - at))) != NULL) {
        *nl = '\0';
        if (strstr(at, "\"done\"") != NULL) {
            rs_json *v = rs_json_parse(at, (size_t)(nl - at), NULL);
            const char *type = rs_json_str(rs_json_get(v, "type"), NULL);
            const char *kind = rs_json_str(rs_json_get(v, "kind"), NULL);
            done = type != NULL && kind != NULL && strcmp(type, "event") == 0 &&
                   strcmp(kind, "done") == 0;
            rs_json_free(v);
        }
        at = nl + 1;
    }
    free(text);
    return done;
}

bool
rs_sweep_point_is_done(const rs_sweep *sw, int i)
{
    RS_ASSERT(i >= 0 && i < sw->n);
    const struct sweep_point *p = &sw->pts[i];
    return p->exit <= 0 && run_log_done(p->run_dir);
}

/* Whether Slurm still knows job (pending or running): squeue on PATH
 * prints it. False when squeue is missing or says nothing. */
static bool
slurm_job_alive(const char *job)
{
    for (const char *p = job; *p != '\0'; p++)
        if (!((*p >= '0' && *p <= '9') || *p == '_'))
            return false; /* never hand the shell anything else */
    char *cmd = rs_xasprintf("squeue -h -j %s 2>/dev/null", job);
    FILE *f = popen(cmd, "r");
    free(cmd);
    if (f == NULL)
        return false;
    char line[256];
    bool alive = fgets(line, sizeof line, f) != NULL;
    pclose(f);
    return alive;
}

bool
rs_sweep_point_running(const rs_sweep *sw, int i, char *why, size_t cap)
{
    RS_ASSERT(i >= 0 && i < sw->n);
    char *path = rs_xasprintf("%s/running/%d", sw->dir, sw->pts[i].index);
    size_t len = 0;
    char *text = rs_read_file(path, &len, NULL);
    free(path);
    if (text == NULL)
        return false;
    char host[256] = "", job[64] = "", me[256] = "";
    long pid = 0;
    int got = sscanf(text, "%255s %ld %63s", host, &pid, job);
    free(text);
    if (got < 2 || pid <= 0)
        return false;
    gethostname(me, sizeof me - 1);
    bool alive;
    if (strcmp(host, me) == 0)
        alive = kill((pid_t)pid, 0) == 0 || errno == EPERM;
    else
        alive = got == 3 && slurm_job_alive(job);
    if (alive && why != NULL)
        snprintf(why, cap, "on %s, pid %ld%s%s", host, pid,
                 got == 3 ? ", Slurm job " : "", got == 3 ? job : "");
    return alive;
}

void
rs_sweep_pending(const rs_sweep *sw, int **idx, int *n, int **busy,
                 int *nbusy)
{
    *idx = rs_xcalloc((size_t)sw->n + 1, sizeof **idx);
    *busy = rs_xcalloc((size_t)sw->n + 1, sizeof **busy);
    *n = *nbusy = 0;
    for (int i = 0; i < sw->n; i++) {
        if (rs_sweep_point_is_done(sw, i))
            continue;
        if (rs_sweep_point_running(sw, i, NULL, 0))
            (*busy)[(*nbusy)++] = i;
        else
            (*idx)[(*n)++] = i;
    }
}

static bool
exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

int
rs_sweep_reset(rs_sweep *sw, const int *idx, int n, struct rs_error *err)
{
    for (int j = 0; j < n; j++) {
        struct sweep_point *p = &sw->pts[idx[j]];
        p->exit = -1;
        char *ex = rs_xasprintf("%s/exit/%d", sw->dir, p->index);
        unlink(ex);
        free(ex);
        if (!exists(p->run_dir))
            continue;
        char *aside = NULL;
        for (int k = 1; aside == NULL; k++) {
            aside = rs_xasprintf("%s.failed-%d", p->run_dir, k);
            if (exists(aside)) {
                free(aside);
                aside = NULL;
            }
        }
        int rc = RS_OK;
        if (rename(p->run_dir, aside) != 0)
            rc = rs_error_set(err, RS_EIO, "cannot move %s aside to %s: %s",
                              p->run_dir, aside, strerror(errno));
        free(aside);
        if (rc != RS_OK)
            return rc;
    }
    return RS_OK;
}

void
rs_sweep_collect(rs_sweep *sw)
{
    for (int i = 0; i < sw->n; i++) {
        char *path = rs_xasprintf("%s/exit/%d", sw->dir, i);
        size_t len = 0;
        char *text = rs_read_file(path, &len, NULL);
        free(path);
        if (text == NULL)
            continue;
        char *end;
        long rc = strtol(text, &end, 10);
        if (end != text && (*end == '\n' || *end == '\0') && rc >= 0 &&
            rc < 256)
            sw->pts[i].exit = (int)rc;
        free(text);
    }
}

void
rs_sweep_print_commands(const rs_sweep *sw, const int *idx, int n, FILE *out)
{
    for (int j = 0; j < n; j++)
        fprintf(out, "%s\n", sw->pts[idx[j]].command);
}

void
rs_sweep_argv_free(char **argv)
{
    if (argv == NULL)
        return;
    for (char **p = argv; *p != NULL; p++)
        free(*p);
    free(argv);
}

char **
rs_sweep_parallel_argv(const rs_sweep *sw, const int *idx, int n, int jobs,
                       bool bar)
{
    char **av = rs_xcalloc((size_t)n + 16, sizeof *av);
    int k = 0;
    if (jobs <= 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        jobs = c > 0 ? (int)c : 1;
    }
    av[k++] = rs_xstrdup("parallel");
    av[k++] = rs_xstrdup("--joblog");
    av[k++] = rs_xasprintf("%s/joblog.txt", sw->dir);
    av[k++] = rs_xasprintf("-j%d", jobs);
    if (bar)
        av[k++] = rs_xstrdup("--bar");
    av[k++] = rs_xstrdup("-q"); /* the words below are quoted for the shell */
    av[k++] = rs_xstrdup("sh");
    av[k++] = rs_xasprintf("%s/run-point.sh", sw->dir);
    av[k++] = rs_xstrdup(":::");
    for (int j = 0; j < n; j++)
        av[k++] = rs_xasprintf("%d", idx[j]);
    av[k] = NULL;
    return av;
}

int
rs_sweep_spawn(char *const *argv, struct rs_error *err)
{
    /* the child reports a failed exec through a close-on-exec pipe */
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        rs_error_set(err, RS_EIO, "cannot run %s: %s", argv[0],
                     strerror(errno));
        return -1;
    }
    /* as system(3): ^C reaches the scheduler (one process group), and
     * this process lives on to record what finished */
    struct sigaction ign = {.sa_handler = SIG_IGN}, old_int, old_quit;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGINT, &ign, &old_int);
    sigaction(SIGQUIT, &ign, &old_quit);
    pid_t pid = fork();
    if (pid < 0) {
        rs_error_set(err, RS_EIO, "cannot run %s: %s", argv[0],
                     strerror(errno));
        close(fds[0]);
        close(fds[1]);
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGQUIT, &old_quit, NULL);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGQUIT, &old_quit, NULL);
        execvp(argv[0], argv);
        int e = errno;
        if (write(fds[1], &e, sizeof e) < 0)
            _exit(127);
        _exit(127);
    }
    close(fds[1]);
    int e = 0;
    ssize_t r;
    do
        r = read(fds[0], &e, sizeof e);
    while (r < 0 && errno == EINTR);
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGQUIT, &old_quit, NULL);
    if (r == (ssize_t)sizeof e) {
        rs_error_set(err, RS_EIO, "cannot run %s: %s", argv[0], strerror(e));
        return -1;
    }
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

/* idx[0..n) (ascending) as a Slurm array spec: "0-7", "1,4-6". */
static void
array_spec(struct rs_json_buf *b, const int *idx, int n)
{
    for (int j = 0; j < n;) {
        int k = j;
        while (k + 1 < n && idx[k + 1] == idx[k] + 1)
            k++;
        char t[48];
        int len = k > j
                      ? snprintf(t, sizeof t, "%s%d-%d", j > 0 ? "," : "",
                                 idx[j], idx[k])
                      : snprintf(t, sizeof t, "%s%d", j > 0 ? "," : "", idx[j]);
        rs_json_buf_raw(b, t, (size_t)len);
        j = k + 1;
    }
}

static void
sbatch_line(struct rs_json_buf *b, const char *opt, const char *val)
{
    if (val == NULL || val[0] == '\0')
        return;
    char *l = rs_xasprintf("#SBATCH --%s=%s\n", opt, val);
    rs_json_buf_raw(b, l, strlen(l));
    free(l);
}

char *
rs_sweep_slurm_script(const rs_sweep *sw, const int *idx, int n,
                      const struct rs_sweep_slurm *res)
{
    struct rs_json_buf b = {0};
    char *head = rs_xasprintf(
        "#!/bin/sh\n"
        "# sweep.sbatch: the sweep in %s as a Slurm job array,\n"
        "# written by repscope sweep: one array task per point (task ID =\n"
        "# point index in sweep.json); each task runs its line of\n"
        "# commands.txt through run-point.sh, which records the exit code\n"
        "# in exit/ID. The directory must be on a file system the nodes\n"
        "# share. Submit with: sbatch %s/sweep.sbatch\n"
        "#SBATCH --job-name=repscope-sweep\n"
        "#SBATCH --output=%s/logs/slurm-%%A_%%a.out\n"
        "#SBATCH --array=",
        sw->dir, sw->dir, sw->dir);
    rs_json_buf_raw(&b, head, strlen(head));
    free(head);
    array_spec(&b, idx, n);
    rs_json_buf_raw(&b, "\n", 1);
    if (res != NULL) {
        sbatch_line(&b, "time", res->time);
        sbatch_line(&b, "mem", res->mem);
        sbatch_line(&b, "cpus-per-task", res->cpus);
        sbatch_line(&b, "partition", res->partition);
    }
    const char *run = "exec sh ";
    rs_json_buf_raw(&b, run, strlen(run));
    char *rp = rs_xasprintf("%s/run-point.sh", sw->dir);
    rs_sweep_shell_quote(&b, rp);
    free(rp);
    run = " \"$SLURM_ARRAY_TASK_ID\"\n";
    rs_json_buf_raw(&b, run, strlen(run));
    return rs_json_buf_take(&b);
}

int
rs_sweep_report(const rs_sweep *sw, FILE *out)
{
    int bad = 0;
    for (int i = 0; i < sw->n; i++) {
        if (rs_sweep_point_is_done(sw, i))
            continue;
        const struct sweep_point *p = &sw->pts[i];
        if (bad++ == 0)
            fprintf(out, "points that did not finish:\n");
        if (p->exit >= 0)
            fprintf(out, "  %d %s: exit %d (log %s)\n", i, p->name, p->exit,
                    p->log);
        else
            fprintf(out, "  %d %s: never finished (log %s)\n", i, p->name,
                    p->log);
    }
    return bad;
}

int
rs_sweep_write_script(const char *path, const char *text, struct rs_error *err)
{
    return rs_sweep_write_file(path, text, 0755, err);
}
