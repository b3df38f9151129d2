/* repscope - MIT licence, see COPYING.
 *
 * runlog.c: the run directory's record (runlog.h). run.jsonl is opened
 * O_APPEND and every line goes out with one write(2) (looping only on a
 * short write), so the kernel holds each finished line even if the
 * process is killed right after; nothing is buffered in user space across
 * calls. A torn last line left by a crash is closed with a newline on
 * open, so it spoils only itself. A write that fails (a full disk, a
 * file-size limit) is undone: the file is cut back to the size it had
 * before (each file's size is tracked here), and the line, or the
 * matrix, is queued in memory; every later write, and rs_runlog_flush,
 * first writes the queue in order. So the files only ever hold whole
 * lines, and nothing is lost while the process lives. JSON text comes
 * from run/json.h.
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

/* What one write puts out: a run.jsonl line (text with its newline), or
 * a matrix: payload for matrices.bin, and its index line for
 * matrices.jsonl as head + the payload's offset + tail (the offset is
 * known only when the payload is written). */
struct item {
    bool matrix;
    const char *text; /* line, or index head */
    size_t ntext;
    const char *tail; /* matrix: the index line after the offset */
    size_t ntail;
    const char *payload;
    size_t npayload;
    char *buf; /* a queued item owns its bytes: the three above, here */
};

static void
item_fini(struct item *it)
{
    free(it->buf);
}

/* One file of the run directory, appended to. */
struct out {
    int fd; /* -1 until opened */
    off_t size; /* bytes of whole lines (or whole payloads) in it */
};

