/* repscope - MIT licence, see COPYING.
 *
 * fuzz_set.c: --set value parsing, from the command line to the scene's
 * params. The input is a list of words separated by NUL bytes (as argv
 * would hold them; at most 64). The first byte picks the command line:
 * "repscope WORDS...", "repscope sweep WORDS...", "repscope export
 * WORDS..." or "repscope compare WORDS..." (src/cli.c, src/cli_sub.c);
 * a sweep's grid is then expanded from its --set lists and --seeds
 * (rs_sweep_new: nothing is written or run).
 * Then each word is a --set override of tests/fuzz/set_scene.lua (a
 * param of every type and constraint) through the same Lua code the
 * program uses (repscope.scene: params, and set_param for the console's
 * set), in a --safe state with a memory and an instruction cap: a bad
 * value is an error message, never a crash, a hang or a leak. What the
 * parsers print goes to stderr (run this one with -close_fd_mask=2).
 */
#include "config.h"

#include "tests/fuzz/fuzz.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "cli.h"
#include "core/base.h"
#include "lua/host.h"
#include "run/sweep.h"

#define WORDS_MAX 64

static lua_State *L;
static int try_ref; /* function(word) -> params(scene, {word}), set_param */

/* The state, the scene and the Lua function that applies one word. */
static void
setup(void)
{
    struct rs_lua_opts o;
    rs_lua_opts_default(&o);
    o.safe = true;
    o.mem_limit = (size_t)64 << 20;
    o.instr_limit = 10000000;
    o.datadir = RS_FUZZ_SRCDIR;
    struct rs_error err = {0};
    L = rs_lua_new(&o, &err);
    CHECK(L != NULL);
    CHECK(rs_lua_load_scene(L, RS_FUZZ_SRCDIR "/tests/fuzz/set_scene.lua",
                            &err) == RS_OK); /* scene */
    static const char code[] =
        "local scene = ...\n"
        "local M = require 'repscope.scene'\n"
        "return function(word)\n"
        "  local p = M.params(scene, { word })\n"
        "  local key, text = word:match('^%s*([^=]-)%s*=(.*)$')\n"
        "  if key == nil then return end\n"
        "  local state = { scene = scene, p = p, learners = {} }\n"
        "  return M.set_param(state, key, text)\n"
        "end\n";
    CHECK(luaL_loadbuffer(L, code, sizeof code - 1, "=fuzz_set") == LUA_OK);
    lua_insert(L, -2);                       /* chunk scene */
    CHECK(rs_lua_call(L, 1, 1, &err) == RS_OK); /* fn */
    try_ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

/* One word through the Lua side; an error is an answer, not a failure. */
static void
apply(const char *word)
{
    int top = lua_gettop(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, try_ref);
    lua_pushstring(L, word);
    struct rs_error err = {0};
    int rc = rs_lua_call(L, 1, 0, &err);
    /* an error is one of the param checks' messages, not a cap (memory,
     * instructions) or a Lua error in the parsing code itself */
    if (rc != RS_OK) {
        CHECK(rc == RS_EINVAL);
        CHECK(strncmp(err.msg, "param '", 7) == 0 ||
              strncmp(err.msg, "unknown param '", 15) == 0 ||
              strncmp(err.msg, "--set '", 7) == 0);
    }
    CHECK(lua_gettop(L) == top);
}

/* The grid a sweep command line makes (run/sweep.h: the values of each
 * --set list and the --seeds ranges), expanded and read, not written. */
static void
sweep_grid(const struct rs_cli_sweep *c)
{
    struct rs_sweep_spec spec = {
        .exe = "/usr/bin/repscope",
        .scene = c->scene != NULL ? c->scene : "/s.lua",
        .dir = c->out_dir != NULL ? c->out_dir : "/out",
        .sets = c->sets,
        .nsets = c->nsets,
        .seeds = c->seeds,
        .steps = c->steps,
    };
    struct rs_error err = {0};
    /* a grid of up to 1e5 points (the cap) takes seconds with the
     * sanitizers: keep it to 1000 seeds, the code is the same */
    long *seeds = NULL;
    int nseeds = 0;
    if (c->seeds != NULL &&
        rs_sweep_parse_seeds(c->seeds, &seeds, &nseeds, &err) == RS_OK &&
        nseeds > 1000) {
        free(seeds);
        return;
    }
    free(seeds);
    rs_sweep *sw = rs_sweep_new(&spec, &err);
    if (sw == NULL) {
        CHECK(err.msg[0] != '\0');
        return;
    }
    size_t sum = 0;
    for (int i = 0; i < rs_sweep_npoints(sw); i++)
        sum += strlen(rs_sweep_point_name(sw, i)) +
               strlen(rs_sweep_point_dir(sw, i)) +
               strlen(rs_sweep_point_command(sw, i));
    (void)sum;
    rs_sweep_free(sw);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (L == NULL)
        setup();
    unsigned mode = data[0] & 3;
    char *text = rs_xmalloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    char *argv[WORDS_MAX + 3];
    static char prog[] = "repscope", sweep[] = "sweep", export[] = "export",
                compare[] = "compare";
    char *const sub[] = {NULL, sweep, export, compare};
    int argc = 0, nwords = 0;
    argv[argc++] = prog;
    if (sub[mode] != NULL)
        argv[argc++] = sub[mode];
    char *words[WORDS_MAX];
    for (char *p = text; p < text + size - 1 && nwords < WORDS_MAX;
         p += strlen(p) + 1)
        words[nwords++] = argv[argc++] = p;
    argv[argc] = NULL;
    optind = 0; /* a fresh getopt scan (glibc) */
    switch (mode) {
    case 0: {
        struct rs_cli c;
        (void)rs_cli_parse(argc, argv, &c);
        break;
    }
    case 1: {
        struct rs_cli_sweep c;
        if (rs_cli_parse_sweep(argc, argv, &c) == 0 && !c.help)
            sweep_grid(&c);
        break;
    }
    case 2: {
        struct rs_cli_export c;
        (void)rs_cli_parse_export(argc, argv, &c);
        break;
    }
    default: {
        struct rs_cli_compare c;
        (void)rs_cli_parse_compare(argc, argv, &c);
        break;
    }
    }
    for (int i = 0; i < nwords; i++)
        apply(words[i]);
    /* what this input made is garbage now: collect it, so that mallocs
     * and frees balance and libFuzzer skips its leak scan (which costs
     * far more than the run while the heap only grows) */
    lua_gc(L, LUA_GCCOLLECT);
    free(text);
    return 0;
}
