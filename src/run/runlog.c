/* repscope - MIT licence, see COPYING.
 *
 * runlog.c: the run directory's record (runlog.h). run.jsonl is opened
 * O_APPEND and every line goes out with one write(2) (looping only on a
 * short write), so the kernel holds each finished line even if the
 * process is killed right after; nothing is buffered in user space across
 * calls. A torn last line left by a crash is closed with a newline on
 * open, so it spoils only itself. JSON text comes from run/json.h.
 * Worker thread only (one rs_runlog per run, one writer).
 */
#include "config.h"

#include "run/runlog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base.h"
#include "run/json.h"

/* A growable byte buffer. */
struct sbuf {
    char *p;
    size_t n, cap;
};

static void
sb_reserve(struct sbuf *b, size_t more)
{
    if (b->n + more + 1 > b->cap) {
        size_t c = b->cap ? b->cap : 256;
        while (c < b->n + more + 1)
            c *= 2;
        b->p = rs_xreallocarray(b->p, c, 1);
        b->cap = c;
    }
}

static void
sb_add(struct sbuf *b, const char *s, size_t n)
{
    sb_reserve(b, n);
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void
sb_str(struct sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

enum { VAL_NUM, VAL_TEXT };

struct entry {
    char *key;
    int kind;
    double v;
    char *text;
};

struct rs_runlog {
    char *dir;
    char *path; /* DIR/run.jsonl */
    int fd;
    int mat_fd, matidx_fd; /* matrices.bin, matrices.jsonl; -1 until used */
    long step;
    struct entry *ent;
    int nent, capent;
    struct sbuf line;
};

static void
sb_json(struct sbuf *b, const char *s)
{
    size_t need = rs_json_escape(NULL, 0, s);
    sb_reserve(b, need);
    rs_json_escape(b->p + b->n, need, s);
    b->n += need;
    b->p[b->n] = '\0';
}

/* A JSON number or null (rs_json_number). */
static void
sb_num(struct sbuf *b, double v)
{
    char t[48];
    int n = rs_json_number(t, sizeof(t), v);
    sb_add(b, t, (size_t)n);
}

static void
sb_long(struct sbuf *b, long v)
{
    char t[32];
    int n = snprintf(t, sizeof(t), "%ld", v);
    sb_add(b, t, (size_t)n);
}

/* ---- files ---------------------------------------------------------- */

static int
write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int
rs_runlog_make_dirs(const char *dir, struct rs_error *err)
{
    char *p = rs_xstrdup(dir);
    int rc = RS_OK;
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            rc = rs_error_set(err, RS_EIO, "cannot create directory %s: %s", p,
                              strerror(errno));
            break;
        }
        *s = c;
        if (c == '\0')
            break;
    }
    if (rc == RS_OK) {
        struct stat st;
        if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
            rc = rs_error_set(err, RS_EIO, "%s is not a directory", dir);
    }
    free(p);
    return rc;
}

char *
rs_runlog_new_dir(const char *parent, const char *stem, struct rs_error *err)
{
    if (rs_runlog_make_dirs(parent, err) != RS_OK)
        return NULL;
    for (int i = 1; i < 10000; i++) {
        char *d = i == 1 ? rs_xasprintf("%s/%s", parent, stem)
                         : rs_xasprintf("%s/%s-%d", parent, stem, i);
        if (mkdir(d, 0777) == 0)
            return d;
        int e = errno;
        if (e != EEXIST) {
            rs_error_set(err, RS_EIO, "cannot create directory %s: %s", d,
                         strerror(e));
            free(d);
            return NULL;
        }
        free(d);
    }
    rs_error_set(err, RS_EIO, "%s/%s: too many runs with this name", parent,
                 stem);
    return NULL;
}

char *
rs_runlog_path(const rs_runlog *log, const char *name)
{
    return rs_xasprintf("%s/%s", log->dir, name);
}

