/* repscope - MIT licence, see COPYING.
 *
 * sweep_impl.h: what sweep.c (the grid and sweep.json) and sweep_exec.c
 * (running the points) share. Not for other modules.
 */
#ifndef RS_RUN_SWEEP_IMPL_H
#define RS_RUN_SWEEP_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/base.h"
#include "run/json.h"
#include "run/sweep.h"

struct sweep_point {
    int index;
    char *name;
    char **keys, **vals; /* the point's params, nparams of each */
    int nparams;
    bool has_seed;
    long seed;
    char *run_dir, *log; /* absolute */
    char **argv;         /* NULL-terminated */
    char *command;       /* argv as a shell line, output to log */
    int exit;            /* -1: unknown */
};

struct rs_sweep {
    char *dir;       /* absolute, no trailing '/' */
    char *scene;     /* the scene file */
    long steps;      /* 0: the scene's */
    char *grid_json; /* the "grid" member's text */
    struct sweep_point *pts;
    int n;
};

/* s as one shell word (single quotes unless it is all safe characters). */
void rs_sweep_shell_quote(struct rs_json_buf *b, const char *s);
/* Write text to path (through path.tmp, renamed) with the given mode. */
RS_NODISCARD int rs_sweep_write_file(const char *path, const char *text,
                                     int mode, struct rs_error *err);
/* DIR/commands.txt and DIR/run-point.sh. */
RS_NODISCARD int rs_sweep_write_scripts(const rs_sweep *sw,
                                        struct rs_error *err);

#endif /* RS_RUN_SWEEP_IMPL_H */
