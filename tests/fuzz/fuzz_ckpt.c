/* repscope - MIT licence, see COPYING.
 *
 * fuzz_ckpt.c: the checkpoint reader (run/ckpt.h, rs_ckpt_read_mem).
 * The first input byte picks a mode, the rest is the file:
 *   bit 0  fix the file's trailing FNV-1a-64 before reading it, so that
 *          the mutations reach the sections of a file that is accepted
 *          (random bytes almost never carry a right checksum);
 *   bit 1  round trip an accepted checkpoint: write it (rs_ckpt_write,
 *          to the scratch directory), read it back, and check that every
 *          section came back with the same kind, size and bytes.
 * Every accepted section is read whole; a refused file must say why.
 */
#include "config.h"

#include "tests/fuzz/fuzz.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "run/ckpt.h"

/* The sum of every byte of section name (ASan sees a short buffer). */
static unsigned
touch(const rs_ckpt *ck, const char *name)
{
    unsigned sum = 0;
    size_t n = 0;
    const float *f = rs_ckpt_floats(ck, name, &n);
    if (f != NULL)
        for (size_t i = 0; i < n * sizeof *f; i++)
            sum += ((const unsigned char *)f)[i];
    const uint64_t *u = rs_ckpt_u64s(ck, name, &n);
    if (u != NULL)
        for (size_t i = 0; i < n * sizeof *u; i++)
            sum += ((const unsigned char *)u)[i];
    const char *t = rs_ckpt_text(ck, name);
    if (t != NULL)
        sum += (unsigned)strlen(t);
    CHECK((f != NULL) + (u != NULL) + (t != NULL) == 1);
    return sum;
}

/* a and b hold the same sections. */
static void
same(const rs_ckpt *a, const rs_ckpt *b)
{
    CHECK(rs_ckpt_count(a) == rs_ckpt_count(b));
    for (int i = 0; i < rs_ckpt_count(a); i++) {
        const char *name = rs_ckpt_name(a, i);
        size_t na = 0, nb = 0;
        const float *fa = rs_ckpt_floats(a, name, &na);
        const float *fb = rs_ckpt_floats(b, name, &nb);
        CHECK((fa == NULL) == (fb == NULL));
        if (fa != NULL)
            CHECK(na == nb && memcmp(fa, fb, na * sizeof *fa) == 0);
        const uint64_t *ua = rs_ckpt_u64s(a, name, &na);
        const uint64_t *ub = rs_ckpt_u64s(b, name, &nb);
        CHECK((ua == NULL) == (ub == NULL));
        if (ua != NULL)
            CHECK(na == nb && memcmp(ua, ub, na * sizeof *ua) == 0);
        const char *ta = rs_ckpt_text(a, name), *tb = rs_ckpt_text(b, name);
        CHECK((ta == NULL) == (tb == NULL));
        if (ta != NULL)
            CHECK(strcmp(ta, tb) == 0);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned mode = data[0];
    size_t n = size - 1;
    unsigned char *buf = rs_xmalloc(n > 0 ? n : 1);
    memcpy(buf, data + 1, n);
    if ((mode & 1) && n >= 8) {
        uint64_t h = 14695981039346656037ULL;
        for (size_t i = 0; i < n - 8; i++)
            h = (h ^ buf[i]) * 1099511628211ULL;
        for (int i = 0; i < 8; i++)
            buf[n - 8 + (size_t)i] = (unsigned char)(h >> (8 * i));
    }
    struct rs_error err = {0};
    rs_ckpt *ck = rs_ckpt_read_mem(buf, n, "fuzz.ckpt", &err);
    free(buf);
    if (ck == NULL) {
        CHECK(err.code == RS_EFORMAT &&
              strncmp(err.msg, "fuzz.ckpt: ", 11) == 0);
        return 0;
    }
    unsigned sum = 0;
    for (int i = 0; i < rs_ckpt_count(ck); i++)
        sum += touch(ck, rs_ckpt_name(ck, i));
    (void)sum;
    if (mode & 2) {
        static char *path;
        if (path == NULL)
            path = fuzz_path("round.ckpt");
        CHECK(rs_ckpt_write(ck, path, &err) == RS_OK);
        rs_ckpt *back = rs_ckpt_read(path, &err);
        CHECK(back != NULL);
        same(ck, back);
        rs_ckpt_free(back);
    }
    rs_ckpt_free(ck);
    return 0;
}
