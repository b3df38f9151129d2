/* repscope - MIT licence, see COPYING.
 *
 * t_run_ckpt.c: checkpoints. A round trip of every section kind (empty
 * ones included, a replaced name, special float values bit for bit); the
 * on-disk layout checked against a hand-built file (magic, counts, and an
 * FNV-1a-64 computed here); truncation at many lengths and corruption
 * refused with messages naming the file; and atomicity: when the new
 * write fails (file size limit, read-only directory) the old checkpoint
 * is still there, intact, and no temporary file is left behind. Reading
 * from memory; many sections; a name that appears twice refused.
 */
#include "config.h"

#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base.h"
#include "run/ckpt.h"
#include "tests/tap.h"

static unsigned char *
slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = rs_xmalloc((size_t)len + 1);
    *n = fread(buf, 1, (size_t)len, f);
    fclose(f);
    return buf;
}

static void
spit(const char *path, const unsigned char *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, n, f) != n)
        tap_bail("cannot write %s", path);
    fclose(f);
}

static rs_ckpt *
sample(void)
{
    rs_ckpt *ck = rs_ckpt_new();
    float f[5] = {1.5f, -0.0f, INFINITY, 1e-42f, 3.14159265f};
    uint64_t u[3] = {0, UINT64_MAX, 0x0123456789abcdefULL};
    rs_ckpt_put_floats(ck, "model/w1", f, 5);
    rs_ckpt_put_u64s(ck, "session/rng", u, 3);
    rs_ckpt_put_text(ck, "session/params",
                     "{\"lr\":0.01,\"name\":\"\xc3\xa9\"}");
    rs_ckpt_put_floats(ck, "empty/f", NULL, 0);
    rs_ckpt_put_text(ck, "empty/t", "");
    float g[2] = {7, 8};
    rs_ckpt_put_floats(ck, "model/w1", g, 2); /* replaces */
    return ck;
}

static void
test_roundtrip(const char *tmp)
{
    rs_ckpt *ck = sample();
    tap_is_int(rs_ckpt_count(ck), 5, "a repeated name replaces: 5 sections");
    char *path = rs_xasprintf("%s/ckpt.bin", tmp);
    struct rs_error err = {0};
    tap_ok(rs_ckpt_write(ck, path, &err) == RS_OK, "write (%s)", err.msg);
    rs_ckpt *back = rs_ckpt_read(path, &err);
    tap_ok(back != NULL, "read back (%s)", err.msg);
    if (back == NULL)
        tap_bail("no checkpoint to compare");
    tap_is_int(rs_ckpt_count(back), 5, "5 sections read");
    bool names = true;
    for (int i = 0; i < 5; i++)
        names =
            names && strcmp(rs_ckpt_name(back, i), rs_ckpt_name(ck, i)) == 0;
    tap_ok(names, "section names in order");
    size_t n = 0;
    const float *f = rs_ckpt_floats(back, "model/w1", &n);
    tap_ok(f != NULL && n == 2 && f[0] == 7 && f[1] == 8,
           "replaced float section");
    const uint64_t *u = rs_ckpt_u64s(back, "session/rng", &n);
    tap_ok(u != NULL && n == 3 && u[0] == 0 && u[1] == UINT64_MAX &&
               u[2] == 0x0123456789abcdefULL,
           "u64 section exact");
    tap_is_str(rs_ckpt_text(back, "session/params"),
               "{\"lr\":0.01,\"name\":\"\xc3\xa9\"}", "text section");
    f = rs_ckpt_floats(back, "empty/f", &n);
    tap_ok(f != NULL && n == 0, "empty float section");
    tap_is_str(rs_ckpt_text(back, "empty/t"), "", "empty text section");
    tap_ok(rs_ckpt_floats(back, "session/rng", NULL) == NULL &&
               rs_ckpt_text(back, "model/w1") == NULL &&
               rs_ckpt_u64s(back, "nope", NULL) == NULL,
           "lookups of the wrong kind or an absent name give NULL");
    rs_ckpt_free(back);
    rs_ckpt_free(ck);

    /* Special floats survive bit for bit. */
    ck = rs_ckpt_new();
    float sp[4] = {NAN, -INFINITY, -0.0f, 1.17549435e-38f};
    rs_ckpt_put_floats(ck, "s", sp, 4);
    tap_ok(rs_ckpt_write(ck, path, &err) == RS_OK, "write special floats");
    back = rs_ckpt_read(path, &err);
    f = back != NULL ? rs_ckpt_floats(back, "s", &n) : NULL;
    tap_ok(f != NULL && n == 4 && memcmp(f, sp, sizeof(sp)) == 0,
           "NaN, -Inf, -0 and a denormal-edge value bit for bit");
    rs_ckpt_free(back);
    rs_ckpt_free(ck);
    free(path);
}

