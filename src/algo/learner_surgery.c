/* repscope - MIT licence, see COPYING.
 *
 * learner_surgery.c: removing units of a learner's model mid-run
 * (learner.h rs_learner_remove_units over nn/surgery.h), and the record
 * of every cut that lets a checkpoint of a pruned learner be loaded into
 * one built at the original width. Worker thread only.
 */
#include "config.h"

#include "algo/learner.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo/learner_impl.h"
#include "nn/surgery.h"

/* The learner as messages name it ('_' for the unnamed one, as in its
 * checkpoint sections). */
static const char *
who(const rs_learner *l)
{
    const char *n = rs_learner_name(l);
    return n[0] != '\0' ? n : "_";
}

/* Append "<layer>:<u>,<u>,...;" to l->cuts. */
static void
record_cut(rs_learner *l, const char *layer, const int *units, int n)
{
    size_t old = l->cuts != NULL ? strlen(l->cuts) : 0;
    size_t need = old + strlen(layer) + 3 + (size_t)n * 12;
    char *s = rs_xreallocarray(l->cuts, need, 1);
    size_t k = old;
    k += (size_t)snprintf(s + k, need - k, "%s:", layer);
    for (int i = 0; i < n; i++)
        k += (size_t)snprintf(s + k, need - k, "%s%d", i > 0 ? "," : "",
                              units[i]);
    snprintf(s + k, need - k, ";");
    l->cuts = s;
}

int
rs_learner_remove_units(rs_learner *l, const char *layer, const int *units,
                        int n, struct rs_error *err)
{
    if (l->nmod != 1)
        return rs_error_set(err, RS_EINVAL,
                            "learner '%s': removing units works on a learner "
                            "of one module (this one has %d)",
                            who(l), l->nmod);
    if (rs_objective_tensors(l->obj) > 0)
        return rs_error_set(err, RS_EINVAL,
                            "learner '%s': its objective (%s) holds state "
                            "shaped like the parameters; remove units first, "
                            "then set the objective",
                            who(l), rs_objective_kind(l->obj));
    if (n < 1)
        return rs_error_set(err, RS_EINVAL,
                            "learner '%s': no units to remove from %s",
                            who(l), layer);
    /* no arena tensor of the old shapes may outlive the cut */
    rs_graph_reset(l->g);
    int rc = rs_nn_module_remove_units(l->mod[0], layer, units, n, l->optim,
                                       err);
    if (rc != RS_OK)
        return rc;
    l->probe_valid = false;
    record_cut(l, layer, units, n);
    return RS_OK;
}

const char *
rs_learner_cuts(const rs_learner *l)
{
    return l->cuts != NULL ? l->cuts : "";
}

int
rs_learner_replay_cuts(rs_learner *l, const char *cuts, struct rs_error *err)
{
    int rc = RS_OK, *units = NULL;
    for (const char *p = cuts; rc == RS_OK && *p != '\0';) {
        const char *colon = strchr(p, ':'), *end = strchr(p, ';');
        if (colon == NULL || end == NULL || colon > end ||
            colon - p > RS_NAME_OWNER_MAX * 2) {
            rc = rs_error_set(err, RS_EINVAL, "malformed cut record '%.60s'",
                              p);
            break;
        }
        char layer[RS_NAME_OWNER_MAX * 2 + 1];
        snprintf(layer, sizeof layer, "%.*s", (int)(colon - p), p);
        int n = 0;
        units = rs_xreallocarray(units, (size_t)(end - colon), sizeof *units);
        for (const char *q = colon + 1; q < end;) {
            char *next;
            long u = strtol(q, &next, 10);
            if (next == q || u < 0 || u > INT_MAX ||
                (*next != ',' && next != end)) {
                rc = rs_error_set(err, RS_EINVAL,
                                  "malformed cut record '%.*s'",
                                  (int)(end - p), p);
                break;
            }
            units[n++] = (int)u;
            q = *next == ',' ? next + 1 : next;
        }
        if (rc == RS_OK) {
            struct rs_error cerr = {0};
            if (rs_learner_remove_units(l, layer, units, n, &cerr) != RS_OK)
                rc = rs_error_set(err, RS_EINVAL, "replaying cut '%.*s': %s",
                                  (int)(end - p), p, cerr.msg);
        }
        p = end + 1;
    }
    free(units);
    return rc;
}
