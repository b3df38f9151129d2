/* repscope - MIT licence, see COPYING.
 *
 * fuzz_idx.c: the IDX loader (data/idx.h), plain and gzip. The first
 * input byte picks a mode, the rest is the file, written to the scratch
 * directory and read with rs_data_idx_read:
 *   bit 0  read it as labels (else images);
 *   bit 1  gzip the bytes first (zlib, here), so that the mutations
 *          reach the IDX header and payload inside a valid gzip stream;
 *          without it a gzip file in the corpus is mutated as it is
 *          (corrupt streams, cut trailers);
 *   bit 2  with bit 1, cut the last (byte 1 of the input) bytes off the
 *          compressed file (a truncated download), which must then be
 *          refused, even when only its trailer is missing.
 * An accepted file must hold exactly n * rows * cols bytes, the payload
 * of a plain file; a refused one must name the file in its message.
 */
#include "config.h"

#include "tests/fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "core/base.h"
#include "data/idx.h"

/* data[0..n) as a gzip stream into a new buffer (*out_n bytes). */
static unsigned char *
gzip_bytes(const uint8_t *data, size_t n, size_t *out_n)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    CHECK(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) ==
          Z_OK);
    size_t cap = deflateBound(&z, (uLong)n) + 32;
    unsigned char *out = rs_xmalloc(cap);
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END);
    *out_n = cap - z.avail_out;
    deflateEnd(&z);
    return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char *path;
    if (size < 2)
        return 0;
    if (path == NULL)
        path = fuzz_path("data.idx");
    unsigned mode = data[0], cut = data[1];
    const uint8_t *file = data + 1;
    size_t n = size - 1;
    enum rs_data_idx_kind kind =
        mode & 1 ? RS_DATA_IDX_LABELS : RS_DATA_IDX_IMAGES;
    if (mode & 2) {
        file = data + 2;
        n = size - 2;
        size_t gz_n = 0;
        unsigned char *gz = gzip_bytes(file, n, &gz_n);
        if (mode & 4)
            gz_n = cut < gz_n ? gz_n - cut : 0;
        fuzz_write(path, gz, gz_n);
        free(gz);
    } else {
        fuzz_write(path, file, n);
    }
    struct rs_data_idx idx;
    struct rs_error err = {0};
    int rc = rs_data_idx_read(&idx, path, kind, &err);
    if (rc != RS_OK) {
        CHECK(idx.data == NULL && idx.size == 0);
        CHECK(strncmp(err.msg, path, strlen(path)) == 0);
        rs_data_idx_fini(&idx);
        return 0;
    }
    /* a gzip stream cut anywhere, even in its 8-byte trailer, is refused */
    CHECK((mode & 6) != 6 || cut == 0);
    size_t hsize = kind == RS_DATA_IDX_IMAGES ? 16 : 8;
    CHECK(idx.n >= 1 && idx.rows >= 1 && idx.cols >= 1);
    CHECK(idx.size == (size_t)idx.n * (size_t)idx.rows * (size_t)idx.cols);
    CHECK(idx.gzip == ((mode & 2) != 0 || (n >= 2 && file[0] == 0x1f &&
                                            file[1] == 0x8b)));
    if (!idx.gzip || (mode & 2))
        CHECK(n == hsize + idx.size &&
              memcmp(idx.data, file + hsize, idx.size) == 0);
    rs_data_idx_fini(&idx);
    return 0;
}