rs_runlog *
rs_runlog_open(const char *dir, const char *meta_json, struct rs_error *err)
{
    if (rs_runlog_make_dirs(dir, err) != RS_OK)
        return NULL;
    rs_runlog *log = rs_xcalloc(1, sizeof(*log));
    log->dir = rs_xstrdup(dir);
    log->path = rs_runlog_path(log, "run.jsonl");
    log->mat_fd = log->matidx_fd = -1;
    log->fd = open(log->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (log->fd < 0) {
        rs_error_set(err, RS_EIO, "cannot open %s: %s", log->path,
                     strerror(errno));
        goto fail;
    }
    struct stat st;
    if (fstat(log->fd, &st) != 0) {
        rs_error_set(err, RS_EIO, "%s: %s", log->path, strerror(errno));
        goto fail;
    }
    int wrc = 0;
    if (st.st_size == 0) {
        struct sbuf b = {0};
        sb_str(&b, meta_json);
        sb_add(&b, "\n", 1);
        wrc = write_all(log->fd, b.p, b.n);
        free(b.p);
    } else {
        /* A crash may have left a torn last line: end it so the next
         * record starts on a line of its own. */
        char last;
        if (pread(log->fd, &last, 1, st.st_size - 1) == 1 && last != '\n')
            wrc = write_all(log->fd, "\n", 1);
    }
    if (wrc != 0) {
        rs_error_set(err, RS_EIO, "cannot write %s: %s", log->path,
                     strerror(errno));
        goto fail;
    }
    return log;
fail:
    rs_runlog_close(log);
    return NULL;
}

void
rs_runlog_close(rs_runlog *log)
{
    if (log == NULL)
        return;
    if (log->fd >= 0)
        close(log->fd);
    if (log->mat_fd >= 0)
        close(log->mat_fd);
    if (log->matidx_fd >= 0)
        close(log->matidx_fd);
    for (int i = 0; i < log->capent; i++) {
        free(log->ent[i].key);
        free(log->ent[i].text);
    }
    free(log->ent);
    free(log->line.p);
    free(log->path);
    free(log->dir);
    free(log);
}

const char *
rs_runlog_dir(const rs_runlog *log)
{
    return log->dir;
}

/* ---- records -------------------------------------------------------- */

void
rs_runlog_begin(rs_runlog *log, long step)
{
    log->step = step;
    log->nent = 0;
}

/* The entry for key (reserved "step"/"type" become "_step"/"_type"). */
static struct entry *
entry_for(rs_runlog *log, const char *key)
{
    if (strcmp(key, "step") == 0)
        key = "_step";
    else if (strcmp(key, "type") == 0)
        key = "_type";
    for (int i = 0; i < log->nent; i++)
        if (strcmp(log->ent[i].key, key) == 0)
            return &log->ent[i];
    if (log->nent == log->capent) {
        int c = log->capent ? log->capent * 2 : 16;
        log->ent = rs_xreallocarray(log->ent, (size_t)c, sizeof(*log->ent));
        memset(log->ent + log->capent, 0,
               (size_t)(c - log->capent) * sizeof(*log->ent));
        log->capent = c;
    }
    struct entry *e = &log->ent[log->nent++];
    /* Entries are reused across records: keep the key buffer if it fits. */
    if (e->key == NULL || strlen(e->key) < strlen(key)) {
        free(e->key);
        e->key = rs_xstrdup(key);
    } else {
        strcpy(e->key, key);
    }
    return e;
}

void
rs_runlog_value(rs_runlog *log, const char *key, double v)
{
    struct entry *e = entry_for(log, key);
    e->kind = VAL_NUM;
    e->v = v;
}

void
rs_runlog_text(rs_runlog *log, const char *key, const char *s)
{
    struct entry *e = entry_for(log, key);
    e->kind = VAL_TEXT;
    free(e->text);
    e->text = rs_xstrdup(s);
}

static int
write_line(rs_runlog *log, int fd, const char *path, struct rs_error *err)
{
    sb_add(&log->line, "\n", 1);
    if (write_all(fd, log->line.p, log->line.n) != 0)
        return rs_error_set(err, RS_EIO, "cannot write %s: %s", path,
                            strerror(errno));
    return RS_OK;
}

int
rs_runlog_end(rs_runlog *log, struct rs_error *err)
{
    if (log->nent == 0)
        return RS_OK;
    struct sbuf *b = &log->line;
    b->n = 0;
    sb_str(b, "{\"step\":");
    sb_long(b, log->step);
    for (int i = 0; i < log->nent; i++) {
        const struct entry *e = &log->ent[i];
        sb_add(b, ",", 1);
        sb_json(b, e->key);
        sb_add(b, ":", 1);
        if (e->kind == VAL_NUM)
            sb_num(b, e->v);
        else
            sb_json(b, e->text);
    }
    sb_add(b, "}", 1);
    log->nent = 0;
    return write_line(log, log->fd, log->path, err);
}

int
rs_runlog_event(rs_runlog *log, long step, const char *kind, const char *text,
                struct rs_error *err)
{
    struct sbuf *b = &log->line;
    b->n = 0;
    sb_str(b, "{\"type\":\"event\",\"step\":");
    sb_long(b, step);
    if (kind != NULL) {
        sb_str(b, ",\"kind\":");
        sb_json(b, kind);
    }
    sb_str(b, ",\"text\":");
    sb_json(b, text);
    sb_add(b, "}", 1);
    return write_line(log, log->fd, log->path, err);
}

int
rs_runlog_line(rs_runlog *log, const char *json, struct rs_error *err)
{
    struct sbuf *b = &log->line;
    b->n = 0;
    sb_str(b, json);
    return write_line(log, log->fd, log->path, err);
}

static int
open_side(rs_runlog *log, int *fd, const char *name, struct rs_error *err)
{
    if (*fd >= 0)
        return RS_OK;
    char *p = rs_runlog_path(log, name);
    *fd = open(p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    int rc = RS_OK;
    if (*fd < 0)
        rc =
            rs_error_set(err, RS_EIO, "cannot open %s: %s", p, strerror(errno));
    free(p);
    return rc;
}

static void
sb_labels(struct sbuf *b, const char *const *lab, int n)
{
    if (lab == NULL) {
        sb_str(b, "null");
        return;
    }
    sb_add(b, "[", 1);
    for (int i = 0; i < n; i++) {
        if (i > 0)
            sb_add(b, ",", 1);
        sb_json(b, lab[i] != NULL ? lab[i] : "");
    }
    sb_add(b, "]", 1);
}

static bool
host_is_little_endian(void)
{
    const uint16_t one = 1;
    unsigned char c;
    memcpy(&c, &one, 1);
    return c == 1;
}

int
rs_runlog_matrix(rs_runlog *log, const char *name, long step, int rows,
                 int cols, const float *data, const char *const *row_labels,
                 const char *const *col_labels, struct rs_error *err)
{
    RS_ASSERT(rows >= 0 && cols >= 0);
    if (open_side(log, &log->mat_fd, "matrices.bin", err) != RS_OK ||
        open_side(log, &log->matidx_fd, "matrices.jsonl", err) != RS_OK)
        return err != NULL ? err->code : RS_EIO;
    struct stat st;
    if (fstat(log->mat_fd, &st) != 0)
        return rs_error_set(err, RS_EIO, "%s/matrices.bin: %s", log->dir,
                            strerror(errno));
    size_t n = (size_t)rows * (size_t)cols;
    const char *payload = (const char *)data;
    char *swapped = NULL;
    if (!host_is_little_endian() && n > 0) {
        swapped = rs_xmalloc(n * sizeof(float));
        for (size_t i = 0; i < n; i++) {
            const unsigned char *s = (const unsigned char *)&data[i];
            for (int k = 0; k < 4; k++)
                swapped[i * 4 + (size_t)k] = (char)s[3 - k];
        }
        payload = swapped;
    }
    int wrc = n > 0 ? write_all(log->mat_fd, payload, n * sizeof(float)) : 0;
    free(swapped);
    if (wrc != 0)
        return rs_error_set(err, RS_EIO, "cannot write %s/matrices.bin: %s",
                            log->dir, strerror(errno));
    struct sbuf *b = &log->line;
    b->n = 0;
    sb_str(b, "{\"name\":");
    sb_json(b, name);
    sb_str(b, ",\"step\":");
    sb_long(b, step);
    sb_str(b, ",\"rows\":");
    sb_long(b, rows);
    sb_str(b, ",\"cols\":");
    sb_long(b, cols);
    sb_str(b, ",\"offset\":");
    sb_long(b, (long)st.st_size);
    sb_str(b, ",\"row_labels\":");
    sb_labels(b, row_labels, rows);
    sb_str(b, ",\"col_labels\":");
    sb_labels(b, col_labels, cols);
    sb_add(b, "}", 1);
    char *path = rs_runlog_path(log, "matrices.jsonl");
    int rc = write_line(log, log->matidx_fd, path, err);
    free(path);
    return rc;
}

int
rs_runlog_copy_file(rs_runlog *log, const char *src, const char *name,
                    struct rs_error *err)
{
    int rc = RS_OK;
    char *dst = rs_runlog_path(log, name);
    char *tmp = rs_xasprintf("%s.tmp", dst);
    int in = open(src, O_RDONLY | O_CLOEXEC);
    int out = -1;
    if (in < 0) {
        rc = rs_error_set(err, RS_EIO, "cannot read %s: %s", src,
                          strerror(errno));
        goto out;
    }
    out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        rc = rs_error_set(err, RS_EIO, "cannot create %s: %s", tmp,
                          strerror(errno));
        goto out;
    }
    char buf[65536];
    for (;;) {
        ssize_t r = read(in, buf, sizeof(buf));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = rs_error_set(err, RS_EIO, "cannot read %s: %s", src,
                              strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        if (write_all(out, buf, (size_t)r) != 0) {
            rc = rs_error_set(err, RS_EIO, "cannot write %s: %s", tmp,
                              strerror(errno));
            goto out;
        }
    }
    int frc = fsync(out);
    if (close(out) != 0)
        frc = -1;
    out = -1;
    if (frc != 0) {
        rc = rs_error_set(err, RS_EIO, "cannot write %s: %s", tmp,
                          strerror(errno));
        goto out;
    }
    if (rename(tmp, dst) != 0)
        rc = rs_error_set(err, RS_EIO, "cannot rename %s to %s: %s", tmp, dst,
                          strerror(errno));
out:
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    if (rc != RS_OK)
        unlink(tmp);
    free(tmp);
    free(dst);
    return rc;
}