struct rs_runlog {
    char *dir;
    char *path; /* DIR/run.jsonl */
    struct out run, mat, matidx; /* run.jsonl, matrices.bin, .jsonl */
    long step;
    struct entry *ent;
    int nent, capent;
    struct sbuf line;
    struct item *pend; /* writes that failed, oldest first */
    int npend, cappend;
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

/* Append n bytes to o, all or nothing: a failed write cuts the file back
 * to the size it had (so no torn line stays), errno kept. -1 on error. */
static int
out_append(struct out *o, const char *p, size_t n)
{
    if (write_all(o->fd, p, n) == 0) {
        o->size += (off_t)n;
        return 0;
    }
    int e = errno;
    while (ftruncate(o->fd, o->size) != 0 && errno == EINTR)
        continue;
    errno = e;
    return -1;
}

/* Open DIR/name for appending into o (once); its size now is the size of
 * its whole records. */
static int
out_open(rs_runlog *log, struct out *o, const char *name, int flags,
         struct rs_error *err)
{
    if (o->fd >= 0)
        return RS_OK;
    char *p = rs_runlog_path(log, name);
    int rc = RS_OK;
    struct stat st;
    o->fd = open(p, flags | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (o->fd < 0)
        rc = rs_error_set(err, RS_EIO, "cannot open %s: %s", p,
                          strerror(errno));
    else if (fstat(o->fd, &st) != 0)
        rc = rs_error_set(err, RS_EIO, "%s: %s", p, strerror(errno));
    else
        o->size = st.st_size;
    free(p);
    return rc;
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
    log->run.fd = log->mat.fd = log->matidx.fd = -1;
    if (out_open(log, &log->run, "run.jsonl", O_RDWR, err) != RS_OK)
        goto fail;
    int wrc = 0;
    if (log->run.size == 0) {
        struct sbuf b = {0};
        sb_str(&b, meta_json);
        sb_add(&b, "\n", 1);
        wrc = out_append(&log->run, b.p, b.n);
        free(b.p);
    } else {
        /* A crash may have left a torn last line: end it so the next
         * record starts on a line of its own. */
        char last;
        if (pread(log->run.fd, &last, 1, log->run.size - 1) == 1 &&
            last != '\n')
            wrc = out_append(&log->run, "\n", 1);
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
    /* a last try: whatever failed before goes out if it fits now */
    if (log->npend > 0 && log->run.fd >= 0 &&
        rs_runlog_flush(log, NULL) != RS_OK)
        rs_log(RS_LOG_WARN, "%s: %d records could not be written",
               log->dir, log->npend);
    for (int i = 0; i < log->npend; i++)
        item_fini(&log->pend[i]);
    free(log->pend);
    if (log->run.fd >= 0)
        close(log->run.fd);
    if (log->mat.fd >= 0)
        close(log->mat.fd);
    if (log->matidx.fd >= 0)
        close(log->matidx.fd);
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

/* ---- writing, and the queue of failed writes ------------------------ */

/* Write it (borrowed) out: RS_OK, or RS_EIO + err naming the file, with
 * every file as it was before. */
static int
item_put(rs_runlog *log, const struct item *it, struct rs_error *err)
{
    if (!it->matrix) {
        if (out_append(&log->run, it->text, it->ntext) != 0)
            return rs_error_set(err, RS_EIO, "cannot write %s: %s",
                                log->path, strerror(errno));
        return RS_OK;
    }
    if (out_open(log, &log->mat, "matrices.bin", O_WRONLY, err) != RS_OK ||
        out_open(log, &log->matidx, "matrices.jsonl", O_WRONLY, err) !=
            RS_OK)
        return RS_EIO;
    off_t at = log->mat.size;
    if (out_append(&log->mat, it->payload, it->npayload) != 0)
        return rs_error_set(err, RS_EIO, "cannot write %s/matrices.bin: %s",
                            log->dir, strerror(errno));
    struct sbuf b = {0};
    sb_add(&b, it->text, it->ntext);
    char t[32];
    int n = snprintf(t, sizeof(t), "%lld", (long long)at);
    sb_add(&b, t, (size_t)n);
    sb_add(&b, it->tail, it->ntail);
    int rc = RS_OK;
    if (out_append(&log->matidx, b.p, b.n) != 0) {
        int e = errno;
        /* the payload without its index line is of no use: take it back
         * so the retry writes both again */
        log->mat.size = at;
        while (ftruncate(log->mat.fd, at) != 0 && errno == EINTR)
            continue;
        rc = rs_error_set(err, RS_EIO, "cannot write %s/matrices.jsonl: %s",
                          log->dir, strerror(e));
    }
    free(b.p);
    return rc;
}

int
rs_runlog_flush(rs_runlog *log, struct rs_error *err)
{
    int done = 0, rc = RS_OK;
    while (done < log->npend) {
        rc = item_put(log, &log->pend[done], err);
        if (rc != RS_OK)
            break;
        item_fini(&log->pend[done]);
        done++;
    }
    if (done > 0) {
        memmove(log->pend, log->pend + done,
                (size_t)(log->npend - done) * sizeof(*log->pend));
        log->npend -= done;
    }
    return rc;
}

int
rs_runlog_pending(const rs_runlog *log)
{
    return log->npend;
}

/* Write it (borrowed) after whatever is queued; if that fails, queue a
 * copy of it. */
static int
emit(rs_runlog *log, const struct item *it, struct rs_error *err)
{
    int rc = RS_OK;
    if (log->npend == 0 && (rc = item_put(log, it, err)) == RS_OK)
        return RS_OK;
    if (log->npend == log->cappend) {
        log->cappend = log->cappend ? log->cappend * 2 : 8;
        log->pend = rs_xreallocarray(log->pend, (size_t)log->cappend,
                                     sizeof(*log->pend));
    }
    struct item *q = &log->pend[log->npend++];
    *q = *it;
    q->buf = rs_xmalloc(it->ntext + it->ntail + it->npayload + 1);
    char *p = q->buf;
    memcpy(p, it->text, it->ntext);
    q->text = p;
    p += it->ntext;
    if (it->ntail > 0)
        memcpy(p, it->tail, it->ntail);
    q->tail = p;
    p += it->ntail;
    if (it->npayload > 0)
        memcpy(p, it->payload, it->npayload);
    q->payload = p;
    if (rc != RS_OK)
        return rc; /* it failed just now: err says why */
    return rs_runlog_flush(log, err);
}

/* The line in log->line, plus its newline, into run.jsonl. */
static int
write_line(rs_runlog *log, struct rs_error *err)
{
    sb_add(&log->line, "\n", 1);
    struct item it = {.text = log->line.p, .ntext = log->line.n};
    return emit(log, &it, err);
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
    return write_line(log, err);
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
    return write_line(log, err);
}

int
rs_runlog_line(rs_runlog *log, const char *json, struct rs_error *err)
{
    struct sbuf *b = &log->line;
    b->n = 0;
    sb_str(b, json);
    return write_line(log, err);
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
    size_t head = b->n;
    sb_str(b, ",\"row_labels\":");
    sb_labels(b, row_labels, rows);
    sb_str(b, ",\"col_labels\":");
    sb_labels(b, col_labels, cols);
    sb_add(b, "}\n", 2);
    struct item it = {.matrix = true,
                      .text = b->p,
                      .ntext = head,
                      .tail = b->p + head,
                      .ntail = b->n - head,
                      .payload = payload,
                      .npayload = n * sizeof(float)};
    int rc = emit(log, &it, err);
    free(swapped);
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
