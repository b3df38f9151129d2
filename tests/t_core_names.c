/* repscope - MIT licence, see COPYING.
 *
 * t_core_names.c: metric names (core/names.h).
 */
#include "config.h"

#include <string.h>

#include "core/names.h"
#include "tests/tap.h"

int
main(void)
{
    tap_plan_lazy();
    char b[RS_NAME_MAX];
    tap_is_str(rs_name(b, NULL, "train", "loss", (char *)NULL),
                  "train/loss", "no owner: bare name");
    tap_is_str(rs_name(b, "", "probe", "srank", "l3", (char *)NULL),
                  "probe/srank/l3", "empty owner: bare name");
    tap_is_str(rs_name(b, "sparc", "train", "loss", (char *)NULL),
                  "sparc/train/loss", "owner first");
    tap_is_str(rs_name(b, "a", "", "norm", (const char *)NULL,
                          (char *)NULL),
                  "a/norm", "empty parts skipped, NULL ends");
    char long_part[400];
    memset(long_part, 'x', sizeof long_part - 1);
    long_part[sizeof long_part - 1] = '\0';
    rs_name(b, "pfo", long_part, "tail", (char *)NULL);
    tap_ok(strlen(b) == RS_NAME_MAX - 1 && strncmp(b, "pfo/xx", 6) == 0,
              "an overlong name is truncated, NUL kept");

    struct rs_error err = {0};
    tap_ok(rs_name_check_owner("pfo_2", &err) == RS_OK, "pfo_2 is valid");
    tap_ok(rs_name_check_owner("train", &err) == RS_EINVAL &&
                  strstr(err.msg, "reserved") != NULL,
              "train is reserved: %s", err.msg);
    tap_ok(rs_name_check_owner("a/b", &err) == RS_EINVAL &&
                  strstr(err.msg, "'/'") != NULL,
              "a slash is refused: %s", err.msg);
    tap_ok(rs_name_check_owner("", &err) == RS_EINVAL, "empty refused");
    tap_ok(rs_name_check_owner("abcdefghijklmnopqrstuvwxyz0123456",
                                  &err) == RS_EINVAL,
              "33 characters refused");
    tap_ok(rs_name_owned_by("a/train/loss", "a"), "a owns a/train/loss");
    tap_ok(!rs_name_owned_by("ab/train/loss", "a"),
              "a does not own ab/...");
    tap_ok(rs_name_owned_by("train/loss", ""), "bare train/loss");
    tap_ok(!rs_name_owned_by("a/train/loss", ""), "a/... is not bare");
    return tap_done();
}
