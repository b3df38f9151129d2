/* repscope - MIT licence, see COPYING.
 *
 * main_impl.h: what main.c and main_sweep.c share. Internal to src/.
 */
#ifndef RS_MAIN_IMPL_H
#define RS_MAIN_IMPL_H

/* RS_DATADIR tells the Lua host and the scene lookup where lua/ and
 * scenes/ live: the user's value, else the installed data directory, else
 * the source tree this binary was built from (so an uninstalled build,
 * ./quickstart.sh's, just works). */
void rs_main_settle_datadir(void);
/* A scene argument is a file path, or a shipped scene's name. Returns a
 * new string, or NULL after printing what was tried. */
char *rs_main_resolve_scene(const char *arg);
/* `repscope sweep ...` and `repscope export ...` (argv[1] is the word):
 * the exit status. */
int rs_main_sweep(int argc, char **argv);
int rs_main_export(int argc, char **argv);

#endif /* RS_MAIN_IMPL_H */
