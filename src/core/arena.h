/* repscope - MIT licence, see COPYING.
 *
 * arena.h: bump allocator for per-step temporaries (the ggml context idea).
 * Allocations are 64-byte aligned and are never freed one by one:
 * rs_arena_reset drops them all. After a reset the arena keeps one block as
 * large as the peak of the previous cycle, so a training loop that does the
 * same work every step stops calling malloc after its first step.
 * Single-threaded; owned by its creator (usually an rs_graph).
 */
#ifndef RS_CORE_ARENA_H
#define RS_CORE_ARENA_H

#include <stddef.h>

typedef struct rs_arena rs_arena;

rs_arena *rs_arena_new(size_t initial_bytes);
void rs_arena_free(rs_arena *a);
/* Uninitialised 64-byte aligned memory valid until the next reset. Aborts
 * through rs_fatal only if the system is out of memory. size 0 returns a
 * valid unique pointer. */
void *rs_arena_alloc(rs_arena *a, size_t size);
void *rs_arena_calloc(rs_arena *a, size_t size);
void rs_arena_reset(rs_arena *a);
/* Bytes handed out since the last reset, and the peak over its lifetime. */
size_t rs_arena_used(const rs_arena *a);
size_t rs_arena_peak(const rs_arena *a);
/* Number of system allocations made so far (tests check steady state). */
size_t rs_arena_mallocs(const rs_arena *a);

#endif /* RS_CORE_ARENA_H */
