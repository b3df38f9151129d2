/* repscope - MIT licence, see COPYING.
 *
 * main.c: the composition root (placeholder until the CLI lands).
 */
#include "config.h"

#include <stdio.h>

int
main(void)
{
    printf("%s\n", PACKAGE_STRING);
    return 0;
}
