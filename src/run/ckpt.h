/* repscope - MIT licence, see COPYING.
 *
 * ckpt.h: checkpoints. A checkpoint is a set of named sections (float
 * arrays, uint64 arrays, text) collected in memory and written at once:
 * temp file, fsync, rename, fsync of the directory, so a crash leaves
 * either the old checkpoint or the new one, never a torn one. A checksum
 * over the whole file is verified on load; a truncated or corrupt file is
 * refused with a message naming the file and what is wrong.
 *
 * Format (little-endian): magic "RSCKPT01", u32 section count, then per
 * section: u32 kind (1 f32, 2 u64, 3 text), u32 name length, name bytes,
 * u64 element count, payload; then u64 FNV-1a-64 of everything before it.
 * Single-threaded per object (the worker).
 */
#ifndef RS_RUN_CKPT_H
#define RS_RUN_CKPT_H

#include <stddef.h>
#include <stdint.h>

#include "core/base.h"

typedef struct rs_ckpt rs_ckpt;

rs_ckpt *rs_ckpt_new(void);
void rs_ckpt_free(rs_ckpt *ck);

/* Add a section (data copied). A repeated name replaces the earlier one. */
void rs_ckpt_put_floats(rs_ckpt *ck, const char *name, const float *data,
                        size_t n);
void rs_ckpt_put_u64s(rs_ckpt *ck, const char *name, const uint64_t *data,
                      size_t n);
void rs_ckpt_put_text(rs_ckpt *ck, const char *name, const char *text);

/* Look a section up: NULL if absent or of another kind; *n gets the count.
 * Borrowed while ck lives. */
const float *rs_ckpt_floats(const rs_ckpt *ck, const char *name, size_t *n);
const uint64_t *rs_ckpt_u64s(const rs_ckpt *ck, const char *name,
                             size_t *n);
const char *rs_ckpt_text(const rs_ckpt *ck, const char *name);
int rs_ckpt_count(const rs_ckpt *ck);
const char *rs_ckpt_name(const rs_ckpt *ck, int i);

/* Atomic write to path (temp + fsync + rename). */
RS_NODISCARD int rs_ckpt_write(const rs_ckpt *ck, const char *path,
                               struct rs_error *err);
/* Read and verify; NULL + err (RS_EIO, RS_EFORMAT) naming path. A file
 * with two sections of one name is corrupt (the writer never makes one). */
rs_ckpt *rs_ckpt_read(const char *path, struct rs_error *err);
/* The same from the size bytes at data (borrowed: nothing points into
 * them afterwards); path only names the file in messages. */
rs_ckpt *rs_ckpt_read_mem(const void *data, size_t size, const char *path,
                          struct rs_error *err);

#endif /* RS_RUN_CKPT_H */
