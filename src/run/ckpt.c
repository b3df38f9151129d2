/* repscope - MIT licence, see COPYING.
 *
 * ckpt.c: checkpoints (ckpt.h). Sections live in memory in insertion
 * order; rs_ckpt_write streams them through a 64 KiB buffer into
 * PATH.tmp.<pid>, hashing as it goes (FNV-1a-64), fsyncs, renames over
 * PATH and fsyncs the directory, so PATH is at every instant either the
 * old complete file or the new one. A temp file left by a writer that was
 * killed (its pid gone) is removed by the next write: on a full disk it
 * holds space a checkpoint needs. rs_ckpt_read loads the whole file and
 * rs_ckpt_read_mem walks its structure with every length checked against
 * what is left (so a corrupt count can neither overrun nor allocate
 * wildly), then verifies the checksum and that no name comes twice
 * (sorted, so a file of many sections is not read in n^2). All integers
 * are little-endian on disk. Single-threaded per object (the worker).
 */
#include "config.h"

#include "run/ckpt.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base.h"

#define CKPT_MAGIC "RSCKPT01"
#define CKPT_NAME_MAX 4096

enum { KIND_F32 = 1, KIND_U64 = 2, KIND_TEXT = 3 };

struct section {
    char *name;
    uint32_t kind;
    uint64_t count; /* elements (bytes for text) */
    void *data;     /* text: NUL-terminated */
};

struct rs_ckpt {
    struct section *sec;
    int n, cap;
};

static const size_t elem_size[4] = {0, 4, 8, 1};

rs_ckpt *
rs_ckpt_new(void)
{
    return rs_xcalloc(1, sizeof(rs_ckpt));
}

void
rs_ckpt_free(rs_ckpt *ck)
{
    if (ck == NULL)
        return;
    for (int i = 0; i < ck->n; i++) {
        free(ck->sec[i].name);
        free(ck->sec[i].data);
    }
    free(ck->sec);
    free(ck);
}

static struct section *
find(const rs_ckpt *ck, const char *name)
{
    for (int i = 0; i < ck->n; i++)
        if (strcmp(ck->sec[i].name, name) == 0)
            return &ck->sec[i];
    return NULL;
}

/* Take ownership of data (bytes of kind, count elements) under name. */
static void
put(rs_ckpt *ck, const char *name, uint32_t kind, uint64_t count, void *data)
{
    struct section *s = find(ck, name);
    if (s == NULL) {
        if (ck->n == ck->cap) {
            ck->cap = ck->cap ? ck->cap * 2 : 16;
            ck->sec =
                rs_xreallocarray(ck->sec, (size_t)ck->cap, sizeof(*ck->sec));
        }
        s = &ck->sec[ck->n++];
        s->name = rs_xstrdup(name);
    } else {
        free(s->data);
    }
    s->kind = kind;
    s->count = count;
    s->data = data;
}

/* A copy of n bytes (at least one byte allocated, so data is never NULL). */
static void *
dup_bytes(const void *p, size_t n)
{
    void *d = rs_xmalloc(n > 0 ? n : 1);
    if (n > 0)
        memcpy(d, p, n);
    return d;
}

void
rs_ckpt_put_floats(rs_ckpt *ck, const char *name, const float *data, size_t n)
{
    RS_ASSERT(strlen(name) <= CKPT_NAME_MAX);
    put(ck, name, KIND_F32, n, dup_bytes(data, n * sizeof(float)));
}

void
rs_ckpt_put_u64s(rs_ckpt *ck, const char *name, const uint64_t *data, size_t n)
{
    RS_ASSERT(strlen(name) <= CKPT_NAME_MAX);
    put(ck, name, KIND_U64, n, dup_bytes(data, n * sizeof(uint64_t)));
}

void
rs_ckpt_put_text(rs_ckpt *ck, const char *name, const char *text)
{
    RS_ASSERT(strlen(name) <= CKPT_NAME_MAX);
    put(ck, name, KIND_TEXT, strlen(text), rs_xstrdup(text));
}

const float *
rs_ckpt_floats(const rs_ckpt *ck, const char *name, size_t *n)
{
    const struct section *s = find(ck, name);
    if (s == NULL || s->kind != KIND_F32)
        return NULL;
    if (n != NULL)
        *n = (size_t)s->count;
    return s->data;
}