/* FNV-1a-64, written out here independently of ckpt.c. */
static uint64_t
fnv(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static void
test_layout(const char *tmp)
{
    rs_ckpt *ck = rs_ckpt_new();
    float one = 1.0f;
    rs_ckpt_put_floats(ck, "ab", &one, 1);
    char *path = rs_xasprintf("%s/layout.bin", tmp);
    struct rs_error err = {0};
    tap_ok(rs_ckpt_write(ck, path, &err) == RS_OK, "write one section");
    size_t n = 0;
    unsigned char *got = slurp(path, &n);
    /* magic, u32 1, u32 kind 1, u32 len 2, "ab", u64 1, f32 1.0, u64 h */
    unsigned char want[8 + 4 + 4 + 4 + 2 + 8 + 4 + 8] = {
        'R', 'S', 'C', 'K', 'P', 'T', '0',  '1',  1,    0,   0, 0,
        1,   0,   0,   0,   2,   0,   0,    0,    'a',  'b', 1, 0,
        0,   0,   0,   0,   0,   0,   0x00, 0x00, 0x80, 0x3f};
    uint64_t h = fnv(want, sizeof(want) - 8);
    for (int i = 0; i < 8; i++)
        want[sizeof(want) - 8 + (size_t)i] = (unsigned char)(h >> (8 * i));
    tap_ok(got != NULL && n == sizeof(want) && memcmp(got, want, n) == 0,
           "bytes on disk match the documented layout and checksum");
    free(got);
    free(path);
    rs_ckpt_free(ck);
}

static void
test_corrupt(const char *tmp)
{
    rs_ckpt *ck = sample();
    char *path = rs_xasprintf("%s/good.bin", tmp);
    struct rs_error err = {0};
    if (rs_ckpt_write(ck, path, &err) != RS_OK)
        tap_bail("write: %s", err.msg);
    rs_ckpt_free(ck);
    size_t n = 0;
    unsigned char *good = slurp(path, &n);
    char *bad = rs_xasprintf("%s/bad.bin", tmp);

    /* Every prefix shorter than the file is refused, naming the file. */
    int refused = 0, named = 0, tried = 0;
    for (size_t len = 0; len < n; len++) {
        spit(bad, good, len);
        struct rs_error e = {0};
        rs_ckpt *r = rs_ckpt_read(bad, &e);
        tried++;
        refused += r == NULL && e.code == RS_EFORMAT;
        named += strstr(e.msg, bad) != NULL;
        if (len == 0 || len == 20 || len == n - 1)
            tap_diag("%zu bytes: %s", len, e.msg);
        rs_ckpt_free(r);
    }
    tap_is_int(refused, tried, "all %d truncations refused (RS_EFORMAT)",
               tried);
    tap_is_int(named, tried, "every message names the file");
    spit(bad, good, n - 3);
    rs_ckpt_read(bad, &err);
    tap_ok(strstr(err.msg, "truncated") != NULL,
           "a cut checksum says truncated: %s", err.msg);

    /* A flipped bit in the payload: the checksum catches it. */
    unsigned char *copy = rs_xmalloc(n);
    memcpy(copy, good, n);
    copy[8 + 4 + 4 + 4 + 8 + 8 + 1] ^= 0x10; /* model/w1's first float */
    spit(bad, copy, n);
    rs_ckpt *r = rs_ckpt_read(bad, &err);
    tap_ok(r == NULL && err.code == RS_EFORMAT &&
               strstr(err.msg, "checksum") != NULL &&
               strstr(err.msg, bad) != NULL,
           "flipped payload byte refused: %s", err.msg);
    /* Every single-byte flip anywhere is refused (some as bad structure). */
    int all = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(copy, good, n);
        copy[i] ^= 0x01;
        spit(bad, copy, n);
        r = rs_ckpt_read(bad, NULL);
        all += r == NULL;
        rs_ckpt_free(r);
    }
    tap_is_int(all, (long)n, "each of the %zu one-bit flips refused", n);
    /* Trailing bytes. */
    unsigned char *longer = rs_xmalloc(n + 4);
    memcpy(longer, good, n);
    memset(longer + n, 0, 4);
    spit(bad, longer, n + 4);
    r = rs_ckpt_read(bad, &err);
    tap_ok(r == NULL && strstr(err.msg, bad) != NULL, "extra bytes refused: %s",
           err.msg);
    /* Not a checkpoint at all. */
    spit(bad, (const unsigned char *)"hello, this is not a checkpoint", 31);
    r = rs_ckpt_read(bad, &err);
    tap_ok(r == NULL && strstr(err.msg, "bad magic") != NULL, "wrong magic: %s",
           err.msg);
    /* A huge section count with a valid magic does not allocate wildly. */
    memcpy(copy, good, n);
    copy[8] = copy[9] = copy[10] = copy[11] = 0xff;
    spit(bad, copy, n);
    r = rs_ckpt_read(bad, &err);
    tap_ok(r == NULL, "absurd section count refused: %s", err.msg);
    char *missing = rs_xasprintf("%s/none.bin", tmp);
    r = rs_ckpt_read(missing, &err);
    tap_ok(r == NULL && err.code == RS_EIO && strstr(err.msg, missing),
           "missing file: RS_EIO naming it");
    free(missing);
    free(longer);
    free(copy);
    free(good);
    free(bad);
    free(path);
}

