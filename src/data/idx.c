/* repscope - MIT licence, see COPYING.
 *
 * idx.c: strict IDX reader (see idx.h). The file is sniffed for the gzip
 * magic 1f 8b and then read through zlib's gz* stream or stdio; the
 * payload buffer grows with the data actually read (never to the size a
 * corrupt header claims) and one more read after the payload must hit the
 * end of data: that catches trailing bytes and makes zlib check the gzip
 * trailer (CRC-32 and length). Any thread; no shared state.
 */
#include "config.h"

#include "data/idx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#define CHUNK ((size_t)1 << 20) /* bytes per read call */

/* A byte source: a plain FILE or a gzip stream. After a short read,
 * failed says whether it was an error (msg) or the end of data; early
 * says the gzip stream itself ended before its end marker. */
struct src {
    FILE *f;
    gzFile gz;
    const char *path;
    bool failed, early;
    int code; /* RS_EIO or RS_EFORMAT when failed */
    char msg[128];
};

static int
src_open(struct src *s, const char *path, bool *gzip, struct rs_error *err)
{
    memset(s, 0, sizeof *s);
    s->path = path;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return rs_error_set(err, RS_EIO, "%s: cannot open: %s", path,
                            strerror(errno));
    unsigned char m[2] = {0, 0};
    size_t k = fread(m, 1, 2, f);
    *gzip = k == 2 && m[0] == 0x1f && m[1] == 0x8b;
    if (!*gzip) {
        rewind(f);
        s->f = f;
        return RS_OK;
    }
    fclose(f);
    errno = 0;
    s->gz = gzopen(path, "rb");
    if (s->gz == NULL)
        return rs_error_set(err, RS_EIO, "%s: cannot open: %s", path,
                            errno != 0 ? strerror(errno) : "zlib failed");
    gzbuffer(s->gz, 1u << 17);
    return RS_OK;
}

static void
src_close(struct src *s)
{
    if (s->f != NULL)
        fclose(s->f);
    if (s->gz != NULL)
        gzclose_r(s->gz);
}

/* Read up to n bytes into buf; returns how many were read. Fewer than n
 * means the end of data or an error (s->failed). */
static size_t
src_read(struct src *s, void *buf, size_t n)
{
    if (s->failed)
        return 0;
    if (s->f != NULL) {
        size_t got = fread(buf, 1, n, s->f);
        if (got < n && ferror(s->f)) {
            s->failed = true;
            s->code = RS_EIO;
            snprintf(s->msg, sizeof s->msg, "read error: %s", strerror(errno));
        }
        return got;
    }
    size_t got = 0;
    while (got < n) {
        size_t want = n - got < CHUNK ? n - got : CHUNK;
        int r = gzread(s->gz, (unsigned char *)buf + got, (unsigned)want);
        int zerr = Z_OK;
        const char *zmsg = NULL;
        if (r <= 0)
            zmsg = gzerror(s->gz, &zerr);
        if (r < 0 || (r == 0 && zerr != Z_OK && zerr != Z_BUF_ERROR)) {
            s->failed = true;
            s->code = zerr == Z_ERRNO ? RS_EIO : RS_EFORMAT;
            /* zlib's message is "path: what"; keep the what */
            size_t pl = strlen(s->path);
            if (zmsg != NULL && strncmp(zmsg, s->path, pl) == 0 &&
                strncmp(zmsg + pl, ": ", 2) == 0)
                zmsg += pl + 2;
            snprintf(s->msg, sizeof s->msg, "%s",
                     zerr == Z_ERRNO ? strerror(errno)
                                     : (zmsg != NULL ? zmsg : "zlib error"));
            break;
        }
        if (r == 0) {
            /* Z_BUF_ERROR at the end: the compressed data stops before
             * the deflate stream's end (a cut .gz file). */
            s->early = zerr == Z_BUF_ERROR;
            break;
        }
        got += (size_t)r;
    }
    return got;
}

static uint32_t
be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           (uint32_t)p[3];
}

