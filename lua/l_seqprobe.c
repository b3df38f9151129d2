/* repscope - MIT licence, see COPYING.
 *
 * l_seqprobe.c: (being written) adds its functions to the rs.probe table.
 */
#include "config.h"

#include "lua/bind.h"

void
rs_lua_open_seqprobe(lua_State *L)
{
    (void)L; /* the rs.probe table is at the top of the stack */
}
