/* repscope - MIT licence, see COPYING.
 *
 * l_seqtask.c: (being written) adds its functions to the rs.data table.
 */
#include "config.h"

#include "lua/bind.h"

void
rs_lua_open_seqtask(lua_State *L)
{
    (void)L; /* the rs.data table is at the top of the stack */
}