const uint64_t *
rs_ckpt_u64s(const rs_ckpt *ck, const char *name, size_t *n)
{
    const struct section *s = find(ck, name);
    if (s == NULL || s->kind != KIND_U64)
        return NULL;
    if (n != NULL)
        *n = (size_t)s->count;
    return s->data;
}

const char *
rs_ckpt_text(const rs_ckpt *ck, const char *name)
{
    const struct section *s = find(ck, name);
    return s != NULL && s->kind == KIND_TEXT ? s->data : NULL;
}

int
rs_ckpt_count(const rs_ckpt *ck)
{
    return ck->n;
}

const char *
rs_ckpt_name(const rs_ckpt *ck, int i)
{
    RS_ASSERT(i >= 0 && i < ck->n);
    return ck->sec[i].name;
}

/* ---- byte order ------------------------------------------------------ */

static bool
little_endian(void)
{
    const uint16_t one = 1;
    unsigned char c;
    memcpy(&c, &one, 1);
    return c == 1;
}

static void
le_put(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
le_get(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* ---- writing ---------------------------------------------------------- */

struct writer {
    int fd;
    uint64_t hash;
    size_t n;
    int err; /* errno of the first failure, 0 if none */
    unsigned char buf[1 << 16];
};

static void
wr_flush(struct writer *w)
{
    unsigned char *p = w->buf;
    size_t n = w->n;
    while (n > 0 && w->err == 0) {
        ssize_t r = write(w->fd, p, n);
        if (r < 0) {
            if (errno != EINTR)
                w->err = errno;
            continue;
        }
        p += r;
        n -= (size_t)r;
    }
    w->n = 0;
}

static void
wr_bytes(struct writer *w, const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t h = w->hash;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    w->hash = h;
    while (n > 0) {
        size_t k = sizeof(w->buf) - w->n;
        if (k > n)
            k = n;
        memcpy(w->buf + w->n, p, k);
        w->n += k;
        p += k;
        n -= k;
        if (w->n == sizeof(w->buf))
            wr_flush(w);
    }
}

static void
wr_int(struct writer *w, uint64_t v, int bytes)
{
    unsigned char b[8];
    le_put(b, v, bytes);
    wr_bytes(w, b, (size_t)bytes);
}

/* Payload of s, element by element in little-endian order. */
static void
wr_payload(struct writer *w, const struct section *s)
{
    size_t es = elem_size[s->kind];
    if (little_endian() || es == 1) {
        wr_bytes(w, s->data, (size_t)s->count * es);
        return;
    }
    const unsigned char *p = s->data;
    for (uint64_t i = 0; i < s->count; i++) {
        uint64_t v = 0;
        if (es == 4) {
            uint32_t u;
            memcpy(&u, p + i * 4, 4);
            v = u;
        } else {
            memcpy(&v, p + i * 8, 8);
        }
        wr_int(w, v, (int)es);
    }
}

/* The directory part of path ("." if none), a new string. */
static char *
dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return rs_xstrdup(".");
    if (slash == path)
        return rs_xstrdup("/");
    char *d = rs_xstrdup(path);
    d[slash - path] = '\0';
    return d;
}

/* Remove PATH.tmp.<pid> files of processes that no longer exist (a kill
 * -9 in the middle of a write). Best effort: errors are ignored. */
static void
remove_stale_tmp(const char *path)
{
    char *dir = dir_of(path);
    const char *slash = strrchr(path, '/');
    char *prefix = rs_xasprintf("%s.tmp.", slash != NULL ? slash + 1 : path);
    size_t np = strlen(prefix);
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, prefix, np) != 0)
            continue;
        char *end;
        long pid = strtol(e->d_name + np, &end, 10);
        if (end == e->d_name + np || *end != '\0' || pid <= 0 ||
            pid == (long)getpid())
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue; /* alive, or not ours to judge */
        char *f = rs_xasprintf("%s/%s", dir, e->d_name);
        unlink(f);
        free(f);
    }
    if (d != NULL)
        closedir(d);
    free(prefix);
    free(dir);
}

