/* repscope - MIT licence, see COPYING.
 *
 * cli_impl.h: what cli.c (the main command line) and cli_sub.c (the
 * subcommands' own) share. Internal to src/.
 */
#ifndef RS_CLI_IMPL_H
#define RS_CLI_IMPL_H

#include <stddef.h>

/* getopt_long's code for row i (above every char) */
#define ROW_CODE 256

/* s as a whole number in lo..hi into *out: 0, or -1 after a message
 * naming opt and s. */
int rs_cli_parse_long(const char *opt, const char *s, long lo, long hi,
                      long *out);
/* The length of the option name in "--name[=value]". */
size_t rs_cli_long_name_len(const char *a);

#endif /* RS_CLI_IMPL_H */
