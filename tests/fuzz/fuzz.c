/* repscope - MIT licence, see COPYING.
 *
 * fuzz.c: the harnesses' scratch directory and file writer (fuzz.h).
 * The directory and what is in it are removed at exit, so a run of
 * make fuzz leaves nothing behind but its crash reproducers.
 */
#include "config.h"

#include "tests/fuzz/fuzz.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base.h"

static char *scratch;

static void
remove_scratch(void)
{
    DIR *d = opendir(scratch);
    if (d != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char *p = rs_xasprintf("%s/%s", scratch, e->d_name);
            unlink(p);
            free(p);
        }
        closedir(d);
    }
    rmdir(scratch);
    free(scratch);
    scratch = NULL;
}

const char *
fuzz_dir(void)
{
    if (scratch != NULL)
        return scratch;
    const char *base = getenv("TMPDIR");
    struct stat st;
    if (base == NULL || base[0] == '\0')
        base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
                       access("/dev/shm", W_OK) == 0
                   ? "/dev/shm"
                   : "/tmp";
    scratch = rs_xasprintf("%s/repscope-fuzz.XXXXXX", base);
    if (mkdtemp(scratch) == NULL) {
        perror(scratch);
        abort();
    }
    atexit(remove_scratch);
    return scratch;
}

char *
fuzz_path(const char *name)
{
    return rs_xasprintf("%s/%s", fuzz_dir(), name);
}

void
fuzz_write(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL || (n > 0 && fwrite(data, 1, n, f) != n) || fclose(f) != 0) {
        perror(path);
        abort();
    }
}

void
fuzz_check_failed(const char *file, int line, const char *what)
{
    const char *base = strrchr(file, '/');
    base = base != NULL ? base + 1 : file;
    int n = (int)strcspn(base, ".");
    fprintf(stderr, "%.*s: check failed: %s (line %d)\n", n, base, what, line);
    abort();
}
