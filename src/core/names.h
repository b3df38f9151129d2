/* repscope - MIT licence, see COPYING.
 *
 * names.h: the one place that builds metric and matrix names. A learner
 * called "sparc" publishes "sparc/train/loss" and
 * "sparc/probe/srank/l2"; the unnamed learner of a single-learner scene
 * publishes the bare "train/loss" and "probe/srank/l2", so older scenes,
 * logs and tools keep working. Every producer of a name (learners, the
 * probe runner, the Lua binding's rs.name) goes through rs_name; no other
 * file pastes '/' between parts of a metric name.
 *
 * An owner (learner) name is 1..RS_NAME_OWNER_MAX bytes of [A-Za-z0-9_]
 * and not one of the reserved first parts of bare names ("train",
 * "test", "probe", "norm", ...), so "<owner>/..." can never be mistaken
 * for a bare name.
 */
#ifndef RS_CORE_NAMES_H
#define RS_CORE_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "core/base.h"

/* Room for a whole name with its NUL; longer names are truncated (the
 * parts are bounded well below it: owner 31, layer 31, metric words). */
#define RS_NAME_MAX 192
/* Longest owner (learner) name, without the NUL. */
#define RS_NAME_OWNER_MAX 31

/* Write owner/part1/part2/... into out (RS_NAME_MAX bytes) and return
 * out. The parts end with a NULL; owner NULL or "" leaves it out; a NULL
 * or empty part is skipped. */
const char *rs_name(char out[RS_NAME_MAX], const char *owner, ...)
    RS_SENTINEL;

/* RS_OK when name can own metrics (see the top of this file), else
 * RS_EINVAL with a message naming it and the rule it breaks. */
RS_NODISCARD int rs_name_check_owner(const char *name, struct rs_error *err);

/* True when name is owner's (starts with "<owner>/"; owner "" owns the
 * names whose first part is reserved, i.e. the bare names). */
bool rs_name_owned_by(const char *name, const char *owner);

#endif /* RS_CORE_NAMES_H */