int
rs_ckpt_write(const rs_ckpt *ck, const char *path, struct rs_error *err)
{
    remove_stale_tmp(path);
    char *tmp = rs_xasprintf("%s.tmp.%ld", path, (long)getpid());
    struct writer *w = rs_xmalloc(sizeof(*w));
    int rc = RS_OK;
    w->fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    w->hash = 14695981039346656037ULL;
    w->n = 0;
    w->err = 0;
    if (w->fd < 0) {
        rc = rs_error_set(err, RS_EIO, "cannot write checkpoint %s: %s", path,
                          strerror(errno));
        goto out;
    }
    wr_bytes(w, CKPT_MAGIC, 8);
    wr_int(w, (uint64_t)ck->n, 4);
    for (int i = 0; i < ck->n; i++) {
        const struct section *s = &ck->sec[i];
        size_t len = strlen(s->name);
        wr_int(w, s->kind, 4);
        wr_int(w, len, 4);
        wr_bytes(w, s->name, len);
        wr_int(w, s->count, 8);
        wr_payload(w, s);
    }
    uint64_t h = w->hash;
    wr_int(w, h, 8);
    wr_flush(w);
    if (w->err == 0 && fsync(w->fd) != 0)
        w->err = errno;
    if (close(w->fd) != 0 && w->err == 0)
        w->err = errno;
    if (w->err != 0) {
        rc = rs_error_set(err, RS_EIO, "cannot write checkpoint %s: %s", path,
                          strerror(w->err));
        unlink(tmp);
        goto out;
    }
    if (rename(tmp, path) != 0) {
        rc = rs_error_set(err, RS_EIO, "cannot rename %s to %s: %s", tmp, path,
                          strerror(errno));
        unlink(tmp);
        goto out;
    }
    /* Make the rename itself durable. */
    char *dir = dir_of(path);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        if (fsync(dfd) != 0 && errno != EINVAL)
            rc = rs_error_set(err, RS_EIO, "cannot sync directory %s: %s", dir,
                              strerror(errno));
        close(dfd);
    }
    free(dir);
out:
    free(w);
    free(tmp);
    return rc;
}

/* ---- reading ---------------------------------------------------------- */

static unsigned char *
slurp(const char *path, size_t *size, struct rs_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rs_error_set(err, RS_EIO, "cannot open checkpoint %s: %s", path,
                     strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rs_error_set(err, RS_EIO, "%s: not a regular file", path);
        close(fd);
        return NULL;
    }
    size_t n = (size_t)st.st_size;
    unsigned char *buf = rs_xmalloc(n > 0 ? n : 1);
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            rs_error_set(err, RS_EIO, "cannot read checkpoint %s: %s", path,
                         r < 0 ? strerror(errno) : "file shrank");
            free(buf);
            close(fd);
            return NULL;
        }
        got += (size_t)r;
    }
    close(fd);
    *size = n;
    return buf;
}

static int
cmp_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A name two sections of ck share (a writer never writes one twice), or
 * NULL. Sorted, so n log n for a file of many sections. */
static const char *
repeated_name(const rs_ckpt *ck)
{
    if (ck->n < 2)
        return NULL;
    const char **names = rs_xreallocarray(NULL, (size_t)ck->n, sizeof *names);
    for (int i = 0; i < ck->n; i++)
        names[i] = ck->sec[i].name;
    qsort(names, (size_t)ck->n, sizeof *names, cmp_name);
    const char *twice = NULL;
    for (int i = 1; i < ck->n && twice == NULL; i++)
        if (strcmp(names[i - 1], names[i]) == 0)
            twice = names[i];
    free(names);
    return twice;
}

rs_ckpt *
rs_ckpt_read(const char *path, struct rs_error *err)
{
    size_t size = 0;
    unsigned char *buf = slurp(path, &size, err);
    if (buf == NULL)
        return NULL;
    rs_ckpt *ck = rs_ckpt_read_mem(buf, size, path, err);
    free(buf);
    return ck;
}

