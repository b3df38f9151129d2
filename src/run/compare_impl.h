/* repscope - MIT licence, see COPYING.
 *
 * compare_impl.h: what compare.c (finding the runs, labels, life cycle,
 * polling), compare_views.c (the overlay views, the table, the status)
 * and compare_grid.c (the grid of a sweep) share: the comparison, its
 * runs, and the helpers that write view specs. Not for other modules.
 */
#ifndef RS_RUN_COMPARE_IMPL_H
#define RS_RUN_COMPARE_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "run/attach.h"
#include "run/bus.h"
#include "run/compare.h"
#include "run/json.h"

#define PARAMS_MAX 32
#define LABEL_MAX 40 /* bytes of a label, so that names stay short */

struct param {
    char *key, *val;
};

struct run {
    int index; /* its place: the argument's, or the sweep point's */
    char *dir;
    char label[LABEL_MAX + 8];
    char group[LABEL_MAX + 8]; /* the label without the seed */
    struct param params[PARAMS_MAX];
    int nparams;
    rs_attach *a;
    int exit_code; /* the sweep's record of it (exit/INDEX); -1: none */
};

struct rs_compare {
    rs_bus *bus;
    struct run *runs; /* (n) */
    int n;
    int missing;                   /* sweep points with no run yet (pending) */
    struct run *pending;           /* (missing) those points, in sweep order */
    bool sweep;                    /* the runs are a sweep's points */
    bool grid;                     /* rs_compare_new_grid: small multiples */
    char gseries[RS_BUS_NAME_MAX]; /* the grid's series ("": not yet) */
    bool gseries_given;            /* named by the caller */
    double ylo, yhi;               /* the grid's shared y range */
    char *home;                    /* the sweep directory, or the first run's */
    char *views;                   /* the view specs last published */
    /* the groups (compare_groups.c), all points' at open; by_group: the
     * overlays draw a line per group (mean and band), not per run */
    struct rs_compare_group *groups;
    int ngroups;
    bool by_group;
    /* overlaid series (the table's columns are the first of them) */
    char (*series)[RS_BUS_NAME_MAX];
    int nseries;
    /* the feeder thread */
    pthread_t thread;
    bool running, stop;
    double interval;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

/* Append s to b as written (lit), or as a JSON string (str). */
static inline void
rs_compare_lit(struct rs_json_buf *b, const char *s)
{
    rs_json_buf_raw(b, s, strlen(s));
}

static inline void
rs_compare_str(struct rs_json_buf *b, const char *s)
{
    rs_json_buf_string(b, s, strlen(s));
}

/* v's string, or def when it is none. */
static inline const char *
rs_compare_str_or(const rs_json *v, const char *def)
{
    const char *s = rs_json_str(v, NULL);
    return s != NULL ? s : def;
}

/* ---- compare_views.c ----------------------------------------------------- */
/* "<label>/<name>" as a JSON string, cut as the bus cuts names. */
void rs_compare_prefixed(struct rs_json_buf *b, const char *label,
                         const char *name);
/* Add to c's overlaid series every series name on the bus without its
 * run's prefix (time/ left out). */
void rs_compare_series_from_bus(rs_compare *c);
/* The view in views that shows series name, or NULL. */
const rs_json *rs_compare_view_of(const rs_json *views, const char *name);
/* The overlay view specs for the runs as they stand (a new string). */
char *rs_compare_build_views(rs_compare *c);
/* The view specs of the first run that recorded them, parsed (the
 * caller's to free), or NULL. */
rs_json *rs_compare_recorded_views(const rs_compare *c);
/* The table "compare/final" and the status for all the runs. */
void rs_compare_publish_table(rs_compare *c);
void rs_compare_publish_status(rs_compare *c);

/* ---- compare_groups.c ---------------------------------------------------- */
/* The groups of all c's points (started or not), from their labels. */
void rs_compare_groups_init(rs_compare *c);
/* Whether a line per group says more than a line per run: several
 * groups, and one of them of several runs. */
bool rs_compare_groups_useful(const rs_compare *c);
/* Group k's published prefix ("lr=1e-3 (3)"; borrowed). */
const char *rs_compare_group_prefix(const rs_compare *c, int k);
/* Feed member r's values to its group from now on. */
void rs_compare_groups_tap(rs_compare *c, struct run *r);
/* Publish each group's steps that all its runs have passed. */
void rs_compare_groups_publish(rs_compare *c);
void rs_compare_groups_free(rs_compare *c);

/* ---- compare_grid.c ------------------------------------------------------ */
/* The grid's view specs (a new string) and its status. */
char *rs_compare_build_grid(rs_compare *c);
void rs_compare_publish_grid_status(rs_compare *c);

#endif /* RS_RUN_COMPARE_IMPL_H */
