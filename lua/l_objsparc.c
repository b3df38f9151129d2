/* repscope - MIT licence, see COPYING.
 *
 * l_objsparc.c: the image-text objectives (algo/objective.h, obj_sparc.c)
 * as rs.objective specs:
 *
 *   rs.objective.clip{}
 *   rs.objective.sparc{lambda_g=0.5, lambda_f=1, sigma_mult=1, sparse=true,
 *                      align="minmax" | "softmax",
 *                      negatives="caption" | "batch", tau_f=false}
 *
 * A learner using either has modules {image encoder, text encoder,
 * log-temperature} (a fourth, the L_f log-temperature, with tau_f=true)
 * and a source of (image features, caption tokens). The spec is checked
 * when made (the C objective is built once and dropped), so a bad field
 * raises at the call that wrote it. Worker thread only.
 */
#include "config.h"

#include <string.h>

#include "algo/objective.h"
#include "lua/bind.h"

static const char *const align_names[] = {"minmax", "softmax", NULL};
static const char *const neg_names[] = {"caption", "batch", NULL};

/* rs.objective.clip{} */
static int
l_objective_clip(lua_State *L)
{
    static const char fn[] = "rs.objective.clip";
    static const char *const fields[] = {NULL};
    if (!lua_isnoneornil(L, 1)) {
        rs_lua_check_table(L, 1, fn, "config");
        rs_lua_check_fields(L, 1, fn, fields);
    }
    rs_lua_objective_push(L, "clip");
    return 1;
}

/* The config of a sparc spec (or config table) at idx; fn non-NULL
 * validates the fields (raising), NULL reads a spec made by
 * l_objective_sparc. */
static void
read_config(lua_State *L, int idx, const char *fn,
            struct rs_obj_sparc_config *cfg)
{
    const char *f = fn != NULL ? fn : "rs.objective.sparc";
    rs_obj_sparc_config_default(cfg);
    cfg->lambda_g = rs_lua_opt_number_field(L, idx, f, "lambda_g", 0.5);
    cfg->lambda_f = rs_lua_opt_number_field(L, idx, f, "lambda_f", 1.0);
    cfg->sigma_mult = rs_lua_opt_number_field(L, idx, f, "sigma_mult", 1.0);
    cfg->sparse = rs_lua_opt_bool_field(L, idx, f, "sparse", true);
    cfg->tau_f = rs_lua_opt_bool_field(L, idx, f, "tau_f", false);
    cfg->align = (enum rs_obj_sparc_align)rs_lua_opt_enum_field(
        L, idx, f, "align", "minmax", align_names);
    cfg->negatives = (enum rs_obj_sparc_negatives)rs_lua_opt_enum_field(
        L, idx, f, "negatives", "caption", neg_names);
}

/* rs.objective.sparc{...} */
static int
l_objective_sparc(lua_State *L)
{
    static const char fn[] = "rs.objective.sparc";
    static const char *const fields[] = {"lambda_g", "lambda_f", "sigma_mult",
                                         "sparse",   "align",    "negatives",
                                         "tau_f",    NULL};
    if (lua_isnoneornil(L, 1)) {
        lua_settop(L, 0);
        lua_newtable(L);
    }
    rs_lua_check_table(L, 1, fn, "config");
    rs_lua_check_fields(L, 1, fn, fields);
    struct rs_obj_sparc_config cfg;
    read_config(L, 1, fn, &cfg);
    struct rs_error err = {0};
    rs_objective *o = rs_objective_sparc(&cfg, &err);
    if (o == NULL) /* err.msg starts "sparc: " */
        return luaL_error(L, "%s: %s", fn,
                          strncmp(err.msg, "sparc: ", 7) == 0 ? err.msg + 7
                                                              : err.msg);
    rs_objective_release(o);
    rs_lua_objective_push(L, "sparc"); /* cfg spec */
    lua_pushnumber(L, cfg.lambda_g);
    lua_setfield(L, -2, "lambda_g");
    lua_pushnumber(L, cfg.lambda_f);
    lua_setfield(L, -2, "lambda_f");
    lua_pushnumber(L, cfg.sigma_mult);
    lua_setfield(L, -2, "sigma_mult");
    lua_pushboolean(L, cfg.sparse);
    lua_setfield(L, -2, "sparse");
    lua_pushboolean(L, cfg.tau_f);
    lua_setfield(L, -2, "tau_f");
    lua_pushstring(L, rs_obj_sparc_align_name(cfg.align));
    lua_setfield(L, -2, "align");
    lua_pushstring(L, rs_obj_sparc_negatives_name(cfg.negatives));
    lua_setfield(L, -2, "negatives");
    return 1;
}

rs_objective *
rs_lua_objsparc_build(lua_State *L, int spec, struct rs_error *err)
{
    lua_getfield(L, spec, "kind");
    bool clip = lua_isstring(L, -1) && strcmp(lua_tostring(L, -1), "clip") == 0;
    lua_pop(L, 1);
    if (clip)
        return rs_objective_clip(err);
    struct rs_obj_sparc_config cfg;
    read_config(L, spec, NULL, &cfg);
    return rs_objective_sparc(&cfg, err);
}

void
rs_lua_open_objsparc(lua_State *L)
{
    lua_pushcfunction(L, l_objective_clip);
    lua_setfield(L, -2, "clip");
    lua_pushcfunction(L, l_objective_sparc);
    lua_setfield(L, -2, "sparc");
}