rs_ckpt *
rs_ckpt_read_mem(const void *data, size_t size, const char *path,
                 struct rs_error *err)
{
    const unsigned char *buf = data;
    rs_ckpt *ck = rs_ckpt_new();
    size_t off = 0;
    if (size < 12) {
        rs_error_set(err, RS_EFORMAT,
                     "%s: truncated checkpoint (%zu bytes, a header needs 12)",
                     path, size);
        goto fail;
    }
    if (memcmp(buf, CKPT_MAGIC, 8) != 0) {
        rs_error_set(err, RS_EFORMAT,
                     "%s: not a repscope checkpoint (bad magic)", path);
        goto fail;
    }
    uint64_t nsec = le_get(buf + 8, 4);
    off = 12;
    for (uint64_t i = 0; i < nsec; i++) {
        if (size - off < 8) {
            rs_error_set(err, RS_EFORMAT,
                         "%s: truncated or corrupt: section %llu of %llu "
                         "starts past the end (%zu bytes)",
                         path, (unsigned long long)i + 1,
                         (unsigned long long)nsec, size);
            goto fail;
        }
        uint32_t kind = (uint32_t)le_get(buf + off, 4);
        uint64_t len = le_get(buf + off + 4, 4);
        off += 8;
        if (kind < KIND_F32 || kind > KIND_TEXT || len > CKPT_NAME_MAX) {
            rs_error_set(err, RS_EFORMAT,
                         "%s: corrupt: section %llu has kind %u and a name "
                         "of %llu bytes",
                         path, (unsigned long long)i + 1, kind,
                         (unsigned long long)len);
            goto fail;
        }
        if (size - off < len + 8) {
            rs_error_set(err, RS_EFORMAT,
                         "%s: truncated or corrupt: section %llu's header "
                         "runs past the end (%zu bytes)",
                         path, (unsigned long long)i + 1, size);
            goto fail;
        }
        char *name = rs_xmalloc((size_t)len + 1);
        memcpy(name, buf + off, (size_t)len);
        name[len] = '\0';
        off += (size_t)len;
        uint64_t count = le_get(buf + off, 8);
        off += 8;
        size_t es = elem_size[kind];
        if (count > (size - off) / es) {
            rs_error_set(err, RS_EFORMAT,
                         "%s: truncated or corrupt: section '%s' needs "
                         "%llu bytes at offset %zu, the file has %zu",
                         path, name, (unsigned long long)(count * es), off,
                         size);
            free(name);
            goto fail;
        }
        size_t bytes = (size_t)count * es;
        void *payload = rs_xmalloc(bytes + 1);
        if (kind == KIND_TEXT || little_endian()) {
            memcpy(payload, buf + off, bytes);
        } else {
            for (size_t k = 0; k < (size_t)count; k++) {
                uint64_t v = le_get(buf + off + k * es, (int)es);
                if (es == 4) {
                    uint32_t u = (uint32_t)v;
                    memcpy((char *)payload + k * 4, &u, 4);
                } else {
                    memcpy((char *)payload + k * 8, &v, 8);
                }
            }
        }
        if (kind == KIND_TEXT)
            ((char *)payload)[bytes] = '\0';
        off += bytes;
        /* appended as it is (name and payload owned): put() would look
         * for the name among all before it, n^2/2 compares for n
         * sections; repeats are found once, below */
        if (ck->n == ck->cap) {
            ck->cap = ck->cap ? ck->cap * 2 : 16;
            ck->sec =
                rs_xreallocarray(ck->sec, (size_t)ck->cap, sizeof(*ck->sec));
        }
        ck->sec[ck->n++] = (struct section){name, kind, count, payload};
    }
    if (size - off != 8) {
        if (size - off < 8)
            rs_error_set(err, RS_EFORMAT,
                         "%s: truncated checkpoint (checksum missing)", path);
        else
            rs_error_set(err, RS_EFORMAT,
                         "%s: corrupt checkpoint (%zu unexpected bytes "
                         "before the checksum)",
                         path, size - off - 8);
        goto fail;
    }
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < off; i++)
        h = (h ^ buf[i]) * 1099511628211ULL;
    if (h != le_get(buf + off, 8)) {
        rs_error_set(err, RS_EFORMAT,
                     "%s: checksum mismatch: the checkpoint is corrupt", path);
        goto fail;
    }
    const char *twice = repeated_name(ck);
    if (twice != NULL) {
        rs_error_set(err, RS_EFORMAT,
                     "%s: corrupt checkpoint: section '%s' appears twice",
                     path, twice);
        goto fail;
    }
    return ck;
fail:
    rs_ckpt_free(ck);
    return NULL;
}