/* The message for a read that ended before want bytes. */
static int
short_read(const struct src *s, const char *path, const char *what, size_t want,
           size_t got, struct rs_error *err)
{
    /* zlib inflates ahead of what was asked, so the place where the
     * error shows says little: no byte counts. */
    if (s->failed && s->code == RS_EFORMAT)
        return rs_error_set(err, RS_EFORMAT,
                            "%s: corrupt gzip data (zlib: "
                            "%s)",
                            path, s->msg);
    if (s->failed)
        return rs_error_set(err, RS_EIO,
                            "%s: %s after %zu of %zu bytes "
                            "of %s",
                            path, s->msg, got, want, what);
    return rs_error_set(
        err, RS_EFORMAT, "%s: truncated: expected %zu bytes of %s, got %zu%s",
        path, want, what, got, s->early ? " (the gzip stream ends early)" : "");
}

static int
check_magic(const unsigned char *h, const char *path,
            enum rs_data_idx_kind kind, struct rs_error *err)
{
    uint32_t want = kind == RS_DATA_IDX_IMAGES ? RS_DATA_IDX_MAGIC_IMAGES
                                               : RS_DATA_IDX_MAGIC_LABELS;
    uint32_t other = kind == RS_DATA_IDX_IMAGES ? RS_DATA_IDX_MAGIC_LABELS
                                                : RS_DATA_IDX_MAGIC_IMAGES;
    uint32_t magic = be32(h);
    if (magic != want)
        return rs_error_set(err, RS_EFORMAT,
                            "%s: wrong magic 0x%08lx (expected 0x%08lx for "
                            "IDX unsigned-byte %s%s)",
                            path, (unsigned long)magic, (unsigned long)want,
                            kind == RS_DATA_IDX_IMAGES ? "images" : "labels",
                            magic == other ? "; this is the other kind of "
                                             "IDX file"
                                           : "");
    return RS_OK;
}

/* The dimensions after a checked magic. */
static int
check_header(const unsigned char *h, const char *path,
             enum rs_data_idx_kind kind, uint32_t dims[3], struct rs_error *err)
{
    int nd = kind == RS_DATA_IDX_IMAGES ? 3 : 1;
    for (int d = 0; d < nd; d++)
        dims[d] = be32(h + 4 + 4 * d);
    if (dims[0] < 1 || dims[0] > RS_DATA_IDX_MAX_ITEMS)
        return rs_error_set(
            err, RS_EFORMAT, "%s: bad dimensions: %lu items (must be 1..%d)",
            path, (unsigned long)dims[0], RS_DATA_IDX_MAX_ITEMS);
    if (nd == 3 && (dims[1] < 1 || dims[1] > RS_DATA_IDX_MAX_SIDE ||
                    dims[2] < 1 || dims[2] > RS_DATA_IDX_MAX_SIDE))
        return rs_error_set(err, RS_EFORMAT,
                            "%s: bad dimensions: %lux%lu images (each side "
                            "must be 1..%d)",
                            path, (unsigned long)dims[1],
                            (unsigned long)dims[2], RS_DATA_IDX_MAX_SIDE);
    if (nd == 1)
        dims[1] = dims[2] = 1;
    return RS_OK;
}

/* Read exactly want payload bytes into a buffer that grows with the data
 * (*out, owned by the caller on success). */
static int
read_payload(struct src *s, const char *path, const char *what, size_t want,
             uint8_t **out, struct rs_error *err)
{
    size_t cap = want < CHUNK ? want : CHUNK, got = 0;
    uint8_t *buf = malloc(cap);
    if (buf == NULL)
        return rs_error_set(err, RS_ENOMEM, "%s: out of memory for %zu bytes",
                            path, cap);
    while (got < want) {
        if (got == cap) {
            size_t ncap = cap > want / 2 ? want : cap * 2;
            uint8_t *nb = realloc(buf, ncap);
            if (nb == NULL) {
                free(buf);
                return rs_error_set(err, RS_ENOMEM,
                                    "%s: out of memory for %zu bytes of %s",
                                    path, ncap, what);
            }
            buf = nb;
            cap = ncap;
        }
        size_t ask = cap - got < CHUNK ? cap - got : CHUNK;
        size_t r = src_read(s, buf + got, ask);
        got += r;
        if (r < ask)
            break;
    }
    if (got < want) {
        free(buf);
        return short_read(s, path, what, want, got, err);
    }
    *out = buf;
    return RS_OK;
}

