/* repscope - MIT licence, see COPYING.
 *
 * fuzz_scene.c: scene loading in --safe mode (lua/host.h,
 * rs_lua_load_scene), what `repscope --safe SCENE` does first with a
 * scene from someone else. The input is the scene file, written to the
 * scratch directory and loaded into a fresh safe state with a 64 MiB
 * heap cap and a cap of 10^7 VM instructions per call, so that a bomb
 * or an endless loop ends in an error message, not in the OOM killer or
 * a hang (libFuzzer's -timeout catches the latter). Loading runs the
 * file's top level and validates the scene it returns; nothing is set
 * up or trained. A refused scene must say why, naming the file.
 */
#include "config.h"

#include "tests/fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "lua/host.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char *path;
    if (path == NULL)
        path = fuzz_path("scene.lua");
    fuzz_write(path, data, size);
    struct rs_lua_opts o;
    rs_lua_opts_default(&o);
    o.safe = true;
    o.mem_limit = (size_t)64 << 20;
    o.instr_limit = 10000000;
    o.datadir = RS_FUZZ_SRCDIR;
    struct rs_error err = {0};
    struct lua_State *L = rs_lua_new(&o, &err);
    CHECK(L != NULL);
    int rc = rs_lua_load_scene(L, path, &err);
    if (rc != RS_OK)
        CHECK(err.msg[0] != '\0');
    rs_lua_free(L);
    return 0;
}
