/* repscope - MIT licence, see COPYING.
 *
 * l_seqtrain.c: (being written) adds its functions to the rs.train table.
 */
#include "config.h"

#include "lua/bind.h"

void
rs_lua_open_seqtrain(lua_State *L)
{
    (void)L; /* the rs.train table is at the top of the stack */
}