/* After the payload the data must end: count any trailing bytes. */
static int
check_end(struct src *s, const char *path, const char *what, size_t size,
          struct rs_error *err)
{
    unsigned char tail[4096];
    size_t extra = 0, r;
    while ((r = src_read(s, tail, sizeof tail)) > 0)
        extra += r;
    if (s->failed && s->code == RS_EFORMAT)
        return rs_error_set(err, RS_EFORMAT,
                            "%s: corrupt gzip data (zlib: "
                            "%s)",
                            path, s->msg);
    if (s->failed)
        return rs_error_set(err, RS_EIO, "%s: %s", path, s->msg);
    if (extra > 0)
        return rs_error_set(err, RS_EFORMAT,
                            "%s: %zu bytes of trailing data after %zu bytes "
                            "of %s",
                            path, extra, size, what);
    if (s->early)
        return rs_error_set(err, RS_EFORMAT,
                            "%s: truncated gzip stream after %zu bytes of %s",
                            path, size, what);
    return RS_OK;
}

int
rs_data_idx_read(struct rs_data_idx *idx, const char *path,
                 enum rs_data_idx_kind kind, struct rs_error *err)
{
    memset(idx, 0, sizeof *idx);
    idx->kind = kind;
    bool gzip = false;
    struct src s;
    int rc = src_open(&s, path, &gzip, err);
    if (rc != RS_OK)
        return rc;
    const char *what = kind == RS_DATA_IDX_IMAGES ? "pixels" : "labels";
    size_t hsize = kind == RS_DATA_IDX_IMAGES ? 16 : 8;
    unsigned char h[16];
    uint32_t dims[3];
    uint8_t *data = NULL;
    /* The magic first, so a file of the other kind is named as such even
     * when it is shorter than this kind's header. */
    size_t got = src_read(&s, h, 4);
    if (got == 4) {
        rc = check_magic(h, path, kind, err);
        if (rc != RS_OK)
            goto out;
        got += src_read(&s, h + 4, hsize - 4);
    }
    if (got < hsize) {
        if (s.failed)
            rc = short_read(&s, path, "header", hsize, got, err);
        else
            rc = rs_error_set(err, RS_EFORMAT,
                              "%s: truncated: expected a %zu-byte header, "
                              "got %zu bytes%s",
                              path, hsize, got,
                              s.early ? " (the gzip stream ends early)" : "");
        goto out;
    }
    rc = check_header(h, path, kind, dims, err);
    if (rc != RS_OK)
        goto out;
    /* dims[0] <= 1e7 and sides <= 4096: at most 1.7e14, which fits. */
    if ((uint64_t)dims[0] * dims[1] * dims[2] > (uint64_t)SIZE_MAX) {
        rc = rs_error_set(err, RS_ENOMEM,
                          "%s: %lu x %lu x %lu bytes do not "
                          "fit in memory",
                          path, (unsigned long)dims[0], (unsigned long)dims[1],
                          (unsigned long)dims[2]);
        goto out;
    }
    size_t size = (size_t)dims[0] * dims[1] * dims[2];
    /* The buffer grows only with data read, so a short file cannot make
     * it big; a gzip bomb can (1000:1). Refuse what could not be kept. */
    size_t ram = rs_mem_total();
    if (ram > 0 && size > ram / 2) {
        rc = rs_error_set(err, RS_ENOMEM,
                          "%s: %lu x %lu x %lu = %zu MiB of %s, more than "
                          "half of this machine's memory (%zu MiB): not "
                          "read",
                          path, (unsigned long)dims[0], (unsigned long)dims[1],
                          (unsigned long)dims[2], size >> 20, what, ram >> 20);
        goto out;
    }
    rc = read_payload(&s, path, what, size, &data, err);
    if (rc != RS_OK)
        goto out;
    rc = check_end(&s, path, what, size, err);
    if (rc != RS_OK)
        goto out;
    idx->n = (int)dims[0];
    idx->rows = (int)dims[1];
    idx->cols = (int)dims[2];
    idx->gzip = gzip;
    idx->data = data;
    idx->size = size;
    data = NULL;
out:
    free(data);
    src_close(&s);
    return rc;
}

void
rs_data_idx_fini(struct rs_data_idx *idx)
{
    free(idx->data);
    enum rs_data_idx_kind kind = idx->kind;
    memset(idx, 0, sizeof *idx);
    idx->kind = kind;
}
