/* repscope - MIT licence, see COPYING.
 *
 * fuzz.h: what the libFuzzer harnesses of tests/fuzz share: a private
 * scratch directory made once per process (mkdtemp under $TMPDIR, else
 * /dev/shm when it is there, else /tmp; removed at exit) for the readers
 * that take a path, and a whole-file writer. Each harness is one
 * LLVMFuzzerTestOneInput over one parser; tests/fuzz/run.sh drives them
 * (make fuzz). Single-threaded: libFuzzer calls a harness from one thread.
 */
#ifndef RS_TESTS_FUZZ_H
#define RS_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "core/base.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A harness's own check: when c is false, print "fuzz_NAME: check
 * failed: c (line L)" (what run.sh looks for) and abort, which libFuzzer
 * reports as a crash with the input kept. */
#define CHECK(c)                                                               \
    do {                                                                       \
        if (!(c))                                                              \
            fuzz_check_failed(__FILE__, __LINE__, #c);                         \
    } while (0)
RS_NORETURN void fuzz_check_failed(const char *file, int line,
                                   const char *what);

/* The scratch directory (made on first use; aborts if it cannot be). */
const char *fuzz_dir(void);
/* A new string "<scratch>/name" the caller frees. */
char *fuzz_path(const char *name);
/* Write n bytes to path, replacing it; aborts on failure (a harness
 * cannot go on without its input file). */
void fuzz_write(const char *path, const void *data, size_t n);

#endif /* RS_TESTS_FUZZ_H */
