/* repscope - MIT licence, see COPYING.
 *
 * names.c: metric and matrix names (core/names.h).
 */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "core/names.h"

/* First parts of the bare names a single unnamed learner, the probes and
 * the session publish; an owner may not take one of them. */
static const char *const reserved[] = {
    "train", "test",    "probe",   "norm",   "spectrum", "neurons",
    "linear", "session", "system", "lua",    "eval",     "optim",
    /* an unnamed PPO learner's (algo/ppo.h) */
    "rl",     "actor",   "critic",  "ppo",    "capacity", "time",
    "env",
};

static size_t
append(char out[RS_NAME_MAX], size_t k, const char *part)
{
    size_t n = part != NULL ? strlen(part) : 0;
    if (n == 0)
        return k;
    if (k > 0 && k + 1 < RS_NAME_MAX)
        out[k++] = '/';
    if (n > RS_NAME_MAX - 1 - k)
        n = RS_NAME_MAX - 1 - k;
    memcpy(out + k, part, n);
    k += n;
    out[k] = '\0';
    return k;
}

const char *
rs_name(char out[RS_NAME_MAX], const char *owner, ...)
{
    out[0] = '\0';
    size_t k = append(out, 0, owner);
    va_list ap;
    va_start(ap, owner);
    for (const char *part; (part = va_arg(ap, const char *)) != NULL;)
        k = append(out, k, part);
    va_end(ap);
    return out;
}

int
rs_name_check_owner(const char *name, struct rs_error *err)
{
    size_t n = name != NULL ? strlen(name) : 0;
    if (n == 0 || n > RS_NAME_OWNER_MAX)
        return rs_error_set(err, RS_EINVAL,
                            "learner name '%.40s' must have 1 to %d "
                            "characters",
                            name != NULL ? name : "", RS_NAME_OWNER_MAX);
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '_';
        if (!ok)
            return rs_error_set(err, RS_EINVAL,
                                "learner name '%s': character '%c' is not "
                                "a letter, digit or '_'",
                                name, c);
    }
    for (size_t i = 0; i < RS_ARRAY_LEN(reserved); i++)
        if (strcmp(name, reserved[i]) == 0)
            return rs_error_set(err, RS_EINVAL,
                                "learner name '%s' is reserved (bare metric "
                                "names start with it)",
                                name);
    return RS_OK;
}

bool
rs_name_owned_by(const char *name, const char *owner)
{
    if (owner == NULL || owner[0] == '\0') {
        for (size_t i = 0; i < RS_ARRAY_LEN(reserved); i++) {
            size_t n = strlen(reserved[i]);
            if (strncmp(name, reserved[i], n) == 0 &&
                (name[n] == '/' || name[n] == '\0'))
                return true;
        }
        return false;
    }
    size_t n = strlen(owner);
    return strncmp(name, owner, n) == 0 && name[n] == '/';
}