static int
count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    if (d != NULL)
        closedir(d);
    return n;
}

static void
test_atomic(const char *tmp)
{
    char *dir = rs_xasprintf("%s/atomic", tmp);
    mkdir(dir, 0777);
    char *path = rs_xasprintf("%s/ckpt.bin", dir);
    struct rs_error err = {0};
    rs_ckpt *old = rs_ckpt_new();
    float v[4] = {1, 2, 3, 4};
    rs_ckpt_put_floats(old, "w", v, 4);
    if (rs_ckpt_write(old, path, &err) != RS_OK)
        tap_bail("write: %s", err.msg);
    size_t n0 = 0;
    unsigned char *before = slurp(path, &n0);

    /* A big new checkpoint that cannot be written: file size limit. */
    rs_ckpt *big = rs_ckpt_new();
    float *w = rs_xcalloc(1 << 16, sizeof(float));
    rs_ckpt_put_floats(big, "w", w, 1 << 16);
    struct rlimit rl, saved;
    getrlimit(RLIMIT_FSIZE, &saved);
    rl = saved;
    rl.rlim_cur = 4096;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    setrlimit(RLIMIT_FSIZE, &rl);
    int rc = rs_ckpt_write(big, path, &err);
    setrlimit(RLIMIT_FSIZE, &saved);
    signal(SIGXFSZ, prev);
    tap_ok(rc == RS_EIO && strstr(err.msg, path) != NULL,
           "a failed write reports RS_EIO naming the file: %s", err.msg);
    size_t n1 = 0;
    unsigned char *after = slurp(path, &n1);
    tap_ok(after != NULL && n1 == n0 && memcmp(before, after, n0) == 0,
           "the old checkpoint is untouched");
    rs_ckpt *r = rs_ckpt_read(path, &err);
    size_t k = 0;
    const float *f = r != NULL ? rs_ckpt_floats(r, "w", &k) : NULL;
    tap_ok(f != NULL && k == 4 && f[3] == 4, "and still loads");
    rs_ckpt_free(r);
    tap_is_int(count_entries(dir), 1, "no temporary file left behind");
    free(after);

    /* A directory we may not write into (root ignores modes: skip). */
    if (geteuid() == 0) {
        tap_skip(2, "running as root: directory permissions do not apply");
    } else {
        chmod(dir, 0555);
        rc = rs_ckpt_write(big, path, &err);
        chmod(dir, 0755);
        tap_ok(rc == RS_EIO, "read-only directory: RS_EIO (%s)", err.msg);
        after = slurp(path, &n1);
        tap_ok(after != NULL && n1 == n0 && memcmp(before, after, n0) == 0,
               "the old checkpoint is untouched");
        free(after);
    }
    /* And a successful overwrite replaces it. */
    tap_ok(rs_ckpt_write(big, path, &err) == RS_OK, "overwrite succeeds");
    r = rs_ckpt_read(path, &err);
    f = r != NULL ? rs_ckpt_floats(r, "w", &k) : NULL;
    tap_ok(f != NULL && k == (1 << 16), "the new checkpoint is in place");
    tap_is_int(count_entries(dir), 1, "one file in the directory");
    rs_ckpt_free(r);
    rs_ckpt_free(big);
    rs_ckpt_free(old);
    free(w);
    free(before);
    free(path);
    free(dir);
}

