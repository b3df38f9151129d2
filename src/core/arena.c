/* repscope - MIT licence, see COPYING.
 *
 * arena.c: chained bump blocks. On reset, if more than one block was needed
 * the chain is replaced by one block of the peak size, so steady-state steps
 * allocate nothing. Single-threaded.
 */
#include "config.h"

#include "core/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"

#define ARENA_ALIGN 64

struct arena_block {
    struct arena_block *next;
    size_t size, used;
    unsigned char *mem;
};

struct rs_arena {
    struct arena_block *head; /* current block; older ones follow */
    size_t used, peak, mallocs;
};

static struct arena_block *
block_new(rs_arena *a, size_t size)
{
    struct arena_block *b = rs_xmalloc(sizeof *b);
    b->mem = rs_aligned_alloc(size);
    if (b->mem == NULL)
        rs_fatal("out of memory: step arena block of %zu bytes", size);
    b->size = size;
    b->used = 0;
    b->next = NULL;
    a->mallocs++;
    return b;
}

static void
blocks_free(struct arena_block *b)
{
    while (b != NULL) {
        struct arena_block *next = b->next;
        rs_aligned_free(b->mem);
        free(b);
        b = next;
    }
}

rs_arena *
rs_arena_new(size_t initial_bytes)
{
    rs_arena *a = rs_xcalloc(1, sizeof *a);
    if (initial_bytes < 4096)
        initial_bytes = 4096;
    a->head = block_new(a, initial_bytes);
    return a;
}

void
rs_arena_free(rs_arena *a)
{
    if (a == NULL)
        return;
    blocks_free(a->head);
    free(a);
}

void *
rs_arena_alloc(rs_arena *a, size_t size)
{
    size_t need = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (need == 0)
        need = ARENA_ALIGN;
    struct arena_block *b = a->head;
    if (b->used + need > b->size) {
        size_t sz = b->size * 2;
        if (sz < need)
            sz = need;
        struct arena_block *nb = block_new(a, sz);
        nb->next = b;
        a->head = b = nb;
    }
    void *p = b->mem + b->used;
    b->used += need;
    a->used += need;
    if (a->used > a->peak)
        a->peak = a->used;
    return p;
}

void *
rs_arena_calloc(rs_arena *a, size_t size)
{
    void *p = rs_arena_alloc(a, size);
    memset(p, 0, size);
    return p;
}

void
rs_arena_reset(rs_arena *a)
{
    if (a->head->next != NULL) {
        /* Several blocks were needed: replace them by one of peak size. */
        blocks_free(a->head);
        a->head = block_new(a, a->peak);
    }
    a->head->used = 0;
    a->used = 0;
}

size_t
rs_arena_used(const rs_arena *a)
{
    return a->used;
}

size_t
rs_arena_peak(const rs_arena *a)
{
    return a->peak;
}

size_t
rs_arena_mallocs(const rs_arena *a)
{
    return a->mallocs;
}
