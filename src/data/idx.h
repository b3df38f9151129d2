/* repscope - MIT licence, see COPYING.
 *
 * idx.h: the IDX file format of MNIST and Fashion-MNIST, unsigned-byte
 * kind only: a big-endian header (magic 0x00000803 then N, rows, cols for
 * images; 0x00000801 then N for labels) followed by exactly N*rows*cols
 * (or N) bytes. Files may be gzip-compressed (detected by the bytes 1f 8b)
 * or plain.
 *
 * A file is read whole into memory and checked strictly: magic, every
 * dimension in range, the exact payload length (short is "truncated",
 * longer is "trailing data") and, for gzip, the stream's own checks (CRC,
 * length). Every error message starts with the file's path.
 * No shared state; any thread may call it.
 */
#ifndef RS_DATA_IDX_H
#define RS_DATA_IDX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base.h"

#define RS_DATA_IDX_MAGIC_IMAGES 0x00000803u /* ubyte, 3 dims */
#define RS_DATA_IDX_MAGIC_LABELS 0x00000801u /* ubyte, 1 dim */
#define RS_DATA_IDX_MAX_ITEMS 10000000       /* N <= 1e7 */
#define RS_DATA_IDX_MAX_SIDE 4096            /* rows, cols <= 4096 */

enum rs_data_idx_kind { RS_DATA_IDX_IMAGES, RS_DATA_IDX_LABELS };

/* A loaded file, embedded by the caller (rs_data_idx_read ->
 * rs_data_idx_fini). For labels rows = cols = 1. */
struct rs_data_idx {
    enum rs_data_idx_kind kind;
    int n, rows, cols;
    bool gzip;     /* the file was gzip-compressed */
    uint8_t *data; /* (n, rows, cols) or (n), owned; NULL when empty */
    size_t size;   /* n * rows * cols bytes */
};

/* Read the IDX file at path, which must be of the given kind, into *idx
 * (overwritten; on error it is left empty, so rs_data_idx_fini is always
 * safe). Returns RS_OK, RS_EIO (cannot open / read), RS_EFORMAT (wrong
 * magic, bad dimensions, truncated, trailing data, corrupt gzip) or
 * RS_ENOMEM (payload too big to allocate); err->msg starts with path. */
RS_NODISCARD int rs_data_idx_read(struct rs_data_idx *idx, const char *path,
                                  enum rs_data_idx_kind kind,
                                  struct rs_error *err);
/* Free the payload and empty *idx. */
void rs_data_idx_fini(struct rs_data_idx *idx);

#endif /* RS_DATA_IDX_H */