/* rs_ckpt_read_mem: the bytes of a written checkpoint read from memory
 * give the same sections as the file; the buffer is only borrowed; a
 * cut one is refused under the name given for it. */
static void
test_read_mem(const char *tmp)
{
    rs_ckpt *ck = sample();
    char *path = rs_xasprintf("%s/mem.bin", tmp);
    struct rs_error err = {0};
    tap_ok(rs_ckpt_write(ck, path, &err) == RS_OK, "write (%s)", err.msg);
    size_t n = 0;
    unsigned char *buf = slurp(path, &n);
    if (buf == NULL)
        tap_bail("cannot read %s back", path);
    rs_ckpt *back = rs_ckpt_read_mem(buf, n, "in memory", &err);
    memset(buf, 0, n); /* nothing may point into it */
    tap_ok(back != NULL, "read from memory (%s)", err.msg);
    size_t k = 0;
    const float *f = back != NULL ? rs_ckpt_floats(back, "model/w1", &k) : NULL;
    tap_ok(back != NULL && rs_ckpt_count(back) == 5 && f != NULL && k == 2 &&
               f[0] == 7 && f[1] == 8 &&
               strcmp(rs_ckpt_text(back, "session/params"),
                      "{\"lr\":0.01,\"name\":\"\xc3\xa9\"}") == 0,
           "the same sections as the file, copied out of the buffer");
    rs_ckpt_free(back);
    free(buf);
    buf = slurp(path, &n);
    back = rs_ckpt_read_mem(buf, n - 1, "in memory", &err);
    tap_ok(back == NULL && err.code == RS_EFORMAT &&
               strncmp(err.msg, "in memory: ", 11) == 0,
           "a cut buffer is refused under its name: %s", err.msg);
    free(buf);
    rs_ckpt_free(ck);
    free(path);
}

/* Many sections are read in n log n (each used to be looked up among
 * all before it: 100000 took 15 s of CPU), and a name that appears
 * twice makes the file corrupt (the writer never writes one twice). The
 * files are built here, checksum included. */
static void
test_many_sections(const char *tmp)
{
    enum { N = 20000, SEC = 23 }; /* kind, name length, "s000000", count */
    size_t body = 12 + (size_t)SEC * N;
    unsigned char *file = rs_xcalloc(body + 8, 1);
    memcpy(file, "RSCKPT01", 8);
    for (int i = 0; i < 4; i++)
        file[8 + i] = (unsigned char)((N >> (8 * i)) & 0xff);
    for (int i = 0; i < N; i++) {
        unsigned char *sec = file + 12 + (size_t)SEC * (size_t)i;
        sec[0] = 3; /* text, empty: the count stays 0 */
        sec[4] = 7;
        char name[8];
        snprintf(name, sizeof name, "s%06d", i);
        memcpy(sec + 8, name, 7);
    }
    char *path = rs_xasprintf("%s/many.bin", tmp);
    for (int dup = 0; dup < 2; dup++) {
        /* the second file names its last section as its 18th */
        if (dup)
            memcpy(file + 12 + (size_t)SEC * (N - 1) + 8, "s000017", 7);
        uint64_t h = 14695981039346656037ULL;
        for (size_t i = 0; i < body; i++)
            h = (h ^ file[i]) * 1099511628211ULL;
        for (int i = 0; i < 8; i++)
            file[body + (size_t)i] = (unsigned char)(h >> (8 * i));
        spit(path, file, body + 8);
        struct rs_error err = {0};
        rs_ckpt *ck = rs_ckpt_read(path, &err);
        if (!dup)
            tap_ok(ck != NULL && rs_ckpt_count(ck) == N &&
                       strcmp(rs_ckpt_name(ck, N - 1), "s019999") == 0 &&
                       rs_ckpt_text(ck, "s012345") != NULL,
                   "%d sections read, in order (%s)", N, err.msg);
        else
            tap_ok(ck == NULL && err.code == RS_EFORMAT &&
                       strstr(err.msg, "section 's000017' appears twice"),
                   "a repeated name is refused: %s", err.msg);
        rs_ckpt_free(ck);
    }
    free(file);
    free(path);
}

int
main(void)
{
    tap_plan_lazy();
    char *tmp = tap_tmpdir("t_run_ckpt");
    test_roundtrip(tmp);
    test_layout(tmp);
    test_corrupt(tmp);
    test_atomic(tmp);
    test_read_mem(tmp);
    test_many_sections(tmp);
    free(tmp);
    return tap_done();
}
