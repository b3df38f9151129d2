/* PLACEHOLDER */
#include "config.h"

#include "tests/tap.h"

int
main(void)
{
    tap_skip_all("not written yet");
}
