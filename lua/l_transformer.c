/* repscope - MIT licence, see COPYING.
 *
 * l_transformer.c: (being written) adds its functions to the rs.nn table.
 */
#include "config.h"

#include "lua/bind.h"

void
rs_lua_open_transformer(lua_State *L)
{
    (void)L; /* the rs.nn table is at the top of the stack */
}
